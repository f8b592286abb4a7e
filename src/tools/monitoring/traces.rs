//! X-Ray: one trace with its segments, trace summaries over a time range, the service graph.

use aws_sdk_xray::{Client, primitives::DateTime};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::window;
use crate::{
    aws::paging::PageRequest,
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Risk, Target},
};

/// X-Ray keeps traces 30 days and takes at most 24 hours per query.
const MAX_MINUTES: u32 = 24 * 60;
/// Segments shown per trace.
const MAX_SEGMENTS: usize = 200;

fn check_trace_id(id: &str) -> Result<(), ToolError> {
    let parts: Vec<&str> = id.split('-').collect();
    let hex = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_hexdigit());
    if !(parts.len() == 3 && parts[0] == "1" && hex(parts[1], 8) && hex(parts[2], 24)) {
        return Err(ToolError::invalid(format!(
            "trace_id must look like 1-5f84c7a1-0123456789abcdef01234567, got '{id}'"
        )));
    }
    Ok(())
}

/// Whole seconds: X-Ray takes fractions, but emulators parse integers only.
fn secs(ms: i64) -> DateTime {
    DateTime::from_secs(ms / 1000)
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetTrace {
    pub trace_id: String,
}

impl Action for GetTrace {
    const NAME: &'static str = "get_trace";
    const DESCRIPTION: &'static str = "Segments, timing, errors";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_trace_id(&self.trace_id)
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let out = client
            .batch_get_traces()
            .trace_ids(&self.trace_id)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let Some(trace) = out.traces().first() else {
            return Err(ToolError::Precondition {
                message: format!("X-Ray has no trace {}", self.trace_id),
                hint: "traces are kept 30 days; get_trace_summaries finds recent ones".into(),
                details: json!({"trace_id": self.trace_id}),
            });
        };
        let mut segments: Vec<Value> = trace
            .segments()
            .iter()
            .filter_map(|s| serde_json::from_str::<Value>(s.document()?).ok())
            .map(|d| segment_json(&d))
            .collect();
        segments.sort_by(|a, b| {
            a["start"]
                .as_f64()
                .partial_cmp(&b["start"].as_f64())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let total = segments.len();
        segments.truncate(MAX_SEGMENTS);
        let failing: Vec<&str> = segments
            .iter()
            .filter(|s| s["error"] == true || s["fault"] == true)
            .filter_map(|s| s["name"].as_str())
            .collect();
        Ok(Output::new(
            format!(
                "Trace {}: {total} segment(s), {:.3} s{}.",
                self.trace_id,
                trace.duration().unwrap_or_default(),
                if failing.is_empty() {
                    ", no errors".to_string()
                } else {
                    format!(", errors in {}", failing.join(", "))
                }
            ),
            json!({
                "trace_id": self.trace_id,
                "duration": trace.duration(),
                "segments": segments,
                "segments_total": total,
            }),
        ))
    }
}

/// What matters of a segment document: name, timing, errors, HTTP and its subsegments' names.
fn segment_json(d: &Value) -> Value {
    let start = d["start_time"].as_f64();
    let end = d["end_time"].as_f64();
    let subsegments: Vec<&str> = d["subsegments"]
        .as_array()
        .map(|s| {
            s.iter()
                .filter_map(|s| s["name"].as_str())
                .take(20)
                .collect()
        })
        .unwrap_or_default();
    json!({
        "id": d["id"],
        "name": d["name"],
        "parent_id": d.get("parent_id"),
        "start": start,
        "duration": start.zip(end).map(|(s, e)| ((e - s) * 1000.0).round() / 1000.0),
        "in_progress": d.get("in_progress"),
        "error": d["error"].as_bool().unwrap_or(false),
        "fault": d["fault"].as_bool().unwrap_or(false),
        "throttle": d["throttle"].as_bool().unwrap_or(false),
        "http": d.get("http"),
        "cause": d["cause"]["exceptions"].get(0).map(|e| json!({"type": e["type"], "message": e["message"]})),
        "subsegments": subsegments,
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetTraceSummaries {
    pub filter: Option<String>,
    pub minutes: Option<u32>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for GetTraceSummaries {
    const NAME: &'static str = "get_trace_summaries";
    const DESCRIPTION: &'static str = "Recent traces";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        window(self.minutes, MAX_MINUTES)?;
        if self
            .filter
            .as_ref()
            .is_some_and(|f| f.is_empty() || f.len() > 2000)
        {
            return Err(ToolError::invalid("filter is 1-2000 characters"));
        }
        PageRequest::new(self.max_results, self.next_token.as_deref()).map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let (start, end) = window(self.minutes, MAX_MINUTES)?;
        let client: Client = cx.client().await;
        let out = client
            .get_trace_summaries()
            .start_time(secs(start))
            .end_time(secs(end))
            .set_filter_expression(self.filter.clone())
            .set_next_token(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let items: Vec<Value> = out
            .trace_summaries()
            .iter()
            .map(|t| {
                let http = t.http();
                json!({
                    "trace_id": t.id(),
                    "start": t.start_time().map(crate::aws::time),
                    "duration": t.duration(),
                    "response_time": t.response_time(),
                    "error": t.has_error(),
                    "fault": t.has_fault(),
                    "throttle": t.has_throttle(),
                    "method": http.and_then(|h| h.http_method()),
                    "url": http.and_then(|h| h.http_url()),
                    "status": http.and_then(|h| h.http_status()),
                    "entry_point": t.entry_point().and_then(|e| e.name()),
                })
            })
            .collect();
        let (items, next) = page.finish(items, out.next_token().map(str::to_string));
        let failing = items
            .iter()
            .filter(|t| t["error"] == true || t["fault"] == true)
            .count();
        Ok(Output::new(
            format!(
                "{} trace(s) in the last {} minute(s), {failing} with errors or faults.",
                items.len(),
                self.minutes.unwrap_or(60)
            ),
            json!({"traces": items}),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetServiceGraph {
    pub minutes: Option<u32>,
}

impl Action for GetServiceGraph {
    const NAME: &'static str = "get_service_graph";
    const DESCRIPTION: &'static str = "Services, calls, errors";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        window(self.minutes, MAX_MINUTES).map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let (start, end) = window(self.minutes, MAX_MINUTES)?;
        let client: Client = cx.client().await;
        let mut services = Vec::new();
        let mut pages = client
            .get_service_graph()
            .start_time(secs(start))
            .end_time(secs(end))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(ToolError::from_sdk)?;
            services.extend(page.services().to_vec());
            if services.len() >= 500 {
                break;
            }
        }
        let names: std::collections::HashMap<i32, String> = services
            .iter()
            .filter_map(|s| Some((s.reference_id()?, s.name()?.to_string())))
            .collect();
        let items: Vec<Value> = services
            .iter()
            .map(|s| {
                let st = s.summary_statistics();
                json!({
                    "name": s.name(),
                    "type": s.r#type(),
                    "root": s.root(),
                    "requests": st.and_then(|s| s.total_count()),
                    "ok": st.and_then(|s| s.ok_count()),
                    "errors": st.and_then(|s| s.error_statistics()).and_then(|e| e.total_count()),
                    "faults": st.and_then(|s| s.fault_statistics()).and_then(|f| f.total_count()),
                    "calls": s.edges().iter()
                        .filter_map(|e| names.get(&e.reference_id()?))
                        .collect::<Vec<_>>(),
                })
            })
            .collect();
        Ok(Output::new(
            format!(
                "{} service(s) in the last {} minute(s).",
                items.len(),
                self.minutes.unwrap_or(60)
            ),
            json!({"services": items}),
        ))
    }
}
