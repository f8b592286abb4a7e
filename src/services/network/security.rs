//! Security groups and their rules, network ACL entries, and flow logs.

use aws_sdk_ec2::types::{
    IcmpTypeCode, IpPermission, IpRange, Ipv6Range, LogDestinationType, PortRange, ResourceType,
    RuleAction as SdkRuleAction, SecurityGroup, TrafficType as SdkTrafficType, UserIdGroupPair,
};
use serde_json::{Value, json};

use super::{Network, filters, flow_log_resource_type, specs, tag_fields};
use crate::{
    aws::paging::PageRequest,
    error::ToolError,
    output::Output,
    services::ec2::{Sent, dry_run_outcome, send, tag_specs},
    tools::network::{
        ConfigureFlowLogsInput, CreateNaclEntryInput, CreateSecurityGroupInput,
        DeleteNaclEntryInput, Direction, ListNetworkAclsInput, ListSecurityGroupsInput, Protocol,
        RuleAction, SecurityGroupRuleInput, TrafficType, ports,
    },
};

impl Network<'_> {
    pub async fn list_network_acls(&self, i: ListNetworkAclsInput) -> Result<Output, ToolError> {
        let page = PageRequest::new(i.max_results, i.next_token.as_deref())?;
        let by_id = i.network_acl_ids.is_some();
        let resp = self
            .client
            .describe_network_acls()
            .set_network_acl_ids(i.network_acl_ids)
            .set_filters(filters([("vpc-id", i.vpc_id)], None))
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

    pub async fn create_nacl_entry(&self, i: CreateNaclEntryInput) -> Result<Output, ToolError> {
        let (from, to) = ports(i.protocol, i.from_port, i.to_port)?;
        let egress = i.egress.unwrap_or(false);
        let mut req = self
            .client
            .create_network_acl_entry()
            .network_acl_id(&i.network_acl_id)
            .rule_number(i.rule_number)
            .protocol(i.protocol.number())
            .rule_action(match i.rule_action {
                RuleAction::Allow => SdkRuleAction::Allow,
                RuleAction::Deny => SdkRuleAction::Deny,
            })
            .egress(egress);
        req = if i.cidr_block.contains(':') {
            req.ipv6_cidr_block(&i.cidr_block)
        } else {
            req.cidr_block(&i.cidr_block)
        };
        req = match i.protocol {
            Protocol::Tcp | Protocol::Udp => {
                req.port_range(PortRange::builder().set_from(from).set_to(to).build())
            }
            Protocol::Icmp | Protocol::Icmpv6 => {
                req.icmp_type_code(IcmpTypeCode::builder().set_type(from).set_code(to).build())
            }
            Protocol::All => req,
        };
        send!(self, "create_network_acl_entry", req);
        let action = match i.rule_action {
            RuleAction::Allow => "allow",
            RuleAction::Deny => "deny",
        };
        let ports = match i.protocol {
            Protocol::Tcp | Protocol::Udp => format!(" port(s) {}", port_text(from, to)),
            _ => String::new(),
        };
        Ok(Output::new(
            format!(
                "Added {} rule {} to {}: {action} {}{ports} {} {}.",
                if egress { "outbound" } else { "inbound" },
                i.rule_number,
                i.network_acl_id,
                i.protocol.sg_name().replace("-1", "all traffic"),
                if egress { "to" } else { "from" },
                i.cidr_block
            ),
            json!({
                "network_acl_id": i.network_acl_id,
                "rule_number": i.rule_number,
                "egress": egress,
                "rule_action": action,
                "protocol": protocol_name(i.protocol.number()),
                "cidr_block": i.cidr_block,
                "ports": (from.is_some() && matches!(i.protocol, Protocol::Tcp | Protocol::Udp)).then(|| port_text(from, to)),
            }),
        ))
    }

    pub async fn delete_nacl_entry(&self, i: DeleteNaclEntryInput) -> Result<Output, ToolError> {
        let egress = i.egress.unwrap_or(false);
        let req = self
            .client
            .delete_network_acl_entry()
            .network_acl_id(&i.network_acl_id)
            .rule_number(i.rule_number)
            .egress(egress);
        send!(self, "delete_network_acl_entry", req);
        Ok(Output::new(
            format!(
                "Removed {} rule {} from {}.",
                if egress { "outbound" } else { "inbound" },
                i.rule_number,
                i.network_acl_id
            ),
            json!({"network_acl_id": i.network_acl_id, "rule_number": i.rule_number, "egress": egress}),
        ))
    }

    pub async fn list_security_groups(
        &self,
        i: ListSecurityGroupsInput,
    ) -> Result<Output, ToolError> {
        let page = PageRequest::new(i.max_results, i.next_token.as_deref())?;
        let by_id = i.group_ids.is_some();
        // GroupNames only finds groups of the default VPC; the filter works in every VPC.
        let mut f = filters([("vpc-id", i.vpc_id)], None).unwrap_or_default();
        if let Some(names) = &i.group_names {
            f.push(crate::services::ec2::filter(
                "group-name",
                names.iter().map(String::as_str),
            ));
        }
        let resp = self
            .client
            .describe_security_groups()
            .set_group_ids(i.group_ids)
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

    pub async fn create_security_group(
        &self,
        i: CreateSecurityGroupInput,
    ) -> Result<Output, ToolError> {
        let req = self
            .client
            .create_security_group()
            .group_name(&i.group_name)
            .description(&i.description)
            .vpc_id(&i.vpc_id)
            .set_tag_specifications(tag_specs(&[ResourceType::SecurityGroup], i.tags.as_ref()));
        let resp = send!(self, "create_security_group", req);
        let id = resp.group_id().unwrap_or_default();
        Ok(Output::new(
            format!(
                "Created security group {id} ({}) in {}; it allows no inbound traffic until \
                 authorize_security_group adds rules.",
                i.group_name, i.vpc_id
            ),
            json!({"group_id": id, "group_name": i.group_name, "vpc_id": i.vpc_id}),
        ))
    }

    /// Adds (`authorize`) or removes one rule. Added rules that open a non-web port to the
    /// whole internet come back with `warnings`.
    pub async fn change_security_group(
        &self,
        i: SecurityGroupRuleInput,
        authorize: bool,
    ) -> Result<Output, ToolError> {
        let warnings = if authorize {
            i.world_open_warnings()
        } else {
            Vec::new()
        };
        let (from, to) = ports(i.protocol, i.from_port, i.to_port)?;
        let egress = i.direction == Some(Direction::Egress);
        // AWS matches revokes without descriptions; they only label added rules.
        let desc = if authorize {
            i.description.clone()
        } else {
            None
        };
        let cidrs = i.cidr_blocks.clone().unwrap_or_default();
        let perm = IpPermission::builder()
            .ip_protocol(i.protocol.sg_name())
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
            .set_user_id_group_pairs(i.source_security_group_id.as_ref().map(|g| {
                vec![
                    UserIdGroupPair::builder()
                        .group_id(g)
                        .set_description(desc.clone())
                        .build(),
                ]
            }))
            .build();
        let g = i.group_id.as_str();
        let c = self.client;
        let dry = self.dry_run;
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
        let ports_text = match i.protocol {
            Protocol::All => "all traffic".to_string(),
            p => format!("{} {}", p.sg_name(), port_text(from, to)),
        };
        let peers: Vec<String> = cidrs
            .iter()
            .cloned()
            .chain(i.source_security_group_id.clone())
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
            "protocol": i.protocol.sg_name(),
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

    pub async fn configure_flow_logs(
        &self,
        i: ConfigureFlowLogsInput,
    ) -> Result<Output, ToolError> {
        let first = i.resource_ids.first().map(String::as_str).unwrap_or("");
        let kind = flow_log_resource_type(first).ok_or_else(|| {
            ToolError::invalid("resource_ids must be VPC, subnet or network interface ids")
        })?;
        let traffic = match i.traffic_type.unwrap_or(TrafficType::All) {
            TrafficType::All => SdkTrafficType::All,
            TrafficType::Accept => SdkTrafficType::Accept,
            TrafficType::Reject => SdkTrafficType::Reject,
        };
        let mut req = self
            .client
            .create_flow_logs()
            .set_resource_ids(Some(i.resource_ids.clone()))
            .resource_type(kind)
            .traffic_type(traffic)
            .set_tag_specifications(specs(ResourceType::VpcFlowLog, None, i.tags.as_ref()));
        let destination = match &i.s3_bucket_arn {
            Some(arn) => {
                req = req
                    .log_destination_type(LogDestinationType::S3)
                    .log_destination(arn);
                arn.clone()
            }
            None => {
                req = req
                    .log_destination_type(LogDestinationType::CloudWatchLogs)
                    .set_log_group_name(i.log_group_name.clone())
                    .set_deliver_logs_permission_arn(i.deliver_logs_permission_arn.clone());
                format!(
                    "CloudWatch Logs group {}",
                    i.log_group_name.as_deref().unwrap_or("?")
                )
            }
        };
        let resp = send!(self, "create_flow_logs", req);
        let failed: Vec<Value> = resp
            .unsuccessful()
            .iter()
            .map(|u| {
                json!({
                    "resource_id": u.resource_id(),
                    "code": u.error().and_then(|e| e.code()),
                    "message": u.error().and_then(|e| e.message()),
                })
            })
            .collect();
        let ids = resp.flow_log_ids();
        if ids.is_empty() && !failed.is_empty() {
            let first = &failed[0];
            return Err(ToolError::Aws {
                code: first["code"].as_str().unwrap_or("Unknown").to_string(),
                message: format!(
                    "no flow log was created: {}",
                    failed
                        .iter()
                        .map(|f| format!(
                            "{}: {}",
                            f["resource_id"].as_str().unwrap_or("?"),
                            f["message"].as_str().unwrap_or("")
                        ))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                hint: Some(
                    "check that the destination exists (log group or bucket) and that the role \
                     or bucket policy lets flow logs deliver to it"
                        .into(),
                ),
            });
        }
        let mut summary = format!(
            "Flow logs on for {} resource(s), to {destination}.",
            ids.len()
        );
        if !failed.is_empty() {
            summary.push_str(&format!(" {} resource(s) failed.", failed.len()));
        }
        Ok(Output::new(
            summary,
            json!({"flow_log_ids": ids, "destination": destination, "unsuccessful": failed}),
        ))
    }
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

fn port_text(from: Option<i32>, to: Option<i32>) -> String {
    match (from, to) {
        (Some(f), Some(t)) if f == t => f.to_string(),
        (Some(-1), _) | (None, None) => "all".to_string(),
        (Some(f), Some(t)) => format!("{f}-{t}"),
        (Some(f), None) => f.to_string(),
        (None, Some(t)) => t.to_string(),
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
