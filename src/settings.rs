//! Run-time settings shared by the server and the CLI, from flags and environment.

use std::{path::PathBuf, time::Duration};

use crate::output::MAX_RESULT_BYTES;

/// How the server runs: where AWS is, what is exposed, and the safety knobs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Default region (`--region` / `AWS_REGION`); else the profile's region.
    pub region: Option<String>,
    /// Named profile (`--profile` / `AWS_PROFILE`); else the default chain.
    pub profile: Option<String>,
    /// Endpoint override for every service. `AWS_ENDPOINT_URL` works without it; this is for
    /// embedding and tests, where changing the process environment is not an option.
    pub endpoint_url: Option<String>,
    /// Only Read actions are exposed and allowed.
    pub read_only: bool,
    /// Actions may return stored secret values (`--allow-sensitive-data`).
    pub allow_sensitive_data: bool,
    /// Tools to register by toolset name; `None` registers all.
    pub toolsets: Option<Vec<String>>,
    /// Attempts per AWS call, first try included (standard retry mode with jittered backoff).
    pub max_attempts: u32,
    /// How long a confirmation token stays valid.
    pub confirm_ttl: Duration,
    /// Byte budget of one result.
    pub max_result_bytes: usize,
    /// The guardrails state file (`--state`); `None` uses the XDG state directory.
    pub state: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            region: None,
            profile: None,
            endpoint_url: None,
            read_only: false,
            allow_sensitive_data: false,
            toolsets: None,
            max_attempts: 3,
            confirm_ttl: Duration::from_secs(600),
            max_result_bytes: MAX_RESULT_BYTES,
            state: None,
        }
    }
}
