//! The price table (`prices.json`, versioned with its source and date) and `estimate_cost`.
//! An estimate names the table version it used; a region or type the table does not list has
//! no price, and the result says so instead of guessing.

use std::{collections::BTreeMap, sync::OnceLock};

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Risk, Target},
};

/// The table as shipped.
#[derive(Debug, Deserialize)]
pub struct PriceTable {
    pub version: String,
    pub currency: String,
    pub source: String,
    pub hours_per_month: f64,
    pub notes: String,
    regions: BTreeMap<String, String>,
    base: Prices,
}

#[derive(Debug, Deserialize)]
struct Prices {
    ec2_hourly: BTreeMap<String, f64>,
    ebs_gb_month: BTreeMap<String, f64>,
    ebs_iops_month: BTreeMap<String, f64>,
    ebs_throughput_mbps_month_gp3_over_125: f64,
    snapshot_gb_month: f64,
    public_ipv4_hourly: f64,
    nat_gateway_hourly: f64,
    nat_gateway_gb: f64,
    load_balancer_hourly: BTreeMap<String, f64>,
}

/// The shipped table, parsed once.
pub fn table() -> &'static PriceTable {
    static TABLE: OnceLock<PriceTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        serde_json::from_str(include_str!("prices.json")).expect("prices.json is valid")
    })
}

/// A monthly estimate: the amount, or why there is none, and how it was made.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub monthly: Option<f64>,
    pub how: String,
}

impl Estimate {
    fn known(monthly: f64, how: String) -> Self {
        Self {
            monthly: Some(round(monthly)),
            how,
        }
    }

    fn unknown(how: String) -> Self {
        Self { monthly: None, how }
    }

    pub fn to_json(&self) -> Value {
        json!({"monthly_cost": self.monthly, "estimate": self.how})
    }
}

impl PriceTable {
    fn prices(&self, region: &str) -> Option<&Prices> {
        self.regions.get(region).map(|_| &self.base)
    }

    fn no_region(&self, region: &str, what: &str) -> Estimate {
        Estimate::unknown(format!(
            "no price for {what} in {region}: the price table {} lists {}",
            self.version,
            self.regions.keys().cloned().collect::<Vec<_>>().join(", ")
        ))
    }

    /// An instance running `hours` a month, compute only (its volumes are priced apart).
    pub fn instance(&self, region: &str, instance_type: &str, hours: f64) -> Estimate {
        let Some(p) = self.prices(region) else {
            return self.no_region(region, instance_type);
        };
        match p.ec2_hourly.get(instance_type) {
            Some(h) => Estimate::known(
                h * hours,
                format!(
                    "{instance_type} on-demand Linux ${h}/hour x {hours} h (table {})",
                    self.version
                ),
            ),
            None => Estimate::unknown(format!(
                "no price for {instance_type} in the price table {}; it lists common t, m, c and \
                 r types (aws pricing get-products has every type)",
                self.version
            )),
        }
    }

    /// An EBS volume: storage, plus provisioned IOPS and gp3 throughput above the free base.
    pub fn volume(
        &self,
        region: &str,
        volume_type: &str,
        size_gb: f64,
        iops: Option<f64>,
        throughput: Option<f64>,
    ) -> Estimate {
        let what = format!("{volume_type} volumes");
        let Some(p) = self.prices(region) else {
            return self.no_region(region, &what);
        };
        let Some(gb) = p.ebs_gb_month.get(volume_type) else {
            return Estimate::unknown(format!(
                "no price for volume type {volume_type} in the price table {}",
                self.version
            ));
        };
        let mut total = gb * size_gb;
        let mut how = format!("{size_gb} GB x ${gb}/GB-month {volume_type}");
        let extra_iops = match volume_type {
            "io1" | "io2" => iops.unwrap_or(0.0),
            "gp3" => (iops.unwrap_or(3000.0) - 3000.0).max(0.0),
            _ => 0.0,
        };
        if extra_iops > 0.0 {
            let key = if volume_type == "gp3" {
                "gp3_over_3000"
            } else {
                volume_type
            };
            if let Some(rate) = p.ebs_iops_month.get(key) {
                total += rate * extra_iops;
                how.push_str(&format!(" + {extra_iops} IOPS x ${rate}"));
            }
        }
        if volume_type == "gp3" {
            let extra = (throughput.unwrap_or(125.0) - 125.0).max(0.0);
            if extra > 0.0 {
                let rate = p.ebs_throughput_mbps_month_gp3_over_125;
                total += rate * extra;
                how.push_str(&format!(" + {extra} MB/s x ${rate}"));
            }
        }
        how.push_str(&format!(" (table {})", self.version));
        Estimate::known(total, how)
    }

    /// A snapshot at most `size_gb` (snapshots are incremental: this is an upper bound).
    pub fn snapshot(&self, region: &str, size_gb: f64) -> Estimate {
        let Some(p) = self.prices(region) else {
            return self.no_region(region, "snapshots");
        };
        let rate = p.snapshot_gb_month;
        Estimate::known(
            rate * size_gb,
            format!(
                "at most {size_gb} GB (its volume's size; snapshots are incremental) x \
                 ${rate}/GB-month standard tier (table {})",
                self.version
            ),
        )
    }

    /// A public IPv4 address (an Elastic IP, attached or not).
    pub fn public_ip(&self, region: &str, hours: f64) -> Estimate {
        let Some(p) = self.prices(region) else {
            return self.no_region(region, "public IPv4 addresses");
        };
        let h = p.public_ipv4_hourly;
        Estimate::known(
            h * hours,
            format!("public IPv4 ${h}/hour x {hours} h (table {})", self.version),
        )
    }

    /// A NAT gateway, by the hour plus the data it processes.
    pub fn nat_gateway(&self, region: &str, hours: f64, data_gb: f64) -> Estimate {
        let Some(p) = self.prices(region) else {
            return self.no_region(region, "NAT gateways");
        };
        let (h, gb) = (p.nat_gateway_hourly, p.nat_gateway_gb);
        Estimate::known(
            h * hours + gb * data_gb,
            format!(
                "${h}/hour x {hours} h + {data_gb} GB processed x ${gb}/GB (table {})",
                self.version
            ),
        )
    }

    /// A load balancer by the hour (capacity units and data are extra).
    pub fn load_balancer(&self, region: &str, kind: &str, hours: f64) -> Estimate {
        let Some(p) = self.prices(region) else {
            return self.no_region(region, "load balancers");
        };
        match p.load_balancer_hourly.get(kind) {
            Some(h) => Estimate::known(
                h * hours,
                format!(
                    "{kind} load balancer ${h}/hour x {hours} h, capacity units not included \
                     (table {})",
                    self.version
                ),
            ),
            None => Estimate::unknown(format!(
                "no price for a {kind} load balancer in the price table {}",
                self.version
            )),
        }
    }
}

/// Money rounded to cents.
pub fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EstimateCost {
    /// instance, volume, snapshot, nat_gateway, load_balancer, elastic_ip
    pub resource: String,
    /// Instance, volume or LB type
    pub r#type: Option<String>,
    pub size_gb: Option<f64>,
    pub iops: Option<f64>,
    /// NAT GB a month
    pub data_gb: Option<f64>,
    pub count: Option<u32>,
    /// Ask the Price List API first
    pub price_list: Option<bool>,
}

const RESOURCES: &[&str] = &[
    "instance",
    "volume",
    "snapshot",
    "nat_gateway",
    "load_balancer",
    "elastic_ip",
];

impl Action for EstimateCost {
    const NAME: &'static str = "estimate_cost";
    const DESCRIPTION: &'static str = "Monthly cost of a resource";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        if !RESOURCES.contains(&self.resource.as_str()) {
            return Err(ToolError::invalid(format!(
                "resource must be one of {}",
                RESOURCES.join(", ")
            )));
        }
        let need = |ok: bool, what: &str| {
            if ok {
                Ok(())
            } else {
                Err(ToolError::invalid(format!(
                    "{what} is required for resource {}",
                    self.resource
                )))
            }
        };
        match self.resource.as_str() {
            "instance" => need(self.r#type.is_some(), "type (the instance type)")?,
            "volume" | "snapshot" => need(self.size_gb.is_some(), "size_gb")?,
            _ => {}
        }
        for (name, v) in [
            ("size_gb", self.size_gb),
            ("iops", self.iops),
            ("data_gb", self.data_gb),
        ] {
            if v.is_some_and(|v| !(0.0..=1e9).contains(&v)) {
                return Err(ToolError::invalid(format!("{name} must be 0 or more")));
            }
        }
        if self.count.is_some_and(|c| c == 0 || c > 10_000) {
            return Err(ToolError::invalid("count must be 1 to 10000"));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let t = table();
        let region = cx.region().unwrap_or_else(|| "us-east-1".into());
        // Always on; a schedule that stops it at night lowers this.
        let hours = t.hours_per_month;
        let mut one = match self.resource.as_str() {
            "instance" => t.instance(&region, self.r#type.as_deref().unwrap_or_default(), hours),
            "volume" => t.volume(
                &region,
                self.r#type.as_deref().unwrap_or("gp3"),
                self.size_gb.unwrap_or_default(),
                self.iops,
                None,
            ),
            "snapshot" => t.snapshot(&region, self.size_gb.unwrap_or_default()),
            "nat_gateway" => t.nat_gateway(&region, hours, self.data_gb.unwrap_or(0.0)),
            "load_balancer" => t.load_balancer(
                &region,
                self.r#type.as_deref().unwrap_or("application"),
                hours,
            ),
            _ => t.public_ip(&region, hours),
        };
        let mut source = "table";
        let mut note: Option<String> = None;
        if self.price_list == Some(true) {
            match self.price_list_estimate(cx, &region, hours).await {
                Ok(Some(e)) => {
                    one = e;
                    source = "price_list_api";
                }
                Ok(None) => {
                    note = Some(format!(
                        "the Price List API has no price for this {}; the table was used",
                        self.resource
                    ))
                }
                Err(e) => {
                    note = Some(format!(
                        "the Price List API could not be asked ({e}); the table was used"
                    ))
                }
            }
        }
        let count = self.count.unwrap_or(1);
        let total = one.monthly.map(|m| round(m * f64::from(count)));
        let summary = match total {
            Some(total) => format!(
                "{count} x {} in {region}: about ${total:.2} a month ({}).",
                self.resource, t.currency
            ),
            None => format!("No estimate: {}.", one.how),
        };
        Ok(Output::new(
            summary,
            json!({
                "resource": self.resource,
                "region": region,
                "count": count,
                "monthly_cost_each": one.monthly,
                "monthly_cost": total,
                "currency": t.currency,
                "estimate": one.how,
                "price_source": source,
                "price_note": note,
                "price_table": {"version": t.version, "source": t.source},
                "not_included": t.notes,
            }),
        ))
    }
}

impl EstimateCost {
    /// The on-demand price from the AWS Price List API (served from us-east-1) for an
    /// instance type (Linux, shared tenancy) or a volume type in the call's region; `None`
    /// for resources it is not asked about or when it lists no price.
    async fn price_list_estimate(
        &self,
        cx: &Cx<'_>,
        region: &str,
        hours: f64,
    ) -> Result<Option<Estimate>, ToolError> {
        let (filters, unit) = match self.resource.as_str() {
            "instance" => (
                vec![
                    ("instanceType", self.r#type.clone().unwrap_or_default()),
                    ("regionCode", region.to_string()),
                    ("operatingSystem", "Linux".into()),
                    ("tenancy", "Shared".into()),
                    ("preInstalledSw", "NA".into()),
                    ("capacitystatus", "Used".into()),
                ],
                "Hrs",
            ),
            "volume" => (
                vec![
                    ("productFamily", "Storage".into()),
                    (
                        "volumeApiName",
                        self.r#type.clone().unwrap_or_else(|| "gp3".into()),
                    ),
                    ("regionCode", region.to_string()),
                ],
                "GB-Mo",
            ),
            _ => return Ok(None),
        };
        let client: aws_sdk_pricing::Client = cx.client_in(Some("us-east-1")).await;
        let mut req = client
            .get_products()
            .service_code("AmazonEC2")
            .format_version("aws_v1")
            .max_results(10);
        for (field, value) in &filters {
            req = req.filters(
                aws_sdk_pricing::types::Filter::builder()
                    .r#type(aws_sdk_pricing::types::FilterType::TermMatch)
                    .field(*field)
                    .value(value)
                    .build()
                    .map_err(|e| ToolError::invalid(e.to_string()))?,
            );
        }
        let out = req.send().await.map_err(ToolError::from_sdk)?;
        let Some(price) = out.price_list().iter().find_map(|p| on_demand_usd(p, unit)) else {
            return Ok(None);
        };
        Ok(Some(match self.resource.as_str() {
            "instance" => Estimate::known(
                price * hours,
                format!(
                    "{} on-demand Linux ${price}/hour x {hours} h (Price List API)",
                    self.r#type.as_deref().unwrap_or_default()
                ),
            ),
            _ => {
                let size = self.size_gb.unwrap_or_default();
                Estimate::known(
                    price * size,
                    format!(
                        "{size} GB x ${price}/GB-month (Price List API; provisioned IOPS and \
                         throughput not included)"
                    ),
                )
            }
        }))
    }
}

/// The USD on-demand price per `unit` in one Price List product document.
pub fn on_demand_usd(product: &str, unit: &str) -> Option<f64> {
    let v: Value = serde_json::from_str(product).ok()?;
    v["terms"]["OnDemand"]
        .as_object()?
        .values()
        .filter_map(|term| term["priceDimensions"].as_object())
        .flat_map(|dims| dims.values())
        .filter(|d| d["unit"] == unit)
        .find_map(|d| d["pricePerUnit"]["USD"].as_str()?.parse::<f64>().ok())
        .filter(|p| *p > 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_prices_what_it_lists_and_nothing_else() {
        let t = table();
        assert_eq!(
            t.instance("us-east-1", "t3.micro", 730.0).monthly,
            Some(7.59)
        );
        assert_eq!(t.instance("us-east-1", "x9.huge", 730.0).monthly, None);
        assert_eq!(t.instance("ap-south-2", "t3.micro", 730.0).monthly, None);
        assert_eq!(
            t.volume("us-east-1", "gp3", 100.0, None, None).monthly,
            Some(8.0)
        );
        // gp3 above its free 3000 IOPS and 125 MB/s.
        assert_eq!(
            t.volume("us-east-1", "gp3", 100.0, Some(4000.0), Some(225.0))
                .monthly,
            Some(8.0 + 5.0 + 4.0)
        );
        assert_eq!(t.public_ip("us-east-1", 730.0).monthly, Some(3.65));
        assert_eq!(
            t.nat_gateway("us-east-1", 730.0, 100.0).monthly,
            Some(32.85 + 4.5)
        );
    }
}
