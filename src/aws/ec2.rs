//! Helpers shared by the tools that call EC2 (`aws_ec2`, `aws_network`): EC2's own dry runs,
//! filters, tags and times; and how every tool sends a create that AWS cannot de-duplicate
//! (EC2's and the others'): [`OnceSent`], [`outcome_unknown`] and [`unknown_outcome`].
//!
//! Lost answers. A create whose answer is lost (a connection cut after AWS ran it, a timeout,
//! a 5xx) may or may not have happened. Where the API takes an idempotency token (EC2
//! `ClientToken`, CloudFront `CallerReference`) the action makes one per call with
//! [`call_token`] and the SDK's retries repeat it, so AWS creates at most once. Where it takes
//! none, the request is sent with [`OnceSent`], which lets the SDK retry only what AWS refused
//! without running (throttling), and a lost answer is reported as an unknown outcome with the
//! exact read that tells (`ToolError::Precondition`, `details.outcome = "unknown"`). EC2
//! resources that have no unique name carry the tag [`CALL_TAG`] with the call's token, so that
//! read finds exactly the resource this call made.

use std::collections::BTreeMap;

use aws_sdk_ec2::{
    error::{ProvideErrorMetadata, SdkError},
    types::{Filter, ResourceType, Tag, TagSpecification},
};
use aws_smithy_runtime_api::client::{
    interceptors::context::InterceptorContext,
    orchestrator::HttpResponse,
    retries::classifiers::{ClassifyRetry, RetryAction, RetryClassifierPriority, RetryReason},
};
use aws_smithy_types::{DateTime, date_time::Format, retry::ErrorKind};
use serde_json::{Value, json};

use crate::{error::ToolError, output::Output};

/// The tag a create of an unnamed EC2 resource carries, valued with the call's token: the one
/// sure way to find what a call made when its answer was lost.
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

/// A mutating call's outcome: it ran, or it was a dry run and this is the verdict.
pub enum Sent<T> {
    Done(T),
    DryRun(Output),
}

/// Sends a mutating request with EC2's own `DryRun` flag and turns the answer into a verdict.
/// With `once: unknown`, the request is a create AWS cannot de-duplicate: it is sent with
/// [`OnceSent`] retries, and a lost answer becomes `unknown(cause)`. With `lost: unknown`, it
/// carries an idempotency token and is retried as usual.
macro_rules! send {
    ($self:ident, $op:literal, $req:expr) => {
        match $crate::aws::ec2::dry_run_outcome(
            $self.dry_run,
            $op,
            $req.dry_run($self.dry_run).send().await,
        )? {
            $crate::aws::ec2::Sent::Done(v) => v,
            $crate::aws::ec2::Sent::DryRun(out) => return Ok(out),
        }
    };
    // A create with an idempotency token: retried as usual (the token makes AWS create once);
    // an answer lost on every attempt becomes `unknown(cause)`.
    ($self:ident, $op:literal, $req:expr, lost: $unknown:expr) => {
        match $crate::aws::ec2::dry_run_outcome_once(
            $self.dry_run,
            $op,
            $req.dry_run($self.dry_run).send().await,
            $unknown,
        )? {
            $crate::aws::ec2::Sent::Done(v) => v,
            $crate::aws::ec2::Sent::DryRun(out) => return Ok(out),
        }
    };
    ($self:ident, $op:literal, $req:expr, once: $unknown:expr) => {
        match $crate::aws::ec2::dry_run_outcome_once(
            $self.dry_run,
            $op,
            $req.dry_run($self.dry_run)
                .customize()
                .config_override($crate::aws::ec2::once_sent())
                .send()
                .await,
            $unknown,
        )? {
            $crate::aws::ec2::Sent::Done(v) => v,
            $crate::aws::ec2::Sent::DryRun(out) => return Ok(out),
        }
    };
}
pub(crate) use send;

/// Like [`dry_run_outcome`], for a create AWS cannot tell from a repeat unless it carries a
/// token: an answer that was lost after the request may have run becomes `unknown(cause)` (see
/// [`unknown_outcome`]).
pub fn dry_run_outcome_once<T, E>(
    dry_run: bool,
    op: &str,
    result: Result<T, SdkError<E, HttpResponse>>,
    unknown: impl FnOnce(ToolError) -> ToolError,
) -> Result<Sent<T>, ToolError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Err(e) if !dry_run && outcome_unknown(&e) => Err(unknown(ToolError::from_sdk(e))),
        other => dry_run_outcome(dry_run, op, other),
    }
}

/// An EC2 config override for one request: [`OnceSent`] retries.
pub fn once_sent() -> aws_sdk_ec2::config::Builder {
    aws_sdk_ec2::config::Builder::default().retry_classifier(OnceSent)
}

/// Turns a mutating call's answer into `Sent`: with `dry_run`, EC2 answers `DryRunOperation`
/// when the call would have succeeded and another error code when it would not.
pub fn dry_run_outcome<T, E, R>(
    dry_run: bool,
    op: &str,
    result: Result<T, SdkError<E, R>>,
) -> Result<Sent<T>, ToolError>
where
    E: aws_sdk_ec2::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match (dry_run, result) {
        (false, Ok(v)) => Ok(Sent::Done(v)),
        (false, Err(e)) => Err(ToolError::from_sdk(e)),
        (true, Ok(_)) => Err(ToolError::Transport {
            message: format!(
                "{op} was executed although dry_run was set: the endpoint ignored DryRun"
            ),
            hint: "check what changed with the matching list action".into(),
        }),
        (true, Err(e)) => match ToolError::from_sdk(e) {
            ToolError::Aws { code, .. } if code == "DryRunOperation" => {
                Ok(Sent::DryRun(Output::new(
                    format!("Dry run: {op} would succeed; nothing was changed."),
                    json!({ "dry_run": true, "would_succeed": true }),
                )))
            }
            err @ ToolError::Aws { .. } => Ok(Sent::DryRun(Output::new(
                format!(
                    "Dry run: {op} would fail ({}); nothing was changed.",
                    err.aws_code().unwrap_or("?")
                ),
                json!({ "dry_run": true, "would_succeed": false, "error": err.to_json() }),
            ))),
            other => Err(other),
        },
    }
}

pub fn filter<'a>(name: &str, values: impl IntoIterator<Item = &'a str>) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.into_iter().map(str::to_string).collect()))
        .build()
}

pub fn sdk_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// Tag specifications for a create of unnamed resources: `tags` plus [`CALL_TAG`] = `token`.
pub fn tag_specs_with_call(
    types: &[ResourceType],
    tags: Option<&BTreeMap<String, String>>,
    token: &str,
) -> Vec<TagSpecification> {
    let mut all = tags.cloned().unwrap_or_default();
    all.insert(CALL_TAG.into(), token.into());
    tag_specs(types, Some(&all)).unwrap_or_default()
}

/// Tag specifications for the resource types a create call makes, or `None` without tags.
pub fn tag_specs(
    types: &[ResourceType],
    tags: Option<&BTreeMap<String, String>>,
) -> Option<Vec<TagSpecification>> {
    let tags = tags.filter(|t| !t.is_empty())?;
    Some(
        types
            .iter()
            .map(|t| {
                TagSpecification::builder()
                    .resource_type(t.clone())
                    .set_tags(Some(sdk_tags(tags)))
                    .build()
            })
            .collect(),
    )
}

pub fn tags_json(tags: &[Tag]) -> Value {
    tags.iter()
        .filter_map(|t| Some((t.key()?.to_string(), json!(t.value().unwrap_or_default()))))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

pub fn time(t: &DateTime) -> String {
    t.fmt(Format::DateTime).unwrap_or_else(|_| t.to_string())
}
