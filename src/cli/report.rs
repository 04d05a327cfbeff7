//! `kasauti report`: rebuild reports from run directories (several are merged).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use clap::Args;

use super::{formats, MissingPolicy, Ui};
use crate::dataset::Dataset;
use crate::error::{Diagnostic, Error, Result};
use crate::grade::Records;
use crate::report::{self, exporter, ReportInput, ReportOptions};
use crate::run;
use crate::stats::Tokens;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Run directories; several are merged (overlapping items must agree).
    #[arg(required = true, value_name = "RUN")]
    pub runs: Vec<PathBuf>,
    /// Formats: table (terminal), md, json, csv, html.
    #[arg(long, value_delimiter = ',', default_value = "table,json,md,csv,html")]
    pub format: Vec<String>,
    /// Terminal table grouping: language, domain, language_domain, tag, criterion_tag.
    #[arg(long, value_delimiter = ',', default_value = "language")]
    pub by: Vec<String>,
    /// Where to write report files (default: the run directory, or runs/merged-… for several).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// How missing answers, failed items and null verdicts enter means (default: as the run had it).
    #[arg(long, value_enum)]
    pub missing: Option<MissingPolicy>,
}

/// What [`load_runs`] returns: the merged question set, the records, tokens per model and
/// each run's manifest.
pub type LoadedRuns = (
    Dataset,
    Records,
    HashMap<String, Tokens>,
    Vec<run::Manifest>,
);

/// Loads one or more run directories into one dataset and one set of records.
pub fn load_runs(runs: &[PathBuf]) -> Result<LoadedRuns> {
    let mut questions = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut records = Records::default();
    let mut tokens: HashMap<String, Tokens> = HashMap::new();
    let mut manifests = Vec::new();
    let mut keys: HashMap<(String, String, u32), (f64, bool, PathBuf)> = HashMap::new();
    let mut per_run = Vec::new();
    for dir in runs {
        let m = run::read_manifest(dir)?;
        let ds = run::read_dataset(dir)?;
        for q in &ds.questions {
            match seen.get(&q.id) {
                Some(&i) => {
                    let prev: &crate::dataset::Question = &questions[i];
                    if prev.rubric != q.rubric || prev.language != q.language {
                        return Err(Error::Input(vec![Diagnostic::error(
                            &dir.join(run::DATASET),
                            Some(q.origin.line),
                            Some("rubric"),
                            format!("question `{}` differs from the one in an earlier run directory; runs of different question sets cannot be merged", q.id),
                        )]));
                    }
                }
                None => {
                    seen.insert(q.id.clone(), questions.len());
                    questions.push(q.clone());
                }
            }
        }
        let r = run::read_records(dir, &ds)?;
        for (k, v) in run::tokens_of(&m) {
            tokens.entry(k).or_default().add(&v);
        }
        manifests.push(m);
        per_run.push((dir.clone(), ds, r));
    }
    let merged = Dataset::new(questions, Vec::new());
    let single = per_run.len() == 1;
    for (dir, ds, r) in per_run {
        if single {
            return Ok((merged, r, tokens, manifests));
        }
        // Keep one copy of items present in several runs, refusing ones that disagree.
        let mut keep = Records::default();
        let mut dup_items = HashSet::new();
        for (idx, it) in r.items.iter().enumerate() {
            let key = (
                r.models[it.model as usize].clone(),
                ds.questions[it.question as usize].id.clone(),
                it.sample,
            );
            let score = it.score;
            match keys.get(&key) {
                Some((s, failed, other)) => {
                    let same = (s.is_nan() && score.is_nan()) || *s == score;
                    if !same || *failed != it.failed {
                        return Err(Error::Input(vec![Diagnostic::error(
                            &dir.join(run::GRADES),
                            None,
                            Some("score"),
                            format!(
                                "model `{}`, question `{}`, sample {} is graded differently in {} ({}) and here ({})",
                                key.0,
                                key.1,
                                key.2,
                                other.display(),
                                s,
                                score
                            ),
                        )]));
                    }
                    dup_items.insert(idx);
                }
                None => {
                    keys.insert(key, (score, it.failed, dir.clone()));
                }
            }
        }
        let mut filtered = Records::default();
        for (idx, it) in r.items.iter().enumerate() {
            if dup_items.contains(&idx) {
                continue;
            }
            let n = ds.questions[it.question as usize].rubric.len();
            let mm = filtered.model_id(&r.models[it.model as usize]);
            let off = filtered.codes.len() as u64;
            filtered.codes.extend_from_slice(r.codes_of(it, n));
            filtered.items.push(crate::grade::Item {
                model: mm,
                offset: off,
                ..*it
            });
        }
        let _ = &mut keep;
        let map: Vec<u32> = ds
            .questions
            .iter()
            .map(|q| merged.position(&q.id).unwrap_or(0))
            .collect();
        let sizes: Vec<usize> = ds.questions.iter().map(|q| q.rubric.len()).collect();
        records.merge(&filtered, |q| map[q as usize], |q| sizes[q as usize]);
    }
    Ok((merged, records, tokens, manifests))
}

/// Builds the report, writes the requested files into `dir`, prints the terminal table.
/// Returns whether there were problems worth exit code 1 (incomplete grades, failed items).
#[allow(clippy::too_many_arguments)]
pub fn finish(
    dir: &Path,
    ds: &Dataset,
    records: &Records,
    missing_zero: bool,
    skipped: usize,
    tokens: &HashMap<String, Tokens>,
    format_list: &[String],
    ui: &Ui,
) -> Result<bool> {
    let opts = ReportOptions {
        missing_zero,
        skipped_invalid: skipped,
        tokens: tokens.clone(),
        most_missed: 10,
    };
    let clock = super::Stopwatch::start();
    let rep = report::build(ds, records, &opts);
    clock.lap("statistics");
    let list = formats(format_list);
    // Per-answer details are read back from the run directory only for formats that show them.
    let details = if list.iter().any(|f| f == "html") {
        Some(report::Details::load(&[dir.to_path_buf()])?)
    } else {
        None
    };
    let input = ReportInput {
        report: &rep,
        dataset: ds,
        details: details.as_ref(),
    };
    let mut table = true;
    for f in list {
        if f == "table" {
            table = true;
            continue;
        }
        let e = exporter(&f)?;
        crate::util::write_atomic(&dir.join(e.file_name()), &e.render(&input)?)?;
        clock.lap(e.file_name());
    }
    if table {
        ui.out(&report::table::language_table(&rep, ui.color));
    }
    let problems = rep
        .models
        .values()
        .any(|m| m.coverage.incomplete > 0 || m.coverage.failed > 0);
    Ok(problems)
}

pub fn run(a: &ReportArgs, ui: &Ui) -> Result<i32> {
    let (ds, records, tokens, manifests) = load_runs(&a.runs)?;
    let missing_zero = match a.missing {
        Some(m) => m == MissingPolicy::Zero,
        None => manifests
            .iter()
            .any(|m| m.settings.get("missing").and_then(|v| v.as_str()) == Some("zero")),
    };
    let skipped: usize = manifests
        .iter()
        .map(|m| m.counts.get("skipped_invalid").copied().unwrap_or(0) as usize)
        .sum();
    let out = match (&a.out, a.runs.len()) {
        (Some(o), _) => o.clone(),
        (None, 1) => a.runs[0].clone(),
        (None, _) => {
            let d = run::default_dir();
            PathBuf::from("runs").join(format!(
                "merged-{}",
                d.file_name()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ))
        }
    };
    run::create_dir(&out)?;
    let fmts = formats(&a.format);
    let opts = ReportOptions {
        missing_zero,
        skipped_invalid: skipped,
        tokens,
        most_missed: 10,
    };
    let rep = report::build(&ds, &records, &opts);
    let details = if fmts.iter().any(|f| f == "html") {
        Some(report::Details::load(&a.runs)?)
    } else {
        None
    };
    let input = ReportInput {
        report: &rep,
        dataset: &ds,
        details: details.as_ref(),
    };
    for f in &fmts {
        if f == "table" {
            for by in formats(&a.by) {
                ui.out(&report::table::grouped_table(&rep, &by, ui.color)?);
            }
            continue;
        }
        let e = exporter(f)?;
        crate::util::write_atomic(&out.join(e.file_name()), &e.render(&input)?)?;
    }
    if a.runs.len() > 1 || a.out.is_some() {
        run::write_dataset(&out, &ds)?;
    }
    let problems = rep
        .models
        .values()
        .any(|m| m.coverage.incomplete > 0 || m.coverage.failed > 0);
    Ok(if problems { 1 } else { 0 })
}
