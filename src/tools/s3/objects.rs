//! Objects: list, read (bounded text only), describe, write text, delete, copy, presign. Nothing
//! here reads or writes files of the machine the server runs on.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant, SystemTime},
};

use aws_sdk_s3::{
    Client,
    operation::head_object::HeadObjectOutput,
    presigning::PresigningConfig,
    primitives::ByteStream,
    types::{Delete, ObjectIdentifier, ServerSideEncryption, StorageClass as SdkStorageClass},
};
use aws_smithy_types::DateTime;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    DELETE_BUDGET, Encryption, StorageClass, bucket_target, build_error, check_bucket_ref,
    check_kms, check_object, human_bytes, object_target, s3_error, time,
};
use crate::{
    aws::paging::PageRequest,
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Flag, Risk, Target},
};

/// Most keys one `delete_objects` call takes (S3's DeleteObjects limit).
pub const MAX_DELETE_KEYS: usize = 1000;
/// Largest `put_object` body, in bytes.
pub const MAX_PUT_BYTES: usize = 5 * 1024 * 1024;
/// Largest object `get_object` returns as text; bigger ones are described instead. It stays
/// under the result byte budget (`output::MAX_RESULT_BYTES`) with room for JSON escaping.
pub const MAX_TEXT_BYTES: u64 = 48 * 1024;
/// Longest presigned URL lifetime: 7 days, what SigV4 allows.
pub const MAX_PRESIGN_SECONDS: u64 = 7 * 24 * 3600;
/// Presigned URLs that live longer than this are flagged: a day is enough to hand one over.
const LONG_PRESIGN_SECONDS: u64 = 24 * 3600;
/// The most bytes of JSON-escaped text a result carries; the rest of the result budget is for
/// the summary and metadata.
const MAX_ESCAPED_TEXT: usize = 56_000;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListObjects {
    pub bucket: String,
    pub prefix: Option<String>,
    /// e.g. "/" to group keys into folders
    pub delimiter: Option<String>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListObjects {
    const NAME: &'static str = "list_objects";
    const DESCRIPTION: &'static str = "Objects and folders under a prefix";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_bucket_ref(&self.bucket)
    }

    fn targets(&self) -> Vec<Target> {
        vec![bucket_target(&self.bucket)]
    }

    /// One page of keys under a prefix. With a delimiter, keys below the next delimiter are
    /// grouped into folders (S3's common prefixes); folders and objects share the page.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let resp = client
            .list_objects_v2()
            .bucket(&self.bucket)
            .set_prefix(self.prefix.clone())
            .set_delimiter(self.delimiter.clone())
            .max_keys(page.aws_page_size(1, 1000))
            .set_continuation_token(page.aws_token.clone())
            .send()
            .await
            .map_err(s3_error)?;
        let mut entries: Vec<(String, Option<Value>)> = resp
            .contents()
            .iter()
            .map(|o| {
                let key = o.key().unwrap_or_default().to_string();
                let v = json!({
                    "key": key,
                    "size": o.size(),
                    "last_modified": o.last_modified().map(time),
                    "storage_class": o.storage_class().map(|s| s.as_str()),
                });
                (key, Some(v))
            })
            .chain(
                resp.common_prefixes()
                    .iter()
                    .filter_map(|p| p.prefix())
                    .map(|p| (p.to_string(), None)),
            )
            .collect();
        // S3 pages keys and folders together in key order; keep that order so a page cut
        // here resumes at the right place.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let (items, next) =
            page.finish(entries, resp.next_continuation_token().map(str::to_string));
        let (mut folders, mut objects) = (Vec::new(), Vec::new());
        for (key, obj) in items {
            match obj {
                Some(o) => objects.push(o),
                None => folders.push(key),
            }
        }
        let bytes: i64 = objects.iter().filter_map(|o| o["size"].as_i64()).sum();
        let scope = match self.prefix.as_deref() {
            Some(p) if !p.is_empty() => format!("under {p} in {}", self.bucket),
            _ => format!("in {}", self.bucket),
        };
        let mut summary = format!(
            "{} object(s) ({}) and {} folder(s) {scope}",
            objects.len(),
            human_bytes(bytes.max(0) as u64),
            folders.len()
        );
        summary.push_str(if next.is_some() {
            "; more with next_token."
        } else {
            "."
        });
        Ok(Output::new(
            summary,
            json!({
                "bucket": self.bucket,
                "prefix": self.prefix,
                "delimiter": self.delimiter,
                "folders": folders,
                "objects": objects,
            }),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetObject {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
}

impl Action for GetObject {
    const NAME: &'static str = "get_object";
    const DESCRIPTION: &'static str = "Object text up to 48 KiB, else metadata";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_object(&self.bucket, &self.key)
    }

    fn targets(&self) -> Vec<Target> {
        vec![object_target(&self.bucket, &self.key)]
    }

    /// Returns the object's text when it is small, uncompressed, not archived and UTF-8;
    /// otherwise its metadata and the reason the content is not shown. Binary content is
    /// never printed.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let (bucket, key) = (self.bucket.as_str(), self.key.as_str());
        let head = head(&client, bucket, key, self.version_id.as_deref()).await?;
        let mut data = object_json(bucket, key, &head);
        let size = head.content_length().unwrap_or(0).max(0) as u64;
        let content_type = head.content_type().unwrap_or("");
        let reason = if size > MAX_TEXT_BYTES {
            Some(too_big(size))
        } else if let Some(enc) = head
            .content_encoding()
            .filter(|e| !e.is_empty() && *e != "identity")
        {
            Some(format!("it is compressed (Content-Encoding {enc})"))
        } else if archived(&head) {
            Some(
                "it is archived (GLACIER / DEEP_ARCHIVE) and not restored; restore it first".into(),
            )
        } else if text_type(content_type) == Some(false) {
            Some(format!("its content type {content_type} is binary"))
        } else {
            None
        };
        if let Some(reason) = reason {
            return Ok(described(bucket, key, data, reason));
        }
        let resp = client
            .get_object()
            .bucket(bucket)
            .key(key)
            .set_version_id(self.version_id.clone())
            .range(format!("bytes=0-{}", MAX_TEXT_BYTES - 1))
            .send()
            .await
            .map_err(s3_error)?;
        // The object may have grown since HEAD: the range's total says.
        if let Some(total) = resp
            .content_range()
            .and_then(|r| r.rsplit('/').next())
            .and_then(|t| t.parse::<u64>().ok())
            .filter(|t| *t > MAX_TEXT_BYTES)
        {
            return Ok(described(bucket, key, data, too_big(total)));
        }
        let bytes = resp
            .body
            .collect()
            .await
            .map_err(|e| ToolError::Transport {
                message: format!("reading the object body failed: {e}"),
                hint: "retry".into(),
            })?
            .into_bytes();
        let text = match std::str::from_utf8(&bytes) {
            Ok(t) if !t.contains('\0') => t,
            _ => {
                return Ok(described(
                    bucket,
                    key,
                    data,
                    "its content is binary (not UTF-8 text)".into(),
                ));
            }
        };
        let escaped = serde_json::to_string(text)
            .map(|s| s.len())
            .unwrap_or(usize::MAX);
        if escaped > MAX_ESCAPED_TEXT {
            let reason = format!(
                "its text takes {escaped} bytes once escaped, over the result budget; use \
                 presign_url to download it"
            );
            return Ok(described(bucket, key, data, reason));
        }
        data["text"] = json!(text);
        Ok(Output::new(
            format!(
                "s3://{bucket}/{key} ({}, {}): its text is in data.text.",
                human_bytes(bytes.len() as u64),
                if content_type.is_empty() {
                    "no content type"
                } else {
                    content_type
                }
            ),
            data,
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PutObject {
    pub bucket: String,
    pub key: String,
    pub body: String,
    /// Default: guessed from the key
    pub content_type: Option<String>,
    pub metadata: Option<BTreeMap<String, String>>,
    pub storage_class: Option<StorageClass>,
    pub encryption: Option<Encryption>,
    /// For sse-kms, e.g. alias/my-key
    pub kms_key_id: Option<String>,
}

impl Action for PutObject {
    const NAME: &'static str = "put_object";
    const DESCRIPTION: &'static str = "Write a text object (overwrites the key)";
    const ACCESS: Access = Access::Write;
    // It replaces what the key held; in a versioned bucket the old version stays.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_object(&self.bucket, &self.key)?;
        if self.body.len() > MAX_PUT_BYTES {
            return Err(ToolError::invalid(format!(
                "body is {} bytes; put_object takes text up to {MAX_PUT_BYTES} bytes",
                self.body.len()
            )));
        }
        check_kms(self.encryption, &self.kms_key_id)
    }

    fn targets(&self) -> Vec<Target> {
        vec![object_target(&self.bucket, &self.key)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let content_type = self
            .content_type
            .clone()
            .unwrap_or_else(|| guess_content_type(&self.key).to_string());
        let size = self.body.len();
        let resp = client
            .put_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .body(ByteStream::from(self.body.into_bytes()))
            .content_type(&content_type)
            .set_metadata(self.metadata.clone().map(|m| m.into_iter().collect()))
            .set_storage_class(self.storage_class.map(sdk_storage_class))
            .set_server_side_encryption(self.encryption.map(sse))
            .set_ssekms_key_id(self.kms_key_id.clone())
            .send()
            .await
            .map_err(s3_error)?;
        Ok(Output::new(
            format!(
                "Wrote {} to s3://{}/{} ({content_type}).",
                human_bytes(size as u64),
                self.bucket,
                self.key
            ),
            json!({
                "bucket": self.bucket,
                "key": self.key,
                "size": size,
                "content_type": content_type,
                "etag": resp.e_tag(),
                "version_id": resp.version_id(),
                "storage_class": self.storage_class.unwrap_or(StorageClass::Standard).as_str(),
                "server_side_encryption": resp.server_side_encryption().map(|s| s.as_str()),
                "metadata": self.metadata,
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteObjects {
    pub bucket: String,
    /// Up to 1000
    pub keys: Option<Vec<String>>,
    pub prefix: Option<String>,
}

impl Action for DeleteObjects {
    const NAME: &'static str = "delete_objects";
    const DESCRIPTION: &'static str = "Delete objects by keys or prefix";
    const ACCESS: Access = Access::Destructive;
    const RISK: Risk = Risk::Critical;

    fn validate(&self) -> Result<(), ToolError> {
        check_bucket_ref(&self.bucket)?;
        let fail = |msg: String| Err(ToolError::invalid(msg));
        match (&self.keys, &self.prefix) {
            (Some(_), Some(_)) | (None, None) => {
                fail("delete_objects needs exactly one of keys or prefix".into())
            }
            (Some(keys), None) if keys.is_empty() || keys.len() > MAX_DELETE_KEYS => fail(format!(
                "keys must name between 1 and {MAX_DELETE_KEYS} objects"
            )),
            (Some(keys), None) => keys.iter().try_for_each(|k| super::check_key(k)),
            (None, Some(p)) if p.is_empty() => fail(
                "prefix must not be empty; to empty a whole bucket use delete_bucket with \
                 force: true"
                    .into(),
            ),
            (None, Some(_)) => Ok(()),
        }
    }

    /// Each key, or one `prefix*` pattern, as objects in the bucket.
    fn targets(&self) -> Vec<Target> {
        match (&self.keys, &self.prefix) {
            (Some(keys), _) => keys
                .iter()
                .map(|k| object_target(&self.bucket, k))
                .collect(),
            (None, Some(p)) => vec![object_target(&self.bucket, &format!("{p}*"))],
            (None, None) => vec![bucket_target(&self.bucket)],
        }
    }

    /// Deletes the named keys (one request), or every key under a prefix (listing and
    /// deleting 1,000 at a time until none is left or the time budget runs out).
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let bucket = self.bucket.as_str();
        // Only for the note on delete markers: when versioning cannot be read, no note.
        let versioned = client
            .get_bucket_versioning()
            .bucket(bucket)
            .send()
            .await
            .ok()
            .map(|v| v.status().is_some());
        let (deleted, finished, scope) = match (&self.keys, &self.prefix) {
            (Some(keys), _) => {
                let ids = keys
                    .iter()
                    .map(|k| identifier(Some(k), None))
                    .collect::<Result<Vec<_>, _>>()?;
                (delete_identifiers(&client, bucket, ids).await?, true, None)
            }
            (None, Some(prefix)) => {
                let started = Instant::now();
                let mut deleted = 0;
                let mut finished = false;
                while started.elapsed() < DELETE_BUDGET {
                    let page = client
                        .list_objects_v2()
                        .bucket(bucket)
                        .prefix(prefix)
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
                        finished = true;
                        break;
                    }
                    deleted += delete_identifiers(&client, bucket, ids).await?;
                }
                (deleted, finished, Some(prefix.as_str()))
            }
            (None, None) => {
                return Err(ToolError::invalid(
                    "delete_objects needs exactly one of keys or prefix",
                ));
            }
        };
        let mut summary = match scope {
            Some(p) => format!("Deleted {deleted} object(s) under {p} in {bucket}."),
            None => format!("Deleted {deleted} key(s) from {bucket}."),
        };
        if !finished {
            summary.push_str(" Not finished (time budget reached): call again to go on.");
        }
        if versioned == Some(true) {
            summary.push_str(
                " The bucket is versioned: S3 added delete markers and kept the earlier \
                 versions, which can be restored (and are still billed).",
            );
        }
        Ok(Output::new(
            summary,
            json!({"bucket": bucket, "deleted": deleted, "finished": finished,
                   "prefix": self.prefix, "versioned": versioned}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyObject {
    pub source_bucket: String,
    pub source_key: String,
    pub bucket: String,
    pub key: String,
    pub storage_class: Option<StorageClass>,
    pub encryption: Option<Encryption>,
    pub kms_key_id: Option<String>,
}

impl Action for CopyObject {
    const NAME: &'static str = "copy_object";
    const DESCRIPTION: &'static str = "Copy an object (up to 5 GB) to bucket/key";
    const ACCESS: Access = Access::Write;
    // It overwrites the destination key, as put_object does.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_object(&self.bucket, &self.key)?;
        check_object(&self.source_bucket, &self.source_key)?;
        if self.source_bucket == self.bucket
            && self.source_key == self.key
            && self.storage_class.is_none()
            && self.encryption.is_none()
        {
            return Err(ToolError::invalid(
                "copying an object onto itself needs a change: storage_class or encryption",
            ));
        }
        check_kms(self.encryption, &self.kms_key_id)
    }

    fn targets(&self) -> Vec<Target> {
        vec![
            object_target(&self.source_bucket, &self.source_key),
            object_target(&self.bucket, &self.key),
        ]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let source = format!("{}/{}", self.source_bucket, encode_key(&self.source_key));
        let resp = client
            .copy_object()
            .copy_source(source)
            .bucket(&self.bucket)
            .key(&self.key)
            .set_storage_class(self.storage_class.map(sdk_storage_class))
            .set_server_side_encryption(self.encryption.map(sse))
            .set_ssekms_key_id(self.kms_key_id.clone())
            .send()
            .await
            .map_err(s3_error)?;
        Ok(Output::new(
            format!(
                "Copied s3://{}/{} to s3://{}/{}.",
                self.source_bucket, self.source_key, self.bucket, self.key
            ),
            json!({
                "source": {"bucket": self.source_bucket, "key": self.source_key,
                           "version_id": resp.copy_source_version_id()},
                "destination": {"bucket": self.bucket, "key": self.key,
                                "version_id": resp.version_id(),
                                "etag": resp.copy_object_result().and_then(|r| r.e_tag())},
            }),
        ))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PresignMethod {
    Get,
    Put,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PresignUrl {
    pub bucket: String,
    pub key: String,
    /// Default get
    pub method: Option<PresignMethod>,
    /// Default 3600, max 604800
    pub expires_in_seconds: Option<u64>,
    pub content_type: Option<String>,
}

impl Action for PresignUrl {
    const NAME: &'static str = "presign_url";
    const DESCRIPTION: &'static str = "Time-limited URL to get or put one object";
    // A presigned URL hands access to whoever holds it (uploads included), so it is not
    // something read-only mode may give out.
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_object(&self.bucket, &self.key)?;
        let secs = self.expires_in_seconds.unwrap_or(3600);
        if !(1..=MAX_PRESIGN_SECONDS).contains(&secs) {
            return Err(ToolError::invalid(format!(
                "expires_in_seconds must be between 1 and {MAX_PRESIGN_SECONDS} (7 days)"
            )));
        }
        if self.content_type.is_some() && self.method != Some(PresignMethod::Put) {
            return Err(ToolError::invalid("content_type is for method put only"));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![object_target(&self.bucket, &self.key)]
    }

    fn flags(&self) -> Vec<Flag> {
        let mut flags = Vec::new();
        if self.method == Some(PresignMethod::Put) {
            flags.push(Flag::high(format!(
                "anyone holding the URL can upload to s3://{}/{}, replacing the object",
                self.bucket, self.key
            )));
        }
        let secs = self.expires_in_seconds.unwrap_or(3600);
        if secs > LONG_PRESIGN_SECONDS {
            flags.push(Flag::high(format!(
                "the URL works for {secs} s, more than a day, and cannot be revoked before \
                 then except by removing the signing credentials"
            )));
        }
        flags
    }

    /// Signs a URL locally with the server's credentials; nothing is sent to AWS. The URL
    /// stops working at its expiry, or earlier when the credentials that signed it expire.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let seconds = self.expires_in_seconds.unwrap_or(3600);
        let config = PresigningConfig::expires_in(Duration::from_secs(seconds))
            .map_err(|e| ToolError::invalid(format!("bad expiry: {e}")))?;
        let method = self.method.unwrap_or(PresignMethod::Get);
        let signed = match method {
            PresignMethod::Get => client
                .get_object()
                .bucket(&self.bucket)
                .key(&self.key)
                .presigned(config)
                .await
                .map_err(s3_error)?,
            PresignMethod::Put => client
                .put_object()
                .bucket(&self.bucket)
                .key(&self.key)
                .set_content_type(self.content_type.clone())
                .presigned(config)
                .await
                .map_err(s3_error)?,
        };
        let headers: BTreeMap<String, String> = signed
            .headers()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("host"))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let expires_at = DateTime::from(SystemTime::now() + Duration::from_secs(seconds));
        let verb = match method {
            PresignMethod::Get => "download",
            PresignMethod::Put => "upload to",
        };
        Ok(Output::new(
            format!(
                "{} URL for s3://{}/{}, valid for {seconds} s (until {}). Anyone holding it can \
                 {verb} this object until then; share it only with whom you mean to.",
                signed.method(),
                self.bucket,
                self.key,
                time(&expires_at)
            ),
            json!({
                "url": signed.uri(),
                "method": signed.method(),
                "headers": headers,
                "expires_in_seconds": seconds,
                "expires_at": time(&expires_at),
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeadObject {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
}

impl Action for HeadObject {
    const NAME: &'static str = "head_object";
    const DESCRIPTION: &'static str = "Object metadata, without content";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_object(&self.bucket, &self.key)
    }

    fn targets(&self) -> Vec<Target> {
        vec![object_target(&self.bucket, &self.key)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let (bucket, key) = (self.bucket.as_str(), self.key.as_str());
        let head = head(&client, bucket, key, self.version_id.as_deref()).await?;
        let data = object_json(bucket, key, &head);
        Ok(Output::new(
            format!(
                "s3://{bucket}/{key}: {}, {}, {}.",
                human_bytes(head.content_length().unwrap_or(0).max(0) as u64),
                head.content_type().unwrap_or("no content type"),
                head.storage_class()
                    .map(|s| s.as_str())
                    .unwrap_or("STANDARD"),
            ),
            data,
        ))
    }
}

/// One DeleteObjects call (at most 1,000 identifiers); any per-key error fails the call with
/// the first few keys and codes.
pub async fn delete_identifiers(
    client: &Client,
    bucket: &str,
    ids: Vec<ObjectIdentifier>,
) -> Result<usize, ToolError> {
    let n = ids.len();
    let delete = Delete::builder()
        .set_objects(Some(ids))
        .quiet(true)
        .build()
        .map_err(build_error)?;
    let resp = client
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

pub fn identifier(
    key: Option<&str>,
    version_id: Option<&str>,
) -> Result<ObjectIdentifier, ToolError> {
    ObjectIdentifier::builder()
        .set_key(key.map(str::to_string))
        .set_version_id(version_id.map(str::to_string))
        .build()
        .map_err(build_error)
}

async fn head(
    client: &Client,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> Result<HeadObjectOutput, ToolError> {
    client
        .head_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version_id.map(str::to_string))
        .send()
        .await
        .map_err(|e| {
            if e.as_service_error().is_some_and(|s| s.is_not_found()) {
                return ToolError::Aws {
                    code: "NoSuchKey".into(),
                    message: format!("no object {key} in bucket {bucket}"),
                    hint: Some(
                        "check the key (and version_id) with aws_s3 list_objects; keys are \
                         case-sensitive"
                            .into(),
                    ),
                };
            }
            s3_error(e)
        })
}

fn too_big(size: u64) -> String {
    format!(
        "it is {}, over the {} text limit; use presign_url to download it",
        human_bytes(size),
        human_bytes(MAX_TEXT_BYTES)
    )
}

fn described(bucket: &str, key: &str, mut data: Value, reason: String) -> Output {
    data["text"] = Value::Null;
    data["content_not_shown"] = json!(reason);
    Output::new(
        format!("s3://{bucket}/{key} is described, not printed: {reason}."),
        data,
    )
}

fn object_json(bucket: &str, key: &str, h: &HeadObjectOutput) -> Value {
    json!({
        "bucket": bucket,
        "key": key,
        "size": h.content_length(),
        "content_type": h.content_type(),
        "content_encoding": h.content_encoding(),
        "last_modified": h.last_modified().map(time),
        "etag": h.e_tag(),
        "version_id": h.version_id(),
        "storage_class": h.storage_class().map(|s| s.as_str()).unwrap_or("STANDARD"),
        "server_side_encryption": h.server_side_encryption().map(|s| s.as_str()),
        "kms_key_id": h.ssekms_key_id(),
        "metadata": h.metadata(),
        "restore": h.restore(),
    })
}

/// Archived objects cannot be read until restored (their `restore` header says when).
fn archived(h: &HeadObjectOutput) -> bool {
    let cold = matches!(
        h.storage_class(),
        Some(SdkStorageClass::Glacier | SdkStorageClass::DeepArchive)
    );
    cold && !h
        .restore()
        .is_some_and(|r| r.contains("ongoing-request=\"false\""))
}

/// Whether a content type is text (`Some(true)`), binary (`Some(false)`), or says nothing
/// (`None`: empty or octet-stream, where the bytes decide).
fn text_type(content_type: &str) -> Option<bool> {
    let base = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if base.is_empty() || base == "application/octet-stream" || base == "binary/octet-stream" {
        return None;
    }
    let text = base.starts_with("text/")
        || base.ends_with("+json")
        || base.ends_with("+xml")
        || matches!(
            base.as_str(),
            "application/json"
                | "application/xml"
                | "application/javascript"
                | "application/x-javascript"
                | "application/yaml"
                | "application/x-yaml"
                | "application/toml"
                | "application/x-sh"
                | "application/sql"
                | "application/csv"
                | "application/x-ndjson"
                | "application/graphql"
        );
    Some(text)
}

/// A content type from the key's extension, for put_object without one.
fn guess_content_type(key: &str) -> &'static str {
    let ext = key
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "json" => "application/json",
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "tsv" => "text/tab-separated-values; charset=utf-8",
        "xml" => "application/xml",
        "yaml" | "yml" => "application/yaml",
        "md" => "text/markdown; charset=utf-8",
        "svg" => "image/svg+xml",
        _ => "text/plain; charset=utf-8",
    }
}

/// Percent-encodes a key for CopySource, keeping "/" and unreserved characters.
fn encode_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn sdk_storage_class(c: StorageClass) -> SdkStorageClass {
    SdkStorageClass::from(c.as_str())
}

fn sse(e: Encryption) -> ServerSideEncryption {
    match e {
        Encryption::SseS3 => ServerSideEncryption::Aes256,
        Encryption::SseKms => ServerSideEncryption::AwsKms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_decide_text_or_binary() {
        assert_eq!(text_type("text/csv; charset=utf-8"), Some(true));
        assert_eq!(text_type("application/json"), Some(true));
        assert_eq!(text_type("application/vnd.api+json"), Some(true));
        assert_eq!(text_type("image/png"), Some(false));
        assert_eq!(text_type("application/zip"), Some(false));
        assert_eq!(text_type("binary/octet-stream"), None);
        assert_eq!(text_type(""), None);
    }

    #[test]
    fn keys_are_encoded_for_copy_source() {
        assert_eq!(encode_key("a/b c+d.txt"), "a/b%20c%2Bd.txt");
        assert_eq!(encode_key("ünï"), "%C3%BCn%C3%AF");
    }

    #[test]
    fn content_type_guesses() {
        assert_eq!(guess_content_type("x/data.JSON"), "application/json");
        assert_eq!(guess_content_type("notes"), "text/plain; charset=utf-8");
    }
}
