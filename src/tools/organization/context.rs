//! The session context: where this server process sends calls that name no `account` or
//! `region` of their own. It lives in memory only (a new process starts at the source
//! account and the configured region), and every call still resolves its account against the
//! allowlist, so a context set while an account was allowed stops working when it is not.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::{
    aws::SessionContext,
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Risk, Target},
};

/// Who the credentials of this call's context are, from STS.
async fn identity(cx: &Cx<'_>) -> Result<(String, String), ToolError> {
    let sts: aws_sdk_sts::Client = cx.client().await;
    let me = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(ToolError::from_sdk)?;
    Ok((
        me.account().unwrap_or_default().to_string(),
        me.arn().unwrap_or_default().to_string(),
    ))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SwitchAccount {}

impl Action for SwitchAccount {
    const NAME: &'static str = "switch_account";
    const DESCRIPTION: &'static str = "Send later calls to this call's account/region";
    // Changes nothing in AWS; every later call is judged by the guardrails where it goes.
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        // Reaching the account proves the role can be assumed before calls depend on it.
        let (account_id, arn) = identity(cx).await?;
        let context = SessionContext {
            account: cx.account().cloned(),
            region: cx.region(),
        };
        cx.aws().set_session_context(context.clone());
        Ok(Output::new(
            format!(
                "Calls without account or region now go to account {account_id}{} in {}; \
                 reset_context goes back.",
                context
                    .account
                    .as_ref()
                    .and_then(|a| a.alias.as_deref())
                    .map(|a| format!(" ({a})"))
                    .unwrap_or_default(),
                context.region.as_deref().unwrap_or("the default region")
            ),
            json!({"context": context, "account_id": account_id, "identity": arn}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetCurrentContext {}

impl Action for GetCurrentContext {
    const NAME: &'static str = "get_current_context";
    const DESCRIPTION: &'static str = "Where calls go: account, role, region";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let session = cx.aws().session_context();
        let (account_id, arn) = identity(cx).await?;
        let switched = session != SessionContext::default();
        Ok(Output::new(
            format!(
                "Calls go to account {account_id} in {} ({}).",
                cx.region().as_deref().unwrap_or("the default region"),
                if switched {
                    "set by switch_account"
                } else {
                    "the server's own credentials and region"
                }
            ),
            json!({
                "account_id": account_id,
                "identity": arn,
                "region": cx.region(),
                "session_context": session,
                "switched": switched,
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetContext {}

impl Action for ResetContext {
    const NAME: &'static str = "reset_context";
    const DESCRIPTION: &'static str = "Back to the server's own account and region";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let before = cx.aws().session_context();
        cx.aws().set_session_context(SessionContext::default());
        Ok(Output::new(
            "Calls without account or region go to the server's own account and region again.",
            json!({"previous": before}),
        ))
    }
}
