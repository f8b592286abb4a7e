//! Other accounts: which ones a call may reach, through which role, under which names. A call
//! names an account (an alias, a 12-digit id or a role ARN) and the guardrails resolve it here,
//! against an allowlist a person keeps in the guardrails settings (config key `accounts`,
//! changed with `update_config account_access`, a guardrails change). Anything not on the list is refused
//! before any AWS call.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{aws::AccountTarget, error::ToolError};

/// The config key of [`AccountsConfig`].
pub const KEY: &str = "accounts";

/// The role assumed in an account named by id or alias, unless configured otherwise: the one
/// AWS Organizations creates in new member accounts.
pub const DEFAULT_ROLE: &str = "OrganizationAccountAccessRole";

/// How many account × region targets a fan-out reads at once, unless configured otherwise.
pub const DEFAULT_FAN_OUT: usize = 8;

/// The most targets one fan-out may have.
pub const MAX_TARGETS: usize = 200;

/// Which other accounts calls may act in (config key `accounts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountsConfig {
    /// Role assumed in accounts named by id or alias
    #[serde(default = "default_role")]
    pub role_name: String,
    /// Alias → account id
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
    /// Account ids (reached with role_name) and role ARNs that may be assumed
    #[serde(default)]
    pub allowed: Vec<String>,
    /// Set SourceIdentity to the OS user (the trust policy must allow it)
    #[serde(default)]
    pub source_identity: bool,
    /// Targets a fan-out reads at once (default 8)
    #[serde(default = "default_fan_out")]
    pub fan_out_concurrency: usize,
}

fn default_role() -> String {
    DEFAULT_ROLE.into()
}

fn default_fan_out() -> usize {
    DEFAULT_FAN_OUT
}

impl Default for AccountsConfig {
    fn default() -> Self {
        Self {
            role_name: default_role(),
            aliases: BTreeMap::new(),
            allowed: Vec::new(),
            source_identity: false,
            fan_out_concurrency: DEFAULT_FAN_OUT,
        }
    }
}

/// A role ARN's account id, when `arn` is one (`arn:PARTITION:iam::ACCOUNT:role/PATH/NAME`).
pub fn role_account(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let (arn_, partition, service, region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let name = resource.strip_prefix("role/")?;
    (arn_ == "arn"
        && partition.starts_with("aws")
        && service == "iam"
        && region.is_empty()
        && is_account_id(account)
        && !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c)))
    .then_some(account)
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

impl AccountsConfig {
    /// The alias of an account id, if it has one.
    fn alias_of(&self, id: &str) -> Option<String> {
        self.aliases
            .iter()
            .find(|(_, v)| v.as_str() == id)
            .map(|(k, _)| k.clone())
    }

    /// The role ARN used for an account named by id or alias.
    fn default_role_arn(&self, partition: &str, id: &str) -> String {
        format!("arn:{partition}:iam::{id}:role/{}", self.role_name)
    }

    /// Resolves what a call names (`account`): an alias, an id or a role ARN, and checks it
    /// against the allowlist. `partition` is the source credentials' (`aws` unless the
    /// session's region says otherwise).
    pub fn resolve(&self, reference: &str, partition: &str) -> Result<AccountTarget, ToolError> {
        let reference = reference.trim();
        let shown: String = reference.chars().take(200).collect();
        let target = if reference.starts_with("arn:") {
            let Some(id) = role_account(reference) else {
                return Err(ToolError::invalid(format!(
                    "account '{shown}' is not a role ARN (arn:aws:iam::123456789012:role/NAME); \
                     name an account by alias, 12-digit id or role ARN"
                )));
            };
            AccountTarget {
                id: id.to_string(),
                role_arn: reference.to_string(),
                alias: self.alias_of(id),
            }
        } else if is_account_id(reference) {
            AccountTarget {
                id: reference.to_string(),
                role_arn: self.default_role_arn(partition, reference),
                alias: self.alias_of(reference),
            }
        } else if let Some(id) = self.aliases.get(reference) {
            AccountTarget {
                id: id.clone(),
                role_arn: self.default_role_arn(partition, id),
                alias: Some(reference.to_string()),
            }
        } else {
            let known: Vec<&str> = self.aliases.keys().map(String::as_str).collect();
            return Err(ToolError::invalid(format!(
                "unknown account '{shown}': name an account by alias ({}), 12-digit id or role ARN",
                if known.is_empty() {
                    "none are configured".to_string()
                } else {
                    known.join(", ")
                }
            )));
        };
        if self.allows(&target) {
            Ok(target)
        } else {
            Err(ToolError::Refused(format!(
                "account {} (role {}) is not on the guardrails' account allowlist, so nothing \
                 was sent to AWS. Accounts and roles that may be assumed are chosen by a person \
                 (aws_guardrails update_config account_access.allowed, a guardrails change); allowed \
                 now: {}",
                target.id,
                target.role_arn,
                if self.allowed.is_empty() {
                    "none".to_string()
                } else {
                    self.allowed.join(", ")
                }
            )))
        }
    }

    /// Whether the allowlist lets a call assume `target`'s role: its exact ARN is listed, or
    /// its account id is and the role is the configured one.
    fn allows(&self, target: &AccountTarget) -> bool {
        self.allowed.iter().any(|a| {
            a == &target.role_arn
                || (a == &target.id
                    && target
                        .role_arn
                        .rsplit_once(":role/")
                        .is_some_and(|(_, name)| name == self.role_name))
        })
    }

    /// Every account on the allowlist, as `accounts: ["all"]` reaches them.
    pub fn all(&self, partition: &str) -> Vec<AccountTarget> {
        self.allowed
            .iter()
            .filter_map(|a| self.resolve(a, partition).ok())
            .collect()
    }

    /// Targets a fan-out reads at once (at least one).
    pub fn concurrency(&self) -> usize {
        self.fan_out_concurrency.clamp(1, 64)
    }
}

/// The partition of a region (`aws` for unknown or no region).
pub fn partition(region: Option<&str>) -> &'static str {
    match region {
        Some(r) if r.starts_with("cn-") => "aws-cn",
        Some(r) if r.starts_with("us-gov-") => "aws-us-gov",
        Some(r) if r.starts_with("us-isob-") => "aws-iso-b",
        Some(r) if r.starts_with("us-iso-") => "aws-iso",
        Some(r) if r.starts_with("eusc-") => "aws-eusc",
        _ => "aws",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> AccountsConfig {
        AccountsConfig {
            aliases: [("prod".to_string(), "111111111111".to_string())].into(),
            allowed: vec![
                "111111111111".into(),
                "arn:aws:iam::222222222222:role/Audit".into(),
            ],
            ..AccountsConfig::default()
        }
    }

    #[test]
    fn accounts_resolve_by_alias_id_or_role_arn_and_only_from_the_allowlist() {
        let c = config();
        let prod = c.resolve("prod", "aws").unwrap();
        assert_eq!(prod.id, "111111111111");
        assert_eq!(
            prod.role_arn,
            "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole"
        );
        assert_eq!(c.resolve("111111111111", "aws").unwrap(), prod);
        let audit = c
            .resolve("arn:aws:iam::222222222222:role/Audit", "aws")
            .unwrap();
        assert_eq!(audit.id, "222222222222");
        // The account of a listed role is not listed by itself, nor other roles in a listed
        // account.
        assert!(matches!(
            c.resolve("222222222222", "aws"),
            Err(ToolError::Refused(_))
        ));
        assert!(matches!(
            c.resolve("arn:aws:iam::111111111111:role/Admin", "aws"),
            Err(ToolError::Refused(_))
        ));
        assert!(matches!(
            c.resolve("333333333333", "aws"),
            Err(ToolError::Refused(_))
        ));
        assert!(c.resolve("staging", "aws").is_err());
        assert!(c.resolve("arn:aws:iam::1:role/x", "aws").is_err());
        assert!(
            c.resolve("arn:aws:sts::111111111111:assumed-role/x/y", "aws")
                .is_err()
        );
        assert_eq!(c.all("aws").len(), 2);
        assert_eq!(
            c.resolve("prod", partition(Some("cn-north-1")))
                .unwrap()
                .role_arn,
            "arn:aws-cn:iam::111111111111:role/OrganizationAccountAccessRole"
        );
    }
}
