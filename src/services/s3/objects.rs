//! Objects: list, read (bounded text only), describe, write text, delete, copy, presign. Nothing
//! here reads or writes files of the machine the server runs on.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant, SystemTime},
};

use aws_sdk_s3::{
    operation::head_object::HeadObjectOutput,
    presigning::PresigningConfig,
    primitives::ByteStream,
    types::{ServerSideEncryption, StorageClass as SdkStorageClass},
};
use aws_smithy_types::DateTime;
use serde_json::{Value, json};

use super::{DELETE_BUDGET, MAX_TEXT_BYTES, S3, buckets::identifier, human_bytes, s3_error, time};
use crate::{
    aws::paging::PageRequest,
    error::ToolError,
    output::Output,
    tools::s3::{
        CopyObjectInput, DeleteObjectsInput, Encryption, ListObjectsInput, ObjectInput,
        PresignMethod, PresignUrlInput, PutObjectInput, StorageClass,
    },
};

/// The most bytes of JSON-escaped text a result carries; the rest of the result budget is for
/// the summary and metadata.
const MAX_ESCAPED_TEXT: usize = 56_000;

impl S3<'_> {
    /// One page of keys under a prefix. With a delimiter, keys below the next delimiter are
    /// grouped into folders (S3's common prefixes); folders and objects share the page.
    pub async fn list_objects(&self, i: ListObjectsInput) -> Result<Output, ToolError> {
        let page = PageRequest::new(i.max_results, i.next_token.as_deref())?;
        let resp = self
            .client
            .list_objects_v2()
            .bucket(&i.bucket)
            .set_prefix(i.prefix.clone())
            .set_delimiter(i.delimiter.clone())
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
        let scope = match i.prefix.as_deref() {
            Some(p) if !p.is_empty() => format!("under {p} in {}", i.bucket),
            _ => format!("in {}", i.bucket),
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
                "bucket": i.bucket,
                "prefix": i.prefix,
                "delimiter": i.delimiter,
                "folders": folders,
                "objects": objects,
            }),
        )
        .with_next_token(next))
    }

    /// Returns the object's text when it is small, uncompressed, not archived and UTF-8;
    /// otherwise its metadata and the reason the content is not shown. Binary content is
    /// never printed.
    pub async fn get_object(&self, i: ObjectInput) -> Result<Output, ToolError> {
        let head = self.head(&i).await?;
        let mut data = object_json(&i.bucket, &i.key, &head);
        let size = head.content_length().unwrap_or(0).max(0) as u64;
        let content_type = head.content_type().unwrap_or("");
        let reason = if size > MAX_TEXT_BYTES {
            Some(format!(
                "it is {}, over the {} text limit; use presign_url to download it",
                human_bytes(size),
                human_bytes(MAX_TEXT_BYTES)
            ))
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
            return Ok(described(&i, data, reason));
        }
        let resp = self
            .client
            .get_object()
            .bucket(&i.bucket)
            .key(&i.key)
            .set_version_id(i.version_id.clone())
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
            let reason = format!(
                "it is {}, over the {} text limit; use presign_url to download it",
                human_bytes(total),
                human_bytes(MAX_TEXT_BYTES)
            );
            return Ok(described(&i, data, reason));
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
                    &i,
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
            return Ok(described(&i, data, reason));
        }
        data["text"] = json!(text);
        Ok(Output::new(
            format!(
                "s3://{}/{} ({}, {}): its text is in data.text.",
                i.bucket,
                i.key,
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

    pub async fn head_object(&self, i: ObjectInput) -> Result<Output, ToolError> {
        let head = self.head(&i).await?;
        let data = object_json(&i.bucket, &i.key, &head);
        Ok(Output::new(
            format!(
                "s3://{}/{}: {}, {}, {}.",
                i.bucket,
                i.key,
                human_bytes(head.content_length().unwrap_or(0).max(0) as u64),
                head.content_type().unwrap_or("no content type"),
                head.storage_class()
                    .map(|s| s.as_str())
                    .unwrap_or("STANDARD"),
            ),
            data,
        ))
    }

    pub async fn put_object(&self, i: PutObjectInput) -> Result<Output, ToolError> {
        let content_type = i
            .content_type
            .clone()
            .unwrap_or_else(|| guess_content_type(&i.key).to_string());
        let size = i.body.len();
        let resp = self
            .client
            .put_object()
            .bucket(&i.bucket)
            .key(&i.key)
            .body(ByteStream::from(i.body.into_bytes()))
            .content_type(&content_type)
            .set_metadata(i.metadata.clone().map(|m| m.into_iter().collect()))
            .set_storage_class(i.storage_class.map(sdk_storage_class))
            .set_server_side_encryption(i.encryption.map(sse))
            .set_ssekms_key_id(i.kms_key_id.clone())
            .send()
            .await
            .map_err(s3_error)?;
        Ok(Output::new(
            format!(
                "Wrote {} to s3://{}/{} ({content_type}).",
                human_bytes(size as u64),
                i.bucket,
                i.key
            ),
            json!({
                "bucket": i.bucket,
                "key": i.key,
                "size": size,
                "content_type": content_type,
                "etag": resp.e_tag(),
                "version_id": resp.version_id(),
                "storage_class": i.storage_class.unwrap_or(StorageClass::Standard).as_str(),
                "server_side_encryption": resp.server_side_encryption().map(|s| s.as_str()),
                "metadata": i.metadata,
            }),
        ))
    }

    /// Deletes the named keys (one request), or every key under a prefix (listing and deleting
    /// 1,000 at a time until none is left or the time budget runs out).
    pub async fn delete_objects(&self, i: DeleteObjectsInput) -> Result<Output, ToolError> {
        let bucket = i.bucket.as_str();
        // Only for the note on delete markers: when versioning cannot be read, no note.
        let versioned = self
            .client
            .get_bucket_versioning()
            .bucket(bucket)
            .send()
            .await
            .ok()
            .map(|v| v.status().is_some());
        let (deleted, finished, scope) = match (&i.keys, &i.prefix) {
            (Some(keys), _) => {
                let ids = keys
                    .iter()
                    .map(|k| identifier(Some(k), None))
                    .collect::<Result<Vec<_>, _>>()?;
                (self.delete_identifiers(bucket, ids).await?, true, None)
            }
            (None, Some(prefix)) => {
                let started = Instant::now();
                let mut deleted = 0;
                let mut finished = false;
                while started.elapsed() < DELETE_BUDGET {
                    let page = self
                        .client
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
                    deleted += self.delete_identifiers(bucket, ids).await?;
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
                   "prefix": i.prefix, "versioned": versioned}),
        ))
    }

    pub async fn copy_object(&self, i: CopyObjectInput) -> Result<Output, ToolError> {
        let source = format!("{}/{}", i.source_bucket, encode_key(&i.source_key));
        let resp = self
            .client
            .copy_object()
            .copy_source(source)
            .bucket(&i.bucket)
            .key(&i.key)
            .set_storage_class(i.storage_class.map(sdk_storage_class))
            .set_server_side_encryption(i.encryption.map(sse))
            .set_ssekms_key_id(i.kms_key_id.clone())
            .send()
            .await
            .map_err(s3_error)?;
        Ok(Output::new(
            format!(
                "Copied s3://{}/{} to s3://{}/{}.",
                i.source_bucket, i.source_key, i.bucket, i.key
            ),
            json!({
                "source": {"bucket": i.source_bucket, "key": i.source_key,
                           "version_id": resp.copy_source_version_id()},
                "destination": {"bucket": i.bucket, "key": i.key,
                                "version_id": resp.version_id(),
                                "etag": resp.copy_object_result().and_then(|r| r.e_tag())},
            }),
        ))
    }

    /// Signs a URL locally with the server's credentials; nothing is sent to AWS. The URL stops
    /// working at its expiry, or earlier when the credentials that signed it expire.
    pub async fn presign_url(&self, i: PresignUrlInput) -> Result<Output, ToolError> {
        let seconds = i.expires_in_seconds.unwrap_or(3600);
        let config = PresigningConfig::expires_in(Duration::from_secs(seconds))
            .map_err(|e| ToolError::invalid(format!("bad expiry: {e}")))?;
        let method = i.method.unwrap_or(PresignMethod::Get);
        let signed = match method {
            PresignMethod::Get => self
                .client
                .get_object()
                .bucket(&i.bucket)
                .key(&i.key)
                .presigned(config)
                .await
                .map_err(s3_error)?,
            PresignMethod::Put => self
                .client
                .put_object()
                .bucket(&i.bucket)
                .key(&i.key)
                .set_content_type(i.content_type.clone())
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
                i.bucket,
                i.key,
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

    async fn head(&self, i: &ObjectInput) -> Result<HeadObjectOutput, ToolError> {
        self.client
            .head_object()
            .bucket(&i.bucket)
            .key(&i.key)
            .set_version_id(i.version_id.clone())
            .send()
            .await
            .map_err(|e| {
                if e.as_service_error().is_some_and(|s| s.is_not_found()) {
                    return ToolError::Aws {
                        code: "NoSuchKey".into(),
                        message: format!("no object {} in bucket {}", i.key, i.bucket),
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
}

fn described(i: &ObjectInput, mut data: Value, reason: String) -> Output {
    data["text"] = Value::Null;
    data["content_not_shown"] = json!(reason);
    Output::new(
        format!(
            "s3://{}/{} is described, not printed: {reason}.",
            i.bucket, i.key
        ),
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
pub(crate) fn text_type(content_type: &str) -> Option<bool> {
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
pub(crate) fn guess_content_type(key: &str) -> &'static str {
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
