//! DB instances: list, describe, create (encrypted, deletion-protected, private, password in
//! Secrets Manager), modify (now or in the maintenance window), delete (a final snapshot unless
//! skipped), start, stop, reboot (optionally with a Multi-AZ failover).

use std::time::Duration;

use aws_sdk_rds::Client;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{check_id, create_error, instance, instance_view, once, rds_error, rds_tags, stamped};
use crate::{
    aws::{paging::PageRequest, time},
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Flag, Kind, Risk, Tags, Target},
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListInstances {
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListInstances {
    const NAME: &'static str = "list_instances";
    const DESCRIPTION: &'static str = "Instances, status, endpoint";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let resp = client
            .describe_db_instances()
            .max_records(page.aws_page_size(20, 100))
            .set_marker(page.aws_token.clone())
            .send()
            .await
            .map_err(rds_error)?;
        let (items, next) = page.finish(
            resp.db_instances().iter().map(instance_view).collect(),
            resp.marker().map(str::to_string),
        );
        Ok(Output::new(
            format!("{} DB instance(s).", items.len()),
            json!({"instances": items}),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DescribeInstance {
    pub instance_id: String,
}

impl Action for DescribeInstance {
    const NAME: &'static str = "describe_instance";
    const DESCRIPTION: &'static str = "Details, pending changes";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        vec![instance(&self.instance_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let i = describe(&client, &self.instance_id).await?;
        let mut v = instance_view(&i);
        let pending = i.pending_modified_values().map(|p| {
            json!({
                "class": p.db_instance_class(),
                "storage_gb": p.allocated_storage(),
                "multi_az": p.multi_az(),
                "backup_days": p.backup_retention_period(),
                "engine_version": p.engine_version(),
                "storage_type": p.storage_type(),
            })
        });
        let extra = json!({
            "arn": i.db_instance_arn(),
            "storage_type": i.storage_type(),
            "encrypted": i.storage_encrypted(),
            "deletion_protection": i.deletion_protection(),
            "publicly_accessible": i.publicly_accessible(),
            "backup_days": i.backup_retention_period(),
            "backup_window": i.preferred_backup_window(),
            "maintenance_window": i.preferred_maintenance_window(),
            "latest_restorable_time": i.latest_restorable_time().map(time),
            "availability_zone": i.availability_zone(),
            "subnet_group": i.db_subnet_group().and_then(|g| g.db_subnet_group_name()),
            "security_group_ids": i.vpc_security_groups().iter()
                .filter_map(|g| g.vpc_security_group_id()).collect::<Vec<_>>(),
            "parameter_groups": i.db_parameter_groups().iter()
                .filter_map(|g| g.db_parameter_group_name()).collect::<Vec<_>>(),
            "replicas": i.read_replica_db_instance_identifiers(),
            "master_username": i.master_username(),
            "master_secret_arn": i.master_user_secret().and_then(|s| s.secret_arn()),
            "pending": pending,
        });
        if let (Value::Object(v), Value::Object(extra)) = (&mut v, extra) {
            v.extend(extra.into_iter().filter(|(_, x)| !x.is_null()));
        }
        Ok(Output::new(
            format!(
                "{} is {} ({} {}, {}).",
                self.instance_id,
                i.db_instance_status().unwrap_or("unknown"),
                i.engine().unwrap_or_default(),
                i.engine_version().unwrap_or_default(),
                i.db_instance_class().unwrap_or_default()
            ),
            v,
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInstance {
    pub instance_id: String,
    /// postgres, mysql, mariadb, oracle-*, sqlserver-*
    pub engine: String,
    /// e.g. db.t4g.micro
    pub class: String,
    pub engine_version: Option<String>,
    /// Default 20
    pub storage_gb: Option<i32>,
    /// Default gp3
    pub storage_type: Option<String>,
    pub multi_az: Option<bool>,
    pub subnet_group: Option<String>,
    pub security_group_ids: Option<Vec<String>>,
    /// Automated backup days (default 7)
    pub backup_days: Option<i32>,
    /// Default true
    pub deletion_protection: Option<bool>,
    /// Default true
    pub encrypted: Option<bool>,
    /// Default dbadmin; password kept by RDS
    pub username: Option<String>,
    pub tags: Option<Tags>,
}

impl Action for CreateInstance {
    const NAME: &'static str = "create_instance";
    const DESCRIPTION: &'static str = "Private, encrypted, protected";
    const ACCESS: Access = Access::Write;
    // A new database changes nothing that exists (it costs money while it runs).
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_id("instance_id", &self.instance_id, 63)?;
        if self.engine.starts_with("aurora") {
            return Err(ToolError::invalid(
                "Aurora instances live in a cluster: use create_cluster",
            ));
        }
        check_storage(self.storage_gb)?;
        check_backup_days(self.backup_days)?;
        if let Some(g) = &self.subnet_group {
            check_id("subnet_group", g, 255)?;
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::created(Kind::DbInstance, &self.instance_id)]
    }

    fn flags(&self) -> Vec<Flag> {
        create_flags(self.encrypted, self.deletion_protection, self.backup_days)
    }

    /// Always private (`PubliclyAccessible=false`), tags copied to snapshots, the password
    /// generated and kept by RDS in Secrets Manager.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let out = client
            .create_db_instance()
            .db_instance_identifier(&self.instance_id)
            .engine(&self.engine)
            .set_engine_version(self.engine_version.clone())
            .db_instance_class(&self.class)
            .allocated_storage(self.storage_gb.unwrap_or(20))
            .storage_type(self.storage_type.as_deref().unwrap_or("gp3"))
            .multi_az(self.multi_az.unwrap_or(false))
            .set_db_subnet_group_name(self.subnet_group.clone())
            .set_vpc_security_group_ids(self.security_group_ids.clone())
            .backup_retention_period(self.backup_days.unwrap_or(7))
            .deletion_protection(self.deletion_protection.unwrap_or(true))
            .storage_encrypted(self.encrypted.unwrap_or(true))
            .master_username(self.username.as_deref().unwrap_or("dbadmin"))
            .manage_master_user_password(true)
            .publicly_accessible(false)
            .copy_tags_to_snapshot(true)
            .set_tags(rds_tags(&self.tags))
            .customize()
            .config_override(once())
            .send()
            .await
            .map_err(|e| {
                create_error(
                    e,
                    "CreateDBInstance",
                    &format!("instance {}", self.instance_id),
                    "describe_instance",
                    json!({"instance_id": self.instance_id}),
                )
            })?;
        let Some(i) = out.db_instance() else {
            return Err(ToolError::invalid("RDS answered without the instance"));
        };
        let mut v = instance_view(i);
        v["encrypted"] = json!(i.storage_encrypted());
        v["deletion_protection"] = json!(i.deletion_protection());
        v["master_username"] = json!(i.master_username());
        v["master_secret_arn"] = json!(i.master_user_secret().and_then(|s| s.secret_arn()));
        Ok(Output::new(
            format!(
                "Creating {} {} ({}); encrypted: {}, deletion protection: {}; the master \
                 password is in Secrets Manager (master_secret_arn), never shown here.",
                self.engine,
                self.instance_id,
                self.class,
                i.storage_encrypted().unwrap_or(false),
                i.deletion_protection().unwrap_or(false)
            ),
            v,
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModifyInstance {
    pub instance_id: String,
    pub class: Option<String>,
    pub storage_gb: Option<i32>,
    pub multi_az: Option<bool>,
    pub backup_days: Option<i32>,
    pub deletion_protection: Option<bool>,
    /// Not in the maintenance window
    pub apply_now: Option<bool>,
}

impl Action for ModifyInstance {
    const NAME: &'static str = "modify_instance";
    const DESCRIPTION: &'static str = "Change settings";
    const ACCESS: Access = Access::Write;
    // In the maintenance window by default; applying now is flagged high.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_id("instance_id", &self.instance_id, 63)?;
        check_storage(self.storage_gb)?;
        check_backup_days(self.backup_days)?;
        if self.class.is_none()
            && self.storage_gb.is_none()
            && self.multi_az.is_none()
            && self.backup_days.is_none()
            && self.deletion_protection.is_none()
        {
            return Err(ToolError::invalid(
                "modify_instance needs a change: class, storage_gb, multi_az, backup_days or \
                 deletion_protection",
            ));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![instance(&self.instance_id)]
    }

    fn flags(&self) -> Vec<Flag> {
        let mut flags = Vec::new();
        if self.apply_now == Some(true) {
            flags.push(Flag::high(
                "applied now, not in the maintenance window (a class or Multi-AZ change restarts \
                 the database)",
            ));
        }
        if self.deletion_protection == Some(false) {
            flags.push(Flag::high("turns off deletion protection"));
        }
        if self.backup_days == Some(0) {
            flags.push(Flag::high(
                "turns off automated backups (and point-in-time restore)",
            ));
        }
        flags
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let now = self.apply_now.unwrap_or(false);
        let out = client
            .modify_db_instance()
            .db_instance_identifier(&self.instance_id)
            .set_db_instance_class(self.class.clone())
            .set_allocated_storage(self.storage_gb)
            .set_multi_az(self.multi_az)
            .set_backup_retention_period(self.backup_days)
            .set_deletion_protection(self.deletion_protection)
            .apply_immediately(now)
            .send()
            .await
            .map_err(rds_error)?;
        let i = out.db_instance();
        let pending = i.and_then(|i| i.pending_modified_values()).map(|p| {
            json!({"class": p.db_instance_class(), "storage_gb": p.allocated_storage(),
                   "multi_az": p.multi_az(), "backup_days": p.backup_retention_period()})
        });
        Ok(Output::new(
            format!(
                "Modified {}{}.",
                self.instance_id,
                if now {
                    ", applying now"
                } else {
                    "; changes that wait apply in the next maintenance window"
                }
            ),
            json!({
                "instance": i.map(instance_view),
                "deletion_protection": i.and_then(|i| i.deletion_protection()),
                "backup_days": i.and_then(|i| i.backup_retention_period()),
                "pending": pending,
                "applied_now": now,
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteInstance {
    pub instance_id: String,
    pub skip_final_snapshot: Option<bool>,
    pub final_snapshot_id: Option<String>,
}

impl Action for DeleteInstance {
    const NAME: &'static str = "delete_instance";
    const DESCRIPTION: &'static str = "Delete, final snapshot unless skipped";
    const ACCESS: Access = Access::Destructive;
    const RISK: Risk = Risk::Critical;

    fn validate(&self) -> Result<(), ToolError> {
        check_id("instance_id", &self.instance_id, 63)?;
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

    fn targets(&self) -> Vec<Target> {
        vec![instance(&self.instance_id)]
    }

    fn flags(&self) -> Vec<Flag> {
        skip_flag(self.skip_final_snapshot)
    }

    /// Reads the instance first: deletion protection refuses here, with what to do; an Aurora
    /// member has no final snapshot of its own (its cluster keeps the data). Waits (bounded)
    /// while a backup snapshot is being taken, then deletes.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let i = describe(&client, &self.instance_id).await?;
        if i.deletion_protection() == Some(true) {
            return Err(ToolError::Precondition {
                message: format!("{} has deletion protection on", self.instance_id),
                hint: "nothing was done; turn it off with modify_instance deletion_protection: \
                       false first (a separate, reviewed change)"
                    .into(),
                details: json!({"instance_id": self.instance_id, "deletion_protection": true}),
            });
        }
        let member = i.db_cluster_identifier().map(str::to_string);
        let skip = self.skip_final_snapshot == Some(true) || member.is_some();
        let final_id = (!skip).then(|| {
            self.final_snapshot_id
                .clone()
                .unwrap_or_else(|| stamped(&self.instance_id, "final"))
        });
        wait_while_backing_up(&client, &self.instance_id).await?;
        client
            .delete_db_instance()
            .db_instance_identifier(&self.instance_id)
            .skip_final_snapshot(skip)
            .set_final_db_snapshot_identifier(final_id.clone())
            .send()
            .await
            .map_err(rds_error)?;
        let kept = match (&final_id, &member) {
            (Some(s), _) => format!("its final snapshot is {s}"),
            (None, Some(c)) => format!("its data stays in cluster {c}"),
            (None, None) => "no final snapshot was kept".into(),
        };
        Ok(Output::new(
            format!("Deleting {}; {kept}.", self.instance_id),
            json!({"instance_id": self.instance_id, "final_snapshot_id": final_id,
                   "cluster_id": member}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartInstance {
    pub instance_id: String,
}

impl Action for StartInstance {
    const NAME: &'static str = "start_instance";
    const DESCRIPTION: &'static str = "Start a stopped instance";
    const ACCESS: Access = Access::Write;
    // Brings back what was stopped; it costs money again.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_id("instance_id", &self.instance_id, 63)
    }

    fn targets(&self) -> Vec<Target> {
        vec![instance(&self.instance_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let out = client
            .start_db_instance()
            .db_instance_identifier(&self.instance_id)
            .send()
            .await
            .map_err(rds_error)?;
        let status = out.db_instance().and_then(|i| i.db_instance_status());
        Ok(Output::new(
            format!("Starting {}.", self.instance_id),
            json!({"instance_id": self.instance_id, "status": status}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StopInstance {
    pub instance_id: String,
}

impl Action for StopInstance {
    const NAME: &'static str = "stop_instance";
    const DESCRIPTION: &'static str = "Stop (restarts after 7 days)";
    const ACCESS: Access = Access::Write;
    // The database stops answering.
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        check_id("instance_id", &self.instance_id, 63)
    }

    fn targets(&self) -> Vec<Target> {
        vec![instance(&self.instance_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let out = client
            .stop_db_instance()
            .db_instance_identifier(&self.instance_id)
            .send()
            .await
            .map_err(rds_error)?;
        let status = out.db_instance().and_then(|i| i.db_instance_status());
        Ok(Output::new(
            format!(
                "Stopping {}; RDS starts it again by itself after 7 days.",
                self.instance_id
            ),
            json!({"instance_id": self.instance_id, "status": status}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RebootInstance {
    pub instance_id: String,
    /// To the Multi-AZ standby
    pub failover: Option<bool>,
}

impl Action for RebootInstance {
    const NAME: &'static str = "reboot_instance";
    const DESCRIPTION: &'static str = "Reboot, optionally failing over";
    const ACCESS: Access = Access::Write;
    // Connections drop while it restarts.
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        check_id("instance_id", &self.instance_id, 63)
    }

    fn targets(&self) -> Vec<Target> {
        vec![instance(&self.instance_id)]
    }

    fn flags(&self) -> Vec<Flag> {
        if self.failover == Some(true) {
            vec![Flag::high(
                "fails over to the standby (the primary changes)",
            )]
        } else {
            Vec::new()
        }
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let failover = self.failover.unwrap_or(false);
        let out = client
            .reboot_db_instance()
            .db_instance_identifier(&self.instance_id)
            .set_force_failover(failover.then_some(true))
            .send()
            .await
            .map_err(rds_error)?;
        let status = out.db_instance().and_then(|i| i.db_instance_status());
        Ok(Output::new(
            format!(
                "Rebooting {}{}.",
                self.instance_id,
                if failover { " with failover" } else { "" }
            ),
            json!({"instance_id": self.instance_id, "status": status, "failover": failover}),
        ))
    }
}

/// One instance, or the RDS error that says why not.
pub async fn describe(
    client: &Client,
    id: &str,
) -> Result<aws_sdk_rds::types::DbInstance, ToolError> {
    let r = client
        .describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
        .map_err(rds_error)?;
    r.db_instances()
        .first()
        .cloned()
        .ok_or_else(|| ToolError::invalid(format!("no DB instance {id}; see list_instances")))
}

/// The flags of a create that turns off a default protection.
pub fn create_flags(
    encrypted: Option<bool>,
    deletion_protection: Option<bool>,
    backup_days: Option<i32>,
) -> Vec<Flag> {
    let mut flags = Vec::new();
    if encrypted == Some(false) {
        flags.push(Flag::high(
            "unencrypted storage (cannot be encrypted later)",
        ));
    }
    if deletion_protection == Some(false) {
        flags.push(Flag::high("without deletion protection"));
    }
    if backup_days == Some(0) {
        flags.push(Flag::high("without automated backups"));
    }
    flags
}

/// The flag of a delete without a final snapshot.
pub fn skip_flag(skip: Option<bool>) -> Vec<Flag> {
    if skip == Some(true) {
        vec![Flag::critical(
            "skips the final snapshot: the data cannot be restored",
        )]
    } else {
        Vec::new()
    }
}

pub fn check_storage(gb: Option<i32>) -> Result<(), ToolError> {
    match gb {
        Some(g) if !(20..=65_536).contains(&g) => {
            Err(ToolError::invalid("storage_gb must be 20 to 65536"))
        }
        _ => Ok(()),
    }
}

pub fn check_backup_days(days: Option<i32>) -> Result<(), ToolError> {
    match days {
        Some(d) if !(0..=35).contains(&d) => Err(ToolError::invalid("backup_days must be 0 to 35")),
        _ => Ok(()),
    }
}

/// Waits, up to two minutes, while the instance is taking a snapshot (a backup just made
/// before this call): RDS refuses to delete it meanwhile.
async fn wait_while_backing_up(client: &Client, id: &str) -> Result<(), ToolError> {
    for _ in 0..24 {
        let i = describe(client, id).await?;
        if i.db_instance_status() != Some("backing-up") {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    Err(ToolError::Precondition {
        message: format!("{id} is still taking a snapshot after two minutes"),
        hint: "nothing was deleted; call again once describe_instance shows it available".into(),
        details: json!({"instance_id": id, "status": "backing-up"}),
    })
}
