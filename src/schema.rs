//! The JSON schema of one action's input struct, inlined and cleaned of what MCP clients reject
//! (`oneOf`/`anyOf`/`allOf`, `$ref`, `"null"` types) and of what they need not pay for.
//! `surface.rs` merges these into each tool's flat schema.

use schemars::{JsonSchema, generate::SchemaSettings};
use serde_json::{Map, Value, json};

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
