//! `aws_s3`: buckets, objects, versioning, encryption, lifecycle, public access, bucket
//! policies, and CloudFront distributions in front of buckets. The input structs are in
//! `s3/inputs.rs`.

mod inputs;

use serde_json::{Map, Value};

pub use self::inputs::*;
use crate::{
    actions,
    error::ToolError,
    output::Output,
    registry::{Access, BoxFuture, ExecCtx, Prepared, Target, ToolDef},
    services::s3::{
        self as svc, MAX_DELETE_KEYS, MAX_INVALIDATION_PATHS, MAX_PRESIGN_SECONDS, MAX_PUT_BYTES,
        policy,
    },
};

pub static TOOL: ToolDef = ToolDef {
    name: "aws_s3",
    toolset: "s3",
    description: "Amazon S3 and CloudFront. Buckets: list_buckets, get_bucket_info, create_bucket \
(private and encrypted by default), delete_bucket, set_bucket_tags. Objects: list_objects, \
get_object (text up to 48 KiB; otherwise metadata), put_object (text body), delete_objects, \
copy_object, presign_url, head_object. Settings: get_versioning, set_versioning, get_encryption, \
set_encryption, get_lifecycle, set_lifecycle, get_public_access_block, set_public_access_block, \
get_bucket_policy, put_bucket_policy, delete_bucket_policy, find_public_buckets. CloudFront: \
list_distributions, create_distribution (S3 origin with origin access control), get_distribution, \
create_invalidation, disable_distribution, delete_distribution. Pass region for buckets outside \
the server's region. Destructive actions return a plan and a confirm_token first; S3 has no \
dry-run mode, so dry_run returns the plan without calling AWS.",
    actions: S3Action::specs,
    prepare,
};

actions! {
    S3Action, S3Request;
    ListBuckets("list_buckets", ListBucketsInput):
        "List buckets with their region and creation date";
    GetBucketInfo("get_bucket_info", BucketInput):
        "One bucket's region, versioning, encryption, public access, policy, lifecycle, tags and size estimate";
    CreateBucket("create_bucket", CreateBucketInput):
        "Create a bucket in the call's region; private (public access blocked) and encrypted (SSE-S3) by default";
    DeleteBucket("delete_bucket", DeleteBucketInput):
        "Delete a bucket; with force, first delete every object, version and delete marker in it";
    SetBucketTags("set_bucket_tags", SetBucketTagsInput):
        "Replace a bucket's tags ({} removes them all)";
    ListObjects("list_objects", ListObjectsInput):
        "List objects under a prefix; with delimiter \"/\" sub-folders come back as folders";
    GetObject("get_object", ObjectInput):
        "Read an object: text up to 48 KiB is returned, anything else is described with the reason";
    PutObject("put_object", PutObjectInput): "Write a text object (overwrites the key)";
    DeleteObjects("delete_objects", DeleteObjectsInput):
        "Delete objects by keys or by prefix and report how many were deleted";
    CopyObject("copy_object", CopyObjectInput):
        "Copy an object (up to 5 GB) within or between buckets";
    PresignUrl("presign_url", PresignUrlInput):
        "A time-limited URL that lets anyone holding it download (get) or upload (put) one object";
    HeadObject("head_object", ObjectInput):
        "An object's size, type, storage class, encryption and metadata, without its content";
    GetVersioning("get_versioning", BucketInput): "Show a bucket's versioning state";
    SetVersioning("set_versioning", SetVersioningInput):
        "Turn versioning on (enabled) or pause it (suspended)";
    GetEncryption("get_encryption", BucketInput): "Show a bucket's default encryption";
    SetEncryption("set_encryption", SetEncryptionInput):
        "Set a bucket's default encryption: SSE-S3 or SSE-KMS with a key";
    GetLifecycle("get_lifecycle", BucketInput): "Show a bucket's lifecycle rules";
    SetLifecycle("set_lifecycle", SetLifecycleInput):
        "Replace a bucket's lifecycle rules (transitions, expiration, old versions, multipart uploads)";
    GetPublicAccessBlock("get_public_access_block", BucketInput):
        "Show a bucket's public access block settings";
    SetPublicAccessBlock("set_public_access_block", SetPublicAccessBlockInput):
        "Change a bucket's public access block settings (fields left out keep their value)";
    GetBucketPolicy("get_bucket_policy", BucketInput):
        "Show a bucket's policy and whether it makes the bucket public";
    PutBucketPolicy("put_bucket_policy", PutBucketPolicyInput):
        "Replace a bucket's policy (the JSON is checked first; public grants are flagged)";
    DeleteBucketPolicy("delete_bucket_policy", BucketInput):
        "Delete a bucket's policy (access it granted stops at once)";
    FindPublicBuckets("find_public_buckets", PageInput):
        "Find buckets that are public through ACLs or policies, and say why";
    ListDistributions("list_distributions", PageInput): "List CloudFront distributions";
    CreateDistribution("create_distribution", CreateDistributionInput):
        "Put a CloudFront distribution in front of a bucket, readable only through the distribution";
    GetDistribution("get_distribution", DistributionInput):
        "Show one CloudFront distribution: status, domain, origins, settings";
    CreateInvalidation("create_invalidation", CreateInvalidationInput):
        "Remove paths from CloudFront's caches so the next request fetches them again";
    DisableDistribution("disable_distribution", DistributionInput):
        "Disable a distribution: it stops serving content (needed before delete_distribution)";
    DeleteDistribution("delete_distribution", DistributionInput):
        "Delete a disabled, deployed distribution";
}

impl S3Action {
    pub fn access(self) -> Access {
        use S3Action::*;
        match self {
            ListBuckets | GetBucketInfo | ListObjects | GetObject | HeadObject | GetVersioning
            | GetEncryption | GetLifecycle | GetPublicAccessBlock | GetBucketPolicy
            | FindPublicBuckets | ListDistributions | GetDistribution => Access::Read,
            // A presigned URL hands access to whoever holds it (uploads included), so it is not
            // something read-only mode may give out.
            CreateBucket | SetBucketTags | PutObject | CopyObject | PresignUrl | SetVersioning
            | SetEncryption | SetLifecycle | SetPublicAccessBlock | PutBucketPolicy
            | CreateDistribution | CreateInvalidation => Access::Write,
            // Disabling a distribution takes the site offline for every viewer.
            DeleteBucket | DeleteObjects | DeleteBucketPolicy | DisableDistribution
            | DeleteDistribution => Access::Destructive,
        }
    }
}

fn prepare(action: &str, args: Map<String, Value>) -> Result<Box<dyn Prepared>, ToolError> {
    let action = S3Action::from_name(action)
        .ok_or_else(|| ToolError::invalid(format!("unknown action '{action}' for aws_s3")))?;
    let request = S3Request::parse(action, args)?;
    request.validate()?;
    Ok(Box::new(request))
}

impl S3Request {
    /// Rules across fields that serde cannot express, checked before the guardrails so that a
    /// call that cannot run never gets a confirmation token.
    fn validate(&self) -> Result<(), ToolError> {
        use S3Request::*;
        let fail = |msg: String| Err(ToolError::invalid(msg));
        if let Some(bucket) = self.bucket() {
            check_bucket_ref(bucket)?;
        }
        if let Some(key) = self.key() {
            check_key(key)?;
        }
        match self {
            CreateBucket(i) => {
                check_new_bucket_name(&i.bucket)?;
                check_kms(i.encryption, &i.kms_key_id)
            }
            PutObject(i) if i.body.len() > MAX_PUT_BYTES => fail(format!(
                "body is {} bytes; put_object takes text up to {MAX_PUT_BYTES} bytes",
                i.body.len()
            )),
            PutObject(i) => check_kms(i.encryption, &i.kms_key_id),
            CopyObject(i) => {
                check_bucket_ref(&i.source_bucket)?;
                check_key(&i.source_key)?;
                if i.source_bucket == i.bucket
                    && i.source_key == i.key
                    && i.storage_class.is_none()
                    && i.encryption.is_none()
                {
                    return fail(
                        "copying an object onto itself needs a change: storage_class or \
                         encryption"
                            .into(),
                    );
                }
                check_kms(i.encryption, &i.kms_key_id)
            }
            SetEncryption(i) => check_kms(Some(i.encryption), &i.kms_key_id),
            DeleteObjects(i) => match (&i.keys, &i.prefix) {
                (Some(_), Some(_)) | (None, None) => {
                    fail("delete_objects needs exactly one of keys or prefix".into())
                }
                (Some(keys), None) if keys.is_empty() || keys.len() > MAX_DELETE_KEYS => fail(
                    format!("keys must name between 1 and {MAX_DELETE_KEYS} objects"),
                ),
                (None, Some(p)) if p.is_empty() => fail(
                    "prefix must not be empty; to empty a whole bucket use delete_bucket with \
                     force: true"
                        .into(),
                ),
                _ => Ok(()),
            },
            PresignUrl(i) => {
                let secs = i.expires_in_seconds.unwrap_or(3600);
                if !(1..=MAX_PRESIGN_SECONDS).contains(&secs) {
                    return fail(format!(
                        "expires_in_seconds must be between 1 and {MAX_PRESIGN_SECONDS} (7 days)"
                    ));
                }
                if i.content_type.is_some() && i.method != Some(PresignMethod::Put) {
                    return fail("content_type is for method put only".into());
                }
                Ok(())
            }
            SetLifecycle(i) => check_lifecycle(&i.rules),
            SetPublicAccessBlock(i)
                if i.block_public_acls.is_none()
                    && i.ignore_public_acls.is_none()
                    && i.block_public_policy.is_none()
                    && i.restrict_public_buckets.is_none() =>
            {
                fail(
                    "set_public_access_block needs at least one of block_public_acls, \
                     ignore_public_acls, block_public_policy, restrict_public_buckets"
                        .into(),
                )
            }
            PutBucketPolicy(i) => policy::check_policy(&i.policy)
                .map(|_| ())
                .map_err(|why| ToolError::invalid(format!("policy is not valid: {why}"))),
            CreateInvalidation(i) => {
                if i.paths.is_empty() || i.paths.len() > MAX_INVALIDATION_PATHS {
                    return fail(format!(
                        "paths must name between 1 and {MAX_INVALIDATION_PATHS} paths"
                    ));
                }
                match i.paths.iter().find(|p| !p.starts_with('/')) {
                    Some(p) => fail(format!(
                        "invalidation paths start with \"/\", e.g. \"/index.html\" or \"/img/*\"; \
                         got \"{p}\""
                    )),
                    None => Ok(()),
                }
            }
            CreateDistribution(i)
                if i.default_root_object
                    .as_deref()
                    .is_some_and(|o| o.starts_with('/')) =>
            {
                fail("default_root_object is a key without a leading \"/\", e.g. index.html".into())
            }
            _ => Ok(()),
        }
    }

    /// The object key the call names, if any (the destination for copy_object).
    fn key(&self) -> Option<&str> {
        use S3Request::*;
        match self {
            GetObject(ObjectInput { key, .. })
            | HeadObject(ObjectInput { key, .. })
            | PutObject(PutObjectInput { key, .. })
            | CopyObject(CopyObjectInput { key, .. })
            | PresignUrl(PresignUrlInput { key, .. }) => Some(key),
            _ => None,
        }
    }

    /// The bucket the call names, if any (the destination for copy_object).
    fn bucket(&self) -> Option<&str> {
        use S3Request::*;
        match self {
            ListBuckets(_) | FindPublicBuckets(_) | ListDistributions(_) => None,
            GetDistribution(_)
            | CreateInvalidation(_)
            | DisableDistribution(_)
            | DeleteDistribution(_) => None,
            GetBucketInfo(BucketInput { bucket })
            | GetVersioning(BucketInput { bucket })
            | GetEncryption(BucketInput { bucket })
            | GetLifecycle(BucketInput { bucket })
            | GetPublicAccessBlock(BucketInput { bucket })
            | GetBucketPolicy(BucketInput { bucket })
            | DeleteBucketPolicy(BucketInput { bucket })
            | CreateBucket(CreateBucketInput { bucket, .. })
            | DeleteBucket(DeleteBucketInput { bucket, .. })
            | SetBucketTags(SetBucketTagsInput { bucket, .. })
            | ListObjects(ListObjectsInput { bucket, .. })
            | GetObject(ObjectInput { bucket, .. })
            | HeadObject(ObjectInput { bucket, .. })
            | PutObject(PutObjectInput { bucket, .. })
            | DeleteObjects(DeleteObjectsInput { bucket, .. })
            | CopyObject(CopyObjectInput { bucket, .. })
            | PresignUrl(PresignUrlInput { bucket, .. })
            | SetVersioning(SetVersioningInput { bucket, .. })
            | SetEncryption(SetEncryptionInput { bucket, .. })
            | SetLifecycle(SetLifecycleInput { bucket, .. })
            | SetPublicAccessBlock(SetPublicAccessBlockInput { bucket, .. })
            | PutBucketPolicy(PutBucketPolicyInput { bucket, .. })
            | CreateDistribution(CreateDistributionInput { bucket, .. }) => Some(bucket),
        }
    }
}

impl Prepared for S3Request {
    fn targets(&self) -> Vec<Target> {
        use S3Request::*;
        let bucket = |b: &str| Target::new("s3", "bucket", b);
        let object = |b: &str, k: &str| Target::new("s3", "object", format!("{b}/{k}"));
        let distribution = |id: &str| vec![Target::new("cloudfront", "distribution", id)];
        match self {
            ListBuckets(_) | FindPublicBuckets(_) | ListDistributions(_) => vec![],
            GetBucketInfo(BucketInput { bucket: b })
            | GetVersioning(BucketInput { bucket: b })
            | GetEncryption(BucketInput { bucket: b })
            | GetLifecycle(BucketInput { bucket: b })
            | GetPublicAccessBlock(BucketInput { bucket: b })
            | GetBucketPolicy(BucketInput { bucket: b })
            | DeleteBucketPolicy(BucketInput { bucket: b })
            | CreateBucket(CreateBucketInput { bucket: b, .. })
            | DeleteBucket(DeleteBucketInput { bucket: b, .. })
            | SetBucketTags(SetBucketTagsInput { bucket: b, .. })
            | ListObjects(ListObjectsInput { bucket: b, .. })
            | SetVersioning(SetVersioningInput { bucket: b, .. })
            | SetEncryption(SetEncryptionInput { bucket: b, .. })
            | SetLifecycle(SetLifecycleInput { bucket: b, .. })
            | SetPublicAccessBlock(SetPublicAccessBlockInput { bucket: b, .. })
            | PutBucketPolicy(PutBucketPolicyInput { bucket: b, .. })
            | CreateDistribution(CreateDistributionInput { bucket: b, .. }) => vec![bucket(b)],
            GetObject(ObjectInput { bucket: b, key, .. })
            | HeadObject(ObjectInput { bucket: b, key, .. })
            | PutObject(PutObjectInput { bucket: b, key, .. })
            | PresignUrl(PresignUrlInput { bucket: b, key, .. }) => vec![object(b, key)],
            DeleteObjects(i) => match (&i.keys, &i.prefix) {
                (Some(keys), _) => keys.iter().map(|k| object(&i.bucket, k)).collect(),
                (None, Some(p)) => vec![object(&i.bucket, &format!("{p}*"))],
                (None, None) => vec![bucket(&i.bucket)],
            },
            CopyObject(i) => vec![
                object(&i.source_bucket, &i.source_key),
                object(&i.bucket, &i.key),
            ],
            GetDistribution(DistributionInput { distribution_id })
            | DisableDistribution(DistributionInput { distribution_id })
            | DeleteDistribution(DistributionInput { distribution_id })
            | CreateInvalidation(CreateInvalidationInput {
                distribution_id, ..
            }) => distribution(distribution_id),
        }
    }

    /// S3 and CloudFront have no dry-run mode: dry runs are answered with the plan.
    fn native_dry_run(&self) -> bool {
        false
    }

    fn risk_flags(&self) -> Vec<String> {
        match self {
            S3Request::PutBucketPolicy(i) => policy::check_policy(&i.policy)
                .map(|doc| {
                    policy::public_statements(&doc)
                        .into_iter()
                        .map(|why| format!("makes bucket {} public: {why}", i.bucket))
                        .collect()
                })
                .unwrap_or_default(),
            S3Request::SetPublicAccessBlock(i) => i
                .turned_off()
                .into_iter()
                .map(|name| {
                    format!(
                        "turns off {name} on bucket {}: public ACLs or policies can then expose it",
                        i.bucket
                    )
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    fn execute<'a>(
        self: Box<Self>,
        ctx: &'a ExecCtx<'a>,
    ) -> BoxFuture<'a, Result<Output, ToolError>> {
        Box::pin(async move {
            let region = ctx.region.as_deref();
            let client = ctx.aws.s3(region).await;
            let s3 = svc::S3 {
                client: &client,
                pool: Some(ctx.aws),
            };
            // CloudFront calls also use S3 (bucket region and policy for create_distribution).
            macro_rules! cloudfront {
                ($method:ident($($arg:expr),*)) => {{
                    let cf_client = ctx.aws.cloudfront(region).await;
                    let cf = svc::CloudFront {
                        client: &cf_client,
                        s3: &s3,
                    };
                    cf.$method($($arg),*).await
                }};
            }
            use S3Request::*;
            match *self {
                ListBuckets(i) => s3.list_buckets(i).await,
                GetBucketInfo(i) => s3.get_bucket_info(&i.bucket).await,
                CreateBucket(i) => s3.create_bucket(i).await,
                DeleteBucket(i) => s3.delete_bucket(&i.bucket, i.force.unwrap_or(false)).await,
                SetBucketTags(i) => s3.set_bucket_tags(&i.bucket, i.tags).await,
                ListObjects(i) => s3.list_objects(i).await,
                GetObject(i) => s3.get_object(i).await,
                PutObject(i) => s3.put_object(i).await,
                DeleteObjects(i) => s3.delete_objects(i).await,
                CopyObject(i) => s3.copy_object(i).await,
                PresignUrl(i) => s3.presign_url(i).await,
                HeadObject(i) => s3.head_object(i).await,
                GetVersioning(i) => s3.get_versioning(&i.bucket).await,
                SetVersioning(i) => s3.set_versioning(&i.bucket, i.versioning).await,
                GetEncryption(i) => s3.get_encryption(&i.bucket).await,
                SetEncryption(i) => s3.set_encryption(i).await,
                GetLifecycle(i) => s3.get_lifecycle(&i.bucket).await,
                SetLifecycle(i) => s3.set_lifecycle(&i.bucket, i.rules).await,
                GetPublicAccessBlock(i) => s3.get_public_access_block(&i.bucket).await,
                SetPublicAccessBlock(i) => s3.set_public_access_block(i).await,
                GetBucketPolicy(i) => s3.get_bucket_policy(&i.bucket).await,
                PutBucketPolicy(i) => s3.put_bucket_policy(&i.bucket, &i.policy).await,
                DeleteBucketPolicy(i) => s3.delete_bucket_policy(&i.bucket).await,
                FindPublicBuckets(i) => s3.find_public_buckets(i).await,
                ListDistributions(i) => cloudfront!(list_distributions(i)),
                CreateDistribution(i) => cloudfront!(create_distribution(i)),
                GetDistribution(i) => cloudfront!(get_distribution(&i.distribution_id)),
                CreateInvalidation(i) => {
                    cloudfront!(create_invalidation(&i.distribution_id, i.paths))
                }
                DisableDistribution(i) => cloudfront!(disable_distribution(&i.distribution_id)),
                DeleteDistribution(i) => cloudfront!(delete_distribution(&i.distribution_id)),
            }
        })
    }
}

/// A bucket named by an existing-bucket action: a name, not a URL or a path. Buckets made
/// before 2018 in us-east-1 may have capitals, underscores and up to 255 characters, so only
/// create_bucket applies today's rules.
fn check_bucket_ref(name: &str) -> Result<(), ToolError> {
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

fn check_key(key: &str) -> Result<(), ToolError> {
    if key.is_empty() || key.len() > 1024 {
        return Err(ToolError::invalid(
            "key must be 1 to 1024 bytes, e.g. reports/2024/summary.csv",
        ));
    }
    Ok(())
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

fn check_kms(encryption: Option<Encryption>, kms_key_id: &Option<String>) -> Result<(), ToolError> {
    if kms_key_id.is_some() && encryption != Some(Encryption::SseKms) {
        return Err(ToolError::invalid(
            "kms_key_id needs encryption: \"sse-kms\"",
        ));
    }
    Ok(())
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
