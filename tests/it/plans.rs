//! Plans (issue 16): a change request that carries the steps it authorises, approved once by
//! people, then run step by step: each step exactly as approved, in order, once, in the
//! approved account and region, with placeholders filled from earlier steps' results.
//! Everything is checked against what moto holds afterwards.

use aws_sdk_ec2::types::{Filter, Tag, TagSpecification};
use aws_sdk_elasticloadbalancingv2::types::Tag as ElbTag;
use espada_aws::{
    dispatch::Dispatcher,
    guardrails::{
        approvals::{ApprovalRequest, Ballot, Proof, canonical_text},
        environment::Environment,
        policy::Effect,
        signing::NAMESPACE,
        store::new_id,
    },
};
use serde_json::{Value, json};
use ssh_key::{HashAlg, LineEnding};

use crate::{
    harness::{Moto, call, moto, temp_state},
    people::{self, Person, ballot},
};

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn with(args: &Value, key: &str, value: Value) -> Value {
    let mut a = args.clone();
    a[key] = value;
    a
}

/// A production VPC with two subnets and an internet-facing ALB, as a web tier starts from.
async fn production_network(m: &Moto) -> (String, String) {
    let ec2 = m.ec2();
    let tag = |t| {
        TagSpecification::builder()
            .resource_type(t)
            .tags(
                Tag::builder()
                    .key("Environment")
                    .value("production")
                    .build(),
            )
            .build()
    };
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.40.0.0/16")
        .tag_specifications(tag(aws_sdk_ec2::types::ResourceType::Vpc))
        .send()
        .await
        .unwrap()
        .vpc()
        .unwrap()
        .vpc_id()
        .unwrap()
        .to_string();
    let mut subnets = Vec::new();
    for (cidr, az) in [
        ("10.40.1.0/24", "us-east-1a"),
        ("10.40.2.0/24", "us-east-1b"),
    ] {
        subnets.push(
            ec2.create_subnet()
                .vpc_id(&vpc)
                .cidr_block(cidr)
                .availability_zone(az)
                .send()
                .await
                .unwrap()
                .subnet()
                .unwrap()
                .subnet_id()
                .unwrap()
                .to_string(),
        );
    }
    let lb = m
        .elbv2()
        .create_load_balancer()
        .name(format!("web-{}", &new_id("x")[2..10]))
        .set_subnets(Some(subnets))
        .tags(
            ElbTag::builder()
                .key("Environment")
                .value("production")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let lb_arn = lb.load_balancers()[0]
        .load_balancer_arn()
        .unwrap()
        .to_string();
    (vpc, lb_arn)
}

/// The six steps of the web tier: a security group, three rules on it (its id from step 1),
/// a target group, and a listener forwarding to it (its ARN from step 5).
fn web_tier(name: &str, vpc: &str, lb: &str, third_port: i32) -> Vec<Value> {
    let group = json!({"$step": 1, "path": "group_id"});
    let rule = |port: i32, cidr: &str| {
        json!({"tool": "aws_network", "action": "authorize_security_group", "arguments": {
            "group_id": group, "protocol": "tcp", "from_port": port, "to_port": port,
            "cidr_blocks": [cidr]}})
    };
    vec![
        json!({"tool": "aws_network", "action": "create_security_group", "arguments": {
            "group_name": name, "description": "web tier", "vpc_id": vpc,
            "tags": {"Environment": "production"}}}),
        rule(80, "0.0.0.0/0"),
        rule(third_port, "0.0.0.0/0"),
        rule(8080, "10.40.0.0/16"),
        json!({"tool": "aws_ec2", "action": "create_target_group", "arguments": {
            "name": name, "protocol": "HTTP", "port": 8080, "vpc_id": vpc,
            "tags": {"Environment": "production"}}}),
        json!({"tool": "aws_ec2", "action": "create_listener", "arguments": {
            "load_balancer_arn": lb, "protocol": "HTTP", "port": 80,
            "target_group_arn": {"$step": 5, "path": "target_group_arn"}}}),
    ]
}

async fn propose(d: &Dispatcher, steps: &[Value]) -> Result<Value, Value> {
    call(
        d,
        "aws_guardrails",
        json!({"action": "create_change_request", "title": "web tier",
               "description": "security group, rules, target group and listener",
               "rollback_plan": "delete the listener, the target group and the group",
               "steps": steps}),
    )
    .await
}

/// Step `n` of `steps` as the agent repeats it: the call as proposed, with plan_id and
/// plan_step.
fn step_call(steps: &[Value], n: usize, plan: &str) -> (String, Value) {
    let st = &steps[n - 1];
    let mut args = st["arguments"].clone();
    args["action"] = st["action"].clone();
    args["plan_id"] = json!(plan);
    args["plan_step"] = json!(n);
    (s(&st["tool"]).to_string(), args)
}

async fn run(d: &Dispatcher, steps: &[Value], n: usize, plan: &str) -> Result<Value, Value> {
    let (tool, args) = step_call(steps, n, plan);
    call(d, &tool, args).await
}

fn request(d: &Dispatcher, id: &str) -> ApprovalRequest {
    d.guardrails.store.approval(id).unwrap().unwrap()
}

fn signed(p: &Person, req: &ApprovalRequest) -> Ballot {
    let pem = p
        .key
        .sign(
            NAMESPACE,
            HashAlg::Sha512,
            canonical_text(req, true).as_bytes(),
        )
        .unwrap()
        .to_pem(LineEnding::LF)
        .unwrap();
    Ballot {
        proof: Proof::Signature(pem),
        approve: true,
        display_name: None,
        comment: None,
    }
}

async fn groups_named(m: &Moto, name: &str) -> Vec<aws_sdk_ec2::types::SecurityGroup> {
    m.ec2()
        .describe_security_groups()
        .filters(Filter::builder().name("group-name").values(name).build())
        .send()
        .await
        .unwrap()
        .security_groups()
        .to_vec()
}

async fn target_groups_named(m: &Moto, name: &str) -> usize {
    m.elbv2()
        .describe_target_groups()
        .send()
        .await
        .unwrap()
        .target_groups()
        .iter()
        .filter(|t| t.target_group_name() == Some(name))
        .count()
}

fn statuses(plan: &Value) -> Vec<String> {
    plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_web_tier_plan_approved_once_by_two_signatures_runs_step_by_step() {
    let m = moto().await;
    let state = temp_state();
    let d = m.strict_dispatcher(&state);
    let (alice, bob) = (Person::new("alice"), Person::new("bob"));
    people::approvers(&state, Environment::Production, &[&alice, &bob]);
    let mut p = d
        .guardrails
        .store
        .protection(Environment::Production)
        .unwrap();
    p.signed_approvals = true;
    d.guardrails
        .store
        .set_protection(Environment::Production, &p)
        .unwrap();
    let (vpc, lb) = production_network(&m).await;
    let name = format!("web-{}", &new_id("x")[2..10]);
    let steps = web_tier(&name, &vpc, &lb, 443);

    // The proposal: every step evaluated, one approval request for the whole plan.
    let proposed = propose(&d, &steps).await.unwrap();
    assert_eq!(proposed["status"], "pending_approval", "{proposed}");
    let plan = s(&proposed["plan_id"]).to_string();
    let req_id = s(&proposed["approval_request_id"]).to_string();
    let cr = s(&proposed["data"]["change_request_id"]).to_string();
    assert_eq!(proposed["data"]["environment"], "production");
    assert_eq!(proposed["data"]["min_approvers"], 2);
    assert_eq!(proposed["data"]["signed_approvals"], true);
    let views = proposed["data"]["steps"].as_array().unwrap();
    assert_eq!(views.len(), 6);
    assert_eq!(views[1]["uses"], json!([1]));
    assert_eq!(
        views[1]["arguments"]["group_id"],
        json!({"$step": 1, "path": "group_id"})
    );
    // Step 1 was dry-run by AWS; the rules wait for the group.
    assert!(
        views[0]["findings"].to_string().contains("AWS dry run"),
        "{}",
        views[0]
    );
    assert!(
        views[1]["findings"].to_string().contains("step(s) 1"),
        "{}",
        views[1]
    );
    assert!(
        views[5]["findings"].to_string().contains(&lb),
        "{}",
        views[5]
    );
    assert!(
        groups_named(&m, &name).await.is_empty(),
        "a proposal changes nothing"
    );

    // What people read and sign lists every step and carries the plan's hash.
    let req = request(&d, &req_id);
    let text = canonical_text(&req, true);
    assert!(text.contains(&format!("plan: {plan}")), "{text}");
    assert!(
        text.contains(&format!(
            "arguments-sha256: {}",
            proposed["data"]["plan_sha256"].as_str().unwrap()
        )),
        "{text}"
    );
    assert!(text.contains("step 6: aws_ec2 create_listener"), "{text}");
    assert!(text.contains("environment: production"), "{text}");
    // The question a person answers in the client lists the steps too.
    let asked = espada_aws::guardrails::approvals::question(&req);
    assert!(
        asked.contains("6 step(s)")
            && asked.contains("1. aws_network create_security_group")
            && asked.contains("6. aws_ec2 create_listener"),
        "{asked}"
    );
    // What `approvals show` prints: every step with its risk, flags and findings.
    let shown = serde_json::to_value(&req).unwrap();
    assert_eq!(shown["plan"]["steps"].as_array().unwrap().len(), 6);
    assert!(
        shown["plan"]["steps"][0]["risk_flags"]
            .as_array()
            .is_some_and(|f| !f.is_empty()),
        "{shown}"
    );

    // Nothing runs while pending.
    let e = run(&d, &steps, 1, &plan).await.unwrap_err();
    assert!(s(&e["message"]).contains("still pending"), "{e}");

    // A signature over another plan does not approve this one.
    let other = propose(&d, &web_tier(&format!("{name}-b"), &vpc, &lb, 443))
        .await
        .unwrap();
    let other_req = request(&d, s(&other["approval_request_id"]));
    let forged = signed(&alice, &other_req);
    let e = d
        .guardrails
        .vote(&d.aws, &req_id, forged)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("does not count"), "{e}");
    // An unsigned vote does not count where only signatures do.
    assert!(
        d.guardrails
            .vote(&d.aws, &req_id, ballot("carol", true))
            .await
            .is_err()
    );

    d.guardrails
        .vote(&d.aws, &req_id, signed(&alice, &req))
        .await
        .unwrap();
    let approved = d
        .guardrails
        .vote(&d.aws, &req_id, signed(&bob, &req))
        .await
        .unwrap();
    assert_eq!(approved.status.as_str(), "approved");

    // Out of order, other arguments, another approval's field: refused, nothing changes.
    let e = run(&d, &steps, 2, &plan).await.unwrap_err();
    assert!(s(&e["message"]).contains("out of order"), "{e}");
    let (tool, args) = step_call(&steps, 1, &plan);
    let e = call(
        &d,
        &tool,
        with(&args, "group_name", json!(format!("{name}-x"))),
    )
    .await
    .unwrap_err();
    assert!(s(&e["message"]).contains("other arguments"), "{e}");
    let e = call(&d, &tool, with(&args, "approval_request_id", json!(req_id)))
        .await
        .unwrap_err();
    assert!(s(&e["message"]).contains("drop approval_request_id"), "{e}");
    // The plan's approval lets no single call run.
    let mut single = args.clone();
    single.as_object_mut().unwrap().remove("plan_id");
    single.as_object_mut().unwrap().remove("plan_step");
    let e = call(
        &d,
        &tool,
        with(&single, "approval_request_id", json!(req_id)),
    )
    .await
    .unwrap_err();
    assert!(s(&e["message"]).contains("approves plan"), "{e}");
    assert!(groups_named(&m, &name).await.is_empty());
    assert!(groups_named(&m, &format!("{name}-x")).await.is_empty());

    // Step 1, raced by two calls from two processes on one state file: it runs once.
    let d2 = m.strict_dispatcher(&state);
    let (a, b) = tokio::join!(run(&d, &steps, 1, &plan), run(&d2, &steps, 1, &plan));
    let (won, lost) = match (a, b) {
        (Ok(w), Err(l)) | (Err(l), Ok(w)) => (w, l),
        other => panic!("exactly one call runs step 1: {other:?}"),
    };
    assert!(s(&lost["message"]).contains("step 1 of plan"), "{lost}");
    let group_id = s(&won["data"]["group_id"]).to_string();
    assert_eq!(won["plan"]["next_step"], 2, "{won}");
    assert_eq!(groups_named(&m, &name).await.len(), 1);
    // Twice: refused.
    let e = run(&d, &steps, 1, &plan).await.unwrap_err();
    assert!(s(&e["message"]).contains("already ran"), "{e}");

    // The rest, step by step; a step may also be matched by its arguments alone.
    for n in 2..=5 {
        let done = run(&d, &steps, n, &plan).await.unwrap();
        assert!(
            s(&done["summary"]).contains(&format!("step {n} of plan")),
            "{done}"
        );
    }
    let (tool, mut args) = step_call(&steps, 6, &plan);
    args.as_object_mut().unwrap().remove("plan_step");
    let last = call(&d, &tool, args).await.unwrap();
    assert_eq!(last["plan"]["status"], "implemented", "{last}");

    // Moto holds exactly what the plan said.
    let groups = groups_named(&m, &name).await;
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].group_id(), Some(group_id.as_str()));
    let mut ports: Vec<(i32, String)> = groups[0]
        .ip_permissions()
        .iter()
        .flat_map(|p| {
            p.ip_ranges()
                .iter()
                .map(move |r| (p.from_port().unwrap(), r.cidr_ip().unwrap().to_string()))
        })
        .collect();
    ports.sort();
    assert_eq!(
        ports,
        [
            (80, "0.0.0.0/0".to_string()),
            (443, "0.0.0.0/0".to_string()),
            (8080, "10.40.0.0/16".to_string())
        ]
    );
    assert_eq!(target_groups_named(&m, &name).await, 1);
    let listeners = m
        .elbv2()
        .describe_listeners()
        .load_balancer_arn(&lb)
        .send()
        .await
        .unwrap();
    assert_eq!(listeners.listeners().len(), 1);
    let forwards_to = listeners.listeners()[0].default_actions()[0]
        .target_group_arn()
        .unwrap()
        .to_string();
    assert!(forwards_to.contains(&name), "{forwards_to}");

    // The change request is implemented, the approval spent, every step linked in the audit.
    let shown = call(
        &d,
        "aws_guardrails",
        json!({"action": "get_change_request", "change_id": cr}),
    )
    .await
    .unwrap();
    assert_eq!(shown["data"]["status"], "implemented", "{shown}");
    assert_eq!(statuses(&shown["data"]["plan"]), ["ran"; 6]);
    let step2 = &shown["data"]["plan"]["steps"][1];
    assert_eq!(step2["resolved_arguments"]["group_id"], json!(group_id));
    let intent = step2["audit"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "intent")
        .unwrap();
    assert_eq!(intent["plan_id"], json!(plan));
    assert_eq!(intent["plan_step"], 2);
    assert_eq!(intent["input"]["group_id"], json!(group_id), "{intent}");
    assert_eq!(request(&d, &req_id).status.as_str(), "executed");
    let (records, _) = d
        .guardrails
        .store
        .query_audit(&Default::default(), 500)
        .unwrap();
    let mut linked: Vec<u32> = records
        .iter()
        .filter(|r| r.record.plan_id.as_deref() == Some(plan.as_str()))
        .filter(|r| r.record.kind == "intent")
        .filter_map(|r| r.record.plan_step)
        .collect();
    linked.sort();
    assert_eq!(linked, [1, 2, 3, 4, 5, 6]);
    // Once implemented, nothing more runs under the plan.
    let e = run(&d, &steps, 6, &plan).await.unwrap_err();
    assert!(s(&e["message"]).contains("plan"), "{e}");
    assert_eq!(
        m.elbv2()
            .describe_listeners()
            .load_balancer_arn(&lb)
            .send()
            .await
            .unwrap()
            .listeners()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_failing_third_step_stops_the_plan() {
    let m = moto().await;
    let state = temp_state();
    let d = m.strict_dispatcher(&state);
    let (vpc, lb) = production_network(&m).await;
    let name = format!("web-{}", &new_id("x")[2..10]);
    // Step 3 repeats step 2's rule: EC2 refuses a duplicate permission.
    let steps = web_tier(&name, &vpc, &lb, 80);
    let proposed = propose(&d, &steps).await.unwrap();
    let plan = s(&proposed["plan_id"]).to_string();
    let req = s(&proposed["approval_request_id"]).to_string();
    let cr = s(&proposed["data"]["change_request_id"]).to_string();
    for who in ["carol", "dave"] {
        d.guardrails
            .vote(&d.aws, &req, ballot(who, true))
            .await
            .unwrap();
    }
    run(&d, &steps, 1, &plan).await.unwrap();
    run(&d, &steps, 2, &plan).await.unwrap();
    let e = run(&d, &steps, 3, &plan).await.unwrap_err();
    assert_eq!(e["error"], "aws", "{e}");
    assert_eq!(
        statuses(&e["plan"]),
        ["ran", "ran", "failed", "skipped", "skipped", "skipped"],
        "{e}"
    );
    assert_eq!(e["plan"]["status"], "failed");
    assert!(
        s(&e["plan"]["rollback_plan"]).contains("delete the listener"),
        "{e}"
    );
    let e = run(&d, &steps, 4, &plan).await.unwrap_err();
    assert!(s(&e["message"]).contains("stopped"), "{e}");

    let shown = call(
        &d,
        "aws_guardrails",
        json!({"action": "get_change_request", "change_id": cr}),
    )
    .await
    .unwrap();
    assert_eq!(shown["data"]["status"], "failed", "{shown}");
    assert!(
        s(&shown["summary"]).contains("2 ran, 1 failed, 3 skipped"),
        "{shown}"
    );
    assert!(shown["data"]["plan"]["steps"][2]["error"].is_string());

    // Moto: the group with its one rule; no target group, no listener.
    let groups = groups_named(&m, &name).await;
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].ip_permissions().len(), 1);
    assert_eq!(target_groups_named(&m, &name).await, 0);
    let listeners = m
        .elbv2()
        .describe_listeners()
        .load_balancer_arn(&lb)
        .send()
        .await
        .unwrap();
    assert!(listeners.listeners().is_empty());
}

#[tokio::test]
async fn a_step_a_policy_denies_refuses_the_plan_at_proposal() {
    let m = moto().await;
    let state = temp_state();
    let d = m.strict_dispatcher(&state);
    d.guardrails
        .store
        .add_policy(
            "no-new-listeners",
            Some("listeners go through the network team".into()),
            Effect::Deny,
            serde_json::from_value(json!({"tools": ["aws_ec2"], "actions": ["create_listener"]}))
                .unwrap(),
        )
        .unwrap();
    let (vpc, lb) = production_network(&m).await;
    let name = format!("web-{}", &new_id("x")[2..10]);
    let e = propose(&d, &web_tier(&name, &vpc, &lb, 443))
        .await
        .unwrap_err();
    let msg = s(&e["message"]);
    assert!(
        msg.starts_with("step 6 (aws_ec2 create_listener) is refused")
            && msg.contains("no-new-listeners")
            && msg.contains("network team"),
        "{msg}"
    );
    assert!(d.guardrails.store.changes(None, 10).unwrap().is_empty());
    assert!(d.guardrails.store.approvals(None, 10).unwrap().is_empty());
    assert!(groups_named(&m, &name).await.is_empty());
}

#[tokio::test]
async fn a_step_that_could_never_run_is_refused_with_its_number() {
    let m = moto().await;
    let d = m.strict_dispatcher(&temp_state());
    let (vpc, lb) = production_network(&m).await;
    let good = web_tier("never", &vpc, &lb, 443);
    let cases: Vec<(usize, Value, &str)> = vec![
        (
            2,
            json!({"tool": "aws_network", "action": "no_such_action"}),
            "step 2: unknown action",
        ),
        (
            3,
            json!({"tool": "aws_network", "action": "authorize_security_group",
                   "arguments": {"group_id": {"$step": 1, "path": "group_id"}, "protocol": "tcp"}}),
            "step 3:",
        ),
        (
            2,
            json!({"tool": "aws_network", "action": "authorize_security_group",
                   "arguments": {"group_id": {"$step": 4, "path": "group_id"}, "protocol": "tcp",
                                 "from_port": 22, "to_port": 22, "cidr_blocks": ["10.0.0.0/8"]}}),
            "only earlier steps",
        ),
        (
            2,
            json!({"tool": "aws_network", "action": "list_security_groups"}),
            "reads need no plan",
        ),
        (
            1,
            json!({"tool": "aws_network", "action": "create_security_group", "arguments": {
                "group_name": "x", "description": "x", "vpc_id": vpc, "confirm_token": "t"}}),
            "step 1: confirm_token is not part of a step",
        ),
        (
            2,
            json!({"tool": "aws_guardrails", "action": "add_policy"}),
            "not plan steps",
        ),
        (
            2,
            json!({"tool": "aws_network", "action": "authorize_security_group",
                   "arguments": {"group_id": {"$step": 1, "path": "group_id"}, "protocol": "tcp",
                                 "from_port": 80, "to_port": 80, "cidr_blocks": ["10.0.0.0/8"],
                                 "region": "eu-west-1"}}),
            "one region",
        ),
    ];
    for (n, step, want) in cases {
        let mut steps = good.clone();
        steps[n - 1] = step;
        let e = propose(&d, &steps).await.unwrap_err();
        assert!(s(&e["message"]).contains(want), "{want}: {e}");
    }
    assert!(d.guardrails.store.approvals(None, 10).unwrap().is_empty());
}

/// A web-tier plan approved by two people (unsigned votes): its steps, plan id and request.
async fn approved(d: &Dispatcher, name: &str, vpc: &str, lb: &str) -> (Vec<Value>, String, String) {
    let steps = web_tier(name, vpc, lb, 443);
    let proposed = propose(d, &steps).await.unwrap();
    let req = s(&proposed["approval_request_id"]).to_string();
    for who in ["carol", "dave"] {
        d.guardrails
            .vote(&d.aws, &req, ballot(who, true))
            .await
            .unwrap();
    }
    (steps, s(&proposed["plan_id"]).to_string(), req)
}

#[tokio::test]
async fn a_plan_runs_only_where_and_as_approved_and_while_valid() {
    let m = moto().await;
    let state = temp_state();
    let d = m.strict_dispatcher(&state);
    let (vpc, lb) = production_network(&m).await;

    // Another region: refused.
    let name = format!("web-{}", &new_id("x")[2..10]);
    let (steps, plan, _) = approved(&d, &name, &vpc, &lb).await;
    let elsewhere = Dispatcher::new(&espada_aws::settings::Settings {
        region: Some("eu-west-1".into()),
        state: Some(state.clone()),
        ..m.settings()
    })
    .unwrap();
    let e = run(&elsewhere, &steps, 1, &plan).await.unwrap_err();
    assert!(
        s(&e["message"]).contains("region us-east-1, and the call runs in eu-west-1"),
        "{e}"
    );
    // Another account (the approval as if granted there): refused.
    let db = rusqlite::Connection::open(&state).unwrap();
    db.execute(
        "UPDATE approvals SET body = replace(body, '\"account\":\"123456789012\"',
             '\"account\":\"210987654321\"') WHERE body LIKE ?1",
        [format!("%{plan}%")],
    )
    .unwrap();
    let e = run(&d, &steps, 1, &plan).await.unwrap_err();
    let msg = s(&e["message"]);
    assert!(
        msg.contains("not the plan people approved") || msg.contains("another context"),
        "{e}"
    );
    assert!(groups_named(&m, &name).await.is_empty());

    // A step changed in the state file after approval: the plan does not run.
    let name = format!("web-{}", &new_id("x")[2..10]);
    let (steps, plan, _) = approved(&d, &name, &vpc, &lb).await;
    db.execute(
        "UPDATE plan_steps SET args_hash = ?2 WHERE plan_id = ?1 AND step = 2",
        rusqlite::params![plan, "0".repeat(64)],
    )
    .unwrap();
    let e = run(&d, &steps, 1, &plan).await.unwrap_err();
    assert!(
        s(&e["message"]).contains("not the plan people approved"),
        "{e}"
    );
    assert!(groups_named(&m, &name).await.is_empty());

    // A step whose answer was lost (claimed, outcome never recorded) never runs again, and the
    // plan waits for people to look.
    let name = format!("web-{}", &new_id("x")[2..10]);
    let (steps, plan, _) = approved(&d, &name, &vpc, &lb).await;
    db.execute(
        "UPDATE plan_steps SET status = 'running' WHERE plan_id = ?1 AND step = 1",
        [&plan],
    )
    .unwrap();
    let e = run(&d, &steps, 1, &plan).await.unwrap_err();
    assert!(s(&e["message"]).contains("does not run again"), "{e}");
    let e = run(&d, &steps, 2, &plan).await.unwrap_err();
    assert!(s(&e["message"]).contains("step 1 of plan"), "{e}");
    assert!(groups_named(&m, &name).await.is_empty());

    // Expired: refused.
    let name = format!("web-{}", &new_id("x")[2..10]);
    let (steps, plan, req) = approved(&d, &name, &vpc, &lb).await;
    db.execute("UPDATE approvals SET expires_at = 1 WHERE id = ?1", [&req])
        .unwrap();
    let e = run(&d, &steps, 1, &plan).await.unwrap_err();
    assert!(s(&e["message"]).contains("expired"), "{e}");
    assert!(groups_named(&m, &name).await.is_empty());
}
