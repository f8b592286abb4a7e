//! Every aws_s3 action against moto, checking what moto holds afterwards with plain S3 and
//! CloudFront clients.

use std::{
    collections::{BTreeSet, HashMap},
    io::{Read, Write},
};

use aws_sdk_s3::{
    primitives::ByteStream,
    types::{BucketVersioningStatus, VersioningConfiguration},
};
use espada_aws::{dispatch::Dispatcher, registry::Access, settings::Settings};
use serde_json::{Value, json};

use crate::harness::{Moto, call, confirmed_in, err_in, moto, ok_in, try_confirmed_in};

pub(crate) const S3: &str = "aws_s3";

pub(crate) async fn ok(d: &Dispatcher, args: Value) -> Value {
    ok_in(d, S3, args).await
}

pub(crate) async fn err(d: &Dispatcher, args: Value) -> Value {
    err_in(d, S3, args).await
}

pub(crate) async fn confirmed(d: &Dispatcher, args: Value) -> Value {
    confirmed_in(d, S3, args).await
}

/// A bucket made straight through the SDK in us-east-1.
pub(crate) async fn bucket(m: &Moto, name: &str) {
    m.s3().create_bucket().bucket(name).send().await.unwrap();
}

pub(crate) async fn put(m: &Moto, bucket: &str, key: &str, body: &[u8], content_type: &str) {
    m.s3()
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type(content_type)
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await
        .unwrap();
}

pub(crate) async fn exists(m: &Moto, bucket: &str) -> bool {
    m.s3().head_bucket().bucket(bucket).send().await.is_ok()
}

#[tokio::test]
async fn buckets_are_created_private_and_encrypted_in_their_region() {
    let m = moto().await;
    let d = m.dispatcher();

    // A dry run returns the plan and creates nothing: S3 has no dry-run mode.
    let dry = ok(
        &d,
        json!({"action": "create_bucket", "bucket": "dry-bucket", "dry_run": true}),
    )
    .await;
    assert_eq!(dry["data"]["dry_run"], json!(true), "{dry}");
    assert_eq!(
        dry["data"]["plan"]["targets"],
        json!([{"service": "s3", "kind": "bucket", "id": "dry-bucket", "new": true}])
    );
    assert!(
        !exists(&m, "dry-bucket").await,
        "a dry run created a bucket"
    );

    let created = ok(
        &d,
        json!({"action": "create_bucket", "bucket": "logs-eu", "region": "eu-west-1",
               "enable_versioning": true, "tags": {"team": "ops"}}),
    )
    .await;
    assert_eq!(created["data"]["region"], "eu-west-1", "{created}");
    let eu = m.s3_in("eu-west-1");
    let loc = eu
        .get_bucket_location()
        .bucket("logs-eu")
        .send()
        .await
        .unwrap();
    assert_eq!(
        loc.location_constraint().map(|c| c.as_str()),
        Some("eu-west-1")
    );
    let pab = eu
        .get_public_access_block()
        .bucket("logs-eu")
        .send()
        .await
        .unwrap();
    let c = pab.public_access_block_configuration().unwrap();
    assert_eq!(
        (
            c.block_public_acls(),
            c.ignore_public_acls(),
            c.block_public_policy(),
            c.restrict_public_buckets()
        ),
        (Some(true), Some(true), Some(true), Some(true))
    );
    let enc = eu
        .get_bucket_encryption()
        .bucket("logs-eu")
        .send()
        .await
        .unwrap();
    let rule = &enc.server_side_encryption_configuration().unwrap().rules()[0];
    assert_eq!(
        rule.apply_server_side_encryption_by_default()
            .unwrap()
            .sse_algorithm()
            .as_str(),
        "AES256"
    );
    assert_eq!(moto_versioning(&m, "logs-eu"), "Enabled");

    // us-east-1 takes no LocationConstraint (S3 refuses one naming us-east-1).
    ok(&d, json!({"action": "create_bucket", "bucket": "logs-us"})).await;
    let loc = m
        .s3()
        .get_bucket_location()
        .bucket("logs-us")
        .send()
        .await
        .unwrap();
    assert_eq!(
        loc.location_constraint().map(|c| c.as_str()).unwrap_or(""),
        ""
    );

    let e = err(&d, json!({"action": "create_bucket", "bucket": "logs-us"})).await;
    assert_eq!(e["code"], "BucketAlreadyOwnedByYou", "{e}");
    assert!(e["hint"].as_str().unwrap().contains("already own"), "{e}");
    let e = err(&d, json!({"action": "create_bucket", "bucket": "Bad_Name"})).await;
    assert_eq!(e["error"], "invalid_input");
    assert!(e["message"].as_str().unwrap().contains("lowercase"), "{e}");
    // Existing buckets are named loosely (pre-2018 names may have capitals and underscores),
    // but a URL or a path is caught before AWS is called.
    let e = err(
        &d,
        json!({"action": "list_objects", "bucket": "s3://logs-us/x"}),
    )
    .await;
    assert!(
        e["message"].as_str().unwrap().contains("not a bucket name"),
        "{e}"
    );
    let e = err(
        &d,
        json!({"action": "get_bucket_info", "bucket": "Legacy_Bucket"}),
    )
    .await;
    assert_eq!(e["code"], "NoSuchBucket", "{e}");
    let e = err(
        &d,
        json!({"action": "get_object", "bucket": "logs-us", "key": ""}),
    )
    .await;
    assert!(
        e["message"].as_str().unwrap().contains("key must be"),
        "{e}"
    );

    let listed = ok(&d, json!({"action": "list_buckets"})).await;
    let buckets = listed["data"]["buckets"].as_array().unwrap();
    let regions: HashMap<&str, &str> = buckets
        .iter()
        .map(|b| (b["name"].as_str().unwrap(), b["region"].as_str().unwrap()))
        .collect();
    assert_eq!(
        regions,
        HashMap::from([("logs-eu", "eu-west-1"), ("logs-us", "us-east-1")])
    );
    assert!(buckets.iter().all(|b| b["creation_date"].is_string()));
    let filtered = ok(
        &d,
        json!({"action": "list_buckets", "name_prefix": "logs-e"}),
    )
    .await;
    assert_eq!(filtered["data"]["buckets"].as_array().unwrap().len(), 1);

    put(&m, "logs-eu", "a.txt", b"hello", "text/plain").await;
    let info = ok(
        &d,
        json!({"action": "get_bucket_info", "bucket": "logs-eu"}),
    )
    .await;
    let data = &info["data"];
    assert_eq!(data["region"], "eu-west-1", "{info}");
    assert_versioning_part(&info, "Enabled");
    assert_eq!(data["encryption"]["algorithm"], "AES256");
    assert_eq!(
        data["public_access_block"]["block_public_policy"],
        json!(true)
    );
    assert_eq!(data["public"], json!(false));
    assert_eq!(data["policy"]["present"], json!(false));
    assert_eq!(data["lifecycle"], "none");
    assert_eq!(data["tags"], json!({"team": "ops"}));
    assert_eq!(
        data["objects"],
        json!({"count": 1, "total_bytes": 5, "exact": true})
    );
    // A bucket with nothing configured reads as "none" everywhere, not as errors.
    bucket(&m, "bare-bucket").await;
    let bare = ok(
        &d,
        json!({"action": "get_bucket_info", "bucket": "bare-bucket"}),
    )
    .await;
    assert_eq!(bare["data"]["encryption"], "none", "{bare}");
    assert_eq!(bare["data"]["public_access_block"], "none");
    assert_versioning_part(&bare, "Disabled");
    assert_eq!(bare["data"]["tags"], json!({}));
    let e = err(
        &d,
        json!({"action": "get_bucket_info", "bucket": "no-such-bucket"}),
    )
    .await;
    assert_eq!(e["code"], "NoSuchBucket", "{e}");
}

#[tokio::test]
async fn force_delete_empties_a_versioned_bucket() {
    let m = moto().await;
    let d = m.dispatcher();
    let s3 = m.s3();
    bucket(&m, "versioned").await;
    s3.put_bucket_versioning()
        .bucket("versioned")
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    for i in 0..3 {
        for key in ["a.txt", "dir/b.txt"] {
            put(
                &m,
                "versioned",
                key,
                format!("v{i}").as_bytes(),
                "text/plain",
            )
            .await;
        }
    }
    s3.delete_object()
        .bucket("versioned")
        .key("a.txt")
        .send()
        .await
        .unwrap();

    // Without force S3 refuses, after the confirmation, and says how to go on.
    let e = try_confirmed_in(
        &d,
        S3,
        json!({"action": "delete_bucket", "bucket": "versioned"}),
    )
    .await
    .unwrap_err();
    assert_eq!(e["code"], "BucketNotEmpty", "{e}");
    assert!(e["hint"].as_str().unwrap().contains("force"), "{e}");
    assert!(exists(&m, "versioned").await);

    // force still needs the confirmation.
    let args = json!({"action": "delete_bucket", "bucket": "versioned", "force": true});
    let plan = ok(&d, args.clone()).await;
    assert_eq!(plan["status"], "confirmation_required");
    assert!(exists(&m, "versioned").await);
    let done = confirmed(&d, args).await;
    assert_eq!(done["data"]["deleted"], json!(true), "{done}");
    assert_eq!(done["data"]["emptied"]["object_versions"], 6);
    assert_eq!(done["data"]["emptied"]["delete_markers"], 1);
    assert!(!exists(&m, "versioned").await, "the bucket is gone");

    // An unversioned bucket is emptied too (its objects list with version "null").
    bucket(&m, "plain-full").await;
    for i in 0..30 {
        put(&m, "plain-full", &format!("k{i}"), b"x", "text/plain").await;
    }
    let done = confirmed(
        &d,
        json!({"action": "delete_bucket", "bucket": "plain-full", "force": true}),
    )
    .await;
    assert_eq!(done["data"]["emptied"]["object_versions"], 30, "{done}");
    assert!(!exists(&m, "plain-full").await);

    // An empty bucket goes without force.
    bucket(&m, "empty-one").await;
    confirmed(
        &d,
        json!({"action": "delete_bucket", "bucket": "empty-one"}),
    )
    .await;
    assert!(!exists(&m, "empty-one").await);
}

#[tokio::test]
async fn a_2500_object_listing_pages_to_completion() {
    let m = moto().await;
    let d = m.dispatcher();
    bucket(&m, "many").await;
    let mut set = tokio::task::JoinSet::new();
    let keys: Vec<String> = (0..2500)
        .map(|i| format!("data/{:02}/{i:05}.txt", i % 7))
        .collect();
    for chunk in keys.chunks(50) {
        let (s3, chunk) = (m.s3(), chunk.to_vec());
        set.spawn(async move {
            for k in chunk {
                s3.put_object()
                    .bucket("many")
                    .key(k)
                    .body(ByteStream::from_static(b"x"))
                    .send()
                    .await
                    .unwrap();
            }
        });
    }
    set.join_all().await;

    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut args = json!({"action": "list_objects", "bucket": "many", "max_results": 300});
        if let Some(t) = &token {
            args["next_token"] = json!(t);
        }
        let page = ok(&d, args).await;
        assert!(
            page.get("truncated").is_none(),
            "page cut: {}",
            page["summary"]
        );
        pages += 1;
        for o in page["data"]["objects"].as_array().unwrap() {
            seen.push(o["key"].as_str().unwrap().to_string());
        }
        match page.get("next_token").and_then(Value::as_str) {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
        assert!(pages < 20, "paging does not end");
    }
    assert_eq!(pages, 9);
    assert_eq!(seen.len(), 2500, "every object exactly once");
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), 2500);
    assert_eq!(unique, keys.iter().collect::<BTreeSet<_>>());

    // Folders: a delimiter groups keys into common prefixes.
    let top = ok(
        &d,
        json!({"action": "list_objects", "bucket": "many", "prefix": "data/", "delimiter": "/"}),
    )
    .await;
    let folders: Vec<&str> = top["data"]["folders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(
        folders,
        (0..7).map(|i| format!("data/{i:02}/")).collect::<Vec<_>>()
    );
    assert!(top["data"]["objects"].as_array().unwrap().is_empty());
    // The default page is 50 with a token to go on.
    let first = ok(&d, json!({"action": "list_objects", "bucket": "many"})).await;
    assert_eq!(first["data"]["objects"].as_array().unwrap().len(), 50);
    assert!(first["next_token"].is_string());
}

#[tokio::test]
async fn objects_are_written_read_bounded_copied_and_deleted() {
    let m = moto().await;
    let d = m.dispatcher();
    bucket(&m, "docs").await;
    bucket(&m, "backup").await;

    let put_res = ok(
        &d,
        json!({"action": "put_object", "bucket": "docs", "key": "reports/q1.json",
               "body": "{\"revenue\": 42}", "metadata": {"owner": "finance"},
               "storage_class": "STANDARD_IA", "encryption": "sse-s3"}),
    )
    .await;
    assert_eq!(
        put_res["data"]["content_type"], "application/json",
        "{put_res}"
    );
    let head = m
        .s3()
        .head_object()
        .bucket("docs")
        .key("reports/q1.json")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("application/json"));
    assert_eq!(
        head.storage_class().map(|s| s.as_str()),
        Some("STANDARD_IA")
    );
    assert_eq!(
        head.server_side_encryption().map(|s| s.as_str()),
        Some("AES256")
    );
    assert_eq!(head.metadata().unwrap()["owner"], "finance");

    let got = ok(
        &d,
        json!({"action": "get_object", "bucket": "docs", "key": "reports/q1.json"}),
    )
    .await;
    assert_eq!(got["data"]["text"], "{\"revenue\": 42}", "{got}");
    assert_eq!(got["data"]["metadata"]["owner"], "finance");

    // Binary, large and unreadable objects are described, never printed.
    put(
        &m,
        "docs",
        "logo.png",
        &[0x89, b'P', b'N', b'G', 0, 1, 2],
        "image/png",
    )
    .await;
    put(
        &m,
        "docs",
        "blob.bin",
        &[0xff, 0xfe, 0, 0x80],
        "application/octet-stream",
    )
    .await;
    put(&m, "docs", "notes", b"plain words", "binary/octet-stream").await;
    put(&m, "docs", "big.txt", &vec![b'a'; 100 * 1024], "text/plain").await;
    for (key, why) in [
        ("logo.png", "binary"),
        ("blob.bin", "not UTF-8"),
        ("big.txt", "over the 48.0 KiB text limit"),
    ] {
        let r = ok(
            &d,
            json!({"action": "get_object", "bucket": "docs", "key": key}),
        )
        .await;
        assert_eq!(r["data"]["text"], Value::Null, "{key}: {r}");
        let reason = r["data"]["content_not_shown"].as_str().unwrap();
        assert!(reason.contains(why), "{key}: {reason}");
        assert!(
            r["summary"]
                .as_str()
                .unwrap()
                .contains("described, not printed")
        );
        assert!(r.to_string().len() < 4000, "{key}: result stays small");
    }
    // An octet-stream object that is really text is shown.
    let notes = ok(
        &d,
        json!({"action": "get_object", "bucket": "docs", "key": "notes"}),
    )
    .await;
    assert_eq!(notes["data"]["text"], "plain words");
    let e = err(
        &d,
        json!({"action": "get_object", "bucket": "docs", "key": "nope.txt"}),
    )
    .await;
    assert_eq!(e["code"], "NoSuchKey", "{e}");

    let head = ok(
        &d,
        json!({"action": "head_object", "bucket": "docs", "key": "big.txt"}),
    )
    .await;
    assert_eq!(head["data"]["size"], 100 * 1024);
    assert_eq!(head["data"]["content_type"], "text/plain");
    assert!(head["data"].get("text").is_none());

    let copied = ok(
        &d,
        json!({"action": "copy_object", "source_bucket": "docs", "source_key": "reports/q1.json",
               "bucket": "backup", "key": "2024/q1 copy.json", "storage_class": "GLACIER_IR"}),
    )
    .await;
    assert!(copied["summary"].as_str().unwrap().starts_with("Copied"));
    let body = m
        .s3()
        .get_object()
        .bucket("backup")
        .key("2024/q1 copy.json")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    assert_eq!(&body[..], b"{\"revenue\": 42}");

    // delete_objects by keys and by prefix, each after confirmation, with counts.
    for i in 0..5 {
        put(&m, "docs", &format!("tmp/{i}.txt"), b"t", "text/plain").await;
    }
    let args =
        json!({"action": "delete_objects", "bucket": "docs", "keys": ["logo.png", "blob.bin"]});
    let plan = ok(&d, args.clone()).await;
    assert_eq!(
        plan["plan"]["targets"],
        json!([{"service": "s3", "kind": "object", "id": "docs/logo.png", "parent": {"service": "s3", "kind": "bucket", "id": "docs"}},
               {"service": "s3", "kind": "object", "id": "docs/blob.bin", "parent": {"service": "s3", "kind": "bucket", "id": "docs"}}])
    );
    let by_keys = confirmed(&d, args).await;
    assert_eq!(by_keys["data"]["deleted"], 2, "{by_keys}");
    let by_prefix = confirmed(
        &d,
        json!({"action": "delete_objects", "bucket": "docs", "prefix": "tmp/"}),
    )
    .await;
    assert_eq!(by_prefix["data"]["deleted"], 5, "{by_prefix}");
    let left: BTreeSet<String> = m
        .s3()
        .list_objects_v2()
        .bucket("docs")
        .send()
        .await
        .unwrap()
        .contents()
        .iter()
        .map(|o| o.key().unwrap().to_string())
        .collect();
    assert_eq!(
        left,
        ["big.txt", "notes", "reports/q1.json"]
            .map(String::from)
            .into()
    );
    for (args, want) in [
        (
            json!({"action": "delete_objects", "bucket": "docs"}),
            "exactly one of keys or prefix",
        ),
        (
            json!({"action": "delete_objects", "bucket": "docs", "prefix": ""}),
            "force",
        ),
    ] {
        let e = err(&d, args).await;
        assert!(e["message"].as_str().unwrap().contains(want), "{e}");
    }
}

#[tokio::test]
async fn presigned_urls_work_and_are_bounded() {
    let m = moto().await;
    let d = m.dispatcher();
    bucket(&m, "share").await;
    put(&m, "share", "report.csv", b"a,b\n1,2\n", "text/csv").await;

    let get = ok(
        &d,
        json!({"action": "presign_url", "bucket": "share", "key": "report.csv",
               "expires_in_seconds": 600}),
    )
    .await;
    let url = get["data"]["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/share/report.csv?", m.url)),
        "path style: {url}"
    );
    assert!(url.contains("X-Amz-Expires=600"), "{url}");
    assert!(url.contains("X-Amz-Signature="), "{url}");
    let (status, body) = http("GET", url, &[], b"");
    assert_eq!(status, 200);
    assert_eq!(body, b"a,b\n1,2\n");

    let put_url = confirmed(
        &d,
        json!({"action": "presign_url", "bucket": "share", "key": "upload.txt", "method": "put",
               "content_type": "text/plain"}),
    )
    .await;
    assert_eq!(put_url["data"]["method"], "PUT");
    assert_eq!(put_url["data"]["expires_in_seconds"], 3600);
    let headers: Vec<(String, String)> = put_url["data"]["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "content-type" && v == "text/plain"),
        "{headers:?}"
    );
    let (status, _) = http(
        "PUT",
        put_url["data"]["url"].as_str().unwrap(),
        &headers,
        b"uploaded",
    );
    assert_eq!(status, 200);
    let stored = m
        .s3()
        .get_object()
        .bucket("share")
        .key("upload.txt")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    assert_eq!(&stored[..], b"uploaded");

    for (args, want) in [
        (
            json!({"action": "presign_url", "bucket": "share", "key": "k",
                   "expires_in_seconds": 604801}),
            "604800",
        ),
        (
            json!({"action": "presign_url", "bucket": "share", "key": "k",
                   "content_type": "text/plain"}),
            "put only",
        ),
    ] {
        let e = err(&d, args).await;
        assert_eq!(e["error"], "invalid_input");
        assert!(e["message"].as_str().unwrap().contains(want), "{e}");
    }
}

#[tokio::test]
async fn versioning_encryption_and_lifecycle_round_trip() {
    let m = moto().await;
    let d = m.dispatcher();
    bucket(&m, "settings").await;

    // get_versioning is covered in s3_mocked.rs: moto's GetBucketVersioning answer has a root
    // element the SDK rejects.
    assert_eq!(moto_versioning(&m, "settings"), "");
    confirmed(
        &d,
        json!({"action": "set_versioning", "bucket": "settings", "versioning": "enabled"}),
    )
    .await;
    assert_eq!(moto_versioning(&m, "settings"), "Enabled");
    let suspended = confirmed(
        &d,
        json!({"action": "set_versioning", "bucket": "settings", "versioning": "suspended"}),
    )
    .await;
    assert!(
        suspended["summary"]
            .as_str()
            .unwrap()
            .contains("existing versions stay")
    );
    assert_eq!(moto_versioning(&m, "settings"), "Suspended");

    let none = ok(
        &d,
        json!({"action": "get_encryption", "bucket": "settings"}),
    )
    .await;
    assert_eq!(none["data"]["encryption"], "none");
    confirmed(
        &d,
        json!({"action": "set_encryption", "bucket": "settings", "encryption": "sse-kms",
               "kms_key_id": "alias/logs"}),
    )
    .await;
    let enc = m
        .s3()
        .get_bucket_encryption()
        .bucket("settings")
        .send()
        .await
        .unwrap();
    let rule = &enc.server_side_encryption_configuration().unwrap().rules()[0];
    let by_default = rule.apply_server_side_encryption_by_default().unwrap();
    assert_eq!(by_default.sse_algorithm().as_str(), "aws:kms");
    assert_eq!(by_default.kms_master_key_id(), Some("alias/logs"));
    assert_eq!(rule.bucket_key_enabled(), Some(true));
    let shown = ok(
        &d,
        json!({"action": "get_encryption", "bucket": "settings"}),
    )
    .await;
    assert_eq!(
        shown["data"]["encryption"],
        json!({"algorithm": "aws:kms", "kms_key_id": "alias/logs", "bucket_key_enabled": true})
    );

    let empty = ok(&d, json!({"action": "get_lifecycle", "bucket": "settings"})).await;
    assert_eq!(empty["data"]["rules"], json!([]));
    let rules = json!([
        {"id": "logs-90d", "prefix": "logs/", "enabled": true,
         "transitions": [{"days": 30, "storage_class": "STANDARD_IA"},
                         {"days": 60, "storage_class": "GLACIER"}],
         "expiration_days": 90, "noncurrent_expiration_days": 30,
         "abort_incomplete_multipart_days": 7},
        {"id": "tmp", "enabled": false, "expiration_days": 1}
    ]);
    confirmed(
        &d,
        json!({"action": "set_lifecycle", "bucket": "settings", "rules": rules}),
    )
    .await;
    let read = ok(&d, json!({"action": "get_lifecycle", "bucket": "settings"})).await;
    assert_eq!(read["data"]["rules"], rules, "{read}");
    assert!(read["summary"].as_str().unwrap().contains(
        "logs-90d (logs/): STANDARD_IA after 30 d, GLACIER after 60 d, expire after 90 d"
    ));
    let held = m
        .s3()
        .get_bucket_lifecycle_configuration()
        .bucket("settings")
        .send()
        .await
        .unwrap();
    assert_eq!(held.rules().len(), 2);
    assert_eq!(held.rules()[0].expiration().unwrap().days(), Some(90));
    let info = ok(
        &d,
        json!({"action": "get_bucket_info", "bucket": "settings"}),
    )
    .await;
    assert_eq!(
        info["data"]["lifecycle"],
        json!({"rules": 2, "rule_ids": ["logs-90d", "tmp"]})
    );

    for (rules, want) in [
        (
            json!([{"id": "x", "transitions": [{"days": 30, "storage_class": "STANDARD"}]}]),
            "cannot transition to STANDARD",
        ),
        (json!([{"id": "x"}]), "does nothing"),
        (
            json!([{"id": "x", "expiration_days": 30,
                    "transitions": [{"days": 60, "storage_class": "GLACIER"}]}]),
            "after the last transition",
        ),
        (
            json!([{"id": "x", "expiration_days": 1}, {"id": "x", "expiration_days": 2}]),
            "used twice",
        ),
    ] {
        let e = err(
            &d,
            json!({"action": "set_lifecycle", "bucket": "settings", "rules": rules}),
        )
        .await;
        assert!(e["message"].as_str().unwrap().contains(want), "{e}");
    }
    let e = err(
        &d,
        json!({"action": "set_encryption", "bucket": "settings", "encryption": "sse-s3",
               "kms_key_id": "alias/x"}),
    )
    .await;
    assert!(e["message"].as_str().unwrap().contains("sse-kms"), "{e}");
}

#[tokio::test]
async fn bucket_tags_are_replaced_and_removed() {
    let m = moto().await;
    let d = m.dispatcher();
    bucket(&m, "tagged").await;
    confirmed(
        &d,
        json!({"action": "set_bucket_tags", "bucket": "tagged",
               "tags": {"env": "dev", "team": "web"}}),
    )
    .await;
    let held = m
        .s3()
        .get_bucket_tagging()
        .bucket("tagged")
        .send()
        .await
        .unwrap();
    let tags: HashMap<&str, &str> = held
        .tag_set()
        .iter()
        .map(|t| (t.key(), t.value()))
        .collect();
    assert_eq!(tags, HashMap::from([("env", "dev"), ("team", "web")]));
    confirmed(
        &d,
        json!({"action": "set_bucket_tags", "bucket": "tagged", "tags": {}}),
    )
    .await;
    assert!(
        m.s3()
            .get_bucket_tagging()
            .bucket("tagged")
            .send()
            .await
            .is_err(),
        "no tag set left"
    );
}

#[tokio::test]
async fn public_policies_are_flagged_and_found() {
    let m = moto().await;
    let d = m.dispatcher();
    ok(
        &d,
        json!({"action": "create_bucket", "bucket": "private-data"}),
    )
    .await;
    bucket(&m, "website").await;
    bucket(&m, "legacy-acl").await;
    m.s3()
        .put_bucket_acl()
        .bucket("legacy-acl")
        .acl(aws_sdk_s3::types::BucketCannedAcl::PublicRead)
        .send()
        .await
        .unwrap();

    // Turning protections off is flagged, in the plan and in the result.
    let args = json!({"action": "set_public_access_block", "bucket": "private-data",
                      "block_public_policy": false, "restrict_public_buckets": false});
    let mut dry = args.clone();
    dry["dry_run"] = json!(true);
    let plan = ok(&d, dry).await;
    let flags = plan["data"]["plan"]["risk_flags"].as_array().unwrap();
    assert_eq!(flags.len(), 2, "{plan}");
    assert_eq!(plan["data"]["plan"]["risk"], "critical", "{plan}");
    assert!(
        flags[0]
            .as_str()
            .unwrap()
            .contains("turns off block_public_policy")
    );
    // A critical change on an untagged bucket still asks the person first.
    let changed = confirmed(&d, args).await;
    assert!(
        changed["summary"].as_str().unwrap().contains("Warning"),
        "{changed}"
    );
    assert_eq!(
        changed["data"]["public_access_block"],
        json!({"block_public_acls": true, "ignore_public_acls": true,
               "block_public_policy": false, "restrict_public_buckets": false})
    );
    let pab = ok(
        &d,
        json!({"action": "get_public_access_block", "bucket": "private-data"}),
    )
    .await;
    assert!(
        pab["summary"].as_str().unwrap().contains("partly off"),
        "{pab}"
    );

    let policy = json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::website/*"}]})
    .to_string();
    let args = json!({"action": "put_bucket_policy", "bucket": "website", "policy": policy});
    let mut dry = args.clone();
    dry["dry_run"] = json!(true);
    let dry = ok(&d, dry).await;
    assert_eq!(
        dry["data"]["plan"]["risk_flags"],
        json!([
            "makes bucket website public: policy statement \"PublicRead\" allows s3:GetObject to everyone (Principal \"*\")"
        ])
    );
    assert_eq!(dry["data"]["plan"]["risk"], "critical", "{dry}");
    let set = confirmed(&d, args).await;
    assert_eq!(set["data"]["public"], json!(true), "{set}");
    assert!(set["summary"].as_str().unwrap().contains("PUBLIC"));
    assert_eq!(set["data"]["risk_flags"], dry["data"]["plan"]["risk_flags"]);
    let held = m
        .s3()
        .get_bucket_policy()
        .bucket("website")
        .send()
        .await
        .unwrap();
    assert!(held.policy().unwrap().contains("PublicRead"));
    let shown = ok(
        &d,
        json!({"action": "get_bucket_policy", "bucket": "website"}),
    )
    .await;
    assert_eq!(shown["data"]["public"], json!(true));
    assert_eq!(shown["data"]["policy"]["Statement"][0]["Sid"], "PublicRead");

    let found = ok(&d, json!({"action": "find_public_buckets"})).await;
    assert_eq!(found["data"]["scanned"], 3, "{found}");
    let public: HashMap<&str, Vec<&str>> = found["data"]["public_buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["bucket"].as_str().unwrap(),
                b["reasons"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r.as_str().unwrap())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        public,
        HashMap::from([
            (
                "website",
                vec![
                    "policy statement \"PublicRead\" allows s3:GetObject to everyone (Principal \"*\")"
                ]
            ),
            ("legacy-acl", vec!["ACL grants READ to everyone (AllUsers)"]),
        ])
    );
    assert!(
        found["summary"].as_str().unwrap().contains("2 PUBLIC"),
        "{found}"
    );

    // A malformed policy never reaches S3 (moto would accept it).
    let e = err(
        &d,
        json!({"action": "put_bucket_policy", "bucket": "private-data", "policy": "{\"Version\": \"2012-10-17\"}"}),
    )
    .await;
    assert_eq!(e["error"], "invalid_input");
    assert!(e["message"].as_str().unwrap().contains("Statement"), "{e}");
    assert!(
        m.s3()
            .get_bucket_policy()
            .bucket("private-data")
            .send()
            .await
            .is_err()
    );

    let deleted = confirmed(
        &d,
        json!({"action": "delete_bucket_policy", "bucket": "website"}),
    )
    .await;
    assert!(
        deleted["summary"]
            .as_str()
            .unwrap()
            .starts_with("Deleted the policy")
    );
    assert!(
        m.s3()
            .get_bucket_policy()
            .bucket("website")
            .send()
            .await
            .is_err(),
        "policy gone"
    );
    let none = ok(
        &d,
        json!({"action": "get_bucket_policy", "bucket": "website"}),
    )
    .await;
    assert_eq!(none["data"]["policy"], Value::Null);
    let found = ok(
        &d,
        json!({"action": "find_public_buckets", "max_results": 2}),
    )
    .await;
    assert_eq!(found["data"]["scanned"], 2);
    assert!(found["next_token"].is_string(), "{found}");
}

#[tokio::test]
async fn read_only_hides_every_mutating_s3_action() {
    let m = moto().await;
    bucket(&m, "kept").await;
    let ro = Dispatcher::new(&Settings {
        read_only: true,
        ..m.settings()
    })
    .unwrap();
    let tool = *ro.tools().iter().find(|t| t.name == S3).unwrap();
    let schema = ro.input_schema(tool);
    let exposed: BTreeSet<&str> = schema["properties"]["action"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let actions = tool.actions;
    let reads: BTreeSet<&str> = actions
        .iter()
        .filter(|a| a.access == Access::Read)
        .map(|a| a.name)
        .collect();
    assert_eq!(exposed, reads);
    assert_eq!(reads.len(), 13);
    for hidden in [
        "body",
        "policy",
        "force",
        "rules",
        "confirm_token",
        "dry_run",
        "method",
    ] {
        assert!(
            schema["properties"].get(hidden).is_none(),
            "{hidden} exposed"
        );
    }
    for a in actions.iter().filter(|a| a.access != Access::Read) {
        let e = call(&ro, S3, json!({"action": a.name, "bucket": "kept"}))
            .await
            .unwrap_err();
        // Refused before parsing would matter: either the refusal, or bad input that never
        // reaches the guardrails; in both cases nothing was sent.
        assert!(
            e["error"] == "refused" || e["error"] == "invalid_input",
            "{}: {e}",
            a.name
        );
    }
    // Well-formed mutating calls are refused by read-only mode itself.
    for args in [
        json!({"action": "delete_bucket", "bucket": "kept"}),
        json!({"action": "put_object", "bucket": "kept", "key": "k", "body": "x"}),
        json!({"action": "presign_url", "bucket": "kept", "key": "k"}),
        json!({"action": "disable_distribution", "distribution_id": "E1"}),
    ] {
        let e = call(&ro, S3, args.clone()).await.unwrap_err();
        assert_eq!(e["error"], "refused", "{args}: {e}");
    }
    assert!(exists(&m, "kept").await);
    let listed = ok_in(&ro, S3, json!({"action": "list_buckets"})).await;
    assert_eq!(listed["data"]["buckets"][0]["name"], "kept");
}

#[test]
fn an_endpoint_override_turns_on_path_style() {
    use aws_sdk_s3::config::{Credentials, Region, SharedCredentialsProvider};
    let base = || {
        aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(Region::new("eu-west-1"))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "a", "b", None, None, "test",
            )))
    };
    let presigned = |conf: aws_config::SdkConfig| {
        let client = aws_sdk_s3::Client::from_conf(espada_aws::aws::s3_config(&conf));
        let config = aws_sdk_s3::presigning::PresigningConfig::expires_in(
            std::time::Duration::from_secs(60),
        )
        .unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(client.get_object().bucket("bkt").key("k").presigned(config))
            .unwrap()
            .uri()
            .to_string()
    };
    let overridden = presigned(base().endpoint_url("http://127.0.0.1:9").build());
    assert!(
        overridden.starts_with("http://127.0.0.1:9/bkt/k?"),
        "{overridden}"
    );
    let real = presigned(base().build());
    assert!(
        real.starts_with("https://bkt.s3.eu-west-1.amazonaws.com/k?"),
        "{real}"
    );
}

/// The versioning status moto holds, read from its raw answer: moto 5.2.5 wraps
/// GetBucketVersioning in a root element the Rust SDK refuses to parse.
fn moto_versioning(m: &Moto, bucket: &str) -> String {
    let (status, body) = http("GET", &format!("{}/{bucket}?versioning", m.url), &[], b"");
    assert_eq!(status, 200);
    let body = String::from_utf8(body).unwrap();
    body.split_once("<Status>")
        .and_then(|(_, rest)| rest.split_once("</Status>"))
        .map(|(status, _)| status.to_string())
        .unwrap_or_default()
}

/// get_bucket_info's versioning part: the status, or (against moto 5.2.5, see
/// `moto_versioning`) the read error, with the rest of the answer intact.
fn assert_versioning_part(info: &Value, want: &str) {
    let part = &info["data"]["versioning"];
    if part.get("error").is_some() {
        assert!(
            info["summary"]
                .as_str()
                .unwrap()
                .contains("Could not read: versioning"),
            "{info}"
        );
    } else {
        assert_eq!(part["status"], want, "{info}");
    }
}

/// One HTTP/1.1 request over a plain socket (for presigned URLs, which need no SDK).
fn http(method: &str, url: &str, headers: &[(String, String)], body: &[u8]) -> (u16, Vec<u8>) {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut s = std::net::TcpStream::connect(host).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&out[..split]).to_string();
    let status: u16 = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let mut payload = out[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut decoded = Vec::new();
        let mut rest = &payload[..];
        loop {
            let line_end = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let size =
                usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).unwrap().trim(), 16)
                    .unwrap();
            if size == 0 {
                break;
            }
            decoded.extend_from_slice(&rest[line_end + 2..line_end + 2 + size]);
            rest = &rest[line_end + 4 + size..];
        }
        payload = decoded;
    }
    (status, payload)
}

#[tokio::test]
async fn the_binary_uses_path_style_under_an_s3_endpoint_variable() {
    // The way users point the server at an emulator: only AWS_ENDPOINT_URL_S3 is set, and the
    // S3 client must still address buckets path-style.
    let m = moto().await;
    let binary = env!("CARGO_BIN_EXE_espada-aws");
    let url = m.url.clone();
    let line = tokio::task::spawn_blocking(move || {
        let mut server = crate::harness::StdioServer::spawn(
            binary,
            &[
                ("AWS_ACCESS_KEY_ID", "testing"),
                ("AWS_SECRET_ACCESS_KEY", "testing"),
                ("AWS_EC2_METADATA_DISABLED", "true"),
                ("AWS_CONFIG_FILE", "/nonexistent/config"),
                ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"),
                ("AWS_REGION", "eu-west-1"),
                ("AWS_ENDPOINT_URL_S3", &url),
            ],
        );
        server.initialize();
        server.request(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": {"name": "aws_s3",
                       "arguments": {"action": "create_bucket", "bucket": "via-env"}}}))
    })
    .await
    .unwrap();
    assert!(
        line.contains("Created bucket via-env in eu-west-1"),
        "{line}"
    );
    let loc = m
        .s3_in("eu-west-1")
        .get_bucket_location()
        .bucket("via-env")
        .send()
        .await
        .unwrap();
    assert_eq!(
        loc.location_constraint().map(|c| c.as_str()),
        Some("eu-west-1")
    );
}
