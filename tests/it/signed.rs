//! Approvals from people the server can verify: signed votes checked against the approvers'
//! `allowed_signers`, unsigned votes only from a person at a terminal, changes of approvers
//! signed by the existing ones, and an agent with a shell that tries to approve for itself.

use std::process::Command;

use espada_aws::guardrails::{
    approvals::{Ballot, Proof, canonical_text},
    environment::Environment,
    signing::NAMESPACE,
};
use serde_json::{Value, json};
use ssh_key::{HashAlg, LineEnding};

use crate::{
    harness::{call, cli, moto, ok, temp_state},
    people::{self, Person, at_terminal, ballot},
};

fn with(args: &Value, key: &str, value: &Value) -> Value {
    let mut a = args.clone();
    a[key] = value.clone();
    a
}

fn sign(p: &Person, text: &str) -> String {
    p.key
        .sign(NAMESPACE, HashAlg::Sha512, text.as_bytes())
        .unwrap()
        .to_pem(LineEnding::LF)
        .unwrap()
}

fn signature_file(pem: &str) -> std::path::PathBuf {
    let path = temp_state().with_extension("sig");
    std::fs::write(&path, pem).unwrap();
    path
}

fn signed_only(d: &espada_aws::dispatch::Dispatcher, env: Environment) {
    let mut p = d.guardrails.store.protection(env).unwrap();
    p.signed_approvals = true;
    d.guardrails.store.set_protection(env, &p).unwrap();
}

#[tokio::test]
async fn two_signed_approvals_run_a_production_call_once_and_forgeries_do_not_count() {
    let m = moto().await;
    let state = temp_state();
    let d = m.strict_dispatcher(&state);
    let (alice, bob, mallory) = (
        Person::new("alice"),
        Person::new("bob"),
        Person::new("mallory"),
    );
    people::approvers(&state, Environment::Production, &[&alice, &bob]);
    signed_only(&d, Environment::Production);
    let ids = m.launch_in(2, "production").await;
    let cr = call(
        &d,
        "aws_guardrails",
        json!({"action": "create_change_request", "title": "retire web-1", "description": "d",
               "environment": "production", "rollback_plan": "restore the snapshot"}),
    )
    .await
    .unwrap()["data"]["id"]
        .clone();
    let args = json!({"action": "terminate_instances", "instance_ids": [ids[0]],
                      "change_request_id": cr});
    let pending = ok(&d, args.clone()).await;
    assert_eq!(pending["evaluation"]["signed_approvals"], true, "{pending}");
    let req = pending["approval_request_id"].as_str().unwrap().to_string();
    assert!(
        pending["summary"].as_str().unwrap().contains("--key"),
        "{pending}"
    );
    // Another request, for the other instance, to replay signatures on.
    let other_args = json!({"action": "terminate_instances", "instance_ids": [ids[1]],
                            "change_request_id": cr});
    let other = ok(&d, other_args).await["approval_request_id"]
        .as_str()
        .unwrap()
        .to_string();

    // The text to sign names the request and everything it binds.
    let (okay, text) = cli(&state, &["approvals", "show", &req, "--canonical"]);
    assert!(okay, "{text}");
    let stored = d.guardrails.store.approval(&req).unwrap().unwrap();
    assert_eq!(text, canonical_text(&stored, true));
    for line in [
        format!("request: {req}"),
        "tool: aws_ec2".into(),
        "action: terminate_instances".into(),
        "environment: production".into(),
        format!("expires: {}", stored.expires_at),
    ] {
        assert!(text.contains(&line), "{line} in {text}");
    }
    assert!(text.contains("arguments-sha256: ") && text.contains("region: us-east-1"));

    // A key not in the file does not count.
    let sig = signature_file(&sign(&mallory, &text));
    let (okay, out) = cli(
        &state,
        &[
            "approvals",
            "approve",
            &req,
            "--signature",
            sig.to_str().unwrap(),
        ],
    );
    assert!(!okay && out.contains("not in the approvers"), "{out}");
    let (okay, out) = mallory.vote(&state, &req, true);
    assert!(!okay && out.contains("not in the approvers"), "{out}");
    // A signature over other arguments does not count.
    let forged_text = text
        .lines()
        .map(|l| {
            if l.starts_with("arguments-sha256: ") {
                format!("arguments-sha256: {}", "0".repeat(64))
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    let sig = signature_file(&sign(&alice, &forged_text));
    let (okay, out) = cli(
        &state,
        &[
            "approvals",
            "approve",
            &req,
            "--signature",
            sig.to_str().unwrap(),
        ],
    );
    assert!(!okay && out.contains("does not match"), "{out}");
    // A signature for this request does not count for another one (replay), nor as a
    // rejection's.
    let good = signature_file(&sign(&alice, &text));
    let (okay, out) = cli(
        &state,
        &[
            "approvals",
            "approve",
            &other,
            "--signature",
            good.to_str().unwrap(),
        ],
    );
    assert!(!okay && out.contains("does not match"), "{out}");
    let (okay, out) = cli(
        &state,
        &[
            "approvals",
            "reject",
            &req,
            "--signature",
            good.to_str().unwrap(),
        ],
    );
    assert!(!okay && out.contains("does not match"), "{out}");
    // Unsigned votes, from a terminal or a client, do not count here.
    let e = d
        .guardrails
        .vote(&d.aws, &req, ballot("carol", true))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("only signed approvals"), "{e}");
    let r = call(
        &d,
        "aws_guardrails",
        json!({"action": "submit_approval_response", "request_id": req}),
    )
    .await
    .unwrap_err();
    assert!(
        r["message"].as_str().unwrap().contains("only signed"),
        "{r}"
    );

    // The real signature counts once; the same principal again (even with a new signature
    // from the same key) is one person.
    let (okay, out) = cli(
        &state,
        &[
            "approvals",
            "approve",
            &req,
            "--signature",
            good.to_str().unwrap(),
        ],
    );
    assert!(okay && out.contains("1 of 2"), "{out}");
    let (okay, out) = alice.vote(&state, &req, true);
    assert!(!okay && out.contains("already voted"), "{out}");
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

    // bob signs in-process (no ssh-keygen on PATH); the call runs once.
    let out = Command::new(env!("CARGO_BIN_EXE_espada-aws"))
        .arg("--state")
        .arg(&state)
        .args(["approvals", "approve", &req, "--key"])
        .arg(&bob.key_path)
        .env("PATH", "")
        .env("ESPADA_LOG", "warn")
        .output()
        .unwrap();
    let shown =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && shown.contains("approved"),
        "{shown}"
    );
    let stored = d.guardrails.store.approval(&req).unwrap().unwrap();
    let who: Vec<(&str, bool)> = stored
        .votes
        .iter()
        .map(|v| (v.approver.as_str(), v.verified))
        .collect();
    assert_eq!(who, [("alice", true), ("bob", true)]);
    let done = ok(&d, with(&args, "approval_request_id", &json!(req))).await;
    assert!(done.to_string().contains(&ids[0]), "{done}");
    let again = call(
        &d,
        "aws_ec2",
        with(&args, "approval_request_id", &json!(req)),
    )
    .await
    .unwrap_err();
    assert!(
        again["message"].as_str().unwrap().contains("executed"),
        "{again}"
    );
    assert_eq!(m.state_of(&ids[0]).await, "terminated");
    assert_eq!(m.state_of(&ids[1]).await, "running");

    // The log keeps the signatures and `audit verify` checks them again.
    let (okay, out) = cli(&state, &["audit", "verify"]);
    assert!(okay, "{out}");
    let db = rusqlite::Connection::open(&state).unwrap();
    db.execute(
        "UPDATE approval_votes SET signature = ?1 WHERE approver = 'bob'",
        [sign(&bob, &forged_text)],
    )
    .unwrap();
    let (okay, out) = cli(&state, &["audit", "verify"]);
    assert!(!okay && out.contains("does not verify"), "{out}");
}

#[tokio::test]
async fn unsigned_votes_need_a_person_at_a_terminal() {
    let m = moto().await;
    let state = temp_state();
    let d = m.strict_dispatcher(&state);
    let id = m.launch_in(1, "staging").await.remove(0);
    let req = ok(
        &d,
        json!({"action": "terminate_instances", "instance_ids": [id]}),
    )
    .await["approval_request_id"]
        .as_str()
        .unwrap()
        .to_string();

    // Pipes, as an agent's shell tool runs commands: refused, whatever name or $USER it gives,
    // with no hint of a way around.
    let out = Command::new(env!("CARGO_BIN_EXE_espada-aws"))
        .arg("--state")
        .arg(&state)
        .args(["approvals", "approve", &req, "--as", "alice"])
        .env("USER", "alice")
        .env("ESPADA_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("approvals are decisions by people"), "{text}");
    assert!(text.contains("If you are an AI agent"), "{text}");
    for hint in [
        "pty",
        "`script`",
        "pseudo",
        "expect",
        "sqlite",
        "--signature",
    ] {
        assert!(!text.contains(hint), "the refusal names {hint}: {text}");
    }
    // Typed at a terminal, a wrong code records nothing.
    let (okay, shown) = at_terminal(&state, &["approvals", "approve", &req], Some("NOPE42"));
    assert!(!okay && shown.contains("not typed back"), "{shown}");
    assert_eq!(
        d.guardrails
            .store
            .approval(&req)
            .unwrap()
            .unwrap()
            .approvals,
        0
    );
    // Typed at a terminal with the code shown, it is the OS user's vote; --as is a display name.
    let (okay, shown) = at_terminal(
        &state,
        &["approvals", "approve", &req, "--as", "Alice Example"],
        None,
    );
    assert!(okay && shown.contains("approved"), "{shown}");
    assert!(
        shown.contains("terminate_instances"),
        "the person sees the call: {shown}"
    );
    let stored = d.guardrails.store.approval(&req).unwrap().unwrap();
    let vote = &stored.votes[0];
    assert_eq!(vote.approver, espada_aws::guardrails::approvals::os_user());
    assert_eq!(vote.display_name.as_deref(), Some("Alice Example"));
    assert_eq!((vote.channel.as_str(), vote.verified), ("terminal", false));
    // Every attempt is audited, the refused ones too.
    let (okay, out) = cli(&state, &["audit", "list", "--outcome", "refused"]);
    assert!(okay && out.contains("decisions by people"), "{out}");
}

#[tokio::test]
async fn the_same_os_user_is_one_person_on_every_channel() {
    let m = moto().await;
    let state = temp_state();
    let d = m.strict_dispatcher(&state);
    let mut p = d.guardrails.store.protection(Environment::Staging).unwrap();
    p.min_approvers = 2;
    d.guardrails
        .store
        .set_protection(Environment::Staging, &p)
        .unwrap();
    let id = m.launch_in(1, "staging").await.remove(0);
    let req = ok(
        &d,
        json!({"action": "terminate_instances", "instance_ids": [id]}),
    )
    .await["approval_request_id"]
        .as_str()
        .unwrap()
        .to_string();
    let me = espada_aws::guardrails::approvals::os_user();
    let elicited = Ballot {
        proof: Proof::Elicitation { user: me.clone() },
        approve: true,
        display_name: Some("mallory-1".into()),
        comment: None,
    };
    d.guardrails.vote(&d.aws, &req, elicited).await.unwrap();
    let (okay, shown) = at_terminal(
        &state,
        &["approvals", "approve", &req, "--as", "mallory-2"],
        None,
    );
    assert!(!okay && shown.contains("already voted"), "{shown}");
    let stored = d.guardrails.store.approval(&req).unwrap().unwrap();
    assert_eq!((stored.approvals, stored.status.as_str()), (1, "pending"));
}

#[tokio::test]
async fn approvers_are_set_at_a_terminal_and_changed_only_by_their_signatures() {
    let state = temp_state();
    let (alice, bob, mallory) = (
        Person::new("alice"),
        Person::new("bob"),
        Person::new("mallory"),
    );
    let first = people::allowed_signers(&[&alice, &bob]);
    let first = first.to_str().unwrap();
    // Without a terminal, the first approvers are not set.
    let (okay, out) = cli(&state, &["approvers", "set", "production", first]);
    assert!(!okay && out.contains("decisions by people"), "{out}");
    let (okay, out) = at_terminal(&state, &["approvers", "set", "production", first], None);
    assert!(okay && out.contains("alice, bob"), "{out}");

    // An agent that adds its own key opens a request that only the existing approvers decide.
    let grown = people::allowed_signers(&[&alice, &bob, &mallory]);
    let grown = grown.to_str().unwrap();
    let (okay, out) = cli(&state, &["approvers", "set", "production", grown]);
    assert!(okay && out.contains("approval request"), "{out}");
    let req = out
        .split_whitespace()
        .find(|w| w.starts_with("apr-"))
        .unwrap()
        .trim_end_matches(['.', ','])
        .to_string();
    let (okay, out) = cli(
        &state,
        &[
            "approvers",
            "set",
            "production",
            grown,
            "--approval-request",
            &req,
        ],
    );
    assert!(!okay && out.contains("pending"), "{out}");
    let (okay, out) = mallory.vote(&state, &req, true);
    assert!(!okay && out.contains("not in the approvers"), "{out}");
    let (okay, out) = at_terminal(&state, &["approvals", "approve", &req], None);
    assert!(!okay && out.contains("only signed"), "{out}");
    alice.approve(&state, &req);
    bob.approve(&state, &req);
    // Approved for exactly that file: another one is not applied under it.
    let swapped = people::allowed_signers(&[&mallory]);
    let (okay, out) = cli(
        &state,
        &[
            "approvers",
            "set",
            "production",
            swapped.to_str().unwrap(),
            "--approval-request",
            &req,
        ],
    );
    assert!(!okay && out.contains("other arguments"), "{out}");
    let (okay, out) = cli(
        &state,
        &[
            "approvers",
            "set",
            "production",
            grown,
            "--approval-request",
            &req,
        ],
    );
    assert!(okay && out.contains("alice, bob, mallory"), "{out}");
    let (okay, out) = cli(&state, &["approvers", "show"]);
    assert!(
        okay && out.contains("production: alice, bob, mallory"),
        "{out}"
    );
    let (okay, out) = cli(&state, &["audit", "verify"]);
    assert!(okay, "{out}");
}

/// An agent with a shell, the state file's owner's rights and no key: everything it can run
/// from its tool is refused, and each attempt is in the log.
#[tokio::test]
async fn an_agent_with_a_shell_cannot_approve() {
    let m = moto().await;
    let state = temp_state();
    let d = m.strict_dispatcher(&state);
    let alice = Person::new("alice");
    people::approvers(&state, Environment::Staging, &[&alice]);
    let id = m.launch_in(1, "staging").await.remove(0);
    let args = json!({"action": "terminate_instances", "instance_ids": [id]});
    let req = ok(&d, args.clone()).await["approval_request_id"]
        .as_str()
        .unwrap()
        .to_string();
    let attempts: Vec<Vec<&str>> = vec![
        vec!["approvals", "approve", &req],
        vec!["approvals", "approve", &req, "--as", "alice"],
        vec!["approvals", "approve", &req, "--as", "agent:test"],
        vec!["approvals", "reject", &req],
    ];
    for a in &attempts {
        let (okay, out) = cli(&state, a);
        assert!(!okay, "{a:?}: {out}");
    }
    // Its own key is no approver's.
    let own = Person::new("alice");
    let (okay, out) = own.vote(&state, &req, true);
    assert!(!okay && out.contains("not in the approvers"), "{out}");
    // No tool argument records a vote.
    for fields in [
        json!({"approve": true}),
        json!({"name": "alice", "approve": true}),
    ] {
        let mut a = json!({"action": "submit_approval_response", "request_id": req});
        a.as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        assert!(call(&d, "aws_guardrails", a).await.is_err());
    }
    let stored = d.guardrails.store.approval(&req).unwrap().unwrap();
    assert_eq!((stored.votes.len(), stored.status.as_str()), (0, "pending"));
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
    let (_, out) = cli(&state, &["audit", "list", "--outcome", "refused"]);
    // The four CLI attempts and the foreign key's vote.
    assert!(out.lines().count() > attempts.len(), "{out}");
}
