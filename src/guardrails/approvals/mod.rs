//! Approval requests: created by the pipeline (or `create_approval_request`) for a call that
//! needs human approval, decided only by humans (the CLI or an MCP elicitation answered in the
//! client), executed at most once with exactly the approved arguments, in the account, region
//! and credentials context it was approved for, and only while its targets are no more
//! protected than they were when people approved it.
//!
//! A request stores the call's redacted, bounded arguments (what people read) and the SHA-256
//! binding of the real ones (what the repeated call must match).
//!
//! A vote carries its proof ([`Proof`]): an SSH signature over the request's canonical text
//! ([`canonical_text`]), verified against the `allowed_signers` pinned for the request's
//! environment (the principal is who voted); or, unsigned, the OS user who answered at a
//! terminal or in an MCP client (one OS user is one person, whatever the channel or the name
//! typed). Where the environment's protection asks for signed approvals, only verified
//! signatures from distinct principals count.

mod approvers;
mod claims;
mod text;
mod votes;

use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use self::{
    approvers::{APPROVERS_ACTION, APPROVERS_KEY, APPROVERS_TOOL, Approvers, ApproversChange},
    claims::{Claim, claim_in, context_change},
    text::{approve_commands, canonical_text, question, steps_text},
    votes::{Ballot, Proof, Vote, os_user},
};
use super::{
    Risk,
    environment::Environment,
    plans::PlanView,
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
    /// Where the call was approved to run.
    #[serde(default)]
    pub context: CallContext,
    /// The steps of a plan, for a plan's approval request (tool `espada-aws`, action
    /// `run_plan`): its argument hash is the plan's hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanView>,
}

/// The account, region and credentials context of a call, as the approval binds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallContext {
    /// The account the credentials act in, when it could be read (STS GetCallerIdentity).
    pub account: Option<String>,
    /// The region the SDK resolved for the call (flag, per-call field or profile).
    pub region: Option<String>,
    /// The named profile, or none for the default credentials chain.
    pub profile: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRequest {
    pub id: String,
    #[serde(flatten)]
    pub call: RequestedCall,
    pub status: Status,
    pub requester: String,
    pub min_approvers: u32,
    /// Whether only verified signatures by listed approvers count.
    #[serde(default)]
    pub signed_approvals: bool,
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
        signed_approvals: bool,
        ttl_secs: i64,
    ) -> Result<ApprovalRequest> {
        let id = new_id("apr");
        let t = now();
        self.write(|tx| {
            insert_approval_in(
                tx,
                &id,
                &call,
                args_hash,
                requester,
                min_approvers,
                signed_approvals,
                t,
                t + ttl_secs,
            )
        })?;
        Ok(self.approval(&id)?.expect("just inserted"))
    }

    pub fn approval(&self, id: &str) -> Result<Option<ApprovalRequest>> {
        self.read(|c| load(c, id))
    }

    /// Requests with `status` (any when `None`), newest first, at most `limit`; filtered and
    /// limited by SQL.
    pub fn approvals(&self, status: Option<Status>, limit: usize) -> Result<Vec<ApprovalRequest>> {
        // Pending and approved requests past their validity are shown as expired.
        let condition = match status {
            None => "?1 = ?1",
            Some(Status::Pending) => "status = 'pending' AND expires_at > ?1",
            Some(Status::Approved) => "status = 'approved' AND expires_at > ?1",
            Some(Status::Expired) => {
                "(status = 'expired' OR (status IN ('pending', 'approved') AND expires_at <= ?1))"
            }
            Some(Status::Rejected) => "status = 'rejected' AND ?1 = ?1",
            Some(Status::Cancelled) => "status = 'cancelled' AND ?1 = ?1",
            Some(Status::Executed) => "status = 'executed' AND ?1 = ?1",
        };
        let sql = format!(
            "SELECT id FROM approvals WHERE {condition} ORDER BY created_at DESC, id LIMIT ?2"
        );
        self.read(|c| {
            let ids: Vec<String> = c
                .prepare(&sql)?
                .query_map(params![now(), limit as i64], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let mut out = Vec::new();
            for id in ids {
                out.extend(load(c, &id)?);
            }
            Ok(out)
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
}

/// Records a pending approval request inside `tx`.
#[allow(clippy::too_many_arguments)]
pub fn insert_approval_in(
    tx: &Transaction<'_>,
    id: &str,
    call: &RequestedCall,
    args_hash: &str,
    requester: &str,
    min_approvers: u32,
    signed_approvals: bool,
    created_at: i64,
    expires_at: i64,
) -> rusqlite::Result<usize> {
    let body = serde_json::to_string(call).expect("call serialises");
    tx.execute(
        "INSERT INTO approvals (id, body, args_hash, status, requester, min_approvers,
             created_at, expires_at, signed) VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6, ?7, ?8)",
        params![
            id,
            body,
            args_hash,
            requester,
            min_approvers.max(1),
            created_at,
            expires_at,
            signed_approvals
        ],
    )
}

/// One request with its votes (signatures included), read on `c`.
pub fn load_request(
    c: &rusqlite::Connection,
    id: &str,
) -> rusqlite::Result<Option<ApprovalRequest>> {
    load(c, id)
}

fn load(c: &rusqlite::Connection, id: &str) -> rusqlite::Result<Option<ApprovalRequest>> {
    let row = c
        .query_row(
            "SELECT body, args_hash, status, requester, min_approvers, created_at, expires_at,
                 signed
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
                    r.get::<_, bool>(7)?,
                ))
            },
        )
        .optional()?;
    let Some((body, args_hash, status, requester, min_approvers, created, expires, signed)) = row
    else {
        return Ok(None);
    };
    let mut stmt = c.prepare(
        "SELECT approver, decision, comment, channel, at, verified, display_name,
             key_fingerprint, signature
         FROM approval_votes WHERE request_id = ?1 ORDER BY at, approver",
    )?;
    let votes: Vec<Vote> = stmt
        .query_map([id], |r| {
            Ok(Vote {
                approver: r.get(0)?,
                decision: r.get(1)?,
                comment: r.get(2)?,
                channel: r.get(3)?,
                at: rfc3339(r.get(4)?),
                verified: r.get(5)?,
                display_name: r.get(6)?,
                key_fingerprint: r.get(7)?,
                signature: r.get(8)?,
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
        signed_approvals: signed,
        // Where only signatures count, an unverified vote (none is taken, but a row written
        // around the guardrails could be there) counts for nothing.
        approvals: votes
            .iter()
            .filter(|v| v.decision == "approve" && (v.verified || !signed))
            .count() as u32,
        votes,
        created_at: rfc3339(created),
        expires_at: rfc3339(expires),
        args_hash,
    }))
}
