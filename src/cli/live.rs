//! `kasauti generate` and `kasauti run`: live evaluation against OpenAI-compatible endpoints
//! (SPEC §5), Anthropic's Messages API and any JSON API an endpoint file describes (SPEC §5b).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::json;

use super::args::{judge_panel, model_side, HttpArgs, JudgeArgs, ModelArgs};
use super::progress::{finish, run_live};
use super::{print_diagnostics, DataArgs, MissingPolicy, Ui};
use crate::dataset::{load, Dataset};
use crate::error::Result;
use crate::run::pipeline::{Plan, Shard};
use crate::run::{self, LiveJob, ReportSettings};

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
    /// Human labels (JSONL, SPEC §4e) to correct the judge's scores with: reports add corrected
    /// scores with 95% intervals beside the raw ones, overall, per language and per domain.
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
}

fn load_data(data: &DataArgs, ui: &Ui) -> Result<(Dataset, usize)> {
    let loaded = load(&data.load_options())?;
    let usable = loaded.into_dataset(data.skip_invalid)?;
    print_diagnostics(ui, &usable.diagnostics, 50);
    Ok((usable.dataset, usable.skipped))
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
    if let Some(panel) = &plan.panel {
        s.push_str(&format!(
            "; {} judge requests (about {} prompt tokens, counting each answer as {} tokens)",
            d.judge_calls,
            d.judge_prompt_tokens,
            plan.model
                .as_ref()
                .and_then(|m| m.params.max_tokens)
                .unwrap_or(300)
        ));
        if panel.voices() > 1 {
            s.push_str(&format!(
                ", {} juror(s) × {} sample(s) each",
                panel.jurors.len(),
                panel.samples
            ));
        }
        if plan.judge == Some(crate::judge::JudgeKind::Gated) {
            s.push_str(
                " (gated: at most this many; a criterion whose check fails is decided without a \
                 call, which is known only once the answer is)",
            );
        }
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
        panel: None,
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
    if let Some(l) = &a.labels {
        run::labels::check_labels(l, &ds)?;
    }
    let shard = g
        .shard
        .as_deref()
        .map(Shard::parse)
        .transpose()
        .map_err(super::usage)?;
    let model = model_side(&g.model)?;
    let (kind, judge) = judge_panel(&a.judge, g.model.judge_defaults(&model))?;
    let plan = Plan {
        model: Some(model),
        judge: Some(kind),
        panel: judge,
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
            labels: a.labels.clone(),
            ..Default::default()
        }),
    };
    let done = run_live(ds, job, ui)?;
    Ok(finish(ui, &done, &dir))
}
