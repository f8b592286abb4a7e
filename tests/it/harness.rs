//! Test harness: one moto server per test process on a free loopback port, reset before each
//! test. Tests that use it run one at a time (they hold the lock), since a reset clears all
//! state.

use std::{
    io::Write,
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::OnceLock,
    time::{Duration, Instant},
};

use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region};
use espada_aws::{
    dispatch::Dispatcher,
    guardrails::{
        Caller,
        environment::{Environment, EnvironmentConfig},
    },
    settings::Settings,
};
use serde_json::{Map, Value};
use tokio::sync::{Mutex, MutexGuard};

/// A plain SDK client of crate `$sdk` for moto at `$url` in `$region`, to check what moto holds.
macro_rules! moto_client {
    ($sdk:ident, $url:expr, $region:expr) => {
        $sdk::Client::from_conf(
            $sdk::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new($region.to_string()))
                .endpoint_url($url)
                .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
                .build(),
        )
    };
}

/// A plain SDK client of crate `$sdk` for the moto `$m`, in [`REGION`]: what the tool tests
/// check moto with.
macro_rules! client {
    ($sdk:ident, $m:expr) => {
        $sdk::Client::from_conf(
            $sdk::Config::builder()
                .behavior_version($sdk::config::BehaviorVersion::latest())
                .region($sdk::config::Region::new($crate::harness::REGION))
                .endpoint_url(&$m.url)
                .credentials_provider($sdk::config::Credentials::new(
                    "testing", "testing", None, None, "test",
                ))
                .build(),
        )
    };
}
pub(crate) use client;

pub const REGION: &str = "us-east-1";
/// An Amazon AMI that moto ships.
pub const AMI: &str = "ami-03cf127a";

struct Server {
    url: String,
    // Holding the child keeps its stdin open; when the test process exits the pipe closes and
    // the wrapper stops moto.
    _child: Child,
}

static SERVER: OnceLock<Server> = OnceLock::new();
static LOCK: Mutex<()> = Mutex::const_new(());

/// The Python with moto and the mcp SDK: ESPADA_TEST_PYTHON, else the venv `.ci/run` makes.
pub fn python() -> PathBuf {
    if let Ok(p) = std::env::var("ESPADA_TEST_PYTHON") {
        return p.into();
    }
    let venv = PathBuf::from(std::env::var("HOME").unwrap_or_default())
        .join(".cache/espada-aws/venv/bin/python");
    if venv.exists() {
        venv
    } else {
        "python3".into()
    }
}

const WRAPPER: &str = r#"
import subprocess, sys
p = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", sys.argv[1]],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    sys.stdin.read()
finally:
    p.terminate()
"#;

fn start() -> Server {
    // Static credentials and no IMDS, so the SDK's default chain never leaves loopback. Set once,
    // before any test builds an AWS config.
    unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        std::env::remove_var("AWS_PROFILE");
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(python())
        .args(["-c", WRAPPER, &port.to_string()])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start moto with {:?}: {e}; run `bash .ci/run` once to install it",
                python()
            )
        });
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "moto did not start on {url} within 30 s (is moto[server] installed for {:?}?)",
            python()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Server { url, _child: child }
}

/// A reset moto, held exclusively for the life of this value.
pub struct Moto {
    pub url: String,
    _guard: MutexGuard<'static, ()>,
}

pub async fn moto() -> Moto {
    let guard = LOCK.lock().await;
    let url = tokio::task::spawn_blocking(|| SERVER.get_or_init(start).url.clone())
        .await
        .unwrap();
    reset(&url);
    Moto { url, _guard: guard }
}

fn reset(url: &str) {
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "POST /moto-api/reset HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    std::io::Read::read_to_string(&mut s, &mut out).unwrap();
    assert!(
        out.starts_with("HTTP/1.1 200") || out.starts_with("HTTP/1.0 200"),
        "moto reset failed: {out}"
    );
}

/// A fresh guardrails state file for one test.
pub fn temp_state() -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("espada-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("state-{n}.db"));
    let _ = std::fs::remove_file(&path);
    path
}

/// The caller of in-process test calls: an agent.
pub fn agent() -> Caller {
    Caller {
        requester: "agent:test".into(),
        human: None,
    }
}

/// Settings for tests that need no AWS endpoint (nothing listens on port 9).
pub fn offline_settings() -> Settings {
    Settings {
        region: Some(REGION.into()),
        endpoint_url: Some("http://127.0.0.1:9".into()),
        max_attempts: 1,
        state: Some(temp_state()),
        ..Settings::default()
    }
}

/// One HTTP/1.1 request to moto with a fake SigV4 header naming `service` (moto routes JSON and
/// S3 requests by it); returns the raw response.
fn raw(
    url: &str,
    method: &str,
    path: &str,
    service: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> String {
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/{REGION}/{service}/aws4_request, \
         SignedHeaders=host, Signature=00\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    std::io::Read::read_to_string(&mut s, &mut out).unwrap();
    out
}

impl Moto {
    pub fn settings(&self) -> Settings {
        Settings {
            region: Some(REGION.into()),
            endpoint_url: Some(self.url.clone()),
            max_attempts: 1,
            state: Some(temp_state()),
            ..Settings::default()
        }
    }

    /// A dispatcher whose untagged resources count as development, so that tests of tool
    /// behaviour meet only the confirmation step. Guardrails tests use `strict_dispatcher`.
    pub fn dispatcher(&self) -> Dispatcher {
        let d = Dispatcher::new(&self.settings()).unwrap();
        let config = EnvironmentConfig {
            default_environment: Environment::Development,
            ..EnvironmentConfig::default()
        };
        d.guardrails
            .store
            .set_config("environments", &config)
            .unwrap();
        d
    }

    /// A dispatcher with the shipped defaults (unknown environment = production) on a state
    /// file of the test's choosing.
    pub fn strict_dispatcher(&self, state: &std::path::Path) -> Dispatcher {
        Dispatcher::new(&Settings {
            state: Some(state.to_path_buf()),
            ..self.settings()
        })
        .unwrap()
    }

    /// A plain SDK client, to check what moto holds.
    pub fn ec2(&self) -> aws_sdk_ec2::Client {
        self.ec2_in(REGION)
    }

    pub fn ec2_in(&self, region: &str) -> aws_sdk_ec2::Client {
        moto_client!(aws_sdk_ec2, &self.url, region)
    }

    pub fn sns(&self) -> aws_sdk_sns::Client {
        moto_client!(aws_sdk_sns, &self.url, REGION)
    }

    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        moto_client!(aws_sdk_sqs, &self.url, REGION)
    }

    pub fn autoscaling(&self) -> aws_sdk_autoscaling::Client {
        moto_client!(aws_sdk_autoscaling, &self.url, REGION)
    }

    pub fn elbv2(&self) -> aws_sdk_elasticloadbalancingv2::Client {
        moto_client!(aws_sdk_elasticloadbalancingv2, &self.url, REGION)
    }

    /// Creates an S3 bucket in moto with one raw path-style request (the tests link no S3
    /// client); moto does not check the signature.
    pub fn create_bucket(&self, name: &str) {
        let out = raw(&self.url, "PUT", &format!("/{name}"), "s3", &[], "");
        assert!(out.starts_with("HTTP/1.1 200"), "create bucket: {out}");
    }

    /// Requests an ACM certificate in moto (raw JSON-protocol call) and returns its ARN.
    pub fn certificate(&self, domain: &str) -> String {
        let body = format!("{{\"DomainName\": \"{domain}\"}}");
        let out = raw(
            &self.url,
            "POST",
            "/",
            "acm",
            &[
                ("X-Amz-Target", "CertificateManager.RequestCertificate"),
                ("Content-Type", "application/x-amz-json-1.1"),
            ],
            &body,
        );
        let json = out.split("\r\n\r\n").nth(1).unwrap_or_default();
        let v: Value = serde_json::from_str(json).unwrap_or_else(|_| panic!("acm: {out}"));
        v["CertificateArn"].as_str().unwrap().to_string()
    }

    /// A plain S3 client with path-style addressing (moto serves no bucket host names).
    pub fn s3(&self) -> aws_sdk_s3::Client {
        self.s3_in(REGION)
    }

    pub fn s3_in(&self, region: &str) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .endpoint_url(&self.url)
            .force_path_style(true)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    /// A plain CloudFront client.
    pub fn cloudfront(&self) -> aws_sdk_cloudfront::Client {
        moto_client!(aws_sdk_cloudfront, &self.url, REGION)
    }

    pub async fn state_of(&self, id: &str) -> String {
        let r = self
            .ec2()
            .describe_instances()
            .instance_ids(id)
            .send()
            .await
            .unwrap();
        r.reservations()[0].instances()[0]
            .state()
            .unwrap()
            .name()
            .unwrap()
            .as_str()
            .to_string()
    }

    /// Launches `n` instances tagged `Environment=env` (and an 8 GiB root volume, so backups
    /// have something to snapshot) and returns their ids.
    pub async fn launch_in(&self, n: i32, env: &str) -> Vec<String> {
        use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
        let r = self
            .ec2()
            .run_instances()
            .image_id(AMI)
            .min_count(n)
            .max_count(n)
            .tag_specifications(
                TagSpecification::builder()
                    .resource_type(ResourceType::Instance)
                    .tags(Tag::builder().key("Environment").value(env).build())
                    .build(),
            )
            .send()
            .await
            .unwrap();
        r.instances()
            .iter()
            .map(|i| i.instance_id().unwrap().to_string())
            .collect()
    }

    /// Launches `n` instances straight through the SDK and returns their ids.
    pub async fn launch(&self, n: i32) -> Vec<String> {
        let r = self
            .ec2()
            .run_instances()
            .image_id(AMI)
            .min_count(n)
            .max_count(n)
            .send()
            .await
            .unwrap();
        r.instances()
            .iter()
            .map(|i| i.instance_id().unwrap().to_string())
            .collect()
    }
}

/// Calls a tool and returns its result JSON, panicking on a routing error.
pub async fn call(d: &Dispatcher, tool: &str, args: Value) -> Result<Value, Value> {
    let Value::Object(map) = args else {
        panic!("args must be an object")
    };
    Box::pin(d.call(tool, map, &agent()))
        .await
        .expect("routable")
        .map_err(|e| e.to_json())
}

pub async fn ok(d: &Dispatcher, args: Value) -> Value {
    ok_in(d, "aws_ec2", args).await
}

pub async fn err(d: &Dispatcher, args: Value) -> Value {
    err_in(d, "aws_ec2", args).await
}

/// Runs a destructive call: first the plan, then the repeat with its token.
pub async fn confirmed(d: &Dispatcher, args: Value) -> Value {
    confirmed_in(d, "aws_ec2", args).await
}

pub async fn ok_in(d: &Dispatcher, tool: &str, args: Value) -> Value {
    match call(d, tool, args.clone()).await {
        Ok(v) => v,
        Err(e) => panic!("{tool} {args} failed: {e}"),
    }
}

pub async fn err_in(d: &Dispatcher, tool: &str, args: Value) -> Value {
    match call(d, tool, args.clone()).await {
        Ok(v) => panic!("{tool} {args} should fail, got {v}"),
        Err(e) => e,
    }
}

/// The plan of a destructive call, then the repeat with its token: `Ok` with the result, or
/// `Err` with the tool error of the confirmed call.
pub async fn try_confirmed_in(d: &Dispatcher, tool: &str, args: Value) -> Result<Value, Value> {
    let plan = ok_in(d, tool, args.clone()).await;
    assert_eq!(plan["status"], "confirmation_required", "{plan}");
    let mut with_token = args.as_object().unwrap().clone();
    with_token.insert("confirm_token".into(), plan["confirm_token"].clone());
    call(d, tool, Value::Object(with_token)).await
}

pub async fn confirmed_in(d: &Dispatcher, tool: &str, args: Value) -> Value {
    match try_confirmed_in(d, tool, args.clone()).await {
        Ok(v) => v,
        Err(e) => panic!("{tool} {args} failed after confirmation: {e}"),
    }
}

pub fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

pub fn ids(v: &Value, list: &str, key: &str) -> Vec<String> {
    v["data"][list]
        .as_array()
        .unwrap_or_else(|| panic!("no list {list} in {v}"))
        .iter()
        .map(|i| i[key].as_str().unwrap().to_string())
        .collect()
}

/// The built binary as a child process, spoken to with raw JSON-RPC lines over its stdio.
pub struct StdioServer {
    pub child: std::process::Child,
    stdin: std::process::ChildStdin,
    stdout: std::io::BufReader<std::process::ChildStdout>,
    stderr: PathBuf,
}

impl StdioServer {
    /// Spawns `binary serve` with exactly `env` (plus PATH and HOME) and a fresh state file.
    pub fn spawn(binary: &str, env: &[(&str, &str)]) -> Self {
        let state = temp_state();
        let mut full = vec![("ESPADA_STATE", state.to_str().unwrap())];
        full.extend_from_slice(env);
        let home = std::env::var("HOME").unwrap_or_default();
        Self::spawn_exactly(binary, &["serve"], &home, &full)
    }

    /// Spawns `binary args…` with only PATH, HOME and `env` in its environment, as an MCP
    /// client starts it from a config file; stderr goes to a file (see `stderr`).
    pub fn spawn_exactly(binary: &str, args: &[&str], home: &str, env: &[(&str, &str)]) -> Self {
        let stderr = temp_state().with_extension("stderr");
        let mut cmd = Command::new(binary);
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", home)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn espada-aws");
        let stdin = child.stdin.take().unwrap();
        let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        Self {
            child,
            stdin,
            stdout,
            stderr,
        }
    }

    /// Everything the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    pub fn send(&mut self, msg: &Value) {
        writeln!(self.stdin, "{msg}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// Sends a request and returns the response line (its raw text).
    pub fn request(&mut self, msg: &Value) -> String {
        self.send(msg);
        let mut line = String::new();
        std::io::BufRead::read_line(&mut self.stdout, &mut line).unwrap();
        line
    }

    /// initialize + notifications/initialized; returns the initialize response line.
    pub fn initialize(&mut self) -> String {
        let line = self.request(
            &serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "it", "version": "0"}}}),
        );
        self.send(&serde_json::json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        line
    }

    /// CPU time the server process has used so far (user + system), from /proc.
    pub fn cpu_time(&self) -> std::time::Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        // Fields after the command name (which may hold spaces) start after the last ')'.
        let fields: Vec<&str> = stat
            .rsplit(')')
            .next()
            .unwrap()
            .split_whitespace()
            .collect();
        let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        // Linux reports these in clock ticks of 1/100 s (USER_HZ).
        std::time::Duration::from_millis(ticks * 10)
    }

    pub fn rss(&self) -> String {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS"))
            .unwrap_or("VmRSS: ?")
            .to_string()
    }
}

impl Drop for StdioServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the CLI on a state file; returns (success, stdout + stderr).
pub fn cli(state: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_espada-aws"))
        .arg("--state")
        .arg(state)
        .args(args)
        .env("ESPADA_LOG", "warn")
        .output()
        .expect("run espada-aws");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// A read-only dispatcher and the reads of `tool`, after checking that they are exactly the
/// actions its schema exposes in that mode.
pub fn read_only_reads(m: &Moto, tool: &str) -> (Dispatcher, Vec<&'static str>) {
    let d = Dispatcher::new(&Settings {
        read_only: true,
        ..m.settings()
    })
    .unwrap();
    let t = d.tool(tool).unwrap();
    let schema = d.input_schema(t);
    let exposed: Vec<&str> = schema["properties"]["action"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let reads: Vec<&'static str> = t
        .actions
        .iter()
        .filter(|a| a.access == espada_aws::registry::Access::Read)
        .map(|a| a.name)
        .collect();
    assert_eq!(
        exposed, reads,
        "{tool} in read-only mode exposes exactly its reads"
    );
    (d, reads)
}
