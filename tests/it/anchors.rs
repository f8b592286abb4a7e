//! Audit anchors in moto's S3 under Object Lock: a log rewritten with its chain recomputed
//! verifies on its own, and fails against the anchors.

use std::process::Command;

use serde_json::json;
use sha2::{Digest, Sha256};

use crate::harness::{REGION, moto, ok, temp_state};

fn cli_aws(url: &str, state: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_espada-aws"))
        .arg("--state")
        .arg(state)
        .args(args)
        .env("ESPADA_LOG", "warn")
        .env("AWS_ENDPOINT_URL", url)
        .env("AWS_REGION", REGION)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("ESPADA_AUDIT_ANCHOR_BUCKET", "audit-anchors")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[tokio::test]
async fn a_rewritten_log_fails_against_its_anchors() {
    let m = moto().await;
    let s3 = m.s3();
    s3.create_bucket()
        .bucket("audit-anchors")
        .object_lock_enabled_for_bucket(true)
        .send()
        .await
        .unwrap();
    let state = temp_state();
    let d = m.strict_dispatcher(&state);
    for _ in 0..3 {
        ok(&d, json!({"action": "list_instances"})).await;
    }
    let (okay, out) = cli_aws(&m.url, &state, &["audit", "anchor"]);
    assert!(okay && out.contains("anchored record 3"), "{out}");
    for _ in 0..3 {
        ok(&d, json!({"action": "list_instances"})).await;
    }
    let (okay, out) = cli_aws(&m.url, &state, &["audit", "anchor"]);
    assert!(okay && out.contains("anchored record 6"), "{out}");
    // The anchors are locked: S3 keeps them whatever the local machine does.
    let listed = s3
        .list_objects_v2()
        .bucket("audit-anchors")
        .send()
        .await
        .unwrap();
    let key = listed.contents()[0].key().unwrap().to_string();
    let head = s3
        .head_object()
        .bucket("audit-anchors")
        .key(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.object_lock_mode().map(|m| m.as_str()),
        Some("COMPLIANCE")
    );
    let (okay, out) = cli_aws(&m.url, &state, &["audit", "verify", "--anchors"]);
    assert!(okay && out.contains("2 anchor(s)"), "{out}");

    // Delete a middle record and recompute the whole chain, as someone with the state file
    // would: the log verifies on its own, not against its anchors.
    drop(d);
    let db = rusqlite::Connection::open(&state).unwrap();
    db.execute("DELETE FROM audit WHERE seq = 2", []).unwrap();
    let rows: Vec<(i64, i64, String)> = db
        .prepare("SELECT seq, at, record FROM audit ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    db.execute("DELETE FROM audit", []).unwrap();
    let mut prev = "0".repeat(64);
    for (n, (_, at, record)) in rows.iter().enumerate() {
        let seq = n as i64 + 1;
        let hash: String = Sha256::digest(format!("{prev}|{seq}|{at}|{record}").as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        db.execute(
            "INSERT INTO audit (seq, at, record, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![seq, at, record, prev, hash],
        )
        .unwrap();
        db.execute(
            "UPDATE audit_head SET seq = ?1, hash = ?2 WHERE id = 1",
            rusqlite::params![seq, hash],
        )
        .unwrap();
        prev = hash;
    }
    drop(db);
    let (okay, out) = cli_aws(&m.url, &state, &["audit", "verify"]);
    assert!(okay, "a recomputed chain verifies locally: {out}");
    let (okay, out) = cli_aws(&m.url, &state, &["audit", "verify", "--anchors"]);
    assert!(!okay && out.contains("rewritten"), "{out}");
}

/// A server configured to anchor every 3 records does so on its own, while it serves: the
/// anchors land in the locked bucket and the chain verifies against them.
#[tokio::test]
async fn the_server_anchors_every_n_records_on_its_own() {
    let m = moto().await;
    let s3 = m.s3();
    s3.create_bucket()
        .bucket("audit-anchors")
        .object_lock_enabled_for_bucket(true)
        .send()
        .await
        .unwrap();
    let state = temp_state();
    let home = std::env::var("HOME").unwrap_or_default();
    let _server = crate::harness::StdioServer::spawn_exactly(
        env!("CARGO_BIN_EXE_espada-aws"),
        &["serve"],
        &home,
        &[
            ("ESPADA_STATE", state.to_str().unwrap()),
            ("ESPADA_LOG", "warn"),
            ("AWS_ENDPOINT_URL", &m.url),
            ("AWS_REGION", REGION),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("ESPADA_AUDIT_ANCHOR_BUCKET", "audit-anchors"),
            ("ESPADA_AUDIT_ANCHOR_RECORDS", "3"),
        ],
    );
    // Another process on the same state file writes the records; the server watches the head.
    let d = m.strict_dispatcher(&state);
    let anchored = |want: usize| {
        let s3 = s3.clone();
        async move {
            for _ in 0..60 {
                let keys: Vec<String> = s3
                    .list_objects_v2()
                    .bucket("audit-anchors")
                    .send()
                    .await
                    .unwrap()
                    .contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_string))
                    .collect();
                if keys.len() >= want {
                    return keys;
                }
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
            panic!("the server wrote no anchor number {want} within 30 s");
        }
    };
    for _ in 0..3 {
        ok(&d, json!({"action": "list_instances"})).await;
    }
    let first = anchored(1).await;
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(
        first[0].starts_with("espada-aws/audit-anchors/000000000003-"),
        "{first:?}"
    );
    for _ in 0..3 {
        ok(&d, json!({"action": "list_instances"})).await;
    }
    let both = anchored(2).await;
    assert!(
        both.iter().any(|k| k.contains("/000000000006-")),
        "{both:?}"
    );
    let (okay, out) = cli_aws(&m.url, &state, &["audit", "verify", "--anchors"]);
    assert!(okay && out.contains("consistent with 2 anchor(s)"), "{out}");
}

/// Asking for automatic anchors without saying where is an error at start-up, not a server
/// that quietly anchors nothing.
#[test]
fn automatic_anchoring_without_a_bucket_is_refused_at_start_up() {
    let out = Command::new(env!("CARGO_BIN_EXE_espada-aws"))
        .args(["--state", temp_state().to_str().unwrap(), "serve"])
        .env("ESPADA_AUDIT_ANCHOR_MINUTES", "10")
        .env_remove("ESPADA_AUDIT_ANCHOR_BUCKET")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--audit-anchor-bucket"), "{err}");
    assert!(out.stdout.is_empty());
}
