//! aws_rds against moto, checking what moto holds afterwards with a plain RDS client:
//! instances (the safe defaults of a create, modify, start/stop/reboot, delete with a final
//! snapshot), snapshots (create, copy, delete, restore), restore to a point in time, read
//! replicas and promotion, Aurora clusters (create with the first instance, failover, delete
//! with a final snapshot), subnet and parameter groups, read-only mode, a production delete
//! through approval with its final and pre-operation snapshots, and the guardrails against an
//! agent that reaches a production database sideways or while its tags cannot be read.

use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_rds::types::Tag;
use espada_aws::dispatch::Dispatcher;
use serde_json::{Value, json};

use crate::{
    faults::{Fault, proxy, via},
    harness::{Moto, REGION, call, confirmed_in, err_in, moto, ok_in, temp_state},
    people::{self, Person},
};
use espada_aws::guardrails::environment::Environment;

const RDS: &str = "aws_rds";

pub(crate) fn rds(m: &Moto) -> aws_sdk_rds::Client {
    aws_sdk_rds::Client::from_conf(
        aws_sdk_rds::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(&m.url)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .build(),
    )
}

async fn ok(d: &Dispatcher, args: Value) -> Value {
    ok_in(d, RDS, args).await
}

async fn err(d: &Dispatcher, args: Value) -> Value {
    err_in(d, RDS, args).await
}

async fn confirmed(d: &Dispatcher, args: Value) -> Value {
    confirmed_in(d, RDS, args).await
}

/// A postgres instance made straight through the SDK, tagged `Environment=env` when given.
pub(crate) async fn instance(m: &Moto, id: &str, env: Option<&str>) {
    rds(m)
        .create_db_instance()
        .db_instance_identifier(id)
        .engine("postgres")
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username("admin")
        .master_user_password("not-a-real-one")
        .set_tags(env.map(|e| vec![Tag::builder().key("Environment").value(e).build()]))
        .send()
        .await
        .unwrap();
}

async fn held(m: &Moto, id: &str) -> Option<aws_sdk_rds::types::DbInstance> {
    rds(m)
        .describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
        .ok()
        .and_then(|r| r.db_instances().first().cloned())
}

async fn snapshot_held(m: &Moto, id: &str) -> bool {
    rds(m)
        .describe_db_snapshots()
        .db_snapshot_identifier(id)
        .send()
        .await
        .is_ok_and(|r| !r.db_snapshots().is_empty())
}

#[tokio::test]
async fn create_instance_is_private_encrypted_protected_and_never_sees_a_password() {
    let m = moto().await;
    let d = m.dispatcher();
    // A password cannot even be given.
    let e = err(
        &d,
        json!({"action": "create_instance", "instance_id": "orders", "engine": "postgres",
               "class": "db.t3.micro", "master_user_password": "hunter22"}),
    )
    .await;
    assert_eq!(e["error"], "invalid_input", "{e}");
    // Aurora goes through create_cluster; bad identifiers are refused before AWS.
    let e = err(
        &d,
        json!({"action": "create_instance", "instance_id": "orders", "engine": "aurora-mysql",
               "class": "db.r6g.large"}),
    )
    .await;
    assert!(
        e["message"].as_str().unwrap().contains("create_cluster"),
        "{e}"
    );
    err(
        &d,
        json!({"action": "create_instance", "instance_id": "orders--db", "engine": "postgres",
               "class": "db.t3.micro"}),
    )
    .await;

    let out = ok(
        &d,
        json!({"action": "create_instance", "instance_id": "orders", "engine": "postgres",
               "class": "db.t3.micro", "multi_az": true, "storage_gb": 50,
               "tags": {"team": "orders"}}),
    )
    .await;
    let text = out.to_string().to_lowercase();
    assert!(
        !text.contains("not-a-real") && !text.contains("\"password\""),
        "{out}"
    );
    assert!(out["data"]["master_secret_arn"].is_string(), "{out}");
    let i = held(&m, "orders").await.expect("moto holds the instance");
    assert_eq!(i.storage_encrypted(), Some(true));
    assert_eq!(i.deletion_protection(), Some(true));
    assert_eq!(i.publicly_accessible(), Some(false));
    assert_eq!(i.multi_az(), Some(true));
    assert_eq!(i.allocated_storage(), Some(50));
    assert_eq!(i.backup_retention_period(), Some(7));
    assert_eq!(i.copy_tags_to_snapshot(), Some(true));
    assert!(
        i.master_user_secret()
            .and_then(|s| s.secret_arn())
            .is_some(),
        "the password is managed by RDS in Secrets Manager"
    );
    assert!(i.tag_list().iter().any(|t| t.key() == Some("team")));

    // Turning a default protection off is flagged, so it needs a confirmation.
    let plan = ok(
        &d,
        json!({"action": "create_instance", "instance_id": "plain", "engine": "postgres",
               "class": "db.t3.micro", "encrypted": false}),
    )
    .await;
    assert_eq!(plan["status"], "confirmation_required", "{plan}");
    assert!(held(&m, "plain").await.is_none());

    let described = ok(
        &d,
        json!({"action": "describe_instance", "instance_id": "orders"}),
    )
    .await;
    assert_eq!(described["data"]["encrypted"], true, "{described}");
    assert_eq!(described["data"]["backup_days"], 7);
    assert!(described["data"]["maintenance_window"].is_string());
    let listed = ok(&d, json!({"action": "list_instances"})).await;
    assert_eq!(listed["data"]["instances"][0]["instance_id"], "orders");
}

#[tokio::test]
async fn modify_start_stop_reboot_and_delete_with_a_final_snapshot() {
    let m = moto().await;
    let d = m.dispatcher();
    ok(
        &d,
        json!({"action": "create_instance", "instance_id": "app", "engine": "mysql",
               "class": "db.t3.micro"}),
    )
    .await;
    // In the maintenance window: no confirmation needed.
    let out = ok(
        &d,
        json!({"action": "modify_instance", "instance_id": "app", "backup_days": 14}),
    )
    .await;
    assert!(out.get("status").is_none(), "{out}");
    assert_eq!(
        held(&m, "app").await.unwrap().backup_retention_period(),
        Some(14)
    );
    // Applied now: high, so confirmed first.
    let plan = ok(
        &d,
        json!({"action": "modify_instance", "instance_id": "app", "class": "db.t3.small",
               "apply_now": true}),
    )
    .await;
    assert_eq!(plan["status"], "confirmation_required", "{plan}");
    assert_eq!(plan["plan"]["risk"], "high", "{plan}");
    assert_eq!(
        held(&m, "app").await.unwrap().db_instance_class(),
        Some("db.t3.micro")
    );
    confirmed(
        &d,
        json!({"action": "modify_instance", "instance_id": "app", "class": "db.t3.small",
               "apply_now": true}),
    )
    .await;
    assert_eq!(
        held(&m, "app").await.unwrap().db_instance_class(),
        Some("db.t3.small")
    );
    let e = err(
        &d,
        json!({"action": "modify_instance", "instance_id": "app"}),
    )
    .await;
    assert!(
        e["message"].as_str().unwrap().contains("needs a change"),
        "{e}"
    );

    confirmed(&d, json!({"action": "stop_instance", "instance_id": "app"})).await;
    assert_eq!(
        held(&m, "app").await.unwrap().db_instance_status(),
        Some("stopped")
    );
    ok(
        &d,
        json!({"action": "start_instance", "instance_id": "app"}),
    )
    .await;
    assert_eq!(
        held(&m, "app").await.unwrap().db_instance_status(),
        Some("available")
    );
    let out = confirmed(
        &d,
        json!({"action": "reboot_instance", "instance_id": "app", "failover": true}),
    )
    .await;
    assert_eq!(out["data"]["failover"], true, "{out}");

    // Deletion protection (on by default) stops the delete, with what to do.
    let e = crate::harness::try_confirmed_in(
        &d,
        RDS,
        json!({"action": "delete_instance", "instance_id": "app"}),
    )
    .await
    .unwrap_err();
    assert_eq!(e["error"], "precondition_failed", "{e}");
    assert!(
        e["hint"].as_str().unwrap().contains("deletion_protection"),
        "{e}"
    );
    assert!(held(&m, "app").await.is_some());
    confirmed(
        &d,
        json!({"action": "modify_instance", "instance_id": "app", "deletion_protection": false}),
    )
    .await;
    let out = confirmed(
        &d,
        json!({"action": "delete_instance", "instance_id": "app",
               "final_snapshot_id": "app-last"}),
    )
    .await;
    assert_eq!(out["data"]["final_snapshot_id"], "app-last", "{out}");
    assert!(held(&m, "app").await.is_none(), "the instance is gone");
    assert!(
        snapshot_held(&m, "app-last").await,
        "the final snapshot exists"
    );
}

#[tokio::test]
async fn skipping_the_final_snapshot_is_flagged_critical() {
    let m = moto().await;
    let d = m.dispatcher();
    instance(&m, "scratch", Some("development")).await;
    let plan = ok(
        &d,
        json!({"action": "delete_instance", "instance_id": "scratch",
               "skip_final_snapshot": true}),
    )
    .await;
    // Critical anywhere approval is set (development has none): a confirmation names the flag.
    assert_eq!(plan["plan"]["risk"], "critical", "{plan}");
    assert!(
        plan.to_string().contains("skips the final snapshot"),
        "{plan}"
    );
    let out = confirmed(
        &d,
        json!({"action": "delete_instance", "instance_id": "scratch",
               "skip_final_snapshot": true}),
    )
    .await;
    assert_eq!(out["data"]["final_snapshot_id"], Value::Null);
    assert!(held(&m, "scratch").await.is_none());
    let snaps = rds(&m).describe_db_snapshots().send().await.unwrap();
    assert!(
        snaps
            .db_snapshots()
            .iter()
            .all(|s| s.snapshot_type() != Some("manual")),
        "no final snapshot"
    );
}

#[tokio::test]
async fn snapshots_create_copy_restore_and_delete() {
    let m = moto().await;
    let d = m.dispatcher();
    instance(&m, "shop", None).await;
    ok(
        &d,
        json!({"action": "create_snapshot", "instance_id": "shop", "snapshot_id": "shop-1",
               "tags": {"purpose": "test"}}),
    )
    .await;
    assert!(snapshot_held(&m, "shop-1").await);
    let listed = ok(
        &d,
        json!({"action": "list_snapshots", "instance_id": "shop"}),
    )
    .await;
    assert!(
        listed["data"]["snapshots"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["snapshot_id"] == "shop-1"),
        "{listed}"
    );
    ok(
        &d,
        json!({"action": "copy_snapshot", "snapshot_id": "shop-1",
               "target_snapshot_id": "shop-1-copy"}),
    )
    .await;
    assert!(snapshot_held(&m, "shop-1-copy").await);
    // Copying by ARN (the form a copy from another region takes).
    let arn = format!("arn:aws:rds:{REGION}:123456789012:snapshot:shop-1");
    ok(
        &d,
        json!({"action": "copy_snapshot", "snapshot_id": arn, "target_snapshot_id": "shop-1-arn"}),
    )
    .await;
    assert!(snapshot_held(&m, "shop-1-arn").await);
    err(
        &d,
        json!({"action": "copy_snapshot", "snapshot_id": "arn:aws:s3:::bucket",
               "target_snapshot_id": "x"}),
    )
    .await;

    let out = ok(
        &d,
        json!({"action": "restore_from_snapshot", "snapshot_id": "shop-1",
               "instance_id": "shop-restored", "class": "db.t3.small"}),
    )
    .await;
    assert!(
        out["summary"].as_str().unwrap().contains("shop-restored"),
        "{out}"
    );
    let r = held(&m, "shop-restored").await.expect("restored instance");
    assert_eq!(r.db_instance_class(), Some("db.t3.small"));
    assert_eq!(r.deletion_protection(), Some(true));

    confirmed(
        &d,
        json!({"action": "delete_snapshot", "snapshot_id": "shop-1-copy"}),
    )
    .await;
    assert!(!snapshot_held(&m, "shop-1-copy").await);
    assert!(
        snapshot_held(&m, "shop-1").await,
        "only the named snapshot went"
    );
}

#[tokio::test]
async fn restore_to_point_in_time_makes_a_new_instance() {
    let m = moto().await;
    let d = m.dispatcher();
    instance(&m, "ledger", None).await;
    err(
        &d,
        json!({"action": "restore_to_point_in_time", "source_instance_id": "ledger",
               "instance_id": "ledger-then", "restore_time": "yesterday"}),
    )
    .await;
    let out = ok(
        &d,
        json!({"action": "restore_to_point_in_time", "source_instance_id": "ledger",
               "instance_id": "ledger-then"}),
    )
    .await;
    assert!(
        out["summary"]
            .as_str()
            .unwrap()
            .contains("latest restorable time"),
        "{out}"
    );
    let r = held(&m, "ledger-then").await.expect("restored instance");
    assert_eq!(r.engine(), Some("postgres"));
    assert_eq!(r.deletion_protection(), Some(true));
    ok(
        &d,
        json!({"action": "restore_to_point_in_time", "source_instance_id": "ledger",
               "instance_id": "ledger-noon", "restore_time": "2026-01-31T12:00:00Z"}),
    )
    .await;
    assert!(held(&m, "ledger-noon").await.is_some());
    assert!(
        held(&m, "ledger").await.is_some(),
        "the source is untouched"
    );
}

#[tokio::test]
async fn read_replica_then_promote() {
    let m = moto().await;
    let d = m.dispatcher();
    instance(&m, "main", None).await;
    ok(
        &d,
        json!({"action": "create_read_replica", "source_instance_id": "main",
               "instance_id": "main-ro"}),
    )
    .await;
    let r = held(&m, "main-ro").await.expect("replica");
    assert_eq!(r.read_replica_source_db_instance_identifier(), Some("main"));
    // Only replicas can be promoted.
    let e = crate::harness::try_confirmed_in(
        &d,
        RDS,
        json!({"action": "promote_read_replica", "instance_id": "main"}),
    )
    .await
    .unwrap_err();
    assert_eq!(e["error"], "precondition_failed", "{e}");
    let plan = ok(
        &d,
        json!({"action": "promote_read_replica", "instance_id": "main-ro"}),
    )
    .await;
    assert_eq!(plan["plan"]["risk"], "high", "{plan}");
    confirmed(
        &d,
        json!({"action": "promote_read_replica", "instance_id": "main-ro", "backup_days": 5}),
    )
    .await;
    // moto 5.2 keeps ReadReplicaSourceDBInstanceIdentifier after a promotion; what it does
    // apply is the promotion's backup retention, which it takes only from a replica.
    let r = held(&m, "main-ro").await.unwrap();
    assert_eq!(r.backup_retention_period(), Some(5));
    assert_eq!(
        held(&m, "main").await.unwrap().backup_retention_period(),
        Some(1)
    );
}

#[tokio::test]
async fn clusters_create_with_first_instance_fail_over_and_delete_with_final_snapshot() {
    let m = moto().await;
    let d = m.dispatcher();
    err(
        &d,
        json!({"action": "create_cluster", "cluster_id": "c", "engine": "postgres",
               "class": "db.r6g.large"}),
    )
    .await;
    let out = ok(
        &d,
        json!({"action": "create_cluster", "cluster_id": "orders", "engine": "aurora-postgresql",
               "class": "db.r6g.large", "tags": {"team": "orders"}}),
    )
    .await;
    assert!(
        !out.to_string().to_lowercase().contains("\"password\""),
        "{out}"
    );
    let c = rds(&m)
        .describe_db_clusters()
        .db_cluster_identifier("orders")
        .send()
        .await
        .unwrap()
        .db_clusters()[0]
        .clone();
    assert_eq!(c.storage_encrypted(), Some(true));
    assert_eq!(c.deletion_protection(), Some(true));
    assert!(c.master_user_secret().is_some());
    let members: Vec<&str> = c
        .db_cluster_members()
        .iter()
        .filter_map(|m| m.db_instance_identifier())
        .collect();
    assert_eq!(members, vec!["orders-1"]);
    let listed = ok(&d, json!({"action": "list_clusters"})).await;
    assert_eq!(listed["data"]["clusters"][0]["members"][0]["writer"], true);

    // A second instance, then fail over to it.
    rds(&m)
        .create_db_instance()
        .db_instance_identifier("orders-2")
        .db_cluster_identifier("orders")
        .engine("aurora-postgresql")
        .db_instance_class("db.r6g.large")
        .send()
        .await
        .unwrap();
    let out = confirmed(
        &d,
        json!({"action": "failover_cluster", "cluster_id": "orders", "instance_id": "orders-2"}),
    )
    .await;
    assert_eq!(out["data"]["writer"], "orders-2", "{out}");

    // Protected: refused with what to do, nothing deleted.
    let e = crate::harness::try_confirmed_in(
        &d,
        RDS,
        json!({"action": "delete_cluster", "cluster_id": "orders"}),
    )
    .await
    .unwrap_err();
    assert_eq!(e["error"], "precondition_failed", "{e}");
    assert!(held(&m, "orders-1").await.is_some());
    rds(&m)
        .modify_db_cluster()
        .db_cluster_identifier("orders")
        .deletion_protection(false)
        .send()
        .await
        .unwrap();
    let out = confirmed(
        &d,
        json!({"action": "delete_cluster", "cluster_id": "orders",
               "final_snapshot_id": "orders-last"}),
    )
    .await;
    assert_eq!(
        out["data"]["instances"].as_array().unwrap().len(),
        2,
        "{out}"
    );
    assert!(held(&m, "orders-1").await.is_none() && held(&m, "orders-2").await.is_none());
    assert!(
        rds(&m)
            .describe_db_clusters()
            .db_cluster_identifier("orders")
            .send()
            .await
            .is_err(),
        "the cluster is gone"
    );
    let snaps = rds(&m)
        .describe_db_cluster_snapshots()
        .db_cluster_snapshot_identifier("orders-last")
        .send()
        .await
        .unwrap();
    assert_eq!(
        snaps.db_cluster_snapshots().len(),
        1,
        "the final snapshot exists"
    );
}

#[tokio::test]
async fn subnet_and_parameter_groups() {
    let m = moto().await;
    let d = m.dispatcher();
    let ec2 = m.ec2();
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.8.0.0/16")
        .send()
        .await
        .unwrap()
        .vpc()
        .unwrap()
        .vpc_id()
        .unwrap()
        .to_string();
    let mut subnets = Vec::new();
    for (i, az) in ["us-east-1a", "us-east-1b"].iter().enumerate() {
        let s = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(format!("10.8.{i}.0/24"))
            .availability_zone(*az)
            .send()
            .await
            .unwrap();
        subnets.push(s.subnet().unwrap().subnet_id().unwrap().to_string());
    }
    err(
        &d,
        json!({"action": "create_subnet_group", "name": "private", "subnet_ids": [subnets[0]]}),
    )
    .await;
    ok(
        &d,
        json!({"action": "create_subnet_group", "name": "private", "subnet_ids": subnets,
               "description": "private subnets"}),
    )
    .await;
    let g = rds(&m)
        .describe_db_subnet_groups()
        .db_subnet_group_name("private")
        .send()
        .await
        .unwrap()
        .db_subnet_groups()[0]
        .clone();
    assert_eq!(g.vpc_id(), Some(vpc.as_str()));
    assert_eq!(g.subnets().len(), 2);
    let listed = ok(&d, json!({"action": "list_subnet_groups"})).await;
    assert!(listed.to_string().contains("private"), "{listed}");

    ok(
        &d,
        json!({"action": "create_parameter_group", "name": "orders-pg", "family": "postgres16"}),
    )
    .await;
    let listed = ok(&d, json!({"action": "list_parameter_groups"})).await;
    assert!(listed.to_string().contains("orders-pg"), "{listed}");
    let plan = ok(
        &d,
        json!({"action": "modify_parameter_group", "name": "orders-pg",
               "parameters": {"max_connections": "250"}}),
    )
    .await;
    assert_eq!(plan["status"], "confirmation_required", "{plan}");
    let out = confirmed(
        &d,
        json!({"action": "modify_parameter_group", "name": "orders-pg",
               "parameters": {"max_connections": "250"}}),
    )
    .await;
    assert_eq!(out["data"]["apply_method"], "pending-reboot", "{out}");
    let params = rds(&m)
        .describe_db_parameters()
        .db_parameter_group_name("orders-pg")
        .send()
        .await
        .unwrap();
    assert!(
        params
            .parameters()
            .iter()
            .any(|p| p.parameter_name() == Some("max_connections")
                && p.parameter_value() == Some("250")),
        "{:?}",
        params.parameters()
    );
    err(
        &d,
        json!({"action": "modify_parameter_group", "name": "default.postgres16",
               "parameters": {"max_connections": "1"}}),
    )
    .await;
}

#[tokio::test]
async fn read_only_mode_exposes_only_the_reads() {
    let m = moto().await;
    instance(&m, "ro", None).await;
    let (d, reads) = crate::harness::read_only_reads(&m, RDS);
    assert!(reads.contains(&"describe_instance") && !reads.contains(&"delete_instance"));
    for args in [
        json!({"action": "delete_instance", "instance_id": "ro", "skip_final_snapshot": true}),
        json!({"action": "stop_instance", "instance_id": "ro"}),
    ] {
        let e = err(&d, args).await;
        assert_eq!(e["error"], "refused", "{e}");
    }
    assert_eq!(
        held(&m, "ro").await.unwrap().db_instance_status(),
        Some("available")
    );
    ok(
        &d,
        json!({"action": "describe_instance", "instance_id": "ro"}),
    )
    .await;
    ok(&d, json!({"action": "list_snapshots"})).await;
}

/// The test: a production database delete goes to approval and, once approved,
/// leaves a final snapshot and a recorded pre-operation snapshot.
#[tokio::test]
async fn a_production_database_delete_goes_to_approval_and_leaves_final_and_pre_operation_snapshots()
 {
    let m = moto().await;
    let state = temp_state();
    let d = m.strict_dispatcher(&state);
    instance(&m, "orders-prod", Some("production")).await;
    let cr = call(
        &d,
        "aws_guardrails",
        json!({"action": "create_change_request", "title": "retire orders-prod",
               "description": "moved to Aurora", "environment": "production",
               "rollback_plan": "restore the final snapshot"}),
    )
    .await
    .unwrap();
    let args = json!({"action": "delete_instance", "instance_id": "orders-prod",
                      "final_snapshot_id": "orders-prod-final",
                      "change_request_id": cr["data"]["id"]});
    let pending = ok(&d, args.clone()).await;
    assert_eq!(pending["status"], "pending_approval", "{pending}");
    assert_eq!(
        pending["evaluation"]["environment"], "production",
        "{pending}"
    );
    let req = pending["approval_request_id"].as_str().unwrap().to_string();
    assert!(
        held(&m, "orders-prod").await.is_some(),
        "nothing runs while pending"
    );

    let (alice, bob) = (Person::new("alice"), Person::new("bob"));
    people::approvers(&state, Environment::Production, &[&alice, &bob]);
    alice.approve(&state, &req);
    bob.approve(&state, &req);
    let mut approved = args.clone();
    approved["approval_request_id"] = json!(req);
    let done = ok(&d, approved).await;
    assert!(held(&m, "orders-prod").await.is_none(), "deleted: {done}");
    assert!(
        snapshot_held(&m, "orders-prod-final").await,
        "final snapshot: {done}"
    );
    let backups = done["backups"].as_array().expect("backups taken");
    assert_eq!(backups.len(), 1, "{done}");
    assert_eq!(backups[0]["kind"], "rds-snapshot");
    assert_eq!(backups[0]["resource_id"], "orders-prod");
    assert!(
        backups[0]["restore"]
            .as_str()
            .unwrap()
            .contains("restore_from_snapshot"),
        "{done}"
    );
    let pre = backups[0]["backup_id"].as_str().unwrap();
    assert!(
        snapshot_held(&m, pre).await,
        "pre-operation snapshot {pre} in moto"
    );
    let listed = call(
        &d,
        "aws_guardrails",
        json!({"action": "list_pre_operation_backups", "resource_id": "orders-prod"}),
    )
    .await
    .unwrap();
    assert_eq!(listed["data"]["backups"][0]["backup_id"], pre, "{listed}");
}

/// An agent cannot make a production database look like something else: its untagged
/// snapshot, its untagged cluster member, its untagged cluster (through a production member)
/// and its untagged read replica all resolve as production, even where untagged resources
/// count as development.
#[tokio::test]
async fn a_production_instance_reached_sideways_still_resolves_as_production() {
    let m = moto().await;
    let d = m.dispatcher();
    let client = rds(&m);
    let cr = call(
        &d,
        "aws_guardrails",
        json!({"action": "create_change_request", "title": "cleanup",
               "description": "cleanup", "environment": "production",
               "rollback_plan": "none"}),
    )
    .await
    .unwrap()["data"]["id"]
        .clone();
    // Production changes go to people; the call reports the environment it was judged in.
    let judged = |args: Value| {
        let (d, cr) = (&d, cr.clone());
        async move {
            let mut args = args;
            args["change_request_id"] = cr;
            let out = ok(d, args.clone()).await;
            assert_eq!(out["status"], "pending_approval", "{args}: {out}");
            assert_eq!(
                out["evaluation"]["environment"], "production",
                "{args}: {out}"
            );
        }
    };
    instance(&m, "prod-db", Some("production")).await;
    client
        .create_db_snapshot()
        .db_instance_identifier("prod-db")
        .db_snapshot_identifier("untagged-snap")
        .send()
        .await
        .unwrap();
    let snap = client
        .describe_db_snapshots()
        .db_snapshot_identifier("untagged-snap")
        .send()
        .await
        .unwrap();
    assert!(
        snap.db_snapshots()[0].tag_list().is_empty(),
        "the snapshot has no tags"
    );
    judged(json!({"action": "delete_snapshot", "snapshot_id": "untagged-snap"})).await;
    assert!(snapshot_held(&m, "untagged-snap").await);

    // A replica of the production database, its own tags removed.
    client
        .create_db_instance_read_replica()
        .db_instance_identifier("prod-ro")
        .source_db_instance_identifier("prod-db")
        .send()
        .await
        .unwrap();
    let replica_arn = held(&m, "prod-ro")
        .await
        .unwrap()
        .db_instance_arn()
        .unwrap()
        .to_string();
    client
        .remove_tags_from_resource()
        .resource_name(&replica_arn)
        .tag_keys("Environment")
        .send()
        .await
        .unwrap();
    let left = client
        .list_tags_for_resource()
        .resource_name(&replica_arn)
        .send()
        .await
        .unwrap();
    assert!(left.tag_list().is_empty(), "{left:?}");
    judged(json!({"action": "promote_read_replica", "instance_id": "prod-ro"})).await;

    // A production cluster with an untagged member, and an untagged cluster with a production
    // member.
    for (cluster, cluster_env, member_env) in [
        ("prod-cluster", Some("production"), None),
        ("quiet-cluster", None, Some("production")),
    ] {
        client
            .create_db_cluster()
            .db_cluster_identifier(cluster)
            .engine("aurora-postgresql")
            .master_username("admin")
            .manage_master_user_password(true)
            .set_tags(cluster_env.map(|e| vec![Tag::builder().key("Environment").value(e).build()]))
            .send()
            .await
            .unwrap();
        client
            .create_db_instance()
            .db_instance_identifier(format!("{cluster}-1"))
            .db_cluster_identifier(cluster)
            .engine("aurora-postgresql")
            .db_instance_class("db.r6g.large")
            .set_tags(member_env.map(|e| vec![Tag::builder().key("Environment").value(e).build()]))
            .send()
            .await
            .unwrap();
    }
    judged(json!({"action": "reboot_instance", "instance_id": "prod-cluster-1"})).await;
    judged(json!({"action": "failover_cluster", "cluster_id": "quiet-cluster"})).await;
    judged(
        json!({"action": "delete_cluster", "cluster_id": "quiet-cluster",
                  "skip_final_snapshot": true}),
    )
    .await;
    assert!(held(&m, "quiet-cluster-1").await.is_some());
    assert!(held(&m, "prod-cluster-1").await.is_some());

    // A restore of the production snapshot holds production data: its new instance is too.
    let out = ok(
        &d,
        json!({"action": "restore_from_snapshot", "snapshot_id": "untagged-snap",
               "instance_id": "copy-of-prod", "dry_run": true}),
    )
    .await;
    assert_eq!(
        out["guardrails"]["evaluation"]["environment"], "production",
        "{out}"
    );
    // And a call that re-tags the snapshot as development is judged in the stricter of both.
    let out = ok(
        &d,
        json!({"action": "copy_snapshot", "snapshot_id": "untagged-snap",
               "target_snapshot_id": "laundered", "tags": {"Environment": "development"},
               "dry_run": true}),
    )
    .await;
    assert_eq!(
        out["guardrails"]["evaluation"]["environment"], "production",
        "{out}"
    );
}

/// A tag read that fails (throttled, denied) refuses the mutating call, even where untagged
/// resources count as development; nothing is sent but reads.
#[tokio::test]
async fn a_failed_tag_lookup_refuses_the_mutating_call() {
    let m = moto().await;
    instance(&m, "dev-db", Some("development")).await;
    rds(&m)
        .create_db_snapshot()
        .db_instance_identifier("dev-db")
        .db_snapshot_identifier("dev-snap")
        .send()
        .await
        .unwrap();
    for fault in [Fault::Throttle, Fault::Deny] {
        let p = proxy(&m).await;
        p.fault("ListTagsForResource", fault);
        let d = via(&m, &p, 2, false);
        for args in [
            json!({"action": "stop_instance", "instance_id": "dev-db"}),
            json!({"action": "delete_snapshot", "snapshot_id": "dev-snap"}),
            json!({"action": "modify_instance", "instance_id": "dev-db", "backup_days": 3}),
        ] {
            let e = call(&d, RDS, args.clone()).await.unwrap_err();
            assert_eq!(e["error"], "refused", "{fault:?} {args}: {e}");
            assert!(
                e["message"].as_str().unwrap().contains("could not be read"),
                "{e}"
            );
        }
        let writes: Vec<String> = p
            .seen()
            .into_iter()
            .filter(|s| !espada_aws::aws::guard::is_read_operation(&s.operation))
            .map(|s| s.operation)
            .collect();
        assert!(writes.is_empty(), "{fault:?}: {writes:?}");
        assert!(!p.seen_op("ListTagsForResource").is_empty());
        // Once the tags can be read, the development database is judged as such.
        p.clear();
        let plan = ok(
            &d,
            json!({"action": "stop_instance", "instance_id": "dev-db"}),
        )
        .await;
        assert_eq!(plan["status"], "confirmation_required", "{plan}");
    }
    let i = held(&m, "dev-db").await.unwrap();
    assert_eq!(i.db_instance_status(), Some("available"));
    assert_eq!(i.backup_retention_period(), Some(1));
    assert!(snapshot_held(&m, "dev-snap").await);
}

/// A create whose answer is lost is sent once (RDS takes no idempotency token) and reported as
/// an unknown outcome that names the read that tells; that read finds the instance.
#[tokio::test]
async fn a_create_whose_answer_is_lost_is_sent_once_and_reported_unknown() {
    let m = moto().await;
    let p = proxy(&m).await;
    p.fault("CreateDBInstance", Fault::DropResponse);
    let d = via(&m, &p, 3, false);
    let e = call(
        &d,
        RDS,
        json!({"action": "create_instance", "instance_id": "lost", "engine": "postgres",
               "class": "db.t3.micro"}),
    )
    .await
    .unwrap_err();
    assert_eq!(e["details"]["outcome"], "unknown", "{e}");
    assert_eq!(e["details"]["check"]["action"], "describe_instance", "{e}");
    assert_eq!(p.seen_op("CreateDBInstance").len(), 1, "sent once");
    p.clear();
    let check = e["details"]["check"]["arguments"].clone();
    let mut args = check.as_object().unwrap().clone();
    args.insert("action".into(), json!("describe_instance"));
    let found = ok(&d, Value::Object(args)).await;
    assert_eq!(found["data"]["instance_id"], "lost", "{found}");
    assert!(held(&m, "lost").await.is_some());
}
