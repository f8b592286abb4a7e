//! Pre-operation backups: taken and recorded before a destructive call runs where its
//! environment requires it. If a backup fails, the call does not run.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::{
    Guardrails,
    store::{Result, Store, new_id, now, rfc3339},
};
use crate::{
    aws::{At, AwsPool},
    error::ToolError,
    registry::{Kind, Target},
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backup {
    pub id: String,
    /// What the backup protects against, e.g. "aws_ec2 terminate_instances".
    pub reason: String,
    pub resource_id: String,
    /// "ebs-snapshot", "ami", …
    pub kind: String,
    /// The AWS id of the backup (snapshot id, image id).
    pub backup_id: String,
    pub region: Option<String>,
    pub created_at: String,
    /// How to bring the resource back from the backup, where the recipe says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore: Option<String>,
}

impl Store {
    pub fn record_backup(&self, mut b: Backup) -> Result<Backup> {
        let t = now();
        b.id = new_id("bak");
        b.created_at = rfc3339(t);
        let body = serde_json::to_string(&b).expect("backup serialises");
        self.write(|tx| {
            tx.execute(
                "INSERT INTO backups (id, body, created_at) VALUES (?1, ?2, ?3)",
                params![b.id, body, t],
            )
        })?;
        Ok(b)
    }

    /// Recorded backups, newest first, optionally for one resource.
    pub fn backups(&self, resource_id: Option<&str>, limit: usize) -> Result<Vec<Backup>> {
        let bodies: Vec<String> = self.read(|c| {
            let mut stmt = c.prepare("SELECT body FROM backups ORDER BY created_at DESC, id")?;
            stmt.query_map([], |r| r.get(0))?.collect()
        })?;
        Ok(bodies
            .iter()
            .filter_map(|b| serde_json::from_str::<Backup>(b).ok())
            .filter(|b| resource_id.is_none_or(|r| b.resource_id == r))
            .take(limit)
            .collect())
    }
}

/// Snapshots every EBS volume attached to the instances; returns (instance, volume, snapshot).
pub async fn snapshot_instance_volumes(
    client: &aws_sdk_ec2::Client,
    instance_ids: &[String],
    description: &str,
) -> std::result::Result<Vec<(String, String, String)>, ToolError> {
    use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
    let resp = client
        .describe_instances()
        .set_instance_ids(Some(instance_ids.to_vec()))
        .send()
        .await
        .map_err(ToolError::from_sdk)?;
    let mut made = Vec::new();
    for inst in resp.reservations().iter().flat_map(|r| r.instances()) {
        let id = inst.instance_id().unwrap_or_default().to_string();
        for volume in inst
            .block_device_mappings()
            .iter()
            .filter_map(|b| b.ebs()?.volume_id())
        {
            let snap = client
                .create_snapshot()
                .volume_id(volume)
                .description(description)
                .tag_specifications(
                    TagSpecification::builder()
                        .resource_type(ResourceType::Snapshot)
                        .tags(Tag::builder().key("espada:backup-of").value(&id).build())
                        .build(),
                )
                .send()
                .await
                .map_err(ToolError::from_sdk)?;
            made.push((
                id.clone(),
                volume.to_string(),
                snap.snapshot_id().unwrap_or_default().to_string(),
            ));
        }
    }
    Ok(made)
}

/// Takes a manual RDS snapshot of a DB instance (`Kind::DbInstance`) or an Aurora cluster
/// (`Kind::DbCluster`), tagged with what it backs up, and returns its id and how to restore
/// from it. The snapshot is named `espada-backup-<resource>-<time>` (RDS wants a unique,
/// letter-first identifier of at most 255 characters).
pub async fn snapshot_rds(
    client: &aws_sdk_rds::Client,
    cluster: bool,
    id: &str,
) -> std::result::Result<(String, String), ToolError> {
    use aws_sdk_rds::types::Tag;
    // An Aurora instance has no snapshot of its own: its cluster's is the backup.
    let member_of = if cluster {
        None
    } else {
        client
            .describe_db_instances()
            .db_instance_identifier(id)
            .send()
            .await
            .map_err(ToolError::from_sdk)?
            .db_instances()
            .first()
            .and_then(|i| i.db_cluster_identifier())
            .map(str::to_string)
    };
    let (cluster, id) = match &member_of {
        Some(c) => (true, c.as_str()),
        None => (cluster, id),
    };
    let tag = Tag::builder().key("espada:backup-of").value(id).build();
    let stamp = rfc3339(now())
        .chars()
        .filter(char::is_ascii_digit)
        .take(14)
        .collect::<String>();
    let name: String = format!("espada-backup-{id}-{stamp}")
        .chars()
        .take(255)
        .collect();
    if cluster {
        let out = client
            .create_db_cluster_snapshot()
            .db_cluster_identifier(id)
            .db_cluster_snapshot_identifier(&name)
            .tags(tag)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let snap = out
            .db_cluster_snapshot()
            .and_then(|s| s.db_cluster_snapshot_identifier())
            .unwrap_or(&name)
            .to_string();
        let restore = format!(
            "restore a new cluster from cluster snapshot {snap} (rds \
             restore-db-cluster-from-snapshot), then add an instance to it"
        );
        Ok((snap, restore))
    } else {
        let out = client
            .create_db_snapshot()
            .db_instance_identifier(id)
            .db_snapshot_identifier(&name)
            .tags(tag)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let snap = out
            .db_snapshot()
            .and_then(|s| s.db_snapshot_identifier())
            .unwrap_or(&name)
            .to_string();
        let restore =
            format!("aws_rds restore_from_snapshot with snapshot_id {snap} and a new instance_id");
        Ok((snap, restore))
    }
}

/// Before `update_function_code` and `delete_function` of a Lambda function: its current code
/// and configuration published as a version (PublishVersion; unchanged code answers with the
/// version that already holds it). Returns (function, version ARN, version).
pub async fn publish_function_versions(
    client: &aws_sdk_lambda::Client,
    functions: &[String],
    description: &str,
) -> std::result::Result<Vec<(String, String, String)>, ToolError> {
    let mut made = Vec::new();
    for f in functions {
        let out = client
            .publish_version()
            .function_name(f)
            .description(description)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        made.push((
            f.clone(),
            out.function_arn().unwrap_or_default().to_string(),
            out.version().unwrap_or_default().to_string(),
        ));
    }
    Ok(made)
}

impl Guardrails {
    /// Step 9: takes and records the backups a destructive call needs. Calls without a backup
    /// recipe get none (and the result says so).
    pub async fn backup_before(
        &self,
        tool: &str,
        action: &str,
        targets: &[Target],
        at: At<'_>,
        aws: &AwsPool,
    ) -> std::result::Result<Vec<Backup>, ToolError> {
        let of_kind = |kind: Kind| -> Vec<String> {
            targets
                .iter()
                .filter(|t| t.kind == kind)
                .map(|t| t.id.clone())
                .collect()
        };
        let instances = of_kind(Kind::Instance);
        let functions = of_kind(Kind::LambdaFunction);
        let reason = format!("{tool} {action}");
        let region_name = at
            .region
            .map(str::to_string)
            .or_else(|| aws.default_region());
        // One backup record: what the recipe made, for which resource, and how to restore it.
        let record = |reason: String,
                      resource_id: String,
                      kind: &str,
                      backup_id: String,
                      restore: Option<String>| Backup {
            id: String::new(),
            reason,
            resource_id,
            kind: kind.into(),
            backup_id,
            region: region_name.clone(),
            created_at: String::new(),
            restore,
        };
        let mut backups: Vec<Backup> = Vec::new();
        // EC2 instances: a snapshot of each attached volume.
        if !instances.is_empty() {
            let made = snapshot_instance_volumes(
                &aws.client(at, None).await,
                &instances,
                &format!("espada-aws backup before {reason}"),
            )
            .await?;
            backups.extend(made.into_iter().map(|(instance, volume, snapshot)| {
                record(
                    format!("{reason} (volume {volume})"),
                    instance,
                    "ebs-snapshot",
                    snapshot,
                    None,
                )
            }));
        }
        // RDS instances and Aurora clusters: a manual snapshot each.
        for t in targets
            .iter()
            .filter(|t| !t.new && matches!(t.kind, Kind::DbInstance | Kind::DbCluster))
        {
            let cluster = t.kind == Kind::DbCluster;
            let (snapshot, restore) =
                snapshot_rds(&aws.client(at, None).await, cluster, &t.id).await?;
            let kind = if cluster {
                "rds-cluster-snapshot"
            } else {
                "rds-snapshot"
            };
            backups.push(record(
                reason.clone(),
                t.id.clone(),
                kind,
                snapshot,
                Some(restore),
            ));
        }
        // Lambda functions: the current code and configuration published as a version.
        if !functions.is_empty() {
            let made = publish_function_versions(
                &aws.client(at, None).await,
                &functions,
                &format!("espada-aws backup before {reason}"),
            )
            .await?;
            // DeleteFunction without a qualifier deletes the published versions too: the
            // record says so instead of promising a restore it cannot give.
            let deletes = action == "delete_function";
            backups.extend(made.into_iter().map(|(function, arn, version)| {
                let restore = if deletes {
                    format!(
                        "the delete removes every version with the function; copy the code out \
                         first (get_function {function}:{version} with sensitive data allowed \
                         gives its download URL) to be able to recreate it"
                    )
                } else {
                    format!(
                        "point aliases at version {version} (aws_lambda update_alias \
                         function_version {version}) or read its code with get_function \
                         {function}:{version}"
                    )
                };
                record(
                    format!("{reason}: published as version {version}"),
                    function,
                    "lambda-version",
                    arn,
                    Some(restore),
                )
            }));
        }
        // CloudWatch alarms and dashboards have no snapshot: their definitions are kept in the
        // record itself, with how to put them back.
        let alarms = of_kind(Kind::Alarm);
        if !alarms.is_empty() {
            let client: aws_sdk_cloudwatch::Client = aws.client(at, None).await;
            let (metric, composite) = crate::aws::cloudwatch::describe(&client, &alarms).await?;
            backups.extend(metric.iter().map(|a| {
                let name = a.alarm_name().unwrap_or_default().to_string();
                let restore = format!(
                    "recreate it with aws_monitoring create_alarm from this definition (as \
                     DescribeAlarms gave it): {}",
                    crate::aws::cloudwatch::alarm_json(a)
                );
                let arn = a.alarm_arn().unwrap_or(&name).to_string();
                record(reason.clone(), name, "alarm-definition", arn, Some(restore))
            }));
            backups.extend(composite.iter().map(|a| {
                let name = a.alarm_name().unwrap_or_default().to_string();
                let restore = format!(
                    "recreate the composite alarm with PutCompositeAlarm, rule {}, actions {:?}",
                    a.alarm_rule().unwrap_or_default(),
                    a.alarm_actions()
                );
                let arn = a.alarm_arn().unwrap_or(&name).to_string();
                record(reason.clone(), name, "alarm-definition", arn, Some(restore))
            }));
        }
        for name in of_kind(Kind::Dashboard) {
            let client: aws_sdk_cloudwatch::Client = aws.client(at, None).await;
            if let Some(body) = crate::aws::cloudwatch::get_body(&client, &name).await? {
                let restore = format!(
                    "aws cloudwatch put-dashboard --dashboard-name {name} --dashboard-body '{}'",
                    body.replace('\'', "'\\''")
                );
                let id = format!("dashboard {name}, body of {} bytes", body.len());
                backups.push(record(
                    reason.clone(),
                    name,
                    "dashboard-body",
                    id,
                    Some(restore),
                ));
            }
        }
        if backups.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self
            .store
            .run(move |s| {
                backups
                    .into_iter()
                    .map(|b| s.record_backup(b))
                    .collect::<Result<Vec<_>>>()
            })
            .await?)
    }
}
