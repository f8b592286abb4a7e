//! ECS services: list, describe, deploy from an image (task definition, logs, network,
//! circuit breaker), scale, roll back, delete, and the service's logs.

use std::collections::VecDeque;

use aws_sdk_ecs::{
    Client,
    types::{
        AssignPublicIp, AwsVpcConfiguration, Compatibility, ContainerDefinition,
        DeploymentCircuitBreaker, DeploymentConfiguration, KeyValuePair, LaunchType, LoadBalancer,
        LogConfiguration, LogDriver, NetworkConfiguration, NetworkMode, PortMapping, Service,
        TaskDefinitionStatus, TransportProtocol,
    },
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{check_name, check_tags, ecs::revision_of, ecs_tags, short, when};
use crate::{
    aws::{outcome, paging::PageRequest},
    error::ToolError,
    output::{MAX_PAGE, Output},
    registry::{Access, Action, Cx, Flag, Kind, Risk, Tags, Target},
};

/// The target of a service: `cluster/service`, in its cluster.
fn service_target(cluster: &str, service: &str) -> Target {
    Target::new(Kind::EcsService, format!("{cluster}/{service}"))
        .in_parent(Target::new(Kind::EcsCluster, cluster))
}

fn check_pair(cluster: &str, service: &str) -> Result<(), ToolError> {
    check_name("cluster", cluster, 255)?;
    check_name("service", service, 255)
}

/// The service, if it exists and is not deleted.
async fn find_service(
    client: &Client,
    cluster: &str,
    service: &str,
) -> Result<Option<Service>, ToolError> {
    let out = client
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await
        .map_err(ToolError::from_sdk)?;
    Ok(out
        .services()
        .iter()
        .find(|s| s.status() == Some("ACTIVE"))
        .cloned())
}

async fn existing_service(
    client: &Client,
    cluster: &str,
    service: &str,
) -> Result<Service, ToolError> {
    find_service(client, cluster, service)
        .await?
        .ok_or_else(|| ToolError::Precondition {
            message: format!("there is no active service {service} in the cluster {cluster}"),
            hint: "nothing was changed; list_services shows the cluster's services".into(),
            details: json!({"cluster": cluster, "service": service}),
        })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListServices {
    pub cluster: String,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListServices {
    const NAME: &'static str = "list_services";
    const DESCRIPTION: &'static str = "Services, task counts";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_name("cluster", &self.cluster, 255)?;
        PageRequest::new(self.max_results, self.next_token.as_deref()).map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::new(Kind::EcsCluster, &self.cluster)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let client: Client = cx.client().await;
        let out = client
            .list_services()
            .cluster(&self.cluster)
            .max_results(page.aws_page_size(1, 100))
            .set_next_token(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let (arns, next) = page.finish(
            out.service_arns().to_vec(),
            out.next_token().map(str::to_string),
        );
        let mut items = Vec::new();
        // DescribeServices takes at most 10 services.
        for chunk in arns.chunks(10) {
            let d = client
                .describe_services()
                .cluster(&self.cluster)
                .set_services(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(ToolError::from_sdk)?;
            items.extend(d.services().iter().map(|s| {
                json!({
                    "service": s.service_name(),
                    "status": s.status(),
                    "desired": s.desired_count(),
                    "running": s.running_count(),
                    "pending": s.pending_count(),
                    "task_definition": s.task_definition().map(short),
                    "launch_type": s.launch_type().map(|l| l.as_str()),
                    "deployments": s.deployments().len(),
                })
            }));
        }
        let short_of = items
            .iter()
            .filter(|s| s["running"].as_i64() < s["desired"].as_i64())
            .count();
        Ok(Output::new(
            format!(
                "{} service(s) in {}{}.",
                items.len(),
                self.cluster,
                if short_of > 0 {
                    format!("; {short_of} run fewer tasks than desired")
                } else {
                    String::new()
                }
            ),
            json!({"services": items}),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DescribeService {
    pub cluster: String,
    pub service: String,
}

impl Action for DescribeService {
    const NAME: &'static str = "describe_service";
    const DESCRIPTION: &'static str = "Deployments, events, counts";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_pair(&self.cluster, &self.service)
    }

    fn targets(&self) -> Vec<Target> {
        vec![service_target(&self.cluster, &self.service)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let s = existing_service(&client, &self.cluster, &self.service).await?;
        let deployments: Vec<Value> = s
            .deployments()
            .iter()
            .map(|d| {
                json!({
                    "id": d.id(),
                    "status": d.status(),
                    "task_definition": d.task_definition().map(short),
                    "desired": d.desired_count(),
                    "running": d.running_count(),
                    "pending": d.pending_count(),
                    "failed_tasks": d.failed_tasks(),
                    "rollout_state": d.rollout_state().map(|r| r.as_str()),
                    "rollout_reason": d.rollout_state_reason(),
                    "created_at": when(d.created_at()),
                })
            })
            .collect();
        // Newest first, and only the last 20: a service keeps 100 events.
        let events: Vec<Value> = s
            .events()
            .iter()
            .take(20)
            .map(|e| json!({"at": when(e.created_at()), "message": e.message()}))
            .collect();
        let breaker = s
            .deployment_configuration()
            .and_then(|c| c.deployment_circuit_breaker());
        let network = s
            .network_configuration()
            .and_then(|n| n.awsvpc_configuration());
        let lbs: Vec<Value> = s
            .load_balancers()
            .iter()
            .map(|l| {
                json!({"target_group": l.target_group_arn(), "container": l.container_name(),
                       "port": l.container_port()})
            })
            .collect();
        Ok(Output::new(
            format!(
                "{} in {}: {} of {} task(s) running on {}, {} deployment(s).",
                self.service,
                self.cluster,
                s.running_count(),
                s.desired_count(),
                s.task_definition().map(short).unwrap_or("?"),
                deployments.len()
            ),
            json!({
                "service": s.service_name(),
                "status": s.status(),
                "desired": s.desired_count(),
                "running": s.running_count(),
                "pending": s.pending_count(),
                "task_definition": s.task_definition().map(short),
                "launch_type": s.launch_type().map(|l| l.as_str()),
                "circuit_breaker": breaker.map(|b| json!({"enable": b.enable(), "rollback": b.rollback()})),
                "subnets": network.map(|n| n.subnets()),
                "security_groups": network.map(|n| n.security_groups()),
                "load_balancers": lbs,
                "deployments": deployments,
                "events": events,
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeployService {
    pub cluster: String,
    pub service: String,
    pub image: String,
    /// Default 256
    pub cpu: Option<u32>,
    /// MiB
    pub memory: Option<u32>,
    pub port: Option<u16>,
    pub environment: Option<Tags>,
    pub desired_count: Option<u32>,
    /// Required on create
    pub subnets: Option<Vec<String>>,
    pub security_groups: Option<Vec<String>>,
    pub assign_public_ip: Option<bool>,
    pub target_group_arn: Option<String>,
    pub execution_role_arn: String,
    pub task_role_arn: Option<String>,
    pub tags: Option<Tags>,
}

/// Fargate's CPU and memory pairs (MiB): for each CPU size, the memory range and step.
const FARGATE_SIZES: &[(u32, u32, u32, u32)] = &[
    (256, 512, 2048, 512),
    (512, 1024, 4096, 1024),
    (1024, 2048, 8192, 1024),
    (2048, 4096, 16384, 1024),
    (4096, 8192, 30720, 1024),
    (8192, 16384, 61440, 4096),
    (16384, 32768, 122880, 8192),
];

impl DeployService {
    fn cpu(&self) -> u32 {
        self.cpu.unwrap_or(256)
    }

    fn memory(&self) -> u32 {
        self.memory.unwrap_or(512)
    }

    fn log_group(&self) -> String {
        format!("/ecs/{}/{}", self.cluster, self.service)
    }
}

fn check_role(field: &str, arn: &str) -> Result<(), ToolError> {
    if !(arn.starts_with("arn:") && arn.contains(":iam::") && arn.contains(":role/")) {
        return Err(ToolError::invalid(format!(
            "{field} must be an IAM role ARN, got '{arn}'"
        )));
    }
    Ok(())
}

impl Action for DeployService {
    const NAME: &'static str = "deploy_service";
    const DESCRIPTION: &'static str = "Deploy an image to Fargate";
    const ACCESS: Access = Access::Write;
    // A new revision rolls out behind the circuit breaker; in production it is high (flag).
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_pair(&self.cluster, &self.service)?;
        check_tags(self.tags.as_ref())?;
        if self.image.is_empty()
            || self.image.len() > 255
            || self.image.contains(char::is_whitespace)
        {
            return Err(ToolError::invalid(
                "image must be an image reference like repo/name:tag (up to 255 characters)",
            ));
        }
        let (cpu, mem) = (self.cpu(), self.memory());
        match FARGATE_SIZES.iter().find(|(c, ..)| *c == cpu) {
            None => {
                return Err(ToolError::invalid(
                    "cpu must be 256, 512, 1024, 2048, 4096, 8192 or 16384",
                ));
            }
            Some((_, lo, hi, step)) if mem < *lo || mem > *hi || (mem - lo) % step != 0 => {
                return Err(ToolError::invalid(format!(
                    "memory {mem} does not fit cpu {cpu} on Fargate: {lo}-{hi} MiB in steps of \
                     {step}"
                )));
            }
            Some(_) => {}
        }
        if self.port == Some(0) {
            return Err(ToolError::invalid("port must be 1-65535"));
        }
        if self.target_group_arn.is_some() && self.port.is_none() {
            return Err(ToolError::invalid(
                "target_group_arn needs the container's port",
            ));
        }
        if let Some(arn) = &self.target_group_arn
            && !arn.contains(":targetgroup/")
        {
            return Err(ToolError::invalid(format!(
                "'{arn}' is not a target group ARN"
            )));
        }
        if let Some(env) = &self.environment
            && (env.len() > 100 || env.keys().any(|k| k.is_empty() || k.len() > 255))
        {
            return Err(ToolError::invalid(
                "environment takes at most 100 variables with names of 1-255 characters",
            ));
        }
        if self.desired_count.is_some_and(|n| n > 5000) {
            return Err(ToolError::invalid("desired_count is at most 5000"));
        }
        for s in self.subnets.iter().flatten() {
            if !s.starts_with("subnet-") {
                return Err(ToolError::invalid(format!("'{s}' is not a subnet id")));
            }
        }
        for g in self.security_groups.iter().flatten() {
            if !g.starts_with("sg-") {
                return Err(ToolError::invalid(format!(
                    "'{g}' is not a security group id"
                )));
            }
        }
        check_role("execution_role_arn", &self.execution_role_arn)?;
        if let Some(r) = &self.task_role_arn {
            check_role("task_role_arn", r)?;
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        let mut t = vec![service_target(&self.cluster, &self.service)];
        t.extend(self.subnets.iter().flatten().map(Target::ec2));
        t.extend(self.security_groups.iter().flatten().map(Target::ec2));
        t.extend(
            self.target_group_arn
                .iter()
                .map(|a| Target::new(Kind::TargetGroup, a)),
        );
        t
    }

    fn flags(&self) -> Vec<Flag> {
        let mut f =
            vec![Flag::high("rolls out a new task definition in production").in_production()];
        if self.desired_count == Some(0) {
            f.push(Flag::high("scales a production service to 0 tasks").in_production());
        }
        f
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let existing = find_service(&client, &self.cluster, &self.service).await?;
        if existing.is_none() && self.subnets.as_ref().is_none_or(Vec::is_empty) {
            return Err(ToolError::invalid(
                "subnets are required to create a service (Fargate runs tasks in your VPC)",
            ));
        }
        let region = cx
            .region()
            .ok_or_else(|| ToolError::invalid("no region: set region or AWS_REGION"))?;
        let mut done: Vec<String> = Vec::new();

        // The log group the containers write to, tagged like the service.
        let logs: aws_sdk_cloudwatchlogs::Client = cx.client().await;
        let group = self.log_group();
        match logs
            .create_log_group()
            .log_group_name(&group)
            .set_tags(self.tags.clone().map(|t| t.into_iter().collect()))
            .send()
            .await
        {
            Ok(_) => done.push(format!("created the log group {group}")),
            Err(e) => {
                let e = ToolError::from_sdk(e);
                if e.aws_code() != Some("ResourceAlreadyExistsException") {
                    return Err(e);
                }
            }
        }

        let mut container = ContainerDefinition::builder()
            .name(&self.service)
            .image(&self.image)
            .essential(true)
            .log_configuration(
                LogConfiguration::builder()
                    .log_driver(LogDriver::Awslogs)
                    .options("awslogs-group", &group)
                    .options("awslogs-region", &region)
                    .options("awslogs-stream-prefix", "ecs")
                    .build()
                    .map_err(|e| ToolError::invalid(e.to_string()))?,
            );
        if let Some(p) = self.port {
            container = container.port_mappings(
                PortMapping::builder()
                    .container_port(i32::from(p))
                    .protocol(TransportProtocol::Tcp)
                    .build(),
            );
        }
        for (k, v) in self.environment.iter().flatten() {
            container = container.environment(KeyValuePair::builder().name(k).value(v).build());
        }
        // RegisterTaskDefinition has no idempotency token; a repeat only adds a revision, but
        // it is still sent once.
        let registered = client
            .register_task_definition()
            .family(&self.service)
            .network_mode(NetworkMode::Awsvpc)
            .requires_compatibilities(Compatibility::Fargate)
            .cpu(self.cpu().to_string())
            .memory(self.memory().to_string())
            .execution_role_arn(&self.execution_role_arn)
            .set_task_role_arn(self.task_role_arn.clone())
            .container_definitions(container.build())
            .set_tags(ecs_tags(&self.tags))
            .customize()
            .config_override(
                aws_sdk_ecs::config::Builder::default().retry_classifier(outcome::OnceSent),
            )
            .send()
            .await
            .map_err(|e| {
                outcome::stopped(
                    &done,
                    "register the task definition",
                    ToolError::from_sdk(e),
                )
            })?;
        let td = registered
            .task_definition()
            .and_then(|t| t.task_definition_arn())
            .unwrap_or_default()
            .to_string();
        done.push(format!("registered {}", short(&td)));

        let breaker = DeploymentConfiguration::builder()
            .deployment_circuit_breaker(
                DeploymentCircuitBreaker::builder()
                    .enable(true)
                    .rollback(true)
                    .build(),
            )
            .maximum_percent(200)
            .minimum_healthy_percent(100)
            .build();
        let network = match &self.subnets {
            Some(subnets) if !subnets.is_empty() => Some(
                NetworkConfiguration::builder()
                    .awsvpc_configuration(
                        AwsVpcConfiguration::builder()
                            .set_subnets(Some(subnets.clone()))
                            .set_security_groups(self.security_groups.clone())
                            .assign_public_ip(if self.assign_public_ip.unwrap_or(false) {
                                AssignPublicIp::Enabled
                            } else {
                                AssignPublicIp::Disabled
                            })
                            .build()
                            .map_err(|e| ToolError::invalid(e.to_string()))?,
                    )
                    .build(),
            ),
            _ => None,
        };
        let lb = self.target_group_arn.as_ref().map(|arn| {
            LoadBalancer::builder()
                .target_group_arn(arn)
                .container_name(&self.service)
                .container_port(i32::from(self.port.unwrap_or_default()))
                .build()
        });
        let (verb, s) = match &existing {
            Some(_) => {
                let out = client
                    .update_service()
                    .cluster(&self.cluster)
                    .service(&self.service)
                    .task_definition(&td)
                    .set_desired_count(self.desired_count.map(|n| n as i32))
                    .deployment_configuration(breaker)
                    .set_network_configuration(network)
                    .set_load_balancers(lb.map(|l| vec![l]))
                    .send()
                    .await
                    .map_err(|e| {
                        outcome::stopped(&done, "update the service", ToolError::from_sdk(e))
                    })?;
                ("Updated", out.service().cloned())
            }
            None => {
                let out = client
                    .create_service()
                    .cluster(&self.cluster)
                    .service_name(&self.service)
                    .task_definition(&td)
                    .desired_count(self.desired_count.unwrap_or(1) as i32)
                    .launch_type(LaunchType::Fargate)
                    .deployment_configuration(breaker)
                    .set_network_configuration(network)
                    .set_load_balancers(lb.map(|l| vec![l]))
                    .client_token(outcome::call_token())
                    .set_tags(ecs_tags(&self.tags))
                    .send()
                    .await
                    .map_err(|e| {
                        outcome::stopped(&done, "create the service", ToolError::from_sdk(e))
                    })?;
                ("Created", out.service().cloned())
            }
        };
        let env_names: Vec<&String> = self.environment.iter().flat_map(|e| e.keys()).collect();
        Ok(Output::new(
            format!(
                "{verb} the service {} in {} on {} ({} task(s) desired); the deployment rolls \
                 back by itself if it fails.",
                self.service,
                self.cluster,
                short(&td),
                s.as_ref().map(|s| s.desired_count()).unwrap_or_default()
            ),
            json!({
                "service": self.service,
                "cluster": self.cluster,
                "task_definition": short(&td),
                "image": self.image,
                "cpu": self.cpu(),
                "memory": self.memory(),
                "port": self.port,
                // Names only: values may be secrets.
                "environment": env_names,
                "log_group": group,
                "desired": s.as_ref().map(|s| s.desired_count()),
                "circuit_breaker": {"enable": true, "rollback": true},
                "created": existing.is_none(),
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScaleService {
    pub cluster: String,
    pub service: String,
    pub desired_count: u32,
}

impl Action for ScaleService {
    const NAME: &'static str = "scale_service";
    const DESCRIPTION: &'static str = "Set desired count";
    const ACCESS: Access = Access::Write;
    // Scaling to 0 in production is high (flag).
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_pair(&self.cluster, &self.service)?;
        if self.desired_count > 5000 {
            return Err(ToolError::invalid("desired_count is at most 5000"));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![service_target(&self.cluster, &self.service)]
    }

    fn flags(&self) -> Vec<Flag> {
        if self.desired_count == 0 {
            vec![Flag::high("scales a production service to 0 tasks").in_production()]
        } else {
            Vec::new()
        }
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let before = existing_service(&client, &self.cluster, &self.service).await?;
        client
            .update_service()
            .cluster(&self.cluster)
            .service(&self.service)
            .desired_count(self.desired_count as i32)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        Ok(Output::new(
            format!(
                "Scaled {} in {} from {} to {} task(s).",
                self.service,
                self.cluster,
                before.desired_count(),
                self.desired_count
            ),
            json!({"service": self.service, "cluster": self.cluster,
                   "desired_before": before.desired_count(), "desired": self.desired_count}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackService {
    pub cluster: String,
    pub service: String,
    /// family:revision
    pub task_definition: Option<String>,
}

impl Action for RollbackService {
    const NAME: &'static str = "rollback_service";
    const DESCRIPTION: &'static str = "To previous/named revision";
    const ACCESS: Access = Access::Write;
    // Rolling back production is high (flag).
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_pair(&self.cluster, &self.service)?;
        if let Some(td) = &self.task_definition {
            let (family, rev) = revision_of(td);
            if family.is_empty() || rev <= 0 {
                return Err(ToolError::invalid(format!(
                    "task_definition must be family:revision or its ARN, got '{td}'"
                )));
            }
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![service_target(&self.cluster, &self.service)]
    }

    fn flags(&self) -> Vec<Flag> {
        vec![Flag::high("changes what a production service runs").in_production()]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let s = existing_service(&client, &self.cluster, &self.service).await?;
        let current = s.task_definition().unwrap_or_default().to_string();
        let (family, rev) = revision_of(&current);
        let target = match &self.task_definition {
            Some(td) => {
                let d = client
                    .describe_task_definition()
                    .task_definition(td)
                    .send()
                    .await
                    .map_err(ToolError::from_sdk)?;
                d.task_definition()
                    .and_then(|t| t.task_definition_arn())
                    .unwrap_or(td)
                    .to_string()
            }
            None => {
                let mut pages = client
                    .list_task_definitions()
                    .family_prefix(&family)
                    .status(TaskDefinitionStatus::Active)
                    .into_paginator()
                    .items()
                    .send();
                let mut best: Option<(i64, String)> = None;
                let mut seen = 0;
                while let Some(arn) = pages.next().await {
                    let arn = arn.map_err(ToolError::from_sdk)?;
                    let (f, r) = revision_of(&arn);
                    if f == family && r < rev && best.as_ref().is_none_or(|(b, _)| r > *b) {
                        best = Some((r, arn));
                    }
                    seen += 1;
                    if seen >= 10 * MAX_PAGE {
                        break;
                    }
                }
                best.map(|(_, a)| a)
                    .ok_or_else(|| ToolError::Precondition {
                        message: format!(
                            "{} runs {}, and there is no earlier active revision of {family}",
                            self.service,
                            short(&current)
                        ),
                        hint: "nothing was changed; name one with task_definition \
                           (list_task_definitions shows them)"
                            .into(),
                        details: json!({"current": short(&current)}),
                    })?
            }
        };
        if short(&target) == short(&current) {
            return Err(ToolError::Precondition {
                message: format!("{} already runs {}", self.service, short(&current)),
                hint: "nothing was changed".into(),
                details: json!({"current": short(&current)}),
            });
        }
        client
            .update_service()
            .cluster(&self.cluster)
            .service(&self.service)
            .task_definition(&target)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        Ok(Output::new(
            format!(
                "Rolling {} back from {} to {}.",
                self.service,
                short(&current),
                short(&target)
            ),
            json!({"service": self.service, "cluster": self.cluster,
                   "from": short(&current), "to": short(&target)}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteService {
    pub cluster: String,
    pub service: String,
}

impl Action for DeleteService {
    const NAME: &'static str = "delete_service";
    const DESCRIPTION: &'static str = "Delete a service";
    const ACCESS: Access = Access::Destructive;
    const RISK: Risk = Risk::Critical;

    fn validate(&self) -> Result<(), ToolError> {
        check_pair(&self.cluster, &self.service)
    }

    fn targets(&self) -> Vec<Target> {
        vec![service_target(&self.cluster, &self.service)]
    }

    /// A service holds no data; its task definitions stay, and the result names the one it
    /// ran, which is what it takes to deploy it again.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let s = existing_service(&client, &self.cluster, &self.service).await?;
        client
            .delete_service()
            .cluster(&self.cluster)
            .service(&self.service)
            .force(true)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        Ok(Output::new(
            format!(
                "Deleted the service {} in {}; its {} task(s) are stopping.",
                self.service,
                self.cluster,
                s.running_count()
            ),
            json!({"service": self.service, "cluster": self.cluster, "deleted": true,
                   "task_definition": s.task_definition().map(short),
                   "desired_before": s.desired_count()}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetServiceLogs {
    pub cluster: String,
    pub service: String,
    /// Text to match
    pub filter: Option<String>,
    /// Default 60
    pub minutes: Option<u32>,
    pub max_results: Option<u32>,
}

/// Events read at most per call (FilterLogEvents pages), newest kept.
const MAX_SCANNED: usize = 20_000;
/// A log line longer than this is cut.
const MAX_MESSAGE: usize = 2_000;

impl Action for GetServiceLogs {
    const NAME: &'static str = "get_service_logs";
    const DESCRIPTION: &'static str = "Service logs, newest first";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_pair(&self.cluster, &self.service)?;
        if self.minutes.is_some_and(|m| m == 0 || m > 60 * 24 * 14) {
            return Err(ToolError::invalid("minutes must be 1-20160 (14 days)"));
        }
        if self
            .filter
            .as_ref()
            .is_some_and(|f| f.is_empty() || f.len() > 1000)
        {
            return Err(ToolError::invalid("filter is 1-1000 characters"));
        }
        if self.max_results == Some(0) {
            return Err(ToolError::invalid("max_results must be at least 1"));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![service_target(&self.cluster, &self.service)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let s = existing_service(&client, &self.cluster, &self.service).await?;
        let td = s.task_definition().unwrap_or_default();
        let d = client
            .describe_task_definition()
            .task_definition(td)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        // Each container with the awslogs driver: its group and stream prefix.
        let sources: Vec<(String, String)> = d
            .task_definition()
            .map(|t| t.container_definitions())
            .unwrap_or_default()
            .iter()
            .filter_map(|c| {
                let l = c.log_configuration()?;
                if l.log_driver() != &LogDriver::Awslogs {
                    return None;
                }
                let o = l.options()?;
                let group = o.get("awslogs-group")?.clone();
                let prefix = o
                    .get("awslogs-stream-prefix")
                    .map(|p| format!("{p}/{}", c.name().unwrap_or_default()))
                    .unwrap_or_default();
                Some((group, prefix))
            })
            .collect();
        if sources.is_empty() {
            return Err(ToolError::Precondition {
                message: format!(
                    "{} ({}) sends no container logs to CloudWatch Logs",
                    self.service,
                    short(td)
                ),
                hint: "deploy it with deploy_service, which sets the awslogs driver".into(),
                details: json!({"task_definition": short(td)}),
            });
        }
        let limit = self.max_results.map_or(50, |n| (n as usize).min(MAX_PAGE));
        let minutes = i64::from(self.minutes.unwrap_or(60));
        let now = jiff::Timestamp::now().as_millisecond();
        let start = now - minutes * 60_000;
        let pattern = self.filter.as_deref().map(literal_pattern);
        let logs: aws_sdk_cloudwatchlogs::Client = cx.client().await;
        let mut newest: VecDeque<(i64, String, String)> = VecDeque::new();
        let mut scanned = 0usize;
        let mut partial = false;
        for (group, prefix) in &sources {
            let mut pages = logs
                .filter_log_events()
                .log_group_name(group)
                .set_log_stream_name_prefix((!prefix.is_empty()).then(|| prefix.clone()))
                .start_time(start)
                .end_time(now)
                .set_filter_pattern(pattern.clone())
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = match page {
                    Ok(p) => p,
                    Err(e) => match ToolError::from_sdk(e) {
                        e if e.aws_code() == Some("ResourceNotFoundException") => break,
                        e => return Err(e),
                    },
                };
                // The prefix is checked again here: an endpoint that ignores it (moto) must
                // not mix in other containers' streams.
                for e in page
                    .events()
                    .iter()
                    .filter(|e| e.log_stream_name().unwrap_or_default().starts_with(prefix))
                {
                    scanned += 1;
                    newest.push_back((
                        e.timestamp().unwrap_or_default(),
                        short(e.log_stream_name().unwrap_or_default()).to_string(),
                        cut(e.message().unwrap_or_default()),
                    ));
                    if newest.len() > 2 * limit {
                        // Keep the newest: events come oldest first within a group.
                        newest
                            .make_contiguous()
                            .sort_by_key(|(t, ..)| std::cmp::Reverse(*t));
                        newest.truncate(limit);
                    }
                }
                if scanned >= MAX_SCANNED {
                    partial = true;
                    break;
                }
            }
        }
        let mut events: Vec<(i64, String, String)> = newest.into_iter().collect();
        events.sort_by_key(|(t, ..)| std::cmp::Reverse(*t));
        events.truncate(limit);
        let items: Vec<Value> = events
            .iter()
            .map(|(t, stream, m)| {
                json!({
                    "at": jiff::Timestamp::from_millisecond(*t).map(|t| t.to_string()).ok(),
                    "task": stream,
                    "message": m,
                })
            })
            .collect();
        let mut out = json!({
            "log_groups": sources.iter().map(|(g, _)| g).collect::<Vec<_>>(),
            "events": items,
        });
        if partial {
            out["note"] = json!(format!(
                "stopped after reading {MAX_SCANNED} events; these are the newest of those, \
                 not of the whole window: use fewer minutes or a filter"
            ));
        }
        Ok(Output::new(
            format!(
                "{} log event(s) of {} from the last {minutes} minute(s){}.",
                items.len(),
                self.service,
                self.filter
                    .as_ref()
                    .map(|f| format!(" matching '{f}'"))
                    .unwrap_or_default()
            ),
            out,
        ))
    }
}

/// Plain text as a CloudWatch Logs filter term that matches it literally.
pub fn literal_pattern(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A log line, cut to [`MAX_MESSAGE`] bytes at a character boundary.
pub fn cut(message: &str) -> String {
    if message.len() <= MAX_MESSAGE {
        return message.trim_end().to_string();
    }
    let mut end = MAX_MESSAGE;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &message[..end], message.len())
}
