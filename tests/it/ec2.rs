//! Every aws_ec2 action against moto, checking what moto holds afterwards with a plain client.

use aws_sdk_ec2::types::{ImageAttributeName, InstanceAttributeName};
use serde_json::json;

use crate::harness::{AMI, confirmed, err, ids, moto, ok, try_confirmed_in};

#[tokio::test]
async fn instance_lifecycle() {
    let m = moto().await;
    let d = m.dispatcher();
    // Setting an environment tag is a high-risk change: confirmed first.
    let created = confirmed(
        &d,
        json!({
            "action": "create_instances", "image_id": AMI, "instance_type": "t3.small", "count": 2,
            "user_data": "#!/bin/sh\necho hi", "tags": {"Name": "web", "Environment": "dev"}
        }),
    )
    .await;
    let launched = ids(&created, "instances", "instance_id");
    assert_eq!(launched.len(), 2);
    let r = m
        .ec2()
        .describe_instances()
        .set_instance_ids(Some(launched.clone()))
        .send()
        .await
        .unwrap();
    let held: Vec<_> = r
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .collect();
    assert_eq!(held.len(), 2);
    for i in &held {
        assert_eq!(i.instance_type().unwrap().as_str(), "t3.small");
        assert!(
            i.tags()
                .iter()
                .any(|t| t.key() == Some("Environment") && t.value() == Some("dev"))
        );
    }
    let ud = m
        .ec2()
        .describe_instance_attribute()
        .instance_id(&launched[0])
        .attribute(InstanceAttributeName::UserData)
        .send()
        .await
        .unwrap();
    assert!(
        ud.user_data().and_then(|u| u.value()).is_some(),
        "user data stored"
    );

    // An untagged instance that the filters must leave out.
    let other = m.launch(1).await;
    let by_tag = ok(
        &d,
        json!({"action": "list_instances", "tags": {"Environment": "dev"}}),
    )
    .await;
    let mut listed = ids(&by_tag, "instances", "instance_id");
    listed.sort();
    let mut want = launched.clone();
    want.sort();
    assert_eq!(listed, want);
    let by_id = ok(
        &d,
        json!({"action": "list_instances", "instance_ids": [other[0]]}),
    )
    .await;
    assert_eq!(ids(&by_id, "instances", "instance_id"), other);

    let one = &launched[0];
    let detail = ok(
        &d,
        json!({"action": "describe_instance", "instance_id": one}),
    )
    .await;
    assert_eq!(detail["data"]["instance_id"], json!(one));
    assert_eq!(detail["data"]["termination_protection"], json!(false));
    assert_eq!(detail["data"]["tags"]["Name"], "web");

    confirmed(
        &d,
        json!({"action": "stop_instances", "instance_ids": [one], "force": true}),
    )
    .await;
    let waited = ok(&d, json!({"action": "wait_for_state", "instance_ids": [one], "state": "stopped", "timeout_seconds": 20})).await;
    assert_eq!(waited["data"]["reached"], json!(true), "{waited}");
    assert_eq!(m.state_of(one).await, "stopped");
    let stopped = ok(&d, json!({"action": "list_instances", "state": "stopped"})).await;
    assert_eq!(ids(&stopped, "instances", "instance_id"), vec![one.clone()]);

    // Instance type changes need a stopped instance.
    confirmed(&d, json!({"action": "modify_instance_attribute", "instance_id": one, "instance_type": "t3.large"})).await;
    let t = m
        .ec2()
        .describe_instance_attribute()
        .instance_id(one)
        .attribute(InstanceAttributeName::InstanceType)
        .send()
        .await
        .unwrap();
    assert_eq!(t.instance_type().and_then(|v| v.value()), Some("t3.large"));

    ok(
        &d,
        json!({"action": "start_instances", "instance_ids": [one]}),
    )
    .await;
    assert_eq!(m.state_of(one).await, "running");
    let rebooted = confirmed(
        &d,
        json!({"action": "reboot_instances", "instance_ids": [one]}),
    )
    .await;
    assert_eq!(rebooted["data"]["rebooting"], json!([one]));
    assert_eq!(m.state_of(one).await, "running");

    let status = ok(
        &d,
        json!({"action": "get_instance_status", "instance_ids": launched}),
    )
    .await;
    assert_eq!(
        status["data"]["statuses"].as_array().unwrap().len(),
        2,
        "{status}"
    );

    // Termination protection on, then a terminate is refused by AWS and the instance lives.
    confirmed(&d, json!({"action": "modify_instance_attribute", "instance_id": one, "disable_api_termination": true})).await;
    let p = m
        .ec2()
        .describe_instance_attribute()
        .instance_id(one)
        .attribute(InstanceAttributeName::DisableApiTermination)
        .send()
        .await
        .unwrap();
    assert_eq!(
        p.disable_api_termination().and_then(|v| v.value()),
        Some(true)
    );
    let d2 = ok(
        &d,
        json!({"action": "describe_instance", "instance_id": one}),
    )
    .await;
    assert_eq!(d2["data"]["termination_protection"], json!(true));
    confirmed(&d, json!({"action": "modify_instance_attribute", "instance_id": one, "disable_api_termination": false})).await;

    let gone = confirmed(
        &d,
        json!({"action": "terminate_instances", "instance_ids": launched}),
    )
    .await;
    assert_eq!(gone["data"]["instances"].as_array().unwrap().len(), 2);
    for id in &launched {
        assert_eq!(m.state_of(id).await, "terminated");
    }
    assert_eq!(m.state_of(&other[0]).await, "running");
}

#[tokio::test]
async fn modify_needs_an_attribute_and_wait_reports_timeouts() {
    let m = moto().await;
    let d = m.dispatcher();
    let id = m.launch(1).await.remove(0);
    let e = err(
        &d,
        json!({"action": "modify_instance_attribute", "instance_id": id}),
    )
    .await;
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("at least one attribute"),
        "{e}"
    );
    // Running never becomes stopped by itself: the bounded wait says so instead of hanging.
    let w = ok(&d, json!({"action": "wait_for_state", "instance_ids": [id], "state": "stopped", "timeout_seconds": 1})).await;
    assert_eq!(w["data"]["reached"], json!(false));
    assert_eq!(w["data"]["states"][&id], "running");
}

#[tokio::test]
async fn tags() {
    let m = moto().await;
    let d = m.dispatcher();
    let id = m.launch(1).await.remove(0);
    confirmed(
        &d,
        json!({"action": "add_tags", "resource_ids": [id], "tags": {"team": "web", "cost": "42"}}),
    )
    .await;
    let tags = |c: aws_sdk_ec2::Client, id: String| async move {
        let r = c
            .describe_tags()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("resource-id")
                    .values(id)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let mut keys: Vec<String> = r
            .tags()
            .iter()
            .map(|t| t.key().unwrap().to_string())
            .collect();
        keys.sort();
        keys
    };
    assert_eq!(tags(m.ec2(), id.clone()).await, vec!["cost", "team"]);
    confirmed(
        &d,
        json!({"action": "remove_tags", "resource_ids": [id], "tag_keys": ["cost"]}),
    )
    .await;
    assert_eq!(tags(m.ec2(), id.clone()).await, vec!["team"]);
}

#[tokio::test]
async fn key_pairs() {
    let m = moto().await;
    let d = m.dispatcher();
    let created = ok(
        &d,
        json!({"action": "create_key_pair", "key_name": "deploy", "tags": {"team": "ops"}}),
    )
    .await;
    assert!(
        created["data"]["private_key"]
            .as_str()
            .unwrap()
            .contains("PRIVATE KEY")
    );
    let public =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICpBkHNcEbZAwJBlBLI6NsdRabCZEstpK7xoKXmKgNOG test";
    ok(
        &d,
        json!({"action": "import_key_pair", "key_name": "laptop", "public_key": public}),
    )
    .await;
    let held = m.ec2().describe_key_pairs().send().await.unwrap();
    let mut names: Vec<&str> = held
        .key_pairs()
        .iter()
        .filter_map(|k| k.key_name())
        .collect();
    names.sort();
    assert_eq!(names, ["deploy", "laptop"]);
    let listed = ok(&d, json!({"action": "list_key_pairs"})).await;
    assert_eq!(listed["data"]["key_pairs"].as_array().unwrap().len(), 2);
    assert!(
        listed.to_string().find("PRIVATE KEY").is_none(),
        "listing never shows private keys"
    );

    let dup = err(
        &d,
        json!({"action": "create_key_pair", "key_name": "deploy"}),
    )
    .await;
    assert_eq!(dup["code"], "InvalidKeyPair.Duplicate", "{dup}");
    let none = err(&d, json!({"action": "delete_key_pair"})).await;
    assert!(
        none["message"]
            .as_str()
            .unwrap()
            .contains("exactly one of key_name or key_pair_id")
    );

    confirmed(
        &d,
        json!({"action": "delete_key_pair", "key_name": "deploy"}),
    )
    .await;
    let held = m.ec2().describe_key_pairs().send().await.unwrap();
    let names: Vec<&str> = held
        .key_pairs()
        .iter()
        .filter_map(|k| k.key_name())
        .collect();
    assert_eq!(names, ["laptop"]);
}

#[tokio::test]
async fn amis() {
    let m = moto().await;
    let d = m.dispatcher();
    let id = m.launch(1).await.remove(0);
    // Own AMIs by default: none yet, although moto ships Amazon ones.
    let own = ok(&d, json!({"action": "list_amis"})).await;
    assert_eq!(own["data"]["images"], json!([]), "{own}");
    let amazon = ok(
        &d,
        json!({"action": "list_amis", "owners": ["amazon"], "max_results": 3}),
    )
    .await;
    assert_eq!(amazon["data"]["images"].as_array().unwrap().len(), 3);
    assert!(amazon["next_token"].is_string());

    // Without no_reboot the instance reboots: a high-risk call, confirmed first.
    let made = confirmed(&d, json!({"action": "create_ami", "instance_id": id, "name": "web-golden", "description": "golden", "tags": {"team": "web"}})).await;
    let image = made["data"]["image_id"].as_str().unwrap().to_string();
    let held = m
        .ec2()
        .describe_images()
        .image_ids(&image)
        .send()
        .await
        .unwrap();
    assert_eq!(held.images()[0].name(), Some("web-golden"));
    let own = ok(&d, json!({"action": "list_amis"})).await;
    assert_eq!(ids(&own, "images", "image_id"), vec![image.clone()]);
    let by_name = ok(&d, json!({"action": "list_amis", "name_pattern": "web-*"})).await;
    assert_eq!(ids(&by_name, "images", "image_id"), vec![image.clone()]);

    confirmed(
        &d,
        json!({"action": "modify_ami_attribute", "image_id": image, "description": "golden v2",
                  "launch_permission_add": ["111122223333"]}),
    )
    .await;
    let perms = m
        .ec2()
        .describe_image_attribute()
        .image_id(&image)
        .attribute(ImageAttributeName::LaunchPermission)
        .send()
        .await
        .unwrap();
    assert_eq!(
        perms.launch_permissions()[0].user_id(),
        Some("111122223333")
    );
    // moto ignores description changes; mocked.rs checks the request instead.

    // Copy into another region through the per-call region field.
    let copied = ok(
        &d,
        json!({"action": "copy_ami", "source_image_id": image, "source_region": "us-east-1",
                               "name": "web-golden-eu", "region": "eu-west-1"}),
    )
    .await;
    let copy_id = copied["data"]["image_id"].as_str().unwrap();
    let eu = m
        .ec2_in("eu-west-1")
        .describe_images()
        .image_ids(copy_id)
        .send()
        .await
        .unwrap();
    assert_eq!(eu.images()[0].name(), Some("web-golden-eu"));

    let snaps: Vec<String> = held.images()[0]
        .block_device_mappings()
        .iter()
        .filter_map(|b| b.ebs().and_then(|e| e.snapshot_id()).map(str::to_string))
        .collect();
    let out = confirmed(
        &d,
        json!({"action": "deregister_ami", "image_id": image, "delete_snapshots": true}),
    )
    .await;
    assert_eq!(out["data"]["deleted_snapshot_ids"], json!(snaps));
    let after = m
        .ec2()
        .describe_images()
        .owners("self")
        .send()
        .await
        .unwrap();
    assert!(
        after
            .images()
            .iter()
            .all(|i| i.image_id() != Some(image.as_str()))
    );
    for s in &snaps {
        assert!(
            m.ec2()
                .describe_snapshots()
                .snapshot_ids(s)
                .send()
                .await
                .is_err(),
            "snapshot {s} deleted"
        );
    }
}

#[tokio::test]
async fn launch_templates() {
    let m = moto().await;
    let d = m.dispatcher();
    let made = ok(
        &d,
        json!({"action": "create_launch_template", "launch_template_name": "web",
        "image_id": AMI, "instance_type": "t3.micro", "user_data": "#!/bin/sh", "description": "v1",
        "tags": {"team": "web"}}),
    )
    .await;
    let lt = made["data"]["launch_template_id"]
        .as_str()
        .unwrap()
        .to_string();
    let held = m
        .ec2()
        .describe_launch_templates()
        .launch_template_ids(&lt)
        .send()
        .await
        .unwrap();
    assert_eq!(
        held.launch_templates()[0].launch_template_name(),
        Some("web")
    );

    let listed = ok(&d, json!({"action": "list_launch_templates"})).await;
    assert_eq!(
        ids(&listed, "launch_templates", "launch_template_id"),
        vec![lt.clone()]
    );
    let versions = ok(
        &d,
        json!({"action": "get_launch_template_versions", "launch_template_name": "web"}),
    )
    .await;
    let v = &versions["data"]["versions"][0];
    assert_eq!(v["image_id"], AMI);
    assert_eq!(v["instance_type"], "t3.micro");
    assert_eq!(v["has_user_data"], json!(true));
    let both = err(&d, json!({"action": "get_launch_template_versions"})).await;
    assert!(both["message"].as_str().unwrap().contains("exactly one"));

    confirmed(
        &d,
        json!({"action": "delete_launch_template", "launch_template_id": lt}),
    )
    .await;
    let held = m.ec2().describe_launch_templates().send().await.unwrap();
    assert!(held.launch_templates().is_empty());
}

#[tokio::test]
async fn dry_run_validates_without_changing_anything() {
    let m = moto().await;
    let d = m.dispatcher();
    let id = m.launch(1).await.remove(0);
    let r = ok(
        &d,
        json!({"action": "stop_instances", "instance_ids": [id], "dry_run": true}),
    )
    .await;
    assert_eq!(
        r["data"],
        json!({"dry_run": true, "would_succeed": true}),
        "{r}"
    );
    assert_eq!(m.state_of(&id).await, "running");

    let r = ok(
        &d,
        json!({"action": "create_instances", "image_id": AMI, "count": 3, "dry_run": true}),
    )
    .await;
    assert_eq!(r["data"]["would_succeed"], json!(true));
    let all = m.ec2().describe_instances().send().await.unwrap();
    assert_eq!(
        all.reservations()
            .iter()
            .map(|r| r.instances().len())
            .sum::<usize>(),
        1
    );

    // A destructive dry run needs no confirmation, since nothing changes.
    let r = ok(
        &d,
        json!({"action": "terminate_instances", "instance_ids": [id], "dry_run": true}),
    )
    .await;
    assert_eq!(r["data"]["would_succeed"], json!(true), "{r}");
    assert_eq!(m.state_of(&id).await, "running");

    let r = ok(
        &d,
        json!({"action": "modify_instance_attribute", "instance_id": id,
        "disable_api_termination": true, "source_dest_check": false, "dry_run": true}),
    )
    .await;
    assert_eq!(
        r["data"]["attributes"],
        json!(["disable_api_termination", "source_dest_check"]),
        "{r}"
    );
    let p = m
        .ec2()
        .describe_instance_attribute()
        .instance_id(&id)
        .attribute(InstanceAttributeName::DisableApiTermination)
        .send()
        .await
        .unwrap();
    assert_eq!(
        p.disable_api_termination().and_then(|v| v.value()),
        Some(false)
    );

    let r = ok(
        &d,
        json!({"action": "create_key_pair", "key_name": "k", "dry_run": true}),
    )
    .await;
    assert_eq!(r["data"]["would_succeed"], json!(true));
    assert!(
        m.ec2()
            .describe_key_pairs()
            .send()
            .await
            .unwrap()
            .key_pairs()
            .is_empty()
    );
}

#[tokio::test]
async fn lists_page_to_completion() {
    let m = moto().await;
    let d = m.dispatcher();
    let mut launched = m.launch(7).await;
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut args = json!({"action": "list_instances", "max_results": 3});
        if let Some(t) = &token {
            args["next_token"] = json!(t);
        }
        let page = ok(&d, args).await;
        let got = ids(&page, "instances", "instance_id");
        assert!(got.len() <= 3);
        seen.extend(got);
        pages += 1;
        match page["next_token"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    seen.sort();
    launched.sort();
    assert_eq!(seen, launched);
}

#[tokio::test]
async fn aws_errors_come_back_with_code_and_hint() {
    let m = moto().await;
    let d = m.dispatcher();
    // A high-risk call is confirmed first; AWS's error comes back on the confirmed call.
    let e = try_confirmed_in(
        &d,
        "aws_ec2",
        json!({"action": "stop_instances", "instance_ids": ["i-0000000000000dead"]}),
    )
    .await
    .unwrap_err();
    assert_eq!(e["error"], "aws");
    assert_eq!(e["code"], "InvalidInstanceID.NotFound");
    assert!(e["hint"].as_str().unwrap().contains("list_instances"));
    let e = err(
        &d,
        json!({"action": "describe_instance", "instance_id": "i-0000000000000dead"}),
    )
    .await;
    assert_eq!(e["code"], "InvalidInstanceID.NotFound");
    let e = err(
        &d,
        json!({"action": "create_instances", "image_id": AMI, "count": 500}),
    )
    .await;
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("count must be between 1 and 20")
    );
}
