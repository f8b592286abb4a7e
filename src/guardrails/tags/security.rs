//! IAM roles, users and policies, KMS keys, Secrets Manager secrets, GuardDuty detectors and
//! IAM Access Analyzer analyzers.

use super::{Found, Results};
use crate::{
    aws::{At, AwsPool, Guard, paging::AllItems},
    error::ToolError,
    registry::{Kind, Tags},
};

/// Tags of IAM roles (by name), users (by name) and managed policies (by ARN). A resource that
/// does not exist has none; any other failure is an error.
pub(super) async fn iam(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_iam::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    for (kind, id) in ids {
        // AWS managed policies belong to AWS, not to any environment of the account.
        if *kind == Kind::IamPolicy && id.contains(":aws:policy/") {
            out.push(((*kind, id.clone()), Ok(vec![])));
            continue;
        }
        // A customer-managed policy named by name lives in the caller's account.
        let name = &match kind {
            Kind::IamPolicy if !id.starts_with("arn:") => match policy_arn(aws, at, id).await {
                Ok(arn) => arn,
                Err(e) => {
                    out.push(((*kind, id.clone()), Err(e.to_string())));
                    continue;
                }
            },
            _ => id.clone(),
        };
        let tags = match kind {
            Kind::IamRole => client
                .list_role_tags()
                .role_name(id)
                .into_paginator()
                .items()
                .send()
                .all()
                .await
                .map(|t| iam_tags(&t)),
            Kind::IamUser => client
                .list_user_tags()
                .user_name(id)
                .into_paginator()
                .items()
                .send()
                .all()
                .await
                .map(|t| iam_tags(&t)),
            _ => client
                .list_policy_tags()
                .policy_arn(name)
                .into_paginator()
                .items()
                .send()
                .all()
                .await
                .map(|t| iam_tags(&t)),
        };
        let found = match tags {
            Ok(t) => Ok(vec![t]),
            Err(e) if e.aws_code() == Some("NoSuchEntity") => Ok(vec![]),
            Err(e) => Err(e.to_string()),
        };
        out.push(((*kind, id.clone()), found));
    }
    out
}

/// The ARN of a customer-managed policy of the caller's account, from its name.
async fn policy_arn(aws: &AwsPool, at: At<'_>, name: &str) -> Result<String, ToolError> {
    let sts: aws_sdk_sts::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let account = crate::aws::account_id(&sts).await?;
    let region = at
        .region
        .map(str::to_string)
        .or_else(|| aws.default_region());
    let partition = match region.as_deref() {
        Some(r) if r.starts_with("cn-") => "aws-cn",
        Some(r) if r.starts_with("us-gov-") => "aws-us-gov",
        _ => "aws",
    };
    Ok(format!("arn:{partition}:iam::{account}:policy/{name}"))
}

fn iam_tags(tags: &[aws_sdk_iam::types::Tag]) -> Tags {
    tags.iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

/// Tags of KMS keys by id, ARN or alias (ListResourceTags takes no alias: DescribeKey first).
pub(super) async fn kms(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_kms::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    for (kind, id) in ids {
        out.push(((*kind, id.clone()), kms_key_tags(&client, id).await));
    }
    out
}

async fn kms_key_tags(client: &aws_sdk_kms::Client, id: &str) -> Found {
    let not_found = |e: &ToolError| e.aws_code() == Some("NotFoundException");
    let key_id = if id.starts_with("alias/") || id.contains(":alias/") {
        match client.describe_key().key_id(id).send().await {
            Ok(d) => match d.key_metadata() {
                Some(m) => m.key_id().to_string(),
                None => return Ok(vec![]),
            },
            Err(e) => {
                return match ToolError::from_sdk(e) {
                    e if not_found(&e) => Ok(vec![]),
                    e => Err(e.to_string()),
                };
            }
        }
    } else {
        id.to_string()
    };
    match client
        .list_resource_tags()
        .key_id(key_id)
        .into_paginator()
        .items()
        .send()
        .all()
        .await
    {
        Ok(tags) => Ok(vec![
            tags.iter()
                .map(|t| (t.tag_key().to_string(), t.tag_value().to_string()))
                .collect(),
        ]),
        Err(e) if not_found(&e) => Ok(vec![]),
        Err(e) => Err(e.to_string()),
    }
}

/// Tags of Secrets Manager secrets by name or ARN, from DescribeSecret.
pub(super) async fn secrets(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_secretsmanager::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    for (kind, id) in ids {
        let found = match client.describe_secret().secret_id(id).send().await {
            Ok(d) => Ok(vec![
                d.tags()
                    .iter()
                    .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
                    .collect(),
            ]),
            Err(e) => match ToolError::from_sdk(e) {
                e if e.aws_code() == Some("ResourceNotFoundException") => Ok(vec![]),
                e => Err(e.to_string()),
            },
        };
        out.push(((*kind, id.clone()), found));
    }
    out
}

/// Tags of GuardDuty detectors, from GetDetector. GuardDuty answers an unknown detector with
/// a generic BadRequestException, so every failure counts as unreadable.
pub(super) async fn detectors(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_guardduty::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    for (kind, id) in ids {
        let found = match client.get_detector().detector_id(id).send().await {
            Ok(d) => Ok(vec![
                d.tags()
                    .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
            ]),
            Err(e) => Err(ToolError::from_sdk(e).to_string()),
        };
        out.push(((*kind, id.clone()), found));
    }
    out
}

/// Tags of IAM Access Analyzer analyzers by name, from GetAnalyzer.
pub(super) async fn analyzers(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_accessanalyzer::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    for (kind, id) in ids {
        let found = match client.get_analyzer().analyzer_name(id).send().await {
            Ok(d) => Ok(vec![
                d.analyzer()
                    .and_then(|a| a.tags())
                    .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
            ]),
            Err(e) => match ToolError::from_sdk(e) {
                e if e.aws_code() == Some("ResourceNotFoundException") => Ok(vec![]),
                e => Err(e.to_string()),
            },
        };
        out.push(((*kind, id.clone()), found));
    }
    out
}
