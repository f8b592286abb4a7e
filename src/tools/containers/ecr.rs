//! ECR repositories, their images, and the commands to push one. The server runs no docker
//! and never returns a registry password: the login command reads it from the AWS CLI.

use aws_sdk_ecr::{
    Client,
    types::{ImageScanningConfiguration, ImageTagMutability, Repository, Tag},
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{check_tags, when};
use crate::{
    aws::{outcome, paging::PageRequest},
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Kind, Risk, Tags, Target},
};

/// An ECR repository name: 2-256 lowercase letters, digits and `._-/`, parts starting with a
/// letter or digit.
fn check_repository(name: &str) -> Result<(), ToolError> {
    let ok = (2..=256).contains(&name.len())
        && name.split('/').all(|part| {
            part.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && part.chars().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
                })
        });
    if !ok {
        return Err(ToolError::invalid(format!(
            "repository must be 2-256 lowercase letters, digits, '.', '_', '-' or '/', got \
             '{name}'"
        )));
    }
    Ok(())
}

fn repo_target(name: &str) -> Target {
    Target::new(Kind::EcrRepository, name)
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListRepositories {
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListRepositories {
    const NAME: &'static str = "list_repositories";
    const DESCRIPTION: &'static str = "ECR repositories";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        PageRequest::new(self.max_results, self.next_token.as_deref()).map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let client: Client = cx.client().await;
        let out = client
            .describe_repositories()
            .max_results(page.aws_page_size(1, 1000))
            .set_next_token(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let items: Vec<Value> = out.repositories().iter().map(repo_json).collect();
        let (items, next) = page.finish(items, out.next_token().map(str::to_string));
        Ok(Output::new(
            format!("{} repositor(ies).", items.len()),
            json!({"repositories": items}),
        )
        .with_next_token(next))
    }
}

fn repo_json(r: &Repository) -> Value {
    json!({
        "repository": r.repository_name(),
        "uri": r.repository_uri(),
        "tag_mutability": r.image_tag_mutability().map(|m| m.as_str()),
        "scan_on_push": r.image_scanning_configuration().map(|s| s.scan_on_push()),
        "created_at": when(r.created_at()),
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRepository {
    pub repository: String,
    pub mutable_tags: Option<bool>,
    pub scan_on_push: Option<bool>,
    /// Newest images kept (30)
    pub keep_images: Option<u32>,
    pub tags: Option<Tags>,
}

impl Action for CreateRepository {
    const NAME: &'static str = "create_repository";
    const DESCRIPTION: &'static str = "Immutable, scanned, lifecycle";
    const ACCESS: Access = Access::Write;
    const RISK: Risk = Risk::Medium;

    fn validate(&self) -> Result<(), ToolError> {
        check_repository(&self.repository)?;
        check_tags(self.tags.as_ref())?;
        if self.keep_images.is_some_and(|n| n > 10_000) {
            return Err(ToolError::invalid("keep_images is at most 10000"));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![Target::created(Kind::EcrRepository, &self.repository)]
    }

    /// CreateRepository takes no token, but a name in use is refused, so a repeat cannot make
    /// a second repository; the lifecycle policy follows, and a failure there says what exists.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let immutable = !self.mutable_tags.unwrap_or(false);
        let scan = self.scan_on_push.unwrap_or(true);
        let keep = self.keep_images.unwrap_or(30);
        let tags: Vec<Tag> = self
            .tags
            .iter()
            .flatten()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect::<Result<_, _>>()
            .map_err(|e| ToolError::invalid(e.to_string()))?;
        let out = client
            .create_repository()
            .repository_name(&self.repository)
            .image_tag_mutability(if immutable {
                ImageTagMutability::Immutable
            } else {
                ImageTagMutability::Mutable
            })
            .image_scanning_configuration(
                ImageScanningConfiguration::builder()
                    .scan_on_push(scan)
                    .build(),
            )
            .set_tags((!tags.is_empty()).then_some(tags))
            .send()
            .await
            .map_err(|e| {
                let e = ToolError::from_sdk(e);
                if e.aws_code() == Some("RepositoryAlreadyExistsException") {
                    return ToolError::Precondition {
                        message: format!("a repository named {} exists", self.repository),
                        hint: "nothing was created; pick another name, or see it with \
                               list_repositories (an earlier try of this call may have made it)"
                            .into(),
                        details: json!({"repository": self.repository}),
                    };
                }
                e
            })?;
        let uri = out
            .repository()
            .and_then(|r| r.repository_uri())
            .map(str::to_string);
        if keep > 0 {
            client
                .put_lifecycle_policy()
                .repository_name(&self.repository)
                .lifecycle_policy_text(lifecycle_policy(keep).to_string())
                .send()
                .await
                .map_err(|e| {
                    outcome::half_done(
                        &[format!("created the repository {}", self.repository)],
                        "set its lifecycle policy",
                        ToolError::from_sdk(e),
                        json!({"repository": self.repository}),
                        &[format!("a lifecycle policy keeping {keep} images")],
                        "the repository exists without a lifecycle policy; set one in the \
                         console or delete the repository and create it again",
                    )
                })?;
        }
        Ok(Output::new(
            format!(
                "Created the repository {} ({} tags, scan on push {}, {}).",
                self.repository,
                if immutable { "immutable" } else { "mutable" },
                if scan { "on" } else { "off" },
                if keep > 0 {
                    format!("keeping the newest {keep} images")
                } else {
                    "keeping every image".into()
                }
            ),
            json!({
                "repository": self.repository,
                "uri": uri,
                "tag_mutability": if immutable { "IMMUTABLE" } else { "MUTABLE" },
                "scan_on_push": scan,
                "keep_images": keep,
            }),
        ))
    }
}

/// One rule: expire images beyond the newest `keep`.
pub fn lifecycle_policy(keep: u32) -> Value {
    json!({"rules": [{
        "rulePriority": 1,
        "description": format!("keep the newest {keep} images"),
        "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep},
        "action": {"type": "expire"}
    }]})
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListImages {
    pub repository: String,
    pub max_results: Option<u32>,
    pub next_token: Option<String>,
}

impl Action for ListImages {
    const NAME: &'static str = "list_images";
    const DESCRIPTION: &'static str = "Tags, digests, findings";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_repository(&self.repository)?;
        PageRequest::new(self.max_results, self.next_token.as_deref()).map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        vec![repo_target(&self.repository)]
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let page = PageRequest::new(self.max_results, self.next_token.as_deref())?;
        let client: Client = cx.client().await;
        let out = client
            .describe_images()
            .repository_name(&self.repository)
            .max_results(page.aws_page_size(1, 1000))
            .set_next_token(page.aws_token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let mut images: Vec<_> = out.image_details().to_vec();
        images.sort_by_key(|i| std::cmp::Reverse(i.image_pushed_at().map(|t| t.secs())));
        let items: Vec<Value> = images
            .iter()
            .map(|i| {
                let findings = i
                    .image_scan_findings_summary()
                    .and_then(|s| s.finding_severity_counts())
                    .map(|c| {
                        c.iter()
                            .map(|(k, v)| (k.as_str().to_string(), json!(v)))
                            .collect::<serde_json::Map<_, _>>()
                    });
                json!({
                    "tags": i.image_tags(),
                    "digest": i.image_digest(),
                    "pushed_at": when(i.image_pushed_at()),
                    "size_bytes": i.image_size_in_bytes(),
                    "scan_status": i.image_scan_status().and_then(|s| s.status()).map(|s| s.as_str()),
                    "findings": findings,
                })
            })
            .collect();
        let (items, next) = page.finish(items, out.next_token().map(str::to_string));
        Ok(Output::new(
            format!("{} image(s) in {}.", items.len(), self.repository),
            json!({"images": items}),
        )
        .with_next_token(next))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetPushCommands {
    pub repository: String,
    pub tag: Option<String>,
    pub local_image: Option<String>,
}

impl Action for GetPushCommands {
    const NAME: &'static str = "get_push_commands";
    const DESCRIPTION: &'static str = "docker login/tag/push commands";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        check_repository(&self.repository)?;
        let shell_safe = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-/:@".contains(c))
        };
        if let Some(t) = &self.tag
            && (t.len() > 128 || !shell_safe(t) || t.contains(['/', ':', '@']))
        {
            return Err(ToolError::invalid(
                "tag is up to 128 letters, digits, '.', '_' or '-'",
            ));
        }
        if let Some(l) = &self.local_image
            && (l.len() > 255 || !shell_safe(l))
        {
            return Err(ToolError::invalid(
                "local_image is an image reference (letters, digits, '._-/:@')",
            ));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        vec![repo_target(&self.repository)]
    }

    /// The password comes from GetAuthorizationToken; it is read only for its expiry and
    /// never returned: the login command has the AWS CLI fetch it on the user's machine.
    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let client: Client = cx.client().await;
        let repo = client
            .describe_repositories()
            .repository_names(&self.repository)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let uri = repo
            .repositories()
            .first()
            .and_then(|r| r.repository_uri())
            .ok_or_else(|| ToolError::invalid("the repository has no URI"))?
            .to_string();
        let registry = uri.split('/').next().unwrap_or(&uri).to_string();
        let auth = client
            .get_authorization_token()
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        let expires = auth
            .authorization_data()
            .first()
            .and_then(|a| a.expires_at())
            .map(crate::aws::time);
        let region = cx.region().unwrap_or_else(|| "us-east-1".into());
        let tag = self.tag.as_deref().unwrap_or("latest");
        let local = self
            .local_image
            .clone()
            .unwrap_or_else(|| format!("{}:{tag}", self.repository));
        let commands = vec![
            format!(
                "aws ecr get-login-password --region {region} | docker login --username AWS \
                 --password-stdin {registry}"
            ),
            format!("docker tag {local} {uri}:{tag}"),
            format!("docker push {uri}:{tag}"),
        ];
        Ok(Output::new(
            format!(
                "Push {local} to {uri}:{tag} with these commands; a login lasts until {}.",
                expires.as_deref().unwrap_or("the token expires (12 hours)")
            ),
            json!({
                "registry": registry,
                "image_uri": format!("{uri}:{tag}"),
                "token_expires_at": expires,
                "commands": commands,
            }),
        ))
    }
}
