//! The aws_guardrails tool's own actions against moto (protections, change requests, approval
//! requests, policies, backups on demand, the audit log), and what an approval is bound to: an
//! open change request when it is asked for and when it is claimed, the environment and the
//! account, region and credentials context it was granted in.

use serde_json::{Value, json};

use crate::{
    harness::{call, moto, ok, temp_state},
    people::{self, Person, ballot},
};
use espada_aws::guardrails::environment::Environment;

use crate::approvals::{guard, with};

#[tokio::test]
async fn guardrails_tool_actions() {
    let m = moto().await;
    let d = m.strict_dispatcher(&temp_state());
    let id = m.launch_in(1, "production").await.remove(0);
    let target = json!({"target_tool": "aws_ec2", "target_action": "terminate_instances",
        "target_arguments": {"instance_ids": [id]}});
    let with_action = |action: &str| with(&target, "action", &json!(action));

    let c = guard(&d, json!({"action": "classify_action", "target_tool": "aws_ec2", "target_action": "modify_instance_attribute"})).await.unwrap();
    assert_eq!(
        (c["data"]["access"].as_str(), c["data"]["risk"].as_str()),
        (Some("write"), Some("high"))
    );

    let ev = guard(&d, with_action("evaluate_guardrails")).await.unwrap();
    assert_eq!(ev["data"]["decision"], "require_approval");
    assert_eq!(ev["data"]["evaluation"]["environment"], "production");
    let dry = guard(&d, with_action("perform_dry_run")).await.unwrap();
    assert_eq!(
        dry["data"]["aws_dry_run"]["data"]["would_succeed"],
        json!(true),
        "{dry}"
    );
    let checks = guard(&d, with_action("run_safety_checks")).await.unwrap();
    let approval = checks["data"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "approval")
        .unwrap()
        .clone();
    assert_eq!(approval["status"], "required");
    let impact = guard(&d, with_action("assess_impact")).await.unwrap();
    assert_eq!(impact["data"]["resource_count"], 1);
    assert_eq!(impact["data"]["services"], json!(["ec2"]));
    assert_eq!(impact["data"]["reversible"], json!(false));
    assert_eq!(
        m.state_of(&id).await,
        "running",
        "examining a call runs nothing"
    );

    // Protections of any environment change only as a production change (here: refused for
    // want of a change request); a person can still set them directly in the store.
    let p = guard(
        &d,
        json!({"action": "set_environment_protection", "environment": "development",
        "approval_required": false}),
    )
    .await
    .unwrap_err();
    assert!(
        p["message"].as_str().unwrap().contains("change request"),
        "{p}"
    );
    let development = espada_aws::guardrails::environment::Environment::Development;
    let mut tighter = d.guardrails.store.protection(development).unwrap();
    tighter.min_approvers = 1;
    d.guardrails
        .store
        .set_protection(development, &tighter)
        .unwrap();
    let got = guard(
        &d,
        json!({"action": "get_environment_protection", "environment": "development"}),
    )
    .await
    .unwrap();
    assert_eq!(got["data"]["development"]["min_approvers"], 1);
    let loosen = guard(
        &d,
        json!({"action": "set_environment_protection", "environment": "production",
        "approval_required": false}),
    )
    .await;
    let loosen = loosen.unwrap_or_else(|e| e);
    assert!(
        loosen["message"]
            .as_str()
            .unwrap_or("")
            .contains("change request")
            || loosen["status"] == "pending_approval",
        "{loosen}"
    );
    let production = espada_aws::guardrails::environment::Environment::Production;
    assert!(
        d.guardrails
            .store
            .protection(production)
            .unwrap()
            .approval_required
    );
    // Shared settings count as production changes too.
    let cr = guard(
        &d,
        json!({"action": "create_change_request", "title": "limits", "description": "raise"}),
    )
    .await
    .unwrap();
    let cr_id = cr["data"]["id"].clone();
    let pending = guard(&d, json!({"action": "set_rate_limit_config", "change_request_id": cr_id,
        "rate_limits": {"destructive": {"max_calls": 1000, "window_seconds": 60},
                        "write": {"max_calls": 1000, "window_seconds": 60}, "max_resources_per_call": 500}})).await.unwrap();
    assert_eq!(pending["status"], "pending_approval", "{pending}");
    assert_eq!(
        d.guardrails
            .store
            .rate_limits()
            .unwrap()
            .destructive
            .max_calls,
        10
    );
    let got = guard(&d, json!({"action": "get_rate_limit_config"}))
        .await
        .unwrap();
    assert_eq!(got["data"]["destructive"]["max_calls"], 10);
    let used = guard(&d, json!({"action": "check_rate_limit", "access": "write"}))
        .await
        .unwrap();
    assert_eq!(used["data"]["usage"][0]["bucket"], "write");
    let removed = guard(&d, json!({"action": "update_config", "time_zone": "Europe/Berlin", "change_request_id": cr_id})).await.unwrap();
    assert_eq!(removed["status"], "pending_approval");
    let bad_tz = guard(
        &d,
        json!({"action": "update_config", "time_zone": "Mars/Olympus"}),
    )
    .await
    .unwrap_err();
    assert!(
        bad_tz["message"]
            .as_str()
            .unwrap()
            .contains("unknown time zone")
    );

    // Approval requests made ahead of a call, listed and cancelled.
    let ahead = guard(
        &d,
        json!({"action": "create_approval_request", "target_tool": "aws_ec2",
        "target_action": "terminate_instances", "target_arguments": {"instance_ids": [id]},
        "reason": "decommission", "change_id": cr_id}),
    )
    .await
    .unwrap();
    let req = ahead["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(ahead["data"]["min_approvers"], 2);
    let listed = guard(&d, json!({"action": "list_approval_requests"}))
        .await
        .unwrap();
    assert!(
        listed["data"]["approval_requests"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == req.as_str())
    );
    guard(
        &d,
        json!({"action": "cancel_approval_request", "request_id": req}),
    )
    .await
    .unwrap();
    let got = guard(
        &d,
        json!({"action": "get_approval_request", "request_id": req}),
    )
    .await
    .unwrap();
    assert_eq!(got["data"]["status"], "cancelled");
    let e = guard(
        &d,
        json!({"action": "cancel_approval_request", "request_id": req}),
    )
    .await
    .unwrap_err();
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("cannot be cancelled")
    );

    // Change requests: people approve through approvals, the agent moves the rest.
    let e = guard(
        &d,
        json!({"action": "update_change_request_status", "change_id": cr_id, "status": "approved"}),
    )
    .await
    .unwrap_err();
    assert_eq!(e["error"], "invalid_input");
    guard(&d, json!({"action": "update_change_request_status", "change_id": cr_id, "status": "cancelled", "note": "not needed"})).await.unwrap();
    let list = guard(
        &d,
        json!({"action": "list_change_requests", "status": "cancelled"}),
    )
    .await
    .unwrap();
    assert_eq!(
        list["data"]["change_requests"][0]["history"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Policies.
    let cr2 = guard(
        &d,
        json!({"action": "create_change_request", "title": "policies", "description": "tidy"}),
    )
    .await
    .unwrap()["data"]["id"]
        .clone();
    let p = guard(
        &d,
        json!({"action": "add_policy", "name": "confirm-stops", "effect": "require_confirmation",
        "rule": {"actions": ["stop_instances"], "environments": ["development"]}}),
    )
    .await
    .unwrap();
    let pid = p["data"]["id"].clone();
    let dev = m.launch_in(1, "development").await.remove(0);
    let held = ok(
        &d,
        json!({"action": "stop_instances", "instance_ids": [dev]}),
    )
    .await;
    assert_eq!(held["status"], "confirmation_required", "{held}");
    assert_eq!(m.state_of(&dev).await, "running");
    let got = guard(&d, json!({"action": "get_policy", "policy_id": pid}))
        .await
        .unwrap();
    assert_eq!(got["data"]["effect"], "require_confirmation");
    let upd = guard(
        &d,
        json!({"action": "update_policy", "policy_id": pid, "enabled": false, "change_request_id": cr2}),
    )
    .await
    .unwrap();
    assert_eq!(
        upd["status"], "pending_approval",
        "policy changes are production changes: {upd}"
    );
    let rm = guard(
        &d,
        json!({"action": "remove_policy", "policy_id": pid, "change_request_id": cr2}),
    )
    .await
    .unwrap();
    assert_eq!(rm["status"], "pending_approval");
    assert_eq!(
        guard(&d, json!({"action": "list_policies"})).await.unwrap()["data"]["policies"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Backups on demand, and the audit log.
    let b = guard(&d, json!({"action": "create_pre_operation_backup", "instance_ids": [dev], "reason": "before patching"})).await.unwrap();
    let snap = b["data"]["backups"][0]["backup_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        m.ec2()
            .describe_snapshots()
            .snapshot_ids(&snap)
            .send()
            .await
            .unwrap()
            .snapshots()
            .len(),
        1
    );
    guard(
        &d,
        json!({"action": "log_action", "message": "patched by hand", "resource_ids": [dev]}),
    )
    .await
    .unwrap();
    let logs = guard(
        &d,
        json!({"action": "query_audit_logs", "outcome": "logged"}),
    )
    .await
    .unwrap();
    assert_eq!(logs["data"]["records"][0]["detail"], "patched by hand");
    let page = guard(&d, json!({"action": "query_audit_logs", "max_results": 2}))
        .await
        .unwrap();
    assert_eq!(page["data"]["records"].as_array().unwrap().len(), 2);
    let next = guard(
        &d,
        json!({"action": "query_audit_logs", "max_results": 2, "next_token": page["next_token"]}),
    )
    .await
    .unwrap();
    let seq = |v: &Value, i: usize| v["data"]["records"][i]["seq"].as_i64().unwrap();
    assert_eq!(seq(&next, 0), seq(&page, 1) - 1, "{page} {next}");
    let cfg = guard(&d, json!({"action": "get_config"})).await.unwrap();
    assert_eq!(cfg["data"]["protections"]["production"]["min_approvers"], 2);
    assert_eq!(cfg["data"]["time_zone"], "UTC");
}

/// Issue 9, hole 5: a production change carries an open change request when its approval is
/// requested and again when the approved call runs.
#[tokio::test]
async fn a_production_approval_needs_an_open_change_request_when_asked_and_when_claimed() {
    let m = moto().await;
    let state = temp_state();
    let d = m.strict_dispatcher(&state);
    let id = m.launch_in(1, "production").await.remove(0);
    let terminate = json!({"action": "terminate_instances", "instance_ids": [id]});
    let ask = |change: Option<&Value>| {
        let mut a = json!({"action": "create_approval_request", "target_tool": "aws_ec2",
            "target_action": "terminate_instances", "target_arguments": {"instance_ids": [id]},
            "reason": "decommission"});
        if let Some(c) = change {
            a["change_id"] = c.clone();
        }
        a
    };
    let (alice, bob) = (Person::new("alice"), Person::new("bob"));
    people::approvers(&state, Environment::Production, &[&alice, &bob]);
    let approve = |req: &str| {
        alice.approve(&state, req);
        bob.approve(&state, req);
    };
    let new_change = || async {
        guard(
            &d,
            json!({"action": "create_change_request", "title": "retire", "description": "d"}),
        )
        .await
        .unwrap()["data"]["id"]
            .clone()
    };

    // Asked without a change request: refused.
    let e = guard(&d, ask(None)).await.unwrap_err();
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("production changes need a change request"),
        "{e}"
    );

    // Asked while people had production need none, approved by two people; production needs
    // one again by the time the call comes back: refused.
    let production = espada_aws::guardrails::environment::Environment::Production;
    let strict = d.guardrails.store.protection(production).unwrap();
    let loose = espada_aws::guardrails::environment::Protection {
        change_request_required: false,
        ..strict
    };
    d.guardrails
        .store
        .set_protection(production, &loose)
        .unwrap();
    let req = guard(&d, ask(None)).await.unwrap()["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    approve(&req);
    d.guardrails
        .store
        .set_protection(production, &strict)
        .unwrap();
    let e = call(
        &d,
        "aws_ec2",
        with(&terminate, "approval_request_id", &json!(req)),
    )
    .await
    .unwrap_err();
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("carries no change request"),
        "{e}"
    );
    assert_eq!(m.state_of(&id).await, "running");

    // A change request the agent cancels after approval no longer carries the change.
    let cr = new_change().await;
    let req = guard(&d, ask(Some(&cr))).await.unwrap()["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    approve(&req);
    let got = guard(&d, json!({"action": "get_change_request", "change_id": cr}))
        .await
        .unwrap();
    assert_eq!(got["data"]["status"], "approved", "{got}");
    guard(
        &d,
        json!({"action": "update_change_request_status", "change_id": cr, "status": "cancelled"}),
    )
    .await
    .unwrap();
    let e = call(
        &d,
        "aws_ec2",
        with(&terminate, "approval_request_id", &json!(req)),
    )
    .await
    .unwrap_err();
    assert!(
        e["message"].as_str().unwrap().contains("is cancelled"),
        "{e}"
    );
    assert_eq!(m.state_of(&id).await, "running");

    // With an open change request, the approved call runs with approval_request_id alone.
    let cr = new_change().await;
    let req = guard(&d, ask(Some(&cr))).await.unwrap()["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    approve(&req);
    ok(&d, with(&terminate, "approval_request_id", &json!(req))).await;
    assert_eq!(m.state_of(&id).await, "terminated");
    let got = guard(&d, json!({"action": "get_change_request", "change_id": cr}))
        .await
        .unwrap();
    assert_eq!(got["data"]["status"], "implemented", "{got}");
}

/// Issue 9, hole 5: a change request people rejected cannot be moved back by the agent, nor
/// carry another approval request.
#[tokio::test]
async fn a_change_request_people_rejected_stays_rejected() {
    let m = moto().await;
    let state = temp_state();
    let d = m.strict_dispatcher(&state);
    let id = m.launch_in(1, "production").await.remove(0);
    let cr = guard(
        &d,
        json!({"action": "create_change_request", "title": "retire", "description": "d"}),
    )
    .await
    .unwrap()["data"]["id"]
        .clone();
    let args = json!({"action": "terminate_instances", "instance_ids": [id],
                      "change_request_id": cr});
    let req = ok(&d, args.clone()).await["approval_request_id"]
        .as_str()
        .unwrap()
        .to_string();
    let carol = Person::new("carol");
    people::approvers(&state, Environment::Production, &[&carol]);
    let (okay, out) = carol.vote(&state, &req, false);
    assert!(okay && out.contains("rejected"), "{out}");
    let status = |v: Value| v["data"]["status"].as_str().unwrap().to_string();
    let got = guard(&d, json!({"action": "get_change_request", "change_id": cr}))
        .await
        .unwrap();
    assert_eq!(status(got), "rejected");

    for to in ["submitted", "draft", "cancelled", "implemented"] {
        let e = guard(
            &d,
            json!({"action": "update_change_request_status", "change_id": cr, "status": to}),
        )
        .await
        .unwrap_err();
        assert!(
            e["message"].as_str().unwrap().contains("closed"),
            "{to}: {e}"
        );
    }
    let got = guard(&d, json!({"action": "get_change_request", "change_id": cr}))
        .await
        .unwrap();
    assert_eq!(status(got), "rejected", "still rejected");
    let e = call(&d, "aws_ec2", args).await.unwrap_err();
    assert!(
        e["message"].as_str().unwrap().contains("is rejected"),
        "{e}"
    );
    assert_eq!(m.state_of(&id).await, "running");

    // The moves the agent may make.
    let draft = guard(
        &d,
        json!({"action": "create_change_request", "title": "later", "description": "d",
               "draft": true}),
    )
    .await
    .unwrap()["data"]["id"]
        .clone();
    let moved = guard(
        &d,
        json!({"action": "update_change_request_status", "change_id": draft, "status": "submitted"}),
    )
    .await
    .unwrap();
    assert_eq!(status(moved), "submitted");
}

/// Issue 9, hole 7: an approval granted for staging does not run a call whose target has
/// become production since; it runs again once the target is back where people approved it.
#[tokio::test]
async fn an_approval_granted_for_staging_does_not_run_once_the_target_is_production() {
    use aws_sdk_ec2::types::Tag;
    let m = moto().await;
    let d = m.strict_dispatcher(&temp_state());
    let id = m.launch_in(1, "staging").await.remove(0);
    let args = json!({"action": "terminate_instances", "instance_ids": [id]});
    let pending = ok(&d, args.clone()).await;
    assert_eq!(pending["evaluation"]["environment"], "staging");
    let req = pending["approval_request_id"].clone();
    d.guardrails
        .vote(&d.aws, req.as_str().unwrap(), ballot("carol", true))
        .await
        .unwrap();
    let retag = |env: &'static str| {
        let ec2 = m.ec2();
        let id = id.clone();
        async move {
            ec2.create_tags()
                .resources(id)
                .tags(Tag::builder().key("Environment").value(env).build())
                .send()
                .await
                .unwrap();
        }
    };
    retag("production").await;
    let e = call(&d, "aws_ec2", with(&args, "approval_request_id", &req))
        .await
        .unwrap_err();
    let msg = e["message"].as_str().unwrap();
    assert!(
        msg.contains("approved for staging") && msg.contains("now production"),
        "{msg}"
    );
    assert_eq!(m.state_of(&id).await, "running");
    let still = guard(
        &d,
        json!({"action": "get_approval_request", "request_id": req}),
    )
    .await
    .unwrap();
    assert_eq!(
        still["data"]["status"], "approved",
        "a refused claim spends nothing"
    );

    retag("staging").await;
    ok(&d, with(&args, "approval_request_id", &req)).await;
    assert_eq!(m.state_of(&id).await, "terminated");
}

/// Issue 9, hole 7: an approval is bound to the account, region and credentials context it
/// was granted in.
#[tokio::test]
async fn an_approval_is_bound_to_its_account_and_region() {
    let m = moto().await;
    let state = temp_state();
    let d = m.strict_dispatcher(&state);
    let id = m.launch_in(1, "staging").await.remove(0);
    let args = json!({"action": "terminate_instances", "instance_ids": [id]});
    let pending = ok(&d, args.clone()).await;
    let req = pending["approval_request_id"].as_str().unwrap().to_string();
    let shown = guard(
        &d,
        json!({"action": "get_approval_request", "request_id": req}),
    )
    .await
    .unwrap();
    assert_eq!(
        shown["data"]["context"],
        json!({"account": "123456789012", "region": "us-east-1", "profile": null}),
        "{shown}"
    );
    d.guardrails
        .vote(&d.aws, &req, ballot("carol", true))
        .await
        .unwrap();
    let run = with(&args, "approval_request_id", &json!(req));

    // The same arguments from a server whose region is another one.
    let elsewhere = espada_aws::dispatch::Dispatcher::new(&espada_aws::settings::Settings {
        region: Some("eu-west-1".into()),
        state: Some(state.clone()),
        ..m.settings()
    })
    .unwrap();
    let e = call(&elsewhere, "aws_ec2", run.clone()).await.unwrap_err();
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("region us-east-1, and the call runs in eu-west-1"),
        "{e}"
    );

    // The same request, as if it had been granted in another account.
    let db = rusqlite::Connection::open(&state).unwrap();
    db.execute(
        "UPDATE approvals SET body = replace(body, '\"account\":\"123456789012\"',
             '\"account\":\"210987654321\"') WHERE id = ?1",
        [&req],
    )
    .unwrap();
    let e = call(&d, "aws_ec2", run.clone()).await.unwrap_err();
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("account 210987654321, and the credentials now act in 123456789012"),
        "{e}"
    );
    assert_eq!(m.state_of(&id).await, "running");
}
