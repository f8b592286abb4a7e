//! VPCs: list, get (with everything inside summarised), create, and delete with a dependency
//! check that names what is still in the VPC instead of AWS's bare DependencyViolation.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{
    AttributeBooleanValue, EgressOnlyInternetGateway, InternetGateway, IpPermission, NatGateway,
    NatGatewayState, NetworkAcl, NetworkInterface, ResourceType, RouteTable, SecurityGroup, State,
    Subnet, UserIdGroupPair, Vpc, VpcAttributeName, VpcEndpoint, VpnGateway,
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    Network, after, by_call_tag, call_specs, count, ec2_targets, filters, precondition, send_first,
    tag_fields,
};
use crate::{
    aws::{
        ec2::{Sent, dry_run_outcome, filter},
        outcome::call_token,
        outcome::{step_failed, unknown_outcome},
        paging::{AllItems, PageRequest},
    },
    cidr,
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, DryRun, Risk, Tags, Target},
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListVpcs {
    pub vpc_ids: Option<Vec<String>>,
    pub tags: Option<Tags>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListVpcs {
    const NAME: &'static str = "list_vpcs";
    const DESCRIPTION: &'static str = "List VPCs and their CIDR blocks";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        ec2_targets(self.vpc_ids.iter().flatten())
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let net = Network::of(cx).await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let by_id = self.vpc_ids.is_some();
        let resp = net
            .client
            .describe_vpcs()
            .set_vpc_ids(self.vpc_ids)
            .set_filters(filters([], self.tags.as_ref()))
            .set_max_results((!by_id).then(|| page.aws_page_size(5, 1000)))
            .set_next_token(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let all: Vec<Value> = resp.vpcs().iter().map(vpc_summary).collect();
        let (items, next) = page.finish(all, resp.next_token().map(str::to_string));
        Ok(
            Output::new(format!("{} VPC(s).", items.len()), json!({ "vpcs": items }))
                .with_next_token(next),
        )
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetVpc {
    pub vpc_id: String,
}

impl Action for GetVpc {
    const NAME: &'static str = "get_vpc";
    const DESCRIPTION: &'static str = "Show a VPC and everything in it";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        vec![Target::ec2(&self.vpc_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let net = Network::of(cx).await;
        let vpc_id = self.vpc_id.as_str();
        let vpc = net.vpc(vpc_id).await?;
        let dns = |attr: VpcAttributeName| {
            let req = net
                .client
                .describe_vpc_attribute()
                .vpc_id(vpc_id)
                .attribute(attr);
            async move { req.send().await.map_err(ToolError::from_sdk) }
        };
        let (support, hostnames, parts) = tokio::try_join!(
            dns(VpcAttributeName::EnableDnsSupport),
            dns(VpcAttributeName::EnableDnsHostnames),
            net.parts(vpc_id),
        )?;
        let mut data = vpc_summary(&vpc);
        data["enable_dns_support"] = json!(support.enable_dns_support().and_then(|v| v.value()));
        data["enable_dns_hostnames"] =
            json!(hostnames.enable_dns_hostnames().and_then(|v| v.value()));

        let main_table = parts
            .route_tables
            .iter()
            .find(|t| is_main(t))
            .and_then(|t| t.route_table_id());
        let table_of = |subnet: &str| {
            parts
                .route_tables
                .iter()
                .find(|t| {
                    t.associations()
                        .iter()
                        .any(|a| a.subnet_id() == Some(subnet))
                })
                .and_then(|t| t.route_table_id())
                .or(main_table)
        };
        let default_route = |table: Option<&str>| {
            parts
                .route_tables
                .iter()
                .find(|t| t.route_table_id() == table)
                .and_then(default_target)
        };
        let subnets: Vec<Value> = parts
            .subnets
            .iter()
            .map(|s| {
                let id = s.subnet_id().unwrap_or_default();
                let table = table_of(id);
                let default = default_route(table);
                let mut v = json!({
                    "subnet_id": id,
                    "cidr_block": s.cidr_block(),
                    "availability_zone": s.availability_zone(),
                    "map_public_ip_on_launch": s.map_public_ip_on_launch(),
                    "route_table_id": table,
                    "default_route": default,
                    "public": default.is_some_and(|t| t.starts_with("igw-")),
                    "available_ips": s.available_ip_address_count(),
                });
                tag_fields(&mut v, s.tags());
                v
            })
            .collect();
        let tables: Vec<Value> = parts.route_tables.iter().map(table_summary).collect();
        let igws: Vec<&str> = parts
            .internet_gateways
            .iter()
            .filter_map(|g| g.internet_gateway_id())
            .collect();
        let nats: Vec<Value> = parts
            .nat_gateways
            .iter()
            .filter(|n| live_nat(n))
            .map(super::routing::nat_summary)
            .collect();
        let endpoints: Vec<Value> = parts
            .endpoints
            .iter()
            .map(super::endpoints::endpoint_summary)
            .collect();
        let azs: BTreeSet<&str> = parts
            .subnets
            .iter()
            .filter_map(|s| s.availability_zone())
            .collect();
        let public = subnets
            .iter()
            .filter(|s| s["public"] == json!(true))
            .count();
        let summary = format!(
            "{vpc_id} ({}{}): {} in {} AZ(s) ({public} public), {}, {}, {}, {}.",
            vpc.cidr_block().unwrap_or("?"),
            data["name"]
                .as_str()
                .map(|n| format!(", {n}"))
                .unwrap_or_default(),
            count(subnets.len(), "subnet"),
            azs.len(),
            count(tables.len(), "route table"),
            count(igws.len(), "internet gateway"),
            count(nats.len(), "NAT gateway"),
            count(endpoints.len(), "endpoint"),
        );
        data["subnets"] = json!(subnets);
        data["route_tables"] = json!(tables);
        data["internet_gateways"] = json!(igws);
        data["nat_gateways"] = json!(nats);
        data["vpc_endpoints"] = json!(endpoints);
        data["security_groups"] = json!(parts.security_groups.len());
        data["network_interfaces"] = json!(parts.interfaces.len());
        Ok(Output::new(summary, data))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateVpc {
    pub cidr_block: String,
    pub enable_dns_support: Option<bool>,
    pub enable_dns_hostnames: Option<bool>,
    /// Name tag
    pub name: Option<String>,
    pub tags: Option<Tags>,
}

impl Action for CreateVpc {
    const NAME: &'static str = "create_vpc";
    const DESCRIPTION: &'static str = "Create a VPC";
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::Medium;
    const DRY_RUN: DryRun = DryRun::Native;

    fn validate(&self) -> Result<(), ToolError> {
        cidr::vpc_block("cidr_block", &self.cidr_block)
            .map(|_| ())
            .map_err(ToolError::invalid)
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    /// Creates the VPC, then sets the DNS attributes (one request each). CreateVpc takes no
    /// idempotency token: it is not sent twice, and the VPC carries the call tag so that a lost
    /// answer can be checked.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let net = Network::of(cx).await;
        let token = call_token();
        let req = net
            .client
            .create_vpc()
            .cidr_block(&self.cidr_block)
            .set_tag_specifications(call_specs(
                ResourceType::Vpc,
                self.name.as_ref(),
                self.tags.as_ref(),
                &token,
            ));
        // EC2 changes one VPC attribute per request; support first, since hostnames need it.
        let steps: Vec<(String, VpcAttributeName, bool)> = [
            (self.enable_dns_support, VpcAttributeName::EnableDnsSupport),
            (
                self.enable_dns_hostnames,
                VpcAttributeName::EnableDnsHostnames,
            ),
        ]
        .into_iter()
        .filter_map(|(v, attribute)| {
            let v = v?;
            Some((
                format!("set {} to {v}", attr_field(&attribute)),
                attribute,
                v,
            ))
        })
        .collect();
        let later = steps.iter().map(|s| s.0.clone()).collect();
        let check = by_call_tag(
            "list_vpcs",
            json!({}),
            &token,
            &format!("a VPC with {}", self.cidr_block),
        );
        let resp = send_first!(net, "create_vpc", req, later, once: |cause| {
            unknown_outcome("CreateVpc", "the VPC", cause, check)
        });
        let vpc = resp
            .vpc()
            .cloned()
            .unwrap_or_else(|| Vpc::builder().build());
        let id = vpc.vpc_id().unwrap_or_default().to_string();
        let boolean = |v: bool| AttributeBooleanValue::builder().value(v).build();
        let mut done = vec![format!("created {id} ({})", self.cidr_block)];
        for (i, (step, attribute, v)) in steps.iter().enumerate() {
            let req = net.client.modify_vpc_attribute().vpc_id(&id);
            let req = match attribute {
                VpcAttributeName::EnableDnsSupport => req.enable_dns_support(boolean(*v)),
                _ => req.enable_dns_hostnames(boolean(*v)),
            };
            if let Err(e) = req.send().await {
                let not_done: Vec<String> = steps[i..].iter().map(|s| s.0.clone()).collect();
                return Err(step_failed(
                    &done,
                    step,
                    e,
                    json!({"vpc_id": id}),
                    &not_done,
                    format!(
                        "{id} exists with AWS's default DNS settings for what was not set; set \
                         them in the console or with `aws ec2 modify-vpc-attribute`, or delete \
                         it with aws_network delete_vpc and call create_vpc again"
                    ),
                ));
            }
            done.push(step.clone());
        }
        let mut data = vpc_summary(&vpc);
        data["enable_dns_support"] = json!(self.enable_dns_support.unwrap_or(true));
        data["enable_dns_hostnames"] = json!(self.enable_dns_hostnames.unwrap_or(false));
        Ok(Output::new(
            format!("Created {id} ({}).", self.cidr_block),
            data,
        ))
    }
}

/// The create_vpc field of a DNS attribute.
fn attr_field(attribute: &VpcAttributeName) -> &'static str {
    match attribute {
        VpcAttributeName::EnableDnsSupport => "enable_dns_support",
        _ => "enable_dns_hostnames",
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteVpc {
    pub vpc_id: String,
    pub delete_dependencies: Option<bool>,
}

impl Action for DeleteVpc {
    const NAME: &'static str = "delete_vpc";
    const DESCRIPTION: &'static str = "Delete a VPC, or name what blocks it";
    const ACCESS: Access = Access::Destructive;
    const RISK: Risk = Risk::Critical;
    const DRY_RUN: DryRun = DryRun::Native;

    fn targets(&self) -> Vec<Target> {
        vec![Target::ec2(&self.vpc_id)]
    }

    /// Reads what is in the VPC first. Anything there makes it refuse with the list, unless
    /// `delete_dependencies` is set and everything found is configuration the VPC console would
    /// delete with it (subnets, route tables, gateways, endpoints, security groups, ACLs).
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let net = Network::of(cx).await;
        let id = self.vpc_id.as_str();
        net.vpc(id).await?;
        let parts = net.parts(id).await?;
        let deps = parts.dependencies();
        let cascade = self.delete_dependencies.unwrap_or(false);
        if !deps.blocking.is_empty() || (!cascade && !deps.removable.is_empty()) {
            let err = deps.refusal(id, cascade);
            if net.dry_run {
                return Ok(Output::new(
                    format!("Dry run: delete_vpc would fail: {err}; nothing was changed."),
                    json!({"dry_run": true, "would_succeed": false, "error": err.to_json()}),
                ));
            }
            return Err(err);
        }
        if net.dry_run && !deps.removable.is_empty() {
            return Ok(Output::new(
                format!(
                    "Dry run: delete_vpc would delete {id} with {}; nothing was changed (AWS \
                     cannot check deletes of resources that others still reference).",
                    deps.describe(&deps.removable)
                ),
                json!({"dry_run": true, "would_succeed": null, "would_delete": deps.removable}),
            ));
        }
        // On a dry run nothing is left to remove first: only DeleteVpc itself is checked.
        let deleted = if net.dry_run {
            Vec::new()
        } else {
            net.delete_parts(&parts).await?
        };
        let req = net.client.delete_vpc().vpc_id(id);
        match dry_run_outcome(
            net.dry_run,
            "delete_vpc",
            req.dry_run(net.dry_run).send().await,
        ) {
            Ok(Sent::DryRun(out)) => return Ok(out),
            Ok(Sent::Done(_)) => {}
            Err(e) if deleted.is_empty() => return Err(e),
            Err(e) => return Err(after(format!("deleted {}", deleted.join(", ")), e)),
        }
        let summary = if deleted.is_empty() {
            format!("Deleted {id}.")
        } else {
            format!("Deleted {id} with {} resource(s) in it.", deleted.len())
        };
        Ok(Output::new(
            summary,
            json!({"deleted": id, "deleted_dependencies": deleted}),
        ))
    }
}

/// Everything in a VPC that `get_vpc` summarises and `delete_vpc` checks.
struct VpcParts {
    subnets: Vec<Subnet>,
    route_tables: Vec<RouteTable>,
    internet_gateways: Vec<InternetGateway>,
    egress_only_gateways: Vec<EgressOnlyInternetGateway>,
    /// Every NAT gateway, deleted ones included (their interfaces may still be listed).
    nat_gateways: Vec<NatGateway>,
    /// Endpoints that are not deleted.
    endpoints: Vec<VpcEndpoint>,
    interfaces: Vec<NetworkInterface>,
    /// Instances behind those interfaces that are terminated: AWS removes their interfaces.
    terminated: BTreeSet<String>,
    security_groups: Vec<SecurityGroup>,
    network_acls: Vec<NetworkAcl>,
    vpn_gateways: Vec<VpnGateway>,
}

/// What keeps a VPC from being deleted, split into what only its owner can remove (instances,
/// NAT gateways, load balancers: they carry traffic or data) and what `delete_dependencies`
/// removes with it (configuration only, as the VPC console does).
struct Dependencies {
    blocking: BTreeMap<&'static str, Vec<String>>,
    removable: BTreeMap<&'static str, Vec<String>>,
}

impl Network {
    pub(super) async fn vpc(&self, vpc_id: &str) -> Result<Vpc, ToolError> {
        let resp = self
            .client
            .describe_vpcs()
            .vpc_ids(vpc_id)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        resp.vpcs().first().cloned().ok_or_else(|| ToolError::Aws {
            code: "InvalidVpcID.NotFound".into(),
            message: format!("no VPC {vpc_id}"),
            hint: Some("check the VPC id with aws_network list_vpcs (and the region)".into()),
        })
    }

    async fn parts(&self, vpc_id: &str) -> Result<VpcParts, ToolError> {
        let c = &self.client;
        let by_vpc = || filter("vpc-id", [vpc_id]);
        let subnets = async {
            c.describe_subnets()
                .filters(by_vpc())
                .into_paginator()
                .items()
                .send()
                .all()
                .await
        };
        let route_tables = async {
            c.describe_route_tables()
                .filters(by_vpc())
                .into_paginator()
                .items()
                .send()
                .all()
                .await
        };
        let igws = async {
            c.describe_internet_gateways()
                .filters(filter("attachment.vpc-id", [vpc_id]))
                .into_paginator()
                .items()
                .send()
                .all()
                .await
        };
        let eigws = async {
            let all = c
                .describe_egress_only_internet_gateways()
                .into_paginator()
                .items()
                .send()
                .all()
                .await?;
            Ok::<_, ToolError>(
                all.into_iter()
                    .filter(|g| g.attachments().iter().any(|a| a.vpc_id() == Some(vpc_id)))
                    .collect::<Vec<_>>(),
            )
        };
        let nats = async {
            c.describe_nat_gateways()
                .filter(by_vpc())
                .into_paginator()
                .items()
                .send()
                .all()
                .await
        };
        let endpoints = async {
            let all = c
                .describe_vpc_endpoints()
                .filters(by_vpc())
                .into_paginator()
                .items()
                .send()
                .all()
                .await?;
            Ok::<_, ToolError>(
                all.into_iter()
                    .filter(|e| !matches!(e.state(), Some(State::Deleted | State::Deleting)))
                    .collect::<Vec<_>>(),
            )
        };
        let enis = async {
            c.describe_network_interfaces()
                .filters(by_vpc())
                .into_paginator()
                .items()
                .send()
                .all()
                .await
        };
        let sgs = async {
            c.describe_security_groups()
                .filters(by_vpc())
                .into_paginator()
                .items()
                .send()
                .all()
                .await
        };
        let acls = async {
            c.describe_network_acls()
                .filters(by_vpc())
                .into_paginator()
                .items()
                .send()
                .all()
                .await
        };
        let vgws = async {
            let r = c
                .describe_vpn_gateways()
                .filters(filter("attachment.vpc-id", [vpc_id]))
                .send()
                .await
                .map_err(ToolError::from_sdk)?;
            Ok::<_, ToolError>(
                r.vpn_gateways()
                    .iter()
                    .filter(|g| {
                        g.vpc_attachments().iter().any(|a| {
                            a.vpc_id() == Some(vpc_id)
                                && a.state().is_some_and(|s| s.as_str() != "detached")
                        })
                    })
                    .cloned()
                    .collect::<Vec<_>>(),
            )
        };
        let (subnets, route_tables, internet_gateways, egress_only_gateways, nat_gateways) =
            tokio::try_join!(subnets, route_tables, igws, eigws, nats)?;
        let (endpoints, interfaces, security_groups, network_acls, vpn_gateways) =
            tokio::try_join!(endpoints, enis, sgs, acls, vgws)?;
        let attached: Vec<&str> = interfaces
            .iter()
            .filter_map(|e| e.attachment().and_then(|a| a.instance_id()))
            .filter(|i| !i.is_empty())
            .collect();
        let mut terminated = BTreeSet::new();
        if !attached.is_empty() {
            let r = c
                .describe_instances()
                .filters(filter("instance-id", attached))
                .filters(filter("instance-state-name", ["terminated"]))
                .send()
                .await
                .map_err(ToolError::from_sdk)?;
            terminated.extend(
                r.reservations()
                    .iter()
                    .flat_map(|r| r.instances())
                    .filter_map(|i| i.instance_id().map(str::to_string)),
            );
        }
        Ok(VpcParts {
            subnets,
            route_tables,
            internet_gateways,
            egress_only_gateways,
            nat_gateways,
            endpoints,
            interfaces,
            terminated,
            security_groups,
            network_acls,
            vpn_gateways,
        })
    }

    /// Deletes the removable parts in the order AWS needs: endpoints, gateways, route tables,
    /// security groups (after dropping rules that reference each other), subnets, ACLs.
    /// Returns what was deleted; an error says what was deleted before it.
    async fn delete_parts(&self, p: &VpcParts) -> Result<Vec<String>, ToolError> {
        let c = &self.client;
        let mut deleted: Vec<String> = Vec::new();
        let fail = |deleted: &[String], e: ToolError| {
            if deleted.is_empty() {
                e
            } else {
                after(format!("deleted {}", deleted.join(", ")), e)
            }
        };
        let endpoint_ids: Vec<String> = p
            .endpoints
            .iter()
            .filter_map(|e| e.vpc_endpoint_id().map(str::to_string))
            .collect();
        if !endpoint_ids.is_empty() {
            c.delete_vpc_endpoints()
                .set_vpc_endpoint_ids(Some(endpoint_ids.clone()))
                .send()
                .await
                .map_err(|e| fail(&deleted, ToolError::from_sdk(e)))?;
            deleted.extend(endpoint_ids);
        }
        for g in &p.internet_gateways {
            let gid = g.internet_gateway_id().unwrap_or_default();
            for a in g.attachments() {
                if let Some(v) = a.vpc_id() {
                    c.detach_internet_gateway()
                        .internet_gateway_id(gid)
                        .vpc_id(v)
                        .send()
                        .await
                        .map_err(|e| fail(&deleted, ToolError::from_sdk(e)))?;
                }
            }
            c.delete_internet_gateway()
                .internet_gateway_id(gid)
                .send()
                .await
                .map_err(|e| fail(&deleted, ToolError::from_sdk(e)))?;
            deleted.push(gid.to_string());
        }
        for g in &p.egress_only_gateways {
            let gid = g.egress_only_internet_gateway_id().unwrap_or_default();
            c.delete_egress_only_internet_gateway()
                .egress_only_internet_gateway_id(gid)
                .send()
                .await
                .map_err(|e| fail(&deleted, ToolError::from_sdk(e)))?;
            deleted.push(gid.to_string());
        }
        for t in p.route_tables.iter().filter(|t| !is_main(t)) {
            for a in t.associations() {
                if let Some(assoc) = a.route_table_association_id() {
                    c.disassociate_route_table()
                        .association_id(assoc)
                        .send()
                        .await
                        .map_err(|e| fail(&deleted, ToolError::from_sdk(e)))?;
                }
            }
            let tid = t.route_table_id().unwrap_or_default();
            c.delete_route_table()
                .route_table_id(tid)
                .send()
                .await
                .map_err(|e| fail(&deleted, ToolError::from_sdk(e)))?;
            deleted.push(tid.to_string());
        }
        // A group that another group's rule references cannot be deleted: drop those rules
        // first. With only the default group left (it goes with the VPC) nothing is revoked, so
        // a VPC that then cannot be deleted keeps its default group's rules.
        let doomed = p.security_groups.iter().any(|g| !is_default_group(g));
        let referencing: &[SecurityGroup] = if doomed { &p.security_groups } else { &[] };
        for g in referencing {
            let gid = g.group_id().unwrap_or_default();
            let ingress = group_refs(g.ip_permissions());
            if !ingress.is_empty() {
                c.revoke_security_group_ingress()
                    .group_id(gid)
                    .set_ip_permissions(Some(ingress))
                    .send()
                    .await
                    .map_err(|e| fail(&deleted, ToolError::from_sdk(e)))?;
            }
            let egress = group_refs(g.ip_permissions_egress());
            if !egress.is_empty() {
                c.revoke_security_group_egress()
                    .group_id(gid)
                    .set_ip_permissions(Some(egress))
                    .send()
                    .await
                    .map_err(|e| fail(&deleted, ToolError::from_sdk(e)))?;
            }
        }
        for g in p.security_groups.iter().filter(|g| !is_default_group(g)) {
            let gid = g.group_id().unwrap_or_default();
            c.delete_security_group()
                .group_id(gid)
                .send()
                .await
                .map_err(|e| fail(&deleted, ToolError::from_sdk(e)))?;
            deleted.push(gid.to_string());
        }
        for s in &p.subnets {
            let sid = s.subnet_id().unwrap_or_default();
            c.delete_subnet()
                .subnet_id(sid)
                .send()
                .await
                .map_err(|e| fail(&deleted, ToolError::from_sdk(e)))?;
            deleted.push(sid.to_string());
        }
        for a in p
            .network_acls
            .iter()
            .filter(|a| a.is_default() != Some(true))
        {
            let aid = a.network_acl_id().unwrap_or_default();
            c.delete_network_acl()
                .network_acl_id(aid)
                .send()
                .await
                .map_err(|e| fail(&deleted, ToolError::from_sdk(e)))?;
            deleted.push(aid.to_string());
        }
        Ok(deleted)
    }
}

impl VpcParts {
    fn dependencies(&self) -> Dependencies {
        let mut blocking: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
        let mut removable: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
        let put = |map: &mut BTreeMap<&'static str, Vec<String>>, k, v: Vec<String>| {
            if !v.is_empty() {
                map.insert(k, v);
            }
        };
        let ids = |v: Vec<Option<&str>>| -> Vec<String> {
            v.into_iter().flatten().map(str::to_string).collect()
        };
        // Interfaces of endpoints go with their endpoints; those of deleted NAT gateways are
        // on their way out (AWS removes them as the deletion finishes).
        let endpoint_enis: BTreeSet<&str> = self
            .endpoints
            .iter()
            .flat_map(|e| e.network_interface_ids())
            .map(String::as_str)
            .collect();
        let nat_of_eni: BTreeMap<&str, &NatGateway> = self
            .nat_gateways
            .iter()
            .flat_map(|n| {
                n.nat_gateway_addresses()
                    .iter()
                    .filter_map(move |a| a.network_interface_id().map(|e| (e, n)))
            })
            .collect();
        let enis: Vec<String> = self
            .interfaces
            .iter()
            .filter_map(|e| {
                let id = e.network_interface_id()?;
                if endpoint_enis.contains(id) {
                    return None;
                }
                let user = match (
                    nat_of_eni.get(id),
                    e.attachment().and_then(|a| a.instance_id()),
                ) {
                    (Some(n), _) if !live_nat(n) => return None,
                    (None, Some(i)) if self.terminated.contains(i) => return None,
                    (Some(n), _) => format!("NAT gateway {}", n.nat_gateway_id().unwrap_or("?")),
                    (None, Some(i)) if !i.is_empty() => format!("instance {i}"),
                    _ => e
                        .description()
                        .filter(|d| !d.is_empty())
                        .map(str::to_string)
                        .or_else(|| e.interface_type().map(|t| t.as_str().to_string()))
                        .unwrap_or_else(|| "unknown user".into()),
                };
                Some(format!("{id} ({user})"))
            })
            .collect();
        put(&mut blocking, "network_interfaces", enis);
        put(
            &mut blocking,
            "nat_gateways",
            ids(self
                .nat_gateways
                .iter()
                .filter(|n| live_nat(n))
                .map(|n| n.nat_gateway_id())
                .collect()),
        );
        put(
            &mut blocking,
            "vpn_gateways",
            ids(self
                .vpn_gateways
                .iter()
                .map(|g| g.vpn_gateway_id())
                .collect()),
        );
        put(
            &mut removable,
            "subnets",
            ids(self.subnets.iter().map(|s| s.subnet_id()).collect()),
        );
        put(
            &mut removable,
            "internet_gateways",
            ids(self
                .internet_gateways
                .iter()
                .map(|g| g.internet_gateway_id())
                .collect()),
        );
        put(
            &mut removable,
            "egress_only_internet_gateways",
            ids(self
                .egress_only_gateways
                .iter()
                .map(|g| g.egress_only_internet_gateway_id())
                .collect()),
        );
        put(
            &mut removable,
            "vpc_endpoints",
            ids(self.endpoints.iter().map(|e| e.vpc_endpoint_id()).collect()),
        );
        put(
            &mut removable,
            "route_tables",
            ids(self
                .route_tables
                .iter()
                .filter(|t| !is_main(t))
                .map(|t| t.route_table_id())
                .collect()),
        );
        put(
            &mut removable,
            "security_groups",
            ids(self
                .security_groups
                .iter()
                .filter(|g| !is_default_group(g))
                .map(|g| g.group_id())
                .collect()),
        );
        put(
            &mut removable,
            "network_acls",
            ids(self
                .network_acls
                .iter()
                .filter(|a| a.is_default() != Some(true))
                .map(|a| a.network_acl_id())
                .collect()),
        );
        Dependencies {
            blocking,
            removable,
        }
    }
}

impl Dependencies {
    fn describe(&self, map: &BTreeMap<&'static str, Vec<String>>) -> String {
        map.iter()
            .map(|(kind, ids)| {
                let shown: Vec<&str> = ids.iter().take(5).map(String::as_str).collect();
                let more = if ids.len() > 5 {
                    format!(", and {} more", ids.len() - 5)
                } else {
                    String::new()
                };
                format!(
                    "{} {} ({}{more})",
                    ids.len(),
                    kind.replace('_', " "),
                    shown.join(", ")
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn refusal(&self, vpc_id: &str, cascade: bool) -> ToolError {
        let mut found = self.blocking.clone();
        found.extend(self.removable.clone());
        let message = format!(
            "{vpc_id} is not empty; it still has {}",
            self.describe(&found)
        );
        let removable_note = "delete_vpc with delete_dependencies: true deletes the subnets, \
                              route tables, internet gateways, endpoints, security groups and \
                              network ACLs together with the VPC (they hold no data)";
        let hint = if self.blocking.is_empty() {
            format!("{removable_note}; or remove them one by one")
        } else {
            let first = "first remove what carries traffic or data: terminate its instances \
                         (aws_ec2 terminate_instances), delete its NAT gateways \
                         (delete_nat_gateway), load balancers and other services' network \
                         interfaces, and detach VPN gateways";
            if cascade || self.removable.is_empty() {
                format!("{first}; then call delete_vpc again")
            } else {
                format!("{first}; then {removable_note}")
            }
        };
        precondition(
            message,
            hint,
            json!({"vpc_id": vpc_id, "blocking": self.blocking, "removable": self.removable}),
        )
    }
}

fn vpc_summary(v: &Vpc) -> Value {
    let mut out = json!({
        "vpc_id": v.vpc_id(),
        "cidr_block": v.cidr_block(),
        "cidr_blocks": v.cidr_block_association_set().iter().filter_map(|a| a.cidr_block()).collect::<Vec<_>>(),
        "state": v.state().map(|s| s.as_str()),
        "is_default": v.is_default(),
    });
    tag_fields(&mut out, v.tags());
    out
}

fn table_summary(t: &RouteTable) -> Value {
    let mut v = json!({
        "route_table_id": t.route_table_id(),
        "main": is_main(t),
        "subnet_ids": t.associations().iter().filter_map(|a| a.subnet_id()).collect::<Vec<_>>(),
        "default_route": default_target(t),
        "routes": t.routes().len(),
    });
    tag_fields(&mut v, t.tags());
    v
}

/// Where a table sends 0.0.0.0/0, if anywhere.
fn default_target(t: &RouteTable) -> Option<&str> {
    t.routes()
        .iter()
        .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
        .and_then(|r| {
            r.gateway_id()
                .or(r.nat_gateway_id())
                .or(r.network_interface_id())
                .or(r.transit_gateway_id())
                .or(r.vpc_peering_connection_id())
                .or(r.instance_id())
        })
}

fn is_main(t: &RouteTable) -> bool {
    t.associations().iter().any(|a| a.main() == Some(true))
}

fn is_default_group(g: &SecurityGroup) -> bool {
    g.group_name() == Some("default")
}

fn live_nat(n: &NatGateway) -> bool {
    !matches!(
        n.state(),
        Some(NatGatewayState::Deleted | NatGatewayState::Failed)
    )
}

/// The parts of rules that reference other security groups, to revoke before deleting groups.
fn group_refs(perms: &[IpPermission]) -> Vec<IpPermission> {
    perms
        .iter()
        .filter(|p| !p.user_id_group_pairs().is_empty())
        .map(|p| {
            IpPermission::builder()
                .set_ip_protocol(p.ip_protocol().map(str::to_string))
                .set_from_port(p.from_port())
                .set_to_port(p.to_port())
                .set_user_id_group_pairs(Some(
                    p.user_id_group_pairs()
                        .iter()
                        .map(|g| {
                            UserIdGroupPair::builder()
                                .set_group_id(g.group_id().map(str::to_string))
                                .build()
                        })
                        .collect(),
                ))
                .build()
        })
        .collect()
}
