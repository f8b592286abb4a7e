//! Risk classification of an action: Delete/Terminate → Critical (destructive), Modify/Update and
//! other changes → High, Create → Medium, Read/List/Get → Low. A call flagged by its tool (e.g.
//! a rule open to the world) is at least High.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::registry::Access;

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    Low,
    Medium,
    High,
    Critical,
}

impl Risk {
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
            Risk::Critical => "critical",
        }
    }
}

/// Verbs that only add something new; any other change is a modification.
const CREATING: &[&str] = &[
    "create",
    "import",
    "copy",
    "allocate",
    "add",
    "put",
    "register",
    "attach",
    "associate",
    "enable",
    "log",
    "configure",
];

pub fn classify(action: &str, access: Access, flagged: bool) -> Risk {
    let base = match access {
        Access::Read => Risk::Low,
        Access::Destructive => Risk::Critical,
        Access::Write => {
            let verb = action.split('_').next().unwrap_or("");
            if CREATING.contains(&verb) {
                Risk::Medium
            } else {
                Risk::High
            }
        }
    };
    if flagged { base.max(Risk::High) } else { base }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs_map_to_risks() {
        assert_eq!(
            classify("terminate_instances", Access::Destructive, false),
            Risk::Critical
        );
        assert_eq!(
            classify("modify_instance_attribute", Access::Write, false),
            Risk::High
        );
        assert_eq!(classify("stop_instances", Access::Write, false), Risk::High);
        assert_eq!(
            classify("create_instances", Access::Write, false),
            Risk::Medium
        );
        assert_eq!(classify("list_instances", Access::Read, false), Risk::Low);
        assert_eq!(classify("create_key_pair", Access::Write, true), Risk::High);
    }
}
