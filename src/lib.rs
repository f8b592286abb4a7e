//! # espada-aws
//!
//! An MCP server (stdio) that exposes typed AWS tools to an AI agent, with safety checks that the
//! server enforces on every call.
//!
//! # Layout
//!
//! Layers, bottom first; every dependency points down (ARCHITECTURE.md, `tests/it/layers.rs`).
//!
//! - [`error`], [`output`], [`schema`], [`cidr`]: tool errors and the SDK error mapping; the
//!   result shape and its bounds; one action's cleaned JSON schema; CIDR checks.
//! - [`settings`]: run-time settings from flags and environment.
//! - [`aws`]: the lazy client pool (per credentials context, region and guard), the guard that
//!   makes reads and dry runs unable to change anything, paging, shared EC2 helpers.
//! - [`registry`]: the action model: an action is one input struct with one `Action` impl that
//!   declares name, description, access, risk, targets with parents and dry-run kind, and runs.
//! - [`guardrails`]: the ordered checks (read-only, environment by target tags, policies,
//!   protection, rate limits, confirmation, approvals, backups, audit) and their SQLite state.
//! - [`surface`]: each tool's flat schema and its generated description.
//! - [`dispatch`]: the one path of a call: parse → validate → guardrails → dry run or run →
//!   shape → audit. The CLI's `call` subcommand takes the same path.
//! - [`tools`]: one folder per tool, one file per resource area, each action next to its AWS
//!   calls; `tools::ALL` and `Dispatcher::new`.
//! - [`server`]: the rmcp `ServerHandler`, in-band approval for 2026-07-28 clients (multi-round
//!   tool results) and the stdio transport.
//! - [`cli`]: the command line.

pub mod aws;
pub mod cidr;
pub mod cli;
pub mod dispatch;
pub mod error;
pub mod guardrails;
pub mod output;
pub mod registry;
pub mod schema;
pub mod server;
pub mod settings;
pub mod surface;
pub mod tools;
