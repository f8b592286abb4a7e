//! CloudFront distributions in front of S3 buckets: list, create (with an origin access control
//! and a bucket policy that lets only that distribution read), show, invalidate, disable,
//! delete.

use aws_sdk_cloudfront::{
    Client,
    types::{
        AllowedMethods, CachedMethods, DefaultCacheBehavior, Distribution, DistributionConfig,
        InvalidationBatch, Method, Origin, OriginAccessControlConfig,
        OriginAccessControlOriginTypes, OriginAccessControlSigningBehaviors,
        OriginAccessControlSigningProtocols, Origins, Paths, PriceClass as SdkPriceClass,
        S3OriginConfig, ViewerProtocolPolicy,
    },
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    bucket_region, bucket_target, build_error, check_bucket_ref, client_for, partition,
    policy::allow_distribution, time,
};
use crate::{
    aws::{
        outcome::{Check, half_done, outcome_unknown, unknown_outcome_with_token},
        paging::PageRequest,
    },
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Flag, Kind, Risk, Target},
};

/// AWS's managed "CachingOptimized" cache policy, the recommended default for S3 origins.
pub const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
/// Most paths in one invalidation (CloudFront allows 3,000; one call stays reviewable).
pub const MAX_INVALIDATION_PATHS: usize = 1000;

fn distribution_target(id: &str) -> Target {
    Target::new(Kind::Distribution, id)
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListDistributions {
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListDistributions {
    const NAME: &'static str = "list_distributions";
    const DESCRIPTION: &'static str = "CloudFront distributions";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let resp = client
            .list_distributions()
            .max_items(page.aws_page_size(1, 1000))
            .set_marker(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let list = resp.distribution_list();
        let all: Vec<Value> = list
            .map(|l| l.items())
            .unwrap_or_default()
            .iter()
            .map(|d| {
                json!({
                    "distribution_id": d.id(),
                    "domain_name": d.domain_name(),
                    "status": d.status(),
                    "enabled": d.enabled(),
                    "origins": d.origins().map(|o| {
                        o.items().iter().map(|x| x.domain_name()).collect::<Vec<_>>()
                    }),
                    "aliases": d.aliases().map(|a| a.items()),
                    "price_class": d.price_class().as_str(),
                    "comment": d.comment(),
                    "last_modified": time(d.last_modified_time()),
                })
            })
            .collect();
        let aws_next = list
            .filter(|l| l.is_truncated())
            .and_then(|l| l.next_marker())
            .map(str::to_string);
        let (items, next) = page.finish(all, aws_next);
        let enabled = items.iter().filter(|d| d["enabled"] == json!(true)).count();
        Ok(Output::new(
            format!("{} distribution(s), {enabled} enabled.", items.len()),
            json!({ "distributions": items }),
        )
        .with_next_token(next))
    }
}

// CloudFront price classes, as CloudFront names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum PriceClass {
    #[serde(rename = "PriceClass_100")]
    PriceClass100,
    #[serde(rename = "PriceClass_200")]
    PriceClass200,
    #[serde(rename = "PriceClass_All")]
    PriceClassAll,
}

impl PriceClass {
    pub fn as_str(self) -> &'static str {
        match self {
            PriceClass::PriceClass100 => "PriceClass_100",
            PriceClass::PriceClass200 => "PriceClass_200",
            PriceClass::PriceClassAll => "PriceClass_All",
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDistribution {
    pub bucket: String,
    /// Default index.html
    pub default_root_object: Option<String>,
    /// Default PriceClass_100
    pub price_class: Option<PriceClass>,
    pub comment: Option<String>,
}

impl Action for CreateDistribution {
    const NAME: &'static str = "create_distribution";
    const DESCRIPTION: &'static str = "Put CloudFront in front of a private bucket";
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_bucket_ref(&self.bucket)?;
        if self
            .default_root_object
            .as_deref()
            .is_some_and(|o| o.starts_with('/'))
        {
            return Err(ToolError::invalid(
                "default_root_object is a key without a leading \"/\", e.g. index.html",
            ));
        }
        Ok(())
    }

    /// The origin bucket; the distribution does not exist yet and has no id to name.
    fn targets(&self) -> Vec<Target> {
        vec![bucket_target(&self.bucket)]
    }

    fn flags(&self) -> Vec<Flag> {
        vec![Flag::high(format!(
            "serves the objects of bucket {} on the internet through CloudFront",
            self.bucket
        ))]
    }

    /// Creates an origin access control (or reuses the one this tool made for the bucket),
    /// the distribution with the bucket as its only origin, and then the bucket policy
    /// statement that lets only this distribution read, written in the bucket's region. The
    /// bucket stays private.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let bucket = self.bucket.as_str();
        let region = bucket_region(&cx.client().await, bucket).await?;
        let oac_id = origin_access_control(&client, bucket).await?;
        let origin_id = format!("s3-{bucket}");
        let origin = Origin::builder()
            .id(&origin_id)
            .domain_name(format!("{bucket}.s3.{region}.{}", dns_suffix(&region)))
            // An OAC origin keeps an empty origin access identity.
            .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
            .origin_access_control_id(&oac_id)
            .build()
            .map_err(build_error)?;
        let methods = || vec![Method::Get, Method::Head];
        let behavior = DefaultCacheBehavior::builder()
            .target_origin_id(&origin_id)
            .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
            .cache_policy_id(CACHING_OPTIMIZED)
            .compress(true)
            .allowed_methods(
                AllowedMethods::builder()
                    .quantity(2)
                    .set_items(Some(methods()))
                    .cached_methods(
                        CachedMethods::builder()
                            .quantity(2)
                            .set_items(Some(methods()))
                            .build()
                            .map_err(build_error)?,
                    )
                    .build()
                    .map_err(build_error)?,
            )
            .build()
            .map_err(build_error)?;
        let price_class = self.price_class.unwrap_or(PriceClass::PriceClass100);
        let root = self
            .default_root_object
            .clone()
            .unwrap_or_else(|| "index.html".into());
        // The caller reference is made once per call; the SDK's retries repeat it, and
        // CloudFront refuses a second distribution with it (DistributionAlreadyExists).
        let reference = caller_reference("dist");
        let config = DistributionConfig::builder()
            .caller_reference(&reference)
            .comment(
                self.comment
                    .clone()
                    .unwrap_or_else(|| format!("{bucket} via espada-aws")),
            )
            .enabled(true)
            .default_root_object(&root)
            .price_class(SdkPriceClass::from(price_class.as_str()))
            .origins(
                Origins::builder()
                    .quantity(1)
                    .items(origin)
                    .build()
                    .map_err(build_error)?,
            )
            .default_cache_behavior(behavior)
            .build()
            .map_err(build_error)?;
        let (dist, etag) = create_once(&client, config, &reference, bucket).await?;
        let dist = &dist;
        let s3 = client_for(cx, Some(&region)).await;
        let policy = allow_distribution(&s3, bucket, dist.id(), dist.arn(), partition(&region))
            .await
            .map_err(|e| {
                half_done(
                    &[
                        format!("set up origin access control {oac_id}"),
                        format!("created distribution {} serving {bucket}", dist.id()),
                    ],
                    &format!("let it read bucket {bucket}"),
                    e,
                    json!({"distribution_id": dist.id(), "arn": dist.arn(),
                           "origin_access_control_id": oac_id, "bucket": bucket}),
                    &[format!("let it read bucket {bucket}")],
                    format!(
                        "distribution {} exists but cannot read the bucket yet (it answers \
                         403): allow it with aws_s3 put_bucket_policy (Principal \
                         cloudfront.amazonaws.com, Action s3:GetObject, Condition \
                         AWS:SourceArn {}), or disable and delete it",
                        dist.id(),
                        dist.arn()
                    ),
                )
            })?;
        let mut data = distribution_json(dist, etag.as_deref());
        data["origin_access_control_id"] = json!(oac_id);
        data["bucket_policy"] = policy;
        Ok(Output::new(
            format!(
                "Created distribution {} (https://{}) serving bucket {bucket} through origin \
                 access control {oac_id}; the bucket policy now lets only this distribution \
                 read it. Deployment takes a few minutes (status {}).",
                dist.id(),
                dist.domain_name(),
                dist.status()
            ),
            data,
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetDistribution {
    pub distribution_id: String,
}

impl Action for GetDistribution {
    const NAME: &'static str = "get_distribution";
    const DESCRIPTION: &'static str = "Status, domain, origins, settings";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        vec![distribution_target(&self.distribution_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let id = self.distribution_id.as_str();
        let resp = client
            .get_distribution()
            .id(id)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let dist = resp.distribution().ok_or_else(|| no_distribution(id))?;
        let data = distribution_json(dist, resp.e_tag());
        Ok(Output::new(
            format!(
                "{id} ({}) is {} and {}.",
                dist.domain_name(),
                if data["enabled"] == json!(true) {
                    "enabled"
                } else {
                    "disabled"
                },
                dist.status()
            ),
            data,
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInvalidation {
    pub distribution_id: String,
    /// e.g. ["/index.html", "/img/*"]
    pub paths: Vec<String>,
}

impl Action for CreateInvalidation {
    const NAME: &'static str = "create_invalidation";
    const DESCRIPTION: &'static str = "Drop paths from CloudFront's caches";
    const ACCESS: Access = Access::Write;
    // The next requests go to the origin; nothing is lost.
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        if self.paths.is_empty() || self.paths.len() > MAX_INVALIDATION_PATHS {
            return Err(ToolError::invalid(format!(
                "paths must name between 1 and {MAX_INVALIDATION_PATHS} paths"
            )));
        }
        match self.paths.iter().find(|p| !p.starts_with('/')) {
            Some(p) => Err(ToolError::invalid(format!(
                "invalidation paths start with \"/\", e.g. \"/index.html\" or \"/img/*\"; got \
                 \"{p}\""
            ))),
            None => Ok(()),
        }
    }

    fn targets(&self) -> Vec<Target> {
        vec![distribution_target(&self.distribution_id)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let id = self.distribution_id.as_str();
        let n = self.paths.len();
        let batch = InvalidationBatch::builder()
            .paths(
                Paths::builder()
                    .quantity(n as i32)
                    .set_items(Some(self.paths.clone()))
                    .build()
                    .map_err(build_error)?,
            )
            .caller_reference(caller_reference("inv"))
            .build()
            .map_err(build_error)?;
        let resp = client
            .create_invalidation()
            .distribution_id(id)
            .invalidation_batch(batch)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let inv = resp.invalidation();
        Ok(Output::new(
            format!(
                "Invalidation {} of {n} path(s) on {id} is {}.",
                inv.map(|x| x.id()).unwrap_or("?"),
                inv.map(|x| x.status()).unwrap_or("submitted")
            ),
            json!({
                "distribution_id": id,
                "invalidation_id": inv.map(|x| x.id()),
                "status": inv.map(|x| x.status()),
                "paths": self.paths,
                "create_time": inv.map(|x| time(x.create_time())),
            }),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DisableDistribution {
    pub distribution_id: String,
}

impl Action for DisableDistribution {
    const NAME: &'static str = "disable_distribution";
    const DESCRIPTION: &'static str = "Stop serving (required before delete)";
    // The site goes offline for every viewer.
    const ACCESS: Access = Access::Destructive;
    const RISK: Risk = Risk::Critical;

    fn targets(&self) -> Vec<Target> {
        vec![distribution_target(&self.distribution_id)]
    }

    /// Reads the current config and its ETag, and writes it back with Enabled=false.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let id = self.distribution_id.as_str();
        let current = client
            .get_distribution_config()
            .id(id)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let (Some(config), Some(etag)) = (current.distribution_config(), current.e_tag()) else {
            return Err(no_distribution(id));
        };
        if !config.enabled() {
            return Ok(Output::new(
                format!("{id} is already disabled; nothing changed."),
                json!({"distribution_id": id, "enabled": false, "changed": false}),
            ));
        }
        let mut config = config.clone();
        config.enabled = false;
        let resp = client
            .update_distribution()
            .id(id)
            .if_match(etag)
            .distribution_config(config)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let status = resp
            .distribution()
            .map(|d| d.status())
            .unwrap_or("InProgress");
        Ok(Output::new(
            format!(
                "Disabled {id}: it stops serving content once the change is deployed (status \
                 {status}; usually a few minutes). Then delete_distribution can remove it."
            ),
            json!({"distribution_id": id, "enabled": false, "changed": true, "status": status,
                   "etag": resp.e_tag()}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteDistribution {
    pub distribution_id: String,
}

impl Action for DeleteDistribution {
    const NAME: &'static str = "delete_distribution";
    const DESCRIPTION: &'static str = "Delete a disabled, deployed distribution";
    const ACCESS: Access = Access::Destructive;
    const RISK: Risk = Risk::Critical;

    fn targets(&self) -> Vec<Target> {
        vec![distribution_target(&self.distribution_id)]
    }

    /// AWS deletes only a distribution that is disabled and deployed; this checks first and
    /// says what to do, then deletes with the current ETag.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let id = self.distribution_id.as_str();
        let current = client
            .get_distribution()
            .id(id)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let (Some(dist), Some(etag)) = (current.distribution(), current.e_tag()) else {
            return Err(no_distribution(id));
        };
        let enabled = dist.distribution_config().is_some_and(|c| c.enabled());
        if enabled {
            return Err(not_disabled(
                id,
                "it is still enabled. Disable it first with disable_distribution, wait until \
                 get_distribution shows status Deployed (usually a few minutes), then delete it",
            ));
        }
        if dist.status() != "Deployed" {
            return Err(not_disabled(
                id,
                &format!(
                    "it is disabled but the change is not deployed yet (status {}); wait until \
                     get_distribution shows Deployed, then delete it",
                    dist.status()
                ),
            ));
        }
        client
            .delete_distribution()
            .id(id)
            .if_match(etag)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        Ok(Output::new(
            format!(
                "Deleted distribution {id} ({}). Its origin access control and the bucket \
                 policy statement for it are left in place.",
                dist.domain_name()
            ),
            json!({"distribution_id": id, "deleted": true}),
        ))
    }
}

/// The origin access control for a bucket: the one named after it, or a new one.
async fn origin_access_control(client: &Client, bucket: &str) -> Result<String, ToolError> {
    // OAC names are at most 64 characters.
    let name: String = format!("{bucket}-oac").chars().take(64).collect();
    if let Some(id) = find_origin_access_control(client, &name).await? {
        return Ok(id);
    }
    let config = OriginAccessControlConfig::builder()
        .name(&name)
        .description(format!("Lets CloudFront read bucket {bucket} (espada-aws)"))
        .signing_protocol(OriginAccessControlSigningProtocols::Sigv4)
        .signing_behavior(OriginAccessControlSigningBehaviors::Always)
        .origin_access_control_origin_type(OriginAccessControlOriginTypes::S3)
        .build()
        .map_err(build_error)?;
    // CreateOriginAccessControl takes no token, but the name is unique: when a retry (or
    // another call) made it first, the one by that name is used.
    let resp = match client
        .create_origin_access_control()
        .origin_access_control_config(config)
        .send()
        .await
        .map_err(ToolError::from_sdk)
    {
        Ok(r) => r,
        Err(e) if e.aws_code() == Some("OriginAccessControlAlreadyExists") => {
            return find_origin_access_control(client, &name).await?.ok_or(e);
        }
        Err(e) => return Err(e),
    };
    resp.origin_access_control()
        .map(|o| o.id().to_string())
        .ok_or_else(|| ToolError::Transport {
            message: "CloudFront created an origin access control but returned no id".into(),
            hint: "retry create_distribution; it reuses the origin access control".into(),
        })
}

fn distribution_json(d: &Distribution, etag: Option<&str>) -> Value {
    let config = d.distribution_config();
    let origins: Vec<Value> = config
        .and_then(|c| c.origins())
        .map(|o| o.items())
        .unwrap_or_default()
        .iter()
        .map(|o| {
            json!({
                "id": o.id(),
                "domain_name": o.domain_name(),
                "origin_access_control_id": o.origin_access_control_id().filter(|s| !s.is_empty()),
            })
        })
        .collect();
    json!({
        "distribution_id": d.id(),
        "arn": d.arn(),
        "domain_name": d.domain_name(),
        "status": d.status(),
        "enabled": config.map(|c| c.enabled()),
        "default_root_object": config.and_then(|c| c.default_root_object()),
        "price_class": config.and_then(|c| c.price_class()).map(|p| p.as_str()),
        "comment": config.map(|c| c.comment()),
        "aliases": config.and_then(|c| c.aliases()).map(|a| a.items()),
        "origins": origins,
        "in_progress_invalidations": d.in_progress_invalidation_batches(),
        "last_modified": time(d.last_modified_time()),
        "etag": etag,
    })
}

/// A unique caller reference, so that a retried request is not mistaken for a duplicate.
fn caller_reference(kind: &str) -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the OS random source works");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("espada-{kind}-{nanos}-{}", u64::from_le_bytes(bytes))
}

/// The S3 endpoint domain of a region's partition.
fn dns_suffix(region: &str) -> &'static str {
    match partition(region) {
        "aws-cn" => "amazonaws.com.cn",
        _ => "amazonaws.com",
    }
}

fn no_distribution(id: &str) -> ToolError {
    ToolError::Aws {
        code: "NoSuchDistribution".into(),
        message: format!("no distribution {id}"),
        hint: Some("check the id with aws_s3 list_distributions".into()),
    }
}

fn not_disabled(id: &str, why: &str) -> ToolError {
    ToolError::Aws {
        code: "DistributionNotDisabled".into(),
        message: format!(
            "distribution {id} cannot be deleted yet (checked before calling AWS): {why}"
        ),
        hint: Some("CloudFront deletes only disabled, deployed distributions".into()),
    }
}

/// The id of the S3 origin access control named `name`, if there is one.
async fn find_origin_access_control(
    client: &Client,
    name: &str,
) -> Result<Option<String>, ToolError> {
    let mut marker: Option<String> = None;
    loop {
        let resp = client
            .list_origin_access_controls()
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let Some(list) = resp.origin_access_control_list() else {
            return Ok(None);
        };
        if let Some(found) = list.items().iter().find(|o| {
            o.name() == name
                && *o.origin_access_control_origin_type() == OriginAccessControlOriginTypes::S3
        }) {
            return Ok(Some(found.id().to_string()));
        }
        match list.next_marker().filter(|_| list.is_truncated()) {
            Some(m) => marker = Some(m.to_string()),
            None => return Ok(None),
        }
    }
}

/// Creates a distribution once. When the SDK retried a request whose answer was lost,
/// CloudFront answers the retry with DistributionAlreadyExists naming the distribution the
/// first attempt made (same caller reference): that one is this call's, and is returned.
async fn create_once(
    client: &Client,
    config: DistributionConfig,
    reference: &str,
    bucket: &str,
) -> Result<(Distribution, Option<String>), ToolError> {
    let err = match client
        .create_distribution()
        .distribution_config(config)
        .send()
        .await
    {
        Ok(created) => {
            let etag = created.e_tag().map(str::to_string);
            return match created.distribution {
                Some(d) => Ok((d, etag)),
                None => Err(ToolError::Transport {
                    message: "CloudFront created a distribution but did not describe it".into(),
                    hint: "find it with list_distributions".into(),
                }),
            };
        }
        Err(e) => e,
    };
    let unknown = outcome_unknown(&err);
    let err = ToolError::from_sdk(err);
    let check = || Check {
        tool: "aws_s3",
        action: "list_distributions",
        arguments: json!({}),
        look_for: format!("a distribution with origin {bucket}"),
    };
    if unknown {
        return Err(unknown_outcome_with_token(
            "CreateDistribution",
            "the distribution",
            err,
            check(),
            reference,
        ));
    }
    let ToolError::Aws { code, message, .. } = &err else {
        return Err(err);
    };
    let Some(id) = message
        .rsplit_once("Already exists: ")
        .map(|(_, id)| id.trim().to_string())
        .filter(|_| code == "DistributionAlreadyExists")
    else {
        return Err(err);
    };
    let found = client
        .get_distribution()
        .id(&id)
        .send()
        .await
        .map_err(ToolError::from_sdk)?;
    match found.distribution {
        Some(d)
            if d.distribution_config()
                .is_some_and(|c| c.caller_reference() == reference) =>
        {
            Ok((d, found.e_tag))
        }
        _ => Err(err),
    }
}
