//! RDS instances, snapshots, clusters, subnet groups and parameter groups, with the related
//! resources that speak for them.

use std::collections::BTreeSet;

use super::Results;
use crate::{
    aws::{At, AwsPool, Guard, paging::AllItems},
    error::ToolError,
    registry::{Kind, Tags},
};

/// Each RDS resource with the tag sets of everything that speaks for it: its own and, walked
/// from it, its cluster (a member), its source (a read replica), its instance (a snapshot) and
/// the instances that use it (a parameter group), its members (a cluster). An ARN is read in its own region. A resource
/// that does not exist has no tags; any other failure makes the whole resource unreadable.
pub(super) async fn rds(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let mut out = Results::new();
    for (kind, id) in ids {
        let (home, name) = rds_name(id);
        let client: aws_sdk_rds::Client = aws
            .client(
                at.in_region(home.as_deref().or(at.region)),
                Some(Guard::ReadOnly),
            )
            .await;
        out.push((
            (*kind, id.clone()),
            rds_tag_sets(&client, *kind, &name)
                .await
                .map_err(|e| e.to_string()),
        ));
    }
    out
}

/// The region and resource name of an RDS ARN (`arn:aws:rds:REGION:ACCOUNT:db:NAME`), or no
/// region and the id itself.
pub fn rds_name(id: &str) -> (Option<String>, String) {
    let parts: Vec<&str> = id.split(':').collect();
    if id.starts_with("arn:") && parts.len() >= 7 {
        let region = (!parts[3].is_empty()).then(|| parts[3].to_string());
        (region, parts[6..].join(":"))
    } else {
        (None, id.to_string())
    }
}

async fn rds_tag_sets(
    client: &aws_sdk_rds::Client,
    kind: Kind,
    name: &str,
) -> Result<Vec<Tags>, ToolError> {
    let mut sets = Vec::new();
    let mut queue = vec![(kind, name.to_string())];
    let mut seen = BTreeSet::new();
    while let Some((kind, name)) = queue.pop() {
        // A snapshot, its instance, that instance's cluster and source: a handful at most.
        if !seen.insert((kind, name.clone())) || seen.len() > 16 {
            continue;
        }
        let Some((arn, related, extra)) = rds_describe(client, kind, &name).await? else {
            continue;
        };
        queue.extend(related);
        sets.extend(extra);
        let tags = client
            .list_tags_for_resource()
            .resource_name(&arn)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        sets.push(rds_tags(tags.tag_list()));
    }
    Ok(sets)
}

type Described = Option<(String, Vec<(Kind, String)>, Vec<Tags>)>;

/// A resource's ARN, the related resources that speak for it, and tag sets found on the way
/// (a parameter group's instances); `None` when it does not exist.
async fn rds_describe(
    client: &aws_sdk_rds::Client,
    kind: Kind,
    name: &str,
) -> Result<Described, ToolError> {
    fn missing(e: &ToolError) -> bool {
        e.aws_code().is_some_and(|c| c.contains("NotFound"))
    }
    macro_rules! found {
        ($call:expr) => {
            match $call.send().await.map_err(ToolError::from_sdk) {
                Ok(r) => r,
                Err(e) if missing(&e) => return Ok(None),
                Err(e) => return Err(e),
            }
        };
    }
    let owned = |s: Option<&str>| s.map(str::to_string);
    Ok(match kind {
        Kind::DbInstance => {
            let r = found!(client.describe_db_instances().db_instance_identifier(name));
            let Some(i) = r.db_instances().first() else {
                return Ok(None);
            };
            let mut related = Vec::new();
            related.extend(owned(i.db_cluster_identifier()).map(|c| (Kind::DbCluster, c)));
            related.extend(
                owned(i.read_replica_source_db_instance_identifier())
                    .map(|s| (Kind::DbInstance, rds_name(&s).1)),
            );
            owned(i.db_instance_arn()).map(|a| (a, related, vec![]))
        }
        Kind::DbSnapshot => {
            let r = found!(client.describe_db_snapshots().db_snapshot_identifier(name));
            let Some(s) = r.db_snapshots().first() else {
                return Ok(None);
            };
            let related = owned(s.db_instance_identifier())
                .map(|i| (Kind::DbInstance, i))
                .into_iter()
                .collect();
            owned(s.db_snapshot_arn()).map(|a| (a, related, vec![]))
        }
        Kind::DbCluster => {
            let r = found!(client.describe_db_clusters().db_cluster_identifier(name));
            let Some(c) = r.db_clusters().first() else {
                return Ok(None);
            };
            // Its instances run it: a member tagged production makes the cluster production.
            let members = c
                .db_cluster_members()
                .iter()
                .filter_map(|m| owned(m.db_instance_identifier()))
                .map(|i| (Kind::DbInstance, i))
                .collect();
            owned(c.db_cluster_arn()).map(|a| (a, members, vec![]))
        }
        Kind::DbSubnetGroup => {
            let r = found!(
                client
                    .describe_db_subnet_groups()
                    .db_subnet_group_name(name)
            );
            r.db_subnet_groups()
                .first()
                .and_then(|g| owned(g.db_subnet_group_arn()))
                .map(|a| (a, vec![], vec![]))
        }
        Kind::DbParameterGroup => {
            let r = found!(
                client
                    .describe_db_parameter_groups()
                    .db_parameter_group_name(name)
            );
            let Some(arn) = r
                .db_parameter_groups()
                .first()
                .and_then(|g| owned(g.db_parameter_group_arn()))
            else {
                return Ok(None);
            };
            // The instances that use the group change with it: their tags (and their
            // clusters') speak for it too.
            let instances = client
                .describe_db_instances()
                .into_paginator()
                .items()
                .send()
                .all()
                .await?;
            let mut related = Vec::new();
            let mut extra = Vec::new();
            for i in instances.iter().filter(|i| {
                i.db_parameter_groups()
                    .iter()
                    .any(|g| g.db_parameter_group_name() == Some(name))
            }) {
                extra.push(rds_tags(i.tag_list()));
                related.extend(owned(i.db_cluster_identifier()).map(|c| (Kind::DbCluster, c)));
            }
            Some((arn, related, extra))
        }
        _ => None,
    })
}

fn rds_tags(tags: &[aws_sdk_rds::types::Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}
