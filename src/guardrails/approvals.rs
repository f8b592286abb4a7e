//! Approval requests: created by the pipeline (or `create_approval_request`) for a call that
//! needs human approval, decided only by humans (the CLI or an MCP elicitation answered in the
//! client), executed at most once with exactly the approved arguments, in the account, region
//! and credentials context it was approved for, and only while its targets are no more
//! protected than they were when people approved it.
//!
//! A request stores the call's redacted, bounded arguments (what people read) and the SHA-256
//! binding of the real ones (what the repeated call must match).

use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{
    Risk,
    audit::{AuditRecord, append_in, clip},
    changes::{ChangeStatus, change_in, set_change_status_in},
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
    /// Where the call was approved to run.
    #[serde(default)]
    pub context: CallContext,
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

/// What a repeated call brings to claim its approval: the call as it is now, freshly evaluated.
#[derive(Debug, Clone)]
pub struct Claim {
    pub tool: String,
    pub action: String,
    pub args_hash: String,
    pub context: CallContext,
    pub environment: Option<Environment>,
    pub risk: Risk,
    pub min_approvers: u32,
    pub change_request_required: bool,
    /// The change request the repeated call names, if it names one.
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

    /// Records a human's decision, and the audit record of it, in one transaction: a vote is
    /// never unaudited, and a refused vote is audited too. The requester cannot vote, each
    /// approver votes once, and a request stops taking votes once decided; the decision moves
    /// the request's change request along (unless people closed it meanwhile).
    pub fn vote(
        &self,
        id: &str,
        approver: &str,
        approve: bool,
        comment: Option<&str>,
        channel: &str,
    ) -> Result<std::result::Result<ApprovalRequest, Refusal>> {
        let approver = approver.trim();
        let decision = if approve { "approve" } else { "reject" };
        self.write(|tx| {
            let outcome = vote_in(tx, id, approver, approve, comment, channel)?;
            let (status, detail, environment) = match &outcome {
                Ok(req) => (
                    req.status.as_str().to_string(),
                    format!(
                        "{approver} voted {decision} on {id} via {channel}: {} of {} approvals, \
                         the request is {}",
                        req.approvals,
                        req.min_approvers,
                        req.status.as_str()
                    ),
                    req.call.environment.map(|e| e.as_str().to_string()),
                ),
                Err(why) => ("refused".to_string(), why.clone(), None),
            };
            let mut input = Map::new();
            input.insert("request_id".into(), json!(clip(id, 64)));
            if let Some(c) = comment {
                input.insert("comment".into(), json!(clip(c, 256)));
            }
            append_in(
                tx,
                &AuditRecord {
                    kind: "vote".into(),
                    correlation_id: new_id("vote"),
                    actor: format!("person:{}", clip(approver, 64)),
                    tool: "aws_guardrails".into(),
                    action: format!("{decision}_request"),
                    targets: vec![clip(id, 64)],
                    input,
                    outcome: status,
                    detail,
                    environment,
                    ..AuditRecord::default()
                },
            )?;
            Ok(outcome)
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

fn vote_in(
    tx: &Transaction<'_>,
    id: &str,
    approver: &str,
    approve: bool,
    comment: Option<&str>,
    channel: &str,
) -> rusqlite::Result<std::result::Result<ApprovalRequest, Refusal>> {
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
        if let Some(cr) = &req.call.change_request_id {
            let (to, from): (ChangeStatus, &[ChangeStatus]) = match s {
                Status::Approved => (ChangeStatus::Approved, &[ChangeStatus::Submitted]),
                _ => (
                    ChangeStatus::Rejected,
                    &[ChangeStatus::Submitted, ChangeStatus::Approved],
                ),
            };
            set_change_status_in(tx, cr, to, &format!("by approval request {id}"), from)?;
        }
    }
    Ok(Ok(load(tx, id)?.expect("exists")))
}

/// Claims an approved request for execution inside `tx` (the transaction that admits the
/// call): it must be approved, unexpired, for exactly these arguments, in the same account,
/// region and credentials context, for targets no more protected than when people approved it,
/// and, where the environment needs one, carry a change request that is still open. Marking it
/// executed is one conditional UPDATE, so of two processes racing on one request exactly one
/// wins. A refusal changes nothing.
pub fn claim_in(
    tx: &Transaction<'_>,
    id: &str,
    claim: &Claim,
) -> rusqlite::Result<std::result::Result<ApprovalRequest, Refusal>> {
    let Some(req) = load(tx, id)? else {
        return Ok(Err(format!("no approval request {id}")));
    };
    if req.call.tool != claim.tool
        || req.call.action != claim.action
        || req.args_hash != claim.args_hash
    {
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
    if let Some(why) = context_change(&req.call.context, &claim.context) {
        return Ok(Err(format!(
            "{id} was approved for another context: {why}; request a new approval for this one"
        )));
    }
    let named = |e: Option<Environment>| e.map(Environment::as_str).unwrap_or("unknown");
    if claim.environment > req.call.environment {
        return Ok(Err(format!(
            "{id} was approved for {}, but the call's targets are now {}; request a new \
             approval, which the protection of {} decides",
            named(req.call.environment),
            named(claim.environment),
            named(claim.environment)
        )));
    }
    if claim.risk > req.call.risk {
        return Ok(Err(format!(
            "{id} was approved at {} risk, and the call is now {}; request a new approval",
            req.call.risk.as_str(),
            claim.risk.as_str()
        )));
    }
    if claim.min_approvers > req.min_approvers {
        return Ok(Err(format!(
            "{id} has {} approval(s), and the protection of {} now asks for {}; request a new \
             approval",
            req.min_approvers,
            named(claim.environment),
            claim.min_approvers
        )));
    }
    if let Some(given) = claim.change_request_id.as_deref()
        && req.call.change_request_id.as_deref() != Some(given)
    {
        return Ok(Err(format!(
            "{id} carries change request {}, not {given}; repeat the call with the approved \
             change request or without change_request_id",
            req.call.change_request_id.as_deref().unwrap_or("none")
        )));
    }
    if claim.change_request_required {
        let Some(cr) = req.call.change_request_id.as_deref() else {
            return Ok(Err(format!(
                "{id} carries no change request, and {} changes need one: create one with \
                 aws_guardrails create_change_request and request a new approval with it",
                named(claim.environment)
            )));
        };
        match change_in(tx, cr)? {
            Some(c) if c.status.is_open() => {}
            Some(c) => {
                return Ok(Err(format!(
                    "change request {cr} of {id} is {}; only a submitted or approved change \
                     request can carry a change: request a new approval with an open one",
                    c.status.as_str()
                )));
            }
            None => return Ok(Err(format!("change request {cr} of {id} does not exist"))),
        }
    }
    let won = tx.execute(
        "UPDATE approvals SET status = 'executed', executed_at = ?2
         WHERE id = ?1 AND status = 'approved' AND expires_at > ?2",
        params![id, now()],
    )?;
    if won == 1 {
        Ok(Ok(req))
    } else {
        Ok(Err(format!(
            "{id} is no longer approved: an approved call runs once, within its validity"
        )))
    }
}

/// What differs between the context a request was approved in and the call's, if anything.
fn context_change(approved: &CallContext, now: &CallContext) -> Option<String> {
    let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "an unknown one".into());
    if let Some(account) = &approved.account
        && now.account.as_ref() != Some(account)
    {
        return Some(format!(
            "account {account}, and the credentials now act in {}",
            show(&now.account)
        ));
    }
    if approved.region != now.region {
        return Some(format!(
            "region {}, and the call runs in {}",
            show(&approved.region),
            show(&now.region)
        ));
    }
    if approved.profile != now.profile {
        return Some(format!(
            "profile {}, and the call uses {}",
            approved
                .profile
                .as_deref()
                .unwrap_or("(default credentials chain)"),
            now.profile
                .as_deref()
                .unwrap_or("(default credentials chain)")
        ));
    }
    None
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
