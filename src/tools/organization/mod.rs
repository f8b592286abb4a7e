//! `aws_organization`: the session context (where calls go).

pub mod context;

use crate::registry::{ActionDef, Tool};

pub static TOOL: Tool = Tool {
    name: "aws_organization",
    toolset: "organization",
    about: "Accounts: where calls go.",
    actions: &[
        ActionDef::of::<context::SwitchAccount>(),
        ActionDef::of::<context::GetCurrentContext>(),
        ActionDef::of::<context::ResetContext>(),
    ],
};
