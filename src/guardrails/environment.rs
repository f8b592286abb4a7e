//! Environments, how a call's environment is recognised, and the protection each one gets.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, params};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::store::{Result, Store, now};
use crate::registry::Flag;

// Deployment environments, least strict first. (No doc comment: it would become the
// description of every field of this type.)
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    Development,
    Testing,
    Staging,
    Production,
}

impl Environment {
    pub const ALL: [Environment; 4] = [
        Environment::Development,
        Environment::Testing,
        Environment::Staging,
        Environment::Production,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Development => "development",
            Environment::Testing => "testing",
            Environment::Staging => "staging",
            Environment::Production => "production",
        }
    }

    /// Reads a name such as "Prod", "production", "stage", "dev" (case-insensitive): the
    /// documented names and aliases only.
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value.trim().to_ascii_lowercase().as_str() {
            "production" | "prod" | "prd" | "live" => Environment::Production,
            "staging" | "stage" | "stg" | "preprod" | "pre-production" | "uat" => {
                Environment::Staging
            }
            "development" | "dev" | "develop" | "sandbox" => Environment::Development,
            "testing" | "test" | "qa" | "integration" => Environment::Testing,
            _ => return None,
        })
    }

    /// The environment an environment tag's value names: a documented name or alias (any
    /// case), else the strictest one among its words (`prod-eu`, `team_a dev`, `non-prod`
    /// counts as production), else production: a value nobody documented must not leave a
    /// resource less protected than it is meant to be. An empty value names none.
    pub fn recognise(value: &str) -> Option<Self> {
        if value.trim().is_empty() {
            return None;
        }
        Some(Self::parse(value).unwrap_or_else(|| {
            value
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter_map(Environment::parse)
                .max()
                .unwrap_or(Environment::Production)
        }))
    }

    /// The environment named by a resource's tags (`Environment`, `env` or `stage`, any case);
    /// the strictest when several name one.
    pub fn from_tags<'a>(tags: impl IntoIterator<Item = (&'a String, &'a String)>) -> Option<Self> {
        tags.into_iter()
            .filter(|(k, _)| ENVIRONMENT_KEYS.contains(&k.trim().to_ascii_lowercase().as_str()))
            .filter_map(|(_, v)| Environment::recognise(v))
            .max()
    }
}

/// Tag keys the guardrails read an environment from.
pub const ENVIRONMENT_KEYS: &[&str] = &["environment", "env", "stage"];

/// A flag for a call that sets or removes an environment tag key.
pub fn environment_key_flag<'a>(
    keys: impl IntoIterator<Item = &'a String>,
    what: &str,
) -> Option<Flag> {
    let touched: Vec<&String> = keys
        .into_iter()
        .filter(|k| ENVIRONMENT_KEYS.contains(&k.to_ascii_lowercase().as_str()))
        .collect();
    (!touched.is_empty()).then(|| {
        Flag::critical(format!(
            "{what} the environment tag ({}), which decides the protection the resources get",
            touched
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// How environments are recognised besides tags (config key `environments`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentConfig {
    /// Account id → environment
    #[serde(default)]
    pub accounts: BTreeMap<String, Environment>,
    /// Region → environment
    #[serde(default)]
    pub regions: BTreeMap<String, Environment>,
    /// For destructive calls of unknown environment
    pub default_environment: Environment,
}

impl Default for EnvironmentConfig {
    fn default() -> Self {
        Self {
            accounts: BTreeMap::new(),
            regions: BTreeMap::new(),
            default_environment: Environment::Production,
        }
    }
}

/// What an environment requires before a change runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Protection {
    pub approval_required: bool,
    pub min_approvers: u32,
    pub change_request_required: bool,
    pub backup_required: bool,
    /// Only votes signed by keys in the environment's allowed_signers count.
    #[serde(default)]
    pub signed_approvals: bool,
}

impl Protection {
    pub fn default_for(env: Environment) -> Self {
        let (approval_required, min_approvers, change_request_required, backup_required) = match env
        {
            Environment::Production => (true, 2, true, true),
            Environment::Staging => (true, 1, false, true),
            Environment::Development | Environment::Testing => (false, 0, false, false),
        };
        Self {
            approval_required,
            min_approvers,
            change_request_required,
            backup_required,
            signed_approvals: false,
        }
    }
}

impl Store {
    pub fn environment_config(&self) -> Result<EnvironmentConfig> {
        Ok(self.config("environments")?.unwrap_or_default())
    }

    pub fn protection(&self, env: Environment) -> Result<Protection> {
        let row = self.read(|c| {
            c.query_row(
                "SELECT approval_required, min_approvers, change_request_required, backup_required,
                     signed_approvals
                 FROM protections WHERE environment = ?1",
                [env.as_str()],
                |r| {
                    Ok(Protection {
                        approval_required: r.get(0)?,
                        min_approvers: r.get(1)?,
                        change_request_required: r.get(2)?,
                        backup_required: r.get(3)?,
                        signed_approvals: r.get(4)?,
                    })
                },
            )
            .optional()
        })?;
        Ok(row.unwrap_or_else(|| Protection::default_for(env)))
    }

    pub fn set_protection(&self, env: Environment, p: &Protection) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO protections (environment, approval_required, min_approvers,
                     change_request_required, backup_required, updated_at, signed_approvals)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(environment) DO UPDATE SET approval_required = excluded.approval_required,
                     min_approvers = excluded.min_approvers,
                     change_request_required = excluded.change_request_required,
                     backup_required = excluded.backup_required, updated_at = excluded.updated_at,
                     signed_approvals = excluded.signed_approvals",
                params![
                    env.as_str(),
                    p.approval_required,
                    p.min_approvers,
                    p.change_request_required,
                    p.backup_required,
                    now(),
                    p.signed_approvals
                ],
            )
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_values_and_keys_are_case_insensitive() {
        let tags: BTreeMap<String, String> = [
            ("ENV".to_string(), "Prod".to_string()),
            ("Name".into(), "web".into()),
        ]
        .into();
        assert_eq!(Environment::from_tags(&tags), Some(Environment::Production));
        let tags: BTreeMap<String, String> = [("stage".to_string(), "QA".to_string())].into();
        assert_eq!(Environment::from_tags(&tags), Some(Environment::Testing));
        let tags: BTreeMap<String, String> = [("Owner".to_string(), "dev".to_string())].into();
        assert_eq!(Environment::from_tags(&tags), None);
    }

    #[test]
    fn undocumented_values_fail_closed() {
        let env = |v: &str| Environment::recognise(v);
        assert_eq!(env(" Production "), Some(Environment::Production));
        assert_eq!(env("PRE-PRODUCTION"), Some(Environment::Staging));
        assert_eq!(env("prod-eu-1"), Some(Environment::Production));
        assert_eq!(env("team_a dev"), Some(Environment::Development));
        assert_eq!(env("non-prod"), Some(Environment::Production));
        assert_eq!(env("qa-stage"), Some(Environment::Staging));
        assert_eq!(env("sandbox"), Some(Environment::Development));
        assert_eq!(env("blue"), Some(Environment::Production));
        assert_eq!(env("  "), None);
    }

    #[test]
    fn defaults_follow_the_table() {
        let p = Protection::default_for(Environment::Production);
        assert!(p.approval_required && p.change_request_required && p.backup_required);
        assert_eq!(p.min_approvers, 2);
        assert_eq!(
            Protection::default_for(Environment::Staging).min_approvers,
            1
        );
        assert!(!Protection::default_for(Environment::Development).approval_required);
    }
}
