//! Consolidated billing: Cost Explorer's GetCostAndUsage for the organization, grouped by
//! linked account and, within each, by service, with each one's share of the total.

use std::collections::BTreeMap;

use aws_sdk_costexplorer::{
    Client,
    types::{Granularity, GroupDefinition, GroupDefinitionType},
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Risk, Target},
    tools::cost::{Period, amount, ce_error, prices::round, today},
};

/// An account, its cost, and its services' costs.
type AccountCosts = (String, f64, Vec<(String, f64)>);

/// The metric summed: what the bill shows.
const METRIC: &str = "UnblendedCost";
/// The most Cost Explorer pages read for one answer.
const MAX_PAGES: usize = 20;
/// Services shown per account; the rest are summed as `other`.
const SERVICES_SHOWN: usize = 10;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetConsolidatedBilling {
    /// this_month (default), last_month, last_N_days
    pub period: Option<String>,
    /// YYYY-MM-DD, with end (exclusive)
    pub start: Option<String>,
    pub end: Option<String>,
    /// Accounts shown (default 50); the rest summed
    pub max_results: Option<u32>,
}

impl GetConsolidatedBilling {
    fn period(&self) -> Result<Period, ToolError> {
        Period::parse(
            self.period.as_deref(),
            self.start.as_deref(),
            self.end.as_deref(),
            today(),
        )
    }
}

impl Action for GetConsolidatedBilling {
    const NAME: &'static str = "get_consolidated_billing";
    const DESCRIPTION: &'static str = "Spend per account and service, with shares";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        if self.max_results == Some(0) {
            return Err(ToolError::invalid("max_results must be at least 1"));
        }
        self.period().map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let period = self.period()?;
        let shown = self.max_results.unwrap_or(50).min(1000) as usize;
        let client: Client = cx.client().await;
        let group = |key: &str| {
            GroupDefinition::builder()
                .r#type(GroupDefinitionType::Dimension)
                .key(key)
                .build()
        };
        // account → service → amount; account → name.
        let mut costs: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
        let mut names: BTreeMap<String, String> = BTreeMap::new();
        let mut unit: Option<String> = None;
        let mut estimated = false;
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            let out = client
                .get_cost_and_usage()
                .time_period(period.interval())
                .granularity(Granularity::Monthly)
                .metrics(METRIC)
                .group_by(group("LINKED_ACCOUNT"))
                .group_by(group("SERVICE"))
                .set_next_page_token(token.clone())
                .send()
                .await
                .map_err(ce_error)?;
            for a in out.dimension_value_attributes() {
                if let (Some(id), Some(name)) =
                    (a.value(), a.attributes().and_then(|m| m.get("description")))
                {
                    names.insert(id.to_string(), name.clone());
                }
            }
            for r in out.results_by_time() {
                estimated |= r.estimated();
                for g in r.groups() {
                    let keys = g.keys();
                    let (Some(account), Some(service)) = (keys.first(), keys.get(1)) else {
                        continue;
                    };
                    let m = g.metrics().and_then(|m| m.get(METRIC));
                    if unit.is_none() {
                        unit = m.and_then(|m| m.unit()).map(str::to_string);
                    }
                    *costs
                        .entry(account.clone())
                        .or_default()
                        .entry(service.clone())
                        .or_default() += amount(m.and_then(|m| m.amount()));
                }
            }
            pages += 1;
            token = out.next_page_token().map(str::to_string);
            if token.is_none() || pages >= MAX_PAGES {
                break;
            }
        }
        let cut = token.is_some();
        let total: f64 = costs.values().flat_map(|s| s.values()).sum();
        let share = |v: f64| {
            if total > 0.0 {
                round(v / total * 100.0)
            } else {
                0.0
            }
        };
        let mut accounts: Vec<AccountCosts> = costs
            .into_iter()
            .map(|(id, services)| {
                let sum = services.values().sum();
                let mut services: Vec<(String, f64)> = services.into_iter().collect();
                services.sort_by(|a, b| b.1.total_cmp(&a.1));
                (id, sum, services)
            })
            .collect();
        accounts.sort_by(|a, b| b.1.total_cmp(&a.1));
        let count = accounts.len();
        let rest: f64 = accounts.iter().skip(shown).map(|a| a.1).sum();
        let list: Vec<Value> = accounts
            .iter()
            .take(shown)
            .map(|(id, sum, services)| {
                let other: f64 = services.iter().skip(SERVICES_SHOWN).map(|s| s.1).sum();
                let mut items: Vec<Value> = services
                    .iter()
                    .take(SERVICES_SHOWN)
                    .map(|(name, v)| {
                        json!({
                            "service": name,
                            "cost": round(*v),
                            "share_of_account": if *sum > 0.0 { round(v / sum * 100.0) } else { 0.0 },
                            "share_of_total": share(*v),
                        })
                    })
                    .collect();
                if services.len() > SERVICES_SHOWN {
                    items.push(json!({
                        "service": format!("{} other service(s)", services.len() - SERVICES_SHOWN),
                        "cost": round(other),
                        "share_of_total": share(other),
                    }));
                }
                json!({
                    "account_id": id,
                    "name": names.get(id),
                    "cost": round(*sum),
                    "share_of_total": share(*sum),
                    "services": items,
                })
            })
            .collect();
        let unit = unit.unwrap_or_else(|| "USD".into());
        let top = list
            .first()
            .map(|a| {
                format!(
                    " Largest: {} at {}%.",
                    a["account_id"].as_str().unwrap_or_default(),
                    a["share_of_total"]
                )
            })
            .unwrap_or_default();
        let mut data = json!({
            "period": {"start": period.start.to_string(), "end": period.end.to_string()},
            "metric": METRIC,
            "currency": unit,
            "total": round(total),
            "estimated": estimated,
            "accounts": list,
        });
        if count > shown {
            data["other_accounts"] = json!({
                "count": count - shown, "cost": round(rest), "share_of_total": share(rest)
            });
        }
        if cut {
            data["incomplete"] = json!(format!(
                "Cost Explorer had more than {MAX_PAGES} pages; ask for a shorter period"
            ));
        }
        Ok(Output::new(
            format!(
                "{:.2} {unit} across {count} account(s), {} to {}.{top}",
                total, period.start, period.end
            ),
            data,
        ))
    }
}
