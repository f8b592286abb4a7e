//! `aws_monitoring`: CloudWatch alarms and anomaly detectors (`alarms.rs`), metrics
//! (`metrics.rs`) and dashboards (`dashboards.rs`), CloudWatch Logs groups, events, retention
//! and Logs Insights queries (`logs.rs`), X-Ray traces (`traces.rs`) and Synthetics canaries
//! (`canaries.rs`).
//!
//! Risk (issue 15): reads are low. `delete_alarms` and `delete_dashboard` are critical (their
//! definitions are recorded as backups first where the environment asks for backups);
//! `set_alarm_state` is high on a production alarm; `set_log_retention` is high when it
//! shortens retention (declared with `shorten: true`; an undeclared shortening is refused).
//! Alarms, dashboards, log groups and canaries take their environment from their tags, else
//! the account rules (`guardrails/tags.rs`).

pub mod alarms;
pub mod canaries;
pub mod dashboards;
pub mod logs;
pub mod metrics;
pub mod traces;

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::Dimension;

use crate::{
    error::ToolError,
    registry::{ActionDef, Tool},
};

pub static TOOL: Tool = Tool {
    name: "aws_monitoring",
    toolset: "monitoring",
    about: "CloudWatch alarms, metrics, dashboards, logs; X-Ray; canaries.",
    actions: &[
        ActionDef::of::<alarms::ListAlarms>(),
        ActionDef::of::<alarms::CreateAlarm>(),
        ActionDef::of::<alarms::DeleteAlarms>(),
        ActionDef::of::<alarms::SetAlarmState>(),
        ActionDef::of::<metrics::GetMetricStatistics>(),
        ActionDef::of::<metrics::PutMetricData>(),
        ActionDef::of::<logs::QueryLogs>(),
        ActionDef::of::<logs::FilterLogEvents>(),
        ActionDef::of::<logs::ListLogGroups>(),
        ActionDef::of::<logs::SetLogRetention>(),
        ActionDef::of::<dashboards::CreateDashboard>(),
        ActionDef::of::<dashboards::ListDashboards>(),
        ActionDef::of::<dashboards::GetDashboard>(),
        ActionDef::of::<dashboards::DeleteDashboard>(),
        ActionDef::of::<alarms::CreateAnomalyDetector>(),
        ActionDef::of::<traces::GetTrace>(),
        ActionDef::of::<traces::GetTraceSummaries>(),
        ActionDef::of::<traces::GetServiceGraph>(),
        ActionDef::of::<canaries::CreateCanary>(),
        ActionDef::of::<canaries::ListCanaries>(),
    ],
};

/// A time window ending now: `minutes` back (default 60, at most `max`).
pub fn window(minutes: Option<u32>, max: u32) -> Result<(i64, i64), ToolError> {
    let m = minutes.unwrap_or(60);
    if m == 0 || m > max {
        return Err(ToolError::invalid(format!("minutes must be 1-{max}")));
    }
    let now = jiff::Timestamp::now().as_millisecond();
    Ok((now - i64::from(m) * 60_000, now))
}

/// A log group name: 1-512 characters of `a-zA-Z0-9_-/.#` (AWS's rule).
pub fn check_log_group(name: &str) -> Result<(), ToolError> {
    if name.is_empty()
        || name.len() > 512
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-/.#".contains(c))
    {
        return Err(ToolError::invalid(format!(
            "log_group must be 1-512 letters, digits or '_-/.#', got '{name}'"
        )));
    }
    Ok(())
}

/// The statistics CloudWatch computes, and percentiles `p0`-`p100` (`p99`, `p99.9`).
pub const STATISTICS: &[&str] = &["Average", "Sum", "Minimum", "Maximum", "SampleCount"];

/// Checks a statistic: one of [`STATISTICS`] or a percentile.
pub fn check_statistic(s: &str) -> Result<(), ToolError> {
    let percentile = s
        .strip_prefix('p')
        .and_then(|n| n.parse::<f64>().ok())
        .is_some_and(|n| (0.0..=100.0).contains(&n));
    if STATISTICS.contains(&s) || percentile {
        return Ok(());
    }
    Err(ToolError::invalid(format!(
        "statistic must be one of {STATISTICS:?} or a percentile like p99, got '{s}'"
    )))
}

/// A metric: its namespace, name and dimensions, as CloudWatch limits them.
pub fn check_metric(
    namespace: &str,
    metric_name: &str,
    dimensions: Option<&BTreeMap<String, String>>,
) -> Result<(), ToolError> {
    let printable =
        |s: &str, max: usize| !s.is_empty() && s.len() <= max && s.chars().all(|c| !c.is_control());
    if !printable(namespace, 255) || namespace.starts_with(':') {
        return Err(ToolError::invalid(format!(
            "namespace must be 1-255 printable characters, got '{namespace}'"
        )));
    }
    if !printable(metric_name, 255) {
        return Err(ToolError::invalid(format!(
            "metric_name must be 1-255 printable characters, got '{metric_name}'"
        )));
    }
    if let Some(d) = dimensions {
        if d.len() > 30 {
            return Err(ToolError::invalid("at most 30 dimensions"));
        }
        if let Some((k, v)) = d
            .iter()
            .find(|(k, v)| !printable(k, 255) || !printable(v, 1024))
        {
            return Err(ToolError::invalid(format!(
                "dimension '{k}'='{v}': names are 1-255 and values 1-1024 printable characters"
            )));
        }
    }
    Ok(())
}

/// Dimensions as CloudWatch takes them.
pub fn dimensions(d: Option<&BTreeMap<String, String>>) -> Option<Vec<Dimension>> {
    d.map(|d| {
        d.iter()
            .map(|(k, v)| Dimension::builder().name(k).value(v).build())
            .collect()
    })
}
