//! CloudWatch Synthetics heartbeat canaries: a fixed script (load the URL, fail on anything
//! but a 2xx answer) zipped in memory, run on a schedule by its execution role, its artifacts
//! in an S3 bucket. The script is built here from the URL, JSON-quoted, so a URL cannot carry
//! code into it.

use aws_sdk_synthetics::{
    Client,
    primitives::Blob,
    types::{CanaryCodeInput, CanaryRunConfigInput, CanaryScheduleInput},
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    aws::paging::PageRequest,
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Kind, Risk, Tags, Target},
    tools::{check_tags, lambda::zip::zip},
};

/// The newest Node.js and Puppeteer runtime when this was written.
const DEFAULT_RUNTIME: &str = "syn-nodejs-puppeteer-15.0";

fn check_canary_name(name: &str) -> Result<(), ToolError> {
    if name.is_empty()
        || name.len() > 255
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Err(ToolError::invalid(format!(
            "canary names are 1-255 lowercase letters, digits, '-' or '_', got '{name}'"
        )));
    }
    Ok(())
}

/// `syn-nodejs-puppeteer-<major>.<minor>`, as (major, minor).
fn puppeteer_version(runtime: &str) -> Option<(u32, u32)> {
    let (major, minor) = runtime
        .strip_prefix("syn-nodejs-puppeteer-")?
        .split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// The bucket of `s3://bucket/prefix` or `bucket`.
fn bucket_of(location: &str) -> &str {
    location
        .strip_prefix("s3://")
        .unwrap_or(location)
        .split('/')
        .next()
        .unwrap_or_default()
}

/// The heartbeat script for a URL. Runtimes from 13.1 name the library
/// `@aws/synthetics-puppeteer`; earlier ones `Synthetics`.
pub fn heartbeat_script(url: &str, runtime: &str) -> String {
    let library = match puppeteer_version(runtime) {
        Some(v) if v >= (13, 1) => "@aws/synthetics-puppeteer",
        _ => "Synthetics",
    };
    // JSON string syntax is JavaScript string syntax once U+2028/2029 are escaped too.
    let quoted = serde_json::to_string(url)
        .unwrap_or_default()
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029");
    format!(
        "const synthetics = require('{library}');\n\
         const url = {quoted};\n\
         exports.handler = async () => {{\n\
         \x20 const page = await synthetics.getPage();\n\
         \x20 await synthetics.executeStep('heartbeat', async () => {{\n\
         \x20   const response = await page.goto(url, {{ waitUntil: ['domcontentloaded'], timeout: 30000 }});\n\
         \x20   if (!response) throw new Error('no response from ' + url);\n\
         \x20   const status = response.status();\n\
         \x20   if (status < 200 || status > 299) throw new Error('HTTP ' + status + ' from ' + url);\n\
         \x20 }});\n\
         }};\n"
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCanary {
    pub canary_name: String,
    pub url: String,
    /// Execution role ARN
    pub role_arn: String,
    /// s3://bucket/prefix for run artifacts
    pub artifact_location: String,
    /// rate(5 minutes) (default) or cron(...)
    pub schedule: Option<String>,
    pub runtime: Option<String>,
    /// Start running now (default true)
    pub start: Option<bool>,
    pub tags: Option<Tags>,
}

impl Action for CreateCanary {
    const NAME: &'static str = "create_canary";
    const DESCRIPTION: &'static str = "Heartbeat canary for a URL";
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_canary_name(&self.canary_name)?;
        if self.canary_name.len() > 21 {
            return Err(ToolError::invalid("canary names are at most 21 characters"));
        }
        let scheme_ok = self.url.starts_with("https://") || self.url.starts_with("http://");
        if !scheme_ok
            || self.url.len() > 2048
            || self
                .url
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(ToolError::invalid(format!(
                "url must be an http(s) URL without spaces, got '{}'",
                self.url
            )));
        }
        let role = self.role_arn.split(':').collect::<Vec<_>>();
        if !(role.len() == 6
            && role[0] == "arn"
            && role[2] == "iam"
            && role[5].starts_with("role/"))
        {
            return Err(ToolError::invalid(format!(
                "role_arn must be an IAM role ARN, got '{}'",
                self.role_arn
            )));
        }
        let bucket = bucket_of(&self.artifact_location);
        if bucket.len() < 3
            || bucket.len() > 63
            || !bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        {
            return Err(ToolError::invalid(format!(
                "artifact_location must be s3://bucket/prefix, got '{}'",
                self.artifact_location
            )));
        }
        if let Some(s) = &self.schedule {
            let rate = s.starts_with("rate(") && s.ends_with(')');
            let cron = s.starts_with("cron(") && s.ends_with(')');
            if !(rate || cron) || s.len() > 256 {
                return Err(ToolError::invalid(format!(
                    "schedule must be rate(N minutes), rate(0 minute) or cron(...), got '{s}'"
                )));
            }
        }
        if let Some(r) = &self.runtime
            && puppeteer_version(r).is_none()
        {
            return Err(ToolError::invalid(format!(
                "runtime must be syn-nodejs-puppeteer-<major>.<minor> (default \
                 {DEFAULT_RUNTIME}), got '{r}'"
            )));
        }
        check_tags(self.tags.as_ref())
    }

    /// The canary, and the bucket its runs write to: a canary writing into a production
    /// bucket is a production change.
    fn targets(&self) -> Vec<Target> {
        vec![
            Target::new(Kind::Canary, &self.canary_name),
            Target::new(Kind::Bucket, bucket_of(&self.artifact_location)),
        ]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let runtime = self.runtime.as_deref().unwrap_or(DEFAULT_RUNTIME);
        let script = heartbeat_script(&self.url, runtime);
        let archive = zip(&[(
            "nodejs/node_modules/heartbeat.js".to_string(),
            script.into_bytes(),
        )])
        .map_err(ToolError::invalid)?;
        let schedule = self.schedule.as_deref().unwrap_or("rate(5 minutes)");
        let location = if self.artifact_location.starts_with("s3://") {
            self.artifact_location.clone()
        } else {
            format!("s3://{}", self.artifact_location)
        };
        let build = |e: aws_sdk_synthetics::error::BuildError| ToolError::invalid(e.to_string());
        let client: Client = cx.client().await;
        // CreateCanary takes no idempotency token, and a name is taken once: a lost answer
        // is checked with list_canaries, never retried blindly.
        client
            .create_canary()
            .name(&self.canary_name)
            .code(
                CanaryCodeInput::builder()
                    .handler("heartbeat.handler")
                    .zip_file(Blob::new(archive))
                    .build(),
            )
            .artifact_s3_location(&location)
            .execution_role_arn(&self.role_arn)
            .schedule(
                CanaryScheduleInput::builder()
                    .expression(schedule)
                    .build()
                    .map_err(build)?,
            )
            .run_config(
                CanaryRunConfigInput::builder()
                    .timeout_in_seconds(60)
                    .build(),
            )
            .runtime_version(runtime)
            .set_tags(self.tags.clone().map(|t| t.into_iter().collect()))
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let started = if self.start != Some(false) {
            client
                .start_canary()
                .name(&self.canary_name)
                .send()
                .await
                .map_err(|e| {
                    let e = ToolError::from_sdk(e);
                    ToolError::Precondition {
                        message: format!(
                            "canary {} was created but did not start: {e}",
                            self.canary_name
                        ),
                        hint: "the canary exists and is READY; creating it again fails: start it \
                               from the console or the AWS CLI (aws synthetics start-canary)"
                            .into(),
                        details: json!({"canary_name": self.canary_name, "created": true}),
                    }
                })?;
            true
        } else {
            false
        };
        Ok(Output::new(
            format!(
                "Canary {} checks {} on {schedule} ({runtime}){}.",
                self.canary_name,
                self.url,
                if started {
                    ", started"
                } else {
                    ", not started"
                }
            ),
            json!({"canary_name": self.canary_name, "url": self.url, "schedule": schedule,
                   "runtime": runtime, "artifact_location": location, "started": started}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListCanaries {
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListCanaries {
    const NAME: &'static str = "list_canaries";
    const DESCRIPTION: &'static str = "Canaries with state and schedule";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        PageRequest::new(self.max_results, self.next_token.as_deref()).map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let client: Client = cx.client().await;
        let out = client
            .describe_canaries()
            .max_results(page.aws_page_size(1, 20))
            .set_next_token(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let items: Vec<Value> = out
            .canaries()
            .iter()
            .map(|c| {
                let status = c.status();
                let timeline = c.timeline();
                json!({
                    "canary_name": c.name(),
                    "state": status.and_then(|s| s.state()).map(|s| s.as_str()),
                    "reason": status.and_then(|s| s.state_reason()),
                    "schedule": c.schedule().and_then(|s| s.expression()),
                    "runtime": c.runtime_version(),
                    "artifact_location": c.artifact_s3_location(),
                    "last_started": timeline.and_then(|t| t.last_started()).map(crate::aws::time),
                })
            })
            .collect();
        let (items, next) = page.finish(items, out.next_token().map(str::to_string));
        let running = items.iter().filter(|c| c["state"] == "RUNNING").count();
        Ok(Output::new(
            format!("{} canary(ies), {running} running.", items.len()),
            json!({"canaries": items}),
        )
        .with_next_token(next))
    }
}

#[cfg(test)]
mod tests {
    use super::heartbeat_script;

    #[test]
    fn a_url_cannot_carry_code_into_the_script() {
        let s = heartbeat_script(
            "https://x.example/';require('child_process').exec('rm -rf /');'\u{2028}",
            "syn-nodejs-puppeteer-15.0",
        );
        let line = s.lines().find(|l| l.starts_with("const url")).unwrap();
        // One JSON string literal, its quotes escaped, the line separator too.
        assert_eq!(
            line,
            "const url = \"https://x.example/';require('child_process').exec('rm -rf /');'\\u2028\";"
        );
        assert!(s.starts_with("const synthetics = require('@aws/synthetics-puppeteer');"));
        assert!(
            heartbeat_script("https://x", "syn-nodejs-puppeteer-9.1")
                .starts_with("const synthetics = require('Synthetics');")
        );
    }
}
