//! aws_security beyond IAM against moto, checking what moto holds afterwards with plain SDK
//! clients: KMS, Secrets Manager with rotation, Security Hub findings, the GuardDuty detector,
//! the posture of a seeded account, and secrets kept out of logs, state and audit. (IAM is in
//! `security.rs`; what moto lacks is in `security_mocked.rs`.)

use std::collections::BTreeSet;

use espada_aws::{dispatch::Dispatcher, settings::Settings};
use serde_json::{Value, json};

use crate::harness::{Moto, REGION, StdioServer, cli, moto, temp_state};

use crate::security::{ACCOUNT, SEC, confirmed, err, guardduty, hub, iam, kms, ok, secrets};

#[tokio::test]
async fn kms_keys_are_created_rotated_and_scheduled_for_deletion() {
    let m = moto().await;
    let d = m.dispatcher();
    let kms = kms(&m);
    let created = ok(
        &d,
        json!({"action": "create_kms_key", "description": "app data", "alias": "alias/app-data",
               "tags": {"team": "data"}}),
    )
    .await;
    let key = created["data"]["key_id"].as_str().unwrap().to_string();
    let rot = kms
        .get_key_rotation_status()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    assert!(rot.key_rotation_enabled(), "rotation is on by default");
    let aliases = kms.list_aliases().key_id(&key).send().await.unwrap();
    assert_eq!(aliases.aliases()[0].alias_name(), Some("alias/app-data"));
    let tags = kms.list_resource_tags().key_id(&key).send().await.unwrap();
    let keys: BTreeSet<&str> = tags.tags().iter().map(|t| t.tag_key()).collect();
    assert_eq!(keys, BTreeSet::from(["espada:call", "team"]));

    let plain = ok(&d, json!({"action": "create_kms_key", "rotation": false})).await;
    let plain = plain["data"]["key_id"].as_str().unwrap().to_string();
    let listed = ok(&d, json!({"action": "list_kms_keys"})).await;
    assert!(
        listed["summary"]
            .as_str()
            .unwrap()
            .contains("1 customer-managed"),
        "{listed}"
    );
    let app = listed["data"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["key_id"] == key.as_str())
        .unwrap()
        .clone();
    assert_eq!(app["aliases"], json!(["alias/app-data"]));
    ok(
        &d,
        json!({"action": "enable_key_rotation", "key_id": plain, "rotation_days": 180}),
    )
    .await;
    let rot = kms
        .get_key_rotation_status()
        .key_id(&plain)
        .send()
        .await
        .unwrap();
    assert!(rot.key_rotation_enabled());

    let scheduled = confirmed(
        &d,
        json!({"action": "schedule_key_deletion", "key_id": "alias/app-data", "days": 7}),
    )
    .await;
    assert_eq!(scheduled["data"]["pending_days"], 7);
    let meta = kms.describe_key().key_id(&key).send().await.unwrap();
    assert_eq!(
        meta.key_metadata().unwrap().key_state().unwrap().as_str(),
        "PendingDeletion"
    );
    let again = crate::harness::try_confirmed_in(
        &d,
        SEC,
        json!({"action": "schedule_key_deletion", "key_id": key}),
    )
    .await
    .unwrap_err();
    assert_eq!(again["error"], "precondition_failed", "{again}");
}

#[tokio::test]
async fn secrets_are_generated_rotated_withheld_and_deleted_with_a_window() {
    let m = moto().await;
    let d = m.dispatcher();
    let sm = secrets(&m);
    let created = ok(
        &d,
        json!({"action": "create_secret", "name": "prod/db", "username": "app",
               "description": "orders database"}),
    )
    .await;
    let stored = sm
        .get_secret_value()
        .secret_id("prod/db")
        .send()
        .await
        .unwrap();
    let value: Value = serde_json::from_str(stored.secret_string().unwrap()).unwrap();
    assert_eq!(value["username"], "app");
    let password = value["password"].as_str().unwrap();
    assert_eq!(password.len(), 32);
    assert!(
        !created.to_string().contains(password),
        "the value never passes through"
    );

    confirmed(
        &d,
        json!({"action": "rotate_secret", "secret_id": "prod/db", "rotation_days": 30}),
    )
    .await;
    let desc = sm
        .describe_secret()
        .secret_id("prod/db")
        .send()
        .await
        .unwrap();
    assert_eq!(desc.rotation_enabled(), Some(true));
    assert_eq!(
        desc.rotation_rules().unwrap().automatically_after_days(),
        Some(30)
    );
    let listed = ok(&d, json!({"action": "list_secrets"})).await;
    assert_eq!(listed["data"]["secrets"][0]["rotation_days"], 30);
    assert!(!listed.to_string().contains(password));

    // Without --allow-sensitive-data the value is refused; with it, it is returned.
    let refused = ok(
        &d,
        json!({"action": "get_secret_value", "secret_id": "prod/db"}),
    )
    .await;
    assert!(
        refused["summary"].as_str().unwrap().starts_with("Refused"),
        "{refused}"
    );
    assert_eq!(refused["data"]["value"], Value::Null);
    assert!(!refused.to_string().contains(password));
    let open = Dispatcher::new(&Settings {
        allow_sensitive_data: true,
        ..m.settings()
    })
    .unwrap();
    let got = ok(
        &open,
        json!({"action": "get_secret_value", "secret_id": "prod/db"}),
    )
    .await;
    let returned: Value =
        serde_json::from_str(got["data"]["secret_string"].as_str().unwrap()).unwrap();
    assert_eq!(returned["password"], password);
    assert!(!got["summary"].as_str().unwrap().contains(password));

    let deleted = confirmed(
        &d,
        json!({"action": "delete_secret", "secret_id": "prod/db"}),
    )
    .await;
    assert_eq!(deleted["data"]["recovery_days"], 30);
    let desc = sm
        .describe_secret()
        .secret_id("prod/db")
        .send()
        .await
        .unwrap();
    assert!(desc.deleted_date().is_some(), "scheduled, not gone");
}

/// Imports one finding into moto's Security Hub with a raw BatchImportFindings request, as a
/// finding provider sends it.
fn import_finding(m: &Moto, id: &str, severity: &str, product: &str, resource: &str) {
    use std::io::{Read, Write};
    let body = json!({"Findings": [{
        "SchemaVersion": "2018-10-08",
        "Id": id,
        "ProductArn": format!("arn:aws:securityhub:{REGION}:{ACCOUNT}:product/{ACCOUNT}/default"),
        "ProductName": product,
        "GeneratorId": "test",
        "AwsAccountId": ACCOUNT,
        "Types": ["Software and Configuration Checks"],
        "CreatedAt": "2026-01-01T00:00:00Z",
        "UpdatedAt": "2026-01-01T00:00:00Z",
        "Severity": {"Label": severity},
        "Title": format!("{severity} finding {id}"),
        "Description": "seeded",
        "Resources": [{"Type": "AwsS3Bucket", "Id": resource}],
    }]})
    .to_string();
    let addr = m.url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST /findings/import HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\nAuthorization: AWS4-HMAC-SHA256 \
         Credential=testing/20260101/{REGION}/securityhub/aws4_request, SignedHeaders=host, \
         Signature=00\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(
        out.contains("\"FailedCount\": 0") || out.contains("\"FailedCount\":0"),
        "{out}"
    );
}

#[tokio::test]
async fn security_hub_findings_are_imported_listed_and_filtered() {
    let m = moto().await;
    let d = m.dispatcher();
    let on = ok(&d, json!({"action": "enable_security_hub"})).await;
    assert_eq!(on["data"]["changed"], true, "{on}");
    hub(&m).describe_hub().send().await.unwrap();
    let again = ok(&d, json!({"action": "enable_security_hub"})).await;
    assert_eq!(again["data"]["changed"], false);

    import_finding(
        &m,
        "f-critical",
        "CRITICAL",
        "Security Hub",
        "arn:aws:s3:::public",
    );
    import_finding(&m, "f-low", "LOW", "Inspector", "arn:aws:s3:::logs");
    import_finding(&m, "f-high", "HIGH", "Security Hub", "arn:aws:s3:::logs");

    let all = ok(&d, json!({"action": "list_security_findings"})).await;
    assert_eq!(
        all["data"]["findings"].as_array().unwrap().len(),
        3,
        "{all}"
    );
    let critical = ok(
        &d,
        json!({"action": "list_security_findings", "severities": ["critical"]}),
    )
    .await;
    let ids: Vec<&str> = critical["data"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["f-critical"]);
    assert!(critical["summary"].as_str().unwrap().contains("1 CRITICAL"));
    let inspector = ok(
        &d,
        json!({"action": "list_security_findings", "product": "Inspector"}),
    )
    .await;
    assert_eq!(inspector["data"]["findings"][0]["id"], "f-low");
    let logs = ok(
        &d,
        json!({"action": "list_security_findings", "resource": "arn:aws:s3:::logs",
               "severities": ["high", "critical"]}),
    )
    .await;
    assert_eq!(logs["data"]["findings"].as_array().unwrap().len(), 1);
    assert_eq!(logs["data"]["findings"][0]["id"], "f-high");
    let paged = ok(
        &d,
        json!({"action": "list_security_findings", "max_results": 2}),
    )
    .await;
    assert_eq!(paged["data"]["findings"].as_array().unwrap().len(), 2);
    let rest = ok(
        &d,
        json!({"action": "list_security_findings", "max_results": 2,
               "next_token": paged["next_token"]}),
    )
    .await;
    assert_eq!(rest["data"]["findings"].as_array().unwrap().len(), 1);

    // Updating asks Security Hub for the finding first; an unknown id changes nothing.
    let e = err(
        &d,
        json!({"action": "update_finding_workflow", "finding_ids": ["nope"],
               "status": "resolved"}),
    )
    .await;
    assert_eq!(e["error"], "precondition_failed", "{e}");
}

#[tokio::test]
async fn the_guardduty_detector_is_turned_on_found_and_turned_back_on() {
    let m = moto().await;
    let d = m.dispatcher();
    let off = ok(&d, json!({"action": "get_guardduty_status"})).await;
    assert!(off["summary"].as_str().unwrap().contains("off"), "{off}");
    let on = ok(
        &d,
        json!({"action": "enable_guardduty", "tags": {"team": "sec"}}),
    )
    .await;
    let id = on["data"]["detector_id"].as_str().unwrap().to_string();
    let gd = guardduty(&m);
    assert_eq!(
        gd.list_detectors().send().await.unwrap().detector_ids(),
        std::slice::from_ref(&id)
    );
    let det = gd.get_detector().detector_id(&id).send().await.unwrap();
    assert_eq!(det.status().unwrap().as_str(), "ENABLED");
    assert_eq!(det.tags().unwrap()["team"], "sec");

    gd.update_detector()
        .detector_id(&id)
        .enable(false)
        .send()
        .await
        .unwrap();
    let status = ok(&d, json!({"action": "get_guardduty_status"})).await;
    assert_eq!(status["data"]["enabled"], false, "{status}");
    // moto has no GuardDuty findings: their counts are reported as unreadable, not as zero.
    assert!(
        status["data"]["findings_by_severity"]["error"].is_object(),
        "{status}"
    );
    let back = ok(&d, json!({"action": "enable_guardduty"})).await;
    assert_eq!(back["data"]["detector_id"], id.as_str());
    let det = gd.get_detector().detector_id(&id).send().await.unwrap();
    assert_eq!(det.status().unwrap().as_str(), "ENABLED");
    assert_eq!(
        gd.list_detectors()
            .send()
            .await
            .unwrap()
            .detector_ids()
            .len(),
        1
    );
}

/// An account with a user without MFA, an old key, a public bucket, an open security group and
/// a key without rotation (and everything else in order): each is found with its fix, and
/// nothing else is flagged except what moto cannot change (its root user has no MFA).
#[tokio::test]
async fn posture_finds_each_seeded_problem_and_nothing_else() {
    let m = moto().await;
    let d = m.dispatcher();
    let iam = iam(&m);
    // In order: a strong password policy, Security Hub and GuardDuty on.
    iam.update_account_password_policy()
        .minimum_password_length(14)
        .require_symbols(true)
        .require_numbers(true)
        .require_uppercase_characters(true)
        .require_lowercase_characters(true)
        .password_reuse_prevention(24)
        .send()
        .await
        .unwrap();
    hub(&m).enable_security_hub().send().await.unwrap();
    guardduty(&m)
        .create_detector()
        .enable(true)
        .send()
        .await
        .unwrap();
    // A rotated key and a private bucket count as fine.
    let good = kms(&m).create_key().send().await.unwrap();
    let good = good.key_metadata().unwrap().key_id().to_string();
    kms(&m)
        .enable_key_rotation()
        .key_id(&good)
        .send()
        .await
        .unwrap();
    m.s3()
        .create_bucket()
        .bucket("private-data")
        .send()
        .await
        .unwrap();

    // The problems.
    iam.create_user().user_name("alice").send().await.unwrap();
    iam.create_login_profile()
        .user_name("alice")
        .password("Sup3r-secret-passw0rd!")
        .send()
        .await
        .unwrap();
    iam.create_user().user_name("deploy").send().await.unwrap();
    let key = iam
        .create_access_key()
        .user_name("deploy")
        .send()
        .await
        .unwrap();
    let key_id = key.access_key().unwrap().access_key_id().to_string();
    let bad = kms(&m).create_key().send().await.unwrap();
    let bad = bad.key_metadata().unwrap().key_id().to_string();
    m.s3()
        .create_bucket()
        .bucket("open-data")
        .send()
        .await
        .unwrap();
    m.s3()
        .put_bucket_policy()
        .bucket("open-data")
        .policy(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::open-data/*"}]}"#,
        )
        .send()
        .await
        .unwrap();
    let vpc = m
        .ec2()
        .create_vpc()
        .cidr_block("10.9.0.0/16")
        .send()
        .await
        .unwrap();
    let vpc = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
    let sg = m
        .ec2()
        .create_security_group()
        .group_name("ssh-open")
        .description("seeded")
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    let sg = sg.group_id().unwrap().to_string();
    m.ec2()
        .authorize_security_group_ingress()
        .group_id(&sg)
        .ip_protocol("tcp")
        .from_port(22)
        .to_port(22)
        .cidr_ip("0.0.0.0/0")
        .send()
        .await
        .unwrap();

    // moto cannot age a key: 0 days makes the seeded key old, as 90 days would in AWS.
    let posture = ok(
        &d,
        json!({"action": "get_security_posture", "max_key_age_days": 0}),
    )
    .await;
    let findings = posture["data"]["findings"].as_array().unwrap();
    let seen: BTreeSet<(String, String)> = findings
        .iter()
        .map(|f| {
            (
                f["check"].as_str().unwrap().to_string(),
                f["resource"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("root_mfa", "root user".to_string()),
        ("user_without_mfa", "alice".to_string()),
        ("old_or_unused_access_key", format!("deploy/{key_id}")),
        ("kms_key_without_rotation", bad.clone()),
        ("public_bucket", "open-data".to_string()),
        ("security_group_open_to_world", sg.clone()),
    ]
    .into_iter()
    .map(|(c, r)| (c.to_string(), r))
    .collect();
    assert_eq!(seen, expected, "{posture:#}");
    assert!(
        posture["data"]["unreadable"].as_array().unwrap().is_empty(),
        "{posture:#}"
    );
    let by = |check: &str| {
        findings
            .iter()
            .find(|f| f["check"] == check)
            .unwrap()
            .clone()
    };
    assert_eq!(
        by("kms_key_without_rotation")["fix"]["action"],
        "enable_key_rotation"
    );
    assert_eq!(
        by("old_or_unused_access_key")["fix"]["arguments"],
        json!({"user_name": "deploy", "access_key_id": key_id})
    );
    assert_eq!(
        by("security_group_open_to_world")["fix"]["tool"],
        "aws_network"
    );
    assert!(
        by("security_group_open_to_world")["evidence"]
            .as_str()
            .unwrap()
            .contains("22 (SSH)")
    );
    assert!(
        by("public_bucket")["evidence"]
            .as_str()
            .unwrap()
            .contains("Principal")
    );
    assert_eq!(findings[0]["severity"], "critical", "most severe first");
    assert_eq!(posture["data"]["checked"]["Security Hub"]["enabled"], true);
    assert_eq!(posture["data"]["checked"]["GuardDuty"]["enabled"], true);

    // With the default 90 days the new key is not old.
    let default = ok(&d, json!({"action": "get_security_posture"})).await;
    assert!(
        !default["data"]["findings"]
            .to_string()
            .contains("old_or_unused_access_key")
    );
}

/// Secret values, generated passwords and access key secrets never reach stderr (at debug),
/// the state file or `audit list`.
#[tokio::test]
async fn secrets_never_reach_logs_state_or_audit() {
    let m = moto().await;
    let state = temp_state();
    let home = temp_state().with_extension("home");
    std::fs::create_dir_all(&home).unwrap();
    let mut s = StdioServer::spawn_exactly(
        env!("CARGO_BIN_EXE_espada-aws"),
        &["serve"],
        home.to_str().unwrap(),
        &[
            ("ESPADA_STATE", state.to_str().unwrap()),
            ("ESPADA_LOG", "debug"),
            ("ESPADA_ALLOW_SENSITIVE", "1"),
            ("AWS_ENDPOINT_URL", &m.url),
            ("AWS_REGION", REGION),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ],
    );
    s.initialize();
    let mut id = 10;
    // Each call as a user who agrees: a high-risk call's plan is confirmed with its token.
    let mut call = |mut args: Value| -> Value {
        loop {
            id += 1;
            let line = s.request(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                "params": {"name": SEC, "arguments": args}}));
            let outer: Value = serde_json::from_str(&line).unwrap();
            let text = outer["result"]["content"][0]["text"].as_str().unwrap();
            let result: Value = serde_json::from_str(text).unwrap();
            if result["status"] != "confirmation_required" {
                return result;
            }
            args["confirm_token"] = result["confirm_token"].clone();
        }
    };
    let marker = "S3CRET-VALUE-MARKER-7c1f";
    let user = call(json!({"action": "create_user", "user_name": "svc",
                           "console_access": true, "access_key": true}));
    let key_secret = user["data"]["access_key"]["secret_access_key"]
        .as_str()
        .unwrap_or_else(|| panic!("{user}"))
        .to_string();
    let password = user["data"]["console_password"]
        .as_str()
        .unwrap()
        .to_string();
    let second = call(json!({"action": "create_access_key", "user_name": "svc"}));
    let second_secret = second["data"]["secret_access_key"]
        .as_str()
        .unwrap()
        .to_string();
    call(json!({"action": "create_secret", "name": "given", "secret_string": marker}));
    call(json!({"action": "create_secret", "name": "generated"}));
    let got = call(json!({"action": "get_secret_value", "secret_id": "given"}));
    assert_eq!(got["data"]["secret_string"], marker, "{got}");
    let generated = call(json!({"action": "get_secret_value", "secret_id": "generated"}));
    let generated = generated["data"]["secret_string"]
        .as_str()
        .unwrap()
        .to_string();
    let stderr = s.stderr();
    drop(s);
    assert!(stderr.contains("tool call"), "{stderr}");

    let mut state_bytes = Vec::new();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let path = format!("{}{suffix}", state.display());
        if let Ok(b) = std::fs::read(&path) {
            state_bytes.extend(b);
        }
    }
    let state_text = String::from_utf8_lossy(&state_bytes).to_string();
    let (okay, audit) = cli(&state, &["audit", "list", "--limit", "100"]);
    assert!(okay && audit.contains("create_secret"), "{audit}");
    for (what, secret) in [
        ("access key secret", key_secret.as_str()),
        ("second access key secret", second_secret.as_str()),
        ("console password", password.as_str()),
        ("given secret value", marker),
        ("generated secret value", generated.as_str()),
    ] {
        assert!(!secret.is_empty(), "{what} is empty");
        assert!(!stderr.contains(secret), "{what} in stderr");
        assert!(!state_text.contains(secret), "{what} in the state file");
        assert!(!audit.contains(secret), "{what} in audit list");
    }
}
