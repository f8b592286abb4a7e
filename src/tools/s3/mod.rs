//! `aws_s3`: buckets (`buckets.rs`), objects (`objects.rs`), versioning, encryption, lifecycle
//! and public access block (`settings.rs`), bucket policies and the public-bucket scan
//! (`policy.rs`), and CloudFront distributions in front of buckets (`cloudfront.rs`). Each
//! action is its input struct and its `Action` impl, next to the AWS calls it makes; what they
//! share (name checks, targets, S3 error mapping, where a bucket lives, a bounded task runner)
//! is here.
//!
//! S3 and CloudFront have no dry-run mode: every action keeps the plan-only dry run.

pub mod buckets;
pub mod cloudfront;
pub mod objects;
pub mod policy;
pub mod settings;

use std::{future::Future, pin::Pin, time::Duration};

use aws_sdk_s3::{
    Client,
    config::http::HttpResponse,
    error::{ProvideErrorMetadata, SdkError},
    types::BucketLocationConstraint,
};
use aws_smithy_types::{DateTime, date_time::Format};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    error::ToolError,
    registry::{ActionDef, Cx, Kind, Target, Tool},
};

pub static TOOL: Tool = Tool {
    name: "aws_s3",
    toolset: "s3",
    about: "Amazon S3 buckets, objects and bucket settings, and CloudFront distributions in \
            front of buckets.",
    actions: &[
        ActionDef::of::<buckets::ListBuckets>(),
        ActionDef::of::<buckets::GetBucketInfo>(),
        ActionDef::of::<buckets::CreateBucket>(),
        ActionDef::of::<buckets::DeleteBucket>(),
        ActionDef::of::<buckets::SetBucketTags>(),
        ActionDef::of::<objects::ListObjects>(),
        ActionDef::of::<objects::GetObject>(),
        ActionDef::of::<objects::PutObject>(),
        ActionDef::of::<objects::DeleteObjects>(),
        ActionDef::of::<objects::CopyObject>(),
        ActionDef::of::<objects::PresignUrl>(),
        ActionDef::of::<objects::HeadObject>(),
        ActionDef::of::<settings::GetVersioning>(),
        ActionDef::of::<settings::SetVersioning>(),
        ActionDef::of::<settings::GetEncryption>(),
        ActionDef::of::<settings::SetEncryption>(),
        ActionDef::of::<settings::GetLifecycle>(),
        ActionDef::of::<settings::SetLifecycle>(),
        ActionDef::of::<settings::GetPublicAccessBlock>(),
        ActionDef::of::<settings::SetPublicAccessBlock>(),
        ActionDef::of::<policy::GetBucketPolicy>(),
        ActionDef::of::<policy::PutBucketPolicy>(),
        ActionDef::of::<policy::DeleteBucketPolicy>(),
        ActionDef::of::<policy::FindPublicBuckets>(),
        ActionDef::of::<cloudfront::ListDistributions>(),
        ActionDef::of::<cloudfront::CreateDistribution>(),
        ActionDef::of::<cloudfront::GetDistribution>(),
        ActionDef::of::<cloudfront::CreateInvalidation>(),
        ActionDef::of::<cloudfront::DisableDistribution>(),
        ActionDef::of::<cloudfront::DeleteDistribution>(),
    ],
};

/// How long `delete_bucket` with force and `delete_objects` by prefix keep deleting before
/// they report progress and ask to be called again: under the request timeout of common MCP
/// clients, and enough for tens of thousands of objects (1,000 per DeleteObjects call).
pub const DELETE_BUDGET: Duration = Duration::from_secs(50);
/// How many buckets are looked at in parallel (regions, public access scans).
pub const PARALLEL: usize = 8;

// Server-side encryption with S3-managed keys or a KMS key. (No doc comment: it would become
// the description of every field of this type.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Encryption {
    SseS3,
    SseKms,
}

impl Encryption {
    /// How S3 names the algorithm, for summaries.
    pub fn algorithm(self) -> &'static str {
        match self {
            Encryption::SseS3 => "SSE-S3 (AES256)",
            Encryption::SseKms => "SSE-KMS (aws:kms)",
        }
    }
}

// S3 storage classes, as S3 names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StorageClass {
    Standard,
    StandardIa,
    OnezoneIa,
    IntelligentTiering,
    GlacierIr,
    Glacier,
    DeepArchive,
}

impl StorageClass {
    const ALL: [StorageClass; 7] = [
        StorageClass::Standard,
        StorageClass::StandardIa,
        StorageClass::OnezoneIa,
        StorageClass::IntelligentTiering,
        StorageClass::GlacierIr,
        StorageClass::Glacier,
        StorageClass::DeepArchive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StorageClass::Standard => "STANDARD",
            StorageClass::StandardIa => "STANDARD_IA",
            StorageClass::OnezoneIa => "ONEZONE_IA",
            StorageClass::IntelligentTiering => "INTELLIGENT_TIERING",
            StorageClass::GlacierIr => "GLACIER_IR",
            StorageClass::Glacier => "GLACIER",
            StorageClass::DeepArchive => "DEEP_ARCHIVE",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// A bucket the call names.
pub fn bucket_target(bucket: &str) -> Target {
    Target::new(Kind::Bucket, bucket)
}

/// An object the call names (or a `prefix*` pattern of objects), in its bucket: the bucket's
/// tags decide its environment.
pub fn object_target(bucket: &str, key: &str) -> Target {
    Target::new(Kind::Object, format!("{bucket}/{key}")).in_parent(bucket_target(bucket))
}

/// A bucket named by an existing-bucket action: a name, not a URL or a path. Buckets made
/// before 2018 in us-east-1 may have capitals, underscores and up to 255 characters, so only
/// create_bucket applies today's rules.
pub fn check_bucket_ref(name: &str) -> Result<(), ToolError> {
    let ok = !name.is_empty()
        && name.len() <= 255
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if ok {
        return Ok(());
    }
    Err(ToolError::invalid(format!(
        "bucket '{name}' is not a bucket name; give the name alone, e.g. my-bucket (not s3://... \
         or a path: keys go in key or prefix)"
    )))
}

pub fn check_key(key: &str) -> Result<(), ToolError> {
    if key.is_empty() || key.len() > 1024 {
        return Err(ToolError::invalid(
            "key must be 1 to 1024 bytes, e.g. reports/2024/summary.csv",
        ));
    }
    Ok(())
}

/// An existing bucket and an object key in it.
pub fn check_object(bucket: &str, key: &str) -> Result<(), ToolError> {
    check_bucket_ref(bucket)?;
    check_key(key)
}

/// kms_key_id only goes with SSE-KMS.
pub fn check_kms(
    encryption: Option<Encryption>,
    kms_key_id: &Option<String>,
) -> Result<(), ToolError> {
    if kms_key_id.is_some() && encryption != Some(Encryption::SseKms) {
        return Err(ToolError::invalid(
            "kms_key_id needs encryption: \"sse-kms\"",
        ));
    }
    Ok(())
}

/// An S3 client for a bucket in `region`: the call's own client when the bucket is in the
/// call's region, so that one client (and its guard) serves both.
pub async fn client_for(cx: &Cx<'_>, region: Option<&str>) -> Client {
    match region {
        Some(r) if Some(r) != cx.region().as_deref() => cx.client_in(Some(r)).await,
        _ => cx.client().await,
    }
}

/// Where a bucket lives: HeadBucket's region header (also sent with redirects and 403s),
/// else GetBucketLocation.
pub async fn bucket_region(client: &Client, bucket: &str) -> Result<String, ToolError> {
    match client.head_bucket().bucket(bucket).send().await {
        Ok(out) => {
            if let Some(r) = out.bucket_region() {
                return Ok(r.to_string());
            }
        }
        Err(e) => {
            if let Some(r) = region_header(&e) {
                return Ok(r);
            }
            if e.as_service_error().is_some_and(|s| s.is_not_found()) {
                return Err(no_such_bucket(bucket));
            }
        }
    }
    let loc = client
        .get_bucket_location()
        .bucket(bucket)
        .send()
        .await
        .map_err(s3_error)?;
    Ok(location_region(loc.location_constraint()))
}

/// Maps an S3 SDK error like `ToolError::from_sdk`, and when S3 says the bucket is in another
/// region (its `x-amz-bucket-region` header), says which region to call with.
pub fn s3_error<E>(err: SdkError<E, HttpResponse>) -> ToolError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let region = region_header(&err);
    let mut mapped = ToolError::from_sdk(err);
    if let (
        Some(region),
        ToolError::Aws {
            code,
            message,
            hint,
        },
    ) = (region, &mut mapped)
        && matches!(
            code.as_str(),
            "PermanentRedirect"
                | "AuthorizationHeaderMalformed"
                | "IllegalLocationConstraintException"
                | "Unknown"
        )
    {
        if message.is_empty() {
            *message = format!("the bucket is in {region}");
        }
        *hint = Some(format!(
            "the bucket is in region {region}; repeat the call with \"region\": \"{region}\""
        ));
    }
    mapped
}

fn region_header<E>(err: &SdkError<E, HttpResponse>) -> Option<String> {
    err.raw_response()
        .and_then(|r| r.headers().get("x-amz-bucket-region"))
        .map(str::to_string)
}

/// The tool error for a bucket that does not exist (HeadBucket's 404 carries no body).
pub fn no_such_bucket(bucket: &str) -> ToolError {
    ToolError::Aws {
        code: "NoSuchBucket".into(),
        message: format!("bucket {bucket} does not exist"),
        hint: Some("check the name with aws_s3 list_buckets".into()),
    }
}

/// `Ok(None)` for the "not configured" codes S3 answers when a bucket has no such setting.
pub fn unless_unset<T>(
    result: Result<T, ToolError>,
    unset_codes: &[&str],
) -> Result<Option<T>, ToolError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(ToolError::Aws { code, .. }) if unset_codes.contains(&code.as_str()) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The region named by a GetBucketLocation answer: none means us-east-1, "EU" eu-west-1.
pub fn location_region(c: Option<&BucketLocationConstraint>) -> String {
    match c.map(|c| c.as_str()) {
        None | Some("") => "us-east-1".into(),
        Some("EU") => "eu-west-1".into(),
        Some(r) => r.to_string(),
    }
}

/// The ARN partition of a region.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

pub fn time(t: &DateTime) -> String {
    t.fmt(Format::DateTime).unwrap_or_else(|_| t.to_string())
}

/// A byte count as a person reads it: "512 B", "1.5 KiB", "2.0 GiB".
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// A request the SDK builder refused (a required part missing): a bug in the action.
pub fn build_error(e: aws_smithy_types::error::operation::BuildError) -> ToolError {
    ToolError::invalid(format!("could not build the request: {e}"))
}

/// A boxed, owned future, as [`bounded`] runs them.
pub type Task<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Runs tasks with at most `limit` in flight and returns their outputs in order.
pub async fn bounded<T: Send + 'static>(tasks: Vec<Task<T>>, limit: usize) -> Vec<T> {
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

/// A bucket of a ListBuckets page: its name and the region the listing gives, if any.
pub type Listed = (String, Option<String>);

/// The region of each bucket of a ListBuckets page: the one the listing names, else
/// GetBucketLocation's answer (endpoints that leave BucketRegion out), at most [`PARALLEL`]
/// at a time.
pub async fn bucket_regions(client: &Client, buckets: &[Listed]) -> Vec<Result<String, ToolError>> {
    let lookups: Vec<Task<Result<String, ToolError>>> = buckets
        .iter()
        .map(|(name, known)| {
            let client = client.clone();
            let (name, known) = (name.clone(), known.clone());
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
    bounded(lookups, PARALLEL).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_from_location_constraints() {
        assert_eq!(location_region(None), "us-east-1");
        assert_eq!(
            location_region(Some(&BucketLocationConstraint::Eu)),
            "eu-west-1"
        );
        assert_eq!(
            location_region(Some(&BucketLocationConstraint::from("ap-south-1"))),
            "ap-south-1"
        );
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("eu-west-1"), "aws");
    }

    #[test]
    fn byte_counts_read_well() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 * 1024 * 1024 * 1024), "3.0 GiB");
    }

    #[test]
    fn bucket_names_and_keys_are_checked() {
        assert!(check_bucket_ref("Legacy_Bucket").is_ok());
        assert!(check_bucket_ref("s3://b/k").is_err());
        assert!(check_bucket_ref("").is_err());
        assert!(check_key("").is_err());
        assert!(check_key(&"k".repeat(1025)).is_err());
        assert!(check_object("b", "a/b.txt").is_ok());
        assert!(check_kms(Some(Encryption::SseS3), &Some("alias/x".into())).is_err());
        assert!(check_kms(Some(Encryption::SseKms), &Some("alias/x".into())).is_ok());
    }

    #[test]
    fn objects_live_in_their_bucket() {
        let t = object_target("docs", "a/b.txt");
        assert_eq!((t.kind, t.id.as_str()), (Kind::Object, "docs/a/b.txt"));
        assert_eq!(t.parent.as_deref(), Some(&bucket_target("docs")));
    }
}
