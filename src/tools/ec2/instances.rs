//! Instances: list, describe, launch, start, stop, reboot, terminate, change attributes, status,
//! waiting, and detailed monitoring.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use aws_sdk_ec2::types::{
    AttributeBooleanValue, AttributeValue, Instance, InstanceAttributeName, InstanceStateChange,
    InstanceType, ResourceType, SecureBlobAttributeValue,
};
use aws_smithy_types::Blob;
use base64::{Engine, engine::general_purpose::STANDARD};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::Ec2;
use crate::{
    aws::{
        ec2::{Sent, dry_run_outcome, filter, send, tag_specs_with_call, tags_json},
        outcome::{CALL_TAG, call_token},
        outcome::{Check, unknown_outcome_with_token},
        paging::PageRequest,
        time,
    },
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, DryRun, Flag, Kind, Risk, Tags, Target},
};

/// Most instances one `create_instances` call may launch.
pub const MAX_LAUNCH: u32 = 20;
/// Longest `wait_for_state` wait.
pub const MAX_WAIT: Duration = Duration::from_secs(300);
const POLL: Duration = Duration::from_secs(2);

// Instance states, as EC2 names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum InstanceState {
    Pending,
    Running,
    ShuttingDown,
    Terminated,
    Stopping,
    Stopped,
}

impl InstanceState {
    pub fn as_str(self) -> &'static str {
        match self {
            InstanceState::Pending => "pending",
            InstanceState::Running => "running",
            InstanceState::ShuttingDown => "shutting-down",
            InstanceState::Terminated => "terminated",
            InstanceState::Stopping => "stopping",
            InstanceState::Stopped => "stopped",
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListInstances {
    pub instance_ids: Option<Vec<String>>,
    pub state: Option<InstanceState>,
    /// Key to value
    pub tags: Option<Tags>,
    pub vpc_id: Option<String>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListInstances {
    const NAME: &'static str = "list_instances";
    const DESCRIPTION: &'static str = "Instances, filtered";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        instances(self.instance_ids.iter().flatten())
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let ec2 = Ec2::of(cx).await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let mut filters = Vec::new();
        if let Some(state) = self.state {
            filters.push(filter("instance-state-name", [state.as_str()]));
        }
        if let Some(vpc) = &self.vpc_id {
            filters.push(filter("vpc-id", [vpc.as_str()]));
        }
        for (k, v) in self.tags.iter().flatten() {
            filters.push(filter(&format!("tag:{k}"), [v.as_str()]));
        }
        let mut req = ec2
            .client
            .describe_instances()
            .set_filters((!filters.is_empty()).then_some(filters))
            .set_next_token(page.aws_token.clone());
        // EC2 refuses MaxResults together with InstanceIds.
        req = match self.instance_ids {
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
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DescribeInstance {
    pub instance_id: String,
}

impl Action for DescribeInstance {
    const NAME: &'static str = "describe_instance";
    const DESCRIPTION: &'static str = "One instance: volumes, network, protection";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        instances([&self.instance_id])
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let ec2 = Ec2::of(cx).await;
        let id = self.instance_id.as_str();
        let resp = ec2
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
        let term = ec2
            .client
            .describe_instance_attribute()
            .instance_id(id)
            .attribute(InstanceAttributeName::DisableApiTermination)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
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
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInstances {
    pub image_id: String,
    /// Default t3.micro
    pub instance_type: Option<String>,
    /// 1-20 (default 1)
    #[schemars(range(min = 1, max = 20))]
    pub count: Option<u32>,
    pub subnet_id: Option<String>,
    pub security_group_ids: Option<Vec<String>>,
    pub key_name: Option<String>,
    /// Plain text
    pub user_data: Option<String>,
    /// Key to value
    pub tags: Option<Tags>,
}

impl Action for CreateInstances {
    const NAME: &'static str = "create_instances";
    const DESCRIPTION: &'static str = "Launch instances from an AMI";
    const ACCESS: Access = Access::Write;
    // New instances cost money but change nothing that runs.
    const RISK: Risk = Risk::Medium;
    const DRY_RUN: DryRun = DryRun::Native;

    fn validate(&self) -> Result<(), ToolError> {
        if !(1..=MAX_LAUNCH).contains(&self.count.unwrap_or(1)) {
            return Err(ToolError::invalid(format!(
                "count must be between 1 and {MAX_LAUNCH}; launch larger fleets with an Auto \
                 Scaling group"
            )));
        }
        Ok(())
    }

    /// The subnet and security groups the instances join: their environment is the instances'.
    fn targets(&self) -> Vec<Target> {
        self.subnet_id
            .iter()
            .chain(self.security_group_ids.iter().flatten())
            .map(Target::ec2)
            .collect()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let ec2 = Ec2::of(cx).await;
        let count = self.count.unwrap_or(1);
        let instance_type = self.instance_type.as_deref().unwrap_or("t3.micro");
        // One ClientToken per call, repeated by the SDK's retries, so a launch whose answer
        // was lost is not launched again; the instances carry it as their call tag.
        let token = call_token();
        let req = ec2
            .client
            .run_instances()
            .image_id(&self.image_id)
            .instance_type(InstanceType::from(instance_type))
            .min_count(count as i32)
            .max_count(count as i32)
            .client_token(&token)
            .set_subnet_id(self.subnet_id)
            .set_security_group_ids(self.security_group_ids)
            .set_key_name(self.key_name)
            .set_user_data(self.user_data.as_deref().map(|u| STANDARD.encode(u)))
            .set_tag_specifications(Some(tag_specs_with_call(
                &[ResourceType::Instance, ResourceType::Volume],
                self.tags.as_ref(),
                &token,
            )));
        let check = Check {
            tool: "aws_ec2",
            action: "list_instances",
            arguments: json!({"tags": {CALL_TAG: token}}),
            look_for: format!("{count} instance(s)"),
        };
        let resp = send!(ec2, "run_instances", req, lost: |cause| {
            unknown_outcome_with_token("RunInstances", "the instances", cause, check, &token)
        });
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
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartInstances {
    pub instance_ids: Vec<String>,
}

impl Action for StartInstances {
    const NAME: &'static str = "start_instances";
    const DESCRIPTION: &'static str = "Start stopped instances";
    const ACCESS: Access = Access::Write;
    // Starting is additive and reversible; it costs money.
    const RISK: Risk = Risk::Medium;
    const DRY_RUN: DryRun = DryRun::Native;

    fn validate(&self) -> Result<(), ToolError> {
        some_instances(&self.instance_ids)
    }

    fn targets(&self) -> Vec<Target> {
        instances(&self.instance_ids)
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let ec2 = Ec2::of(cx).await;
        let req = ec2
            .client
            .start_instances()
            .set_instance_ids(Some(self.instance_ids));
        let resp = send!(ec2, "start_instances", req);
        Ok(state_changes("Starting", resp.starting_instances()))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StopInstances {
    pub instance_ids: Vec<String>,
    /// Skip the OS shutdown (may lose data)
    pub force: Option<bool>,
}

impl Action for StopInstances {
    const NAME: &'static str = "stop_instances";
    const DESCRIPTION: &'static str = "Stop running instances";
    const ACCESS: Access = Access::Write;
    // Takes whatever the instances serve offline until they are started again.
    const RISK: Risk = Risk::High;
    const DRY_RUN: DryRun = DryRun::Native;

    fn validate(&self) -> Result<(), ToolError> {
        some_instances(&self.instance_ids)
    }

    fn targets(&self) -> Vec<Target> {
        instances(&self.instance_ids)
    }

    fn flags(&self) -> Vec<Flag> {
        if self.force == Some(true) {
            vec![Flag::high(
                "force skips the OS shutdown: unsaved data on the instances can be lost",
            )]
        } else {
            Vec::new()
        }
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let ec2 = Ec2::of(cx).await;
        let req = ec2
            .client
            .stop_instances()
            .set_instance_ids(Some(self.instance_ids))
            .force(self.force.unwrap_or(false));
        let resp = send!(ec2, "stop_instances", req);
        Ok(state_changes("Stopping", resp.stopping_instances()))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RebootInstances {
    pub instance_ids: Vec<String>,
}

impl Action for RebootInstances {
    const NAME: &'static str = "reboot_instances";
    const DESCRIPTION: &'static str = "Reboot running instances";
    const ACCESS: Access = Access::Write;
    // A short outage of everything the instances serve.
    const RISK: Risk = Risk::High;
    const DRY_RUN: DryRun = DryRun::Native;

    fn validate(&self) -> Result<(), ToolError> {
        some_instances(&self.instance_ids)
    }

    fn targets(&self) -> Vec<Target> {
        instances(&self.instance_ids)
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let ec2 = Ec2::of(cx).await;
        let ids = self.instance_ids;
        let req = ec2
            .client
            .reboot_instances()
            .set_instance_ids(Some(ids.clone()));
        send!(ec2, "reboot_instances", req);
        Ok(Output::new(
            format!("Reboot requested for {}.", ids.join(", ")),
            json!({ "rebooting": ids }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TerminateInstances {
    pub instance_ids: Vec<String>,
}

impl Action for TerminateInstances {
    const NAME: &'static str = "terminate_instances";
    const DESCRIPTION: &'static str = "Terminate instances (instance-store data is lost)";
    const ACCESS: Access = Access::Destructive;
    const RISK: Risk = Risk::Critical;
    const DRY_RUN: DryRun = DryRun::Native;

    fn validate(&self) -> Result<(), ToolError> {
        some_instances(&self.instance_ids)
    }

    fn targets(&self) -> Vec<Target> {
        instances(&self.instance_ids)
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let ec2 = Ec2::of(cx).await;
        let req = ec2
            .client
            .terminate_instances()
            .set_instance_ids(Some(self.instance_ids));
        let resp = send!(ec2, "terminate_instances", req);
        Ok(state_changes("Terminating", resp.terminating_instances()))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModifyInstanceAttribute {
    pub instance_id: String,
    /// Default t3.micro
    pub instance_type: Option<String>,
    /// Termination protection
    pub disable_api_termination: Option<bool>,
    /// Stop protection
    pub disable_api_stop: Option<bool>,
    pub instance_initiated_shutdown_behavior: Option<ShutdownBehavior>,
    /// Off for NAT instances
    pub source_dest_check: Option<bool>,
    pub ebs_optimized: Option<bool>,
    /// Plain text
    pub user_data: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShutdownBehavior {
    Stop,
    Terminate,
}

impl Action for ModifyInstanceAttribute {
    const NAME: &'static str = "modify_instance_attribute";
    const DESCRIPTION: &'static str = "Change type, protection, shutdown behaviour and more";
    const ACCESS: Access = Access::Write;
    // Changes how a running instance behaves, or what protects it.
    const RISK: Risk = Risk::High;
    const DRY_RUN: DryRun = DryRun::Native;

    fn validate(&self) -> Result<(), ToolError> {
        if self.instance_type.is_none()
            && self.disable_api_termination.is_none()
            && self.disable_api_stop.is_none()
            && self.instance_initiated_shutdown_behavior.is_none()
            && self.source_dest_check.is_none()
            && self.ebs_optimized.is_none()
            && self.user_data.is_none()
        {
            return Err(ToolError::invalid(
                "modify_instance_attribute needs at least one attribute: instance_type, \
                 disable_api_termination, disable_api_stop, \
                 instance_initiated_shutdown_behavior, source_dest_check, ebs_optimized or \
                 user_data",
            ));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        instances([&self.instance_id])
    }

    fn flags(&self) -> Vec<Flag> {
        let mut flags = Vec::new();
        if self.disable_api_termination == Some(false) || self.disable_api_stop == Some(false) {
            flags.push(Flag::critical(format!(
                "turns off protection of {}: it can then be stopped or terminated by any call",
                self.instance_id
            )));
        }
        if self.instance_initiated_shutdown_behavior == Some(ShutdownBehavior::Terminate) {
            flags.push(Flag::critical(format!(
                "an OS shutdown of {} will then terminate it",
                self.instance_id
            )));
        }
        flags
    }

    /// EC2 changes one attribute per request, so each given attribute is its own call, in a
    /// fixed order; the result lists what changed.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let ec2 = Ec2::of(cx).await;
        let id = self.instance_id.as_str();
        let base = || ec2.client.modify_instance_attribute().instance_id(id);
        let boolean = |v: bool| AttributeBooleanValue::builder().value(v).build();
        let text = |v: &str| AttributeValue::builder().value(v).build();
        let mut steps = Vec::new();
        if let Some(t) = &self.instance_type {
            steps.push(("instance_type", json!(t), base().instance_type(text(t))));
        }
        if let Some(v) = self.disable_api_termination {
            steps.push((
                "disable_api_termination",
                json!(v),
                base().disable_api_termination(boolean(v)),
            ));
        }
        if let Some(v) = self.disable_api_stop {
            steps.push((
                "disable_api_stop",
                json!(v),
                base().disable_api_stop(boolean(v)),
            ));
        }
        if let Some(b) = self.instance_initiated_shutdown_behavior {
            let v = match b {
                ShutdownBehavior::Stop => "stop",
                ShutdownBehavior::Terminate => "terminate",
            };
            let req = base().instance_initiated_shutdown_behavior(text(v));
            steps.push(("instance_initiated_shutdown_behavior", json!(v), req));
        }
        if let Some(v) = self.source_dest_check {
            steps.push((
                "source_dest_check",
                json!(v),
                base().source_dest_check(boolean(v)),
            ));
        }
        if let Some(v) = self.ebs_optimized {
            steps.push(("ebs_optimized", json!(v), base().ebs_optimized(boolean(v))));
        }
        if let Some(u) = &self.user_data {
            let blob = SecureBlobAttributeValue::builder()
                .value(Blob::new(u.as_bytes()))
                .build();
            steps.push(("user_data", json!("(updated)"), base().user_data(blob)));
        }
        let mut changed = BTreeMap::new();
        for (name, value, req) in steps {
            let sent = req.dry_run(ec2.dry_run).send().await;
            match dry_run_outcome(ec2.dry_run, "modify_instance_attribute", sent)? {
                // With dry_run every attribute is checked; the first that would fail answers.
                Sent::DryRun(out) if out.data["would_succeed"] == json!(false) => return Ok(out),
                Sent::DryRun(_) | Sent::Done(_) => changed.insert(name, value),
            };
        }
        let names: Vec<&str> = changed.keys().copied().collect();
        if ec2.dry_run {
            return Ok(Output::new(
                format!(
                    "Dry run: changing {} on {id} would succeed; nothing was changed.",
                    names.join(", ")
                ),
                json!({ "dry_run": true, "would_succeed": true, "attributes": names }),
            ));
        }
        Ok(Output::new(
            format!("Changed {} on {id}.", names.join(", ")),
            json!({ "instance_id": id, "changed": changed }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetInstanceStatus {
    pub instance_ids: Option<Vec<String>>,
    /// Default true
    pub include_all_instances: Option<bool>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for GetInstanceStatus {
    const NAME: &'static str = "get_instance_status";
    const DESCRIPTION: &'static str = "Status checks and scheduled events";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        instances(self.instance_ids.iter().flatten())
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let ec2 = Ec2::of(cx).await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let mut req = ec2
            .client
            .describe_instance_status()
            .include_all_instances(self.include_all_instances.unwrap_or(true))
            .set_next_token(page.aws_token.clone());
        req = match self.instance_ids {
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
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitForState {
    pub instance_ids: Vec<String>,
    pub state: InstanceState,
    /// Default 120, max 300
    pub timeout_seconds: Option<u64>,
}

impl Action for WaitForState {
    const NAME: &'static str = "wait_for_state";
    const DESCRIPTION: &'static str = "Wait (bounded) for instances to reach a state";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        some_instances(&self.instance_ids)
    }

    fn targets(&self) -> Vec<Target> {
        instances(&self.instance_ids)
    }

    /// Polls every 2 s until every instance is in the state, or the timeout passes. Reaching
    /// the timeout is not an error: the result says which instances are not there yet.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let ec2 = Ec2::of(cx).await;
        let timeout = Duration::from_secs(self.timeout_seconds.unwrap_or(120)).min(MAX_WAIT);
        let started = Instant::now();
        let want = self.state.as_str();
        loop {
            let resp = ec2
                .client
                .describe_instances()
                .set_instance_ids(Some(self.instance_ids.clone()))
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
            let pending = states.values().filter(|s| *s != want).count();
            let waited = started.elapsed().as_secs();
            if pending == 0 {
                return Ok(Output::new(
                    format!(
                        "All {} instance(s) are {want} (waited {waited} s).",
                        states.len()
                    ),
                    json!({ "reached": true, "states": states, "waited_seconds": waited }),
                ));
            }
            if self.state != InstanceState::Terminated && states.values().any(|s| s == "terminated")
            {
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

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnableMonitoring {
    pub instance_ids: Vec<String>,
}

impl Action for EnableMonitoring {
    const NAME: &'static str = "enable_monitoring";
    const DESCRIPTION: &'static str = "Turn on 1-minute monitoring";
    const ACCESS: Access = Access::Write;
    // Costs a little, changes nothing that runs.
    const RISK: Risk = Risk::Medium;
    const DRY_RUN: DryRun = DryRun::Native;

    fn validate(&self) -> Result<(), ToolError> {
        some_instances(&self.instance_ids)
    }

    fn targets(&self) -> Vec<Target> {
        instances(&self.instance_ids)
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let ec2 = Ec2::of(cx).await;
        let req = ec2
            .client
            .monitor_instances()
            .set_instance_ids(Some(self.instance_ids));
        let resp = send!(ec2, "monitor_instances", req);
        Ok(monitoring("Enabling", resp.instance_monitorings()))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DisableMonitoring {
    pub instance_ids: Vec<String>,
}

impl Action for DisableMonitoring {
    const NAME: &'static str = "disable_monitoring";
    const DESCRIPTION: &'static str = "Back to 5-minute monitoring";
    const ACCESS: Access = Access::Write;
    // Coarser metrics; alarms on 1-minute data stop seeing it.
    const RISK: Risk = Risk::Medium;
    const DRY_RUN: DryRun = DryRun::Native;

    fn validate(&self) -> Result<(), ToolError> {
        some_instances(&self.instance_ids)
    }

    fn targets(&self) -> Vec<Target> {
        instances(&self.instance_ids)
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let ec2 = Ec2::of(cx).await;
        let req = ec2
            .client
            .unmonitor_instances()
            .set_instance_ids(Some(self.instance_ids));
        let resp = send!(ec2, "unmonitor_instances", req);
        Ok(monitoring("Disabling", resp.instance_monitorings()))
    }
}

fn instances<'a>(ids: impl IntoIterator<Item = &'a String>) -> Vec<Target> {
    ids.into_iter()
        .map(|id| Target::new(Kind::Instance, id))
        .collect()
}

fn some_instances(ids: &[String]) -> Result<(), ToolError> {
    if ids.is_empty() {
        return Err(ToolError::invalid(
            "instance_ids must name at least one instance",
        ));
    }
    Ok(())
}

fn monitoring(verb: &str, monitorings: &[aws_sdk_ec2::types::InstanceMonitoring]) -> Output {
    let items: Vec<Value> = monitorings
        .iter()
        .map(|m| {
            json!({
                "instance_id": m.instance_id(),
                "monitoring": m.monitoring().and_then(|s| s.state()).map(|s| s.as_str()),
            })
        })
        .collect();
    Output::new(
        format!("{verb} detailed monitoring on {} instance(s).", items.len()),
        json!({ "instances": items }),
    )
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
