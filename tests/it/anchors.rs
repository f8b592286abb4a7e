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
