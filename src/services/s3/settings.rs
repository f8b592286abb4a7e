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
use serde_json::{Value, json};

use super::{S3, buckets::build_error, s3_error, unless_unset};
use crate::{
    error::ToolError,
    output::Output,
    tools::s3::{
        Encryption, LifecycleRule, SetEncryptionInput, SetPublicAccessBlockInput, StorageClass,
        Transition, VersioningStatus,
    },
};

const PAB_FIELDS: [&str; 4] = [
    "block_public_acls",
    "ignore_public_acls",
    "block_public_policy",
    "restrict_public_buckets",
];

impl S3<'_> {
    pub async fn get_versioning(&self, bucket: &str) -> Result<Output, ToolError> {
        let resp = self
            .client
            .get_bucket_versioning()
            .bucket(bucket)
            .send()
            .await
            .map_err(s3_error)?;
        let state = resp.status().map(|s| s.as_str()).unwrap_or("Disabled");
        let summary = match state {
            "Enabled" => format!(
                "Versioning is enabled on {bucket}: every overwrite and delete keeps the old version."
            ),
            "Suspended" => format!(
                "Versioning is suspended on {bucket}: existing versions are kept, new writes replace the current object."
            ),
            _ => format!("Versioning has never been enabled on {bucket}."),
        };
        Ok(Output::new(
            summary,
            json!({"bucket": bucket, "versioning": state,
                   "mfa_delete": resp.mfa_delete().map(|m| m.as_str())}),
        ))
    }

    pub async fn set_versioning(
        &self,
        bucket: &str,
        status: VersioningStatus,
    ) -> Result<Output, ToolError> {
        let sdk_status = match status {
            VersioningStatus::Enabled => BucketVersioningStatus::Enabled,
            VersioningStatus::Suspended => BucketVersioningStatus::Suspended,
        };
        self.client
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
        let summary = match status {
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

    pub async fn get_encryption(&self, bucket: &str) -> Result<Output, ToolError> {
        let enc = encryption_of(self.client, bucket).await?;
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

    pub async fn set_encryption(&self, i: SetEncryptionInput) -> Result<Output, ToolError> {
        put_encryption(
            self.client,
            &i.bucket,
            i.encryption,
            i.kms_key_id.as_deref(),
            i.bucket_key_enabled,
        )
        .await?;
        let enc = encryption_of(self.client, &i.bucket).await?;
        Ok(Output::new(
            format!(
                "{} now encrypts new objects with {} by default; existing objects keep their \
                 encryption until rewritten.",
                i.bucket,
                super::buckets::algorithm(i.encryption)
            ),
            json!({"bucket": i.bucket, "encryption": enc}),
        ))
    }

    pub async fn get_lifecycle(&self, bucket: &str) -> Result<Output, ToolError> {
        let rules = lifecycle_of(self.client, bucket).await?;
        let Some(rules) = rules else {
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

    /// Replaces the whole lifecycle configuration with `rules`.
    pub async fn set_lifecycle(
        &self,
        bucket: &str,
        rules: Vec<LifecycleRule>,
    ) -> Result<Output, ToolError> {
        let sdk_rules = rules.iter().map(sdk_rule).collect::<Result<Vec<_>, _>>()?;
        let config = BucketLifecycleConfiguration::builder()
            .set_rules(Some(sdk_rules))
            .build()
            .map_err(build_error)?;
        self.client
            .put_bucket_lifecycle_configuration()
            .bucket(bucket)
            .lifecycle_configuration(config)
            .send()
            .await
            .map_err(s3_error)?;
        let shown: Vec<Value> = rules
            .iter()
            .map(|r| serde_json::to_value(r).expect("rules serialise"))
            .collect();
        let lines: Vec<String> = shown.iter().map(describe_rule).collect();
        Ok(Output::new(
            format!(
                "{bucket} now has {} lifecycle rule(s), replacing any before: {}.",
                rules.len(),
                lines.join("; ")
            ),
            json!({"bucket": bucket, "rules": shown}),
        ))
    }

    pub async fn get_public_access_block(&self, bucket: &str) -> Result<Output, ToolError> {
        let block = block_of(self.client, bucket).await?;
        let summary = match &block {
            None => format!(
                "{bucket} has no public access block: public ACLs and policies take effect unless \
                 the account-level block stops them."
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

    /// Fields left out keep their current value (false when the bucket has no block).
    pub async fn set_public_access_block(
        &self,
        i: SetPublicAccessBlockInput,
    ) -> Result<Output, ToolError> {
        let current = block_of(self.client, &i.bucket).await?;
        let now = |name: &str| {
            current
                .as_ref()
                .and_then(|b| b[name].as_bool())
                .unwrap_or(false)
        };
        let wanted = [
            i.block_public_acls.unwrap_or_else(|| now(PAB_FIELDS[0])),
            i.ignore_public_acls.unwrap_or_else(|| now(PAB_FIELDS[1])),
            i.block_public_policy.unwrap_or_else(|| now(PAB_FIELDS[2])),
            i.restrict_public_buckets
                .unwrap_or_else(|| now(PAB_FIELDS[3])),
        ];
        self.put_block(&i.bucket, wanted).await?;
        let block = block_json(wanted);
        let off = off_fields(&block);
        let mut data = json!({"bucket": i.bucket, "public_access_block": block});
        let summary = if off.is_empty() {
            format!("All public access to {} is now blocked.", i.bucket)
        } else {
            let warning = format!(
                "public access protection is off on {}: {}; a public ACL or policy can now \
                 expose its objects",
                i.bucket,
                off.join(", ")
            );
            data["warnings"] = json!([warning]);
            format!("Updated the public access block. Warning: {warning}.")
        };
        Ok(Output::new(summary, data))
    }

    pub(crate) async fn put_block(&self, bucket: &str, v: [bool; 4]) -> Result<(), ToolError> {
        self.client
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
}

/// A bucket's default encryption as JSON, or `None` when it has none.
pub(crate) async fn encryption_of(
    client: &Client,
    bucket: &str,
) -> Result<Option<Value>, ToolError> {
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

pub(crate) async fn put_encryption(
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
pub(crate) async fn lifecycle_of(
    client: &Client,
    bucket: &str,
) -> Result<Option<Vec<Value>>, ToolError> {
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
pub(crate) async fn block_of(client: &Client, bucket: &str) -> Result<Option<Value>, ToolError> {
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
pub(crate) fn off_fields(block: &Value) -> Vec<&'static str> {
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
