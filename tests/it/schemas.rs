//! Schema snapshots and the validation every tool must pass (DESIGN §2).

use std::{collections::HashSet, path::Path};

use espada_aws::{
    cli, dispatch::Dispatcher, registry::Access, server::tool_definitions, settings::Settings,
};
use serde_json::Value;

fn full() -> Dispatcher {
    Dispatcher::new(&Settings {
        state: Some(":memory:".into()),
        ..Settings::default()
    })
    .unwrap()
}

#[test]
fn snapshots_are_current() {
    let d = full();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tool-schemas");
    if std::env::var("UPDATE_TOOL_SCHEMAS").as_deref() == Ok("1") {
        cli::write_snapshots(&d, &dir).unwrap();
    }
    let stale = cli::stale_snapshots(&d, &dir);
    assert!(
        stale.is_empty(),
        "stale schema snapshots {stale:?}: run UPDATE_TOOL_SCHEMAS=1 cargo test snapshots, or `espada-aws schemas --write tool-schemas`"
    );
    // Every file in the folder belongs to a registered tool.
    let names: HashSet<String> = cli::snapshots(&d).into_iter().map(|(n, _)| n).collect();
    for f in std::fs::read_dir(&dir).unwrap() {
        let name = f.unwrap().file_name().into_string().unwrap();
        assert!(names.contains(&name), "tool-schemas/{name} has no tool");
    }
}

#[test]
fn a_stale_snapshot_is_detected() {
    let d = full();
    let tmp = std::env::temp_dir().join(format!("espada-schemas-{}", std::process::id()));
    cli::write_snapshots(&d, &tmp).unwrap();
    assert!(cli::stale_snapshots(&d, &tmp).is_empty());
    let file = tmp.join("aws_ec2.json");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("list_instances", "list_instancez");
    std::fs::write(&file, text).unwrap();
    assert_eq!(cli::stale_snapshots(&d, &tmp), vec!["aws_ec2.json"]);
    std::fs::remove_file(&file).unwrap();
    assert_eq!(cli::stale_snapshots(&d, &tmp), vec!["aws_ec2.json"]);
    std::fs::remove_dir_all(&tmp).unwrap();
}

fn walk(v: &Value, path: &str, bad: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                if k == "$ref" || k == "$defs" || k == "definitions" {
                    bad.push(format!("{path}/{k}"));
                }
                if k == "type" && (x.is_array() || x == "null") {
                    bad.push(format!("{path}/type = {x}"));
                }
                walk(x, &format!("{path}/{k}"), bad);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| walk(x, path, bad)),
        _ => {}
    }
}

#[test]
fn every_tool_passes_validation() {
    for read_only in [false, true] {
        let d = Dispatcher::new(&Settings {
            read_only,
            state: Some(":memory:".into()),
            ..Settings::default()
        })
        .unwrap();
        let tools = tool_definitions(&d);
        assert!(!tools.is_empty());
        let mut names = HashSet::new();
        for t in &tools {
            assert!(
                names.insert(t.name.to_string()),
                "duplicate tool {}",
                t.name
            );
            assert!(
                t.name.len() <= 64 && t.name.starts_with("aws_"),
                "{}",
                t.name
            );
            assert!(
                t.description.as_ref().is_some_and(|d| d.len() > 20),
                "{} description",
                t.name
            );
            let schema = Value::Object((*t.input_schema).clone());
            assert_eq!(schema["type"], "object", "{}", t.name);
            for k in ["oneOf", "anyOf", "allOf", "not", "enum"] {
                assert!(schema.get(k).is_none(), "{} has top-level {k}", t.name);
            }
            let mut bad = Vec::new();
            walk(&schema, "", &mut bad);
            assert!(bad.is_empty(), "{}: {bad:?}", t.name);
            let s = schema.to_string();
            assert!(
                !s.contains("oneOf") && !s.contains("anyOf") && !s.contains("allOf"),
                "{}",
                t.name
            );
            for (field, prop) in schema["properties"].as_object().unwrap() {
                assert!(prop.get("type").is_some(), "{}.{field} has no type", t.name);
            }
            let ann = t.annotations.as_ref().expect("annotations set");
            let def = d.tools().iter().find(|x| x.name == t.name).unwrap();
            let exposed: Vec<_> = def
                .actions
                .iter()
                .filter(|a| !read_only || a.access == Access::Read)
                .collect();
            assert_eq!(
                ann.read_only_hint,
                Some(exposed.iter().all(|a| a.access == Access::Read))
            );
            assert_eq!(
                ann.destructive_hint,
                Some(exposed.iter().any(|a| a.access == Access::Destructive))
            );
            let enumerated: Vec<&str> = schema["properties"]["action"]["enum"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert_eq!(
                enumerated,
                exposed.iter().map(|a| a.name).collect::<Vec<_>>()
            );
            for a in &exposed {
                assert!(
                    !a.description.is_empty(),
                    "{} {} has no description",
                    t.name,
                    a.name
                );
                assert!(
                    a.name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                    "{}",
                    a.name
                );
                if read_only {
                    assert_eq!(a.access, Access::Read);
                }
            }
        }
    }
}

#[test]
fn fields_shared_by_actions_have_one_type() {
    for tool in full().tools() {
        let mut seen: std::collections::HashMap<String, (Value, &str)> = Default::default();
        for a in tool.actions.iter() {
            let schema = (a.schema)();
            let Some(props) = schema["properties"].as_object() else {
                continue; // an action without fields
            };
            for (field, prop) in props {
                let mut p = prop.clone();
                p.as_object_mut().unwrap().remove("description");
                if let Some((first, by)) = seen.get(field) {
                    assert_eq!(
                        first, &p,
                        "{}.{field}: {by} and {} disagree",
                        tool.name, a.name
                    );
                } else {
                    seen.insert(field.clone(), (p, a.name));
                }
            }
        }
    }
}

#[test]
fn readme_tool_table_is_generated() {
    let table = cli::tools_text(&full(), true);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (start, end) = ("<!-- tools:start -->\n", "<!-- tools:end -->");
    let (a, b) = (
        readme.find(start).expect("tools:start marker"),
        readme.find(end).expect("tools:end marker"),
    );
    let current = &readme[a + start.len()..b];
    if current != table && std::env::var("UPDATE_TOOL_SCHEMAS").as_deref() == Ok("1") {
        let updated = format!("{}{table}{}", &readme[..a + start.len()], &readme[b..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    assert!(
        current == table,
        "README.md's tool table is stale: run UPDATE_TOOL_SCHEMAS=1 cargo test readme"
    );
}
