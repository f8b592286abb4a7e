//! The per-action input structs of `aws_network`. Their doc comments are the schema's field
//! descriptions; a field shared by several actions has one type everywhere.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

/// IP protocols for security group rules and network ACL entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    Tcp,
    Udp,
    Icmp,
    Icmpv6,
    All,
}

impl Protocol {
    /// The name security group APIs take.
    pub fn sg_name(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Icmp => "icmp",
            Protocol::Icmpv6 => "icmpv6",
            Protocol::All => "-1",
        }
    }

    /// The protocol number network ACL APIs take.
    pub fn number(self) -> &'static str {
        match self {
            Protocol::Tcp => "6",
            Protocol::Udp => "17",
            Protocol::Icmp => "1",
            Protocol::Icmpv6 => "58",
            Protocol::All => "-1",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Ingress,
    Egress,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleAction {
    Allow,
    Deny,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrafficType {
    All,
    Accept,
    Reject,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EndpointType {
    Gateway,
    Interface,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConnectivityType {
    Public,
    Private,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListVpcsInput {
    /// VPC ids, e.g. ["vpc-0abc123"]
    pub vpc_ids: Option<Vec<String>>,
    /// Tags as key to value, e.g. {"Environment": "production"}
    pub tags: Option<BTreeMap<String, String>>,
    /// Items per page (default 50, at most 1000)
    pub max_results: Option<u32>,
    /// next_token of the previous page
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VpcIdInput {
    /// VPC id, e.g. vpc-0abc123
    pub vpc_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteVpcInput {
    /// VPC id, e.g. vpc-0abc123
    pub vpc_id: String,
    /// Also delete its subnets, route tables, gateways, gateway endpoints, SGs and ACLs
    pub delete_dependencies: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateVpcInput {
    /// IPv4 block in CIDR notation, e.g. 10.0.0.0/16
    pub cidr_block: String,
    /// Resolve DNS through the Amazon resolver (default true)
    pub enable_dns_support: Option<bool>,
    /// Give instances public DNS hostnames (default false)
    pub enable_dns_hostnames: Option<bool>,
    /// Name tag of the new resource
    pub name: Option<String>,
    /// Tags as key to value, e.g. {"Environment": "production"}
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListSubnetsInput {
    /// VPC id to filter by, e.g. vpc-0abc123
    pub vpc_id: Option<String>,
    /// Subnet ids, e.g. ["subnet-0abc123"]
    pub subnet_ids: Option<Vec<String>>,
    /// Availability zone, e.g. us-east-1a
    pub availability_zone: Option<String>,
    /// Tags as key to value, e.g. {"Environment": "production"}
    pub tags: Option<BTreeMap<String, String>>,
    /// Items per page (default 50, at most 1000)
    pub max_results: Option<u32>,
    /// next_token of the previous page
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSubnetInput {
    /// VPC id, e.g. vpc-0abc123
    pub vpc_id: String,
    /// IPv4 block in CIDR notation, e.g. 10.0.0.0/16
    pub cidr_block: String,
    /// Availability zone, e.g. us-east-1a
    pub availability_zone: Option<String>,
    /// Give instances launched here a public IPv4 address (public subnets)
    pub map_public_ip_on_launch: Option<bool>,
    /// Route table id, e.g. rtb-0abc123
    pub route_table_id: Option<String>,
    /// Name tag of the new resource
    pub name: Option<String>,
    /// Tags as key to value, e.g. {"Environment": "production"}
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubnetIdInput {
    /// Subnet id, e.g. subnet-0abc123
    pub subnet_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListRouteTablesInput {
    /// VPC id to filter by, e.g. vpc-0abc123
    pub vpc_id: Option<String>,
    /// Route table ids, e.g. ["rtb-0abc123"]
    pub route_table_ids: Option<Vec<String>>,
    /// Subnet id, e.g. subnet-0abc123
    pub subnet_id: Option<String>,
    /// Items per page (default 50, at most 1000)
    pub max_results: Option<u32>,
    /// next_token of the previous page
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRouteTableInput {
    /// VPC id, e.g. vpc-0abc123
    pub vpc_id: String,
    /// Subnet ids, e.g. ["subnet-0abc123"]
    pub subnet_ids: Option<Vec<String>>,
    /// Name tag of the new resource
    pub name: Option<String>,
    /// Tags as key to value, e.g. {"Environment": "production"}
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRouteInput {
    /// Route table id, e.g. rtb-0abc123
    pub route_table_id: String,
    /// Destination in CIDR notation, e.g. 0.0.0.0/0 or ::/0
    pub destination_cidr_block: String,
    /// Internet gateway or virtual private gateway id, e.g. igw-0abc123
    pub gateway_id: Option<String>,
    /// NAT gateway id, e.g. nat-0abc123
    pub nat_gateway_id: Option<String>,
    /// Network interface id, e.g. eni-0abc123
    pub network_interface_id: Option<String>,
    /// VPC peering connection id, e.g. pcx-0abc123
    pub vpc_peering_connection_id: Option<String>,
    /// Transit gateway id, e.g. tgw-0abc123
    pub transit_gateway_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteRouteInput {
    /// Route table id, e.g. rtb-0abc123
    pub route_table_id: String,
    /// Destination in CIDR notation, e.g. 0.0.0.0/0 or ::/0
    pub destination_cidr_block: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListInternetGatewaysInput {
    /// VPC id to filter by, e.g. vpc-0abc123
    pub vpc_id: Option<String>,
    /// Internet gateway ids, e.g. ["igw-0abc123"]
    pub internet_gateway_ids: Option<Vec<String>>,
    /// Items per page (default 50, at most 1000)
    pub max_results: Option<u32>,
    /// next_token of the previous page
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInternetGatewayInput {
    /// VPC id, e.g. vpc-0abc123
    pub vpc_id: String,
    /// Name tag of the new resource
    pub name: Option<String>,
    /// Tags as key to value, e.g. {"Environment": "production"}
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListNatGatewaysInput {
    /// VPC id to filter by, e.g. vpc-0abc123
    pub vpc_id: Option<String>,
    /// Subnet id, e.g. subnet-0abc123
    pub subnet_id: Option<String>,
    /// NAT gateway ids, e.g. ["nat-0abc123"] (deleted ones are shown only when named)
    pub nat_gateway_ids: Option<Vec<String>>,
    /// Items per page (default 50, at most 1000)
    pub max_results: Option<u32>,
    /// next_token of the previous page
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateNatGatewayInput {
    /// Subnet id, e.g. subnet-0abc123
    pub subnet_id: String,
    /// Elastic IP allocation id, e.g. eipalloc-0abc123 (create_nat_gateway allocates one if absent)
    pub allocation_id: Option<String>,
    /// "public" (default, needs an Elastic IP) or "private" (no internet access)
    pub connectivity_type: Option<ConnectivityType>,
    /// Name tag of the new resource
    pub name: Option<String>,
    /// Tags as key to value, e.g. {"Environment": "production"}
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NatGatewayIdInput {
    /// NAT gateway id, e.g. nat-0abc123
    pub nat_gateway_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListNetworkAclsInput {
    /// VPC id to filter by, e.g. vpc-0abc123
    pub vpc_id: Option<String>,
    /// Network ACL ids, e.g. ["acl-0abc123"]
    pub network_acl_ids: Option<Vec<String>>,
    /// Items per page (default 50, at most 1000)
    pub max_results: Option<u32>,
    /// next_token of the previous page
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateNaclEntryInput {
    /// Network ACL id, e.g. acl-0abc123
    pub network_acl_id: String,
    /// Rule number 1-32766; rules are evaluated from the lowest number up
    #[schemars(range(min = 1, max = 32766))]
    pub rule_number: i32,
    /// "tcp", "udp", "icmp", "icmpv6" or "all"
    pub protocol: Protocol,
    /// "allow" or "deny"
    pub rule_action: RuleAction,
    /// Outbound rule (true) or inbound rule (false, the default)
    pub egress: Option<bool>,
    /// IPv4 block in CIDR notation, e.g. 10.0.0.0/16
    pub cidr_block: String,
    /// First port (tcp/udp), or ICMP type (-1 = all)
    pub from_port: Option<i32>,
    /// Last port (tcp/udp, default from_port), or ICMP code (-1 = all)
    pub to_port: Option<i32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteNaclEntryInput {
    /// Network ACL id, e.g. acl-0abc123
    pub network_acl_id: String,
    /// Rule number 1-32766; rules are evaluated from the lowest number up
    #[schemars(range(min = 1, max = 32766))]
    pub rule_number: i32,
    /// Outbound rule (true) or inbound rule (false, the default)
    pub egress: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListVpcEndpointsInput {
    /// VPC id to filter by, e.g. vpc-0abc123
    pub vpc_id: Option<String>,
    /// VPC endpoint ids, e.g. ["vpce-0abc123"]
    pub vpc_endpoint_ids: Option<Vec<String>>,
    /// Items per page (default 50, at most 1000)
    pub max_results: Option<u32>,
    /// next_token of the previous page
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateVpcEndpointInput {
    /// VPC id, e.g. vpc-0abc123
    pub vpc_id: String,
    /// AWS service: short ("s3", "dynamodb", "ssm") or full ("com.amazonaws.us-east-1.s3")
    pub service_name: String,
    /// "gateway" (default for s3 and dynamodb) or "interface" (default otherwise)
    pub vpc_endpoint_type: Option<EndpointType>,
    /// Route table ids, e.g. ["rtb-0abc123"]
    pub route_table_ids: Option<Vec<String>>,
    /// Subnet ids, e.g. ["subnet-0abc123"]
    pub subnet_ids: Option<Vec<String>>,
    /// Security group ids, e.g. ["sg-0abc123"]
    pub security_group_ids: Option<Vec<String>>,
    /// Resolve the service's public DNS name to the endpoint (interface endpoints)
    pub private_dns_enabled: Option<bool>,
    /// Name tag of the new resource
    pub name: Option<String>,
    /// Tags as key to value, e.g. {"Environment": "production"}
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigureFlowLogsInput {
    /// VPC, subnet or network interface ids to log (all of one kind)
    pub resource_ids: Vec<String>,
    /// Traffic to log: "all" (default), "accept" or "reject"
    pub traffic_type: Option<TrafficType>,
    /// CloudWatch Logs group to deliver to (with deliver_logs_permission_arn)
    pub log_group_name: Option<String>,
    /// IAM role ARN that lets flow logs write to the log group
    pub deliver_logs_permission_arn: Option<String>,
    /// S3 bucket ARN to deliver to instead, e.g. arn:aws:s3:::my-logs or arn:aws:s3:::my-logs/vpc/
    pub s3_bucket_arn: Option<String>,
    /// Tags as key to value, e.g. {"Environment": "production"}
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListSecurityGroupsInput {
    /// VPC id to filter by, e.g. vpc-0abc123
    pub vpc_id: Option<String>,
    /// Security group ids, e.g. ["sg-0abc123"]
    pub group_ids: Option<Vec<String>>,
    /// Security group names
    pub group_names: Option<Vec<String>>,
    /// Items per page (default 50, at most 1000)
    pub max_results: Option<u32>,
    /// next_token of the previous page
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSecurityGroupInput {
    /// Security group name
    pub group_name: String,
    /// Free-text description (of the group, or of the rule)
    pub description: String,
    /// VPC id, e.g. vpc-0abc123
    pub vpc_id: String,
    /// Tags as key to value, e.g. {"Environment": "production"}
    pub tags: Option<BTreeMap<String, String>>,
}

/// One security group rule: what `authorize_security_group` adds and `revoke_security_group`
/// removes.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroupRuleInput {
    /// Security group id, e.g. sg-0abc123
    pub group_id: String,
    /// "ingress" (inbound, default) or "egress" (outbound)
    pub direction: Option<Direction>,
    /// "tcp", "udp", "icmp", "icmpv6" or "all"
    pub protocol: Protocol,
    /// First port (tcp/udp), or ICMP type (-1 = all)
    pub from_port: Option<i32>,
    /// Last port (tcp/udp, default from_port), or ICMP code (-1 = all)
    pub to_port: Option<i32>,
    /// Source (ingress) or destination (egress) blocks, IPv4 or IPv6, e.g. ["10.0.0.0/16"]
    pub cidr_blocks: Option<Vec<String>>,
    /// Security group whose members are the source or destination, e.g. sg-0abc123
    pub source_security_group_id: Option<String>,
    /// Free-text description (of the group, or of the rule)
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListElasticIpsInput {
    /// Elastic IP allocation ids, e.g. ["eipalloc-0abc123"]
    pub allocation_ids: Option<Vec<String>>,
    /// Tags as key to value, e.g. {"Environment": "production"}
    pub tags: Option<BTreeMap<String, String>>,
    /// Items per page (default 50, at most 1000)
    pub max_results: Option<u32>,
    /// next_token of the previous page
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AllocateElasticIpInput {
    /// Name tag of the new resource
    pub name: Option<String>,
    /// Tags as key to value, e.g. {"Environment": "production"}
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssociateElasticIpInput {
    /// Elastic IP allocation id, e.g. eipalloc-0abc123
    pub allocation_id: String,
    /// Instance id, e.g. i-0abc123
    pub instance_id: Option<String>,
    /// Network interface id, e.g. eni-0abc123
    pub network_interface_id: Option<String>,
    /// Private IP of the instance or interface to map to (default its primary)
    pub private_ip_address: Option<String>,
    /// Move the address even if it is associated elsewhere (default false)
    pub allow_reassociation: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AllocationIdInput {
    /// Elastic IP allocation id, e.g. eipalloc-0abc123
    pub allocation_id: String,
}
