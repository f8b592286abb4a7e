//! aws_organization against moto, checking what moto holds afterwards with plain SDK clients:
//! OUs and member accounts made through the tool, accounts moved, an SCP from every template
//! created and attached (its content read back from moto and parsed), tags, delegated
//! administrators, RAM resource shares, the create_account request and its status, and
//! consolidated billing from Cost Explorer results seeded through moto's API. The guardrails:
//! an OU or root is as strict as the production accounts under it (from the account map or
//! the accounts' own tags), and an OU whose accounts cannot be listed refuses a change.
//! Handshakes are not in moto: see `organization_handshakes_mocked`.

use std::io::Write;

use aws_sdk_organizations::{
    Client,
    config::{BehaviorVersion, Credentials, Region},
    operation::{
        invite_account_to_organization::InviteAccountToOrganizationOutput,
        list_handshakes_for_organization::ListHandshakesForOrganizationOutput,
    },
    types::{ActionType, Handshake, HandshakeParty, HandshakePartyType, HandshakeState},
};
use aws_smithy_mocks::{MockResponseInterceptor, RuleMode, create_mock_http_client, mock};
use espada_aws::{
    dispatch::Dispatcher,
    guardrails::environment::{Environment, EnvironmentConfig},
    tools::organization::{
        handshakes::{InviteAccount, ListHandshakes},
        templates::{TEMPLATES, template},
    },
};
use serde_json::{Value, json};

use crate::{
    harness::client,
    harness::{Moto, call, confirmed_in, err_in, moto, ok_in},
    mocked::run_with,
};

const ORG: &str = "aws_organization";

async fn ok(d: &Dispatcher, args: Value) -> Value {
    ok_in(d, ORG, args).await
}

fn org(m: &Moto) -> Client {
    client!(aws_sdk_organizations, m)
}

/// A fresh organization in moto; its root id.
async fn organization(m: &Moto) -> String {
    let c = org(m);
    c.create_organization()
        .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
        .send()
        .await
        .unwrap();
    c.list_roots().send().await.unwrap().roots()[0]
        .id()
        .unwrap()
        .to_string()
}

/// An OU made through the tool; its id.
async fn ou(d: &Dispatcher, parent: &str, name: &str) -> String {
    let v = ok(
        d,
        json!({"action": "create_organizational_unit", "parent_id": parent, "name": name}),
    )
    .await;
    v["data"]["id"].as_str().unwrap().to_string()
}

/// An account made through the tool (moto finishes it at once); its id.
async fn account(d: &Dispatcher, name: &str) -> String {
    let v = ok(
        d,
        json!({"action": "create_account", "account_name": name,
               "email": format!("{name}@example.com")}),
    )
    .await;
    let request = v["data"]["request_id"].as_str().unwrap().to_string();
    let s = ok(
        d,
        json!({"action": "get_create_account_status", "request_id": request}),
    )
    .await;
    assert_eq!(s["data"]["state"], "SUCCEEDED", "{s}");
    s["data"]["account_id"].as_str().unwrap().to_string()
}

async fn parent_of(m: &Moto, child: &str) -> String {
    org(m)
        .list_parents()
        .child_id(child)
        .send()
        .await
        .unwrap()
        .parents()[0]
        .id()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn organization_units_accounts_moves_and_tags_land_in_moto() {
    let m = moto().await;
    let root = organization(&m).await;
    let d = m.dispatcher();
    let o = ok(&d, json!({"action": "get_organization"})).await;
    assert_eq!(o["data"]["feature_set"], "ALL", "{o}");
    let roots = ok(&d, json!({"action": "list_roots"})).await;
    assert_eq!(roots["data"]["roots"][0]["id"], json!(root));

    let workloads = ou(&d, &root, "Workloads").await;
    let prod = ou(&d, &workloads, "Prod").await;
    let sandbox = ou(&d, &root, "Sandbox").await;
    assert_eq!(parent_of(&m, &prod).await, workloads);

    // create_account answers with the request; get_create_account_status reads it.
    let v = ok(
        &d,
        json!({"action": "create_account", "account_name": "data-science",
               "email": "ds@example.com", "tags": {"team": "ds"}}),
    )
    .await;
    assert!(
        v["data"]["request_id"]
            .as_str()
            .unwrap()
            .starts_with("car-"),
        "{v}"
    );
    assert!(v["data"]["state"].is_string(), "{v}");
    let s = ok(
        &d,
        json!({"action": "get_create_account_status",
               "request_id": v["data"]["request_id"]}),
    )
    .await;
    let ds = s["data"]["account_id"].as_str().unwrap().to_string();
    let held = org(&m)
        .describe_account()
        .account_id(&ds)
        .send()
        .await
        .unwrap();
    assert_eq!(held.account().unwrap().email(), Some("ds@example.com"));

    // Moved into Workloads/Prod: moto has it there, and list_accounts shows the OU path.
    ok(
        &d,
        json!({"action": "move_account", "account_id": ds, "source_parent_id": root,
               "destination_parent_id": prod}),
    )
    .await;
    assert_eq!(parent_of(&m, &ds).await, prod);
    let list = ok(
        &d,
        json!({"action": "list_accounts", "tags": {"team": "ds"}}),
    )
    .await;
    let accounts = list["data"]["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 1, "{list}");
    assert_eq!(accounts[0]["id"], json!(ds));
    assert_eq!(accounts[0]["ou_path"], "Root/Workloads/Prod");
    assert_eq!(accounts[0]["status"], "ACTIVE");
    let in_prod = ok(&d, json!({"action": "list_accounts", "parent_id": prod})).await;
    assert_eq!(in_prod["data"]["accounts"].as_array().unwrap().len(), 1);
    // Paged: the master and data-science, one at a time.
    let first = ok(&d, json!({"action": "list_accounts", "max_results": 1})).await;
    assert_eq!(first["data"]["accounts"].as_array().unwrap().len(), 1);
    let second = ok(
        &d,
        json!({"action": "list_accounts", "max_results": 1, "next_token": first["next_token"]}),
    )
    .await;
    assert_ne!(
        first["data"]["accounts"][0]["id"],
        second["data"]["accounts"][0]["id"]
    );
    let suspended = ok(
        &d,
        json!({"action": "list_accounts", "status": "SUSPENDED"}),
    )
    .await;
    assert_eq!(suspended["data"]["accounts"], json!([]));

    // The whole tree on request; one level otherwise.
    let tree = ok(
        &d,
        json!({"action": "list_organizational_units", "recursive": true}),
    )
    .await;
    let paths: Vec<&str> = tree["data"]["organizational_units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths.len(), 3, "{tree}");
    assert!(paths.contains(&"Workloads/Prod"), "{paths:?}");
    let top = ok(&d, json!({"action": "list_organizational_units"})).await;
    assert_eq!(
        top["data"]["organizational_units"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    ok(
        &d,
        json!({"action": "rename_organizational_unit", "ou_id": sandbox, "name": "Playground"}),
    )
    .await;
    let held = org(&m)
        .describe_organizational_unit()
        .organizational_unit_id(&sandbox)
        .send()
        .await
        .unwrap();
    assert_eq!(
        held.organizational_unit().unwrap().name(),
        Some("Playground")
    );

    // Tags on the account, read back from moto.
    ok(
        &d,
        json!({"action": "tag_resource", "resource_id": ds, "tags": {"cost-center": "42"}}),
    )
    .await;
    let tags = org(&m)
        .list_tags_for_resource()
        .resource_id(&ds)
        .send()
        .await
        .unwrap();
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == "cost-center" && t.value() == "42")
    );
    ok(
        &d,
        json!({"action": "untag_resource", "resource_id": ds, "tag_keys": ["cost-center"]}),
    )
    .await;
    let tags = org(&m)
        .list_tags_for_resource()
        .resource_id(&ds)
        .send()
        .await
        .unwrap();
    assert!(tags.tags().iter().all(|t| t.key() != "cost-center"));

    // A non-empty OU is not deleted; an empty one is, after confirmation.
    let e = crate::harness::try_confirmed_in(
        &d,
        ORG,
        json!({"action": "delete_organizational_unit", "ou_id": workloads}),
    )
    .await
    .unwrap_err();
    assert!(
        e.to_string().contains("OU") || e["error"].is_string(),
        "{e}"
    );
    confirmed_in(
        &d,
        ORG,
        json!({"action": "delete_organizational_unit", "ou_id": sandbox}),
    )
    .await;
    assert!(
        org(&m)
            .describe_organizational_unit()
            .organizational_unit_id(&sandbox)
            .send()
            .await
            .is_err()
    );
    // Removing an account is critical: confirmed here (development), and it is gone.
    let other = account(&d, "scratch").await;
    confirmed_in(
        &d,
        ORG,
        json!({"action": "remove_account", "account_id": other}),
    )
    .await;
    let left = org(&m).list_accounts().send().await.unwrap();
    assert!(
        left.accounts()
            .iter()
            .all(|a| a.id() != Some(other.as_str()))
    );

    // Bad ids are refused with what the field takes, before AWS.
    let e = err_in(
        &d,
        ORG,
        json!({"action": "move_account", "account_id": "12", "source_parent_id": root,
               "destination_parent_id": prod}),
    )
    .await;
    assert!(e["message"].as_str().unwrap().contains("12-digit"), "{e}");
}

#[tokio::test]
async fn an_scp_from_every_template_is_created_attached_and_reads_back() {
    let m = moto().await;
    let root = organization(&m).await;
    let d = m.dispatcher();
    let workloads = ou(&d, &root, "Workloads").await;
    let listed = ok(&d, json!({"action": "list_scp_templates"})).await;
    assert_eq!(listed["data"]["templates"].as_array().unwrap().len(), 12);
    let regions = vec!["eu-west-1".to_string(), "eu-central-1".to_string()];
    let types = vec!["t3.micro".to_string(), "t3.small".to_string()];
    let mut ids = Vec::new();
    for (name, _, param) in TEMPLATES {
        let mut args = json!({"action": "create_policy", "name": name, "template": name,
                              "description": "from a template"});
        let (r, t) = match *param {
            Some("allowed_regions") => {
                args["allowed_regions"] = json!(regions);
                (Some(regions.as_slice()), None)
            }
            Some(_) => {
                args["instance_types"] = json!(types);
                (None, Some(types.as_slice()))
            }
            None => (None, None),
        };
        let v = ok(&d, args).await;
        let id = v["data"]["id"].as_str().unwrap().to_string();
        // The tool's own view of a template matches what was stored.
        let shown = ok(
            &d,
            json!({"action": "get_scp_template", "template": name, "allowed_regions": r,
                   "instance_types": t}),
        )
        .await;
        let want = template(name, r, t).unwrap();
        assert_eq!(shown["data"]["content"], want);
        // moto holds the content: valid JSON, the same policy, under the SCP limit.
        let held = org(&m)
            .describe_policy()
            .policy_id(&id)
            .send()
            .await
            .unwrap();
        let text = held.policy().unwrap().content().unwrap().to_string();
        assert!(text.len() <= 5120, "{name}: {}", text.len());
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed, want, "{name}");
        ok(
            &d,
            json!({"action": "attach_policy", "policy_id": id, "target_id": workloads}),
        )
        .await;
        ids.push(id);
    }
    let attached = org(&m)
        .list_policies_for_target()
        .target_id(&workloads)
        .filter(aws_sdk_organizations::types::PolicyType::ServiceControlPolicy)
        .send()
        .await
        .unwrap();
    for id in &ids {
        assert!(
            attached.policies().iter().any(|p| p.id() == Some(id)),
            "{id} not attached"
        );
    }
    let targets = ok(
        &d,
        json!({"action": "list_policy_targets", "policy_id": ids[0]}),
    )
    .await;
    assert_eq!(targets["data"]["targets"][0]["target_id"], json!(workloads));
    let by_target = ok(
        &d,
        json!({"action": "list_policies", "target_id": workloads, "max_results": 100}),
    )
    .await;
    assert_eq!(
        by_target["data"]["policies"].as_array().unwrap().len(),
        ids.len() + 1,
        "the 12 and the inherited FullAWSAccess: {by_target}"
    );
    let got = ok(&d, json!({"action": "get_policy", "policy_id": ids[0]})).await;
    assert_eq!(got["data"]["content"]["Version"], "2012-10-17");

    // Update the region list; moto holds the new content.
    ok(
        &d,
        json!({"action": "update_policy", "policy_id": ids[6], "template": "restrict-regions",
               "allowed_regions": ["us-east-1"]}),
    )
    .await;
    let held = org(&m)
        .describe_policy()
        .policy_id(&ids[6])
        .send()
        .await
        .unwrap();
    let parsed: Value = serde_json::from_str(held.policy().unwrap().content().unwrap()).unwrap();
    assert_eq!(
        parsed["Statement"][0]["Condition"]["StringNotEquals"]["aws:RequestedRegion"],
        json!(["us-east-1"])
    );
    // An attached policy is not deleted; detached, it is.
    let e = crate::harness::try_confirmed_in(
        &d,
        ORG,
        json!({"action": "delete_policy", "policy_id": ids[0]}),
    )
    .await
    .unwrap_err();
    assert_eq!(e["error"], "precondition_failed", "{e}");
    ok(
        &d,
        json!({"action": "detach_policy", "policy_id": ids[0], "target_id": workloads}),
    )
    .await;
    confirmed_in(
        &d,
        ORG,
        json!({"action": "delete_policy", "policy_id": ids[0]}),
    )
    .await;
    assert!(
        org(&m)
            .describe_policy()
            .policy_id(&ids[0])
            .send()
            .await
            .is_err()
    );
    // Policy types on the root.
    ok(
        &d,
        json!({"action": "enable_policy_type", "root_id": root, "policy_type": "TAG_POLICY"}),
    )
    .await;
    let types = |r: &aws_sdk_organizations::operation::list_roots::ListRootsOutput| {
        r.roots()[0]
            .policy_types()
            .iter()
            .filter_map(|p| p.r#type().map(|t| t.as_str().to_string()))
            .collect::<Vec<_>>()
    };
    let held = org(&m).list_roots().send().await.unwrap();
    assert!(types(&held).contains(&"TAG_POLICY".to_string()));
    ok(
        &d,
        json!({"action": "disable_policy_type", "root_id": root, "policy_type": "TAG_POLICY"}),
    )
    .await;
    let held = org(&m).list_roots().send().await.unwrap();
    assert!(!types(&held).contains(&"TAG_POLICY".to_string()));
    // Bad content and mixed inputs are refused before AWS.
    for bad in [
        json!({"action": "create_policy", "name": "x", "content": "{not json"}),
        json!({"action": "create_policy", "name": "x", "template": "deny-root-user",
               "content": "{}"}),
        json!({"action": "create_policy", "name": "x", "template": "restrict-regions"}),
        json!({"action": "create_policy", "name": "x",
               "content": json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny",
                   "Action": "*", "Resource": "*", "Sid": "x".repeat(6000)}]}).to_string()}),
    ] {
        let e = err_in(&d, ORG, bad.clone()).await;
        assert_eq!(e["error"], "invalid_input", "{bad}: {e}");
    }
}

#[tokio::test]
async fn delegated_administrators_and_resource_shares_land_in_moto() {
    let m = moto().await;
    organization(&m).await;
    let d = m.dispatcher();
    let member = account(&d, "security").await;
    // Registering gives an account organization-wide rights: high, so confirmed.
    confirmed_in(
        &d,
        ORG,
        json!({"action": "register_delegated_administrator", "account_id": member,
               "service_principal": "guardduty.amazonaws.com"}),
    )
    .await;
    let held = org(&m)
        .list_delegated_administrators()
        .send()
        .await
        .unwrap();
    assert_eq!(
        held.delegated_administrators()[0].id(),
        Some(member.as_str())
    );
    let v = ok(&d, json!({"action": "list_delegated_administrators"})).await;
    assert_eq!(v["data"]["administrators"][0]["account_id"], json!(member));
    confirmed_in(
        &d,
        ORG,
        json!({"action": "deregister_delegated_administrator", "account_id": member,
               "service_principal": "guardduty.amazonaws.com"}),
    )
    .await;
    let held = org(&m)
        .list_delegated_administrators()
        .send()
        .await
        .unwrap();
    assert!(held.delegated_administrators().is_empty());

    // RAM: a share made with the tool, seen by a plain client, deleted after confirmation.
    let subnet = {
        let ec2 = m.ec2();
        let vpc = ec2
            .create_vpc()
            .cidr_block("10.9.0.0/16")
            .send()
            .await
            .unwrap()
            .vpc()
            .unwrap()
            .vpc_id()
            .unwrap()
            .to_string();
        ec2.create_subnet()
            .vpc_id(vpc)
            .cidr_block("10.9.1.0/24")
            .send()
            .await
            .unwrap()
            .subnet()
            .unwrap()
            .subnet_arn()
            .unwrap()
            .to_string()
    };
    let v = ok(
        &d,
        json!({"action": "create_resource_share", "name": "shared-net",
               "resource_arns": [subnet], "principals": [member], "tags": {"team": "net"}}),
    )
    .await;
    let arn = v["data"]["arn"].as_str().unwrap().to_string();
    let ram = client!(aws_sdk_ram, m);
    let held = ram
        .get_resource_shares()
        .resource_owner(aws_sdk_ram::types::ResourceOwner::SelfValue)
        .send()
        .await
        .unwrap();
    let share = &held.resource_shares()[0];
    assert_eq!(share.name(), Some("shared-net"));
    assert_eq!(share.allow_external_principals(), Some(false));
    let listed = ok(&d, json!({"action": "list_resource_shares"})).await;
    assert_eq!(listed["data"]["resource_shares"][0]["arn"], json!(arn));
    // Sharing outside the organization is flagged high.
    let plan = ok(
        &d,
        json!({"action": "create_resource_share", "name": "outside",
               "allow_external_principals": true, "dry_run": true}),
    )
    .await;
    assert_eq!(plan["guardrails"]["evaluation"]["risk"], "high", "{plan}");
    confirmed_in(
        &d,
        ORG,
        json!({"action": "delete_resource_share", "resource_share_arn": arn}),
    )
    .await;
    let held = ram
        .get_resource_shares()
        .resource_owner(aws_sdk_ram::types::ResourceOwner::SelfValue)
        .send()
        .await
        .unwrap();
    assert!(
        held.resource_shares()
            .iter()
            .all(|s| s.status().map(|s| s.as_str()) != Some("ACTIVE")),
        "{held:?}"
    );
}

/// The decision on a dry run of `args`: (environment, risk, decision).
async fn verdict(d: &Dispatcher, mut args: Value) -> (Value, Value, Value) {
    args["dry_run"] = json!(true);
    let v = ok(d, args).await;
    let e = &v["guardrails"]["evaluation"];
    (
        e["environment"].clone(),
        e["risk"].clone(),
        v["guardrails"]["decision"].clone(),
    )
}

#[tokio::test]
async fn an_ou_holding_a_production_account_is_production() {
    let m = moto().await;
    let root = organization(&m).await;
    let d = m.dispatcher();
    let prod_ou = ou(&d, &root, "Prod").await;
    let dev_ou = ou(&d, &root, "Dev").await;
    let tagged_ou = ou(&d, &root, "Tagged").await;
    let mapped = account(&d, "payments").await;
    let tagged = account(&d, "web").await;
    let dev = account(&d, "play").await;
    for (a, to) in [(&mapped, &prod_ou), (&tagged, &tagged_ou), (&dev, &dev_ou)] {
        org(&m)
            .move_account()
            .account_id(a)
            .source_parent_id(&root)
            .destination_parent_id(to)
            .send()
            .await
            .unwrap();
    }
    // `payments` is production by the account map; `web` by its own tag.
    org(&m)
        .tag_resource()
        .resource_id(&tagged)
        .tags(
            aws_sdk_organizations::types::Tag::builder()
                .key("Environment")
                .value("prod")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let mut config = EnvironmentConfig {
        default_environment: Environment::Development,
        ..EnvironmentConfig::default()
    };
    config
        .accounts
        .insert(mapped.clone(), Environment::Production);
    d.guardrails
        .store
        .set_config("environments", &config)
        .unwrap();
    let v = ok(
        &d,
        json!({"action": "create_policy", "name": "deny-root", "template": "deny-root-user"}),
    )
    .await;
    let policy = v["data"]["id"].as_str().unwrap().to_string();
    for target in [&prod_ou, &tagged_ou, &dev_ou] {
        org(&m)
            .attach_policy()
            .policy_id(&policy)
            .target_id(target)
            .send()
            .await
            .unwrap();
    }
    // Detaching deny-root-user from an OU with a production account: high, needs people.
    for target in [&prod_ou, &tagged_ou] {
        let (env, risk, decision) = verdict(
            &d,
            json!({"action": "detach_policy", "policy_id": policy, "target_id": target}),
        )
        .await;
        assert_eq!(
            (env, risk, decision),
            (
                json!("production"),
                json!("high"),
                json!("require_approval")
            ),
            "{target}"
        );
    }
    let held = call(
        &d,
        ORG,
        json!({"action": "detach_policy", "policy_id": policy, "target_id": prod_ou}),
    )
    .await;
    match held {
        Ok(v) => assert_eq!(v["status"], "pending_approval", "{v}"),
        Err(e) => assert!(
            e["message"].as_str().unwrap().contains("change request"),
            "{e}"
        ),
    }
    let still = org(&m)
        .list_targets_for_policy()
        .policy_id(&policy)
        .send()
        .await
        .unwrap();
    assert!(
        still
            .targets()
            .iter()
            .any(|t| t.target_id() == Some(prod_ou.as_str()))
    );
    // The same from an OU without production accounts (untagged, not in the account map: no
    // environment) is not flagged; the root holds production accounts.
    let (env, risk, _) = verdict(
        &d,
        json!({"action": "detach_policy", "policy_id": policy, "target_id": dev_ou}),
    )
    .await;
    assert_eq!((env, risk), (Value::Null, json!("medium")));
    let (env, risk, _) = verdict(
        &d,
        json!({"action": "disable_policy_type", "root_id": root}),
    )
    .await;
    assert_eq!((env, risk), (json!("production"), json!("high")));
    let (env, risk, _) = verdict(
        &d,
        json!({"action": "attach_policy", "policy_id": policy, "target_id": root}),
    )
    .await;
    assert_eq!((env, risk), (json!("production"), json!("high")));
    // Moving a development account into the production OU, or a production one out of it.
    let (env, risk, _) = verdict(
        &d,
        json!({"action": "move_account", "account_id": dev, "source_parent_id": dev_ou,
               "destination_parent_id": prod_ou}),
    )
    .await;
    assert_eq!((env, risk), (json!("production"), json!("high")));
    let (env, risk, _) = verdict(
        &d,
        json!({"action": "move_account", "account_id": mapped, "source_parent_id": prod_ou,
               "destination_parent_id": dev_ou}),
    )
    .await;
    assert_eq!((env, risk), (json!("production"), json!("high")));
    // Changing the policy's content: it is attached where production accounts are.
    let (env, risk, _) = verdict(
        &d,
        json!({"action": "update_policy", "policy_id": policy,
               "template": "deny-leave-organization"}),
    )
    .await;
    assert_eq!((env, risk), (json!("production"), json!("high")));
    // Re-tagging the production account to development is judged in the stricter of both.
    let (env, _, decision) = verdict(
        &d,
        json!({"action": "tag_resource", "resource_id": tagged,
               "tags": {"Environment": "development"}}),
    )
    .await;
    assert_eq!(env, json!("production"));
    assert_eq!(decision, json!("require_approval"));
}

#[tokio::test]
async fn an_ou_whose_accounts_cannot_be_listed_refuses_changes() {
    let m = moto().await;
    let root = organization(&m).await;
    let p = crate::faults::proxy(&m).await;
    let d = crate::faults::via(&m, &p, 1, false);
    let unit = ou(&d, &root, "team").await;
    let v = ok(
        &d,
        json!({"action": "create_policy", "name": "deny-leave", "template":
               "deny-leave-organization"}),
    )
    .await;
    let policy = v["data"]["id"].as_str().unwrap().to_string();
    // The OU's accounts cannot be listed (access denied): its environment cannot be told.
    p.fault("ListAccountsForParent", crate::faults::Fault::Deny);
    let e = err_in(
        &d,
        ORG,
        json!({"action": "attach_policy", "policy_id": policy, "target_id": unit}),
    )
    .await;
    assert!(p.seen_op("AttachPolicy").is_empty());
    assert_eq!(e["error"], "refused", "{e}");
    assert!(
        e["message"].as_str().unwrap().contains("cannot be told"),
        "{e}"
    );
    // Nothing was attached there.
    let held = org(&m)
        .list_targets_for_policy()
        .policy_id(&policy)
        .send()
        .await
        .unwrap();
    assert!(held.targets().is_empty());
}

#[tokio::test]
async fn read_only_mode_exposes_only_the_reads() {
    let m = moto().await;
    organization(&m).await;
    let (d, reads) = crate::harness::read_only_reads(&m, ORG);
    assert!(reads.contains(&"list_accounts") && !reads.contains(&"remove_account"));
    let e = err_in(
        &d,
        ORG,
        json!({"action": "create_account", "account_name": "x", "email": "x@example.com"}),
    )
    .await;
    assert_eq!(e["error"], "refused");
    let held = org(&m).list_accounts().send().await.unwrap();
    assert_eq!(held.accounts().len(), 1, "only the management account");
    let v = ok(&d, json!({"action": "list_accounts"})).await;
    assert_eq!(v["data"]["accounts"].as_array().unwrap().len(), 1);
}

/// Queues GetCostAndUsage answers in moto.
fn seed(m: &Moto, results: Value) {
    let body = json!({ "results": results }).to_string();
    let addr = m.url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST /moto-api/static/ce/cost-and-usage-results HTTP/1.1\r\nHost: {addr}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    std::io::Read::read_to_string(&mut s, &mut out).unwrap();
    assert!(
        out.contains(" 201 ") || out.contains(" 200 "),
        "seeding failed: {out}"
    );
}

#[tokio::test]
async fn consolidated_billing_matches_the_seeded_costs() {
    let m = moto().await;
    let d = m.dispatcher();
    let group = |account: &str, service: &str, amount: &str| {
        json!({"Keys": [account, service],
               "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}}})
    };
    // Two months of one answer: 111 spends 600 (500 EC2 + 100 S3), 222 spends 400 (RDS).
    seed(
        &m,
        json!([{
            "ResultsByTime": [
                {"TimePeriod": {"Start": "2025-01-01", "End": "2025-02-01"}, "Total": {},
                 "Groups": [group("111111111111", "Amazon EC2", "300"),
                            group("111111111111", "Amazon S3", "100"),
                            group("222222222222", "Amazon RDS", "150")],
                 "Estimated": false},
                {"TimePeriod": {"Start": "2025-02-01", "End": "2025-03-01"}, "Total": {},
                 "Groups": [group("111111111111", "Amazon EC2", "200"),
                            group("222222222222", "Amazon RDS", "250")],
                 "Estimated": true}
            ],
            "DimensionValueAttributes": [
                {"Value": "111111111111", "Attributes": {"description": "web"}},
                {"Value": "222222222222", "Attributes": {"description": "data"}}
            ]
        }]),
    );
    let v = ok(
        &d,
        json!({"action": "get_consolidated_billing", "start": "2025-01-01",
               "end": "2025-03-01"}),
    )
    .await;
    let data = &v["data"];
    assert_eq!(data["total"], json!(1000.0), "{v}");
    assert_eq!(data["estimated"], json!(true));
    let a = &data["accounts"];
    assert_eq!(a[0]["account_id"], "111111111111");
    assert_eq!(a[0]["name"], "web");
    assert_eq!(a[0]["cost"], json!(600.0));
    assert_eq!(a[0]["share_of_total"], json!(60.0));
    assert_eq!(a[0]["services"][0]["service"], "Amazon EC2");
    assert_eq!(a[0]["services"][0]["cost"], json!(500.0));
    assert_eq!(a[0]["services"][0]["share_of_account"], json!(83.33));
    assert_eq!(a[0]["services"][0]["share_of_total"], json!(50.0));
    assert_eq!(a[0]["services"][1]["share_of_total"], json!(10.0));
    assert_eq!(a[1]["account_id"], "222222222222");
    assert_eq!(a[1]["cost"], json!(400.0));
    assert_eq!(a[1]["share_of_total"], json!(40.0));
    assert!(v["summary"].as_str().unwrap().contains("1000.00"), "{v}");
}

macro_rules! mocked {
    ($($rule:expr),+ $(,)?) => {{
        let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
        $(interceptor = interceptor.with_rule(&$rule);)+
        Client::from_conf(
            aws_sdk_organizations::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("us-east-1"))
                .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
                .http_client(create_mock_http_client())
                .interceptor(interceptor)
                .build(),
        )
    }};
}

/// moto 5.2.5 has neither InviteAccountToOrganization nor ListHandshakesForOrganization:
/// answers shaped like the examples in the Organizations API reference.
#[tokio::test]
async fn organization_handshakes_mocked() {
    let handshake = || {
        Handshake::builder()
            .id("h-examplehandshakeid111")
            .arn("arn:aws:organizations::111111111111:handshake/o-exampleorgid/invite/h-examplehandshakeid111")
            .state(HandshakeState::Open)
            .action(ActionType::InviteAccountToOrganization)
            .parties(
                HandshakeParty::builder()
                    .id("o-exampleorgid")
                    .r#type(HandshakePartyType::Organization)
                    .build()
                    .unwrap(),
            )
            .parties(
                HandshakeParty::builder()
                    .id("222222222222")
                    .r#type(HandshakePartyType::Account)
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let invite = mock!(Client::invite_account_to_organization)
        .match_requests(|r| {
            r.target().is_some_and(|t| {
                t.id() == "222222222222" && t.r#type() == &HandshakePartyType::Account
            }) && r.notes() == Some("join us")
        })
        .then_output(move || {
            InviteAccountToOrganizationOutput::builder()
                .handshake(handshake())
                .build()
        });
    let out = run_with::<InviteAccount, _>(
        mocked!(invite),
        json!({"invitee": "222222222222", "notes": "join us"}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(out.data["id"], "h-examplehandshakeid111");
    assert_eq!(out.data["state"], "OPEN");
    assert_eq!(out.data["parties"][1]["id"], "222222222222");

    let list = mock!(Client::list_handshakes_for_organization).then_output(move || {
        ListHandshakesForOrganizationOutput::builder()
            .handshakes(handshake())
            .build()
    });
    let out = run_with::<ListHandshakes, _>(mocked!(list), json!({}), None)
        .await
        .unwrap();
    assert_eq!(out.data["handshakes"][0]["action"], "INVITE");
    assert_eq!(out.data["handshakes"].as_array().unwrap().len(), 1);
}
