//! The one path every call takes, from the MCP server and from `espada-aws call` alike:
//!
//! tool lookup → split common fields (the region checked against the known regions) → action
//! lookup → parse into the typed input → classify (the action's access class) → read-only →
//! guardrails (environment, policies, protections, rate limits, confirmation or approval) →
//! admission with the audit intent → backup before → execute (or AWS dry run) → shape → audit
//! outcome.

use std::{
    collections::HashMap,
    sync::{Arc, OnceLock},
    time::Instant,
};

use serde_json::{Map, Value, json};

mod plan;

use crate::{
    aws::{AccountTarget, AwsPool, Guard},
    error::ToolError,
    guardrails::{
        CallFacts, Evaluation, Gate, Guardrails, accounts,
        audit::{AuditRecord, BoundedInput, ProcessId, bounded, clip},
        environment::environment_key_flag,
        store::{Store, StoreError, new_id},
    },
    registry::{Access, ActionDef, Call, Caller, Cx, DryRun, Flag, Risk, Target, Tool},
    settings::Settings,
    surface,
};

/// Why a call could not even be routed (a protocol error, not a tool result).
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    #[error("unknown tool '{name}'; available tools: {available}")]
    UnknownTool { name: String, available: String },
}

pub struct Dispatcher {
    tools: Vec<&'static Tool>,
    pub guardrails: Guardrails,
    pub aws: AwsPool,
    max_result_bytes: usize,
    allow_sensitive_data: bool,
    schemas: OnceLock<HashMap<&'static str, Arc<Map<String, Value>>>>,
}

/// A call split into its parts, parsed and ready for the guardrails.
pub struct ParsedCall {
    pub tool: &'static Tool,
    pub def: &'static ActionDef,
    pub call: Box<dyn Call>,
    pub targets: Vec<Target>,
    pub flags: Vec<Flag>,
    /// Arguments that define the call (region included), without the guardrails' own fields.
    pub args: Map<String, Value>,
    pub region: Option<String>,
    /// The other account the call acts in (its role checked against the allowlist).
    pub account: Option<AccountTarget>,
    /// A read across accounts and regions (`accounts`, `regions`).
    pub fan_out: Option<FanOut>,
    pub dry_run: bool,
    pub confirm_token: Option<String>,
    pub approval_request_id: Option<String>,
    pub change_request_id: Option<String>,
}

impl ParsedCall {
    /// Where the call's requests go.
    pub fn at(&self) -> crate::aws::At<'_> {
        crate::aws::At {
            role: self.account.as_ref().map(|a| a.role_arn.as_str()),
            region: self.region.as_deref(),
        }
    }
}

/// Where one fan-out target is: another account (or the source one), and a region (or the
/// default).
pub type Place = (Option<AccountTarget>, Option<String>);

/// A read run in several accounts and regions: each target gets its own parse of `args`.
pub struct FanOut {
    pub targets: Vec<Place>,
    args: Map<String, Value>,
}

/// What the audit record of a call learns along the way.
struct Trail {
    correlation_id: String,
    environment: Option<String>,
    account: Option<String>,
    region: Option<String>,
    targets: Vec<String>,
    input: BoundedInput,
    action: String,
    /// The intent record written when the call was admitted to change AWS.
    intent_seq: Option<i64>,
    /// The plan the call is a step of, and its step number once known.
    plan: Option<(String, Option<u32>)>,
}

impl Dispatcher {
    /// A dispatcher over `all` tools, of which `settings.toolsets` picks the registered ones.
    /// (`Dispatcher::new`, in `tools`, passes every tool.)
    pub fn over(settings: &Settings, all: &[&'static Tool]) -> Result<Self, StoreError> {
        let path = settings.state.clone().unwrap_or_else(Store::default_path);
        let store = Store::open(&path)?;
        let tools = all
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
            aws: {
                let aws = AwsPool::new(settings);
                aws.set_assume_as(crate::aws::AssumeAs {
                    user: crate::guardrails::approvals::os_user(),
                    source_identity: false,
                });
                aws
            },
            max_result_bytes: settings.max_result_bytes,
            allow_sensitive_data: settings.allow_sensitive_data,
            schemas: OnceLock::new(),
        })
    }

    /// The registered tools, in registry order.
    pub fn tools(&self) -> &[&'static Tool] {
        &self.tools
    }

    pub fn read_only(&self) -> bool {
        self.guardrails.read_only()
    }

    /// A tool's flat input schema as exposed in this mode (built once).
    pub fn input_schema(&self, tool: &Tool) -> Arc<Map<String, Value>> {
        let schemas = self.schemas.get_or_init(|| {
            self.tools
                .iter()
                .map(|t| {
                    let s = surface::tool_schema(t, self.read_only());
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
        let started = Instant::now();
        let Some(tool) = self.tools.iter().copied().find(|t| t.name == tool_name) else {
            // Probing for tools is audited too, with the input bounded like any other.
            self.audit_unrouted(
                caller,
                tool_name,
                &args,
                "unknown_tool",
                "no such tool".into(),
            )
            .await;
            return Err(RouteError::UnknownTool {
                name: clip(tool_name, 128),
                available: self
                    .tools
                    .iter()
                    .map(|t| t.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        let mut trail = Trail {
            correlation_id: new_id("call"),
            environment: None,
            account: None,
            region: None,
            targets: Vec::new(),
            action: args
                .get("action")
                .and_then(Value::as_str)
                .map(|a| clip(a, 128))
                .unwrap_or_default(),
            input: bounded(&args),
            intent_seq: None,
            plan: None,
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
        let region = trail
            .region
            .clone()
            .or_else(|| trail.input_region())
            .or_else(|| self.aws.default_region());
        let (plan_id, plan_step) = match trail.plan {
            Some((id, step)) => (Some(id), step),
            None => (None, None),
        };
        let record = match trail.intent_seq {
            // The intent holds who, what and where; the outcome completes it.
            Some(_) => AuditRecord {
                kind: "outcome".into(),
                correlation_id: trail.correlation_id,
                actor: caller.requester.clone(),
                tool: tool.name.to_string(),
                action: trail.action,
                outcome: outcome.clone(),
                detail,
                duration_ms,
                environment: trail.environment,
                plan_id,
                plan_step,
                ..AuditRecord::default()
            },
            None => AuditRecord {
                kind: "call".into(),
                correlation_id: trail.correlation_id,
                actor: caller.requester.clone(),
                tool: tool.name.to_string(),
                action: trail.action,
                targets: trail.targets,
                input: trail.input.input,
                input_sha256: Some(trail.input.sha256),
                input_bytes: Some(trail.input.bytes),
                input_truncated: trail.input.truncated,
                outcome: outcome.clone(),
                detail,
                duration_ms,
                environment: trail.environment,
                account: trail.account,
                region,
                process: None,
                plan_id,
                plan_step,
            },
        };
        self.audit(record).await;
        tracing::info!(tool = tool.name, outcome, duration_ms, "tool call");
        Ok(result)
    }

    /// Appends a record after the fact. A failure is logged: the call it describes changed
    /// nothing in AWS, or already has its intent record.
    /// Audits a call that never reached an action (an unknown tool, a forged request state),
    /// with its input bounded like any other.
    pub async fn audit_unrouted(
        &self,
        caller: &Caller,
        tool_name: &str,
        args: &Map<String, Value>,
        outcome: &str,
        detail: String,
    ) {
        let input = bounded(args);
        let record = AuditRecord {
            correlation_id: new_id("call"),
            actor: caller.requester.clone(),
            tool: clip(tool_name, 128),
            action: args
                .get("action")
                .and_then(Value::as_str)
                .map(|a| clip(a, 128))
                .unwrap_or_default(),
            input: input.input,
            input_sha256: Some(input.sha256),
            input_bytes: Some(input.bytes),
            input_truncated: input.truncated,
            outcome: outcome.into(),
            detail,
            ..AuditRecord::default()
        };
        self.audit(record).await;
    }

    async fn audit(&self, record: AuditRecord) {
        if let Err(e) = self
            .guardrails
            .store
            .run(move |s| s.append_audit(&record))
            .await
        {
            tracing::error!(error = %e, "audit append failed");
        }
    }

    /// Splits and parses a call without running anything.
    pub fn parse(
        &self,
        tool: &'static Tool,
        mut args: Map<String, Value>,
    ) -> Result<ParsedCall, ToolError> {
        let visible: Vec<&str> = surface::exposed(tool, self.read_only())
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
        let Some(def) = tool.action(&action_name) else {
            return Err(ToolError::invalid(format!(
                "unknown action '{action_name}' for {}; one of: {}",
                tool.name,
                visible.join(", ")
            )));
        };
        let named_region = take_string(&mut args, "region")?;
        if let Some(r) = &named_region {
            crate::aws::check_region(r, self.aws.default_region().as_deref())?;
        }
        let named_account = take_string(&mut args, "account")?;
        let fan_accounts = take_strings(&mut args, "accounts")?;
        let fan_regions = take_strings(&mut args, "regions")?;
        if named_account.is_some() && !surface::takes_account(tool) {
            return Err(ToolError::invalid(format!(
                "{} acts on this server's own state and takes no account",
                tool.name
            )));
        }
        if (fan_accounts.is_some() || fan_regions.is_some()) && !surface::fans_out(tool) {
            return Err(ToolError::invalid(format!(
                "{} does not fan out over accounts or regions; name one account or region",
                tool.name
            )));
        }
        // Where the call goes: what it names, else the session's context (switch_account).
        let session = self.aws.session_context();
        let region = named_region.or(session.region);
        let account = match named_account {
            Some(reference) => Some(self.resolve_account(&reference, region.as_deref())?),
            // The context was checked when it was set; the allowlist may have changed since.
            None if !surface::takes_account(tool) => None,
            None => match session.account {
                Some(a) => match self.resolve_account(&a.role_arn, region.as_deref()) {
                    Ok(a) => Some(a),
                    Err(e) => {
                        // Never fall back to another account silently: reset, and say so.
                        self.aws.set_session_context(Default::default());
                        return Err(ToolError::Refused(format!(
                            "this session's calls went to account {} (switch_account), which \
                             may no longer be reached: {}. The session context was reset to \
                             the server's own account and region; nothing was sent to AWS",
                            a.id,
                            e.to_json()["message"].as_str().unwrap_or_default()
                        )));
                    }
                },
                None => None,
            },
        };
        let fan_out = if fan_accounts.is_some() || fan_regions.is_some() {
            Some(self.fan_out_targets(
                def,
                fan_accounts,
                fan_regions,
                account.clone(),
                region.clone(),
            )?)
        } else {
            None
        };
        let raw = fan_out.as_ref().map(|_| args.clone());
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
        // What a confirmation or approval binds: everything that shapes the call, where it
        // goes included (so a token or an approval for one account or region never runs in
        // another, whether the call names it or the session's context does).
        let mut bound = args.clone();
        if let Some(r) = &region {
            bound.insert("region".into(), json!(r));
        }
        if let Some(a) = &account {
            bound.insert("account".into(), json!(a.role_arn));
        }
        let call = (def.parse)(args)?;
        let mut flags = call.flags();
        // Whatever the action, a call that gives resources an environment tag decides the
        // protection they get from now on.
        if def.access != Access::Read
            && let Some(Value::Object(tags)) = bound.get("tags")
            && !flags
                .iter()
                .any(|f| f.risk >= Risk::High && !f.in_production)
            && let Some(mut flag) = environment_key_flag(tags.keys(), "sets")
        {
            flag.risk = Risk::High;
            flags.push(flag);
        }
        Ok(ParsedCall {
            tool,
            def,
            targets: call.targets(),
            flags,
            call,
            args: bound,
            region,
            account,
            fan_out: fan_out.map(|targets| FanOut {
                targets,
                args: raw.unwrap_or_default(),
            }),
            dry_run,
            confirm_token,
            approval_request_id,
            change_request_id,
        })
    }

    /// Resolves the account a call names (alias, id or role ARN) against the allowlist in
    /// the guardrails settings; refuses anything not on it, before any AWS call.
    fn resolve_account(
        &self,
        reference: &str,
        region: Option<&str>,
    ) -> Result<AccountTarget, ToolError> {
        let rules = self.guardrails.store.rules()?;
        self.aws.set_source_identity(rules.accounts.source_identity);
        let region = region
            .map(str::to_string)
            .or_else(|| self.aws.default_region());
        rules
            .accounts
            .resolve(reference, accounts::partition(region.as_deref()))
    }

    /// The (account, region) pairs a read fans out to: `accounts` ("all" for the source
    /// account and every allowed one, "home" for the source account, aliases, ids, role
    /// ARNs) times `regions` (region codes); either defaults to where the call goes.
    fn fan_out_targets(
        &self,
        def: &ActionDef,
        accounts: Option<Vec<String>>,
        regions: Option<Vec<String>>,
        account: Option<AccountTarget>,
        region: Option<String>,
    ) -> Result<Vec<Place>, ToolError> {
        if def.access != Access::Read {
            return Err(ToolError::invalid(format!(
                "{} changes AWS, and changes never fan out: name one account and region \
                 (account, region) per call",
                def.name
            )));
        }
        let partition_region = region.clone().or_else(|| self.aws.default_region());
        let partition = accounts::partition(partition_region.as_deref());
        let mut in_accounts: Vec<Option<AccountTarget>> = Vec::new();
        match accounts {
            None => in_accounts.push(account),
            Some(list) => {
                let rules = self.guardrails.store.rules()?;
                self.aws.set_source_identity(rules.accounts.source_identity);
                for name in list {
                    match name.as_str() {
                        "all" => {
                            in_accounts.push(None);
                            in_accounts.extend(rules.accounts.all(partition).into_iter().map(Some));
                        }
                        "home" => in_accounts.push(None),
                        other => in_accounts.push(Some(rules.accounts.resolve(other, partition)?)),
                    }
                }
            }
        }
        let in_regions: Vec<Option<String>> = match regions {
            None => vec![region],
            Some(list) => {
                let mut out = Vec::new();
                for r in list {
                    if r == ALL_REGIONS {
                        // Expanded per account when the read runs (the regions it has enabled).
                        out.push(Some(r));
                        continue;
                    }
                    crate::aws::check_region(&r, self.aws.default_region().as_deref())?;
                    out.push(Some(r));
                }
                out
            }
        };
        let mut targets = Vec::new();
        for a in &in_accounts {
            for r in &in_regions {
                let t = (a.clone(), r.clone());
                if !targets.contains(&t) {
                    targets.push(t);
                }
            }
        }
        if targets.len() > accounts::MAX_TARGETS {
            return Err(ToolError::invalid(format!(
                "{} targets (accounts × regions) is more than {} in one call; split it",
                targets.len(),
                accounts::MAX_TARGETS
            )));
        }
        Ok(targets)
    }

    /// Runs a read in every target, a bounded number at once, each with its share of the
    /// result budget; a target that fails is reported next to the others' results.
    async fn fan_out(
        &self,
        def: &'static ActionDef,
        fan: FanOut,
        caller: &Caller,
    ) -> Result<Value, ToolError> {
        use futures::StreamExt;
        let targets = self.enabled_regions(fan.targets).await?;
        let n = targets.len();
        let concurrency = self
            .guardrails
            .store
            .rules()
            .map(|r| r.accounts.concurrency())
            .unwrap_or(accounts::DEFAULT_FAN_OUT);
        // Room for the envelope, then an equal share for each target.
        let share = (self.max_result_bytes.saturating_sub(2_000) / n.max(1)).max(1_000);
        let args = &fan.args;
        let mut done: Vec<(usize, Value)> = futures::stream::iter(targets.into_iter().enumerate())
            .map(|(i, (account, region))| async move {
                let mut entry = json!({
                    "account": account.as_ref().map_or("home", |a| a.id.as_str()),
                    "region": region.clone().or_else(|| self.aws.default_region()),
                });
                if let Some(alias) = account.as_ref().and_then(|a| a.alias.clone()) {
                    entry["alias"] = json!(alias);
                }
                let run = async {
                    let call = (def.parse)(args.clone())?;
                    let cx = Cx::new(&self.aws, region, Some(Guard::ReadOnly), caller, self)
                        .in_account(account)
                        .with_sensitive_data(self.allow_sensitive_data);
                    call.run(&cx).await
                };
                match tokio::time::timeout(FAN_OUT_TIMEOUT, run).await {
                    Ok(Ok(output)) => {
                        if let Value::Object(shaped) = output.shape(share) {
                            for (k, v) in shaped {
                                entry[k] = v;
                            }
                        }
                    }
                    Ok(Err(e)) => entry["error"] = e.to_json(),
                    Err(_) => {
                        entry["error"] = json!({
                            "kind": "timeout",
                            "message": format!(
                                "no answer within {} s; try this account and region alone",
                                FAN_OUT_TIMEOUT.as_secs()
                            ),
                        })
                    }
                }
                (i, entry)
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
        done.sort_by_key(|(i, _)| *i);
        let failed = done
            .iter()
            .filter(|(_, e)| e.get("error").is_some())
            .count();
        let results: Vec<Value> = done.into_iter().map(|(_, e)| e).collect();
        Ok(json!({
            "summary": format!(
                "{} in {n} account/region target(s): {} answered, {failed} failed.",
                def.name,
                n - failed
            ),
            "data": {"targets": results},
        }))
    }

    /// Replaces `regions: ["all"]` by the regions each account has enabled (EC2
    /// DescribeRegions in that account); an account whose regions cannot be read keeps one
    /// target, which reports why.
    async fn enabled_regions(&self, targets: Vec<Place>) -> Result<Vec<Place>, ToolError> {
        let mut out: Vec<Place> = Vec::new();
        // Each account's enabled regions (by role), or `None` when they could not be read.
        let mut listed: Vec<EnabledRegions> = Vec::new();
        for (account, region) in targets {
            if region.as_deref() != Some(ALL_REGIONS) {
                if !out.contains(&(account.clone(), region.clone())) {
                    out.push((account, region));
                }
                continue;
            }
            let key = account.as_ref().map(|a| a.role_arn.clone());
            let regions = match listed.iter().find(|(k, _)| *k == key) {
                Some((_, r)) => r.clone(),
                None => {
                    let at = crate::aws::At {
                        role: key.as_deref(),
                        region: None,
                    };
                    let ec2: aws_sdk_ec2::Client = self.aws.client(at, Some(Guard::ReadOnly)).await;
                    let r = ec2
                        .describe_regions()
                        .send()
                        .await
                        .map(|o| {
                            o.regions()
                                .iter()
                                .filter_map(|r| r.region_name().map(str::to_string))
                                .collect::<Vec<_>>()
                        })
                        .ok();
                    listed.push((key, r.clone()));
                    r
                }
            };
            match regions {
                Some(names) => {
                    for r in names {
                        let t = (account.clone(), Some(r));
                        if !out.contains(&t) {
                            out.push(t);
                        }
                    }
                }
                // The target's own read will fail the same way and say why.
                None => out.push((account, None)),
            }
        }
        if out.len() > accounts::MAX_TARGETS {
            return Err(ToolError::invalid(format!(
                "{} targets (accounts × enabled regions) is more than {} in one call; name \
                 fewer accounts or regions",
                out.len(),
                accounts::MAX_TARGETS
            )));
        }
        Ok(out)
    }

    /// Looks a tool up by name, for calls that name another call (the guardrails tool).
    pub fn tool(&self, name: &str) -> Result<&'static Tool, ToolError> {
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

    /// What the guardrails decide on for a parsed call.
    pub fn facts<'a>(&self, call: &'a ParsedCall, caller: &'a Caller) -> CallFacts<'a> {
        CallFacts {
            tool: call.tool.name,
            action: call.def.name,
            description: call.def.description,
            access: call.def.access,
            risk: call.def.risk_with(&call.flags),
            args: &call.args,
            targets: &call.targets,
            flags: &call.flags,
            region: call.region.as_deref(),
            role: call.account.as_ref().map(|a| a.role_arn.as_str()),
            confirm_token: call.confirm_token.as_deref(),
            approval_request_id: call.approval_request_id.as_deref(),
            change_request_id: call.change_request_id.as_deref(),
            requester: &caller.requester,
        }
    }

    /// Runs the guardrails' evaluation (steps 2–6) of a parsed call; changes nothing.
    pub async fn evaluate(
        &self,
        call: &ParsedCall,
        caller: &Caller,
    ) -> Result<Evaluation, ToolError> {
        self.guardrails
            .evaluate(&self.facts(call, caller), &self.aws)
            .await
    }

    /// A dry run of an evaluated mutating call: AWS's own where the action has one (with
    /// clients that refuse anything not marked as a dry run), else the plan. Nothing changes.
    pub async fn dry_run(
        &self,
        call: ParsedCall,
        caller: &Caller,
        eval: &Evaluation,
    ) -> Result<Value, ToolError> {
        let (tool, def) = (call.tool, call.def);
        let mut result = if def.dry_run == DryRun::Native && eval.denied.is_none() {
            self.execute(call, caller, Some(Guard::DryRun)).await?
        } else {
            let why = if eval.denied.is_some() {
                "a policy denies it"
            } else {
                "the service has no dry-run mode"
            };
            json!({
                "summary": format!(
                    "Dry run: {} {} was not sent to AWS ({why}); this is what it would do.",
                    tool.name, def.name
                ),
                "data": {
                    "dry_run": true,
                    "would_succeed": null,
                    "plan": plan(&call, eval),
                },
            })
        };
        result["status"] = json!("dry_run");
        result["guardrails"] = json!({"decision": eval.decision(), "evaluation": eval});
        Ok(result)
    }

    async fn run(
        &self,
        tool: &'static Tool,
        args: Map<String, Value>,
        caller: &Caller,
        trail: &mut Trail,
    ) -> Result<Value, ToolError> {
        // A step of an approved plan: its own path to the gate (dispatch/plan.rs).
        if args.contains_key("plan_id") || args.contains_key("plan_step") {
            return Box::pin(self.run_step(tool, args, caller, trail)).await;
        }
        let mut call = self.parse(tool, args)?;
        let def = call.def;
        trail.targets = call.targets.iter().map(|t| clip(&t.id, 256)).collect();
        trail.input = bounded(&call.args);
        self.guardrails
            .check_read_only(tool.name, def.name, def.access)?;
        if def.access == Access::Read {
            if let Some(fan) = call.fan_out.take() {
                trail.targets = fan
                    .targets
                    .iter()
                    .map(|(a, r)| target_label(a.as_ref(), r.as_deref()))
                    .collect();
                return self.fan_out(def, fan, caller).await;
            }
            trail.account = call.account.as_ref().map(|a| a.id.clone());
            return self.execute(call, caller, Some(Guard::ReadOnly)).await;
        }

        let eval = self.evaluate(&call, caller).await?;
        trail.environment = eval.environment.map(|e| e.as_str().to_string());
        trail.account = eval.account.clone();
        trail.region = eval.region.clone();
        if call.dry_run {
            return self.dry_run(call, caller, &eval).await;
        }

        // Written ahead: if this record cannot be written, the gate refuses and nothing runs.
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
            plan_id: None,
            plan_step: None,
        };
        let approved = match self
            .guardrails
            .gate(&self.facts(&call, caller), &eval, &self.aws, intent)
            .await?
        {
            Gate::Answer(answer) => return Ok(answer),
            Gate::Proceed {
                approved,
                intent_seq,
            } => {
                trail.intent_seq = Some(intent_seq);
                approved
            }
        };
        let backups = if eval.backup_required {
            self.guardrails
                .backup_before(tool.name, def.name, &call.targets, call.at(), &self.aws)
                .await
                .map_err(|e| {
                    ToolError::Refused(format!(
                        "the backup required before {} {} failed, so nothing was done: {}",
                        tool.name,
                        def.name,
                        e.to_json()
                    ))
                })?
        } else {
            Vec::new()
        };
        let flags = eval.flags.clone();
        let result = self.execute(call, caller, None).await;
        // The call has run: bookkeeping that fails now is logged, never reported as the
        // call's own failure.
        if let Some(req) = &approved
            && let Err(e) = self.guardrails.mark_implemented(req).await
        {
            tracing::error!(error = %e, "change request update failed");
        }
        let mut value = result?;
        plan::lift(&mut value);
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

    /// Runs a parsed call with clients guarded as given: `ReadOnly` for reads, `DryRun` for
    /// native dry runs, none only for a real run of a mutating call that passed the gate.
    async fn execute(
        &self,
        call: ParsedCall,
        caller: &Caller,
        guard: Option<Guard>,
    ) -> Result<Value, ToolError> {
        let cx = Cx::new(&self.aws, call.region, guard, caller, self)
            .in_account(call.account)
            .with_sensitive_data(self.allow_sensitive_data);
        let output = call.call.run(&cx).await?;
        Ok(output.shape(self.max_result_bytes))
    }
}

/// An account (by role) and the regions it has enabled, if they could be read.
type EnabledRegions = (Option<String>, Option<Vec<String>>);

/// `regions: ["all"]`: every region the account has enabled.
const ALL_REGIONS: &str = "all";

/// How long one fan-out target may take.
const FAN_OUT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(45);

/// What a call would do, for dry runs and confirmations.
pub fn plan(call: &ParsedCall, eval: &Evaluation) -> Value {
    json!({
        "tool": call.tool.name,
        "action": call.def.name,
        "effect": call.def.description,
        "targets": call.targets,
        "arguments": bounded(&call.args).input,
        "environment": eval.environment,
        "risk": eval.risk,
        "risk_flags": eval.flags,
    })
}

/// This process, as intent records name it (read once).
fn this_process() -> ProcessId {
    static ME: OnceLock<ProcessId> = OnceLock::new();
    ME.get_or_init(ProcessId::current).clone()
}

impl Trail {
    fn input_region(&self) -> Option<String> {
        self.input
            .input
            .get("region")
            .and_then(Value::as_str)
            .map(str::to_string)
    }
}

/// `account/region` of one fan-out target, for the audit record.
fn target_label(account: Option<&AccountTarget>, region: Option<&str>) -> String {
    format!(
        "{}/{}",
        account.map_or("home", |a| a.id.as_str()),
        region.unwrap_or("default")
    )
}

/// A list of strings (`accounts`, `regions`), if given.
fn take_strings(
    args: &mut Map<String, Value>,
    key: &str,
) -> Result<Option<Vec<String>>, ToolError> {
    match args.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) if !items.is_empty() => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                other => Err(ToolError::invalid(format!(
                    "{key} must be a list of strings, got {other}"
                ))),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(other) => Err(ToolError::invalid(format!(
            "{key} must be a non-empty list of strings, e.g. [\"all\"], got {other}"
        ))),
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
