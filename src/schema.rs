//! Flat input schemas (DESIGN §2): every tool's schema is one object whose `action` is a plain
//! string enum and whose other fields are the union of the per-action input structs' fields.
//!
//! No `oneOf`/`anyOf`/`allOf`, no `$ref`, no `"null"` types: several MCP clients reject them.

use std::collections::BTreeMap;

use schemars::{JsonSchema, generate::SchemaSettings};
use serde_json::{Map, Value, json};

use crate::registry::{Access, ActionDef, Tool};

/// Fields every tool accepts besides `action`; removed before the per-action parse.
pub const COMMON_FIELDS: &[&str] = &[
    "action",
    "region",
    "dry_run",
    "confirm_token",
    "approval_request_id",
    "change_request_id",
];

/// Fields whose meaning is the same wherever they appear: described once, here, tersely.
const SHARED_DOCS: &[(&str, &str)] = &[
    ("max_results", "Page size (default 50, max 1000)"),
    ("next_token", "From the previous page"),
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
        // Nested objects keep their properties but not `additionalProperties: false`: parsing
        // refuses unknown fields anyway, and the bytes are paid in every conversation.
        for prop in obj
            .get_mut("properties")
            .and_then(Value::as_object_mut)
            .into_iter()
            .flat_map(|p| p.values_mut())
        {
            strip_nested(prop);
        }
    }
    value
}

/// What nested schemas do not need to carry: closed-object markers, the descriptions of the
/// element types of lists and maps (their field's description says it), empty defaults and
/// `minimum: 0` on unsigned numbers (parsing enforces both).
fn strip_nested(value: &mut Value) {
    let Value::Object(obj) = value else { return };
    if obj.get("additionalProperties") == Some(&Value::Bool(false)) {
        obj.remove("additionalProperties");
    }
    if obj.get("default").is_some_and(|d| {
        d.as_object().is_some_and(Map::is_empty) || d.as_array().is_some_and(Vec::is_empty)
    }) {
        obj.remove("default");
    }
    if obj.get("minimum") == Some(&json!(0)) {
        obj.remove("minimum");
    }
    for key in ["items", "additionalProperties"] {
        if let Some(Value::Object(inner)) = obj.get_mut(key) {
            inner.remove("description");
        }
    }
    for (key, v) in obj.iter_mut() {
        match (key.as_str(), v) {
            ("properties", Value::Object(props)) => props.values_mut().for_each(strip_nested),
            ("items" | "additionalProperties", v) => strip_nested(v),
            _ => {}
        }
    }
}

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
    props.insert(
        "region".into(),
        json!({"type": "string", "description": "Default: the server's"}),
    );
    if actions.iter().any(|a| a.access != Access::Read) {
        props.insert(
            "dry_run".into(),
            json!({"type": "boolean", "description": "Validate only; change nothing"}),
        );
        props.insert(
            "confirm_token".into(),
            json!({"type": "string", "description": "From confirmation_required"}),
        );
        props.insert(
            "approval_request_id".into(),
            json!({"type": "string", "description": "From pending_approval, once approved"}),
        );
        props.insert(
            "change_request_id".into(),
            json!({"type": "string", "description": "Its change request"}),
        );
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
