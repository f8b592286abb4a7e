//! Key pairs.

use aws_sdk_ec2::types::{KeyType as SdkKeyType, ResourceType};
use aws_smithy_types::Blob;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::Ec2;
use crate::{
    aws::ec2::{send, tag_specs, tags_json},
    aws::outcome::{Check, unknown_outcome},
    aws::time,
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, DryRun, Kind, Risk, Tags, Target},
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListKeyPairs {
    pub key_names: Option<Vec<String>>,
}

impl Action for ListKeyPairs {
    const NAME: &'static str = "list_key_pairs";
    const DESCRIPTION: &'static str = "Key pairs";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let ec2 = Ec2::of(cx).await;
        let resp = ec2
            .client
            .describe_key_pairs()
            .set_key_names(self.key_names)
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
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyPair {
    pub key_name: String,
    /// Default rsa
    pub key_type: Option<KeyType>,
    /// Key to value
    pub tags: Option<Tags>,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyType {
    Rsa,
    Ed25519,
}

impl Action for CreateKeyPair {
    const NAME: &'static str = "create_key_pair";
    const DESCRIPTION: &'static str = "Create a key pair; the private key is shown once";
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::Medium;
    const DRY_RUN: DryRun = DryRun::Native;

    fn targets(&self) -> Vec<Target> {
        vec![Target::created(Kind::KeyPair, &self.key_name)]
    }

    /// The private key is in the result once; AWS keeps no copy, and this server never logs it.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let ec2 = Ec2::of(cx).await;
        let key_type = match self.key_type.unwrap_or(KeyType::Rsa) {
            KeyType::Rsa => SdkKeyType::Rsa,
            KeyType::Ed25519 => SdkKeyType::Ed25519,
        };
        let req = ec2
            .client
            .create_key_pair()
            .key_name(&self.key_name)
            .key_type(key_type)
            .set_tag_specifications(tag_specs(&[ResourceType::KeyPair], self.tags.as_ref()));
        // CreateKeyPair takes no idempotency token and its answer is the only copy of the
        // private key: it is sent once, and a lost answer says the key is lost with it.
        let name = self.key_name.clone();
        let resp = send!(ec2, "create_key_pair", req, once: |cause| {
            lost_private_key(&name, cause)
        });
        Ok(Output::new(
            format!(
                "Created key pair {}. The private key below is shown only this once: save it now.",
                self.key_name
            ),
            json!({
                "key_name": resp.key_name(),
                "key_pair_id": resp.key_pair_id(),
                "fingerprint": resp.key_fingerprint(),
                "private_key": resp.key_material(),
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportKeyPair {
    pub key_name: String,
    /// OpenSSH format
    pub public_key: String,
    /// Key to value
    pub tags: Option<Tags>,
}

impl Action for ImportKeyPair {
    const NAME: &'static str = "import_key_pair";
    const DESCRIPTION: &'static str = "Import an existing public key";
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::Medium;
    const DRY_RUN: DryRun = DryRun::Native;

    fn targets(&self) -> Vec<Target> {
        vec![Target::created(Kind::KeyPair, &self.key_name)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let ec2 = Ec2::of(cx).await;
        let req = ec2
            .client
            .import_key_pair()
            .key_name(&self.key_name)
            .public_key_material(Blob::new(self.public_key.trim().as_bytes()))
            .set_tag_specifications(tag_specs(&[ResourceType::KeyPair], self.tags.as_ref()));
        // ImportKeyPair takes no idempotency token; the name is unique, so a lost answer is
        // checked by name.
        let check = Check {
            tool: "aws_ec2",
            action: "list_key_pairs",
            arguments: json!({"key_names": [self.key_name]}),
            look_for: format!("the key pair {}", self.key_name),
        };
        let resp = send!(ec2, "import_key_pair", req, once: |cause| {
            unknown_outcome("ImportKeyPair", "the key pair", cause, check)
        });
        Ok(Output::new(
            format!("Imported key pair {}.", self.key_name),
            json!({
                "key_name": resp.key_name(),
                "key_pair_id": resp.key_pair_id(),
                "fingerprint": resp.key_fingerprint(),
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteKeyPair {
    pub key_name: Option<String>,
    /// Instead of key_name
    pub key_pair_id: Option<String>,
}

impl Action for DeleteKeyPair {
    const NAME: &'static str = "delete_key_pair";
    const DESCRIPTION: &'static str = "Delete a key pair";
    const ACCESS: Access = Access::Destructive;
    // Running instances keep working; new launches with the key fail.
    const RISK: Risk = Risk::High;
    const DRY_RUN: DryRun = DryRun::Native;

    fn validate(&self) -> Result<(), ToolError> {
        if self.key_name.is_some() == self.key_pair_id.is_some() {
            return Err(ToolError::invalid(
                "delete_key_pair needs exactly one of key_name or key_pair_id",
            ));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        self.key_name
            .iter()
            .chain(&self.key_pair_id)
            .map(|k| Target::new(Kind::KeyPair, k))
            .collect()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let ec2 = Ec2::of(cx).await;
        let which = self
            .key_name
            .clone()
            .or(self.key_pair_id.clone())
            .unwrap_or_default();
        let req = ec2
            .client
            .delete_key_pair()
            .set_key_name(self.key_name)
            .set_key_pair_id(self.key_pair_id);
        send!(ec2, "delete_key_pair", req);
        Ok(Output::new(
            format!("Deleted key pair {which}."),
            json!({ "deleted": which }),
        ))
    }
}

/// The error of a create_key_pair whose answer was lost: AWS may hold the key pair, but the
/// private key, which only that answer carried, is gone.
fn lost_private_key(name: &str, cause: ToolError) -> ToolError {
    let check = Check {
        tool: "aws_ec2",
        action: "list_key_pairs",
        arguments: json!({"key_names": [name]}),
        look_for: format!("the key pair {name}"),
    };
    match unknown_outcome("CreateKeyPair", "the key pair", cause, check) {
        ToolError::Precondition {
            message,
            mut details,
            ..
        } => {
            details["private_key_delivered"] = json!(false);
            ToolError::Precondition {
                message: format!(
                    "{message}. The private key could not be delivered: AWS keeps no copy, so if \
                     the key pair exists its private key is lost"
                ),
                hint: format!(
                    "call aws_ec2 list_key_pairs with key_names [\"{name}\"]: if {name} is \
                     listed, delete it with delete_key_pair key_name {name} and call \
                     create_key_pair again; if not, call create_key_pair again"
                ),
                details,
            }
        }
        other => other,
    }
}
