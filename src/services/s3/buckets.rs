//! Buckets: list, inspect, create (private and encrypted), delete (optionally emptying first),
//! tag.

use std::{collections::BTreeMap, future::Future, pin::Pin, time::Instant};

use aws_sdk_s3::{
    Client,
    types::{
        BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, Delete,
        ObjectIdentifier, ObjectOwnership, Tag, Tagging, VersioningConfiguration,
    },
};
use serde_json::{Value, json};

use super::{
    DELETE_BUDGET, S3, human_bytes, location_region, policy::exposure, s3_error, settings, time,
    unless_unset,
};
use crate::{
    aws::paging::PageRequest,
    error::ToolError,
    output::Output,
    tools::s3::{CreateBucketInput, Encryption, ListBucketsInput},
};

/// How many buckets are looked at in parallel (regions, public access scans).
pub(crate) const PARALLEL: usize = 8;

impl S3<'_> {
    /// One ListBuckets page holds up to 10,000 buckets; our page is cut from it, so paging works
    /// the same whether the endpoint honours `MaxBuckets` or not.
    pub async fn list_buckets(&self, i: ListBucketsInput) -> Result<Output, ToolError> {
        let page = PageRequest::new(i.max_results, i.next_token.as_deref())?;
        let resp = self
            .client
            .list_buckets()
            .max_buckets(10_000)
            .set_prefix(i.name_prefix.clone())
            .set_continuation_token(page.aws_token.clone())
            .send()
            .await
            .map_err(s3_error)?;
        let all: Vec<(String, Option<String>, Option<String>)> = resp
            .buckets()
            .iter()
            .map(|b| {
                (
                    b.name().unwrap_or_default().to_string(),
                    b.bucket_region().map(str::to_string),
                    b.creation_date().map(time),
                )
            })
            .collect();
        let (items, next) = page.finish(all, resp.continuation_token().map(str::to_string));
        // ListBuckets names each bucket's region; where an endpoint leaves it out, ask the bucket.
        let lookups: Vec<Task<Result<String, ToolError>>> = items
            .iter()
            .map(|(name, region, _)| {
                let client = self.client.clone();
                let (name, known) = (name.clone(), region.clone());
                Box::pin(async move {
                    match known {
                        Some(r) => Ok(r),
                        None => client
                            .get_bucket_location()
                            .bucket(name)
                            .send()
                            .await
                            .map(|l| location_region(l.location_constraint()))
                            .map_err(s3_error),
                    }
                }) as Task<_>
            })
            .collect();
        let regions = bounded(lookups, PARALLEL).await;
        let buckets: Vec<Value> = items
            .into_iter()
            .zip(regions)
            .map(|((name, _, created), region)| {
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

    /// Everything about one bucket in one answer. Settings a bucket does not have ("not
    /// configured" answers) read as none; a part that cannot be read (no permission, an
    /// unreadable answer) is shown as its error while the rest is still reported. The object
    /// count is exact only when the bucket fits in one listing page.
    pub async fn get_bucket_info(&self, bucket: &str) -> Result<Output, ToolError> {
        let region = self.bucket_region(bucket).await?;
        let client = self.client_in(Some(&region)).await;
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

    /// Creates the bucket where the client is (us-east-1 takes no LocationConstraint), with
    /// ACLs disabled, then blocks public access and turns on default encryption, and optionally
    /// versioning and tags. A failing follow-up step is reported with what was already done.
    pub async fn create_bucket(&self, i: CreateBucketInput) -> Result<Output, ToolError> {
        let region = self.region().ok_or_else(|| {
            ToolError::invalid(
                "no region for create_bucket: pass region, or start the server with --region",
            )
        })?;
        let bucket = i.bucket.as_str();
        // In us-east-1 S3 answers 200 to CreateBucket for a bucket you already own (and resets
        // its ACLs); the settings below would then silently rewrite an existing bucket. Refuse
        // an existing bucket everywhere instead.
        if let Ok(existing) = self.client.head_bucket().bucket(bucket).send().await {
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
        let mut req = self
            .client
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
        req.send().await.map_err(s3_error)?;

        let mut done = vec![format!("created bucket {bucket} in {region}")];
        let step = |done: &Vec<String>, what: &str, e: ToolError| -> ToolError {
            let before = done.join(", ");
            match e {
                ToolError::Aws {
                    code,
                    message,
                    hint,
                } => ToolError::Aws {
                    code,
                    message: format!("{before}, but could not {what}: {message}"),
                    hint: Some(format!(
                        "the bucket exists; finish with aws_s3 set_* actions{}",
                        hint.map(|h| format!(" ({h})")).unwrap_or_default()
                    )),
                },
                other => other,
            }
        };
        self.put_block(bucket, [true; 4])
            .await
            .map_err(|e| step(&done, "block public access", e))?;
        done.push("blocked public access".into());
        let encryption = i.encryption.unwrap_or(Encryption::SseS3);
        settings::put_encryption(
            self.client,
            bucket,
            encryption,
            i.kms_key_id.as_deref(),
            None,
        )
        .await
        .map_err(|e| step(&done, "turn on default encryption", e))?;
        done.push(format!("turned on {} encryption", algorithm(encryption)));
        let versioning = i.enable_versioning.unwrap_or(false);
        if versioning {
            self.client
                .put_bucket_versioning()
                .bucket(bucket)
                .versioning_configuration(
                    VersioningConfiguration::builder()
                        .status(BucketVersioningStatus::Enabled)
                        .build(),
                )
                .send()
                .await
                .map_err(|e| step(&done, "turn on versioning", s3_error(e)))?;
            done.push("turned on versioning".into());
        }
        let tags = i.tags.unwrap_or_default();
        if !tags.is_empty() {
            self.put_tags(bucket, &tags)
                .await
                .map_err(|e| step(&done, "tag it", e))?;
            done.push(format!("tagged it ({} tag(s))", tags.len()));
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
                "encryption": algorithm(encryption),
                "kms_key_id": i.kms_key_id,
                "versioning": if versioning { "Enabled" } else { "Disabled" },
                "tags": tags,
            }),
        ))
    }

    /// Deletes a bucket. S3 itself refuses a bucket that still holds objects, versions or
    /// delete markers; with `force` they are deleted first (and unfinished multipart uploads
    /// aborted). A very large bucket may need several calls: each stops after a time budget.
    pub async fn delete_bucket(&self, bucket: &str, force: bool) -> Result<Output, ToolError> {
        let mut emptied = None;
        if force {
            let report = self.empty_bucket(bucket).await?;
            if !report.finished {
                return Ok(Output::new(
                    format!(
                        "Deleted {} object version(s) and {} delete marker(s) from {bucket} but it \
                         is not empty yet (time budget reached); call delete_bucket with force \
                         again to go on. The bucket still exists.",
                        report.versions, report.markers
                    ),
                    json!({"bucket": bucket, "deleted": false, "emptied": report.to_json()}),
                ));
            }
            emptied = Some(report);
        }
        self.client
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

    /// Replaces the bucket's tag set; an empty map removes every tag.
    pub async fn set_bucket_tags(
        &self,
        bucket: &str,
        tags: BTreeMap<String, String>,
    ) -> Result<Output, ToolError> {
        if tags.is_empty() {
            self.client
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
        self.put_tags(bucket, &tags).await?;
        Ok(Output::new(
            format!("{bucket} now has {} tag(s).", tags.len()),
            json!({"bucket": bucket, "tags": tags}),
        ))
    }

    async fn put_tags(
        &self,
        bucket: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ToolError> {
        let tag_set = tags
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(build_error))
            .collect::<Result<Vec<_>, _>>()?;
        let tagging = Tagging::builder()
            .set_tag_set(Some(tag_set))
            .build()
            .map_err(build_error)?;
        self.client
            .put_bucket_tagging()
            .bucket(bucket)
            .tagging(tagging)
            .send()
            .await
            .map_err(s3_error)?;
        Ok(())
    }

    /// Deletes every object version and delete marker, then any plain objects an endpoint
    /// lists only through ListObjectsV2, then aborts unfinished multipart uploads. Each round
    /// lists from the start, since what was listed is deleted.
    pub(crate) async fn empty_bucket(&self, bucket: &str) -> Result<EmptyReport, ToolError> {
        let started = Instant::now();
        let mut report = EmptyReport::default();
        loop {
            if started.elapsed() > DELETE_BUDGET {
                return Ok(report);
            }
            let page = self
                .client
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
            self.delete_identifiers(bucket, ids).await?;
            report.versions += versions;
            report.markers += page.delete_markers().len();
        }
        loop {
            if started.elapsed() > DELETE_BUDGET {
                return Ok(report);
            }
            let page = self
                .client
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
            self.delete_identifiers(bucket, ids).await?;
        }
        let uploads = self
            .client
            .list_multipart_uploads()
            .bucket(bucket)
            .send()
            .await
            .map_err(s3_error)?;
        for u in uploads.uploads() {
            self.client
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

    /// One DeleteObjects call (at most 1,000 identifiers); any per-key error fails the call
    /// with the first few keys and codes.
    pub(crate) async fn delete_identifiers(
        &self,
        bucket: &str,
        ids: Vec<ObjectIdentifier>,
    ) -> Result<usize, ToolError> {
        let n = ids.len();
        let delete = Delete::builder()
            .set_objects(Some(ids))
            .quiet(true)
            .build()
            .map_err(build_error)?;
        let resp = self
            .client
            .delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .map_err(s3_error)?;
        if resp.errors().is_empty() {
            return Ok(n);
        }
        let first: Vec<String> = resp
            .errors()
            .iter()
            .take(5)
            .map(|e| {
                format!(
                    "{} ({})",
                    e.key().unwrap_or("?"),
                    e.code().unwrap_or("error")
                )
            })
            .collect();
        let code = resp.errors()[0]
            .code()
            .unwrap_or("DeleteFailed")
            .to_string();
        Err(ToolError::Aws {
            code,
            message: format!(
                "{} of {n} deletions failed, e.g. {}",
                resp.errors().len(),
                first.join(", ")
            ),
            hint: Some(
                "check permissions and object lock / legal hold on those keys, then retry".into(),
            ),
        })
    }
}

/// What emptying a bucket did.
#[derive(Debug, Default)]
pub(crate) struct EmptyReport {
    pub versions: usize,
    pub markers: usize,
    pub uploads: usize,
    pub finished: bool,
}

impl EmptyReport {
    fn to_json(&self) -> Value {
        json!({"object_versions": self.versions, "delete_markers": self.markers,
               "multipart_uploads_aborted": self.uploads, "finished": self.finished})
    }
}

/// A bucket's tags as a map; none set reads as an empty map.
pub(crate) async fn tags_of(client: &Client, bucket: &str) -> Result<Value, ToolError> {
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

/// A boxed, owned future, as `bounded` runs them.
pub(crate) type Task<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Runs tasks with at most `limit` in flight and returns their outputs in order.
pub(crate) async fn bounded<T: Send + 'static>(tasks: Vec<Task<T>>, limit: usize) -> Vec<T> {
    let mut pending = tasks.into_iter().enumerate();
    let mut set = tokio::task::JoinSet::new();
    let mut out: Vec<Option<T>> = Vec::new();
    loop {
        while set.len() < limit.max(1) {
            let Some((idx, task)) = pending.next() else {
                break;
            };
            out.push(None);
            set.spawn(async move { (idx, task.await) });
        }
        let Some(done) = set.join_next().await else {
            break;
        };
        let (idx, value) = done.expect("bounded task panicked");
        out[idx] = Some(value);
    }
    out.into_iter()
        .map(|v| v.expect("every task finished"))
        .collect()
}

pub(crate) fn identifier(
    key: Option<&str>,
    version_id: Option<&str>,
) -> Result<ObjectIdentifier, ToolError> {
    ObjectIdentifier::builder()
        .set_key(key.map(str::to_string))
        .set_version_id(version_id.map(str::to_string))
        .build()
        .map_err(build_error)
}

pub(crate) fn build_error(e: aws_smithy_types::error::operation::BuildError) -> ToolError {
    ToolError::invalid(format!("could not build the S3 request: {e}"))
}

pub(crate) fn algorithm(e: Encryption) -> &'static str {
    match e {
        Encryption::SseS3 => "SSE-S3 (AES256)",
        Encryption::SseKms => "SSE-KMS (aws:kms)",
    }
}
