//! aws_lambda against moto, checking what moto holds afterwards with plain SDK clients:
//! functions from inline source (zipped by the server, read back by Python's zipfile) and from
//! S3, code and configuration updates, versions, aliases with weighted routing, reserved
//! concurrency, layers, function URLs, permissions, SQS event source mappings and Scheduler
//! schedules; environment variable values withheld and kept out of the audit log; the backup
//! version before a code update; read-only mode; and the guardrails: a production function
//! reached through an alias, an ARN, a URL or a mapping is production, a tag lookup that fails
//! refuses the call, and a public URL or a permission for `*` is flagged high. (Invoke and
//! provisioned concurrency are not in moto: see `lambda_mocked.rs`.)

use espada_aws::{
    dispatch::Dispatcher, guardrails::environment::Environment, registry::Access,
    settings::Settings,
};
use serde_json::{Value, json};

use crate::{
    faults::{Fault, last_audit, proxy, via},
    harness::client,
    harness::{Moto, REGION, call, confirmed_in, err_in, moto, ok_in},
};

const LAMBDA: &str = "aws_lambda";
const ACCOUNT: &str = "123456789012";

fn lambda(m: &Moto) -> aws_sdk_lambda::Client {
    client!(aws_sdk_lambda, m)
}

fn scheduler(m: &Moto) -> aws_sdk_scheduler::Client {
    client!(aws_sdk_scheduler, m)
}

fn iam(m: &Moto) -> aws_sdk_iam::Client {
    client!(aws_sdk_iam, m)
}

async fn ok(d: &Dispatcher, args: Value) -> Value {
    ok_in(d, LAMBDA, args).await
}

async fn err(d: &Dispatcher, args: Value) -> Value {
    err_in(d, LAMBDA, args).await
}

async fn confirmed(d: &Dispatcher, args: Value) -> Value {
    confirmed_in(d, LAMBDA, args).await
}

/// The plan of a call that asks for confirmation.
async fn plan(d: &Dispatcher, args: Value) -> Value {
    let p = ok(d, args).await;
    assert_eq!(p["status"], "confirmation_required", "{p}");
    p
}

/// A role Lambda can assume (moto checks that it exists).
async fn role(m: &Moto) -> String {
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": ["lambda.amazonaws.com", "scheduler.amazonaws.com"]},
        "Action": "sts:AssumeRole"}]});
    iam(m)
        .create_role()
        .role_name("fn-role")
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .unwrap()
        .role()
        .unwrap()
        .arn()
        .to_string()
}

fn source(text: &str) -> Value {
    json!({"index.py": format!("def handler(event, context):\n    return {text:?}\n")})
}

/// A function made through the tool, tagged with `env` (setting an environment tag is
/// confirmed first).
async fn function(d: &Dispatcher, role: &str, name: &str, env: &str) -> Value {
    confirmed(
        d,
        json!({"action": "create_function", "function_name": name, "runtime": "python3.12",
               "handler": "index.handler", "role": role, "inline_code": source("v1"),
               "tags": {"Environment": env}}),
    )
    .await
}

/// A function made with the plain SDK (role `ops` of the dry-run fixture, or any role), no
/// tags.
pub(crate) async fn plain_function(m: &Moto, name: &str) {
    let zip = espada_aws::tools::lambda::zip::zip(&[(
        "index.py".to_string(),
        b"def handler(e, c):\n    return 1\n".to_vec(),
    )])
    .unwrap();
    lambda(m)
        .create_function()
        .function_name(name)
        .runtime(aws_sdk_lambda::types::Runtime::Python312)
        .handler("index.handler")
        .role(format!("arn:aws:iam::{ACCOUNT}:role/ops"))
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(zip))
                .build(),
        )
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn inline_source_zips_into_an_archive_python_reads() {
    let files = vec![
        (
            "index.py".to_string(),
            b"def handler(e, c):\n    return 'hi'\n".to_vec(),
        ),
        (
            "lib/data.json".to_string(),
            br#"{"a": [1, 2, 3]}"#.repeat(500),
        ),
    ];
    let bytes = espada_aws::tools::lambda::zip::zip(&files).unwrap();
    let dir = std::env::temp_dir().join(format!("espada-zip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("code.zip");
    std::fs::write(&path, &bytes).unwrap();
    let script = "import sys, zipfile, json\n\
                  z = zipfile.ZipFile(sys.argv[1])\n\
                  assert z.testzip() is None\n\
                  print(json.dumps({i.filename: [i.compress_type, z.read(i).decode()] \
                  for i in z.infolist()}))";
    let out = std::process::Command::new(crate::harness::python())
        .args(["-c", script, path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read: Value = serde_json::from_slice(&out.stdout).unwrap();
    for (name, data) in &files {
        assert_eq!(read[name][0], 8, "{name} is deflated");
        assert_eq!(read[name][1], String::from_utf8_lossy(data).as_ref());
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn functions_from_inline_code_and_s3_with_updates() {
    let m = moto().await;
    let d = m.dispatcher();
    let role = role(&m).await;
    let made = confirmed(
        &d,
        json!({"action": "create_function", "function_name": "orders", "runtime": "python3.12",
               "handler": "index.handler", "role": role, "inline_code": source("v1"),
               "memory_size": 256, "timeout": 30, "architecture": "arm64",
               "environment_secrets": {"DB_PASSWORD": "hunter2-secret", "STAGE": "dev"},
               "tags": {"Environment": "development", "team": "orders"}}),
    )
    .await;
    assert_eq!(made["data"]["function_name"], "orders", "{made}");
    let held = lambda(&m)
        .get_function()
        .function_name("orders")
        .send()
        .await
        .unwrap();
    let c = held.configuration().unwrap();
    assert_eq!(c.runtime().unwrap().as_str(), "python3.12");
    assert_eq!(c.handler(), Some("index.handler"));
    assert_eq!(c.memory_size(), Some(256));
    assert_eq!(c.timeout(), Some(30));
    assert_eq!(c.architectures()[0].as_str(), "arm64");
    assert!(c.code_size() > 0);
    assert_eq!(held.tags().unwrap()["team"], "orders");
    let env = c.environment().unwrap().variables().unwrap();
    assert_eq!(env["DB_PASSWORD"], "hunter2-secret");

    // Environment values stay out of the audit log and of get_function's answer by default.
    let (entries, _) = d
        .guardrails
        .store
        .query_audit(&Default::default(), 100)
        .unwrap();
    let audited = serde_json::to_string(
        &entries
            .iter()
            .map(|e| e.record.input.clone())
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(audited.contains("environment_secrets"), "{audited}");
    assert!(audited.contains("[redacted]"), "{audited}");
    assert!(!audited.contains("hunter2-secret"), "{audited}");
    let got = ok(
        &d,
        json!({"action": "get_function", "function_name": "orders"}),
    )
    .await;
    assert_eq!(
        got["data"]["environment_variable_names"],
        json!(["DB_PASSWORD", "STAGE"])
    );
    assert!(!got.to_string().contains("hunter2-secret"), "{got}");
    assert!(
        got["summary"].as_str().unwrap().contains("withheld"),
        "{got}"
    );
    assert_eq!(got["data"]["tags"]["team"], "orders");
    let open = Dispatcher::new(&Settings {
        allow_sensitive_data: true,
        ..m.settings()
    })
    .unwrap();
    let values = ok_in(
        &open,
        LAMBDA,
        json!({"action": "get_function", "function_name": "orders"}),
    )
    .await;
    assert_eq!(
        values["data"]["environment_variables"]["DB_PASSWORD"],
        "hunter2-secret"
    );

    // From a ZIP in S3.
    m.create_bucket("code-bucket");
    let zip = espada_aws::tools::lambda::zip::zip(&[(
        "index.py".to_string(),
        b"def handler(e, c):\n    return 's3'\n".to_vec(),
    )])
    .unwrap();
    m.s3()
        .put_object()
        .bucket("code-bucket")
        .key("builds/orders.zip")
        .body(zip.clone().into())
        .send()
        .await
        .unwrap();
    ok(
        &d,
        json!({"action": "create_function", "function_name": "from-s3", "runtime": "python3.12",
               "handler": "index.handler", "role": role,
               "s3_uri": "s3://code-bucket/builds/orders.zip"}),
    )
    .await;
    let c = lambda(&m)
        .get_function_configuration()
        .function_name("from-s3")
        .send()
        .await
        .unwrap();
    assert_eq!(c.code_size(), zip.len() as i64);

    // The code update is confirmed first (it replaces what $LATEST runs), then moto holds
    // new code.
    let before = lambda(&m)
        .get_function_configuration()
        .function_name("orders")
        .send()
        .await
        .unwrap()
        .code_sha256()
        .unwrap()
        .to_string();
    let updated = confirmed(
        &d,
        json!({"action": "update_function_code", "function_name": "orders",
               "inline_code": source("v2")}),
    )
    .await;
    let after = lambda(&m)
        .get_function_configuration()
        .function_name("orders")
        .send()
        .await
        .unwrap()
        .code_sha256()
        .unwrap()
        .to_string();
    assert_ne!(before, after, "{updated}");
    assert_eq!(updated["data"]["code_sha256"], after.as_str());

    let conf = confirmed(
        &d,
        json!({"action": "update_function_configuration", "function_name": "orders",
               "memory_size": 512, "timeout": 60}),
    )
    .await;
    assert_eq!(conf["data"]["memory_size"], 512, "{conf}");
    let c = lambda(&m)
        .get_function_configuration()
        .function_name("orders")
        .send()
        .await
        .unwrap();
    assert_eq!((c.memory_size(), c.timeout()), (Some(512), Some(60)));

    let listed = ok(&d, json!({"action": "list_functions"})).await;
    assert_eq!(listed["data"]["functions"].as_array().unwrap().len(), 2);

    // Bad input is refused before any call.
    let e = err(
        &d,
        json!({"action": "create_function", "function_name": "x", "runtime": "python3.12",
               "handler": "index.handler", "role": role}),
    )
    .await;
    assert!(
        e["message"].as_str().unwrap().contains("inline_code"),
        "{e}"
    );
    let e = err(
        &d,
        json!({"action": "update_function_code", "function_name": "orders:live",
               "inline_code": source("v3")}),
    )
    .await;
    assert!(e["message"].as_str().unwrap().contains("qualifier"), "{e}");

    confirmed(
        &d,
        json!({"action": "delete_function", "function_name": "from-s3"}),
    )
    .await;
    assert!(
        lambda(&m)
            .get_function()
            .function_name("from-s3")
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_code_update_where_backups_are_required_publishes_the_current_code_first() {
    let m = moto().await;
    let d = m.dispatcher();
    let mut p = d
        .guardrails
        .store
        .protection(Environment::Development)
        .unwrap();
    p.backup_required = true;
    d.guardrails
        .store
        .set_protection(Environment::Development, &p)
        .unwrap();
    let role = role(&m).await;
    function(&d, &role, "billing", "development").await;
    let old = lambda(&m)
        .get_function_configuration()
        .function_name("billing")
        .send()
        .await
        .unwrap()
        .code_sha256()
        .unwrap()
        .to_string();
    let done = confirmed(
        &d,
        json!({"action": "update_function_code", "function_name": "billing",
               "inline_code": source("v2")}),
    )
    .await;
    let backups = done["backups"].as_array().unwrap();
    assert_eq!(backups.len(), 1, "{done}");
    assert_eq!(backups[0]["kind"], "lambda-version");
    assert!(
        backups[0]["restore"]
            .as_str()
            .unwrap()
            .contains("update_alias"),
        "{done}"
    );
    // The version moto holds has the old code; $LATEST the new.
    let versions = lambda(&m)
        .list_versions_by_function()
        .function_name("billing")
        .send()
        .await
        .unwrap();
    let v1 = versions
        .versions()
        .iter()
        .find(|v| v.version() == Some("1"))
        .expect("version 1 was published");
    assert_eq!(v1.code_sha256(), Some(old.as_str()));
    assert_eq!(
        backups[0]["backup_id"],
        format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:billing:1")
    );
    let latest = lambda(&m)
        .get_function_configuration()
        .function_name("billing")
        .send()
        .await
        .unwrap();
    assert_ne!(latest.code_sha256(), Some(old.as_str()));
}

#[tokio::test]
async fn versions_and_aliases_with_weighted_routing() {
    let m = moto().await;
    let d = m.dispatcher();
    let role = role(&m).await;
    function(&d, &role, "api", "development").await;
    let v1 = ok(
        &d,
        json!({"action": "publish_version", "function_name": "api"}),
    )
    .await;
    assert_eq!(v1["data"]["version"], "1", "{v1}");
    confirmed(
        &d,
        json!({"action": "update_function_code", "function_name": "api",
               "inline_code": source("v2"), "publish": true}),
    )
    .await;
    let versions = ok(
        &d,
        json!({"action": "list_versions", "function_name": "api"}),
    )
    .await;
    let listed: Vec<&str> = versions["data"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["version"].as_str())
        .collect();
    assert!(listed.contains(&"1") && listed.contains(&"2"), "{versions}");

    ok(
        &d,
        json!({"action": "create_alias", "function_name": "api", "alias": "live",
               "version": "1"}),
    )
    .await;
    let a = lambda(&m)
        .get_alias()
        .function_name("api")
        .name("live")
        .send()
        .await
        .unwrap();
    assert_eq!(a.function_version(), Some("1"));

    // 10% of live's traffic to version 2.
    confirmed(
        &d,
        json!({"action": "update_alias", "function_name": "api", "alias": "live",
               "version": "1", "canary_version": "2", "canary_weight": 0.1}),
    )
    .await;
    let a = lambda(&m)
        .get_alias()
        .function_name("api")
        .name("live")
        .send()
        .await
        .unwrap();
    let weights = a
        .routing_config()
        .and_then(|r| r.additional_version_weights())
        .expect("moto holds the routing");
    assert_eq!(weights.get("2"), Some(&0.1));
    let aliases = ok(
        &d,
        json!({"action": "list_aliases", "function_name": "api"}),
    )
    .await;
    assert_eq!(aliases["data"]["aliases"][0]["weights"]["2"], 0.1);

    // All traffic to 2: the routing is cleared.
    confirmed(
        &d,
        json!({"action": "update_alias", "function_name": "api", "alias": "live",
               "version": "2"}),
    )
    .await;
    let a = lambda(&m)
        .get_alias()
        .function_name("api")
        .name("live")
        .send()
        .await
        .unwrap();
    assert_eq!(a.function_version(), Some("2"));
    assert!(
        a.routing_config()
            .and_then(|r| r.additional_version_weights())
            .is_none_or(|w| w.is_empty())
    );

    let e = err(
        &d,
        json!({"action": "update_alias", "function_name": "api", "alias": "live",
               "version": "2", "canary_version": "2", "canary_weight": 0.5}),
    )
    .await;
    assert!(
        e["message"].as_str().unwrap().contains("two different"),
        "{e}"
    );

    confirmed(
        &d,
        json!({"action": "delete_alias", "function_name": "api", "alias": "live"}),
    )
    .await;
    assert!(
        lambda(&m)
            .get_alias()
            .function_name("api")
            .name("live")
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn reserved_concurrency_and_zero_is_flagged() {
    let m = moto().await;
    let d = m.dispatcher();
    let role = role(&m).await;
    function(&d, &role, "checkout", "development").await;
    let set = ok(
        &d,
        json!({"action": "put_reserved_concurrency", "function_name": "checkout",
               "concurrency": 50}),
    )
    .await;
    assert_eq!(set["data"]["reserved_concurrent_executions"], 50, "{set}");
    let held = lambda(&m)
        .get_function_concurrency()
        .function_name("checkout")
        .send()
        .await
        .unwrap();
    assert_eq!(held.reserved_concurrent_executions(), Some(50));

    // 0 throttles the function: high, so confirmed first, with the reason in the plan.
    let p = plan(
        &d,
        json!({"action": "put_reserved_concurrency", "function_name": "checkout",
               "concurrency": 0}),
    )
    .await;
    assert_eq!(p["plan"]["risk"], "high", "{p}");
    assert!(p.to_string().contains("throttles"), "{p}");
    let held = lambda(&m)
        .get_function_concurrency()
        .function_name("checkout")
        .send()
        .await
        .unwrap();
    assert_eq!(held.reserved_concurrent_executions(), Some(50));

    ok(
        &d,
        json!({"action": "delete_reserved_concurrency", "function_name": "checkout"}),
    )
    .await;
    let held = lambda(&m)
        .get_function_concurrency()
        .function_name("checkout")
        .send()
        .await
        .unwrap();
    assert_eq!(held.reserved_concurrent_executions(), None);
}

#[tokio::test]
async fn layers_publish_and_delete() {
    let m = moto().await;
    let d = m.dispatcher();
    let made = ok(
        &d,
        json!({"action": "publish_layer_version", "layer_name": "shared-utils",
               "inline_code": {"python/utils.py": "X = 1\n"},
               "compatible_runtimes": ["python3.12"]}),
    )
    .await;
    assert_eq!(made["data"]["version"], 1, "{made}");
    let held = lambda(&m)
        .list_layer_versions()
        .layer_name("shared-utils")
        .send()
        .await
        .unwrap();
    assert_eq!(held.layer_versions().len(), 1);
    assert_eq!(
        held.layer_versions()[0].compatible_runtimes()[0].as_str(),
        "python3.12"
    );
    let listed = ok(&d, json!({"action": "list_layers"})).await;
    assert_eq!(listed["data"]["layers"][0]["layer_name"], "shared-utils");

    // Critical: confirmed, then gone from moto.
    let p = plan(
        &d,
        json!({"action": "delete_layer_version", "layer_name": "shared-utils",
               "version_number": 1}),
    )
    .await;
    assert_eq!(p["plan"]["risk"], "critical", "{p}");
    confirmed(
        &d,
        json!({"action": "delete_layer_version", "layer_name": "shared-utils",
               "version_number": 1}),
    )
    .await;
    let held = lambda(&m)
        .list_layer_versions()
        .layer_name("shared-utils")
        .send()
        .await
        .unwrap();
    assert!(held.layer_versions().is_empty());
}

#[tokio::test]
async fn urls_and_permissions_with_public_ones_flagged() {
    let m = moto().await;
    let d = m.dispatcher();
    let role = role(&m).await;
    function(&d, &role, "web", "development").await;
    function(&d, &role, "hook", "development").await;

    let url = ok(
        &d,
        json!({"action": "create_function_url", "function_name": "web"}),
    )
    .await;
    assert_eq!(url["data"]["auth_type"], "AWS_IAM", "{url}");
    let held = lambda(&m)
        .get_function_url_config()
        .function_name("web")
        .send()
        .await
        .unwrap();
    assert_eq!(held.auth_type().as_str(), "AWS_IAM");
    let got = ok(
        &d,
        json!({"action": "get_function_url", "function_name": "web"}),
    )
    .await;
    assert_eq!(got["data"]["function_url"], held.function_url());

    // A public URL is flagged high and needs confirmation; then moto holds auth NONE.
    let public = json!({"action": "create_function_url", "function_name": "hook",
                        "auth_type": "NONE"});
    let p = plan(&d, public.clone()).await;
    assert_eq!(p["plan"]["risk"], "high", "{p}");
    assert!(p.to_string().contains("anyone on the internet"), "{p}");
    assert!(
        lambda(&m)
            .get_function_url_config()
            .function_name("hook")
            .send()
            .await
            .is_err(),
        "nothing was made before confirmation"
    );
    confirmed(&d, public).await;
    let held = lambda(&m)
        .get_function_url_config()
        .function_name("hook")
        .send()
        .await
        .unwrap();
    assert_eq!(held.auth_type().as_str(), "NONE");

    confirmed(
        &d,
        json!({"action": "delete_function_url", "function_name": "hook"}),
    )
    .await;
    assert!(
        lambda(&m)
            .get_function_url_config()
            .function_name("hook")
            .send()
            .await
            .is_err()
    );

    // A permission for a service with its source: medium, runs at once; in moto's policy.
    ok(
        &d,
        json!({"action": "add_permission", "function_name": "web", "statement_id": "s3-events",
               "principal": "s3.amazonaws.com", "source_arn": "arn:aws:s3:::uploads"}),
    )
    .await;
    let policy = lambda(&m)
        .get_policy()
        .function_name("web")
        .send()
        .await
        .unwrap();
    let doc: Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    let st = &doc["Statement"][0];
    assert_eq!(st["Sid"], "s3-events", "{doc}");
    assert_eq!(st["Action"], "lambda:InvokeFunction");

    // A permission for `*` is high.
    let star = json!({"action": "add_permission", "function_name": "web",
                      "statement_id": "everyone", "principal": "*"});
    let p = plan(&d, star.clone()).await;
    assert_eq!(p["plan"]["risk"], "high", "{p}");
    assert!(p.to_string().contains("any AWS account"), "{p}");
    confirmed(&d, star).await;
    let doc: Value = serde_json::from_str(
        lambda(&m)
            .get_policy()
            .function_name("web")
            .send()
            .await
            .unwrap()
            .policy()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(doc["Statement"].as_array().unwrap().len(), 2, "{doc}");

    confirmed(
        &d,
        json!({"action": "remove_permission", "function_name": "web",
               "statement_id": "everyone"}),
    )
    .await;
    let doc: Value = serde_json::from_str(
        lambda(&m)
            .get_policy()
            .function_name("web")
            .send()
            .await
            .unwrap()
            .policy()
            .unwrap(),
    )
    .unwrap();
    let sids: Vec<&str> = doc["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["Sid"].as_str())
        .collect();
    assert_eq!(sids, vec!["s3-events"]);
}

#[tokio::test]
async fn sqs_event_source_mappings() {
    let m = moto().await;
    let d = m.dispatcher();
    let role = role(&m).await;
    function(&d, &role, "consumer", "development").await;
    let sqs = m.sqs();
    let q = sqs
        .create_queue()
        .queue_name("orders-queue")
        .send()
        .await
        .unwrap();
    let arn = sqs
        .get_queue_attributes()
        .queue_url(q.queue_url().unwrap())
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes()
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    let made = ok(
        &d,
        json!({"action": "create_event_source_mapping", "function_name": "consumer",
               "event_source_arn": arn, "batch_size": 5}),
    )
    .await;
    let uuid = made["data"]["uuid"].as_str().unwrap().to_string();
    let held = lambda(&m)
        .get_event_source_mapping()
        .uuid(&uuid)
        .send()
        .await
        .unwrap();
    assert_eq!(held.event_source_arn(), Some(arn.as_str()));
    assert_eq!(held.batch_size(), Some(5));
    assert!(held.function_arn().unwrap().ends_with(":function:consumer"));
    let listed = ok(
        &d,
        json!({"action": "list_event_source_mappings", "function_name": "consumer"}),
    )
    .await;
    assert_eq!(listed["data"]["mappings"][0]["uuid"], uuid.as_str());

    let e = err(
        &d,
        json!({"action": "create_event_source_mapping", "function_name": "consumer",
               "event_source_arn": arn, "starting_position": "LATEST"}),
    )
    .await;
    assert!(e["message"].as_str().unwrap().contains("streams"), "{e}");

    confirmed(
        &d,
        json!({"action": "delete_event_source_mapping", "uuid": uuid}),
    )
    .await;
    let left = lambda(&m)
        .list_event_source_mappings()
        .function_name("consumer")
        .send()
        .await
        .unwrap();
    assert!(
        left.event_source_mappings()
            .iter()
            .all(|e| e.uuid() != Some(uuid.as_str()) || e.state() == Some("Deleting")),
        "{left:?}"
    );
}

#[tokio::test]
async fn schedules_invoke_the_function_on_checked_expressions() {
    let m = moto().await;
    let d = m.dispatcher();
    let role = role(&m).await;
    function(&d, &role, "nightly", "development").await;
    let made = ok(
        &d,
        json!({"action": "schedule_function", "function_name": "nightly",
               "schedule_name": "nightly-midnight", "expression": "cron(0 0 * * ? *)",
               "role_arn": role, "payload": {"job": "compact"}}),
    )
    .await;
    assert_eq!(made["data"]["expression"], "cron(0 0 * * ? *)", "{made}");
    let s = scheduler(&m)
        .get_schedule()
        .name("nightly-midnight")
        .send()
        .await
        .unwrap();
    assert_eq!(s.schedule_expression(), Some("cron(0 0 * * ? *)"));
    let t = s.target().unwrap();
    assert_eq!(
        t.arn(),
        format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:nightly")
    );
    assert_eq!(t.role_arn(), role);
    let input: Value = serde_json::from_str(t.input().unwrap()).unwrap();
    assert_eq!(input["job"], "compact");

    ok(
        &d,
        json!({"action": "schedule_function", "function_name": "nightly",
               "schedule_name": "every-5", "expression": "rate(5 minutes)",
               "role_arn": role}),
    )
    .await;
    let s = scheduler(&m)
        .get_schedule()
        .name("every-5")
        .send()
        .await
        .unwrap();
    assert_eq!(s.schedule_expression(), Some("rate(5 minutes)"));

    // Checked before any call: nothing is made.
    for bad in ["cron(0 0 * * *)", "rate(1 days)", "every day"] {
        let e = err(
            &d,
            json!({"action": "schedule_function", "function_name": "nightly",
                   "schedule_name": "bad", "expression": bad, "role_arn": role}),
        )
        .await;
        assert_eq!(e["error"], "invalid_input", "{bad}: {e}");
    }
    assert!(
        scheduler(&m)
            .get_schedule()
            .name("bad")
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn read_only_mode_lists_and_refuses_changes() {
    let m = moto().await;
    let d = m.dispatcher();
    let role = role(&m).await;
    function(&d, &role, "ro", "development").await;
    let ro = Dispatcher::new(&Settings {
        read_only: true,
        ..m.settings()
    })
    .unwrap();
    let tool = ro.tool(LAMBDA).expect("registered");
    let schema = ro.input_schema(tool);
    let exposed: Vec<&str> = schema["properties"]["action"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let reads: Vec<&str> = tool
        .actions
        .iter()
        .filter(|a| a.access == Access::Read)
        .map(|a| a.name)
        .collect();
    assert_eq!(exposed, reads);
    assert!(exposed.contains(&"get_function") && !exposed.contains(&"invoke"));
    let listed = ok_in(&ro, LAMBDA, json!({"action": "list_functions"})).await;
    assert_eq!(listed["data"]["functions"][0]["function_name"], "ro");
    let e = err_in(
        &ro,
        LAMBDA,
        json!({"action": "delete_function", "function_name": "ro"}),
    )
    .await;
    assert_eq!(e["error"], "refused", "{e}");
    assert!(
        lambda(&m)
            .get_function()
            .function_name("ro")
            .send()
            .await
            .is_ok()
    );
}

/// A production function cannot be reached as anything else: through its alias, a qualified
/// ARN, its URL, a permission, a schedule or an event source mapping, the call is judged in
/// production, and the high ones need a change request.
#[tokio::test]
async fn a_production_function_is_production_through_its_alias_url_and_mappings() {
    let m = moto().await;
    let d = m.dispatcher();
    let role = role(&m).await;
    // Made with the plain SDK: creating it through the tool would itself be a production call.
    let zip = espada_aws::tools::lambda::zip::zip(&[(
        "index.py".to_string(),
        b"def handler(e, c):\n    return 1\n".to_vec(),
    )])
    .unwrap();
    let lc = lambda(&m);
    lc.create_function()
        .function_name("payments")
        .runtime(aws_sdk_lambda::types::Runtime::Python312)
        .handler("index.handler")
        .role(&role)
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(zip))
                .build(),
        )
        .tags("Environment", "production")
        .send()
        .await
        .unwrap();
    lc.publish_version()
        .function_name("payments")
        .send()
        .await
        .unwrap();
    lc.create_alias()
        .function_name("payments")
        .name("live")
        .function_version("1")
        .send()
        .await
        .unwrap();
    let sqs = m.sqs();
    sqs.create_queue()
        .queue_name("payments-q")
        .send()
        .await
        .unwrap();
    let qarn = format!("arn:aws:sqs:{REGION}:{ACCOUNT}:payments-q");
    let mapping = lc
        .create_event_source_mapping()
        .function_name("payments")
        .event_source_arn(&qarn)
        .send()
        .await
        .unwrap()
        .uuid()
        .unwrap()
        .to_string();
    let arn = format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:payments");

    let calls = [
        json!({"action": "update_alias", "function_name": "payments", "alias": "live",
               "version": "$LATEST"}),
        json!({"action": "create_function_url", "function_name": "payments",
               "qualifier": "live"}),
        json!({"action": "add_permission", "function_name": "payments:live",
               "statement_id": "s", "principal": "s3.amazonaws.com"}),
        json!({"action": "add_permission", "function_name": format!("{arn}:live"),
               "statement_id": "s", "principal": "s3.amazonaws.com"}),
        json!({"action": "invoke", "function_name": format!("{arn}:live")}),
        json!({"action": "put_reserved_concurrency", "function_name": arn,
               "concurrency": 5}),
        json!({"action": "schedule_function", "function_name": "payments:live",
               "schedule_name": "sneaky", "expression": "rate(1 minute)", "role_arn": role}),
        json!({"action": "delete_event_source_mapping", "uuid": mapping}),
        json!({"action": "create_event_source_mapping", "function_name": "payments:live",
               "event_source_arn": qarn}),
    ];
    // Each call is judged in production (the audit record says so), whether the policy then
    // asks for a change request (high and flagged calls) or lets it run (medium ones). Dry
    // runs, so that nothing changes while the environments are checked.
    for mut args in calls {
        args["dry_run"] = json!(true);
        let r = call(&d, LAMBDA, args.clone()).await;
        let record = last_audit(&d);
        assert_eq!(
            record.environment.as_deref(),
            Some("production"),
            "{args}: {r:?} {record:?}"
        );
    }
    // The high ones are refused without a change request, for real.
    for args in [
        json!({"action": "update_alias", "function_name": "payments", "alias": "live",
               "version": "$LATEST"}),
        json!({"action": "add_permission", "function_name": format!("{arn}:live"),
               "statement_id": "s", "principal": "*"}),
        json!({"action": "delete_event_source_mapping", "uuid": mapping}),
    ] {
        let e = call(&d, LAMBDA, args.clone()).await.unwrap_err();
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .contains("production changes need a change request"),
            "{args}: {e}"
        );
    }
    let a = lc
        .get_alias()
        .function_name("payments")
        .name("live")
        .send()
        .await
        .unwrap();
    assert_eq!(a.function_version(), Some("1"));
    assert!(
        lc.get_policy()
            .function_name("payments")
            .qualifier("live")
            .send()
            .await
            .is_err()
    );
    assert!(
        lc.get_event_source_mapping()
            .uuid(&mapping)
            .send()
            .await
            .is_ok()
    );
    assert!(
        scheduler(&m)
            .get_schedule()
            .name("sneaky")
            .send()
            .await
            .is_err()
    );
}

/// While the function's tags cannot be read (ListTags throttled or denied), mutating calls
/// are refused before anything is sent, and nothing changes.
#[tokio::test]
async fn lambda_changes_are_refused_while_function_tags_cannot_be_read() {
    let m = moto().await;
    let role = role(&m).await;
    let plain = m.dispatcher();
    function(&plain, &role, "tagless", "development").await;
    for fault in [Fault::Throttle, Fault::Deny] {
        let p = proxy(&m).await;
        p.fault("ListTags", fault);
        let d = via(&m, &p, 2, false);
        for args in [
            json!({"action": "put_reserved_concurrency", "function_name": "tagless",
                   "concurrency": 3}),
            json!({"action": "create_function_url", "function_name": "tagless"}),
            json!({"action": "create_alias", "function_name": "tagless", "alias": "x",
                   "version": "$LATEST"}),
        ] {
            let e = call(&d, LAMBDA, args.clone()).await.unwrap_err();
            assert_eq!(e["error"], "refused", "{args}: {e}");
            assert!(
                e["message"].as_str().unwrap().contains("could not be read"),
                "{e}"
            );
        }
        assert!(
            !p.seen_op("ListTags").is_empty(),
            "{fault:?} {:?}",
            p.seen()
        );
        let writes: Vec<String> = p
            .seen()
            .into_iter()
            .filter(|s| !espada_aws::aws::guard::is_read_operation(&s.operation))
            .map(|s| s.operation)
            .collect();
        assert!(writes.is_empty(), "{fault:?}: {writes:?}");
    }
    let lc = lambda(&m);
    assert_eq!(
        lc.get_function_concurrency()
            .function_name("tagless")
            .send()
            .await
            .unwrap()
            .reserved_concurrent_executions(),
        None
    );
    assert!(
        lc.get_function_url_config()
            .function_name("tagless")
            .send()
            .await
            .is_err()
    );
}
