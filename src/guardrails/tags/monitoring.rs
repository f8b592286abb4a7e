//! CloudWatch alarms and dashboards, CloudWatch Logs log groups and Synthetics canaries: their
//! own tags. One that does not exist has none (a create names it).

use super::Results;
use crate::{
    aws::{At, AwsPool, Guard},
    error::ToolError,
    registry::Kind,
};

/// Alarms and dashboards by name: the ARN from DescribeAlarms or GetDashboard, then
/// ListTagsForResource. One that does not exist has no tags (a create names it).
pub(super) async fn cloudwatch(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    use aws_sdk_cloudwatch::types::AlarmType;
    let client: aws_sdk_cloudwatch::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    for (kind, name) in ids {
        let arn: Result<Option<String>, ToolError> = if *kind == Kind::Alarm {
            client
                .describe_alarms()
                .alarm_names(name)
                .alarm_types(AlarmType::MetricAlarm)
                .alarm_types(AlarmType::CompositeAlarm)
                .send()
                .await
                .map_err(ToolError::from_sdk)
                .map(|r| {
                    r.metric_alarms()
                        .iter()
                        .filter_map(|a| a.alarm_arn())
                        .chain(r.composite_alarms().iter().filter_map(|a| a.alarm_arn()))
                        .next()
                        .map(str::to_string)
                })
        } else {
            match client.get_dashboard().dashboard_name(name).send().await {
                Ok(r) => Ok(r.dashboard_arn().map(str::to_string)),
                Err(e) => match ToolError::from_sdk(e) {
                    e if matches!(
                        e.aws_code(),
                        Some("ResourceNotFound" | "ResourceNotFoundException")
                    ) =>
                    {
                        Ok(None)
                    }
                    e => Err(e),
                },
            }
        };
        let found = match arn {
            Ok(None) => Ok(vec![]),
            Ok(Some(arn)) => client
                .list_tags_for_resource()
                .resource_arn(&arn)
                .send()
                .await
                .map(|r| {
                    vec![
                        r.tags()
                            .iter()
                            .map(|t| {
                                (
                                    t.key().unwrap_or_default().to_string(),
                                    t.value().unwrap_or_default().to_string(),
                                )
                            })
                            .collect(),
                    ]
                })
                .map_err(|e| ToolError::from_sdk(e).to_string()),
            Err(e) => Err(e.to_string()),
        };
        out.push(((*kind, name.clone()), found));
    }
    out
}

/// Canaries by name: DescribeCanaries filtered by name carries their tags (GetCanary of a
/// missing canary is an error; this is an empty list).
pub(super) async fn canaries(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_synthetics::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    for (kind, name) in ids {
        let found = match client.describe_canaries().names(name).send().await {
            Ok(r) => Ok(r
                .canaries()
                .iter()
                .filter(|c| c.name() == Some(name.as_str()))
                .map(|c| {
                    c.tags()
                        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                        .unwrap_or_default()
                })
                .collect()),
            Err(e) => Err(ToolError::from_sdk(e).to_string()),
        };
        out.push(((*kind, name.clone()), found));
    }
    out
}

/// Log groups by name. ListTagsLogGroup is deprecated in favour of ListTagsForResource, which
/// takes the group's ARN; it still answers, and takes the name.
pub(super) async fn log_groups(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_cloudwatchlogs::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    for (kind, name) in ids {
        #[allow(deprecated)]
        let read = client
            .list_tags_log_group()
            .log_group_name(name)
            .send()
            .await;
        let found = match read {
            Ok(r) => Ok(vec![
                r.tags()
                    .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
            ]),
            Err(e) => match ToolError::from_sdk(e) {
                e if e.aws_code() == Some("ResourceNotFoundException") => Ok(vec![]),
                e => Err(e.to_string()),
            },
        };
        out.push(((*kind, name.clone()), found));
    }
    out
}
