//! VPC networking calls behind `aws_network`, split by concern: VPCs and their dependencies
//! (`vpc.rs`), subnets, routing and gateways (`routing.rs`), security groups, network ACLs and
//! flow logs (`security.rs`), Elastic IPs and endpoints (`addresses.rs`).
//!
//! Mutating calls carry EC2's `DryRun` flag through `send!`. Calls that are several AWS
//! requests (create and attach, allocate and create) check the first request on a dry run and
//! say which later steps were not checked, since those need the first one's result.

mod addresses;
mod routing;
mod security;
mod vpc;

use std::collections::BTreeMap;

use aws_sdk_ec2::{
    Client,
    types::{Filter, FlowLogsResourceType, ResourceType, Tag},
};
use serde_json::{Value, json};

use crate::{
    error::ToolError,
    output::Output,
    services::ec2::{filter, tag_specs, tags_json},
};

/// An EC2 client for one network call, with that call's dry-run flag.
pub struct Network<'a> {
    pub client: &'a Client,
    pub dry_run: bool,
}

/// Like `services::ec2::send!`, for the first request of a multi-step action: on a dry run the
/// result also names the later steps, which could not be checked.
macro_rules! send_first {
    ($self:ident, $op:literal, $req:expr, $later:expr) => {
        match dry_run_outcome($self.dry_run, $op, $req.dry_run($self.dry_run).send().await)? {
            Sent::Done(v) => v,
            Sent::DryRun(out) => return Ok(unchecked(out, $later)),
        }
    };
}
use send_first;

/// The flow-log resource type of an id, from its prefix.
pub fn flow_log_resource_type(id: &str) -> Option<FlowLogsResourceType> {
    match id.split('-').next() {
        Some("vpc") => Some(FlowLogsResourceType::Vpc),
        Some("subnet") => Some(FlowLogsResourceType::Subnet),
        Some("eni") => Some(FlowLogsResourceType::NetworkInterface),
        _ => None,
    }
}

/// Adds the steps a dry run could not check to its result.
fn unchecked(mut out: Output, later: Vec<String>) -> Output {
    if later.is_empty() || out.data["would_succeed"] != json!(true) {
        return out;
    }
    out.summary = format!(
        "{} The later step(s) need its result and were not checked: {}.",
        out.summary,
        later.join("; ")
    );
    out.data["not_checked"] = json!(later);
    out
}

/// Tags for a create call: `tags` plus `Name` from `name`, or `None` when there are none.
fn with_name(
    name: Option<&String>,
    tags: Option<&BTreeMap<String, String>>,
) -> Option<BTreeMap<String, String>> {
    let mut all = tags.cloned().unwrap_or_default();
    if let Some(n) = name {
        all.insert("Name".into(), n.clone());
    }
    (!all.is_empty()).then_some(all)
}

fn specs(
    kind: ResourceType,
    name: Option<&String>,
    tags: Option<&BTreeMap<String, String>>,
) -> Option<Vec<aws_sdk_ec2::types::TagSpecification>> {
    tag_specs(&[kind], with_name(name, tags).as_ref())
}

/// Filters for the optional `vpc_id` and tags of a list call (`None` when there are none).
fn filters(
    extra: impl IntoIterator<Item = (&'static str, Option<String>)>,
    tags: Option<&BTreeMap<String, String>>,
) -> Option<Vec<Filter>> {
    let mut out: Vec<Filter> = extra
        .into_iter()
        .filter_map(|(name, v)| v.map(|v| filter(name, [v.as_str()])))
        .collect();
    for (k, v) in tags.into_iter().flatten() {
        out.push(filter(&format!("tag:{k}"), [v.as_str()]));
    }
    (!out.is_empty()).then_some(out)
}

/// The `Name` tag of a resource, if it has one.
fn name_of(tags: &[Tag]) -> Option<&str> {
    tags.iter()
        .find(|t| t.key() == Some("Name"))
        .and_then(|t| t.value())
}

/// Compact tags: the `Name` tag is shown on its own, the rest as a map when there are any.
fn tag_fields(v: &mut Value, tags: &[Tag]) {
    v["name"] = json!(name_of(tags));
    let rest: Vec<Tag> = tags
        .iter()
        .filter(|t| t.key() != Some("Name"))
        .cloned()
        .collect();
    if !rest.is_empty() {
        v["tags"] = tags_json(&rest);
    }
}

/// `"3 subnet(s)"`-style counts for summaries.
fn count(n: usize, what: &str) -> String {
    format!("{n} {what}(s)")
}

/// A precondition error with a message, a hint and structured details.
fn precondition(message: String, hint: impl Into<String>, details: Value) -> ToolError {
    ToolError::Precondition {
        message,
        hint: hint.into(),
        details,
    }
}
