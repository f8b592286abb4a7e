//! Secrets Manager. A secret's value leaves AWS through this server only with
//! `--allow-sensitive-data`, and only in the result of `get_secret_value`; `create_secret`
//! generates the value inside AWS by default, so it never passes through the conversation.

use aws_sdk_secretsmanager::{
    Client,
    types::{Filter, FilterNameStringType, RotationRulesType, Tag},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::random_hex;
use crate::aws::time;
use crate::{
    aws::paging::PageRequest,
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Flag, Kind, Risk, Tags, Target},
};

/// A secret's metadata as the list and describe answers give it (never its value).
macro_rules! secret_meta {
    ($s:expr) => {{
        let s = $s;
        json!({
            "name": s.name(),
            "arn": s.arn(),
            "description": s.description(),
            "kms_key_id": s.kms_key_id(),
            "rotation_enabled": s.rotation_enabled().unwrap_or(false),
            "rotation_lambda_arn": s.rotation_lambda_arn(),
            "rotation_days": s.rotation_rules().and_then(|r| r.automatically_after_days()),
            "last_rotated": s.last_rotated_date().map(time),
            "last_changed": s.last_changed_date().map(time),
            "last_accessed": s.last_accessed_date().map(time),
            "next_rotation": s.next_rotation_date().map(time),
            "deleted": s.deleted_date().map(time),
            "tags": s.tags().iter()
                .filter_map(|t| Some((t.key()?, t.value()?)))
                .collect::<std::collections::BTreeMap<_, _>>(),
        })
    }};
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListSecrets {
    pub name_prefix: Option<String>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListSecrets {
    const NAME: &'static str = "list_secrets";
    const DESCRIPTION: &'static str = "Secrets with rotation (no values)";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let filter = self.name_prefix.as_ref().map(|p| {
            vec![
                Filter::builder()
                    .key(FilterNameStringType::Name)
                    .values(p)
                    .build(),
            ]
        });
        let resp = client
            .list_secrets()
            .set_filters(filter)
            .max_results(page.aws_page_size(1, 100))
            .set_next_token(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let all: Vec<Value> = resp.secret_list().iter().map(|s| secret_meta!(s)).collect();
        let (items, next) = page.finish(all, resp.next_token().map(str::to_string));
        let unrotated = items
            .iter()
            .filter(|s| s["rotation_enabled"] == json!(false))
            .count();
        Ok(Output::new(
            format!("{} secret(s), {unrotated} without rotation.", items.len()),
            json!({ "secrets": items }),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetSecretValue {
    /// Name or ARN
    pub secret_id: String,
    /// Default AWSCURRENT
    pub version_stage: Option<String>,
}

impl Action for GetSecretValue {
    const NAME: &'static str = "get_secret_value";
    const DESCRIPTION: &'static str = "Value (if the server allows sensitive data)";
    const ACCESS: Access = Access::Read;
    // It puts a credential into the conversation.
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        check_secret_id(&self.secret_id)
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::new(Kind::Secret, &self.secret_id)]
    }

    fn flags(&self) -> Vec<Flag> {
        vec![Flag::high(format!(
            "returns the value of secret {} into the conversation",
            self.secret_id
        ))]
    }

    /// Without `--allow-sensitive-data` the value is never read: the answer holds the secret's
    /// metadata and how to allow values. With it, GetSecretValue; the value is in `data` only.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        if !cx.sensitive_data_allowed() {
            let d = client
                .describe_secret()
                .secret_id(&self.secret_id)
                .send()
                .await
                .map_err(ToolError::from_sdk)?;
            let mut data = secret_meta!(&d);
            data["value"] = Value::Null;
            data["value_withheld"] = json!(
                "this server does not return secret values; whoever runs it can allow them \
                 with --allow-sensitive-data or ESPADA_ALLOW_SENSITIVE=1"
            );
            return Ok(Output::new(
                format!(
                    "Refused to return the value of {}: the server runs without \
                     --allow-sensitive-data (ESPADA_ALLOW_SENSITIVE=1). Its metadata is in data.",
                    self.secret_id
                ),
                data,
            ));
        }
        let out = client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .set_version_stage(self.version_stage.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let mut data = json!({
            "name": out.name(),
            "arn": out.arn(),
            "version_id": out.version_id(),
            "version_stages": out.version_stages(),
            "created": out.created_date().map(time),
        });
        if let Some(s) = out.secret_string() {
            data["secret_string"] = json!(s);
        } else if let Some(b) = out.secret_binary() {
            data["secret_binary_base64"] = json!(STANDARD.encode(b.as_ref()));
        }
        Ok(Output::new(
            format!(
                "The value of {} is in data. Handle it as a credential: do not repeat it \
                 where it could be logged.",
                self.secret_id
            ),
            data,
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSecret {
    pub name: String,
    pub description: Option<String>,
    /// Stored as {"username", "password"} with a generated password
    pub username: Option<String>,
    /// Omit to generate a password in AWS
    pub secret_string: Option<String>,
    pub kms_key_id: Option<String>,
    pub tags: Option<Tags>,
}

impl Action for CreateSecret {
    const NAME: &'static str = "create_secret";
    const DESCRIPTION: &'static str = "Create a secret (value generated in AWS by default)";
    const ACCESS: Access = Access::Write;
    // A new secret changes nothing existing.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_secret_id(&self.name)?;
        if self.name.starts_with("arn:") {
            return Err(ToolError::invalid(
                "name is the new secret's name, not an ARN",
            ));
        }
        if self.username.is_some() && self.secret_string.is_some() {
            return Err(ToolError::invalid(
                "username goes with a generated password; give secret_string alone to store \
                 your own value",
            ));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::created(Kind::Secret, &self.name)]
    }

    /// Generates the value with GetRandomPassword unless one is given, then CreateSecret with
    /// a ClientRequestToken, so the SDK's retries cannot create two versions.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let generated = self.secret_string.is_none();
        let value = match self.secret_string {
            Some(v) => v,
            None => {
                let p = client
                    .get_random_password()
                    .password_length(32)
                    // Characters that break connection strings and shells.
                    .exclude_characters("\"'@/\\`$")
                    .send()
                    .await
                    .map_err(ToolError::from_sdk)?;
                let password = p.random_password().unwrap_or_default().to_string();
                match &self.username {
                    Some(u) => json!({"username": u, "password": password}).to_string(),
                    None => password,
                }
            }
        };
        let tags: Option<Vec<Tag>> = self.tags.as_ref().map(|t| {
            t.iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect()
        });
        let out = client
            .create_secret()
            .name(&self.name)
            .set_description(self.description.clone())
            .set_kms_key_id(self.kms_key_id.clone())
            .secret_string(value)
            .client_request_token(random_hex(16))
            .set_tags(tags)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let how = if generated {
            " with a generated value that was not shown to anyone (read it with \
             get_secret_value if the server allows sensitive data)"
        } else {
            ""
        };
        Ok(Output::new(
            format!("Created secret {}{how}.", self.name),
            json!({"name": out.name(), "arn": out.arn(), "version_id": out.version_id(),
                   "generated": generated}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateSecret {
    /// Name or ARN
    pub secret_id: String,
    /// Required unless the secret has one
    pub rotation_lambda_arn: Option<String>,
    pub rotation_days: Option<i64>,
    /// Rotate once now too (default false)
    pub rotate_now: Option<bool>,
}

impl Action for RotateSecret {
    const NAME: &'static str = "rotate_secret";
    const DESCRIPTION: &'static str = "Set rotation Lambda and schedule";
    const ACCESS: Access = Access::Write;
    // Rotation replaces the value that applications and databases use.
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        check_secret_id(&self.secret_id)?;
        if let Some(d) = self.rotation_days
            && !(1..=1000).contains(&d)
        {
            return Err(ToolError::invalid("rotation_days must be 1 to 1000"));
        }
        if let Some(arn) = &self.rotation_lambda_arn
            && !(arn.starts_with("arn:") && arn.contains(":lambda:"))
        {
            return Err(ToolError::invalid(
                "rotation_lambda_arn must be a Lambda function ARN",
            ));
        }
        if self.rotation_days.is_none() && self.rotation_lambda_arn.is_none() {
            return Err(ToolError::invalid(
                "give rotation_days (and rotation_lambda_arn unless the secret has one)",
            ));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::new(Kind::Secret, &self.secret_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let now = self.rotate_now.unwrap_or(false);
        let rules = self.rotation_days.map(|d| {
            RotationRulesType::builder()
                .automatically_after_days(d)
                .build()
        });
        let out = client
            .rotate_secret()
            .secret_id(&self.secret_id)
            .set_rotation_lambda_arn(self.rotation_lambda_arn.clone())
            .set_rotation_rules(rules)
            .rotate_immediately(now)
            .client_request_token(random_hex(16))
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let schedule = self
            .rotation_days
            .map(|d| format!("every {d} days"))
            .unwrap_or_else(|| "on its existing schedule".into());
        Ok(Output::new(
            format!(
                "Rotation of {} is set {schedule}{}.",
                self.secret_id,
                if now {
                    "; a rotation started now"
                } else {
                    " (the first one at the schedule; the Lambda's test step ran)"
                }
            ),
            json!({"name": out.name(), "arn": out.arn(), "version_id": out.version_id(),
                   "rotation_days": self.rotation_days,
                   "rotation_lambda_arn": self.rotation_lambda_arn, "rotated_now": now}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteSecret {
    /// Name or ARN
    pub secret_id: String,
    /// 7-30, default 30
    pub days: Option<i64>,
}

impl Action for DeleteSecret {
    const NAME: &'static str = "delete_secret";
    const DESCRIPTION: &'static str = "Delete after a 7-30 day recovery window";
    const ACCESS: Access = Access::Destructive;
    // Whatever reads the secret fails at once; after the window the value is gone for good.
    const RISK: Risk = Risk::Critical;

    fn validate(&self) -> Result<(), ToolError> {
        check_secret_id(&self.secret_id)?;
        if let Some(d) = self.days
            && !(7..=30).contains(&d)
        {
            return Err(ToolError::invalid(
                "days (the recovery window) must be 7 to 30",
            ));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::new(Kind::Secret, &self.secret_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let days = self.days.unwrap_or(30);
        let out = client
            .delete_secret()
            .secret_id(&self.secret_id)
            .recovery_window_in_days(days)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let when = out.deletion_date().map(time);
        Ok(Output::new(
            format!(
                "Secret {} is deleted after a {days}-day recovery window ({}); until then \
                 secretsmanager restore-secret brings it back.",
                self.secret_id,
                when.as_deref().unwrap_or("date not returned")
            ),
            json!({"name": out.name(), "arn": out.arn(), "deletion_date": when,
                   "recovery_days": days}),
        ))
    }
}

fn check_secret_id(id: &str) -> Result<(), ToolError> {
    let ok = !id.is_empty()
        && id.len() <= 2048
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-:".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ToolError::invalid(format!(
            "'{id}' is not a secret name or ARN (letters, digits and /_+=.@-)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_checked() {
        let both: CreateSecret =
            serde_json::from_value(json!({"name": "db", "username": "app", "secret_string": "x"}))
                .unwrap();
        assert!(both.validate().is_err());
        let days: DeleteSecret =
            serde_json::from_value(json!({"secret_id": "db", "days": 3})).unwrap();
        assert!(days.validate().is_err());
        let nothing: RotateSecret = serde_json::from_value(json!({"secret_id": "db"})).unwrap();
        assert!(nothing.validate().is_err());
        assert!(check_secret_id("prod/db-credentials").is_ok());
        assert!(check_secret_id("bad name").is_err());
    }
}
