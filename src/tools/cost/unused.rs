//! Unused resources that cost money, each with its monthly cost from the price table, how the
//! estimate was made, and the action that removes it: unattached EBS volumes, Elastic IPs not
//! associated, snapshots older than N days whose volume is gone (and that back no AMI of the
//! account), load balancers with no
//! registered targets, stopped instances still paying for their volumes, NAT gateways without
//! traffic (CloudWatch `BytesOutToDestination`). RDS and Lambda have no tool in this server
//! yet, so they are not checked, and the result says so.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_cloudwatch::types::{Dimension, Statistic};
use aws_sdk_ec2::types::Filter;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::prices::{Estimate, round, table};
use crate::{
    aws::paging::AllItems,
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Risk, Target},
};

const KINDS: &[&str] = &[
    "volumes",
    "elastic_ips",
    "snapshots",
    "load_balancers",
    "stopped_instances",
    "nat_gateways",
];

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindUnusedResources {
    /// volumes, elastic_ips, snapshots, load_balancers, stopped_instances, nat_gateways
    pub kinds: Option<Vec<String>>,
    /// Snapshot age, NAT idle days (30)
    pub days: Option<u32>,
    pub max_results: Option<u32>,
}

impl FindUnusedResources {
    fn wants(&self, kind: &str) -> bool {
        self.kinds
            .as_ref()
            .is_none_or(|k| k.iter().any(|x| x == kind))
    }
}

impl Action for FindUnusedResources {
    const NAME: &'static str = "find_unused_resources";
    const DESCRIPTION: &'static str = "Unused resources and cost";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        if let Some(bad) = self
            .kinds
            .iter()
            .flatten()
            .find(|k| !KINDS.contains(&k.as_str()))
        {
            return Err(ToolError::invalid(format!(
                "kind '{bad}' is not one of {}",
                KINDS.join(", ")
            )));
        }
        if self.days.is_some_and(|d| d > 455) {
            return Err(ToolError::invalid("days must be 0 to 455"));
        }
        if self.max_results.is_some_and(|n| n == 0 || n > 1000) {
            return Err(ToolError::invalid("max_results must be 1 to 1000"));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let region = cx.region().unwrap_or_else(|| "us-east-1".into());
        let ec2: aws_sdk_ec2::Client = cx.client().await;
        let days = self.days.unwrap_or(30);
        let mut found: Vec<Value> = Vec::new();
        let mut errors: Vec<Value> = Vec::new();
        let mut note = |kind: &str, r: Result<Vec<Value>, ToolError>| match r {
            Ok(v) => found.extend(v),
            Err(e) => errors.push(json!({"kind": kind, "error": e.to_json()})),
        };
        if self.wants("volumes") {
            note("volumes", volumes(&ec2, &region).await);
        }
        if self.wants("elastic_ips") {
            note("elastic_ips", addresses(&ec2, &region).await);
        }
        if self.wants("snapshots") {
            note("snapshots", snapshots(&ec2, &region, days).await);
        }
        if self.wants("stopped_instances") {
            note("stopped_instances", stopped(&ec2, &region).await);
        }
        if self.wants("load_balancers") {
            let elb: aws_sdk_elasticloadbalancingv2::Client = cx.client().await;
            note("load_balancers", load_balancers(&elb, &region).await);
        }
        if self.wants("nat_gateways") {
            let cw: aws_sdk_cloudwatch::Client = cx.client().await;
            let window = days.max(1);
            note(
                "nat_gateways",
                nat_gateways(&ec2, &cw, &region, window).await,
            );
        }
        found.sort_by(|a, b| {
            let cost = |v: &Value| v["monthly_cost"].as_f64().unwrap_or(-1.0);
            cost(b).total_cmp(&cost(a))
        });
        let total: f64 = found
            .iter()
            .filter_map(|v| v["monthly_cost"].as_f64())
            .sum();
        let unpriced = found.iter().filter(|v| v["monthly_cost"].is_null()).count();
        let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
        for f in &found {
            *by_kind
                .entry(f["kind"].as_str().unwrap_or("").to_string())
                .or_default() += 1;
        }
        let count = found.len();
        let limit = self.max_results.unwrap_or(100) as usize;
        let cut = count > limit;
        found.truncate(limit);
        let mut summary = format!(
            "{count} unused resource(s) in {region}, about ${:.2} a month",
            round(total)
        );
        if unpriced > 0 {
            summary.push_str(&format!(" ({unpriced} without a price in the table)"));
        }
        summary.push('.');
        if !errors.is_empty() {
            summary.push_str(&format!(" {} check(s) failed, see errors.", errors.len()));
        }
        Ok(Output::new(
            summary,
            json!({
                "region": region,
                "monthly_cost_total": round(total),
                "currency": table().currency,
                "count_by_kind": by_kind,
                "resources": found,
                "more": cut.then(|| count - limit),
                "errors": errors,
                "not_checked": ["RDS instances and Lambda functions: this server has no RDS or \
                                 Lambda tool yet"],
                "price_table": table().version,
            }),
        ))
    }
}

fn item(kind: &str, id: &str, why: String, cost: Estimate, remove: &str) -> Value {
    json!({
        "kind": kind,
        "id": id,
        "why": why,
        "monthly_cost": cost.monthly,
        "estimate": cost.how,
        "remove_with": remove,
    })
}

/// The AMI id a snapshot's description names, if any.
fn ami_in(description: &str) -> Option<String> {
    let start = description.find("ami-")?;
    let id: String = description[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    (id.len() > 4).then_some(id)
}

/// An SDK string field that is absent or empty (emulators send empty strings).
fn unset(v: Option<&str>) -> bool {
    v.is_none_or(str::is_empty)
}

fn tag(tags: &[aws_sdk_ec2::types::Tag], key: &str) -> Option<String> {
    tags.iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value().map(str::to_string))
}

async fn volumes(ec2: &aws_sdk_ec2::Client, region: &str) -> Result<Vec<Value>, ToolError> {
    let list = ec2
        .describe_volumes()
        .filters(Filter::builder().name("status").values("available").build())
        .into_paginator()
        .items()
        .send()
        .all()
        .await?;
    Ok(list
        .iter()
        .filter_map(|v| {
            let id = v.volume_id()?;
            let kind = v.volume_type().map(|t| t.as_str()).unwrap_or("gp2");
            let cost = table().volume(
                region,
                kind,
                f64::from(v.size().unwrap_or(0)),
                v.iops().map(f64::from),
                v.throughput().map(f64::from),
            );
            let mut i = item(
                "volume",
                id,
                "not attached to any instance".into(),
                cost,
                "no delete_volume action in this server yet (AWS: ec2 delete-volume; snapshot \
                 first if the data matters)",
            );
            i["size_gb"] = json!(v.size());
            i["name"] = json!(tag(v.tags(), "Name"));
            Some(i)
        })
        .collect())
}

async fn addresses(ec2: &aws_sdk_ec2::Client, region: &str) -> Result<Vec<Value>, ToolError> {
    let out = ec2
        .describe_addresses()
        .send()
        .await
        .map_err(ToolError::from_sdk)?;
    let hours = table().hours_per_month;
    Ok(out
        .addresses()
        .iter()
        .filter(|a| {
            unset(a.association_id()) && unset(a.instance_id()) && unset(a.network_interface_id())
        })
        .filter_map(|a| {
            let id = a.allocation_id()?;
            let mut i = item(
                "elastic_ip",
                id,
                format!("{} is not associated", a.public_ip().unwrap_or("address")),
                table().public_ip(region, hours),
                "aws_network release_elastic_ip(allocation_id)",
            );
            i["public_ip"] = json!(a.public_ip());
            Some(i)
        })
        .collect())
}

async fn snapshots(
    ec2: &aws_sdk_ec2::Client,
    region: &str,
    days: u32,
) -> Result<Vec<Value>, ToolError> {
    let (snaps, vols, images) = tokio::join!(
        ec2.describe_snapshots()
            .owner_ids("self")
            .into_paginator()
            .items()
            .send()
            .all(),
        ec2.describe_volumes().into_paginator().items().send().all(),
        ec2.describe_images().owners("self").send(),
    );
    let (snaps, vols) = (snaps?, vols?);
    let images = images.map_err(ToolError::from_sdk)?;
    let live: BTreeSet<&str> = vols.iter().filter_map(|v| v.volume_id()).collect();
    // A snapshot behind one of the account's AMIs is in use, whatever became of its volume.
    let backing: BTreeSet<&str> = images
        .images()
        .iter()
        .flat_map(|i| i.block_device_mappings())
        .filter_map(|m| m.ebs().and_then(|e| e.snapshot_id()))
        .collect();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let candidates: Vec<&aws_sdk_ec2::types::Snapshot> = snaps
        .iter()
        .filter(|s| {
            let (Some(id), Some(t)) = (s.snapshot_id(), s.start_time()) else {
                return false;
            };
            // Snapshots copied or made from AMIs name a placeholder volume (vol-ffffffff).
            let orphaned =
                !live.contains(s.volume_id().unwrap_or_default()) && !backing.contains(id);
            orphaned && (now - t.secs()) / 86_400 >= i64::from(days)
        })
        .collect();
    // A snapshot made for an AMI ("Created by CreateImage(i-…) for ami-…") is in use while
    // that AMI exists, whoever owns it.
    let named: BTreeSet<String> = candidates
        .iter()
        .filter_map(|s| ami_in(s.description().unwrap_or_default()))
        .collect();
    let named: Vec<String> = named.into_iter().collect();
    let mut images_alive: BTreeSet<String> = BTreeSet::new();
    for chunk in named.chunks(200) {
        let found = ec2
            .describe_images()
            .filters(
                Filter::builder()
                    .name("image-id")
                    .set_values(Some(chunk.to_vec()))
                    .build(),
            )
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        images_alive.extend(
            found
                .images()
                .iter()
                .filter_map(|i| i.image_id().map(str::to_string)),
        );
    }
    Ok(candidates
        .into_iter()
        .filter(|s| {
            ami_in(s.description().unwrap_or_default()).is_none_or(|a| !images_alive.contains(&a))
        })
        .filter_map(|s| {
            let id = s.snapshot_id()?;
            let age = s.start_time().map(|t| (now - t.secs()) / 86_400)?;
            let volume = s.volume_id().unwrap_or_default();
            let mut i = item(
                "snapshot",
                id,
                format!("{age} days old; its volume {volume} is gone"),
                table().snapshot(region, f64::from(s.volume_size().unwrap_or(0))),
                "no delete_snapshot action in this server yet (AWS: ec2 delete-snapshot; check \
                 no AMI uses it)",
            );
            i["age_days"] = json!(age);
            i["description"] = json!(s.description());
            Some(i)
        })
        .collect())
}

async fn stopped(ec2: &aws_sdk_ec2::Client, region: &str) -> Result<Vec<Value>, ToolError> {
    let reservations = ec2
        .describe_instances()
        .filters(
            Filter::builder()
                .name("instance-state-name")
                .values("stopped")
                .build(),
        )
        .into_paginator()
        .items()
        .send()
        .all()
        .await?;
    let instances: Vec<&aws_sdk_ec2::types::Instance> =
        reservations.iter().flat_map(|r| r.instances()).collect();
    let volume_ids: Vec<String> = instances
        .iter()
        .flat_map(|i| i.block_device_mappings())
        .filter_map(|m| m.ebs().and_then(|e| e.volume_id()).map(str::to_string))
        .collect();
    let mut sizes: BTreeMap<String, (String, i32, Option<i32>, Option<i32>)> = BTreeMap::new();
    for chunk in volume_ids.chunks(200) {
        let vols = ec2
            .describe_volumes()
            .set_volume_ids(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        for v in vols.volumes() {
            if let Some(id) = v.volume_id() {
                sizes.insert(
                    id.to_string(),
                    (
                        v.volume_type()
                            .map(|t| t.as_str())
                            .unwrap_or("gp2")
                            .to_string(),
                        v.size().unwrap_or(0),
                        v.iops(),
                        v.throughput(),
                    ),
                );
            }
        }
    }
    Ok(instances
        .iter()
        .filter_map(|i| {
            let id = i.instance_id()?;
            let mut total = Some(0.0);
            let mut parts: Vec<String> = Vec::new();
            for m in i.block_device_mappings() {
                let Some(vid) = m.ebs().and_then(|e| e.volume_id()) else {
                    continue;
                };
                let Some((kind, size, iops, tput)) = sizes.get(vid) else {
                    continue;
                };
                let e = table().volume(
                    region,
                    kind,
                    f64::from(*size),
                    iops.map(f64::from),
                    tput.map(f64::from),
                );
                total = total.zip(e.monthly).map(|(a, b)| a + b);
                parts.push(format!("{vid}: {}", e.how));
            }
            let how = if parts.is_empty() {
                "no EBS volumes found".to_string()
            } else {
                format!("its volumes: {}", parts.join("; "))
            };
            let cost = Estimate {
                monthly: total.map(round),
                how,
            };
            let mut v = item(
                "stopped_instance",
                id,
                format!(
                    "stopped ({}); compute is free while stopped, its volumes are not",
                    i.state_transition_reason().unwrap_or("no reason given")
                ),
                cost,
                "aws_ec2 terminate_instances(instance_ids) (its volumes go with it unless \
                 DeleteOnTermination is off; create_ami first to keep them)",
            );
            v["instance_type"] = json!(i.instance_type().map(|t| t.as_str()));
            v["name"] = json!(tag(i.tags(), "Name"));
            Some(v)
        })
        .collect())
}

async fn load_balancers(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    region: &str,
) -> Result<Vec<Value>, ToolError> {
    let lbs = elb
        .describe_load_balancers()
        .into_paginator()
        .items()
        .send()
        .all()
        .await?;
    let hours = table().hours_per_month;
    let mut out = Vec::new();
    for lb in &lbs {
        let Some(arn) = lb.load_balancer_arn() else {
            continue;
        };
        let groups = elb
            .describe_target_groups()
            .load_balancer_arn(arn)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let mut targets = 0;
        for g in groups.target_groups() {
            let Some(garn) = g.target_group_arn() else {
                continue;
            };
            let health = elb
                .describe_target_health()
                .target_group_arn(garn)
                .send()
                .await
                .map_err(ToolError::from_sdk)?;
            targets += health.target_health_descriptions().len();
        }
        if targets > 0 {
            continue;
        }
        let kind = lb.r#type().map(|t| t.as_str()).unwrap_or("application");
        let name = lb.load_balancer_name().unwrap_or(arn);
        let mut v = item(
            "load_balancer",
            arn,
            format!(
                "{name} has no registered targets ({} target group(s))",
                groups.target_groups().len()
            ),
            table().load_balancer(region, kind, hours),
            "aws_ec2 delete_load_balancer(load_balancer_arn)",
        );
        v["name"] = json!(name);
        v["type"] = json!(kind);
        out.push(v);
    }
    Ok(out)
}

async fn nat_gateways(
    ec2: &aws_sdk_ec2::Client,
    cw: &aws_sdk_cloudwatch::Client,
    region: &str,
    days: u32,
) -> Result<Vec<Value>, ToolError> {
    let gws = ec2
        .describe_nat_gateways()
        .filter(Filter::builder().name("state").values("available").build())
        .into_paginator()
        .items()
        .send()
        .all()
        .await?;
    let end = aws_smithy_types::DateTime::from(std::time::SystemTime::now());
    let start = aws_smithy_types::DateTime::from_secs(end.secs() - i64::from(days) * 86_400);
    let hours = table().hours_per_month;
    let mut out = Vec::new();
    for g in &gws {
        let Some(id) = g.nat_gateway_id() else {
            continue;
        };
        let stats = cw
            .get_metric_statistics()
            .namespace("AWS/NATGateway")
            .metric_name("BytesOutToDestination")
            .dimensions(Dimension::builder().name("NatGatewayId").value(id).build())
            .start_time(start)
            .end_time(end)
            .period(86_400)
            .statistics(Statistic::Sum)
            .send()
            .await
            .map_err(|e| match ToolError::from_sdk(e) {
                ToolError::Aws {
                    code,
                    message,
                    hint,
                } => ToolError::Aws {
                    message: format!("CloudWatch GetMetricStatistics for {id}: {message}"),
                    code,
                    hint,
                },
                other => other,
            })?;
        let points = stats.datapoints();
        let bytes: f64 = points.iter().filter_map(|p| p.sum()).sum();
        if bytes > 0.0 {
            continue;
        }
        let why = if points.is_empty() {
            format!("no BytesOutToDestination data in {days} days")
        } else {
            format!("0 bytes out to destinations in {days} days")
        };
        let mut v = item(
            "nat_gateway",
            id,
            why,
            table().nat_gateway(region, hours, 0.0),
            "aws_network delete_nat_gateway(nat_gateway_id) (private subnets routed through it \
             lose internet access)",
        );
        v["vpc_id"] = json!(g.vpc_id());
        out.push(v);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amis_named_in_snapshot_descriptions() {
        assert_eq!(
            ami_in("Created by CreateImage(i-0abc) for ami-0123456789abcdef0").as_deref(),
            Some("ami-0123456789abcdef0")
        );
        assert_eq!(
            ami_in("Auto-created snapshot for AMI ami-03cf127a").as_deref(),
            Some("ami-03cf127a")
        );
        assert_eq!(ami_in("nightly backup"), None);
        assert_eq!(ami_in("ami-"), None);
    }
}
