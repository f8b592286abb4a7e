//! Questions about a call without running it: what the guardrails decide, each check, the
//! blast radius, a dry run, and an action's declared access and risk.

use schemars::JsonSchema;
use serde::Deserialize;

use super::*;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PerformDryRun {
    /// e.g. aws_ec2
    pub target_tool: String,
    /// e.g. terminate_instances
    pub target_action: String,
    pub target_arguments: Option<Map<String, Value>>,
}

impl Action for PerformDryRun {
    const NAME: &'static str = "perform_dry_run";
    const DESCRIPTION: &'static str = "The guardrails' decision plus AWS's own dry run";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let d = dispatcher(cx);
        let call = parse_target(
            d,
            &self.target_tool,
            &self.target_action,
            self.target_arguments,
        )?;
        let eval = d.evaluate(&call, cx.caller).await?;
        let decision = eval.decision();
        let aws = if call.def.access == Access::Read {
            json!({"summary": "a read changes nothing; there is nothing to dry-run"})
        } else {
            let out = d.dry_run(call, cx.caller, &eval).await?;
            json!({"summary": out["summary"], "data": out["data"]})
        };
        Ok(Output::new(
            format!(
                "Dry run of {} {}: the guardrails would {decision}.",
                self.target_tool, self.target_action
            ),
            json!({"decision": decision, "evaluation": eval, "aws_dry_run": aws}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunSafetyChecks {
    /// e.g. aws_ec2
    pub target_tool: String,
    /// e.g. terminate_instances
    pub target_action: String,
    pub target_arguments: Option<Map<String, Value>>,
}

impl Action for RunSafetyChecks {
    const NAME: &'static str = "run_safety_checks";
    const DESCRIPTION: &'static str = "Each safety check for a call";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let d = dispatcher(cx);

        let call = parse_target(
            d,
            &self.target_tool,
            &self.target_action,
            self.target_arguments,
        )?;
        let eval = d.evaluate(&call, cx.caller).await?;
        let checks = safety_checks(d, &call, &eval);
        let failed = checks.iter().filter(|c| c["status"] == "fail").count();
        Ok(Output::new(
            format!(
                "{} check(s), {failed} failed; the call would {}.",
                checks.len(),
                eval.decision()
            ),
            json!({"checks": checks, "decision": eval.decision()}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluateGuardrails {
    /// e.g. aws_ec2
    pub target_tool: String,
    /// e.g. terminate_instances
    pub target_action: String,
    pub target_arguments: Option<Map<String, Value>>,
}

impl Action for EvaluateGuardrails {
    const NAME: &'static str = "evaluate_guardrails";
    const DESCRIPTION: &'static str = "The decision: allow, confirm, approve or refuse";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let d = dispatcher(cx);

        let call = parse_target(
            d,
            &self.target_tool,
            &self.target_action,
            self.target_arguments,
        )?;
        let eval = d.evaluate(&call, cx.caller).await?;
        let decision = if d.read_only() && call.def.access != Access::Read {
            "refuse"
        } else {
            eval.decision()
        };
        Ok(Output::new(
            format!(
                "{} {}: {decision} ({} risk, {}).",
                self.target_tool,
                self.target_action,
                eval.risk.as_str(),
                env_text(&eval)
            ),
            json!({"decision": decision, "evaluation": eval}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessImpact {
    /// e.g. aws_ec2
    pub target_tool: String,
    /// e.g. terminate_instances
    pub target_action: String,
    pub target_arguments: Option<Map<String, Value>>,
}

impl Action for AssessImpact {
    const NAME: &'static str = "assess_impact";
    const DESCRIPTION: &'static str = "Blast radius and reversibility";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let d = dispatcher(cx);

        let call = parse_target(
            d,
            &self.target_tool,
            &self.target_action,
            self.target_arguments,
        )?;
        let eval = d.evaluate(&call, cx.caller).await?;
        let targets = &call.targets;
        let mut services: Vec<&str> = targets.iter().map(|t| t.kind.service()).collect();
        services.sort();
        services.dedup();
        Ok(Output::new(
            format!(
                "{} {} touches {} resource(s) in {}; risk {}{}.",
                self.target_tool,
                self.target_action,
                targets.len(),
                env_text(&eval),
                eval.risk.as_str(),
                if eval.destructive {
                    ", not reversible"
                } else {
                    ""
                }
            ),
            json!({
                "resource_count": targets.len(),
                "resources": targets,
                "environments": eval.environment.into_iter().collect::<Vec<_>>(),
                "environment_source": eval.environment_source,
                "services": services,
                "access": call.def.access,
                "risk": eval.risk,
                "reversible": !eval.destructive,
                "warnings": eval.flags,
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassifyAction {
    /// e.g. aws_ec2
    pub target_tool: String,
    /// e.g. terminate_instances
    pub target_action: String,
}

impl Action for ClassifyAction {
    const NAME: &'static str = "classify_action";
    const DESCRIPTION: &'static str = "An action's access and risk";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let tool = dispatcher(cx).tool(&self.target_tool)?;
        let def = tool.action(&self.target_action).ok_or_else(|| {
            ToolError::invalid(format!(
                "unknown action '{}' for {}",
                self.target_action, tool.name
            ))
        })?;
        Ok(Output::new(
            format!(
                "{} {} is {} ({} risk as declared; a call's arguments can raise it).",
                tool.name,
                def.name,
                def.access.as_str(),
                def.risk.as_str()
            ),
            json!({
                "access": def.access,
                "risk": def.risk,
                "dry_run": def.dry_run,
                "destructive": def.access == Access::Destructive,
                "description": def.description,
            }),
        ))
    }
}

fn safety_checks(d: &Dispatcher, call: &ParsedCall, eval: &Evaluation) -> Vec<Value> {
    let check = |name: &str, status: &str, detail: String| json!({"check": name, "status": status, "detail": detail});
    let mutating = call.def.access != Access::Read;
    let mut out = vec![
        check(
            "read_only_mode",
            if d.read_only() && mutating {
                "fail"
            } else {
                "pass"
            },
            format!(
                "read-only mode is {}",
                if d.read_only() { "on" } else { "off" }
            ),
        ),
        check(
            "classification",
            "info",
            format!("{} ({} risk)", call.def.access.as_str(), eval.risk.as_str()),
        ),
        check("environment", "info", env_text(eval)),
        check(
            "policies",
            if eval.denied.is_some() {
                "fail"
            } else {
                "pass"
            },
            eval.denied.clone().unwrap_or_else(|| {
                format!("{} matching polic(ies), none denies", eval.policies.len())
            }),
        ),
        check(
            "rate_limits",
            if eval.rate_limited.is_some() {
                "fail"
            } else {
                "pass"
            },
            eval.rate_limited
                .clone()
                .unwrap_or_else(|| "within limits".into()),
        ),
        check(
            "approval",
            if eval.needs_approval {
                "required"
            } else {
                "pass"
            },
            if eval.needs_approval {
                format!("{} distinct approver(s)", eval.min_approvers)
            } else {
                "not needed".into()
            },
        ),
        check(
            "confirmation",
            if eval.needs_confirmation {
                "required"
            } else {
                "pass"
            },
            if eval.needs_confirmation {
                "a confirm_token round-trip".into()
            } else {
                "not needed".into()
            },
        ),
        check(
            "change_request",
            if eval.change_request_required {
                "required"
            } else {
                "pass"
            },
            if eval.change_request_required {
                "pass change_request_id of a submitted change request".into()
            } else {
                "not needed".into()
            },
        ),
        check(
            "backup_before",
            if eval.backup_required {
                "required"
            } else {
                "pass"
            },
            if eval.backup_required {
                "EBS snapshots of the instances' volumes are taken first".into()
            } else {
                "not needed".into()
            },
        ),
    ];
    if !eval.flags.is_empty() {
        out.push(check("risk_flags", "warn", eval.flags.join("; ")));
    }
    out
}
