//! Rate limits under concurrency (issue 9, hole 6): the slot is taken in the transaction that
//! checks the window, when the call is admitted, so concurrent calls, from one process or two
//! sharing the state file, cannot all pass a check made before any of them counted; and a
//! call that fails after admission keeps its slot.

use std::sync::Arc;

use espada_aws::{
    dispatch::Dispatcher,
    guardrails::ratelimit::{Limit, RateLimits},
};
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::harness::{agent, call, confirmed, moto, obj, temp_state};

fn limits(write: u32, destructive: u32) -> RateLimits {
    RateLimits {
        write: Limit {
            max_calls: write,
            window_seconds: 3600,
        },
        destructive: Limit {
            max_calls: destructive,
            window_seconds: 3600,
        },
        ..RateLimits::default()
    }
}

async fn key_pairs(m: &crate::harness::Moto) -> usize {
    m.ec2()
        .describe_key_pairs()
        .send()
        .await
        .unwrap()
        .key_pairs()
        .len()
}

/// 150 writes fired at once through two dispatchers with their own connections to one state
/// file (as two server processes have), against a limit of 100 an hour: exactly 100 reach AWS,
/// and 50 are refused before anything is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_hundred_and_fifty_concurrent_writes_against_a_limit_of_one_hundred_run_exactly_one_hundred()
 {
    let m = moto().await;
    let state = temp_state();
    let a = Arc::new(m.strict_dispatcher(&state));
    let b = Arc::new(m.strict_dispatcher(&state));
    a.guardrails
        .store
        .set_config("rate_limits", &limits(100, 10))
        .unwrap();

    let mut calls = JoinSet::new();
    for n in 0..150 {
        let d = if n % 2 == 0 { a.clone() } else { b.clone() };
        calls.spawn(async move {
            let args = json!({"action": "create_key_pair", "key_name": format!("burst-{n}"),
                              "key_type": "ed25519"});
            Box::pin(d.call("aws_ec2", obj(args), &agent()))
                .await
                .expect("routable")
                .map_err(|e| e.to_json())
        });
    }
    let (mut ran, mut refused) = (0, 0);
    while let Some(r) = calls.join_next().await {
        match r.unwrap() {
            Ok(v) => {
                assert!(v["data"]["key_name"].is_string(), "{v}");
                ran += 1;
            }
            Err(e) => {
                assert_eq!(e["error"], "refused", "{e}");
                assert!(e["message"].as_str().unwrap().contains("rate limit"), "{e}");
                refused += 1;
            }
        }
    }
    eprintln!("150 concurrent writes, limit 100: {ran} ran, {refused} refused");
    assert_eq!((ran, refused), (100, 50));
    assert_eq!(key_pairs(&m).await, 100, "what AWS holds");
    let usage = a
        .guardrails
        .store
        .usage(espada_aws::registry::Access::Write)
        .unwrap()
        .unwrap();
    assert_eq!(usage.used, 100);
    let (finished, _) = a
        .guardrails
        .store
        .query_audit(
            &espada_aws::guardrails::audit::AuditQuery {
                action: Some("create_key_pair".into()),
                outcome: Some("ok".into()),
                ..Default::default()
            },
            1000,
        )
        .unwrap();
    assert_eq!(finished.len(), 100, "the audit log agrees");
}

/// Confirmed destructive calls redeemed at once against a limit of 3: three run, the rest are
/// refused, and their tokens stay unspent (admission is all or nothing).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn confirmed_destructive_calls_redeemed_at_once_cannot_pass_the_limit() {
    let m = moto().await;
    let d = Arc::new(m.dispatcher());
    d.guardrails
        .store
        .set_config("rate_limits", &limits(100, 3))
        .unwrap();
    let ids = m.launch_in(6, "development").await;
    let mut confirmed_calls = Vec::new();
    for id in &ids {
        let args = json!({"action": "terminate_instances", "instance_ids": [id]});
        let plan = call(&d, "aws_ec2", args.clone()).await.unwrap();
        assert_eq!(plan["status"], "confirmation_required", "{plan}");
        let mut with = obj(args);
        with.insert("confirm_token".into(), plan["confirm_token"].clone());
        confirmed_calls.push(with);
    }
    let mut calls = JoinSet::new();
    for args in confirmed_calls.clone() {
        let d = d.clone();
        calls.spawn(async move {
            Box::pin(d.call("aws_ec2", args, &agent()))
                .await
                .expect("routable")
                .map_err(|e| e.to_json())
        });
    }
    let mut ran = 0;
    while let Some(r) = calls.join_next().await {
        match r.unwrap() {
            Ok(_) => ran += 1,
            Err(e) => assert!(e["message"].as_str().unwrap().contains("rate limit"), "{e}"),
        }
    }
    assert_eq!(ran, 3);
    let mut terminated = 0;
    for id in &ids {
        if m.state_of(id).await == "terminated" {
            terminated += 1;
        }
    }
    assert_eq!(terminated, 3, "what AWS holds");
    // A refused admission spent nothing: with room in the window again, an unused token works.
    d.guardrails
        .store
        .set_config("rate_limits", &limits(100, 10))
        .unwrap();
    let mut reused = 0;
    for args in confirmed_calls {
        if let Ok(v) = call(&d, "aws_ec2", Value::Object(args)).await {
            assert!(v["summary"].as_str().unwrap().starts_with("Terminating"));
            reused += 1;
        }
    }
    assert_eq!(reused, 3, "the three refused calls' tokens were still good");
}

/// A call that AWS refuses after admission was an attempt: its slot is not given back.
#[tokio::test]
async fn a_call_that_fails_after_admission_keeps_its_slot() {
    let m = moto().await;
    let d: Dispatcher = m.dispatcher();
    d.guardrails
        .store
        .set_config("rate_limits", &limits(2, 10))
        .unwrap();
    let create =
        |name: &str| json!({"action": "create_key_pair", "key_name": name, "key_type": "ed25519"});
    call(&d, "aws_ec2", create("first")).await.unwrap();
    // AWS refuses the duplicate after the call was admitted.
    call(&d, "aws_ec2", create("first")).await.unwrap_err();
    let e = call(&d, "aws_ec2", create("second")).await.unwrap_err();
    assert!(e["message"].as_str().unwrap().contains("rate limit"), "{e}");
    assert_eq!(key_pairs(&m).await, 1);
    // Confirmations do not take slots; only admitted calls do.
    let id = m.launch_in(1, "development").await.remove(0);
    let plan = call(
        &d,
        "aws_ec2",
        json!({"action": "stop_instances", "instance_ids": [id]}),
    )
    .await
    .unwrap_err();
    assert!(
        plan["message"].as_str().unwrap().contains("rate limit"),
        "an exhausted window refuses before asking: {plan}"
    );
    d.guardrails
        .store
        .set_config("rate_limits", &limits(3, 10))
        .unwrap();
    confirmed(
        &d,
        json!({"action": "stop_instances", "instance_ids": [id]}),
    )
    .await;
    assert_eq!(m.state_of(&id).await, "stopped");
}
