//! Many accounts against moto, whose STS AssumeRole into another account's role gives
//! credentials that act in that account: a per-call `account` (alias, id or role ARN) checked
//! against the allowlist before any AWS call, the session context of `switch_account`, reads
//! that fan out over accounts and regions, and approvals that stay in their account.

use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region};
use espada_aws::{
    dispatch::Dispatcher,
    guardrails::{
        accounts::AccountsConfig,
        environment::{Environment, EnvironmentConfig},
    },
};
use serde_json::{Value, json};

use crate::{
    faults::{Fault, proxy, via},
    harness::{AMI, Moto, REGION, call, moto, ok, ok_in, temp_state},
    people::ballot,
};

const PROD: &str = "111111111111";
const DATA: &str = "222222222222";
const LOCKED: &str = "333333333333";
const OUTSIDE: &str = "999999999999";

fn role(account: &str) -> String {
    format!("arn:aws:iam::{account}:role/OrganizationAccountAccessRole")
}

/// Three other accounts on the allowlist, `prod` by alias; production by the account map.
fn allow(d: &Dispatcher) {
    let accounts = AccountsConfig {
        aliases: [("prod".to_string(), PROD.to_string())].into(),
        allowed: vec![PROD.into(), DATA.into(), LOCKED.into()],
        ..AccountsConfig::default()
    };
    d.guardrails
        .store
        .set_config("accounts", &accounts)
        .unwrap();
}

/// A plain EC2 client acting in `account` (through moto's AssumeRole), to check what moto
/// holds there.
async fn ec2_in_account(m: &Moto, account: &str, region: &str) -> aws_sdk_ec2::Client {
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .endpoint_url(&m.url)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .build(),
    );
    let c = sts
        .assume_role()
        .role_arn(role(account))
        .role_session_name("test")
        .send()
        .await
        .unwrap()
        .credentials
        .unwrap();
    aws_sdk_ec2::Client::from_conf(
        aws_sdk_ec2::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .endpoint_url(&m.url)
            .credentials_provider(Credentials::new(
                c.access_key_id(),
                c.secret_access_key(),
                Some(c.session_token().to_string()),
                None,
                "test",
            ))
            .build(),
    )
}

async fn launch(client: &aws_sdk_ec2::Client) -> String {
    client
        .run_instances()
        .image_id(AMI)
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .unwrap()
        .instances()[0]
        .instance_id()
        .unwrap()
        .to_string()
}

async fn vpcs(client: &aws_sdk_ec2::Client) -> Vec<String> {
    client
        .describe_vpcs()
        .send()
        .await
        .unwrap()
        .vpcs()
        .iter()
        .filter(|v| !v.is_default().unwrap_or(false))
        .filter_map(|v| v.cidr_block().map(str::to_string))
        .collect()
}

fn ids(v: &Value) -> Vec<String> {
    v["data"]["instances"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i["instance_id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_call_acts_in_the_account_it_names_and_only_in_allowed_ones() {
    let m = moto().await;
    let p = proxy(&m).await;
    let d = via(&m, &p, 1, false);
    allow(&d);

    // Outside the allowlist: refused before any AWS call, whichever way it is named.
    p.forget();
    for named in [
        OUTSIDE.to_string(),
        role(OUTSIDE),
        format!("arn:aws:iam::{PROD}:role/Admin"),
    ] {
        let e = call(
            &d,
            "aws_network",
            json!({"action": "create_vpc", "cidr_block": "10.9.0.0/16", "account": named}),
        )
        .await
        .unwrap_err();
        assert!(e["message"].as_str().unwrap().contains("allowlist"), "{e}");
        let e = call(
            &d,
            "aws_ec2",
            json!({"action": "list_instances", "account": named}),
        )
        .await
        .unwrap_err();
        assert!(e["message"].as_str().unwrap().contains("allowlist"), "{e}");
    }
    let e = call(
        &d,
        "aws_ec2",
        json!({"action": "list_instances", "account": "staging"}),
    )
    .await
    .unwrap_err();
    assert!(e["message"].as_str().unwrap().contains("prod"), "{e}");
    assert!(p.seen().is_empty(), "{:?}", p.seen());

    // By alias: the VPC lands in that account, assumed with a session name that names the
    // OS user, and not in the server's own.
    let created = ok_in(
        &d,
        "aws_network",
        json!({"action": "create_vpc", "cidr_block": "10.9.0.0/16", "account": "prod"}),
    )
    .await;
    assert!(created["data"]["vpc_id"].is_string(), "{created}");
    assert_eq!(
        vpcs(&ec2_in_account(&m, PROD, REGION).await).await,
        vec!["10.9.0.0/16"]
    );
    assert!(vpcs(&m.ec2()).await.is_empty());
    assert!(
        vpcs(&ec2_in_account(&m, DATA, REGION).await)
            .await
            .is_empty()
    );
    let assumed = p.seen_op("AssumeRole");
    assert_eq!(assumed.len(), 1, "credentials are cached per context");
    assert_eq!(
        assumed[0].param("RoleArn").as_deref(),
        Some(role(PROD).as_str())
    );
    let session = assumed[0].param("RoleSessionName").unwrap();
    assert!(session.starts_with("espada-aws-"), "{session}");
    let user = espada_aws::guardrails::approvals::os_user();
    assert!(session.contains(&user[..user.len().min(20)]), "{session}");

    // By id and by role ARN: the same account.
    let mine = launch(&ec2_in_account(&m, DATA, REGION).await).await;
    for named in [DATA.to_string(), role(DATA)] {
        let listed = ok(&d, json!({"action": "list_instances", "account": named})).await;
        assert_eq!(ids(&listed), vec![mine.clone()], "{listed}");
    }
    // The server's own account does not see it.
    assert!(ids(&ok(&d, json!({"action": "list_instances"})).await).is_empty());
}

#[tokio::test]
async fn switch_account_sends_later_calls_there_until_reset() {
    let m = moto().await;
    let d = m.dispatcher();
    allow(&d);
    let home = launch(&m.ec2()).await;
    let theirs = launch(&ec2_in_account(&m, PROD, REGION).await).await;

    let switched = ok_in(
        &d,
        "aws_organization",
        json!({"action": "switch_account", "account": "prod"}),
    )
    .await;
    assert_eq!(switched["data"]["account_id"], PROD, "{switched}");
    let now = ok_in(
        &d,
        "aws_organization",
        json!({"action": "get_current_context"}),
    )
    .await;
    assert_eq!(now["data"]["account_id"], PROD, "{now}");
    assert_eq!(now["data"]["switched"], true, "{now}");

    // A plain call: that account's instances only; a create lands there.
    let listed = ok(&d, json!({"action": "list_instances"})).await;
    assert_eq!(ids(&listed), vec![theirs.clone()], "{listed}");
    ok_in(
        &d,
        "aws_network",
        json!({"action": "create_vpc", "cidr_block": "10.7.0.0/16"}),
    )
    .await;
    assert_eq!(
        vpcs(&ec2_in_account(&m, PROD, REGION).await).await,
        vec!["10.7.0.0/16"]
    );
    assert!(vpcs(&m.ec2()).await.is_empty());
    // A call that names its own account still goes there.
    assert!(ids(&ok(&d, json!({"action": "list_instances", "account": DATA})).await).is_empty());

    // A person takes the account off the allowlist: the next call is refused, nothing is sent
    // to the server's own account instead, and the context is reset.
    let mut fewer = AccountsConfig {
        allowed: vec![DATA.into()],
        ..AccountsConfig::default()
    };
    d.guardrails.store.set_config("accounts", &fewer).unwrap();
    let e = call(&d, "aws_ec2", json!({"action": "list_instances"}))
        .await
        .unwrap_err();
    assert!(
        e["message"].as_str().unwrap().contains("context was reset"),
        "{e}"
    );
    let listed = ok(&d, json!({"action": "list_instances"})).await;
    assert_eq!(ids(&listed), vec![home.clone()], "{listed}");

    // And reset_context goes back by itself.
    fewer.allowed.push(PROD.into());
    d.guardrails.store.set_config("accounts", &fewer).unwrap();
    ok_in(
        &d,
        "aws_organization",
        json!({"action": "switch_account", "account": PROD, "region": "eu-west-1"}),
    )
    .await;
    let now = ok_in(
        &d,
        "aws_organization",
        json!({"action": "get_current_context"}),
    )
    .await;
    assert_eq!(now["data"]["region"], "eu-west-1", "{now}");
    ok_in(&d, "aws_organization", json!({"action": "reset_context"})).await;
    let now = ok_in(
        &d,
        "aws_organization",
        json!({"action": "get_current_context"}),
    )
    .await;
    assert_eq!(now["data"]["account_id"], "123456789012", "{now}");
    assert_eq!(now["data"]["switched"], false, "{now}");
    assert_eq!(
        ids(&ok(&d, json!({"action": "list_instances"})).await),
        vec![home]
    );
}

#[tokio::test]
async fn a_read_fans_out_over_accounts_and_regions_and_reports_each_failure() {
    let m = moto().await;
    let p = proxy(&m).await;
    let d = via(&m, &p, 1, false);
    allow(&d);
    let home = launch(&m.ec2()).await;
    let prod = launch(&ec2_in_account(&m, PROD, REGION).await).await;
    let data = launch(&ec2_in_account(&m, DATA, REGION).await).await;
    let data_eu = launch(&ec2_in_account(&m, DATA, "eu-west-1").await).await;
    // The locked account's role cannot be assumed.
    p.fault_when("AssumeRole", LOCKED, Fault::Deny);

    let all = ok(&d, json!({"action": "list_instances", "accounts": ["all"]})).await;
    let targets = all["data"]["targets"].as_array().unwrap();
    let accounts: Vec<&str> = targets
        .iter()
        .map(|t| t["account"].as_str().unwrap())
        .collect();
    assert_eq!(accounts, vec!["home", PROD, DATA, LOCKED], "{all}");
    let found = |i: usize| -> Vec<String> {
        targets[i]["data"]["instances"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["instance_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(found(0), vec![home.clone()]);
    assert_eq!(found(1), vec![prod.clone()]);
    assert_eq!(targets[1]["alias"], "prod");
    assert_eq!(found(2), vec![data.clone()]);
    assert!(
        targets[3]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("AccessDenied")
            || targets[3]["error"]["message"]
                .as_str()
                .unwrap()
                .contains("assume"),
        "{all}"
    );
    assert!(
        all["summary"]
            .as_str()
            .unwrap()
            .contains("3 answered, 1 failed"),
        "{all}"
    );

    // Two regions × three accounts: six targets, each in its place.
    let wide = ok(
        &d,
        json!({"action": "list_instances", "accounts": ["home", "prod", DATA],
               "regions": [REGION, "eu-west-1"]}),
    )
    .await;
    let targets = wide["data"]["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 6, "{wide}");
    let at = |account: &str, region: &str| -> Vec<String> {
        let t = targets
            .iter()
            .find(|t| t["account"] == account && t["region"] == region)
            .unwrap();
        t["data"]["instances"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["instance_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(at(DATA, "eu-west-1"), vec![data_eu]);
    assert_eq!(at(DATA, REGION), vec![data]);
    assert!(at(PROD, "eu-west-1").is_empty());
    assert_eq!(at("home", REGION), vec![home]);

    // Every enabled region of two accounts: each region once per account.
    let everywhere = ok_in(
        &d,
        "aws_s3",
        json!({"action": "list_buckets", "accounts": ["home", "prod"], "regions": ["all"]}),
    )
    .await;
    let targets = everywhere["data"]["targets"].as_array().unwrap();
    let enabled = m
        .ec2()
        .describe_regions()
        .send()
        .await
        .unwrap()
        .regions()
        .len();
    assert!(enabled > 2, "{enabled}");
    assert_eq!(targets.len(), 2 * enabled, "{everywhere}");
    for account in ["home", PROD] {
        let mut regions: Vec<&str> = targets
            .iter()
            .filter(|t| t["account"] == account)
            .map(|t| t["region"].as_str().unwrap())
            .collect();
        regions.sort_unstable();
        regions.dedup();
        assert_eq!(regions.len(), enabled, "{everywhere}");
    }
    assert!(
        targets.iter().all(|t| t.get("error").is_none()),
        "{everywhere}"
    );

    // Outside the allowlist is refused as a whole, before any call; changes never fan out.
    p.forget();
    let e = call(
        &d,
        "aws_ec2",
        json!({"action": "list_instances", "accounts": [PROD, OUTSIDE]}),
    )
    .await
    .unwrap_err();
    assert!(e["message"].as_str().unwrap().contains("allowlist"), "{e}");
    let e = call(
        &d,
        "aws_network",
        json!({"action": "create_vpc", "cidr_block": "10.1.0.0/16", "accounts": ["all"]}),
    )
    .await
    .unwrap_err();
    assert!(
        e["message"].as_str().unwrap().contains("never fan out"),
        "{e}"
    );
    assert!(p.seen().is_empty(), "{:?}", p.seen());
}

#[tokio::test]
async fn an_approval_for_one_account_does_not_run_in_another() {
    let m = moto().await;
    let state = temp_state();
    let d = m.strict_dispatcher(&state);
    allow(&d);
    // Both accounts are staging (one approval), by the account map.
    let env = EnvironmentConfig {
        accounts: [
            (PROD.to_string(), Environment::Staging),
            (DATA.to_string(), Environment::Staging),
        ]
        .into(),
        ..EnvironmentConfig::default()
    };
    d.guardrails.store.set_config("environments", &env).unwrap();
    let prod_ec2 = ec2_in_account(&m, PROD, REGION).await;
    let vpc = prod_ec2
        .create_vpc()
        .cidr_block("10.3.0.0/16")
        .send()
        .await
        .unwrap()
        .vpc
        .unwrap()
        .vpc_id
        .unwrap();
    let args = json!({"action": "delete_vpc", "vpc_id": vpc, "account": "prod"});
    let pending = ok_in(&d, "aws_network", args.clone()).await;
    assert_eq!(pending["status"], "pending_approval", "{pending}");
    let req = pending["approval_request_id"].as_str().unwrap().to_string();
    let shown = ok_in(
        &d,
        "aws_guardrails",
        json!({"action": "get_approval_request", "request_id": req}),
    )
    .await;
    assert_eq!(shown["data"]["context"]["account"], PROD, "{shown}");
    d.guardrails
        .vote(&d.aws, &req, ballot("carol", true))
        .await
        .unwrap();

    // The same call in another account, by id or through the session context: refused.
    let mut elsewhere = args.clone();
    elsewhere["account"] = json!(DATA);
    elsewhere["approval_request_id"] = json!(req);
    let e = call(&d, "aws_network", elsewhere).await.unwrap_err();
    assert!(e["message"].as_str().unwrap().contains("approv"), "{e}");
    ok_in(
        &d,
        "aws_organization",
        json!({"action": "switch_account", "account": DATA}),
    )
    .await;
    let mut switched = args.clone();
    switched.as_object_mut().unwrap().remove("account");
    switched["approval_request_id"] = json!(req);
    let e = call(&d, "aws_network", switched).await.unwrap_err();
    assert!(e["message"].as_str().unwrap().contains("approv"), "{e}");
    assert_eq!(vpcs(&prod_ec2).await, vec!["10.3.0.0/16"]);

    // In its own account it runs, once.
    ok_in(&d, "aws_organization", json!({"action": "reset_context"})).await;
    let mut run = args.clone();
    run["approval_request_id"] = json!(req);
    ok_in(&d, "aws_network", run).await;
    assert!(vpcs(&prod_ec2).await.is_empty());
}
