//! Savings from Cost Explorer: EC2 right-sizing, Savings Plans and reservation purchase
//! recommendations (term, payment option, monthly savings, break-even), and how well the
//! Savings Plans already bought are used.

use aws_sdk_costexplorer::{
    Client,
    types::{
        LookbackPeriodInDays, PaymentOption, RecommendationTarget,
        RightsizingRecommendationConfiguration, SupportedSavingsPlansType, TermInYears,
    },
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Period, amount, ce_error, prices::round, today};
use crate::{
    aws::paging::PageRequest,
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Risk, Target},
};

/// A value of an SDK string enum, checked against the values the SDK knows.
fn one_of(field: &str, value: &str, values: &[&str]) -> Result<(), ToolError> {
    if values.contains(&value) {
        Ok(())
    } else {
        Err(ToolError::invalid(format!(
            "{field} '{value}' is not one of {}",
            values.join(", ")
        )))
    }
}

/// The purchase options shared by the Savings Plans and reservation recommendations.
#[derive(Debug, Clone)]
pub struct PurchaseOptions {
    pub term: Option<String>,
    pub payment_option: Option<String>,
    pub lookback: Option<String>,
}

impl PurchaseOptions {
    fn validate(&self) -> Result<(), ToolError> {
        one_of("term", self.term(), TermInYears::values())?;
        one_of("payment_option", self.payment(), PaymentOption::values())?;
        one_of("lookback", self.lookback(), LookbackPeriodInDays::values())
    }

    fn term(&self) -> &str {
        self.term.as_deref().unwrap_or("ONE_YEAR")
    }

    fn payment(&self) -> &str {
        self.payment_option.as_deref().unwrap_or("NO_UPFRONT")
    }

    fn lookback(&self) -> &str {
        self.lookback.as_deref().unwrap_or("THIRTY_DAYS")
    }
}

/// Months until an upfront payment is paid back by the monthly savings.
fn break_even(upfront: f64, monthly_savings: f64) -> Option<f64> {
    if upfront <= 0.0 {
        Some(0.0)
    } else if monthly_savings > 0.0 {
        Some(round(upfront / monthly_savings))
    } else {
        None
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetRightsizingRecommendations {
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for GetRightsizingRecommendations {
    const NAME: &'static str = "get_rightsizing_recommendations";
    const DESCRIPTION: &'static str = "EC2 right-sizing, savings";
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
        // Same family: the change an owner can make without re-testing the workload.
        let target = RecommendationTarget::SameInstanceFamily;
        let out = client
            .get_rightsizing_recommendation()
            .service("AmazonEC2")
            .configuration(
                RightsizingRecommendationConfiguration::builder()
                    .recommendation_target(target)
                    .benefits_considered(true)
                    .build()
                    .map_err(|e| ToolError::invalid(e.to_string()))?,
            )
            .page_size(page.aws_page_size(1, 100))
            .set_next_page_token(page.aws_token.clone())
            .send()
            .await
            .map_err(ce_error)?;
        let items: Vec<Value> = out
            .rightsizing_recommendations()
            .iter()
            .map(|r| {
                let current = r.current_instance();
                let details = current
                    .and_then(|c| c.resource_details())
                    .and_then(|d| d.ec2_resource_details());
                let (to, savings) = match (r.modify_recommendation_detail(), r.terminate_recommendation_detail()) {
                    (Some(m), _) => {
                        let best = m
                            .target_instances()
                            .iter()
                            .find(|t| t.default_target_instance())
                            .or(m.target_instances().first());
                        (
                            best.and_then(|t| t.resource_details())
                                .and_then(|d| d.ec2_resource_details())
                                .and_then(|d| d.instance_type())
                                .map(str::to_string),
                            best.map(|t| amount(t.estimated_monthly_savings())),
                        )
                    }
                    (None, Some(t)) => (None, Some(amount(t.estimated_monthly_savings()))),
                    (None, None) => (None, None),
                };
                json!({
                    "instance_id": current.and_then(|c| c.resource_id()),
                    "name": current.and_then(|c| c.instance_name()),
                    "account_id": r.account_id(),
                    "region": details.and_then(|d| d.region()),
                    "instance_type": details.and_then(|d| d.instance_type()),
                    "monthly_cost": current.map(|c| round(amount(c.monthly_cost()))),
                    "recommendation": r.rightsizing_type().map(|t| t.as_str()),
                    "target_type": to,
                    "estimated_monthly_savings": savings.map(round),
                    "currency": current.and_then(|c| c.currency_code()),
                    "reasons": r.finding_reason_codes().iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                })
            })
            .collect();
        let (items, next) = page.finish(items, out.next_page_token().map(str::to_string));
        let s = out.summary();
        let total = s.map(|s| round(amount(s.estimated_total_monthly_savings_amount())));
        let unit = s.and_then(|s| s.savings_currency_code()).unwrap_or("USD");
        Ok(Output::new(
            format!(
                "{} right-sizing recommendation(s); estimated savings {:.2} {unit} a month in all.",
                items.len(),
                total.unwrap_or(0.0)
            ),
            json!({
                "recommendations": items,
                "estimated_total_monthly_savings": total,
                "savings_percent": s.map(|s| round(amount(s.savings_percentage()))),
                "currency": unit,
            }),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetSavingsPlanRecommendations {
    /// COMPUTE_SP, EC2_INSTANCE_SP, SAGEMAKER_SP
    pub savings_plans_type: Option<String>,
    /// ONE_YEAR, THREE_YEARS
    pub term: Option<String>,
    /// NO_UPFRONT, PARTIAL_UPFRONT, ALL_UPFRONT
    pub payment_option: Option<String>,
}

impl Action for GetSavingsPlanRecommendations {
    const NAME: &'static str = "get_savings_plan_recommendations";
    const DESCRIPTION: &'static str = "Plans to buy, break-even";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        one_of(
            "savings_plans_type",
            self.kind(),
            SupportedSavingsPlansType::values(),
        )?;
        self.options().validate()
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let o = &self.options();
        let out = client
            .get_savings_plans_purchase_recommendation()
            .savings_plans_type(SupportedSavingsPlansType::from(self.kind()))
            .term_in_years(TermInYears::from(o.term()))
            .payment_option(PaymentOption::from(o.payment()))
            .lookback_period_in_days(LookbackPeriodInDays::from(o.lookback()))
            .send()
            .await
            .map_err(ce_error)?;
        let rec = out.savings_plans_purchase_recommendation();
        let details: Vec<Value> = rec
            .map(|r| r.savings_plans_purchase_recommendation_details())
            .unwrap_or_default()
            .iter()
            .take(50)
            .map(|d| {
                let monthly = amount(d.estimated_monthly_savings_amount());
                let upfront = amount(d.upfront_cost());
                json!({
                    "account_id": d.account_id(),
                    "region": d.savings_plans_details().and_then(|s| s.region()),
                    "instance_family": d.savings_plans_details().and_then(|s| s.instance_family()),
                    "hourly_commitment": d.hourly_commitment_to_purchase(),
                    "upfront_cost": round(upfront),
                    "estimated_monthly_savings": round(monthly),
                    "estimated_savings_percent": round(amount(d.estimated_savings_percentage())),
                    "estimated_average_utilization": d.estimated_average_utilization(),
                    "break_even_months": break_even(upfront, monthly),
                })
            })
            .collect();
        let s = rec.and_then(|r| r.savings_plans_purchase_recommendation_summary());
        let monthly = s.map(|s| round(amount(s.estimated_monthly_savings_amount())));
        let unit = s.and_then(|s| s.currency_code()).unwrap_or("USD");
        let summary = match (s, monthly) {
            (Some(s), Some(m)) if m > 0.0 => format!(
                "{} {} {}: commit {} an hour to save about {m:.2} {unit} a month ({}%).",
                self.kind(),
                o.term(),
                o.payment(),
                s.hourly_commitment_to_purchase().unwrap_or("?"),
                round(amount(s.estimated_savings_percentage()))
            ),
            _ => format!(
                "No {} recommendation for {} {} over the last {}.",
                self.kind(),
                o.term(),
                o.payment(),
                o.lookback()
            ),
        };
        Ok(Output::new(
            summary,
            json!({
                "savings_plans_type": self.kind(),
                "term": o.term(),
                "payment_option": o.payment(),
                "lookback": o.lookback(),
                "currency": unit,
                "hourly_commitment": s.and_then(|s| s.hourly_commitment_to_purchase()),
                "estimated_monthly_savings": monthly,
                "estimated_savings_percent": s.map(|s| round(amount(s.estimated_savings_percentage()))),
                "estimated_roi_percent": s.map(|s| round(amount(s.estimated_roi()))),
                "current_on_demand_spend": s.map(|s| round(amount(s.current_on_demand_spend()))),
                "recommendations": details,
            }),
        ))
    }
}

impl GetSavingsPlanRecommendations {
    fn options(&self) -> PurchaseOptions {
        PurchaseOptions {
            term: self.term.clone(),
            payment_option: self.payment_option.clone(),
            lookback: None,
        }
    }

    fn kind(&self) -> &str {
        self.savings_plans_type.as_deref().unwrap_or("COMPUTE_SP")
    }
}

/// Reservation services as Cost Explorer names them, by the short names the model uses.
const SERVICES: &[(&str, &str)] = &[
    ("ec2", "Amazon Elastic Compute Cloud - Compute"),
    ("rds", "Amazon Relational Database Service"),
    ("elasticache", "Amazon ElastiCache"),
    ("opensearch", "Amazon OpenSearch Service"),
    ("redshift", "Amazon Redshift"),
    ("memorydb", "Amazon MemoryDB Service"),
];

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetReservationRecommendations {
    /// ec2, rds, elasticache, opensearch, redshift
    pub service: Option<String>,
    /// ONE_YEAR, THREE_YEARS
    pub term: Option<String>,
    /// NO_UPFRONT, PARTIAL_UPFRONT, ALL_UPFRONT
    pub payment_option: Option<String>,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl GetReservationRecommendations {
    fn options(&self) -> PurchaseOptions {
        PurchaseOptions {
            term: self.term.clone(),
            payment_option: self.payment_option.clone(),
            lookback: None,
        }
    }

    fn service(&self) -> Option<&'static str> {
        let s = self.service.as_deref().unwrap_or("ec2");
        SERVICES.iter().find(|(k, _)| *k == s).map(|(_, v)| *v)
    }
}

impl Action for GetReservationRecommendations {
    const NAME: &'static str = "get_reservation_recommendations";
    const DESCRIPTION: &'static str = "RIs to buy, break-even";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        if self.service().is_none() {
            let names: Vec<&str> = SERVICES.iter().map(|(k, _)| *k).collect();
            return Err(ToolError::invalid(format!(
                "service must be one of {}",
                names.join(", ")
            )));
        }
        PageRequest::new(self.max_results, self.next_token.as_deref())?;
        self.options().validate()
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let o = &self.options();
        let out = client
            .get_reservation_purchase_recommendation()
            .service(self.service().unwrap_or_default())
            .term_in_years(TermInYears::from(o.term()))
            .payment_option(PaymentOption::from(o.payment()))
            .lookback_period_in_days(LookbackPeriodInDays::from(o.lookback()))
            .page_size(page.aws_page_size(1, 100))
            .set_next_page_token(page.aws_token.clone())
            .send()
            .await
            .map_err(ce_error)?;
        let mut total = 0.0;
        let mut unit: Option<String> = None;
        let mut items: Vec<Value> = Vec::new();
        for rec in out.recommendations() {
            if let Some(s) = rec.recommendation_summary() {
                total += amount(s.total_estimated_monthly_savings_amount());
                unit = unit.or(s.currency_code().map(str::to_string));
            }
            for d in rec.recommendation_details() {
                let ec2 = d.instance_details().and_then(|i| i.ec2_instance_details());
                let monthly = amount(d.estimated_monthly_savings_amount());
                let upfront = amount(d.upfront_cost());
                items.push(json!({
                    "account_id": d.account_id(),
                    "instance_type": ec2.and_then(|e| e.instance_type()),
                    "region": ec2.and_then(|e| e.region()),
                    "platform": ec2.and_then(|e| e.platform()),
                    "count": d.recommended_number_of_instances_to_purchase(),
                    "upfront_cost": round(upfront),
                    "recurring_monthly_cost": round(amount(d.recurring_standard_monthly_cost())),
                    "estimated_monthly_savings": round(monthly),
                    "estimated_savings_percent": round(amount(d.estimated_monthly_savings_percentage())),
                    "break_even_months": d.estimated_break_even_in_months()
                        .map(|b| round(amount(Some(b))))
                        .or(break_even(upfront, monthly)),
                    "average_utilization": d.average_utilization(),
                }));
            }
        }
        let (items, next) = page.finish(items, out.next_page_token().map(str::to_string));
        let unit = unit.unwrap_or_else(|| "USD".into());
        Ok(Output::new(
            format!(
                "{} reservation recommendation(s) ({} {}): about {:.2} {unit} a month saved in all.",
                items.len(),
                o.term(),
                o.payment(),
                round(total)
            ),
            json!({
                "service": self.service(),
                "term": o.term(),
                "payment_option": o.payment(),
                "lookback": o.lookback(),
                "currency": unit,
                "estimated_monthly_savings": round(total),
                "recommendations": items,
            }),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetSavingsPlansUtilization {
    pub period: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
}

impl GetSavingsPlansUtilization {
    fn period(&self) -> Result<Period, ToolError> {
        Period::parse(
            self.period.as_deref(),
            self.start.as_deref(),
            self.end.as_deref(),
            today(),
        )
    }
}

impl Action for GetSavingsPlansUtilization {
    const NAME: &'static str = "get_savings_plans_utilization";
    const DESCRIPTION: &'static str = "Savings Plans use";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        self.period().map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let period = self.period()?;
        let out = client
            .get_savings_plans_utilization()
            .time_period(period.interval())
            .send()
            .await
            .map_err(ce_error)?;
        let t = out.total();
        let u = t.and_then(|t| t.utilization());
        let percent = u.map(|u| round(amount(u.utilization_percentage())));
        let unused = u.map(|u| round(amount(u.unused_commitment())));
        let net = t
            .and_then(|t| t.savings())
            .map(|s| round(amount(s.net_savings())));
        Ok(Output::new(
            format!(
                "Savings Plans {} to {}: {}% of the commitment used, {:.2} unused, net savings \
                 {:.2}.",
                period.start,
                period.end,
                percent.unwrap_or(0.0),
                unused.unwrap_or(0.0),
                net.unwrap_or(0.0)
            ),
            json!({
                "period": {"start": period.start.to_string(), "end": period.end.to_string()},
                "total_commitment": u.map(|u| round(amount(u.total_commitment()))),
                "used_commitment": u.map(|u| round(amount(u.used_commitment()))),
                "unused_commitment": unused,
                "utilization_percent": percent,
                "net_savings": net,
                "on_demand_cost_equivalent": t.and_then(|t| t.savings())
                    .map(|s| round(amount(s.on_demand_cost_equivalent()))),
            }),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn break_even_months() {
        assert_eq!(break_even(0.0, 10.0), Some(0.0));
        assert_eq!(break_even(120.0, 10.0), Some(12.0));
        assert_eq!(break_even(120.0, 0.0), None);
    }
}
