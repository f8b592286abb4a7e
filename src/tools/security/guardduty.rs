//! GuardDuty: the region's detector and its finding counts, turning it on, findings (bounded,
//! by minimum severity and type) and archiving them.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_guardduty::{
    Client,
    types::{Condition, DetectorStatus, FindingCriteria, GroupByType, OrderBy, SortCriteria},
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{hub::Severity, random_hex};
use crate::{
    aws::paging::PageRequest,
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Flag, Kind, Risk, Tags, Target},
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetGuarddutyStatus {}

impl Action for GetGuarddutyStatus {
    const NAME: &'static str = "get_guardduty_status";
    const DESCRIPTION: &'static str = "Detector on/off, features, findings by severity";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let status = status(&client).await?;
        let summary = match &status["detector_id"] {
            Value::Null => "GuardDuty is off in this region (no detector).".to_string(),
            id => {
                let counts = match &status["findings_by_severity"] {
                    Value::Object(m) if !m.is_empty() => m
                        .iter()
                        .map(|(k, v)| format!("{v} {k}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    Value::Object(_) => "no active findings".into(),
                    _ => "finding counts unreadable".into(),
                };
                format!(
                    "GuardDuty detector {} is {}; {counts}.",
                    id.as_str().unwrap_or("?"),
                    status["status"].as_str().unwrap_or("?")
                )
            }
        };
        Ok(Output::new(summary, status))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnableGuardduty {
    pub tags: Option<Tags>,
}

impl Action for EnableGuardduty {
    const NAME: &'static str = "enable_guardduty";
    const DESCRIPTION: &'static str = "Turn GuardDuty on";
    const ACCESS: Access = Access::Write;
    // It only adds detection (and costs by volume analysed).
    const RISK: Risk = Risk::Medium;

    fn targets(&self) -> Vec<Target> {
        vec![Target::created(Kind::GuardDutyDetector, "detector")]
    }

    /// Enables the region's detector when one exists, else creates one with a client token.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        if let Some(id) = detector(&client).await? {
            let d = client
                .get_detector()
                .detector_id(&id)
                .send()
                .await
                .map_err(ToolError::from_sdk)?;
            if d.status() == Some(&DetectorStatus::Enabled) {
                return Ok(Output::new(
                    format!("GuardDuty detector {id} was already on; nothing changed."),
                    json!({"detector_id": id, "enabled": true, "changed": false}),
                ));
            }
            client
                .update_detector()
                .detector_id(&id)
                .enable(true)
                .send()
                .await
                .map_err(ToolError::from_sdk)?;
            return Ok(Output::new(
                format!("Turned GuardDuty detector {id} back on."),
                json!({"detector_id": id, "enabled": true, "changed": true}),
            ));
        }
        let out = client
            .create_detector()
            .enable(true)
            .client_token(random_hex(16))
            .set_tags(
                self.tags
                    .map(|t| t.into_iter().collect::<HashMap<String, String>>()),
            )
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let id = out.detector_id().unwrap_or_default();
        Ok(Output::new(
            format!("Turned GuardDuty on: detector {id}."),
            json!({"detector_id": id, "enabled": true, "changed": true}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListGuarddutyFindings {
    /// Lowest severity (default low)
    pub min_severity: Option<Severity>,
    /// Finding types, e.g. Recon:EC2/PortProbeUnprotectedPort
    pub types: Option<Vec<String>>,
    /// Default: the region's detector
    pub detector_id: Option<String>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListGuarddutyFindings {
    const NAME: &'static str = "list_guardduty_findings";
    const DESCRIPTION: &'static str = "Unarchived threats, most severe first";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let detector_id = match self.detector_id {
            Some(d) => d,
            None => detector(&client).await?.ok_or_else(off)?,
        };
        let mut criteria = criteria();
        let floor = match self.min_severity.unwrap_or(Severity::Low) {
            Severity::Informational | Severity::Low => 1,
            Severity::Medium => 4,
            Severity::High => 7,
            Severity::Critical => 9,
        };
        criteria.insert(
            "severity".into(),
            Condition::builder().greater_than_or_equal(floor).build(),
        );
        if let Some(types) = self.types.filter(|t| !t.is_empty()) {
            criteria.insert(
                "type".into(),
                Condition::builder().set_equals(Some(types)).build(),
            );
        }
        let ids = client
            .list_findings()
            .detector_id(&detector_id)
            .finding_criteria(
                FindingCriteria::builder()
                    .set_criterion(Some(criteria))
                    .build(),
            )
            .sort_criteria(
                SortCriteria::builder()
                    .attribute_name("severity")
                    .order_by(OrderBy::Desc)
                    .build(),
            )
            .max_results(page.aws_page_size(1, 50))
            .set_next_token(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let (ids, next) = page.finish(
            ids.finding_ids().to_vec(),
            ids.next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_string),
        );
        let findings = if ids.is_empty() {
            Vec::new()
        } else {
            client
                .get_findings()
                .detector_id(&detector_id)
                .set_finding_ids(Some(ids))
                .send()
                .await
                .map_err(ToolError::from_sdk)?
                .findings()
                .iter()
                .map(|f| {
                    json!({
                        "id": f.id(),
                        "type": f.r#type(),
                        "severity": f.severity(),
                        "severity_label": f.severity().map(label),
                        "title": f.title(),
                        "resource_type": f.resource().and_then(|r| r.resource_type()),
                        "region": f.region(),
                        "count": f.service().and_then(|s| s.count()),
                        "first_seen": f.service().and_then(|s| s.event_first_seen()),
                        "last_seen": f.service().and_then(|s| s.event_last_seen()),
                        "updated_at": f.updated_at(),
                    })
                })
                .collect::<Vec<_>>()
        };
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for f in &findings {
            *counts
                .entry(f["severity_label"].as_str().unwrap_or("UNKNOWN"))
                .or_default() += 1;
        }
        let summary = if findings.is_empty() {
            "No unarchived GuardDuty findings match.".to_string()
        } else {
            format!(
                "{} finding(s): {}.",
                findings.len(),
                counts
                    .iter()
                    .map(|(k, v)| format!("{v} {k}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        Ok(Output::new(
            summary,
            json!({"detector_id": detector_id, "findings": findings}),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveGuarddutyFindings {
    pub finding_ids: Vec<String>,
    /// Default: the region's detector
    pub detector_id: Option<String>,
}

impl Action for ArchiveGuarddutyFindings {
    const NAME: &'static str = "archive_guardduty_findings";
    const DESCRIPTION: &'static str = "Archive findings";
    const ACCESS: Access = Access::Write;
    // Archived threats leave the active view; they can be unarchived.
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        if self.finding_ids.is_empty() || self.finding_ids.len() > 50 {
            return Err(ToolError::invalid(
                "finding_ids takes 1 to 50 ids from list_guardduty_findings",
            ));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        self.finding_ids
            .iter()
            .map(|id| {
                let finding = Target::new(Kind::GuardDutyFinding, id);
                match &self.detector_id {
                    Some(d) => finding.in_parent(Target::new(Kind::GuardDutyDetector, d)),
                    None => finding,
                }
            })
            .collect()
    }

    fn flags(&self) -> Vec<Flag> {
        vec![Flag::high(format!(
            "archives {} threat finding(s): they leave GuardDuty's active list",
            self.finding_ids.len()
        ))]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let detector_id = match self.detector_id {
            Some(d) => d,
            None => detector(&client).await?.ok_or_else(off)?,
        };
        client
            .archive_findings()
            .detector_id(&detector_id)
            .set_finding_ids(Some(self.finding_ids.clone()))
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        Ok(Output::new(
            format!(
                "Archived {} finding(s) of detector {detector_id}.",
                self.finding_ids.len()
            ),
            json!({"detector_id": detector_id, "archived": self.finding_ids}),
        ))
    }
}

/// The region's detector (GuardDuty allows one per account and region), if any.
pub async fn detector(client: &Client) -> Result<Option<String>, ToolError> {
    let out = client
        .list_detectors()
        .send()
        .await
        .map_err(ToolError::from_sdk)?;
    Ok(out.detector_ids().first().cloned())
}

/// The detector's state and its unarchived findings counted by severity label; the counts
/// are an error object when they cannot be read.
pub async fn status(client: &Client) -> Result<Value, ToolError> {
    let Some(id) = detector(client).await? else {
        return Ok(json!({"detector_id": null, "enabled": false}));
    };
    let d = client
        .get_detector()
        .detector_id(&id)
        .send()
        .await
        .map_err(ToolError::from_sdk)?;
    let counts = match client
        .get_findings_statistics()
        .detector_id(&id)
        .group_by(GroupByType::Severity)
        .finding_criteria(
            FindingCriteria::builder()
                .set_criterion(Some(criteria()))
                .build(),
        )
        .send()
        .await
    {
        Ok(s) => {
            let mut by: BTreeMap<&str, i64> = BTreeMap::new();
            for g in s
                .finding_statistics()
                .map(|f| f.grouped_by_severity())
                .unwrap_or_default()
            {
                *by.entry(label(g.severity().unwrap_or(0.0))).or_default() +=
                    g.total_findings().unwrap_or(0) as i64;
            }
            json!(by)
        }
        Err(e) => json!({"error": ToolError::from_sdk(e).to_json()}),
    };
    let enabled = d.status() == Some(&DetectorStatus::Enabled);
    Ok(json!({
        "detector_id": id,
        "enabled": enabled,
        "status": d.status().map(|s| s.as_str()),
        "created_at": d.created_at(),
        "features": d.features().iter()
            .map(|f| json!({"name": f.name().map(|n| n.as_str()),
                            "status": f.status().map(|s| s.as_str())}))
            .collect::<Vec<_>>(),
        "findings_by_severity": counts,
    }))
}

/// GuardDuty's severity bands: 1-3.9 low, 4-6.9 medium, 7-8.9 high, 9-10 critical.
pub fn label(severity: f64) -> &'static str {
    if severity >= 9.0 {
        "CRITICAL"
    } else if severity >= 7.0 {
        "HIGH"
    } else if severity >= 4.0 {
        "MEDIUM"
    } else {
        "LOW"
    }
}

/// Unarchived findings only.
fn criteria() -> HashMap<String, Condition> {
    HashMap::from([(
        "service.archived".to_string(),
        Condition::builder().equals("false").build(),
    )])
}

fn off() -> ToolError {
    ToolError::Precondition {
        message: "GuardDuty is off in this region (no detector)".into(),
        hint: "turn it on with aws_security enable_guardduty, or pass the region where it runs"
            .into(),
        details: json!({}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_bands() {
        assert_eq!(label(2.0), "LOW");
        assert_eq!(label(5.0), "MEDIUM");
        assert_eq!(label(8.0), "HIGH");
        assert_eq!(label(9.5), "CRITICAL");
    }
}
