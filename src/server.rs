//! The MCP server: lists the registry's tools and hands every `tools/call` to the dispatcher.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use rmcp::{
    ErrorData as McpError, RoleServer, ServerHandler,
    model::{
        CallToolRequestParams, CallToolResponse, CallToolResult, ClientJsonRpcMessage,
        ContentBlock, Implementation, InputResponses, ListToolsResult, PaginatedRequestParams,
        ServerCapabilities, ServerConfig, ServerJsonRpcMessage, Tool, ToolAnnotations,
    },
    service::RequestContext,
    transport::{Transport, async_rw::AsyncRwTransport},
};

use crate::{
    dispatch::{Dispatcher, RouteError},
    error::ToolError,
    guardrails::approvals::{Status, approve_commands},
    registry::{Access, BoxFuture, Caller, HumanAnswer, HumanChannel},
    surface,
};

mod mrtr;

const INSTRUCTIONS: &str = "Typed AWS tools. Each tool takes an `action` plus that action's \
fields, listed in the tool description as name(required, optional?). Risky changes first return \
status confirmation_required with a plan and a confirm_token: show the plan to the user, and only \
with their agreement repeat the identical call adding confirm_token. Some changes return \
pending_approval: people approve them outside this conversation; then repeat the identical call \
with approval_request_id (and change_request_id where production needs one). For several changes \
propose a plan (aws_guardrails create_change_request with steps); after one approval repeat each \
step's call as proposed adding plan_id and plan_step. A step's argument {\"$step\": N, \"path\": \"x\"} \
is filled from step N's result data. dry_run: true \
validates a change without making it. Lists page with max_results and next_token. region picks \
the AWS region of one call (default: the server's); account (an alias, 12-digit id or role ARN \
on the guardrails' allowlist) the account, reached by assuming a role. aws_organization \
switch_account changes the default for later calls until reset_context. Reads also take \
accounts ([\"all\"], aliases or ids) and regions (region codes, or [\"all\"] for every enabled \
one) and answer per account and region; changes never fan out.";

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
        let tool = request.name.to_string();
        let args = request.arguments.unwrap_or_default();
        let client = context
            .client_info()
            .map(|i| i.name)
            .unwrap_or_else(|| "unknown".into());
        // On 2026-07-28 a server may not send the client requests: a person is asked through
        // `input_required` instead (mrtr.rs), never through `peer.elicit`.
        let in_band = mrtr::in_band(&context);
        let human: Option<Arc<dyn HumanChannel>> = (!in_band).then(|| {
            Arc::new(Elicitation {
                peer: context.peer.clone(),
            }) as Arc<dyn HumanChannel>
        });
        let caller = Caller {
            requester: format!("agent:{client}"),
            human,
        };
        if let Some(state) = &request.request_state {
            if !in_band {
                return Err(McpError::invalid_params(
                    "requestState is only taken from clients on protocol 2026-07-28 that \
                     declared elicitation",
                    None,
                ));
            }
            return self
                .resume(
                    &tool,
                    args,
                    state,
                    request.input_responses.as_ref(),
                    &caller,
                )
                .await;
        }
        if in_band && let Some(asked) = self.ask_in_band(&tool, &args).await {
            return Ok(asked);
        }
        let result = self.dispatcher.call(&tool, args.clone(), &caller).await;
        if in_band
            && let Ok(Ok(value)) = &result
            && value["status"] == "pending_approval"
            && let Some(id) = value["approval_request_id"].as_str()
            // A plan's proposal is not run again once approved: its steps are.
            && let Some(asked) = self
                .question(id, &tool, &args, value.get("plan_id").is_none())
                .await
        {
            return Ok(asked);
        }
        render(result)
    }
}

impl EspadaServer {
    /// `submit_approval_response` from an in-band client: asks the person with
    /// `input_required` (the vote is recorded when the answer comes back).
    async fn ask_in_band(&self, tool: &str, args: &Map<String, Value>) -> Option<CallToolResponse> {
        if tool != "aws_guardrails" || args.get("action")? != "submit_approval_response" {
            return None;
        }
        let id = args.get("request_id")?.as_str()?;
        self.question(id, tool, args, false).await
    }

    /// The `input_required` answer asking about request `id`, when people may still answer
    /// it in a client (pending, and not signed-only); else `None` and the call goes its way.
    async fn question(
        &self,
        id: &str,
        tool: &str,
        args: &Map<String, Value>,
        run: bool,
    ) -> Option<CallToolResponse> {
        let owned = id.to_string();
        let req = self
            .dispatcher
            .guardrails
            .store
            .run(move |s| s.approval(&owned))
            .await
            .ok()??;
        if req.status != Status::Pending || req.signed_approvals {
            return None;
        }
        match mrtr::ask(&req, tool, args, run) {
            Ok(asked) => Some(asked.into()),
            Err(e) => {
                tracing::error!(error = %e, "cannot build the approval question");
                None
            }
        }
    }

    /// The repeated call with the person's answer: verify the state, record the vote, and run
    /// the call once its request is approved.
    async fn resume(
        &self,
        tool: &str,
        mut args: Map<String, Value>,
        state: &str,
        responses: Option<&InputResponses>,
        caller: &Caller,
    ) -> Result<CallToolResponse, McpError> {
        let state = match mrtr::open(state, tool, &args) {
            Ok(s) => s,
            Err(why) => {
                // A state this server did not issue for this call is an attempt to forge or
                // carry over an approval: on the record, like any refused call.
                self.dispatcher
                    .audit_unrouted(
                        caller,
                        tool,
                        &args,
                        "refused",
                        format!("requestState refused: {why}"),
                    )
                    .await;
                return Ok(refused(format!(
                    "requestState refused ({why}): it is not one this server issued for this \
                     call; nothing was recorded or done. Repeat the call without it"
                )));
            }
        };
        let id = state.approval_request_id;
        let ballot = match mrtr::ballot(responses) {
            Ok(Some(b)) => b,
            Ok(None) => {
                return Ok(CallToolResult::success(vec![ContentBlock::text(
                    json!({
                        "status": "pending_approval",
                        "summary": format!(
                            "The person did not answer; nothing was recorded and nothing was \
                             done. {id} stays pending: {}. Then repeat the same call with \
                             approval_request_id.",
                            approve_commands(&id, false)
                        ),
                        "approval_request_id": id,
                    })
                    .to_string(),
                )])
                .into());
            }
            Err(why) => return Ok(refused(format!("{why}; nothing was recorded or done"))),
        };
        let d = &self.dispatcher;
        let req = match d.guardrails.vote(&d.aws, &id, ballot).await {
            Ok(req) => req,
            Err(e) => {
                return Ok(CallToolResult::error(vec![ContentBlock::text(
                    e.to_json().to_string(),
                )])
                .into());
            }
        };
        if state.run && req.status == Status::Approved {
            args.insert("approval_request_id".into(), json!(id));
            return render(d.call(tool, args, caller).await);
        }
        let summary = match (req.status, &req.call.plan) {
            (Status::Approved, Some(plan)) => format!(
                "{id} is approved; run the steps of plan {} in order, each call as proposed with \
                 plan_id and plan_step.",
                plan.id
            ),
            (Status::Approved, None) => {
                format!("{id} is approved; repeat the call it is for with approval_request_id.")
            }
            (Status::Rejected, _) => format!("{id} was rejected; nothing was done."),
            _ => format!(
                "Recorded; {id} has {} of {} approvals and nothing was done yet: {}. Then \
                 repeat the same call with approval_request_id.",
                req.approvals,
                req.min_approvers,
                approve_commands(&id, req.signed_approvals)
            ),
        };
        let status = match req.status {
            Status::Pending => "pending_approval",
            other => other.as_str(),
        };
        Ok(CallToolResult::success(vec![ContentBlock::text(
            json!({
                "status": status,
                "summary": summary,
                "approval_request_id": id,
                "approval_request": req,
            })
            .to_string(),
        )])
        .into())
    }
}

/// A dispatcher result as MCP tool result (or a protocol error for a call that cannot be
/// routed).
fn render(
    result: Result<Result<Value, ToolError>, RouteError>,
) -> Result<CallToolResponse, McpError> {
    match result {
        Ok(Ok(value)) => {
            Ok(CallToolResult::success(vec![ContentBlock::text(value.to_string())]).into())
        }
        Ok(Err(err)) => {
            Ok(CallToolResult::error(vec![ContentBlock::text(err.to_json().to_string())]).into())
        }
        Err(route) => Err(McpError::invalid_params(route.to_string(), None)),
    }
}

fn refused(why: String) -> CallToolResponse {
    CallToolResult::error(vec![ContentBlock::text(
        ToolError::Refused(why).to_json().to_string(),
    )])
    .into()
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
                    name: Some(form.name),
                    approve: form.approve,
                    comment: form.comment,
                })),
                // Declining is a decision (a rejection, as in the multi-round flow); cancelling
                // or closing the form is no answer.
                Err(rmcp::service::ElicitationError::UserDeclined) => Ok(Some(HumanAnswer {
                    name: None,
                    approve: false,
                    comment: Some("declined in the client".into()),
                })),
                Ok(None) | Err(rmcp::service::ElicitationError::UserCancelled) => Ok(None),
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
