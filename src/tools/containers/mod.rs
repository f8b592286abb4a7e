//! `aws_containers`: ECS clusters, services, tasks, task definitions and service logs
//! (`ecs.rs`, `services.rs`), EKS clusters, node groups and Fargate profiles (`eks.rs`), and
//! ECR repositories, images and push commands (`ecr.rs`).
//!
//! Risk (issue 15): deleting an ECS cluster, a service or an EKS cluster is critical; a
//! deploy, a rollback or a scale to 0 in production is high ([`Flag::in_production`]: the
//! service's and its cluster's tags decide), and stopping a task is high. Environments come
//! from the ECS/EKS/ECR resources' own tags and from the cluster of a service or task (a task
//! also speaks with its service's tags): `Kind::EcsService`, `Kind::EcsTask` and friends in
//! `guardrails/tags.rs`. None of these services has a dry-run mode.
//!
//! [`Flag::in_production`]: crate::registry::Flag::in_production

pub mod ecr;
pub mod ecs;
pub mod eks;
pub mod services;

pub use crate::tools::check_tags;
use crate::{
    error::ToolError,
    registry::{ActionDef, Tags, Tool},
};

pub static TOOL: Tool = Tool {
    name: "aws_containers",
    toolset: "containers",
    about: "ECS, EKS and ECR.",
    actions: &[
        ActionDef::of::<ecs::ListClusters>(),
        ActionDef::of::<ecs::CreateEcsCluster>(),
        ActionDef::of::<ecs::DeleteEcsCluster>(),
        ActionDef::of::<services::ListServices>(),
        ActionDef::of::<services::DescribeService>(),
        ActionDef::of::<services::DeployService>(),
        ActionDef::of::<services::ScaleService>(),
        ActionDef::of::<services::RollbackService>(),
        ActionDef::of::<services::DeleteService>(),
        ActionDef::of::<ecs::ListTasks>(),
        ActionDef::of::<ecs::StopTask>(),
        ActionDef::of::<services::GetServiceLogs>(),
        ActionDef::of::<ecs::ListTaskDefinitions>(),
        ActionDef::of::<eks::CreateEksCluster>(),
        ActionDef::of::<eks::CreateEksNodegroup>(),
        ActionDef::of::<eks::CreateFargateProfile>(),
        ActionDef::of::<eks::DescribeEksCluster>(),
        ActionDef::of::<eks::DeleteEksCluster>(),
        ActionDef::of::<ecr::ListRepositories>(),
        ActionDef::of::<ecr::CreateRepository>(),
        ActionDef::of::<ecr::ListImages>(),
        ActionDef::of::<ecr::GetPushCommands>(),
    ],
};

/// An ECS or EKS name: 1 to `max` letters, digits, hyphens and underscores (AWS's rule).
pub fn check_name(field: &str, name: &str, max: usize) -> Result<(), ToolError> {
    if name.is_empty()
        || name.len() > max
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(ToolError::invalid(format!(
            "{field} must be 1-{max} letters, digits, '-' or '_', got '{name}'"
        )));
    }
    Ok(())
}

/// Tags as ECS takes them.
pub fn ecs_tags(tags: &Option<Tags>) -> Option<Vec<aws_sdk_ecs::types::Tag>> {
    tags.as_ref().map(|t| {
        t.iter()
            .map(|(k, v)| aws_sdk_ecs::types::Tag::builder().key(k).value(v).build())
            .collect()
    })
}

/// The last part of an ARN (`.../name` → `name`), or the string itself.
pub fn short(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// An AWS timestamp as RFC 3339, if set.
pub fn when(t: Option<&aws_smithy_types::DateTime>) -> Option<String> {
    t.map(crate::aws::time)
}
