//! aws_monitoring against moto, checking what moto holds with plain SDK clients: log groups
//! with their events read back newest first and filtered, retention changes (a shortening is
//! refused unless declared, and declared it is high risk), X-Ray segments put through the API
//! and read back as a trace; alarms (and what they may not do), metric data and statistics,
//! dashboards parsed back, Logs Insights queries, canaries; read-only mode; tags that cannot be
//! read. What moto cannot answer is in `monitoring_mocked.rs`.

use aws_sdk_xray::Client as XRay;
use espada_aws::dispatch::Dispatcher;
use serde_json::{Value, json};

use crate::{
    faults::{Fault, proxy, via},
    harness::client,
    harness::{Moto, REGION, call, confirmed_in, err_in, moto, ok_in, read_only_reads},
};

const TOOL: &str = "aws_monitoring";

async fn ok(d: &Dispatcher, args: Value) -> Value {
    ok_in(d, TOOL, args).await
}

fn logs(m: &Moto) -> aws_sdk_cloudwatchlogs::Client {
    client!(aws_sdk_cloudwatchlogs, m)
}

async fn group_with_events(m: &Moto, group: &str, env: Option<&str>) {
    let cw = logs(m);
    let mut req = cw.create_log_group().log_group_name(group);
    if let Some(e) = env {
        req = req.tags("Environment", e);
    }
    req.send().await.unwrap();
    let now = jiff::Timestamp::now().as_millisecond();
    for (stream, events) in [
        (
            "web/1",
            vec![
                (now - 5 * 3_600_000, "ERROR too old"),
                (now - 90_000, "INFO ok"),
                (now - 60_000, "ERROR \"quoted\" failure"),
                (now - 30_000, "ERROR timeout"),
            ],
        ),
        ("worker/1", vec![(now - 10_000, "ERROR worker")]),
    ] {
        cw.create_log_stream()
            .log_group_name(group)
            .log_stream_name(stream)
            .send()
            .await
            .unwrap();
        let mut req = cw
            .put_log_events()
            .log_group_name(group)
            .log_stream_name(stream);
        for (t, msg) in events {
            req = req.log_events(
                aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                    .timestamp(t)
                    .message(msg)
                    .build()
                    .unwrap(),
            );
        }
        req.send().await.unwrap();
    }
}

async fn retention(m: &Moto, group: &str) -> Option<i32> {
    logs(m)
        .describe_log_groups()
        .log_group_name_prefix(group)
        .send()
        .await
        .unwrap()
        .log_groups()[0]
        .retention_in_days()
}

async fn verdict(d: &Dispatcher, mut args: Value) -> (Value, Value) {
    args["dry_run"] = json!(true);
    let v = ok(d, args).await;
    let e = &v["guardrails"]["evaluation"];
    (e["environment"].clone(), e["risk"].clone())
}

#[tokio::test]
async fn log_groups_events_newest_first_and_retention() {
    let m = moto().await;
    let d = m.dispatcher();
    group_with_events(&m, "/app/api", None).await;

    let v = ok(&d, json!({"action": "list_log_groups", "prefix": "/app"})).await;
    assert_eq!(v["data"]["log_groups"][0]["log_group"], "/app/api", "{v}");
    assert!(v["data"]["log_groups"][0]["retention_days"].is_null());
    assert!(v["summary"].as_str().unwrap().contains("forever"), "{v}");

    let v = ok(
        &d,
        json!({"action": "filter_log_events", "log_group": "/app/api", "filter": "ERROR"}),
    )
    .await;
    let messages: Vec<&str> = v["data"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        ["ERROR worker", "ERROR timeout", "ERROR \"quoted\" failure"],
        "{v}"
    );
    // One stream, and bounded.
    let v = ok(
        &d,
        json!({"action": "filter_log_events", "log_group": "/app/api", "stream_prefix": "web/",
               "max_results": 2}),
    )
    .await;
    let messages: Vec<&str> = v["data"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        ["ERROR timeout", "ERROR \"quoted\" failure"],
        "{v}"
    );

    // Logs kept forever: any retention shortens it, refused unless the call says so.
    let e = err_in(
        &d,
        TOOL,
        json!({"action": "set_log_retention", "log_group": "/app/api", "days": 30}),
    )
    .await;
    assert_eq!(e["error"], "precondition_failed", "{e}");
    assert_eq!(retention(&m, "/app/api").await, None);
    let (_, risk) = verdict(
        &d,
        json!({"action": "set_log_retention", "log_group": "/app/api", "days": 30,
               "shorten": true}),
    )
    .await;
    assert_eq!(risk, "high");
    confirmed_in(
        &d,
        TOOL,
        json!({"action": "set_log_retention", "log_group": "/app/api", "days": 30,
               "shorten": true}),
    )
    .await;
    assert_eq!(retention(&m, "/app/api").await, Some(30));
    // Longer needs no declaration, and is medium.
    let (_, risk) = verdict(
        &d,
        json!({"action": "set_log_retention", "log_group": "/app/api", "days": 90}),
    )
    .await;
    assert_eq!(risk, "medium");
    let v = match crate::harness::call(
        &d,
        TOOL,
        json!({"action": "set_log_retention", "log_group": "/app/api", "days": 90}),
    )
    .await
    {
        Ok(v) if v["status"] == "confirmation_required" => {
            confirmed_in(
                &d,
                TOOL,
                json!({"action": "set_log_retention", "log_group": "/app/api",
                       "days": 90}),
            )
            .await
        }
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(v["data"]["retention_days_before"], 30, "{v}");
    assert_eq!(retention(&m, "/app/api").await, Some(90));
    // A period CloudWatch Logs does not take is refused before anything is sent.
    let e = err_in(
        &d,
        TOOL,
        json!({"action": "set_log_retention", "log_group": "/app/api", "days": 31}),
    )
    .await;
    assert_eq!(e["error"], "invalid_input", "{e}");
}

#[tokio::test]
async fn a_production_log_group_is_production_and_unreadable_tags_refuse() {
    let m = moto().await;
    let d = m.dispatcher();
    group_with_events(&m, "/prod/api", Some("production")).await;
    let (env, risk) = verdict(
        &d,
        json!({"action": "set_log_retention", "log_group": "/prod/api", "days": 7,
               "shorten": true}),
    )
    .await;
    assert_eq!((env, risk), (json!("production"), json!("high")));

    let p = proxy(&m).await;
    let d = via(&m, &p, 1, false);
    p.fault("ListTagsLogGroup", Fault::Deny);
    let e = err_in(
        &d,
        TOOL,
        json!({"action": "set_log_retention", "log_group": "/prod/api", "days": 3653}),
    )
    .await;
    assert_eq!(e["error"], "refused", "{e}");
    assert!(
        e["message"].as_str().unwrap().contains("could not be read"),
        "{e}"
    );
    assert_eq!(retention(&m, "/prod/api").await, None);
}

#[tokio::test]
async fn xray_segments_read_back_as_a_trace_and_summaries() {
    let m = moto().await;
    let d = m.dispatcher();
    let xray: XRay = client!(aws_sdk_xray, m);
    let now = jiff::Timestamp::now().as_second() as f64;
    let trace = format!("1-{:08x}-0123456789abcdef01234567", now as u64);
    let segments = [
        json!({"name": "api", "id": "70de5b6f19ff9a0a", "trace_id": trace,
               "start_time": now - 2.0, "end_time": now - 1.5,
               "http": {"request": {"method": "GET", "url": "https://api.example.com/pay"},
                        "response": {"status": 500}},
               "fault": true,
               "cause": {"exceptions": [{"type": "TimeoutError", "message": "db timed out"}]},
               "subsegments": [{"name": "postgres", "id": "a1", "start_time": now - 1.9,
                                "end_time": now - 1.6}]}),
        json!({"name": "payments", "id": "70de5b6f19ff9a0b", "trace_id": trace,
               "parent_id": "70de5b6f19ff9a0a", "start_time": now - 1.9,
               "end_time": now - 1.6}),
    ];
    xray.put_trace_segments()
        .set_trace_segment_documents(Some(segments.iter().map(Value::to_string).collect()))
        .send()
        .await
        .unwrap();

    let v = ok(&d, json!({"action": "get_trace", "trace_id": trace})).await;
    let segs = v["data"]["segments"].as_array().unwrap();
    assert_eq!(segs.len(), 2, "{v}");
    assert_eq!(segs[0]["name"], "api");
    assert_eq!(segs[0]["fault"], true);
    assert_eq!(segs[0]["duration"], 0.5);
    assert_eq!(segs[0]["cause"]["type"], "TimeoutError");
    assert_eq!(segs[0]["subsegments"], json!(["postgres"]));
    assert_eq!(segs[1]["name"], "payments");
    assert!(
        v["summary"].as_str().unwrap().contains("errors in api"),
        "{v}"
    );

    // An unknown trace says so; a malformed id never reaches AWS.
    let e = err_in(
        &d,
        TOOL,
        json!({"action": "get_trace", "trace_id": "1-00000000-000000000000000000000000"}),
    )
    .await;
    assert_eq!(e["error"], "precondition_failed", "{e}");
    let e = err_in(
        &d,
        TOOL,
        json!({"action": "get_trace", "trace_id": "abc-123"}),
    )
    .await;
    assert_eq!(e["error"], "invalid_input", "{e}");
}

#[tokio::test]
async fn monitoring_read_only_mode_exposes_only_the_reads() {
    let m = moto().await;
    let (d, reads) = read_only_reads(&m, TOOL);
    for write in [
        "set_log_retention",
        "create_alarm",
        "delete_alarms",
        "delete_dashboard",
        "put_metric_data",
        "create_canary",
    ] {
        assert!(!reads.contains(&write), "{write}");
    }
    // Logs Insights queries read: exposed, and StartQuery passes the read-only client guard.
    assert!(reads.contains(&"query_logs"));
    group_with_events(&m, "/app/api", None).await;
    let e = err_in(
        &d,
        TOOL,
        json!({"action": "set_log_retention", "log_group": "/app/api", "days": 3653}),
    )
    .await;
    assert_eq!(e["error"], "refused", "{e}");
    assert_eq!(retention(&m, "/app/api").await, None);
    ok(&d, json!({"action": "list_log_groups"})).await;
    ok(
        &d,
        json!({"action": "query_logs", "log_groups": ["/app/api"],
               "query": "fields @message | limit 5"}),
    )
    .await;
}

fn cloudwatch(m: &Moto) -> aws_sdk_cloudwatch::Client {
    client!(aws_sdk_cloudwatch, m)
}

/// A call that may ask for confirmation first (medium risk in an unnamed environment does, in
/// some settings): confirmed when asked.
async fn run(d: &Dispatcher, args: Value) -> Value {
    match call(d, TOOL, args.clone()).await {
        Ok(v) if v["status"] == "confirmation_required" => confirmed_in(d, TOOL, args).await,
        Ok(v) => v,
        Err(e) => panic!("{args} failed: {e}"),
    }
}

async fn alarm(m: &Moto, name: &str) -> Option<aws_sdk_cloudwatch::types::MetricAlarm> {
    cloudwatch(m)
        .describe_alarms()
        .alarm_names(name)
        .send()
        .await
        .unwrap()
        .metric_alarms()
        .first()
        .cloned()
}

async fn topic(m: &Moto, name: &str) -> String {
    m.sns()
        .create_topic()
        .name(name)
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn alarms_created_forced_listed_and_deleted() {
    use aws_sdk_cloudwatch::types::{ComparisonOperator, StateValue, Statistic};
    let m = moto().await;
    let d = m.dispatcher();
    let ops = topic(&m, "ops").await;
    let create = json!({"action": "create_alarm", "alarm_name": "cpu-high",
        "namespace": "AWS/EC2", "metric_name": "CPUUtilization",
        "dimensions": {"InstanceId": "i-0123456789abcdef0"}, "threshold": 80,
        "comparison": ">", "period": 300, "evaluation_periods": 1,
        "treat_missing_data": "notBreaching", "alarm_actions": [ops]});
    let v = run(&d, create.clone()).await;
    assert!(
        v["summary"].as_str().unwrap().contains("notifying 1 topic"),
        "{v}"
    );
    let a = alarm(&m, "cpu-high").await.expect("moto holds the alarm");
    assert_eq!(a.threshold(), Some(80.0));
    assert_eq!(
        a.comparison_operator(),
        Some(&ComparisonOperator::GreaterThanThreshold)
    );
    assert_eq!(a.statistic(), Some(&Statistic::Average));
    assert_eq!(a.period(), Some(300));
    assert_eq!(a.treat_missing_data(), Some("notBreaching"));
    assert_eq!(a.alarm_actions(), std::slice::from_ref(&ops));
    assert_eq!(a.dimensions()[0].value(), Some("i-0123456789abcdef0"));

    // The same name again would overwrite it: refused unless replace is said.
    let mut again = create.clone();
    again["threshold"] = json!(95);
    let e = err_in(&d, TOOL, again.clone()).await;
    assert_eq!(e["error"], "precondition_failed", "{e}");
    assert_eq!(alarm(&m, "cpu-high").await.unwrap().threshold(), Some(80.0));
    again["replace"] = json!(true);
    run(&d, again).await;
    assert_eq!(alarm(&m, "cpu-high").await.unwrap().threshold(), Some(95.0));

    // Forcing the state notifies the topic, and list_alarms filters on it.
    run(
        &d,
        json!({"action": "set_alarm_state", "alarm_name": "cpu-high", "state": "ALARM",
               "reason": "testing the pager"}),
    )
    .await;
    assert_eq!(
        alarm(&m, "cpu-high").await.unwrap().state_value(),
        Some(&StateValue::Alarm)
    );
    let v = ok(&d, json!({"action": "list_alarms", "state": "ALARM"})).await;
    let listed = v["data"]["alarms"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{v}");
    assert_eq!(listed[0]["alarm_name"], "cpu-high");
    assert_eq!(listed[0]["reason"], "testing the pager");
    assert_eq!(listed[0]["metric_name"], "CPUUtilization");
    let v = ok(&d, json!({"action": "list_alarms", "state": "OK"})).await;
    assert_eq!(v["data"]["alarms"], json!([]), "{v}");

    // Deleting names every alarm; one unknown name deletes nothing.
    let e = match try_delete(&d, json!(["cpu-high", "nope"])).await {
        Err(e) => e,
        Ok(v) => panic!("{v}"),
    };
    assert_eq!(e["error"], "precondition_failed", "{e}");
    assert!(alarm(&m, "cpu-high").await.is_some());
    for env in espada_aws::guardrails::environment::Environment::ALL {
        let mut p = d.guardrails.store.protection(env).unwrap();
        p.backup_required = true;
        d.guardrails.store.set_protection(env, &p).unwrap();
    }
    let v = try_delete(&d, json!(["cpu-high"])).await.unwrap();
    assert_eq!(v["data"]["deleted"], json!(["cpu-high"]), "{v}");
    assert_eq!(v["backups"][0]["kind"], "alarm-definition", "{v}");
    assert!(
        v["backups"][0]["restore"]
            .as_str()
            .unwrap()
            .contains("\"threshold\":95.0"),
        "{v}"
    );
    assert_eq!(v["data"]["definitions"][0]["threshold"], 95.0);
    assert!(alarm(&m, "cpu-high").await.is_none());
}

async fn try_delete(d: &Dispatcher, names: Value) -> Result<Value, Value> {
    crate::harness::try_confirmed_in(
        d,
        TOOL,
        json!({"action": "delete_alarms", "alarm_names": names}),
    )
    .await
}

/// An alarm action can stop, terminate or reboot instances, scale groups or run SSM: outside
/// the guardrails. Such actions are never set here, and an alarm that has them cannot be
/// forced into the state that runs them.
#[tokio::test]
async fn alarms_cannot_act_on_resources_outside_the_guardrails() {
    let m = moto().await;
    let d = m.dispatcher();
    for action in [
        "arn:aws:automate:us-east-1:ec2:terminate",
        "arn:aws:swf:us-east-1:123456789012:action/actions/AWS_EC2.InstanceId.Stop/1.0",
        "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:x:autoScalingGroupName/web:policyName/out",
        "arn:aws:sns:us-east-1:123456789012:ops/../x",
    ] {
        let e = err_in(
            &d,
            TOOL,
            json!({"action": "create_alarm", "alarm_name": "trap", "namespace": "AWS/EC2",
                   "metric_name": "CPUUtilization", "threshold": 0, "comparison": ">=",
                   "alarm_actions": [action]}),
        )
        .await;
        assert_eq!(e["error"], "invalid_input", "{action}: {e}");
    }
    assert!(alarm(&m, "trap").await.is_none());

    // An alarm made elsewhere that terminates an instance on ALARM.
    let cw = cloudwatch(&m);
    cw.put_metric_alarm()
        .alarm_name("terminator")
        .namespace("AWS/EC2")
        .metric_name("CPUUtilization")
        .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
        .period(60)
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold)
        .alarm_actions("arn:aws:automate:us-east-1:ec2:terminate")
        .send()
        .await
        .unwrap();
    let e = match call(
        &d,
        TOOL,
        json!({"action": "set_alarm_state", "alarm_name": "terminator", "state": "ALARM",
               "reason": "x"}),
    )
    .await
    {
        Err(e) => e,
        Ok(v) if v["status"] == "confirmation_required" => crate::harness::try_confirmed_in(
            &d,
            TOOL,
            json!({"action": "set_alarm_state", "alarm_name": "terminator", "state": "ALARM",
                   "reason": "x"}),
        )
        .await
        .unwrap_err(),
        Ok(v) => panic!("{v}"),
    };
    assert_eq!(e["error"], "precondition_failed", "{e}");
    assert!(e["message"].as_str().unwrap().contains("automate"), "{e}");
    assert_ne!(
        alarm(&m, "terminator").await.unwrap().state_value(),
        Some(&aws_sdk_cloudwatch::types::StateValue::Alarm)
    );

    // Publishing to a metric such an alarm watches would run its action: refused, nothing
    // published.
    cw.put_metric_alarm()
        .alarm_name("no-orders-reboot")
        .namespace("Shop")
        .metric_name("Orders")
        .statistic(aws_sdk_cloudwatch::types::Statistic::Sum)
        .period(60)
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::LessThanThreshold)
        .alarm_actions("arn:aws:sns:us-east-1:123456789012:ops")
        .ok_actions("arn:aws:automate:us-east-1:ec2:reboot")
        .send()
        .await
        .unwrap();
    let put = json!({"action": "put_metric_data", "namespace": "Shop", "metric_name": "Orders",
                     "value": 0});
    let e = match call(&d, TOOL, put.clone()).await {
        Err(e) => e,
        Ok(v) if v["status"] == "confirmation_required" => {
            crate::harness::try_confirmed_in(&d, TOOL, put.clone())
                .await
                .unwrap_err()
        }
        Ok(v) => panic!("{v}"),
    };
    assert_eq!(e["error"], "precondition_failed", "{e}");
    assert!(
        e["message"].as_str().unwrap().contains("no-orders-reboot"),
        "{e}"
    );
    let metrics = cw.list_metrics().namespace("Shop").send().await.unwrap();
    assert!(metrics.metrics().is_empty(), "{metrics:?}");
}

#[tokio::test]
async fn a_production_alarm_is_production_and_unreadable_tags_refuse() {
    let m = moto().await;
    let d = m.dispatcher();
    let cw = cloudwatch(&m);
    cw.put_metric_alarm()
        .alarm_name("api-5xx")
        .namespace("AWS/ApplicationELB")
        .metric_name("HTTPCode_Target_5XX_Count")
        .statistic(aws_sdk_cloudwatch::types::Statistic::Sum)
        .period(60)
        .evaluation_periods(1)
        .threshold(10.0)
        .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold)
        .tags(
            aws_sdk_cloudwatch::types::Tag::builder()
                .key("Environment")
                .value("production")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let (env, risk) = verdict(
        &d,
        json!({"action": "set_alarm_state", "alarm_name": "api-5xx", "state": "ALARM",
               "reason": "drill"}),
    )
    .await;
    assert_eq!((env, risk), (json!("production"), json!("high")));
    // Overwriting it with "development" tags is judged by what it is now.
    let (env, risk) = verdict(
        &d,
        json!({"action": "create_alarm", "alarm_name": "api-5xx", "namespace": "AWS/EC2",
               "metric_name": "CPUUtilization", "threshold": 1000, "comparison": ">",
               "replace": true, "tags": {"Environment": "development"}}),
    )
    .await;
    assert_eq!((env, risk), (json!("production"), json!("high")));
    // Deleting it waits for a person.
    let e = err_in(
        &d,
        TOOL,
        json!({"action": "delete_alarms", "alarm_names": ["api-5xx"]}),
    )
    .await;
    assert_eq!(e["error"], "refused", "{e}");
    assert!(
        e["message"].as_str().unwrap().contains("change request"),
        "{e}"
    );
    assert!(alarm(&m, "api-5xx").await.is_some());

    // Tags that cannot be read refuse the change.
    let p = proxy(&m).await;
    let d = via(&m, &p, 1, false);
    p.fault("ListTagsForResource", Fault::Deny);
    let e = err_in(
        &d,
        TOOL,
        json!({"action": "set_alarm_state", "alarm_name": "api-5xx", "state": "OK",
               "reason": "x"}),
    )
    .await;
    assert_eq!(e["error"], "refused", "{e}");
    assert!(
        e["message"].as_str().unwrap().contains("could not be read"),
        "{e}"
    );
    assert_ne!(
        alarm(&m, "api-5xx").await.unwrap().state_reason(),
        Some("x")
    );
}

#[tokio::test]
async fn metric_data_is_published_and_read_back_as_statistics() {
    let m = moto().await;
    let d = m.dispatcher();
    for value in [3.0, 5.0, 10.0] {
        run(
            &d,
            json!({"action": "put_metric_data", "namespace": "Shop", "metric_name": "Orders",
                   "dimensions": {"Service": "checkout"}, "value": value, "unit": "Count"}),
        )
        .await;
    }
    let metrics = cloudwatch(&m)
        .list_metrics()
        .namespace("Shop")
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.metrics().len(), 1);
    assert_eq!(metrics.metrics()[0].metric_name(), Some("Orders"));

    let v = ok(
        &d,
        json!({"action": "get_metric_statistics", "namespace": "Shop", "metric_name": "Orders",
               "dimensions": {"Service": "checkout"}, "statistic": "Sum", "minutes": 30}),
    )
    .await;
    assert_eq!(v["data"]["period"], 60, "{v}");
    let total: f64 = v["data"]["datapoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].as_f64().unwrap())
        .sum();
    assert_eq!(total, 18.0, "{v}");
    assert_eq!(v["data"]["unit"], "Count", "{v}");
    let v = ok(
        &d,
        json!({"action": "get_metric_statistics", "namespace": "Shop", "metric_name": "Orders",
               "dimensions": {"Service": "checkout"}, "statistic": "Maximum",
               "minutes": 7 * 24 * 60}),
    )
    .await;
    assert_eq!(v["data"]["period"], 21600, "{v}");
    assert_eq!(v["data"]["summary"]["max"], 10.0, "{v}");

    // AWS's own namespaces are not for custom data; a bad unit never reaches AWS.
    for bad in [
        json!({"action": "put_metric_data", "namespace": "AWS/EC2",
               "metric_name": "CPUUtilization", "value": 1}),
        json!({"action": "put_metric_data", "namespace": "Shop", "metric_name": "Orders",
               "value": 1, "unit": "Parsecs"}),
        json!({"action": "get_metric_statistics", "namespace": "Shop", "metric_name": "Orders",
               "statistic": "Median"}),
    ] {
        let e = err_in(&d, TOOL, bad.clone()).await;
        assert_eq!(e["error"], "invalid_input", "{bad}: {e}");
    }
}

#[tokio::test]
async fn dashboards_are_built_as_data_and_parsed_back() {
    let m = moto().await;
    let d = m.dispatcher();
    let create = json!({"action": "create_dashboard", "dashboard_name": "overview",
        "widgets": [
            {"title": "EC2 CPU", "metrics": [{"namespace": "AWS/EC2",
                "metric_name": "CPUUtilization", "dimensions": {"InstanceId": "i-0abc"}}]},
            {"metrics": [{"namespace": "AWS/RDS", "metric_name": "DatabaseConnections",
                "dimensions": {"DBInstanceIdentifier": "orders"}, "statistic": "Maximum"}]},
            {"title": "Lambda errors", "view": "singleValue", "metrics": [{
                "namespace": "AWS/Lambda", "metric_name": "Errors",
                "dimensions": {"FunctionName": "checkout"}, "statistic": "Sum"}]}]});
    run(&d, create.clone()).await;
    let body: Value = serde_json::from_str(
        cloudwatch(&m)
            .get_dashboard()
            .dashboard_name("overview")
            .send()
            .await
            .unwrap()
            .dashboard_body()
            .unwrap(),
    )
    .unwrap();
    let widgets = body["widgets"].as_array().unwrap();
    assert_eq!(widgets.len(), 3, "{body}");
    assert_eq!(widgets[0]["properties"]["title"], "EC2 CPU");
    assert_eq!(
        widgets[0]["properties"]["metrics"][0],
        json!(["AWS/EC2", "CPUUtilization", "InstanceId", "i-0abc", {"stat": "Average"}])
    );
    assert_eq!(widgets[1]["properties"]["title"], "DatabaseConnections");
    assert_eq!(
        (widgets[1]["x"].clone(), widgets[2]["y"].clone()),
        (json!(12), json!(6))
    );
    assert_eq!(widgets[2]["properties"]["view"], "singleValue");
    assert_eq!(widgets[2]["properties"]["region"], REGION);

    // Never overwritten unless told.
    let mut again = create.clone();
    again["widgets"] = json!([{"metrics": [{"namespace": "X", "metric_name": "Y"}]}]);
    let e = err_in(&d, TOOL, again).await;
    assert_eq!(e["error"], "precondition_failed", "{e}");

    let v = ok(
        &d,
        json!({"action": "get_dashboard", "dashboard_name": "overview"}),
    )
    .await;
    assert_eq!(v["data"]["widgets"][2]["title"], "Lambda errors", "{v}");
    assert_eq!(
        v["data"]["widgets"][2]["metrics"],
        json!(["AWS/Lambda Errors FunctionName checkout"])
    );
    let v = ok(&d, json!({"action": "list_dashboards"})).await;
    assert_eq!(
        v["data"]["dashboards"][0]["dashboard_name"], "overview",
        "{v}"
    );

    let e = err_in(
        &d,
        TOOL,
        json!({"action": "create_dashboard", "dashboard_name": "bad name",
               "widgets": [{"metrics": [{"namespace": "X", "metric_name": "Y"}]}]}),
    )
    .await;
    assert_eq!(e["error"], "invalid_input", "{e}");

    // Where backups are required, the body is kept in the backup record before the delete.
    for env in espada_aws::guardrails::environment::Environment::ALL {
        let mut p = d.guardrails.store.protection(env).unwrap();
        p.backup_required = true;
        d.guardrails.store.set_protection(env, &p).unwrap();
    }
    let v = confirmed_in(
        &d,
        TOOL,
        json!({"action": "delete_dashboard", "dashboard_name": "overview"}),
    )
    .await;
    assert_eq!(
        v["data"]["body"]["widgets"].as_array().unwrap().len(),
        3,
        "{v}"
    );
    let backups = v["backups"].as_array().unwrap();
    assert_eq!(backups.len(), 1, "{v}");
    assert_eq!(backups[0]["kind"], "dashboard-body");
    let restore = backups[0]["restore"].as_str().unwrap();
    assert!(
        restore.contains("put-dashboard --dashboard-name overview"),
        "{restore}"
    );
    assert!(restore.contains("DatabaseConnections"), "{restore}");
    let left = cloudwatch(&m).list_dashboards().send().await.unwrap();
    assert!(left.dashboard_entries().is_empty());
}

/// moto does not evaluate Logs Insights queries: here the query string that reaches its
/// StartQuery is checked, and the result shaping in `query_logs_polls_until_complete_mocked`.
#[tokio::test]
async fn query_logs_sends_the_query_to_logs_insights() {
    let m = moto().await;
    let d = m.dispatcher();
    group_with_events(&m, "/app/api", None).await;
    let query = "fields @timestamp, @message | filter @message like /ERROR/ | sort @timestamp desc";
    let v = ok(
        &d,
        json!({"action": "query_logs", "log_groups": ["/app/api"], "query": query,
               "minutes": 30, "max_results": 5}),
    )
    .await;
    assert_eq!(v["data"]["status"], "Complete", "{v}");
    let queries = logs(&m)
        .describe_queries()
        .log_group_name("/app/api")
        .send()
        .await
        .unwrap();
    assert_eq!(queries.queries().len(), 1);
    assert_eq!(queries.queries()[0].query_string(), Some(query));
    let e = err_in(
        &d,
        TOOL,
        json!({"action": "query_logs", "log_groups": [], "query": query}),
    )
    .await;
    assert_eq!(e["error"], "invalid_input", "{e}");
}

/// moto keeps canaries, but answers their timestamps as strings where AWS sends epoch seconds,
/// which the SDK cannot parse: creating and listing run against mocks
/// (`a_canary_is_started_after_it_is_created_mocked`, `canaries_are_listed_mocked`). Here: the
/// environment of a canary includes its artifact bucket's, and bad input never reaches AWS.
#[tokio::test]
async fn a_canary_writing_into_a_production_bucket_is_production() {
    let m = moto().await;
    let d = m.dispatcher();
    m.create_bucket("prod-artifacts");
    m.s3()
        .put_bucket_tagging()
        .bucket("prod-artifacts")
        .tagging(
            aws_sdk_s3::types::Tagging::builder()
                .tag_set(
                    aws_sdk_s3::types::Tag::builder()
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
    let (env, _) = verdict(
        &d,
        json!({"action": "create_canary", "canary_name": "api-heartbeat",
               "url": "https://api.example.com/health",
               "role_arn": "arn:aws:iam::123456789012:role/canary",
               "artifact_location": "s3://prod-artifacts/api",
               "tags": {"Environment": "development"}}),
    )
    .await;
    assert_eq!(env, "production");

    for (field, bad) in [
        ("url", json!("javascript:alert(1)")),
        ("url", json!("https://x.example/a b")),
        ("canary_name", json!("API")),
        ("role_arn", json!("arn:aws:iam::123456789012:user/me")),
        ("schedule", json!("every 5 minutes")),
        ("runtime", json!("python3.12")),
    ] {
        let mut args = json!({"action": "create_canary", "canary_name": "other",
            "url": "https://api.example.com", "role_arn": "arn:aws:iam::123456789012:role/c",
            "artifact_location": "s3://prod-artifacts"});
        args[field] = bad;
        let e = err_in(&d, TOOL, args).await;
        assert_eq!(e["error"], "invalid_input", "{field}: {e}");
    }
}
