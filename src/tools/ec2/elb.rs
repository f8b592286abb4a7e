//! Application and network load balancers (ELBv2): load balancers, target groups, targets and
//! listeners. ELBv2 has no dry-run mode: dry runs answer with the plan.

use std::collections::BTreeMap;

use aws_sdk_elasticloadbalancingv2::{
    Client,
    types::{
        Action as ElbAction, ActionTypeEnum, Certificate, Listener, LoadBalancer,
        LoadBalancerSchemeEnum, LoadBalancerTypeEnum, Matcher, ProtocolEnum, Tag,
        TargetDescription, TargetGroup, TargetTypeEnum,
    },
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    aws::{paging::PageRequest, time},
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Flag, Kind, Risk, Tags, Target},
};

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

// Listener and target group protocols, as ELBv2 names them.
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
pub struct ListLoadBalancers {
    pub load_balancer_arns: Option<Vec<String>>,
    pub names: Option<Vec<String>>,
    /// Items per page (default 50, at most 1000)
    pub max_results: Option<u32>,
    /// next_token of the previous page
    pub next_token: Option<String>,
}

impl Action for ListLoadBalancers {
    const NAME: &'static str = "list_load_balancers";
    const DESCRIPTION: &'static str = "ALBs and NLBs";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        self.load_balancer_arns
            .iter()
            .flatten()
            .map(|a| lb(a))
            .collect()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        LoadBalancing::of(cx).await.list_load_balancers(self).await
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLoadBalancer {
    pub name: String,
    /// Default application
    pub load_balancer_type: Option<LoadBalancerType>,
    /// Default internet-facing
    pub scheme: Option<Scheme>,
    /// One per AZ
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Option<Vec<String>>,
    /// Key to value
    pub tags: Option<Tags>,
}

impl Action for CreateLoadBalancer {
    const NAME: &'static str = "create_load_balancer";
    const DESCRIPTION: &'static str = "Create an ALB or NLB in subnets";
    const ACCESS: Access = Access::Write;
    // A new endpoint; it forwards nothing until a listener is added.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        if self.subnet_ids.is_empty() {
            return Err(ToolError::invalid("create_load_balancer needs subnet_ids"));
        }
        if self.load_balancer_type != Some(LoadBalancerType::Network) && self.subnet_ids.len() < 2 {
            return Err(ToolError::invalid(
                "an application load balancer needs subnet_ids in at least two availability zones",
            ));
        }
        Ok(())
    }

    fn flags(&self) -> Vec<Flag> {
        if self.scheme.unwrap_or(Scheme::InternetFacing) == Scheme::InternetFacing {
            vec![Flag::high(format!(
                "{} is internet-facing: whatever its listeners forward to is reachable from the internet",
                self.name
            ))]
        } else {
            Vec::new()
        }
    }

    fn targets(&self) -> Vec<Target> {
        std::iter::once(Target::created(Kind::LoadBalancer, &self.name))
            .chain(
                self.subnet_ids
                    .iter()
                    .chain(self.security_group_ids.iter().flatten())
                    .map(Target::ec2),
            )
            .collect()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        LoadBalancing::of(cx).await.create_load_balancer(self).await
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteLoadBalancer {
    pub load_balancer_arn: String,
}

impl Action for DeleteLoadBalancer {
    const NAME: &'static str = "delete_load_balancer";
    const DESCRIPTION: &'static str = "Delete a load balancer and its listeners";
    const ACCESS: Access = Access::Destructive;
    // Everything it serves stops answering, and its DNS name is gone for good.
    const RISK: Risk = Risk::Critical;

    fn targets(&self) -> Vec<Target> {
        vec![lb(&self.load_balancer_arn)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        LoadBalancing::of(cx)
            .await
            .delete_load_balancer(&self.load_balancer_arn)
            .await
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListTargetGroups {
    pub load_balancer_arn: Option<String>,
    pub target_group_arns: Option<Vec<String>>,
    pub names: Option<Vec<String>>,
    /// Items per page (default 50, at most 1000)
    pub max_results: Option<u32>,
    /// next_token of the previous page
    pub next_token: Option<String>,
}

impl Action for ListTargetGroups {
    const NAME: &'static str = "list_target_groups";
    const DESCRIPTION: &'static str = "Target groups";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        self.target_group_arns
            .iter()
            .flatten()
            .map(|a| tg(a))
            .collect()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        LoadBalancing::of(cx).await.list_target_groups(self).await
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTargetGroup {
    pub name: String,
    pub protocol: ElbProtocol,
    #[schemars(range(min = 1, max = 65535))]
    pub port: i32,
    pub vpc_id: String,
    /// Default instance
    pub target_type: Option<TargetType>,
    /// Default /
    pub health_check_path: Option<String>,
    /// Healthy HTTP codes, e.g. 200-399
    pub matcher: Option<String>,
    /// Key to value
    pub tags: Option<Tags>,
}

impl Action for CreateTargetGroup {
    const NAME: &'static str = "create_target_group";
    const DESCRIPTION: &'static str = "Create a target group with a health check";
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::Medium;

    fn targets(&self) -> Vec<Target> {
        vec![Target::created(Kind::TargetGroup, &self.name).in_parent(Target::ec2(&self.vpc_id))]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        LoadBalancing::of(cx).await.create_target_group(self).await
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteTargetGroup {
    pub target_group_arn: String,
}

impl Action for DeleteTargetGroup {
    const NAME: &'static str = "delete_target_group";
    const DESCRIPTION: &'static str = "Delete a target group";
    const ACCESS: Access = Access::Destructive;
    // AWS refuses while a listener uses it; Auto Scaling groups attached to it stop registering.
    const RISK: Risk = Risk::High;

    fn targets(&self) -> Vec<Target> {
        vec![tg(&self.target_group_arn)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        LoadBalancing::of(cx)
            .await
            .delete_target_group(&self.target_group_arn)
            .await
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterTargets {
    pub target_group_arn: String,
    /// Instance ids, IPs or a Lambda ARN
    pub target_ids: Vec<String>,
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<i32>,
}

impl Action for RegisterTargets {
    const NAME: &'static str = "register_targets";
    const DESCRIPTION: &'static str = "Register targets with a target group";
    const ACCESS: Access = Access::Write;
    // The targets start taking live traffic.
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        some_targets(&self.target_ids)
    }

    fn targets(&self) -> Vec<Target> {
        targets(&self.target_group_arn, &self.target_ids)
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        LoadBalancing::of(cx)
            .await
            .targets(&self.target_group_arn, self.target_ids, self.port, true)
            .await
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeregisterTargets {
    pub target_group_arn: String,
    /// Instance ids, IPs or a Lambda ARN
    pub target_ids: Vec<String>,
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<i32>,
}

impl Action for DeregisterTargets {
    const NAME: &'static str = "deregister_targets";
    const DESCRIPTION: &'static str = "Deregister targets (connections drain first)";
    const ACCESS: Access = Access::Write;
    // The targets stop taking traffic; the last one out leaves the group serving nothing.
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        some_targets(&self.target_ids)
    }

    fn targets(&self) -> Vec<Target> {
        targets(&self.target_group_arn, &self.target_ids)
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        LoadBalancing::of(cx)
            .await
            .targets(&self.target_group_arn, self.target_ids, self.port, false)
            .await
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetTargetHealth {
    pub target_group_arn: String,
    /// Instance ids, IPs or a Lambda ARN
    pub target_ids: Option<Vec<String>>,
}

impl Action for GetTargetHealth {
    const NAME: &'static str = "get_target_health";
    const DESCRIPTION: &'static str = "Target health, with reasons";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        vec![tg(&self.target_group_arn)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        LoadBalancing::of(cx).await.get_target_health(self).await
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListListeners {
    pub load_balancer_arn: Option<String>,
    /// Instead of load_balancer_arn
    pub listener_arns: Option<Vec<String>>,
    /// Items per page (default 50, at most 1000)
    pub max_results: Option<u32>,
    /// next_token of the previous page
    pub next_token: Option<String>,
}

impl Action for ListListeners {
    const NAME: &'static str = "list_listeners";
    const DESCRIPTION: &'static str = "A load balancer's listeners";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        if self.load_balancer_arn.is_some() == self.listener_arns.is_some() {
            return Err(ToolError::invalid(
                "list_listeners needs exactly one of load_balancer_arn or listener_arns",
            ));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        self.load_balancer_arn
            .iter()
            .map(|a| lb(a))
            .chain(
                self.listener_arns
                    .iter()
                    .flatten()
                    .map(|a| listener_target(a)),
            )
            .collect()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        LoadBalancing::of(cx).await.list_listeners(self).await
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateListener {
    pub load_balancer_arn: String,
    pub protocol: ElbProtocol,
    #[schemars(range(min = 1, max = 65535))]
    pub port: i32,
    pub target_group_arn: String,
    /// ACM, for HTTPS/TLS
    pub certificate_arn: Option<String>,
    /// e.g. ELBSecurityPolicy-TLS13-1-2-2021-06
    pub ssl_policy: Option<String>,
    /// Key to value
    pub tags: Option<Tags>,
}

impl Action for CreateListener {
    const NAME: &'static str = "create_listener";
    const DESCRIPTION: &'static str = "Create a listener forwarding to a target group";
    const ACCESS: Access = Access::Write;
    // Opens a port on the load balancer and sends its traffic to the target group.
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        if self.protocol.needs_certificate() && self.certificate_arn.is_none() {
            return Err(ToolError::invalid(format!(
                "a {} listener needs certificate_arn (an ACM certificate in this region)",
                self.protocol.as_str()
            )));
        }
        if !self.protocol.needs_certificate()
            && (self.certificate_arn.is_some() || self.ssl_policy.is_some())
        {
            return Err(ToolError::invalid(format!(
                "certificate_arn and ssl_policy apply to HTTPS and TLS listeners, not {}",
                self.protocol.as_str()
            )));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![lb(&self.load_balancer_arn), tg(&self.target_group_arn)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        LoadBalancing::of(cx).await.create_listener(self).await
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteListener {
    pub listener_arn: String,
}

impl Action for DeleteListener {
    const NAME: &'static str = "delete_listener";
    const DESCRIPTION: &'static str = "Delete a listener";
    const ACCESS: Access = Access::Destructive;
    // Traffic on its port stops at once.
    const RISK: Risk = Risk::Critical;

    fn targets(&self) -> Vec<Target> {
        vec![listener_target(&self.listener_arn)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        LoadBalancing::of(cx)
            .await
            .delete_listener(&self.listener_arn)
            .await
    }
}

/// The ELBv2 client of one call.
pub struct LoadBalancing {
    pub client: Client,
}

impl LoadBalancing {
    async fn of(cx: &Cx<'_>) -> Self {
        Self {
            client: cx.client().await,
        }
    }

    pub async fn list_load_balancers(&self, i: ListLoadBalancers) -> Result<Output, ToolError> {
        let page = PageRequest::new(i.max_results, i.next_token.as_deref())?;
        let resp = self
            .client
            .describe_load_balancers()
            .set_load_balancer_arns(i.load_balancer_arns)
            .set_names(i.names)
            .page_size(page.aws_page_size(1, 400))
            .set_marker(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let all: Vec<Value> = resp.load_balancers().iter().map(load_balancer).collect();
        let (items, next) = page.finish(all, resp.next_marker().map(str::to_string));
        Ok(Output::new(
            format!("{} load balancer(s).", items.len()),
            json!({ "load_balancers": items }),
        )
        .with_next_token(next))
    }

    pub async fn create_load_balancer(&self, i: CreateLoadBalancer) -> Result<Output, ToolError> {
        let kind = match i
            .load_balancer_type
            .unwrap_or(LoadBalancerType::Application)
        {
            LoadBalancerType::Application => LoadBalancerTypeEnum::Application,
            LoadBalancerType::Network => LoadBalancerTypeEnum::Network,
        };
        let scheme = match i.scheme.unwrap_or(Scheme::InternetFacing) {
            Scheme::InternetFacing => LoadBalancerSchemeEnum::InternetFacing,
            Scheme::Internal => LoadBalancerSchemeEnum::Internal,
        };
        let resp = self
            .client
            .create_load_balancer()
            .name(&i.name)
            .r#type(kind)
            .scheme(scheme)
            .set_subnets(Some(i.subnet_ids.clone()))
            .set_security_groups(i.security_group_ids.clone())
            .set_tags(tags(i.tags.as_ref()))
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let lb = resp.load_balancers().first();
        let data = lb
            .map(load_balancer)
            .unwrap_or_else(|| json!({"name": i.name}));
        Ok(Output::new(
            format!(
                "Created load balancer {} ({}); it answers at {} once active. Add a target \
                 group and a listener to route traffic.",
                i.name,
                data["type"].as_str().unwrap_or("application"),
                data["dns_name"].as_str().unwrap_or("?"),
            ),
            data,
        ))
    }

    pub async fn delete_load_balancer(&self, arn: &str) -> Result<Output, ToolError> {
        self.client
            .delete_load_balancer()
            .load_balancer_arn(arn)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        Ok(Output::new(
            format!("Deleted load balancer {arn} and its listeners; its target groups remain."),
            json!({ "deleted": arn }),
        ))
    }

    pub async fn list_target_groups(&self, i: ListTargetGroups) -> Result<Output, ToolError> {
        let page = PageRequest::new(i.max_results, i.next_token.as_deref())?;
        let resp = self
            .client
            .describe_target_groups()
            .set_load_balancer_arn(i.load_balancer_arn)
            .set_target_group_arns(i.target_group_arns)
            .set_names(i.names)
            .page_size(page.aws_page_size(1, 400))
            .set_marker(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let all: Vec<Value> = resp.target_groups().iter().map(target_group).collect();
        let (items, next) = page.finish(all, resp.next_marker().map(str::to_string));
        Ok(Output::new(
            format!("{} target group(s).", items.len()),
            json!({ "target_groups": items }),
        )
        .with_next_token(next))
    }

    pub async fn create_target_group(&self, i: CreateTargetGroup) -> Result<Output, ToolError> {
        let target_type = match i.target_type.unwrap_or(TargetType::Instance) {
            TargetType::Instance => TargetTypeEnum::Instance,
            TargetType::Ip => TargetTypeEnum::Ip,
            TargetType::Lambda => TargetTypeEnum::Lambda,
            TargetType::Alb => TargetTypeEnum::Alb,
        };
        let resp = self
            .client
            .create_target_group()
            .name(&i.name)
            .protocol(ProtocolEnum::from(i.protocol.as_str()))
            .port(i.port)
            .vpc_id(&i.vpc_id)
            .target_type(target_type)
            .set_health_check_path(i.health_check_path.clone())
            .set_matcher(
                i.matcher
                    .as_ref()
                    .map(|m| Matcher::builder().http_code(m).build()),
            )
            .set_tags(tags(i.tags.as_ref()))
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let data = resp
            .target_groups()
            .first()
            .map(target_group)
            .unwrap_or_else(|| json!({"name": i.name}));
        Ok(Output::new(
            format!(
                "Created target group {} ({} {}) in {}.",
                i.name,
                i.protocol.as_str(),
                i.port,
                i.vpc_id
            ),
            data,
        ))
    }

    pub async fn delete_target_group(&self, arn: &str) -> Result<Output, ToolError> {
        self.client
            .delete_target_group()
            .target_group_arn(arn)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        Ok(Output::new(
            format!("Deleted target group {arn}."),
            json!({ "deleted": arn }),
        ))
    }

    /// Registers (`register`) or deregisters targets; deregistered ones drain first.
    pub async fn targets(
        &self,
        arn: &str,
        target_ids: Vec<String>,
        port: Option<i32>,
        register: bool,
    ) -> Result<Output, ToolError> {
        let targets = target_ids
            .iter()
            .map(|id| TargetDescription::builder().id(id).set_port(port).build())
            .collect::<Vec<_>>();
        if register {
            self.client
                .register_targets()
                .target_group_arn(arn)
                .set_targets(Some(targets))
                .send()
                .await
                .map_err(ToolError::from_sdk)?;
        } else {
            self.client
                .deregister_targets()
                .target_group_arn(arn)
                .set_targets(Some(targets))
                .send()
                .await
                .map_err(ToolError::from_sdk)?;
        }
        let (verb, key) = if register {
            ("Registered", "registered")
        } else {
            ("Deregistering (connections drain first)", "deregistered")
        };
        Ok(Output::new(
            format!("{verb} {} with {arn}.", target_ids.join(", ")),
            json!({"target_group_arn": arn, key: target_ids, "port": port}),
        ))
    }

    pub async fn get_target_health(&self, i: GetTargetHealth) -> Result<Output, ToolError> {
        let targets = i
            .target_ids
            .iter()
            .flatten()
            .map(|id| TargetDescription::builder().id(id).build())
            .collect::<Vec<_>>();
        let resp = self
            .client
            .describe_target_health()
            .target_group_arn(&i.target_group_arn)
            .set_targets((!targets.is_empty()).then_some(targets))
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let items: Vec<Value> = resp
            .target_health_descriptions()
            .iter()
            .map(|d| {
                let h = d.target_health();
                json!({
                    "id": d.target().and_then(|t| t.id()),
                    "port": d.target().and_then(|t| t.port()),
                    "state": h.and_then(|h| h.state()).map(|s| s.as_str()),
                    "reason": h.and_then(|h| h.reason()).map(|r| r.as_str()),
                    "description": h.and_then(|h| h.description()),
                })
            })
            .collect();
        let mut states: BTreeMap<String, usize> = BTreeMap::new();
        for t in &items {
            *states
                .entry(t["state"].as_str().unwrap_or("unknown").to_string())
                .or_default() += 1;
        }
        let counts: Vec<String> = states.iter().map(|(s, n)| format!("{n} {s}")).collect();
        Ok(Output::new(
            format!(
                "{} target(s){}.",
                items.len(),
                if counts.is_empty() {
                    String::new()
                } else {
                    format!(": {}", counts.join(", "))
                }
            ),
            json!({ "targets": items }),
        ))
    }

    pub async fn list_listeners(&self, i: ListListeners) -> Result<Output, ToolError> {
        let page = PageRequest::new(i.max_results, i.next_token.as_deref())?;
        let resp = self
            .client
            .describe_listeners()
            .set_load_balancer_arn(i.load_balancer_arn)
            .set_listener_arns(i.listener_arns)
            .page_size(page.aws_page_size(1, 400))
            .set_marker(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let all: Vec<Value> = resp.listeners().iter().map(listener).collect();
        let (items, next) = page.finish(all, resp.next_marker().map(str::to_string));
        Ok(Output::new(
            format!("{} listener(s).", items.len()),
            json!({ "listeners": items }),
        )
        .with_next_token(next))
    }

    pub async fn create_listener(&self, i: CreateListener) -> Result<Output, ToolError> {
        let forward = ElbAction::builder()
            .r#type(ActionTypeEnum::Forward)
            .target_group_arn(&i.target_group_arn)
            .build();
        let resp = self
            .client
            .create_listener()
            .load_balancer_arn(&i.load_balancer_arn)
            .protocol(ProtocolEnum::from(i.protocol.as_str()))
            .port(i.port)
            .default_actions(forward)
            .set_certificates(
                i.certificate_arn
                    .as_ref()
                    .map(|c| vec![Certificate::builder().certificate_arn(c).build()]),
            )
            .set_ssl_policy(i.ssl_policy.clone())
            .set_tags(tags(i.tags.as_ref()))
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let data = resp
            .listeners()
            .first()
            .map(listener)
            .unwrap_or_else(|| json!({}));
        Ok(Output::new(
            format!(
                "Created {} listener on port {} forwarding to {}.",
                i.protocol.as_str(),
                i.port,
                i.target_group_arn
            ),
            data,
        ))
    }

    pub async fn delete_listener(&self, arn: &str) -> Result<Output, ToolError> {
        self.client
            .delete_listener()
            .listener_arn(arn)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        Ok(Output::new(
            format!("Deleted listener {arn}."),
            json!({ "deleted": arn }),
        ))
    }
}

fn tags(tags: Option<&Tags>) -> Option<Vec<Tag>> {
    let tags = tags.filter(|t| !t.is_empty())?;
    Some(
        tags.iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect(),
    )
}

fn load_balancer(lb: &LoadBalancer) -> Value {
    json!({
        "load_balancer_arn": lb.load_balancer_arn(),
        "name": lb.load_balancer_name(),
        "type": lb.r#type().map(|t| t.as_str()),
        "scheme": lb.scheme().map(|s| s.as_str()),
        "state": lb.state().and_then(|s| s.code()).map(|c| c.as_str()),
        "dns_name": lb.dns_name(),
        "vpc_id": lb.vpc_id(),
        "subnets": lb.availability_zones().iter().map(|z| json!({
            "availability_zone": z.zone_name(),
            "subnet_id": z.subnet_id(),
        })).collect::<Vec<_>>(),
        "security_group_ids": lb.security_groups(),
        "created_time": lb.created_time().map(time),
    })
}

fn target_group(t: &TargetGroup) -> Value {
    json!({
        "target_group_arn": t.target_group_arn(),
        "name": t.target_group_name(),
        "protocol": t.protocol().map(|p| p.as_str()),
        "port": t.port(),
        "vpc_id": t.vpc_id(),
        "target_type": t.target_type().map(|x| x.as_str()),
        "health_check_path": t.health_check_path(),
        "matcher": t.matcher().and_then(|m| m.http_code()),
        "load_balancer_arns": t.load_balancer_arns(),
    })
}

fn listener(l: &Listener) -> Value {
    json!({
        "listener_arn": l.listener_arn(),
        "load_balancer_arn": l.load_balancer_arn(),
        "protocol": l.protocol().map(|p| p.as_str()),
        "port": l.port(),
        "default_actions": l.default_actions().iter().map(|a| json!({
            "type": a.r#type().map(|t| t.as_str()),
            "target_group_arn": a.target_group_arn(),
        })).collect::<Vec<_>>(),
        "certificate_arns": l.certificates().iter().filter_map(|c| c.certificate_arn()).collect::<Vec<_>>(),
        "ssl_policy": l.ssl_policy(),
    })
}

fn lb(arn: &str) -> Target {
    Target::new(Kind::LoadBalancer, arn)
}

fn tg(arn: &str) -> Target {
    Target::new(Kind::TargetGroup, arn)
}

/// A listener, in its load balancer: the load balancer's ARN is the listener's without its
/// last part, with `listener/` read as `loadbalancer/`.
fn listener_target(arn: &str) -> Target {
    let target = Target::new(Kind::Listener, arn);
    match arn.rsplit_once('/') {
        Some((head, _)) if head.contains(":listener/") => {
            target.in_parent(lb(&head.replacen(":listener/", ":loadbalancer/", 1)))
        }
        _ => target,
    }
}

/// The target group and, for instance targets, the instances.
fn targets(group: &str, ids: &[String]) -> Vec<Target> {
    std::iter::once(tg(group))
        .chain(
            ids.iter()
                .filter(|id| id.starts_with("i-"))
                .map(|id| Target::new(Kind::Instance, id)),
        )
        .collect()
}

fn some_targets(ids: &[String]) -> Result<(), ToolError> {
    if ids.is_empty() {
        return Err(ToolError::invalid(
            "target_ids must name at least one target",
        ));
    }
    Ok(())
}
