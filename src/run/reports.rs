//! Writing a run's reports: the statistics of its records in every requested file format, and
//! rebuilding them later from one or more run directories (`kasauti report`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::merge::{merge_runs, MergedRuns};
use crate::dataset::labelling::{read_labelling, LabellingLine};
use crate::dataset::Dataset;
use crate::error::Result;
use crate::grade::Records;
use crate::report::{self, exporter, Details, Report, ReportInput, ReportOptions};
use crate::stats::Tokens;

/// What goes into a run's reports besides the records.
#[derive(Debug, Clone, Default)]
pub struct ReportSettings {
    /// `--missing zero`: missing answers, failed items and null verdicts count as 0 / not met.
    pub missing_zero: bool,
    /// Input lines skipped under `--skip-invalid`.
    pub skipped_invalid: usize,
    /// Tokens per model name.
    pub tokens: HashMap<String, Tokens>,
    /// Formats to write (`json`, `md`, `csv`, `html`; `table` is the terminal's and is skipped).
    pub formats: Vec<String>,
    /// Answers of a labelling file put up for review in the HTML page (empty: none).
    pub review: Vec<LabellingLine>,
    /// A labels file for corrected scores (`--labels`).
    pub labels: Option<PathBuf>,
}

/// Builds the report of `records` and writes each requested format into `out`. Formats that show
/// single answers (HTML) read them back from the run directories `runs`.
pub fn write_reports(
    out: &Path,
    runs: &[PathBuf],
    ds: &Dataset,
    records: &Records,
    settings: &ReportSettings,
) -> Result<Report> {
    let opts = ReportOptions {
        missing_zero: settings.missing_zero,
        skipped_invalid: settings.skipped_invalid,
        tokens: settings.tokens.clone(),
        most_missed: 10,
        labels: match &settings.labels {
            Some(path) => Some(super::labels::label_scores(path, ds, runs)?),
            None => None,
        },
    };
    let mut rep = report::build(ds, records, &opts);
    rep.judging = judging_of(runs)?;
    // Per-answer details are read back from the run directories only for formats that show them.
    let details = if settings.formats.iter().any(|f| f == "html") {
        Some(Details::load(runs)?)
    } else {
        None
    };
    let input = ReportInput {
        report: &rep,
        dataset: ds,
        details: details.as_ref(),
        review: (!settings.review.is_empty()).then_some(&settings.review[..]),
    };
    let exporters = settings
        .formats
        .iter()
        .filter(|f| *f != "table")
        .map(|f| exporter(f))
        .collect::<Result<Vec<_>>>()?;
    report::write_exports(out, &exporters, &input)?;
    Ok(rep)
}

/// What the judge models did in the runs, from their grade lines; `None` when no run was judged
/// by a judge model or there is nothing to say (runs graded by the rule judge alone are not
/// read again).
fn judging_of(runs: &[PathBuf]) -> Result<Option<crate::stats::jury::Judging>> {
    let mut j = crate::stats::jury::Judging::default();
    for dir in runs {
        let judged = super::read_manifest(dir).ok().is_some_and(|m| {
            matches!(
                m.settings.get("judge").and_then(|v| v.as_str()),
                Some("llm" | "hybrid" | "gated")
            )
        });
        let path = dir.join(super::GRADES);
        if !judged || !path.exists() {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|e| crate::error::Error::io(&path, e))?;
        for line in crate::jsonl::lines_of(&bytes) {
            let g: Option<crate::grade::Grade> = std::str::from_utf8(&line.bytes)
                .ok()
                .and_then(|t| serde_json::from_str(t).ok());
            if let Some(g) = g {
                j.observe(&g);
            }
        }
    }
    Ok(j.finish())
}

/// Rebuilding reports from run directories (`kasauti report`).
#[derive(Debug, Clone, Default)]
pub struct ReportJob {
    /// Run directories; several are merged (overlapping items must agree).
    pub runs: Vec<PathBuf>,
    /// Where to write the files (default: the run directory, or `runs/merged-…` for several).
    pub out: Option<PathBuf>,
    /// Formats to write.
    pub formats: Vec<String>,
    /// Whether missing answers count as zero; `None` keeps what the runs used.
    pub missing_zero: Option<bool>,
    /// A labelling file (`kasauti sample`) whose answers the HTML page lists for review.
    pub review: Option<PathBuf>,
    /// A labels file for corrected scores (`--labels`).
    pub labels: Option<PathBuf>,
}

/// What [`rebuild_reports`] made.
#[derive(Debug)]
pub struct Rebuilt {
    /// Where the files were written.
    pub dir: PathBuf,
    /// The report.
    pub report: Report,
}

/// Merges run directories and writes their reports.
pub fn rebuild_reports(job: &ReportJob) -> Result<Rebuilt> {
    if job.review.is_some() && !job.formats.iter().any(|f| f == "html") {
        return Err(crate::error::Error::Usage(
            "--review opens the labelling file in report.html: include html in --format".into(),
        ));
    }
    let MergedRuns {
        dataset: ds,
        records,
        tokens,
        manifests,
    } = merge_runs(&job.runs)?;
    let missing_zero = job.missing_zero.unwrap_or_else(|| {
        manifests
            .iter()
            .any(|m| m.settings.get("missing").and_then(|v| v.as_str()) == Some("zero"))
    });
    let skipped: usize = manifests
        .iter()
        .map(|m| m.counts.get("skipped_invalid").copied().unwrap_or(0) as usize)
        .sum();
    let out = match (&job.out, job.runs.len()) {
        (Some(o), _) => o.clone(),
        (None, 1) => job.runs[0].clone(),
        (None, _) => {
            let d = super::default_dir();
            PathBuf::from("runs").join(format!(
                "merged-{}",
                d.file_name()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ))
        }
    };
    let review = match &job.review {
        Some(p) => read_labelling(p, &ds)?,
        None => Vec::new(),
    };
    super::create_dir(&out)?;
    let settings = ReportSettings {
        review,
        missing_zero,
        skipped_invalid: skipped,
        tokens,
        formats: job.formats.clone(),
        labels: job.labels.clone(),
    };
    let report = write_reports(&out, &job.runs, &ds, &records, &settings)?;
    if job.runs.len() > 1 || job.out.is_some() {
        super::write_dataset(&out, &ds)?;
    }
    Ok(Rebuilt { dir: out, report })
}
