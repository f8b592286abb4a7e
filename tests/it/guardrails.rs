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
