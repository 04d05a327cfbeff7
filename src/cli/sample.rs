//! `kasauti sample`: answers of a run chosen at random within each language, for people to label.

use std::path::PathBuf;

use clap::Args;

use super::Ui;
use crate::error::Result;
use crate::run::{self, sample::DEFAULT_SEED, SampleJob};

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// The run directory whose graded answers to choose from.
    #[arg(value_name = "RUN")]
    pub run: PathBuf,
    /// How many answers to choose in each language (all of a language's, when it has fewer).
    #[arg(long, value_name = "N")]
    pub per_language: usize,
    /// Random seed; the same seed over the same run chooses the same answers.
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// The labelling file to write (default: RUN/to-label.jsonl).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Replace the labelling file if it exists.
    #[arg(long)]
    pub overwrite: bool,
}

/// `kasauti sample`.
pub fn run(a: &SampleArgs, ui: &Ui) -> Result<i32> {
    let job = SampleJob {
        run: a.run.clone(),
        per_language: a.per_language,
        seed: a.seed.unwrap_or(DEFAULT_SEED),
        out: a.out.clone(),
        overwrite: a.overwrite,
    };
    let done = run::write_sample(&job)?;
    let c = &done.chosen;
    for l in &c.counts {
        if l.available < a.per_language {
            ui.note(&format!(
                "note: {} has only {} graded answer(s) to label; all of them were taken",
                crate::dataset::language::language_label(&l.language),
                l.available
            ));
        }
    }
    if c.without_text > 0 {
        ui.note(&format!(
            "warning: {} graded answer(s) left out: their text could not be found{}",
            c.without_text,
            c.texts_note
                .as_ref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        ));
    }
    let per: Vec<String> = c
        .counts
        .iter()
        .map(|l| format!("{} {}", l.language, l.chosen))
        .collect();
    ui.out(&format!(
        "{} answer(s) to label ({}), chosen with seed {}, written to {}\n",
        c.lines.len(),
        per.join(", "),
        done.seed,
        done.out.display()
    ));
    Ok(0)
}
