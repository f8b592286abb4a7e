//! EC2 resources by id or name, Auto Scaling groups, ELBv2 load balancers and target groups,
//! and tag selections of instances.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::Filter;

use super::{Results, Source, all_failed, source};
use crate::{
    aws::{At, AwsPool, Guard, paging::AllItems},
    error::ToolError,
    registry::{Kind, Tags},
};

pub(super) async fn ec2(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_ec2::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    // Names (key pairs and launch templates given by name) go through their own describe call.
    let (by_id, by_name): (Vec<_>, Vec<_>) = ids
        .iter()
        .cloned()
        .partition(|(kind, id)| Kind::of_ec2_id(id) == *kind || source(*kind) == Source::Ec2Id);
    for chunk in by_id.chunks(200) {
        let mut tags: BTreeMap<String, Tags> = BTreeMap::new();
        let mut pages = client
            .describe_tags()
            .filters(
                Filter::builder()
                    .name("resource-id")
                    .set_values(Some(chunk.iter().map(|(_, id)| id.clone()).collect()))
                    .build(),
            )
            .into_paginator()
            .items()
            .send();
        let mut failed = None;
        while let Some(tag) = pages.next().await {
            match tag {
                Ok(tag) => {
                    if let (Some(id), Some(k)) = (tag.resource_id(), tag.key()) {
                        tags.entry(id.to_string())
                            .or_default()
                            .insert(k.to_string(), tag.value().unwrap_or_default().to_string());
                    }
                }
                Err(e) => {
                    failed = Some(ToolError::from_sdk(e));
                    break;
                }
            }
        }
        match failed {
            Some(e) => out.extend(all_failed(chunk, &e)),
            None => out.extend(chunk.iter().map(|(kind, id)| {
                (
                    (*kind, id.clone()),
                    Ok(vec![tags.remove(id).unwrap_or_default()]),
                )
            })),
        }
    }
    for (kind, name) in by_name {
        let found = match kind {
            Kind::KeyPair => key_pair_tags(&client, &name).await,
            Kind::LaunchTemplate => launch_template_tags(&client, &name).await,
            _ => Ok(Tags::new()),
        };
        out.push((
            (kind, name),
            found.map(|t| vec![t]).map_err(|e| e.to_string()),
        ));
    }
    out
}

async fn key_pair_tags(client: &aws_sdk_ec2::Client, name: &str) -> Result<Tags, ToolError> {
    match client.describe_key_pairs().key_names(name).send().await {
        Ok(resp) => Ok(resp
            .key_pairs()
            .iter()
            .flat_map(|k| k.tags())
            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
            .collect()),
        Err(e) => match ToolError::from_sdk(e) {
            e if e.aws_code() == Some("InvalidKeyPair.NotFound") => Ok(Tags::new()),
            e => Err(e),
        },
    }
}

async fn launch_template_tags(client: &aws_sdk_ec2::Client, name: &str) -> Result<Tags, ToolError> {
    match client
        .describe_launch_templates()
        .launch_template_names(name)
        .send()
        .await
    {
        Ok(resp) => Ok(resp
            .launch_templates()
            .iter()
            .flat_map(|t| t.tags())
            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
            .collect()),
        Err(e) => match ToolError::from_sdk(e) {
            e if e
                .aws_code()
                .is_some_and(|c| c.starts_with("InvalidLaunchTemplateName.NotFound")) =>
            {
                Ok(Tags::new())
            }
            e => Err(e),
        },
    }
}

pub(super) async fn autoscaling(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_autoscaling::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut tags: BTreeMap<String, Tags> = BTreeMap::new();
    let mut out = Results::new();
    // Small batches keep each filter well inside DescribeTags' limits.
    for chunk in ids.chunks(20) {
        let filter = aws_sdk_autoscaling::types::Filter::builder()
            .name("auto-scaling-group")
            .set_values(Some(chunk.iter().map(|(_, n)| n.clone()).collect()))
            .build();
        let mut pages = client
            .describe_tags()
            .filters(filter)
            .into_paginator()
            .items()
            .send();
        let mut failed = None;
        while let Some(t) = pages.next().await {
            match t {
                Ok(t) => {
                    if let (Some(group), Some(k)) = (t.resource_id(), t.key()) {
                        tags.entry(group.to_string())
                            .or_default()
                            .insert(k.to_string(), t.value().unwrap_or_default().to_string());
                    }
                }
                Err(e) => {
                    failed = Some(ToolError::from_sdk(e));
                    break;
                }
            }
        }
        match failed {
            Some(e) => out.extend(all_failed(chunk, &e)),
            None => out.extend(chunk.iter().map(|(kind, id)| {
                (
                    (*kind, id.clone()),
                    Ok(vec![tags.remove(id).unwrap_or_default()]),
                )
            })),
        }
    }
    out
}

pub(super) async fn load_balancing(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_elasticloadbalancingv2::Client =
        aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    // Names of resources that do not exist yet (creates) are not ARNs: nothing to read.
    let (arns, names): (Vec<_>, Vec<_>) = ids
        .iter()
        .cloned()
        .partition(|(_, id)| id.starts_with("arn:"));
    out.extend(names.into_iter().map(|k| (k, Ok(vec![]))));
    // DescribeTags takes at most 20 ARNs per call.
    for chunk in arns.chunks(20) {
        match client
            .describe_tags()
            .set_resource_arns(Some(chunk.iter().map(|(_, a)| a.clone()).collect()))
            .send()
            .await
        {
            Ok(resp) => {
                let mut tags: BTreeMap<String, Tags> = resp
                    .tag_descriptions()
                    .iter()
                    .map(|d| {
                        let t = d
                            .tags()
                            .iter()
                            .filter_map(|t| {
                                Some((
                                    t.key()?.to_string(),
                                    t.value().unwrap_or_default().to_string(),
                                ))
                            })
                            .collect();
                        (d.resource_arn().unwrap_or_default().to_string(), t)
                    })
                    .collect();
                out.extend(chunk.iter().map(|(kind, arn)| {
                    (
                        (*kind, arn.clone()),
                        Ok(vec![tags.remove(arn).unwrap_or_default()]),
                    )
                }));
            }
            Err(e) => {
                let e = ToolError::from_sdk(e);
                // A resource that is gone has no tags; anything else is a failed read.
                if matches!(
                    e.aws_code(),
                    Some("LoadBalancerNotFound" | "TargetGroupNotFound")
                ) && chunk.len() == 1
                {
                    out.push((chunk[0].clone(), Ok(vec![])));
                } else {
                    out.extend(all_failed(chunk, &e));
                }
            }
        }
    }
    out
}

/// A tag selection as the cost tool writes it: `Key=Value` pairs separated by commas.
pub fn parse_selection(selection: &str) -> Vec<(String, String)> {
    selection
        .split(',')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            Some((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

/// The EC2 tags of the instances (not terminated) that carry every tag of a selection.
pub async fn selected_instances(
    client: &aws_sdk_ec2::Client,
    selection: &str,
) -> Result<Vec<(String, Tags)>, ToolError> {
    let mut req = client.describe_instances().filters(
        Filter::builder()
            .name("instance-state-name")
            .values("pending")
            .values("running")
            .values("stopping")
            .values("stopped")
            .build(),
    );
    for (k, v) in parse_selection(selection) {
        req = req.filters(Filter::builder().name(format!("tag:{k}")).values(v).build());
    }
    let reservations = req.into_paginator().items().send().all().await?;
    Ok(reservations
        .iter()
        .flat_map(|r| r.instances())
        .filter_map(|i| {
            let tags = i
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
                .collect();
            Some((i.instance_id()?.to_string(), tags))
        })
        .collect())
}

/// Every instance a selection matches speaks for it: the strictest of them decides.
pub(super) async fn selections(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_ec2::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    for (kind, selection) in ids {
        let found = selected_instances(&client, selection)
            .await
            .map(|found| found.into_iter().map(|(_, tags)| tags).collect())
            .map_err(|e| e.to_string());
        out.push(((*kind, selection.clone()), found));
    }
    out
}
