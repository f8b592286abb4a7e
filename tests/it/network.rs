//! Every aws_network action against moto, checking what moto holds afterwards with a plain
//! client; the failure paths (non-empty VPC delete, overlapping or out-of-range CIDRs, rules
//! open to the internet); and the three-AZ VPC scenario through `Dispatcher::call` only.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{Filter, VpcAttributeName};
use espada_aws::{dispatch::Dispatcher, registry::Risk, tools::network::TOOL};
use serde_json::{Value, json};

use crate::harness::{AMI, Moto, confirmed_in, err_in, ids, moto, obj, ok_in, try_confirmed_in};

const NET: &str = "aws_network";

async fn net(d: &Dispatcher, args: Value) -> Value {
    ok_in(d, NET, args).await
}

async fn net_err(d: &Dispatcher, args: Value) -> Value {
    err_in(d, NET, args).await
}

async fn net_confirmed(d: &Dispatcher, args: Value) -> Value {
    confirmed_in(d, NET, args).await
}

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_string()
}

fn by(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

/// A VPC with two subnets in two AZs, made with the plain SDK.
async fn plain_vpc(m: &Moto, cidr: &str) -> (String, Vec<String>) {
    let ec2 = m.ec2();
    let vpc = ec2
        .create_vpc()
        .cidr_block(cidr)
        .send()
        .await
        .unwrap()
        .vpc()
        .unwrap()
        .vpc_id()
        .unwrap()
        .to_string();
    let base = cidr.split('.').take(2).collect::<Vec<_>>().join(".");
    let mut subnets = Vec::new();
    for (i, az) in ["us-east-1a", "us-east-1b"].iter().enumerate() {
        let id = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(format!("{base}.{i}.0/24"))
            .availability_zone(*az)
            .send()
            .await
            .unwrap()
            .subnet()
            .unwrap()
            .subnet_id()
            .unwrap()
            .to_string();
        subnets.push(id);
    }
    (vpc, subnets)
}

async fn subnets_in(m: &Moto, vpc: &str) -> Vec<aws_sdk_ec2::types::Subnet> {
    m.ec2()
        .describe_subnets()
        .filters(by("vpc-id", vpc))
        .send()
        .await
        .unwrap()
        .subnets()
        .to_vec()
}

#[tokio::test]
async fn vpcs_and_subnets_with_cidr_checks() {
    let m = moto().await;
    let d = m.dispatcher();
    let ec2 = m.ec2();
    // Setting an environment tag is a high-risk change: confirmed first.
    let made = net_confirmed(
        &d,
        json!({"action": "create_vpc", "cidr_block": "10.20.0.0/16", "enable_dns_hostnames": true,
               "name": "main", "tags": {"env": "dev"}}),
    )
    .await;
    let vpc = s(&made["data"]["vpc_id"]);
    let held = ec2.describe_vpcs().vpc_ids(&vpc).send().await.unwrap();
    let v = &held.vpcs()[0];
    assert_eq!(v.cidr_block(), Some("10.20.0.0/16"));
    let tags: BTreeMap<_, _> = v.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(tags[&Some("Name")], Some("main"));
    assert_eq!(tags[&Some("env")], Some("dev"));
    let dns = ec2
        .describe_vpc_attribute()
        .vpc_id(&vpc)
        .attribute(VpcAttributeName::EnableDnsHostnames)
        .send()
        .await
        .unwrap();
    assert_eq!(
        dns.enable_dns_hostnames().and_then(|v| v.value()),
        Some(true)
    );
    let listed = net(&d, json!({"action": "list_vpcs", "tags": {"env": "dev"}})).await;
    assert_eq!(ids(&listed, "vpcs", "vpc_id"), vec![vpc.clone()]);
    let all = net(&d, json!({"action": "list_vpcs"})).await;
    assert_eq!(all["data"]["vpcs"].as_array().unwrap().len(), 2, "{all}");

    // A public subnet associated with an existing route table.
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
    let sub = net(
        &d,
        json!({"action": "create_subnet", "vpc_id": vpc, "cidr_block": "10.20.1.0/24",
               "availability_zone": "us-east-1b", "map_public_ip_on_launch": true,
               "route_table_id": rt, "name": "public-b"}),
    )
    .await;
    let sid = s(&sub["data"]["subnet_id"]);
    let held = subnets_in(&m, &vpc).await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].cidr_block(), Some("10.20.1.0/24"));
    assert_eq!(held[0].availability_zone(), Some("us-east-1b"));
    assert_eq!(held[0].map_public_ip_on_launch(), Some(true));
    assert_eq!(held[0].tags()[0].value(), Some("public-b"));
    let t = ec2
        .describe_route_tables()
        .route_table_ids(&rt)
        .send()
        .await
        .unwrap();
    assert_eq!(
        t.route_tables()[0].associations()[0].subnet_id(),
        Some(sid.as_str())
    );

    // CIDRs that cannot work are refused before anything is sent: moto still holds one subnet.
    let e = net_err(
        &d,
        json!({"action": "create_subnet", "vpc_id": vpc, "cidr_block": "10.20.1.128/25"}),
    )
    .await;
    assert_eq!(e["error"], "invalid_input", "{e}");
    let msg = s(&e["message"]);
    assert!(
        msg.contains("overlaps") && msg.contains(&format!("{sid} (10.20.1.0/24)")),
        "{msg}"
    );
    assert!(msg.contains("10.20.0.0/25 is free"), "{msg}");
    let e = net_err(
        &d,
        json!({"action": "create_subnet", "vpc_id": vpc, "cidr_block": "10.21.0.0/24"}),
    )
    .await;
    assert!(
        s(&e["message"]).contains("not inside") && s(&e["message"]).contains("10.20.0.0/16"),
        "{e}"
    );
    for (bad, why) in [
        ("10.20.2.5/24", "host bits set"),
        ("10.20.0.0/30", "/28"),
        ("10.20.0/24", "IPv4 address"),
        ("banana", "CIDR notation"),
    ] {
        let e = net_err(
            &d,
            json!({"action": "create_subnet", "vpc_id": vpc, "cidr_block": bad}),
        )
        .await;
        assert_eq!(e["error"], "invalid_input");
        assert!(s(&e["message"]).contains(why), "{bad}: {e}");
    }
    let e = net_err(
        &d,
        json!({"action": "create_vpc", "cidr_block": "10.0.0.0/8"}),
    )
    .await;
    assert!(s(&e["message"]).contains("/16"), "{e}");
    assert_eq!(subnets_in(&m, &vpc).await.len(), 1);
    assert_eq!(
        ec2.describe_vpcs().send().await.unwrap().vpcs().len(),
        2,
        "no VPC was created by the refused call"
    );

    let listed = net(&d, json!({"action": "list_subnets", "vpc_id": vpc})).await;
    assert_eq!(ids(&listed, "subnets", "subnet_id"), vec![sid.clone()]);
    let other_az = net(
        &d,
        json!({"action": "list_subnets", "vpc_id": vpc, "availability_zone": "us-east-1a"}),
    )
    .await;
    assert_eq!(other_az["data"]["subnets"], json!([]));

    net_confirmed(&d, json!({"action": "delete_subnet", "subnet_id": sid})).await;
    assert!(subnets_in(&m, &vpc).await.is_empty());
}

#[tokio::test]
async fn routing_and_gateways() {
    let m = moto().await;
    let d = m.dispatcher();
    let ec2 = m.ec2();
    let (vpc, subnets) = plain_vpc(&m, "10.30.0.0/16").await;

    let igw = net(
        &d,
        json!({"action": "create_internet_gateway", "vpc_id": vpc, "name": "edge"}),
    )
    .await;
    let igw = s(&igw["data"]["internet_gateway_id"]);
    let held = ec2
        .describe_internet_gateways()
        .internet_gateway_ids(&igw)
        .send()
        .await
        .unwrap();
    assert_eq!(
        held.internet_gateways()[0].attachments()[0].vpc_id(),
        Some(vpc.as_str()),
        "created and attached"
    );
    let e = net_err(
        &d,
        json!({"action": "create_internet_gateway", "vpc_id": vpc}),
    )
    .await;
    assert_eq!(e["error"], "precondition_failed");
    assert!(s(&e["message"]).contains(&igw), "{e}");
    assert_eq!(
        ec2.describe_internet_gateways()
            .send()
            .await
            .unwrap()
            .internet_gateways()
            .len(),
        1,
        "no second one was made"
    );
    let listed = net(
        &d,
        json!({"action": "list_internet_gateways", "vpc_id": vpc}),
    )
    .await;
    assert_eq!(
        ids(&listed, "internet_gateways", "internet_gateway_id"),
        vec![igw.clone()]
    );

    let rt = net_confirmed(
        &d,
        json!({"action": "create_route_table", "vpc_id": vpc, "subnet_ids": subnets, "name": "public"}),
    )
    .await;
    let rt = s(&rt["data"]["route_table_id"]);
    net_confirmed(
        &d,
        json!({"action": "create_route", "route_table_id": rt, "destination_cidr_block": "0.0.0.0/0",
               "gateway_id": igw}),
    )
    .await;
    let held = ec2
        .describe_route_tables()
        .route_table_ids(&rt)
        .send()
        .await
        .unwrap();
    let table = &held.route_tables()[0];
    let assoc: BTreeSet<&str> = table
        .associations()
        .iter()
        .filter_map(|a| a.subnet_id())
        .collect();
    assert_eq!(
        assoc,
        subnets.iter().map(String::as_str).collect::<BTreeSet<_>>()
    );
    assert!(
        table.routes().iter().any(
            |r| r.destination_cidr_block() == Some("0.0.0.0/0") && r.gateway_id() == Some(&igw)
        )
    );
    for bad in [
        json!({"action": "create_route", "route_table_id": rt, "destination_cidr_block": "0.0.0.0/0"}),
        json!({"action": "create_route", "route_table_id": rt, "destination_cidr_block": "0.0.0.0/0",
               "gateway_id": igw, "nat_gateway_id": "nat-1"}),
        json!({"action": "create_route", "route_table_id": rt, "destination_cidr_block": "0.0.0.0",
               "gateway_id": igw}),
    ] {
        assert_eq!(net_err(&d, bad).await["error"], "invalid_input");
    }
    let tables = net(&d, json!({"action": "list_route_tables", "vpc_id": vpc})).await;
    assert_eq!(
        tables["data"]["route_tables"].as_array().unwrap().len(),
        2,
        "main and ours"
    );
    let ours = net(
        &d,
        json!({"action": "list_route_tables", "subnet_id": subnets[0]}),
    )
    .await;
    assert_eq!(
        ids(&ours, "route_tables", "route_table_id"),
        vec![rt.clone()]
    );
    let routes = &ours["data"]["route_tables"][0]["routes"];
    assert!(
        routes
            .as_array()
            .unwrap()
            .contains(&json!({"destination": "0.0.0.0/0", "target": igw, "state": "active"})),
        "{routes}"
    );
    net_confirmed(
        &d,
        json!({"action": "delete_route", "route_table_id": rt, "destination_cidr_block": "0.0.0.0/0"}),
    )
    .await;
    let held = ec2
        .describe_route_tables()
        .route_table_ids(&rt)
        .send()
        .await
        .unwrap();
    assert!(
        held.route_tables()[0]
            .routes()
            .iter()
            .all(|r| r.destination_cidr_block() != Some("0.0.0.0/0"))
    );

    // Without an allocation id the NAT gateway gets a fresh Elastic IP.
    let nat = net(
        &d,
        json!({"action": "create_nat_gateway", "subnet_id": subnets[0], "name": "nat-a"}),
    )
    .await;
    let nat_a = s(&nat["data"]["nat_gateway_id"]);
    let alloc = s(&nat["data"]["allocated_elastic_ip"]["allocation_id"]);
    let held = ec2
        .describe_nat_gateways()
        .nat_gateway_ids(&nat_a)
        .send()
        .await
        .unwrap();
    let n = &held.nat_gateways()[0];
    assert_eq!(n.subnet_id(), Some(subnets[0].as_str()));
    assert_eq!(
        n.nat_gateway_addresses()[0].allocation_id(),
        Some(alloc.as_str())
    );
    let addrs = ec2
        .describe_addresses()
        .allocation_ids(&alloc)
        .send()
        .await
        .unwrap();
    assert_eq!(addrs.addresses().len(), 1);
    // With one it uses that one.
    let given = ec2
        .allocate_address()
        .send()
        .await
        .unwrap()
        .allocation_id()
        .unwrap()
        .to_string();
    let nat = net(
        &d,
        json!({"action": "create_nat_gateway", "subnet_id": subnets[1], "allocation_id": given}),
    )
    .await;
    assert_eq!(nat["data"]["allocated_elastic_ip"], Value::Null);
    let nat_b = s(&nat["data"]["nat_gateway_id"]);
    let held = ec2
        .describe_nat_gateways()
        .nat_gateway_ids(&nat_b)
        .send()
        .await
        .unwrap();
    assert_eq!(
        held.nat_gateways()[0].nat_gateway_addresses()[0].allocation_id(),
        Some(given.as_str())
    );
    let e = net_err(
        &d,
        json!({"action": "create_nat_gateway", "subnet_id": subnets[1], "allocation_id": given,
               "connectivity_type": "private"}),
    )
    .await;
    assert_eq!(e["error"], "invalid_input");
    let listed = net(&d, json!({"action": "list_nat_gateways", "vpc_id": vpc})).await;
    assert_eq!(listed["data"]["nat_gateways"].as_array().unwrap().len(), 2);

    let gone = net_confirmed(
        &d,
        json!({"action": "delete_nat_gateway", "nat_gateway_id": nat_a}),
    )
    .await;
    assert!(s(&gone["summary"]).contains(&alloc), "{gone}");
    let held = ec2
        .describe_nat_gateways()
        .nat_gateway_ids(&nat_a)
        .send()
        .await
        .unwrap();
    assert_eq!(
        held.nat_gateways()[0].state().map(|s| s.as_str()),
        Some("deleted")
    );
    let listed = net(&d, json!({"action": "list_nat_gateways", "vpc_id": vpc})).await;
    assert_eq!(
        ids(&listed, "nat_gateways", "nat_gateway_id"),
        vec![nat_b.clone()],
        "deleted gateways are left out"
    );
}

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

#[tokio::test]
async fn delete_vpc_names_what_still_depends_on_it() {
    let m = moto().await;
    let d = m.dispatcher();
    let ec2 = m.ec2();
    let (vpc, subnets) = plain_vpc(&m, "10.40.0.0/16").await;
    let igw = ec2
        .create_internet_gateway()
        .send()
        .await
        .unwrap()
        .internet_gateway()
        .unwrap()
        .internet_gateway_id()
        .unwrap()
        .to_string();
    ec2.attach_internet_gateway()
        .internet_gateway_id(&igw)
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
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
    let vpce = ec2
        .create_vpc_endpoint()
        .vpc_id(&vpc)
        .service_name("com.amazonaws.us-east-1.s3")
        // moto 5.2.5 cannot delete an endpoint created without a type (HTTP 500).
        .vpc_endpoint_type(aws_sdk_ec2::types::VpcEndpointType::Gateway)
        .route_table_ids(&rt)
        .send()
        .await
        .unwrap()
        .vpc_endpoint()
        .unwrap()
        .vpc_endpoint_id()
        .unwrap()
        .to_string();
    let sg = ec2
        .create_security_group()
        .group_name("app")
        .description("app")
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_string();
    let alloc = ec2
        .allocate_address()
        .send()
        .await
        .unwrap()
        .allocation_id()
        .unwrap()
        .to_string();
    let nat = ec2
        .create_nat_gateway()
        .subnet_id(&subnets[0])
        .allocation_id(&alloc)
        .send()
        .await
        .unwrap()
        .nat_gateway()
        .unwrap()
        .nat_gateway_id()
        .unwrap()
        .to_string();
    let instance = ec2
        .run_instances()
        .image_id(AMI)
        .min_count(1)
        .max_count(1)
        .subnet_id(&subnets[1])
        .send()
        .await
        .unwrap()
        .instances()[0]
        .instance_id()
        .unwrap()
        .to_string();

    let e = try_confirmed_in(&d, NET, json!({"action": "delete_vpc", "vpc_id": vpc}))
        .await
        .unwrap_err();
    assert_eq!(e["error"], "precondition_failed", "{e}");
    let msg = s(&e["message"]);
    for id in [&igw, &nat, &vpce, &sg, &rt, &subnets[0], &subnets[1]] {
        assert!(msg.contains(id.as_str()), "{id} missing from: {msg}");
    }
    assert!(msg.contains(&format!("instance {instance}")), "{msg}");
    let details = &e["details"];
    assert_eq!(details["blocking"]["nat_gateways"], json!([nat]));
    assert_eq!(details["removable"]["internet_gateways"], json!([igw]));
    assert_eq!(details["removable"]["vpc_endpoints"], json!([vpce]));
    assert_eq!(details["removable"]["security_groups"], json!([sg]));
    assert_eq!(details["removable"]["route_tables"], json!([rt]));
    assert!(s(&e["hint"]).contains("terminate_instances"), "{e}");
    assert_eq!(
        ec2.describe_vpcs()
            .vpc_ids(&vpc)
            .send()
            .await
            .unwrap()
            .vpcs()
            .len(),
        1,
        "the VPC is still there"
    );
    // delete_dependencies never removes what carries traffic or data.
    let e = try_confirmed_in(
        &d,
        NET,
        json!({"action": "delete_vpc", "vpc_id": vpc, "delete_dependencies": true}),
    )
    .await
    .unwrap_err();
    assert_eq!(e["error"], "precondition_failed");
    assert!(
        ec2.describe_internet_gateways()
            .internet_gateway_ids(&igw)
            .send()
            .await
            .is_ok()
    );
    let dry = net(
        &d,
        json!({"action": "delete_vpc", "vpc_id": vpc, "dry_run": true}),
    )
    .await;
    assert_eq!(dry["data"]["would_succeed"], json!(false), "{dry}");

    // Without the instance and the NAT gateway only configuration is left.
    ec2.terminate_instances()
        .instance_ids(&instance)
        .send()
        .await
        .unwrap();
    ec2.delete_nat_gateway()
        .nat_gateway_id(&nat)
        .send()
        .await
        .unwrap();
    let e = try_confirmed_in(&d, NET, json!({"action": "delete_vpc", "vpc_id": vpc}))
        .await
        .unwrap_err();
    assert_eq!(e["details"]["blocking"], json!({}), "{e}");
    assert!(s(&e["hint"]).contains("delete_dependencies"), "{e}");
    let dry = net(
        &d,
        json!({"action": "delete_vpc", "vpc_id": vpc, "delete_dependencies": true, "dry_run": true}),
    )
    .await;
    assert_eq!(
        dry["data"]["would_delete"]["subnets"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "{dry}"
    );
    let done = net_confirmed(
        &d,
        json!({"action": "delete_vpc", "vpc_id": vpc, "delete_dependencies": true}),
    )
    .await;
    let deleted: Vec<String> = done["data"]["deleted_dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(s)
        .collect();
    for id in [&igw, &vpce, &sg, &rt, &subnets[0], &subnets[1]] {
        assert!(deleted.contains(id), "{id} not in {deleted:?}");
    }
    assert!(ec2.describe_vpcs().vpc_ids(&vpc).send().await.is_err());
    assert!(
        ec2.describe_internet_gateways()
            .internet_gateway_ids(&igw)
            .send()
            .await
            .is_err()
    );

    // An empty VPC just goes.
    let empty = ec2
        .create_vpc()
        .cidr_block("10.41.0.0/16")
        .send()
        .await
        .unwrap()
        .vpc()
        .unwrap()
        .vpc_id()
        .unwrap()
        .to_string();
    let done = net_confirmed(&d, json!({"action": "delete_vpc", "vpc_id": empty})).await;
    assert_eq!(done["data"]["deleted"], json!(empty));
    assert!(ec2.describe_vpcs().vpc_ids(&empty).send().await.is_err());
}

#[tokio::test]
async fn dry_runs_check_the_first_step_and_change_nothing() {
    let m = moto().await;
    let d = m.dispatcher();
    let ec2 = m.ec2();
    let (vpc, subnets) = plain_vpc(&m, "10.70.0.0/16").await;
    let igws_before = ec2
        .describe_internet_gateways()
        .send()
        .await
        .unwrap()
        .internet_gateways()
        .len();
    let r = net(
        &d,
        json!({"action": "create_internet_gateway", "vpc_id": vpc, "dry_run": true}),
    )
    .await;
    assert_eq!(r["data"]["would_succeed"], json!(true), "{r}");
    assert_eq!(
        r["data"]["not_checked"],
        json!([format!("attach to {vpc}")])
    );
    let r = net(
        &d,
        json!({"action": "create_nat_gateway", "subnet_id": subnets[0], "dry_run": true}),
    )
    .await;
    assert_eq!(r["data"]["would_succeed"], json!(true), "{r}");
    let r = net(
        &d,
        json!({"action": "create_security_group", "group_name": "x", "description": "x",
               "vpc_id": vpc, "dry_run": true}),
    )
    .await;
    assert_eq!(r["data"]["would_succeed"], json!(true));
    assert_eq!(
        ec2.describe_internet_gateways()
            .send()
            .await
            .unwrap()
            .internet_gateways()
            .len(),
        igws_before
    );
    assert!(
        ec2.describe_addresses()
            .send()
            .await
            .unwrap()
            .addresses()
            .is_empty()
    );
    assert!(
        ec2.describe_nat_gateways()
            .send()
            .await
            .unwrap()
            .nat_gateways()
            .is_empty()
    );
    let groups = ec2
        .describe_security_groups()
        .filters(by("vpc-id", &vpc))
        .send()
        .await
        .unwrap();
    assert_eq!(groups.security_groups().len(), 1, "only the default group");
}

/// The scenario from the issue, through `Dispatcher::call` only: a VPC across 3 AZs with public
/// and private subnets, an internet gateway, a NAT gateway, public and private route tables
/// with the right default routes and associations, and an S3 gateway endpoint; verified with
/// plain SDK describes; then torn down with confirmations.
#[tokio::test]
async fn three_az_vpc_scenario() {
    let m = moto().await;
    let d = m.dispatcher();
    let azs = ["us-east-1a", "us-east-1b", "us-east-1c"];

    let vpc = net(
        &d,
        json!({"action": "create_vpc", "cidr_block": "10.0.0.0/16", "enable_dns_hostnames": true,
               "name": "prod"}),
    )
    .await;
    let vpc = s(&vpc["data"]["vpc_id"]);
    let igw = net(
        &d,
        json!({"action": "create_internet_gateway", "vpc_id": vpc, "name": "prod-igw"}),
    )
    .await;
    let igw = s(&igw["data"]["internet_gateway_id"]);
    let public_rt = net(
        &d,
        json!({"action": "create_route_table", "vpc_id": vpc, "name": "prod-public"}),
    )
    .await;
    let public_rt = s(&public_rt["data"]["route_table_id"]);
    net_confirmed(
        &d,
        json!({"action": "create_route", "route_table_id": public_rt,
               "destination_cidr_block": "0.0.0.0/0", "gateway_id": igw}),
    )
    .await;
    let mut public = Vec::new();
    let mut private = Vec::new();
    for (i, az) in azs.iter().enumerate() {
        let p = net(
            &d,
            json!({"action": "create_subnet", "vpc_id": vpc, "cidr_block": format!("10.0.{i}.0/24"),
                   "availability_zone": az, "map_public_ip_on_launch": true,
                   "route_table_id": public_rt, "name": format!("public-{az}")}),
        )
        .await;
        public.push(s(&p["data"]["subnet_id"]));
        let q = net(
            &d,
            json!({"action": "create_subnet", "vpc_id": vpc,
                   "cidr_block": format!("10.0.{}.0/24", 10 + i), "availability_zone": az,
                   "name": format!("private-{az}")}),
        )
        .await;
        private.push(s(&q["data"]["subnet_id"]));
    }
    let nat = net(
        &d,
        json!({"action": "create_nat_gateway", "subnet_id": public[0], "name": "prod-nat"}),
    )
    .await;
    let nat_id = s(&nat["data"]["nat_gateway_id"]);
    let nat_alloc = s(&nat["data"]["allocated_elastic_ip"]["allocation_id"]);
    let private_rt = net_confirmed(
        &d,
        json!({"action": "create_route_table", "vpc_id": vpc, "subnet_ids": private,
               "name": "prod-private"}),
    )
    .await;
    let private_rt = s(&private_rt["data"]["route_table_id"]);
    net_confirmed(
        &d,
        json!({"action": "create_route", "route_table_id": private_rt,
               "destination_cidr_block": "0.0.0.0/0", "nat_gateway_id": nat_id}),
    )
    .await;
    let vpce = net(
        &d,
        json!({"action": "create_vpc_endpoint", "vpc_id": vpc, "service_name": "s3",
               "route_table_ids": [public_rt, private_rt]}),
    )
    .await;
    let vpce = s(&vpce["data"]["vpc_endpoint_id"]);

    // The tool's own summary of the VPC.
    let got = net(&d, json!({"action": "get_vpc", "vpc_id": vpc})).await;
    let summary = s(&got["summary"]);
    assert!(
        summary.contains("6 subnet(s) in 3 AZ(s) (3 public)"),
        "{summary}"
    );
    assert!(summary.contains("1 internet gateway(s)") && summary.contains("1 NAT gateway(s)"));
    assert!(summary.contains("1 endpoint(s)"), "{summary}");
    assert_eq!(got["data"]["enable_dns_hostnames"], json!(true));
    for sn in got["data"]["subnets"].as_array().unwrap() {
        let id = s(&sn["subnet_id"]);
        let (want_rt, want_target) = if public.contains(&id) {
            (&public_rt, &igw)
        } else {
            (&private_rt, &nat_id)
        };
        assert_eq!(sn["route_table_id"], json!(want_rt), "{sn}");
        assert_eq!(sn["default_route"], json!(want_target), "{sn}");
    }

    // The whole topology, as plain SDK describes see it.
    let ec2 = m.ec2();
    let v = ec2.describe_vpcs().vpc_ids(&vpc).send().await.unwrap();
    assert_eq!(v.vpcs()[0].cidr_block(), Some("10.0.0.0/16"));
    let held = subnets_in(&m, &vpc).await;
    assert_eq!(held.len(), 6);
    let az_of = |ids: &[String]| -> BTreeSet<String> {
        held.iter()
            .filter(|x| ids.iter().any(|i| Some(i.as_str()) == x.subnet_id()))
            .map(|x| x.availability_zone().unwrap().to_string())
            .collect()
    };
    let all_azs: BTreeSet<String> = azs.iter().map(|a| a.to_string()).collect();
    assert_eq!(az_of(&public), all_azs);
    assert_eq!(az_of(&private), all_azs);
    for x in &held {
        let is_public = public.iter().any(|p| Some(p.as_str()) == x.subnet_id());
        assert_eq!(x.map_public_ip_on_launch(), Some(is_public), "{x:?}");
    }
    let g = ec2
        .describe_internet_gateways()
        .internet_gateway_ids(&igw)
        .send()
        .await
        .unwrap();
    assert_eq!(
        g.internet_gateways()[0].attachments()[0].vpc_id(),
        Some(vpc.as_str())
    );
    let n = ec2
        .describe_nat_gateways()
        .nat_gateway_ids(&nat_id)
        .send()
        .await
        .unwrap();
    assert_eq!(n.nat_gateways()[0].subnet_id(), Some(public[0].as_str()));
    let tables = ec2
        .describe_route_tables()
        .filters(by("vpc-id", &vpc))
        .send()
        .await
        .unwrap();
    assert_eq!(tables.route_tables().len(), 3, "main, public, private");
    for (rt, subnets, target) in [
        (&public_rt, &public, &igw),
        (&private_rt, &private, &nat_id),
    ] {
        let t = tables
            .route_tables()
            .iter()
            .find(|t| t.route_table_id() == Some(rt.as_str()))
            .unwrap();
        let assoc: BTreeSet<&str> = t
            .associations()
            .iter()
            .filter_map(|a| a.subnet_id())
            .collect();
        assert_eq!(
            assoc,
            subnets.iter().map(String::as_str).collect::<BTreeSet<_>>()
        );
        let default = t
            .routes()
            .iter()
            .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
            .expect("default route");
        assert_eq!(
            default.gateway_id().or(default.nat_gateway_id()),
            Some(target.as_str())
        );
        assert!(
            t.routes()
                .iter()
                .any(|r| r.destination_prefix_list_id().is_some()
                    && r.gateway_id() == Some(vpce.as_str())),
            "S3 endpoint route in {rt}"
        );
    }
    let e = ec2
        .describe_vpc_endpoints()
        .vpc_endpoint_ids(&vpce)
        .send()
        .await
        .unwrap();
    let ep = &e.vpc_endpoints()[0];
    assert_eq!(ep.service_name(), Some("com.amazonaws.us-east-1.s3"));
    assert_eq!(ep.vpc_endpoint_type().map(|t| t.as_str()), Some("Gateway"));
    let mut ep_tables: Vec<&str> = ep.route_table_ids().iter().map(String::as_str).collect();
    ep_tables.sort();
    let mut want = vec![public_rt.as_str(), private_rt.as_str()];
    want.sort();
    assert_eq!(ep_tables, want);

    // Tear down: the NAT gateway, its Elastic IP, then the VPC with everything in it.
    net_confirmed(
        &d,
        json!({"action": "delete_nat_gateway", "nat_gateway_id": nat_id}),
    )
    .await;
    net_confirmed(
        &d,
        json!({"action": "release_elastic_ip", "allocation_id": nat_alloc}),
    )
    .await;
    let done = net_confirmed(
        &d,
        json!({"action": "delete_vpc", "vpc_id": vpc, "delete_dependencies": true}),
    )
    .await;
    assert_eq!(done["data"]["deleted"], json!(vpc), "{done}");
    assert!(ec2.describe_vpcs().vpc_ids(&vpc).send().await.is_err());
    assert!(subnets_in(&m, &vpc).await.is_empty());
    assert!(
        ec2.describe_internet_gateways()
            .internet_gateway_ids(&igw)
            .send()
            .await
            .is_err()
    );
    assert!(
        ec2.describe_addresses()
            .send()
            .await
            .unwrap()
            .addresses()
            .is_empty()
    );
}
