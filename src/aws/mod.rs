//! AWS access: one `SdkConfig` per (credentials context, region), created lazily on the first
//! call that needs it and cached, and one client per service on top of it. Nothing here runs at
//! start-up, so `initialize` never waits on credentials, SSO or IMDS. The cache holds at most
//! [`MAX_CONTEXTS`] contexts (least recently used out first), and a call's `region` must be one
//! of the partitions' known regions before any client is made for it.

pub mod cloudwatch;
pub mod ec2;
pub mod guard;
pub mod outcome;
pub mod paging;

use std::{
    any::{Any, TypeId},
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use aws_config::{BehaviorVersion, Region, SdkConfig, retry::RetryConfig, timeout::TimeoutConfig};
use aws_types::service_config::ServiceConfigKey;
use tokio::sync::OnceCell;

pub use self::guard::Guard;
use self::guard::GuardInterceptor;
use crate::settings::Settings;

/// Which credentials and region a client acts with: the source credentials (profile or
/// default chain), the role assumed from them for another account, if any, and the region.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContextKey {
    pub profile: Option<String>,
    pub role: Option<String>,
    pub region: Option<String>,
}

/// Where one AWS request goes: the role to assume (another account) or the source
/// credentials, and the region (or the session's).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct At<'a> {
    pub role: Option<&'a str>,
    pub region: Option<&'a str>,
}

impl<'a> At<'a> {
    /// The source account in `region` (or the session's region).
    pub fn home(region: Option<&'a str>) -> Self {
        Self { role: None, region }
    }

    /// The same account in another region (or the session's).
    pub fn in_region(self, region: Option<&'a str>) -> Self {
        Self { region, ..self }
    }
}

/// An account a call acts in through a role, as the guardrails resolved it from the call's
/// `account` (an alias, an id or a role ARN) and checked against the allowlist.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AccountTarget {
    pub id: String,
    pub role_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
}

/// Where the calls of this server process go unless a call says otherwise
/// (`aws_organization switch_account`); nothing by default.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SessionContext {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<AccountTarget>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// How roles are assumed: the session name CloudTrail shows (`espada-aws-<OS user>`), and
/// whether to set `SourceIdentity` to the OS user (the role's trust policy must allow
/// `sts:SetSourceIdentity`).
#[derive(Debug, Clone)]
pub struct AssumeAs {
    pub user: String,
    pub source_identity: bool,
}

/// The most (credentials context, region) pairs whose config and clients are kept.
pub const MAX_CONTEXTS: usize = 32;

/// One context's config and clients, and when it was last used.
#[derive(Default)]
struct Slot {
    config: Arc<OnceCell<SdkConfig>>,
    clients: HashMap<(TypeId, Option<Guard>), Arc<dyn Any + Send + Sync>>,
    used: u64,
}

/// The cache, bounded to [`MAX_CONTEXTS`] contexts.
#[derive(Default)]
struct Cache {
    slots: HashMap<ContextKey, Slot>,
    tick: u64,
}

impl Cache {
    /// The slot of `key`, made (evicting the least recently used one when full) if needed.
    fn slot(&mut self, key: &ContextKey) -> &mut Slot {
        self.tick += 1;
        if !self.slots.contains_key(key) && self.slots.len() >= MAX_CONTEXTS {
            let oldest = self
                .slots
                .iter()
                .min_by_key(|(_, s)| s.used)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                self.slots.remove(&k);
            }
        }
        let tick = self.tick;
        let slot = self.slots.entry(key.clone()).or_default();
        slot.used = tick;
        slot
    }
}

/// Lazily built SDK configs and clients.
pub struct AwsPool {
    profile: Option<String>,
    region: Option<String>,
    endpoint_url: Option<String>,
    max_attempts: u32,
    cache: Mutex<Cache>,
    context: Mutex<SessionContext>,
    assume_as: Mutex<AssumeAs>,
}

impl AwsPool {
    pub fn new(settings: &Settings) -> Self {
        Self {
            profile: settings.profile.clone(),
            region: settings.region.clone(),
            endpoint_url: settings.endpoint_url.clone(),
            max_attempts: settings.max_attempts.max(1),
            cache: Mutex::default(),
            context: Mutex::default(),
            assume_as: Mutex::new(AssumeAs {
                user: "unknown".into(),
                source_identity: false,
            }),
        }
    }

    /// Who assumes roles, as CloudTrail will show it. Contexts already made keep theirs.
    pub fn set_assume_as(&self, who: AssumeAs) {
        *self.assume_as.lock().expect("assume-as lock") = who;
    }

    /// Whether assumed roles get `SourceIdentity` (the accounts settings say); contexts
    /// already made keep what they had.
    pub fn set_source_identity(&self, on: bool) {
        self.assume_as
            .lock()
            .expect("assume-as lock")
            .source_identity = on;
    }

    /// Where calls go unless they say otherwise.
    pub fn session_context(&self) -> SessionContext {
        self.context.lock().expect("session context lock").clone()
    }

    /// Sets (or, with the default, clears) where calls go unless they say otherwise.
    pub fn set_session_context(&self, context: SessionContext) {
        *self.context.lock().expect("session context lock") = context;
    }

    /// The session's default region, when one was configured.
    pub fn default_region(&self) -> Option<String> {
        self.region.clone()
    }

    /// The key for a request going `at` (the region defaulting to the session's).
    pub fn key(&self, at: At<'_>) -> ContextKey {
        ContextKey {
            profile: self.profile.clone(),
            role: at.role.map(str::to_string),
            region: at
                .region
                .map(str::to_string)
                .or_else(|| self.region.clone()),
        }
    }

    /// The shared SDK config for a key, loaded on first use.
    pub async fn config(&self, key: &ContextKey) -> SdkConfig {
        let cell = self
            .cache
            .lock()
            .expect("client cache lock")
            .slot(key)
            .config
            .clone();
        cell.get_or_init(|| self.load(key)).await.clone()
    }

    /// A client of type `C` for requests going `at`, refusing what `guard` forbids; built on
    /// first use and cached.
    pub async fn client<C: SdkClient>(&self, at: At<'_>, guard: Option<Guard>) -> C {
        let key = self.key(at);
        let id = (TypeId::of::<C>(), guard);
        if let Some(c) = self
            .cache
            .lock()
            .expect("client cache lock")
            .slot(&key)
            .clients
            .get(&id)
        {
            return c
                .downcast_ref::<C>()
                .expect("client type matches its key")
                .clone();
        }
        let client = C::build(&self.config(&key).await, guard);
        self.cache
            .lock()
            .expect("client cache lock")
            .slot(&key)
            .clients
            .insert(id, Arc::new(client.clone()));
        client
    }

    /// Makes every later request for a `C` client in `region` (whatever its guard) get this
    /// one: for tests that answer with `aws-smithy-mocks` where moto lacks an operation.
    pub fn preset<C: SdkClient>(&self, region: Option<&str>, client: C) {
        let key = self.key(At::home(region));
        let mut cache = self.cache.lock().expect("client cache lock");
        let slot = cache.slot(&key);
        for guard in [None, Some(Guard::ReadOnly), Some(Guard::DryRun)] {
            slot.clients
                .insert((TypeId::of::<C>(), guard), Arc::new(client.clone()));
        }
    }

    /// How many contexts the cache holds now.
    pub fn cached_contexts(&self) -> usize {
        self.cache.lock().expect("client cache lock").slots.len()
    }

    async fn load(&self, key: &ContextKey) -> SdkConfig {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::standard().with_max_attempts(self.max_attempts))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_attempt_timeout(Duration::from_secs(30))
                    .operation_timeout(Duration::from_secs(90))
                    .build(),
            );
        if let Some(profile) = &key.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &key.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(url) = &self.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        tracing::debug!(profile = ?key.profile, role = ?key.role, region = ?key.region, "loading AWS config");
        let source = loader.load().await;
        let Some(role) = &key.role else {
            return source;
        };
        // Another account: credentials from AssumeRole with the source credentials, cached by
        // this config's identity cache and renewed before they expire. They stay in memory.
        let who = self.assume_as.lock().expect("assume-as lock").clone();
        let provider = AssumeRole {
            sts: aws_sdk_sts::Client::new(&source),
            role: role.clone(),
            who,
        };
        source
            .into_builder()
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(provider),
            )
            .build()
    }
}

/// Credentials for a role, from STS AssumeRole with the source credentials.
#[derive(Debug)]
struct AssumeRole {
    sts: aws_sdk_sts::Client,
    role: String,
    who: AssumeAs,
}

/// A role session name from the OS user: `espada-aws-<user>`, in the characters and length
/// STS allows.
pub fn session_name(user: &str) -> String {
    let clean: String = user
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "+=,.@-_".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("espada-aws-{clean}").chars().take(64).collect()
}

impl aws_credential_types::provider::ProvideCredentials for AssumeRole {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::new(async move {
            use aws_credential_types::provider::error::CredentialsError;
            let mut req = self
                .sts
                .assume_role()
                .role_arn(&self.role)
                .role_session_name(session_name(&self.who.user));
            if self.who.source_identity {
                req = req.source_identity(session_name(&self.who.user));
            }
            let out = req.send().await.map_err(|e| {
                CredentialsError::provider_error(format!(
                    "cannot assume {}: {}",
                    self.role,
                    aws_smithy_types::error::display::DisplayErrorContext(&e)
                ))
            })?;
            let c = out.credentials().ok_or_else(|| {
                CredentialsError::provider_error("AssumeRole returned no credentials")
            })?;
            let expires = std::time::SystemTime::try_from(c.expiration().to_owned()).ok();
            Ok(aws_credential_types::Credentials::new(
                c.access_key_id(),
                c.secret_access_key(),
                Some(c.session_token().to_string()),
                expires,
                "espada-aws-assume-role",
            ))
        })
    }
}

/// The regions of the AWS partitions (aws, aws-cn, aws-us-gov, aws-eusc and the isolated
/// ones), as the SDK's endpoint rules list them.
pub const KNOWN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "cn-north-1",
    "cn-northwest-1",
    "eusc-de-east-1",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-iso-east-1",
    "us-iso-west-1",
    "us-isob-east-1",
    "us-isob-west-1",
    "eu-isoe-west-1",
    "us-isof-east-1",
    "us-isof-south-1",
];

/// Checks a call's `region` before any client is made for it: one of [`KNOWN_REGIONS`], or the
/// session's own region (which the person configured, and may be newer than this list).
pub fn check_region(region: &str, session: Option<&str>) -> Result<(), crate::error::ToolError> {
    if KNOWN_REGIONS.contains(&region) || session == Some(region) {
        return Ok(());
    }
    let shown: String = region.chars().take(64).collect();
    let near: Vec<&str> = KNOWN_REGIONS
        .iter()
        .copied()
        .filter(|r| {
            let prefix: String = shown.chars().take(2).collect();
            r.starts_with(&prefix)
        })
        .collect();
    Err(crate::error::ToolError::invalid(format!(
        "unknown region '{shown}'; use an AWS region code such as {}",
        if near.is_empty() {
            "us-east-1, eu-west-1 or ap-southeast-2".to_string()
        } else {
            near.join(", ")
        }
    )))
}

/// The S3 client config for an SDK config: path-style addressing whenever an endpoint override
/// is in effect, the SDK's default (virtual-hosted) otherwise.
pub fn s3_config(conf: &SdkConfig) -> aws_sdk_s3::Config {
    s3_builder(conf).build()
}

fn s3_builder(conf: &SdkConfig) -> aws_sdk_s3::config::Builder {
    let builder = aws_sdk_s3::config::Builder::from(conf);
    if s3_endpoint_overridden(conf) {
        builder.force_path_style(true)
    } else {
        builder
    }
}

/// Whether S3 requests go to an overridden endpoint: one set in code or by `AWS_ENDPOINT_URL`
/// (both land in `endpoint_url()`), or the S3-specific `AWS_ENDPOINT_URL_S3` / profile
/// `services` setting, looked up the way the S3 client itself does.
fn s3_endpoint_overridden(conf: &SdkConfig) -> bool {
    if conf.endpoint_url().is_some() {
        return true;
    }
    let Ok(key) = ServiceConfigKey::builder()
        .service_id("S3")
        .env("AWS_ENDPOINT_URL")
        .profile("endpoint_url")
        .build()
    else {
        return false;
    };
    conf.service_config()
        .and_then(|sc| sc.load_config(key))
        .is_some_and(|url| !url.is_empty())
}

/// An aws-sdk-rust client the pool can build: one line per SDK crate in [`sdk_clients!`].
pub trait SdkClient: Clone + Send + Sync + 'static {
    fn build(conf: &SdkConfig, guard: Option<Guard>) -> Self;
}

/// Implements [`SdkClient`] for SDK crates whose client needs nothing beyond the shared config.
macro_rules! sdk_clients {
    ($($sdk:ident),+ $(,)?) => {$(
        impl SdkClient for $sdk::Client {
            fn build(conf: &SdkConfig, guard: Option<Guard>) -> Self {
                let mut builder = $sdk::config::Builder::from(conf);
                if let Some(g) = guard {
                    builder = builder.interceptor(GuardInterceptor(g));
                }
                $sdk::Client::from_conf(builder.build())
            }
        }
    )+};
}

sdk_clients!(
    aws_sdk_ec2,
    aws_sdk_autoscaling,
    aws_sdk_elasticloadbalancingv2,
    aws_sdk_cloudfront,
    aws_sdk_sns,
    aws_sdk_sts,
    aws_sdk_iam,
    aws_sdk_kms,
    aws_sdk_secretsmanager,
    aws_sdk_securityhub,
    aws_sdk_guardduty,
    aws_sdk_accessanalyzer,
    aws_sdk_costexplorer,
    aws_sdk_budgets,
    aws_sdk_scheduler,
    aws_sdk_cloudwatch,
    aws_sdk_pricing,
    aws_sdk_rds,
    aws_sdk_ecs,
    aws_sdk_eks,
    aws_sdk_ecr,
    aws_sdk_cloudwatchlogs,
    aws_sdk_xray,
    aws_sdk_synthetics,
    aws_sdk_lambda,
    aws_sdk_organizations,
    aws_sdk_ram,
);

/// S3 addresses buckets path-style under an endpoint override (see [`s3_config`]).
impl SdkClient for aws_sdk_s3::Client {
    fn build(conf: &SdkConfig, guard: Option<Guard>) -> Self {
        let mut builder = s3_builder(conf);
        if let Some(g) = guard {
            builder = builder.interceptor(GuardInterceptor(g));
        }
        aws_sdk_s3::Client::from_conf(builder.build())
    }
}

/// The account the credentials act in (the id that maps to an environment).
pub async fn account_id(client: &aws_sdk_sts::Client) -> Result<String, crate::error::ToolError> {
    let out = client
        .get_caller_identity()
        .send()
        .await
        .map_err(crate::error::ToolError::from_sdk)?;
    Ok(out.account().unwrap_or_default().to_string())
}

/// An AWS timestamp as RFC 3339 text (AWS's own form when it cannot be formatted).
pub fn time(t: &aws_smithy_types::DateTime) -> String {
    t.fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| t.to_string())
}
