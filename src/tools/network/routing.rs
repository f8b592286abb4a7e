//! Route tables and routes, internet gateways and NAT gateways.

use aws_sdk_ec2::types::{
    ConnectivityType as SdkConnectivity, DomainType, NatGateway, ResourceType, Route, RouteTable,
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    Network, after, any_cidr, by_call_tag, call_specs, ec2_targets, filters, precondition,
    send_first, tag_fields,
};
use crate::{
    aws::{
        ec2::{Sent, dry_run_outcome, filter, once_sent, send},
        outcome::{CALL_TAG, call_token},
        outcome::{
            Check, half_done, outcome_unknown, step_failed, unknown_outcome,
            unknown_outcome_with_token,
        },
        paging::PageRequest,
    },
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, DryRun, Flag, Risk, Tags, Target},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConnectivityType {
    Public,
    Private,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListRouteTables {
    pub vpc_id: Option<String>,
    pub route_table_ids: Option<Vec<String>>,
    pub subnet_id: Option<String>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListRouteTables {
    const NAME: &'static str = "list_route_tables";
    const DESCRIPTION: &'static str = "List route tables and routes";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        ec2_targets(self.route_table_ids.iter().flatten())
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let net = Network::of(cx).await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let by_id = self.route_table_ids.is_some();
        let resp = net
            .client
            .describe_route_tables()
            .set_route_table_ids(self.route_table_ids)
            .set_filters(filters(
                [
                    ("vpc-id", self.vpc_id),
                    ("association.subnet-id", self.subnet_id),
                ],
                None,
            ))
            .set_max_results((!by_id).then(|| page.aws_page_size(5, 100)))
            .set_next_token(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let all: Vec<Value> = resp.route_tables().iter().map(route_table_detail).collect();
        let (items, next) = page.finish(all, resp.next_token().map(str::to_string));
        Ok(Output::new(
            format!("{} route table(s).", items.len()),
            json!({ "route_tables": items }),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRouteTable {
    pub vpc_id: String,
    pub subnet_ids: Option<Vec<String>>,
    pub name: Option<String>,
    pub tags: Option<Tags>,
}

impl Action for CreateRouteTable {
    const NAME: &'static str = "create_route_table";
    const DESCRIPTION: &'static str = "Create a route table for subnets";
    const ACCESS: Access = Access::Write;
    // An empty new table routes nothing; associating subnets is flagged.
    const RISK: Risk = Risk::Medium;
    const DRY_RUN: DryRun = DryRun::Native;

    /// The VPC, and the subnets whose routing the new table takes over.
    fn targets(&self) -> Vec<Target> {
        let vpc = Target::ec2(&self.vpc_id);
        std::iter::once(vpc.clone())
            .chain(
                self.subnet_ids
                    .iter()
                    .flatten()
                    .map(|s| Target::ec2(s).in_parent(vpc.clone())),
            )
            .collect()
    }

    fn flags(&self) -> Vec<Flag> {
        match self.subnet_ids.as_deref() {
            Some(ids) if !ids.is_empty() => vec![Flag::high(format!(
                "associates {} with the new table: their routing changes (it starts with only \
                 the local route)",
                ids.join(", ")
            ))],
            _ => Vec::new(),
        }
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let net = Network::of(cx).await;
        let subnets = self.subnet_ids.clone().unwrap_or_default();
        // CreateRouteTable takes a ClientToken: one per call, repeated by the SDK's retries.
        let token = call_token();
        let req = net
            .client
            .create_route_table()
            .vpc_id(&self.vpc_id)
            .client_token(&token)
            .set_tag_specifications(call_specs(
                ResourceType::RouteTable,
                self.name.as_ref(),
                self.tags.as_ref(),
                &token,
            ));
        let later: Vec<String> = subnets
            .iter()
            .map(|s| format!("associate with {s}"))
            .collect();
        let check = Check {
            tool: "aws_network",
            action: "list_route_tables",
            arguments: json!({"vpc_id": self.vpc_id}),
            look_for: format!("a route table tagged {CALL_TAG}={token}"),
        };
        let resp = send_first!(net, "create_route_table", req, later.clone(), lost: |cause| {
            unknown_outcome_with_token("CreateRouteTable", "the route table", cause, check, &token)
        });
        let id = resp
            .route_table()
            .and_then(|t| t.route_table_id())
            .unwrap_or_default()
            .to_string();
        let mut associations = Vec::new();
        let mut done = vec![format!("created {id}")];
        for (i, s) in subnets.iter().enumerate() {
            // A subnet takes one association: a repeat after a lost answer would fail, so each
            // is sent once.
            let r = net
                .client
                .associate_route_table()
                .route_table_id(&id)
                .subnet_id(s)
                .customize()
                .config_override(once_sent())
                .send()
                .await
                .map_err(|e| {
                    step_failed(
                        &done,
                        &later[i],
                        e,
                        json!({"route_table_id": id, "associations": associations}),
                        &later[i..],
                        format!(
                            "{id} exists; see its associations with aws_network \
                             list_route_tables route_table_ids [\"{id}\"], and associate the rest \
                             in the console or with `aws ec2 associate-route-table`"
                        ),
                    )
                })?;
            associations.push(json!({"subnet_id": s, "association_id": r.association_id()}));
            done.push(later[i].clone());
        }
        Ok(Output::new(
            format!(
                "Created {id} in {}{}.",
                self.vpc_id,
                if subnets.is_empty() {
                    String::new()
                } else {
                    format!(", associated with {}", subnets.join(", "))
                }
            ),
            json!({"route_table_id": id, "vpc_id": self.vpc_id, "associations": associations}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRoute {
    pub route_table_id: String,
    pub destination_cidr_block: String,
    pub gateway_id: Option<String>,
    pub nat_gateway_id: Option<String>,
    pub network_interface_id: Option<String>,
    pub vpc_peering_connection_id: Option<String>,
    pub transit_gateway_id: Option<String>,
}

impl Action for CreateRoute {
    const NAME: &'static str = "create_route";
    const DESCRIPTION: &'static str = "Route a CIDR to exactly one target";
    const ACCESS: Access = Access::Write;
    // A route can redirect or black-hole the traffic of every subnet using the table.
    const RISK: Risk = Risk::High;
    const DRY_RUN: DryRun = DryRun::Native;

    fn validate(&self) -> Result<(), ToolError> {
        any_cidr("destination_cidr_block", &self.destination_cidr_block)?;
        let targets = [
            &self.gateway_id,
            &self.nat_gateway_id,
            &self.network_interface_id,
            &self.vpc_peering_connection_id,
            &self.transit_gateway_id,
        ];
        if targets.iter().filter(|t| t.is_some()).count() != 1 {
            return Err(ToolError::invalid(
                "create_route needs exactly one target: gateway_id, nat_gateway_id, \
                 network_interface_id, vpc_peering_connection_id or transit_gateway_id",
            ));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::ec2(&self.route_table_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let net = Network::of(cx).await;
        let dest = self.destination_cidr_block.as_str();
        let target = self
            .gateway_id
            .as_ref()
            .or(self.nat_gateway_id.as_ref())
            .or(self.network_interface_id.as_ref())
            .or(self.vpc_peering_connection_id.as_ref())
            .or(self.transit_gateway_id.as_ref())
            .cloned()
            .unwrap_or_default();
        let mut req = net
            .client
            .create_route()
            .route_table_id(&self.route_table_id)
            .set_gateway_id(self.gateway_id)
            .set_nat_gateway_id(self.nat_gateway_id)
            .set_network_interface_id(self.network_interface_id)
            .set_vpc_peering_connection_id(self.vpc_peering_connection_id)
            .set_transit_gateway_id(self.transit_gateway_id);
        req = if dest.contains(':') {
            req.destination_ipv6_cidr_block(dest)
        } else {
            req.destination_cidr_block(dest)
        };
        send!(net, "create_route", req);
        Ok(Output::new(
            format!("Added route {dest} → {target} to {}.", self.route_table_id),
            json!({"route_table_id": self.route_table_id, "destination": dest, "target": target}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteRoute {
    pub route_table_id: String,
    pub destination_cidr_block: String,
}

impl Action for DeleteRoute {
    const NAME: &'static str = "delete_route";
    const DESCRIPTION: &'static str = "Remove a route";
    const ACCESS: Access = Access::Destructive;
    // Traffic that used the route has nowhere to go (a default route takes a subnet offline).
    const RISK: Risk = Risk::Critical;
    const DRY_RUN: DryRun = DryRun::Native;

    fn validate(&self) -> Result<(), ToolError> {
        any_cidr("destination_cidr_block", &self.destination_cidr_block)
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::ec2(&self.route_table_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let net = Network::of(cx).await;
        let dest = self.destination_cidr_block.as_str();
        let mut req = net
            .client
            .delete_route()
            .route_table_id(&self.route_table_id);
        req = if dest.contains(':') {
            req.destination_ipv6_cidr_block(dest)
        } else {
            req.destination_cidr_block(dest)
        };
        send!(net, "delete_route", req);
        Ok(Output::new(
            format!("Removed route {dest} from {}.", self.route_table_id),
            json!({"route_table_id": self.route_table_id, "deleted_destination": dest}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListInternetGateways {
    pub vpc_id: Option<String>,
    pub internet_gateway_ids: Option<Vec<String>>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListInternetGateways {
    const NAME: &'static str = "list_internet_gateways";
    const DESCRIPTION: &'static str = "List internet gateways";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        ec2_targets(self.internet_gateway_ids.iter().flatten())
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let net = Network::of(cx).await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let by_id = self.internet_gateway_ids.is_some();
        let resp = net
            .client
            .describe_internet_gateways()
            .set_internet_gateway_ids(self.internet_gateway_ids)
            .set_filters(filters([("attachment.vpc-id", self.vpc_id)], None))
            .set_max_results((!by_id).then(|| page.aws_page_size(5, 1000)))
            .set_next_token(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let all: Vec<Value> = resp
            .internet_gateways()
            .iter()
            .map(|g| {
                let mut v = json!({
                    "internet_gateway_id": g.internet_gateway_id(),
                    "attachments": g.attachments().iter().map(|a| json!({
                        "vpc_id": a.vpc_id(),
                        "state": a.state().map(|s| s.as_str()),
                    })).collect::<Vec<_>>(),
                });
                tag_fields(&mut v, g.tags());
                v
            })
            .collect();
        let (items, next) = page.finish(all, resp.next_token().map(str::to_string));
        Ok(Output::new(
            format!("{} internet gateway(s).", items.len()),
            json!({ "internet_gateways": items }),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInternetGateway {
    pub vpc_id: String,
    pub name: Option<String>,
    pub tags: Option<Tags>,
}

impl Action for CreateInternetGateway {
    const NAME: &'static str = "create_internet_gateway";
    const DESCRIPTION: &'static str = "Create and attach an internet gateway";
    const ACCESS: Access = Access::Write;
    // Nothing reaches it until a route points there.
    const RISK: Risk = Risk::Medium;
    const DRY_RUN: DryRun = DryRun::Native;

    fn targets(&self) -> Vec<Target> {
        vec![Target::ec2(&self.vpc_id)]
    }

    /// A VPC has at most one internet gateway, so an existing one is reported instead of
    /// creating a second that could not be attached.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let net = Network::of(cx).await;
        let existing = net
            .client
            .describe_internet_gateways()
            .filters(filter("attachment.vpc-id", [self.vpc_id.as_str()]))
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        if let Some(g) = existing.internet_gateways().first() {
            let gid = g.internet_gateway_id().unwrap_or("?");
            return Err(precondition(
                format!(
                    "{} already has internet gateway {gid} attached",
                    self.vpc_id
                ),
                format!("a VPC takes one internet gateway: route to {gid} with create_route"),
                json!({"vpc_id": self.vpc_id, "internet_gateway_id": gid}),
            ));
        }
        // CreateInternetGateway takes no idempotency token: sent once, tagged with the call's
        // token.
        let token = call_token();
        let req = net
            .client
            .create_internet_gateway()
            .set_tag_specifications(call_specs(
                ResourceType::InternetGateway,
                self.name.as_ref(),
                self.tags.as_ref(),
                &token,
            ));
        let attach = format!("attach to {}", self.vpc_id);
        let check = Check {
            tool: "aws_network",
            action: "list_internet_gateways",
            arguments: json!({}),
            look_for: format!("a gateway tagged {CALL_TAG}={token}"),
        };
        let resp = send_first!(net, "create_internet_gateway", req, vec![attach.clone()], once: |cause| {
            unknown_outcome("CreateInternetGateway", "the internet gateway", cause, check)
        });
        let gid = resp
            .internet_gateway()
            .and_then(|g| g.internet_gateway_id())
            .unwrap_or_default()
            .to_string();
        // A repeated attach after a lost answer would fail (Resource.AlreadyAssociated): sent
        // once.
        if let Err(e) = net
            .client
            .attach_internet_gateway()
            .internet_gateway_id(&gid)
            .vpc_id(&self.vpc_id)
            .customize()
            .config_override(once_sent())
            .send()
            .await
        {
            return Err(step_failed(
                &[format!("created {gid}")],
                &attach,
                e,
                json!({"internet_gateway_id": gid, "attached_to": null}),
                std::slice::from_ref(&attach),
                format!(
                    "{gid} exists and is not attached to {} unless list_internet_gateways \
                     vpc_id {} shows it; attach it with `aws ec2 attach-internet-gateway \
                     --internet-gateway-id {gid} --vpc-id {}` or delete it with `aws ec2 \
                     delete-internet-gateway --internet-gateway-id {gid}` (calling \
                     create_internet_gateway again makes another)",
                    self.vpc_id, self.vpc_id, self.vpc_id
                ),
            ));
        }
        Ok(Output::new(
            format!(
                "Created {gid} and attached it to {}; route 0.0.0.0/0 to it with create_route \
                 to make subnets public.",
                self.vpc_id
            ),
            json!({"internet_gateway_id": gid, "vpc_id": self.vpc_id, "attached": true}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListNatGateways {
    pub vpc_id: Option<String>,
    pub subnet_id: Option<String>,
    pub nat_gateway_ids: Option<Vec<String>>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListNatGateways {
    const NAME: &'static str = "list_nat_gateways";
    const DESCRIPTION: &'static str = "List NAT gateways";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        ec2_targets(self.nat_gateway_ids.iter().flatten())
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let net = Network::of(cx).await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let by_id = self.nat_gateway_ids.is_some();
        let mut f = filters(
            [("vpc-id", self.vpc_id), ("subnet-id", self.subnet_id)],
            None,
        )
        .unwrap_or_default();
        if !by_id {
            f.push(filter(
                "state",
                ["pending", "available", "deleting", "failed"],
            ));
        }
        let resp = net
            .client
            .describe_nat_gateways()
            .set_nat_gateway_ids(self.nat_gateway_ids)
            .set_filter((!f.is_empty()).then_some(f))
            .set_max_results((!by_id).then(|| page.aws_page_size(5, 1000)))
            .set_next_token(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let all: Vec<Value> = resp.nat_gateways().iter().map(nat_summary).collect();
        let (items, next) = page.finish(all, resp.next_token().map(str::to_string));
        Ok(Output::new(
            format!("{} NAT gateway(s).", items.len()),
            json!({ "nat_gateways": items }),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateNatGateway {
    pub subnet_id: String,
    pub allocation_id: Option<String>,
    pub connectivity_type: Option<ConnectivityType>,
    pub name: Option<String>,
    pub tags: Option<Tags>,
}

impl Action for CreateNatGateway {
    const NAME: &'static str = "create_nat_gateway";
    const DESCRIPTION: &'static str = "Create a NAT gateway (allocates an EIP if none)";
    const ACCESS: Access = Access::Write;
    // Nothing uses it until a route points there; it costs money.
    const RISK: Risk = Risk::Medium;
    const DRY_RUN: DryRun = DryRun::Native;

    fn validate(&self) -> Result<(), ToolError> {
        if self.connectivity_type == Some(ConnectivityType::Private) && self.allocation_id.is_some()
        {
            return Err(ToolError::invalid(
                "a private NAT gateway has no Elastic IP; drop allocation_id or use \
                 connectivity_type public",
            ));
        }
        Ok(())
    }

    /// The subnet it goes in, and the Elastic IP it takes when one is given.
    fn targets(&self) -> Vec<Target> {
        std::iter::once(&self.subnet_id)
            .chain(&self.allocation_id)
            .map(Target::ec2)
            .collect()
    }

    /// A public NAT gateway needs an Elastic IP: without `allocation_id` one is allocated for
    /// it (and released again if the NAT gateway cannot be created).
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let net = Network::of(cx).await;
        let private = self.connectivity_type == Some(ConnectivityType::Private);
        // One token per call: the NAT gateway's ClientToken, and the call tag of it and of the
        // Elastic IP allocated for it (AllocateAddress takes no token: it is sent once).
        let token = call_token();
        let tags = call_specs(
            ResourceType::Natgateway,
            self.name.as_ref(),
            self.tags.as_ref(),
            &token,
        );
        let mut allocated = None;
        let allocation_id = match (&self.allocation_id, private) {
            (Some(a), _) => Some(a.clone()),
            (None, true) => None,
            (None, false) => {
                let req = net
                    .client
                    .allocate_address()
                    .domain(DomainType::Vpc)
                    .set_tag_specifications(call_specs(
                        ResourceType::ElasticIp,
                        self.name.as_ref(),
                        self.tags.as_ref(),
                        &token,
                    ));
                let check = by_call_tag(
                    "list_elastic_ips",
                    json!({}),
                    &token,
                    "an Elastic IP allocated for the NAT gateway (none was requested yet)",
                );
                let r = send_first!(
                    net,
                    "allocate_address",
                    req,
                    vec![format!(
                        "create the NAT gateway in {} with it",
                        self.subnet_id
                    )],
                    once: |cause| unknown_outcome("AllocateAddress", "the Elastic IP", cause, check)
                );
                let id = r.allocation_id().unwrap_or_default().to_string();
                allocated = Some((id.clone(), r.public_ip().map(str::to_string)));
                Some(id)
            }
        };
        let req = net
            .client
            .create_nat_gateway()
            .subnet_id(&self.subnet_id)
            .client_token(&token)
            .set_allocation_id(allocation_id.clone())
            .connectivity_type(if private {
                SdkConnectivity::Private
            } else {
                SdkConnectivity::Public
            })
            .set_tag_specifications(tags);
        let sent = req.dry_run(net.dry_run).send().await;
        let eip = allocated
            .as_ref()
            .map(|(a, ip)| json!({"allocation_id": a, "public_ip": ip}));
        let sent = match sent {
            Err(e) if !net.dry_run && outcome_unknown(&e) => {
                // The NAT gateway may exist and hold the address: nothing is released.
                let check = Check {
                    tool: "aws_network",
                    action: "list_nat_gateways",
                    arguments: json!({"subnet_id": self.subnet_id}),
                    look_for: format!("a NAT gateway tagged {CALL_TAG}={token}"),
                };
                let mut err = unknown_outcome_with_token(
                    "CreateNatGateway",
                    "the NAT gateway",
                    ToolError::from_sdk(e),
                    check,
                    &token,
                );
                if let (
                    Some((a, _)),
                    ToolError::Precondition {
                        message, details, ..
                    },
                ) = (&allocated, &mut err)
                {
                    message.push_str(&format!(
                        "; Elastic IP {a} was allocated for it and stays: if no NAT gateway was \
                         made, pass allocation_id {a} to the next create_nat_gateway or release \
                         it with release_elastic_ip"
                    ));
                    details["exists"] = json!({ "allocated_elastic_ip": eip });
                }
                return Err(err);
            }
            other => other,
        };
        let resp = match dry_run_outcome(net.dry_run, "create_nat_gateway", sent) {
            Ok(Sent::Done(r)) => r,
            Ok(Sent::DryRun(out)) => return Ok(out),
            Err(e) => {
                let Some((id, ip)) = &allocated else {
                    return Err(e);
                };
                // AWS refused the NAT gateway: the address allocated for it goes back.
                let undo = net.client.release_address().allocation_id(id).send().await;
                return Err(match undo {
                    Ok(_) => after(
                        format!("allocated {id} for it and released it again (nothing is left)"),
                        e,
                    ),
                    Err(undo) => {
                        let mut err = half_done(
                            &[format!(
                                "allocated Elastic IP {id} ({})",
                                ip.as_deref().unwrap_or("?")
                            )],
                            &format!("create the NAT gateway in {}", self.subnet_id),
                            e,
                            json!({ "allocated_elastic_ip": eip }),
                            &[
                                format!("create the NAT gateway in {}", self.subnet_id),
                                format!("release {id} again"),
                            ],
                            format!(
                                "Elastic IP {id} stays allocated (billed while idle): pass \
                                 allocation_id {id} to the next create_nat_gateway, or release \
                                 it with aws_network release_elastic_ip allocation_id {id}"
                            ),
                        );
                        if let ToolError::Precondition { details, .. } = &mut err {
                            details["release_error"] = ToolError::from_sdk(undo).to_json();
                        }
                        err
                    }
                });
            }
        };
        let nat = resp
            .nat_gateway()
            .cloned()
            .unwrap_or_else(|| NatGateway::builder().build());
        let id = nat.nat_gateway_id().unwrap_or_default().to_string();
        let mut data = nat_summary(&nat);
        data["allocated_elastic_ip"] = json!(allocated.as_ref().map(|(a, ip)| json!({
            "allocation_id": a, "public_ip": ip,
        })));
        let ip_note = match &allocated {
            Some((a, ip)) => format!(
                " with a new Elastic IP {} ({a})",
                ip.as_deref().unwrap_or("?")
            ),
            None if private => " (private, no Elastic IP)".to_string(),
            None => format!(" with {}", allocation_id.unwrap_or_default()),
        };
        Ok(Output::new(
            format!(
                "Created {id} in {}{ip_note}; it is {}. Route private subnets' 0.0.0.0/0 to it \
                 with create_route.",
                self.subnet_id,
                data["state"].as_str().unwrap_or("pending")
            ),
            data,
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteNatGateway {
    pub nat_gateway_id: String,
}

impl Action for DeleteNatGateway {
    const NAME: &'static str = "delete_nat_gateway";
    const DESCRIPTION: &'static str = "Delete a NAT gateway; its EIP stays";
    const ACCESS: Access = Access::Destructive;
    // Private subnets routed through it lose their way out to the internet.
    const RISK: Risk = Risk::Critical;
    const DRY_RUN: DryRun = DryRun::Native;

    fn targets(&self) -> Vec<Target> {
        vec![Target::ec2(&self.nat_gateway_id)]
    }

    /// Its Elastic IP stays allocated (and billed) until released; the result names it.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let net = Network::of(cx).await;
        let id = self.nat_gateway_id.as_str();
        let before = net
            .client
            .describe_nat_gateways()
            .nat_gateway_ids(id)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let allocations: Vec<String> = before
            .nat_gateways()
            .iter()
            .flat_map(|n| n.nat_gateway_addresses())
            .filter_map(|a| a.allocation_id().map(str::to_string))
            .collect();
        let req = net.client.delete_nat_gateway().nat_gateway_id(id);
        send!(net, "delete_nat_gateway", req);
        let note = if allocations.is_empty() {
            String::new()
        } else {
            format!(
                " Its Elastic IP(s) {} stay allocated: release them with release_elastic_ip once \
                 it is deleted.",
                allocations.join(", ")
            )
        };
        Ok(Output::new(
            format!("Deleting {id}.{note}"),
            json!({"deleting": id, "elastic_ip_allocation_ids": allocations}),
        ))
    }
}

pub(super) fn nat_summary(n: &NatGateway) -> Value {
    let mut v = json!({
        "nat_gateway_id": n.nat_gateway_id(),
        "state": n.state().map(|s| s.as_str()),
        "subnet_id": n.subnet_id(),
        "vpc_id": n.vpc_id(),
        "connectivity_type": n.connectivity_type().map(|c| c.as_str()),
        "addresses": n.nat_gateway_addresses().iter().map(|a| json!({
            "allocation_id": a.allocation_id(),
            "public_ip": a.public_ip(),
            "private_ip": a.private_ip(),
        })).collect::<Vec<_>>(),
    });
    if let Some(f) = n.failure_message() {
        v["failure_message"] = json!(f);
    }
    tag_fields(&mut v, n.tags());
    v
}

fn route_table_detail(t: &RouteTable) -> Value {
    let mut v = json!({
        "route_table_id": t.route_table_id(),
        "vpc_id": t.vpc_id(),
        "main": t.associations().iter().any(|a| a.main() == Some(true)),
        "subnet_ids": t.associations().iter().filter_map(|a| a.subnet_id()).collect::<Vec<_>>(),
        "routes": t.routes().iter().map(route_summary).collect::<Vec<_>>(),
    });
    tag_fields(&mut v, t.tags());
    v
}

fn route_summary(r: &Route) -> Value {
    let destination = r
        .destination_cidr_block()
        .or(r.destination_ipv6_cidr_block())
        .or(r.destination_prefix_list_id());
    let target = r
        .gateway_id()
        .or(r.nat_gateway_id())
        .or(r.network_interface_id())
        .or(r.transit_gateway_id())
        .or(r.vpc_peering_connection_id())
        .or(r.instance_id());
    json!({
        "destination": destination,
        "target": target,
        "state": r.state().map(|s| s.as_str()),
    })
}
