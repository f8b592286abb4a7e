//! Tags on EC2 resources. Tags decide which environment a resource is in, so changing the
//! environment tag is judged in the stricter of the old and the new environment and needs what
//! a critical change needs there.

use aws_sdk_ec2::types::Tag;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::Ec2;
use crate::{
    aws::ec2::{sdk_tags, send},
    error::ToolError,
    guardrails::environment::environment_key_flag,
    output::Output,
    registry::{Access, Action, Cx, DryRun, Flag, Risk, Tags, Target},
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddTags {
    pub resource_ids: Vec<String>,
    /// Key to value
    pub tags: Tags,
}

impl Action for AddTags {
    const NAME: &'static str = "add_tags";
    const DESCRIPTION: &'static str = "Add or overwrite tags";
    const ACCESS: Access = Access::Write;
    // Tags drive the guardrails, cost allocation and tag-based IAM conditions.
    const RISK: Risk = Risk::High;
    const DRY_RUN: DryRun = DryRun::Native;

    fn validate(&self) -> Result<(), ToolError> {
        if self.resource_ids.is_empty() || self.tags.is_empty() {
            return Err(ToolError::invalid(
                "add_tags needs resource_ids and at least one tag",
            ));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        self.resource_ids.iter().map(Target::ec2).collect()
    }

    fn flags(&self) -> Vec<Flag> {
        environment_key_flag(self.tags.keys(), "changes")
            .into_iter()
            .collect()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let ec2 = Ec2::of(cx).await;
        let req = ec2
            .client
            .create_tags()
            .set_resources(Some(self.resource_ids.clone()))
            .set_tags(Some(sdk_tags(&self.tags)));
        send!(ec2, "create_tags", req);
        Ok(Output::new(
            format!(
                "Tagged {} resource(s) with {} tag(s).",
                self.resource_ids.len(),
                self.tags.len()
            ),
            json!({ "resource_ids": self.resource_ids, "tags": self.tags }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveTags {
    pub resource_ids: Vec<String>,
    pub tag_keys: Vec<String>,
}

impl Action for RemoveTags {
    const NAME: &'static str = "remove_tags";
    const DESCRIPTION: &'static str = "Remove tags";
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::High;
    const DRY_RUN: DryRun = DryRun::Native;

    fn validate(&self) -> Result<(), ToolError> {
        if self.resource_ids.is_empty() || self.tag_keys.is_empty() {
            return Err(ToolError::invalid(
                "remove_tags needs resource_ids and at least one tag key",
            ));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        self.resource_ids.iter().map(Target::ec2).collect()
    }

    fn flags(&self) -> Vec<Flag> {
        environment_key_flag(&self.tag_keys, "removes")
            .into_iter()
            .collect()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let ec2 = Ec2::of(cx).await;
        let tags: Vec<Tag> = self
            .tag_keys
            .iter()
            .map(|k| Tag::builder().key(k).build())
            .collect();
        let req = ec2
            .client
            .delete_tags()
            .set_resources(Some(self.resource_ids.clone()))
            .set_tags(Some(tags));
        send!(ec2, "delete_tags", req);
        Ok(Output::new(
            format!(
                "Removed {} tag key(s) from {} resource(s).",
                self.tag_keys.len(),
                self.resource_ids.len()
            ),
            json!({ "resource_ids": self.resource_ids, "removed_keys": self.tag_keys }),
        ))
    }
}
