//! In-band approval on protocol 2026-07-28 (multi-round tool results), driven by a raw JSON-RPC
//! client against the built server: `input_required` with an elicitation form and a sealed
//! `requestState`, the call repeated with the person's answer, and what an agent could try
//! with that state.

use espada_aws::guardrails::{
    approvals::{Status, os_user},
    store::Store,
};
use serde_json::{Value, json};

use crate::harness::{REGION, StdioServer, moto, temp_state};

/// The per-request lifecycle metadata of 2026-07-28 (no `initialize`), for a client that can
/// ask its user (`elicitation`) or not.
fn meta(elicitation: bool) -> Value {
    let caps = if elicitation {
        json!({"elicitation": {"form": {}}})
    } else {
        json!({})
    };
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": caps,
        "io.modelcontextprotocol/clientInfo": {"name": "it-mrtr", "version": "0"},
    })
}

struct Client {
    server: StdioServer,
    next: u64,
}

impl Client {
    /// One `tools/call` of `aws_ec2`; returns the JSON-RPC `result` (or the whole message when
    /// it is an error).
    fn call(&mut self, args: Value, extra: Value, elicitation: bool) -> Value {
        self.call_tool("aws_ec2", args, extra, elicitation)
    }

    fn call_tool(&mut self, tool: &str, args: Value, extra: Value, elicitation: bool) -> Value {
        self.next += 1;
        let mut params = json!({"name": tool, "arguments": args, "_meta": meta(elicitation)});
        for (k, v) in extra.as_object().unwrap() {
            params[k] = v.clone();
        }
        let line = self.server.request(
            &json!({"jsonrpc": "2.0", "id": self.next, "method": "tools/call", "params": params}),
        );
        let msg: Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("{line}"));
        msg.get("result").cloned().unwrap_or(msg)
    }
}

/// The tool result's JSON text.
fn body(result: &Value) -> Value {
    serde_json::from_str(result["content"][0]["text"].as_str().unwrap_or_else(|| {
        panic!("a tool result: {result}");
    }))
    .unwrap()
}

fn answer(state: &str, action: &str, approve: bool) -> Value {
    let mut response = json!({"action": action});
    if action == "accept" {
        response["content"] = json!({"name": "grace", "approve": approve});
    }
    json!({"inputResponses": {"approval": response}, "requestState": state})
}

fn asked(result: &Value) -> String {
    assert_eq!(result["resultType"], "input_required", "{result}");
    let question = &result["inputRequests"]["approval"];
    assert_eq!(question["method"], "elicitation/create", "{result}");
    assert_eq!(question["params"]["mode"], "form", "{result}");
    let message = question["params"]["message"].as_str().unwrap();
    assert!(message.contains("terminate_instances"), "{message}");
    result["requestState"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_staging_call_is_approved_in_band_by_the_person_in_the_client() {
    let m = moto().await;
    let state = temp_state();
    let home = std::env::var("HOME").unwrap_or_default();
    let server = StdioServer::spawn_exactly(
        env!("CARGO_BIN_EXE_espada-aws"),
        &["serve"],
        &home,
        &[
            ("ESPADA_STATE", state.to_str().unwrap()),
            ("ESPADA_LOG", "warn"),
            ("AWS_ENDPOINT_URL", &m.url),
            ("AWS_REGION", REGION),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ],
    );
    let mut c = Client { server, next: 0 };
    let store = Store::open(&state).unwrap();
    let ids = m.launch_in(3, "staging").await;
    let (a, b, plain) = (&ids[0], &ids[1], &ids[2]);
    let terminate = |id: &str| json!({"action": "terminate_instances", "instance_ids": [id]});

    // The call that needs one approval asks the person in the client instead of running.
    let first = c.call(terminate(a), json!({}), true);
    let state_a = asked(&first);
    assert_eq!(m.state_of(a).await, "running");
    let pending = store.approvals(Some(Status::Pending), 10).unwrap();
    assert_eq!(pending.len(), 1);
    let req_a = pending[0].id.clone();

    // A tampered state is refused, and records nothing.
    let mut tampered = state_a.clone().into_bytes();
    let at = tampered.len() - 3;
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let r = c.call(terminate(a), answer(&tampered, "accept", true), true);
    assert_eq!(r["isError"], true, "{r}");
    assert!(
        body(&r)["message"]
            .as_str()
            .unwrap()
            .contains("requestState refused"),
        "{r}"
    );
    // So is one made up by the agent.
    let r = c.call(terminate(a), answer("rs1.e30.AAAA", "accept", true), true);
    assert_eq!(r["isError"], true, "{r}");
    assert!(store.approval(&req_a).unwrap().unwrap().votes.is_empty());

    // The state of one call carried over to another call is refused: B keeps running.
    let r = c.call(terminate(b), answer(&state_a, "accept", true), true);
    assert_eq!(r["isError"], true, "{r}");
    assert!(
        body(&r)["message"]
            .as_str()
            .unwrap()
            .contains("requestState refused"),
        "{r}"
    );
    let mut other_args = terminate(a);
    other_args["region"] = json!(REGION);
    let r = c.call(other_args, answer(&state_a, "accept", true), true);
    assert_eq!(r["isError"], true, "{r}");
    assert!(store.approval(&req_a).unwrap().unwrap().votes.is_empty());
    assert_eq!(m.state_of(b).await, "running");
    // Each forged, edited or carried-over state is on the audit record as a refused call.
    let refused = store
        .query_audit(
            &espada_aws::guardrails::audit::AuditQuery {
                outcome: Some("refused".into()),
                ..Default::default()
            },
            100,
        )
        .unwrap()
        .0;
    let forged: Vec<_> = refused
        .iter()
        .filter(|e| e.record.detail.starts_with("requestState refused"))
        .collect();
    assert_eq!(forged.len(), 4, "{refused:?}");
    assert!(forged.iter().all(|e| e.record.tool == "aws_ec2"
        && e.record.action == "terminate_instances"
        && e.record.actor.starts_with("agent:")));

    // The person accepts: one unverified vote of the OS user, through elicitation, and the
    // call runs.
    let r = c.call(terminate(a), answer(&state_a, "accept", true), true);
    assert_eq!(r["isError"], false, "{r}");
    assert_eq!(body(&r)["approval_request_id"], json!(req_a), "{r}");
    assert_eq!(m.state_of(a).await, "terminated");
    let stored = store.approval(&req_a).unwrap().unwrap();
    assert_eq!(stored.status, Status::Executed);
    assert_eq!(stored.votes.len(), 1);
    assert_eq!(stored.votes[0].approver, os_user());
    assert_eq!(stored.votes[0].channel, "elicitation");
    assert!(!stored.votes[0].verified);
    assert_eq!(stored.votes[0].display_name.as_deref(), Some("grace"));
    assert_eq!(stored.requester, "agent:it-mrtr");

    // The same answer sent again counts once and runs nothing again.
    let r = c.call(terminate(a), answer(&state_a, "accept", true), true);
    assert_eq!(r["isError"], true, "{r}");
    assert_eq!(store.approval(&req_a).unwrap().unwrap().votes.len(), 1);

    // A decline is a rejection: recorded, and the call does not run.
    let asked_b = c.call(terminate(b), json!({}), true);
    let state_b = asked(&asked_b);
    let req_b = store.approvals(Some(Status::Pending), 10).unwrap()[0]
        .id
        .clone();
    let r = c.call(terminate(b), answer(&state_b, "decline", false), true);
    assert_eq!(r["isError"], false, "{r}");
    assert_eq!(body(&r)["status"], "rejected", "{r}");
    let stored = store.approval(&req_b).unwrap().unwrap();
    assert_eq!(stored.status, Status::Rejected);
    assert_eq!(stored.votes[0].decision, "reject");
    assert_eq!(stored.votes[0].channel, "elicitation");
    assert_eq!(m.state_of(b).await, "running");

    // A client on 2026-07-28 without elicitation gets the CLI instructions.
    let r = c.call(terminate(plain), json!({}), false);
    assert_eq!(r["isError"], false, "{r}");
    let r = body(&r);
    assert_eq!(r["status"], "pending_approval", "{r}");
    assert!(
        r["summary"]
            .as_str()
            .unwrap()
            .contains("espada-aws approvals approve"),
        "{r}"
    );
    assert_eq!(m.state_of(plain).await, "running");
    let req_plain = r["approval_request_id"].as_str().unwrap().to_string();

    // submit_approval_response asks the same way and only records the vote; the agent then
    // repeats the call with approval_request_id.
    let submit = json!({"action": "submit_approval_response", "request_id": req_plain});
    let asked_submit = c.call_tool("aws_guardrails", submit.clone(), json!({}), true);
    let state_submit = asked(&asked_submit);
    let r = c.call_tool(
        "aws_guardrails",
        submit,
        answer(&state_submit, "accept", true),
        true,
    );
    assert_eq!(body(&r)["status"], "approved", "{r}");
    assert_eq!(m.state_of(plain).await, "running");
    let mut approved = terminate(plain);
    approved["approval_request_id"] = json!(req_plain);
    let r = c.call(approved, json!({}), false);
    assert_eq!(r["isError"], false, "{r}");
    assert_eq!(m.state_of(plain).await, "terminated");
}
