//! S3 and CloudFront calls behind `aws_s3`: buckets in `buckets.rs`, objects in `objects.rs`,
//! versioning / encryption / lifecycle / public access block in `settings.rs`, bucket policies
//! and the public-bucket scan in `policy.rs`, CloudFront in `cloudfront.rs`.

mod buckets;
mod cloudfront;
mod objects;
pub mod policy;
mod settings;

use std::time::Duration;

use aws_sdk_s3::{
    Client,
    config::http::HttpResponse,
    error::{ProvideErrorMetadata, SdkError},
    types::BucketLocationConstraint,
};
use aws_smithy_types::{DateTime, date_time::Format};

pub use self::cloudfront::CloudFront;
use crate::{aws::AwsPool, error::ToolError};

/// Most keys one `delete_objects` call takes (S3's DeleteObjects limit).
pub const MAX_DELETE_KEYS: usize = 1000;
/// Largest `put_object` body, in bytes.
pub const MAX_PUT_BYTES: usize = 5 * 1024 * 1024;
/// Largest object `get_object` returns as text; bigger ones are described instead. It stays
/// under the result byte budget (`output::MAX_RESULT_BYTES`) with room for JSON escaping.
pub const MAX_TEXT_BYTES: u64 = 48 * 1024;
/// Longest presigned URL lifetime: 7 days, what SigV4 allows.
pub const MAX_PRESIGN_SECONDS: u64 = 7 * 24 * 3600;
/// Most paths in one invalidation (CloudFront allows 3,000; one call stays reviewable).
pub const MAX_INVALIDATION_PATHS: usize = 1000;
/// How long `delete_bucket` with force and `delete_objects` by prefix keep deleting before
/// they report progress and ask to be called again: under the request timeout of common MCP
/// clients, and enough for tens of thousands of objects (1,000 per DeleteObjects call).
pub const DELETE_BUDGET: Duration = Duration::from_secs(50);

/// An S3 client for one call.
pub struct S3<'a> {
    /// A client in the call's region.
    pub client: &'a Client,
    /// Clients for buckets in other regions (list_buckets, get_bucket_info,
    /// find_public_buckets); without a pool every bucket is asked through `client`.
    pub pool: Option<&'a AwsPool>,
}

impl S3<'_> {
    /// The region of the call's client (where create_bucket puts a bucket).
    pub fn region(&self) -> Option<String> {
        self.client.config().region().map(|r| r.to_string())
    }

    /// A client for a bucket in `region`.
    pub(crate) async fn client_in(&self, region: Option<&str>) -> Client {
        match (self.pool, region) {
            (Some(pool), Some(r)) if Some(r) != self.region().as_deref() => pool.s3(Some(r)).await,
            _ => self.client.clone(),
        }
    }

    /// Where a bucket lives: HeadBucket's region header (also sent with redirects and 403s),
    /// else GetBucketLocation.
    pub async fn bucket_region(&self, bucket: &str) -> Result<String, ToolError> {
        match self.client.head_bucket().bucket(bucket).send().await {
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
        let loc = self
            .client
            .get_bucket_location()
            .bucket(bucket)
            .send()
            .await
            .map_err(s3_error)?;
        Ok(location_region(loc.location_constraint()))
    }
}

/// Maps an S3 SDK error like `ToolError::from_sdk`, and when S3 says the bucket is in another
/// region (its `x-amz-bucket-region` header), says which region to call with.
pub(crate) fn s3_error<E>(err: SdkError<E, HttpResponse>) -> ToolError
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
pub(crate) fn no_such_bucket(bucket: &str) -> ToolError {
    ToolError::Aws {
        code: "NoSuchBucket".into(),
        message: format!("bucket {bucket} does not exist"),
        hint: Some("check the name with aws_s3 list_buckets".into()),
    }
}

/// `Ok(None)` for the "not configured" codes S3 answers when a bucket has no such setting.
pub(crate) fn unless_unset<T>(
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
pub(crate) fn location_region(c: Option<&BucketLocationConstraint>) -> String {
    match c.map(|c| c.as_str()) {
        None | Some("") => "us-east-1".into(),
        Some("EU") => "eu-west-1".into(),
        Some(r) => r.to_string(),
    }
}

/// The ARN partition of a region.
pub(crate) fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

pub(crate) fn time(t: &DateTime) -> String {
    t.fmt(Format::DateTime).unwrap_or_else(|_| t.to_string())
}

/// A byte count as a person reads it: "512 B", "1.5 KiB", "2.0 GiB".
pub(crate) fn human_bytes(n: u64) -> String {
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

/// A bucket's tags for the guardrails' environment lookup. A bucket that cannot be read (gone,
/// no permission) has no tags here: the call itself then reports what is wrong.
pub async fn bucket_tags(
    client: &aws_sdk_s3::Client,
    bucket: &str,
) -> std::collections::BTreeMap<String, String> {
    match buckets::tags_of(client, bucket).await {
        Ok(serde_json::Value::Object(map)) => map
            .into_iter()
            .filter_map(|(k, v)| Some((k, v.as_str()?.to_string())))
            .collect(),
        Ok(_) => Default::default(),
        Err(e) => {
            tracing::debug!(bucket, error = %e, "bucket tags unreadable");
            Default::default()
        }
    }
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
}
