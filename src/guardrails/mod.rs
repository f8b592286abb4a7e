//! The guardrails stage: every call passes through [`Guardrails::check`] after it is parsed and
//! classified and before anything is sent to AWS. The checks run in this order, and the first
//! that answers decides:
//!
//! 1. read-only mode: any non-Read action is refused (it is also absent from the schemas);
//! 2. dry runs go on: AWS validates them and nothing changes;
//! 3. Destructive actions need confirmation: without a token the call returns a plan and a
//!    one-time `confirm_token` bound to the exact call; with a valid token it proceeds.
//!
//! Environment protection, policies, rate limits and human approvals join this list here.

mod confirm;

use std::time::Duration;

use serde_json::{Map, Value};

pub use self::confirm::ConfirmStore;
use crate::{error::ToolError, registry::Access};

/// The facts of one call that the guardrails decide on.
pub struct CallFacts<'a> {
    pub tool: &'a str,
    pub action: &'a str,
    pub access: Access,
    /// The call's arguments without `confirm_token` and `dry_run`.
    pub args: &'a Map<String, Value>,
    pub confirm_token: Option<&'a str>,
    pub dry_run: bool,
}

/// What the guardrails let happen.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Run the call.
    Proceed,
    /// Do nothing yet; the caller must repeat the call with this token.
    NeedsConfirmation { token: String, expires_in: Duration },
}

pub struct Guardrails {
    read_only: bool,
    confirmations: ConfirmStore,
}

impl Guardrails {
    pub fn new(read_only: bool, confirm_ttl: Duration) -> Self {
        Self {
            read_only,
            confirmations: ConfirmStore::new(confirm_ttl),
        }
    }

    pub fn read_only(&self) -> bool {
        self.read_only
    }

    /// Decides a call. `Err` means refused: nothing may be sent to AWS.
    pub fn check(&self, call: &CallFacts<'_>) -> Result<Verdict, ToolError> {
        if self.read_only && call.access != Access::Read {
            return Err(ToolError::Refused(format!(
                "{} {} is a {} action and the server runs in read-only mode; restart it without \
                 --read-only (and without ESPADA_READ_ONLY=1) to allow changes",
                call.tool,
                call.action,
                call.access.as_str()
            )));
        }
        if call.dry_run || call.access != Access::Destructive {
            return Ok(Verdict::Proceed);
        }
        let binding = ConfirmStore::binding(call.tool, call.action, call.args);
        match call.confirm_token {
            None => {
                let (token, expires_in) = self.confirmations.issue(binding);
                Ok(Verdict::NeedsConfirmation { token, expires_in })
            }
            Some(token) => self
                .confirmations
                .redeem(token, &binding)
                .map(|()| Verdict::Proceed)
                .map_err(|why| {
                    ToolError::Refused(format!(
                        "confirm_token refused: {why}; nothing was done. Call again without \
                         confirm_token to get a fresh plan and token"
                    ))
                }),
        }
    }
}
