//! Model answers: from files ([`files`]) or, in live runs, from an OpenAI-compatible endpoint.

pub mod files;

use serde::{Deserialize, Serialize};

/// One model's answer to one question (one sample of it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub question_id: String,
    pub model: String,
    #[serde(default)]
    pub sample: u32,
    /// `None` when the item failed (then `error` says why).
    pub answer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
}

pub use files::{AnswerFiles, Located};
