//! The organization itself and its roots.

use aws_sdk_organizations::Client;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::org_error;
use crate::{
    aws::paging::AllItems,
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Risk, Target},
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetOrganization {}

impl Action for GetOrganization {
    const NAME: &'static str = "get_organization";
    const DESCRIPTION: &'static str = "The organization";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let out = client
            .describe_organization()
            .send()
            .await
            .map_err(org_error)?;
        let Some(o) = out.organization() else {
            return Err(ToolError::invalid("the organization was not described"));
        };
        Ok(Output::new(
            format!(
                "Organization {} ({}), managed by account {}.",
                o.id().unwrap_or_default(),
                o.feature_set().map(|f| f.as_str()).unwrap_or("?"),
                o.master_account_id().unwrap_or_default()
            ),
            json!({
                "id": o.id(),
                "arn": o.arn(),
                "feature_set": o.feature_set().map(|f| f.as_str()),
                "management_account_id": o.master_account_id(),
                "management_account_email": o.master_account_email(),
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListRoots {}

impl Action for ListRoots {
    const NAME: &'static str = "list_roots";
    const DESCRIPTION: &'static str = "Roots and their policy types";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let roots: Vec<_> = client
            .list_roots()
            .into_paginator()
            .send()
            .all()
            .await?
            .iter()
            .flat_map(|p| p.roots().to_vec())
            .collect();
        let items: Vec<Value> = roots
            .iter()
            .map(|r| {
                json!({
                    "id": r.id(),
                    "name": r.name(),
                    "arn": r.arn(),
                    "policy_types": r.policy_types().iter().map(|p| json!({
                        "type": p.r#type().map(|t| t.as_str()),
                        "status": p.status().map(|s| s.as_str()),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        Ok(Output::new(
            format!("{} root(s).", items.len()),
            json!({"roots": items}),
        ))
    }
}

/// The organization's root id (every organization has exactly one).
pub async fn root_id(client: &Client) -> Result<String, ToolError> {
    let out = client.list_roots().send().await.map_err(org_error)?;
    out.roots()
        .first()
        .and_then(|r| r.id())
        .map(str::to_string)
        .ok_or_else(|| ToolError::invalid("the organization has no root"))
}
