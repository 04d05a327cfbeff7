//! One shared async HTTP client for a whole live run (SPEC §5): a single concurrency limit shared
//! by model and judge requests, timeouts, retries with exponential backoff and full jitter,
//! `Retry-After`, optional request and token rate limits, a run-wide pause when the server says
//! it is overloaded, a content-addressed response cache keyed without secrets, and API keys (and
//! other secrets) that never leave the request they are sent in.
//!
//! The client knows nothing about answers or verdicts: callers pass a `check` that turns a
//! response body into what they need, and only bodies that pass it are cached.

pub mod cache;
mod pace;
pub mod request;
pub mod secret;
mod send;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::RngExt;
use serde_json::Value;
use tokio::sync::Semaphore;

pub use cache::Cache;
use pace::Pacer;
pub use pace::StopHandle;
pub use request::{Outgoing, Shown};
pub use secret::{redact, Secret};
use send::Attempt;
pub use send::{parse_retry_after, server_message};

/// Where requests go and with which key.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The API's base URL, such as `https://api.openai.com/v1` (no trailing slash).
    pub base_url: String,
    /// The bearer token, if the server needs one (local servers usually do not).
    pub key: Option<Secret>,
    /// The environment variable the key came from, to name in messages.
    pub key_env: String,
}

impl Endpoint {
    /// An endpoint; a trailing slash on the base URL is dropped so URLs and cache keys agree.
    pub fn new(base_url: &str, key: Option<Secret>, key_env: &str) -> Self {
        Endpoint {
            base_url: base_url.trim_end_matches('/').to_string(),
            key,
            key_env: key_env.to_string(),
        }
    }

    /// `POST {base_url}/chat/completions`.
    pub fn chat_url(&self) -> String {
        format!("{}/chat/completions", self.base_url)
    }
}

/// How the client behaves. Everything here is operational: it may change between a run and its
/// resumption without changing results.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Requests in flight at once, model and judge together.
    pub concurrency: usize,
    pub connect_timeout: Duration,
    /// Whole-request timeout, body included.
    pub timeout: Duration,
    /// Retries of transport and HTTP failures per request (not counting the first attempt).
    pub max_retries: u32,
    /// The backoff base: the n-th retry waits a random time in [0, min(cap, base·2ⁿ)].
    pub retry_base: Duration,
    pub retry_cap: Duration,
    /// The longest `Retry-After` honoured.
    pub retry_after_cap: Duration,
    /// Requests per minute, if limited.
    pub rpm: Option<f64>,
    /// Tokens per minute (estimated before sending), if limited.
    pub tpm: Option<f64>,
    /// Response cache; `None` with `--no-cache`.
    pub cache: Option<Cache>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            concurrency: 16,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(300),
            max_retries: 6,
            retry_base: Duration::from_secs(1),
            retry_cap: Duration::from_secs(60),
            retry_after_cap: Duration::from_secs(600),
            rpm: None,
            tpm: None,
            cache: None,
        }
    }
}

/// Counters for progress displays and the run manifest.
#[derive(Debug, Default)]
pub struct Stats {
    /// HTTP requests sent (every attempt).
    pub sent: AtomicU64,
    /// Attempts that were retried.
    pub retries: AtomicU64,
    /// Requests answered from the cache.
    pub cache_hits: AtomicU64,
    /// Requests that failed for good (the item or verdict failed).
    pub failures: AtomicU64,
    /// 429 replies seen.
    pub rate_limited: AtomicU64,
}

impl Stats {
    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
}

/// Why a request produced no usable reply.
#[derive(Debug, Clone, PartialEq)]
pub enum CallError {
    /// The server refused the credentials (401/403): the whole run must stop.
    Credentials(String),
    /// This request failed for good (a 4xx such as 400/404/422, or retries ran out).
    Failed(String),
    /// The server answered, but `check` found the reply unusable (never cached); the body is
    /// kept for its token usage.
    Unusable { reason: String, body: Value },
    /// The run is stopping; the request was not (or no longer) sent.
    Stopped,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Credentials(m) | CallError::Failed(m) => f.write_str(m),
            CallError::Unusable { reason, .. } => f.write_str(reason),
            CallError::Stopped => f.write_str("stopped before the request finished"),
        }
    }
}

/// A usable reply.
#[derive(Debug, Clone)]
pub struct Reply<T> {
    pub value: T,
    /// The response body as JSON (already redacted).
    pub body: Value,
    /// Time from sending to the whole body, for the successful attempt; `None` from the cache.
    pub latency_ms: Option<f64>,
    pub cached: bool,
}

/// The shared client.
pub struct Client {
    http: reqwest::Client,
    config: ClientConfig,
    permits: Semaphore,
    /// No request starts before this instant: set when the server says it is overloaded, so the
    /// whole run backs off together instead of every task hammering the server.
    not_before: Mutex<Instant>,
    /// 429s in a row, run-wide; the run-wide pause grows with it and resets on a success.
    overload_streak: AtomicU64,
    requests: Pacer,
    tokens: Pacer,
    /// Every key in use, redacted from whatever the servers say.
    secrets: Vec<Secret>,
    pub stats: Arc<Stats>,
    pub stop: StopHandle,
    credentials_failed: AtomicBool,
}

impl Client {
    /// Builds the client. `secrets` are the keys of every endpoint the run uses.
    pub fn new(config: ClientConfig, secrets: Vec<Secret>) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .pool_max_idle_per_host(config.concurrency.max(1))
            .user_agent(concat!("kasauti/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Client {
            http,
            permits: Semaphore::new(config.concurrency.max(1)),
            not_before: Mutex::new(Instant::now()),
            overload_streak: AtomicU64::new(0),
            requests: Pacer::new(),
            tokens: Pacer::new(),
            secrets: secrets.into_iter().filter(|s| !s.is_empty()).collect(),
            stats: Arc::new(Stats::default()),
            stop: StopHandle::default(),
            credentials_failed: AtomicBool::new(false),
            config,
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Redacts every key from a server's text.
    pub fn redact(&self, s: &str) -> String {
        redact(s, &self.secrets)
    }

    /// The wait before retry number `n` (0-based): full jitter over an exponential ceiling.
    pub fn backoff(&self, n: u32) -> Duration {
        let ceiling = ceiling(self.config.retry_base, self.config.retry_cap, n);
        let nanos = ceiling.as_nanos().min(u64::MAX as u128) as u64;
        if nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(rand::rng().random_range(0..=nanos))
    }

    /// Sends a chat request (or answers it from the cache). `salt` joins the cache key (the
    /// sample index, so samples never collapse into one entry); `estimated_tokens` feeds `--tpm`.
    /// `check` turns the body into the caller's value; only bodies it accepts are cached.
    pub async fn chat<T>(
        &self,
        endpoint: &Endpoint,
        body: &Value,
        salt: &str,
        estimated_tokens: u64,
        check: impl Fn(&Value) -> Result<T, String>,
    ) -> Result<Reply<T>, CallError> {
        let req = Outgoing::openai(endpoint, body.clone());
        self.call(endpoint, &req, salt, estimated_tokens, check)
            .await
    }

    /// Sends any JSON request (or answers it from the cache), with every guarantee of [`chat`]:
    /// `endpoint` names the service and its credentials in messages; the cache key is the
    /// request's scope, model and redacted body with `salt`.
    ///
    /// [`chat`]: Client::chat
    pub async fn call<T>(
        &self,
        endpoint: &Endpoint,
        req: &Outgoing,
        salt: &str,
        estimated_tokens: u64,
        check: impl Fn(&Value) -> Result<T, String>,
    ) -> Result<Reply<T>, CallError> {
        let bytes = serde_json::to_vec(&req.body).map_err(|e| CallError::Failed(e.to_string()))?;
        // Hashing costs a few microseconds a request; without a cache there is no need.
        let key = match &self.config.cache {
            Some(_) => {
                // Keyed by the redacted body: a new secret must not orphan the cache, and no
                // secret may be derivable from a file name. Most bodies hold no secret, and
                // then the bytes already made serve.
                let shown;
                let keyed: &[u8] = if req.shown.body == req.body {
                    &bytes
                } else {
                    shown = serde_json::to_vec(&req.shown.body)
                        .map_err(|e| CallError::Failed(e.to_string()))?;
                    &shown
                };
                Some(cache::key(&req.cache_scope, &req.model, keyed, salt))
            }
            None => None,
        };
        if let (Some(cache), Some(key)) = (&self.config.cache, &key) {
            if let Some(v) = cache.get(key) {
                // A cached body that no longer passes the check (say, a stricter parser) is
                // simply asked again.
                if let Ok(value) = check(&v) {
                    self.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
                    return Ok(Reply {
                        value,
                        body: v,
                        latency_ms: None,
                        cached: true,
                    });
                }
            }
        }
        let mut retry = 0u32;
        loop {
            self.wait_turn(estimated_tokens).await?;
            let attempt = match self.permits.acquire().await {
                Ok(_permit) => {
                    // Another task may have hit a 429 while this one queued for a permit.
                    if self.pause_pending() {
                        continue;
                    }
                    if self.stop.is_stopped() {
                        return Err(CallError::Stopped);
                    }
                    self.stats.sent.fetch_add(1, Ordering::Relaxed);
                    self.send(endpoint, req, &bytes).await
                }
                Err(_) => return Err(CallError::Stopped),
            };
            match attempt {
                (Attempt::Ok(v), latency) => {
                    self.overload_streak.store(0, Ordering::Relaxed);
                    return match check(&v) {
                        Ok(value) => {
                            if let (Some(cache), Some(key)) = (&self.config.cache, &key) {
                                // A cache that cannot be written costs speed on a rerun, never
                                // results, so the run goes on.
                                let _ = cache.put(key, &v);
                            }
                            Ok(Reply {
                                value,
                                body: v,
                                latency_ms: Some(latency),
                                cached: false,
                            })
                        }
                        Err(why) => Err(CallError::Unusable {
                            reason: self.redact(&why),
                            body: v,
                        }),
                    };
                }
                (Attempt::Fail(msg), _) => {
                    self.stats.failures.fetch_add(1, Ordering::Relaxed);
                    return Err(CallError::Failed(msg));
                }
                (Attempt::Credentials(msg), _) => {
                    // Nothing else can succeed with a refused key: stop everything at once.
                    self.credentials_failed.store(true, Ordering::Relaxed);
                    self.stop.stop();
                    return Err(CallError::Credentials(msg));
                }
                (
                    Attempt::Retry {
                        reason,
                        retry_after,
                        overloaded,
                    },
                    _,
                ) => {
                    if retry >= self.config.max_retries {
                        self.stats.failures.fetch_add(1, Ordering::Relaxed);
                        return Err(CallError::Failed(format!(
                            "gave up after {} retries: {reason}",
                            self.config.max_retries
                        )));
                    }
                    let retry_after = retry_after.map(|d| d.min(self.config.retry_after_cap));
                    let mut wait = self.backoff(retry);
                    if let Some(ra) = retry_after {
                        wait = wait.max(ra);
                    }
                    if overloaded {
                        self.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
                        let streak = self.overload_streak.fetch_add(1, Ordering::Relaxed);
                        let pause = retry_after.unwrap_or_else(|| {
                            ceiling(
                                self.config.retry_base,
                                self.config.retry_cap,
                                streak.min(32) as u32,
                            ) / 2
                        });
                        self.pause_until(Instant::now() + pause);
                    }
                    self.stats.retries.fetch_add(1, Ordering::Relaxed);
                    retry += 1;
                    self.sleep(wait).await?;
                }
            }
        }
    }

    /// Whether 401/403 stopped the run.
    pub fn credentials_failed(&self) -> bool {
        self.credentials_failed.load(Ordering::Relaxed)
    }

    fn pause_until(&self, t: Instant) {
        let mut nb = match self.not_before.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if t > *nb {
            *nb = t;
        }
    }

    fn not_before(&self) -> Instant {
        match self.not_before.lock() {
            Ok(g) => *g,
            Err(p) => *p.into_inner(),
        }
    }

    fn pause_pending(&self) -> bool {
        self.not_before() > Instant::now()
    }

    /// Sleeps unless the run stops first.
    async fn sleep(&self, d: Duration) -> Result<(), CallError> {
        if self.stop.is_stopped() {
            return Err(CallError::Stopped);
        }
        if d.is_zero() {
            return Ok(());
        }
        tokio::select! {
            _ = tokio::time::sleep(d) => Ok(()),
            _ = self.stop.stopped() => Err(CallError::Stopped),
        }
    }

    /// Waits for the run-wide pause and the rate limits.
    async fn wait_turn(&self, estimated_tokens: u64) -> Result<(), CallError> {
        let mut at = Instant::now();
        if let Some(rpm) = self.config.rpm.filter(|r| *r > 0.0) {
            at = at.max(self.requests.book(Duration::from_secs_f64(60.0 / rpm)));
        }
        if let Some(tpm) = self.config.tpm.filter(|r| *r > 0.0) {
            let cost = Duration::from_secs_f64(60.0 * estimated_tokens.max(1) as f64 / tpm);
            at = at.max(self.tokens.book(cost));
        }
        loop {
            let target = at.max(self.not_before());
            let now = Instant::now();
            if target <= now {
                if self.stop.is_stopped() {
                    return Err(CallError::Stopped);
                }
                return Ok(());
            }
            self.sleep(target - now).await?;
        }
    }
}

/// min(cap, base·2ⁿ).
fn ceiling(base: Duration, cap: Duration, n: u32) -> Duration {
    let factor = 2f64.powi(n.min(62) as i32);
    Duration::from_secs_f64((base.as_secs_f64() * factor).min(cap.as_secs_f64()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after(" 1.5 ", now),
            Some(Duration::from_millis(1500))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn backoff_stays_under_its_ceiling_and_spreads() {
        let c = Client::new(
            ClientConfig {
                retry_base: Duration::from_millis(100),
                retry_cap: Duration::from_millis(1000),
                ..Default::default()
            },
            vec![],
        )
        .unwrap();
        for n in 0..10 {
            let ceil = ceiling(Duration::from_millis(100), Duration::from_millis(1000), n);
            assert_eq!(
                ceil,
                Duration::from_millis((100u64 << n).min(1000)),
                "ceiling of retry {n}"
            );
            let waits: Vec<Duration> = (0..200).map(|_| c.backoff(n)).collect();
            assert!(waits.iter().all(|w| *w <= ceil));
            // Full jitter: waits cover the range rather than cluster at the ceiling.
            let below_half = waits.iter().filter(|w| **w < ceil / 2).count();
            assert!((40..=160).contains(&below_half), "{below_half} of 200");
        }
    }

    #[test]
    fn server_messages() {
        assert_eq!(
            server_message(r#"{"error": {"message": "model  not\nfound", "type": "x"}}"#),
            "model not found"
        );
        assert_eq!(server_message(r#"{"error": "bad"}"#), "bad");
        assert_eq!(server_message("plain text"), "plain text");
        assert_eq!(server_message(""), "(empty body)");
    }

    #[test]
    fn pacer_spaces_bookings() {
        let p = Pacer::new();
        let a = p.book(Duration::from_millis(100));
        let b = p.book(Duration::from_millis(100));
        let c = p.book(Duration::from_millis(100));
        assert!(b - a >= Duration::from_millis(100));
        assert!(c - b >= Duration::from_millis(100));
    }
}
