//! The MCP server: lists the registry's tools and hands every `tools/call` to the dispatcher.

use std::sync::Arc;

use rmcp::{
    ErrorData as McpError, RoleServer, ServerHandler,
    model::{
        CallToolRequestParams, CallToolResponse, CallToolResult, ClientJsonRpcMessage,
        ContentBlock, Implementation, ListToolsResult, PaginatedRequestParams, ServerCapabilities,
        ServerConfig, ServerJsonRpcMessage, Tool, ToolAnnotations,
    },
    service::RequestContext,
    transport::{Transport, async_rw::AsyncRwTransport},
};

use crate::{
    dispatch::Dispatcher,
    registry::{Access, BoxFuture, Caller, HumanAnswer, HumanChannel},
    surface,
};

const INSTRUCTIONS: &str = "Typed AWS tools. Each tool takes an `action` plus that action's \
fields, listed in the tool description as name(required, optional?). Risky changes first return \
status confirmation_required with a plan and a confirm_token: show the plan to the user, and only \
with their agreement repeat the identical call adding confirm_token. Some changes return \
pending_approval: people approve them outside this conversation; then repeat the identical call \
with approval_request_id (and change_request_id where production needs one). dry_run: true \
validates a change without making it. Lists page with max_results and next_token. region picks \
the AWS region of one call (default: the server's).";

#[derive(Clone)]
pub struct EspadaServer {
    dispatcher: Arc<Dispatcher>,
}

impl EspadaServer {
    pub fn new(dispatcher: Arc<Dispatcher>) -> Self {
        Self { dispatcher }
    }
}

/// The MCP tool definitions of the registered tools, as exposed in this mode.
pub fn tool_definitions(dispatcher: &Dispatcher) -> Vec<Tool> {
    dispatcher
        .tools()
        .iter()
        .map(|t| {
            let exposed: Vec<Access> = surface::exposed(t, dispatcher.read_only())
                .map(|a| a.access)
                .collect();
            // idempotentHint (false) and openWorldHint (true) are left at MCP's defaults, which
            // fit every tool here: each byte of tools/list is paid in every conversation.
            let annotations = ToolAnnotations::new()
                .read_only(exposed.iter().all(|a| *a == Access::Read))
                .destructive(exposed.contains(&Access::Destructive));
            Tool::new(
                t.name,
                surface::tool_description(t, dispatcher.read_only()),
                dispatcher.input_schema(t),
            )
            .with_annotations(annotations)
        })
        .collect()
}

impl ServerHandler for EspadaServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("espada-aws", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(tool_definitions(
            &self.dispatcher,
        )))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let args = request.arguments.unwrap_or_default();
        let client = context
            .peer
            .peer_info()
            .map(|i| i.client_info.name.clone())
            .unwrap_or_else(|| "unknown".into());
        let caller = Caller {
            requester: format!("agent:{client}"),
            human: Some(Arc::new(Elicitation {
                peer: context.peer.clone(),
            })),
        };
        match self.dispatcher.call(&request.name, args, &caller).await {
            Ok(Ok(value)) => {
                Ok(CallToolResult::success(vec![ContentBlock::text(value.to_string())]).into())
            }
            Ok(Err(err)) => Ok(CallToolResult::error(vec![ContentBlock::text(
                err.to_json().to_string(),
            )])
            .into()),
            Err(route) => Err(McpError::invalid_params(route.to_string(), None)),
        }
    }
}

/// The approval form a person fills in inside the client.
#[derive(Debug, serde::Deserialize, rmcp::schemars::JsonSchema)]
struct ApprovalForm {
    /// Your name, as recorded on the approval
    name: String,
    /// Approve (true) or reject (false)
    approve: bool,
    /// Optional comment
    comment: Option<String>,
}

rmcp::elicit_safe!(ApprovalForm);

/// Asks the human in the client through MCP elicitation.
struct Elicitation {
    peer: rmcp::Peer<RoleServer>,
}

impl HumanChannel for Elicitation {
    fn ask<'a>(&'a self, message: String) -> BoxFuture<'a, Result<Option<HumanAnswer>, String>> {
        Box::pin(async move {
            match self.peer.elicit::<ApprovalForm>(message).await {
                Ok(Some(form)) => Ok(Some(HumanAnswer {
                    name: form.name,
                    approve: form.approve,
                    comment: form.comment,
                })),
                Ok(None)
                | Err(
                    rmcp::service::ElicitationError::UserDeclined
                    | rmcp::service::ElicitationError::UserCancelled,
                ) => Ok(None),
                Err(rmcp::service::ElicitationError::CapabilityNotSupported) => {
                    Err("the client does not support elicitation".into())
                }
                Err(e) => Err(e.to_string()),
            }
        })
    }
}

/// The stdio transport the server runs on: rmcp's, made lenient about what comes before the
/// first request. rmcp ends the session when a notification or response arrives before
/// `initialize`; a client that sends one early (or a stray line) should not kill the server, so
/// such messages are logged and dropped.
pub fn transport() -> impl Transport<RoleServer> {
    let (stdin, stdout) = rmcp::transport::stdio();
    Lenient {
        inner: AsyncRwTransport::new_server(stdin, stdout),
        started: false,
    }
}

/// Drops notifications and responses received before the first request.
pub struct Lenient<T> {
    pub inner: T,
    pub started: bool,
}

impl<T: Transport<RoleServer>> Transport<RoleServer> for Lenient<T> {
    type Error = T::Error;

    fn send(
        &mut self,
        item: ServerJsonRpcMessage,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        self.inner.send(item)
    }

    async fn receive(&mut self) -> Option<ClientJsonRpcMessage> {
        loop {
            let msg = self.inner.receive().await?;
            if !self.started {
                let kind = match &msg {
                    ClientJsonRpcMessage::Request(_) => {
                        self.started = true;
                        return Some(msg);
                    }
                    ClientJsonRpcMessage::Notification(_) => "notification",
                    ClientJsonRpcMessage::Response(_) => "response",
                    ClientJsonRpcMessage::Error(_) => "error",
                };
                tracing::warn!(kind, "ignoring a message sent before initialize");
                continue;
            }
            return Some(msg);
        }
    }

    fn close(&mut self) -> impl Future<Output = Result<(), Self::Error>> + Send {
        self.inner.close()
    }
}
