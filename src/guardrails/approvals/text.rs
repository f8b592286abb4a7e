//! What people read and sign: the canonical text of a decision, how to approve, and the
//! question an MCP client asks.

use serde_json::Value;

use super::ApprovalRequest;
use crate::guardrails::{environment::Environment, plans::PlanView};

/// The exact text an approver signs for `decision` on a request: every fact the approval binds
/// (request, call, argument hash, account, region, credentials profile, environment, expiry)
/// and the decision, so that a signature cannot be replayed on another request, other
/// arguments, another context or the opposite decision.
pub fn canonical_text(req: &ApprovalRequest, approve: bool) -> String {
    let or_unknown = |v: &Option<String>| v.clone().unwrap_or_else(|| "unknown".into());
    let mut text = format!(
        "espada-aws approval v1\n\
         decision: {}\n\
         request: {}\n\
         tool: {}\n\
         action: {}\n\
         arguments-sha256: {}\n\
         account: {}\n\
         region: {}\n\
         profile: {}\n\
         environment: {}\n\
         expires: {}\n",
        if approve { "approve" } else { "reject" },
        req.id,
        req.call.tool,
        req.call.action,
        req.args_hash,
        or_unknown(&req.call.context.account),
        or_unknown(&req.call.context.region),
        req.call.context.profile.as_deref().unwrap_or("default"),
        req.call
            .environment
            .map(Environment::as_str)
            .unwrap_or("unknown"),
        req.expires_at,
    );
    // A plan's request: its hash (above, as arguments-sha256) covers every step in order;
    // the steps are listed so that people read what they sign.
    if let Some(plan) = &req.call.plan {
        text.push_str(&format!(
            "plan: {}\nchange-request: {}\nsteps: {}\n",
            plan.id,
            plan.change_request_id,
            plan.steps.len()
        ));
        for s in &plan.steps {
            text.push_str(&format!(
                "step {}: {} {} arguments-sha256 {} risk {}\n",
                s.step,
                s.tool,
                s.action,
                s.arguments_sha256,
                s.risk.as_str()
            ));
        }
    }
    text
}

/// How people approve `id`: at a terminal, or signed with their SSH key.
pub fn approve_commands(id: &str, signed_only: bool) -> String {
    let sign = format!(
        "`espada-aws approvals approve {id} --key ~/.ssh/id_ed25519` (or sign the text of \
         `espada-aws approvals show {id} --canonical` elsewhere and pass --signature FILE)"
    );
    if signed_only {
        format!("each approver signs it: {sign}")
    } else {
        format!("a person runs `espada-aws approvals approve {id}` at their terminal, or {sign}")
    }
}

/// What the person in an MCP client is asked about a request (either elicitation flow).
pub fn question(req: &ApprovalRequest) -> String {
    if let Some(plan) = &req.call.plan {
        return format!(
            "Approval request {}: plan {} ({} step(s)) in {} (risk {}), requested by {}. \
             Reason: {}. Steps: {}. Approve the whole plan?",
            req.id,
            plan.id,
            plan.steps.len(),
            req.call
                .environment
                .map(Environment::as_str)
                .unwrap_or("an unknown environment"),
            req.call.risk.as_str(),
            req.requester,
            req.call.reason,
            steps_text(plan)
        );
    }
    format!(
        "Approval request {}: {} {} in {} (risk {}), requested by {}. Reason: {}. Arguments: {}. \
         Approve it?",
        req.id,
        req.call.tool,
        req.call.action,
        req.call
            .environment
            .map(Environment::as_str)
            .unwrap_or("an unknown environment"),
        req.call.risk.as_str(),
        req.requester,
        req.call.reason,
        Value::Object(req.call.arguments.clone())
    )
}

/// The steps of a plan in one line each: what runs, where, at what risk, and what was found.
pub fn steps_text(plan: &PlanView) -> String {
    plan.steps
        .iter()
        .map(|s| {
            let mut line = format!(
                "{}. {} {} {} [{} risk, {}]",
                s.step,
                s.tool,
                s.action,
                Value::Object(s.arguments.clone()),
                s.risk.as_str(),
                s.environment.map(Environment::as_str).unwrap_or("unknown")
            );
            if !s.risk_flags.is_empty() {
                line.push_str(&format!(" flags: {}", s.risk_flags.join("; ")));
            }
            if !s.findings.is_empty() {
                line.push_str(&format!(" found: {}", s.findings.join("; ")));
            }
            line
        })
        .collect::<Vec<_>>()
        .join(" | ")
}
