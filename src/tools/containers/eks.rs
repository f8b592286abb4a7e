//! EKS clusters, managed node groups and Fargate profiles.

use aws_sdk_eks::{
    Client,
    types::{FargateProfileSelector, NodegroupScalingConfig, VpcConfigRequest},
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{check_name, check_tags, when};
use crate::{
    aws::{outcome, paging::AllItems},
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Kind, Risk, Tags, Target},
};

fn cluster_target(cluster: &str) -> Target {
    Target::new(Kind::EksCluster, cluster)
}

fn check_role(field: &str, arn: &str) -> Result<(), ToolError> {
    if !(arn.starts_with("arn:") && arn.contains(":iam::") && arn.contains(":role/")) {
        return Err(ToolError::invalid(format!(
            "{field} must be an IAM role ARN, got '{arn}'"
        )));
    }
    Ok(())
}

fn check_subnets(subnets: &[String], min: usize) -> Result<(), ToolError> {
    if subnets.len() < min || subnets.len() > 16 {
        return Err(ToolError::invalid(format!(
            "subnets takes {min} to 16 subnet ids"
        )));
    }
    if let Some(s) = subnets.iter().find(|s| !s.starts_with("subnet-")) {
        return Err(ToolError::invalid(format!("'{s}' is not a subnet id")));
    }
    Ok(())
}

fn tag_map(tags: &Option<Tags>) -> Option<std::collections::HashMap<String, String>> {
    tags.as_ref().map(|t| t.clone().into_iter().collect())
}

fn lost(action: &'static str, cluster: &str) -> outcome::Check {
    outcome::Check {
        tool: "aws_containers",
        action,
        arguments: json!({"cluster": cluster}),
        look_for: "what the call made".into(),
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEksCluster {
    pub cluster: String,
    /// e.g. 1.31
    pub version: Option<String>,
    pub role_arn: String,
    pub subnets: Vec<String>,
    pub security_groups: Option<Vec<String>>,
    pub tags: Option<Tags>,
}

impl Action for CreateEksCluster {
    const NAME: &'static str = "create_eks_cluster";
    const DESCRIPTION: &'static str = "EKS cluster";
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_name("cluster", &self.cluster, 100)?;
        check_role("role_arn", &self.role_arn)?;
        check_subnets(&self.subnets, 2)?;
        check_tags(self.tags.as_ref())?;
        if let Some(v) = &self.version
            && !v
                .split('.')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(ToolError::invalid(format!(
                "version must look like 1.31, got '{v}'"
            )));
        }
        if let Some(g) = self
            .security_groups
            .iter()
            .flatten()
            .find(|g| !g.starts_with("sg-"))
        {
            return Err(ToolError::invalid(format!(
                "'{g}' is not a security group id"
            )));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        let mut t = vec![Target::created(Kind::EksCluster, &self.cluster)];
        t.extend(self.subnets.iter().map(Target::ec2));
        t.extend(self.security_groups.iter().flatten().map(Target::ec2));
        t
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let token = outcome::call_token();
        let out = client
            .create_cluster()
            .name(&self.cluster)
            .set_version(self.version.clone())
            .role_arn(&self.role_arn)
            .resources_vpc_config(
                VpcConfigRequest::builder()
                    .set_subnet_ids(Some(self.subnets.clone()))
                    .set_security_group_ids(self.security_groups.clone())
                    .build(),
            )
            .set_tags(tag_map(&self.tags))
            .client_request_token(&token)
            .send()
            .await
            .map_err(|e| {
                if outcome::outcome_unknown(&e) {
                    outcome::unknown_outcome_with_token(
                        "CreateCluster",
                        "the cluster",
                        ToolError::from_sdk(e),
                        lost("describe_eks_cluster", &self.cluster),
                        &token,
                    )
                } else {
                    ToolError::from_sdk(e)
                }
            })?;
        let c = out.cluster();
        Ok(Output::new(
            format!(
                "Creating the EKS cluster {} (Kubernetes {}); it takes about 10 minutes to be \
                 ACTIVE, then add a node group or a Fargate profile.",
                self.cluster,
                c.and_then(|c| c.version()).unwrap_or("default")
            ),
            json!({
                "cluster": self.cluster,
                "arn": c.and_then(|c| c.arn()),
                "status": c.and_then(|c| c.status()).map(|s| s.as_str()),
                "version": c.and_then(|c| c.version()),
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEksNodegroup {
    pub cluster: String,
    pub nodegroup: String,
    pub node_role_arn: String,
    pub subnets: Vec<String>,
    pub instance_types: Option<Vec<String>>,
    pub min_size: Option<u32>,
    pub max_size: Option<u32>,
    pub desired_size: Option<u32>,
    pub tags: Option<Tags>,
}

impl CreateEksNodegroup {
    fn sizes(&self) -> (u32, u32, u32) {
        (
            self.min_size.unwrap_or(1),
            self.max_size.unwrap_or(3),
            self.desired_size.unwrap_or(2),
        )
    }
}

impl Action for CreateEksNodegroup {
    const NAME: &'static str = "create_eks_nodegroup";
    const DESCRIPTION: &'static str = "Managed node group";
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_name("cluster", &self.cluster, 100)?;
        check_name("nodegroup", &self.nodegroup, 63)?;
        check_role("node_role_arn", &self.node_role_arn)?;
        check_subnets(&self.subnets, 1)?;
        check_tags(self.tags.as_ref())?;
        let (min, max, desired) = self.sizes();
        if max == 0 || min > desired || desired > max || max > 1000 {
            return Err(ToolError::invalid(format!(
                "sizes must satisfy min <= desired <= max, 1 <= max <= 1000 (got {min}, \
                 {desired}, {max})"
            )));
        }
        if self
            .instance_types
            .as_ref()
            .is_some_and(|t| t.is_empty() || t.len() > 20)
        {
            return Err(ToolError::invalid("instance_types takes 1 to 20 types"));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        let mut t = vec![
            Target::created(
                Kind::EksNodegroup,
                format!("{}/{}", self.cluster, self.nodegroup),
            )
            .in_parent(cluster_target(&self.cluster)),
        ];
        t.extend(self.subnets.iter().map(Target::ec2));
        t
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let (min, max, desired) = self.sizes();
        let types = self
            .instance_types
            .clone()
            .unwrap_or_else(|| vec!["t3.medium".into()]);
        let token = outcome::call_token();
        let out = client
            .create_nodegroup()
            .cluster_name(&self.cluster)
            .nodegroup_name(&self.nodegroup)
            .node_role(&self.node_role_arn)
            .set_subnets(Some(self.subnets.clone()))
            .set_instance_types(Some(types.clone()))
            .scaling_config(
                NodegroupScalingConfig::builder()
                    .min_size(min as i32)
                    .max_size(max as i32)
                    .desired_size(desired as i32)
                    .build(),
            )
            .set_tags(tag_map(&self.tags))
            .client_request_token(&token)
            .send()
            .await
            .map_err(|e| {
                if outcome::outcome_unknown(&e) {
                    outcome::unknown_outcome_with_token(
                        "CreateNodegroup",
                        "the node group",
                        ToolError::from_sdk(e),
                        lost("describe_eks_cluster", &self.cluster),
                        &token,
                    )
                } else {
                    ToolError::from_sdk(e)
                }
            })?;
        let n = out.nodegroup();
        Ok(Output::new(
            format!(
                "Creating the node group {} in {}: {desired} {} node(s) (min {min}, max {max}).",
                self.nodegroup,
                self.cluster,
                types.join("/")
            ),
            json!({
                "cluster": self.cluster,
                "nodegroup": self.nodegroup,
                "status": n.and_then(|n| n.status()).map(|s| s.as_str()),
                "instance_types": types,
                "scaling": {"min": min, "max": max, "desired": desired},
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFargateProfile {
    pub cluster: String,
    pub profile: String,
    pub pod_execution_role_arn: String,
    pub namespaces: Vec<String>,
    /// Private subnets
    pub subnets: Option<Vec<String>>,
    pub tags: Option<Tags>,
}

impl Action for CreateFargateProfile {
    const NAME: &'static str = "create_fargate_profile";
    const DESCRIPTION: &'static str = "Namespaces on Fargate";
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_name("cluster", &self.cluster, 100)?;
        check_name("profile", &self.profile, 100)?;
        check_role("pod_execution_role_arn", &self.pod_execution_role_arn)?;
        if self.namespaces.is_empty() || self.namespaces.len() > 5 {
            return Err(ToolError::invalid("namespaces takes 1 to 5 namespaces"));
        }
        if let Some(s) = &self.subnets {
            check_subnets(s, 1)?;
        }
        check_tags(self.tags.as_ref())
    }

    fn targets(&self) -> Vec<Target> {
        let mut t = vec![
            Target::created(
                Kind::EksFargateProfile,
                format!("{}/{}", self.cluster, self.profile),
            )
            .in_parent(cluster_target(&self.cluster)),
        ];
        t.extend(self.subnets.iter().flatten().map(Target::ec2));
        t
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let token = outcome::call_token();
        let mut req = client
            .create_fargate_profile()
            .cluster_name(&self.cluster)
            .fargate_profile_name(&self.profile)
            .pod_execution_role_arn(&self.pod_execution_role_arn)
            .set_subnets(self.subnets.clone())
            .set_tags(tag_map(&self.tags))
            .client_request_token(&token);
        for ns in &self.namespaces {
            req = req.selectors(FargateProfileSelector::builder().namespace(ns).build());
        }
        let out = req.send().await.map_err(|e| {
            if outcome::outcome_unknown(&e) {
                outcome::unknown_outcome_with_token(
                    "CreateFargateProfile",
                    "the Fargate profile",
                    ToolError::from_sdk(e),
                    lost("describe_eks_cluster", &self.cluster),
                    &token,
                )
            } else {
                ToolError::from_sdk(e)
            }
        })?;
        let p = out.fargate_profile();
        Ok(Output::new(
            format!(
                "Creating the Fargate profile {} in {} for namespace(s) {}.",
                self.profile,
                self.cluster,
                self.namespaces.join(", ")
            ),
            json!({
                "cluster": self.cluster,
                "profile": self.profile,
                "status": p.and_then(|p| p.status()).map(|s| s.as_str()),
                "namespaces": self.namespaces,
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DescribeEksCluster {
    pub cluster: String,
}

impl Action for DescribeEksCluster {
    const NAME: &'static str = "describe_eks_cluster";
    const DESCRIPTION: &'static str = "EKS cluster, node groups";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_name("cluster", &self.cluster, 100)
    }

    fn targets(&self) -> Vec<Target> {
        vec![cluster_target(&self.cluster)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let out = client
            .describe_cluster()
            .name(&self.cluster)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let c = out.cluster();
        let (groups, profiles) = parts(&client, &self.cluster).await?;
        let mut nodegroups: Vec<Value> = Vec::new();
        for g in groups.iter().take(100) {
            let n = client
                .describe_nodegroup()
                .cluster_name(&self.cluster)
                .nodegroup_name(g)
                .send()
                .await
                .map_err(ToolError::from_sdk)?;
            if let Some(n) = n.nodegroup() {
                let s = n.scaling_config();
                nodegroups.push(json!({
                    "nodegroup": n.nodegroup_name(),
                    "status": n.status().map(|s| s.as_str()),
                    "instance_types": n.instance_types(),
                    "scaling": s.map(|s| json!({"min": s.min_size(), "max": s.max_size(),
                                                "desired": s.desired_size()})),
                    "version": n.version(),
                }));
            }
        }
        let mut fargate: Vec<Value> = Vec::new();
        for p in profiles.iter().take(100) {
            let f = client
                .describe_fargate_profile()
                .cluster_name(&self.cluster)
                .fargate_profile_name(p)
                .send()
                .await
                .map_err(ToolError::from_sdk)?;
            if let Some(f) = f.fargate_profile() {
                fargate.push(json!({
                    "profile": f.fargate_profile_name(),
                    "status": f.status().map(|s| s.as_str()),
                    "namespaces": f.selectors().iter().filter_map(|s| s.namespace()).collect::<Vec<_>>(),
                }));
            }
        }
        let vpc = c.and_then(|c| c.resources_vpc_config());
        Ok(Output::new(
            format!(
                "{} is {} (Kubernetes {}), {} node group(s), {} Fargate profile(s).",
                self.cluster,
                c.and_then(|c| c.status()).map_or("?", |s| s.as_str()),
                c.and_then(|c| c.version()).unwrap_or("?"),
                groups.len(),
                profiles.len()
            ),
            json!({
                "cluster": self.cluster,
                "status": c.and_then(|c| c.status()).map(|s| s.as_str()),
                "version": c.and_then(|c| c.version()),
                "endpoint": c.and_then(|c| c.endpoint()),
                "role_arn": c.and_then(|c| c.role_arn()),
                "subnets": vpc.map(|v| v.subnet_ids()),
                "public_endpoint": vpc.map(|v| v.endpoint_public_access()),
                "created_at": when(c.and_then(|c| c.created_at())),
                "nodegroups": nodegroups,
                "fargate_profiles": fargate,
            }),
        ))
    }
}

/// The names of a cluster's node groups and Fargate profiles.
async fn parts(client: &Client, cluster: &str) -> Result<(Vec<String>, Vec<String>), ToolError> {
    let groups = client
        .list_nodegroups()
        .cluster_name(cluster)
        .into_paginator()
        .items()
        .send()
        .all()
        .await?;
    let profiles = client
        .list_fargate_profiles()
        .cluster_name(cluster)
        .into_paginator()
        .items()
        .send()
        .all()
        .await?;
    Ok((groups, profiles))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteEksCluster {
    pub cluster: String,
}

impl Action for DeleteEksCluster {
    const NAME: &'static str = "delete_eks_cluster";
    const DESCRIPTION: &'static str = "Delete an EKS cluster";
    const ACCESS: Access = Access::Destructive;
    const RISK: Risk = Risk::Critical;

    fn validate(&self) -> Result<(), ToolError> {
        check_name("cluster", &self.cluster, 100)
    }

    fn targets(&self) -> Vec<Target> {
        vec![cluster_target(&self.cluster)]
    }

    /// EKS refuses a cluster with node groups or Fargate profiles; that is checked first.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let (groups, profiles) = parts(&client, &self.cluster).await?;
        if !groups.is_empty() || !profiles.is_empty() {
            return Err(ToolError::Precondition {
                message: format!(
                    "the cluster {} still has {} node group(s) and {} Fargate profile(s)",
                    self.cluster,
                    groups.len(),
                    profiles.len()
                ),
                hint: "nothing was deleted; delete them first (in the console or with eksctl), \
                       then the cluster"
                    .into(),
                details: json!({"nodegroups": groups, "fargate_profiles": profiles}),
            });
        }
        let out = client
            .delete_cluster()
            .name(&self.cluster)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        Ok(Output::new(
            format!("Deleting the EKS cluster {}.", self.cluster),
            json!({"cluster": self.cluster,
                   "status": out.cluster().and_then(|c| c.status()).map(|s| s.as_str())}),
        ))
    }
}
