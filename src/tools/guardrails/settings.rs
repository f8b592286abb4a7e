//! Protections, rate limits, notifications and configuration. Changing any of them is a
//! guardrails change, judged as production.

use schemars::JsonSchema;
use serde::Deserialize;

use super::*;
use crate::guardrails::accounts::{self, AccountsConfig};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetEnvironmentProtection {
    pub environment: Option<Environment>,
}

impl Action for GetEnvironmentProtection {
    const NAME: &'static str = "get_environment_protection";
    const DESCRIPTION: &'static str = "Protection of one or every environment";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let envs: Vec<Environment> = self
            .environment
            .map(|e| vec![e])
            .unwrap_or(Environment::ALL.to_vec());
        let rules = store(cx).run(|s| s.rules()).await?;
        let mut out = Map::new();
        for e in envs {
            out.insert(e.as_str().into(), json!(rules.protection(e)));
        }
        Ok(Output::new(
            format!("Protection of {} environment(s).", out.len()),
            Value::Object(out),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetEnvironmentProtection {
    pub environment: Environment,
    pub approval_required: Option<bool>,
    /// Distinct people
    pub min_approvers: Option<u32>,
    pub change_request_required: Option<bool>,
    pub backup_required: Option<bool>,
    /// Only signed votes count
    pub signed_approvals: Option<bool>,
}

impl Action for SetEnvironmentProtection {
    const NAME: &'static str = "set_environment_protection";
    const DESCRIPTION: &'static str = "Change an environment's protection";
    const ACCESS: Access = Access::Write;
    // Loosening any environment would open a way around the guardrails.
    const RISK: Risk = Risk::High;

    fn targets(&self) -> Vec<Target> {
        vec![guardrails_settings()]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let environment = self.environment;
        if self.signed_approvals == Some(true) {
            let configured = store(cx)
                .run(move |s| Ok(s.approvers()?.contains_key(&environment)))
                .await?;
            if !configured {
                return Err(ToolError::Refused(format!(
                    "{} has no approvers to sign: a person first names their allowed_signers \
                     file with `espada-aws approvers set {} FILE`; nothing was changed",
                    environment.as_str(),
                    environment.as_str()
                )));
            }
        }
        let p = store(cx)
            .run(move |s| {
                let mut p: Protection = s.protection(environment)?;
                p.approval_required = self.approval_required.unwrap_or(p.approval_required);
                p.min_approvers = self.min_approvers.unwrap_or(p.min_approvers);
                p.change_request_required = self
                    .change_request_required
                    .unwrap_or(p.change_request_required);
                p.backup_required = self.backup_required.unwrap_or(p.backup_required);
                p.signed_approvals = self.signed_approvals.unwrap_or(p.signed_approvals);
                s.set_protection(environment, &p)?;
                Ok(p)
            })
            .await?;
        Ok(Output::new(
            format!("Updated the protection of {}.", environment.as_str()),
            json!(p),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRateLimit {
    /// Default both
    pub access: Option<Access>,
}

impl Action for CheckRateLimit {
    const NAME: &'static str = "check_rate_limit";
    const DESCRIPTION: &'static str = "Calls used and left in this window";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let classes = self
            .access
            .map(|a| vec![a])
            .unwrap_or(vec![Access::Write, Access::Destructive]);
        let (usage, limits) = store(cx)
            .run(move |s| {
                let limits = s.rules()?.rate_limits;
                let mut usage = Vec::new();
                for a in classes {
                    usage.extend(s.usage_under(&limits, a)?);
                }
                Ok((usage, limits))
            })
            .await?;
        let text: Vec<String> = usage
            .iter()
            .map(|u| format!("{} {}/{}", u.bucket, u.used, u.max_calls))
            .collect();
        Ok(Output::new(
            format!("Used in the current window: {}.", text.join(", ")),
            json!({"usage": usage, "max_resources_per_call": limits.max_resources_per_call}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetRateLimitConfig {}

impl Action for GetRateLimitConfig {
    const NAME: &'static str = "get_rate_limit_config";
    const DESCRIPTION: &'static str = "The rate limits";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let rules = store(cx).run(|s| s.rules()).await?;
        Ok(Output::new(
            "Rate-limit settings.",
            json!(rules.rate_limits),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetRateLimitConfig {
    pub rate_limits: RateLimits,
}

impl Action for SetRateLimitConfig {
    const NAME: &'static str = "set_rate_limit_config";
    const DESCRIPTION: &'static str = "Change the rate limits";
    const ACCESS: Access = Access::Write;
    // Raising limits loosens the guardrails.
    const RISK: Risk = Risk::High;

    fn targets(&self) -> Vec<Target> {
        vec![guardrails_settings()]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let limits = self.rate_limits;
        store(cx)
            .run(move |s| s.set_config("rate_limits", &limits))
            .await?;
        Ok(Output::new(
            "Rate-limit settings updated.",
            json!(self.rate_limits),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigureNotificationChannel {
    /// SNS topic; "" turns notices off
    pub topic_arn: String,
    /// Publish a test message
    pub send_test: Option<bool>,
}

impl Action for ConfigureNotificationChannel {
    const NAME: &'static str = "configure_notification_channel";
    const DESCRIPTION: &'static str = "Set the SNS topic for approval notices";
    const ACCESS: Access = Access::Write;
    // Pointing notices elsewhere can hide approval requests from the people who decide.
    const RISK: Risk = Risk::High;

    fn targets(&self) -> Vec<Target> {
        vec![guardrails_settings()]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let topic = self.topic_arn.trim().to_string();
        if topic.is_empty() {
            store(cx)
                .run(|s| s.set_config(TOPIC_KEY, &Value::Null))
                .await?;
            return Ok(Output::new(
                "Approval notifications are off.",
                json!({"topic_arn": null}),
            ));
        }
        let saved = topic.clone();
        store(cx)
            .run(move |s| s.set_config(TOPIC_KEY, &saved))
            .await?;
        let mut data = json!({"topic_arn": topic});
        if self.send_test.unwrap_or(false) {
            let client = cx
                .aws()
                .client(
                    crate::aws::At::home(crate::guardrails::topic_region(&topic)),
                    None,
                )
                .await;
            let id = crate::guardrails::publish(
                &client,
                &topic,
                "espada-aws test notification",
                "{\"event\":\"test\"}",
            )
            .await?;
            data["test_message_id"] = json!(id);
        }
        Ok(Output::new(
            format!("Approval notifications go to {topic}."),
            data,
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetConfig {}

impl Action for GetConfig {
    const NAME: &'static str = "get_config";
    const DESCRIPTION: &'static str = "Guardrails settings and the state file";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let d = dispatcher(cx);
        let store = store(cx);
        let rules = store.run(|s| s.rules()).await?;
        let mut protections = Map::new();
        for e in Environment::ALL {
            protections.insert(e.as_str().into(), json!(rules.protection(e)));
        }
        Ok(Output::new(
            "Guardrails configuration.",
            json!({
                "state_file": store.path().display().to_string(),
                "read_only": d.read_only(),
                "environments": rules.environments,
                "accounts": rules.accounts,
                "time_zone": rules.time_zone,
                "approval_ttl_hours": rules.approval_ttl_hours,
                "notification_topic_arn": rules.topic,
                "protections": protections,
                "rate_limits": rules.rate_limits,
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateConfig {
    /// How to recognise environments
    pub environments: Option<EnvironmentConfig>,
    /// Other accounts calls may act in
    pub account_access: Option<AccountsConfig>,
    /// IANA, e.g. Europe/Berlin
    pub time_zone: Option<String>,
    /// Default 24
    pub approval_ttl_hours: Option<u32>,
}

impl Action for UpdateConfig {
    const NAME: &'static str = "update_config";
    const DESCRIPTION: &'static str = "Change environments, accounts, time zone, approval validity";
    const ACCESS: Access = Access::Write;
    // How environments are recognised decides every call's protection.
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        if let Some(tz) = &self.time_zone
            && jiff::tz::TimeZone::get(tz).is_err()
        {
            return Err(ToolError::invalid(format!(
                "unknown time zone '{tz}'; use an IANA name such as Europe/Berlin or UTC"
            )));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![guardrails_settings()]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let changed = store(cx)
            .run(move |s| {
                let mut changed = Vec::new();
                if let Some(e) = &self.environments {
                    s.set_config("environments", e)?;
                    changed.push("environments");
                }
                if let Some(a) = &self.account_access {
                    s.set_config(accounts::KEY, a)?;
                    changed.push("account_access");
                }
                if let Some(tz) = &self.time_zone {
                    s.set_config(TIME_ZONE_KEY, tz)?;
                    changed.push("time_zone");
                }
                if let Some(h) = self.approval_ttl_hours {
                    s.set_config(APPROVAL_TTL_KEY, &h)?;
                    changed.push("approval_ttl_hours");
                }
                Ok(changed)
            })
            .await?;
        if changed.is_empty() {
            return Err(ToolError::invalid(
                "update_config needs environments, account_access, time_zone or approval_ttl_hours",
            ));
        }
        Ok(Output::new(
            format!("Updated {}.", changed.join(", ")),
            json!({"changed": changed}),
        ))
    }
}
