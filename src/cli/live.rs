//! `kasauti generate` and `kasauti run`, and the judge-model path of `kasauti grade`: live
//! evaluation against OpenAI-compatible endpoints (SPEC §5), Anthropic's Messages API and any
//! JSON API an endpoint file describes (SPEC §5b).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use serde_json::{json, Value};

use super::{print_diagnostics, DataArgs, MissingPolicy, Ui};
use crate::answers::openai::GenParams;
use crate::answers::{anthropic, endpoint, Answer, Api};
use crate::dataset::{load, Dataset};
use crate::error::{Error, Result};
use crate::http::{Cache, ClientConfig, Endpoint, Secret, StopHandle};
use crate::judge::{JudgeApi, JudgeKind, JudgeMode, JudgeSide, Template};
use crate::run::pipeline::{self as live, ModelSide, Plan, Shard};
use crate::run::{self, LiveJob, LiveRun, ReportSettings};

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

    fn settings(&self, s: &mut BTreeMap<String, Value>) {
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
    /// The API the judge is asked through (default: the model's, when it is one of these).
    #[arg(long, value_enum)]
    pub judge_api: Option<ApiArg>,
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

/// `kasauti generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub http: HttpArgs,
    #[command(flatten)]
    pub data: DataArgs,
    /// Run directory (default: runs/<date>-<time>); rerun the same command on it to resume.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Take a stable K-th of N share of the (model, question, sample) items.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Print the requests and estimated tokens; send nothing, write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `kasauti run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub generate: GenerateArgs,
    #[command(flatten)]
    pub judge: JudgeArgs,
    /// How missing answers, failed items and null verdicts enter means.
    #[arg(long, value_enum, default_value = "exclude")]
    pub missing: MissingPolicy,
    /// Report files to write besides the terminal table.
    #[arg(long, value_delimiter = ',', default_value = "json,md,csv,html")]
    pub format: Vec<String>,
}

fn env_nonempty(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.trim().is_empty())
}

fn key_from(var: &str) -> Option<Secret> {
    env_nonempty(var).map(|k| Secret::new(k.trim()))
}

fn check_url(u: &str) -> Result<()> {
    match reqwest::Url::parse(u) {
        Ok(url) if url.scheme() == "http" || url.scheme() == "https" => Ok(()),
        _ => Err(super::usage(format!(
            "`{u}` is not an http(s) base URL (such as http://localhost:8000/v1)"
        ))),
    }
}

fn model_side(m: &ModelArgs) -> Result<ModelSide> {
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
            (Endpoint::new(&url, key_from(&env), &env), api)
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
    fn judge_defaults(&self, side: &ModelSide) -> Option<(JudgeApi, String, String)> {
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

/// The judge kind and model. `model` is the answering model's API, base URL and key variable,
/// which the judge uses unless told otherwise (and when its API is the same).
pub(super) fn judge_side(
    j: &JudgeArgs,
    model: Option<(JudgeApi, String, String)>,
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
    let model_name = j.judge_model.clone().unwrap_or_default();
    let api = j
        .judge_api
        .map(ApiArg::protocol)
        .or(model.as_ref().map(|m| m.0))
        .unwrap_or_default();
    // The model's URL and key serve the judge only when both speak the same API.
    let shared = model.filter(|m| m.0 == api);
    let url = j.judge_base_url.clone().unwrap_or_else(|| match &shared {
        Some((_, url, _)) => url.clone(),
        None => default_base_url(api),
    });
    check_url(&url)?;
    let env = j
        .judge_api_key_env
        .clone()
        .unwrap_or_else(|| match &shared {
            Some((_, _, env)) => env.clone(),
            None => default_key_env(api).to_string(),
        });
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
    Ok((
        kind,
        Some(JudgeSide {
            endpoint: Endpoint::new(&url, key_from(&env), &env),
            api,
            model: model_name,
            mode,
            template,
            retries: j.judge_retries,
            structured: j.judge_structured,
            max_tokens: j.judge_max_tokens,
        }),
    ))
}

/// Progress bars for the two stages.
pub(super) struct Bars {
    answers: super::Bar,
    verdicts: super::Bar,
}

impl Bars {
    /// Only the verdicts bar (judging without asking a model for answers).
    pub(super) fn verdicts_only(ui: &Ui) -> Bars {
        Bars {
            answers: super::Bar(None),
            verdicts: ui
                .bars(&["verdicts"])
                .into_iter()
                .next()
                .unwrap_or(super::Bar(None)),
        }
    }

    /// Clears the bars from the terminal.
    pub(super) fn finish(&self) {
        self.answers.finish();
        self.verdicts.finish();
    }

    fn message(client: &crate::http::Client) -> String {
        use crate::http::Stats;
        let s = &client.stats;
        format!(
            "retries {} · failed {} · cached {}",
            Stats::get(&s.retries),
            Stats::get(&s.failures),
            Stats::get(&s.cache_hits)
        )
    }
}

impl live::LiveProgress for Bars {
    fn begin(&self, answers: u64, grades: u64) {
        if let Some(b) = &self.answers.0 {
            b.set_length(answers);
        }
        if let Some(b) = &self.verdicts.0 {
            b.set_length(grades);
        }
    }
    fn answered(&self, _ok: bool, client: &crate::http::Client) {
        if let Some(b) = &self.answers.0 {
            b.set_message(Self::message(client));
            b.inc(1);
        }
    }
    fn graded(&self, _complete: bool, client: &crate::http::Client) {
        if let Some(b) = &self.verdicts.0 {
            b.set_message(Self::message(client));
            b.inc(1);
        }
    }
}

/// The first Ctrl-C stops new requests; the second exits at once (every line written so far is
/// already on disk, so nothing is lost).
pub(super) fn install_interrupt(stop: &StopHandle, ui: &Ui) {
    let stop = stop.clone();
    let quiet = ui.quiet;
    let presses = AtomicU32::new(0);
    let _ = ctrlc::set_handler(move || {
        if presses.fetch_add(1, Ordering::SeqCst) == 0 {
            if !quiet {
                eprintln!(
                    "\nstopping: no new requests; waiting up to {} s for those in flight \
                     (Ctrl-C again to quit at once)",
                    live::GRACE.as_secs()
                );
            }
            stop.stop();
        } else {
            std::process::exit(130);
        }
    });
}

fn summary(ui: &Ui, o: &live::Outcome, dir: &Path) {
    let mut parts = vec![format!("{} items to do", o.planned)];
    if o.answered + o.failed > 0 {
        parts.push(format!("{} answered", o.answered));
    }
    if o.failed > 0 {
        parts.push(format!("{} failed (see answers.jsonl)", o.failed));
    }
    if o.graded > 0 {
        parts.push(format!("{} graded", o.graded));
    }
    if o.incomplete > 0 {
        parts.push(format!("{} incomplete", o.incomplete));
    }
    parts.push(format!(
        "{} requests sent, {} retried, {} from the cache",
        o.requests_sent, o.retries, o.cache_hits
    ));
    if o.redone > 0 {
        parts.push(format!("{} earlier failures redone", o.redone));
    }
    ui.note(&format!(
        "{}; run directory: {}",
        parts.join(", "),
        dir.display()
    ));
}

fn load_data(data: &DataArgs, ui: &Ui) -> Result<(Dataset, usize)> {
    let loaded = load(&data.load_options())?;
    let (ds, diags, skipped) = loaded.into_dataset(data.skip_invalid)?;
    print_diagnostics(ui, &diags, 50);
    Ok((ds, skipped))
}

fn print_dry_run(ui: &Ui, ds: &Dataset, dir: Option<&Path>, plan: &Plan) -> Result<i32> {
    let d = run::dry_run(ds, dir, plan)?;
    let mut out = String::new();
    for req in &d.requests {
        out.push_str(&format!("{req}\n"));
    }
    ui.out(&out);
    let mut s = format!(
        "dry run: {} model requests (about {} prompt tokens",
        d.requests.len(),
        d.model_prompt_tokens
    );
    match d.model_completion_bound {
        Some(b) => s.push_str(&format!(", at most {b} completion tokens)")),
        None => s.push_str(", completion not bounded: no --max-tokens)"),
    }
    if plan.judge_side.is_some() {
        s.push_str(&format!(
            "; {} judge requests (about {} prompt tokens, counting each answer as {} tokens)",
            d.judge_calls,
            d.judge_prompt_tokens,
            plan.model
                .as_ref()
                .and_then(|m| m.params.max_tokens)
                .unwrap_or(300)
        ));
    }
    if d.already_done > 0 {
        s.push_str(&format!("; {} items already done", d.already_done));
    }
    s.push_str(". Tokens are estimated at one per three bytes of text. Nothing was sent.");
    // The summary goes to stderr so stdout stays one request per line.
    if !ui.quiet {
        eprintln!("{s}");
    }
    Ok(0)
}

/// Runs a live job with progress bars and Ctrl-C handling; an interrupted run prints how to
/// continue and ends with [`Error::Interrupted`].
fn run_live(ds: Dataset, job: LiveJob, ui: &Ui) -> Result<LiveRun> {
    let stop = StopHandle::default();
    install_interrupt(&stop, ui);
    let mut names = Vec::new();
    if job.plan.model.is_some() {
        names.push("answers");
    }
    if job.plan.judge.is_some() {
        names.push("verdicts");
    }
    let mut made = ui.bars(&names).into_iter();
    let bars = Arc::new(Bars {
        answers: match job.plan.model {
            Some(_) => made.next().unwrap_or(super::Bar(None)),
            None => super::Bar(None),
        },
        verdicts: made.next().unwrap_or(super::Bar(None)),
    });
    let command = job.command.clone();
    let result = run::live(Arc::new(ds), job, stop, bars.clone());
    bars.finish();
    let done = result?;
    if done.outcome.interrupted {
        // Printed even with -q: without it the user cannot know how to continue.
        eprintln!(
            "interrupted: {} answered and {} graded in this session; everything written is kept.\n\
             To continue, run the same command again:\n  {}",
            done.outcome.answered,
            done.outcome.graded,
            run::shell_quote(&command)
        );
        return Err(Error::Interrupted);
    }
    Ok(done)
}

/// Prints a finished live run: its summary and, when it has one, the report's table. Returns
/// the exit code.
fn finish(ui: &Ui, done: &LiveRun, dir: &Path) -> i32 {
    summary(ui, &done.outcome, dir);
    match &done.report {
        Some(rep) => {
            ui.out(&crate::report::table::language_table(rep, ui.color));
            i32::from(rep.has_problems())
        }
        None => i32::from(done.failed_answers > 0),
    }
}

/// `kasauti generate`.
pub fn generate(a: &GenerateArgs, ui: &Ui, command: &[String]) -> Result<i32> {
    let (ds, _) = load_data(&a.data, ui)?;
    let shard = a
        .shard
        .as_deref()
        .map(Shard::parse)
        .transpose()
        .map_err(super::usage)?;
    let plan = Plan {
        model: Some(model_side(&a.model)?),
        judge: None,
        judge_side: None,
        shard,
    };
    if a.dry_run {
        return print_dry_run(ui, &ds, a.out.as_deref(), &plan);
    }
    let dir = a.out.clone().unwrap_or_else(run::default_dir);
    let mut settings = BTreeMap::new();
    settings.insert("command".into(), json!("generate"));
    a.http.settings(&mut settings);
    let job = LiveJob {
        dir: dir.clone(),
        plan,
        answers: None,
        answer_files: Vec::new(),
        client: a.http.config()?,
        settings,
        prices: [a.model.price_prompt, a.model.price_completion, None, None],
        command: command.to_vec(),
        report: None,
    };
    let done = run_live(ds, job, ui)?;
    Ok(finish(ui, &done, &dir))
}

/// `kasauti run`.
pub fn run_cmd(a: &RunArgs, ui: &Ui, command: &[String]) -> Result<i32> {
    let g = &a.generate;
    let (ds, skipped) = load_data(&g.data, ui)?;
    let shard = g
        .shard
        .as_deref()
        .map(Shard::parse)
        .transpose()
        .map_err(super::usage)?;
    let model = model_side(&g.model)?;
    let (kind, judge) = judge_side(&a.judge, g.model.judge_defaults(&model))?;
    let plan = Plan {
        model: Some(model),
        judge: Some(kind),
        judge_side: judge,
        shard,
    };
    if g.dry_run {
        return print_dry_run(ui, &ds, g.out.as_deref(), &plan);
    }
    let dir = g.out.clone().unwrap_or_else(run::default_dir);
    let mut settings = BTreeMap::new();
    settings.insert("command".into(), json!("run"));
    settings.insert("judge".into(), json!(kind.as_str()));
    settings.insert("missing".into(), json!(a.missing.as_str()));
    settings.insert("judge_retries".into(), json!(a.judge.judge_retries));
    g.http.settings(&mut settings);
    let job = LiveJob {
        dir: dir.clone(),
        plan,
        answers: None,
        answer_files: Vec::new(),
        client: g.http.config()?,
        settings,
        prices: [
            g.model.price_prompt,
            g.model.price_completion,
            a.judge.judge_price_prompt,
            a.judge.judge_price_completion,
        ],
        command: command.to_vec(),
        report: Some(ReportSettings {
            missing_zero: a.missing == MissingPolicy::Zero,
            skipped_invalid: skipped,
            tokens: Default::default(),
            formats: super::formats(&a.format),
        }),
    };
    let done = run_live(ds, job, ui)?;
    Ok(finish(ui, &done, &dir))
}

/// `kasauti grade --judge llm|hybrid`: judge saved answers with a judge model, resumably.
#[allow(clippy::too_many_arguments)]
pub fn grade_with_judge(
    ds: Dataset,
    skipped: usize,
    answers: Vec<Answer>,
    answer_files: Vec<PathBuf>,
    judge: &JudgeArgs,
    http: &HttpArgs,
    dir: &Path,
    missing: MissingPolicy,
    format: &[String],
    ui: &Ui,
    command: &[String],
) -> Result<i32> {
    let (kind, side) = judge_side(judge, None)?;
    let plan = Plan {
        model: None,
        judge: Some(kind),
        judge_side: side,
        shard: None,
    };
    let mut settings = BTreeMap::new();
    settings.insert("command".into(), json!("grade"));
    settings.insert("judge".into(), json!(kind.as_str()));
    settings.insert("missing".into(), json!(missing.as_str()));
    http.settings(&mut settings);
    let job = LiveJob {
        dir: dir.to_path_buf(),
        plan,
        answers: Some(answers),
        answer_files,
        client: http.config()?,
        settings,
        prices: [
            None,
            None,
            judge.judge_price_prompt,
            judge.judge_price_completion,
        ],
        command: command.to_vec(),
        report: Some(ReportSettings {
            missing_zero: missing == MissingPolicy::Zero,
            skipped_invalid: skipped,
            tokens: Default::default(),
            formats: super::formats(format),
        }),
    };
    let done = run_live(ds, job, ui)?;
    Ok(finish(ui, &done, dir))
}
