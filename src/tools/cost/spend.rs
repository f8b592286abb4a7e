//! Spend from Cost Explorer: the summary of a period grouped one way and compared with the
//! period of the same length before it; the forecast; anomalies with their root causes.

use std::collections::BTreeMap;

use aws_sdk_costexplorer::{
    Client,
    types::{
        AnomalyDateInterval, Granularity, GroupDefinition, GroupDefinitionType, Metric,
        ResultByTime,
    },
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Period, amount, ce_error, parse_date, prices::round, today};
use crate::{
    aws::paging::PageRequest,
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Risk, Target},
};

/// The most Cost Explorer pages one summary reads (each holds many groups).
const MAX_PAGES: usize = 20;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetCostSummary {
    /// this_month, last_month, last_N_days
    pub period: Option<String>,
    /// YYYY-MM-DD
    pub start: Option<String>,
    /// YYYY-MM-DD, excluded
    pub end: Option<String>,
    /// MONTHLY or DAILY
    pub granularity: Option<String>,
    /// service, linked_account, region, usage_type, tag:KEY
    pub group_by: Option<String>,
    // Top items shown (default 10, max 100).
    pub max_results: Option<u32>,
}

/// The metric summed: what the bill shows, before amortised commitments.
const METRIC: &str = "UnblendedCost";

impl GetCostSummary {
    fn group(&self) -> Result<GroupDefinition, ToolError> {
        let by = self.group_by.as_deref().unwrap_or("service");
        let (kind, key) = match by {
            "service" => (GroupDefinitionType::Dimension, "SERVICE"),
            "linked_account" => (GroupDefinitionType::Dimension, "LINKED_ACCOUNT"),
            "region" => (GroupDefinitionType::Dimension, "REGION"),
            "usage_type" => (GroupDefinitionType::Dimension, "USAGE_TYPE"),
            _ => match by.strip_prefix("tag:") {
                Some(k) if !k.is_empty() && k.len() <= 128 => (GroupDefinitionType::Tag, k),
                _ => {
                    return Err(ToolError::invalid(format!(
                        "group_by '{by}' is not service, linked_account, region, usage_type or \
                         tag:KEY"
                    )));
                }
            },
        };
        Ok(GroupDefinition::builder().r#type(kind).key(key).build())
    }

    fn granularity(&self) -> Result<Granularity, ToolError> {
        match self.granularity.as_deref().unwrap_or("MONTHLY") {
            "MONTHLY" => Ok(Granularity::Monthly),
            "DAILY" => Ok(Granularity::Daily),
            g => Err(ToolError::invalid(format!(
                "granularity '{g}' is not MONTHLY or DAILY"
            ))),
        }
    }

    fn period(&self) -> Result<Period, ToolError> {
        Period::parse(
            self.period.as_deref(),
            self.start.as_deref(),
            self.end.as_deref(),
            today(),
        )
    }
}

impl Action for GetCostSummary {
    const NAME: &'static str = "get_cost_summary";
    const DESCRIPTION: &'static str = "Spend by group vs the period before";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        self.group()?;
        self.granularity()?;
        self.period()?;
        if self.max_results.is_some_and(|n| n == 0 || n > 100) {
            return Err(ToolError::invalid("max_results must be 1 to 100"));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    /// Two queries, the period and the one before it, one after the other (grouped the same
    /// way), so that each group's change is computed from like with like.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let (group, granularity, metric) = (self.group()?, self.granularity()?, METRIC);
        let period = self.period()?;
        let previous = period.previous();
        let now = spend(&client, period, &granularity, metric, &group).await?;
        let before = spend(&client, previous, &granularity, metric, &group).await?;
        let top = self.max_results.unwrap_or(10) as usize;
        let currency = now.currency.clone().or(before.currency.clone());
        let total = round(now.total);
        let previous_total = round(before.total);
        let change = round(total - previous_total);
        let percent = (previous_total > 0.0).then(|| round(change / previous_total * 100.0));
        let mut ranked: Vec<(&String, &f64)> = now.groups.iter().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(a.1).then(a.0.cmp(b.0)));
        let items: Vec<Value> = ranked
            .iter()
            .take(top)
            .map(|(key, v)| {
                let was = before.groups.get(*key).copied().unwrap_or(0.0);
                json!({"key": key, "amount": round(**v), "previous": round(was),
                       "change": round(**v - was)})
            })
            .collect();
        let other: f64 = ranked.iter().skip(top).map(|(_, v)| **v).sum();
        let unit = currency.as_deref().unwrap_or("USD");
        let by = self.group_by.as_deref().unwrap_or("service");
        let mut summary = format!(
            "{metric} {} to {}: {total:.2} {unit}",
            period.start, period.end
        );
        summary.push_str(&match percent {
            Some(p) => format!(
                ", {change:+.2} ({p:+.1}%) against the {} days before",
                period.days()
            ),
            None => format!(", nothing in the {} days before", period.days()),
        });
        if let Some((key, v)) = ranked.first() {
            summary.push_str(&format!("; top {by}: {key} {:.2}", round(**v)));
        }
        summary.push('.');
        if now.estimated {
            summary.push_str(" Recent days are estimated.");
        }
        Ok(Output::new(
            summary,
            json!({
                "period": {"start": period.start.to_string(), "end": period.end.to_string(),
                           "days": period.days()},
                "previous_period": {"start": previous.start.to_string(),
                                    "end": previous.end.to_string()},
                "metric": metric,
                "granularity": granularity.as_str(),
                "group_by": by,
                "currency": currency,
                "total": total,
                "previous_total": previous_total,
                "change": change,
                "change_percent": percent,
                "groups": items,
                "groups_total": now.groups.len(),
                "other": (ranked.len() > top).then(|| round(other)),
                "by_time": now.by_time,
                "estimated": now.estimated,
            }),
        ))
    }
}

/// One period's spend, summed per group key across its time buckets.
struct Spend {
    total: f64,
    groups: BTreeMap<String, f64>,
    by_time: Vec<Value>,
    currency: Option<String>,
    estimated: bool,
}

async fn spend(
    client: &Client,
    period: Period,
    granularity: &Granularity,
    metric: &str,
    group: &GroupDefinition,
) -> Result<Spend, ToolError> {
    let mut results: Vec<ResultByTime> = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let out = client
            .get_cost_and_usage()
            .time_period(period.interval())
            .granularity(granularity.clone())
            .metrics(metric)
            .group_by(group.clone())
            .set_next_page_token(token.clone())
            .send()
            .await
            .map_err(ce_error)?;
        results.extend(out.results_by_time().iter().cloned());
        token = out.next_page_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    let mut s = Spend {
        total: 0.0,
        groups: BTreeMap::new(),
        by_time: Vec::new(),
        currency: None,
        estimated: false,
    };
    let mut buckets: BTreeMap<String, f64> = BTreeMap::new();
    for r in &results {
        let start = r
            .time_period()
            .map(|t| t.start().to_string())
            .unwrap_or_default();
        s.estimated |= r.estimated();
        let mut bucket = 0.0;
        if r.groups().is_empty()
            && let Some(m) = r.total().and_then(|t| t.get(metric))
        {
            bucket += amount(m.amount());
            s.currency = s.currency.take().or(m.unit().map(str::to_string));
        }
        for g in r.groups() {
            let Some(m) = g.metrics().and_then(|t| t.get(metric)) else {
                continue;
            };
            let v = amount(m.amount());
            s.currency = s.currency.take().or(m.unit().map(str::to_string));
            *s.groups.entry(group_key(g.keys())).or_default() += v;
            bucket += v;
        }
        *buckets.entry(start).or_default() += bucket;
        s.total += bucket;
    }
    s.by_time = buckets
        .into_iter()
        .map(|(start, v)| json!({"start": start, "amount": round(v)}))
        .collect();
    Ok(s)
}

/// A group's name: tag groups come as `Key$value` (`Key$` when untagged).
fn group_key(keys: &[String]) -> String {
    let k = keys.join(" / ");
    match k.split_once('$') {
        Some((_, "")) => "(untagged)".into(),
        Some((_, v)) => v.to_string(),
        None => k,
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ForecastCosts {
    pub end: Option<String>,
    pub granularity: Option<String>,
}

impl ForecastCosts {
    fn period(&self) -> Result<Period, ToolError> {
        let start = today();
        let end = match &self.end {
            Some(e) => parse_date("end", e)?,
            None => {
                let last = start.last_of_month();
                last.tomorrow()
                    .map_err(|e| ToolError::invalid(e.to_string()))?
            }
        };
        if end <= start {
            return Err(ToolError::invalid("end must be after today"));
        }
        Ok(Period { start, end })
    }
}

impl Action for ForecastCosts {
    const NAME: &'static str = "forecast_costs";
    const DESCRIPTION: &'static str = "Forecast with interval";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        self.period()?;
        match self.granularity.as_deref() {
            None | Some("MONTHLY" | "DAILY") => Ok(()),
            Some(g) => Err(ToolError::invalid(format!(
                "granularity '{g}' is not MONTHLY or DAILY"
            ))),
        }
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let period = self.period()?;
        // The interval Cost Explorer's console shows.
        let level = 80;
        let granularity = match self.granularity.as_deref() {
            Some("DAILY") => Granularity::Daily,
            _ => Granularity::Monthly,
        };
        let out = client
            .get_cost_forecast()
            .time_period(period.interval())
            .metric(Metric::UnblendedCost)
            .granularity(granularity)
            .prediction_interval_level(level)
            .send()
            .await
            .map_err(ce_error)?;
        let total = out.total().map(|t| amount(t.amount())).map(round);
        let unit = out
            .total()
            .and_then(|t| t.unit())
            .unwrap_or("USD")
            .to_string();
        let rows: Vec<Value> = out
            .forecast_results_by_time()
            .iter()
            .map(|r| {
                json!({
                    "start": r.time_period().map(|t| t.start()),
                    "end": r.time_period().map(|t| t.end()),
                    "mean": round(amount(r.mean_value())),
                    "low": round(amount(r.prediction_interval_lower_bound())),
                    "high": round(amount(r.prediction_interval_upper_bound())),
                })
            })
            .collect();
        let low: f64 = rows.iter().filter_map(|r| r["low"].as_f64()).sum();
        let high: f64 = rows.iter().filter_map(|r| r["high"].as_f64()).sum();
        let summary = match total {
            Some(t) => format!(
                "Forecast {} to {}: {t:.2} {unit} ({level}% interval {:.2} to {:.2}).",
                period.start,
                period.end,
                round(low),
                round(high)
            ),
            None => "Cost Explorer returned no forecast.".into(),
        };
        Ok(Output::new(
            summary,
            json!({
                "period": {"start": period.start.to_string(), "end": period.end.to_string()},
                "metric": "UnblendedCost",
                "currency": unit,
                "total": total,
                "prediction_interval": {"level": level, "low": round(low), "high": round(high)},
                "by_time": rows,
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetCostAnomalies {
    pub start: Option<String>,
    pub end: Option<String>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for GetCostAnomalies {
    const NAME: &'static str = "get_cost_anomalies";
    const DESCRIPTION: &'static str = "Anomalies, root causes (30 days)";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        if let Some(s) = &self.start {
            parse_date("start", s)?;
        }
        if let Some(e) = &self.end {
            parse_date("end", e)?;
        }
        PageRequest::new(self.max_results, self.next_token.as_deref())?;
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let end = match &self.end {
            Some(e) => e.clone(),
            None => today().to_string(),
        };
        let start = match &self.start {
            Some(s) => s.clone(),
            None => today()
                .checked_sub(jiff::ToSpan::days(30))
                .map_err(|e| ToolError::invalid(e.to_string()))?
                .to_string(),
        };
        let req = client
            .get_anomalies()
            .date_interval(
                AnomalyDateInterval::builder()
                    .start_date(&start)
                    .end_date(&end)
                    .build()
                    .map_err(|e| ToolError::invalid(e.to_string()))?,
            )
            .max_results(page.aws_page_size(1, 100))
            .set_next_page_token(page.aws_token.clone());
        let out = req.send().await.map_err(ce_error)?;
        let items: Vec<Value> = out
            .anomalies()
            .iter()
            .map(|a| {
                let impact = a.impact();
                json!({
                    "anomaly_id": a.anomaly_id(),
                    "start": a.anomaly_start_date(),
                    "end": a.anomaly_end_date(),
                    "dimension": a.dimension_value(),
                    "total_impact": impact.map(|i| round(i.total_impact())),
                    "max_impact": impact.map(|i| round(i.max_impact())),
                    "actual_spend": impact.and_then(|i| i.total_actual_spend()).map(round),
                    "expected_spend": impact.and_then(|i| i.total_expected_spend()).map(round),
                    "impact_percent": impact.and_then(|i| i.total_impact_percentage()).map(round),
                    "score": a.anomaly_score().map(|s| s.current_score()),
                    "root_causes": a.root_causes().iter().take(10).map(|r| json!({
                        "service": r.service(),
                        "region": r.region(),
                        "account": r.linked_account(),
                        "account_name": r.linked_account_name(),
                        "usage_type": r.usage_type(),
                    })).collect::<Vec<_>>(),
                    "monitor_arn": a.monitor_arn(),
                    "feedback": a.feedback().map(|f| f.as_str()),
                })
            })
            .collect();
        let (items, next) = page.finish(items, out.next_page_token().map(str::to_string));
        let impact: f64 = items
            .iter()
            .filter_map(|a| a["total_impact"].as_f64())
            .sum();
        Ok(Output::new(
            format!(
                "{} anomal{} from {start} to {end}, total impact {:.2}.",
                items.len(),
                if items.len() == 1 { "y" } else { "ies" },
                round(impact)
            ),
            json!({"start": start, "end": end, "anomalies": items}),
        )
        .with_next_token(next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_group_names() {
        assert_eq!(group_key(&["Environment$production".into()]), "production");
        assert_eq!(group_key(&["Environment$".into()]), "(untagged)");
        assert_eq!(group_key(&["Amazon EC2".into()]), "Amazon EC2");
    }
}
