//! `aws_ec2`: instances, key pairs, AMIs, launch templates and tags (EC2), Auto Scaling groups,
//! and load balancers (ELBv2). One file per resource area; each action is its input struct and
//! its `Action` impl, next to the AWS calls it makes.

pub mod elb;
pub mod images;
pub mod instances;
pub mod keys;
pub mod scaling;
pub mod tags;

use crate::registry::{ActionDef, Cx, Tool};

pub static TOOL: Tool = Tool {
    name: "aws_ec2",
    toolset: "ec2",
    about: "EC2 instances, key pairs, AMIs, launch templates, tags; Auto Scaling groups; \
            load balancers.",
    actions: &[
        ActionDef::of::<instances::ListInstances>(),
        ActionDef::of::<instances::DescribeInstance>(),
        ActionDef::of::<instances::CreateInstances>(),
        ActionDef::of::<instances::StartInstances>(),
        ActionDef::of::<instances::StopInstances>(),
        ActionDef::of::<instances::RebootInstances>(),
        ActionDef::of::<instances::TerminateInstances>(),
        ActionDef::of::<instances::ModifyInstanceAttribute>(),
        ActionDef::of::<instances::GetInstanceStatus>(),
        ActionDef::of::<instances::WaitForState>(),
        ActionDef::of::<keys::ListKeyPairs>(),
        ActionDef::of::<keys::CreateKeyPair>(),
        ActionDef::of::<keys::ImportKeyPair>(),
        ActionDef::of::<keys::DeleteKeyPair>(),
        ActionDef::of::<images::ListAmis>(),
        ActionDef::of::<images::CreateAmi>(),
        ActionDef::of::<images::DeregisterAmi>(),
        ActionDef::of::<images::CopyAmi>(),
        ActionDef::of::<images::ModifyAmiAttribute>(),
        ActionDef::of::<images::ListLaunchTemplates>(),
        ActionDef::of::<images::CreateLaunchTemplate>(),
        ActionDef::of::<images::DeleteLaunchTemplate>(),
        ActionDef::of::<images::GetLaunchTemplateVersions>(),
        ActionDef::of::<instances::EnableMonitoring>(),
        ActionDef::of::<instances::DisableMonitoring>(),
        ActionDef::of::<tags::AddTags>(),
        ActionDef::of::<tags::RemoveTags>(),
        ActionDef::of::<scaling::ListAsgs>(),
        ActionDef::of::<scaling::CreateAsg>(),
        ActionDef::of::<scaling::UpdateAsg>(),
        ActionDef::of::<scaling::DeleteAsg>(),
        ActionDef::of::<scaling::SetDesiredCapacity>(),
        ActionDef::of::<scaling::GetScalingActivities>(),
        ActionDef::of::<scaling::AttachTargetGroups>(),
        ActionDef::of::<scaling::DetachTargetGroups>(),
        ActionDef::of::<elb::ListLoadBalancers>(),
        ActionDef::of::<elb::CreateLoadBalancer>(),
        ActionDef::of::<elb::DeleteLoadBalancer>(),
        ActionDef::of::<elb::ListTargetGroups>(),
        ActionDef::of::<elb::CreateTargetGroup>(),
        ActionDef::of::<elb::DeleteTargetGroup>(),
        ActionDef::of::<elb::RegisterTargets>(),
        ActionDef::of::<elb::DeregisterTargets>(),
        ActionDef::of::<elb::GetTargetHealth>(),
        ActionDef::of::<elb::ListListeners>(),
        ActionDef::of::<elb::CreateListener>(),
        ActionDef::of::<elb::DeleteListener>(),
    ],
};

/// The EC2 client of one call, with its dry-run flag for `send!`.
pub struct Ec2 {
    pub client: aws_sdk_ec2::Client,
    pub dry_run: bool,
}

impl Ec2 {
    pub async fn of(cx: &Cx<'_>) -> Self {
        Self {
            client: cx.client().await,
            dry_run: cx.dry_run(),
        }
    }
}
