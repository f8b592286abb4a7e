//! ECS and EKS clusters side by side, ECS clusters' create and delete, tasks and task
//! definitions.

use aws_sdk_ecs::{
    Client,
    types::{
        CapacityProviderStrategyItem, Cluster, ClusterField, ClusterSetting, ClusterSettingName,
        DesiredStatus, SortOrder, Task, TaskDefinitionStatus,
    },
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{check_name, check_tags, ecs_tags, short, when};
use crate::{
    aws::{outcome, paging::PageRequest},
    error::ToolError,
    output::{MAX_PAGE, Output},
    registry::{Access, Action, Cx, Kind, Risk, Tags, Target},
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListClusters {
    /// ecs or eks
    pub platform: Option<String>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListClusters {
    const NAME: &'static str = "list_clusters";
    const DESCRIPTION: &'static str = "ECS/EKS clusters, service/task counts";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        if let Some(p) = &self.platform
            && p != "ecs"
            && p != "eks"
        {
            return Err(ToolError::invalid("platform must be ecs or eks"));
        }
        PageRequest::new(self.max_results, self.next_token.as_deref()).map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    /// Names of both platforms are listed in full (up to 1,000 each), then only the page is
    /// described, so `next_token` pages over one list of ECS then EKS clusters.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let want = |p: &str| self.platform.as_deref().is_none_or(|w| w == p);
        let mut names: Vec<(&str, String)> = Vec::new();
        if want("ecs") {
            let ecs: Client = cx.client().await;
            let mut pages = ecs.list_clusters().into_paginator().items().send();
            while let Some(arn) = pages.next().await {
                names.push(("ecs", arn.map_err(ToolError::from_sdk)?));
                if names.len() >= MAX_PAGE {
                    break;
                }
            }
        }
        if want("eks") {
            let eks: aws_sdk_eks::Client = cx.client().await;
            let mut pages = eks.list_clusters().into_paginator().items().send();
            let mut n = 0;
            while let Some(name) = pages.next().await {
                names.push(("eks", name.map_err(ToolError::from_sdk)?));
                n += 1;
                if n >= MAX_PAGE {
                    break;
                }
            }
        }
        let (names, next) = page.finish(names, None);
        let ecs_arns: Vec<String> = names
            .iter()
            .filter(|(p, _)| *p == "ecs")
            .map(|(_, a)| a.clone())
            .collect();
        let mut items: Vec<Value> = Vec::new();
        if !ecs_arns.is_empty() {
            let ecs: Client = cx.client().await;
            for chunk in ecs_arns.chunks(100) {
                let out = ecs
                    .describe_clusters()
                    .set_clusters(Some(chunk.to_vec()))
                    .include(ClusterField::Settings)
                    .send()
                    .await
                    .map_err(ToolError::from_sdk)?;
                items.extend(out.clusters().iter().map(cluster_json));
            }
        }
        let eks_names: Vec<&String> = names
            .iter()
            .filter(|(p, _)| *p == "eks")
            .map(|(_, n)| n)
            .collect();
        if !eks_names.is_empty() {
            let eks: aws_sdk_eks::Client = cx.client().await;
            for name in eks_names {
                let out = eks
                    .describe_cluster()
                    .name(name)
                    .send()
                    .await
                    .map_err(ToolError::from_sdk)?;
                if let Some(c) = out.cluster() {
                    let groups = eks
                        .list_nodegroups()
                        .cluster_name(name)
                        .send()
                        .await
                        .map(|r| r.nodegroups().len())
                        .ok();
                    items.push(json!({
                        "platform": "eks",
                        "name": c.name(),
                        "status": c.status().map(|s| s.as_str()),
                        "version": c.version(),
                        "nodegroups": groups,
                        "created_at": when(c.created_at()),
                    }));
                }
            }
        }
        let ecs_count = items.iter().filter(|c| c["platform"] == "ecs").count();
        Ok(Output::new(
            format!(
                "{} cluster(s): {ecs_count} ECS, {} EKS.",
                items.len(),
                items.len() - ecs_count
            ),
            json!({"clusters": items}),
        )
        .with_next_token(next))
    }
}

fn cluster_json(c: &Cluster) -> Value {
    let insights = c
        .settings()
        .iter()
        .find(|s| s.name() == Some(&ClusterSettingName::ContainerInsights))
        .and_then(|s| s.value());
    json!({
        "platform": "ecs",
        "name": c.cluster_name(),
        "status": c.status(),
        "services": c.active_services_count(),
        "running_tasks": c.running_tasks_count(),
        "pending_tasks": c.pending_tasks_count(),
        "container_instances": c.registered_container_instances_count(),
        "capacity_providers": c.capacity_providers(),
        "container_insights": insights,
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEcsCluster {
    pub cluster: String,
    pub tags: Option<Tags>,
}

impl Action for CreateEcsCluster {
    const NAME: &'static str = "create_ecs_cluster";
    const DESCRIPTION: &'static str = "Fargate/Spot cluster, Container Insights";
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_name("cluster", &self.cluster, 255)?;
        check_tags(self.tags.as_ref())
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::created(Kind::EcsCluster, &self.cluster)]
    }

    /// CreateCluster takes no idempotency token and, for a name in use, answers with the
    /// existing cluster: an active one is refused first (so a create cannot re-tag or re-set a
    /// production cluster), and the create is sent once.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let existing = client
            .describe_clusters()
            .clusters(&self.cluster)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        if existing
            .clusters()
            .iter()
            .any(|c| c.status() == Some("ACTIVE"))
        {
            return Err(ToolError::Precondition {
                message: format!("an ECS cluster named {} exists", self.cluster),
                hint: "nothing was created; pick another name, or use it as it is".into(),
                details: json!({"cluster": self.cluster}),
            });
        }
        let strategy = |p: &str, w: i32, base: i32| {
            CapacityProviderStrategyItem::builder()
                .capacity_provider(p)
                .weight(w)
                .base(base)
                .build()
                .map_err(|e| ToolError::invalid(e.to_string()))
        };
        let out = client
            .create_cluster()
            .cluster_name(&self.cluster)
            .capacity_providers("FARGATE")
            .capacity_providers("FARGATE_SPOT")
            .default_capacity_provider_strategy(strategy("FARGATE", 1, 0)?)
            .settings(
                ClusterSetting::builder()
                    .name(ClusterSettingName::ContainerInsights)
                    .value("enabled")
                    .build(),
            )
            .set_tags(ecs_tags(&self.tags))
            .customize()
            .config_override(
                aws_sdk_ecs::config::Builder::default().retry_classifier(outcome::OnceSent),
            )
            .send()
            .await
            .map_err(|e| {
                outcome::sent_once(
                    e,
                    ToolError::from_sdk,
                    "CreateCluster",
                    "the cluster",
                    || outcome::Check {
                        tool: "aws_containers",
                        action: "list_clusters",
                        arguments: json!({"platform": "ecs"}),
                        look_for: format!("the cluster {}", self.cluster),
                    },
                )
            })?;
        let c = out.cluster();
        Ok(Output::new(
            format!(
                "Created the ECS cluster {} with Fargate and Fargate Spot capacity and Container \
                 Insights.",
                self.cluster
            ),
            json!({
                "cluster": self.cluster,
                "arn": c.and_then(|c| c.cluster_arn()),
                "status": c.and_then(|c| c.status()),
                "capacity_providers": ["FARGATE", "FARGATE_SPOT"],
                "default_strategy": [{"capacity_provider": "FARGATE", "weight": 1}],
                "container_insights": true,
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteEcsCluster {
    pub cluster: String,
}

impl Action for DeleteEcsCluster {
    const NAME: &'static str = "delete_ecs_cluster";
    const DESCRIPTION: &'static str = "Delete an empty cluster";
    const ACCESS: Access = Access::Destructive;
    const RISK: Risk = Risk::Critical;

    fn validate(&self) -> Result<(), ToolError> {
        check_name("cluster", &self.cluster, 255)
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::new(Kind::EcsCluster, &self.cluster)]
    }

    /// AWS refuses a cluster with services or tasks; that is checked first and reported with
    /// what is in it. A cluster holds no data of its own, so there is nothing to back up.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let out = client
            .describe_clusters()
            .clusters(&self.cluster)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let Some(c) = out
            .clusters()
            .iter()
            .find(|c| c.status() != Some("INACTIVE"))
        else {
            return Err(ToolError::Precondition {
                message: format!("there is no active ECS cluster named {}", self.cluster),
                hint: "nothing was deleted; list_clusters shows the clusters".into(),
                details: json!({"cluster": self.cluster}),
            });
        };
        // The cluster's own count, or its listed services where that says more (emulators
        // do not keep the count).
        let listed = client
            .list_services()
            .cluster(&self.cluster)
            .send()
            .await
            .map_err(ToolError::from_sdk)?
            .service_arns()
            .len() as i32;
        let (services, running, pending) = (
            c.active_services_count().max(listed),
            c.running_tasks_count(),
            c.pending_tasks_count(),
        );
        if services > 0 || running > 0 || pending > 0 {
            return Err(ToolError::Precondition {
                message: format!(
                    "the cluster {} still has {services} service(s) and {} task(s)",
                    self.cluster,
                    running + pending
                ),
                hint: "nothing was deleted; delete its services (delete_service) and stop its \
                       tasks first"
                    .into(),
                details: json!({"services": services, "running_tasks": running,
                                "pending_tasks": pending}),
            });
        }
        client
            .delete_cluster()
            .cluster(&self.cluster)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        Ok(Output::new(
            format!("Deleted the ECS cluster {}.", self.cluster),
            json!({"cluster": self.cluster, "deleted": true}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListTasks {
    pub cluster: String,
    pub service: Option<String>,
    /// RUNNING, PENDING, STOPPED
    pub status: Option<String>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListTasks {
    const NAME: &'static str = "list_tasks";
    const DESCRIPTION: &'static str = "Tasks, status";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_name("cluster", &self.cluster, 255)?;
        if let Some(s) = &self.service {
            check_name("service", s, 255)?;
        }
        if let Some(s) = &self.status
            && !["RUNNING", "PENDING", "STOPPED"].contains(&s.as_str())
        {
            return Err(ToolError::invalid(
                "status must be RUNNING, PENDING or STOPPED",
            ));
        }
        PageRequest::new(self.max_results, self.next_token.as_deref()).map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::new(Kind::EcsCluster, &self.cluster)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let client: Client = cx.client().await;
        let status = self.status.as_deref().unwrap_or("RUNNING");
        let out = client
            .list_tasks()
            .cluster(&self.cluster)
            .set_service_name(self.service.clone())
            .desired_status(DesiredStatus::from(status))
            .max_results(page.aws_page_size(1, 100))
            .set_next_token(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let (arns, next) = page.finish(
            out.task_arns().to_vec(),
            out.next_token().map(str::to_string),
        );
        let mut items = Vec::new();
        if !arns.is_empty() {
            let d = client
                .describe_tasks()
                .cluster(&self.cluster)
                .set_tasks(Some(arns))
                .send()
                .await
                .map_err(ToolError::from_sdk)?;
            items.extend(d.tasks().iter().map(task_json));
        }
        Ok(Output::new(
            format!(
                "{} {} task(s) in {}{}.",
                items.len(),
                status.to_lowercase(),
                self.cluster,
                self.service
                    .as_ref()
                    .map(|s| format!(" for {s}"))
                    .unwrap_or_default()
            ),
            json!({"tasks": items}),
        )
        .with_next_token(next))
    }
}

fn task_json(t: &Task) -> Value {
    let containers: Vec<Value> = t
        .containers()
        .iter()
        .map(|c| {
            json!({
                "name": c.name(),
                "status": c.last_status(),
                "exit_code": c.exit_code(),
                "health": c.health_status().map(|h| h.as_str()),
                "reason": c.reason(),
            })
        })
        .collect();
    json!({
        "task": t.task_arn().map(short),
        "status": t.last_status(),
        "desired_status": t.desired_status(),
        "task_definition": t.task_definition_arn().map(short),
        "group": t.group(),
        "launch_type": t.launch_type().map(|l| l.as_str()),
        "cpu": t.cpu(),
        "memory": t.memory(),
        "started_at": when(t.started_at()),
        "stopped_reason": t.stopped_reason(),
        "containers": containers,
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StopTask {
    pub cluster: String,
    pub task: String,
    pub reason: Option<String>,
}

impl Action for StopTask {
    const NAME: &'static str = "stop_task";
    const DESCRIPTION: &'static str = "Stop a task";
    const ACCESS: Access = Access::Write;
    // Takes a running task down; its service starts another, a standalone task is gone.
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        check_name("cluster", &self.cluster, 255)?;
        let id = short(&self.task);
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(ToolError::invalid(format!(
                "task must be a task id or ARN, got '{}'",
                self.task
            )));
        }
        if self.reason.as_ref().is_some_and(|r| r.len() > 255) {
            return Err(ToolError::invalid("reason is at most 255 characters"));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![
            Target::new(
                Kind::EcsTask,
                format!("{}/{}", self.cluster, short(&self.task)),
            )
            .in_parent(Target::new(Kind::EcsCluster, &self.cluster)),
        ]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let reason = self
            .reason
            .clone()
            .unwrap_or_else(|| "stopped through espada-aws".into());
        let out = client
            .stop_task()
            .cluster(&self.cluster)
            .task(&self.task)
            .reason(&reason)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let t = out.task();
        let group = t.and_then(|t| t.group()).unwrap_or_default();
        Ok(Output::new(
            format!(
                "Stopping the task {} in {}{}.",
                short(&self.task),
                self.cluster,
                match group.strip_prefix("service:") {
                    Some(s) => format!("; the service {s} will start a replacement"),
                    None => String::new(),
                }
            ),
            json!({
                "task": short(&self.task),
                "cluster": self.cluster,
                "desired_status": t.and_then(|t| t.desired_status()),
                "group": t.and_then(|t| t.group()),
                "reason": reason,
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListTaskDefinitions {
    pub family: Option<String>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListTaskDefinitions {
    const NAME: &'static str = "list_task_definitions";
    const DESCRIPTION: &'static str = "Revisions, newest first";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        if let Some(f) = &self.family {
            check_name("family", f, 255)?;
        }
        PageRequest::new(self.max_results, self.next_token.as_deref()).map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let client: Client = cx.client().await;
        let status = Some(TaskDefinitionStatus::Active);
        let out = client
            .list_task_definitions()
            .set_family_prefix(self.family.clone())
            .set_status(status)
            .sort(SortOrder::Desc)
            .max_results(page.aws_page_size(1, 100))
            .set_next_token(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let mut arns: Vec<String> = out.task_definition_arns().to_vec();
        // Newest first within the page, whatever order the endpoint keeps.
        arns.sort_by_key(|a| std::cmp::Reverse(revision_of(a)));
        let (arns, next) = page.finish(arns, out.next_token().map(str::to_string));
        let items: Vec<Value> = arns
            .iter()
            .map(|a| {
                let (family, rev) = short(a).split_once(':').unwrap_or((short(a), ""));
                json!({"family": family, "revision": rev.parse::<i64>().ok(), "arn": a})
            })
            .collect();
        Ok(Output::new(
            format!("{} task definition revision(s).", items.len()),
            json!({"task_definitions": items}),
        )
        .with_next_token(next))
    }
}

/// `(family, revision)` of a task definition ARN or `family:revision`.
pub fn revision_of(arn: &str) -> (String, i64) {
    let (family, rev) = short(arn).split_once(':').unwrap_or((short(arn), "0"));
    (family.to_string(), rev.parse().unwrap_or(0))
}
