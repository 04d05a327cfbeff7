//! The run directory (SPEC §6): `run.json`, `dataset.jsonl` (the questions and rubrics the run
//! used, so reports can be rebuilt after the inputs move), `grades.jsonl`, `answers.jsonl` for
//! live runs, and the reports.

pub mod calibrate;
mod compare;
pub mod config;
mod details;
mod dry_run;
mod grade;
pub mod labels;
mod live;
mod manifest;
mod merge;
pub mod pipeline;
mod reports;
mod resume;
pub mod sample;
mod tasks;
mod validate;

use std::collections::HashMap;
use std::path::Path;

pub use compare::{compare_runs, CompareJob};
pub use config::{
    GenerateConfig, GivenAnswers, HttpOptions, JudgeOptions, JudgedGradeConfig, ModelOptions,
    RunConfig,
};
pub use dry_run::{dry_run, DryRun};
pub use grade::{grade_answers, missing_name, GradeJob, GradedRun};
pub use live::{live, LiveJob, LiveRun};
pub use manifest::{
    check_resume, create_dir, default_dir, now, read_manifest, shell_quote, write_manifest, Inputs,
    Manifest,
};
pub use merge::{merge_runs, MergedRuns};
pub use reports::{rebuild_reports, write_reports, Rebuilt, ReportJob, ReportSettings};
pub use resume::{judge_calls_saved, saved_state, token_totals, Saved};
pub use sample::{choose_answers, write_sample, Chosen, LanguageCount, SampleJob, Sampled};
pub use tasks::{judge_tasks, JudgeTask, JudgedTasks};
pub use validate::{validate, Validation};

use crate::dataset::{load::load_from_bytes, Dataset};
use crate::error::{Diagnostic, Error, Result};
use crate::grade::{Grade, Records};
use crate::jsonl::{JsonlWriter, LineReader};
use crate::stats::Tokens;

pub mod guard;

pub const MANIFEST: &str = "run.json";
pub const DATASET: &str = "dataset.jsonl";
pub const GRADES: &str = "grades.jsonl";
pub const ANSWERS: &str = "answers.jsonl";

/// Writes the questions the run uses, with rubrics inline.
pub fn write_dataset(dir: &Path, ds: &Dataset) -> Result<()> {
    let mut s = String::new();
    for q in &ds.questions {
        s.push_str(&q.to_json().to_string());
        s.push('\n');
    }
    crate::util::write_atomic(&dir.join(DATASET), &s)
}

/// Reads a run's dataset snapshot.
pub fn read_dataset(dir: &Path) -> Result<Dataset> {
    let p = dir.join(DATASET);
    let bytes = std::fs::read(&p).map_err(|e| Error::unreadable(&p, e))?;
    let loaded = load_from_bytes(vec![(p, bytes)], Vec::new());
    Ok(loaded.into_dataset(false)?.dataset)
}

/// Reads `grades.jsonl` into records (a torn last line from a killed run is ignored).
pub fn read_grades(dir: &Path, ds: &Dataset, records: &mut Records) -> Result<usize> {
    let p = dir.join(GRADES);
    if !p.exists() {
        return Ok(0);
    }
    let mut r = LineReader::open(&p)?;
    let mut batch = Vec::new();
    let mut diags = Vec::new();
    let mut n = 0;
    let total = std::fs::read(&p)
        .map(|b| b.ends_with(b"\n"))
        .unwrap_or(true);
    let mut pending: Option<(usize, Diagnostic)> = None;
    while r.read_batch(8192, &mut batch)? {
        for line in &batch {
            if let Some((_, d)) = pending.take() {
                diags.push(d);
            }
            let g: Grade = match line.text(&p).and_then(|t| {
                serde_json::from_str(t).map_err(|e| {
                    Diagnostic::error(
                        &p,
                        Some(line.number),
                        None,
                        format!("not a grade line: {}", crate::jsonl::json_error(&e)),
                    )
                })
            }) {
                Ok(g) => g,
                Err(d) => {
                    pending = Some((line.number, d));
                    continue;
                }
            };
            let Some(qi) = ds.position(&g.question_id) else {
                diags.push(Diagnostic::error(
                    &p,
                    Some(line.number),
                    Some("question_id"),
                    format!("grade for a question not in {DATASET}: `{}`", g.question_id),
                ));
                continue;
            };
            let m = records.model_id(&g.model);
            records.push_grade(m, qi, &g);
            n += 1;
        }
    }
    // Only the very last line may be torn (the file does not end in a newline).
    if let Some((_, d)) = pending {
        if total {
            diags.push(d);
        }
    }
    if !diags.is_empty() {
        return Err(Error::Input(diags));
    }
    Ok(n)
}

/// Opens `grades.jsonl` for appending.
pub fn grades_writer(dir: &Path) -> Result<JsonlWriter> {
    JsonlWriter::append(&dir.join(GRADES))
}

/// Token totals per model from a manifest.
pub fn tokens_of(m: &Manifest) -> HashMap<String, Tokens> {
    m.tokens
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Adds the items of `answers.jsonl` that failed (no answer, an error) and have no grade to the
/// records, so reports list them as failed with their reason.
pub fn read_failures(dir: &Path, ds: &Dataset, records: &mut Records) -> Result<usize> {
    let p = dir.join(ANSWERS);
    if !p.exists() {
        return Ok(0);
    }
    let graded: std::collections::HashSet<(u32, u32, u32)> = records
        .items
        .iter()
        .map(|i| (i.model, i.question, i.sample))
        .collect();
    let mut n = 0;
    for a in read_answer_lines(&p)? {
        let Some(error) = a.error.filter(|_| a.answer.is_none()) else {
            continue;
        };
        let Some(qi) = ds.position(&a.question_id) else {
            continue;
        };
        let m = records.model_id(&a.model);
        if graded.contains(&(m, qi, a.sample)) {
            continue;
        }
        records.push_failed(m, qi, a.sample, error);
        n += 1;
    }
    Ok(n)
}

/// Every well-formed line of an `answers.jsonl` (a torn or foreign line is skipped).
pub fn read_answer_lines(p: &Path) -> Result<Vec<crate::answers::Answer>> {
    let bytes = std::fs::read(p).map_err(|e| Error::io(p, e))?;
    Ok(crate::jsonl::lines_of(&bytes)
        .iter()
        .filter_map(|l| crate::answers::files::parse_jsonl_line(p, l, "").ok())
        .filter(|a| !a.model.is_empty())
        .collect())
}

/// Grades and failures of a run directory, as reports need them.
pub fn read_records(dir: &Path, ds: &Dataset) -> Result<Records> {
    let mut r = Records::default();
    read_grades(dir, ds, &mut r)?;
    read_failures(dir, ds, &mut r)?;
    Ok(r)
}
