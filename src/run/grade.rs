//! Grading answer files offline (`kasauti grade`): with the rule checks, or from verdicts
//! recorded elsewhere, into a fresh run directory with its reports.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::json;

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
    /// The command line, recorded in `run.json`.
    pub command: Vec<String>,
}

/// What [`grade_answers`] made.
#[derive(Debug)]
pub struct GradedRun {
    /// The report written into the run directory.
    pub report: Report,
    /// Problems with answer or verdict lines that were skipped (with `skip_invalid`), and
    /// warnings.
    pub diagnostics: Vec<Diagnostic>,
}

/// Grades answer files (or recorded verdicts) against `ds` and writes the run directory: grades,
/// `run.json`, the dataset snapshot and the reports. Invalid lines are an error unless
/// `skip_invalid`; a failed grading leaves no grade file behind.
pub fn grade_answers(ds: &Dataset, job: &GradeJob, progress: &dyn Progress) -> Result<GradedRun> {
    let started = super::now();
    let dir = &job.dir;
    super::create_dir(dir)?;
    // Grading from files is deterministic and fast, so a rerun starts the file afresh.
    let grades_path = dir.join(super::GRADES);
    let mut sink = crate::jsonl::JsonlWriter::create(&grades_path)?;
    let mut files = if job.answers.is_empty() {
        None
    } else {
        Some(AnswerFiles::open(&job.answers, job.model.clone())?)
    };
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
            return Err(e);
        }
    };
    sink.flush()?;
    drop(sink);
    let errors = outcome.diagnostics.iter().filter(|d| d.is_error()).count();
    if errors > 0 && !job.skip_invalid {
        // Nothing half-done is left looking like a result.
        let _ = std::fs::remove_file(&grades_path);
        return Err(Error::Input(outcome.diagnostics));
    }
    let skipped = job.skipped_data + outcome.skipped;

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
    let manifest = Manifest {
        kasauti_version: env!("CARGO_PKG_VERSION").into(),
        command: job.command.clone(),
        settings,
        inputs: Inputs {
            answer_files: files.as_ref().map(|f| f.paths.clone()).unwrap_or_default(),
            verdict_file: job.verdicts.clone(),
            ..Inputs::for_dataset(ds)
        },
        started_at: started,
        finished_at: Some(super::now()),
        counts,
        tokens: BTreeMap::new(),
    };
    super::write_manifest(dir, &manifest)?;
    let report_settings = ReportSettings {
        missing_zero: job.missing_zero,
        skipped_invalid: skipped,
        tokens: Default::default(),
        formats: job.formats.clone(),
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
        diagnostics: outcome.diagnostics,
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
