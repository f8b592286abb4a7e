//! Change requests.

use schemars::JsonSchema;
use serde::Deserialize;

use super::*;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateChangeRequest {
    pub title: String,
    pub description: String,
    pub environment: Option<Environment>,
    pub rollback_plan: Option<String>,
    /// RFC 3339
    pub planned_start: Option<String>,
    /// RFC 3339
    pub planned_end: Option<String>,
    /// Keep as draft (default: submit)
    pub draft: Option<bool>,
    /// A plan: [{tool, action, arguments}]
    pub steps: Option<Vec<Map<String, Value>>>,
}

impl Action for CreateChangeRequest {
    const NAME: &'static str = "create_change_request";
    const DESCRIPTION: &'static str = "Record a change (production needs one), or propose a plan";
    const ACCESS: Access = Access::Write;
    // A record; people approve the changes it carries.
    const RISK: Risk = Risk::Medium;

    /// Change requests are read by people and kept in the state file: their texts are bounded.
    fn validate(&self) -> Result<(), ToolError> {
        let fields = [
            ("title", Some(&self.title), 200),
            ("description", Some(&self.description), 10_000),
            ("rollback_plan", self.rollback_plan.as_ref(), 10_000),
            ("planned_start", self.planned_start.as_ref(), 64),
            ("planned_end", self.planned_end.as_ref(), 64),
        ];
        for (field, value, max) in fields {
            if let Some(v) = value
                && v.chars().count() > max
            {
                return Err(ToolError::invalid(format!(
                    "{field} is {} characters long; keep it to at most {max} and link to longer \
                     documents",
                    v.chars().count()
                )));
            }
        }
        if self.title.trim().is_empty() {
            return Err(ToolError::invalid("title must not be empty"));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let status = if self.draft.unwrap_or(false) {
            ChangeStatus::Draft
        } else {
            ChangeStatus::Submitted
        };
        if self.steps.is_some() && status == ChangeStatus::Draft {
            return Err(ToolError::invalid(
                "a change request with steps is submitted for approval; drop draft",
            ));
        }
        let cr = ChangeRequest {
            id: String::new(),
            title: self.title,
            description: self.description,
            environment: self.environment,
            rollback_plan: self.rollback_plan,
            planned_start: self.planned_start,
            planned_end: self.planned_end,
            status,
            history: Vec::new(),
            created_at: String::new(),
            updated_at: String::new(),
        };
        if let Some(steps) = self.steps {
            return dispatcher(cx).propose_plan(cr, steps, cx.caller).await;
        }
        let cr = store(cx).run(move |s| s.create_change(cr)).await?;
        Ok(Output::new(
            format!(
                "Change request {} is {}; pass change_request_id={} with its calls.",
                cr.id,
                cr.status.as_str(),
                cr.id
            ),
            json!(cr),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetChangeRequest {
    /// The change request (chg-…)
    pub change_id: String,
}

impl Action for GetChangeRequest {
    const NAME: &'static str = "get_change_request";
    const DESCRIPTION: &'static str = "A change request and its history";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let id = self.change_id.clone();
        let cr = store(cx)
            .run(move |s| s.change(&id))
            .await?
            .ok_or_else(|| ToolError::invalid(format!("no change request {}", self.change_id)))?;
        let id = cr.id.clone();
        let Some(plan) = store(cx).run(move |s| s.plan_of_change(&id)).await? else {
            return Ok(Output::new(
                format!("{} is {}.", cr.id, cr.status.as_str()),
                json!(cr),
            ));
        };
        // Each step's status, and its audit record.
        let mut steps = Vec::new();
        for s in &plan.steps {
            let mut v = json!(s);
            if let Some(c) = s.correlation_id.clone() {
                let records = store(cx).run(move |st| st.audit_of(&c)).await?;
                v["audit"] = json!(records);
            }
            steps.push(v);
        }
        let counts = ["ran", "failed", "skipped", "pending", "running"]
            .iter()
            .filter_map(|k| {
                let n = plan.steps.iter().filter(|s| s.status == *k).count();
                (n > 0).then(|| format!("{n} {k}"))
            })
            .collect::<Vec<_>>()
            .join(", ");
        let mut data = json!(cr);
        data["plan"] = json!({
            "plan_id": plan.id,
            "status": plan.status,
            "approval_request_id": plan.approval_request_id,
            "next_step": plan.next(),
            "steps": steps,
        });
        Ok(Output::new(
            format!(
                "{} is {}; plan {} is {} ({counts}).",
                cr.id,
                cr.status.as_str(),
                plan.id,
                plan.status
            ),
            data,
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateChangeRequestStatus {
    /// The change request (chg-…)
    pub change_id: String,
    pub status: ChangeStatus,
    /// Recorded in its history
    pub note: Option<String>,
}

impl Action for UpdateChangeRequestStatus {
    const NAME: &'static str = "update_change_request_status";
    const DESCRIPTION: &'static str = "Move a change request along (people approve it)";
    const ACCESS: Access = Access::Write;
    // Approval and rejection are refused here: only people decide.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        if matches!(self.status, ChangeStatus::Approved | ChangeStatus::Rejected) {
            return Err(ToolError::invalid(
                "change requests are approved or rejected by people, through the approval \
                 request of their change (`espada-aws approvals approve ID`); use \
                 draft, submitted, implemented (an approved one) or cancelled here",
            ));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let (id, status) = (self.change_id.clone(), self.status);
        let note = self.note.map(|n| crate::guardrails::audit::clip(&n, 2048));
        // Rejected, cancelled and implemented change requests stay closed; people's decisions
        // come only from approval votes.
        let cr = store(cx)
            .run(move |s| s.move_change(&id, status, note.as_deref().unwrap_or("")))
            .await?
            .map_err(ToolError::Refused)?;
        Ok(Output::new(
            format!("{} is now {}.", cr.id, cr.status.as_str()),
            json!(cr),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListChangeRequests {
    pub status: Option<ChangeStatus>,
}

impl Action for ListChangeRequests {
    const NAME: &'static str = "list_change_requests";
    const DESCRIPTION: &'static str = "Change requests";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let status = self.status;
        let list = store(cx).run(move |s| s.changes(status, 200)).await?;
        Ok(Output::new(
            format!("{} change request(s).", list.len()),
            json!({"change_requests": list}),
        ))
    }
}
