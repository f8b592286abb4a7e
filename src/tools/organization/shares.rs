//! AWS RAM resource shares: list, create (with an idempotency token), delete.

use aws_sdk_ram::{
    Client,
    types::{ResourceOwner, ResourceShare, ResourceShareStatus, Tag},
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{check_name, check_tags};
use crate::{
    aws::{outcome::call_token, paging::PageRequest},
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Flag, Kind, Risk, Tags, Target},
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListResourceShares {
    /// SELF (default) or OTHER-ACCOUNTS
    pub owner: Option<String>,
    /// ACTIVE, PENDING, DELETED…
    pub status: Option<String>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl ListResourceShares {
    fn owner(&self) -> Result<ResourceOwner, ToolError> {
        match self.owner.as_deref().unwrap_or("SELF") {
            "SELF" => Ok(ResourceOwner::SelfValue),
            "OTHER-ACCOUNTS" => Ok(ResourceOwner::OtherAccounts),
            _ => Err(ToolError::invalid("owner must be SELF or OTHER-ACCOUNTS")),
        }
    }
}

impl Action for ListResourceShares {
    const NAME: &'static str = "list_resource_shares";
    const DESCRIPTION: &'static str = "RAM resource shares";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        self.owner()?;
        if let Some(s) = &self.status
            && !ResourceShareStatus::values().contains(&s.as_str())
        {
            return Err(ToolError::invalid(format!(
                "status must be one of {}",
                ResourceShareStatus::values().join(", ")
            )));
        }
        PageRequest::new(self.max_results, self.next_token.as_deref()).map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let client: Client = cx.client().await;
        let out = client
            .get_resource_shares()
            .resource_owner(self.owner()?)
            .set_resource_share_status(self.status.as_deref().map(ResourceShareStatus::from))
            .max_results(page.aws_page_size(1, 500))
            .set_next_token(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let list: Vec<Value> = out.resource_shares().iter().map(share_json).collect();
        let (items, next) = page.finish(list, out.next_token().map(str::to_string));
        Ok(Output::new(
            format!("{} resource share(s).", items.len()),
            json!({"resource_shares": items}),
        )
        .with_next_token(next))
    }
}

fn share_json(s: &ResourceShare) -> Value {
    let tags: Tags = s
        .tags()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect();
    json!({
        "arn": s.resource_share_arn(),
        "name": s.name(),
        "owner": s.owning_account_id(),
        "status": s.status().map(|s| s.as_str()),
        "allow_external_principals": s.allow_external_principals(),
        "created": s.creation_time().map(crate::aws::time),
        "tags": tags,
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateResourceShare {
    pub name: String,
    /// ARNs of the resources to share
    pub resource_arns: Option<Vec<String>>,
    /// Account ids, OU/organization ARNs
    pub principals: Option<Vec<String>>,
    /// Outside the organization (default false)
    pub allow_external_principals: Option<bool>,
    pub tags: Option<Tags>,
}

impl Action for CreateResourceShare {
    const NAME: &'static str = "create_resource_share";
    const DESCRIPTION: &'static str = "Share resources with accounts or OUs";
    const ACCESS: Access = Access::Write;
    // Others gain access to the shared resources.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_name("name", &self.name, 255)?;
        check_tags(self.tags.as_ref())?;
        for arn in self.resource_arns.iter().flatten() {
            if !arn.starts_with("arn:") || arn.len() > 2048 {
                return Err(ToolError::invalid(format!(
                    "resource_arns holds '{}', which is not an ARN",
                    arn.chars().take(80).collect::<String>()
                )));
            }
        }
        for p in self.principals.iter().flatten() {
            let account = p.len() == 12 && p.chars().all(|c| c.is_ascii_digit());
            if !account && !p.starts_with("arn:") && !p.ends_with(".amazonaws.com") {
                return Err(ToolError::invalid(format!(
                    "principals holds '{}'; give account ids, OU or organization ARNs, IAM ARNs \
                     or service principals",
                    p.chars().take(80).collect::<String>()
                )));
            }
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::created(Kind::ResourceShare, &self.name)]
    }

    fn flags(&self) -> Vec<Flag> {
        if self.allow_external_principals == Some(true) {
            vec![Flag::high(
                "allows principals outside the organization to receive the share",
            )]
        } else {
            Vec::new()
        }
    }

    /// CreateResourceShare takes a client token: one per call, repeated by the SDK's retries.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let tags: Option<Vec<Tag>> = self.tags.as_ref().map(|t| {
            t.iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect()
        });
        let out = client
            .create_resource_share()
            .name(&self.name)
            .set_resource_arns(self.resource_arns.clone())
            .set_principals(self.principals.clone())
            .allow_external_principals(self.allow_external_principals.unwrap_or(false))
            .set_tags(tags)
            .client_token(call_token())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let s = out.resource_share();
        Ok(Output::new(
            format!(
                "Created resource share {} ({}).",
                self.name,
                s.and_then(|s| s.resource_share_arn()).unwrap_or("?")
            ),
            s.map(share_json)
                .unwrap_or_else(|| json!({"name": self.name})),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteResourceShare {
    pub resource_share_arn: String,
}

impl Action for DeleteResourceShare {
    const NAME: &'static str = "delete_resource_share";
    const DESCRIPTION: &'static str = "Delete a share (others lose access)";
    const ACCESS: Access = Access::Destructive;
    // The accounts it shares with lose access to the resources at once.
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        let a = &self.resource_share_arn;
        if !(a.starts_with("arn:") && a.contains(":ram:") && a.contains(":resource-share/")) {
            return Err(ToolError::invalid(
                "resource_share_arn must be a RAM resource share ARN",
            ));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::new(Kind::ResourceShare, &self.resource_share_arn)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        client
            .delete_resource_share()
            .resource_share_arn(&self.resource_share_arn)
            .client_token(call_token())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        Ok(Output::new(
            format!("Deleted resource share {}.", self.resource_share_arn),
            json!({"arn": self.resource_share_arn, "deleted": true}),
        ))
    }
}
