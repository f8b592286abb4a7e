//! aws_lambda actions moto cannot serve here, run against `aws-smithy-mocks` responses shaped
//! like AWS's Lambda API reference: Invoke (moto needs Docker to run a runtime) with its
//! payload, `X-Amz-Function-Error` and base64 `X-Amz-Log-Result`, and provisioned concurrency
//! (moto 5.2.5 has no PutProvisionedConcurrencyConfig or ListProvisionedConcurrencyConfigs).

use aws_sdk_lambda::{
    Client,
    operation::{
        get_function_concurrency::GetFunctionConcurrencyOutput, invoke::InvokeOutput,
        list_provisioned_concurrency_configs::ListProvisionedConcurrencyConfigsOutput,
        put_provisioned_concurrency_config::PutProvisionedConcurrencyConfigOutput,
    },
    primitives::Blob,
    types::{
        InvocationType, LogType, ProvisionedConcurrencyConfigListItem,
        ProvisionedConcurrencyStatusEnum,
    },
};
use aws_smithy_mocks::{MockResponseInterceptor, RuleMode, create_mock_http_client, mock};
use base64::{Engine, engine::general_purpose::STANDARD};
use espada_aws::tools::lambda::{
    concurrency::{GetConcurrency, PutProvisionedConcurrency},
    functions::{Invoke, MAX_LOG_BYTES, MAX_PAYLOAD_BYTES},
};
use serde_json::json;

use crate::mocked::run_with;

macro_rules! mocked {
    ($($rule:expr),+ $(,)?) => {{
        let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
        $(interceptor = interceptor.with_rule(&$rule);)+
        Client::from_conf(
            aws_sdk_lambda::Config::builder()
                .behavior_version(aws_sdk_lambda::config::BehaviorVersion::latest())
                .region(aws_sdk_lambda::config::Region::new("us-east-1"))
                .credentials_provider(aws_sdk_lambda::config::Credentials::new(
                    "testing", "testing", None, None, "test",
                ))
                .http_client(create_mock_http_client())
                .interceptor(interceptor)
                .build(),
        )
    }};
}

/// The log tail as Lambda sends it: the last 4 KB of the invocation's log, base64.
fn log_tail(text: &str) -> String {
    STANDARD.encode(text)
}

#[tokio::test]
async fn invoke_returns_the_payload_and_the_decoded_log_tail_mocked() {
    let log = "START RequestId: 8f5e Version: $LATEST\nprocessing order 42\nEND RequestId: 8f5e\n\
               REPORT RequestId: 8f5e\tDuration: 12.3 ms\tBilled Duration: 13 ms\n";
    let rule = mock!(Client::invoke)
        .match_requests(|r| {
            r.function_name() == Some("orders:live")
                && r.invocation_type() == Some(&InvocationType::RequestResponse)
                && r.log_type() == Some(&LogType::Tail)
                && r.payload()
                    .is_some_and(|p| p.as_ref() == br#"{"order_id":42}"#)
        })
        .then_output(move || {
            InvokeOutput::builder()
                .status_code(200)
                .executed_version("3")
                .log_result(log_tail(log))
                .payload(Blob::new(r#"{"statusCode": 200, "body": "ok"}"#))
                .build()
        });
    let out = run_with::<Invoke, _>(
        mocked!(rule),
        json!({"function_name": "orders:live", "payload": {"order_id": 42}}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(out.data["payload"]["statusCode"], 200, "{:?}", out);
    assert_eq!(out.data["executed_version"], "3");
    assert_eq!(out.data["log_tail"], log);
    assert_eq!(out.data["function_error"], serde_json::Value::Null);
    assert!(out.data.get("truncated").is_none());
    assert!(out.summary.contains("ran"), "{}", out.summary);
}

#[tokio::test]
async fn invoke_reports_a_function_error_mocked() {
    let rule = mock!(Client::invoke).then_output(|| {
        InvokeOutput::builder()
            .status_code(200)
            .function_error("Unhandled")
            .executed_version("$LATEST")
            .log_result(log_tail(
                "START\n[ERROR] KeyError: 'order_id'\nEND\nREPORT Duration: 2 ms\n",
            ))
            .payload(Blob::new(
                r#"{"errorMessage": "'order_id'", "errorType": "KeyError", "stackTrace": []}"#,
            ))
            .build()
    });
    let out = run_with::<Invoke, _>(mocked!(rule), json!({"function_name": "orders"}), None)
        .await
        .unwrap();
    assert_eq!(out.data["function_error"], "Unhandled");
    assert_eq!(out.data["payload"]["errorType"], "KeyError");
    assert!(out.data["log_tail"].as_str().unwrap().contains("KeyError"));
    assert!(
        out.summary.contains("failed (Unhandled)"),
        "{}",
        out.summary
    );
}

#[tokio::test]
async fn invoke_bounds_a_large_payload_and_log_mocked() {
    let big = format!("\"{}\"", "x".repeat(MAX_PAYLOAD_BYTES * 3));
    let long_log = format!("{}\nlast line\n", "y".repeat(MAX_LOG_BYTES * 2));
    let rule = mock!(Client::invoke).then_output(move || {
        InvokeOutput::builder()
            .status_code(200)
            .payload(Blob::new(big.clone()))
            .log_result(log_tail(&long_log))
            .build()
    });
    let out = run_with::<Invoke, _>(mocked!(rule), json!({"function_name": "orders"}), None)
        .await
        .unwrap();
    assert!(out.data["payload"].as_str().unwrap().len() <= MAX_PAYLOAD_BYTES + 16);
    assert_eq!(out.data["payload_bytes"], MAX_PAYLOAD_BYTES * 3 + 2);
    let tail = out.data["log_tail"].as_str().unwrap();
    assert!(tail.len() <= MAX_LOG_BYTES && tail.ends_with("last line\n"));
    assert_eq!(out.data["truncated"]["payload"], true);
    assert_eq!(out.data["truncated"]["log_tail"], true);
}

#[tokio::test]
async fn invoke_as_an_event_queues_it_mocked() {
    let rule = mock!(Client::invoke)
        .match_requests(|r| {
            r.invocation_type() == Some(&InvocationType::Event) && r.log_type().is_none()
        })
        .then_output(|| InvokeOutput::builder().status_code(202).build());
    let out = run_with::<Invoke, _>(
        mocked!(rule),
        json!({"function_name": "orders", "invocation_type": "Event"}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(out.data["status_code"], 202);
    assert!(out.summary.contains("Queued"), "{}", out.summary);
}

#[tokio::test]
async fn provisioned_concurrency_is_set_and_read_mocked() {
    let put = mock!(Client::put_provisioned_concurrency_config)
        .match_requests(|r| {
            r.function_name() == Some("checkout")
                && r.qualifier() == Some("live")
                && r.provisioned_concurrent_executions() == Some(10)
        })
        .then_output(|| {
            PutProvisionedConcurrencyConfigOutput::builder()
                .requested_provisioned_concurrent_executions(10)
                .allocated_provisioned_concurrent_executions(0)
                .status(ProvisionedConcurrencyStatusEnum::InProgress)
                .last_modified("2026-11-30T12:00:00+0000")
                .build()
        });
    let out = run_with::<PutProvisionedConcurrency, _>(
        mocked!(put),
        json!({"function_name": "checkout", "qualifier": "live", "concurrency": 10}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(out.data["requested"], 10);
    assert_eq!(out.data["status"], "IN_PROGRESS");

    let reserved = mock!(Client::get_function_concurrency).then_output(|| {
        GetFunctionConcurrencyOutput::builder()
            .reserved_concurrent_executions(50)
            .build()
    });
    let list = mock!(Client::list_provisioned_concurrency_configs)
        .match_requests(|r| r.function_name() == Some("checkout"))
        .then_output(|| {
            ListProvisionedConcurrencyConfigsOutput::builder()
                .provisioned_concurrency_configs(
                    ProvisionedConcurrencyConfigListItem::builder()
                        .function_arn(
                            "arn:aws:lambda:us-east-1:123456789012:function:checkout:live",
                        )
                        .requested_provisioned_concurrent_executions(10)
                        .available_provisioned_concurrent_executions(10)
                        .allocated_provisioned_concurrent_executions(10)
                        .status(ProvisionedConcurrencyStatusEnum::Ready)
                        .build(),
                )
                .build()
        });
    let out = run_with::<GetConcurrency, _>(
        mocked!(reserved, list),
        json!({"function_name": "checkout"}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(out.data["reserved_concurrent_executions"], 50);
    assert_eq!(out.data["provisioned"][0]["status"], "READY");
    assert!(out.summary.contains("provisioned 10"), "{}", out.summary);
}
