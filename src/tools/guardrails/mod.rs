//! `aws_guardrails`: approvals, change requests, policies, protections, rate limits, backups,
//! the audit log, and questions about what the pipeline would do with a call. The pipeline
//! itself runs in the dispatcher for every tool; this tool reads and shapes its state.

mod exec;
pub mod inputs;

use serde_json::{Map, Value};

use self::inputs::*;
use crate::{
    actions,
    error::ToolError,
    guardrails::environment::Environment,
    output::Output,
    registry::{Access, BoxFuture, ExecCtx, Prepared, Target, ToolDef},
};

pub static TOOL: ToolDef = ToolDef {
    name: "aws_guardrails",
    toolset: "guardrails",
    description: "The safety pipeline every tool call passes through. Approvals (humans approve, \
never the agent): create_approval_request, get_approval_request, list_approval_requests, \
submit_approval_response (asks the person in the client), cancel_approval_request. Examine a call \
without running it (target_tool, target_action, target_arguments): perform_dry_run, \
run_safety_checks, evaluate_guardrails, assess_impact, classify_action. Protections: \
get_environment_protection, set_environment_protection. Audit: log_action, query_audit_logs, \
get_audit_log_summary. Rate limits: check_rate_limit, get_rate_limit_config, \
set_rate_limit_config. Backups: create_pre_operation_backup, list_pre_operation_backups. Change \
requests: create_change_request, get_change_request, update_change_request_status, \
list_change_requests. Policies: add_policy, get_policy, list_policies, update_policy, \
remove_policy. Settings: configure_notification_channel, get_config, update_config. Changing \
guardrail settings counts as a production change.",
    actions: GuardrailsAction::specs,
    prepare,
};

actions! {
    GuardrailsAction, GuardrailsRequest;
    CreateApprovalRequest("create_approval_request", CreateApprovalInput):
        "Ask humans to approve a call in advance; repeat the call later with approval_request_id";
    GetApprovalRequest("get_approval_request", RequestIdInput): "Show an approval request and its votes";
    ListApprovalRequests("list_approval_requests", ListApprovalsInput): "List approval requests (pending by default)";
    SubmitApprovalResponse("submit_approval_response", RequestIdInput):
        "Ask the person in the client to approve or reject a request (MCP elicitation)";
    CancelApprovalRequest("cancel_approval_request", RequestIdInput): "Cancel a pending or approved request";
    PerformDryRun("perform_dry_run", TargetCallInput):
        "What the guardrails would decide for a call, plus AWS's own dry run where it has one";
    RunSafetyChecks("run_safety_checks", TargetCallInput): "Each safety check for a call, passed or not";
    EvaluateGuardrails("evaluate_guardrails", TargetCallInput):
        "The pipeline's decision for a call: allow, require_confirmation, require_approval or refuse";
    AssessImpact("assess_impact", TargetCallInput):
        "Blast radius of a call: resources, environments, services, reversibility";
    GetEnvironmentProtection("get_environment_protection", EnvironmentInput):
        "Protection rules of one or every environment";
    SetEnvironmentProtection("set_environment_protection", SetProtectionInput):
        "Change an environment's protection (a production change: needs approval)";
    LogAction("log_action", LogActionInput): "Add a note to the audit log";
    QueryAuditLogs("query_audit_logs", QueryAuditInput): "Audit records, newest first, filtered";
    GetAuditLogSummary("get_audit_log_summary", PeriodInput):
        "Totals by outcome and top actions for a period (default the last 24 hours)";
    CheckRateLimit("check_rate_limit", RateLimitInput): "Calls used and left in the current window";
    GetRateLimitConfig("get_rate_limit_config", NoInput): "The rate-limit settings";
    SetRateLimitConfig("set_rate_limit_config", SetRateLimitsInput): "Change the rate-limit settings";
    CreatePreOperationBackup("create_pre_operation_backup", CreateBackupInput):
        "Snapshot the EBS volumes of instances now and record it";
    ListPreOperationBackups("list_pre_operation_backups", ListBackupsInput): "Recorded pre-operation backups";
    CreateChangeRequest("create_change_request", CreateChangeInput):
        "Record a planned change (needed for production changes)";
    GetChangeRequest("get_change_request", ChangeIdInput): "Show a change request and its history";
    UpdateChangeRequestStatus("update_change_request_status", UpdateChangeInput):
        "Move a change request along (approval comes only from its approval request)";
    ListChangeRequests("list_change_requests", ListChangesInput): "List change requests";
    AddPolicy("add_policy", AddPolicyInput): "Add a policy that denies or gates matching calls";
    GetPolicy("get_policy", PolicyIdInput): "Show a policy";
    ListPolicies("list_policies", NoInput): "List policies";
    UpdatePolicy("update_policy", UpdatePolicyInput): "Change a policy";
    RemovePolicy("remove_policy", PolicyIdInput): "Delete a policy";
    ClassifyAction("classify_action", ClassifyInput): "Access class and risk level of an action";
    ConfigureNotificationChannel("configure_notification_channel", NotificationInput):
        "Set the SNS topic told about approval requests and decisions";
    GetConfig("get_config", NoInput): "Guardrails configuration and where the state is kept";
    UpdateConfig("update_config", UpdateConfigInput):
        "Change environment recognition, time zone or approval validity";
}

impl GuardrailsAction {
    pub fn access(self) -> Access {
        use GuardrailsAction::*;
        match self {
            GetApprovalRequest
            | ListApprovalRequests
            | PerformDryRun
            | RunSafetyChecks
            | EvaluateGuardrails
            | AssessImpact
            | GetEnvironmentProtection
            | QueryAuditLogs
            | GetAuditLogSummary
            | CheckRateLimit
            | GetRateLimitConfig
            | ListPreOperationBackups
            | GetChangeRequest
            | ListChangeRequests
            | GetPolicy
            | ListPolicies
            | ClassifyAction
            | GetConfig => Access::Read,
            CreateApprovalRequest
            | SubmitApprovalResponse
            | CancelApprovalRequest
            | SetEnvironmentProtection
            | LogAction
            | SetRateLimitConfig
            | CreatePreOperationBackup
            | CreateChangeRequest
            | UpdateChangeRequestStatus
            | AddPolicy
            | UpdatePolicy
            | ConfigureNotificationChannel
            | UpdateConfig => Access::Write,
            RemovePolicy => Access::Destructive,
        }
    }
}

fn prepare(action: &str, args: Map<String, Value>) -> Result<Box<dyn Prepared>, ToolError> {
    let action = GuardrailsAction::from_name(action).ok_or_else(|| {
        ToolError::invalid(format!("unknown action '{action}' for aws_guardrails"))
    })?;
    let request = GuardrailsRequest::parse(action, args)?;
    request.validate()?;
    Ok(Box::new(request))
}

impl GuardrailsRequest {
    fn validate(&self) -> Result<(), ToolError> {
        use GuardrailsRequest::*;
        match self {
            AddPolicy(AddPolicyInput {
                rule: Some(rule), ..
            })
            | UpdatePolicy(UpdatePolicyInput {
                rule: Some(rule), ..
            }) => rule.validate().map_err(ToolError::invalid),
            UpdateChangeRequestStatus(i)
                if matches!(
                    i.status,
                    crate::guardrails::changes::ChangeStatus::Approved
                        | crate::guardrails::changes::ChangeStatus::Rejected
                ) =>
            {
                Err(ToolError::invalid(
                    "change requests are approved or rejected by people, through the approval \
                     request of their change (espada-aws approvals approve ID --as NAME); use \
                     submitted, implemented or cancelled here",
                ))
            }
            CreatePreOperationBackup(i) if i.instance_ids.is_empty() => Err(ToolError::invalid(
                "instance_ids must name at least one instance",
            )),
            UpdateConfig(UpdateConfigInput {
                time_zone: Some(tz),
                ..
            }) if jiff::tz::TimeZone::get(tz).is_err() => Err(ToolError::invalid(format!(
                "unknown time zone '{tz}'; use an IANA name such as Europe/Berlin or UTC"
            ))),
            _ => Ok(()),
        }
    }
}

impl Prepared for GuardrailsRequest {
    fn targets(&self) -> Vec<Target> {
        use GuardrailsRequest::*;
        let own = |kind: &'static str, id: &str| vec![Target::new("espada", kind, id)];
        match self {
            GetApprovalRequest(i) | SubmitApprovalResponse(i) | CancelApprovalRequest(i) => {
                own("approval-request", &i.request_id)
            }
            GetPolicy(i) | RemovePolicy(i) => own("policy", &i.policy_id),
            UpdatePolicy(i) => own("policy", &i.policy_id),
            GetChangeRequest(i) => own("change-request", &i.change_id),
            UpdateChangeRequestStatus(i) => own("change-request", &i.change_id),
            CreatePreOperationBackup(i) => i
                .instance_ids
                .iter()
                .map(|id| Target::new("ec2", "instance", id))
                .collect(),
            CreateApprovalRequest(_)
            | ListApprovalRequests(_)
            | PerformDryRun(_)
            | RunSafetyChecks(_)
            | EvaluateGuardrails(_)
            | AssessImpact(_)
            | GetEnvironmentProtection(_)
            | SetEnvironmentProtection(_)
            | LogAction(_)
            | QueryAuditLogs(_)
            | GetAuditLogSummary(_)
            | CheckRateLimit(_)
            | GetRateLimitConfig(_)
            | SetRateLimitConfig(_)
            | ListPreOperationBackups(_)
            | CreateChangeRequest(_)
            | ListChangeRequests(_)
            | AddPolicy(_)
            | ListPolicies(_)
            | ClassifyAction(_)
            | ConfigureNotificationChannel(_)
            | GetConfig(_)
            | UpdateConfig(_) => vec![],
        }
    }

    /// Guardrail settings have no AWS dry run: a dry run answers with the plan.
    fn native_dry_run(&self) -> bool {
        false
    }

    /// Changing the guardrails counts as a production change: loosening any environment's
    /// protection (staging's too) would otherwise open a way around them.
    fn environment(&self) -> Option<Environment> {
        use GuardrailsRequest::*;
        match self {
            SetEnvironmentProtection(_)
            | SetRateLimitConfig(_)
            | UpdatePolicy(_)
            | RemovePolicy(_)
            | UpdateConfig(_)
            | ConfigureNotificationChannel(_) => Some(Environment::Production),
            _ => None,
        }
    }

    fn execute<'a>(
        self: Box<Self>,
        ctx: &'a ExecCtx<'a>,
    ) -> BoxFuture<'a, Result<Output, ToolError>> {
        Box::pin(exec::run(*self, ctx))
    }
}
