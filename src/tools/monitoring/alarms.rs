//! CloudWatch alarms and anomaly detectors. Alarms notify SNS topics only: an alarm action can
//! also stop, terminate or reboot an instance, scale a group or run an SSM document, which
//! would act on resources outside the guardrails whenever the metric crosses a line, so
//! `create_alarm` refuses anything but an SNS topic, and `set_alarm_state` refuses to push an
//! existing alarm into a state whose actions are not all SNS topics.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::{
    Client,
    types::{
        AlarmType, ComparisonOperator, CompositeAlarm, MetricDataQuery, MetricStat,
        SingleMetricAnomalyDetector, StateValue, Statistic, Tag,
    },
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{check_metric, check_statistic, dimensions};
use crate::{
    aws::{
        cloudwatch::{alarm_json, describe},
        paging::PageRequest,
    },
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Flag, Kind, Risk, Tags, Target},
    tools::check_tags,
};

const STATES: &[&str] = &["OK", "ALARM", "INSUFFICIENT_DATA"];
const MISSING_DATA: &[&str] = &["missing", "notBreaching", "breaching", "ignore"];

fn check_alarm_name(name: &str) -> Result<(), ToolError> {
    if name.is_empty() || name.len() > 255 || name.chars().any(char::is_control) {
        return Err(ToolError::invalid(format!(
            "alarm names are 1-255 printable characters, got '{name}'"
        )));
    }
    Ok(())
}

fn check_state(state: &str) -> Result<StateValue, ToolError> {
    if !STATES.contains(&state) {
        return Err(ToolError::invalid(format!(
            "state must be one of {STATES:?}, got '{state}'"
        )));
    }
    Ok(StateValue::from(state))
}

/// An SNS topic ARN (`arn:aws:sns:us-east-1:123456789012:ops`): the only alarm action taken.
pub fn is_sns_topic(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "sns"
        && !parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit())
        && !parts[5].is_empty()
        && parts[5]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The actions that are not SNS topics: they change resources when they run.
pub fn acting(actions: &[String]) -> Vec<&String> {
    actions.iter().filter(|a| !is_sns_topic(a)).collect()
}

/// Alarms read at most when looking for the ones that watch a metric.
const MAX_ALARMS_SCANNED: usize = 10_000;

/// The metric alarms that watch `namespace`/`metric_name` (alone or inside metric math) and
/// would run an action that is not an SNS topic, as (alarm, actions). Publishing data to such
/// a metric would run them, so `put_metric_data` refuses; an alarm list that cannot be read
/// whole refuses too.
pub async fn alarms_acting_on(
    client: &Client,
    namespace: &str,
    metric_name: &str,
) -> Result<Vec<(String, Vec<String>)>, ToolError> {
    let mut pages = client
        .describe_alarms()
        .alarm_types(AlarmType::MetricAlarm)
        .into_paginator()
        .send();
    let mut scanned = 0usize;
    let mut found = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(ToolError::from_sdk)?;
        for a in page.metric_alarms() {
            scanned += 1;
            let watches = (a.namespace() == Some(namespace)
                && a.metric_name() == Some(metric_name))
                || a.metrics().iter().any(|q| {
                    q.metric_stat().and_then(|s| s.metric()).is_some_and(|m| {
                        m.namespace() == Some(namespace) && m.metric_name() == Some(metric_name)
                    })
                });
            let actions: Vec<String> = a
                .alarm_actions()
                .iter()
                .chain(a.ok_actions())
                .chain(a.insufficient_data_actions())
                .filter(|x| !is_sns_topic(x))
                .cloned()
                .collect();
            if watches && !actions.is_empty() {
                found.push((a.alarm_name().unwrap_or_default().to_string(), actions));
            }
        }
        if scanned > MAX_ALARMS_SCANNED {
            return Err(ToolError::Precondition {
                message: format!(
                    "more than {MAX_ALARMS_SCANNED} alarms: the ones watching this metric could \
                     not all be checked"
                ),
                hint: "nothing was published".into(),
                details: json!({"namespace": namespace, "metric_name": metric_name}),
            });
        }
    }
    Ok(found)
}

fn check_actions(field: &str, actions: Option<&Vec<String>>) -> Result<(), ToolError> {
    let actions = actions.map(Vec::as_slice).unwrap_or_default();
    if actions.len() > 5 {
        return Err(ToolError::invalid(format!("{field}: at most 5 topics")));
    }
    if let Some(a) = actions.iter().find(|a| !is_sns_topic(a)) {
        return Err(ToolError::invalid(format!(
            "{field}: '{a}' is not an SNS topic ARN; alarms made here only notify SNS topics \
             (an EC2, Auto Scaling or SSM action would change resources outside the guardrails)"
        )));
    }
    Ok(())
}

/// `>`, `>=`, `<`, `<=` as CloudWatch names them.
fn comparison(op: &str) -> Result<ComparisonOperator, ToolError> {
    Ok(match op {
        ">" => ComparisonOperator::GreaterThanThreshold,
        ">=" => ComparisonOperator::GreaterThanOrEqualToThreshold,
        "<" => ComparisonOperator::LessThanThreshold,
        "<=" => ComparisonOperator::LessThanOrEqualToThreshold,
        _ => {
            return Err(ToolError::invalid(format!(
                "comparison must be >, >=, < or <=, got '{op}'"
            )));
        }
    })
}

/// Period and evaluation rules shared by alarms: a period of 10, 30 or a multiple of 60
/// seconds, and the evaluated range at most a day (7 days for periods of an hour or more).
fn check_periods(
    period: Option<i32>,
    evaluation_periods: Option<i32>,
    datapoints: Option<i32>,
) -> Result<(), ToolError> {
    let period = period.unwrap_or(300);
    if !(period == 10 || period == 30 || (period >= 60 && period % 60 == 0)) {
        return Err(ToolError::invalid(format!(
            "period must be 10, 30 or a multiple of 60 seconds, got {period}"
        )));
    }
    let n = evaluation_periods.unwrap_or(1);
    let max_range = if period >= 3600 { 7 * 86_400 } else { 86_400 };
    if n < 1 || i64::from(n) * i64::from(period) > max_range {
        return Err(ToolError::invalid(format!(
            "evaluation_periods × period must be 1 period to {} s, got {n} × {period}",
            max_range
        )));
    }
    if datapoints.is_some_and(|d| d < 1 || d > n) {
        return Err(ToolError::invalid(
            "datapoints_to_alarm must be 1 to evaluation_periods",
        ));
    }
    Ok(())
}

fn cw_tags(tags: Option<&Tags>) -> Option<Vec<Tag>> {
    tags.map(|t| {
        t.iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect()
    })
}

fn composite_json(a: &CompositeAlarm) -> Value {
    json!({
        "alarm_name": a.alarm_name(),
        "composite": true,
        "state": a.state_value().map(|s| s.as_str()),
        "reason": a.state_reason(),
        "rule": a.alarm_rule(),
        "alarm_actions": a.alarm_actions(),
        "ok_actions": a.ok_actions(),
        "updated": a.state_updated_timestamp().map(crate::aws::time),
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListAlarms {
    /// OK, ALARM or INSUFFICIENT_DATA
    pub state: Option<String>,
    pub prefix: Option<String>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListAlarms {
    const NAME: &'static str = "list_alarms";
    const DESCRIPTION: &'static str = "State, reason, metric";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        if let Some(s) = &self.state {
            check_state(s)?;
        }
        if let Some(p) = &self.prefix {
            check_alarm_name(p)?;
        }
        PageRequest::new(self.max_results, self.next_token.as_deref()).map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let client: Client = cx.client().await;
        let out = client
            .describe_alarms()
            .set_state_value(self.state.as_deref().map(StateValue::from))
            .set_alarm_name_prefix(self.prefix.clone())
            .alarm_types(AlarmType::MetricAlarm)
            .alarm_types(AlarmType::CompositeAlarm)
            .max_records(page.aws_page_size(1, 100))
            .set_next_token(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let items: Vec<Value> = out
            .metric_alarms()
            .iter()
            .map(alarm_json)
            .chain(out.composite_alarms().iter().map(composite_json))
            .collect();
        let (items, next) = page.finish(items, out.next_token().map(str::to_string));
        let firing = items.iter().filter(|a| a["state"] == "ALARM").count();
        Ok(Output::new(
            format!("{} alarm(s), {firing} in ALARM.", items.len()),
            json!({"alarms": items}),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAlarm {
    pub alarm_name: String,
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: Option<BTreeMap<String, String>>,
    /// Average (default), Sum, Minimum, Maximum, SampleCount or pNN
    pub statistic: Option<String>,
    pub threshold: f64,
    /// >, >=, < or <= (anomaly band: >, < or <>)
    pub comparison: String,
    /// Seconds (default 300)
    pub period: Option<i32>,
    pub evaluation_periods: Option<i32>,
    pub datapoints_to_alarm: Option<i32>,
    /// missing, notBreaching, breaching or ignore
    pub treat_missing_data: Option<String>,
    /// SNS topic ARNs
    pub alarm_actions: Option<Vec<String>>,
    pub ok_actions: Option<Vec<String>>,
    pub description: Option<String>,
    pub tags: Option<Tags>,
    /// Overwrite an alarm of this name
    pub replace: Option<bool>,
}

impl Action for CreateAlarm {
    const NAME: &'static str = "create_alarm";
    const DESCRIPTION: &'static str = "Metric alarm notifying SNS";
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_alarm_name(&self.alarm_name)?;
        check_metric(&self.namespace, &self.metric_name, self.dimensions.as_ref())?;
        if let Some(s) = &self.statistic {
            check_statistic(s)?;
        }
        if !self.threshold.is_finite() {
            return Err(ToolError::invalid("threshold must be a number"));
        }
        comparison(&self.comparison)?;
        check_periods(
            self.period,
            self.evaluation_periods,
            self.datapoints_to_alarm,
        )?;
        if let Some(t) = &self.treat_missing_data
            && !MISSING_DATA.contains(&t.as_str())
        {
            return Err(ToolError::invalid(format!(
                "treat_missing_data must be one of {MISSING_DATA:?}"
            )));
        }
        check_actions("alarm_actions", self.alarm_actions.as_ref())?;
        check_actions("ok_actions", self.ok_actions.as_ref())?;
        if self.description.as_ref().is_some_and(|d| d.len() > 1024) {
            return Err(ToolError::invalid("description is at most 1024 characters"));
        }
        check_tags(self.tags.as_ref())
    }

    /// The alarm as it may already be: an overwrite is judged by the existing alarm's tags too.
    fn targets(&self) -> Vec<Target> {
        vec![Target::new(Kind::Alarm, &self.alarm_name)]
    }

    fn flags(&self) -> Vec<Flag> {
        if self.replace == Some(true) {
            vec![Flag::high("overwrites an existing alarm's definition").in_production()]
        } else {
            Vec::new()
        }
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let (metric, composite) = describe(&client, std::slice::from_ref(&self.alarm_name)).await?;
        if !composite.is_empty() {
            return Err(ToolError::Precondition {
                message: format!("{} is a composite alarm", self.alarm_name),
                hint: "nothing was changed; choose another alarm_name".into(),
                details: json!({"alarm_name": self.alarm_name}),
            });
        }
        let before = metric.first().map(alarm_json);
        if before.is_some() && self.replace != Some(true) {
            return Err(ToolError::Precondition {
                message: format!("an alarm named {} exists", self.alarm_name),
                hint: "nothing was changed; PutMetricAlarm would overwrite it: choose another \
                       alarm_name, or repeat with replace: true"
                    .into(),
                details: json!({"existing": before}),
            });
        }
        let statistic = self.statistic.as_deref().unwrap_or("Average");
        let percentile = statistic.starts_with('p');
        client
            .put_metric_alarm()
            .alarm_name(&self.alarm_name)
            .set_alarm_description(self.description.clone())
            .namespace(&self.namespace)
            .metric_name(&self.metric_name)
            .set_dimensions(dimensions(self.dimensions.as_ref()))
            .set_statistic((!percentile).then(|| Statistic::from(statistic)))
            .set_extended_statistic(percentile.then(|| statistic.to_string()))
            .threshold(self.threshold)
            .comparison_operator(comparison(&self.comparison)?)
            .period(self.period.unwrap_or(300))
            .evaluation_periods(self.evaluation_periods.unwrap_or(1))
            .set_datapoints_to_alarm(self.datapoints_to_alarm)
            .treat_missing_data(self.treat_missing_data.as_deref().unwrap_or("missing"))
            .set_alarm_actions(self.alarm_actions.clone())
            .set_ok_actions(self.ok_actions.clone())
            .set_tags(cw_tags(self.tags.as_ref()))
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let minutes = self.period.unwrap_or(300) * self.evaluation_periods.unwrap_or(1) / 60;
        Ok(Output::new(
            format!(
                "{} {}: {} {} of {} {} {} over {} minute(s){}.",
                if before.is_some() {
                    "Replaced alarm"
                } else {
                    "Created alarm"
                },
                self.alarm_name,
                statistic,
                self.metric_name,
                self.namespace,
                self.comparison,
                self.threshold,
                minutes.max(1),
                match self.alarm_actions.as_ref().map_or(0, Vec::len) {
                    0 => ", notifying no one".to_string(),
                    n => format!(", notifying {n} topic(s)"),
                }
            ),
            json!({"alarm_name": self.alarm_name, "replaced": before}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteAlarms {
    pub alarm_names: Vec<String>,
}

impl Action for DeleteAlarms {
    const NAME: &'static str = "delete_alarms";
    const DESCRIPTION: &'static str = "Delete alarms";
    const ACCESS: Access = Access::Destructive;
    const RISK: Risk = Risk::Critical;

    fn validate(&self) -> Result<(), ToolError> {
        if self.alarm_names.is_empty() || self.alarm_names.len() > 100 {
            return Err(ToolError::invalid("alarm_names takes 1-100 names"));
        }
        self.alarm_names
            .iter()
            .try_for_each(|n| check_alarm_name(n))
    }

    fn targets(&self) -> Vec<Target> {
        self.alarm_names
            .iter()
            .map(|n| Target::new(Kind::Alarm, n))
            .collect()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let (metric, composite) = describe(&client, &self.alarm_names).await?;
        let found: Vec<String> = metric
            .iter()
            .filter_map(|a| a.alarm_name())
            .chain(composite.iter().filter_map(|a| a.alarm_name()))
            .map(str::to_string)
            .collect();
        let missing: Vec<&String> = self
            .alarm_names
            .iter()
            .filter(|n| !found.contains(n))
            .collect();
        if !missing.is_empty() {
            return Err(ToolError::Precondition {
                message: format!("no alarm named {missing:?}"),
                hint: "nothing was deleted; list_alarms shows the alarms".into(),
                details: json!({"missing": missing}),
            });
        }
        client
            .delete_alarms()
            .set_alarm_names(Some(self.alarm_names.clone()))
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        Ok(Output::new(
            format!("Deleted {} alarm(s).", found.len()),
            json!({"deleted": found,
                   "definitions": metric.iter().map(alarm_json).collect::<Vec<_>>()}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetAlarmState {
    pub alarm_name: String,
    /// OK, ALARM or INSUFFICIENT_DATA
    pub state: String,
    pub reason: String,
}

impl Action for SetAlarmState {
    const NAME: &'static str = "set_alarm_state";
    const DESCRIPTION: &'static str = "Force a state to test notifications";
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_alarm_name(&self.alarm_name)?;
        check_state(&self.state)?;
        if self.reason.is_empty() || self.reason.len() > 1023 {
            return Err(ToolError::invalid("reason is 1-1023 characters"));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::new(Kind::Alarm, &self.alarm_name)]
    }

    fn flags(&self) -> Vec<Flag> {
        vec![Flag::high("runs a production alarm's actions and pages its people").in_production()]
    }

    /// Forcing a state runs that state's actions; an action that is not an SNS topic (stop,
    /// terminate, reboot, scale, SSM) would change resources outside the guardrails: refused.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let (metric, composite) = describe(&client, std::slice::from_ref(&self.alarm_name)).await?;
        let actions: Vec<String> = if let Some(a) = metric.first() {
            match self.state.as_str() {
                "ALARM" => a.alarm_actions().to_vec(),
                "OK" => a.ok_actions().to_vec(),
                _ => a.insufficient_data_actions().to_vec(),
            }
        } else if let Some(a) = composite.first() {
            match self.state.as_str() {
                "ALARM" => a.alarm_actions().to_vec(),
                "OK" => a.ok_actions().to_vec(),
                _ => a.insufficient_data_actions().to_vec(),
            }
        } else {
            return Err(ToolError::Precondition {
                message: format!("no alarm named {}", self.alarm_name),
                hint: "nothing was changed; list_alarms shows the alarms".into(),
                details: json!({"alarm_name": self.alarm_name}),
            });
        };
        // A composite alarm over this one may change state with it and run its own actions.
        let parents = client
            .describe_alarms()
            .parents_of_alarm_name(&self.alarm_name)
            .alarm_types(AlarmType::CompositeAlarm)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let parent_actions: Vec<String> = parents
            .composite_alarms()
            .iter()
            .filter(|p| p.alarm_name() != Some(self.alarm_name.as_str()))
            .flat_map(|p| p.alarm_actions().iter().chain(p.ok_actions()))
            .cloned()
            .collect();
        let all: Vec<String> = actions.iter().chain(&parent_actions).cloned().collect();
        let acting = acting(&all);
        if !acting.is_empty() {
            return Err(ToolError::Precondition {
                message: format!(
                    "{} in {} would run {acting:?}, which act on resources",
                    self.alarm_name, self.state
                ),
                hint: "nothing was changed; only alarms whose actions for that state are SNS \
                       topics can be forced"
                    .into(),
                details: json!({"actions": actions}),
            });
        }
        client
            .set_alarm_state()
            .alarm_name(&self.alarm_name)
            .state_value(check_state(&self.state)?)
            .state_reason(&self.reason)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        Ok(Output::new(
            format!(
                "{} set to {}; {} topic(s) notified. CloudWatch sets it back at its next \
                 evaluation.",
                self.alarm_name,
                self.state,
                actions.len()
            ),
            json!({"alarm_name": self.alarm_name, "state": self.state, "actions": actions}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAnomalyDetector {
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: Option<BTreeMap<String, String>>,
    pub statistic: Option<String>,
    /// Also alarm when the metric leaves the band
    pub alarm_name: Option<String>,
    /// Standard deviations (default 2)
    pub band_width: Option<f64>,
    pub comparison: Option<String>,
    pub period: Option<i32>,
    pub evaluation_periods: Option<i32>,
    pub alarm_actions: Option<Vec<String>>,
    pub tags: Option<Tags>,
}

impl CreateAnomalyDetector {
    fn band_comparison(&self) -> Result<ComparisonOperator, ToolError> {
        Ok(match self.comparison.as_deref().unwrap_or("<>") {
            "<>" => ComparisonOperator::LessThanLowerOrGreaterThanUpperThreshold,
            ">" => ComparisonOperator::GreaterThanUpperThreshold,
            "<" => ComparisonOperator::LessThanLowerThreshold,
            other => {
                return Err(ToolError::invalid(format!(
                    "comparison for a band is <> (either side), > (above) or < (below), got \
                     '{other}'"
                )));
            }
        })
    }
}

impl Action for CreateAnomalyDetector {
    const NAME: &'static str = "create_anomaly_detector";
    const DESCRIPTION: &'static str = "Anomaly band, optional alarm on it";
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_metric(&self.namespace, &self.metric_name, self.dimensions.as_ref())?;
        if let Some(s) = &self.statistic {
            check_statistic(s)?;
        }
        match &self.alarm_name {
            Some(name) => {
                check_alarm_name(name)?;
                self.band_comparison()?;
                check_periods(self.period, self.evaluation_periods, None)?;
                check_actions("alarm_actions", self.alarm_actions.as_ref())?;
                if self.band_width.is_some_and(|w| !(w > 0.0 && w <= 10.0)) {
                    return Err(ToolError::invalid("band_width is more than 0, at most 10"));
                }
            }
            None if self.comparison.is_some()
                || self.band_width.is_some()
                || self.alarm_actions.is_some()
                || self.period.is_some()
                || self.evaluation_periods.is_some() =>
            {
                return Err(ToolError::invalid(
                    "comparison, band_width, period, evaluation_periods and alarm_actions are \
                     for the alarm: give alarm_name too",
                ));
            }
            None => {}
        }
        check_tags(self.tags.as_ref())
    }

    fn targets(&self) -> Vec<Target> {
        self.alarm_name
            .iter()
            .map(|n| Target::new(Kind::Alarm, n))
            .collect()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let statistic = self.statistic.as_deref().unwrap_or("Average");
        if let Some(name) = &self.alarm_name {
            let (metric, composite) = describe(&client, std::slice::from_ref(name)).await?;
            if !metric.is_empty() || !composite.is_empty() {
                return Err(ToolError::Precondition {
                    message: format!("an alarm named {name} exists"),
                    hint: "nothing was changed; choose another alarm_name".into(),
                    details: json!({"alarm_name": name}),
                });
            }
        }
        let detector = SingleMetricAnomalyDetector::builder()
            .namespace(&self.namespace)
            .metric_name(&self.metric_name)
            .set_dimensions(dimensions(self.dimensions.as_ref()))
            .stat(statistic)
            .build();
        // PutAnomalyDetector is idempotent: the same metric and statistic is one detector.
        client
            .put_anomaly_detector()
            .single_metric_anomaly_detector(detector)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let Some(name) = &self.alarm_name else {
            return Ok(Output::new(
                format!(
                    "Anomaly detection on {} {} ({statistic}); the model trains on up to two \
                     weeks of history before its band is useful.",
                    self.namespace, self.metric_name
                ),
                json!({"namespace": self.namespace, "metric_name": self.metric_name,
                       "statistic": statistic}),
            ));
        };
        let width = self.band_width.unwrap_or(2.0);
        let period = self.period.unwrap_or(300);
        let metric = aws_sdk_cloudwatch::types::Metric::builder()
            .namespace(&self.namespace)
            .metric_name(&self.metric_name)
            .set_dimensions(dimensions(self.dimensions.as_ref()))
            .build();
        let queries = vec![
            MetricDataQuery::builder()
                .id("m1")
                .metric_stat(
                    MetricStat::builder()
                        .metric(metric)
                        .period(period)
                        .stat(statistic)
                        .build(),
                )
                .return_data(true)
                .build(),
            MetricDataQuery::builder()
                .id("ad1")
                .expression(format!("ANOMALY_DETECTION_BAND(m1, {width})"))
                .label(format!("{} (expected)", self.metric_name))
                .return_data(true)
                .build(),
        ];
        client
            .put_metric_alarm()
            .alarm_name(name)
            .set_metrics(Some(queries))
            .threshold_metric_id("ad1")
            .comparison_operator(self.band_comparison()?)
            .evaluation_periods(self.evaluation_periods.unwrap_or(1))
            .treat_missing_data("missing")
            .set_alarm_actions(self.alarm_actions.clone())
            .set_tags(cw_tags(self.tags.as_ref()))
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        Ok(Output::new(
            format!(
                "Anomaly detection on {} {} ({statistic}) and alarm {name} when it leaves a \
                 band of {width} standard deviations.",
                self.namespace, self.metric_name
            ),
            json!({"namespace": self.namespace, "metric_name": self.metric_name,
                   "statistic": statistic, "alarm_name": name, "band_width": width}),
        ))
    }
}
