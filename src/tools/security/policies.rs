//! Managed policies, policy simulation and the policy templates. A document is checked against
//! the IAM grammar (`grammar.rs`) before CreatePolicy; templates come from `templates.rs`.

use std::collections::BTreeMap;

use aws_sdk_iam::{Client, types::PolicyScopeType};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    check_name, check_policy_arn, grammar, iam_error, iam_once, iam_tags, policy_target,
    resolve_policy,
    roles::{default_document, document_or_template, placeholders, with_context},
    templates::{self, PARAMETERS, TEMPLATES},
};
use crate::aws::outcome::{Check, sent_once, stopped};
use crate::aws::time;
use crate::{
    aws::paging::{AllItems, PageRequest},
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Flag, Kind, Risk, Tags, Target},
};

// Which managed policies to list (no doc comment: it would become every field's description).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Local,
    Aws,
    All,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListPolicies {
    /// local (default: customer-managed), aws or all
    pub scope: Option<Scope>,
    pub only_attached: Option<bool>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListPolicies {
    const NAME: &'static str = "list_policies";
    const DESCRIPTION: &'static str = "Managed policies (customer-managed by default)";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let scope = match self.scope.unwrap_or(Scope::Local) {
            Scope::Local => PolicyScopeType::Local,
            Scope::Aws => PolicyScopeType::Aws,
            Scope::All => PolicyScopeType::All,
        };
        let resp = client
            .list_policies()
            .scope(scope)
            .only_attached(self.only_attached.unwrap_or(false))
            .max_items(page.aws_page_size(1, 1000))
            .set_marker(page.aws_token.clone())
            .send()
            .await
            .map_err(iam_error)?;
        let all: Vec<Value> = resp
            .policies()
            .iter()
            .map(|p| {
                json!({
                    "policy_name": p.policy_name(),
                    "arn": p.arn(),
                    "attachment_count": p.attachment_count(),
                    "default_version_id": p.default_version_id(),
                    "updated": p.update_date().map(time),
                })
            })
            .collect();
        let next = resp
            .is_truncated()
            .then(|| resp.marker().map(str::to_string));
        let (items, next) = page.finish(all, next.flatten());
        Ok(Output::new(
            format!("{} polic(ies).", items.len()),
            json!({ "policies": items }),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetPolicy {
    /// Or a customer-managed policy's name
    pub policy_arn: String,
}

impl Action for GetPolicy {
    const NAME: &'static str = "get_policy";
    const DESCRIPTION: &'static str = "A managed policy and its document";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_policy_arn(&self.policy_arn)
    }

    fn targets(&self) -> Vec<Target> {
        vec![policy_target(&self.policy_arn)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let arn = resolve_policy(cx, &self.policy_arn).await?;
        let arn = arn.as_str();
        let (meta, doc) = tokio::join!(
            client.get_policy().policy_arn(arn).send(),
            default_document(&client, arn),
        );
        let meta = meta.map_err(iam_error)?;
        let doc = doc?;
        let p = meta.policy();
        let mut wide: Vec<String> = grammar::wide_managed(arn).into_iter().collect();
        wide.extend(grammar::wide_grants(&doc));
        let mut summary = format!(
            "{} ({} statement(s), attached {} time(s)).",
            p.and_then(|p| p.policy_name()).unwrap_or(arn),
            grammar::statements(&doc).len(),
            p.and_then(|p| p.attachment_count()).unwrap_or(0)
        );
        if !wide.is_empty() {
            summary.push_str(&format!(" Wide grant: {}.", wide.join("; ")));
        }
        Ok(Output::new(
            summary,
            json!({
                "policy_name": p.and_then(|p| p.policy_name()),
                "arn": arn,
                "description": p.and_then(|p| p.description()),
                "default_version_id": p.and_then(|p| p.default_version_id()),
                "attachment_count": p.and_then(|p| p.attachment_count()),
                "created": p.and_then(|p| p.create_date()).map(time),
                "updated": p.and_then(|p| p.update_date()).map(time),
                "document": doc,
                "wide_grants": wide,
                "tags": p.map(|p| p.tags().iter().map(|t| (t.key(), t.value()))
                    .collect::<BTreeMap<_, _>>()),
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePolicy {
    pub policy_name: String,
    /// Policy JSON; or give template (and params)
    pub document: Option<String>,
    pub template: Option<String>,
    pub params: Option<BTreeMap<String, String>>,
    pub description: Option<String>,
    pub tags: Option<Tags>,
}

impl Action for CreatePolicy {
    const NAME: &'static str = "create_policy";
    const DESCRIPTION: &'static str = "Create a managed policy (JSON or template)";
    const ACCESS: Access = Access::Write;
    // A new policy is attached to nothing; wide grants are flagged high all the same.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_name("policy_name", &self.policy_name, 128)?;
        self.document(&placeholders(self.params.as_ref()))
            .map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::created(Kind::IamPolicy, &self.policy_name)]
    }

    fn flags(&self) -> Vec<Flag> {
        self.document(&placeholders(self.params.as_ref()))
            .map(|d| {
                grammar::wide_grants(&d)
                    .into_iter()
                    .map(Flag::high)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Checks the document against the policy grammar, then creates the policy without
    /// retries (CreatePolicy has no idempotency token).
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let names: Vec<String> = self.template.iter().cloned().collect();
        let params = with_context(cx, self.params.clone(), Some(&names)).await?;
        let doc = self.document(&params)?;
        let name = self.policy_name.as_str();
        let out = client
            .create_policy()
            .policy_name(name)
            .policy_document(doc.to_string())
            .set_description(self.description.clone())
            .set_tags(self.tags.as_ref().and_then(iam_tags))
            .customize()
            .config_override(iam_once())
            .send()
            .await
            .map_err(|e| {
                sent_once(
                    e,
                    iam_error,
                    "CreatePolicy",
                    &format!("policy {name}"),
                    || Check {
                        tool: "aws_security",
                        action: "list_policies",
                        arguments: json!({}),
                        look_for: format!("the policy {name} (it did not exist before this call)"),
                    },
                )
            })?;
        let arn = out.policy().and_then(|p| p.arn()).map(str::to_string);
        let wide = grammar::wide_grants(&doc);
        let mut summary = format!(
            "Created policy {name} ({} statement(s)).",
            grammar::statements(&doc).len()
        );
        if !wide.is_empty() {
            summary.push_str(&format!(" It is a wide grant: {}.", wide.join("; ")));
        }
        Ok(Output::new(
            summary,
            json!({"policy_name": name, "arn": arn, "document": doc, "wide_grants": wide}),
        ))
    }
}

impl CreatePolicy {
    fn document(&self, params: &BTreeMap<String, String>) -> Result<Value, ToolError> {
        document_or_template(
            self.document.as_deref(),
            self.template.as_deref(),
            params,
            grammar::MANAGED_MAX,
        )
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeletePolicy {
    /// Or a customer-managed policy's name
    pub policy_arn: String,
}

impl Action for DeletePolicy {
    const NAME: &'static str = "delete_policy";
    const DESCRIPTION: &'static str = "Delete a detached managed policy and all its versions";
    const ACCESS: Access = Access::Destructive;
    // Its versions are gone for good.
    const RISK: Risk = Risk::Critical;

    fn validate(&self) -> Result<(), ToolError> {
        check_policy_arn(&self.policy_arn)?;
        if self.policy_arn.contains(":aws:policy/") {
            return Err(ToolError::invalid(
                "AWS managed policies cannot be deleted; detach them instead",
            ));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![policy_target(&self.policy_arn)]
    }

    /// Refuses, before anything changes, a policy that is still attached (naming where), since
    /// detaching it from everything would take permissions away from each of them. Then
    /// deletes every non-default version and the policy. The default version's document is in
    /// the result, to recreate it.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let arn = resolve_policy(cx, &self.policy_arn).await?;
        let arn = arn.as_str();
        let entities = client
            .list_entities_for_policy()
            .policy_arn(arn)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(iam_error)?;
        let mut attached: Vec<String> = Vec::new();
        for page in &entities {
            attached.extend(
                page.policy_roles()
                    .iter()
                    .filter_map(|r| r.role_name())
                    .map(|r| format!("role {r}")),
            );
            attached.extend(
                page.policy_users()
                    .iter()
                    .filter_map(|u| u.user_name())
                    .map(|u| format!("user {u}")),
            );
            attached.extend(
                page.policy_groups()
                    .iter()
                    .filter_map(|g| g.group_name())
                    .map(|g| format!("group {g}")),
            );
        }
        if !attached.is_empty() {
            return Err(ToolError::Precondition {
                message: format!("{arn} is still attached to {}", attached.join(", ")),
                hint: "detach it first (detach_role_policy for roles), then delete it; nothing \
                       was done"
                    .into(),
                details: json!({"attached_to": attached}),
            });
        }
        let document = default_document(&client, arn).await?;
        let versions = client
            .list_policy_versions()
            .policy_arn(arn)
            .into_paginator()
            .items()
            .send()
            .all()
            .await?;
        let mut deleted = Vec::new();
        for v in versions.iter().filter(|v| !v.is_default_version()) {
            let id = v.version_id().unwrap_or_default();
            client
                .delete_policy_version()
                .policy_arn(arn)
                .version_id(id)
                .send()
                .await
                .map_err(|e| {
                    stopped(
                        &deleted
                            .iter()
                            .map(|v| format!("deleted version {v}"))
                            .collect::<Vec<_>>(),
                        &format!("delete version {id}"),
                        iam_error(e),
                    )
                })?;
            deleted.push(id.to_string());
        }
        client
            .delete_policy()
            .policy_arn(arn)
            .send()
            .await
            .map_err(iam_error)?;
        Ok(Output::new(
            format!(
                "Deleted policy {arn} ({} older version(s) first).",
                deleted.len()
            ),
            json!({"deleted": arn, "versions_deleted": deleted, "default_document": document}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulatePolicy {
    /// e.g. s3:GetObject
    pub actions: Vec<String>,
    /// ARNs (default *)
    pub resources: Option<Vec<String>>,
    /// User or role to simulate
    pub principal_arn: Option<String>,
    /// Policy JSON to simulate instead; or template (and params)
    pub document: Option<String>,
    pub template: Option<String>,
    pub params: Option<BTreeMap<String, String>>,
}

impl Action for SimulatePolicy {
    const NAME: &'static str = "simulate_policy";
    const DESCRIPTION: &'static str = "Would a principal or policy allow the actions";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        if self.actions.is_empty() {
            return Err(ToolError::invalid(
                "actions needs at least one action, e.g. [\"s3:GetObject\"]",
            ));
        }
        let custom = self.document.is_some() || self.template.is_some();
        if self.principal_arn.is_some() == custom {
            return Err(ToolError::invalid(
                "give principal_arn (a user or role ARN), or a policy as document or template",
            ));
        }
        if custom {
            document_or_template(
                self.document.as_deref(),
                self.template.as_deref(),
                &placeholders(self.params.as_ref()),
                grammar::INLINE_MAX,
            )?;
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    /// SimulatePrincipalPolicy for a principal (its identity policies, groups and boundary),
    /// else SimulateCustomPolicy for the document. Both only evaluate; nothing is called.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let results = match &self.principal_arn {
            Some(arn) => client
                .simulate_principal_policy()
                .policy_source_arn(arn)
                .set_action_names(Some(self.actions.clone()))
                .set_resource_arns(self.resources.clone())
                .into_paginator()
                .items()
                .send()
                .all()
                .await
                .map_err(simulate_hint)?,
            None => {
                let names: Vec<String> = self.template.iter().cloned().collect();
                let params = with_context(cx, self.params.clone(), Some(&names)).await?;
                let doc = document_or_template(
                    self.document.as_deref(),
                    self.template.as_deref(),
                    &params,
                    grammar::INLINE_MAX,
                )?;
                client
                    .simulate_custom_policy()
                    .policy_input_list(doc.to_string())
                    .set_action_names(Some(self.actions.clone()))
                    .set_resource_arns(self.resources.clone())
                    .into_paginator()
                    .items()
                    .send()
                    .all()
                    .await
                    .map_err(simulate_hint)?
            }
        };
        let items: Vec<Value> = results
            .iter()
            .map(|r| {
                json!({
                    "action": r.eval_action_name(),
                    "resource": r.eval_resource_name(),
                    "decision": r.eval_decision().as_str(),
                    "matched_statements": r.matched_statements().iter()
                        .filter_map(|s| s.source_policy_id()).collect::<Vec<_>>(),
                    "missing_context": r.missing_context_values(),
                })
            })
            .collect();
        let allowed = items.iter().filter(|r| r["decision"] == "allowed").count();
        Ok(Output::new(
            format!(
                "{allowed} of {} evaluation(s) allowed; the others are denied (explicitly or \
                 implicitly).",
                items.len()
            ),
            json!({ "results": items }),
        ))
    }
}

fn simulate_hint(e: ToolError) -> ToolError {
    match e {
        ToolError::Aws { code, message, .. } if code == "NoSuchEntity" => ToolError::Aws {
            code,
            message,
            hint: Some("principal_arn must be an existing user or role ARN".into()),
        },
        other => other,
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListPolicyTemplates {}

impl Action for ListPolicyTemplates {
    const NAME: &'static str = "list_policy_templates";
    const DESCRIPTION: &'static str = "The 20 policy templates and their params";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, _cx: &Cx<'_>) -> Result<Output, ToolError> {
        let items: Vec<Value> = TEMPLATES
            .iter()
            .map(|t| {
                json!({
                    "name": t.name,
                    "about": t.about,
                    "kind": t.kind.as_str(),
                    "required": t.required,
                    "optional": t.optional,
                    "trust_service": t.service,
                })
            })
            .collect();
        Ok(Output::new(
            format!(
                "{} templates; account and region default to the caller's. Use them with \
                 create_role (templates, params) or create_policy (template, params).",
                items.len()
            ),
            json!({
                "templates": items,
                "parameters": PARAMETERS.iter().map(|(n, d)| (*n, *d)).collect::<BTreeMap<_, _>>(),
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetPolicyTemplate {
    pub template: String,
    pub params: Option<BTreeMap<String, String>>,
}

impl Action for GetPolicyTemplate {
    const NAME: &'static str = "get_policy_template";
    const DESCRIPTION: &'static str = "A template's document with params filled in";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        let t = templates::find(&self.template).map_err(ToolError::invalid)?;
        t.build(&placeholders(self.params.as_ref()))
            .map(|_| ())
            .map_err(ToolError::invalid)
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let t = templates::find(&self.template).map_err(ToolError::invalid)?;
        let names = [self.template.clone()];
        let params = with_context(cx, self.params.clone(), Some(&names)).await?;
        let doc = t.build(&params).map_err(ToolError::invalid)?;
        Ok(Output::new(
            format!(
                "{} ({} policy): {}.",
                t.name,
                t.kind.as_str(),
                t.about.to_lowercase()
            ),
            json!({"template": t.name, "kind": t.kind.as_str(), "trust_service": t.service,
                   "document": doc}),
        ))
    }
}
