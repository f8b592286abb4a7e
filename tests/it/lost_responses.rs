//! No duplicate or orphaned creates after a lost answer ("Guardrails with no way around",
//! item 9). Through the fault proxy: a create whose answer is dropped after moto ran it is
//! either repeated with the same idempotency token (so AWS makes it once), or, where the API
//! has none, not repeated and reported as an unknown outcome whose `details.check` names the
//! read that tells; the tests follow that read. Multi-step creates that stop half-way say what
//! exists now.

use espada_aws::dispatch::Dispatcher;
use serde_json::{Value, json};

use crate::{
    faults::{Fault, FaultProxy, agreed, proxy, via},
    harness::{AMI, Moto, call, moto, ok_in},
};

/// A tool error, panicking on success.
async fn failed(d: &Dispatcher, tool: &str, args: Value) -> Value {
    match call(d, tool, args.clone()).await {
        Ok(v) => panic!("{tool} {args} should fail, got {v}"),
        Err(e) => e,
    }
}

/// The error of a create whose answer was lost: outcome unknown, sent once, and the check it
/// names finds exactly one resource in `list` (a key of the check's result data) whose JSON
/// holds `needle` (by default the call's token, which the resource carries as a tag).
async fn unknown_and_checked(
    d: &Dispatcher,
    p: &FaultProxy,
    operation: &str,
    e: &Value,
    list: &str,
    needle: Option<&str>,
) -> Value {
    assert_eq!(e["error"], "precondition_failed", "{e}");
    assert_eq!(e["details"]["outcome"], "unknown", "{e}");
    assert_eq!(e["details"]["operation"], operation, "{e}");
    let message = e["message"].as_str().unwrap();
    assert!(
        message.contains("answer was lost") && message.contains("not sent again"),
        "{message}"
    );
    assert_eq!(p.seen_op(operation).len(), 1, "{operation} was sent again");
    // Follow the check the error names: it finds the one resource the call made.
    p.clear();
    let check = &e["details"]["check"];
    let mut args = check["arguments"].as_object().unwrap().clone();
    args.insert("action".into(), check["action"].clone());
    let found = ok_in(d, check["tool"].as_str().unwrap(), Value::Object(args)).await;
    let token = call_token_in(e);
    let needle = needle.unwrap_or(&token);
    let items: Vec<Value> = found["data"][list]
        .as_array()
        .unwrap_or_else(|| panic!("{found}"))
        .iter()
        .filter(|i| i.to_string().contains(needle))
        .cloned()
        .collect();
    assert_eq!(items.len(), 1, "{needle} in {found}");
    items[0].clone()
}

/// The call token an unknown-outcome error names in what to look for.
fn call_token_in(e: &Value) -> String {
    let look = e["details"]["look_for"].as_str().unwrap_or_default();
    look.split("espada:call=")
        .nth(1)
        .map(|t| t.trim_end_matches(')').to_string())
        .unwrap_or_default()
}

async fn vpcs_with(m: &Moto, cidr: &str) -> usize {
    m.ec2()
        .describe_vpcs()
        .send()
        .await
        .unwrap()
        .vpcs()
        .iter()
        .filter(|v| v.cidr_block() == Some(cidr))
        .count()
}

#[tokio::test]
async fn a_vpc_whose_answer_is_lost_is_made_once_and_reported_unknown() {
    let m = moto().await;
    let p = proxy(&m).await;
    p.fault("CreateVpc", Fault::DropResponse);
    let d = via(&m, &p, 3, false);
    let e = failed(
        &d,
        "aws_network",
        json!({"action": "create_vpc", "cidr_block": "10.1.0.0/16", "name": "lost"}),
    )
    .await;
    let vpc = unknown_and_checked(&d, &p, "CreateVpc", &e, "vpcs", None).await;
    assert_eq!(vpc["cidr_block"], "10.1.0.0/16", "{vpc}");
    assert_eq!(vpcs_with(&m, "10.1.0.0/16").await, 1);
}

#[tokio::test]
async fn creates_without_a_token_are_not_repeated_after_a_reset_or_a_server_error() {
    let m = moto().await;
    for fault in [Fault::Reset, Fault::ServerError] {
        let p = proxy(&m).await;
        p.fault("CreateVpc", fault);
        let d = via(&m, &p, 3, false);
        let e = failed(
            &d,
            "aws_network",
            json!({"action": "create_vpc", "cidr_block": "10.2.0.0/16"}),
        )
        .await;
        assert_eq!(e["details"]["outcome"], "unknown", "{fault:?}: {e}");
        assert_eq!(p.seen_op("CreateVpc").len(), 1, "{fault:?}");
        // The proxy never forwarded it: the check finds nothing, so the call can be repeated.
        assert_eq!(vpcs_with(&m, "10.2.0.0/16").await, 0);
    }
}

#[tokio::test]
async fn throttled_creates_are_retried() {
    let m = moto().await;
    let p = proxy(&m).await;
    p.fault_times("CreateVpc", Fault::Throttle, 1);
    let d = via(&m, &p, 3, false);
    let v = ok_in(
        &d,
        "aws_network",
        json!({"action": "create_vpc", "cidr_block": "10.3.0.0/16"}),
    )
    .await;
    assert!(v["summary"].as_str().unwrap().starts_with("Created vpc-"));
    assert_eq!(p.seen_op("CreateVpc").len(), 2);
    assert_eq!(vpcs_with(&m, "10.3.0.0/16").await, 1);
}

#[tokio::test]
async fn instances_are_launched_once_with_one_client_token() {
    let m = moto().await;
    let p = proxy(&m).await;
    p.emulate_client_token_idempotency();
    p.fault_times("RunInstances", Fault::DropResponse, 1);
    let d = via(&m, &p, 3, false);
    let v = ok_in(
        &d,
        "aws_ec2",
        json!({"action": "create_instances", "image_id": AMI, "count": 2}),
    )
    .await;
    assert_eq!(v["data"]["instances"].as_array().unwrap().len(), 2, "{v}");
    let sent = p.seen_op("RunInstances");
    assert_eq!(sent.len(), 2, "the SDK retried the lost request");
    let token = sent[0].param("ClientToken").expect("a ClientToken");
    assert_eq!(sent[1].param("ClientToken"), Some(token.clone()));
    let all = m.ec2().describe_instances().send().await.unwrap();
    let n: usize = all.reservations().iter().map(|r| r.instances().len()).sum();
    assert_eq!(n, 2, "one launch of two instances");
}

async fn vpc(m: &Moto) -> String {
    m.ec2()
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .send()
        .await
        .unwrap()
        .vpc()
        .unwrap()
        .vpc_id()
        .unwrap()
        .to_string()
}

async fn subnet(m: &Moto, vpc: &str, cidr: &str, az: &str) -> String {
    m.ec2()
        .create_subnet()
        .vpc_id(vpc)
        .cidr_block(cidr)
        .availability_zone(az)
        .send()
        .await
        .unwrap()
        .subnet()
        .unwrap()
        .subnet_id()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn creates_without_a_token_report_an_unknown_outcome_and_the_check_finds_them() {
    let m = moto().await;
    let vpc = vpc(&m).await;
    let subnets = [
        subnet(&m, &vpc, "10.0.1.0/24", "us-east-1a").await,
        subnet(&m, &vpc, "10.0.2.0/24", "us-east-1b").await,
    ];
    let instance = m.launch(1).await.remove(0);
    m.ec2()
        .create_launch_template()
        .launch_template_name("web")
        .launch_template_data(
            aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
                .image_id(AMI)
                .build(),
        )
        .send()
        .await
        .unwrap();
    // (tool, arguments, operation, list in the check's result, what identifies the resource)
    let cases: Vec<(&str, Value, &str, &str, Option<&str>)> = vec![
        (
            "aws_network",
            json!({"action": "create_subnet", "vpc_id": vpc, "cidr_block": "10.0.9.0/24"}),
            "CreateSubnet",
            "subnets",
            None,
        ),
        (
            "aws_network",
            json!({"action": "create_internet_gateway", "vpc_id": vpc}),
            "CreateInternetGateway",
            "internet_gateways",
            None,
        ),
        (
            "aws_network",
            json!({"action": "allocate_elastic_ip", "name": "lost-ip"}),
            "AllocateAddress",
            "elastic_ips",
            None,
        ),
        (
            "aws_network",
            json!({"action": "create_security_group", "group_name": "lost-sg",
                   "description": "lost", "vpc_id": vpc}),
            "CreateSecurityGroup",
            "security_groups",
            Some("lost-sg"),
        ),
        (
            "aws_ec2",
            json!({"action": "import_key_pair", "key_name": "lost-laptop", "public_key":
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICpBkHNcEbZAwJBlBLI6NsdRabCZEstpK7xoKXmKgNOG t"}),
            "ImportKeyPair",
            "key_pairs",
            Some("lost-laptop"),
        ),
        (
            "aws_ec2",
            json!({"action": "create_ami", "instance_id": instance, "name": "lost-ami",
                   "no_reboot": true}),
            "CreateImage",
            "images",
            Some("lost-ami"),
        ),
        (
            "aws_ec2",
            json!({"action": "create_asg", "auto_scaling_group_name": "lost-asg",
                   "launch_template_name": "web", "min_size": 0, "max_size": 1,
                   "subnet_ids": subnets}),
            "CreateAutoScalingGroup",
            "auto_scaling_groups",
            Some("lost-asg"),
        ),
    ];
    for (tool, args, operation, list, needle) in cases {
        let p = proxy(&m).await;
        p.fault(operation, Fault::DropResponse);
        let d = via(&m, &p, 3, false);
        let e = failed(&d, tool, args).await;
        unknown_and_checked(&d, &p, operation, &e, list, needle).await;
    }
}

#[tokio::test]
async fn a_key_pair_whose_answer_is_lost_says_its_private_key_is_lost() {
    let m = moto().await;
    let p = proxy(&m).await;
    p.fault("CreateKeyPair", Fault::DropResponse);
    let d = via(&m, &p, 3, false);
    let e = failed(
        &d,
        "aws_ec2",
        json!({"action": "create_key_pair", "key_name": "deploy"}),
    )
    .await;
    unknown_and_checked(&d, &p, "CreateKeyPair", &e, "key_pairs", Some("deploy")).await;
    assert_eq!(e["details"]["private_key_delivered"], false, "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("private key could not be delivered"),
        "{e}"
    );
    assert!(
        e["hint"]
            .as_str()
            .unwrap()
            .contains("delete_key_pair key_name deploy"),
        "{e}"
    );
    // Not a word of success, and no key material anywhere in the error.
    assert!(!e.to_string().contains("PRIVATE KEY"), "{e}");
}

#[tokio::test]
async fn a_bucket_whose_answer_is_lost_is_checked_by_name() {
    let m = moto().await;
    let p = proxy(&m).await;
    p.fault("CreateBucket", Fault::DropResponse);
    let d = via(&m, &p, 3, false);
    let e = failed(
        &d,
        "aws_s3",
        json!({"action": "create_bucket", "bucket": "lost-bucket"}),
    )
    .await;
    assert_eq!(e["details"]["outcome"], "unknown", "{e}");
    assert_eq!(p.seen_op("CreateBucket").len(), 1);
    assert_eq!(e["details"]["check"]["action"], "get_bucket_info", "{e}");
    assert_eq!(
        e["details"]["not_done"][0], "block public access",
        "the later steps are named: {e}"
    );
    p.clear();
    let info = ok_in(
        &d,
        "aws_s3",
        json!({"action": "get_bucket_info", "bucket": "lost-bucket"}),
    )
    .await;
    assert_eq!(info["data"]["bucket"], "lost-bucket", "{info}");
}

/// Requests of `operation` the proxy saw: two, carrying one and the same ClientToken.
fn one_token_twice(p: &FaultProxy, operation: &str) {
    let sent = p.seen_op(operation);
    assert_eq!(
        sent.len(),
        2,
        "{operation}: the SDK retried the lost request"
    );
    let token = sent[0]
        .param("ClientToken")
        .unwrap_or_else(|| panic!("{operation} carries a ClientToken"));
    assert!(token.starts_with("espada-"), "{token}");
    assert_eq!(sent[1].param("ClientToken"), Some(token), "{operation}");
}

#[tokio::test]
async fn creates_with_a_token_repeat_it_when_the_answer_is_lost() {
    let m = moto().await;
    let vpc = vpc(&m).await;
    let subnet = subnet(&m, &vpc, "10.0.1.0/24", "us-east-1a").await;
    m.s3()
        .create_bucket()
        .bucket("flow-logs")
        .send()
        .await
        .unwrap();
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "aws_network",
            json!({"action": "create_nat_gateway", "subnet_id": subnet}),
            "CreateNatGateway",
        ),
        (
            "aws_network",
            json!({"action": "create_route_table", "vpc_id": vpc}),
            "CreateRouteTable",
        ),
        (
            "aws_network",
            json!({"action": "create_vpc_endpoint", "vpc_id": vpc, "service_name": "s3"}),
            "CreateVpcEndpoint",
        ),
        (
            "aws_network",
            json!({"action": "configure_flow_logs", "resource_ids": [vpc],
                   "s3_bucket_arn": "arn:aws:s3:::flow-logs"}),
            "CreateFlowLogs",
        ),
        (
            "aws_ec2",
            json!({"action": "create_launch_template", "launch_template_name": "tokened",
                   "image_id": AMI}),
            "CreateLaunchTemplate",
        ),
        (
            "aws_ec2",
            json!({"action": "copy_ami", "source_image_id": AMI, "source_region": "us-east-1",
                   "name": "copied"}),
            "CopyImage",
        ),
    ];
    for (tool, args, operation) in cases {
        let p = proxy(&m).await;
        p.emulate_client_token_idempotency();
        p.fault_times(operation, Fault::DropResponse, 1);
        let d = via(&m, &p, 3, false);
        ok_in(&d, tool, args).await;
        one_token_twice(&p, operation);
    }
}

/// A create that stopped half-way: a precondition error naming what was done, what exists
/// and what was not done.
fn partial(e: &Value, failed_step: &str) {
    assert_eq!(e["error"], "precondition_failed", "{e}");
    assert_eq!(e["details"]["outcome"], "partial", "{e}");
    assert_eq!(e["details"]["not_done"][0], failed_step, "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains(&format!("could not {failed_step}")),
        "{e}"
    );
}

#[tokio::test]
async fn a_bucket_whose_public_access_block_fails_says_it_exists_without_one() {
    let m = moto().await;
    let p = proxy(&m).await;
    p.fault("PutPublicAccessBlock", Fault::Deny);
    let d = via(&m, &p, 1, false);
    let e = failed(
        &d,
        "aws_s3",
        json!({"action": "create_bucket", "bucket": "half-made", "enable_versioning": true}),
    )
    .await;
    partial(&e, "block public access");
    assert_eq!(e["details"]["exists"]["bucket"], "half-made", "{e}");
    assert_eq!(
        e["details"]["not_done"],
        json!([
            "block public access",
            "turn on SSE-S3 (AES256) encryption",
            "turn on versioning"
        ]),
        "{e}"
    );
    assert!(
        e["hint"]
            .as_str()
            .unwrap()
            .contains("WITHOUT its public access block"),
        "{e}"
    );
    assert!(
        m.s3()
            .get_public_access_block()
            .bucket("half-made")
            .send()
            .await
            .is_err(),
        "moto holds the bucket without a public access block"
    );
}

#[tokio::test]
async fn an_internet_gateway_that_cannot_be_attached_is_named() {
    let m = moto().await;
    let vpc = vpc(&m).await;
    let p = proxy(&m).await;
    p.fault("AttachInternetGateway", Fault::Deny);
    let d = via(&m, &p, 1, false);
    let e = failed(
        &d,
        "aws_network",
        json!({"action": "create_internet_gateway", "vpc_id": vpc}),
    )
    .await;
    partial(&e, &format!("attach to {vpc}"));
    let gid = e["details"]["exists"]["internet_gateway_id"]
        .as_str()
        .unwrap()
        .to_string();
    let held = m
        .ec2()
        .describe_internet_gateways()
        .internet_gateway_ids(&gid)
        .send()
        .await
        .unwrap();
    assert!(held.internet_gateways()[0].attachments().is_empty());
}

#[tokio::test]
async fn a_nat_gateway_that_fails_says_what_became_of_its_elastic_ip() {
    let m = moto().await;
    let vpc = vpc(&m).await;
    let subnet = subnet(&m, &vpc, "10.0.1.0/24", "us-east-1a").await;
    let addresses = |m: &Moto| {
        let ec2 = m.ec2();
        async move {
            ec2.describe_addresses()
                .send()
                .await
                .unwrap()
                .addresses()
                .len()
        }
    };
    let args = json!({"action": "create_nat_gateway", "subnet_id": subnet});

    // AWS refuses the NAT gateway: the address allocated for it is released again.
    let p = proxy(&m).await;
    p.fault("CreateNatGateway", Fault::Deny);
    let e = failed(&via(&m, &p, 1, false), "aws_network", args.clone()).await;
    assert_eq!(e["error"], "aws", "{e}");
    assert!(
        e["message"].as_str().unwrap().contains("released it again"),
        "{e}"
    );
    assert_eq!(addresses(&m).await, 0);

    // ... and when the release fails too, the address that stays is named.
    p.fault("ReleaseAddress", Fault::Deny);
    let e = failed(&via(&m, &p, 1, false), "aws_network", args.clone()).await;
    partial(&e, &format!("create the NAT gateway in {subnet}"));
    let kept = e["details"]["exists"]["allocated_elastic_ip"]["allocation_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(e["hint"].as_str().unwrap().contains(&kept), "{e}");
    assert_eq!(addresses(&m).await, 1);

    // A NAT gateway whose answer is lost may hold the address: nothing is released.
    let p = proxy(&m).await;
    p.fault("CreateNatGateway", Fault::DropResponse);
    let e = failed(&via(&m, &p, 1, false), "aws_network", args).await;
    assert_eq!(e["details"]["outcome"], "unknown", "{e}");
    assert_eq!(e["details"]["check"]["action"], "list_nat_gateways", "{e}");
    assert!(
        e["details"]["exists"]["allocated_elastic_ip"]["allocation_id"].is_string(),
        "{e}"
    );
    assert!(p.seen_op("ReleaseAddress").is_empty());
    assert_eq!(addresses(&m).await, 2);
    let nats = m.ec2().describe_nat_gateways().send().await.unwrap();
    assert_eq!(
        nats.nat_gateways().len(),
        1,
        "moto made the one NAT gateway"
    );
}

#[tokio::test]
async fn vpc_and_subnet_steps_that_fail_say_what_exists() {
    let m = moto().await;
    let vpc = vpc(&m).await;
    let table = m
        .ec2()
        .create_route_table()
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap()
        .route_table()
        .unwrap()
        .route_table_id()
        .unwrap()
        .to_string();
    let p = proxy(&m).await;
    p.fault("ModifyVpcAttribute", Fault::Deny);
    p.fault("AssociateRouteTable", Fault::Deny);
    let d = via(&m, &p, 1, false);
    let e = failed(
        &d,
        "aws_network",
        json!({"action": "create_vpc", "cidr_block": "10.5.0.0/16",
               "enable_dns_hostnames": true}),
    )
    .await;
    partial(&e, "set enable_dns_hostnames to true");
    assert!(e["details"]["exists"]["vpc_id"].is_string(), "{e}");
    assert_eq!(vpcs_with(&m, "10.5.0.0/16").await, 1);

    let e = failed(
        &d,
        "aws_network",
        json!({"action": "create_subnet", "vpc_id": vpc, "cidr_block": "10.0.7.0/24",
               "route_table_id": table}),
    )
    .await;
    partial(&e, &format!("associate with {table}"));
    let id = e["details"]["exists"]["subnet_id"].as_str().unwrap();
    let held = m
        .ec2()
        .describe_subnets()
        .subnet_ids(id)
        .send()
        .await
        .unwrap();
    assert_eq!(held.subnets().len(), 1);
}

#[tokio::test]
async fn a_distribution_whose_answer_is_lost_is_made_once_and_finished() {
    let m = moto().await;
    m.s3().create_bucket().bucket("site").send().await.unwrap();
    let p = proxy(&m).await;
    p.fault_times("CreateDistribution", Fault::DropResponse, 1);
    let d = via(&m, &p, 3, false);
    let v = agreed(
        &d,
        "aws_s3",
        json!({"action": "create_distribution", "bucket": "site"}),
    )
    .await
    .unwrap();
    let id = v["data"]["distribution_id"].as_str().unwrap();
    // The SDK retried with the same caller reference; CloudFront (and moto) answered
    // DistributionAlreadyExists, and the action took the distribution the first attempt made.
    let sent = p.seen_op("CreateDistribution");
    assert_eq!(sent.len(), 2);
    let reference = |body: &str| {
        body.split("<CallerReference>")
            .nth(1)
            .and_then(|r| r.split('<').next())
            .map(str::to_string)
    };
    assert!(reference(&sent[0].body).is_some());
    assert_eq!(reference(&sent[0].body), reference(&sent[1].body));
    let all = m.cloudfront().list_distributions().send().await.unwrap();
    let items = all.distribution_list().unwrap().items();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].id(), id);
    // The step after it ran: the bucket policy lets this distribution read.
    let policy = m
        .s3()
        .get_bucket_policy()
        .bucket("site")
        .send()
        .await
        .unwrap();
    assert!(policy.policy().unwrap().contains(id));
}

#[tokio::test]
async fn a_distribution_whose_bucket_policy_fails_is_named() {
    let m = moto().await;
    m.s3().create_bucket().bucket("site").send().await.unwrap();
    let p = proxy(&m).await;
    p.fault("PutBucketPolicy", Fault::Deny);
    let d = via(&m, &p, 1, false);
    let e = agreed(
        &d,
        "aws_s3",
        json!({"action": "create_distribution", "bucket": "site"}),
    )
    .await
    .unwrap_err();
    partial(&e, "let it read bucket site");
    let id = e["details"]["exists"]["distribution_id"].as_str().unwrap();
    let held = m.cloudfront().get_distribution().id(id).send().await;
    assert!(held.is_ok(), "the distribution exists");
}

#[tokio::test]
async fn a_create_that_never_reached_aws_is_a_plain_failure() {
    // Nothing listens on port 9: the connection is refused, the request never left, and the
    // SDK may retry it; the error is AWS being unreachable, not an unknown outcome.
    let d = Dispatcher::new(&crate::harness::offline_settings()).unwrap();
    let e = failed(
        &d,
        "aws_network",
        json!({"action": "create_vpc", "cidr_block": "10.1.0.0/16"}),
    )
    .await;
    assert_eq!(e["error"], "transport", "{e}");
}

#[tokio::test]
async fn iam_creates_are_sent_once_retried_when_throttled_and_a_lost_answer_names_its_check() {
    let m = moto().await;
    let iam = crate::security::iam(&m);
    // A lost CreateRole answer: moto made the role, the call says the outcome is unknown and
    // names get_role, which finds it; the request was not sent again.
    let p = proxy(&m).await;
    p.fault("CreateRole", Fault::DropResponse);
    let d = via(&m, &p, 3, false);
    let e = failed(
        &d,
        "aws_security",
        json!({"action": "create_role", "role_name": "lost", "trust": "lambda",
               "templates": ["lambda-basic"]}),
    )
    .await;
    assert_eq!(e["error"], "precondition_failed", "{e}");
    assert_eq!(e["details"]["outcome"], "unknown", "{e}");
    assert_eq!(
        p.seen_op("CreateRole").len(),
        1,
        "CreateRole was sent again"
    );
    // Nothing after the lost create ran (the template's inline policy was not put).
    assert!(p.seen_op("PutRolePolicy").is_empty());
    let check = &e["details"]["check"];
    assert_eq!(
        (check["tool"].as_str(), check["action"].as_str()),
        (Some("aws_security"), Some("get_role")),
        "{e}"
    );
    let mut args = check["arguments"].as_object().unwrap().clone();
    args.insert("action".into(), check["action"].clone());
    let found = ok_in(&d, "aws_security", Value::Object(args)).await;
    assert_eq!(found["data"]["role_name"], "lost", "{found}");
    assert_eq!(
        iam.list_roles().send().await.unwrap().roles().len(),
        1,
        "exactly one role exists"
    );

    // Throttling means IAM refused without running: retried, and the user is made once.
    let p = proxy(&m).await;
    p.fault_times("CreateUser", Fault::Throttle, 1);
    let d = via(&m, &p, 3, false);
    ok_in(
        &d,
        "aws_security",
        json!({"action": "create_user", "user_name": "retried"}),
    )
    .await;
    assert_eq!(
        p.seen_op("CreateUser").len(),
        2,
        "throttled once, then sent"
    );
    let users = iam.list_users().send().await.unwrap();
    assert_eq!(users.users().len(), 1);

    // A server error may have run: not repeated.
    let p = proxy(&m).await;
    p.fault("CreateUser", Fault::ServerError);
    let d = via(&m, &p, 3, false);
    let e = failed(
        &d,
        "aws_security",
        json!({"action": "create_user", "user_name": "maybe"}),
    )
    .await;
    assert_eq!(e["details"]["outcome"], "unknown", "{e}");
    assert_eq!(p.seen_op("CreateUser").len(), 1);
}
