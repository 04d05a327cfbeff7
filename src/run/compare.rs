//! Comparing two runs (`kasauti compare`): their run directories merged side by side, models
//! paired, the paired statistics computed and the comparison exported.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::report::compare::compare_exporter;
use crate::report::write_exports;
use crate::stats::compare::{self, CompareOptions, Comparison, Side};

/// A comparison of two runs.
#[derive(Debug, Clone, Default)]
pub struct CompareJob {
    /// The baseline run directory (A); several, comma-separated (shards of one evaluation), are
    /// merged.
    pub run_a: PathBuf,
    /// The run compared with it (B); differences are B − A.
    pub run_b: PathBuf,
    /// The model of run A to compare, when it cannot be paired by name.
    pub model_a: Option<String>,
    /// The model of run B to compare.
    pub model_b: Option<String>,
    /// Statistics options.
    pub options: CompareOptions,
    /// Formats (`table` is the terminal's and is not written).
    pub formats: Vec<String>,
    /// Folder for the `compare.*` files.
    pub out: PathBuf,
}

/// Compares two runs and writes the comparison in every file format asked for.
pub fn compare_runs(job: &CompareJob) -> Result<Comparison> {
    // Checked before any work, so a typo never leaves half the files written.
    let mut exporters = Vec::new();
    for f in &job.formats {
        exporters.extend(compare_exporter(f)?);
    }
    let super::MergedRuns {
        dataset: ds_a,
        records: rec_a,
        ..
    } = super::merge_runs(&run_list(&job.run_a))?;
    let super::MergedRuns {
        dataset: ds_b,
        records: rec_b,
        ..
    } = super::merge_runs(&run_list(&job.run_b))?;
    let pairing = compare::pair_models(
        &rec_a.models,
        &rec_b.models,
        job.model_a.as_deref(),
        job.model_b.as_deref(),
    )?;
    let opts = &job.options;
    let side_a = Side {
        name: job.run_a.display().to_string(),
        dataset: &ds_a,
        records: &rec_a,
    };
    let side_b = Side {
        name: job.run_b.display().to_string(),
        dataset: &ds_b,
        records: &rec_b,
    };
    let mut cmp = compare::compare(&side_a, &side_b, &pairing.pairs, opts);
    cmp.notes.splice(0..0, pairing.notes);
    if cmp.comparisons.iter().all(|c| c.paired == 0) {
        return Err(Error::Usage(format!(
            "{} and {} have no scored answer to the same question and sample in common; nothing to compare",
            job.run_a.display(),
            job.run_b.display()
        )));
    }
    write_exports(&job.out, &exporters, &cmp)?;
    Ok(cmp)
}

/// One side's run directories: the path itself when it exists, else its comma-separated parts
/// (so a directory whose name holds a comma still works).
fn run_list(p: &Path) -> Vec<PathBuf> {
    if p.exists() {
        return vec![p.to_path_buf()];
    }
    let s = p.to_string_lossy();
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(PathBuf::from)
        .collect()
}
