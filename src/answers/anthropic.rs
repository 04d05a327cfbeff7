//! Anthropic's Messages API (`--api anthropic`, `--judge-api anthropic`; SPEC §5b):
//! `POST {base_url}/messages` with `x-api-key` and `anthropic-version`, the system prompt in
//! `system`, the answer as the concatenated text of the `content` blocks, and tokens from
//! `usage.input_tokens` / `usage.output_tokens`.

use serde_json::{json, Map, Value};

use super::openai::{Completion, GenParams, Usage};
use crate::dataset::Message;
use crate::http::{Endpoint, Outgoing, Secret};

/// The default base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com/v1";
/// The default variable holding the key.
pub const DEFAULT_KEY_ENV: &str = "ANTHROPIC_API_KEY";
/// The API version sent in `anthropic-version`.
pub const VERSION: &str = "2023-06-01";
/// `max_tokens` when none is given: the API requires one.
pub const DEFAULT_MAX_TOKENS: u64 = 4096;

/// The request body for one sample of a prompt. System messages of the prompt and the system
/// prompt go to `system` (the API takes no `system` role in `messages`). The API has no seed, so
/// samples differ only by the cache key's sample index.
pub fn request_body(model: &str, prompt: &[Message], p: &GenParams) -> Value {
    let mut system: Vec<&str> = Vec::new();
    if let Some(s) = &p.system_prompt {
        system.push(s);
    }
    let mut messages = Vec::with_capacity(prompt.len());
    for m in prompt {
        if m.role == "system" || m.role == "developer" {
            system.push(&m.content);
        } else {
            messages.push(json!({"role": m.role, "content": m.content}));
        }
    }
    let mut body = Map::new();
    body.insert("model".into(), json!(model));
    body.insert(
        "max_tokens".into(),
        json!(p.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS)),
    );
    if !system.is_empty() {
        body.insert("system".into(), json!(system.join("\n\n")));
    }
    body.insert("messages".into(), Value::Array(messages));
    if let Some(t) = p.temperature {
        body.insert("temperature".into(), json!(t));
    }
    Value::Object(body)
}

/// A judge request: the prompt as one user message, at temperature 0 as for every judge.
pub fn judge_body(model: &str, prompt: &str, max_tokens: Option<u64>) -> Value {
    json!({
        "model": model,
        "max_tokens": max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
        "messages": [{"role": "user", "content": prompt}],
        "temperature": 0,
    })
}

/// `POST {base_url}/messages` with the key in `x-api-key`. The cache scope is the base URL
/// marked as this API, so it never meets an OpenAI entry for the same server.
pub fn outgoing(endpoint: &Endpoint, body: Value) -> Outgoing {
    let mut headers = vec![(
        "anthropic-version".to_string(),
        Secret::new(VERSION.to_string()),
        VERSION.to_string(),
    )];
    if let Some(k) = &endpoint.key {
        headers.push(("x-api-key".to_string(), k.clone(), "[REDACTED]".to_string()));
    }
    Outgoing::post_json(
        format!("{}/messages", endpoint.base_url),
        headers,
        body,
        format!("anthropic {}", endpoint.base_url),
        false,
    )
}

/// Token usage of a reply: input tokens (with those written to and read from the prompt cache,
/// which are input too) and output tokens.
pub fn usage(body: &Value) -> Option<Usage> {
    let u = body.get("usage")?;
    let n = |k: &str| {
        u.get(k)
            .and_then(|v| v.as_u64().or_else(|| v.as_f64().map(|f| f.max(0.0) as u64)))
    };
    let (i, o) = (n("input_tokens"), n("output_tokens"));
    if i.is_none() && o.is_none() {
        return None;
    }
    let cached =
        n("cache_creation_input_tokens").unwrap_or(0) + n("cache_read_input_tokens").unwrap_or(0);
    Some(Usage {
        prompt_tokens: i.unwrap_or(0) + cached,
        completion_tokens: o.unwrap_or(0),
    })
}

/// Reads a Messages reply. `stop_reason` is put in OpenAI's words where they exist
/// (`max_tokens` → `length`, `end_turn`/`stop_sequence` → `stop`) so a cut-off reply is reported
/// the same way whichever API gave it; a `refusal` stop is the model's refusal.
pub fn parse(body: &Value) -> Result<Completion, String> {
    if body.get("type").and_then(Value::as_str) == Some("error") {
        let msg = body
            .pointer("/error/message")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| crate::jsonl::short_json(body));
        return Err(format!("the server replied with an error: {msg}"));
    }
    let blocks = body
        .get("content")
        .and_then(Value::as_array)
        .ok_or("the reply has no `content` list")?;
    let text: String = blocks
        .iter()
        .filter(|b| b.get("type").and_then(Value::as_str).unwrap_or("text") == "text")
        .filter_map(|b| b.get("text").and_then(Value::as_str))
        .collect();
    let stop = body.get("stop_reason").and_then(Value::as_str);
    let finish_reason = stop.map(|s| {
        match s {
            "max_tokens" => "length",
            "end_turn" | "stop_sequence" => "stop",
            other => other,
        }
        .to_string()
    });
    let refusal = (stop == Some("refusal")).then(|| {
        if text.trim().is_empty() {
            "the model declined to answer (stop_reason: refusal)".to_string()
        } else {
            text.clone()
        }
    });
    Ok(Completion {
        content: if refusal.is_some() { None } else { Some(text) },
        refusal,
        finish_reason,
        usage: usage(body),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::openai::answer_text;

    #[test]
    fn bodies() {
        let p = GenParams {
            temperature: Some(0.3),
            max_tokens: None,
            seed: Some(5),
            system_prompt: Some("be brief".into()),
            samples: 2,
        };
        let msgs = vec![
            Message {
                role: "system".into(),
                content: "you are a doctor".into(),
            },
            Message {
                role: "user".into(),
                content: "नमस्ते".into(),
            },
        ];
        assert_eq!(
            request_body("claude", &msgs, &p),
            json!({"model": "claude", "max_tokens": 4096, "system": "be brief\n\nyou are a doctor",
                "messages": [{"role": "user", "content": "नमस्ते"}], "temperature": 0.3})
        );
        let ep = Endpoint::new(
            "https://api.anthropic.com/v1/",
            Some(Secret::new("sk-ant")),
            "K",
        );
        let o = outgoing(&ep, judge_body("claude", "judge this", Some(50)));
        assert_eq!(o.url, "https://api.anthropic.com/v1/messages");
        assert!(o
            .headers
            .iter()
            .any(|(k, v)| k == "x-api-key" && v.expose() == "sk-ant"));
        assert!(!o.shown.to_string().contains("sk-ant"));
        assert!(o.shown.to_string().contains("x-api-key: [REDACTED]"));
    }

    #[test]
    fn replies() {
        let c = parse(&json!({"type": "message", "content": [
            {"type": "thinking", "thinking": "hmm"},
            {"type": "text", "text": "उत्त"}, {"type": "text", "text": "र"}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 12, "output_tokens": 3, "cache_read_input_tokens": 4}}))
        .unwrap();
        assert_eq!(answer_text(&c).unwrap(), ("उत्तर".to_string(), false));
        assert_eq!(c.finish_reason.as_deref(), Some("stop"));
        assert_eq!(
            c.usage,
            Some(Usage {
                prompt_tokens: 16,
                completion_tokens: 3
            })
        );
        let cut = parse(&json!({"content": [{"type": "text", "text": "half"}],
            "stop_reason": "max_tokens"}))
        .unwrap();
        assert_eq!(cut.finish_reason.as_deref(), Some("length"));
        let empty_cut = parse(&json!({"content": [], "stop_reason": "max_tokens"})).unwrap();
        assert!(answer_text(&empty_cut).is_err());
        let refused = parse(&json!({"content": [], "stop_reason": "refusal"})).unwrap();
        assert!(answer_text(&refused).unwrap().1);
        assert!(parse(
            &json!({"type": "error", "error": {"type": "overloaded_error",
            "message": "Overloaded"}})
        )
        .unwrap_err()
        .contains("Overloaded"));
        assert!(parse(&json!({"id": "x"})).is_err());
    }
}
