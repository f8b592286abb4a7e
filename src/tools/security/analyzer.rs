//! IAM Access Analyzer: analyzers, creating one, and its findings of access from outside the
//! account (or organization) to buckets, roles, keys, secrets, queues and more.

use std::collections::HashMap;

use aws_sdk_accessanalyzer::{
    Client,
    types::{AnalyzerStatus, Criterion, Type},
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::random_hex;
use crate::aws::time;
use crate::{
    aws::paging::{AllItems, PageRequest},
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Kind, Risk, Tags, Target},
};

// What an analyzer looks across (no doc comment: it would describe every field of the type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Zone {
    Account,
    Organization,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListAccessAnalyzers {}

impl Action for ListAccessAnalyzers {
    const NAME: &'static str = "list_access_analyzers";
    const DESCRIPTION: &'static str = "Analyzers in the region";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let list = client
            .list_analyzers()
            .into_paginator()
            .items()
            .send()
            .all()
            .await?;
        let items: Vec<Value> = list
            .iter()
            .map(|a| {
                json!({
                    "name": a.name(),
                    "arn": a.arn(),
                    "type": a.r#type().as_str(),
                    "status": a.status().as_str(),
                    "created": time(a.created_at()),
                    "last_resource_analyzed_at": a.last_resource_analyzed_at().map(time),
                })
            })
            .collect();
        Ok(Output::new(
            if items.is_empty() {
                "No access analyzer in this region; create_access_analyzer makes one.".to_string()
            } else {
                format!("{} analyzer(s).", items.len())
            },
            json!({ "analyzers": items }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccessAnalyzer {
    pub name: String,
    /// Zone of trust (default account)
    pub zone: Option<Zone>,
    pub tags: Option<Tags>,
}

impl Action for CreateAccessAnalyzer {
    const NAME: &'static str = "create_access_analyzer";
    const DESCRIPTION: &'static str = "Create an external-access analyzer";
    const ACCESS: Access = Access::Write;
    // It only reads policies and reports; external-access analyzers are free.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        let ok = !self.name.is_empty()
            && self.name.len() <= 255
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if ok {
            Ok(())
        } else {
            Err(ToolError::invalid(
                "name must be 1-255 letters, digits, dots, hyphens or underscores",
            ))
        }
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::created(Kind::AccessAnalyzer, &self.name)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let zone = match self.zone.unwrap_or(Zone::Account) {
            Zone::Account => Type::Account,
            Zone::Organization => Type::Organization,
        };
        let out = client
            .create_analyzer()
            .analyzer_name(&self.name)
            .r#type(zone.clone())
            .client_token(random_hex(16))
            .set_tags(
                self.tags
                    .map(|t| t.into_iter().collect::<HashMap<String, String>>()),
            )
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        Ok(Output::new(
            format!(
                "Created access analyzer {} ({} zone of trust); findings appear as it scans.",
                self.name,
                zone.as_str()
            ),
            json!({"name": self.name, "arn": out.arn(), "type": zone.as_str()}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListAccessAnalyzerFindings {
    /// Default: the first active one
    pub analyzer_arn: Option<String>,
    /// e.g. AWS::S3::Bucket, AWS::IAM::Role, AWS::KMS::Key
    pub resource_type: Option<String>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListAccessAnalyzerFindings {
    const NAME: &'static str = "list_access_analyzer_findings";
    const DESCRIPTION: &'static str = "Who outside can reach what";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let analyzer = match self.analyzer_arn {
            Some(a) => a,
            None => client
                .list_analyzers()
                .into_paginator()
                .items()
                .send()
                .all()
                .await?
                .into_iter()
                .find(|a| *a.status() == AnalyzerStatus::Active)
                .map(|a| a.arn().to_string())
                .ok_or_else(|| ToolError::Precondition {
                    message: "no active access analyzer in this region".into(),
                    hint: "create one with aws_security create_access_analyzer".into(),
                    details: json!({}),
                })?,
        };
        let mut req = client
            .list_findings()
            .analyzer_arn(&analyzer)
            .filter("status", Criterion::builder().eq("ACTIVE").build())
            .max_results(page.aws_page_size(1, 100))
            .set_next_token(page.aws_token.clone());
        if let Some(t) = &self.resource_type {
            req = req.filter("resourceType", Criterion::builder().eq(t).build());
        }
        let resp = req.send().await.map_err(ToolError::from_sdk)?;
        let all: Vec<Value> = resp
            .findings()
            .iter()
            .map(|f| {
                json!({
                    "id": f.id(),
                    "resource": f.resource(),
                    "resource_type": f.resource_type().as_str(),
                    "is_public": f.is_public(),
                    "principal": f.principal(),
                    "actions": f.action(),
                    "condition": f.condition(),
                    "owner_account": f.resource_owner_account(),
                    "status": f.status().as_str(),
                    "updated": time(f.updated_at()),
                })
            })
            .collect();
        let (items, next) = page.finish(all, resp.next_token().map(str::to_string));
        let public = items
            .iter()
            .filter(|f| f["is_public"] == json!(true))
            .count();
        Ok(Output::new(
            format!(
                "{} active finding(s) of access from outside the zone of trust, {public} public.",
                items.len()
            ),
            json!({"analyzer_arn": analyzer, "findings": items}),
        )
        .with_next_token(next))
    }
}
