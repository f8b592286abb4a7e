//! The one path every call takes, from the MCP server and from `espada-aws call` alike:
//!
//! tool lookup → split common fields → action lookup → parse into the typed input →
//! classify (the action's access class) → read-only → guardrails (environment, policies,
//! protections, rate limits, confirmation or approval) → backup before → execute (or AWS dry
//! run) → shape → audit.

use std::{
    collections::HashMap,
    sync::{Arc, OnceLock},
    time::Instant,
};

use serde_json::{Map, Value, json};

use crate::{
    aws::AwsPool,
    error::ToolError,
    guardrails::{
        CallFacts, Caller, Evaluation, Gate, Guardrails,
        audit::{AuditRecord, redact},
        store::{Store, StoreError, new_id},
    },
    registry::{Access, ActionSpec, ExecCtx, Prepared, ToolDef},
    schema,
    settings::Settings,
    tools,
};

/// Why a call could not even be routed (a protocol error, not a tool result).
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    #[error("unknown tool '{name}'; available tools: {available}")]
    UnknownTool { name: String, available: String },
}

pub struct Dispatcher {
    tools: Vec<&'static ToolDef>,
    pub guardrails: Guardrails,
    pub aws: AwsPool,
    max_result_bytes: usize,
    schemas: OnceLock<HashMap<&'static str, Arc<Map<String, Value>>>>,
}

/// A call split into its parts, parsed and ready for the guardrails.
pub struct ParsedCall {
    pub tool: &'static ToolDef,
    pub spec: ActionSpec,
    pub prepared: Box<dyn Prepared>,
    /// Arguments that define the call (region included), without the guardrails' own fields.
    pub args: Map<String, Value>,
    pub region: Option<String>,
    pub dry_run: bool,
    pub confirm_token: Option<String>,
    pub approval_request_id: Option<String>,
    pub change_request_id: Option<String>,
}

/// What the audit record of a call learns along the way.
#[derive(Default)]
struct Trail {
    environment: Option<String>,
    account: Option<String>,
    targets: Vec<String>,
    input: Map<String, Value>,
    action: String,
}

impl Dispatcher {
    pub fn new(settings: &Settings) -> Result<Self, StoreError> {
        let path = settings.state.clone().unwrap_or_else(Store::default_path);
        let store = Store::open(&path)?;
        let tools = tools::ALL
            .iter()
            .copied()
            .filter(|t| {
                settings
                    .toolsets
                    .as_ref()
                    .is_none_or(|sets| sets.iter().any(|s| s == t.toolset || s == t.name))
            })
            .collect();
        Ok(Self {
            tools,
            guardrails: Guardrails::new(
                store,
                settings.read_only,
                settings.confirm_ttl.as_secs() as i64,
            ),
            aws: AwsPool::new(settings),
            max_result_bytes: settings.max_result_bytes,
            schemas: OnceLock::new(),
        })
    }

    /// The registered tools, in registry order.
    pub fn tools(&self) -> &[&'static ToolDef] {
        &self.tools
    }

    pub fn read_only(&self) -> bool {
        self.guardrails.read_only()
    }

    /// A tool's flat input schema as exposed in this mode (built once).
    pub fn input_schema(&self, tool: &ToolDef) -> Arc<Map<String, Value>> {
        let schemas = self.schemas.get_or_init(|| {
            self.tools
                .iter()
                .map(|t| {
                    let s = schema::tool_schema(&(t.actions)(), self.read_only());
                    let Value::Object(map) = s else {
                        unreachable!("tool schemas are objects")
                    };
                    (t.name, Arc::new(map))
                })
                .collect()
        });
        schemas[tool.name].clone()
    }

    /// Runs one tool call through the whole path and audits it. `Ok` carries the result JSON,
    /// or the tool error the caller should see; `Err` is reserved for calls that cannot be
    /// routed.
    pub async fn call(
        &self,
        tool_name: &str,
        args: Map<String, Value>,
        caller: &Caller,
    ) -> Result<Result<Value, ToolError>, RouteError> {
        let Some(tool) = self.tools.iter().copied().find(|t| t.name == tool_name) else {
            return Err(RouteError::UnknownTool {
                name: tool_name.to_string(),
                available: self
                    .tools
                    .iter()
                    .map(|t| t.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        let started = Instant::now();
        let mut trail = Trail {
            action: args
                .get("action")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            input: redact(&args),
            ..Trail::default()
        };
        // Boxed: the whole pipeline's future is large, and callers should not carry it inline.
        let result = Box::pin(self.run(tool, args, caller, &mut trail)).await;
        let (outcome, detail) = match &result {
            Ok(v) => (
                v.get("status")
                    .and_then(Value::as_str)
                    .unwrap_or("ok")
                    .to_string(),
                v.get("summary")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            ),
            Err(ToolError::Refused(m)) => ("refused".to_string(), m.clone()),
            Err(ToolError::InvalidInput(m)) => ("invalid_input".to_string(), m.clone()),
            Err(e) => ("failed".to_string(), e.to_string()),
        };
        let duration_ms = started.elapsed().as_millis() as u64;
        let region = trail.input_region().or_else(|| self.aws.default_region());
        let record = AuditRecord {
            correlation_id: new_id("call"),
            actor: caller.requester.clone(),
            tool: tool.name.to_string(),
            action: trail.action,
            targets: trail.targets,
            input: trail.input,
            outcome: outcome.clone(),
            detail,
            duration_ms,
            environment: trail.environment,
            account: trail.account,
            region,
        };
        if let Err(e) = self.guardrails.store.append_audit(&record) {
            tracing::error!(error = %e, "audit append failed");
        }
        tracing::info!(tool = tool.name, outcome, duration_ms, "tool call");
        Ok(result)
    }

    /// Splits and parses a call without running anything.
    pub fn parse(
        &self,
        tool: &'static ToolDef,
        mut args: Map<String, Value>,
    ) -> Result<ParsedCall, ToolError> {
        let actions = (tool.actions)();
        let visible: Vec<&str> = actions
            .iter()
            .filter(|a| !self.read_only() || a.access == Access::Read)
            .map(|a| a.name)
            .collect();
        let action_name = match args.remove("action") {
            Some(Value::String(s)) => s,
            Some(other) => {
                return Err(ToolError::invalid(format!(
                    "action must be a string, got {other}; one of: {}",
                    visible.join(", ")
                )));
            }
            None => {
                return Err(ToolError::invalid(format!(
                    "action is required; one of: {}",
                    visible.join(", ")
                )));
            }
        };
        let Some(spec) = actions.into_iter().find(|a| a.name == action_name) else {
            return Err(ToolError::invalid(format!(
                "unknown action '{action_name}' for {}; one of: {}",
                tool.name,
                visible.join(", ")
            )));
        };
        let region = take_string(&mut args, "region")?;
        let confirm_token = take_string(&mut args, "confirm_token")?;
        let approval_request_id = take_string(&mut args, "approval_request_id")?;
        let change_request_id = take_string(&mut args, "change_request_id")?;
        let dry_run = match args.remove("dry_run") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => b,
            Some(other) => {
                return Err(ToolError::invalid(format!(
                    "dry_run must be true or false, got {other}"
                )));
            }
        };
        // What a confirmation or approval binds: everything that shapes the call.
        let mut bound = args.clone();
        if let Some(r) = &region {
            bound.insert("region".into(), json!(r));
        }
        let prepared = (tool.prepare)(spec.name, args)?;
        Ok(ParsedCall {
            tool,
            spec,
            prepared,
            args: bound,
            region,
            dry_run,
            confirm_token,
            approval_request_id,
            change_request_id,
        })
    }

    /// Looks a tool up by name, for calls that name another call (the guardrails tool).
    pub fn tool(&self, name: &str) -> Result<&'static ToolDef, ToolError> {
        self.tools
            .iter()
            .copied()
            .find(|t| t.name == name)
            .ok_or_else(|| {
                let names: Vec<&str> = self.tools.iter().map(|t| t.name).collect();
                ToolError::invalid(format!(
                    "unknown tool '{name}'; one of: {}",
                    names.join(", ")
                ))
            })
    }

    /// Runs the guardrails' evaluation (steps 2–6) of a parsed call; changes nothing.
    pub async fn evaluate(
        &self,
        call: &ParsedCall,
        caller: &Caller,
    ) -> Result<Evaluation, ToolError> {
        let targets = call.prepared.targets();
        let flags = call.prepared.risk_flags();
        let facts = CallFacts {
            tool: call.tool.name,
            action: call.spec.name,
            description: call.spec.description,
            access: call.spec.access,
            args: &call.args,
            targets: &targets,
            flags: &flags,
            environment: call.prepared.environment(),
            region: call.region.as_deref(),
            confirm_token: None,
            approval_request_id: None,
            change_request_id: call.change_request_id.as_deref(),
            requester: &caller.requester,
        };
        self.guardrails.evaluate(&facts, &self.aws).await
    }

    async fn run(
        &self,
        tool: &'static ToolDef,
        args: Map<String, Value>,
        caller: &Caller,
        trail: &mut Trail,
    ) -> Result<Value, ToolError> {
        let call = self.parse(tool, args)?;
        let spec = call.spec.clone();
        let targets = call.prepared.targets();
        trail.targets = targets.iter().map(|t| t.id.clone()).collect();
        trail.input = redact(&call.args);
        self.guardrails
            .check_read_only(tool.name, spec.name, spec.access)?;
        if spec.access == Access::Read {
            return self.execute(call, caller).await;
        }

        let flags = call.prepared.risk_flags();
        let args = call.args.clone();
        let region = call.region.clone();
        let ids = (
            call.confirm_token.clone(),
            call.approval_request_id.clone(),
            call.change_request_id.clone(),
        );
        let facts = CallFacts {
            tool: tool.name,
            action: spec.name,
            description: spec.description,
            access: spec.access,
            args: &args,
            targets: &targets,
            flags: &flags,
            environment: call.prepared.environment(),
            region: region.as_deref(),
            confirm_token: ids.0.as_deref(),
            approval_request_id: ids.1.as_deref(),
            change_request_id: ids.2.as_deref(),
            requester: &caller.requester,
        };
        let eval = self.guardrails.evaluate(&facts, &self.aws).await?;
        trail.environment = eval.environment.map(|e| e.as_str().to_string());
        trail.account = eval.account.clone();

        if call.dry_run {
            // Nothing runs: report what the guardrails would do, plus AWS's own verdict where
            // the service has a dry-run mode.
            let native = call.prepared.native_dry_run() && eval.denied.is_none();
            let mut result = if native {
                self.execute(call, caller).await?
            } else {
                let why = if eval.denied.is_some() {
                    "a policy denies it"
                } else {
                    "the service has no dry-run mode"
                };
                json!({
                    "summary": format!(
                        "Dry run: {} {} was not sent to AWS ({why}); this is what it would do.",
                        tool.name, spec.name
                    ),
                    "data": {
                        "dry_run": true,
                        "would_succeed": null,
                        "plan": {"tool": tool.name, "action": spec.name, "effect": spec.description,
                                 "targets": targets, "arguments": args, "risk_flags": flags},
                    },
                })
            };
            result["status"] = json!("dry_run");
            result["guardrails"] = json!({"decision": eval.decision(), "evaluation": eval});
            return Ok(result);
        }

        let approved = match self.guardrails.gate(&facts, &eval, &self.aws).await? {
            Gate::Answer(answer) => return Ok(answer),
            Gate::Proceed(approved) => approved,
        };
        let backups = if eval.backup_required {
            self.guardrails
                .backup_before(tool.name, spec.name, &targets, region.as_deref(), &self.aws)
                .await
                .map_err(|e| {
                    ToolError::Refused(format!(
                        "the backup required before {} {} failed, so nothing was done: {}",
                        tool.name,
                        spec.name,
                        e.to_json()
                    ))
                })?
        } else {
            Vec::new()
        };
        let result = self.execute(call, caller).await;
        // The call has run: bookkeeping that fails now is logged, never reported as the
        // call's own failure.
        if let Err(e) = self.guardrails.store.record_call(spec.access) {
            tracing::error!(error = %e, "rate-limit bookkeeping failed");
        }
        if let Some(req) = &approved
            && let Err(e) = self.guardrails.mark_implemented(req)
        {
            tracing::error!(error = %e, "change request update failed");
        }
        let mut value = result?;
        if let Some(req) = approved {
            value["approval_request_id"] = json!(req.id);
        }
        if eval.backup_required {
            if backups.is_empty() {
                value["backup_note"] = json!(
                    "the environment asks for a backup before destructive changes, but none \
                     applies to this action's resources"
                );
            }
            value["backups"] = json!(backups);
        }
        if !flags.is_empty() {
            value["warnings"] = json!(flags);
        }
        Ok(value)
    }

    async fn execute(&self, call: ParsedCall, caller: &Caller) -> Result<Value, ToolError> {
        let ctx = ExecCtx {
            aws: &self.aws,
            region: call.region,
            dry_run: call.dry_run && call.spec.access != Access::Read,
            dispatcher: self,
            caller,
        };
        let output = call.prepared.execute(&ctx).await?;
        Ok(output.shape(self.max_result_bytes))
    }
}

impl Trail {
    fn input_region(&self) -> Option<String> {
        self.input
            .get("region")
            .and_then(Value::as_str)
            .map(str::to_string)
    }
}

fn take_string(args: &mut Map<String, Value>, key: &str) -> Result<Option<String>, ToolError> {
    match args.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(ToolError::invalid(format!(
            "{key} must be a string, got {other}"
        ))),
    }
}
