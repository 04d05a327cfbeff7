//! Argument groups several subcommands share (HTTP behaviour, the answering model, the judge),
//! and turning them into the library's configs.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use serde_json::{json, Value};

use crate::answers::openai::GenParams;
use crate::error::Result;
use crate::http::{Cache, ClientConfig, Endpoint, Secret};
use crate::judge::{JudgeKind, JudgeMode, JudgeSide, Template};
use crate::run::pipeline::ModelSide;

const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// HTTP behaviour: operational settings that may change between a run and its resumption.
#[derive(Debug, Clone, Args)]
pub struct HttpArgs {
    /// Requests in flight at once, model and judge together.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub concurrency: u32,
    /// Whole-request timeout in seconds (the connect timeout is 10 s).
    #[arg(long, default_value_t = 300.0, value_name = "SECONDS")]
    pub timeout: f64,
    /// Retries of transport and HTTP failures (408, 429, 5xx, resets, timeouts) per request.
    #[arg(long, default_value_t = 6)]
    pub max_retries: u32,
    /// Backoff base in milliseconds (for tests; the n-th retry waits up to base·2ⁿ, at most 60 s).
    #[arg(long, default_value_t = 1000, hide = true)]
    pub retry_base_ms: u64,
    /// Requests per minute, at most.
    #[arg(long)]
    pub rpm: Option<f64>,
    /// Tokens per minute, at most (estimated before sending).
    #[arg(long)]
    pub tpm: Option<f64>,
    /// Response cache directory (default: the platform cache dir, e.g. ~/.cache/kasauti).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Neither read nor write the response cache.
    #[arg(long)]
    pub no_cache: bool,
}

impl HttpArgs {
    /// The client settings these options describe (checked).
    pub(super) fn config(&self) -> Result<ClientConfig> {
        if !(self.timeout.is_finite() && self.timeout > 0.0) {
            return Err(super::usage(
                "--timeout must be a positive number of seconds",
            ));
        }
        for (name, v) in [("--rpm", self.rpm), ("--tpm", self.tpm)] {
            if v.is_some_and(|v| !(v.is_finite() && v > 0.0)) {
                return Err(super::usage(format!("{name} must be a positive number")));
            }
        }
        let cache = if self.no_cache {
            None
        } else {
            self.cache_dir
                .clone()
                .or_else(Cache::default_dir)
                .map(Cache::new)
        };
        Ok(ClientConfig {
            concurrency: self.concurrency as usize,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs_f64(self.timeout),
            max_retries: self.max_retries,
            retry_base: Duration::from_millis(self.retry_base_ms),
            retry_cap: Duration::from_secs(60),
            retry_after_cap: Duration::from_secs(600),
            rpm: self.rpm,
            tpm: self.tpm,
            cache,
        })
    }

    /// Records these settings in `run.json`.
    pub(super) fn settings(&self, s: &mut BTreeMap<String, Value>) {
        s.insert("concurrency".into(), json!(self.concurrency));
        s.insert("timeout_s".into(), json!(self.timeout));
        s.insert("max_retries".into(), json!(self.max_retries));
        s.insert("rpm".into(), json!(self.rpm));
        s.insert("tpm".into(), json!(self.tpm));
        s.insert("cache".into(), json!(!self.no_cache));
    }
}

/// The model that answers.
#[derive(Debug, Clone, Args)]
pub struct ModelArgs {
    /// The model name sent to the endpoint.
    #[arg(long)]
    pub model: String,
    /// API base URL (default: $OPENAI_BASE_URL, else https://api.openai.com/v1).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// The environment variable that holds the API key (no key is fine for local servers).
    #[arg(long, default_value = "OPENAI_API_KEY", value_name = "VAR")]
    pub api_key_env: String,
    /// Answers per question (each a separate request with its own seed).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub samples: u32,
    #[arg(long)]
    pub temperature: Option<f64>,
    #[arg(long)]
    pub max_tokens: Option<u64>,
    /// Base seed; sample i is sent seed + i.
    #[arg(long)]
    pub seed: Option<u64>,
    /// A system message put before every prompt.
    #[arg(long)]
    pub system_prompt: Option<String>,
    /// Price of the model's prompt tokens, per million.
    #[arg(long, value_name = "PRICE")]
    pub price_prompt: Option<f64>,
    /// Price of the model's completion tokens, per million.
    #[arg(long, value_name = "PRICE")]
    pub price_completion: Option<f64>,
}

/// Judge choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum JudgeArg {
    Rules,
    Llm,
    Hybrid,
}

/// Judge mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    PerCriterion,
    Batched,
}

/// The judge.
#[derive(Debug, Clone, Args)]
pub struct JudgeArgs {
    /// Judge: rules (offline checks), llm (a judge model for every criterion) or hybrid (checks
    /// where a criterion has one, the judge model for the rest). Default: rules without
    /// --judge-model, hybrid with one.
    #[arg(long, value_enum)]
    pub judge: Option<JudgeArg>,
    /// The judge model.
    #[arg(long)]
    pub judge_model: Option<String>,
    /// The judge's API base URL (default: the model's base URL).
    #[arg(long, value_name = "URL")]
    pub judge_base_url: Option<String>,
    /// The environment variable that holds the judge's API key (default: the model's).
    #[arg(long, value_name = "VAR")]
    pub judge_api_key_env: Option<String>,
    /// A prompt template file with {{conversation}}, {{answer}} and {{criterion}}/{{points}}
    /// (per-criterion) or {{criteria}} (batched).
    #[arg(long, value_name = "FILE")]
    pub judge_template: Option<PathBuf>,
    /// One call per criterion (HealthBench parity) or one call per answer.
    #[arg(long, value_enum, default_value = "per-criterion")]
    pub judge_mode: ModeArg,
    /// How many times an unusable judge reply is asked again before the verdict is null.
    #[arg(long, default_value_t = 3)]
    pub judge_retries: u32,
    /// Send the reply's JSON schema as response_format (OpenAI, vLLM and llama.cpp honour it).
    #[arg(long)]
    pub judge_structured: bool,
    /// max_tokens of judge requests (default: the server's).
    #[arg(long)]
    pub judge_max_tokens: Option<u64>,
    /// Price of the judge's prompt tokens, per million.
    #[arg(long, value_name = "PRICE")]
    pub judge_price_prompt: Option<f64>,
    /// Price of the judge's completion tokens, per million.
    #[arg(long, value_name = "PRICE")]
    pub judge_price_completion: Option<f64>,
}

fn env_nonempty(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.trim().is_empty())
}

/// The API key in `var`, if set. A key that cannot be sent in an HTTP header (a line break from
/// a copied file, a control character, non-ASCII text) is a credentials error at once, before any
/// request, rather than a failure of every request after its retries.
fn key_from(var: &str) -> Result<Option<Secret>> {
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
        return Err(crate::error::Error::Credentials(format!(
            "the API key in ${var} contains {what}, which cannot be sent in an HTTP header; set the variable to the key alone"
        )));
    }
    Ok(Some(Secret::new(k)))
}

fn base_url(given: Option<&str>) -> String {
    given
        .map(str::to_string)
        .or_else(|| env_nonempty("OPENAI_BASE_URL"))
        .unwrap_or_else(|| DEFAULT_BASE_URL.into())
}

fn check_url(u: &str) -> Result<()> {
    match reqwest::Url::parse(u) {
        Ok(url) if url.scheme() == "http" || url.scheme() == "https" => Ok(()),
        _ => Err(super::usage(format!(
            "`{u}` is not an http(s) base URL (such as http://localhost:8000/v1)"
        ))),
    }
}

pub(super) fn model_side(m: &ModelArgs) -> Result<ModelSide> {
    let url = base_url(m.base_url.as_deref());
    check_url(&url)?;
    if m.model.trim().is_empty() {
        return Err(super::usage("--model must not be empty"));
    }
    if m.temperature.is_some_and(|t| !(t.is_finite() && t >= 0.0)) {
        return Err(super::usage("--temperature must be a number >= 0"));
    }
    Ok(ModelSide {
        endpoint: Endpoint::new(&url, key_from(&m.api_key_env)?, &m.api_key_env),
        model: m.model.clone(),
        params: GenParams {
            temperature: m.temperature,
            max_tokens: m.max_tokens,
            seed: m.seed,
            system_prompt: m.system_prompt.clone(),
            samples: m.samples,
        },
    })
}

/// The judge kind and model; `default_url`/`default_env` are the model's when there is one.
pub(super) fn judge_side(
    j: &JudgeArgs,
    default_url: Option<&str>,
    default_env: &str,
) -> Result<(JudgeKind, Option<JudgeSide>)> {
    let kind = match (j.judge, &j.judge_model) {
        (None, None) | (Some(JudgeArg::Rules), _) => JudgeKind::Rules,
        (None, Some(_)) | (Some(JudgeArg::Hybrid), Some(_)) => JudgeKind::Hybrid,
        (Some(JudgeArg::Llm), Some(_)) => JudgeKind::Llm,
        (Some(k), None) => {
            return Err(super::usage(format!(
                "--judge {} needs --judge-model",
                if k == JudgeArg::Llm { "llm" } else { "hybrid" }
            )))
        }
    };
    if kind == JudgeKind::Rules {
        return Ok((kind, None));
    }
    let model = j.judge_model.clone().unwrap_or_default();
    let url = j.judge_base_url.clone().unwrap_or_else(|| {
        default_url
            .map(str::to_string)
            .unwrap_or_else(|| base_url(None))
    });
    check_url(&url)?;
    let env = j
        .judge_api_key_env
        .clone()
        .unwrap_or_else(|| default_env.to_string());
    let mode = match j.judge_mode {
        ModeArg::PerCriterion => JudgeMode::PerCriterion,
        ModeArg::Batched => JudgeMode::Batched,
    };
    let template = match &j.judge_template {
        Some(p) => {
            let bytes = crate::jsonl::read_file(p)?;
            let text = String::from_utf8(bytes).map_err(|_| {
                super::usage(format!("{}: the judge template is not UTF-8", p.display()))
            })?;
            Template::from_text(text, mode)
                .map_err(|e| super::usage(format!("{}: {e}", p.display())))?
        }
        None => Template::builtin(mode),
    };
    Ok((
        kind,
        Some(JudgeSide {
            endpoint: Endpoint::new(&url, key_from(&env)?, &env),
            model,
            mode,
            template,
            retries: j.judge_retries,
            structured: j.judge_structured,
            max_tokens: j.judge_max_tokens,
        }),
    ))
}
