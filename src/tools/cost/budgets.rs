//! AWS Budgets: create a cost budget with alerts to e-mail or SNS, list budgets with actual
//! and forecast spend against their limit, delete one. A budget protects what it watches
//! (`filter_tags`), so deleting one that watches production is critical (the guardrails read
//! its filters: `Kind::Budget`).

use aws_sdk_budgets::{
    Client,
    types::{
        Budget, BudgetType, ComparisonOperator, Expression, Notification, NotificationType,
        NotificationWithSubscribers, Spend, Subscriber, SubscriptionType, TagValues, ThresholdType,
        TimeUnit,
    },
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{amount, prices::round};
use crate::{
    aws::paging::PageRequest,
    error::ToolError,
    guardrails::tags::budget_watches,
    output::Output,
    registry::{Access, Action, Cx, Flag, Kind, Risk, Tags, Target},
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBudget {
    pub budget_name: String,
    /// Limit per period
    pub amount: f64,
    /// MONTHLY (default), QUARTERLY, ANNUALLY, DAILY
    pub period: Option<String>,
    /// % of actual (default 80, 100)
    pub thresholds: Option<Vec<f64>>,
    /// % of forecast
    pub forecast_threshold: Option<f64>,
    pub emails: Option<Vec<String>>,
    pub sns_topic_arn: Option<String>,
    /// Only costs with these tags
    pub filter_tags: Option<Tags>,
}

impl CreateBudget {
    fn period(&self) -> &str {
        self.period.as_deref().unwrap_or("MONTHLY")
    }

    fn thresholds(&self) -> Vec<f64> {
        self.thresholds.clone().unwrap_or_else(|| vec![80.0, 100.0])
    }
}

impl Action for CreateBudget {
    const NAME: &'static str = "create_budget";
    const DESCRIPTION: &'static str = "Budget with e-mail/SNS alerts";
    const ACCESS: Access = Access::Write;
    // A new budget only watches and alerts.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_name(&self.budget_name)?;
        if !(self.amount > 0.0 && self.amount < 1e12) {
            return Err(ToolError::invalid("amount must be more than 0"));
        }
        if !["MONTHLY", "QUARTERLY", "ANNUALLY", "DAILY"].contains(&self.period()) {
            return Err(ToolError::invalid(
                "period must be MONTHLY, QUARTERLY, ANNUALLY or DAILY",
            ));
        }
        let thresholds = self.thresholds();
        let count = thresholds.len() + usize::from(self.forecast_threshold.is_some());
        if count > 10 {
            return Err(ToolError::invalid("at most 10 thresholds (AWS's limit)"));
        }
        if thresholds
            .iter()
            .chain(&self.forecast_threshold)
            .any(|t| !(*t > 0.0 && *t <= 1000.0))
        {
            return Err(ToolError::invalid("thresholds are percentages, 0 to 1000"));
        }
        let emails = self.emails.as_deref().unwrap_or_default();
        if emails.len() > 10 {
            return Err(ToolError::invalid(
                "at most 10 e-mail addresses (AWS's limit)",
            ));
        }
        if let Some(bad) = emails
            .iter()
            .find(|e| !e.contains('@') || e.len() > 254 || e.contains(char::is_whitespace))
        {
            return Err(ToolError::invalid(format!(
                "'{bad}' is not an e-mail address"
            )));
        }
        if let Some(arn) = &self.sns_topic_arn
            && !(arn.starts_with("arn:") && arn.contains(":sns:"))
        {
            return Err(ToolError::invalid(format!(
                "'{arn}' is not an SNS topic ARN"
            )));
        }
        if emails.is_empty() && self.sns_topic_arn.is_none() && self.thresholds.is_some() {
            return Err(ToolError::invalid(
                "thresholds need emails or sns_topic_arn to alert",
            ));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::created(Kind::Budget, &self.budget_name)]
    }

    /// CreateBudget has no idempotency token, but a second create of the same name is refused
    /// (DuplicateRecordException), so a retried request cannot make a second budget.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let account = account(cx).await?;
        let client: Client = cx.client().await;
        // Budgets are kept in the billing currency, USD for almost every account.
        let currency = "USD";
        let mut budget = Budget::builder()
            .budget_name(&self.budget_name)
            .budget_type(BudgetType::Cost)
            .time_unit(TimeUnit::from(self.period()))
            .budget_limit(
                Spend::builder()
                    .amount(format!("{}", self.amount))
                    .unit(currency)
                    .build()
                    .map_err(|e| ToolError::invalid(e.to_string()))?,
            );
        if let Some(filter) = self.filter() {
            budget = budget.filter_expression(filter);
        }
        let mut subscribers: Vec<Subscriber> = Vec::new();
        for e in self.emails.iter().flatten() {
            subscribers.push(subscriber(SubscriptionType::Email, e)?);
        }
        if let Some(arn) = &self.sns_topic_arn {
            subscribers.push(subscriber(SubscriptionType::Sns, arn)?);
        }
        let mut alerts: Vec<(NotificationType, f64)> = Vec::new();
        if !subscribers.is_empty() {
            alerts.extend(
                self.thresholds()
                    .into_iter()
                    .map(|t| (NotificationType::Actual, t)),
            );
            alerts.extend(
                self.forecast_threshold
                    .map(|t| (NotificationType::Forecasted, t)),
            );
        }
        let mut req = client.create_budget().account_id(&account).budget(
            budget
                .build()
                .map_err(|e| ToolError::invalid(e.to_string()))?,
        );
        for (kind, threshold) in &alerts {
            let n = Notification::builder()
                .notification_type(kind.clone())
                .comparison_operator(ComparisonOperator::GreaterThan)
                .threshold(*threshold)
                .threshold_type(ThresholdType::Percentage)
                .build()
                .map_err(|e| ToolError::invalid(e.to_string()))?;
            req = req.notifications_with_subscribers(
                NotificationWithSubscribers::builder()
                    .notification(n)
                    .set_subscribers(Some(subscribers.clone()))
                    .build()
                    .map_err(|e| ToolError::invalid(e.to_string()))?,
            );
        }
        req.send().await.map_err(|e| {
            let e = ToolError::from_sdk(e);
            if e.aws_code() == Some("DuplicateRecordException") {
                return ToolError::Precondition {
                    message: format!("a budget named {} exists", self.budget_name),
                    hint: "nothing was created; pick another name, or see it with list_budgets \
                           (an earlier try of this call may have made it)"
                        .into(),
                    details: json!({"budget_name": self.budget_name}),
                };
            }
            e
        })?;
        let shown: Vec<Value> = alerts
            .iter()
            .map(|(k, t)| json!({"type": k.as_str(), "threshold_percent": t}))
            .collect();
        Ok(Output::new(
            format!(
                "Created the {} budget {} of {} {currency}{}.",
                self.period().to_lowercase(),
                self.budget_name,
                self.amount,
                if alerts.is_empty() {
                    " without alerts".to_string()
                } else {
                    format!(
                        " with {} alert(s) to {} subscriber(s)",
                        alerts.len(),
                        subscribers.len()
                    )
                }
            ),
            json!({
                "budget_name": self.budget_name,
                "amount": self.amount,
                "currency": currency,
                "period": self.period(),
                "filter_tags": self.filter_tags,
                "alerts": shown,
                "subscribers": subscribers.len(),
            }),
        ))
    }
}

impl CreateBudget {
    /// One tag filter per tag, all of them required (`And` when more than one).
    fn filter(&self) -> Option<Expression> {
        let tags = self.filter_tags.as_ref().filter(|t| !t.is_empty())?;
        let mut each: Vec<Expression> = tags
            .iter()
            .map(|(k, v)| {
                Expression::builder()
                    .tags(TagValues::builder().key(k).values(v).build())
                    .build()
            })
            .collect();
        if each.len() == 1 {
            return each.pop();
        }
        Some(Expression::builder().set_and(Some(each)).build())
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListBudgets {
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListBudgets {
    const NAME: &'static str = "list_budgets";
    const DESCRIPTION: &'static str = "Budgets vs actual, forecast";
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
        let account = account(cx).await?;
        let client: Client = cx.client().await;
        let out = client
            .describe_budgets()
            .account_id(&account)
            .max_results(page.aws_page_size(1, 100))
            .set_next_token(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let items: Vec<Value> = out.budgets().iter().map(budget_json).collect();
        let (items, next) = page.finish(items, out.next_token().map(str::to_string));
        let over: Vec<&str> = items
            .iter()
            .filter(|b| b["actual_percent"].as_f64().is_some_and(|p| p >= 100.0))
            .filter_map(|b| b["budget_name"].as_str())
            .collect();
        let heading: Vec<&str> = items
            .iter()
            .filter(|b| {
                b["forecast_percent"].as_f64().is_some_and(|p| p >= 100.0)
                    && b["actual_percent"].as_f64().is_none_or(|p| p < 100.0)
            })
            .filter_map(|b| b["budget_name"].as_str())
            .collect();
        let mut summary = format!("{} budget(s).", items.len());
        if !over.is_empty() {
            summary.push_str(&format!(" Over: {}.", over.join(", ")));
        }
        if !heading.is_empty() {
            summary.push_str(&format!(" Forecast over: {}.", heading.join(", ")));
        }
        Ok(Output::new(summary, json!({"budgets": items})).with_next_token(next))
    }
}

fn budget_json(b: &Budget) -> Value {
    let limit = b.budget_limit().map(|l| amount(Some(l.amount())));
    let spend = b.calculated_spend();
    let actual = spend
        .and_then(|s| s.actual_spend())
        .map(|s| amount(Some(s.amount())));
    let forecast = spend
        .and_then(|s| s.forecasted_spend())
        .map(|s| amount(Some(s.amount())));
    let percent = |v: Option<f64>| match (v, limit) {
        (Some(v), Some(l)) if l > 0.0 => Some(round(v / l * 100.0)),
        _ => None,
    };
    let watches: Vec<Tags> = budget_watches(b);
    json!({
        "budget_name": b.budget_name(),
        "type": b.budget_type().as_str(),
        "period": b.time_unit().as_str(),
        "limit": limit,
        "currency": b.budget_limit().map(|l| l.unit()),
        "actual": actual.map(round),
        "forecast": forecast.map(round),
        "actual_percent": percent(actual),
        "forecast_percent": percent(forecast),
        "watches_tags": watches,
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteBudget {
    pub budget_name: String,
}

impl Action for DeleteBudget {
    const NAME: &'static str = "delete_budget";
    const DESCRIPTION: &'static str = "Delete a budget";
    // Write with confirmation (High), not Destructive: an unfiltered budget is judged in the
    // account's environment, not in the production fallback that destructive calls get.
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        check_name(&self.budget_name)
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::new(Kind::Budget, &self.budget_name)]
    }

    fn flags(&self) -> Vec<Flag> {
        vec![
            Flag::critical(
                "deletes a budget that watches production spend: its alerts stop for good",
            )
            .in_production(),
        ]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let account = account(cx).await?;
        let client: Client = cx.client().await;
        client
            .delete_budget()
            .account_id(&account)
            .budget_name(&self.budget_name)
            .send()
            .await
            .map_err(|e| {
                let e = ToolError::from_sdk(e);
                if e.aws_code() == Some("NotFoundException") {
                    return ToolError::Precondition {
                        message: format!("there is no budget named {}", self.budget_name),
                        hint: "nothing was deleted; list_budgets shows the budgets".into(),
                        details: json!({"budget_name": self.budget_name}),
                    };
                }
                e
            })?;
        Ok(Output::new(
            format!("Deleted the budget {} and its alerts.", self.budget_name),
            json!({"budget_name": self.budget_name, "deleted": true}),
        ))
    }
}

/// The account the budgets live in (Budgets' APIs name it).
async fn account(cx: &Cx<'_>) -> Result<String, ToolError> {
    let sts: aws_sdk_sts::Client = cx.client().await;
    crate::aws::account_id(&sts).await
}

fn subscriber(kind: SubscriptionType, address: &str) -> Result<Subscriber, ToolError> {
    Subscriber::builder()
        .subscription_type(kind)
        .address(address)
        .build()
        .map_err(|e| ToolError::invalid(e.to_string()))
}

/// A budget name: 1-100 characters, no `:` or `\` (AWS's rule).
fn check_name(name: &str) -> Result<(), ToolError> {
    if name.is_empty() || name.len() > 100 || name.contains([':', '\\']) {
        return Err(ToolError::invalid(
            "budget_name must be 1-100 characters without ':' or '\\'",
        ));
    }
    Ok(())
}
