//! The per-action input structs of `aws_ec2`'s Auto Scaling and load balancing (ELBv2)
//! actions. Their doc comments are the schema's field descriptions.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthCheckType {
    #[serde(alias = "EC2")]
    Ec2,
    #[serde(alias = "ELB")]
    Elb,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LoadBalancerType {
    Application,
    Network,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Scheme {
    InternetFacing,
    Internal,
}

/// Listener and target group protocols, as ELBv2 names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ElbProtocol {
    #[serde(alias = "http")]
    Http,
    #[serde(alias = "https")]
    Https,
    #[serde(alias = "tcp")]
    Tcp,
    #[serde(alias = "tls")]
    Tls,
    #[serde(alias = "udp")]
    Udp,
    #[serde(alias = "tcp_udp")]
    TcpUdp,
}

impl ElbProtocol {
    pub fn as_str(self) -> &'static str {
        match self {
            ElbProtocol::Http => "HTTP",
            ElbProtocol::Https => "HTTPS",
            ElbProtocol::Tcp => "TCP",
            ElbProtocol::Tls => "TLS",
            ElbProtocol::Udp => "UDP",
            ElbProtocol::TcpUdp => "TCP_UDP",
        }
    }

    /// Whether a listener on this protocol terminates TLS and so needs a certificate.
    pub fn needs_certificate(self) -> bool {
        matches!(self, ElbProtocol::Https | ElbProtocol::Tls)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetType {
    Instance,
    Ip,
    Lambda,
    Alb,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListAsgsInput {
    /// Auto Scaling group names (default all)
    pub auto_scaling_group_names: Option<Vec<String>>,
    /// Items per page (default 50, at most 1000)
    pub max_results: Option<u32>,
    /// next_token of the previous page
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAsgInput {
    /// Auto Scaling group name
    pub auto_scaling_group_name: String,
    /// Launch template id, e.g. lt-0abc123
    pub launch_template_id: Option<String>,
    /// Launch template name
    pub launch_template_name: Option<String>,
    /// Launch template version: a number, "$Latest" or "$Default" (default "$Default")
    pub launch_template_version: Option<String>,
    /// Fewest instances the group keeps
    pub min_size: i32,
    /// Most instances the group may run
    pub max_size: i32,
    /// Instances to run now (between min_size and max_size)
    pub desired_capacity: Option<i32>,
    /// Subnet ids, e.g. ["subnet-0abc123"] (one per AZ to spread over)
    pub subnet_ids: Vec<String>,
    /// Target group ARNs the instances are registered with
    pub target_group_arns: Option<Vec<String>>,
    /// Replace instances failing "ec2" status checks (default) or "elb" health checks too
    pub health_check_type: Option<HealthCheckType>,
    /// Seconds after launch before health checks count (default 0; 300 is common with elb)
    pub health_check_grace_period: Option<i32>,
    /// Tags as key to value, e.g. {"Environment": "production"}
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAsgInput {
    /// Auto Scaling group name
    pub auto_scaling_group_name: String,
    /// Launch template id, e.g. lt-0abc123
    pub launch_template_id: Option<String>,
    /// Launch template name
    pub launch_template_name: Option<String>,
    /// Launch template version: a number, "$Latest" or "$Default" (default "$Default")
    pub launch_template_version: Option<String>,
    /// Fewest instances the group keeps
    pub min_size: Option<i32>,
    /// Most instances the group may run
    pub max_size: Option<i32>,
    /// Instances to run now (between min_size and max_size)
    pub desired_capacity: Option<i32>,
    /// Subnet ids, e.g. ["subnet-0abc123"] (one per AZ to spread over)
    pub subnet_ids: Option<Vec<String>>,
    /// Replace instances failing "ec2" status checks (default) or "elb" health checks too
    pub health_check_type: Option<HealthCheckType>,
    /// Seconds after launch before health checks count (default 0; 300 is common with elb)
    pub health_check_grace_period: Option<i32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteAsgInput {
    /// Auto Scaling group name
    pub auto_scaling_group_name: String,
    /// Also terminate its instances now instead of refusing while it has any (default false)
    pub force_delete: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetDesiredCapacityInput {
    /// Auto Scaling group name
    pub auto_scaling_group_name: String,
    /// Instances to run now (between min_size and max_size)
    pub desired_capacity: i32,
    /// Wait for the group's cooldown to pass first (default false)
    pub honor_cooldown: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScalingActivitiesInput {
    /// Auto Scaling group name
    pub auto_scaling_group_name: String,
    /// Items per page (default 50, at most 1000)
    pub max_results: Option<u32>,
    /// next_token of the previous page
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AsgTargetGroupsInput {
    /// Auto Scaling group name
    pub auto_scaling_group_name: String,
    /// Target group ARNs the instances are registered with
    pub target_group_arns: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListLoadBalancersInput {
    /// Load balancer ARNs
    pub load_balancer_arns: Option<Vec<String>>,
    /// Names to look up
    pub names: Option<Vec<String>>,
    /// Items per page (default 50, at most 1000)
    pub max_results: Option<u32>,
    /// next_token of the previous page
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLoadBalancerInput {
    /// Name of the new resource
    pub name: String,
    /// "application" (ALB, default) or "network" (NLB)
    pub load_balancer_type: Option<LoadBalancerType>,
    /// "internet-facing" (default) or "internal"
    pub scheme: Option<Scheme>,
    /// Subnet ids, e.g. ["subnet-0abc123"] (one per AZ to spread over)
    pub subnet_ids: Vec<String>,
    /// Security group ids, e.g. ["sg-0abc123"]
    pub security_group_ids: Option<Vec<String>>,
    /// Tags as key to value, e.g. {"Environment": "production"}
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadBalancerArnInput {
    /// Load balancer ARN
    pub load_balancer_arn: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListTargetGroupsInput {
    /// Load balancer ARN
    pub load_balancer_arn: Option<String>,
    /// Target group ARNs the instances are registered with
    pub target_group_arns: Option<Vec<String>>,
    /// Names to look up
    pub names: Option<Vec<String>>,
    /// Items per page (default 50, at most 1000)
    pub max_results: Option<u32>,
    /// next_token of the previous page
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTargetGroupInput {
    /// Name of the new resource
    pub name: String,
    /// HTTP, HTTPS (ALB) or TCP, TLS, UDP, TCP_UDP (NLB)
    pub protocol: ElbProtocol,
    /// Port: the listener's, the target group's, or the targets' (overrides the group's)
    #[schemars(range(min = 1, max = 65535))]
    pub port: i32,
    /// VPC id, e.g. vpc-0abc123
    pub vpc_id: String,
    /// What the group routes to: "instance" (default), "ip", "lambda" or "alb"
    pub target_type: Option<TargetType>,
    /// Health check path for HTTP/HTTPS, e.g. /health (default /)
    pub health_check_path: Option<String>,
    /// HTTP codes that count as healthy, e.g. "200" or "200-399" (default 200)
    pub matcher: Option<String>,
    /// Tags as key to value, e.g. {"Environment": "production"}
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetGroupArnInput {
    /// Target group ARN
    pub target_group_arn: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetsInput {
    /// Target group ARN
    pub target_group_arn: String,
    /// Targets: instance ids, IP addresses or a Lambda ARN, by the group's target type
    pub target_ids: Vec<String>,
    /// Port: the listener's, the target group's, or the targets' (overrides the group's)
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<i32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetHealthInput {
    /// Target group ARN
    pub target_group_arn: String,
    /// Targets: instance ids, IP addresses or a Lambda ARN, by the group's target type
    pub target_ids: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListListenersInput {
    /// Load balancer ARN
    pub load_balancer_arn: Option<String>,
    /// Listener ARNs (instead of load_balancer_arn)
    pub listener_arns: Option<Vec<String>>,
    /// Items per page (default 50, at most 1000)
    pub max_results: Option<u32>,
    /// next_token of the previous page
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateListenerInput {
    /// Load balancer ARN
    pub load_balancer_arn: String,
    /// HTTP, HTTPS (ALB) or TCP, TLS, UDP, TCP_UDP (NLB)
    pub protocol: ElbProtocol,
    /// Port: the listener's, the target group's, or the targets' (overrides the group's)
    #[schemars(range(min = 1, max = 65535))]
    pub port: i32,
    /// Target group ARN
    pub target_group_arn: String,
    /// ACM certificate ARN (needed for HTTPS and TLS listeners)
    pub certificate_arn: Option<String>,
    /// TLS policy name for HTTPS/TLS, e.g. ELBSecurityPolicy-TLS13-1-2-2021-06
    pub ssl_policy: Option<String>,
    /// Tags as key to value, e.g. {"Environment": "production"}
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListenerArnInput {
    /// Listener ARN
    pub listener_arn: String,
}
