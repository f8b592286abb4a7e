//! Rate limits: at most N calls of an access class per window, and at most M resources in one
//! call. Counted in the state file, so every process sharing it shares the limits. A call's
//! slot is taken in the transaction that admits it (after its confirmation or approval), with
//! the check, so concurrent calls cannot all pass a check made before any of them counted.

use rusqlite::{Transaction, params};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::store::{Result, Store, now, rfc3339};
use crate::registry::Access;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// Per window
    pub max_calls: u32,
    pub window_seconds: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimits {
    pub destructive: Limit,
    pub write: Limit,
    pub max_resources_per_call: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            destructive: Limit {
                max_calls: 10,
                window_seconds: 3600,
            },
            write: Limit {
                max_calls: 100,
                window_seconds: 3600,
            },
            max_resources_per_call: 50,
        }
    }
}

/// Usage of one bucket now.
#[derive(Debug, Clone, Serialize)]
pub struct Usage {
    pub bucket: &'static str,
    pub used: u32,
    /// Per window
    pub max_calls: u32,
    pub window_seconds: u32,
    /// When the oldest counted call leaves the window (RFC 3339), if any is counted.
    pub resets_at: Option<String>,
}

impl RateLimits {
    pub fn limit(&self, access: Access) -> Option<(&'static str, Limit)> {
        match access {
            Access::Read => None,
            Access::Write => Some(("write", self.write)),
            Access::Destructive => Some(("destructive", self.destructive)),
        }
    }
}

impl Store {
    pub fn rate_limits(&self) -> Result<RateLimits> {
        Ok(self.config("rate_limits")?.unwrap_or_default())
    }

    pub fn usage(&self, access: Access) -> Result<Option<Usage>> {
        self.usage_under(&self.rate_limits()?, access)
    }

    /// Usage of `access`'s bucket under `limits`.
    pub fn usage_under(&self, limits: &RateLimits, access: Access) -> Result<Option<Usage>> {
        let Some((bucket, limit)) = limits.limit(access) else {
            return Ok(None);
        };
        let since = now() - limit.window_seconds as i64;
        let (used, oldest): (u32, Option<i64>) = self.read(|c| {
            c.query_row(
                "SELECT COALESCE(SUM(count), 0), MIN(at) FROM rate_events WHERE bucket = ?1 AND at > ?2",
                params![bucket, since],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })?;
        Ok(Some(Usage {
            bucket,
            used,
            max_calls: limit.max_calls,
            window_seconds: limit.window_seconds,
            resets_at: oldest.map(|o| rfc3339(o + limit.window_seconds as i64)),
        }))
    }

    /// Takes a slot for one call now, or refuses: see [`reserve_in`].
    pub fn reserve_slot(&self, access: Access) -> Result<std::result::Result<(), String>> {
        let limits = self.rate_limits()?;
        self.write_if(|tx| reserve_in(tx, &limits, access))
    }
}

/// Checks the window and takes a slot for one call in the same transaction (`tx` holds the
/// write lock, so two processes cannot both take the last slot). A slot is never given back:
/// a call that is refused or fails after this point was an attempt.
pub fn reserve_in(
    tx: &Transaction<'_>,
    limits: &RateLimits,
    access: Access,
) -> rusqlite::Result<std::result::Result<(), String>> {
    let Some((bucket, limit)) = limits.limit(access) else {
        return Ok(Ok(()));
    };
    let t = now();
    let since = t - limit.window_seconds as i64;
    tx.execute(
        "DELETE FROM rate_events WHERE bucket = ?1 AND at <= ?2",
        params![bucket, since],
    )?;
    let (used, oldest): (u32, Option<i64>) = tx.query_row(
        "SELECT COALESCE(SUM(count), 0), MIN(at) FROM rate_events WHERE bucket = ?1 AND at > ?2",
        params![bucket, since],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if used >= limit.max_calls {
        let resets = oldest
            .map(|o| rfc3339(o + limit.window_seconds as i64))
            .unwrap_or_else(|| "the end of the window".into());
        return Ok(Err(format!(
            "rate limit reached: {used} {bucket} calls in {} s; it resets at {resets}",
            limit.window_seconds
        )));
    }
    tx.execute(
        "INSERT INTO rate_events (bucket, at, count) VALUES (?1, ?2, 1)",
        params![bucket, t],
    )?;
    Ok(Ok(()))
}
