//! The action model: an action is one typed input struct with one [`Action`] impl that declares
//! everything the pipeline needs (name, description, access, risk, targets with their parents,
//! how a dry run works) and runs the call. A tool is a name, a sentence and a list of actions;
//! registering an action is one line, `ActionDef::of::<TheAction>()`.
//!
//! The guardrails and the dispatcher see actions only through this module: [`ActionDef`] (what
//! the registry knows without arguments) and [`Call`] (a parsed call).

use std::{any::Any, collections::BTreeMap, future::Future, pin::Pin, sync::Arc};

use schemars::JsonSchema;
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};

use crate::{
    aws::{AccountTarget, At, AwsPool, Guard, SdkClient},
    error::ToolError,
    output::Output,
};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What an action may do to AWS.
// Variants carry no doc comments: schemars would turn the enum into a `oneOf`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    // Reads only; allowed in read-only mode, and run with clients that refuse any change.
    Read,
    // Creates or changes resources.
    Write,
    // Deletes or terminates resources, or cuts something off; needs confirmation or approval.
    Destructive,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
            Access::Destructive => "destructive",
        }
    }
}

/// How bad it is when a call goes wrong. Declared per action, never guessed from its name;
/// a call's arguments can raise it ([`Flag`]).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    serde::Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    // Reads.
    Low,
    // Adds something new that harms nothing existing.
    Medium,
    // Changes what is running, who can reach it, or what the guardrails see.
    High,
    // Loses data or takes something down for good.
    Critical,
}

impl Risk {
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
            Risk::Critical => "critical",
        }
    }
}

/// How a dry run of an action works.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DryRun {
    /// The service checks the call without making it (EC2 `DryRun`). The action runs with
    /// clients that refuse any request not marked as a dry run.
    Native,
    /// The service has no dry-run mode: the dispatcher answers with the plan and never calls
    /// [`Action::run`].
    PlanOnly,
}

/// Why one call is riskier than its action's declared risk (e.g. it opens SSH to the world).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Flag {
    pub risk: Risk,
    pub reason: String,
    /// The flag counts only when the guardrails find the call's environment to be production
    /// (a schedule that stops instances, deleting a budget): its arguments alone cannot tell,
    /// the targets' tags can.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub in_production: bool,
}

impl Flag {
    pub fn high(reason: impl Into<String>) -> Self {
        Self {
            risk: Risk::High,
            reason: reason.into(),
            in_production: false,
        }
    }

    pub fn critical(reason: impl Into<String>) -> Self {
        Self {
            risk: Risk::Critical,
            reason: reason.into(),
            in_production: false,
        }
    }

    /// This flag, counted only when the call's environment is production.
    pub fn in_production(mut self) -> Self {
        self.in_production = true;
        self
    }
}

/// Every kind of resource a call can name. The guardrails resolve a target's environment by
/// kind in one exhaustive `match` (`guardrails::tags`), so a new kind cannot be added without saying
/// how its environment is found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    // EC2 resources named by id: tags through EC2 DescribeTags.
    Instance,
    Image,
    Volume,
    Snapshot,
    SecurityGroup,
    Vpc,
    Subnet,
    RouteTable,
    InternetGateway,
    NatGateway,
    NetworkInterface,
    ElasticIp,
    NetworkAcl,
    VpcEndpoint,
    FlowLog,
    /// An EC2 id whose prefix names no kind above.
    Ec2Resource,
    // EC2 resources that calls may name by name: looked up by id or name.
    KeyPair,
    LaunchTemplate,
    // Auto Scaling and ELBv2.
    AutoScalingGroup,
    LoadBalancer,
    TargetGroup,
    /// Listeners take their load balancer's environment (their parent).
    Listener,
    // S3 and CloudFront.
    Bucket,
    /// Objects take their bucket's environment (their parent).
    Object,
    /// A distribution's environment is the strictest of its tags and its S3 origins'.
    Distribution,
    /// The guardrails' settings for one environment: the id is the environment's name.
    Guardrails,
    // IAM is global: roles, users and policies (by ARN) are read by their own tag calls, and an
    // untagged one counts as the account's environment.
    IamRole,
    IamUser,
    IamPolicy,
    /// Access keys take their user's environment (their parent).
    AccessKey,
    // KMS keys (by id or ARN) and Secrets Manager secrets (by name or ARN).
    KmsKey,
    Secret,
    /// A region's Security Hub: it has no tags that matter here, so the account's environment.
    SecurityHub,
    /// Security Hub findings have no tags: the account's environment.
    SecurityFinding,
    /// A GuardDuty detector, by id: its own tags.
    GuardDutyDetector,
    /// GuardDuty findings take their detector's environment (their parent).
    GuardDutyFinding,
    /// An IAM Access Analyzer, by name: its own tags.
    AccessAnalyzer,
    /// The EC2 instances whose tags match a selection (`Key=Value,Key2=Value2`): the tags of
    /// every instance that matches now.
    TaggedInstances,
    /// An AWS Budgets budget, by name: it protects what it watches, so the environment tags
    /// its cost filters name (`user:Environment$production`); unfiltered, the account's.
    Budget,
    /// An EventBridge Scheduler schedule (`group/name`): the tags of the instances it acts on.
    Schedule,
    // RDS resources by identifier (or ARN), tags through ListTagsForResource on their ARN.
    /// A DB instance: its tags, its cluster's (a member) and its source's (a read replica).
    DbInstance,
    /// A DB snapshot: its tags and those of the instance it was taken from.
    DbSnapshot,
    /// An Aurora DB cluster.
    DbCluster,
    DbSubnetGroup,
    /// A DB parameter group: its tags and those of every instance that uses it.
    DbParameterGroup,
    // ECS: clusters by name; services and tasks as `cluster/name`, their cluster their parent
    // (a task also speaks with the tags of the service that started it).
    EcsCluster,
    EcsService,
    EcsTask,
    // EKS: clusters by name; node groups and Fargate profiles as `cluster/name`.
    EksCluster,
    EksNodegroup,
    EksFargateProfile,
    /// An ECR repository, by name.
    EcrRepository,
    /// A Lambda function (name or ARN, never qualified): its tags, by ListTags on its ARN.
    LambdaFunction,
    // A function's alias or version (`fn:qualifier`), URL, permission statement and the
    // Scheduler schedule that invokes it take their function's environment (their parent).
    LambdaAlias,
    FunctionUrl,
    LambdaPermission,
    LambdaSchedule,
    /// An event source mapping, by UUID: the tags of the function it feeds (read from the
    /// mapping); a new one is given its function as parent.
    EventSourceMapping,
    /// Lambda layers have no tags: the account's environment.
    LambdaLayer,
    /// An AWS Organizations member account (12 digits): the account map's environment for it
    /// and its own Organizations tags.
    OrgAccount,
    /// An organizational unit (`ou-…`) or the root (`r-…`): the strictest of the accounts
    /// under it (and an OU's own tags).
    OrgUnit,
    OrgRoot,
    /// An organization policy (`p-…`): its own tags and the strictest of what it is attached to.
    OrgPolicy,
    /// An AWS RAM resource share (ARN): its own tags.
    ResourceShare,
    /// A CloudWatch Logs log group, by name: its own tags, else the account's environment.
    LogGroup,
    /// A CloudWatch alarm (metric or composite), by name: its tags, else the account's.
    Alarm,
    /// A CloudWatch dashboard, by name: its tags, else the account's.
    Dashboard,
    /// A CloudWatch Synthetics canary, by name: its tags, else the account's.
    Canary,
}

impl Kind {
    /// The AWS service that owns the kind, as in ARNs.
    pub fn service(self) -> &'static str {
        use Kind::*;
        match self {
            Instance | Image | Volume | Snapshot | SecurityGroup | Vpc | Subnet | RouteTable
            | InternetGateway | NatGateway | NetworkInterface | ElasticIp | NetworkAcl
            | VpcEndpoint | FlowLog | Ec2Resource | KeyPair | LaunchTemplate => "ec2",
            AutoScalingGroup => "autoscaling",
            LoadBalancer | TargetGroup | Listener => "elasticloadbalancing",
            Bucket | Object => "s3",
            Distribution => "cloudfront",
            Guardrails => "espada",
            IamRole | IamUser | IamPolicy | AccessKey => "iam",
            KmsKey => "kms",
            Secret => "secretsmanager",
            SecurityHub | SecurityFinding => "securityhub",
            GuardDutyDetector | GuardDutyFinding => "guardduty",
            AccessAnalyzer => "access-analyzer",
            TaggedInstances => "ec2",
            Budget => "budgets",
            DbInstance | DbSnapshot | DbCluster | DbSubnetGroup | DbParameterGroup => "rds",
            EcsCluster | EcsService | EcsTask => "ecs",
            EksCluster | EksNodegroup | EksFargateProfile => "eks",
            EcrRepository => "ecr",
            Schedule | LambdaSchedule => "scheduler",
            LambdaFunction | LambdaAlias | FunctionUrl | LambdaPermission | EventSourceMapping
            | LambdaLayer => "lambda",
            OrgAccount | OrgUnit | OrgRoot | OrgPolicy => "organizations",
            ResourceShare => "ram",
            LogGroup => "logs",
            Alarm | Dashboard => "cloudwatch",
            Canary => "synthetics",
        }
    }

    /// The EC2 kind of an id, from its prefix ("i-" instance, "ami-" image, ...).
    pub fn of_ec2_id(id: &str) -> Kind {
        match id.split('-').next().unwrap_or("") {
            "i" => Kind::Instance,
            "ami" => Kind::Image,
            "vol" => Kind::Volume,
            "snap" => Kind::Snapshot,
            "sg" => Kind::SecurityGroup,
            "vpc" => Kind::Vpc,
            "subnet" => Kind::Subnet,
            "rtb" => Kind::RouteTable,
            "igw" => Kind::InternetGateway,
            "nat" => Kind::NatGateway,
            "eni" => Kind::NetworkInterface,
            "eipalloc" => Kind::ElasticIp,
            "acl" => Kind::NetworkAcl,
            "vpce" => Kind::VpcEndpoint,
            "fl" => Kind::FlowLog,
            "lt" => Kind::LaunchTemplate,
            "key" => Kind::KeyPair,
            _ => Kind::Ec2Resource,
        }
    }
}

/// A resource a call acts on, for the environment lookup, plans and the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kind: Kind,
    /// Its id, name or ARN, as the service's APIs take it.
    pub id: String,
    /// The resource it lives in (an object's bucket, a listener's load balancer, a new
    /// target group's VPC). Its environment counts too: the stricter of the two applies.
    pub parent: Option<Box<Target>>,
    /// The call creates it: there is nothing to look up yet, so its environment comes from the
    /// tags the call gives it and from its parent.
    pub new: bool,
}

/// `{"service", "kind", "id"}`, plus `parent` and `new` when set: what plans and audit show.
impl Serialize for Target {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("service", self.kind.service())?;
        map.serialize_entry("kind", &self.kind)?;
        map.serialize_entry("id", &self.id)?;
        if let Some(p) = &self.parent {
            map.serialize_entry("parent", p)?;
        }
        if self.new {
            map.serialize_entry("new", &true)?;
        }
        map.end()
    }
}

impl Target {
    pub fn new(kind: Kind, id: impl Into<String>) -> Self {
        Self {
            kind,
            id: id.into(),
            parent: None,
            new: false,
        }
    }

    /// A resource the call creates.
    pub fn created(kind: Kind, id: impl Into<String>) -> Self {
        Self {
            new: true,
            ..Self::new(kind, id)
        }
    }

    /// An EC2 resource by id, its kind read from the id's prefix.
    pub fn ec2(id: impl Into<String>) -> Self {
        let id = id.into();
        Self::new(Kind::of_ec2_id(&id), id)
    }

    pub fn in_parent(mut self, parent: Target) -> Self {
        self.parent = Some(Box::new(parent));
        self
    }

    /// This target and its parents, nearest first.
    pub fn lineage(&self) -> impl Iterator<Item = &Target> {
        std::iter::successors(Some(self), |t| t.parent.as_deref())
    }
}

/// One action of a tool: its typed input (serde + schemars, `deny_unknown_fields`, doc comments
/// written for the model) and everything the pipeline needs to know about it.
pub trait Action: DeserializeOwned + JsonSchema + Send + Sync + Sized + 'static {
    /// The action's name, snake_case, as the model sends it.
    const NAME: &'static str;
    /// One line for the tool description: what the action does.
    const DESCRIPTION: &'static str;
    const ACCESS: Access;
    /// The risk of any call of this action; [`Action::flags`] can raise it for one call.
    const RISK: Risk;
    /// How a dry run works. Plan-only unless the action marks every mutating request it sends
    /// as a dry run when [`Cx::dry_run`] is set.
    const DRY_RUN: DryRun = DryRun::PlanOnly;

    /// Rules across fields that serde cannot express, checked before the guardrails so that a
    /// call that cannot run never gets a confirmation token.
    fn validate(&self) -> Result<(), ToolError> {
        Ok(())
    }

    /// The resources the call names, with their parents. Empty only for calls that name none
    /// (most lists, creates of top-level resources).
    fn targets(&self) -> Vec<Target>;

    /// Why this call is riskier than [`Action::RISK`] (a port opened to the world, a public
    /// policy, an environment tag changed).
    fn flags(&self) -> Vec<Flag> {
        Vec::new()
    }

    /// Runs the call. Read actions and dry runs get clients that refuse any change.
    fn run(self, cx: &Cx<'_>) -> impl Future<Output = Result<Output, ToolError>> + Send;
}

/// A parsed call of some action, as the dispatcher and the guardrails see it.
pub trait Call: Send + Sync {
    fn targets(&self) -> Vec<Target>;
    fn flags(&self) -> Vec<Flag>;
    fn run<'a>(self: Box<Self>, cx: &'a Cx<'a>) -> BoxFuture<'a, Result<Output, ToolError>>;
}

struct Parsed<A>(A);

impl<A: Action> Call for Parsed<A> {
    fn targets(&self) -> Vec<Target> {
        self.0.targets()
    }

    fn flags(&self) -> Vec<Flag> {
        self.0.flags()
    }

    fn run<'a>(self: Box<Self>, cx: &'a Cx<'a>) -> BoxFuture<'a, Result<Output, ToolError>> {
        Box::pin(self.0.run(cx))
    }
}

/// Parses and validates an action's arguments into a call.
pub type ParseFn = fn(Map<String, Value>) -> Result<Box<dyn Call>, ToolError>;

/// What the registry knows of an action without a call: built from the type by
/// [`ActionDef::of`].
#[derive(Clone, Copy)]
pub struct ActionDef {
    pub name: &'static str,
    pub description: &'static str,
    pub access: Access,
    pub risk: Risk,
    pub dry_run: DryRun,
    /// The flat, cleaned JSON schema of the action's input struct.
    pub schema: fn() -> Value,
    /// Parses and validates arguments (common fields already removed) into a call.
    pub parse: ParseFn,
}

impl ActionDef {
    pub const fn of<A: Action>() -> Self {
        Self {
            name: A::NAME,
            description: A::DESCRIPTION,
            access: A::ACCESS,
            risk: A::RISK,
            dry_run: A::DRY_RUN,
            schema: crate::schema::action_schema::<A>,
            parse: parse::<A>,
        }
    }

    /// The risk of a call with these flags, before its environment is known: flags that
    /// count only in production are left to the guardrails.
    pub fn risk_with(&self, flags: &[Flag]) -> Risk {
        flags
            .iter()
            .filter(|f| !f.in_production)
            .map(|f| f.risk)
            .fold(self.risk, Risk::max)
    }
}

impl std::fmt::Debug for ActionDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActionDef")
            .field("name", &self.name)
            .field("access", &self.access)
            .field("risk", &self.risk)
            .finish_non_exhaustive()
    }
}

/// A tool as the server registers it.
pub struct Tool {
    pub name: &'static str,
    /// The name `--toolsets` selects it by.
    pub toolset: &'static str,
    /// One sentence on the tool; the action lines are generated from `actions`.
    pub about: &'static str,
    pub actions: &'static [ActionDef],
}

impl Tool {
    pub fn action(&self, name: &str) -> Option<&'static ActionDef> {
        self.actions.iter().find(|a| a.name == name)
    }
}

impl std::fmt::Debug for Tool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

fn parse<A: Action>(args: Map<String, Value>) -> Result<Box<dyn Call>, ToolError> {
    let input: A = serde_json::from_value(Value::Object(args)).map_err(|e| {
        let schema = crate::schema::action_schema::<A>();
        let fields = crate::schema::describe_fields(&schema);
        ToolError::invalid(format!("invalid arguments for {}: {e}; {fields}", A::NAME))
    })?;
    input.validate()?;
    Ok(Box::new(Parsed(input)))
}

/// Who is calling, and how to reach a person in the client, if the client can ask one.
#[derive(Clone, Default)]
pub struct Caller {
    /// The requester identity recorded on approval requests, e.g. "agent:claude-code".
    pub requester: String,
    pub human: Option<Arc<dyn HumanChannel>>,
}

/// A person's answer, collected by the client (MCP elicitation), never by the agent.
#[derive(Debug, Clone)]
pub struct HumanAnswer {
    /// The name they typed (shown, never counted); none when they declined the form.
    pub name: Option<String>,
    pub approve: bool,
    pub comment: Option<String>,
}

/// Asks the person in front of the client to decide on an approval request.
pub trait HumanChannel: Send + Sync {
    /// `Ok(None)` when the person declined to answer.
    fn ask<'a>(&'a self, message: String) -> BoxFuture<'a, Result<Option<HumanAnswer>, String>>;
}

/// What a running action can reach: AWS clients for its region, in the mode the pipeline
/// chose, and the caller.
pub struct Cx<'a> {
    aws: &'a AwsPool,
    region: Option<String>,
    /// The other account the call acts in (through its role); `None` for the source account.
    account: Option<AccountTarget>,
    guard: Option<Guard>,
    pub caller: &'a Caller,
    host: &'a (dyn Any + Send + Sync),
    sensitive: bool,
}

impl<'a> Cx<'a> {
    /// A context for one call. `guard` is `None` only for a real run of a mutating action.
    pub fn new(
        aws: &'a AwsPool,
        region: Option<String>,
        guard: Option<Guard>,
        caller: &'a Caller,
        host: &'a (dyn Any + Send + Sync),
    ) -> Self {
        Self {
            aws,
            region,
            account: None,
            guard,
            caller,
            host,
            sensitive: false,
        }
    }

    /// The same context in another account (through its role), or the source account.
    pub fn in_account(mut self, account: Option<AccountTarget>) -> Self {
        self.account = account;
        self
    }

    /// The other account this call acts in, if any.
    pub fn account(&self) -> Option<&AccountTarget> {
        self.account.as_ref()
    }

    /// Where this call's requests go.
    pub fn at(&self) -> At<'_> {
        At {
            role: self.account.as_ref().map(|a| a.role_arn.as_str()),
            region: self.region.as_deref(),
        }
    }

    /// The same context, allowed (or not) to return sensitive data such as secret values
    /// (`--allow-sensitive-data`).
    pub fn with_sensitive_data(mut self, allowed: bool) -> Self {
        self.sensitive = allowed;
        self
    }

    /// Whether the server runs with `--allow-sensitive-data`: only then may an action return
    /// stored secret values. Credentials an action creates are returned once regardless.
    pub fn sensitive_data_allowed(&self) -> bool {
        self.sensitive
    }

    /// A client for the call's region, refusing changes when the call may not make any.
    pub async fn client<C: SdkClient>(&self) -> C {
        self.aws.client::<C>(self.at(), self.guard).await
    }

    /// A client for another region (copying from one, a bucket that lives elsewhere), with
    /// the same guard.
    pub async fn client_in<C: SdkClient>(&self, region: Option<&str>) -> C {
        let at = self.at();
        self.aws
            .client::<C>(at.in_region(region.or(at.region)), self.guard)
            .await
    }

    /// Whether this is a native dry run: mark every mutating request as one.
    pub fn dry_run(&self) -> bool {
        self.guard == Some(Guard::DryRun)
    }

    /// The region of this call (the per-call `region`, else the session's), if known.
    pub fn region(&self) -> Option<String> {
        self.region.clone().or_else(|| self.aws.default_region())
    }

    pub fn aws(&self) -> &'a AwsPool {
        self.aws
    }

    /// The object that runs the pipeline, for the one tool that examines other calls
    /// (`aws_guardrails`); `None` for any other type.
    pub fn host<T: 'static>(&self) -> Option<&'a T> {
        self.host.downcast_ref::<T>()
    }
}

/// Tags as the tools take them: key to value.
pub type Tags = BTreeMap<String, String>;
