//! `aws_ec2` actions for operations moto's server cannot answer, run against `aws-smithy-mocks`
//! responses shaped like AWS's documented examples. moto 5.2.5 answers MonitorInstances and
//! UnmonitorInstances with HTTP 500, accepts but ignores ModifyImageAttribute descriptions, and
//! records no Auto Scaling activities.

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
use espada_aws::tools::ec2::{
    images::ModifyAmiAttribute,
    instances::{DisableMonitoring, EnableMonitoring},
    scaling::GetScalingActivities,
};
use espada_aws::{
    aws::{AwsPool, Guard, SdkClient},
    output::Output,
    registry::{Action, Caller, Cx},
    settings::Settings,
};
use serde_json::{Value, json};

/// Runs one action with `client` answering its AWS calls; `guard` as the dispatcher would
/// choose it (`Some(Guard::DryRun)` for a native dry run).
pub async fn run_with<A: Action, C: SdkClient>(
    client: C,
    args: Value,
    guard: Option<Guard>,
) -> Result<Output, espada_aws::error::ToolError> {
    let pool = AwsPool::new(&Settings {
        region: Some("us-east-1".into()),
        ..Settings::default()
    });
    pool.preset(None, client);
    let input: A = serde_json::from_value(args).expect("arguments parse");
    let caller = Caller::default();
    let cx = Cx::new(&pool, None, guard, &caller, &());
    input.run(&cx).await
}

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
    let ids = json!({"instance_ids": ["i-1234567890abcdef0"]});
    let out = run_with::<EnableMonitoring, _>(c.clone(), ids.clone(), None)
        .await
        .unwrap();
    assert_eq!(
        out.data["instances"],
        json!([{"instance_id": "i-1234567890abcdef0", "monitoring": "pending"}])
    );
    assert!(out.summary.starts_with("Enabling detailed monitoring on 1"));
    let out = run_with::<DisableMonitoring, _>(c, ids, None)
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
    let out = run_with::<EnableMonitoring, _>(
        client(&[&on]),
        json!({"instance_ids": ["i-1"]}),
        Some(Guard::DryRun),
    )
    .await
    .unwrap();
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
    let out = run_with::<ModifyAmiAttribute, _>(
        client(&[&rule]),
        json!({"image_id": "ami-0abcdef1234567890", "description": "golden v2"}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(out.data["changed"], json!({"description": "golden v2"}));
    assert_eq!(out.data["public"], json!(false));
    assert_eq!(rule.num_calls(), 1);
}

fn asg_client(rules: &[&Rule]) -> aws_sdk_autoscaling::Client {
    let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
    for r in rules {
        interceptor = interceptor.with_rule(r);
    }
    let conf = aws_sdk_autoscaling::Config::builder()
        .behavior_version(aws_sdk_autoscaling::config::BehaviorVersion::latest())
        .region(aws_sdk_autoscaling::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_autoscaling::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .http_client(create_mock_http_client())
        .interceptor(interceptor)
        .build();
    aws_sdk_autoscaling::Client::from_conf(conf)
}

/// moto 5.2.5 records no scaling activities, so their shaping is checked against responses
/// like AWS's DescribeScalingActivities example.
#[tokio::test]
async fn scaling_activities_with_smithy_mocks() {
    use aws_sdk_autoscaling::{
        operation::describe_scaling_activities::DescribeScalingActivitiesOutput,
        types::{Activity, ScalingActivityStatusCode},
    };
    use aws_smithy_types::DateTime;
    let rule = mock!(aws_sdk_autoscaling::Client::describe_scaling_activities)
        .match_requests(|r| {
            r.auto_scaling_group_name() == Some("my-asg") && r.max_records() == Some(50)
        })
        .then_output(|| {
            DescribeScalingActivitiesOutput::builder()
                .activities(
                    Activity::builder()
                        .activity_id("f9f2d65b-f1f2-43e7-b46d-d86756459699")
                        .auto_scaling_group_name("my-asg")
                        .description("Launching a new EC2 instance: i-0d44425630326060f")
                        .cause(
                            "At 2020-10-30T19:35:51Z a user request update of AutoScalingGroup \
                             constraints to min: 0, max: 16, desired: 16 changing the desired \
                             capacity from 0 to 16.",
                        )
                        .start_time(DateTime::from_secs(1_604_086_553))
                        .end_time(DateTime::from_secs(1_604_086_590))
                        .status_code(ScalingActivityStatusCode::Successful)
                        .progress(100)
                        .build(),
                )
                .activities(
                    Activity::builder()
                        .activity_id("a1b2c3d4-0000-4000-8000-000000000000")
                        .auto_scaling_group_name("my-asg")
                        .description("Launching a new EC2 instance.  Status Reason: insufficient capacity")
                        .cause("At 2020-10-30T19:40:00Z an instance was started in response to a difference between desired and actual capacity.")
                        .start_time(DateTime::from_secs(1_604_086_800))
                        .status_code(ScalingActivityStatusCode::Failed)
                        .status_message("We currently do not have sufficient t3.micro capacity in the Availability Zone you requested.")
                        .progress(100)
                        .build(),
                )
                .next_token("page-2")
                .build()
        });
    let out = run_with::<GetScalingActivities, _>(
        asg_client(&[&rule]),
        json!({"auto_scaling_group_name": "my-asg"}),
        Some(Guard::ReadOnly),
    )
    .await
    .unwrap();
    let acts = out.data["activities"].as_array().unwrap();
    assert_eq!(acts.len(), 2);
    assert_eq!(acts[0]["status"], "Successful");
    assert_eq!(acts[0]["start_time"], "2020-10-30T19:35:53Z");
    assert_eq!(acts[1]["status"], "Failed");
    assert!(
        acts[1]["status_message"]
            .as_str()
            .unwrap()
            .contains("capacity")
    );
    assert_eq!(out.summary, "2 scaling activities for my-asg, 1 failed.");
    assert!(out.next_token.is_some(), "AWS's token is passed on");
    assert_eq!(rule.num_calls(), 1);
}
