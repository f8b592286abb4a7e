//! One file per tool: its action enum, per-action input structs, and the hand-off to services.

pub mod ec2;
pub mod guardrails;
pub mod network;
pub mod s3;

use crate::registry::ToolDef;

/// Every tool the server can register, in the order clients list them.
pub static ALL: &[&ToolDef] = &[&ec2::TOOL, &network::TOOL, &s3::TOOL, &guardrails::TOOL];

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
