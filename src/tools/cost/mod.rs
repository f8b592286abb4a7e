//! `aws_cost`: spend from Cost Explorer (`spend.rs`), savings recommendations and Savings
//! Plans utilization (`savings.rs`), unused resources with what they cost (`unused.rs`), the
//! price table and estimates (`prices.rs`, `prices.json`), AWS Budgets (`budgets.rs`) and
//! EventBridge Scheduler schedules that stop and start instances (`schedules.rs`).
//!
//! Risk (issue 13): everything reads except budgets and schedules. A schedule that stops
//! production instances is high risk, and deleting a budget or a schedule is critical when it
//! protects production: flags that count only in production ([`Flag::in_production`]), decided
//! by the guardrails from the targets' environment (the instances a schedule acts on, the
//! environment tags a budget's filters watch). None of these services has a dry-run mode.
//!
//! [`Flag::in_production`]: crate::registry::Flag::in_production

pub mod budgets;
pub mod prices;
pub mod savings;
pub mod schedules;
pub mod spend;
pub mod unused;

use jiff::{ToSpan, civil::Date};

use crate::{
    error::ToolError,
    registry::{ActionDef, Tool},
};

pub static TOOL: Tool = Tool {
    name: "aws_cost",
    toolset: "cost",
    about: "Spend, forecasts, savings, unused resources, estimates, budgets, schedules.",
    actions: &[
        ActionDef::of::<spend::GetCostSummary>(),
        ActionDef::of::<spend::ForecastCosts>(),
        ActionDef::of::<spend::GetCostAnomalies>(),
        ActionDef::of::<savings::GetRightsizingRecommendations>(),
        ActionDef::of::<savings::GetSavingsPlanRecommendations>(),
        ActionDef::of::<savings::GetReservationRecommendations>(),
        ActionDef::of::<savings::GetSavingsPlansUtilization>(),
        ActionDef::of::<unused::FindUnusedResources>(),
        ActionDef::of::<prices::EstimateCost>(),
        ActionDef::of::<schedules::ScheduleResources>(),
        ActionDef::of::<schedules::ListSchedules>(),
        ActionDef::of::<schedules::DeleteSchedule>(),
        ActionDef::of::<budgets::CreateBudget>(),
        ActionDef::of::<budgets::ListBudgets>(),
        ActionDef::of::<budgets::DeleteBudget>(),
    ],
};

/// Today in UTC (Cost Explorer's days are UTC).
pub fn today() -> Date {
    jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
}

/// A `YYYY-MM-DD` date.
pub fn parse_date(field: &str, s: &str) -> Result<Date, ToolError> {
    s.parse::<Date>().map_err(|_| {
        ToolError::invalid(format!("{field} must be a date like 2025-01-31, got '{s}'"))
    })
}

/// A period `[start, end)` as Cost Explorer takes it (end exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: Date,
    pub end: Date,
}

impl Period {
    /// `this_month` (to today, included), `last_month`, `last_N_days` (ending today,
    /// excluded), or `start`/`end`.
    pub fn parse(
        period: Option<&str>,
        start: Option<&str>,
        end: Option<&str>,
        today: Date,
    ) -> Result<Self, ToolError> {
        let p = match (period, start, end) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                return Err(ToolError::invalid("give period or start/end, not both"));
            }
            (None, Some(s), e) => {
                let start = parse_date("start", s)?;
                let end = match e {
                    Some(e) => parse_date("end", e)?,
                    None => today,
                };
                Self { start, end }
            }
            (None, None, Some(_)) => return Err(ToolError::invalid("end needs a start")),
            (None, None, None) | (Some("this_month"), None, None) => Self {
                start: today.first_of_month(),
                end: today
                    .tomorrow()
                    .map_err(|e| ToolError::invalid(e.to_string()))?,
            },
            (Some("last_month"), None, None) => {
                let end = today.first_of_month();
                let start = end
                    .checked_sub(1.month())
                    .map_err(|e| ToolError::invalid(e.to_string()))?;
                Self { start, end }
            }
            (Some(p), None, None) => {
                let days = p
                    .strip_prefix("last_")
                    .and_then(|r| r.strip_suffix("_days"))
                    .and_then(|n| n.parse::<i64>().ok())
                    .filter(|n| (1..=365).contains(n))
                    .ok_or_else(|| {
                        ToolError::invalid(format!(
                            "period '{p}' is not this_month, last_month or last_N_days (N 1-365)"
                        ))
                    })?;
                let start = today
                    .checked_sub(days.days())
                    .map_err(|e| ToolError::invalid(e.to_string()))?;
                Self { start, end: today }
            }
        };
        if p.start >= p.end {
            return Err(ToolError::invalid(format!(
                "the period must end after it starts ({} to {})",
                p.start, p.end
            )));
        }
        if p.end.since(p.start).map(|s| s.get_days()).unwrap_or(0) > 366 * 3 {
            return Err(ToolError::invalid("the period can span at most 3 years"));
        }
        Ok(p)
    }

    pub fn days(&self) -> i64 {
        self.end
            .since(self.start)
            .map(|s| i64::from(s.get_days()))
            .unwrap_or(0)
    }

    /// The period of the same length just before this one.
    pub fn previous(&self) -> Self {
        let start = self
            .start
            .checked_sub(self.days().days())
            .unwrap_or(self.start);
        Self {
            start,
            end: self.start,
        }
    }

    pub fn interval(&self) -> aws_sdk_costexplorer::types::DateInterval {
        aws_sdk_costexplorer::types::DateInterval::builder()
            .start(self.start.to_string())
            .end(self.end.to_string())
            .build()
            .expect("start and end are set")
    }
}

/// A Cost Explorer amount as a number (they come as strings).
pub fn amount(v: Option<&str>) -> f64 {
    v.and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0)
}

/// What Cost Explorer answers, mapped like [`ToolError::from_sdk`] with hints for its codes.
pub fn ce_error<E, R>(err: aws_sdk_costexplorer::error::SdkError<E, R>) -> ToolError
where
    E: aws_sdk_costexplorer::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let mut e = ToolError::from_sdk(err);
    if let ToolError::Aws { code, hint, .. } = &mut e
        && hint.is_none()
    {
        *hint = match code.as_str() {
            "DataUnavailableException" => Some(
                "Cost Explorer has no data for this yet (new accounts wait up to 24 hours; \
                 recommendations need usage to learn from)"
                    .into(),
            ),
            "AccessDeniedException" => Some(
                "Cost Explorer must be enabled for the account (Billing console) and the \
                 credentials need ce:Get* permissions"
                    .into(),
            ),
            "BillExpirationException" => Some("ask for a period within the last 13 months".into()),
            "RequestChangedException" => Some("start over without next_token".into()),
            _ => None,
        };
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        let today: Date = "2025-03-15".parse().unwrap();
        let p = Period::parse(None, None, None, today).unwrap();
        assert_eq!(
            (p.start.to_string(), p.end.to_string()),
            ("2025-03-01".into(), "2025-03-16".into())
        );
        assert_eq!(p.days(), 15);
        let prev = p.previous();
        assert_eq!(
            (prev.start.to_string(), prev.end.to_string()),
            ("2025-02-14".into(), "2025-03-01".into())
        );
        let last = Period::parse(Some("last_month"), None, None, today).unwrap();
        assert_eq!(
            (last.start.to_string(), last.end.to_string()),
            ("2025-02-01".into(), "2025-03-01".into())
        );
        let d = Period::parse(Some("last_7_days"), None, None, today).unwrap();
        assert_eq!(d.days(), 7);
        assert!(Period::parse(Some("last_0_days"), None, None, today).is_err());
        assert!(Period::parse(Some("yesterday"), None, None, today).is_err());
        assert!(Period::parse(None, Some("2025-03-10"), Some("2025-03-01"), today).is_err());
        assert!(Period::parse(Some("last_month"), Some("2025-01-01"), None, today).is_err());
    }
}
