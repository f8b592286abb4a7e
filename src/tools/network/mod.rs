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
    aws::outcome::CALL_TAG,
    aws::outcome::Check,
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
/// With `once: unknown` or `lost: unknown`, as `send!`'s forms of those names.
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
    ($net:ident, $op:literal, $req:expr, $later:expr, lost: $unknown:expr) => {
        match $crate::aws::ec2::dry_run_outcome_once(
            $net.dry_run,
            $op,
            $req.dry_run($net.dry_run).send().await,
            $unknown,
        )? {
            $crate::aws::ec2::Sent::Done(v) => v,
            $crate::aws::ec2::Sent::DryRun(out) => {
                return Ok($crate::tools::network::unchecked(out, $later));
            }
        }
    };
    ($net:ident, $op:literal, $req:expr, $later:expr, once: $unknown:expr) => {
        match $crate::aws::ec2::dry_run_outcome_once(
            $net.dry_run,
            $op,
            $req.dry_run($net.dry_run)
                .customize()
                .config_override($crate::aws::ec2::once_sent())
                .send()
                .await,
            $unknown,
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

/// Tag specifications for a create of an unnamed resource: `tags`, `Name` from `name`, and
/// [`CALL_TAG`] set to the call's token, so a create whose answer was lost can be found.
fn call_specs(
    kind: ResourceType,
    name: Option<&String>,
    tags: Option<&Tags>,
    token: &str,
) -> Option<Vec<TagSpecification>> {
    let mut all = tags.cloned().unwrap_or_default();
    if let Some(n) = name {
        all.insert("Name".into(), n.clone());
    }
    all.insert(CALL_TAG.into(), token.into());
    tag_specs(&[kind], Some(&all))
}

/// How to find what a create of an unnamed resource made: `action` of aws_network with
/// `arguments` and the call tag.
fn by_call_tag(action: &'static str, mut arguments: Value, token: &str, what: &str) -> Check {
    arguments["tags"] = json!({ CALL_TAG: token });
    Check {
        tool: "aws_network",
        action,
        arguments,
        look_for: format!("{what} (tagged {CALL_TAG}={token})"),
    }
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

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::TOOL;
    use crate::registry::{Access, DryRun, Kind, Risk, Target};

    fn call(action: &str, args: Value) -> Box<dyn crate::registry::Call> {
        let Value::Object(args) = args else {
            panic!("arguments are an object")
        };
        (TOOL.action(action).unwrap().parse)(args).unwrap()
    }

    fn kinds(targets: &[Target]) -> Vec<(Kind, Option<Kind>)> {
        targets
            .iter()
            .map(|t| (t.kind, t.parent.as_ref().map(|p| p.kind)))
            .collect()
    }

    /// The review: access and risk of every action, and every change runs EC2's own dry run.
    #[test]
    fn declared_access_risk_and_dry_run() {
        use Access::*;
        use Risk::*;
        let review = [
            ("create_vpc", Write, Medium),
            ("delete_vpc", Destructive, Critical),
            ("create_subnet", Write, Medium),
            ("delete_subnet", Destructive, High),
            ("create_route_table", Write, Medium),
            ("create_route", Write, High),
            ("delete_route", Destructive, Critical),
            ("create_internet_gateway", Write, Medium),
            ("create_nat_gateway", Write, Medium),
            ("delete_nat_gateway", Destructive, Critical),
            ("create_nacl_entry", Write, High),
            ("delete_nacl_entry", Destructive, High),
            ("create_vpc_endpoint", Write, Medium),
            ("configure_flow_logs", Write, Medium),
            ("create_security_group", Write, Medium),
            ("authorize_security_group", Write, High),
            ("revoke_security_group", Write, High),
            ("allocate_elastic_ip", Write, Medium),
            ("associate_elastic_ip", Write, High),
            ("release_elastic_ip", Destructive, Critical),
        ];
        assert_eq!(TOOL.actions.len(), 30);
        for a in TOOL.actions {
            match review.iter().find(|(n, _, _)| *n == a.name) {
                Some((_, access, risk)) => {
                    assert_eq!((a.access, a.risk), (*access, *risk), "{}", a.name);
                    assert_eq!(a.dry_run, DryRun::Native, "{}", a.name);
                }
                None => {
                    assert!(
                        a.name.starts_with("list_") || a.name == "get_vpc",
                        "{}",
                        a.name
                    );
                    assert_eq!((a.access, a.risk), (Read, Low), "{}", a.name);
                }
            }
        }
    }

    #[test]
    fn associating_subnets_or_reassociating_an_address_raises_the_risk() {
        let table = |v: Value| call("create_route_table", v).flags();
        assert!(table(json!({"vpc_id": "vpc-1"})).is_empty());
        assert!(table(json!({"vpc_id": "vpc-1", "subnet_ids": []})).is_empty());
        let flags = table(json!({"vpc_id": "vpc-1", "subnet_ids": ["subnet-1", "subnet-2"]}));
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].risk, Risk::High);
        assert!(flags[0].reason.contains("subnet-1, subnet-2"));

        let eip = |v: Value| call("associate_elastic_ip", v).flags();
        let args = json!({"allocation_id": "eipalloc-1", "instance_id": "i-1"});
        assert!(eip(args.clone()).is_empty());
        let mut taking = args;
        taking["allow_reassociation"] = json!(true);
        let flags = eip(taking);
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].risk, Risk::Critical);
    }

    #[test]
    fn targets_carry_kinds_and_the_vpc_as_parent() {
        use Kind::*;
        let t = |action: &str, v: Value| kinds(&call(action, v).targets());
        assert_eq!(
            t(
                "create_subnet",
                json!({"vpc_id": "vpc-1", "cidr_block": "10.0.1.0/24", "route_table_id": "rtb-1"})
            ),
            vec![(Vpc, None), (RouteTable, Some(Vpc))]
        );
        assert_eq!(
            t(
                "create_route_table",
                json!({"vpc_id": "vpc-1", "subnet_ids": ["subnet-1"]})
            ),
            vec![(Vpc, None), (Subnet, Some(Vpc))]
        );
        assert_eq!(
            t(
                "create_vpc_endpoint",
                json!({"vpc_id": "vpc-1", "service_name": "s3", "route_table_ids": ["rtb-1"]})
            ),
            vec![(Vpc, None), (RouteTable, Some(Vpc))]
        );
        assert_eq!(
            t(
                "create_nat_gateway",
                json!({"subnet_id": "subnet-1", "allocation_id": "eipalloc-1"})
            ),
            vec![(Subnet, None), (ElasticIp, None)]
        );
        assert_eq!(
            t(
                "associate_elastic_ip",
                json!({"allocation_id": "eipalloc-1", "network_interface_id": "eni-1"})
            ),
            vec![(ElasticIp, None), (NetworkInterface, None)]
        );
        assert_eq!(
            t(
                "create_route",
                json!({"route_table_id": "rtb-1", "destination_cidr_block": "0.0.0.0/0",
                       "gateway_id": "igw-1"})
            ),
            vec![(RouteTable, None)]
        );
        assert_eq!(
            t(
                "create_nacl_entry",
                json!({"network_acl_id": "acl-1", "rule_number": 100, "protocol": "tcp",
                       "rule_action": "deny", "cidr_block": "0.0.0.0/0", "from_port": 22})
            ),
            vec![(NetworkAcl, None)]
        );
        assert_eq!(
            t(
                "configure_flow_logs",
                json!({"resource_ids": ["subnet-1", "subnet-2"], "s3_bucket_arn": "arn:aws:s3:::logs"})
            ),
            vec![(Subnet, None), (Subnet, None)]
        );
        assert_eq!(
            t(
                "authorize_security_group",
                json!({"group_id": "sg-1", "protocol": "all", "cidr_blocks": ["10.0.0.0/8"]})
            ),
            vec![(SecurityGroup, None)]
        );
        assert!(t("create_vpc", json!({"cidr_block": "10.0.0.0/16"})).is_empty());
    }
}
