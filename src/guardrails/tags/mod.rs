//! The tags of the resources a call names, by kind: what the guardrails find a call's
//! environment from. Every [`Kind`] says here how its tags are read; a failed read is reported
//! as such (never as "untagged"), so the guardrails can fail closed.

mod containers;
mod cost;
mod ec2;
mod lambda;
mod monitoring;
mod organization;
mod rds;
mod s3;
mod security;

use std::collections::{BTreeMap, BTreeSet};

pub use self::{
    containers::split_pair,
    cost::{budget_watches, filter_tag, schedule_instances},
    ec2::{parse_selection, selected_instances},
    lambda::{function_tags, unqualified_function},
    organization::{MAX_ORG_ACCOUNTS, org_accounts_under},
    rds::rds_name,
    s3::{bucket_tags, s3_origin_bucket},
};
use super::environment::Environment;
use crate::{
    aws::{At, AwsPool},
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
    /// CloudWatch Logs ListTagsLogGroup.
    Logs,
    /// CloudWatch DescribeAlarms or GetDashboard for the ARN, then ListTagsForResource.
    CloudWatch,
    /// Synthetics GetCanary: the canary's own tags.
    Synthetics,
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
        LogGroup => Source::Logs,
        Alarm | Dashboard => Source::CloudWatch,
        Canary => Source::Synthetics,
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
            Source::Ec2Id | Source::Ec2Named => ec2::ec2(aws, at, &ids).await,
            Source::AutoScaling => ec2::autoscaling(aws, at, &ids).await,
            Source::LoadBalancing => ec2::load_balancing(aws, at, &ids).await,
            Source::Bucket => s3::buckets(aws, at, &ids).await,
            Source::Distribution => s3::distributions(aws, at, &ids).await,
            Source::Iam => security::iam(aws, at, &ids).await,
            Source::Kms => security::kms(aws, at, &ids).await,
            Source::Secret => security::secrets(aws, at, &ids).await,
            Source::GuardDuty => security::detectors(aws, at, &ids).await,
            Source::AccessAnalyzer => security::analyzers(aws, at, &ids).await,
            Source::Ec2Selection => ec2::selections(aws, at, &ids).await,
            Source::Budget => cost::budgets(aws, at, &ids).await,
            Source::Schedule => cost::schedules(aws, at, &ids).await,
            Source::Rds => rds::rds(aws, at, &ids).await,
            Source::Ecs => containers::ecs(aws, at, &ids).await,
            Source::Eks => containers::eks(aws, at, &ids).await,
            Source::Ecr => containers::ecr(aws, at, &ids).await,
            Source::Lambda => lambda::functions(aws, at, &ids).await,
            Source::LambdaMapping => lambda::mappings(aws, at, &ids).await,
            Source::OrgAccount | Source::OrgTree | Source::OrgPolicy => {
                organization::organization(aws, at, &ids, accounts).await
            }
            Source::ResourceShare => organization::resource_shares(aws, at, &ids).await,
            Source::Logs => monitoring::log_groups(aws, at, &ids).await,
            Source::CloudWatch => monitoring::cloudwatch(aws, at, &ids).await,
            Source::Synthetics => monitoring::canaries(aws, at, &ids).await,
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
