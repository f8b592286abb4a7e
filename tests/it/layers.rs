//! The modules form layers and every dependency points down (ARCHITECTURE.md): nothing that
//! calls AWS for the guardrails imports a tool, the guardrails see actions only through the
//! registry, and a tool never reaches the dispatcher unless it is the guardrails tool.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
};

/// Bottom first. A module may use modules of lower layers only.
const LAYERS: &[&[&str]] = &[
    &["error", "output", "schema", "cidr"],
    &["settings"],
    &["aws"],
    &["registry"],
    &["guardrails", "surface"],
    &["dispatch"],
    &["tools"],
    &["server"],
    &["cli"],
];

/// The top-level crate modules each top-level module uses (`crate::x` paths and
/// `use crate::{x, …}` groups), comments left out.
fn dependencies(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap();
            let module = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_str()
                .unwrap()
                .trim_end_matches(".rs")
                .to_string();
            if module == "main" || module == "lib" {
                continue;
            }
            let text: String = std::fs::read_to_string(&path)
                .unwrap()
                .lines()
                .map(|l| l.split("//").next().unwrap())
                .collect::<Vec<_>>()
                .join("\n");
            let used = deps.entry(module.clone()).or_default();
            for (i, _) in text.match_indices("crate::") {
                let rest = &text[i + "crate::".len()..];
                if let Some(group) = rest.strip_prefix('{') {
                    // `use crate::{a, b::{c, d}, e};`: the names at depth 0.
                    let mut depth = 0;
                    let mut name = String::new();
                    for c in group.chars() {
                        match c {
                            '{' => depth += 1,
                            '}' if depth == 0 => break,
                            '}' => depth -= 1,
                            ',' if depth == 0 => {
                                used.insert(head(&name));
                                name.clear();
                                continue;
                            }
                            _ => {}
                        }
                        if depth == 0 {
                            name.push(c);
                        }
                    }
                    used.insert(head(&name));
                } else {
                    used.insert(head(rest));
                }
            }
            used.retain(|d| !d.is_empty() && *d != module);
        }
    }
    deps
}

fn head(path: &str) -> String {
    path.trim()
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("")
        .to_string()
}

#[test]
fn dependencies_point_down_the_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let layer_of = |m: &str| LAYERS.iter().position(|l| l.contains(&m));
    let deps = dependencies(&src);
    for (module, used) in &deps {
        let own = layer_of(module)
            .unwrap_or_else(|| panic!("module {module} is in no layer; add it to LAYERS"));
        for d in used {
            let theirs = layer_of(d).unwrap_or_else(|| panic!("{module} uses unknown {d}"));
            assert!(
                theirs < own,
                "{module} (layer {own}) uses {d} (layer {theirs}): dependencies must point down"
            );
        }
    }
    assert!(deps["registry"].contains("aws") && !deps["aws"].contains("registry"));
}
