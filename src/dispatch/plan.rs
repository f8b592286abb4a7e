//! Plans on the one path: proposing one (every step parsed and evaluated as if called) and
//! running one step of an approved plan (`plan_id`, `plan_step`).
//!
//! A step is `{tool, action, arguments}`, any registered action but a read or a guardrails
//! change. Its arguments may hold placeholders, `{"$step": N, "path": "a.b.0"}`: the value at
//! `path` in the `data` of step N's result (N earlier than the step), filled in when the step
//! runs. At proposal a placeholder stands in as the text `$stepN.path`, and a target named by
//! one counts as new (its environment is checked again when the step runs, with the real id).

use serde_json::{Map, Value, json};

use super::{Dispatcher, Trail, bounded, take_string, this_process};
use crate::{
    error::ToolError,
    guardrails::{
        approvals::{CallContext, Claim, RequestedCall, approve_commands},
        audit::{AuditRecord, append_in, clip},
        changes::ChangeRequest,
        confirm::binding,
        plans::{
            MAX_STEPS, PLAN_ACTION, PLAN_TOOL, PlanView, Proposal, StepView, claim_step_in, fill,
            resolve, results_of,
        },
        ratelimit::reserve_in,
        store::new_id,
    },
    output::Output,
    registry::{Access, Caller, DryRun, Risk, Target, Tool},
};

/// The text a placeholder stands in as while a proposal is parsed.
const STANDIN: &str = "$step";

/// The guardrails' own fields, which a step does not carry.
const RESERVED: [&str; 6] = [
    "confirm_token",
    "approval_request_id",
    "change_request_id",
    "plan_id",
    "plan_step",
    "dry_run",
];

fn at(n: u32, e: ToolError) -> ToolError {
    match e {
        ToolError::InvalidInput(m) => ToolError::InvalidInput(format!("step {n}: {m}")),
        ToolError::Refused(m) => ToolError::Refused(format!("step {n}: {m}")),
        other => ToolError::invalid(format!("step {n}: {}", other.to_json())),
    }
}

/// A target named by a placeholder does not exist yet.
fn mark_new(t: &mut Target) {
    if t.id.contains(STANDIN) {
        t.new = true;
    }
    if let Some(p) = t.parent.as_mut() {
        mark_new(p);
    }
}

/// `{tool, action, arguments}` of step `n`.
fn split_step(
    n: u32,
    mut raw: Map<String, Value>,
) -> Result<(String, String, Map<String, Value>), ToolError> {
    let text = |raw: &mut Map<String, Value>, key: &str| match raw.remove(key) {
        Some(Value::String(s)) => Ok(s),
        _ => Err(ToolError::invalid(format!(
            "step {n} needs {key} (a string); a step is {{\"tool\", \"action\", \"arguments\"}}"
        ))),
    };
    let tool = text(&mut raw, "tool")?;
    let action = text(&mut raw, "action")?;
    let args = match raw.remove("arguments") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(o)) => o,
        Some(other) => {
            return Err(ToolError::invalid(format!(
                "step {n}: arguments must be an object, got {other}"
            )));
        }
    };
    if let Some(k) = raw.keys().next() {
        return Err(ToolError::invalid(format!(
            "step {n}: unknown field {k}; a step is {{\"tool\", \"action\", \"arguments\"}}"
        )));
    }
    Ok((tool, action, args))
}

impl Dispatcher {
    /// Proposes a plan: parses, validates and evaluates every step as if it were called, runs
    /// AWS's own dry run where the action has one and the step uses no placeholder, refuses
    /// the whole plan when any step is refused (with its number and reason), and records the
    /// change request, the plan and one approval request with the strictest step's protection.
    /// Nothing changes in AWS.
    pub async fn propose_plan(
        &self,
        mut change: ChangeRequest,
        steps: Vec<Map<String, Value>>,
        caller: &Caller,
    ) -> Result<Output, ToolError> {
        if steps.is_empty() || steps.len() > MAX_STEPS {
            return Err(ToolError::invalid(format!(
                "a plan has 1 to {MAX_STEPS} steps, got {}",
                steps.len()
            )));
        }
        let mut views = Vec::new();
        let mut bindings: Vec<(String, String, String, Risk)> = Vec::new();
        let mut evals = Vec::new();
        let mut first_region: Option<Option<String>> = None;
        let mut first_role: Option<Option<String>> = None;
        let mut context: Option<CallContext> = None;
        for (i, raw) in steps.into_iter().enumerate() {
            let n = i as u32 + 1;
            let (tool_name, action, args) = split_step(n, raw)?;
            let tool: &'static Tool = self.tool(&tool_name).map_err(|e| at(n, e))?;
            if tool.name == "aws_guardrails" {
                return Err(ToolError::invalid(format!(
                    "step {n}: guardrails changes are not plan steps; make them on their own"
                )));
            }
            if let Some(k) = RESERVED.iter().find(|k| args.contains_key(**k)) {
                return Err(ToolError::invalid(format!(
                    "step {n}: {k} is not part of a step; the plan's approval covers it"
                )));
            }
            let mut uses: Vec<u32> = Vec::new();
            let standin = fill(&Value::Object(args.clone()), &mut |k, path| {
                if k == 0 || k >= u64::from(n) {
                    return Err(format!(
                        "a placeholder names step {k}, and only earlier steps (1 to {}) can fill \
                         one",
                        n - 1
                    ));
                }
                uses.push(k as u32);
                Ok(json!(format!("{STANDIN}{k}.{path}")))
            })
            .map_err(|why| ToolError::invalid(format!("step {n}: {why}")))?;
            uses.sort_unstable();
            uses.dedup();
            let Value::Object(mut standin) = standin else {
                unreachable!("an object stays an object")
            };
            standin.insert("action".into(), json!(action));
            let mut call = self.parse(tool, standin).map_err(|e| at(n, e))?;
            let def = call.def;
            self.guardrails
                .check_read_only(tool.name, def.name, def.access)
                .map_err(|e| at(n, e))?;
            if def.access == Access::Read {
                return Err(ToolError::invalid(format!(
                    "step {n}: {} {} is a read; reads need no plan, call it directly",
                    tool.name, def.name
                )));
            }
            for t in &mut call.targets {
                mark_new(t);
            }
            let eval = self.evaluate(&call, caller).await.map_err(|e| at(n, e))?;
            if let Some(why) = eval.denied.as_ref().or(eval.rate_limited.as_ref()) {
                return Err(ToolError::Refused(format!(
                    "step {n} ({} {}) is refused: {why}; the plan was not recorded and nothing \
                     was done",
                    tool.name, def.name
                )));
            }
            let role = call.account.as_ref().map(|a| a.role_arn.clone());
            match &first_role {
                None => first_role = Some(role),
                Some(r) if *r != role => {
                    return Err(ToolError::invalid(format!(
                        "step {n} acts in {}, step 1 in {}; a plan acts in one account: propose \
                         one plan per account",
                        role.as_deref().unwrap_or("the server's own account"),
                        r.as_deref().unwrap_or("the server's own account")
                    )));
                }
                Some(_) => {}
            }
            match &first_region {
                None => {
                    first_region = Some(eval.region.clone());
                    context = Some(self.guardrails.context(&self.aws, call.at(), &eval).await);
                }
                Some(r) if *r != eval.region => {
                    return Err(ToolError::invalid(format!(
                        "step {n} runs in {}, step 1 in {}; a plan runs in one region: propose \
                         one plan per region",
                        eval.region.as_deref().unwrap_or("an unknown region"),
                        r.as_deref().unwrap_or("an unknown region")
                    )));
                }
                Some(_) => {}
            }
            // Preflight: where each target's environment comes from, and AWS's own dry run.
            let mut findings: Vec<String> = eval
                .target_environments
                .iter()
                .filter_map(|t| {
                    let id = t["target"].as_str()?;
                    (!id.contains(STANDIN)).then(|| {
                        format!(
                            "{id} is {} ({})",
                            t["environment"]
                                .as_str()
                                .unwrap_or("of unknown environment"),
                            t["from"].as_str().unwrap_or("")
                        )
                    })
                })
                .collect();
            let hash = binding(tool.name, def.name, &args);
            let view = StepView {
                step: n,
                tool: tool.name.to_string(),
                action: def.name.to_string(),
                arguments: bounded(&args).input,
                arguments_sha256: hash.clone(),
                environment: eval.environment,
                risk: eval.risk,
                risk_flags: eval.flags.clone(),
                findings: Vec::new(),
                uses: uses.clone(),
            };
            if !uses.is_empty() {
                findings.push(format!(
                    "not checked against AWS now: it uses the result of step(s) {}",
                    uses.iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            } else if def.dry_run == DryRun::Native {
                let out = self.dry_run(call, caller, &eval).await.map_err(|e| {
                    ToolError::Refused(format!(
                        "step {n} ({} {}) could never run: AWS's dry run answered {}; the plan \
                         was not recorded",
                        tool.name,
                        def.name,
                        e.to_json()
                    ))
                })?;
                if out["data"]["would_succeed"] == json!(false) {
                    return Err(ToolError::Refused(format!(
                        "step {n} ({} {}) could never run: AWS's dry run answered {}; the plan \
                         was not recorded",
                        tool.name, def.name, out["data"]["error"]
                    )));
                }
                findings.push(format!(
                    "AWS dry run: {}",
                    out["summary"].as_str().unwrap_or_default()
                ));
                if let Some(more) = out["data"].as_object() {
                    let more: Map<String, Value> = more
                        .iter()
                        .filter(|(k, _)| !matches!(k.as_str(), "dry_run" | "would_succeed"))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    if !more.is_empty() {
                        findings.push(clip(&Value::Object(more).to_string(), 1000));
                    }
                }
            }
            bindings.push((tool.name.to_string(), def.name.to_string(), hash, eval.risk));
            views.push(StepView { findings, ..view });
            evals.push(eval);
        }

        // The plan is as strict as its strictest step; people approve every plan.
        let rules = self.guardrails.store.run(|s| s.rules()).await?;
        let environment = evals
            .iter()
            .filter_map(|e| e.environment)
            .max()
            .max(change.environment)
            .unwrap_or(rules.environments.default_environment);
        let risk = evals.iter().map(|e| e.risk).max().unwrap_or(Risk::Medium);
        let protection = rules.protection(environment);
        let min_approvers = evals
            .iter()
            .map(|e| e.min_approvers)
            .chain([protection.min_approvers, 1])
            .max()
            .unwrap_or(1);
        let signed = protection.signed_approvals || evals.iter().any(|e| e.signed_approvals);
        change.environment = Some(environment);
        let plan_id = new_id("pln");
        let n = views.len();
        let mut arguments = Map::new();
        arguments.insert("plan_id".into(), json!(plan_id));
        arguments.insert("steps".into(), json!(n));
        let call = RequestedCall {
            tool: PLAN_TOOL.into(),
            action: PLAN_ACTION.into(),
            arguments,
            environment: Some(environment),
            risk,
            reason: clip(&format!("{}: {}", change.title, change.description), 2048),
            change_request_id: None,
            context: context.unwrap_or_default(),
            plan: Some(PlanView {
                id: plan_id,
                change_request_id: String::new(),
                steps: views,
            }),
        };
        let proposal = Proposal {
            change,
            steps: bindings,
            call,
            requester: caller.requester.clone(),
            min_approvers,
            signed_approvals: signed,
        };
        let ttl = rules.approval_ttl_hours * 3600;
        let (plan_id, cr, req) = self
            .guardrails
            .store
            .run(move |s| s.create_plan(proposal, ttl))
            .await?;
        self.guardrails
            .notify(&self.aws, "approval_requested", &req)
            .await;
        Ok(Output::new(
            format!(
                "Plan {plan_id} ({n} step(s) in {}, risk {}) is recorded with change request {} \
                 and nothing was done. Tell the user: it needs approval by {} person(s){}: {}. \
                 Once approved, run the steps in order: repeat each step's call exactly as \
                 proposed (placeholders included) adding plan_id={plan_id} and plan_step=N.",
                environment.as_str(),
                risk.as_str(),
                cr.id,
                req.min_approvers,
                if req.signed_approvals {
                    ", each signing with their own key"
                } else {
                    ""
                },
                approve_commands(&req.id, req.signed_approvals)
            ),
            json!({
                "plan_id": plan_id,
                "change_request_id": cr.id,
                "approval_request_id": req.id,
                "expires_at": req.expires_at,
                "environment": environment,
                "risk": risk,
                "min_approvers": req.min_approvers,
                "signed_approvals": req.signed_approvals,
                "plan_sha256": req.args_hash,
                "steps": req.call.plan.as_ref().map(|p| &p.steps),
            }),
        ))
    }

    /// Runs one step of an approved plan: the call as the agent repeats it, with `plan_id`
    /// (and `plan_step`). Its arguments must be the approved step's exactly (placeholders
    /// included); the placeholders are filled from earlier steps' results, the filled call is
    /// parsed and evaluated like any other, and the step is claimed, the rate-limit slot taken
    /// and the audit intent written in one transaction before it runs.
    pub(super) async fn run_step(
        &self,
        tool: &'static Tool,
        mut args: Map<String, Value>,
        caller: &Caller,
        trail: &mut Trail,
    ) -> Result<Value, ToolError> {
        let plan_id = take_string(&mut args, "plan_id")?.ok_or_else(|| {
            ToolError::invalid("plan_step goes with plan_id, the plan's id (pln-…)")
        })?;
        let step = match args.remove("plan_step") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_u64()
                    .filter(|n| (1..=MAX_STEPS as u64).contains(n))
                    .ok_or_else(|| {
                        ToolError::invalid(format!("plan_step must be a step number, got {v}"))
                    })? as u32,
            ),
        };
        trail.plan = Some((plan_id.clone(), step));
        if let Some(k) = [
            "confirm_token",
            "approval_request_id",
            "change_request_id",
            "dry_run",
        ]
        .iter()
        .find(|k| args.contains_key(**k))
        {
            return Err(ToolError::invalid(format!(
                "a plan step runs with plan_id (and plan_step) alone: drop {k}; the plan's \
                 approval covers it"
            )));
        }
        let action = match args.remove("action") {
            Some(Value::String(s)) => s,
            _ => return Err(ToolError::invalid("action is required (a string)")),
        };
        let Some(def) = tool.action(&action) else {
            return Err(ToolError::invalid(format!(
                "unknown action '{action}' for {}",
                tool.name
            )));
        };
        let given_hash = binding(tool.name, def.name, &args);
        let pid = plan_id.clone();
        let plan = self
            .guardrails
            .store
            .run(move |s| s.plan(&pid))
            .await?
            .ok_or_else(|| ToolError::Refused(format!("no plan {plan_id}; nothing was done")))?;
        if let (Some(n), Some(next)) = (step, plan.next())
            && n != next
            && plan
                .steps
                .iter()
                .any(|s| s.step == n && s.status == "pending")
        {
            return Err(ToolError::Refused(format!(
                "step {n} of plan {plan_id} is out of order: step {next} runs first; nothing \
                 was done"
            )));
        }
        if let Some(r) = plan.steps.iter().find(|s| s.status == "running") {
            return Err(ToolError::Refused(format!(
                "step {} of plan {plan_id} was started and its outcome is not recorded (a lost \
                 answer, or another call is running it); it does not run again and the plan \
                 waits for it: check what AWS holds; nothing was done",
                r.step
            )));
        }
        let resolved = resolve(&args, &results_of(&plan)).map_err(|why| {
            ToolError::Refused(format!(
                "plan {plan_id}: a placeholder cannot be filled: {why}; nothing was done"
            ))
        })?;
        let mut full = resolved.clone();
        full.insert("action".into(), json!(def.name));
        let call = self.parse(tool, full)?;
        trail.targets = call.targets.iter().map(|t| clip(&t.id, 256)).collect();
        trail.input = bounded(&call.args);
        self.guardrails
            .check_read_only(tool.name, def.name, def.access)?;
        if def.access == Access::Read {
            return Err(ToolError::invalid(
                "reads are not plan steps; call it without plan_id",
            ));
        }
        let eval = self.evaluate(&call, caller).await?;
        trail.environment = eval.environment.map(|e| e.as_str().to_string());
        trail.account = eval.account.clone();
        trail.region = eval.region.clone();
        if let Some(why) = eval.denied.as_ref().or(eval.rate_limited.as_ref()) {
            return Err(ToolError::Refused(format!("{why}; nothing was done")));
        }
        let claim = Claim {
            tool: tool.name.to_string(),
            action: def.name.to_string(),
            args_hash: given_hash,
            context: self.guardrails.context(&self.aws, call.at(), &eval).await,
            environment: eval.environment,
            risk: eval.risk,
            min_approvers: eval.min_approvers,
            change_request_required: false,
            signed_approvals: eval.signed_approvals,
            change_request_id: None,
        };
        let intent = AuditRecord {
            kind: "intent".into(),
            correlation_id: trail.correlation_id.clone(),
            actor: caller.requester.clone(),
            tool: tool.name.to_string(),
            action: def.name.to_string(),
            targets: trail.targets.clone(),
            input: trail.input.input.clone(),
            input_sha256: Some(trail.input.sha256.clone()),
            input_bytes: Some(trail.input.bytes),
            input_truncated: trail.input.truncated,
            outcome: "started".into(),
            detail: String::new(),
            duration_ms: 0,
            environment: trail.environment.clone(),
            account: trail.account.clone(),
            region: trail.region.clone(),
            process: Some(this_process()),
            plan_id: Some(plan_id.clone()),
            plan_step: step,
        };
        let access = def.access;
        let correlation = trail.correlation_id.clone();
        let pid = plan_id.clone();
        let admitted = self
            .guardrails
            .store
            .run(move |s| {
                let limits = s.rules()?.rate_limits;
                s.write_if(|tx| {
                    let (req, n) = match claim_step_in(tx, &pid, step, &claim, &correlation)? {
                        Ok(x) => x,
                        Err(why) => return Ok(Err(why)),
                    };
                    if let Err(why) = reserve_in(tx, &limits, access)? {
                        return Ok(Err(why));
                    }
                    let mut intent = intent;
                    intent.plan_step = Some(n);
                    let seq = append_in(tx, &intent)?;
                    Ok(Ok((req, n, seq)))
                })
            })
            .await
            .map_err(|e| {
                ToolError::Refused(format!(
                    "the state file could not admit the step and write the audit record that \
                     must precede it ({e}); nothing was done"
                ))
            })?;
        let (req, n, seq) =
            admitted.map_err(|why| ToolError::Refused(format!("{why}; nothing was done")))?;
        trail.intent_seq = Some(seq);
        trail.plan = Some((plan_id.clone(), Some(n)));

        let backups = if eval.backup_required {
            match self
                .guardrails
                .backup_before(tool.name, def.name, &call.targets, call.at(), &self.aws)
                .await
            {
                Ok(b) => b,
                Err(e) => {
                    let why = format!(
                        "the backup required before {} {} failed, so the step was not run: {}",
                        tool.name,
                        def.name,
                        e.to_json()
                    );
                    let state = self.finish(&plan_id, n, &resolved, Err(why.clone())).await;
                    return Err(ToolError::InPlan {
                        error: Box::new(ToolError::Refused(why)),
                        plan: state,
                    });
                }
            }
        } else {
            Vec::new()
        };
        let flags = eval.flags.clone();
        let result = self.execute(call, caller, None).await;
        let outcome = match &result {
            Ok(v) => Ok(v.get("data").cloned().unwrap_or(Value::Null)),
            Err(e) => Err(e.to_json().to_string()),
        };
        let state = self.finish(&plan_id, n, &resolved, outcome).await;
        match result {
            Ok(mut value) => {
                let next = state["next_step"].as_u64();
                value["summary"] = json!(format!(
                    "{} (step {n} of plan {plan_id}; {})",
                    value["summary"].as_str().unwrap_or("Done."),
                    match next {
                        Some(m) => format!("step {m} is next"),
                        None => format!("the plan is {}", state["status"].as_str().unwrap_or("")),
                    }
                ));
                value["plan"] = state;
                value["approval_request_id"] = json!(req.id);
                if eval.backup_required {
                    value["backups"] = json!(backups);
                }
                if !flags.is_empty() {
                    value["warnings"] = json!(flags);
                }
                Ok(value)
            }
            Err(e) => Err(ToolError::InPlan {
                error: Box::new(e),
                plan: state,
            }),
        }
    }

    /// Records how step `n` ended and returns the plan's summary (or why it cannot be told).
    async fn finish(
        &self,
        plan_id: &str,
        n: u32,
        resolved: &Map<String, Value>,
        outcome: Result<Value, String>,
    ) -> Value {
        let (pid, shown) = (plan_id.to_string(), bounded(resolved).input);
        match self
            .guardrails
            .store
            .run(move |s| s.finish_step(&pid, n, &shown, outcome))
            .await
        {
            Ok(Some(p)) => p.summary(),
            Ok(None) => json!({"plan_id": plan_id}),
            Err(e) => {
                // The step stays `running`: it never runs again, and people can see why.
                tracing::error!(error = %e, "plan step outcome not recorded");
                json!({"plan_id": plan_id, "error": format!("the step's outcome was not recorded: {e}")})
            }
        }
    }
}

/// Lifts a plan proposal's ids to the top of its result, where clients look for a pending
/// approval.
pub(super) fn lift(value: &mut Value) {
    if let (Some(plan), Some(req)) = (
        value["data"]["plan_id"].as_str().map(str::to_string),
        value["data"]["approval_request_id"]
            .as_str()
            .map(str::to_string),
    ) {
        value["status"] = json!("pending_approval");
        value["plan_id"] = json!(plan);
        value["approval_request_id"] = json!(req);
    }
}
