//! aws_cost actions for Cost Explorer operations moto 5.2.5 lacks (GetCostForecast,
//! GetAnomalies, GetRightsizingRecommendation, GetSavingsPlansPurchaseRecommendation,
//! GetReservationPurchaseRecommendation, GetSavingsPlansUtilization), run against
//! `aws-smithy-mocks` responses shaped like the examples in AWS's Cost Explorer API reference.

use aws_sdk_costexplorer::{
    Client,
    operation::{
        get_anomalies::GetAnomaliesOutput, get_cost_forecast::GetCostForecastOutput,
        get_reservation_purchase_recommendation::GetReservationPurchaseRecommendationOutput,
        get_rightsizing_recommendation::GetRightsizingRecommendationOutput,
        get_savings_plans_purchase_recommendation::GetSavingsPlansPurchaseRecommendationOutput,
        get_savings_plans_utilization::GetSavingsPlansUtilizationOutput,
    },
    types::{
        Anomaly, AnomalyScore, CurrentInstance, DateInterval, Ec2InstanceDetails,
        Ec2ResourceDetails, ForecastResult, Impact, InstanceDetails, MetricValue,
        ModifyRecommendationDetail, ReservationPurchaseRecommendation,
        ReservationPurchaseRecommendationDetail, ReservationPurchaseRecommendationSummary,
        ResourceDetails, RightsizingRecommendation, RightsizingRecommendationSummary,
        RightsizingType, RootCause, SavingsPlansPurchaseRecommendation,
        SavingsPlansPurchaseRecommendationDetail, SavingsPlansPurchaseRecommendationSummary,
        SavingsPlansSavings, SavingsPlansUtilization, SavingsPlansUtilizationAggregates,
        TargetInstance,
    },
};
use aws_smithy_mocks::{MockResponseInterceptor, RuleMode, create_mock_http_client, mock};
use espada_aws::tools::cost::{
    savings::{
        GetReservationRecommendations, GetRightsizingRecommendations,
        GetSavingsPlanRecommendations, GetSavingsPlansUtilization,
    },
    spend::{ForecastCosts, GetCostAnomalies},
};
use serde_json::json;

use crate::mocked::run_with;

macro_rules! mocked {
    ($($rule:expr),+ $(,)?) => {{
        let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
        $(interceptor = interceptor.with_rule(&$rule);)+
        Client::from_conf(
            aws_sdk_costexplorer::Config::builder()
                .behavior_version(aws_sdk_costexplorer::config::BehaviorVersion::latest())
                .region(aws_sdk_costexplorer::config::Region::new("us-east-1"))
                .credentials_provider(aws_sdk_costexplorer::config::Credentials::new(
                    "testing", "testing", None, None, "test",
                ))
                .http_client(create_mock_http_client())
                .interceptor(interceptor)
                .build(),
        )
    }};
}

fn money(v: &str) -> MetricValue {
    MetricValue::builder().amount(v).unit("USD").build()
}

#[tokio::test]
async fn forecast_to_a_date_with_its_interval_mocked() {
    let rule = mock!(Client::get_cost_forecast)
        .match_requests(|r| {
            r.prediction_interval_level() == Some(80)
                && r.time_period().is_some_and(|t| t.end() == "2099-02-01")
        })
        .then_output(|| {
            GetCostForecastOutput::builder()
                .total(money("1520.55"))
                .forecast_results_by_time(
                    ForecastResult::builder()
                        .time_period(
                            DateInterval::builder()
                                .start("2099-01-15")
                                .end("2099-02-01")
                                .build()
                                .unwrap(),
                        )
                        .mean_value("1520.55")
                        .prediction_interval_lower_bound("1390.1")
                        .prediction_interval_upper_bound("1650.9")
                        .build(),
                )
                .build()
        });
    let out = run_with::<ForecastCosts, _>(mocked!(rule), json!({"end": "2099-02-01"}), None)
        .await
        .unwrap();
    assert_eq!(out.data["total"], 1520.55, "{out:?}");
    assert_eq!(out.data["prediction_interval"]["low"], 1390.1);
    assert_eq!(out.data["prediction_interval"]["high"], 1650.9);
    assert_eq!(out.data["prediction_interval"]["level"], 80);
    assert!(out.summary.contains("80% interval"), "{}", out.summary);
}

#[tokio::test]
async fn anomalies_with_root_causes_mocked() {
    let rule = mock!(Client::get_anomalies)
        .match_requests(|r| {
            r.date_interval().is_some_and(|d| {
                d.start_date() == "2025-01-01" && d.end_date() == Some("2025-01-31")
            })
        })
        .then_output(|| {
            GetAnomaliesOutput::builder()
                .anomalies(
                    Anomaly::builder()
                        .anomaly_id("0b6d2a5c-1a2b-4c3d-8e9f-0a1b2c3d4e5f")
                        .anomaly_start_date("2025-01-10T00:00:00Z")
                        .anomaly_end_date("2025-01-12T00:00:00Z")
                        .dimension_value("Amazon Elastic Compute Cloud - Compute")
                        .root_causes(
                            RootCause::builder()
                                .service("Amazon Elastic Compute Cloud - Compute")
                                .region("us-east-1")
                                .linked_account("123456789012")
                                .usage_type("BoxUsage:p3.2xlarge")
                                .build(),
                        )
                        .anomaly_score(
                            AnomalyScore::builder()
                                .max_score(0.87)
                                .current_score(0.6)
                                .build(),
                        )
                        .impact(
                            Impact::builder()
                                .max_impact(310.0)
                                .total_impact(512.4)
                                .total_actual_spend(640.4)
                                .total_expected_spend(128.0)
                                .total_impact_percentage(400.31)
                                .build(),
                        )
                        .monitor_arn(
                            "arn:aws:ce::123456789012:anomalymonitor/\
                             11111111-2222-3333-4444-555555555555",
                        )
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap()
        });
    let out = run_with::<GetCostAnomalies, _>(
        mocked!(rule),
        json!({"start": "2025-01-01", "end": "2025-01-31"}),
        None,
    )
    .await
    .unwrap();
    let a = &out.data["anomalies"][0];
    assert_eq!(a["total_impact"], 512.4, "{out:?}");
    assert_eq!(a["root_causes"][0]["usage_type"], "BoxUsage:p3.2xlarge");
    assert_eq!(a["root_causes"][0]["region"], "us-east-1");
    assert!(out.summary.starts_with("1 anomaly"), "{}", out.summary);
}

fn ec2_details(kind: &str) -> ResourceDetails {
    ResourceDetails::builder()
        .ec2_resource_details(
            Ec2ResourceDetails::builder()
                .instance_type(kind)
                .region("US East (N. Virginia)")
                .build(),
        )
        .build()
}

#[tokio::test]
async fn rightsizing_with_estimated_savings_mocked() {
    let rule = mock!(Client::get_rightsizing_recommendation)
        .match_requests(|r| r.service() == Some("AmazonEC2"))
        .then_output(|| {
            GetRightsizingRecommendationOutput::builder()
                .summary(
                    RightsizingRecommendationSummary::builder()
                        .total_recommendation_count("1")
                        .estimated_total_monthly_savings_amount("35.04")
                        .savings_currency_code("USD")
                        .savings_percentage("50")
                        .build(),
                )
                .rightsizing_recommendations(
                    RightsizingRecommendation::builder()
                        .account_id("123456789012")
                        .current_instance(
                            CurrentInstance::builder()
                                .resource_id("i-0123456789abcdef0")
                                .instance_name("web-1")
                                .monthly_cost("70.08")
                                .currency_code("USD")
                                .resource_details(ec2_details("m5.large"))
                                .build(),
                        )
                        .rightsizing_type(RightsizingType::Modify)
                        .modify_recommendation_detail(
                            ModifyRecommendationDetail::builder()
                                .target_instances(
                                    TargetInstance::builder()
                                        .estimated_monthly_cost("35.04")
                                        .estimated_monthly_savings("35.04")
                                        .currency_code("USD")
                                        .default_target_instance(true)
                                        .resource_details(ec2_details("m5.medium"))
                                        .build(),
                                )
                                .build(),
                        )
                        .build(),
                )
                .build()
        });
    let out = run_with::<GetRightsizingRecommendations, _>(mocked!(rule), json!({}), None)
        .await
        .unwrap();
    let r = &out.data["recommendations"][0];
    assert_eq!(r["instance_id"], "i-0123456789abcdef0", "{out:?}");
    assert_eq!(r["recommendation"], "MODIFY");
    assert_eq!(r["target_type"], "m5.medium");
    assert_eq!(r["estimated_monthly_savings"], 35.04);
    assert_eq!(out.data["estimated_total_monthly_savings"], 35.04);
}

#[tokio::test]
async fn savings_plan_recommendation_with_break_even_mocked() {
    let rule = mock!(Client::get_savings_plans_purchase_recommendation)
        .match_requests(|r| {
            r.term_in_years().map(|t| t.as_str()) == Some("THREE_YEARS")
                && r.payment_option().map(|p| p.as_str()) == Some("ALL_UPFRONT")
        })
        .then_output(|| {
            GetSavingsPlansPurchaseRecommendationOutput::builder()
                .savings_plans_purchase_recommendation(
                    SavingsPlansPurchaseRecommendation::builder()
                        .savings_plans_purchase_recommendation_details(
                            SavingsPlansPurchaseRecommendationDetail::builder()
                                .account_id("123456789012")
                                .hourly_commitment_to_purchase("0.5")
                                .upfront_cost("13140")
                                .estimated_monthly_savings_amount("547.5")
                                .estimated_savings_percentage("41.2")
                                .estimated_average_utilization("98.7")
                                .build(),
                        )
                        .savings_plans_purchase_recommendation_summary(
                            SavingsPlansPurchaseRecommendationSummary::builder()
                                .hourly_commitment_to_purchase("0.5")
                                .estimated_monthly_savings_amount("547.5")
                                .estimated_savings_percentage("41.2")
                                .estimated_roi("70.1")
                                .current_on_demand_spend("1328.9")
                                .currency_code("USD")
                                .build(),
                        )
                        .build(),
                )
                .build()
        });
    let out = run_with::<GetSavingsPlanRecommendations, _>(
        mocked!(rule),
        json!({"term": "THREE_YEARS", "payment_option": "ALL_UPFRONT"}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(out.data["estimated_monthly_savings"], 547.5, "{out:?}");
    assert_eq!(out.data["recommendations"][0]["break_even_months"], 24.0);
    assert_eq!(out.data["hourly_commitment"], "0.5");
    assert!(
        out.summary.contains("commit 0.5 an hour"),
        "{}",
        out.summary
    );
}

#[tokio::test]
async fn reservation_recommendations_mocked() {
    let rule = mock!(Client::get_reservation_purchase_recommendation)
        .match_requests(|r| r.service() == Some("Amazon Elastic Compute Cloud - Compute"))
        .then_output(|| {
            GetReservationPurchaseRecommendationOutput::builder()
                .recommendations(
                    ReservationPurchaseRecommendation::builder()
                        .recommendation_details(
                            ReservationPurchaseRecommendationDetail::builder()
                                .account_id("123456789012")
                                .instance_details(
                                    InstanceDetails::builder()
                                        .ec2_instance_details(
                                            Ec2InstanceDetails::builder()
                                                .instance_type("m5.large")
                                                .region("US East (N. Virginia)")
                                                .platform("Linux/UNIX")
                                                .build(),
                                        )
                                        .build(),
                                )
                                .recommended_number_of_instances_to_purchase("4")
                                .upfront_cost("0")
                                .recurring_standard_monthly_cost("176.0")
                                .estimated_monthly_savings_amount("104.32")
                                .estimated_monthly_savings_percentage("37.2")
                                .estimated_break_even_in_months("0")
                                .average_utilization("100")
                                .build(),
                        )
                        .recommendation_summary(
                            ReservationPurchaseRecommendationSummary::builder()
                                .total_estimated_monthly_savings_amount("104.32")
                                .currency_code("USD")
                                .build(),
                        )
                        .build(),
                )
                .build()
        });
    let out = run_with::<GetReservationRecommendations, _>(mocked!(rule), json!({}), None)
        .await
        .unwrap();
    let r = &out.data["recommendations"][0];
    assert_eq!(r["instance_type"], "m5.large", "{out:?}");
    assert_eq!(r["count"], "4");
    assert_eq!(r["estimated_monthly_savings"], 104.32);
    assert_eq!(r["break_even_months"], 0.0);
    assert_eq!(out.data["estimated_monthly_savings"], 104.32);
}

#[tokio::test]
async fn savings_plans_utilization_mocked() {
    let rule = mock!(Client::get_savings_plans_utilization).then_output(|| {
        GetSavingsPlansUtilizationOutput::builder()
            .total(
                SavingsPlansUtilizationAggregates::builder()
                    .utilization(
                        SavingsPlansUtilization::builder()
                            .total_commitment("730")
                            .used_commitment("657")
                            .unused_commitment("73")
                            .utilization_percentage("90")
                            .build(),
                    )
                    .savings(
                        SavingsPlansSavings::builder()
                            .net_savings("250.5")
                            .on_demand_cost_equivalent("907.5")
                            .build(),
                    )
                    .build(),
            )
            .build()
    });
    let out = run_with::<GetSavingsPlansUtilization, _>(
        mocked!(rule),
        json!({"period": "last_month"}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(out.data["utilization_percent"], 90.0, "{out:?}");
    assert_eq!(out.data["unused_commitment"], 73.0);
    assert_eq!(out.data["net_savings"], 250.5);
}

/// A GetProducts price list entry as AWS returns it (one JSON document per product, as a
/// string), trimmed to what matters.
fn product(instance_type: &str, usd: &str) -> String {
    json!({
        "product": {
            "productFamily": "Compute Instance",
            "attributes": {"instanceType": instance_type, "regionCode": "us-east-1",
                           "operatingSystem": "Linux", "tenancy": "Shared"},
            "sku": "2WTMTR9HDDT7AA73"
        },
        "serviceCode": "AmazonEC2",
        "terms": {"OnDemand": {"2WTMTR9HDDT7AA73.JRTCKXETXF": {
            "priceDimensions": {"2WTMTR9HDDT7AA73.JRTCKXETXF.6YS6EN2CT7": {
                "unit": "Hrs",
                "pricePerUnit": {"USD": usd},
                "description": format!("${usd} per On Demand Linux {instance_type} Instance Hour")
            }},
            "sku": "2WTMTR9HDDT7AA73",
            "effectiveDate": "2025-06-01T00:00:00Z"
        }}},
        "version": "20250601000000",
        "publicationDate": "2025-06-01T00:00:00Z"
    })
    .to_string()
}

#[tokio::test]
async fn estimates_from_the_price_list_api_mocked() {
    use aws_sdk_pricing::operation::get_products::GetProductsOutput;
    let rule = mock!(aws_sdk_pricing::Client::get_products)
        .match_requests(|r| {
            r.service_code() == Some("AmazonEC2")
                && r.filters()
                    .iter()
                    .any(|f| f.field() == "instanceType" && f.value() == "m7i.large")
        })
        .then_output(|| {
            GetProductsOutput::builder()
                .format_version("aws_v1")
                .price_list(product("m7i.large", "0.1008000000"))
                .build()
        });
    // Nothing matches in this (made-up) region: AWS answers with an empty price list.
    let empty = mock!(aws_sdk_pricing::Client::get_products)
        .match_requests(|r| {
            r.filters()
                .iter()
                .any(|f| f.field() == "instanceType" && f.value() == "t3.micro")
        })
        .then_output(|| {
            GetProductsOutput::builder()
                .format_version("aws_v1")
                .build()
        });
    let client = aws_sdk_pricing::Client::from_conf(
        aws_sdk_pricing::Config::builder()
            .behavior_version(aws_sdk_pricing::config::BehaviorVersion::latest())
            .region(aws_sdk_pricing::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_pricing::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .http_client(create_mock_http_client())
            .interceptor(
                MockResponseInterceptor::new()
                    .rule_mode(RuleMode::MatchAny)
                    .with_rule(&rule)
                    .with_rule(&empty),
            )
            .build(),
    );
    // m7i.large is not in the table: the API prices it.
    let out = run_with::<espada_aws::tools::cost::prices::EstimateCost, _>(
        client.clone(),
        json!({"resource": "instance", "type": "m7i.large", "price_list": true}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(out.data["price_source"], "price_list_api", "{out:?}");
    assert_eq!(out.data["monthly_cost"], 73.58);
    assert!(
        out.data["estimate"]
            .as_str()
            .unwrap()
            .contains("Price List API")
    );
    // A type the API does not list falls back to the table, and says so.
    let out = run_with::<espada_aws::tools::cost::prices::EstimateCost, _>(
        client,
        json!({"resource": "instance", "type": "t3.micro", "price_list": true}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(out.data["price_source"], "table", "{out:?}");
    assert_eq!(out.data["monthly_cost"], 7.59);
    assert!(out.data["price_note"].as_str().is_some(), "{out:?}");
}

#[tokio::test]
async fn nat_gateways_without_traffic_mocked() {
    use aws_sdk_cloudwatch::{
        operation::get_metric_statistics::GetMetricStatisticsOutput, types::Datapoint,
    };
    use aws_sdk_ec2::{
        operation::describe_nat_gateways::DescribeNatGatewaysOutput,
        types::{NatGateway, NatGatewayState},
    };
    use espada_aws::{
        aws::AwsPool,
        registry::{Action, Caller, Cx},
        settings::Settings,
        tools::cost::unused::FindUnusedResources,
    };

    let gateways = mock!(aws_sdk_ec2::Client::describe_nat_gateways).then_output(|| {
        let gw = |id: &str| {
            NatGateway::builder()
                .nat_gateway_id(id)
                .vpc_id("vpc-1a2b3c4d")
                .subnet_id("subnet-1a2b3c4d")
                .state(NatGatewayState::Available)
                .build()
        };
        DescribeNatGatewaysOutput::builder()
            .nat_gateways(gw("nat-05dba92075d71c408"))
            .nat_gateways(gw("nat-0a5e2b8c1d3f4a6b7"))
            .nat_gateways(gw("nat-0c1d2e3f4a5b6c7d8"))
            .build()
    });
    let dimension =
        |r: &aws_sdk_cloudwatch::operation::get_metric_statistics::GetMetricStatisticsInput,
         id: &str| {
            r.namespace() == Some("AWS/NATGateway")
                && r.metric_name() == Some("BytesOutToDestination")
                && r.dimensions().iter().any(|d| d.value() == Some(id))
        };
    let day = |sum: f64| {
        Datapoint::builder()
            .timestamp(aws_smithy_types::DateTime::from_secs(1_767_225_600))
            .sum(sum)
            .unit(aws_sdk_cloudwatch::types::StandardUnit::Bytes)
            .build()
    };
    let idle = mock!(aws_sdk_cloudwatch::Client::get_metric_statistics)
        .match_requests(move |r| dimension(r, "nat-05dba92075d71c408"))
        .then_output(move || {
            GetMetricStatisticsOutput::builder()
                .label("BytesOutToDestination")
                .datapoints(day(0.0))
                .datapoints(day(0.0))
                .build()
        });
    let busy = mock!(aws_sdk_cloudwatch::Client::get_metric_statistics)
        .match_requests(move |r| dimension(r, "nat-0a5e2b8c1d3f4a6b7"))
        .then_output(move || {
            GetMetricStatisticsOutput::builder()
                .label("BytesOutToDestination")
                .datapoints(day(0.0))
                .datapoints(day(5.2e9))
                .build()
        });
    let silent = mock!(aws_sdk_cloudwatch::Client::get_metric_statistics)
        .match_requests(move |r| dimension(r, "nat-0c1d2e3f4a5b6c7d8"))
        .then_output(|| {
            GetMetricStatisticsOutput::builder()
                .label("BytesOutToDestination")
                .build()
        });

    let ec2 = aws_sdk_ec2::Client::from_conf(
        aws_sdk_ec2::Config::builder()
            .behavior_version(aws_sdk_ec2::config::BehaviorVersion::latest())
            .region(aws_sdk_ec2::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_ec2::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .http_client(create_mock_http_client())
            .interceptor(
                MockResponseInterceptor::new()
                    .rule_mode(RuleMode::MatchAny)
                    .with_rule(&gateways),
            )
            .build(),
    );
    let cw = aws_sdk_cloudwatch::Client::from_conf(
        aws_sdk_cloudwatch::Config::builder()
            .behavior_version(aws_sdk_cloudwatch::config::BehaviorVersion::latest())
            .region(aws_sdk_cloudwatch::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_cloudwatch::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .http_client(create_mock_http_client())
            .interceptor(
                MockResponseInterceptor::new()
                    .rule_mode(RuleMode::MatchAny)
                    .with_rule(&idle)
                    .with_rule(&busy)
                    .with_rule(&silent),
            )
            .build(),
    );
    let pool = AwsPool::new(&Settings {
        region: Some("us-east-1".into()),
        ..Settings::default()
    });
    pool.preset(None, ec2);
    pool.preset(None, cw);
    let caller = Caller::default();
    let cx = Cx::new(&pool, None, None, &caller, &());
    let input: FindUnusedResources =
        serde_json::from_value(json!({"kinds": ["nat_gateways"], "days": 14})).unwrap();
    let out = input.run(&cx).await.unwrap();
    let found: Vec<(&str, &str)> = out.data["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap(), r["why"].as_str().unwrap()))
        .collect();
    assert_eq!(
        found,
        vec![
            (
                "nat-05dba92075d71c408",
                "0 bytes out to destinations in 14 days"
            ),
            (
                "nat-0c1d2e3f4a5b6c7d8",
                "no BytesOutToDestination data in 14 days"
            ),
        ],
        "{out:?}"
    );
    assert_eq!(out.data["resources"][0]["monthly_cost"], 32.85);
    assert!(
        out.data["resources"][0]["remove_with"]
            .as_str()
            .unwrap()
            .contains("delete_nat_gateway")
    );
}
