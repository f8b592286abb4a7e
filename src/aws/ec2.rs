//! Helpers shared by the tools that call EC2 (`aws_ec2`, `aws_network`): EC2's own dry runs,
//! filters and tags, the call token of creates and the [`CALL_TAG`] that unnamed EC2 resources
//! carry with it, so the read that tells whether a lost create happened finds exactly the
//! resource this call made (see [`super::outcome`]).

use std::collections::BTreeMap;

use aws_sdk_ec2::{
    error::{ProvideErrorMetadata, SdkError},
    types::{Filter, ResourceType, Tag, TagSpecification},
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use serde_json::{Value, json};

use super::outcome::{CALL_TAG, OnceSent, outcome_unknown};
use crate::{error::ToolError, output::Output};

/// A mutating call's outcome: it ran, or it was a dry run and this is the verdict.
pub enum Sent<T> {
    Done(T),
    DryRun(Output),
}

/// Sends a mutating request with EC2's own `DryRun` flag and turns the answer into a verdict.
/// With `once: unknown`, the request is a create AWS cannot de-duplicate: it is sent with
/// [`OnceSent`] retries, and a lost answer becomes `unknown(cause)`. With `lost: unknown`, it
/// carries an idempotency token and is retried as usual.
macro_rules! send {
    ($self:ident, $op:literal, $req:expr) => {
        match $crate::aws::ec2::dry_run_outcome(
            $self.dry_run,
            $op,
            $req.dry_run($self.dry_run).send().await,
        )? {
            $crate::aws::ec2::Sent::Done(v) => v,
            $crate::aws::ec2::Sent::DryRun(out) => return Ok(out),
        }
    };
    // A create with an idempotency token: retried as usual (the token makes AWS create once);
    // an answer lost on every attempt becomes `unknown(cause)`.
    ($self:ident, $op:literal, $req:expr, lost: $unknown:expr) => {
        match $crate::aws::ec2::dry_run_outcome_once(
            $self.dry_run,
            $op,
            $req.dry_run($self.dry_run).send().await,
            $unknown,
        )? {
            $crate::aws::ec2::Sent::Done(v) => v,
            $crate::aws::ec2::Sent::DryRun(out) => return Ok(out),
        }
    };
    ($self:ident, $op:literal, $req:expr, once: $unknown:expr) => {
        match $crate::aws::ec2::dry_run_outcome_once(
            $self.dry_run,
            $op,
            $req.dry_run($self.dry_run)
                .customize()
                .config_override($crate::aws::ec2::once_sent())
                .send()
                .await,
            $unknown,
        )? {
            $crate::aws::ec2::Sent::Done(v) => v,
            $crate::aws::ec2::Sent::DryRun(out) => return Ok(out),
        }
    };
}
pub(crate) use send;

/// Like [`dry_run_outcome`], for a create AWS cannot tell from a repeat unless it carries a
/// token: an answer that was lost after the request may have run becomes `unknown(cause)` (see
/// [`super::outcome::unknown_outcome`]).
pub fn dry_run_outcome_once<T, E>(
    dry_run: bool,
    op: &str,
    result: Result<T, SdkError<E, HttpResponse>>,
    unknown: impl FnOnce(ToolError) -> ToolError,
) -> Result<Sent<T>, ToolError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Err(e) if !dry_run && outcome_unknown(&e) => Err(unknown(ToolError::from_sdk(e))),
        other => dry_run_outcome(dry_run, op, other),
    }
}

/// An EC2 config override for one request: [`OnceSent`] retries.
pub fn once_sent() -> aws_sdk_ec2::config::Builder {
    aws_sdk_ec2::config::Builder::default().retry_classifier(OnceSent)
}

/// Turns a mutating call's answer into `Sent`: with `dry_run`, EC2 answers `DryRunOperation`
/// when the call would have succeeded and another error code when it would not.
pub fn dry_run_outcome<T, E, R>(
    dry_run: bool,
    op: &str,
    result: Result<T, SdkError<E, R>>,
) -> Result<Sent<T>, ToolError>
where
    E: aws_sdk_ec2::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match (dry_run, result) {
        (false, Ok(v)) => Ok(Sent::Done(v)),
        (false, Err(e)) => Err(ToolError::from_sdk(e)),
        (true, Ok(_)) => Err(ToolError::Transport {
            message: format!(
                "{op} was executed although dry_run was set: the endpoint ignored DryRun"
            ),
            hint: "check what changed with the matching list action".into(),
        }),
        (true, Err(e)) => match ToolError::from_sdk(e) {
            ToolError::Aws { code, .. } if code == "DryRunOperation" => {
                Ok(Sent::DryRun(Output::new(
                    format!("Dry run: {op} would succeed; nothing was changed."),
                    json!({ "dry_run": true, "would_succeed": true }),
                )))
            }
            err @ ToolError::Aws { .. } => Ok(Sent::DryRun(Output::new(
                format!(
                    "Dry run: {op} would fail ({}); nothing was changed.",
                    err.aws_code().unwrap_or("?")
                ),
                json!({ "dry_run": true, "would_succeed": false, "error": err.to_json() }),
            ))),
            other => Err(other),
        },
    }
}

pub fn filter<'a>(name: &str, values: impl IntoIterator<Item = &'a str>) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.into_iter().map(str::to_string).collect()))
        .build()
}

pub fn sdk_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// Tag specifications for a create of unnamed resources: `tags` plus [`CALL_TAG`] = `token`.
pub fn tag_specs_with_call(
    types: &[ResourceType],
    tags: Option<&BTreeMap<String, String>>,
    token: &str,
) -> Vec<TagSpecification> {
    let mut all = tags.cloned().unwrap_or_default();
    all.insert(CALL_TAG.into(), token.into());
    tag_specs(types, Some(&all)).unwrap_or_default()
}

/// Tag specifications for the resource types a create call makes, or `None` without tags.
pub fn tag_specs(
    types: &[ResourceType],
    tags: Option<&BTreeMap<String, String>>,
) -> Option<Vec<TagSpecification>> {
    let tags = tags.filter(|t| !t.is_empty())?;
    Some(
        types
            .iter()
            .map(|t| {
                TagSpecification::builder()
                    .resource_type(t.clone())
                    .set_tags(Some(sdk_tags(tags)))
                    .build()
            })
            .collect(),
    )
}

pub fn tags_json(tags: &[Tag]) -> Value {
    tags.iter()
        .filter_map(|t| Some((t.key()?.to_string(), json!(t.value().unwrap_or_default()))))
        .collect::<serde_json::Map<_, _>>()
        .into()
}
