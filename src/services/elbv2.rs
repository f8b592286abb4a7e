//! Elastic Load Balancing (v2) calls behind `aws_ec2`'s load balancer, target group and
//! listener actions. ELBv2 has no dry-run mode, so the dispatcher never calls these with one.

use std::collections::BTreeMap;

use aws_sdk_elasticloadbalancingv2::{
    Client,
    types::{
        Action, ActionTypeEnum, Certificate, Listener, LoadBalancer, LoadBalancerSchemeEnum,
        LoadBalancerTypeEnum, Matcher, ProtocolEnum, Tag, TargetDescription, TargetGroup,
        TargetTypeEnum,
    },
};
use serde_json::{Value, json};

use crate::{
    aws::paging::PageRequest,
    error::ToolError,
    output::Output,
    services::ec2::time,
    tools::ec2::{
        CreateListenerInput, CreateLoadBalancerInput, CreateTargetGroupInput, ListListenersInput,
        ListLoadBalancersInput, ListTargetGroupsInput, LoadBalancerType, Scheme, TargetHealthInput,
        TargetType, TargetsInput,
    },
};

pub struct LoadBalancing {
    pub client: Client,
}

impl LoadBalancing {
    pub async fn list_load_balancers(
        &self,
        i: ListLoadBalancersInput,
    ) -> Result<Output, ToolError> {
        let page = PageRequest::new(i.max_results, i.next_token.as_deref())?;
        let resp = self
            .client
            .describe_load_balancers()
            .set_load_balancer_arns(i.load_balancer_arns)
            .set_names(i.names)
            .page_size(page.aws_page_size(1, 400))
            .set_marker(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let all: Vec<Value> = resp.load_balancers().iter().map(load_balancer).collect();
        let (items, next) = page.finish(all, resp.next_marker().map(str::to_string));
        Ok(Output::new(
            format!("{} load balancer(s).", items.len()),
            json!({ "load_balancers": items }),
        )
        .with_next_token(next))
    }

    pub async fn create_load_balancer(
        &self,
        i: CreateLoadBalancerInput,
    ) -> Result<Output, ToolError> {
        let kind = match i
            .load_balancer_type
            .unwrap_or(LoadBalancerType::Application)
        {
            LoadBalancerType::Application => LoadBalancerTypeEnum::Application,
            LoadBalancerType::Network => LoadBalancerTypeEnum::Network,
        };
        let scheme = match i.scheme.unwrap_or(Scheme::InternetFacing) {
            Scheme::InternetFacing => LoadBalancerSchemeEnum::InternetFacing,
            Scheme::Internal => LoadBalancerSchemeEnum::Internal,
        };
        let resp = self
            .client
            .create_load_balancer()
            .name(&i.name)
            .r#type(kind)
            .scheme(scheme)
            .set_subnets(Some(i.subnet_ids.clone()))
            .set_security_groups(i.security_group_ids.clone())
            .set_tags(tags(i.tags.as_ref()))
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let lb = resp.load_balancers().first();
        let data = lb
            .map(load_balancer)
            .unwrap_or_else(|| json!({"name": i.name}));
        Ok(Output::new(
            format!(
                "Created load balancer {} ({}); it answers at {} once active. Add a target \
                 group and a listener to route traffic.",
                i.name,
                data["type"].as_str().unwrap_or("application"),
                data["dns_name"].as_str().unwrap_or("?"),
            ),
            data,
        ))
    }

    pub async fn delete_load_balancer(&self, arn: &str) -> Result<Output, ToolError> {
        self.client
            .delete_load_balancer()
            .load_balancer_arn(arn)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        Ok(Output::new(
            format!("Deleted load balancer {arn} and its listeners; its target groups remain."),
            json!({ "deleted": arn }),
        ))
    }

    pub async fn list_target_groups(&self, i: ListTargetGroupsInput) -> Result<Output, ToolError> {
        let page = PageRequest::new(i.max_results, i.next_token.as_deref())?;
        let resp = self
            .client
            .describe_target_groups()
            .set_load_balancer_arn(i.load_balancer_arn)
            .set_target_group_arns(i.target_group_arns)
            .set_names(i.names)
            .page_size(page.aws_page_size(1, 400))
            .set_marker(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let all: Vec<Value> = resp.target_groups().iter().map(target_group).collect();
        let (items, next) = page.finish(all, resp.next_marker().map(str::to_string));
        Ok(Output::new(
            format!("{} target group(s).", items.len()),
            json!({ "target_groups": items }),
        )
        .with_next_token(next))
    }

    pub async fn create_target_group(
        &self,
        i: CreateTargetGroupInput,
    ) -> Result<Output, ToolError> {
        let target_type = match i.target_type.unwrap_or(TargetType::Instance) {
            TargetType::Instance => TargetTypeEnum::Instance,
            TargetType::Ip => TargetTypeEnum::Ip,
            TargetType::Lambda => TargetTypeEnum::Lambda,
            TargetType::Alb => TargetTypeEnum::Alb,
        };
        let resp = self
            .client
            .create_target_group()
            .name(&i.name)
            .protocol(ProtocolEnum::from(i.protocol.as_str()))
            .port(i.port)
            .vpc_id(&i.vpc_id)
            .target_type(target_type)
            .set_health_check_path(i.health_check_path.clone())
            .set_matcher(
                i.matcher
                    .as_ref()
                    .map(|m| Matcher::builder().http_code(m).build()),
            )
            .set_tags(tags(i.tags.as_ref()))
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let data = resp
            .target_groups()
            .first()
            .map(target_group)
            .unwrap_or_else(|| json!({"name": i.name}));
        Ok(Output::new(
            format!(
                "Created target group {} ({} {}) in {}.",
                i.name,
                i.protocol.as_str(),
                i.port,
                i.vpc_id
            ),
            data,
        ))
    }

    pub async fn delete_target_group(&self, arn: &str) -> Result<Output, ToolError> {
        self.client
            .delete_target_group()
            .target_group_arn(arn)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        Ok(Output::new(
            format!("Deleted target group {arn}."),
            json!({ "deleted": arn }),
        ))
    }

    /// Registers (`register`) or deregisters targets; deregistered ones drain first.
    pub async fn targets(&self, i: TargetsInput, register: bool) -> Result<Output, ToolError> {
        let targets = i
            .target_ids
            .iter()
            .map(|id| TargetDescription::builder().id(id).set_port(i.port).build())
            .collect::<Vec<_>>();
        let arn = i.target_group_arn.as_str();
        if register {
            self.client
                .register_targets()
                .target_group_arn(arn)
                .set_targets(Some(targets))
                .send()
                .await
                .map_err(ToolError::from_sdk)?;
        } else {
            self.client
                .deregister_targets()
                .target_group_arn(arn)
                .set_targets(Some(targets))
                .send()
                .await
                .map_err(ToolError::from_sdk)?;
        }
        let (verb, key) = if register {
            ("Registered", "registered")
        } else {
            ("Deregistering (connections drain first)", "deregistered")
        };
        Ok(Output::new(
            format!("{verb} {} with {arn}.", i.target_ids.join(", ")),
            json!({"target_group_arn": arn, key: i.target_ids, "port": i.port}),
        ))
    }

    pub async fn get_target_health(&self, i: TargetHealthInput) -> Result<Output, ToolError> {
        let targets = i
            .target_ids
            .iter()
            .flatten()
            .map(|id| TargetDescription::builder().id(id).build())
            .collect::<Vec<_>>();
        let resp = self
            .client
            .describe_target_health()
            .target_group_arn(&i.target_group_arn)
            .set_targets((!targets.is_empty()).then_some(targets))
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let items: Vec<Value> = resp
            .target_health_descriptions()
            .iter()
            .map(|d| {
                let h = d.target_health();
                json!({
                    "id": d.target().and_then(|t| t.id()),
                    "port": d.target().and_then(|t| t.port()),
                    "state": h.and_then(|h| h.state()).map(|s| s.as_str()),
                    "reason": h.and_then(|h| h.reason()).map(|r| r.as_str()),
                    "description": h.and_then(|h| h.description()),
                })
            })
            .collect();
        let mut states: BTreeMap<String, usize> = BTreeMap::new();
        for t in &items {
            *states
                .entry(t["state"].as_str().unwrap_or("unknown").to_string())
                .or_default() += 1;
        }
        let counts: Vec<String> = states.iter().map(|(s, n)| format!("{n} {s}")).collect();
        Ok(Output::new(
            format!(
                "{} target(s){}.",
                items.len(),
                if counts.is_empty() {
                    String::new()
                } else {
                    format!(": {}", counts.join(", "))
                }
            ),
            json!({ "targets": items }),
        ))
    }

    pub async fn list_listeners(&self, i: ListListenersInput) -> Result<Output, ToolError> {
        let page = PageRequest::new(i.max_results, i.next_token.as_deref())?;
        let resp = self
            .client
            .describe_listeners()
            .set_load_balancer_arn(i.load_balancer_arn)
            .set_listener_arns(i.listener_arns)
            .page_size(page.aws_page_size(1, 400))
            .set_marker(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let all: Vec<Value> = resp.listeners().iter().map(listener).collect();
        let (items, next) = page.finish(all, resp.next_marker().map(str::to_string));
        Ok(Output::new(
            format!("{} listener(s).", items.len()),
            json!({ "listeners": items }),
        )
        .with_next_token(next))
    }

    pub async fn create_listener(&self, i: CreateListenerInput) -> Result<Output, ToolError> {
        let forward = Action::builder()
            .r#type(ActionTypeEnum::Forward)
            .target_group_arn(&i.target_group_arn)
            .build();
        let resp = self
            .client
            .create_listener()
            .load_balancer_arn(&i.load_balancer_arn)
            .protocol(ProtocolEnum::from(i.protocol.as_str()))
            .port(i.port)
            .default_actions(forward)
            .set_certificates(
                i.certificate_arn
                    .as_ref()
                    .map(|c| vec![Certificate::builder().certificate_arn(c).build()]),
            )
            .set_ssl_policy(i.ssl_policy.clone())
            .set_tags(tags(i.tags.as_ref()))
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let data = resp
            .listeners()
            .first()
            .map(listener)
            .unwrap_or_else(|| json!({}));
        Ok(Output::new(
            format!(
                "Created {} listener on port {} forwarding to {}.",
                i.protocol.as_str(),
                i.port,
                i.target_group_arn
            ),
            data,
        ))
    }

    pub async fn delete_listener(&self, arn: &str) -> Result<Output, ToolError> {
        self.client
            .delete_listener()
            .listener_arn(arn)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        Ok(Output::new(
            format!("Deleted listener {arn}."),
            json!({ "deleted": arn }),
        ))
    }
}

fn tags(tags: Option<&BTreeMap<String, String>>) -> Option<Vec<Tag>> {
    let tags = tags.filter(|t| !t.is_empty())?;
    Some(
        tags.iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect(),
    )
}

fn load_balancer(lb: &LoadBalancer) -> Value {
    json!({
        "load_balancer_arn": lb.load_balancer_arn(),
        "name": lb.load_balancer_name(),
        "type": lb.r#type().map(|t| t.as_str()),
        "scheme": lb.scheme().map(|s| s.as_str()),
        "state": lb.state().and_then(|s| s.code()).map(|c| c.as_str()),
        "dns_name": lb.dns_name(),
        "vpc_id": lb.vpc_id(),
        "subnets": lb.availability_zones().iter().map(|z| json!({
            "availability_zone": z.zone_name(),
            "subnet_id": z.subnet_id(),
        })).collect::<Vec<_>>(),
        "security_group_ids": lb.security_groups(),
        "created_time": lb.created_time().map(time),
    })
}

fn target_group(t: &TargetGroup) -> Value {
    json!({
        "target_group_arn": t.target_group_arn(),
        "name": t.target_group_name(),
        "protocol": t.protocol().map(|p| p.as_str()),
        "port": t.port(),
        "vpc_id": t.vpc_id(),
        "target_type": t.target_type().map(|x| x.as_str()),
        "health_check_path": t.health_check_path(),
        "matcher": t.matcher().and_then(|m| m.http_code()),
        "load_balancer_arns": t.load_balancer_arns(),
    })
}

fn listener(l: &Listener) -> Value {
    json!({
        "listener_arn": l.listener_arn(),
        "load_balancer_arn": l.load_balancer_arn(),
        "protocol": l.protocol().map(|p| p.as_str()),
        "port": l.port(),
        "default_actions": l.default_actions().iter().map(|a| json!({
            "type": a.r#type().map(|t| t.as_str()),
            "target_group_arn": a.target_group_arn(),
        })).collect::<Vec<_>>(),
        "certificate_arns": l.certificates().iter().filter_map(|c| c.certificate_arn()).collect::<Vec<_>>(),
        "ssl_policy": l.ssl_policy(),
    })
}

/// Tags of load balancers, target groups and listeners by ARN, for the guardrails' environment
/// lookup; resources that cannot be read have none here.
pub async fn resource_tags(
    client: &Client,
    arns: &[String],
) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    // DescribeTags takes at most 20 ARNs per call.
    for chunk in arns.chunks(20) {
        match client
            .describe_tags()
            .set_resource_arns(Some(chunk.to_vec()))
            .send()
            .await
        {
            Ok(resp) => {
                for d in resp.tag_descriptions() {
                    let tags = d
                        .tags()
                        .iter()
                        .filter_map(|t| {
                            Some((
                                t.key()?.to_string(),
                                t.value().unwrap_or_default().to_string(),
                            ))
                        })
                        .collect();
                    out.insert(d.resource_arn().unwrap_or_default().to_string(), tags);
                }
            }
            Err(e) => {
                tracing::debug!(error = %ToolError::from_sdk(e), "load balancing tags unreadable")
            }
        }
    }
    out
}
