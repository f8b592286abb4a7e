//! DB snapshots: list, create, delete, copy (within a region or from another one, by ARN), and
//! restores into new instances, from a snapshot or to a point in time. Restored instances get
//! the same defaults as new ones: private, deletion-protected, the password managed by RDS.

use aws_sdk_rds::{Client, types::DbSnapshot};
use aws_smithy_types::{DateTime, date_time::Format};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    check_id, check_id_or_arn, create_error, instance, instance_view, once, rds_error, rds_tags,
    snapshot, tag_map,
};
use crate::{
    aws::{paging::PageRequest, time},
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Flag, Kind, Risk, Tags, Target},
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListSnapshots {
    /// Only this instance's
    pub instance_id: Option<String>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListSnapshots {
    const NAME: &'static str = "list_snapshots";
    const DESCRIPTION: &'static str = "Snapshots";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        self.instance_id.iter().map(|i| instance(i)).collect()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let resp = client
            .describe_db_snapshots()
            .set_db_instance_identifier(self.instance_id.clone())
            .max_records(page.aws_page_size(20, 100))
            .set_marker(page.aws_token.clone())
            .send()
            .await
            .map_err(rds_error)?;
        let (items, next) = page.finish(
            resp.db_snapshots().iter().map(snapshot_view).collect(),
            resp.marker().map(str::to_string),
        );
        Ok(Output::new(
            format!("{} snapshot(s).", items.len()),
            json!({"snapshots": items}),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSnapshot {
    pub instance_id: String,
    pub snapshot_id: String,
    pub tags: Option<Tags>,
}

impl Action for CreateSnapshot {
    const NAME: &'static str = "create_snapshot";
    const DESCRIPTION: &'static str = "Manual snapshot of an instance";
    const ACCESS: Access = Access::Write;
    // A copy of the data; single-AZ instances pause I/O briefly while it starts.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_id("instance_id", &self.instance_id, 63)?;
        check_id("snapshot_id", &self.snapshot_id, 255)
    }

    fn targets(&self) -> Vec<Target> {
        vec![
            Target::created(Kind::DbSnapshot, &self.snapshot_id)
                .in_parent(instance(&self.instance_id)),
        ]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let out = client
            .create_db_snapshot()
            .db_instance_identifier(&self.instance_id)
            .db_snapshot_identifier(&self.snapshot_id)
            .set_tags(rds_tags(&self.tags))
            .customize()
            .config_override(once())
            .send()
            .await
            .map_err(|e| {
                create_error(
                    e,
                    "CreateDBSnapshot",
                    &format!("snapshot {}", self.snapshot_id),
                    "list_snapshots",
                    json!({"instance_id": self.instance_id}),
                )
            })?;
        let view = out.db_snapshot().map(snapshot_view);
        Ok(Output::new(
            format!(
                "Taking snapshot {} of {}.",
                self.snapshot_id, self.instance_id
            ),
            json!({"snapshot": view}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteSnapshot {
    pub snapshot_id: String,
}

impl Action for DeleteSnapshot {
    const NAME: &'static str = "delete_snapshot";
    const DESCRIPTION: &'static str = "Delete a manual snapshot";
    const ACCESS: Access = Access::Destructive;
    // The data it holds cannot be restored afterwards.
    const RISK: Risk = Risk::Critical;

    fn validate(&self) -> Result<(), ToolError> {
        check_id("snapshot_id", &self.snapshot_id, 255)
    }

    /// The snapshot; its instance's tags are read with it (guardrails::tags).
    fn targets(&self) -> Vec<Target> {
        vec![snapshot(&self.snapshot_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let out = client
            .delete_db_snapshot()
            .db_snapshot_identifier(&self.snapshot_id)
            .send()
            .await
            .map_err(rds_error)?;
        let from = out
            .db_snapshot()
            .and_then(|s| s.db_instance_identifier())
            .map(str::to_string);
        Ok(Output::new(
            format!("Deleted snapshot {}.", self.snapshot_id),
            json!({"snapshot_id": self.snapshot_id, "instance_id": from}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CopySnapshot {
    /// Source id, or its ARN to copy from another region into this one
    pub snapshot_id: String,
    pub target_snapshot_id: String,
    /// For encrypted cross-region copies
    pub kms_key_id: Option<String>,
    pub tags: Option<Tags>,
}

impl Action for CopySnapshot {
    const NAME: &'static str = "copy_snapshot";
    const DESCRIPTION: &'static str = "Copy, also from another region";
    const ACCESS: Access = Access::Write;
    // A new copy; the source is untouched.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_id_or_arn("snapshot_id", &self.snapshot_id, "snapshot")?;
        check_id("target_snapshot_id", &self.target_snapshot_id, 255)
    }

    /// The copy lives in the source's environment: the source (and its instance) is read in
    /// its own region when given by ARN.
    fn targets(&self) -> Vec<Target> {
        vec![
            Target::created(Kind::DbSnapshot, &self.target_snapshot_id)
                .in_parent(snapshot(&self.snapshot_id)),
        ]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let out = client
            .copy_db_snapshot()
            .source_db_snapshot_identifier(&self.snapshot_id)
            .target_db_snapshot_identifier(&self.target_snapshot_id)
            .set_kms_key_id(self.kms_key_id.clone())
            .set_tags(rds_tags(&self.tags))
            .set_copy_tags(self.tags.is_none().then_some(true))
            .customize()
            .config_override(once())
            .send()
            .await
            .map_err(|e| {
                create_error(
                    e,
                    "CopyDBSnapshot",
                    &format!("snapshot {}", self.target_snapshot_id),
                    "list_snapshots",
                    json!({}),
                )
            })?;
        Ok(Output::new(
            format!(
                "Copying {} to {}.",
                self.snapshot_id, self.target_snapshot_id
            ),
            json!({"snapshot": out.db_snapshot().map(snapshot_view)}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreFromSnapshot {
    pub snapshot_id: String,
    /// The new instance
    pub instance_id: String,
    pub class: Option<String>,
    pub subnet_group: Option<String>,
    pub multi_az: Option<bool>,
    pub security_group_ids: Option<Vec<String>>,
    pub deletion_protection: Option<bool>,
    pub tags: Option<Tags>,
}

impl Action for RestoreFromSnapshot {
    const NAME: &'static str = "restore_from_snapshot";
    const DESCRIPTION: &'static str = "New instance from a snapshot";
    const ACCESS: Access = Access::Write;
    // A new instance; the snapshot is untouched.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_id_or_arn("snapshot_id", &self.snapshot_id, "snapshot")?;
        check_id("instance_id", &self.instance_id, 63)
    }

    /// The new instance holds the snapshot's data: it is in the snapshot's environment.
    fn targets(&self) -> Vec<Target> {
        vec![
            Target::created(Kind::DbInstance, &self.instance_id)
                .in_parent(snapshot(&self.snapshot_id)),
        ]
    }

    fn flags(&self) -> Vec<Flag> {
        super::instances::create_flags(None, self.deletion_protection, None)
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let out = client
            .restore_db_instance_from_db_snapshot()
            .db_snapshot_identifier(&self.snapshot_id)
            .db_instance_identifier(&self.instance_id)
            .set_db_instance_class(self.class.clone())
            .set_db_subnet_group_name(self.subnet_group.clone())
            .set_multi_az(self.multi_az)
            .set_vpc_security_group_ids(self.security_group_ids.clone())
            .deletion_protection(self.deletion_protection.unwrap_or(true))
            .publicly_accessible(false)
            .copy_tags_to_snapshot(true)
            .manage_master_user_password(true)
            .set_tags(rds_tags(&self.tags))
            .customize()
            .config_override(once())
            .send()
            .await
            .map_err(|e| {
                create_error(
                    e,
                    "RestoreDBInstanceFromDBSnapshot",
                    &format!("instance {}", self.instance_id),
                    "describe_instance",
                    json!({"instance_id": self.instance_id}),
                )
            })?;
        Ok(Output::new(
            format!(
                "Restoring {} into new instance {} (private, deletion protection {}).",
                self.snapshot_id,
                self.instance_id,
                self.deletion_protection.unwrap_or(true)
            ),
            json!({"instance": out.db_instance().map(instance_view)}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreToPointInTime {
    pub source_instance_id: String,
    /// The new instance
    pub instance_id: String,
    /// RFC 3339; default latest
    pub restore_time: Option<String>,
    pub class: Option<String>,
    pub subnet_group: Option<String>,
    pub multi_az: Option<bool>,
    pub security_group_ids: Option<Vec<String>>,
    pub deletion_protection: Option<bool>,
    pub tags: Option<Tags>,
}

impl Action for RestoreToPointInTime {
    const NAME: &'static str = "restore_to_point_in_time";
    const DESCRIPTION: &'static str = "New instance as of a time";
    const ACCESS: Access = Access::Write;
    // A new instance; the source is untouched.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_id("source_instance_id", &self.source_instance_id, 63)?;
        check_id("instance_id", &self.instance_id, 63)?;
        if let Some(t) = &self.restore_time {
            parse_time(t)?;
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![
            Target::created(Kind::DbInstance, &self.instance_id)
                .in_parent(instance(&self.source_instance_id)),
        ]
    }

    fn flags(&self) -> Vec<Flag> {
        super::instances::create_flags(None, self.deletion_protection, None)
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let when = self.restore_time.as_deref().map(parse_time).transpose()?;
        let out = client
            .restore_db_instance_to_point_in_time()
            .source_db_instance_identifier(&self.source_instance_id)
            .target_db_instance_identifier(&self.instance_id)
            .set_restore_time(when)
            .set_use_latest_restorable_time(when.is_none().then_some(true))
            .set_db_instance_class(self.class.clone())
            .set_db_subnet_group_name(self.subnet_group.clone())
            .set_multi_az(self.multi_az)
            .set_vpc_security_group_ids(self.security_group_ids.clone())
            .deletion_protection(self.deletion_protection.unwrap_or(true))
            .publicly_accessible(false)
            .copy_tags_to_snapshot(true)
            .manage_master_user_password(true)
            .set_tags(rds_tags(&self.tags))
            .customize()
            .config_override(once())
            .send()
            .await
            .map_err(|e| {
                create_error(
                    e,
                    "RestoreDBInstanceToPointInTime",
                    &format!("instance {}", self.instance_id),
                    "describe_instance",
                    json!({"instance_id": self.instance_id}),
                )
            })?;
        let at = self
            .restore_time
            .clone()
            .unwrap_or_else(|| "the latest restorable time".into());
        Ok(Output::new(
            format!(
                "Restoring {} as of {at} into new instance {}.",
                self.source_instance_id, self.instance_id
            ),
            json!({"instance": out.db_instance().map(instance_view), "restore_time": self.restore_time}),
        ))
    }
}

fn parse_time(t: &str) -> Result<DateTime, ToolError> {
    DateTime::from_str(t, Format::DateTime).map_err(|_| {
        ToolError::invalid(format!(
            "restore_time '{t}' is not RFC 3339, e.g. 2026-01-31T23:45:00Z"
        ))
    })
}

pub fn snapshot_view(s: &DbSnapshot) -> Value {
    json!({
        "snapshot_id": s.db_snapshot_identifier(),
        "instance_id": s.db_instance_identifier(),
        "status": s.status(),
        "type": s.snapshot_type(),
        "created": s.snapshot_create_time().map(time),
        "engine": s.engine(),
        "storage_gb": s.allocated_storage(),
        "encrypted": s.encrypted(),
        "arn": s.db_snapshot_arn(),
        "tags": tag_map(s.tag_list()),
    })
}
