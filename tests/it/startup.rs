//! Start-up touches no network: initialize and tools/list answer before any credentials or
//! instance-metadata lookup, which happens only on the first AWS call.

use std::{
    net::TcpListener,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use serde_json::json;

use crate::harness::StdioServer;

#[test]
fn no_network_until_the_first_aws_call() {
    // A fake instance-metadata endpoint that counts connections. With no credentials in the
    // environment and no profile files, the SDK's default chain ends at IMDS.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(conn);
        }
    });
    let imds = format!("http://127.0.0.1:{port}");
    let state = crate::harness::temp_state();
    let mut server = StdioServer::spawn(
        env!("CARGO_BIN_EXE_espada-aws"),
        &[
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds),
            ("AWS_CONFIG_FILE", "/nonexistent/config"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"),
            ("AWS_REGION", "us-east-1"),
            ("ESPADA_STATE", state.to_str().unwrap()),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
        ],
    );
    let init = server.initialize();
    assert!(init.contains("espada-aws"), "{init}");
    let list = server.request(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}));
    assert!(list.contains("aws_ec2"));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "start-up contacted the metadata endpoint"
    );

    // The control: the first AWS call does resolve credentials, through the same endpoint.
    let r = server.request(&json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": {"name": "aws_ec2", "arguments": {"action": "list_instances"}}}));
    assert!(r.contains("isError"), "{r}");
    assert!(
        hits.load(Ordering::SeqCst) > 0,
        "the first call should look up credentials"
    );
}
