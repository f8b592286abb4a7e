//! Change requests: the record of a planned change (what, why, risk, rollback, window) that
//! production calls must reference. A change request becomes `approved` when the approval
//! request of its call is approved by humans (`rejected` when they reject it), and
//! `implemented` when that call has run. The agent may move it only along the transitions of
//! [`agent_may_move`]: never to approved or rejected, and never out of a closed state.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
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
    /// A step of its plan failed (set by the server only).
    #[schemars(skip)]
    Failed,
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
            ChangeStatus::Failed => "failed",
        }
    }

    /// Whether a call may reference the change request.
    pub fn is_open(self) -> bool {
        matches!(self, ChangeStatus::Submitted | ChangeStatus::Approved)
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "draft" => ChangeStatus::Draft,
            "submitted" => ChangeStatus::Submitted,
            "approved" => ChangeStatus::Approved,
            "implemented" => ChangeStatus::Implemented,
            "rejected" => ChangeStatus::Rejected,
            "cancelled" => ChangeStatus::Cancelled,
            "failed" => ChangeStatus::Failed,
            _ => return None,
        })
    }
}

/// The moves the agent may make (`update_change_request_status`). People's decisions
/// (approved, rejected) come only from approval votes, and rejected, cancelled and implemented
/// change requests stay closed: a change people turned down cannot be brought back by the
/// agent and then carried by another approval request.
pub fn agent_may_move(from: ChangeStatus, to: ChangeStatus) -> bool {
    use ChangeStatus::*;
    matches!(
        (from, to),
        (Draft, Submitted | Cancelled)
            | (Submitted, Draft | Cancelled)
            | (Approved, Implemented | Cancelled)
    )
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
        self.write(|tx| insert_change_in(tx, &mut cr))
    }

    pub fn change(&self, id: &str) -> Result<Option<ChangeRequest>> {
        self.read(|c| change_in(c, id))
    }

    /// Change requests with `status` (any when `None`), newest first, at most `limit`.
    pub fn changes(
        &self,
        status: Option<ChangeStatus>,
        limit: usize,
    ) -> Result<Vec<ChangeRequest>> {
        let bodies: Vec<String> = self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT body FROM change_requests WHERE (?1 IS NULL OR status = ?1)
                 ORDER BY created_at DESC, id LIMIT ?2",
            )?;
            stmt.query_map(params![status.map(|s| s.as_str()), limit as i64], |r| {
                r.get(0)
            })?
            .collect()
        })?;
        Ok(bodies
            .iter()
            .filter_map(|b| serde_json::from_str::<ChangeRequest>(b).ok())
            .collect())
    }

    /// Moves a change request to `status` with a note in its history, if it is in one of
    /// `from`; `Ok(None)` when there is no such request.
    pub fn set_change_status(
        &self,
        id: &str,
        status: ChangeStatus,
        note: &str,
        from: &[ChangeStatus],
    ) -> Result<Option<ChangeRequest>> {
        self.write(|tx| set_change_status_in(tx, id, status, note, from))
    }

    /// The agent's move of a change request (see [`agent_may_move`]), checked and made in one
    /// transaction: `Ok(Err(why))` when the move is not the agent's to make.
    pub fn move_change(
        &self,
        id: &str,
        status: ChangeStatus,
        note: &str,
    ) -> Result<std::result::Result<ChangeRequest, String>> {
        self.write(|tx| {
            let Some(cr) = change_in(tx, id)? else {
                return Ok(Err(format!("no change request {id}")));
            };
            if !agent_may_move(cr.status, status) {
                return Ok(Err(format!(
                    "change request {id} is {} and cannot be moved to {}{}",
                    cr.status.as_str(),
                    status.as_str(),
                    if matches!(
                        cr.status,
                        ChangeStatus::Rejected
                            | ChangeStatus::Cancelled
                            | ChangeStatus::Implemented
                            | ChangeStatus::Failed
                    ) {
                        "; it is closed: create a new change request"
                    } else {
                        "; people approve or reject it through the approval request of its change"
                    }
                )));
            }
            let moved = set_change_status_in(tx, id, status, note, &[cr.status])?;
            Ok(moved.ok_or_else(|| format!("change request {id} changed meanwhile; retry")))
        })
    }
}

/// Records a new change request inside `tx`, giving it its id and times.
pub fn insert_change_in(
    tx: &Transaction<'_>,
    cr: &mut ChangeRequest,
) -> rusqlite::Result<ChangeRequest> {
    let t = now();
    cr.id = new_id("chg");
    cr.created_at = rfc3339(t);
    cr.updated_at = cr.created_at.clone();
    cr.history = vec![format!("{} {}", cr.created_at, cr.status.as_str())];
    let body = serde_json::to_string(&cr).expect("change serialises");
    tx.execute(
        "INSERT INTO change_requests (id, body, status, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?4)",
        params![cr.id, body, cr.status.as_str(), t],
    )?;
    Ok(cr.clone())
}

/// A change request, read on `c` (a transaction's connection too).
pub fn change_in(c: &Connection, id: &str) -> rusqlite::Result<Option<ChangeRequest>> {
    let row: Option<(String, String)> = c
        .query_row(
            "SELECT body, status FROM change_requests WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(row.and_then(|(body, status)| {
        let mut cr: ChangeRequest = serde_json::from_str(&body).ok()?;
        // The status column is what conditional updates check; it wins over the body.
        cr.status = ChangeStatus::parse(&status).unwrap_or(cr.status);
        Some(cr)
    }))
}

/// Moves a change request to `status` inside `tx` if its current status is one of `from`.
/// Returns the updated request, or `None` when it does not exist or is in another status.
pub fn set_change_status_in(
    tx: &Transaction<'_>,
    id: &str,
    status: ChangeStatus,
    note: &str,
    from: &[ChangeStatus],
) -> rusqlite::Result<Option<ChangeRequest>> {
    let Some(mut cr) = change_in(tx, id)? else {
        return Ok(None);
    };
    if !from.contains(&cr.status) {
        return Ok(None);
    }
    let t = now();
    cr.status = status;
    cr.updated_at = rfc3339(t);
    cr.history.push(
        format!("{} {} {note}", cr.updated_at, status.as_str())
            .trim_end()
            .to_string(),
    );
    let body = serde_json::to_string(&cr).expect("change serialises");
    tx.execute(
        "UPDATE change_requests SET body = ?2, status = ?3, updated_at = ?4 WHERE id = ?1",
        params![id, body, status.as_str(), t],
    )?;
    Ok(Some(cr))
}
