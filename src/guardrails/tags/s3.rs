//! S3 buckets, and CloudFront distributions (their own tags and their S3 origins').

use super::{Found, Results};
use crate::{
    aws::{At, AwsPool, Guard},
    error::ToolError,
    registry::{Kind, Tags},
};

pub(super) async fn buckets(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let mut out = Results::new();
    for (kind, bucket) in ids {
        out.push((
            (*kind, bucket.clone()),
            bucket_tags(aws, at, bucket).await.map(|t| vec![t]),
        ));
    }
    out
}

/// A bucket's tags, read in the bucket's own region.
pub async fn bucket_tags(aws: &AwsPool, at: At<'_>, bucket: &str) -> Result<Tags, String> {
    let client: aws_sdk_s3::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    // A bucket in another region answers with a redirect; ask where it lives first.
    let home = match client.get_bucket_location().bucket(bucket).send().await {
        Ok(loc) => Some(match loc.location_constraint().map(|c| c.as_str()) {
            None | Some("") => "us-east-1".to_string(),
            Some("EU") => "eu-west-1".to_string(),
            Some(r) => r.to_string(),
        }),
        Err(e) => match ToolError::from_sdk(e) {
            e if e.aws_code() == Some("NoSuchBucket") => return Ok(Tags::new()),
            e => return Err(e.to_string()),
        },
    };
    let client: aws_sdk_s3::Client = aws
        .client(at.in_region(home.as_deref()), Some(Guard::ReadOnly))
        .await;
    match client.get_bucket_tagging().bucket(bucket).send().await {
        Ok(resp) => Ok(resp
            .tag_set()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()),
        Err(e) => match ToolError::from_sdk(e) {
            e if matches!(e.aws_code(), Some("NoSuchTagSet" | "NoSuchBucket")) => Ok(Tags::new()),
            e => Err(e.to_string()),
        },
    }
}

pub(super) async fn distributions(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_cloudfront::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    for (kind, id) in ids {
        out.push((
            (*kind, id.clone()),
            distribution_tags(aws, at, &client, id).await,
        ));
    }
    out
}

async fn distribution_tags(
    aws: &AwsPool,
    at: At<'_>,
    client: &aws_sdk_cloudfront::Client,
    id: &str,
) -> Found {
    let dist = match client.get_distribution().id(id).send().await {
        Ok(d) => d,
        Err(e) => {
            return match ToolError::from_sdk(e) {
                e if e.aws_code() == Some("NoSuchDistribution") => Ok(vec![]),
                e => Err(e.to_string()),
            };
        }
    };
    let Some(d) = dist.distribution() else {
        return Ok(vec![]);
    };
    let own = client
        .list_tags_for_resource()
        .resource(d.arn())
        .send()
        .await
        .map_err(|e| ToolError::from_sdk(e).to_string())?;
    let mut sets = vec![
        own.tags()
            .map(|t| {
                t.items()
                    .iter()
                    .map(|t| {
                        (
                            t.key().to_string(),
                            t.value().unwrap_or_default().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
    ];
    let origins = d
        .distribution_config()
        .and_then(|c| c.origins())
        .map(|o| o.items().to_vec())
        .unwrap_or_default();
    for origin in origins {
        if let Some(bucket) = s3_origin_bucket(origin.domain_name()) {
            sets.push(bucket_tags(aws, at, bucket).await?);
        }
    }
    Ok(sets)
}

/// The bucket of an S3 origin domain (`bucket.s3.amazonaws.com`,
/// `bucket.s3.eu-west-1.amazonaws.com`, `bucket.s3.cn-north-1.amazonaws.com.cn`), if it is one.
pub fn s3_origin_bucket(domain: &str) -> Option<&str> {
    let (bucket, rest) = domain.split_once(".s3")?;
    let rest = rest.strip_prefix('.').or_else(|| rest.strip_prefix('-'))?;
    (rest.ends_with("amazonaws.com") || rest.ends_with("amazonaws.com.cn")).then_some(bucket)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_buckets_from_domains() {
        assert_eq!(s3_origin_bucket("site.s3.amazonaws.com"), Some("site"));
        assert_eq!(
            s3_origin_bucket("my.site.s3.eu-west-1.amazonaws.com"),
            Some("my.site")
        );
        assert_eq!(
            s3_origin_bucket("b.s3.cn-north-1.amazonaws.com.cn"),
            Some("b")
        );
        assert_eq!(s3_origin_bucket("example.com"), None);
    }
}
