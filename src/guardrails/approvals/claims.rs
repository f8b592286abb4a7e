//! Claims: a repeated call takes its approved request for execution, at most once, with exactly
//! the approved arguments, in the approved context.

use rusqlite::{Transaction, params};

use super::{ApprovalRequest, CallContext, Refusal, Status, approve_commands, load};
use crate::guardrails::{Risk, changes::change_in, environment::Environment, store::now};

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
    /// Whether the environment now takes only signed votes.
    pub signed_approvals: bool,
    /// The change request the repeated call names, if it names one.
    pub change_request_id: Option<String>,
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
    if let Some(plan) = &req.call.plan {
        return Ok(Err(format!(
            "{id} approves plan {}, whose steps run only with plan_id={} (and plan_step); it \
             lets no other call run",
            plan.id, plan.id
        )));
    }
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
                "{id} is still pending: {} of {} approvals; people decide on it: {}",
                req.approvals,
                req.min_approvers,
                approve_commands(id, req.signed_approvals)
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
    if claim.signed_approvals && !req.signed_approvals {
        return Ok(Err(format!(
            "{id} was approved without signatures, and {} now takes only signed approvals; \
             request a new approval",
            named(claim.environment)
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
pub fn context_change(approved: &CallContext, now: &CallContext) -> Option<String> {
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
