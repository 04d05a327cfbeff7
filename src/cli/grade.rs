//! `kasauti grade`: grade saved answers offline (rule judge) or from recorded verdicts.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::Args;

use super::progress::{finish, run_live};
use super::{formats, print_diagnostics, DataArgs, MissingPolicy, Ui};
use crate::dataset::load;
use crate::error::Result;
use crate::report::table;
use crate::run::guard::Found;
use crate::run::{self, GradeJob, JudgedGradeConfig, ReportSettings};

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
    let judge = a.judge.options();
    if a.verdicts.is_none() && judge.asks_a_model() {
        // Judged live, resumably: the same job as `run`, with answers from the files.
        let config = JudgedGradeConfig {
            answers: a.answers.clone(),
            model: a.model.clone(),
            judge,
            http: a.http.options(),
            dir: a.out.clone().unwrap_or_else(run::default_dir),
            skip_invalid: a.data.skip_invalid,
            report: ReportSettings {
                missing_zero: a.missing == MissingPolicy::Zero,
                skipped_invalid: skipped_data,
                formats: formats(&a.format),
                labels: a.labels.clone(),
                ..Default::default()
            },
            command: command.to_vec(),
        };
        let given = config.read_answers(&ds)?;
        print_diagnostics(ui, &given.diagnostics, 50);
        let done = run_live(ds, config.job(given)?, ui)?;
        return Ok(finish(ui, &done, &config.dir));
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
