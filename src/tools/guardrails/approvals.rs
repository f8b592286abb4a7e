//! Approval requests: asked for here, decided only by people (the CLI or an MCP elicitation
//! answered in the client).

use schemars::JsonSchema;
use serde::Deserialize;

use super::*;
use crate::guardrails::approvals::{Ballot, Proof, approve_commands, os_user, question};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApprovalRequest {
    /// e.g. aws_ec2
    pub target_tool: String,
    /// e.g. terminate_instances
    pub target_action: String,
    pub target_arguments: Option<Map<String, Value>>,
    /// For the approvers
    pub reason: String,
    /// The change request (chg-…)
    pub change_id: Option<String>,
}

impl Action for CreateApprovalRequest {
    const NAME: &'static str = "create_approval_request";
    const DESCRIPTION: &'static str = "Ask people to approve a call in advance";
    const ACCESS: Access = Access::Write;
    // A request changes nothing; people decide on it.
    const RISK: Risk = Risk::Medium;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let d = dispatcher(cx);
        let call = parse_target(
            d,
            &self.target_tool,
            &self.target_action,
            self.target_arguments,
        )?;
        let eval = d.evaluate(&call, cx.caller).await?;
        let mut facts = d.facts(&call, cx.caller);
        facts.change_request_id = self.change_id.as_deref();
        // The same rules as the gate's own requests: a production call needs an open change
        // request, and the request binds the call's context.
        let req = d
            .guardrails
            .open_approval(&facts, &eval, cx.aws(), &self.reason)
            .await?;
        Ok(Output::new(
            format!(
                "Approval request {} created for {} {}; {} person(s) must approve it: {}. Then \
                 repeat the call with approval_request_id.",
                req.id,
                req.call.tool,
                req.call.action,
                req.min_approvers,
                approve_commands(&req.id, req.signed_approvals)
            ),
            json!(req),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetApprovalRequest {
    pub request_id: String,
}

impl Action for GetApprovalRequest {
    const NAME: &'static str = "get_approval_request";
    const DESCRIPTION: &'static str = "An approval request and its votes";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let id = self.request_id.clone();
        let req = store(cx)
            .run(move |s| s.approval(&id))
            .await?
            .ok_or_else(|| {
                ToolError::invalid(format!("no approval request {}", self.request_id))
            })?;
        Ok(Output::new(
            format!(
                "{} is {} ({} of {} approvals).",
                req.id,
                req.status.as_str(),
                req.approvals,
                req.min_approvers
            ),
            json!(req),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListApprovalRequests {
    /// Default pending
    pub approval_status: Option<ApprovalFilter>,
    pub max_results: Option<u32>,
}

impl Action for ListApprovalRequests {
    const NAME: &'static str = "list_approval_requests";
    const DESCRIPTION: &'static str = "Approval requests (default pending)";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let status = match self.approval_status.unwrap_or(ApprovalFilter::Pending) {
            ApprovalFilter::Pending => Some(Status::Pending),
            ApprovalFilter::Approved => Some(Status::Approved),
            ApprovalFilter::Rejected => Some(Status::Rejected),
            ApprovalFilter::Cancelled => Some(Status::Cancelled),
            ApprovalFilter::Expired => Some(Status::Expired),
            ApprovalFilter::Executed => Some(Status::Executed),
            ApprovalFilter::All => None,
        };
        let limit = PageRequest::new(self.max_results, None)?.limit;
        let list = store(cx).run(move |s| s.approvals(status, limit)).await?;
        Ok(Output::new(
            format!("{} approval request(s).", list.len()),
            json!({"approval_requests": list}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitApprovalResponse {
    pub request_id: String,
}

impl Action for SubmitApprovalResponse {
    const NAME: &'static str = "submit_approval_response";
    const DESCRIPTION: &'static str = "Ask the person in the client";
    const ACCESS: Access = Access::Write;
    // The person in the client answers; the agent cannot.
    const RISK: Risk = Risk::Medium;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let id = self.request_id.clone();
        let req = store(cx)
            .run(move |s| s.approval(&id))
            .await?
            .ok_or_else(|| {
                ToolError::invalid(format!("no approval request {}", self.request_id))
            })?;
        let cli = approve_commands(&req.id, req.signed_approvals);
        if req.signed_approvals {
            return Err(ToolError::Refused(format!(
                "{} takes only signed approvals, which an answer in this client cannot give; {cli}",
                req.id
            )));
        }
        let Some(human) = &cx.caller.human else {
            return Err(ToolError::Refused(format!(
                "this channel cannot ask a person; {cli}"
            )));
        };
        let message = question(&req);
        match human.ask(message).await {
            Ok(Some(answer)) => {
                // The person in the client is the OS user the server runs as; the name they
                // typed is shown, never counted, so one client answering twice is one vote.
                let ballot = Ballot {
                    proof: Proof::Elicitation { user: os_user() },
                    approve: answer.approve,
                    display_name: answer.name.clone(),
                    comment: answer.comment.clone(),
                };
                let req = dispatcher(cx)
                    .guardrails
                    .vote(cx.aws(), &req.id, ballot)
                    .await?;
                Ok(Output::new(
                    format!(
                        "{} recorded {}'s answer (unverified); the request is {}.",
                        req.id,
                        answer.name.as_deref().unwrap_or("the person"),
                        req.status.as_str()
                    ),
                    json!(req),
                ))
            }
            Ok(None) => Ok(Output::new(
                "The person closed the question without answering; nothing was recorded.",
                json!({"request_id": req.id, "recorded": false}),
            )),
            Err(why) => Err(ToolError::Refused(format!(
                "cannot ask the person in this client ({why}); {cli}"
            ))),
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelApprovalRequest {
    pub request_id: String,
}

impl Action for CancelApprovalRequest {
    const NAME: &'static str = "cancel_approval_request";
    const DESCRIPTION: &'static str = "Cancel a pending or approved request";
    const ACCESS: Access = Access::Write;
    // Cancelling only takes a permission away.
    const RISK: Risk = Risk::Medium;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let id = self.request_id.clone();
        let req = store(cx)
            .run(move |s| s.cancel_approval(&id))
            .await?
            .map_err(ToolError::Refused)?;
        Ok(Output::new(format!("{} is cancelled.", req.id), json!(req)))
    }
}
