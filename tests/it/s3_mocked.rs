//! aws_s3 actions for what moto answers differently from AWS, run against `aws-smithy-mocks`
//! responses shaped like AWS's documented examples. moto 5.2.5 drops an
//! origin's OriginAccessControlId and S3OriginConfig, ignores CloudFront's If-Match ETags and
//! deletes enabled distributions; its ListBuckets leaves out BucketRegion (and cuts at
//! MaxBuckets without a ContinuationToken); it never answers PermanentRedirect for a bucket in
//! another region, and never fails a DeleteObjects key.

use aws_sdk_cloudfront::{
    operation::{
        create_distribution::CreateDistributionOutput,
        create_origin_access_control::CreateOriginAccessControlOutput,
        delete_distribution::DeleteDistributionOutput, get_distribution::GetDistributionOutput,
        get_distribution_config::GetDistributionConfigOutput,
        list_origin_access_controls::ListOriginAccessControlsOutput,
        update_distribution::UpdateDistributionOutput,
    },
    types::{
        DefaultCacheBehavior, Distribution, DistributionConfig, OriginAccessControl,
        OriginAccessControlList, Origins, ViewerProtocolPolicy,
    },
};
use aws_sdk_s3::{
    config::http::HttpResponse,
    error::ErrorMetadata,
    operation::{
        delete_objects::DeleteObjectsOutput, get_bucket_policy::GetBucketPolicyError,
        head_bucket::HeadBucketOutput, list_buckets::ListBucketsOutput,
        list_object_versions::ListObjectVersionsOutput, put_bucket_policy::PutBucketPolicyOutput,
    },
    types::{Bucket, Error as S3KeyError, ObjectVersion},
};
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::{DateTime, body::SdkBody};
use espada_aws::{
    aws::{AwsPool, Guard},
    error::ToolError,
    output::Output,
    registry::{Action, Caller, Cx},
    settings::Settings,
    tools::s3::{
        buckets::{DeleteBucket, GetBucketInfo, ListBuckets},
        cloudfront::{CreateDistribution, DeleteDistribution, DisableDistribution},
        settings::GetVersioning,
    },
};
use serde_json::{Value, json};

use crate::mocked::run_with;

const DIST_ID: &str = "EDFDVBD6EXAMPLE";
const DIST_ARN: &str = "arn:aws:cloudfront::111122223333:distribution/EDFDVBD6EXAMPLE";

fn interceptor(rules: &[&Rule]) -> MockResponseInterceptor {
    rules.iter().fold(
        MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny),
        |i, r| i.with_rule(r),
    )
}

/// Like `mocked::run_with`, for calls that reach S3 in more than one region (a bucket that
/// lives outside the call's region, us-east-1) or CloudFront as well: each region gets its own
/// mocked S3 client, so a test sees which region each request went to.
async fn run_across<A: Action>(
    s3: &[(&str, aws_sdk_s3::Client)],
    cf: Option<aws_sdk_cloudfront::Client>,
    args: Value,
    guard: Option<Guard>,
) -> Result<Output, ToolError> {
    let pool = AwsPool::new(&Settings {
        region: Some("us-east-1".into()),
        ..Settings::default()
    });
    for (region, client) in s3 {
        pool.preset(Some(region), client.clone());
    }
    if let Some(cf) = cf {
        pool.preset(None, cf);
    }
    let input: A = serde_json::from_value(args).expect("arguments parse");
    let caller = Caller::default();
    let cx = Cx::new(&pool, None, guard, &caller, &());
    input.run(&cx).await
}

fn s3_client(rules: &[&Rule]) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .http_client(create_mock_http_client())
        .interceptor(interceptor(rules))
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

fn cf_client(rules: &[&Rule]) -> aws_sdk_cloudfront::Client {
    let conf = aws_sdk_cloudfront::Config::builder()
        .behavior_version(aws_sdk_cloudfront::config::BehaviorVersion::latest())
        .region(aws_sdk_cloudfront::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_cloudfront::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .http_client(create_mock_http_client())
        .interceptor(interceptor(rules))
        .build();
    aws_sdk_cloudfront::Client::from_conf(conf)
}

/// A distribution as CloudFront's documented GetDistribution example shows it.
fn distribution(config: DistributionConfig, status: &str) -> Distribution {
    Distribution::builder()
        .id(DIST_ID)
        .arn(DIST_ARN)
        .status(status)
        .last_modified_time(DateTime::from_secs(1_700_000_000))
        .in_progress_invalidation_batches(0)
        .domain_name("d111111abcdef8.cloudfront.net")
        .distribution_config(config)
        .build()
        .unwrap()
}

fn config(enabled: bool) -> DistributionConfig {
    DistributionConfig::builder()
        .caller_reference("cli-example")
        .comment("")
        .enabled(enabled)
        .origins(
            Origins::builder()
                .quantity(0)
                .set_items(Some(vec![]))
                .build()
                .unwrap(),
        )
        .default_cache_behavior(
            DefaultCacheBehavior::builder()
                .target_origin_id("s3-assets")
                .viewer_protocol_policy(ViewerProtocolPolicy::AllowAll)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn create_distribution_sends_an_s3_origin_with_oac_with_smithy_mocks() {
    let region = mock!(aws_sdk_s3::Client::head_bucket)
        .match_requests(|r| r.bucket() == Some("assets"))
        .then_output(|| {
            HeadBucketOutput::builder()
                .bucket_region("eu-west-1")
                .build()
        });
    let no_policy = mock!(aws_sdk_s3::Client::get_bucket_policy).then_error(|| {
        GetBucketPolicyError::generic(
            ErrorMetadata::builder()
                .code("NoSuchBucketPolicy")
                .message("The bucket policy does not exist")
                .build(),
        )
    });
    let put_policy = mock!(aws_sdk_s3::Client::put_bucket_policy)
        .match_requests(|r| {
            let doc: Value = serde_json::from_str(r.policy().unwrap()).unwrap();
            let s = &doc["Statement"][0];
            r.bucket() == Some("assets")
                && doc["Statement"].as_array().unwrap().len() == 1
                && s["Principal"] == json!({"Service": "cloudfront.amazonaws.com"})
                && s["Action"] == "s3:GetObject"
                && s["Resource"] == "arn:aws:s3:::assets/*"
                && s["Condition"]["StringEquals"]["AWS:SourceArn"] == DIST_ARN
        })
        .then_output(|| PutBucketPolicyOutput::builder().build());
    let no_oacs =
        mock!(aws_sdk_cloudfront::Client::list_origin_access_controls).then_output(|| {
            ListOriginAccessControlsOutput::builder()
                .origin_access_control_list(
                    OriginAccessControlList::builder()
                        .marker("")
                        .max_items(100)
                        .is_truncated(false)
                        .quantity(0)
                        .build()
                        .unwrap(),
                )
                .build()
        });
    let new_oac = mock!(aws_sdk_cloudfront::Client::create_origin_access_control)
        .match_requests(|r| {
            r.origin_access_control_config()
                .is_some_and(|c| c.name() == "assets-oac")
        })
        .then_output(|| {
            CreateOriginAccessControlOutput::builder()
                .origin_access_control(
                    OriginAccessControl::builder()
                        .id("E2QWRUHEXAMPLE")
                        .build()
                        .unwrap(),
                )
                .e_tag("ETVPDKIKX0DER")
                .build()
        });
    let create = mock!(aws_sdk_cloudfront::Client::create_distribution)
        .match_requests(|r| {
            let Some(c) = r.distribution_config() else {
                return false;
            };
            let origin = &c.origins().unwrap().items()[0];
            let behavior = c.default_cache_behavior().unwrap();
            origin.domain_name() == "assets.s3.eu-west-1.amazonaws.com"
                && origin.origin_access_control_id() == Some("E2QWRUHEXAMPLE")
                && origin
                    .s3_origin_config()
                    .is_some_and(|s| s.origin_access_identity().is_empty())
                && c.default_root_object() == Some("index.html")
                && c.price_class().map(|p| p.as_str()) == Some("PriceClass_100")
                && c.enabled()
                && behavior.target_origin_id() == origin.id()
                && behavior.viewer_protocol_policy() == &ViewerProtocolPolicy::RedirectToHttps
                && behavior.cache_policy_id() == Some("658327ea-f89d-4fab-a63d-7e88639e58f6")
        })
        .then_compute_output(|r| {
            CreateDistributionOutput::builder()
                .distribution(distribution(
                    r.distribution_config().unwrap().clone(),
                    "InProgress",
                ))
                .e_tag("E2QWRUHAPOMQZL")
                .build()
        });
    // The bucket is found from the call's region and lives in eu-west-1, where its policy is
    // read and written.
    let s3 = [
        ("us-east-1", s3_client(&[&region])),
        ("eu-west-1", s3_client(&[&no_policy, &put_policy])),
    ];
    let cfc = cf_client(&[&no_oacs, &new_oac, &create]);
    let out = run_across::<CreateDistribution>(&s3, Some(cfc), json!({"bucket": "assets"}), None)
        .await
        .unwrap();
    assert_eq!(out.data["distribution_id"], DIST_ID);
    assert_eq!(out.data["origin_access_control_id"], "E2QWRUHEXAMPLE");
    assert_eq!(
        out.data["origins"][0]["origin_access_control_id"],
        "E2QWRUHEXAMPLE"
    );
    assert!(
        out.summary.contains("only this distribution"),
        "{}",
        out.summary
    );
    assert_eq!(
        (
            new_oac.num_calls(),
            create.num_calls(),
            put_policy.num_calls()
        ),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn disable_and_delete_send_the_current_etag_with_smithy_mocks() {
    let read_config = mock!(aws_sdk_cloudfront::Client::get_distribution_config)
        .match_requests(|r| r.id() == Some(DIST_ID))
        .then_output(|| {
            GetDistributionConfigOutput::builder()
                .distribution_config(config(true))
                .e_tag("E2QWRUHAPOMQZL")
                .build()
        });
    let update = mock!(aws_sdk_cloudfront::Client::update_distribution)
        .match_requests(|r| {
            r.if_match() == Some("E2QWRUHAPOMQZL")
                && r.distribution_config()
                    .is_some_and(|c| !c.enabled() && c.caller_reference() == "cli-example")
        })
        .then_output(|| {
            UpdateDistributionOutput::builder()
                .distribution(distribution(config(false), "InProgress"))
                .e_tag("E3UN6WX5RRO2AG")
                .build()
        });
    // While the change deploys, delete_distribution waits; once deployed it deletes with the
    // ETag of the disabled configuration.
    let in_progress = mock!(aws_sdk_cloudfront::Client::get_distribution)
        .sequence()
        .output(|| {
            GetDistributionOutput::builder()
                .distribution(distribution(config(false), "InProgress"))
                .e_tag("E3UN6WX5RRO2AG")
                .build()
        })
        .output(|| {
            GetDistributionOutput::builder()
                .distribution(distribution(config(false), "Deployed"))
                .e_tag("E3UN6WX5RRO2AG")
                .build()
        })
        .build();
    let delete = mock!(aws_sdk_cloudfront::Client::delete_distribution)
        .match_requests(|r| r.id() == Some(DIST_ID) && r.if_match() == Some("E3UN6WX5RRO2AG"))
        .then_output(|| DeleteDistributionOutput::builder().build());
    let cfc = cf_client(&[&read_config, &update, &in_progress, &delete]);
    let id = json!({"distribution_id": DIST_ID});
    let out = run_with::<DisableDistribution, _>(cfc.clone(), id.clone(), None)
        .await
        .unwrap();
    assert_eq!(out.data["changed"], json!(true));
    assert_eq!(out.data["status"], "InProgress");
    assert_eq!(update.num_calls(), 1);

    let e = run_with::<DeleteDistribution, _>(cfc.clone(), id.clone(), None)
        .await
        .unwrap_err();
    assert_eq!(e.aws_code(), Some("DistributionNotDisabled"));
    assert!(e.to_string().contains("not deployed yet"), "{e}");
    assert_eq!(delete.num_calls(), 0);
    let out = run_with::<DeleteDistribution, _>(cfc, id, None)
        .await
        .unwrap();
    assert_eq!(out.data["deleted"], json!(true));
    assert_eq!(delete.num_calls(), 1);
}

#[tokio::test]
async fn list_buckets_takes_regions_and_tokens_from_aws_with_smithy_mocks() {
    let first = mock!(aws_sdk_s3::Client::list_buckets)
        .match_requests(|r| r.continuation_token().is_none() && r.prefix() == Some("logs-"))
        .then_output(|| {
            ListBucketsOutput::builder()
                .buckets(
                    Bucket::builder()
                        .name("logs-eu")
                        .bucket_region("eu-west-1")
                        .creation_date(DateTime::from_secs(1_700_000_000))
                        .build(),
                )
                .continuation_token("page-2")
                .prefix("logs-")
                .build()
        });
    let second = mock!(aws_sdk_s3::Client::list_buckets)
        .match_requests(|r| r.continuation_token() == Some("page-2"))
        .then_output(|| {
            ListBucketsOutput::builder()
                .buckets(
                    Bucket::builder()
                        .name("logs-us")
                        .bucket_region("us-east-1")
                        .build(),
                )
                .build()
        });
    let location = mock!(aws_sdk_s3::Client::get_bucket_location).then_output(|| {
        aws_sdk_s3::operation::get_bucket_location::GetBucketLocationOutput::builder().build()
    });
    let c = s3_client(&[&first, &second, &location]);
    let page = |token: Option<String>| {
        run_with::<ListBuckets, _>(
            c.clone(),
            json!({"name_prefix": "logs-", "next_token": token}),
            Some(Guard::ReadOnly),
        )
    };
    let page1 = page(None).await.unwrap();
    assert_eq!(
        page1.data["buckets"],
        json!([{"name": "logs-eu", "region": "eu-west-1",
                "creation_date": "2023-11-14T22:13:20Z"}])
    );
    let token = page1.next_token.expect("a next page");
    let page2 = page(Some(token)).await.unwrap();
    assert_eq!(page2.data["buckets"][0]["region"], "us-east-1");
    assert_eq!(page2.next_token, None);
    assert_eq!(location.num_calls(), 0, "regions came with the listing");
}

#[tokio::test]
async fn a_bucket_in_another_region_is_named_with_smithy_mocks() {
    // S3's answer to a request sent to the wrong regional endpoint.
    let redirect = mock!(aws_sdk_s3::Client::get_bucket_versioning).then_http_response(|| {
        let mut resp = HttpResponse::new(
            StatusCode::try_from(301).unwrap(),
            SdkBody::from(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>PermanentRedirect</Code>\
                 <Message>The bucket you are attempting to access must be addressed using the \
                 specified endpoint. Please send all future requests to this endpoint.</Message>\
                 <Endpoint>sydney-logs.s3.ap-southeast-2.amazonaws.com</Endpoint>\
                 <Bucket>sydney-logs</Bucket></Error>",
            ),
        );
        resp.headers_mut()
            .insert("x-amz-bucket-region", "ap-southeast-2");
        resp
    });
    let e = run_with::<GetVersioning, _>(
        s3_client(&[&redirect]),
        json!({"bucket": "sydney-logs"}),
        Some(Guard::ReadOnly),
    )
    .await
    .unwrap_err()
    .to_json();
    assert_eq!(e["code"], "PermanentRedirect", "{e}");
    assert_eq!(
        e["hint"],
        "the bucket is in region ap-southeast-2; repeat the call with \"region\": \"ap-southeast-2\""
    );
}

#[tokio::test]
async fn force_delete_reports_keys_s3_would_not_delete_with_smithy_mocks() {
    let versions = mock!(aws_sdk_s3::Client::list_object_versions).then_output(|| {
        ListObjectVersionsOutput::builder()
            .versions(
                ObjectVersion::builder()
                    .key("locked.csv")
                    .version_id("v1")
                    .build(),
            )
            .versions(
                ObjectVersion::builder()
                    .key("free.csv")
                    .version_id("v2")
                    .build(),
            )
            .is_truncated(false)
            .build()
    });
    let delete = mock!(aws_sdk_s3::Client::delete_objects)
        .match_requests(|r| {
            r.delete().is_some_and(|d| {
                d.objects().len() == 2
                    && d.objects()[0].version_id() == Some("v1")
                    && d.quiet() == Some(true)
            })
        })
        .then_output(|| {
            DeleteObjectsOutput::builder()
                .errors(
                    S3KeyError::builder()
                        .key("locked.csv")
                        .version_id("v1")
                        .code("AccessDenied")
                        .message("Access Denied because object protected by object lock.")
                        .build(),
                )
                .build()
        });
    let delete_bucket = mock!(aws_sdk_s3::Client::delete_bucket).then_output(|| {
        aws_sdk_s3::operation::delete_bucket::DeleteBucketOutput::builder().build()
    });
    let e = run_with::<DeleteBucket, _>(
        s3_client(&[&versions, &delete, &delete_bucket]),
        json!({"bucket": "compliance", "force": true}),
        None,
    )
    .await
    .unwrap_err()
    .to_json();
    assert_eq!(e["code"], "AccessDenied", "{e}");
    assert_eq!(
        e["message"],
        "1 of 2 deletions failed, e.g. locked.csv (AccessDenied)"
    );
    assert!(e["hint"].as_str().unwrap().contains("object lock"));
    assert_eq!(delete_bucket.num_calls(), 0, "the bucket is kept");
}

#[tokio::test]
async fn versioning_state_and_bucket_info_with_smithy_mocks() {
    use aws_sdk_s3::{
        operation::{
            get_bucket_acl::GetBucketAclOutput, get_bucket_encryption::GetBucketEncryptionOutput,
            get_bucket_lifecycle_configuration::GetBucketLifecycleConfigurationError,
            get_bucket_tagging::GetBucketTaggingError,
            get_bucket_versioning::GetBucketVersioningOutput,
            get_public_access_block::GetPublicAccessBlockOutput,
            list_objects_v2::ListObjectsV2Output,
        },
        types::{
            BucketVersioningStatus, MfaDeleteStatus, Object, PublicAccessBlockConfiguration,
            ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
            ServerSideEncryptionRule,
        },
    };
    let unset = |code: &'static str| ErrorMetadata::builder().code(code).build();
    let rules: Vec<Rule> = vec![
        mock!(aws_sdk_s3::Client::head_bucket).then_output(|| {
            HeadBucketOutput::builder()
                .bucket_region("us-west-2")
                .build()
        }),
        mock!(aws_sdk_s3::Client::get_bucket_versioning).then_output(|| {
            GetBucketVersioningOutput::builder()
                .status(BucketVersioningStatus::Enabled)
                .mfa_delete(MfaDeleteStatus::Disabled)
                .build()
        }),
        mock!(aws_sdk_s3::Client::get_bucket_encryption).then_output(|| {
            GetBucketEncryptionOutput::builder()
                .server_side_encryption_configuration(
                    ServerSideEncryptionConfiguration::builder()
                        .rules(
                            ServerSideEncryptionRule::builder()
                                .apply_server_side_encryption_by_default(
                                    ServerSideEncryptionByDefault::builder()
                                        .sse_algorithm(ServerSideEncryption::Aes256)
                                        .build()
                                        .unwrap(),
                                )
                                .bucket_key_enabled(false)
                                .build(),
                        )
                        .build()
                        .unwrap(),
                )
                .build()
        }),
        mock!(aws_sdk_s3::Client::get_bucket_lifecycle_configuration).then_error(move || {
            GetBucketLifecycleConfigurationError::generic(unset("NoSuchLifecycleConfiguration"))
        }),
        mock!(aws_sdk_s3::Client::get_bucket_tagging)
            .then_error(move || GetBucketTaggingError::generic(unset("NoSuchTagSet"))),
        mock!(aws_sdk_s3::Client::list_objects_v2).then_output(|| {
            ListObjectsV2Output::builder()
                .contents(Object::builder().key("a").size(1000).build())
                .contents(Object::builder().key("b").size(24).build())
                .is_truncated(false)
                .build()
        }),
        mock!(aws_sdk_s3::Client::get_public_access_block).then_output(|| {
            GetPublicAccessBlockOutput::builder()
                .public_access_block_configuration(
                    PublicAccessBlockConfiguration::builder()
                        .block_public_acls(true)
                        .ignore_public_acls(true)
                        .block_public_policy(true)
                        .restrict_public_buckets(true)
                        .build(),
                )
                .build()
        }),
        mock!(aws_sdk_s3::Client::get_bucket_acl)
            .then_output(|| GetBucketAclOutput::builder().build()),
        mock!(aws_sdk_s3::Client::get_bucket_policy)
            .then_error(move || GetBucketPolicyError::generic(unset("NoSuchBucketPolicy"))),
    ];
    let (head, settings) = rules.split_first().unwrap();
    let home = s3_client(&settings.iter().collect::<Vec<_>>());
    let bucket = json!({"bucket": "reports"});
    let v = run_with::<GetVersioning, _>(home.clone(), bucket.clone(), Some(Guard::ReadOnly))
        .await
        .unwrap();
    assert_eq!(
        v.data,
        json!({"bucket": "reports", "versioning": "Enabled", "mfa_delete": "Disabled"})
    );
    assert!(v.summary.starts_with("Versioning is enabled on reports"));

    // The bucket is found from the call's region and lives in us-west-2, where its settings
    // are read.
    let s3 = [("us-east-1", s3_client(&[head])), ("us-west-2", home)];
    let info = run_across::<GetBucketInfo>(&s3, None, bucket, Some(Guard::ReadOnly))
        .await
        .unwrap();
    assert_eq!(
        info.data,
        json!({
            "bucket": "reports",
            "region": "us-west-2",
            "versioning": {"status": "Enabled", "mfa_delete": "Disabled"},
            "encryption": {"algorithm": "AES256", "kms_key_id": null, "bucket_key_enabled": false},
            "lifecycle": "none",
            "tags": {},
            "objects": {"count": 2, "total_bytes": 1024, "exact": true},
            "public_access_block": {"block_public_acls": true, "ignore_public_acls": true,
                                    "block_public_policy": true, "restrict_public_buckets": true},
            "policy": {"present": false, "public": false},
            "public": false,
            "public_reasons": [],
        })
    );
    assert_eq!(
        info.summary,
        "reports is in us-west-2, versioning enabled, encryption AES256, not public, 2 object(s), 1.0 KiB."
    );
}
