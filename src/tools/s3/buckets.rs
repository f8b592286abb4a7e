//! Buckets: list, inspect, create (private and encrypted), delete (optionally emptying first),
//! tag.

use std::{collections::BTreeMap, time::Instant};

use aws_sdk_s3::{
    Client, Config,
    types::{
        BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration,
        ObjectOwnership, Tag, Tagging, VersioningConfiguration,
    },
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    DELETE_BUDGET, Encryption, Listed, bucket_region, bucket_regions, bucket_target, build_error,
    check_bucket_ref, check_kms, client_for, human_bytes,
    objects::{delete_identifiers, identifier},
    policy::exposure,
    s3_error, settings, time, unless_unset,
};
use crate::{
    aws::{
        outcome::{Check, OnceSent, half_done, outcome_unknown, unknown_outcome},
        paging::PageRequest,
    },
    error::ToolError,
    guardrails::environment::{ENVIRONMENT_KEYS, environment_key_flag},
    output::Output,
    registry::{Access, Action, Cx, Flag, Kind, Risk, Tags, Target},
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListBuckets {
    pub name_prefix: Option<String>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListBuckets {
    const NAME: &'static str = "list_buckets";
    const DESCRIPTION: &'static str = "Buckets with region and creation date";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    /// One ListBuckets page holds up to 10,000 buckets; our page is cut from it, so paging
    /// works the same whether the endpoint honours `MaxBuckets` or not.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let resp = client
            .list_buckets()
            .max_buckets(10_000)
            .set_prefix(self.name_prefix.clone())
            .set_continuation_token(page.aws_token.clone())
            .send()
            .await
            .map_err(s3_error)?;
        let all: Vec<(Listed, Option<String>)> = resp
            .buckets()
            .iter()
            .map(|b| {
                (
                    (
                        b.name().unwrap_or_default().to_string(),
                        b.bucket_region().map(str::to_string),
                    ),
                    b.creation_date().map(time),
                )
            })
            .collect();
        let (items, next) = page.finish(all, resp.continuation_token().map(str::to_string));
        let (names, created): (Vec<_>, Vec<_>) = items.into_iter().unzip();
        let regions = bucket_regions(&client, &names).await;
        let buckets: Vec<Value> = names
            .into_iter()
            .zip(created)
            .zip(regions)
            .map(|(((name, _), created), region)| {
                let mut b = json!({"name": name, "creation_date": created});
                match region {
                    Ok(r) => b["region"] = json!(r),
                    Err(e) => b["region_error"] = e.to_json(),
                }
                b
            })
            .collect();
        let mut per_region: BTreeMap<&str, usize> = BTreeMap::new();
        for b in &buckets {
            *per_region
                .entry(b["region"].as_str().unwrap_or("unknown"))
                .or_default() += 1;
        }
        let spread: Vec<String> = per_region
            .iter()
            .map(|(r, n)| format!("{n} in {r}"))
            .collect();
        let summary = if buckets.is_empty() {
            "No buckets.".to_string()
        } else {
            format!("{} bucket(s): {}.", buckets.len(), spread.join(", "))
        };
        Ok(Output::new(summary, json!({ "buckets": buckets })).with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetBucketInfo {
    pub bucket: String,
}

impl Action for GetBucketInfo {
    const NAME: &'static str = "get_bucket_info";
    const DESCRIPTION: &'static str = "Region, settings, public exposure, tags, size";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_bucket_ref(&self.bucket)
    }

    fn targets(&self) -> Vec<Target> {
        vec![bucket_target(&self.bucket)]
    }

    /// Everything about one bucket in one answer, asked in the bucket's own region. Settings
    /// a bucket does not have ("not configured" answers) read as none; a part that cannot be
    /// read (no permission, an unreadable answer) is shown as its error while the rest is
    /// still reported. The object count is exact only when the bucket fits in one listing
    /// page.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let bucket = self.bucket.as_str();
        let region = bucket_region(&cx.client().await, bucket).await?;
        let client = client_for(cx, Some(&region)).await;
        let (versioning, encryption, lifecycle, tags, objects, exposure) = tokio::join!(
            client.get_bucket_versioning().bucket(bucket).send(),
            settings::encryption_of(&client, bucket),
            settings::lifecycle_of(&client, bucket),
            tags_of(&client, bucket),
            client
                .list_objects_v2()
                .bucket(bucket)
                .max_keys(1000)
                .send(),
            exposure(client.clone(), bucket.to_string()),
        );
        let mut unreadable = Vec::new();
        let mut part = |name: &'static str, r: Result<Value, ToolError>| match r {
            Ok(v) => v,
            Err(e) => {
                unreadable.push(name);
                json!({ "error": e.to_json() })
            }
        };
        let versioning = part(
            "versioning",
            versioning.map_err(s3_error).map(|v| {
                json!({
                    "status": v.status().map(|s| s.as_str()).unwrap_or("Disabled"),
                    "mfa_delete": v.mfa_delete().map(|m| m.as_str()),
                })
            }),
        );
        let encryption = part(
            "encryption",
            encryption.map(|e| e.unwrap_or_else(|| json!("none"))),
        );
        let lifecycle = part(
            "lifecycle",
            lifecycle.map(|rules| match rules {
                Some(rules) => json!({"rules": rules.len(),
                    "rule_ids": rules.iter().map(|r| r["id"].clone()).collect::<Vec<_>>()}),
                None => json!("none"),
            }),
        );
        let tags = part("tags", tags);
        let objects = part(
            "objects",
            objects.map_err(s3_error).map(|o| {
                let count = o.contents().len();
                let bytes: i64 = o.contents().iter().filter_map(|x| x.size()).sum();
                if o.is_truncated().unwrap_or(false) {
                    json!({"count_at_least": count, "first_page_bytes": bytes, "exact": false,
                           "note": "more than one listing page; the count is a lower bound"})
                } else {
                    json!({"count": count, "total_bytes": bytes, "exact": true})
                }
            }),
        );
        let exposure = part(
            "public access",
            exposure.map(|e| {
                json!({
                    "public_access_block": e.block.clone().unwrap_or_else(|| json!("none")),
                    "policy": {"present": e.has_policy, "public": e.policy_public},
                    "public": e.public,
                    "public_reasons": e.reasons,
                    "blocked_public_grants": e.blocked,
                })
            }),
        );

        let mut facts = vec![format!("{bucket} is in {region}")];
        if let Some(v) = versioning["status"].as_str() {
            facts.push(format!("versioning {}", v.to_lowercase()));
        }
        match &encryption {
            Value::String(none) => facts.push(format!("encryption {none}")),
            e => {
                if let Some(a) = e["algorithm"].as_str() {
                    facts.push(format!("encryption {a}"));
                }
            }
        }
        match exposure["public"].as_bool() {
            Some(true) => facts.push(format!(
                "PUBLIC ({})",
                exposure["public_reasons"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
            Some(false) => facts.push("not public".into()),
            None => {}
        }
        if objects["exact"] == json!(true) {
            let bytes = objects["total_bytes"].as_i64().unwrap_or(0).max(0) as u64;
            facts.push(format!(
                "{} object(s), {}",
                objects["count"],
                human_bytes(bytes)
            ));
        } else if let Some(n) = objects["count_at_least"].as_u64() {
            facts.push(format!("more than {n} objects"));
        }
        let mut summary = format!("{}.", facts.join(", "));
        if !unreadable.is_empty() {
            summary.push_str(&format!(" Could not read: {}.", unreadable.join(", ")));
        }
        let mut data = json!({
            "bucket": bucket,
            "region": region,
            "versioning": versioning,
            "encryption": encryption,
            "lifecycle": lifecycle,
            "tags": tags,
            "objects": objects,
        });
        for key in ["public_access_block", "policy", "public", "public_reasons"] {
            data[key] = exposure.get(key).cloned().unwrap_or(Value::Null);
        }
        if let Some(err) = exposure.get("error") {
            data["public_access_error"] = err.clone();
        }
        Ok(Output::new(summary, data))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBucket {
    pub bucket: String,
    pub enable_versioning: Option<bool>,
    pub encryption: Option<Encryption>,
    /// For sse-kms, e.g. alias/my-key
    pub kms_key_id: Option<String>,
    pub tags: Option<Tags>,
}

impl Action for CreateBucket {
    const NAME: &'static str = "create_bucket";
    const DESCRIPTION: &'static str = "Create a private, encrypted bucket";
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_new_bucket_name(&self.bucket)?;
        check_kms(self.encryption, &self.kms_key_id)
    }

    /// The bucket does not exist yet: its environment comes from the tags the call sets.
    fn targets(&self) -> Vec<Target> {
        vec![Target::created(Kind::Bucket, &self.bucket)]
    }

    /// Creates the bucket where the client is (us-east-1 takes no LocationConstraint), with
    /// ACLs disabled, then blocks public access and turns on default encryption, and
    /// optionally versioning and tags. A failing follow-up step is reported with what was
    /// already done.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let region = client
            .config()
            .region()
            .map(|r| r.to_string())
            .ok_or_else(|| {
                ToolError::invalid(
                    "no region for create_bucket: pass region, or start the server with --region",
                )
            })?;
        let bucket = self.bucket.as_str();
        // In us-east-1 S3 answers 200 to CreateBucket for a bucket you already own (and resets
        // its ACLs); the settings below would then silently rewrite an existing bucket. Refuse
        // an existing bucket everywhere instead.
        if let Ok(existing) = client.head_bucket().bucket(bucket).send().await {
            let at = existing
                .bucket_region()
                .map(|r| format!(" in {r}"))
                .unwrap_or_default();
            return Err(ToolError::Aws {
                code: "BucketAlreadyOwnedByYou".into(),
                message: format!(
                    "bucket {bucket} already exists{at} and you own it; nothing was changed"
                ),
                hint: Some(
                    "you already own a bucket with this name; use it (get_bucket_info shows its \
                     settings) or pick another name"
                        .into(),
                ),
            });
        }
        let mut req = client
            .create_bucket()
            .bucket(bucket)
            .object_ownership(ObjectOwnership::BucketOwnerEnforced);
        if region != "us-east-1" {
            req = req.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region.as_str()))
                    .build(),
            );
        }
        let encryption = self.encryption.unwrap_or(Encryption::SseS3);
        let versioning = self.enable_versioning.unwrap_or(false);
        let tags = self.tags.clone().unwrap_or_default();
        // What follows CreateBucket, in order; each step leaves this list when it is done.
        let mut left: Vec<String> = vec![
            "block public access".into(),
            format!("turn on {} encryption", encryption.algorithm()),
        ];
        if versioning {
            left.push("turn on versioning".into());
        }
        if !tags.is_empty() {
            left.push(format!("tag it ({} tag(s))", tags.len()));
        }
        // CreateBucket takes no idempotency token (and outside us-east-1 a repeat fails with
        // BucketAlreadyOwnedByYou): sent once; a lost answer is checked by name.
        if let Err(e) = req
            .customize()
            .config_override(Config::builder().retry_classifier(OnceSent))
            .send()
            .await
        {
            if !outcome_unknown(&e) {
                return Err(s3_error(e));
            }
            let check = Check {
                tool: "aws_s3",
                action: "get_bucket_info",
                arguments: json!({"bucket": bucket}),
                look_for: format!("the bucket {bucket} (it did not exist before this call)"),
            };
            let mut err = unknown_outcome("CreateBucket", "the bucket", s3_error(e), check);
            if let ToolError::Precondition {
                message, details, ..
            } = &mut err
            {
                message.push_str(&format!(
                    "; if it exists, none of the later steps was done ({})",
                    left.join(", ")
                ));
                details["not_done"] = json!(left);
            }
            return Err(err);
        }

        let mut done = vec![format!("created bucket {bucket} in {region}")];
        let exists = json!({"bucket": bucket, "region": region});
        let fail = |done: &[String], left: &[String], e: ToolError, hint: String| {
            half_done(done, &left[0], e, exists.clone(), left, hint)
        };
        settings::put_block(&client, bucket, [true; 4])
            .await
            .map_err(|e| {
                fail(
                    &done,
                    &left,
                    e,
                    format!(
                        "bucket {bucket} exists WITHOUT its public access block (ACLs are off, \
                         so only a bucket policy could open it): set it with aws_s3 \
                         set_public_access_block bucket {bucket} (all four true), or delete it \
                         with aws_s3 delete_bucket"
                    ),
                )
            })?;
        done.push(left.remove(0));
        settings::put_encryption(
            &client,
            bucket,
            encryption,
            self.kms_key_id.as_deref(),
            None,
        )
        .await
        .map_err(|e| {
            fail(
                &done,
                &left,
                e,
                format!(
                    "bucket {bucket} exists and blocks public access; its default \
                     encryption is whatever S3 gives new buckets (SSE-S3), not set by this \
                     call: set it with aws_s3 set_encryption, then finish the rest"
                ),
            )
        })?;
        done.push(left.remove(0));
        if versioning {
            client
                .put_bucket_versioning()
                .bucket(bucket)
                .versioning_configuration(
                    VersioningConfiguration::builder()
                        .status(BucketVersioningStatus::Enabled)
                        .build(),
                )
                .send()
                .await
                .map_err(|e| {
                    fail(
                        &done,
                        &left,
                        s3_error(e),
                        format!(
                            "bucket {bucket} exists, private and encrypted, without \
                             versioning: turn it on with aws_s3 set_versioning bucket {bucket} \
                             versioning enabled, then finish the rest"
                        ),
                    )
                })?;
            done.push(left.remove(0));
        }
        if !tags.is_empty() {
            put_tags(&client, bucket, &tags).await.map_err(|e| {
                fail(
                    &done,
                    &left,
                    e,
                    format!(
                        "bucket {bucket} exists untagged, so the guardrails cannot tell its \
                         environment from tags: tag it with aws_s3 set_bucket_tags bucket \
                         {bucket}"
                    ),
                )
            })?;
            done.push(left.remove(0));
        }
        let mut summary = done.join(", ");
        summary[..1].make_ascii_uppercase();
        Ok(Output::new(
            format!("{summary}."),
            json!({
                "bucket": bucket,
                "region": region,
                "public_access_block": {"block_public_acls": true, "ignore_public_acls": true,
                    "block_public_policy": true, "restrict_public_buckets": true},
                "object_ownership": "BucketOwnerEnforced",
                "encryption": encryption.algorithm(),
                "kms_key_id": self.kms_key_id,
                "versioning": if versioning { "Enabled" } else { "Disabled" },
                "tags": tags,
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteBucket {
    pub bucket: String,
    /// Empty the bucket first
    pub force: Option<bool>,
}

impl Action for DeleteBucket {
    const NAME: &'static str = "delete_bucket";
    const DESCRIPTION: &'static str = "Delete a bucket (force: empty it first)";
    const ACCESS: Access = Access::Destructive;
    const RISK: Risk = Risk::Critical;

    fn validate(&self) -> Result<(), ToolError> {
        check_bucket_ref(&self.bucket)
    }

    fn targets(&self) -> Vec<Target> {
        vec![bucket_target(&self.bucket)]
    }

    /// S3 itself refuses a bucket that still holds objects, versions or delete markers; with
    /// `force` they are deleted first (and unfinished multipart uploads aborted). A very large
    /// bucket may need several calls: each stops after a time budget.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let bucket = self.bucket.as_str();
        let mut emptied = None;
        if self.force.unwrap_or(false) {
            let report = empty_bucket(&client, bucket).await?;
            if !report.finished {
                return Ok(Output::new(
                    format!(
                        "Deleted {} object version(s) and {} delete marker(s) from {bucket} but \
                         it is not empty yet (time budget reached); call delete_bucket with \
                         force again to go on. The bucket still exists.",
                        report.versions, report.markers
                    ),
                    json!({"bucket": bucket, "deleted": false, "emptied": report.to_json()}),
                ));
            }
            emptied = Some(report);
        }
        client
            .delete_bucket()
            .bucket(bucket)
            .send()
            .await
            .map_err(s3_error)?;
        let summary = match &emptied {
            Some(r) => format!(
                "Deleted bucket {bucket} after deleting {} object version(s), {} delete \
                 marker(s) and aborting {} multipart upload(s).",
                r.versions, r.markers, r.uploads
            ),
            None => format!("Deleted bucket {bucket}."),
        };
        Ok(Output::new(
            summary,
            json!({"bucket": bucket, "deleted": true,
                   "emptied": emptied.map(|r| r.to_json())}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetBucketTags {
    pub bucket: String,
    pub tags: Tags,
}

impl Action for SetBucketTags {
    const NAME: &'static str = "set_bucket_tags";
    const DESCRIPTION: &'static str = "Replace all tags ({} removes them)";
    const ACCESS: Access = Access::Write;
    // Tags drive the guardrails, cost allocation and tag-based IAM conditions.
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        check_bucket_ref(&self.bucket)
    }

    fn targets(&self) -> Vec<Target> {
        vec![bucket_target(&self.bucket)]
    }

    /// The call replaces the whole tag set, so it either sets an environment key or removes
    /// whatever environment tag the bucket has; which one the bucket has is not known before
    /// the call, so both count.
    fn flags(&self) -> Vec<Flag> {
        tag_set_flags(&self.tags)
    }

    /// An empty map removes every tag.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let bucket = self.bucket.as_str();
        if self.tags.is_empty() {
            client
                .delete_bucket_tagging()
                .bucket(bucket)
                .send()
                .await
                .map_err(s3_error)?;
            return Ok(Output::new(
                format!("Removed every tag from {bucket}."),
                json!({"bucket": bucket, "tags": {}}),
            ));
        }
        put_tags(&client, bucket, &self.tags).await?;
        Ok(Output::new(
            format!("{bucket} now has {} tag(s).", self.tags.len()),
            json!({"bucket": bucket, "tags": self.tags}),
        ))
    }
}

/// A bucket's tags as a map; none set reads as an empty map.
pub async fn tags_of(client: &Client, bucket: &str) -> Result<Value, ToolError> {
    let resp = client
        .get_bucket_tagging()
        .bucket(bucket)
        .send()
        .await
        .map_err(s3_error);
    let tags = unless_unset(resp, &["NoSuchTagSet"])?;
    Ok(tags
        .map(|t| {
            t.tag_set()
                .iter()
                .map(|t| (t.key().to_string(), json!(t.value())))
                .collect::<serde_json::Map<_, _>>()
        })
        .unwrap_or_default()
        .into())
}

/// The flags of a call that replaces a bucket's whole tag set.
fn tag_set_flags(tags: &Tags) -> Vec<Flag> {
    if let Some(flag) = environment_key_flag(tags.keys(), "sets") {
        return vec![flag];
    }
    vec![Flag::critical(format!(
        "replaces every tag with a set that has no environment key ({}), so an environment tag \
         the bucket has now is removed and its protection can change",
        ENVIRONMENT_KEYS.join(", ")
    ))]
}

async fn put_tags(client: &Client, bucket: &str, tags: &Tags) -> Result<(), ToolError> {
    let tag_set = tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(build_error))
        .collect::<Result<Vec<_>, _>>()?;
    let tagging = Tagging::builder()
        .set_tag_set(Some(tag_set))
        .build()
        .map_err(build_error)?;
    client
        .put_bucket_tagging()
        .bucket(bucket)
        .tagging(tagging)
        .send()
        .await
        .map_err(s3_error)?;
    Ok(())
}

/// What emptying a bucket did.
#[derive(Debug, Default)]
struct EmptyReport {
    versions: usize,
    markers: usize,
    uploads: usize,
    finished: bool,
}

impl EmptyReport {
    fn to_json(&self) -> Value {
        json!({"object_versions": self.versions, "delete_markers": self.markers,
               "multipart_uploads_aborted": self.uploads, "finished": self.finished})
    }
}

/// Deletes every object version and delete marker, then any plain objects an endpoint lists
/// only through ListObjectsV2, then aborts unfinished multipart uploads. Each round lists from
/// the start, since what was listed is deleted.
async fn empty_bucket(client: &Client, bucket: &str) -> Result<EmptyReport, ToolError> {
    let started = Instant::now();
    let mut report = EmptyReport::default();
    loop {
        if started.elapsed() > DELETE_BUDGET {
            return Ok(report);
        }
        let page = client
            .list_object_versions()
            .bucket(bucket)
            .max_keys(1000)
            .send()
            .await
            .map_err(s3_error)?;
        let mut ids = Vec::new();
        for v in page.versions() {
            ids.push(identifier(v.key(), v.version_id())?);
        }
        let versions = ids.len();
        for m in page.delete_markers() {
            ids.push(identifier(m.key(), m.version_id())?);
        }
        if ids.is_empty() {
            break;
        }
        delete_identifiers(client, bucket, ids).await?;
        report.versions += versions;
        report.markers += page.delete_markers().len();
    }
    loop {
        if started.elapsed() > DELETE_BUDGET {
            return Ok(report);
        }
        let page = client
            .list_objects_v2()
            .bucket(bucket)
            .max_keys(1000)
            .send()
            .await
            .map_err(s3_error)?;
        let ids = page
            .contents()
            .iter()
            .map(|o| identifier(o.key(), None))
            .collect::<Result<Vec<_>, _>>()?;
        if ids.is_empty() {
            break;
        }
        report.versions += ids.len();
        delete_identifiers(client, bucket, ids).await?;
    }
    let uploads = client
        .list_multipart_uploads()
        .bucket(bucket)
        .send()
        .await
        .map_err(s3_error)?;
    for u in uploads.uploads() {
        client
            .abort_multipart_upload()
            .bucket(bucket)
            .set_key(u.key().map(str::to_string))
            .set_upload_id(u.upload_id().map(str::to_string))
            .send()
            .await
            .map_err(s3_error)?;
        report.uploads += 1;
    }
    report.finished = !uploads.is_truncated().unwrap_or(false);
    Ok(report)
}

/// S3's bucket naming rules (general purpose buckets), so a bad name fails before AWS is called.
fn check_new_bucket_name(name: &str) -> Result<(), ToolError> {
    let bad = |why: &str| {
        Err(ToolError::invalid(format!(
            "bucket name '{name}' is not valid: {why}"
        )))
    };
    if !(3..=63).contains(&name.len()) {
        return bad("it must be 3 to 63 characters long");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
    {
        return bad("use only lowercase letters, digits, dots and hyphens");
    }
    let first_last = [name.chars().next(), name.chars().last()];
    if first_last
        .iter()
        .flatten()
        .any(|c| !c.is_ascii_alphanumeric())
    {
        return bad("it must start and end with a letter or digit");
    }
    if name.contains("..") {
        return bad("it must not contain two dots in a row");
    }
    if name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return bad("it must not look like an IP address");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Risk;

    #[test]
    fn new_bucket_names_follow_s3_rules() {
        assert!(check_new_bucket_name("logs-2024.eu").is_ok());
        for bad in ["ab", "Bad_Name", "-x-y", "a..b", "192.168.1.1"] {
            assert!(check_new_bucket_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn replacing_tags_always_touches_the_environment_tag() {
        let tags = |pairs: &[(&str, &str)]| -> Tags {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let sets = tag_set_flags(&tags(&[("Environment", "dev"), ("team", "web")]));
        assert_eq!(sets.len(), 1);
        assert_eq!(sets[0].risk, Risk::Critical);
        assert!(
            sets[0]
                .reason
                .starts_with("sets the environment tag (Environment)")
        );
        for none in [tags(&[("team", "web")]), Tags::new()] {
            let flags = tag_set_flags(&none);
            assert_eq!(flags.len(), 1);
            assert_eq!(flags[0].risk, Risk::Critical);
            assert!(flags[0].reason.contains("no environment key"), "{flags:?}");
        }
    }
}
