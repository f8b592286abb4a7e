//! `aws_lambda`: functions and invoke (`functions.rs`), versions and aliases (`versions.rs`),
//! concurrency (`concurrency.rs`), layers (`layers.rs`), function URLs, permissions and event
//! source mappings (`access.rs`), EventBridge Scheduler schedules that invoke a function
//! (`schedules.rs`), and the in-memory ZIP writer for inline source (`zip.rs`).
//!
//! Environment: a function's tags (ListTags on its ARN); an alias, version, URL, permission,
//! mapping or schedule takes its function's. A qualified name (`fn:live`, or an ARN with a
//! qualifier) is resolved to its function, so production cannot be reached through an alias.
//! Layers have no tags: the account's environment.
//!
//! Secrets: environment variable values are input as `environment_secrets` (the audit log
//! redacts the field) and come back from `get_function` only with `--allow-sensitive-data`.
//!
//! Lambda has no dry-run mode: every action keeps the plan-only dry run.

pub mod access;
pub mod concurrency;
pub mod functions;
pub mod layers;
pub mod schedules;
pub mod versions;
pub mod zip;

use std::collections::{BTreeMap, HashMap};

use aws_sdk_lambda::{
    primitives::Blob,
    types::{FunctionCode, LayerVersionContentInput},
};

use crate::{
    error::ToolError,
    registry::{ActionDef, Kind, Tags, Target, Tool},
};

pub static TOOL: Tool = Tool {
    name: "aws_lambda",
    toolset: "lambda",
    about: "Lambda functions, versions, aliases, concurrency, layers, URLs, triggers.",
    actions: &[
        ActionDef::of::<functions::ListFunctions>(),
        ActionDef::of::<functions::GetFunction>(),
        ActionDef::of::<functions::CreateFunction>(),
        ActionDef::of::<functions::UpdateFunctionCode>(),
        ActionDef::of::<functions::UpdateFunctionConfiguration>(),
        ActionDef::of::<functions::DeleteFunction>(),
        ActionDef::of::<functions::Invoke>(),
        ActionDef::of::<versions::PublishVersion>(),
        ActionDef::of::<versions::ListVersions>(),
        ActionDef::of::<versions::ListAliases>(),
        ActionDef::of::<versions::CreateAlias>(),
        ActionDef::of::<versions::UpdateAlias>(),
        ActionDef::of::<versions::DeleteAlias>(),
        ActionDef::of::<concurrency::PutReservedConcurrency>(),
        ActionDef::of::<concurrency::DeleteReservedConcurrency>(),
        ActionDef::of::<concurrency::PutProvisionedConcurrency>(),
        ActionDef::of::<concurrency::GetConcurrency>(),
        ActionDef::of::<layers::ListLayers>(),
        ActionDef::of::<layers::PublishLayerVersion>(),
        ActionDef::of::<layers::DeleteLayerVersion>(),
        ActionDef::of::<access::CreateFunctionUrl>(),
        ActionDef::of::<access::GetFunctionUrl>(),
        ActionDef::of::<access::DeleteFunctionUrl>(),
        ActionDef::of::<access::AddPermission>(),
        ActionDef::of::<access::RemovePermission>(),
        ActionDef::of::<access::ListEventSourceMappings>(),
        ActionDef::of::<access::CreateEventSourceMapping>(),
        ActionDef::of::<access::DeleteEventSourceMapping>(),
        ActionDef::of::<schedules::ScheduleFunction>(),
    ],
};

/// The function a name, ARN or partial ARN names, without its qualifier (the guardrails'
/// tag lookup strips it the same way).
pub use crate::guardrails::tags::unqualified_function as unqualified;

/// The qualifier a name carries (`fn:live` → `live`), if any.
pub fn qualifier_of(name: &str) -> Option<String> {
    let base = unqualified(name);
    name.strip_prefix(&base)
        .and_then(|r| r.strip_prefix(':'))
        .filter(|q| !q.is_empty())
        .map(str::to_string)
}

/// The function a call names, as the guardrails look it up: never qualified.
pub fn function_target(name: &str) -> Target {
    Target::new(Kind::LambdaFunction, unqualified(name))
}

/// A sub-resource of a function (alias, URL, permission, schedule): its function decides.
pub fn in_function(kind: Kind, id: impl Into<String>, function: &str) -> Target {
    Target::new(kind, id).in_parent(function_target(function))
}

/// A function name, ARN or partial ARN, optionally qualified.
pub fn check_function(name: &str) -> Result<(), ToolError> {
    let ok = !name.is_empty()
        && name.len() <= 170
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_:$.".contains(c))
        && (!name.starts_with("arn:") || name.contains(":lambda:") && name.contains(":function:"));
    if ok {
        Ok(())
    } else {
        Err(ToolError::invalid(format!(
            "'{name}' is not a function name or ARN (letters, digits, - and _; an ARN is \
             arn:aws:lambda:REGION:ACCOUNT:function:NAME)"
        )))
    }
}

/// The function without a qualifier, for calls that take none (`fn:live` is refused).
pub fn check_unqualified(field: &str, name: &str) -> Result<(), ToolError> {
    check_function(name)?;
    match qualifier_of(name) {
        Some(q) => Err(ToolError::invalid(format!(
            "{field} '{name}' carries the qualifier '{q}'; give the function alone ({})",
            unqualified(name)
        ))),
        None => Ok(()),
    }
}

/// An alias or qualifier name: letters, digits, - and _ (or a version number, or $LATEST).
pub fn check_qualifier(field: &str, q: &str) -> Result<(), ToolError> {
    let ok = !q.is_empty()
        && q.len() <= 128
        && (q == "$LATEST"
            || q.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c)));
    if ok {
        Ok(())
    } else {
        Err(ToolError::invalid(format!(
            "{field} '{q}' is not an alias or version (letters, digits, - and _, or $LATEST)"
        )))
    }
}

/// Where a function's or layer's code comes from: inline source the server zips, or an S3
/// object. Checked at parse time.
pub enum Code {
    Zip(Vec<u8>),
    S3 { bucket: String, key: String },
}

impl Code {
    /// From the input fields: exactly one of `inline_code` and `s3_uri`.
    pub fn from_input(
        inline: Option<&BTreeMap<String, String>>,
        s3_uri: Option<&str>,
    ) -> Result<Code, ToolError> {
        match (inline, s3_uri) {
            (Some(files), None) => {
                if files.is_empty() {
                    return Err(ToolError::invalid(
                        "inline_code is empty; give {\"index.py\": \"...source...\"}",
                    ));
                }
                let total: usize = files.values().map(String::len).sum();
                if total > zip::MAX_INLINE_BYTES {
                    return Err(ToolError::invalid(format!(
                        "inline_code is {total} bytes, over {}; upload a ZIP to S3 and give \
                         s3_uri",
                        zip::MAX_INLINE_BYTES
                    )));
                }
                let files: Vec<(String, Vec<u8>)> = files
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone().into_bytes()))
                    .collect();
                zip::zip(&files).map(Code::Zip).map_err(ToolError::invalid)
            }
            (None, Some(uri)) => {
                let (bucket, key) = uri
                    .strip_prefix("s3://")
                    .and_then(|r| r.split_once('/'))
                    .filter(|(b, k)| !b.is_empty() && !k.is_empty())
                    .ok_or_else(|| {
                        ToolError::invalid(format!(
                            "s3_uri '{uri}' must be s3://bucket/key of a ZIP"
                        ))
                    })?;
                Ok(Code::S3 {
                    bucket: bucket.to_string(),
                    key: key.to_string(),
                })
            }
            (None, None) => Err(ToolError::invalid(
                "give the code: inline_code ({\"index.py\": \"...\"}) or s3_uri \
                 (s3://bucket/key of a ZIP)",
            )),
            (Some(_), Some(_)) => Err(ToolError::invalid("give inline_code or s3_uri, not both")),
        }
    }

    pub fn function_code(&self) -> FunctionCode {
        match self {
            Code::Zip(z) => FunctionCode::builder()
                .zip_file(Blob::new(z.clone()))
                .build(),
            Code::S3 { bucket, key } => FunctionCode::builder()
                .s3_bucket(bucket)
                .s3_key(key)
                .build(),
        }
    }

    pub fn layer_content(&self) -> LayerVersionContentInput {
        match self {
            Code::Zip(z) => LayerVersionContentInput::builder()
                .zip_file(Blob::new(z.clone()))
                .build(),
            Code::S3 { bucket, key } => LayerVersionContentInput::builder()
                .s3_bucket(bucket)
                .s3_key(key)
                .build(),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Code::Zip(z) => format!("inline source zipped to {} bytes", z.len()),
            Code::S3 { bucket, key } => format!("s3://{bucket}/{key}"),
        }
    }
}

/// Tags as Lambda takes them.
pub fn lambda_tags(tags: Option<&Tags>) -> Option<HashMap<String, String>> {
    tags.filter(|t| !t.is_empty())
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

/// What Lambda answers, mapped like [`ToolError::from_sdk`] with hints for Lambda's codes.
pub fn lambda_error<E, R>(err: aws_sdk_lambda::error::SdkError<E, R>) -> ToolError
where
    E: aws_sdk_lambda::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let mut e = ToolError::from_sdk(err);
    if let ToolError::Aws { code, hint, .. } = &mut e
        && hint.is_none()
    {
        *hint = match code.as_str() {
            "ResourceNotFoundException" => Some(
                "no such function, alias, layer, URL or mapping; check names with \
                 list_functions, list_aliases or list_layers"
                    .into(),
            ),
            "ResourceConflictException" => Some(
                "it exists already or an update is in progress; read it, or wait and retry".into(),
            ),
            "InvalidParameterValueException" => {
                Some("fix the argument the message names (role ARN, runtime, handler)".into())
            }
            "CodeStorageExceededException" => {
                Some("the account's code storage is full; delete old versions or layers".into())
            }
            "TooManyRequestsException" => Some("throttled; wait and retry".into()),
            _ => None,
        };
    }
    e
}

/// The Lambda config override of a request without an idempotency token: sent once.
pub fn once() -> aws_sdk_lambda::config::Builder {
    aws_sdk_lambda::config::Builder::default().retry_classifier(crate::aws::outcome::OnceSent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualifiers_are_stripped() {
        assert_eq!(unqualified("orders"), "orders");
        assert_eq!(unqualified("orders:live"), "orders");
        assert_eq!(qualifier_of("orders:live").as_deref(), Some("live"));
        assert_eq!(qualifier_of("orders"), None);
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:orders";
        assert_eq!(unqualified(&format!("{arn}:3")), arn);
        assert_eq!(unqualified(arn), arn);
        assert_eq!(qualifier_of(&format!("{arn}:3")).as_deref(), Some("3"));
        assert_eq!(
            unqualified("123456789012:function:orders:live"),
            "123456789012:function:orders"
        );
        assert_eq!(function_target("orders:live").id, "orders");
        assert!(check_unqualified("function_name", "orders:live").is_err());
        assert!(check_function("arn:aws:s3:::bucket").is_err());
        assert!(check_function("bad name").is_err());
    }

    #[test]
    fn code_is_one_of_inline_or_s3() {
        let files = BTreeMap::from([("index.py".to_string(), "x = 1".to_string())]);
        assert!(matches!(
            Code::from_input(Some(&files), None),
            Ok(Code::Zip(_))
        ));
        assert!(Code::from_input(Some(&files), Some("s3://b/k")).is_err());
        assert!(matches!(
            Code::from_input(None, Some("s3://b/k/z.zip")),
            Ok(Code::S3 { .. })
        ));
        assert!(Code::from_input(None, Some("s3://b")).is_err());
        assert!(Code::from_input(None, Some("b/k")).is_err());
        assert!(Code::from_input(None, None).is_err());
        let bad = BTreeMap::from([("../x".to_string(), String::new())]);
        assert!(Code::from_input(Some(&bad), None).is_err());
    }
}
