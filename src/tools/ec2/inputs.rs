//! The per-action input structs of `aws_ec2`'s instance, key pair, AMI, launch template and
//! tag actions. Their doc comments are the schema's field descriptions.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

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
