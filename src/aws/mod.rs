//! AWS access: one `SdkConfig` per (credentials context, region), created lazily on the first
//! call that needs it and cached, and one client per service on top of it. Nothing here runs at
//! start-up, so `initialize` never waits on credentials, SSO or IMDS.

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

use crate::settings::Settings;

/// Which credentials and region a client acts with. A per-call account or role joins this key
/// when cross-account access arrives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContextKey {
    pub profile: Option<String>,
    pub region: Option<String>,
}

type Clients = HashMap<(ContextKey, TypeId), Arc<dyn Any + Send + Sync>>;

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

    /// A client of type `C` for a key, built with `make` on first use and cached.
    pub async fn client<C>(&self, key: &ContextKey, make: fn(&SdkConfig) -> C) -> C
    where
        C: Clone + Send + Sync + 'static,
    {
        let slot = (key.clone(), TypeId::of::<C>());
        if let Some(c) = self.clients.lock().expect("client map lock").get(&slot) {
            return c
                .downcast_ref::<C>()
                .expect("client type matches its key")
                .clone();
        }
        let client = make(&self.config(key).await);
        self.clients
            .lock()
            .expect("client map lock")
            .insert(slot, Arc::new(client.clone()));
        client
    }

    pub async fn ec2(&self, region: Option<&str>) -> aws_sdk_ec2::Client {
        self.client(&self.key(region), aws_sdk_ec2::Client::new)
            .await
    }

    pub async fn sns(&self, region: Option<&str>) -> aws_sdk_sns::Client {
        self.client(&self.key(region), aws_sdk_sns::Client::new)
            .await
    }

    pub async fn sts(&self, region: Option<&str>) -> aws_sdk_sts::Client {
        self.client(&self.key(region), aws_sdk_sts::Client::new)
            .await
    }

    pub async fn autoscaling(&self, region: Option<&str>) -> aws_sdk_autoscaling::Client {
        self.client(&self.key(region), aws_sdk_autoscaling::Client::new)
            .await
    }

    pub async fn elbv2(&self, region: Option<&str>) -> aws_sdk_elasticloadbalancingv2::Client {
        self.client(
            &self.key(region),
            aws_sdk_elasticloadbalancingv2::Client::new,
        )
        .await
    }

    /// An S3 client. With an endpoint override in effect (DESIGN §4: `Settings::endpoint_url`,
    /// `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_S3` or a profile's `endpoint_url`) it addresses
    /// buckets path-style, since emulators and proxies do not resolve `bucket.host` names.
    pub async fn s3(&self, region: Option<&str>) -> aws_sdk_s3::Client {
        self.client(&self.key(region), |conf| {
            aws_sdk_s3::Client::from_conf(s3_config(conf))
        })
        .await
    }

    /// A CloudFront client. CloudFront is global: every region resolves to its one endpoint.
    pub async fn cloudfront(&self, region: Option<&str>) -> aws_sdk_cloudfront::Client {
        self.client(&self.key(region), aws_sdk_cloudfront::Client::new)
            .await
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
    let mut builder = aws_sdk_s3::config::Builder::from(conf);
    if s3_endpoint_overridden(conf) {
        builder = builder.force_path_style(true);
    }
    builder.build()
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
