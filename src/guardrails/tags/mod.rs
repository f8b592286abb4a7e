//! The tags of the resources a call names, by kind: what the guardrails find a call's
//! environment from. Every [`Kind`] says here how its tags are read; a failed read is reported
//! as such (never as "untagged"), so the guardrails can fail closed.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::Filter;

use super::environment::Environment;
use crate::{
    aws::{At, AwsPool, Guard, paging::AllItems},
    error::ToolError,
    registry::{Kind, Tags, Target},
};

/// How a resource's tags are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// EC2 DescribeTags by resource id.
    Ec2Id,
    /// EC2 by id or, for a name, the kind's own describe call.
    Ec2Named,
    /// Auto Scaling DescribeTags.
    AutoScaling,
    /// ELBv2 DescribeTags by ARN.
    LoadBalancing,
    /// S3 GetBucketTagging.
    Bucket,
    /// CloudFront: the distribution's tags and its S3 origins' tags.
    Distribution,
    /// The resource has no tags of its own: its parent speaks for it.
    Parent,
    /// The id names the environment (the guardrails' own settings).
    Named,
    /// IAM ListRoleTags / ListUserTags / ListPolicyTags (IAM is global).
    Iam,
    /// KMS ListResourceTags (an alias is resolved with DescribeKey first).
    Kms,
    /// Secrets Manager DescribeSecret.
    Secret,
    /// GuardDuty GetDetector.
    GuardDuty,
    /// IAM Access Analyzer GetAnalyzer.
    AccessAnalyzer,
    /// Account-level settings and findings without tags of their own: the account's
    /// environment (the configured fallback).
    Account,
    /// EC2 DescribeInstances filtered by tags: every matching instance's tags.
    Ec2Selection,
    /// AWS Budgets DescribeBudget: the environment tags its cost filters name.
    Budget,
    /// EventBridge Scheduler GetSchedule: the EC2 tags of the instances in its target input.
    Schedule,
    /// RDS ListTagsForResource on the ARN a Describe call gives, and the tags of the related
    /// resources that speak for it (a member's cluster, a cluster's members, a replica's
    /// source, a snapshot's instance, a parameter group's instances).
    Rds,
    /// ECS DescribeClusters / DescribeServices / DescribeTasks with their tags (a task adds
    /// the tags of the service that started it).
    Ecs,
    /// EKS DescribeCluster / DescribeNodegroup / DescribeFargateProfile.
    Eks,
    /// ECR DescribeRepositories, then ListTagsForResource.
    Ecr,
    /// Lambda GetFunctionConfiguration for the function's ARN, then ListTags on it.
    Lambda,
    /// Lambda GetEventSourceMapping for the mapping's function, then that function's tags.
    LambdaMapping,
    /// Organizations: an account's entry in the account map and its ListTagsForResource tags.
    OrgAccount,
    /// Organizations: every account under a root or OU (and an OU's own tags).
    OrgTree,
    /// Organizations: a policy's own tags and the strictest of its targets.
    OrgPolicy,
    /// AWS RAM GetResourceShares: the share's own tags.
    ResourceShare,
}

/// How the tags of a kind are read. Exhaustive on purpose: a new kind must say.
pub fn source(kind: Kind) -> Source {
    use Kind::*;
    match kind {
        Instance | Image | Volume | Snapshot | SecurityGroup | Vpc | Subnet | RouteTable
        | InternetGateway | NatGateway | NetworkInterface | ElasticIp | NetworkAcl
        | VpcEndpoint | FlowLog | Ec2Resource => Source::Ec2Id,
        KeyPair | LaunchTemplate => Source::Ec2Named,
        AutoScalingGroup => Source::AutoScaling,
        LoadBalancer | TargetGroup => Source::LoadBalancing,
        Listener | Object => Source::Parent,
        Bucket => Source::Bucket,
        Distribution => Source::Distribution,
        Guardrails => Source::Named,
        IamRole | IamUser | IamPolicy => Source::Iam,
        AccessKey | GuardDutyFinding => Source::Parent,
        KmsKey => Source::Kms,
        Secret => Source::Secret,
        GuardDutyDetector => Source::GuardDuty,
        AccessAnalyzer => Source::AccessAnalyzer,
        SecurityHub | SecurityFinding => Source::Account,
        TaggedInstances => Source::Ec2Selection,
        Budget => Source::Budget,
        Schedule => Source::Schedule,
        DbInstance | DbSnapshot | DbCluster | DbSubnetGroup | DbParameterGroup => Source::Rds,
        EcsCluster | EcsService | EcsTask => Source::Ecs,
        EksCluster | EksNodegroup | EksFargateProfile => Source::Eks,
        EcrRepository => Source::Ecr,
        LambdaFunction => Source::Lambda,
        LambdaAlias | FunctionUrl | LambdaPermission | LambdaSchedule => Source::Parent,
        EventSourceMapping => Source::LambdaMapping,
        LambdaLayer => Source::Account,
        OrgAccount => Source::OrgAccount,
        OrgUnit | OrgRoot => Source::OrgTree,
        OrgPolicy => Source::OrgPolicy,
        ResourceShare => Source::ResourceShare,
    }
}

/// The tag sets that speak for one resource (a distribution has its own and its origins'),
/// or why they could not be read.
pub type Found = Result<Vec<Tags>, String>;

/// Looks up the tags of every existing resource among `targets` and their parents. Resources
/// that do not exist answer with no tags; resources whose tags cannot be read answer `Err`.
/// `accounts` is the guardrails' account map: an organization account it names counts as
/// tagged with its environment.
pub async fn lookup(
    aws: &AwsPool,
    at: At<'_>,
    targets: &[Target],
    accounts: &BTreeMap<String, Environment>,
) -> BTreeMap<(Kind, String), Found> {
    let mut wanted: BTreeMap<Source, BTreeSet<(Kind, String)>> = BTreeMap::new();
    for t in targets.iter().flat_map(Target::lineage) {
        let src = source(t.kind);
        if t.new || matches!(src, Source::Parent | Source::Named | Source::Account) {
            continue;
        }
        wanted
            .entry(src)
            .or_default()
            .insert((t.kind, t.id.clone()));
    }
    let mut out = BTreeMap::new();
    for (src, items) in wanted {
        let ids: Vec<(Kind, String)> = items.into_iter().collect();
        let found = match src {
            Source::Ec2Id | Source::Ec2Named => ec2(aws, at, &ids).await,
            Source::AutoScaling => autoscaling(aws, at, &ids).await,
            Source::LoadBalancing => load_balancing(aws, at, &ids).await,
            Source::Bucket => buckets(aws, at, &ids).await,
            Source::Distribution => distributions(aws, at, &ids).await,
            Source::Iam => iam(aws, at, &ids).await,
            Source::Kms => kms(aws, at, &ids).await,
            Source::Secret => secrets(aws, at, &ids).await,
            Source::GuardDuty => detectors(aws, at, &ids).await,
            Source::AccessAnalyzer => analyzers(aws, at, &ids).await,
            Source::Ec2Selection => selections(aws, at, &ids).await,
            Source::Budget => budgets(aws, at, &ids).await,
            Source::Schedule => schedules(aws, at, &ids).await,
            Source::Rds => rds(aws, at, &ids).await,
            Source::Ecs => ecs(aws, at, &ids).await,
            Source::Eks => eks(aws, at, &ids).await,
            Source::Ecr => ecr(aws, at, &ids).await,
            Source::Lambda => functions(aws, at, &ids).await,
            Source::LambdaMapping => mappings(aws, at, &ids).await,
            Source::OrgAccount | Source::OrgTree | Source::OrgPolicy => {
                organization(aws, at, &ids, accounts).await
            }
            Source::ResourceShare => resource_shares(aws, at, &ids).await,
            Source::Parent | Source::Named | Source::Account => unreachable!("skipped above"),
        };
        out.extend(found);
    }
    out
}

type Results = Vec<((Kind, String), Found)>;

/// Every id gets the same error when a batch read fails.
fn all_failed(ids: &[(Kind, String)], why: &ToolError) -> Results {
    ids.iter()
        .map(|k| (k.clone(), Err(why.to_string())))
        .collect()
}

async fn ec2(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_ec2::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    // Names (key pairs and launch templates given by name) go through their own describe call.
    let (by_id, by_name): (Vec<_>, Vec<_>) = ids
        .iter()
        .cloned()
        .partition(|(kind, id)| Kind::of_ec2_id(id) == *kind || source(*kind) == Source::Ec2Id);
    for chunk in by_id.chunks(200) {
        let mut tags: BTreeMap<String, Tags> = BTreeMap::new();
        let mut pages = client
            .describe_tags()
            .filters(
                Filter::builder()
                    .name("resource-id")
                    .set_values(Some(chunk.iter().map(|(_, id)| id.clone()).collect()))
                    .build(),
            )
            .into_paginator()
            .items()
            .send();
        let mut failed = None;
        while let Some(tag) = pages.next().await {
            match tag {
                Ok(tag) => {
                    if let (Some(id), Some(k)) = (tag.resource_id(), tag.key()) {
                        tags.entry(id.to_string())
                            .or_default()
                            .insert(k.to_string(), tag.value().unwrap_or_default().to_string());
                    }
                }
                Err(e) => {
                    failed = Some(ToolError::from_sdk(e));
                    break;
                }
            }
        }
        match failed {
            Some(e) => out.extend(all_failed(chunk, &e)),
            None => out.extend(chunk.iter().map(|(kind, id)| {
                (
                    (*kind, id.clone()),
                    Ok(vec![tags.remove(id).unwrap_or_default()]),
                )
            })),
        }
    }
    for (kind, name) in by_name {
        let found = match kind {
            Kind::KeyPair => key_pair_tags(&client, &name).await,
            Kind::LaunchTemplate => launch_template_tags(&client, &name).await,
            _ => Ok(Tags::new()),
        };
        out.push((
            (kind, name),
            found.map(|t| vec![t]).map_err(|e| e.to_string()),
        ));
    }
    out
}

async fn key_pair_tags(client: &aws_sdk_ec2::Client, name: &str) -> Result<Tags, ToolError> {
    match client.describe_key_pairs().key_names(name).send().await {
        Ok(resp) => Ok(resp
            .key_pairs()
            .iter()
            .flat_map(|k| k.tags())
            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
            .collect()),
        Err(e) => match ToolError::from_sdk(e) {
            e if e.aws_code() == Some("InvalidKeyPair.NotFound") => Ok(Tags::new()),
            e => Err(e),
        },
    }
}

async fn launch_template_tags(client: &aws_sdk_ec2::Client, name: &str) -> Result<Tags, ToolError> {
    match client
        .describe_launch_templates()
        .launch_template_names(name)
        .send()
        .await
    {
        Ok(resp) => Ok(resp
            .launch_templates()
            .iter()
            .flat_map(|t| t.tags())
            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
            .collect()),
        Err(e) => match ToolError::from_sdk(e) {
            e if e
                .aws_code()
                .is_some_and(|c| c.starts_with("InvalidLaunchTemplateName.NotFound")) =>
            {
                Ok(Tags::new())
            }
            e => Err(e),
        },
    }
}

async fn autoscaling(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_autoscaling::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut tags: BTreeMap<String, Tags> = BTreeMap::new();
    let mut out = Results::new();
    // Small batches keep each filter well inside DescribeTags' limits.
    for chunk in ids.chunks(20) {
        let filter = aws_sdk_autoscaling::types::Filter::builder()
            .name("auto-scaling-group")
            .set_values(Some(chunk.iter().map(|(_, n)| n.clone()).collect()))
            .build();
        let mut pages = client
            .describe_tags()
            .filters(filter)
            .into_paginator()
            .items()
            .send();
        let mut failed = None;
        while let Some(t) = pages.next().await {
            match t {
                Ok(t) => {
                    if let (Some(group), Some(k)) = (t.resource_id(), t.key()) {
                        tags.entry(group.to_string())
                            .or_default()
                            .insert(k.to_string(), t.value().unwrap_or_default().to_string());
                    }
                }
                Err(e) => {
                    failed = Some(ToolError::from_sdk(e));
                    break;
                }
            }
        }
        match failed {
            Some(e) => out.extend(all_failed(chunk, &e)),
            None => out.extend(chunk.iter().map(|(kind, id)| {
                (
                    (*kind, id.clone()),
                    Ok(vec![tags.remove(id).unwrap_or_default()]),
                )
            })),
        }
    }
    out
}

async fn load_balancing(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_elasticloadbalancingv2::Client =
        aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    // Names of resources that do not exist yet (creates) are not ARNs: nothing to read.
    let (arns, names): (Vec<_>, Vec<_>) = ids
        .iter()
        .cloned()
        .partition(|(_, id)| id.starts_with("arn:"));
    out.extend(names.into_iter().map(|k| (k, Ok(vec![]))));
    // DescribeTags takes at most 20 ARNs per call.
    for chunk in arns.chunks(20) {
        match client
            .describe_tags()
            .set_resource_arns(Some(chunk.iter().map(|(_, a)| a.clone()).collect()))
            .send()
            .await
        {
            Ok(resp) => {
                let mut tags: BTreeMap<String, Tags> = resp
                    .tag_descriptions()
                    .iter()
                    .map(|d| {
                        let t = d
                            .tags()
                            .iter()
                            .filter_map(|t| {
                                Some((
                                    t.key()?.to_string(),
                                    t.value().unwrap_or_default().to_string(),
                                ))
                            })
                            .collect();
                        (d.resource_arn().unwrap_or_default().to_string(), t)
                    })
                    .collect();
                out.extend(chunk.iter().map(|(kind, arn)| {
                    (
                        (*kind, arn.clone()),
                        Ok(vec![tags.remove(arn).unwrap_or_default()]),
                    )
                }));
            }
            Err(e) => {
                let e = ToolError::from_sdk(e);
                // A resource that is gone has no tags; anything else is a failed read.
                if matches!(
                    e.aws_code(),
                    Some("LoadBalancerNotFound" | "TargetGroupNotFound")
                ) && chunk.len() == 1
                {
                    out.push((chunk[0].clone(), Ok(vec![])));
                } else {
                    out.extend(all_failed(chunk, &e));
                }
            }
        }
    }
    out
}

async fn buckets(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
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

async fn distributions(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
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

/// Tags of IAM roles (by name), users (by name) and managed policies (by ARN). A resource that
/// does not exist has none; any other failure is an error.
async fn iam(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_iam::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    for (kind, id) in ids {
        // AWS managed policies belong to AWS, not to any environment of the account.
        if *kind == Kind::IamPolicy && id.contains(":aws:policy/") {
            out.push(((*kind, id.clone()), Ok(vec![])));
            continue;
        }
        // A customer-managed policy named by name lives in the caller's account.
        let name = &match kind {
            Kind::IamPolicy if !id.starts_with("arn:") => match policy_arn(aws, at, id).await {
                Ok(arn) => arn,
                Err(e) => {
                    out.push(((*kind, id.clone()), Err(e.to_string())));
                    continue;
                }
            },
            _ => id.clone(),
        };
        let tags = match kind {
            Kind::IamRole => client
                .list_role_tags()
                .role_name(id)
                .into_paginator()
                .items()
                .send()
                .all()
                .await
                .map(|t| iam_tags(&t)),
            Kind::IamUser => client
                .list_user_tags()
                .user_name(id)
                .into_paginator()
                .items()
                .send()
                .all()
                .await
                .map(|t| iam_tags(&t)),
            _ => client
                .list_policy_tags()
                .policy_arn(name)
                .into_paginator()
                .items()
                .send()
                .all()
                .await
                .map(|t| iam_tags(&t)),
        };
        let found = match tags {
            Ok(t) => Ok(vec![t]),
            Err(e) if e.aws_code() == Some("NoSuchEntity") => Ok(vec![]),
            Err(e) => Err(e.to_string()),
        };
        out.push(((*kind, id.clone()), found));
    }
    out
}

/// The ARN of a customer-managed policy of the caller's account, from its name.
async fn policy_arn(aws: &AwsPool, at: At<'_>, name: &str) -> Result<String, ToolError> {
    let sts: aws_sdk_sts::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let account = crate::aws::account_id(&sts).await?;
    let region = at
        .region
        .map(str::to_string)
        .or_else(|| aws.default_region());
    let partition = match region.as_deref() {
        Some(r) if r.starts_with("cn-") => "aws-cn",
        Some(r) if r.starts_with("us-gov-") => "aws-us-gov",
        _ => "aws",
    };
    Ok(format!("arn:{partition}:iam::{account}:policy/{name}"))
}

fn iam_tags(tags: &[aws_sdk_iam::types::Tag]) -> Tags {
    tags.iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

/// Tags of KMS keys by id, ARN or alias (ListResourceTags takes no alias: DescribeKey first).
async fn kms(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_kms::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    for (kind, id) in ids {
        out.push(((*kind, id.clone()), kms_key_tags(&client, id).await));
    }
    out
}

async fn kms_key_tags(client: &aws_sdk_kms::Client, id: &str) -> Found {
    let not_found = |e: &ToolError| e.aws_code() == Some("NotFoundException");
    let key_id = if id.starts_with("alias/") || id.contains(":alias/") {
        match client.describe_key().key_id(id).send().await {
            Ok(d) => match d.key_metadata() {
                Some(m) => m.key_id().to_string(),
                None => return Ok(vec![]),
            },
            Err(e) => {
                return match ToolError::from_sdk(e) {
                    e if not_found(&e) => Ok(vec![]),
                    e => Err(e.to_string()),
                };
            }
        }
    } else {
        id.to_string()
    };
    match client
        .list_resource_tags()
        .key_id(key_id)
        .into_paginator()
        .items()
        .send()
        .all()
        .await
    {
        Ok(tags) => Ok(vec![
            tags.iter()
                .map(|t| (t.tag_key().to_string(), t.tag_value().to_string()))
                .collect(),
        ]),
        Err(e) if not_found(&e) => Ok(vec![]),
        Err(e) => Err(e.to_string()),
    }
}

/// Tags of Secrets Manager secrets by name or ARN, from DescribeSecret.
async fn secrets(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_secretsmanager::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    for (kind, id) in ids {
        let found = match client.describe_secret().secret_id(id).send().await {
            Ok(d) => Ok(vec![
                d.tags()
                    .iter()
                    .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
                    .collect(),
            ]),
            Err(e) => match ToolError::from_sdk(e) {
                e if e.aws_code() == Some("ResourceNotFoundException") => Ok(vec![]),
                e => Err(e.to_string()),
            },
        };
        out.push(((*kind, id.clone()), found));
    }
    out
}

/// Tags of GuardDuty detectors, from GetDetector. GuardDuty answers an unknown detector with
/// a generic BadRequestException, so every failure counts as unreadable.
async fn detectors(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_guardduty::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    for (kind, id) in ids {
        let found = match client.get_detector().detector_id(id).send().await {
            Ok(d) => Ok(vec![
                d.tags()
                    .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
            ]),
            Err(e) => Err(ToolError::from_sdk(e).to_string()),
        };
        out.push(((*kind, id.clone()), found));
    }
    out
}

/// Tags of IAM Access Analyzer analyzers by name, from GetAnalyzer.
async fn analyzers(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_accessanalyzer::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    for (kind, id) in ids {
        let found = match client.get_analyzer().analyzer_name(id).send().await {
            Ok(d) => Ok(vec![
                d.analyzer()
                    .and_then(|a| a.tags())
                    .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
            ]),
            Err(e) => match ToolError::from_sdk(e) {
                e if e.aws_code() == Some("ResourceNotFoundException") => Ok(vec![]),
                e => Err(e.to_string()),
            },
        };
        out.push(((*kind, id.clone()), found));
    }
    out
}

/// A tag selection as the cost tool writes it: `Key=Value` pairs separated by commas.
pub fn parse_selection(selection: &str) -> Vec<(String, String)> {
    selection
        .split(',')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            Some((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

/// The EC2 tags of the instances (not terminated) that carry every tag of a selection.
pub async fn selected_instances(
    client: &aws_sdk_ec2::Client,
    selection: &str,
) -> Result<Vec<(String, Tags)>, ToolError> {
    let mut req = client.describe_instances().filters(
        Filter::builder()
            .name("instance-state-name")
            .values("pending")
            .values("running")
            .values("stopping")
            .values("stopped")
            .build(),
    );
    for (k, v) in parse_selection(selection) {
        req = req.filters(Filter::builder().name(format!("tag:{k}")).values(v).build());
    }
    let reservations = req.into_paginator().items().send().all().await?;
    Ok(reservations
        .iter()
        .flat_map(|r| r.instances())
        .filter_map(|i| {
            let tags = i
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
                .collect();
            Some((i.instance_id()?.to_string(), tags))
        })
        .collect())
}

/// Every instance a selection matches speaks for it: the strictest of them decides.
async fn selections(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_ec2::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    for (kind, selection) in ids {
        let found = selected_instances(&client, selection)
            .await
            .map(|found| found.into_iter().map(|(_, tags)| tags).collect())
            .map_err(|e| e.to_string());
        out.push(((*kind, selection.clone()), found));
    }
    out
}

/// A budget protects what it watches: the environment tags its filters name (a filter
/// expression's tag values, or a legacy `TagKeyValue` cost filter: `user:Environment$production`
/// reads as `Environment=production`). A budget without
/// such filters names no environment, and the account's (the configured fallback) applies.
async fn budgets(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let sts: aws_sdk_sts::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let account = match crate::aws::account_id(&sts).await {
        Ok(a) => a,
        Err(e) => return all_failed(ids, &e),
    };
    let client: aws_sdk_budgets::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    for (kind, name) in ids {
        let found = match client
            .describe_budget()
            .account_id(&account)
            .budget_name(name)
            .send()
            .await
        {
            Ok(d) => Ok(d.budget().map(budget_watches).unwrap_or_default()),
            Err(e) => match ToolError::from_sdk(e) {
                e if e.aws_code() == Some("NotFoundException") => Ok(vec![]),
                e => Err(e.to_string()),
            },
        };
        out.push(((*kind, name.clone()), found));
    }
    out
}

/// The tags a budget watches: its filter expression's tag values (under `And`/`Or`, not
/// `Not`) and its legacy cost filters' `TagKeyValue` values, one set per value.
pub fn budget_watches(budget: &aws_sdk_budgets::types::Budget) -> Vec<Tags> {
    fn walk(e: &aws_sdk_budgets::types::Expression, out: &mut Vec<Tags>) {
        if let Some(t) = e.tags()
            && let Some(k) = t.key()
        {
            let key = k.strip_prefix("user:").unwrap_or(k);
            out.extend(
                t.values()
                    .iter()
                    .map(|v| Tags::from([(key.to_string(), v.clone())])),
            );
        }
        for inner in e.and().iter().chain(e.or()) {
            walk(inner, out);
        }
    }
    let mut out = Vec::new();
    if let Some(e) = budget.filter_expression() {
        walk(e, &mut out);
    }
    #[allow(deprecated)] // budgets made before FilterExpression still carry CostFilters
    if let Some(values) = budget.cost_filters().and_then(|f| f.get("TagKeyValue")) {
        out.extend(values.iter().map(String::as_str).filter_map(filter_tag));
    }
    out
}

/// A cost filter's `TagKeyValue` value (`user:Key$Value` or `Key$Value`) as one tag.
pub fn filter_tag(value: &str) -> Option<Tags> {
    let (key, v) = value.split_once('$')?;
    let key = key.strip_prefix("user:").unwrap_or(key);
    (!key.is_empty() && !v.is_empty()).then(|| Tags::from([(key.to_string(), v.to_string())]))
}

/// A schedule speaks for the instances in its target's input (`{"InstanceIds": [...]}`):
/// their EC2 tags, one set per instance.
async fn schedules(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_scheduler::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    let mut instances: Vec<(usize, Vec<String>)> = Vec::new();
    for (kind, id) in ids {
        let (group, name) = id.split_once('/').unwrap_or(("default", id));
        let found = match client
            .get_schedule()
            .group_name(group)
            .name(name)
            .send()
            .await
        {
            Ok(s) => {
                let input = s.target().and_then(|t| t.input()).unwrap_or("{}");
                match schedule_instances(input) {
                    Some(list) => {
                        instances.push((out.len(), list));
                        Ok(vec![])
                    }
                    None => Err(format!("the input of schedule {id} names no instances")),
                }
            }
            Err(e) => match ToolError::from_sdk(e) {
                e if e.aws_code() == Some("ResourceNotFoundException") => Ok(vec![]),
                e => Err(e.to_string()),
            },
        };
        out.push(((*kind, id.clone()), found));
    }
    let wanted: Vec<(Kind, String)> = instances
        .iter()
        .flat_map(|(_, list)| list.iter().map(|i| (Kind::Instance, i.clone())))
        .collect();
    if wanted.is_empty() {
        return out;
    }
    let tags: BTreeMap<(Kind, String), Found> = ec2(aws, at, &wanted).await.into_iter().collect();
    for (slot, list) in instances {
        let mut sets = Vec::new();
        let mut failed = None;
        for i in list {
            match tags.get(&(Kind::Instance, i)) {
                Some(Ok(found)) => sets.extend(found.iter().cloned()),
                Some(Err(e)) => failed = Some(e.clone()),
                None => {}
            }
        }
        out[slot].1 = match failed {
            Some(e) => Err(e),
            None => Ok(sets),
        };
    }
    out
}

/// Each RDS resource with the tag sets of everything that speaks for it: its own and, walked
/// from it, its cluster (a member), its source (a read replica), its instance (a snapshot) and
/// the instances that use it (a parameter group), its members (a cluster). An ARN is read in its own region. A resource
/// that does not exist has no tags; any other failure makes the whole resource unreadable.
async fn rds(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let mut out = Results::new();
    for (kind, id) in ids {
        let (home, name) = rds_name(id);
        let client: aws_sdk_rds::Client = aws
            .client(
                at.in_region(home.as_deref().or(at.region)),
                Some(Guard::ReadOnly),
            )
            .await;
        out.push((
            (*kind, id.clone()),
            rds_tag_sets(&client, *kind, &name)
                .await
                .map_err(|e| e.to_string()),
        ));
    }
    out
}

/// Tags of Lambda functions (name or ARN, unqualified): GetFunctionConfiguration for the ARN,
/// then ListTags. A function that does not exist has no tags; any other failure is `Err`.
async fn functions(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_lambda::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    for (kind, id) in ids {
        let found = match function_tags(&client, id).await {
            Ok(Some(tags)) => Ok(vec![tags]),
            Ok(None) => Ok(vec![]),
            Err(e) => Err(e.to_string()),
        };
        out.push(((*kind, id.clone()), found));
    }
    out
}

/// The region and resource name of an RDS ARN (`arn:aws:rds:REGION:ACCOUNT:db:NAME`), or no
/// region and the id itself.
pub fn rds_name(id: &str) -> (Option<String>, String) {
    let parts: Vec<&str> = id.split(':').collect();
    if id.starts_with("arn:") && parts.len() >= 7 {
        let region = (!parts[3].is_empty()).then(|| parts[3].to_string());
        (region, parts[6..].join(":"))
    } else {
        (None, id.to_string())
    }
}

async fn rds_tag_sets(
    client: &aws_sdk_rds::Client,
    kind: Kind,
    name: &str,
) -> Result<Vec<Tags>, ToolError> {
    let mut sets = Vec::new();
    let mut queue = vec![(kind, name.to_string())];
    let mut seen = BTreeSet::new();
    while let Some((kind, name)) = queue.pop() {
        // A snapshot, its instance, that instance's cluster and source: a handful at most.
        if !seen.insert((kind, name.clone())) || seen.len() > 16 {
            continue;
        }
        let Some((arn, related, extra)) = rds_describe(client, kind, &name).await? else {
            continue;
        };
        queue.extend(related);
        sets.extend(extra);
        let tags = client
            .list_tags_for_resource()
            .resource_name(&arn)
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        sets.push(rds_tags(tags.tag_list()));
    }
    Ok(sets)
}

type Described = Option<(String, Vec<(Kind, String)>, Vec<Tags>)>;

/// A resource's ARN, the related resources that speak for it, and tag sets found on the way
/// (a parameter group's instances); `None` when it does not exist.
async fn rds_describe(
    client: &aws_sdk_rds::Client,
    kind: Kind,
    name: &str,
) -> Result<Described, ToolError> {
    fn missing(e: &ToolError) -> bool {
        e.aws_code().is_some_and(|c| c.contains("NotFound"))
    }
    macro_rules! found {
        ($call:expr) => {
            match $call.send().await.map_err(ToolError::from_sdk) {
                Ok(r) => r,
                Err(e) if missing(&e) => return Ok(None),
                Err(e) => return Err(e),
            }
        };
    }
    let owned = |s: Option<&str>| s.map(str::to_string);
    Ok(match kind {
        Kind::DbInstance => {
            let r = found!(client.describe_db_instances().db_instance_identifier(name));
            let Some(i) = r.db_instances().first() else {
                return Ok(None);
            };
            let mut related = Vec::new();
            related.extend(owned(i.db_cluster_identifier()).map(|c| (Kind::DbCluster, c)));
            related.extend(
                owned(i.read_replica_source_db_instance_identifier())
                    .map(|s| (Kind::DbInstance, rds_name(&s).1)),
            );
            owned(i.db_instance_arn()).map(|a| (a, related, vec![]))
        }
        Kind::DbSnapshot => {
            let r = found!(client.describe_db_snapshots().db_snapshot_identifier(name));
            let Some(s) = r.db_snapshots().first() else {
                return Ok(None);
            };
            let related = owned(s.db_instance_identifier())
                .map(|i| (Kind::DbInstance, i))
                .into_iter()
                .collect();
            owned(s.db_snapshot_arn()).map(|a| (a, related, vec![]))
        }
        Kind::DbCluster => {
            let r = found!(client.describe_db_clusters().db_cluster_identifier(name));
            let Some(c) = r.db_clusters().first() else {
                return Ok(None);
            };
            // Its instances run it: a member tagged production makes the cluster production.
            let members = c
                .db_cluster_members()
                .iter()
                .filter_map(|m| owned(m.db_instance_identifier()))
                .map(|i| (Kind::DbInstance, i))
                .collect();
            owned(c.db_cluster_arn()).map(|a| (a, members, vec![]))
        }
        Kind::DbSubnetGroup => {
            let r = found!(
                client
                    .describe_db_subnet_groups()
                    .db_subnet_group_name(name)
            );
            r.db_subnet_groups()
                .first()
                .and_then(|g| owned(g.db_subnet_group_arn()))
                .map(|a| (a, vec![], vec![]))
        }
        Kind::DbParameterGroup => {
            let r = found!(
                client
                    .describe_db_parameter_groups()
                    .db_parameter_group_name(name)
            );
            let Some(arn) = r
                .db_parameter_groups()
                .first()
                .and_then(|g| owned(g.db_parameter_group_arn()))
            else {
                return Ok(None);
            };
            // The instances that use the group change with it: their tags (and their
            // clusters') speak for it too.
            let instances = client
                .describe_db_instances()
                .into_paginator()
                .items()
                .send()
                .all()
                .await?;
            let mut related = Vec::new();
            let mut extra = Vec::new();
            for i in instances.iter().filter(|i| {
                i.db_parameter_groups()
                    .iter()
                    .any(|g| g.db_parameter_group_name() == Some(name))
            }) {
                extra.push(rds_tags(i.tag_list()));
                related.extend(owned(i.db_cluster_identifier()).map(|c| (Kind::DbCluster, c)));
            }
            Some((arn, related, extra))
        }
        _ => None,
    })
}

fn rds_tags(tags: &[aws_sdk_rds::types::Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

/// A function's tags, or `None` when it does not exist.
pub async fn function_tags(
    client: &aws_sdk_lambda::Client,
    function: &str,
) -> Result<Option<Tags>, ToolError> {
    let not_found = |e: &ToolError| e.aws_code() == Some("ResourceNotFoundException");
    let arn = match client
        .get_function_configuration()
        .function_name(function)
        .send()
        .await
    {
        Ok(c) => c.function_arn().unwrap_or(function).to_string(),
        Err(e) => {
            return match ToolError::from_sdk(e) {
                e if not_found(&e) => Ok(None),
                e => Err(e),
            };
        }
    };
    // ListTags takes the unqualified ARN: a version's configuration answers with a qualified one.
    let arn = unqualified_function(&arn);
    let tags = client
        .list_tags()
        .resource(&arn)
        .send()
        .await
        .map_err(ToolError::from_sdk)?;
    Ok(Some(
        tags.tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
    ))
}

/// The function a name, ARN or partial ARN names, without its qualifier (`:alias`,
/// `:version`): `fn:live` → `fn`, `arn:aws:lambda:r:1:function:fn:3` →
/// `arn:aws:lambda:r:1:function:fn`, `1:function:fn:live` → `1:function:fn`.
pub fn unqualified_function(name: &str) -> String {
    let parts: Vec<&str> = name.split(':').collect();
    let keep = if name.starts_with("arn:") {
        7
    } else if parts.get(1) == Some(&"function") {
        3
    } else {
        1
    };
    parts[..keep.min(parts.len())].join(":")
}

/// Tags of the functions event source mappings feed, read from each mapping.
async fn mappings(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_lambda::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    for (kind, id) in ids {
        let found = match client.get_event_source_mapping().uuid(id).send().await {
            Ok(m) => match m.function_arn() {
                Some(f) => match function_tags(&client, f).await {
                    Ok(Some(tags)) => Ok(vec![tags]),
                    Ok(None) => Ok(vec![]),
                    Err(e) => Err(e.to_string()),
                },
                None => Err(format!("mapping {id} names no function")),
            },
            Err(e) => match ToolError::from_sdk(e) {
                e if e.aws_code() == Some("ResourceNotFoundException") => Ok(vec![]),
                e => Err(e.to_string()),
            },
        };
        out.push(((*kind, id.clone()), found));
    }
    out
}

/// The instance ids of a schedule's target input, `None` when it is not the EC2 shape.
pub fn schedule_instances(input: &str) -> Option<Vec<String>> {
    let v: serde_json::Value = serde_json::from_str(input).ok()?;
    let ids = v.get("InstanceIds")?.as_array()?;
    Some(
        ids.iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
    )
}

/// `cluster/name` as ECS and EKS sub-resources are named here; a bare name is in `default`.
pub fn split_pair(id: &str) -> (&str, &str) {
    id.split_once('/').unwrap_or(("default", id))
}

fn ecs_tags(tags: &[aws_sdk_ecs::types::Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

/// ECS clusters, services (`cluster/service`) and tasks (`cluster/task`): their own tags, and
/// for a task also the tags of the service that started it (its group `service:name`). What
/// does not exist has no tags; any other failure is unreadable.
async fn ecs(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    use aws_sdk_ecs::types::{ClusterField, TaskField};
    let client: aws_sdk_ecs::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let missing = |e: &ToolError| {
        matches!(
            e.aws_code(),
            Some("ClusterNotFoundException" | "ServiceNotFoundException")
        )
    };
    let mut out = Results::new();
    for (kind, id) in ids {
        let found: Found = match kind {
            Kind::EcsCluster => match client
                .describe_clusters()
                .clusters(id)
                .include(ClusterField::Tags)
                .send()
                .await
            {
                Ok(r) => Ok(r.clusters().iter().map(|c| ecs_tags(c.tags())).collect()),
                Err(e) => match ToolError::from_sdk(e) {
                    e if missing(&e) => Ok(vec![]),
                    e => Err(e.to_string()),
                },
            },
            Kind::EcsService => {
                let (cluster, service) = split_pair(id);
                ecs_service_tags(&client, cluster, service)
                    .await
                    .or_else(|e| {
                        if missing(&e) {
                            Ok(vec![])
                        } else {
                            Err(e.to_string())
                        }
                    })
            }
            _ => {
                let (cluster, task) = split_pair(id);
                match client
                    .describe_tasks()
                    .cluster(cluster)
                    .tasks(task)
                    .include(TaskField::Tags)
                    .send()
                    .await
                {
                    Ok(r) => {
                        let mut sets = Vec::new();
                        let mut failed = None;
                        for t in r.tasks() {
                            sets.push(ecs_tags(t.tags()));
                            if let Some(service) =
                                t.group().and_then(|g| g.strip_prefix("service:"))
                            {
                                match ecs_service_tags(&client, cluster, service).await {
                                    Ok(s) => sets.extend(s),
                                    Err(e) if missing(&e) => {}
                                    Err(e) => failed = Some(e.to_string()),
                                }
                            }
                        }
                        match failed {
                            Some(e) => Err(e),
                            None => Ok(sets),
                        }
                    }
                    Err(e) => match ToolError::from_sdk(e) {
                        e if missing(&e) => Ok(vec![]),
                        e => Err(e.to_string()),
                    },
                }
            }
        };
        out.push(((*kind, id.clone()), found));
    }
    out
}

async fn ecs_service_tags(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    service: &str,
) -> Result<Vec<Tags>, ToolError> {
    let r = client
        .describe_services()
        .cluster(cluster)
        .services(service)
        .include(aws_sdk_ecs::types::ServiceField::Tags)
        .send()
        .await
        .map_err(ToolError::from_sdk)?;
    Ok(r.services().iter().map(|s| ecs_tags(s.tags())).collect())
}

/// EKS clusters by name, node groups and Fargate profiles as `cluster/name`.
async fn eks(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_eks::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    let own = |t: Option<&std::collections::HashMap<String, String>>| -> Vec<Tags> {
        vec![
            t.map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
        ]
    };
    for (kind, id) in ids {
        let (cluster, name) = split_pair(id);
        let read = match kind {
            Kind::EksCluster => client
                .describe_cluster()
                .name(id)
                .send()
                .await
                .map(|r| own(r.cluster().and_then(|c| c.tags())))
                .map_err(ToolError::from_sdk),
            Kind::EksNodegroup => client
                .describe_nodegroup()
                .cluster_name(cluster)
                .nodegroup_name(name)
                .send()
                .await
                .map(|r| own(r.nodegroup().and_then(|c| c.tags())))
                .map_err(ToolError::from_sdk),
            _ => client
                .describe_fargate_profile()
                .cluster_name(cluster)
                .fargate_profile_name(name)
                .send()
                .await
                .map(|r| own(r.fargate_profile().and_then(|c| c.tags())))
                .map_err(ToolError::from_sdk),
        };
        let found = match read {
            Ok(t) => Ok(t),
            Err(e) if e.aws_code() == Some("ResourceNotFoundException") => Ok(vec![]),
            Err(e) => Err(e.to_string()),
        };
        out.push(((*kind, id.clone()), found));
    }
    out
}

/// ECR repositories by name: DescribeRepositories for the ARN, then its tags.
async fn ecr(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_ecr::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    for (kind, name) in ids {
        let found = match client
            .describe_repositories()
            .repository_names(name)
            .send()
            .await
        {
            Ok(r) => match r.repositories().first().and_then(|r| r.repository_arn()) {
                None => Ok(vec![]),
                Some(arn) => match client
                    .list_tags_for_resource()
                    .resource_arn(arn)
                    .send()
                    .await
                {
                    Ok(t) => Ok(vec![
                        t.tags()
                            .iter()
                            .map(|t| (t.key().to_string(), t.value().to_string()))
                            .collect(),
                    ]),
                    Err(e) => Err(ToolError::from_sdk(e).to_string()),
                },
            },
            Err(e) => match ToolError::from_sdk(e) {
                e if e.aws_code() == Some("RepositoryNotFoundException") => Ok(vec![]),
                e => Err(e.to_string()),
            },
        };
        out.push(((*kind, name.clone()), found));
    }
    out
}

/// The bucket of an S3 origin domain (`bucket.s3.amazonaws.com`,
/// `bucket.s3.eu-west-1.amazonaws.com`, `bucket.s3.cn-north-1.amazonaws.com.cn`), if it is one.
pub fn s3_origin_bucket(domain: &str) -> Option<&str> {
    let (bucket, rest) = domain.split_once(".s3")?;
    let rest = rest.strip_prefix('.').or_else(|| rest.strip_prefix('-'))?;
    (rest.ends_with("amazonaws.com") || rest.ends_with("amazonaws.com.cn")).then_some(bucket)
}

/// The most accounts read to tell the environment of one OU, root or policy; beyond it the
/// environment cannot be told and a mutating call is refused.
pub const MAX_ORG_ACCOUNTS: usize = 2000;

/// Organization accounts, OUs, roots and policies. An account speaks through its entry in the
/// account map (as an `Environment` tag) and its own tags; a root or OU through every account
/// under it (and an OU's own tags); a policy through its own tags and everything it is attached
/// to. Any failed read, or a tree too large to read, is `Err`.
async fn organization(
    aws: &AwsPool,
    at: At<'_>,
    ids: &[(Kind, String)],
    accounts: &BTreeMap<String, Environment>,
) -> Results {
    let client: aws_sdk_organizations::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    for (kind, id) in ids {
        let found = match kind {
            Kind::OrgAccount => org_account(&client, accounts, id).await,
            Kind::OrgRoot | Kind::OrgUnit => org_tree(&client, accounts, *kind, id).await,
            _ => org_policy(&client, accounts, id).await,
        };
        out.push(((*kind, id.clone()), found.map_err(|e| e.to_string())));
    }
    out
}

/// The environment tag an account-map entry stands for.
fn mapped(accounts: &BTreeMap<String, Environment>, id: &str) -> Option<Tags> {
    accounts
        .get(id)
        .map(|e| Tags::from([("Environment".to_string(), e.as_str().to_string())]))
}

/// A resource's Organizations tags; one that is not in the organization has none.
async fn org_tags(client: &aws_sdk_organizations::Client, id: &str) -> Result<Tags, ToolError> {
    match client
        .list_tags_for_resource()
        .resource_id(id)
        .into_paginator()
        .items()
        .send()
        .all()
        .await
    {
        Ok(tags) => Ok(tags
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()),
        Err(e) if e.aws_code() == Some("TargetNotFoundException") => Ok(Tags::new()),
        Err(e) => Err(e),
    }
}

async fn org_account(
    client: &aws_sdk_organizations::Client,
    accounts: &BTreeMap<String, Environment>,
    id: &str,
) -> Result<Vec<Tags>, ToolError> {
    let mut sets: Vec<Tags> = mapped(accounts, id).into_iter().collect();
    sets.push(org_tags(client, id).await?);
    Ok(sets)
}

/// The accounts under a root (the whole organization) or an OU (walked down, at most
/// [`MAX_ORG_ACCOUNTS`] accounts), each with its map entry and tags.
async fn org_tree(
    client: &aws_sdk_organizations::Client,
    accounts: &BTreeMap<String, Environment>,
    kind: Kind,
    id: &str,
) -> Result<Vec<Tags>, ToolError> {
    // An OU or root that does not exist has no tags, like any other resource.
    let members = match org_accounts_under(client, kind, id).await {
        Err(e) if e.aws_code() == Some("ParentNotFoundException") => return Ok(Vec::new()),
        other => other?,
    };
    let mut sets = Vec::new();
    if kind == Kind::OrgUnit {
        sets.push(org_tags(client, id).await?);
    }
    for account in members {
        sets.extend(org_account(client, accounts, &account).await?);
    }
    Ok(sets)
}

/// The ids of the accounts under a root or OU, at most [`MAX_ORG_ACCOUNTS`].
pub async fn org_accounts_under(
    client: &aws_sdk_organizations::Client,
    kind: Kind,
    id: &str,
) -> Result<Vec<String>, ToolError> {
    let too_many = || {
        ToolError::invalid(format!(
            "{id} holds more than {MAX_ORG_ACCOUNTS} accounts, too many to tell its environment"
        ))
    };
    if kind == Kind::OrgRoot {
        let all: Vec<_> = client
            .list_accounts()
            .into_paginator()
            .send()
            .all()
            .await?
            .iter()
            .flat_map(|p| p.accounts().to_vec())
            .collect();
        if all.len() > MAX_ORG_ACCOUNTS {
            return Err(too_many());
        }
        return Ok(all
            .iter()
            .filter_map(|a| a.id().map(str::to_string))
            .collect());
    }
    let mut found = Vec::new();
    // OUs nest at most five deep under the root.
    let mut level = vec![id.to_string()];
    for _ in 0..6 {
        let mut next = Vec::new();
        for parent in &level {
            let accounts: Vec<_> = client
                .list_accounts_for_parent()
                .parent_id(parent)
                .into_paginator()
                .send()
                .all()
                .await?
                .iter()
                .flat_map(|p| p.accounts().to_vec())
                .collect();
            found.extend(accounts.iter().filter_map(|a| a.id().map(str::to_string)));
            if found.len() > MAX_ORG_ACCOUNTS {
                return Err(too_many());
            }
            let units: Vec<_> = client
                .list_organizational_units_for_parent()
                .parent_id(parent)
                .into_paginator()
                .send()
                .all()
                .await?
                .iter()
                .flat_map(|p| p.organizational_units().to_vec())
                .collect();
            next.extend(units.iter().filter_map(|u| u.id().map(str::to_string)));
        }
        if next.is_empty() {
            break;
        }
        level = next;
    }
    Ok(found)
}

/// A policy's own tags and those of every root, OU and account it is attached to.
async fn org_policy(
    client: &aws_sdk_organizations::Client,
    accounts: &BTreeMap<String, Environment>,
    id: &str,
) -> Result<Vec<Tags>, ToolError> {
    let targets: Vec<_> = match client
        .list_targets_for_policy()
        .policy_id(id)
        .into_paginator()
        .send()
        .all()
        .await
    {
        Ok(pages) => pages.iter().flat_map(|p| p.targets().to_vec()).collect(),
        Err(e) if e.aws_code() == Some("PolicyNotFoundException") => return Ok(vec![]),
        Err(e) => return Err(e),
    };
    let mut sets = vec![org_tags(client, id).await?];
    for t in targets {
        let tid = t.target_id().unwrap_or_default();
        let more = match t.r#type() {
            Some(aws_sdk_organizations::types::TargetType::Account) => {
                org_account(client, accounts, tid).await?
            }
            Some(aws_sdk_organizations::types::TargetType::Root) => {
                org_tree(client, accounts, Kind::OrgRoot, tid).await?
            }
            _ => org_tree(client, accounts, Kind::OrgUnit, tid).await?,
        };
        sets.extend(more);
    }
    Ok(sets)
}

/// Tags of AWS RAM resource shares by ARN, from GetResourceShares.
async fn resource_shares(aws: &AwsPool, at: At<'_>, ids: &[(Kind, String)]) -> Results {
    let client: aws_sdk_ram::Client = aws.client(at, Some(Guard::ReadOnly)).await;
    let mut out = Results::new();
    for (kind, arn) in ids {
        let found = match client
            .get_resource_shares()
            .resource_owner(aws_sdk_ram::types::ResourceOwner::SelfValue)
            .resource_share_arns(arn)
            .send()
            .await
        {
            Ok(r) => Ok(r
                .resource_shares()
                .iter()
                .map(|s| {
                    s.tags()
                        .iter()
                        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
                        .collect()
                })
                .collect()),
            Err(e) => match ToolError::from_sdk(e) {
                e if matches!(
                    e.aws_code(),
                    Some("UnknownResourceException" | "MalformedArnException")
                ) =>
                {
                    Ok(vec![])
                }
                e => Err(e.to_string()),
            },
        };
        out.push(((*kind, arn.clone()), found));
    }
    out
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
