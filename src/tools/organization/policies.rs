//! Organization policies (SCPs by default; tag, backup, AI opt-out and the others by
//! `policy_type`): list, read, create from JSON or a template, update, delete, attach and
//! detach, their targets, and enabling or disabling a policy type on the root.

use aws_sdk_organizations::{
    Client,
    types::{PolicySummary, PolicyType},
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    check_id, check_name, check_tags, org_error, org_once, org_tags, target,
    templates::{check_scp, template},
};
use crate::{
    aws::{
        outcome::{Check, sent_once},
        paging::PageRequest,
    },
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Flag, Kind, Risk, Tags, Target},
};

const SCP: &str = "SERVICE_CONTROL_POLICY";

/// A policy type by its AWS name, checked.
fn policy_type(t: Option<&str>) -> Result<PolicyType, ToolError> {
    let t = t.unwrap_or(SCP);
    if PolicyType::values().contains(&t) {
        Ok(PolicyType::from(t))
    } else {
        Err(ToolError::invalid(format!(
            "policy_type must be one of {}",
            PolicyType::values().join(", ")
        )))
    }
}

/// The policy content: `content` (JSON text) or a template with its parameters.
fn content(
    content: Option<&str>,
    tmpl: Option<&str>,
    regions: Option<&[String]>,
    types: Option<&[String]>,
    kind: &PolicyType,
) -> Result<Option<Value>, ToolError> {
    let v = match (content, tmpl) {
        (Some(_), Some(_)) => return Err(ToolError::invalid("give content or template, not both")),
        (Some(c), None) => {
            if regions.is_some() || types.is_some() {
                return Err(ToolError::invalid(
                    "regions and instance_types go with a template",
                ));
            }
            let v: Value = serde_json::from_str(c)
                .map_err(|e| ToolError::invalid(format!("content is not JSON: {e}")))?;
            if !v.is_object() {
                return Err(ToolError::invalid("content must be a JSON object"));
            }
            v
        }
        (None, Some(t)) => {
            if *kind != PolicyType::ServiceControlPolicy {
                return Err(ToolError::invalid("templates are SCPs"));
            }
            template(t, regions, types)?
        }
        (None, None) => return Ok(None),
    };
    if matches!(
        kind,
        PolicyType::ServiceControlPolicy | PolicyType::ResourceControlPolicy
    ) {
        check_scp(&v)?;
    }
    Ok(Some(v))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListPolicies {
    /// Default SERVICE_CONTROL_POLICY
    pub policy_type: Option<String>,
    /// Only those attached to this root, OU or account
    pub target_id: Option<String>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListPolicies {
    const NAME: &'static str = "list_policies";
    const DESCRIPTION: &'static str = "Policies by type or target";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        policy_type(self.policy_type.as_deref())?;
        if let Some(t) = &self.target_id {
            check_id(
                "target_id",
                t,
                &[Kind::OrgRoot, Kind::OrgUnit, Kind::OrgAccount],
            )?;
        }
        PageRequest::new(self.max_results, self.next_token.as_deref()).map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let kind = policy_type(self.policy_type.as_deref())?;
        let client: Client = cx.client().await;
        let size = page.aws_page_size(1, 20);
        let (list, next) = match &self.target_id {
            Some(t) => {
                let out = client
                    .list_policies_for_target()
                    .target_id(t)
                    .filter(kind.clone())
                    .max_results(size)
                    .set_next_token(page.aws_token.clone())
                    .send()
                    .await
                    .map_err(org_error)?;
                (
                    out.policies().to_vec(),
                    out.next_token().map(str::to_string),
                )
            }
            None => {
                let out = client
                    .list_policies()
                    .filter(kind.clone())
                    .max_results(size)
                    .set_next_token(page.aws_token.clone())
                    .send()
                    .await
                    .map_err(org_error)?;
                (
                    out.policies().to_vec(),
                    out.next_token().map(str::to_string),
                )
            }
        };
        let (items, next) = page.finish(list.iter().map(summary_json).collect(), next);
        Ok(Output::new(
            format!("{} {} polic(ies).", items.len(), kind.as_str()),
            json!({"policies": items}),
        )
        .with_next_token(next))
    }
}

fn summary_json(p: &PolicySummary) -> Value {
    json!({
        "id": p.id(),
        "name": p.name(),
        "type": p.r#type().map(|t| t.as_str()),
        "aws_managed": p.aws_managed(),
        "description": p.description(),
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetPolicy {
    pub policy_id: String,
}

impl Action for GetPolicy {
    const NAME: &'static str = "get_policy";
    const DESCRIPTION: &'static str = "A policy and its content";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_id("policy_id", &self.policy_id, &[Kind::OrgPolicy]).map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        vec![target(&self.policy_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let out = client
            .describe_policy()
            .policy_id(&self.policy_id)
            .send()
            .await
            .map_err(org_error)?;
        let p = out
            .policy()
            .ok_or_else(|| ToolError::invalid("the policy was not described"))?;
        let s = p.policy_summary();
        let text = p.content().unwrap_or_default();
        // The content is shown as JSON when it is JSON, as text otherwise.
        let content: Value =
            serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()));
        let mut data = s.map(summary_json).unwrap_or_else(|| json!({}));
        data["content"] = content;
        Ok(Output::new(
            format!(
                "Policy {} ({}).",
                s.and_then(|s| s.name()).unwrap_or_default(),
                self.policy_id
            ),
            data,
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePolicy {
    pub name: String,
    pub description: Option<String>,
    /// Default SERVICE_CONTROL_POLICY
    pub policy_type: Option<String>,
    /// Policy JSON, or use template
    pub content: Option<String>,
    /// See list_scp_templates
    pub template: Option<String>,
    /// For restrict-regions
    pub allowed_regions: Option<Vec<String>>,
    /// For deny-expensive-instances
    pub instance_types: Option<Vec<String>>,
    pub tags: Option<Tags>,
}

impl CreatePolicy {
    fn document(&self) -> Result<Value, ToolError> {
        let kind = policy_type(self.policy_type.as_deref())?;
        content(
            self.content.as_deref(),
            self.template.as_deref(),
            self.allowed_regions.as_deref(),
            self.instance_types.as_deref(),
            &kind,
        )?
        .ok_or_else(|| ToolError::invalid("create_policy needs content or template"))
    }
}

impl Action for CreatePolicy {
    const NAME: &'static str = "create_policy";
    const DESCRIPTION: &'static str = "Create a policy (JSON or template)";
    const ACCESS: Access = Access::Write;
    // A new policy is attached to nothing.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_name("name", &self.name, 128)?;
        if let Some(d) = &self.description
            && d.chars().count() > 512
        {
            return Err(ToolError::invalid("description is at most 512 characters"));
        }
        check_tags(self.tags.as_ref())?;
        self.document().map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::created(Kind::OrgPolicy, &self.name)]
    }

    /// CreatePolicy has no idempotency token: sent once.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let doc = self.document()?;
        let kind = policy_type(self.policy_type.as_deref())?;
        let client: Client = cx.client().await;
        let name = self.name.as_str();
        let out = client
            .create_policy()
            .name(name)
            .description(self.description.clone().unwrap_or_default())
            .r#type(kind.clone())
            .content(doc.to_string())
            .set_tags(org_tags(self.tags.as_ref())?)
            .customize()
            .config_override(org_once())
            .send()
            .await
            .map_err(|e| {
                sent_once(
                    e,
                    org_error,
                    "CreatePolicy",
                    &format!("policy {name}"),
                    || Check {
                        tool: "aws_organization",
                        action: "list_policies",
                        arguments: json!({"policy_type": kind.as_str()}),
                        look_for: format!("the policy {name}"),
                    },
                )
            })?;
        let id = out
            .policy()
            .and_then(|p| p.policy_summary())
            .and_then(|s| s.id())
            .map(str::to_string);
        Ok(Output::new(
            format!(
                "Created {} {name} ({}); attach it with attach_policy.",
                kind.as_str(),
                id.as_deref().unwrap_or("?")
            ),
            json!({
                "id": id,
                "name": name,
                "type": kind.as_str(),
                "template": self.template,
                "characters": doc.to_string().chars().count(),
                "content": doc,
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePolicy {
    pub policy_id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub content: Option<String>,
    pub template: Option<String>,
    pub allowed_regions: Option<Vec<String>>,
    pub instance_types: Option<Vec<String>>,
}

impl UpdatePolicy {
    /// The new content, checked as an SCP (templates are SCPs; other types' content must
    /// fit the SCP limit here too).
    fn document(&self) -> Result<Option<Value>, ToolError> {
        content(
            self.content.as_deref(),
            self.template.as_deref(),
            self.allowed_regions.as_deref(),
            self.instance_types.as_deref(),
            &PolicyType::ServiceControlPolicy,
        )
    }
}

impl Action for UpdatePolicy {
    const NAME: &'static str = "update_policy";
    const DESCRIPTION: &'static str = "Change a policy's name, description or content";
    const ACCESS: Access = Access::Write;
    // The change applies at once wherever the policy is attached (flagged in production).
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_id("policy_id", &self.policy_id, &[Kind::OrgPolicy])?;
        if let Some(n) = &self.name {
            check_name("name", n, 128)?;
        }
        let doc = self.document()?;
        if self.name.is_none() && self.description.is_none() && doc.is_none() {
            return Err(ToolError::invalid(
                "update_policy needs name, description, content or template",
            ));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![target(&self.policy_id)]
    }

    fn flags(&self) -> Vec<Flag> {
        if self.content.is_none() && self.template.is_none() {
            return Vec::new();
        }
        vec![
            Flag::high(
                "changes the content of a policy attached where production accounts are: it \
                 applies to them at once",
            )
            .in_production(),
        ]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let doc = self.document()?;
        let client: Client = cx.client().await;
        let out = client
            .update_policy()
            .policy_id(&self.policy_id)
            .set_name(self.name.clone())
            .set_description(self.description.clone())
            .set_content(doc.as_ref().map(Value::to_string))
            .send()
            .await
            .map_err(org_error)?;
        let s = out.policy().and_then(|p| p.policy_summary());
        Ok(Output::new(
            format!(
                "Updated policy {} ({}){}.",
                s.and_then(|s| s.name()).unwrap_or_default(),
                self.policy_id,
                if doc.is_some() {
                    ", content replaced"
                } else {
                    ""
                }
            ),
            json!({"id": self.policy_id, "name": s.and_then(|s| s.name()), "content": doc}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeletePolicy {
    pub policy_id: String,
}

impl Action for DeletePolicy {
    const NAME: &'static str = "delete_policy";
    const DESCRIPTION: &'static str = "Delete a detached policy";
    const ACCESS: Access = Access::Destructive;
    const RISK: Risk = Risk::Critical;

    fn validate(&self) -> Result<(), ToolError> {
        check_id("policy_id", &self.policy_id, &[Kind::OrgPolicy]).map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        vec![target(&self.policy_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        client
            .delete_policy()
            .policy_id(&self.policy_id)
            .send()
            .await
            .map_err(|e| {
                let e = org_error(e);
                if e.aws_code() == Some("PolicyInUseException") {
                    return ToolError::Precondition {
                        message: format!("policy {} is still attached", self.policy_id),
                        hint: "nothing was deleted; list_policy_targets shows where, \
                               detach_policy from each first"
                            .into(),
                        details: json!({"policy_id": self.policy_id}),
                    };
                }
                e
            })?;
        Ok(Output::new(
            format!("Deleted policy {}.", self.policy_id),
            json!({"id": self.policy_id, "deleted": true}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachPolicy {
    pub policy_id: String,
    /// Root, OU or account
    pub target_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DetachPolicy {
    pub policy_id: String,
    /// Root, OU or account
    pub target_id: String,
}

fn check_attachment(policy_id: &str, target_id: &str) -> Result<(), ToolError> {
    check_id("policy_id", policy_id, &[Kind::OrgPolicy])?;
    check_id(
        "target_id",
        target_id,
        &[Kind::OrgRoot, Kind::OrgUnit, Kind::OrgAccount],
    )
    .map(|_| ())
}

impl Action for AttachPolicy {
    const NAME: &'static str = "attach_policy";
    const DESCRIPTION: &'static str = "Attach a policy to a root, OU or account";
    const ACCESS: Access = Access::Write;
    // What every account below the target may do changes; high in production (flag).
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_attachment(&self.policy_id, &self.target_id)
    }

    /// The target (its environment is the strictest of the accounts under it). The policy
    /// is not a target: where else it is attached does not change.
    fn targets(&self) -> Vec<Target> {
        vec![target(&self.target_id)]
    }

    fn flags(&self) -> Vec<Flag> {
        vec![
            Flag::high(format!(
                "attaches policy {} to {}, which holds production accounts",
                self.policy_id, self.target_id
            ))
            .in_production(),
        ]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        client
            .attach_policy()
            .policy_id(&self.policy_id)
            .target_id(&self.target_id)
            .send()
            .await
            .map_err(org_error)?;
        Ok(Output::new(
            format!("Attached policy {} to {}.", self.policy_id, self.target_id),
            json!({"policy_id": self.policy_id, "target_id": self.target_id, "attached": true}),
        ))
    }
}

impl Action for DetachPolicy {
    const NAME: &'static str = "detach_policy";
    const DESCRIPTION: &'static str = "Detach a policy";
    const ACCESS: Access = Access::Write;
    // A guardrail stops applying below the target; high in production (flag).
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_attachment(&self.policy_id, &self.target_id)
    }

    fn targets(&self) -> Vec<Target> {
        vec![target(&self.target_id)]
    }

    fn flags(&self) -> Vec<Flag> {
        vec![
            Flag::high(format!(
                "detaches policy {} from {}, which holds production accounts",
                self.policy_id, self.target_id
            ))
            .in_production(),
        ]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        client
            .detach_policy()
            .policy_id(&self.policy_id)
            .target_id(&self.target_id)
            .send()
            .await
            .map_err(org_error)?;
        Ok(Output::new(
            format!(
                "Detached policy {} from {}.",
                self.policy_id, self.target_id
            ),
            json!({"policy_id": self.policy_id, "target_id": self.target_id, "detached": true}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListPolicyTargets {
    pub policy_id: String,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListPolicyTargets {
    const NAME: &'static str = "list_policy_targets";
    const DESCRIPTION: &'static str = "Where a policy is attached";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_id("policy_id", &self.policy_id, &[Kind::OrgPolicy])?;
        PageRequest::new(self.max_results, self.next_token.as_deref()).map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        vec![target(&self.policy_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let client: Client = cx.client().await;
        let out = client
            .list_targets_for_policy()
            .policy_id(&self.policy_id)
            .max_results(page.aws_page_size(1, 20))
            .set_next_token(page.aws_token.clone())
            .send()
            .await
            .map_err(org_error)?;
        let list: Vec<Value> = out
            .targets()
            .iter()
            .map(|t| {
                json!({"target_id": t.target_id(), "name": t.name(),
                       "type": t.r#type().map(|t| t.as_str())})
            })
            .collect();
        let (items, next) = page.finish(list, out.next_token().map(str::to_string));
        Ok(Output::new(
            format!(
                "Policy {} is attached to {} target(s).",
                self.policy_id,
                items.len()
            ),
            json!({"policy_id": self.policy_id, "targets": items}),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnablePolicyType {
    pub root_id: String,
    /// Default SERVICE_CONTROL_POLICY
    pub policy_type: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DisablePolicyType {
    pub root_id: String,
    /// Default SERVICE_CONTROL_POLICY
    pub policy_type: Option<String>,
}

impl Action for EnablePolicyType {
    const NAME: &'static str = "enable_policy_type";
    const DESCRIPTION: &'static str = "Enable a policy type on the root";
    const ACCESS: Access = Access::Write;
    // Enabling SCPs attaches FullAWSAccess everywhere: nothing is denied yet.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_id("root_id", &self.root_id, &[Kind::OrgRoot])?;
        policy_type(self.policy_type.as_deref()).map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        vec![target(&self.root_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let kind = policy_type(self.policy_type.as_deref())?;
        let client: Client = cx.client().await;
        client
            .enable_policy_type()
            .root_id(&self.root_id)
            .policy_type(kind.clone())
            .send()
            .await
            .map_err(org_error)?;
        Ok(Output::new(
            format!("Enabled {} on {}.", kind.as_str(), self.root_id),
            json!({"root_id": self.root_id, "policy_type": kind.as_str(), "enabled": true}),
        ))
    }
}

impl Action for DisablePolicyType {
    const NAME: &'static str = "disable_policy_type";
    const DESCRIPTION: &'static str = "Disable a policy type (detaches all of them)";
    const ACCESS: Access = Access::Write;
    // Every policy of the type stops applying at once; high in production (flag).
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_id("root_id", &self.root_id, &[Kind::OrgRoot])?;
        policy_type(self.policy_type.as_deref()).map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        vec![target(&self.root_id)]
    }

    fn flags(&self) -> Vec<Flag> {
        vec![
            Flag::high(
                "disables a policy type on a root with production accounts: every policy of \
                 that type is detached from them",
            )
            .in_production(),
        ]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let kind = policy_type(self.policy_type.as_deref())?;
        let client: Client = cx.client().await;
        client
            .disable_policy_type()
            .root_id(&self.root_id)
            .policy_type(kind.clone())
            .send()
            .await
            .map_err(org_error)?;
        Ok(Output::new(
            format!(
                "Disabled {} on {}; its policies no longer apply.",
                kind.as_str(),
                self.root_id
            ),
            json!({"root_id": self.root_id, "policy_type": kind.as_str(), "enabled": false}),
        ))
    }
}
