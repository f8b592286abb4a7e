//! Bucket policies and public exposure: policy checks and analysis (pure functions the actions
//! also use for validation and risk flags), get/put/delete policy, and the public-bucket scan.
//!
//! A bucket counts as public when an ACL grants the AllUsers or AuthenticatedUsers group, or a
//! policy statement allows everyone (`"Principal": "*"` or `{"AWS": "*"}`) without a condition
//! that pins the caller (source ARN, account, VPC, organisation...), and the bucket's public
//! access block does not neutralise it. S3's own GetBucketPolicyStatus is not used: emulators
//! answer it unreliably, and the reasons matter more than the verdict.

use aws_sdk_s3::Client;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    Listed, PARALLEL, Task, bounded, bucket_regions, bucket_target, check_bucket_ref, client_for,
    s3_error, settings::block_of, unless_unset,
};
use crate::{
    aws::paging::PageRequest,
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Flag, Risk, Target},
};

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

/// Which accounts a policy names in its Allow statements, one reason per statement that names
/// any: an account id, an ARN in an account, or a canonical user. The bucket owner's account
/// is not known before the call, so every named account counts; `"*"` is left to
/// [`public_statements`].
pub fn account_grants(doc: &Value) -> Vec<String> {
    statements(doc)
        .iter()
        .enumerate()
        .filter(|(_, s)| s.get("Effect").and_then(Value::as_str) == Some("Allow"))
        .filter_map(|(n, s)| {
            let principal = s.get("Principal")?.as_object()?;
            let values = |key: &str| -> Vec<String> {
                match principal.get(key) {
                    Some(Value::String(v)) => vec![v.clone()],
                    Some(Value::Array(list)) => list
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect(),
                    _ => Vec::new(),
                }
            };
            let mut accounts: Vec<String> = values("AWS")
                .iter()
                .filter(|p| p.as_str() != "*")
                .map(|p| match p.strip_prefix("arn:") {
                    Some(_) => match p.split(':').nth(4) {
                        Some(account) if !account.is_empty() => account.to_string(),
                        _ => p.clone(),
                    },
                    None => p.clone(),
                })
                .chain(
                    values("CanonicalUser")
                        .into_iter()
                        .map(|c| format!("canonical user {c}")),
                )
                .collect();
            accounts.sort();
            accounts.dedup();
            (!accounts.is_empty()).then(|| {
                format!(
                    "policy statement {} allows {} to account(s) {}",
                    label(s, n),
                    actions(s),
                    accounts.join(", ")
                )
            })
        })
        .collect()
}

/// The risk flags of a policy for `bucket`: public grants lose control of the data to anyone;
/// grants to named accounts hand it to accounts that may not be the owner's.
pub fn policy_flags(bucket: &str, doc: &Value) -> Vec<Flag> {
    let public = public_statements(doc)
        .into_iter()
        .map(|why| Flag::critical(format!("makes bucket {bucket} public: {why}")));
    let accounts = account_grants(doc).into_iter().map(|why| {
        Flag::high(format!(
            "grants bucket {bucket} to other accounts unless they are its owner's: {why}"
        ))
    });
    public.chain(accounts).collect()
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetBucketPolicy {
    pub bucket: String,
}

impl Action for GetBucketPolicy {
    const NAME: &'static str = "get_bucket_policy";
    const DESCRIPTION: &'static str = "Bucket policy and whether it is public";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_bucket_ref(&self.bucket)
    }

    fn targets(&self) -> Vec<Target> {
        vec![bucket_target(&self.bucket)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let bucket = self.bucket.as_str();
        let Some(text) = policy_text(&client, bucket).await? else {
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
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PutBucketPolicy {
    pub bucket: String,
    /// JSON document as a string
    pub policy: String,
}

impl Action for PutBucketPolicy {
    const NAME: &'static str = "put_bucket_policy";
    const DESCRIPTION: &'static str = "Replace the bucket policy (checked first)";
    const ACCESS: Access = Access::Write;
    // A policy decides who can reach the bucket.
    const RISK: Risk = Risk::High;

    fn validate(&self) -> Result<(), ToolError> {
        check_bucket_ref(&self.bucket)?;
        check_policy(&self.policy)
            .map(|_| ())
            .map_err(|why| ToolError::invalid(format!("policy is not valid: {why}")))
    }

    fn targets(&self) -> Vec<Target> {
        vec![bucket_target(&self.bucket)]
    }

    fn flags(&self) -> Vec<Flag> {
        check_policy(&self.policy)
            .map(|doc| policy_flags(&self.bucket, &doc))
            .unwrap_or_default()
    }

    /// Replaces the bucket policy. A public policy is set as asked (the guardrails have seen
    /// its risk flags) and the result says so plainly.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let bucket = self.bucket.as_str();
        let doc = check_policy(&self.policy)
            .map_err(|why| ToolError::invalid(format!("policy is not valid: {why}")))?;
        let reasons = public_statements(&doc);
        client
            .put_bucket_policy()
            .bucket(bucket)
            .policy(&self.policy)
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
        let flags: Vec<String> = policy_flags(bucket, &doc)
            .into_iter()
            .map(|f| f.reason)
            .collect();
        let mut data = json!({"bucket": bucket, "statements": n, "public": !reasons.is_empty()});
        if !reasons.is_empty() {
            data["public_reasons"] = json!(reasons);
        }
        if !flags.is_empty() {
            data["risk_flags"] = json!(flags);
        }
        let mut summary = if reasons.is_empty() {
            format!("Set the policy of {bucket} ({n} statement(s)); it is not public.")
        } else {
            format!(
                "Set the policy of {bucket}. WARNING: the bucket is now PUBLIC: {}.",
                reasons.join("; ")
            )
        };
        let accounts = account_grants(&doc);
        if !accounts.is_empty() {
            summary.push_str(&format!(
                " It grants access to named accounts: {}.",
                accounts.join("; ")
            ));
        }
        Ok(Output::new(summary, data))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteBucketPolicy {
    pub bucket: String,
}

impl Action for DeleteBucketPolicy {
    const NAME: &'static str = "delete_bucket_policy";
    const DESCRIPTION: &'static str = "Delete the bucket policy (Deny statements too)";
    const ACCESS: Access = Access::Destructive;
    // Access it granted stops at once, and its Deny statements stop protecting the bucket.
    const RISK: Risk = Risk::Critical;

    fn validate(&self) -> Result<(), ToolError> {
        check_bucket_ref(&self.bucket)
    }

    fn targets(&self) -> Vec<Target> {
        vec![bucket_target(&self.bucket)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let bucket = self.bucket.as_str();
        client
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
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindPublicBuckets {
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for FindPublicBuckets {
    const NAME: &'static str = "find_public_buckets";
    const DESCRIPTION: &'static str = "Buckets made public by ACLs or policies, and why";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    /// Scans one page of buckets (max_results, next_token) for public ACLs and policies, each
    /// in its own region. The account-level public access block (S3 Control) is not read: a
    /// bucket reported public may still be blocked there.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let resp = client
            .list_buckets()
            .max_buckets(10_000)
            .set_continuation_token(page.aws_token.clone())
            .send()
            .await
            .map_err(s3_error)?;
        let all: Vec<Listed> = resp
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
        let regions: Vec<Option<String>> = bucket_regions(&client, &items)
            .await
            .into_iter()
            .map(Result::ok)
            .collect();
        let mut scans: Vec<Task<Result<Exposure, ToolError>>> = Vec::with_capacity(items.len());
        for ((name, _), region) in items.iter().zip(&regions) {
            let client = client_for(cx, region.as_deref()).await;
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
}

/// Adds (or replaces) the statement that lets one CloudFront distribution read every object,
/// keeping the policy's other statements. Returns the new policy.
pub async fn allow_distribution(
    client: &Client,
    bucket: &str,
    distribution_id: &str,
    distribution_arn: &str,
    partition: &str,
) -> Result<Value, ToolError> {
    let mut doc = match policy_text(client, bucket).await? {
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
    client
        .put_bucket_policy()
        .bucket(bucket)
        .policy(doc.to_string())
        .send()
        .await
        .map_err(s3_error)?;
    Ok(doc)
}

/// How exposed one bucket is, and why.
#[derive(Debug, Default)]
pub struct Exposure {
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
pub async fn exposure(client: Client, bucket: String) -> Result<Exposure, ToolError> {
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

    #[test]
    fn grants_to_named_accounts_are_found_with_their_ids() {
        let cross = doc(json!({"Sid": "Partner", "Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam::444455556666:root", "111122223333",
                                  "arn:aws:iam::444455556666:role/reader"]},
            "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::b/*"}));
        assert_eq!(
            account_grants(&cross),
            vec![
                "policy statement \"Partner\" allows s3:GetObject, s3:PutObject to account(s) \
                 111122223333, 444455556666"
            ]
        );
        let canonical = doc(
            json!({"Effect": "Allow", "Principal": {"CanonicalUser": "79a59df9"},
            "Action": "s3:GetObject", "Resource": "*"}),
        );
        assert!(account_grants(&canonical)[0].ends_with("canonical user 79a59df9"));
        // Everyone, services, Deny statements and NotPrincipal name no account to trust.
        let none = [
            doc(
                json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                "Resource": "*"}),
            ),
            doc(
                json!({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject",
                "Resource": "*"}),
            ),
            doc(
                json!({"Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": "s3:GetObject", "Resource": "*"}),
            ),
            doc(
                json!({"Effect": "Deny", "Principal": {"AWS": "111122223333"},
                "Action": "s3:*", "Resource": "*"}),
            ),
        ];
        for d in none {
            assert!(account_grants(&d).is_empty(), "{d}");
        }
    }

    #[test]
    fn public_grants_are_critical_and_account_grants_high() {
        let both = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Pub", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::b/*"},
            {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": "111122223333"},
             "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"}]});
        let flags = policy_flags("b", &both);
        assert_eq!(
            flags.iter().map(|f| f.risk).collect::<Vec<_>>(),
            vec![Risk::Critical, Risk::High]
        );
        assert!(
            flags[0]
                .reason
                .starts_with("makes bucket b public: policy statement \"Pub\"")
        );
        assert!(
            flags[1].reason.contains("account(s) 111122223333"),
            "{flags:?}"
        );
    }
}
