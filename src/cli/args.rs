//! Argument groups several subcommands share (HTTP behaviour, the answering model, the judge),
//! and turning them into the library's configs.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::judge::{JudgeApi, JudgeKind, JudgeMode, Reference, VoteRule};
use crate::run::{HttpOptions, JudgeOptions, ModelOptions};

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
    /// The library's HTTP options.
    pub(super) fn options(&self) -> HttpOptions {
        HttpOptions {
            concurrency: self.concurrency,
            timeout_s: self.timeout,
            max_retries: self.max_retries,
            retry_base_ms: self.retry_base_ms,
            rpm: self.rpm,
            tpm: self.tpm,
            cache_dir: self.cache_dir.clone(),
            no_cache: self.no_cache,
        }
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

impl ModelArgs {
    /// The library's model options.
    pub(super) fn options(&self) -> ModelOptions {
        ModelOptions {
            model: self.model.clone(),
            api: self.api.protocol(),
            endpoint: self.endpoint.clone(),
            base_url: self.base_url.clone(),
            api_key_env: self.api_key_env.clone(),
            samples: self.samples,
            temperature: self.temperature,
            max_tokens: self.max_tokens,
            seed: self.seed,
            system_prompt: self.system_prompt.clone(),
            price_prompt: self.price_prompt,
            price_completion: self.price_completion,
        }
    }
}

impl JudgeArgs {
    /// The library's judge options.
    pub(super) fn options(&self) -> JudgeOptions {
        JudgeOptions {
            kind: self.judge.map(|j| match j {
                JudgeArg::Rules => JudgeKind::Rules,
                JudgeArg::Llm => JudgeKind::Llm,
                JudgeArg::Hybrid => JudgeKind::Hybrid,
                JudgeArg::Gated => JudgeKind::Gated,
            }),
            models: self.judge_model.clone(),
            api: self.judge_api.map(ApiArg::protocol),
            base_urls: self.judge_base_url.clone(),
            api_key_envs: self.judge_api_key_env.clone(),
            vote: match self.jury_vote {
                VoteArg::Majority => VoteRule::Majority,
                VoteArg::Unanimous => VoteRule::Unanimous,
            },
            samples: self.judge_samples,
            temperature: self.judge_temperature,
            reference: match self.judge_reference {
                ReferenceArg::Ideal => Reference::Ideal,
                ReferenceArg::None => Reference::None,
            },
            template: self.judge_template.clone(),
            mode: match self.judge_mode {
                ModeArg::PerCriterion => JudgeMode::PerCriterion,
                ModeArg::Batched => JudgeMode::Batched,
            },
            retries: self.judge_retries,
            structured: self.judge_structured,
            max_tokens: self.judge_max_tokens,
            price_prompt: self.judge_price_prompt,
            price_completion: self.judge_price_completion,
        }
    }
}
