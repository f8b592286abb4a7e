//! AMIs and launch templates.

use aws_sdk_ec2::types::{
    AttributeValue, InstanceType, LaunchPermission, LaunchPermissionModifications, PermissionGroup,
    RequestLaunchTemplateData, ResourceType,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::Ec2;
use crate::{
    aws::{
        ec2::{filter, send, tag_specs, tags_json},
        outcome::call_token,
        outcome::{Check, unknown_outcome, unknown_outcome_with_token},
        paging::PageRequest,
        time,
    },
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, DryRun, Flag, Kind, Risk, Tags, Target},
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListAmis {
    pub image_ids: Option<Vec<String>>,
    /// self (default), amazon or account ids
    pub owners: Option<Vec<String>>,
    /// * wildcards
    pub name_pattern: Option<String>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListAmis {
    const NAME: &'static str = "list_amis";
    const DESCRIPTION: &'static str = "AMIs (your own by default)";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let ec2 = Ec2::of(cx).await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        // Your own images by default; explicit ids are looked up whoever owns them.
        let owners = match (&self.owners, &self.image_ids) {
            (Some(o), _) => Some(o.clone()),
            (None, Some(_)) => None,
            (None, None) => Some(vec!["self".to_string()]),
        };
        let filters = self
            .name_pattern
            .as_deref()
            .map(|n| vec![filter("name", [n])]);
        let mut req = ec2
            .client
            .describe_images()
            .set_owners(owners)
            .set_filters(filters)
            .set_next_token(page.aws_token.clone());
        // EC2 refuses MaxResults together with ImageIds.
        req = match self.image_ids {
            Some(ids) => req.set_image_ids(Some(ids)),
            None => req.max_results(page.aws_page_size(5, 1000)),
        };
        let resp = req.send().await.map_err(ToolError::from_sdk)?;
        let all: Vec<Value> = resp
            .images()
            .iter()
            .map(|im| {
                json!({
                    "image_id": im.image_id(),
                    "name": im.name(),
                    "state": im.state().map(|s| s.as_str()),
                    "owner_id": im.owner_id(),
                    "public": im.public(),
                    "architecture": im.architecture().map(|a| a.as_str()),
                    "platform": im.platform_details(),
                    "root_device_type": im.root_device_type().map(|r| r.as_str()),
                    "creation_date": im.creation_date(),
                    "description": im.description(),
                    "snapshot_ids": im.block_device_mappings().iter()
                        .filter_map(|b| b.ebs().and_then(|e| e.snapshot_id()))
                        .collect::<Vec<_>>(),
                    "tags": tags_json(im.tags()),
                })
            })
            .collect();
        let (items, next) = page.finish(all, resp.next_token().map(str::to_string));
        Ok(Output::new(
            format!("{} AMI(s).", items.len()),
            json!({ "images": items }),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAmi {
    pub instance_id: String,
    pub name: String,
    pub description: Option<String>,
    /// Skip the reboot (image may be inconsistent)
    pub no_reboot: Option<bool>,
    /// Key to value
    pub tags: Option<Tags>,
}

impl Action for CreateAmi {
    const NAME: &'static str = "create_ami";
    const DESCRIPTION: &'static str =
        "Create an AMI from an instance (reboots it unless no_reboot)";
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::Medium;
    const DRY_RUN: DryRun = DryRun::Native;

    fn targets(&self) -> Vec<Target> {
        vec![Target::new(Kind::Instance, &self.instance_id)]
    }

    fn flags(&self) -> Vec<Flag> {
        if self.no_reboot == Some(true) {
            Vec::new()
        } else {
            vec![Flag::high(format!(
                "reboots {} to take a consistent image (no_reboot: true avoids it)",
                self.instance_id
            ))]
        }
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let ec2 = Ec2::of(cx).await;
        let req = ec2
            .client
            .create_image()
            .instance_id(&self.instance_id)
            .name(&self.name)
            .set_description(self.description)
            .set_no_reboot(self.no_reboot)
            .set_tag_specifications(tag_specs(&[ResourceType::Image], self.tags.as_ref()));
        // CreateImage takes no idempotency token; AMI names are unique in a region, so a lost
        // answer is checked by name.
        let check = Check {
            tool: "aws_ec2",
            action: "list_amis",
            arguments: json!({"name_pattern": self.name}),
            look_for: format!("the AMI {}", self.name),
        };
        let resp = send!(ec2, "create_image", req, once: |cause| {
            unknown_outcome("CreateImage", "the AMI", cause, check)
        });
        let id = resp.image_id().unwrap_or_default();
        Ok(Output::new(
            format!(
                "Creating AMI {id} from {}; it is usable when its state is available.",
                self.instance_id
            ),
            json!({ "image_id": id, "source_instance_id": self.instance_id }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeregisterAmi {
    pub image_id: String,
    /// Also delete its snapshots
    pub delete_snapshots: Option<bool>,
}

impl Action for DeregisterAmi {
    const NAME: &'static str = "deregister_ami";
    const DESCRIPTION: &'static str = "Deregister an AMI (snapshots kept unless delete_snapshots)";
    const ACCESS: Access = Access::Destructive;
    // Launches from it fail; the snapshots still hold the data unless deleted too.
    const RISK: Risk = Risk::High;
    const DRY_RUN: DryRun = DryRun::Native;

    fn targets(&self) -> Vec<Target> {
        vec![Target::new(Kind::Image, &self.image_id)]
    }

    fn flags(&self) -> Vec<Flag> {
        if self.delete_snapshots == Some(true) {
            vec![Flag::critical(format!(
                "deletes the snapshots behind {}: the image cannot be restored",
                self.image_id
            ))]
        } else {
            Vec::new()
        }
    }

    /// Deregisters an AMI and, when asked, deletes the EBS snapshots it was built on (looked
    /// up before deregistering, since the image is gone afterwards).
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let ec2 = Ec2::of(cx).await;
        let snapshots: Vec<String> = if self.delete_snapshots.unwrap_or(false) {
            let resp = ec2
                .client
                .describe_images()
                .image_ids(&self.image_id)
                .send()
                .await
                .map_err(ToolError::from_sdk)?;
            resp.images()
                .iter()
                .flat_map(|im| im.block_device_mappings())
                .filter_map(|b| b.ebs().and_then(|e| e.snapshot_id()).map(str::to_string))
                .collect()
        } else {
            Vec::new()
        };
        let req = ec2.client.deregister_image().image_id(&self.image_id);
        send!(ec2, "deregister_image", req);
        let mut deleted = Vec::new();
        for snap in &snapshots {
            if let Err(e) = ec2.client.delete_snapshot().snapshot_id(snap).send().await {
                return Err(ToolError::Precondition {
                    message: format!(
                        "deregistered {} but could not delete snapshot {snap}: {}",
                        self.image_id,
                        ToolError::from_sdk(e)
                    ),
                    hint: "delete the remaining snapshots in the console or with the CLI once \
                           whatever holds them is gone"
                        .into(),
                    details: json!({ "deleted_snapshot_ids": deleted, "remaining": snapshots }),
                });
            }
            deleted.push(snap.clone());
        }
        let tail = if snapshots.is_empty() {
            String::new()
        } else {
            format!(" and deleted snapshot(s) {}", snapshots.join(", "))
        };
        Ok(Output::new(
            format!("Deregistered {}{tail}.", self.image_id),
            json!({ "image_id": self.image_id, "deleted_snapshot_ids": snapshots }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyAmi {
    pub source_image_id: String,
    pub source_region: String,
    pub name: String,
    pub description: Option<String>,
    pub encrypted: Option<bool>,
}

impl Action for CopyAmi {
    const NAME: &'static str = "copy_ami";
    const DESCRIPTION: &'static str = "Copy an AMI from another region";
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::Medium;
    const DRY_RUN: DryRun = DryRun::Native;

    /// The source image lives in another region: the copy is judged by the tags it is given.
    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let ec2 = Ec2::of(cx).await;
        // One ClientToken per call, repeated by the SDK's retries.
        let token = call_token();
        let req = ec2
            .client
            .copy_image()
            .source_image_id(&self.source_image_id)
            .source_region(&self.source_region)
            .name(&self.name)
            .client_token(&token)
            .set_description(self.description)
            .set_encrypted(self.encrypted);
        let check = Check {
            tool: "aws_ec2",
            action: "list_amis",
            arguments: json!({"name_pattern": self.name}),
            look_for: format!("the AMI {}", self.name),
        };
        let resp = send!(ec2, "copy_image", req, lost: |cause| {
            unknown_outcome_with_token("CopyImage", "the copy", cause, check, &token)
        });
        let id = resp.image_id().unwrap_or_default();
        Ok(Output::new(
            format!(
                "Copying {} from {} as {id}.",
                self.source_image_id, self.source_region
            ),
            json!({ "image_id": id, "source_image_id": self.source_image_id, "source_region": self.source_region }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModifyAmiAttribute {
    pub image_id: String,
    pub description: Option<String>,
    /// Account ids; "all" makes it public
    pub launch_permission_add: Option<Vec<String>>,
    /// Account ids or "all"
    pub launch_permission_remove: Option<Vec<String>>,
}

impl Action for ModifyAmiAttribute {
    const NAME: &'static str = "modify_ami_attribute";
    const DESCRIPTION: &'static str = "Change an AMI's description or launch permissions";
    const ACCESS: Access = Access::Write;
    // Launch permissions share the image (and whatever its disks hold) with other accounts.
    const RISK: Risk = Risk::High;
    const DRY_RUN: DryRun = DryRun::Native;

    fn validate(&self) -> Result<(), ToolError> {
        if self.description.is_none()
            && self.launch_permission_add.is_none()
            && self.launch_permission_remove.is_none()
        {
            return Err(ToolError::invalid(
                "modify_ami_attribute needs description, launch_permission_add or \
                 launch_permission_remove",
            ));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::new(Kind::Image, &self.image_id)]
    }

    fn flags(&self) -> Vec<Flag> {
        let add = self.launch_permission_add.iter().flatten();
        let (public, accounts): (Vec<&String>, Vec<&String>) = add.partition(|a| *a == "all");
        let mut flags = Vec::new();
        if !public.is_empty() {
            flags.push(Flag::critical(format!(
                "makes AMI {} public: anyone can launch it",
                self.image_id
            )));
        }
        if !accounts.is_empty() {
            flags.push(Flag::high(format!(
                "lets other accounts launch AMI {}: {}",
                self.image_id,
                accounts
                    .iter()
                    .map(|a| a.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        flags
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let ec2 = Ec2::of(cx).await;
        let mut changed = serde_json::Map::new();
        if let Some(d) = &self.description {
            let req = ec2
                .client
                .modify_image_attribute()
                .image_id(&self.image_id)
                .description(AttributeValue::builder().value(d).build());
            send!(ec2, "modify_image_attribute", req);
            changed.insert("description".into(), json!(d));
        }
        let perms = |ids: &Option<Vec<String>>| {
            ids.as_ref().map(|ids| {
                ids.iter()
                    .map(|id| match id.as_str() {
                        "all" => LaunchPermission::builder()
                            .group(PermissionGroup::All)
                            .build(),
                        _ => LaunchPermission::builder().user_id(id).build(),
                    })
                    .collect::<Vec<_>>()
            })
        };
        let (add, remove) = (
            perms(&self.launch_permission_add),
            perms(&self.launch_permission_remove),
        );
        if add.is_some() || remove.is_some() {
            let mods = LaunchPermissionModifications::builder()
                .set_add(add)
                .set_remove(remove)
                .build();
            let req = ec2
                .client
                .modify_image_attribute()
                .image_id(&self.image_id)
                .launch_permission(mods);
            send!(ec2, "modify_image_attribute", req);
            changed.insert(
                "launch_permission_add".into(),
                json!(self.launch_permission_add),
            );
            changed.insert(
                "launch_permission_remove".into(),
                json!(self.launch_permission_remove),
            );
        }
        let public = self
            .launch_permission_add
            .iter()
            .flatten()
            .any(|a| a == "all");
        let warn = if public {
            " The AMI is now public: anyone can launch it."
        } else {
            ""
        };
        Ok(Output::new(
            format!("Updated {}.{warn}", self.image_id),
            json!({ "image_id": self.image_id, "changed": changed, "public": public }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListLaunchTemplates {
    pub launch_template_names: Option<Vec<String>>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListLaunchTemplates {
    const NAME: &'static str = "list_launch_templates";
    const DESCRIPTION: &'static str = "Launch templates";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let ec2 = Ec2::of(cx).await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let mut req = ec2
            .client
            .describe_launch_templates()
            .set_next_token(page.aws_token.clone());
        req = match self.launch_template_names {
            Some(names) => req.set_launch_template_names(Some(names)),
            None => req.max_results(page.aws_page_size(1, 200)),
        };
        let resp = req.send().await.map_err(ToolError::from_sdk)?;
        let all: Vec<Value> = resp
            .launch_templates()
            .iter()
            .map(|t| {
                json!({
                    "launch_template_id": t.launch_template_id(),
                    "launch_template_name": t.launch_template_name(),
                    "default_version": t.default_version_number(),
                    "latest_version": t.latest_version_number(),
                    "create_time": t.create_time().map(time),
                    "created_by": t.created_by(),
                    "tags": tags_json(t.tags()),
                })
            })
            .collect();
        let (items, next) = page.finish(all, resp.next_token().map(str::to_string));
        Ok(Output::new(
            format!("{} launch template(s).", items.len()),
            json!({ "launch_templates": items }),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLaunchTemplate {
    pub launch_template_name: String,
    pub image_id: Option<String>,
    /// Default t3.micro
    pub instance_type: Option<String>,
    pub key_name: Option<String>,
    pub security_group_ids: Option<Vec<String>>,
    /// Plain text
    pub user_data: Option<String>,
    pub description: Option<String>,
    /// Key to value
    pub tags: Option<Tags>,
}

impl Action for CreateLaunchTemplate {
    const NAME: &'static str = "create_launch_template";
    const DESCRIPTION: &'static str = "Create a launch template";
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::Medium;
    const DRY_RUN: DryRun = DryRun::Native;

    fn targets(&self) -> Vec<Target> {
        std::iter::once(Target::created(
            Kind::LaunchTemplate,
            &self.launch_template_name,
        ))
        .chain(self.security_group_ids.iter().flatten().map(Target::ec2))
        .collect()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let ec2 = Ec2::of(cx).await;
        let data = RequestLaunchTemplateData::builder()
            .set_image_id(self.image_id)
            .set_instance_type(self.instance_type.as_deref().map(InstanceType::from))
            .set_key_name(self.key_name)
            .set_security_group_ids(self.security_group_ids)
            .set_user_data(self.user_data.as_deref().map(|u| STANDARD.encode(u)))
            .build();
        // One ClientToken per call, repeated by the SDK's retries.
        let token = call_token();
        let req = ec2
            .client
            .create_launch_template()
            .launch_template_name(&self.launch_template_name)
            .client_token(&token)
            .set_version_description(self.description)
            .launch_template_data(data)
            .set_tag_specifications(tag_specs(
                &[ResourceType::LaunchTemplate],
                self.tags.as_ref(),
            ));
        let check = Check {
            tool: "aws_ec2",
            action: "list_launch_templates",
            arguments: json!({"launch_template_names": [self.launch_template_name]}),
            look_for: format!("the template {}", self.launch_template_name),
        };
        let resp = send!(ec2, "create_launch_template", req, lost: |cause| {
            unknown_outcome_with_token(
                "CreateLaunchTemplate",
                "the launch template",
                cause,
                check,
                &token,
            )
        });
        let t = resp.launch_template();
        let id = t.and_then(|t| t.launch_template_id()).unwrap_or_default();
        Ok(Output::new(
            format!(
                "Created launch template {} ({id}).",
                self.launch_template_name
            ),
            json!({
                "launch_template_id": id,
                "launch_template_name": self.launch_template_name,
                "version": t.and_then(|t| t.latest_version_number()),
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteLaunchTemplate {
    pub launch_template_id: Option<String>,
    pub launch_template_name: Option<String>,
}

impl Action for DeleteLaunchTemplate {
    const NAME: &'static str = "delete_launch_template";
    const DESCRIPTION: &'static str = "Delete a launch template and its versions";
    const ACCESS: Access = Access::Destructive;
    // Auto Scaling groups launching from it can no longer scale out.
    const RISK: Risk = Risk::High;
    const DRY_RUN: DryRun = DryRun::Native;

    fn validate(&self) -> Result<(), ToolError> {
        one_template(
            Self::NAME,
            &self.launch_template_id,
            &self.launch_template_name,
        )
    }

    fn targets(&self) -> Vec<Target> {
        template(&self.launch_template_id, &self.launch_template_name)
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let ec2 = Ec2::of(cx).await;
        let which = template_label(&self.launch_template_id, &self.launch_template_name);
        let req = ec2
            .client
            .delete_launch_template()
            .set_launch_template_id(self.launch_template_id)
            .set_launch_template_name(self.launch_template_name);
        let resp = send!(ec2, "delete_launch_template", req);
        let id = resp.launch_template().and_then(|t| t.launch_template_id());
        Ok(Output::new(
            format!("Deleted launch template {which}."),
            json!({ "launch_template_id": id, "deleted": which }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetLaunchTemplateVersions {
    pub launch_template_id: Option<String>,
    pub launch_template_name: Option<String>,
    /// Default all
    pub versions: Option<Vec<String>>,
}

impl Action for GetLaunchTemplateVersions {
    const NAME: &'static str = "get_launch_template_versions";
    const DESCRIPTION: &'static str = "A launch template's versions";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        one_template(
            Self::NAME,
            &self.launch_template_id,
            &self.launch_template_name,
        )
    }

    fn targets(&self) -> Vec<Target> {
        template(&self.launch_template_id, &self.launch_template_name)
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let ec2 = Ec2::of(cx).await;
        let which = template_label(&self.launch_template_id, &self.launch_template_name);
        let resp = ec2
            .client
            .describe_launch_template_versions()
            .set_launch_template_id(self.launch_template_id)
            .set_launch_template_name(self.launch_template_name)
            .set_versions(self.versions)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let items: Vec<Value> = resp
            .launch_template_versions()
            .iter()
            .map(|v| {
                let d = v.launch_template_data();
                json!({
                    "version": v.version_number(),
                    "default": v.default_version(),
                    "description": v.version_description(),
                    "create_time": v.create_time().map(time),
                    "image_id": d.and_then(|d| d.image_id()),
                    "instance_type": d.and_then(|d| d.instance_type()).map(|t| t.as_str()),
                    "key_name": d.and_then(|d| d.key_name()),
                    "security_group_ids": d.map(|d| d.security_group_ids()).unwrap_or_default(),
                    "has_user_data": d.and_then(|d| d.user_data()).is_some_and(|u| !u.is_empty()),
                })
            })
            .collect();
        Ok(Output::new(
            format!("{} version(s) of launch template {which}.", items.len()),
            json!({ "versions": items }),
        ))
    }
}

fn one_template(action: &str, id: &Option<String>, name: &Option<String>) -> Result<(), ToolError> {
    if id.is_some() == name.is_some() {
        return Err(ToolError::invalid(format!(
            "{action} needs exactly one of launch_template_id or launch_template_name"
        )));
    }
    Ok(())
}

fn template(id: &Option<String>, name: &Option<String>) -> Vec<Target> {
    id.iter()
        .chain(name)
        .map(|x| Target::new(Kind::LaunchTemplate, x))
        .collect()
}

fn template_label(id: &Option<String>, name: &Option<String>) -> String {
    id.clone().or_else(|| name.clone()).unwrap_or_default()
}
