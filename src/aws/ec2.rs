//! Helpers shared by the tools that call EC2 (`aws_ec2`, `aws_network`): EC2's own dry runs,
//! filters, tags and times.

use std::collections::BTreeMap;

use aws_sdk_ec2::{
    error::SdkError,
    types::{Filter, ResourceType, Tag, TagSpecification},
};
use aws_smithy_types::{DateTime, date_time::Format};
use serde_json::{Value, json};

use crate::{error::ToolError, output::Output};

/// A mutating call's outcome: it ran, or it was a dry run and this is the verdict.
pub enum Sent<T> {
    Done(T),
    DryRun(Output),
}

/// Sends a mutating request with EC2's own `DryRun` flag and turns the answer into a verdict.
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
}
pub(crate) use send;

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

pub fn time(t: &DateTime) -> String {
    t.fmt(Format::DateTime).unwrap_or_else(|_| t.to_string())
}
