//! The benchmark (not a timed test): runs only with ESPADA_BENCH=1 and prints figures.
//!
//! `ESPADA_BENCH=1 cargo test --test it perf -- --nocapture`; set ESPADA_BENCH_BINARY to measure
//! another build (e.g. target/release/espada-aws).

use std::{
    io::{BufRead, BufReader, Write},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

use crate::harness::{REGION, moto};

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
    let report = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let mut child = Command::new(&binary)
            .env("AWS_ENDPOINT_URL", &url)
            .env("AWS_REGION", REGION)
            .env("ESPADA_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut send = |v: Value| writeln!(stdin, "{v}").unwrap();
        let mut line = String::new();
        let mut recv = |line: &mut String| {
            line.clear();
            stdout.read_line(line).unwrap();
        };
        send(
            json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "bench", "version": "0"}}}),
        );
        recv(&mut line);
        let init = started.elapsed();
        let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
        let rss_init = status
            .lines()
            .find(|l| l.starts_with("VmRSS"))
            .unwrap()
            .to_string();
        send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        send(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}));
        recv(&mut line);
        let list_bytes = line.len();
        let mut via_mcp = Vec::new();
        for i in 0..=CALLS {
            let t = Instant::now();
            send(
                json!({"jsonrpc": "2.0", "id": 10 + i, "method": "tools/call",
                "params": {"name": "aws_ec2", "arguments": {"action": "list_instances"}}}),
            );
            recv(&mut line);
            assert!(line.contains("instance(s)"), "{line}");
            if i > 0 {
                via_mcp.push(t.elapsed()); // the first call loads the AWS config
            }
        }
        let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
        let rss_after = status
            .lines()
            .find(|l| l.starts_with("VmRSS"))
            .unwrap()
            .to_string();
        drop(stdin);
        let _ = child.wait();
        (init, rss_init, list_bytes, via_mcp, rss_after)
    })
    .await
    .unwrap();
    let (init, rss_init, list_bytes, via_mcp, rss_after) = report;

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
}
