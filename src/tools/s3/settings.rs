//! Bucket settings: versioning, default encryption, lifecycle rules, public access block.

use aws_sdk_s3::{
    Client,
    types::{
        AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketVersioningStatus,
        ExpirationStatus, LifecycleExpiration, LifecycleRule as SdkRule, LifecycleRuleFilter,
        NoncurrentVersionExpiration, PublicAccessBlockConfiguration, ServerSideEncryption,
        ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
        Transition as SdkTransition, TransitionStorageClass, VersioningConfiguration,
    },
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{
    Encryption, StorageClass, bucket_target, build_error, check_bucket_ref, check_kms, s3_error,
    unless_unset,
};
use crate::{
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Flag, Risk, Target},
};

const PAB_FIELDS: [&str; 4] = [
    "block_public_acls",
    "ignore_public_acls",
    "block_public_policy",
    "restrict_public_buckets",
];

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetVersioning {
    pub bucket: String,
}

impl Action for GetVersioning {
    const NAME: &'static str = "get_versioning";
    const DESCRIPTION: &'static str = "Versioning state";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_bucket_ref(&self.bucket)
    }

    fn targets(&self) -> Vec<Target> {
        vec![bucket_target(&self.bucket)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let bucket = self.bucket.as_str();
        let resp = client
            .get_bucket_versioning()
            .bucket(bucket)
            .send()
            .await
            .map_err(s3_error)?;
        let state = resp.status().map(|s| s.as_str()).unwrap_or("Disabled");
        let summary = match state {
            "Enabled" => format!(
                "Versioning is enabled on {bucket}: every overwrite and delete keeps the old \
                 version."
            ),
            "Suspended" => format!(
                "Versioning is suspended on {bucket}: existing versions are kept, new writes \
                 replace the current object."
            ),
            _ => format!("Versioning has never been enabled on {bucket}."),
        };
        Ok(Output::new(
            summary,
            json!({"bucket": bucket, "versioning": state,
                   "mfa_delete": resp.mfa_delete().map(|m| m.as_str())}),
        ))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VersioningStatus {
    Enabled,
    Suspended,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetVersioning {
    pub bucket: String,
    pub versioning: VersioningStatus,
}

impl Action for SetVersioning {
    const NAME: &'static str = "set_versioning";
    const DESCRIPTION: &'static str = "Enable or suspend versioning";
    const ACCESS: Access = Access::Write;
    // It decides whether overwritten and deleted objects can be recovered.
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        check_bucket_ref(&self.bucket)
    }

    fn targets(&self) -> Vec<Target> {
        vec![bucket_target(&self.bucket)]
    }

    fn flags(&self) -> Vec<Flag> {
        match self.versioning {
            VersioningStatus::Suspended => vec![Flag::critical(format!(
                "suspends versioning on {}: from then on an overwritten or deleted object is \
                 lost for good",
                self.bucket
            ))],
            VersioningStatus::Enabled => Vec::new(),
        }
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let bucket = self.bucket.as_str();
        let sdk_status = match self.versioning {
            VersioningStatus::Enabled => BucketVersioningStatus::Enabled,
            VersioningStatus::Suspended => BucketVersioningStatus::Suspended,
        };
        client
            .put_bucket_versioning()
            .bucket(bucket)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(sdk_status.clone())
                    .build(),
            )
            .send()
            .await
            .map_err(s3_error)?;
        let summary = match self.versioning {
            VersioningStatus::Enabled => format!("Versioning is now enabled on {bucket}."),
            VersioningStatus::Suspended => format!(
                "Versioning is now suspended on {bucket}: existing versions stay (and are \
                 billed); new writes replace the current object."
            ),
        };
        Ok(Output::new(
            summary,
            json!({"bucket": bucket, "versioning": sdk_status.as_str()}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetEncryption {
    pub bucket: String,
}

impl Action for GetEncryption {
    const NAME: &'static str = "get_encryption";
    const DESCRIPTION: &'static str = "Default encryption";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_bucket_ref(&self.bucket)
    }

    fn targets(&self) -> Vec<Target> {
        vec![bucket_target(&self.bucket)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let bucket = self.bucket.as_str();
        let enc = encryption_of(&client, bucket).await?;
        let summary = match &enc {
            Some(e) => format!(
                "{bucket} encrypts new objects with {} by default.",
                e["algorithm"].as_str().unwrap_or("?")
            ),
            None => format!("{bucket} has no default encryption configuration."),
        };
        Ok(Output::new(
            summary,
            json!({"bucket": bucket, "encryption": enc.unwrap_or_else(|| json!("none"))}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetEncryption {
    pub bucket: String,
    pub encryption: Encryption,
    /// For sse-kms, e.g. alias/my-key
    pub kms_key_id: Option<String>,
    /// Default true for sse-kms
    pub bucket_key_enabled: Option<bool>,
}

impl Action for SetEncryption {
    const NAME: &'static str = "set_encryption";
    const DESCRIPTION: &'static str = "Set default encryption";
    const ACCESS: Access = Access::Write;
    // A KMS key decides who can read new objects (and they become unreadable if it goes).
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        check_bucket_ref(&self.bucket)?;
        check_kms(Some(self.encryption), &self.kms_key_id)
    }

    fn targets(&self) -> Vec<Target> {
        vec![bucket_target(&self.bucket)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        put_encryption(
            &client,
            &self.bucket,
            self.encryption,
            self.kms_key_id.as_deref(),
            self.bucket_key_enabled,
        )
        .await?;
        let enc = encryption_of(&client, &self.bucket).await?;
        Ok(Output::new(
            format!(
                "{} now encrypts new objects with {} by default; existing objects keep their \
                 encryption until rewritten.",
                self.bucket,
                self.encryption.algorithm()
            ),
            json!({"bucket": self.bucket, "encryption": enc}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetLifecycle {
    pub bucket: String,
}

impl Action for GetLifecycle {
    const NAME: &'static str = "get_lifecycle";
    const DESCRIPTION: &'static str = "Lifecycle rules";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_bucket_ref(&self.bucket)
    }

    fn targets(&self) -> Vec<Target> {
        vec![bucket_target(&self.bucket)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let bucket = self.bucket.as_str();
        let Some(rules) = lifecycle_of(&client, bucket).await? else {
            return Ok(Output::new(
                format!("{bucket} has no lifecycle rules."),
                json!({"bucket": bucket, "rules": []}),
            ));
        };
        let lines: Vec<String> = rules.iter().map(describe_rule).collect();
        Ok(Output::new(
            format!(
                "{bucket} has {} lifecycle rule(s): {}.",
                rules.len(),
                lines.join("; ")
            ),
            json!({"bucket": bucket, "rules": rules}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetLifecycle {
    pub bucket: String,
    pub rules: Vec<LifecycleRule>,
}

// One lifecycle rule, as set_lifecycle takes it and get_lifecycle shows it. (No doc comments
// on this type or `Transition`: they would become schema descriptions.)
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LifecycleRule {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transitions: Option<Vec<Transition>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noncurrent_expiration_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abort_incomplete_multipart_days: Option<u32>,
}

// Move objects to another storage class a number of days after creation.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    pub days: u32,
    pub storage_class: StorageClass,
}

impl Action for SetLifecycle {
    const NAME: &'static str = "set_lifecycle";
    const DESCRIPTION: &'static str = "Replace all lifecycle rules";
    const ACCESS: Access = Access::Write;
    // It decides how long data is kept and where.
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        check_bucket_ref(&self.bucket)?;
        check_lifecycle(&self.rules)
    }

    fn targets(&self) -> Vec<Target> {
        vec![bucket_target(&self.bucket)]
    }

    /// Enabled rules that expire objects delete them; disabled rules do nothing until a later
    /// call turns them on.
    fn flags(&self) -> Vec<Flag> {
        let ids = |pick: fn(&LifecycleRule) -> Option<u32>| -> Vec<String> {
            self.rules
                .iter()
                .filter(|r| r.enabled != Some(false))
                .filter_map(|r| pick(r).map(|d| format!("{} after {d} d", r.id)))
                .collect()
        };
        let mut flags = Vec::new();
        let current = ids(|r| r.expiration_days);
        if !current.is_empty() {
            flags.push(Flag::critical(format!(
                "deletes current objects in {} for good unless versioning keeps them: {}",
                self.bucket,
                current.join(", ")
            )));
        }
        let old = ids(|r| r.noncurrent_expiration_days);
        if !old.is_empty() {
            flags.push(Flag::high(format!(
                "deletes old object versions in {} for good: {}",
                self.bucket,
                old.join(", ")
            )));
        }
        flags
    }

    /// Replaces the whole lifecycle configuration with `rules`.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let bucket = self.bucket.as_str();
        let sdk_rules = self
            .rules
            .iter()
            .map(sdk_rule)
            .collect::<Result<Vec<_>, _>>()?;
        let config = BucketLifecycleConfiguration::builder()
            .set_rules(Some(sdk_rules))
            .build()
            .map_err(build_error)?;
        client
            .put_bucket_lifecycle_configuration()
            .bucket(bucket)
            .lifecycle_configuration(config)
            .send()
            .await
            .map_err(s3_error)?;
        let shown: Vec<Value> = self
            .rules
            .iter()
            .map(|r| serde_json::to_value(r).expect("rules serialise"))
            .collect();
        let lines: Vec<String> = shown.iter().map(describe_rule).collect();
        Ok(Output::new(
            format!(
                "{bucket} now has {} lifecycle rule(s), replacing any before: {}.",
                self.rules.len(),
                lines.join("; ")
            ),
            json!({"bucket": bucket, "rules": shown}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetPublicAccessBlock {
    pub bucket: String,
}

impl Action for GetPublicAccessBlock {
    const NAME: &'static str = "get_public_access_block";
    const DESCRIPTION: &'static str = "Public access block settings";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_bucket_ref(&self.bucket)
    }

    fn targets(&self) -> Vec<Target> {
        vec![bucket_target(&self.bucket)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let bucket = self.bucket.as_str();
        let block = block_of(&client, bucket).await?;
        let summary = match &block {
            None => format!(
                "{bucket} has no public access block: public ACLs and policies take effect \
                 unless the account-level block stops them."
            ),
            Some(b) => {
                let off = off_fields(b);
                if off.is_empty() {
                    format!("All public access to {bucket} is blocked.")
                } else {
                    format!(
                        "{bucket}'s public access block is partly off: {}.",
                        off.join(", ")
                    )
                }
            }
        };
        Ok(Output::new(
            summary,
            json!({"bucket": bucket,
                   "public_access_block": block.unwrap_or_else(|| json!("none"))}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPublicAccessBlock {
    pub bucket: String,
    pub block_public_acls: Option<bool>,
    pub ignore_public_acls: Option<bool>,
    pub block_public_policy: Option<bool>,
    pub restrict_public_buckets: Option<bool>,
}

impl SetPublicAccessBlock {
    /// The protections this call turns off, by their field names.
    fn turned_off(&self) -> Vec<&'static str> {
        PAB_FIELDS
            .into_iter()
            .zip(self.wanted())
            .filter(|(_, v)| *v == Some(false))
            .map(|(name, _)| name)
            .collect()
    }

    fn wanted(&self) -> [Option<bool>; 4] {
        [
            self.block_public_acls,
            self.ignore_public_acls,
            self.block_public_policy,
            self.restrict_public_buckets,
        ]
    }
}

impl Action for SetPublicAccessBlock {
    const NAME: &'static str = "set_public_access_block";
    const DESCRIPTION: &'static str = "Change public access block (omitted fields kept)";
    const ACCESS: Access = Access::Write;
    // It decides whether ACLs and policies can make the bucket public.
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        check_bucket_ref(&self.bucket)?;
        if self.wanted().iter().all(Option::is_none) {
            return Err(ToolError::invalid(format!(
                "set_public_access_block needs at least one of {}",
                PAB_FIELDS.join(", ")
            )));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![bucket_target(&self.bucket)]
    }

    fn flags(&self) -> Vec<Flag> {
        self.turned_off()
            .into_iter()
            .map(|name| {
                Flag::critical(format!(
                    "turns off {name} on bucket {}: public ACLs or policies can then expose it",
                    self.bucket
                ))
            })
            .collect()
    }

    /// Fields left out keep their current value (false when the bucket has no block).
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let bucket = self.bucket.as_str();
        let current = block_of(&client, bucket).await?;
        let now = |name: &str| {
            current
                .as_ref()
                .and_then(|b| b[name].as_bool())
                .unwrap_or(false)
        };
        let mut wanted = [false; 4];
        for (i, (name, asked)) in PAB_FIELDS.into_iter().zip(self.wanted()).enumerate() {
            wanted[i] = asked.unwrap_or_else(|| now(name));
        }
        put_block(&client, bucket, wanted).await?;
        let block = block_json(wanted);
        let off = off_fields(&block);
        let mut data = json!({"bucket": bucket, "public_access_block": block});
        let summary = if off.is_empty() {
            format!("All public access to {bucket} is now blocked.")
        } else {
            let warning = format!(
                "public access protection is off on {bucket}: {}; a public ACL or policy can \
                 now expose its objects",
                off.join(", ")
            );
            data["warnings"] = json!([warning]);
            format!("Updated the public access block. Warning: {warning}.")
        };
        Ok(Output::new(summary, data))
    }
}

/// Sets all four public access block settings.
pub async fn put_block(client: &Client, bucket: &str, v: [bool; 4]) -> Result<(), ToolError> {
    client
        .put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(v[0])
                .ignore_public_acls(v[1])
                .block_public_policy(v[2])
                .restrict_public_buckets(v[3])
                .build(),
        )
        .send()
        .await
        .map_err(s3_error)?;
    Ok(())
}

/// A bucket's default encryption as JSON, or `None` when it has none.
pub async fn encryption_of(client: &Client, bucket: &str) -> Result<Option<Value>, ToolError> {
    let resp = client
        .get_bucket_encryption()
        .bucket(bucket)
        .send()
        .await
        .map_err(s3_error);
    let Some(resp) = unless_unset(resp, &["ServerSideEncryptionConfigurationNotFoundError"])?
    else {
        return Ok(None);
    };
    let rule = resp
        .server_side_encryption_configuration()
        .and_then(|c| c.rules().first());
    Ok(rule.map(|r| {
        let by_default = r.apply_server_side_encryption_by_default();
        json!({
            "algorithm": by_default.map(|d| d.sse_algorithm().as_str()),
            "kms_key_id": by_default.and_then(|d| d.kms_master_key_id()),
            "bucket_key_enabled": r.bucket_key_enabled(),
        })
    }))
}

pub async fn put_encryption(
    client: &Client,
    bucket: &str,
    encryption: Encryption,
    kms_key_id: Option<&str>,
    bucket_key_enabled: Option<bool>,
) -> Result<(), ToolError> {
    let (algorithm, bucket_key) = match encryption {
        Encryption::SseS3 => (ServerSideEncryption::Aes256, bucket_key_enabled),
        Encryption::SseKms => (
            ServerSideEncryption::AwsKms,
            Some(bucket_key_enabled.unwrap_or(true)),
        ),
    };
    let by_default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(algorithm)
        .set_kms_master_key_id(kms_key_id.map(str::to_string))
        .build()
        .map_err(build_error)?;
    let config = ServerSideEncryptionConfiguration::builder()
        .rules(
            ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(by_default)
                .set_bucket_key_enabled(bucket_key)
                .build(),
        )
        .build()
        .map_err(build_error)?;
    client
        .put_bucket_encryption()
        .bucket(bucket)
        .server_side_encryption_configuration(config)
        .send()
        .await
        .map_err(s3_error)?;
    Ok(())
}

/// A bucket's lifecycle rules in set_lifecycle's shape, or `None` when it has none.
pub async fn lifecycle_of(client: &Client, bucket: &str) -> Result<Option<Vec<Value>>, ToolError> {
    let resp = client
        .get_bucket_lifecycle_configuration()
        .bucket(bucket)
        .send()
        .await
        .map_err(s3_error);
    let resp = unless_unset(resp, &["NoSuchLifecycleConfiguration"])?;
    Ok(resp.map(|r| r.rules().iter().map(rule_json).collect()))
}

/// The public access block as JSON, or `None` when the bucket has none.
pub async fn block_of(client: &Client, bucket: &str) -> Result<Option<Value>, ToolError> {
    let resp = client
        .get_public_access_block()
        .bucket(bucket)
        .send()
        .await
        .map_err(s3_error);
    let resp = unless_unset(resp, &["NoSuchPublicAccessBlockConfiguration"])?;
    Ok(resp.map(|r| {
        let c = r.public_access_block_configuration();
        let get =
            |f: fn(&PublicAccessBlockConfiguration) -> Option<bool>| c.and_then(f).unwrap_or(false);
        block_json([
            get(PublicAccessBlockConfiguration::block_public_acls),
            get(PublicAccessBlockConfiguration::ignore_public_acls),
            get(PublicAccessBlockConfiguration::block_public_policy),
            get(PublicAccessBlockConfiguration::restrict_public_buckets),
        ])
    }))
}

fn block_json(v: [bool; 4]) -> Value {
    PAB_FIELDS
        .iter()
        .zip(v)
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// The public access block fields that are off.
fn off_fields(block: &Value) -> Vec<&'static str> {
    PAB_FIELDS
        .iter()
        .copied()
        .filter(|f| block[*f] != json!(true))
        .collect()
}

fn sdk_rule(r: &LifecycleRule) -> Result<SdkRule, ToolError> {
    let filter = LifecycleRuleFilter::builder()
        .set_prefix(r.prefix.clone().filter(|p| !p.is_empty()))
        .build();
    let status = if r.enabled.unwrap_or(true) {
        ExpirationStatus::Enabled
    } else {
        ExpirationStatus::Disabled
    };
    let transitions: Vec<SdkTransition> = r
        .transitions
        .iter()
        .flatten()
        .map(|t| {
            SdkTransition::builder()
                .days(t.days as i32)
                .storage_class(TransitionStorageClass::from(t.storage_class.as_str()))
                .build()
        })
        .collect();
    SdkRule::builder()
        .id(&r.id)
        .filter(filter)
        .status(status)
        .set_transitions((!transitions.is_empty()).then_some(transitions))
        .set_expiration(
            r.expiration_days
                .map(|d| LifecycleExpiration::builder().days(d as i32).build()),
        )
        .set_noncurrent_version_expiration(r.noncurrent_expiration_days.map(|d| {
            NoncurrentVersionExpiration::builder()
                .noncurrent_days(d as i32)
                .build()
        }))
        .set_abort_incomplete_multipart_upload(r.abort_incomplete_multipart_days.map(|d| {
            AbortIncompleteMultipartUpload::builder()
                .days_after_initiation(d as i32)
                .build()
        }))
        .build()
        .map_err(build_error)
}

/// An SDK rule in set_lifecycle's shape. Parts this tool cannot set (tag filters, dates,
/// noncurrent transitions, ...) are named under `not_editable_here`, since set_lifecycle would
/// drop them.
fn rule_json(r: &SdkRule) -> Value {
    let mut other = Vec::new();
    let filter = r.filter();
    if filter.is_some_and(|f| {
        f.tag().is_some()
            || f.and().is_some()
            || f.object_size_greater_than().is_some()
            || f.object_size_less_than().is_some()
    }) {
        other.push("a tag or object-size filter".to_string());
    }
    // Rules written before filters existed carry a top-level Prefix.
    #[allow(deprecated)]
    let legacy_prefix = r.prefix();
    let prefix = filter
        .and_then(|f| f.prefix())
        .or(legacy_prefix)
        .filter(|p| !p.is_empty());
    let mut transitions = Vec::new();
    for t in r.transitions() {
        let class = t
            .storage_class()
            .and_then(|c| StorageClass::from_name(c.as_str()));
        match (t.days(), class) {
            (Some(days), Some(storage_class)) if days >= 0 => transitions.push(Transition {
                days: days as u32,
                storage_class,
            }),
            _ => other.push("a transition by date or to an unlisted class".into()),
        }
    }
    let expiration = r.expiration();
    if expiration.is_some_and(|e| e.date().is_some()) {
        other.push("an expiration date".into());
    }
    if expiration.is_some_and(|e| e.expired_object_delete_marker() == Some(true)) {
        other.push("expired delete marker removal".into());
    }
    if !r.noncurrent_version_transitions().is_empty() {
        other.push("noncurrent version transitions".into());
    }
    if r.noncurrent_version_expiration()
        .is_some_and(|n| n.newer_noncurrent_versions().is_some())
    {
        other.push("a count of newer noncurrent versions to keep".into());
    }
    let days = |d: Option<i32>| d.filter(|d| *d >= 0).map(|d| d as u32);
    let rule = LifecycleRule {
        id: r.id().unwrap_or_default().to_string(),
        prefix: prefix.map(str::to_string),
        enabled: Some(*r.status() == ExpirationStatus::Enabled),
        transitions: (!transitions.is_empty()).then_some(transitions),
        expiration_days: days(expiration.and_then(|e| e.days())),
        noncurrent_expiration_days: days(
            r.noncurrent_version_expiration()
                .and_then(|n| n.noncurrent_days()),
        ),
        abort_incomplete_multipart_days: days(
            r.abort_incomplete_multipart_upload()
                .and_then(|a| a.days_after_initiation()),
        ),
    };
    let mut v = serde_json::to_value(rule).expect("rules serialise");
    if !other.is_empty() {
        v["not_editable_here"] = json!(other);
    }
    v
}

/// "expire-logs (logs/): STANDARD_IA after 30 d, expire after 90 d".
fn describe_rule(r: &Value) -> String {
    let mut parts = Vec::new();
    for t in r["transitions"].as_array().into_iter().flatten() {
        parts.push(format!(
            "{} after {} d",
            t["storage_class"].as_str().unwrap_or("?"),
            t["days"]
        ));
    }
    if let Some(d) = r["expiration_days"].as_u64() {
        parts.push(format!("expire after {d} d"));
    }
    if let Some(d) = r["noncurrent_expiration_days"].as_u64() {
        parts.push(format!("old versions expire after {d} d"));
    }
    if let Some(d) = r["abort_incomplete_multipart_days"].as_u64() {
        parts.push(format!("abort unfinished uploads after {d} d"));
    }
    let scope = r["prefix"].as_str().unwrap_or("whole bucket");
    let off = if r["enabled"] == json!(false) {
        ", disabled"
    } else {
        ""
    };
    format!(
        "{} ({scope}{off}): {}",
        r["id"].as_str().unwrap_or("?"),
        parts.join(", ")
    )
}

fn check_lifecycle(rules: &[LifecycleRule]) -> Result<(), ToolError> {
    let fail = |msg: String| Err(ToolError::invalid(msg));
    if rules.is_empty() || rules.len() > 1000 {
        return fail("rules must hold between 1 and 1000 rules".into());
    }
    let mut ids = std::collections::HashSet::new();
    for r in rules {
        if r.id.is_empty() || r.id.len() > 255 {
            return fail("every rule needs an id of 1 to 255 characters".into());
        }
        if !ids.insert(r.id.as_str()) {
            return fail(format!("rule id '{}' is used twice", r.id));
        }
        let transitions = r.transitions.as_deref().unwrap_or_default();
        if transitions.is_empty()
            && r.expiration_days.is_none()
            && r.noncurrent_expiration_days.is_none()
            && r.abort_incomplete_multipart_days.is_none()
        {
            return fail(format!(
                "rule '{}' does nothing: give transitions, expiration_days, \
                 noncurrent_expiration_days or abort_incomplete_multipart_days",
                r.id
            ));
        }
        if let Some(t) = transitions
            .iter()
            .find(|t| t.storage_class == StorageClass::Standard)
        {
            return fail(format!(
                "rule '{}': objects cannot transition to STANDARD (day {}); pick a colder class",
                r.id, t.days
            ));
        }
        for (name, days) in [
            ("expiration_days", r.expiration_days),
            ("noncurrent_expiration_days", r.noncurrent_expiration_days),
            (
                "abort_incomplete_multipart_days",
                r.abort_incomplete_multipart_days,
            ),
        ] {
            if days == Some(0) {
                return fail(format!("rule '{}': {name} must be at least 1", r.id));
            }
        }
        if let (Some(exp), Some(last)) =
            (r.expiration_days, transitions.iter().map(|t| t.days).max())
            && exp <= last
        {
            return fail(format!(
                "rule '{}': expiration_days ({exp}) must come after the last transition (day \
                 {last})",
                r.id
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lifecycle(rules: Value) -> SetLifecycle {
        serde_json::from_value(json!({"bucket": "logs", "rules": rules})).unwrap()
    }

    #[test]
    fn lifecycle_rules_that_delete_are_flagged() {
        let call = lifecycle(json!([
            {"id": "expire", "expiration_days": 90, "noncurrent_expiration_days": 30},
            {"id": "off", "enabled": false, "expiration_days": 1},
            {"id": "cold", "transitions": [{"days": 30, "storage_class": "GLACIER"}]}
        ]));
        call.validate().unwrap();
        let flags = call.flags();
        assert_eq!(flags.len(), 2, "{flags:?}");
        assert_eq!(flags[0].risk, Risk::Critical);
        assert!(
            flags[0].reason.ends_with(": expire after 90 d"),
            "{flags:?}"
        );
        assert_eq!(flags[1].risk, Risk::High);
        assert!(
            flags[1].reason.ends_with(": expire after 30 d"),
            "{flags:?}"
        );
        let cold = lifecycle(json!([
            {"id": "cold", "transitions": [{"days": 30, "storage_class": "GLACIER"}],
             "abort_incomplete_multipart_days": 7}
        ]));
        assert!(cold.flags().is_empty());
    }

    #[test]
    fn suspending_versioning_and_opening_the_block_are_critical() {
        let suspend: SetVersioning =
            serde_json::from_value(json!({"bucket": "b", "versioning": "suspended"})).unwrap();
        assert_eq!(suspend.flags()[0].risk, Risk::Critical);
        let enable: SetVersioning =
            serde_json::from_value(json!({"bucket": "b", "versioning": "enabled"})).unwrap();
        assert!(enable.flags().is_empty());
        let open: SetPublicAccessBlock = serde_json::from_value(
            json!({"bucket": "b", "block_public_acls": true, "block_public_policy": false}),
        )
        .unwrap();
        let flags = open.flags();
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].risk, Risk::Critical);
        assert!(
            flags[0]
                .reason
                .starts_with("turns off block_public_policy on bucket b")
        );
    }
}
