//! `aws_ec2`: instances, key pairs, AMIs, launch templates, monitoring and tags (EC2), Auto
//! Scaling groups, and load balancers (ELBv2). The input structs are in `inputs.rs` (EC2) and
//! `scaling.rs` (Auto Scaling and ELBv2).

mod inputs;
mod scaling;

use serde_json::{Map, Value};

pub use self::{inputs::*, scaling::*};
use crate::{
    actions,
    error::ToolError,
    output::Output,
    registry::{Access, BoxFuture, ExecCtx, Prepared, Target, ToolDef},
    services::{
        autoscaling::AutoScaling,
        ec2::{self as svc, MAX_LAUNCH},
        elbv2::LoadBalancing,
    },
};

pub static TOOL: ToolDef = ToolDef {
    name: "aws_ec2",
    toolset: "ec2",
    description: "Amazon EC2. Instances: list_instances, describe_instance, create_instances, \
start_instances, stop_instances, reboot_instances, terminate_instances, modify_instance_attribute, \
get_instance_status, wait_for_state. Key pairs: list_key_pairs, create_key_pair, import_key_pair, \
delete_key_pair. AMIs: list_amis, create_ami, deregister_ami, copy_ami, modify_ami_attribute. \
Launch templates: list_launch_templates, create_launch_template, delete_launch_template, \
get_launch_template_versions. Monitoring: enable_monitoring, disable_monitoring. Tags: add_tags, \
remove_tags. Auto Scaling: list_asgs, create_asg, update_asg, delete_asg, set_desired_capacity, \
get_scaling_activities, attach_target_groups, detach_target_groups. Load balancers (ALB/NLB): \
list_load_balancers, create_load_balancer, delete_load_balancer, list_target_groups, \
create_target_group, delete_target_group, register_targets, deregister_targets, \
get_target_health, list_listeners, create_listener, delete_listener. Destructive actions return \
a plan and a confirm_token first; dry_run asks AWS to validate an EC2 change without making it \
(Auto Scaling and load balancer dry runs return the plan only: those APIs have no dry run).",
    actions: Ec2Action::specs,
    prepare,
};

actions! {
    Ec2Action, Ec2Request;
    ListInstances("list_instances", ListInstancesInput):
        "List instances, filtered by ids, state, tags or VPC";
    DescribeInstance("describe_instance", InstanceIdInput):
        "Show one instance in detail, with its volumes, network and protection settings";
    CreateInstances("create_instances", CreateInstancesInput):
        "Launch instances from an AMI";
    StartInstances("start_instances", InstanceIdsInput): "Start stopped instances";
    StopInstances("stop_instances", StopInstancesInput): "Stop running instances";
    RebootInstances("reboot_instances", InstanceIdsInput): "Reboot running instances";
    TerminateInstances("terminate_instances", InstanceIdsInput):
        "Terminate instances; their instance-store data and delete-on-termination volumes are lost";
    ModifyInstanceAttribute("modify_instance_attribute", ModifyInstanceAttributeInput):
        "Change an instance's type, termination/stop protection, shutdown behaviour or other attributes";
    GetInstanceStatus("get_instance_status", InstanceStatusInput):
        "Instance and system status checks and scheduled events";
    WaitForState("wait_for_state", WaitForStateInput):
        "Wait (bounded) until instances reach a state";
    ListKeyPairs("list_key_pairs", ListKeyPairsInput): "List key pairs";
    CreateKeyPair("create_key_pair", CreateKeyPairInput):
        "Create a key pair; the private key is returned once and never stored or logged";
    ImportKeyPair("import_key_pair", ImportKeyPairInput): "Import an existing public key";
    DeleteKeyPair("delete_key_pair", KeyPairInput): "Delete a key pair";
    ListAmis("list_amis", ListAmisInput): "List AMIs (your own by default)";
    CreateAmi("create_ami", CreateAmiInput): "Create an AMI from an instance";
    DeregisterAmi("deregister_ami", DeregisterAmiInput):
        "Deregister an AMI (its snapshots are kept unless delete_snapshots)";
    CopyAmi("copy_ami", CopyAmiInput): "Copy an AMI from another region into this one";
    ModifyAmiAttribute("modify_ami_attribute", ModifyAmiAttributeInput):
        "Change an AMI's description or launch permissions";
    ListLaunchTemplates("list_launch_templates", ListLaunchTemplatesInput):
        "List launch templates";
    CreateLaunchTemplate("create_launch_template", CreateLaunchTemplateInput):
        "Create a launch template";
    DeleteLaunchTemplate("delete_launch_template", LaunchTemplateInput):
        "Delete a launch template and all its versions";
    GetLaunchTemplateVersions("get_launch_template_versions", LaunchTemplateVersionsInput):
        "Show a launch template's versions and their settings";
    EnableMonitoring("enable_monitoring", InstanceIdsInput):
        "Turn on detailed (1-minute) CloudWatch monitoring";
    DisableMonitoring("disable_monitoring", InstanceIdsInput):
        "Turn off detailed monitoring (back to 5-minute)";
    AddTags("add_tags", AddTagsInput): "Add or overwrite tags on EC2 resources";
    RemoveTags("remove_tags", RemoveTagsInput): "Remove tags from EC2 resources";
    ListAsgs("list_asgs", ListAsgsInput):
        "List Auto Scaling groups with their sizes, instances and target groups";
    CreateAsg("create_asg", CreateAsgInput):
        "Create an Auto Scaling group from a launch template across subnets, optionally behind target groups";
    UpdateAsg("update_asg", UpdateAsgInput):
        "Change an Auto Scaling group's sizes, launch template, subnets or health checks";
    DeleteAsg("delete_asg", DeleteAsgInput):
        "Delete an Auto Scaling group (force_delete terminates its instances too)";
    SetDesiredCapacity("set_desired_capacity", SetDesiredCapacityInput):
        "Scale an Auto Scaling group to a number of instances now";
    GetScalingActivities("get_scaling_activities", ScalingActivitiesInput):
        "Recent launches and terminations of an Auto Scaling group, with their causes";
    AttachTargetGroups("attach_target_groups", AsgTargetGroupsInput):
        "Register an Auto Scaling group's instances with target groups";
    DetachTargetGroups("detach_target_groups", AsgTargetGroupsInput):
        "Stop registering an Auto Scaling group's instances with target groups";
    ListLoadBalancers("list_load_balancers", ListLoadBalancersInput):
        "List application and network load balancers";
    CreateLoadBalancer("create_load_balancer", CreateLoadBalancerInput):
        "Create an application or network load balancer in subnets";
    DeleteLoadBalancer("delete_load_balancer", LoadBalancerArnInput):
        "Delete a load balancer and its listeners";
    ListTargetGroups("list_target_groups", ListTargetGroupsInput): "List target groups";
    CreateTargetGroup("create_target_group", CreateTargetGroupInput):
        "Create a target group with a health check";
    DeleteTargetGroup("delete_target_group", TargetGroupArnInput): "Delete a target group";
    RegisterTargets("register_targets", TargetsInput): "Register targets with a target group";
    DeregisterTargets("deregister_targets", TargetsInput):
        "Deregister targets from a target group (connections drain first)";
    GetTargetHealth("get_target_health", TargetHealthInput):
        "Health of a target group's targets, with reasons for unhealthy ones";
    ListListeners("list_listeners", ListListenersInput): "List a load balancer's listeners";
    CreateListener("create_listener", CreateListenerInput):
        "Create a listener forwarding to a target group (HTTPS/TLS with a certificate ARN)";
    DeleteListener("delete_listener", ListenerArnInput): "Delete a listener";
}

/// The AWS service an action calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    Ec2,
    AutoScaling,
    LoadBalancing,
}

impl Ec2Action {
    pub fn access(self) -> Access {
        use Ec2Action::*;
        match self {
            ListInstances
            | DescribeInstance
            | GetInstanceStatus
            | WaitForState
            | ListKeyPairs
            | ListAmis
            | ListLaunchTemplates
            | GetLaunchTemplateVersions
            | ListAsgs
            | GetScalingActivities
            | ListLoadBalancers
            | ListTargetGroups
            | GetTargetHealth
            | ListListeners => Access::Read,
            CreateInstances
            | StartInstances
            | StopInstances
            | RebootInstances
            | ModifyInstanceAttribute
            | CreateKeyPair
            | ImportKeyPair
            | CreateAmi
            | CopyAmi
            | ModifyAmiAttribute
            | CreateLaunchTemplate
            | EnableMonitoring
            | DisableMonitoring
            | AddTags
            | RemoveTags
            | CreateAsg
            | UpdateAsg
            | SetDesiredCapacity
            | AttachTargetGroups
            | DetachTargetGroups
            | CreateLoadBalancer
            | CreateTargetGroup
            | RegisterTargets
            | DeregisterTargets
            | CreateListener => Access::Write,
            TerminateInstances | DeleteKeyPair | DeregisterAmi | DeleteLaunchTemplate
            | DeleteAsg | DeleteLoadBalancer | DeleteTargetGroup | DeleteListener => {
                Access::Destructive
            }
        }
    }

    pub fn service(self) -> Service {
        use Ec2Action::*;
        match self {
            ListInstances
            | DescribeInstance
            | CreateInstances
            | StartInstances
            | StopInstances
            | RebootInstances
            | TerminateInstances
            | ModifyInstanceAttribute
            | GetInstanceStatus
            | WaitForState
            | ListKeyPairs
            | CreateKeyPair
            | ImportKeyPair
            | DeleteKeyPair
            | ListAmis
            | CreateAmi
            | DeregisterAmi
            | CopyAmi
            | ModifyAmiAttribute
            | ListLaunchTemplates
            | CreateLaunchTemplate
            | DeleteLaunchTemplate
            | GetLaunchTemplateVersions
            | EnableMonitoring
            | DisableMonitoring
            | AddTags
            | RemoveTags => Service::Ec2,
            ListAsgs | CreateAsg | UpdateAsg | DeleteAsg | SetDesiredCapacity
            | GetScalingActivities | AttachTargetGroups | DetachTargetGroups => {
                Service::AutoScaling
            }
            ListLoadBalancers | CreateLoadBalancer | DeleteLoadBalancer | ListTargetGroups
            | CreateTargetGroup | DeleteTargetGroup | RegisterTargets | DeregisterTargets
            | GetTargetHealth | ListListeners | CreateListener | DeleteListener => {
                Service::LoadBalancing
            }
        }
    }
}

fn prepare(action: &str, args: Map<String, Value>) -> Result<Box<dyn Prepared>, ToolError> {
    let action = Ec2Action::from_name(action)
        .ok_or_else(|| ToolError::invalid(format!("unknown action '{action}' for aws_ec2")))?;
    let request = Ec2Request::parse(action, args)?;
    request.validate()?;
    Ok(Box::new(request))
}

impl Ec2Request {
    /// Rules across fields that serde cannot express, checked before the guardrails so that a
    /// call that cannot run never gets a confirmation token.
    fn validate(&self) -> Result<(), ToolError> {
        use Ec2Request::*;
        let fail = |msg: &str| Err(ToolError::invalid(msg));
        match self {
            CreateInstances(i) if !(1..=MAX_LAUNCH).contains(&i.count.unwrap_or(1)) => {
                fail(&format!(
                    "count must be between 1 and {MAX_LAUNCH}; launch larger fleets with an Auto \
                 Scaling group"
                ))
            }
            StartInstances(InstanceIdsInput { instance_ids })
            | RebootInstances(InstanceIdsInput { instance_ids })
            | TerminateInstances(InstanceIdsInput { instance_ids })
            | EnableMonitoring(InstanceIdsInput { instance_ids })
            | DisableMonitoring(InstanceIdsInput { instance_ids })
            | StopInstances(StopInstancesInput { instance_ids, .. })
            | WaitForState(WaitForStateInput { instance_ids, .. })
                if instance_ids.is_empty() =>
            {
                fail("instance_ids must name at least one instance")
            }
            ModifyInstanceAttribute(i)
                if i.instance_type.is_none()
                    && i.disable_api_termination.is_none()
                    && i.disable_api_stop.is_none()
                    && i.instance_initiated_shutdown_behavior.is_none()
                    && i.source_dest_check.is_none()
                    && i.ebs_optimized.is_none()
                    && i.user_data.is_none() =>
            {
                fail(
                    "modify_instance_attribute needs at least one attribute: instance_type, \
                     disable_api_termination, disable_api_stop, \
                     instance_initiated_shutdown_behavior, source_dest_check, ebs_optimized or \
                     user_data",
                )
            }
            DeleteKeyPair(i) if i.key_name.is_some() == i.key_pair_id.is_some() => {
                fail("delete_key_pair needs exactly one of key_name or key_pair_id")
            }
            ModifyAmiAttribute(i)
                if i.description.is_none()
                    && i.launch_permission_add.is_none()
                    && i.launch_permission_remove.is_none() =>
            {
                fail(
                    "modify_ami_attribute needs description, launch_permission_add or launch_permission_remove",
                )
            }
            DeleteLaunchTemplate(LaunchTemplateInput {
                launch_template_id,
                launch_template_name,
            })
            | GetLaunchTemplateVersions(LaunchTemplateVersionsInput {
                launch_template_id,
                launch_template_name,
                ..
            }) if launch_template_id.is_some() == launch_template_name.is_some() => fail(&format!(
                "{} needs exactly one of launch_template_id or launch_template_name",
                self.action().name()
            )),
            AddTags(i) if i.resource_ids.is_empty() || i.tags.is_empty() => {
                fail("add_tags needs resource_ids and at least one tag")
            }
            RemoveTags(i) if i.resource_ids.is_empty() || i.tag_keys.is_empty() => {
                fail("remove_tags needs resource_ids and at least one tag key")
            }
            CreateAsg(i) => {
                if i.launch_template_id.is_some() == i.launch_template_name.is_some() {
                    return fail(
                        "create_asg needs exactly one of launch_template_id or launch_template_name",
                    );
                }
                if i.subnet_ids.is_empty() {
                    return fail("create_asg needs subnet_ids (one subnet per AZ to spread over)");
                }
                sizes(Some(i.min_size), Some(i.max_size), i.desired_capacity)
            }
            UpdateAsg(i) => {
                if i.launch_template_id.is_some() && i.launch_template_name.is_some() {
                    return fail(
                        "update_asg takes at most one of launch_template_id or launch_template_name",
                    );
                }
                if i.launch_template_version.is_some()
                    && i.launch_template_id.is_none()
                    && i.launch_template_name.is_none()
                {
                    return fail(
                        "launch_template_version needs launch_template_id or launch_template_name",
                    );
                }
                if i.launch_template_id.is_none()
                    && i.launch_template_name.is_none()
                    && i.min_size.is_none()
                    && i.max_size.is_none()
                    && i.desired_capacity.is_none()
                    && i.subnet_ids.is_none()
                    && i.health_check_type.is_none()
                    && i.health_check_grace_period.is_none()
                {
                    return fail(
                        "update_asg needs something to change: min_size, max_size, \
                         desired_capacity, launch_template_id/name, subnet_ids, \
                         health_check_type or health_check_grace_period",
                    );
                }
                sizes(i.min_size, i.max_size, i.desired_capacity)
            }
            SetDesiredCapacity(i) if i.desired_capacity < 0 => {
                fail("desired_capacity must be 0 or more")
            }
            AttachTargetGroups(i) | DetachTargetGroups(i) if i.target_group_arns.is_empty() => {
                fail("target_group_arns must name at least one target group")
            }
            CreateLoadBalancer(i)
                if i.load_balancer_type != Some(LoadBalancerType::Network)
                    && i.subnet_ids.len() < 2 =>
            {
                fail(
                    "an application load balancer needs subnet_ids in at least two availability \
                     zones",
                )
            }
            CreateLoadBalancer(i) if i.subnet_ids.is_empty() => {
                fail("create_load_balancer needs subnet_ids")
            }
            RegisterTargets(i) | DeregisterTargets(i) if i.target_ids.is_empty() => {
                fail("target_ids must name at least one target")
            }
            CreateListener(i) if i.protocol.needs_certificate() && i.certificate_arn.is_none() => {
                fail(&format!(
                    "a {} listener needs certificate_arn (an ACM certificate in this region)",
                    i.protocol.as_str()
                ))
            }
            CreateListener(i)
                if !i.protocol.needs_certificate()
                    && (i.certificate_arn.is_some() || i.ssl_policy.is_some()) =>
            {
                fail(&format!(
                    "certificate_arn and ssl_policy apply to HTTPS and TLS listeners, not {}",
                    i.protocol.as_str()
                ))
            }
            ListListeners(i) if i.load_balancer_arn.is_some() == i.listener_arns.is_some() => {
                fail("list_listeners needs exactly one of load_balancer_arn or listener_arns")
            }
            _ => Ok(()),
        }
    }
}

impl Prepared for Ec2Request {
    fn targets(&self) -> Vec<Target> {
        use Ec2Request::*;
        let instances = |ids: &[String]| -> Vec<Target> {
            ids.iter()
                .map(|id| Target::new("ec2", "instance", id))
                .collect()
        };
        let instance = |id: &str| vec![Target::new("ec2", "instance", id)];
        let image = |id: &str| vec![Target::new("ec2", "image", id)];
        let template = |id: &Option<String>, name: &Option<String>| {
            id.iter()
                .chain(name)
                .map(|x| Target::new("ec2", "launch-template", x))
                .collect()
        };
        match self {
            ListInstances(i) => i.instance_ids.as_deref().map(instances).unwrap_or_default(),
            GetInstanceStatus(i) => i.instance_ids.as_deref().map(instances).unwrap_or_default(),
            DescribeInstance(InstanceIdInput { instance_id })
            | ModifyInstanceAttribute(ModifyInstanceAttributeInput { instance_id, .. })
            | CreateAmi(CreateAmiInput { instance_id, .. }) => instance(instance_id),
            StartInstances(InstanceIdsInput { instance_ids })
            | RebootInstances(InstanceIdsInput { instance_ids })
            | TerminateInstances(InstanceIdsInput { instance_ids })
            | EnableMonitoring(InstanceIdsInput { instance_ids })
            | DisableMonitoring(InstanceIdsInput { instance_ids })
            | StopInstances(StopInstancesInput { instance_ids, .. })
            | WaitForState(WaitForStateInput { instance_ids, .. }) => instances(instance_ids),
            CreateInstances(_) | ListKeyPairs(_) | ListAmis(_) | ListLaunchTemplates(_) => vec![],
            CreateKeyPair(CreateKeyPairInput { key_name, .. })
            | ImportKeyPair(ImportKeyPairInput { key_name, .. }) => {
                vec![Target::new("ec2", "key-pair", key_name)]
            }
            DeleteKeyPair(i) => i
                .key_name
                .iter()
                .chain(&i.key_pair_id)
                .map(|k| Target::new("ec2", "key-pair", k))
                .collect(),
            DeregisterAmi(DeregisterAmiInput { image_id, .. })
            | ModifyAmiAttribute(ModifyAmiAttributeInput { image_id, .. }) => image(image_id),
            CopyAmi(i) => image(&i.source_image_id),
            CreateLaunchTemplate(i) => {
                vec![Target::new(
                    "ec2",
                    "launch-template",
                    &i.launch_template_name,
                )]
            }
            DeleteLaunchTemplate(i) => template(&i.launch_template_id, &i.launch_template_name),
            GetLaunchTemplateVersions(i) => {
                template(&i.launch_template_id, &i.launch_template_name)
            }
            AddTags(AddTagsInput { resource_ids, .. })
            | RemoveTags(RemoveTagsInput { resource_ids, .. }) => resource_ids
                .iter()
                .map(|id| Target::new("ec2", ec2_kind(id), id))
                .collect(),
            ListAsgs(i) => i
                .auto_scaling_group_names
                .iter()
                .flatten()
                .map(|n| asg(n))
                .collect(),
            CreateAsg(CreateAsgInput {
                auto_scaling_group_name,
                ..
            })
            | UpdateAsg(UpdateAsgInput {
                auto_scaling_group_name,
                ..
            })
            | DeleteAsg(DeleteAsgInput {
                auto_scaling_group_name,
                ..
            })
            | SetDesiredCapacity(SetDesiredCapacityInput {
                auto_scaling_group_name,
                ..
            })
            | GetScalingActivities(ScalingActivitiesInput {
                auto_scaling_group_name,
                ..
            }) => vec![asg(auto_scaling_group_name)],
            AttachTargetGroups(i) | DetachTargetGroups(i) => {
                let mut t = vec![asg(&i.auto_scaling_group_name)];
                t.extend(i.target_group_arns.iter().map(|a| elb("targetgroup", a)));
                t
            }
            ListLoadBalancers(i) => i
                .load_balancer_arns
                .iter()
                .flatten()
                .chain(i.names.iter().flatten())
                .map(|a| elb("loadbalancer", a))
                .collect(),
            CreateLoadBalancer(i) => vec![elb("loadbalancer", &i.name)],
            DeleteLoadBalancer(LoadBalancerArnInput { load_balancer_arn }) => {
                vec![elb("loadbalancer", load_balancer_arn)]
            }
            ListTargetGroups(i) => i
                .target_group_arns
                .iter()
                .flatten()
                .chain(i.names.iter().flatten())
                .map(|a| elb("targetgroup", a))
                .collect(),
            CreateTargetGroup(i) => vec![elb("targetgroup", &i.name)],
            DeleteTargetGroup(TargetGroupArnInput { target_group_arn })
            | GetTargetHealth(TargetHealthInput {
                target_group_arn, ..
            }) => vec![elb("targetgroup", target_group_arn)],
            RegisterTargets(i) | DeregisterTargets(i) => {
                let mut t = vec![elb("targetgroup", &i.target_group_arn)];
                t.extend(
                    i.target_ids
                        .iter()
                        .filter(|id| id.starts_with("i-"))
                        .map(|id| Target::new("ec2", "instance", id)),
                );
                t
            }
            ListListeners(i) => i
                .load_balancer_arn
                .iter()
                .map(|a| elb("loadbalancer", a))
                .chain(i.listener_arns.iter().flatten().map(|a| elb("listener", a)))
                .collect(),
            CreateListener(i) => vec![
                elb("loadbalancer", &i.load_balancer_arn),
                elb("targetgroup", &i.target_group_arn),
            ],
            DeleteListener(ListenerArnInput { listener_arn }) => {
                vec![elb("listener", listener_arn)]
            }
        }
    }

    /// Mutating EC2 calls carry EC2's own `DryRun` flag; Auto Scaling and ELBv2 have none.
    fn native_dry_run(&self) -> bool {
        match self.action().service() {
            Service::Ec2 => true,
            Service::AutoScaling | Service::LoadBalancing => false,
        }
    }

    fn risk_flags(&self) -> Vec<String> {
        match self {
            Ec2Request::ModifyAmiAttribute(i)
                if i.launch_permission_add.iter().flatten().any(|a| a == "all") =>
            {
                vec![format!(
                    "makes AMI {} public: anyone can launch it",
                    i.image_id
                )]
            }
            _ => Vec::new(),
        }
    }

    fn execute<'a>(
        self: Box<Self>,
        ctx: &'a ExecCtx<'a>,
    ) -> BoxFuture<'a, Result<Output, ToolError>> {
        Box::pin(async move {
            let client = ctx.aws.ec2(ctx.region.as_deref()).await;
            let c = svc::Ec2 {
                client: &client,
                dry_run: ctx.dry_run,
            };
            use Ec2Request::*;
            match *self {
                ListInstances(i) => c.list_instances(i).await,
                DescribeInstance(i) => c.describe_instance(&i.instance_id).await,
                CreateInstances(i) => c.create_instances(i).await,
                StartInstances(i) => c.start_instances(i.instance_ids).await,
                StopInstances(i) => {
                    c.stop_instances(i.instance_ids, i.force.unwrap_or(false))
                        .await
                }
                RebootInstances(i) => c.reboot_instances(i.instance_ids).await,
                TerminateInstances(i) => c.terminate_instances(i.instance_ids).await,
                ModifyInstanceAttribute(i) => c.modify_instance_attribute(i).await,
                GetInstanceStatus(i) => c.get_instance_status(i).await,
                WaitForState(i) => c.wait_for_state(i).await,
                ListKeyPairs(i) => c.list_key_pairs(i).await,
                CreateKeyPair(i) => c.create_key_pair(i).await,
                ImportKeyPair(i) => c.import_key_pair(i).await,
                DeleteKeyPair(i) => c.delete_key_pair(i).await,
                ListAmis(i) => c.list_amis(i).await,
                CreateAmi(i) => c.create_ami(i).await,
                DeregisterAmi(i) => c.deregister_ami(i).await,
                CopyAmi(i) => c.copy_ami(i).await,
                ModifyAmiAttribute(i) => c.modify_ami_attribute(i).await,
                ListLaunchTemplates(i) => c.list_launch_templates(i).await,
                CreateLaunchTemplate(i) => c.create_launch_template(i).await,
                DeleteLaunchTemplate(i) => c.delete_launch_template(i).await,
                GetLaunchTemplateVersions(i) => c.get_launch_template_versions(i).await,
                EnableMonitoring(i) => c.set_monitoring(i.instance_ids, true).await,
                DisableMonitoring(i) => c.set_monitoring(i.instance_ids, false).await,
                AddTags(i) => c.add_tags(i.resource_ids, i.tags).await,
                RemoveTags(i) => c.remove_tags(i.resource_ids, i.tag_keys).await,
                ListAsgs(i) => asgs(ctx).await.list_asgs(i).await,
                CreateAsg(i) => asgs(ctx).await.create_asg(i).await,
                UpdateAsg(i) => asgs(ctx).await.update_asg(i).await,
                DeleteAsg(i) => asgs(ctx).await.delete_asg(i).await,
                SetDesiredCapacity(i) => asgs(ctx).await.set_desired_capacity(i).await,
                GetScalingActivities(i) => asgs(ctx).await.get_scaling_activities(i).await,
                AttachTargetGroups(i) => asgs(ctx).await.target_groups(i, true).await,
                DetachTargetGroups(i) => asgs(ctx).await.target_groups(i, false).await,
                ListLoadBalancers(i) => elbs(ctx).await.list_load_balancers(i).await,
                CreateLoadBalancer(i) => elbs(ctx).await.create_load_balancer(i).await,
                DeleteLoadBalancer(i) => {
                    elbs(ctx)
                        .await
                        .delete_load_balancer(&i.load_balancer_arn)
                        .await
                }
                ListTargetGroups(i) => elbs(ctx).await.list_target_groups(i).await,
                CreateTargetGroup(i) => elbs(ctx).await.create_target_group(i).await,
                DeleteTargetGroup(i) => {
                    elbs(ctx)
                        .await
                        .delete_target_group(&i.target_group_arn)
                        .await
                }
                RegisterTargets(i) => elbs(ctx).await.targets(i, true).await,
                DeregisterTargets(i) => elbs(ctx).await.targets(i, false).await,
                GetTargetHealth(i) => elbs(ctx).await.get_target_health(i).await,
                ListListeners(i) => elbs(ctx).await.list_listeners(i).await,
                CreateListener(i) => elbs(ctx).await.create_listener(i).await,
                DeleteListener(i) => elbs(ctx).await.delete_listener(&i.listener_arn).await,
            }
        })
    }
}

async fn asgs(ctx: &ExecCtx<'_>) -> AutoScaling {
    AutoScaling {
        client: ctx.aws.autoscaling(ctx.region.as_deref()).await,
    }
}

async fn elbs(ctx: &ExecCtx<'_>) -> LoadBalancing {
    LoadBalancing {
        client: ctx.aws.elbv2(ctx.region.as_deref()).await,
    }
}

fn asg(name: &str) -> Target {
    Target::new("autoscaling", "autoScalingGroup", name)
}

fn elb(kind: &'static str, id: &str) -> Target {
    Target::new("elasticloadbalancing", kind, id)
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

/// The EC2 resource type of an id, from its prefix ("i-" instance, "ami-" image, ...).
pub fn ec2_kind(id: &str) -> &'static str {
    let prefix = id.split('-').next().unwrap_or("");
    match prefix {
        "i" => "instance",
        "ami" => "image",
        "vol" => "volume",
        "snap" => "snapshot",
        "sg" => "security-group",
        "vpc" => "vpc",
        "subnet" => "subnet",
        "rtb" => "route-table",
        "igw" => "internet-gateway",
        "nat" => "natgateway",
        "eni" => "network-interface",
        "eipalloc" => "elastic-ip",
        "acl" => "network-acl",
        "vpce" => "vpc-endpoint",
        "lt" => "launch-template",
        "key" => "key-pair",
        _ => "resource",
    }
}
