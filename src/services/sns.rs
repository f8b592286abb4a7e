//! SNS: notifications about approval requests.

use crate::error::ToolError;

/// Publishes one message and returns its message id.
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
