//! Policies that deny or gate matching calls.

use schemars::JsonSchema;
use serde::Deserialize;

use super::*;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddPolicy {
    pub name: String,
    pub description: Option<String>,
    pub effect: Effect,
    /// Which calls it matches
    pub rule: Option<PolicyRule>,
}

impl Action for AddPolicy {
    const NAME: &'static str = "add_policy";
    const DESCRIPTION: &'static str = "Add a policy that denies or gates calls";
    const ACCESS: Access = Access::Write;
    // A new policy can only add checks: deny wins, allow never lifts one.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        self.rule
            .as_ref()
            .map_or(Ok(()), |r| r.validate().map_err(ToolError::invalid))
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let d = dispatcher(cx);
        let store = &d.guardrails.store;

        let p = store.add_policy(
            &self.name,
            self.description,
            self.effect,
            self.rule.unwrap_or_default(),
        )?;
        Ok(Output::new(
            format!("Added policy {} ({}).", p.name, p.id),
            json!(p),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetPolicy {
    pub policy_id: String,
}

impl Action for GetPolicy {
    const NAME: &'static str = "get_policy";
    const DESCRIPTION: &'static str = "A policy";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let d = dispatcher(cx);
        let store = &d.guardrails.store;

        let p = store
            .policy(&self.policy_id)?
            .ok_or_else(|| ToolError::invalid(format!("no policy {}", self.policy_id)))?;
        Ok(Output::new(
            format!("Policy {} ({}).", p.name, p.id),
            json!(p),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListPolicies {}

impl Action for ListPolicies {
    const NAME: &'static str = "list_policies";
    const DESCRIPTION: &'static str = "Policies";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let d = dispatcher(cx);
        let store = &d.guardrails.store;

        let list = store.policies()?;
        Ok(Output::new(
            format!("{} polic(ies).", list.len()),
            json!({"policies": list}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePolicy {
    pub policy_id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub effect: Option<Effect>,
    /// Which calls it matches
    pub rule: Option<PolicyRule>,
    pub enabled: Option<bool>,
}

impl Action for UpdatePolicy {
    const NAME: &'static str = "update_policy";
    const DESCRIPTION: &'static str = "Change a policy";
    const ACCESS: Access = Access::Write;
    // Weakening or disabling a policy loosens the guardrails.
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        self.rule
            .as_ref()
            .map_or(Ok(()), |r| r.validate().map_err(ToolError::invalid))
    }

    fn targets(&self) -> Vec<Target> {
        vec![guardrails_settings()]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let d = dispatcher(cx);
        let store = &d.guardrails.store;

        let mut p = store
            .policy(&self.policy_id)?
            .ok_or_else(|| ToolError::invalid(format!("no policy {}", self.policy_id)))?;
        p.name = self.name.unwrap_or(p.name);
        p.description = self.description.or(p.description);
        p.effect = self.effect.unwrap_or(p.effect);
        p.rule = self.rule.unwrap_or(p.rule);
        p.enabled = self.enabled.unwrap_or(p.enabled);
        p.updated_at = now();
        store.put_policy(&p)?;
        Ok(Output::new(format!("Updated policy {}.", p.id), json!(p)))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RemovePolicy {
    pub policy_id: String,
}

impl Action for RemovePolicy {
    const NAME: &'static str = "remove_policy";
    const DESCRIPTION: &'static str = "Delete a policy";
    const ACCESS: Access = Access::Destructive;
    const RISK: Risk = Risk::Critical;

    fn targets(&self) -> Vec<Target> {
        vec![guardrails_settings()]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let d = dispatcher(cx);
        let store = &d.guardrails.store;

        if !store.remove_policy(&self.policy_id)? {
            return Err(ToolError::invalid(format!("no policy {}", self.policy_id)));
        }
        Ok(Output::new(
            format!("Removed policy {}.", self.policy_id),
            json!({"removed": self.policy_id}),
        ))
    }
}
