//! ECS clusters, services and tasks, EKS clusters, node groups and Fargate profiles, and ECR
//! repositories.

use super::{Found, Results};
use crate::{
    aws::{At, AwsPool, Guard},
    error::ToolError,
    registry::{Kind, Tags},
};

/// `cluster/name` as ECS and EKS sub-resources are named here; a bare name is in `default`.
pub fn split_pair(id: &str) -> (&str, &str) {
    id.split_once('/').unwrap_or(("default", id))
}

fn ecs_tags(tags: &[aws_sdk_ecs::types::Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

/// ECS clusters, services (`cluster/service`) and tasks (`cluster/task`): their own tags, and
/// for a task also the tags of the service that started it (its group `service:name`). What
/// does not exist has no tags; any other failure is unreadable.
pub(super) async fn ecs(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    use aws_sdk_ecs::types::{ClusterField, TaskField};
    let client: aws_sdk_ecs::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let missing = |e: &ToolError| {
        matches!(
            e.aws_code(),
            Some("ClusterNotFoundException" | "ServiceNotFoundException")
        )
    };
    let mut out = Results::new();
    for (kind, id) in ids {
        let found: Found = match kind {
            Kind::EcsCluster => match client
                .describe_clusters()
                .clusters(id)
                .include(ClusterField::Tags)
                .send()
                .await
            {
                Ok(r) => Ok(r.clusters().iter().map(|c| ecs_tags(c.tags())).collect()),
                Err(e) => match ToolError::from_sdk(e) {
                    e if missing(&e) => Ok(vec![]),
                    e => Err(e.to_string()),
                },
            },
            Kind::EcsService => {
                let (cluster, service) = split_pair(id);
                ecs_service_tags(&client, cluster, service)
                    .await
                    .or_else(|e| {
                        if missing(&e) {
                            Ok(vec![])
                        } else {
                            Err(e.to_string())
                        }
                    })
            }
            _ => {
                let (cluster, task) = split_pair(id);
                match client
                    .describe_tasks()
                    .cluster(cluster)
                    .tasks(task)
                    .include(TaskField::Tags)
                    .send()
                    .await
                {
                    Ok(r) => {
                        let mut sets = Vec::new();
                        let mut failed = None;
                        for t in r.tasks() {
                            sets.push(ecs_tags(t.tags()));
                            if let Some(service) =
                                t.group().and_then(|g| g.strip_prefix("service:"))
                            {
                                match ecs_service_tags(&client, cluster, service).await {
                                    Ok(s) => sets.extend(s),
                                    Err(e) if missing(&e) => {}
                                    Err(e) => failed = Some(e.to_string()),
                                }
                            }
                        }
                        match failed {
                            Some(e) => Err(e),
                            None => Ok(sets),
                        }
                    }
                    Err(e) => match ToolError::from_sdk(e) {
                        e if missing(&e) => Ok(vec![]),
                        e => Err(e.to_string()),
                    },
                }
            }
        };
        out.push(((*kind, id.clone()), found));
    }
    out
}

async fn ecs_service_tags(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    service: &str,
) -> Result<Vec<Tags>, ToolError> {
    let r = client
        .describe_services()
        .cluster(cluster)
        .services(service)
        .include(aws_sdk_ecs::types::ServiceField::Tags)
        .send()
        .await
        .map_err(ToolError::from_sdk)?;
    Ok(r.services().iter().map(|s| ecs_tags(s.tags())).collect())
}

/// EKS clusters by name, node groups and Fargate profiles as `cluster/name`.
pub(super) async fn eks(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_eks::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    let own = |t: Option<&std::collections::HashMap<String, String>>| -> Vec<Tags> {
        vec![
            t.map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
        ]
    };
    for (kind, id) in ids {
        let (cluster, name) = split_pair(id);
        let read = match kind {
            Kind::EksCluster => client
                .describe_cluster()
                .name(id)
                .send()
                .await
                .map(|r| own(r.cluster().and_then(|c| c.tags())))
                .map_err(ToolError::from_sdk),
            Kind::EksNodegroup => client
                .describe_nodegroup()
                .cluster_name(cluster)
                .nodegroup_name(name)
                .send()
                .await
                .map(|r| own(r.nodegroup().and_then(|c| c.tags())))
                .map_err(ToolError::from_sdk),
            _ => client
                .describe_fargate_profile()
                .cluster_name(cluster)
                .fargate_profile_name(name)
                .send()
                .await
                .map(|r| own(r.fargate_profile().and_then(|c| c.tags())))
                .map_err(ToolError::from_sdk),
        };
        let found = match read {
            Ok(t) => Ok(t),
            Err(e) if e.aws_code() == Some("ResourceNotFoundException") => Ok(vec![]),
            Err(e) => Err(e.to_string()),
        };
        out.push(((*kind, id.clone()), found));
    }
    out
}

/// ECR repositories by name: DescribeRepositories for the ARN, then its tags.
pub(super) async fn ecr(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_ecr::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    for (kind, name) in ids {
        let found = match client
            .describe_repositories()
            .repository_names(name)
            .send()
            .await
        {
            Ok(r) => match r.repositories().first().and_then(|r| r.repository_arn()) {
                None => Ok(vec![]),
                Some(arn) => match client
                    .list_tags_for_resource()
                    .resource_arn(arn)
                    .send()
                    .await
                {
                    Ok(t) => Ok(vec![
                        t.tags()
                            .iter()
                            .map(|t| (t.key().to_string(), t.value().to_string()))
                            .collect(),
                    ]),
                    Err(e) => Err(ToolError::from_sdk(e).to_string()),
                },
            },
            Err(e) => match ToolError::from_sdk(e) {
                e if e.aws_code() == Some("RepositoryNotFoundException") => Ok(vec![]),
                e => Err(e.to_string()),
            },
        };
        out.push(((*kind, name.clone()), found));
    }
    out
}
