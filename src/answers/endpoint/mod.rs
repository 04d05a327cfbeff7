//! Answers from any JSON-over-HTTP API described in a TOML file (`--endpoint FILE`, SPEC §5b):
//! the URL, method and headers, a JSON body whose string values are templates over the question,
//! and RFC 6901 pointers to the answer, the token counts and an error field.
//!
//! A config is checked whole when it is read, so every problem (an unknown placeholder, a missing
//! key, a pointer that is not RFC 6901, an unset environment variable) is reported, with the file
//! and key, before any request is sent.

//!
//! The files: `config` reads and checks the TOML file, `template` holds the placeholders and
//! renders them for one question, `reply` reads the answer, token counts and error out of a
//! reply; this file has the checked config and builds each request.

mod config;
mod reply;
mod template;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use reqwest::Method;
use serde_json::{Map, Value};

use super::openai::GenParams;
use crate::dataset::Question;
use crate::error::{Diagnostic, Error, Result};
use crate::http::{Outgoing, Secret, Shown};

pub use config::parse;
use template::{Text, Tpl};

/// RFC 6901 pointers into the reply.
#[derive(Debug, Clone, PartialEq)]
struct Pointers {
    answer: String,
    prompt_tokens: Option<String>,
    completion_tokens: Option<String>,
    error: Option<String>,
    finish_reason: Option<String>,
}

/// A checked endpoint file.
#[derive(Clone)]
pub struct EndpointConfig {
    /// The file it was read from, for messages.
    pub path: PathBuf,
    /// SHA-256 of the file: a changed file changes results, so resuming compares it.
    pub sha256: String,
    method: Method,
    url: Text,
    headers: Vec<(String, Text)>,
    body: Option<Tpl>,
    response: Pointers,
    /// The values of the `env.*` placeholders, read once when the file is checked.
    env: BTreeMap<String, Secret>,
}

impl std::fmt::Debug for EndpointConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointConfig")
            .field("path", &self.path)
            .field("method", &self.method)
            .field("env", &self.env.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// What a request is rendered from.
pub struct Vars<'a> {
    pub q: &'a Question,
    pub model: &'a str,
    pub params: &'a GenParams,
    pub sample: u32,
}

/// Reads and checks an endpoint file; every problem is reported at once, with the file and key.
pub fn load(path: &Path) -> Result<EndpointConfig> {
    let bytes = crate::jsonl::read_file(path)?;
    let text = String::from_utf8(bytes.clone()).map_err(|_| {
        Error::Input(vec![Diagnostic::error(
            path,
            None,
            None,
            "the file is not UTF-8",
        )])
    })?;
    parse(path, &text, &bytes, &|name| std::env::var(name).ok())
}

impl EndpointConfig {
    /// Every secret the config sends, for redaction.
    pub fn secrets(&self) -> Vec<Secret> {
        self.env.values().cloned().collect()
    }

    /// The environment variables the config reads, for messages about refused credentials.
    pub fn env_names(&self) -> Vec<String> {
        self.env.keys().cloned().collect()
    }

    /// The URL with secrets redacted: it names the service in messages and `run.json`.
    pub fn shown_url(&self) -> String {
        self.string(&self.url, None, false, true)
    }

    /// The request for one sample of a question.
    pub fn request(&self, v: &Vars<'_>) -> Outgoing {
        let url = self.string(&self.url, Some(v), true, true);
        let shown_url = self.string(&self.url, Some(v), false, true);
        let mut headers = Vec::with_capacity(self.headers.len());
        let mut shown_headers = Vec::with_capacity(self.headers.len());
        for (k, t) in &self.headers {
            headers.push((k.clone(), Secret::new(self.string(t, Some(v), true, false))));
            shown_headers.push((k.clone(), self.string(t, Some(v), false, false)));
        }
        let empty = || Value::Object(Map::new());
        let body = self
            .body
            .as_ref()
            .and_then(|b| self.render(b, v, true))
            .unwrap_or_else(empty);
        let shown_body = self
            .body
            .as_ref()
            .and_then(|b| self.render(b, v, false))
            .unwrap_or_else(empty);
        let shown = Shown {
            method: self.method.clone(),
            url: shown_url,
            headers: shown_headers,
            body: shown_body,
        };
        Outgoing {
            method: self.method.clone(),
            url,
            headers,
            body,
            cache_scope: Outgoing::scope_of(&shown),
            shown,
            model: v.model.to_string(),
            gateway_errors: false,
        }
    }
}

#[cfg(test)]
mod tests;
