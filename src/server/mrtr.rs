//! In-band approval for clients on protocol 2026-07-28, through multi-round tool results
//! (MRTR): a `tools/call` that needs a person's approval answers `input_required` with an
//! elicitation form and a sealed `requestState`; the client repeats the call with the person's
//! answer and that state; the answer is one unverified vote for the OS user the server runs as
//! (the same vote, with the same one-person rules, as the request-based elicitation of older
//! protocols), and the call goes on when the request is approved.
//!
//! The state is sealed with rmcp's `RequestStateCodec` (HMAC-SHA256) under a key drawn at
//! random when the process starts, and bound to the call it was issued for (tool and arguments,
//! as associated data), with a time limit: an agent cannot forge a state, edit the approval
//! request it names, or carry it over to another call. Repeating a call with the same state
//! asks the store for a second vote by the same person, which it refuses.

use std::{sync::OnceLock, time::Duration};

use rmcp::{
    RoleServer,
    model::{
        ElicitRequest, ElicitRequestParams, ElicitResult, ElicitationAction, ElicitationSchema,
        InputRequest, InputRequests, InputRequiredResult, InputResponses, ProtocolVersion,
        RequestStateCodec, SealOptions,
    },
    service::RequestContext,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::ApprovalForm;
use crate::guardrails::{
    approvals::{ApprovalRequest, Ballot, Proof, os_user, question},
    confirm,
};

/// The key of the one input request: the approval form.
pub const INPUT: &str = "approval";

/// How long a question's state stays good (the approval request has its own expiry).
const STATE_TTL: Duration = Duration::from_secs(3600);

/// What the sealed state carries: the approval request the person is asked about.
#[derive(Debug, Serialize, Deserialize)]
pub struct State {
    pub approval_request_id: String,
    /// Whether the call itself runs once the request is approved (false when the call was
    /// `submit_approval_response`, which only records the vote).
    pub run: bool,
}

/// Whether this request can be answered with `input_required`: the client speaks 2026-07-28
/// (where servers may not send it requests) and declared form elicitation.
pub fn in_band(context: &RequestContext<RoleServer>) -> bool {
    let version_ok = context
        .protocol_version()
        .is_some_and(|v| v.as_str() >= ProtocolVersion::V_2026_07_28.as_str());
    // An elicitation capability without modes means form (2025-06-18).
    let form = context.client_capabilities().is_some_and(|c| {
        c.elicitation
            .as_ref()
            .is_some_and(|e| e.form.is_some() || e.url.is_none())
    });
    version_ok && form
}

/// The per-process codec: a random key drawn once, never written anywhere.
fn codec() -> &'static RequestStateCodec {
    static CODEC: OnceLock<RequestStateCodec> = OnceLock::new();
    CODEC.get_or_init(|| {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("the OS random source works");
        RequestStateCodec::try_new(key.to_vec()).expect("a 32-byte key is long enough")
    })
}

/// What a state is bound to: the call as the client sent it.
fn bound_to(tool: &str, args: &Map<String, Value>) -> Vec<u8> {
    format!(
        "espada-aws/mrtr-approval/v1\0{tool}\0{}",
        confirm::canonical(&Value::Object(args.clone()))
    )
    .into_bytes()
}

/// The `input_required` answer that asks the person about `req`, for the call `tool`/`args`.
pub fn ask(
    req: &ApprovalRequest,
    tool: &str,
    args: &Map<String, Value>,
    run: bool,
) -> Result<InputRequiredResult, String> {
    let schema = ElicitationSchema::from_type::<ApprovalForm>().map_err(|e| e.to_string())?;
    let elicit = ElicitRequest::new(ElicitRequestParams::FormElicitationParams {
        meta: None,
        message: question(req),
        requested_schema: schema,
    });
    let state = codec()
        .seal_json_with(
            &State {
                approval_request_id: req.id.clone(),
                run,
            },
            &SealOptions::new()
                .associated_data(&bound_to(tool, args))
                .ttl(STATE_TTL),
        )
        .map_err(|e| e.to_string())?;
    let mut requests = InputRequests::new();
    requests.insert(INPUT.into(), InputRequest::Elicitation(elicit));
    Ok(InputRequiredResult::new(Some(requests), Some(state)))
}

/// Opens the state the client echoed for the call `tool`/`args`; refuses a forged, edited,
/// expired or carried-over one.
pub fn open(state: &str, tool: &str, args: &Map<String, Value>) -> Result<State, String> {
    codec()
        .open_json_with(state, &bound_to(tool, args))
        .map_err(|e| e.to_string())
}

/// The person's vote from the client's answer: accept with the form (approve or reject),
/// decline (a rejection), or nothing when they cancelled or the answer is missing.
pub fn ballot(responses: Option<&InputResponses>) -> Result<Option<Ballot>, String> {
    let Some(answer) = responses.and_then(|r| r.get(INPUT)) else {
        return Ok(None);
    };
    let answer: ElicitResult = serde_json::from_value(answer.clone()).map_err(|e| {
        format!("the answer to the approval form is not an elicitation result: {e}")
    })?;
    // The person in the client is the OS user the server runs as; the name they typed is
    // shown, never counted.
    let proof = Proof::Elicitation { user: os_user() };
    match answer.action {
        ElicitationAction::Accept => {
            let form: ApprovalForm = serde_json::from_value(answer.content.unwrap_or(Value::Null))
                .map_err(|e| format!("the approval form is incomplete: {e}"))?;
            Ok(Some(Ballot {
                proof,
                approve: form.approve,
                display_name: Some(form.name),
                comment: form.comment,
            }))
        }
        ElicitationAction::Decline => Ok(Some(Ballot {
            proof,
            approve: false,
            display_name: None,
            comment: Some("declined in the client".into()),
        })),
        // Cancelled (or an action this version does not know): no answer.
        _ => Ok(None),
    }
}
