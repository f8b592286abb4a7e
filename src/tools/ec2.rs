//! `aws_ec2`: instances, key pairs, AMIs, launch templates, monitoring and tags.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::{
    actions,
    error::ToolError,
    output::Output,
    registry::{Access, BoxFuture, ExecCtx, Prepared, Target, ToolDef},
    services::ec2::{self as svc, MAX_LAUNCH},
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
remove_tags. Destructive actions return a plan and a confirm_token first; dry_run asks AWS to \
validate a change without making it.",
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
            | GetLaunchTemplateVersions => Access::Read,
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
            | RemoveTags => Access::Write,
            TerminateInstances | DeleteKeyPair | DeregisterAmi | DeleteLaunchTemplate => {
                Access::Destructive
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
        }
    }

    /// Every mutating EC2 call carries EC2's own `DryRun` flag.
    fn native_dry_run(&self) -> bool {
        true
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
            }
        })
    }
}

/// Instance states, as EC2 names them.
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
pub struct ListInstancesInput {
    /// Instance ids, e.g. ["i-0abc123"]
    pub instance_ids: Option<Vec<String>>,
    /// Instance state to match (list_instances) or to wait for (wait_for_state)
    pub state: Option<InstanceState>,
    /// Tags as key to value, e.g. {"Environment": "production"}
    pub tags: Option<BTreeMap<String, String>>,
    /// VPC id to filter by, e.g. vpc-0abc123
    pub vpc_id: Option<String>,
    /// Items per page (default 50, at most 1000)
    pub max_results: Option<u32>,
    /// next_token of the previous page
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InstanceIdInput {
    /// One instance id, e.g. i-0abc123
    pub instance_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InstanceIdsInput {
    /// Instance ids, e.g. ["i-0abc123"]
    pub instance_ids: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StopInstancesInput {
    /// Instance ids, e.g. ["i-0abc123"]
    pub instance_ids: Vec<String>,
    /// Force the stop without a clean OS shutdown (can lose unsaved data)
    pub force: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInstancesInput {
    /// AMI id, e.g. ami-0abc123
    pub image_id: String,
    /// Instance type, e.g. t3.micro (default t3.micro)
    pub instance_type: Option<String>,
    /// How many instances to launch (default 1, at most 20)
    #[schemars(range(min = 1, max = 20))]
    pub count: Option<u32>,
    /// Subnet id to launch into, e.g. subnet-0abc123
    pub subnet_id: Option<String>,
    /// Security group ids, e.g. ["sg-0abc123"]
    pub security_group_ids: Option<Vec<String>>,
    /// Name of an existing key pair
    pub key_name: Option<String>,
    /// User data script as plain text (the server base64-encodes it)
    pub user_data: Option<String>,
    /// Tags as key to value, e.g. {"Environment": "production"}
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModifyInstanceAttributeInput {
    /// One instance id, e.g. i-0abc123
    pub instance_id: String,
    /// Instance type, e.g. t3.micro (the instance must be stopped to change it)
    pub instance_type: Option<String>,
    /// Termination protection on (true) or off (false)
    pub disable_api_termination: Option<bool>,
    /// Stop protection on (true) or off (false)
    pub disable_api_stop: Option<bool>,
    /// What an OS shutdown does: "stop" or "terminate"
    pub instance_initiated_shutdown_behavior: Option<ShutdownBehavior>,
    /// Source/destination checking (turn off for NAT instances)
    pub source_dest_check: Option<bool>,
    /// EBS-optimized on or off
    pub ebs_optimized: Option<bool>,
    /// User data script as plain text (the server base64-encodes it)
    pub user_data: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShutdownBehavior {
    Stop,
    Terminate,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InstanceStatusInput {
    /// Instance ids, e.g. ["i-0abc123"]
    pub instance_ids: Option<Vec<String>>,
    /// Include instances that are not running (default true)
    pub include_all_instances: Option<bool>,
    /// Items per page (default 50, at most 1000)
    pub max_results: Option<u32>,
    /// next_token of the previous page
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitForStateInput {
    /// Instance ids, e.g. ["i-0abc123"]
    pub instance_ids: Vec<String>,
    /// Instance state to match (list_instances) or to wait for (wait_for_state)
    pub state: InstanceState,
    /// Longest wait in seconds (default 120, at most 300)
    pub timeout_seconds: Option<u64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListKeyPairsInput {
    /// Key pair names to show (default all)
    pub key_names: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyPairInput {
    /// Key pair name
    pub key_name: String,
    /// Key type: "rsa" (default) or "ed25519"
    pub key_type: Option<KeyType>,
    /// Tags as key to value, e.g. {"Environment": "production"}
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyType {
    Rsa,
    Ed25519,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportKeyPairInput {
    /// Key pair name
    pub key_name: String,
    /// OpenSSH public key text, e.g. "ssh-ed25519 AAAA... user@host"
    pub public_key: String,
    /// Tags as key to value, e.g. {"Environment": "production"}
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyPairInput {
    /// Key pair name
    pub key_name: Option<String>,
    /// Key pair id, e.g. key-0abc123 (instead of key_name)
    pub key_pair_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListAmisInput {
    /// AMI ids, e.g. ["ami-0abc123"]
    pub image_ids: Option<Vec<String>>,
    /// Owners: "self" (default), "amazon", "aws-marketplace" or account ids
    pub owners: Option<Vec<String>>,
    /// Name pattern, * as wildcard, e.g. "al2023-ami-*"
    pub name_pattern: Option<String>,
    /// Items per page (default 50, at most 1000)
    pub max_results: Option<u32>,
    /// next_token of the previous page
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAmiInput {
    /// One instance id, e.g. i-0abc123
    pub instance_id: String,
    /// Name of the new resource
    pub name: String,
    /// Free-text description
    pub description: Option<String>,
    /// Do not reboot the instance first (the image may be inconsistent)
    pub no_reboot: Option<bool>,
    /// Tags as key to value, e.g. {"Environment": "production"}
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeregisterAmiInput {
    /// AMI id, e.g. ami-0abc123
    pub image_id: String,
    /// Also delete the AMI's EBS snapshots (default false)
    pub delete_snapshots: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyAmiInput {
    /// AMI id in the source region, e.g. ami-0abc123
    pub source_image_id: String,
    /// Region the AMI is copied from, e.g. us-east-1
    pub source_region: String,
    /// Name of the new resource
    pub name: String,
    /// Free-text description
    pub description: Option<String>,
    /// Encrypt the copy's snapshots
    pub encrypted: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModifyAmiAttributeInput {
    /// AMI id, e.g. ami-0abc123
    pub image_id: String,
    /// Free-text description
    pub description: Option<String>,
    /// Account ids to grant launch permission ("all" makes the AMI public)
    pub launch_permission_add: Option<Vec<String>>,
    /// Account ids to revoke launch permission from ("all" makes it private)
    pub launch_permission_remove: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListLaunchTemplatesInput {
    /// Launch template names
    pub launch_template_names: Option<Vec<String>>,
    /// Items per page (default 50, at most 1000)
    pub max_results: Option<u32>,
    /// next_token of the previous page
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLaunchTemplateInput {
    /// Launch template name
    pub launch_template_name: String,
    /// AMI id, e.g. ami-0abc123
    pub image_id: Option<String>,
    /// Instance type, e.g. t3.micro
    pub instance_type: Option<String>,
    /// Name of an existing key pair
    pub key_name: Option<String>,
    /// Security group ids, e.g. ["sg-0abc123"]
    pub security_group_ids: Option<Vec<String>>,
    /// User data script as plain text (the server base64-encodes it)
    pub user_data: Option<String>,
    /// Free-text description
    pub description: Option<String>,
    /// Tags as key to value, e.g. {"Environment": "production"}
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LaunchTemplateInput {
    /// Launch template id, e.g. lt-0abc123
    pub launch_template_id: Option<String>,
    /// Launch template name
    pub launch_template_name: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LaunchTemplateVersionsInput {
    /// Launch template id, e.g. lt-0abc123
    pub launch_template_id: Option<String>,
    /// Launch template name
    pub launch_template_name: Option<String>,
    /// Versions: numbers, "$Latest" or "$Default" (default all)
    pub versions: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddTagsInput {
    /// EC2 resource ids (instances, AMIs, volumes, ...)
    pub resource_ids: Vec<String>,
    /// Tags as key to value, e.g. {"Environment": "production"}
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveTagsInput {
    /// EC2 resource ids (instances, AMIs, volumes, ...)
    pub resource_ids: Vec<String>,
    /// Tag keys to remove
    pub tag_keys: Vec<String>,
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
