//! aws_security's IAM against moto, checking what moto holds afterwards with plain SDK clients:
//! the Lambda role for S3 and DynamoDB end to end, users and keys, policies and all 20
//! templates, read-only mode, and the guardrails on IAM. (KMS, Secrets Manager, Security Hub,
//! GuardDuty and the posture are in `security_services.rs`; policy simulation, Access Analyzer,
//! GuardDuty findings, Security Hub workflow updates and standards are not in moto: see
//! `security_mocked.rs`.)

use std::collections::BTreeSet;

use espada_aws::dispatch::Dispatcher;
use serde_json::{Value, json};

use crate::harness::{
    Moto, REGION, call, client, confirmed_in, err_in, moto, ok_in, temp_state, try_confirmed_in,
};

pub(crate) const SEC: &str = "aws_security";
/// moto's account for the test credentials.
pub(crate) const ACCOUNT: &str = "123456789012";

pub(crate) fn iam(m: &Moto) -> aws_sdk_iam::Client {
    client!(aws_sdk_iam, m)
}

pub(crate) fn kms(m: &Moto) -> aws_sdk_kms::Client {
    client!(aws_sdk_kms, m)
}

pub(crate) fn secrets(m: &Moto) -> aws_sdk_secretsmanager::Client {
    client!(aws_sdk_secretsmanager, m)
}

pub(crate) fn hub(m: &Moto) -> aws_sdk_securityhub::Client {
    client!(aws_sdk_securityhub, m)
}

pub(crate) fn guardduty(m: &Moto) -> aws_sdk_guardduty::Client {
    client!(aws_sdk_guardduty, m)
}

pub(crate) async fn ok(d: &Dispatcher, args: Value) -> Value {
    ok_in(d, SEC, args).await
}

pub(crate) async fn err(d: &Dispatcher, args: Value) -> Value {
    err_in(d, SEC, args).await
}

pub(crate) async fn confirmed(d: &Dispatcher, args: Value) -> Value {
    confirmed_in(d, SEC, args).await
}

fn decode(doc: &str) -> Value {
    espada_aws::tools::security::decode_document(doc)
}

/// A narrow customer-managed policy (moto loads no AWS managed policies by default).
pub(crate) async fn narrow_policy(m: &Moto, name: &str) -> String {
    let p = iam(m)
        .create_policy()
        .policy_name(name)
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}"#,
        )
        .send()
        .await
        .unwrap();
    p.policy().unwrap().arn().unwrap().to_string()
}

async fn inline_doc(m: &Moto, role: &str, policy: &str) -> Value {
    let p = iam(m)
        .get_role_policy()
        .role_name(role)
        .policy_name(policy)
        .send()
        .await
        .unwrap();
    decode(p.policy_document())
}

#[tokio::test]
async fn a_lambda_role_for_s3_and_dynamodb_end_to_end() {
    let m = moto().await;
    let d = m.dispatcher();
    let iam = iam(&m);

    // "Create an IAM role for Lambda to access S3 and DynamoDB".
    let created = ok(
        &d,
        json!({"action": "create_role", "role_name": "orders-fn", "trust": "lambda",
               "templates": ["lambda-s3-read", "lambda-dynamodb"],
               "params": {"bucket": "orders-data", "table": "orders"},
               "tags": {"team": "orders"}}),
    )
    .await;
    assert!(
        created["summary"]
            .as_str()
            .unwrap()
            .contains("put inline policy lambda-dynamodb"),
        "{created}"
    );
    let role = iam.get_role().role_name("orders-fn").send().await.unwrap();
    let r = role.role().unwrap();
    let trust = decode(r.assume_role_policy_document().unwrap());
    assert_eq!(
        trust["Statement"][0]["Principal"]["Service"],
        "lambda.amazonaws.com"
    );
    assert_eq!(r.tags()[0].key(), "team");
    let names: BTreeSet<String> = iam
        .list_role_policies()
        .role_name("orders-fn")
        .send()
        .await
        .unwrap()
        .policy_names()
        .iter()
        .cloned()
        .collect();
    assert_eq!(
        names,
        BTreeSet::from(["lambda-s3-read".to_string(), "lambda-dynamodb".to_string()])
    );
    let s3 = inline_doc(&m, "orders-fn", "lambda-s3-read")
        .await
        .to_string();
    assert!(s3.contains("arn:aws:s3:::orders-data/*"), "{s3}");
    assert!(
        s3.contains(&format!(
            "arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/*:*"
        )),
        "account and region come from the caller: {s3}"
    );
    let ddb = inline_doc(&m, "orders-fn", "lambda-dynamodb")
        .await
        .to_string();
    assert!(
        ddb.contains(&format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/orders")),
        "{ddb}"
    );
    assert!(!ddb.contains("\"Resource\":\"*\""), "{ddb}");

    // What the tool reads back.
    let listed = ok(&d, json!({"action": "list_roles"})).await;
    let mine = listed["data"]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["role_name"] == "orders-fn")
        .unwrap()
        .clone();
    assert_eq!(mine["inline_policies"].as_array().unwrap().len(), 2);
    let got = ok(&d, json!({"action": "get_role", "role_name": "orders-fn"})).await;
    assert_eq!(
        got["data"]["trust_policy"]["Statement"][0]["Principal"]["Service"],
        "lambda.amazonaws.com"
    );
    assert!(got["data"]["trust_risks"].as_array().unwrap().is_empty());

    // A managed policy attached and detached, an instance profile, then the delete that
    // clears them first.
    let listing = narrow_policy(&m, "list-buckets").await;
    ok(
        &d,
        json!({"action": "attach_role_policy", "role_name": "orders-fn",
               "policy_arn": listing}),
    )
    .await;
    let attached = iam
        .list_attached_role_policies()
        .role_name("orders-fn")
        .send()
        .await
        .unwrap();
    assert_eq!(attached.attached_policies().len(), 1);
    confirmed(
        &d,
        json!({"action": "detach_role_policy", "role_name": "orders-fn",
               "policy_arn": listing}),
    )
    .await;
    ok(
        &d,
        json!({"action": "attach_role_policy", "role_name": "orders-fn",
               "policy_arn": listing}),
    )
    .await;
    iam.create_instance_profile()
        .instance_profile_name("orders-profile")
        .send()
        .await
        .unwrap();
    iam.add_role_to_instance_profile()
        .instance_profile_name("orders-profile")
        .role_name("orders-fn")
        .send()
        .await
        .unwrap();
    let deleted = confirmed(
        &d,
        json!({"action": "delete_role", "role_name": "orders-fn"}),
    )
    .await;
    assert!(
        iam.get_role().role_name("orders-fn").send().await.is_err(),
        "the role is gone"
    );
    let profile = iam
        .get_instance_profile()
        .instance_profile_name("orders-profile")
        .send()
        .await
        .unwrap();
    assert!(profile.instance_profile().unwrap().roles().is_empty());
    let def = &deleted["data"]["definition"];
    assert_eq!(def["attached_policies"][0]["arn"], listing.as_str());
    assert!(def["inline_policies"]["lambda-dynamodb"]["Statement"].is_array());
    assert_eq!(def["instance_profiles"], json!(["orders-profile"]));
}

#[tokio::test]
async fn roles_refuse_bad_trusts_missing_parameters_and_undeclared_wide_policies() {
    let m = moto().await;
    let d = m.dispatcher();
    let iam = iam(&m);
    let e = err(
        &d,
        json!({"action": "create_role", "role_name": "x", "trust": "lambda",
               "templates": ["lambda-s3-read"]}),
    )
    .await;
    assert!(e["message"].as_str().unwrap().contains("bucket"), "{e}");
    let e = err(
        &d,
        json!({"action": "create_role", "role_name": "x",
               "trust": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\"}]}"}),
    )
    .await;
    assert!(e["message"].as_str().unwrap().contains("Principal"), "{e}");
    assert!(
        iam.get_role().role_name("x").send().await.is_err(),
        "nothing was created"
    );

    // A customer-managed policy that grants everything is not attached unless the call says
    // it is wide; saying so makes it a high-risk call.
    let admin = iam
        .create_policy()
        .policy_name("everything")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        )
        .send()
        .await
        .unwrap();
    let arn = admin.policy().unwrap().arn().unwrap().to_string();
    ok(
        &d,
        json!({"action": "create_role", "role_name": "ops", "trust": "ec2"}),
    )
    .await;
    let e = err(
        &d,
        json!({"action": "attach_role_policy", "role_name": "ops", "policy_arn": arn}),
    )
    .await;
    assert_eq!(e["error"], "precondition_failed", "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("AdministratorAccess-like")
    );
    let attached = iam
        .list_attached_role_policies()
        .role_name("ops")
        .send()
        .await
        .unwrap();
    assert!(attached.attached_policies().is_empty());
    let done = confirmed(
        &d,
        json!({"action": "attach_role_policy", "role_name": "ops", "policy_arn": arn,
               "wide": true}),
    )
    .await;
    assert!(
        done["warnings"][0].as_str().unwrap().contains("wide"),
        "{done}"
    );
    assert!(done["summary"].as_str().unwrap().contains("wide grant"));

    // An inline policy from a template and one from JSON.
    ok(
        &d,
        json!({"action": "put_role_inline_policy", "role_name": "ops", "policy_name": "logs",
               "template": "cloudwatch-logs", "params": {"log_group": "/ops/app"}}),
    )
    .await;
    let doc = inline_doc(&m, "ops", "logs").await.to_string();
    assert!(doc.contains("log-group:/ops/app:log-stream:*"), "{doc}");
    let e = err(
        &d,
        json!({"action": "put_role_inline_policy", "role_name": "ops", "policy_name": "bad",
               "document": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\"}]}"}),
    )
    .await;
    assert!(
        e["message"].as_str().unwrap().contains("needs Resource"),
        "{e}"
    );
}

#[tokio::test]
async fn users_keys_and_their_removal() {
    let m = moto().await;
    let d = m.dispatcher();
    let iam = iam(&m);
    let listing = narrow_policy(&m, "list-buckets").await;
    let created = confirmed(
        &d,
        json!({"action": "create_user", "user_name": "ci", "console_access": true,
               "access_key": true, "policy_arns": [listing]}),
    )
    .await;
    let data = &created["data"];
    let secret = data["access_key"]["secret_access_key"].as_str().unwrap();
    let password = data["console_password"].as_str().unwrap();
    assert!(!secret.is_empty() && password.len() == 32, "{created}");
    let summary = created["summary"].as_str().unwrap();
    assert!(!summary.contains(secret) && !summary.contains(password));
    assert_eq!(
        created["warnings"].as_array().unwrap().len(),
        2,
        "console access and the key are flagged: {created}"
    );
    iam.get_login_profile()
        .user_name("ci")
        .send()
        .await
        .unwrap();
    let keys = iam.list_access_keys().user_name("ci").send().await.unwrap();
    assert_eq!(keys.access_key_metadata().len(), 1);

    let listed = ok(&d, json!({"action": "list_users"})).await;
    let ci = &listed["data"]["users"][0];
    assert_eq!(ci["console_access"], true);
    assert_eq!(ci["mfa_devices"], 0);
    assert_eq!(ci["access_keys"][0]["age_days"], 0);
    assert!(listed["summary"].as_str().unwrap().contains("without MFA"));

    let second = confirmed(
        &d,
        json!({"action": "create_access_key", "user_name": "ci"}),
    )
    .await;
    let second_id = second["data"]["access_key_id"]
        .as_str()
        .unwrap()
        .to_string();
    let e = try_confirmed_in(
        &d,
        SEC,
        json!({"action": "create_access_key", "user_name": "ci"}),
    )
    .await
    .unwrap_err();
    assert_eq!(e["error"], "precondition_failed", "{e}");

    confirmed(
        &d,
        json!({"action": "deactivate_access_key", "user_name": "ci",
               "access_key_id": second_id}),
    )
    .await;
    let keys = iam.list_access_keys().user_name("ci").send().await.unwrap();
    let status = keys
        .access_key_metadata()
        .iter()
        .find(|k| k.access_key_id() == Some(second_id.as_str()))
        .unwrap()
        .status()
        .unwrap()
        .as_str()
        .to_string();
    assert_eq!(status, "Inactive");
    confirmed(
        &d,
        json!({"action": "delete_access_key", "user_name": "ci", "access_key_id": second_id}),
    )
    .await;
    let keys = iam.list_access_keys().user_name("ci").send().await.unwrap();
    assert_eq!(keys.access_key_metadata().len(), 1);

    // Everything IAM wants gone before DeleteUser goes first.
    iam.create_group().group_name("devs").send().await.unwrap();
    iam.add_user_to_group()
        .group_name("devs")
        .user_name("ci")
        .send()
        .await
        .unwrap();
    iam.put_user_policy()
        .user_name("ci")
        .policy_name("extra")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}"#,
        )
        .send()
        .await
        .unwrap();
    let got = ok(&d, json!({"action": "get_user", "user_name": "ci"})).await;
    assert_eq!(got["data"]["groups"], json!(["devs"]));
    assert_eq!(got["data"]["inline_policies"], json!(["extra"]));
    let deleted = confirmed(&d, json!({"action": "delete_user", "user_name": "ci"})).await;
    let steps = deleted["data"]["steps"].to_string();
    for step in [
        "deleted access key",
        "console password",
        "group devs",
        "policy/list-buckets",
        "inline policy extra",
    ] {
        assert!(steps.contains(step), "{step}: {steps}");
    }
    assert!(iam.get_user().user_name("ci").send().await.is_err());
}

#[tokio::test]
async fn policies_are_checked_before_the_call_and_deleted_with_their_versions() {
    let m = moto().await;
    let d = m.dispatcher();
    let iam = iam(&m);
    let e = err(
        &d,
        json!({"action": "create_policy", "policy_name": "bad",
               "document": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\",\"Principal\":\"*\"}]}"}),
    )
    .await;
    assert!(
        e["message"].as_str().unwrap().contains("Principal belongs"),
        "{e}"
    );
    let none = iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local);
    assert!(none.send().await.unwrap().policies().is_empty());

    let created = ok(
        &d,
        json!({"action": "create_policy", "policy_name": "reports-read",
               "template": "s3-read-only", "params": {"bucket": "reports"}}),
    )
    .await;
    let arn = created["data"]["arn"].as_str().unwrap().to_string();
    let v = iam
        .get_policy_version()
        .policy_arn(&arn)
        .version_id("v1")
        .send()
        .await
        .unwrap();
    let doc = decode(v.policy_version().unwrap().document().unwrap()).to_string();
    assert!(doc.contains("arn:aws:s3:::reports/*"), "{doc}");
    let got = ok(&d, json!({"action": "get_policy", "policy_arn": arn})).await;
    assert_eq!(
        got["data"]["document"]["Statement"][1]["Action"],
        "s3:GetObject"
    );
    let listed = ok(&d, json!({"action": "list_policies"})).await;
    assert_eq!(listed["data"]["policies"].as_array().unwrap().len(), 1);

    // A second version, and an attachment that stops the delete before anything changes.
    iam.create_policy_version()
        .policy_arn(&arn)
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::reports"}]}"#,
        )
        .set_as_default(true)
        .send()
        .await
        .unwrap();
    ok(
        &d,
        json!({"action": "create_role", "role_name": "reader", "trust": "ec2",
                  "policy_arns": [arn]}),
    )
    .await;
    let e = crate::harness::try_confirmed_in(
        &d,
        SEC,
        json!({"action": "delete_policy",
        "policy_arn": arn}),
    )
    .await
    .unwrap_err();
    assert_eq!(e["error"], "precondition_failed", "{e}");
    assert!(e["message"].as_str().unwrap().contains("role reader"));
    // A customer-managed policy may be named by its name.
    let detached = confirmed(
        &d,
        json!({"action": "detach_role_policy", "role_name": "reader",
               "policy_arn": "reports-read"}),
    )
    .await;
    assert_eq!(detached["data"]["policy_arn"], arn.as_str());
    let deleted = confirmed(&d, json!({"action": "delete_policy", "policy_arn": arn})).await;
    assert_eq!(deleted["data"]["versions_deleted"], json!(["v1"]));
    assert!(iam.get_policy().policy_arn(&arn).send().await.is_err());
}

/// Every template, built with its parameters, is accepted by moto's IAM policy validator as a
/// managed policy (the trust template as a role's trust policy).
#[tokio::test]
async fn all_20_templates_are_valid_policies() {
    let m = moto().await;
    let d = m.dispatcher();
    let listed = ok(&d, json!({"action": "list_policy_templates"})).await;
    let templates = listed["data"]["templates"].as_array().unwrap();
    assert_eq!(templates.len(), 20);
    let params = json!({"bucket": "data-bucket", "table": "orders", "queue": "jobs",
        "topic": "alerts", "secret": "prod/db", "log_group": "/app/web",
        "key_arn": format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
        "role_arn": format!("arn:aws:iam::{ACCOUNT}:role/deployer"),
        "trusted_account": "444455556666"});
    for t in templates {
        let name = t["name"].as_str().unwrap();
        let mut mine = serde_json::Map::new();
        for p in t["required"].as_array().unwrap() {
            let p = p.as_str().unwrap();
            if let Some(v) = params.get(p) {
                mine.insert(p.into(), v.clone());
            }
        }
        let got = ok(
            &d,
            json!({"action": "get_policy_template", "template": name, "params": mine}),
        )
        .await;
        let doc = &got["data"]["document"];
        assert!(!doc.to_string().contains(":000000000000:"), "{name}: {doc}");
        if t["kind"] == "trust" {
            ok(
                &d,
                json!({"action": "create_role", "role_name": format!("t-{name}"),
                       "trust": doc.to_string()}),
            )
            .await;
        } else {
            ok(
                &d,
                json!({"action": "create_policy", "policy_name": format!("t-{name}"),
                       "template": name, "params": mine}),
            )
            .await;
        }
        if !t["required"].as_array().unwrap().is_empty() {
            let needs_own = t["required"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p != "account" && p != "region");
            if needs_own {
                let e = err(
                    &d,
                    json!({"action": "get_policy_template", "template": name}),
                )
                .await;
                assert!(
                    e["message"].as_str().unwrap().contains("never falls back"),
                    "{e}"
                );
            }
        }
    }
    let policies = iam(&m)
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .send()
        .await
        .unwrap();
    assert_eq!(policies.policies().len(), 19);
}

#[tokio::test]
async fn read_only_mode_exposes_only_the_reads() {
    let m = moto().await;
    let (d, reads) = crate::harness::read_only_reads(&m, SEC);
    assert!(reads.contains(&"get_security_posture") && !reads.contains(&"create_role"));
    let e = err(
        &d,
        json!({"action": "create_role", "role_name": "r", "trust": "lambda"}),
    )
    .await;
    assert_eq!(e["error"], "refused");
    assert!(iam(&m).get_role().role_name("r").send().await.is_err());
    // The reads work, on clients that refuse any change.
    let posture = ok(&d, json!({"action": "get_security_posture"})).await;
    assert!(
        posture["data"]["unreadable"].as_array().unwrap().is_empty(),
        "{posture:#}"
    );
    ok(&d, json!({"action": "list_policy_templates"})).await;
    ok(
        &d,
        json!({"action": "get_policy_template", "template": "lambda-basic"}),
    )
    .await;
}

#[tokio::test]
async fn deleting_a_production_role_needs_a_change_request_and_approval() {
    let m = moto().await;
    let state = temp_state();
    let d = m.strict_dispatcher(&state);
    iam(&m)
        .create_role()
        .role_name("payments")
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("Environment")
                .value("production")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let args = json!({"action": "delete_role", "role_name": "payments"});
    let e = call(&d, SEC, args.clone()).await.unwrap_err();
    assert!(
        e["message"].as_str().unwrap().contains("change request"),
        "{e}"
    );
    let cr = ok_in(
        &d,
        "aws_guardrails",
        json!({"action": "create_change_request", "title": "retire payments role",
               "description": "replaced", "environment": "production",
               "rollback_plan": "recreate from the returned definition"}),
    )
    .await;
    let mut with_cr = args.clone();
    with_cr["change_request_id"] = cr["data"]["id"].clone();
    let pending = ok(&d, with_cr).await;
    assert_eq!(pending["status"], "pending_approval", "{pending}");
    assert_eq!(pending["evaluation"]["environment"], "production");
    assert!(
        pending["evaluation"]["environment_source"]
            .as_str()
            .unwrap()
            .contains("tags of payments"),
        "{pending}"
    );
    iam(&m)
        .get_role()
        .role_name("payments")
        .send()
        .await
        .unwrap();

    // An untagged role counts as the account's environment: with no rule for the account,
    // destructive calls take the default (production).
    iam(&m)
        .create_role()
        .role_name("scratch")
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .send()
        .await
        .unwrap();
    let e = call(
        &d,
        SEC,
        json!({"action": "delete_role", "role_name": "scratch"}),
    )
    .await
    .unwrap_err();
    assert!(e["message"].as_str().unwrap().contains("production"), "{e}");
}

#[tokio::test]
async fn a_wide_grant_is_flagged_high_and_held() {
    let m = moto().await;
    let state = temp_state();
    let d = m.strict_dispatcher(&state);
    let iam = iam(&m);
    iam.create_role()
        .role_name("prod-app")
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("env")
                .value("prod")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    // A narrow grant is medium risk and runs.
    let listing = narrow_policy(&m, "list-buckets").await;
    ok(
        &d,
        json!({"action": "attach_role_policy", "role_name": "prod-app",
               "policy_arn": listing}),
    )
    .await;
    // AdministratorAccess is flagged high: in production it waits for people.
    let args = json!({"action": "attach_role_policy", "role_name": "prod-app",
                      "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"});
    let dry = ok(
        &d,
        json!({"action": "attach_role_policy", "role_name": "prod-app",
        "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess", "dry_run": true}),
    )
    .await;
    assert_eq!(dry["data"]["plan"]["risk"], "high", "{dry}");
    assert!(
        dry["data"]["plan"]["risk_flags"][0]
            .as_str()
            .unwrap()
            .contains("AdministratorAccess"),
        "{dry}"
    );
    let cr = ok_in(
        &d,
        "aws_guardrails",
        json!({"action": "create_change_request", "title": "admin for prod-app",
               "description": "d", "environment": "production", "rollback_plan": "detach"}),
    )
    .await;
    let mut with_cr = args.clone();
    with_cr["change_request_id"] = cr["data"]["id"].clone();
    let held = ok(&d, with_cr).await;
    assert_eq!(held["status"], "pending_approval", "{held}");
    let attached = iam
        .list_attached_role_policies()
        .role_name("prod-app")
        .send()
        .await
        .unwrap();
    assert_eq!(
        attached.attached_policies().len(),
        1,
        "only the narrow policy"
    );

    // A trust any AWS principal can use is flagged the same way.
    let anyone = json!({"action": "create_role", "role_name": "open", "dry_run": true,
        "trust": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},\"Action\":\"sts:AssumeRole\"}]}"});
    let plan = ok(&d, anyone).await;
    assert_eq!(plan["data"]["plan"]["risk"], "high", "{plan}");
    let dev = m.dispatcher();
    let cross = ok(
        &dev,
        json!({"action": "create_role", "role_name": "partner", "trust": "444455556666",
               "dry_run": true}),
    )
    .await;
    assert!(
        cross["data"]["plan"]["risk_flags"][0]
            .as_str()
            .unwrap()
            .contains("444455556666"),
        "{cross}"
    );
}
