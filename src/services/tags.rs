//! Tags of the resources a call names, by service: how the guardrails find a call's environment.

use std::collections::BTreeMap;

use crate::{aws::AwsPool, error::ToolError, registry::Target};

/// Tags per target id (EC2 resources, S3 buckets, Auto Scaling groups, load balancing ARNs).
/// Other services contribute nothing, and the environment then comes from configuration.
pub async fn lookup(
    aws: &AwsPool,
    region: Option<&str>,
    targets: &[Target],
) -> Result<BTreeMap<String, BTreeMap<String, String>>, ToolError> {
    let ec2_ids: Vec<String> = targets
        .iter()
        .filter(|t| t.service == "ec2" && t.kind != "key-pair" && t.kind != "launch-template")
        .map(|t| t.id.clone())
        .collect();
    let mut out = BTreeMap::new();
    if !ec2_ids.is_empty() {
        out.extend(super::ec2::resource_tags(&aws.ec2(region).await, &ec2_ids).await?);
    }
    let buckets: Vec<&str> = targets
        .iter()
        .filter(|t| t.service == "s3" && t.kind == "bucket")
        .map(|t| t.id.as_str())
        .collect();
    if !buckets.is_empty() {
        let s3 = aws.s3(region).await;
        for bucket in buckets {
            out.insert(
                bucket.to_string(),
                super::s3::bucket_tags(&s3, bucket).await,
            );
        }
    }
    let groups: Vec<String> = targets
        .iter()
        .filter(|t| t.service == "autoscaling")
        .map(|t| t.id.clone())
        .collect();
    if !groups.is_empty() {
        out.extend(super::autoscaling::group_tags(&aws.autoscaling(region).await, &groups).await);
    }
    let arns: Vec<String> = targets
        .iter()
        .filter(|t| t.service == "elasticloadbalancing" && t.id.starts_with("arn:"))
        .map(|t| t.id.clone())
        .collect();
    if !arns.is_empty() {
        out.extend(super::elbv2::resource_tags(&aws.elbv2(region).await, &arns).await);
    }
    Ok(out)
}
