//! aws_s3's CloudFront actions against moto: a distribution in front of a private bucket,
//! invalidated, disabled and deleted, checked with a plain CloudFront client.

use serde_json::{Value, json};

use crate::{
    harness::{moto, try_confirmed_in},
    s3::{S3, confirmed, err, ok},
};

#[tokio::test]
async fn cloudfront_distribution_in_front_of_a_bucket() {
    let m = moto().await;
    let d = m.dispatcher();
    ok(&d, json!({"action": "create_bucket", "bucket": "assets"})).await;

    // It rewrites the bucket's policy: a high-risk call, confirmed first.
    let created = confirmed(
        &d,
        json!({"action": "create_distribution", "bucket": "assets",
               "default_root_object": "home.html", "price_class": "PriceClass_200"}),
    )
    .await;
    let id = created["data"]["distribution_id"]
        .as_str()
        .unwrap()
        .to_string();
    let arn = created["data"]["arn"].as_str().unwrap().to_string();
    let oac = created["data"]["origin_access_control_id"]
        .as_str()
        .unwrap();

    let cf = m.cloudfront();
    let held = cf.get_distribution().id(&id).send().await.unwrap();
    let config = held.distribution().unwrap().distribution_config().unwrap();
    assert!(config.enabled());
    assert_eq!(config.default_root_object(), Some("home.html"));
    assert_eq!(
        config.price_class().map(|p| p.as_str()),
        Some("PriceClass_200")
    );
    let origin = &config.origins().unwrap().items()[0];
    assert_eq!(origin.domain_name(), "assets.s3.us-east-1.amazonaws.com");
    let oacs = cf.list_origin_access_controls().send().await.unwrap();
    let listed = oacs.origin_access_control_list().unwrap().items();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id(), oac);
    assert_eq!(listed[0].name(), "assets-oac");

    // Only this distribution may read the bucket, which stays private.
    let policy: Value = serde_json::from_str(
        m.s3()
            .get_bucket_policy()
            .bucket("assets")
            .send()
            .await
            .unwrap()
            .policy()
            .unwrap(),
    )
    .unwrap();
    let statement = &policy["Statement"][0];
    assert_eq!(
        statement["Principal"],
        json!({"Service": "cloudfront.amazonaws.com"})
    );
    assert_eq!(
        statement["Condition"]["StringEquals"]["AWS:SourceArn"],
        json!(arn)
    );
    assert_eq!(statement["Resource"], "arn:aws:s3:::assets/*");
    let info = ok(&d, json!({"action": "get_bucket_info", "bucket": "assets"})).await;
    assert_eq!(info["data"]["public"], json!(false), "{info}");

    // A second distribution for the bucket reuses the origin access control.
    let again = confirmed(
        &d,
        json!({"action": "create_distribution", "bucket": "assets"}),
    )
    .await;
    assert_eq!(again["data"]["origin_access_control_id"], json!(oac));
    let second = again["data"]["distribution_id"]
        .as_str()
        .unwrap()
        .to_string();
    let policy = ok(
        &d,
        json!({"action": "get_bucket_policy", "bucket": "assets"}),
    )
    .await;
    assert_eq!(
        policy["data"]["policy"]["Statement"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let listed = ok(&d, json!({"action": "list_distributions"})).await;
    assert_eq!(listed["data"]["distributions"].as_array().unwrap().len(), 2);
    let shown = ok(
        &d,
        json!({"action": "get_distribution", "distribution_id": id}),
    )
    .await;
    assert_eq!(shown["data"]["enabled"], json!(true));
    assert_eq!(shown["data"]["default_root_object"], "home.html");

    let inv = ok(
        &d,
        json!({"action": "create_invalidation", "distribution_id": id,
               "paths": ["/home.html", "/img/*"]}),
    )
    .await;
    let inv_id = inv["data"]["invalidation_id"].as_str().unwrap();
    let held = cf
        .get_invalidation()
        .distribution_id(&id)
        .id(inv_id)
        .send()
        .await
        .unwrap();
    let paths = held
        .invalidation()
        .unwrap()
        .invalidation_batch()
        .unwrap()
        .paths()
        .unwrap()
        .items()
        .to_vec();
    assert_eq!(paths, vec!["/home.html", "/img/*"]);
    let e = err(
        &d,
        json!({"action": "create_invalidation", "distribution_id": id, "paths": ["img/*"]}),
    )
    .await;
    assert!(e["message"].as_str().unwrap().contains("start with"), "{e}");

    // AWS deletes only disabled distributions: an enabled one is refused with the way out.
    let e = try_confirmed_in(
        &d,
        S3,
        json!({"action": "delete_distribution", "distribution_id": id}),
    )
    .await
    .unwrap_err();
    assert_eq!(e["code"], "DistributionNotDisabled", "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("disable_distribution"),
        "{e}"
    );
    assert!(cf.get_distribution().id(&id).send().await.is_ok());

    let disabled = confirmed(
        &d,
        json!({"action": "disable_distribution", "distribution_id": id}),
    )
    .await;
    assert_eq!(disabled["data"]["changed"], json!(true), "{disabled}");
    let held = cf.get_distribution_config().id(&id).send().await.unwrap();
    assert!(!held.distribution_config().unwrap().enabled());
    let deleted = confirmed(
        &d,
        json!({"action": "delete_distribution", "distribution_id": id}),
    )
    .await;
    assert_eq!(deleted["data"]["deleted"], json!(true), "{deleted}");
    assert!(cf.get_distribution().id(&id).send().await.is_err(), "gone");
    let e = err(
        &d,
        json!({"action": "get_distribution", "distribution_id": id}),
    )
    .await;
    assert_eq!(e["code"], "NoSuchDistribution", "{e}");
    assert!(cf.get_distribution().id(&second).send().await.is_ok());
}
