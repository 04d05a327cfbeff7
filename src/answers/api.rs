//! Which API answers come from: OpenAI Chat Completions (the default), Anthropic's Messages API,
//! or any JSON API described by an endpoint file. Each lives in its own file; this enum is the
//! one place the live pipeline and the dry run ask for a request and read a reply.

use std::sync::Arc;

use serde_json::Value;

use super::anthropic;
use super::endpoint::{EndpointConfig, Vars};
use super::openai::{self, Completion, GenParams, Usage};
use crate::dataset::Question;
use crate::http::{Endpoint, Outgoing, Secret};

/// Where answers come from.
#[derive(Debug, Clone, Default)]
pub enum Api {
    /// OpenAI Chat Completions (`POST {base_url}/chat/completions`).
    #[default]
    OpenAi,
    /// Anthropic's Messages API (`POST {base_url}/messages`).
    Anthropic,
    /// Any JSON API, as an endpoint file describes it.
    Endpoint(Arc<EndpointConfig>),
}

impl Api {
    /// The name recorded in `run.json` (`openai`, `anthropic` or `endpoint`).
    pub fn name(&self) -> &'static str {
        match self {
            Api::OpenAi => "openai",
            Api::Anthropic => "anthropic",
            Api::Endpoint(_) => "endpoint",
        }
    }

    /// The request for one sample of a question.
    pub fn request(
        &self,
        endpoint: &Endpoint,
        model: &str,
        q: &Question,
        params: &GenParams,
        sample: u32,
    ) -> Outgoing {
        match self {
            Api::OpenAi => Outgoing::openai(
                endpoint,
                openai::request_body(model, &q.prompt.messages(), params, sample),
            ),
            Api::Anthropic => anthropic::outgoing(
                endpoint,
                anthropic::request_body(model, &q.prompt.messages(), params),
            ),
            Api::Endpoint(c) => c.request(&Vars {
                q,
                model,
                params,
                sample,
            }),
        }
    }

    /// Reads a reply into what it says.
    pub fn read(&self, body: &Value) -> Result<Completion, String> {
        match self {
            Api::OpenAi => openai::parse_completion(body),
            Api::Anthropic => anthropic::parse(body),
            Api::Endpoint(c) => c.parse_reply(body),
        }
    }

    /// The token usage of a reply as `answers.jsonl` records it: the server's own `usage`
    /// object for OpenAI-style replies, `{"prompt_tokens", "completion_tokens"}` otherwise.
    pub fn usage_record(&self, body: &Value) -> Option<Value> {
        let u: Option<Usage> = match self {
            Api::OpenAi => return body.get("usage").filter(|u| !u.is_null()).cloned(),
            Api::Anthropic => anthropic::usage(body),
            Api::Endpoint(c) => c.usage(body),
        };
        u.and_then(|u| serde_json::to_value(u).ok())
    }

    /// Secrets the API sends besides the endpoint's key (an endpoint file's `env.*` values).
    pub fn secrets(&self) -> Vec<Secret> {
        match self {
            Api::Endpoint(c) => c.secrets(),
            _ => Vec::new(),
        }
    }
}
