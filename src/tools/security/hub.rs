//! Security Hub: findings (bounded, filtered by severity, workflow status, resource and
//! product), their workflow status, turning the hub on, and the standards it checks.

use std::collections::BTreeMap;

use aws_sdk_securityhub::{
    Client,
    types::{
        AwsSecurityFinding, AwsSecurityFindingFilters, AwsSecurityFindingIdentifier, NoteUpdate,
        StringFilter, StringFilterComparison, WorkflowStatus, WorkflowUpdate,
    },
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    aws::paging::{AllItems, PageRequest},
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Flag, Kind, Risk, Tags, Target},
};

// Security Hub severity labels (no doc comment: it would describe every field of this type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Informational => "INFORMATIONAL",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }
}

// Workflow statuses a finding can be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Workflow {
    New,
    Notified,
    Resolved,
    Suppressed,
}

impl Workflow {
    pub fn label(self) -> &'static str {
        match self {
            Workflow::New => "NEW",
            Workflow::Notified => "NOTIFIED",
            Workflow::Resolved => "RESOLVED",
            Workflow::Suppressed => "SUPPRESSED",
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListSecurityFindings {
    pub severities: Option<Vec<Severity>>,
    /// Workflow statuses (default new, notified)
    pub statuses: Option<Vec<Workflow>>,
    /// Resource id or ARN prefix
    pub resource: Option<String>,
    /// e.g. GuardDuty, Inspector, Security Hub
    pub product: Option<String>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListSecurityFindings {
    const NAME: &'static str = "list_security_findings";
    const DESCRIPTION: &'static str = "Active findings, filtered";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    /// GetFindings with the filters (active records only). Each returned finding is checked
    /// against the same filters again, so an endpoint that ignores some of them (moto does)
    /// still yields only matching findings.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let filter = FindingFilter {
            severities: self
                .severities
                .clone()
                .unwrap_or_default()
                .iter()
                .map(|s| s.label())
                .collect(),
            statuses: self
                .statuses
                .clone()
                .unwrap_or(vec![Workflow::New, Workflow::Notified])
                .iter()
                .map(|s| s.label())
                .collect(),
            resource: self.resource.clone(),
            product: self.product.clone(),
            ids: Vec::new(),
        };
        let resp = client
            .get_findings()
            .filters(filter.to_aws())
            .max_results(page.aws_page_size(1, 100))
            .set_next_token(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let matching: Vec<Value> = resp
            .findings()
            .iter()
            .filter(|f| filter.matches(f))
            .map(finding_json)
            .collect();
        let (items, next) = page.finish(matching, resp.next_token().map(str::to_string));
        let mut by_severity: BTreeMap<String, usize> = BTreeMap::new();
        for f in &items {
            *by_severity
                .entry(f["severity"].as_str().unwrap_or("UNKNOWN").to_string())
                .or_default() += 1;
        }
        let counts: Vec<String> = by_severity
            .iter()
            .map(|(s, n)| format!("{n} {s}"))
            .collect();
        let summary = if items.is_empty() {
            "No matching findings.".to_string()
        } else {
            format!("{} finding(s): {}.", items.len(), counts.join(", "))
        };
        Ok(Output::new(summary, json!({ "findings": items })).with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateFindingWorkflow {
    pub finding_ids: Vec<String>,
    pub status: Workflow,
    pub note: Option<String>,
}

impl Action for UpdateFindingWorkflow {
    const NAME: &'static str = "update_finding_workflow";
    const DESCRIPTION: &'static str = "Set findings notified, resolved or suppressed";
    const ACCESS: Access = Access::Write;
    // Workflow status is bookkeeping on the finding; suppressing one is flagged high.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        if self.finding_ids.is_empty() || self.finding_ids.len() > 100 {
            return Err(ToolError::invalid(
                "finding_ids takes 1 to 100 ids from list_security_findings",
            ));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        self.finding_ids
            .iter()
            .map(|id| Target::new(Kind::SecurityFinding, id))
            .collect()
    }

    fn flags(&self) -> Vec<Flag> {
        if self.status == Workflow::Suppressed {
            vec![Flag::high(format!(
                "suppresses {} finding(s): they leave the default views and stop alerting",
                self.finding_ids.len()
            ))]
        } else {
            Vec::new()
        }
    }

    /// Reads the findings first (BatchUpdateFindings needs each one's product ARN), then
    /// updates them; findings AWS did not process are listed with AWS's reason.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let filter = FindingFilter {
            ids: self.finding_ids.clone(),
            ..FindingFilter::default()
        };
        let found: Vec<AwsSecurityFinding> = client
            .get_findings()
            .filters(filter.to_aws())
            .max_results(100)
            .into_paginator()
            .items()
            .send()
            .all()
            .await?
            .into_iter()
            .filter(|f| filter.matches(f))
            .collect();
        let missing: Vec<&String> = self
            .finding_ids
            .iter()
            .filter(|id| !found.iter().any(|f| f.id() == Some(id.as_str())))
            .collect();
        if !missing.is_empty() {
            return Err(ToolError::Precondition {
                message: format!(
                    "no finding with id {}",
                    missing
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                hint: "take the ids from list_security_findings (its id field); nothing was done"
                    .into(),
                details: json!({"missing": missing}),
            });
        }
        let identifiers: Vec<AwsSecurityFindingIdentifier> = found
            .iter()
            .filter_map(|f| {
                AwsSecurityFindingIdentifier::builder()
                    .set_id(f.id().map(str::to_string))
                    .set_product_arn(f.product_arn().map(str::to_string))
                    .build()
                    .into()
            })
            .collect();
        let note = self.note.as_ref().map(|n| {
            NoteUpdate::builder()
                .text(n)
                .updated_by("espada-aws")
                .build()
        });
        let out = client
            .batch_update_findings()
            .set_finding_identifiers(Some(identifiers))
            .workflow(
                WorkflowUpdate::builder()
                    .status(WorkflowStatus::from(self.status.label()))
                    .build(),
            )
            .set_note(note)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let processed: Vec<&str> = out
            .processed_findings()
            .iter()
            .filter_map(|f| f.id())
            .collect();
        let unprocessed: Vec<Value> = out
            .unprocessed_findings()
            .iter()
            .map(|u| {
                json!({
                    "id": u.finding_identifier().and_then(|f| f.id()),
                    "error_code": u.error_code(),
                    "error_message": u.error_message(),
                })
            })
            .collect();
        let mut summary = format!(
            "Set {} finding(s) to {}.",
            processed.len(),
            self.status.label()
        );
        if !unprocessed.is_empty() {
            summary.push_str(&format!(
                " {} were not updated (see unprocessed).",
                unprocessed.len()
            ));
        }
        Ok(Output::new(
            summary,
            json!({"status": self.status.label(), "processed": processed,
                   "unprocessed": unprocessed}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnableSecurityHub {
    /// Default true
    pub default_standards: Option<bool>,
    pub tags: Option<Tags>,
}

impl Action for EnableSecurityHub {
    const NAME: &'static str = "enable_security_hub";
    const DESCRIPTION: &'static str = "Turn Security Hub on in the region";
    const ACCESS: Access = Access::Write;
    // It only adds checks and findings (and costs per check).
    const RISK: Risk = Risk::Medium;

    fn targets(&self) -> Vec<Target> {
        vec![Target::created(Kind::SecurityHub, "hub")]
    }

    /// Reads the hub first: when it is on already, nothing is sent.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        if client.describe_hub().send().await.is_ok() {
            return Ok(Output::new(
                "Security Hub was already on in this region; nothing changed.",
                json!({"enabled": true, "changed": false}),
            ));
        }
        let defaults = self.default_standards.unwrap_or(true);
        let tags = self.tags.as_ref().map(|t| {
            t.clone()
                .into_iter()
                .collect::<std::collections::HashMap<_, _>>()
        });
        match client
            .enable_security_hub()
            .enable_default_standards(defaults)
            .set_tags(tags)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) => match ToolError::from_sdk(e) {
                e if e.aws_code() == Some("ResourceConflictException") => {
                    return Ok(Output::new(
                        "Security Hub was already on in this region; nothing changed.",
                        json!({"enabled": true, "changed": false}),
                    ));
                }
                e => return Err(e),
            },
        }
        let hub = client
            .describe_hub()
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        Ok(Output::new(
            format!(
                "Turned Security Hub on{}.",
                if defaults {
                    " with AWS's default standards"
                } else {
                    ""
                }
            ),
            json!({"enabled": true, "changed": true, "hub_arn": hub.hub_arn(),
                   "default_standards": defaults}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListSecurityStandards {}

impl Action for ListSecurityStandards {
    const NAME: &'static str = "list_security_standards";
    const DESCRIPTION: &'static str = "Available standards and which are enabled";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let (available, enabled) = tokio::join!(
            client
                .describe_standards()
                .into_paginator()
                .items()
                .send()
                .all(),
            client
                .get_enabled_standards()
                .into_paginator()
                .items()
                .send()
                .all(),
        );
        let (available, enabled) = (available?, enabled?);
        let status: BTreeMap<&str, (&str, Option<&str>)> = enabled
            .iter()
            .filter_map(|s| {
                Some((
                    s.standards_arn()?,
                    (
                        s.standards_status()
                            .map(|x| x.as_str())
                            .unwrap_or("UNKNOWN"),
                        s.standards_subscription_arn(),
                    ),
                ))
            })
            .collect();
        let items: Vec<Value> = available
            .iter()
            .map(|s| {
                let arn = s.standards_arn().unwrap_or_default();
                let sub = status.get(arn);
                json!({
                    "name": s.name(),
                    "standards_arn": arn,
                    "enabled_by_default": s.enabled_by_default(),
                    "status": sub.map(|x| x.0).unwrap_or("NOT_ENABLED"),
                    "subscription_arn": sub.and_then(|x| x.1),
                })
            })
            .collect();
        let on: Vec<&str> = items
            .iter()
            .filter(|s| s["status"] == "READY" || s["status"] == "PENDING")
            .filter_map(|s| s["name"].as_str())
            .collect();
        Ok(Output::new(
            format!(
                "{} standard(s) available; enabled: {}.",
                items.len(),
                if on.is_empty() {
                    "none".to_string()
                } else {
                    on.join(", ")
                }
            ),
            json!({ "standards": items }),
        ))
    }
}

/// The findings filters of a call, sent to GetFindings and checked again on each finding.
#[derive(Debug, Default, Clone)]
pub struct FindingFilter {
    pub severities: Vec<&'static str>,
    pub statuses: Vec<&'static str>,
    pub resource: Option<String>,
    pub product: Option<String>,
    pub ids: Vec<String>,
}

impl FindingFilter {
    pub fn to_aws(&self) -> AwsSecurityFindingFilters {
        let eq = |v: &str| {
            StringFilter::builder()
                .value(v)
                .comparison(StringFilterComparison::Equals)
                .build()
        };
        let mut f = AwsSecurityFindingFilters::builder().record_state(eq("ACTIVE"));
        for s in &self.severities {
            f = f.severity_label(eq(s));
        }
        for s in &self.statuses {
            f = f.workflow_status(eq(s));
        }
        for id in &self.ids {
            f = f.id(eq(id));
        }
        if let Some(r) = &self.resource {
            f = f.resource_id(
                StringFilter::builder()
                    .value(r)
                    .comparison(StringFilterComparison::Prefix)
                    .build(),
            );
        }
        if let Some(p) = &self.product {
            f = f.product_name(eq(p));
        }
        f.build()
    }

    pub fn matches(&self, f: &AwsSecurityFinding) -> bool {
        let active = f.record_state().is_none_or(|r| r.as_str() == "ACTIVE");
        let severity = self.severities.is_empty()
            || f.severity()
                .and_then(|s| s.label())
                .is_some_and(|l| self.severities.contains(&l.as_str()));
        let status = self.statuses.is_empty()
            || self.statuses.contains(
                &f.workflow()
                    .and_then(|w| w.status())
                    .map(|s| s.as_str())
                    .unwrap_or("NEW"),
            );
        let id = self.ids.is_empty() || f.id().is_some_and(|i| self.ids.iter().any(|x| x == i));
        let resource = self.resource.as_ref().is_none_or(|r| {
            f.resources()
                .iter()
                .any(|x| x.id().is_some_and(|i| i.starts_with(r.as_str())))
        });
        let product = self
            .product
            .as_ref()
            .is_none_or(|p| f.product_name().is_some_and(|n| n.eq_ignore_ascii_case(p)));
        active && severity && status && id && resource && product
    }
}

/// A finding as results show it.
pub fn finding_json(f: &AwsSecurityFinding) -> Value {
    json!({
        "id": f.id(),
        "product_arn": f.product_arn(),
        "product": f.product_name(),
        "title": f.title(),
        "severity": f.severity().and_then(|s| s.label()).map(|l| l.as_str()),
        "status": f.workflow().and_then(|w| w.status()).map(|s| s.as_str()).unwrap_or("NEW"),
        "types": f.types(),
        "resources": f.resources().iter()
            .map(|r| json!({"type": r.r#type(), "id": r.id()})).collect::<Vec<_>>(),
        "updated_at": f.updated_at(),
    })
}
