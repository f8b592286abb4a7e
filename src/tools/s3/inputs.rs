//! The per-action input structs of `aws_s3`. Their doc comments are the schema's field
//! descriptions, so they are written for the model. A field shared by several actions has the
//! same type everywhere (a test checks it).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListBucketsInput {
    /// Only buckets whose name starts with this, e.g. "logs-"
    pub name_prefix: Option<String>,
    /// Items per page (default 50, at most 1000)
    pub max_results: Option<u32>,
    /// next_token of the previous page
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BucketInput {
    /// Bucket name, e.g. my-logs-bucket
    pub bucket: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PageInput {
    /// Items per page (default 50, at most 1000)
    pub max_results: Option<u32>,
    /// next_token of the previous page
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBucketInput {
    /// Bucket name, e.g. my-logs-bucket
    pub bucket: String,
    /// Turn on versioning at creation (default false)
    pub enable_versioning: Option<bool>,
    /// Encryption: "sse-s3" (S3-managed keys) or "sse-kms" (a KMS key)
    pub encryption: Option<Encryption>,
    /// KMS key id, ARN or alias for sse-kms, e.g. alias/my-key (default: the AWS-managed key)
    pub kms_key_id: Option<String>,
    /// Tags as key to value, e.g. {"Environment": "production"}
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteBucketInput {
    /// Bucket name, e.g. my-logs-bucket
    pub bucket: String,
    /// First delete every object, version and delete marker in the bucket (default false)
    pub force: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetBucketTagsInput {
    /// Bucket name, e.g. my-logs-bucket
    pub bucket: String,
    /// Tags as key to value, e.g. {"Environment": "production"}
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListObjectsInput {
    /// Bucket name, e.g. my-logs-bucket
    pub bucket: String,
    /// Key prefix, e.g. "reports/2024/"
    pub prefix: Option<String>,
    /// Group keys at this character into folders, usually "/" (default: no grouping)
    pub delimiter: Option<String>,
    /// Items per page (default 50, at most 1000)
    pub max_results: Option<u32>,
    /// next_token of the previous page
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectInput {
    /// Bucket name, e.g. my-logs-bucket
    pub bucket: String,
    /// Object key, e.g. reports/2024/summary.csv
    pub key: String,
    /// A specific version of the object (versioned buckets; default the current one)
    pub version_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PutObjectInput {
    /// Bucket name, e.g. my-logs-bucket
    pub bucket: String,
    /// Object key, e.g. reports/2024/summary.csv
    pub key: String,
    /// The object's content as text (stored as UTF-8)
    pub body: String,
    /// Content type, e.g. application/json (put_object guesses it from the key; presign_url: put only)
    pub content_type: Option<String>,
    /// User metadata as key to value, stored as x-amz-meta-* headers
    pub metadata: Option<BTreeMap<String, String>>,
    /// Storage class, e.g. STANDARD (default), STANDARD_IA, GLACIER_IR
    pub storage_class: Option<StorageClass>,
    /// Encryption: "sse-s3" (S3-managed keys) or "sse-kms" (a KMS key)
    pub encryption: Option<Encryption>,
    /// KMS key id, ARN or alias for sse-kms, e.g. alias/my-key (default: the AWS-managed key)
    pub kms_key_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteObjectsInput {
    /// Bucket name, e.g. my-logs-bucket
    pub bucket: String,
    /// Object keys to delete (at most 1000)
    pub keys: Option<Vec<String>>,
    /// Key prefix, e.g. "reports/2024/"
    pub prefix: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyObjectInput {
    /// Bucket to copy from
    pub source_bucket: String,
    /// Key to copy from
    pub source_key: String,
    /// Bucket name, e.g. my-logs-bucket
    pub bucket: String,
    /// Object key, e.g. reports/2024/summary.csv
    pub key: String,
    /// Storage class, e.g. STANDARD (default), STANDARD_IA, GLACIER_IR
    pub storage_class: Option<StorageClass>,
    /// Encryption: "sse-s3" (S3-managed keys) or "sse-kms" (a KMS key)
    pub encryption: Option<Encryption>,
    /// KMS key id, ARN or alias for sse-kms, e.g. alias/my-key (default: the AWS-managed key)
    pub kms_key_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PresignUrlInput {
    /// Bucket name, e.g. my-logs-bucket
    pub bucket: String,
    /// Object key, e.g. reports/2024/summary.csv
    pub key: String,
    /// "get" to download (default) or "put" to upload
    pub method: Option<PresignMethod>,
    /// How long the URL works, in seconds (default 3600, at most 604800 = 7 days)
    pub expires_in_seconds: Option<u64>,
    /// Content type, e.g. application/json (put_object guesses it from the key; presign_url: put only)
    pub content_type: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetVersioningInput {
    /// Bucket name, e.g. my-logs-bucket
    pub bucket: String,
    /// "enabled" keeps every version; "suspended" stops making new ones (old ones stay)
    pub versioning: VersioningStatus,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetEncryptionInput {
    /// Bucket name, e.g. my-logs-bucket
    pub bucket: String,
    /// Encryption: "sse-s3" (S3-managed keys) or "sse-kms" (a KMS key)
    pub encryption: Encryption,
    /// KMS key id, ARN or alias for sse-kms, e.g. alias/my-key (default: the AWS-managed key)
    pub kms_key_id: Option<String>,
    /// Use an S3 Bucket Key to cut KMS request costs (default true for sse-kms)
    pub bucket_key_enabled: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetLifecycleInput {
    /// Bucket name, e.g. my-logs-bucket
    pub bucket: String,
    /// The complete rule list; it replaces the bucket's current rules
    pub rules: Vec<LifecycleRule>,
}

/// One lifecycle rule, as set_lifecycle takes it and get_lifecycle shows it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LifecycleRule {
    /// Rule name, unique in the bucket, e.g. "expire-logs"
    pub id: String,
    /// Apply only to keys starting with this, e.g. "logs/" (default: the whole bucket)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// Rule on (default true) or off
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Moves to colder storage, e.g. [{"days": 30, "storage_class": "STANDARD_IA"}]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transitions: Option<Vec<Transition>>,
    /// Delete objects this many days after creation
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_days: Option<u32>,
    /// Delete old versions this many days after they stop being current
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noncurrent_expiration_days: Option<u32>,
    /// Abort unfinished multipart uploads this many days after they start
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abort_incomplete_multipart_days: Option<u32>,
}

/// Move objects to another storage class a number of days after creation.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    /// Days after creation
    pub days: u32,
    /// Target class, e.g. STANDARD_IA, GLACIER_IR, GLACIER, DEEP_ARCHIVE
    pub storage_class: StorageClass,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPublicAccessBlockInput {
    /// Bucket name, e.g. my-logs-bucket
    pub bucket: String,
    /// Reject new public ACLs
    pub block_public_acls: Option<bool>,
    /// Ignore existing public ACLs
    pub ignore_public_acls: Option<bool>,
    /// Reject bucket policies that grant public access
    pub block_public_policy: Option<bool>,
    /// Limit access under a public policy to AWS services and the bucket owner's account
    pub restrict_public_buckets: Option<bool>,
}

impl SetPublicAccessBlockInput {
    /// The protections this call turns off, by their field names.
    pub fn turned_off(&self) -> Vec<&'static str> {
        [
            ("block_public_acls", self.block_public_acls),
            ("ignore_public_acls", self.ignore_public_acls),
            ("block_public_policy", self.block_public_policy),
            ("restrict_public_buckets", self.restrict_public_buckets),
        ]
        .into_iter()
        .filter(|(_, v)| *v == Some(false))
        .map(|(name, _)| name)
        .collect()
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PutBucketPolicyInput {
    /// Bucket name, e.g. my-logs-bucket
    pub bucket: String,
    /// The policy document as a JSON string with Version and Statement
    pub policy: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDistributionInput {
    /// Bucket name, e.g. my-logs-bucket
    pub bucket: String,
    /// Object served for "/" (default index.html)
    pub default_root_object: Option<String>,
    /// Edge locations: PriceClass_100 (cheapest, default), PriceClass_200 or PriceClass_All
    pub price_class: Option<PriceClass>,
    /// Free-text comment shown in the console
    pub comment: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DistributionInput {
    /// CloudFront distribution id, e.g. E2QWRUHEXAMPLE
    pub distribution_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInvalidationInput {
    /// CloudFront distribution id, e.g. E2QWRUHEXAMPLE
    pub distribution_id: String,
    /// Paths to invalidate, each starting with "/", e.g. ["/index.html", "/img/*"]
    pub paths: Vec<String>,
}

/// Server-side encryption with S3-managed keys or a KMS key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Encryption {
    SseS3,
    SseKms,
}

/// S3 storage classes, as S3 names them.
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
        [
            StorageClass::Standard,
            StorageClass::StandardIa,
            StorageClass::OnezoneIa,
            StorageClass::IntelligentTiering,
            StorageClass::GlacierIr,
            StorageClass::Glacier,
            StorageClass::DeepArchive,
        ]
        .into_iter()
        .find(|c| c.as_str() == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PresignMethod {
    Get,
    Put,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VersioningStatus {
    Enabled,
    Suspended,
}

/// CloudFront price classes, as CloudFront names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum PriceClass {
    #[serde(rename = "PriceClass_100")]
    PriceClass100,
    #[serde(rename = "PriceClass_200")]
    PriceClass200,
    #[serde(rename = "PriceClass_All")]
    PriceClassAll,
}

impl PriceClass {
    pub fn as_str(self) -> &'static str {
        match self {
            PriceClass::PriceClass100 => "PriceClass_100",
            PriceClass::PriceClass200 => "PriceClass_200",
            PriceClass::PriceClassAll => "PriceClass_All",
        }
    }
}
