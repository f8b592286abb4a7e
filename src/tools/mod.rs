//! One folder per tool: its actions, grouped by resource area, each an input struct with its
//! `Action` impl next to the AWS calls it makes.

pub mod containers;
pub mod cost;
pub mod ec2;
pub mod guardrails;
pub mod lambda;
pub mod monitoring;
pub mod network;
pub mod organization;
pub mod rds;
pub mod s3;
pub mod security;

use crate::{
    dispatch::Dispatcher,
    error::ToolError,
    guardrails::store::StoreError,
    registry::{Tags, Tool},
    settings::Settings,
};

/// Checks tags against AWS's limits: at most 50, keys 1-128 and values up to 256 characters.
pub fn check_tags(tags: Option<&Tags>) -> Result<(), ToolError> {
    let Some(t) = tags else { return Ok(()) };
    if t.len() > 50 {
        return Err(ToolError::invalid("at most 50 tags"));
    }
    if let Some((k, _)) = t
        .iter()
        .find(|(k, v)| k.is_empty() || k.len() > 128 || v.len() > 256)
    {
        return Err(ToolError::invalid(format!(
            "tag '{k}': keys are 1-128 characters, values up to 256"
        )));
    }
    Ok(())
}

/// Every tool the server can register, in the order clients list them.
pub static ALL: &[&Tool] = &[
    &ec2::TOOL,
    &network::TOOL,
    &s3::TOOL,
    &security::TOOL,
    &cost::TOOL,
    &organization::TOOL,
    &rds::TOOL,
    &containers::TOOL,
    &lambda::TOOL,
    &monitoring::TOOL,
    &guardrails::TOOL,
];

impl Dispatcher {
    /// The dispatcher over every tool, of which `settings.toolsets` picks the registered ones.
    pub fn new(settings: &Settings) -> Result<Self, StoreError> {
        Self::over(settings, ALL)
    }
}

/// Checks `--toolsets` names against the registry, so a typo does not silently register nothing.
pub fn check_toolsets(names: &[String]) -> Result<(), String> {
    let known = |n: &str| ALL.iter().any(|t| t.toolset == n || t.name == n);
    let unknown: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| !known(n))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let available: Vec<&str> = ALL.iter().map(|t| t.toolset).collect();
    Err(format!(
        "unknown toolset(s) {}; available: {}",
        unknown.join(", "),
        available.join(", ")
    ))
}
