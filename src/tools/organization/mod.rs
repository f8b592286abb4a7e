//! `aws_organization`: AWS Organizations (the organization and its roots in `roots.rs`,
//! accounts in `accounts.rs`, OUs in `units.rs`, policies and policy types in `policies.rs`,
//! the 12 SCP templates in `templates.rs`, delegated administrators in `delegated.rs`,
//! handshakes in `handshakes.rs`, tags in `tagging.rs`), AWS RAM resource shares
//! (`shares.rs`) and consolidated billing from Cost Explorer (`billing.rs`).
//!
//! Risk (issue 12): `remove_account`, `delete_organizational_unit` and `delete_policy` are
//! critical. Attaching or detaching a policy, disabling a policy type, moving an account and
//! changing an attached policy are flagged high where the call's environment is production
//! ([`Flag::in_production`]): the environment of a root or OU is the strictest of the accounts
//! under it, an account's comes from the guardrails' account map and its own tags, and a
//! policy's from its tags and everything it is attached to (`guardrails/tags.rs`), read before
//! any change and failing closed. Organizations has no dry-run mode.
//!
//! The session context (`switch_account`, `get_current_context`, `reset_context`, in
//! `context.rs`) says where calls that name no account or region go.
//!
//! [`Flag::in_production`]: crate::registry::Flag::in_production

pub mod accounts;
pub mod billing;
pub mod context;
pub mod delegated;
pub mod handshakes;
pub mod policies;
pub mod roots;
pub mod shares;
pub mod tagging;
pub mod templates;
pub mod units;

use aws_sdk_organizations::types::Tag;

pub use crate::tools::check_tags;
use crate::{
    aws::outcome::OnceSent,
    error::ToolError,
    registry::{ActionDef, Kind, Tags, Target, Tool},
};

pub static TOOL: Tool = Tool {
    name: "aws_organization",
    toolset: "organization",
    about: "AWS Organizations: accounts, OUs, SCPs, delegated admins, RAM shares, billing.",
    actions: &[
        ActionDef::of::<roots::GetOrganization>(),
        ActionDef::of::<roots::ListRoots>(),
        ActionDef::of::<accounts::ListAccounts>(),
        ActionDef::of::<accounts::GetAccount>(),
        ActionDef::of::<accounts::CreateAccount>(),
        ActionDef::of::<accounts::GetCreateAccountStatus>(),
        ActionDef::of::<accounts::MoveAccount>(),
        ActionDef::of::<accounts::RemoveAccount>(),
        ActionDef::of::<units::ListOrganizationalUnits>(),
        ActionDef::of::<units::CreateOrganizationalUnit>(),
        ActionDef::of::<units::RenameOrganizationalUnit>(),
        ActionDef::of::<units::DeleteOrganizationalUnit>(),
        ActionDef::of::<policies::ListPolicies>(),
        ActionDef::of::<policies::GetPolicy>(),
        ActionDef::of::<policies::CreatePolicy>(),
        ActionDef::of::<policies::UpdatePolicy>(),
        ActionDef::of::<policies::DeletePolicy>(),
        ActionDef::of::<policies::AttachPolicy>(),
        ActionDef::of::<policies::DetachPolicy>(),
        ActionDef::of::<policies::ListPolicyTargets>(),
        ActionDef::of::<policies::EnablePolicyType>(),
        ActionDef::of::<policies::DisablePolicyType>(),
        ActionDef::of::<templates::ListScpTemplates>(),
        ActionDef::of::<templates::GetScpTemplate>(),
        ActionDef::of::<context::SwitchAccount>(),
        ActionDef::of::<context::GetCurrentContext>(),
        ActionDef::of::<context::ResetContext>(),
        ActionDef::of::<delegated::ListDelegatedAdministrators>(),
        ActionDef::of::<delegated::RegisterDelegatedAdministrator>(),
        ActionDef::of::<delegated::DeregisterDelegatedAdministrator>(),
        ActionDef::of::<shares::ListResourceShares>(),
        ActionDef::of::<shares::CreateResourceShare>(),
        ActionDef::of::<shares::DeleteResourceShare>(),
        ActionDef::of::<handshakes::ListHandshakes>(),
        ActionDef::of::<handshakes::InviteAccount>(),
        ActionDef::of::<tagging::TagResource>(),
        ActionDef::of::<tagging::UntagResource>(),
        ActionDef::of::<billing::GetConsolidatedBilling>(),
    ],
};

/// What Organizations answers, mapped like [`ToolError::from_sdk`] with hints for its codes.
pub fn org_error<E, R>(err: aws_sdk_organizations::error::SdkError<E, R>) -> ToolError
where
    E: aws_sdk_organizations::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let mut e = ToolError::from_sdk(err);
    if let ToolError::Aws { code, hint, .. } = &mut e
        && hint.is_none()
    {
        *hint = match code.as_str() {
            "AWSOrganizationsNotInUseException" => {
                Some("the credentials' account is not in an organization".into())
            }
            "AccessDeniedException" => Some(
                "call from the management account (or a delegated administrator) with \
                 organizations permissions"
                    .into(),
            ),
            "AccountNotFoundException" | "ChildNotFoundException" => {
                Some("list_accounts shows the organization's accounts".into())
            }
            "OrganizationalUnitNotFoundException" | "ParentNotFoundException" => {
                Some("list_organizational_units (recursive) shows the OUs".into())
            }
            "PolicyNotFoundException" => Some("list_policies shows the policies".into()),
            "ConstraintViolationException" => Some(
                "an organization limit or rule refused it (e.g. the last SCP of a target, \
                 an account without its own payment method); the message says which"
                    .into(),
            ),
            "PolicyTypeNotEnabledException" => Some("enable_policy_type on the root first".into()),
            _ => None,
        };
    }
    e
}

/// Organizations requests AWS cannot de-duplicate: retried only when they were never run.
pub fn org_once() -> aws_sdk_organizations::config::Builder {
    aws_sdk_organizations::config::Builder::default().retry_classifier(OnceSent)
}

/// What an Organizations id names, from its form: `r-…` a root, `ou-…` an OU, 12 digits an
/// account, `p-…` a policy.
pub fn kind_of(id: &str) -> Option<Kind> {
    let lower_alnum = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    };
    if let Some(rest) = id.strip_prefix("r-") {
        return (rest.len() >= 4 && rest.len() <= 32 && lower_alnum(rest)).then_some(Kind::OrgRoot);
    }
    if let Some(rest) = id.strip_prefix("ou-") {
        let (a, b) = rest.split_once('-')?;
        return (lower_alnum(a) && lower_alnum(b) && b.len() >= 8 && id.len() <= 68)
            .then_some(Kind::OrgUnit);
    }
    if let Some(rest) = id.strip_prefix("p-") {
        let ok = rest.len() >= 8
            && rest.len() <= 128
            && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        return ok.then_some(Kind::OrgPolicy);
    }
    (id.len() == 12 && id.chars().all(|c| c.is_ascii_digit())).then_some(Kind::OrgAccount)
}

/// Checks that `id` is one of `kinds`, naming the field.
pub fn check_id(field: &str, id: &str, kinds: &[Kind]) -> Result<Kind, ToolError> {
    match kind_of(id) {
        Some(k) if kinds.contains(&k) => Ok(k),
        _ => {
            let forms: Vec<&str> = kinds
                .iter()
                .map(|k| match k {
                    Kind::OrgRoot => "a root id (r-…)",
                    Kind::OrgUnit => "an OU id (ou-…-…)",
                    Kind::OrgAccount => "a 12-digit account id",
                    _ => "a policy id (p-…)",
                })
                .collect();
            let shown: String = id.chars().take(80).collect();
            Err(ToolError::invalid(format!(
                "{field} must be {}, got '{shown}'",
                forms.join(" or ")
            )))
        }
    }
}

/// The target an id names (checked by [`check_id`] in `validate`).
pub fn target(id: &str) -> Target {
    Target::new(kind_of(id).unwrap_or(Kind::OrgAccount), id)
}

/// Tags as Organizations takes them.
pub fn org_tags(tags: Option<&Tags>) -> Result<Option<Vec<Tag>>, ToolError> {
    let Some(tags) = tags.filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| ToolError::invalid(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// A name of 1-`max` characters without control characters.
pub fn check_name(field: &str, name: &str, max: usize) -> Result<(), ToolError> {
    if name.trim().is_empty() || name.chars().count() > max || name.chars().any(char::is_control) {
        return Err(ToolError::invalid(format!(
            "{field} must be 1-{max} characters without control characters"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_by_form() {
        assert_eq!(kind_of("r-ab12"), Some(Kind::OrgRoot));
        assert_eq!(kind_of("ou-ab12-cdef5678"), Some(Kind::OrgUnit));
        assert_eq!(kind_of("123456789012"), Some(Kind::OrgAccount));
        assert_eq!(kind_of("p-FullAWSAccess"), Some(Kind::OrgPolicy));
        assert_eq!(kind_of("p-abcd1234"), Some(Kind::OrgPolicy));
        assert_eq!(kind_of("12345678901"), None);
        assert_eq!(kind_of("ou-AB-cdef5678"), None);
        assert_eq!(kind_of("vpc-123"), None);
        assert!(check_id("x", "r-ab12", &[Kind::OrgUnit]).is_err());
    }
}
