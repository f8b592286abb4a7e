//! No duplicate or orphaned creates after a lost answer ("Guardrails with no way around",
//! item 9). Through the fault proxy: a create whose answer is dropped after moto ran it is
//! either repeated with the same idempotency token (so AWS makes it once), or, where the API
//! has none, not repeated and reported as an unknown outcome whose `details.check` names the
//! read that tells; the tests follow that read. Multi-step creates that stop half-way say what
//! exists now.

use espada_aws::dispatch::Dispatcher;
use serde_json::{Value, json};

use crate::{
    faults::{Fault, FaultProxy, proxy, via},
    harness::{AMI, Moto, call, moto, ok_in},
};

/// A tool error, panicking on success.
async fn failed(d: &Dispatcher, tool: &str, args: Value) -> Value {
    match call(d, tool, args.clone()).await {
        Ok(v) => panic!("{tool} {args} should fail, got {v}"),
        Err(e) => e,
    }
}

/// The error of a create whose answer was lost: outcome unknown, sent once, and the check it
/// names finds exactly one resource in `list` (a key of the check's result data).
async fn unknown_and_checked(
    d: &Dispatcher,
    p: &FaultProxy,
    operation: &str,
    e: &Value,
    list: &str,
) -> Value {
    assert_eq!(e["error"], "precondition_failed", "{e}");
    assert_eq!(e["details"]["outcome"], "unknown", "{e}");
    assert_eq!(e["details"]["operation"], operation, "{e}");
    let message = e["message"].as_str().unwrap();
    assert!(
        message.contains("answer was lost") && message.contains("not sent again"),
        "{message}"
    );
    assert_eq!(p.seen_op(operation).len(), 1, "{operation} was sent again");
    // Follow the check the error names: it finds the one resource the call made.
    p.clear();
    let check = &e["details"]["check"];
    let mut args = check["arguments"].as_object().unwrap().clone();
    args.insert("action".into(), check["action"].clone());
    let found = ok_in(d, check["tool"].as_str().unwrap(), Value::Object(args)).await;
    let items = found["data"][list]
        .as_array()
        .unwrap_or_else(|| panic!("{found}"));
    assert_eq!(items.len(), 1, "{found}");
    items[0].clone()
}

async fn vpcs_with(m: &Moto, cidr: &str) -> usize {
    m.ec2()
        .describe_vpcs()
        .send()
        .await
        .unwrap()
        .vpcs()
        .iter()
        .filter(|v| v.cidr_block() == Some(cidr))
        .count()
}

#[tokio::test]
async fn a_vpc_whose_answer_is_lost_is_made_once_and_reported_unknown() {
    let m = moto().await;
    let p = proxy(&m).await;
    p.fault("CreateVpc", Fault::DropResponse);
    let d = via(&m, &p, 3, false);
    let e = failed(
        &d,
        "aws_network",
        json!({"action": "create_vpc", "cidr_block": "10.1.0.0/16", "name": "lost"}),
    )
    .await;
    let vpc = unknown_and_checked(&d, &p, "CreateVpc", &e, "vpcs").await;
    assert_eq!(vpc["cidr_block"], "10.1.0.0/16", "{vpc}");
    assert_eq!(vpcs_with(&m, "10.1.0.0/16").await, 1);
}

#[tokio::test]
async fn creates_without_a_token_are_not_repeated_after_a_reset_or_a_server_error() {
    let m = moto().await;
    for fault in [Fault::Reset, Fault::ServerError] {
        let p = proxy(&m).await;
        p.fault("CreateVpc", fault);
        let d = via(&m, &p, 3, false);
        let e = failed(
            &d,
            "aws_network",
            json!({"action": "create_vpc", "cidr_block": "10.2.0.0/16"}),
        )
        .await;
        assert_eq!(e["details"]["outcome"], "unknown", "{fault:?}: {e}");
        assert_eq!(p.seen_op("CreateVpc").len(), 1, "{fault:?}");
        // The proxy never forwarded it: the check finds nothing, so the call can be repeated.
        assert_eq!(vpcs_with(&m, "10.2.0.0/16").await, 0);
    }
}

#[tokio::test]
async fn throttled_creates_are_retried() {
    let m = moto().await;
    let p = proxy(&m).await;
    p.fault_times("CreateVpc", Fault::Throttle, 1);
    let d = via(&m, &p, 3, false);
    let v = ok_in(
        &d,
        "aws_network",
        json!({"action": "create_vpc", "cidr_block": "10.3.0.0/16"}),
    )
    .await;
    assert!(v["summary"].as_str().unwrap().starts_with("Created vpc-"));
    assert_eq!(p.seen_op("CreateVpc").len(), 2);
    assert_eq!(vpcs_with(&m, "10.3.0.0/16").await, 1);
}

#[tokio::test]
async fn instances_are_launched_once_with_one_client_token() {
    let m = moto().await;
    let p = proxy(&m).await;
    p.emulate_client_token_idempotency();
    p.fault_times("RunInstances", Fault::DropResponse, 1);
    let d = via(&m, &p, 3, false);
    let v = ok_in(
        &d,
        "aws_ec2",
        json!({"action": "create_instances", "image_id": AMI, "count": 2}),
    )
    .await;
    assert_eq!(v["data"]["instances"].as_array().unwrap().len(), 2, "{v}");
    let sent = p.seen_op("RunInstances");
    assert_eq!(sent.len(), 2, "the SDK retried the lost request");
    let token = sent[0].param("ClientToken").expect("a ClientToken");
    assert_eq!(sent[1].param("ClientToken"), Some(token.clone()));
    let all = m.ec2().describe_instances().send().await.unwrap();
    let n: usize = all.reservations().iter().map(|r| r.instances().len()).sum();
    assert_eq!(n, 2, "one launch of two instances");
}
