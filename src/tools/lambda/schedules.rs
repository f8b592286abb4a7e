//! An EventBridge Scheduler schedule that invokes a function on a cron() or rate()
//! expression, checked before the call. The schedule takes its function's environment.

use aws_sdk_scheduler::types::{
    ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, Target as Call,
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{check_function, in_function, lambda_error};
use crate::{
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Kind, Risk, Target},
    tools::{
        cost::schedules::{check_cron, cron_expression},
        security::random_hex,
    },
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleFunction {
    pub function_name: String,
    pub schedule_name: String,
    /// cron(0 0 * * ? *) or rate(1 day)
    pub expression: String,
    /// Role Scheduler assumes
    pub role_arn: String,
    pub payload: Option<serde_json::Map<String, Value>>,
    /// IANA, default UTC
    pub time_zone: Option<String>,
}

impl ScheduleFunction {
    fn expression(&self) -> String {
        let e = self.expression.trim();
        if e.starts_with("rate(") {
            e.to_string()
        } else {
            cron_expression(e)
        }
    }

    fn time_zone(&self) -> &str {
        self.time_zone.as_deref().unwrap_or("UTC")
    }
}

impl Action for ScheduleFunction {
    const NAME: &'static str = "schedule_function";
    const DESCRIPTION: &'static str = "Invoke on a cron()/rate() schedule";
    const ACCESS: Access = Access::Write;
    // The function runs on its own from now on, with its role's permissions.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_function(&self.function_name)?;
        let name_ok = !self.schedule_name.is_empty()
            && self.schedule_name.len() <= 64
            && self
                .schedule_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if !name_ok {
            return Err(ToolError::invalid(format!(
                "schedule_name '{}' must be 1-64 letters, digits, '.', '-' or '_'",
                self.schedule_name
            )));
        }
        let e = self.expression.trim();
        if e.starts_with("rate(") {
            check_rate(e).map_err(|why| {
                ToolError::invalid(format!(
                    "expression '{e}' is not a rate: {why}; e.g. rate(5 minutes), rate(1 day)"
                ))
            })?;
        } else {
            check_cron(e).map_err(|why| {
                ToolError::invalid(format!(
                    "expression '{e}' is not an EventBridge cron: {why}; six fields, e.g. \
                     cron(0 0 * * ? *) for midnight every day, or use rate(1 day)"
                ))
            })?;
        }
        if !(self.role_arn.starts_with("arn:") && self.role_arn.contains(":role/")) {
            return Err(ToolError::invalid(format!(
                "role_arn '{}' must be an IAM role ARN that scheduler.amazonaws.com can assume",
                self.role_arn
            )));
        }
        if jiff::tz::TimeZone::get(self.time_zone()).is_err() {
            return Err(ToolError::invalid(format!(
                "time_zone '{}' is not an IANA time zone (e.g. Europe/Paris)",
                self.time_zone()
            )));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        let mut t = in_function(
            Kind::LambdaSchedule,
            format!("default/{}", self.schedule_name),
            &self.function_name,
        );
        t.new = true;
        vec![t]
    }

    /// Reads the function's ARN (with its qualifier), then CreateSchedule with a client token.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let lambda: aws_sdk_lambda::Client = cx.client().await;
        let conf = lambda
            .get_function_configuration()
            .function_name(&self.function_name)
            .send()
            .await
            .map_err(lambda_error)?;
        let arn = conf.function_arn().unwrap_or_default().to_string();
        let client: aws_sdk_scheduler::Client = cx.client().await;
        let input = self
            .payload
            .as_ref()
            .map(|p| Value::Object(p.clone()).to_string())
            .unwrap_or_else(|| "{}".into());
        let target = Call::builder()
            .arn(&arn)
            .role_arn(&self.role_arn)
            .input(input)
            .build()
            .map_err(|e| ToolError::invalid(e.to_string()))?;
        let expression = self.expression();
        let out = client
            .create_schedule()
            .name(&self.schedule_name)
            .group_name("default")
            .schedule_expression(&expression)
            .schedule_expression_timezone(self.time_zone())
            .flexible_time_window(
                FlexibleTimeWindow::builder()
                    .mode(FlexibleTimeWindowMode::Off)
                    .build()
                    .map_err(|e| ToolError::invalid(e.to_string()))?,
            )
            .action_after_completion(ActionAfterCompletion::None)
            .description(format!("espada-aws: invoke {}", self.function_name))
            .target(target)
            .client_token(random_hex(16))
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        Ok(Output::new(
            format!(
                "Schedule {} invokes {} on {expression} ({}).",
                self.schedule_name,
                self.function_name,
                self.time_zone()
            ),
            json!({"schedule_arn": out.schedule_arn(), "name": self.schedule_name, "group": "default",
                   "expression": expression, "time_zone": self.time_zone(),
                   "function_arn": arn}),
        ))
    }
}

/// Checks `rate(N unit)`: N a positive whole number, unit minute(s), hour(s) or day(s),
/// singular exactly when N is 1.
pub fn check_rate(e: &str) -> Result<(), String> {
    let inner = e
        .strip_prefix("rate(")
        .and_then(|r| r.strip_suffix(')'))
        .ok_or("write rate(N unit)")?;
    let parts: Vec<&str> = inner.split_whitespace().collect();
    let [n, unit] = parts[..] else {
        return Err("a number and a unit".into());
    };
    let n: u32 = n
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("'{n}' is not a positive whole number"))?;
    let singular = ["minute", "hour", "day"];
    let plural = ["minutes", "hours", "days"];
    match (n == 1, singular.contains(&unit), plural.contains(&unit)) {
        (true, true, _) | (false, _, true) => Ok(()),
        (true, _, true) => Err(format!(
            "1 takes the singular ({})",
            &unit[..unit.len() - 1]
        )),
        (false, true, _) => Err(format!("{n} takes the plural ({unit}s)")),
        _ => Err(format!("unit '{unit}' is minute(s), hour(s) or day(s)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_checked() {
        assert!(check_rate("rate(5 minutes)").is_ok());
        assert!(check_rate("rate(1 day)").is_ok());
        assert!(check_rate("rate(1 days)").is_err());
        assert!(check_rate("rate(2 hour)").is_err());
        assert!(check_rate("rate(0 minutes)").is_err());
        assert!(check_rate("rate(5 weeks)").is_err());
        assert!(check_rate("rate(5)").is_err());
    }
}
