//! Reading an endpoint file: its TOML checked whole, every problem reported with the key.

use std::collections::BTreeMap;
use std::path::Path;

use reqwest::Method;
use serde_json::Value;

use super::template::{Piece, Text, Tpl, Var, NAMES};
use super::{EndpointConfig, Pointers};
use crate::error::{Diagnostic, Error, Result};
use crate::http::Secret;

/// Parses a config's text; `env` looks environment variables up (tests pass their own).
pub fn parse(
    path: &Path,
    text: &str,
    bytes: &[u8],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<EndpointConfig> {
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        Error::Input(vec![Diagnostic::error(
            path,
            line,
            None,
            format!("not valid TOML: {}", e.message().trim()),
        )])
    })?;
    let mut p = Problems {
        path,
        diags: Vec::new(),
        env_names: Vec::new(),
    };
    for k in table.keys() {
        if !["url", "method", "headers", "request", "response"].contains(&k.as_str()) {
            p.err(
                k,
                "unknown key; expected url, method, headers, request or response",
            );
        }
    }
    let url = match table.get("url") {
        Some(toml::Value::String(s)) => p.text("url", s),
        Some(_) => {
            p.err("url", "must be a string");
            None
        }
        None => {
            p.err("url", "missing: the URL to send requests to is required");
            None
        }
    };
    let method = match table.get("method") {
        None => Some(Method::POST),
        Some(toml::Value::String(m)) => match m.to_ascii_uppercase().as_str() {
            "POST" => Some(Method::POST),
            "PUT" => Some(Method::PUT),
            "PATCH" => Some(Method::PATCH),
            _ => {
                p.err(
                    "method",
                    format!("`{m}`: expected POST, PUT or PATCH (the request has a JSON body)"),
                );
                None
            }
        },
        Some(_) => {
            p.err("method", "must be a string");
            None
        }
    };
    let mut headers = Vec::new();
    match table.get("headers") {
        None => {}
        Some(toml::Value::Table(h)) => {
            for (k, v) in h {
                let key = format!("headers.{}", quote_key(k));
                if reqwest::header::HeaderName::from_bytes(k.as_bytes()).is_err() {
                    p.err(&key, "not a valid HTTP header name");
                    continue;
                }
                if k.eq_ignore_ascii_case("content-type")
                    || k.eq_ignore_ascii_case("content-length")
                {
                    p.err(&key, "set by kasauti (the body is JSON); leave it out");
                    continue;
                }
                match v {
                    toml::Value::String(s) => {
                        if let Some(t) = p.text(&key, s) {
                            headers.push((k.clone(), t));
                        }
                    }
                    _ => p.err(&key, "a header value must be a string"),
                }
            }
        }
        Some(_) => p.err("headers", "must be a table of header names and values"),
    }
    let body = match table.get("request") {
        None => None,
        Some(v @ toml::Value::Table(_)) => p.tpl("request", v),
        Some(_) => {
            p.err("request", "must be a table: the JSON body of each request");
            None
        }
    };
    let response = match table.get("response") {
        Some(toml::Value::Table(r)) => {
            for k in r.keys() {
                if ![
                    "answer",
                    "prompt_tokens",
                    "completion_tokens",
                    "error",
                    "finish_reason",
                ]
                .contains(&k.as_str())
                {
                    p.err(
                        &format!("response.{}", quote_key(k)),
                        "unknown key; expected answer, prompt_tokens, completion_tokens, error \
                         or finish_reason",
                    );
                }
            }
            let mut ptr = |k: &str| match r.get(k) {
                None => None,
                Some(toml::Value::String(s)) => match check_pointer(s) {
                    Ok(()) => Some(s.clone()),
                    Err(why) => {
                        p.err(&format!("response.{k}"), why);
                        None
                    }
                },
                Some(_) => {
                    p.err(
                        &format!("response.{k}"),
                        "must be a JSON Pointer string such as \"/data/answer\"",
                    );
                    None
                }
            };
            let answer = ptr("answer");
            let prompt_tokens = ptr("prompt_tokens");
            let completion_tokens = ptr("completion_tokens");
            let error = ptr("error");
            let finish_reason = ptr("finish_reason");
            if r.get("answer").is_none() {
                p.err(
                    "response.answer",
                    "missing: the JSON Pointer to the answer text (such as \"/answer\") is required",
                );
            }
            answer.map(|answer| Pointers {
                answer,
                prompt_tokens,
                completion_tokens,
                error,
                finish_reason,
            })
        }
        Some(_) => {
            p.err("response", "must be a table of JSON Pointers");
            None
        }
        None => {
            p.err(
                "response.answer",
                "missing: a [response] table with `answer`, the JSON Pointer to the answer text, \
                 is required",
            );
            None
        }
    };
    let mut env_values = BTreeMap::new();
    let names = std::mem::take(&mut p.env_names);
    for (key, name) in names {
        if env_values.contains_key(&name) {
            continue;
        }
        match env(&name).filter(|v| !v.trim().is_empty()) {
            Some(v) => {
                if v.chars().any(|c| c.is_control()) {
                    p.err(
                        &key,
                        format!("the environment variable {name} holds a control character (a line break?)"),
                    );
                }
                env_values.insert(name, Secret::new(v));
            }
            None => p.err(
                &key,
                format!("the environment variable {name} (from {{{{env.{name}}}}}) is not set"),
            ),
        }
    }
    if !p.diags.is_empty() {
        return Err(Error::Input(p.diags));
    }
    let (Some(url), Some(method), Some(response)) = (url, method, response) else {
        return Err(Error::Input(vec![Diagnostic::error(
            path,
            None,
            None,
            "the endpoint file is incomplete",
        )]));
    };
    let config = EndpointConfig {
        path: path.to_path_buf(),
        sha256: crate::util::hex(&<sha2::Sha256 as sha2::Digest>::digest(bytes)),
        method,
        url,
        headers,
        body,
        response,
        env: env_values,
    };
    let sample = config.shown_url().replace("{{", "x").replace("}}", "x");
    match reqwest::Url::parse(&sample) {
        Ok(u) if u.scheme() == "http" || u.scheme() == "https" => Ok(config),
        _ => Err(Error::Input(vec![Diagnostic::error(
            path,
            None,
            Some("url"),
            format!(
                "\"{}\" is not an http(s) URL (such as \"https://rag.example.com/v2/ask\")",
                config.shown_url()
            ),
        )])),
    }
}

/// Collects a config's problems.
struct Problems<'a> {
    path: &'a Path,
    diags: Vec<Diagnostic>,
    /// (key, variable) of every `env.*` placeholder, to look up once the file is read.
    env_names: Vec<(String, String)>,
}

impl Problems<'_> {
    fn err(&mut self, key: &str, msg: impl Into<String>) {
        self.diags
            .push(Diagnostic::error(self.path, None, Some(key), msg));
    }

    /// Parses a template string, reporting unknown or malformed placeholders.
    fn text(&mut self, key: &str, s: &str) -> Option<Text> {
        let mut pieces = Vec::new();
        let mut rest = s;
        let mut ok = true;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                pieces.push(Piece::Text(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                self.err(key, format!("`{{{{` without a closing `}}}}` in \"{s}\""));
                return None;
            };
            let name = after[..end].trim();
            match Var::parse(name) {
                Some(v) => {
                    if let Var::Env(n) = &v {
                        self.env_names.push((key.to_string(), n.clone()));
                    }
                    pieces.push(Piece::Var(v));
                }
                None => {
                    self.err(
                        key,
                        format!("unknown placeholder {{{{{name}}}}}; known: {NAMES}"),
                    );
                    ok = false;
                }
            }
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_string()));
        }
        ok.then_some(Text(pieces))
    }

    /// Turns the `[request]` table into a body template.
    fn tpl(&mut self, key: &str, v: &toml::Value) -> Option<Tpl> {
        Some(match v {
            toml::Value::String(s) => {
                let t = self.text(key, s)?;
                match t.0.as_slice() {
                    [Piece::Var(v)] => Tpl::Exact(v.clone()),
                    _ if t.0.iter().all(|p| matches!(p, Piece::Text(_))) => {
                        Tpl::Literal(Value::String(s.clone()))
                    }
                    _ => Tpl::Str(t),
                }
            }
            toml::Value::Integer(i) => Tpl::Literal(Value::from(*i)),
            toml::Value::Float(f) => match serde_json::Number::from_f64(*f) {
                Some(n) => Tpl::Literal(Value::Number(n)),
                None => {
                    self.err(key, "a number JSON cannot hold (inf or nan)");
                    return None;
                }
            },
            toml::Value::Boolean(b) => Tpl::Literal(Value::Bool(*b)),
            toml::Value::Datetime(d) => Tpl::Literal(Value::String(d.to_string())),
            toml::Value::Array(a) => {
                let mut out = Vec::with_capacity(a.len());
                let mut ok = true;
                for (i, x) in a.iter().enumerate() {
                    match self.tpl(&format!("{key}[{i}]"), x) {
                        Some(t) => out.push(t),
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                Tpl::Array(out)
            }
            toml::Value::Table(t) => {
                let mut out = Vec::with_capacity(t.len());
                let mut ok = true;
                for (k, x) in t {
                    match self.tpl(&format!("{key}.{}", quote_key(k)), x) {
                        Some(t) => out.push((k.clone(), t)),
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                Tpl::Object(out)
            }
        })
    }
}

/// A TOML key as written in a dotted path: bare when it can be, quoted otherwise.
fn quote_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        format!("\"{}\"", k.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// Checks RFC 6901 syntax: empty (the whole reply) or `/`-separated tokens where `~` is
/// followed only by `0` or `1`.
fn check_pointer(s: &str) -> std::result::Result<(), String> {
    if !s.is_empty() && !s.starts_with('/') {
        return Err(format!(
            "\"{s}\" is not an RFC 6901 JSON Pointer: it must start with `/` (such as \"/{}\")",
            s.trim_start_matches(['.', '$']).replace('.', "/")
        ));
    }
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
            return Err(format!(
                "\"{s}\" is not an RFC 6901 JSON Pointer: `~` must be followed by 0 or 1 \
                 (`~0` is `~`, `~1` is `/`)"
            ));
        }
    }
    Ok(())
}
