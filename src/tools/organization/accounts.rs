//! Member accounts: list them with their OU path, status and tags; create one (asynchronous:
//! the request's id and state, then `get_create_account_status`); move one between OUs;
//! remove one from the organization.

use std::collections::HashMap;

use aws_sdk_organizations::{
    Client,
    types::{Account, ParentType},
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{check_id, check_name, check_tags, org_error, org_once, org_tags, target};
use crate::{
    aws::{
        outcome::{Check, sent_once},
        paging::{AllItems, PageRequest},
    },
    error::ToolError,
    guardrails::tags::MAX_ORG_ACCOUNTS,
    output::Output,
    registry::{Access, Action, Cx, Flag, Kind, Risk, Tags, Target},
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListAccounts {
    /// Root or OU: only accounts directly in it
    pub parent_id: Option<String>,
    /// ACTIVE, SUSPENDED, PENDING_CLOSURE…
    pub status: Option<String>,
    /// Only accounts with all these tags
    pub tags: Option<Tags>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListAccounts {
    const NAME: &'static str = "list_accounts";
    const DESCRIPTION: &'static str = "Accounts with OU path, status, tags";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        if let Some(p) = &self.parent_id {
            check_id("parent_id", p, &[Kind::OrgRoot, Kind::OrgUnit])?;
        }
        PageRequest::new(self.max_results, self.next_token.as_deref()).map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    /// Reads every account id (or every one in `parent_id`), filters, then reads the tags and
    /// OU path of the page it returns.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let client: Client = cx.client().await;
        let all: Vec<Account> = match &self.parent_id {
            Some(p) => client
                .list_accounts_for_parent()
                .parent_id(p)
                .into_paginator()
                .send()
                .all()
                .await?
                .iter()
                .flat_map(|p| p.accounts().to_vec())
                .collect(),
            None => client
                .list_accounts()
                .into_paginator()
                .send()
                .all()
                .await?
                .iter()
                .flat_map(|p| p.accounts().to_vec())
                .collect(),
        };
        let wanted = self.status.as_deref().map(str::to_ascii_uppercase);
        let mut chosen: Vec<Account> = all
            .into_iter()
            .filter(|a| wanted.as_deref().is_none_or(|w| status(a) == Some(w)))
            .collect();
        let mut tags_of: HashMap<String, Tags> = HashMap::new();
        if let Some(filter) = self.tags.as_ref().filter(|t| !t.is_empty()) {
            if chosen.len() > MAX_ORG_ACCOUNTS {
                return Err(ToolError::invalid(format!(
                    "{} accounts to filter by tags, more than {MAX_ORG_ACCOUNTS}; narrow with \
                     parent_id or status",
                    chosen.len()
                )));
            }
            let mut kept = Vec::new();
            for a in chosen {
                let id = a.id().unwrap_or_default().to_string();
                let tags = tags(&client, &id).await?;
                if filter.iter().all(|(k, v)| tags.get(k) == Some(v)) {
                    tags_of.insert(id, tags);
                    kept.push(a);
                }
            }
            chosen = kept;
        }
        let total = chosen.len();
        let (items, next) = page.finish(chosen, None);
        let mut paths = Paths::default();
        let mut out = Vec::new();
        for a in &items {
            let id = a.id().unwrap_or_default().to_string();
            let tags = match tags_of.remove(&id) {
                Some(t) => t,
                None => tags(&client, &id).await?,
            };
            let (parent, path) = paths.of(&client, &id).await?;
            out.push(account_json(a, &parent, &path, &tags));
        }
        Ok(Output::new(
            format!("{} of {total} account(s).", out.len()),
            json!({"accounts": out}),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetAccount {
    pub account_id: String,
}

impl Action for GetAccount {
    const NAME: &'static str = "get_account";
    const DESCRIPTION: &'static str = "One account";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_id("account_id", &self.account_id, &[Kind::OrgAccount]).map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        vec![target(&self.account_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let out = client
            .describe_account()
            .account_id(&self.account_id)
            .send()
            .await
            .map_err(org_error)?;
        let a = out
            .account()
            .ok_or_else(|| ToolError::invalid("the account was not described"))?;
        let tags = tags(&client, &self.account_id).await?;
        let (parent, path) = Paths::default().of(&client, &self.account_id).await?;
        Ok(Output::new(
            format!(
                "Account {} ({}) in {path}, {}.",
                self.account_id,
                a.name().unwrap_or_default(),
                status(a).unwrap_or("?")
            ),
            account_json(a, &parent, &path, &tags),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccount {
    pub account_name: String,
    pub email: String,
    /// Admin role made in it (default OrganizationAccountAccessRole)
    pub role_name: Option<String>,
    pub tags: Option<Tags>,
}

impl Action for CreateAccount {
    const NAME: &'static str = "create_account";
    const DESCRIPTION: &'static str = "Start creating an account; returns the request";
    const ACCESS: Access = Access::Write;
    // A new, empty account in the root: nothing existing changes.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_name("account_name", &self.account_name, 50)?;
        let e = &self.email;
        if e.len() < 6 || e.len() > 64 || !e.contains('@') || e.contains(char::is_whitespace) {
            return Err(ToolError::invalid(format!(
                "'{e}' is not an e-mail address (6-64 characters)"
            )));
        }
        if let Some(r) = &self.role_name {
            check_name("role_name", r, 64)?;
        }
        check_tags(self.tags.as_ref())
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::created(Kind::OrgAccount, &self.account_name)]
    }

    /// CreateAccount has no idempotency token: sent once, and a lost answer says how to tell
    /// whether the request was made.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let out = client
            .create_account()
            .account_name(&self.account_name)
            .email(&self.email)
            .set_role_name(self.role_name.clone())
            .set_tags(org_tags(self.tags.as_ref())?)
            .customize()
            .config_override(org_once())
            .send()
            .await
            .map_err(|e| {
                sent_once(e, org_error, "CreateAccount", "the account", || Check {
                    tool: "aws_organization",
                    action: "list_accounts",
                    arguments: json!({}),
                    look_for: format!("an account with the e-mail {}", self.email),
                })
            })?;
        let s = out
            .create_account_status()
            .ok_or_else(|| ToolError::invalid("CreateAccount answered without a status"))?;
        Ok(Output::new(
            format!(
                "Account creation requested ({}, {}); follow it with get_create_account_status.",
                s.id().unwrap_or_default(),
                s.state().map(|s| s.as_str()).unwrap_or("?")
            ),
            status_json(s),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetCreateAccountStatus {
    /// car-… from create_account
    pub request_id: String,
}

impl Action for GetCreateAccountStatus {
    const NAME: &'static str = "get_create_account_status";
    const DESCRIPTION: &'static str = "State of a create_account request";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        let ok = self.request_id.strip_prefix("car-").is_some_and(|r| {
            (8..=32).contains(&r.len())
                && r.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
        if !ok {
            return Err(ToolError::invalid(
                "request_id is the car-… id that create_account returned",
            ));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let out = client
            .describe_create_account_status()
            .create_account_request_id(&self.request_id)
            .send()
            .await
            .map_err(org_error)?;
        let s = out
            .create_account_status()
            .ok_or_else(|| ToolError::invalid("no status for that request"))?;
        Ok(Output::new(
            format!(
                "Request {} is {}{}.",
                self.request_id,
                s.state().map(|s| s.as_str()).unwrap_or("?"),
                s.account_id()
                    .map(|a| format!(" (account {a})"))
                    .unwrap_or_default()
            ),
            status_json(s),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveAccount {
    pub account_id: String,
    /// Its current root or OU
    pub source_parent_id: String,
    pub destination_parent_id: String,
}

impl Action for MoveAccount {
    const NAME: &'static str = "move_account";
    const DESCRIPTION: &'static str = "Move an account to another OU";
    const ACCESS: Access = Access::Write;
    // The SCPs that apply to the account change; high where production is involved (flag).
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_id("account_id", &self.account_id, &[Kind::OrgAccount])?;
        let parents = [Kind::OrgRoot, Kind::OrgUnit];
        check_id("source_parent_id", &self.source_parent_id, &parents)?;
        check_id(
            "destination_parent_id",
            &self.destination_parent_id,
            &parents,
        )?;
        if self.source_parent_id == self.destination_parent_id {
            return Err(ToolError::invalid(
                "source_parent_id and destination_parent_id are the same",
            ));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![
            target(&self.account_id),
            target(&self.source_parent_id),
            target(&self.destination_parent_id),
        ]
    }

    fn flags(&self) -> Vec<Flag> {
        vec![
            Flag::high(
                "moves an account into or out of an OU with production accounts: the SCPs \
                 that govern it change",
            )
            .in_production(),
        ]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        client
            .move_account()
            .account_id(&self.account_id)
            .source_parent_id(&self.source_parent_id)
            .destination_parent_id(&self.destination_parent_id)
            .send()
            .await
            .map_err(|e| {
                let e = org_error(e);
                if e.aws_code() == Some("SourceParentNotFoundException") {
                    return ToolError::Precondition {
                        message: format!(
                            "account {} is not in {}",
                            self.account_id, self.source_parent_id
                        ),
                        hint: "nothing was moved; get_account shows where it is".into(),
                        details: json!({"account_id": self.account_id}),
                    };
                }
                e
            })?;
        Ok(Output::new(
            format!(
                "Moved account {} from {} to {}.",
                self.account_id, self.source_parent_id, self.destination_parent_id
            ),
            json!({
                "account_id": self.account_id,
                "from": self.source_parent_id,
                "to": self.destination_parent_id,
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveAccount {
    pub account_id: String,
}

impl Action for RemoveAccount {
    const NAME: &'static str = "remove_account";
    const DESCRIPTION: &'static str = "Remove an account from the organization";
    const ACCESS: Access = Access::Destructive;
    // The account leaves every SCP, consolidated billing and the organization's access.
    const RISK: Risk = Risk::Critical;

    fn validate(&self) -> Result<(), ToolError> {
        check_id("account_id", &self.account_id, &[Kind::OrgAccount]).map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        vec![target(&self.account_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        client
            .remove_account_from_organization()
            .account_id(&self.account_id)
            .send()
            .await
            .map_err(org_error)?;
        Ok(Output::new(
            format!("Removed account {} from the organization.", self.account_id),
            json!({"account_id": self.account_id, "removed": true}),
        ))
    }
}

/// An account's state (`State`, else the older `Status`).
#[allow(deprecated)] // Status is what older endpoints (and moto) still send
fn status(a: &Account) -> Option<&str> {
    a.state()
        .map(|s| s.as_str())
        .or_else(|| a.status().map(|s| s.as_str()))
}

fn account_json(a: &Account, parent: &str, path: &str, tags: &Tags) -> Value {
    json!({
        "id": a.id(),
        "name": a.name(),
        "email": a.email(),
        "status": status(a),
        "joined_method": a.joined_method().map(|j| j.as_str()),
        "joined": a.joined_timestamp().map(crate::aws::time),
        "parent_id": parent,
        "ou_path": path,
        "tags": tags,
    })
}

fn status_json(s: &aws_sdk_organizations::types::CreateAccountStatus) -> Value {
    json!({
        "request_id": s.id(),
        "account_name": s.account_name(),
        "state": s.state().map(|s| s.as_str()),
        "account_id": s.account_id(),
        "failure_reason": s.failure_reason().map(|f| f.as_str()),
        "requested": s.requested_timestamp().map(crate::aws::time),
    })
}

/// An account's (or OU's) tags.
pub async fn tags(client: &Client, id: &str) -> Result<Tags, ToolError> {
    let tags = client
        .list_tags_for_resource()
        .resource_id(id)
        .into_paginator()
        .items()
        .send()
        .all()
        .await?;
    Ok(tags
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect())
}

/// OU paths (`Root/Workloads/Prod`) found by walking up with ListParents, cached per id.
#[derive(Default)]
pub struct Paths {
    /// root or OU id → its path, its own name last
    known: HashMap<String, String>,
}

impl Paths {
    /// The direct parent of a child and the OU path it sits in.
    pub async fn of(
        &mut self,
        client: &Client,
        child: &str,
    ) -> Result<(String, String), ToolError> {
        let out = client
            .list_parents()
            .child_id(child)
            .send()
            .await
            .map_err(org_error)?;
        let Some(p) = out.parents().first() else {
            return Ok((String::new(), String::new()));
        };
        let id = p.id().unwrap_or_default().to_string();
        let path = self
            .path(client, &id, p.r#type() == Some(&ParentType::Root))
            .await?;
        Ok((id, path))
    }

    /// The path of a root or OU, its own name last.
    async fn path(&mut self, client: &Client, id: &str, root: bool) -> Result<String, ToolError> {
        if let Some(path) = self.known.get(id) {
            return Ok(path.clone());
        }
        let mut chain = Vec::new();
        let mut current = id.to_string();
        let mut is_root = root;
        // OUs nest at most five deep.
        for _ in 0..7 {
            if is_root {
                chain.push("Root".to_string());
                break;
            }
            if let Some(path) = self.known.get(&current) {
                chain.push(path.clone());
                break;
            }
            let ou = client
                .describe_organizational_unit()
                .organizational_unit_id(&current)
                .send()
                .await
                .map_err(org_error)?;
            chain.push(
                ou.organizational_unit()
                    .and_then(|u| u.name())
                    .unwrap_or(&current)
                    .to_string(),
            );
            let up = client
                .list_parents()
                .child_id(&current)
                .send()
                .await
                .map_err(org_error)?;
            let Some(p) = up.parents().first() else { break };
            is_root = p.r#type() == Some(&ParentType::Root);
            current = p.id().unwrap_or_default().to_string();
        }
        chain.reverse();
        let path = chain.join("/");
        self.known.insert(id.to_string(), path.clone());
        Ok(path)
    }
}
