//! Page handling for list actions: `max_results` and `next_token` over AWS's own pagination.
//!
//! Our `next_token` wraps AWS's token together with a count of items to skip within that AWS
//! page. AWS itself never returns more than asked, so `skip` stays 0 there; emulators and a few
//! APIs ignore the page size, and then the skip keeps paging correct instead of dumping
//! everything at once.

use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_async::future::pagination_stream::PaginationStream;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};

use crate::{
    error::ToolError,
    output::{DEFAULT_PAGE, MAX_PAGE},
};

/// One page request, parsed from `max_results` and `next_token`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// Items to return at most.
    pub limit: usize,
    /// AWS's token for the page to fetch.
    pub aws_token: Option<String>,
    /// Items of that AWS page already returned.
    pub skip: usize,
}

#[derive(Serialize, Deserialize)]
struct Token {
    #[serde(rename = "t", skip_serializing_if = "Option::is_none")]
    aws: Option<String>,
    #[serde(rename = "s")]
    skip: usize,
}

const PREFIX: &str = "e1.";

impl PageRequest {
    pub fn new(max_results: Option<u32>, next_token: Option<&str>) -> Result<Self, ToolError> {
        let limit = match max_results {
            None => DEFAULT_PAGE,
            Some(0) => return Err(ToolError::invalid("max_results must be at least 1")),
            Some(n) => (n as usize).min(MAX_PAGE),
        };
        let (aws_token, skip) = match next_token {
            None => (None, 0),
            Some(t) => {
                let bad = || {
                    ToolError::invalid(
                        "next_token is not one this server returned; pass the next_token of the \
                         previous result unchanged, or omit it to start over",
                    )
                };
                let raw = t.strip_prefix(PREFIX).ok_or_else(bad)?;
                let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
                let token: Token = serde_json::from_slice(&bytes).map_err(|_| bad())?;
                (token.aws, token.skip)
            }
        };
        Ok(Self {
            limit,
            aws_token,
            skip,
        })
    }

    /// The page size to ask AWS for, kept inside the API's accepted range.
    pub fn aws_page_size(&self, min: usize, max: usize) -> i32 {
        (self.limit + self.skip).clamp(min, max) as i32
    }

    /// Cuts one AWS page down to this request and computes the token for what follows.
    pub fn finish<T>(&self, items: Vec<T>, aws_next: Option<String>) -> (Vec<T>, Option<String>) {
        let mut rest: Vec<T> = items.into_iter().skip(self.skip).collect();
        if rest.len() > self.limit {
            rest.truncate(self.limit);
            let token = encode(self.aws_token.clone(), self.skip + self.limit);
            return (rest, Some(token));
        }
        (rest, aws_next.map(|t| encode(Some(t), 0)))
    }
}

/// Every item of an SDK paginator's item stream, or the first AWS error as a tool error.
pub trait AllItems<T> {
    fn all(self) -> impl std::future::Future<Output = Result<Vec<T>, ToolError>> + Send;
}

impl<T, E, R> AllItems<T> for PaginationStream<Result<T, SdkError<E, R>>>
where
    T: Send,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send,
{
    async fn all(self) -> Result<Vec<T>, ToolError> {
        self.collect::<Result<Vec<T>, _>>()
            .await
            .map_err(ToolError::from_sdk)
    }
}

fn encode(aws: Option<String>, skip: usize) -> String {
    let json = serde_json::to_vec(&Token { aws, skip }).expect("token serialises");
    format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(json))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_through_an_oversized_aws_page() {
        let all: Vec<u32> = (0..12).collect();
        let first = PageRequest::new(Some(5), None).unwrap();
        let (items, next) = first.finish(all.clone(), None);
        assert_eq!(items, vec![0, 1, 2, 3, 4]);
        let second = PageRequest::new(Some(5), next.as_deref()).unwrap();
        let (items, next) = second.finish(all.clone(), None);
        assert_eq!(items, vec![5, 6, 7, 8, 9]);
        let third = PageRequest::new(Some(5), next.as_deref()).unwrap();
        let (items, next) = third.finish(all, None);
        assert_eq!(items, vec![10, 11]);
        assert_eq!(next, None);
    }

    #[test]
    fn passes_aws_tokens_through() {
        let req = PageRequest::new(None, None).unwrap();
        let (_, next) = req.finish(vec![1, 2], Some("aws-token".into()));
        let again = PageRequest::new(None, next.as_deref()).unwrap();
        assert_eq!(again.aws_token.as_deref(), Some("aws-token"));
        assert_eq!(again.skip, 0);
    }

    #[test]
    fn bounds_and_bad_tokens() {
        assert_eq!(PageRequest::new(Some(5000), None).unwrap().limit, MAX_PAGE);
        assert_eq!(PageRequest::new(None, None).unwrap().limit, DEFAULT_PAGE);
        assert!(PageRequest::new(Some(0), None).is_err());
        let err = PageRequest::new(None, Some("garbage")).unwrap_err();
        assert!(err.to_string().contains("next_token"));
    }
}
