//! One-time confirmation tokens for destructive calls.
//!
//! A token is bound to the SHA-256 of the tool, the action and the canonical arguments, expires
//! after a fixed time, and is spent when the guardrails accept it: it authorises one attempt,
//! so a call that then fails at AWS needs a fresh plan and token.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

pub type Binding = [u8; 32];

struct Pending {
    binding: Binding,
    expires: Instant,
    used: bool,
}

pub struct ConfirmStore {
    ttl: Duration,
    tokens: Mutex<HashMap<String, Pending>>,
}

impl ConfirmStore {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            tokens: Mutex::default(),
        }
    }

    /// The hash a token is bound to: tool, action and arguments with keys in sorted order.
    pub fn binding(tool: &str, action: &str, args: &Map<String, Value>) -> Binding {
        let mut canonical = String::new();
        write_canonical(&Value::Object(args.clone()), &mut canonical);
        let mut h = Sha256::new();
        for part in [tool, "\0", action, "\0", &canonical] {
            h.update(part.as_bytes());
        }
        h.finalize().into()
    }

    /// Issues a fresh token for a binding.
    pub fn issue(&self, binding: Binding) -> (String, Duration) {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).expect("the OS random source works");
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let token = format!("ct-{token}");
        let now = Instant::now();
        let mut tokens = self.tokens.lock().expect("token map lock");
        // Forget tokens long past their expiry so the map stays small.
        tokens.retain(|_, p| p.expires + self.ttl > now);
        tokens.insert(
            token.clone(),
            Pending {
                binding,
                expires: now + self.ttl,
                used: false,
            },
        );
        (token, self.ttl)
    }

    /// Spends a token for a binding, or says why it cannot be used.
    pub fn redeem(&self, token: &str, binding: &Binding) -> Result<(), &'static str> {
        let mut tokens = self.tokens.lock().expect("token map lock");
        let pending = tokens
            .get_mut(token)
            .ok_or("the token is unknown (issued by another server process, or mistyped)")?;
        if pending.used {
            return Err("the token was already used");
        }
        if Instant::now() >= pending.expires {
            return Err("the token has expired");
        }
        if &pending.binding != binding {
            return Err("the token was issued for a different tool, action or arguments");
        }
        pending.used = true;
        Ok(())
    }
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn args(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn a_token_works_once_for_its_own_call() {
        let store = ConfirmStore::new(Duration::from_secs(60));
        let b = ConfirmStore::binding(
            "aws_ec2",
            "terminate_instances",
            &args(json!({"instance_ids": ["i-1"]})),
        );
        let (token, _) = store.issue(b);
        assert_eq!(store.redeem(&token, &b), Ok(()));
        assert_eq!(store.redeem(&token, &b), Err("the token was already used"));
    }

    #[test]
    fn other_arguments_are_refused() {
        let store = ConfirmStore::new(Duration::from_secs(60));
        let b1 = ConfirmStore::binding(
            "aws_ec2",
            "terminate_instances",
            &args(json!({"instance_ids": ["i-1"]})),
        );
        let b2 = ConfirmStore::binding(
            "aws_ec2",
            "terminate_instances",
            &args(json!({"instance_ids": ["i-2"]})),
        );
        let (token, _) = store.issue(b1);
        assert!(store.redeem(&token, &b2).unwrap_err().contains("different"));
        // A refused attempt does not spend the token.
        assert_eq!(store.redeem(&token, &b1), Ok(()));
    }

    #[test]
    fn expired_and_unknown_tokens_are_refused() {
        let store = ConfirmStore::new(Duration::ZERO);
        let b = ConfirmStore::binding("t", "a", &Map::new());
        let (token, _) = store.issue(b);
        assert_eq!(store.redeem(&token, &b), Err("the token has expired"));
        assert!(store.redeem("ct-nope", &b).unwrap_err().contains("unknown"));
    }

    #[test]
    fn binding_ignores_key_order() {
        let a = ConfirmStore::binding("t", "a", &args(json!({"x": 1, "y": {"b": 2, "a": 1}})));
        let b = ConfirmStore::binding("t", "a", &args(json!({"y": {"a": 1, "b": 2}, "x": 1})));
        assert_eq!(a, b);
    }
}
