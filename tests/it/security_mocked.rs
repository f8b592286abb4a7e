//! aws_security actions for operations moto 5.2.5 lacks, run against `aws-smithy-mocks`
//! responses shaped like AWS's documented examples: IAM policy simulation, IAM Access
//! Analyzer, GuardDuty findings and finding statistics, Security Hub BatchUpdateFindings and
//! standards, and Secrets Manager rotation with a Lambda (moto would invoke it in Docker).

use aws_smithy_mocks::{MockResponseInterceptor, RuleMode, create_mock_http_client, mock};
use aws_smithy_types::DateTime;
use espada_aws::{
    aws::Guard,
    tools::security::{
        analyzer::{CreateAccessAnalyzer, ListAccessAnalyzerFindings},
        guardduty::{ArchiveGuarddutyFindings, GetGuarddutyStatus, ListGuarddutyFindings},
        hub::{ListSecurityStandards, UpdateFindingWorkflow},
        policies::SimulatePolicy,
        secrets::RotateSecret,
    },
};
use serde_json::json;

use crate::mocked::run_with;

/// A client of SDK crate `$sdk` answered only by the given mock rules.
macro_rules! mocked {
    ($sdk:ident, $($rule:expr),+ $(,)?) => {{
        let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
        $(interceptor = interceptor.with_rule(&$rule);)+
        $sdk::Client::from_conf(
            $sdk::Config::builder()
                .behavior_version($sdk::config::BehaviorVersion::latest())
                .region($sdk::config::Region::new("us-east-1"))
                .credentials_provider($sdk::config::Credentials::new(
                    "testing", "testing", None, None, "test",
                ))
                .http_client(create_mock_http_client())
                .interceptor(interceptor)
                .build(),
        )
    }};
}

#[tokio::test]
async fn policy_simulation_with_smithy_mocks() {
    use aws_sdk_iam::{
        Client,
        operation::{
            simulate_custom_policy::SimulateCustomPolicyOutput,
            simulate_principal_policy::SimulatePrincipalPolicyOutput,
        },
        types::{EvaluationResult, PolicyEvaluationDecisionType, Statement},
    };
    // As in AWS's SimulatePrincipalPolicy example: one action allowed by a named policy, one
    // implicitly denied.
    let principal = mock!(Client::simulate_principal_policy)
        .match_requests(|r| {
            r.policy_source_arn() == Some("arn:aws:iam::123456789012:user/Jill")
                && r.action_names() == ["s3:GetObject", "iam:CreateUser"]
        })
        .then_output(|| {
            SimulatePrincipalPolicyOutput::builder()
                .evaluation_results(
                    EvaluationResult::builder()
                        .eval_action_name("s3:GetObject")
                        .eval_resource_name("arn:aws:s3:::my-bucket/*")
                        .eval_decision(PolicyEvaluationDecisionType::Allowed)
                        .matched_statements(
                            Statement::builder().source_policy_id("ReadOnlyS3").build(),
                        )
                        .build()
                        .unwrap(),
                )
                .evaluation_results(
                    EvaluationResult::builder()
                        .eval_action_name("iam:CreateUser")
                        .eval_resource_name("*")
                        .eval_decision(PolicyEvaluationDecisionType::ImplicitDeny)
                        .build()
                        .unwrap(),
                )
                .is_truncated(false)
                .build()
        });
    let custom = mock!(Client::simulate_custom_policy)
        .match_requests(|r| {
            r.policy_input_list().len() == 1
                && r.policy_input_list()[0].contains("dynamodb:GetItem")
                && r.resource_arns() == ["arn:aws:dynamodb:us-east-1:123456789012:table/orders"]
        })
        .then_output(|| {
            SimulateCustomPolicyOutput::builder()
                .evaluation_results(
                    EvaluationResult::builder()
                        .eval_action_name("dynamodb:PutItem")
                        .eval_resource_name("arn:aws:dynamodb:us-east-1:123456789012:table/orders")
                        .eval_decision(PolicyEvaluationDecisionType::ImplicitDeny)
                        .missing_context_values("aws:SourceIp")
                        .build()
                        .unwrap(),
                )
                .is_truncated(false)
                .build()
        });
    let c = mocked!(aws_sdk_iam, principal, custom);
    let out = run_with::<SimulatePolicy, _>(
        c.clone(),
        json!({"principal_arn": "arn:aws:iam::123456789012:user/Jill",
               "actions": ["s3:GetObject", "iam:CreateUser"]}),
        Some(Guard::ReadOnly),
    )
    .await
    .unwrap();
    assert_eq!(out.data["results"][0]["decision"], "allowed");
    assert_eq!(
        out.data["results"][0]["matched_statements"],
        json!(["ReadOnlyS3"])
    );
    assert_eq!(out.data["results"][1]["decision"], "implicitDeny");
    assert!(out.summary.starts_with("1 of 2"), "{}", out.summary);
    let out = run_with::<SimulatePolicy, _>(
        c,
        json!({"document": r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*"}]}"#,
               "actions": ["dynamodb:PutItem"],
               "resources": ["arn:aws:dynamodb:us-east-1:123456789012:table/orders"]}),
        Some(Guard::ReadOnly),
    )
    .await
    .unwrap();
    assert_eq!(
        out.data["results"][0]["missing_context"],
        json!(["aws:SourceIp"])
    );
    assert_eq!((principal.num_calls(), custom.num_calls()), (1, 1));
}

#[tokio::test]
async fn access_analyzer_with_smithy_mocks() {
    use aws_sdk_accessanalyzer::{
        Client,
        operation::{
            create_analyzer::CreateAnalyzerOutput, list_analyzers::ListAnalyzersOutput,
            list_findings::ListFindingsOutput,
        },
        types::{
            AnalyzerStatus, AnalyzerSummary, FindingStatus, FindingSummary, ResourceType, Type,
        },
    };
    let t = DateTime::from_secs(1_700_000_000);
    let analyzers = mock!(Client::list_analyzers).then_output(move || {
        ListAnalyzersOutput::builder()
            .analyzers(
                AnalyzerSummary::builder()
                    .arn("arn:aws:access-analyzer:us-east-1:123456789012:analyzer/ConsoleAnalyzer")
                    .name("ConsoleAnalyzer")
                    .r#type(Type::Account)
                    .created_at(t)
                    .status(AnalyzerStatus::Active)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    });
    // A bucket shared with another account, and a public one, as AWS reports them.
    let findings = mock!(Client::list_findings)
        .match_requests(|r| {
            r.analyzer_arn()
                == Some("arn:aws:access-analyzer:us-east-1:123456789012:analyzer/ConsoleAnalyzer")
                && r.filter().is_some_and(|f| f["status"].eq() == ["ACTIVE"])
        })
        .then_output(move || {
            ListFindingsOutput::builder()
                .findings(
                    FindingSummary::builder()
                        .id("bf4b7c3a-1e44-4b34-8c4f-7d0c2e0b1a11")
                        .principal("AWS", "111122223333")
                        .action("s3:GetObject")
                        .resource("arn:aws:s3:::shared-reports")
                        .is_public(false)
                        .resource_type(ResourceType::AwsS3Bucket)
                        .created_at(t)
                        .analyzed_at(t)
                        .updated_at(t)
                        .status(FindingStatus::Active)
                        .resource_owner_account("123456789012")
                        .set_condition(Some(Default::default()))
                        .build()
                        .unwrap(),
                )
                .findings(
                    FindingSummary::builder()
                        .id("7d8e2a3c-0f1b-4c2d-9e8f-1a2b3c4d5e6f")
                        .principal("AWS", "*")
                        .action("s3:GetObject")
                        .resource("arn:aws:s3:::public-site")
                        .is_public(true)
                        .resource_type(ResourceType::AwsS3Bucket)
                        .created_at(t)
                        .analyzed_at(t)
                        .updated_at(t)
                        .status(FindingStatus::Active)
                        .resource_owner_account("123456789012")
                        .set_condition(Some(Default::default()))
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap()
        });
    let create = mock!(Client::create_analyzer)
        .match_requests(|r| {
            r.analyzer_name() == Some("org-external")
                && r.r#type() == Some(&Type::Organization)
                && r.client_token().is_some_and(|t| t.len() == 32)
        })
        .then_output(|| {
            CreateAnalyzerOutput::builder()
                .arn("arn:aws:access-analyzer:us-east-1:123456789012:analyzer/org-external")
                .build()
        });
    let c = mocked!(aws_sdk_accessanalyzer, analyzers, findings, create);
    let out =
        run_with::<ListAccessAnalyzerFindings, _>(c.clone(), json!({}), Some(Guard::ReadOnly))
            .await
            .unwrap();
    assert_eq!(out.data["findings"].as_array().unwrap().len(), 2);
    assert_eq!(
        out.data["findings"][0]["principal"],
        json!({"AWS": "111122223333"})
    );
    assert_eq!(out.data["findings"][1]["is_public"], true);
    assert!(out.summary.contains("2 active finding(s)") && out.summary.contains("1 public"));
    let made = run_with::<CreateAccessAnalyzer, _>(
        c,
        json!({"name": "org-external", "zone": "organization"}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(made.data["type"], "ORGANIZATION");
    assert_eq!(
        (
            analyzers.num_calls(),
            findings.num_calls(),
            create.num_calls()
        ),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn guardduty_findings_with_smithy_mocks() {
    use aws_sdk_guardduty::{
        Client,
        operation::{
            archive_findings::ArchiveFindingsOutput, get_detector::GetDetectorOutput,
            get_findings::GetFindingsOutput, get_findings_statistics::GetFindingsStatisticsOutput,
            list_detectors::ListDetectorsOutput, list_findings::ListFindingsOutput,
        },
        types::{
            DetectorStatus, Finding, FindingStatistics, GroupByType, Resource, Service,
            SeverityStatistics,
        },
    };
    const DETECTOR: &str = "12abc34d567e8fa901bc2d34e56789f0";
    const FINDING: &str = "a4b8a51f6f8ed5d3f6b1a0bd7ab6d1d0";
    let detectors = mock!(Client::list_detectors).then_output(|| {
        ListDetectorsOutput::builder()
            .detector_ids(DETECTOR)
            .build()
    });
    let list = mock!(Client::list_findings)
        .match_requests(|r| {
            let c = r.finding_criteria().and_then(|c| c.criterion()).unwrap();
            r.detector_id() == Some(DETECTOR)
                && c["severity"].greater_than_or_equal() == Some(7)
                && c["service.archived"].equals() == ["false"]
                && c["type"].equals() == ["UnauthorizedAccess:EC2/SSHBruteForce"]
        })
        .then_output(|| ListFindingsOutput::builder().finding_ids(FINDING).build());
    // Shaped like GuardDuty's sample finding for SSH brute force.
    let get = mock!(Client::get_findings)
        .match_requests(|r| r.finding_ids() == [FINDING])
        .then_output(|| {
            GetFindingsOutput::builder()
                .findings(
                    Finding::builder()
                        .account_id("123456789012")
                        .arn(format!(
                            "arn:aws:guardduty:us-east-1:123456789012:detector/{DETECTOR}/finding/{FINDING}"
                        ))
                        .created_at("2026-01-02T10:00:00.000Z")
                        .id(FINDING)
                        .region("us-east-1")
                        .resource(Resource::builder().resource_type("Instance").build())
                        .schema_version("2.0")
                        .severity(8.0)
                        .title("198.51.100.7 is performing SSH brute force attacks against i-99999999.")
                        .r#type("UnauthorizedAccess:EC2/SSHBruteForce")
                        .updated_at("2026-01-02T11:00:00.000Z")
                        .service(
                            Service::builder()
                                .count(21)
                                .archived(false)
                                .event_first_seen("2026-01-02T09:55:00.000Z")
                                .event_last_seen("2026-01-02T10:59:00.000Z")
                                .build(),
                        )
                        .build(),
                )
                .build()
        });
    let archive = mock!(Client::archive_findings)
        .match_requests(|r| r.detector_id() == Some(DETECTOR) && r.finding_ids() == [FINDING])
        .then_output(|| ArchiveFindingsOutput::builder().build());
    let detector = mock!(Client::get_detector).then_output(|| {
        GetDetectorOutput::builder()
            .status(DetectorStatus::Enabled)
            .service_role("arn:aws:iam::123456789012:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty")
            .created_at("2025-06-01T00:00:00.000Z")
            .build()
    });
    let stats = mock!(Client::get_findings_statistics)
        .match_requests(|r| r.group_by() == Some(&GroupByType::Severity))
        .then_output(|| {
            GetFindingsStatisticsOutput::builder()
                .finding_statistics(
                    FindingStatistics::builder()
                        .grouped_by_severity(
                            SeverityStatistics::builder()
                                .severity(8.0)
                                .total_findings(3)
                                .build(),
                        )
                        .grouped_by_severity(
                            SeverityStatistics::builder()
                                .severity(2.0)
                                .total_findings(5)
                                .build(),
                        )
                        .build(),
                )
                .build()
        });
    let c = mocked!(
        aws_sdk_guardduty,
        detectors,
        list,
        get,
        archive,
        detector,
        stats
    );
    let out = run_with::<ListGuarddutyFindings, _>(
        c.clone(),
        json!({"min_severity": "high", "types": ["UnauthorizedAccess:EC2/SSHBruteForce"]}),
        Some(Guard::ReadOnly),
    )
    .await
    .unwrap();
    let f = &out.data["findings"][0];
    assert_eq!(f["type"], "UnauthorizedAccess:EC2/SSHBruteForce");
    assert_eq!(f["severity_label"], "HIGH");
    assert_eq!(f["count"], 21);
    assert_eq!(out.summary, "1 finding(s): 1 HIGH.");
    let status = run_with::<GetGuarddutyStatus, _>(c.clone(), json!({}), Some(Guard::ReadOnly))
        .await
        .unwrap();
    assert_eq!(
        status.data["findings_by_severity"],
        json!({"HIGH": 3, "LOW": 5})
    );
    assert!(status.summary.contains("ENABLED"), "{}", status.summary);
    let archived =
        run_with::<ArchiveGuarddutyFindings, _>(c, json!({"finding_ids": [FINDING]}), None)
            .await
            .unwrap();
    assert_eq!(archived.data["archived"], json!([FINDING]));
    assert_eq!(
        (list.num_calls(), get.num_calls(), archive.num_calls()),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn security_hub_workflow_and_standards_with_smithy_mocks() {
    use aws_sdk_securityhub::{
        Client,
        operation::{
            batch_update_findings::BatchUpdateFindingsOutput,
            describe_standards::DescribeStandardsOutput,
            get_enabled_standards::GetEnabledStandardsOutput, get_findings::GetFindingsOutput,
        },
        types::{
            AwsSecurityFinding, AwsSecurityFindingIdentifier, Severity, SeverityLabel, Standard,
            StandardsStatus, StandardsSubscription, WorkflowStatus,
        },
    };
    const PRODUCT: &str = "arn:aws:securityhub:us-east-1::product/aws/guardduty";
    const ID: &str = "arn:aws:guardduty:us-east-1:123456789012:detector/d1/finding/f1";
    let get = mock!(Client::get_findings)
        .match_requests(|r| {
            r.filters()
                .is_some_and(|f| f.id().first().and_then(|i| i.value()) == Some(ID))
        })
        .then_output(|| {
            GetFindingsOutput::builder()
                .findings(
                    AwsSecurityFinding::builder()
                        .id(ID)
                        .product_arn(PRODUCT)
                        .product_name("GuardDuty")
                        .title("EC2 instance is communicating with a known bad IP")
                        .severity(Severity::builder().label(SeverityLabel::High).build())
                        .build(),
                )
                .build()
        });
    let update = mock!(Client::batch_update_findings)
        .match_requests(|r| {
            r.finding_identifiers().len() == 1
                && r.finding_identifiers()[0].product_arn() == Some(PRODUCT)
                && r.workflow().and_then(|w| w.status()) == Some(&WorkflowStatus::Resolved)
                && r.note().and_then(|n| n.text()) == Some("patched in change 42")
        })
        .then_output(|| {
            BatchUpdateFindingsOutput::builder()
                .processed_findings(
                    AwsSecurityFindingIdentifier::builder()
                        .id(ID)
                        .product_arn(PRODUCT)
                        .build(),
                )
                .build()
        });
    let standards = mock!(Client::describe_standards).then_output(|| {
        DescribeStandardsOutput::builder()
            .standards(
                Standard::builder()
                    .standards_arn("arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0")
                    .name("AWS Foundational Security Best Practices v1.0.0")
                    .enabled_by_default(true)
                    .build(),
            )
            .standards(
                Standard::builder()
                    .standards_arn("arn:aws:securityhub:us-east-1::standards/cis-aws-foundations-benchmark/v/3.0.0")
                    .name("CIS AWS Foundations Benchmark v3.0.0")
                    .enabled_by_default(false)
                    .build(),
            )
            .build()
    });
    let enabled = mock!(Client::get_enabled_standards).then_output(|| {
        GetEnabledStandardsOutput::builder()
            .standards_subscriptions(
                StandardsSubscription::builder()
                    .standards_subscription_arn("arn:aws:securityhub:us-east-1:123456789012:subscription/aws-foundational-security-best-practices/v/1.0.0")
                    .standards_arn("arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0")
                    .standards_status(StandardsStatus::Ready)
                    .build(),
            )
            .build()
    });
    let c = mocked!(aws_sdk_securityhub, get, update, standards, enabled);
    let out = run_with::<UpdateFindingWorkflow, _>(
        c.clone(),
        json!({"finding_ids": [ID], "status": "resolved", "note": "patched in change 42"}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(out.data["processed"], json!([ID]));
    assert_eq!(out.summary, "Set 1 finding(s) to RESOLVED.");
    let listed = run_with::<ListSecurityStandards, _>(c, json!({}), Some(Guard::ReadOnly))
        .await
        .unwrap();
    assert_eq!(listed.data["standards"][0]["status"], "READY");
    assert_eq!(listed.data["standards"][1]["status"], "NOT_ENABLED");
    assert!(
        listed.summary.contains("enabled: AWS Foundational"),
        "{}",
        listed.summary
    );
    assert_eq!(update.num_calls(), 1);
}

#[tokio::test]
async fn secret_rotation_with_a_lambda_with_smithy_mocks() {
    use aws_sdk_secretsmanager::{Client, operation::rotate_secret::RotateSecretOutput};
    const LAMBDA: &str = "arn:aws:lambda:us-east-1:123456789012:function:SecretsManagerRotation";
    let rotate = mock!(Client::rotate_secret)
        .match_requests(|r| {
            r.secret_id() == Some("prod/db")
                && r.rotation_lambda_arn() == Some(LAMBDA)
                && r.rotation_rules()
                    .and_then(|x| x.automatically_after_days())
                    == Some(30)
                && r.rotate_immediately() == Some(false)
                && r.client_request_token().is_some_and(|t| t.len() == 32)
        })
        .then_output(|| {
            RotateSecretOutput::builder()
                .arn("arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-a1b2c3")
                .name("prod/db")
                .version_id("EXAMPLE2-90ab-cdef-fedc-ba987SECRET2")
                .build()
        });
    let out = run_with::<RotateSecret, _>(
        mocked!(aws_sdk_secretsmanager, rotate),
        json!({"secret_id": "prod/db", "rotation_lambda_arn": LAMBDA, "rotation_days": 30}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(out.data["rotation_lambda_arn"], LAMBDA);
    assert!(out.summary.contains("every 30 days"), "{}", out.summary);
    assert_eq!(rotate.num_calls(), 1);
}
