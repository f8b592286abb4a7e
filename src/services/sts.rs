//! STS: who the credentials are (the account id that maps to an environment).

use crate::error::ToolError;

pub async fn account_id(client: &aws_sdk_sts::Client) -> Result<String, ToolError> {
    let out = client
        .get_caller_identity()
        .send()
        .await
        .map_err(ToolError::from_sdk)?;
    Ok(out.account().unwrap_or_default().to_string())
}
