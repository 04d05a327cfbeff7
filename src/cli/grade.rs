//! `kasauti grade`: grade saved answers offline (rule judge) or from recorded verdicts.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::Args;

use super::args::{judge_panel, HttpArgs, JudgeArgs};
use super::progress::{finish, run_live};
use super::{formats, print_diagnostics, DataArgs, MissingPolicy, Ui};
use crate::answers::Answer;
use crate::answers::AnswerFiles;
use crate::dataset::load;
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::report::table;
use crate::run::guard::Found;
use crate::run::pipeline::Plan;
use crate::run::{self, GradeJob, LiveJob, ReportSettings};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Args)]
pub struct GradeArgs {
    /// Answer files (JSONL or CSV) or folders of them.
    #[arg(long, num_args = 1.., value_name = "PATH", required_unless_present = "verdicts")]
    pub answers: Vec<PathBuf>,
    /// Model name for answers that carry none (default: the file's stem).
    #[arg(long)]
    pub model: Option<String>,
    #[command(flatten)]
    pub judge: super::args::JudgeArgs,
    #[command(flatten)]
    pub http: super::args::HttpArgs,
    /// Score from verdicts decided elsewhere (JSONL: question_id, model, sample, criterion_id, met).
    #[arg(long, value_name = "FILE")]
    pub verdicts: Option<PathBuf>,
    /// Run directory (default: runs/<date>-<time>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace what --out holds (another run's files), instead of refusing.
    #[arg(long)]
    pub overwrite: bool,
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
    #[command(flatten)]
    pub data: DataArgs,
}

/// `kasauti grade`.
pub fn run(a: &GradeArgs, ui: &Ui, command: &[String]) -> Result<i32> {
    let clock = super::Stopwatch::start();
    let loaded = load(&a.data.load_options())?;
    let usable = loaded.into_dataset(a.data.skip_invalid)?;
    print_diagnostics(ui, &usable.diagnostics, 50);
    let (ds, skipped_data) = (usable.dataset, usable.skipped);
    if let Some(l) = &a.labels {
        run::labels::check_labels(l, &ds)?;
    }
    let with_model = a.verdicts.is_none()
        && (!a.judge.judge_model.is_empty()
            || matches!(
                a.judge.judge,
                Some(
                    super::args::JudgeArg::Llm
                        | super::args::JudgeArg::Hybrid
                        | super::args::JudgeArg::Gated
                )
            ));
    if with_model {
        let dir = a.out.clone().unwrap_or_else(run::default_dir);
        return grade_with_model(a, ui, command, ds, skipped_data, &dir);
    }
    let given_out = a.out.is_some();
    let dir = a.out.clone().unwrap_or_else(run::default_dir);
    let job = GradeJob {
        answers: a.answers.clone(),
        model: a.model.clone(),
        verdicts: a.verdicts.clone(),
        dir: dir.clone(),
        missing_zero: a.missing == MissingPolicy::Zero,
        skip_invalid: a.data.skip_invalid,
        skipped_data,
        formats: formats(&a.format),
        labels: a.labels.clone(),
        command: command.to_vec(),
        overwrite: a.overwrite,
        stop: Some(install_interrupt(ui)),
    };
    let bar = ui.bar(None, "grading");
    let graded = run::grade_answers(&ds, &job, &bar);
    bar.finish();
    let graded = graded?;
    match graded.found {
        Found::SameJob => ui.note(&format!(
            "{} holds this grading run already (same inputs and settings): grading it again",
            dir.display()
        )),
        Found::Replaced => ui.note(&format!(
            "--overwrite: replacing the run in {}",
            dir.display()
        )),
        Found::Nothing => {}
    }
    print_diagnostics(ui, &graded.diagnostics, 50);
    ui.out(&table::language_table(&graded.report, ui.color));
    clock.lap("grade and report");
    ui.note(&format!("run directory: {}", dir.display()));
    if graded.stopped {
        let mut again: Vec<String> = command.to_vec();
        if !given_out {
            again.extend(["--out".to_string(), dir.display().to_string()]);
        }
        ui.note(&format!(
            "interrupted: {} answer(s) graded and saved, with reports for them; to grade them all, run again:\n  {}",
            graded.graded,
            shell_words(&again)
        ));
        return Ok(130);
    }
    Ok(if graded.report.has_problems() { 1 } else { 0 })
}

/// The first Ctrl-C sets the returned flag: reading stops, the answers in hand are graded and
/// written, then run.json and the reports. A second Ctrl-C quits at once (every line written
/// so far is whole, and a rerun grades the run again).
fn install_interrupt(ui: &Ui) -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let set = flag.clone();
    let quiet = ui.quiet;
    let _ = ctrlc::set_handler(move || {
        if set.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        if !quiet {
            eprintln!(
                "\nstopping: grading the answers in hand and saving (Ctrl-C again to quit at once)"
            );
        }
    });
    flag
}

/// A command line that a POSIX shell reads back as the same words.
fn shell_words(words: &[String]) -> String {
    words
        .iter()
        .map(|w| {
            let plain = !w.is_empty()
                && w.chars()
                    .all(|c| c.is_alphanumeric() || "-_./=:,@%+".contains(c));
            if plain {
                w.clone()
            } else {
                format!("'{}'", w.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads every answer (they are few next to what a judge model costs) and judges them with the
/// judge model, resumably.
fn grade_with_model(
    a: &GradeArgs,
    ui: &Ui,
    command: &[String],
    ds: crate::dataset::Dataset,
    skipped_data: usize,
    dir: &std::path::Path,
) -> Result<i32> {
    let mut files = AnswerFiles::open(&a.answers, a.model.clone())?;
    let mut answers = Vec::new();
    let diags =
        crate::answers::check_answers(&ds, &mut files, |_, loc, _| answers.push(loc.answer))?;
    if !diags.is_empty() && !a.data.skip_invalid {
        return Err(Error::Input(diags));
    }
    print_diagnostics(ui, &diags, 50);
    grade_with_judge(
        ds,
        skipped_data + diags.len(),
        answers,
        files.paths.clone(),
        &a.judge,
        &a.http,
        dir,
        a.missing,
        &a.format,
        a.labels.clone(),
        ui,
        command,
    )
}

/// `kasauti grade --judge llm|hybrid`: judge saved answers with a judge model, resumably.
#[allow(clippy::too_many_arguments)]
fn grade_with_judge(
    ds: Dataset,
    skipped: usize,
    answers: Vec<Answer>,
    answer_files: Vec<PathBuf>,
    judge: &JudgeArgs,
    http: &HttpArgs,
    dir: &Path,
    missing: MissingPolicy,
    format: &[String],
    labels: Option<PathBuf>,
    ui: &Ui,
    command: &[String],
) -> Result<i32> {
    let (kind, panel) = judge_panel(judge, None)?;
    let plan = Plan {
        model: None,
        judge: Some(kind),
        panel,
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
            labels,
            ..Default::default()
        }),
    };
    let done = run_live(ds, job, ui)?;
    Ok(finish(ui, &done, dir))
}
