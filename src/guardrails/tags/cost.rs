//! AWS Budgets (the environment tags their filters name) and EventBridge Scheduler schedules
//! (the EC2 tags of the instances they target).

use std::collections::BTreeMap;

use super::{Found, Results, all_failed, ec2::ec2};
use crate::{
    aws::{At, AwsPool, Guard},
    error::ToolError,
    registry::{Kind, Tags},
};

/// A budget protects what it watches: the environment tags its filters name (a filter
/// expression's tag values, or a legacy `TagKeyValue` cost filter: `user:Environment$production`
/// reads as `Environment=production`). A budget without
/// such filters names no environment, and the account's (the configured fallback) applies.
pub(super) async fn budgets(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let sts: aws_sdk_sts::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let account = match crate::aws::account_id(&sts).await {
        Ok(a) => a,
        Err(e) => return all_failed(ids, &e),
    };
    let client: aws_sdk_budgets::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    for (kind, name) in ids {
        let found = match client
            .describe_budget()
            .account_id(&account)
            .budget_name(name)
            .send()
            .await
        {
            Ok(d) => Ok(d.budget().map(budget_watches).unwrap_or_default()),
            Err(e) => match ToolError::from_sdk(e) {
                e if e.aws_code() == Some("NotFoundException") => Ok(vec![]),
                e => Err(e.to_string()),
            },
        };
        out.push(((*kind, name.clone()), found));
    }
    out
}

/// The tags a budget watches: its filter expression's tag values (under `And`/`Or`, not
/// `Not`) and its legacy cost filters' `TagKeyValue` values, one set per value.
pub fn budget_watches(budget: &aws_sdk_budgets::types::Budget) -> Vec<Tags> {
    fn walk(e: &aws_sdk_budgets::types::Expression, out: &mut Vec<Tags>) {
        if let Some(t) = e.tags()
            && let Some(k) = t.key()
        {
            let key = k.strip_prefix("user:").unwrap_or(k);
            out.extend(
                t.values()
                    .iter()
                    .map(|v| Tags::from([(key.to_string(), v.clone())])),
            );
        }
        for inner in e.and().iter().chain(e.or()) {
            walk(inner, out);
        }
    }
    let mut out = Vec::new();
    if let Some(e) = budget.filter_expression() {
        walk(e, &mut out);
    }
    #[allow(deprecated)] // budgets made before FilterExpression still carry CostFilters
    if let Some(values) = budget.cost_filters().and_then(|f| f.get("TagKeyValue")) {
        out.extend(values.iter().map(String::as_str).filter_map(filter_tag));
    }
    out
}

/// A cost filter's `TagKeyValue` value (`user:Key$Value` or `Key$Value`) as one tag.
pub fn filter_tag(value: &str) -> Option<Tags> {
    let (key, v) = value.split_once('$')?;
    let key = key.strip_prefix("user:").unwrap_or(key);
    (!key.is_empty() && !v.is_empty()).then(|| Tags::from([(key.to_string(), v.to_string())]))
}

/// A schedule speaks for the instances in its target's input (`{"InstanceIds": [...]}`):
/// their EC2 tags, one set per instance.
pub(super) async fn schedules(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_scheduler::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    let mut instances: Vec<(usize, Vec<String>)> = Vec::new();
    for (kind, id) in ids {
        let (group, name) = id.split_once('/').unwrap_or(("default", id));
        let found = match client
            .get_schedule()
            .group_name(group)
            .name(name)
            .send()
            .await
        {
            Ok(s) => {
                let input = s.target().and_then(|t| t.input()).unwrap_or("{}");
                match schedule_instances(input) {
                    Some(list) => {
                        instances.push((out.len(), list));
                        Ok(vec![])
                    }
                    None => Err(format!("the input of schedule {id} names no instances")),
                }
            }
            Err(e) => match ToolError::from_sdk(e) {
                e if e.aws_code() == Some("ResourceNotFoundException") => Ok(vec![]),
                e => Err(e.to_string()),
            },
        };
        out.push(((*kind, id.clone()), found));
    }
    let wanted: Vec<(Kind, String)> = instances
        .iter()
        .flat_map(|(_, list)| list.iter().map(|i| (Kind::Instance, i.clone())))
        .collect();
    if wanted.is_empty() {
        return out;
    }
    let tags: BTreeMap<(Kind, String), Found> = ec2(aws, at, &wanted).await.into_iter().collect();
    for (slot, list) in instances {
        let mut sets = Vec::new();
        let mut failed = None;
        for i in list {
            match tags.get(&(Kind::Instance, i)) {
                Some(Ok(found)) => sets.extend(found.iter().cloned()),
                Some(Err(e)) => failed = Some(e.clone()),
                None => {}
            }
        }
        out[slot].1 = match failed {
            Some(e) => Err(e),
            None => Ok(sets),
        };
    }
    out
}

/// The instance ids of a schedule's target input, `None` when it is not the EC2 shape.
pub fn schedule_instances(input: &str) -> Option<Vec<String>> {
    let v: serde_json::Value = serde_json::from_str(input).ok()?;
    let ids = v.get("InstanceIds")?.as_array()?;
    Some(
        ids.iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
    )
}
