//! Policies: rules that match calls (tool, action, environment, region, target tags, resource
//! count, weekly time window) and decide `deny`, `require_approval`, `require_confirmation` or
//! `allow`. Deny wins.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, params};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    environment::Environment,
    store::{Result, Store, new_id, now},
};
use crate::registry::Access;

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    Allow,
    RequireConfirmation,
    RequireApproval,
    Deny,
}

/// A weekly window such as "fri 16:00" to "mon 08:00", in the configured time zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// e.g. fri 16:00
    pub start: String,
    /// e.g. mon 08:00
    pub end: String,
}

/// The rule part of a policy; what `add_policy` and `update_policy` take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PolicyRule {
    /// Default all
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<String>,
    /// * wildcards (default all)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<String>,
    /// Default both
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access: Vec<Access>,
    /// Default all
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<Environment>,
    /// Default all
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    /// Target tags, all must match
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Only calls naming at least this many
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_resources: Option<u32>,
    /// Only inside this weekly window
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub effect: Effect,
    pub enabled: bool,
    /// Which calls it matches
    pub rule: PolicyRule,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The facts a policy is matched against.
pub struct Facts<'a> {
    pub tool: &'a str,
    pub action: &'a str,
    /// Default both
    pub access: Access,
    pub environment: Option<Environment>,
    pub region: Option<&'a str>,
    /// Target tags, all must match
    pub tags: &'a [BTreeMap<String, String>],
    pub resources: usize,
    /// Minutes since Monday 00:00 in the configured time zone.
    pub minute_of_week: u32,
}

impl PolicyRule {
    /// Checks the window syntax so a bad policy is refused when stored, not ignored later.
    pub fn validate(&self) -> std::result::Result<(), String> {
        if let Some(w) = &self.window {
            parse_week_minute(&w.start)?;
            parse_week_minute(&w.end)?;
        }
        Ok(())
    }

    pub fn matches(&self, f: &Facts<'_>) -> bool {
        let any = |list: &[String], v: &str| list.is_empty() || list.iter().any(|x| glob(x, v));
        let access_ok = if self.access.is_empty() {
            f.access != Access::Read
        } else {
            self.access.contains(&f.access)
        };
        access_ok
            && any(&self.tools, f.tool)
            && any(&self.actions, f.action)
            && (self.environments.is_empty()
                || f.environment
                    .is_some_and(|e| self.environments.contains(&e)))
            && (self.regions.is_empty()
                || f.region
                    .is_some_and(|r| self.regions.iter().any(|x| x == r)))
            && (self.tags.is_empty()
                || f.tags.iter().any(|set| {
                    self.tags.iter().all(|(k, v)| {
                        set.iter().any(|(sk, sv)| {
                            sk.eq_ignore_ascii_case(k) && sv.trim().eq_ignore_ascii_case(v.trim())
                        })
                    })
                }))
            && self.min_resources.is_none_or(|m| f.resources >= m as usize)
            && self
                .window
                .as_ref()
                .is_none_or(|w| in_window(w, f.minute_of_week))
    }
}

fn glob(pattern: &str, value: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == value,
        Some((head, tail)) => {
            value.len() >= head.len() + tail.len()
                && value.starts_with(head)
                && glob_rest(tail, &value[head.len()..])
        }
    }
}

fn glob_rest(pattern: &str, value: &str) -> bool {
    if pattern.is_empty() {
        return true;
    }
    (0..=value.len()).any(|i| value.is_char_boundary(i) && glob(pattern, &value[i..]))
}

/// "fri 16:00" → minutes since Monday 00:00.
pub fn parse_week_minute(text: &str) -> std::result::Result<u32, String> {
    let bad = || format!("'{text}' is not a weekly time like \"fri 16:00\"");
    let (day, hm) = text.trim().split_once(' ').ok_or_else(bad)?;
    let day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .position(|d| day.to_ascii_lowercase().starts_with(d))
        .ok_or_else(bad)? as u32;
    let (h, m) = hm.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 23 || m > 59 {
        return Err(bad());
    }
    Ok(day * 1440 + h * 60 + m)
}

fn in_window(w: &Window, now: u32) -> bool {
    let (Ok(start), Ok(end)) = (parse_week_minute(&w.start), parse_week_minute(&w.end)) else {
        return false;
    };
    if start <= end {
        (start..end).contains(&now)
    } else {
        now >= start || now < end
    }
}

/// Minutes since Monday 00:00 now, in `time_zone` (IANA name; UTC when unknown).
pub fn minute_of_week(time_zone: &str) -> u32 {
    let ts = jiff::Timestamp::now();
    let zoned = ts
        .in_tz(time_zone)
        .unwrap_or_else(|_| ts.in_tz("UTC").expect("UTC exists"));
    let day = zoned.weekday().to_monday_zero_offset() as u32;
    day * 1440 + zoned.hour() as u32 * 60 + zoned.minute() as u32
}

impl Store {
    pub fn add_policy(
        &self,
        name: &str,
        description: Option<String>,
        effect: Effect,
        rule: PolicyRule,
    ) -> Result<Policy> {
        let t = now();
        let policy = Policy {
            id: new_id("pol"),
            name: name.to_string(),
            description,
            effect,
            enabled: true,
            rule,
            created_at: t,
            updated_at: t,
        };
        self.put_policy(&policy)?;
        Ok(policy)
    }

    pub fn put_policy(&self, p: &Policy) -> Result<()> {
        let body = serde_json::to_string(p).expect("policy serialises");
        self.write(|tx| {
            tx.execute(
                "INSERT INTO policies (id, body, created_at, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
                params![p.id, body, p.created_at, p.updated_at],
            )
        })?;
        Ok(())
    }

    pub fn policy(&self, id: &str) -> Result<Option<Policy>> {
        let body: Option<String> = self.read(|c| {
            c.query_row("SELECT body FROM policies WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
        })?;
        Ok(body.and_then(|b| serde_json::from_str(&b).ok()))
    }

    pub fn policies(&self) -> Result<Vec<Policy>> {
        let bodies: Vec<String> = self.read(|c| {
            let mut stmt = c.prepare("SELECT body FROM policies ORDER BY created_at, id")?;
            stmt.query_map([], |r| r.get(0))?.collect()
        })?;
        Ok(bodies
            .iter()
            .filter_map(|b| serde_json::from_str(b).ok())
            .collect())
    }

    pub fn remove_policy(&self, id: &str) -> Result<bool> {
        Ok(self.write(|tx| tx.execute("DELETE FROM policies WHERE id = ?1", [id]))? > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_wrap_over_the_weekend() {
        let w = Window {
            start: "fri 16:00".into(),
            end: "mon 08:00".into(),
        };
        let at = |s: &str| parse_week_minute(s).unwrap();
        assert!(in_window(&w, at("fri 16:00")));
        assert!(in_window(&w, at("sun 12:00")));
        assert!(in_window(&w, at("mon 07:59")));
        assert!(!in_window(&w, at("mon 08:00")));
        assert!(!in_window(&w, at("wed 12:00")));
        assert!(parse_week_minute("someday 25:00").is_err());
    }

    #[test]
    fn globs() {
        assert!(glob("terminate_*", "terminate_instances"));
        assert!(glob("*", "anything"));
        assert!(glob("delete_*_policy", "delete_bucket_policy"));
        assert!(!glob("delete_*", "create_vpc"));
    }
}
