//! `aws_security`: IAM roles (`roles.rs`), users and access keys (`users.rs`), managed
//! policies, simulation and the policy templates (`policies.rs`, `templates.rs`), KMS keys
//! (`kms.rs`), Secrets Manager (`secrets.rs`), Security Hub (`hub.rs`), GuardDuty
//! (`guardduty.rs`), IAM Access Analyzer (`analyzer.rs`) and the account's security posture
//! (`posture.rs`). Policy documents are checked against the IAM grammar before any call
//! (`grammar.rs`), which also finds the wide grants the guardrails are told about.
//!
//! Secrets: secret values, generated passwords and access key secrets appear only in the one
//! result that creates or (with `--allow-sensitive-data`) reads them, never in a summary (the
//! audit log keeps summaries), and input fields that carry them are named so that the audit's
//! redaction catches them (`secret_string`).
//!
//! None of these services has a dry-run mode: every action keeps the plan-only dry run.

pub mod analyzer;
pub mod grammar;
pub mod guardduty;
pub mod hub;
pub mod kms;
pub mod policies;
pub mod posture;
pub mod roles;
pub mod secrets;
pub mod templates;
pub mod users;

use aws_smithy_types::DateTime;

use crate::aws::outcome::OnceSent;
use crate::{
    error::ToolError,
    registry::{ActionDef, Cx, Kind, Target, Tool},
};

pub static TOOL: Tool = Tool {
    name: "aws_security",
    toolset: "security",
    about: "IAM roles, users, keys and policies (templates), KMS, Secrets Manager, Security Hub, \
            GuardDuty, Access Analyzer, security posture.",
    actions: &[
        ActionDef::of::<roles::ListRoles>(),
        ActionDef::of::<roles::GetRole>(),
        ActionDef::of::<roles::CreateRole>(),
        ActionDef::of::<roles::DeleteRole>(),
        ActionDef::of::<roles::AttachRolePolicy>(),
        ActionDef::of::<roles::DetachRolePolicy>(),
        ActionDef::of::<roles::PutRoleInlinePolicy>(),
        ActionDef::of::<users::ListUsers>(),
        ActionDef::of::<users::GetUser>(),
        ActionDef::of::<users::CreateUser>(),
        ActionDef::of::<users::DeleteUser>(),
        ActionDef::of::<users::CreateAccessKey>(),
        ActionDef::of::<users::DeactivateAccessKey>(),
        ActionDef::of::<users::DeleteAccessKey>(),
        ActionDef::of::<policies::ListPolicies>(),
        ActionDef::of::<policies::GetPolicy>(),
        ActionDef::of::<policies::CreatePolicy>(),
        ActionDef::of::<policies::DeletePolicy>(),
        ActionDef::of::<policies::SimulatePolicy>(),
        ActionDef::of::<policies::ListPolicyTemplates>(),
        ActionDef::of::<policies::GetPolicyTemplate>(),
        ActionDef::of::<kms::ListKmsKeys>(),
        ActionDef::of::<kms::CreateKmsKey>(),
        ActionDef::of::<kms::EnableKeyRotation>(),
        ActionDef::of::<kms::ScheduleKeyDeletion>(),
        ActionDef::of::<secrets::ListSecrets>(),
        ActionDef::of::<secrets::GetSecretValue>(),
        ActionDef::of::<secrets::CreateSecret>(),
        ActionDef::of::<secrets::RotateSecret>(),
        ActionDef::of::<secrets::DeleteSecret>(),
        ActionDef::of::<hub::ListSecurityFindings>(),
        ActionDef::of::<hub::UpdateFindingWorkflow>(),
        ActionDef::of::<hub::EnableSecurityHub>(),
        ActionDef::of::<hub::ListSecurityStandards>(),
        ActionDef::of::<guardduty::GetGuarddutyStatus>(),
        ActionDef::of::<guardduty::EnableGuardduty>(),
        ActionDef::of::<guardduty::ListGuarddutyFindings>(),
        ActionDef::of::<guardduty::ArchiveGuarddutyFindings>(),
        ActionDef::of::<analyzer::ListAccessAnalyzers>(),
        ActionDef::of::<analyzer::CreateAccessAnalyzer>(),
        ActionDef::of::<analyzer::ListAccessAnalyzerFindings>(),
        ActionDef::of::<posture::GetSecurityPosture>(),
    ],
};

/// How many lookups per listed item run at once (users' keys, keys' rotation, ...).
pub const PARALLEL: usize = 8;

pub fn role_target(name: &str) -> Target {
    Target::new(Kind::IamRole, name)
}

pub fn user_target(name: &str) -> Target {
    Target::new(Kind::IamUser, name)
}

pub fn policy_target(arn: &str) -> Target {
    Target::new(Kind::IamPolicy, arn)
}

/// An access key, in its user: the user's tags decide its environment.
pub fn access_key_target(user: &str, key_id: &str) -> Target {
    Target::new(Kind::AccessKey, key_id).in_parent(user_target(user))
}

/// An IAM name (role, user, policy, inline policy): 1 to 128 of the characters IAM allows.
pub fn check_name(field: &str, name: &str, max: usize) -> Result<(), ToolError> {
    let ok = !name.is_empty()
        && name.len() <= max
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ToolError::invalid(format!(
            "{field} '{name}' is not an IAM name: 1-{max} letters, digits and +=,.@_- (give the \
             name, not an ARN)"
        )))
    }
}

/// A managed policy: its ARN (`arn:aws:iam::123456789012:policy/name`, or an AWS managed one),
/// or the name of a customer-managed policy of the caller's account.
pub fn check_policy_arn(policy: &str) -> Result<(), ToolError> {
    if !policy.starts_with("arn:") {
        return check_name("policy_arn", policy, 128);
    }
    if policy.contains(":iam::") && policy.contains(":policy/") {
        Ok(())
    } else {
        Err(ToolError::invalid(format!(
            "'{policy}' is not a managed policy ARN, e.g. arn:aws:iam::aws:policy/ReadOnlyAccess \
             (list_policies shows them)"
        )))
    }
}

/// The ARN of a policy given by ARN or by the name of a customer-managed policy (in the
/// caller's account, read with STS).
pub async fn resolve_policy(cx: &Cx<'_>, policy: &str) -> Result<String, ToolError> {
    if policy.starts_with("arn:") {
        return Ok(policy.to_string());
    }
    let sts: aws_sdk_sts::Client = cx.client().await;
    let account = crate::aws::account_id(&sts).await?;
    let partition = templates::partition(&cx.region().unwrap_or_default());
    Ok(format!("arn:{partition}:iam::{account}:policy/{policy}"))
}

/// [`resolve_policy`] for each policy.
pub async fn resolve_policies(cx: &Cx<'_>, policies: &[String]) -> Result<Vec<String>, ToolError> {
    let mut out = Vec::with_capacity(policies.len());
    for p in policies {
        out.push(resolve_policy(cx, p).await?);
    }
    Ok(out)
}

/// Whole days from `t` to now.
pub fn age_days(t: &DateTime) -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    (now - t.secs()).max(0) / 86_400
}

/// IAM returns policy documents URL-encoded (RFC 3986); emulators sometimes do not. Decodes
/// `%XX` sequences and parses the JSON, keeping the text when it is not JSON.
pub fn decode_document(text: &str) -> serde_json::Value {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    let decoded = String::from_utf8(out).unwrap_or_else(|_| text.to_string());
    serde_json::from_str(&decoded)
        .or_else(|_| serde_json::from_str(text))
        .unwrap_or(serde_json::Value::String(decoded))
}

/// A random hex string of `bytes` random bytes, for idempotency tokens.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the OS random source works");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// The IAM config override of a create without an idempotency token: sent once, retried only
/// when IAM refused it without running it (see [`OnceSent`]).
pub fn iam_once() -> aws_sdk_iam::config::Builder {
    aws_sdk_iam::config::Builder::default().retry_classifier(OnceSent)
}

/// What IAM answers, mapped like [`ToolError::from_sdk`] with hints for IAM's own codes.
pub fn iam_error<E, R>(err: aws_sdk_iam::error::SdkError<E, R>) -> ToolError
where
    E: aws_sdk_iam::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let mut e = ToolError::from_sdk(err);
    if let ToolError::Aws { code, hint, .. } = &mut e
        && hint.is_none()
    {
        *hint = match code.as_str() {
            "NoSuchEntity" => Some(
                "no such role, user, policy or key; check the name with aws_security list_roles, \
                 list_users or list_policies"
                    .into(),
            ),
            "EntityAlreadyExists" => {
                Some("a resource with this name exists; pick another name or use it".into())
            }
            "DeleteConflict" => Some(
                "it is still attached or in use; detach it first (the delete actions do this \
                 for you where IAM allows)"
                    .into(),
            ),
            "MalformedPolicyDocument" => {
                Some("fix the policy JSON (get_policy_template shows valid examples)".into())
            }
            "LimitExceeded" => Some(
                "an IAM quota is reached (e.g. 10 managed policies per role, 2 keys per user); \
                 remove one first"
                    .into(),
            ),
            "UnmodifiableEntity" => {
                Some("AWS manages this resource (service-linked); it cannot be changed".into())
            }
            _ => None,
        };
    }
    e
}

/// Tags as the IAM APIs take them.
pub fn iam_tags(tags: &crate::registry::Tags) -> Option<Vec<aws_sdk_iam::types::Tag>> {
    (!tags.is_empty()).then(|| {
        tags.iter()
            .filter_map(|(k, v)| {
                aws_sdk_iam::types::Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .ok()
            })
            .collect()
    })
}

/// A boxed, owned future, as [`bounded`] runs them.
pub type Task<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'static>>;

/// Runs tasks with at most `limit` in flight and returns their outputs in order.
pub async fn bounded<T: Send + 'static>(tasks: Vec<Task<T>>, limit: usize) -> Vec<T> {
    let mut pending = tasks.into_iter().enumerate();
    let mut set = tokio::task::JoinSet::new();
    let mut out: Vec<Option<T>> = Vec::new();
    loop {
        while set.len() < limit.max(1) {
            let Some((idx, task)) = pending.next() else {
                break;
            };
            out.push(None);
            set.spawn(async move { (idx, task.await) });
        }
        let Some(done) = set.join_next().await else {
            break;
        };
        let (idx, value) = done.expect("bounded task panicked");
        out[idx] = Some(value);
    }
    out.into_iter()
        .map(|v| v.expect("every task finished"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_url_decoded() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(decode_document(encoded)["Version"], "2012-10-17");
        let plain = r#"{"Version": "2012-10-17", "Statement": []}"#;
        assert_eq!(decode_document(plain)["Version"], "2012-10-17");
    }

    #[test]
    fn names_and_arns_are_checked() {
        assert!(check_name("role_name", "app-role_1", 64).is_ok());
        assert!(check_name("role_name", "arn:aws:iam::1:role/x", 64).is_err());
        assert!(check_policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess").is_ok());
        assert!(check_policy_arn("team-read").is_ok());
        assert!(check_policy_arn("arn:aws:s3:::bucket").is_err());
        assert!(check_policy_arn("two words").is_err());
        assert_eq!(random_hex(16).len(), 32);
    }

    #[test]
    fn access_keys_live_in_their_user() {
        let t = access_key_target("ci", "AKIAEXAMPLE");
        assert_eq!(t.kind, Kind::AccessKey);
        assert_eq!(t.parent.unwrap().kind, Kind::IamUser);
    }
}
