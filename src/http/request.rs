//! One request ready to send: what goes on the wire (which may hold secrets) and the same request
//! with every secret replaced by `[REDACTED]`, which is what the cache is keyed by and what a dry
//! run prints.

use reqwest::Method;
use serde_json::Value;

use super::{Endpoint, Secret};

/// A request as it may be shown: secrets replaced by `[REDACTED]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl std::fmt::Display for Shown {
    /// One line, like a curl command: `POST URL -H 'Name: value' … BODY`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.url)?;
        for (k, v) in &self.headers {
            write!(f, " -H '{k}: {}'", v.replace('\'', r"'\''"))?;
        }
        write!(f, " {}", self.body)
    }
}

/// A request ready to send. It has no `Debug`: the URL, headers and body as sent may hold
/// secrets, and only [`Outgoing::shown`] may ever be printed.
#[derive(Clone)]
pub struct Outgoing {
    pub method: Method,
    /// The URL as sent.
    pub url: String,
    /// Headers as sent besides `Content-Type: application/json`.
    pub headers: Vec<(String, Secret)>,
    /// The body as sent.
    pub body: Value,
    /// The same request with secrets redacted.
    pub shown: Shown,
    /// What, besides the model, body and salt, identifies the request in the cache: the base
    /// URL for the built-in APIs, the redacted method, URL and headers for endpoint files.
    pub cache_scope: String,
    /// The model name, part of the cache key.
    pub model: String,
    /// A 2xx reply that holds only an `error` object (no `choices`) is a gateway's upstream
    /// failure worth retrying, as OpenRouter and LiteLLM send; only for OpenAI-style APIs,
    /// since elsewhere an `error` field may be the application's answer that the item failed.
    pub gateway_errors: bool,
}

impl Outgoing {
    /// `POST {base_url}/chat/completions` with a bearer key, if there is one. Its cache key is
    /// the one kasauti has always used (base URL, model, body, salt), so caches carry over.
    pub fn openai(endpoint: &Endpoint, body: Value) -> Outgoing {
        let headers = endpoint
            .key
            .iter()
            .map(|k| {
                (
                    "Authorization".to_string(),
                    Secret::new(format!("Bearer {}", k.expose())),
                    "Bearer [REDACTED]".to_string(),
                )
            })
            .collect();
        let scope = endpoint.base_url.clone();
        Outgoing::post_json(endpoint.chat_url(), headers, body, scope, true)
    }

    /// A JSON `POST` to a built-in API. Each header is (name, value sent, value shown), the
    /// shown one redacted where the value is a secret; the model, part of the cache key, is the
    /// body's `model`.
    pub fn post_json(
        url: String,
        headers: Vec<(String, Secret, String)>,
        body: Value,
        cache_scope: String,
        gateway_errors: bool,
    ) -> Outgoing {
        let model = body
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let (headers, shown_headers) = headers
            .into_iter()
            .map(|(name, sent, shown)| ((name.clone(), sent), (name, shown)))
            .unzip();
        Outgoing {
            method: Method::POST,
            shown: Shown {
                method: Method::POST,
                url: url.clone(),
                headers: shown_headers,
                body: body.clone(),
            },
            url,
            headers,
            body,
            cache_scope,
            model,
            gateway_errors,
        }
    }

    /// The cache scope of a request that is not one of the built-in APIs: method, redacted URL
    /// and redacted headers (sorted, so their order in a file does not matter).
    pub fn scope_of(shown: &Shown) -> String {
        let mut headers: Vec<String> = shown
            .headers
            .iter()
            .map(|(k, v)| format!("{}: {v}", k.to_ascii_lowercase()))
            .collect();
        headers.sort();
        format!("{} {}\n{}", shown.method, shown.url, headers.join("\n"))
    }
}
