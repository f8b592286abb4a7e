//! Delegated administrators: accounts that administer an AWS service for the organization.

use aws_sdk_organizations::Client;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{check_id, org_error, target};
use crate::{
    aws::paging::PageRequest,
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Kind, Risk, Target},
};

fn check_principal(p: &str) -> Result<(), ToolError> {
    let ok = p.len() <= 128
        && p.ends_with(".amazonaws.com")
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-".contains(c));
    if !ok {
        return Err(ToolError::invalid(format!(
            "service_principal must be a service principal such as guardduty.amazonaws.com, got \
             '{}'",
            p.chars().take(80).collect::<String>()
        )));
    }
    Ok(())
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListDelegatedAdministrators {
    /// e.g. guardduty.amazonaws.com
    pub service_principal: Option<String>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListDelegatedAdministrators {
    const NAME: &'static str = "list_delegated_administrators";
    const DESCRIPTION: &'static str = "Delegated admin accounts";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        if let Some(p) = &self.service_principal {
            check_principal(p)?;
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
            .list_delegated_administrators()
            .set_service_principal(self.service_principal.clone())
            .max_results(page.aws_page_size(1, 20))
            .set_next_token(page.aws_token.clone())
            .send()
            .await
            .map_err(org_error)?;
        let list: Vec<Value> = out
            .delegated_administrators()
            .iter()
            .map(|a| {
                json!({
                    "account_id": a.id(),
                    "name": a.name(),
                    "email": a.email(),
                    "delegated": a.delegation_enabled_date().map(crate::aws::time),
                })
            })
            .collect();
        let (items, next) = page.finish(list, out.next_token().map(str::to_string));
        Ok(Output::new(
            format!("{} delegated administrator(s).", items.len()),
            json!({"service_principal": self.service_principal, "administrators": items}),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterDelegatedAdministrator {
    pub account_id: String,
    pub service_principal: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeregisterDelegatedAdministrator {
    pub account_id: String,
    pub service_principal: String,
}

impl Action for RegisterDelegatedAdministrator {
    const NAME: &'static str = "register_delegated_administrator";
    const DESCRIPTION: &'static str = "Make an account a service's delegated admin";
    const ACCESS: Access = Access::Write;
    // The account gains organization-wide administration of the service.
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        check_id("account_id", &self.account_id, &[Kind::OrgAccount])?;
        check_principal(&self.service_principal)
    }

    fn targets(&self) -> Vec<Target> {
        vec![target(&self.account_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        client
            .register_delegated_administrator()
            .account_id(&self.account_id)
            .service_principal(&self.service_principal)
            .send()
            .await
            .map_err(org_error)?;
        Ok(Output::new(
            format!(
                "Account {} is now delegated administrator for {}.",
                self.account_id, self.service_principal
            ),
            json!({"account_id": self.account_id, "service_principal": self.service_principal,
                   "registered": true}),
        ))
    }
}

impl Action for DeregisterDelegatedAdministrator {
    const NAME: &'static str = "deregister_delegated_administrator";
    const DESCRIPTION: &'static str = "Remove a delegated admin";
    const ACCESS: Access = Access::Write;
    // The service's organization-wide setup run from that account may stop working.
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        check_id("account_id", &self.account_id, &[Kind::OrgAccount])?;
        check_principal(&self.service_principal)
    }

    fn targets(&self) -> Vec<Target> {
        vec![target(&self.account_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        client
            .deregister_delegated_administrator()
            .account_id(&self.account_id)
            .service_principal(&self.service_principal)
            .send()
            .await
            .map_err(org_error)?;
        Ok(Output::new(
            format!(
                "Account {} is no longer delegated administrator for {}.",
                self.account_id, self.service_principal
            ),
            json!({"account_id": self.account_id, "service_principal": self.service_principal,
                   "registered": false}),
        ))
    }
}
