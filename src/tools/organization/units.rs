//! Organizational units: the tree (one level, or all of it on request), create, rename, delete.

use aws_sdk_organizations::{Client, types::OrganizationalUnit};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{check_id, check_name, check_tags, org_error, org_tags, roots::root_id, target};
use crate::{
    aws::paging::{AllItems, PageRequest},
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Kind, Risk, Tags, Target},
};

/// The most OUs a recursive listing walks; AWS allows 1,000 per organization by default.
pub const MAX_TREE: usize = 2000;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListOrganizationalUnits {
    /// Root or OU (default the root)
    pub parent_id: Option<String>,
    /// The whole tree below it
    pub recursive: Option<bool>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListOrganizationalUnits {
    const NAME: &'static str = "list_organizational_units";
    const DESCRIPTION: &'static str = "OUs under a parent, or the tree";
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

    /// Walks the tree breadth first (at most [`MAX_TREE`] OUs), then pages the result.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let client: Client = cx.client().await;
        let top = match &self.parent_id {
            Some(p) => p.clone(),
            None => root_id(&client).await?,
        };
        let recursive = self.recursive.unwrap_or(false);
        let mut found: Vec<Value> = Vec::new();
        let mut level: Vec<(String, String, usize)> = vec![(top.clone(), String::new(), 0)];
        let mut cut = false;
        'walk: while !level.is_empty() {
            let mut next = Vec::new();
            for (parent, path, depth) in &level {
                let units = children(&client, parent).await?;
                for u in units {
                    let name = u.name().unwrap_or_default();
                    let here = if path.is_empty() {
                        name.to_string()
                    } else {
                        format!("{path}/{name}")
                    };
                    found.push(json!({
                        "id": u.id(),
                        "name": name,
                        "arn": u.arn(),
                        "parent_id": parent,
                        "path": here,
                        "depth": depth + 1,
                    }));
                    if found.len() >= MAX_TREE {
                        cut = true;
                        break 'walk;
                    }
                    if recursive && let Some(id) = u.id() {
                        next.push((id.to_string(), here.clone(), depth + 1));
                    }
                }
            }
            level = next;
        }
        let total = found.len();
        let (items, next) = page.finish(found, None);
        let mut out = Output::new(
            format!(
                "{} of {total} OU(s) under {top}{}.",
                items.len(),
                if recursive { " (whole tree)" } else { "" }
            ),
            json!({"parent_id": top, "organizational_units": items}),
        )
        .with_next_token(next);
        if cut {
            out.data["tree_cut_at"] = json!(MAX_TREE);
            out.summary.push_str(&format!(
                " The walk stopped at {MAX_TREE} OUs: list a subtree."
            ));
        }
        Ok(out)
    }
}

async fn children(client: &Client, parent: &str) -> Result<Vec<OrganizationalUnit>, ToolError> {
    Ok(client
        .list_organizational_units_for_parent()
        .parent_id(parent)
        .into_paginator()
        .send()
        .all()
        .await?
        .iter()
        .flat_map(|p| p.organizational_units().to_vec())
        .collect())
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganizationalUnit {
    /// Root or OU
    pub parent_id: String,
    pub name: String,
    pub tags: Option<Tags>,
}

impl Action for CreateOrganizationalUnit {
    const NAME: &'static str = "create_organizational_unit";
    const DESCRIPTION: &'static str = "Create an OU";
    const ACCESS: Access = Access::Write;
    // An empty OU; it inherits its parent's SCPs and holds nothing yet.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_id(
            "parent_id",
            &self.parent_id,
            &[Kind::OrgRoot, Kind::OrgUnit],
        )?;
        check_name("name", &self.name, 128)?;
        check_tags(self.tags.as_ref())
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::created(Kind::OrgUnit, &self.name)]
    }

    /// No idempotency token, but a second OU of the same name under one parent is refused
    /// (DuplicateOrganizationalUnitException), so a retry cannot make two.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let out = client
            .create_organizational_unit()
            .parent_id(&self.parent_id)
            .name(&self.name)
            .set_tags(org_tags(self.tags.as_ref())?)
            .send()
            .await
            .map_err(|e| {
                let e = org_error(e);
                if e.aws_code() == Some("DuplicateOrganizationalUnitException") {
                    return ToolError::Precondition {
                        message: format!(
                            "{} already has an OU named {}",
                            self.parent_id, self.name
                        ),
                        hint: "nothing was created; list_organizational_units shows it (an \
                               earlier try of this call may have made it)"
                            .into(),
                        details: json!({"parent_id": self.parent_id, "name": self.name}),
                    };
                }
                e
            })?;
        let u = out.organizational_unit();
        Ok(Output::new(
            format!(
                "Created OU {} ({}) under {}.",
                self.name,
                u.and_then(|u| u.id()).unwrap_or_default(),
                self.parent_id
            ),
            json!({
                "id": u.and_then(|u| u.id()),
                "name": self.name,
                "arn": u.and_then(|u| u.arn()),
                "parent_id": self.parent_id,
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameOrganizationalUnit {
    pub ou_id: String,
    pub name: String,
}

impl Action for RenameOrganizationalUnit {
    const NAME: &'static str = "rename_organizational_unit";
    const DESCRIPTION: &'static str = "Rename an OU";
    const ACCESS: Access = Access::Write;
    // A name only; what applies to the accounts in it does not change.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_id("ou_id", &self.ou_id, &[Kind::OrgUnit])?;
        check_name("name", &self.name, 128)
    }

    fn targets(&self) -> Vec<Target> {
        vec![target(&self.ou_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        client
            .update_organizational_unit()
            .organizational_unit_id(&self.ou_id)
            .name(&self.name)
            .send()
            .await
            .map_err(org_error)?;
        Ok(Output::new(
            format!("Renamed OU {} to {}.", self.ou_id, self.name),
            json!({"id": self.ou_id, "name": self.name}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteOrganizationalUnit {
    pub ou_id: String,
}

impl Action for DeleteOrganizationalUnit {
    const NAME: &'static str = "delete_organizational_unit";
    const DESCRIPTION: &'static str = "Delete an empty OU";
    const ACCESS: Access = Access::Destructive;
    // Its policy attachments and tags are lost for good.
    const RISK: Risk = Risk::Critical;

    fn validate(&self) -> Result<(), ToolError> {
        check_id("ou_id", &self.ou_id, &[Kind::OrgUnit]).map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        vec![target(&self.ou_id)]
    }

    /// AWS refuses to delete an OU that holds accounts or OUs; that is checked first, so the
    /// refusal names what is left.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let accounts = client
            .list_accounts_for_parent()
            .parent_id(&self.ou_id)
            .max_results(20)
            .send()
            .await
            .map_err(org_error)?;
        let units = children(&client, &self.ou_id).await?;
        if !accounts.accounts().is_empty() || !units.is_empty() {
            return Err(ToolError::Precondition {
                message: format!("OU {} still holds accounts or OUs", self.ou_id),
                hint: "nothing was deleted; move its accounts (move_account) and delete its child \
                       OUs first"
                    .into(),
                details: json!({
                    "ou_id": self.ou_id,
                    "accounts": accounts.accounts().iter().filter_map(|a| a.id()).collect::<Vec<_>>(),
                    "organizational_units": units.iter().filter_map(|u| u.id()).collect::<Vec<_>>(),
                }),
            });
        }
        client
            .delete_organizational_unit()
            .organizational_unit_id(&self.ou_id)
            .send()
            .await
            .map_err(|e| {
                let e = org_error(e);
                if e.aws_code() == Some("OrganizationalUnitNotEmptyException") {
                    return ToolError::Precondition {
                        message: format!("OU {} still holds accounts or OUs", self.ou_id),
                        hint: "nothing was deleted; move its accounts (move_account) and delete \
                               its child OUs first"
                            .into(),
                        details: json!({"ou_id": self.ou_id}),
                    };
                }
                e
            })?;
        Ok(Output::new(
            format!("Deleted OU {}.", self.ou_id),
            json!({"id": self.ou_id, "deleted": true}),
        ))
    }
}
