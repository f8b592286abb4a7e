//! The tool surface clients see, generated from the registry: each tool's flat input schema
//! (DESIGN §2: `action` a plain string enum, the other fields the union of its actions'
//! fields) and its description (a sentence, then one line per exposed action).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::registry::{Access, ActionDef, Tool};

/// Fields every tool accepts besides `action`; removed before the per-action parse.
pub const COMMON_FIELDS: &[&str] = &[
    "action",
    "region",
    "account",
    "accounts",
    "regions",
    "dry_run",
    "confirm_token",
    "approval_request_id",
    "change_request_id",
];

/// Whether a tool's calls may name an `account`: every tool's but the guardrails', whose state
/// is this server's own.
pub fn takes_account(tool: &Tool) -> bool {
    tool.toolset != "guardrails"
}

/// Whether a tool's reads may fan out (`accounts`, `regions`): not the guardrails', nor the
/// organization's and cost's, which answer for the whole organization from its management
/// account already.
pub fn fans_out(tool: &Tool) -> bool {
    !matches!(tool.toolset, "guardrails" | "organization" | "cost")
}

/// Fields whose meaning is the same wherever they appear: described once, here, tersely.
const SHARED_DOCS: &[(&str, &str)] = &[
    ("max_results", "Page size (default 50, max 1000)"),
    ("next_token", "From the previous page"),
];

/// The actions of a tool exposed in this mode: all, or only reads in read-only mode.
pub fn exposed(tool: &Tool, read_only: bool) -> impl Iterator<Item = &'static ActionDef> {
    tool.actions
        .iter()
        .filter(move |a| !read_only || a.access == Access::Read)
}

/// The flat schema of a tool: the `action` enum plus the merge of its actions' fields.
///
/// In read-only mode only Read actions, and the fields they use, are present. Which action
/// takes which field is in the tool description, so field descriptions stay short.
pub fn tool_schema(tool: &Tool, read_only: bool) -> Value {
    let actions: Vec<&ActionDef> = exposed(tool, read_only).collect();
    let mut props = Map::new();
    props.insert(
        "action".into(),
        json!({"type": "string", "enum": actions.iter().map(|a| a.name).collect::<Vec<_>>()}),
    );
    let mut fields: BTreeMap<String, Value> = BTreeMap::new();
    for action in &actions {
        let schema = (action.schema)();
        for (name, prop) in properties(&schema) {
            fields.entry(name.clone()).or_insert_with(|| prop.clone());
        }
    }
    for (name, mut prop) in fields {
        if let Some((_, doc)) = SHARED_DOCS.iter().find(|(n, _)| *n == name) {
            prop["description"] = json!(doc);
        }
        props.insert(name, prop);
    }
    // The common fields are explained once, in the server's instructions.
    props.insert("region".into(), json!({"type": "string"}));
    if takes_account(tool) {
        props.insert("account".into(), json!({"type": "string"}));
    }
    if fans_out(tool) && actions.iter().any(|a| a.access == Access::Read) {
        let list = json!({"type": "array", "items": {"type": "string"}});
        props.insert("accounts".into(), list.clone());
        props.insert("regions".into(), list);
    }
    if actions.iter().any(|a| a.access != Access::Read) {
        for field in ["confirm_token", "approval_request_id", "change_request_id"] {
            props.insert(field.into(), json!({"type": "string"}));
        }
        props.insert("dry_run".into(), json!({"type": "boolean"}));
    }
    json!({
        "type": "object",
        "properties": props,
        "required": ["action"],
        "additionalProperties": false,
    })
}

/// The tool description: its sentence, then one line per exposed action,
/// `name(required, optional?) — what it does`.
pub fn tool_description(tool: &Tool, read_only: bool) -> String {
    let mut out = String::from(tool.about);
    for action in exposed(tool, read_only) {
        out.push('\n');
        out.push_str(&signature(action));
        out.push_str(" — ");
        out.push_str(action.description);
    }
    out
}

/// `name(required, optional?)` from an action's schema.
pub fn signature(action: &ActionDef) -> String {
    let schema = (action.schema)();
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut params: Vec<String> = required.iter().map(|s| s.to_string()).collect();
    // Paging fields are the same on every list: the server's instructions explain them once.
    params.extend(
        properties(&schema)
            .map(|(k, _)| k.as_str())
            .filter(|k| !required.contains(k) && !matches!(*k, "max_results" | "next_token"))
            .map(|k| format!("{k}?")),
    );
    format!("{}({})", action.name, params.join(", "))
}

fn properties(schema: &Value) -> impl Iterator<Item = (&String, &Value)> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|m| m.iter())
}
