//! Flat input schemas (DESIGN §2): every tool's schema is one object whose `action` is a plain
//! string enum and whose other fields are the union of the per-action input structs' fields.
//!
//! No `oneOf`/`anyOf`/`allOf`, no `$ref`, no `"null"` types: several MCP clients reject them.

use std::collections::BTreeMap;

use schemars::{JsonSchema, generate::SchemaSettings};
use serde_json::{Map, Value, json};

use crate::registry::{Access, ActionSpec};

/// Fields every tool accepts besides `action`; removed before the per-action parse.
pub const COMMON_FIELDS: &[&str] = &[
    "action",
    "region",
    "dry_run",
    "confirm_token",
    "approval_request_id",
    "change_request_id",
];

/// The cleaned, inlined schema of one action's input struct.
pub fn action_schema<T: JsonSchema>() -> Value {
    let settings = SchemaSettings::draft2020_12().with(|s| {
        s.inline_subschemas = true;
        s.meta_schema = None;
    });
    let schema = settings.into_generator().into_root_schema_for::<T>();
    let mut value = schema.to_value();
    clean(&mut value);
    if let Some(obj) = value.as_object_mut() {
        obj.remove("title");
        obj.remove("description");
    }
    value
}

/// The flat schema of a tool: the `action` enum plus the merge of its actions' fields.
///
/// In read-only mode only Read actions, and the fields they use, are present.
pub fn tool_schema(actions: &[ActionSpec], read_only: bool) -> Value {
    let exposed: Vec<&ActionSpec> = actions
        .iter()
        .filter(|a| !read_only || a.access == Access::Read)
        .collect();
    let mut fields: BTreeMap<String, (Value, Vec<&str>)> = BTreeMap::new();
    let mut any_mutating = false;
    for action in &exposed {
        any_mutating |= action.access != Access::Read;
        let schema = (action.input_schema)();
        for (name, prop) in properties(&schema) {
            let entry = fields
                .entry(name.clone())
                .or_insert_with(|| (prop.clone(), Vec::new()));
            entry.1.push(action.name);
        }
    }
    let mut props = Map::new();
    let names: Vec<&str> = exposed.iter().map(|a| a.name).collect();
    props.insert(
        "action".into(),
        json!({"type": "string", "enum": names, "description": "The operation to run"}),
    );
    for (name, (mut prop, users)) in fields {
        let doc = prop
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let desc = if users.len() == exposed.len() {
            doc
        } else {
            format!("{doc} Used by: {}", users.join(", "))
                .trim()
                .to_string()
        };
        prop["description"] = json!(desc);
        props.insert(name, prop);
    }
    props.insert(
        "region".into(),
        json!({"type": "string", "description": "AWS region for this call, e.g. eu-west-1 (default: the server's)"}),
    );
    if any_mutating {
        props.insert(
            "dry_run".into(),
            json!({"type": "boolean", "description": "Change nothing: AWS checks the call where it has a dry-run mode (EC2), else the plan is returned"}),
        );
        props.insert(
            "confirm_token".into(),
            json!({"type": "string", "description": "Token from a confirmation_required result; repeat the same call with it to execute"}),
        );
        props.insert(
            "approval_request_id".into(),
            json!({"type": "string", "description": "Id from a pending_approval result, once humans approved it; repeat the same call with it"}),
        );
        props.insert(
            "change_request_id".into(),
            json!({"type": "string", "description": "Change request this change belongs to (required for approved production changes)"}),
        );
    }
    json!({
        "type": "object",
        "properties": props,
        "required": ["action"],
        "additionalProperties": false,
    })
}

/// "needs: a, b; also accepts: c, d", for error messages.
pub fn describe_fields(schema: &Value) -> String {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let optional: Vec<&str> = properties(schema)
        .map(|(k, _)| k.as_str())
        .filter(|k| !required.contains(k))
        .collect();
    let list = |v: &[&str]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    format!(
        "required fields: {}; optional fields: {}",
        list(&required),
        list(&optional)
    )
}

fn properties(schema: &Value) -> impl Iterator<Item = (&String, &Value)> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|m| m.iter())
}

/// Removes what clients reject: `null` in types and enums, `anyOf` with a null branch,
/// non-standard integer formats, titles, and `default: null`.
fn clean(value: &mut Value) {
    match value {
        Value::Object(obj) => {
            if let Some(Value::Array(types)) = obj.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let t = types.remove(0);
                    obj.insert("type".into(), t);
                }
            }
            if let Some(Value::Array(values)) = obj.get_mut("enum") {
                values.retain(|v| !v.is_null());
            }
            for key in ["anyOf", "oneOf"] {
                if let Some(Value::Array(branches)) = obj.get(key) {
                    let non_null: Vec<Value> = branches
                        .iter()
                        .filter(|b| b.get("type") != Some(&json!("null")))
                        .cloned()
                        .collect();
                    if non_null.len() == 1 {
                        obj.remove(key);
                        if let Value::Object(inner) = non_null.into_iter().next().unwrap() {
                            for (k, v) in inner {
                                obj.entry(k).or_insert(v);
                            }
                        }
                    }
                }
            }
            if obj.get("default").is_some_and(Value::is_null) {
                obj.remove("default");
            }
            if obj
                .get("format")
                .and_then(Value::as_str)
                .is_some_and(|f| f.starts_with("int") || f.starts_with("uint") || f == "double")
            {
                obj.remove("format");
            }
            obj.remove("title");
            for (key, v) in obj.iter_mut() {
                // `properties` maps field names to schemas: clean the schemas, keep the names.
                match (key.as_str(), v) {
                    ("properties", Value::Object(props)) => props.values_mut().for_each(clean),
                    (_, v) => clean(v),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(clean),
        _ => {}
    }
}
