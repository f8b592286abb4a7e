//! The command line: `serve` (default), `call`, `tools`, `schemas`. Only this module and
//! `main.rs` print to stdout, and never while serving.

use std::{path::Path, sync::Arc};

use clap::{ArgAction, Args, Parser, Subcommand, builder::BoolishValueParser};
use serde_json::{Map, Value, json};

use crate::{
    dispatch::Dispatcher,
    guardrails::{
        anchor::{self, AnchorPlace, AutoAnchor},
        approvals::{
            ApprovalRequest, ApproversChange, Ballot, Proof, Status, canonical_text, os_user,
        },
        audit::{self, AuditQuery, AuditRecord},
        environment::Environment,
        signing,
        store::new_id,
    },
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
    /// Let get_secret_value return secret values (ESPADA_ALLOW_SENSITIVE takes 1/0, true/false,
    /// yes/no, on/off)
    #[arg(
        long,
        env = "ESPADA_ALLOW_SENSITIVE",
        global = true,
        action = ArgAction::SetTrue,
        value_parser = BoolishValueParser::new()
    )]
    pub allow_sensitive_data: bool,
    /// Comma-separated toolsets or tool names to register, e.g. "ec2" (default: all)
    #[arg(long, env = "ESPADA_TOOLSETS", value_delimiter = ',', global = true)]
    pub toolsets: Option<Vec<String>>,
    /// Log filter for stderr, e.g. info, debug, espada_aws=debug
    #[arg(long, env = "ESPADA_LOG", default_value = "info", global = true)]
    pub log_level: String,
    /// Guardrails state file (approvals, audit log, policies); default in the XDG state dir
    #[arg(long, env = "ESPADA_STATE", global = true)]
    pub state: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub auto_anchor: AutoAnchorArgs,
}

/// The server anchoring its audit log on its own (off unless a bucket and an interval are set).
#[derive(Debug, Args)]
pub struct AutoAnchorArgs {
    /// Anchor the audit log to this bucket (created with Object Lock) while serving
    #[arg(long, env = "ESPADA_AUDIT_ANCHOR_BUCKET", global = true)]
    pub audit_anchor_bucket: Option<String>,
    /// Key prefix of the anchors the server writes
    #[arg(
        long,
        env = "ESPADA_AUDIT_ANCHOR_PREFIX",
        default_value = "espada-aws/audit-anchors/",
        global = true
    )]
    pub audit_anchor_prefix: String,
    /// Anchor after this many new audit records
    #[arg(long, env = "ESPADA_AUDIT_ANCHOR_RECORDS", global = true)]
    pub audit_anchor_records: Option<u32>,
    /// Anchor when this many minutes passed since the last anchor and the log moved
    #[arg(long, env = "ESPADA_AUDIT_ANCHOR_MINUTES", global = true)]
    pub audit_anchor_minutes: Option<u32>,
    /// Days each anchor the server writes is locked (compliance mode)
    #[arg(
        long,
        env = "ESPADA_AUDIT_ANCHOR_RETAIN_DAYS",
        default_value_t = 365,
        global = true
    )]
    pub audit_anchor_retain_days: u32,
}

impl AutoAnchorArgs {
    /// The anchoring the server does on its own: `None` when off; an error when it is half
    /// configured, so that a user who meant to anchor is told rather than left unprotected.
    pub fn auto_anchor(&self) -> anyhow::Result<Option<AutoAnchor>> {
        let bucket = self.audit_anchor_bucket.clone().filter(|b| !b.is_empty());
        let records = self.audit_anchor_records.filter(|&n| n > 0).map(i64::from);
        let every = self
            .audit_anchor_minutes
            .filter(|&m| m > 0)
            .map(|m| std::time::Duration::from_secs(u64::from(m) * 60));
        match (bucket, records.is_some() || every.is_some()) {
            (_, false) => Ok(None),
            (None, true) => anyhow::bail!(
                "--audit-anchor-records/--audit-anchor-minutes need the anchor bucket \
                 (--audit-anchor-bucket or ESPADA_AUDIT_ANCHOR_BUCKET, created with Object Lock)"
            ),
            (Some(bucket), true) => Ok(Some(AutoAnchor {
                place: AnchorPlace {
                    bucket,
                    prefix: self.audit_anchor_prefix.clone(),
                    retain_days: i64::from(self.audit_anchor_retain_days.max(1)),
                },
                records,
                every,
            })),
        }
    }
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
    /// The approvers of each environment: who may sign approvals (allowed_signers files)
    Approvers {
        #[command(subcommand)]
        command: ApproversCommand,
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
    Show {
        id: String,
        /// Print only the exact text an approver signs (with `ssh-keygen -Y sign -n
        /// espada-aws-approval`)
        #[arg(long)]
        canonical: bool,
        /// With --canonical: the text of a rejection
        #[arg(long, requires = "canonical")]
        reject: bool,
    },
    /// Approve a request: signed with your SSH key, or typed at your terminal
    Approve(VoteArgs),
    /// Reject a request: signed with your SSH key, or typed at your terminal
    Reject(VoteArgs),
}

#[derive(Debug, Args)]
pub struct VoteArgs {
    pub id: String,
    /// Sign with this SSH private key: by `ssh-keygen -Y sign` where installed (agent,
    /// passphrase and touch keys work), else in-process from an unencrypted key file
    #[arg(long, value_name = "PATH", conflicts_with = "signature")]
    pub key: Option<std::path::PathBuf>,
    /// A signature made elsewhere over the text of `approvals show ID --canonical`
    #[arg(long, value_name = "FILE")]
    pub signature: Option<std::path::PathBuf>,
    /// A display name for your vote; who voted is your key's principal or your OS user
    #[arg(long = "as", value_name = "NAME")]
    pub display_name: Option<String>,
    #[arg(long)]
    pub comment: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ApproversCommand {
    /// The approvers pinned for each environment
    Show,
    /// Name the allowed_signers file (git's format) of an environment's approvers. The first
    /// one is set by a person at a terminal; changing it opens an approval request that the
    /// existing approvers sign, applied with --approval-request
    Set {
        environment: String,
        file: std::path::PathBuf,
        /// The approved request for this change
        #[arg(long, value_name = "ID")]
        approval_request: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain and check every signed vote; exit 1 when a record was edited,
    /// inserted or deleted or a signature does not verify
    Verify {
        /// Also check the chain against every anchor written to the anchor bucket
        #[arg(long)]
        anchors: bool,
        #[command(flatten)]
        place: AnchorArgs,
    },
    /// Write the chain's head (record count, hash, time) to an S3 object under Object Lock
    Anchor {
        #[command(flatten)]
        place: AnchorArgs,
        /// Days the anchor is locked (compliance mode)
        #[arg(long, default_value_t = 365)]
        retain_days: i64,
    },
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

#[derive(Debug, Args)]
pub struct AnchorArgs {
    /// A bucket created with Object Lock enabled
    #[arg(long, env = "ESPADA_AUDIT_ANCHOR_BUCKET")]
    pub bucket: Option<String>,
    /// Key prefix of the anchors
    #[arg(
        long,
        env = "ESPADA_AUDIT_ANCHOR_PREFIX",
        default_value = "espada-aws/audit-anchors/"
    )]
    pub prefix: String,
}

impl AnchorArgs {
    fn place(&self, retain_days: i64) -> anyhow::Result<AnchorPlace> {
        let Some(bucket) = self.bucket.clone().filter(|b| !b.is_empty()) else {
            anyhow::bail!(
                "name the anchor bucket (created with Object Lock) with --bucket or \
                 ESPADA_AUDIT_ANCHOR_BUCKET"
            );
        };
        Ok(AnchorPlace {
            bucket,
            prefix: self.prefix.clone(),
            retain_days,
        })
    }
}

impl GlobalArgs {
    pub fn settings(&self) -> Settings {
        Settings {
            region: self.region.clone().filter(|r| !r.is_empty()),
            profile: self.profile.clone().filter(|p| !p.is_empty()),
            read_only: self.read_only,
            allow_sensitive_data: self.allow_sensitive_data,
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

/// Why an unsigned vote without a terminal is refused. It says what approvals are for and how
/// a person gives one; it never says how a program could pass for a person.
pub const NOT_A_TERMINAL: &str = "approvals are decisions by people, so an unsigned vote is \
taken only from a person typing at a terminal, and this run has none (stdin and stderr are not \
a terminal). If you are an AI agent or a script: do not try to approve; show the request to the \
user and let them decide. A person approves in their own terminal (`espada-aws approvals \
approve ID`) or signs with their own SSH key (`--key`)";

/// Runs an `approvals` subcommand; returns whether it succeeded. Votes (and refused votes) are
/// audited in the transaction that records them.
pub async fn approvals(dispatcher: &Dispatcher, command: ApprovalsCommand) -> anyhow::Result<bool> {
    let g = &dispatcher.guardrails;
    let (args, approve) = match command {
        ApprovalsCommand::List { all } => {
            let status = if all { None } else { Some(Status::Pending) };
            let list = g.store.approvals(status, 200)?;
            if list.is_empty() {
                println!("no {}approval requests", if all { "" } else { "pending " });
            }
            for r in list {
                println!(
                    "{}  {:<9} {} {} env={} risk={} approvals={}/{}{} requester={} expires={}",
                    r.id,
                    r.status.as_str(),
                    r.call.tool,
                    r.call.action,
                    r.call.environment.map(|e| e.as_str()).unwrap_or("unknown"),
                    r.call.risk.as_str(),
                    r.approvals,
                    r.min_approvers,
                    if r.signed_approvals { " signed" } else { "" },
                    r.requester,
                    r.expires_at
                );
            }
            return Ok(true);
        }
        ApprovalsCommand::Show {
            id,
            canonical,
            reject,
        } => {
            let Some(r) = g.store.approval(&id)? else {
                anyhow::bail!("no approval request {id}");
            };
            if canonical {
                print!("{}", canonical_text(&r, !reject));
            } else {
                println!("{}", serde_json::to_string_pretty(&r)?);
            }
            return Ok(true);
        }
        ApprovalsCommand::Approve(args) => (args, true),
        ApprovalsCommand::Reject(args) => (args, false),
    };
    let Some(req) = g.store.approval(&args.id)? else {
        eprintln!("no approval request {}", args.id);
        return Ok(false);
    };
    let proof = if let Some(path) = &args.signature {
        match std::fs::read_to_string(path) {
            Ok(pem) => Proof::Signature(pem),
            Err(e) => {
                eprintln!("cannot read the signature {}: {e}", path.display());
                return Ok(false);
            }
        }
    } else if let Some(key) = &args.key {
        match signing::sign(key, canonical_text(&req, approve).as_bytes()) {
            Ok(pem) => Proof::Signature(pem),
            Err(why) => {
                eprintln!("{why}");
                return Ok(false);
            }
        }
    } else {
        let user = os_user();
        if let Err(why) = person_at_terminal(&describe(&req), approve) {
            let refused = refused_vote(&req.id, &user, approve, &why);
            g.store.append_audit(&refused)?;
            eprintln!("{why}");
            return Ok(false);
        }
        Proof::Terminal { user }
    };
    let ballot = Ballot {
        proof,
        approve,
        display_name: args.display_name.filter(|n| !n.trim().is_empty()),
        comment: args.comment,
    };
    match g.vote(&dispatcher.aws, &req.id, ballot).await {
        Ok(r) => {
            println!(
                "{} is {} ({} of {} approvals{})",
                r.id,
                r.status.as_str(),
                r.approvals,
                r.min_approvers,
                if r.signed_approvals { ", signed" } else { "" }
            );
            Ok(true)
        }
        Err(e) => {
            eprintln!("{e}");
            Ok(false)
        }
    }
}

/// Runs an `approvers` subcommand; returns whether it succeeded.
pub fn approvers(dispatcher: &Dispatcher, command: ApproversCommand) -> anyhow::Result<bool> {
    let store = &dispatcher.guardrails.store;
    let (env, file, approval_request) = match command {
        ApproversCommand::Show => {
            let all = store.approvers()?;
            if all.is_empty() {
                println!("no approvers are configured; signed approvals are off everywhere");
            }
            for (env, a) in all {
                println!(
                    "{}: {} (from {}, sha256 {}, set {})",
                    env.as_str(),
                    a.principals.join(", "),
                    a.path,
                    a.sha256,
                    a.set_at
                );
            }
            return Ok(true);
        }
        ApproversCommand::Set {
            environment,
            file,
            approval_request,
        } => (environment, file, approval_request),
    };
    let Some(env) = Environment::parse(&env) else {
        anyhow::bail!("unknown environment {env}: production, staging, testing or development");
    };
    let text = std::fs::read_to_string(&file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let path = std::fs::canonicalize(&file).unwrap_or(file.clone());
    let path = path.display().to_string();
    let user = os_user();
    let first = !store.approvers()?.contains_key(&env);
    if first
        && let Err(why) = person_at_terminal(
            &format!(
                "the first approvers of {}: {}",
                env.as_str(),
                signing::AllowedSigners::parse(&text)
                    .map(|s| s.principals().join(", "))
                    .unwrap_or_default()
            ),
            true,
        )
    {
        eprintln!("{why}");
        return Ok(false);
    }
    let outcome =
        store.change_approvers(env, &path, &text, &user, approval_request.as_deref(), first)?;
    match outcome {
        Ok(ApproversChange::Bootstrapped(a)) | Ok(ApproversChange::Applied(a)) => {
            println!(
                "approvers of {}: {} (pinned from {})",
                env.as_str(),
                a.principals.join(", "),
                a.path
            );
            Ok(true)
        }
        Ok(ApproversChange::Unchanged) => {
            println!("approvers of {} unchanged", env.as_str());
            Ok(true)
        }
        Ok(ApproversChange::Requested(req)) => {
            println!(
                "changing the approvers of {} needs {} signed approval(s) by its current \
                 approvers: approval request {}. Each signs it with `espada-aws approvals \
                 approve {} --key KEY`; then run this command again with --approval-request {}",
                env.as_str(),
                req.min_approvers,
                req.id,
                req.id,
                req.id
            );
            Ok(true)
        }
        Err(why) => {
            eprintln!("{why}");
            Ok(false)
        }
    }
}

/// A short line naming a request, for the person deciding on it.
fn describe(r: &ApprovalRequest) -> String {
    if let Some(plan) = &r.call.plan {
        return format!(
            "{}: plan {} of {} step(s) in {} (risk {}), requested by {}; reason: {}; steps: {}",
            r.id,
            plan.id,
            plan.steps.len(),
            r.call.environment.map(|e| e.as_str()).unwrap_or("unknown"),
            r.call.risk.as_str(),
            r.requester,
            r.call.reason,
            crate::guardrails::approvals::steps_text(plan)
        );
    }
    format!(
        "{}: {} {} in {} (risk {}), requested by {}; arguments {}; reason: {}",
        r.id,
        r.call.tool,
        r.call.action,
        r.call.environment.map(|e| e.as_str()).unwrap_or("unknown"),
        r.call.risk.as_str(),
        r.requester,
        Value::Object(r.call.arguments.clone()),
        r.call.reason
    )
}

/// Asks the person at this terminal to type back a short code shown for this decision. Refuses
/// when stdin or stderr is not a terminal.
fn person_at_terminal(what: &str, approve: bool) -> Result<(), String> {
    use std::io::{BufRead, IsTerminal, Write};
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(NOT_A_TERMINAL.to_string());
    }
    let code = short_code();
    let mut err = std::io::stderr();
    let verb = if approve { "approve" } else { "reject" };
    let _ = write!(
        err,
        "{what}\nTo {verb}, type the code {code} and press Enter (anything else cancels): "
    );
    let _ = err.flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the code: {e}"))?;
    if line.trim().eq_ignore_ascii_case(&code) {
        Ok(())
    } else {
        Err("the code was not typed back; nothing was recorded".into())
    }
}

/// Six characters that are hard to mistake for one another.
fn short_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).expect("the OS random source works");
    bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

/// The audit record of a vote refused before it reached the store (no terminal, no code).
fn refused_vote(id: &str, user: &str, approve: bool, why: &str) -> AuditRecord {
    let mut input = Map::new();
    input.insert("request_id".into(), json!(audit::clip(id, 64)));
    input.insert("channel".into(), json!("terminal"));
    AuditRecord {
        kind: "vote".into(),
        correlation_id: new_id("vote"),
        actor: format!("person:{}", audit::clip(user, 64)),
        tool: "aws_guardrails".into(),
        action: format!("{}_request", if approve { "approve" } else { "reject" }),
        targets: vec![audit::clip(id, 64)],
        input,
        outcome: "refused".into(),
        detail: audit::clip(why, 512),
        ..AuditRecord::default()
    }
}

/// Runs an `audit` subcommand; returns whether it succeeded (verify: the chain is intact).
pub async fn audit(dispatcher: &Dispatcher, command: AuditCommand) -> anyhow::Result<bool> {
    let store = &dispatcher.guardrails.store;
    match command {
        AuditCommand::Verify { anchors, place } => {
            let mut problems = match store.verify_audit()? {
                Ok(_) => Vec::new(),
                Err(p) => p,
            };
            let mut checked = 0;
            if anchors {
                let place = place.place(0)?;
                let s3: aws_sdk_s3::Client =
                    dispatcher.aws.client(crate::aws::At::default(), None).await;
                let all = anchor::read_all(&s3, &place)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                checked = all.len();
                problems.extend(anchor::check(store, &all)?);
            }
            if problems.is_empty() {
                let n = store.audit_head()?.map(|h| h.seq).unwrap_or(0);
                println!(
                    "audit log intact: {n} record(s) in {}{}",
                    store.path().display(),
                    if anchors {
                        format!(", consistent with {checked} anchor(s)")
                    } else {
                        String::new()
                    }
                );
                Ok(true)
            } else {
                println!("audit log TAMPERED ({}):", store.path().display());
                for p in problems {
                    println!("  {p}");
                }
                Ok(false)
            }
        }
        AuditCommand::Anchor { place, retain_days } => {
            let place = place.place(retain_days)?;
            let s3: aws_sdk_s3::Client =
                dispatcher.aws.client(crate::aws::At::default(), None).await;
            let (a, key) = anchor::write(&s3, store, &place)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "anchored record {} ({}) at s3://{}/{key}, locked {} day(s)",
                a.seq, a.hash, place.bucket, retain_days
            );
            Ok(true)
        }
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
