//! What each `aws_guardrails` action does. State lives in the guardrails store; AWS is reached
//! only through the guardrails' own functions (tags, backups, notifications).

use serde_json::{Map, Value, json};

use super::{GuardrailsRequest, inputs::*};
use crate::{
    aws::paging::PageRequest,
    dispatch::ParsedCall,
    error::ToolError,
    guardrails::{
        APPROVAL_TTL_KEY, Evaluation, TIME_ZONE_KEY, TOPIC_KEY,
        approvals::Status,
        audit::{AuditQuery, AuditRecord},
        changes::{ChangeRequest, ChangeStatus},
        classify::classify,
        confirm,
        environment::{Environment, Protection},
        store::{new_id, now},
    },
    output::Output,
    registry::{Access, ExecCtx},
    services,
};

pub async fn run(req: GuardrailsRequest, ctx: &ExecCtx<'_>) -> Result<Output, ToolError> {
    use GuardrailsRequest::*;
    let g = &ctx.dispatcher.guardrails;
    let store = &g.store;
    match req {
        CreateApprovalRequest(i) => {
            let call = parse_target(ctx, &i.target_tool, &i.target_action, i.target_arguments)?;
            let eval = ctx.dispatcher.evaluate(&call, ctx.caller).await?;
            let hash = confirm::binding(call.tool.name, call.spec.name, &call.args);
            let facts_targets = call.prepared.targets();
            let flags = call.prepared.risk_flags();
            let facts = crate::guardrails::CallFacts {
                tool: call.tool.name,
                action: call.spec.name,
                description: call.spec.description,
                access: call.spec.access,
                args: &call.args,
                targets: &facts_targets,
                flags: &flags,
                environment: call.prepared.environment(),
                region: call.region.as_deref(),
                confirm_token: None,
                approval_request_id: None,
                change_request_id: i.change_id.as_deref(),
                requester: &ctx.caller.requester,
            };
            let req = g.request_approval(&facts, &eval, &hash, i.change_id.clone(), &i.reason)?;
            g.notify(ctx.aws, "approval_requested", &req).await;
            Ok(Output::new(
                format!(
                    "Approval request {} created for {} {}; {} person(s) must approve it with \
                     `espada-aws approvals approve {} --as NAME`, then repeat the call with \
                     approval_request_id.",
                    req.id, req.call.tool, req.call.action, req.min_approvers, req.id
                ),
                json!(req),
            ))
        }
        GetApprovalRequest(i) => {
            let req = store.approval(&i.request_id)?.ok_or_else(|| {
                ToolError::invalid(format!("no approval request {}", i.request_id))
            })?;
            Ok(Output::new(
                format!(
                    "{} is {} ({} of {} approvals).",
                    req.id,
                    req.status.as_str(),
                    req.approvals,
                    req.min_approvers
                ),
                json!(req),
            ))
        }
        ListApprovalRequests(i) => {
            let status = match i.approval_status.unwrap_or(ApprovalFilter::Pending) {
                ApprovalFilter::Pending => Some(Status::Pending),
                ApprovalFilter::Approved => Some(Status::Approved),
                ApprovalFilter::Rejected => Some(Status::Rejected),
                ApprovalFilter::Cancelled => Some(Status::Cancelled),
                ApprovalFilter::Expired => Some(Status::Expired),
                ApprovalFilter::Executed => Some(Status::Executed),
                ApprovalFilter::All => None,
            };
            let limit = PageRequest::new(i.max_results, None)?.limit;
            let list = store.approvals(status, limit)?;
            Ok(Output::new(
                format!("{} approval request(s).", list.len()),
                json!({"approval_requests": list}),
            ))
        }
        SubmitApprovalResponse(i) => {
            let req = store.approval(&i.request_id)?.ok_or_else(|| {
                ToolError::invalid(format!("no approval request {}", i.request_id))
            })?;
            let cli = format!("espada-aws approvals approve {} --as NAME", req.id);
            let Some(human) = &ctx.caller.human else {
                return Err(ToolError::Refused(format!(
                    "this channel cannot ask a person; a person must run `{cli}`"
                )));
            };
            let message = format!(
                "Approval request {}: {} {} in {} (risk {}), requested by {}. Reason: {}. \
                 Arguments: {}. Approve it?",
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
            );
            match human.ask(message).await {
                Ok(Some(answer)) => {
                    let req = g
                        .vote(
                            ctx.aws,
                            &req.id,
                            &answer.name,
                            answer.approve,
                            answer.comment.as_deref(),
                            "elicitation",
                        )
                        .await?;
                    Ok(Output::new(
                        format!(
                            "{} recorded {}'s answer; the request is {}.",
                            req.id,
                            answer.name,
                            req.status.as_str()
                        ),
                        json!(req),
                    ))
                }
                Ok(None) => Ok(Output::new(
                    "The person declined to answer; nothing was recorded.",
                    json!({"request_id": req.id, "recorded": false}),
                )),
                Err(why) => Err(ToolError::Refused(format!(
                    "cannot ask the person in this client ({why}); a person must run `{cli}`"
                ))),
            }
        }
        CancelApprovalRequest(i) => {
            let req = store
                .cancel_approval(&i.request_id)?
                .map_err(ToolError::Refused)?;
            Ok(Output::new(format!("{} is cancelled.", req.id), json!(req)))
        }
        PerformDryRun(i) => {
            let call = parse_target(ctx, &i.target_tool, &i.target_action, i.target_arguments)?;
            let eval = ctx.dispatcher.evaluate(&call, ctx.caller).await?;
            let mutating = call.spec.access != Access::Read;
            let native = mutating && call.prepared.native_dry_run();
            let decision = eval.decision();
            let aws = if native {
                let sub = ExecCtx {
                    aws: ctx.aws,
                    region: call.region.clone(),
                    dry_run: true,
                    dispatcher: ctx.dispatcher,
                    caller: ctx.caller,
                };
                let out = call.prepared.execute(&sub).await?;
                json!({"summary": out.summary, "data": out.data})
            } else {
                json!({"summary": "this service has no dry-run mode; nothing was sent to AWS"})
            };
            Ok(Output::new(
                format!(
                    "Dry run of {} {}: the guardrails would {decision}.",
                    i.target_tool, i.target_action
                ),
                json!({"decision": decision, "evaluation": eval, "aws_dry_run": aws}),
            ))
        }
        EvaluateGuardrails(i) => {
            let call = parse_target(ctx, &i.target_tool, &i.target_action, i.target_arguments)?;
            let eval = ctx.dispatcher.evaluate(&call, ctx.caller).await?;
            let decision = if ctx.dispatcher.read_only() && call.spec.access != Access::Read {
                "refuse"
            } else {
                eval.decision()
            };
            Ok(Output::new(
                format!(
                    "{} {}: {decision} ({} risk, {}).",
                    i.target_tool,
                    i.target_action,
                    eval.risk.as_str(),
                    env_text(&eval)
                ),
                json!({"decision": decision, "evaluation": eval}),
            ))
        }
        RunSafetyChecks(i) => {
            let call = parse_target(ctx, &i.target_tool, &i.target_action, i.target_arguments)?;
            let eval = ctx.dispatcher.evaluate(&call, ctx.caller).await?;
            let checks = safety_checks(ctx, &call, &eval);
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
        AssessImpact(i) => {
            let call = parse_target(ctx, &i.target_tool, &i.target_action, i.target_arguments)?;
            let eval = ctx.dispatcher.evaluate(&call, ctx.caller).await?;
            let targets = call.prepared.targets();
            let mut services: Vec<&str> = targets.iter().map(|t| t.service).collect();
            services.sort();
            services.dedup();
            Ok(Output::new(
                format!(
                    "{} {} touches {} resource(s) in {}; risk {}{}.",
                    i.target_tool,
                    i.target_action,
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
                    "access": call.spec.access,
                    "risk": eval.risk,
                    "reversible": !eval.destructive,
                    "warnings": eval.flags,
                }),
            ))
        }
        GetEnvironmentProtection(i) => {
            let envs: Vec<Environment> = i
                .environment
                .map(|e| vec![e])
                .unwrap_or(Environment::ALL.to_vec());
            let mut out = Map::new();
            for e in envs {
                out.insert(e.as_str().into(), json!(store.protection(e)?));
            }
            Ok(Output::new(
                format!("Protection of {} environment(s).", out.len()),
                Value::Object(out),
            ))
        }
        SetEnvironmentProtection(i) => {
            let mut p: Protection = store.protection(i.environment)?;
            p.approval_required = i.approval_required.unwrap_or(p.approval_required);
            p.min_approvers = i.min_approvers.unwrap_or(p.min_approvers);
            p.change_request_required = i
                .change_request_required
                .unwrap_or(p.change_request_required);
            p.backup_required = i.backup_required.unwrap_or(p.backup_required);
            store.set_protection(i.environment, &p)?;
            Ok(Output::new(
                format!("Updated the protection of {}.", i.environment.as_str()),
                json!(p),
            ))
        }
        LogAction(i) => {
            let seq = store.append_audit(&AuditRecord {
                correlation_id: new_id("note"),
                actor: ctx.caller.requester.clone(),
                tool: "aws_guardrails".into(),
                action: "log_action".into(),
                targets: i.resource_ids.unwrap_or_default(),
                outcome: "logged".into(),
                detail: i.message,
                environment: i.environment.map(|e| e.as_str().to_string()),
                region: ctx.region.clone(),
                ..AuditRecord::default()
            })?;
            Ok(Output::new(
                format!("Logged as audit record {seq}."),
                json!({"seq": seq}),
            ))
        }
        QueryAuditLogs(i) => {
            // Newest first, paged by sequence number so records appended meanwhile do not
            // shift the pages.
            let page = PageRequest::new(i.max_results, i.next_token.as_deref())?;
            let q = AuditQuery {
                tool: i.filter_tool,
                action: i.filter_action,
                outcome: i.outcome,
                environment: i.environment.map(|e| e.as_str().to_string()),
                since: parse_time(i.since.as_deref(), "since")?,
                until: parse_time(i.until.as_deref(), "until")?,
                before_seq: page.aws_token.as_deref().and_then(|t| t.parse().ok()),
            };
            let (entries, more) = store.query_audit(&q, 0, page.limit)?;
            let cursor = entries.last().filter(|_| more).map(|e| e.seq.to_string());
            let (entries, next) = PageRequest { skip: 0, ..page }.finish(entries, cursor);
            Ok(Output::new(
                format!("{} audit record(s).", entries.len()),
                json!({"records": entries}),
            )
            .with_next_token(next))
        }
        GetAuditLogSummary(i) => {
            let until = parse_time(i.until.as_deref(), "until")?.unwrap_or_else(now);
            let since = parse_time(i.since.as_deref(), "since")?.unwrap_or(until - 86_400);
            let summary = store.audit_summary(since, until)?;
            Ok(Output::new(
                format!("{} call(s) in the period.", summary["total"]),
                summary,
            ))
        }
        CheckRateLimit(i) => {
            let classes = i
                .access
                .map(|a| vec![a])
                .unwrap_or(vec![Access::Write, Access::Destructive]);
            let mut usage = Vec::new();
            for a in classes {
                usage.extend(store.usage(a)?);
            }
            let limits = store.rate_limits()?;
            let text: Vec<String> = usage
                .iter()
                .map(|u| format!("{} {}/{}", u.bucket, u.used, u.max_calls))
                .collect();
            Ok(Output::new(
                format!("Used in the current window: {}.", text.join(", ")),
                json!({"usage": usage, "max_resources_per_call": limits.max_resources_per_call}),
            ))
        }
        GetRateLimitConfig(_) => Ok(Output::new(
            "Rate-limit settings.",
            json!(store.rate_limits()?),
        )),
        SetRateLimitConfig(i) => {
            store.set_config("rate_limits", &i.rate_limits)?;
            Ok(Output::new(
                "Rate-limit settings updated.",
                json!(i.rate_limits),
            ))
        }
        CreatePreOperationBackup(i) => {
            let targets: Vec<_> = i
                .instance_ids
                .iter()
                .map(|id| crate::registry::Target::new("ec2", "instance", id))
                .collect();
            let reason = i.reason.unwrap_or_else(|| "requested".into());
            let made = g
                .backup_before(
                    "aws_guardrails",
                    &reason,
                    &targets,
                    ctx.region.as_deref(),
                    ctx.aws,
                )
                .await?;
            Ok(Output::new(
                format!("Took {} backup(s).", made.len()),
                json!({"backups": made}),
            ))
        }
        ListPreOperationBackups(i) => {
            let limit = PageRequest::new(i.max_results, None)?.limit;
            let list = store.backups(i.resource_id.as_deref(), limit)?;
            Ok(Output::new(
                format!("{} backup(s).", list.len()),
                json!({"backups": list}),
            ))
        }
        CreateChangeRequest(i) => {
            let status = if i.draft.unwrap_or(false) {
                ChangeStatus::Draft
            } else {
                ChangeStatus::Submitted
            };
            let cr = store.create_change(ChangeRequest {
                id: String::new(),
                title: i.title,
                description: i.description,
                environment: i.environment,
                rollback_plan: i.rollback_plan,
                planned_start: i.planned_start,
                planned_end: i.planned_end,
                status,
                history: Vec::new(),
                created_at: String::new(),
                updated_at: String::new(),
            })?;
            Ok(Output::new(
                format!(
                    "Change request {} is {}; pass change_request_id={} with its calls.",
                    cr.id,
                    cr.status.as_str(),
                    cr.id
                ),
                json!(cr),
            ))
        }
        GetChangeRequest(i) => {
            let cr = store
                .change(&i.change_id)?
                .ok_or_else(|| ToolError::invalid(format!("no change request {}", i.change_id)))?;
            Ok(Output::new(
                format!("{} is {}.", cr.id, cr.status.as_str()),
                json!(cr),
            ))
        }
        UpdateChangeRequestStatus(i) => {
            let cr = store
                .set_change_status(&i.change_id, i.status, i.note.as_deref().unwrap_or(""))?
                .ok_or_else(|| ToolError::invalid(format!("no change request {}", i.change_id)))?;
            Ok(Output::new(
                format!("{} is now {}.", cr.id, cr.status.as_str()),
                json!(cr),
            ))
        }
        ListChangeRequests(i) => {
            let list = store.changes(i.status)?;
            Ok(Output::new(
                format!("{} change request(s).", list.len()),
                json!({"change_requests": list}),
            ))
        }
        AddPolicy(i) => {
            let p =
                store.add_policy(&i.name, i.description, i.effect, i.rule.unwrap_or_default())?;
            Ok(Output::new(
                format!("Added policy {} ({}).", p.name, p.id),
                json!(p),
            ))
        }
        GetPolicy(i) => {
            let p = store
                .policy(&i.policy_id)?
                .ok_or_else(|| ToolError::invalid(format!("no policy {}", i.policy_id)))?;
            Ok(Output::new(
                format!("Policy {} ({}).", p.name, p.id),
                json!(p),
            ))
        }
        ListPolicies(_) => {
            let list = store.policies()?;
            Ok(Output::new(
                format!("{} polic(ies).", list.len()),
                json!({"policies": list}),
            ))
        }
        UpdatePolicy(i) => {
            let mut p = store
                .policy(&i.policy_id)?
                .ok_or_else(|| ToolError::invalid(format!("no policy {}", i.policy_id)))?;
            p.name = i.name.unwrap_or(p.name);
            p.description = i.description.or(p.description);
            p.effect = i.effect.unwrap_or(p.effect);
            p.rule = i.rule.unwrap_or(p.rule);
            p.enabled = i.enabled.unwrap_or(p.enabled);
            p.updated_at = now();
            store.put_policy(&p)?;
            Ok(Output::new(format!("Updated policy {}.", p.id), json!(p)))
        }
        RemovePolicy(i) => {
            if !store.remove_policy(&i.policy_id)? {
                return Err(ToolError::invalid(format!("no policy {}", i.policy_id)));
            }
            Ok(Output::new(
                format!("Removed policy {}.", i.policy_id),
                json!({"removed": i.policy_id}),
            ))
        }
        ClassifyAction(i) => {
            let tool = ctx.dispatcher.tool(&i.target_tool)?;
            let spec = tool.action(&i.target_action).ok_or_else(|| {
                ToolError::invalid(format!(
                    "unknown action '{}' for {}",
                    i.target_action, tool.name
                ))
            })?;
            let risk = classify(spec.name, spec.access, false);
            Ok(Output::new(
                format!(
                    "{} {} is {} ({} risk).",
                    tool.name,
                    spec.name,
                    spec.access.as_str(),
                    risk.as_str()
                ),
                json!({"access": spec.access, "risk": risk, "destructive": spec.access == Access::Destructive, "description": spec.description}),
            ))
        }
        ConfigureNotificationChannel(i) => {
            let topic = i.topic_arn.trim().to_string();
            if topic.is_empty() {
                store.set_config(TOPIC_KEY, &Value::Null)?;
                return Ok(Output::new(
                    "Approval notifications are off.",
                    json!({"topic_arn": null}),
                ));
            }
            store.set_config(TOPIC_KEY, &topic)?;
            let mut data = json!({"topic_arn": topic});
            if i.send_test.unwrap_or(false) {
                let client = ctx.aws.sns(services::sns::topic_region(&topic)).await;
                let id = services::sns::publish(
                    &client,
                    &topic,
                    "espada-aws test notification",
                    "{\"event\":\"test\"}",
                )
                .await?;
                data["test_message_id"] = json!(id);
            }
            Ok(Output::new(
                format!("Approval notifications go to {topic}."),
                data,
            ))
        }
        GetConfig(_) => {
            let mut protections = Map::new();
            for e in Environment::ALL {
                protections.insert(e.as_str().into(), json!(store.protection(e)?));
            }
            Ok(Output::new(
                "Guardrails configuration.",
                json!({
                    "state_file": store.path().display().to_string(),
                    "read_only": ctx.dispatcher.read_only(),
                    "environments": store.environment_config()?,
                    "time_zone": store.config::<String>(TIME_ZONE_KEY)?.unwrap_or_else(|| "UTC".into()),
                    "approval_ttl_hours": store.config::<i64>(APPROVAL_TTL_KEY)?.unwrap_or(24),
                    "notification_topic_arn": store.config::<String>(TOPIC_KEY)?,
                    "protections": protections,
                    "rate_limits": store.rate_limits()?,
                }),
            ))
        }
        UpdateConfig(i) => {
            let mut changed = Vec::new();
            if let Some(e) = &i.environments {
                store.set_config("environments", e)?;
                changed.push("environments");
            }
            if let Some(tz) = &i.time_zone {
                store.set_config(TIME_ZONE_KEY, tz)?;
                changed.push("time_zone");
            }
            if let Some(h) = i.approval_ttl_hours {
                store.set_config(APPROVAL_TTL_KEY, &h)?;
                changed.push("approval_ttl_hours");
            }
            if changed.is_empty() {
                return Err(ToolError::invalid(
                    "update_config needs environments, time_zone or approval_ttl_hours",
                ));
            }
            Ok(Output::new(
                format!("Updated {}.", changed.join(", ")),
                json!({"changed": changed}),
            ))
        }
    }
}

fn parse_target(
    ctx: &ExecCtx<'_>,
    tool: &str,
    action: &str,
    arguments: Option<Map<String, Value>>,
) -> Result<ParsedCall, ToolError> {
    let tool = ctx.dispatcher.tool(tool)?;
    let mut args = arguments.unwrap_or_default();
    args.insert("action".into(), json!(action));
    ctx.dispatcher.parse(tool, args)
}

fn env_text(eval: &Evaluation) -> String {
    match eval.environment {
        Some(e) => format!("{} (from {})", e.as_str(), eval.environment_source),
        None => "an unknown environment".into(),
    }
}

fn parse_time(text: Option<&str>, field: &str) -> Result<Option<i64>, ToolError> {
    text.map(|t| {
        t.parse::<jiff::Timestamp>()
            .map(|ts| ts.as_second())
            .map_err(|_| {
                ToolError::invalid(format!(
                    "{field} must be an RFC 3339 time such as 2026-11-26T10:00:00Z"
                ))
            })
    })
    .transpose()
}

fn safety_checks(ctx: &ExecCtx<'_>, call: &ParsedCall, eval: &Evaluation) -> Vec<Value> {
    let check = |name: &str, status: &str, detail: String| json!({"check": name, "status": status, "detail": detail});
    let mutating = call.spec.access != Access::Read;
    let mut out = vec![
        check(
            "read_only_mode",
            if ctx.dispatcher.read_only() && mutating {
                "fail"
            } else {
                "pass"
            },
            format!(
                "read-only mode is {}",
                if ctx.dispatcher.read_only() {
                    "on"
                } else {
                    "off"
                }
            ),
        ),
        check(
            "classification",
            "info",
            format!(
                "{} ({} risk)",
                call.spec.access.as_str(),
                eval.risk.as_str()
            ),
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
