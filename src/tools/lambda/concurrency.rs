//! Concurrency: reserved (a cap and a guarantee for the function), provisioned (warm instances
//! of a version or alias) and what is set now.

use aws_sdk_lambda::Client;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{check_qualifier, check_unqualified, function_target, in_function, lambda_error};
use crate::{
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Flag, Kind, Risk, Target},
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PutReservedConcurrency {
    pub function_name: String,
    pub concurrency: i32,
}

impl Action for PutReservedConcurrency {
    const NAME: &'static str = "put_reserved_concurrency";
    const DESCRIPTION: &'static str = "Reserve (and cap) concurrency";
    const ACCESS: Access = Access::Write;
    // A cap below the load throttles the function.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_unqualified("function_name", &self.function_name)?;
        if self.concurrency < 0 {
            return Err(ToolError::invalid("concurrency must be 0 or more"));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![function_target(&self.function_name)]
    }

    fn flags(&self) -> Vec<Flag> {
        if self.concurrency == 0 {
            vec![Flag::high(format!(
                "reserved concurrency 0 throttles every invocation of {}",
                self.function_name
            ))]
        } else {
            Vec::new()
        }
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let out = client
            .put_function_concurrency()
            .function_name(&self.function_name)
            .reserved_concurrent_executions(self.concurrency)
            .send()
            .await
            .map_err(lambda_error)?;
        let n = out
            .reserved_concurrent_executions()
            .unwrap_or(self.concurrency);
        let note = if n == 0 {
            "; it is throttled: no invocation runs until delete_reserved_concurrency"
        } else {
            ""
        };
        Ok(Output::new(
            format!(
                "{} has {n} reserved concurrent executions{note}.",
                self.function_name
            ),
            json!({"function_name": self.function_name, "reserved_concurrent_executions": n}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteReservedConcurrency {
    pub function_name: String,
}

impl Action for DeleteReservedConcurrency {
    const NAME: &'static str = "delete_reserved_concurrency";
    const DESCRIPTION: &'static str = "Back to the unreserved pool";
    const ACCESS: Access = Access::Write;
    // The function loses its guarantee and its cap.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_unqualified("function_name", &self.function_name)
    }

    fn targets(&self) -> Vec<Target> {
        vec![function_target(&self.function_name)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        client
            .delete_function_concurrency()
            .function_name(&self.function_name)
            .send()
            .await
            .map_err(lambda_error)?;
        Ok(Output::new(
            format!(
                "{} has no reserved concurrency: it uses the account's unreserved pool.",
                self.function_name
            ),
            json!({"function_name": self.function_name, "reserved_concurrent_executions": null}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PutProvisionedConcurrency {
    pub function_name: String,
    /// Version or alias
    pub qualifier: String,
    pub concurrency: i32,
}

impl Action for PutProvisionedConcurrency {
    const NAME: &'static str = "put_provisioned_concurrency";
    const DESCRIPTION: &'static str = "Keep N instances warm (billed hourly)";
    const ACCESS: Access = Access::Write;
    // Billed for every hour it is set; changes nothing that runs.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_unqualified("function_name", &self.function_name)?;
        check_qualifier("qualifier", &self.qualifier)?;
        if self.qualifier == "$LATEST" {
            return Err(ToolError::invalid(
                "provisioned concurrency needs a published version or an alias, not $LATEST",
            ));
        }
        if self.concurrency < 1 {
            return Err(ToolError::invalid("concurrency must be 1 or more"));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![in_function(
            Kind::LambdaAlias,
            format!("{}:{}", self.function_name, self.qualifier),
            &self.function_name,
        )]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let out = client
            .put_provisioned_concurrency_config()
            .function_name(&self.function_name)
            .qualifier(&self.qualifier)
            .provisioned_concurrent_executions(self.concurrency)
            .send()
            .await
            .map_err(lambda_error)?;
        Ok(Output::new(
            format!(
                "{}:{} asks for {} provisioned instance(s) (status {}); they are billed while \
                 set.",
                self.function_name,
                self.qualifier,
                self.concurrency,
                out.status().map(|s| s.as_str()).unwrap_or("unknown")
            ),
            json!({
                "requested": out.requested_provisioned_concurrent_executions(),
                "allocated": out.allocated_provisioned_concurrent_executions(),
                "available": out.available_provisioned_concurrent_executions(),
                "status": out.status().map(|s| s.as_str()),
                "status_reason": out.status_reason(),
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetConcurrency {
    pub function_name: String,
}

impl Action for GetConcurrency {
    const NAME: &'static str = "get_concurrency";
    const DESCRIPTION: &'static str = "Reserved and provisioned concurrency";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_unqualified("function_name", &self.function_name)
    }

    fn targets(&self) -> Vec<Target> {
        vec![function_target(&self.function_name)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let reserved = client
            .get_function_concurrency()
            .function_name(&self.function_name)
            .send()
            .await
            .map_err(lambda_error)?
            .reserved_concurrent_executions();
        // At most 50 provisioned configurations (one per version or alias) in one page; more
        // are reported as truncated.
        let resp = client
            .list_provisioned_concurrency_configs()
            .function_name(&self.function_name)
            .max_items(50)
            .send()
            .await
            .map_err(lambda_error)?;
        let provisioned: Vec<Value> = resp
            .provisioned_concurrency_configs()
            .iter()
            .map(|p| {
                json!({
                    "function_arn": p.function_arn(),
                    "requested": p.requested_provisioned_concurrent_executions(),
                    "allocated": p.allocated_provisioned_concurrent_executions(),
                    "available": p.available_provisioned_concurrent_executions(),
                    "status": p.status().map(|s| s.as_str()),
                })
            })
            .collect();
        let total: i32 = provisioned
            .iter()
            .filter_map(|p| p["requested"].as_i64())
            .sum::<i64>() as i32;
        let mut data = json!({
            "reserved_concurrent_executions": reserved,
            "provisioned": provisioned,
        });
        if resp.next_marker().is_some() {
            data["truncated"] = json!(true);
        }
        Ok(Output::new(
            format!(
                "{}: reserved {}, provisioned {total} over {} version(s)/alias(es).",
                self.function_name,
                reserved
                    .map(|r| r.to_string())
                    .unwrap_or_else(|| "none (unreserved pool)".into()),
                data["provisioned"].as_array().map(Vec::len).unwrap_or(0)
            ),
            data,
        ))
    }
}
