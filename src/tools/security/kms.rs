//! KMS keys: list with aliases, state and rotation; create (no idempotency token in KMS, so no
//! retry); turn on rotation; schedule deletion (7 to 30 days).

use std::collections::BTreeMap;

use aws_sdk_kms::{
    Client,
    types::{KeyManagerType, KeySpec, KeyState, KeyUsageType, Tag},
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{PARALLEL, Task, bounded};
use crate::aws::outcome::{CALL_TAG, Check, OnceSent, call_token, sent_once, stopped};
use crate::aws::time;
use crate::{
    aws::paging::{AllItems, PageRequest},
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Kind, Risk, Tags, Target},
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListKmsKeys {
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListKmsKeys {
    const NAME: &'static str = "list_kms_keys";
    const DESCRIPTION: &'static str = "Keys with aliases, state and rotation";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let (resp, aliases) = tokio::join!(
            client
                .list_keys()
                .limit(page.aws_page_size(1, 1000))
                .set_marker(page.aws_token.clone())
                .send(),
            aliases(&client),
        );
        let resp = resp.map_err(ToolError::from_sdk)?;
        let aliases = aliases?;
        let ids: Vec<String> = resp
            .keys()
            .iter()
            .filter_map(|k| k.key_id().map(str::to_string))
            .collect();
        let next = resp
            .truncated()
            .then(|| resp.next_marker().map(str::to_string));
        let (ids, next) = page.finish(ids, next.flatten());
        let keys = describe_keys(&client, &ids).await;
        let items: Vec<Value> = ids
            .iter()
            .zip(keys)
            .map(|(id, k)| {
                let mut v = match k {
                    Ok(v) => v,
                    Err(e) => json!({"key_id": id, "error": e.to_json()}),
                };
                v["aliases"] = json!(aliases.get(id).cloned().unwrap_or_default());
                v
            })
            .collect();
        let off = items
            .iter()
            .filter(|k| k["rotation_enabled"] == json!(false))
            .count();
        let mut summary = format!("{} key(s).", items.len());
        if off > 0 {
            summary.push_str(&format!(
                " {off} customer-managed key(s) without automatic rotation."
            ));
        }
        Ok(Output::new(summary, json!({ "keys": items })).with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKmsKey {
    pub description: Option<String>,
    /// Default SYMMETRIC_DEFAULT; e.g. RSA_2048, ECC_NIST_P256, HMAC_256
    pub key_spec: Option<String>,
    /// Default ENCRYPT_DECRYPT; SIGN_VERIFY, GENERATE_VERIFY_MAC
    pub key_usage: Option<String>,
    /// e.g. alias/app-data
    pub alias: Option<String>,
    /// Default on (symmetric keys)
    pub rotation: Option<bool>,
    pub tags: Option<Tags>,
}

impl Action for CreateKmsKey {
    const NAME: &'static str = "create_kms_key";
    const DESCRIPTION: &'static str = "Create a key (rotation on by default)";
    const ACCESS: Access = Access::Write;
    // A new key encrypts nothing yet (it costs about $1 a month).
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        if let Some(a) = &self.alias {
            check_alias(a)?;
        }
        if let Some(s) = &self.key_spec
            && KeySpec::values().iter().all(|v| v != s)
        {
            return Err(ToolError::invalid(format!(
                "key_spec '{s}' is not one of {}",
                KeySpec::values().join(", ")
            )));
        }
        if let Some(u) = &self.key_usage
            && KeyUsageType::values().iter().all(|v| v != u)
        {
            return Err(ToolError::invalid(format!(
                "key_usage '{u}' is not one of {}",
                KeyUsageType::values().join(", ")
            )));
        }
        if self.rotation == Some(true) && !self.symmetric() {
            return Err(ToolError::invalid(
                "automatic rotation works only for SYMMETRIC_DEFAULT encryption keys",
            ));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::created(
            Kind::KmsKey,
            self.alias.as_deref().unwrap_or("new key"),
        )]
    }

    /// Creates the key without retries: KMS CreateKey has no idempotency token, so a second
    /// try after a lost answer would make a second key. It is tagged with a random
    /// `espada:call` value, by which `list_kms_keys` finds it when the outcome is unknown.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let request = call_token();
        let mut tags: Vec<Tag> = self
            .tags
            .iter()
            .flatten()
            .filter_map(|(k, v)| Tag::builder().tag_key(k).tag_value(v).build().ok())
            .collect();
        tags.extend(
            Tag::builder()
                .tag_key(CALL_TAG)
                .tag_value(&request)
                .build()
                .ok(),
        );
        let out = client
            .create_key()
            .set_description(self.description.clone())
            .set_key_spec(self.key_spec.as_deref().map(KeySpec::from))
            .set_key_usage(self.key_usage.as_deref().map(KeyUsageType::from))
            .set_tags(Some(tags))
            .customize()
            .config_override(aws_sdk_kms::config::Builder::default().retry_classifier(OnceSent))
            .send()
            .await
            .map_err(|e| {
                sent_once(e, ToolError::from_sdk, "CreateKey", "the key", || Check {
                    tool: "aws_security",
                    action: "list_kms_keys",
                    arguments: json!({}),
                    look_for: format!("a key tagged {CALL_TAG}={request}"),
                })
            })?;
        let Some(meta) = out.key_metadata() else {
            return Err(ToolError::Aws {
                code: "Unknown".into(),
                message: "KMS answered CreateKey without the key".into(),
                hint: Some(format!(
                    "look for the tag {CALL_TAG}={request} with list_kms_keys"
                )),
            });
        };
        let key_id = meta.key_id().to_string();
        let mut done = vec![format!("created key {key_id}")];
        if let Some(alias) = &self.alias {
            client
                .create_alias()
                .alias_name(alias)
                .target_key_id(&key_id)
                .send()
                .await
                .map_err(|e| stopped(&done, &format!("name it {alias}"), ToolError::from_sdk(e)))?;
            done.push(format!("named it {alias}"));
        }
        let rotation = self.rotation.unwrap_or(self.symmetric());
        if rotation {
            client
                .enable_key_rotation()
                .key_id(&key_id)
                .send()
                .await
                .map_err(|e| stopped(&done, "turn on rotation", ToolError::from_sdk(e)))?;
            done.push("turned on yearly rotation".into());
        }
        Ok(Output::new(
            format!("{}.", super::roles::capitalise(&done.join(", "))),
            json!({
                "key_id": key_id,
                "arn": meta.arn(),
                "alias": self.alias,
                "key_spec": meta.key_spec().map(|s| s.as_str()),
                "key_usage": meta.key_usage().map(|u| u.as_str()),
                "rotation_enabled": rotation,
            }),
        ))
    }
}

impl CreateKmsKey {
    fn symmetric(&self) -> bool {
        self.key_spec.as_deref().unwrap_or("SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
            && self.key_usage.as_deref().unwrap_or("ENCRYPT_DECRYPT") == "ENCRYPT_DECRYPT"
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnableKeyRotation {
    /// Key id, ARN or alias/name
    pub key_id: String,
    pub rotation_days: Option<i32>,
}

impl Action for EnableKeyRotation {
    const NAME: &'static str = "enable_key_rotation";
    const DESCRIPTION: &'static str = "Turn on automatic key rotation";
    const ACCESS: Access = Access::Write;
    // Old key material stays available for decryption: nothing existing breaks.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_key_ref(&self.key_id)?;
        if let Some(d) = self.rotation_days
            && !(90..=2560).contains(&d)
        {
            return Err(ToolError::invalid("rotation_days must be 90 to 2560"));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::new(Kind::KmsKey, &self.key_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let key_id = resolve(&client, &self.key_id).await?;
        client
            .enable_key_rotation()
            .key_id(&key_id)
            .set_rotation_period_in_days(self.rotation_days)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        Ok(Output::new(
            format!(
                "Turned on automatic rotation of {} every {} days.",
                self.key_id,
                self.rotation_days.unwrap_or(365)
            ),
            json!({"key_id": key_id, "rotation_enabled": true,
                   "rotation_days": self.rotation_days.unwrap_or(365)}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleKeyDeletion {
    /// Key id, ARN or alias/name
    pub key_id: String,
    /// 7-30, default 30
    pub days: Option<i32>,
}

impl Action for ScheduleKeyDeletion {
    const NAME: &'static str = "schedule_key_deletion";
    const DESCRIPTION: &'static str = "Delete a key after 7-30 days";
    const ACCESS: Access = Access::Destructive;
    // Everything encrypted with the key becomes unreadable for good once it is deleted.
    const RISK: Risk = Risk::Critical;

    fn validate(&self) -> Result<(), ToolError> {
        check_key_ref(&self.key_id)?;
        if let Some(d) = self.days
            && !(7..=30).contains(&d)
        {
            return Err(ToolError::invalid("days must be 7 to 30"));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::new(Kind::KmsKey, &self.key_id)]
    }

    /// Refuses AWS-managed keys and keys already pending deletion, read first; then schedules
    /// the deletion. Until the date, CancelKeyDeletion brings the key back.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let d = client
            .describe_key()
            .key_id(&self.key_id)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let Some(meta) = d.key_metadata() else {
            return Err(ToolError::invalid(format!("no key {}", self.key_id)));
        };
        if meta.key_manager() == Some(&KeyManagerType::Aws) {
            return Err(ToolError::Precondition {
                message: format!("{} is an AWS managed key", self.key_id),
                hint: "AWS managed keys cannot be deleted; nothing was done".into(),
                details: json!({"key_id": meta.key_id()}),
            });
        }
        if meta.key_state() == Some(&KeyState::PendingDeletion) {
            return Err(ToolError::Precondition {
                message: format!(
                    "{} is already scheduled for deletion on {}",
                    self.key_id,
                    meta.deletion_date().map(time).unwrap_or_default()
                ),
                hint: "nothing was done; cancel with the AWS CLI kms cancel-key-deletion to keep \
                       it"
                .into(),
                details: json!({"key_id": meta.key_id()}),
            });
        }
        let days = self.days.unwrap_or(30);
        let out = client
            .schedule_key_deletion()
            .key_id(meta.key_id())
            .pending_window_in_days(days)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let when = out.deletion_date().map(time);
        Ok(Output::new(
            format!(
                "Scheduled {} for deletion in {days} days ({}); until then it can be cancelled \
                 (kms cancel-key-deletion) and it cannot be used.",
                self.key_id,
                when.as_deref().unwrap_or("date not returned")
            ),
            json!({"key_id": meta.key_id(), "deletion_date": when, "pending_days": days}),
        ))
    }
}

/// Aliases by target key id.
pub async fn aliases(client: &Client) -> Result<BTreeMap<String, Vec<String>>, ToolError> {
    let list = client
        .list_aliases()
        .into_paginator()
        .items()
        .send()
        .all()
        .await?;
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for a in list {
        if let (Some(key), Some(name)) = (a.target_key_id(), a.alias_name()) {
            out.entry(key.to_string())
                .or_default()
                .push(name.to_string());
        }
    }
    Ok(out)
}

/// Each key's metadata and, for customer-managed symmetric keys, whether rotation is on.
pub async fn describe_keys(client: &Client, ids: &[String]) -> Vec<Result<Value, ToolError>> {
    let tasks: Vec<Task<Result<Value, ToolError>>> = ids
        .iter()
        .map(|id| {
            let (client, id) = (client.clone(), id.clone());
            Box::pin(async move { describe_key(&client, &id).await }) as Task<_>
        })
        .collect();
    bounded(tasks, PARALLEL).await
}

async fn describe_key(client: &Client, id: &str) -> Result<Value, ToolError> {
    let d = client
        .describe_key()
        .key_id(id)
        .send()
        .await
        .map_err(ToolError::from_sdk)?;
    let Some(m) = d.key_metadata() else {
        return Ok(json!({"key_id": id}));
    };
    let customer = m.key_manager() == Some(&KeyManagerType::Customer);
    let symmetric = m.key_spec().is_none_or(|s| *s == KeySpec::SymmetricDefault)
        && m.key_usage()
            .is_none_or(|u| *u == KeyUsageType::EncryptDecrypt);
    let rotates = customer && symmetric && m.key_state() != Some(&KeyState::PendingDeletion);
    let rotation = if rotates {
        let r = client
            .get_key_rotation_status()
            .key_id(id)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        Some(r.key_rotation_enabled())
    } else {
        None
    };
    Ok(json!({
        "key_id": m.key_id(),
        "arn": m.arn(),
        "description": m.description(),
        "state": m.key_state().map(|s| s.as_str()),
        "manager": m.key_manager().map(|k| k.as_str()),
        "key_spec": m.key_spec().map(|s| s.as_str()),
        "key_usage": m.key_usage().map(|u| u.as_str()),
        "created": m.creation_date().map(time),
        "deletion_date": m.deletion_date().map(time),
        "rotation_enabled": rotation,
    }))
}

/// The key id of a key id, ARN or alias.
async fn resolve(client: &Client, key: &str) -> Result<String, ToolError> {
    if !key.contains("alias/") {
        return Ok(key.to_string());
    }
    let d = client
        .describe_key()
        .key_id(key)
        .send()
        .await
        .map_err(ToolError::from_sdk)?;
    Ok(d.key_metadata()
        .map(|m| m.key_id().to_string())
        .unwrap_or_else(|| key.to_string()))
}

fn check_alias(alias: &str) -> Result<(), ToolError> {
    let rest = alias.strip_prefix("alias/").unwrap_or("");
    let ok = !rest.is_empty()
        && !rest.starts_with("aws/")
        && alias.len() <= 256
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ToolError::invalid(format!(
            "alias '{alias}' must look like alias/my-key (letters, digits, / _ -; not alias/aws/)"
        )))
    }
}

fn check_key_ref(key: &str) -> Result<(), ToolError> {
    if key.is_empty() || key.contains('*') || key.len() > 2048 {
        return Err(ToolError::invalid(
            "key_id must be a key id, key ARN or alias/name (list_kms_keys shows them)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_checked() {
        assert!(check_alias("alias/app-data").is_ok());
        assert!(check_alias("app-data").is_err());
        assert!(check_alias("alias/aws/s3").is_err());
        let bad: CreateKmsKey =
            serde_json::from_value(json!({"key_spec": "RSA_2048", "rotation": true})).unwrap();
        assert!(bad.validate().is_err());
        let days: ScheduleKeyDeletion =
            serde_json::from_value(json!({"key_id": "k", "days": 3})).unwrap();
        assert!(days.validate().is_err());
    }
}
