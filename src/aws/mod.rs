//! AWS access: one `SdkConfig` per (credentials context, region), created lazily on the first
//! call that needs it and cached, and one client per service on top of it. Nothing here runs at
//! start-up, so `initialize` never waits on credentials, SSO or IMDS.

pub mod ec2;
pub mod guard;
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

/// Which credentials and region a client acts with. A per-call account or role joins this key
/// when cross-account access arrives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContextKey {
    pub profile: Option<String>,
    pub region: Option<String>,
}

type Clients = HashMap<(ContextKey, TypeId, Option<Guard>), Arc<dyn Any + Send + Sync>>;

/// Lazily built SDK configs and clients.
pub struct AwsPool {
    profile: Option<String>,
    region: Option<String>,
    endpoint_url: Option<String>,
    max_attempts: u32,
    configs: Mutex<HashMap<ContextKey, Arc<OnceCell<SdkConfig>>>>,
    clients: Mutex<Clients>,
}

impl AwsPool {
    pub fn new(settings: &Settings) -> Self {
        Self {
            profile: settings.profile.clone(),
            region: settings.region.clone(),
            endpoint_url: settings.endpoint_url.clone(),
            max_attempts: settings.max_attempts.max(1),
            configs: Mutex::default(),
            clients: Mutex::default(),
        }
    }

    /// The session's default region, when one was configured.
    pub fn default_region(&self) -> Option<String> {
        self.region.clone()
    }

    /// The key for a call in `region` (or the session's region).
    pub fn key(&self, region: Option<&str>) -> ContextKey {
        ContextKey {
            profile: self.profile.clone(),
            region: region.map(str::to_string).or_else(|| self.region.clone()),
        }
    }

    /// The shared SDK config for a key, loaded on first use.
    pub async fn config(&self, key: &ContextKey) -> SdkConfig {
        let cell = {
            let mut configs = self.configs.lock().expect("config map lock");
            configs.entry(key.clone()).or_default().clone()
        };
        cell.get_or_init(|| self.load(key)).await.clone()
    }

    /// A client of type `C` for `region` (or the session's), refusing what `guard` forbids;
    /// built on first use and cached.
    pub async fn client<C: SdkClient>(&self, region: Option<&str>, guard: Option<Guard>) -> C {
        let key = self.key(region);
        let slot = (key.clone(), TypeId::of::<C>(), guard);
        if let Some(c) = self.clients.lock().expect("client map lock").get(&slot) {
            return c
                .downcast_ref::<C>()
                .expect("client type matches its key")
                .clone();
        }
        let client = C::build(&self.config(&key).await, guard);
        self.clients
            .lock()
            .expect("client map lock")
            .insert(slot, Arc::new(client.clone()));
        client
    }

    /// Makes every later request for a `C` client in `region` (whatever its guard) get this
    /// one: for tests that answer with `aws-smithy-mocks` where moto lacks an operation.
    pub fn preset<C: SdkClient>(&self, region: Option<&str>, client: C) {
        let key = self.key(region);
        let mut clients = self.clients.lock().expect("client map lock");
        for guard in [None, Some(Guard::ReadOnly), Some(Guard::DryRun)] {
            clients.insert(
                (key.clone(), TypeId::of::<C>(), guard),
                Arc::new(client.clone()),
            );
        }
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
        tracing::debug!(profile = ?key.profile, region = ?key.region, "loading AWS config");
        loader.load().await
    }
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
