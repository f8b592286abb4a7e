//! CloudWatch Logs: log groups with their retention and size, events matching a plain filter
//! newest first, Logs Insights queries polled to completion, and retention changes.

use aws_sdk_cloudwatchlogs::Client;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{check_log_group, window};
use crate::{
    aws::paging::PageRequest,
    error::ToolError,
    output::{MAX_PAGE, Output},
    registry::{Access, Action, Cx, Flag, Kind, Risk, Target},
    tools::containers::services::{cut, literal_pattern},
};

/// The retention periods CloudWatch Logs accepts, in days.
const RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FilterLogEvents {
    pub log_group: String,
    pub filter: Option<String>,
    pub stream_prefix: Option<String>,
    pub minutes: Option<u32>,
    pub max_results: Option<u32>,
}

/// Events read at most per call, the newest kept.
const MAX_SCANNED: usize = 20_000;
/// How long `query_logs` waits for Logs Insights before it stops the query.
const QUERY_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryLogs {
    pub log_groups: Vec<String>,
    /// Logs Insights query, e.g. "fields @timestamp, @message | filter @message like /ERROR/"
    pub query: String,
    pub minutes: Option<u32>,
    pub max_results: Option<u32>,
}

impl Action for QueryLogs {
    const NAME: &'static str = "query_logs";
    const DESCRIPTION: &'static str = "Logs Insights query, waited for";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        if self.log_groups.is_empty() || self.log_groups.len() > 50 {
            return Err(ToolError::invalid("log_groups takes 1-50 log groups"));
        }
        self.log_groups
            .iter()
            .try_for_each(|g| check_log_group(g))?;
        if self.query.trim().is_empty() || self.query.len() > 10_000 {
            return Err(ToolError::invalid("query is 1-10000 characters"));
        }
        window(self.minutes, 60 * 24 * 30)?;
        if self
            .max_results
            .is_some_and(|n| n == 0 || n as usize > MAX_PAGE)
        {
            return Err(ToolError::invalid(format!(
                "max_results must be 1-{MAX_PAGE}"
            )));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        self.log_groups
            .iter()
            .map(|g| Target::new(Kind::LogGroup, g))
            .collect()
    }

    /// Starts the query and polls it (250 ms, doubling to 2 s) until it ends; past
    /// [`QUERY_WAIT`] it is stopped and what it found so far is returned, marked partial.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        use aws_sdk_cloudwatchlogs::types::QueryStatus;
        let (start, end) = window(self.minutes, 60 * 24 * 30)?;
        let limit = self.max_results.unwrap_or(100) as i32;
        let client: Client = cx.client().await;
        let id = client
            .start_query()
            .set_log_group_names(Some(self.log_groups.clone()))
            .query_string(&self.query)
            .start_time(start / 1000)
            .end_time(end / 1000)
            .limit(limit)
            .send()
            .await
            .map_err(ToolError::from_sdk)?
            .query_id()
            .unwrap_or_default()
            .to_string();
        let started = std::time::Instant::now();
        let mut pause = std::time::Duration::from_millis(250);
        let (out, timed_out) = loop {
            let out = client
                .get_query_results()
                .query_id(&id)
                .send()
                .await
                .map_err(ToolError::from_sdk)?;
            let running = matches!(
                out.status(),
                Some(QueryStatus::Scheduled | QueryStatus::Running) | None
            );
            if !running {
                break (out, false);
            }
            if started.elapsed() >= QUERY_WAIT {
                // Stopping is best effort: the results read so far are returned either way.
                let _ = client.stop_query().query_id(&id).send().await;
                break (out, true);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(std::time::Duration::from_secs(2));
        };
        let status = out
            .status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default();
        if matches!(
            out.status(),
            Some(QueryStatus::Failed | QueryStatus::Cancelled)
        ) {
            return Err(ToolError::Precondition {
                message: format!("the Logs Insights query ended {status}"),
                hint: "check the query's syntax and the log groups' names".into(),
                details: json!({"query_id": id, "status": status}),
            });
        }
        let rows: Vec<Value> = out
            .results()
            .iter()
            .take(limit as usize)
            .map(|row| {
                row.iter()
                    .filter(|f| f.field() != Some("@ptr"))
                    .map(|f| {
                        (
                            f.field().unwrap_or_default().to_string(),
                            Value::from(cut(f.value().unwrap_or_default())),
                        )
                    })
                    .collect::<serde_json::Map<_, _>>()
                    .into()
            })
            .collect();
        let stats = out.statistics();
        let mut data = json!({
            "query_id": id,
            "status": status,
            "rows": rows,
            "records_matched": stats.map(|s| s.records_matched()),
            "records_scanned": stats.map(|s| s.records_scanned()),
            "bytes_scanned": stats.map(|s| s.bytes_scanned()),
        });
        if timed_out {
            data["note"] = json!(format!(
                "the query ran past {} s and was stopped; these are the rows it had found: \
                 narrow the time range or the log groups",
                QUERY_WAIT.as_secs()
            ));
        }
        Ok(Output::new(
            format!(
                "{} row(s) from {} log group(s) over {} minute(s){}.",
                rows.len(),
                self.log_groups.len(),
                self.minutes.unwrap_or(60),
                if timed_out { ", partial (stopped)" } else { "" }
            ),
            data,
        ))
    }
}

impl Action for FilterLogEvents {
    const NAME: &'static str = "filter_log_events";
    const DESCRIPTION: &'static str = "Events, newest first";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_log_group(&self.log_group)?;
        window(self.minutes, 60 * 24 * 14)?;
        if self
            .filter
            .as_ref()
            .is_some_and(|f| f.is_empty() || f.len() > 1000)
        {
            return Err(ToolError::invalid("filter is 1-1000 characters"));
        }
        if self.max_results == Some(0) {
            return Err(ToolError::invalid("max_results must be at least 1"));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::new(Kind::LogGroup, &self.log_group)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let (start, end) = window(self.minutes, 60 * 24 * 14)?;
        let limit = self.max_results.map_or(50, |n| (n as usize).min(MAX_PAGE));
        let client: Client = cx.client().await;
        let mut pages = client
            .filter_log_events()
            .log_group_name(&self.log_group)
            .set_log_stream_name_prefix(self.stream_prefix.clone())
            .start_time(start)
            .end_time(end)
            .set_filter_pattern(self.filter.as_deref().map(literal_pattern))
            .into_paginator()
            .send();
        let mut kept: Vec<(i64, String, String)> = Vec::new();
        let mut scanned = 0usize;
        let mut partial = false;
        while let Some(page) = pages.next().await {
            let page = page.map_err(ToolError::from_sdk)?;
            let prefix = self.stream_prefix.as_deref().unwrap_or_default();
            // Checked again: an endpoint that ignores the prefix (moto) must not widen it.
            for e in page
                .events()
                .iter()
                .filter(|e| e.log_stream_name().unwrap_or_default().starts_with(prefix))
            {
                scanned += 1;
                kept.push((
                    e.timestamp().unwrap_or_default(),
                    e.log_stream_name().unwrap_or_default().to_string(),
                    cut(e.message().unwrap_or_default()),
                ));
            }
            if kept.len() > 2 * limit {
                kept.sort_by_key(|(t, ..)| std::cmp::Reverse(*t));
                kept.truncate(limit);
            }
            if scanned >= MAX_SCANNED {
                partial = true;
                break;
            }
        }
        kept.sort_by_key(|(t, ..)| std::cmp::Reverse(*t));
        kept.truncate(limit);
        let events: Vec<Value> = kept
            .iter()
            .map(|(t, stream, m)| {
                json!({
                    "at": jiff::Timestamp::from_millisecond(*t).map(|t| t.to_string()).ok(),
                    "stream": stream,
                    "message": m,
                })
            })
            .collect();
        let mut data = json!({"log_group": self.log_group, "events": events});
        if partial {
            data["note"] = json!(format!(
                "stopped after reading {MAX_SCANNED} events; these are the newest of those, not \
                 of the whole window: use fewer minutes or a filter"
            ));
        }
        Ok(Output::new(
            format!(
                "{} event(s) in {}{}.",
                events.len(),
                self.log_group,
                self.filter
                    .as_ref()
                    .map(|f| format!(" matching '{f}'"))
                    .unwrap_or_default()
            ),
            data,
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListLogGroups {
    pub prefix: Option<String>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListLogGroups {
    const NAME: &'static str = "list_log_groups";
    const DESCRIPTION: &'static str = "Retention, size";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        if let Some(p) = &self.prefix {
            check_log_group(p)?;
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
            .describe_log_groups()
            .set_log_group_name_prefix(self.prefix.clone())
            .limit(page.aws_page_size(1, 50))
            .set_next_token(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let items: Vec<Value> = out
            .log_groups()
            .iter()
            .map(|g| {
                json!({
                    "log_group": g.log_group_name(),
                    "retention_days": g.retention_in_days(),
                    "stored_bytes": g.stored_bytes(),
                    "created_at": g.creation_time()
                        .and_then(|t| jiff::Timestamp::from_millisecond(t).ok())
                        .map(|t| t.to_string()),
                })
            })
            .collect();
        let (items, next) = page.finish(items, out.next_token().map(str::to_string));
        let forever = items
            .iter()
            .filter(|g| g["retention_days"].is_null())
            .count();
        Ok(Output::new(
            format!(
                "{} log group(s){}.",
                items.len(),
                if forever > 0 {
                    format!(", {forever} keeping logs forever")
                } else {
                    String::new()
                }
            ),
            json!({"log_groups": items}),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetLogRetention {
    pub log_group: String,
    pub days: u32,
    pub shorten: Option<bool>,
}

impl Action for SetLogRetention {
    const NAME: &'static str = "set_log_retention";
    const DESCRIPTION: &'static str = "Set retention";
    const ACCESS: Access = Access::Write;
    // Keeping logs longer harms nothing; shortening is high (flag, and checked in run).
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_log_group(&self.log_group)?;
        if !RETENTION_DAYS.contains(&self.days) {
            return Err(ToolError::invalid(format!(
                "days must be one of {RETENTION_DAYS:?}"
            )));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::new(Kind::LogGroup, &self.log_group)]
    }

    fn flags(&self) -> Vec<Flag> {
        if self.shorten == Some(true) {
            vec![Flag::high(
                "shortens retention: logs older than the new period are deleted for good",
            )]
        } else {
            Vec::new()
        }
    }

    /// The current retention is read first: a shortening the call did not declare
    /// (`shorten: true`, which made it high risk before the guardrails) is refused.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let groups = client
            .describe_log_groups()
            .log_group_name_prefix(&self.log_group)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let Some(group) = groups
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(self.log_group.as_str()))
        else {
            return Err(ToolError::Precondition {
                message: format!("there is no log group {}", self.log_group),
                hint: "nothing was changed; list_log_groups shows the log groups".into(),
                details: json!({"log_group": self.log_group}),
            });
        };
        // No retention means logs are kept forever: any period shortens it.
        let before = group.retention_in_days();
        let shortens = before.is_none_or(|b| (self.days as i32) < b);
        if shortens && self.shorten != Some(true) {
            return Err(ToolError::Precondition {
                message: format!(
                    "{} keeps logs {}; {} days would delete older logs",
                    self.log_group,
                    before.map_or("forever".into(), |b| format!("{b} days")),
                    self.days
                ),
                hint: "nothing was changed; repeat with shorten: true to delete them (high risk)"
                    .into(),
                details: json!({"retention_days_before": before}),
            });
        }
        client
            .put_retention_policy()
            .log_group_name(&self.log_group)
            .retention_in_days(self.days as i32)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        Ok(Output::new(
            format!(
                "{} now keeps logs {} days (was {}).",
                self.log_group,
                self.days,
                before.map_or("forever".into(), |b| format!("{b} days"))
            ),
            json!({"log_group": self.log_group, "retention_days": self.days,
                   "retention_days_before": before}),
        ))
    }
}
