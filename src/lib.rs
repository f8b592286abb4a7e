//! # espada-aws
//!
//! An MCP server (stdio) that exposes typed AWS tools to an AI agent, with safety checks that the
//! server enforces on every call.
//!
//! # Layout
//!
//! - [`server`]: the rmcp `ServerHandler`; lists tools from the registry and hands every
//!   `tools/call` to the dispatcher.
//! - [`dispatch`]: the one path of a call: parse → classify → guardrails → dry run / execute →
//!   shape. The CLI's `call` subcommand takes the same path.
//! - [`registry`]: tool and action metadata (access class, description, input schema) and the
//!   `actions!` macro that defines an action enum with its typed inputs.
//! - [`schema`]: flat input schemas merged from the per-action input structs.
//! - [`guardrails`]: read-only mode and confirmation tokens for destructive actions.
//! - [`tools`]: one file per tool: its action enum, per-action input structs, and a dispatch to
//!   services. Tools hold no AWS logic.
//! - [`services`]: one module per AWS service (a folder once it grows: `ec2/`, `s3/`); the only
//!   code that calls `aws-sdk-*`.
//! - [`aws`]: the lazy client pool (per credentials context and region), retry and timeouts,
//!   and page handling.
//! - [`cidr`]: CIDR parsing and the subnet-fit checks network calls run before any AWS call.
//! - [`output`]: the result shape `{summary, data, next_token?, truncated?}` and its bounds.
//! - [`error`]: tool errors (what the model sees) and how AWS errors map onto them.

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
