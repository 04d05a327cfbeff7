//! One attempt of a request: sending it, reading the whole body and classifying the outcome
//! (a usable reply, worth retrying, failed, or refused credentials), with the server's words.

use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use super::{Client, Endpoint, Outgoing};

/// What one attempt came to.
pub(super) enum Attempt {
    Ok(Value),
    /// Worth trying again; `retry_after` from the server, and whether the server said it was
    /// overloaded (429), which pauses the whole run.
    Retry {
        reason: String,
        retry_after: Option<Duration>,
        overloaded: bool,
    },
    Fail(String),
    Credentials(String),
}

impl Client {
    /// One attempt: send, read the whole body, classify.
    pub(super) async fn send(
        &self,
        endpoint: &Endpoint,
        out: &Outgoing,
        body: &[u8],
    ) -> (Attempt, f64) {
        let start = Instant::now();
        let mut req = self
            .http
            .request(out.method.clone(), &out.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_vec());
        for (name, value) in &out.headers {
            // A value that cannot go in a header (a template that inserted a line break, say)
            // fails this item at once: retrying cannot make it valid.
            match reqwest::header::HeaderValue::from_str(value.expose()) {
                Ok(v) => req = req.header(name.as_str(), v),
                Err(_) => {
                    return (
                        Attempt::Fail(format!(
                            "the header {name} cannot be sent: its value holds a control \
                             character such as a line break (move that value to the body)"
                        )),
                        ms(start),
                    )
                }
            }
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                return (
                    Attempt::Retry {
                        reason: self.redact(&transport_error(&e)),
                        retry_after: None,
                        overloaded: false,
                    },
                    ms(start),
                )
            }
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let bytes = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => {
                return (
                    Attempt::Retry {
                        reason: self.redact(&format!(
                            "HTTP {status}: the body could not be read ({})",
                            transport_error(&e)
                        )),
                        retry_after,
                        overloaded: status == 429,
                    },
                    ms(start),
                )
            }
        };
        let latency = ms(start);
        // Whatever the server sent back is scrubbed of keys before anything else sees it.
        let text = self.redact(&String::from_utf8_lossy(&bytes));
        let outcome = match status {
            200..=299 => match serde_json::from_str::<Value>(&text) {
                // Some gateways (OpenRouter, LiteLLM) report an upstream failure as a 200 whose
                // body is only an error object; like a 502, it is worth another try.
                Ok(v)
                    if out.gateway_errors
                        && v.get("choices").is_none()
                        && v.get("error").is_some_and(|e| !e.is_null()) =>
                {
                    Attempt::Retry {
                        reason: format!(
                            "HTTP {status} with an error body: {}",
                            server_message(&text)
                        ),
                        retry_after,
                        overloaded: false,
                    }
                }
                Ok(v) => Attempt::Ok(v),
                Err(e) => Attempt::Retry {
                    reason: format!(
                        "HTTP {status} with a body that is not JSON ({}): {}",
                        crate::jsonl::json_error(&e),
                        crate::jsonl::truncate(text.trim(), 200)
                    ),
                    retry_after: None,
                    overloaded: false,
                },
            },
            401 | 403 => Attempt::Credentials(credentials_message(
                endpoint,
                status,
                &server_message(&text),
            )),
            // 529 is Anthropic's "overloaded": load shedding, like a 429.
            408 | 429 | 500 | 502 | 503 | 504 | 529 => Attempt::Retry {
                reason: format!("HTTP {status}: {}", server_message(&text)),
                retry_after,
                // A 503 that says when to come back is the server shedding load, as a 429 is.
                overloaded: status == 429
                    || status == 529
                    || (status == 503 && retry_after.is_some()),
            },
            _ => Attempt::Fail(format!("HTTP {status}: {}", server_message(&text))),
        };
        (outcome, latency)
    }
}

/// What a 401/403 says: who refused, and where the credentials come from.
fn credentials_message(endpoint: &Endpoint, status: u16, said: &str) -> String {
    let hint = if endpoint.key_env.is_empty() {
        "The request carries no credentials; add them to the endpoint's headers.".to_string()
    } else {
        format!(
            "Check the API key in the environment variable {}{}.",
            endpoint.key_env,
            if endpoint.key.is_some() {
                ""
            } else {
                " (it is not set)"
            }
        )
    };
    format!(
        "{} refused the credentials (HTTP {status}): {said}. {hint}",
        endpoint.base_url
    )
}

fn ms(start: Instant) -> f64 {
    (start.elapsed().as_secs_f64() * 1e6).round() / 1e3
}

/// Describes a transport error without reqwest's URL noise where a clearer word exists.
fn transport_error(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the body was cut short"
    } else {
        "connection error"
    };
    let mut msg = format!("{kind}: {e}");
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(&format!(": {s}"));
        src = s.source();
    }
    msg
}

/// `Retry-After`: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
pub fn parse_retry_after(v: &str, now: SystemTime) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(1e9)));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The human part of an error body: OpenAI's `error.message`, a bare `error` or `message`
/// string, or the text itself, shortened.
pub fn server_message(text: &str) -> String {
    let msg = match serde_json::from_str::<Value>(text) {
        Ok(v) => v
            .pointer("/error/message")
            .or_else(|| v.get("error").filter(|e| e.is_string()))
            .or_else(|| v.get("message"))
            .or_else(|| v.get("detail"))
            .and_then(|m| m.as_str().map(str::to_string))
            .unwrap_or_else(|| text.to_string()),
        Err(_) => text.to_string(),
    };
    let msg = msg.split_whitespace().collect::<Vec<_>>().join(" ");
    if msg.is_empty() {
        "(empty body)".into()
    } else {
        crate::jsonl::truncate(&msg, 500)
    }
}
