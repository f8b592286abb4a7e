//! The one path every call takes, from the MCP server and from `espada-aws call` alike:
//!
//! tool lookup → split common fields → action lookup → parse into the typed input →
//! classify (the action's access class) → guardrails → execute (or AWS dry run) → shape.

use std::{
    collections::HashMap,
    sync::{Arc, OnceLock},
    time::Instant,
};

use serde_json::{Map, Value, json};

use crate::{
    aws::AwsPool,
    error::ToolError,
    guardrails::{CallFacts, Guardrails, Verdict},
    registry::{Access, ExecCtx, ToolDef},
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
    guardrails: Guardrails,
    aws: AwsPool,
    max_result_bytes: usize,
    schemas: OnceLock<HashMap<&'static str, Arc<Map<String, Value>>>>,
}

impl Dispatcher {
    pub fn new(settings: &Settings) -> Self {
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
        Self {
            tools,
            guardrails: Guardrails::new(settings.read_only, settings.confirm_ttl),
            aws: AwsPool::new(settings),
            max_result_bytes: settings.max_result_bytes,
            schemas: OnceLock::new(),
        }
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

    /// Runs one tool call through the whole path. `Ok` carries the result JSON, or the tool
    /// error the caller should see; `Err` is reserved for calls that cannot be routed.
    pub async fn call(
        &self,
        tool_name: &str,
        args: Map<String, Value>,
    ) -> Result<Result<Value, ToolError>, RouteError> {
        let Some(tool) = self.tools.iter().find(|t| t.name == tool_name) else {
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
        let result = self.run(tool, args).await;
        let outcome = match &result {
            Ok(v) => v
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or("ok")
                .to_string(),
            Err(e) => e.to_json()["error"].as_str().unwrap_or("error").to_string(),
        };
        tracing::info!(
            tool = tool.name,
            outcome,
            duration_ms = started.elapsed().as_millis() as u64,
            "tool call"
        );
        Ok(result)
    }

    async fn run(&self, tool: &ToolDef, mut args: Map<String, Value>) -> Result<Value, ToolError> {
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
        let Some(spec) = actions.iter().find(|a| a.name == action_name) else {
            return Err(ToolError::invalid(format!(
                "unknown action '{action_name}' for {}; one of: {}",
                tool.name,
                visible.join(", ")
            )));
        };
        let region = take_string(&mut args, "region")?;
        let confirm_token = take_string(&mut args, "confirm_token")?;
        let dry_run = match args.remove("dry_run") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => b,
            Some(other) => {
                return Err(ToolError::invalid(format!(
                    "dry_run must be true or false, got {other}"
                )));
            }
        };

        // The binding of a confirmation covers everything that shapes the call, region included.
        let mut bound_args = args.clone();
        if let Some(r) = &region {
            bound_args.insert("region".into(), json!(r));
        }
        let prepared = (tool.prepare)(spec.name, args)?;

        let verdict = self.guardrails.check(&CallFacts {
            tool: tool.name,
            action: spec.name,
            access: spec.access,
            args: &bound_args,
            confirm_token: confirm_token.as_deref(),
            dry_run,
        })?;
        // What the call would do, for confirmations and dry runs; risk flags when it has any.
        let plan = || {
            let mut plan = json!({
                "tool": tool.name,
                "action": spec.name,
                "effect": spec.description,
                "targets": prepared.targets(),
                "arguments": bound_args,
            });
            let flags = prepared.risk_flags();
            if !flags.is_empty() {
                plan["risk_flags"] = json!(flags);
            }
            plan
        };
        if let Verdict::NeedsConfirmation { token, expires_in } = verdict {
            return Ok(json!({
                "status": "confirmation_required",
                "summary": format!(
                    "{} {} is destructive and was not run. Show the plan to the user; if they \
                     agree, repeat the same call with confirm_token.",
                    tool.name, spec.name
                ),
                "plan": plan(),
                "confirm_token": token,
                "expires_in_seconds": expires_in.as_secs(),
            }));
        }

        if dry_run && spec.access != Access::Read && !prepared.native_dry_run() {
            // No AWS-side validation exists for this call: answer with the plan, run nothing.
            return Ok(json!({
                "summary": format!(
                    "Dry run: {} {} was not sent to AWS (the service has no dry-run mode); this \
                     is what it would do.",
                    tool.name, spec.name
                ),
                "data": {
                    "dry_run": true,
                    "would_succeed": null,
                    "plan": plan(),
                },
            }));
        }
        let ctx = ExecCtx {
            aws: &self.aws,
            region,
            dry_run: dry_run && spec.access != Access::Read,
        };
        let output = prepared.execute(&ctx).await?;
        Ok(output.shape(self.max_result_bytes))
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
