//! Handshakes: invitations to join the organization, and inviting an account.

use aws_sdk_organizations::{
    Client,
    types::{HandshakeParty, HandshakePartyType},
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{check_tags, org_error, org_tags};
use crate::{
    aws::paging::PageRequest,
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Kind, Risk, Tags, Target},
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListHandshakes {
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListHandshakes {
    const NAME: &'static str = "list_handshakes";
    const DESCRIPTION: &'static str = "The organization's invitations";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        PageRequest::new(self.max_results, self.next_token.as_deref()).map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let client: Client = cx.client().await;
        let out = client
            .list_handshakes_for_organization()
            .max_results(page.aws_page_size(1, 20))
            .set_next_token(page.aws_token.clone())
            .send()
            .await
            .map_err(org_error)?;
        let list: Vec<Value> = out.handshakes().iter().map(handshake_json).collect();
        let (items, next) = page.finish(list, out.next_token().map(str::to_string));
        Ok(Output::new(
            format!("{} handshake(s).", items.len()),
            json!({"handshakes": items}),
        )
        .with_next_token(next))
    }
}

fn handshake_json(h: &aws_sdk_organizations::types::Handshake) -> Value {
    json!({
        "id": h.id(),
        "state": h.state().map(|s| s.as_str()),
        "action": h.action().map(|a| a.as_str()),
        "parties": h.parties().iter().map(|p| json!({
            "id": p.id(), "type": p.r#type().as_str()
        })).collect::<Vec<_>>(),
        "requested": h.requested_timestamp().map(crate::aws::time),
        "expires": h.expiration_timestamp().map(crate::aws::time),
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteAccount {
    /// Account id or e-mail
    pub invitee: String,
    pub notes: Option<String>,
    pub tags: Option<Tags>,
}

impl InviteAccount {
    fn is_id(&self) -> bool {
        self.invitee.len() == 12 && self.invitee.chars().all(|c| c.is_ascii_digit())
    }
}

impl Action for InviteAccount {
    const NAME: &'static str = "invite_account";
    const DESCRIPTION: &'static str = "Invite an account to join";
    const ACCESS: Access = Access::Write;
    // Nothing changes until the account accepts.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        let a = &self.invitee;
        let email = a.contains('@') && a.len() <= 64 && !a.contains(char::is_whitespace);
        if !self.is_id() && !email {
            return Err(ToolError::invalid(
                "account must be a 12-digit account id or the account's e-mail",
            ));
        }
        if self
            .notes
            .as_ref()
            .is_some_and(|n| n.chars().count() > 1024)
        {
            return Err(ToolError::invalid("notes are at most 1024 characters"));
        }
        check_tags(self.tags.as_ref())
    }

    /// An invited account is not a member yet; its id still names its environment through the
    /// account map.
    fn targets(&self) -> Vec<Target> {
        if self.is_id() {
            vec![Target::new(Kind::OrgAccount, &self.invitee)]
        } else {
            vec![Target::created(Kind::OrgAccount, &self.invitee)]
        }
    }

    /// No idempotency token, but a second open invitation to the same account is refused
    /// (DuplicateHandshakeException).
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let party = HandshakeParty::builder()
            .id(&self.invitee)
            .r#type(if self.is_id() {
                HandshakePartyType::Account
            } else {
                HandshakePartyType::Email
            })
            .build()
            .map_err(|e| ToolError::invalid(e.to_string()))?;
        let out = client
            .invite_account_to_organization()
            .target(party)
            .set_notes(self.notes.clone())
            .set_tags(org_tags(self.tags.as_ref())?)
            .send()
            .await
            .map_err(org_error)?;
        let h = out
            .handshake()
            .ok_or_else(|| ToolError::invalid("the invitation was not returned"))?;
        Ok(Output::new(
            format!(
                "Invited {} ({}, {}); it joins when the account accepts.",
                self.invitee,
                h.id().unwrap_or_default(),
                h.state().map(|s| s.as_str()).unwrap_or("?")
            ),
            handshake_json(h),
        ))
    }
}
