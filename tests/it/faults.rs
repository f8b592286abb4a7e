//! A fault-injecting HTTP proxy for moto: it listens on loopback, recognises the AWS operation
//! of every request, and forwards it to moto unless a test asked for a fault on that operation:
//! throttling, access denied, a server error, a response lost after moto ran the request, or a
//! connection reset before anything is forwarded. Every request it sees is recorded, so a test
//! can also check what was (or was not) sent.
//!
//! Each request is forwarded on a fresh connection to moto with `Connection: close`, and each
//! answer to the client carries `Connection: close`, so that no pooled connection outlives a
//! fault and an SDK never retries because of the proxy itself.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
};

/// What the proxy does to a request of a chosen operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The service's throttling error in its own protocol (EC2 `RequestLimitExceeded` 503,
    /// query `Throttling` 400, S3 `SlowDown` 503, JSON `ThrottlingException` 400); not
    /// forwarded.
    Throttle,
    /// Access denied in the service's protocol (EC2 `UnauthorizedOperation`, `AccessDenied`
    /// elsewhere); not forwarded.
    Deny,
    /// HTTP 500 `InternalError`; not forwarded.
    ServerError,
    /// Forwarded to moto, which runs it; moto's answer is read and thrown away and the client's
    /// connection closed: AWS did it, the client never hears.
    DropResponse,
    /// The client's connection is reset (RST) before anything is forwarded.
    Reset,
}

/// One request the proxy saw.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The AWS service, from the SigV4 credential scope (`ec2`, `s3`, `autoscaling`, …).
    pub service: String,
    /// The operation (`RunInstances`, `GetBucketTagging`, …).
    pub operation: String,
    pub method: String,
    pub path: String,
    /// The request body, as text (query-protocol bodies are form-encoded).
    pub body: String,
}

impl Seen {
    /// Whether the request is marked as an EC2 dry run.
    pub fn dry_run(&self) -> bool {
        self.body.split('&').any(|p| p == "DryRun=true")
    }

    /// A form parameter of a query-protocol body, decoded.
    pub fn param(&self, name: &str) -> Option<String> {
        form(&self.body)
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

struct Rule {
    operation: String,
    /// Only requests whose body contains this text.
    when: Option<String>,
    fault: Fault,
    /// How many more requests it applies to; `None` for all.
    left: Option<usize>,
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    seen: Vec<Seen>,
    emulate_client_tokens: bool,
    /// (operation, ClientToken) → moto's first answer, for the emulation below.
    answered: HashMap<(String, String), Vec<u8>>,
}

/// The proxy, listening until dropped.
pub struct FaultProxy {
    pub url: String,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// Starts a proxy on a free loopback port in front of `upstream` (moto's URL).
    pub async fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_string();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let (state, upstream) = (shared.clone(), upstream.clone());
                tokio::spawn(async move {
                    // A client that goes away mid-request is no concern of the proxy's.
                    let _ = serve(client, &upstream, &state).await;
                });
            }
        });
        Self { url, state, task }
    }

    /// Applies `fault` to every request of `operation` from now on. `operation` is an operation
    /// name (`GetBucketTagging`), or `service:Operation` where two services share a name
    /// (`autoscaling:DescribeTags`, `elasticloadbalancing:DescribeTags`, `ec2:DescribeTags`).
    pub fn fault(&self, operation: &str, fault: Fault) {
        self.add(operation, fault, None);
    }

    /// Applies `fault` to the next `times` requests of `operation`, then forwards them again.
    pub fn fault_times(&self, operation: &str, fault: Fault, times: usize) {
        self.add(operation, fault, Some(times));
    }

    /// Removes every fault.
    pub fn clear(&self) {
        self.state.lock().unwrap().rules.clear();
    }

    /// Answers a repeated EC2 request carrying a `ClientToken` it has seen before with moto's
    /// first answer, without forwarding it, as AWS documents for idempotent requests. moto 5.2.5
    /// records `ClientToken` on RunInstances but creates again when it is repeated, so without
    /// this a test cannot tell a client that reuses its token from one that does not (the test
    /// checks the tokens themselves too).
    pub fn emulate_client_token_idempotency(&self) {
        self.state.lock().unwrap().emulate_client_tokens = true;
    }

    /// Every request seen so far, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    /// The requests of one operation (`Operation` or `service:Operation`) seen so far.
    pub fn seen_op(&self, operation: &str) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| {
                s.operation == operation || format!("{}:{}", s.service, s.operation) == operation
            })
            .collect()
    }

    /// Forgets the requests seen so far.
    pub fn forget(&self) {
        self.state.lock().unwrap().seen.clear();
    }

    /// Applies `fault` to every request of `operation` whose body contains `text` (for
    /// example the account id in an AssumeRole's role ARN).
    pub fn fault_when(&self, operation: &str, text: &str, fault: Fault) {
        self.state.lock().unwrap().rules.push(Rule {
            operation: operation.to_string(),
            when: Some(text.to_string()),
            fault,
            left: None,
        });
    }

    fn add(&self, operation: &str, fault: Fault, left: Option<usize>) {
        self.state.lock().unwrap().rules.push(Rule {
            operation: operation.to_string(),
            when: None,
            fault,
            left,
        });
    }
}

struct Request {
    head: Vec<(String, String)>,
    method: String,
    target: String,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.head
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

async fn serve(client: TcpStream, upstream: &str, state: &Mutex<State>) -> std::io::Result<()> {
    // One request per connection: every answer closes it.
    let mut client = BufReader::new(client);
    if let Some(req) = read_request(&mut client).await? {
        let service = service_of(&req);
        let operation = operation_of(&req, &service);
        let body = String::from_utf8_lossy(&req.body).into_owned();
        let token = (service == "ec2")
            .then(|| form(&body).into_iter().find(|(k, _)| k == "ClientToken"))
            .flatten()
            .map(|(_, v)| (operation.clone(), v));
        let (fault, replay) = {
            let mut st = state.lock().unwrap();
            let fault = st
                .rules
                .iter_mut()
                .find(|r| {
                    (r.operation == operation || r.operation == format!("{service}:{operation}"))
                        && r.left != Some(0)
                        && r.when.as_ref().is_none_or(|t| body.contains(t.as_str()))
                })
                .map(|r| {
                    if let Some(n) = &mut r.left {
                        *n -= 1;
                    }
                    r.fault
                });
            let replay = match (&token, st.emulate_client_tokens) {
                (Some(t), true) => st.answered.get(t).cloned(),
                _ => None,
            };
            st.seen.push(Seen {
                service: service.clone(),
                operation: operation.clone(),
                method: req.method.clone(),
                path: req.target.clone(),
                body,
            });
            (fault, replay)
        };
        let stream = client.get_mut();
        match fault {
            Some(Fault::Reset) => {
                stream.set_zero_linger()?;
                return Ok(());
            }
            Some(Fault::DropResponse) => {
                let answer = match replay {
                    Some(a) => a,
                    None => forward(&req, upstream).await?,
                };
                if let Some(t) = token {
                    state.lock().unwrap().answered.entry(t).or_insert(answer);
                }
                // Close without a word: the request ran, its answer is lost.
                stream.shutdown().await?;
                return Ok(());
            }
            Some(f) => {
                let (status, content_type, body) = error_body(&service, f);
                let answer = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
                     x-amzn-requestid: faultproxy\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                stream.write_all(answer.as_bytes()).await?;
            }
            None => {
                let answer = match replay {
                    Some(a) => a,
                    None => forward(&req, upstream).await?,
                };
                if let Some(t) = token {
                    state
                        .lock()
                        .unwrap()
                        .answered
                        .entry(t)
                        .or_insert(answer.clone());
                }
                stream.write_all(&answer).await?;
            }
        }
        stream.flush().await?;
        stream.shutdown().await?;
    }
    Ok(())
}

/// Reads one HTTP/1.1 request (Content-Length or chunked body); `None` at a clean end.
async fn read_request(r: &mut BufReader<TcpStream>) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    if r.read_line(&mut line).await? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let mut head = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).await?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            head.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let mut req = Request {
        head,
        method,
        target,
        body: Vec::new(),
    };
    if req
        .header("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).await?;
            let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk).await?;
            if n == 0 {
                break;
            }
            req.body.extend_from_slice(&chunk[..n]);
        }
        req.head
            .retain(|(k, _)| !k.eq_ignore_ascii_case("transfer-encoding"));
        req.head
            .push(("Content-Length".into(), req.body.len().to_string()));
    } else if let Some(n) = req.header("content-length").and_then(|n| n.parse().ok()) {
        req.body = vec![0; n];
        r.read_exact(&mut req.body).await?;
    }
    Ok(Some(req))
}

/// Sends the request to moto on a fresh connection and returns its whole answer, re-framed
/// with `Connection: close`.
async fn forward(req: &Request, upstream: &str) -> std::io::Result<Vec<u8>> {
    let mut up = TcpStream::connect(upstream).await?;
    let mut out = format!("{} {} HTTP/1.1\r\n", req.method, req.target);
    for (k, v) in &req.head {
        if !k.eq_ignore_ascii_case("connection") {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    out.push_str("Connection: close\r\n\r\n");
    up.write_all(out.as_bytes()).await?;
    up.write_all(&req.body).await?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer).await?;
    // Keep the status line and headers, but make sure the client does not pool the connection.
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(answer.len());
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let mut reframed = format!("{}\r\n", lines.next().unwrap_or("HTTP/1.1 502 Bad Gateway"));
    for l in lines {
        if !l.to_ascii_lowercase().starts_with("connection:") {
            reframed.push_str(l);
            reframed.push_str("\r\n");
        }
    }
    reframed.push_str("Connection: close\r\n");
    let mut bytes = reframed.into_bytes();
    // The blank line that ends the headers, then the body as moto sent it.
    bytes.extend_from_slice(answer.get(split + 2..).unwrap_or(b"\r\n"));
    Ok(bytes)
}

/// The service of a request, from its SigV4 credential scope.
fn service_of(req: &Request) -> String {
    req.header("authorization")
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').nth(3))
        .unwrap_or("unknown")
        .to_string()
}

/// The operation of a request, by protocol: `Action=` in a query body, `X-Amz-Target` for JSON
/// protocols, the path for Smithy RPC v2 CBOR, method and path for S3, CloudFront,
/// EventBridge Scheduler and Lambda.
fn operation_of(req: &Request, service: &str) -> String {
    if let Some(t) = req.header("x-amz-target") {
        return t.rsplit('.').next().unwrap_or(t).to_string();
    }
    if req.header("smithy-protocol").is_some()
        && let Some((_, op)) = req.target.split_once("/operation/")
    {
        return op.to_string();
    }
    match service {
        "s3" => s3_operation(req),
        "cloudfront" => cloudfront_operation(req),
        "scheduler" => scheduler_operation(req),
        "eks" => eks_operation(req),
        "lambda" => lambda_operation(req),
        "ram" => ram_operation(req),
        "synthetics" => synthetics_operation(req).into(),
        _ => {
            let body = String::from_utf8_lossy(&req.body);
            form(&body)
                .into_iter()
                .find(|(k, _)| k == "Action")
                .map(|(_, v)| v)
                .unwrap_or_else(|| "Unknown".into())
        }
    }
}

fn s3_operation(req: &Request) -> String {
    let (path, query) = req
        .target
        .split_once('?')
        .unwrap_or((req.target.as_str(), ""));
    let params: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split('=').next().unwrap_or(p))
        .collect();
    let has = |p: &str| params.contains(&p);
    // `/bucket`, `/bucket/` (the SDK's path style for bucket operations) or `/bucket/key`.
    let object = path
        .trim_start_matches('/')
        .trim_end_matches('/')
        .contains('/');
    let m = req.method.as_str();
    let verb = match m {
        "GET" => "Get",
        "PUT" => "Put",
        "DELETE" => "Delete",
        "HEAD" => "Head",
        _ => "Post",
    };
    if path == "/" {
        return "ListBuckets".into();
    }
    let sub = [
        (
            "tagging",
            if object {
                "ObjectTagging"
            } else {
                "BucketTagging"
            },
        ),
        ("versioning", "BucketVersioning"),
        ("policyStatus", "BucketPolicyStatus"),
        ("policy", "BucketPolicy"),
        ("location", "BucketLocation"),
        ("publicAccessBlock", "PublicAccessBlock"),
        ("encryption", "BucketEncryption"),
        ("lifecycle", "BucketLifecycleConfiguration"),
        ("acl", if object { "ObjectAcl" } else { "BucketAcl" }),
        ("ownershipControls", "BucketOwnershipControls"),
    ];
    if let Some((_, name)) = sub.iter().find(|(p, _)| has(p)) {
        return format!("{verb}{name}");
    }
    match (m, object) {
        ("POST", false) if has("delete") => "DeleteObjects".into(),
        ("GET", false) if has("versions") => "ListObjectVersions".into(),
        ("GET", false) if has("uploads") => "ListMultipartUploads".into(),
        ("GET", false) if has("list-type") => "ListObjectsV2".into(),
        ("GET", false) => "ListObjects".into(),
        ("PUT", false) => "CreateBucket".into(),
        ("DELETE", false) => "DeleteBucket".into(),
        ("HEAD", false) => "HeadBucket".into(),
        ("PUT", true) if req.header("x-amz-copy-source").is_some() => "CopyObject".into(),
        ("PUT", true) => "PutObject".into(),
        ("GET", true) => "GetObject".into(),
        ("HEAD", true) => "HeadObject".into(),
        ("DELETE", true) if has("uploadId") => "AbortMultipartUpload".into(),
        ("DELETE", true) => "DeleteObject".into(),
        _ => format!("{verb}Unknown"),
    }
}

/// AWS RAM's REST paths are the operation's name in lower case (`POST /getresourceshares`):
/// its verb, then the rest, enough to tell reads from changes.
fn ram_operation(req: &Request) -> String {
    let path = req.target.split('?').next().unwrap_or("").trim_matches('/');
    const VERBS: &[&str] = &[
        "get",
        "list",
        "create",
        "delete",
        "update",
        "associate",
        "disassociate",
        "enable",
        "accept",
        "reject",
        "tag",
        "untag",
        "promote",
        "replace",
        "set",
    ];
    let Some(verb) = VERBS.iter().find(|v| path.starts_with(**v)) else {
        return "Unknown".into();
    };
    let rest = &path[verb.len()..];
    let mut name = verb[..1].to_uppercase() + &verb[1..];
    let mut chars = rest.chars();
    if let Some(c) = chars.next() {
        name.push(c.to_ascii_uppercase());
        name.extend(chars);
    }
    name
}

/// EventBridge Scheduler's REST paths: `/schedules[/name]`, `/schedule-groups[/name]`,
/// `/tags/arn`.
/// Lambda's REST paths (`/2015-03-31/functions/NAME/configuration`, `/2017-03-31/tags/ARN`,
/// …): the reads by name, every other request as the method and resource, never a read.
/// Synthetics (REST JSON) by method and path.
fn synthetics_operation(req: &Request) -> &'static str {
    let path = req.target.split('?').next().unwrap_or("");
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (req.method.as_str(), parts.as_slice()) {
        ("POST", ["canaries"]) => "DescribeCanaries",
        ("POST", ["canaries", "last-run"]) => "DescribeCanariesLastRun",
        ("POST", ["canary"]) => "CreateCanary",
        ("GET", ["canary", _]) => "GetCanary",
        ("POST", ["canary", _, "start"]) => "StartCanary",
        ("POST", ["canary", _, "stop"]) => "StopCanary",
        ("DELETE", ["canary", _]) => "DeleteCanary",
        ("GET", ["tags", _]) => "ListTagsForResource",
        _ => "Unknown",
    }
}

fn lambda_operation(req: &Request) -> String {
    let path = req.target.split('?').next().unwrap_or("");
    let parts: Vec<&str> = path.trim_matches('/').split('/').skip(1).collect();
    let m = req.method.as_str();
    let named = match (m, parts.as_slice()) {
        ("GET", ["functions"]) => "ListFunctions",
        ("GET", ["functions", _]) => "GetFunction",
        ("GET", ["functions", _, "configuration"]) => "GetFunctionConfiguration",
        ("GET", ["functions", _, "versions"]) => "ListVersionsByFunction",
        ("GET", ["functions", _, "aliases"]) => "ListAliases",
        ("GET", ["functions", _, "aliases", _]) => "GetAlias",
        ("GET", ["functions", _, "url"]) => "GetFunctionUrlConfig",
        ("GET", ["functions", _, "policy"]) => "GetPolicy",
        ("GET", ["functions", _, "concurrency"]) => "GetFunctionConcurrency",
        ("GET", ["tags", ..]) => "ListTags",
        ("GET", ["event-source-mappings"]) => "ListEventSourceMappings",
        ("GET", ["event-source-mappings", _]) => "GetEventSourceMapping",
        ("GET", ["layers"]) => "ListLayers",
        ("POST", ["functions"]) => "CreateFunction",
        ("POST", ["functions", _, "invocations"]) => "Invoke",
        ("POST", ["functions", _, "versions"]) => "PublishVersion",
        ("DELETE", ["functions", _]) => "DeleteFunction",
        _ => "",
    };
    if !named.is_empty() {
        return named.into();
    }
    let verb = match m {
        "GET" => "Get",
        "PUT" => "Put",
        "DELETE" => "Delete",
        _ => "Post",
    };
    // Not a read unless named above: `Post…`, `Put…`, `Delete…`, or `LambdaGet…`.
    match verb {
        "Get" => format!("LambdaGet{}", parts.first().unwrap_or(&"")),
        _ => format!("{verb}Lambda{}", parts.first().unwrap_or(&"")),
    }
}

fn scheduler_operation(req: &Request) -> String {
    let path = req.target.split('?').next().unwrap_or("");
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (kind, named) = match parts.as_slice() {
        ["schedules"] => ("Schedules", false),
        ["schedules", _] => ("Schedule", true),
        ["schedule-groups"] => ("ScheduleGroups", false),
        ["schedule-groups", _] => ("ScheduleGroup", true),
        ["tags", ..] => {
            return match req.method.as_str() {
                "GET" => "ListTagsForResource".into(),
                "POST" => "TagResource".into(),
                _ => "UntagResource".into(),
            };
        }
        _ => return "Unknown".into(),
    };
    match (req.method.as_str(), named) {
        ("GET", false) => format!("List{kind}"),
        ("GET", true) => format!("Get{kind}"),
        ("POST", _) => format!("Create{kind}"),
        ("PUT", _) => format!("Update{kind}"),
        ("DELETE", _) => format!("Delete{kind}"),
        _ => "Unknown".into(),
    }
}

/// EKS's REST paths: `/clusters[/name[/node-groups|fargate-profiles[/name]]]`.
fn eks_operation(req: &Request) -> String {
    let path = req.target.split('?').next().unwrap_or("");
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (kind, named) = match parts.as_slice() {
        ["clusters"] => ("Clusters", false),
        ["clusters", _] => ("Cluster", true),
        ["clusters", _, "node-groups"] => ("Nodegroups", false),
        ["clusters", _, "node-groups", _] => ("Nodegroup", true),
        ["clusters", _, "fargate-profiles"] => ("FargateProfiles", false),
        ["clusters", _, "fargate-profiles", _] => ("FargateProfile", true),
        _ => return "Unknown".into(),
    };
    match (req.method.as_str(), named) {
        ("GET", false) => format!("List{kind}"),
        ("GET", true) => format!("Describe{kind}"),
        ("POST", false) => format!("Create{}", kind.trim_end_matches('s')),
        ("DELETE", true) => format!("Delete{kind}"),
        _ => "Unknown".into(),
    }
}

fn cloudfront_operation(req: &Request) -> String {
    let (path, query) = req
        .target
        .split_once('?')
        .unwrap_or((req.target.as_str(), ""));
    // /2020-05-31/<collection>[/<id>[/<sub>]]
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').skip(1).collect();
    let m = req.method.as_str();
    match (m, parts.as_slice()) {
        ("GET", ["tagging"]) => "ListTagsForResource".into(),
        ("POST", ["tagging"]) if query.contains("Operation=Tag") => "TagResource".into(),
        ("POST", ["tagging"]) => "UntagResource".into(),
        ("POST", ["distribution"]) if query.contains("WithTags") => {
            "CreateDistributionWithTags".into()
        }
        ("POST", ["distribution"]) => "CreateDistribution".into(),
        ("GET", ["distribution"]) => "ListDistributions".into(),
        ("GET", ["distribution", _]) => "GetDistribution".into(),
        ("DELETE", ["distribution", _]) => "DeleteDistribution".into(),
        ("GET", ["distribution", _, "config"]) => "GetDistributionConfig".into(),
        ("PUT", ["distribution", _, "config"]) => "UpdateDistribution".into(),
        ("POST", ["distribution", _, "invalidation"]) => "CreateInvalidation".into(),
        ("POST", ["origin-access-control"]) => "CreateOriginAccessControl".into(),
        ("GET", ["origin-access-control"]) => "ListOriginAccessControls".into(),
        _ => format!("{m} {path}"),
    }
}

/// The status line, content type and body of a fault's answer in the service's protocol.
fn error_body(service: &str, fault: Fault) -> (&'static str, &'static str, String) {
    let (status, code, message) = match (service, fault) {
        ("ec2", Fault::Throttle) => (
            "503 Service Unavailable",
            "RequestLimitExceeded",
            "Request limit exceeded.",
        ),
        ("s3", Fault::Throttle) => (
            "503 Slow Down",
            "SlowDown",
            "Please reduce your request rate.",
        ),
        (_, Fault::Throttle) => ("400 Bad Request", "Throttling", "Rate exceeded"),
        ("ec2", Fault::Deny) => (
            "403 Forbidden",
            "UnauthorizedOperation",
            "You are not authorized to perform this operation.",
        ),
        (_, Fault::Deny) => ("403 Forbidden", "AccessDenied", "Access Denied"),
        (_, _) => (
            "500 Internal Server Error",
            "InternalError",
            "We encountered an internal error. Please try again.",
        ),
    };
    let body = match service {
        "ec2" => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}\
             </Code><Message>{message}</Message></Error></Errors><RequestID>faultproxy\
             </RequestID></Response>"
        ),
        "s3" => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>\
             {message}</Message><RequestId>faultproxy</RequestId></Error>"
        ),
        "autoscaling"
        | "elasticloadbalancing"
        | "sts"
        | "sns"
        | "cloudfront"
        | "iam"
        | "monitoring"
        | "rds" => format!(
            "<ErrorResponse><Error><Type>{}</Type><Code>{code}</Code><Message>{message}\
             </Message></Error><RequestId>faultproxy</RequestId></ErrorResponse>",
            if status.starts_with('5') {
                "Receiver"
            } else {
                "Sender"
            }
        ),
        _ => {
            let code = match code {
                "Throttling" => "ThrottlingException",
                "AccessDenied" => "AccessDeniedException",
                c => c,
            };
            return (
                status,
                "application/x-amz-json-1.1",
                format!("{{\"__type\":\"{code}\",\"message\":\"{message}\"}}"),
            );
        }
    };
    (status, "text/xml", body)
}

/// The pairs of a form-encoded body, decoded.
pub fn form(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(b)) => {
                out.push(b);
                i += 2;
            }
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A proxy in front of the test's moto.
pub async fn proxy(m: &crate::harness::Moto) -> FaultProxy {
    FaultProxy::start(&m.url).await
}

/// A dispatcher whose AWS calls go through `proxy`, with `max_attempts` per call (first try
/// included). `strict`: the shipped defaults (unknown environment = production for destructive
/// calls); otherwise untagged resources count as development, the most lenient setting, where
/// a lookup that failed open would show first.
pub fn via(
    m: &crate::harness::Moto,
    proxy: &FaultProxy,
    max_attempts: u32,
    strict: bool,
) -> espada_aws::dispatch::Dispatcher {
    use espada_aws::guardrails::environment::{Environment, EnvironmentConfig};
    let d = espada_aws::dispatch::Dispatcher::new(&espada_aws::settings::Settings {
        endpoint_url: Some(proxy.url.clone()),
        max_attempts,
        ..m.settings()
    })
    .unwrap();
    if !strict {
        let config = EnvironmentConfig {
            default_environment: Environment::Development,
            ..EnvironmentConfig::default()
        };
        d.guardrails
            .store
            .set_config("environments", &config)
            .unwrap();
    }
    d
}

/// The newest audit record of a dispatcher's state file.
pub fn last_audit(
    d: &espada_aws::dispatch::Dispatcher,
) -> espada_aws::guardrails::audit::AuditRecord {
    let (entries, _) = d
        .guardrails
        .store
        .query_audit(&Default::default(), 1)
        .unwrap();
    entries.into_iter().next().expect("an audit record").record
}

/// The versioning status moto holds for a bucket ("" when never set), read from its raw
/// answer: moto 5.2.5 wraps GetBucketVersioning in a root element the Rust SDK cannot parse.
pub fn moto_versioning(m: &crate::harness::Moto, bucket: &str) -> String {
    use std::io::{Read, Write};
    let addr = m.url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET /{bucket}?versioning HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, \
         SignedHeaders=host, Signature=00\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    out.split_once("<Status>")
        .and_then(|(_, rest)| rest.split_once("</Status>"))
        .map(|(status, _)| status.to_string())
        .unwrap_or_default()
}

/// Runs a call the way a user who agrees would: when it comes back `confirmation_required`,
/// it is repeated with its token. `Ok` with the result, or `Err` with the tool error.
pub async fn agreed(
    d: &espada_aws::dispatch::Dispatcher,
    tool: &str,
    args: serde_json::Value,
) -> Result<serde_json::Value, serde_json::Value> {
    let first = crate::harness::call(d, tool, args.clone()).await?;
    if first["status"] != "confirmation_required" {
        return Ok(first);
    }
    let mut again = args.as_object().cloned().unwrap_or_default();
    again.insert("confirm_token".into(), first["confirm_token"].clone());
    crate::harness::call(d, tool, serde_json::Value::Object(again)).await
}
