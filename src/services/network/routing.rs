//! Subnets, route tables and routes, internet gateways and NAT gateways.

use aws_sdk_ec2::types::{
    AttributeBooleanValue, ConnectivityType as SdkConnectivity, DomainType, NatGateway,
    ResourceType, Route, RouteTable, Subnet,
};
use serde_json::{Value, json};

use super::{Network, filters, precondition, send_first, specs, tag_fields, unchecked, vpc::after};
use crate::{
    aws::paging::AllItems,
    aws::paging::PageRequest,
    cidr::{self, Ipv4Cidr},
    error::ToolError,
    output::Output,
    services::ec2::{Sent, dry_run_outcome, filter, send},
    tools::network::{
        ConnectivityType, CreateInternetGatewayInput, CreateNatGatewayInput, CreateRouteInput,
        CreateRouteTableInput, CreateSubnetInput, DeleteRouteInput, ListInternetGatewaysInput,
        ListNatGatewaysInput, ListRouteTablesInput, ListSubnetsInput,
    },
};

impl Network<'_> {
    pub async fn list_subnets(&self, i: ListSubnetsInput) -> Result<Output, ToolError> {
        let page = PageRequest::new(i.max_results, i.next_token.as_deref())?;
        let by_id = i.subnet_ids.is_some();
        let resp = self
            .client
            .describe_subnets()
            .set_subnet_ids(i.subnet_ids)
            .set_filters(filters(
                [
                    ("vpc-id", i.vpc_id),
                    ("availability-zone", i.availability_zone),
                ],
                i.tags.as_ref(),
            ))
            .set_max_results((!by_id).then(|| page.aws_page_size(5, 1000)))
            .set_next_token(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let all: Vec<Value> = resp.subnets().iter().map(subnet_summary).collect();
        let (items, next) = page.finish(all, resp.next_token().map(str::to_string));
        Ok(Output::new(
            format!("{} subnet(s).", items.len()),
            json!({ "subnets": items }),
        )
        .with_next_token(next))
    }

    /// Checks the block against the VPC's range and its subnets before creating anything.
    pub async fn create_subnet(&self, i: CreateSubnetInput) -> Result<Output, ToolError> {
        let want = cidr::vpc_block("cidr_block", &i.cidr_block).map_err(ToolError::invalid)?;
        let vpc = self.vpc(&i.vpc_id).await?;
        let mut blocks: Vec<Ipv4Cidr> = vpc
            .cidr_block_association_set()
            .iter()
            .filter(|a| {
                a.cidr_block_state()
                    .and_then(|s| s.state())
                    .is_none_or(|s| s.as_str() == "associated")
            })
            .filter_map(|a| a.cidr_block()?.parse().ok())
            .collect();
        if blocks.is_empty() {
            blocks.extend(vpc.cidr_block().and_then(|c| c.parse::<Ipv4Cidr>().ok()));
        }
        let existing: Vec<(String, Ipv4Cidr)> = self
            .client
            .describe_subnets()
            .filters(filter("vpc-id", [i.vpc_id.as_str()]))
            .into_paginator()
            .items()
            .send()
            .all()
            .await?
            .iter()
            .filter_map(|s| Some((s.subnet_id()?.to_string(), s.cidr_block()?.parse().ok()?)))
            .collect();
        cidr::subnet_fit(want, &i.vpc_id, &blocks, &existing)
            .map_err(|e| ToolError::invalid(format!("cidr_block: {e}")))?;

        let req = self
            .client
            .create_subnet()
            .vpc_id(&i.vpc_id)
            .cidr_block(&i.cidr_block)
            .set_availability_zone(i.availability_zone.clone())
            .set_tag_specifications(specs(
                ResourceType::Subnet,
                i.name.as_ref(),
                i.tags.as_ref(),
            ));
        let mut later = Vec::new();
        if let Some(v) = i.map_public_ip_on_launch {
            later.push(format!("set map_public_ip_on_launch to {v}"));
        }
        if let Some(t) = &i.route_table_id {
            later.push(format!("associate with {t}"));
        }
        let resp = send_first!(self, "create_subnet", req, later);
        let subnet = resp
            .subnet()
            .cloned()
            .unwrap_or_else(|| Subnet::builder().build());
        let id = subnet.subnet_id().unwrap_or_default().to_string();
        let mut data = subnet_summary(&subnet);
        if let Some(v) = i.map_public_ip_on_launch {
            self.client
                .modify_subnet_attribute()
                .subnet_id(&id)
                .map_public_ip_on_launch(AttributeBooleanValue::builder().value(v).build())
                .send()
                .await
                .map_err(|e| after(format!("created {id}"), ToolError::from_sdk(e)))?;
            data["map_public_ip_on_launch"] = json!(v);
        }
        if let Some(t) = &i.route_table_id {
            let r = self
                .client
                .associate_route_table()
                .route_table_id(t)
                .subnet_id(&id)
                .send()
                .await
                .map_err(|e| after(format!("created {id}"), ToolError::from_sdk(e)))?;
            data["route_table_id"] = json!(t);
            data["association_id"] = json!(r.association_id());
        }
        Ok(Output::new(
            format!(
                "Created {id} ({}) in {}{}.",
                i.cidr_block,
                subnet.availability_zone().unwrap_or("?"),
                i.route_table_id
                    .as_ref()
                    .map(|t| format!(", routed by {t}"))
                    .unwrap_or_default()
            ),
            data,
        ))
    }

    pub async fn delete_subnet(&self, subnet_id: &str) -> Result<Output, ToolError> {
        let req = self.client.delete_subnet().subnet_id(subnet_id);
        send!(self, "delete_subnet", req);
        Ok(Output::new(
            format!("Deleted {subnet_id}."),
            json!({ "deleted": subnet_id }),
        ))
    }

    pub async fn list_route_tables(&self, i: ListRouteTablesInput) -> Result<Output, ToolError> {
        let page = PageRequest::new(i.max_results, i.next_token.as_deref())?;
        let by_id = i.route_table_ids.is_some();
        let resp = self
            .client
            .describe_route_tables()
            .set_route_table_ids(i.route_table_ids)
            .set_filters(filters(
                [("vpc-id", i.vpc_id), ("association.subnet-id", i.subnet_id)],
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

    pub async fn create_route_table(&self, i: CreateRouteTableInput) -> Result<Output, ToolError> {
        let subnets = i.subnet_ids.clone().unwrap_or_default();
        let req = self
            .client
            .create_route_table()
            .vpc_id(&i.vpc_id)
            .set_tag_specifications(specs(
                ResourceType::RouteTable,
                i.name.as_ref(),
                i.tags.as_ref(),
            ));
        let later = subnets
            .iter()
            .map(|s| format!("associate with {s}"))
            .collect();
        let resp = send_first!(self, "create_route_table", req, later);
        let id = resp
            .route_table()
            .and_then(|t| t.route_table_id())
            .unwrap_or_default()
            .to_string();
        let mut associations = Vec::new();
        for s in &subnets {
            let r = self
                .client
                .associate_route_table()
                .route_table_id(&id)
                .subnet_id(s)
                .send()
                .await
                .map_err(|e| {
                    let done: Vec<&str> = associations
                        .iter()
                        .filter_map(|a: &Value| a["subnet_id"].as_str())
                        .collect();
                    let assoc = if done.is_empty() {
                        String::new()
                    } else {
                        format!(" and associated it with {}", done.join(", "))
                    };
                    after(format!("created {id}{assoc}"), ToolError::from_sdk(e))
                })?;
            associations.push(json!({"subnet_id": s, "association_id": r.association_id()}));
        }
        Ok(Output::new(
            format!(
                "Created {id} in {}{}.",
                i.vpc_id,
                if subnets.is_empty() {
                    String::new()
                } else {
                    format!(", associated with {}", subnets.join(", "))
                }
            ),
            json!({"route_table_id": id, "vpc_id": i.vpc_id, "associations": associations}),
        ))
    }

    pub async fn create_route(&self, i: CreateRouteInput) -> Result<Output, ToolError> {
        let dest = i.destination_cidr_block.as_str();
        let v6 = dest.contains(':');
        let target = i
            .gateway_id
            .as_ref()
            .or(i.nat_gateway_id.as_ref())
            .or(i.network_interface_id.as_ref())
            .or(i.vpc_peering_connection_id.as_ref())
            .or(i.transit_gateway_id.as_ref())
            .cloned()
            .unwrap_or_default();
        let mut req = self
            .client
            .create_route()
            .route_table_id(&i.route_table_id)
            .set_gateway_id(i.gateway_id)
            .set_nat_gateway_id(i.nat_gateway_id)
            .set_network_interface_id(i.network_interface_id)
            .set_vpc_peering_connection_id(i.vpc_peering_connection_id)
            .set_transit_gateway_id(i.transit_gateway_id);
        req = if v6 {
            req.destination_ipv6_cidr_block(dest)
        } else {
            req.destination_cidr_block(dest)
        };
        send!(self, "create_route", req);
        Ok(Output::new(
            format!("Added route {dest} → {target} to {}.", i.route_table_id),
            json!({"route_table_id": i.route_table_id, "destination": dest, "target": target}),
        ))
    }

    pub async fn delete_route(&self, i: DeleteRouteInput) -> Result<Output, ToolError> {
        let dest = i.destination_cidr_block.as_str();
        let mut req = self.client.delete_route().route_table_id(&i.route_table_id);
        req = if dest.contains(':') {
            req.destination_ipv6_cidr_block(dest)
        } else {
            req.destination_cidr_block(dest)
        };
        send!(self, "delete_route", req);
        Ok(Output::new(
            format!("Removed route {dest} from {}.", i.route_table_id),
            json!({"route_table_id": i.route_table_id, "deleted_destination": dest}),
        ))
    }

    pub async fn list_internet_gateways(
        &self,
        i: ListInternetGatewaysInput,
    ) -> Result<Output, ToolError> {
        let page = PageRequest::new(i.max_results, i.next_token.as_deref())?;
        let by_id = i.internet_gateway_ids.is_some();
        let resp = self
            .client
            .describe_internet_gateways()
            .set_internet_gateway_ids(i.internet_gateway_ids)
            .set_filters(filters([("attachment.vpc-id", i.vpc_id)], None))
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

    /// A VPC has at most one internet gateway, so an existing one is reported instead of
    /// creating a second that could not be attached.
    pub async fn create_internet_gateway(
        &self,
        i: CreateInternetGatewayInput,
    ) -> Result<Output, ToolError> {
        let existing = self
            .client
            .describe_internet_gateways()
            .filters(filter("attachment.vpc-id", [i.vpc_id.as_str()]))
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        if let Some(g) = existing.internet_gateways().first() {
            let gid = g.internet_gateway_id().unwrap_or("?");
            return Err(precondition(
                format!("{} already has internet gateway {gid} attached", i.vpc_id),
                format!("a VPC takes one internet gateway: route to {gid} with create_route"),
                json!({"vpc_id": i.vpc_id, "internet_gateway_id": gid}),
            ));
        }
        let req = self
            .client
            .create_internet_gateway()
            .set_tag_specifications(specs(
                ResourceType::InternetGateway,
                i.name.as_ref(),
                i.tags.as_ref(),
            ));
        let resp = send_first!(
            self,
            "create_internet_gateway",
            req,
            vec![format!("attach to {}", i.vpc_id)]
        );
        let gid = resp
            .internet_gateway()
            .and_then(|g| g.internet_gateway_id())
            .unwrap_or_default()
            .to_string();
        self.client
            .attach_internet_gateway()
            .internet_gateway_id(&gid)
            .vpc_id(&i.vpc_id)
            .send()
            .await
            .map_err(|e| {
                after(
                    format!("created {gid} (left unattached)"),
                    ToolError::from_sdk(e),
                )
            })?;
        Ok(Output::new(
            format!(
                "Created {gid} and attached it to {}; route 0.0.0.0/0 to it with create_route \
                 to make subnets public.",
                i.vpc_id
            ),
            json!({"internet_gateway_id": gid, "vpc_id": i.vpc_id, "attached": true}),
        ))
    }

    pub async fn list_nat_gateways(&self, i: ListNatGatewaysInput) -> Result<Output, ToolError> {
        let page = PageRequest::new(i.max_results, i.next_token.as_deref())?;
        let by_id = i.nat_gateway_ids.is_some();
        let mut f =
            filters([("vpc-id", i.vpc_id), ("subnet-id", i.subnet_id)], None).unwrap_or_default();
        if !by_id {
            f.push(filter(
                "state",
                ["pending", "available", "deleting", "failed"],
            ));
        }
        let resp = self
            .client
            .describe_nat_gateways()
            .set_nat_gateway_ids(i.nat_gateway_ids)
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

    /// A public NAT gateway needs an Elastic IP: without `allocation_id` one is allocated for
    /// it (and released again if the NAT gateway cannot be created).
    pub async fn create_nat_gateway(&self, i: CreateNatGatewayInput) -> Result<Output, ToolError> {
        let private = i.connectivity_type == Some(ConnectivityType::Private);
        let tags = specs(ResourceType::Natgateway, i.name.as_ref(), i.tags.as_ref());
        let mut allocated = None;
        let allocation_id = match (&i.allocation_id, private) {
            (Some(a), _) => Some(a.clone()),
            (None, true) => None,
            (None, false) => {
                let req = self
                    .client
                    .allocate_address()
                    .domain(DomainType::Vpc)
                    .set_tag_specifications(specs(
                        ResourceType::ElasticIp,
                        i.name.as_ref(),
                        i.tags.as_ref(),
                    ));
                let r = send_first!(
                    self,
                    "allocate_address",
                    req,
                    vec![format!("create the NAT gateway in {} with it", i.subnet_id)]
                );
                let id = r.allocation_id().unwrap_or_default().to_string();
                allocated = Some((id.clone(), r.public_ip().map(str::to_string)));
                Some(id)
            }
        };
        let req = self
            .client
            .create_nat_gateway()
            .subnet_id(&i.subnet_id)
            .set_allocation_id(allocation_id.clone())
            .connectivity_type(if private {
                SdkConnectivity::Private
            } else {
                SdkConnectivity::Public
            })
            .set_tag_specifications(tags);
        let sent = req.dry_run(self.dry_run).send().await;
        let resp = match dry_run_outcome(self.dry_run, "create_nat_gateway", sent) {
            Ok(Sent::Done(r)) => r,
            Ok(Sent::DryRun(out)) => return Ok(out),
            Err(e) => {
                let Some((id, _)) = &allocated else {
                    return Err(e);
                };
                let undo = self.client.release_address().allocation_id(id).send().await;
                let note = match undo {
                    Ok(_) => format!("allocated {id} for it and released it again"),
                    Err(_) => format!("allocated {id} for it and could not release it"),
                };
                return Err(after(note, e));
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
                i.subnet_id,
                data["state"].as_str().unwrap_or("pending")
            ),
            data,
        ))
    }

    /// Its Elastic IP stays allocated (and billed) until released; the result names it.
    pub async fn delete_nat_gateway(&self, nat_gateway_id: &str) -> Result<Output, ToolError> {
        let before = self
            .client
            .describe_nat_gateways()
            .nat_gateway_ids(nat_gateway_id)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let allocations: Vec<String> = before
            .nat_gateways()
            .iter()
            .flat_map(|n| n.nat_gateway_addresses())
            .filter_map(|a| a.allocation_id().map(str::to_string))
            .collect();
        let req = self
            .client
            .delete_nat_gateway()
            .nat_gateway_id(nat_gateway_id);
        send!(self, "delete_nat_gateway", req);
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
            format!("Deleting {nat_gateway_id}.{note}"),
            json!({"deleting": nat_gateway_id, "elastic_ip_allocation_ids": allocations}),
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

fn subnet_summary(s: &Subnet) -> Value {
    let mut v = json!({
        "subnet_id": s.subnet_id(),
        "vpc_id": s.vpc_id(),
        "cidr_block": s.cidr_block(),
        "availability_zone": s.availability_zone(),
        "available_ips": s.available_ip_address_count(),
        "map_public_ip_on_launch": s.map_public_ip_on_launch(),
        "state": s.state().map(|x| x.as_str()),
    });
    tag_fields(&mut v, s.tags());
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
