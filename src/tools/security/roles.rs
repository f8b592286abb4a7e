//! IAM roles: list, inspect, create from a trust and templates or managed policies, delete
//! (after detaching everything IAM requires), and change their policies. Wide grants and
//! trusts that anyone or another account can use are flagged before the call.

use std::collections::BTreeMap;

use aws_sdk_iam::Client;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    PARALLEL, Task, bounded, check_name, check_policy_arn, decode_document,
    grammar::{self, PolicyKind},
    iam_error, iam_once, iam_tags, resolve_policies, resolve_policy, role_target, templates,
};
use crate::aws::outcome::{Check, sent_once, stopped};
use crate::aws::time;
use crate::{
    aws::paging::{AllItems, PageRequest},
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Flag, Kind, Risk, Tags, Target},
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListRoles {
    /// e.g. /service-role/
    pub path_prefix: Option<String>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListRoles {
    const NAME: &'static str = "list_roles";
    const DESCRIPTION: &'static str = "Roles with attached and inline policy names";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let resp = client
            .list_roles()
            .set_path_prefix(self.path_prefix)
            .max_items(page.aws_page_size(1, 1000))
            .set_marker(page.aws_token.clone())
            .send()
            .await
            .map_err(iam_error)?;
        let roles: Vec<(String, String, String, Option<String>)> = resp
            .roles()
            .iter()
            .map(|r| {
                (
                    r.role_name().to_string(),
                    r.arn().to_string(),
                    time(r.create_date()),
                    r.description().map(str::to_string),
                )
            })
            .collect();
        let next = resp
            .is_truncated()
            .then(|| resp.marker().map(str::to_string));
        let (roles, next) = page.finish(roles, next.flatten());
        let lookups: Vec<Task<Result<PolicyNames, ToolError>>> = roles
            .iter()
            .map(|(name, ..)| {
                let (client, name) = (client.clone(), name.clone());
                Box::pin(async move { role_policies(&client, &name).await }) as Task<_>
            })
            .collect();
        let found = bounded(lookups, PARALLEL).await;
        let items: Vec<Value> = roles
            .into_iter()
            .zip(found)
            .map(|((name, arn, created, description), policies)| {
                let mut r = json!({"role_name": name, "arn": arn, "created": created,
                                   "description": description});
                match policies {
                    Ok((attached, inline)) => {
                        r["attached_policies"] = json!(attached);
                        r["inline_policies"] = json!(inline);
                    }
                    Err(e) => r["policies_error"] = e.to_json(),
                }
                r
            })
            .collect();
        Ok(Output::new(
            format!("{} role(s).", items.len()),
            json!({ "roles": items }),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetRole {
    pub role_name: String,
}

impl Action for GetRole {
    const NAME: &'static str = "get_role";
    const DESCRIPTION: &'static str = "Trust policy, policies, last use, tags";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_name("role_name", &self.role_name, 64)
    }

    fn targets(&self) -> Vec<Target> {
        vec![role_target(&self.role_name)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let (role, policies) = tokio::join!(
            client.get_role().role_name(&self.role_name).send(),
            attached_and_inline(&client, &self.role_name),
        );
        let role = role.map_err(iam_error)?;
        let Some(r) = role.role() else {
            return Err(no_role(&self.role_name));
        };
        let (attached, inline) = policies?;
        let trust = r
            .assume_role_policy_document()
            .map(decode_document)
            .unwrap_or(Value::Null);
        let risky_trust = grammar::trust_grants(&trust);
        let last_used = r.role_last_used().and_then(|u| {
            u.last_used_date()
                .map(|d| json!({"date": time(d), "region": u.region()}))
        });
        let mut summary = format!(
            "{} trusts {}; {} attached and {} inline polic(ies); {}.",
            r.role_name(),
            trusted(&trust),
            attached.len(),
            inline.len(),
            match &last_used {
                Some(u) => format!("last used {}", u["date"].as_str().unwrap_or("?")),
                None => "no recorded use".to_string(),
            }
        );
        if !risky_trust.is_empty() {
            summary.push_str(&format!(" Note: {}.", risky_trust.join("; ")));
        }
        Ok(Output::new(
            summary,
            json!({
                "role_name": r.role_name(),
                "arn": r.arn(),
                "created": time(r.create_date()),
                "description": r.description(),
                "max_session_duration": r.max_session_duration(),
                "trust_policy": trust,
                "trust_risks": risky_trust,
                "attached_policies": attached,
                "inline_policies": inline,
                "permissions_boundary": r.permissions_boundary()
                    .and_then(|b| b.permissions_boundary_arn()),
                "last_used": last_used,
                "tags": r.tags().iter().map(|t| (t.key(), t.value())).collect::<BTreeMap<_, _>>(),
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRole {
    pub role_name: String,
    /// Service (lambda, ec2…), 12-digit account id, or trust policy JSON
    pub trust: String,
    /// Policy templates, each put as an inline policy
    pub templates: Option<Vec<String>>,
    /// Template parameters, e.g. {"bucket":"b"}
    pub params: Option<BTreeMap<String, String>>,
    /// Managed policies to attach (ARNs or customer-managed names)
    pub policy_arns: Option<Vec<String>>,
    pub description: Option<String>,
    /// Allow a policy granting *, iam:* or PassRole on *
    pub wide: Option<bool>,
    pub tags: Option<Tags>,
}

impl Action for CreateRole {
    const NAME: &'static str = "create_role";
    const DESCRIPTION: &'static str = "Create a role with templates or policy ARNs";
    const ACCESS: Access = Access::Write;
    // A new role changes nothing existing; risky trusts and wide grants are flagged.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_name("role_name", &self.role_name, 64)?;
        trust_document(&self.trust, self.params.as_ref())?;
        for arn in self.policy_arns.iter().flatten() {
            check_policy_arn(arn)?;
        }
        for doc in self.template_documents(&placeholders(self.params.as_ref()))? {
            grammar::check(&doc.1, PolicyKind::Identity).map_err(|why| {
                ToolError::invalid(format!("template {} is not valid: {why}", doc.0))
            })?;
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        let mut t = vec![Target::created(Kind::IamRole, &self.role_name)];
        t.extend(
            self.policy_arns
                .iter()
                .flatten()
                .map(|a| Target::new(Kind::IamPolicy, a)),
        );
        t
    }

    fn flags(&self) -> Vec<Flag> {
        let mut flags: Vec<Flag> = trust_document(&self.trust, self.params.as_ref())
            .map(|doc| grammar::trust_grants(&doc))
            .unwrap_or_default()
            .into_iter()
            .map(Flag::high)
            .collect();
        if let Ok(docs) = self.template_documents(&placeholders(self.params.as_ref())) {
            for (name, doc) in docs {
                flags.extend(
                    grammar::wide_grants(&doc)
                        .into_iter()
                        .map(|w| Flag::high(format!("template {name}: {w}"))),
                );
            }
        }
        flags.extend(wide_arn_flags(self.policy_arns.iter().flatten(), self.wide));
        flags
    }

    /// Checks every managed policy it attaches (a wide one needs `wide`), creates the role
    /// (no retry: CreateRole has no idempotency token), then puts each template as an inline
    /// policy and attaches the managed policies. A failing later step says what exists.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let params = with_context(cx, self.params.clone(), self.templates.as_deref()).await?;
        let trust = trust_document(&self.trust, Some(&params))?;
        let docs = self.template_documents(&params)?;
        let arns = resolve_policies(cx, self.policy_arns.as_deref().unwrap_or_default()).await?;
        check_attachable(&client, &arns, self.wide.unwrap_or(false)).await?;
        let name = self.role_name.as_str();
        let created = client
            .create_role()
            .role_name(name)
            .assume_role_policy_document(trust.to_string())
            .set_description(self.description.clone())
            .set_tags(self.tags.as_ref().and_then(iam_tags))
            .customize()
            .config_override(iam_once())
            .send()
            .await
            .map_err(|e| {
                sent_once(e, iam_error, "CreateRole", &format!("role {name}"), || {
                    Check {
                        tool: "aws_security",
                        action: "get_role",
                        arguments: json!({ "role_name": name }),
                        look_for: format!("the role {name} (it did not exist before this call)"),
                    }
                })
            })?;
        let arn = created.role().map(|r| r.arn().to_string());
        let mut done = vec![format!("created role {name}")];
        for (template, doc) in &docs {
            client
                .put_role_policy()
                .role_name(name)
                .policy_name(*template)
                .policy_document(doc.to_string())
                .send()
                .await
                .map_err(|e| stopped(&done, &format!("put template {template}"), iam_error(e)))?;
            done.push(format!("put inline policy {template}"));
        }
        for policy in &arns {
            client
                .attach_role_policy()
                .role_name(name)
                .policy_arn(policy)
                .send()
                .await
                .map_err(|e| stopped(&done, &format!("attach {policy}"), iam_error(e)))?;
            done.push(format!("attached {policy}"));
        }
        let risky = grammar::trust_grants(&trust);
        let mut summary = format!("{}.", capitalise(&done.join(", ")));
        if !risky.is_empty() {
            summary.push_str(&format!(" Note: {}.", risky.join("; ")));
        }
        Ok(Output::new(
            summary,
            json!({
                "role_name": name,
                "arn": arn,
                "trust_policy": trust,
                "inline_policies": docs.iter().map(|(n, _)| n).collect::<Vec<_>>(),
                "attached_policies": arns,
            }),
        ))
    }
}

impl CreateRole {
    /// Each template's name and document, built with `params`.
    fn template_documents(
        &self,
        params: &BTreeMap<String, String>,
    ) -> Result<Vec<(&'static str, Value)>, ToolError> {
        template_documents(self.templates.as_deref().unwrap_or_default(), params)
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteRole {
    pub role_name: String,
}

impl Action for DeleteRole {
    const NAME: &'static str = "delete_role";
    const DESCRIPTION: &'static str = "Delete a role (detaches its policies first)";
    const ACCESS: Access = Access::Destructive;
    // Everything that runs as the role loses its access at once; the role cannot be restored.
    const RISK: Risk = Risk::Critical;

    fn validate(&self) -> Result<(), ToolError> {
        check_name("role_name", &self.role_name, 64)
    }

    fn targets(&self) -> Vec<Target> {
        vec![role_target(&self.role_name)]
    }

    /// Reads the role's whole definition first (trust, inline documents, attached policies,
    /// tags), so the result holds what is needed to recreate it, then detaches the managed
    /// policies, deletes the inline ones, removes the role from its instance profiles and
    /// deletes it.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let name = self.role_name.as_str();
        let role = client
            .get_role()
            .role_name(name)
            .send()
            .await
            .map_err(iam_error)?;
        let Some(r) = role.role() else {
            return Err(no_role(name));
        };
        let trust = r
            .assume_role_policy_document()
            .map(decode_document)
            .unwrap_or(Value::Null);
        let tags: BTreeMap<&str, &str> = r.tags().iter().map(|t| (t.key(), t.value())).collect();
        let (attached, inline) = attached_and_inline(&client, name).await?;
        let mut inline_docs = serde_json::Map::new();
        for policy in &inline {
            let doc = client
                .get_role_policy()
                .role_name(name)
                .policy_name(policy)
                .send()
                .await
                .map_err(iam_error)?;
            inline_docs.insert(policy.clone(), decode_document(doc.policy_document()));
        }
        let profiles: Vec<String> = client
            .list_instance_profiles_for_role()
            .role_name(name)
            .into_paginator()
            .items()
            .send()
            .all()
            .await?
            .iter()
            .map(|p| p.instance_profile_name().to_string())
            .collect();

        let mut done: Vec<String> = Vec::new();
        for p in &attached {
            let arn = p["arn"].as_str().unwrap_or_default();
            client
                .detach_role_policy()
                .role_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map_err(|e| stopped(&done, &format!("detach {arn}"), iam_error(e)))?;
            done.push(format!("detached {arn}"));
        }
        for policy in &inline {
            client
                .delete_role_policy()
                .role_name(name)
                .policy_name(policy)
                .send()
                .await
                .map_err(|e| {
                    stopped(
                        &done,
                        &format!("delete inline policy {policy}"),
                        iam_error(e),
                    )
                })?;
            done.push(format!("deleted inline policy {policy}"));
        }
        for profile in &profiles {
            client
                .remove_role_from_instance_profile()
                .instance_profile_name(profile)
                .role_name(name)
                .send()
                .await
                .map_err(|e| {
                    stopped(
                        &done,
                        &format!("remove it from instance profile {profile}"),
                        iam_error(e),
                    )
                })?;
            done.push(format!("removed it from instance profile {profile}"));
        }
        client
            .delete_role()
            .role_name(name)
            .send()
            .await
            .map_err(|e| stopped(&done, "delete the role", iam_error(e)))?;
        done.push(format!("deleted role {name}"));
        Ok(Output::new(
            format!("{}.", capitalise(&done.join(", "))),
            json!({
                "deleted": name,
                "steps": done,
                "definition": {
                    "trust_policy": trust,
                    "attached_policies": attached,
                    "inline_policies": inline_docs,
                    "instance_profiles": profiles,
                    "tags": tags,
                },
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachRolePolicy {
    pub role_name: String,
    /// Or a customer-managed policy's name
    pub policy_arn: String,
    /// Allow a policy granting *, iam:* or PassRole on *
    pub wide: Option<bool>,
}

impl Action for AttachRolePolicy {
    const NAME: &'static str = "attach_role_policy";
    const DESCRIPTION: &'static str = "Attach a managed policy (wide grants need wide)";
    const ACCESS: Access = Access::Write;
    // Adds permissions; wide grants are flagged high.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_name("role_name", &self.role_name, 64)?;
        check_policy_arn(&self.policy_arn)
    }

    fn targets(&self) -> Vec<Target> {
        vec![
            role_target(&self.role_name),
            Target::new(Kind::IamPolicy, &self.policy_arn),
        ]
    }

    fn flags(&self) -> Vec<Flag> {
        wide_arn_flags([&self.policy_arn], self.wide)
    }

    /// Reads the policy's default version first: a wide grant is attached only when the call
    /// says `wide` (which the guardrails judge as high risk).
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let arn = resolve_policy(cx, &self.policy_arn).await?;
        let wide = check_attachable(
            &client,
            std::slice::from_ref(&arn),
            self.wide.unwrap_or(false),
        )
        .await?;
        client
            .attach_role_policy()
            .role_name(&self.role_name)
            .policy_arn(&arn)
            .send()
            .await
            .map_err(iam_error)?;
        let mut summary = format!("Attached {arn} to {}.", self.role_name);
        if !wide.is_empty() {
            summary.push_str(&format!(" It is a wide grant: {}.", wide.join("; ")));
        }
        Ok(Output::new(
            summary,
            json!({"role_name": self.role_name, "policy_arn": arn, "wide_grants": wide}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DetachRolePolicy {
    pub role_name: String,
    /// Or a customer-managed policy's name
    pub policy_arn: String,
}

impl Action for DetachRolePolicy {
    const NAME: &'static str = "detach_role_policy";
    const DESCRIPTION: &'static str = "Detach a managed policy";
    // It cuts off the permissions the policy gave whatever runs as the role.
    const ACCESS: Access = Access::Destructive;
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        check_name("role_name", &self.role_name, 64)?;
        check_policy_arn(&self.policy_arn)
    }

    fn targets(&self) -> Vec<Target> {
        vec![
            role_target(&self.role_name),
            Target::new(Kind::IamPolicy, &self.policy_arn),
        ]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let arn = resolve_policy(cx, &self.policy_arn).await?;
        client
            .detach_role_policy()
            .role_name(&self.role_name)
            .policy_arn(&arn)
            .send()
            .await
            .map_err(iam_error)?;
        Ok(Output::new(
            format!("Detached {arn} from {}.", self.role_name),
            json!({"role_name": self.role_name, "policy_arn": arn}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PutRoleInlinePolicy {
    pub role_name: String,
    pub policy_name: String,
    /// Policy JSON; or give template (and params)
    pub document: Option<String>,
    pub template: Option<String>,
    pub params: Option<BTreeMap<String, String>>,
}

impl Action for PutRoleInlinePolicy {
    const NAME: &'static str = "put_role_inline_policy";
    const DESCRIPTION: &'static str = "Add or replace an inline policy";
    const ACCESS: Access = Access::Write;
    // Adds or replaces one inline policy; wide grants are flagged high.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_name("role_name", &self.role_name, 64)?;
        check_name("policy_name", &self.policy_name, 128)?;
        document_or_template(
            self.document.as_deref(),
            self.template.as_deref(),
            &placeholders(self.params.as_ref()),
            grammar::INLINE_MAX,
        )
        .map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        vec![role_target(&self.role_name)]
    }

    fn flags(&self) -> Vec<Flag> {
        document_or_template(
            self.document.as_deref(),
            self.template.as_deref(),
            &placeholders(self.params.as_ref()),
            grammar::INLINE_MAX,
        )
        .map(|doc| {
            grammar::wide_grants(&doc)
                .into_iter()
                .map(Flag::high)
                .collect()
        })
        .unwrap_or_default()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let templates: Vec<String> = self.template.iter().cloned().collect();
        let params = with_context(cx, self.params.clone(), Some(&templates)).await?;
        let doc = document_or_template(
            self.document.as_deref(),
            self.template.as_deref(),
            &params,
            grammar::INLINE_MAX,
        )?;
        client
            .put_role_policy()
            .role_name(&self.role_name)
            .policy_name(&self.policy_name)
            .policy_document(doc.to_string())
            .send()
            .await
            .map_err(iam_error)?;
        let wide = grammar::wide_grants(&doc);
        let mut summary = format!(
            "Put inline policy {} on {} ({} statement(s)).",
            self.policy_name,
            self.role_name,
            grammar::statements(&doc).len()
        );
        if !wide.is_empty() {
            summary.push_str(&format!(" It is a wide grant: {}.", wide.join("; ")));
        }
        Ok(Output::new(
            summary,
            json!({"role_name": self.role_name, "policy_name": self.policy_name,
                   "document": doc, "wide_grants": wide}),
        ))
    }
}

/// The trust policy a `trust` argument names: a service name, an account id (with
/// `params.external_id` if given), or JSON checked against the trust grammar.
pub fn trust_document(
    trust: &str,
    params: Option<&BTreeMap<String, String>>,
) -> Result<Value, ToolError> {
    let t = trust.trim();
    let invalid = |why: String| ToolError::invalid(format!("trust is not valid: {why}"));
    if t.starts_with('{') {
        return grammar::parse(t, PolicyKind::Trust, grammar::TRUST_MAX).map_err(invalid);
    }
    if t.len() == 12 && t.chars().all(|c| c.is_ascii_digit()) {
        let mut p = params.cloned().unwrap_or_default();
        p.insert("trusted_account".into(), t.to_string());
        return templates::find("cross-account-access")
            .and_then(|tpl| tpl.build(&p))
            .map_err(invalid);
    }
    let service = t.trim_end_matches(".amazonaws.com");
    if service.is_empty()
        || !service
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
    {
        return Err(invalid(format!(
            "'{trust}' is not a service name (lambda, ec2, ecs-tasks), a 12-digit account id or \
             trust policy JSON"
        )));
    }
    Ok(json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Service": format!("{service}.amazonaws.com")},
        "Action": "sts:AssumeRole",
    }]}))
}

/// Each named template's document, built with `params` (permission templates only).
pub fn template_documents(
    names: &[String],
    params: &BTreeMap<String, String>,
) -> Result<Vec<(&'static str, Value)>, ToolError> {
    for name in names {
        templates::find(name).map_err(ToolError::invalid)?;
    }
    let unknown: Vec<&String> = params
        .keys()
        .filter(|k| {
            !matches!(k.as_str(), "account" | "region" | "external_id")
                && !names
                    .iter()
                    .filter_map(|n| templates::find(n).ok())
                    .any(|t| t.takes(k))
        })
        .collect();
    if !unknown.is_empty() && !names.is_empty() {
        return Err(ToolError::invalid(format!(
            "params {} are taken by none of the templates {}; list_policy_templates shows each \
             template's parameters",
            unknown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            names.join(", ")
        )));
    }
    let mut docs = Vec::new();
    for name in names {
        let t = templates::find(name).map_err(ToolError::invalid)?;
        if t.kind == templates::TemplateKind::Trust {
            return Err(ToolError::invalid(format!(
                "{name} is a trust template; give its account as trust instead"
            )));
        }
        docs.push((t.name, t.build(params).map_err(ToolError::invalid)?));
    }
    Ok(docs)
}

/// A policy given as `document` JSON or as a `template`: exactly one of the two, checked.
pub fn document_or_template(
    document: Option<&str>,
    template: Option<&str>,
    params: &BTreeMap<String, String>,
    max: usize,
) -> Result<Value, ToolError> {
    match (document, template) {
        (Some(text), None) => grammar::parse(text, PolicyKind::Identity, max)
            .map_err(|why| ToolError::invalid(format!("document is not a valid policy: {why}"))),
        (None, Some(name)) => {
            let docs = template_documents(&[name.to_string()], params)?;
            Ok(docs
                .into_iter()
                .next()
                .map(|(_, d)| d)
                .unwrap_or(Value::Null))
        }
        _ => Err(ToolError::invalid(
            "give exactly one of document (policy JSON) or template (see list_policy_templates)",
        )),
    }
}

/// Template parameters with stand-ins for the account and region, for checks that run before
/// the caller's own are known (they change no wildcard and no statement).
pub fn placeholders(params: Option<&BTreeMap<String, String>>) -> BTreeMap<String, String> {
    let mut p = params.cloned().unwrap_or_default();
    p.entry("account".into())
        .or_insert_with(|| "000000000000".into());
    p.entry("region".into())
        .or_insert_with(|| "us-east-1".into());
    p
}

/// Template parameters with the caller's account (STS) and the call's region filled in where
/// the templates need them and the call did not give them.
pub async fn with_context(
    cx: &Cx<'_>,
    params: Option<BTreeMap<String, String>>,
    names: Option<&[String]>,
) -> Result<BTreeMap<String, String>, ToolError> {
    let mut p = params.unwrap_or_default();
    let needs = |param: &str| {
        names.into_iter().flatten().any(|n| {
            templates::find(n)
                .map(|t| t.required.contains(&param))
                .unwrap_or(false)
        })
    };
    if needs("account") && !p.contains_key("account") {
        let sts: aws_sdk_sts::Client = cx.client().await;
        p.insert("account".into(), crate::aws::account_id(&sts).await?);
    }
    if needs("region") && !p.contains_key("region") {
        let region = cx.region().ok_or_else(|| {
            ToolError::invalid("the templates need a region: pass params.region or region")
        })?;
        p.insert("region".into(), region);
    }
    Ok(p)
}

/// Flags for attaching managed policies: AWS managed ones known to be wide, and any the call
/// says is wide.
fn wide_arn_flags<'a>(arns: impl IntoIterator<Item = &'a String>, wide: Option<bool>) -> Vec<Flag> {
    let mut flags: Vec<Flag> = arns
        .into_iter()
        .filter_map(|a| grammar::wide_managed(a))
        .map(Flag::high)
        .collect();
    if wide == Some(true) && flags.is_empty() {
        flags.push(Flag::high(
            "attaches a policy the call declares wide (grants *, iam:* or iam:PassRole on *)",
        ));
    }
    flags
}

/// Reads each policy's default version and refuses, before anything changes, to attach a
/// wide grant the call did not declare with `wide`. Returns the wide grants found.
pub async fn check_attachable(
    client: &Client,
    arns: &[String],
    wide_declared: bool,
) -> Result<Vec<String>, ToolError> {
    let mut wide = Vec::new();
    for arn in arns {
        let doc = default_document(client, arn).await.map_err(|e| {
            ToolError::Refused(format!(
                "the document of {arn} could not be read to check what it grants, so it was \
                 not attached and nothing was done: {e}"
            ))
        })?;
        let mut found: Vec<String> = grammar::wide_managed(arn).into_iter().collect();
        found.extend(grammar::wide_grants(&doc));
        if !found.is_empty() && !wide_declared {
            return Err(ToolError::Precondition {
                message: format!("{arn} is a wide grant: {}", found.join("; ")),
                hint: "attach a narrower policy (get_policy_template), or repeat the call with \
                       wide: true, which the guardrails judge as high risk"
                    .into(),
                details: json!({"policy_arn": arn, "wide_grants": found}),
            });
        }
        wide.extend(found.into_iter().map(|w| format!("{arn}: {w}")));
    }
    Ok(wide)
}

/// The document of a managed policy's default version.
pub async fn default_document(client: &Client, arn: &str) -> Result<Value, ToolError> {
    let policy = client
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .map_err(iam_error)?;
    let version = policy
        .policy()
        .and_then(|p| p.default_version_id())
        .ok_or_else(|| ToolError::Aws {
            code: "NoSuchEntity".into(),
            message: format!("{arn} has no default version"),
            hint: None,
        })?
        .to_string();
    let v = client
        .get_policy_version()
        .policy_arn(arn)
        .version_id(version)
        .send()
        .await
        .map_err(iam_error)?;
    Ok(v.policy_version()
        .and_then(|v| v.document())
        .map(decode_document)
        .unwrap_or(Value::Null))
}

/// A role's attached policies (`{name, arn}`) and inline policy names.
async fn attached_and_inline(
    client: &Client,
    role: &str,
) -> Result<(Vec<Value>, Vec<String>), ToolError> {
    let (attached, inline) = tokio::join!(
        client
            .list_attached_role_policies()
            .role_name(role)
            .into_paginator()
            .items()
            .send()
            .all(),
        client
            .list_role_policies()
            .role_name(role)
            .into_paginator()
            .items()
            .send()
            .all(),
    );
    let attached = attached?
        .iter()
        .map(|p| json!({"name": p.policy_name(), "arn": p.policy_arn()}))
        .collect();
    Ok((attached, inline?))
}

/// Attached and inline policy names.
type PolicyNames = (Vec<String>, Vec<String>);

/// A role's attached and inline policy names.
async fn role_policies(client: &Client, role: &str) -> Result<PolicyNames, ToolError> {
    let (attached, inline) = attached_and_inline(client, role).await?;
    Ok((
        attached
            .iter()
            .filter_map(|p| p["name"].as_str().map(str::to_string))
            .collect(),
        inline,
    ))
}

/// Who a trust policy names, for summaries.
fn trusted(trust: &Value) -> String {
    let mut who: Vec<String> = Vec::new();
    for s in grammar::statements(trust) {
        match s.get("Principal") {
            Some(Value::String(p)) => who.push(p.clone()),
            Some(Value::Object(m)) => {
                for v in m.values() {
                    match v {
                        Value::String(p) => who.push(p.clone()),
                        Value::Array(list) => {
                            who.extend(list.iter().filter_map(Value::as_str).map(str::to_string))
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    if who.is_empty() {
        "no principal".into()
    } else {
        who.join(", ")
    }
}

fn no_role(name: &str) -> ToolError {
    ToolError::Aws {
        code: "NoSuchEntity".into(),
        message: format!("role {name} does not exist"),
        hint: Some("check the name with aws_security list_roles".into()),
    }
}

pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create(trust: &str) -> CreateRole {
        serde_json::from_value(json!({"role_name": "app", "trust": trust})).unwrap()
    }

    #[test]
    fn trusts_from_services_accounts_and_json() {
        let lambda = trust_document("lambda", None).unwrap();
        assert_eq!(
            lambda["Statement"][0]["Principal"]["Service"],
            "lambda.amazonaws.com"
        );
        assert!(create("lambda").flags().is_empty());
        let account = create("444455556666").flags();
        assert_eq!(account.len(), 1);
        assert!(account[0].reason.contains("444455556666"), "{account:?}");
        let anyone = create(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
                "Action":"sts:AssumeRole"}]}"#,
        );
        assert_eq!(anyone.flags()[0].risk, Risk::High);
        assert!(trust_document("Lambda Function", None).is_err());
        assert!(trust_document("{\"Version\":\"2012-10-17\"}", None).is_err());
    }

    #[test]
    fn wide_managed_policies_are_flagged_and_templates_checked() {
        let admin: AttachRolePolicy = serde_json::from_value(json!({"role_name": "app",
            "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"}))
        .unwrap();
        assert_eq!(admin.flags()[0].risk, Risk::High);
        let narrow: AttachRolePolicy = serde_json::from_value(json!({"role_name": "app",
            "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}))
        .unwrap();
        assert!(narrow.flags().is_empty());
        let declared: AttachRolePolicy = serde_json::from_value(json!({"role_name": "app",
            "policy_arn": "arn:aws:iam::123456789012:policy/ops", "wide": true}))
        .unwrap();
        assert_eq!(declared.flags().len(), 1);
        let missing: CreateRole = serde_json::from_value(json!({"role_name": "app",
            "trust": "lambda", "templates": ["lambda-s3-read"]}))
        .unwrap();
        let e = missing.validate().unwrap_err().to_string();
        assert!(e.contains("bucket"), "{e}");
        let typo: CreateRole = serde_json::from_value(json!({"role_name": "app",
            "trust": "lambda", "templates": ["lambda-s3-read"], "params": {"bucket": "b12",
            "tabel": "t"}}))
        .unwrap();
        assert!(typo.validate().unwrap_err().to_string().contains("tabel"));
        let inline: PutRoleInlinePolicy = serde_json::from_value(json!({"role_name": "app",
            "policy_name": "all", "document":
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#}))
        .unwrap();
        assert!(
            inline.flags()[0]
                .reason
                .contains("AdministratorAccess-like")
        );
    }
}
