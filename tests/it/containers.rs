//! aws_containers against moto, checking what moto holds afterwards with plain SDK clients:
//! an ECS cluster with its capacity providers and Container Insights; a service deployed from
//! an image (task definition revisions with CPU/memory, port, environment and the awslogs
//! configuration, the log group, network and circuit breaker), scaled, rolled back to the
//! previous revision and deleted; tasks listed and stopped; the service's logs, newest first
//! and filtered; EKS clusters with node groups and Fargate profiles; ECR repositories with
//! their lifecycle policy, images pushed through moto's API and the push commands. Then the
//! guardrails: read-only mode, a production service reached through its cluster or one of its
//! tasks, and a tag lookup that fails.

use aws_sdk_ecs::types::{ClusterField, LaunchType, Tag as EcsTag};
use espada_aws::dispatch::Dispatcher;
use serde_json::{Value, json};

use crate::{
    faults::{Fault, proxy, via},
    harness::client,
    harness::{Moto, REGION, call, confirmed_in, err_in, moto, ok_in},
};

const TOOL: &str = "aws_containers";

const EXEC_ROLE: &str = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole";

async fn ok(d: &Dispatcher, args: Value) -> Value {
    ok_in(d, TOOL, args).await
}

fn ecs(m: &Moto) -> aws_sdk_ecs::Client {
    client!(aws_sdk_ecs, m)
}

fn logs(m: &Moto) -> aws_sdk_cloudwatchlogs::Client {
    client!(aws_sdk_cloudwatchlogs, m)
}

/// A VPC with two subnets and a security group in moto.
async fn network(m: &Moto) -> (Vec<String>, String) {
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
    let mut out = Vec::new();
    for (i, az) in ["us-east-1a", "us-east-1b"].iter().enumerate() {
        out.push(
            ec2.create_subnet()
                .vpc_id(&vpc)
                .cidr_block(format!("10.9.{i}.0/24"))
                .availability_zone(*az)
                .send()
                .await
                .unwrap()
                .subnet()
                .unwrap()
                .subnet_id()
                .unwrap()
                .to_string(),
        );
    }
    let group = ec2
        .create_security_group()
        .group_name("web")
        .description("web")
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_string();
    (out, group)
}

/// The service as moto holds it.
async fn held(m: &Moto, cluster: &str, service: &str) -> aws_sdk_ecs::types::Service {
    ecs(m)
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await
        .unwrap()
        .services()
        .first()
        .cloned()
        .expect("the service exists in moto")
}

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
async fn ecs_cluster_with_fargate_capacity_and_insights() {
    let m = moto().await;
    let d = m.dispatcher();
    let v = ok(
        &d,
        json!({"action": "create_ecs_cluster", "cluster": "apps", "tags": {"Team": "web"}}),
    )
    .await;
    assert!(v["summary"].as_str().unwrap().contains("apps"), "{v}");
    let c = ecs(&m)
        .describe_clusters()
        .clusters("apps")
        .include(ClusterField::Settings)
        .include(ClusterField::Tags)
        .send()
        .await
        .unwrap();
    let c = &c.clusters()[0];
    assert_eq!(c.capacity_providers(), ["FARGATE", "FARGATE_SPOT"]);
    let strategy = c.default_capacity_provider_strategy();
    assert_eq!(strategy[0].capacity_provider(), "FARGATE");
    let insights = c
        .settings()
        .iter()
        .find(|s| s.name().map(|n| n.as_str()) == Some("containerInsights"))
        .unwrap();
    assert_eq!(insights.value(), Some("enabled"));
    assert_eq!(c.tags()[0].key(), Some("Team"));

    // A second create of the same name is refused: it could re-set or re-tag a cluster.
    let e = err_in(
        &d,
        TOOL,
        json!({"action": "create_ecs_cluster", "cluster": "apps", "tags": {"Team": "other"}}),
    )
    .await;
    assert_eq!(e["error"], "precondition_failed", "{e}");

    let list = ok(&d, json!({"action": "list_clusters", "platform": "ecs"})).await;
    let clusters = list["data"]["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 1, "{list}");
    assert_eq!(clusters[0]["name"], "apps");
    assert_eq!(clusters[0]["container_insights"], "enabled");

    // Deleting asks for confirmation, then moto holds the cluster as INACTIVE.
    confirmed_in(
        &d,
        TOOL,
        json!({"action": "delete_ecs_cluster", "cluster": "apps"}),
    )
    .await;
    let c = ecs(&m)
        .describe_clusters()
        .clusters("apps")
        .send()
        .await
        .unwrap();
    assert_eq!(c.clusters()[0].status(), Some("INACTIVE"));
}

#[tokio::test]
async fn deploy_scale_rollback_and_delete_a_service() {
    let m = moto().await;
    let d = m.dispatcher();
    let (nets, sg) = network(&m).await;
    ok(
        &d,
        json!({"action": "create_ecs_cluster", "cluster": "apps"}),
    )
    .await;

    // A service needs subnets when it is created.
    let e = err_in(
        &d,
        TOOL,
        json!({"action": "deploy_service", "cluster": "apps", "service": "web",
               "image": "nginx:1.27", "execution_role_arn": EXEC_ROLE}),
    )
    .await;
    assert!(e["message"].as_str().unwrap().contains("subnets"), "{e}");
    // Fargate sizes are checked before anything is sent.
    let e = err_in(
        &d,
        TOOL,
        json!({"action": "deploy_service", "cluster": "apps", "service": "web",
               "image": "nginx:1.27", "execution_role_arn": EXEC_ROLE, "cpu": 256,
               "memory": 4096, "subnets": nets}),
    )
    .await;
    assert!(
        e["message"].as_str().unwrap().contains("does not fit"),
        "{e}"
    );

    let v = ok(
        &d,
        json!({"action": "deploy_service", "cluster": "apps", "service": "web",
               "image": "nginx:1.27", "cpu": 512, "memory": 1024, "port": 8080,
               "environment": {"MODE": "blue", "API_KEY": "s3cr3t-value"},
               "desired_count": 2, "subnets": nets, "security_groups": [sg],
               "execution_role_arn": EXEC_ROLE,
               "tags": {"Team": "web"}}),
    )
    .await;
    assert_eq!(v["data"]["task_definition"], "web:1", "{v}");
    assert_eq!(v["data"]["created"], true);
    // Environment values never come back (they may be secrets).
    assert!(!v.to_string().contains("s3cr3t-value"), "{v}");

    let s = held(&m, "apps", "web").await;
    assert_eq!(s.desired_count(), 2);
    assert!(s.task_definition().unwrap().ends_with("web:1"));
    assert_eq!(s.launch_type(), Some(&LaunchType::Fargate));
    let net = s
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration())
        .unwrap();
    assert_eq!(net.subnets(), nets.as_slice());
    let td = ecs(&m)
        .describe_task_definition()
        .task_definition("web:1")
        .send()
        .await
        .unwrap();
    let td = td.task_definition().unwrap();
    assert_eq!(td.cpu(), Some("512"));
    assert_eq!(td.memory(), Some("1024"));
    assert_eq!(td.execution_role_arn(), Some(EXEC_ROLE));
    let c = &td.container_definitions()[0];
    assert_eq!(c.image(), Some("nginx:1.27"));
    assert_eq!(c.port_mappings()[0].container_port(), Some(8080));
    let env: Vec<(&str, &str)> = c
        .environment()
        .iter()
        .map(|e| (e.name().unwrap(), e.value().unwrap()))
        .collect();
    assert!(env.contains(&("MODE", "blue")), "{env:?}");
    let log = c.log_configuration().unwrap();
    assert_eq!(log.log_driver().as_str(), "awslogs");
    let opts = log.options().unwrap();
    assert_eq!(opts["awslogs-group"], "/ecs/apps/web");
    assert_eq!(opts["awslogs-region"], REGION);
    // The log group exists, tagged like the service.
    let groups = logs(&m)
        .describe_log_groups()
        .log_group_name_prefix("/ecs/apps/web")
        .send()
        .await
        .unwrap();
    assert_eq!(groups.log_groups().len(), 1);

    // A second deploy registers revision 2 and updates the service.
    let v = ok(
        &d,
        json!({"action": "deploy_service", "cluster": "apps", "service": "web",
               "image": "nginx:1.28", "port": 8080, "execution_role_arn": EXEC_ROLE}),
    )
    .await;
    assert_eq!(v["data"]["task_definition"], "web:2", "{v}");
    assert_eq!(v["data"]["created"], false);
    let s = held(&m, "apps", "web").await;
    assert!(s.task_definition().unwrap().ends_with("web:2"), "{s:?}");
    let breaker = s
        .deployment_configuration()
        .and_then(|c| c.deployment_circuit_breaker())
        .expect("the circuit breaker is set");
    assert!(breaker.enable() && breaker.rollback());

    let v = ok(
        &d,
        json!({"action": "list_task_definitions", "family": "web"}),
    )
    .await;
    let revs: Vec<i64> = v["data"]["task_definitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["revision"].as_i64().unwrap())
        .collect();
    assert_eq!(revs, vec![2, 1], "{v}");

    // Scale: moto holds the new desired count.
    ok(
        &d,
        json!({"action": "scale_service", "cluster": "apps", "service": "web",
               "desired_count": 5}),
    )
    .await;
    assert_eq!(held(&m, "apps", "web").await.desired_count(), 5);

    // Roll back: to the revision before the current one.
    let v = ok(
        &d,
        json!({"action": "rollback_service", "cluster": "apps", "service": "web"}),
    )
    .await;
    assert_eq!(
        (v["data"]["from"].clone(), v["data"]["to"].clone()),
        (json!("web:2"), json!("web:1"))
    );
    assert!(
        held(&m, "apps", "web")
            .await
            .task_definition()
            .unwrap()
            .ends_with("web:1")
    );
    // There is nothing before revision 1.
    let e = err_in(
        &d,
        TOOL,
        json!({"action": "rollback_service", "cluster": "apps", "service": "web"}),
    )
    .await;
    assert_eq!(e["error"], "precondition_failed", "{e}");
    // A named revision.
    ok(
        &d,
        json!({"action": "rollback_service", "cluster": "apps", "service": "web",
               "task_definition": "web:2"}),
    )
    .await;
    assert!(
        held(&m, "apps", "web")
            .await
            .task_definition()
            .unwrap()
            .ends_with("web:2")
    );

    let v = ok(
        &d,
        json!({"action": "describe_service", "cluster": "apps", "service": "web"}),
    )
    .await;
    assert_eq!(v["data"]["desired"], 5, "{v}");
    assert_eq!(v["data"]["task_definition"], "web:2");
    assert!(!v["data"]["deployments"].as_array().unwrap().is_empty());
    let v = ok(&d, json!({"action": "list_services", "cluster": "apps"})).await;
    assert_eq!(v["data"]["services"][0]["service"], "web", "{v}");
    assert_eq!(v["data"]["services"][0]["desired"], 5);

    // The cluster cannot be deleted while it has the service.
    let e = match crate::harness::try_confirmed_in(
        &d,
        TOOL,
        json!({"action": "delete_ecs_cluster", "cluster": "apps"}),
    )
    .await
    {
        Ok(v) => panic!("deleting a cluster with a service should fail: {v}"),
        Err(e) => e,
    };
    assert_eq!(e["error"], "precondition_failed", "{e}");
    assert_eq!(e["details"]["services"], 1, "{e}");

    // Deleting the service: confirmation, then moto no longer holds it as active.
    let v = confirmed_in(
        &d,
        TOOL,
        json!({"action": "delete_service", "cluster": "apps", "service": "web"}),
    )
    .await;
    assert_eq!(v["data"]["task_definition"], "web:2", "{v}");
    assert_ne!(held(&m, "apps", "web").await.status(), Some("ACTIVE"));
}

#[tokio::test]
async fn tasks_are_listed_and_stopped_and_service_logs_read_newest_first() {
    let m = moto().await;
    let d = m.dispatcher();
    let (nets, sg) = network(&m).await;
    ok(
        &d,
        json!({"action": "create_ecs_cluster", "cluster": "apps"}),
    )
    .await;
    ok(
        &d,
        json!({"action": "deploy_service", "cluster": "apps", "service": "api",
               "image": "api:1", "port": 80, "subnets": nets, "security_groups": [sg],
               "execution_role_arn": EXEC_ROLE}),
    )
    .await;
    // moto starts no tasks for services: run two as the service would (from a task
    // definition with container memory, which moto's run_task needs).
    ecs(&m)
        .register_task_definition()
        .family("api-runner")
        .container_definitions(
            aws_sdk_ecs::types::ContainerDefinition::builder()
                .name("api")
                .image("api:1")
                .memory(512)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let run = ecs(&m)
        .run_task()
        .cluster("apps")
        .task_definition("api-runner:1")
        .count(2)
        .launch_type(LaunchType::Fargate)
        .group("service:api")
        .send()
        .await
        .unwrap();
    let task = run.tasks()[0]
        .task_arn()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();

    let v = ok(&d, json!({"action": "list_tasks", "cluster": "apps"})).await;
    let tasks = v["data"]["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 2, "{v}");
    assert_eq!(tasks[0]["task_definition"], "api-runner:1");
    assert_eq!(tasks[0]["group"], "service:api");

    let v = confirmed_or_ok(
        &d,
        json!({"action": "stop_task", "cluster": "apps", "task": task, "reason": "stuck"}),
    )
    .await;
    assert!(
        v["summary"].as_str().unwrap().contains("replacement"),
        "{v}"
    );
    let t = ecs(&m)
        .describe_tasks()
        .cluster("apps")
        .tasks(&task)
        .send()
        .await
        .unwrap();
    assert_eq!(t.tasks()[0].desired_status(), Some("STOPPED"));
    assert_eq!(t.tasks()[0].stopped_reason(), Some("stuck"));

    // Logs: events in the service's streams, one of them old and one in another stream
    // prefix that is not the service's container.
    let cw = logs(&m);
    let now = jiff::Timestamp::now().as_millisecond();
    for (stream, events) in [
        (
            format!("ecs/api/{task}"),
            vec![
                (now - 3 * 3_600_000, "ERROR too old"),
                (now - 120_000, "INFO started"),
                (now - 60_000, "ERROR db timeout"),
                (now - 30_000, "ERROR cache miss"),
            ],
        ),
        (
            "other/x/1".to_string(),
            vec![(now - 10_000, "ERROR not ours")],
        ),
    ] {
        cw.create_log_stream()
            .log_group_name("/ecs/apps/api")
            .log_stream_name(&stream)
            .send()
            .await
            .unwrap();
        let mut req = cw
            .put_log_events()
            .log_group_name("/ecs/apps/api")
            .log_stream_name(&stream);
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
    let v = ok(
        &d,
        json!({"action": "get_service_logs", "cluster": "apps", "service": "api",
               "filter": "ERROR"}),
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
        vec!["ERROR cache miss", "ERROR db timeout"],
        "{v}"
    );
    assert_eq!(v["data"]["events"][0]["task"], task.as_str());
    // Bounded: max_results keeps the newest.
    let v = ok(
        &d,
        json!({"action": "get_service_logs", "cluster": "apps", "service": "api",
               "max_results": 1}),
    )
    .await;
    let events = v["data"]["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{v}");
    assert_eq!(events[0]["message"], "ERROR cache miss");
}

/// Runs a call, repeating it with its confirmation token when it asks for one.
async fn confirmed_or_ok(d: &Dispatcher, args: Value) -> Value {
    let v = ok(d, args.clone()).await;
    if v["status"] != "confirmation_required" {
        return v;
    }
    let mut with = args;
    with["confirm_token"] = v["confirm_token"].clone();
    ok(d, with).await
}

#[tokio::test]
async fn eks_cluster_nodegroup_and_fargate_profile() {
    let m = moto().await;
    let d = m.dispatcher();
    let (nets, _) = network(&m).await;
    let role = "arn:aws:iam::123456789012:role/eks";
    ok(
        &d,
        json!({"action": "create_eks_cluster", "cluster": "k8s", "version": "1.31",
               "role_arn": role, "subnets": nets, "tags": {"Team": "platform"}}),
    )
    .await;
    ok(
        &d,
        json!({"action": "create_eks_nodegroup", "cluster": "k8s", "nodegroup": "general",
               "node_role_arn": role, "subnets": nets, "instance_types": ["m5.large"],
               "min_size": 2, "max_size": 6, "desired_size": 3}),
    )
    .await;
    ok(
        &d,
        json!({"action": "create_fargate_profile", "cluster": "k8s", "profile": "batch",
               "pod_execution_role_arn": role, "namespaces": ["batch", "jobs"],
               "subnets": [nets[0]]}),
    )
    .await;
    let eks: aws_sdk_eks::Client = client!(aws_sdk_eks, m);
    let c = eks.describe_cluster().name("k8s").send().await.unwrap();
    let c = c.cluster().unwrap();
    assert_eq!(c.version(), Some("1.31"));
    assert_eq!(c.role_arn(), Some(role));
    assert_eq!(c.tags().unwrap()["Team"], "platform");
    let n = eks
        .describe_nodegroup()
        .cluster_name("k8s")
        .nodegroup_name("general")
        .send()
        .await
        .unwrap();
    let n = n.nodegroup().unwrap();
    assert_eq!(n.instance_types(), ["m5.large"]);
    let s = n.scaling_config().unwrap();
    assert_eq!(
        (s.min_size(), s.desired_size(), s.max_size()),
        (Some(2), Some(3), Some(6))
    );
    let f = eks
        .describe_fargate_profile()
        .cluster_name("k8s")
        .fargate_profile_name("batch")
        .send()
        .await
        .unwrap();
    let namespaces: Vec<&str> = f
        .fargate_profile()
        .unwrap()
        .selectors()
        .iter()
        .filter_map(|s| s.namespace())
        .collect();
    assert_eq!(namespaces, ["batch", "jobs"]);

    let v = ok(
        &d,
        json!({"action": "describe_eks_cluster", "cluster": "k8s"}),
    )
    .await;
    assert_eq!(v["data"]["version"], "1.31", "{v}");
    assert_eq!(v["data"]["nodegroups"][0]["scaling"]["desired"], 3);
    assert_eq!(v["data"]["fargate_profiles"][0]["profile"], "batch");
    let v = ok(&d, json!({"action": "list_clusters"})).await;
    let eks_listed: Vec<&Value> = v["data"]["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["platform"] == "eks")
        .collect();
    assert_eq!(eks_listed.len(), 1, "{v}");
    assert_eq!(eks_listed[0]["nodegroups"], 1);

    // A cluster with a node group and a profile cannot be deleted; moto keeps it.
    let e = match crate::harness::try_confirmed_in(
        &d,
        TOOL,
        json!({"action": "delete_eks_cluster", "cluster": "k8s"}),
    )
    .await
    {
        Ok(v) => panic!("should be refused: {v}"),
        Err(e) => e,
    };
    assert_eq!(e["error"], "precondition_failed", "{e}");
    assert_eq!(e["details"]["nodegroups"], json!(["general"]));
    assert!(eks.describe_cluster().name("k8s").send().await.is_ok());
    // Without them, it goes.
    eks.delete_nodegroup()
        .cluster_name("k8s")
        .nodegroup_name("general")
        .send()
        .await
        .unwrap();
    eks.delete_fargate_profile()
        .cluster_name("k8s")
        .fargate_profile_name("batch")
        .send()
        .await
        .unwrap();
    confirmed_in(
        &d,
        TOOL,
        json!({"action": "delete_eks_cluster", "cluster": "k8s"}),
    )
    .await;
    assert!(
        eks.list_clusters()
            .send()
            .await
            .unwrap()
            .clusters()
            .is_empty()
    );
}

#[tokio::test]
async fn ecr_repository_lifecycle_images_and_push_commands() {
    let m = moto().await;
    let d = m.dispatcher();
    ok(
        &d,
        json!({"action": "create_repository", "repository": "team/api", "keep_images": 10}),
    )
    .await;
    let ecr: aws_sdk_ecr::Client = client!(aws_sdk_ecr, m);
    let r = ecr
        .describe_repositories()
        .repository_names("team/api")
        .send()
        .await
        .unwrap();
    let r = &r.repositories()[0];
    assert_eq!(r.image_tag_mutability().unwrap().as_str(), "IMMUTABLE");
    assert!(r.image_scanning_configuration().unwrap().scan_on_push());
    let policy = ecr
        .get_lifecycle_policy()
        .repository_name("team/api")
        .send()
        .await
        .unwrap();
    let policy: Value = serde_json::from_str(policy.lifecycle_policy_text().unwrap()).unwrap();
    assert_eq!(
        policy["rules"][0]["selection"]["countNumber"], 10,
        "{policy}"
    );
    assert_eq!(policy["rules"][0]["action"]["type"], "expire");

    // A name in use is refused.
    let e = err_in(
        &d,
        TOOL,
        json!({"action": "create_repository", "repository": "team/api"}),
    )
    .await;
    assert_eq!(e["error"], "precondition_failed", "{e}");

    // Images pushed through moto's API.
    for (tag, layer) in [("v1", "a"), ("v2", "b")] {
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                       "size": 7023, "digest": format!("sha256:{}", layer.repeat(64))},
            "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                        "size": 32654, "digest": format!("sha256:{}", layer.repeat(64))}]
        });
        ecr.put_image()
            .repository_name("team/api")
            .image_manifest(manifest.to_string())
            .image_tag(tag)
            .send()
            .await
            .unwrap();
    }
    let v = ok(
        &d,
        json!({"action": "list_images", "repository": "team/api"}),
    )
    .await;
    let images = v["data"]["images"].as_array().unwrap();
    assert_eq!(images.len(), 2, "{v}");
    let mut tags: Vec<&str> = images
        .iter()
        .flat_map(|i| i["tags"].as_array().unwrap())
        .map(|t| t.as_str().unwrap())
        .collect();
    tags.sort();
    assert_eq!(tags, ["v1", "v2"]);
    assert!(images[0]["digest"].as_str().unwrap().starts_with("sha256:"));

    let v = ok(&d, json!({"action": "list_repositories"})).await;
    assert_eq!(
        v["data"]["repositories"][0]["repository"], "team/api",
        "{v}"
    );

    let v = ok(
        &d,
        json!({"action": "get_push_commands", "repository": "team/api", "tag": "v3",
               "local_image": "api:dev"}),
    )
    .await;
    let uri = r.repository_uri().unwrap();
    let commands: Vec<&str> = v["data"]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let registry = uri.split('/').next().unwrap();
    assert_eq!(
        commands,
        [
            format!(
                "aws ecr get-login-password --region {REGION} | docker login --username AWS \
                 --password-stdin {registry}"
            ),
            format!("docker tag api:dev {uri}:v3"),
            format!("docker push {uri}:v3"),
        ]
    );
    assert!(v["data"]["token_expires_at"].is_string(), "{v}");
    // The registry password itself is never in the result.
    let token = ecr.get_authorization_token().send().await.unwrap();
    let secret = token.authorization_data()[0].authorization_token().unwrap();
    assert!(!v.to_string().contains(secret), "{v}");
    // Shell metacharacters cannot reach the commands.
    let e = err_in(
        &d,
        TOOL,
        json!({"action": "get_push_commands", "repository": "team/api",
               "local_image": "x; rm -rf ~"}),
    )
    .await;
    assert_eq!(e["error"], "invalid_input", "{e}");
}

#[tokio::test]
async fn containers_read_only_mode_exposes_only_the_reads() {
    let m = moto().await;
    let (d, reads) = crate::harness::read_only_reads(&m, TOOL);
    assert_eq!(reads.len(), 10, "{reads:?}");
    let e = err_in(
        &d,
        TOOL,
        json!({"action": "create_ecs_cluster", "cluster": "apps"}),
    )
    .await;
    assert_eq!(e["error"], "refused", "{e}");
    assert!(
        ecs(&m)
            .list_clusters()
            .send()
            .await
            .unwrap()
            .cluster_arns()
            .is_empty()
    );
    // Reads work.
    ok(&d, json!({"action": "list_clusters"})).await;
}

/// A production cluster with an untagged service and a task of it; an untagged cluster with a
/// production service and its task.
async fn production_fixture(m: &Moto) {
    let client = ecs(m);
    let tag = |k: &str, v: &str| EcsTag::builder().key(k).value(v).build();
    client
        .create_cluster()
        .cluster_name("prod")
        .tags(tag("Environment", "production"))
        .send()
        .await
        .unwrap();
    client
        .create_cluster()
        .cluster_name("shared")
        .send()
        .await
        .unwrap();
    let td = client
        .register_task_definition()
        .family("app")
        .container_definitions(
            aws_sdk_ecs::types::ContainerDefinition::builder()
                .name("app")
                .image("app:1")
                .memory(512)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let td = td
        .task_definition()
        .unwrap()
        .task_definition_arn()
        .unwrap()
        .to_string();
    for (cluster, service, tags) in [
        ("prod", "web", vec![]),
        ("shared", "payments", vec![tag("Environment", "production")]),
        ("shared", "sandbox", vec![tag("Environment", "development")]),
    ] {
        client
            .create_service()
            .cluster(cluster)
            .service_name(service)
            .task_definition(&td)
            .desired_count(1)
            .set_tags(Some(tags))
            .send()
            .await
            .unwrap();
    }
}

async fn task_of(m: &Moto, cluster: &str, group: &str) -> String {
    let run = ecs(m)
        .run_task()
        .cluster(cluster)
        .task_definition("app:1")
        .launch_type(LaunchType::Fargate)
        .group(group)
        .send()
        .await
        .unwrap();
    run.tasks()[0]
        .task_arn()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_production_service_is_found_through_its_cluster_or_its_task() {
    let m = moto().await;
    let d = m.dispatcher();
    production_fixture(&m).await;

    // An untagged service in a production cluster: scaling it to 0 is production, high.
    let (env, risk, decision) = verdict(
        &d,
        json!({"action": "scale_service", "cluster": "prod", "service": "web",
               "desired_count": 0}),
    )
    .await;
    assert_eq!(env, "production");
    assert_eq!(risk, "high");
    assert_ne!(decision, "allow");
    // Scaling it to 3 is production too, but the scale-to-0 flag does not apply.
    let (env, risk, _) = verdict(
        &d,
        json!({"action": "scale_service", "cluster": "prod", "service": "web",
               "desired_count": 3}),
    )
    .await;
    assert_eq!((env, risk), (json!("production"), json!("medium")));
    // A deploy or a rollback in production is high.
    let (env, risk, _) = verdict(
        &d,
        json!({"action": "rollback_service", "cluster": "shared", "service": "payments"}),
    )
    .await;
    assert_eq!((env, risk), (json!("production"), json!("high")));
    let (env, risk, _) = verdict(
        &d,
        json!({"action": "rollback_service", "cluster": "shared", "service": "sandbox"}),
    )
    .await;
    assert_eq!((env, risk), (json!("development"), json!("medium")));

    // A task of the production service in an untagged cluster, the task itself untagged.
    let task = task_of(&m, "shared", "service:payments").await;
    let (env, risk, _) = verdict(
        &d,
        json!({"action": "stop_task", "cluster": "shared", "task": task}),
    )
    .await;
    assert_eq!((env, risk), (json!("production"), json!("high")));
    // A task in the production cluster.
    let task = task_of(&m, "prod", "family:app").await;
    let (env, _, _) = verdict(
        &d,
        json!({"action": "stop_task", "cluster": "prod", "task": task}),
    )
    .await;
    assert_eq!(env, "production");
    // A sandbox task is development.
    let task = task_of(&m, "shared", "service:sandbox").await;
    let (env, _, _) = verdict(
        &d,
        json!({"action": "stop_task", "cluster": "shared", "task": task}),
    )
    .await;
    assert_eq!(env, "development");

    // Deleting the production service for real is held for people; moto keeps it.
    let held_call = call(
        &d,
        TOOL,
        json!({"action": "delete_service", "cluster": "prod", "service": "web"}),
    )
    .await;
    match held_call {
        Ok(v) => assert_eq!(v["status"], "pending_approval", "{v}"),
        Err(e) => assert!(
            e["message"].as_str().unwrap().contains("change request"),
            "{e}"
        ),
    }
    assert_eq!(held(&m, "prod", "web").await.status(), Some("ACTIVE"));
}

#[tokio::test]
async fn a_failed_tag_lookup_refuses_the_mutating_call() {
    let m = moto().await;
    production_fixture(&m).await;
    let p = proxy(&m).await;
    let d = via(&m, &p, 1, false);
    p.fault("DescribeServices", Fault::Deny);
    let e = err_in(
        &d,
        TOOL,
        json!({"action": "scale_service", "cluster": "shared", "service": "sandbox",
               "desired_count": 0}),
    )
    .await;
    assert_eq!(e["error"], "refused", "{e}");
    assert!(
        e["message"].as_str().unwrap().contains("could not be read"),
        "{e}"
    );
    p.clear();
    p.fault("DescribeTasks", Fault::Throttle);
    let task = task_of(&m, "shared", "service:sandbox").await;
    let e = err_in(
        &d,
        TOOL,
        json!({"action": "stop_task", "cluster": "shared", "task": task}),
    )
    .await;
    assert_eq!(e["error"], "refused", "{e}");
    p.clear();
    p.fault("eks:DescribeCluster", Fault::Deny);
    let e = err_in(
        &d,
        TOOL,
        json!({"action": "delete_eks_cluster", "cluster": "k8s"}),
    )
    .await;
    assert_eq!(e["error"], "refused", "{e}");
    p.clear();
    p.fault("ListTagsForResource", Fault::Deny);
    let ecr: aws_sdk_ecr::Client = client!(aws_sdk_ecr, m);
    ecr.create_repository()
        .repository_name("api")
        .send()
        .await
        .unwrap();
    // A read is not refused for it; a mutating call naming the repository would be.
    ok_in(
        &d,
        TOOL,
        json!({"action": "list_images", "repository": "api"}),
    )
    .await;
    // Nothing was changed: the sandbox service still wants its task.
    assert_eq!(held(&m, "shared", "sandbox").await.desired_count(), 1);
    let writes: Vec<String> = p
        .seen()
        .into_iter()
        .filter(|s| !espada_aws::aws::guard::is_read_operation(&s.operation))
        .map(|s| format!("{}:{}", s.service, s.operation))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
}
