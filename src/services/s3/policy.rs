//! Bucket policies and public exposure: policy checks and analysis (pure functions the tool
//! also uses for validation and risk flags), get/put/delete policy, and the public-bucket scan.
//!
//! A bucket counts as public when an ACL grants the AllUsers or AuthenticatedUsers group, or a
//! policy statement allows everyone (`"Principal": "*"` or `{"AWS": "*"}`) without a condition
//! that pins the caller (source ARN, account, VPC, organisation...), and the bucket's public
//! access block does not neutralise it. S3's own GetBucketPolicyStatus is not used: emulators
//! answer it unreliably, and the reasons matter more than the verdict.

use aws_sdk_s3::Client;
use serde_json::{Value, json};

use super::{
    S3,
    buckets::{PARALLEL, Task, bounded},
    location_region, s3_error,
    settings::block_of,
    unless_unset,
};
use crate::{aws::paging::PageRequest, error::ToolError, output::Output, tools::s3::PageInput};

const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

/// Condition keys that, with a fixed value, limit a statement to known callers; AWS does not
/// count such statements as public.
const PINNING_KEYS: &[&str] = &[
    "aws:sourcearn",
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceip",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "aws:principalarn",
    "aws:principalaccount",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:userid",
];

/// Parses a policy and checks its shape: a JSON object with Version and a non-empty Statement
/// whose entries have Effect, Principal, Action and Resource (or their Not forms).
pub fn check_policy(text: &str) -> Result<Value, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
    let Some(obj) = doc.as_object() else {
        return Err("it must be a JSON object with Version and Statement".into());
    };
    match obj.get("Version").and_then(Value::as_str) {
        Some("2012-10-17" | "2008-10-17") => {}
        Some(v) => return Err(format!("Version must be \"2012-10-17\", not \"{v}\"")),
        None => return Err("Version is missing; use \"2012-10-17\"".into()),
    }
    if obj.get("Statement").is_none() {
        return Err("Statement is missing".into());
    }
    let list = statements(&doc);
    if list.is_empty() {
        return Err("Statement is empty".into());
    }
    for (n, s) in list.iter().enumerate() {
        let label = label(s, n);
        if !s.is_object() {
            return Err(format!("statement {label} is not an object"));
        }
        match s.get("Effect").and_then(Value::as_str) {
            Some("Allow" | "Deny") => {}
            _ => {
                return Err(format!(
                    "statement {label} needs Effect \"Allow\" or \"Deny\""
                ));
            }
        }
        for (a, b) in [
            ("Principal", "NotPrincipal"),
            ("Action", "NotAction"),
            ("Resource", "NotResource"),
        ] {
            if s.get(a).is_none() && s.get(b).is_none() {
                return Err(format!("statement {label} needs {a} (or {b})"));
            }
        }
    }
    Ok(doc)
}

/// Why a policy makes its bucket public, one reason per public statement; empty when none.
pub fn public_statements(doc: &Value) -> Vec<String> {
    statements(doc)
        .iter()
        .enumerate()
        .filter(|(_, s)| s.get("Effect").and_then(Value::as_str) == Some("Allow"))
        .filter_map(|(n, s)| {
            let everyone = match (s.get("Principal"), s.get("NotPrincipal")) {
                (Some(p), _) if is_everyone(p) => "everyone (Principal \"*\")",
                (None, Some(_)) => "everyone outside NotPrincipal",
                _ => return None,
            };
            if pins_caller(s.get("Condition")) {
                return None;
            }
            Some(format!(
                "policy statement {} allows {} to {everyone}",
                label(s, n),
                actions(s)
            ))
        })
        .collect()
}

impl S3<'_> {
    pub async fn get_bucket_policy(&self, bucket: &str) -> Result<Output, ToolError> {
        let Some(text) = policy_text(self.client, bucket).await? else {
            return Ok(Output::new(
                format!("{bucket} has no bucket policy."),
                json!({"bucket": bucket, "policy": null, "public": false}),
            ));
        };
        let doc: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        let reasons = public_statements(&doc);
        let summary = if reasons.is_empty() {
            format!(
                "{bucket} has a policy with {} statement(s); it does not make the bucket public.",
                statements(&doc).len()
            )
        } else {
            format!(
                "{bucket} has a policy that makes it PUBLIC: {}.",
                reasons.join("; ")
            )
        };
        Ok(Output::new(
            summary,
            json!({"bucket": bucket, "policy": doc, "public": !reasons.is_empty(),
                   "public_reasons": reasons}),
        ))
    }

    /// Replaces the bucket policy. A public policy is set as asked (the guardrails have seen
    /// its risk flag) and the result says so plainly.
    pub async fn put_bucket_policy(&self, bucket: &str, text: &str) -> Result<Output, ToolError> {
        let doc = check_policy(text)
            .map_err(|why| ToolError::invalid(format!("policy is not valid: {why}")))?;
        let reasons = public_statements(&doc);
        self.client
            .put_bucket_policy()
            .bucket(bucket)
            .policy(text)
            .send()
            .await
            .map_err(|e| {
                let mut err = s3_error(e);
                if let ToolError::Aws { code, hint, .. } = &mut err
                    && code == "AccessDenied"
                    && !reasons.is_empty()
                {
                    *hint = Some(
                        "S3 refuses public policies while the bucket's block_public_policy is on; \
                         turn it off with set_public_access_block only if the bucket really must \
                         be public"
                            .into(),
                    );
                }
                err
            })?;
        let n = statements(&doc).len();
        if reasons.is_empty() {
            return Ok(Output::new(
                format!("Set the policy of {bucket} ({n} statement(s)); it is not public."),
                json!({"bucket": bucket, "statements": n, "public": false}),
            ));
        }
        let warnings: Vec<String> = reasons
            .iter()
            .map(|r| format!("makes bucket {bucket} public: {r}"))
            .collect();
        Ok(Output::new(
            format!(
                "Set the policy of {bucket}. WARNING: the bucket is now PUBLIC: {}.",
                reasons.join("; ")
            ),
            json!({"bucket": bucket, "statements": n, "public": true,
                   "public_reasons": reasons, "risk_flags": warnings}),
        ))
    }

    pub async fn delete_bucket_policy(&self, bucket: &str) -> Result<Output, ToolError> {
        self.client
            .delete_bucket_policy()
            .bucket(bucket)
            .send()
            .await
            .map_err(s3_error)?;
        Ok(Output::new(
            format!("Deleted the policy of {bucket}; access it granted has stopped."),
            json!({"bucket": bucket, "policy": null}),
        ))
    }

    /// Scans one page of buckets (max_results, next_token) for public ACLs and policies. The
    /// account-level public access block (S3 Control) is not read: a bucket reported public may
    /// still be blocked there.
    pub async fn find_public_buckets(&self, i: PageInput) -> Result<Output, ToolError> {
        let page = PageRequest::new(i.max_results, i.next_token.as_deref())?;
        let resp = self
            .client
            .list_buckets()
            .max_buckets(10_000)
            .set_continuation_token(page.aws_token.clone())
            .send()
            .await
            .map_err(s3_error)?;
        let all: Vec<(String, Option<String>)> = resp
            .buckets()
            .iter()
            .map(|b| {
                (
                    b.name().unwrap_or_default().to_string(),
                    b.bucket_region().map(str::to_string),
                )
            })
            .collect();
        let (items, next) = page.finish(all, resp.continuation_token().map(str::to_string));
        let lookups: Vec<Task<Option<String>>> = items
            .iter()
            .map(|(name, known)| {
                let client = self.client.clone();
                let (name, known) = (name.clone(), known.clone());
                Box::pin(async move {
                    match known {
                        Some(r) => Some(r),
                        None => client
                            .get_bucket_location()
                            .bucket(name)
                            .send()
                            .await
                            .ok()
                            .map(|l| location_region(l.location_constraint())),
                    }
                }) as Task<_>
            })
            .collect();
        let regions = bounded(lookups, PARALLEL).await;
        let mut scans: Vec<Task<Result<Exposure, ToolError>>> = Vec::with_capacity(items.len());
        for ((name, _), region) in items.iter().zip(&regions) {
            let client = self.client_in(region.as_deref()).await;
            scans.push(Box::pin(exposure(client, name.clone())));
        }
        let scans = bounded(scans, PARALLEL).await;
        let (mut public, mut blocked, mut errors) = (Vec::new(), Vec::new(), Vec::new());
        for (((name, _), region), scan) in items.iter().zip(&regions).zip(scans) {
            match scan {
                Ok(e) if e.public => {
                    public.push(json!({"bucket": name, "region": region, "reasons": e.reasons}))
                }
                Ok(e) if !e.blocked.is_empty() => {
                    blocked.push(json!({"bucket": name, "region": region, "blocked": e.blocked}))
                }
                Ok(_) => {}
                Err(err) => errors.push(json!({"bucket": name, "error": err.to_json()})),
            }
        }
        let scanned = items.len();
        let mut summary = if public.is_empty() {
            format!("Scanned {scanned} bucket(s): none is public.")
        } else {
            let list: Vec<String> = public
                .iter()
                .map(|p| {
                    let reasons: Vec<&str> = p["reasons"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .collect();
                    format!(
                        "{} ({})",
                        p["bucket"].as_str().unwrap_or("?"),
                        reasons.join("; ")
                    )
                })
                .collect();
            format!(
                "Scanned {scanned} bucket(s): {} PUBLIC: {}.",
                public.len(),
                list.join(", ")
            )
        };
        if !blocked.is_empty() {
            summary.push_str(&format!(
                " {} more have public grants that their public access block neutralises.",
                blocked.len()
            ));
        }
        if !errors.is_empty() {
            summary.push_str(&format!(" {} could not be checked.", errors.len()));
        }
        if next.is_some() {
            summary.push_str(" More buckets remain: call again with next_token.");
        }
        Ok(Output::new(
            summary,
            json!({
                "scanned": scanned,
                "public_buckets": public,
                "blocked_public_grants": blocked,
                "errors": errors,
                "note": "the account-level public access block is not checked",
            }),
        )
        .with_next_token(next))
    }

    /// Adds (or replaces) the statement that lets one CloudFront distribution read every
    /// object, keeping the policy's other statements. Returns the new policy.
    pub(crate) async fn allow_distribution(
        &self,
        bucket: &str,
        distribution_id: &str,
        distribution_arn: &str,
        partition: &str,
    ) -> Result<Value, ToolError> {
        let mut doc = match policy_text(self.client, bucket).await? {
            Some(text) => serde_json::from_str(&text).map_err(|e| ToolError::Aws {
                code: "MalformedPolicy".into(),
                message: format!("the current policy of {bucket} is not JSON: {e}"),
                hint: Some("fix or delete the bucket policy, then retry".into()),
            })?,
            None => json!({"Version": "2012-10-17", "Statement": []}),
        };
        let sid = format!("AllowCloudFrontRead{distribution_id}");
        let statement = json!({
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": format!("arn:{partition}:s3:::{bucket}/*"),
            "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
        });
        let mut list: Vec<Value> = statements(&doc).into_iter().cloned().collect();
        list.retain(|s| s.get("Sid").and_then(Value::as_str) != Some(sid.as_str()));
        list.push(statement);
        doc["Statement"] = Value::Array(list);
        self.client
            .put_bucket_policy()
            .bucket(bucket)
            .policy(doc.to_string())
            .send()
            .await
            .map_err(s3_error)?;
        Ok(doc)
    }
}

/// How exposed one bucket is, and why.
#[derive(Debug, Default)]
pub(crate) struct Exposure {
    pub public: bool,
    /// Why it is public.
    pub reasons: Vec<String>,
    /// Public grants that the public access block neutralises.
    pub blocked: Vec<String>,
    pub block: Option<Value>,
    pub has_policy: bool,
    pub policy_public: bool,
}

/// Reads a bucket's public access block, ACL and policy, and decides.
pub(crate) async fn exposure(client: Client, bucket: String) -> Result<Exposure, ToolError> {
    let (block, acl, policy) = tokio::join!(
        block_of(&client, &bucket),
        client.get_bucket_acl().bucket(&bucket).send(),
        policy_text(&client, &bucket),
    );
    let block = block?;
    let acl = acl.map_err(s3_error)?;
    let policy = policy?;
    let on = |field: &str| block.as_ref().is_some_and(|b| b[field] == json!(true));

    let mut e = Exposure {
        has_policy: policy.is_some(),
        ..Exposure::default()
    };
    for g in acl.grants() {
        let Some(grantee) = g.grantee() else { continue };
        let group = match grantee.uri() {
            Some(ALL_USERS) => "everyone (AllUsers)",
            Some(AUTHENTICATED_USERS) => "any AWS account (AuthenticatedUsers)",
            _ => continue,
        };
        let permission = g.permission().map(|p| p.as_str()).unwrap_or("?");
        let why = format!("ACL grants {permission} to {group}");
        if on("ignore_public_acls") {
            e.blocked
                .push(format!("{why}, but ignore_public_acls is on"));
        } else {
            e.reasons.push(why);
        }
    }
    if let Some(text) = &policy {
        let reasons = serde_json::from_str::<Value>(text)
            .map(|doc| public_statements(&doc))
            .unwrap_or_default();
        e.policy_public = !reasons.is_empty();
        for why in reasons {
            if on("restrict_public_buckets") {
                e.blocked
                    .push(format!("{why}, but restrict_public_buckets is on"));
            } else {
                e.reasons.push(why);
            }
        }
    }
    e.public = !e.reasons.is_empty();
    e.block = block;
    Ok(e)
}

/// The bucket policy text, or `None` when the bucket has none.
async fn policy_text(client: &Client, bucket: &str) -> Result<Option<String>, ToolError> {
    let resp = client
        .get_bucket_policy()
        .bucket(bucket)
        .send()
        .await
        .map_err(s3_error);
    Ok(unless_unset(resp, &["NoSuchBucketPolicy"])?.and_then(|r| r.policy().map(str::to_string)))
}

fn statements(doc: &Value) -> Vec<&Value> {
    match doc.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    }
}

fn label(s: &Value, n: usize) -> String {
    match s.get("Sid").and_then(Value::as_str) {
        Some(sid) if !sid.is_empty() => format!("\"{sid}\""),
        _ => format!("#{}", n + 1),
    }
}

fn actions(s: &Value) -> String {
    match s.get("Action").or_else(|| s.get("NotAction")) {
        Some(Value::String(a)) => a.clone(),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        _ => "actions".into(),
    }
}

fn is_everyone(principal: &Value) -> bool {
    let star = |v: &Value| match v {
        Value::String(s) => s == "*",
        Value::Array(list) => list.iter().any(|x| x == "*"),
        _ => false,
    };
    match principal {
        Value::String(s) => s == "*",
        Value::Object(map) => map.get("AWS").is_some_and(star),
        _ => false,
    }
}

/// Whether a Condition limits the statement to fixed callers (a pinning key whose values are
/// not wildcards; an open CIDR does not count).
fn pins_caller(condition: Option<&Value>) -> bool {
    let Some(Value::Object(operators)) = condition else {
        return false;
    };
    operators.values().any(|keys| {
        let Value::Object(keys) = keys else {
            return false;
        };
        keys.iter().any(|(key, values)| {
            if !PINNING_KEYS.contains(&key.to_ascii_lowercase().as_str()) {
                return false;
            }
            let values: Vec<&str> = match values {
                Value::String(s) => vec![s.as_str()],
                Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            !values.is_empty()
                && values
                    .iter()
                    .all(|v| !v.contains('*') && *v != "0.0.0.0/0" && *v != "::/0")
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(statement: Value) -> Value {
        json!({"Version": "2012-10-17", "Statement": [statement]})
    }

    #[test]
    fn policies_are_checked_before_the_call() {
        assert!(
            check_policy("{not json")
                .unwrap_err()
                .starts_with("not JSON")
        );
        assert!(check_policy("[]").is_err());
        assert!(
            check_policy(r#"{"Statement": []}"#)
                .unwrap_err()
                .contains("Version")
        );
        assert!(
            check_policy(r#"{"Version": "2012-10-17"}"#)
                .unwrap_err()
                .contains("Statement is missing")
        );
        assert!(
            check_policy(r#"{"Version": "2012-10-17", "Statement": []}"#)
                .unwrap_err()
                .contains("empty")
        );
        let no_principal = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "x",
            "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}"#;
        assert!(
            check_policy(no_principal)
                .unwrap_err()
                .contains("statement \"x\" needs Principal")
        );
        let ok = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Deny",
            "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}}"#;
        assert!(check_policy(ok).is_ok());
    }

    #[test]
    fn public_grants_are_found_with_their_reason() {
        let public = doc(json!({"Sid": "Pub", "Effect": "Allow", "Principal": "*",
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}));
        assert_eq!(
            public_statements(&public),
            vec!["policy statement \"Pub\" allows s3:GetObject to everyone (Principal \"*\")"]
        );
        let aws_star = doc(json!({"Effect": "Allow", "Principal": {"AWS": ["*"]},
            "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}));
        assert_eq!(public_statements(&aws_star).len(), 1);
        assert!(public_statements(&aws_star)[0].contains("#1 allows s3:GetObject, s3:ListBucket"));
        // Deny statements, named principals and pinned conditions are not public.
        let deny = doc(json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": "*"}));
        let account = doc(json!({"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "s3:*",
            "Resource": "*"}));
        let pinned = doc(
            json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": "*", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c"}}}),
        );
        let cloudfront = doc(json!({"Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
            "Resource": "*", "Condition": {"StringEquals": {"AWS:SourceArn": "arn:x"}}}));
        for d in [deny, account, pinned, cloudfront] {
            assert!(public_statements(&d).is_empty(), "{d}");
        }
        // A wildcard or open-CIDR condition pins nothing.
        let open = doc(
            json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}}),
        );
        assert_eq!(public_statements(&open).len(), 1);
    }
}
