//! The append-only audit log. Each record holds the SHA-256 of the previous one, with the head
//! kept in its own row; `verify` recomputes the chain and reports any edited, inserted or
//! deleted record.
//!
//! A call that changes AWS is written ahead: an `intent` record (who, what, where, the bounded
//! input, the process) is appended before AWS is touched, in the same transaction that admits
//! the call, and an `outcome` record with the same correlation id after. An intent without an
//! outcome whose process is gone is shown as `interrupted`: the call may have changed AWS.
//! Every other call (reads, refusals, confirmations, pending approvals, dry runs), every vote
//! and every unknown-tool call is one `call` (or `vote`) record.
//!
//! Inputs are bounded: the record keeps the SHA-256 of the canonical arguments, their size, and
//! a redacted copy whose strings, lists and total size are cut.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::{
    confirm,
    store::{Result, Store, now, rfc3339},
};

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Keys whose values never reach the audit log, approval records or plans.
const SECRET_KEYS: &[&str] = &[
    "password",
    "secret",
    "private_key",
    "user_data",
    "token",
    "body",
    "credential",
];

/// The longest string kept in an audited input, in bytes.
pub const MAX_STRING_BYTES: usize = 256;
/// The most items of one list or object kept in an audited input.
pub const MAX_ITEMS: usize = 50;
/// The most bytes of a whole audited input; past it only its keys are kept.
pub const MAX_INPUT_BYTES: usize = 8 * 1024;
/// The longest `detail` (an error message, a note) kept in a record, in bytes.
pub const MAX_DETAIL_BYTES: usize = 2 * 1024;
/// The most target ids kept in a record.
pub const MAX_TARGETS: usize = 100;

/// Unfinished calls older than this count as interrupted where the process cannot be checked.
const STALE_SECS: i64 = 15 * 60;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// call (one record for the whole call), intent (before AWS is touched), outcome (after),
    /// vote (a person's decision), note (`log_action`)
    #[serde(default = "call_kind")]
    pub kind: String,
    pub correlation_id: String,
    pub actor: String,
    pub tool: String,
    pub action: String,
    pub targets: Vec<String>,
    pub input: Map<String, Value>,
    /// SHA-256 of the canonical arguments (before redaction and truncation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_sha256: Option<String>,
    /// Size of the canonical arguments in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_bytes: Option<usize>,
    /// Whether `input` was cut to fit.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub input_truncated: bool,
    /// ok, refused, confirmation_required, pending_approval, failed, dry_run, logged,
    /// unknown_tool, invalid_input, started (an intent)
    pub outcome: String,
    pub detail: String,
    pub duration_ms: u64,
    pub environment: Option<String>,
    pub account: Option<String>,
    pub region: Option<String>,
    /// The process that wrote an intent, to tell an interrupted call from a running one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<ProcessId>,
    /// The plan this call is a step of, and its step number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_step: Option<u32>,
}

fn call_kind() -> String {
    "call".into()
}

/// An empty `call` record, to fill in.
impl Default for AuditRecord {
    fn default() -> Self {
        Self {
            kind: call_kind(),
            correlation_id: String::new(),
            actor: String::new(),
            tool: String::new(),
            action: String::new(),
            targets: Vec::new(),
            input: Map::new(),
            input_sha256: None,
            input_bytes: None,
            input_truncated: false,
            outcome: String::new(),
            detail: String::new(),
            duration_ms: 0,
            environment: None,
            account: None,
            region: None,
            process: None,
            plan_id: None,
            plan_step: None,
        }
    }
}

/// A process, told apart from a later one with the same pid by its start time and the boot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessId {
    pub pid: u32,
    /// Start time in clock ticks since boot (`/proc/PID/stat`), where the OS says.
    pub start: Option<u64>,
    pub boot: Option<String>,
}

impl ProcessId {
    /// This process.
    pub fn current() -> Self {
        let pid = std::process::id();
        Self {
            pid,
            start: proc_start(pid),
            boot: boot_id(),
        }
    }

    /// Whether the process still runs: `Some(false)` when it is certainly gone, `None` when the
    /// OS cannot say (no `/proc`).
    pub fn alive(&self) -> Option<bool> {
        let (Some(start), Some(boot)) = (self.start, self.boot.as_deref()) else {
            return None;
        };
        let now_boot = boot_id()?;
        if now_boot != boot {
            return Some(false);
        }
        Some(proc_start(self.pid) == Some(start))
    }
}

fn proc_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces; field 22 is the start.
    let rest = stat.rsplit_once(')')?.1;
    rest.split_whitespace().nth(19)?.parse().ok()
}

fn boot_id() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .ok()
        .map(|s| s.trim().to_string())
}

/// One call in the log: its record (for a written-ahead call, the intent with the outcome's
/// result merged in), as queries and `espada-aws audit list` show it.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    #[serde(flatten)]
    pub record: AuditRecord,
    /// The sequence number of the outcome record, for a written-ahead call that finished.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome_seq: Option<i64>,
    #[serde(skip)]
    pub at_secs: i64,
}

/// An audited input: the bounded, redacted copy, and what identifies the real one.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundedInput {
    pub input: Map<String, Value>,
    pub sha256: String,
    pub bytes: usize,
    pub truncated: bool,
}

/// Replaces the values of secret-looking keys, at any depth (lists included).
pub fn redact(input: &Map<String, Value>) -> Map<String, Value> {
    input
        .iter()
        .map(|(k, v)| {
            let v = if is_secret(k) {
                json!("[redacted]")
            } else {
                redact_value(v)
            };
            (k.clone(), v)
        })
        .collect()
}

fn redact_value(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(redact(m)),
        Value::Array(items) => Value::Array(items.iter().map(redact_value).collect()),
        other => other.clone(),
    }
}

fn is_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_KEYS.iter().any(|s| key.contains(s))
}

/// The audited form of a call's arguments: redacted, each string cut at
/// [`MAX_STRING_BYTES`], each list and object at [`MAX_ITEMS`], and the whole at
/// [`MAX_INPUT_BYTES`] (past which only the keys are kept), with the SHA-256 and size of the
/// canonical arguments so that the real input can still be recognised.
pub fn bounded(args: &Map<String, Value>) -> BoundedInput {
    let canonical = confirm::canonical(&Value::Object(args.clone()));
    let sha256 = hex(&Sha256::digest(canonical.as_bytes()));
    let mut truncated = false;
    let mut input = match cut(&Value::Object(redact(args)), 0, &mut truncated) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    if serde_json::to_string(&input).map_or(0, |s| s.len()) > MAX_INPUT_BYTES {
        truncated = true;
        let keys: Vec<&String> = args.keys().take(MAX_ITEMS).collect();
        input = Map::new();
        input.insert(
            "_truncated".into(),
            json!(format!(
                "input of {} bytes; keys: {}",
                canonical.len(),
                keys.iter()
                    .map(|k| clip(k, 64))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        );
    }
    BoundedInput {
        input,
        sha256,
        bytes: canonical.len(),
        truncated,
    }
}

fn cut(v: &Value, depth: usize, truncated: &mut bool) -> Value {
    match v {
        Value::String(s) if s.len() > MAX_STRING_BYTES => {
            *truncated = true;
            json!(format!("{}…[{} bytes]", clip(s, MAX_STRING_BYTES), s.len()))
        }
        Value::Array(_) | Value::Object(_) if depth >= 8 => {
            *truncated = true;
            json!("[nested too deep]")
        }
        Value::Array(items) => {
            let mut out: Vec<Value> = items
                .iter()
                .take(MAX_ITEMS)
                .map(|i| cut(i, depth + 1, truncated))
                .collect();
            if items.len() > MAX_ITEMS {
                *truncated = true;
                out.push(json!(format!("[{} more]", items.len() - MAX_ITEMS)));
            }
            Value::Array(out)
        }
        Value::Object(map) => {
            let mut out: Map<String, Value> = map
                .iter()
                .take(MAX_ITEMS)
                .map(|(k, v)| (clip(k, 64), cut(v, depth + 1, truncated)))
                .collect();
            if map.len() > MAX_ITEMS {
                *truncated = true;
                out.insert("_more".into(), json!(map.len() - MAX_ITEMS));
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// `text` cut to at most `max` bytes, on a character boundary.
pub fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn chain_hash(prev: &str, seq: i64, at: i64, record: &str) -> String {
    let mut h = Sha256::new();
    h.update(format!("{prev}|{seq}|{at}|{record}").as_bytes());
    hex(&h.finalize())
}

/// Filters for `query_audit`.
#[derive(Debug, Default, Clone)]
pub struct AuditQuery {
    pub tool: Option<String>,
    pub action: Option<String>,
    /// The outcome as shown: ok, refused, …, `interrupted` or `in_progress` for written-ahead
    /// calls without an outcome.
    pub outcome: Option<String>,
    pub environment: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// Only records older than this sequence number (the cursor of the next page).
    pub before_seq: Option<i64>,
}

/// Appends `record` to the chain inside `tx`; returns its sequence number. Callers that must
/// not act without a record (admitting a call, a vote) append in their own transaction.
pub fn append_in(tx: &Transaction<'_>, record: &AuditRecord) -> rusqlite::Result<i64> {
    let mut record = record.clone();
    record.detail = clip(&record.detail, MAX_DETAIL_BYTES);
    record.targets.truncate(MAX_TARGETS);
    let text = serde_json::to_string(&record).expect("audit record serialises");
    let at = now();
    let (seq, prev): (i64, String) = tx
        .query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?
        .unwrap_or((0, GENESIS.to_string()));
    let seq = seq + 1;
    let hash = chain_hash(&prev, seq, at, &text);
    tx.execute(
        "INSERT INTO audit (seq, at, record, prev_hash, hash, kind, correlation_id, tool, action,
             outcome, environment)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            seq,
            at,
            text,
            prev,
            hash,
            record.kind,
            record.correlation_id,
            record.tool,
            record.action,
            record.outcome,
            record.environment
        ],
    )?;
    tx.execute(
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?1, ?2)
         ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        params![seq, hash],
    )?;
    Ok(seq)
}

/// A listed row: seq, at, record, and the outcome record's seq and text, if any.
type Row = (i64, i64, String, Option<i64>, Option<String>);

/// The listed calls: every record but outcomes, each intent joined to its outcome.
const LISTED: &str = "FROM audit a LEFT JOIN audit o
         ON o.kind = 'outcome' AND o.correlation_id = a.correlation_id AND a.kind = 'intent'
     WHERE a.kind != 'outcome'";

impl Store {
    /// Appends a record and returns its sequence number.
    pub fn append_audit(&self, record: &AuditRecord) -> Result<i64> {
        self.write(|tx| append_in(tx, record))
    }

    /// Recomputes the chain. `Ok(n)` with the number of records when intact, else the problems.
    pub fn verify_audit(&self) -> Result<std::result::Result<i64, Vec<String>>> {
        self.read(|c| {
            let mut problems = Vec::new();
            let mut stmt =
                c.prepare("SELECT seq, at, record, prev_hash, hash FROM audit ORDER BY seq")?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })?;
            let (mut expected_seq, mut prev_hash) = (1i64, GENESIS.to_string());
            let mut count = 0;
            for row in rows {
                let (seq, at, record, prev, hash) = row?;
                if seq != expected_seq {
                    problems.push(format!("records {expected_seq}..{} are missing", seq - 1));
                }
                if prev != prev_hash {
                    problems.push(format!("record {seq} does not follow the record before it"));
                }
                if chain_hash(&prev, seq, at, &record) != hash {
                    problems.push(format!("record {seq} was modified after it was written"));
                }
                if let Some(why) = check_signed_vote(&record) {
                    problems.push(format!("record {seq}: {why}"));
                }
                prev_hash = hash;
                expected_seq = seq + 1;
                count += 1;
            }
            let head: Option<(i64, String)> = c
                .query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            match head {
                Some((seq, hash)) if seq != expected_seq - 1 || hash != prev_hash => {
                    problems.push(format!(
                        "the log ends at record {} but {seq} were written: records were removed",
                        expected_seq - 1
                    ))
                }
                None if count > 0 => problems.push("the log's head record is missing".into()),
                _ => {}
            }
            problems.extend(check_signed_votes(c)?);
            Ok(if problems.is_empty() {
                Ok(count)
            } else {
                Err(problems)
            })
        })
    }

    /// Calls matching `q`, newest first, at most `limit`, and whether more match. Filtering and
    /// the limit are SQL's; a page reads only the rows it returns (and, for `interrupted` or
    /// `in_progress`, the unfinished calls it has to check).
    pub fn query_audit(&self, q: &AuditQuery, limit: usize) -> Result<(Vec<AuditEntry>, bool)> {
        let unfinished = matches!(q.outcome.as_deref(), Some("interrupted" | "in_progress"));
        let sql = format!(
            "SELECT a.seq, a.at, a.record, o.seq, o.record {LISTED}
               AND a.at >= ?1 AND a.at <= ?2 AND a.seq < ?3
               AND (?4 IS NULL OR a.tool = ?4) AND (?5 IS NULL OR a.action = ?5)
               AND (?6 IS NULL OR a.environment = ?6)
               AND (?7 IS NULL OR COALESCE(o.outcome, a.outcome) = ?7)
               AND (?8 = 0 OR (a.kind = 'intent' AND o.seq IS NULL))
             ORDER BY a.seq DESC LIMIT ?9"
        );
        let outcome = if unfinished { None } else { q.outcome.clone() };
        let mut before = q.before_seq.unwrap_or(i64::MAX);
        let mut out: Vec<AuditEntry> = Vec::new();
        loop {
            // Unfinished calls are told apart (still running or interrupted) after reading,
            // so their pages may need topping up.
            let batch = limit.saturating_add(1).min(10_000);
            let rows: Vec<Row> = self.read(|c| {
                let mut stmt = c.prepare_cached(&sql)?;
                stmt.query_map(
                    params![
                        q.since.unwrap_or(0),
                        q.until.unwrap_or(i64::MAX),
                        before,
                        q.tool,
                        q.action,
                        q.environment,
                        outcome,
                        unfinished,
                        batch as i64
                    ],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )?
                .collect()
            })?;
            let exhausted = rows.len() < batch;
            for (seq, at, text, outcome_seq, outcome_text) in rows {
                before = seq;
                let Some(entry) = entry(seq, at, &text, outcome_seq, outcome_text.as_deref())
                else {
                    continue;
                };
                if q.outcome
                    .as_ref()
                    .is_none_or(|o| *o == entry.record.outcome)
                {
                    out.push(entry);
                }
                if out.len() > limit {
                    break;
                }
            }
            if out.len() > limit || exhausted {
                break;
            }
        }
        let more = out.len() > limit;
        out.truncate(limit);
        Ok((out, more))
    }

    /// Totals by outcome and environment and the most frequent actions between `since` and
    /// `until`, counted by SQL. Unfinished written-ahead calls count as `unfinished`.
    pub fn audit_summary(&self, since: i64, until: i64) -> Result<Value> {
        self.read(|c| {
            let count = |sql: &str| -> rusqlite::Result<Vec<(String, u64)>> {
                let mut stmt = c.prepare(sql)?;
                stmt.query_map(params![since, until], |r| {
                    Ok((
                        r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                        r.get::<_, i64>(1)?.max(0) as u64,
                    ))
                })?
                .collect()
            };
            let by_outcome = count(&format!(
                "SELECT CASE WHEN a.kind = 'intent' AND o.seq IS NULL THEN 'unfinished'
                        ELSE COALESCE(o.outcome, a.outcome) END AS out, COUNT(*)
                 {LISTED} AND a.at >= ?1 AND a.at <= ?2 GROUP BY out"
            ))?;
            let by_environment = count(
                "SELECT environment, COUNT(*) FROM audit
                 WHERE kind != 'outcome' AND environment IS NOT NULL AND at >= ?1 AND at <= ?2
                 GROUP BY environment",
            )?;
            let top = count(
                "SELECT tool || ' ' || action AS a, COUNT(*) AS n FROM audit
                 WHERE kind != 'outcome' AND at >= ?1 AND at <= ?2
                 GROUP BY tool, action ORDER BY n DESC, a LIMIT 10",
            )?;
            let total: u64 = by_outcome.iter().map(|(_, n)| n).sum();
            Ok(json!({
                "since": rfc3339(since),
                "until": rfc3339(until),
                "total": total,
                "by_outcome": by_outcome.into_iter().collect::<BTreeMap<_, _>>(),
                "by_environment": by_environment.into_iter().collect::<BTreeMap<_, _>>(),
                "top_actions": top.into_iter()
                    .map(|(a, n)| json!({"action": a, "count": n}))
                    .collect::<Vec<_>>(),
            }))
        })
    }
}

/// One listed call from its record and, for an intent, its outcome record.
fn entry(
    seq: i64,
    at: i64,
    text: &str,
    outcome_seq: Option<i64>,
    outcome_text: Option<&str>,
) -> Option<AuditEntry> {
    let mut record: AuditRecord = serde_json::from_str(text).ok()?;
    if record.kind == "intent" {
        match outcome_text.and_then(|t| serde_json::from_str::<AuditRecord>(t).ok()) {
            Some(o) => {
                record.outcome = o.outcome;
                record.detail = o.detail;
                record.duration_ms = o.duration_ms;
            }
            None => {
                let gone = match record.process.as_ref().and_then(ProcessId::alive) {
                    Some(alive) => !alive,
                    None => now() - at > STALE_SECS,
                };
                (record.outcome, record.detail) = if gone {
                    (
                        "interrupted".into(),
                        "the process stopped before the call finished; AWS may have made the \
                         change: check the targets"
                            .into(),
                    )
                } else {
                    ("in_progress".into(), "the call is still running".into())
                };
            }
        }
    }
    Some(AuditEntry {
        seq,
        at: rfc3339(at),
        record,
        outcome_seq,
        at_secs: at,
    })
}

/// A signed vote's record must carry a signature that still verifies, by the key it names, over
/// the text it says was signed, for the request it names. `None` when the record is fine or is
/// not a signed vote.
fn check_signed_vote(record: &str) -> Option<String> {
    let r: AuditRecord = serde_json::from_str(record).ok()?;
    if r.kind != "vote" || r.outcome == "refused" {
        return None;
    }
    let sig = r.input.get("signature")?.as_str()?;
    let text = r
        .input
        .get("signed_text")
        .and_then(Value::as_str)
        .unwrap_or("");
    let fingerprint = r.input.get("key_fingerprint").and_then(Value::as_str);
    match super::signing::check(text.as_bytes(), sig) {
        Err(why) => Some(format!("the signed vote does not verify: {why}")),
        Ok((_, fp)) if Some(fp.as_str()) != fingerprint => {
            Some("the signed vote names another key than the one that signed".into())
        }
        Ok(_) => {
            let id = r.targets.first().map(String::as_str).unwrap_or("");
            (!text.lines().any(|l| l == format!("request: {id}")))
                .then(|| format!("the signed vote's text is not about {id}"))
        }
    }
}

/// Every signed vote stored with an approval request must verify over that request's canonical
/// text, by a key the approvers' pinned file lists for the principal it counted for.
fn check_signed_votes(c: &rusqlite::Connection) -> rusqlite::Result<Vec<String>> {
    use super::approvals::{Approvers, canonical_text};
    let approvers: BTreeMap<super::environment::Environment, Approvers> = c
        .query_row(
            "SELECT value FROM config WHERE key = ?1",
            [super::approvals::APPROVERS_KEY],
            |r| r.get::<_, String>(0),
        )
        .optional()?
        .and_then(|v| serde_json::from_str(&v).ok())
        .unwrap_or_default();
    let ids: Vec<String> = c
        .prepare("SELECT DISTINCT request_id FROM approval_votes WHERE signature IS NOT NULL")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut problems = Vec::new();
    for id in ids {
        let Some(req) = super::approvals::load_request(c, &id)? else {
            continue;
        };
        for v in req.votes.iter().filter(|v| v.signature.is_some()) {
            let text = canonical_text(&req, v.decision == "approve");
            let sig = v.signature.as_deref().unwrap_or("");
            match super::signing::check(text.as_bytes(), sig) {
                Err(why) => problems.push(format!(
                    "{id}: the signed vote of {} does not verify: {why}",
                    v.approver
                )),
                Ok((_, fp)) => {
                    // The key must still be listed for this principal, unless the approvers
                    // changed since (the log records who could sign when).
                    let env = req
                        .call
                        .environment
                        .unwrap_or(super::environment::Environment::Production);
                    let listed = approvers.get(&env).and_then(|a| a.signers().ok()).map(|s| {
                        s.signers.iter().any(|k| {
                            k.principals.first() == Some(&v.approver)
                                && k.key.fingerprint(ssh_key::HashAlg::Sha256).to_string() == fp
                        })
                    });
                    if v.key_fingerprint.as_deref() != Some(fp.as_str()) {
                        problems.push(format!(
                            "{id}: the signed vote of {} names another key than the one that \
                             signed",
                            v.approver
                        ));
                    } else if listed == Some(false)
                        && approvers
                            .get(&env)
                            .map(|a| a.principals.contains(&v.approver))
                            == Some(true)
                    {
                        problems.push(format!(
                            "{id}: {} signed with a key the approvers' file does not list for them",
                            v.approver
                        ));
                    }
                }
            }
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_redacted_at_any_depth_and_bounded() {
        let big = "x".repeat(10 * 1024 * 1024);
        let args = json!({
            "user_data": "secret script",
            "items": [{"password": "p"}, {"name": "ok"}],
            "description": big,
        });
        let b = bounded(args.as_object().unwrap());
        let text = serde_json::to_string(&b.input).unwrap();
        assert!(text.len() < MAX_INPUT_BYTES, "{}", text.len());
        assert!(
            !text.contains("secret script") && !text.contains("\"p\""),
            "{text}"
        );
        assert!(b.truncated);
        assert_eq!(b.bytes, confirm::canonical(&args).len());
        assert_eq!(b.sha256.len(), 64);
        let many: Map<String, Value> = (0..5000).map(|i| (format!("k{i}"), json!(i))).collect();
        let b = bounded(&many);
        assert!(serde_json::to_string(&b.input).unwrap().len() < MAX_INPUT_BYTES);
    }

    #[test]
    fn this_process_is_alive() {
        let me = ProcessId::current();
        if me.start.is_some() {
            assert_eq!(me.alive(), Some(true));
            let gone = ProcessId {
                start: me.start.map(|s| s + 1),
                ..me
            };
            assert_eq!(gone.alive(), Some(false));
        }
    }
}
