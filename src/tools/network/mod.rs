//! `aws_network`: VPCs, subnets, routing and gateways, network ACLs, endpoints and flow logs,
//! security groups, and Elastic IPs (all EC2). One file per resource area; each action is its
//! input struct and its `Action` impl, next to the EC2 calls it makes.
//!
//! Every mutating action uses EC2's own dry run. An action that is several requests (create and
//! attach, allocate and create) marks only its first mutating request on a dry run and returns
//! that verdict, naming the later steps it could not check: they need the first request's result,
//! and a dry run's client refuses any request not marked as one. Reads before it (`Describe*`)
//! run as usual.

pub mod acls;
pub mod addresses;
pub mod endpoints;
pub mod routing;
pub mod security;
pub mod subnets;
pub mod vpc;

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};
use serde_json::{Value, json};

use crate::{
    aws::ec2::{filter, tag_specs, tags_json},
    error::ToolError,
    output::Output,
    registry::{ActionDef, Cx, Tags, Target, Tool},
};

pub static TOOL: Tool = Tool {
    name: "aws_network",
    toolset: "network",
    about: "Amazon VPC networking, security groups and Elastic IPs.",
    actions: &[
        ActionDef::of::<vpc::ListVpcs>(),
        ActionDef::of::<vpc::GetVpc>(),
        ActionDef::of::<vpc::CreateVpc>(),
        ActionDef::of::<vpc::DeleteVpc>(),
        ActionDef::of::<subnets::ListSubnets>(),
        ActionDef::of::<subnets::CreateSubnet>(),
        ActionDef::of::<subnets::DeleteSubnet>(),
        ActionDef::of::<routing::ListRouteTables>(),
        ActionDef::of::<routing::CreateRouteTable>(),
        ActionDef::of::<routing::CreateRoute>(),
        ActionDef::of::<routing::DeleteRoute>(),
        ActionDef::of::<routing::ListInternetGateways>(),
        ActionDef::of::<routing::CreateInternetGateway>(),
        ActionDef::of::<routing::ListNatGateways>(),
        ActionDef::of::<routing::CreateNatGateway>(),
        ActionDef::of::<routing::DeleteNatGateway>(),
        ActionDef::of::<acls::ListNetworkAcls>(),
        ActionDef::of::<acls::CreateNaclEntry>(),
        ActionDef::of::<acls::DeleteNaclEntry>(),
        ActionDef::of::<endpoints::ListVpcEndpoints>(),
        ActionDef::of::<endpoints::CreateVpcEndpoint>(),
        ActionDef::of::<endpoints::ConfigureFlowLogs>(),
        ActionDef::of::<security::ListSecurityGroups>(),
        ActionDef::of::<security::CreateSecurityGroup>(),
        ActionDef::of::<security::AuthorizeSecurityGroup>(),
        ActionDef::of::<security::RevokeSecurityGroup>(),
        ActionDef::of::<addresses::ListElasticIps>(),
        ActionDef::of::<addresses::AllocateElasticIp>(),
        ActionDef::of::<addresses::AssociateElasticIp>(),
        ActionDef::of::<addresses::ReleaseElasticIp>(),
    ],
};

/// The EC2 client of one network call, with its dry-run flag for `send!` and `send_first!`.
pub struct Network {
    pub client: aws_sdk_ec2::Client,
    pub dry_run: bool,
}

impl Network {
    pub async fn of(cx: &Cx<'_>) -> Self {
        Self {
            client: cx.client().await,
            dry_run: cx.dry_run(),
        }
    }
}

/// Like `aws::ec2::send!`, for the first mutating request of a multi-step action: on a dry run
/// it returns the verdict at once, naming the later steps (`$later`, a `Vec<String>`), which
/// could not be checked.
macro_rules! send_first {
    ($net:ident, $op:literal, $req:expr, $later:expr) => {
        match $crate::aws::ec2::dry_run_outcome(
            $net.dry_run,
            $op,
            $req.dry_run($net.dry_run).send().await,
        )? {
            $crate::aws::ec2::Sent::Done(v) => v,
            $crate::aws::ec2::Sent::DryRun(out) => {
                return Ok($crate::tools::network::unchecked(out, $later));
            }
        }
    };
}
use send_first;

/// Adds the steps a dry run could not check to its verdict.
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

/// Tag specifications for a create call: `tags` plus `Name` from `name`, or `None` when there
/// are none.
fn specs(
    kind: ResourceType,
    name: Option<&String>,
    tags: Option<&Tags>,
) -> Option<Vec<TagSpecification>> {
    let mut all = tags.cloned().unwrap_or_default();
    if let Some(n) = name {
        all.insert("Name".into(), n.clone());
    }
    tag_specs(&[kind], Some(&all))
}

/// Filters for the optional fields and tags of a list call (`None` when there are none).
fn filters(
    extra: impl IntoIterator<Item = (&'static str, Option<String>)>,
    tags: Option<&Tags>,
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

/// Compact tags: the `Name` tag is shown on its own, the rest as a map when there are any.
fn tag_fields(v: &mut Value, tags: &[Tag]) {
    v["name"] = json!(
        tags.iter()
            .find(|t| t.key() == Some("Name"))
            .and_then(|t| t.value())
    );
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

/// Prefixes an error with what had already happened, so a half-done call is not mistaken for
/// one that did nothing.
fn after(done: String, e: ToolError) -> ToolError {
    match e {
        ToolError::Aws {
            code,
            message,
            hint,
        } => ToolError::Aws {
            code,
            message: format!("{done}, then: {message}"),
            hint,
        },
        ToolError::Transport { message, hint } => ToolError::Transport {
            message: format!("{done}, then: {message}"),
            hint,
        },
        other => other,
    }
}

/// Ids of EC2 resources as targets, their kinds read from the ids' prefixes.
fn ec2_targets<'a>(ids: impl IntoIterator<Item = &'a String>) -> Vec<Target> {
    ids.into_iter().map(Target::ec2).collect()
}

/// Checks an IPv4 or IPv6 block given for a route or rule.
fn any_cidr(field: &str, s: &str) -> Result<(), ToolError> {
    crate::cidr::AnyCidr::parse(s)
        .map(|_| ())
        .map_err(|e| ToolError::invalid(format!("{field}: {e}")))
}
