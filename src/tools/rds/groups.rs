//! Subnet groups (where instances may live) and parameter groups (engine settings): list,
//! create, and change parameters.

use std::collections::BTreeMap;

use aws_sdk_rds::{
    Client,
    types::{ApplyMethod, Parameter},
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::{create_error, once, rds_error, rds_tags};
use crate::{
    aws::paging::PageRequest,
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Kind, Risk, Tags, Target},
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListSubnetGroups {
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListSubnetGroups {
    const NAME: &'static str = "list_subnet_groups";
    const DESCRIPTION: &'static str = "Subnet groups, VPC, subnets";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let resp = client
            .describe_db_subnet_groups()
            .max_records(page.aws_page_size(20, 100))
            .set_marker(page.aws_token.clone())
            .send()
            .await
            .map_err(rds_error)?;
        let groups = resp
            .db_subnet_groups()
            .iter()
            .map(|g| {
                json!({
                    "name": g.db_subnet_group_name(),
                    "description": g.db_subnet_group_description(),
                    "vpc_id": g.vpc_id(),
                    "status": g.subnet_group_status(),
                    "subnets": g.subnets().iter().map(|s| json!({
                        "subnet_id": s.subnet_identifier(),
                        "az": s.subnet_availability_zone().and_then(|a| a.name()),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let (items, next) = page.finish(groups, resp.marker().map(str::to_string));
        Ok(Output::new(
            format!("{} subnet group(s).", items.len()),
            json!({"subnet_groups": items}),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSubnetGroup {
    pub name: String,
    /// In 2+ AZs
    pub subnet_ids: Vec<String>,
    pub description: Option<String>,
    pub tags: Option<Tags>,
}

impl Action for CreateSubnetGroup {
    const NAME: &'static str = "create_subnet_group";
    const DESCRIPTION: &'static str = "Subnets instances may use";
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_group_name("name", &self.name)?;
        if self.subnet_ids.len() < 2 {
            return Err(ToolError::invalid(
                "subnet_ids needs subnets in at least two availability zones",
            ));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::created(Kind::DbSubnetGroup, &self.name)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let out = client
            .create_db_subnet_group()
            .db_subnet_group_name(&self.name)
            .db_subnet_group_description(self.description.as_deref().unwrap_or(&self.name))
            .set_subnet_ids(Some(self.subnet_ids.clone()))
            .set_tags(rds_tags(&self.tags))
            .customize()
            .config_override(once())
            .send()
            .await
            .map_err(|e| {
                create_error(
                    e,
                    "CreateDBSubnetGroup",
                    &format!("subnet group {}", self.name),
                    "list_subnet_groups",
                    json!({}),
                )
            })?;
        let vpc = out.db_subnet_group().and_then(|g| g.vpc_id());
        Ok(Output::new(
            format!(
                "Created subnet group {} ({} subnets).",
                self.name,
                self.subnet_ids.len()
            ),
            json!({"name": self.name, "vpc_id": vpc, "subnet_ids": self.subnet_ids}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListParameterGroups {
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListParameterGroups {
    const NAME: &'static str = "list_parameter_groups";
    const DESCRIPTION: &'static str = "Parameter groups and families";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let resp = client
            .describe_db_parameter_groups()
            .max_records(page.aws_page_size(20, 100))
            .set_marker(page.aws_token.clone())
            .send()
            .await
            .map_err(rds_error)?;
        let groups = resp
            .db_parameter_groups()
            .iter()
            .map(|g| {
                json!({
                    "name": g.db_parameter_group_name(),
                    "family": g.db_parameter_group_family(),
                    "description": g.description(),
                })
            })
            .collect();
        let (items, next) = page.finish(groups, resp.marker().map(str::to_string));
        Ok(Output::new(
            format!("{} parameter group(s).", items.len()),
            json!({"parameter_groups": items}),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateParameterGroup {
    pub name: String,
    /// e.g. postgres16, mysql8.0
    pub family: String,
    pub description: Option<String>,
    pub tags: Option<Tags>,
}

impl Action for CreateParameterGroup {
    const NAME: &'static str = "create_parameter_group";
    const DESCRIPTION: &'static str = "Parameter group for a family";
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_group_name("name", &self.name)
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::created(Kind::DbParameterGroup, &self.name)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        client
            .create_db_parameter_group()
            .db_parameter_group_name(&self.name)
            .db_parameter_group_family(&self.family)
            .description(self.description.as_deref().unwrap_or(&self.name))
            .set_tags(rds_tags(&self.tags))
            .customize()
            .config_override(once())
            .send()
            .await
            .map_err(|e| {
                create_error(
                    e,
                    "CreateDBParameterGroup",
                    &format!("parameter group {}", self.name),
                    "list_parameter_groups",
                    json!({}),
                )
            })?;
        Ok(Output::new(
            format!("Created parameter group {} ({}).", self.name, self.family),
            json!({"name": self.name, "family": self.family}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModifyParameterGroup {
    pub name: String,
    /// Name to value, up to 20
    pub parameters: BTreeMap<String, String>,
    /// Dynamic ones now; default at the next reboot
    pub apply_now: Option<bool>,
}

impl Action for ModifyParameterGroup {
    const NAME: &'static str = "modify_parameter_group";
    const DESCRIPTION: &'static str = "Set parameters";
    const ACCESS: Access = Access::Write;
    // Every instance that uses the group runs with the new settings (their tags count too).
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        check_group_name("name", &self.name)?;
        if self.name.starts_with("default.") {
            return Err(ToolError::invalid(
                "default parameter groups cannot be changed; create_parameter_group and use it",
            ));
        }
        if self.parameters.is_empty() || self.parameters.len() > 20 {
            return Err(ToolError::invalid(
                "parameters takes 1 to 20 name: value pairs",
            ));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::new(Kind::DbParameterGroup, &self.name)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let method = if self.apply_now == Some(true) {
            ApplyMethod::Immediate
        } else {
            ApplyMethod::PendingReboot
        };
        let params: Vec<Parameter> = self
            .parameters
            .iter()
            .map(|(k, v)| {
                Parameter::builder()
                    .parameter_name(k)
                    .parameter_value(v)
                    .apply_method(method.clone())
                    .build()
            })
            .collect();
        client
            .modify_db_parameter_group()
            .db_parameter_group_name(&self.name)
            .set_parameters(Some(params))
            .send()
            .await
            .map_err(rds_error)?;
        Ok(Output::new(
            format!(
                "Set {} parameter(s) in {}, applied {}.",
                self.parameters.len(),
                self.name,
                if self.apply_now == Some(true) {
                    "now"
                } else {
                    "at each instance's next reboot"
                }
            ),
            json!({"name": self.name, "parameters": self.parameters,
                   "apply_method": method.as_str()}),
        ))
    }
}

/// A subnet or parameter group name: 1-255 letters, digits, hyphens, dots, underscores.
fn check_group_name(field: &str, name: &str) -> Result<(), ToolError> {
    let ok = !name.is_empty()
        && name.len() <= 255
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._ ".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ToolError::invalid(format!(
            "{field} must be 1-255 letters, digits, hyphens, dots or underscores"
        )))
    }
}
