//! `kasauti grade`: grade saved answers offline (rule judge) or from recorded verdicts.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::Args;
use serde_json::json;

use super::{print_diagnostics, DataArgs, MissingPolicy, Ui};
use crate::answers::AnswerFiles;
use crate::dataset::load;
use crate::error::{Error, Result};
use crate::grade::{grade_files, grade_verdicts, Outcome};
use crate::judge::rules::RuleJudge;
use crate::run::{self, Inputs, Manifest};

#[derive(Debug, Args)]
pub struct GradeArgs {
    /// Answer files (JSONL or CSV) or folders of them.
    #[arg(long, num_args = 1.., value_name = "PATH", required_unless_present = "verdicts")]
    pub answers: Vec<PathBuf>,
    /// Model name for answers that carry none (default: the file's stem).
    #[arg(long)]
    pub model: Option<String>,
    #[command(flatten)]
    pub judge: super::live::JudgeArgs,
    #[command(flatten)]
    pub http: super::live::HttpArgs,
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
    #[command(flatten)]
    pub data: DataArgs,
}

pub fn run(a: &GradeArgs, ui: &Ui, command: &[String]) -> Result<i32> {
    let started = run::now();
    let clock = super::Stopwatch::start();
    let loaded = load(&a.data.load_options())?;
    let (ds, diags, skipped_data) = loaded.into_dataset(a.data.skip_invalid)?;
    print_diagnostics(ui, &diags, 50);
    let with_model = a.verdicts.is_none()
        && (a.judge.judge_model.is_some()
            || matches!(
                a.judge.judge,
                Some(super::live::JudgeArg::Llm | super::live::JudgeArg::Hybrid)
            ));
    if with_model {
        let dir = a.out.clone().unwrap_or_else(run::default_dir);
        return grade_with_model(a, ui, command, ds, skipped_data, &dir);
    }
    let mut files = if a.answers.is_empty() {
        None
    } else {
        Some(AnswerFiles::open(&a.answers, a.model.clone())?)
    };
    let answer_files = files.as_ref().map(|f| f.paths.clone()).unwrap_or_default();
    let mut settings = BTreeMap::new();
    settings.insert(
        "judge".into(),
        json!(if a.verdicts.is_some() {
            "verdicts"
        } else {
            "rules"
        }),
    );
    settings.insert("missing".into(), json!(a.missing.as_str()));
    settings.insert("skip_invalid".into(), json!(a.data.skip_invalid));
    if let Some(m) = &a.model {
        settings.insert("model".into(), json!(m));
    }
    let mut stamped = answer_files.clone();
    stamped.extend(a.verdicts.clone());
    settings.insert(
        "input_files".into(),
        json!(run::guard::file_stamps(&stamped)),
    );
    let mut manifest = Manifest {
        kasauti_version: env!("CARGO_PKG_VERSION").into(),
        command: command.to_vec(),
        settings,
        inputs: Inputs {
            answer_files,
            verdict_file: a.verdicts.clone(),
            ..Inputs::for_dataset(&ds)
        },
        started_at: started,
        finished_at: None,
        counts: BTreeMap::new(),
        tokens: BTreeMap::new(),
    };
    let given_out = a.out.is_some();
    let dir = a.out.clone().unwrap_or_else(run::default_dir);
    match run::guard::prepare_for_grading(&dir, &manifest, a.overwrite)? {
        run::guard::Found::SameJob => ui.note(&format!(
            "{} holds this grading run already (same inputs and settings): grading it again",
            dir.display()
        )),
        run::guard::Found::Replaced => ui.note(&format!(
            "--overwrite: replacing the run in {}",
            dir.display()
        )),
        run::guard::Found::Nothing => {}
    }
    // Written first, so a run killed part way still says what it was; a rerun of the same
    // command then grades it again (rule grading is deterministic, so the grades come out the
    // same) instead of refusing the folder.
    run::write_manifest(&dir, &manifest)?;
    let grades_path = dir.join(run::GRADES);
    let mut sink = crate::jsonl::JsonlWriter::create(&grades_path)?;
    let interrupted = install_interrupt(ui);
    if let Some(f) = files.as_mut() {
        f.stop_on(interrupted.clone());
    }
    let bar = ui.bar(None, "grading");
    let graded: Result<Outcome> = match &a.verdicts {
        Some(v) => grade_verdicts(&ds, v, files.as_mut(), &mut sink, &bar),
        None => RuleJudge::new(&ds)
            .map_err(Error::Other)
            .and_then(|judge| match files.as_mut() {
                Some(f) => grade_files(&ds, &judge, f, &mut sink, &bar),
                None => Err(super::usage("--answers is required")),
            }),
    };
    let outcome = match graded {
        Ok(o) => o,
        Err(e) => {
            drop(sink);
            // Nothing half-done is left looking like a result.
            let _ = std::fs::remove_file(&grades_path);
            let _ = std::fs::remove_file(dir.join(run::MANIFEST));
            return Err(e);
        }
    };
    let stopped = files.as_ref().is_some_and(|f| f.stopped());
    bar.finish();
    clock.lap("load and grade");
    sink.flush()?;
    drop(sink);
    let errors = outcome.diagnostics.iter().filter(|d| d.is_error()).count();
    if errors > 0 && !a.data.skip_invalid && !stopped {
        // Nothing half-done is left looking like a result.
        let _ = std::fs::remove_file(&grades_path);
        let _ = std::fs::remove_file(dir.join(run::MANIFEST));
        return Err(Error::Input(outcome.diagnostics));
    }
    print_diagnostics(ui, &outcome.diagnostics, 50);
    let skipped = skipped_data + outcome.skipped;

    let items = &outcome.records.items;
    let mut counts = BTreeMap::new();
    counts.insert("questions".into(), ds.len() as u64);
    counts.insert("answers".into(), items.len() as u64);
    counts.insert(
        "failed".into(),
        items.iter().filter(|i| i.failed).count() as u64,
    );
    counts.insert(
        "incomplete".into(),
        items.iter().filter(|i| !i.failed && !i.complete).count() as u64,
    );
    counts.insert("skipped_invalid".into(), skipped as u64);
    manifest.counts = counts;
    // An interrupted run is not finished: run.json says so by having no end time.
    manifest.finished_at = (!stopped).then(run::now);
    run::write_manifest(&dir, &manifest)?;
    // The dataset snapshot is written beside the statistics (nothing in them reads it).
    let problems = std::thread::scope(|scope| -> Result<bool> {
        let snapshot = scope.spawn(|| run::write_dataset(&dir, &ds));
        let problems = super::report::finish(
            &dir,
            &ds,
            &outcome.records,
            a.missing == MissingPolicy::Zero,
            skipped,
            &Default::default(),
            &a.format,
            ui,
        );
        snapshot
            .join()
            .map_err(|_| Error::Other("the dataset writer thread panicked".into()))??;
        problems
    })?;
    clock.lap("statistics and reports");
    ui.note(&format!("run directory: {}", dir.display()));
    if stopped {
        let mut again: Vec<String> = command.to_vec();
        if !given_out {
            again.extend(["--out".to_string(), dir.display().to_string()]);
        }
        ui.note(&format!(
            "interrupted: {} answer(s) graded and saved, with reports for them; to grade them all, run again:\n  {}",
            outcome.records.items.len(),
            shell_words(&again)
        ));
        return Ok(130);
    }
    Ok(if problems { 1 } else { 0 })
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
    let mut diags = Vec::new();
    let mut seen = std::collections::HashSet::new();
    loop {
        let batch = files.next_batch(8192)?;
        if batch.is_empty() {
            break;
        }
        for item in batch {
            match item {
                Err(d) => diags.push(d),
                Ok(loc) => {
                    let path = &files.paths[loc.file as usize];
                    let an = loc.answer;
                    if ds.is_deselected(&an.question_id) {
                        continue;
                    }
                    if ds.position(&an.question_id).is_none() {
                        diags.push(crate::error::Diagnostic::error(
                            path,
                            Some(loc.line),
                            Some("question_id"),
                            format!("answer to unknown question `{}`", an.question_id),
                        ));
                        continue;
                    }
                    if !seen.insert((an.model.clone(), an.question_id.clone(), an.sample)) {
                        diags.push(crate::error::Diagnostic::error(
                            path,
                            Some(loc.line),
                            Some("question_id"),
                            format!(
                                "duplicate answer for model `{}`, question `{}`, sample {}",
                                an.model, an.question_id, an.sample
                            ),
                        ));
                        continue;
                    }
                    answers.push(an);
                }
            }
        }
    }
    if !diags.is_empty() && !a.data.skip_invalid {
        return Err(Error::Input(diags));
    }
    print_diagnostics(ui, &diags, 50);
    super::live::grade_with_judge(
        ds,
        skipped_data + diags.len(),
        answers,
        files.paths.clone(),
        &a.judge,
        &a.http,
        dir,
        a.missing,
        &a.format,
        ui,
        command,
    )
}
