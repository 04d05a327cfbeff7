#![warn(missing_docs)]
//! `kasauti compare RUN_A RUN_B`: paired differences between two runs (SPEC §7).

use std::path::PathBuf;

use clap::Args;

use super::{formats, MissingPolicy, Ui};
use crate::compare::{self, render, CompareOptions, Side};
use crate::error::{Error, Result};
use crate::run;

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

/// One side's run directories: the path itself when it exists, else its comma-separated parts
/// (so a directory whose name holds a comma still works).
fn run_list(p: &std::path::Path) -> Vec<PathBuf> {
    if p.exists() {
        return vec![p.to_path_buf()];
    }
    let s = p.to_string_lossy();
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(PathBuf::from)
        .collect()
}

pub fn run(a: &CompareArgs, ui: &Ui) -> Result<i32> {
    let fmts = formats(&a.format);
    // Checked before any work, so a typo never leaves half the files written.
    if let Some(bad) = fmts
        .iter()
        .find(|f| !matches!(f.as_str(), "table" | "md" | "markdown" | "json" | "html"))
    {
        return Err(Error::Usage(format!(
            "unknown compare format `{bad}` (expected table, md, json or html)"
        )));
    }
    let run::MergedRuns {
        dataset: ds_a,
        records: rec_a,
        ..
    } = run::merge_runs(&run_list(&a.run_a))?;
    let run::MergedRuns {
        dataset: ds_b,
        records: rec_b,
        ..
    } = run::merge_runs(&run_list(&a.run_b))?;
    let pairing = compare::pair_models(
        &rec_a.models,
        &rec_b.models,
        a.model_a.as_deref(),
        a.model_b.as_deref(),
    )?;
    let opts = CompareOptions {
        missing_zero: a.missing == MissingPolicy::Zero,
        resamples: a.resamples,
        permutations: a.permutations,
        top_criteria: a.top,
    };
    let side_a = Side {
        name: a.run_a.display().to_string(),
        dataset: &ds_a,
        records: &rec_a,
    };
    let side_b = Side {
        name: a.run_b.display().to_string(),
        dataset: &ds_b,
        records: &rec_b,
    };
    let mut cmp = compare::compare(&side_a, &side_b, &pairing.pairs, &opts);
    cmp.notes.splice(0..0, pairing.notes);
    if cmp.comparisons.iter().all(|c| c.paired == 0) {
        return Err(Error::Usage(format!(
            "{} and {} have no scored answer to the same question and sample in common; nothing to compare",
            a.run_a.display(),
            a.run_b.display()
        )));
    }
    let out = a.out.clone().unwrap_or_else(|| PathBuf::from("."));
    if fmts.iter().any(|f| f != "table") {
        crate::run::create_dir(&out)?;
    }
    for f in &fmts {
        match f.as_str() {
            "table" => ui.out(&render::table(&cmp, ui.color)),
            "md" | "markdown" => {
                crate::util::write_atomic(&out.join("compare.md"), &render::markdown(&cmp))?
            }
            "json" => crate::util::write_atomic(&out.join("compare.json"), &render::json(&cmp)?)?,
            _ => crate::util::write_atomic(&out.join("compare.html"), &render::html(&cmp))?,
        }
    }
    if fmts.iter().any(|f| f != "table") {
        ui.note(&format!("comparison written to {}", out.display()));
    }
    Ok(0)
}
