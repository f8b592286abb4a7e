//! The guardrails pipeline end to end against moto: environments from tags, approvals by
//! distinct humans through the CLI, change requests, backups before destructive calls,
//! policies and time windows, rate limits, notifications, restarts, races and audit tampering.
//! (The aws_guardrails tool's own actions and what an approval is bound to are in
//! `approvals_requests.rs`.)

use std::time::Duration;

use aws_sdk_ec2::types::Filter;
use espada_aws::{
    guardrails::{
        policy::parse_week_minute,
        ratelimit::{Limit, RateLimits},
    },
    registry::Access,
};
use serde_json::{Value, json};

use crate::{
    harness::{call, cli, confirmed, moto, ok, temp_state},
    people::{self, Person, ballot},
};
use espada_aws::guardrails::environment::Environment;

pub(crate) fn with(args: &Value, key: &str, value: &Value) -> Value {
    let mut a = args.clone();
    a[key] = value.clone();
    a
}

pub(crate) async fn guard(
    d: &espada_aws::dispatch::Dispatcher,
    args: Value,
) -> Result<Value, Value> {
    call(d, "aws_guardrails", args).await
}

#[tokio::test]
async fn production_terminate_needs_a_change_request_two_people_and_a_backup() {
    let m = moto().await;
    let state = temp_state();
    let d = m.strict_dispatcher(&state);
    let id = m.launch_in(1, "production").await.remove(0);
    let args = json!({"action": "terminate_instances", "instance_ids": [id]});

    // Production changes need a change request first.
    let e = call(&d, "aws_ec2", args.clone()).await.unwrap_err();
    assert!(
        e["message"].as_str().unwrap().contains("change request"),
        "{e}"
    );
    let cr = guard(
        &d,
        json!({"action": "create_change_request", "title": "retire web-1",
        "description": "replaced by the new fleet", "environment": "production",
        "rollback_plan": "restore from the backup snapshot"}),
    )
    .await
    .unwrap();
    let cr_id = cr["data"]["id"].as_str().unwrap().to_string();
    let args = with(&args, "change_request_id", &json!(cr_id));

    let pending = ok(&d, args.clone()).await;
    assert_eq!(pending["status"], "pending_approval", "{pending}");
    assert_eq!(pending["evaluation"]["environment"], "production");
    assert_eq!(pending["evaluation"]["min_approvers"], 2);
    let req = pending["approval_request_id"].as_str().unwrap().to_string();
    assert_eq!(
        m.state_of(&id).await,
        "running",
        "nothing runs while pending"
    );

    // An unsigned vote needs a person at a terminal; one person is not enough; a person votes
    // once.
    let (alice, bob) = (Person::new("alice"), Person::new("bob"));
    people::approvers(&state, Environment::Production, &[&alice, &bob]);
    let (okay, out) = cli(&state, &["approvals", "approve", &req, "--as", "alice"]);
    assert!(!okay && out.contains("decisions by people"), "{out}");
    let out = alice.approve(&state, &req);
    assert!(out.contains("1 of 2"), "{out}");
    let e = call(
        &d,
        "aws_ec2",
        with(&args, "approval_request_id", &json!(req)),
    )
    .await
    .unwrap_err();
    assert!(
        e["message"].as_str().unwrap().contains("still pending"),
        "{e}"
    );
    let (okay, out) = alice.vote(&state, &req, true);
    assert!(!okay && out.contains("already voted"), "{out}");
    let (okay, out) = cli(&state, &["approvals", "list"]);
    assert!(okay && out.contains(&req), "{out}");
    let out = bob.approve(&state, &req);
    assert!(out.contains("approved"), "{out}");

    // Other arguments than the approved ones are refused.
    let other = m.launch_in(1, "production").await.remove(0);
    let forged = json!({"action": "terminate_instances", "instance_ids": [other],
        "change_request_id": cr_id, "approval_request_id": req});
    let e = call(&d, "aws_ec2", forged).await.unwrap_err();
    assert!(
        e["message"].as_str().unwrap().contains("other arguments"),
        "{e}"
    );

    let done = ok(&d, with(&args, "approval_request_id", &json!(req))).await;
    assert!(
        done["summary"]
            .as_str()
            .unwrap()
            .starts_with("Terminating 1"),
        "{done}"
    );
    assert_eq!(m.state_of(&id).await, "terminated");
    assert_eq!(m.state_of(&other).await, "running");
    let backups = done["backups"].as_array().unwrap();
    assert!(!backups.is_empty(), "a backup was taken: {done}");
    for b in backups {
        let snap = b["backup_id"].as_str().unwrap();
        let held = m
            .ec2()
            .describe_snapshots()
            .snapshot_ids(snap)
            .send()
            .await
            .unwrap();
        assert_eq!(held.snapshots().len(), 1, "snapshot {snap} exists in moto");
    }
    let listed = guard(
        &d,
        json!({"action": "list_pre_operation_backups", "resource_id": id}),
    )
    .await
    .unwrap();
    assert_eq!(
        listed["data"]["backups"].as_array().unwrap().len(),
        backups.len()
    );

    // Once only.
    let e = call(
        &d,
        "aws_ec2",
        with(&args, "approval_request_id", &json!(req)),
    )
    .await
    .unwrap_err();
    assert!(e["message"].as_str().unwrap().contains("executed"), "{e}");
    let cr = guard(
        &d,
        json!({"action": "get_change_request", "change_id": cr_id}),
    )
    .await
    .unwrap();
    assert_eq!(cr["data"]["status"], "implemented", "{cr}");
}

#[tokio::test]
async fn development_needs_a_token_and_staging_one_approval() {
    let m = moto().await;
    let d = m.strict_dispatcher(&temp_state());
    let dev = m.launch_in(1, "dev").await.remove(0);
    let args = json!({"action": "terminate_instances", "instance_ids": [dev]});
    let plan = ok(&d, args.clone()).await;
    assert_eq!(plan["status"], "confirmation_required", "{plan}");
    assert_eq!(plan["plan"]["environment"], "development");
    ok(&d, with(&args, "confirm_token", &plan["confirm_token"])).await;
    assert_eq!(m.state_of(&dev).await, "terminated");

    let stg = m.launch_in(1, "Staging").await.remove(0);
    let args = json!({"action": "terminate_instances", "instance_ids": [stg]});
    let pending = ok(&d, args.clone()).await;
    assert_eq!(pending["status"], "pending_approval", "{pending}");
    assert_eq!(pending["evaluation"]["min_approvers"], 1);
    let req = pending["approval_request_id"].clone();
    d.guardrails
        .vote(&d.aws, req.as_str().unwrap(), ballot("carol", true))
        .await
        .unwrap();
    let done = ok(&d, with(&args, "approval_request_id", &req)).await;
    assert_eq!(m.state_of(&stg).await, "terminated");
    assert!(
        !done["backups"].as_array().unwrap().is_empty(),
        "staging takes a backup too"
    );
}

#[tokio::test]
async fn a_deny_policy_and_a_closed_window_block_calls() {
    let m = moto().await;
    let d = m.dispatcher();
    let id = m.launch_in(1, "development").await.remove(0);
    let stop = json!({"action": "stop_instances", "instance_ids": [id]});

    let p = guard(
        &d,
        json!({"action": "add_policy", "name": "no-stops", "effect": "deny",
        "description": "stops go through the on-call runbook",
        "rule": {"tools": ["aws_ec2"], "actions": ["stop_*"]}}),
    )
    .await
    .unwrap();
    let e = call(&d, "aws_ec2", stop.clone()).await.unwrap_err();
    let msg = e["message"].as_str().unwrap();
    assert!(
        msg.contains("no-stops") && msg.contains("on-call runbook"),
        "{msg}"
    );
    assert_eq!(m.state_of(&id).await, "running");
    // The guardrails tool explains it without running anything.
    let ev = guard(
        &d,
        json!({"action": "evaluate_guardrails", "target_tool": "aws_ec2",
        "target_action": "stop_instances", "target_arguments": {"instance_ids": [id]}}),
    )
    .await
    .unwrap();
    assert_eq!(ev["data"]["decision"], "refuse");
    d.guardrails
        .store
        .remove_policy(p["data"]["id"].as_str().unwrap())
        .unwrap();

    // A weekly window around now blocks; one later this week does not.
    let now = espada_aws::guardrails::policy::minute_of_week("UTC");
    let at = |m: u32| {
        let m = m % (7 * 1440);
        let day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][(m / 1440) as usize];
        format!("{day} {:02}:{:02}", (m % 1440) / 60, m % 60)
    };
    assert_eq!(parse_week_minute(&at(now)).unwrap(), now);
    let week = 7 * 1440;
    guard(
        &d,
        json!({"action": "add_policy", "name": "freeze", "effect": "deny",
        "rule": {"environments": ["development"],
                 "window": {"start": at(now + week - 60), "end": at(now + 60)}}}),
    )
    .await
    .unwrap();
    let e = call(&d, "aws_ec2", stop.clone()).await.unwrap_err();
    assert!(e["message"].as_str().unwrap().contains("freeze"), "{e}");
    let all = guard(&d, json!({"action": "list_policies"})).await.unwrap();
    for p in all["data"]["policies"].as_array().unwrap() {
        d.guardrails
            .store
            .remove_policy(p["id"].as_str().unwrap())
            .unwrap();
    }
    guard(
        &d,
        json!({"action": "add_policy", "name": "later", "effect": "deny",
        "rule": {"window": {"start": at(now + 120), "end": at(now + 180)}}}),
    )
    .await
    .unwrap();
    // Stopping is a high-risk change: it runs once the person confirms it.
    confirmed(&d, stop).await;
    assert_eq!(m.state_of(&id).await, "stopped");
}

#[tokio::test]
async fn rate_limits_trip_and_reset() {
    let m = moto().await;
    let d = m.dispatcher();
    let id = m.launch(1).await.remove(0);
    let limits = RateLimits {
        write: Limit {
            max_calls: 2,
            window_seconds: 2,
        },
        ..RateLimits::default()
    };
    d.guardrails
        .store
        .set_config("rate_limits", &limits)
        .unwrap();
    // Tagging is a high-risk change, confirmed first; only the confirmed call takes a slot.
    let tag =
        |n: u32| json!({"action": "add_tags", "resource_ids": [id], "tags": {"n": n.to_string()}});
    confirmed(&d, tag(1)).await;
    confirmed(&d, tag(2)).await;
    let e = call(&d, "aws_ec2", tag(3)).await.unwrap_err();
    assert!(e["message"].as_str().unwrap().contains("resets at"), "{e}");
    let usage = d.guardrails.store.usage(Access::Write).unwrap().unwrap();
    assert_eq!(usage.used, 2);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    confirmed(&d, tag(3)).await;
    let tags = m
        .ec2()
        .describe_tags()
        .filters(Filter::builder().name("key").values("n").build())
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags()[0].value(), Some("3"));

    // At most N resources in one call.
    let limits = RateLimits {
        max_resources_per_call: 1,
        ..RateLimits::default()
    };
    d.guardrails
        .store
        .set_config("rate_limits", &limits)
        .unwrap();
    let e = call(
        &d,
        "aws_ec2",
        json!({"action": "stop_instances", "instance_ids": [id, "i-0000000000000beef"]}),
    )
    .await
    .unwrap_err();
    assert!(e["message"].as_str().unwrap().contains("at most 1"), "{e}");
}

#[tokio::test]
async fn approval_events_reach_the_sns_topic() {
    let m = moto().await;
    let d = m.strict_dispatcher(&temp_state());
    let sns = m.sns();
    let sqs = m.sqs();
    let topic = sns
        .create_topic()
        .name("approvals")
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_string();
    let queue = sqs
        .create_queue()
        .queue_name("approvals")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes()
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(&queue_arn)
        .send()
        .await
        .unwrap();
    // Pointing notices elsewhere could hide requests from the approvers: for the agent it is a
    // production change, which waits for people.
    let refused = guard(
        &d,
        json!({"action": "configure_notification_channel", "topic_arn": topic}),
    )
    .await
    .unwrap_err();
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("production changes need a change request"),
        "{refused}"
    );
    d.guardrails
        .store
        .set_config(espada_aws::guardrails::TOPIC_KEY, &topic)
        .unwrap();

    let id = m.launch_in(1, "staging").await.remove(0);
    let pending = ok(
        &d,
        json!({"action": "terminate_instances", "instance_ids": [id]}),
    )
    .await;
    let req = pending["approval_request_id"].as_str().unwrap().to_string();
    d.guardrails
        .vote(&d.aws, &req, ballot("dana", true))
        .await
        .unwrap();

    let got = sqs
        .receive_message()
        .queue_url(&queue)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    let bodies: Vec<Value> = got
        .messages()
        .iter()
        .map(|msg| {
            let envelope: Value = serde_json::from_str(msg.body().unwrap()).unwrap();
            serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap()
        })
        .collect();
    let events: Vec<&str> = bodies
        .iter()
        .map(|b| b["event"].as_str().unwrap())
        .collect();
    assert!(
        events.contains(&"approval_requested") && events.contains(&"approval_approved"),
        "{bodies:?}"
    );
    assert!(
        bodies
            .iter()
            .all(|b| b["approval_request_id"] == req.as_str())
    );
    // The notice names the call, its plan and environment, and the exact commands to decide.
    let asked = bodies
        .iter()
        .find(|b| b["event"] == "approval_requested")
        .unwrap();
    assert_eq!(asked["plan"]["action"], "terminate_instances");
    assert_eq!(asked["plan"]["arguments"]["instance_ids"], json!([id]));
    assert_eq!(asked["plan"]["environment"], "staging");
    assert_eq!(asked["plan"]["region"], "us-east-1");
    assert!(
        asked["summary"].as_str().unwrap().contains("in staging"),
        "{asked}"
    );
    assert_eq!(
        asked["approve_with"],
        format!("espada-aws approvals approve {req}")
    );
    assert_eq!(
        asked["sign_with"],
        format!("espada-aws approvals approve {req} --key ~/.ssh/id_ed25519")
    );
    assert!(
        asked["text_to_sign"]
            .as_str()
            .unwrap()
            .contains(&format!("approvals show {req} --canonical")),
        "{asked}"
    );
}

#[tokio::test]
async fn state_survives_a_restart_and_tampering_is_detected() {
    let m = moto().await;
    let state = temp_state();
    let id = m.launch_in(1, "production").await.remove(0);
    let req = {
        let d = m.strict_dispatcher(&state);
        let cr = guard(
            &d,
            json!({"action": "create_change_request", "title": "t", "description": "d"}),
        )
        .await
        .unwrap();
        let pending = ok(
            &d,
            json!({"action": "terminate_instances", "instance_ids": [id],
            "change_request_id": cr["data"]["id"]}),
        )
        .await;
        pending["approval_request_id"].as_str().unwrap().to_string()
    };
    // A new server process on the same file.
    let d = m.strict_dispatcher(&state);
    let got = guard(
        &d,
        json!({"action": "get_approval_request", "request_id": req}),
    )
    .await
    .unwrap();
    assert_eq!(got["data"]["status"], "pending");
    let logs = guard(
        &d,
        json!({"action": "query_audit_logs", "filter_action": "terminate_instances"}),
    )
    .await
    .unwrap();
    assert_eq!(
        logs["data"]["records"][0]["outcome"], "pending_approval",
        "{logs}"
    );
    let summary = guard(&d, json!({"action": "get_audit_log_summary"}))
        .await
        .unwrap();
    assert!(summary["data"]["total"].as_u64().unwrap() >= 3, "{summary}");

    let (okay, out) = cli(&state, &["audit", "verify"]);
    assert!(okay && out.contains("intact"), "{out}");
    let db = rusqlite::Connection::open(&state).unwrap();
    let seq: i64 = db
        .query_row(
            "SELECT seq FROM audit WHERE outcome = 'pending_approval' ORDER BY seq LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    db.execute(
        "UPDATE audit SET record = replace(record, 'pending_approval', 'ok') WHERE seq = ?1",
        [seq],
    )
    .unwrap();
    let (okay, out) = cli(&state, &["audit", "verify"]);
    assert!(
        !okay && out.contains(&format!("record {seq} was modified")),
        "{out}"
    );
    db.execute(
        "UPDATE audit SET record = replace(record, '\"ok\"', '\"pending_approval\"') WHERE seq = ?1",
        [seq],
    )
    .unwrap();
    let (okay, _) = cli(&state, &["audit", "verify"]);
    assert!(okay, "restoring the record restores the chain");
    db.execute("DELETE FROM audit WHERE seq = 1", []).unwrap();
    let (okay, out) = cli(&state, &["audit", "verify"]);
    assert!(!okay && out.contains("missing"), "{out}");
}

#[tokio::test]
async fn two_processes_racing_on_one_approval_execute_it_once() {
    let m = moto().await;
    let state = temp_state();
    let a = m.strict_dispatcher(&state);
    let b = m.strict_dispatcher(&state);
    let id = m.launch_in(1, "staging").await.remove(0);
    let args = json!({"action": "terminate_instances", "instance_ids": [id]});
    let pending = ok(&a, args.clone()).await;
    let req = pending["approval_request_id"].clone();
    a.guardrails
        .vote(&a.aws, req.as_str().unwrap(), ballot("erin", true))
        .await
        .unwrap();
    let run = with(&args, "approval_request_id", &req);
    let (ra, rb) = tokio::join!(
        call(&a, "aws_ec2", run.clone()),
        call(&b, "aws_ec2", run.clone())
    );
    let wins = [&ra, &rb].iter().filter(|r| r.is_ok()).count();
    assert_eq!(wins, 1, "exactly one execution: {ra:?} {rb:?}");
    assert_eq!(m.state_of(&id).await, "terminated");
    let audit = a
        .guardrails
        .store
        .query_audit(&Default::default(), 100)
        .unwrap()
        .0;
    let executed = audit
        .iter()
        .filter(|e| e.record.action == "terminate_instances" && e.record.outcome == "ok")
        .count();
    assert_eq!(executed, 1);
}

/// Every destructive action of every tool stops at the gate: with the shipped defaults an
/// unknown environment counts as production, so each one waits for approval.
#[tokio::test]
async fn every_destructive_action_is_gated() {
    let m = moto().await;
    let d = m.strict_dispatcher(&temp_state());
    let cr = guard(
        &d,
        json!({"action": "create_change_request", "title": "gate test", "description": "d"}),
    )
    .await
    .unwrap();
    let mut seen = 0;
    for tool in d.tools() {
        for a in tool
            .actions
            .iter()
            .filter(|a| a.access == Access::Destructive)
        {
            let schema = (a.schema)();
            let mut args = serde_json::Map::new();
            args.insert("action".into(), json!(a.name));
            args.insert("change_request_id".into(), cr["data"]["id"].clone());
            for field in schema["required"].as_array().into_iter().flatten() {
                let field = field.as_str().unwrap();
                let value = match schema["properties"][field]["type"].as_str() {
                    _ if field.contains("cidr") => json!("10.0.0.0/24"),
                    // Organizations ids are checked for their form before anything else.
                    _ if field == "account_id" => json!("210987654321"),
                    _ if field == "ou_id" => json!("ou-ab12-cd34ef56"),
                    _ if field == "policy_id" && tool.name == "aws_organization" => {
                        json!("p-abcd1234")
                    }
                    _ if field == "root_id" => json!("r-ab12"),
                    _ if field == "target_id" => json!("ou-ab12-cd34ef56"),
                    _ if field == "uuid" => json!("14e0db71-5d35-4eb5-b481-8945cf9d10c2"),
                    _ if field == "resource_share_arn" => {
                        json!("arn:aws:ram:us-east-1:123456789012:resource-share/0a1b2c3d-4e5f")
                    }
                    Some("array") => json!(["x-gate-test"]),
                    Some("boolean") => json!(true),
                    Some("integer") | Some("number") => json!(1),
                    Some("object") => json!({}),
                    _ => json!("x-gate-test"),
                };
                args.insert(field.into(), value);
            }
            // Actions whose cross-field rules need one of two optional fields.
            for either in ["key_name", "launch_template_id", "prefix"] {
                if schema["properties"].get(either).is_some() && !args.contains_key(either) {
                    args.insert(either.into(), json!("x-gate-test"));
                }
            }
            if a.name == "update_function_code" {
                args.insert("s3_uri".into(), json!("s3://x-gate-test/code.zip"));
            }
            let r = call(&d, tool.name, Value::Object(args.clone())).await;
            let r = r.unwrap_or_else(|e| panic!("{} {}: {e}", tool.name, a.name));
            assert_eq!(
                r["status"], "pending_approval",
                "{} {}: {r}",
                tool.name, a.name
            );
            seen += 1;
        }
    }
    assert!(seen >= 5, "checked {seen} destructive actions");
}

#[tokio::test]
async fn bucket_tags_set_the_environment() {
    let m = moto().await;
    let d = m.dispatcher();
    let s3 = m.s3();
    s3.create_bucket()
        .bucket("prod-assets")
        .send()
        .await
        .unwrap();
    let tag = aws_sdk_s3::types::Tag::builder()
        .key("Environment")
        .value("Production")
        .build()
        .unwrap();
    let tagging = aws_sdk_s3::types::Tagging::builder()
        .tag_set(tag)
        .build()
        .unwrap();
    s3.put_bucket_tagging()
        .bucket("prod-assets")
        .tagging(tagging)
        .send()
        .await
        .unwrap();
    let e = call(
        &d,
        "aws_s3",
        json!({"action": "delete_bucket", "bucket": "prod-assets"}),
    )
    .await
    .unwrap_err();
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("production changes need a change request"),
        "{e}"
    );
    assert!(
        s3.head_bucket().bucket("prod-assets").send().await.is_ok(),
        "the bucket is still there"
    );
}

#[tokio::test]
async fn load_balancing_tags_set_the_environment() {
    let m = moto().await;
    let d = m.dispatcher();
    let vpc = m.ec2().describe_vpcs().send().await.unwrap().vpcs()[0]
        .vpc_id()
        .unwrap()
        .to_string();
    let tg = m
        .elbv2()
        .create_target_group()
        .name("prod-web")
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
        .port(80)
        .vpc_id(vpc)
        .tags(
            aws_sdk_elasticloadbalancingv2::types::Tag::builder()
                .key("env")
                .value("prod")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let arn = tg.target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_string();
    let e = call(
        &d,
        "aws_ec2",
        json!({"action": "delete_target_group", "target_group_arn": arn}),
    )
    .await
    .unwrap_err();
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("production changes need a change request"),
        "{e}"
    );
    let held = m
        .elbv2()
        .describe_target_groups()
        .target_group_arns(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(held.target_groups().len(), 1);
}
