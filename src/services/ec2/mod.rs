//! EC2 calls behind `aws_ec2`: instances here; key pairs, AMIs, launch templates and tags in
//! `images.rs`.

mod images;

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use aws_sdk_ec2::{
    Client,
    error::SdkError,
    types::{
        AttributeBooleanValue, AttributeValue, Filter, Instance, InstanceAttributeName,
        InstanceStateChange, InstanceType, ResourceType, SecureBlobAttributeValue, Tag,
        TagSpecification,
    },
};
use aws_smithy_types::{Blob, DateTime, date_time::Format};
use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::{Value, json};

use crate::{
    aws::paging::PageRequest,
    error::ToolError,
    output::Output,
    tools::ec2::{
        CreateInstancesInput, InstanceState, InstanceStatusInput, ListInstancesInput,
        ModifyInstanceAttributeInput, ShutdownBehavior, WaitForStateInput,
    },
};

/// Most instances one `create_instances` call may launch.
pub const MAX_LAUNCH: u32 = 20;
/// Longest `wait_for_state` wait.
pub const MAX_WAIT: Duration = Duration::from_secs(300);
const POLL: Duration = Duration::from_secs(2);

/// An EC2 client for one call, with that call's dry-run flag.
pub struct Ec2<'a> {
    pub client: &'a Client,
    pub dry_run: bool,
}

/// A mutating call's outcome: it ran, or it was a dry run and this is the verdict.
pub(crate) enum Sent<T> {
    Done(T),
    DryRun(Output),
}

/// Sends a mutating request with EC2's own `DryRun` flag and turns the answer into a verdict.
macro_rules! send {
    ($self:ident, $op:literal, $req:expr) => {
        match dry_run_outcome($self.dry_run, $op, $req.dry_run($self.dry_run).send().await)? {
            Sent::Done(v) => v,
            Sent::DryRun(out) => return Ok(out),
        }
    };
}
pub(crate) use send;

impl Ec2<'_> {
    pub async fn list_instances(&self, i: ListInstancesInput) -> Result<Output, ToolError> {
        let page = PageRequest::new(i.max_results, i.next_token.as_deref())?;
        let mut filters = Vec::new();
        if let Some(state) = i.state {
            filters.push(filter("instance-state-name", [state.as_str()]));
        }
        if let Some(vpc) = &i.vpc_id {
            filters.push(filter("vpc-id", [vpc.as_str()]));
        }
        for (k, v) in i.tags.iter().flatten() {
            filters.push(filter(&format!("tag:{k}"), [v.as_str()]));
        }
        let mut req = self
            .client
            .describe_instances()
            .set_filters((!filters.is_empty()).then_some(filters))
            .set_next_token(page.aws_token.clone());
        // EC2 refuses MaxResults together with InstanceIds.
        req = match i.instance_ids {
            Some(ids) => req.set_instance_ids(Some(ids)),
            None => req.max_results(page.aws_page_size(5, 1000)),
        };
        let resp = req.send().await.map_err(ToolError::from_sdk)?;
        let all: Vec<Value> = resp
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .map(instance_summary)
            .collect();
        let (items, next) = page.finish(all, resp.next_token().map(str::to_string));
        let summary = format!("{} instance(s){}.", items.len(), state_counts(&items));
        Ok(Output::new(summary, json!({ "instances": items })).with_next_token(next))
    }

    pub async fn describe_instance(&self, id: &str) -> Result<Output, ToolError> {
        let resp = self
            .client
            .describe_instances()
            .instance_ids(id)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let Some(inst) = resp
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .next()
        else {
            return Err(ToolError::Aws {
                code: "InvalidInstanceID.NotFound".into(),
                message: format!("no instance {id}"),
                hint: Some(
                    "check the instance id with aws_ec2 list_instances (and the region)".into(),
                ),
            });
        };
        let mut data = instance_summary(inst);
        let protection = |attr: InstanceAttributeName| async move {
            let r = self
                .client
                .describe_instance_attribute()
                .instance_id(id)
                .attribute(attr)
                .send()
                .await
                .map_err(ToolError::from_sdk)?;
            Ok::<_, ToolError>(r)
        };
        let term = protection(InstanceAttributeName::DisableApiTermination).await?;
        data["termination_protection"] = json!(
            term.disable_api_termination()
                .and_then(|v| v.value())
                .unwrap_or(false)
        );
        data["architecture"] = json!(inst.architecture().map(|a| a.as_str()));
        data["platform"] = json!(inst.platform_details());
        data["root_device_type"] = json!(inst.root_device_type().map(|d| d.as_str()));
        data["monitoring"] = json!(
            inst.monitoring()
                .and_then(|m| m.state())
                .map(|s| s.as_str())
        );
        data["iam_instance_profile"] = json!(inst.iam_instance_profile().and_then(|p| p.arn()));
        data["ebs_optimized"] = json!(inst.ebs_optimized());
        data["volumes"] = inst
            .block_device_mappings()
            .iter()
            .map(|b| {
                json!({
                    "device": b.device_name(),
                    "volume_id": b.ebs().and_then(|e| e.volume_id()),
                    "delete_on_termination": b.ebs().and_then(|e| e.delete_on_termination()),
                })
            })
            .collect();
        data["network_interfaces"] = inst
            .network_interfaces()
            .iter()
            .map(|n| {
                json!({
                    "network_interface_id": n.network_interface_id(),
                    "private_ip": n.private_ip_address(),
                    "subnet_id": n.subnet_id(),
                })
            })
            .collect();
        if let Some(reason) = inst.state_transition_reason().filter(|r| !r.is_empty()) {
            data["state_reason"] = json!(reason);
        }
        let summary = format!(
            "{id} is {} ({}).",
            data["state"].as_str().unwrap_or("unknown"),
            data["instance_type"].as_str().unwrap_or("?")
        );
        Ok(Output::new(summary, data))
    }

    pub async fn create_instances(&self, i: CreateInstancesInput) -> Result<Output, ToolError> {
        let count = i.count.unwrap_or(1);
        let instance_type = i.instance_type.as_deref().unwrap_or("t3.micro");
        let req = self
            .client
            .run_instances()
            .image_id(&i.image_id)
            .instance_type(InstanceType::from(instance_type))
            .min_count(count as i32)
            .max_count(count as i32)
            .set_subnet_id(i.subnet_id)
            .set_security_group_ids(i.security_group_ids)
            .set_key_name(i.key_name)
            .set_user_data(i.user_data.as_deref().map(|u| STANDARD.encode(u)))
            .set_tag_specifications(tag_specs(
                &[ResourceType::Instance, ResourceType::Volume],
                i.tags.as_ref(),
            ));
        let resp = send!(self, "run_instances", req);
        let items: Vec<Value> = resp.instances().iter().map(instance_summary).collect();
        let ids: Vec<&str> = resp
            .instances()
            .iter()
            .filter_map(|x| x.instance_id())
            .collect();
        Ok(Output::new(
            format!("Launched {} instance(s): {}.", ids.len(), ids.join(", ")),
            json!({ "instances": items }),
        ))
    }

    pub async fn start_instances(&self, ids: Vec<String>) -> Result<Output, ToolError> {
        let req = self.client.start_instances().set_instance_ids(Some(ids));
        let resp = send!(self, "start_instances", req);
        Ok(state_changes("Starting", resp.starting_instances()))
    }

    pub async fn stop_instances(&self, ids: Vec<String>, force: bool) -> Result<Output, ToolError> {
        let req = self
            .client
            .stop_instances()
            .set_instance_ids(Some(ids))
            .force(force);
        let resp = send!(self, "stop_instances", req);
        Ok(state_changes("Stopping", resp.stopping_instances()))
    }

    pub async fn reboot_instances(&self, ids: Vec<String>) -> Result<Output, ToolError> {
        let req = self
            .client
            .reboot_instances()
            .set_instance_ids(Some(ids.clone()));
        send!(self, "reboot_instances", req);
        Ok(Output::new(
            format!("Reboot requested for {}.", ids.join(", ")),
            json!({ "rebooting": ids }),
        ))
    }

    pub async fn terminate_instances(&self, ids: Vec<String>) -> Result<Output, ToolError> {
        let req = self
            .client
            .terminate_instances()
            .set_instance_ids(Some(ids));
        let resp = send!(self, "terminate_instances", req);
        Ok(state_changes("Terminating", resp.terminating_instances()))
    }

    /// EC2 changes one attribute per request, so each given attribute is its own call, in a fixed
    /// order; the result lists what changed.
    pub async fn modify_instance_attribute(
        &self,
        i: ModifyInstanceAttributeInput,
    ) -> Result<Output, ToolError> {
        let id = i.instance_id.as_str();
        let base = || self.client.modify_instance_attribute().instance_id(id);
        let boolean = |v: bool| AttributeBooleanValue::builder().value(v).build();
        let text = |v: &str| AttributeValue::builder().value(v).build();
        let mut steps = Vec::new();
        if let Some(t) = &i.instance_type {
            steps.push(("instance_type", json!(t), base().instance_type(text(t))));
        }
        if let Some(v) = i.disable_api_termination {
            steps.push((
                "disable_api_termination",
                json!(v),
                base().disable_api_termination(boolean(v)),
            ));
        }
        if let Some(v) = i.disable_api_stop {
            steps.push((
                "disable_api_stop",
                json!(v),
                base().disable_api_stop(boolean(v)),
            ));
        }
        if let Some(b) = i.instance_initiated_shutdown_behavior {
            let v = match b {
                ShutdownBehavior::Stop => "stop",
                ShutdownBehavior::Terminate => "terminate",
            };
            let req = base().instance_initiated_shutdown_behavior(text(v));
            steps.push(("instance_initiated_shutdown_behavior", json!(v), req));
        }
        if let Some(v) = i.source_dest_check {
            steps.push((
                "source_dest_check",
                json!(v),
                base().source_dest_check(boolean(v)),
            ));
        }
        if let Some(v) = i.ebs_optimized {
            steps.push(("ebs_optimized", json!(v), base().ebs_optimized(boolean(v))));
        }
        if let Some(u) = &i.user_data {
            let blob = SecureBlobAttributeValue::builder()
                .value(Blob::new(u.as_bytes()))
                .build();
            steps.push(("user_data", json!("(updated)"), base().user_data(blob)));
        }
        let mut changed = BTreeMap::new();
        for (name, value, req) in steps {
            let sent = req.dry_run(self.dry_run).send().await;
            match dry_run_outcome(self.dry_run, "modify_instance_attribute", sent)? {
                // With dry_run every attribute is checked; the first that would fail answers.
                Sent::DryRun(out) if out.data["would_succeed"] == json!(false) => return Ok(out),
                Sent::DryRun(_) | Sent::Done(_) => changed.insert(name, value),
            };
        }
        if self.dry_run {
            let names: Vec<&str> = changed.keys().copied().collect();
            return Ok(Output::new(
                format!(
                    "Dry run: changing {} on {id} would succeed; nothing was changed.",
                    names.join(", ")
                ),
                json!({ "dry_run": true, "would_succeed": true, "attributes": names }),
            ));
        }
        let names: Vec<&str> = changed.keys().copied().collect();
        Ok(Output::new(
            format!("Changed {} on {id}.", names.join(", ")),
            json!({ "instance_id": id, "changed": changed }),
        ))
    }

    pub async fn get_instance_status(&self, i: InstanceStatusInput) -> Result<Output, ToolError> {
        let page = PageRequest::new(i.max_results, i.next_token.as_deref())?;
        let mut req = self
            .client
            .describe_instance_status()
            .include_all_instances(i.include_all_instances.unwrap_or(true))
            .set_next_token(page.aws_token.clone());
        req = match i.instance_ids {
            Some(ids) => req.set_instance_ids(Some(ids)),
            None => req.max_results(page.aws_page_size(5, 1000)),
        };
        let resp = req.send().await.map_err(ToolError::from_sdk)?;
        let all: Vec<Value> = resp
            .instance_statuses()
            .iter()
            .map(|s| {
                json!({
                    "instance_id": s.instance_id(),
                    "availability_zone": s.availability_zone(),
                    "state": s.instance_state().and_then(|x| x.name()).map(|n| n.as_str()),
                    "instance_status": s.instance_status().and_then(|x| x.status()).map(|n| n.as_str()),
                    "system_status": s.system_status().and_then(|x| x.status()).map(|n| n.as_str()),
                    "events": s.events().iter().map(|e| json!({
                        "code": e.code().map(|c| c.as_str()),
                        "description": e.description(),
                        "not_before": e.not_before().map(time),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let (items, next) = page.finish(all, resp.next_token().map(str::to_string));
        let impaired = items
            .iter()
            .filter(|s| s["instance_status"] == "impaired" || s["system_status"] == "impaired")
            .count();
        let summary = format!("{} instance status(es); {impaired} impaired.", items.len());
        Ok(Output::new(summary, json!({ "statuses": items })).with_next_token(next))
    }

    /// Polls every 2 s until every instance is in the state, or the timeout passes. Reaching the
    /// timeout is not an error: the result says which instances are not there yet.
    pub async fn wait_for_state(&self, i: WaitForStateInput) -> Result<Output, ToolError> {
        let timeout = Duration::from_secs(i.timeout_seconds.unwrap_or(120)).min(MAX_WAIT);
        let started = Instant::now();
        let want = i.state.as_str();
        loop {
            let resp = self
                .client
                .describe_instances()
                .set_instance_ids(Some(i.instance_ids.clone()))
                .send()
                .await
                .map_err(ToolError::from_sdk)?;
            let states: BTreeMap<String, String> = resp
                .reservations()
                .iter()
                .flat_map(|r| r.instances())
                .map(|x| {
                    (
                        x.instance_id().unwrap_or_default().to_string(),
                        state_of(x).to_string(),
                    )
                })
                .collect();
            let pending: Vec<&String> = states
                .iter()
                .filter(|(_, s)| *s != want)
                .map(|(k, _)| k)
                .collect();
            let waited = started.elapsed().as_secs();
            if pending.is_empty() {
                return Ok(Output::new(
                    format!(
                        "All {} instance(s) are {want} (waited {waited} s).",
                        states.len()
                    ),
                    json!({ "reached": true, "states": states, "waited_seconds": waited }),
                ));
            }
            if i.state != InstanceState::Terminated && states.values().any(|s| s == "terminated") {
                return Ok(Output::new(
                    format!("Stopped waiting: an instance is terminated and cannot become {want}."),
                    json!({ "reached": false, "states": states, "waited_seconds": waited }),
                ));
            }
            if started.elapsed() + POLL > timeout {
                return Ok(Output::new(
                    format!(
                        "Not all instances are {want} after {waited} s; call wait_for_state again \
                         to keep waiting."
                    ),
                    json!({ "reached": false, "states": states, "waited_seconds": waited }),
                ));
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

/// Turns a mutating call's answer into `Sent`: with `dry_run`, EC2 answers `DryRunOperation`
/// when the call would have succeeded and another error code when it would not.
pub(crate) fn dry_run_outcome<T, E, R>(
    dry_run: bool,
    op: &str,
    result: Result<T, SdkError<E, R>>,
) -> Result<Sent<T>, ToolError>
where
    E: aws_sdk_ec2::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match (dry_run, result) {
        (false, Ok(v)) => Ok(Sent::Done(v)),
        (false, Err(e)) => Err(ToolError::from_sdk(e)),
        (true, Ok(_)) => Err(ToolError::Transport {
            message: format!(
                "{op} was executed although dry_run was set: the endpoint ignored DryRun"
            ),
            hint: "check what changed with the matching list action".into(),
        }),
        (true, Err(e)) => match ToolError::from_sdk(e) {
            ToolError::Aws { code, .. } if code == "DryRunOperation" => {
                Ok(Sent::DryRun(Output::new(
                    format!("Dry run: {op} would succeed; nothing was changed."),
                    json!({ "dry_run": true, "would_succeed": true }),
                )))
            }
            err @ ToolError::Aws { .. } => Ok(Sent::DryRun(Output::new(
                format!(
                    "Dry run: {op} would fail ({}); nothing was changed.",
                    err.aws_code().unwrap_or("?")
                ),
                json!({ "dry_run": true, "would_succeed": false, "error": err.to_json() }),
            ))),
            other => Err(other),
        },
    }
}

pub(crate) fn filter<'a>(name: &str, values: impl IntoIterator<Item = &'a str>) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.into_iter().map(str::to_string).collect()))
        .build()
}

pub(crate) fn sdk_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// Tag specifications for the resource types a create call makes, or `None` without tags.
pub(crate) fn tag_specs(
    types: &[ResourceType],
    tags: Option<&BTreeMap<String, String>>,
) -> Option<Vec<TagSpecification>> {
    let tags = tags.filter(|t| !t.is_empty())?;
    Some(
        types
            .iter()
            .map(|t| {
                TagSpecification::builder()
                    .resource_type(t.clone())
                    .set_tags(Some(sdk_tags(tags)))
                    .build()
            })
            .collect(),
    )
}

pub(crate) fn tags_json(tags: &[Tag]) -> Value {
    tags.iter()
        .filter_map(|t| Some((t.key()?.to_string(), json!(t.value().unwrap_or_default()))))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

pub(crate) fn time(t: &DateTime) -> String {
    t.fmt(Format::DateTime).unwrap_or_else(|_| t.to_string())
}

fn state_of(i: &Instance) -> &str {
    i.state()
        .and_then(|s| s.name())
        .map(|n| n.as_str())
        .unwrap_or("unknown")
}

fn instance_summary(i: &Instance) -> Value {
    let name = i
        .tags()
        .iter()
        .find(|t| t.key() == Some("Name"))
        .and_then(|t| t.value());
    json!({
        "instance_id": i.instance_id(),
        "name": name,
        "state": state_of(i),
        "instance_type": i.instance_type().map(|t| t.as_str()),
        "image_id": i.image_id(),
        "availability_zone": i.placement().and_then(|p| p.availability_zone()),
        "vpc_id": i.vpc_id(),
        "subnet_id": i.subnet_id(),
        "private_ip": i.private_ip_address(),
        "public_ip": i.public_ip_address(),
        "key_name": i.key_name(),
        "security_group_ids": i.security_groups().iter().filter_map(|g| g.group_id()).collect::<Vec<_>>(),
        "launch_time": i.launch_time().map(time),
        "tags": tags_json(i.tags()),
    })
}

fn state_counts(items: &[Value]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for i in items {
        *counts
            .entry(i["state"].as_str().unwrap_or("unknown"))
            .or_default() += 1;
    }
    if counts.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    format!(" ({})", parts.join(", "))
}

fn state_changes(verb: &str, changes: &[InstanceStateChange]) -> Output {
    let items: Vec<Value> = changes
        .iter()
        .map(|c| {
            json!({
                "instance_id": c.instance_id(),
                "previous_state": c.previous_state().and_then(|s| s.name()).map(|n| n.as_str()),
                "current_state": c.current_state().and_then(|s| s.name()).map(|n| n.as_str()),
            })
        })
        .collect();
    let ids: Vec<&str> = changes.iter().filter_map(|c| c.instance_id()).collect();
    Output::new(
        format!("{verb} {} instance(s): {}.", ids.len(), ids.join(", ")),
        json!({ "instances": items }),
    )
}

/// Tags of EC2 resources by id, in one `DescribeTags` call per 200 ids.
pub async fn resource_tags(
    client: &Client,
    ids: &[String],
) -> Result<BTreeMap<String, BTreeMap<String, String>>, ToolError> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for chunk in ids.chunks(200) {
        let mut pages = client
            .describe_tags()
            .filters(filter("resource-id", chunk.iter().map(String::as_str)))
            .into_paginator()
            .items()
            .send();
        while let Some(tag) = pages.next().await {
            let tag = tag.map_err(ToolError::from_sdk)?;
            if let (Some(id), Some(k)) = (tag.resource_id(), tag.key()) {
                out.entry(id.to_string())
                    .or_default()
                    .insert(k.to_string(), tag.value().unwrap_or_default().to_string());
            }
        }
    }
    Ok(out)
}

/// Snapshots every EBS volume attached to the instances; returns (instance, volume, snapshot).
pub async fn snapshot_instance_volumes(
    client: &Client,
    instance_ids: &[String],
    description: &str,
) -> Result<Vec<(String, String, String)>, ToolError> {
    let resp = client
        .describe_instances()
        .set_instance_ids(Some(instance_ids.to_vec()))
        .send()
        .await
        .map_err(ToolError::from_sdk)?;
    let mut made = Vec::new();
    for inst in resp.reservations().iter().flat_map(|r| r.instances()) {
        let id = inst.instance_id().unwrap_or_default().to_string();
        for volume in inst
            .block_device_mappings()
            .iter()
            .filter_map(|b| b.ebs()?.volume_id())
        {
            let snap = client
                .create_snapshot()
                .volume_id(volume)
                .description(description)
                .tag_specifications(
                    TagSpecification::builder()
                        .resource_type(ResourceType::Snapshot)
                        .tags(Tag::builder().key("espada:backup-of").value(&id).build())
                        .build(),
                )
                .send()
                .await
                .map_err(ToolError::from_sdk)?;
            made.push((
                id.clone(),
                volume.to_string(),
                snap.snapshot_id().unwrap_or_default().to_string(),
            ));
        }
    }
    Ok(made)
}
