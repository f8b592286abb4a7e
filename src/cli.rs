//! The command line: `serve` (default), `call`, `tools`, `schemas`. Only this module and
//! `main.rs` print to stdout, and never while serving.

use std::{path::Path, sync::Arc};

use clap::{ArgAction, Args, Parser, Subcommand, builder::BoolishValueParser};
use serde_json::{Map, Value, json};

use crate::{
    dispatch::Dispatcher,
    guardrails::{approvals::Status, audit::AuditQuery},
    registry::Caller,
    server,
    settings::Settings,
    surface,
};

#[derive(Debug, Parser)]
#[command(
    name = "espada-aws",
    version,
    about = "AWS tools for AI agents, over MCP (stdio)"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Default AWS region (else the profile's region)
    #[arg(long, env = "AWS_REGION", global = true)]
    pub region: Option<String>,
    /// Named AWS profile (else the default credentials chain)
    #[arg(long, env = "AWS_PROFILE", global = true)]
    pub profile: Option<String>,
    /// Expose and allow only read actions (ESPADA_READ_ONLY takes 1/0, true/false, yes/no,
    /// on/off)
    #[arg(
        long,
        env = "ESPADA_READ_ONLY",
        global = true,
        action = ArgAction::SetTrue,
        value_parser = BoolishValueParser::new()
    )]
    pub read_only: bool,
    /// Comma-separated toolsets or tool names to register, e.g. "ec2" (default: all)
    #[arg(long, env = "ESPADA_TOOLSETS", value_delimiter = ',', global = true)]
    pub toolsets: Option<Vec<String>>,
    /// Log filter for stderr, e.g. info, debug, espada_aws=debug
    #[arg(long, env = "ESPADA_LOG", default_value = "info", global = true)]
    pub log_level: String,
    /// Guardrails state file (approvals, audit log, policies); default in the XDG state dir
    #[arg(long, env = "ESPADA_STATE", global = true)]
    pub state: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the MCP server on stdio (the default)
    Serve,
    /// Run one tool call through the same path as the server and print the result JSON
    Call {
        /// Tool name, e.g. aws_ec2
        tool: String,
        /// Arguments as a JSON object, e.g. '{"action":"list_instances"}'
        args: String,
    },
    /// List the tools and their actions with access class
    Tools {
        /// Print the Markdown table used in README.md
        #[arg(long)]
        markdown: bool,
    },
    /// Approval requests: list, show, approve or reject (people only, never the agent)
    Approvals {
        #[command(subcommand)]
        command: ApprovalsCommand,
    },
    /// The audit log: verify its hash chain, or list recent records
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Write or verify the input-schema snapshots in a directory
    Schemas {
        /// Write tool-schemas/<tool>.json files into DIR
        #[arg(long, value_name = "DIR", conflicts_with = "check")]
        write: Option<String>,
        /// Fail when a snapshot in DIR is missing or stale
        #[arg(long, value_name = "DIR")]
        check: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApprovalsCommand {
    /// List approval requests (pending by default)
    List {
        /// Show every status, not only pending
        #[arg(long)]
        all: bool,
    },
    /// Show one request with its call and votes
    Show { id: String },
    /// Approve a request as a named person
    Approve {
        id: String,
        /// Your name; must differ from the requester and from earlier approvers
        #[arg(long = "as", value_name = "NAME")]
        approver: String,
        #[arg(long)]
        comment: Option<String>,
    },
    /// Reject a request as a named person
    Reject {
        id: String,
        #[arg(long = "as", value_name = "NAME")]
        approver: String,
        #[arg(long)]
        comment: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain; exit 1 when a record was edited, inserted or deleted
    Verify,
    /// Print the most recent calls as JSON lines, newest first; a call that was written ahead
    /// and never finished shows as `interrupted` (its process is gone) or `in_progress`
    List {
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Only calls with this outcome, e.g. ok, refused, interrupted
        #[arg(long)]
        outcome: Option<String>,
    },
}

impl GlobalArgs {
    pub fn settings(&self) -> Settings {
        Settings {
            region: self.region.clone().filter(|r| !r.is_empty()),
            profile: self.profile.clone().filter(|p| !p.is_empty()),
            read_only: self.read_only,
            state: self.state.clone(),
            toolsets: self
                .toolsets
                .as_ref()
                .map(|t| {
                    t.iter()
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                })
                .filter(|t| !t.is_empty()),
            ..Settings::default()
        }
    }
}

/// Runs `call`: prints the result (or the tool error) and returns whether it succeeded.
pub async fn call(dispatcher: Arc<Dispatcher>, tool: &str, args: &str) -> anyhow::Result<bool> {
    let args: Map<String, Value> = match serde_json::from_str(args) {
        Ok(Value::Object(m)) => m,
        Ok(_) => anyhow::bail!(
            "arguments must be a JSON object, e.g. '{{\"action\":\"list_instances\"}}'"
        ),
        Err(e) => anyhow::bail!("arguments are not valid JSON: {e}"),
    };
    let caller = Caller {
        requester: format!(
            "cli:{}",
            std::env::var("USER").unwrap_or_else(|_| "user".into())
        ),
        human: None,
    };
    match dispatcher.call(tool, args, &caller).await? {
        Ok(v) => {
            println!("{}", serde_json::to_string_pretty(&v)?);
            Ok(true)
        }
        Err(e) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({"isError": true, "error": e.to_json()}))?
            );
            Ok(false)
        }
    }
}

/// The tool list with actions and access classes, as text or as the README's Markdown table.
pub fn tools_text(dispatcher: &Dispatcher, markdown: bool) -> String {
    let mut out = String::new();
    if markdown {
        out.push_str("| tool | action | access | risk | what it does |\n|---|---|---|---|---|\n");
    }
    for tool in dispatcher.tools() {
        if !markdown {
            out.push_str(&format!("{}\n", tool.name));
        }
        for a in surface::exposed(tool, dispatcher.read_only()) {
            if markdown {
                out.push_str(&format!(
                    "| `{}` | `{}` | {} | {} | {} |\n",
                    tool.name,
                    a.name,
                    a.access.as_str(),
                    a.risk.as_str(),
                    a.description
                ));
            } else {
                out.push_str(&format!(
                    "  {:<30} {:<12} {:<9} {}\n",
                    a.name,
                    a.access.as_str(),
                    a.risk.as_str(),
                    a.description
                ));
            }
        }
    }
    out
}

/// The snapshot files: `<tool>.json` → pretty JSON of the tool definition (full mode).
pub fn snapshots(dispatcher: &Dispatcher) -> Vec<(String, String)> {
    server::tool_definitions(dispatcher)
        .into_iter()
        .map(|t| {
            let value = sorted(serde_json::to_value(&t).expect("tools serialise"));
            let mut text = serde_json::to_string_pretty(&value).expect("values serialise");
            text.push('\n');
            (format!("{}.json", t.name), text)
        })
        .collect()
}

/// Snapshot files in `dir` that are missing or differ from the registry.
pub fn stale_snapshots(dispatcher: &Dispatcher, dir: &Path) -> Vec<String> {
    snapshots(dispatcher)
        .into_iter()
        .filter(|(name, text)| std::fs::read_to_string(dir.join(name)).ok().as_ref() != Some(text))
        .map(|(name, _)| name)
        .collect()
}

pub fn write_snapshots(dispatcher: &Dispatcher, dir: &Path) -> std::io::Result<usize> {
    std::fs::create_dir_all(dir)?;
    let files = snapshots(dispatcher);
    for (name, text) in &files {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(files.len())
}

/// The value with every object's keys in sorted order, so snapshots do not depend on whether
/// serde_json keeps insertion order (a feature other crates in a build may switch on).
fn sorted(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// Runs an `approvals` subcommand; returns whether it succeeded. Votes (and refused votes) are
/// audited in the transaction that records them.
pub async fn approvals(dispatcher: &Dispatcher, command: ApprovalsCommand) -> anyhow::Result<bool> {
    let g = &dispatcher.guardrails;
    let (id, approver, comment, approve) = match command {
        ApprovalsCommand::List { all } => {
            let status = if all { None } else { Some(Status::Pending) };
            let list = g.store.approvals(status, 200)?;
            if list.is_empty() {
                println!("no {}approval requests", if all { "" } else { "pending " });
            }
            for r in list {
                println!(
                    "{}  {:<9} {} {} env={} risk={} approvals={}/{} requester={} expires={}",
                    r.id,
                    r.status.as_str(),
                    r.call.tool,
                    r.call.action,
                    r.call.environment.map(|e| e.as_str()).unwrap_or("unknown"),
                    r.call.risk.as_str(),
                    r.approvals,
                    r.min_approvers,
                    r.requester,
                    r.expires_at
                );
            }
            return Ok(true);
        }
        ApprovalsCommand::Show { id } => {
            let Some(r) = g.store.approval(&id)? else {
                anyhow::bail!("no approval request {id}");
            };
            println!("{}", serde_json::to_string_pretty(&r)?);
            return Ok(true);
        }
        ApprovalsCommand::Approve {
            id,
            approver,
            comment,
        } => (id, approver, comment, true),
        ApprovalsCommand::Reject {
            id,
            approver,
            comment,
        } => (id, approver, comment, false),
    };
    match g
        .vote(
            &dispatcher.aws,
            &id,
            &approver,
            approve,
            comment.as_deref(),
            "cli",
        )
        .await
    {
        Ok(r) => {
            println!(
                "{} is {} ({} of {} approvals)",
                r.id,
                r.status.as_str(),
                r.approvals,
                r.min_approvers
            );
            Ok(true)
        }
        Err(e) => {
            eprintln!("{e}");
            Ok(false)
        }
    }
}

/// Runs an `audit` subcommand; returns whether it succeeded (verify: the chain is intact).
pub fn audit(dispatcher: &Dispatcher, command: AuditCommand) -> anyhow::Result<bool> {
    let store = &dispatcher.guardrails.store;
    match command {
        AuditCommand::Verify => match store.verify_audit()? {
            Ok(n) => {
                println!(
                    "audit log intact: {n} record(s) in {}",
                    store.path().display()
                );
                Ok(true)
            }
            Err(problems) => {
                println!("audit log TAMPERED ({}):", store.path().display());
                for p in problems {
                    println!("  {p}");
                }
                Ok(false)
            }
        },
        AuditCommand::List { limit, outcome } => {
            let q = AuditQuery {
                outcome,
                ..AuditQuery::default()
            };
            let (entries, _) = store.query_audit(&q, limit)?;
            for e in entries {
                println!("{}", serde_json::to_string(&e)?);
            }
            Ok(true)
        }
    }
}
