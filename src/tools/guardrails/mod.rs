//! `aws_guardrails`: approvals, change requests, policies, protections, rate limits, backups,
//! the audit log, and questions about what the pipeline would do with a call. The pipeline
//! itself runs in the dispatcher for every tool; this tool reads and shapes its state, and
//! changing that state is judged as a production change.

mod approvals;
mod audit;
mod backups;
mod changes;
mod examine;
mod policies;
mod settings;

use serde_json::{Map, Value, json};

use crate::{
    aws::paging::PageRequest,
    dispatch::{Dispatcher, ParsedCall},
    error::ToolError,
    guardrails::{
        APPROVAL_TTL_KEY, Evaluation, TIME_ZONE_KEY, TOPIC_KEY,
        approvals::Status,
        audit::{AuditQuery, AuditRecord},
        changes::{ChangeRequest, ChangeStatus},
        environment::{Environment, EnvironmentConfig, Protection},
        policy::{Effect, PolicyRule},
        ratelimit::RateLimits,
        store::{Store, new_id, now},
    },
    output::Output,
    registry::{Access, Action, ActionDef, Cx, Kind, Risk, Target, Tool},
};

pub static TOOL: Tool = Tool {
    name: "aws_guardrails",
    toolset: "guardrails",
    about: "The guardrails on every call: approvals (people decide, never the agent), change \
            requests and plans, policies, protections, rate limits, backups, audit. Changing \
            them is a production change.",
    actions: &[
        ActionDef::of::<approvals::CreateApprovalRequest>(),
        ActionDef::of::<approvals::GetApprovalRequest>(),
        ActionDef::of::<approvals::ListApprovalRequests>(),
        ActionDef::of::<approvals::SubmitApprovalResponse>(),
        ActionDef::of::<approvals::CancelApprovalRequest>(),
        ActionDef::of::<examine::PerformDryRun>(),
        ActionDef::of::<examine::RunSafetyChecks>(),
        ActionDef::of::<examine::EvaluateGuardrails>(),
        ActionDef::of::<examine::AssessImpact>(),
        ActionDef::of::<settings::GetEnvironmentProtection>(),
        ActionDef::of::<settings::SetEnvironmentProtection>(),
        ActionDef::of::<audit::LogAction>(),
        ActionDef::of::<audit::QueryAuditLogs>(),
        ActionDef::of::<audit::GetAuditLogSummary>(),
        ActionDef::of::<settings::CheckRateLimit>(),
        ActionDef::of::<settings::GetRateLimitConfig>(),
        ActionDef::of::<settings::SetRateLimitConfig>(),
        ActionDef::of::<backups::CreatePreOperationBackup>(),
        ActionDef::of::<backups::ListPreOperationBackups>(),
        ActionDef::of::<changes::CreateChangeRequest>(),
        ActionDef::of::<changes::GetChangeRequest>(),
        ActionDef::of::<changes::UpdateChangeRequestStatus>(),
        ActionDef::of::<changes::ListChangeRequests>(),
        ActionDef::of::<policies::AddPolicy>(),
        ActionDef::of::<policies::GetPolicy>(),
        ActionDef::of::<policies::ListPolicies>(),
        ActionDef::of::<policies::UpdatePolicy>(),
        ActionDef::of::<policies::RemovePolicy>(),
        ActionDef::of::<examine::ClassifyAction>(),
        ActionDef::of::<settings::ConfigureNotificationChannel>(),
        ActionDef::of::<settings::GetConfig>(),
        ActionDef::of::<settings::UpdateConfig>(),
    ],
};

#[derive(Debug, Clone, Copy, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalFilter {
    Pending,
    Approved,
    Rejected,
    Cancelled,
    Expired,
    Executed,
    All,
}

/// The dispatcher that runs this call: this tool examines other calls through it.
fn dispatcher<'a>(cx: &Cx<'a>) -> &'a Dispatcher {
    cx.host::<Dispatcher>()
        .expect("aws_guardrails runs under the dispatcher")
}

/// The state file, for work done on its own thread (`Store::run`), never on an async worker.
fn store(cx: &Cx<'_>) -> Store {
    dispatcher(cx).guardrails.store.clone()
}

/// The guardrails' own settings as a target: changing them is judged as a production change,
/// since loosening any environment's protection (staging's too) would open a way around them.
fn guardrails_settings() -> Target {
    Target::new(Kind::Guardrails, Environment::Production.as_str())
}

/// Parses the call another action examines.
fn parse_target(
    d: &Dispatcher,
    tool: &str,
    action: &str,
    arguments: Option<Map<String, Value>>,
) -> Result<ParsedCall, ToolError> {
    let tool = d.tool(tool)?;
    let mut args = arguments.unwrap_or_default();
    args.insert("action".into(), json!(action));
    d.parse(tool, args)
}

fn env_text(eval: &Evaluation) -> String {
    match eval.environment {
        Some(e) => format!("{} (from {})", e.as_str(), eval.environment_source),
        None => "an unknown environment".into(),
    }
}

fn parse_time(text: Option<&str>, field: &str) -> Result<Option<i64>, ToolError> {
    text.map(|t| {
        t.parse::<jiff::Timestamp>()
            .map(|ts| ts.as_second())
            .map_err(|_| {
                ToolError::invalid(format!(
                    "{field} must be an RFC 3339 time such as 2026-11-26T10:00:00Z"
                ))
            })
    })
    .transpose()
}
