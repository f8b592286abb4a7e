//! Security groups and their rules. An inbound rule that opens a port other than 80/443 to a
//! large part of the internet is flagged critical before it is sent, and comes back with
//! `warnings` once added.

use aws_sdk_ec2::types::{
    IpPermission, IpRange, Ipv6Range, ResourceType, SecurityGroup, UserIdGroupPair,
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Network, any_cidr, ec2_targets, filters, tag_fields};
use crate::{
    aws::{
        ec2::{Sent, dry_run_outcome, filter, send, tag_specs},
        outcome::{Check, unknown_outcome},
        paging::PageRequest,
    },
    cidr::AnyCidr,
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, DryRun, Flag, Risk, Tags, Target},
};

// IP protocols for security group rules and network ACL entries (no doc comment: it would
// become the schema description of every `protocol` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    Tcp,
    Udp,
    Icmp,
    Icmpv6,
    All,
}

impl Protocol {
    /// The name security group APIs take.
    pub fn sg_name(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Icmp => "icmp",
            Protocol::Icmpv6 => "icmpv6",
            Protocol::All => "-1",
        }
    }

    /// The protocol number network ACL APIs take.
    pub fn number(self) -> &'static str {
        match self {
            Protocol::Tcp => "6",
            Protocol::Udp => "17",
            Protocol::Icmp => "1",
            Protocol::Icmpv6 => "58",
            Protocol::All => "-1",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Ingress,
    Egress,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListSecurityGroups {
    pub vpc_id: Option<String>,
    pub group_ids: Option<Vec<String>>,
    pub group_names: Option<Vec<String>>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListSecurityGroups {
    const NAME: &'static str = "list_security_groups";
    const DESCRIPTION: &'static str = "List security groups and rules";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        ec2_targets(self.group_ids.iter().flatten())
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let net = Network::of(cx).await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let by_id = self.group_ids.is_some();
        // GroupNames only finds groups of the default VPC; the filter works in every VPC.
        let mut f = filters([("vpc-id", self.vpc_id)], None).unwrap_or_default();
        if let Some(names) = &self.group_names {
            f.push(filter("group-name", names.iter().map(String::as_str)));
        }
        let resp = net
            .client
            .describe_security_groups()
            .set_group_ids(self.group_ids)
            .set_filters((!f.is_empty()).then_some(f))
            .set_max_results((!by_id).then(|| page.aws_page_size(5, 1000)))
            .set_next_token(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let all: Vec<Value> = resp.security_groups().iter().map(group_summary).collect();
        let (items, next) = page.finish(all, resp.next_token().map(str::to_string));
        Ok(Output::new(
            format!("{} security group(s).", items.len()),
            json!({ "security_groups": items }),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSecurityGroup {
    pub group_name: String,
    pub description: String,
    pub vpc_id: String,
    pub tags: Option<Tags>,
}

impl Action for CreateSecurityGroup {
    const NAME: &'static str = "create_security_group";
    const DESCRIPTION: &'static str = "Create an empty security group";
    const ACCESS: Access = Access::Write;
    // A new group lets nothing in and is attached to nothing.
    const RISK: Risk = Risk::Medium;
    const DRY_RUN: DryRun = DryRun::Native;

    fn targets(&self) -> Vec<Target> {
        vec![Target::ec2(&self.vpc_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let net = Network::of(cx).await;
        let req = net
            .client
            .create_security_group()
            .group_name(&self.group_name)
            .description(&self.description)
            .vpc_id(&self.vpc_id)
            .set_tag_specifications(tag_specs(
                &[ResourceType::SecurityGroup],
                self.tags.as_ref(),
            ));
        // CreateSecurityGroup takes no idempotency token; the name is unique in the VPC, so a
        // lost answer is checked by name.
        let check = Check {
            tool: "aws_network",
            action: "list_security_groups",
            arguments: json!({"vpc_id": self.vpc_id, "group_names": [self.group_name]}),
            look_for: format!("the group {}", self.group_name),
        };
        let resp = send!(net, "create_security_group", req, once: |cause| {
            unknown_outcome("CreateSecurityGroup", "the security group", cause, check)
        });
        let id = resp.group_id().unwrap_or_default();
        Ok(Output::new(
            format!(
                "Created security group {id} ({}) in {}; it allows no inbound traffic until \
                 authorize_security_group adds rules.",
                self.group_name, self.vpc_id
            ),
            json!({"group_id": id, "group_name": self.group_name, "vpc_id": self.vpc_id}),
        ))
    }
}

/// One security group rule: what `authorize_security_group` adds and `revoke_security_group`
/// removes.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroupRule {
    pub group_id: String,
    pub direction: Option<Direction>,
    pub protocol: Protocol,
    /// Or ICMP type
    pub from_port: Option<i32>,
    /// Or ICMP code
    pub to_port: Option<i32>,
    pub cidr_blocks: Option<Vec<String>>,
    pub source_security_group_id: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct AuthorizeSecurityGroup(pub SecurityGroupRule);

impl Action for AuthorizeSecurityGroup {
    const NAME: &'static str = "authorize_security_group";
    const DESCRIPTION: &'static str = "Add an inbound or outbound rule";
    const ACCESS: Access = Access::Write;
    // It changes who can reach what runs in the group; world-open rules are flagged.
    const RISK: Risk = Risk::High;
    const DRY_RUN: DryRun = DryRun::Native;

    fn validate(&self) -> Result<(), ToolError> {
        self.0.validate(Self::NAME)
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::ec2(&self.0.group_id)]
    }

    fn flags(&self) -> Vec<Flag> {
        self.0
            .world_open_warnings()
            .into_iter()
            .map(Flag::critical)
            .collect()
    }

    /// Rules that open a non-web port to the internet come back with `warnings`.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        change(&Network::of(cx).await, self.0, true).await
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct RevokeSecurityGroup(pub SecurityGroupRule);

impl Action for RevokeSecurityGroup {
    const NAME: &'static str = "revoke_security_group";
    const DESCRIPTION: &'static str = "Remove an inbound or outbound rule";
    const ACCESS: Access = Access::Write;
    // It can cut off the access that people or services depend on.
    const RISK: Risk = Risk::High;
    const DRY_RUN: DryRun = DryRun::Native;

    fn validate(&self) -> Result<(), ToolError> {
        self.0.validate(Self::NAME)
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::ec2(&self.0.group_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        change(&Network::of(cx).await, self.0, false).await
    }
}

impl SecurityGroupRule {
    fn validate(&self, action: &str) -> Result<(), ToolError> {
        let cidrs = self.cidr_blocks.as_deref().unwrap_or_default();
        if cidrs.is_empty() && self.source_security_group_id.is_none() {
            return Err(ToolError::invalid(format!(
                "{action} needs cidr_blocks or source_security_group_id"
            )));
        }
        for c in cidrs {
            any_cidr("cidr_blocks", c)?;
        }
        ports(self.protocol, self.from_port, self.to_port).map(|_| ())
    }

    /// Why this rule, once added, is risky: it lets a large part of the internet in (see
    /// [`world_open`]) on something other than web ports 80 and 443. Outbound rules and ICMP
    /// are not flagged: open egress is the AWS default, and ICMP has no ports to exploit the
    /// same way.
    pub fn world_open_warnings(&self) -> Vec<String> {
        if self.direction.unwrap_or(Direction::Ingress) != Direction::Ingress {
            return Vec::new();
        }
        let Ok((from, to)) = ports(self.protocol, self.from_port, self.to_port) else {
            return Vec::new();
        };
        let what = match self.protocol {
            Protocol::Icmp | Protocol::Icmpv6 => return Vec::new(),
            Protocol::All => "all traffic".to_string(),
            Protocol::Tcp | Protocol::Udp => {
                let (from, to) = (from.unwrap_or(0), to.unwrap_or(65535));
                if from == to && (from == 80 || from == 443) {
                    return Vec::new();
                }
                let name = self.protocol.sg_name();
                if from == to {
                    format!("{name} port {from}")
                } else {
                    format!("{name} ports {from}-{to}")
                }
            }
        };
        self.cidr_blocks
            .iter()
            .flatten()
            .filter_map(|c| Some((c, world_open(c)?)))
            .map(|(c, prefix)| {
                let reach = if prefix == 0 {
                    "the whole internet"
                } else {
                    "a large part of the internet"
                };
                format!(
                    "opens {what} on {} to {c} ({reach}); only 80/443 are expected to be \
                     public, restrict the source unless this is intended",
                    self.group_id
                )
            })
            .collect()
    }
}

/// The prefix length of a block open to (a large part of) the internet: any IPv4 block wider
/// than /8 (0.0.0.0/0, 0.0.0.0/1, 128.0.0.0/1, ...) or IPv6 block of /16 or wider (::/0,
/// 8000::/1, ...). Splitting 0.0.0.0/0 into halves or quarters opens just as much.
pub fn world_open(cidr: &str) -> Option<u8> {
    match AnyCidr::parse(cidr).ok()? {
        AnyCidr::V4(block) => Some(block.prefix()).filter(|p| *p < 8),
        AnyCidr::V6(text) => text
            .rsplit_once('/')
            .and_then(|(_, p)| p.parse::<u8>().ok())
            .filter(|p| *p <= 16),
    }
}

/// The port range a rule uses, checked for its protocol: tcp/udp need from_port (to_port
/// defaults to it); ICMP takes type and code (default -1, all); "all" takes no ports.
pub fn ports(
    protocol: Protocol,
    from: Option<i32>,
    to: Option<i32>,
) -> Result<(Option<i32>, Option<i32>), ToolError> {
    let invalid = |m: String| Err(ToolError::invalid(m));
    match protocol {
        Protocol::Tcp | Protocol::Udp => {
            let Some(from) = from else {
                return invalid(format!(
                    "protocol {} needs from_port (and to_port for a range), e.g. 443",
                    protocol.sg_name()
                ));
            };
            let to = to.unwrap_or(from);
            if !(0..=65535).contains(&from) || !(0..=65535).contains(&to) || from > to {
                return invalid(format!(
                    "ports {from}-{to} are not a range within 0-65535 with from_port <= to_port"
                ));
            }
            Ok((Some(from), Some(to)))
        }
        Protocol::Icmp | Protocol::Icmpv6 => {
            let (t, c) = (from.unwrap_or(-1), to.unwrap_or(-1));
            if !(-1..=255).contains(&t) || !(-1..=255).contains(&c) {
                return invalid(format!(
                    "ICMP type {t} and code {c} must each be -1 (all) or 0-255"
                ));
            }
            Ok((Some(t), Some(c)))
        }
        Protocol::All if from.is_some() || to.is_some() => invalid(
            "protocol all covers every port; drop from_port/to_port or pick tcp or udp".into(),
        ),
        Protocol::All => Ok((None, None)),
    }
}

/// "22", "80-443" or "all".
pub(super) fn port_text(from: Option<i32>, to: Option<i32>) -> String {
    match (from, to) {
        (Some(f), Some(t)) if f == t => f.to_string(),
        (Some(-1), _) | (None, None) => "all".to_string(),
        (Some(f), Some(t)) => format!("{f}-{t}"),
        (Some(f), None) => f.to_string(),
        (None, Some(t)) => t.to_string(),
    }
}

/// Adds (`authorize`) or removes one rule.
async fn change(
    net: &Network,
    rule: SecurityGroupRule,
    authorize: bool,
) -> Result<Output, ToolError> {
    let warnings = if authorize {
        rule.world_open_warnings()
    } else {
        Vec::new()
    };
    let (from, to) = ports(rule.protocol, rule.from_port, rule.to_port)?;
    let egress = rule.direction == Some(Direction::Egress);
    // AWS matches revokes without descriptions; they only label added rules.
    let desc = if authorize {
        rule.description.clone()
    } else {
        None
    };
    let cidrs = rule.cidr_blocks.clone().unwrap_or_default();
    let perm = IpPermission::builder()
        .ip_protocol(rule.protocol.sg_name())
        .set_from_port(from)
        .set_to_port(to)
        .set_ip_ranges(some_vec(
            cidrs
                .iter()
                .filter(|c| !c.contains(':'))
                .map(|c| {
                    IpRange::builder()
                        .cidr_ip(c)
                        .set_description(desc.clone())
                        .build()
                })
                .collect(),
        ))
        .set_ipv6_ranges(some_vec(
            cidrs
                .iter()
                .filter(|c| c.contains(':'))
                .map(|c| {
                    Ipv6Range::builder()
                        .cidr_ipv6(c)
                        .set_description(desc.clone())
                        .build()
                })
                .collect(),
        ))
        .set_user_id_group_pairs(rule.source_security_group_id.as_ref().map(|g| {
            vec![
                UserIdGroupPair::builder()
                    .group_id(g)
                    .set_description(desc.clone())
                    .build(),
            ]
        }))
        .build();
    let g = rule.group_id.as_str();
    let c = &net.client;
    let dry = net.dry_run;
    let outcome = match (authorize, egress) {
        (true, false) => dry_run_outcome(
            dry,
            "authorize_security_group_ingress",
            c.authorize_security_group_ingress()
                .group_id(g)
                .ip_permissions(perm)
                .dry_run(dry)
                .send()
                .await
                .map(|r| (r.security_group_rules().to_vec(), Vec::new())),
        )?,
        (true, true) => dry_run_outcome(
            dry,
            "authorize_security_group_egress",
            c.authorize_security_group_egress()
                .group_id(g)
                .ip_permissions(perm)
                .dry_run(dry)
                .send()
                .await
                .map(|r| (r.security_group_rules().to_vec(), Vec::new())),
        )?,
        (false, false) => dry_run_outcome(
            dry,
            "revoke_security_group_ingress",
            c.revoke_security_group_ingress()
                .group_id(g)
                .ip_permissions(perm)
                .dry_run(dry)
                .send()
                .await
                .map(|r| (Vec::new(), r.unknown_ip_permissions().to_vec())),
        )?,
        (false, true) => dry_run_outcome(
            dry,
            "revoke_security_group_egress",
            c.revoke_security_group_egress()
                .group_id(g)
                .ip_permissions(perm)
                .dry_run(dry)
                .send()
                .await
                .map(|r| (Vec::new(), r.unknown_ip_permissions().to_vec())),
        )?,
    };
    let (added, unknown) = match outcome {
        Sent::Done(v) => v,
        Sent::DryRun(mut out) => {
            if !warnings.is_empty() {
                out.data["warnings"] = json!(warnings);
            }
            return Ok(out);
        }
    };
    let direction = if egress { "outbound" } else { "inbound" };
    let ports_text = match rule.protocol {
        Protocol::All => "all traffic".to_string(),
        p => format!("{} {}", p.sg_name(), port_text(from, to)),
    };
    let peers: Vec<String> = cidrs
        .iter()
        .cloned()
        .chain(rule.source_security_group_id.clone())
        .collect();
    if !authorize && !unknown.is_empty() {
        return Ok(Output::new(
            format!(
                "No {direction} rule of {g} matched {ports_text} for {}; nothing was revoked.",
                peers.join(", ")
            ),
            json!({"group_id": g, "revoked": false, "direction": direction}),
        ));
    }
    let mut data = json!({
        "group_id": g,
        "direction": direction,
        "protocol": rule.protocol.sg_name(),
        "from_port": from,
        "to_port": to,
        "peers": peers,
    });
    let summary = if authorize {
        data["security_group_rule_ids"] = json!(
            added
                .iter()
                .filter_map(|r| r.security_group_rule_id())
                .collect::<Vec<_>>()
        );
        let mut s = format!(
            "Allowed {direction} {ports_text} {} {} on {g}.",
            if egress { "to" } else { "from" },
            peers.join(", ")
        );
        if !warnings.is_empty() {
            s.push_str(&format!(" WARNING: {}", warnings.join("; ")));
            data["warnings"] = json!(warnings);
        }
        s
    } else {
        data["revoked"] = json!(true);
        format!(
            "Revoked {direction} {ports_text} {} {} on {g}.",
            if egress { "to" } else { "from" },
            peers.join(", ")
        )
    };
    Ok(Output::new(summary, data))
}

fn some_vec<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

fn group_summary(g: &SecurityGroup) -> Value {
    let rules = |perms: &[IpPermission]| -> Vec<Value> {
        perms
            .iter()
            .map(|p| {
                let peers: Vec<&str> = p
                    .ip_ranges()
                    .iter()
                    .filter_map(|r| r.cidr_ip())
                    .chain(p.ipv6_ranges().iter().filter_map(|r| r.cidr_ipv6()))
                    .chain(p.user_id_group_pairs().iter().filter_map(|u| u.group_id()))
                    .chain(p.prefix_list_ids().iter().filter_map(|l| l.prefix_list_id()))
                    .collect();
                let proto = p.ip_protocol().unwrap_or("-1");
                json!({
                    "protocol": if proto == "-1" { "all" } else { proto },
                    "ports": if proto == "-1" { "all".to_string() } else { port_text(p.from_port(), p.to_port()) },
                    "peers": peers,
                })
            })
            .collect()
    };
    let mut v = json!({
        "group_id": g.group_id(),
        "group_name": g.group_name(),
        "description": g.description(),
        "vpc_id": g.vpc_id(),
        "inbound": rules(g.ip_permissions()),
        "outbound": rules(g.ip_permissions_egress()),
    });
    tag_fields(&mut v, g.tags());
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(v: Value) -> SecurityGroupRule {
        serde_json::from_value(v).unwrap()
    }

    fn ssh_from(cidrs: &[&str]) -> SecurityGroupRule {
        rule(json!({"group_id": "sg-1", "protocol": "tcp", "from_port": 22, "cidr_blocks": cidrs}))
    }

    #[test]
    fn world_open_rules_are_flagged_except_web_ports() {
        let base = json!({"group_id": "sg-1", "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]});
        let with = |k: &str, v: Value| {
            let mut b = base.clone();
            b[k] = v;
            b
        };
        assert!(
            rule(with("from_port", 443.into()))
                .world_open_warnings()
                .is_empty()
        );
        assert!(
            rule(with("from_port", 80.into()))
                .world_open_warnings()
                .is_empty()
        );
        let ssh = rule(with("from_port", 22.into())).world_open_warnings();
        assert_eq!(ssh.len(), 1);
        assert!(
            ssh[0].contains("tcp port 22 on sg-1 to 0.0.0.0/0 (the whole internet)"),
            "{ssh:?}"
        );
        let mut range = with("from_port", 80.into());
        range["to_port"] = 443.into();
        assert!(rule(range).world_open_warnings()[0].contains("ports 80-443"));
        let all = rule(json!({"group_id": "sg-1", "protocol": "all",
            "cidr_blocks": ["10.0.0.0/8", "::/0"]}))
        .world_open_warnings();
        assert_eq!(all.len(), 1);
        assert!(all[0].contains("all traffic") && all[0].contains("::/0"));
        let mut egress = with("from_port", 22.into());
        egress["direction"] = "egress".into();
        assert!(rule(egress).world_open_warnings().is_empty());
        let icmp = json!({"group_id": "sg-1", "protocol": "icmp", "cidr_blocks": ["0.0.0.0/0"]});
        assert!(rule(icmp).world_open_warnings().is_empty());
        assert!(ssh_from(&["10.0.0.0/8"]).world_open_warnings().is_empty());
    }

    #[test]
    fn halves_and_wide_blocks_of_the_internet_count_as_open() {
        // Split 0.0.0.0/0 and ::/0 are just as open; so is any IPv4 block wider than /8 and
        // any IPv6 block of /16 or wider.
        let open = ssh_from(&["0.0.0.0/1", "128.0.0.0/1", "::/1", "8000::/1", "64.0.0.0/2"]);
        let warnings = open.world_open_warnings();
        assert_eq!(warnings.len(), 5, "{warnings:?}");
        assert!(warnings[0].contains("0.0.0.0/1 (a large part of the internet)"));
        for wide in ["0.0.0.0/7", "2001::/16", "2000::/3"] {
            assert_eq!(ssh_from(&[wide]).world_open_warnings().len(), 1, "{wide}");
        }
        for narrow in [
            "10.0.0.0/8",
            "52.0.0.0/9",
            "203.0.113.0/24",
            "2001:db8::/17",
        ] {
            assert!(
                ssh_from(&[narrow]).world_open_warnings().is_empty(),
                "{narrow}"
            );
        }
        assert_eq!(world_open("0.0.0.0/0"), Some(0));
        assert_eq!(world_open("::/0"), Some(0));
        assert_eq!(world_open("128.0.0.0/1"), Some(1));
        assert_eq!(world_open("10.0.0.0/8"), None);
        assert_eq!(world_open("not a block"), None);
    }

    #[test]
    fn world_open_ssh_is_flagged_critical_and_revokes_are_not_flagged() {
        let args = json!({"group_id": "sg-1", "protocol": "tcp", "from_port": 22,
                          "cidr_blocks": ["0.0.0.0/1", "128.0.0.0/1"]});
        let add: AuthorizeSecurityGroup = serde_json::from_value(args.clone()).unwrap();
        let flags = add.flags();
        assert_eq!(flags.len(), 2);
        assert!(flags.iter().all(|f| f.risk == Risk::Critical));
        let web: AuthorizeSecurityGroup = serde_json::from_value(
            json!({"group_id": "sg-1", "protocol": "tcp", "from_port": 443,
                   "cidr_blocks": ["0.0.0.0/0"]}),
        )
        .unwrap();
        assert!(web.flags().is_empty());
        let revoke: RevokeSecurityGroup = serde_json::from_value(args).unwrap();
        assert!(revoke.flags().is_empty());
        assert_eq!(RevokeSecurityGroup::RISK, Risk::High);
    }

    #[test]
    fn rule_fields_are_checked() {
        let no_peer: AuthorizeSecurityGroup =
            serde_json::from_value(json!({"group_id": "sg-1", "protocol": "tcp", "from_port": 22}))
                .unwrap();
        assert!(
            no_peer
                .validate()
                .unwrap_err()
                .to_string()
                .contains("authorize_security_group needs cidr_blocks")
        );
        let unknown = serde_json::from_value::<AuthorizeSecurityGroup>(
            json!({"group_id": "sg-1", "protocol": "tcp", "port": 22}),
        );
        assert!(unknown.is_err(), "unknown fields are refused");
    }

    #[test]
    fn port_rules() {
        assert_eq!(
            ports(Protocol::Tcp, Some(22), None).unwrap(),
            (Some(22), Some(22))
        );
        assert!(ports(Protocol::Tcp, None, None).is_err());
        assert!(ports(Protocol::Udp, Some(100), Some(10)).is_err());
        assert!(ports(Protocol::Tcp, Some(0), Some(70000)).is_err());
        assert_eq!(
            ports(Protocol::Icmp, None, None).unwrap(),
            (Some(-1), Some(-1))
        );
        assert!(ports(Protocol::All, Some(1), None).is_err());
        assert_eq!(ports(Protocol::All, None, None).unwrap(), (None, None));
    }
}
