//! One file per tool: its action enum, per-action input structs, and the hand-off to services.

pub mod ec2;

use crate::registry::ToolDef;

/// Every tool the server can register, in the order clients list them.
pub static ALL: &[&ToolDef] = &[&ec2::TOOL];
