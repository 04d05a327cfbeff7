//! Where a service is and how its key is found: defaults from the environment, and checks made
//! before any request.

use crate::answers::anthropic;
use crate::error::{Error, Result};
use crate::http::Secret;
use crate::judge::JudgeApi;

const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";

/// The default base URL of an API: its environment variable, else the public service.
pub(super) fn default_base_url(api: JudgeApi) -> String {
    match api {
        JudgeApi::OpenAi => {
            env_nonempty("OPENAI_BASE_URL").unwrap_or_else(|| OPENAI_BASE_URL.into())
        }
        JudgeApi::Anthropic => {
            env_nonempty("ANTHROPIC_BASE_URL").unwrap_or_else(|| anthropic::DEFAULT_BASE_URL.into())
        }
    }
}

/// The default variable holding an API's key.
pub(super) fn default_key_env(api: JudgeApi) -> &'static str {
    match api {
        JudgeApi::OpenAi => "OPENAI_API_KEY",
        JudgeApi::Anthropic => anthropic::DEFAULT_KEY_ENV,
    }
}

fn env_nonempty(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.trim().is_empty())
}

/// The API key in `var`, if set. A key that cannot be sent in an HTTP header (a line break from
/// a copied file, a control character, non-ASCII text) is a credentials error at once, before any
/// request, rather than a failure of every request after its retries.
pub(super) fn key_from(var: &str) -> Result<Option<Secret>> {
    let Some(k) = env_nonempty(var) else {
        return Ok(None);
    };
    let k = k.trim();
    if let Some(bad) = k.chars().find(|c| !(c.is_ascii_graphic() || *c == ' ')) {
        let what = match bad {
            '\n' | '\r' => "a line break".to_string(),
            c if c.is_control() => format!("a control character (U+{:04X})", c as u32),
            c => format!("a non-ASCII character (U+{:04X})", c as u32),
        };
        return Err(Error::Credentials(format!(
            "the API key in ${var} contains {what}, which cannot be sent in an HTTP header; set the variable to the key alone"
        )));
    }
    Ok(Some(Secret::new(k)))
}

/// A base URL must be http(s).
pub(super) fn check_url(u: &str) -> Result<()> {
    match reqwest::Url::parse(u) {
        Ok(url) if url.scheme() == "http" || url.scheme() == "https" => Ok(()),
        _ => Err(Error::Usage(format!(
            "`{u}` is not an http(s) base URL (such as http://localhost:8000/v1)"
        ))),
    }
}
