//! Grading answer files offline (`kasauti grade`): with the rule checks, or from verdicts
//! recorded elsewhere, into a fresh run directory with its reports.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use serde_json::json;

use super::guard::{self, Found};
use super::{Inputs, Manifest, ReportSettings};
use crate::answers::AnswerFiles;
use crate::dataset::Dataset;
use crate::error::{Diagnostic, Error, Result};
use crate::grade::{grade_files, grade_verdicts, Outcome, Progress};
use crate::judge::rules::RuleJudge;
use crate::report::Report;

/// Grading saved answers without a judge model.
#[derive(Debug, Clone, Default)]
pub struct GradeJob {
    /// Answer files (JSONL or CSV) or folders of them; may be empty with `verdicts`.
    pub answers: Vec<PathBuf>,
    /// Model name for answers that carry none (default: the file's stem).
    pub model: Option<String>,
    /// Score from verdicts decided elsewhere instead of the rule checks.
    pub verdicts: Option<PathBuf>,
    /// The run directory to write.
    pub dir: PathBuf,
    /// Missing answers, failed items and null verdicts count as 0.
    pub missing_zero: bool,
    /// Skip invalid answer lines (reported) instead of failing.
    pub skip_invalid: bool,
    /// Question-set lines skipped while loading (recorded in `run.json` and the reports).
    pub skipped_data: usize,
    /// Report formats to write.
    pub formats: Vec<String>,
    /// A labels file for corrected scores (`--labels`).
    pub labels: Option<PathBuf>,
    /// The command line, recorded in `run.json`.
    pub command: Vec<String>,
    /// Replace what `dir` holds (another run's files) instead of refusing.
    pub overwrite: bool,
    /// When set, reading stops: the answers in hand are graded and saved, with reports, and the
    /// run is left unfinished (a rerun grades it again).
    pub stop: Option<Arc<AtomicBool>>,
}

/// What [`grade_answers`] made.
#[derive(Debug)]
pub struct GradedRun {
    /// The report written into the run directory.
    pub report: Report,
    /// Problems with answer or verdict lines that were skipped (with `skip_invalid`), and
    /// warnings.
    pub diagnostics: Vec<Diagnostic>,
    /// What the run directory held before.
    pub found: Found,
    /// Reading was stopped before the files ended: the run is unfinished.
    pub stopped: bool,
    /// Answers graded (or failed) and saved.
    pub graded: usize,
}

/// Grades answer files (or recorded verdicts) against `ds` and writes the run directory: grades,
/// `run.json`, the dataset snapshot and the reports. Invalid lines are an error unless
/// `skip_invalid`; a failed grading leaves no grade file behind.
pub fn grade_answers(ds: &Dataset, job: &GradeJob, progress: &dyn Progress) -> Result<GradedRun> {
    let started = super::now();
    let dir = &job.dir;
    let mut files = if job.answers.is_empty() {
        None
    } else {
        Some(AnswerFiles::open(&job.answers, job.model.clone())?)
    };
    let answer_files = files.as_ref().map(|f| f.paths.clone()).unwrap_or_default();
    let mut settings = BTreeMap::new();
    settings.insert(
        "judge".into(),
        json!(if job.verdicts.is_some() {
            "verdicts"
        } else {
            "rules"
        }),
    );
    settings.insert("missing".into(), json!(missing_name(job.missing_zero)));
    settings.insert("skip_invalid".into(), json!(job.skip_invalid));
    if let Some(m) = &job.model {
        settings.insert("model".into(), json!(m));
    }
    let mut stamped = answer_files.clone();
    stamped.extend(job.verdicts.clone());
    settings.insert("input_files".into(), json!(guard::file_stamps(&stamped)));
    let mut manifest = Manifest {
        kasauti_version: env!("CARGO_PKG_VERSION").into(),
        command: job.command.clone(),
        settings,
        inputs: Inputs {
            answer_files,
            verdict_file: job.verdicts.clone(),
            ..Inputs::for_dataset(ds)
        },
        started_at: started,
        finished_at: None,
        counts: BTreeMap::new(),
        tokens: BTreeMap::new(),
    };
    let found = guard::prepare_for_grading(dir, &manifest, job.overwrite)?;
    // Written first, so a run killed part way still says what it was; a rerun of the same
    // command then grades it again (rule grading is deterministic, so the grades come out the
    // same) instead of refusing the folder.
    super::write_manifest(dir, &manifest)?;
    let grades_path = dir.join(super::GRADES);
    let mut sink = crate::jsonl::JsonlWriter::create(&grades_path)?;
    if let (Some(f), Some(stop)) = (files.as_mut(), &job.stop) {
        f.stop_on(stop.clone());
    }
    let graded: Result<Outcome> = match &job.verdicts {
        Some(v) => grade_verdicts(ds, v, files.as_mut(), &mut sink, progress),
        None => RuleJudge::new(ds)
            .map_err(Error::Other)
            .and_then(|judge| match files.as_mut() {
                Some(f) => grade_files(ds, &judge, f, &mut sink, progress),
                None => Err(Error::Usage("--answers is required".into())),
            }),
    };
    let outcome = match graded {
        Ok(o) => o,
        Err(e) => {
            drop(sink);
            // Nothing half-done is left looking like a result.
            let _ = std::fs::remove_file(&grades_path);
            let _ = std::fs::remove_file(dir.join(super::MANIFEST));
            return Err(e);
        }
    };
    let stopped = files.as_ref().is_some_and(|f| f.stopped());
    sink.flush()?;
    drop(sink);
    let errors = outcome.diagnostics.iter().filter(|d| d.is_error()).count();
    if errors > 0 && !job.skip_invalid && !stopped {
        // Nothing half-done is left looking like a result.
        let _ = std::fs::remove_file(&grades_path);
        let _ = std::fs::remove_file(dir.join(super::MANIFEST));
        return Err(Error::Input(outcome.diagnostics));
    }
    let skipped = job.skipped_data + outcome.skipped;

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
    manifest.finished_at = (!stopped).then(super::now);
    super::write_manifest(dir, &manifest)?;
    let report_settings = ReportSettings {
        missing_zero: job.missing_zero,
        skipped_invalid: skipped,
        tokens: Default::default(),
        formats: job.formats.clone(),
        labels: job.labels.clone(),
        ..Default::default()
    };
    // The dataset snapshot is written beside the statistics (nothing in them reads it).
    let report = std::thread::scope(|scope| -> Result<Report> {
        let snapshot = scope.spawn(|| super::write_dataset(dir, ds));
        let report = super::write_reports(
            dir,
            std::slice::from_ref(dir),
            ds,
            &outcome.records,
            &report_settings,
        );
        snapshot
            .join()
            .map_err(|_| Error::Other("the dataset writer thread panicked".into()))??;
        report
    })?;
    Ok(GradedRun {
        report,
        graded: outcome.records.items.len(),
        diagnostics: outcome.diagnostics,
        found,
        stopped,
    })
}

/// The name of a missing-answer policy in `run.json` and the reports.
pub fn missing_name(zero: bool) -> &'static str {
    if zero {
        "zero"
    } else {
        "exclude"
    }
}
