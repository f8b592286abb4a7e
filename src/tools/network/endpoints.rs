//! VPC endpoints (gateway and interface) and flow logs.

use aws_sdk_ec2::types::{
    FlowLogsResourceType, LogDestinationType, ResourceType, State, TrafficType as SdkTrafficType,
    VpcEndpoint, VpcEndpointType,
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Network, call_specs, ec2_targets, filters, tag_fields};
use crate::{
    aws::{
        ec2::send,
        outcome::{CALL_TAG, call_token},
        outcome::{Check, unknown_outcome_with_token},
        paging::PageRequest,
    },
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, DryRun, Risk, Tags, Target},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EndpointType {
    Gateway,
    Interface,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrafficType {
    All,
    Accept,
    Reject,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListVpcEndpoints {
    pub vpc_id: Option<String>,
    pub vpc_endpoint_ids: Option<Vec<String>>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListVpcEndpoints {
    const NAME: &'static str = "list_vpc_endpoints";
    const DESCRIPTION: &'static str = "List VPC endpoints";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        ec2_targets(self.vpc_endpoint_ids.iter().flatten())
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let net = Network::of(cx).await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let by_id = self.vpc_endpoint_ids.is_some();
        let resp = net
            .client
            .describe_vpc_endpoints()
            .set_vpc_endpoint_ids(self.vpc_endpoint_ids)
            .set_filters(filters([("vpc-id", self.vpc_id)], None))
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
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateVpcEndpoint {
    pub vpc_id: String,
    /// e.g. s3 or com.amazonaws.REGION.s3
    pub service_name: String,
    pub vpc_endpoint_type: Option<EndpointType>,
    pub route_table_ids: Option<Vec<String>>,
    pub subnet_ids: Option<Vec<String>>,
    pub security_group_ids: Option<Vec<String>>,
    pub private_dns_enabled: Option<bool>,
    pub name: Option<String>,
    pub tags: Option<Tags>,
}

impl Action for CreateVpcEndpoint {
    const NAME: &'static str = "create_vpc_endpoint";
    const DESCRIPTION: &'static str = "Create a gateway or interface endpoint";
    const ACCESS: Access = Access::Write;
    // It adds a private path to a service; traffic that went through gateways still works.
    const RISK: Risk = Risk::Medium;
    const DRY_RUN: DryRun = DryRun::Native;

    fn validate(&self) -> Result<(), ToolError> {
        let kind = endpoint_type(&self.service_name, self.vpc_endpoint_type);
        let has = |v: &Option<Vec<String>>| v.as_ref().is_some_and(|v| !v.is_empty());
        match kind {
            EndpointType::Gateway if has(&self.subnet_ids) || has(&self.security_group_ids) => {
                Err(ToolError::invalid(
                    "a gateway endpoint takes route_table_ids, not subnet_ids or \
                     security_group_ids; use vpc_endpoint_type interface for those",
                ))
            }
            EndpointType::Interface if has(&self.route_table_ids) => Err(ToolError::invalid(
                "an interface endpoint takes subnet_ids (and security_group_ids), not \
                 route_table_ids",
            )),
            EndpointType::Interface if !has(&self.subnet_ids) => Err(ToolError::invalid(
                "an interface endpoint needs subnet_ids (one subnet per AZ to serve)",
            )),
            _ => Ok(()),
        }
    }

    /// The VPC, and the route tables (gateway endpoints add routes to them) or subnets
    /// (interface endpoints put interfaces in them) it uses.
    fn targets(&self) -> Vec<Target> {
        let vpc = Target::ec2(&self.vpc_id);
        std::iter::once(vpc.clone())
            .chain(
                self.route_table_ids
                    .iter()
                    .chain(&self.subnet_ids)
                    .flatten()
                    .map(|id| Target::ec2(id).in_parent(vpc.clone())),
            )
            .collect()
    }

    /// Short service names ("s3") become the region's full name (com.amazonaws.REGION.s3).
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let net = Network::of(cx).await;
        let kind = endpoint_type(&self.service_name, self.vpc_endpoint_type);
        let service = if self.service_name.contains('.') {
            self.service_name.clone()
        } else {
            let region = net
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
            format!("com.amazonaws.{region}.{}", self.service_name)
        };
        // CreateVpcEndpoint takes a ClientToken (the SDK does not fill it in): one per call,
        // repeated by the SDK's retries.
        let token = call_token();
        let req = net
            .client
            .create_vpc_endpoint()
            .vpc_id(&self.vpc_id)
            .service_name(&service)
            .vpc_endpoint_type(match kind {
                EndpointType::Gateway => VpcEndpointType::Gateway,
                EndpointType::Interface => VpcEndpointType::Interface,
            })
            .set_route_table_ids(self.route_table_ids.clone())
            .set_subnet_ids(self.subnet_ids.clone())
            .set_security_group_ids(self.security_group_ids.clone())
            .set_private_dns_enabled(match kind {
                EndpointType::Interface => Some(self.private_dns_enabled.unwrap_or(true)),
                EndpointType::Gateway => None,
            })
            .client_token(&token)
            .set_tag_specifications(call_specs(
                ResourceType::VpcEndpoint,
                self.name.as_ref(),
                self.tags.as_ref(),
                &token,
            ));
        let check = Check {
            tool: "aws_network",
            action: "list_vpc_endpoints",
            arguments: json!({"vpc_id": self.vpc_id}),
            look_for: format!("an endpoint to {service} tagged {CALL_TAG}={token}"),
        };
        let r = send!(net, "create_vpc_endpoint", req, lost: |cause| {
            unknown_outcome_with_token("CreateVpcEndpoint", "the endpoint", cause, check, &token)
        });
        let ep = r
            .vpc_endpoint()
            .cloned()
            .unwrap_or_else(|| VpcEndpoint::builder().build());
        let id = ep.vpc_endpoint_id().unwrap_or_default();
        let where_ = match kind {
            EndpointType::Gateway => format!(
                "routed from {}",
                self.route_table_ids
                    .as_deref()
                    .filter(|t| !t.is_empty())
                    .map(|t| t.join(", "))
                    .unwrap_or_else(|| "no route table yet".into())
            ),
            EndpointType::Interface => format!(
                "in {}",
                self.subnet_ids.as_deref().unwrap_or_default().join(", ")
            ),
        };
        Ok(Output::new(
            format!(
                "Created {} endpoint {id} to {service} in {}, {where_}.",
                match kind {
                    EndpointType::Gateway => "gateway",
                    EndpointType::Interface => "interface",
                },
                self.vpc_id
            ),
            endpoint_summary(&ep),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigureFlowLogs {
    /// VPC, subnet or ENI ids
    pub resource_ids: Vec<String>,
    pub traffic_type: Option<TrafficType>,
    pub log_group_name: Option<String>,
    pub deliver_logs_permission_arn: Option<String>,
    pub s3_bucket_arn: Option<String>,
    pub tags: Option<Tags>,
}

impl Action for ConfigureFlowLogs {
    const NAME: &'static str = "configure_flow_logs";
    const DESCRIPTION: &'static str = "Send flow logs to CloudWatch Logs or S3";
    const ACCESS: Access = Access::Write;
    // It records traffic; it changes none (delivery costs money).
    const RISK: Risk = Risk::Medium;
    const DRY_RUN: DryRun = DryRun::Native;

    fn validate(&self) -> Result<(), ToolError> {
        let invalid = |m: &str| Err(ToolError::invalid(m));
        let Some(first) = self.resource_ids.first() else {
            return invalid(
                "configure_flow_logs needs resource_ids (VPC, subnet or interface ids)",
            );
        };
        if flow_log_resource_type(first).is_none() {
            return invalid(
                "resource_ids must be VPC (vpc-), subnet (subnet-) or interface (eni-) ids",
            );
        }
        let kind = |id: &str| id.split('-').next().unwrap_or("").to_string();
        if self.resource_ids.iter().any(|id| kind(id) != kind(first)) {
            return invalid("resource_ids must all be of one kind: VPCs, subnets or interfaces");
        }
        let cloudwatch =
            self.log_group_name.is_some() || self.deliver_logs_permission_arn.is_some();
        match (cloudwatch, &self.s3_bucket_arn) {
            (true, Some(_)) | (false, None) => invalid(
                "configure_flow_logs needs one destination: log_group_name with \
                 deliver_logs_permission_arn (CloudWatch Logs), or s3_bucket_arn",
            ),
            (true, None)
                if self.log_group_name.is_none() || self.deliver_logs_permission_arn.is_none() =>
            {
                invalid(
                    "CloudWatch Logs delivery needs both log_group_name and \
                     deliver_logs_permission_arn (an IAM role flow logs can assume)",
                )
            }
            (true, None)
                if !self
                    .deliver_logs_permission_arn
                    .as_deref()
                    .is_some_and(is_role_arn) =>
            {
                invalid(
                    "deliver_logs_permission_arn must be an IAM role ARN, e.g. \
                     arn:aws:iam::123456789012:role/flow-logs",
                )
            }
            (false, Some(arn)) if !(arn.starts_with("arn:aws") && arn.contains(":s3:::")) => {
                invalid("s3_bucket_arn must be an S3 bucket ARN, e.g. arn:aws:s3:::my-logs")
            }
            _ => Ok(()),
        }
    }

    fn targets(&self) -> Vec<Target> {
        ec2_targets(&self.resource_ids)
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let net = Network::of(cx).await;
        let first = self.resource_ids.first().map(String::as_str).unwrap_or("");
        let kind = flow_log_resource_type(first).ok_or_else(|| {
            ToolError::invalid("resource_ids must be VPC, subnet or network interface ids")
        })?;
        let traffic = match self.traffic_type.unwrap_or(TrafficType::All) {
            TrafficType::All => SdkTrafficType::All,
            TrafficType::Accept => SdkTrafficType::Accept,
            TrafficType::Reject => SdkTrafficType::Reject,
        };
        // CreateFlowLogs takes a ClientToken (the SDK does not fill it in): one per call,
        // repeated by the SDK's retries.
        let token = call_token();
        let mut req = net
            .client
            .create_flow_logs()
            .set_resource_ids(Some(self.resource_ids.clone()))
            .resource_type(kind)
            .traffic_type(traffic)
            .client_token(&token)
            .set_tag_specifications(call_specs(
                ResourceType::VpcFlowLog,
                None,
                self.tags.as_ref(),
                &token,
            ));
        let destination = match &self.s3_bucket_arn {
            Some(arn) => {
                req = req
                    .log_destination_type(LogDestinationType::S3)
                    .log_destination(arn);
                arn.clone()
            }
            None => {
                req = req
                    .log_destination_type(LogDestinationType::CloudWatchLogs)
                    .set_log_group_name(self.log_group_name.clone())
                    .set_deliver_logs_permission_arn(self.deliver_logs_permission_arn.clone());
                format!(
                    "CloudWatch Logs group {}",
                    self.log_group_name.as_deref().unwrap_or("?")
                )
            }
        };
        // aws_network has no flow-log list: the check is the EC2 API's own.
        let check = Check {
            tool: "aws ec2 (CLI)",
            action: "describe-flow-logs",
            arguments: json!({"--filter": format!("Name=tag:{CALL_TAG},Values={token}")}),
            look_for: format!("flow logs of {}", self.resource_ids.join(", ")),
        };
        let resp = send!(net, "create_flow_logs", req, lost: |cause| {
            unknown_outcome_with_token("CreateFlowLogs", "the flow logs", cause, check, &token)
        });
        let failed: Vec<Value> = resp
            .unsuccessful()
            .iter()
            .map(|u| {
                json!({
                    "resource_id": u.resource_id(),
                    "code": u.error().and_then(|e| e.code()),
                    "message": u.error().and_then(|e| e.message()),
                })
            })
            .collect();
        let ids = resp.flow_log_ids();
        if ids.is_empty() && !failed.is_empty() {
            let first = &failed[0];
            return Err(ToolError::Aws {
                code: first["code"].as_str().unwrap_or("Unknown").to_string(),
                message: format!(
                    "no flow log was created: {}",
                    failed
                        .iter()
                        .map(|f| format!(
                            "{}: {}",
                            f["resource_id"].as_str().unwrap_or("?"),
                            f["message"].as_str().unwrap_or("")
                        ))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                hint: Some(
                    "check that the destination exists (log group or bucket) and that the role \
                     or bucket policy lets flow logs deliver to it"
                        .into(),
                ),
            });
        }
        let mut summary = format!(
            "Flow logs on for {} resource(s), to {destination}.",
            ids.len()
        );
        if !failed.is_empty() {
            summary.push_str(&format!(" {} resource(s) failed.", failed.len()));
        }
        Ok(Output::new(
            summary,
            json!({"flow_log_ids": ids, "destination": destination, "unsuccessful": failed}),
        ))
    }
}

/// The endpoint type a call asks for: as given, else gateway for S3 and DynamoDB (the services
/// that have gateway endpoints) and interface for the rest.
pub fn endpoint_type(service_name: &str, given: Option<EndpointType>) -> EndpointType {
    given.unwrap_or_else(|| {
        let short = service_name.rsplit('.').next().unwrap_or(service_name);
        if short == "s3" || short == "dynamodb" {
            EndpointType::Gateway
        } else {
            EndpointType::Interface
        }
    })
}

/// The flow-log resource type of an id, from its prefix.
fn flow_log_resource_type(id: &str) -> Option<FlowLogsResourceType> {
    match id.split('-').next() {
        Some("vpc") => Some(FlowLogsResourceType::Vpc),
        Some("subnet") => Some(FlowLogsResourceType::Subnet),
        Some("eni") => Some(FlowLogsResourceType::NetworkInterface),
        _ => None,
    }
}

fn is_role_arn(arn: &str) -> bool {
    arn.starts_with("arn:aws") && arn.contains(":iam::") && arn.contains(":role/")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_type_defaults() {
        assert_eq!(endpoint_type("s3", None), EndpointType::Gateway);
        assert_eq!(
            endpoint_type("com.amazonaws.eu-west-1.dynamodb", None),
            EndpointType::Gateway
        );
        assert_eq!(endpoint_type("ssm", None), EndpointType::Interface);
        assert_eq!(
            endpoint_type("s3", Some(EndpointType::Interface)),
            EndpointType::Interface
        );
    }
}
