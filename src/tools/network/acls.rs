//! Network ACLs and their entries.

use aws_sdk_ec2::types::{IcmpTypeCode, PortRange, RuleAction as SdkRuleAction};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    Network, any_cidr, ec2_targets, filters,
    security::{Protocol, port_text, ports},
    tag_fields,
};
use crate::{
    aws::{ec2::send, paging::PageRequest},
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, DryRun, Risk, Target},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleAction {
    Allow,
    Deny,
}

impl RuleAction {
    fn as_str(self) -> &'static str {
        match self {
            RuleAction::Allow => "allow",
            RuleAction::Deny => "deny",
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListNetworkAcls {
    pub vpc_id: Option<String>,
    pub network_acl_ids: Option<Vec<String>>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListNetworkAcls {
    const NAME: &'static str = "list_network_acls";
    const DESCRIPTION: &'static str = "List network ACLs and entries";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        ec2_targets(self.network_acl_ids.iter().flatten())
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let net = Network::of(cx).await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let by_id = self.network_acl_ids.is_some();
        let resp = net
            .client
            .describe_network_acls()
            .set_network_acl_ids(self.network_acl_ids)
            .set_filters(filters([("vpc-id", self.vpc_id)], None))
            .set_max_results((!by_id).then(|| page.aws_page_size(5, 1000)))
            .set_next_token(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let all: Vec<Value> = resp
            .network_acls()
            .iter()
            .map(|a| {
                let mut entries: Vec<Value> = a
                    .entries()
                    .iter()
                    .map(|e| {
                        json!({
                            "rule_number": e.rule_number(),
                            "egress": e.egress(),
                            "protocol": protocol_name(e.protocol().unwrap_or("-1")),
                            "rule_action": e.rule_action().map(|r| r.as_str()),
                            "cidr_block": e.cidr_block().or(e.ipv6_cidr_block()),
                            "ports": e.port_range().map(|p| port_text(p.from(), p.to())),
                            "icmp": e.icmp_type_code().map(|c| json!({"type": c.r#type(), "code": c.code()})),
                        })
                    })
                    .collect();
                entries.sort_by_key(|e| (e["egress"].as_bool(), e["rule_number"].as_i64()));
                let mut v = json!({
                    "network_acl_id": a.network_acl_id(),
                    "vpc_id": a.vpc_id(),
                    "is_default": a.is_default(),
                    "subnet_ids": a.associations().iter().filter_map(|s| s.subnet_id()).collect::<Vec<_>>(),
                    "entries": entries,
                });
                tag_fields(&mut v, a.tags());
                v
            })
            .collect();
        let (items, next) = page.finish(all, resp.next_token().map(str::to_string));
        Ok(Output::new(
            format!("{} network ACL(s).", items.len()),
            json!({ "network_acls": items }),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateNaclEntry {
    pub network_acl_id: String,
    #[schemars(range(min = 1, max = 32766))]
    pub rule_number: i32,
    pub protocol: Protocol,
    pub rule_action: RuleAction,
    pub egress: Option<bool>,
    pub cidr_block: String,
    /// Or ICMP type
    pub from_port: Option<i32>,
    /// Or ICMP code
    pub to_port: Option<i32>,
}

impl Action for CreateNaclEntry {
    const NAME: &'static str = "create_nacl_entry";
    const DESCRIPTION: &'static str = "Add a network ACL entry";
    const ACCESS: Access = Access::Write;
    // It changes what reaches every subnet using the ACL, and a deny can cut them off.
    const RISK: Risk = Risk::High;
    const DRY_RUN: DryRun = DryRun::Native;

    fn validate(&self) -> Result<(), ToolError> {
        rule_number(self.rule_number)?;
        any_cidr("cidr_block", &self.cidr_block)?;
        ports(self.protocol, self.from_port, self.to_port).map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::ec2(&self.network_acl_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let net = Network::of(cx).await;
        let (from, to) = ports(self.protocol, self.from_port, self.to_port)?;
        let egress = self.egress.unwrap_or(false);
        let mut req = net
            .client
            .create_network_acl_entry()
            .network_acl_id(&self.network_acl_id)
            .rule_number(self.rule_number)
            .protocol(self.protocol.number())
            .rule_action(match self.rule_action {
                RuleAction::Allow => SdkRuleAction::Allow,
                RuleAction::Deny => SdkRuleAction::Deny,
            })
            .egress(egress);
        req = if self.cidr_block.contains(':') {
            req.ipv6_cidr_block(&self.cidr_block)
        } else {
            req.cidr_block(&self.cidr_block)
        };
        req = match self.protocol {
            Protocol::Tcp | Protocol::Udp => {
                req.port_range(PortRange::builder().set_from(from).set_to(to).build())
            }
            Protocol::Icmp | Protocol::Icmpv6 => {
                req.icmp_type_code(IcmpTypeCode::builder().set_type(from).set_code(to).build())
            }
            Protocol::All => req,
        };
        send!(net, "create_network_acl_entry", req);
        let action = self.rule_action.as_str();
        let tcp_udp = matches!(self.protocol, Protocol::Tcp | Protocol::Udp);
        let port_note = if tcp_udp {
            format!(" port(s) {}", port_text(from, to))
        } else {
            String::new()
        };
        Ok(Output::new(
            format!(
                "Added {} rule {} to {}: {action} {}{port_note} {} {}.",
                if egress { "outbound" } else { "inbound" },
                self.rule_number,
                self.network_acl_id,
                self.protocol.sg_name().replace("-1", "all traffic"),
                if egress { "to" } else { "from" },
                self.cidr_block
            ),
            json!({
                "network_acl_id": self.network_acl_id,
                "rule_number": self.rule_number,
                "egress": egress,
                "rule_action": action,
                "protocol": protocol_name(self.protocol.number()),
                "cidr_block": self.cidr_block,
                "ports": (from.is_some() && tcp_udp).then(|| port_text(from, to)),
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteNaclEntry {
    pub network_acl_id: String,
    #[schemars(range(min = 1, max = 32766))]
    pub rule_number: i32,
    pub egress: Option<bool>,
}

impl Action for DeleteNaclEntry {
    const NAME: &'static str = "delete_nacl_entry";
    const DESCRIPTION: &'static str = "Remove a network ACL entry";
    const ACCESS: Access = Access::Destructive;
    // Removing an allow can cut subnets off; removing a deny lets traffic in.
    const RISK: Risk = Risk::High;
    const DRY_RUN: DryRun = DryRun::Native;

    fn validate(&self) -> Result<(), ToolError> {
        rule_number(self.rule_number)
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::ec2(&self.network_acl_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let net = Network::of(cx).await;
        let egress = self.egress.unwrap_or(false);
        let req = net
            .client
            .delete_network_acl_entry()
            .network_acl_id(&self.network_acl_id)
            .rule_number(self.rule_number)
            .egress(egress);
        send!(net, "delete_network_acl_entry", req);
        Ok(Output::new(
            format!(
                "Removed {} rule {} from {}.",
                if egress { "outbound" } else { "inbound" },
                self.rule_number,
                self.network_acl_id
            ),
            json!({"network_acl_id": self.network_acl_id, "rule_number": self.rule_number, "egress": egress}),
        ))
    }
}

fn rule_number(n: i32) -> Result<(), ToolError> {
    if (1..=32766).contains(&n) {
        Ok(())
    } else {
        Err(ToolError::invalid(format!(
            "rule_number {n} is outside 1-32766"
        )))
    }
}

/// "tcp" for "6" and so on; numbers without a name stay numbers.
fn protocol_name(p: &str) -> &str {
    match p {
        "6" => "tcp",
        "17" => "udp",
        "1" => "icmp",
        "58" => "icmpv6",
        "-1" => "all",
        other => other,
    }
}
