//! Functions: list, read (environment variable names only unless sensitive data is allowed),
//! create from inline source or S3, update code and configuration, delete, invoke.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_lambda::{
    Client,
    primitives::Blob,
    types::{
        Architecture, Environment, FunctionConfiguration, InvocationType, LogType, Runtime,
        VpcConfig,
    },
};
use base64::{Engine, engine::general_purpose::STANDARD};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{
    Code, check_function, check_unqualified, function_target, lambda_error, lambda_tags, once,
    qualifier_of,
};
use crate::{
    aws::{
        outcome::{Check, sent_once},
        paging::PageRequest,
    },
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Flag, Kind, Risk, Tags, Target},
};

/// The most bytes of an invoke's payload returned; the rest is cut and the result says so.
pub const MAX_PAYLOAD_BYTES: usize = 16 * 1024;
/// The most bytes of the decoded log tail returned (Lambda sends at most the last 4 KB).
pub const MAX_LOG_BYTES: usize = 4 * 1024;

/// A function's configuration as the results show it. Environment variable values only when
/// `values` (the server allows sensitive data); otherwise their names.
pub fn config_json(c: &FunctionConfiguration, values: bool) -> Value {
    let env = c.environment().and_then(|e| e.variables());
    let mut names: Vec<&String> = env.map(|v| v.keys().collect()).unwrap_or_default();
    names.sort();
    let mut out = json!({
        "function_name": c.function_name(),
        "function_arn": c.function_arn(),
        "runtime": c.runtime().map(|r| r.as_str()),
        "handler": c.handler(),
        "role": c.role(),
        "description": c.description(),
        "memory_size": c.memory_size(),
        "timeout": c.timeout(),
        "code_size": c.code_size(),
        "code_sha256": c.code_sha256(),
        "version": c.version(),
        "last_modified": c.last_modified(),
        "state": c.state().map(|s| s.as_str()),
        "last_update_status": c.last_update_status().map(|s| s.as_str()),
        "architectures": c.architectures().iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        "layers": c.layers().iter().filter_map(|l| l.arn()).collect::<Vec<_>>(),
        "vpc": c.vpc_config().filter(|v| !v.subnet_ids().is_empty()).map(|v| json!({
            "subnet_ids": v.subnet_ids(), "security_group_ids": v.security_group_ids(),
            "vpc_id": v.vpc_id()})),
        "environment_variable_names": names,
    });
    if values && let Some(vars) = env {
        out["environment_variables"] = json!(vars.iter().collect::<BTreeMap<_, _>>());
    }
    out
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListFunctions {
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListFunctions {
    const NAME: &'static str = "list_functions";
    const DESCRIPTION: &'static str = "Functions with runtime, memory, state";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let resp = client
            .list_functions()
            .max_items(page.aws_page_size(1, 50))
            .set_marker(page.aws_token.clone())
            .send()
            .await
            .map_err(lambda_error)?;
        let all: Vec<Value> = resp
            .functions()
            .iter()
            .map(|f| {
                json!({
                    "function_name": f.function_name(),
                    "runtime": f.runtime().map(|r| r.as_str()),
                    "memory_size": f.memory_size(),
                    "timeout": f.timeout(),
                    "code_size": f.code_size(),
                    "last_modified": f.last_modified(),
                    "state": f.state().map(|s| s.as_str()),
                })
            })
            .collect();
        let (items, next) = page.finish(all, resp.next_marker().map(str::to_string));
        Ok(Output::new(
            format!("{} function(s).", items.len()),
            json!({ "functions": items }),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetFunction {
    /// Name or ARN
    pub function_name: String,
}

impl Action for GetFunction {
    const NAME: &'static str = "get_function";
    const DESCRIPTION: &'static str = "Configuration, env names, tags";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_function(&self.function_name)
    }

    fn targets(&self) -> Vec<Target> {
        vec![function_target(&self.function_name)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let out = client
            .get_function()
            .function_name(&self.function_name)
            .send()
            .await
            .map_err(lambda_error)?;
        let values = cx.sensitive_data_allowed();
        let mut data = out
            .configuration()
            .map(|c| config_json(c, values))
            .unwrap_or_else(|| json!({}));
        data["tags"] = json!(
            out.tags()
                .map(|t| t.iter().collect::<BTreeMap<_, _>>())
                .unwrap_or_default()
        );
        data["reserved_concurrency"] = json!(
            out.concurrency()
                .and_then(|c| c.reserved_concurrent_executions())
        );
        if let Some(code) = out.code() {
            data["repository_type"] = json!(code.repository_type());
            // A pre-signed URL that downloads the code: a credential for ten minutes.
            if values {
                data["code_location"] = json!(code.location());
            }
        }
        let names = data["environment_variable_names"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0);
        let withheld = if values || names == 0 {
            String::new()
        } else {
            format!(
                " {names} environment variable value(s) are withheld (the server runs without \
                 --allow-sensitive-data)."
            )
        };
        Ok(Output::new(
            format!(
                "{} ({}, {} MB, {} s).{withheld}",
                self.function_name,
                data["runtime"].as_str().unwrap_or("image"),
                data["memory_size"],
                data["timeout"]
            ),
            data,
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFunction {
    pub function_name: String,
    /// e.g. python3.12
    pub runtime: String,
    /// e.g. index.handler
    pub handler: String,
    /// Execution role ARN
    pub role: String,
    /// {"index.py": "..."}
    pub inline_code: Option<BTreeMap<String, String>>,
    /// s3://bucket/key of a ZIP
    pub s3_uri: Option<String>,
    /// MB
    pub memory_size: Option<i32>,
    /// Seconds
    pub timeout: Option<i32>,
    /// Env vars {NAME: value}
    pub environment_secrets: Option<BTreeMap<String, String>>,
    pub subnet_ids: Option<Vec<String>>,
    pub security_group_ids: Option<Vec<String>>,
    pub layers: Option<Vec<String>>,
    /// x86_64 or arm64
    pub architecture: Option<String>,
    pub tags: Option<Tags>,
}

impl CreateFunction {
    fn code(&self) -> Result<Code, ToolError> {
        Code::from_input(self.inline_code.as_ref(), self.s3_uri.as_deref())
    }
}

impl Action for CreateFunction {
    const NAME: &'static str = "create_function";
    const DESCRIPTION: &'static str = "Create from inline source or S3 ZIP";
    const ACCESS: Access = Access::Write;
    // A new function changes nothing existing.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_unqualified("function_name", &self.function_name)?;
        if self.function_name.starts_with("arn:") || self.function_name.len() > 64 {
            return Err(ToolError::invalid(
                "function_name is the new function's name (1-64 characters), not an ARN",
            ));
        }
        check_role(&self.role)?;
        check_sizes(self.memory_size, self.timeout)?;
        check_architecture(self.architecture.as_deref())?;
        check_vpc(&self.subnet_ids, &self.security_group_ids)?;
        self.code().map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        let mut out = vec![Target::created(Kind::LambdaFunction, &self.function_name)];
        // A function in production subnets is a production function.
        out.extend(self.subnet_ids.iter().flatten().map(Target::ec2));
        out
    }

    /// CreateFunction has no idempotency token: sent once, and a lost answer is reported
    /// with the read that tells whether the function exists.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let code = self.code()?;
        let name = self.function_name.clone();
        let out = client
            .create_function()
            .function_name(&name)
            .runtime(Runtime::from(self.runtime.as_str()))
            .handler(&self.handler)
            .role(&self.role)
            .code(code.function_code())
            .set_memory_size(self.memory_size)
            .set_timeout(self.timeout)
            .set_environment(environment(self.environment_secrets.as_ref()))
            .set_vpc_config(vpc(&self.subnet_ids, &self.security_group_ids))
            .set_layers(self.layers.clone())
            .set_architectures(
                self.architecture
                    .as_deref()
                    .map(|a| vec![Architecture::from(a)]),
            )
            .set_tags(lambda_tags(self.tags.as_ref()))
            .customize()
            .config_override(once())
            .send()
            .await
            .map_err(|e| {
                sent_once(e, lambda_error, "CreateFunction", "the function", || {
                    Check {
                        tool: "aws_lambda",
                        action: "get_function",
                        arguments: json!({"function_name": name}),
                        look_for: "the function".into(),
                    }
                })
            })?;
        Ok(Output::new(
            format!(
                "Created function {} ({}, {}).",
                self.function_name,
                self.runtime,
                code.describe()
            ),
            json!({
                "function_name": out.function_name(),
                "function_arn": out.function_arn(),
                "version": out.version(),
                "code_sha256": out.code_sha256(),
                "code_size": out.code_size(),
                "state": out.state().map(|s| s.as_str()),
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateFunctionCode {
    pub function_name: String,
    pub inline_code: Option<BTreeMap<String, String>>,
    pub s3_uri: Option<String>,
    pub publish: Option<bool>,
}

impl Action for UpdateFunctionCode {
    const NAME: &'static str = "update_function_code";
    const DESCRIPTION: &'static str = "Replace the code ($LATEST)";
    // The code $LATEST runs is replaced and, unless published, gone: destructive, so that the
    // environment's backup (a published version of the current code) is taken first.
    const ACCESS: Access = Access::Destructive;
    // What invokes $LATEST (or an alias on it) runs the new code at once.
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        check_unqualified("function_name", &self.function_name)?;
        Code::from_input(self.inline_code.as_ref(), self.s3_uri.as_deref()).map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        vec![function_target(&self.function_name)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let code = Code::from_input(self.inline_code.as_ref(), self.s3_uri.as_deref())?;
        let req = client
            .update_function_code()
            .function_name(&self.function_name)
            .publish(self.publish.unwrap_or(false));
        let req = match &code {
            Code::Zip(z) => req.zip_file(Blob::new(z.clone())),
            Code::S3 { bucket, key } => req.s3_bucket(bucket).s3_key(key),
        };
        let out = req.send().await.map_err(lambda_error)?;
        Ok(Output::new(
            format!(
                "Updated the code of {} ({}){}.",
                self.function_name,
                code.describe(),
                out.version()
                    .filter(|v| *v != "$LATEST")
                    .map(|v| format!(", published as version {v}"))
                    .unwrap_or_default()
            ),
            json!({
                "function_arn": out.function_arn(),
                "version": out.version(),
                "code_sha256": out.code_sha256(),
                "code_size": out.code_size(),
                "last_update_status": out.last_update_status().map(|s| s.as_str()),
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateFunctionConfiguration {
    pub function_name: String,
    pub runtime: Option<String>,
    pub handler: Option<String>,
    pub role: Option<String>,
    pub memory_size: Option<i32>,
    pub timeout: Option<i32>,
    pub environment_secrets: Option<BTreeMap<String, String>>,
    pub subnet_ids: Option<Vec<String>>,
    pub security_group_ids: Option<Vec<String>>,
    pub layers: Option<Vec<String>>,
}

impl Action for UpdateFunctionConfiguration {
    const NAME: &'static str = "update_function_configuration";
    const DESCRIPTION: &'static str = "Memory, timeout, env, role, VPC, layers";
    const ACCESS: Access = Access::Write;
    // The running function changes (a wrong role or handler breaks it).
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        check_unqualified("function_name", &self.function_name)?;
        if let Some(r) = &self.role {
            check_role(r)?;
        }
        check_sizes(self.memory_size, self.timeout)?;
        check_vpc(&self.subnet_ids, &self.security_group_ids)?;
        let nothing = self.runtime.is_none()
            && self.handler.is_none()
            && self.role.is_none()
            && self.memory_size.is_none()
            && self.timeout.is_none()
            && self.environment_secrets.is_none()
            && self.subnet_ids.is_none()
            && self.layers.is_none();
        if nothing {
            return Err(ToolError::invalid(
                "give at least one of runtime, handler, role, memory_size, timeout, \
                 environment_secrets (replaces all variables), subnet_ids, layers (replaces all)",
            ));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        let mut out = vec![function_target(&self.function_name)];
        out.extend(self.subnet_ids.iter().flatten().map(Target::ec2));
        out
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let out = client
            .update_function_configuration()
            .function_name(&self.function_name)
            .set_runtime(self.runtime.as_deref().map(Runtime::from))
            .set_handler(self.handler.clone())
            .set_role(self.role.clone())
            .set_memory_size(self.memory_size)
            .set_timeout(self.timeout)
            .set_environment(environment(self.environment_secrets.as_ref()))
            .set_vpc_config(vpc(&self.subnet_ids, &self.security_group_ids))
            .set_layers(self.layers.clone())
            .send()
            .await
            .map_err(lambda_error)?;
        Ok(Output::new(
            format!("Updated the configuration of {}.", self.function_name),
            config_json(&out_config(&out), cx.sensitive_data_allowed()),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteFunction {
    pub function_name: String,
    /// Version or alias
    pub qualifier: Option<String>,
}

impl Action for DeleteFunction {
    const NAME: &'static str = "delete_function";
    const DESCRIPTION: &'static str = "Delete the function, or one version";
    const ACCESS: Access = Access::Destructive;
    // The function, its versions, aliases and URL are gone; callers fail.
    const RISK: Risk = Risk::Critical;

    fn validate(&self) -> Result<(), ToolError> {
        check_unqualified("function_name", &self.function_name)?;
        if let Some(q) = &self.qualifier
            && (q.is_empty() || !q.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(ToolError::invalid(format!(
                "qualifier '{q}' must be a version number (delete_alias removes aliases)"
            )));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![function_target(&self.function_name)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        client
            .delete_function()
            .function_name(&self.function_name)
            .set_qualifier(self.qualifier.clone())
            .send()
            .await
            .map_err(lambda_error)?;
        let what = match &self.qualifier {
            Some(v) => format!("version {v} of {}", self.function_name),
            None => format!("function {} with all its versions", self.function_name),
        };
        Ok(Output::new(
            format!("Deleted {what}."),
            json!({"function_name": self.function_name, "qualifier": self.qualifier}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Invoke {
    pub function_name: String,
    pub payload: Option<Map<String, Value>>,
    /// RequestResponse or Event
    pub invocation_type: Option<String>,
}

impl Invoke {
    fn is_event(&self) -> bool {
        self.invocation_type.as_deref() == Some("Event")
    }
}

impl Action for Invoke {
    const NAME: &'static str = "invoke";
    const DESCRIPTION: &'static str = "Run it; result and log tail";
    // It runs the function's code, which may change anything its role allows.
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_function(&self.function_name)?;
        match self.invocation_type.as_deref() {
            None | Some("RequestResponse") | Some("Event") => {}
            Some(other) => {
                return Err(ToolError::invalid(format!(
                    "invocation_type '{other}' is RequestResponse (wait for the result) or \
                     Event (queue it)"
                )));
            }
        }
        let size = self
            .payload
            .as_ref()
            .map(|p| Value::Object(p.clone()).to_string().len())
            .unwrap_or(0);
        if size > 256 * 1024 {
            return Err(ToolError::invalid(format!(
                "payload is {size} bytes; Lambda takes at most 256 KB (6 MB synchronous) and \
                 this server 256 KB"
            )));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![function_target(&self.function_name)]
    }

    fn flags(&self) -> Vec<Flag> {
        vec![
            Flag::high(format!(
                "runs production function {} with its role's permissions",
                self.function_name
            ))
            .in_production(),
        ]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let event = self.is_event();
        let payload = self
            .payload
            .as_ref()
            .map(|p| Value::Object(p.clone()).to_string())
            .unwrap_or_else(|| "{}".into());
        let out = client
            .invoke()
            .function_name(&self.function_name)
            .invocation_type(if event {
                InvocationType::Event
            } else {
                InvocationType::RequestResponse
            })
            .set_log_type((!event).then_some(LogType::Tail))
            .payload(Blob::new(payload.into_bytes()))
            // An invoke runs code: never sent twice.
            .customize()
            .config_override(once())
            .send()
            .await
            .map_err(lambda_error)?;
        if event {
            return Ok(Output::new(
                format!(
                    "Queued an asynchronous invocation of {} (status {}).",
                    self.function_name,
                    out.status_code()
                ),
                json!({"status_code": out.status_code(), "invocation_type": "Event"}),
            ));
        }
        let raw = out.payload().map(|b| b.as_ref()).unwrap_or_default();
        let (payload, payload_truncated) = bounded_payload(raw);
        let log = out.log_result().map(decode_log);
        let log_truncated = log.as_ref().is_some_and(|(_, t)| *t);
        let failed = out.function_error();
        let summary = match failed {
            Some(kind) => format!(
                "{} ran and failed ({kind}): see data.payload for the error and data.log_tail.",
                self.function_name
            ),
            None => format!(
                "{} ran (status {}, version {}).",
                self.function_name,
                out.status_code(),
                out.executed_version().unwrap_or("?")
            ),
        };
        let mut data = json!({
            "status_code": out.status_code(),
            "executed_version": out.executed_version(),
            "function_error": failed,
            "payload": payload,
            "payload_bytes": raw.len(),
            "log_tail": log.map(|(l, _)| l),
        });
        if payload_truncated || log_truncated {
            data["truncated"] = json!({
                "payload": payload_truncated, "log_tail": log_truncated,
                "limits": {"payload_bytes": MAX_PAYLOAD_BYTES, "log_bytes": MAX_LOG_BYTES},
            });
        }
        Ok(Output::new(summary, data))
    }
}

/// The payload as JSON when it fits and parses, else as text cut at [`MAX_PAYLOAD_BYTES`].
pub fn bounded_payload(raw: &[u8]) -> (Value, bool) {
    if raw.len() <= MAX_PAYLOAD_BYTES
        && let Ok(v) = serde_json::from_slice::<Value>(raw)
    {
        return (v, false);
    }
    let text = String::from_utf8_lossy(raw);
    let cut = text.len() > MAX_PAYLOAD_BYTES;
    (
        json!(crate::guardrails::audit::clip(&text, MAX_PAYLOAD_BYTES)),
        cut,
    )
}

/// The base64 log tail, decoded and cut to its last [`MAX_LOG_BYTES`].
pub fn decode_log(b64: &str) -> (String, bool) {
    let bytes = STANDARD.decode(b64.trim()).unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).to_string();
    if text.len() <= MAX_LOG_BYTES {
        return (text, false);
    }
    let mut start = text.len() - MAX_LOG_BYTES;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    (text[start..].to_string(), true)
}

fn out_config(
    o: &aws_sdk_lambda::operation::update_function_configuration::UpdateFunctionConfigurationOutput,
) -> FunctionConfiguration {
    FunctionConfiguration::builder()
        .set_function_name(o.function_name().map(str::to_string))
        .set_function_arn(o.function_arn().map(str::to_string))
        .set_runtime(o.runtime().cloned())
        .set_handler(o.handler().map(str::to_string))
        .set_role(o.role().map(str::to_string))
        .set_description(o.description().map(str::to_string))
        .set_memory_size(o.memory_size())
        .set_timeout(o.timeout())
        .code_size(o.code_size())
        .set_code_sha256(o.code_sha256().map(str::to_string))
        .set_version(o.version().map(str::to_string))
        .set_environment(o.environment().cloned())
        .set_vpc_config(o.vpc_config().cloned())
        .set_layers(Some(o.layers().to_vec()))
        .set_last_update_status(o.last_update_status().cloned())
        .build()
}

fn environment(vars: Option<&BTreeMap<String, String>>) -> Option<Environment> {
    vars.map(|v| {
        Environment::builder()
            .set_variables(Some(
                v.iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<HashMap<_, _>>(),
            ))
            .build()
    })
}

fn vpc(subnets: &Option<Vec<String>>, groups: &Option<Vec<String>>) -> Option<VpcConfig> {
    subnets.as_ref().map(|s| {
        VpcConfig::builder()
            .set_subnet_ids(Some(s.clone()))
            .set_security_group_ids(groups.clone())
            .build()
    })
}

fn check_role(role: &str) -> Result<(), ToolError> {
    if role.starts_with("arn:") && role.contains(":iam::") && role.contains(":role/") {
        Ok(())
    } else {
        Err(ToolError::invalid(format!(
            "role '{role}' must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME) that Lambda \
             can assume"
        )))
    }
}

fn check_sizes(memory: Option<i32>, timeout: Option<i32>) -> Result<(), ToolError> {
    if let Some(m) = memory
        && !(128..=10_240).contains(&m)
    {
        return Err(ToolError::invalid("memory_size must be 128 to 10240 (MB)"));
    }
    if let Some(t) = timeout
        && !(1..=900).contains(&t)
    {
        return Err(ToolError::invalid("timeout must be 1 to 900 (seconds)"));
    }
    Ok(())
}

fn check_architecture(a: Option<&str>) -> Result<(), ToolError> {
    match a {
        None | Some("x86_64") | Some("arm64") => Ok(()),
        Some(o) => Err(ToolError::invalid(format!(
            "architecture '{o}' is x86_64 or arm64"
        ))),
    }
}

fn check_vpc(subnets: &Option<Vec<String>>, groups: &Option<Vec<String>>) -> Result<(), ToolError> {
    match (subnets, groups) {
        (Some(s), Some(g)) if !s.is_empty() && !g.is_empty() => {
            if s.iter().all(|i| i.starts_with("subnet-")) && g.iter().all(|i| i.starts_with("sg-"))
            {
                Ok(())
            } else {
                Err(ToolError::invalid(
                    "subnet_ids are subnet-… ids and security_group_ids sg-… ids",
                ))
            }
        }
        (None, None) => Ok(()),
        _ => Err(ToolError::invalid(
            "a VPC function needs both subnet_ids and security_group_ids",
        )),
    }
}

/// Whether a name is qualified (used by the tests of the qualifier rules).
pub fn is_qualified(name: &str) -> bool {
    qualifier_of(name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_and_logs_are_bounded() {
        let (v, cut) = bounded_payload(br#"{"ok": true}"#);
        assert_eq!(v["ok"], true);
        assert!(!cut);
        let big = vec![b'a'; MAX_PAYLOAD_BYTES * 2];
        let (v, cut) = bounded_payload(&big);
        assert!(cut);
        assert!(v.as_str().unwrap().len() <= MAX_PAYLOAD_BYTES + 16);
        let log = STANDARD.encode("START\nhello\nEND\n");
        assert_eq!(decode_log(&log), ("START\nhello\nEND\n".to_string(), false));
        let long = STANDARD.encode("x".repeat(MAX_LOG_BYTES + 10) + "tail");
        let (text, cut) = decode_log(&long);
        assert!(cut && text.ends_with("tail") && text.len() == MAX_LOG_BYTES);
    }

    #[test]
    fn inputs_are_checked() {
        let bad: CreateFunction = serde_json::from_value(json!({
            "function_name": "f", "runtime": "python3.12", "handler": "i.h",
            "role": "not-a-role", "inline_code": {"i.py": "x"}}))
        .unwrap();
        assert!(bad.validate().is_err());
        let vpc: CreateFunction = serde_json::from_value(json!({
            "function_name": "f", "runtime": "python3.12", "handler": "i.h",
            "role": "arn:aws:iam::1:role/r", "inline_code": {"i.py": "x"},
            "subnet_ids": ["subnet-1"]}))
        .unwrap();
        assert!(vpc.validate().is_err());
        let inv: Invoke =
            serde_json::from_value(json!({"function_name": "f", "invocation_type": "DryRun"}))
                .unwrap();
        assert!(inv.validate().is_err());
        assert!(is_qualified("f:live"));
    }
}
