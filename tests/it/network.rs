//! aws_network's VPCs, subnets, routing and gateways against moto, checking what moto holds
//! afterwards with a plain client; the failure paths (non-empty VPC delete, overlapping or
//! out-of-range CIDRs); dry runs; and the three-AZ VPC scenario through `Dispatcher::call` only.
//! (Network ACLs, endpoints, flow logs, security groups and Elastic IPs are in
//! `network_traffic.rs`.)

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{Filter, VpcAttributeName};
use espada_aws::dispatch::Dispatcher;
use serde_json::{Value, json};

use crate::harness::{AMI, Moto, confirmed_in, err_in, ids, moto, ok_in, try_confirmed_in};

pub(crate) const NET: &str = "aws_network";

pub(crate) async fn net(d: &Dispatcher, args: Value) -> Value {
    ok_in(d, NET, args).await
}

pub(crate) async fn net_err(d: &Dispatcher, args: Value) -> Value {
    err_in(d, NET, args).await
}

pub(crate) async fn net_confirmed(d: &Dispatcher, args: Value) -> Value {
    confirmed_in(d, NET, args).await
}

pub(crate) fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_string()
}

pub(crate) fn by(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

/// A VPC with two subnets in two AZs, made with the plain SDK.
pub(crate) async fn plain_vpc(m: &Moto, cidr: &str) -> (String, Vec<String>) {
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
