//! Answers from any JSON-over-HTTP API described in a TOML file (`--endpoint FILE`, SPEC §5b):
//! the URL, method and headers, a JSON body whose string values are templates over the question,
//! and RFC 6901 pointers to the answer, the token counts and an error field.
//!
//! A config is checked whole when it is read, so every problem (an unknown placeholder, a missing
//! key, a pointer that is not RFC 6901, an unset environment variable) is reported, with the file
//! and key, before any request is sent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use reqwest::Method;
use serde_json::{Map, Value};

use super::openai::{Completion, GenParams, Usage};
use crate::dataset::Question;
use crate::error::{Diagnostic, Error, Result};
use crate::http::{Outgoing, Secret, Shown};

/// What a placeholder names.
#[derive(Debug, Clone, PartialEq)]
enum Var {
    Prompt,
    PromptEn,
    Messages,
    System,
    Language,
    Domain,
    QuestionId,
    Sample,
    Model,
    Temperature,
    MaxTokens,
    Seed,
    Env(String),
}

/// The placeholder names, for messages.
const NAMES: &str = "prompt, prompt_en, messages, system, language, domain, question_id, sample, \
                     model, temperature, max_tokens, seed, env.NAME";

impl Var {
    fn parse(name: &str) -> Option<Var> {
        Some(match name {
            "prompt" => Var::Prompt,
            "prompt_en" => Var::PromptEn,
            "messages" => Var::Messages,
            "system" => Var::System,
            "language" => Var::Language,
            "domain" => Var::Domain,
            "question_id" => Var::QuestionId,
            "sample" => Var::Sample,
            "model" => Var::Model,
            "temperature" => Var::Temperature,
            "max_tokens" => Var::MaxTokens,
            "seed" => Var::Seed,
            _ => {
                let env = name.strip_prefix("env.")?;
                let ok = !env.is_empty()
                    && env.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !env.starts_with(|c: char| c.is_ascii_digit());
                return ok.then(|| Var::Env(env.to_string()));
            }
        })
    }
}

/// A piece of a string template.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Var(Var),
}

/// A template string: text with placeholders.
#[derive(Debug, Clone, PartialEq)]
struct Text(Vec<Piece>);

/// A JSON body template.
#[derive(Debug, Clone, PartialEq)]
enum Tpl {
    /// A number, boolean or anything without placeholders.
    Literal(Value),
    /// A value that is exactly one placeholder: it takes that value's JSON type.
    Exact(Var),
    /// A string with text around its placeholders.
    Str(Text),
    Array(Vec<Tpl>),
    Object(Vec<(String, Tpl)>),
}

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

    /// A value of the body template; `None` for a placeholder with no value, whose key is then
    /// left out (an unset `--temperature`, say, is not sent at all).
    fn render(&self, t: &Tpl, v: &Vars<'_>, reveal: bool) -> Option<Value> {
        match t {
            Tpl::Literal(x) => Some(x.clone()),
            Tpl::Exact(var) => self.value(var, v, reveal),
            Tpl::Str(text) => Some(Value::String(self.string(text, Some(v), reveal, false))),
            Tpl::Array(a) => Some(Value::Array(
                a.iter()
                    .map(|x| self.render(x, v, reveal).unwrap_or(Value::Null))
                    .collect(),
            )),
            Tpl::Object(o) => Some(Value::Object(
                o.iter()
                    .filter_map(|(k, x)| Some((k.clone(), self.render(x, v, reveal)?)))
                    .collect(),
            )),
        }
    }

    /// Renders a template string. Without `v` (naming the service before any question),
    /// placeholders other than `env.*` are shown as written.
    fn string(&self, t: &Text, v: Option<&Vars<'_>>, reveal: bool, url: bool) -> String {
        let mut out = String::new();
        for p in &t.0 {
            let var = match p {
                Piece::Text(s) => {
                    out.push_str(s);
                    continue;
                }
                Piece::Var(var) => var,
            };
            let val = match (v, var) {
                (_, Var::Env(_)) => self.env_value(var, reveal),
                (Some(v), _) => self.value(var, v, reveal),
                (None, _) => {
                    out.push_str(&format!("{{{{{}}}}}", var_name(var)));
                    continue;
                }
            };
            let s = match val {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s,
                Some(other) => other.to_string(),
            };
            // A value inside a URL is percent-encoded, so a prompt cannot break it; secrets are
            // inserted as they are (a key is usually a path segment or query value already).
            if url && !matches!(var, Var::Env(_)) {
                out.push_str(&percent_encode(&s));
            } else {
                out.push_str(&s);
            }
        }
        out
    }

    fn env_value(&self, var: &Var, reveal: bool) -> Option<Value> {
        let Var::Env(name) = var else {
            return None;
        };
        if !reveal {
            return Some(Value::String("[REDACTED]".into()));
        }
        self.env
            .get(name)
            .map(|s| Value::String(s.expose().to_string()))
    }

    fn value(&self, var: &Var, v: &Vars<'_>, reveal: bool) -> Option<Value> {
        let q = v.q;
        let p = v.params;
        match var {
            Var::Prompt => {
                let msgs = q.prompt.messages();
                let last = msgs
                    .iter()
                    .rev()
                    .find(|m| m.role == "user")
                    .or(msgs.last())
                    .map(|m| m.content.clone())
                    .unwrap_or_default();
                Some(Value::String(last))
            }
            Var::PromptEn => q.prompt_en.clone().map(Value::String),
            Var::Messages => serde_json::to_value(q.prompt.messages()).ok(),
            Var::System => p.system_prompt.clone().map(Value::String),
            Var::Language => Some(Value::String(q.language.clone())),
            Var::Domain => Some(Value::String(q.domain.clone())),
            Var::QuestionId => Some(Value::String(q.id.clone())),
            Var::Sample => Some(Value::from(v.sample)),
            Var::Model => Some(Value::String(v.model.to_string())),
            Var::Temperature => p
                .temperature
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number),
            Var::MaxTokens => p.max_tokens.map(Value::from),
            Var::Seed => p.seed_for(v.sample).map(Value::from),
            Var::Env(_) => self.env_value(var, reveal),
        }
    }

    /// Reads a reply: the error field first (present and not null: the item failed), then the
    /// answer, which must be a string, then the optional token counts and finish reason.
    pub fn parse_reply(&self, body: &Value) -> std::result::Result<Completion, String> {
        let r = &self.response;
        if let Some(ptr) = &r.error {
            match body.pointer(ptr) {
                None | Some(Value::Null) => {}
                Some(Value::String(s)) => {
                    return Err(format!("the reply's error field ({ptr}): {s}"));
                }
                Some(other) => {
                    return Err(format!(
                        "the reply's error field ({ptr}): {}",
                        crate::jsonl::short_json(other)
                    ))
                }
            }
        }
        let answer = match body.pointer(&r.answer) {
            Some(Value::String(s)) => s.clone(),
            found => {
                let what = match found {
                    None => "finds nothing",
                    Some(_) => "finds something that is not a string",
                };
                return Err(format!(
                    "the answer pointer {} {what} in the reply: {}",
                    r.answer,
                    start_of(body)
                ));
            }
        };
        let usage = self.usage(body);
        Ok(Completion {
            content: Some(answer),
            refusal: None,
            finish_reason: r
                .finish_reason
                .as_deref()
                .and_then(|p| body.pointer(p))
                .and_then(Value::as_str)
                .map(str::to_string),
            usage,
        })
    }

    /// The token counts of a reply, when the config points to them (also for unusable replies).
    pub fn usage(&self, body: &Value) -> Option<Usage> {
        let r = &self.response;
        let n = |ptr: &Option<String>| {
            ptr.as_deref().and_then(|p| body.pointer(p)).and_then(|v| {
                v.as_u64().or_else(|| {
                    v.as_f64()
                        .filter(|f| f.is_finite())
                        .map(|f| f.max(0.0) as u64)
                })
            })
        };
        let (pt, ct) = (n(&r.prompt_tokens), n(&r.completion_tokens));
        (pt.is_some() || ct.is_some()).then(|| Usage {
            prompt_tokens: pt.unwrap_or(0),
            completion_tokens: ct.unwrap_or(0),
        })
    }
}

fn var_name(v: &Var) -> String {
    match v {
        Var::Prompt => "prompt".into(),
        Var::PromptEn => "prompt_en".into(),
        Var::Messages => "messages".into(),
        Var::System => "system".into(),
        Var::Language => "language".into(),
        Var::Domain => "domain".into(),
        Var::QuestionId => "question_id".into(),
        Var::Sample => "sample".into(),
        Var::Model => "model".into(),
        Var::Temperature => "temperature".into(),
        Var::MaxTokens => "max_tokens".into(),
        Var::Seed => "seed".into(),
        Var::Env(n) => format!("env.{n}"),
    }
}

/// The first 200 bytes of a reply (cut at a character boundary), for messages.
fn start_of(body: &Value) -> String {
    let s = body.to_string();
    let mut end = s.len().min(200);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    if end < s.len() {
        format!("{}…", &s[..end])
    } else {
        s
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A question as the loader makes it (so the test does not depend on `Question`'s fields).
    fn question() -> Question {
        let line = json!({"id": "q1", "language": "hi", "domain": "history",
            "prompt": "बुखार में क्या करें?", "prompt_en": "What to do in a fever?",
            "rubric": [{"criterion": "Says to rest", "points": 1}]});
        let loaded = crate::dataset::load::load_from_bytes(
            vec![("q.jsonl".into(), format!("{line}\n").into_bytes())],
            Vec::new(),
        );
        let ds = loaded.into_dataset(false).unwrap().dataset;
        ds.questions[0].clone()
    }

    fn env(name: &str) -> Option<String> {
        (name == "RAG_KEY").then(|| "s3cret-value".to_string())
    }

    fn parse_str(text: &str) -> Result<EndpointConfig> {
        parse(Path::new("ep.toml"), text, text.as_bytes(), &env)
    }

    const GOOD: &str = r#"
url = "https://rag.example.com/v2/ask"
[headers]
"X-App-Key" = "{{env.RAG_KEY}}"
"X-Trace" = "kasauti {{question_id}}"
[request]
query = "{{prompt}}"
query_en = "{{prompt_en}}"
lang = "{{language}}"
history = "{{messages}}"
system = "{{system}}"
fixed = 3
options = { temperature = "{{temperature}}", session = "{{question_id}}-{{sample}}", key = "k={{env.RAG_KEY}}" }
[response]
answer = "/data/answer"
prompt_tokens = "/usage/in"
completion_tokens = "/usage/out"
error = "/error/message"
"#;

    #[test]
    fn renders_types_text_and_secrets() {
        let c = parse_str(GOOD).unwrap();
        let params = GenParams {
            temperature: Some(0.5),
            samples: 2,
            ..Default::default()
        };
        let q = question();
        let r = c.request(&Vars {
            q: &q,
            model: "my-rag",
            params: &params,
            sample: 1,
        });
        assert_eq!(r.method, Method::POST);
        assert_eq!(
            r.body,
            json!({"query": "बुखार में क्या करें?", "query_en": "What to do in a fever?",
                "lang": "hi", "history": [{"role": "user", "content": "बुखार में क्या करें?"}],
                "fixed": 3, "options": {"temperature": 0.5, "session": "q1-1",
                "key": "k=s3cret-value"}})
        );
        assert_eq!(r.shown.body["options"]["key"], "k=[REDACTED]");
        let shown = r.shown.to_string();
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("X-App-Key: [REDACTED]"), "{shown}");
        assert!(shown.contains("X-Trace: kasauti q1"), "{shown}");
        assert!(!r.cache_scope.contains("s3cret"));
        assert!(r
            .headers
            .iter()
            .any(|(k, v)| k == "X-App-Key" && v.expose() == "s3cret-value"));
        assert_eq!(c.secrets().len(), 1);
    }

    #[test]
    fn reads_replies() {
        let c = parse_str(GOOD).unwrap();
        let ok = c
            .parse_reply(
                &json!({"data": {"answer": "उत्तर"}, "usage": {"in": 7, "out": 2.0},
                "error": {"message": null}}),
            )
            .unwrap();
        assert_eq!(ok.content.as_deref(), Some("उत्तर"));
        assert_eq!(
            ok.usage,
            Some(Usage {
                prompt_tokens: 7,
                completion_tokens: 2
            })
        );
        let e = c
            .parse_reply(&json!({"error": {"message": "no documents"}}))
            .unwrap_err();
        assert!(
            e.contains("/error/message") && e.contains("no documents"),
            "{e}"
        );
        let long = "x".repeat(500);
        let e = c.parse_reply(&json!({"data": {"text": long}})).unwrap_err();
        assert!(e.contains("/data/answer finds nothing"), "{e}");
        assert!(e.len() < 320, "only the start of the reply: {e}");
        let e = c.parse_reply(&json!({"data": {"answer": 5}})).unwrap_err();
        assert!(e.contains("not a string"), "{e}");
    }

    fn problems(text: &str) -> String {
        match parse_str(text) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn bad_configs_name_file_and_key() {
        let e = problems("[response]\nanswer = \"/a\"\n");
        assert!(
            e.contains("ep.toml") && e.contains("`url`") && e.contains("missing"),
            "{e}"
        );
        let e = problems("url = \"http://x/\"\n");
        assert!(e.contains("`response.answer`"), "{e}");
        let e = problems("url = \"http://x/\"\n[response]\nprompt_tokens = \"/u\"\n");
        assert!(e.contains("`response.answer`"), "{e}");
        let e = problems(
            "url = \"http://x/\"\n[request]\nq = { text = \"{{promt}}\" }\n[response]\nanswer = \"/a\"\n",
        );
        assert!(
            e.contains("`request.q.text`") && e.contains("{{promt}}"),
            "{e}"
        );
        let e = problems("url = \"http://x/\"\n[response]\nanswer = \"data.answer\"\n");
        assert!(
            e.contains("`response.answer`") && e.contains("RFC 6901") && e.contains("/data/answer"),
            "{e}"
        );
        let e = problems("url = \"http://x/\"\n[response]\nanswer = \"/a~2\"\n");
        assert!(e.contains("RFC 6901"), "{e}");
        let e = problems(
            "url = \"http://x/\"\n[headers]\nAuthorization = \"Bearer {{env.NOT_SET}}\"\n[response]\nanswer = \"/a\"\n",
        );
        assert!(
            e.contains("`headers.Authorization`") && e.contains("NOT_SET") && e.contains("not set"),
            "{e}"
        );
        let e = problems("url = \"http://x/\"\n[response\nanswer = \"/a\"\n");
        assert!(e.contains("ep.toml:2") && e.contains("TOML"), "{e}");
        let e = problems("url = \"ftp://x/\"\n[response]\nanswer = \"/a\"\n");
        assert!(e.contains("`url`"), "{e}");
        let e = problems("url = \"http://x/\"\nmethod = \"GET\"\n[response]\nanswer = \"/a\"\n");
        assert!(e.contains("`method`"), "{e}");
        // Every problem at once.
        let e = problems("[request]\nq = \"{{nope}}\"\n[response]\nanswer = \"x\"\n");
        assert!(e.contains("3 error(s)"), "{e}");
    }

    #[test]
    fn the_examples_are_valid() {
        for (name, text) in [
            (
                "rag.toml",
                include_str!("../../examples/endpoints/rag.toml"),
            ),
            (
                "llama-cpp-completion.toml",
                include_str!("../../examples/endpoints/llama-cpp-completion.toml"),
            ),
        ] {
            let env = |n: &str| (n == "RAG_KEY").then(|| "k".to_string());
            if let Err(e) = parse(Path::new(name), text, text.as_bytes(), &env) {
                panic!("{name}: {e}");
            }
        }
    }

    #[test]
    fn urls_are_encoded_and_unset_values_left_out() {
        let c = parse_str(
            "url = \"http://x/ask?q={{prompt}}&k={{env.RAG_KEY}}\"\n[request]\nt = \"{{temperature}}\"\nm = \"{{max_tokens}}\"\ns = \"{{seed}}\"\n[response]\nanswer = \"\"\n",
        )
        .unwrap();
        let q = question();
        let p = GenParams {
            samples: 1,
            ..Default::default()
        };
        let r = c.request(&Vars {
            q: &q,
            model: "m",
            params: &p,
            sample: 0,
        });
        assert!(r.url.starts_with("http://x/ask?q=%E0%A4"), "{}", r.url);
        assert!(r.url.ends_with("&k=s3cret-value"));
        assert!(r.shown.url.ends_with("&k=[REDACTED]"));
        assert_eq!(r.body, json!({}));
        assert_eq!(c.shown_url(), "http://x/ask?q={{prompt}}&k=[REDACTED]");
        // The empty pointer is the whole reply.
        assert_eq!(
            c.parse_reply(&json!("plain")).unwrap().content.as_deref(),
            Some("plain")
        );
    }
}
