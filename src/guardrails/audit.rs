//! The append-only audit log: one record per call (allowed, refused, pending, failed), each
//! holding the SHA-256 of the previous record, with the head kept in its own row. `verify`
//! recomputes the chain and reports any edited, inserted or deleted record.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::store::{Result, Store, now, rfc3339};

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Keys whose values never reach the audit log.
const SECRET_KEYS: &[&str] = &[
    "password",
    "secret",
    "private_key",
    "user_data",
    "token",
    "body",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AuditRecord {
    pub correlation_id: String,
    pub actor: String,
    pub tool: String,
    pub action: String,
    pub targets: Vec<String>,
    pub input: Map<String, Value>,
    /// ok, refused, confirmation_required, pending_approval, failed, dry_run, logged
    pub outcome: String,
    pub detail: String,
    pub duration_ms: u64,
    pub environment: Option<String>,
    pub account: Option<String>,
    pub region: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    #[serde(flatten)]
    pub record: AuditRecord,
    #[serde(skip)]
    pub at_secs: i64,
}

/// Replaces the values of secret-looking keys, at any depth.
pub fn redact(input: &Map<String, Value>) -> Map<String, Value> {
    input
        .iter()
        .map(|(k, v)| {
            let secret = SECRET_KEYS
                .iter()
                .any(|s| k.to_ascii_lowercase().contains(s));
            let v = match v {
                _ if secret => json!("[redacted]"),
                Value::Object(m) => Value::Object(redact(m)),
                other => other.clone(),
            };
            (k.clone(), v)
        })
        .collect()
}

fn chain_hash(prev: &str, seq: i64, at: i64, record: &str) -> String {
    let mut h = Sha256::new();
    h.update(format!("{prev}|{seq}|{at}|{record}").as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Filters for `query_audit`.
#[derive(Debug, Default, Clone)]
pub struct AuditQuery {
    pub tool: Option<String>,
    pub action: Option<String>,
    pub outcome: Option<String>,
    pub environment: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// Only records older than this sequence number (the cursor of the next page).
    pub before_seq: Option<i64>,
}

impl Store {
    /// Appends a record and returns its sequence number.
    pub fn append_audit(&self, record: &AuditRecord) -> Result<i64> {
        let text = serde_json::to_string(record).expect("audit record serialises");
        let at = now();
        self.write(|tx| {
            let (seq, prev): (i64, String) = tx
                .query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?
                .unwrap_or((0, GENESIS.to_string()));
            let seq = seq + 1;
            let hash = chain_hash(&prev, seq, at, &text);
            tx.execute(
                "INSERT INTO audit (seq, at, record, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![seq, at, text, prev, hash],
            )?;
            tx.execute(
                "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?1, ?2)
                 ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
                params![seq, hash],
            )?;
            Ok(seq)
        })
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
            Ok(if problems.is_empty() {
                Ok(count)
            } else {
                Err(problems)
            })
        })
    }

    /// Records matching `q`, newest first, after skipping `skip`, at most `limit`.
    pub fn query_audit(
        &self,
        q: &AuditQuery,
        skip: usize,
        limit: usize,
    ) -> Result<(Vec<AuditEntry>, bool)> {
        let rows: Vec<(i64, i64, String)> = self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT seq, at, record FROM audit WHERE at >= ?1 AND at <= ?2 AND seq < ?3
                 ORDER BY seq DESC",
            )?;
            let before = q.before_seq.unwrap_or(i64::MAX);
            stmt.query_map(
                params![q.since.unwrap_or(0), q.until.unwrap_or(i64::MAX), before],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?
            .collect()
        })?;
        let matches = rows.into_iter().filter_map(|(seq, at, text)| {
            let record: AuditRecord = serde_json::from_str(&text).ok()?;
            let keep = q.tool.as_ref().is_none_or(|t| &record.tool == t)
                && q.action.as_ref().is_none_or(|a| &record.action == a)
                && q.outcome.as_ref().is_none_or(|o| &record.outcome == o)
                && q.environment
                    .as_ref()
                    .is_none_or(|e| record.environment.as_ref() == Some(e));
            keep.then(|| AuditEntry {
                seq,
                at: rfc3339(at),
                record,
                at_secs: at,
            })
        });
        let mut page: Vec<AuditEntry> = matches.skip(skip).take(limit + 1).collect();
        let more = page.len() > limit;
        page.truncate(limit);
        Ok((page, more))
    }

    /// Totals by outcome and the most frequent actions between `since` and `until`.
    pub fn audit_summary(&self, since: i64, until: i64) -> Result<Value> {
        let q = AuditQuery {
            since: Some(since),
            until: Some(until),
            ..Default::default()
        };
        let (entries, _) = self.query_audit(&q, 0, usize::MAX - 1)?;
        let mut outcomes: BTreeMap<String, u64> = BTreeMap::new();
        let mut actions: BTreeMap<String, u64> = BTreeMap::new();
        let mut environments: BTreeMap<String, u64> = BTreeMap::new();
        for e in &entries {
            *outcomes.entry(e.record.outcome.clone()).or_default() += 1;
            *actions
                .entry(format!("{} {}", e.record.tool, e.record.action))
                .or_default() += 1;
            if let Some(env) = &e.record.environment {
                *environments.entry(env.clone()).or_default() += 1;
            }
        }
        let mut top: Vec<(String, u64)> = actions.into_iter().collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        top.truncate(10);
        Ok(json!({
            "since": rfc3339(since),
            "until": rfc3339(until),
            "total": entries.len(),
            "by_outcome": outcomes,
            "by_environment": environments,
            "top_actions": top.into_iter().map(|(a, n)| json!({"action": a, "count": n})).collect::<Vec<_>>(),
        }))
    }
}
