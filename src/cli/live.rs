//! `kasauti generate` and `kasauti run`, and the judge-model path of `kasauti grade`: live
//! evaluation against OpenAI-compatible endpoints (SPEC §5).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use serde_json::{json, Value};

use super::{print_diagnostics, DataArgs, MissingPolicy, Ui};
use crate::answers::openai::GenParams;
use crate::answers::Answer;
use crate::dataset::{load, Dataset};
use crate::error::{Error, Result};
use crate::http::{Cache, ClientConfig, Endpoint, Secret, StopHandle};
use crate::judge::llm::{JudgeMode, Template};
use crate::live::{self, JudgeKind, JudgeSide, ModelSide, Plan, Shard};
use crate::run::{self, Inputs, Manifest};

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

fn model_side(m: &ModelArgs) -> Result<ModelSide> {
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

/// The settings that shape results, stored in run.json and compared on resume.
fn result_settings(plan: &Plan) -> BTreeMap<String, Value> {
    let mut r = BTreeMap::new();
    if let Some(m) = &plan.model {
        r.insert("model".into(), json!(m.model));
        r.insert("base_url".into(), json!(m.endpoint.base_url));
        r.insert("temperature".into(), json!(m.params.temperature));
        r.insert("max_tokens".into(), json!(m.params.max_tokens));
        r.insert("seed".into(), json!(m.params.seed));
        r.insert("system_prompt".into(), json!(m.params.system_prompt));
        r.insert("samples".into(), json!(m.params.samples));
    }
    r.insert("shard".into(), json!(plan.shard.map(|s| s.to_string())));
    if let Some(k) = plan.judge {
        r.insert("judge".into(), json!(k.as_str()));
        let j = plan.judge_side.as_ref();
        r.insert("judge_model".into(), json!(j.map(|j| &j.model)));
        r.insert(
            "judge_base_url".into(),
            json!(j.map(|j| &j.endpoint.base_url)),
        );
        r.insert("judge_mode".into(), json!(j.map(|j| j.mode.as_str())));
        r.insert("judge_structured".into(), json!(j.map(|j| j.structured)));
        r.insert(
            "judge_max_tokens".into(),
            json!(j.and_then(|j| j.max_tokens)),
        );
    }
    r
}

fn inputs_of(ds: &Dataset, plan: &Plan) -> Inputs {
    Inputs {
        judge_template_sha256: plan
            .judge_side
            .as_ref()
            .and_then(|j| j.template.sha256.clone()),
        ..Inputs::for_dataset(ds)
    }
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

/// Common to `generate`, `run` and `grade --judge llm|hybrid`: everything from the plan to a
/// finished (or interrupted) run directory. Returns the outcome and the dataset.
#[allow(clippy::too_many_arguments)]
fn execute(
    ds: Dataset,
    dir: &Path,
    plan: Plan,
    answers_in: Option<Vec<Answer>>,
    http: &HttpArgs,
    mut settings: BTreeMap<String, Value>,
    mut inputs: Inputs,
    prices: [Option<f64>; 4],
    command: &[String],
    ui: &Ui,
    extra_digest: Option<(String, String)>,
) -> Result<(live::Outcome, Arc<Dataset>)> {
    let mut results = result_settings(&plan);
    if let Some((k, v)) = extra_digest {
        results.insert(k, json!(v));
    }
    inputs.answer_files.sort();
    run::create_dir(dir)?;
    let mut old_counts = BTreeMap::new();
    let started = match run::read_manifest(dir) {
        Ok(old) => {
            old_counts = old.counts.clone();
            run::check_resume(dir, &old, &results, &inputs)?;
            // Settings an earlier command stored and this one does not use (the model's, when
            // `run` follows `generate`) are kept.
            if let Some(Value::Object(o)) = old.settings.get("results") {
                for (k, v) in o {
                    results.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
            if inputs.judge_template_sha256.is_none() {
                inputs.judge_template_sha256 = old.inputs.judge_template_sha256.clone();
            }
            Some(old.started_at)
        }
        Err(_) if dir.join(run::MANIFEST).exists() => {
            return Err(super::usage(format!(
                "{} has a run.json that cannot be read; use another --out",
                dir.display()
            )))
        }
        Err(_) => None,
    };
    http.settings(&mut settings);
    settings.insert(
        "results".into(),
        Value::Object(results.into_iter().collect()),
    );
    let mut manifest = Manifest {
        kasauti_version: env!("CARGO_PKG_VERSION").into(),
        command: command.to_vec(),
        settings,
        inputs,
        started_at: started.unwrap_or_else(run::now),
        finished_at: None,
        counts: BTreeMap::new(),
        tokens: BTreeMap::new(),
    };
    run::write_dataset(dir, &ds)?;
    run::write_manifest(dir, &manifest)?;

    let mut secrets = Vec::new();
    if let Some(k) = plan.model.as_ref().and_then(|m| m.endpoint.key.clone()) {
        secrets.push(k);
    }
    if let Some(k) = plan
        .judge_side
        .as_ref()
        .and_then(|j| j.endpoint.key.clone())
    {
        secrets.push(k);
    }
    let stop = StopHandle::default();
    install_interrupt(&stop, ui);
    let mut names = Vec::new();
    if plan.model.is_some() {
        names.push("answers");
    }
    if plan.judge.is_some() {
        names.push("verdicts");
    }
    let mut made = ui.bars(&names).into_iter();
    let bars = Arc::new(Bars {
        answers: match plan.model {
            Some(_) => made.next().unwrap_or(super::Bar(None)),
            None => super::Bar(None),
        },
        verdicts: made.next().unwrap_or(super::Bar(None)),
    });
    let ds = Arc::new(ds);
    let result = live::execute(
        ds.clone(),
        dir,
        plan,
        answers_in,
        live::Setup {
            client: http.config()?,
            secrets,
            stop,
            progress: bars.clone(),
            grace: live::GRACE,
        },
    );
    bars.answers.finish();
    bars.verdicts.finish();
    manifest.tokens = live::token_totals(dir, prices)?;
    let outcome = match result {
        Ok(o) => o,
        Err(e) => {
            run::write_manifest(dir, &manifest)?;
            return Err(e);
        }
    };
    let count = |m: &mut Manifest, k: &str, v: u64| {
        let e = m.counts.entry(k.to_string()).or_insert(0);
        *e += v;
    };
    count(&mut manifest, "http_requests_sent", outcome.requests_sent);
    count(&mut manifest, "http_retries", outcome.retries);
    count(&mut manifest, "cache_hits", outcome.cache_hits);
    for (k, v) in &old_counts {
        if ["http_requests_sent", "http_retries", "cache_hits"].contains(&k.as_str()) {
            count(&mut manifest, k, *v);
        }
    }
    manifest.counts.insert("questions".into(), ds.len() as u64);
    if !outcome.interrupted {
        manifest.finished_at = Some(run::now());
    }
    manifest
        .counts
        .insert("answers".into(), outcome.answers_total);
    manifest
        .counts
        .insert("graded_complete".into(), outcome.graded_total);
    run::write_manifest(dir, &manifest)?;
    if outcome.interrupted {
        // Printed even with -q: without it the user cannot know how to continue.
        eprintln!(
            "interrupted: {} answered and {} graded in this session; everything written is kept.\n\
             To continue, run the same command again:\n  {}",
            outcome.answered,
            outcome.graded,
            run::shell_quote(command)
        );
        return Err(Error::Interrupted);
    }
    Ok((outcome, ds))
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
    let d = live::dry_run(ds, dir, plan)?;
    let mut out = String::new();
    for (url, body) in &d.requests {
        out.push_str(&format!("POST {url} {body}\n"));
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
    let inputs = inputs_of(&ds, &plan);
    let mut settings = BTreeMap::new();
    settings.insert("command".into(), json!("generate"));
    let (o, _) = execute(
        ds,
        &dir,
        plan,
        None,
        &a.http,
        settings,
        inputs,
        [a.model.price_prompt, a.model.price_completion, None, None],
        command,
        ui,
        None,
    )?;
    summary(ui, &o, &dir);
    let failed = failed_answers(&dir)?;
    Ok(if failed > 0 { 1 } else { 0 })
}

/// Failed items now in a run's answers.jsonl.
fn failed_answers(dir: &Path) -> Result<usize> {
    let p = dir.join(run::ANSWERS);
    if !p.exists() {
        return Ok(0);
    }
    Ok(run::read_answer_lines(&p)?
        .iter()
        .filter(|a| a.answer.is_none())
        .count())
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
    let (kind, judge) = judge_side(
        &a.judge,
        Some(&model.endpoint.base_url),
        &g.model.api_key_env,
    )?;
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
    let inputs = inputs_of(&ds, &plan);
    let mut settings = BTreeMap::new();
    settings.insert("command".into(), json!("run"));
    settings.insert("judge".into(), json!(kind.as_str()));
    settings.insert("missing".into(), json!(a.missing.as_str()));
    settings.insert("judge_retries".into(), json!(a.judge.judge_retries));
    let prices = [
        g.model.price_prompt,
        g.model.price_completion,
        a.judge.judge_price_prompt,
        a.judge.judge_price_completion,
    ];
    let (o, ds) = execute(
        ds, &dir, plan, None, &g.http, settings, inputs, prices, command, ui, None,
    )?;
    summary(ui, &o, &dir);
    report(&dir, &ds, a.missing, skipped, &a.format, ui, None)
}

/// Builds the reports of a live run directory from its files.
fn report(
    dir: &Path,
    ds: &Dataset,
    missing: MissingPolicy,
    skipped: usize,
    format: &[String],
    ui: &Ui,
    extra_failures: Option<&[Answer]>,
) -> Result<i32> {
    let mut records = run::read_records(dir, ds)?;
    if let Some(list) = extra_failures {
        for a in list {
            if let (Some(qi), None) = (ds.position(&a.question_id), &a.answer) {
                let m = records.model_id(&a.model);
                records.push_failed(m, qi, a.sample, a.error.clone().unwrap_or_default());
            }
        }
    }
    let tokens = run::tokens_of(&run::read_manifest(dir)?);
    let problems = super::report::finish(
        dir,
        ds,
        &records,
        missing == MissingPolicy::Zero,
        skipped,
        &tokens,
        format,
        ui,
    )?;
    Ok(if problems { 1 } else { 0 })
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
    let (kind, side) = judge_side(judge, None, "OPENAI_API_KEY")?;
    let plan = Plan {
        model: None,
        judge: Some(kind),
        judge_side: side,
        shard: None,
    };
    let mut inputs = inputs_of(&ds, &plan);
    inputs.answer_files = answer_files.clone();
    // The answers are part of what the grades depend on.
    let mut h = <sha2::Sha256 as sha2::Digest>::new();
    for p in &answer_files {
        let bytes = crate::jsonl::read_file(p)?;
        sha2::Digest::update(&mut h, <sha2::Sha256 as sha2::Digest>::digest(&bytes));
    }
    let answers_sha = crate::dataset::model::hex(&sha2::Digest::finalize(h));
    let mut settings = BTreeMap::new();
    settings.insert("command".into(), json!("grade"));
    settings.insert("judge".into(), json!(kind.as_str()));
    settings.insert("missing".into(), json!(missing.as_str()));
    let failures: Vec<Answer> = answers
        .iter()
        .filter(|a| a.answer.is_none())
        .cloned()
        .collect();
    let (o, ds) = execute(
        ds,
        dir,
        plan,
        Some(answers),
        http,
        settings,
        inputs,
        [
            None,
            None,
            judge.judge_price_prompt,
            judge.judge_price_completion,
        ],
        command,
        ui,
        Some(("answers_sha256".into(), answers_sha)),
    )?;
    summary(ui, &o, dir);
    report(dir, &ds, missing, skipped, format, ui, Some(&failures))
}
