//! The IAM policy grammar, checked before any policy reaches AWS, and what a policy grants that
//! the guardrails must see: every action, `iam:*`, `iam:PassRole` on every role, a trust that
//! anyone or another account can use. Pure functions over `serde_json::Value`.

use serde_json::Value;

/// Which grammar a document follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// Attached to a user, group or role (managed or inline): no Principal, a Resource.
    Identity,
    /// A role's trust (assume-role) policy: a Principal, no Resource.
    Trust,
}

/// The most characters (whitespace left out) AWS takes for a managed policy.
pub const MANAGED_MAX: usize = 6144;
/// For a role's inline policies, all together.
pub const INLINE_MAX: usize = 10_240;
/// For a trust policy, at the highest quota AWS grants.
pub const TRUST_MAX: usize = 4096;

const STATEMENT_KEYS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];
const PRINCIPAL_KEYS: &[&str] = &["AWS", "Service", "Federated", "CanonicalUser"];

/// AWS managed policies that grant (nearly) everything, by name.
const WIDE_MANAGED: &[(&str, &str)] = &[
    ("AdministratorAccess", "every action on every resource"),
    (
        "PowerUserAccess",
        "every action outside IAM and Organizations on every resource",
    ),
    (
        "IAMFullAccess",
        "iam:* (full control of IAM, a path to administrator)",
    ),
];

/// Parses a policy document given as text and checks it against the grammar.
pub fn parse(text: &str, kind: PolicyKind, max: usize) -> Result<Value, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
    check(&doc, kind)?;
    let size = text.chars().filter(|c| !c.is_whitespace()).count();
    if size > max {
        return Err(format!(
            "it is {size} characters without whitespace and AWS takes at most {max}; split it"
        ));
    }
    Ok(doc)
}

/// Checks a document against the IAM policy grammar: Version, a non-empty Statement, and in
/// each statement Effect, exactly one of Action/NotAction, Resource/NotResource for identity
/// policies or Principal/NotPrincipal for trust policies, and a well-formed Condition.
pub fn check(doc: &Value, kind: PolicyKind) -> Result<(), String> {
    let Some(obj) = doc.as_object() else {
        return Err("it must be a JSON object with Version and Statement".into());
    };
    for key in obj.keys() {
        if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
            return Err(format!(
                "unknown top-level key \"{key}\" (Version, Id, Statement)"
            ));
        }
    }
    match obj.get("Version").and_then(Value::as_str) {
        Some("2012-10-17" | "2008-10-17") => {}
        Some(v) => return Err(format!("Version must be \"2012-10-17\", not \"{v}\"")),
        None => return Err("Version is missing; use \"2012-10-17\"".into()),
    }
    let list = match obj.get("Statement") {
        None => return Err("Statement is missing".into()),
        Some(Value::Array(list)) => list.iter().collect::<Vec<_>>(),
        Some(one @ Value::Object(_)) => vec![one],
        Some(_) => return Err("Statement must be an object or a list of objects".into()),
    };
    if list.is_empty() {
        return Err("Statement is empty".into());
    }
    let mut sids: Vec<&str> = Vec::new();
    for (n, s) in list.iter().enumerate() {
        let label = label(s, n);
        let Some(st) = s.as_object() else {
            return Err(format!("statement {label} is not an object"));
        };
        if let Some(key) = st.keys().find(|k| !STATEMENT_KEYS.contains(&k.as_str())) {
            return Err(format!("statement {label} has unknown key \"{key}\""));
        }
        if let Some(sid) = st.get("Sid") {
            let Some(sid) = sid.as_str() else {
                return Err(format!("statement {label}: Sid must be a string"));
            };
            if kind == PolicyKind::Identity && !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(format!(
                    "statement {label}: Sid may hold only letters and digits"
                ));
            }
            if sids.contains(&sid) {
                return Err(format!("Sid \"{sid}\" is used twice"));
            }
            sids.push(sid);
        }
        match st.get("Effect").and_then(Value::as_str) {
            Some("Allow" | "Deny") => {}
            _ => {
                return Err(format!(
                    "statement {label} needs Effect \"Allow\" or \"Deny\""
                ));
            }
        }
        let action = one_of(st, "Action", "NotAction", &label)?;
        for a in strings(action, &label, "Action")? {
            if !is_action(a) {
                return Err(format!(
                    "statement {label}: action \"{a}\" is not \"*\" or service:Action (e.g. \
                     s3:GetObject)"
                ));
            }
        }
        match kind {
            PolicyKind::Identity => {
                if st.contains_key("Principal") || st.contains_key("NotPrincipal") {
                    return Err(format!(
                        "statement {label}: Principal belongs in trust and resource policies, \
                         not in a policy attached to a role, user or group"
                    ));
                }
                let resource = one_of(st, "Resource", "NotResource", &label)?;
                for r in strings(resource, &label, "Resource")? {
                    if r != "*" && !(r.starts_with("arn:") && r.matches(':').count() >= 5) {
                        return Err(format!(
                            "statement {label}: resource \"{r}\" is not \"*\" or an ARN \
                             (arn:partition:service:region:account:resource)"
                        ));
                    }
                }
            }
            PolicyKind::Trust => {
                if st.contains_key("Resource") || st.contains_key("NotResource") {
                    return Err(format!(
                        "statement {label}: a trust policy takes no Resource (the role is the \
                         resource)"
                    ));
                }
                check_principal(one_of(st, "Principal", "NotPrincipal", &label)?, &label)?;
            }
        }
        if let Some(c) = st.get("Condition") {
            check_condition(c, &label)?;
        }
    }
    Ok(())
}

/// Why an identity policy is a wide grant, one reason per statement: every action, `iam:*`,
/// or `iam:PassRole` on every role. Empty when it is not.
pub fn wide_grants(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for (n, s) in statements(doc).iter().enumerate() {
        if s.get("Effect").and_then(Value::as_str) != Some("Allow") {
            continue;
        }
        let label = label(s, n);
        let every_resource =
            s.get("NotResource").is_some() || list(s.get("Resource")).contains(&"*");
        if let Some(not) = s.get("NotAction") {
            out.push(format!(
                "statement {label} allows every action except {} (NotAction)",
                list(Some(not)).join(", ")
            ));
            continue;
        }
        let actions: Vec<String> = list(s.get("Action"))
            .iter()
            .map(|a| a.to_ascii_lowercase())
            .collect();
        if actions.iter().any(|a| a == "*" || a == "*:*") {
            out.push(if every_resource {
                format!(
                    "statement {label} allows every action on every resource \
                     (AdministratorAccess-like)"
                )
            } else {
                format!("statement {label} allows every action (\"*\")")
            });
            continue;
        }
        if actions.iter().any(|a| a == "iam:*") {
            out.push(format!(
                "statement {label} allows iam:* (full control of IAM, a path to administrator)"
            ));
            continue;
        }
        let pass_role = actions
            .iter()
            .any(|a| wildcard_match(a, "iam:passrole") && a.starts_with("iam:"));
        if pass_role && every_resource {
            out.push(format!(
                "statement {label} allows iam:PassRole on every role (\"*\"), so any role can \
                 be handed to a service"
            ));
        }
    }
    out
}

/// Why an AWS managed policy ARN is a wide grant (AdministratorAccess, PowerUserAccess,
/// IAMFullAccess), if it is one.
pub fn wide_managed(arn: &str) -> Option<String> {
    let (_, name) = arn.split_once(":aws:policy/")?;
    let name = name.rsplit('/').next().unwrap_or(name);
    WIDE_MANAGED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, what)| format!("the AWS managed policy {n} grants {what}"))
}

/// Who a trust policy lets assume the role when that is risky: anyone (`*`), or named
/// accounts, which are other accounts unless they are the role's own.
pub fn trust_grants(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for (n, s) in statements(doc).iter().enumerate() {
        if s.get("Effect").and_then(Value::as_str) != Some("Allow") {
            continue;
        }
        let label = label(s, n);
        if s.get("NotPrincipal").is_some() {
            out.push(format!(
                "trust statement {label} lets everyone outside NotPrincipal assume the role"
            ));
            continue;
        }
        let Some(p) = s.get("Principal") else {
            continue;
        };
        let conditioned = if s.get("Condition").is_some() {
            " (subject to its Condition)"
        } else {
            ""
        };
        let aws: Vec<&str> = match p {
            Value::String(star) if star == "*" => vec!["*"],
            Value::Object(m) => list(m.get("AWS")),
            _ => Vec::new(),
        };
        if aws.contains(&"*") {
            out.push(format!(
                "trust statement {label} lets any AWS principal assume the role{conditioned}"
            ));
            continue;
        }
        let mut accounts: Vec<String> = aws.iter().filter_map(|p| account_of(p)).collect();
        accounts.sort();
        accounts.dedup();
        if !accounts.is_empty() {
            out.push(format!(
                "trust statement {label} lets account(s) {} assume the role (another account \
                 unless it is this one){conditioned}",
                accounts.join(", ")
            ));
        }
    }
    out
}

/// The account of an AWS principal: an account id, or the account field of an ARN.
pub fn account_of(principal: &str) -> Option<String> {
    if principal.len() == 12 && principal.chars().all(|c| c.is_ascii_digit()) {
        return Some(principal.to_string());
    }
    let account = principal.strip_prefix("arn:")?.split(':').nth(3)?;
    (!account.is_empty()).then(|| account.to_string())
}

/// A document's statements (a single statement object counts as one).
pub fn statements(doc: &Value) -> Vec<&Value> {
    match doc.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    }
}

fn label(s: &Value, n: usize) -> String {
    match s.get("Sid").and_then(Value::as_str) {
        Some(sid) if !sid.is_empty() => format!("\"{sid}\""),
        _ => format!("#{}", n + 1),
    }
}

fn list(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn one_of<'a>(
    st: &'a serde_json::Map<String, Value>,
    a: &str,
    b: &str,
    label: &str,
) -> Result<&'a Value, String> {
    match (st.get(a), st.get(b)) {
        (Some(v), None) | (None, Some(v)) => Ok(v),
        (Some(_), Some(_)) => Err(format!("statement {label} has both {a} and {b}; keep one")),
        (None, None) => Err(format!("statement {label} needs {a} (or {b})")),
    }
}

fn strings<'a>(v: &'a Value, label: &str, what: &str) -> Result<Vec<&'a str>, String> {
    let bad = || format!("statement {label}: {what} must be a string or a list of strings");
    match v {
        Value::String(s) => Ok(vec![s.as_str()]),
        Value::Array(items) if !items.is_empty() => {
            items.iter().map(|i| i.as_str().ok_or_else(bad)).collect()
        }
        Value::Array(_) => Err(format!("statement {label}: {what} is an empty list")),
        _ => Err(bad()),
    }
}

fn is_action(a: &str) -> bool {
    if a == "*" {
        return true;
    }
    let Some((service, name)) = a.split_once(':') else {
        return false;
    };
    !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '*')
        && !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?' || c == '-' || c == '_')
}

fn check_principal(p: &Value, label: &str) -> Result<(), String> {
    match p {
        Value::String(s) if s == "*" => Ok(()),
        Value::Object(m) if !m.is_empty() => {
            for (k, v) in m {
                if !PRINCIPAL_KEYS.contains(&k.as_str()) {
                    return Err(format!(
                        "statement {label}: principal type \"{k}\" is not one of AWS, Service, \
                         Federated, CanonicalUser"
                    ));
                }
                strings(v, label, &format!("Principal.{k}"))?;
            }
            Ok(())
        }
        _ => Err(format!(
            "statement {label}: Principal must be \"*\" or an object such as {{\"Service\": \
             \"lambda.amazonaws.com\"}}"
        )),
    }
}

/// `{"Operator": {"key": value | [values]}}`, operators as AWS spells them (an optional
/// `ForAllValues:` / `ForAnyValue:` prefix and `IfExists` suffix).
fn check_condition(c: &Value, label: &str) -> Result<(), String> {
    let Some(ops) = c.as_object().filter(|o| !o.is_empty()) else {
        return Err(format!(
            "statement {label}: Condition must be an object of operators, e.g. \
             {{\"StringEquals\": {{\"aws:SourceAccount\": \"123456789012\"}}}}"
        ));
    };
    for (op, keys) in ops {
        let bare = op
            .strip_prefix("ForAllValues:")
            .or_else(|| op.strip_prefix("ForAnyValue:"))
            .unwrap_or(op);
        if bare.is_empty() || !bare.chars().all(|ch| ch.is_ascii_alphabetic()) {
            return Err(format!(
                "statement {label}: \"{op}\" is not a condition operator (e.g. StringEquals)"
            ));
        }
        let Some(keys) = keys.as_object().filter(|k| !k.is_empty()) else {
            return Err(format!(
                "statement {label}: Condition operator {op} needs an object of condition keys"
            ));
        };
        for (key, value) in keys {
            let scalar = |v: &Value| v.is_string() || v.is_number() || v.is_boolean();
            let ok = match value {
                Value::Array(items) => !items.is_empty() && items.iter().all(scalar),
                v => scalar(v),
            };
            if !ok {
                return Err(format!(
                    "statement {label}: condition key {key} under {op} needs a value or a \
                     non-empty list of values"
                ));
            }
        }
    }
    Ok(())
}

/// Whether `pattern` (IAM wildcards `*` and `?`, already lowercase) matches `text`.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn doc(statement: Value) -> Value {
        json!({"Version": "2012-10-17", "Statement": [statement]})
    }

    #[test]
    fn the_grammar_is_checked() {
        let ok = doc(
            json!({"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject"],
            "Resource": "arn:aws:s3:::b/*",
            "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}),
        );
        assert_eq!(check(&ok, PolicyKind::Identity), Ok(()));
        let bad = [
            (json!([]), "JSON object"),
            (json!({"Statement": []}), "Version is missing"),
            (
                json!({"Version": "2012-10-17", "Statement": []}),
                "Statement is empty",
            ),
            (
                doc(json!({"Effect": "Allow", "Action": "s3:GetObject"})),
                "needs Resource",
            ),
            (
                doc(json!({"Effect": "Permit", "Action": "s3:GetObject", "Resource": "*"})),
                "Effect",
            ),
            (
                doc(json!({"Effect": "Allow", "Action": "GetObject", "Resource": "*"})),
                "service:Action",
            ),
            (
                doc(json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "bucket"})),
                "an ARN",
            ),
            (
                doc(
                    json!({"Effect": "Allow", "Action": "s3:*", "NotAction": "s3:Get*",
                    "Resource": "*"}),
                ),
                "both Action and NotAction",
            ),
            (
                doc(
                    json!({"Effect": "Allow", "Principal": "*", "Action": "s3:*",
                    "Resource": "*"}),
                ),
                "Principal belongs",
            ),
            (
                doc(json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                    "Condition": {"StringEquals": "x"}})),
                "condition keys",
            ),
            (
                doc(json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                    "Condition": {"StringEquals": {"aws:SourceIp": []}}})),
                "non-empty list",
            ),
            (
                doc(json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Extra": 1})),
                "unknown key",
            ),
        ];
        for (d, want) in bad {
            let e = check(&d, PolicyKind::Identity).unwrap_err();
            assert!(e.contains(want), "{d}: {e}");
        }
        let trust = doc(json!({"Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}));
        assert_eq!(check(&trust, PolicyKind::Trust), Ok(()));
        let with_resource = doc(json!({"Effect": "Allow", "Principal": "*",
            "Action": "sts:AssumeRole", "Resource": "*"}));
        assert!(
            check(&with_resource, PolicyKind::Trust)
                .unwrap_err()
                .contains("no Resource")
        );
        let no_principal = doc(json!({"Effect": "Allow", "Action": "sts:AssumeRole"}));
        assert!(
            check(&no_principal, PolicyKind::Trust)
                .unwrap_err()
                .contains("needs Principal")
        );
        let big = doc(json!({"Effect": "Allow", "Action": "s3:GetObject",
            "Resource": (0..400).map(|i| format!("arn:aws:s3:::bucket-{i}/*")).collect::<Vec<_>>()}));
        assert!(
            parse(&big.to_string(), PolicyKind::Identity, MANAGED_MAX)
                .unwrap_err()
                .contains("at most 6144")
        );
    }

    #[test]
    fn wide_grants_are_found() {
        let admin = doc(json!({"Effect": "Allow", "Action": "*", "Resource": "*"}));
        assert!(wide_grants(&admin)[0].contains("AdministratorAccess-like"));
        let iam = doc(json!({"Sid": "Iam", "Effect": "Allow", "Action": ["IAM:*"],
            "Resource": "arn:aws:iam::123456789012:role/x"}));
        assert!(wide_grants(&iam)[0].contains("\"Iam\" allows iam:*"));
        let pass = doc(json!({"Effect": "Allow", "Action": "iam:Pass*", "Resource": "*"}));
        assert!(wide_grants(&pass)[0].contains("iam:PassRole on every role"));
        let not_action = doc(json!({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}));
        assert!(wide_grants(&not_action)[0].contains("except iam:*"));
        // Narrow grants, PassRole on one role, and Deny statements are not wide.
        for d in [
            doc(json!({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b"})),
            doc(json!({"Effect": "Allow", "Action": "iam:PassRole",
                "Resource": "arn:aws:iam::123456789012:role/app"})),
            doc(json!({"Effect": "Deny", "Action": "*", "Resource": "*"})),
            doc(json!({"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"})),
        ] {
            assert!(wide_grants(&d).is_empty(), "{d}");
        }
        assert!(
            wide_managed("arn:aws:iam::aws:policy/AdministratorAccess")
                .unwrap()
                .contains("every action")
        );
        assert!(wide_managed("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess").is_none());
        assert!(wide_managed("arn:aws:iam::123456789012:policy/AdministratorAccess").is_none());
    }

    #[test]
    fn risky_trusts_are_found() {
        let anyone = doc(json!({"Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": "sts:AssumeRole"}));
        assert!(trust_grants(&anyone)[0].contains("any AWS principal"));
        let other = doc(json!({"Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam::444455556666:root", "111122223333"]},
            "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "x"}}}));
        let why = &trust_grants(&other)[0];
        assert!(why.contains("111122223333, 444455556666"), "{why}");
        assert!(why.contains("subject to its Condition"), "{why}");
        let service = doc(json!({"Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}));
        assert!(trust_grants(&service).is_empty());
    }

    #[test]
    fn wildcards_match_like_iam() {
        assert!(wildcard_match("iam:pass*", "iam:passrole"));
        assert!(wildcard_match("iam:p?ssrole", "iam:passrole"));
        assert!(wildcard_match("*", "iam:passrole"));
        assert!(!wildcard_match("iam:get*", "iam:passrole"));
    }
}
