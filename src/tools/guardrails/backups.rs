//! Pre-operation backups taken on request, and the record of all of them.

use schemars::JsonSchema;
use serde::Deserialize;

use super::*;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePreOperationBackup {
    pub instance_ids: Vec<String>,
    /// For the approvers
    pub reason: Option<String>,
}

impl Action for CreatePreOperationBackup {
    const NAME: &'static str = "create_pre_operation_backup";
    const DESCRIPTION: &'static str = "Snapshot instances' EBS volumes now";
    const ACCESS: Access = Access::Write;
    // Snapshots cost money and change nothing that runs.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        if self.instance_ids.is_empty() {
            return Err(ToolError::invalid(
                "instance_ids must name at least one instance",
            ));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        self.instance_ids
            .iter()
            .map(|id| Target::new(Kind::Instance, id))
            .collect()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let targets: Vec<_> = self
            .instance_ids
            .iter()
            .map(|id| Target::new(Kind::Instance, id))
            .collect();
        let reason = self.reason.unwrap_or_else(|| "requested".into());
        let made = dispatcher(cx)
            .guardrails
            .backup_before("aws_guardrails", &reason, &targets, cx.at(), cx.aws())
            .await?;
        Ok(Output::new(
            format!("Took {} backup(s).", made.len()),
            json!({"backups": made}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListPreOperationBackups {
    pub resource_id: Option<String>,
    pub max_results: Option<u32>,
}

impl Action for ListPreOperationBackups {
    const NAME: &'static str = "list_pre_operation_backups";
    const DESCRIPTION: &'static str = "Recorded pre-operation backups";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let limit = PageRequest::new(self.max_results, None)?.limit;
        let resource = self.resource_id;
        let list = store(cx)
            .run(move |s| s.backups(resource.as_deref(), limit))
            .await?;
        Ok(Output::new(
            format!("{} backup(s).", list.len()),
            json!({"backups": list}),
        ))
    }
}
