//! `aws_network`: VPCs, subnets, routing, gateways, network ACLs, endpoints, flow logs, security
//! groups and Elastic IPs. The input structs are in `inputs.rs`.

mod inputs;

use serde_json::{Map, Value};

pub use self::inputs::*;
use crate::{
    actions,
    cidr::{self, AnyCidr},
    error::ToolError,
    output::Output,
    registry::{Access, BoxFuture, ExecCtx, Prepared, Target, ToolDef},
    services::network as svc,
};

pub static TOOL: ToolDef = ToolDef {
    name: "aws_network",
    toolset: "network",
    description: "Amazon VPC networking. VPCs: list_vpcs, get_vpc (with its subnets, route \
tables, gateways and endpoints), create_vpc, delete_vpc (names what still depends on it). \
Subnets: list_subnets, create_subnet (CIDR checked against the VPC and its subnets), \
delete_subnet. Routing: list_route_tables, create_route_table (optionally associated with \
subnets), create_route, delete_route. Gateways: list_internet_gateways, create_internet_gateway \
(creates and attaches), list_nat_gateways, create_nat_gateway (allocates an Elastic IP when none \
is given), delete_nat_gateway. Network ACLs: list_network_acls, create_nacl_entry, \
delete_nacl_entry. Endpoints and logs: list_vpc_endpoints, create_vpc_endpoint (gateway or \
interface), configure_flow_logs (CloudWatch Logs or S3). Security groups: list_security_groups, \
create_security_group, authorize_security_group (rules open to the internet on ports other than \
80/443 are flagged), revoke_security_group. Elastic IPs: list_elastic_ips, allocate_elastic_ip, \
associate_elastic_ip, release_elastic_ip. Destructive actions return a plan and a confirm_token \
first; dry_run asks AWS to validate a change without making it.",
    actions: NetworkAction::specs,
    prepare,
};

actions! {
    NetworkAction, NetworkRequest;
    ListVpcs("list_vpcs", ListVpcsInput): "List VPCs with their CIDR blocks and state";
    GetVpc("get_vpc", VpcIdInput):
        "Show one VPC with its subnets, route tables, gateways and endpoints summarised";
    CreateVpc("create_vpc", CreateVpcInput):
        "Create a VPC with a CIDR block, DNS settings and tags";
    DeleteVpc("delete_vpc", DeleteVpcInput):
        "Delete a VPC; refuses with the list of what still depends on it unless \
         delete_dependencies removes its subnets, route tables, gateways, gateway endpoints, \
         security groups and ACLs too";
    ListSubnets("list_subnets", ListSubnetsInput): "List subnets with AZ, CIDR and free addresses";
    CreateSubnet("create_subnet", CreateSubnetInput):
        "Create a subnet (CIDR checked against the VPC), optionally public and associated with a route table";
    DeleteSubnet("delete_subnet", SubnetIdInput): "Delete a subnet";
    ListRouteTables("list_route_tables", ListRouteTablesInput):
        "List route tables with their routes and subnet associations";
    CreateRouteTable("create_route_table", CreateRouteTableInput):
        "Create a route table, optionally associated with subnets";
    CreateRoute("create_route", CreateRouteInput):
        "Add a route to a gateway, NAT gateway, interface, peering or transit gateway";
    DeleteRoute("delete_route", DeleteRouteInput): "Remove a route from a route table";
    ListInternetGateways("list_internet_gateways", ListInternetGatewaysInput):
        "List internet gateways and the VPCs they are attached to";
    CreateInternetGateway("create_internet_gateway", CreateInternetGatewayInput):
        "Create an internet gateway and attach it to a VPC";
    ListNatGateways("list_nat_gateways", ListNatGatewaysInput):
        "List NAT gateways with their subnets and addresses";
    CreateNatGateway("create_nat_gateway", CreateNatGatewayInput):
        "Create a NAT gateway in a subnet, allocating an Elastic IP when none is given";
    DeleteNatGateway("delete_nat_gateway", NatGatewayIdInput):
        "Delete a NAT gateway (its Elastic IP stays allocated)";
    ListNetworkAcls("list_network_acls", ListNetworkAclsInput):
        "List network ACLs with their entries and subnets";
    CreateNaclEntry("create_nacl_entry", CreateNaclEntryInput):
        "Add an allow or deny entry to a network ACL";
    DeleteNaclEntry("delete_nacl_entry", DeleteNaclEntryInput):
        "Remove an entry from a network ACL";
    ListVpcEndpoints("list_vpc_endpoints", ListVpcEndpointsInput): "List VPC endpoints";
    CreateVpcEndpoint("create_vpc_endpoint", CreateVpcEndpointInput):
        "Create a gateway (S3, DynamoDB) or interface endpoint to an AWS service";
    ConfigureFlowLogs("configure_flow_logs", ConfigureFlowLogsInput):
        "Turn on flow logs for VPCs, subnets or interfaces, to CloudWatch Logs or S3";
    ListSecurityGroups("list_security_groups", ListSecurityGroupsInput):
        "List security groups with their inbound and outbound rules";
    CreateSecurityGroup("create_security_group", CreateSecurityGroupInput):
        "Create a security group in a VPC";
    AuthorizeSecurityGroup("authorize_security_group", SecurityGroupRuleInput):
        "Add an inbound or outbound rule; opening a port other than 80/443 to the internet is flagged";
    RevokeSecurityGroup("revoke_security_group", SecurityGroupRuleInput):
        "Remove an inbound or outbound rule";
    ListElasticIps("list_elastic_ips", ListElasticIpsInput):
        "List Elastic IPs and what they are associated with";
    AllocateElasticIp("allocate_elastic_ip", AllocateElasticIpInput): "Allocate an Elastic IP";
    AssociateElasticIp("associate_elastic_ip", AssociateElasticIpInput):
        "Associate an Elastic IP with an instance or network interface";
    ReleaseElasticIp("release_elastic_ip", AllocationIdInput):
        "Release an Elastic IP; the address is gone for good";
}

impl NetworkAction {
    pub fn access(self) -> Access {
        use NetworkAction::*;
        match self {
            ListVpcs | GetVpc | ListSubnets | ListRouteTables | ListInternetGateways
            | ListNatGateways | ListNetworkAcls | ListVpcEndpoints | ListSecurityGroups
            | ListElasticIps => Access::Read,
            CreateVpc
            | CreateSubnet
            | CreateRouteTable
            | CreateRoute
            | CreateInternetGateway
            | CreateNatGateway
            | CreateNaclEntry
            | CreateVpcEndpoint
            | ConfigureFlowLogs
            | CreateSecurityGroup
            | AuthorizeSecurityGroup
            | RevokeSecurityGroup
            | AllocateElasticIp
            | AssociateElasticIp => Access::Write,
            DeleteVpc | DeleteSubnet | DeleteRoute | DeleteNatGateway | DeleteNaclEntry
            | ReleaseElasticIp => Access::Destructive,
        }
    }
}

fn prepare(action: &str, args: Map<String, Value>) -> Result<Box<dyn Prepared>, ToolError> {
    let action = NetworkAction::from_name(action)
        .ok_or_else(|| ToolError::invalid(format!("unknown action '{action}' for aws_network")))?;
    let request = NetworkRequest::parse(action, args)?;
    request.validate()?;
    Ok(Box::new(request))
}

impl NetworkRequest {
    /// Rules across fields that serde cannot express, and CIDR notation, checked before the
    /// guardrails so that a call that cannot run never gets a confirmation token.
    fn validate(&self) -> Result<(), ToolError> {
        use NetworkRequest::*;
        match self {
            CreateVpc(i) => cidr::vpc_block("cidr_block", &i.cidr_block)
                .map(|_| ())
                .map_err(ToolError::invalid),
            CreateSubnet(i) => cidr::vpc_block("cidr_block", &i.cidr_block)
                .map(|_| ())
                .map_err(ToolError::invalid),
            CreateRoute(i) => {
                any_cidr("destination_cidr_block", &i.destination_cidr_block)?;
                let targets = [
                    &i.gateway_id,
                    &i.nat_gateway_id,
                    &i.network_interface_id,
                    &i.vpc_peering_connection_id,
                    &i.transit_gateway_id,
                ];
                if targets.iter().filter(|t| t.is_some()).count() != 1 {
                    return Err(ToolError::invalid(
                        "create_route needs exactly one target: gateway_id, nat_gateway_id, \
                         network_interface_id, vpc_peering_connection_id or transit_gateway_id",
                    ));
                }
                Ok(())
            }
            DeleteRoute(i) => any_cidr("destination_cidr_block", &i.destination_cidr_block),
            CreateNatGateway(i)
                if i.connectivity_type == Some(ConnectivityType::Private)
                    && i.allocation_id.is_some() =>
            {
                Err(ToolError::invalid(
                    "a private NAT gateway has no Elastic IP; drop allocation_id or use \
                     connectivity_type public",
                ))
            }
            CreateNaclEntry(i) => {
                rule_number(i.rule_number)?;
                any_cidr("cidr_block", &i.cidr_block)?;
                ports(i.protocol, i.from_port, i.to_port).map(|_| ())
            }
            DeleteNaclEntry(i) => rule_number(i.rule_number),
            CreateVpcEndpoint(i) => {
                let kind = endpoint_type(&i.service_name, i.vpc_endpoint_type);
                let has = |v: &Option<Vec<String>>| v.as_ref().is_some_and(|v| !v.is_empty());
                match kind {
                    EndpointType::Gateway if has(&i.subnet_ids) || has(&i.security_group_ids) => {
                        Err(ToolError::invalid(
                            "a gateway endpoint takes route_table_ids, not subnet_ids or \
                             security_group_ids; use vpc_endpoint_type interface for those",
                        ))
                    }
                    EndpointType::Interface if has(&i.route_table_ids) => Err(ToolError::invalid(
                        "an interface endpoint takes subnet_ids (and security_group_ids), not \
                         route_table_ids",
                    )),
                    EndpointType::Interface if !has(&i.subnet_ids) => Err(ToolError::invalid(
                        "an interface endpoint needs subnet_ids (one subnet per AZ to serve)",
                    )),
                    _ => Ok(()),
                }
            }
            ConfigureFlowLogs(i) => flow_log_rules(i),
            AuthorizeSecurityGroup(i) | RevokeSecurityGroup(i) => {
                let cidrs = i.cidr_blocks.as_deref().unwrap_or_default();
                if cidrs.is_empty() && i.source_security_group_id.is_none() {
                    return Err(ToolError::invalid(format!(
                        "{} needs cidr_blocks or source_security_group_id",
                        self.action().name()
                    )));
                }
                for c in cidrs {
                    any_cidr("cidr_blocks", c)?;
                }
                ports(i.protocol, i.from_port, i.to_port).map(|_| ())
            }
            AssociateElasticIp(i)
                if i.instance_id.is_some() == i.network_interface_id.is_some() =>
            {
                Err(ToolError::invalid(
                    "associate_elastic_ip needs exactly one of instance_id or network_interface_id",
                ))
            }
            _ => Ok(()),
        }
    }
}

impl Prepared for NetworkRequest {
    fn targets(&self) -> Vec<Target> {
        use NetworkRequest::*;
        let one = |kind: &'static str, id: &str| vec![Target::new("ec2", kind, id)];
        let many = |kind: &'static str, ids: &Option<Vec<String>>| -> Vec<Target> {
            ids.iter()
                .flatten()
                .map(|id| Target::new("ec2", kind, id))
                .collect()
        };
        match self {
            ListVpcs(i) => many("vpc", &i.vpc_ids),
            GetVpc(VpcIdInput { vpc_id }) | DeleteVpc(DeleteVpcInput { vpc_id, .. }) => {
                one("vpc", vpc_id)
            }
            CreateVpc(_) | ListElasticIps(_) | AllocateElasticIp(_) => vec![],
            ListSubnets(i) => many("subnet", &i.subnet_ids),
            CreateSubnet(CreateSubnetInput { vpc_id, .. })
            | CreateRouteTable(CreateRouteTableInput { vpc_id, .. })
            | CreateInternetGateway(CreateInternetGatewayInput { vpc_id, .. })
            | CreateVpcEndpoint(CreateVpcEndpointInput { vpc_id, .. })
            | CreateSecurityGroup(CreateSecurityGroupInput { vpc_id, .. }) => one("vpc", vpc_id),
            DeleteSubnet(SubnetIdInput { subnet_id })
            | CreateNatGateway(CreateNatGatewayInput { subnet_id, .. }) => one("subnet", subnet_id),
            ListRouteTables(i) => many("route-table", &i.route_table_ids),
            CreateRoute(CreateRouteInput { route_table_id, .. })
            | DeleteRoute(DeleteRouteInput { route_table_id, .. }) => {
                one("route-table", route_table_id)
            }
            ListInternetGateways(i) => many("internet-gateway", &i.internet_gateway_ids),
            ListNatGateways(i) => many("natgateway", &i.nat_gateway_ids),
            DeleteNatGateway(i) => one("natgateway", &i.nat_gateway_id),
            ListNetworkAcls(i) => many("network-acl", &i.network_acl_ids),
            CreateNaclEntry(CreateNaclEntryInput { network_acl_id, .. })
            | DeleteNaclEntry(DeleteNaclEntryInput { network_acl_id, .. }) => {
                one("network-acl", network_acl_id)
            }
            ListVpcEndpoints(i) => many("vpc-endpoint", &i.vpc_endpoint_ids),
            ConfigureFlowLogs(i) => i
                .resource_ids
                .iter()
                .map(|id| Target::new("ec2", crate::tools::ec2::ec2_kind(id), id))
                .collect(),
            ListSecurityGroups(i) => many("security-group", &i.group_ids),
            AuthorizeSecurityGroup(i) | RevokeSecurityGroup(i) => {
                one("security-group", &i.group_id)
            }
            AssociateElasticIp(AssociateElasticIpInput { allocation_id, .. })
            | ReleaseElasticIp(AllocationIdInput { allocation_id }) => {
                one("elastic-ip", allocation_id)
            }
        }
    }

    /// Every mutating VPC call carries EC2's own `DryRun` flag.
    fn native_dry_run(&self) -> bool {
        true
    }

    fn risk_flags(&self) -> Vec<String> {
        match self {
            NetworkRequest::AuthorizeSecurityGroup(i) => i.world_open_warnings(),
            _ => Vec::new(),
        }
    }

    fn execute<'a>(
        self: Box<Self>,
        ctx: &'a ExecCtx<'a>,
    ) -> BoxFuture<'a, Result<Output, ToolError>> {
        Box::pin(async move {
            let client = ctx.aws.ec2(ctx.region.as_deref()).await;
            let n = svc::Network {
                client: &client,
                dry_run: ctx.dry_run,
            };
            use NetworkRequest::*;
            match *self {
                ListVpcs(i) => n.list_vpcs(i).await,
                GetVpc(i) => n.get_vpc(&i.vpc_id).await,
                CreateVpc(i) => n.create_vpc(i).await,
                DeleteVpc(i) => n.delete_vpc(i).await,
                ListSubnets(i) => n.list_subnets(i).await,
                CreateSubnet(i) => n.create_subnet(i).await,
                DeleteSubnet(i) => n.delete_subnet(&i.subnet_id).await,
                ListRouteTables(i) => n.list_route_tables(i).await,
                CreateRouteTable(i) => n.create_route_table(i).await,
                CreateRoute(i) => n.create_route(i).await,
                DeleteRoute(i) => n.delete_route(i).await,
                ListInternetGateways(i) => n.list_internet_gateways(i).await,
                CreateInternetGateway(i) => n.create_internet_gateway(i).await,
                ListNatGateways(i) => n.list_nat_gateways(i).await,
                CreateNatGateway(i) => n.create_nat_gateway(i).await,
                DeleteNatGateway(i) => n.delete_nat_gateway(&i.nat_gateway_id).await,
                ListNetworkAcls(i) => n.list_network_acls(i).await,
                CreateNaclEntry(i) => n.create_nacl_entry(i).await,
                DeleteNaclEntry(i) => n.delete_nacl_entry(i).await,
                ListVpcEndpoints(i) => n.list_vpc_endpoints(i).await,
                CreateVpcEndpoint(i) => n.create_vpc_endpoint(i).await,
                ConfigureFlowLogs(i) => n.configure_flow_logs(i).await,
                ListSecurityGroups(i) => n.list_security_groups(i).await,
                CreateSecurityGroup(i) => n.create_security_group(i).await,
                AuthorizeSecurityGroup(i) => n.change_security_group(i, true).await,
                RevokeSecurityGroup(i) => n.change_security_group(i, false).await,
                ListElasticIps(i) => n.list_elastic_ips(i).await,
                AllocateElasticIp(i) => n.allocate_elastic_ip(i).await,
                AssociateElasticIp(i) => n.associate_elastic_ip(i).await,
                ReleaseElasticIp(i) => n.release_elastic_ip(&i.allocation_id).await,
            }
        })
    }
}

impl SecurityGroupRuleInput {
    /// Why this rule, once added, is risky: it lets the whole internet (0.0.0.0/0 or ::/0) in
    /// on something other than web ports 80 and 443. Outbound rules and ICMP are not flagged:
    /// open egress is the AWS default, and ICMP has no ports to exploit the same way.
    pub fn world_open_warnings(&self) -> Vec<String> {
        if self.direction.unwrap_or(Direction::Ingress) != Direction::Ingress {
            return Vec::new();
        }
        let Ok((from, to)) = ports(self.protocol, self.from_port, self.to_port) else {
            return Vec::new();
        };
        let what = match self.protocol {
            Protocol::Icmp | Protocol::Icmpv6 => return Vec::new(),
            Protocol::All => "all traffic".to_string(),
            Protocol::Tcp | Protocol::Udp => {
                let (from, to) = (from.unwrap_or(0), to.unwrap_or(65535));
                if from == to && (from == 80 || from == 443) {
                    return Vec::new();
                }
                let name = self.protocol.sg_name();
                if from == to {
                    format!("{name} port {from}")
                } else {
                    format!("{name} ports {from}-{to}")
                }
            }
        };
        self.cidr_blocks
            .iter()
            .flatten()
            .filter(|c| AnyCidr::parse(c).is_ok_and(|c| c.is_whole_internet()))
            .map(|c| {
                format!(
                    "opens {what} on {} to {c} (the whole internet); only 80/443 are expected \
                     to be public, restrict the source unless this is intended",
                    self.group_id
                )
            })
            .collect()
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

/// The port range a rule uses, checked for its protocol: tcp/udp need from_port (to_port
/// defaults to it); ICMP takes type and code (default -1, all); "all" takes no ports.
pub fn ports(
    protocol: Protocol,
    from: Option<i32>,
    to: Option<i32>,
) -> Result<(Option<i32>, Option<i32>), ToolError> {
    let invalid = |m: String| Err(ToolError::invalid(m));
    match protocol {
        Protocol::Tcp | Protocol::Udp => {
            let Some(from) = from else {
                return invalid(format!(
                    "protocol {} needs from_port (and to_port for a range), e.g. 443",
                    protocol.sg_name()
                ));
            };
            let to = to.unwrap_or(from);
            if !(0..=65535).contains(&from) || !(0..=65535).contains(&to) || from > to {
                return invalid(format!(
                    "ports {from}-{to} are not a range within 0-65535 with from_port <= to_port"
                ));
            }
            Ok((Some(from), Some(to)))
        }
        Protocol::Icmp | Protocol::Icmpv6 => {
            let (t, c) = (from.unwrap_or(-1), to.unwrap_or(-1));
            if !(-1..=255).contains(&t) || !(-1..=255).contains(&c) {
                return invalid(format!(
                    "ICMP type {t} and code {c} must each be -1 (all) or 0-255"
                ));
            }
            Ok((Some(t), Some(c)))
        }
        Protocol::All if from.is_some() || to.is_some() => invalid(
            "protocol all covers every port; drop from_port/to_port or pick tcp or udp".into(),
        ),
        Protocol::All => Ok((None, None)),
    }
}

fn any_cidr(field: &str, s: &str) -> Result<(), ToolError> {
    AnyCidr::parse(s)
        .map(|_| ())
        .map_err(|e| ToolError::invalid(format!("{field}: {e}")))
}

fn rule_number(n: i32) -> Result<(), ToolError> {
    if (1..=32766).contains(&n) {
        Ok(())
    } else {
        Err(ToolError::invalid(format!(
            "rule_number {n} is outside 1-32766"
        )))
    }
}

fn flow_log_rules(i: &ConfigureFlowLogsInput) -> Result<(), ToolError> {
    let invalid = |m: &str| Err(ToolError::invalid(m));
    let Some(first) = i.resource_ids.first() else {
        return invalid("configure_flow_logs needs resource_ids (VPC, subnet or interface ids)");
    };
    if svc::flow_log_resource_type(first).is_none() {
        return invalid(
            "resource_ids must be VPC (vpc-), subnet (subnet-) or interface (eni-) ids",
        );
    }
    let kind = |id: &str| id.split('-').next().unwrap_or("").to_string();
    if i.resource_ids.iter().any(|id| kind(id) != kind(first)) {
        return invalid("resource_ids must all be of one kind: VPCs, subnets or interfaces");
    }
    let cloudwatch = i.log_group_name.is_some() || i.deliver_logs_permission_arn.is_some();
    match (cloudwatch, &i.s3_bucket_arn) {
        (true, Some(_)) | (false, None) => invalid(
            "configure_flow_logs needs one destination: log_group_name with \
             deliver_logs_permission_arn (CloudWatch Logs), or s3_bucket_arn",
        ),
        (true, None) if i.log_group_name.is_none() || i.deliver_logs_permission_arn.is_none() => {
            invalid(
                "CloudWatch Logs delivery needs both log_group_name and \
                 deliver_logs_permission_arn (an IAM role flow logs can assume)",
            )
        }
        (true, None)
            if !i
                .deliver_logs_permission_arn
                .as_deref()
                .is_some_and(is_role_arn) =>
        {
            invalid(
                "deliver_logs_permission_arn must be an IAM role ARN, e.g. arn:aws:iam::123456789012:role/flow-logs",
            )
        }
        (false, Some(arn)) if !(arn.starts_with("arn:aws") && arn.contains(":s3:::")) => {
            invalid("s3_bucket_arn must be an S3 bucket ARN, e.g. arn:aws:s3:::my-logs")
        }
        _ => Ok(()),
    }
}

fn is_role_arn(arn: &str) -> bool {
    arn.starts_with("arn:aws") && arn.contains(":iam::") && arn.contains(":role/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(v: Value) -> SecurityGroupRuleInput {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn world_open_rules_are_flagged_except_web_ports() {
        let base = serde_json::json!({"group_id": "sg-1", "protocol": "tcp",
            "cidr_blocks": ["0.0.0.0/0"]});
        let with = |k: &str, v: Value| {
            let mut b = base.clone();
            b[k] = v;
            b
        };
        assert!(
            rule(with("from_port", 443.into()))
                .world_open_warnings()
                .is_empty()
        );
        assert!(
            rule(with("from_port", 80.into()))
                .world_open_warnings()
                .is_empty()
        );
        let ssh = rule(with("from_port", 22.into())).world_open_warnings();
        assert_eq!(ssh.len(), 1);
        assert!(
            ssh[0].contains("tcp port 22 on sg-1 to 0.0.0.0/0"),
            "{ssh:?}"
        );
        let mut range = with("from_port", 80.into());
        range["to_port"] = 443.into();
        assert!(rule(range).world_open_warnings()[0].contains("ports 80-443"));
        let all = rule(serde_json::json!({"group_id": "sg-1", "protocol": "all",
            "cidr_blocks": ["10.0.0.0/8", "::/0"]}))
        .world_open_warnings();
        assert_eq!(all.len(), 1);
        assert!(all[0].contains("all traffic") && all[0].contains("::/0"));
        let mut egress = with("from_port", 22.into());
        egress["direction"] = "egress".into();
        assert!(rule(egress).world_open_warnings().is_empty());
        let mut private = with("from_port", 22.into());
        private["cidr_blocks"] = serde_json::json!(["10.0.0.0/8"]);
        assert!(rule(private).world_open_warnings().is_empty());
    }

    #[test]
    fn port_rules() {
        assert_eq!(
            ports(Protocol::Tcp, Some(22), None).unwrap(),
            (Some(22), Some(22))
        );
        assert!(ports(Protocol::Tcp, None, None).is_err());
        assert!(ports(Protocol::Udp, Some(100), Some(10)).is_err());
        assert!(ports(Protocol::Tcp, Some(0), Some(70000)).is_err());
        assert_eq!(
            ports(Protocol::Icmp, None, None).unwrap(),
            (Some(-1), Some(-1))
        );
        assert!(ports(Protocol::All, Some(1), None).is_err());
        assert_eq!(ports(Protocol::All, None, None).unwrap(), (None, None));
    }

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
