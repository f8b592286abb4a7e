//! Tags on accounts, OUs, roots and policies. Tags that set an environment key change what the
//! guardrails see: the dispatcher flags a `tags` argument, and removing one is flagged here.

use aws_sdk_organizations::Client;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::{check_id, check_tags, org_error, org_tags, target};
use crate::{
    error::ToolError,
    guardrails::environment::environment_key_flag,
    output::Output,
    registry::{Access, Action, Cx, Flag, Kind, Risk, Tags, Target},
};

const TAGGABLE: &[Kind] = &[
    Kind::OrgAccount,
    Kind::OrgUnit,
    Kind::OrgRoot,
    Kind::OrgPolicy,
];

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TagResource {
    /// Account, OU, root or policy id
    pub resource_id: String,
    pub tags: Tags,
}

impl Action for TagResource {
    const NAME: &'static str = "tag_resource";
    const DESCRIPTION: &'static str = "Add or change tags";
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_id("resource_id", &self.resource_id, TAGGABLE)?;
        if self.tags.is_empty() {
            return Err(ToolError::invalid("tags is empty"));
        }
        check_tags(Some(&self.tags))
    }

    fn targets(&self) -> Vec<Target> {
        vec![target(&self.resource_id)]
    }

    fn flags(&self) -> Vec<Flag> {
        environment_key_flag(self.tags.keys(), "changes")
            .into_iter()
            .collect()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        client
            .tag_resource()
            .resource_id(&self.resource_id)
            .set_tags(org_tags(Some(&self.tags))?)
            .send()
            .await
            .map_err(org_error)?;
        Ok(Output::new(
            format!(
                "Tagged {} with {} tag(s).",
                self.resource_id,
                self.tags.len()
            ),
            json!({"resource_id": self.resource_id, "tags": self.tags}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UntagResource {
    pub resource_id: String,
    pub tag_keys: Vec<String>,
}

impl Action for UntagResource {
    const NAME: &'static str = "untag_resource";
    const DESCRIPTION: &'static str = "Remove tags";
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_id("resource_id", &self.resource_id, TAGGABLE)?;
        if self.tag_keys.is_empty() || self.tag_keys.len() > 50 {
            return Err(ToolError::invalid("tag_keys holds 1-50 keys"));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![target(&self.resource_id)]
    }

    fn flags(&self) -> Vec<Flag> {
        environment_key_flag(&self.tag_keys, "removes")
            .into_iter()
            .collect()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        client
            .untag_resource()
            .resource_id(&self.resource_id)
            .set_tag_keys(Some(self.tag_keys.clone()))
            .send()
            .await
            .map_err(org_error)?;
        Ok(Output::new(
            format!(
                "Removed {} tag key(s) from {}.",
                self.tag_keys.len(),
                self.resource_id
            ),
            json!({"resource_id": self.resource_id, "removed": self.tag_keys}),
        ))
    }
}
