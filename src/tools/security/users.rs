//! IAM users and their access keys. A console password or an access key secret is in the
//! result of the call that creates it, once, and nowhere else: not in the summary (which the
//! audit log keeps), not in logs.

use std::collections::BTreeMap;

use aws_sdk_iam::{Client, types::StatusType};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    PARALLEL, Task, access_key_target, age_days, bounded, check_name, check_policy_arn, iam_error,
    iam_once, iam_tags, roles::capitalise, user_target,
};
use crate::aws::outcome::{Check, sent_once, stopped};
use crate::aws::time;
use crate::{
    aws::paging::{AllItems, PageRequest},
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Flag, Kind, Risk, Tags, Target},
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListUsers {
    pub path_prefix: Option<String>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListUsers {
    const NAME: &'static str = "list_users";
    const DESCRIPTION: &'static str = "Users with MFA, console access, key ages";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let resp = client
            .list_users()
            .set_path_prefix(self.path_prefix)
            .max_items(page.aws_page_size(1, 1000))
            .set_marker(page.aws_token.clone())
            .send()
            .await
            .map_err(iam_error)?;
        let users: Vec<(String, Option<String>)> = resp
            .users()
            .iter()
            .map(|u| (u.user_name().to_string(), u.password_last_used().map(time)))
            .collect();
        let next = resp
            .is_truncated()
            .then(|| resp.marker().map(str::to_string));
        let (users, next) = page.finish(users, next.flatten());
        let names: Vec<String> = users.iter().map(|(n, _)| n.clone()).collect();
        let details = user_details(&client, &names).await;
        let items: Vec<Value> = users
            .into_iter()
            .zip(details)
            .map(|((name, password_used), d)| {
                let mut u = match d {
                    Ok(d) => d,
                    Err(e) => json!({"error": e.to_json()}),
                };
                u["user_name"] = json!(name);
                u["password_last_used"] = json!(password_used);
                u
            })
            .collect();
        let no_mfa = items
            .iter()
            .filter(|u| u["console_access"] == json!(true) && u["mfa_devices"] == json!(0))
            .count();
        let mut summary = format!("{} user(s).", items.len());
        if no_mfa > 0 {
            summary.push_str(&format!(
                " {no_mfa} can sign in to the console without MFA."
            ));
        }
        Ok(Output::new(summary, json!({ "users": items })).with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetUser {
    pub user_name: String,
}

impl Action for GetUser {
    const NAME: &'static str = "get_user";
    const DESCRIPTION: &'static str = "MFA, console access, keys, groups, policies, tags";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_name("user_name", &self.user_name, 64)
    }

    fn targets(&self) -> Vec<Target> {
        vec![user_target(&self.user_name)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let name = self.user_name.as_str();
        let user = client
            .get_user()
            .user_name(name)
            .send()
            .await
            .map_err(iam_error)?;
        let Some(u) = user.user() else {
            return Err(ToolError::Aws {
                code: "NoSuchEntity".into(),
                message: format!("user {name} does not exist"),
                hint: Some("check the name with aws_security list_users".into()),
            });
        };
        let (details, groups, attached, inline) = tokio::join!(
            one_user(client.clone(), name.to_string()),
            client
                .list_groups_for_user()
                .user_name(name)
                .into_paginator()
                .items()
                .send()
                .all(),
            client
                .list_attached_user_policies()
                .user_name(name)
                .into_paginator()
                .items()
                .send()
                .all(),
            client
                .list_user_policies()
                .user_name(name)
                .into_paginator()
                .items()
                .send()
                .all(),
        );
        let mut data = details?;
        data["user_name"] = json!(u.user_name());
        data["arn"] = json!(u.arn());
        data["created"] = json!(time(u.create_date()));
        data["password_last_used"] = json!(u.password_last_used().map(time));
        data["groups"] = json!(
            groups?
                .iter()
                .map(|g| g.group_name().to_string())
                .collect::<Vec<_>>()
        );
        data["attached_policies"] = json!(
            attached?
                .iter()
                .map(|p| json!({"name": p.policy_name(), "arn": p.policy_arn()}))
                .collect::<Vec<_>>()
        );
        data["inline_policies"] = json!(inline?);
        data["tags"] = json!(
            u.tags()
                .iter()
                .map(|t| (t.key(), t.value()))
                .collect::<BTreeMap<_, _>>()
        );
        let keys = data["access_keys"].as_array().map_or(0, Vec::len);
        let summary = format!(
            "{name}: console access {}, {} MFA device(s), {keys} access key(s).",
            if data["console_access"] == json!(true) {
                "on"
            } else {
                "off"
            },
            data["mfa_devices"]
        );
        Ok(Output::new(summary, data))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub user_name: String,
    /// Generate a password (shown once)
    pub console_access: Option<bool>,
    /// With a key (shown once)
    pub access_key: Option<bool>,
    pub policy_arns: Option<Vec<String>>,
    pub tags: Option<Tags>,
}

impl Action for CreateUser {
    const NAME: &'static str = "create_user";
    const DESCRIPTION: &'static str = "Create a user, optionally with a password or key";
    const ACCESS: Access = Access::Write;
    // A user without credentials can do nothing; credentials are flagged high.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_name("user_name", &self.user_name, 64)?;
        for arn in self.policy_arns.iter().flatten() {
            check_policy_arn(arn)?;
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        let mut t = vec![Target::created(Kind::IamUser, &self.user_name)];
        t.extend(
            self.policy_arns
                .iter()
                .flatten()
                .map(|a| Target::new(Kind::IamPolicy, a)),
        );
        t
    }

    fn flags(&self) -> Vec<Flag> {
        let mut flags = Vec::new();
        if self.console_access == Some(true) {
            flags.push(Flag::high(format!(
                "gives {} a console password (sign-in to the AWS console)",
                self.user_name
            )));
        }
        if self.access_key == Some(true) {
            flags.push(Flag::high(format!(
                "creates a long-lived access key for {}",
                self.user_name
            )));
        }
        flags.extend(
            self.policy_arns
                .iter()
                .flatten()
                .filter_map(|a| super::grammar::wide_managed(a))
                .map(Flag::high),
        );
        flags
    }

    /// Creates the user (no retry: CreateUser has no idempotency token), attaches the managed
    /// policies (a wide customer-managed one is refused first), then the console password and
    /// the access key. The password and the key's secret are in `data` once.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let name = self.user_name.as_str();
        let arns =
            super::resolve_policies(cx, self.policy_arns.as_deref().unwrap_or_default()).await?;
        super::roles::check_attachable(&client, &arns, false).await?;
        client
            .create_user()
            .user_name(name)
            .set_tags(self.tags.as_ref().and_then(iam_tags))
            .customize()
            .config_override(iam_once())
            .send()
            .await
            .map_err(|e| {
                sent_once(e, iam_error, "CreateUser", &format!("user {name}"), || {
                    Check {
                        tool: "aws_security",
                        action: "get_user",
                        arguments: json!({ "user_name": name }),
                        look_for: format!("the user {name} (it did not exist before this call)"),
                    }
                })
            })?;
        let mut done = vec![format!("created user {name}")];
        let mut data = json!({"user_name": name});
        for arn in &arns {
            client
                .attach_user_policy()
                .user_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map_err(|e| stopped(&done, &format!("attach {arn}"), iam_error(e)))?;
            done.push(format!("attached {arn}"));
        }
        if self.console_access == Some(true) {
            let password = console_password();
            client
                .create_login_profile()
                .user_name(name)
                .password(&password)
                .password_reset_required(true)
                .send()
                .await
                .map_err(|e| stopped(&done, "give it console access", iam_error(e)))?;
            done.push("gave it console access (password reset at first sign-in)".into());
            data["console_password"] = json!(password);
        }
        if self.access_key == Some(true) {
            let key = new_access_key(&client, name)
                .await
                .map_err(|e| stopped(&done, "create an access key", e))?;
            done.push(format!("created access key {}", key["access_key_id"]));
            data["access_key"] = key;
        }
        let mut summary = format!("{}.", capitalise(&done.join(", ")));
        if data.get("console_password").is_some() || data.get("access_key").is_some() {
            summary.push_str(
                " The credentials in data are shown only this once and are not kept anywhere: \
                 hand them over securely now.",
            );
        }
        data["steps"] = json!(done);
        Ok(Output::new(summary, data))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteUser {
    pub user_name: String,
}

impl Action for DeleteUser {
    const NAME: &'static str = "delete_user";
    const DESCRIPTION: &'static str = "Delete a user and its keys, MFA, memberships";
    const ACCESS: Access = Access::Destructive;
    // Its credentials stop working at once and cannot be restored.
    const RISK: Risk = Risk::Critical;

    fn validate(&self) -> Result<(), ToolError> {
        check_name("user_name", &self.user_name, 64)
    }

    fn targets(&self) -> Vec<Target> {
        vec![user_target(&self.user_name)]
    }

    /// Removes what IAM requires gone before DeleteUser: access keys, the console password,
    /// MFA devices (virtual ones are deleted too), signing certificates, SSH keys, group
    /// memberships, attached and inline policies. Service-specific credentials (CodeCommit,
    /// Keyspaces) are not listed; if the user has some, DeleteUser says so and the error tells
    /// what was already removed.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let name = self.user_name.as_str();
        let mut done: Vec<String> = Vec::new();
        let fail = |done: &Vec<String>, what: &str, e: ToolError| stopped(done, what, e);

        let keys = client
            .list_access_keys()
            .user_name(name)
            .into_paginator()
            .items()
            .send()
            .all()
            .await
            .map_err(|e| fail(&done, "list its access keys", e))?;
        for k in keys.iter().filter_map(|k| k.access_key_id()) {
            client
                .delete_access_key()
                .user_name(name)
                .access_key_id(k)
                .send()
                .await
                .map_err(|e| fail(&done, &format!("delete access key {k}"), iam_error(e)))?;
            done.push(format!("deleted access key {k}"));
        }
        match client.get_login_profile().user_name(name).send().await {
            Ok(_) => {
                client
                    .delete_login_profile()
                    .user_name(name)
                    .send()
                    .await
                    .map_err(|e| fail(&done, "delete its console password", iam_error(e)))?;
                done.push("deleted its console password".into());
            }
            Err(e) => match iam_error(e) {
                e if e.aws_code() == Some("NoSuchEntity") => {}
                e => return Err(fail(&done, "read its console access", e)),
            },
        }
        let mfa = client
            .list_mfa_devices()
            .user_name(name)
            .into_paginator()
            .items()
            .send()
            .all()
            .await
            .map_err(|e| fail(&done, "list its MFA devices", e))?;
        for d in &mfa {
            let serial = d.serial_number();
            client
                .deactivate_mfa_device()
                .user_name(name)
                .serial_number(serial)
                .send()
                .await
                .map_err(|e| fail(&done, &format!("deactivate MFA {serial}"), iam_error(e)))?;
            done.push(format!("deactivated MFA device {serial}"));
            if serial.starts_with("arn:") && serial.contains(":mfa/") {
                client
                    .delete_virtual_mfa_device()
                    .serial_number(serial)
                    .send()
                    .await
                    .map_err(|e| fail(&done, &format!("delete MFA {serial}"), iam_error(e)))?;
                done.push(format!("deleted virtual MFA device {serial}"));
            }
        }
        let certs = client
            .list_signing_certificates()
            .user_name(name)
            .into_paginator()
            .items()
            .send()
            .all()
            .await
            .map_err(|e| fail(&done, "list its signing certificates", e))?;
        for c in &certs {
            let id = c.certificate_id();
            client
                .delete_signing_certificate()
                .user_name(name)
                .certificate_id(id)
                .send()
                .await
                .map_err(|e| fail(&done, &format!("delete certificate {id}"), iam_error(e)))?;
            done.push(format!("deleted signing certificate {id}"));
        }
        let ssh = client
            .list_ssh_public_keys()
            .user_name(name)
            .into_paginator()
            .items()
            .send()
            .all()
            .await
            .map_err(|e| fail(&done, "list its SSH keys", e))?;
        for k in &ssh {
            let id = k.ssh_public_key_id();
            client
                .delete_ssh_public_key()
                .user_name(name)
                .ssh_public_key_id(id)
                .send()
                .await
                .map_err(|e| fail(&done, &format!("delete SSH key {id}"), iam_error(e)))?;
            done.push(format!("deleted SSH key {id}"));
        }
        let groups = client
            .list_groups_for_user()
            .user_name(name)
            .into_paginator()
            .items()
            .send()
            .all()
            .await
            .map_err(|e| fail(&done, "list its groups", e))?;
        for g in &groups {
            let group = g.group_name();
            client
                .remove_user_from_group()
                .user_name(name)
                .group_name(group)
                .send()
                .await
                .map_err(|e| fail(&done, &format!("leave group {group}"), iam_error(e)))?;
            done.push(format!("removed it from group {group}"));
        }
        let attached = client
            .list_attached_user_policies()
            .user_name(name)
            .into_paginator()
            .items()
            .send()
            .all()
            .await
            .map_err(|e| fail(&done, "list its policies", e))?;
        for p in attached.iter().filter_map(|p| p.policy_arn()) {
            client
                .detach_user_policy()
                .user_name(name)
                .policy_arn(p)
                .send()
                .await
                .map_err(|e| fail(&done, &format!("detach {p}"), iam_error(e)))?;
            done.push(format!("detached {p}"));
        }
        let inline = client
            .list_user_policies()
            .user_name(name)
            .into_paginator()
            .items()
            .send()
            .all()
            .await
            .map_err(|e| fail(&done, "list its inline policies", e))?;
        for p in &inline {
            client
                .delete_user_policy()
                .user_name(name)
                .policy_name(p)
                .send()
                .await
                .map_err(|e| fail(&done, &format!("delete inline policy {p}"), iam_error(e)))?;
            done.push(format!("deleted inline policy {p}"));
        }
        client
            .delete_user()
            .user_name(name)
            .send()
            .await
            .map_err(|e| {
                let mut e = iam_error(e);
                if let ToolError::Aws { code, hint, .. } = &mut e
                    && code == "DeleteConflict"
                {
                    *hint = Some(
                        "the user still has credentials this action does not remove \
                         (service-specific credentials for CodeCommit or Keyspaces); delete them \
                         in IAM, then call again"
                            .into(),
                    );
                }
                fail(&done, "delete the user", e)
            })?;
        done.push(format!("deleted user {name}"));
        Ok(Output::new(
            format!("{}.", capitalise(&done.join(", "))),
            json!({"deleted": name, "steps": done}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccessKey {
    pub user_name: String,
}

impl Action for CreateAccessKey {
    const NAME: &'static str = "create_access_key";
    const DESCRIPTION: &'static str = "New access key (secret shown once)";
    const ACCESS: Access = Access::Write;
    // A long-lived credential that works from anywhere until deleted.
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        check_name("user_name", &self.user_name, 64)
    }

    fn targets(&self) -> Vec<Target> {
        vec![user_target(&self.user_name)]
    }

    fn flags(&self) -> Vec<Flag> {
        vec![Flag::high(format!(
            "creates a long-lived access key for {}",
            self.user_name
        ))]
    }

    /// Refuses when the user already has two keys (IAM's limit); otherwise creates one, without
    /// retries: a second try after a lost answer would make a key whose secret nobody has.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let name = self.user_name.as_str();
        let existing = client
            .list_access_keys()
            .user_name(name)
            .send()
            .await
            .map_err(iam_error)?;
        if existing.access_key_metadata().len() >= 2 {
            let ids: Vec<&str> = existing
                .access_key_metadata()
                .iter()
                .filter_map(|k| k.access_key_id())
                .collect();
            return Err(ToolError::Precondition {
                message: format!("{name} already has two access keys ({})", ids.join(", ")),
                hint: "IAM allows two keys per user: deactivate_access_key and delete_access_key \
                       the older one first"
                    .into(),
                details: json!({"access_key_ids": ids}),
            });
        }
        let key = new_access_key(&client, name).await?;
        Ok(Output::new(
            format!(
                "Created access key {} for {name}. The secret in data is shown only this once \
                 and is not kept anywhere: store it securely now.",
                key["access_key_id"].as_str().unwrap_or("?")
            ),
            key,
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeactivateAccessKey {
    pub user_name: String,
    pub access_key_id: String,
}

impl Action for DeactivateAccessKey {
    const NAME: &'static str = "deactivate_access_key";
    const DESCRIPTION: &'static str = "Deactivate a key (reversible)";
    // Whatever uses the key is cut off at once (it can be activated again).
    const ACCESS: Access = Access::Destructive;
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        check_name("user_name", &self.user_name, 64)?;
        check_key_id(&self.access_key_id)
    }

    fn targets(&self) -> Vec<Target> {
        vec![access_key_target(&self.user_name, &self.access_key_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        client
            .update_access_key()
            .user_name(&self.user_name)
            .access_key_id(&self.access_key_id)
            .status(StatusType::Inactive)
            .send()
            .await
            .map_err(iam_error)?;
        Ok(Output::new(
            format!(
                "Deactivated access key {} of {}; requests signed with it now fail.",
                self.access_key_id, self.user_name
            ),
            json!({"user_name": self.user_name, "access_key_id": self.access_key_id,
                   "status": "Inactive"}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteAccessKey {
    pub user_name: String,
    pub access_key_id: String,
}

impl Action for DeleteAccessKey {
    const NAME: &'static str = "delete_access_key";
    const DESCRIPTION: &'static str = "Delete a key for good";
    const ACCESS: Access = Access::Destructive;
    const RISK: Risk = Risk::Critical;

    fn validate(&self) -> Result<(), ToolError> {
        check_name("user_name", &self.user_name, 64)?;
        check_key_id(&self.access_key_id)
    }

    fn targets(&self) -> Vec<Target> {
        vec![access_key_target(&self.user_name, &self.access_key_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        client
            .delete_access_key()
            .user_name(&self.user_name)
            .access_key_id(&self.access_key_id)
            .send()
            .await
            .map_err(iam_error)?;
        Ok(Output::new(
            format!(
                "Deleted access key {} of {}.",
                self.access_key_id, self.user_name
            ),
            json!({"user_name": self.user_name, "deleted": self.access_key_id}),
        ))
    }
}

/// MFA, console access and access keys (with age and last use) of each user, at most
/// [`PARALLEL`] users at a time.
pub async fn user_details(client: &Client, names: &[String]) -> Vec<Result<Value, ToolError>> {
    let tasks: Vec<Task<Result<Value, ToolError>>> = names
        .iter()
        .map(|n| Box::pin(one_user(client.clone(), n.clone())) as Task<_>)
        .collect();
    bounded(tasks, PARALLEL).await
}

async fn one_user(client: Client, name: String) -> Result<Value, ToolError> {
    let (mfa, login, keys) = tokio::join!(
        client
            .list_mfa_devices()
            .user_name(&name)
            .into_paginator()
            .items()
            .send()
            .all(),
        client.get_login_profile().user_name(&name).send(),
        client
            .list_access_keys()
            .user_name(&name)
            .into_paginator()
            .items()
            .send()
            .all(),
    );
    let console = match login {
        Ok(_) => true,
        Err(e) => match iam_error(e) {
            e if e.aws_code() == Some("NoSuchEntity") => false,
            e => return Err(e),
        },
    };
    let mut access_keys = Vec::new();
    for k in keys? {
        let id = k.access_key_id().unwrap_or_default().to_string();
        let used = client
            .get_access_key_last_used()
            .access_key_id(&id)
            .send()
            .await
            .map_err(iam_error)?;
        let last = used.access_key_last_used();
        let last_date = last.and_then(|l| l.last_used_date());
        access_keys.push(json!({
            "access_key_id": id,
            "status": k.status().map(|s| s.as_str()),
            "created": k.create_date().map(time),
            "age_days": k.create_date().map(age_days),
            "last_used": last_date.map(time),
            "days_since_use": last_date.map(age_days),
            "last_used_service": last.map(|l| l.service_name()).filter(|s| *s != "N/A"),
        }));
    }
    Ok(json!({
        "mfa_devices": mfa?.len(),
        "console_access": console,
        "access_keys": access_keys,
    }))
}

/// Creates one access key without retries and returns its id and secret.
async fn new_access_key(client: &Client, user: &str) -> Result<Value, ToolError> {
    let out = client
        .create_access_key()
        .user_name(user)
        .customize()
        .config_override(iam_once())
        .send()
        .await
        .map_err(|e| {
            sent_once(e, iam_error, "CreateAccessKey", "a new access key", || Check {
                tool: "aws_security",
                action: "get_user",
                arguments: json!({ "user_name": user }),
                look_for: format!(
                    "an access key of {user} you did not receive: its secret is lost, so delete \
                     it with delete_access_key"
                ),
            })
        })?;
    let Some(k) = out.access_key() else {
        return Err(ToolError::Aws {
            code: "Unknown".into(),
            message: "IAM answered CreateAccessKey without the key".into(),
            hint: Some(format!(
                "check aws_security get_user {user} and delete a key you did not receive"
            )),
        });
    };
    Ok(json!({
        "user_name": user,
        "access_key_id": k.access_key_id(),
        "secret_access_key": k.secret_access_key(),
        "status": k.status().as_str(),
    }))
}

/// A console password for a new user: 32 characters with upper and lower case letters, digits
/// and symbols, from the OS random source (the user must change it at first sign-in).
fn console_password() -> String {
    const CLASSES: [&[u8]; 4] = [
        b"ABCDEFGHJKLMNPQRSTUVWXYZ",
        b"abcdefghijkmnopqrstuvwxyz",
        b"23456789",
        b"!@#$%^&*()-_=+[]{}",
    ];
    let mut random = [0u8; 64];
    getrandom::fill(&mut random).expect("the OS random source works");
    let all: Vec<u8> = CLASSES.concat();
    let mut out: Vec<u8> = (0..32)
        .map(|i| {
            let class = if i < 4 { CLASSES[i] } else { &all[..] };
            class[random[i] as usize % class.len()]
        })
        .collect();
    // Move the guaranteed characters away from the start.
    for i in (1..out.len()).rev() {
        let j = random[32 + i] as usize % (i + 1);
        out.swap(i, j);
    }
    String::from_utf8(out).expect("ascii")
}

/// An access key id as far as it can be told without AWS (AWS checks the rest): no spaces
/// or wildcards, at most 128 characters.
fn check_key_id(id: &str) -> Result<(), ToolError> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ToolError::invalid(format!(
            "'{id}' is not an access key id (e.g. AKIAIOSFODNN7EXAMPLE; get_user lists them)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_mix_every_class() {
        let p = console_password();
        assert_eq!(p.len(), 32);
        assert!(p.chars().any(|c| c.is_ascii_uppercase()));
        assert!(p.chars().any(|c| c.is_ascii_lowercase()));
        assert!(p.chars().any(|c| c.is_ascii_digit()));
        assert!(p.chars().any(|c| !c.is_ascii_alphanumeric()));
        assert_ne!(p, console_password());
    }

    #[test]
    fn credentials_are_flagged() {
        let plain: CreateUser = serde_json::from_value(json!({"user_name": "ci"})).unwrap();
        assert!(plain.flags().is_empty());
        let both: CreateUser = serde_json::from_value(
            json!({"user_name": "ci", "console_access": true, "access_key": true}),
        )
        .unwrap();
        assert_eq!(both.flags().len(), 2);
        assert!(check_key_id("AKIAIOSFODNN7EXAMPLE").is_ok());
        assert!(check_key_id("AKIA*").is_err());
    }
}
