//! Auto Scaling groups. Auto Scaling has no dry-run mode: dry runs answer with the plan, and
//! `run` is never called for one.

use aws_sdk_autoscaling::{
    Client, Config,
    types::{AutoScalingGroup, LaunchTemplateSpecification, Tag},
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    aws::{
        outcome::{Check, OnceSent, outcome_unknown, unknown_outcome},
        paging::PageRequest,
        time,
    },
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Flag, Kind, Risk, Tags, Target},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthCheckType {
    #[serde(alias = "EC2")]
    Ec2,
    #[serde(alias = "ELB")]
    Elb,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListAsgs {
    pub auto_scaling_group_names: Option<Vec<String>>,
    /// Items per page (default 50, at most 1000)
    pub max_results: Option<u32>,
    /// next_token of the previous page
    pub next_token: Option<String>,
}

impl Action for ListAsgs {
    const NAME: &'static str = "list_asgs";
    const DESCRIPTION: &'static str = "Auto Scaling groups with sizes and instances";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        self.auto_scaling_group_names
            .iter()
            .flatten()
            .map(|n| asg(n))
            .collect()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        AutoScaling::of(cx).await.list_asgs(self).await
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAsg {
    pub auto_scaling_group_name: String,
    pub launch_template_id: Option<String>,
    pub launch_template_name: Option<String>,
    /// Number, $Latest or $Default (default)
    pub launch_template_version: Option<String>,
    pub min_size: i32,
    pub max_size: i32,
    /// Between min_size and max_size
    pub desired_capacity: Option<i32>,
    /// One per AZ
    pub subnet_ids: Vec<String>,
    pub target_group_arns: Option<Vec<String>>,
    /// Default ec2
    pub health_check_type: Option<HealthCheckType>,
    /// Seconds (default 0)
    pub health_check_grace_period: Option<i32>,
    /// Key to value
    pub tags: Option<Tags>,
}

impl Action for CreateAsg {
    const NAME: &'static str = "create_asg";
    const DESCRIPTION: &'static str =
        "Create a group from a launch template, optionally behind target groups";
    const ACCESS: Access = Access::Write;
    // New instances, and with target groups they start taking traffic.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        if self.launch_template_id.is_some() == self.launch_template_name.is_some() {
            return Err(ToolError::invalid(
                "create_asg needs exactly one of launch_template_id or launch_template_name",
            ));
        }
        if self.subnet_ids.is_empty() {
            return Err(ToolError::invalid(
                "create_asg needs subnet_ids (one subnet per AZ to spread over)",
            ));
        }
        sizes(
            Some(self.min_size),
            Some(self.max_size),
            self.desired_capacity,
        )
    }

    fn targets(&self) -> Vec<Target> {
        std::iter::once(Target::created(
            Kind::AutoScalingGroup,
            &self.auto_scaling_group_name,
        ))
        .chain(self.subnet_ids.iter().map(Target::ec2))
        .chain(self.target_group_arns.iter().flatten().map(|a| tg(a)))
        .collect()
    }

    fn flags(&self) -> Vec<Flag> {
        if self.target_group_arns.iter().flatten().next().is_some() {
            vec![Flag::high(
                "the group's instances start taking traffic from the target groups",
            )]
        } else {
            Vec::new()
        }
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        AutoScaling::of(cx).await.create_asg(self).await
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAsg {
    pub auto_scaling_group_name: String,
    pub launch_template_id: Option<String>,
    pub launch_template_name: Option<String>,
    /// Number, $Latest or $Default (default)
    pub launch_template_version: Option<String>,
    pub min_size: Option<i32>,
    pub max_size: Option<i32>,
    /// Between min_size and max_size
    pub desired_capacity: Option<i32>,
    /// One per AZ
    pub subnet_ids: Option<Vec<String>>,
    /// Default ec2
    pub health_check_type: Option<HealthCheckType>,
    /// Seconds (default 0)
    pub health_check_grace_period: Option<i32>,
}

impl Action for UpdateAsg {
    const NAME: &'static str = "update_asg";
    const DESCRIPTION: &'static str = "Change a group's sizes, template, subnets or health checks";
    const ACCESS: Access = Access::Write;
    // Sizes and templates decide what serves traffic; instances launch or terminate to match.
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        let fail = |m: &str| Err(ToolError::invalid(m));
        if self.launch_template_id.is_some() && self.launch_template_name.is_some() {
            return fail(
                "update_asg takes at most one of launch_template_id or launch_template_name",
            );
        }
        if self.launch_template_version.is_some()
            && self.launch_template_id.is_none()
            && self.launch_template_name.is_none()
        {
            return fail(
                "launch_template_version needs launch_template_id or launch_template_name",
            );
        }
        if self.launch_template_id.is_none()
            && self.launch_template_name.is_none()
            && self.min_size.is_none()
            && self.max_size.is_none()
            && self.desired_capacity.is_none()
            && self.subnet_ids.is_none()
            && self.health_check_type.is_none()
            && self.health_check_grace_period.is_none()
        {
            return fail(
                "update_asg needs something to change: min_size, max_size, desired_capacity, \
                 launch_template_id/name, subnet_ids, health_check_type or \
                 health_check_grace_period",
            );
        }
        sizes(self.min_size, self.max_size, self.desired_capacity)
    }

    fn targets(&self) -> Vec<Target> {
        std::iter::once(asg(&self.auto_scaling_group_name))
            .chain(self.subnet_ids.iter().flatten().map(Target::ec2))
            .collect()
    }

    fn flags(&self) -> Vec<Flag> {
        to_zero(
            &self.auto_scaling_group_name,
            self.desired_capacity.or(self.max_size),
        )
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        AutoScaling::of(cx).await.update_asg(self).await
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteAsg {
    pub auto_scaling_group_name: String,
    /// Terminate its instances too
    pub force_delete: Option<bool>,
}

impl Action for DeleteAsg {
    const NAME: &'static str = "delete_asg";
    const DESCRIPTION: &'static str = "Delete a group (force_delete terminates its instances)";
    const ACCESS: Access = Access::Destructive;
    const RISK: Risk = Risk::Critical;

    fn targets(&self) -> Vec<Target> {
        vec![asg(&self.auto_scaling_group_name)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        AutoScaling::of(cx).await.delete_asg(self).await
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetDesiredCapacity {
    pub auto_scaling_group_name: String,
    /// Between min_size and max_size
    pub desired_capacity: i32,
    pub honor_cooldown: Option<bool>,
}

impl Action for SetDesiredCapacity {
    const NAME: &'static str = "set_desired_capacity";
    const DESCRIPTION: &'static str = "Scale a group to N instances now";
    const ACCESS: Access = Access::Write;
    // Scaling in terminates instances that may be serving.
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        if self.desired_capacity < 0 {
            return Err(ToolError::invalid("desired_capacity must be 0 or more"));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![asg(&self.auto_scaling_group_name)]
    }

    fn flags(&self) -> Vec<Flag> {
        to_zero(&self.auto_scaling_group_name, Some(self.desired_capacity))
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        AutoScaling::of(cx).await.set_desired_capacity(self).await
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetScalingActivities {
    pub auto_scaling_group_name: String,
    /// Items per page (default 50, at most 1000)
    pub max_results: Option<u32>,
    /// next_token of the previous page
    pub next_token: Option<String>,
}

impl Action for GetScalingActivities {
    const NAME: &'static str = "get_scaling_activities";
    const DESCRIPTION: &'static str = "A group's recent launches and terminations";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        vec![asg(&self.auto_scaling_group_name)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        AutoScaling::of(cx).await.get_scaling_activities(self).await
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachTargetGroups {
    pub auto_scaling_group_name: String,
    pub target_group_arns: Vec<String>,
}

impl Action for AttachTargetGroups {
    const NAME: &'static str = "attach_target_groups";
    const DESCRIPTION: &'static str = "Register a group's instances with target groups";
    const ACCESS: Access = Access::Write;
    // The group's instances start taking the target groups' traffic.
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        some_target_groups(&self.target_group_arns)
    }

    fn targets(&self) -> Vec<Target> {
        std::iter::once(asg(&self.auto_scaling_group_name))
            .chain(self.target_group_arns.iter().map(|a| tg(a)))
            .collect()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        AutoScaling::of(cx)
            .await
            .target_groups(&self.auto_scaling_group_name, self.target_group_arns, true)
            .await
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DetachTargetGroups {
    pub auto_scaling_group_name: String,
    pub target_group_arns: Vec<String>,
}

impl Action for DetachTargetGroups {
    const NAME: &'static str = "detach_target_groups";
    const DESCRIPTION: &'static str = "Stop registering a group's instances with target groups";
    const ACCESS: Access = Access::Write;
    // Takes the group's instances out of the target groups' traffic.
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        some_target_groups(&self.target_group_arns)
    }

    fn targets(&self) -> Vec<Target> {
        std::iter::once(asg(&self.auto_scaling_group_name))
            .chain(self.target_group_arns.iter().map(|a| tg(a)))
            .collect()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        AutoScaling::of(cx)
            .await
            .target_groups(&self.auto_scaling_group_name, self.target_group_arns, false)
            .await
    }
}

/// The Auto Scaling client of one call.
pub struct AutoScaling {
    pub client: Client,
}

impl AutoScaling {
    async fn of(cx: &Cx<'_>) -> Self {
        Self {
            client: cx.client().await,
        }
    }

    pub async fn list_asgs(&self, i: ListAsgs) -> Result<Output, ToolError> {
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

    pub async fn create_asg(&self, i: CreateAsg) -> Result<Output, ToolError> {
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
            // CreateAutoScalingGroup takes no idempotency token: sent once.
            .customize()
            .config_override(Config::builder().retry_classifier(OnceSent))
            .send()
            .await
            .map_err(|e| {
                if !outcome_unknown(&e) {
                    return ToolError::from_sdk(e);
                }
                let check = Check {
                    tool: "aws_ec2",
                    action: "list_asgs",
                    arguments: json!({"auto_scaling_group_names": [name]}),
                    look_for: format!("the group {name}"),
                };
                unknown_outcome(
                    "CreateAutoScalingGroup",
                    "the group",
                    ToolError::from_sdk(e),
                    check,
                )
            })?;
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

    pub async fn update_asg(&self, i: UpdateAsg) -> Result<Output, ToolError> {
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
    pub async fn delete_asg(&self, i: DeleteAsg) -> Result<Output, ToolError> {
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

    pub async fn set_desired_capacity(&self, i: SetDesiredCapacity) -> Result<Output, ToolError> {
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
        i: GetScalingActivities,
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
        name: &str,
        arns: Vec<String>,
        attach: bool,
    ) -> Result<Output, ToolError> {
        if attach {
            self.client
                .attach_load_balancer_target_groups()
                .auto_scaling_group_name(name)
                .set_target_group_arns(Some(arns.clone()))
                .send()
                .await
                .map_err(ToolError::from_sdk)?;
        } else {
            self.client
                .detach_load_balancer_target_groups()
                .auto_scaling_group_name(name)
                .set_target_group_arns(Some(arns.clone()))
                .send()
                .await
                .map_err(ToolError::from_sdk)?;
        }
        let verb = if attach { "Attached" } else { "Detached" };
        let prep = if attach { "to" } else { "from" };
        Ok(Output::new(
            format!("{verb} {} target group(s) {prep} {name}.", arns.len()),
            json!({"auto_scaling_group_name": name, if attach { "attached" } else { "detached" }: arns}),
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

fn asg(name: &str) -> Target {
    Target::new(Kind::AutoScalingGroup, name)
}

fn tg(arn: &str) -> Target {
    Target::new(Kind::TargetGroup, arn)
}

fn some_target_groups(arns: &[String]) -> Result<(), ToolError> {
    if arns.is_empty() {
        return Err(ToolError::invalid(
            "target_group_arns must name at least one target group",
        ));
    }
    Ok(())
}

/// A flag for a size that leaves the group with no instances.
fn to_zero(name: &str, size: Option<i32>) -> Vec<Flag> {
    if size == Some(0) {
        vec![Flag::critical(format!(
            "scales {name} to zero: every instance in it terminates"
        ))]
    } else {
        Vec::new()
    }
}

/// min_size <= desired_capacity <= max_size, for the sizes given.
fn sizes(min: Option<i32>, max: Option<i32>, desired: Option<i32>) -> Result<(), ToolError> {
    let fail = |m: String| Err(ToolError::invalid(m));
    if [min, max, desired].iter().flatten().any(|n| *n < 0) {
        return fail("min_size, max_size and desired_capacity must be 0 or more".into());
    }
    if let (Some(lo), Some(hi)) = (min, max)
        && lo > hi
    {
        return fail(format!("min_size {lo} is above max_size {hi}"));
    }
    if let Some(d) = desired
        && (min.is_some_and(|lo| d < lo) || max.is_some_and(|hi| d > hi))
    {
        return fail(format!(
            "desired_capacity {d} must lie between min_size and max_size"
        ));
    }
    Ok(())
}
