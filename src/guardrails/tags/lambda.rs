//! Lambda functions and the functions event source mappings feed.

use super::Results;
use crate::{
    aws::{At, AwsPool, Guard},
    error::ToolError,
    registry::{Kind, Tags},
};

/// Tags of Lambda functions (name or ARN, unqualified): GetFunctionConfiguration for the ARN,
/// then ListTags. A function that does not exist has no tags; any other failure is `Err`.
pub(super) async fn functions(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_lambda::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    for (kind, id) in ids {
        let found = match function_tags(&client, id).await {
            Ok(Some(tags)) => Ok(vec![tags]),
            Ok(None) => Ok(vec![]),
            Err(e) => Err(e.to_string()),
        };
        out.push(((*kind, id.clone()), found));
    }
    out
}

/// A function's tags, or `None` when it does not exist.
pub async fn function_tags(
    client: &aws_sdk_lambda::Client,
    function: &str,
) -> Result<Option<Tags>, ToolError> {
    let not_found = |e: &ToolError| e.aws_code() == Some("ResourceNotFoundException");
    let arn = match client
        .get_function_configuration()
        .function_name(function)
        .send()
        .await
    {
        Ok(c) => c.function_arn().unwrap_or(function).to_string(),
        Err(e) => {
            return match ToolError::from_sdk(e) {
                e if not_found(&e) => Ok(None),
                e => Err(e),
            };
        }
    };
    // ListTags takes the unqualified ARN: a version's configuration answers with a qualified one.
    let arn = unqualified_function(&arn);
    let tags = client
        .list_tags()
        .resource(&arn)
        .send()
        .await
        .map_err(ToolError::from_sdk)?;
    Ok(Some(
        tags.tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
    ))
}

/// The function a name, ARN or partial ARN names, without its qualifier (`:alias`,
/// `:version`): `fn:live` → `fn`, `arn:aws:lambda:r:1:function:fn:3` →
/// `arn:aws:lambda:r:1:function:fn`, `1:function:fn:live` → `1:function:fn`.
pub fn unqualified_function(name: &str) -> String {
    let parts: Vec<&str> = name.split(':').collect();
    let keep = if name.starts_with("arn:") {
        7
    } else if parts.get(1) == Some(&"function") {
        3
    } else {
        1
    };
    parts[..keep.min(parts.len())].join(":")
}

/// Tags of the functions event source mappings feed, read from each mapping.
pub(super) async fn mappings(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_lambda::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    for (kind, id) in ids {
        let found = match client.get_event_source_mapping().uuid(id).send().await {
            Ok(m) => match m.function_arn() {
                Some(f) => match function_tags(&client, f).await {
                    Ok(Some(tags)) => Ok(vec![tags]),
                    Ok(None) => Ok(vec![]),
                    Err(e) => Err(e.to_string()),
                },
                None => Err(format!("mapping {id} names no function")),
            },
            Err(e) => match ToolError::from_sdk(e) {
                e if e.aws_code() == Some("ResourceNotFoundException") => Ok(vec![]),
                e => Err(e.to_string()),
            },
        };
        out.push(((*kind, id.clone()), found));
    }
    out
}
