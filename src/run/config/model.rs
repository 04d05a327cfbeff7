//! The answering model as plain options, turned into the pipeline's [`ModelSide`].

use std::path::PathBuf;

use super::service::{check_url, default_base_url, default_key_env, key_from};
use crate::answers::openai::GenParams;
use crate::answers::{endpoint, Api};
use crate::error::{Error, Result};
use crate::http::Endpoint;
use crate::judge::JudgeApi;
use crate::run::pipeline::ModelSide;

/// The model that answers, as the command line's model options describe it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelOptions {
    /// The model name sent to the API (with `endpoint`, the name answers are recorded under).
    pub model: String,
    /// The built-in API answers come from (ignored with `endpoint`).
    pub api: JudgeApi,
    /// A TOML file describing any JSON API (SPEC §5b), instead of a built-in API.
    pub endpoint: Option<PathBuf>,
    /// Base URL (`None`: `$OPENAI_BASE_URL` or `$ANTHROPIC_BASE_URL`, else the public service).
    pub base_url: Option<String>,
    /// The environment variable holding the key (`None`: the API's usual one).
    pub api_key_env: Option<String>,
    /// Answers per question (each a separate request with its own seed); 0 is taken as 1.
    pub samples: u32,
    /// Sampling temperature.
    pub temperature: Option<f64>,
    /// `max_tokens` of answer requests.
    pub max_tokens: Option<u64>,
    /// Base seed; sample i is sent seed + i.
    pub seed: Option<u64>,
    /// A system message put before every prompt.
    pub system_prompt: Option<String>,
    /// Price of the model's prompt tokens, per million.
    pub price_prompt: Option<f64>,
    /// Price of the model's completion tokens, per million.
    pub price_completion: Option<f64>,
}

/// A service a judge model shares with the answering model unless told otherwise.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedService {
    /// The API both speak.
    pub api: JudgeApi,
    /// The model's base URL.
    pub base_url: String,
    /// The variable holding the model's key.
    pub key_env: String,
}

impl ModelOptions {
    /// The checked model side: the name, temperature and base URL are checked, an endpoint file
    /// is read and checked whole, and the key is read from its variable.
    pub fn side(&self) -> Result<ModelSide> {
        if self.model.trim().is_empty() {
            return Err(Error::Usage("--model must not be empty".into()));
        }
        if self
            .temperature
            .is_some_and(|t| !(t.is_finite() && t >= 0.0))
        {
            return Err(Error::Usage("--temperature must be a number >= 0".into()));
        }
        // The command line refuses 0 as it parses; a program filling these options is told here.
        if self.max_tokens == Some(0) {
            return Err(Error::Usage("--max-tokens must be at least 1".into()));
        }
        let (endpoint, api) = match &self.endpoint {
            Some(path) => {
                // Checked whole before any request: every problem is named with the file and key.
                let config = endpoint::load(path)?;
                let names = config.env_names().join(", ");
                let key = config.secrets().into_iter().next();
                (
                    Endpoint::new(&config.shown_url(), key, &names),
                    Api::Endpoint(std::sync::Arc::new(config)),
                )
            }
            None => {
                let url = self
                    .base_url
                    .clone()
                    .unwrap_or_else(|| default_base_url(self.api));
                check_url(&url)?;
                let env = self.key_env();
                let api = match self.api {
                    JudgeApi::OpenAi => Api::OpenAi,
                    JudgeApi::Anthropic => Api::Anthropic,
                };
                (Endpoint::new(&url, key_from(&env)?, &env), api)
            }
        };
        Ok(ModelSide {
            endpoint,
            api,
            model: self.model.clone(),
            params: GenParams {
                temperature: self.temperature,
                max_tokens: self.max_tokens,
                seed: self.seed,
                system_prompt: self.system_prompt.clone(),
                samples: self.samples.max(1),
            },
        })
    }

    /// The variable holding the model's key.
    fn key_env(&self) -> String {
        self.api_key_env
            .clone()
            .unwrap_or_else(|| default_key_env(self.api).to_string())
    }

    /// The API, base URL and key variable a judge shares with this model by default; `None`
    /// for an endpoint file, whose service is no judge.
    pub fn shared_service(&self, side: &ModelSide) -> Option<SharedService> {
        if self.endpoint.is_some() {
            return None;
        }
        Some(SharedService {
            api: self.api,
            base_url: side.endpoint.base_url.clone(),
            key_env: self.key_env(),
        })
    }
}
