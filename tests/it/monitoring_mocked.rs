//! aws_monitoring actions moto cannot serve here, run against `aws-smithy-mocks` answers shaped
//! like AWS's API reference: the X-Ray service graph (moto has no services) and trace summaries
//! (moto's answer does not parse), anomaly detectors (no PutAnomalyDetector), Logs Insights
//! results (moto does not evaluate queries), and canaries (moto has no StartCanary and answers
//! their timestamps as strings).

use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_xray::{
    Client as XRay,
    operation::get_service_graph::GetServiceGraphOutput,
    types::{Edge, ErrorStatistics, Service, ServiceStatistics},
};
use aws_smithy_mocks::{MockResponseInterceptor, RuleMode, create_mock_http_client, mock};
use espada_aws::tools::monitoring::traces::GetServiceGraph;
use serde_json::json;

use crate::mocked::run_with;

/// A client of `$sdk` whose answers come from these `aws-smithy-mocks` rules.
macro_rules! mocked {
    ($sdk:ident, $($rule:expr),+ $(,)?) => {{
        let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
        $(interceptor = interceptor.with_rule(&$rule);)+
        $sdk::Client::from_conf(
            $sdk::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("us-east-1"))
                .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
                .http_client(create_mock_http_client())
                .interceptor(interceptor)
                .build(),
        )
    }};
}

/// moto's GetTraceSummaries answers `Users` as an object where AWS sends a list, which the SDK
/// cannot parse: the summaries are shaped from an answer like AWS's API reference.
#[tokio::test]
async fn trace_summaries_mocked() {
    use aws_sdk_xray::{
        operation::get_trace_summaries::GetTraceSummariesOutput,
        types::{Http, ServiceId, TraceSummary},
    };
    use espada_aws::tools::monitoring::traces::GetTraceSummaries;
    let rule = mock!(XRay::get_trace_summaries)
        .match_requests(|r| {
            r.filter_expression() == Some("fault = true")
                && r.start_time()
                    .zip(r.end_time())
                    .is_some_and(|(s, e)| e.secs() - s.secs() == 15 * 60)
        })
        .then_output(|| {
            GetTraceSummariesOutput::builder()
                .trace_summaries(
                    TraceSummary::builder()
                        .id("1-5f84c7a1-0123456789abcdef01234567")
                        .duration(1.234)
                        .response_time(1.2)
                        .has_fault(true)
                        .has_error(false)
                        .http(
                            Http::builder()
                                .http_method("POST")
                                .http_url("https://api.example.com/pay")
                                .http_status(502)
                                .build(),
                        )
                        .entry_point(ServiceId::builder().name("api").build())
                        .build(),
                )
                .trace_summaries(
                    TraceSummary::builder()
                        .id("1-5f84c7a2-0123456789abcdef01234568")
                        .duration(0.2)
                        .has_fault(false)
                        .has_error(false)
                        .build(),
                )
                .next_token("token-2")
                .build()
        });
    let client = mocked!(aws_sdk_xray, rule);
    let out = run_with::<GetTraceSummaries, _>(
        client,
        json!({"filter": "fault = true", "minutes": 15}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(rule.num_calls(), 1);
    let traces = out.data["traces"].as_array().unwrap();
    assert_eq!(traces.len(), 2, "{out:?}");
    assert_eq!(traces[0]["status"], 502);
    assert_eq!(traces[0]["entry_point"], "api");
    assert_eq!(traces[0]["fault"], true);
    assert!(
        out.summary.contains("1 with errors or faults"),
        "{}",
        out.summary
    );
    assert!(out.next_token.is_some());
}

#[tokio::test]
async fn service_graph_mocked() {
    let rule = mock!(XRay::get_service_graph).then_output(|| {
        GetServiceGraphOutput::builder()
            .services(
                Service::builder()
                    .reference_id(0)
                    .name("api")
                    .r#type("AWS::ECS::Container")
                    .root(true)
                    .edges(Edge::builder().reference_id(1).build())
                    .summary_statistics(
                        ServiceStatistics::builder()
                            .ok_count(90)
                            .total_count(100)
                            .error_statistics(ErrorStatistics::builder().total_count(7).build())
                            .build(),
                    )
                    .build(),
            )
            .services(
                Service::builder()
                    .reference_id(1)
                    .name("payments-db")
                    .r#type("AWS::RDS::DBInstance")
                    .build(),
            )
            .build()
    });
    let client = mocked!(aws_sdk_xray, rule);
    let out = run_with::<GetServiceGraph, _>(client, json!({"minutes": 30}), None)
        .await
        .unwrap();
    let services = out.data["services"].as_array().unwrap();
    assert_eq!(services.len(), 2, "{out:?}");
    assert_eq!(services[0]["name"], "api");
    assert_eq!(services[0]["requests"], 100);
    assert_eq!(services[0]["errors"], 7);
    assert_eq!(services[0]["calls"], json!(["payments-db"]));
    assert!(out.summary.contains("2 service(s)"), "{}", out.summary);
}

#[tokio::test]
async fn query_logs_polls_until_complete_mocked() {
    use aws_sdk_cloudwatchlogs::{
        Client as Logs,
        operation::{get_query_results::GetQueryResultsOutput, start_query::StartQueryOutput},
        types::{QueryStatistics, QueryStatus, ResultField},
    };
    use espada_aws::tools::monitoring::logs::QueryLogs;
    let start = mock!(Logs::start_query)
        .match_requests(|r| {
            r.log_group_names() == ["/ecs/payments"]
                && r.query_string() == Some("stats count(*) by bin(5m)")
                && r.limit() == Some(100)
        })
        .then_output(|| {
            StartQueryOutput::builder()
                .query_id("12ab3456-12ab-123a-789e-1234567890ab")
                .build()
        });
    let field = |f: &str, v: &str| ResultField::builder().field(f).value(v).build();
    // As AWS's GetQueryResults reference shows it: Running, then Complete with rows whose
    // @ptr is an internal pointer.
    let results = mock!(Logs::get_query_results)
        .sequence()
        .output(|| {
            GetQueryResultsOutput::builder()
                .status(QueryStatus::Running)
                .build()
        })
        .output(move || {
            GetQueryResultsOutput::builder()
                .status(QueryStatus::Complete)
                .results(vec![
                    field("@timestamp", "2019-07-31 23:30:00.000"),
                    field("count(*)", "42"),
                    field("@ptr", "CkoKIAoXMDAwMDAwMDAwMDAwOjEyMzQ1Njc4OTAxMhI="),
                ])
                .results(vec![
                    field("@timestamp", "2019-07-31 23:35:00.000"),
                    field("count(*)", "17"),
                ])
                .statistics(
                    QueryStatistics::builder()
                        .records_matched(59.0)
                        .records_scanned(1234.0)
                        .bytes_scanned(56789.0)
                        .build(),
                )
                .build()
        })
        .build();
    let client = mocked!(aws_sdk_cloudwatchlogs, start, results);
    let out = run_with::<QueryLogs, _>(
        client,
        json!({"log_groups": ["/ecs/payments"], "query": "stats count(*) by bin(5m)"}),
        Some(espada_aws::aws::guard::Guard::ReadOnly),
    )
    .await
    .unwrap();
    assert_eq!(start.num_calls(), 1);
    assert_eq!(results.num_calls(), 2);
    assert_eq!(
        out.data["rows"],
        json!([{"@timestamp": "2019-07-31 23:30:00.000", "count(*)": "42"},
               {"@timestamp": "2019-07-31 23:35:00.000", "count(*)": "17"}])
    );
    assert_eq!(out.data["records_matched"], 59.0);
    assert_eq!(out.data["status"], "Complete");
    assert!(out.summary.contains("2 row(s)"), "{}", out.summary);
}

#[tokio::test]
async fn anomaly_detector_with_an_alarm_on_its_band_mocked() {
    use aws_sdk_cloudwatch::{
        Client as Cw,
        operation::{
            describe_alarms::DescribeAlarmsOutput, put_anomaly_detector::PutAnomalyDetectorOutput,
            put_metric_alarm::PutMetricAlarmOutput,
        },
        types::ComparisonOperator,
    };
    use espada_aws::tools::monitoring::alarms::CreateAnomalyDetector;
    let none = mock!(Cw::describe_alarms).then_output(|| DescribeAlarmsOutput::builder().build());
    let detector = mock!(Cw::put_anomaly_detector)
        .match_requests(|r| {
            r.single_metric_anomaly_detector().is_some_and(|d| {
                d.namespace() == Some("AWS/ApplicationELB")
                    && d.metric_name() == Some("TargetResponseTime")
                    && d.stat() == Some("p90")
                    && d.dimensions()[0].value() == Some("app/api/50dc6c495c0c9188")
            })
        })
        .then_output(|| PutAnomalyDetectorOutput::builder().build());
    let alarm = mock!(Cw::put_metric_alarm)
        .match_requests(|r| {
            let m = r.metrics();
            r.alarm_name() == Some("api-latency-anomaly")
                && r.threshold_metric_id() == Some("ad1")
                && r.comparison_operator() == Some(&ComparisonOperator::GreaterThanUpperThreshold)
                && m.len() == 2
                && m[1].expression() == Some("ANOMALY_DETECTION_BAND(m1, 3)")
                && m[0].metric_stat().and_then(|s| s.stat()) == Some("p90")
                && r.alarm_actions() == ["arn:aws:sns:us-east-1:123456789012:ops"]
        })
        .then_output(|| PutMetricAlarmOutput::builder().build());
    let client = mocked!(aws_sdk_cloudwatch, none, detector, alarm);
    let out = run_with::<CreateAnomalyDetector, _>(
        client,
        json!({"namespace": "AWS/ApplicationELB", "metric_name": "TargetResponseTime",
               "dimensions": {"LoadBalancer": "app/api/50dc6c495c0c9188"}, "statistic": "p90",
               "alarm_name": "api-latency-anomaly", "band_width": 3, "comparison": ">",
               "alarm_actions": ["arn:aws:sns:us-east-1:123456789012:ops"]}),
        None,
    )
    .await
    .unwrap();
    assert_eq!((detector.num_calls(), alarm.num_calls()), (1, 1));
    assert!(
        out.summary.contains("3 standard deviations"),
        "{}",
        out.summary
    );
}

#[tokio::test]
async fn canaries_are_listed_mocked() {
    use aws_sdk_synthetics::{
        Client as Syn,
        operation::describe_canaries::DescribeCanariesOutput,
        primitives::DateTime,
        types::{Canary, CanaryScheduleOutput, CanaryState, CanaryStatus, CanaryTimeline},
    };
    use espada_aws::tools::monitoring::canaries::ListCanaries;
    let rule = mock!(Syn::describe_canaries).then_output(|| {
        DescribeCanariesOutput::builder()
            .canaries(
                Canary::builder()
                    .name("api-heartbeat")
                    .status(CanaryStatus::builder().state(CanaryState::Running).build())
                    .schedule(
                        CanaryScheduleOutput::builder()
                            .expression("rate(5 minutes)")
                            .build(),
                    )
                    .runtime_version("syn-nodejs-puppeteer-15.0")
                    .artifact_s3_location("canary-artifacts/api")
                    .timeline(
                        CanaryTimeline::builder()
                            .last_started(DateTime::from_secs(1_764_500_000))
                            .build(),
                    )
                    .build(),
            )
            .canaries(
                Canary::builder()
                    .name("shop")
                    .status(
                        CanaryStatus::builder()
                            .state(CanaryState::Error)
                            .state_reason("The execution role cannot be assumed")
                            .build(),
                    )
                    .build(),
            )
            .build()
    });
    let client = mocked!(aws_sdk_synthetics, rule);
    let out = run_with::<ListCanaries, _>(client, json!({}), None)
        .await
        .unwrap();
    let canaries = out.data["canaries"].as_array().unwrap();
    assert_eq!(canaries.len(), 2, "{out:?}");
    assert_eq!(canaries[0]["state"], "RUNNING");
    assert_eq!(canaries[0]["schedule"], "rate(5 minutes)");
    assert_eq!(canaries[0]["last_started"], "2025-11-30T10:53:20Z");
    assert_eq!(
        canaries[1]["reason"],
        "The execution role cannot be assumed"
    );
    assert!(out.summary.contains("1 running"), "{}", out.summary);
}

#[tokio::test]
async fn a_canary_is_started_after_it_is_created_mocked() {
    use aws_sdk_synthetics::{
        Client as Syn,
        operation::{create_canary::CreateCanaryOutput, start_canary::StartCanaryOutput},
    };
    use espada_aws::tools::monitoring::canaries::CreateCanary;
    let create = mock!(Syn::create_canary)
        .match_requests(|r| {
            r.name() == Some("shop")
                && r.code()
                    .is_some_and(|c| c.handler() == "heartbeat.handler" && c.zip_file().is_some())
                && r.schedule().map(|s| s.expression()) == Some("rate(5 minutes)")
        })
        .then_output(|| CreateCanaryOutput::builder().build());
    let start = mock!(Syn::start_canary)
        .match_requests(|r| r.name() == Some("shop"))
        .then_output(|| StartCanaryOutput::builder().build());
    let client = mocked!(aws_sdk_synthetics, create, start);
    let out = run_with::<CreateCanary, _>(
        client,
        json!({"canary_name": "shop", "url": "https://shop.example.com",
               "role_arn": "arn:aws:iam::123456789012:role/canary",
               "artifact_location": "canary-artifacts"}),
        None,
    )
    .await
    .unwrap();
    assert_eq!((create.num_calls(), start.num_calls()), (1, 1));
    assert_eq!(out.data["started"], true);
    assert_eq!(out.data["artifact_location"], "s3://canary-artifacts");
}
