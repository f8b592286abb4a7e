//! Anchors of the audit chain outside this machine. The hash chain shows an edited record, but
//! whoever can write the state file can rewrite the whole log and recompute the chain. An
//! anchor is the head of the chain (sequence number, hash, time) written to an S3 object under
//! Object Lock, which nobody (in compliance mode, not even the account's root) can change or
//! delete before its retention ends; `audit verify --anchors` checks the local chain against
//! every anchor written. A server can also anchor on its own ([`keep_anchoring`]): every N
//! records, or every so many minutes when the log moved, configured with the
//! `--audit-anchor-*` flags.

use std::{future::Future, time::Duration};

use aws_sdk_s3::{
    primitives::{ByteStream, DateTime},
    types::ObjectLockMode,
};
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};

use super::store::{Store, now, rfc3339};
use crate::error::ToolError;

/// One anchor: the chain's head when it was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    pub seq: i64,
    pub hash: String,
    pub at: String,
}

/// Where anchors go: a bucket created with Object Lock, and a key prefix.
#[derive(Debug, Clone)]
pub struct AnchorPlace {
    pub bucket: String,
    pub prefix: String,
    /// Days the object is locked (compliance mode).
    pub retain_days: i64,
}

impl Store {
    /// The chain's head: the last sequence number and its hash, if any record was written.
    pub fn audit_head(&self) -> super::store::Result<Option<Anchor>> {
        self.read(|c| {
            c.query_row(
                "SELECT seq, hash, at FROM audit ORDER BY seq DESC LIMIT 1",
                [],
                |r| {
                    Ok(Anchor {
                        seq: r.get(0)?,
                        hash: r.get(1)?,
                        at: rfc3339(r.get(2)?),
                    })
                },
            )
            .optional()
        })
    }

    /// The hash of record `seq`, if it is there.
    pub fn audit_hash(&self, seq: i64) -> super::store::Result<Option<String>> {
        self.read(|c| {
            c.query_row("SELECT hash FROM audit WHERE seq = ?1", [seq], |r| r.get(0))
                .optional()
        })
    }
}

/// Writes the chain's current head to `place` under Object Lock; returns the anchor and the
/// object key.
pub async fn write(
    s3: &aws_sdk_s3::Client,
    store: &Store,
    place: &AnchorPlace,
) -> Result<(Anchor, String), ToolError> {
    let head = store.audit_head()?.ok_or_else(|| {
        ToolError::invalid("the audit log is empty; there is nothing to anchor yet")
    })?;
    let anchor = Anchor {
        at: rfc3339(now()),
        ..head
    };
    let key = format!("{}{:012}-{}.json", place.prefix, anchor.seq, now());
    let until = DateTime::from_secs(now() + place.retain_days * 86_400);
    s3.put_object()
        .bucket(&place.bucket)
        .key(&key)
        .content_type("application/json")
        .body(ByteStream::from(
            serde_json::to_vec(&anchor).expect("anchors serialise"),
        ))
        .object_lock_mode(ObjectLockMode::Compliance)
        .object_lock_retain_until_date(until)
        .send()
        .await
        .map_err(ToolError::from_sdk)?;
    Ok((anchor, key))
}

/// Every anchor under `place`, oldest first.
pub async fn read_all(
    s3: &aws_sdk_s3::Client,
    place: &AnchorPlace,
) -> Result<Vec<(String, Anchor)>, ToolError> {
    let mut keys = Vec::new();
    let mut pages = s3
        .list_objects_v2()
        .bucket(&place.bucket)
        .prefix(&place.prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(ToolError::from_sdk)?;
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_string)),
        );
    }
    keys.sort();
    let mut out = Vec::new();
    for key in keys {
        let obj = s3
            .get_object()
            .bucket(&place.bucket)
            .key(&key)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let bytes = obj
            .body
            .collect()
            .await
            .map_err(|e| ToolError::invalid(format!("cannot read anchor {key}: {e}")))?
            .into_bytes();
        match serde_json::from_slice::<Anchor>(&bytes) {
            Ok(a) => out.push((key, a)),
            Err(e) => {
                return Err(ToolError::invalid(format!(
                    "anchor {key} is not an anchor: {e}"
                )));
            }
        }
    }
    Ok(out)
}

/// What the local chain says against each anchor: empty when every anchored head is still in
/// the chain with the same hash.
pub fn check(store: &Store, anchors: &[(String, Anchor)]) -> super::store::Result<Vec<String>> {
    let mut problems = Vec::new();
    for (key, a) in anchors {
        match store.audit_hash(a.seq)? {
            Some(h) if h == a.hash => {}
            Some(_) => problems.push(format!(
                "anchor {key} ({}) says record {} has hash {}, and the local log's differs: \
                 the log was rewritten after it was anchored",
                a.at, a.seq, a.hash
            )),
            None => problems.push(format!(
                "anchor {key} ({}) says the log had {} records, and record {} is not in the \
                 local log: records were removed",
                a.at, a.seq, a.seq
            )),
        }
    }
    Ok(problems)
}

/// Anchoring by the server itself: whenever `records` records were written since the last
/// anchor, or `every` passed since it and the log moved.
#[derive(Debug, Clone)]
pub struct AutoAnchor {
    pub place: AnchorPlace,
    pub records: Option<i64>,
    pub every: Option<Duration>,
}

/// The last anchor written (by any process sharing the state file), in the `config` table.
const LAST: &str = "audit_anchor_last";

#[derive(Debug, Serialize, Deserialize)]
struct Last {
    seq: i64,
    /// Unix seconds.
    at: i64,
    key: String,
}

/// How often the server looks at the head of the log (a local read, no AWS call).
const POLL: Duration = Duration::from_secs(2);
/// How long to wait after an anchor could not be written.
const BACKOFF: Duration = Duration::from_secs(60);

impl AutoAnchor {
    /// Whether a head at `head` is due an anchor at `now`, after the last anchor `last`
    /// (sequence number and time), or since `started` when there was none.
    pub fn due(&self, head: i64, last: Option<(i64, i64)>, started: i64, now: i64) -> bool {
        let (last_seq, last_at) = last.unwrap_or((0, started));
        head > last_seq
            && (self.records.is_some_and(|n| head - last_seq >= n)
                || self
                    .every
                    .is_some_and(|d| now - last_at >= d.as_secs() as i64))
    }
}

/// Anchors the audit log whenever `auto` says it is due, for as long as the server runs. Only
/// local reads until then: nothing reaches AWS at start-up, and a failure to anchor is logged
/// and tried again later, never a reason to stop serving. `s3` makes the client when the
/// first anchor is due.
pub async fn keep_anchoring<F, Fut>(store: Store, s3: F, auto: AutoAnchor)
where
    F: Fn() -> Fut,
    Fut: Future<Output = aws_sdk_s3::Client>,
{
    let started = now();
    let store = &store;
    loop {
        tokio::time::sleep(POLL).await;
        let state = store
            .run(|s| Ok((s.audit_head()?, s.config::<Last>(LAST)?)))
            .await;
        let (head, last) = match state {
            Ok((Some(head), last)) => (head, last),
            Ok((None, _)) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the audit log's head to anchor it");
                continue;
            }
        };
        if !auto.due(head.seq, last.map(|l| (l.seq, l.at)), started, now()) {
            continue;
        }
        match write(&s3().await, store, &auto.place).await {
            Ok((a, key)) => {
                tracing::info!(seq = a.seq, bucket = %auto.place.bucket, key = %key, "anchored the audit log");
                let last = Last {
                    seq: a.seq,
                    at: now(),
                    key,
                };
                if let Err(e) = store.run(move |s| s.set_config(LAST, &last)).await {
                    tracing::warn!(error = %e, "cannot record the last anchor");
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, bucket = %auto.place.bucket, "cannot anchor the audit log; trying again later");
                tokio::time::sleep(BACKOFF).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auto(records: Option<i64>, minutes: Option<u64>) -> AutoAnchor {
        AutoAnchor {
            place: AnchorPlace {
                bucket: "b".into(),
                prefix: "p/".into(),
                retain_days: 1,
            },
            records,
            every: minutes.map(|m| Duration::from_secs(m * 60)),
        }
    }

    #[test]
    fn an_anchor_is_due_after_n_records_or_after_the_interval_when_the_log_moved() {
        let by_records = auto(Some(10), None);
        assert!(!by_records.due(9, None, 0, 1_000_000));
        assert!(by_records.due(10, None, 0, 0));
        assert!(!by_records.due(19, Some((10, 0)), 0, 0));
        assert!(by_records.due(20, Some((10, 0)), 0, 0));
        let by_time = auto(None, Some(5));
        assert!(!by_time.due(3, None, 100, 399));
        assert!(by_time.due(3, None, 100, 400));
        // Nothing new since the last anchor: nothing to write, however long ago it was.
        assert!(!by_time.due(3, Some((3, 0)), 0, 1_000_000));
        assert!(by_time.due(4, Some((3, 0)), 0, 300));
        assert!(!auto(None, None).due(100, None, 0, 1_000_000));
    }
}
