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
