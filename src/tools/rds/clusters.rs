//! Read replicas (create, promote) and Aurora clusters: list, create with the first instance,
//! fail over, and delete (its instances, then the cluster, with a final snapshot unless
//! skipped).

use aws_sdk_rds::{Client, types::DbCluster};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    check_id, cluster, create_error, instance, instance_view,
    instances::{check_backup_days, create_flags, skip_flag},
    once, rds_error, rds_tags, stamped, tag_map,
};
use crate::{
    aws::{outcome::stopped, paging::PageRequest},
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Flag, Kind, Risk, Tags, Target},
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateReadReplica {
    pub source_instance_id: String,
    /// The new replica
    pub instance_id: String,
    pub class: Option<String>,
    pub multi_az: Option<bool>,
    pub tags: Option<Tags>,
}

impl Action for CreateReadReplica {
    const NAME: &'static str = "create_read_replica";
    const DESCRIPTION: &'static str = "Replica of an instance";
    const ACCESS: Access = Access::Write;
    // A new instance; the source keeps running (it starts shipping changes to the replica).
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_id("source_instance_id", &self.source_instance_id, 63)?;
        check_id("instance_id", &self.instance_id, 63)
    }

    /// A replica of a production database is production.
    fn targets(&self) -> Vec<Target> {
        vec![
            Target::created(Kind::DbInstance, &self.instance_id)
                .in_parent(instance(&self.source_instance_id)),
        ]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let out = client
            .create_db_instance_read_replica()
            .source_db_instance_identifier(&self.source_instance_id)
            .db_instance_identifier(&self.instance_id)
            .set_db_instance_class(self.class.clone())
            .set_multi_az(self.multi_az)
            .publicly_accessible(false)
            .deletion_protection(true)
            .copy_tags_to_snapshot(true)
            .set_tags(rds_tags(&self.tags))
            .customize()
            .config_override(once())
            .send()
            .await
            .map_err(|e| {
                create_error(
                    e,
                    "CreateDBInstanceReadReplica",
                    &format!("instance {}", self.instance_id),
                    "describe_instance",
                    json!({"instance_id": self.instance_id}),
                )
            })?;
        Ok(Output::new(
            format!(
                "Creating read replica {} of {}.",
                self.instance_id, self.source_instance_id
            ),
            json!({"instance": out.db_instance().map(instance_view)}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PromoteReadReplica {
    pub instance_id: String,
    pub backup_days: Option<i32>,
}

impl Action for PromoteReadReplica {
    const NAME: &'static str = "promote_read_replica";
    const DESCRIPTION: &'static str = "Make a replica standalone (no way back)";
    const ACCESS: Access = Access::Write;
    // Replication stops for good and the replica starts taking writes.
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        check_id("instance_id", &self.instance_id, 63)?;
        check_backup_days(self.backup_days)
    }

    fn targets(&self) -> Vec<Target> {
        vec![instance(&self.instance_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let i = super::instances::describe(&client, &self.instance_id).await?;
        let Some(source) = i.read_replica_source_db_instance_identifier() else {
            return Err(ToolError::Precondition {
                message: format!("{} is not a read replica", self.instance_id),
                hint: "nothing was done; list_instances shows replicas in replica_of".into(),
                details: json!({"instance_id": self.instance_id}),
            });
        };
        let source = source.to_string();
        client
            .promote_read_replica()
            .db_instance_identifier(&self.instance_id)
            .set_backup_retention_period(self.backup_days)
            .send()
            .await
            .map_err(rds_error)?;
        Ok(Output::new(
            format!(
                "Promoting {} to a standalone instance; it no longer replicates {source}.",
                self.instance_id
            ),
            json!({"instance_id": self.instance_id, "was_replica_of": source}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FailoverCluster {
    pub cluster_id: String,
    /// Reader to promote (default RDS picks)
    pub instance_id: Option<String>,
}

impl Action for FailoverCluster {
    const NAME: &'static str = "failover_cluster";
    const DESCRIPTION: &'static str = "Promote a reader to writer";
    const ACCESS: Access = Access::Write;
    // The writer changes; connections drop.
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        check_id("cluster_id", &self.cluster_id, 63)?;
        if let Some(i) = &self.instance_id {
            check_id("instance_id", i, 63)?;
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        let mut t = vec![cluster(&self.cluster_id)];
        t.extend(
            self.instance_id
                .iter()
                .map(|i| instance(i).in_parent(cluster(&self.cluster_id))),
        );
        t
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let out = client
            .failover_db_cluster()
            .db_cluster_identifier(&self.cluster_id)
            .set_target_db_instance_identifier(self.instance_id.clone())
            .send()
            .await
            .map_err(rds_error)?;
        let writer = out.db_cluster().and_then(|c| {
            c.db_cluster_members()
                .iter()
                .find(|m| m.is_cluster_writer() == Some(true))
                .and_then(|m| m.db_instance_identifier())
        });
        Ok(Output::new(
            format!(
                "Failing over {}; the writer is now {}.",
                self.cluster_id,
                writer.unwrap_or("being chosen")
            ),
            json!({"cluster_id": self.cluster_id, "writer": writer}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListClusters {
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListClusters {
    const NAME: &'static str = "list_clusters";
    const DESCRIPTION: &'static str = "Aurora clusters, members, endpoints";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let resp = client
            .describe_db_clusters()
            .max_records(page.aws_page_size(20, 100))
            .set_marker(page.aws_token.clone())
            .send()
            .await
            .map_err(rds_error)?;
        let (items, next) = page.finish(
            resp.db_clusters().iter().map(cluster_view).collect(),
            resp.marker().map(str::to_string),
        );
        Ok(Output::new(
            format!("{} cluster(s).", items.len()),
            json!({"clusters": items}),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCluster {
    pub cluster_id: String,
    /// aurora-postgresql or aurora-mysql
    pub engine: String,
    /// The first instance's, e.g. db.r6g.large
    pub class: String,
    pub engine_version: Option<String>,
    /// First instance (default <cluster_id>-1)
    pub instance_id: Option<String>,
    pub subnet_group: Option<String>,
    pub security_group_ids: Option<Vec<String>>,
    pub backup_days: Option<i32>,
    pub deletion_protection: Option<bool>,
    pub encrypted: Option<bool>,
    pub username: Option<String>,
    pub tags: Option<Tags>,
}

impl Action for CreateCluster {
    const NAME: &'static str = "create_cluster";
    const DESCRIPTION: &'static str = "Aurora cluster and its first instance";
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_id("cluster_id", &self.cluster_id, 63)?;
        if let Some(i) = &self.instance_id {
            check_id("instance_id", i, 63)?;
        }
        if !self.engine.starts_with("aurora") {
            return Err(ToolError::invalid(
                "create_cluster makes Aurora clusters (aurora-postgresql, aurora-mysql); use \
                 create_instance for other engines",
            ));
        }
        check_backup_days(self.backup_days)?;
        if self.backup_days == Some(0) {
            return Err(ToolError::invalid("Aurora keeps 1 to 35 backup_days"));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        let new_cluster = Target::created(Kind::DbCluster, &self.cluster_id);
        vec![
            new_cluster.clone(),
            Target::created(Kind::DbInstance, self.first_instance()).in_parent(new_cluster),
        ]
    }

    fn flags(&self) -> Vec<Flag> {
        create_flags(self.encrypted, self.deletion_protection, None)
    }

    /// Two requests: the cluster (password managed by RDS), then its first instance. If the
    /// second fails, the cluster exists and the error says so.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let out = client
            .create_db_cluster()
            .db_cluster_identifier(&self.cluster_id)
            .engine(&self.engine)
            .set_engine_version(self.engine_version.clone())
            .set_db_subnet_group_name(self.subnet_group.clone())
            .set_vpc_security_group_ids(self.security_group_ids.clone())
            .backup_retention_period(self.backup_days.unwrap_or(7))
            .deletion_protection(self.deletion_protection.unwrap_or(true))
            .storage_encrypted(self.encrypted.unwrap_or(true))
            .master_username(self.username.as_deref().unwrap_or("dbadmin"))
            .manage_master_user_password(true)
            .copy_tags_to_snapshot(true)
            .set_tags(rds_tags(&self.tags))
            .customize()
            .config_override(once())
            .send()
            .await
            .map_err(|e| {
                create_error(
                    e,
                    "CreateDBCluster",
                    &format!("cluster {}", self.cluster_id),
                    "list_clusters",
                    json!({}),
                )
            })?;
        let first = self.first_instance();
        let done = vec![format!("created cluster {}", self.cluster_id)];
        let inst = client
            .create_db_instance()
            .db_instance_identifier(&first)
            .db_cluster_identifier(&self.cluster_id)
            .engine(&self.engine)
            .db_instance_class(&self.class)
            .publicly_accessible(false)
            .set_tags(rds_tags(&self.tags))
            .customize()
            .config_override(once())
            .send()
            .await
            .map_err(|e| {
                stopped(
                    &done,
                    &format!("create its first instance {first}"),
                    rds_error(e),
                )
            })?;
        let c = out.db_cluster();
        Ok(Output::new(
            format!(
                "Creating cluster {} with writer {first} ({}); the master password is in \
                 Secrets Manager (master_secret_arn), never shown here.",
                self.cluster_id, self.class
            ),
            json!({
                "cluster": c.map(cluster_view),
                "instance": inst.db_instance().map(instance_view),
                "encrypted": c.and_then(|c| c.storage_encrypted()),
                "deletion_protection": c.and_then(|c| c.deletion_protection()),
                "master_secret_arn": c.and_then(|c| c.master_user_secret()).and_then(|s| s.secret_arn()),
            }),
        ))
    }
}

impl CreateCluster {
    fn first_instance(&self) -> String {
        self.instance_id
            .clone()
            .unwrap_or_else(|| format!("{}-1", self.cluster_id))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteCluster {
    pub cluster_id: String,
    pub skip_final_snapshot: Option<bool>,
    pub final_snapshot_id: Option<String>,
}

impl Action for DeleteCluster {
    const NAME: &'static str = "delete_cluster";
    const DESCRIPTION: &'static str = "Delete with its instances, final snapshot";
    const ACCESS: Access = Access::Destructive;
    const RISK: Risk = Risk::Critical;

    fn validate(&self) -> Result<(), ToolError> {
        check_id("cluster_id", &self.cluster_id, 63)?;
        if let Some(s) = &self.final_snapshot_id {
            if self.skip_final_snapshot == Some(true) {
                return Err(ToolError::invalid(
                    "final_snapshot_id and skip_final_snapshot: true contradict each other",
                ));
            }
            check_id("final_snapshot_id", s, 255)?;
        }
        Ok(())
    }

    /// The cluster; its members' tags are read with it (guardrails::tags).
    fn targets(&self) -> Vec<Target> {
        vec![cluster(&self.cluster_id)]
    }

    fn flags(&self) -> Vec<Flag> {
        skip_flag(self.skip_final_snapshot)
    }

    /// Reads the cluster: deletion protection refuses here. Deletes its instances (their data
    /// is the cluster's), then the cluster with its final snapshot.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let r = client
            .describe_db_clusters()
            .db_cluster_identifier(&self.cluster_id)
            .send()
            .await
            .map_err(rds_error)?;
        let Some(c) = r.db_clusters().first() else {
            return Err(ToolError::invalid(format!(
                "no cluster {}",
                self.cluster_id
            )));
        };
        if c.deletion_protection() == Some(true) {
            return Err(ToolError::Precondition {
                message: format!("{} has deletion protection on", self.cluster_id),
                hint: "nothing was done; turn it off in the console or with rds \
                       modify-db-cluster --no-deletion-protection (a separate, reviewed change)"
                    .into(),
                details: json!({"cluster_id": self.cluster_id, "deletion_protection": true}),
            });
        }
        let members: Vec<String> = c
            .db_cluster_members()
            .iter()
            .filter_map(|m| m.db_instance_identifier().map(str::to_string))
            .collect();
        let mut done = Vec::new();
        for m in &members {
            client
                .delete_db_instance()
                .db_instance_identifier(m)
                .skip_final_snapshot(true)
                .send()
                .await
                .map_err(|e| stopped(&done, &format!("delete instance {m}"), rds_error(e)))?;
            done.push(format!("deleting instance {m}"));
        }
        let skip = self.skip_final_snapshot == Some(true);
        let final_id = (!skip).then(|| {
            self.final_snapshot_id
                .clone()
                .unwrap_or_else(|| stamped(&self.cluster_id, "final"))
        });
        client
            .delete_db_cluster()
            .db_cluster_identifier(&self.cluster_id)
            .skip_final_snapshot(skip)
            .set_final_db_snapshot_identifier(final_id.clone())
            .send()
            .await
            .map_err(|e| stopped(&done, "delete the cluster", rds_error(e)))?;
        let kept = match &final_id {
            Some(s) => format!("its final cluster snapshot is {s}"),
            None => "no final snapshot was kept".into(),
        };
        Ok(Output::new(
            format!(
                "Deleting cluster {} and its {} instance(s); {kept}.",
                self.cluster_id,
                members.len()
            ),
            json!({"cluster_id": self.cluster_id, "instances": members,
                   "final_snapshot_id": final_id}),
        ))
    }
}

pub fn cluster_view(c: &DbCluster) -> Value {
    json!({
        "cluster_id": c.db_cluster_identifier(),
        "status": c.status(),
        "engine": c.engine(),
        "engine_version": c.engine_version(),
        "endpoint": c.endpoint(),
        "reader_endpoint": c.reader_endpoint(),
        "multi_az": c.multi_az(),
        "members": c.db_cluster_members().iter().map(|m| json!({
            "instance_id": m.db_instance_identifier(),
            "writer": m.is_cluster_writer(),
        })).collect::<Vec<_>>(),
        "tags": tag_map(c.tag_list()),
    })
}
