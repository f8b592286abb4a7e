//! CloudWatch metrics: statistics over a time range with the period chosen for it, and custom
//! metric data.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::{
    Client,
    primitives::DateTime,
    types::{MetricDatum, StandardUnit, Statistic},
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{alarms::alarms_acting_on, check_metric, check_statistic, dimensions, window};
use crate::{
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Risk, Target},
};

/// Datapoints returned at most: the period grows with the range to stay under it.
const MAX_POINTS: i64 = 100;
/// CloudWatch keeps 1-minute data 15 days, 5-minute data 63 days and hourly data 455 days.
const MAX_MINUTES: u32 = 455 * 24 * 60;

/// The smallest period (seconds) that gives at most [`MAX_POINTS`] points over the range and
/// that CloudWatch still holds for data that old.
pub fn period_for(minutes: u32) -> i32 {
    let days_back = minutes / (24 * 60);
    let floor = match days_back {
        d if d >= 63 => 3600,
        d if d >= 15 => 300,
        _ => 60,
    };
    [60, 300, 900, 3600, 6 * 3600, 86_400]
        .into_iter()
        .find(|p| *p >= floor && i64::from(minutes) * 60 / i64::from(*p) <= MAX_POINTS)
        .unwrap_or(86_400)
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetMetricStatistics {
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: Option<BTreeMap<String, String>>,
    pub statistic: Option<String>,
    pub minutes: Option<u32>,
}

impl Action for GetMetricStatistics {
    const NAME: &'static str = "get_metric_statistics";
    const DESCRIPTION: &'static str = "Datapoints, period fit to the range";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_metric(&self.namespace, &self.metric_name, self.dimensions.as_ref())?;
        if let Some(s) = &self.statistic {
            check_statistic(s)?;
        }
        window(self.minutes, MAX_MINUTES).map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let minutes = self.minutes.unwrap_or(60);
        let (start, end) = window(Some(minutes), MAX_MINUTES)?;
        // The range ends at the next whole minute, so data put this second is in it (CloudWatch
        // and moto cut times to the second).
        let end = (end / 60_000 + 1) * 60_000;
        let start = start.min(end - i64::from(minutes) * 60_000);
        let period = period_for(minutes);
        let statistic = self.statistic.as_deref().unwrap_or("Average");
        let percentile = statistic.starts_with('p');
        let client: Client = cx.client().await;
        let out = client
            .get_metric_statistics()
            .namespace(&self.namespace)
            .metric_name(&self.metric_name)
            .set_dimensions(dimensions(self.dimensions.as_ref()))
            .start_time(DateTime::from_millis(start))
            .end_time(DateTime::from_millis(end))
            .period(period)
            .set_statistics((!percentile).then(|| vec![Statistic::from(statistic)]))
            .set_extended_statistics(percentile.then(|| vec![statistic.to_string()]))
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let mut points: Vec<(i64, f64, String)> = out
            .datapoints()
            .iter()
            .filter_map(|d| {
                let value = if percentile {
                    d.extended_statistics()?.get(statistic).copied()
                } else {
                    match statistic {
                        "Sum" => d.sum(),
                        "Minimum" => d.minimum(),
                        "Maximum" => d.maximum(),
                        "SampleCount" => d.sample_count(),
                        _ => d.average(),
                    }
                }?;
                Some((
                    d.timestamp()?.to_millis().ok()?,
                    value,
                    d.unit().map(|u| u.as_str().to_string()).unwrap_or_default(),
                ))
            })
            .collect();
        points.sort_by_key(|p| p.0);
        let keep = points.len().saturating_sub(MAX_POINTS as usize);
        let points = &points[keep..];
        let values: Vec<f64> = points.iter().map(|p| p.1).collect();
        let summary = (!values.is_empty()).then(|| {
            json!({
                "min": values.iter().copied().fold(f64::INFINITY, f64::min),
                "max": values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                "mean": values.iter().sum::<f64>() / values.len() as f64,
                "last": values.last(),
            })
        });
        let datapoints: Vec<Value> = points
            .iter()
            .map(|(t, v, _)| {
                json!({
                    "at": jiff::Timestamp::from_millisecond(*t).map(|t| t.to_string()).ok(),
                    "value": v,
                })
            })
            .collect();
        Ok(Output::new(
            format!(
                "{} {} {}: {} datapoint(s) over {minutes} minute(s) at {period} s{}.",
                self.namespace,
                self.metric_name,
                statistic,
                datapoints.len(),
                summary
                    .as_ref()
                    .map(|s| format!(", max {}, last {}", s["max"], s["last"]))
                    .unwrap_or_default()
            ),
            json!({
                "namespace": self.namespace,
                "metric_name": self.metric_name,
                "statistic": statistic,
                "period": period,
                "unit": points.first().map(|p| p.2.as_str()).filter(|u| !u.is_empty() && *u != "None"),
                "summary": summary,
                "datapoints": datapoints,
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PutMetricData {
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: Option<BTreeMap<String, String>>,
    pub value: f64,
    /// Count, Percent, Seconds, Milliseconds, Bytes, ... (default None)
    pub unit: Option<String>,
}

impl Action for PutMetricData {
    const NAME: &'static str = "put_metric_data";
    const DESCRIPTION: &'static str = "Publish a custom metric value";
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_metric(&self.namespace, &self.metric_name, self.dimensions.as_ref())?;
        if self.namespace.starts_with("AWS/") {
            return Err(ToolError::invalid(
                "namespaces starting with AWS/ are AWS's own; use your own, like MyApp",
            ));
        }
        if !self.value.is_finite() {
            return Err(ToolError::invalid("value must be a finite number"));
        }
        if let Some(u) = &self.unit
            && !StandardUnit::values().contains(&u.as_str())
        {
            return Err(ToolError::invalid(format!(
                "unit must be one of {:?}",
                StandardUnit::values()
            )));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    /// An alarm that watches this metric and stops, terminates, reboots, scales or runs SSM
    /// would act on the value published here, outside the guardrails: refused.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let acting = alarms_acting_on(&client, &self.namespace, &self.metric_name).await?;
        if !acting.is_empty() {
            return Err(ToolError::Precondition {
                message: format!(
                    "{} {} is watched by alarms that act on resources: {acting:?}",
                    self.namespace, self.metric_name
                ),
                hint: "nothing was published: data put here could run those actions".into(),
                details: json!({"alarms": acting.iter().map(|(a, _)| a).collect::<Vec<_>>()}),
            });
        }
        let datum = MetricDatum::builder()
            .metric_name(&self.metric_name)
            .set_dimensions(dimensions(self.dimensions.as_ref()))
            .value(self.value)
            .set_unit(self.unit.as_deref().map(StandardUnit::from))
            .timestamp(DateTime::from_millis(
                jiff::Timestamp::now().as_millisecond(),
            ))
            .build();
        client
            .put_metric_data()
            .namespace(&self.namespace)
            .metric_data(datum)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        Ok(Output::new(
            format!(
                "Published {} {} = {}{}.",
                self.namespace,
                self.metric_name,
                self.value,
                self.unit
                    .as_ref()
                    .map(|u| format!(" {u}"))
                    .unwrap_or_default()
            ),
            json!({"namespace": self.namespace, "metric_name": self.metric_name,
                   "value": self.value}),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::period_for;

    #[test]
    fn the_period_grows_with_the_range_and_the_age_of_the_data() {
        assert_eq!(period_for(60), 60);
        assert_eq!(period_for(100), 60);
        assert_eq!(period_for(101), 300);
        assert_eq!(period_for(24 * 60), 900);
        assert_eq!(period_for(7 * 24 * 60), 6 * 3600);
        assert_eq!(period_for(30 * 24 * 60), 86_400);
        // 63 days back only hourly data is left.
        assert!(period_for(63 * 24 * 60) >= 3600);
    }
}
