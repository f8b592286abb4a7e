//! Elastic IPs: list, allocate, associate, release.

use aws_sdk_ec2::types::{Address, DomainType, ResourceType};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Network, by_call_tag, call_specs, ec2_targets, filters, tag_fields};
use crate::{
    aws::{ec2::send, outcome::call_token, outcome::unknown_outcome, paging::PageRequest},
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, DryRun, Flag, Risk, Tags, Target},
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListElasticIps {
    pub allocation_ids: Option<Vec<String>>,
    pub tags: Option<Tags>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListElasticIps {
    const NAME: &'static str = "list_elastic_ips";
    const DESCRIPTION: &'static str = "List Elastic IPs and their use";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        ec2_targets(self.allocation_ids.iter().flatten())
    }

    /// DescribeAddresses has no pages: AWS returns every address, and the page is cut here.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let net = Network::of(cx).await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let resp = net
            .client
            .describe_addresses()
            .set_allocation_ids(self.allocation_ids)
            .set_filters(filters([], self.tags.as_ref()))
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let all: Vec<Value> = resp.addresses().iter().map(address_summary).collect();
        let (items, next) = page.finish(all, None);
        let unused = items
            .iter()
            .filter(|a| a["association_id"].is_null())
            .count();
        Ok(Output::new(
            format!(
                "{} Elastic IP(s); {unused} not associated (billed while idle).",
                items.len()
            ),
            json!({ "elastic_ips": items }),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AllocateElasticIp {
    pub name: Option<String>,
    pub tags: Option<Tags>,
}

impl Action for AllocateElasticIp {
    const NAME: &'static str = "allocate_elastic_ip";
    const DESCRIPTION: &'static str = "Allocate an Elastic IP";
    const ACCESS: Access = Access::Write;
    // A new address, attached to nothing; billed while idle.
    const RISK: Risk = Risk::Medium;
    const DRY_RUN: DryRun = DryRun::Native;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let net = Network::of(cx).await;
        // AllocateAddress takes no idempotency token: sent once, tagged with the call's token.
        let token = call_token();
        let req = net
            .client
            .allocate_address()
            .domain(DomainType::Vpc)
            .set_tag_specifications(call_specs(
                ResourceType::ElasticIp,
                self.name.as_ref(),
                self.tags.as_ref(),
                &token,
            ));
        let check = by_call_tag("list_elastic_ips", json!({}), &token, "an Elastic IP");
        let r = send!(net, "allocate_address", req, once: |cause| {
            unknown_outcome("AllocateAddress", "the Elastic IP", cause, check)
        });
        Ok(Output::new(
            format!(
                "Allocated {} ({}).",
                r.public_ip().unwrap_or("?"),
                r.allocation_id().unwrap_or("?")
            ),
            json!({"allocation_id": r.allocation_id(), "public_ip": r.public_ip()}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssociateElasticIp {
    pub allocation_id: String,
    pub instance_id: Option<String>,
    pub network_interface_id: Option<String>,
    pub private_ip_address: Option<String>,
    pub allow_reassociation: Option<bool>,
}

impl Action for AssociateElasticIp {
    const NAME: &'static str = "associate_elastic_ip";
    const DESCRIPTION: &'static str = "Attach an Elastic IP to an instance or ENI";
    const ACCESS: Access = Access::Write;
    // It changes where the address's traffic goes, and replaces the public IP of the target.
    const RISK: Risk = Risk::High;
    const DRY_RUN: DryRun = DryRun::Native;

    fn validate(&self) -> Result<(), ToolError> {
        if self.instance_id.is_some() == self.network_interface_id.is_some() {
            return Err(ToolError::invalid(
                "associate_elastic_ip needs exactly one of instance_id or network_interface_id",
            ));
        }
        Ok(())
    }

    /// The address, and the instance or interface it goes to.
    fn targets(&self) -> Vec<Target> {
        std::iter::once(&self.allocation_id)
            .chain(&self.instance_id)
            .chain(&self.network_interface_id)
            .map(Target::ec2)
            .collect()
    }

    fn flags(&self) -> Vec<Flag> {
        if self.allow_reassociation == Some(true) {
            vec![Flag::critical(format!(
                "allow_reassociation takes {} from whatever holds it now, which loses that \
                 public address",
                self.allocation_id
            ))]
        } else {
            Vec::new()
        }
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let net = Network::of(cx).await;
        let to = self
            .instance_id
            .clone()
            .or(self.network_interface_id.clone())
            .unwrap_or_default();
        let req = net
            .client
            .associate_address()
            .allocation_id(&self.allocation_id)
            .set_instance_id(self.instance_id)
            .set_network_interface_id(self.network_interface_id)
            .set_private_ip_address(self.private_ip_address)
            .allow_reassociation(self.allow_reassociation.unwrap_or(false));
        let r = send!(net, "associate_address", req);
        Ok(Output::new(
            format!("Associated {} with {to}.", self.allocation_id),
            json!({
                "allocation_id": self.allocation_id,
                "association_id": r.association_id(),
                "associated_with": to,
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseElasticIp {
    pub allocation_id: String,
}

impl Action for ReleaseElasticIp {
    const NAME: &'static str = "release_elastic_ip";
    const DESCRIPTION: &'static str = "Release an Elastic IP for good";
    const ACCESS: Access = Access::Destructive;
    // The public address cannot be got back; whatever DNS or allow-lists name it breaks.
    const RISK: Risk = Risk::Critical;
    const DRY_RUN: DryRun = DryRun::Native;

    fn targets(&self) -> Vec<Target> {
        vec![Target::ec2(&self.allocation_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let net = Network::of(cx).await;
        let req = net
            .client
            .release_address()
            .allocation_id(&self.allocation_id);
        send!(net, "release_address", req);
        Ok(Output::new(
            format!("Released {}.", self.allocation_id),
            json!({ "released": self.allocation_id }),
        ))
    }
}

fn address_summary(a: &Address) -> Value {
    let mut v = json!({
        "allocation_id": a.allocation_id(),
        "public_ip": a.public_ip(),
        "association_id": a.association_id(),
        "instance_id": a.instance_id().filter(|i| !i.is_empty()),
        "network_interface_id": a.network_interface_id(),
        "private_ip": a.private_ip_address(),
    });
    tag_fields(&mut v, a.tags());
    v
}
