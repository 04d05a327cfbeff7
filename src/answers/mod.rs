//! Model answers: from files ([`files`]) or, in live runs, from an OpenAI-compatible endpoint.

pub mod check;
pub mod files;
pub mod openai;

use serde::{Deserialize, Serialize};

/// One model's answer to one question (one sample of it): a line of `answers.jsonl`, written
/// with every field of SPEC §6 present (null where unknown).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub model: String,
    pub question_id: String,
    #[serde(default)]
    pub sample: u32,
    /// `None` when the item failed (then `error` says why).
    pub answer: Option<String>,
    /// Why the reply ended (`stop`, `length`, …), as the server said.
    #[serde(default)]
    pub finish_reason: Option<String>,
    #[serde(default)]
    pub usage: Option<serde_json::Value>,
    #[serde(default)]
    pub latency_ms: Option<f64>,
    #[serde(default)]
    pub error: Option<String>,
    /// The answer is the model's refusal (`content: null` with `refusal`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub refusal: bool,
}

pub use check::check_answers;
pub use files::{AnswerFiles, Located};
