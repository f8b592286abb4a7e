//! The account's security posture in one answer, from what the caller can read: the root
//! user's MFA and keys, users without MFA, old or unused access keys, the password policy,
//! Security Hub and GuardDuty (on or off, findings by severity), KMS keys without rotation,
//! public buckets and security groups open to the world on sensitive ports. Each finding
//! carries its evidence, a severity and the action that fixes it; a part that cannot be read
//! is reported as unreadable, never as clean.

use std::{collections::BTreeMap, fmt::Debug};

use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::types::SummaryKeyType;
use aws_smithy_async::future::pagination_stream::PaginationStream;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{guardduty, hub::FindingFilter, kms, users};
use crate::{
    error::ToolError,
    output::Output,
    registry::{Access, Action, Cx, Risk, Target},
    tools::{
        network::security::world_open,
        s3::{self, Listed, Task, bounded, policy::exposure},
    },
};

/// The most users, keys, buckets or groups one posture call looks at per part.
pub const SCAN_CAP: usize = 500;

/// Ports that should never be open to the internet, and what listens there.
const SENSITIVE_PORTS: &[(i32, &str)] = &[
    (21, "FTP"),
    (22, "SSH"),
    (23, "Telnet"),
    (135, "Windows RPC"),
    (139, "NetBIOS"),
    (445, "SMB"),
    (1433, "SQL Server"),
    (1521, "Oracle"),
    (2375, "Docker API"),
    (2379, "etcd"),
    (3306, "MySQL"),
    (3389, "RDP"),
    (5432, "PostgreSQL"),
    (5601, "Kibana"),
    (5984, "CouchDB"),
    (6379, "Redis"),
    (9042, "Cassandra"),
    (9200, "Elasticsearch"),
    (11211, "Memcached"),
    (27017, "MongoDB"),
];

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetSecurityPosture {
    /// Default 90; 0 counts every key
    pub max_key_age_days: Option<i64>,
}

impl Action for GetSecurityPosture {
    const NAME: &'static str = "get_security_posture";
    const DESCRIPTION: &'static str = "Findings with evidence and fixes";
    const ACCESS: Access = Access::Read;
    const RISK: Risk = Risk::Low;

    fn validate(&self) -> Result<(), ToolError> {
        if self
            .max_key_age_days
            .is_some_and(|d| !(0..=3650).contains(&d))
        {
            return Err(ToolError::invalid("max_key_age_days must be 0 to 3650"));
        }
        Ok(())
    }

    fn targets(&self) -> Vec<Target> {
        Vec::new()
    }

    async fn run(self, cx: &Cx<'_>) -> Result<Output, ToolError> {
        let max_age = self.max_key_age_days.unwrap_or(90);
        let (root, users, password, hub, guard, keys, buckets, groups) = tokio::join!(
            root(cx),
            users_part(cx, max_age),
            password_policy(cx),
            security_hub(cx),
            guardduty_part(cx),
            kms_keys(cx),
            public_buckets(cx),
            open_groups(cx),
        );
        let mut findings: Vec<Value> = Vec::new();
        let mut facts = serde_json::Map::new();
        let mut unreadable: Vec<Value> = Vec::new();
        for (name, part) in [
            ("root user", root),
            ("IAM users", users),
            ("password policy", password),
            ("Security Hub", hub),
            ("GuardDuty", guard),
            ("KMS keys", keys),
            ("S3 buckets", buckets),
            ("security groups", groups),
        ] {
            match part {
                Ok(p) => {
                    findings.extend(p.findings);
                    facts.insert(name.into(), p.facts);
                }
                Err(e) => unreadable.push(json!({"part": name, "error": e.to_json()})),
            }
        }
        findings.sort_by_key(|f| std::cmp::Reverse(rank(f["severity"].as_str().unwrap_or(""))));
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for f in &findings {
            *counts
                .entry(f["severity"].as_str().unwrap_or("low"))
                .or_default() += 1;
        }
        let mut summary = if findings.is_empty() {
            "No posture findings in what could be read.".to_string()
        } else {
            let by: Vec<String> = ["critical", "high", "medium", "low"]
                .iter()
                .filter_map(|s| counts.get(s).map(|n| format!("{n} {s}")))
                .collect();
            format!("{} finding(s): {}.", findings.len(), by.join(", "))
        };
        if !unreadable.is_empty() {
            let parts: Vec<&str> = unreadable
                .iter()
                .filter_map(|u| u["part"].as_str())
                .collect();
            summary.push_str(&format!(
                " Could not read: {} (not checked, not clean).",
                parts.join(", ")
            ));
        }
        Ok(Output::new(
            summary,
            json!({
                "findings": findings,
                "counts": counts,
                "checked": facts,
                "unreadable": unreadable,
                "region": cx.region(),
            }),
        ))
    }
}

/// What one part found, and what it saw.
struct Part {
    findings: Vec<Value>,
    facts: Value,
}

fn finding(check: &str, severity: &str, resource: &str, evidence: String, fix: Value) -> Value {
    json!({"check": check, "severity": severity, "resource": resource, "evidence": evidence,
           "fix": fix})
}

fn action(tool: &str, action: &str, arguments: Value) -> Value {
    json!({"tool": tool, "action": action, "arguments": arguments})
}

fn manual(how: &str) -> Value {
    json!({"how": how})
}

fn rank(severity: &str) -> u8 {
    match severity {
        "critical" => 3,
        "high" => 2,
        "medium" => 1,
        _ => 0,
    }
}

async fn root(cx: &Cx<'_>) -> Result<Part, ToolError> {
    let client: aws_sdk_iam::Client = cx.client().await;
    let s = client
        .get_account_summary()
        .send()
        .await
        .map_err(ToolError::from_sdk)?;
    let map = s.summary_map().cloned().unwrap_or_default();
    let mfa = map.get(&SummaryKeyType::AccountMfaEnabled).copied();
    let keys = map.get(&SummaryKeyType::AccountAccessKeysPresent).copied();
    let mut findings = Vec::new();
    if mfa == Some(0) {
        findings.push(finding(
            "root_mfa",
            "critical",
            "root user",
            "GetAccountSummary: AccountMFAEnabled is 0".into(),
            manual("sign in as the root user and assign an MFA device (IAM > Security credentials); no API can do this"),
        ));
    }
    if keys.is_some_and(|k| k > 0) {
        findings.push(finding(
            "root_access_keys",
            "critical",
            "root user",
            "GetAccountSummary: AccountAccessKeysPresent is 1".into(),
            manual(
                "sign in as the root user and delete its access keys (IAM > Security credentials)",
            ),
        ));
    }
    Ok(Part {
        findings,
        facts: json!({"mfa_enabled": mfa.map(|m| m > 0), "access_keys": keys.map(|k| k > 0)}),
    })
}

async fn users_part(cx: &Cx<'_>, max_age: i64) -> Result<Part, ToolError> {
    let client: aws_sdk_iam::Client = cx.client().await;
    let (list, capped) = first(
        client.list_users().into_paginator().items().send(),
        SCAN_CAP,
    )
    .await?;
    let names: Vec<String> = list.iter().map(|u| u.user_name().to_string()).collect();
    let details = users::user_details(&client, &names).await;
    let mut findings = Vec::new();
    let (mut keys, mut failed) = (0, Vec::new());
    for (name, d) in names.iter().zip(details) {
        let d = match d {
            Ok(d) => d,
            Err(e) => {
                failed.push(json!({"user_name": name, "error": e.to_json()}));
                continue;
            }
        };
        if d["console_access"] == json!(true) && d["mfa_devices"] == json!(0) {
            findings.push(finding(
                "user_without_mfa",
                "high",
                name,
                format!("{name} has a console password and no MFA device"),
                manual("assign an MFA device to the user (IAM console or aws iam enable-mfa-device), or remove its console access"),
            ));
        }
        for k in d["access_keys"].as_array().into_iter().flatten() {
            keys += 1;
            if k["status"] != "Active" {
                continue;
            }
            let id = k["access_key_id"].as_str().unwrap_or("?");
            let age = k["age_days"].as_i64().unwrap_or(0);
            let mut why = Vec::new();
            if max_age == 0 || age > max_age {
                why.push(format!("created {age} day(s) ago"));
            }
            match k["days_since_use"].as_i64() {
                Some(n) if n > max_age => why.push(format!("unused for {n} day(s)")),
                None if !why.is_empty() => why.push("never used".into()),
                _ => {}
            }
            if !why.is_empty() {
                findings.push(finding(
                    "old_or_unused_access_key",
                    "medium",
                    &format!("{name}/{id}"),
                    format!("access key {id} of {name}: {}", why.join(", ")),
                    action(
                        "aws_security",
                        "deactivate_access_key",
                        json!({"user_name": name, "access_key_id": id}),
                    ),
                ));
            }
        }
    }
    if !failed.is_empty() {
        return Err(ToolError::Aws {
            code: "PartiallyUnreadable".into(),
            message: format!("{} user(s) could not be read: {failed:?}", failed.len()),
            hint: Some("the credentials need iam:List*/Get* on users".into()),
        });
    }
    Ok(Part {
        findings,
        facts: json!({"users": names.len(), "access_keys": keys, "max_key_age_days": max_age,
                      "capped_at": capped.then_some(SCAN_CAP)}),
    })
}

async fn password_policy(cx: &Cx<'_>) -> Result<Part, ToolError> {
    let client: aws_sdk_iam::Client = cx.client().await;
    let fix = manual(
        "set a policy with aws iam update-account-password-policy: minimum length 14, all \
         character classes, reuse prevention 24",
    );
    let p = match client.get_account_password_policy().send().await {
        Ok(p) => p,
        Err(e) => {
            return match ToolError::from_sdk(e) {
                e if e.aws_code() == Some("NoSuchEntity") => Ok(Part {
                    findings: vec![finding(
                        "password_policy",
                        "medium",
                        "account",
                        "the account has no password policy (IAM's weak default applies)".into(),
                        fix,
                    )],
                    facts: json!({"present": false}),
                }),
                e => Err(e),
            };
        }
    };
    let Some(p) = p.password_policy() else {
        return Ok(Part {
            findings: Vec::new(),
            facts: json!({"present": false}),
        });
    };
    let mut weak = Vec::new();
    if p.minimum_password_length().unwrap_or(0) < 14 {
        weak.push(format!(
            "minimum length {} (< 14)",
            p.minimum_password_length().unwrap_or(0)
        ));
    }
    for (on, what) in [
        (p.require_symbols(), "symbols"),
        (p.require_numbers(), "numbers"),
        (p.require_uppercase_characters(), "upper case"),
        (p.require_lowercase_characters(), "lower case"),
    ] {
        if !on {
            weak.push(format!("{what} not required"));
        }
    }
    if p.password_reuse_prevention().unwrap_or(0) < 24 {
        weak.push("reuse prevention below 24".into());
    }
    let findings = if weak.is_empty() {
        Vec::new()
    } else {
        vec![finding(
            "password_policy",
            "low",
            "account",
            format!("weak password policy: {}", weak.join(", ")),
            fix,
        )]
    };
    Ok(Part {
        findings,
        facts: json!({"present": true, "minimum_length": p.minimum_password_length()}),
    })
}

async fn security_hub(cx: &Cx<'_>) -> Result<Part, ToolError> {
    let client: aws_sdk_securityhub::Client = cx.client().await;
    if let Err(e) = client.describe_hub().send().await {
        return match ToolError::from_sdk(e) {
            e if e.aws_code() == Some("InvalidAccessException") => Ok(Part {
                findings: vec![finding(
                    "security_hub_off",
                    "medium",
                    "Security Hub",
                    "DescribeHub: the account is not subscribed in this region".into(),
                    action("aws_security", "enable_security_hub", json!({})),
                )],
                facts: json!({"enabled": false}),
            }),
            e => Err(e),
        };
    }
    let filter = FindingFilter {
        statuses: vec!["NEW", "NOTIFIED"],
        ..FindingFilter::default()
    };
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut token: Option<String> = None;
    let mut more = false;
    for page in 0..10 {
        let resp = client
            .get_findings()
            .filters(filter.to_aws())
            .max_results(100)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(ToolError::from_sdk)?;
        for f in resp.findings().iter().filter(|f| filter.matches(f)) {
            let label = f
                .severity()
                .and_then(|s| s.label())
                .map(|l| l.as_str())
                .unwrap_or("UNKNOWN");
            *counts.entry(label.to_string()).or_default() += 1;
        }
        token = resp
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            break;
        }
        more = page == 9;
    }
    Ok(Part {
        findings: Vec::new(),
        facts: json!({"enabled": true, "active_findings_by_severity": counts,
                      "counts_are_lower_bounds": more}),
    })
}

async fn guardduty_part(cx: &Cx<'_>) -> Result<Part, ToolError> {
    let client: aws_sdk_guardduty::Client = cx.client().await;
    let status = guardduty::status(&client).await?;
    let findings = if status["enabled"] == json!(true) {
        Vec::new()
    } else {
        vec![finding(
            "guardduty_off",
            "medium",
            "GuardDuty",
            match &status["detector_id"] {
                Value::Null => "no GuardDuty detector in this region".to_string(),
                id => format!("detector {} is disabled", id.as_str().unwrap_or("?")),
            },
            action("aws_security", "enable_guardduty", json!({})),
        )]
    };
    Ok(Part {
        findings,
        facts: status,
    })
}

async fn kms_keys(cx: &Cx<'_>) -> Result<Part, ToolError> {
    let client: aws_sdk_kms::Client = cx.client().await;
    let (list, capped) =
        first(client.list_keys().into_paginator().items().send(), SCAN_CAP).await?;
    let ids: Vec<String> = list
        .iter()
        .filter_map(|k| k.key_id().map(str::to_string))
        .collect();
    let described = kms::describe_keys(&client, &ids).await;
    let mut findings = Vec::new();
    let mut customer = 0;
    for (id, d) in ids.iter().zip(described) {
        let d = d?;
        if d["manager"] == "CUSTOMER" {
            customer += 1;
        }
        if d["rotation_enabled"] == json!(false) && d["state"] == "Enabled" {
            findings.push(finding(
                "kms_key_without_rotation",
                "low",
                id,
                format!("customer-managed symmetric key {id} has automatic rotation off"),
                action("aws_security", "enable_key_rotation", json!({"key_id": id})),
            ));
        }
    }
    Ok(Part {
        findings,
        facts: json!({"keys": ids.len(), "customer_managed": customer,
                      "capped_at": capped.then_some(SCAN_CAP)}),
    })
}

async fn public_buckets(cx: &Cx<'_>) -> Result<Part, ToolError> {
    let client: aws_sdk_s3::Client = cx.client().await;
    let resp = client
        .list_buckets()
        .max_buckets(SCAN_CAP as i32)
        .send()
        .await
        .map_err(s3::s3_error)?;
    let items: Vec<Listed> = resp
        .buckets()
        .iter()
        .map(|b| {
            (
                b.name().unwrap_or_default().to_string(),
                b.bucket_region().map(str::to_string),
            )
        })
        .collect();
    let regions = s3::bucket_regions(&client, &items).await;
    let mut scans: Vec<Task<Result<s3::policy::Exposure, ToolError>>> = Vec::new();
    for ((name, _), region) in items.iter().zip(&regions) {
        let c = s3::client_for(cx, region.as_ref().ok().map(String::as_str)).await;
        scans.push(Box::pin(exposure(c, name.clone())));
    }
    let scans = bounded(scans, s3::PARALLEL).await;
    let mut findings = Vec::new();
    for ((name, _), scan) in items.iter().zip(scans) {
        let e = scan?;
        if e.public {
            findings.push(finding(
                "public_bucket",
                "high",
                name,
                format!("bucket {name} is public: {}", e.reasons.join("; ")),
                action(
                    "aws_s3",
                    "set_public_access_block",
                    json!({"bucket": name, "block_public_acls": true, "ignore_public_acls": true,
                           "block_public_policy": true, "restrict_public_buckets": true}),
                ),
            ));
        }
    }
    Ok(Part {
        findings,
        facts: json!({"buckets": items.len(),
                      "capped_at": resp.continuation_token().map(|_| SCAN_CAP),
                      "note": "the account-level public access block is not read"}),
    })
}

async fn open_groups(cx: &Cx<'_>) -> Result<Part, ToolError> {
    let client: aws_sdk_ec2::Client = cx.client().await;
    let (groups, capped) = first(
        client
            .describe_security_groups()
            .into_paginator()
            .items()
            .send(),
        SCAN_CAP,
    )
    .await?;
    let mut findings = Vec::new();
    for g in &groups {
        let id = g.group_id().unwrap_or_default();
        for p in g.ip_permissions() {
            let open: Vec<&str> = p
                .ip_ranges()
                .iter()
                .filter_map(|r| r.cidr_ip())
                .chain(p.ipv6_ranges().iter().filter_map(|r| r.cidr_ipv6()))
                .filter(|c| world_open(c).is_some())
                .collect();
            if open.is_empty() {
                continue;
            }
            let protocol = p.ip_protocol().unwrap_or("-1");
            let exposed: Vec<String> = if protocol == "-1" {
                vec!["all ports".into()]
            } else if protocol == "tcp" || protocol == "udp" || protocol == "6" || protocol == "17"
            {
                let (from, to) = (p.from_port().unwrap_or(0), p.to_port().unwrap_or(65535));
                SENSITIVE_PORTS
                    .iter()
                    .filter(|(port, _)| (from..=to).contains(port))
                    .map(|(port, name)| format!("{port} ({name})"))
                    .collect()
            } else {
                Vec::new()
            };
            if exposed.is_empty() {
                continue;
            }
            let (from, to) = (p.from_port(), p.to_port());
            let mut args = json!({"group_id": id, "protocol": match protocol {
                "-1" => "all", "6" => "tcp", "17" => "udp", other => other }});
            if protocol != "-1" {
                args["from_port"] = json!(from);
                args["to_port"] = json!(to);
            }
            args["cidr_blocks"] = json!(open);
            findings.push(finding(
                "security_group_open_to_world",
                "high",
                id,
                format!(
                    "{id} ({}) lets {} reach {}",
                    g.group_name().unwrap_or(""),
                    open.join(", "),
                    exposed.join(", ")
                ),
                action("aws_network", "revoke_security_group", args),
            ));
        }
    }
    Ok(Part {
        findings,
        facts: json!({"security_groups": groups.len(), "capped_at": capped.then_some(SCAN_CAP)}),
    })
}

/// The first `cap` items of a paginator, and whether there were more.
async fn first<T, E, R>(
    mut stream: PaginationStream<Result<T, SdkError<E, R>>>,
    cap: usize,
) -> Result<(Vec<T>, bool), ToolError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: Debug + Send,
{
    let mut out = Vec::new();
    while let Some(item) = stream.next().await {
        if out.len() == cap {
            return Ok((out, true));
        }
        out.push(item.map_err(ToolError::from_sdk)?);
    }
    Ok((out, false))
}
