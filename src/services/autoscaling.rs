//! Auto Scaling calls behind `aws_ec2`'s group actions. Auto Scaling has no dry-run mode, so
//! the dispatcher never calls these with one: a dry run answers with the plan instead.

use aws_sdk_autoscaling::{
    Client,
    types::{AutoScalingGroup, LaunchTemplateSpecification, Tag},
};
use serde_json::{Value, json};

use crate::{
    aws::paging::PageRequest,
    error::ToolError,
    output::Output,
    services::ec2::time,
    tools::ec2::{
        AsgTargetGroupsInput, CreateAsgInput, DeleteAsgInput, HealthCheckType, ListAsgsInput,
        ScalingActivitiesInput, SetDesiredCapacityInput, UpdateAsgInput,
    },
};

pub struct AutoScaling {
    pub client: Client,
}

impl AutoScaling {
    pub async fn list_asgs(&self, i: ListAsgsInput) -> Result<Output, ToolError> {
        let page = PageRequest::new(i.max_results, i.next_token.as_deref())?;
        let resp = self
            .client
            .describe_auto_scaling_groups()
            .set_auto_scaling_group_names(i.auto_scaling_group_names)
            .max_records(page.aws_page_size(1, 100))
            .set_next_token(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let all: Vec<Value> = resp.auto_scaling_groups().iter().map(group).collect();
        let (items, next) = page.finish(all, resp.next_token().map(str::to_string));
        Ok(Output::new(
            format!("{} Auto Scaling group(s).", items.len()),
            json!({ "auto_scaling_groups": items }),
        )
        .with_next_token(next))
    }

    pub async fn create_asg(&self, i: CreateAsgInput) -> Result<Output, ToolError> {
        let name = i.auto_scaling_group_name.as_str();
        let tags: Vec<Tag> = i
            .tags
            .iter()
            .flatten()
            .map(|(k, v)| {
                Tag::builder()
                    .resource_id(name)
                    .resource_type("auto-scaling-group")
                    .key(k)
                    .value(v)
                    .propagate_at_launch(true)
                    .build()
            })
            .collect();
        self.client
            .create_auto_scaling_group()
            .auto_scaling_group_name(name)
            .launch_template(template(
                i.launch_template_id.clone(),
                i.launch_template_name.clone(),
                i.launch_template_version.clone(),
            ))
            .min_size(i.min_size)
            .max_size(i.max_size)
            .set_desired_capacity(i.desired_capacity)
            .vpc_zone_identifier(i.subnet_ids.join(","))
            .set_target_group_arns(i.target_group_arns.clone())
            .set_health_check_type(i.health_check_type.map(health_check))
            .set_health_check_grace_period(i.health_check_grace_period)
            .set_tags((!tags.is_empty()).then_some(tags))
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let data = match self.describe(name).await? {
            Some(g) => group(&g),
            None => json!({ "auto_scaling_group_name": name }),
        };
        Ok(Output::new(
            format!(
                "Created Auto Scaling group {name} (min {}, max {}, desired {}) across {} \
                 subnet(s){}.",
                i.min_size,
                i.max_size,
                i.desired_capacity.unwrap_or(i.min_size),
                i.subnet_ids.len(),
                i.target_group_arns
                    .as_ref()
                    .filter(|t| !t.is_empty())
                    .map(|t| format!(", registering with {} target group(s)", t.len()))
                    .unwrap_or_default()
            ),
            data,
        ))
    }

    pub async fn update_asg(&self, i: UpdateAsgInput) -> Result<Output, ToolError> {
        let name = i.auto_scaling_group_name.as_str();
        let lt = (i.launch_template_id.is_some() || i.launch_template_name.is_some()).then(|| {
            template(
                i.launch_template_id.clone(),
                i.launch_template_name.clone(),
                i.launch_template_version.clone(),
            )
        });
        self.client
            .update_auto_scaling_group()
            .auto_scaling_group_name(name)
            .set_launch_template(lt)
            .set_min_size(i.min_size)
            .set_max_size(i.max_size)
            .set_desired_capacity(i.desired_capacity)
            .set_vpc_zone_identifier(i.subnet_ids.as_ref().map(|s| s.join(",")))
            .set_health_check_type(i.health_check_type.map(health_check))
            .set_health_check_grace_period(i.health_check_grace_period)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let data = match self.describe(name).await? {
            Some(g) => group(&g),
            None => json!({ "auto_scaling_group_name": name }),
        };
        Ok(Output::new(
            format!(
                "Updated {name}: min {}, max {}, desired {}.",
                data["min_size"], data["max_size"], data["desired_capacity"]
            ),
            data,
        ))
    }

    /// Without `force_delete`, a group that still has instances is refused here with their
    /// ids (AWS refuses it too, with a less helpful message).
    pub async fn delete_asg(&self, i: DeleteAsgInput) -> Result<Output, ToolError> {
        let name = i.auto_scaling_group_name.as_str();
        let force = i.force_delete.unwrap_or(false);
        let Some(g) = self.describe(name).await? else {
            return Err(not_found(name));
        };
        let instances: Vec<&str> = g
            .instances()
            .iter()
            .filter_map(|x| x.instance_id())
            .collect();
        if !force && !instances.is_empty() {
            return Err(ToolError::Precondition {
                message: format!(
                    "{name} still runs {} instance(s): {}",
                    instances.len(),
                    instances.join(", ")
                ),
                hint: "scale it to 0 first (set_desired_capacity 0 with update_asg min_size 0) \
                       and wait, or call delete_asg with force_delete: true to terminate them \
                       with the group"
                    .into(),
                details: json!({"auto_scaling_group_name": name, "instance_ids": instances}),
            });
        }
        self.client
            .delete_auto_scaling_group()
            .auto_scaling_group_name(name)
            .force_delete(force)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let terminated = if force { instances.clone() } else { Vec::new() };
        Ok(Output::new(
            if terminated.is_empty() {
                format!("Deleted Auto Scaling group {name}.")
            } else {
                format!(
                    "Deleting Auto Scaling group {name} and terminating its {} instance(s).",
                    terminated.len()
                )
            },
            json!({"deleted": name, "terminating_instance_ids": terminated}),
        ))
    }

    pub async fn set_desired_capacity(
        &self,
        i: SetDesiredCapacityInput,
    ) -> Result<Output, ToolError> {
        let name = i.auto_scaling_group_name.as_str();
        self.client
            .set_desired_capacity()
            .auto_scaling_group_name(name)
            .desired_capacity(i.desired_capacity)
            .honor_cooldown(i.honor_cooldown.unwrap_or(false))
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        Ok(Output::new(
            format!(
                "Set {name}'s desired capacity to {}; it launches or terminates instances to \
                 match.",
                i.desired_capacity
            ),
            json!({"auto_scaling_group_name": name, "desired_capacity": i.desired_capacity}),
        ))
    }

    pub async fn get_scaling_activities(
        &self,
        i: ScalingActivitiesInput,
    ) -> Result<Output, ToolError> {
        let page = PageRequest::new(i.max_results, i.next_token.as_deref())?;
        let resp = self
            .client
            .describe_scaling_activities()
            .auto_scaling_group_name(&i.auto_scaling_group_name)
            .max_records(page.aws_page_size(1, 100))
            .set_next_token(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let all: Vec<Value> = resp
            .activities()
            .iter()
            .map(|a| {
                json!({
                    "activity_id": a.activity_id(),
                    "status": a.status_code().map(|s| s.as_str()),
                    "description": a.description(),
                    "cause": a.cause(),
                    "status_message": a.status_message(),
                    "start_time": a.start_time().map(time),
                    "end_time": a.end_time().map(time),
                    "progress": a.progress(),
                })
            })
            .collect();
        let (items, next) = page.finish(all, resp.next_token().map(str::to_string));
        let failed = items.iter().filter(|a| a["status"] == "Failed").count();
        Ok(Output::new(
            format!(
                "{} scaling activit{} for {}{}.",
                items.len(),
                if items.len() == 1 { "y" } else { "ies" },
                i.auto_scaling_group_name,
                if failed > 0 {
                    format!(", {failed} failed")
                } else {
                    String::new()
                }
            ),
            json!({ "activities": items }),
        )
        .with_next_token(next))
    }

    /// Attaches (`attach`) or detaches target groups; instances register or deregister as
    /// the group goes on.
    pub async fn target_groups(
        &self,
        i: AsgTargetGroupsInput,
        attach: bool,
    ) -> Result<Output, ToolError> {
        let name = i.auto_scaling_group_name.as_str();
        if attach {
            self.client
                .attach_load_balancer_target_groups()
                .auto_scaling_group_name(name)
                .set_target_group_arns(Some(i.target_group_arns.clone()))
                .send()
                .await
                .map_err(ToolError::from_sdk)?;
        } else {
            self.client
                .detach_load_balancer_target_groups()
                .auto_scaling_group_name(name)
                .set_target_group_arns(Some(i.target_group_arns.clone()))
                .send()
                .await
                .map_err(ToolError::from_sdk)?;
        }
        let verb = if attach { "Attached" } else { "Detached" };
        let prep = if attach { "to" } else { "from" };
        Ok(Output::new(
            format!(
                "{verb} {} target group(s) {prep} {name}.",
                i.target_group_arns.len()
            ),
            json!({"auto_scaling_group_name": name, if attach { "attached" } else { "detached" }: i.target_group_arns}),
        ))
    }

    async fn describe(&self, name: &str) -> Result<Option<AutoScalingGroup>, ToolError> {
        let resp = self
            .client
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(name)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        Ok(resp.auto_scaling_groups().first().cloned())
    }
}

fn not_found(name: &str) -> ToolError {
    ToolError::Aws {
        code: "ValidationError".into(),
        message: format!("no Auto Scaling group named {name}"),
        hint: Some("check the name with aws_ec2 list_asgs (and the region)".into()),
    }
}

fn template(
    id: Option<String>,
    name: Option<String>,
    version: Option<String>,
) -> LaunchTemplateSpecification {
    LaunchTemplateSpecification::builder()
        .set_launch_template_id(id)
        .set_launch_template_name(name)
        .set_version(version)
        .build()
}

fn health_check(t: HealthCheckType) -> String {
    match t {
        HealthCheckType::Ec2 => "EC2".into(),
        HealthCheckType::Elb => "ELB".into(),
    }
}

fn group(g: &AutoScalingGroup) -> Value {
    let lt = g.launch_template().map(|t| {
        json!({
            "launch_template_id": t.launch_template_id(),
            "launch_template_name": t.launch_template_name(),
            "version": t.version(),
        })
    });
    json!({
        "auto_scaling_group_name": g.auto_scaling_group_name(),
        "min_size": g.min_size(),
        "max_size": g.max_size(),
        "desired_capacity": g.desired_capacity(),
        "launch_template": lt,
        "subnet_ids": g.vpc_zone_identifier().map(|z| z.split(',').filter(|s| !s.is_empty()).collect::<Vec<_>>()),
        "availability_zones": g.availability_zones(),
        "target_group_arns": g.target_group_arns(),
        "health_check_type": g.health_check_type(),
        "health_check_grace_period": g.health_check_grace_period(),
        "instances": g.instances().iter().map(|x| json!({
            "instance_id": x.instance_id(),
            "lifecycle_state": x.lifecycle_state().map(|s| s.as_str()),
            "health_status": x.health_status(),
            "availability_zone": x.availability_zone(),
        })).collect::<Vec<_>>(),
        "status": g.status(),
        "created_time": g.created_time().map(time),
        "tags": g.tags().iter().filter_map(|t| Some((t.key()?.to_string(), json!(t.value())))).collect::<serde_json::Map<_, _>>(),
    })
}

/// Tags of Auto Scaling groups by name, for the guardrails' environment lookup; groups that
/// cannot be read have none here (the call itself reports what is wrong).
pub async fn group_tags(
    client: &Client,
    names: &[String],
) -> std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>> {
    let mut out: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>> =
        Default::default();
    let filter = aws_sdk_autoscaling::types::Filter::builder()
        .name("auto-scaling-group")
        .set_values(Some(names.to_vec()))
        .build();
    match client.describe_tags().filters(filter).send().await {
        Ok(resp) => {
            for t in resp.tags() {
                if let (Some(group), Some(k)) = (t.resource_id(), t.key()) {
                    out.entry(group.to_string())
                        .or_default()
                        .insert(k.to_string(), t.value().unwrap_or_default().to_string());
                }
            }
        }
        Err(e) => tracing::debug!(error = %ToolError::from_sdk(e), "group tags unreadable"),
    }
    out
}
