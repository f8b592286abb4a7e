//! Rate limits: at most N calls of an access class per window, and at most M resources in one
//! call. Counted in the state file, so every process sharing it shares the limits.

use rusqlite::params;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::store::{Result, Store, now};
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
        let Some((bucket, limit)) = self.rate_limits()?.limit(access) else {
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
            resets_at: oldest.map(|o| super::store::rfc3339(o + limit.window_seconds as i64)),
        }))
    }

    /// Counts one executed call.
    pub fn record_call(&self, access: Access) -> Result<()> {
        let Some((bucket, limit)) = self.rate_limits()?.limit(access) else {
            return Ok(());
        };
        let t = now();
        self.write(|tx| {
            tx.execute(
                "DELETE FROM rate_events WHERE bucket = ?1 AND at <= ?2",
                params![bucket, t - limit.window_seconds as i64],
            )?;
            tx.execute(
                "INSERT INTO rate_events (bucket, at, count) VALUES (?1, ?2, 1)",
                params![bucket, t],
            )
        })?;
        Ok(())
    }
}
