//! aws_ec2's Auto Scaling and load balancer actions against moto, checking what moto holds
//! afterwards with plain clients, and the web-tier scenario through `Dispatcher::call` only.

use aws_sdk_ec2::types::RequestLaunchTemplateData;
use espada_aws::dispatch::Dispatcher;
use serde_json::{Value, json};

use crate::harness::{AMI, Moto, confirmed, err, ids, moto, ok, ok_in, try_confirmed_in};

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_string()
}

/// A VPC with two subnets in two AZs and a security group, made with the plain SDK.
async fn network(m: &Moto) -> (String, Vec<String>, String) {
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
        subnets.push(
            ec2.create_subnet()
                .vpc_id(&vpc)
                .cidr_block(format!("10.8.{i}.0/24"))
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
    let sg = ec2
        .create_security_group()
        .group_name("web")
        .description("web")
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_string();
    (vpc, subnets, sg)
}

async fn launch_template(m: &Moto, name: &str) -> String {
    m.ec2()
        .create_launch_template()
        .launch_template_name(name)
        .launch_template_data(
            RequestLaunchTemplateData::builder()
                .image_id(AMI)
                .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
                .build(),
        )
        .send()
        .await
        .unwrap()
        .launch_template()
        .unwrap()
        .launch_template_id()
        .unwrap()
        .to_string()
}

async fn target_group(m: &Moto, name: &str, vpc: &str) -> String {
    m.elbv2()
        .create_target_group()
        .name(name)
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
        .port(80)
        .vpc_id(vpc)
        .send()
        .await
        .unwrap()
        .target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_string()
}

async fn group(m: &Moto, name: &str) -> Option<aws_sdk_autoscaling::types::AutoScalingGroup> {
    m.autoscaling()
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(name)
        .send()
        .await
        .unwrap()
        .auto_scaling_groups()
        .first()
        .cloned()
}

#[tokio::test]
async fn load_balancers_target_groups_and_listeners() {
    let m = moto().await;
    let d = m.dispatcher();
    let elb = m.elbv2();
    let (vpc, subnets, sg) = network(&m).await;

    let e = err(
        &d,
        json!({"action": "create_load_balancer", "name": "web", "subnet_ids": [subnets[0]]}),
    )
    .await;
    assert!(s(&e["message"]).contains("two availability zones"), "{e}");
    // No dry-run mode in ELBv2: the dry run is the plan, and nothing is created.
    let plan = ok(
        &d,
        json!({"action": "create_load_balancer", "name": "web", "subnet_ids": subnets,
               "dry_run": true}),
    )
    .await;
    assert_eq!(plan["data"]["would_succeed"], Value::Null, "{plan}");
    assert_eq!(
        plan["data"]["plan"]["targets"][0]["service"],
        "elasticloadbalancing"
    );
    assert!(
        elb.describe_load_balancers()
            .send()
            .await
            .unwrap()
            .load_balancers()
            .is_empty()
    );

    let lb = ok(
        &d,
        json!({"action": "create_load_balancer", "name": "web", "subnet_ids": subnets,
               "security_group_ids": [sg], "scheme": "internal", "tags": {"team": "web"}}),
    )
    .await;
    let lb_arn = s(&lb["data"]["load_balancer_arn"]);
    let held = elb
        .describe_load_balancers()
        .load_balancer_arns(&lb_arn)
        .send()
        .await
        .unwrap();
    let h = &held.load_balancers()[0];
    assert_eq!(h.load_balancer_name(), Some("web"));
    assert_eq!(h.scheme().map(|x| x.as_str()), Some("internal"));
    assert_eq!(h.r#type().map(|x| x.as_str()), Some("application"));
    assert_eq!(h.security_groups(), std::slice::from_ref(&sg));
    assert_eq!(h.availability_zones().len(), 2);
    let listed = ok(
        &d,
        json!({"action": "list_load_balancers", "names": ["web"]}),
    )
    .await;
    assert_eq!(
        ids(&listed, "load_balancers", "load_balancer_arn"),
        vec![lb_arn.clone()]
    );

    let tg = ok(
        &d,
        json!({"action": "create_target_group", "name": "web", "protocol": "HTTP", "port": 8080,
               "vpc_id": vpc, "health_check_path": "/health", "matcher": "200-399"}),
    )
    .await;
    let tg_arn = s(&tg["data"]["target_group_arn"]);
    let held = elb
        .describe_target_groups()
        .target_group_arns(&tg_arn)
        .send()
        .await
        .unwrap();
    let t = &held.target_groups()[0];
    assert_eq!(t.port(), Some(8080));
    assert_eq!(t.health_check_path(), Some("/health"));
    assert_eq!(t.matcher().and_then(|x| x.http_code()), Some("200-399"));
    let listed = ok(&d, json!({"action": "list_target_groups"})).await;
    assert_eq!(
        ids(&listed, "target_groups", "target_group_arn"),
        vec![tg_arn.clone()]
    );

    // Two servers in the group, then one out again.
    let web = m
        .ec2()
        .run_instances()
        .image_id(AMI)
        .min_count(2)
        .max_count(2)
        .subnet_id(&subnets[0])
        .send()
        .await
        .unwrap();
    let servers: Vec<String> = web
        .instances()
        .iter()
        .map(|i| i.instance_id().unwrap().to_string())
        .collect();
    confirmed(
        &d,
        json!({"action": "register_targets", "target_group_arn": tg_arn, "target_ids": servers}),
    )
    .await;
    let health = ok(
        &d,
        json!({"action": "get_target_health", "target_group_arn": tg_arn}),
    )
    .await;
    let mut seen = ids(&health, "targets", "id");
    seen.sort();
    let mut want = servers.clone();
    want.sort();
    assert_eq!(seen, want);
    assert!(s(&health["summary"]).contains("2 target(s)"), "{health}");
    confirmed(
        &d,
        json!({"action": "deregister_targets", "target_group_arn": tg_arn, "target_ids": [servers[0]]}),
    )
    .await;
    let held = elb
        .describe_target_health()
        .target_group_arn(&tg_arn)
        .send()
        .await
        .unwrap();
    let left: Vec<&str> = held
        .target_health_descriptions()
        .iter()
        .filter_map(|t| t.target().and_then(|x| x.id()))
        .collect();
    assert_eq!(left, [servers[1].as_str()]);

    // Listeners: HTTP, and HTTPS with an ACM certificate.
    // Listeners change who can reach what: high-risk calls, confirmed first.
    let http = confirmed(
        &d,
        json!({"action": "create_listener", "load_balancer_arn": lb_arn, "protocol": "HTTP",
               "port": 80, "target_group_arn": tg_arn}),
    )
    .await;
    let http_arn = s(&http["data"]["listener_arn"]);
    let e = err(
        &d,
        json!({"action": "create_listener", "load_balancer_arn": lb_arn, "protocol": "HTTPS",
               "port": 443, "target_group_arn": tg_arn}),
    )
    .await;
    assert!(s(&e["message"]).contains("certificate_arn"), "{e}");
    let e = err(
        &d,
        json!({"action": "create_listener", "load_balancer_arn": lb_arn, "protocol": "HTTP",
               "port": 81, "target_group_arn": tg_arn, "certificate_arn": "arn:x"}),
    )
    .await;
    assert_eq!(e["error"], "invalid_input");
    let cert = m.certificate("web.example.com");
    let https = confirmed(
        &d,
        json!({"action": "create_listener", "load_balancer_arn": lb_arn, "protocol": "https",
               "port": 443, "target_group_arn": tg_arn, "certificate_arn": cert,
               "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}),
    )
    .await;
    assert_eq!(https["data"]["protocol"], "HTTPS");
    let held = elb
        .describe_listeners()
        .load_balancer_arn(&lb_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(held.listeners().len(), 2);
    let secure = held
        .listeners()
        .iter()
        .find(|l| l.port() == Some(443))
        .unwrap();
    assert_eq!(
        secure.certificates()[0].certificate_arn(),
        Some(cert.as_str())
    );
    assert_eq!(
        secure.default_actions()[0].target_group_arn(),
        Some(tg_arn.as_str())
    );
    let listed = ok(
        &d,
        json!({"action": "list_listeners", "load_balancer_arn": lb_arn}),
    )
    .await;
    assert_eq!(listed["data"]["listeners"].as_array().unwrap().len(), 2);
    let e = err(&d, json!({"action": "list_listeners"})).await;
    assert_eq!(e["error"], "invalid_input");

    confirmed(
        &d,
        json!({"action": "delete_listener", "listener_arn": http_arn}),
    )
    .await;
    let held = elb
        .describe_listeners()
        .load_balancer_arn(&lb_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(held.listeners().len(), 1);
    // Still used by the HTTPS listener: AWS refuses, and the tool says what to do.
    let e = try_confirmed_in(
        &d,
        "aws_ec2",
        json!({"action": "delete_target_group", "target_group_arn": tg_arn}),
    )
    .await
    .unwrap_err();
    assert_eq!(e["code"], "ResourceInUse", "{e}");
    assert!(e["hint"].as_str().is_some());
    confirmed(
        &d,
        json!({"action": "delete_load_balancer", "load_balancer_arn": lb_arn}),
    )
    .await;
    assert!(
        elb.describe_load_balancers()
            .send()
            .await
            .unwrap()
            .load_balancers()
            .is_empty()
    );
    confirmed(
        &d,
        json!({"action": "delete_target_group", "target_group_arn": tg_arn}),
    )
    .await;
    assert!(
        elb.describe_target_groups()
            .send()
            .await
            .unwrap()
            .target_groups()
            .is_empty()
    );
}

#[tokio::test]
async fn auto_scaling_groups() {
    let m = moto().await;
    let d = m.dispatcher();
    let asg = m.autoscaling();
    let (vpc, subnets, _) = network(&m).await;
    let lt = launch_template(&m, "web").await;
    let tg = target_group(&m, "web", &vpc).await;
    let tg2 = target_group(&m, "canary", &vpc).await;

    for (bad, why) in [
        (
            json!({"action": "create_asg", "auto_scaling_group_name": "web", "launch_template_id": lt,
                   "launch_template_name": "web", "min_size": 1, "max_size": 2, "subnet_ids": subnets}),
            "exactly one of launch_template_id",
        ),
        (
            json!({"action": "create_asg", "auto_scaling_group_name": "web", "launch_template_id": lt,
                   "min_size": 3, "max_size": 2, "subnet_ids": subnets}),
            "above max_size",
        ),
        (
            json!({"action": "create_asg", "auto_scaling_group_name": "web", "launch_template_id": lt,
                   "min_size": 1, "max_size": 2, "desired_capacity": 5, "subnet_ids": subnets}),
            "between min_size and max_size",
        ),
        (
            json!({"action": "update_asg", "auto_scaling_group_name": "web"}),
            "something to change",
        ),
    ] {
        let e = err(&d, bad).await;
        assert!(s(&e["message"]).contains(why), "{e}");
    }

    let made = confirmed(
        &d,
        json!({"action": "create_asg", "auto_scaling_group_name": "web", "launch_template_id": lt,
               "launch_template_version": "$Latest", "min_size": 1, "max_size": 4,
               "desired_capacity": 2, "subnet_ids": subnets, "target_group_arns": [tg],
               "health_check_type": "elb", "health_check_grace_period": 60,
               "tags": {"team": "web"}}),
    )
    .await;
    assert_eq!(
        made["data"]["instances"].as_array().unwrap().len(),
        2,
        "{made}"
    );
    let g = group(&m, "web").await.unwrap();
    assert_eq!(
        (g.min_size(), g.max_size(), g.desired_capacity()),
        (Some(1), Some(4), Some(2))
    );
    assert_eq!(g.instances().len(), 2);
    assert_eq!(g.target_group_arns(), std::slice::from_ref(&tg));
    assert_eq!(g.health_check_type(), Some("ELB"));
    assert_eq!(g.health_check_grace_period(), Some(60));
    assert_eq!(
        g.launch_template().and_then(|t| t.launch_template_id()),
        Some(lt.as_str())
    );
    assert_eq!(
        g.vpc_zone_identifier().map(|z| z.split(',').count()),
        Some(2)
    );
    assert_eq!(g.tags()[0].key(), Some("team"));
    let listed = ok(&d, json!({"action": "list_asgs"})).await;
    assert_eq!(
        ids(&listed, "auto_scaling_groups", "auto_scaling_group_name"),
        vec!["web".to_string()]
    );

    confirmed(
        &d,
        json!({"action": "update_asg", "auto_scaling_group_name": "web", "min_size": 2,
               "max_size": 5, "health_check_grace_period": 120}),
    )
    .await;
    let g = group(&m, "web").await.unwrap();
    assert_eq!(
        (g.min_size(), g.max_size(), g.health_check_grace_period()),
        (Some(2), Some(5), Some(120))
    );

    // Auto Scaling has no dry run: the plan comes back and nothing changes.
    let plan = ok(
        &d,
        json!({"action": "set_desired_capacity", "auto_scaling_group_name": "web",
               "desired_capacity": 4, "dry_run": true}),
    )
    .await;
    assert_eq!(
        plan["data"]["plan"]["targets"],
        json!([{"service": "autoscaling", "kind": "auto-scaling-group", "id": "web"}])
    );
    assert_eq!(group(&m, "web").await.unwrap().desired_capacity(), Some(2));
    confirmed(
        &d,
        json!({"action": "set_desired_capacity", "auto_scaling_group_name": "web",
               "desired_capacity": 3}),
    )
    .await;
    let g = group(&m, "web").await.unwrap();
    assert_eq!(g.desired_capacity(), Some(3));
    assert_eq!(g.instances().len(), 3);

    // moto records no scaling activities; mocked.rs checks how they are shown.
    let acts = ok(
        &d,
        json!({"action": "get_scaling_activities", "auto_scaling_group_name": "web"}),
    )
    .await;
    assert!(acts["data"]["activities"].is_array(), "{acts}");

    confirmed(
        &d,
        json!({"action": "attach_target_groups", "auto_scaling_group_name": "web",
               "target_group_arns": [tg2]}),
    )
    .await;
    let attached = |m: &Moto| {
        let asg = m.autoscaling();
        async move {
            let r = asg
                .describe_load_balancer_target_groups()
                .auto_scaling_group_name("web")
                .send()
                .await
                .unwrap();
            let mut arns: Vec<String> = r
                .load_balancer_target_groups()
                .iter()
                .filter_map(|t| t.load_balancer_target_group_arn().map(str::to_string))
                .collect();
            arns.sort();
            arns
        }
    };
    let mut both = vec![tg.clone(), tg2.clone()];
    both.sort();
    assert_eq!(attached(&m).await, both);
    confirmed(
        &d,
        json!({"action": "detach_target_groups", "auto_scaling_group_name": "web",
               "target_group_arns": [tg2]}),
    )
    .await;
    assert_eq!(attached(&m).await, vec![tg.clone()]);

    // A group with instances is not deleted without force_delete.
    let e = try_confirmed_in(
        &d,
        "aws_ec2",
        json!({"action": "delete_asg", "auto_scaling_group_name": "web"}),
    )
    .await
    .unwrap_err();
    assert_eq!(e["error"], "precondition_failed", "{e}");
    assert_eq!(e["details"]["instance_ids"].as_array().unwrap().len(), 3);
    assert!(group(&m, "web").await.is_some());
    let done = confirmed(
        &d,
        json!({"action": "delete_asg", "auto_scaling_group_name": "web", "force_delete": true}),
    )
    .await;
    assert_eq!(
        done["data"]["terminating_instance_ids"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert!(group(&m, "web").await.is_none());
    assert!(
        asg.describe_auto_scaling_groups()
            .send()
            .await
            .unwrap()
            .auto_scaling_groups()
            .is_empty()
    );
}

/// The scenario from the issue, through `Dispatcher::call` only: a launch template, an ALB
/// with a target group and a listener, an Auto Scaling group of 2 registered with the target
/// group; checked in moto; then deleted with confirmations.
#[tokio::test]
async fn web_tier_behind_a_load_balancer_scenario() {
    let m = moto().await;
    let d = m.dispatcher();
    let net = |args: Value| {
        let d: &Dispatcher = &d;
        async move { ok_in(d, "aws_network", args).await }
    };
    let vpc = s(
        &net(json!({"action": "create_vpc", "cidr_block": "10.9.0.0/16", "name": "web"})).await["data"]
            ["vpc_id"],
    );
    net(json!({"action": "create_internet_gateway", "vpc_id": vpc})).await;
    let mut subnets = Vec::new();
    for (i, az) in ["us-east-1a", "us-east-1b"].iter().enumerate() {
        let sn = net(json!({"action": "create_subnet", "vpc_id": vpc,
                            "cidr_block": format!("10.9.{i}.0/24"), "availability_zone": az}))
        .await;
        subnets.push(s(&sn["data"]["subnet_id"]));
    }
    let sg = s(&net(
        json!({"action": "create_security_group", "group_name": "alb",
                           "description": "web load balancer", "vpc_id": vpc}),
    )
    .await["data"]["group_id"]);
    // Opening a port is a high-risk change: the person confirms it.
    let r = crate::harness::confirmed_in(
        &d,
        "aws_network",
        json!({"action": "authorize_security_group", "group_id": sg, "protocol": "tcp",
                       "from_port": 80, "cidr_blocks": ["0.0.0.0/0"]}),
    )
    .await;
    assert!(
        r["data"].get("warnings").is_none(),
        "port 80 is expected to be public"
    );

    let lt = ok(
        &d,
        json!({"action": "create_launch_template", "launch_template_name": "web",
               "image_id": AMI, "instance_type": "t3.micro", "security_group_ids": [sg]}),
    )
    .await;
    let lt = s(&lt["data"]["launch_template_id"]);
    // An internet-facing load balancer is a high-risk create, confirmed first.
    let lb = confirmed(
        &d,
        json!({"action": "create_load_balancer", "name": "web", "subnet_ids": subnets,
               "security_group_ids": [sg]}),
    )
    .await;
    let lb = s(&lb["data"]["load_balancer_arn"]);
    let tg = ok(
        &d,
        json!({"action": "create_target_group", "name": "web", "protocol": "HTTP", "port": 80,
               "vpc_id": vpc, "health_check_path": "/"}),
    )
    .await;
    let tg = s(&tg["data"]["target_group_arn"]);
    let listener = confirmed(
        &d,
        json!({"action": "create_listener", "load_balancer_arn": lb, "protocol": "HTTP",
               "port": 80, "target_group_arn": tg}),
    )
    .await;
    let listener = s(&listener["data"]["listener_arn"]);
    confirmed(
        &d,
        json!({"action": "create_asg", "auto_scaling_group_name": "web",
               "launch_template_name": "web", "min_size": 2, "max_size": 4,
               "desired_capacity": 2, "subnet_ids": subnets, "target_group_arns": [tg],
               "health_check_type": "elb", "health_check_grace_period": 300}),
    )
    .await;

    // What moto holds.
    let g = group(&m, "web").await.unwrap();
    assert_eq!(g.instances().len(), 2);
    assert!(
        g.instances()
            .iter()
            .all(|i| i.lifecycle_state().map(|s| s.as_str()) == Some("InService"))
    );
    assert_eq!(g.target_group_arns(), std::slice::from_ref(&tg));
    assert_eq!(
        g.launch_template().and_then(|t| t.launch_template_id()),
        Some(lt.as_str())
    );
    let elb = m.elbv2();
    let health = elb
        .describe_target_health()
        .target_group_arn(&tg)
        .send()
        .await
        .unwrap();
    let mut registered: Vec<&str> = health
        .target_health_descriptions()
        .iter()
        .filter_map(|t| t.target().and_then(|x| x.id()))
        .collect();
    registered.sort();
    let mut members: Vec<&str> = g
        .instances()
        .iter()
        .filter_map(|i| i.instance_id())
        .collect();
    members.sort();
    assert_eq!(registered, members, "the group's instances are the targets");
    let l = elb
        .describe_listeners()
        .load_balancer_arn(&lb)
        .send()
        .await
        .unwrap();
    assert_eq!(
        l.listeners()[0].default_actions()[0].target_group_arn(),
        Some(tg.as_str())
    );
    let shown = ok(
        &d,
        json!({"action": "get_target_health", "target_group_arn": tg}),
    )
    .await;
    assert!(s(&shown["summary"]).starts_with("2 target(s)"), "{shown}");

    // Tear down, each destructive step through the confirmation flow.
    confirmed(
        &d,
        json!({"action": "delete_asg", "auto_scaling_group_name": "web", "force_delete": true}),
    )
    .await;
    confirmed(
        &d,
        json!({"action": "delete_listener", "listener_arn": listener}),
    )
    .await;
    confirmed(
        &d,
        json!({"action": "delete_load_balancer", "load_balancer_arn": lb}),
    )
    .await;
    confirmed(
        &d,
        json!({"action": "delete_target_group", "target_group_arn": tg}),
    )
    .await;
    confirmed(
        &d,
        json!({"action": "delete_launch_template", "launch_template_id": lt}),
    )
    .await;
    assert!(group(&m, "web").await.is_none());
    assert!(
        elb.describe_load_balancers()
            .send()
            .await
            .unwrap()
            .load_balancers()
            .is_empty()
    );
    assert!(
        elb.describe_target_groups()
            .send()
            .await
            .unwrap()
            .target_groups()
            .is_empty()
    );
    assert!(
        m.ec2()
            .describe_launch_templates()
            .send()
            .await
            .unwrap()
            .launch_templates()
            .is_empty()
    );
}
