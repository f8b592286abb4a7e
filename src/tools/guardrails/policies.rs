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
        let (name, description, effect, rule) = (
            self.name,
            self.description,
            self.effect,
            self.rule.unwrap_or_default(),
        );
        let p = store(cx)
            .run(move |s| s.add_policy(&name, description, effect, rule))
            .await?;
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
        let id = self.policy_id.clone();
        let p = store(cx)
            .run(move |s| s.policy(&id))
            .await?
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
        let list = store(cx).run(|s| s.policies()).await?;
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
        let (id, id_shown) = (self.policy_id.clone(), self.policy_id.clone());
        let p = store(cx)
            .run(move |s| {
                let Some(mut p) = s.policy(&id)? else {
                    return Ok(None);
                };
                p.name = self.name.unwrap_or(p.name);
                p.description = self.description.or(p.description);
                p.effect = self.effect.unwrap_or(p.effect);
                p.rule = self.rule.unwrap_or(p.rule);
                p.enabled = self.enabled.unwrap_or(p.enabled);
                p.updated_at = now();
                s.put_policy(&p)?;
                Ok(Some(p))
            })
            .await?
            .ok_or_else(|| ToolError::invalid(format!("no policy {id_shown}")))?;
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
        let id = self.policy_id.clone();
        if !store(cx).run(move |s| s.remove_policy(&id)).await? {
            return Err(ToolError::invalid(format!("no policy {}", self.policy_id)));
        }
        Ok(Output::new(
            format!("Removed policy {}.", self.policy_id),
            json!({"removed": self.policy_id}),
        ))
    }
}
