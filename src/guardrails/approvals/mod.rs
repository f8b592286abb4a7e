//! Approval requests: created by the pipeline (or `create_approval_request`) for a call that
//! needs human approval, decided only by humans (the CLI or an MCP elicitation answered in the
//! client), executed at most once with exactly the approved arguments, in the account, region
//! and credentials context it was approved for, and only while its targets are no more
//! protected than they were when people approved it.
//!
//! A request stores the call's redacted, bounded arguments (what people read) and the SHA-256
//! binding of the real ones (what the repeated call must match).
//!
//! A vote carries its proof ([`Proof`]): an SSH signature over the request's canonical text
//! ([`canonical_text`]), verified against the `allowed_signers` pinned for the request's
//! environment (the principal is who voted); or, unsigned, the OS user who answered at a
//! terminal or in an MCP client (one OS user is one person, whatever the channel or the name
//! typed). Where the environment's protection asks for signed approvals, only verified
//! signatures from distinct principals count.

use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{
    Risk,
    audit::{AuditRecord, append_in, clip},
    changes::{ChangeStatus, change_in, set_change_status_in},
    environment::Environment,
    plans::PlanView,
    signing::{AllowedSigners, Verified},
    store::{Result, Store, new_id, now, rfc3339},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Approved,
    Rejected,
    Cancelled,
    Expired,
    Executed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::Cancelled => "cancelled",
            Status::Expired => "expired",
            Status::Executed => "executed",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "approved" => Status::Approved,
            "rejected" => Status::Rejected,
            "cancelled" => Status::Cancelled,
            "expired" => Status::Expired,
            "executed" => Status::Executed,
            _ => Status::Pending,
        }
    }
}

/// The call an approval request is for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestedCall {
    pub tool: String,
    pub action: String,
    pub arguments: Map<String, Value>,
    pub environment: Option<Environment>,
    pub risk: Risk,
    pub reason: String,
    pub change_request_id: Option<String>,
    /// Where the call was approved to run.
    #[serde(default)]
    pub context: CallContext,
    /// The steps of a plan, for a plan's approval request (tool `espada-aws`, action
    /// `run_plan`): its argument hash is the plan's hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanView>,
}

/// The account, region and credentials context of a call, as the approval binds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallContext {
    /// The account the credentials act in, when it could be read (STS GetCallerIdentity).
    pub account: Option<String>,
    /// The region the SDK resolved for the call (flag, per-call field or profile).
    pub region: Option<String>,
    /// The named profile, or none for the default credentials chain.
    pub profile: Option<String>,
}

/// What a repeated call brings to claim its approval: the call as it is now, freshly evaluated.
#[derive(Debug, Clone)]
pub struct Claim {
    pub tool: String,
    pub action: String,
    pub args_hash: String,
    pub context: CallContext,
    pub environment: Option<Environment>,
    pub risk: Risk,
    pub min_approvers: u32,
    pub change_request_required: bool,
    /// Whether the environment now takes only signed votes.
    pub signed_approvals: bool,
    /// The change request the repeated call names, if it names one.
    pub change_request_id: Option<String>,
}

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

/// The exact text an approver signs for `decision` on a request: every fact the approval binds
/// (request, call, argument hash, account, region, credentials profile, environment, expiry)
/// and the decision, so that a signature cannot be replayed on another request, other
/// arguments, another context or the opposite decision.
pub fn canonical_text(req: &ApprovalRequest, approve: bool) -> String {
    let or_unknown = |v: &Option<String>| v.clone().unwrap_or_else(|| "unknown".into());
    let mut text = format!(
        "espada-aws approval v1\n\
         decision: {}\n\
         request: {}\n\
         tool: {}\n\
         action: {}\n\
         arguments-sha256: {}\n\
         account: {}\n\
         region: {}\n\
         profile: {}\n\
         environment: {}\n\
         expires: {}\n",
        if approve { "approve" } else { "reject" },
        req.id,
        req.call.tool,
        req.call.action,
        req.args_hash,
        or_unknown(&req.call.context.account),
        or_unknown(&req.call.context.region),
        req.call.context.profile.as_deref().unwrap_or("default"),
        req.call
            .environment
            .map(Environment::as_str)
            .unwrap_or("unknown"),
        req.expires_at,
    );
    // A plan's request: its hash (above, as arguments-sha256) covers every step in order;
    // the steps are listed so that people read what they sign.
    if let Some(plan) = &req.call.plan {
        text.push_str(&format!(
            "plan: {}\nchange-request: {}\nsteps: {}\n",
            plan.id,
            plan.change_request_id,
            plan.steps.len()
        ));
        for s in &plan.steps {
            text.push_str(&format!(
                "step {}: {} {} arguments-sha256 {} risk {}\n",
                s.step,
                s.tool,
                s.action,
                s.arguments_sha256,
                s.risk.as_str()
            ));
        }
    }
    text
}

/// How people approve `id`: at a terminal, or signed with their SSH key.
pub fn approve_commands(id: &str, signed_only: bool) -> String {
    let sign = format!(
        "`espada-aws approvals approve {id} --key ~/.ssh/id_ed25519` (or sign the text of \
         `espada-aws approvals show {id} --canonical` elsewhere and pass --signature FILE)"
    );
    if signed_only {
        format!("each approver signs it: {sign}")
    } else {
        format!("a person runs `espada-aws approvals approve {id}` at their terminal, or {sign}")
    }
}

/// What the person in an MCP client is asked about a request (either elicitation flow).
pub fn question(req: &ApprovalRequest) -> String {
    if let Some(plan) = &req.call.plan {
        return format!(
            "Approval request {}: plan {} ({} step(s)) in {} (risk {}), requested by {}. \
             Reason: {}. Steps: {}. Approve the whole plan?",
            req.id,
            plan.id,
            plan.steps.len(),
            req.call
                .environment
                .map(Environment::as_str)
                .unwrap_or("an unknown environment"),
            req.call.risk.as_str(),
            req.requester,
            req.call.reason,
            steps_text(plan)
        );
    }
    format!(
        "Approval request {}: {} {} in {} (risk {}), requested by {}. Reason: {}. Arguments: {}. \
         Approve it?",
        req.id,
        req.call.tool,
        req.call.action,
        req.call
            .environment
            .map(Environment::as_str)
            .unwrap_or("an unknown environment"),
        req.call.risk.as_str(),
        req.requester,
        req.call.reason,
        Value::Object(req.call.arguments.clone())
    )
}

/// The steps of a plan in one line each: what runs, where, at what risk, and what was found.
pub fn steps_text(plan: &PlanView) -> String {
    plan.steps
        .iter()
        .map(|s| {
            let mut line = format!(
                "{}. {} {} {} [{} risk, {}]",
                s.step,
                s.tool,
                s.action,
                Value::Object(s.arguments.clone()),
                s.risk.as_str(),
                s.environment.map(Environment::as_str).unwrap_or("unknown")
            );
            if !s.risk_flags.is_empty() {
                line.push_str(&format!(" flags: {}", s.risk_flags.join("; ")));
            }
            if !s.findings.is_empty() {
                line.push_str(&format!(" found: {}", s.findings.join("; ")));
            }
            line
        })
        .collect::<Vec<_>>()
        .join(" | ")
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRequest {
    pub id: String,
    #[serde(flatten)]
    pub call: RequestedCall,
    pub status: Status,
    pub requester: String,
    pub min_approvers: u32,
    /// Whether only verified signatures by listed approvers count.
    #[serde(default)]
    pub signed_approvals: bool,
    pub approvals: u32,
    pub votes: Vec<Vote>,
    pub created_at: String,
    pub expires_at: String,
    #[serde(skip)]
    pub args_hash: String,
}

/// Why a vote or an execution was refused.
pub type Refusal = String;

impl Store {
    pub fn create_approval(
        &self,
        call: RequestedCall,
        args_hash: &str,
        requester: &str,
        min_approvers: u32,
        signed_approvals: bool,
        ttl_secs: i64,
    ) -> Result<ApprovalRequest> {
        let id = new_id("apr");
        let t = now();
        self.write(|tx| {
            insert_approval_in(
                tx,
                &id,
                &call,
                args_hash,
                requester,
                min_approvers,
                signed_approvals,
                t,
                t + ttl_secs,
            )
        })?;
        Ok(self.approval(&id)?.expect("just inserted"))
    }

    pub fn approval(&self, id: &str) -> Result<Option<ApprovalRequest>> {
        self.read(|c| load(c, id))
    }

    /// Requests with `status` (any when `None`), newest first, at most `limit`; filtered and
    /// limited by SQL.
    pub fn approvals(&self, status: Option<Status>, limit: usize) -> Result<Vec<ApprovalRequest>> {
        // Pending and approved requests past their validity are shown as expired.
        let condition = match status {
            None => "?1 = ?1",
            Some(Status::Pending) => "status = 'pending' AND expires_at > ?1",
            Some(Status::Approved) => "status = 'approved' AND expires_at > ?1",
            Some(Status::Expired) => {
                "(status = 'expired' OR (status IN ('pending', 'approved') AND expires_at <= ?1))"
            }
            Some(Status::Rejected) => "status = 'rejected' AND ?1 = ?1",
            Some(Status::Cancelled) => "status = 'cancelled' AND ?1 = ?1",
            Some(Status::Executed) => "status = 'executed' AND ?1 = ?1",
        };
        let sql = format!(
            "SELECT id FROM approvals WHERE {condition} ORDER BY created_at DESC, id LIMIT ?2"
        );
        self.read(|c| {
            let ids: Vec<String> = c
                .prepare(&sql)?
                .query_map(params![now(), limit as i64], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let mut out = Vec::new();
            for id in ids {
                out.extend(load(c, &id)?);
            }
            Ok(out)
        })
    }

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

    /// The approvers pinned for each environment.
    pub fn approvers(&self) -> Result<std::collections::BTreeMap<Environment, Approvers>> {
        Ok(self.config(APPROVERS_KEY)?.unwrap_or_default())
    }

    pub fn cancel_approval(
        &self,
        id: &str,
    ) -> Result<std::result::Result<ApprovalRequest, Refusal>> {
        let changed = self.write(|tx| {
            tx.execute(
                "UPDATE approvals SET status = 'cancelled', decided_at = ?2
                 WHERE id = ?1 AND status IN ('pending', 'approved')",
                params![id, now()],
            )
        })?;
        let req = self.approval(id)?;
        Ok(match (changed, req) {
            (1, Some(r)) => Ok(r),
            (_, Some(r)) => Err(format!(
                "{id} is {} and cannot be cancelled",
                r.status.as_str()
            )),
            (_, None) => Err(format!("no approval request {id}")),
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

/// Claims an approved request for execution inside `tx` (the transaction that admits the
/// call): it must be approved, unexpired, for exactly these arguments, in the same account,
/// region and credentials context, for targets no more protected than when people approved it,
/// and, where the environment needs one, carry a change request that is still open. Marking it
/// executed is one conditional UPDATE, so of two processes racing on one request exactly one
/// wins. A refusal changes nothing.
pub fn claim_in(
    tx: &Transaction<'_>,
    id: &str,
    claim: &Claim,
) -> rusqlite::Result<std::result::Result<ApprovalRequest, Refusal>> {
    let Some(req) = load(tx, id)? else {
        return Ok(Err(format!("no approval request {id}")));
    };
    if let Some(plan) = &req.call.plan {
        return Ok(Err(format!(
            "{id} approves plan {}, whose steps run only with plan_id={} (and plan_step); it \
             lets no other call run",
            plan.id, plan.id
        )));
    }
    if req.call.tool != claim.tool
        || req.call.action != claim.action
        || req.args_hash != claim.args_hash
    {
        return Ok(Err(format!(
            "{id} approved {} {} with other arguments; repeat exactly the approved call, or \
             request a new approval",
            req.call.tool, req.call.action
        )));
    }
    match req.status {
        Status::Approved => {}
        Status::Pending => {
            return Ok(Err(format!(
                "{id} is still pending: {} of {} approvals; people decide on it: {}",
                req.approvals,
                req.min_approvers,
                approve_commands(id, req.signed_approvals)
            )));
        }
        other => {
            return Ok(Err(format!(
                "{id} is {} and cannot be executed",
                other.as_str()
            )));
        }
    }
    if let Some(why) = context_change(&req.call.context, &claim.context) {
        return Ok(Err(format!(
            "{id} was approved for another context: {why}; request a new approval for this one"
        )));
    }
    let named = |e: Option<Environment>| e.map(Environment::as_str).unwrap_or("unknown");
    if claim.environment > req.call.environment {
        return Ok(Err(format!(
            "{id} was approved for {}, but the call's targets are now {}; request a new \
             approval, which the protection of {} decides",
            named(req.call.environment),
            named(claim.environment),
            named(claim.environment)
        )));
    }
    if claim.risk > req.call.risk {
        return Ok(Err(format!(
            "{id} was approved at {} risk, and the call is now {}; request a new approval",
            req.call.risk.as_str(),
            claim.risk.as_str()
        )));
    }
    if claim.min_approvers > req.min_approvers {
        return Ok(Err(format!(
            "{id} has {} approval(s), and the protection of {} now asks for {}; request a new \
             approval",
            req.min_approvers,
            named(claim.environment),
            claim.min_approvers
        )));
    }
    if claim.signed_approvals && !req.signed_approvals {
        return Ok(Err(format!(
            "{id} was approved without signatures, and {} now takes only signed approvals; \
             request a new approval",
            named(claim.environment)
        )));
    }
    if let Some(given) = claim.change_request_id.as_deref()
        && req.call.change_request_id.as_deref() != Some(given)
    {
        return Ok(Err(format!(
            "{id} carries change request {}, not {given}; repeat the call with the approved \
             change request or without change_request_id",
            req.call.change_request_id.as_deref().unwrap_or("none")
        )));
    }
    if claim.change_request_required {
        let Some(cr) = req.call.change_request_id.as_deref() else {
            return Ok(Err(format!(
                "{id} carries no change request, and {} changes need one: create one with \
                 aws_guardrails create_change_request and request a new approval with it",
                named(claim.environment)
            )));
        };
        match change_in(tx, cr)? {
            Some(c) if c.status.is_open() => {}
            Some(c) => {
                return Ok(Err(format!(
                    "change request {cr} of {id} is {}; only a submitted or approved change \
                     request can carry a change: request a new approval with an open one",
                    c.status.as_str()
                )));
            }
            None => return Ok(Err(format!("change request {cr} of {id} does not exist"))),
        }
    }
    let won = tx.execute(
        "UPDATE approvals SET status = 'executed', executed_at = ?2
         WHERE id = ?1 AND status = 'approved' AND expires_at > ?2",
        params![id, now()],
    )?;
    if won == 1 {
        Ok(Ok(req))
    } else {
        Ok(Err(format!(
            "{id} is no longer approved: an approved call runs once, within its validity"
        )))
    }
}

/// Records a pending approval request inside `tx`.
#[allow(clippy::too_many_arguments)]
pub fn insert_approval_in(
    tx: &Transaction<'_>,
    id: &str,
    call: &RequestedCall,
    args_hash: &str,
    requester: &str,
    min_approvers: u32,
    signed_approvals: bool,
    created_at: i64,
    expires_at: i64,
) -> rusqlite::Result<usize> {
    let body = serde_json::to_string(call).expect("call serialises");
    tx.execute(
        "INSERT INTO approvals (id, body, args_hash, status, requester, min_approvers,
             created_at, expires_at, signed) VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6, ?7, ?8)",
        params![
            id,
            body,
            args_hash,
            requester,
            min_approvers.max(1),
            created_at,
            expires_at,
            signed_approvals
        ],
    )
}

/// What differs between the context a request was approved in and the call's, if anything.
pub fn context_change(approved: &CallContext, now: &CallContext) -> Option<String> {
    let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "an unknown one".into());
    if let Some(account) = &approved.account
        && now.account.as_ref() != Some(account)
    {
        return Some(format!(
            "account {account}, and the credentials now act in {}",
            show(&now.account)
        ));
    }
    if approved.region != now.region {
        return Some(format!(
            "region {}, and the call runs in {}",
            show(&approved.region),
            show(&now.region)
        ));
    }
    if approved.profile != now.profile {
        return Some(format!(
            "profile {}, and the call uses {}",
            approved
                .profile
                .as_deref()
                .unwrap_or("(default credentials chain)"),
            now.profile
                .as_deref()
                .unwrap_or("(default credentials chain)")
        ));
    }
    None
}

/// One request with its votes (signatures included), read on `c`.
pub fn load_request(
    c: &rusqlite::Connection,
    id: &str,
) -> rusqlite::Result<Option<ApprovalRequest>> {
    load(c, id)
}

fn load(c: &rusqlite::Connection, id: &str) -> rusqlite::Result<Option<ApprovalRequest>> {
    let row = c
        .query_row(
            "SELECT body, args_hash, status, requester, min_approvers, created_at, expires_at,
                 signed
             FROM approvals WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, u32>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, bool>(7)?,
                ))
            },
        )
        .optional()?;
    let Some((body, args_hash, status, requester, min_approvers, created, expires, signed)) = row
    else {
        return Ok(None);
    };
    let mut stmt = c.prepare(
        "SELECT approver, decision, comment, channel, at, verified, display_name,
             key_fingerprint, signature
         FROM approval_votes WHERE request_id = ?1 ORDER BY at, approver",
    )?;
    let votes: Vec<Vote> = stmt
        .query_map([id], |r| {
            Ok(Vote {
                approver: r.get(0)?,
                decision: r.get(1)?,
                comment: r.get(2)?,
                channel: r.get(3)?,
                at: rfc3339(r.get(4)?),
                verified: r.get(5)?,
                display_name: r.get(6)?,
                key_fingerprint: r.get(7)?,
                signature: r.get(8)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut status = Status::parse(&status);
    if matches!(status, Status::Pending | Status::Approved) && now() >= expires {
        status = Status::Expired;
    }
    let call: RequestedCall = serde_json::from_str(&body).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(Some(ApprovalRequest {
        id: id.to_string(),
        call,
        status,
        requester,
        min_approvers,
        signed_approvals: signed,
        // Where only signatures count, an unverified vote (none is taken, but a row written
        // around the guardrails could be there) counts for nothing.
        approvals: votes
            .iter()
            .filter(|v| v.decision == "approve" && (v.verified || !signed))
            .count() as u32,
        votes,
        created_at: rfc3339(created),
        expires_at: rfc3339(expires),
        args_hash,
    }))
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
        let sha256 = super::confirm::sha256_hex(text.as_bytes());
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
        let hash = super::confirm::binding(APPROVERS_TOOL, APPROVERS_ACTION, &args);
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
