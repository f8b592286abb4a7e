//! End to end: the built binary driven over stdio by the Python `mcp` SDK client
//! (tests/e2e/*.py), checking what moto holds with boto3.

use std::path::Path;

use crate::harness::{moto, python, temp_state};

async fn run_script(script: &str) {
    let m = moto().await;
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/e2e")
        .join(script);
    let out = tokio::process::Command::new(python())
        .arg(&path)
        .args([
            "--binary",
            env!("CARGO_BIN_EXE_espada-aws"),
            "--endpoint",
            &m.url,
        ])
        .env("ESPADA_STATE", temp_state())
        .output()
        .await
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{script} failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
}

#[tokio::test]
async fn python_mcp_client_drives_the_binary() {
    run_script("mcp_e2e.py").await;
}

#[tokio::test]
async fn newcomer_demo_conversation_runs() {
    run_script("demo.py").await;
}
