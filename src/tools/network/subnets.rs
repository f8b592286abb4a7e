//! Subnets: list, create (the block checked against the VPC and its subnets first), delete.

use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, Subnet};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Network, by_call_tag, call_specs, ec2_targets, filters, send_first, tag_fields};
use crate::{
    aws::{
        ec2::{filter, once_sent, send},
        outcome::call_token,
        outcome::{step_failed, unknown_outcome},
        paging::{AllItems, PageRequest},
    },
    cidr::{self, Ipv4Cidr},
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, DryRun, Risk, Tags, Target},
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListSubnets {
    pub vpc_id: Option<String>,
    pub subnet_ids: Option<Vec<String>>,
    pub availability_zone: Option<String>,
    pub tags: Option<Tags>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListSubnets {
    const NAME: &'static str = "list_subnets";
    const DESCRIPTION: &'static str = "List subnets with free IPs";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        ec2_targets(self.subnet_ids.iter().flatten())
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let net = Network::of(cx).await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let by_id = self.subnet_ids.is_some();
        let resp = net
            .client
            .describe_subnets()
            .set_subnet_ids(self.subnet_ids)
            .set_filters(filters(
                [
                    ("vpc-id", self.vpc_id),
                    ("availability-zone", self.availability_zone),
                ],
                self.tags.as_ref(),
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
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSubnet {
    pub vpc_id: String,
    pub cidr_block: String,
    pub availability_zone: Option<String>,
    pub map_public_ip_on_launch: Option<bool>,
    pub route_table_id: Option<String>,
    pub name: Option<String>,
    pub tags: Option<Tags>,
}

impl Action for CreateSubnet {
    const NAME: &'static str = "create_subnet";
    const DESCRIPTION: &'static str = "Create a subnet, CIDR checked first";
    const ACCESS: Access = Access::Write;
    // A new subnet carries no traffic yet, even when it joins a route table.
    const RISK: Risk = Risk::Medium;
    const DRY_RUN: DryRun = DryRun::Native;

    fn validate(&self) -> Result<(), ToolError> {
        cidr::vpc_block("cidr_block", &self.cidr_block)
            .map(|_| ())
            .map_err(ToolError::invalid)
    }

    /// The VPC, and the route table the subnet joins (in that VPC).
    fn targets(&self) -> Vec<Target> {
        let vpc = Target::ec2(&self.vpc_id);
        let mut targets = vec![vpc.clone()];
        targets.extend(
            self.route_table_id
                .iter()
                .map(|t| Target::ec2(t).in_parent(vpc.clone())),
        );
        targets
    }

    /// Checks the block against the VPC's range and its subnets before creating anything,
    /// then sets the public-IP attribute and the route table association.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let net = Network::of(cx).await;
        let want = cidr::vpc_block("cidr_block", &self.cidr_block).map_err(ToolError::invalid)?;
        let vpc = net.vpc(&self.vpc_id).await?;
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
        let existing: Vec<(String, Ipv4Cidr)> = net
            .client
            .describe_subnets()
            .filters(filter("vpc-id", [self.vpc_id.as_str()]))
            .into_paginator()
            .items()
            .send()
            .all()
            .await?
            .iter()
            .filter_map(|s| Some((s.subnet_id()?.to_string(), s.cidr_block()?.parse().ok()?)))
            .collect();
        cidr::subnet_fit(want, &self.vpc_id, &blocks, &existing)
            .map_err(|e| ToolError::invalid(format!("cidr_block: {e}")))?;

        // CreateSubnet takes no idempotency token: sent once, tagged with the call's token.
        let token = call_token();
        let req = net
            .client
            .create_subnet()
            .vpc_id(&self.vpc_id)
            .cidr_block(&self.cidr_block)
            .set_availability_zone(self.availability_zone.clone())
            .set_tag_specifications(call_specs(
                ResourceType::Subnet,
                self.name.as_ref(),
                self.tags.as_ref(),
                &token,
            ));
        let mut later = Vec::new();
        if let Some(v) = self.map_public_ip_on_launch {
            later.push(format!("set map_public_ip_on_launch to {v}"));
        }
        if let Some(t) = &self.route_table_id {
            later.push(format!("associate with {t}"));
        }
        let check = by_call_tag(
            "list_subnets",
            json!({"vpc_id": self.vpc_id}),
            &token,
            &format!("a subnet with {}", self.cidr_block),
        );
        let resp = send_first!(net, "create_subnet", req, later.clone(), once: |cause| {
            unknown_outcome("CreateSubnet", "the subnet", cause, check)
        });
        let subnet = resp
            .subnet()
            .cloned()
            .unwrap_or_else(|| Subnet::builder().build());
        let id = subnet.subnet_id().unwrap_or_default().to_string();
        let mut data = subnet_summary(&subnet);
        let mut done = vec![format!("created {id} ({})", self.cidr_block)];
        let hint = |what: &str| {
            format!(
                "{id} exists{what}; finish it in the console or with the AWS CLI, or delete it \
                 with aws_network delete_subnet and call create_subnet again"
            )
        };
        if let Some(v) = self.map_public_ip_on_launch {
            if let Err(e) = net
                .client
                .modify_subnet_attribute()
                .subnet_id(&id)
                .map_public_ip_on_launch(AttributeBooleanValue::builder().value(v).build())
                .send()
                .await
            {
                return Err(step_failed(
                    &done,
                    &later[0],
                    e,
                    json!({"subnet_id": id}),
                    &later,
                    hint(" with map_public_ip_on_launch unchanged"),
                ));
            }
            data["map_public_ip_on_launch"] = json!(v);
            done.push(later.remove(0));
        }
        if let Some(t) = &self.route_table_id {
            // A subnet takes one association: a repeat after a lost answer would fail, so it is
            // sent once.
            match net
                .client
                .associate_route_table()
                .route_table_id(t)
                .subnet_id(&id)
                .customize()
                .config_override(once_sent())
                .send()
                .await
            {
                Ok(r) => {
                    data["route_table_id"] = json!(t);
                    data["association_id"] = json!(r.association_id());
                }
                Err(e) => {
                    return Err(step_failed(
                        &done,
                        &later[0],
                        e,
                        json!({"subnet_id": id}),
                        &later,
                        hint(&format!(
                            " and uses the VPC's main route table unless list_route_tables \
                             subnet_id {id} shows it in {t}"
                        )),
                    ));
                }
            }
        }
        Ok(Output::new(
            format!(
                "Created {id} ({}) in {}{}.",
                self.cidr_block,
                subnet.availability_zone().unwrap_or("?"),
                self.route_table_id
                    .as_ref()
                    .map(|t| format!(", routed by {t}"))
                    .unwrap_or_default()
            ),
            data,
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteSubnet {
    pub subnet_id: String,
}

impl Action for DeleteSubnet {
    const NAME: &'static str = "delete_subnet";
    const DESCRIPTION: &'static str = "Delete an empty subnet";
    const ACCESS: Access = Access::Destructive;
    // AWS refuses while anything runs in it, so nothing running is lost; but what was planned
    // around it (route table associations, its CIDR) is.
    const RISK: Risk = Risk::High;
    const DRY_RUN: DryRun = DryRun::Native;

    fn targets(&self) -> Vec<Target> {
        vec![Target::ec2(&self.subnet_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let net = Network::of(cx).await;
        let req = net.client.delete_subnet().subnet_id(&self.subnet_id);
        send!(net, "delete_subnet", req);
        Ok(Output::new(
            format!("Deleted {}.", self.subnet_id),
            json!({ "deleted": self.subnet_id }),
        ))
    }
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
