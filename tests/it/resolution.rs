//! Every resource kind resolves its environment ("Guardrails with no way around", item 3):
//! launch templates, objects (their bucket's), listeners (their load balancer's), target
//! groups, key pairs with tags, and CloudFront distributions (their own tags and their S3
//! origin bucket's). The calls run through `Dispatcher::call` with the shipped defaults, where
//! a resource whose environment is not found counts as production: a development-tagged
//! resource that is judged as production shows a lookup that did not happen. Each case has an
//! untagged twin, judged as production, so that the test can tell the two apart.

use aws_sdk_ec2::types::{RequestLaunchTemplateData, ResourceType, Tag, TagSpecification};
use aws_sdk_elasticloadbalancingv2::types::{Action as ElbAction, ActionTypeEnum, ProtocolEnum};
use espada_aws::dispatch::Dispatcher;
use serde_json::{Value, json};

use crate::harness::{AMI, Moto, call, moto, ok_in, temp_state};

/// The call is held for confirmation as a development call (not refused as production).
async fn development(d: &Dispatcher, tool: &str, args: Value) -> Value {
    let v = ok_in(d, tool, args.clone()).await;
    assert_eq!(v["status"], "confirmation_required", "{args}: {v}");
    assert_eq!(v["plan"]["environment"], "development", "{args}: {v}");
    v
}

/// The call is judged as production: without a change request it is refused.
async fn production(d: &Dispatcher, tool: &str, args: Value) {
    let e = call(d, tool, args.clone()).await.unwrap_err();
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("production changes need a change request"),
        "{args}: {e}"
    );
}

fn env_tag(kind: ResourceType, env: &str) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(kind)
        .tags(Tag::builder().key("Environment").value(env).build())
        .build()
}

fn strict(m: &Moto) -> Dispatcher {
    m.strict_dispatcher(&temp_state())
}

#[tokio::test]
async fn launch_templates_resolve_by_id_and_by_name() {
    let m = moto().await;
    let d = strict(&m);
    let mut ids = Vec::new();
    for (name, tag) in [("dev-web", Some("development")), ("untagged-web", None)] {
        let mut req = m
            .ec2()
            .create_launch_template()
            .launch_template_name(name)
            .launch_template_data(RequestLaunchTemplateData::builder().image_id(AMI).build());
        if let Some(env) = tag {
            req = req.tag_specifications(env_tag(ResourceType::LaunchTemplate, env));
        }
        let out = req.send().await.unwrap();
        ids.push(
            out.launch_template()
                .unwrap()
                .launch_template_id()
                .unwrap()
                .to_string(),
        );
    }
    development(
        &d,
        "aws_ec2",
        json!({"action": "delete_launch_template", "launch_template_id": ids[0]}),
    )
    .await;
    development(
        &d,
        "aws_ec2",
        json!({"action": "delete_launch_template", "launch_template_name": "dev-web"}),
    )
    .await;
    production(
        &d,
        "aws_ec2",
        json!({"action": "delete_launch_template", "launch_template_id": ids[1]}),
    )
    .await;
    production(
        &d,
        "aws_ec2",
        json!({"action": "delete_launch_template", "launch_template_name": "untagged-web"}),
    )
    .await;
}

#[tokio::test]
async fn key_pairs_with_tags_resolve_by_name_and_by_id() {
    let m = moto().await;
    let d = strict(&m);
    let made = m
        .ec2()
        .create_key_pair()
        .key_name("dev-key")
        .tag_specifications(env_tag(ResourceType::KeyPair, "development"))
        .send()
        .await
        .unwrap();
    let id = made.key_pair_id().unwrap().to_string();
    m.ec2()
        .create_key_pair()
        .key_name("plain-key")
        .send()
        .await
        .unwrap();
    development(
        &d,
        "aws_ec2",
        json!({"action": "delete_key_pair", "key_name": "dev-key"}),
    )
    .await;
    development(
        &d,
        "aws_ec2",
        json!({"action": "delete_key_pair", "key_pair_id": id}),
    )
    .await;
    production(
        &d,
        "aws_ec2",
        json!({"action": "delete_key_pair", "key_name": "plain-key"}),
    )
    .await;
}

async fn tagged_bucket(m: &Moto, name: &str, env: Option<&str>) {
    let s3 = m.s3();
    s3.create_bucket().bucket(name).send().await.unwrap();
    if let Some(env) = env {
        s3.put_bucket_tagging()
            .bucket(name)
            .tagging(
                aws_sdk_s3::types::Tagging::builder()
                    .tag_set(
                        aws_sdk_s3::types::Tag::builder()
                            .key("Environment")
                            .value(env)
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn objects_take_their_buckets_environment() {
    let m = moto().await;
    let d = strict(&m);
    tagged_bucket(&m, "dev-assets", Some("development")).await;
    tagged_bucket(&m, "plain-assets", None).await;
    let v = development(
        &d,
        "aws_s3",
        json!({"action": "delete_objects", "bucket": "dev-assets", "keys": ["a.txt", "b.txt"]}),
    )
    .await;
    assert_eq!(v["plan"]["targets"][0]["parent"]["id"], "dev-assets", "{v}");
    development(
        &d,
        "aws_s3",
        json!({"action": "delete_objects", "bucket": "dev-assets", "prefix": "logs/"}),
    )
    .await;
    production(
        &d,
        "aws_s3",
        json!({"action": "delete_objects", "bucket": "plain-assets", "keys": ["a.txt"]}),
    )
    .await;
}

#[tokio::test]
async fn listeners_and_target_groups_resolve() {
    let m = moto().await;
    let d = strict(&m);
    let ec2 = m.ec2();
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.7.0.0/16")
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
        subnets.push(
            ec2.create_subnet()
                .vpc_id(&vpc)
                .cidr_block(format!("10.7.{i}.0/24"))
                .availability_zone(*az)
                .send()
                .await
                .unwrap()
                .subnet()
                .unwrap()
                .subnet_id()
                .unwrap()
                .to_string(),
        );
    }
    let elb = m.elbv2();
    let dev = aws_sdk_elasticloadbalancingv2::types::Tag::builder()
        .key("Environment")
        .value("development")
        .build();
    let mut listeners = Vec::new();
    let mut groups = Vec::new();
    for (name, tagged) in [("dev", true), ("plain", false)] {
        let mut lb = elb
            .create_load_balancer()
            .name(format!("{name}-lb"))
            .set_subnets(Some(subnets.clone()));
        let mut tg = elb
            .create_target_group()
            .name(format!("{name}-tg"))
            .protocol(ProtocolEnum::Http)
            .port(80)
            .vpc_id(&vpc);
        if tagged {
            lb = lb.tags(dev.clone());
            tg = tg.tags(dev.clone());
        }
        let lb = lb.send().await.unwrap().load_balancers()[0]
            .load_balancer_arn()
            .unwrap()
            .to_string();
        let tg = tg.send().await.unwrap().target_groups()[0]
            .target_group_arn()
            .unwrap()
            .to_string();
        let listener = elb
            .create_listener()
            .load_balancer_arn(&lb)
            .protocol(ProtocolEnum::Http)
            .port(80)
            .default_actions(
                ElbAction::builder()
                    .r#type(ActionTypeEnum::Forward)
                    .target_group_arn(&tg)
                    .build(),
            )
            .send()
            .await
            .unwrap()
            .listeners()[0]
            .listener_arn()
            .unwrap()
            .to_string();
        listeners.push(listener);
        groups.push(tg);
    }
    let v = development(
        &d,
        "aws_ec2",
        json!({"action": "delete_listener", "listener_arn": listeners[0]}),
    )
    .await;
    assert_eq!(v["plan"]["targets"][0]["parent"]["kind"], "load-balancer");
    development(
        &d,
        "aws_ec2",
        json!({"action": "delete_target_group", "target_group_arn": groups[0]}),
    )
    .await;
    production(
        &d,
        "aws_ec2",
        json!({"action": "delete_listener", "listener_arn": listeners[1]}),
    )
    .await;
    production(
        &d,
        "aws_ec2",
        json!({"action": "delete_target_group", "target_group_arn": groups[1]}),
    )
    .await;
}

#[tokio::test]
async fn distributions_resolve_from_their_tags_and_their_origin_bucket() {
    let m = moto().await;
    let d = strict(&m);
    let lenient = m.dispatcher();
    tagged_bucket(&m, "dev-site", Some("development")).await;
    tagged_bucket(&m, "prod-site", None).await;
    let cf = m.cloudfront();
    let mut ids = Vec::new();
    for bucket in ["dev-site", "prod-site"] {
        let created = crate::faults::agreed(
            &lenient,
            "aws_s3",
            json!({"action": "create_distribution", "bucket": bucket}),
        )
        .await
        .unwrap();
        let arn = created["data"]["arn"].as_str().unwrap().to_string();
        cf.tag_resource()
            .resource(&arn)
            .tags(
                aws_sdk_cloudfront::types::Tags::builder()
                    .items(
                        aws_sdk_cloudfront::types::Tag::builder()
                            .key("Environment")
                            .value("development")
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap();
        ids.push(
            created["data"]["distribution_id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    // The second bucket becomes production once its distribution exists.
    m.s3()
        .put_bucket_tagging()
        .bucket("prod-site")
        .tagging(
            aws_sdk_s3::types::Tagging::builder()
                .tag_set(
                    aws_sdk_s3::types::Tag::builder()
                        .key("Environment")
                        .value("production")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    // Tagged development, in front of a development bucket: development.
    development(
        &d,
        "aws_s3",
        json!({"action": "disable_distribution", "distribution_id": ids[0]}),
    )
    .await;
    // Tagged development, in front of a production bucket: the stricter, production.
    production(
        &d,
        "aws_s3",
        json!({"action": "disable_distribution", "distribution_id": ids[1]}),
    )
    .await;
}
