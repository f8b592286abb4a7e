//! The guardrails stage. Every call passes through [`Guardrails::evaluate`] and
//! [`Guardrails::gate`] after it is parsed and classified and before anything changes in AWS.
//! The checks run in this order; the first that refuses decides:
//!
//! 1. read-only mode: any non-Read action is refused (it is also absent from the schemas);
//! 2. classification: the action's risk (Critical, High, Medium, Low), raised to High when the
//!    tool flags the call;
//! 3. environment: from the targets' tags (`Environment`/`env`/`stage`), the tags a create
//!    call sets, the account and region rules of the config; unknown counts as the configured
//!    default (production) for destructive calls;
//! 4. policies: deny wins; require_approval and require_confirmation add to the protections;
//! 5. environment protection: approval (Critical anywhere it is set, High in production),
//!    change request, backup before; a confirmation token for every other destructive,
//!    high-risk or flagged call, in any environment;
//! 6. rate limits: calls per access class and window, resources per call;
//! 7. then: an approval request (pending; humans approve out of band, and production ones
//!    carry an open change request) or a confirmation token where no approval is needed; a
//!    repeated call with `approval_request_id` runs exactly the approved arguments, once, in
//!    the approved account, region and credentials context, and only while its targets are no
//!    more protected than when people approved it;
//! 8. admission: the token is spent or the approval claimed, the rate-limit slot taken and the
//!    audit intent written in one transaction; if any of it fails, nothing runs;
//! 9. backup before, where required: if it fails, the call does not run.
//!
//! The dispatcher audits every call, whatever the outcome: calls admitted to change AWS with an
//! intent before and an outcome after, every other call with one record. The state file is
//! read and written on the store's own thread ([`store::Store::run`]).

pub mod accounts;
pub mod anchor;
pub mod approvals;
pub mod audit;
pub mod backup;
pub mod changes;
pub mod confirm;
pub mod environment;
pub mod plans;
pub mod policy;
pub mod ratelimit;
pub mod signing;
pub mod store;
pub mod tags;

mod notify;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value, json};

pub use self::notify::{publish, topic_region};
use self::{
    approvals::{ApprovalRequest, Ballot, CallContext, Claim, RequestedCall, claim_in},
    audit::{AuditRecord, append_in, bounded},
    changes::ChangeStatus,
    confirm::redeem_in,
    environment::{Environment, EnvironmentConfig, Protection},
    policy::{Effect, Facts, Policy},
    ratelimit::{RateLimits, reserve_in},
    store::Store,
};
pub use crate::registry::{Caller, HumanAnswer, HumanChannel, Risk};
use crate::{
    aws::{self, At, AwsPool, Guard},
    error::ToolError,
    registry::{Access, Flag, Kind, Tags, Target},
};

/// Config keys stored in the state file.
pub const TIME_ZONE_KEY: &str = "time_zone";
pub const TOPIC_KEY: &str = "notification_topic_arn";
pub const APPROVAL_TTL_KEY: &str = "approval_ttl_hours";

/// The facts of one call that the guardrails decide on.
pub struct CallFacts<'a> {
    pub tool: &'a str,
    pub action: &'a str,
    pub description: &'a str,
    pub access: Access,
    /// The action's declared risk, raised by the call's flags.
    pub risk: Risk,
    /// The call's arguments without the guardrails' own fields, region included when given.
    pub args: &'a Map<String, Value>,
    pub targets: &'a [Target],
    pub flags: &'a [Flag],
    pub region: Option<&'a str>,
    /// The role of the other account the call acts in; `None` for the source account.
    pub role: Option<&'a str>,
    pub confirm_token: Option<&'a str>,
    pub approval_request_id: Option<&'a str>,
    pub change_request_id: Option<&'a str>,
    pub requester: &'a str,
}

impl CallFacts<'_> {
    /// Where the call's requests go.
    pub fn at(&self) -> At<'_> {
        At {
            role: self.role,
            region: self.region,
        }
    }
}

/// The rules the guardrails decide by, as one snapshot of the state file. Kept by the store
/// until any process changes them (see `Store::rules`).
#[derive(Debug, Clone)]
pub struct Rules {
    pub environments: EnvironmentConfig,
    pub accounts: accounts::AccountsConfig,
    pub time_zone: String,
    pub policies: Vec<Policy>,
    pub protections: BTreeMap<Environment, Protection>,
    pub rate_limits: RateLimits,
    pub approval_ttl_hours: i64,
    pub topic: Option<String>,
}

impl Rules {
    pub fn load(store: &Store) -> store::Result<Self> {
        let mut protections = BTreeMap::new();
        for e in Environment::ALL {
            protections.insert(e, store.protection(e)?);
        }
        Ok(Self {
            environments: store.environment_config()?,
            accounts: store.config(accounts::KEY)?.unwrap_or_default(),
            time_zone: store.config(TIME_ZONE_KEY)?.unwrap_or_else(|| "UTC".into()),
            policies: store.policies()?,
            protections,
            rate_limits: store.rate_limits()?,
            approval_ttl_hours: store.config(APPROVAL_TTL_KEY)?.unwrap_or(24),
            topic: store.config(TOPIC_KEY)?,
        })
    }

    pub fn protection(&self, env: Environment) -> Protection {
        self.protections
            .get(&env)
            .copied()
            .unwrap_or_else(|| Protection::default_for(env))
    }
}

/// What the pipeline concluded about a call, before anything ran.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub risk: Risk,
    pub destructive: bool,
    pub environment: Option<Environment>,
    pub environment_source: String,
    pub account: Option<String>,
    /// The region the SDK resolved for the call: the call's `region`, else `--region` /
    /// `AWS_REGION`, else the profile's.
    pub region: Option<String>,
    pub resources: usize,
    pub flags: Vec<String>,
    /// The environment of each target, strictest first, with where it came from.
    pub target_environments: Vec<Value>,
    pub policies: Vec<Value>,
    pub protection: Option<Protection>,
    pub denied: Option<String>,
    pub rate_limited: Option<String>,
    pub needs_approval: bool,
    pub min_approvers: u32,
    /// Whether only votes signed by the environment's approvers count.
    pub signed_approvals: bool,
    pub change_request_required: bool,
    pub backup_required: bool,
    pub needs_confirmation: bool,
}

impl Evaluation {
    /// What the pipeline would do with the call, in a word.
    pub fn decision(&self) -> &'static str {
        if self.denied.is_some() || self.rate_limited.is_some() {
            "refuse"
        } else if self.needs_approval {
            "require_approval"
        } else if self.needs_confirmation {
            "require_confirmation"
        } else {
            "allow"
        }
    }
}

/// What the gate lets happen.
pub enum Gate {
    /// Run the call: it was admitted, its audit intent is record `intent_seq`, and it runs
    /// under `approved` if an approval request let it.
    Proceed {
        approved: Option<Box<ApprovalRequest>>,
        intent_seq: i64,
    },
    /// Do not run; answer with this result (a confirmation plan or a pending approval).
    Answer(Value),
}

/// What lets an admitted call through the gate.
enum Pass {
    /// Nothing is asked of it.
    Free,
    /// A confirmation token, spent on admission.
    Token(String),
    /// An approved request, claimed on admission.
    Approval(String, Box<Claim>),
}

/// Why admission refused a call.
enum Refusal {
    Token(&'static str),
    Approval(String),
    RateLimit(String),
}

pub struct Guardrails {
    pub store: Store,
    read_only: bool,
    confirm_ttl_secs: i64,
}

impl Guardrails {
    pub fn new(store: Store, read_only: bool, confirm_ttl_secs: i64) -> Self {
        Self {
            store,
            read_only,
            confirm_ttl_secs,
        }
    }

    pub fn read_only(&self) -> bool {
        self.read_only
    }

    /// Step 1: read-only mode wins over everything and needs no AWS call.
    pub fn check_read_only(
        &self,
        tool: &str,
        action: &str,
        access: Access,
    ) -> Result<(), ToolError> {
        if self.read_only && access != Access::Read {
            return Err(ToolError::Refused(format!(
                "{tool} {action} is a {} action and the server runs in read-only mode; restart it \
                 without --read-only (and without ESPADA_READ_ONLY=1) to allow changes",
                access.as_str()
            )));
        }
        Ok(())
    }

    /// Steps 2–6: classification, environment, policies, protections and rate limits. Reads
    /// AWS (tags, account) and the state file; changes nothing.
    pub async fn evaluate(
        &self,
        call: &CallFacts<'_>,
        aws: &AwsPool,
    ) -> Result<Evaluation, ToolError> {
        let destructive = call.access == Access::Destructive;
        let access = call.access;
        let (rules, usage) = self
            .store
            .run(move |s| {
                let rules = s.rules()?;
                let usage = s.usage_under(&rules.rate_limits, access)?;
                Ok((rules, usage))
            })
            .await?;
        let env_config = &rules.environments;
        // Another account's id is in its role's ARN; the source account's comes from STS,
        // and only where the account map needs it.
        let account = if let Some(id) = call.role.and_then(accounts::role_account) {
            Some(id.to_string())
        } else if env_config.accounts.is_empty() {
            None
        } else {
            let sts: aws_sdk_sts::Client = aws.client(call.at(), Some(Guard::ReadOnly)).await;
            Some(aws::account_id(&sts).await?)
        };
        // The region the SDK resolved, so that a region set only in the profile counts.
        let region = resolved_region(aws, call.at()).await;
        // Where nothing names an environment: the account's or the region's, else, for
        // destructive calls, the configured default (production unless changed).
        let fallback = account
            .as_ref()
            .and_then(|a| env_config.accounts.get(a))
            .map(|e| (*e, format!("account {}", account.as_deref().unwrap_or(""))))
            .or_else(|| {
                region
                    .as_ref()
                    .and_then(|r| env_config.regions.get(r))
                    .map(|e| (*e, format!("region {}", region.as_deref().unwrap_or(""))))
            })
            .or(destructive.then(|| {
                (
                    env_config.default_environment,
                    "unknown; the configured default applies to destructive calls".to_string(),
                )
            }));

        // The tags the call gives its resources (creates, tag changes) count with the
        // targets' current ones: a re-tag is judged in the stricter of the old and new.
        let call_tags: Tags = match call.args.get("tags") {
            Some(Value::Object(t)) => t
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect(),
            _ => Tags::new(),
        };
        let found = if call.access == Access::Read {
            BTreeMap::new()
        } else {
            tags::lookup(aws, call.at(), call.targets, &env_config.accounts).await
        };
        // Each target's environment is the strictest that its tags, its parents' tags and the
        // call's own tags name; where none names one, the fallback. The call's environment is
        // the strictest over all its targets, so one untagged or production target in a batch
        // is never diluted by development ones.
        let set_by_call = Environment::from_tags(&call_tags).map(|e| (e, "the tags the call sets"));
        let mut tag_sets: Vec<Tags> = vec![call_tags.clone()];
        let mut unreadable: Vec<String> = Vec::new();
        let mut resolved: Vec<(Option<Environment>, String, String)> = Vec::new();
        for target in call.targets {
            let mut named: Vec<(Environment, String)> = set_by_call
                .iter()
                .map(|(e, from)| (*e, from.to_string()))
                .collect();
            for node in target.lineage() {
                if node.kind == Kind::Guardrails {
                    named.extend(
                        Environment::parse(&node.id).map(|e| (e, "named by the call".into())),
                    );
                } else if !node.new && tags::source(node.kind) != tags::Source::Parent {
                    match found.get(&(node.kind, node.id.clone())) {
                        Some(Ok(sets)) => {
                            for set in sets {
                                named.extend(
                                    Environment::from_tags(set)
                                        .map(|e| (e, format!("tags of {}", node.id))),
                                );
                                tag_sets.push(set.clone());
                            }
                        }
                        Some(Err(why)) => unreadable.push(format!("{}: {why}", node.id)),
                        None => {}
                    }
                }
            }
            let strictest = named
                .into_iter()
                .max_by_key(|(e, _)| *e)
                .or_else(|| fallback.clone());
            resolved.push(match strictest {
                Some((e, from)) => (Some(e), target.id.clone(), from),
                None => (None, target.id.clone(), "untagged".into()),
            });
        }
        if call.access != Access::Read && !unreadable.is_empty() {
            return Err(ToolError::Refused(format!(
                "the environment of {} {} cannot be told, so it was not run: the tags of {} \
                 could not be read; retry when AWS answers (the credentials need the \
                 service's tag-read permission); nothing was done",
                call.tool,
                call.action,
                unreadable.join("; ")
            )));
        }
        resolved.sort_by_key(|r| std::cmp::Reverse(r.0));
        let (environment, environment_source) = match resolved.first() {
            Some((Some(e), id, from)) => (Some(*e), format!("{from} ({id})")),
            Some((None, _, _)) => (None, "unknown".to_string()),
            None => match set_by_call
                .map(|(e, from)| (e, from.to_string()))
                .or_else(|| fallback.clone())
            {
                Some((e, from)) => (Some(e), from),
                None => (None, "unknown".to_string()),
            },
        };
        // Flags that count only in production raise the risk once the environment is known.
        let in_production = environment == Some(Environment::Production);
        let applied: Vec<&Flag> = call
            .flags
            .iter()
            .filter(|f| !f.in_production || in_production)
            .collect();
        let risk = applied
            .iter()
            .filter(|f| f.in_production)
            .map(|f| f.risk)
            .fold(call.risk, Risk::max);
        let target_environments = resolved
            .iter()
            .map(|(e, id, from)| json!({"target": id, "environment": e, "from": from}))
            .collect();

        let facts = Facts {
            tool: call.tool,
            action: call.action,
            access: call.access,
            environment,
            region: region.as_deref(),
            tags: &tag_sets,
            resources: call.targets.len(),
            minute_of_week: policy::minute_of_week(&rules.time_zone),
        };
        let matched: Vec<&Policy> = rules
            .policies
            .iter()
            .filter(|p| p.enabled && p.rule.matches(&facts))
            .collect();
        let strongest = matched.iter().map(|p| p.effect).max();
        let denied = matched.iter().find(|p| p.effect == Effect::Deny).map(|p| {
            let why = p
                .description
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            format!("denied by policy {} ({}){why}", p.name, p.id)
        });

        let protection = environment.map(|e| rules.protection(e));
        let p = protection.unwrap_or(Protection::default_for(Environment::Development));
        let by_protection = p.approval_required
            && (risk == Risk::Critical
                || (risk == Risk::High && environment == Some(Environment::Production)));
        let needs_approval = by_protection || strongest == Some(Effect::RequireApproval);
        // Every destructive, high-risk or flagged change that no approval covers asks the
        // person for a confirmation, whatever the environment (an untagged or development
        // resource too): flags raise a call to at least high.
        let needs_confirmation = !needs_approval
            && (destructive
                || risk >= Risk::High
                || strongest == Some(Effect::RequireConfirmation));

        let limits = &rules.rate_limits;
        let rate_limited = if call.targets.len() > limits.max_resources_per_call as usize {
            Some(format!(
                "the call names {} resources and at most {} are allowed in one call; split it",
                call.targets.len(),
                limits.max_resources_per_call
            ))
        } else {
            match usage {
                Some(u) if u.used >= u.max_calls => Some(format!(
                    "rate limit reached: {} {} calls in {} s; it resets at {}",
                    u.used,
                    u.bucket,
                    u.window_seconds,
                    u.resets_at.as_deref().unwrap_or("the end of the window")
                )),
                _ => None,
            }
        };

        Ok(Evaluation {
            risk,
            destructive,
            environment,
            environment_source,
            account,
            region,
            resources: call.targets.len(),
            flags: applied.iter().map(|f| f.reason.clone()).collect(),
            target_environments,
            policies: matched
                .iter()
                .map(|p| json!({"id": p.id, "name": p.name, "effect": p.effect}))
                .collect(),
            protection,
            denied,
            rate_limited,
            needs_approval,
            min_approvers: p.min_approvers.max(1),
            signed_approvals: needs_approval && p.signed_approvals,
            change_request_required: needs_approval && p.change_request_required,
            backup_required: destructive && p.backup_required,
            needs_confirmation,
        })
    }

    /// Step 7–8: refuse, ask for confirmation, ask for approval, or admit the call. Admission
    /// spends the confirmation token or claims the approval, takes the rate-limit slot and
    /// appends `intent` to the audit log in one transaction: if any part fails, none happens
    /// and the call does not run.
    pub async fn gate(
        &self,
        call: &CallFacts<'_>,
        eval: &Evaluation,
        aws: &AwsPool,
        intent: AuditRecord,
    ) -> Result<Gate, ToolError> {
        if let Some(why) = eval.denied.as_ref().or(eval.rate_limited.as_ref()) {
            return Err(ToolError::Refused(format!("{why}; nothing was done")));
        }
        let hash = confirm::binding(call.tool, call.action, call.args);
        let pass = if eval.needs_approval {
            let Some(id) = call.approval_request_id else {
                let req = self
                    .open_approval(call, eval, aws, "required by the guardrails")
                    .await?;
                return Ok(Gate::Answer(pending_answer(&req, eval)));
            };
            let claim = Claim {
                tool: call.tool.to_string(),
                action: call.action.to_string(),
                args_hash: hash.clone(),
                context: self.context(aws, call.at(), eval).await,
                environment: eval.environment,
                risk: eval.risk,
                min_approvers: eval.min_approvers,
                change_request_required: eval.change_request_required,
                signed_approvals: eval.signed_approvals,
                change_request_id: call.change_request_id.map(str::to_string),
            };
            Pass::Approval(id.to_string(), Box::new(claim))
        } else if eval.needs_confirmation {
            match call.confirm_token {
                None => {
                    let ttl = self.confirm_ttl_secs;
                    let binding = hash.clone();
                    let token = self
                        .store
                        .run(move |s| s.issue_token(&binding, ttl))
                        .await?;
                    return Ok(Gate::Answer(confirmation_answer(call, eval, &token, ttl)));
                }
                Some(token) => Pass::Token(token.to_string()),
            }
        } else {
            Pass::Free
        };
        let access = call.access;
        let admitted = self
            .store
            .run(move |s| {
                let limits = s.rules()?.rate_limits;
                s.write_if(|tx| {
                    let approved = match &pass {
                        Pass::Free => None,
                        Pass::Token(token) => match redeem_in(tx, token, &hash)? {
                            Ok(()) => None,
                            Err(why) => return Ok(Err(Refusal::Token(why))),
                        },
                        Pass::Approval(id, claim) => match claim_in(tx, id, claim)? {
                            Ok(req) => Some(req),
                            Err(why) => return Ok(Err(Refusal::Approval(why))),
                        },
                    };
                    if let Err(why) = reserve_in(tx, &limits, access)? {
                        return Ok(Err(Refusal::RateLimit(why)));
                    }
                    let seq = append_in(tx, &intent)?;
                    Ok(Ok((approved, seq)))
                })
            })
            .await
            .map_err(|e| {
                ToolError::Refused(format!(
                    "{} {} was not run: the state file could not admit it and write the audit \
                     record that must precede it ({e}); nothing was done. Check that the state \
                     file (--state) is writable and not full or corrupted, then retry",
                    call.tool, call.action
                ))
            })?;
        match admitted {
            Ok((approved, intent_seq)) => Ok(Gate::Proceed {
                approved: approved.map(Box::new),
                intent_seq,
            }),
            Err(Refusal::Token(why)) => Err(ToolError::Refused(format!(
                "confirm_token refused: {why}; nothing was done. Call again without \
                 confirm_token to get a fresh plan and token"
            ))),
            Err(Refusal::Approval(why) | Refusal::RateLimit(why)) => {
                Err(ToolError::Refused(format!("{why}; nothing was done")))
            }
        }
    }

    /// Checks the change request a call names where its environment needs one: it must exist
    /// and be submitted or approved. Returns the change request to record with the approval.
    pub async fn check_change_request(
        &self,
        call: &CallFacts<'_>,
        eval: &Evaluation,
    ) -> Result<Option<String>, ToolError> {
        if !eval.change_request_required {
            return Ok(call.change_request_id.map(str::to_string));
        }
        let env = eval
            .environment
            .map(Environment::as_str)
            .unwrap_or("this environment");
        let Some(id) = call.change_request_id else {
            return Err(ToolError::Refused(format!(
                "{env} changes need a change request: create one with aws_guardrails \
                 create_change_request (what, why, rollback plan), then repeat this call with \
                 change_request_id (create_approval_request: change_id); nothing was done"
            )));
        };
        let owned = id.to_string();
        match self.store.run(move |s| s.change(&owned)).await? {
            Some(cr) if cr.status.is_open() => Ok(Some(id.to_string())),
            Some(cr) => Err(ToolError::Refused(format!(
                "change request {id} is {}; only a submitted or approved change request can carry \
                 a change; nothing was done",
                cr.status.as_str()
            ))),
            None => Err(ToolError::Refused(format!(
                "no change request {id}; nothing was done"
            ))),
        }
    }

    /// Records an approval request for a call, bound to its arguments' hash, its account,
    /// region and credentials context, its environment and risk; a call whose environment
    /// needs a change request must name an open one. People are notified; nothing runs until
    /// they approve.
    pub async fn open_approval(
        &self,
        call: &CallFacts<'_>,
        eval: &Evaluation,
        aws: &AwsPool,
        reason: &str,
    ) -> Result<ApprovalRequest, ToolError> {
        let change_request_id = self.check_change_request(call, eval).await?;
        let requested = RequestedCall {
            tool: call.tool.to_string(),
            action: call.action.to_string(),
            // What people read: redacted and bounded. The hash binds the real arguments.
            arguments: bounded(call.args).input,
            environment: eval.environment,
            risk: eval.risk,
            reason: audit::clip(reason, 2048),
            change_request_id,
            context: self.context(aws, call.at(), eval).await,
            plan: None,
        };
        let hash = confirm::binding(call.tool, call.action, call.args);
        let requester = call.requester.to_string();
        let min_approvers = eval.min_approvers;
        let signed = eval.signed_approvals;
        let req = self
            .store
            .run(move |s| {
                let ttl_hours = s.rules()?.approval_ttl_hours;
                s.create_approval(
                    requested,
                    &hash,
                    &requester,
                    min_approvers,
                    signed,
                    ttl_hours * 3600,
                )
            })
            .await?;
        self.notify(aws, "approval_requested", &req).await;
        Ok(req)
    }

    /// The account, region and credentials context a call runs in. The account is read from
    /// STS where the evaluation did not; it stays unknown when STS cannot say.
    pub async fn context(&self, aws: &AwsPool, at: At<'_>, eval: &Evaluation) -> CallContext {
        let account = match &eval.account {
            Some(a) => Some(a.clone()),
            None => {
                let sts: aws_sdk_sts::Client = aws.client(at, Some(Guard::ReadOnly)).await;
                aws::account_id(&sts).await.ok().filter(|a| !a.is_empty())
            }
        };
        CallContext {
            account,
            region: eval.region.clone(),
            profile: aws.key(At::default()).profile,
        }
    }

    /// A person's vote, from the CLI or an elicitation, audited with it; the store verifies its
    /// proof and moves the linked change request along. Notifies the configured topic when the
    /// request is decided.
    pub async fn vote(
        &self,
        aws: &AwsPool,
        id: &str,
        ballot: Ballot,
    ) -> Result<ApprovalRequest, ToolError> {
        let id = id.to_string();
        let req = self
            .store
            .run(move |s| s.vote(&id, &ballot))
            .await?
            .map_err(ToolError::Refused)?;
        if matches!(
            req.status,
            approvals::Status::Approved | approvals::Status::Rejected
        ) {
            self.notify(aws, &format!("approval_{}", req.status.as_str()), &req)
                .await;
        }
        Ok(req)
    }

    /// Marks the change request of an executed approved call as implemented.
    pub async fn mark_implemented(&self, req: &ApprovalRequest) -> Result<(), ToolError> {
        if let Some(cr) = req.call.change_request_id.clone() {
            let note = format!("by {}", req.id);
            self.store
                .run(move |s| {
                    s.set_change_status(
                        &cr,
                        ChangeStatus::Implemented,
                        &note,
                        &[ChangeStatus::Submitted, ChangeStatus::Approved],
                    )
                })
                .await?;
        }
        Ok(())
    }
}

/// The region the SDK resolved for a call in `region` (or the session's): the explicit one,
/// else what the profile or environment says.
pub async fn resolved_region(aws: &AwsPool, at: At<'_>) -> Option<String> {
    aws.config(&aws.key(at))
        .await
        .region()
        .map(|r| r.to_string())
}

fn pending_answer(req: &ApprovalRequest, eval: &Evaluation) -> Value {
    json!({
        "status": "pending_approval",
        "summary": format!(
            "{} {} in {} needs approval by {} person(s){} and was not run. Tell the user: {}{}. \
             Then repeat the same call with approval_request_id.",
            req.call.tool,
            req.call.action,
            eval.environment.map(Environment::as_str).unwrap_or("an unknown environment"),
            req.min_approvers,
            if req.signed_approvals { ", each signing with their own key" } else { "" },
            approvals::approve_commands(&req.id, req.signed_approvals),
            if req.signed_approvals {
                ""
            } else {
                " (or call aws_guardrails submit_approval_response to ask them in this client)"
            }
        ),
        "approval_request_id": req.id,
        "expires_at": req.expires_at,
        "evaluation": eval,
    })
}

fn confirmation_answer(call: &CallFacts<'_>, eval: &Evaluation, token: &str, ttl: i64) -> Value {
    let why = if eval.destructive {
        "destructive".to_string()
    } else if eval.risk >= Risk::High {
        match eval.flags.first() {
            Some(flag) => format!("{} risk ({flag})", eval.risk.as_str()),
            None => format!("{} risk", eval.risk.as_str()),
        }
    } else {
        "held for confirmation by a policy".to_string()
    };
    json!({
        "status": "confirmation_required",
        "summary": format!(
            "{} {} is {why} and was not run. Show the plan to the user; if they agree, repeat \
             the same call with confirm_token.",
            call.tool,
            call.action,
        ),
        "plan": {
            "tool": call.tool,
            "action": call.action,
            "effect": call.description,
            "targets": call.targets,
            "arguments": bounded(call.args).input,
            "environment": eval.environment,
            "risk": eval.risk,
            "risk_flags": eval.flags,
        },
        "confirm_token": token,
        "expires_in_seconds": ttl,
    })
}
