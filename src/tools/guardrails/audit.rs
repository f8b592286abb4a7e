//! The audit log: notes, queries and summaries.

use schemars::JsonSchema;
use serde::Deserialize;

use super::*;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogAction {
    pub message: String,
    pub resource_ids: Option<Vec<String>>,
    pub environment: Option<Environment>,
}

impl Action for LogAction {
    const NAME: &'static str = "log_action";
    const DESCRIPTION: &'static str = "Add a note to the audit log";
    const ACCESS: Access = Access::Write;
    // Appends a note; the hash chain keeps every earlier record as it was.
    const RISK: Risk = Risk::Medium;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let record = AuditRecord {
            kind: "note".into(),
            correlation_id: new_id("note"),
            actor: cx.caller.requester.clone(),
            tool: "aws_guardrails".into(),
            action: "log_action".into(),
            targets: self.resource_ids.unwrap_or_default(),
            outcome: "logged".into(),
            // Cut to the record's bound when appended.
            detail: self.message,
            environment: self.environment.map(|e| e.as_str().to_string()),
            region: cx.region(),
            ..AuditRecord::default()
        };
        let seq = store(cx).run(move |s| s.append_audit(&record)).await?;
        Ok(Output::new(
            format!("Logged as audit record {seq}."),
            json!({"seq": seq}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryAuditLogs {
    pub filter_tool: Option<String>,
    pub filter_action: Option<String>,
    /// e.g. ok, refused
    pub outcome: Option<String>,
    pub environment: Option<Environment>,
    /// RFC 3339
    pub since: Option<String>,
    /// RFC 3339 (default now)
    pub until: Option<String>,
    pub max_results: Option<u32>,
    /// next_token of the previous page
    pub next_token: Option<String>,
}

impl Action for QueryAuditLogs {
    const NAME: &'static str = "query_audit_logs";
    const DESCRIPTION: &'static str = "Audit records, newest first";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        // Newest first, paged by sequence number so records appended meanwhile do not
        // shift the pages.
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let q = AuditQuery {
            tool: self.filter_tool,
            action: self.filter_action,
            outcome: self.outcome,
            environment: self.environment.map(|e| e.as_str().to_string()),
            since: parse_time(self.since.as_deref(), "since")?,
            until: parse_time(self.until.as_deref(), "until")?,
            before_seq: page.aws_token.as_deref().and_then(|t| t.parse().ok()),
        };
        let limit = page.limit;
        let (entries, more) = store(cx).run(move |s| s.query_audit(&q, limit)).await?;
        let cursor = entries.last().filter(|_| more).map(|e| e.seq.to_string());
        let (entries, next) = PageRequest { skip: 0, ..page }.finish(entries, cursor);
        Ok(Output::new(
            format!("{} audit record(s).", entries.len()),
            json!({"records": entries}),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetAuditLogSummary {
    /// RFC 3339
    pub since: Option<String>,
    /// RFC 3339 (default now)
    pub until: Option<String>,
}

impl Action for GetAuditLogSummary {
    const NAME: &'static str = "get_audit_log_summary";
    const DESCRIPTION: &'static str = "Totals by outcome and action (default last 24 h)";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let until = parse_time(self.until.as_deref(), "until")?.unwrap_or_else(now);
        let since = parse_time(self.since.as_deref(), "since")?.unwrap_or(until - 86_400);
        let summary = store(cx)
            .run(move |s| s.audit_summary(since, until))
            .await?;
        Ok(Output::new(
            format!("{} call(s) in the period.", summary["total"]),
            summary,
        ))
    }
}
