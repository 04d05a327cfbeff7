//! Argument groups several subcommands share (HTTP behaviour, the answering model, the judge),
//! and turning them into the library's configs.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use serde_json::{json, Value};

use crate::answers::openai::GenParams;
use crate::answers::{anthropic, endpoint, Api};
use crate::error::Result;
use crate::http::{Cache, ClientConfig, Endpoint, Secret};
use crate::judge::{
    JudgeApi, JudgeKind, JudgeMode, JudgeSide, Panel, Reference, Template, VoteRule,
};
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

/// An API with a built-in request and reply format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApiArg {
    /// OpenAI Chat Completions (vLLM, Ollama, llama.cpp, LiteLLM, OpenRouter, …).
    Openai,
    /// Anthropic's Messages API.
    Anthropic,
}

impl ApiArg {
    /// The built-in API this names (judges speak the same two).
    fn protocol(self) -> JudgeApi {
        match self {
            ApiArg::Openai => JudgeApi::OpenAi,
            ApiArg::Anthropic => JudgeApi::Anthropic,
        }
    }
}

/// The default base URL of an API: its environment variable, else the public service.
fn default_base_url(api: JudgeApi) -> String {
    match api {
        JudgeApi::OpenAi => {
            env_nonempty("OPENAI_BASE_URL").unwrap_or_else(|| DEFAULT_BASE_URL.into())
        }
        JudgeApi::Anthropic => {
            env_nonempty("ANTHROPIC_BASE_URL").unwrap_or_else(|| anthropic::DEFAULT_BASE_URL.into())
        }
    }
}

/// The default variable holding an API's key.
fn default_key_env(api: JudgeApi) -> &'static str {
    match api {
        JudgeApi::OpenAi => "OPENAI_API_KEY",
        JudgeApi::Anthropic => anthropic::DEFAULT_KEY_ENV,
    }
}

/// The model that answers.
#[derive(Debug, Clone, Args)]
pub struct ModelArgs {
    /// The model name sent to the API (with --endpoint, the name the answers are recorded
    /// under, and the {{model}} placeholder).
    #[arg(long)]
    pub model: String,
    /// The API answers come from.
    #[arg(long, value_enum, default_value = "openai")]
    pub api: ApiArg,
    /// A TOML file describing any JSON API: URL, headers, a body template and pointers to the
    /// answer (see the README, "Evaluating your own application").
    #[arg(long, value_name = "FILE", conflicts_with_all = ["api", "base_url", "api_key_env"])]
    pub endpoint: Option<PathBuf>,
    /// API base URL (default: $OPENAI_BASE_URL, else https://api.openai.com/v1; with --api
    /// anthropic, $ANTHROPIC_BASE_URL, else https://api.anthropic.com/v1).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// The environment variable that holds the API key (default: OPENAI_API_KEY, or
    /// ANTHROPIC_API_KEY with --api anthropic; no key is fine for local servers).
    #[arg(long, value_name = "VAR")]
    pub api_key_env: Option<String>,
    /// Answers per question (each a separate request with its own seed).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub samples: u32,
    #[arg(long)]
    pub temperature: Option<f64>,
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
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
    Gated,
}

/// How a jury decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VoteArg {
    /// More than half of the jurors (a tie is not met).
    Majority,
    /// Every juror.
    Unanimous,
}

/// What the judge prompt shows of the question's reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReferenceArg {
    /// The English translation and the ideal answer, where the question has them.
    Ideal,
    /// Neither.
    None,
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
    /// Judge: rules (offline checks), llm (a judge model for every criterion), hybrid (checks
    /// where a criterion has one, the judge model for the rest) or gated (a check not met
    /// decides "not met" with no call; the judge model decides the rest). Default: rules
    /// without --judge-model, hybrid with one.
    #[arg(long, value_enum)]
    pub judge: Option<JudgeArg>,
    /// The judge model; give it several times for a jury (models of different families).
    #[arg(long, value_name = "MODEL")]
    pub judge_model: Vec<String>,
    /// The API the judge is asked through (default: the model's, when it is one of these).
    #[arg(long, value_enum)]
    pub judge_api: Option<ApiArg>,
    /// The judge's API base URL (default: the model's base URL); for a jury, once for all
    /// jurors or once per --judge-model, in the same order.
    #[arg(long, value_name = "URL")]
    pub judge_base_url: Vec<String>,
    /// The environment variable that holds the judge's API key (default: the model's); for a
    /// jury, once for all jurors or once per --judge-model, in the same order.
    #[arg(long, value_name = "VAR")]
    pub judge_api_key_env: Vec<String>,
    /// How a jury decides each criterion: majority (ties are not met) or unanimous.
    #[arg(long, value_enum, default_value = "majority")]
    pub jury_vote: VoteArg,
    /// Verdicts asked of each judge model per criterion; the majority decides (ties: not met).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=99))]
    pub judge_samples: u32,
    /// Sampling temperature of judge requests (default 0; with --judge-samples above 1,
    /// default 0.7 so that repeated verdicts can differ).
    #[arg(long, value_name = "T")]
    pub judge_temperature: Option<f64>,
    /// Show the judge the question's English translation and ideal answer (as one good answer,
    /// not the only one), where the question has them.
    #[arg(long, value_enum, default_value = "ideal")]
    pub judge_reference: ReferenceArg,
    /// A prompt template file with {{conversation}}, {{answer}} and {{criterion}}/{{points}}
    /// (per-criterion) or {{criteria}} (batched); optional {{prompt_en}}, {{ideal_answer}},
    /// {{language}} and {{reference}} (the built-in reference section).
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
    /// max_tokens of judge requests (default: sized to the criteria asked, 64 plus 192 per
    /// criterion). A reply cut off by this limit is reported as such, not asked again.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
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

fn check_url(u: &str) -> Result<()> {
    match reqwest::Url::parse(u) {
        Ok(url) if url.scheme() == "http" || url.scheme() == "https" => Ok(()),
        _ => Err(super::usage(format!(
            "`{u}` is not an http(s) base URL (such as http://localhost:8000/v1)"
        ))),
    }
}

pub(super) fn model_side(m: &ModelArgs) -> Result<ModelSide> {
    if m.model.trim().is_empty() {
        return Err(super::usage("--model must not be empty"));
    }
    if m.temperature.is_some_and(|t| !(t.is_finite() && t >= 0.0)) {
        return Err(super::usage("--temperature must be a number >= 0"));
    }
    let (endpoint, api) = match &m.endpoint {
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
            let j = m.api.protocol();
            let url = m.base_url.clone().unwrap_or_else(|| default_base_url(j));
            check_url(&url)?;
            let env = m.key_env();
            let api = match m.api {
                ApiArg::Openai => Api::OpenAi,
                ApiArg::Anthropic => Api::Anthropic,
            };
            (Endpoint::new(&url, key_from(&env)?, &env), api)
        }
    };
    Ok(ModelSide {
        endpoint,
        api,
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

impl ModelArgs {
    /// The variable holding the model's key.
    fn key_env(&self) -> String {
        self.api_key_env
            .clone()
            .unwrap_or_else(|| default_key_env(self.api.protocol()).to_string())
    }

    /// The API, base URL and key variable a judge shares with this model by default; `None`
    /// for an endpoint file, whose service is no judge.
    pub(super) fn judge_defaults(&self, side: &ModelSide) -> Option<(JudgeApi, String, String)> {
        if self.endpoint.is_some() {
            return None;
        }
        Some((
            self.api.protocol(),
            side.endpoint.base_url.clone(),
            self.key_env(),
        ))
    }
}

/// The judge kind and its judge models. `model` is the answering model's API, base URL and key
/// variable, which the judge uses unless told otherwise (and when its API is the same).
pub(super) fn judge_panel(
    j: &JudgeArgs,
    model: Option<(JudgeApi, String, String)>,
) -> Result<(JudgeKind, Option<Panel>)> {
    let named = !j.judge_model.is_empty();
    let kind = match (j.judge, named) {
        (None, false) | (Some(JudgeArg::Rules), _) => JudgeKind::Rules,
        (None, true) | (Some(JudgeArg::Hybrid), true) => JudgeKind::Hybrid,
        (Some(JudgeArg::Llm), true) => JudgeKind::Llm,
        (Some(JudgeArg::Gated), true) => JudgeKind::Gated,
        (Some(k), false) => {
            let name = match k {
                JudgeArg::Llm => "llm",
                JudgeArg::Gated => "gated",
                _ => "hybrid",
            };
            return Err(super::usage(format!("--judge {name} needs --judge-model")));
        }
    };
    if kind == JudgeKind::Rules {
        return Ok((kind, None));
    }
    let n = j.judge_model.len();
    for (flag, given) in [
        ("--judge-base-url", j.judge_base_url.len()),
        ("--judge-api-key-env", j.judge_api_key_env.len()),
    ] {
        if given > 1 && given != n {
            return Err(super::usage(format!(
                "{flag} is given {given} times for {n} --judge-model: give it once (for every \
                 juror) or once per --judge-model, in the same order"
            )));
        }
    }
    let mut seen = std::collections::HashSet::new();
    for m in &j.judge_model {
        if m.trim().is_empty() {
            return Err(super::usage("--judge-model must not be empty"));
        }
        if !seen.insert(m.as_str()) {
            return Err(super::usage(format!(
                "--judge-model {m} is given twice; each juror needs its own name (to ask one \
                 model several times, use --judge-samples)"
            )));
        }
    }
    if j.judge_temperature
        .is_some_and(|t| !(t.is_finite() && t >= 0.0))
    {
        return Err(super::usage("--judge-temperature must be a number >= 0"));
    }
    let api = j
        .judge_api
        .map(ApiArg::protocol)
        .or(model.as_ref().map(|m| m.0))
        .unwrap_or_default();
    // The model's URL and key serve the judge only when both speak the same API.
    let shared = model.filter(|m| m.0 == api);
    if j.judge_structured && api == JudgeApi::Anthropic {
        return Err(super::usage(
            "--judge-structured sends an OpenAI response_format, which Anthropic's Messages API \
             does not take; leave it out with --judge-api anthropic (replies are parsed \
             leniently and asked again when unusable)",
        ));
    }
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
    let temperature = j.judge_temperature.or((j.judge_samples > 1).then_some(0.7));
    let pick = |list: &[String], i: usize| list.get(i).or(list.first()).cloned();
    let mut jurors = Vec::with_capacity(n);
    for (i, name) in j.judge_model.iter().enumerate() {
        let url = pick(&j.judge_base_url, i).unwrap_or_else(|| match &shared {
            Some((_, url, _)) => url.clone(),
            None => default_base_url(api),
        });
        check_url(&url)?;
        let env = pick(&j.judge_api_key_env, i).unwrap_or_else(|| match &shared {
            Some((_, _, env)) => env.clone(),
            None => default_key_env(api).to_string(),
        });
        jurors.push(JudgeSide {
            endpoint: Endpoint::new(&url, key_from(&env)?, &env),
            api,
            model: name.clone(),
            mode,
            template: template.clone(),
            retries: j.judge_retries,
            structured: j.judge_structured,
            max_tokens: j.judge_max_tokens,
            reference: match j.judge_reference {
                ReferenceArg::Ideal => Reference::Ideal,
                ReferenceArg::None => Reference::None,
            },
            temperature,
        });
    }
    Ok((
        kind,
        Some(Panel {
            jurors,
            vote: match j.jury_vote {
                VoteArg::Majority => VoteRule::Majority,
                VoteArg::Unanimous => VoteRule::Unanimous,
            },
            samples: j.judge_samples,
        }),
    ))
}
