//! The result shape every call returns (DESIGN §3), and its bounds.

use serde_json::{Map, Value, json};

/// Items a list action returns when `max_results` is not given.
pub const DEFAULT_PAGE: usize = 50;
/// The most items a list action returns in one call.
pub const MAX_PAGE: usize = 1000;
/// The most bytes a result may take; larger results are cut, with `truncated: true`.
pub const MAX_RESULT_BYTES: usize = 60_000;

/// What an action produced, before shaping.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// One or two sentences a person would say.
    pub summary: String,
    /// Compact data with AWS names kept.
    pub data: Value,
    /// Token for the next page of a list, when there is one.
    pub next_token: Option<String>,
}

impl Output {
    pub fn new(summary: impl Into<String>, data: Value) -> Self {
        Self {
            summary: summary.into(),
            data,
            next_token: None,
        }
    }

    pub fn with_next_token(mut self, token: Option<String>) -> Self {
        self.next_token = token;
        self
    }

    /// The JSON result, cut to `max_bytes`: when too large, the longest list in `data` loses
    /// items from its end and the result says so.
    pub fn shape(self, max_bytes: usize) -> Value {
        let mut result = Map::new();
        result.insert("summary".into(), json!(self.summary));
        result.insert("data".into(), self.data);
        if let Some(t) = self.next_token {
            result.insert("next_token".into(), json!(t));
        }
        let mut value = Value::Object(result);
        if size(&value) <= max_bytes {
            return value;
        }
        let Some(path) = longest_list(&value["data"]) else {
            let total = size(&value);
            value["data"] = json!({});
            value["truncated"] = json!(true);
            value["truncation"] = json!(format!(
                "the data ({total} bytes) is over the {max_bytes}-byte limit and was left out; \
                 ask for less (a narrower filter or a single resource)"
            ));
            return value;
        };
        let total = list_at(&mut value, &path).len();
        // Binary search for the most items that fit.
        let full = list_at(&mut value, &path).clone();
        let (mut lo, mut hi) = (0usize, total);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            *list_at(&mut value, &path) = full[..mid].to_vec();
            if size(&value) + 200 <= max_bytes {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        *list_at(&mut value, &path) = full[..lo].to_vec();
        value["truncated"] = json!(true);
        // A next_token points past the whole page, so following it would skip the items cut
        // here: drop it and say how to page without gaps.
        let paged = value
            .as_object_mut()
            .and_then(|o| o.remove("next_token"))
            .is_some();
        value["truncation"] = json!(if paged {
            format!(
                "showing {lo} of {total} items to stay under {max_bytes} bytes, so no next_token \
                 is given; repeat the call with max_results: {} to page through everything",
                lo.max(1)
            )
        } else {
            format!(
                "showing {lo} of {total} items to stay under {max_bytes} bytes; narrow the query \
                 (filters, a smaller max_results) or fetch single resources"
            )
        });
        value
    }
}

fn size(v: &Value) -> usize {
    serde_json::to_vec(v).map(|b| b.len()).unwrap_or(usize::MAX)
}

/// The key path under `data` of its largest array (top level or one object down).
fn longest_list(data: &Value) -> Option<Vec<String>> {
    let mut best: Option<(usize, Vec<String>)> = None;
    let mut consider = |path: Vec<String>, v: &Value| {
        if let Value::Array(_) = v {
            let s = size(v);
            if best.as_ref().is_none_or(|(b, _)| s > *b) {
                best = Some((s, path));
            }
        }
    };
    if let Value::Object(obj) = data {
        for (k, v) in obj {
            consider(vec![k.clone()], v);
            if let Value::Object(inner) = v {
                for (k2, v2) in inner {
                    consider(vec![k.clone(), k2.clone()], v2);
                }
            }
        }
    } else {
        consider(vec![], data);
    }
    best.map(|(_, p)| p)
}

fn list_at<'a>(value: &'a mut Value, path: &[String]) -> &'a mut Vec<Value> {
    let mut cur = &mut value["data"];
    for k in path {
        cur = &mut cur[k.as_str()];
    }
    cur.as_array_mut().expect("path points at an array")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_results_are_untouched() {
        let out = Output::new("one", json!({"items": [1, 2, 3]})).shape(MAX_RESULT_BYTES);
        assert_eq!(out, json!({"summary": "one", "data": {"items": [1, 2, 3]}}));
    }

    #[test]
    fn large_lists_are_cut_and_flagged() {
        let items: Vec<Value> = (0..5000)
            .map(|i| json!({"id": format!("i-{i:08}")}))
            .collect();
        let out = Output::new("many", json!({"instances": items})).shape(10_000);
        let kept = out["data"]["instances"].as_array().unwrap().len();
        assert!(kept > 100 && kept < 5000, "kept {kept}");
        assert!(serde_json::to_vec(&out).unwrap().len() <= 10_000);
        assert_eq!(out["truncated"], json!(true));
        assert!(
            out["truncation"]
                .as_str()
                .unwrap()
                .contains(&format!("{kept} of 5000"))
        );
    }

    #[test]
    fn a_cut_page_drops_its_next_token_and_says_how_to_page() {
        let items: Vec<Value> = (0..500)
            .map(|i| json!({"key": format!("k-{i:06}")}))
            .collect();
        let out = Output::new("page", json!({"objects": items}))
            .with_next_token(Some("e1.next".into()))
            .shape(5_000);
        let kept = out["data"]["objects"].as_array().unwrap().len();
        assert!(out.get("next_token").is_none());
        let advice = out["truncation"].as_str().unwrap();
        assert!(advice.contains(&format!("max_results: {kept}")), "{advice}");
    }

    #[test]
    fn oversized_scalar_data_is_dropped_with_a_reason() {
        let out = Output::new("big", json!({"text": "x".repeat(20_000)})).shape(1_000);
        assert_eq!(out["data"], json!({}));
        assert_eq!(out["truncated"], json!(true));
    }
}
