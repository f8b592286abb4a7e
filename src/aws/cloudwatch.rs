//! CloudWatch reads shared by `aws_monitoring` and the guardrails' backups of what
//! `delete_alarms` and `delete_dashboard` remove.

use aws_sdk_cloudwatch::{
    Client,
    types::{AlarmType, CompositeAlarm, Dimension, MetricAlarm},
};
use serde_json::{Value, json};

use crate::error::ToolError;

/// The alarms of these names, metric and composite.
pub async fn describe(
    client: &Client,
    names: &[String],
) -> Result<(Vec<MetricAlarm>, Vec<CompositeAlarm>), ToolError> {
    let out = client
        .describe_alarms()
        .set_alarm_names(Some(names.to_vec()))
        .alarm_types(AlarmType::MetricAlarm)
        .alarm_types(AlarmType::CompositeAlarm)
        .send()
        .await
        .map_err(ToolError::from_sdk)?;
    Ok((
        out.metric_alarms().to_vec(),
        out.composite_alarms().to_vec(),
    ))
}

/// What matters of a metric alarm: enough to read it, and to put it back.
pub fn alarm_json(a: &MetricAlarm) -> Value {
    json!({
        "alarm_name": a.alarm_name(),
        "state": a.state_value().map(|s| s.as_str()),
        "reason": a.state_reason(),
        "namespace": a.namespace(),
        "metric_name": a.metric_name(),
        "dimensions": dimensions_json(a.dimensions()),
        "statistic": a.statistic().map(|s| s.as_str().to_string())
            .or_else(|| a.extended_statistic().map(str::to_string)),
        "threshold": a.threshold(),
        "comparison": a.comparison_operator().map(|c| c.as_str()),
        "period": a.period(),
        "evaluation_periods": a.evaluation_periods(),
        "datapoints_to_alarm": a.datapoints_to_alarm(),
        "treat_missing_data": a.treat_missing_data(),
        "alarm_actions": a.alarm_actions(),
        "ok_actions": a.ok_actions(),
        "insufficient_data_actions": a.insufficient_data_actions(),
        "metric_math": !a.metrics().is_empty(),
        "description": a.alarm_description(),
        "updated": a.state_updated_timestamp().map(crate::aws::time),
    })
}

/// The dashboard's body, or `None` when there is no such dashboard.
pub async fn get_body(client: &Client, name: &str) -> Result<Option<String>, ToolError> {
    match client.get_dashboard().dashboard_name(name).send().await {
        Ok(out) => Ok(Some(out.dashboard_body().unwrap_or_default().to_string())),
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
}

/// Dimensions as a JSON object.
pub fn dimensions_json(d: &[Dimension]) -> Value {
    d.iter()
        .map(|d| {
            (
                d.name().unwrap_or_default().to_string(),
                Value::from(d.value().unwrap_or_default()),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}
