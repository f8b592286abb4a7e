//! Key pairs, AMIs, launch templates, monitoring and tags.

use aws_sdk_ec2::types::{
    AttributeValue, InstanceType, KeyType as SdkKeyType, LaunchPermission,
    LaunchPermissionModifications, PermissionGroup, RequestLaunchTemplateData, ResourceType, Tag,
};
use aws_smithy_types::Blob;
use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::{Value, json};

use super::{Ec2, Sent, dry_run_outcome, filter, sdk_tags, send, tag_specs, tags_json, time};
use crate::{
    aws::paging::PageRequest,
    error::ToolError,
    output::Output,
    tools::ec2::{
        CopyAmiInput, CreateAmiInput, CreateKeyPairInput, CreateLaunchTemplateInput,
        DeregisterAmiInput, ImportKeyPairInput, KeyPairInput, KeyType, LaunchTemplateInput,
        LaunchTemplateVersionsInput, ListAmisInput, ListKeyPairsInput, ListLaunchTemplatesInput,
        ModifyAmiAttributeInput,
    },
};

impl Ec2<'_> {
    pub async fn list_key_pairs(&self, i: ListKeyPairsInput) -> Result<Output, ToolError> {
        let resp = self
            .client
            .describe_key_pairs()
            .set_key_names(i.key_names)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let items: Vec<Value> = resp
            .key_pairs()
            .iter()
            .map(|k| {
                json!({
                    "key_name": k.key_name(),
                    "key_pair_id": k.key_pair_id(),
                    "key_type": k.key_type().map(|t| t.as_str()),
                    "fingerprint": k.key_fingerprint(),
                    "create_time": k.create_time().map(time),
                    "tags": tags_json(k.tags()),
                })
            })
            .collect();
        Ok(Output::new(
            format!("{} key pair(s).", items.len()),
            json!({ "key_pairs": items }),
        ))
    }

    /// The private key is in the result once; AWS keeps no copy, and this server never logs it.
    pub async fn create_key_pair(&self, i: CreateKeyPairInput) -> Result<Output, ToolError> {
        let key_type = match i.key_type.unwrap_or(KeyType::Rsa) {
            KeyType::Rsa => SdkKeyType::Rsa,
            KeyType::Ed25519 => SdkKeyType::Ed25519,
        };
        let req = self
            .client
            .create_key_pair()
            .key_name(&i.key_name)
            .key_type(key_type)
            .set_tag_specifications(tag_specs(&[ResourceType::KeyPair], i.tags.as_ref()));
        let resp = send!(self, "create_key_pair", req);
        Ok(Output::new(
            format!(
                "Created key pair {}. The private key below is shown only this once: save it now.",
                i.key_name
            ),
            json!({
                "key_name": resp.key_name(),
                "key_pair_id": resp.key_pair_id(),
                "fingerprint": resp.key_fingerprint(),
                "private_key": resp.key_material(),
            }),
        ))
    }

    pub async fn import_key_pair(&self, i: ImportKeyPairInput) -> Result<Output, ToolError> {
        let req = self
            .client
            .import_key_pair()
            .key_name(&i.key_name)
            .public_key_material(Blob::new(i.public_key.trim().as_bytes()))
            .set_tag_specifications(tag_specs(&[ResourceType::KeyPair], i.tags.as_ref()));
        let resp = send!(self, "import_key_pair", req);
        Ok(Output::new(
            format!("Imported key pair {}.", i.key_name),
            json!({
                "key_name": resp.key_name(),
                "key_pair_id": resp.key_pair_id(),
                "fingerprint": resp.key_fingerprint(),
            }),
        ))
    }

    pub async fn delete_key_pair(&self, i: KeyPairInput) -> Result<Output, ToolError> {
        let which = i
            .key_name
            .clone()
            .or(i.key_pair_id.clone())
            .unwrap_or_default();
        let req = self
            .client
            .delete_key_pair()
            .set_key_name(i.key_name)
            .set_key_pair_id(i.key_pair_id);
        send!(self, "delete_key_pair", req);
        Ok(Output::new(
            format!("Deleted key pair {which}."),
            json!({ "deleted": which }),
        ))
    }

    pub async fn list_amis(&self, i: ListAmisInput) -> Result<Output, ToolError> {
        let page = PageRequest::new(i.max_results, i.next_token.as_deref())?;
        // Your own images by default; explicit ids are looked up whoever owns them.
        let owners = match (&i.owners, &i.image_ids) {
            (Some(o), _) => Some(o.clone()),
            (None, Some(_)) => None,
            (None, None) => Some(vec!["self".to_string()]),
        };
        let filters = i.name_pattern.as_deref().map(|n| vec![filter("name", [n])]);
        let mut req = self
            .client
            .describe_images()
            .set_owners(owners)
            .set_filters(filters)
            .set_next_token(page.aws_token.clone());
        // EC2 refuses MaxResults together with ImageIds.
        req = match i.image_ids {
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

    pub async fn create_ami(&self, i: CreateAmiInput) -> Result<Output, ToolError> {
        let req = self
            .client
            .create_image()
            .instance_id(&i.instance_id)
            .name(&i.name)
            .set_description(i.description)
            .set_no_reboot(i.no_reboot)
            .set_tag_specifications(tag_specs(&[ResourceType::Image], i.tags.as_ref()));
        let resp = send!(self, "create_image", req);
        let id = resp.image_id().unwrap_or_default();
        Ok(Output::new(
            format!(
                "Creating AMI {id} from {}; it is usable when its state is available.",
                i.instance_id
            ),
            json!({ "image_id": id, "source_instance_id": i.instance_id }),
        ))
    }

    /// Deregisters an AMI and, when asked, deletes the EBS snapshots it was built on (looked up
    /// before deregistering, since the image is gone afterwards).
    pub async fn deregister_ami(&self, i: DeregisterAmiInput) -> Result<Output, ToolError> {
        let snapshots: Vec<String> = if i.delete_snapshots.unwrap_or(false) {
            let resp = self
                .client
                .describe_images()
                .image_ids(&i.image_id)
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
        let req = self.client.deregister_image().image_id(&i.image_id);
        send!(self, "deregister_image", req);
        for snap in &snapshots {
            self.client
                .delete_snapshot()
                .snapshot_id(snap)
                .send()
                .await
                .map_err(ToolError::from_sdk)?;
        }
        let tail = if snapshots.is_empty() {
            String::new()
        } else {
            format!(" and deleted snapshot(s) {}", snapshots.join(", "))
        };
        Ok(Output::new(
            format!("Deregistered {}{tail}.", i.image_id),
            json!({ "image_id": i.image_id, "deleted_snapshot_ids": snapshots }),
        ))
    }

    pub async fn copy_ami(&self, i: CopyAmiInput) -> Result<Output, ToolError> {
        let req = self
            .client
            .copy_image()
            .source_image_id(&i.source_image_id)
            .source_region(&i.source_region)
            .name(&i.name)
            .set_description(i.description)
            .set_encrypted(i.encrypted);
        let resp = send!(self, "copy_image", req);
        let id = resp.image_id().unwrap_or_default();
        Ok(Output::new(
            format!(
                "Copying {} from {} as {id}.",
                i.source_image_id, i.source_region
            ),
            json!({ "image_id": id, "source_image_id": i.source_image_id, "source_region": i.source_region }),
        ))
    }

    pub async fn modify_ami_attribute(
        &self,
        i: ModifyAmiAttributeInput,
    ) -> Result<Output, ToolError> {
        let mut changed = serde_json::Map::new();
        if let Some(d) = &i.description {
            let req = self
                .client
                .modify_image_attribute()
                .image_id(&i.image_id)
                .description(AttributeValue::builder().value(d).build());
            send!(self, "modify_image_attribute", req);
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
            perms(&i.launch_permission_add),
            perms(&i.launch_permission_remove),
        );
        if add.is_some() || remove.is_some() {
            let mods = LaunchPermissionModifications::builder()
                .set_add(add)
                .set_remove(remove)
                .build();
            let req = self
                .client
                .modify_image_attribute()
                .image_id(&i.image_id)
                .launch_permission(mods);
            send!(self, "modify_image_attribute", req);
            changed.insert(
                "launch_permission_add".into(),
                json!(i.launch_permission_add),
            );
            changed.insert(
                "launch_permission_remove".into(),
                json!(i.launch_permission_remove),
            );
        }
        let public = i.launch_permission_add.iter().flatten().any(|a| a == "all");
        let warn = if public {
            " The AMI is now public: anyone can launch it."
        } else {
            ""
        };
        Ok(Output::new(
            format!("Updated {}.{warn}", i.image_id),
            json!({ "image_id": i.image_id, "changed": changed, "public": public }),
        ))
    }

    pub async fn list_launch_templates(
        &self,
        i: ListLaunchTemplatesInput,
    ) -> Result<Output, ToolError> {
        let page = PageRequest::new(i.max_results, i.next_token.as_deref())?;
        let mut req = self
            .client
            .describe_launch_templates()
            .set_next_token(page.aws_token.clone());
        req = match i.launch_template_names {
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

    pub async fn create_launch_template(
        &self,
        i: CreateLaunchTemplateInput,
    ) -> Result<Output, ToolError> {
        let data = RequestLaunchTemplateData::builder()
            .set_image_id(i.image_id)
            .set_instance_type(i.instance_type.as_deref().map(InstanceType::from))
            .set_key_name(i.key_name)
            .set_security_group_ids(i.security_group_ids)
            .set_user_data(i.user_data.as_deref().map(|u| STANDARD.encode(u)))
            .build();
        let req = self
            .client
            .create_launch_template()
            .launch_template_name(&i.launch_template_name)
            .set_version_description(i.description)
            .launch_template_data(data)
            .set_tag_specifications(tag_specs(&[ResourceType::LaunchTemplate], i.tags.as_ref()));
        let resp = send!(self, "create_launch_template", req);
        let t = resp.launch_template();
        let id = t.and_then(|t| t.launch_template_id()).unwrap_or_default();
        Ok(Output::new(
            format!("Created launch template {} ({id}).", i.launch_template_name),
            json!({
                "launch_template_id": id,
                "launch_template_name": i.launch_template_name,
                "version": t.and_then(|t| t.latest_version_number()),
            }),
        ))
    }

    pub async fn delete_launch_template(
        &self,
        i: LaunchTemplateInput,
    ) -> Result<Output, ToolError> {
        let which = template_label(&i.launch_template_id, &i.launch_template_name);
        let req = self
            .client
            .delete_launch_template()
            .set_launch_template_id(i.launch_template_id)
            .set_launch_template_name(i.launch_template_name);
        let resp = send!(self, "delete_launch_template", req);
        let id = resp.launch_template().and_then(|t| t.launch_template_id());
        Ok(Output::new(
            format!("Deleted launch template {which}."),
            json!({ "launch_template_id": id, "deleted": which }),
        ))
    }

    pub async fn get_launch_template_versions(
        &self,
        i: LaunchTemplateVersionsInput,
    ) -> Result<Output, ToolError> {
        let which = template_label(&i.launch_template_id, &i.launch_template_name);
        let resp = self
            .client
            .describe_launch_template_versions()
            .set_launch_template_id(i.launch_template_id)
            .set_launch_template_name(i.launch_template_name)
            .set_versions(i.versions)
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

    pub async fn set_monitoring(
        &self,
        ids: Vec<String>,
        enable: bool,
    ) -> Result<Output, ToolError> {
        let monitorings = if enable {
            let req = self.client.monitor_instances().set_instance_ids(Some(ids));
            send!(self, "monitor_instances", req)
                .instance_monitorings()
                .to_vec()
        } else {
            let req = self
                .client
                .unmonitor_instances()
                .set_instance_ids(Some(ids));
            send!(self, "unmonitor_instances", req)
                .instance_monitorings()
                .to_vec()
        };
        let items: Vec<Value> = monitorings
            .iter()
            .map(|m| {
                json!({
                    "instance_id": m.instance_id(),
                    "monitoring": m.monitoring().and_then(|s| s.state()).map(|s| s.as_str()),
                })
            })
            .collect();
        let verb = if enable { "Enabling" } else { "Disabling" };
        Ok(Output::new(
            format!("{verb} detailed monitoring on {} instance(s).", items.len()),
            json!({ "instances": items }),
        ))
    }

    pub async fn add_tags(
        &self,
        ids: Vec<String>,
        tags: std::collections::BTreeMap<String, String>,
    ) -> Result<Output, ToolError> {
        let req = self
            .client
            .create_tags()
            .set_resources(Some(ids.clone()))
            .set_tags(Some(sdk_tags(&tags)));
        send!(self, "create_tags", req);
        Ok(Output::new(
            format!(
                "Tagged {} resource(s) with {} tag(s).",
                ids.len(),
                tags.len()
            ),
            json!({ "resource_ids": ids, "tags": tags }),
        ))
    }

    pub async fn remove_tags(
        &self,
        ids: Vec<String>,
        keys: Vec<String>,
    ) -> Result<Output, ToolError> {
        let tags: Vec<Tag> = keys.iter().map(|k| Tag::builder().key(k).build()).collect();
        let req = self
            .client
            .delete_tags()
            .set_resources(Some(ids.clone()))
            .set_tags(Some(tags));
        send!(self, "delete_tags", req);
        Ok(Output::new(
            format!(
                "Removed {} tag key(s) from {} resource(s).",
                keys.len(),
                ids.len()
            ),
            json!({ "resource_ids": ids, "removed_keys": keys }),
        ))
    }
}

fn template_label(id: &Option<String>, name: &Option<String>) -> String {
    id.clone().or_else(|| name.clone()).unwrap_or_default()
}
