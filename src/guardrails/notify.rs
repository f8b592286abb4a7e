//! Approval notifications: each approval event published to the configured SNS topic, with
//! what people decide on and how to decide.

use serde_json::json;

use super::{Guardrails, approvals, approvals::ApprovalRequest, environment::Environment, signing};
use crate::{
    aws::{At, AwsPool},
    error::ToolError,
};

impl Guardrails {
    /// Publishes an approval event to the configured SNS topic. A failed notification is logged
    /// and does not change the outcome of the call.
    pub async fn notify(&self, aws: &AwsPool, event: &str, req: &ApprovalRequest) {
        let Ok(Some(topic)) = self.store.run(|s| Ok(s.rules()?.topic.clone())).await else {
            return;
        };
        let env = req
            .call
            .environment
            .map(Environment::as_str)
            .unwrap_or("an unknown environment");
        let id = &req.id;
        // Where only signatures count, an unsigned vote is no way to approve.
        let approve_with =
            (!req.signed_approvals).then(|| format!("espada-aws approvals approve {id}"));
        let signed_note = if req.signed_approvals {
            ", signed votes only"
        } else {
            ""
        };
        let mut message = json!({
            "event": event,
            "summary": format!(
                "{} {} in {env} (risk {}), requested by {}: {} of {} approval(s){}",
                req.call.tool,
                req.call.action,
                req.call.risk.as_str(),
                req.requester,
                req.approvals,
                req.min_approvers,
                signed_note
            ),
            "approval_request_id": id,
            "status": req.status.as_str(),
            "tool": req.call.tool,
            "action": req.call.action,
            "environment": req.call.environment,
            "risk": req.call.risk,
            "requester": req.requester,
            "approvals": req.approvals,
            "min_approvers": req.min_approvers,
            "signed_approvals": req.signed_approvals,
            "expires_at": req.expires_at,
            // What people decide on: the call as it will run (redacted arguments, and the hash
            // that binds the real ones), where, and why.
            "plan": {
                "tool": req.call.tool,
                "action": req.call.action,
                "arguments": req.call.arguments,
                "arguments_sha256": req.args_hash,
                "account": req.call.context.account,
                "region": req.call.context.region,
                "profile": req.call.context.profile,
                "environment": req.call.environment,
                "risk": req.call.risk,
                "reason": req.call.reason,
                "change_request_id": req.call.change_request_id,
            },
            "review_with": format!("espada-aws approvals show {id}"),
            "approve_with": approve_with,
            "sign_with": format!("espada-aws approvals approve {id} --key ~/.ssh/id_ed25519"),
            "text_to_sign": format!(
                "espada-aws approvals show {id} --canonical > {id}.txt && ssh-keygen -Y sign -n \
                 {} -f ~/.ssh/id_ed25519 {id}.txt && espada-aws approvals approve {id} \
                 --signature {id}.txt.sig",
                signing::NAMESPACE
            ),
            "reject_with": format!("espada-aws approvals reject {id}"),
        });
        // A plan: every step as people approve it, with its risk flags and findings.
        if let Some(plan) = &req.call.plan {
            message["summary"] = json!(format!(
                "plan {} of {} step(s) in {env} (risk {}), requested by {}: {} of {} \
                 approval(s){signed_note}. Steps: {}",
                plan.id,
                plan.steps.len(),
                req.call.risk.as_str(),
                req.requester,
                req.approvals,
                req.min_approvers,
                approvals::steps_text(plan)
            ));
            message["plan"]["plan_id"] = json!(plan.id);
            message["plan"]["steps"] = json!(plan.steps);
        }
        let subject = format!(
            "espada-aws {event}: {} {} ({})",
            req.call.tool, req.call.action, req.id
        );
        let client = aws.client(At::home(topic_region(&topic)), None).await;
        if let Err(e) = publish(&client, &topic, &subject, &message.to_string()).await {
            tracing::warn!(topic, error = %e, "approval notification failed");
        }
    }
}

/// Publishes one message to an SNS topic and returns its message id.
pub async fn publish(
    client: &aws_sdk_sns::Client,
    topic_arn: &str,
    subject: &str,
    message: &str,
) -> Result<String, ToolError> {
    // SNS subjects are at most 100 ASCII characters.
    let subject: String = subject.chars().filter(char::is_ascii).take(100).collect();
    let out = client
        .publish()
        .topic_arn(topic_arn)
        .subject(subject)
        .message(message)
        .send()
        .await
        .map_err(ToolError::from_sdk)?;
    Ok(out.message_id().unwrap_or_default().to_string())
}

/// The region of a topic ARN (`arn:aws:sns:REGION:ACCOUNT:NAME`).
pub fn topic_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|r| !r.is_empty())
}
