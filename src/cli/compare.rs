#![warn(missing_docs)]
//! `kasauti compare RUN_A RUN_B`: paired differences between two runs (SPEC §7).

use std::path::PathBuf;

use clap::Args;

use super::{formats, MissingPolicy, Ui};
use crate::error::Result;
use crate::report::compare::table;
use crate::run::{self, CompareJob};
use crate::stats::compare::{self, CompareOptions};

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The baseline run directory (A); several, comma-separated (shards of one evaluation), are
    /// merged.
    #[arg(value_name = "RUN_A")]
    pub run_a: PathBuf,
    /// The run compared with it (B), or several comma-separated; differences are B − A.
    #[arg(value_name = "RUN_B")]
    pub run_b: PathBuf,
    /// The model of run A to compare (needed when A has several and they cannot be paired by name).
    #[arg(long, value_name = "MODEL")]
    pub model_a: Option<String>,
    /// The model of run B to compare.
    #[arg(long, value_name = "MODEL")]
    pub model_b: Option<String>,
    /// Outputs: table (terminal), md, json, html (files compare.md, compare.json, compare.html).
    #[arg(long, value_delimiter = ',', default_value = "table")]
    pub format: Vec<String>,
    /// Folder for the compare.* files (default: the current folder).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// How failed items and null verdicts enter means (answers in only one run are always left out).
    #[arg(long, value_enum, default_value = "exclude")]
    pub missing: MissingPolicy,
    /// Paired-bootstrap resamples for the intervals.
    #[arg(long, default_value_t = compare::RESAMPLES, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(100..=1_000_000))]
    pub resamples: usize,
    /// Random sign flips for the p-values (exact enumeration is used when it is smaller).
    #[arg(long, default_value_t = compare::PERMUTATIONS, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(100..=10_000_000))]
    pub permutations: usize,
    /// How many criteria with the largest change in met-rate to list.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
}

/// `kasauti compare`.
pub fn run(a: &CompareArgs, ui: &Ui) -> Result<i32> {
    let fmts = formats(&a.format);
    let job = CompareJob {
        run_a: a.run_a.clone(),
        run_b: a.run_b.clone(),
        model_a: a.model_a.clone(),
        model_b: a.model_b.clone(),
        options: CompareOptions {
            missing_zero: a.missing == MissingPolicy::Zero,
            resamples: a.resamples,
            permutations: a.permutations,
            top_criteria: a.top,
        },
        formats: fmts.clone(),
        out: a.out.clone().unwrap_or_else(|| PathBuf::from(".")),
    };
    let cmp = run::compare_runs(&job)?;
    if fmts.iter().any(|f| f == "table") {
        ui.out(&table(&cmp, ui.color));
    }
    if fmts.iter().any(|f| f != "table") {
        ui.note(&format!("comparison written to {}", job.out.display()));
    }
    Ok(0)
}
