//! Votes and their proofs: a person's decision on a request, recorded with the audit record of
//! it in one transaction, and counted only as far as its proof goes.

use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use serde_json::{Map, json};

use super::{
    APPROVERS_KEY, ApprovalRequest, Approvers, Refusal, Status, approve_commands, canonical_text,
    load,
};
use crate::guardrails::{
    audit::{AuditRecord, append_in, clip},
    changes::{ChangeStatus, set_change_status_in},
    environment::Environment,
    signing::Verified,
    store::{Result, Store, new_id, now},
};

/// A recorded vote. `approver` is who voted as far as the server can tell: the principal of
/// the `allowed_signers` entry whose key signed, or the OS user of an unsigned vote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vote {
    pub approver: String,
    pub decision: String,
    pub comment: Option<String>,
    /// signature, terminal or elicitation (`cli` on votes recorded before signed votes)
    pub channel: String,
    /// Whether a signature by a listed approver's key proves the vote; unsigned votes are
    /// unverified.
    #[serde(default)]
    pub verified: bool,
    /// The name the person gave (`--as`, the elicitation form): shown, never counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The fingerprint of the key that signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_fingerprint: Option<String>,
    /// The SSHSIG signature (PEM), kept so that `audit verify` can check it again.
    #[serde(skip)]
    pub signature: Option<String>,
    pub at: String,
}

/// What a vote brings as proof of who made it.
#[derive(Debug, Clone)]
pub enum Proof {
    /// An SSHSIG signature (PEM) over [`canonical_text`] for this decision.
    Signature(String),
    /// The OS user at a terminal (stdin and stderr), who typed back the code shown.
    Terminal { user: String },
    /// The person in an MCP client, through elicitation: the OS user the server runs as,
    /// unverified.
    Elicitation { user: String },
}

impl Proof {
    pub fn channel(&self) -> &'static str {
        match self {
            Proof::Signature(_) => "signature",
            Proof::Terminal { .. } => "terminal",
            Proof::Elicitation { .. } => "elicitation",
        }
    }
}

/// One person's decision on a request, with its proof.
#[derive(Debug, Clone)]
pub struct Ballot {
    pub proof: Proof,
    pub approve: bool,
    /// A display name only; the proof says who voted.
    pub display_name: Option<String>,
    pub comment: Option<String>,
}

/// The OS user this process runs as: the voter of every unsigned vote. Read from the process's
/// own uid, never from `$USER`, which any caller can set.
pub fn os_user() -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let Ok(meta) = std::fs::metadata("/proc/self") {
            let uid = meta.uid();
            let name = std::fs::read_to_string("/etc/passwd").ok().and_then(|p| {
                p.lines().find_map(|l| {
                    let f: Vec<&str> = l.split(':').collect();
                    (f.len() > 2 && f[2] == uid.to_string()).then(|| f[0].to_string())
                })
            });
            return name.unwrap_or_else(|| format!("uid-{uid}"));
        }
    }
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown-user".into())
}

impl Store {
    /// Records a person's decision, and the audit record of it, in one transaction: a vote is
    /// never unaudited, and a refused vote is audited too. A signature is verified against the
    /// approvers pinned for the request's environment; the requester cannot vote, each person
    /// (principal or OS user) votes once, a request that takes only signed votes refuses
    /// unsigned ones, and a request stops taking votes once decided; the decision moves the
    /// request's change request along (unless people closed it meanwhile).
    pub fn vote(
        &self,
        id: &str,
        ballot: &Ballot,
    ) -> Result<std::result::Result<ApprovalRequest, Refusal>> {
        let decision = if ballot.approve { "approve" } else { "reject" };
        self.write(|tx| {
            let outcome = vote_in(tx, id, ballot)?;
            let mut input = Map::new();
            input.insert("request_id".into(), json!(clip(id, 64)));
            input.insert("channel".into(), json!(ballot.proof.channel()));
            if let Some(c) = &ballot.comment {
                input.insert("comment".into(), json!(clip(c, 256)));
            }
            if let Some(n) = &ballot.display_name {
                input.insert("display_name".into(), json!(clip(n, 64)));
            }
            let (status, detail, environment, approver) = match &outcome {
                Ok((req, vote)) => {
                    if let (Some(sig), Some(fp)) = (&vote.signature, &vote.key_fingerprint) {
                        // Kept whole, so `audit verify` can check the signature again.
                        input.insert("signature".into(), json!(sig));
                        input.insert("key_fingerprint".into(), json!(fp));
                        input.insert(
                            "signed_text".into(),
                            json!(canonical_text(req, ballot.approve)),
                        );
                    }
                    (
                        req.status.as_str().to_string(),
                        format!(
                            "{} voted {decision} on {id} via {} ({}): {} of {} approvals, the \
                             request is {}",
                            vote.approver,
                            vote.channel,
                            if vote.verified {
                                "verified"
                            } else {
                                "unverified"
                            },
                            req.approvals,
                            req.min_approvers,
                            req.status.as_str()
                        ),
                        req.call.environment.map(|e| e.as_str().to_string()),
                        vote.approver.clone(),
                    )
                }
                Err(why) => (
                    "refused".to_string(),
                    why.clone(),
                    None,
                    match &ballot.proof {
                        Proof::Signature(_) => "unverified signer".to_string(),
                        Proof::Terminal { user } | Proof::Elicitation { user } => user.clone(),
                    },
                ),
            };
            append_in(
                tx,
                &AuditRecord {
                    kind: "vote".into(),
                    correlation_id: new_id("vote"),
                    actor: format!("person:{}", clip(&approver, 64)),
                    tool: "aws_guardrails".into(),
                    action: format!("{decision}_request"),
                    targets: vec![clip(id, 64)],
                    input,
                    outcome: status,
                    detail,
                    environment,
                    ..AuditRecord::default()
                },
            )?;
            Ok(outcome.map(|(req, _)| req))
        })
    }
}

fn vote_in(
    tx: &Transaction<'_>,
    id: &str,
    ballot: &Ballot,
) -> rusqlite::Result<std::result::Result<(ApprovalRequest, Vote), Refusal>> {
    let Some(req) = load(tx, id)? else {
        return Ok(Err(format!("no approval request {id}")));
    };
    if req.status != Status::Pending {
        return Ok(Err(format!(
            "{id} is {} and takes no more votes",
            req.status.as_str()
        )));
    }
    let env = req.call.environment.unwrap_or(Environment::Production);
    let (approver, verified) = match &ballot.proof {
        Proof::Signature(pem) => {
            let approvers: Option<std::collections::BTreeMap<Environment, Approvers>> = tx
                .query_row(
                    "SELECT value FROM config WHERE key = ?1",
                    [APPROVERS_KEY],
                    |r| r.get::<_, String>(0),
                )
                .optional()?
                .and_then(|v| serde_json::from_str(&v).ok());
            let Some(file) = approvers.and_then(|mut a| a.remove(&env)) else {
                return Ok(Err(format!(
                    "no approvers are configured for {}: a person names their allowed_signers \
                     file with `espada-aws approvers set {} FILE`",
                    env.as_str(),
                    env.as_str()
                )));
            };
            let signers = match file.signers() {
                Ok(s) => s,
                Err(why) => {
                    return Ok(Err(format!("the pinned allowed_signers is invalid: {why}")));
                }
            };
            match signers.verify(canonical_text(&req, ballot.approve).as_bytes(), pem) {
                Ok(v) => (v, true),
                Err(why) => {
                    return Ok(Err(format!(
                        "the signature does not count as a vote on {id}: {why}"
                    )));
                }
            }
        }
        Proof::Terminal { user } | Proof::Elicitation { user } => {
            if req.signed_approvals {
                return Ok(Err(format!(
                    "{id} is in {}, which takes only signed approvals: an approver listed in \
                     its allowed_signers signs it with their own key ({})",
                    env.as_str(),
                    approve_commands(id, true)
                )));
            }
            (
                Verified {
                    principal: user.trim().to_string(),
                    fingerprint: String::new(),
                },
                false,
            )
        }
    };
    let (approver, fingerprint) = (approver.principal, approver.fingerprint);
    if approver.is_empty() {
        return Ok(Err("the voter cannot be told".into()));
    }
    let requester = req.requester.to_ascii_lowercase();
    let lower = approver.to_ascii_lowercase();
    if requester == lower || requester == format!("cli:{lower}") {
        return Ok(Err(format!(
            "{approver} requested {id} and cannot approve or reject it; another person must"
        )));
    }
    if req
        .votes
        .iter()
        .any(|v| v.approver.eq_ignore_ascii_case(&approver))
    {
        return Ok(Err(format!(
            "{approver} has already voted on {id}; approvers must be distinct people, and one \
             person's second vote does not count"
        )));
    }
    let decision = if ballot.approve { "approve" } else { "reject" };
    let signature = match &ballot.proof {
        Proof::Signature(pem) => Some(pem.trim().to_string()),
        _ => None,
    };
    let fingerprint = (!fingerprint.is_empty()).then_some(fingerprint);
    tx.execute(
        "INSERT INTO approval_votes (request_id, approver, decision, comment, channel, at,
             verified, display_name, key_fingerprint, signature)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            id,
            approver,
            decision,
            ballot.comment,
            ballot.proof.channel(),
            now(),
            verified,
            ballot.display_name,
            fingerprint,
            signature
        ],
    )?;
    let approvals = req.approvals + u32::from(ballot.approve);
    let new_status = if !ballot.approve {
        Some(Status::Rejected)
    } else if approvals >= req.min_approvers {
        Some(Status::Approved)
    } else {
        None
    };
    if let Some(s) = new_status {
        tx.execute(
            "UPDATE approvals SET status = ?2, decided_at = ?3 WHERE id = ?1",
            params![id, s.as_str(), now()],
        )?;
        if let Some(cr) = &req.call.change_request_id {
            let (to, from): (ChangeStatus, &[ChangeStatus]) = match s {
                Status::Approved => (ChangeStatus::Approved, &[ChangeStatus::Submitted]),
                _ => (
                    ChangeStatus::Rejected,
                    &[ChangeStatus::Submitted, ChangeStatus::Approved],
                ),
            };
            set_change_status_in(tx, cr, to, &format!("by approval request {id}"), from)?;
        }
    }
    let req = load(tx, id)?.expect("exists");
    let vote = req
        .votes
        .iter()
        .find(|v| v.approver == approver)
        .cloned()
        .expect("just recorded");
    Ok(Ok((req, vote)))
}
