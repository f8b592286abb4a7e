//! Elastic IPs and VPC endpoints.

use aws_sdk_ec2::types::{Address, DomainType, ResourceType, State, VpcEndpoint, VpcEndpointType};
use serde_json::{Value, json};

use super::{Network, filters, specs, tag_fields};
use crate::{
    aws::paging::PageRequest,
    error::ToolError,
    output::Output,
    services::ec2::{Sent, dry_run_outcome, send},
    tools::network::{
        AllocateElasticIpInput, AssociateElasticIpInput, CreateVpcEndpointInput, EndpointType,
        ListElasticIpsInput, ListVpcEndpointsInput, endpoint_type,
    },
};

impl Network<'_> {
    /// DescribeAddresses has no pages: AWS returns every address, and the page is cut here.
    pub async fn list_elastic_ips(&self, i: ListElasticIpsInput) -> Result<Output, ToolError> {
        let page = PageRequest::new(i.max_results, i.next_token.as_deref())?;
        let resp = self
            .client
            .describe_addresses()
            .set_allocation_ids(i.allocation_ids)
            .set_filters(filters([], i.tags.as_ref()))
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let all: Vec<Value> = resp.addresses().iter().map(address_summary).collect();
        let (items, next) = page.finish(all, None);
        let unused = items
            .iter()
            .filter(|a| a["association_id"].is_null())
            .count();
        Ok(Output::new(
            format!(
                "{} Elastic IP(s); {unused} not associated (billed while idle).",
                items.len()
            ),
            json!({ "elastic_ips": items }),
        )
        .with_next_token(next))
    }

    pub async fn allocate_elastic_ip(
        &self,
        i: AllocateElasticIpInput,
    ) -> Result<Output, ToolError> {
        let req = self
            .client
            .allocate_address()
            .domain(DomainType::Vpc)
            .set_tag_specifications(specs(
                ResourceType::ElasticIp,
                i.name.as_ref(),
                i.tags.as_ref(),
            ));
        let r = send!(self, "allocate_address", req);
        Ok(Output::new(
            format!(
                "Allocated {} ({}).",
                r.public_ip().unwrap_or("?"),
                r.allocation_id().unwrap_or("?")
            ),
            json!({"allocation_id": r.allocation_id(), "public_ip": r.public_ip()}),
        ))
    }

    pub async fn associate_elastic_ip(
        &self,
        i: AssociateElasticIpInput,
    ) -> Result<Output, ToolError> {
        let to = i
            .instance_id
            .clone()
            .or(i.network_interface_id.clone())
            .unwrap_or_default();
        let req = self
            .client
            .associate_address()
            .allocation_id(&i.allocation_id)
            .set_instance_id(i.instance_id)
            .set_network_interface_id(i.network_interface_id)
            .set_private_ip_address(i.private_ip_address)
            .allow_reassociation(i.allow_reassociation.unwrap_or(false));
        let r = send!(self, "associate_address", req);
        Ok(Output::new(
            format!("Associated {} with {to}.", i.allocation_id),
            json!({"allocation_id": i.allocation_id, "association_id": r.association_id(), "associated_with": to}),
        ))
    }

    pub async fn release_elastic_ip(&self, allocation_id: &str) -> Result<Output, ToolError> {
        let req = self.client.release_address().allocation_id(allocation_id);
        send!(self, "release_address", req);
        Ok(Output::new(
            format!("Released {allocation_id}."),
            json!({ "released": allocation_id }),
        ))
    }

    pub async fn list_vpc_endpoints(&self, i: ListVpcEndpointsInput) -> Result<Output, ToolError> {
        let page = PageRequest::new(i.max_results, i.next_token.as_deref())?;
        let by_id = i.vpc_endpoint_ids.is_some();
        let resp = self
            .client
            .describe_vpc_endpoints()
            .set_vpc_endpoint_ids(i.vpc_endpoint_ids)
            .set_filters(filters([("vpc-id", i.vpc_id)], None))
            .set_max_results((!by_id).then(|| page.aws_page_size(5, 1000)))
            .set_next_token(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let all: Vec<Value> = resp
            .vpc_endpoints()
            .iter()
            .filter(|e| by_id || !matches!(e.state(), Some(State::Deleted)))
            .map(endpoint_summary)
            .collect();
        let (items, next) = page.finish(all, resp.next_token().map(str::to_string));
        Ok(Output::new(
            format!("{} VPC endpoint(s).", items.len()),
            json!({ "vpc_endpoints": items }),
        )
        .with_next_token(next))
    }

    /// Short service names ("s3") become the region's full name (com.amazonaws.REGION.s3).
    pub async fn create_vpc_endpoint(
        &self,
        i: CreateVpcEndpointInput,
    ) -> Result<Output, ToolError> {
        let kind = endpoint_type(&i.service_name, i.vpc_endpoint_type);
        let service = if i.service_name.contains('.') {
            i.service_name.clone()
        } else {
            let region = self
                .client
                .config()
                .region()
                .map(|r| r.to_string())
                .ok_or_else(|| {
                    ToolError::invalid(
                        "no region is set: give the full service_name (com.amazonaws.REGION.s3) \
                         or a region",
                    )
                })?;
            format!("com.amazonaws.{region}.{}", i.service_name)
        };
        let req = self
            .client
            .create_vpc_endpoint()
            .vpc_id(&i.vpc_id)
            .service_name(&service)
            .vpc_endpoint_type(match kind {
                EndpointType::Gateway => VpcEndpointType::Gateway,
                EndpointType::Interface => VpcEndpointType::Interface,
            })
            .set_route_table_ids(i.route_table_ids.clone())
            .set_subnet_ids(i.subnet_ids.clone())
            .set_security_group_ids(i.security_group_ids.clone())
            .set_private_dns_enabled(match kind {
                EndpointType::Interface => Some(i.private_dns_enabled.unwrap_or(true)),
                EndpointType::Gateway => None,
            })
            .set_tag_specifications(specs(
                ResourceType::VpcEndpoint,
                i.name.as_ref(),
                i.tags.as_ref(),
            ));
        let r = send!(self, "create_vpc_endpoint", req);
        let ep = r
            .vpc_endpoint()
            .cloned()
            .unwrap_or_else(|| VpcEndpoint::builder().build());
        let id = ep.vpc_endpoint_id().unwrap_or_default();
        let where_ = match kind {
            EndpointType::Gateway => format!(
                "routed from {}",
                i.route_table_ids
                    .as_deref()
                    .filter(|t| !t.is_empty())
                    .map(|t| t.join(", "))
                    .unwrap_or_else(|| "no route table yet".into())
            ),
            EndpointType::Interface => format!(
                "in {}",
                i.subnet_ids.as_deref().unwrap_or_default().join(", ")
            ),
        };
        Ok(Output::new(
            format!(
                "Created {} endpoint {id} to {service} in {}, {where_}.",
                match kind {
                    EndpointType::Gateway => "gateway",
                    EndpointType::Interface => "interface",
                },
                i.vpc_id
            ),
            endpoint_summary(&ep),
        ))
    }
}

pub(super) fn endpoint_summary(e: &VpcEndpoint) -> Value {
    let mut v = json!({
        "vpc_endpoint_id": e.vpc_endpoint_id(),
        "vpc_endpoint_type": e.vpc_endpoint_type().map(|t| t.as_str()),
        "service_name": e.service_name(),
        "vpc_id": e.vpc_id(),
        "state": e.state().map(|s| s.as_str()),
    });
    if !e.route_table_ids().is_empty() {
        v["route_table_ids"] = json!(e.route_table_ids());
    }
    if !e.subnet_ids().is_empty() {
        v["subnet_ids"] = json!(e.subnet_ids());
        v["private_dns_enabled"] = json!(e.private_dns_enabled());
    }
    tag_fields(&mut v, e.tags());
    v
}

fn address_summary(a: &Address) -> Value {
    let mut v = json!({
        "allocation_id": a.allocation_id(),
        "public_ip": a.public_ip(),
        "association_id": a.association_id(),
        "instance_id": a.instance_id().filter(|i| !i.is_empty()),
        "network_interface_id": a.network_interface_id(),
        "private_ip": a.private_ip_address(),
    });
    tag_fields(&mut v, a.tags());
    v
}
