//! Tag lookups fail closed ("Guardrails with no way around", item 2): a mutating call whose
//! targets' tags cannot be read, because the read is throttled or denied, is refused before
//! anything is sent, on every service the guardrails read tags from. Each test runs the calls
//! through `Dispatcher::call` against moto behind the fault proxy, with untagged resources
//! counting as development (the most lenient setting), and checks what moto holds afterwards.

use aws_sdk_autoscaling::types::Tag as AsgTag;
use aws_sdk_ec2::types::{RequestLaunchTemplateData, ResourceType, Tag, TagSpecification};
use aws_sdk_elasticloadbalancingv2::types::{Action as ElbAction, ActionTypeEnum, ProtocolEnum};
use aws_sdk_s3::types::{Tag as S3Tag, Tagging};
use aws_smithy_mocks::{MockResponseInterceptor, RuleMode, create_mock_http_client, mock};
use espada_aws::dispatch::Dispatcher;
use serde_json::{Value, json};

use crate::{
    faults::{Fault, FaultProxy, last_audit, moto_versioning, proxy, via},
    harness::{AMI, Moto, agent, call, moto, offline_settings},
};

/// A refusal because tags could not be read; panics on anything else.
async fn refused(d: &Dispatcher, tool: &str, args: Value) -> String {
    let e = match call(d, tool, args.clone()).await {
        Ok(v) => panic!("{tool} {args} should be refused, got {v}"),
        Err(e) => e,
    };
    assert_eq!(e["error"], "refused", "{args}: {e}");
    let message = e["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("cannot be told") && message.contains("could not be read"),
        "{message}"
    );
    // The audit record says the call was refused and why; it never shows the call as allowed
    // in an environment that was not resolved.
    let record = last_audit(d);
    assert_eq!(record.outcome, "refused", "{record:?}");
    assert!(record.detail.contains("could not be read"), "{record:?}");
    assert_ne!(record.environment.as_deref(), Some("development"));
    message
}

/// Nothing but reads went through the proxy.
fn only_reads(p: &FaultProxy) {
    let writes: Vec<String> = p
        .seen()
        .into_iter()
        .filter(|s| !espada_aws::aws::guard::is_read_operation(&s.operation))
        .map(|s| format!("{}:{}", s.service, s.operation))
        .collect();
    assert!(writes.is_empty(), "mutating requests were sent: {writes:?}");
}

async fn production_bucket(m: &Moto, name: &str) {
    let s3 = m.s3();
    s3.create_bucket().bucket(name).send().await.unwrap();
    s3.put_bucket_tagging()
        .bucket(name)
        .tagging(
            Tagging::builder()
                .tag_set(
                    S3Tag::builder()
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
}

#[tokio::test]
async fn s3_changes_are_refused_while_the_bucket_tags_cannot_be_read() {
    let m = moto().await;
    production_bucket(&m, "prod-data").await;
    let public = json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "Everyone", "Effect": "Allow", "Principal": "*",
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::prod-data/*"}]})
    .to_string();
    for fault in [Fault::Throttle, Fault::Deny] {
        let p = proxy(&m).await;
        p.fault("GetBucketTagging", fault);
        let d = via(&m, &p, 2, false);
        refused(
            &d,
            "aws_s3",
            json!({"action": "set_versioning", "bucket": "prod-data", "versioning": "enabled"}),
        )
        .await;
        refused(
            &d,
            "aws_s3",
            json!({"action": "put_bucket_policy", "bucket": "prod-data", "policy": public}),
        )
        .await;
        assert!(
            !p.seen_op("GetBucketTagging").is_empty(),
            "{fault:?} {:?}",
            p.seen()
        );
        only_reads(&p);
        assert_eq!(moto_versioning(&m, "prod-data"), "", "{fault:?}");
        assert!(
            m.s3()
                .get_bucket_policy()
                .bucket("prod-data")
                .send()
                .await
                .is_err(),
            "no policy was set ({fault:?})"
        );

        // Once AWS answers, the bucket is judged as the production bucket it is.
        p.clear();
        let e = call(
            &d,
            "aws_s3",
            json!({"action": "set_versioning", "bucket": "prod-data", "versioning": "enabled"}),
        )
        .await
        .unwrap_err();
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .contains("production changes need a change request"),
            "{e}"
        );
    }
}

/// Two subnets in two AZs, made with the plain SDK.
async fn subnets(m: &Moto) -> (String, Vec<String>) {
    let ec2 = m.ec2();
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.9.0.0/16")
        .send()
        .await
        .unwrap()
        .vpc()
        .unwrap()
        .vpc_id()
        .unwrap()
        .to_string();
    let mut out = Vec::new();
    for (i, az) in ["us-east-1a", "us-east-1b"].iter().enumerate() {
        out.push(
            ec2.create_subnet()
                .vpc_id(&vpc)
                .cidr_block(format!("10.9.{i}.0/24"))
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
    (vpc, out)
}

#[tokio::test]
async fn auto_scaling_changes_are_refused_while_group_tags_cannot_be_read() {
    let m = moto().await;
    let (_, subnets) = subnets(&m).await;
    m.ec2()
        .create_launch_template()
        .launch_template_name("web")
        .launch_template_data(RequestLaunchTemplateData::builder().image_id(AMI).build())
        .send()
        .await
        .unwrap();
    m.autoscaling()
        .create_auto_scaling_group()
        .auto_scaling_group_name("web")
        .launch_template(
            aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder()
                .launch_template_name("web")
                .build(),
        )
        .min_size(0)
        .max_size(2)
        .vpc_zone_identifier(subnets.join(","))
        .tags(
            AsgTag::builder()
                .resource_id("web")
                .resource_type("auto-scaling-group")
                .key("Environment")
                .value("production")
                .propagate_at_launch(false)
                .build(),
        )
        .send()
        .await
        .unwrap();
    for fault in [Fault::Throttle, Fault::Deny] {
        let p = proxy(&m).await;
        p.fault("autoscaling:DescribeTags", fault);
        let d = via(&m, &p, 2, false);
        refused(
            &d,
            "aws_ec2",
            json!({"action": "update_asg", "auto_scaling_group_name": "web", "max_size": 6}),
        )
        .await;
        // A destructive call is refused too, not offered a confirmation token.
        refused(
            &d,
            "aws_ec2",
            json!({"action": "delete_asg", "auto_scaling_group_name": "web"}),
        )
        .await;
        only_reads(&p);
        let groups = m
            .autoscaling()
            .describe_auto_scaling_groups()
            .auto_scaling_group_names("web")
            .send()
            .await
            .unwrap();
        assert_eq!(groups.auto_scaling_groups()[0].max_size(), Some(2));
    }
}

#[tokio::test]
async fn load_balancer_changes_are_refused_while_their_tags_cannot_be_read() {
    let m = moto().await;
    let (vpc, subnets) = subnets(&m).await;
    let elb = m.elbv2();
    let production = aws_sdk_elasticloadbalancingv2::types::Tag::builder()
        .key("Environment")
        .value("production")
        .build();
    let lb = elb
        .create_load_balancer()
        .name("web")
        .set_subnets(Some(subnets.clone()))
        .tags(production.clone())
        .send()
        .await
        .unwrap()
        .load_balancers()[0]
        .load_balancer_arn()
        .unwrap()
        .to_string();
    let tg = elb
        .create_target_group()
        .name("web")
        .protocol(ProtocolEnum::Http)
        .port(80)
        .vpc_id(&vpc)
        .tags(production)
        .send()
        .await
        .unwrap()
        .target_groups()[0]
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
    let instance = m.launch(1).await.remove(0);
    for fault in [Fault::Throttle, Fault::Deny] {
        let p = proxy(&m).await;
        p.fault("elasticloadbalancing:DescribeTags", fault);
        let d = via(&m, &p, 2, false);
        refused(
            &d,
            "aws_ec2",
            json!({"action": "delete_listener", "listener_arn": listener}),
        )
        .await;
        refused(
            &d,
            "aws_ec2",
            json!({"action": "register_targets", "target_group_arn": tg,
                   "target_ids": [instance]}),
        )
        .await;
        refused(
            &d,
            "aws_ec2",
            json!({"action": "delete_load_balancer", "load_balancer_arn": lb}),
        )
        .await;
        only_reads(&p);
        let listeners = elb
            .describe_listeners()
            .load_balancer_arn(&lb)
            .send()
            .await
            .unwrap();
        assert_eq!(listeners.listeners().len(), 1);
        let health = elb
            .describe_target_health()
            .target_group_arn(&tg)
            .send()
            .await
            .unwrap();
        assert!(health.target_health_descriptions().is_empty());
    }
}

#[tokio::test]
async fn ec2_changes_are_refused_while_tags_cannot_be_read() {
    let m = moto().await;
    let instance = m.launch_in(1, "production").await.remove(0);
    let ec2 = m.ec2();
    let production = || {
        Tag::builder()
            .key("Environment")
            .value("production")
            .build()
    };
    ec2.create_key_pair()
        .key_name("deploy")
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::KeyPair)
                .tags(production())
                .build(),
        )
        .send()
        .await
        .unwrap();
    ec2.create_launch_template()
        .launch_template_name("web")
        .launch_template_data(RequestLaunchTemplateData::builder().image_id(AMI).build())
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::LaunchTemplate)
                .tags(production())
                .build(),
        )
        .send()
        .await
        .unwrap();
    for fault in [Fault::Throttle, Fault::Deny] {
        let p = proxy(&m).await;
        p.fault("ec2:DescribeTags", fault);
        p.fault("DescribeKeyPairs", fault);
        p.fault("DescribeLaunchTemplates", fault);
        let d = via(&m, &p, 2, false);
        refused(
            &d,
            "aws_ec2",
            json!({"action": "stop_instances", "instance_ids": [instance]}),
        )
        .await;
        refused(
            &d,
            "aws_ec2",
            json!({"action": "add_tags", "resource_ids": [instance], "tags": {"Owner": "x"}}),
        )
        .await;
        refused(
            &d,
            "aws_ec2",
            json!({"action": "delete_key_pair", "key_name": "deploy"}),
        )
        .await;
        refused(
            &d,
            "aws_ec2",
            json!({"action": "delete_launch_template", "launch_template_name": "web"}),
        )
        .await;
        only_reads(&p);
        assert_eq!(m.state_of(&instance).await, "running");
        let keys = ec2.describe_key_pairs().send().await.unwrap();
        assert_eq!(keys.key_pairs().len(), 1);
        let templates = ec2.describe_launch_templates().send().await.unwrap();
        assert_eq!(templates.launch_templates().len(), 1);
    }
}

/// moto's Auto Scaling DescribeTags does not page ("Pagination is not yet implemented"), so
/// the paging of the tag lookup is shown with aws-smithy-mocks: the group's environment tag is
/// on the second page, and the call is judged as production only if that page is read.
#[tokio::test]
async fn auto_scaling_tag_lookups_read_every_page_with_smithy_mocks() {
    use aws_sdk_autoscaling::{Client, operation::describe_tags::DescribeTagsOutput};
    let tag = |k: &str, v: &str| {
        aws_sdk_autoscaling::types::TagDescription::builder()
            .resource_id("web")
            .resource_type("auto-scaling-group")
            .key(k)
            .value(v)
            .build()
    };
    let first = mock!(Client::describe_tags)
        .match_requests(|r| r.next_token().is_none())
        .then_output(move || {
            DescribeTagsOutput::builder()
                .tags(tag("Name", "web"))
                .tags(tag("Team", "checkout"))
                .next_token("page-2")
                .build()
        });
    let second = mock!(Client::describe_tags)
        .match_requests(|r| r.next_token() == Some("page-2"))
        .then_output(move || {
            DescribeTagsOutput::builder()
                .tags(tag("Environment", "production"))
                .build()
        });
    let interceptor = MockResponseInterceptor::new()
        .rule_mode(RuleMode::MatchAny)
        .with_rule(&first)
        .with_rule(&second);
    let client = Client::from_conf(
        aws_sdk_autoscaling::Config::builder()
            .behavior_version(aws_sdk_autoscaling::config::BehaviorVersion::latest())
            .region(aws_sdk_autoscaling::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_autoscaling::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .http_client(create_mock_http_client())
            .interceptor(interceptor)
            .build(),
    );
    let d = Dispatcher::new(&offline_settings()).unwrap();
    d.guardrails
        .store
        .set_config(
            "environments",
            &espada_aws::guardrails::environment::EnvironmentConfig {
                default_environment: espada_aws::guardrails::environment::Environment::Development,
                ..Default::default()
            },
        )
        .unwrap();
    d.aws.preset(None, client);
    let tool = d.tool("aws_ec2").unwrap();
    let parsed = d
        .parse(
            tool,
            json!({"action": "update_asg", "auto_scaling_group_name": "web", "max_size": 6})
                .as_object()
                .unwrap()
                .clone(),
        )
        .unwrap();
    let eval = d.evaluate(&parsed, &agent()).await.unwrap();
    assert_eq!(
        eval.environment,
        Some(espada_aws::guardrails::environment::Environment::Production),
        "{eval:?}"
    );
    assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
}
