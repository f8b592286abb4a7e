//! Service code for operations moto's server cannot answer, tested with `aws-smithy-mocks`
//! responses shaped like AWS's documented examples. moto 5.2.5 answers MonitorInstances and
//! UnmonitorInstances with HTTP 500, and accepts but ignores ModifyImageAttribute descriptions.

use aws_sdk_ec2::{
    Client,
    config::{BehaviorVersion, Credentials, Region},
    operation::{
        modify_image_attribute::ModifyImageAttributeOutput,
        monitor_instances::MonitorInstancesOutput, unmonitor_instances::UnmonitorInstancesOutput,
    },
    types::{InstanceMonitoring, Monitoring, MonitoringState},
};
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
use espada_aws::services::ec2::Ec2;
use serde_json::json;

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

fn monitoring(id: &str, state: MonitoringState) -> InstanceMonitoring {
    InstanceMonitoring::builder()
        .instance_id(id)
        .monitoring(Monitoring::builder().state(state).build())
        .build()
}

#[tokio::test]
async fn monitoring_on_and_off_with_smithy_mocks() {
    // AWS's documented example answers: state "pending" while enabling, "disabling" after
    // UnmonitorInstances.
    let on = mock!(Client::monitor_instances)
        .match_requests(|r| {
            r.instance_ids() == ["i-1234567890abcdef0"] && r.dry_run() == Some(false)
        })
        .then_output(|| {
            MonitorInstancesOutput::builder()
                .instance_monitorings(monitoring("i-1234567890abcdef0", MonitoringState::Pending))
                .build()
        });
    let off = mock!(Client::unmonitor_instances)
        .match_requests(|r| r.instance_ids() == ["i-1234567890abcdef0"])
        .then_output(|| {
            UnmonitorInstancesOutput::builder()
                .instance_monitorings(monitoring(
                    "i-1234567890abcdef0",
                    MonitoringState::Disabling,
                ))
                .build()
        });
    let c = client(&[&on, &off]);
    let ec2 = Ec2 {
        client: &c,
        dry_run: false,
    };
    let out = ec2
        .set_monitoring(vec!["i-1234567890abcdef0".into()], true)
        .await
        .unwrap();
    assert_eq!(
        out.data["instances"],
        json!([{"instance_id": "i-1234567890abcdef0", "monitoring": "pending"}])
    );
    assert!(out.summary.starts_with("Enabling detailed monitoring on 1"));
    let out = ec2
        .set_monitoring(vec!["i-1234567890abcdef0".into()], false)
        .await
        .unwrap();
    assert_eq!(out.data["instances"][0]["monitoring"], "disabling");
    assert_eq!((on.num_calls(), off.num_calls()), (1, 1));
}

#[tokio::test]
async fn monitoring_dry_run_with_smithy_mocks() {
    let on = mock!(Client::monitor_instances)
        .match_requests(|r| r.dry_run() == Some(true))
        .then_error(|| {
            aws_sdk_ec2::operation::monitor_instances::MonitorInstancesError::generic(
                aws_sdk_ec2::error::ErrorMetadata::builder()
                    .code("DryRunOperation")
                    .message("Request would have succeeded, but DryRun flag is set.")
                    .build(),
            )
        });
    let c = client(&[&on]);
    let ec2 = Ec2 {
        client: &c,
        dry_run: true,
    };
    let out = ec2.set_monitoring(vec!["i-1".into()], true).await.unwrap();
    assert_eq!(out.data, json!({"dry_run": true, "would_succeed": true}));
    assert_eq!(on.num_calls(), 1);
}

#[tokio::test]
async fn ami_description_change_with_smithy_mocks() {
    let rule = mock!(Client::modify_image_attribute)
        .match_requests(|r| {
            r.image_id() == Some("ami-0abcdef1234567890")
                && r.description().and_then(|d| d.value()) == Some("golden v2")
                && r.launch_permission().is_none()
        })
        .then_output(|| ModifyImageAttributeOutput::builder().build());
    let c = client(&[&rule]);
    let ec2 = Ec2 {
        client: &c,
        dry_run: false,
    };
    let input: espada_aws::tools::ec2::ModifyAmiAttributeInput = serde_json::from_value(
        json!({"image_id": "ami-0abcdef1234567890", "description": "golden v2"}),
    )
    .unwrap();
    let out = ec2.modify_ami_attribute(input).await.unwrap();
    assert_eq!(out.data["changed"], json!({"description": "golden v2"}));
    assert_eq!(out.data["public"], json!(false));
    assert_eq!(rule.num_calls(), 1);
}
