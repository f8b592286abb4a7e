//! Versions and aliases: publish and list versions; create, repoint (with weighted routing
//! between two versions) and delete aliases.

use std::collections::HashMap;

use aws_sdk_lambda::{Client, types::AliasRoutingConfiguration};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{check_qualifier, check_unqualified, function_target, in_function, lambda_error, once};
use crate::{
    aws::{
        outcome::{Check, sent_once},
        paging::PageRequest,
    },
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Kind, Risk, Target},
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishVersion {
    pub function_name: String,
}

impl Action for PublishVersion {
    const NAME: &'static str = "publish_version";
    const DESCRIPTION: &'static str = "Publish $LATEST as a new version";
    const ACCESS: Access = Access::Write;
    // A version is a read-only copy; nothing running changes.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_unqualified("function_name", &self.function_name)
    }

    fn targets(&self) -> Vec<Target> {
        vec![function_target(&self.function_name)]
    }

    /// Publishing unchanged code answers with the existing version, so a retry cannot make two.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let out = client
            .publish_version()
            .function_name(&self.function_name)
            .send()
            .await
            .map_err(lambda_error)?;
        Ok(Output::new(
            format!(
                "Published version {} of {}.",
                out.version().unwrap_or("?"),
                self.function_name
            ),
            json!({"function_arn": out.function_arn(), "version": out.version(),
                   "code_sha256": out.code_sha256()}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListVersions {
    pub function_name: String,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListVersions {
    const NAME: &'static str = "list_versions";
    const DESCRIPTION: &'static str = "Versions of a function";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_unqualified("function_name", &self.function_name)
    }

    fn targets(&self) -> Vec<Target> {
        vec![function_target(&self.function_name)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let resp = client
            .list_versions_by_function()
            .function_name(&self.function_name)
            .max_items(page.aws_page_size(1, 50))
            .set_marker(page.aws_token.clone())
            .send()
            .await
            .map_err(lambda_error)?;
        let all: Vec<Value> = resp
            .versions()
            .iter()
            .map(|v| {
                json!({"version": v.version(), "description": v.description(),
                       "code_sha256": v.code_sha256(), "last_modified": v.last_modified()})
            })
            .collect();
        let (items, next) = page.finish(all, resp.next_marker().map(str::to_string));
        Ok(Output::new(
            format!("{} version(s) of {}.", items.len(), self.function_name),
            json!({ "versions": items }),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListAliases {
    pub function_name: String,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListAliases {
    const NAME: &'static str = "list_aliases";
    const DESCRIPTION: &'static str = "Aliases with versions and weights";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_unqualified("function_name", &self.function_name)
    }

    fn targets(&self) -> Vec<Target> {
        vec![function_target(&self.function_name)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let resp = client
            .list_aliases()
            .function_name(&self.function_name)
            .max_items(page.aws_page_size(1, 50))
            .set_marker(page.aws_token.clone())
            .send()
            .await
            .map_err(lambda_error)?;
        let all: Vec<Value> = resp
            .aliases()
            .iter()
            .map(|a| {
                json!({"name": a.name(), "function_version": a.function_version(),
                       "weights": a.routing_config()
                           .and_then(|r| r.additional_version_weights()),
                       "description": a.description(), "alias_arn": a.alias_arn()})
            })
            .collect();
        let (items, next) = page.finish(all, resp.next_marker().map(str::to_string));
        Ok(Output::new(
            format!("{} alias(es) of {}.", items.len(), self.function_name),
            json!({ "aliases": items }),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAlias {
    pub function_name: String,
    pub alias: String,
    pub version: String,
    /// Weighted second version
    pub canary_version: Option<String>,
    /// 0-1
    pub canary_weight: Option<f64>,
}

impl Action for CreateAlias {
    const NAME: &'static str = "create_alias";
    const DESCRIPTION: &'static str = "Alias on a version, optional canary";
    const ACCESS: Access = Access::Write;
    // A new alias takes no traffic until something calls it.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_unqualified("function_name", &self.function_name)?;
        check_alias(&self.alias)?;
        check_routing(&self.version, &self.canary_version, self.canary_weight)
    }

    fn targets(&self) -> Vec<Target> {
        let mut alias = alias_target(&self.function_name, &self.alias);
        alias.new = true;
        vec![alias]
    }

    /// CreateAlias has no idempotency token: sent once.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let out = client
            .create_alias()
            .function_name(&self.function_name)
            .name(&self.alias)
            .function_version(&self.version)
            .set_routing_config(routing(&self.canary_version, self.canary_weight))
            .customize()
            .config_override(once())
            .send()
            .await
            .map_err(|e| {
                sent_once(e, lambda_error, "CreateAlias", "the alias", || Check {
                    tool: "aws_lambda",
                    action: "list_aliases",
                    arguments: json!({"function_name": self.function_name}),
                    look_for: format!("alias {}", self.alias),
                })
            })?;
        Ok(Output::new(
            format!(
                "Alias {} of {} points to version {}{}.",
                self.alias,
                self.function_name,
                self.version,
                split(&self.canary_version, self.canary_weight)
            ),
            json!({"alias_arn": out.alias_arn(), "function_version": out.function_version(),
                   "weights": out.routing_config().and_then(|r| r.additional_version_weights())}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAlias {
    pub function_name: String,
    pub alias: String,
    pub version: Option<String>,
    pub canary_version: Option<String>,
    pub canary_weight: Option<f64>,
}

impl Action for UpdateAlias {
    const NAME: &'static str = "update_alias";
    const DESCRIPTION: &'static str = "Repoint an alias or shift its canary";
    const ACCESS: Access = Access::Write;
    // An alias is how callers reach a version: repointing it moves their traffic at once.
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        check_unqualified("function_name", &self.function_name)?;
        check_alias(&self.alias)?;
        if let Some(v) = &self.version {
            check_routing(v, &self.canary_version, self.canary_weight)?;
        } else if self.canary_version.is_some() {
            check_routing("1", &self.canary_version, self.canary_weight)?;
        } else if self.canary_weight.is_some() {
            return Err(ToolError::invalid("canary_weight goes with canary_version"));
        } else {
            return Err(ToolError::invalid(
                "give version, or canary_version and canary_weight",
            ));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![alias_target(&self.function_name, &self.alias)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        // Without canary_version the routing is cleared only when a new version is given:
        // then all traffic goes to it.
        let routing = match (&self.canary_version, &self.version) {
            (Some(_), _) => routing(&self.canary_version, self.canary_weight),
            (None, Some(_)) => Some(AliasRoutingConfiguration::builder().build()),
            (None, None) => None,
        };
        let out = client
            .update_alias()
            .function_name(&self.function_name)
            .name(&self.alias)
            .set_function_version(self.version.clone())
            .set_routing_config(routing)
            .send()
            .await
            .map_err(lambda_error)?;
        Ok(Output::new(
            format!(
                "Alias {} of {} now points to version {}{}.",
                self.alias,
                self.function_name,
                out.function_version().unwrap_or("?"),
                split(&self.canary_version, self.canary_weight)
            ),
            json!({"alias_arn": out.alias_arn(), "function_version": out.function_version(),
                   "weights": out.routing_config().and_then(|r| r.additional_version_weights())}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteAlias {
    pub function_name: String,
    pub alias: String,
}

impl Action for DeleteAlias {
    const NAME: &'static str = "delete_alias";
    const DESCRIPTION: &'static str = "Delete an alias";
    // Whatever invokes the alias (its ARN, triggers, URL) fails from now on.
    const ACCESS: Access = Access::Destructive;
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        check_unqualified("function_name", &self.function_name)?;
        check_alias(&self.alias)
    }

    fn targets(&self) -> Vec<Target> {
        vec![alias_target(&self.function_name, &self.alias)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        client
            .delete_alias()
            .function_name(&self.function_name)
            .name(&self.alias)
            .send()
            .await
            .map_err(lambda_error)?;
        Ok(Output::new(
            format!("Deleted alias {} of {}.", self.alias, self.function_name),
            json!({"function_name": self.function_name, "name": self.alias}),
        ))
    }
}

/// An alias, in its function.
pub fn alias_target(function: &str, alias: &str) -> Target {
    in_function(Kind::LambdaAlias, format!("{function}:{alias}"), function)
}

fn check_alias(name: &str) -> Result<(), ToolError> {
    check_qualifier("alias", name)?;
    if name == "$LATEST" || name.chars().all(|c| c.is_ascii_digit()) {
        return Err(ToolError::invalid(format!(
            "alias '{name}' cannot be a version; use a word such as live"
        )));
    }
    Ok(())
}

fn check_version(field: &str, v: &str) -> Result<(), ToolError> {
    if v == "$LATEST" || (!v.is_empty() && v.chars().all(|c| c.is_ascii_digit())) {
        Ok(())
    } else {
        Err(ToolError::invalid(format!(
            "{field} '{v}' is a version number or $LATEST (list_versions shows them)"
        )))
    }
}

fn check_routing(
    version: &str,
    additional: &Option<String>,
    weight: Option<f64>,
) -> Result<(), ToolError> {
    check_version("version", version)?;
    match (additional, weight) {
        (None, None) => Ok(()),
        (Some(a), Some(w)) => {
            check_version("canary_version", a)?;
            if a == version || a == "$LATEST" || version == "$LATEST" {
                return Err(ToolError::invalid(
                    "weighted routing is between two different published versions",
                ));
            }
            if !(0.0..=1.0).contains(&w) {
                return Err(ToolError::invalid(
                    "canary_weight is the share of traffic for canary_version, 0 to 1",
                ));
            }
            Ok(())
        }
        _ => Err(ToolError::invalid(
            "canary_version and canary_weight go together",
        )),
    }
}

fn routing(additional: &Option<String>, weight: Option<f64>) -> Option<AliasRoutingConfiguration> {
    let (a, w) = (additional.as_ref()?, weight?);
    Some(
        AliasRoutingConfiguration::builder()
            .set_additional_version_weights(Some(HashMap::from([(a.clone(), w)])))
            .build(),
    )
}

fn split(additional: &Option<String>, weight: Option<f64>) -> String {
    match (additional, weight) {
        (Some(a), Some(w)) => format!(", with {:.0}% of traffic to version {a}", w * 100.0),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_is_checked() {
        assert!(check_routing("2", &Some("3".into()), Some(0.1)).is_ok());
        assert!(check_routing("2", &Some("2".into()), Some(0.1)).is_err());
        assert!(check_routing("2", &Some("3".into()), Some(1.5)).is_err());
        assert!(check_routing("2", &Some("3".into()), None).is_err());
        assert!(check_routing("$LATEST", &Some("3".into()), Some(0.5)).is_err());
        assert!(check_routing("live", &None, None).is_err());
        assert!(check_alias("7").is_err());
        let t = alias_target("orders", "live");
        assert_eq!(t.parent.unwrap().id, "orders");
    }
}
