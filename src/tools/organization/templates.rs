//! The 12 service control policy templates, built as JSON values (never by pasting strings),
//! each a valid SCP well under the 5,120-character limit. `restrict-regions` takes the
//! allowed regions and `deny-expensive-instances` the allowed instance types.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    aws::KNOWN_REGIONS,
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Risk, Target},
};

/// The most characters an SCP may hold (AWS's quota, whitespace included).
pub const SCP_MAX: usize = 5120;

/// Every template: its name, what it denies, and the parameter it takes (if any).
pub const TEMPLATES: &[(&str, &str, Option<&str>)] = &[
    (
        "deny-root-user",
        "every action by an account's root user",
        None,
    ),
    (
        "require-mfa",
        "IAM users without MFA, except setting up MFA",
        None,
    ),
    ("deny-leave-organization", "leaving the organization", None),
    (
        "require-s3-encryption",
        "S3 uploads without server-side encryption",
        None,
    ),
    ("deny-unencrypted-ebs", "unencrypted EBS volumes", None),
    (
        "deny-public-s3",
        "public S3 ACLs and turning off account Block Public Access",
        None,
    ),
    (
        "restrict-regions",
        "regional services outside the given regions",
        Some("allowed_regions"),
    ),
    (
        "protect-cloudtrail",
        "stopping, deleting or changing CloudTrail trails",
        None,
    ),
    (
        "protect-config",
        "stopping or deleting AWS Config recording and rules",
        None,
    ),
    (
        "deny-expensive-instances",
        "EC2 instance types other than the given ones",
        Some("instance_types"),
    ),
    (
        "deny-iam-user-creation",
        "IAM users, their passwords and access keys",
        None,
    ),
    (
        "deny-iam-changes-except-roles",
        "IAM changes other than to roles, instance profiles and policies",
        None,
    ),
];

/// Global services `restrict-regions` leaves alone (they answer from us-east-1).
const GLOBAL_SERVICES: &[&str] = &[
    "a4b:*",
    "account:*",
    "acm:*",
    "aws-marketplace:*",
    "aws-portal:*",
    "budgets:*",
    "ce:*",
    "chime:*",
    "cloudfront:*",
    "config:*",
    "cur:*",
    "directconnect:*",
    "ec2:DescribeRegions",
    "ec2:DescribeTransitGateways",
    "ec2:DescribeVpnGateways",
    "fms:*",
    "globalaccelerator:*",
    "health:*",
    "iam:*",
    "importexport:*",
    "kms:*",
    "mobileanalytics:*",
    "networkmanager:*",
    "organizations:*",
    "pricing:*",
    "route53:*",
    "route53domains:*",
    "route53-recovery-cluster:*",
    "route53-recovery-control-config:*",
    "route53-recovery-readiness:*",
    "s3:GetAccountPublic*",
    "s3:ListAllMyBuckets",
    "s3:ListMultiRegionAccessPoints",
    "s3:PutAccountPublic*",
    "shield:*",
    "sts:*",
    "support:*",
    "trustedadvisor:*",
    "waf-regional:*",
    "waf:*",
    "wafv2:*",
    "wellarchitected:*",
];

/// The policy a template stands for, with its parameters filled in.
pub fn template(
    name: &str,
    regions: Option<&[String]>,
    instance_types: Option<&[String]>,
) -> Result<Value, ToolError> {
    let known = TEMPLATES.iter().find(|t| t.0 == name).ok_or_else(|| {
        let names: Vec<&str> = TEMPLATES.iter().map(|t| t.0).collect();
        ToolError::invalid(format!(
            "unknown template '{name}'; one of: {}",
            names.join(", ")
        ))
    })?;
    match (known.2, regions.is_some(), instance_types.is_some()) {
        (Some("allowed_regions"), _, true)
        | (Some("instance_types"), true, _)
        | (None, true, _)
        | (None, _, true) => {
            return Err(ToolError::invalid(format!(
                "template {name} takes {}",
                known
                    .2
                    .map_or("no parameters".to_string(), |p| format!("only {p}"))
            )));
        }
        _ => {}
    }
    let statements = match name {
        "deny-root-user" => json!([{
            "Sid": "DenyRootUser",
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"StringLike": {"aws:PrincipalArn": ["arn:aws:iam::*:root"]}}
        }]),
        "require-mfa" => json!([{
            "Sid": "DenyIamUsersWithoutMfa",
            "Effect": "Deny",
            "NotAction": [
                "iam:CreateVirtualMFADevice",
                "iam:EnableMFADevice",
                "iam:GetUser",
                "iam:ListMFADevices",
                "iam:ListVirtualMFADevices",
                "iam:ResyncMFADevice",
                "sts:GetSessionToken"
            ],
            "Resource": "*",
            "Condition": {
                "BoolIfExists": {"aws:MultiFactorAuthPresent": "false"},
                "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/*"}
            }
        }]),
        "deny-leave-organization" => json!([{
            "Sid": "DenyLeaveOrganization",
            "Effect": "Deny",
            "Action": "organizations:LeaveOrganization",
            "Resource": "*"
        }]),
        "require-s3-encryption" => json!([
            {
                "Sid": "DenyUploadsWithoutEncryption",
                "Effect": "Deny",
                "Action": "s3:PutObject",
                "Resource": "*",
                "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}
            },
            {
                "Sid": "DenyUnknownEncryption",
                "Effect": "Deny",
                "Action": "s3:PutObject",
                "Resource": "*",
                "Condition": {"StringNotEqualsIfExists": {
                    "s3:x-amz-server-side-encryption": ["AES256", "aws:kms", "aws:kms:dsse"]
                }}
            }
        ]),
        "deny-unencrypted-ebs" => json!([
            {
                "Sid": "DenyUnencryptedVolumes",
                "Effect": "Deny",
                "Action": "ec2:CreateVolume",
                "Resource": "*",
                "Condition": {"Bool": {"ec2:Encrypted": "false"}}
            },
            {
                "Sid": "DenyInstancesWithUnencryptedVolumes",
                "Effect": "Deny",
                "Action": "ec2:RunInstances",
                "Resource": "arn:aws:ec2:*:*:volume/*",
                "Condition": {"Bool": {"ec2:Encrypted": "false"}}
            }
        ]),
        "deny-public-s3" => json!([
            {
                "Sid": "DenyPublicAcls",
                "Effect": "Deny",
                "Action": ["s3:PutBucketAcl", "s3:PutObjectAcl", "s3:CreateBucket", "s3:PutObject"],
                "Resource": "*",
                "Condition": {"StringEquals": {
                    "s3:x-amz-acl": ["public-read", "public-read-write", "authenticated-read"]
                }}
            },
            {
                "Sid": "DenyTurningOffBlockPublicAccess",
                "Effect": "Deny",
                "Action": ["s3:PutAccountPublicAccessBlock", "s3:DeleteAccountPublicAccessBlock"],
                "Resource": "*"
            }
        ]),
        "restrict-regions" => {
            let regions = regions.unwrap_or_default();
            check_regions(regions)?;
            json!([{
                "Sid": "DenyOutsideAllowedRegions",
                "Effect": "Deny",
                "NotAction": GLOBAL_SERVICES,
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:RequestedRegion": regions}}
            }])
        }
        "protect-cloudtrail" => json!([{
            "Sid": "ProtectCloudTrail",
            "Effect": "Deny",
            "Action": [
                "cloudtrail:StopLogging",
                "cloudtrail:DeleteTrail",
                "cloudtrail:UpdateTrail",
                "cloudtrail:PutEventSelectors",
                "cloudtrail:PutInsightSelectors",
                "cloudtrail:DeleteEventDataStore"
            ],
            "Resource": "*"
        }]),
        "protect-config" => json!([{
            "Sid": "ProtectConfig",
            "Effect": "Deny",
            "Action": [
                "config:StopConfigurationRecorder",
                "config:DeleteConfigurationRecorder",
                "config:DeleteDeliveryChannel",
                "config:DeleteConfigRule",
                "config:DeleteConfigurationAggregator",
                "config:DeleteEvaluationResults",
                "config:DeleteRetentionConfiguration"
            ],
            "Resource": "*"
        }]),
        "deny-expensive-instances" => {
            let types = instance_types.unwrap_or_default();
            check_instance_types(types)?;
            json!([{
                "Sid": "DenyOtherInstanceTypes",
                "Effect": "Deny",
                "Action": "ec2:RunInstances",
                "Resource": "arn:aws:ec2:*:*:instance/*",
                "Condition": {"StringNotLike": {"ec2:InstanceType": types}}
            }])
        }
        "deny-iam-user-creation" => json!([{
            "Sid": "DenyIamUsersAndLongLivedCredentials",
            "Effect": "Deny",
            "Action": ["iam:CreateUser", "iam:CreateLoginProfile", "iam:CreateAccessKey"],
            "Resource": "*"
        }]),
        _ => json!([{
            "Sid": "DenyIamChangesExceptRoles",
            "Effect": "Deny",
            "Action": [
                "iam:Add*",
                "iam:Attach*",
                "iam:Change*",
                "iam:Create*",
                "iam:Deactivate*",
                "iam:Delete*",
                "iam:Detach*",
                "iam:Enable*",
                "iam:Put*",
                "iam:Remove*",
                "iam:Reset*",
                "iam:Set*",
                "iam:Tag*",
                "iam:Untag*",
                "iam:Update*",
                "iam:Upload*"
            ],
            "NotResource": [
                "arn:aws:iam::*:role/*",
                "arn:aws:iam::*:instance-profile/*",
                "arn:aws:iam::*:policy/*"
            ]
        }]),
    };
    let policy = json!({"Version": "2012-10-17", "Statement": statements});
    check_scp(&policy)?;
    Ok(policy)
}

/// An SCP's size as AWS counts it (the compact JSON text sent).
pub fn check_scp(policy: &Value) -> Result<(), ToolError> {
    let len = policy.to_string().chars().count();
    if len > SCP_MAX {
        return Err(ToolError::invalid(format!(
            "the policy is {len} characters; SCPs hold at most {SCP_MAX}"
        )));
    }
    if policy["Statement"].as_array().is_none_or(Vec::is_empty) && !policy["Statement"].is_object()
    {
        return Err(ToolError::invalid("the policy has no Statement"));
    }
    Ok(())
}

fn check_regions(regions: &[String]) -> Result<(), ToolError> {
    if regions.is_empty() || regions.len() > 50 {
        return Err(ToolError::invalid(
            "restrict-regions needs allowed_regions: 1-50 allowed region codes",
        ));
    }
    if let Some(bad) = regions
        .iter()
        .find(|r| !KNOWN_REGIONS.contains(&r.as_str()))
    {
        let shown: String = bad.chars().take(40).collect();
        return Err(ToolError::invalid(format!(
            "'{shown}' is not an AWS region code (e.g. us-east-1)"
        )));
    }
    Ok(())
}

fn check_instance_types(types: &[String]) -> Result<(), ToolError> {
    if types.is_empty() || types.len() > 100 {
        return Err(ToolError::invalid(
            "deny-expensive-instances needs instance_types: 1-100 allowed types (t3.micro, t3.*)",
        ));
    }
    let ok = |t: &str| {
        t.split_once('.').is_some_and(|(family, size)| {
            !family.is_empty()
                && !size.is_empty()
                && t.len() <= 32
                && t.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-.*".contains(c))
        })
    };
    if let Some(bad) = types.iter().find(|t| !ok(t)) {
        let shown: String = bad.chars().take(40).collect();
        return Err(ToolError::invalid(format!(
            "'{shown}' is not an instance type like t3.micro or t3.*"
        )));
    }
    Ok(())
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListScpTemplates {}

impl Action for ListScpTemplates {
    const NAME: &'static str = "list_scp_templates";
    const DESCRIPTION: &'static str = "SCP templates";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, _cx: &Cx<'_>) -> Result<Output, ToolError> {
        let items: Vec<Value> = TEMPLATES
            .iter()
            .map(|(name, denies, param)| json!({"name": name, "denies": denies, "takes": param}))
            .collect();
        Ok(Output::new(
            format!(
                "{} SCP templates; create_policy takes one as template.",
                items.len()
            ),
            json!({"templates": items}),
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetScpTemplate {
    pub template: String,
    /// For restrict-regions
    pub allowed_regions: Option<Vec<String>>,
    /// For deny-expensive-instances
    pub instance_types: Option<Vec<String>>,
}

impl Action for GetScpTemplate {
    const NAME: &'static str = "get_scp_template";
    const DESCRIPTION: &'static str = "A template's policy";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        self.policy().map(|_| ())
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, _cx: &Cx<'_>) -> Result<Output, ToolError> {
        let policy = self.policy()?;
        let size = policy.to_string().chars().count();
        Ok(Output::new(
            format!(
                "Template {} ({size} of {SCP_MAX} characters).",
                self.template
            ),
            json!({"template": self.template, "content": policy, "characters": size}),
        ))
    }
}

impl GetScpTemplate {
    fn policy(&self) -> Result<Value, ToolError> {
        template(
            &self.template,
            self.allowed_regions.as_deref(),
            self.instance_types.as_deref(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_is_a_small_valid_scp() {
        let regions = vec!["us-east-1".to_string(), "eu-west-1".to_string()];
        let types = vec!["t3.micro".to_string(), "t3.*".to_string()];
        for (name, _, param) in TEMPLATES {
            let p = template(
                name,
                (*param == Some("allowed_regions")).then_some(regions.as_slice()),
                (*param == Some("instance_types")).then_some(types.as_slice()),
            )
            .unwrap();
            assert_eq!(p["Version"], "2012-10-17");
            let text = p.to_string();
            assert!(text.len() < SCP_MAX, "{name}: {}", text.len());
            for s in p["Statement"].as_array().unwrap() {
                assert_eq!(s["Effect"], "Deny", "{name}");
                assert!(s.get("Action").is_some() || s.get("NotAction").is_some());
                assert!(s.get("Resource").is_some() || s.get("NotResource").is_some());
            }
        }
        assert!(template("restrict-regions", None, None).is_err());
        assert!(template("restrict-regions", Some(&["mars-1".into()]), None).is_err());
        assert!(template("deny-root-user", Some(&regions), None).is_err());
        assert!(template("deny-expensive-instances", None, Some(&["big".into()])).is_err());
        assert!(template("nope", None, None).is_err());
        let r = template("restrict-regions", Some(&regions), None).unwrap();
        assert_eq!(
            r["Statement"][0]["Condition"]["StringNotEquals"]["aws:RequestedRegion"],
            json!(regions)
        );
    }
}
