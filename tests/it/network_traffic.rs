//! aws_network's traffic controls and addresses against moto, checking what moto holds
//! afterwards with a plain client: network ACLs, VPC endpoints and flow logs, security groups
//! (rules open to the internet are flagged) and Elastic IPs. (VPCs, subnets and routing are in
//! `network.rs`.)

use espada_aws::{registry::Risk, tools::network::TOOL};
use serde_json::{Value, json};

use crate::harness::{moto, obj, try_confirmed_in};

use crate::network::{NET, by, net, net_confirmed, net_err, plain_vpc, s};

#[tokio::test]
async fn network_acls_endpoints_and_flow_logs() {
    let m = moto().await;
    let d = m.dispatcher();
    let ec2 = m.ec2();
    let (vpc, subnets) = plain_vpc(&m, "10.50.0.0/16").await;

    let acls = net(&d, json!({"action": "list_network_acls", "vpc_id": vpc})).await;
    let acl = s(&acls["data"]["network_acls"][0]["network_acl_id"]);
    assert_eq!(acls["data"]["network_acls"][0]["is_default"], json!(true));
    net_confirmed(
        &d,
        json!({"action": "create_nacl_entry", "network_acl_id": acl, "rule_number": 90,
               "protocol": "tcp", "rule_action": "deny", "cidr_block": "203.0.113.0/24",
               "from_port": 22}),
    )
    .await;
    net_confirmed(
        &d,
        json!({"action": "create_nacl_entry", "network_acl_id": acl, "rule_number": 91,
               "protocol": "tcp", "rule_action": "allow", "egress": true,
               "cidr_block": "0.0.0.0/0", "from_port": 1024, "to_port": 65535}),
    )
    .await;
    let entries = |acl: String| {
        let ec2 = ec2.clone();
        async move {
            let r = ec2
                .describe_network_acls()
                .network_acl_ids(acl)
                .send()
                .await
                .unwrap();
            r.network_acls()[0].entries().to_vec()
        }
    };
    let held = entries(acl.clone()).await;
    let deny = held
        .iter()
        .find(|e| e.rule_number() == Some(90))
        .expect("rule 90");
    assert_eq!(deny.rule_action().map(|a| a.as_str()), Some("deny"));
    assert_eq!(deny.protocol(), Some("6"));
    assert_eq!(deny.egress(), Some(false));
    assert_eq!(deny.port_range().and_then(|p| p.from()), Some(22));
    assert_eq!(deny.port_range().and_then(|p| p.to()), Some(22));
    let out = held
        .iter()
        .find(|e| e.rule_number() == Some(91))
        .expect("rule 91");
    assert_eq!(out.egress(), Some(true));
    assert_eq!(out.port_range().and_then(|p| p.to()), Some(65535));
    for bad in [
        json!({"action": "create_nacl_entry", "network_acl_id": acl, "rule_number": 0,
               "protocol": "all", "rule_action": "deny", "cidr_block": "0.0.0.0/0"}),
        json!({"action": "create_nacl_entry", "network_acl_id": acl, "rule_number": 5,
               "protocol": "tcp", "rule_action": "deny", "cidr_block": "0.0.0.0/0"}),
        json!({"action": "create_nacl_entry", "network_acl_id": acl, "rule_number": 5,
               "protocol": "udp", "rule_action": "deny", "cidr_block": "1.2.3.4/8",
               "from_port": 53}),
    ] {
        assert_eq!(net_err(&d, bad).await["error"], "invalid_input");
    }
    let listed = net(
        &d,
        json!({"action": "list_network_acls", "network_acl_ids": [acl]}),
    )
    .await;
    let shown = listed["data"]["network_acls"][0]["entries"]
        .as_array()
        .unwrap();
    assert!(
        shown.iter().any(|e| e["rule_number"] == 90
            && e["protocol"] == "tcp"
            && e["ports"] == "22"
            && e["rule_action"] == "deny"),
        "{listed}"
    );
    net_confirmed(
        &d,
        json!({"action": "delete_nacl_entry", "network_acl_id": acl, "rule_number": 90}),
    )
    .await;
    let held = entries(acl.clone()).await;
    assert!(held.iter().all(|e| e.rule_number() != Some(90)));
    assert!(held.iter().any(|e| e.rule_number() == Some(91)));

    // Endpoints: a gateway endpoint from the short service name, and an interface endpoint.
    let rt = ec2
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
    let gw = net(
        &d,
        json!({"action": "create_vpc_endpoint", "vpc_id": vpc, "service_name": "s3",
               "route_table_ids": [rt], "name": "s3"}),
    )
    .await;
    assert_eq!(gw["data"]["vpc_endpoint_type"], "Gateway", "{gw}");
    assert_eq!(gw["data"]["service_name"], "com.amazonaws.us-east-1.s3");
    let ssm = net(
        &d,
        json!({"action": "create_vpc_endpoint", "vpc_id": vpc, "service_name": "ssm",
               "subnet_ids": [subnets[0]]}),
    )
    .await;
    assert_eq!(ssm["data"]["vpc_endpoint_type"], "Interface");
    let held = ec2
        .describe_vpc_endpoints()
        .filters(by("vpc-id", &vpc))
        .send()
        .await
        .unwrap();
    let mut kinds: Vec<(String, String)> = held
        .vpc_endpoints()
        .iter()
        .map(|e| {
            (
                e.service_name().unwrap().to_string(),
                e.vpc_endpoint_type().unwrap().as_str().to_string(),
            )
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            ("com.amazonaws.us-east-1.s3".into(), "Gateway".into()),
            ("com.amazonaws.us-east-1.ssm".into(), "Interface".into()),
        ]
    );
    for bad in [
        json!({"action": "create_vpc_endpoint", "vpc_id": vpc, "service_name": "s3",
               "subnet_ids": [subnets[0]]}),
        json!({"action": "create_vpc_endpoint", "vpc_id": vpc, "service_name": "ssm"}),
        json!({"action": "create_vpc_endpoint", "vpc_id": vpc, "service_name": "ssm",
               "subnet_ids": [subnets[0]], "route_table_ids": [rt]}),
    ] {
        assert_eq!(net_err(&d, bad).await["error"], "invalid_input");
    }
    let listed = net(&d, json!({"action": "list_vpc_endpoints", "vpc_id": vpc})).await;
    assert_eq!(listed["data"]["vpc_endpoints"].as_array().unwrap().len(), 2);

    // Flow logs to CloudWatch Logs and to S3.
    let cw = net(
        &d,
        json!({"action": "configure_flow_logs", "resource_ids": [vpc], "log_group_name": "vpc-flow",
               "deliver_logs_permission_arn": "arn:aws:iam::123456789012:role/flow-logs"}),
    )
    .await;
    assert_eq!(cw["data"]["flow_log_ids"].as_array().unwrap().len(), 1);
    m.create_bucket("flow-logs-bucket");
    net(
        &d,
        json!({"action": "configure_flow_logs", "resource_ids": subnets, "traffic_type": "reject",
               "s3_bucket_arn": "arn:aws:s3:::flow-logs-bucket"}),
    )
    .await;
    let held = ec2.describe_flow_logs().send().await.unwrap();
    let logs: Vec<(String, String, String)> = held
        .flow_logs()
        .iter()
        .map(|f| {
            (
                f.resource_id().unwrap().to_string(),
                f.log_destination_type().unwrap().as_str().to_string(),
                f.traffic_type().unwrap().as_str().to_string(),
            )
        })
        .collect();
    assert!(logs.contains(&(vpc.clone(), "cloud-watch-logs".into(), "ALL".into())));
    for sn in &subnets {
        assert!(
            logs.contains(&(sn.clone(), "s3".into(), "REJECT".into())),
            "{logs:?}"
        );
    }
    // A bucket that does not exist: no flow log, and the tool says why.
    let e = net_err(
        &d,
        json!({"action": "configure_flow_logs", "resource_ids": [vpc],
               "s3_bucket_arn": "arn:aws:s3:::no-such-bucket"}),
    )
    .await;
    assert!(s(&e["message"]).contains("no flow log was created"), "{e}");
    for bad in [
        json!({"action": "configure_flow_logs", "resource_ids": [vpc]}),
        json!({"action": "configure_flow_logs", "resource_ids": [vpc], "log_group_name": "g"}),
        json!({"action": "configure_flow_logs", "resource_ids": [vpc, subnets[0]],
               "s3_bucket_arn": "arn:aws:s3:::b"}),
        json!({"action": "configure_flow_logs", "resource_ids": [vpc], "s3_bucket_arn": "b",}),
        json!({"action": "configure_flow_logs", "resource_ids": [vpc], "s3_bucket_arn": "arn:aws:s3:::b",
               "log_group_name": "g", "deliver_logs_permission_arn": "arn:aws:iam::1:role/r"}),
    ] {
        assert_eq!(
            net_err(&d, bad.clone()).await["error"],
            "invalid_input",
            "{bad}"
        );
    }
}

#[tokio::test]
async fn security_groups_flag_rules_open_to_the_internet() {
    let m = moto().await;
    let d = m.dispatcher();
    let ec2 = m.ec2();
    let (vpc, _) = plain_vpc(&m, "10.60.0.0/16").await;
    let made = net(
        &d,
        json!({"action": "create_security_group", "group_name": "web", "description": "web tier",
               "vpc_id": vpc, "tags": {"team": "web"}}),
    )
    .await;
    let sg = s(&made["data"]["group_id"]);
    let db = ec2
        .create_security_group()
        .group_name("db")
        .description("db")
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_string();
    let group = |id: String| {
        let ec2 = ec2.clone();
        async move {
            ec2.describe_security_groups()
                .group_ids(id)
                .send()
                .await
                .unwrap()
                .security_groups()[0]
                .clone()
        }
    };
    assert_eq!(group(sg.clone()).await.description(), Some("web tier"));

    let https = json!({"action": "authorize_security_group", "group_id": sg, "protocol": "tcp",
                       "from_port": 443, "cidr_blocks": ["0.0.0.0/0"], "description": "https"});
    // Opening a port is a high-risk change, confirmed first; the result still warns.
    let r = net_confirmed(&d, https.clone()).await;
    assert!(r["data"].get("warnings").is_none(), "{r}");
    let ssh = json!({"action": "authorize_security_group", "group_id": sg, "protocol": "tcp",
                     "from_port": 22, "cidr_blocks": ["0.0.0.0/0", "10.0.0.0/8"]});
    let r = net_confirmed(&d, ssh.clone()).await;
    let warnings = r["data"]["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{r}");
    assert!(s(&warnings[0]).contains("tcp port 22") && s(&warnings[0]).contains("0.0.0.0/0"));
    assert!(s(&r["summary"]).contains("WARNING"));
    // The same call counts as critical for the guardrails; a web port or a revoke does not.
    let flags = |args: &Value| {
        let mut a = obj(args.clone());
        let action = s(&a.remove("action").unwrap());
        (TOOL.action(&action).unwrap().parse)(a).unwrap().flags()
    };
    let ssh_flags = flags(&ssh);
    assert_eq!(ssh_flags.len(), 1);
    assert_eq!(ssh_flags[0].risk, Risk::Critical);
    assert!(flags(&https).is_empty());
    let mut revoke = ssh.clone();
    revoke["action"] = json!("revoke_security_group");
    assert!(flags(&revoke).is_empty());
    let all_v6 = json!({"action": "authorize_security_group", "group_id": sg, "protocol": "all",
                        "cidr_blocks": ["::/0"]});
    assert!(flags(&all_v6)[0].reason.contains("all traffic"));

    net_confirmed(
        &d,
        json!({"action": "authorize_security_group", "group_id": sg, "direction": "egress",
               "protocol": "all", "cidr_blocks": ["::/0"]}),
    )
    .await;
    net_confirmed(
        &d,
        json!({"action": "authorize_security_group", "group_id": db, "protocol": "tcp",
               "from_port": 5432, "source_security_group_id": sg}),
    )
    .await;
    let held = group(sg.clone()).await;
    let inbound: Vec<(String, i32, Vec<String>)> = held
        .ip_permissions()
        .iter()
        .map(|p| {
            (
                p.ip_protocol().unwrap().to_string(),
                p.from_port().unwrap_or(-1),
                p.ip_ranges()
                    .iter()
                    .filter_map(|r| r.cidr_ip().map(str::to_string))
                    .collect(),
            )
        })
        .collect();
    assert!(
        inbound.contains(&("tcp".into(), 443, vec!["0.0.0.0/0".into()])),
        "{inbound:?}"
    );
    assert!(
        inbound
            .iter()
            .any(|(p, port, c)| p == "tcp" && *port == 22 && c.contains(&"0.0.0.0/0".to_string()))
    );
    assert!(held.ip_permissions_egress().iter().any(|p| {
        p.ipv6_ranges()
            .iter()
            .any(|r| r.cidr_ipv6() == Some("::/0"))
    }));
    let db_held = group(db.clone()).await;
    assert_eq!(
        db_held.ip_permissions()[0].user_id_group_pairs()[0].group_id(),
        Some(sg.as_str())
    );

    // A dry run reports the warning and changes nothing.
    let rdp = json!({"action": "authorize_security_group", "group_id": sg, "protocol": "tcp",
                     "from_port": 3389, "cidr_blocks": ["0.0.0.0/0"], "dry_run": true});
    let r = net(&d, rdp).await;
    assert_eq!(r["data"]["would_succeed"], json!(true), "{r}");
    assert_eq!(r["data"]["warnings"].as_array().unwrap().len(), 1);
    assert!(
        group(sg.clone())
            .await
            .ip_permissions()
            .iter()
            .all(|p| p.from_port() != Some(3389))
    );

    let listed = net(&d, json!({"action": "list_security_groups", "vpc_id": vpc})).await;
    assert_eq!(
        listed["data"]["security_groups"].as_array().unwrap().len(),
        3
    );
    let named = net(
        &d,
        json!({"action": "list_security_groups", "group_names": ["web"]}),
    )
    .await;
    let web = &named["data"]["security_groups"][0];
    assert_eq!(web["group_id"], json!(sg));
    assert!(
        web["inbound"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["ports"] == "22" && r["protocol"] == "tcp"),
        "{web}"
    );

    let mut revoke = ssh.clone();
    revoke["action"] = json!("revoke_security_group");
    let r = net_confirmed(&d, revoke.clone()).await;
    assert_eq!(r["data"]["revoked"], json!(true));
    assert!(
        group(sg.clone())
            .await
            .ip_permissions()
            .iter()
            .all(|p| p.from_port() != Some(22))
    );
    // moto answers a revoke of a missing rule with InvalidPermission.NotFound (AWS answers
    // success with UnknownIpPermissions; mocked.rs covers that).
    let e = try_confirmed_in(&d, NET, revoke).await.unwrap_err();
    assert_eq!(e["code"], "InvalidPermission.NotFound", "{e}");
    assert!(e["hint"].as_str().unwrap().contains("list_security_groups"));

    for bad in [
        json!({"action": "authorize_security_group", "group_id": sg, "protocol": "tcp", "from_port": 22}),
        json!({"action": "authorize_security_group", "group_id": sg, "protocol": "tcp",
               "cidr_blocks": ["10.0.0.0/8"]}),
        json!({"action": "authorize_security_group", "group_id": sg, "protocol": "all",
               "from_port": 1, "cidr_blocks": ["10.0.0.0/8"]}),
        json!({"action": "authorize_security_group", "group_id": sg, "protocol": "tcp",
               "from_port": 22, "cidr_blocks": ["everyone"]}),
    ] {
        assert_eq!(
            net_err(&d, bad.clone()).await["error"],
            "invalid_input",
            "{bad}"
        );
    }
}

#[tokio::test]
async fn elastic_ips() {
    let m = moto().await;
    let d = m.dispatcher();
    let ec2 = m.ec2();
    let made = net(
        &d,
        json!({"action": "allocate_elastic_ip", "name": "bastion"}),
    )
    .await;
    let alloc = s(&made["data"]["allocation_id"]);
    let held = ec2
        .describe_addresses()
        .allocation_ids(&alloc)
        .send()
        .await
        .unwrap();
    assert_eq!(held.addresses()[0].tags()[0].value(), Some("bastion"));
    let listed = net(&d, json!({"action": "list_elastic_ips"})).await;
    assert!(
        s(&listed["summary"]).contains("1 not associated"),
        "{listed}"
    );

    let instance = m.launch(1).await.remove(0);
    let e = net_err(
        &d,
        json!({"action": "associate_elastic_ip", "allocation_id": alloc, "instance_id": instance,
               "network_interface_id": "eni-1"}),
    )
    .await;
    assert_eq!(e["error"], "invalid_input");
    net_confirmed(
        &d,
        json!({"action": "associate_elastic_ip", "allocation_id": alloc, "instance_id": instance}),
    )
    .await;
    let held = ec2
        .describe_addresses()
        .allocation_ids(&alloc)
        .send()
        .await
        .unwrap();
    assert_eq!(held.addresses()[0].instance_id(), Some(instance.as_str()));
    let listed = net(
        &d,
        json!({"action": "list_elastic_ips", "tags": {"Name": "bastion"}}),
    )
    .await;
    assert_eq!(
        listed["data"]["elastic_ips"][0]["instance_id"],
        json!(instance)
    );

    let plan = net(
        &d,
        json!({"action": "release_elastic_ip", "allocation_id": alloc}),
    )
    .await;
    assert_eq!(
        plan["plan"]["targets"],
        json!([{"service": "ec2", "kind": "elastic-ip", "id": alloc}])
    );
    net_confirmed(
        &d,
        json!({"action": "release_elastic_ip", "allocation_id": alloc}),
    )
    .await;
    assert!(
        ec2.describe_addresses()
            .send()
            .await
            .unwrap()
            .addresses()
            .is_empty()
    );
}
