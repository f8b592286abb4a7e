//! Organizations accounts, OUs, roots and policies (through the guardrails' account map and
//! their tags), and AWS RAM resource shares.

use std::collections::BTreeMap;

use super::Results;
use crate::{
    aws::{At, AwsPool, Guard, paging::AllItems},
    error::ToolError,
    guardrails::environment::Environment,
    registry::{Kind, Tags},
};

/// The most accounts read to tell the environment of one OU, root or policy; beyond it the
/// environment cannot be told and a mutating call is refused.
pub const MAX_ORG_ACCOUNTS: usize = 2000;

/// Organization accounts, OUs, roots and policies. An account speaks through its entry in the
/// account map (as an `Environment` tag) and its own tags; a root or OU through every account
/// under it (and an OU's own tags); a policy through its own tags and everything it is attached
/// to. Any failed read, or a tree too large to read, is `Err`.
pub(super) async fn organization(
    aws: &AwsPool,
    at: At<'_>,
    ids: &[(Kind, String)],
    accounts: &BTreeMap<String, Environment>,
) -> Results {
    let client: aws_sdk_organizations::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    for (kind, id) in ids {
        let found = match kind {
            Kind::OrgAccount => org_account(&client, accounts, id).await,
            Kind::OrgRoot | Kind::OrgUnit => org_tree(&client, accounts, *kind, id).await,
            _ => org_policy(&client, accounts, id).await,
        };
        out.push(((*kind, id.clone()), found.map_err(|e| e.to_string())));
    }
    out
}

/// The environment tag an account-map entry stands for.
fn mapped(accounts: &BTreeMap<String, Environment>, id: &str) -> Option<Tags> {
    accounts
        .get(id)
        .map(|e| Tags::from([("Environment".to_string(), e.as_str().to_string())]))
}

/// A resource's Organizations tags; one that is not in the organization has none.
async fn org_tags(client: &aws_sdk_organizations::Client, id: &str) -> Result<Tags, ToolError> {
    match client
        .list_tags_for_resource()
        .resource_id(id)
        .into_paginator()
        .items()
        .send()
        .all()
        .await
    {
        Ok(tags) => Ok(tags
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()),
        Err(e) if e.aws_code() == Some("TargetNotFoundException") => Ok(Tags::new()),
        Err(e) => Err(e),
    }
}

async fn org_account(
    client: &aws_sdk_organizations::Client,
    accounts: &BTreeMap<String, Environment>,
    id: &str,
) -> Result<Vec<Tags>, ToolError> {
    let mut sets: Vec<Tags> = mapped(accounts, id).into_iter().collect();
    sets.push(org_tags(client, id).await?);
    Ok(sets)
}

/// The accounts under a root (the whole organization) or an OU (walked down, at most
/// [`MAX_ORG_ACCOUNTS`] accounts), each with its map entry and tags.
async fn org_tree(
    client: &aws_sdk_organizations::Client,
    accounts: &BTreeMap<String, Environment>,
    kind: Kind,
    id: &str,
) -> Result<Vec<Tags>, ToolError> {
    // An OU or root that does not exist has no tags, like any other resource.
    let members = match org_accounts_under(client, kind, id).await {
        Err(e) if e.aws_code() == Some("ParentNotFoundException") => return Ok(Vec::new()),
        other => other?,
    };
    let mut sets = Vec::new();
    if kind == Kind::OrgUnit {
        sets.push(org_tags(client, id).await?);
    }
    for account in members {
        sets.extend(org_account(client, accounts, &account).await?);
    }
    Ok(sets)
}

/// The ids of the accounts under a root or OU, at most [`MAX_ORG_ACCOUNTS`].
pub async fn org_accounts_under(
    client: &aws_sdk_organizations::Client,
    kind: Kind,
    id: &str,
) -> Result<Vec<String>, ToolError> {
    let too_many = || {
        ToolError::invalid(format!(
            "{id} holds more than {MAX_ORG_ACCOUNTS} accounts, too many to tell its environment"
        ))
    };
    if kind == Kind::OrgRoot {
        let all: Vec<_> = client
            .list_accounts()
            .into_paginator()
            .send()
            .all()
            .await?
            .iter()
            .flat_map(|p| p.accounts().to_vec())
            .collect();
        if all.len() > MAX_ORG_ACCOUNTS {
            return Err(too_many());
        }
        return Ok(all
            .iter()
            .filter_map(|a| a.id().map(str::to_string))
            .collect());
    }
    let mut found = Vec::new();
    // OUs nest at most five deep under the root.
    let mut level = vec![id.to_string()];
    for _ in 0..6 {
        let mut next = Vec::new();
        for parent in &level {
            let accounts: Vec<_> = client
                .list_accounts_for_parent()
                .parent_id(parent)
                .into_paginator()
                .send()
                .all()
                .await?
                .iter()
                .flat_map(|p| p.accounts().to_vec())
                .collect();
            found.extend(accounts.iter().filter_map(|a| a.id().map(str::to_string)));
            if found.len() > MAX_ORG_ACCOUNTS {
                return Err(too_many());
            }
            let units: Vec<_> = client
                .list_organizational_units_for_parent()
                .parent_id(parent)
                .into_paginator()
                .send()
                .all()
                .await?
                .iter()
                .flat_map(|p| p.organizational_units().to_vec())
                .collect();
            next.extend(units.iter().filter_map(|u| u.id().map(str::to_string)));
        }
        if next.is_empty() {
            break;
        }
        level = next;
    }
    Ok(found)
}

/// A policy's own tags and those of every root, OU and account it is attached to.
async fn org_policy(
    client: &aws_sdk_organizations::Client,
    accounts: &BTreeMap<String, Environment>,
    id: &str,
) -> Result<Vec<Tags>, ToolError> {
    let targets: Vec<_> = match client
        .list_targets_for_policy()
        .policy_id(id)
        .into_paginator()
        .send()
        .all()
        .await
    {
        Ok(pages) => pages.iter().flat_map(|p| p.targets().to_vec()).collect(),
        Err(e) if e.aws_code() == Some("PolicyNotFoundException") => return Ok(vec![]),
        Err(e) => return Err(e),
    };
    let mut sets = vec![org_tags(client, id).await?];
    for t in targets {
        let tid = t.target_id().unwrap_or_default();
        let more = match t.r#type() {
            Some(aws_sdk_organizations::types::TargetType::Account) => {
                org_account(client, accounts, tid).await?
            }
            Some(aws_sdk_organizations::types::TargetType::Root) => {
                org_tree(client, accounts, Kind::OrgRoot, tid).await?
            }
            _ => org_tree(client, accounts, Kind::OrgUnit, tid).await?,
        };
        sets.extend(more);
    }
    Ok(sets)
}

/// Tags of AWS RAM resource shares by ARN, from GetResourceShares.
pub(super) async fn resource_shares(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_ram::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    for (kind, arn) in ids {
        let found = match client
            .get_resource_shares()
            .resource_owner(aws_sdk_ram::types::ResourceOwner::SelfValue)
            .resource_share_arns(arn)
            .send()
            .await
        {
            Ok(r) => Ok(r
                .resource_shares()
                .iter()
                .map(|s| {
                    s.tags()
                        .iter()
                        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
                        .collect()
                })
                .collect()),
            Err(e) => match ToolError::from_sdk(e) {
                e if matches!(
                    e.aws_code(),
                    Some("UnknownResourceException" | "MalformedArnException")
                ) =>
                {
                    Ok(vec![])
                }
                e => Err(e.to_string()),
            },
        };
        out.push(((*kind, arn.clone()), found));
    }
    out
}
