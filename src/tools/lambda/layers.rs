//! Layers: list, publish a version from inline source or S3, delete a version. Layers have no
//! tags, so the account's environment applies to them.

use std::collections::BTreeMap;

use aws_sdk_lambda::{Client, types::Runtime};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Code, lambda_error};
use crate::{
    aws::paging::PageRequest,
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Kind, Risk, Target},
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListLayers {
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListLayers {
    const NAME: &'static str = "list_layers";
    const DESCRIPTION: &'static str = "Layers with their latest version";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let resp = client
            .list_layers()
            .max_items(page.aws_page_size(1, 50))
            .set_marker(page.aws_token.clone())
            .send()
            .await
            .map_err(lambda_error)?;
        let all: Vec<Value> = resp
            .layers()
            .iter()
            .map(|l| {
                let v = l.latest_matching_version();
                json!({
                    "layer_name": l.layer_name(),
                    "layer_arn": l.layer_arn(),
                    "latest_version": v.map(|v| v.version()),
                    "latest_version_arn": v.and_then(|v| v.layer_version_arn()),
                    "compatible_runtimes": v.map(|v| v.compatible_runtimes().iter()
                        .map(|r| r.as_str()).collect::<Vec<_>>()),
                    "created": v.and_then(|v| v.created_date()),
                })
            })
            .collect();
        let (items, next) = page.finish(all, resp.next_marker().map(str::to_string));
        Ok(Output::new(
            format!("{} layer(s).", items.len()),
            json!({ "layers": items }),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishLayerVersion {
    pub layer_name: String,
    pub inline_code: Option<BTreeMap<String, String>>,
    pub s3_uri: Option<String>,
    pub compatible_runtimes: Option<Vec<String>>,
}

impl Action for PublishLayerVersion {
    const NAME: &'static str = "publish_layer_version";
    const DESCRIPTION: &'static str = "Publish a layer version";
    const ACCESS: Access = Access::Write;
    // A new immutable version; functions use it only when configured to.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_layer_name(&self.layer_name)?;
        Code::from_input(self.inline_code.as_ref(), self.s3_uri.as_deref()).map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::created(Kind::LambdaLayer, &self.layer_name)]
    }

    /// Each call makes a new version (no idempotency token): sent once.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let code = Code::from_input(self.inline_code.as_ref(), self.s3_uri.as_deref())?;
        let out = client
            .publish_layer_version()
            .layer_name(&self.layer_name)
            .content(code.layer_content())
            .set_compatible_runtimes(
                self.compatible_runtimes
                    .as_ref()
                    .map(|r| r.iter().map(|r| Runtime::from(r.as_str())).collect()),
            )
            .customize()
            .config_override(super::once())
            .send()
            .await
            .map_err(|e| {
                crate::aws::outcome::sent_once(
                    e,
                    lambda_error,
                    "PublishLayerVersion",
                    "the layer version",
                    || crate::aws::outcome::Check {
                        tool: "aws_lambda",
                        action: "list_layers",
                        arguments: json!({}),
                        look_for: format!("the latest version of {}", self.layer_name),
                    },
                )
            })?;
        Ok(Output::new(
            format!(
                "Published version {} of layer {} ({}).",
                out.version(),
                self.layer_name,
                code.describe()
            ),
            json!({
                "layer_version_arn": out.layer_version_arn(),
                "version": out.version(),
                "code_size": out.content().map(|c| c.code_size()),
                "code_sha256": out.content().and_then(|c| c.code_sha256()),
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteLayerVersion {
    pub layer_name: String,
    pub version_number: i64,
}

impl Action for DeleteLayerVersion {
    const NAME: &'static str = "delete_layer_version";
    const DESCRIPTION: &'static str = "Delete a layer version";
    const ACCESS: Access = Access::Destructive;
    // The content is gone for good: new functions and updates cannot use it.
    const RISK: Risk = Risk::Critical;

    fn validate(&self) -> Result<(), ToolError> {
        check_layer_name(&self.layer_name)?;
        if self.version_number < 1 {
            return Err(ToolError::invalid("version_number starts at 1"));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::new(
            Kind::LambdaLayer,
            format!("{}:{}", self.layer_name, self.version_number),
        )]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        client
            .delete_layer_version()
            .layer_name(&self.layer_name)
            .version_number(self.version_number)
            .send()
            .await
            .map_err(lambda_error)?;
        Ok(Output::new(
            format!(
                "Deleted version {} of layer {}; functions that use it keep their copy.",
                self.version_number, self.layer_name
            ),
            json!({"layer_name": self.layer_name, "version_number": self.version_number}),
        ))
    }
}

fn check_layer_name(name: &str) -> Result<(), ToolError> {
    let ok = !name.is_empty()
        && name.len() <= 140
        && (name.starts_with("arn:")
            || name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c)));
    if ok {
        Ok(())
    } else {
        Err(ToolError::invalid(format!(
            "'{name}' is not a layer name (letters, digits, - and _) or layer ARN"
        )))
    }
}
