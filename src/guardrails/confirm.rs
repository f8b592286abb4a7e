//! One-time confirmation tokens for destructive calls, kept in the state file so that a token
//! shown by one process (say `espada-aws call`) can be redeemed by another.
//!
//! A token is bound to the SHA-256 of the tool, the action and the canonical arguments, expires
//! after a fixed time, and is spent when the guardrails accept it: it authorises one attempt,
//! so a call that then fails at AWS needs a fresh plan and token.

use rusqlite::{OptionalExtension, Transaction, params};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::store::{Result, Store, now};

/// Hex SHA-256 of tool, action and arguments with keys in sorted order.
pub fn binding(tool: &str, action: &str, args: &Map<String, Value>) -> String {
    let canonical = canonical(&Value::Object(args.clone()));
    let mut h = Sha256::new();
    for part in [tool, "\0", action, "\0", &canonical] {
        h.update(part.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The SHA-256 of `bytes` in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// JSON text of a value with every object's keys in sorted order: equal values, equal text.
pub fn canonical(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

impl Store {
    /// Issues a fresh token for a binding, valid for `ttl_secs`.
    pub fn issue_token(&self, binding: &str, ttl_secs: i64) -> Result<String> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).expect("the OS random source works");
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let token = format!("ct-{token}");
        let t = now();
        self.write(|tx| {
            // Forget tokens long past their expiry so the table stays small.
            tx.execute(
                "DELETE FROM confirmations WHERE expires_at < ?1",
                [t - 86_400],
            )?;
            tx.execute(
                "INSERT INTO confirmations (token, binding, expires_at) VALUES (?1, ?2, ?3)",
                params![token, binding, t + ttl_secs],
            )
        })?;
        Ok(token)
    }

    /// Spends a token for a binding, or says why it cannot be used.
    pub fn redeem_token(
        &self,
        token: &str,
        binding: &str,
    ) -> Result<std::result::Result<(), &'static str>> {
        self.write(|tx| redeem_in(tx, token, binding))
    }
}

/// Spends a token for a binding inside `tx`, or says why it cannot be used (and changes
/// nothing). The gate redeems in the transaction that admits the call.
pub fn redeem_in(
    tx: &Transaction<'_>,
    token: &str,
    binding: &str,
) -> rusqlite::Result<std::result::Result<(), &'static str>> {
    let row: Option<(String, i64, bool)> = tx
        .query_row(
            "SELECT binding, expires_at, used FROM confirmations WHERE token = ?1",
            [token],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((bound, expires, used)) = row else {
        return Ok(Err(
            "the token is unknown (mistyped, or from another state file)",
        ));
    };
    if used {
        return Ok(Err("the token was already used"));
    }
    if now() >= expires {
        return Ok(Err("the token has expired"));
    }
    if bound != binding {
        return Ok(Err(
            "the token was issued for a different tool, action or arguments",
        ));
    }
    tx.execute(
        "UPDATE confirmations SET used = 1 WHERE token = ?1",
        [token],
    )?;
    Ok(Ok(()))
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
    use std::path::Path;

    use serde_json::json;

    use super::*;

    fn args(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn a_token_works_once_for_its_own_call() {
        let store = Store::open(Path::new(":memory:")).unwrap();
        let b = binding(
            "aws_ec2",
            "terminate_instances",
            &args(json!({"instance_ids": ["i-1"]})),
        );
        let other = binding(
            "aws_ec2",
            "terminate_instances",
            &args(json!({"instance_ids": ["i-2"]})),
        );
        let token = store.issue_token(&b, 60).unwrap();
        assert!(
            store
                .redeem_token(&token, &other)
                .unwrap()
                .unwrap_err()
                .contains("different")
        );
        // A refused attempt does not spend the token.
        assert_eq!(store.redeem_token(&token, &b).unwrap(), Ok(()));
        assert_eq!(
            store.redeem_token(&token, &b).unwrap(),
            Err("the token was already used")
        );
    }

    #[test]
    fn expired_and_unknown_tokens_are_refused() {
        let store = Store::open(Path::new(":memory:")).unwrap();
        let b = binding("t", "a", &Map::new());
        let token = store.issue_token(&b, 0).unwrap();
        assert_eq!(
            store.redeem_token(&token, &b).unwrap(),
            Err("the token has expired")
        );
        assert!(
            store
                .redeem_token("ct-nope", &b)
                .unwrap()
                .unwrap_err()
                .contains("unknown")
        );
    }

    #[test]
    fn binding_ignores_key_order() {
        let a = binding("t", "a", &args(json!({"x": 1, "y": {"b": 2, "a": 1}})));
        let b = binding("t", "a", &args(json!({"y": {"a": 1, "b": 2}, "x": 1})));
        assert_eq!(a, b);
    }
}
