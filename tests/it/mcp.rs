//! The server through rmcp's own client, in process (fast protocol-level checks).

use std::sync::Arc;

use espada_aws::server::EspadaServer;
use rmcp::{ServiceExt, model::CallToolRequestParams};
use serde_json::{Value, json};

use crate::harness::{moto, obj};

fn text(r: &rmcp::model::CallToolResult) -> Value {
    let t = r.content[0].as_text().expect("text content");
    serde_json::from_str(&t.text).expect("result is JSON")
}

#[tokio::test]
async fn in_process_client_lists_and_calls_tools() {
    let m = moto().await;
    let server = EspadaServer::new(Arc::new(m.dispatcher()));
    let (server_io, client_io) = tokio::io::duplex(1 << 16);
    tokio::spawn(async move {
        if let Ok(s) = server.serve(server_io).await {
            let _ = s.waiting().await;
        }
    });
    let client = ().serve(client_io).await.expect("initialize");
    let info = client.peer_info().expect("server info");
    assert_eq!(info.server_info.as_ref().unwrap().name, "espada-aws");
    assert!(
        info.instructions
            .as_deref()
            .unwrap_or("")
            .contains("confirm_token")
    );

    let tools = client.list_all_tools().await.unwrap();
    let ec2 = tools
        .iter()
        .find(|t| t.name == "aws_ec2")
        .expect("aws_ec2 listed");
    assert_eq!(ec2.input_schema["type"], "object");
    assert_eq!(
        ec2.annotations.as_ref().unwrap().destructive_hint,
        Some(true)
    );

    let id = m.launch(1).await.remove(0);
    let r = client
        .call_tool(
            CallToolRequestParams::new("aws_ec2")
                .with_arguments(obj(json!({"action": "list_instances"}))),
        )
        .await
        .unwrap();
    assert_eq!(r.is_error, Some(false));
    assert_eq!(text(&r)["data"]["instances"][0]["instance_id"], json!(id));

    // Tool errors are results the model can read; the session goes on.
    let r = client
        .call_tool(
            CallToolRequestParams::new("aws_ec2").with_arguments(obj(json!({"action": "nope"}))),
        )
        .await
        .unwrap();
    assert_eq!(r.is_error, Some(true));
    assert!(
        text(&r)["message"]
            .as_str()
            .unwrap()
            .contains("unknown action")
    );

    // An unknown tool cannot be routed: a protocol error, and the session goes on.
    let e = client
        .call_tool(CallToolRequestParams::new("aws_nothing"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("unknown tool"), "{e}");
    assert_eq!(client.list_all_tools().await.unwrap().len(), tools.len());
    client.cancel().await.unwrap();
}

/// A client whose user answers every elicitation with an approval, speaking a protocol version
/// in which servers may send elicitation requests during a tool call.
struct ApprovingClient;

impl rmcp::ClientHandler for ApprovingClient {
    fn get_info(&self) -> rmcp::model::ClientConfig {
        rmcp::model::ClientConfig::new(
            rmcp::model::ClientCapabilities::builder()
                .enable_elicitation()
                .build(),
            rmcp::model::Implementation::new("approving-client", "0"),
        )
        .with_protocol_version(rmcp::model::ProtocolVersion::V_2025_11_25)
    }

    async fn create_elicitation(
        &self,
        request: rmcp::model::ElicitRequestParams,
        _context: rmcp::service::RequestContext<rmcp::RoleClient>,
    ) -> Result<rmcp::model::ElicitResult, rmcp::ErrorData> {
        let rmcp::model::ElicitRequestParams::FormElicitationParams { message, .. } = &request
        else {
            panic!("expected a form elicitation");
        };
        assert!(message.contains("terminate_instances"), "{message}");
        Ok(
            rmcp::model::ElicitResult::new(rmcp::model::ElicitationAction::Accept).with_content(
                json!({"name": "grace", "approve": true, "comment": "checked with the team"}),
            ),
        )
    }
}

#[tokio::test]
async fn approvals_come_from_the_person_in_the_client_or_the_cli() {
    let m = moto().await;
    let state = crate::harness::temp_state();
    let d = Arc::new(m.strict_dispatcher(&state));
    let id = m.launch_in(1, "staging").await.remove(0);
    let pending = crate::harness::ok(
        &d,
        json!({"action": "terminate_instances", "instance_ids": [id]}),
    )
    .await;
    let req = pending["approval_request_id"].as_str().unwrap().to_string();
    let submit = obj(json!({"action": "submit_approval_response", "request_id": req}));

    // A client that cannot ask its user: refused, pointing at the CLI; nothing recorded.
    let (server_io, client_io) = tokio::io::duplex(1 << 16);
    let server = EspadaServer::new(d.clone());
    tokio::spawn(async move {
        if let Ok(s) = server.serve(server_io).await {
            let _ = s.waiting().await;
        }
    });
    let plain = ().serve(client_io).await.unwrap();
    let r = plain
        .call_tool(CallToolRequestParams::new("aws_guardrails").with_arguments(submit.clone()))
        .await
        .unwrap();
    assert_eq!(r.is_error, Some(true));
    assert!(
        text(&r)["message"]
            .as_str()
            .unwrap()
            .contains("espada-aws approvals approve"),
        "{r:?}"
    );
    assert_eq!(
        d.guardrails
            .store
            .approval(&req)
            .unwrap()
            .unwrap()
            .approvals,
        0
    );
    plain.cancel().await.unwrap();

    // A client that asks its user: the person's answer is the vote.
    let (server_io, client_io) = tokio::io::duplex(1 << 16);
    let server = EspadaServer::new(d.clone());
    tokio::spawn(async move {
        if let Ok(s) = server.serve(server_io).await {
            let _ = s.waiting().await;
        }
    });
    let asking = ApprovingClient.serve(client_io).await.unwrap();
    let r = asking
        .call_tool(CallToolRequestParams::new("aws_guardrails").with_arguments(submit))
        .await
        .unwrap();
    assert_eq!(r.is_error, Some(false), "{r:?}");
    let stored = d.guardrails.store.approval(&req).unwrap().unwrap();
    assert_eq!(stored.status.as_str(), "approved");
    // The vote is the OS user's (the person at this machine), unverified; "grace" is only the
    // name they typed.
    let me = espada_aws::guardrails::approvals::os_user();
    assert_eq!(stored.votes[0].approver, me);
    assert_eq!(stored.votes[0].display_name.as_deref(), Some("grace"));
    assert_eq!(stored.votes[0].channel, "elicitation");
    assert!(!stored.votes[0].verified);
    assert_eq!(stored.requester, "agent:test");

    // Where two people must approve, one client answering twice (under two names, on two
    // connections) is one person: the second answer is refused and the request stays pending.
    let mut p = d
        .guardrails
        .store
        .protection(espada_aws::guardrails::environment::Environment::Staging)
        .unwrap();
    p.min_approvers = 2;
    d.guardrails
        .store
        .set_protection(
            espada_aws::guardrails::environment::Environment::Staging,
            &p,
        )
        .unwrap();
    let other = m.launch_in(1, "staging").await.remove(0);
    let pending = crate::harness::ok(
        &d,
        json!({"action": "terminate_instances", "instance_ids": [other]}),
    )
    .await;
    let req2 = pending["approval_request_id"].as_str().unwrap().to_string();
    let submit = obj(json!({"action": "submit_approval_response", "request_id": req2}));
    let first = asking
        .call_tool(CallToolRequestParams::new("aws_guardrails").with_arguments(submit.clone()))
        .await
        .unwrap();
    assert_eq!(first.is_error, Some(false), "{first:?}");
    let again = asking
        .call_tool(CallToolRequestParams::new("aws_guardrails").with_arguments(submit.clone()))
        .await
        .unwrap();
    assert_eq!(again.is_error, Some(true), "{again:?}");
    assert!(
        text(&again)["message"]
            .as_str()
            .unwrap()
            .contains("already voted"),
        "{again:?}"
    );
    asking.cancel().await.unwrap();
    let (server_io, client_io) = tokio::io::duplex(1 << 16);
    let server = EspadaServer::new(d.clone());
    tokio::spawn(async move {
        if let Ok(s) = server.serve(server_io).await {
            let _ = s.waiting().await;
        }
    });
    let reconnected = ApprovingClient.serve(client_io).await.unwrap();
    let third = reconnected
        .call_tool(CallToolRequestParams::new("aws_guardrails").with_arguments(submit))
        .await
        .unwrap();
    assert_eq!(third.is_error, Some(true), "{third:?}");
    let stored = d.guardrails.store.approval(&req2).unwrap().unwrap();
    assert_eq!((stored.approvals, stored.status.as_str()), (1, "pending"));
    reconnected.cancel().await.unwrap();
}

/// A client whose user declines every elicitation.
struct DecliningClient;

impl rmcp::ClientHandler for DecliningClient {
    fn get_info(&self) -> rmcp::model::ClientConfig {
        ApprovingClient.get_info()
    }

    async fn create_elicitation(
        &self,
        _request: rmcp::model::ElicitRequestParams,
        _context: rmcp::service::RequestContext<rmcp::RoleClient>,
    ) -> Result<rmcp::model::ElicitResult, rmcp::ErrorData> {
        Ok(rmcp::model::ElicitResult::new(
            rmcp::model::ElicitationAction::Decline,
        ))
    }
}

/// Declining the form is a rejection by the person, recorded like one (as in the multi-round
/// flow): the request is rejected and the call it was for never runs.
#[tokio::test]
async fn declining_in_the_client_rejects_the_request() {
    let m = moto().await;
    let state = crate::harness::temp_state();
    let d = Arc::new(m.strict_dispatcher(&state));
    let id = m.launch_in(1, "staging").await.remove(0);
    let terminate = json!({"action": "terminate_instances", "instance_ids": [id]});
    let pending = crate::harness::ok(&d, terminate.clone()).await;
    let req = pending["approval_request_id"].as_str().unwrap().to_string();
    let (server_io, client_io) = tokio::io::duplex(1 << 16);
    let server = EspadaServer::new(d.clone());
    tokio::spawn(async move {
        if let Ok(s) = server.serve(server_io).await {
            let _ = s.waiting().await;
        }
    });
    let client = DecliningClient.serve(client_io).await.unwrap();
    let r = client
        .call_tool(
            CallToolRequestParams::new("aws_guardrails").with_arguments(obj(
                json!({"action": "submit_approval_response", "request_id": req}),
            )),
        )
        .await
        .unwrap();
    assert_eq!(r.is_error, Some(false), "{r:?}");
    let stored = d.guardrails.store.approval(&req).unwrap().unwrap();
    assert_eq!(stored.status.as_str(), "rejected");
    assert_eq!(stored.votes.len(), 1);
    assert_eq!(stored.votes[0].decision, "reject");
    assert_eq!(stored.votes[0].display_name, None);
    // The call it was for is refused with the rejected request, and the instance still runs.
    let mut again = terminate.clone();
    again["approval_request_id"] = json!(req);
    let r = client
        .call_tool(CallToolRequestParams::new("aws_ec2").with_arguments(obj(again)))
        .await
        .unwrap();
    assert_eq!(r.is_error, Some(true), "{r:?}");
    assert_eq!(m.state_of(&id).await, "running");
    client.cancel().await.unwrap();
}
