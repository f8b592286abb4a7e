//! `aws_network` actions for answers moto's server does not give, run against `aws-smithy-mocks`
//! responses shaped like AWS's documented examples: a native dry run of a multi-step create
//! (moto ignores `DryRun` on CreateSubnet), and a revoke that matches no rule (AWS answers
//! success with UnknownIpPermissions; moto answers InvalidPermission.NotFound).

use aws_sdk_ec2::{
    Client,
    config::{BehaviorVersion, Credentials, Region},
};
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
use espada_aws::{
    aws::Guard,
    tools::network::{security::RevokeSecurityGroup, subnets::CreateSubnet},
};
use serde_json::json;

use crate::mocked::run_with;

fn client(rules: &[&Rule]) -> Client {
    let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
    for r in rules {
        interceptor = interceptor.with_rule(r);
    }
    let conf = aws_sdk_ec2::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .http_client(create_mock_http_client())
        .interceptor(interceptor)
        .build();
    Client::from_conf(conf)
}

/// The dry run reads the VPC and its subnets, checks CreateSubnet with `DryRun` and stops
/// there, naming the association it could not check; an overlapping block is refused before
/// anything is sent.
#[tokio::test]
async fn create_subnet_dry_run_with_smithy_mocks() {
    use aws_sdk_ec2::{
        operation::{
            associate_route_table::AssociateRouteTableOutput, create_subnet::CreateSubnetError,
            describe_subnets::DescribeSubnetsOutput, describe_vpcs::DescribeVpcsOutput,
        },
        types::{Subnet, Vpc, VpcCidrBlockAssociation, VpcCidrBlockState, VpcCidrBlockStateCode},
    };
    let vpcs = mock!(Client::describe_vpcs)
        .match_requests(|r| r.vpc_ids() == ["vpc-1a2b3c4d"])
        .then_output(|| {
            DescribeVpcsOutput::builder()
                .vpcs(
                    Vpc::builder()
                        .vpc_id("vpc-1a2b3c4d")
                        .cidr_block("10.0.0.0/16")
                        .cidr_block_association_set(
                            VpcCidrBlockAssociation::builder()
                                .cidr_block("10.0.0.0/16")
                                .cidr_block_state(
                                    VpcCidrBlockState::builder()
                                        .state(VpcCidrBlockStateCode::Associated)
                                        .build(),
                                )
                                .build(),
                        )
                        .build(),
                )
                .build()
        });
    let subnets = mock!(Client::describe_subnets).then_output(|| {
        DescribeSubnetsOutput::builder()
            .subnets(
                Subnet::builder()
                    .subnet_id("subnet-9d4a7b6c")
                    .vpc_id("vpc-1a2b3c4d")
                    .cidr_block("10.0.1.0/24")
                    .build(),
            )
            .build()
    });
    let create = mock!(Client::create_subnet)
        .match_requests(|r| r.dry_run() == Some(true) && r.cidr_block() == Some("10.0.2.0/24"))
        .then_error(|| {
            CreateSubnetError::generic(
                aws_sdk_ec2::error::ErrorMetadata::builder()
                    .code("DryRunOperation")
                    .message("Request would have succeeded, but DryRun flag is set.")
                    .build(),
            )
        });
    // The association is a later step: a dry run must never send it.
    let associate = mock!(Client::associate_route_table)
        .then_output(|| AssociateRouteTableOutput::builder().build());
    let c = client(&[&vpcs, &subnets, &create, &associate]);
    let args = |cidr: &str| json!({"vpc_id": "vpc-1a2b3c4d", "cidr_block": cidr, "route_table_id": "rtb-22574640"});
    let out = run_with::<CreateSubnet, _>(c.clone(), args("10.0.2.0/24"), Some(Guard::DryRun))
        .await
        .unwrap();
    assert_eq!(out.data["would_succeed"], json!(true), "{out:?}");
    assert_eq!(
        out.data["not_checked"],
        json!(["associate with rtb-22574640"])
    );
    // An overlapping block is refused before CreateSubnet is sent, dry run or not.
    let e = run_with::<CreateSubnet, _>(c, args("10.0.1.0/25"), Some(Guard::DryRun))
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("subnet-9d4a7b6c (10.0.1.0/24)"),
        "{e}"
    );
    assert_eq!(create.num_calls(), 1);
    assert_eq!(associate.num_calls(), 0);
}

/// AWS answers a revoke that matches no rule with success and UnknownIpPermissions (moto
/// answers InvalidPermission.NotFound instead); the tool says nothing was revoked.
#[tokio::test]
async fn revoke_of_an_unknown_rule_with_smithy_mocks() {
    use aws_sdk_ec2::{
        operation::revoke_security_group_ingress::RevokeSecurityGroupIngressOutput,
        types::{IpPermission, IpRange},
    };
    let rule = mock!(Client::revoke_security_group_ingress)
        .match_requests(|r| r.group_id() == Some("sg-903004f8") && r.dry_run() == Some(false))
        .then_output(|| {
            RevokeSecurityGroupIngressOutput::builder()
                .r#return(true)
                .unknown_ip_permissions(
                    IpPermission::builder()
                        .ip_protocol("tcp")
                        .from_port(22)
                        .to_port(22)
                        .ip_ranges(IpRange::builder().cidr_ip("203.0.113.0/24").build())
                        .build(),
                )
                .build()
        });
    let out = run_with::<RevokeSecurityGroup, _>(
        client(&[&rule]),
        json!({"group_id": "sg-903004f8", "protocol": "tcp", "from_port": 22,
               "cidr_blocks": ["203.0.113.0/24"]}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(out.data["revoked"], json!(false));
    assert!(
        out.summary.contains("nothing was revoked"),
        "{}",
        out.summary
    );
    assert_eq!(rule.num_calls(), 1);
}

/// moto ignores `DryRun` on DeleteVpc (it deletes the VPC), so the dry run of deleting an empty
/// VPC runs against mocks: it reads what is in the VPC, sends only DeleteVpc marked as a dry
/// run, and leaves the default group's self-referencing rule alone (it goes with the VPC).
#[tokio::test]
async fn delete_vpc_dry_run_with_smithy_mocks() {
    use aws_sdk_ec2::{
        operation::{
            delete_vpc::DeleteVpcError,
            describe_egress_only_internet_gateways::DescribeEgressOnlyInternetGatewaysOutput,
            describe_internet_gateways::DescribeInternetGatewaysOutput,
            describe_nat_gateways::DescribeNatGatewaysOutput,
            describe_network_acls::DescribeNetworkAclsOutput,
            describe_network_interfaces::DescribeNetworkInterfacesOutput,
            describe_route_tables::DescribeRouteTablesOutput,
            describe_security_groups::DescribeSecurityGroupsOutput,
            describe_subnets::DescribeSubnetsOutput,
            describe_vpc_endpoints::DescribeVpcEndpointsOutput, describe_vpcs::DescribeVpcsOutput,
            describe_vpn_gateways::DescribeVpnGatewaysOutput,
            revoke_security_group_ingress::RevokeSecurityGroupIngressOutput,
        },
        types::{
            IpPermission, NetworkAcl, RouteTable, RouteTableAssociation, SecurityGroup,
            UserIdGroupPair, Vpc,
        },
    };
    let vpc = "vpc-a01106c2";
    let vpcs = mock!(Client::describe_vpcs).then_output(move || {
        DescribeVpcsOutput::builder()
            .vpcs(Vpc::builder().vpc_id(vpc).cidr_block("10.0.0.0/16").build())
            .build()
    });
    // What every new VPC holds: its main route table, default network ACL and default group,
    // whose inbound rule lets its own members in.
    let tables = mock!(Client::describe_route_tables).then_output(move || {
        DescribeRouteTablesOutput::builder()
            .route_tables(
                RouteTable::builder()
                    .route_table_id("rtb-1f382e7d")
                    .vpc_id(vpc)
                    .associations(RouteTableAssociation::builder().main(true).build())
                    .build(),
            )
            .build()
    });
    let acls = mock!(Client::describe_network_acls).then_output(move || {
        DescribeNetworkAclsOutput::builder()
            .network_acls(
                NetworkAcl::builder()
                    .network_acl_id("acl-5fb85d36")
                    .vpc_id(vpc)
                    .is_default(true)
                    .build(),
            )
            .build()
    });
    let groups = mock!(Client::describe_security_groups).then_output(move || {
        DescribeSecurityGroupsOutput::builder()
            .security_groups(
                SecurityGroup::builder()
                    .group_id("sg-903004f8")
                    .group_name("default")
                    .vpc_id(vpc)
                    .ip_permissions(
                        IpPermission::builder()
                            .ip_protocol("-1")
                            .user_id_group_pairs(
                                UserIdGroupPair::builder().group_id("sg-903004f8").build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .build()
    });
    let subnets =
        mock!(Client::describe_subnets).then_output(|| DescribeSubnetsOutput::builder().build());
    let igws = mock!(Client::describe_internet_gateways)
        .then_output(|| DescribeInternetGatewaysOutput::builder().build());
    let eigws = mock!(Client::describe_egress_only_internet_gateways)
        .then_output(|| DescribeEgressOnlyInternetGatewaysOutput::builder().build());
    let nats = mock!(Client::describe_nat_gateways)
        .then_output(|| DescribeNatGatewaysOutput::builder().build());
    let endpoints = mock!(Client::describe_vpc_endpoints)
        .then_output(|| DescribeVpcEndpointsOutput::builder().build());
    let enis = mock!(Client::describe_network_interfaces)
        .then_output(|| DescribeNetworkInterfacesOutput::builder().build());
    let vgws = mock!(Client::describe_vpn_gateways)
        .then_output(|| DescribeVpnGatewaysOutput::builder().build());
    let revoke = mock!(Client::revoke_security_group_ingress)
        .then_output(|| RevokeSecurityGroupIngressOutput::builder().build());
    let delete = mock!(Client::delete_vpc)
        .match_requests(move |r| r.vpc_id() == Some(vpc) && r.dry_run() == Some(true))
        .then_error(|| {
            DeleteVpcError::generic(
                aws_sdk_ec2::error::ErrorMetadata::builder()
                    .code("DryRunOperation")
                    .message("Request would have succeeded, but DryRun flag is set.")
                    .build(),
            )
        });
    let c = client(&[
        &vpcs, &tables, &acls, &groups, &subnets, &igws, &eigws, &nats, &endpoints, &enis, &vgws,
        &revoke, &delete,
    ]);
    let out = run_with::<espada_aws::tools::network::vpc::DeleteVpc, _>(
        c,
        json!({"vpc_id": vpc}),
        Some(Guard::DryRun),
    )
    .await
    .unwrap();
    assert_eq!(
        out.data,
        json!({"dry_run": true, "would_succeed": true}),
        "{out:?}"
    );
    assert_eq!(delete.num_calls(), 1);
    assert_eq!(revoke.num_calls(), 0, "a dry run revokes nothing");
}
