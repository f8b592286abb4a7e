//! Approval requests: created by the pipeline (or `create_approval_request`) for a call that
//! needs human approval, decided only by humans (the CLI or an MCP elicitation answered in the
//! client), executed at most once with exactly the approved arguments.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{
    Risk,
    environment::Environment,
    store::{Result, Store, new_id, now, rfc3339},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Approved,
    Rejected,
    Cancelled,
    Expired,
    Executed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::Cancelled => "cancelled",
            Status::Expired => "expired",
            Status::Executed => "executed",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "approved" => Status::Approved,
            "rejected" => Status::Rejected,
            "cancelled" => Status::Cancelled,
            "expired" => Status::Expired,
            "executed" => Status::Executed,
            _ => Status::Pending,
        }
    }
}

/// The call an approval request is for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestedCall {
    pub tool: String,
    pub action: String,
    pub arguments: Map<String, Value>,
    pub environment: Option<Environment>,
    pub risk: Risk,
    pub reason: String,
    pub change_request_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vote {
    pub approver: String,
    pub decision: String,
    pub comment: Option<String>,
    pub channel: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRequest {
    pub id: String,
    #[serde(flatten)]
    pub call: RequestedCall,
    pub status: Status,
    pub requester: String,
    pub min_approvers: u32,
    pub approvals: u32,
    pub votes: Vec<Vote>,
    pub created_at: String,
    pub expires_at: String,
    #[serde(skip)]
    pub args_hash: String,
}

/// Why a vote or an execution was refused.
pub type Refusal = String;

impl Store {
    pub fn create_approval(
        &self,
        call: RequestedCall,
        args_hash: &str,
        requester: &str,
        min_approvers: u32,
        ttl_secs: i64,
    ) -> Result<ApprovalRequest> {
        let id = new_id("apr");
        let t = now();
        let body = serde_json::to_string(&call).expect("call serialises");
        self.write(|tx| {
            tx.execute(
                "INSERT INTO approvals (id, body, args_hash, status, requester, min_approvers,
                     created_at, expires_at) VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6, ?7)",
                params![
                    id,
                    body,
                    args_hash,
                    requester,
                    min_approvers.max(1),
                    t,
                    t + ttl_secs
                ],
            )
        })?;
        Ok(self.approval(&id)?.expect("just inserted"))
    }

    pub fn approval(&self, id: &str) -> Result<Option<ApprovalRequest>> {
        self.read(|c| load(c, id))
    }

    pub fn approvals(&self, status: Option<Status>, limit: usize) -> Result<Vec<ApprovalRequest>> {
        let ids: Vec<String> = self.read(|c| {
            let mut stmt = c.prepare("SELECT id FROM approvals ORDER BY created_at DESC, id")?;
            stmt.query_map([], |r| r.get(0))?.collect()
        })?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(r) = self.approval(&id)? {
                if status.is_none_or(|s| r.status == s) {
                    out.push(r);
                }
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// Records a human's decision. The requester cannot vote, each approver votes once, and a
    /// request stops taking votes once decided.
    pub fn vote(
        &self,
        id: &str,
        approver: &str,
        approve: bool,
        comment: Option<&str>,
        channel: &str,
    ) -> Result<std::result::Result<ApprovalRequest, Refusal>> {
        let approver = approver.trim();
        let outcome = self.write(|tx| {
            let Some(req) = load(tx, id)? else {
                return Ok(Err(format!("no approval request {id}")));
            };
            if approver.is_empty() {
                return Ok(Err("an approver name is required (--as NAME)".into()));
            }
            if approver.eq_ignore_ascii_case(&req.requester) {
                return Ok(Err(format!(
                    "{approver} requested {id} and cannot approve or reject it; another person must"
                )));
            }
            if req.status != Status::Pending {
                return Ok(Err(format!(
                    "{id} is {} and takes no more votes",
                    req.status.as_str()
                )));
            }
            if req
                .votes
                .iter()
                .any(|v| v.approver.eq_ignore_ascii_case(approver))
            {
                return Ok(Err(format!(
                    "{approver} has already voted on {id}; approvers must be distinct people"
                )));
            }
            let decision = if approve { "approve" } else { "reject" };
            tx.execute(
                "INSERT INTO approval_votes (request_id, approver, decision, comment, channel, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id, approver, decision, comment, channel, now()],
            )?;
            let approvals = req.approvals + u32::from(approve);
            let new_status = if !approve {
                Some(Status::Rejected)
            } else if approvals >= req.min_approvers {
                Some(Status::Approved)
            } else {
                None
            };
            if let Some(s) = new_status {
                tx.execute(
                    "UPDATE approvals SET status = ?2, decided_at = ?3 WHERE id = ?1",
                    params![id, s.as_str(), now()],
                )?;
            }
            Ok(Ok(()))
        })?;
        Ok(match outcome {
            Ok(()) => Ok(self.approval(id)?.expect("exists")),
            Err(why) => Err(why),
        })
    }

    pub fn cancel_approval(
        &self,
        id: &str,
    ) -> Result<std::result::Result<ApprovalRequest, Refusal>> {
        let changed = self.write(|tx| {
            tx.execute(
                "UPDATE approvals SET status = 'cancelled', decided_at = ?2
                 WHERE id = ?1 AND status IN ('pending', 'approved')",
                params![id, now()],
            )
        })?;
        let req = self.approval(id)?;
        Ok(match (changed, req) {
            (1, Some(r)) => Ok(r),
            (_, Some(r)) => Err(format!(
                "{id} is {} and cannot be cancelled",
                r.status.as_str()
            )),
            (_, None) => Err(format!("no approval request {id}")),
        })
    }

    /// Claims an approved request for execution: it must be approved, unexpired and for exactly
    /// these arguments. The claim is one conditional UPDATE, so of two processes racing on one
    /// request exactly one wins.
    pub fn claim_approval(
        &self,
        id: &str,
        tool: &str,
        action: &str,
        args_hash: &str,
    ) -> Result<std::result::Result<ApprovalRequest, Refusal>> {
        let Some(req) = self.approval(id)? else {
            return Ok(Err(format!("no approval request {id}")));
        };
        if req.call.tool != tool || req.call.action != action || req.args_hash != args_hash {
            return Ok(Err(format!(
                "{id} approved {} {} with other arguments; repeat exactly the approved call, or \
                 request a new approval",
                req.call.tool, req.call.action
            )));
        }
        match req.status {
            Status::Approved => {}
            Status::Pending => {
                return Ok(Err(format!(
                    "{id} is still pending: {} of {} approvals; a person must run `espada-aws \
                     approvals approve {id} --as NAME`",
                    req.approvals, req.min_approvers
                )));
            }
            other => {
                return Ok(Err(format!(
                    "{id} is {} and cannot be executed",
                    other.as_str()
                )));
            }
        }
        let won = self.write(|tx| {
            tx.execute(
                "UPDATE approvals SET status = 'executed', executed_at = ?2
                 WHERE id = ?1 AND status = 'approved' AND expires_at > ?2",
                params![id, now()],
            )
        })?;
        if won == 1 {
            Ok(Ok(req))
        } else {
            let now_status = self
                .approval(id)?
                .map(|r| r.status.as_str())
                .unwrap_or("gone");
            Ok(Err(format!(
                "{id} is {now_status}: an approved call runs once, within its validity"
            )))
        }
    }
}

fn load(c: &rusqlite::Connection, id: &str) -> rusqlite::Result<Option<ApprovalRequest>> {
    let row = c
        .query_row(
            "SELECT body, args_hash, status, requester, min_approvers, created_at, expires_at
             FROM approvals WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, u32>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                ))
            },
        )
        .optional()?;
    let Some((body, args_hash, status, requester, min_approvers, created, expires)) = row else {
        return Ok(None);
    };
    let mut stmt = c.prepare(
        "SELECT approver, decision, comment, channel, at FROM approval_votes
         WHERE request_id = ?1 ORDER BY at, approver",
    )?;
    let votes: Vec<Vote> = stmt
        .query_map([id], |r| {
            Ok(Vote {
                approver: r.get(0)?,
                decision: r.get(1)?,
                comment: r.get(2)?,
                channel: r.get(3)?,
                at: rfc3339(r.get(4)?),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut status = Status::parse(&status);
    if matches!(status, Status::Pending | Status::Approved) && now() >= expires {
        status = Status::Expired;
    }
    let call: RequestedCall = serde_json::from_str(&body).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(Some(ApprovalRequest {
        id: id.to_string(),
        call,
        status,
        requester,
        min_approvers,
        approvals: votes.iter().filter(|v| v.decision == "approve").count() as u32,
        votes,
        created_at: rfc3339(created),
        expires_at: rfc3339(expires),
        args_hash,
    }))
}
