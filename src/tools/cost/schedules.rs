//! EventBridge Scheduler schedules that stop and start EC2 instances: `{name}-stop` and
//! `{name}-start` in the default group, each calling EC2 through Scheduler's universal target
//! (`arn:aws:scheduler:::aws-sdk:ec2:stopInstances`) with the instance ids in its input.
//!
//! Instances chosen by tags are resolved to ids when the schedule is made (Scheduler calls
//! EC2 with fixed ids): instances tagged later are not included, and the result says so. The
//! guardrails judge a tag selection by every instance it matches (`Kind::TaggedInstances`),
//! and a schedule by the instances in its input (`Kind::Schedule`).

use aws_sdk_scheduler::{
    Client,
    types::{ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, Target as Call},
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    aws::paging::PageRequest,
    error::ToolError,
    guardrails::tags::{schedule_instances, selected_instances},
    output::Output,
    registry::{Access, Action, Cx, Flag, Kind, Risk, Tags, Target},
    tools::security::{Task, bounded, random_hex},
};

/// The role Scheduler assumes when the call names none; made once and reused.
pub const ROLE_NAME: &str = "espada-scheduler-ec2";
const STOP_ARN: &str = "arn:aws:scheduler:::aws-sdk:ec2:stopInstances";
const START_ARN: &str = "arn:aws:scheduler:::aws-sdk:ec2:startInstances";
/// Scheduler's input is at most 8,192 characters: 200 ids fit.
const MAX_INSTANCES: usize = 200;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleResources {
    /// Makes NAME-stop, NAME-start
    pub name: String,
    pub instance_ids: Option<Vec<String>>,
    /// Instances with all these tags (resolved now)
    pub select_tags: Option<Tags>,
    /// EventBridge cron, e.g. 0 18 ? * MON-FRI *
    pub stop_cron: Option<String>,
    pub start_cron: Option<String>,
    /// IANA, default UTC
    pub time_zone: Option<String>,
    pub role_arn: Option<String>,
}

impl ScheduleResources {
    fn selection(&self) -> Option<String> {
        let tags = self.select_tags.as_ref().filter(|t| !t.is_empty())?;
        Some(
            tags.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(","),
        )
    }

    fn time_zone(&self) -> &str {
        self.time_zone.as_deref().unwrap_or("UTC")
    }

    /// (suffix, expression, target ARN) of each schedule to make.
    fn schedules(&self) -> Vec<(&'static str, String, &'static str)> {
        let mut out = Vec::new();
        if let Some(c) = &self.stop_cron {
            out.push(("stop", cron_expression(c), STOP_ARN));
        }
        if let Some(c) = &self.start_cron {
            out.push(("start", cron_expression(c), START_ARN));
        }
        out
    }
}

impl Action for ScheduleResources {
    const NAME: &'static str = "schedule_resources";
    const DESCRIPTION: &'static str = "Stop/start instances on cron";
    const ACCESS: Access = Access::Write;
    // Starting and stopping on a timetable; stopping production is flagged below.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_name(&self.name, 64 - "-start".len())?;
        let ids = self.instance_ids.as_deref().unwrap_or_default();
        if ids.is_empty() && self.selection().is_none() {
            return Err(ToolError::invalid(
                "give instance_ids or select_tags to say which instances",
            ));
        }
        if ids.len() > MAX_INSTANCES {
            return Err(ToolError::invalid(format!(
                "at most {MAX_INSTANCES} instance_ids per schedule"
            )));
        }
        if let Some(bad) = ids.iter().find(|i| !is_instance_id(i)) {
            return Err(ToolError::invalid(format!(
                "'{bad}' is not an instance id (i-0123456789abcdef0)"
            )));
        }
        if let Some(tags) = &self.select_tags
            && tags
                .iter()
                .any(|(k, v)| k.is_empty() || k.contains([',', '=']) || v.contains([',', '=']))
        {
            return Err(ToolError::invalid(
                "select_tags keys must be non-empty, and keys and values without ',' or '='",
            ));
        }
        if self.stop_cron.is_none() && self.start_cron.is_none() {
            return Err(ToolError::invalid("give stop_cron, start_cron or both"));
        }
        for (field, c) in [
            ("stop_cron", &self.stop_cron),
            ("start_cron", &self.start_cron),
        ] {
            if let Some(c) = c {
                check_cron(c).map_err(|why| {
                    ToolError::invalid(format!(
                        "{field} '{c}' is not an EventBridge cron expression: {why}; six \
                         fields: minutes hours day-of-month month day-of-week year, one of the \
                         two days '?', e.g. \"0 18 ? * MON-FRI *\""
                    ))
                })?;
            }
        }
        if jiff::tz::TimeZone::get(self.time_zone()).is_err() {
            return Err(ToolError::invalid(format!(
                "time_zone '{}' is not an IANA time zone such as Europe/Paris",
                self.time_zone()
            )));
        }
        if let Some(arn) = &self.role_arn
            && !(arn.starts_with("arn:") && arn.contains(":iam::") && arn.contains(":role/"))
        {
            return Err(ToolError::invalid(format!(
                "role_arn '{arn}' is not an IAM role ARN"
            )));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        let mut out: Vec<Target> = self
            .instance_ids
            .iter()
            .flatten()
            .map(|i| Target::new(Kind::Instance, i))
            .collect();
        if let Some(sel) = self.selection() {
            out.push(Target::new(Kind::TaggedInstances, sel));
        }
        if self.role_arn.is_none() {
            out.push(Target::created(Kind::IamRole, ROLE_NAME));
        }
        out
    }

    fn flags(&self) -> Vec<Flag> {
        match &self.stop_cron {
            Some(c) => vec![
                Flag::high(format!(
                    "stops production instances on a schedule ({c}, {}): each run takes them \
                     down",
                    self.time_zone()
                ))
                .in_production(),
            ],
            None => Vec::new(),
        }
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let ec2: aws_sdk_ec2::Client = cx.client().await;
        let instances = resolve(&ec2, &self).await?;
        let (role_arn, role_note) = match &self.role_arn {
            Some(arn) => (arn.clone(), None),
            None => ensure_role(cx).await?,
        };
        let client: Client = cx.client().await;
        let input = json!({ "InstanceIds": instances }).to_string();
        let selected_by = match self.selection() {
            Some(sel) => format!("tags {sel}"),
            None => "ids".into(),
        };
        let mut made: Vec<Value> = Vec::new();
        for (suffix, expression, arn) in self.schedules() {
            let name = format!("{}-{suffix}", self.name);
            let target = Call::builder()
                .arn(arn)
                .role_arn(&role_arn)
                .input(&input)
                .build()
                .map_err(|e| ToolError::invalid(e.to_string()))?;
            let sent = client
                .create_schedule()
                .name(&name)
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
                .description(format!(
                    "espada-aws: {suffix} {} instance(s) selected by {selected_by}",
                    instances.len()
                ))
                .target(target)
                .client_token(random_hex(16))
                .send()
                .await;
            if let Err(e) = sent {
                let e = ToolError::from_sdk(e);
                if made.is_empty() {
                    return Err(e);
                }
                return Err(ToolError::Precondition {
                    message: format!("made {} but not {name}: {e}", made[0]["name"]),
                    hint: format!(
                        "{} exists; delete it with delete_schedule or make {name} again",
                        made[0]["name"]
                    ),
                    details: json!({"created": made, "error": e.to_json()}),
                });
            }
            made.push(json!({"name": name, "expression": expression, "action": suffix}));
        }
        let mut summary = format!(
            "Scheduled {} instance(s) ({}) in {}: {}.",
            instances.len(),
            selected_by,
            self.time_zone(),
            made.iter()
                .map(|m| format!(
                    "{} {}",
                    m["action"].as_str().unwrap_or(""),
                    m["expression"].as_str().unwrap_or("")
                ))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if self.selection().is_some() {
            summary.push_str(
                " Instances tagged later are not included: run schedule_resources again for them.",
            );
        }
        Ok(Output::new(
            summary,
            json!({
                "schedules": made,
                "instance_ids": instances,
                "time_zone": self.time_zone(),
                "role_arn": role_arn,
                "role": role_note,
                "group": "default",
            }),
        ))
    }
}

/// The instances a call names, checked to exist, or the ones its tags select now.
async fn resolve(
    ec2: &aws_sdk_ec2::Client,
    call: &ScheduleResources,
) -> Result<Vec<String>, ToolError> {
    let mut ids: Vec<String> = call.instance_ids.clone().unwrap_or_default();
    if !ids.is_empty() {
        let found = ec2
            .describe_instances()
            .set_instance_ids(Some(ids.clone()))
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let known: Vec<&str> = found
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .filter_map(|i| i.instance_id())
            .collect();
        let missing: Vec<&String> = ids
            .iter()
            .filter(|i| !known.contains(&i.as_str()))
            .collect();
        if !missing.is_empty() {
            return Err(ToolError::Precondition {
                message: format!("no such instance(s): {missing:?}"),
                hint: "nothing was scheduled; aws_ec2 list_instances shows them".into(),
                details: json!({"missing": missing}),
            });
        }
    }
    if let Some(sel) = call.selection() {
        let found = selected_instances(ec2, &sel).await?;
        for (id, _) in found {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    if ids.is_empty() {
        return Err(ToolError::Precondition {
            message: "the tags select no instance".into(),
            hint: "nothing was scheduled; check the tags with aws_ec2 list_instances".into(),
            details: json!({"select_tags": call.select_tags}),
        });
    }
    if ids.len() > MAX_INSTANCES {
        return Err(ToolError::Precondition {
            message: format!("{} instances selected, at most {MAX_INSTANCES}", ids.len()),
            hint: "nothing was scheduled; narrow select_tags".into(),
            details: json!({"selected": ids.len()}),
        });
    }
    Ok(ids)
}

/// The default Scheduler role: read, else made with a trust policy for Scheduler and an inline
/// policy that allows only starting and stopping instances.
async fn ensure_role(cx: &Cx<'_>) -> Result<(String, Option<String>), ToolError> {
    let iam: aws_sdk_iam::Client = cx.client().await;
    match iam.get_role().role_name(ROLE_NAME).send().await {
        Ok(r) => {
            if let Some(role) = r.role() {
                return Ok((role.arn().to_string(), Some(format!("reused {ROLE_NAME}"))));
            }
        }
        Err(e) => {
            let e = ToolError::from_sdk(e);
            if e.aws_code() != Some("NoSuchEntity") {
                return Err(e);
            }
        }
    }
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"},
                       "Action": "sts:AssumeRole"}]
    });
    let created = iam
        .create_role()
        .role_name(ROLE_NAME)
        .assume_role_policy_document(trust.to_string())
        .description("EventBridge Scheduler stops and starts EC2 instances (espada-aws)")
        .send()
        .await
        .map_err(ToolError::from_sdk)?;
    let arn = created
        .role()
        .map(|r| r.arn().to_string())
        .unwrap_or_default();
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["ec2:StartInstances", "ec2:StopInstances"],
                       "Resource": "arn:aws:ec2:*:*:instance/*"}]
    });
    iam.put_role_policy()
        .role_name(ROLE_NAME)
        .policy_name("start-stop-instances")
        .policy_document(policy.to_string())
        .send()
        .await
        .map_err(|e| ToolError::Precondition {
            message: format!("made the role {ROLE_NAME} but could not give it its policy"),
            hint: "no schedule was made; call again (the role is reused)".into(),
            details: json!({"role_arn": arn, "error": ToolError::from_sdk(e).to_json()}),
        })?;
    Ok((
        arn,
        Some(format!("created {ROLE_NAME} (start/stop instances only)")),
    ))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListSchedules {
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListSchedules {
    const NAME: &'static str = "list_schedules";
    const DESCRIPTION: &'static str = "Schedules, instances";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        PageRequest::new(self.max_results, self.next_token.as_deref()).map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let out = client
            .list_schedules()
            .max_results(page.aws_page_size(1, 100))
            .set_next_token(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let names: Vec<(String, String)> = out
            .schedules()
            .iter()
            .filter_map(|s| {
                Some((
                    s.group_name().unwrap_or("default").to_string(),
                    s.name()?.to_string(),
                ))
            })
            .collect();
        let (names, next) = page.finish(names, out.next_token().map(str::to_string));
        let tasks: Vec<Task<Value>> = names
            .into_iter()
            .map(|(group, name)| {
                let client = client.clone();
                Box::pin(async move { describe(&client, &group, &name).await }) as Task<Value>
            })
            .collect();
        let items = bounded(tasks, 8).await;
        Ok(Output::new(
            format!("{} schedule(s).", items.len()),
            json!({"schedules": items}),
        )
        .with_next_token(next))
    }
}

async fn describe(client: &Client, group: &str, name: &str) -> Value {
    match client
        .get_schedule()
        .group_name(group)
        .name(name)
        .send()
        .await
    {
        Ok(s) => {
            let target = s.target();
            let input = target.and_then(|t| t.input()).unwrap_or("{}");
            json!({
                "name": name,
                "group": group,
                "state": s.state().map(|s| s.as_str()),
                "expression": s.schedule_expression(),
                "time_zone": s.schedule_expression_timezone().unwrap_or("UTC"),
                "target": target.map(|t| t.arn()),
                "role_arn": target.map(|t| t.role_arn()),
                "instance_ids": schedule_instances(input),
                "description": s.description(),
            })
        }
        Err(e) => json!({"name": name, "group": group, "error": ToolError::from_sdk(e).to_json()}),
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteSchedule {
    pub name: String,
}

impl Action for DeleteSchedule {
    const NAME: &'static str = "delete_schedule";
    const DESCRIPTION: &'static str = "Delete a schedule";
    // Write with confirmation (High): removing a start schedule can leave instances stopped.
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        check_name(&self.name, 64)
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::new(
            Kind::Schedule,
            format!("default/{}", self.name),
        )]
    }

    fn flags(&self) -> Vec<Flag> {
        vec![
            Flag::critical(
                "deletes a schedule of production instances: a removed start leaves them \
                 stopped, a removed stop leaves them running",
            )
            .in_production(),
        ]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let group = "default";
        client
            .delete_schedule()
            .group_name(group)
            .name(&self.name)
            .client_token(random_hex(16))
            .send()
            .await
            .map_err(|e| {
                let e = ToolError::from_sdk(e);
                if e.aws_code() == Some("ResourceNotFoundException") {
                    return ToolError::Precondition {
                        message: format!("there is no schedule {group}/{}", self.name),
                        hint: "nothing was deleted; list_schedules shows them".into(),
                        details: json!({"name": self.name, "group": group}),
                    };
                }
                e
            })?;
        Ok(Output::new(
            format!("Deleted the schedule {group}/{}.", self.name),
            json!({"name": self.name, "group": group, "deleted": true}),
        ))
    }
}

fn is_instance_id(id: &str) -> bool {
    id.strip_prefix("i-")
        .is_some_and(|h| (8..=17).contains(&h.len()) && h.chars().all(|c| c.is_ascii_hexdigit()))
}

/// A schedule or group name: 1-`max` letters, digits, `.`, `-`, `_`.
fn check_name(name: &str, max: usize) -> Result<(), ToolError> {
    let ok = !name.is_empty()
        && name.len() <= max
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ToolError::invalid(format!(
            "'{name}' must be 1-{max} letters, digits, '.', '-' or '_'"
        )))
    }
}

/// `cron(...)` around the six fields, whether or not the caller wrote it.
pub fn cron_expression(c: &str) -> String {
    let inner = c
        .trim()
        .strip_prefix("cron(")
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or(c.trim());
    format!("cron({})", inner.trim())
}

/// Checks an EventBridge cron expression (with or without `cron(...)`): six fields, each
/// value in range, one of day-of-month and day-of-week `?`.
pub fn check_cron(c: &str) -> Result<(), String> {
    let expr = cron_expression(c);
    let inner = &expr["cron(".len()..expr.len() - 1];
    let fields: Vec<&str> = inner.split_whitespace().collect();
    if fields.len() != 6 {
        return Err(format!("{} field(s), not 6", fields.len()));
    }
    const MONTHS: &[&str] = &[
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ];
    const DAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
    check_field("minutes", fields[0], 0, 59, &[], "")?;
    check_field("hours", fields[1], 0, 23, &[], "")?;
    check_field("day-of-month", fields[2], 1, 31, &[], "?LW")?;
    check_field("month", fields[3], 1, 12, MONTHS, "")?;
    check_field("day-of-week", fields[4], 1, 7, DAYS, "?L#")?;
    check_field("year", fields[5], 1970, 2199, &[], "")?;
    match (fields[2] == "?", fields[4] == "?") {
        (true, true) => Err("day-of-month and day-of-week cannot both be '?'".into()),
        (false, false) => Err("one of day-of-month and day-of-week must be '?'".into()),
        _ => Ok(()),
    }
}

fn check_field(
    name: &str,
    field: &str,
    min: u32,
    max: u32,
    names: &[&str],
    extra: &str,
) -> Result<(), String> {
    let bad = || format!("{name} '{field}' is out of range {min}-{max} or malformed");
    let value = |v: &str| -> Result<u32, String> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(v)) {
            return Ok(min + i as u32);
        }
        match v.parse::<u32>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(bad()),
        }
    };
    if field == "?" {
        return if extra.contains('?') {
            Ok(())
        } else {
            Err(bad())
        };
    }
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (part, None),
        };
        if let Some(s) = step {
            match s.parse::<u32>() {
                Ok(n) if n >= 1 && n <= max => {}
                _ => return Err(bad()),
            }
        }
        if range == "*" {
            continue;
        }
        if extra.contains('L') && (range == "L" || range == "LW") {
            continue;
        }
        if extra.contains('W')
            && let Some(d) = range.strip_suffix('W')
        {
            value(d)?;
            continue;
        }
        if extra.contains('#')
            && let Some((d, n)) = range.split_once('#')
        {
            value(d)?;
            match n.parse::<u32>() {
                Ok(1..=5) => continue,
                _ => return Err(bad()),
            }
        }
        if extra.contains('L')
            && name == "day-of-week"
            && let Some(d) = range.strip_suffix('L')
        {
            value(d)?;
            continue;
        }
        match range.split_once('-') {
            Some((a, b)) => {
                value(a)?;
                value(b)?;
            }
            None => {
                value(range)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_expressions() {
        for ok in [
            "0 18 ? * MON-FRI *",
            "cron(0 8 ? * MON-FRI *)",
            "30 7 1 * ? *",
            "0/15 * ? * * *",
            "0 10 ? * 6L 2026",
            "0 10 ? * 2#1 *",
            "0 10 L * ? *",
            "0 10 15W * ? *",
        ] {
            assert!(check_cron(ok).is_ok(), "{ok}: {:?}", check_cron(ok));
        }
        for bad in [
            "0 18 * * 1-5",
            "0 24 ? * MON-FRI *",
            "60 1 ? * * *",
            "0 18 * * MON *",
            "0 18 ? * ? *",
            "0 18 ? * FUNDAY *",
            "0 18 ? 13 * *",
            "rate(5 minutes)",
        ] {
            assert!(check_cron(bad).is_err(), "{bad} should be refused");
        }
        assert_eq!(
            cron_expression("0 18 ? * MON-FRI *"),
            "cron(0 18 ? * MON-FRI *)"
        );
    }

    #[test]
    fn stopping_is_flagged_for_production_only() {
        let s: ScheduleResources = serde_json::from_value(json!({
            "name": "dev", "instance_ids": ["i-0123456789abcdef0"],
            "stop_cron": "0 18 ? * MON-FRI *", "time_zone": "Europe/Paris"
        }))
        .unwrap();
        s.validate().unwrap();
        let flags = s.flags();
        assert_eq!(flags.len(), 1);
        assert!(flags[0].in_production && flags[0].risk == Risk::High);
        let start: ScheduleResources = serde_json::from_value(json!({
            "name": "dev", "select_tags": {"Team": "web"}, "start_cron": "0 8 ? * MON-FRI *"
        }))
        .unwrap();
        assert!(start.flags().is_empty());
        assert_eq!(start.targets()[0].kind, Kind::TaggedInstances);
        let bad_tz: ScheduleResources = serde_json::from_value(json!({
            "name": "dev", "instance_ids": ["i-0123456789abcdef0"],
            "stop_cron": "0 18 ? * MON-FRI *", "time_zone": "Mars/Olympus"
        }))
        .unwrap();
        assert!(bad_tz.validate().is_err());
    }
}
