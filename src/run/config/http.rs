//! HTTP behaviour as plain options: checked into a [`ClientConfig`] and recorded in `run.json`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::http::{Cache, ClientConfig};

/// How requests are sent: operational settings that may change between a run and its
/// resumption without changing results. The defaults are the command line's.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpOptions {
    /// Requests in flight at once, model and judge together.
    pub concurrency: u32,
    /// Whole-request timeout in seconds (the connect timeout is 10 s).
    pub timeout_s: f64,
    /// Retries of transport and HTTP failures per request.
    pub max_retries: u32,
    /// Backoff base in milliseconds: the n-th retry waits up to base·2ⁿ, at most 60 s.
    pub retry_base_ms: u64,
    /// Requests per minute, at most.
    pub rpm: Option<f64>,
    /// Tokens per minute, at most (estimated before sending).
    pub tpm: Option<f64>,
    /// Response cache directory (`None`: the platform cache dir).
    pub cache_dir: Option<PathBuf>,
    /// Neither read nor write the response cache.
    pub no_cache: bool,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            concurrency: 16,
            timeout_s: 300.0,
            max_retries: 6,
            retry_base_ms: 1000,
            rpm: None,
            tpm: None,
            cache_dir: None,
            no_cache: false,
        }
    }
}

impl HttpOptions {
    /// The client settings these options describe; a timeout or rate that is not a positive
    /// number is a usage error.
    pub fn client_config(&self) -> Result<ClientConfig> {
        if !(self.timeout_s.is_finite() && self.timeout_s > 0.0) {
            return Err(Error::Usage(
                "--timeout must be a positive number of seconds".into(),
            ));
        }
        for (name, v) in [("--rpm", self.rpm), ("--tpm", self.tpm)] {
            if v.is_some_and(|v| !(v.is_finite() && v > 0.0)) {
                return Err(Error::Usage(format!("{name} must be a positive number")));
            }
        }
        let cache = if self.no_cache {
            None
        } else {
            self.cache_dir
                .clone()
                .or_else(Cache::default_dir)
                .map(Cache::new)
        };
        Ok(ClientConfig {
            concurrency: self.concurrency as usize,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs_f64(self.timeout_s),
            max_retries: self.max_retries,
            retry_base: Duration::from_millis(self.retry_base_ms),
            retry_cap: Duration::from_secs(60),
            retry_after_cap: Duration::from_secs(600),
            rpm: self.rpm,
            tpm: self.tpm,
            cache,
        })
    }

    /// Records these settings among a run's operational settings (`run.json`).
    pub fn record(&self, s: &mut BTreeMap<String, Value>) {
        s.insert("concurrency".into(), json!(self.concurrency));
        s.insert("timeout_s".into(), json!(self.timeout_s));
        s.insert("max_retries".into(), json!(self.max_retries));
        s.insert("rpm".into(), json!(self.rpm));
        s.insert("tpm".into(), json!(self.tpm));
        s.insert("cache".into(), json!(!self.no_cache));
    }
}
