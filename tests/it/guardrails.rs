//! The guardrails stage: confirmation tokens for destructive calls and read-only mode.

use std::time::Duration;

use espada_aws::{dispatch::Dispatcher, settings::Settings};
use serde_json::{Value, json};

use espada_aws::guardrails::environment::{Environment, EnvironmentConfig};

use crate::harness::{agent, call, moto, obj, offline_settings, ok};

fn dev_default() -> EnvironmentConfig {
    EnvironmentConfig {
        default_environment: Environment::Development,
        ..EnvironmentConfig::default()
    }
}

fn with_token(args: &Value, token: &Value) -> Value {
    let mut a = args.clone();
    a["confirm_token"] = token.clone();
    a
}

#[tokio::test]
async fn terminate_needs_a_token_bound_to_the_call() {
    let m = moto().await;
    let d = m.dispatcher();
    let ids = m.launch(2).await;
    let args = json!({"action": "terminate_instances", "instance_ids": [ids[0]]});

    let plan = ok(&d, args.clone()).await;
    assert_eq!(plan["status"], "confirmation_required");
    assert_eq!(
        plan["plan"]["targets"],
        json!([{"service": "ec2", "kind": "instance", "id": ids[0]}])
    );
    assert_eq!(plan["expires_in_seconds"], 600);
    assert_eq!(
        m.state_of(&ids[0]).await,
        "running",
        "no token: nothing happens"
    );
    let token = plan["confirm_token"].clone();

    // The token names one call: other instances, another action or region are refused.
    let other = json!({"action": "terminate_instances", "instance_ids": [ids[1]]});
    let e = call(&d, "aws_ec2", with_token(&other, &token))
        .await
        .unwrap_err();
    assert_eq!(e["error"], "refused");
    assert!(e["message"].as_str().unwrap().contains("different"), "{e}");
    let mut elsewhere = args.clone();
    elsewhere["region"] = json!("eu-west-1");
    assert!(
        call(&d, "aws_ec2", with_token(&elsewhere, &token))
            .await
            .is_err()
    );
    assert_eq!(m.state_of(&ids[1]).await, "running");

    let done = ok(&d, with_token(&args, &token)).await;
    assert!(
        done["summary"]
            .as_str()
            .unwrap()
            .starts_with("Terminating 1")
    );
    assert_eq!(m.state_of(&ids[0]).await, "terminated");

    let e = call(&d, "aws_ec2", with_token(&args, &token))
        .await
        .unwrap_err();
    assert!(
        e["message"].as_str().unwrap().contains("already used"),
        "{e}"
    );

    let e = call(&d, "aws_ec2", with_token(&other, &json!("ct-madeup")))
        .await
        .unwrap_err();
    assert_eq!(e["error"], "refused");
    assert_eq!(m.state_of(&ids[1]).await, "running");
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let m = moto().await;
    let d = Dispatcher::new(&Settings {
        confirm_ttl: Duration::ZERO,
        ..m.settings()
    })
    .unwrap();
    d.guardrails
        .store
        .set_config("environments", &dev_default())
        .unwrap();
    let id = m.launch(1).await.remove(0);
    let args = json!({"action": "terminate_instances", "instance_ids": [id]});
    let plan = ok(&d, args.clone()).await;
    let e = call(&d, "aws_ec2", with_token(&args, &plan["confirm_token"]))
        .await
        .unwrap_err();
    assert!(e["message"].as_str().unwrap().contains("expired"), "{e}");
    assert_eq!(m.state_of(&id).await, "running");
}

#[tokio::test]
async fn read_only_hides_and_refuses_changes() {
    let m = moto().await;
    let id = m.launch(1).await.remove(0);
    let ro = Dispatcher::new(&Settings {
        read_only: true,
        ..m.settings()
    })
    .unwrap();
    let tool = ro.tools()[0];
    let schema = ro.input_schema(tool);
    let actions: Vec<&str> = schema["properties"]["action"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(actions.contains(&"list_instances"));
    for hidden in [
        "stop_instances",
        "terminate_instances",
        "create_key_pair",
        "add_tags",
    ] {
        assert!(
            !actions.contains(&hidden),
            "{hidden} exposed in read-only mode"
        );
    }
    assert!(schema["properties"].get("confirm_token").is_none());
    assert!(
        schema["properties"].get("force").is_none(),
        "fields of hidden actions are hidden"
    );

    for args in [
        json!({"action": "stop_instances", "instance_ids": [id]}),
        json!({"action": "terminate_instances", "instance_ids": [id]}),
    ] {
        let e = call(&ro, "aws_ec2", args).await.unwrap_err();
        assert_eq!(e["error"], "refused");
        assert!(
            e["message"].as_str().unwrap().contains("--read-only"),
            "{e}"
        );
    }
    assert_eq!(m.state_of(&id).await, "running");
    // Reads still work.
    let listed = ok(&ro, json!({"action": "list_instances"})).await;
    assert_eq!(listed["data"]["instances"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn read_only_refuses_before_any_network_call() {
    // Port 9 on loopback has nothing listening: had the call gone out, it would fail with a
    // transport error instead of the refusal.
    let ro = Dispatcher::new(&Settings {
        read_only: true,
        ..offline_settings()
    })
    .unwrap();
    let e = ro
        .call(
            "aws_ec2",
            obj(json!({"action": "stop_instances", "instance_ids": ["i-1"]})),
            &agent(),
        )
        .await
        .unwrap()
        .unwrap_err()
        .to_json();
    assert_eq!(e["error"], "refused");
}

#[tokio::test]
async fn bad_input_is_explained_and_nothing_is_sent() {
    let d = Dispatcher::new(&offline_settings()).unwrap();
    let cases = [
        (json!({}), "action is required"),
        (json!({"action": 7}), "action must be a string"),
        (
            json!({"action": "launch_rocket"}),
            "unknown action 'launch_rocket'",
        ),
        (
            json!({"action": "stop_instances"}),
            "missing field `instance_ids`",
        ),
        (
            json!({"action": "stop_instances", "instance_ids": "i-1"}),
            "invalid type",
        ),
        (
            json!({"action": "stop_instances", "instance_ids": ["i-1"], "colour": "red"}),
            "unknown field `colour`",
        ),
        (
            json!({"action": "create_instances", "image_id": "ami-1", "count": "two"}),
            "invalid type",
        ),
        (
            json!({"action": "list_instances", "state": "sleeping"}),
            "unknown variant `sleeping`",
        ),
        (
            json!({"action": "list_instances", "next_token": "forged"}),
            "next_token",
        ),
        (
            json!({"action": "list_instances", "dry_run": "yes"}),
            "dry_run must be true or false",
        ),
        (
            json!({"action": "list_instances", "region": 5}),
            "region must be a string",
        ),
    ];
    for (args, want) in cases {
        let e = call(&d, "aws_ec2", args.clone()).await.unwrap_err();
        assert_eq!(e["error"], "invalid_input", "{args}: {e}");
        let msg = e["message"].as_str().unwrap();
        assert!(msg.contains(want), "{args}: {msg}");
    }
    // Field errors name what the action accepts.
    let e = call(&d, "aws_ec2", json!({"action": "stop_instances"}))
        .await
        .unwrap_err();
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("required fields: instance_ids; optional fields: force")
    );
    // A destructive call with bad input gets no token.
    let e = call(&d, "aws_ec2", json!({"action": "terminate_instances"}))
        .await
        .unwrap_err();
    assert_eq!(e["error"], "invalid_input");
}

#[tokio::test]
async fn read_only_hides_every_mutating_action_of_both_tools() {
    use espada_aws::registry::Access;
    // Nothing listens on port 9: a refusal proves nothing was sent.
    let ro = Dispatcher::new(&Settings {
        read_only: true,
        ..offline_settings()
    })
    .unwrap();
    for tool in ["aws_ec2", "aws_network"] {
        let def = ro.tools().iter().find(|t| t.name == tool).unwrap();
        let schema = ro.input_schema(def);
        let exposed: Vec<&str> = schema["properties"]["action"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let actions = def.actions;
        let reads: Vec<&str> = actions
            .iter()
            .filter(|a| a.access == Access::Read)
            .map(|a| a.name)
            .collect();
        assert_eq!(exposed, reads, "{tool} exposes exactly its read actions");
        assert!(actions.iter().any(|a| a.access != Access::Read));
        assert!(schema["properties"].get("dry_run").is_none());
        assert!(schema["properties"].get("confirm_token").is_none());
    }
    for (tool, args) in [
        (
            "aws_network",
            json!({"action": "create_vpc", "cidr_block": "10.0.0.0/16"}),
        ),
        (
            "aws_network",
            json!({"action": "delete_vpc", "vpc_id": "vpc-1"}),
        ),
        (
            "aws_network",
            json!({"action": "authorize_security_group", "group_id": "sg-1", "protocol": "tcp",
                   "from_port": 22, "cidr_blocks": ["0.0.0.0/0"]}),
        ),
        (
            "aws_network",
            json!({"action": "release_elastic_ip", "allocation_id": "eipalloc-1"}),
        ),
        (
            "aws_ec2",
            json!({"action": "create_asg", "auto_scaling_group_name": "web",
                   "launch_template_name": "web", "min_size": 1, "max_size": 2,
                   "subnet_ids": ["subnet-1"]}),
        ),
        (
            "aws_ec2",
            json!({"action": "set_desired_capacity", "auto_scaling_group_name": "web",
                   "desired_capacity": 0}),
        ),
        (
            "aws_ec2",
            json!({"action": "delete_load_balancer", "load_balancer_arn": "arn:lb"}),
        ),
        (
            "aws_ec2",
            json!({"action": "register_targets", "target_group_arn": "arn:tg",
                   "target_ids": ["i-1"]}),
        ),
    ] {
        let e = call(&ro, tool, args.clone()).await.unwrap_err();
        assert_eq!(e["error"], "refused", "{tool} {args}: {e}");
    }
}

/// Issue 9, hole 4: a flagged or high-risk write asks for a confirmation in every
/// environment, untagged and development resources included; a medium-risk create does not.
#[tokio::test]
async fn risky_writes_need_a_confirmation_in_every_environment() {
    use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
    let m = moto().await;
    let d = m.strict_dispatcher(&crate::harness::temp_state());
    m.s3()
        .create_bucket()
        .bucket("open-me")
        .send()
        .await
        .unwrap();
    let public = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::open-me/*"}]})
    .to_string();
    let vpc = m.ec2().describe_vpcs().send().await.unwrap().vpcs()[0]
        .vpc_id()
        .unwrap()
        .to_string();
    let group = |name: &'static str, env: Option<&'static str>| {
        let ec2 = m.ec2();
        let vpc = vpc.clone();
        async move {
            let mut req = ec2
                .create_security_group()
                .group_name(name)
                .description(name)
                .vpc_id(vpc);
            if let Some(env) = env {
                req = req.tag_specifications(
                    TagSpecification::builder()
                        .resource_type(ResourceType::SecurityGroup)
                        .tags(Tag::builder().key("Environment").value(env).build())
                        .build(),
                );
            }
            req.send().await.unwrap().group_id().unwrap().to_string()
        }
    };
    let dev_sg = group("dev-ssh", Some("development")).await;
    let untagged_sg = group("untagged-ssh", None).await;
    let ssh = |sg: &str| {
        json!({"action": "authorize_security_group", "group_id": sg, "protocol": "tcp",
               "from_port": 22, "cidr_blocks": ["0.0.0.0/0"]})
    };
    for (tool, args) in [
        (
            "aws_s3",
            json!({"action": "put_bucket_policy", "bucket": "open-me", "policy": public}),
        ),
        (
            "aws_s3",
            json!({"action": "set_public_access_block", "bucket": "open-me",
                   "block_public_policy": false}),
        ),
        ("aws_network", ssh(&dev_sg)),
        ("aws_network", ssh(&untagged_sg)),
    ] {
        let plan = call(&d, tool, args.clone()).await.unwrap();
        assert_eq!(plan["status"], "confirmation_required", "{args}: {plan}");
        assert!(
            !plan["plan"]["risk_flags"].as_array().unwrap().is_empty(),
            "{plan}"
        );
    }
    assert!(
        m.s3()
            .get_bucket_policy()
            .bucket("open-me")
            .send()
            .await
            .is_err(),
        "no policy was set"
    );
    let rules = |sg: String| {
        let ec2 = m.ec2();
        async move {
            ec2.describe_security_groups()
                .group_ids(sg)
                .send()
                .await
                .unwrap()
                .security_groups()[0]
                .ip_permissions()
                .len()
        }
    };
    assert_eq!(rules(dev_sg.clone()).await, 0);
    assert_eq!(rules(untagged_sg.clone()).await, 0);

    // With the person's confirmation it runs.
    crate::harness::confirmed_in(&d, "aws_network", ssh(&dev_sg)).await;
    assert_eq!(rules(dev_sg).await, 1);
    // A medium-risk create asks nothing.
    let made = ok(
        &d,
        json!({"action": "create_key_pair", "key_name": "plain", "key_type": "ed25519"}),
    )
    .await;
    assert!(made["data"]["key_name"].is_string(), "{made}");
}

/// Issue 9, hole 3: environment tag values are read as the README documents them, and a
/// value nobody documented counts as production rather than as no environment.
#[tokio::test]
async fn environment_tag_values_are_matched_as_documented() {
    use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
    let m = moto().await;
    let d = m.strict_dispatcher(&crate::harness::temp_state());
    let launch = |key: &'static str, value: &'static str| {
        let ec2 = m.ec2();
        async move {
            ec2.run_instances()
                .image_id(crate::harness::AMI)
                .min_count(1)
                .max_count(1)
                .tag_specifications(
                    TagSpecification::builder()
                        .resource_type(ResourceType::Instance)
                        .tags(Tag::builder().key(key).value(value).build())
                        .build(),
                )
                .send()
                .await
                .unwrap()
                .instances()[0]
                .instance_id()
                .unwrap()
                .to_string()
        }
    };
    for (key, value, want) in [
        ("Environment", "Prod-EU", "production"),
        ("ENV", " dev ", "development"),
        ("stage", "pre-production", "staging"),
        ("Environment", "QA", "testing"),
        ("env", "sandbox", "development"),
        ("env", "blue", "production"),
    ] {
        let id = launch(key, value).await;
        let ev = call(
            &d,
            "aws_guardrails",
            json!({"action": "evaluate_guardrails", "target_tool": "aws_ec2",
                   "target_action": "stop_instances",
                   "target_arguments": {"instance_ids": [id]}}),
        )
        .await
        .unwrap();
        assert_eq!(
            ev["data"]["evaluation"]["environment"], want,
            "{key}={value}: {ev}"
        );
    }
}

/// Issue 9, hole 3: the config's region rule uses the region the SDK resolved, so a region
/// set only in the AWS profile counts (here through the CLI, with a config file of its own).
#[tokio::test]
async fn a_region_set_only_in_the_profile_counts_for_the_region_rule() {
    use espada_aws::guardrails::store::Store;
    let m = moto().await;
    let state = crate::harness::temp_state();
    let config = state.with_extension("aws-config");
    std::fs::write(
        &config,
        "[profile regional]\nregion = eu-west-1\naws_access_key_id = testing\n\
         aws_secret_access_key = testing\n",
    )
    .unwrap();
    Store::open(&state)
        .unwrap()
        .set_config(
            "environments",
            &EnvironmentConfig {
                regions: [("eu-west-1".to_string(), Environment::Production)].into(),
                default_environment: Environment::Development,
                ..EnvironmentConfig::default()
            },
        )
        .unwrap();
    let id = m
        .ec2_in("eu-west-1")
        .run_instances()
        .image_id(crate::harness::AMI)
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .unwrap()
        .instances()[0]
        .instance_id()
        .unwrap()
        .to_string();
    let args = json!({"action": "evaluate_guardrails", "target_tool": "aws_ec2",
        "target_action": "stop_instances", "target_arguments": {"instance_ids": [id]}})
    .to_string();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_espada-aws"))
        .args([
            "--state",
            state.to_str().unwrap(),
            "call",
            "aws_guardrails",
            &args,
        ])
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_CONFIG_FILE", &config)
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            state.with_extension("no-credentials"),
        )
        .env("AWS_PROFILE", "regional")
        .env("AWS_ENDPOINT_URL", &m.url)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("ESPADA_LOG", "warn")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(&text).unwrap();
    let eval = &v["data"]["evaluation"];
    assert_eq!(eval["region"], "eu-west-1", "{v}");
    assert_eq!(eval["environment"], "production", "{v}");
    assert!(
        eval["environment_source"]
            .as_str()
            .unwrap()
            .contains("region eu-west-1"),
        "{v}"
    );
    assert_eq!(v["data"]["decision"], "require_approval", "{v}");
}

/// Issue 9, hole 11: a call's region is checked against the partitions' regions before any
/// client is made, and the client cache keeps a bounded number of contexts.
#[tokio::test]
async fn regions_are_checked_and_the_client_cache_is_bounded() {
    use espada_aws::aws::{KNOWN_REGIONS, MAX_CONTEXTS};
    let d = Dispatcher::new(&offline_settings()).unwrap();
    for region in ["us-east-one", "mars-1", "eu-west-1 ", ""] {
        let e = call(
            &d,
            "aws_ec2",
            json!({"action": "list_instances", "region": region}),
        )
        .await
        .unwrap_err();
        assert_eq!(e["error"], "invalid_input", "{region}: {e}");
        assert!(
            e["message"].as_str().unwrap().contains("unknown region"),
            "{e}"
        );
    }
    assert_eq!(d.aws.cached_contexts(), 0, "no client was made");
    for region in KNOWN_REGIONS {
        let _: aws_sdk_ec2::Client = d
            .aws
            .client(espada_aws::aws::At::home(Some(region)), None)
            .await;
    }
    assert!(KNOWN_REGIONS.len() > MAX_CONTEXTS);
    assert_eq!(d.aws.cached_contexts(), MAX_CONTEXTS);
}

/// Issue 9, hole 11: the rules are read once and kept until any process changes them; a
/// change made by another process (or straight in the file) is seen on the next call.
#[test]
fn rules_are_cached_until_any_process_changes_them() {
    use espada_aws::guardrails::{
        policy::{Effect, PolicyRule},
        store::Store,
    };
    let path = crate::harness::temp_state();
    let a = Store::open(&path).unwrap();
    let b = Store::open(&path).unwrap();
    let first = a.rules().unwrap();
    assert!(std::sync::Arc::ptr_eq(&first, &a.rules().unwrap()), "kept");
    b.add_policy("freeze", None, Effect::Deny, PolicyRule::default())
        .unwrap();
    let second = a.rules().unwrap();
    assert_eq!(second.policies.len(), 1, "another process's change is seen");
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute("DELETE FROM policies", []).unwrap();
    assert!(a.rules().unwrap().policies.is_empty(), "and a direct edit");
    // Audit records and rate-limit slots do not throw the rules away.
    let third = a.rules().unwrap();
    a.append_audit(&Default::default()).unwrap();
    a.reserve_slot(espada_aws::registry::Access::Write)
        .unwrap()
        .unwrap();
    assert!(std::sync::Arc::ptr_eq(&third, &a.rules().unwrap()));
}
