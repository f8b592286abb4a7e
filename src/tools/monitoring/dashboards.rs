//! CloudWatch dashboards. `create_dashboard` builds the body as data from named metrics (one
//! graph per widget, two widgets a row) and never overwrites a dashboard unless told to.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::Client;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{check_metric, check_statistic};
use crate::{
    aws::{cloudwatch::get_body, paging::PageRequest},
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Flag, Kind, Risk, Target},
};

/// A body at most this long is returned whole by `get_dashboard`.
const MAX_BODY_SHOWN: usize = 16 * 1024;
const VIEWS: &[&str] = &["timeSeries", "singleValue", "bar", "pie", "gauge"];

fn check_dashboard_name(name: &str) -> Result<(), ToolError> {
    if name.is_empty()
        || name.len() > 255
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(ToolError::invalid(format!(
            "dashboard names are 1-255 letters, digits, '-' or '_', got '{name}'"
        )));
    }
    Ok(())
}

/// One metric on a widget.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WidgetMetric {
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: Option<BTreeMap<String, String>>,
    pub statistic: Option<String>,
}

/// One graph.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Widget {
    pub title: Option<String>,
    pub metrics: Vec<WidgetMetric>,
    /// timeSeries (default), singleValue, bar, pie or gauge
    pub view: Option<String>,
    /// Seconds (default 300)
    pub period: Option<i32>,
}

/// The dashboard body: widgets two a row, each metric as
/// `[namespace, name, dim, value, ..., {"stat": s}]`.
pub fn body(widgets: &[Widget], region: &str) -> Value {
    let widgets: Vec<Value> = widgets
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let metrics: Vec<Value> = w
                .metrics
                .iter()
                .map(|m| {
                    let mut row = vec![json!(m.namespace), json!(m.metric_name)];
                    for (k, v) in m.dimensions.iter().flatten() {
                        row.push(json!(k));
                        row.push(json!(v));
                    }
                    row.push(json!({"stat": m.statistic.as_deref().unwrap_or("Average")}));
                    Value::Array(row)
                })
                .collect();
            let title = w.title.clone().unwrap_or_else(|| {
                w.metrics
                    .iter()
                    .map(|m| m.metric_name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            });
            json!({
                "type": "metric",
                "x": (i % 2) * 12,
                "y": (i / 2) * 6,
                "width": 12,
                "height": 6,
                "properties": {
                    "title": title,
                    "view": w.view.as_deref().unwrap_or("timeSeries"),
                    "region": region,
                    "period": w.period.unwrap_or(300),
                    "metrics": metrics,
                },
            })
        })
        .collect();
    json!({ "widgets": widgets })
}

/// A body's widgets in short: type, title and metrics.
fn widgets_summary(body: &Value) -> Vec<Value> {
    body["widgets"]
        .as_array()
        .map(|ws| {
            ws.iter()
                .take(100)
                .map(|w| {
                    let metrics: Vec<String> = w["properties"]["metrics"]
                        .as_array()
                        .map(|ms| {
                            ms.iter()
                                .filter_map(Value::as_array)
                                .map(|m| {
                                    m.iter()
                                        .filter_map(Value::as_str)
                                        .collect::<Vec<_>>()
                                        .join(" ")
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    json!({"type": w["type"], "title": w["properties"]["title"],
                           "metrics": metrics})
                })
                .collect()
        })
        .unwrap_or_default()
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDashboard {
    pub dashboard_name: String,
    pub widgets: Vec<Widget>,
    pub replace: Option<bool>,
}

impl Action for CreateDashboard {
    const NAME: &'static str = "create_dashboard";
    const DESCRIPTION: &'static str = "Graphs of named metrics";
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_dashboard_name(&self.dashboard_name)?;
        if self.widgets.is_empty() || self.widgets.len() > 50 {
            return Err(ToolError::invalid("widgets takes 1-50 graphs"));
        }
        for (i, w) in self.widgets.iter().enumerate() {
            if w.metrics.is_empty() || w.metrics.len() > 20 {
                return Err(ToolError::invalid(format!(
                    "widget {i}: metrics takes 1-20 metrics"
                )));
            }
            if let Some(v) = &w.view
                && !VIEWS.contains(&v.as_str())
            {
                return Err(ToolError::invalid(format!(
                    "widget {i}: view must be one of {VIEWS:?}"
                )));
            }
            if w.period.is_some_and(|p| p < 1 || (p > 60 && p % 60 != 0)) {
                return Err(ToolError::invalid(format!(
                    "widget {i}: period is 1-60 seconds or a multiple of 60"
                )));
            }
            if w.title.as_ref().is_some_and(|t| t.len() > 255) {
                return Err(ToolError::invalid(format!(
                    "widget {i}: title is at most 255 characters"
                )));
            }
            for m in &w.metrics {
                check_metric(&m.namespace, &m.metric_name, m.dimensions.as_ref())?;
                if let Some(s) = &m.statistic {
                    check_statistic(s)?;
                }
            }
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::new(Kind::Dashboard, &self.dashboard_name)]
    }

    fn flags(&self) -> Vec<Flag> {
        if self.replace == Some(true) {
            vec![Flag::high("overwrites an existing dashboard").in_production()]
        } else {
            Vec::new()
        }
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let before = get_body(&client, &self.dashboard_name).await?;
        if before.is_some() && self.replace != Some(true) {
            return Err(ToolError::Precondition {
                message: format!("a dashboard named {} exists", self.dashboard_name),
                hint: "nothing was changed; PutDashboard would overwrite it: choose another \
                       dashboard_name, or repeat with replace: true"
                    .into(),
                details: json!({"dashboard_name": self.dashboard_name}),
            });
        }
        let region = client
            .config()
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| "us-east-1".into());
        let body = body(&self.widgets, &region).to_string();
        let out = client
            .put_dashboard()
            .dashboard_name(&self.dashboard_name)
            .dashboard_body(&body)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let warnings: Vec<Value> = out
            .dashboard_validation_messages()
            .iter()
            .map(|m| json!({"at": m.data_path(), "message": m.message()}))
            .collect();
        Ok(Output::new(
            format!(
                "{} dashboard {} with {} widget(s){}.",
                if before.is_some() {
                    "Replaced"
                } else {
                    "Created"
                },
                self.dashboard_name,
                self.widgets.len(),
                if warnings.is_empty() {
                    String::new()
                } else {
                    format!("; CloudWatch warns of {} thing(s)", warnings.len())
                }
            ),
            json!({"dashboard_name": self.dashboard_name, "body_bytes": body.len(),
                   "warnings": warnings, "replaced_body": before}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListDashboards {
    pub prefix: Option<String>,
    pub next_token: Option<String>,
}

impl Action for ListDashboards {
    const NAME: &'static str = "list_dashboards";
    const DESCRIPTION: &'static str = "Dashboards";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        if let Some(p) = &self.prefix {
            check_dashboard_name(p)?;
        }
        PageRequest::new(None, self.next_token.as_deref()).map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let page = PageRequest::new(None, self.next_token.as_deref())?;
        let client: Client = cx.client().await;
        let out = client
            .list_dashboards()
            .set_dashboard_name_prefix(self.prefix.clone())
            .set_next_token(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let items: Vec<Value> = out
            .dashboard_entries()
            .iter()
            .map(|d| {
                json!({
                    "dashboard_name": d.dashboard_name(),
                    "modified": d.last_modified().map(crate::aws::time),
                    "size": d.size(),
                })
            })
            .collect();
        let (items, next) = page.finish(items, out.next_token().map(str::to_string));
        Ok(Output::new(
            format!("{} dashboard(s).", items.len()),
            json!({"dashboards": items}),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetDashboard {
    pub dashboard_name: String,
}

impl Action for GetDashboard {
    const NAME: &'static str = "get_dashboard";
    const DESCRIPTION: &'static str = "Widgets and body";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_dashboard_name(&self.dashboard_name)
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::new(Kind::Dashboard, &self.dashboard_name)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let Some(raw) = get_body(&client, &self.dashboard_name).await? else {
            return Err(ToolError::Precondition {
                message: format!("there is no dashboard {}", self.dashboard_name),
                hint: "list_dashboards shows the dashboards".into(),
                details: json!({"dashboard_name": self.dashboard_name}),
            });
        };
        let parsed: Value = serde_json::from_str(&raw).unwrap_or(Value::Null);
        let widgets = widgets_summary(&parsed);
        Ok(Output::new(
            format!(
                "Dashboard {}: {} widget(s), {} bytes.",
                self.dashboard_name,
                parsed["widgets"].as_array().map_or(0, Vec::len),
                raw.len()
            ),
            json!({
                "dashboard_name": self.dashboard_name,
                "widgets": widgets,
                "body": (raw.len() <= MAX_BODY_SHOWN).then_some(parsed),
                "body_bytes": raw.len(),
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteDashboard {
    pub dashboard_name: String,
}

impl Action for DeleteDashboard {
    const NAME: &'static str = "delete_dashboard";
    const DESCRIPTION: &'static str = "Delete a dashboard";
    const ACCESS: Access = Access::Destructive;
    const RISK: Risk = Risk::Critical;

    fn validate(&self) -> Result<(), ToolError> {
        check_dashboard_name(&self.dashboard_name)
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::new(Kind::Dashboard, &self.dashboard_name)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let Some(raw) = get_body(&client, &self.dashboard_name).await? else {
            return Err(ToolError::Precondition {
                message: format!("there is no dashboard {}", self.dashboard_name),
                hint: "nothing was deleted; list_dashboards shows the dashboards".into(),
                details: json!({"dashboard_name": self.dashboard_name}),
            });
        };
        client
            .delete_dashboards()
            .dashboard_names(&self.dashboard_name)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        Ok(Output::new(
            format!("Deleted dashboard {}.", self.dashboard_name),
            json!({
                "dashboard_name": self.dashboard_name,
                "body": (raw.len() <= MAX_BODY_SHOWN).then(|| serde_json::from_str::<Value>(&raw).ok()),
            }),
        ))
    }
}
