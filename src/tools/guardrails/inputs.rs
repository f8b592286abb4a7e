//! Input structs of `aws_guardrails`. Doc comments are the schema's field descriptions.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::{
    guardrails::{
        changes::ChangeStatus,
        environment::{Environment, EnvironmentConfig},
        policy::{Effect, PolicyRule},
        ratelimit::RateLimits,
    },
    registry::Access,
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetCallInput {
    /// Tool of the call to examine, e.g. "aws_ec2"
    pub target_tool: String,
    /// Action of that call, e.g. "terminate_instances"
    pub target_action: String,
    /// Arguments of that call, e.g. {"instance_ids": ["i-0abc"]}
    pub target_arguments: Option<Map<String, Value>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApprovalInput {
    /// Tool of the call to examine, e.g. "aws_ec2"
    pub target_tool: String,
    /// Action of that call, e.g. "terminate_instances"
    pub target_action: String,
    /// Arguments of that call, e.g. {"instance_ids": ["i-0abc"]}
    pub target_arguments: Option<Map<String, Value>>,
    /// Why the change is needed, for the approvers
    pub reason: String,
    /// Change request id (chg-…) the change belongs to
    pub change_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestIdInput {
    /// Approval request id, e.g. apr-3f9c1a2b4d5e
    pub request_id: String,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
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

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListApprovalsInput {
    /// Approval status to list (default pending)
    pub approval_status: Option<ApprovalFilter>,
    /// Items per page (default 50, at most 1000)
    pub max_results: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentInput {
    /// Environment: production, staging, development or testing
    pub environment: Option<Environment>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetProtectionInput {
    /// Environment: production, staging, development or testing
    pub environment: Environment,
    /// Whether critical (and in production, high-risk) changes need human approval
    pub approval_required: Option<bool>,
    /// Distinct people who must approve
    pub min_approvers: Option<u32>,
    /// Whether changes must reference a change request
    pub change_request_required: Option<bool>,
    /// Whether a backup is taken before destructive changes
    pub backup_required: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogActionInput {
    /// What happened, in a sentence
    pub message: String,
    /// Resource ids the note is about
    pub resource_ids: Option<Vec<String>>,
    /// Environment: production, staging, development or testing
    pub environment: Option<Environment>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryAuditInput {
    /// Only records of this tool, e.g. "aws_ec2"
    pub filter_tool: Option<String>,
    /// Only records of this action, e.g. "terminate_instances"
    pub filter_action: Option<String>,
    /// Only this outcome: ok, refused, failed, pending_approval, confirmation_required, dry_run, logged
    pub outcome: Option<String>,
    /// Environment: production, staging, development or testing
    pub environment: Option<Environment>,
    /// Start of the period, RFC 3339 (default: 24 hours ago for summaries, all for queries)
    pub since: Option<String>,
    /// End of the period, RFC 3339 (default: now)
    pub until: Option<String>,
    /// Items per page (default 50, at most 1000)
    pub max_results: Option<u32>,
    /// next_token of the previous page
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PeriodInput {
    /// Start of the period, RFC 3339 (default: 24 hours ago for summaries, all for queries)
    pub since: Option<String>,
    /// End of the period, RFC 3339 (default: now)
    pub until: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimitInput {
    /// Access class: write or destructive (default both)
    pub access: Option<Access>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetRateLimitsInput {
    /// The full rate-limit configuration
    pub rate_limits: RateLimits,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBackupInput {
    /// EC2 instance ids whose EBS volumes to snapshot
    pub instance_ids: Vec<String>,
    /// Why the backup is taken
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListBackupsInput {
    /// Only backups of this resource id
    pub resource_id: Option<String>,
    /// Items per page (default 50, at most 1000)
    pub max_results: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateChangeInput {
    /// Short title of the change
    pub title: String,
    /// What changes and why
    pub description: String,
    /// Environment: production, staging, development or testing
    pub environment: Option<Environment>,
    /// How to undo the change
    pub rollback_plan: Option<String>,
    /// Planned start, RFC 3339
    pub planned_start: Option<String>,
    /// Planned end, RFC 3339
    pub planned_end: Option<String>,
    /// Keep as a draft instead of submitting it (default false)
    pub draft: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeIdInput {
    /// Change request id, e.g. chg-3f9c1a2b4d5e
    pub change_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateChangeInput {
    /// Change request id, e.g. chg-3f9c1a2b4d5e
    pub change_id: String,
    /// Change request status
    pub status: ChangeStatus,
    /// Note recorded in the change request's history
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListChangesInput {
    /// Change request status
    pub status: Option<ChangeStatus>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddPolicyInput {
    /// Policy name
    pub name: String,
    /// What the policy is for; shown when it blocks a call
    pub description: Option<String>,
    /// deny, require_approval, require_confirmation or allow
    pub effect: Effect,
    /// Which calls it matches (all fields optional)
    pub rule: Option<PolicyRule>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyIdInput {
    /// Policy id, e.g. pol-3f9c1a2b4d5e
    pub policy_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePolicyInput {
    /// Policy id, e.g. pol-3f9c1a2b4d5e
    pub policy_id: String,
    /// Policy name
    pub name: Option<String>,
    /// What the policy is for; shown when it blocks a call
    pub description: Option<String>,
    /// deny, require_approval, require_confirmation or allow
    pub effect: Option<Effect>,
    /// Which calls it matches (all fields optional)
    pub rule: Option<PolicyRule>,
    /// Turn the policy on or off
    pub enabled: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassifyInput {
    /// Tool of the call to examine, e.g. "aws_ec2"
    pub target_tool: String,
    /// Action of that call, e.g. "terminate_instances"
    pub target_action: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationInput {
    /// SNS topic ARN for approval notifications ("" turns them off)
    pub topic_arn: String,
    /// Publish a test message now
    pub send_test: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoInput {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateConfigInput {
    /// How environments are recognised: accounts, regions, default_environment
    pub environments: Option<EnvironmentConfig>,
    /// IANA time zone for policy windows, e.g. "Europe/Berlin"
    pub time_zone: Option<String>,
    /// Hours an approval request stays valid (default 24)
    pub approval_ttl_hours: Option<u32>,
}
