//! Who can reach a function: its URL (AWS_IAM unless NONE is asked for, which is flagged),
//! resource-policy permissions (a principal of `*` is flagged), and event source mappings
//! (SQS, Kinesis, DynamoDB streams).

use aws_sdk_lambda::{
    Client,
    types::{EventSourceMappingConfiguration, EventSourcePosition, FunctionUrlAuthType},
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    check_function, check_qualifier, check_unqualified, function_target, in_function, lambda_error,
    once,
};
use crate::{
    aws::{
        outcome::{Check, sent_once},
        paging::PageRequest,
    },
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Flag, Kind, Risk, Target},
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFunctionUrl {
    pub function_name: String,
    pub qualifier: Option<String>,
    /// AWS_IAM or NONE
    pub auth_type: Option<String>,
}

impl CreateFunctionUrl {
    fn public(&self) -> bool {
        self.auth_type.as_deref() == Some("NONE")
    }
}

impl Action for CreateFunctionUrl {
    const NAME: &'static str = "create_function_url";
    const DESCRIPTION: &'static str = "HTTPS URL (AWS_IAM auth unless NONE)";
    const ACCESS: Access = Access::Write;
    // A new way in, signed by default.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_unqualified("function_name", &self.function_name)?;
        if let Some(q) = &self.qualifier {
            check_qualifier("qualifier", q)?;
        }
        match self.auth_type.as_deref() {
            None | Some("AWS_IAM") | Some("NONE") => Ok(()),
            Some(o) => Err(ToolError::invalid(format!(
                "auth_type '{o}' is AWS_IAM (signed requests) or NONE (anyone on the internet)"
            ))),
        }
    }

    fn targets(&self) -> Vec<Target> {
        vec![url_target(&self.function_name, self.qualifier.as_deref())]
    }

    fn flags(&self) -> Vec<Flag> {
        if self.public() {
            vec![Flag::high(format!(
                "a public URL (auth NONE): anyone on the internet can invoke {}",
                self.function_name
            ))]
        } else {
            Vec::new()
        }
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let auth = if self.public() {
            FunctionUrlAuthType::None
        } else {
            FunctionUrlAuthType::AwsIam
        };
        let out = client
            .create_function_url_config()
            .function_name(&self.function_name)
            .set_qualifier(self.qualifier.clone())
            .auth_type(auth.clone())
            .send()
            .await
            .map_err(lambda_error)?;
        let note = if self.public() {
            " It is public: anyone who has the URL can invoke the function."
        } else {
            " Callers sign requests with IAM credentials that allow lambda:InvokeFunctionUrl."
        };
        Ok(Output::new(
            format!(
                "{} has URL {}.{note}",
                self.function_name,
                out.function_url()
            ),
            json!({"function_url": out.function_url(), "function_arn": out.function_arn(),
                   "auth_type": out.auth_type().as_str()}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetFunctionUrl {
    pub function_name: String,
    pub qualifier: Option<String>,
}

impl Action for GetFunctionUrl {
    const NAME: &'static str = "get_function_url";
    const DESCRIPTION: &'static str = "URL and its auth type";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_unqualified("function_name", &self.function_name)?;
        if let Some(q) = &self.qualifier {
            check_qualifier("qualifier", q)?;
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![url_target(&self.function_name, self.qualifier.as_deref())]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let out = client
            .get_function_url_config()
            .function_name(&self.function_name)
            .set_qualifier(self.qualifier.clone())
            .send()
            .await
            .map_err(lambda_error)?;
        let auth = out.auth_type().as_str();
        Ok(Output::new(
            format!(
                "{} ({}).",
                out.function_url(),
                if auth == "NONE" {
                    "public: auth NONE"
                } else {
                    "IAM-signed"
                }
            ),
            json!({"function_url": out.function_url(), "function_arn": out.function_arn(),
                   "auth_type": auth, "created": out.creation_time()}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteFunctionUrl {
    pub function_name: String,
    pub qualifier: Option<String>,
}

impl Action for DeleteFunctionUrl {
    const NAME: &'static str = "delete_function_url";
    const DESCRIPTION: &'static str = "Remove the URL";
    // Callers of the URL are cut off, and a new URL gets a different address.
    const ACCESS: Access = Access::Destructive;
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        check_unqualified("function_name", &self.function_name)?;
        if let Some(q) = &self.qualifier {
            check_qualifier("qualifier", q)?;
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![url_target(&self.function_name, self.qualifier.as_deref())]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        client
            .delete_function_url_config()
            .function_name(&self.function_name)
            .set_qualifier(self.qualifier.clone())
            .send()
            .await
            .map_err(lambda_error)?;
        Ok(Output::new(
            format!("Deleted the URL of {}.", self.function_name),
            json!({"function_name": self.function_name, "qualifier": self.qualifier}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddPermission {
    pub function_name: String,
    pub statement_id: String,
    pub principal: String,
    pub source_arn: Option<String>,
    pub source_account: Option<String>,
}

impl Action for AddPermission {
    const NAME: &'static str = "add_permission";
    const DESCRIPTION: &'static str = "Allow a principal to invoke";
    const ACCESS: Access = Access::Write;
    // Someone else can now invoke the function.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_function(&self.function_name)?;
        check_statement(&self.statement_id)?;
        if self.principal.is_empty() {
            return Err(ToolError::invalid("principal is required"));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![in_function(
            Kind::LambdaPermission,
            format!("{}/{}", self.function_name, self.statement_id),
            &self.function_name,
        )]
    }

    fn flags(&self) -> Vec<Flag> {
        let wide =
            self.principal == "*" && self.source_arn.is_none() && self.source_account.is_none();
        if self.principal == "*" {
            vec![Flag::high(format!(
                "principal '*' lets any AWS account{} invoke {}",
                if wide {
                    " (no source_arn or source_account narrows it)"
                } else {
                    ""
                },
                self.function_name
            ))]
        } else {
            Vec::new()
        }
    }

    /// AddPermission refuses a statement id that exists, so a retry cannot add two.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let action = "lambda:InvokeFunction";
        let (function, qualifier) = split_qualified(&self.function_name);
        let out = client
            .add_permission()
            .function_name(function)
            .set_qualifier(qualifier)
            .statement_id(&self.statement_id)
            .action(action)
            .principal(&self.principal)
            .set_source_arn(self.source_arn.clone())
            .set_source_account(self.source_account.clone())
            .send()
            .await
            .map_err(lambda_error)?;
        let statement: Value = out
            .statement()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or(Value::Null);
        Ok(Output::new(
            format!(
                "{} may now call {action} on {} (statement {}).",
                self.principal, self.function_name, self.statement_id
            ),
            json!({"statement": statement}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RemovePermission {
    pub function_name: String,
    pub statement_id: String,
}

impl Action for RemovePermission {
    const NAME: &'static str = "remove_permission";
    const DESCRIPTION: &'static str = "Remove a policy statement";
    const ACCESS: Access = Access::Write;
    // Whoever the statement allowed (a bucket's events, an API) can no longer invoke.
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        check_function(&self.function_name)?;
        check_statement(&self.statement_id)
    }

    fn targets(&self) -> Vec<Target> {
        vec![in_function(
            Kind::LambdaPermission,
            format!("{}/{}", self.function_name, self.statement_id),
            &self.function_name,
        )]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let (function, qualifier) = split_qualified(&self.function_name);
        client
            .remove_permission()
            .function_name(function)
            .set_qualifier(qualifier)
            .statement_id(&self.statement_id)
            .send()
            .await
            .map_err(lambda_error)?;
        Ok(Output::new(
            format!(
                "Removed statement {} from {}.",
                self.statement_id, self.function_name
            ),
            json!({"function_name": self.function_name, "statement_id": self.statement_id}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListEventSourceMappings {
    pub function_name: Option<String>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListEventSourceMappings {
    const NAME: &'static str = "list_event_source_mappings";
    const DESCRIPTION: &'static str = "Triggers";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        if let Some(f) = &self.function_name {
            check_function(f)?;
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        self.function_name
            .iter()
            .map(|f| function_target(f))
            .collect()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let resp = client
            .list_event_source_mappings()
            .set_function_name(self.function_name.clone())
            .max_items(page.aws_page_size(1, 100))
            .set_marker(page.aws_token.clone())
            .send()
            .await
            .map_err(lambda_error)?;
        let all: Vec<Value> = resp
            .event_source_mappings()
            .iter()
            .map(mapping_json)
            .collect();
        let (items, next) = page.finish(all, resp.next_marker().map(str::to_string));
        Ok(Output::new(
            format!("{} event source mapping(s).", items.len()),
            json!({ "mappings": items }),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEventSourceMapping {
    pub function_name: String,
    pub event_source_arn: String,
    pub batch_size: Option<i32>,
    /// TRIM_HORIZON or LATEST
    pub starting_position: Option<String>,
}

impl CreateEventSourceMapping {
    fn stream(&self) -> bool {
        !self.event_source_arn.contains(":sqs:")
    }
}

impl Action for CreateEventSourceMapping {
    const NAME: &'static str = "create_event_source_mapping";
    const DESCRIPTION: &'static str = "Trigger from SQS, Kinesis or DynamoDB";
    const ACCESS: Access = Access::Write;
    // The function starts consuming: SQS messages are deleted once processed.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_function(&self.function_name)?;
        let a = &self.event_source_arn;
        let known = a.starts_with("arn:")
            && (a.contains(":sqs:")
                || a.contains(":kinesis:")
                || (a.contains(":dynamodb:") && a.contains("/stream/")));
        if !known {
            return Err(ToolError::invalid(format!(
                "event_source_arn '{a}' must be an SQS queue, Kinesis stream or DynamoDB stream \
                 ARN (…:table/NAME/stream/LABEL)"
            )));
        }
        if let Some(b) = self.batch_size
            && !(1..=10_000).contains(&b)
        {
            return Err(ToolError::invalid("batch_size must be 1 to 10000"));
        }
        match self.starting_position.as_deref() {
            None | Some("LATEST") | Some("TRIM_HORIZON") if self.stream() => Ok(()),
            None => Ok(()),
            Some(p) if self.stream() => Err(ToolError::invalid(format!(
                "starting_position '{p}' is TRIM_HORIZON or LATEST"
            ))),
            Some(_) => Err(ToolError::invalid(
                "starting_position is for streams, not SQS queues",
            )),
        }
    }

    fn targets(&self) -> Vec<Target> {
        let mut t = in_function(
            Kind::EventSourceMapping,
            &self.event_source_arn,
            &self.function_name,
        );
        t.new = true;
        vec![t]
    }

    /// CreateEventSourceMapping has no idempotency token: sent once.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let position = self.stream().then(|| {
            EventSourcePosition::from(self.starting_position.as_deref().unwrap_or("LATEST"))
        });
        let out = client
            .create_event_source_mapping()
            .function_name(&self.function_name)
            .event_source_arn(&self.event_source_arn)
            .set_batch_size(self.batch_size)
            .set_starting_position(position)
            .customize()
            .config_override(once())
            .send()
            .await
            .map_err(|e| {
                sent_once(
                    e,
                    lambda_error,
                    "CreateEventSourceMapping",
                    "the mapping",
                    || Check {
                        tool: "aws_lambda",
                        action: "list_event_source_mappings",
                        arguments: json!({"function_name": self.function_name,
                                          "event_source_arn": self.event_source_arn}),
                        look_for: "a mapping".into(),
                    },
                )
            })?;
        Ok(Output::new(
            format!(
                "{} is triggered by {} (mapping {}, {}).",
                self.function_name,
                self.event_source_arn,
                out.uuid().unwrap_or("?"),
                out.state().unwrap_or("?")
            ),
            json!({"uuid": out.uuid(), "state": out.state(), "batch_size": out.batch_size(),
                   "function_arn": out.function_arn(),
                   "event_source_arn": out.event_source_arn()}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteEventSourceMapping {
    pub uuid: String,
}

impl Action for DeleteEventSourceMapping {
    const NAME: &'static str = "delete_event_source_mapping";
    const DESCRIPTION: &'static str = "Remove a trigger";
    // Events stop reaching the function; SQS messages pile up in the queue.
    const ACCESS: Access = Access::Destructive;
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        let ok =
            self.uuid.len() == 36 && self.uuid.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
        if ok {
            Ok(())
        } else {
            Err(ToolError::invalid(format!(
                "uuid '{}' is not a mapping UUID (list_event_source_mappings shows them)",
                self.uuid
            )))
        }
    }

    /// The mapping's function decides: the guardrails read the mapping to find it.
    fn targets(&self) -> Vec<Target> {
        vec![Target::new(Kind::EventSourceMapping, &self.uuid)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let out = client
            .delete_event_source_mapping()
            .uuid(&self.uuid)
            .send()
            .await
            .map_err(lambda_error)?;
        Ok(Output::new(
            format!(
                "Deleting mapping {} ({} → {}).",
                self.uuid,
                out.event_source_arn().unwrap_or("?"),
                out.function_arn().unwrap_or("?")
            ),
            json!({"uuid": self.uuid, "state": out.state(),
                   "event_source_arn": out.event_source_arn(),
                   "function_arn": out.function_arn()}),
        ))
    }
}

/// A function URL, in its function.
fn url_target(function: &str, qualifier: Option<&str>) -> Target {
    let id = match qualifier {
        Some(q) => format!("{function}:{q}"),
        None => function.to_string(),
    };
    in_function(Kind::FunctionUrl, id, function)
}

fn split_qualified(name: &str) -> (String, Option<String>) {
    (super::unqualified(name), super::qualifier_of(name))
}

fn check_statement(id: &str) -> Result<(), ToolError> {
    let ok = !id.is_empty()
        && id.len() <= 100
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ToolError::invalid(format!(
            "statement_id '{id}' must be 1-100 letters, digits, - and _"
        )))
    }
}

fn mapping_json(m: &EventSourceMappingConfiguration) -> Value {
    json!({
        "uuid": m.uuid(),
        "event_source_arn": m.event_source_arn(),
        "function_arn": m.function_arn(),
        "state": m.state(),
        "batch_size": m.batch_size(),
        "starting_position": m.starting_position().map(|p| p.as_str()),
        "last_processing_result": m.last_processing_result(),
    })
}
