//! The 20 policy templates, as data: each builds its document with `serde_json::json!` from
//! checked parameters and scopes `Resource` to them wherever AWS takes a narrower resource than
//! `*`. A required parameter that is missing is an error, never a silent `*`, and no parameter
//! value may hold a wildcard.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// What a template is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateKind {
    /// A permissions policy (inline on a role, or a managed policy).
    Permissions,
    /// A role's trust policy.
    Trust,
}

impl TemplateKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateKind::Permissions => "permissions",
            TemplateKind::Trust => "trust",
        }
    }
}

/// One template: its name, what it grants, its parameters and how its document is built.
pub struct Template {
    pub name: &'static str,
    pub about: &'static str,
    pub kind: TemplateKind,
    /// Parameters it cannot do without.
    pub required: &'static [&'static str],
    /// Parameters it takes if given.
    pub optional: &'static [&'static str],
    /// The service that usually assumes a role with this policy (its trust), if any.
    pub service: Option<&'static str>,
    build: fn(&Params) -> Value,
}

/// Parameters every template may take, and what a value must look like.
pub const PARAMETERS: &[(&str, &str)] = &[
    ("account", "12-digit account id (default: the caller's)"),
    ("region", "region, e.g. us-east-1 (default: the call's)"),
    ("bucket", "S3 bucket name"),
    ("table", "DynamoDB table name"),
    ("queue", "SQS queue name"),
    ("topic", "SNS topic name"),
    ("key_arn", "KMS key ARN"),
    ("secret", "Secrets Manager secret name"),
    ("log_group", "CloudWatch Logs log group name"),
    ("role_arn", "IAM role ARN"),
    (
        "trusted_account",
        "12-digit id of the account allowed to assume the role",
    ),
    ("external_id", "sts:ExternalId the other account must pass"),
];

/// Checked parameter values, with the ARN partition of the region.
pub struct Params<'a> {
    values: &'a BTreeMap<String, String>,
    partition: &'static str,
}

impl Params<'_> {
    fn get(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    fn opt(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}:{}:{}:{resource}",
            self.partition,
            self.get("region"),
            self.get("account")
        )
    }

    fn s3(&self, resource: &str) -> String {
        format!("arn:{}:s3:::{resource}", self.partition)
    }
}

/// Every template, in the order `list_policy_templates` shows them.
pub static TEMPLATES: &[Template] = &[
    Template {
        name: "lambda-basic",
        about: "Lambda writes its own logs",
        kind: TemplateKind::Permissions,
        required: &["account", "region"],
        optional: &[],
        service: Some("lambda"),
        build: |p| doc(lambda_logs(p)),
    },
    Template {
        name: "lambda-vpc",
        about: "Lambda logs and the network interfaces a VPC function needs",
        kind: TemplateKind::Permissions,
        required: &["account", "region"],
        optional: &[],
        service: Some("lambda"),
        build: |p| {
            let mut s = lambda_logs(p);
            // EC2 does not scope these network-interface actions below "*".
            s.push(json!({"Sid": "VpcNetworkInterfaces", "Effect": "Allow",
                "Action": ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces",
                           "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface",
                           "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"],
                "Resource": "*"}));
            doc(s)
        },
    },
    Template {
        name: "lambda-s3-read",
        about: "Lambda logs, and reading one bucket",
        kind: TemplateKind::Permissions,
        required: &["bucket", "account", "region"],
        optional: &[],
        service: Some("lambda"),
        build: |p| {
            let mut s = lambda_logs(p);
            s.extend(s3_read(p));
            doc(s)
        },
    },
    Template {
        name: "lambda-s3-write",
        about: "Lambda logs, and writing objects to one bucket",
        kind: TemplateKind::Permissions,
        required: &["bucket", "account", "region"],
        optional: &[],
        service: Some("lambda"),
        build: |p| {
            let mut s = lambda_logs(p);
            s.push(json!({"Sid": "WriteObjects", "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
                "Resource": p.s3(&format!("{}/*", p.get("bucket")))}));
            doc(s)
        },
    },
    Template {
        name: "lambda-dynamodb",
        about: "Lambda logs, and reading and writing items of one table",
        kind: TemplateKind::Permissions,
        required: &["table", "account", "region"],
        optional: &[],
        service: Some("lambda"),
        build: |p| {
            let mut s = lambda_logs(p);
            s.push(json!({"Sid": "TableItems", "Effect": "Allow",
                "Action": ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query",
                           "dynamodb:Scan", "dynamodb:PutItem", "dynamodb:UpdateItem",
                           "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
                           "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable"],
                "Resource": table_arns(p)}));
            doc(s)
        },
    },
    Template {
        name: "lambda-sqs",
        about: "Lambda logs, and consuming one queue",
        kind: TemplateKind::Permissions,
        required: &["queue", "account", "region"],
        optional: &[],
        service: Some("lambda"),
        build: |p| {
            let mut s = lambda_logs(p);
            s.push(json!({"Sid": "ConsumeQueue", "Effect": "Allow",
                "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage",
                           "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"],
                "Resource": p.arn("sqs", p.get("queue"))}));
            doc(s)
        },
    },
    Template {
        name: "lambda-sns",
        about: "Lambda logs, and publishing to one topic",
        kind: TemplateKind::Permissions,
        required: &["topic", "account", "region"],
        optional: &[],
        service: Some("lambda"),
        build: |p| {
            let mut s = lambda_logs(p);
            s.push(
                json!({"Sid": "PublishTopic", "Effect": "Allow", "Action": "sns:Publish",
                "Resource": p.arn("sns", p.get("topic"))}),
            );
            doc(s)
        },
    },
    Template {
        name: "ec2-ssm",
        about: "An instance managed by Systems Manager (Session Manager, patching, inventory)",
        kind: TemplateKind::Permissions,
        required: &[],
        optional: &[],
        service: Some("ec2"),
        // As AmazonSSMManagedInstanceCore: the agent's channels take no narrower resource.
        build: |_| {
            doc(vec![
                json!({"Sid": "SsmAgent", "Effect": "Allow",
                "Action": ["ssm:DescribeAssociation", "ssm:GetDeployablePatchSnapshotForInstance",
                           "ssm:GetDocument", "ssm:DescribeDocument", "ssm:GetManifest",
                           "ssm:GetParameter", "ssm:GetParameters", "ssm:ListAssociations",
                           "ssm:ListInstanceAssociations", "ssm:PutInventory",
                           "ssm:PutComplianceItems", "ssm:PutConfigurePackageResult",
                           "ssm:UpdateAssociationStatus", "ssm:UpdateInstanceAssociationStatus",
                           "ssm:UpdateInstanceInformation"],
                "Resource": "*"}),
                json!({"Sid": "SsmChannels", "Effect": "Allow",
                "Action": ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
                           "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
                           "ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage",
                           "ec2messages:FailMessage", "ec2messages:GetEndpoint",
                           "ec2messages:GetMessages", "ec2messages:SendReply"],
                "Resource": "*"}),
            ])
        },
    },
    Template {
        name: "ecs-task",
        about: "ECS task execution: pull images from the account's ECR, write logs",
        kind: TemplateKind::Permissions,
        required: &["account", "region"],
        optional: &[],
        service: Some("ecs-tasks"),
        build: |p| {
            doc(vec![
                // GetAuthorizationToken has no resource-level permissions.
                json!({"Sid": "EcrToken", "Effect": "Allow",
                "Action": "ecr:GetAuthorizationToken", "Resource": "*"}),
                json!({"Sid": "EcrPull", "Effect": "Allow",
                "Action": ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer",
                           "ecr:BatchGetImage"],
                "Resource": p.arn("ecr", "repository/*")}),
                json!({"Sid": "TaskLogs", "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": p.arn("logs", "log-group:*:*")}),
            ])
        },
    },
    Template {
        name: "eks-node",
        about: "EKS worker node: describe its network and cluster, pull images from ECR",
        kind: TemplateKind::Permissions,
        required: &["account", "region"],
        optional: &[],
        service: Some("ec2"),
        build: |p| {
            doc(vec![
                // EC2 Describe* actions take no narrower resource than "*".
                json!({"Sid": "NodeNetwork", "Effect": "Allow",
                "Action": ["ec2:DescribeInstances", "ec2:DescribeInstanceTypes",
                           "ec2:DescribeRouteTables", "ec2:DescribeSecurityGroups",
                           "ec2:DescribeSubnets", "ec2:DescribeVolumes",
                           "ec2:DescribeVolumesModifications", "ec2:DescribeVpcs"],
                "Resource": "*"}),
                json!({"Sid": "Cluster", "Effect": "Allow", "Action": "eks:DescribeCluster",
                "Resource": p.arn("eks", "cluster/*")}),
                json!({"Sid": "EcrToken", "Effect": "Allow",
                "Action": "ecr:GetAuthorizationToken", "Resource": "*"}),
                json!({"Sid": "EcrPull", "Effect": "Allow",
                "Action": ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer",
                           "ecr:BatchGetImage"],
                "Resource": p.arn("ecr", "repository/*")}),
            ])
        },
    },
    Template {
        name: "s3-read-only",
        about: "List and read one bucket",
        kind: TemplateKind::Permissions,
        required: &["bucket"],
        optional: &[],
        service: None,
        build: |p| doc(s3_read(p)),
    },
    Template {
        name: "s3-full-access",
        about: "Everything on one bucket and its objects",
        kind: TemplateKind::Permissions,
        required: &["bucket"],
        optional: &[],
        service: None,
        build: |p| {
            let b = p.get("bucket");
            doc(vec![
                json!({"Sid": "Bucket", "Effect": "Allow", "Action": "s3:*",
                "Resource": [p.s3(b), p.s3(&format!("{b}/*"))]}),
            ])
        },
    },
    Template {
        name: "dynamodb-read-only",
        about: "Read one table and its indexes",
        kind: TemplateKind::Permissions,
        required: &["table", "account", "region"],
        optional: &[],
        service: None,
        build: |p| {
            doc(vec![json!({"Sid": "ReadTable", "Effect": "Allow",
                "Action": ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query",
                           "dynamodb:Scan", "dynamodb:DescribeTable",
                           "dynamodb:ConditionCheckItem"],
                "Resource": table_arns(p)})])
        },
    },
    Template {
        name: "dynamodb-full-access",
        about: "Everything on one table and its indexes and streams",
        kind: TemplateKind::Permissions,
        required: &["table", "account", "region"],
        optional: &[],
        service: None,
        build: |p| {
            let mut arns = table_arns(p);
            arns.push(p.arn("dynamodb", &format!("table/{}/stream/*", p.get("table"))));
            doc(vec![
                json!({"Sid": "Table", "Effect": "Allow", "Action": "dynamodb:*",
                "Resource": arns}),
            ])
        },
    },
    Template {
        name: "cloudwatch-logs",
        about: "Create and write one log group's streams",
        kind: TemplateKind::Permissions,
        required: &["log_group", "account", "region"],
        optional: &[],
        service: None,
        build: |p| {
            let group = p.arn("logs", &format!("log-group:{}", p.get("log_group")));
            doc(vec![
                json!({"Sid": "LogGroup", "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:DescribeLogStreams"],
                "Resource": format!("{group}:*")}),
                json!({"Sid": "LogStreams", "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": format!("{group}:log-stream:*")}),
            ])
        },
    },
    Template {
        name: "xray-tracing",
        about: "Send traces to X-Ray",
        kind: TemplateKind::Permissions,
        required: &[],
        optional: &[],
        service: None,
        // X-Ray's write and sampling actions have no resource-level permissions.
        build: |_| {
            doc(vec![json!({"Sid": "XRay", "Effect": "Allow",
                "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords",
                           "xray:GetSamplingRules", "xray:GetSamplingTargets",
                           "xray:GetSamplingStatisticSummaries"],
                "Resource": "*"})])
        },
    },
    Template {
        name: "secrets-read",
        about: "Read one secret's value",
        kind: TemplateKind::Permissions,
        required: &["secret", "account", "region"],
        optional: &[],
        service: None,
        build: |p| {
            // Secret ARNs end in "-" and six random characters.
            doc(vec![json!({"Sid": "ReadSecret", "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                "Resource": p.arn("secretsmanager", &format!("secret:{}-??????", p.get("secret")))})])
        },
    },
    Template {
        name: "kms-encrypt-decrypt",
        about: "Encrypt and decrypt with one KMS key",
        kind: TemplateKind::Permissions,
        required: &["key_arn"],
        optional: &[],
        service: None,
        build: |p| {
            doc(vec![json!({"Sid": "UseKey", "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
                           "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext",
                           "kms:DescribeKey"],
                "Resource": p.get("key_arn")})])
        },
    },
    Template {
        name: "assume-role",
        about: "Assume one role",
        kind: TemplateKind::Permissions,
        required: &["role_arn"],
        optional: &[],
        service: None,
        build: |p| {
            doc(vec![
                json!({"Sid": "AssumeRole", "Effect": "Allow", "Action": "sts:AssumeRole",
                "Resource": p.get("role_arn")}),
            ])
        },
    },
    Template {
        name: "cross-account-access",
        about: "Trust: another account may assume the role (with an external id if given)",
        kind: TemplateKind::Trust,
        required: &["trusted_account"],
        optional: &["external_id"],
        service: None,
        build: |p| {
            let mut s = json!({"Sid": "TrustAccount", "Effect": "Allow",
                "Principal": {"AWS": format!("arn:{}:iam::{}:root", p.partition,
                                             p.get("trusted_account"))},
                "Action": "sts:AssumeRole"});
            if let Some(id) = p.opt("external_id") {
                s["Condition"] = json!({"StringEquals": {"sts:ExternalId": id}});
            }
            doc(vec![s])
        },
    },
];

/// The template of a name, or an error listing the names.
pub fn find(name: &str) -> Result<&'static Template, String> {
    TEMPLATES.iter().find(|t| t.name == name).ok_or_else(|| {
        format!(
            "no policy template '{name}'; one of: {}",
            TEMPLATES
                .iter()
                .map(|t| t.name)
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

impl Template {
    /// The template's document with `params`: every required parameter present and every
    /// value well formed, else an error naming what is missing or wrong. Parameters the
    /// template does not take are ignored (one set of parameters serves several templates).
    pub fn build(&self, params: &BTreeMap<String, String>) -> Result<Value, String> {
        let missing: Vec<&str> = self
            .required
            .iter()
            .copied()
            .filter(|p| params.get(*p).is_none_or(|v| v.is_empty()))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "template {} needs {} in params (it never falls back to \"*\")",
                self.name,
                missing.join(", ")
            ));
        }
        for name in self.required.iter().chain(self.optional) {
            if let Some(v) = params.get(*name) {
                check_param(name, v)?;
            }
        }
        let partition = partition(params.get("region").map(String::as_str).unwrap_or(""));
        Ok((self.build)(&Params {
            values: params,
            partition,
        }))
    }

    /// Every parameter the template takes.
    pub fn takes(&self, name: &str) -> bool {
        self.required.contains(&name) || self.optional.contains(&name)
    }
}

/// Checks one parameter value: no wildcard anywhere, and the shape its name calls for.
pub fn check_param(name: &str, value: &str) -> Result<(), String> {
    if value.contains('*') || value.contains('?') {
        return Err(format!(
            "params.{name} may not hold a wildcard; templates scope access to what you name"
        ));
    }
    let chars = |extra: &str, max: usize| {
        !value.is_empty()
            && value.len() <= max
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
    };
    let ok = match name {
        "account" | "trusted_account" => {
            value.len() == 12 && value.chars().all(|c| c.is_ascii_digit())
        }
        "region" => {
            chars("-", 30) && value.contains('-') && value.chars().all(|c| !c.is_ascii_uppercase())
        }
        "bucket" => {
            value.len() >= 3
                && chars(".-_", 255)
                && value.chars().all(|c| !c.is_ascii_uppercase() || c == '_')
        }
        "table" => value.len() >= 3 && chars("_.-", 255),
        "queue" | "topic" => chars("_-.", 256),
        "secret" => chars("/_+=.@-", 512),
        "log_group" => chars("_-/.#", 512),
        "external_id" => value.len() >= 2 && chars("+=,.@:/-_", 1224),
        "key_arn" => {
            value.starts_with("arn:") && value.contains(":kms:") && value.contains(":key/")
        }
        "role_arn" => {
            value.starts_with("arn:") && value.contains(":iam::") && value.contains(":role/")
        }
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        let what = PARAMETERS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, d)| *d)
            .unwrap_or("a name");
        Err(format!("params.{name} '{value}' is not a {what}"))
    }
}

/// The ARN partition of a region.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

fn doc(statements: Vec<Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// The Lambda basic-execution statements, scoped to the function log groups of one account and
/// region.
fn lambda_logs(p: &Params) -> Vec<Value> {
    vec![
        json!({"Sid": "CreateLogGroup", "Effect": "Allow", "Action": "logs:CreateLogGroup",
            "Resource": p.arn("logs", "*")}),
        json!({"Sid": "WriteLogs", "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": p.arn("logs", "log-group:/aws/lambda/*:*")}),
    ]
}

fn s3_read(p: &Params) -> Vec<Value> {
    let b = p.get("bucket");
    vec![
        json!({"Sid": "ListBucket", "Effect": "Allow", "Action": ["s3:ListBucket",
            "s3:GetBucketLocation"], "Resource": p.s3(b)}),
        json!({"Sid": "ReadObjects", "Effect": "Allow", "Action": "s3:GetObject",
            "Resource": p.s3(&format!("{b}/*"))}),
    ]
}

fn table_arns(p: &Params) -> Vec<String> {
    let t = p.get("table");
    vec![
        p.arn("dynamodb", &format!("table/{t}")),
        p.arn("dynamodb", &format!("table/{t}/index/*")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::security::grammar::{self, PolicyKind};

    fn params() -> BTreeMap<String, String> {
        [
            ("account", "123456789012"),
            ("region", "eu-west-1"),
            ("bucket", "my-data"),
            ("table", "orders"),
            ("queue", "jobs"),
            ("topic", "alerts"),
            (
                "key_arn",
                "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            ),
            ("secret", "prod/db"),
            ("log_group", "/app/web"),
            ("role_arn", "arn:aws:iam::123456789012:role/deployer"),
            ("trusted_account", "444455556666"),
            ("external_id", "ext-42"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn every_template_builds_valid_narrow_policy_json() {
        assert_eq!(TEMPLATES.len(), 20);
        let p = params();
        for t in TEMPLATES {
            let doc = t.build(&p).unwrap_or_else(|e| panic!("{}: {e}", t.name));
            let kind = match t.kind {
                TemplateKind::Permissions => PolicyKind::Identity,
                TemplateKind::Trust => PolicyKind::Trust,
            };
            grammar::parse(&doc.to_string(), kind, grammar::MANAGED_MAX)
                .unwrap_or_else(|e| panic!("{}: {e}\n{doc}", t.name));
            if kind == PolicyKind::Identity {
                assert!(grammar::wide_grants(&doc).is_empty(), "{} is wide", t.name);
            }
            for param in t.required {
                let mut without = p.clone();
                without.remove(*param);
                let e = t.build(&without).unwrap_err();
                assert!(e.contains(param), "{}: {e}", t.name);
            }
        }
    }

    #[test]
    fn resources_are_scoped_to_the_parameters() {
        let p = params();
        let s3 = find("s3-read-only").unwrap().build(&p).unwrap().to_string();
        assert!(
            s3.contains("arn:aws:s3:::my-data/*") && !s3.contains("\"*\""),
            "{s3}"
        );
        let ddb = find("lambda-dynamodb")
            .unwrap()
            .build(&p)
            .unwrap()
            .to_string();
        assert!(ddb.contains("arn:aws:dynamodb:eu-west-1:123456789012:table/orders"));
        let trust = find("cross-account-access").unwrap().build(&p).unwrap();
        assert_eq!(
            trust["Statement"][0]["Principal"]["AWS"],
            "arn:aws:iam::444455556666:root"
        );
        assert_eq!(
            trust["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
            "ext-42"
        );
        let mut cn = p.clone();
        cn.insert("region".into(), "cn-north-1".into());
        let logs = find("lambda-basic")
            .unwrap()
            .build(&cn)
            .unwrap()
            .to_string();
        assert!(logs.contains("arn:aws-cn:logs:cn-north-1:"), "{logs}");
    }

    #[test]
    fn wildcards_and_malformed_parameters_are_refused() {
        let mut p = params();
        p.insert("bucket".into(), "*".into());
        let e = find("s3-read-only").unwrap().build(&p).unwrap_err();
        assert!(e.contains("wildcard"), "{e}");
        let mut p = params();
        p.insert("account".into(), "12345".into());
        assert!(
            find("lambda-basic")
                .unwrap()
                .build(&p)
                .unwrap_err()
                .contains("12-digit")
        );
        assert!(find("admin").err().unwrap().contains("lambda-basic"));
    }
}
