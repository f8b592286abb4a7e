//! The client-side half of read-only mode and dry runs: an SDK interceptor that refuses, before
//! anything is sent, every operation a guarded client may not make. Read actions, read-only
//! mode and the guardrails' own lookups get [`Guard::ReadOnly`] clients; native dry runs get
//! [`Guard::DryRun`] clients, which also pass requests that carry EC2's `DryRun=true`. So an
//! action that forgets its dry-run flag, or a "read" that writes, fails closed instead of
//! changing AWS.

use aws_smithy_runtime_api::{
    box_error::BoxError,
    client::{
        interceptors::{Intercept, context::BeforeTransmitInterceptorContextRef},
        orchestrator::Metadata,
        runtime_components::RuntimeComponents,
    },
};
use aws_smithy_types::config_bag::ConfigBag;

use crate::error::GuardRefusal;

/// What a guarded client may send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Guard {
    /// Reads only.
    ReadOnly,
    /// Reads, and requests marked as a dry run.
    DryRun,
}

/// Operation name prefixes that only read.
const READ_PREFIXES: &[&str] = &[
    "Describe", "List", "Get", "Head", "Lookup", "Search", "BatchGet", "Filter", "Query", "Scan",
    "Simulate", "Select",
];

/// Operations that only read though their names do not say so: CloudWatch Logs Insights
/// queries (StartQuery reads log events; StopQuery stops that read).
const READ_OPERATIONS: &[&str] = &["StartQuery", "StopQuery"];

/// Whether an operation only reads, from its name (`DescribeInstances`, `GetBucketTagging`).
pub fn is_read_operation(name: &str) -> bool {
    READ_OPERATIONS.contains(&name)
        || READ_PREFIXES.iter().any(|p| {
            name.strip_prefix(p)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(|c: char| c.is_uppercase()))
        })
}

#[derive(Debug)]
pub(crate) struct GuardInterceptor(pub Guard);

impl Intercept for GuardInterceptor {
    fn name(&self) -> &'static str {
        "EspadaGuard"
    }

    fn read_after_serialization(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg
            .load::<Metadata>()
            .map(|m| m.name().to_string())
            .unwrap_or_default();
        if is_read_operation(&operation) {
            return Ok(());
        }
        let why = match self.0 {
            Guard::ReadOnly => "the call may only read",
            Guard::DryRun => {
                let marked = context
                    .request()
                    .body()
                    .bytes()
                    .is_some_and(|b| b.split(|c| *c == b'&').any(|p| p == b"DryRun=true"));
                if marked {
                    return Ok(());
                }
                "this is a dry run and the request is not marked as one"
            }
        };
        Err(Box::new(GuardRefusal { operation, why }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_operations_by_name() {
        for op in [
            "DescribeInstances",
            "GetBucketTagging",
            "ListObjectsV2",
            "HeadObject",
            "Describe",
        ] {
            assert!(is_read_operation(op), "{op}");
        }
        for op in [
            "RunInstances",
            "TerminateInstances",
            "PutBucketPolicy",
            "Getaway",
            "CreateTags",
            "DeleteObjects",
            "",
        ] {
            assert!(!is_read_operation(op), "{op}");
        }
    }
}
