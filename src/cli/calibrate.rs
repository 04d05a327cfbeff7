#![warn(missing_docs)]
//! `kasauti calibrate`: a judge's verdicts against human labels (SPEC §4b).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use super::args::{HttpArgs, JudgeArgs};
use super::progress::Bars;
use super::{formats, print_diagnostics, DataArgs, Ui};
use crate::dataset::labels::LabelledItem;
use crate::dataset::load;
use crate::error::{Error, Result};
use crate::http::StopHandle;
use crate::report::calibration::{calibration_exporter, table};
use crate::run::calibrate::{calibrate_labels, CalibrateJob, JudgeVerdicts, LiveVerdicts};

#[derive(Debug, Args)]
#[command(
    group(clap::ArgGroup::new("judge_source").required(true).multiple(true).args(["verdicts", "judge_model", "judge"])),
    after_help = "With --judge-model, every labelled item is judged live by the judge model \
(--judge llm, the default here; --judge hybrid lets rule checks decide where a criterion has one), \
with the same prompts, retries and response cache as `grade`. Verdicts still null after \
--judge-retries are reported as undecided and left out of the judge's figures."
)]
pub struct CalibrateArgs {
    /// Reference labels, JSONL: {"question_id", "answer", "criterion_id", "labels": [true, false, …]}
    /// (one label per rater; rater k gave the k-th).
    #[arg(long, value_name = "FILE")]
    pub labels: PathBuf,
    /// The judge's recorded verdicts, JSONL: {"question_id", "criterion_id", "answer" (or
    /// "answer_sha256"), "met"}; matched to labels by question, criterion and answer text.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["judge_model", "judge", "save_verdicts"])]
    pub verdicts: Option<PathBuf>,
    #[command(flatten)]
    pub judge: JudgeArgs,
    #[command(flatten)]
    pub http: HttpArgs,
    /// Write the live judge's verdicts to FILE in the --verdicts format, to score the same
    /// calibration again later without calls.
    #[arg(long, value_name = "FILE")]
    pub save_verdicts: Option<PathBuf>,
    /// Outputs: table (terminal), json, md (files calibration.json, calibration.md).
    #[arg(long, value_delimiter = ',', default_value = "table")]
    pub format: Vec<String>,
    /// Folder for the calibration.* files (default: the current folder).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub data: DataArgs,
}

/// `kasauti calibrate`.
pub fn run(a: &CalibrateArgs, ui: &Ui) -> Result<i32> {
    let fmts = formats(&a.format);
    // Checked before anything is loaded, so a typo fails fast.
    for f in &fmts {
        calibration_exporter(f)?;
    }
    // Judge options are checked before anything is loaded, so a bad template or URL fails fast.
    let verdicts = match &a.verdicts {
        Some(v) => JudgeVerdicts::Recorded(v.clone()),
        None => JudgeVerdicts::live(&a.judge.options(), &a.http.options())?,
    };
    let live = matches!(verdicts, JudgeVerdicts::Live { .. });
    let loaded = load(&a.data.load_options())?;
    let usable = loaded.into_dataset(a.data.skip_invalid)?;
    print_diagnostics(ui, &usable.diagnostics, 20);
    let ds = usable.dataset;
    let job = CalibrateJob {
        labels: a.labels.clone(),
        verdicts,
        save_verdicts: a.save_verdicts.clone(),
        formats: fmts.clone(),
        out: a.out.clone().unwrap_or_else(|| PathBuf::from(".")),
    };
    let stop = StopHandle::default();
    let bars = Arc::new(if live {
        super::progress::install_interrupt(&stop, ui);
        Bars::verdicts_only(ui)
    } else {
        Bars::none()
    });
    let result = calibrate_labels(Arc::new(ds), &job, stop, bars.clone());
    bars.finish();
    let done = match result {
        Ok(d) => d,
        Err(Error::Interrupted) => {
            // Printed even with -q: without it the user cannot know how to continue.
            eprintln!(
                "interrupted: nothing was scored. Replies received so far are cached; run the \
                 same command again to finish without asking for them again."
            );
            return Err(Error::Interrupted);
        }
        Err(e) => return Err(e),
    };
    if let Some(l) = &done.live {
        report_live(a, ui, &done.items, l);
    }
    if fmts.iter().any(|f| f == "table") {
        ui.out(&table(&done.calibration, ui.color));
    }
    Ok(0)
}

/// Prints what the live judge cost, which items it left undecided, and where its verdicts were
/// saved.
fn report_live(a: &CalibrateArgs, ui: &Ui, items: &[LabelledItem], l: &LiveVerdicts) {
    let o = &l.outcome;
    let mut s = format!(
        "judge: {} labelled item(s), {} request(s) sent, {} retried, {} from the cache",
        items.len(),
        o.requests_sent,
        o.retries,
        o.cache_hits
    );
    if o.usage.replies > 0 {
        let _ = write!(
            s,
            "; {} prompt + {} completion tokens",
            o.usage.prompt_tokens, o.usage.completion_tokens
        );
        let cost = |tokens: u64, price: Option<f64>| price.map(|p| tokens as f64 * p / 1e6);
        let parts = [
            cost(o.usage.prompt_tokens, a.judge.judge_price_prompt),
            cost(o.usage.completion_tokens, a.judge.judge_price_completion),
        ];
        if parts.iter().any(Option::is_some) {
            let _ = write!(s, " (cost {:.4})", parts.iter().flatten().sum::<f64>());
        }
    }
    ui.note(&s);
    let undecided: Vec<(&LabelledItem, &crate::judge::Verdict)> = items
        .iter()
        .zip(&l.details)
        .filter(|(_, v)| v.met.is_none())
        .collect();
    if !undecided.is_empty() {
        ui.note(&format!(
            "{} item(s) undecided by the judge, left out of the judge's figures:",
            undecided.len()
        ));
        for (it, v) in undecided.iter().take(20) {
            ui.note(&format!(
                "  {}:{}: question `{}`, criterion `{}`: {}",
                it.file.display(),
                it.line,
                it.question_id,
                it.criterion_id,
                v.error
                    .as_deref()
                    .unwrap_or("no judge decides this criterion")
            ));
        }
        if undecided.len() > 20 {
            ui.note(&format!("  … and {} more", undecided.len() - 20));
        }
    }
    if let Some(path) = &a.save_verdicts {
        ui.note(&format!(
            "verdicts saved to {} (score them again with --verdicts {})",
            path.display(),
            path.display()
        ));
    }
}
