//! The command line: `serve` (default), `call`, `tools`, `schemas`. Only this module and
//! `main.rs` print to stdout, and never while serving.

use std::{path::Path, sync::Arc};

use clap::{Args, Parser, Subcommand};
use serde_json::{Map, Value, json};

use crate::{dispatch::Dispatcher, registry::Access, server, settings::Settings};

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
    /// Expose and allow only read actions
    #[arg(long, env = "ESPADA_READ_ONLY", global = true)]
    pub read_only: bool,
    /// Comma-separated toolsets or tool names to register, e.g. "ec2" (default: all)
    #[arg(long, env = "ESPADA_TOOLSETS", value_delimiter = ',', global = true)]
    pub toolsets: Option<Vec<String>>,
    /// Log filter for stderr, e.g. info, debug, espada_aws=debug
    #[arg(long, env = "ESPADA_LOG", default_value = "info", global = true)]
    pub log_level: String,
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

impl GlobalArgs {
    pub fn settings(&self) -> Settings {
        Settings {
            region: self.region.clone().filter(|r| !r.is_empty()),
            profile: self.profile.clone().filter(|p| !p.is_empty()),
            read_only: self.read_only,
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
    match dispatcher.call(tool, args).await? {
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
        out.push_str("| tool | action | access | what it does |\n|---|---|---|---|\n");
    }
    for tool in dispatcher.tools() {
        if !markdown {
            out.push_str(&format!("{}\n", tool.name));
        }
        for a in (tool.actions)() {
            if dispatcher.read_only() && a.access != Access::Read {
                continue;
            }
            if markdown {
                out.push_str(&format!(
                    "| `{}` | `{}` | {} | {} |\n",
                    tool.name,
                    a.name,
                    a.access.as_str(),
                    a.description
                ));
            } else {
                out.push_str(&format!(
                    "  {:<30} {:<12} {}\n",
                    a.name,
                    a.access.as_str(),
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
