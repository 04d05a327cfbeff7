//! Placeholders (`{{prompt}}`, `{{env.NAME}}`, …) and templates over them: the URL, headers and
//! JSON body rendered for one sample of a question, with secrets revealed or redacted.

use serde_json::Value;

use super::{EndpointConfig, Vars};

/// What a placeholder names.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Var {
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
pub(super) const NAMES: &str =
    "prompt, prompt_en, messages, system, language, domain, question_id, sample, \
                     model, temperature, max_tokens, seed, env.NAME";

impl Var {
    /// The placeholder a name stands for, if any.
    pub(super) fn parse(name: &str) -> Option<Var> {
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
pub(super) enum Piece {
    Text(String),
    Var(Var),
}

/// A template string: text with placeholders.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Text(pub Vec<Piece>);

/// A JSON body template.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tpl {
    /// A number, boolean or anything without placeholders.
    Literal(Value),
    /// A value that is exactly one placeholder: it takes that value's JSON type.
    Exact(Var),
    /// A string with text around its placeholders.
    Str(Text),
    Array(Vec<Tpl>),
    Object(Vec<(String, Tpl)>),
}

impl EndpointConfig {
    /// A value of the body template; `None` for a placeholder with no value, whose key is then
    /// left out (an unset `--temperature`, say, is not sent at all).
    pub(super) fn render(&self, t: &Tpl, v: &Vars<'_>, reveal: bool) -> Option<Value> {
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
    pub(super) fn string(&self, t: &Text, v: Option<&Vars<'_>>, reveal: bool, url: bool) -> String {
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
}

/// A placeholder as written between the braces.
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
