//! The approvers of each environment: the `allowed_signers` file a person named, pinned, and
//! changed only with the existing approvers' signatures.

use rusqlite::params;
use serde::{Deserialize, Serialize};
use serde_json::{Map, json};

use super::{ApprovalRequest, CallContext, Claim, Refusal, RequestedCall, claim_in};
use crate::guardrails::{
    Risk,
    audit::{AuditRecord, append_in, clip},
    environment::Environment,
    signing::AllowedSigners,
    store::{Result, Store, new_id, now, rfc3339},
};

/// Config key of the approvers of each environment (a JSON object: environment → [`Approvers`]).
pub const APPROVERS_KEY: &str = "approvers";

/// The approvers of one environment: the `allowed_signers` file a person named, pinned as it
/// was read then. Editing the file changes nothing until people approve the new one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Approvers {
    pub path: String,
    pub text: String,
    pub sha256: String,
    pub principals: Vec<String>,
    pub set_at: String,
}

impl Approvers {
    pub fn signers(&self) -> std::result::Result<AllowedSigners, String> {
        AllowedSigners::parse(&self.text)
    }
}

/// The tool and action names of an approvers change, as its approval request records them.
pub const APPROVERS_TOOL: &str = "espada-aws";
pub const APPROVERS_ACTION: &str = "set_approvers";

/// What an `approvers set` did.
#[derive(Debug)]
pub enum ApproversChange {
    /// The first approvers of an environment, named by a person at a terminal.
    Bootstrapped(Approvers),
    /// The file is what is pinned already.
    Unchanged,
    /// Existing approvers must sign this request first.
    Requested(Box<ApprovalRequest>),
    /// Applied under an approved request.
    Applied(Approvers),
}

impl Store {
    /// The approvers pinned for each environment.
    pub fn approvers(&self) -> Result<std::collections::BTreeMap<Environment, Approvers>> {
        Ok(self.config(APPROVERS_KEY)?.unwrap_or_default())
    }

    /// Changes the approvers of `env` to `text` (an `allowed_signers` file read from `path`).
    /// The first approvers of an environment are pinned at once (the caller made sure a person
    /// at a terminal asked); a change to existing ones is a guardrails change that the existing
    /// approvers sign: without `approval_request` it opens the request, with it it claims the
    /// approved request (for exactly this file) and pins the file in the same transaction.
    pub fn change_approvers(
        &self,
        env: Environment,
        path: &str,
        text: &str,
        actor: &str,
        approval_request: Option<&str>,
        first_time_confirmed: bool,
    ) -> Result<std::result::Result<ApproversChange, Refusal>> {
        let signers = match AllowedSigners::parse(text) {
            Ok(s) if !s.signers.is_empty() => s,
            Ok(_) => return Ok(Err(format!("{path} lists no key that may sign approvals"))),
            Err(why) => return Ok(Err(format!("{path}: {why}"))),
        };
        let sha256 = crate::guardrails::confirm::sha256_hex(text.as_bytes());
        let new = Approvers {
            path: path.to_string(),
            text: text.to_string(),
            sha256: sha256.clone(),
            principals: signers.principals(),
            set_at: rfc3339(now()),
        };
        let mut all = self.approvers()?;
        let Some(current) = all.get(&env) else {
            if !first_time_confirmed {
                return Ok(Err(format!(
                    "the first approvers of {} are named by a person at a terminal",
                    env.as_str()
                )));
            }
            all.insert(env, new.clone());
            self.pin_approvers(&all, env, &new, actor, "bootstrapped")?;
            return Ok(Ok(ApproversChange::Bootstrapped(new)));
        };
        if current.sha256 == sha256 {
            return Ok(Ok(ApproversChange::Unchanged));
        }
        let mut args = Map::new();
        args.insert("environment".into(), json!(env.as_str()));
        args.insert("allowed_signers_sha256".into(), json!(sha256));
        let hash = crate::guardrails::confirm::binding(APPROVERS_TOOL, APPROVERS_ACTION, &args);
        let Some(id) = approval_request else {
            let min = self.protection(env)?.min_approvers.max(1);
            let ttl = self.rules()?.approval_ttl_hours * 3600;
            let mut shown = args.clone();
            shown.insert("principals".into(), json!(new.principals));
            shown.insert(
                "removed".into(),
                json!(
                    current
                        .principals
                        .iter()
                        .filter(|p| !new.principals.contains(p))
                        .collect::<Vec<_>>()
                ),
            );
            shown.insert("path".into(), json!(clip(path, 256)));
            let call = RequestedCall {
                tool: APPROVERS_TOOL.into(),
                action: APPROVERS_ACTION.into(),
                arguments: shown,
                environment: Some(env),
                risk: Risk::Critical,
                reason: format!("change the approvers of {}", env.as_str()),
                change_request_id: None,
                context: CallContext::default(),
                plan: None,
            };
            let req = self.create_approval(call, &hash, actor, min, true, ttl)?;
            return Ok(Ok(ApproversChange::Requested(Box::new(req))));
        };
        let claim = Claim {
            tool: APPROVERS_TOOL.into(),
            action: APPROVERS_ACTION.into(),
            args_hash: hash,
            context: CallContext::default(),
            environment: Some(env),
            risk: Risk::Critical,
            min_approvers: self.protection(env)?.min_approvers.max(1),
            change_request_required: false,
            signed_approvals: true,
            change_request_id: None,
        };
        all.insert(env, new.clone());
        let text = serde_json::to_string(&all).expect("approvers serialise");
        let id = id.to_string();
        let claimed = self.write_if(|tx| {
            if let Err(why) = claim_in(tx, &id, &claim)? {
                return Ok(Err(why));
            }
            tx.execute(
                "INSERT INTO config (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![APPROVERS_KEY, text],
            )?;
            append_in(
                tx,
                &approvers_record(env, &new, actor, &format!("applied {id}")),
            )?;
            Ok(Ok(()))
        })?;
        Ok(claimed.map(|()| ApproversChange::Applied(new)))
    }

    fn pin_approvers(
        &self,
        all: &std::collections::BTreeMap<Environment, Approvers>,
        env: Environment,
        new: &Approvers,
        actor: &str,
        how: &str,
    ) -> Result<()> {
        let text = serde_json::to_string(all).expect("approvers serialise");
        self.write(|tx| {
            tx.execute(
                "INSERT INTO config (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![APPROVERS_KEY, text],
            )?;
            append_in(tx, &approvers_record(env, new, actor, how))
        })?;
        Ok(())
    }
}

/// The audit record of a change of approvers: the whole file, so the log says who could sign
/// when.
fn approvers_record(env: Environment, new: &Approvers, actor: &str, how: &str) -> AuditRecord {
    let mut input = Map::new();
    input.insert("environment".into(), json!(env.as_str()));
    input.insert("allowed_signers_sha256".into(), json!(new.sha256));
    input.insert("principals".into(), json!(new.principals));
    input.insert("path".into(), json!(clip(&new.path, 256)));
    AuditRecord {
        kind: "config".into(),
        correlation_id: new_id("cfg"),
        actor: format!("person:{}", clip(actor, 64)),
        tool: APPROVERS_TOOL.into(),
        action: APPROVERS_ACTION.into(),
        targets: vec![env.as_str().into()],
        input,
        outcome: "ok".into(),
        detail: format!(
            "approvers of {} {how}: {}",
            env.as_str(),
            new.principals.join(", ")
        ),
        environment: Some(env.as_str().into()),
        ..AuditRecord::default()
    }
}
