//! `kasauti report`: rebuild reports from run directories (several are merged).

use std::path::PathBuf;

use clap::Args;

use super::{formats, MissingPolicy, Ui};
use crate::error::Result;
use crate::report::table;
use crate::run::{self, ReportJob};

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
    /// A labelling file from `kasauti sample`: report.html lists its answers for review first.
    #[arg(long, value_name = "FILE")]
    pub review: Option<PathBuf>,
    /// Human labels (JSONL, SPEC §4e) to correct the judge's scores with: reports add corrected
    /// scores with 95% intervals beside the raw ones, overall, per language and per domain.
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
}

/// `kasauti report`.
pub fn run(a: &ReportArgs, ui: &Ui) -> Result<i32> {
    let fmts = formats(&a.format);
    let job = ReportJob {
        runs: a.runs.clone(),
        out: a.out.clone(),
        formats: fmts.clone(),
        missing_zero: a.missing.map(|m| m == MissingPolicy::Zero),
        review: a.review.clone(),
        labels: a.labels.clone(),
    };
    let rebuilt = run::rebuild_reports(&job)?;
    if fmts.iter().any(|f| f == "table") {
        for by in formats(&a.by) {
            ui.out(&table::grouped_table(&rebuilt.report, &by, ui.color)?);
        }
    }
    Ok(if rebuilt.report.has_problems() { 1 } else { 0 })
}
