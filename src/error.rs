//! Tool errors: what the model sees when a call cannot be done, and how AWS errors map onto them.

use std::fmt;

use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use serde_json::{Value, json};

/// The error a guarded client raises; `ToolError::from_sdk` turns it into a refusal.
#[derive(Debug, thiserror::Error)]
#[error(
    "espada-aws refused to send {operation}: {why}; nothing was changed (this is a bug in the \
     action, please report it)"
)]
pub struct GuardRefusal {
    pub operation: String,
    pub why: &'static str,
}

/// An error returned to the caller as a tool result with `isError: true`.
///
/// The message starts lowercase, has no trailing period, and says what to do next.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ToolError {
    /// The arguments do not fit the action (missing, unknown or mistyped fields).
    #[error("{0}")]
    InvalidInput(String),
    /// The guardrails refused the call; nothing was sent to AWS.
    #[error("{0}")]
    Refused(String),
    /// AWS answered with an error.
    #[error("aws error {code}: {message}")]
    Aws {
        code: String,
        message: String,
        hint: Option<String>,
    },
    /// The call could not reach AWS or did not finish (network, credentials, timeout).
    #[error("{message}")]
    Transport { message: String, hint: String },
    /// The resources are not in a state that allows the call (e.g. a VPC that still has
    /// subnets); found by reading them first, and nothing was changed.
    #[error("{message}")]
    Precondition {
        message: String,
        hint: String,
        /// What was found, for the caller to act on (e.g. the dependencies by kind).
        details: Value,
    },
    /// A step of a plan failed: the step's own error, and where the plan stands.
    #[error("{error}")]
    InPlan { error: Box<ToolError>, plan: Value },
}

impl ToolError {
    pub fn invalid(msg: impl Into<String>) -> Self {
        Self::InvalidInput(msg.into())
    }

    /// The JSON body of the error result.
    pub fn to_json(&self) -> Value {
        match self {
            ToolError::InvalidInput(m) => json!({"error": "invalid_input", "message": m}),
            ToolError::Refused(m) => json!({"error": "refused", "message": m}),
            ToolError::Aws {
                code,
                message,
                hint,
            } => {
                let mut v = json!({"error": "aws", "code": code, "message": message});
                if let Some(h) = hint {
                    v["hint"] = json!(h);
                }
                v
            }
            ToolError::Transport { message, hint } => {
                json!({"error": "transport", "message": message, "hint": hint})
            }
            ToolError::Precondition {
                message,
                hint,
                details,
            } => json!({"error": "precondition_failed", "message": message, "hint": hint,
                        "details": details}),
            ToolError::InPlan { error, plan } => {
                let mut v = error.to_json();
                v["plan"] = plan.clone();
                v
            }
        }
    }

    /// Maps an SDK error onto a tool error with the AWS code, message and a hint.
    pub fn from_sdk<E, R>(err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: fmt::Debug,
    {
        // A guarded client refused to send the request: that is a refusal, not a failure.
        let mut source = std::error::Error::source(&err);
        while let Some(e) = source {
            if let Some(refusal) = e.downcast_ref::<GuardRefusal>() {
                return ToolError::Refused(refusal.to_string());
            }
            source = e.source();
        }
        match &err {
            SdkError::ServiceError(service) => {
                let e = service.err();
                let code = e.code().unwrap_or("Unknown").to_string();
                let message = e.message().unwrap_or("").to_string();
                let hint = hint_for(&code).map(str::to_string);
                ToolError::Aws {
                    code,
                    message,
                    hint,
                }
            }
            SdkError::TimeoutError(_) => ToolError::Transport {
                message: "the AWS call timed out".into(),
                hint: "retry; if it keeps timing out check the network path to the endpoint".into(),
            },
            SdkError::DispatchFailure(_) => ToolError::Transport {
                message: format!("could not reach AWS: {}", source_chain(&err)),
                hint: "check the network, AWS_ENDPOINT_URL and the region".into(),
            },
            SdkError::ConstructionFailure(_) => ToolError::Transport {
                message: format!("could not build the AWS request: {}", source_chain(&err)),
                hint: "check credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, aws sso login) and that \
                       a region is set (--region, AWS_REGION or the region field)"
                    .into(),
            },
            _ => ToolError::Transport {
                message: format!("AWS call failed: {}", source_chain(&err)),
                hint: "retry; if it persists check credentials and the endpoint".into(),
            },
        }
    }

    /// The AWS error code, when this is an AWS error.
    pub fn aws_code(&self) -> Option<&str> {
        match self {
            ToolError::Aws { code, .. } => Some(code),
            _ => None,
        }
    }
}

fn source_chain(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut cur = err.source();
    while let Some(e) = cur {
        let s = e.to_string();
        if !parts.contains(&s) {
            parts.push(s);
        }
        cur = e.source();
    }
    parts.join(": ")
}

/// What to do next for the AWS error codes an agent meets most.
fn hint_for(code: &str) -> Option<&'static str> {
    Some(match code {
        "UnauthorizedOperation" | "AccessDenied" | "AccessDeniedException" => {
            "the credentials lack permission for this operation; use a role or profile that has it"
        }
        "AuthFailure" | "InvalidClientTokenId" | "ExpiredToken" | "SignatureDoesNotMatch" => {
            "the credentials are invalid or expired; refresh them (aws sso login, new keys)"
        }
        "RequestLimitExceeded" | "Throttling" | "ThrottlingException" => {
            "AWS is throttling; wait a few seconds and retry with fewer resources per call"
        }
        "InvalidInstanceID.NotFound" | "InvalidInstanceID.Malformed" => {
            "check the instance id with aws_ec2 list_instances (and the region)"
        }
        "InvalidAMIID.NotFound" | "InvalidAMIID.Malformed" => {
            "check the image id with aws_ec2 list_amis (and the region)"
        }
        "InvalidKeyPair.NotFound" => "check the key name with aws_ec2 list_key_pairs",
        "InvalidKeyPair.Duplicate" => "a key pair with this name exists; pick another name",
        "IncorrectInstanceState" => {
            "the instance is not in a state that allows this; check it with describe_instance"
        }
        "OperationNotPermitted" => {
            "AWS refused the change, often because of termination or stop protection; \
             check with describe_instance and modify_instance_attribute"
        }
        "InvalidParameterValue" | "InvalidParameterCombination" | "MissingParameter" => {
            "fix the named parameter and call again"
        }
        "InstanceLimitExceeded" | "VcpuLimitExceeded" => {
            "the account's quota is reached; request a quota increase or use fewer/smaller instances"
        }
        "InvalidLaunchTemplateName.AlreadyExistsException" => {
            "a launch template with this name exists; pick another name"
        }
        "InvalidLaunchTemplateId.NotFound" | "InvalidLaunchTemplateName.NotFoundException" => {
            "check the launch template with aws_ec2 list_launch_templates"
        }
        "DependencyViolation" => {
            "other resources still use this one; find them with aws_network get_vpc or the \
             matching list action, and remove or detach them first"
        }
        "InvalidVpcID.NotFound" => "check the VPC id with aws_network list_vpcs (and the region)",
        "InvalidSubnetID.NotFound" => {
            "check the subnet id with aws_network list_subnets (and the region)"
        }
        "InvalidSubnet.Conflict" | "InvalidSubnet.Range" => {
            "the block overlaps another subnet or lies outside the VPC; see aws_network get_vpc"
        }
        "InvalidRouteTableID.NotFound" => "check the id with aws_network list_route_tables",
        "RouteAlreadyExists" => {
            "the table already has a route for this destination; delete_route it first to change \
             its target"
        }
        "InvalidRoute.NotFound" => {
            "no such route; see the routes with aws_network list_route_tables"
        }
        "InvalidInternetGatewayID.NotFound" => {
            "check the id with aws_network list_internet_gateways"
        }
        "Resource.AlreadyAssociated" => {
            "the gateway or address is already attached elsewhere; detach or disassociate it first"
        }
        "InvalidNatGatewayID.NotFound" | "NatGatewayNotFound" => {
            "check the id with aws_network list_nat_gateways"
        }
        "InvalidGroup.NotFound" | "InvalidGroupId.Malformed" => {
            "check the security group id with aws_network list_security_groups"
        }
        "InvalidGroup.Duplicate" => {
            "a security group with this name exists in the VPC; pick another"
        }
        "InvalidPermission.Duplicate" => "the rule exists already; nothing needs to change",
        "InvalidPermission.NotFound" => {
            "no rule matches exactly; see the group's rules with aws_network list_security_groups"
        }
        "NetworkAclEntryAlreadyExists" => {
            "the ACL has an entry with this rule number and direction; pick another rule_number"
        }
        "InvalidNetworkAclID.NotFound" | "InvalidNetworkAclEntry.NotFound" => {
            "check the ACL and its entries with aws_network list_network_acls"
        }
        "InvalidAllocationID.NotFound" => {
            "check the allocation id with aws_network list_elastic_ips"
        }
        "InvalidIPAddress.InUse" => {
            "the address is associated; move or disassociate it first, or delete the NAT gateway \
             that uses it"
        }
        "AddressLimitExceeded" => {
            "the account's Elastic IP quota is reached; release unused addresses or ask for more"
        }
        "InvalidVpcEndpointService.NotFound" | "InvalidServiceName" => {
            "no such endpoint service in this region; use a name like com.amazonaws.REGION.s3"
        }
        "AlreadyExists" | "AlreadyExistsFault" => {
            "a resource with this name exists; pick another name or update the existing one"
        }
        "ResourceInUse" | "ResourceInUseFault" => {
            "the resource is still in use (e.g. a target group behind a listener or an Auto \
             Scaling group); remove that use first"
        }
        "ScalingActivityInProgress" | "ScalingActivityInProgressFault" => {
            "a scaling activity is running; wait for it (get_scaling_activities) or use force_delete"
        }
        "ValidationError" => "fix the named parameter and call again",
        "DuplicateLoadBalancerName" => "a load balancer with this name exists; pick another name",
        "DuplicateTargetGroupName" => "a target group with this name exists; pick another name",
        "DuplicateListener" => "the load balancer already listens on this port; pick another port",
        "LoadBalancerNotFound" => "check the ARN with aws_ec2 list_load_balancers",
        "TargetGroupNotFound" => "check the ARN with aws_ec2 list_target_groups",
        "ListenerNotFound" => "check the ARN with aws_ec2 list_listeners",
        "CertificateNotFound" => {
            "the certificate ARN is unknown in this region; check it in ACM (same region as the \
             load balancer)"
        }
        "InvalidTarget" => {
            "the target is not in the target group's VPC or not running; check the ids and ports"
        }
        "NoSuchBucket" => "check the bucket name with aws_s3 list_buckets (names are exact)",
        "BucketNotEmpty" => {
            "the bucket still holds objects, versions or delete markers; delete_bucket with \
             force: true deletes them all first, or remove them with delete_objects"
        }
        "BucketAlreadyOwnedByYou" => "you already own a bucket with this name; use it",
        "BucketAlreadyExists" => {
            "bucket names are global and another account has this one; pick another name"
        }
        "InvalidBucketName" => "bucket names are 3-63 lowercase letters, digits, dots and hyphens",
        "TooManyBuckets" => {
            "the account's bucket quota is reached; delete unused buckets or \
             request a quota increase"
        }
        "IllegalLocationConstraintException"
        | "PermanentRedirect"
        | "AuthorizationHeaderMalformed" => {
            "the bucket is in another region; repeat the call with its region (list_buckets \
             shows it)"
        }
        "NoSuchKey" | "NotFound" => {
            "check the key with aws_s3 list_objects; keys are case-sensitive"
        }
        "NoSuchVersion" => "check the version id; list the bucket's versions in the console or CLI",
        "InvalidObjectState" => "the object is archived (GLACIER / DEEP_ARCHIVE); restore it first",
        "NoSuchBucketPolicy" => "the bucket has no policy; put_bucket_policy sets one",
        "MalformedPolicy" => {
            "fix the policy JSON (Version, Statement with Effect, Principal, Action, Resource) and \
             call again"
        }
        "NoSuchLifecycleConfiguration" => {
            "the bucket has no lifecycle rules; set_lifecycle adds them"
        }
        "NoSuchDistribution" => "check the id with aws_s3 list_distributions",
        "DistributionNotDisabled" => {
            "disable it with disable_distribution, wait until get_distribution shows Deployed, \
             then delete it"
        }
        "PreconditionFailed" | "InvalidIfMatchVersion" => {
            "the distribution changed meanwhile; call again (its current ETag is read each time)"
        }
        "TooManyInvalidationsInProgress" => {
            "wait for running invalidations to finish, or invalidate fewer paths (a wildcard such \
             as /* counts as one)"
        }
        "TooManyDistributions" | "TooManyOriginAccessControls" => {
            "the account's CloudFront quota is reached; delete unused ones or request an increase"
        }
        _ => return None,
    })
}
