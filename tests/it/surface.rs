//! The surface as clients meet it: the size of `tools/list`, the client configs the README
//! hands out, what reaches stderr, and messages a client sends out of order.

use std::path::Path;

use espada_aws::{dispatch::Dispatcher, server, settings::Settings};
use serde_json::{Value, json};

use crate::harness::{StdioServer, moto, temp_state};

/// Bytes of `tools/list` a client pays in every conversation, averaged over actions.
const MAX_BYTES_PER_ACTION: usize = 240;
/// And for every tool together.
const MAX_TOTAL_BYTES: usize = 96 * 1024;

fn dispatcher(read_only: bool) -> Dispatcher {
    Dispatcher::new(&Settings {
        read_only,
        state: Some(":memory:".into()),
        ..Settings::default()
    })
    .unwrap()
}

/// The compact JSON of each tool definition and its exposed action count.
fn sizes(d: &Dispatcher) -> Vec<(String, usize, usize)> {
    server::tool_definitions(d)
        .iter()
        .map(|t| {
            let bytes = serde_json::to_vec(t).unwrap().len();
            let actions = t.input_schema["properties"]["action"]["enum"]
                .as_array()
                .map_or(0, Vec::len);
            (t.name.to_string(), bytes, actions)
        })
        .collect()
}

#[test]
fn tools_list_stays_within_its_budget() {
    for read_only in [false, true] {
        let d = dispatcher(read_only);
        let per_tool = sizes(&d);
        let total: usize = per_tool.iter().map(|t| t.1).sum();
        let actions: usize = per_tool.iter().map(|t| t.2).sum();
        let mode = if read_only { "read-only" } else { "full" };
        for (name, bytes, n) in &per_tool {
            println!(
                "{mode} {name}: {bytes} B, {n} actions, {} B/action",
                bytes / n
            );
        }
        println!(
            "{mode} total: {total} B, {actions} actions, {} B/action",
            total / actions
        );
        assert!(
            total <= MAX_TOTAL_BYTES,
            "{mode} tools/list is {total} B, over {MAX_TOTAL_BYTES}"
        );
        assert!(
            total <= MAX_BYTES_PER_ACTION * actions,
            "{mode} tools/list is {} B per action, over {MAX_BYTES_PER_ACTION}",
            total / actions
        );
    }
}

#[test]
fn descriptions_list_exactly_the_exposed_actions() {
    for read_only in [false, true] {
        let d = dispatcher(read_only);
        for t in server::tool_definitions(&d) {
            let description = t.description.as_deref().unwrap_or_default();
            let enumerated: Vec<&str> = t.input_schema["properties"]["action"]["enum"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            let lines: Vec<&str> = description
                .lines()
                .skip(1)
                .map(|l| l.split('(').next().unwrap())
                .collect();
            assert_eq!(lines, enumerated, "{} (read_only {read_only})", t.name);
            assert!(!description.contains("Used by"), "{}", t.name);
        }
    }
}

/// The client configs a new user copies: `mcp.json.example` and every JSON block of the README
/// with `mcpServers`, started exactly as written (their `args` and `env`, nothing else but PATH
/// and a HOME with no AWS files), must answer `initialize` and `tools/list`.
#[test]
fn the_documented_client_configs_start_the_server() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut configs: Vec<(String, Value)> = vec![(
        "mcp.json.example".into(),
        serde_json::from_str(&std::fs::read_to_string(root.join("mcp.json.example")).unwrap())
            .expect("mcp.json.example is JSON"),
    )];
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    for (i, block) in readme.split("```json\n").skip(1).enumerate() {
        let text = block.split("```").next().unwrap();
        if text.contains("mcpServers") {
            configs.push((
                format!("README json block {i}"),
                serde_json::from_str(text).unwrap_or_else(|e| panic!("README block {i}: {e}")),
            ));
        }
    }
    // `claude mcp add NAME -e K=V ... -- espada-aws serve` lines.
    for line in readme.lines().filter(|l| l.starts_with("claude mcp add")) {
        let (head, cmd) = line.split_once(" -- ").unwrap();
        let words: Vec<&str> = head.split_whitespace().collect();
        let env: serde_json::Map<String, Value> = words
            .windows(2)
            .filter(|w| w[0] == "-e")
            .map(|w| {
                let (k, v) = w[1].split_once('=').unwrap();
                (k.to_string(), json!(v))
            })
            .collect();
        let mut parts = cmd.split_whitespace();
        parts.next();
        let args: Vec<&str> = parts.collect();
        configs.push((
            line.to_string(),
            json!({"mcpServers": {"espada-aws": {"command": "espada-aws", "args": args, "env": env}}}),
        ));
    }
    assert!(configs.len() >= 3, "found {} configs", configs.len());
    let home = temp_state().with_extension("home");
    std::fs::create_dir_all(&home).unwrap();
    for (name, config) in configs {
        for (server_name, entry) in config["mcpServers"].as_object().unwrap() {
            let args: Vec<&str> = entry["args"]
                .as_array()
                .map(|a| a.iter().map(|v| v.as_str().unwrap()).collect())
                .unwrap_or_default();
            let env: Vec<(&str, &str)> = entry["env"]
                .as_object()
                .map(|e| {
                    e.iter()
                        .map(|(k, v)| (k.as_str(), v.as_str().unwrap()))
                        .collect()
                })
                .unwrap_or_default();
            let mut s = StdioServer::spawn_exactly(
                env!("CARGO_BIN_EXE_espada-aws"),
                &args,
                home.to_str().unwrap(),
                &env,
            );
            let init = s.initialize();
            assert!(
                init.contains("\"serverInfo\""),
                "{name} ({server_name}) did not answer initialize: {init}\nstderr: {}",
                s.stderr()
            );
            let list = s.request(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}));
            assert!(list.contains("aws_ec2"), "{name}: {list}");
            if env.iter().any(|(k, _)| *k == "ESPADA_READ_ONLY") {
                let list: Value = serde_json::from_str(&list).unwrap();
                let ec2 = list["result"]["tools"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|t| t["name"] == "aws_ec2")
                    .unwrap();
                let actions = ec2["inputSchema"]["properties"]["action"]["enum"].to_string();
                assert!(
                    !actions.contains("terminate_instances"),
                    "{name} sets ESPADA_READ_ONLY but write actions are listed"
                );
            }
        }
    }
}

/// Tool arguments and results carry private keys, user data and object bodies: none of it may
/// reach stderr at any log level (rmcp logs whole messages at debug).
#[tokio::test]
async fn logs_carry_no_payloads_at_any_level() {
    let m = moto().await;
    for level in ["debug", "trace"] {
        let mut s = StdioServer::spawn(
            env!("CARGO_BIN_EXE_espada-aws"),
            &[
                ("ESPADA_LOG", level),
                ("AWS_ENDPOINT_URL", &m.url),
                ("AWS_REGION", "us-east-1"),
                ("AWS_ACCESS_KEY_ID", "testing"),
                ("AWS_SECRET_ACCESS_KEY", "testing"),
                ("AWS_EC2_METADATA_DISABLED", "true"),
            ],
        );
        s.initialize();
        let key_name = format!("log-check-{level}");
        let r = s.request(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": {"name": "aws_ec2", "arguments": {"action": "create_key_pair",
                "key_name": key_name}}}));
        let outer: Value = serde_json::from_str(&r).unwrap();
        let text = outer["result"]["content"][0]["text"].as_str().unwrap();
        let result: Value = serde_json::from_str(text).unwrap();
        let private_key = result["data"]["private_key"].as_str().unwrap_or_else(|| {
            panic!("no key: {result}");
        });
        let marker = format!("USERDATA-MARKER-{level}");
        s.request(&json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
            "params": {"name": "aws_ec2", "arguments": {"action": "create_instances",
                "image_id": crate::harness::AMI, "user_data": marker}}}));
        let stderr = s.stderr();
        assert!(
            stderr.contains("tool call"),
            "{level}: the log should show the calls happened: {stderr}"
        );
        // Any 40-character run of the key's base64 body would betray it.
        let body: String = private_key
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        for chunk in body
            .as_bytes()
            .chunks(40)
            .map(|c| std::str::from_utf8(c).unwrap())
        {
            assert!(!stderr.contains(chunk), "{level}: key material in stderr");
        }
        assert!(!stderr.contains("PRIVATE KEY"), "{level}: key in stderr");
        assert!(!stderr.contains(&marker), "{level}: user data in stderr");
    }
}

/// A notification, a response or a malformed message before `initialize` is logged and
/// dropped; the server then initializes and works.
#[test]
fn messages_before_initialize_do_not_end_the_session() {
    let mut s = StdioServer::spawn(env!("CARGO_BIN_EXE_espada-aws"), &[]);
    s.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    s.send(
        &json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
        "params": {"requestId": 9}}),
    );
    s.send(&json!({"jsonrpc": "2.0", "id": 77, "result": {}}));
    let init = s.initialize();
    assert!(init.contains("\"serverInfo\""), "{init}\n{}", s.stderr());
    let list = s.request(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}));
    assert!(list.contains("aws_ec2"), "{list}");
    // Well-formed JSON that is no JSON-RPC message gets an error. (rmcp leaves out `id` when it
    // cannot read one, as MCP 2026-07-28 allows.)
    let bad = s.request(&json!({"jsonrpc": "2.0", "id": 5, "method": 42}));
    let bad: Value = serde_json::from_str(&bad).unwrap();
    assert_eq!(bad["error"]["code"], -32600, "{bad}");
    let list = s.request(&json!({"jsonrpc": "2.0", "id": 3, "method": "tools/list"}));
    assert!(list.contains("aws_ec2"), "the session goes on: {list}");
    assert!(s.stderr().contains("before initialize"), "{}", s.stderr());
}

/// No action may declare a field the dispatcher takes for itself (`account`, `regions`, …):
/// it would never reach the action, and the call would go somewhere else than it says.
#[test]
fn no_action_declares_a_common_field() {
    let d = dispatcher(false);
    for tool in d.tools() {
        for a in tool.actions {
            let schema = (a.schema)();
            for field in espada_aws::surface::COMMON_FIELDS {
                assert!(
                    schema["properties"].get(*field).is_none(),
                    "{} {} declares `{field}`, which every call takes for itself",
                    tool.name,
                    a.name
                );
            }
        }
    }
}
