//! Reading a reply: the error field, the answer, the token counts and the finish reason.

use serde_json::Value;

use super::EndpointConfig;
use crate::answers::openai::{Completion, Usage};

impl EndpointConfig {
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
