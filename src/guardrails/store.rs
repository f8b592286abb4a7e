//! Guardrails state in SQLite: approvals and their votes, change requests, policies,
//! environment protections, rate-limit events, confirmation tokens, pre-operation backups,
//! configuration and the hash-chained audit log.
//!
//! One file is shared by every server process and the CLI: WAL mode, a busy timeout, and
//! `BEGIN IMMEDIATE` for every read-modify-write, so concurrent writers serialise instead of
//! losing updates. The file is created `0600`: it holds approvals and the audit log, and anyone
//! who can write it can change what the guardrails decide.
//!
//! The methods here are synchronous (the CLI uses them as they are). The server's async path
//! goes through [`Store::run`], which hands the work to the store's own thread, so SQLite (and
//! its busy timeout) never holds a tokio worker.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex, Weak, mpsc},
    time::Duration,
};

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

use super::Rules;
use crate::error::ToolError;

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// RFC 3339 text for a Unix time.
pub fn rfc3339(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| secs.to_string())
}

/// A short random id with a prefix, e.g. `apr-3f9c1a2b4d5e`.
pub fn new_id(prefix: &str) -> String {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).expect("the OS random source works");
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}-{hex}")
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("state database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("cannot create the state directory {path}: {source}")]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot create the state file {path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the state file's worker thread stopped; restart espada-aws")]
    Worker,
}

impl From<StoreError> for ToolError {
    fn from(e: StoreError) -> Self {
        ToolError::Transport {
            message: e.to_string(),
            hint: "check that the state file (--state) is writable and not corrupted".into(),
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A handle on the state file; clones share one connection and one worker thread.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    conn: Mutex<Connection>,
    /// The rules last read, with the `rules_version` they were read at.
    rules: Mutex<Option<(i64, Arc<Rules>)>>,
    /// The queue of the store's thread, started on the first [`Store::run`].
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
}

type Job = Box<dyn FnOnce(&Store) + Send>;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS protections (
    environment TEXT PRIMARY KEY,
    approval_required INTEGER NOT NULL,
    min_approvers INTEGER NOT NULL,
    change_request_required INTEGER NOT NULL,
    backup_required INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS policies (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS approvals (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    args_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    requester TEXT NOT NULL,
    min_approvers INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    decided_at INTEGER,
    executed_at INTEGER
);
CREATE INDEX IF NOT EXISTS approvals_by_status ON approvals (status, created_at);
CREATE TABLE IF NOT EXISTS approval_votes (
    request_id TEXT NOT NULL,
    approver TEXT NOT NULL,
    decision TEXT NOT NULL,
    comment TEXT,
    channel TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (request_id, approver)
);
CREATE TABLE IF NOT EXISTS change_requests (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rate_events (bucket TEXT NOT NULL, at INTEGER NOT NULL, count INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS rate_events_by_bucket ON rate_events (bucket, at);
CREATE TABLE IF NOT EXISTS confirmations (
    token TEXT PRIMARY KEY,
    binding TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS backups (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    record TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS plans (
    id TEXT PRIMARY KEY,
    change_request_id TEXT NOT NULL,
    approval_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS plans_by_change ON plans (change_request_id);
CREATE TABLE IF NOT EXISTS plan_steps (
    plan_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    tool TEXT NOT NULL,
    action TEXT NOT NULL,
    args_hash TEXT NOT NULL,
    risk TEXT NOT NULL,
    status TEXT NOT NULL,
    correlation_id TEXT,
    resolved TEXT,
    result TEXT,
    error TEXT,
    started_at INTEGER,
    finished_at INTEGER,
    PRIMARY KEY (plan_id, step)
);
CREATE TABLE IF NOT EXISTS rules_version (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
INSERT OR IGNORE INTO rules_version (id, n) VALUES (1, 0);
"#;

/// Columns of `audit` that queries filter on, copied out of the hashed record text (which stays
/// the only thing the hash chain covers). Added to state files written before they existed.
const AUDIT_COLUMNS: &[(&str, &str)] = &[
    ("kind", "'$.kind'"),
    ("correlation_id", "'$.correlation_id'"),
    ("tool", "'$.tool'"),
    ("action", "'$.action'"),
    ("outcome", "'$.outcome'"),
    ("environment", "'$.environment'"),
];

const AUDIT_INDEXES: &str = r#"
CREATE INDEX IF NOT EXISTS audit_by_at ON audit (at);
CREATE INDEX IF NOT EXISTS audit_by_correlation ON audit (correlation_id, kind);
CREATE INDEX IF NOT EXISTS audit_by_action ON audit (tool, action);
CREATE INDEX IF NOT EXISTS audit_by_outcome ON audit (outcome);
"#;

/// Every change to the rules (config, policies, protections) bumps `rules_version`, whoever
/// makes it (this process, another one, or a person with the sqlite3 shell), so a process can
/// keep the rules it read until the counter moves.
fn version_triggers() -> String {
    let mut sql = String::new();
    for table in ["config", "policies", "protections"] {
        for event in ["INSERT", "UPDATE", "DELETE"] {
            sql.push_str(&format!(
                "CREATE TRIGGER IF NOT EXISTS {table}_{} AFTER {event} ON {table} \
                 BEGIN UPDATE rules_version SET n = n + 1 WHERE id = 1; END;\n",
                event.to_ascii_lowercase()
            ));
        }
    }
    sql
}

impl Store {
    /// Opens (creating if needed, with mode 0600 in a 0700 directory) the state file.
    pub fn open(path: &Path) -> Result<Self> {
        let memory = path.as_os_str() == ":memory:";
        if !memory {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                create_private_dir(dir).map_err(|source| StoreError::Dir {
                    path: dir.to_path_buf(),
                    source,
                })?;
            }
            create_private_file(path).map_err(|source| StoreError::File {
                path: path.to_path_buf(),
                source,
            })?;
        }
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Schema and migrations in one write transaction: processes opening the same state
        // file at once take turns, and the later one sees the columns the first one added.
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let migrated = (|| {
            conn.execute_batch(SCHEMA)?;
            migrate_audit(&conn)?;
            migrate_votes(&conn)?;
            conn.execute_batch(&version_triggers())
        })();
        match migrated {
            Ok(()) => conn.execute_batch("COMMIT")?,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e.into());
            }
        }
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                conn: Mutex::new(conn),
                rules: Mutex::new(None),
                jobs: Mutex::new(None),
            }),
        })
    }

    /// The default state file: `$XDG_STATE_HOME/espada-aws/state.db` (or `~/.local/state/...`).
    pub fn default_path() -> PathBuf {
        let base = std::env::var_os("XDG_STATE_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .unwrap_or_else(|| {
                PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".local/state")
            });
        base.join("espada-aws").join("state.db")
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` on the store's own thread and waits for it without holding an async worker.
    /// Work from one process is done in order, one piece at a time; `f` uses the synchronous
    /// methods and must not call `run` itself.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |store| {
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(store)));
            // A panic in the job drops the sender: the caller gets `Worker`.
            if let Ok(out) = out {
                let _ = tx.send(out);
            }
        });
        self.sender()?.send(job).map_err(|_| StoreError::Worker)?;
        rx.await.map_err(|_| StoreError::Worker)?
    }

    /// The queue of the store's thread, starting the thread on first use. The thread holds only
    /// a weak reference, so it ends when the last handle on the store is dropped.
    fn sender(&self) -> Result<mpsc::Sender<Job>> {
        let mut jobs = self.inner.jobs.lock().expect("store queue lock");
        if let Some(tx) = jobs.as_ref() {
            return Ok(tx.clone());
        }
        let (tx, rx) = mpsc::channel::<Job>();
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        std::thread::Builder::new()
            .name("espada-state".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    let Some(inner) = weak.upgrade() else { break };
                    job(&Store { inner });
                }
            })
            .map_err(|_| StoreError::Worker)?;
        *jobs = Some(tx.clone());
        Ok(tx)
    }

    /// Runs `f` in an immediate (write-locking) transaction.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<T>) -> Result<T> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs `f` in an immediate transaction that is committed only when `f` says `Ok(Ok(_))`:
    /// a refusal (`Ok(Err(_))`) rolls back whatever `f` did before it refused.
    pub fn write_if<T, R>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<std::result::Result<T, R>>,
    ) -> Result<std::result::Result<T, R>> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        if out.is_ok() {
            tx.commit()?;
        }
        Ok(out)
    }

    /// Runs `f` on the connection for reads.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        let conn = self.conn();
        Ok(f(&conn)?)
    }

    /// The connection. A panic while it was held (a failed job on the store's thread) left no
    /// transaction open, since dropping one rolls it back, so the lock is taken over.
    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.inner
            .conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A JSON config value.
    pub fn config<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        let raw: Option<String> = self.read(|c| {
            c.query_row("SELECT value FROM config WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
        })?;
        Ok(raw.and_then(|s| serde_json::from_str(&s).ok()))
    }

    pub fn set_config<T: Serialize>(&self, key: &str, value: &T) -> Result<()> {
        let text = serde_json::to_string(value).expect("config serialises");
        self.write(|tx| {
            tx.execute(
                "INSERT INTO config (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, text],
            )
        })?;
        Ok(())
    }

    /// All config entries, as one JSON object.
    pub fn all_config(&self) -> Result<serde_json::Map<String, Value>> {
        self.read(|c| {
            let mut stmt = c.prepare("SELECT key, value FROM config ORDER BY key")?;
            let rows =
                stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            let mut map = serde_json::Map::new();
            for row in rows {
                let (k, v) = row?;
                map.insert(k, serde_json::from_str(&v).unwrap_or(Value::String(v)));
            }
            Ok(map)
        })
    }

    /// The rules every evaluation reads (environments, time zone, policies, protections, rate
    /// limits, approval validity, notification topic). Read again only when `rules_version`
    /// moved, which every change to them does, in any process.
    pub fn rules(&self) -> Result<Arc<Rules>> {
        let version: i64 = self
            .read(|c| c.query_row("SELECT n FROM rules_version WHERE id = 1", [], |r| r.get(0)))?;
        if let Some((v, rules)) = self.inner.rules.lock().expect("rules cache lock").as_ref()
            && *v == version
        {
            return Ok(rules.clone());
        }
        // The version is read before the rules: if a change slips in between, the rules kept
        // are already the newer ones, and the next call sees the counter moved and reads again.
        let rules = Arc::new(Rules::load(self)?);
        *self.inner.rules.lock().expect("rules cache lock") = Some((version, rules.clone()));
        Ok(rules)
    }
}

/// Columns added for signed votes, with their defaults for rows written before them: older
/// requests took unsigned votes, and older votes are unverified.
const VOTE_COLUMNS: &[(&str, &str, &str)] = &[
    ("approvals", "signed", "INTEGER NOT NULL DEFAULT 0"),
    ("approval_votes", "verified", "INTEGER NOT NULL DEFAULT 0"),
    ("approval_votes", "display_name", "TEXT"),
    ("approval_votes", "key_fingerprint", "TEXT"),
    ("approval_votes", "signature", "TEXT"),
    (
        "protections",
        "signed_approvals",
        "INTEGER NOT NULL DEFAULT 0",
    ),
];

fn migrate_votes(conn: &Connection) -> rusqlite::Result<()> {
    for (table, column, decl) in VOTE_COLUMNS {
        let exists: bool = conn.query_row(
            &format!("SELECT count(*) FROM pragma_table_info('{table}') WHERE name = ?1"),
            [column],
            |r| r.get(0),
        )?;
        if !exists {
            conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {decl};"))?;
        }
    }
    Ok(())
}

/// Adds the audit columns queries filter on to a state file that predates them, filled from
/// the records' own text.
fn migrate_audit(conn: &Connection) -> rusqlite::Result<()> {
    let existing: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('audit')")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for (column, path) in AUDIT_COLUMNS {
        if !existing.iter().any(|c| c == column) {
            conn.execute_batch(&format!(
                "ALTER TABLE audit ADD COLUMN {column} TEXT;
                 UPDATE audit SET {column} = json_extract(record, {path});"
            ))?;
            if *column == "kind" {
                // Records from before write-ahead auditing were one record per call.
                conn.execute_batch("UPDATE audit SET kind = 'call' WHERE kind IS NULL;")?;
            }
        }
    }
    conn.execute_batch(AUDIT_INDEXES)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.exists() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// Creates the state file readable and writable by its owner only, before SQLite opens it
/// (SQLite gives its WAL and shared-memory files the same mode). An existing file keeps its
/// mode: people who share one state file between accounts chose theirs.
#[cfg(unix)]
fn create_private_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(not(unix))]
fn create_private_file(_path: &Path) -> std::io::Result<()> {
    Ok(())
}
