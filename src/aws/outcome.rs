//! Lost answers and half-done work, for every tool. A create whose answer is lost (a
//! connection cut after AWS ran it, a timeout, a 5xx) may or may not have happened. Where the
//! API takes an idempotency token (EC2 `ClientToken`, CloudFront `CallerReference`, Secrets
//! Manager's `ClientRequestToken`) the action makes one per call and the SDK's retries repeat it,
//! so AWS creates at most once. Where it takes none, the request is sent with [`OnceSent`],
//! which lets the SDK retry only what AWS refused without running (throttling, a connection
//! never made), and a lost answer is reported as an unknown outcome with the exact read that
//! tells ([`sent_once`], [`unknown_outcome`]: `ToolError::Precondition` with
//! `details.outcome = "unknown"`). A call of several requests that stops half-way says what was
//! done, what exists and what was not done ([`half_done`], [`stopped`]: `details.outcome =
//! "partial"`).

use aws_smithy_runtime_api::client::{
    interceptors::context::InterceptorContext,
    orchestrator::HttpResponse,
    result::SdkError,
    retries::classifiers::{ClassifyRetry, RetryAction, RetryClassifierPriority, RetryReason},
};
use aws_smithy_types::{error::metadata::ProvideErrorMetadata, retry::ErrorKind};
use serde_json::{Value, json};

use crate::error::ToolError;

/// The tag a create of an unnamed resource carries (EC2's, KMS keys), valued with the call's
/// token: the one sure way to find what a call made when its answer was lost.
pub const CALL_TAG: &str = "espada:call";

/// A value made once per call: the `ClientToken` of its create, which the SDK repeats on every
/// retry of that request, and the value of its [`CALL_TAG`] tag. 39 ASCII characters (EC2
/// takes up to 64).
pub fn call_token() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source works");
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("espada-{hex}")
}

/// A retry classifier for requests AWS cannot de-duplicate: the SDK may retry what AWS refused
/// without running it (throttling, or a connection that was never made), never a request that
/// may have reached AWS (a lost or cut answer, a timeout, a server error). Added per request
/// with `.customize().config_override(Builder::default().retry_classifier(OnceSent))`; it runs
/// after the SDK's own classifiers and can only take a retry away.
#[derive(Debug, Clone, Copy)]
pub struct OnceSent;

impl ClassifyRetry for OnceSent {
    fn classify_retry(&self, _ctx: &InterceptorContext) -> RetryAction {
        RetryAction::NoActionIndicated
    }

    fn classify_retry_v2(&self, ctx: &InterceptorContext, previous: &RetryAction) -> RetryAction {
        match previous {
            RetryAction::RetryIndicated(RetryReason::RetryableError {
                kind: ErrorKind::ThrottlingError,
                ..
            }) => RetryAction::NoActionIndicated,
            RetryAction::RetryIndicated(_) => {
                let unsent = matches!(ctx.output_or_error(), Some(Err(e)) if never_sent(e));
                if unsent {
                    RetryAction::NoActionIndicated
                } else {
                    RetryAction::RetryForbidden
                }
            }
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "EspadaOnceSent"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// AWS error codes that say the request was refused before it ran.
const THROTTLING: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "SlowDown",
];

/// Whether a failed request may have been carried out by AWS: its answer was lost or cut, it
/// timed out, or AWS answered with a server error (other than throttling). AWS's 4xx answers,
/// requests never built, failures before sending (credentials, signing, a guarded client's
/// refusal) and connections never made are failures where nothing happened.
pub fn outcome_unknown<E>(err: &SdkError<E, HttpResponse>) -> bool
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match err {
        SdkError::ConstructionFailure(_) => false,
        SdkError::DispatchFailure(d) => {
            if d.is_user() {
                false
            } else if d.is_timeout() || d.as_other() == Some(ErrorKind::TransientError) {
                // Timed out, or the answer was cut off (hyper's incomplete message).
                true
            } else if d.is_io() {
                !never_sent(err)
            } else {
                // Unclassified: failures before the request is handed to the HTTP client
                // (loading credentials, signing) carry no I/O error; one on the wire does.
                io_failure(err) && !never_sent(err)
            }
        }
        SdkError::ServiceError(e) => {
            e.raw().status().is_server_error()
                && !e.err().code().is_some_and(|c| THROTTLING.contains(&c))
        }
        _ => true,
    }
}

/// Whether an I/O error is among the causes of `err`.
fn io_failure(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(err);
    while let Some(e) = cur {
        if e.downcast_ref::<std::io::Error>().is_some() {
            return true;
        }
        cur = e.source();
    }
    false
}

/// Whether the connection to the endpoint was refused, so the request never left.
fn never_sent(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(err);
    while let Some(e) = cur {
        if e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
        {
            return true;
        }
        cur = e.source();
    }
    false
}

/// The read that tells whether a create whose answer was lost happened: an action of a tool,
/// its arguments, and what to look for in its result.
pub struct Check {
    pub tool: &'static str,
    pub action: &'static str,
    pub arguments: Value,
    pub look_for: String,
}

/// The error of a create whose answer was lost and which was not sent again: the outcome is
/// unknown, and `check` says how to tell. `what` names what may exist ("the VPC").
pub fn unknown_outcome(operation: &str, what: &str, cause: ToolError, check: Check) -> ToolError {
    lost(
        operation,
        what,
        cause,
        check,
        "it was not sent again, so at most one exists",
    )
}

/// The error of a create with an idempotency token whose every attempt lost its answer: AWS
/// made at most one, and `check` says whether it did.
pub fn unknown_outcome_with_token(
    operation: &str,
    what: &str,
    cause: ToolError,
    check: Check,
    token: &str,
) -> ToolError {
    lost(
        operation,
        what,
        cause,
        check,
        &format!("every attempt carried the idempotency token {token}, so at most one exists"),
    )
}

fn lost(operation: &str, what: &str, cause: ToolError, check: Check, why_one: &str) -> ToolError {
    ToolError::Precondition {
        message: format!(
            "{operation} was sent but its answer was lost ({cause}), so whether AWS created {what} \
             is unknown; {why_one}"
        ),
        hint: format!(
            "do not repeat the call yet: call {} {} with {} and look for {}; if it is there, \
             the call did its work; if not, nothing was created and the call can be repeated",
            check.tool, check.action, check.arguments, check.look_for
        ),
        details: json!({
            "outcome": "unknown",
            "operation": operation,
            "check": {"tool": check.tool, "action": check.action, "arguments": check.arguments},
            "look_for": check.look_for,
            "cause": cause.to_json(),
        }),
    }
}

/// [`half_done`] for a later request that failed or whose answer was lost (then the step may
/// or may not have happened, and the message says so).
pub fn step_failed<E>(
    done: &[String],
    step: &str,
    err: SdkError<E, HttpResponse>,
    exists: Value,
    not_done: &[String],
    hint: impl Into<String>,
) -> ToolError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let failed = if outcome_unknown(&err) {
        format!("tell whether it could {step} (the answer was lost)")
    } else {
        step.to_string()
    };
    half_done(
        done,
        &failed,
        ToolError::from_sdk(err),
        exists,
        not_done,
        hint,
    )
}

/// The error of a multi-request action that stopped half-way: what was done, what now exists,
/// and what was not done. `exists` names the resources that exist now (ids by role).
pub fn half_done(
    done: &[String],
    failed: &str,
    cause: ToolError,
    exists: Value,
    not_done: &[String],
    hint: impl Into<String>,
) -> ToolError {
    ToolError::Precondition {
        message: format!("{}, but could not {failed}: {cause}", done.join(", ")),
        hint: hint.into(),
        details: json!({
            "outcome": "partial",
            "done": done,
            "exists": exists,
            "not_done": not_done,
            "cause": cause.to_json(),
        }),
    }
}

/// The error of a create sent once with [`OnceSent`]: a lost answer is [`unknown_outcome`] with
/// the read `check` names; any other failure is `map(err)` (nothing was created).
pub fn sent_once<E>(
    err: SdkError<E, HttpResponse>,
    map: impl FnOnce(SdkError<E, HttpResponse>) -> ToolError,
    operation: &str,
    what: &str,
    check: impl FnOnce() -> Check,
) -> ToolError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if outcome_unknown(&err) {
        unknown_outcome(operation, what, map(err), check())
    } else {
        map(err)
    }
}

/// A later request of a call failed after the earlier ones (`done`) were carried out: the
/// cause as it is when nothing was done yet, else [`half_done`] with the rest left to the caller.
pub fn stopped(done: &[String], failed: &str, cause: ToolError) -> ToolError {
    if done.is_empty() {
        return cause;
    }
    half_done(
        done,
        failed,
        cause,
        Value::Null,
        &[],
        "what is listed as done exists now; fix the cause, then finish the rest or undo it",
    )
}
