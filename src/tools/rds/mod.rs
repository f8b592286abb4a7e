//! `aws_rds`: DB instances (`instances.rs`), snapshots and restores (`snapshots.rs`), read
//! replicas and Aurora clusters (`clusters.rs`), subnet and parameter groups (`groups.rs`).
//!
//! Environment: every RDS resource is named by identifier (or ARN) and its tags are read with
//! ListTagsForResource on its ARN, together with the tags of what speaks for it (a member's
//! cluster, a cluster's members, a replica's source, a snapshot's instance, a parameter
//! group's instances; see `guardrails::tags`). So a production database reached through its
//! snapshot, replica or cluster is still production.
//!
//! Secrets: no action takes or shows a password. New instances and clusters get
//! `ManageMasterUserPassword`, so RDS keeps the password in Secrets Manager; results show the
//! secret's ARN only.
//!
//! Creates: RDS takes no idempotency token, but every create here names its resource, so a
//! create is sent once ([`once`]) and a lost answer is an unknown outcome with the describe
//! call that tells. RDS has no dry-run mode: every action keeps the plan-only dry run.

pub mod clusters;
pub mod groups;
pub mod instances;
pub mod snapshots;

use aws_sdk_rds::types::Tag;
use serde_json::json;

use crate::{
    aws::outcome::{Check, OnceSent, sent_once},
    error::ToolError,
    registry::{ActionDef, Kind, Tags, Target, Tool},
};

pub static TOOL: Tool = Tool {
    name: "aws_rds",
    toolset: "rds",
    about: "RDS instances, snapshots, restores, replicas, Aurora clusters, subnet and parameter \
            groups.",
    actions: &[
        ActionDef::of::<instances::ListInstances>(),
        ActionDef::of::<instances::DescribeInstance>(),
        ActionDef::of::<instances::CreateInstance>(),
        ActionDef::of::<instances::ModifyInstance>(),
        ActionDef::of::<instances::DeleteInstance>(),
        ActionDef::of::<instances::StartInstance>(),
        ActionDef::of::<instances::StopInstance>(),
        ActionDef::of::<instances::RebootInstance>(),
        ActionDef::of::<snapshots::ListSnapshots>(),
        ActionDef::of::<snapshots::CreateSnapshot>(),
        ActionDef::of::<snapshots::DeleteSnapshot>(),
        ActionDef::of::<snapshots::CopySnapshot>(),
        ActionDef::of::<snapshots::RestoreFromSnapshot>(),
        ActionDef::of::<snapshots::RestoreToPointInTime>(),
        ActionDef::of::<clusters::CreateReadReplica>(),
        ActionDef::of::<clusters::PromoteReadReplica>(),
        ActionDef::of::<clusters::FailoverCluster>(),
        ActionDef::of::<groups::ListSubnetGroups>(),
        ActionDef::of::<groups::CreateSubnetGroup>(),
        ActionDef::of::<groups::ListParameterGroups>(),
        ActionDef::of::<groups::CreateParameterGroup>(),
        ActionDef::of::<groups::ModifyParameterGroup>(),
        ActionDef::of::<clusters::ListClusters>(),
        ActionDef::of::<clusters::CreateCluster>(),
        ActionDef::of::<clusters::DeleteCluster>(),
    ],
};

pub fn instance(id: &str) -> Target {
    Target::new(Kind::DbInstance, id)
}

pub fn snapshot(id: &str) -> Target {
    Target::new(Kind::DbSnapshot, id)
}

pub fn cluster(id: &str) -> Target {
    Target::new(Kind::DbCluster, id)
}

/// An RDS identifier (instance, cluster, snapshot, group): 1 to `max` letters, digits and
/// hyphens, starting with a letter, without a trailing or doubled hyphen.
pub fn check_id(field: &str, id: &str, max: usize) -> Result<(), ToolError> {
    let ok = id.len() <= max
        && id.starts_with(|c: char| c.is_ascii_alphabetic())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !id.ends_with('-')
        && !id.contains("--");
    if ok {
        Ok(())
    } else {
        Err(ToolError::invalid(format!(
            "{field} '{}' is not an RDS identifier: 1-{max} letters, digits and hyphens, starting \
             with a letter, no trailing or double hyphen",
            id.chars().take(80).collect::<String>()
        )))
    }
}

/// An identifier, or the ARN of an RDS resource of type `kind` (`db`, `snapshot`).
pub fn check_id_or_arn(field: &str, id: &str, kind: &str) -> Result<(), ToolError> {
    if id.starts_with("arn:") {
        let parts: Vec<&str> = id.split(':').collect();
        if parts.len() == 7 && parts[2] == "rds" && parts[5] == kind && !parts[3].is_empty() {
            return check_id(field, parts[6], 255);
        }
        return Err(ToolError::invalid(format!(
            "{field} must be an identifier or an ARN like arn:aws:rds:REGION:ACCOUNT:{kind}:NAME"
        )));
    }
    check_id(field, id, 255)
}

/// Tags as RDS takes them.
pub fn rds_tags(tags: &Option<Tags>) -> Option<Vec<Tag>> {
    tags.as_ref().filter(|t| !t.is_empty()).map(|t| {
        t.iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect()
    })
}

/// Tags as the results show them.
pub fn tag_map(tags: &[Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

/// The config override of a create: sent once, retried only when RDS refused it unrun.
pub fn once() -> aws_sdk_rds::config::Builder {
    aws_sdk_rds::config::Builder::default().retry_classifier(OnceSent)
}

/// The error of a create sent with [`once`]: a lost answer names the read that tells.
pub fn create_error<E>(
    err: aws_sdk_rds::error::SdkError<
        E,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
    operation: &str,
    what: &str,
    action: &'static str,
    arguments: serde_json::Value,
) -> ToolError
where
    E: aws_sdk_rds::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    let look_for = what.to_string();
    sent_once(err, rds_error, operation, what, || Check {
        tool: "aws_rds",
        action,
        arguments,
        look_for,
    })
}

/// What RDS answers, mapped like [`ToolError::from_sdk`] with hints for RDS's own codes.
pub fn rds_error<E, R>(err: aws_sdk_rds::error::SdkError<E, R>) -> ToolError
where
    E: aws_sdk_rds::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let mut e = ToolError::from_sdk(err);
    if let ToolError::Aws { code, hint, .. } = &mut e {
        let h = match code.as_str() {
            "DBInstanceNotFound" | "DBInstanceNotFoundFault" => {
                "check the instance_id with aws_rds list_instances (and the region)"
            }
            "DBSnapshotNotFound" | "DBSnapshotNotFoundFault" => {
                "check the snapshot_id with aws_rds list_snapshots (and the region)"
            }
            "DBClusterNotFoundFault" => "check the cluster_id with aws_rds list_clusters",
            "DBSubnetGroupNotFoundFault" => "check the name with aws_rds list_subnet_groups",
            "DBParameterGroupNotFound" => "check the name with aws_rds list_parameter_groups",
            "DBInstanceAlreadyExists"
            | "DBInstanceAlreadyExistsFault"
            | "DBSnapshotAlreadyExists"
            | "DBSnapshotAlreadyExistsFault"
            | "DBClusterAlreadyExistsFault"
            | "DBSubnetGroupAlreadyExists"
            | "DBSubnetGroupAlreadyExistsFault"
            | "DBParameterGroupAlreadyExists" => "the identifier is taken; pick another",
            "InvalidDBInstanceState" | "InvalidDBInstanceStateFault" => {
                "the instance is not in a state that allows this; see its status with \
                 describe_instance and retry when it is available"
            }
            "InvalidDBClusterStateFault" => {
                "the cluster is not in a state that allows this; see list_clusters"
            }
            "InvalidDBSnapshotState" | "InvalidDBSnapshotStateFault" => {
                "the snapshot is not available (still creating?); see list_snapshots"
            }
            "StorageQuotaExceeded" | "InstanceQuotaExceeded" | "SnapshotQuotaExceeded" => {
                "an RDS quota is reached; delete unused resources or request an increase"
            }
            "InsufficientDBInstanceCapacity" => {
                "the class is not available here; try another class or availability zone"
            }
            "DBSubnetGroupDoesNotCoverEnoughAZs" => {
                "the subnet group needs subnets in at least two availability zones"
            }
            "PointInTimeRestoreNotEnabled" | "PointInTimeRestoreNotEnabledFault" => {
                "the source keeps no automated backups (backup_days 0); set backup_days first"
            }
            _ => return e,
        };
        *hint = Some(h.to_string());
    }
    e
}

/// The DB instance's main facts, compact.
pub fn instance_view(i: &aws_sdk_rds::types::DbInstance) -> serde_json::Value {
    let endpoint = i
        .endpoint()
        .and_then(|e| Some(format!("{}:{}", e.address()?, e.port()?)));
    json!({
        "instance_id": i.db_instance_identifier(),
        "status": i.db_instance_status(),
        "engine": i.engine(),
        "engine_version": i.engine_version(),
        "class": i.db_instance_class(),
        "storage_gb": i.allocated_storage(),
        "multi_az": i.multi_az(),
        "endpoint": endpoint,
        "cluster_id": i.db_cluster_identifier(),
        "replica_of": i.read_replica_source_db_instance_identifier(),
        "tags": tag_map(i.tag_list()),
    })
}

/// A default snapshot name: `<id>-<what>-<UTC yyyymmddhhmmss>`.
pub fn stamped(id: &str, what: &str) -> String {
    let now = crate::aws::time(&aws_smithy_types::DateTime::from(
        std::time::SystemTime::now(),
    ));
    let digits: String = now.chars().filter(char::is_ascii_digit).take(14).collect();
    let base: String = id.chars().take(200).collect();
    format!("{base}-{what}-{digits}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_checked() {
        assert!(check_id("instance_id", "orders-db", 63).is_ok());
        for bad in ["1db", "db-", "a--b", "under_score", ""] {
            assert!(check_id("instance_id", bad, 63).is_err(), "{bad}");
        }
        assert!(
            check_id_or_arn(
                "snapshot_id",
                "arn:aws:rds:eu-west-1:123456789012:snapshot:s1",
                "snapshot"
            )
            .is_ok()
        );
        assert!(
            check_id_or_arn("snapshot_id", "arn:aws:rds:eu-west-1:1:db:x", "snapshot").is_err()
        );
        assert!(stamped("db", "final").starts_with("db-final-2"));
    }
}
