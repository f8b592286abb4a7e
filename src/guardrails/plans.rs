//! Plans: a change request that carries the ordered steps it authorises, approved once.
//!
//! A plan is proposed with `aws_guardrails create_change_request` and `steps`; each step is a
//! call of any registered tool's action, parsed and evaluated as if called (see
//! `dispatch::plan`). What is stored here:
//!
//! - `plans`: the plan, its change request and its one approval request;
//! - `plan_steps`: each step's tool, action and the SHA-256 binding of its arguments exactly as
//!   proposed (placeholders included; the arguments themselves are kept only redacted, in the
//!   approval request people read), the risk it was approved at, and its status: `pending`,
//!   `running` (claimed: it started and its outcome is not recorded yet), `ran`, `failed`,
//!   `skipped`; with the resolved arguments (redacted) and the result's data of a step that ran.
//!
//! The approval request of a plan binds the plan's hash ([`plan_hash`]): every step's tool,
//! action and argument binding in order, the plan id, account, region, credentials profile,
//! environment and expiry. It is what the signed canonical text carries, and it is computed
//! again from the stored steps whenever a step is claimed, so a plan changed in the state file
//! after people approved it does not run.
//!
//! A step is claimed in the transaction that admits it ([`claim_step_in`]): one conditional
//! UPDATE from `pending` to `running`, so of two racing calls exactly one runs it, and a step
//! whose answer was lost stays `running` and never runs again.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{
    Risk,
    approvals::{
        ApprovalRequest, CallContext, Claim, RequestedCall, Status, approve_commands,
        context_change, insert_approval_in, load_request,
    },
    changes::{ChangeRequest, ChangeStatus, change_in, insert_change_in, set_change_status_in},
    confirm::{canonical, sha256_hex},
    environment::Environment,
    store::{Result, Store, new_id, now, rfc3339},
};

/// The tool and action names a plan's approval request records: no call has them, so the
/// approval of a plan never lets a single call run.
pub const PLAN_TOOL: &str = "espada-aws";
pub const PLAN_ACTION: &str = "run_plan";

/// The most steps one plan may have.
pub const MAX_STEPS: usize = 25;

/// Bytes of a step's result data kept for later steps' placeholders.
const MAX_RESULT_BYTES: usize = 32_000;

/// What people approve: every step as proposed, with what the guardrails found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanView {
    pub id: String,
    pub change_request_id: String,
    pub steps: Vec<StepView>,
}

/// One step as people see it before they approve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepView {
    pub step: u32,
    pub tool: String,
    pub action: String,
    /// Redacted and bounded; placeholders as proposed.
    pub arguments: Map<String, Value>,
    pub arguments_sha256: String,
    pub environment: Option<Environment>,
    pub risk: Risk,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub risk_flags: Vec<String>,
    /// Preflight: AWS's own dry run, or why the step could not be checked now.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<String>,
    /// The earlier steps whose results fill this step's placeholders.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uses: Vec<u32>,
}

/// A step as stored: what binds it and where it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepState {
    pub step: u32,
    pub tool: String,
    pub action: String,
    /// pending, running, ran, failed or skipped
    pub status: String,
    #[serde(skip)]
    pub args_hash: String,
    #[serde(skip)]
    pub risk: Risk,
    /// The audit correlation id of the step's call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// The arguments it ran with, placeholders filled (redacted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_arguments: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip)]
    pub data: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
}

/// A plan and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanState {
    pub id: String,
    pub change_request_id: String,
    pub approval_request_id: String,
    /// pending_approval, approved, running, implemented, failed, rejected, expired, cancelled
    pub status: String,
    pub steps: Vec<StepState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback_plan: Option<String>,
}

impl PlanState {
    /// The next step to run, if the plan can still go on.
    pub fn next(&self) -> Option<u32> {
        if self
            .steps
            .iter()
            .any(|s| s.status != "pending" && s.status != "ran")
        {
            return None;
        }
        self.steps
            .iter()
            .find(|s| s.status == "pending")
            .map(|s| s.step)
    }

    /// What a result says of the plan: each step's status, and the rollback notes.
    pub fn summary(&self) -> Value {
        json!({
            "plan_id": self.id,
            "change_request_id": self.change_request_id,
            "status": self.status,
            "steps": self.steps.iter().map(|s| json!({
                "step": s.step, "tool": s.tool, "action": s.action, "status": s.status,
            })).collect::<Vec<_>>(),
            "next_step": self.next(),
            "rollback_plan": self.rollback_plan,
        })
    }
}

/// What a proposal stores: the change request, the steps, and the approval request's call.
pub struct Proposal {
    pub change: ChangeRequest,
    /// tool, action, argument binding, approved risk
    pub steps: Vec<(String, String, String, Risk)>,
    pub call: RequestedCall,
    pub requester: String,
    pub min_approvers: u32,
    pub signed_approvals: bool,
}

/// The hash people approve: the plan id, every step's tool, action and argument binding in
/// order, the account, region, credentials profile, environment and expiry.
pub fn plan_hash(
    plan_id: &str,
    steps: &[(String, String, String)],
    context: &CallContext,
    environment: Option<Environment>,
    expires_at: &str,
) -> String {
    let text = canonical(&json!({
        "plan": plan_id,
        "steps": steps.iter().enumerate().map(|(i, (tool, action, hash))| json!({
            "step": i + 1, "tool": tool, "action": action, "arguments_sha256": hash,
        })).collect::<Vec<_>>(),
        "account": context.account,
        "region": context.region,
        "profile": context.profile,
        "environment": environment,
        "expires": expires_at,
    }));
    sha256_hex(text.as_bytes())
}

/// Why a step could not be claimed.
pub type Refusal = String;

impl Store {
    /// Records a plan, its change request and its approval request in one transaction.
    /// Returns the plan id, the change request and the approval request.
    pub fn create_plan(
        &self,
        mut p: Proposal,
        ttl_secs: i64,
    ) -> Result<(String, ChangeRequest, ApprovalRequest)> {
        let plan_id = p
            .call
            .plan
            .as_ref()
            .map(|v| v.id.clone())
            .unwrap_or_else(|| new_id("pln"));
        let approval_id = new_id("apr");
        let t = now();
        let expires = t + ttl_secs;
        let bindings: Vec<(String, String, String)> = p
            .steps
            .iter()
            .map(|(t, a, h, _)| (t.clone(), a.clone(), h.clone()))
            .collect();
        let hash = plan_hash(
            &plan_id,
            &bindings,
            &p.call.context,
            p.call.environment,
            &rfc3339(expires),
        );
        let cr =
            self.write(|tx| {
                let cr = insert_change_in(tx, &mut p.change)?;
                p.call.change_request_id = Some(cr.id.clone());
                if let Some(view) = p.call.plan.as_mut() {
                    view.change_request_id = cr.id.clone();
                }
                p.call
                    .arguments
                    .insert("change_request_id".into(), json!(cr.id));
                p.call.arguments.insert("plan_sha256".into(), json!(hash));
                tx.execute(
                    "INSERT INTO plans (id, change_request_id, approval_id, created_at)
                 VALUES (?1, ?2, ?3, ?4)",
                    params![plan_id, cr.id, approval_id, t],
                )?;
                for (i, (tool, action, args_hash, risk)) in p.steps.iter().enumerate() {
                    tx.execute(
                    "INSERT INTO plan_steps (plan_id, step, tool, action, args_hash, risk, status)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending')",
                    params![plan_id, i as i64 + 1, tool, action, args_hash, risk.as_str()],
                )?;
                }
                insert_approval_in(
                    tx,
                    &approval_id,
                    &p.call,
                    &hash,
                    &p.requester,
                    p.min_approvers,
                    p.signed_approvals,
                    t,
                    expires,
                )?;
                Ok(cr)
            })?;
        let req = self.approval(&approval_id)?.expect("just inserted");
        Ok((plan_id, cr, req))
    }

    pub fn plan(&self, id: &str) -> Result<Option<PlanState>> {
        self.read(|c| plan_in(c, id))
    }

    /// The audit records (intent, outcome) of one call, oldest first.
    pub fn audit_of(&self, correlation_id: &str) -> Result<Vec<Value>> {
        self.read(|c| {
            c.prepare(
                "SELECT seq, record FROM audit WHERE correlation_id = ?1 ORDER BY seq LIMIT 10",
            )?
            .query_map([correlation_id], |r| {
                let seq: i64 = r.get(0)?;
                let text: String = r.get(1)?;
                let mut v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                v["seq"] = json!(seq);
                Ok(v)
            })?
            .collect()
        })
    }

    /// The plan a change request carries, if any.
    pub fn plan_of_change(&self, change_id: &str) -> Result<Option<PlanState>> {
        self.read(|c| {
            let id: Option<String> = c
                .query_row(
                    "SELECT id FROM plans WHERE change_request_id = ?1",
                    [change_id],
                    |r| r.get(0),
                )
                .optional()?;
            match id {
                Some(id) => plan_in(c, &id),
                None => Ok(None),
            }
        })
    }

    /// Records how a claimed step ended: `ran` with its result's data, or `failed` with the
    /// error, which stops the plan (later steps are `skipped`, the change request `failed`).
    /// After the last step the change request is `implemented`. Either way the approval is
    /// spent once the plan is over.
    pub fn finish_step(
        &self,
        plan_id: &str,
        step: u32,
        resolved: &Map<String, Value>,
        outcome: std::result::Result<Value, String>,
    ) -> Result<Option<PlanState>> {
        let t = now();
        self.write(|tx| {
            let resolved = serde_json::to_string(resolved).expect("arguments serialise");
            match &outcome {
                Ok(data) => {
                    let mut text = serde_json::to_string(data).expect("data serialises");
                    if text.len() > MAX_RESULT_BYTES {
                        text = json!({"truncated": true}).to_string();
                    }
                    tx.execute(
                        "UPDATE plan_steps SET status = 'ran', resolved = ?3, result = ?4,
                             finished_at = ?5
                         WHERE plan_id = ?1 AND step = ?2 AND status = 'running'",
                        params![plan_id, step, resolved, text, t],
                    )?;
                }
                Err(why) => {
                    tx.execute(
                        "UPDATE plan_steps SET status = 'failed', resolved = ?3, error = ?4,
                             finished_at = ?5
                         WHERE plan_id = ?1 AND step = ?2 AND status = 'running'",
                        params![plan_id, step, resolved, super::audit::clip(why, 2048), t],
                    )?;
                    tx.execute(
                        "UPDATE plan_steps SET status = 'skipped'
                         WHERE plan_id = ?1 AND status = 'pending'",
                        params![plan_id],
                    )?;
                }
            }
            let Some(plan) = plan_in(tx, plan_id)? else {
                return Ok(None);
            };
            let done = plan.steps.iter().all(|s| s.status == "ran");
            let failed = plan.steps.iter().any(|s| s.status == "failed");
            if done || failed {
                tx.execute(
                    "UPDATE approvals SET status = 'executed', executed_at = ?2
                     WHERE id = ?1 AND status = 'approved'",
                    params![plan.approval_request_id, t],
                )?;
                let (to, note) = if done {
                    (
                        ChangeStatus::Implemented,
                        format!("plan {plan_id}: all {} step(s) ran", plan.steps.len()),
                    )
                } else {
                    (
                        ChangeStatus::Failed,
                        format!("plan {plan_id}: step {step} failed"),
                    )
                };
                set_change_status_in(
                    tx,
                    &plan.change_request_id,
                    to,
                    &note,
                    &[ChangeStatus::Submitted, ChangeStatus::Approved],
                )?;
            }
            plan_in(tx, plan_id)
        })
    }
}

/// A plan and its steps, read on `c`.
pub fn plan_in(c: &Connection, id: &str) -> rusqlite::Result<Option<PlanState>> {
    let row: Option<(String, String)> = c
        .query_row(
            "SELECT change_request_id, approval_id FROM plans WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((change_request_id, approval_request_id)) = row else {
        return Ok(None);
    };
    let mut stmt = c.prepare(
        "SELECT step, tool, action, status, args_hash, risk, correlation_id, resolved, error,
             result, started_at, finished_at
         FROM plan_steps WHERE plan_id = ?1 ORDER BY step",
    )?;
    let steps: Vec<StepState> = stmt
        .query_map([id], |r| {
            let risk: String = r.get(5)?;
            let resolved: Option<String> = r.get(7)?;
            let result: Option<String> = r.get(9)?;
            Ok(StepState {
                step: r.get(0)?,
                tool: r.get(1)?,
                action: r.get(2)?,
                status: r.get(3)?,
                args_hash: r.get(4)?,
                risk: serde_json::from_value(json!(risk)).unwrap_or(Risk::Critical),
                correlation_id: r.get(6)?,
                resolved_arguments: resolved.and_then(|t| serde_json::from_str(&t).ok()),
                error: r.get(8)?,
                data: result.and_then(|t| serde_json::from_str(&t).ok()),
                started_at: r.get::<_, Option<i64>>(10)?.map(rfc3339),
                finished_at: r.get::<_, Option<i64>>(11)?.map(rfc3339),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let req = load_request(c, &approval_request_id)?;
    let change = change_in(c, &change_request_id)?;
    let status = if steps.iter().any(|s| s.status == "failed") {
        "failed"
    } else if steps.iter().all(|s| s.status == "ran") {
        "implemented"
    } else {
        match req.as_ref().map(|r| r.status) {
            Some(Status::Pending) => "pending_approval",
            Some(Status::Approved) if steps.iter().any(|s| s.status != "pending") => "running",
            Some(Status::Approved) => "approved",
            Some(Status::Rejected) => "rejected",
            Some(Status::Cancelled) => "cancelled",
            Some(Status::Expired) => "expired",
            Some(Status::Executed) | None => "stopped",
        }
    };
    Ok(Some(PlanState {
        id: id.to_string(),
        change_request_id,
        approval_request_id,
        status: status.to_string(),
        steps,
        rollback_plan: change.and_then(|c| c.rollback_plan),
    }))
}

/// The data of every step that ran, by step number: what placeholders are filled from.
pub fn results_of(plan: &PlanState) -> BTreeMap<u32, Value> {
    plan.steps
        .iter()
        .filter(|s| s.status == "ran")
        .filter_map(|s| Some((s.step, s.data.clone()?)))
        .collect()
}

/// Claims step `step` of plan `plan_id` (or, when `step` is `None`, the pending step whose
/// arguments match) for the call `claim`, inside the transaction that admits the call. The
/// plan's approval must be approved and unexpired; the plan as stored must still hash to what
/// people approved; the step must be the next one, with exactly the approved tool, action and
/// arguments; the call must run in the approved account, region and credentials context, at
/// no higher environment or risk than approved, under a protection that asks no more than the
/// approval gave; and the plan's change request must be open. Marks the step `running`; a
/// refusal changes nothing.
pub fn claim_step_in(
    tx: &Transaction<'_>,
    plan_id: &str,
    step: Option<u32>,
    claim: &Claim,
    correlation_id: &str,
) -> rusqlite::Result<std::result::Result<(ApprovalRequest, u32), Refusal>> {
    let Some(plan) = plan_in(tx, plan_id)? else {
        return Ok(Err(format!("no plan {plan_id}")));
    };
    let Some(req) = load_request(tx, &plan.approval_request_id)? else {
        return Ok(Err(format!(
            "the approval request of plan {plan_id} is gone"
        )));
    };
    if req.call.plan.as_ref().map(|p| p.id.as_str()) != Some(plan_id) {
        return Ok(Err(format!(
            "{} is not the approval of plan {plan_id}; it does not run",
            req.id
        )));
    }
    if let Some(failed) = plan.steps.iter().find(|s| s.status == "failed") {
        return Ok(Err(format!(
            "plan {plan_id} stopped: step {} failed, so the steps after it do not run",
            failed.step
        )));
    }
    let id = &req.id;
    match req.status {
        Status::Approved => {}
        Status::Pending => {
            return Ok(Err(format!(
                "plan {plan_id} is still pending: {} of {} approvals on {id}; people decide on \
                 it: {}",
                req.approvals,
                req.min_approvers,
                approve_commands(id, req.signed_approvals)
            )));
        }
        Status::Expired => {
            return Ok(Err(format!(
                "the approval {id} of plan {plan_id} expired at {}; steps run only within it: \
                 propose the remaining steps again",
                req.expires_at
            )));
        }
        other => {
            return Ok(Err(format!(
                "plan {plan_id} is {} ({id} is {}); none of its steps runs",
                plan.status,
                other.as_str()
            )));
        }
    }
    let bindings: Vec<(String, String, String)> = plan
        .steps
        .iter()
        .map(|s| (s.tool.clone(), s.action.clone(), s.args_hash.clone()))
        .collect();
    let hash = plan_hash(
        plan_id,
        &bindings,
        &req.call.context,
        req.call.environment,
        &req.expires_at,
    );
    if hash != req.args_hash
        || req.call.plan.as_ref().map(|p| p.steps.len()) != Some(bindings.len())
    {
        return Ok(Err(format!(
            "plan {plan_id} is not the plan people approved in {id} (its hash differs: it was \
             changed in the state file); none of its steps runs"
        )));
    }
    if let Some(r) = plan.steps.iter().find(|s| s.status == "running") {
        return Ok(Err(format!(
            "step {} of plan {plan_id} was started and its outcome is not recorded (a lost \
             answer, or another call is running it); it does not run again and the plan waits \
             for it: check what AWS holds, and the audit record {}",
            r.step,
            r.correlation_id.as_deref().unwrap_or("of the step")
        )));
    }
    let Some(next) = plan.next() else {
        return Ok(Err(format!("plan {plan_id} has no step left to run")));
    };
    let n = match step {
        Some(n) => n,
        // Matched by arguments: the first pending step of this action with these arguments.
        None => match plan.steps.iter().find(|s| {
            s.status == "pending"
                && s.tool == claim.tool
                && s.action == claim.action
                && s.args_hash == claim.args_hash
        }) {
            Some(s) => s.step,
            None => {
                return Ok(Err(format!(
                    "no pending step of plan {plan_id} is {} {} with these arguments; repeat a \
                     step exactly as proposed (placeholders included), with plan_step",
                    claim.tool, claim.action
                )));
            }
        },
    };
    let Some(s) = plan.steps.iter().find(|s| s.step == n) else {
        return Ok(Err(format!(
            "plan {plan_id} has steps 1 to {}; there is no step {n}",
            plan.steps.len()
        )));
    };
    match s.status.as_str() {
        "pending" => {}
        "ran" => {
            return Ok(Err(format!(
                "step {n} of plan {plan_id} already ran; a step runs once (the next is {next})"
            )));
        }
        "running" => {
            return Ok(Err(format!(
                "step {n} of plan {plan_id} was started and its outcome is not recorded (a lost \
                 answer, or another call is running it); it does not run again: check what AWS \
                 holds, and see the audit record {}",
                s.correlation_id.as_deref().unwrap_or("of the step")
            )));
        }
        other => {
            return Ok(Err(format!("step {n} of plan {plan_id} is {other}")));
        }
    }
    if n != next {
        return Ok(Err(format!(
            "step {n} of plan {plan_id} is out of order: step {next} runs first"
        )));
    }
    if s.tool != claim.tool || s.action != claim.action || s.args_hash != claim.args_hash {
        return Ok(Err(format!(
            "step {n} of plan {plan_id} was approved as {} {} with other arguments; repeat it \
             exactly as proposed (placeholders included)",
            s.tool, s.action
        )));
    }
    if let Some(why) = context_change(&req.call.context, &claim.context) {
        return Ok(Err(format!(
            "plan {plan_id} was approved for another context: {why}; propose it again for this one"
        )));
    }
    let named = |e: Option<Environment>| e.map(Environment::as_str).unwrap_or("unknown");
    if claim.environment > req.call.environment {
        return Ok(Err(format!(
            "plan {plan_id} was approved for {}, but step {n}'s targets are {}; propose it again",
            named(req.call.environment),
            named(claim.environment)
        )));
    }
    if claim.risk > s.risk {
        return Ok(Err(format!(
            "step {n} of plan {plan_id} was approved at {} risk, and it is now {}; propose it \
             again",
            s.risk.as_str(),
            claim.risk.as_str()
        )));
    }
    if claim.min_approvers > req.min_approvers {
        return Ok(Err(format!(
            "plan {plan_id} has {} approval(s), and the protection of {} now asks for {}; \
             propose it again",
            req.min_approvers,
            named(claim.environment),
            claim.min_approvers
        )));
    }
    if claim.signed_approvals && !req.signed_approvals {
        return Ok(Err(format!(
            "plan {plan_id} was approved without signatures, and {} now takes only signed \
             approvals; propose it again",
            named(claim.environment)
        )));
    }
    match change_in(tx, &plan.change_request_id)? {
        Some(c) if c.status.is_open() => {}
        Some(c) => {
            return Ok(Err(format!(
                "change request {} of plan {plan_id} is {}; its steps no longer run",
                c.id,
                c.status.as_str()
            )));
        }
        None => {
            return Ok(Err(format!(
                "change request {} of plan {plan_id} does not exist",
                plan.change_request_id
            )));
        }
    }
    let won = tx.execute(
        "UPDATE plan_steps SET status = 'running', started_at = ?3, correlation_id = ?4
         WHERE plan_id = ?1 AND step = ?2 AND status = 'pending'",
        params![plan_id, n, now(), correlation_id],
    )?;
    if won != 1 {
        return Ok(Err(format!(
            "step {n} of plan {plan_id} was claimed by another call; it runs once"
        )));
    }
    Ok(Ok((req, n)))
}

/// Is `v` a placeholder, `{"$step": N, "path": "a.b.0"}`? Returns its step and path.
pub fn placeholder(v: &Value) -> Option<(u64, &str)> {
    let o = v.as_object()?;
    let step = o.get("$step")?.as_u64()?;
    let path = match o.get("path") {
        None => "",
        Some(p) => p.as_str()?,
    };
    o.keys()
        .all(|k| k == "$step" || k == "path")
        .then_some((step, path))
}

/// Walks `v`, replacing every placeholder with `f(step, path)`; returns the first error.
pub fn fill(
    v: &Value,
    f: &mut dyn FnMut(u64, &str) -> std::result::Result<Value, String>,
) -> std::result::Result<Value, String> {
    if let Some((step, path)) = placeholder(v) {
        return f(step, path);
    }
    if v.as_object().is_some_and(|o| o.contains_key("$step")) {
        return Err(
            "a placeholder is {\"$step\": N, \"path\": \"field.sub\"} and nothing else".into(),
        );
    }
    Ok(match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| Ok((k.clone(), fill(v, f)?)))
                .collect::<std::result::Result<_, String>>()?,
        ),
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|v| fill(v, f))
                .collect::<std::result::Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

/// The value at `path` (dot-separated keys and list indexes) in `data`.
pub fn lookup<'a>(data: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .filter(|p| !p.is_empty())
        .try_fold(data, |v, part| match v {
            Value::Object(o) => o.get(part),
            Value::Array(a) => a.get(part.parse::<usize>().ok()?),
            _ => None,
        })
}

/// Fills the placeholders of `args` from the results of the steps that ran.
pub fn resolve(
    args: &Map<String, Value>,
    results: &BTreeMap<u32, Value>,
) -> std::result::Result<Map<String, Value>, String> {
    let filled = fill(&Value::Object(args.clone()), &mut |step, path| {
        let data = results
            .get(&(step as u32))
            .ok_or_else(|| format!("step {step} has not run, so {{\"$step\": {step}}} is empty"))?;
        match lookup(data, path) {
            Some(Value::Null) | None => Err(format!(
                "step {step}'s result has no {path:?}; its data has: {}",
                data.as_object()
                    .map(|o| o.keys().cloned().collect::<Vec<_>>().join(", "))
                    .unwrap_or_default()
            )),
            Some(v) => Ok(v.clone()),
        }
    })?;
    match filled {
        Value::Object(o) => Ok(o),
        _ => unreachable!("an object stays an object"),
    }
}
