//! OpenAI Chat Completions: request bodies and tolerant reading of replies, as vLLM, Ollama,
//! llama.cpp's server, LiteLLM and OpenRouter send them (missing `usage`, extra fields,
//! `reasoning_content`, `content: null` with a `refusal`).

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::dataset::Message;

/// Generation parameters; every one of them changes results, so all are part of a run's
/// identity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GenParams {
    pub temperature: Option<f64>,
    pub max_tokens: Option<u64>,
    /// The base seed; sample `i` is sent `seed + i`.
    pub seed: Option<u64>,
    pub system_prompt: Option<String>,
    /// How many samples per question.
    pub samples: u32,
}

impl GenParams {
    /// The seed sent for a sample. With several samples and no `--seed`, samples still get
    /// distinct seeds (0, 1, …) so that they are distinct requests; with one sample and no seed,
    /// none is sent and the server samples as it likes.
    pub fn seed_for(&self, sample: u32) -> Option<u64> {
        match self.seed {
            Some(s) => Some(s.wrapping_add(sample as u64)),
            None if self.samples > 1 => Some(sample as u64),
            None => None,
        }
    }
}

/// The request body for one sample of one prompt.
pub fn request_body(model: &str, prompt: &[Message], p: &GenParams, sample: u32) -> Value {
    let mut messages = Vec::with_capacity(prompt.len() + 1);
    if let Some(s) = &p.system_prompt {
        messages.push(json!({"role": "system", "content": s}));
    }
    messages.extend(
        prompt
            .iter()
            .map(|m| json!({"role": m.role, "content": m.content})),
    );
    let mut body = Map::new();
    body.insert("model".into(), json!(model));
    body.insert("messages".into(), Value::Array(messages));
    if let Some(t) = p.temperature {
        body.insert("temperature".into(), json!(t));
    }
    if let Some(m) = p.max_tokens {
        body.insert("max_tokens".into(), json!(m));
    }
    if let Some(s) = p.seed_for(sample) {
        body.insert("seed".into(), json!(s));
    }
    Value::Object(body)
}

/// Token usage of one reply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

impl Usage {
    /// Reads `usage` leniently: absent, null, or with numbers as floats.
    pub fn from_body(body: &Value) -> Option<Usage> {
        let u = body.get("usage")?;
        let n = |k: &str| {
            u.get(k)
                .and_then(|v| v.as_u64().or_else(|| v.as_f64().map(|f| f.max(0.0) as u64)))
        };
        let (p, c) = (n("prompt_tokens"), n("completion_tokens"));
        if p.is_none() && c.is_none() {
            return None;
        }
        Some(Usage {
            prompt_tokens: p.unwrap_or(0),
            completion_tokens: c.unwrap_or(0),
        })
    }

    /// Reads a usage object as stored in `answers.jsonl`.
    pub fn from_value(v: &Value) -> Option<Usage> {
        Usage::from_body(&json!({ "usage": v }))
    }
}

/// What a reply says.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub content: Option<String>,
    pub refusal: Option<String>,
    pub finish_reason: Option<String>,
    pub usage: Option<Usage>,
}

/// Reads the first choice of a chat completion. Fails (a message, not a panic) when the body has
/// no choice with a message: an error object sent with status 200, for instance.
pub fn parse_completion(body: &Value) -> Result<Completion, String> {
    if let Some(err) = body.get("error").filter(|e| !e.is_null()) {
        let msg = err
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| crate::jsonl::short_json(err));
        return Err(format!("the server replied with an error: {msg}"));
    }
    let choice = body
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
        .ok_or("the reply has no `choices`")?;
    let message = choice
        .get("message")
        .filter(|m| m.is_object())
        .ok_or("the reply's first choice has no `message`")?;
    let text = |v: Option<&Value>| match v {
        Some(Value::String(s)) => Some(s.clone()),
        // Some servers send content as a list of parts.
        Some(Value::Array(parts)) => Some(
            parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join(""),
        ),
        _ => None,
    };
    Ok(Completion {
        content: text(message.get("content")),
        refusal: text(message.get("refusal")).filter(|r| !r.trim().is_empty()),
        finish_reason: choice
            .get("finish_reason")
            .and_then(Value::as_str)
            .map(str::to_string),
        usage: Usage::from_body(body),
    })
}

/// The answer text of a reply. A refusal (`content: null` with `refusal`) is the model's answer:
/// it is recorded as the answer text and graded like any other answer, since rubrics (as
/// HealthBench's do) often reward or penalise refusing; the answer line marks it `refusal: true`.
/// A reply with neither content nor a refusal (a reasoning model that ran out of tokens while
/// thinking, say) is unusable: the item fails with that reason.
pub fn answer_text(c: &Completion) -> Result<(String, bool), String> {
    match (&c.content, &c.refusal) {
        (Some(t), _) if !t.is_empty() => Ok((t.clone(), false)),
        (_, Some(r)) => Ok((r.clone(), true)),
        (Some(t), None) if c.finish_reason.as_deref() != Some("length") => Ok((t.clone(), false)),
        _ => Err(format!(
            "the reply has no answer text (content is {}, finish_reason {})",
            if c.content.is_some() { "empty" } else { "null" },
            c.finish_reason.as_deref().unwrap_or("absent")
        )),
    }
}

/// A rough token count for `--dry-run` and `--tpm`: one token per three bytes of UTF-8. English
/// runs nearer four bytes a token and Indic scripts (three bytes a letter) nearer one letter a
/// token, so this errs high for English and is close for Indic text.
pub fn estimate_tokens(text: &str) -> u64 {
    (text.len() as u64).div_ceil(3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies() {
        let p = GenParams {
            temperature: Some(0.5),
            max_tokens: Some(100),
            seed: None,
            system_prompt: Some("be brief".into()),
            samples: 3,
        };
        let msgs = vec![Message {
            role: "user".into(),
            content: "नमस्ते".into(),
        }];
        let b = request_body("m", &msgs, &p, 2);
        assert_eq!(
            b,
            json!({"model": "m", "messages": [{"role": "system", "content": "be brief"},
                {"role": "user", "content": "नमस्ते"}], "temperature": 0.5, "max_tokens": 100, "seed": 2})
        );
        let one = GenParams {
            samples: 1,
            ..Default::default()
        };
        assert_eq!(request_body("m", &msgs, &one, 0).get("seed"), None);
        let seeded = GenParams {
            samples: 1,
            seed: Some(40),
            ..Default::default()
        };
        assert_eq!(request_body("m", &msgs, &seeded, 2)["seed"], json!(42));
    }

    #[test]
    fn tolerant_replies() {
        // vLLM-style with reasoning_content and extra fields, no usage.
        let c = parse_completion(&json!({"id": "x", "choices": [{"index": 0, "message":
            {"role": "assistant", "content": "उत्तर", "reasoning_content": "hmm", "tool_calls": []},
            "finish_reason": "stop", "logprobs": null}], "timings": {}}))
        .unwrap();
        assert_eq!(answer_text(&c).unwrap(), ("उत्तर".to_string(), false));
        assert_eq!(c.usage, None);
        // OpenAI refusal.
        let c = parse_completion(&json!({"choices": [{"message": {"content": null,
            "refusal": "I can't help with that."}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 7.0, "total_tokens": 12}}))
        .unwrap();
        assert_eq!(
            answer_text(&c).unwrap(),
            ("I can't help with that.".to_string(), true)
        );
        assert_eq!(
            c.usage,
            Some(Usage {
                prompt_tokens: 5,
                completion_tokens: 7
            })
        );
        // Ran out of tokens while reasoning.
        let c = parse_completion(&json!({"choices": [{"message": {"content": null,
            "reasoning_content": "long thought"}, "finish_reason": "length"}]}))
        .unwrap();
        assert!(answer_text(&c).unwrap_err().contains("null"));
        // Content as parts.
        let c = parse_completion(&json!({"choices": [{"message": {"content":
            [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}}]}))
        .unwrap();
        assert_eq!(c.content.as_deref(), Some("ab"));
        // Errors with status 200, and junk.
        assert!(
            parse_completion(&json!({"error": {"message": "overloaded"}}))
                .unwrap_err()
                .contains("overloaded")
        );
        assert!(parse_completion(&json!({"choices": []})).is_err());
        assert!(parse_completion(&json!([1, 2])).is_err());
    }
}
