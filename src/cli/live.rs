//! `kasauti generate` and `kasauti run`: live evaluation against OpenAI-compatible endpoints
//! (SPEC §5), Anthropic's Messages API and any JSON API an endpoint file describes (SPEC §5b).

use std::path::{Path, PathBuf};

use clap::Args;

use super::args::{HttpArgs, JudgeArgs, ModelArgs};
use super::progress::{finish, run_live};
use super::{print_diagnostics, DataArgs, MissingPolicy, Ui};
use crate::dataset::{load, Dataset};
use crate::error::Result;
use crate::run::pipeline::{Plan, Shard};
use crate::run::{self, GenerateConfig, ReportSettings, RunConfig};

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
    let s = d.summary(plan);
    // The summary goes to stderr so stdout stays one request per line.
    if !ui.quiet {
        eprintln!("{s}");
    }
    Ok(0)
}

/// The library's config of `generate` (the shard is parsed here, before the model is checked).
fn generate_config(a: &GenerateArgs, command: &[String]) -> Result<GenerateConfig> {
    let shard = a.shard.as_deref().map(Shard::parse).transpose();
    Ok(GenerateConfig {
        model: a.model.options(),
        http: a.http.options(),
        shard: shard.map_err(super::usage)?,
        dir: a.out.clone(),
        command: command.to_vec(),
    })
}

/// `kasauti generate`.
pub fn generate(a: &GenerateArgs, ui: &Ui, command: &[String]) -> Result<i32> {
    let (ds, _) = load_data(&a.data, ui)?;
    let config = generate_config(a, command)?;
    if a.dry_run {
        return print_dry_run(ui, &ds, a.out.as_deref(), &config.plan()?);
    }
    let job = config.job()?;
    let dir = job.dir.clone();
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
    let config = RunConfig {
        generate: generate_config(g, command)?,
        judge: a.judge.options(),
        report: ReportSettings {
            missing_zero: a.missing == MissingPolicy::Zero,
            skipped_invalid: skipped,
            formats: super::formats(&a.format),
            labels: a.labels.clone(),
            ..Default::default()
        },
    };
    if g.dry_run {
        return print_dry_run(ui, &ds, g.out.as_deref(), &config.plan()?);
    }
    let job = config.job()?;
    let dir = job.dir.clone();
    let done = run_live(ds, job, ui)?;
    Ok(finish(ui, &done, &dir))
}
