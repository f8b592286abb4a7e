//! The benchmark (not a timed test): runs only with ESPADA_BENCH=1 and prints figures.
//!
//! `ESPADA_BENCH=1 cargo test --test it perf -- --nocapture`; set ESPADA_BENCH_BINARY to measure
//! another build (e.g. target/release/espada-aws).

use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::{REGION, StdioServer, moto};

const CALLS: usize = 50;

fn median(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    (v[v.len() / 2], v[v.len() * 95 / 100])
}

#[tokio::test]
async fn bench_startup_size_and_call_latency() {
    if std::env::var("ESPADA_BENCH").as_deref() != Ok("1") {
        eprintln!("perf: skipped (set ESPADA_BENCH=1)");
        return;
    }
    let m = moto().await;
    m.launch(5).await;
    let binary = std::env::var("ESPADA_BENCH_BINARY")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_espada-aws").to_string());
    let url = m.url.clone();
    let state = crate::harness::temp_state();
    let report = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let mut server = StdioServer::spawn(
            &binary,
            &[
                ("AWS_ENDPOINT_URL", &url),
                ("AWS_REGION", REGION),
                ("ESPADA_STATE", state.to_str().unwrap()),
                ("AWS_ACCESS_KEY_ID", "testing"),
                ("AWS_SECRET_ACCESS_KEY", "testing"),
                ("AWS_EC2_METADATA_DISABLED", "true"),
                ("ESPADA_LOG", "warn"),
            ],
        );
        server.initialize();
        let init = started.elapsed();
        let rss_init = server.rss();
        let list_bytes = server
            .request(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}))
            .len();
        let mut via_mcp = Vec::new();
        let mut cpu_before = std::time::Duration::ZERO;
        for i in 0..=CALLS {
            if i == 1 {
                cpu_before = server.cpu_time();
            }
            let t = Instant::now();
            let line = server.request(
                &json!({"jsonrpc": "2.0", "id": 10 + i, "method": "tools/call",
                "params": {"name": "aws_ec2", "arguments": {"action": "list_instances"}}}),
            );
            assert!(line.contains("instance(s)"), "{line}");
            if i > 0 {
                via_mcp.push(t.elapsed()); // the first call loads the AWS config
            }
        }
        let cpu = server.cpu_time() - cpu_before;
        (init, rss_init, list_bytes, via_mcp, server.rss(), cpu)
    })
    .await
    .unwrap();
    let (init, rss_init, list_bytes, via_mcp, rss_after, cpu) = report;

    let client = m.ec2();
    client.describe_instances().send().await.unwrap();
    let mut direct = Vec::new();
    for _ in 0..CALLS {
        let t = Instant::now();
        client.describe_instances().send().await.unwrap();
        direct.push(t.elapsed());
    }
    let (mcp_med, mcp_p95) = median(via_mcp);
    let (sdk_med, sdk_p95) = median(direct);
    eprintln!("perf: spawn -> initialize response: {init:?}");
    eprintln!("perf: RSS after initialize: {rss_init}; after {CALLS} calls: {rss_after}");
    eprintln!("perf: tools/list response: {list_bytes} bytes");
    eprintln!("perf: aws_ec2 list_instances over stdio: median {mcp_med:?}, p95 {mcp_p95:?}");
    eprintln!("perf: direct SDK describe_instances:      median {sdk_med:?}, p95 {sdk_p95:?}");
    eprintln!(
        "perf: server CPU time per list_instances call: {:?} ({CALLS} calls, 10 ms ticks)",
        cpu / CALLS as u32
    );
}
