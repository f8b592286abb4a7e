//! Change requests: the record of a planned change (what, why, risk, rollback, window) that
//! production calls must reference. A change request becomes `approved` when the approval
//! request of its call is approved by humans, and `implemented` when that call has run.

use rusqlite::{OptionalExtension, params};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    environment::Environment,
    store::{Result, Store, new_id, now, rfc3339},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeStatus {
    Draft,
    Submitted,
    Approved,
    Implemented,
    Rejected,
    Cancelled,
}

impl ChangeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeStatus::Draft => "draft",
            ChangeStatus::Submitted => "submitted",
            ChangeStatus::Approved => "approved",
            ChangeStatus::Implemented => "implemented",
            ChangeStatus::Rejected => "rejected",
            ChangeStatus::Cancelled => "cancelled",
        }
    }

    /// Whether a call may reference the change request.
    pub fn is_open(self) -> bool {
        matches!(self, ChangeStatus::Submitted | ChangeStatus::Approved)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeRequest {
    pub id: String,
    pub title: String,
    pub description: String,
    pub environment: Option<Environment>,
    pub rollback_plan: Option<String>,
    pub planned_start: Option<String>,
    pub planned_end: Option<String>,
    pub status: ChangeStatus,
    pub history: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl Store {
    pub fn create_change(&self, mut cr: ChangeRequest) -> Result<ChangeRequest> {
        let t = now();
        cr.id = new_id("chg");
        cr.created_at = rfc3339(t);
        cr.updated_at = cr.created_at.clone();
        cr.history = vec![format!("{} {}", cr.created_at, cr.status.as_str())];
        let body = serde_json::to_string(&cr).expect("change serialises");
        self.write(|tx| {
            tx.execute(
                "INSERT INTO change_requests (id, body, status, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?4)",
                params![cr.id, body, cr.status.as_str(), t],
            )
        })?;
        Ok(cr)
    }

    pub fn change(&self, id: &str) -> Result<Option<ChangeRequest>> {
        let body: Option<String> = self.read(|c| {
            c.query_row(
                "SELECT body FROM change_requests WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()
        })?;
        Ok(body.and_then(|b| serde_json::from_str(&b).ok()))
    }

    pub fn changes(&self, status: Option<ChangeStatus>) -> Result<Vec<ChangeRequest>> {
        let bodies: Vec<String> = self.read(|c| {
            let mut stmt =
                c.prepare("SELECT body FROM change_requests ORDER BY created_at DESC, id")?;
            stmt.query_map([], |r| r.get(0))?.collect()
        })?;
        Ok(bodies
            .iter()
            .filter_map(|b| serde_json::from_str::<ChangeRequest>(b).ok())
            .filter(|c| status.is_none_or(|s| c.status == s))
            .collect())
    }

    /// Moves a change request to `status` with a note in its history.
    pub fn set_change_status(
        &self,
        id: &str,
        status: ChangeStatus,
        note: &str,
    ) -> Result<Option<ChangeRequest>> {
        let Some(mut cr) = self.change(id)? else {
            return Ok(None);
        };
        let t = now();
        cr.status = status;
        cr.updated_at = rfc3339(t);
        cr.history.push(
            format!("{} {} {note}", cr.updated_at, status.as_str())
                .trim_end()
                .to_string(),
        );
        let body = serde_json::to_string(&cr).expect("change serialises");
        self.write(|tx| {
            tx.execute(
                "UPDATE change_requests SET body = ?2, status = ?3, updated_at = ?4 WHERE id = ?1",
                params![id, body, status.as_str(), t],
            )
        })?;
        Ok(Some(cr))
    }
}
