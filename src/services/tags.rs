//! Tags of the resources a call names, by service: how the guardrails find a call's environment.

use std::collections::BTreeMap;

use crate::{aws::AwsPool, error::ToolError, registry::Target};

/// Tags per target id. Services without a tag lookup yet contribute nothing, and the
/// environment then comes from configuration.
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
    Ok(out)
}
