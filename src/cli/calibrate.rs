#![warn(missing_docs)]
//! `kasauti calibrate`: a judge's verdicts against human labels (SPEC §4b).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Table as Grid};

use super::live::{Bars, HttpArgs, JudgeArg, JudgeArgs};
use super::{formats, print_diagnostics, DataArgs, Ui};
use crate::calibrate::{
    self, Agreement, Calibration, GroupCalibration, LabelledItem, LiveJudge, RecordedVerdicts,
    VerdictSource,
};
use crate::dataset::{language_name, load, Dataset};
use crate::error::{Error, Result};
use crate::http::StopHandle;
use crate::live::{self, JudgeKind, JudgeSide};

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

pub fn run(a: &CalibrateArgs, ui: &Ui) -> Result<i32> {
    let fmts = formats(&a.format);
    if let Some(bad) = fmts
        .iter()
        .find(|f| !matches!(f.as_str(), "table" | "json" | "md" | "markdown"))
    {
        return Err(Error::Usage(format!(
            "unknown calibrate format `{bad}` (expected table, json or md)"
        )));
    }
    // Judge options are checked before anything is loaded, so a bad template or URL fails fast.
    let live_judge = match &a.verdicts {
        Some(_) => None,
        None => {
            let mut j = a.judge.clone();
            // Calibration measures the judge model itself unless told otherwise.
            if j.judge.is_none() {
                j.judge = Some(JudgeArg::Llm);
            }
            let (kind, side) = super::live::judge_side(&j, None, "OPENAI_API_KEY")?;
            Some((kind, side, a.http.config()?))
        }
    };
    let loaded = load(&a.data.load_options())?;
    let (ds, diags, _) = loaded.into_dataset(a.data.skip_invalid)?;
    print_diagnostics(ui, &diags, 20);
    let items = calibrate::read_labels(&a.labels, &ds)?;
    let (verdicts, name) = match (&a.verdicts, live_judge) {
        (Some(v), _) => {
            let mut source = RecordedVerdicts {
                path: v.clone(),
                skip_questions: ds.deselected.clone(),
            };
            (source.verdicts(&items)?, source.name())
        }
        (None, Some((kind, side, client))) => {
            judge_live(a, ui, Arc::new(ds), &items, kind, side, client)?
        }
        (None, None) => {
            return Err(Error::Usage(
                "give --verdicts FILE or --judge-model MODEL".into(),
            ))
        }
    };
    let cal = calibrate::calibrate(&items, &verdicts, &a.labels.display().to_string(), &name);
    let out = a.out.clone().unwrap_or_else(|| PathBuf::from("."));
    for f in &fmts {
        match f.as_str() {
            "table" => ui.out(&table(&cal, ui.color)),
            "json" => {
                crate::run::create_dir(&out)?;
                let s =
                    serde_json::to_string_pretty(&cal).map_err(|e| Error::Other(e.to_string()))?;
                crate::report::write_atomic(&out.join("calibration.json"), &(s + "\n"))?;
            }
            _ => {
                crate::run::create_dir(&out)?;
                crate::report::write_atomic(&out.join("calibration.md"), &markdown(&cal))?;
            }
        }
    }
    Ok(0)
}

/// Runs the judge on every labelled item, prints what it cost and which items stayed undecided,
/// and saves the verdicts when asked. Returns one verdict per item and the judge's name.
fn judge_live(
    a: &CalibrateArgs,
    ui: &Ui,
    ds: Arc<Dataset>,
    items: &[LabelledItem],
    kind: JudgeKind,
    side: Option<JudgeSide>,
    client: crate::http::ClientConfig,
) -> Result<(Vec<Option<bool>>, String)> {
    let secrets = side
        .as_ref()
        .and_then(|j| j.endpoint.key.clone())
        .into_iter()
        .collect();
    let stop = StopHandle::default();
    super::live::install_interrupt(&stop, ui);
    let bars = Arc::new(Bars::verdicts_only(ui));
    let mut source = LiveJudge::new(
        ds,
        kind,
        side,
        live::Setup {
            client,
            secrets,
            stop,
            progress: bars.clone(),
            grace: live::GRACE,
        },
    );
    let result = source.verdicts(items);
    bars.finish();
    let verdicts = match result {
        Ok(v) => v,
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
    let o = &source.outcome;
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
        .zip(&source.details)
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
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::run::create_dir(dir)?;
        }
        calibrate::write_verdicts(path, items, &source.details)?;
        ui.note(&format!(
            "verdicts saved to {} (score them again with --verdicts {})",
            path.display(),
            path.display()
        ));
    }
    Ok((verdicts, source.name()))
}

fn f3(x: Option<f64>) -> String {
    // A rounding error below zero (a kappa of -1e-17) is shown as 0.000, not -0.000.
    x.map(|v| format!("{:.3}", if v.abs() < 0.0005 { 0.0 } else { v }))
        .unwrap_or_else(|| "—".into())
}

fn signed(x: f64) -> String {
    if x.abs() < 0.0005 {
        "0.000".into()
    } else {
        format!("{x:+.3}")
    }
}

fn scope_label(code: &str) -> String {
    let name = language_name(code);
    if name == code {
        code.to_string()
    } else {
        format!("{name} ({code})")
    }
}

/// (who, agreement) rows of one group: the judge first, then each rater, then raters pooled.
fn rows(g: &GroupCalibration) -> Vec<(String, &Agreement)> {
    let mut out = Vec::new();
    if let Some(j) = &g.judge {
        out.push(("judge vs raters".to_string(), j));
    }
    for r in &g.raters {
        out.push((format!("rater {} vs others", r.rater), &r.agreement));
    }
    if let Some(p) = &g.raters_pooled {
        out.push(("raters (pooled)".to_string(), p));
    }
    out
}

fn groups(cal: &Calibration) -> Vec<(String, &GroupCalibration)> {
    let mut v = vec![("overall".to_string(), &cal.overall)];
    v.extend(cal.by_language.iter().map(|(l, g)| (scope_label(l), g)));
    v
}

const HEADER: [&str; 10] = [
    "scope",
    "who",
    "items",
    "pairs",
    "agreement",
    "kappa",
    "bias",
    "F1 met",
    "F1 not met",
    "balanced F1",
];

fn table(cal: &Calibration, color: bool) -> String {
    let mut t = Grid::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    if !color {
        t.force_no_tty();
    }
    t.set_header(HEADER.to_vec());
    let right = |s: String| Cell::new(s).set_alignment(CellAlignment::Right);
    for (scope, g) in groups(cal) {
        for (i, (who, a)) in rows(g).into_iter().enumerate() {
            t.add_row(vec![
                Cell::new(if i == 0 { scope.clone() } else { String::new() }),
                Cell::new(who),
                right(a.items.to_string()),
                right(a.pairs.to_string()),
                right(format!("{:.3}", a.agreement)),
                right(f3(a.kappa)),
                right(signed(a.bias)),
                right(f3(a.f1_met)),
                right(f3(a.f1_not_met)),
                right(f3(a.balanced_f1)),
            ]);
        }
    }
    let mut s = format!(
        "Judge verdicts ({}) against {} rater(s)' labels ({}): {} item(s)",
        cal.judge, cal.raters, cal.labels, cal.overall.items
    );
    if cal.overall.undecided > 0 {
        let _ = write!(
            s,
            ", {} undecided by the judge (left out)",
            cal.overall.undecided
        );
    }
    s.push('\n');
    s.push_str(&t.to_string());
    s.push_str("\nPairs: each judge verdict with each rater label of its item; each rater label with every other rater label of its item.\nbias = met-rate minus the reference labels' met-rate (positive: more lenient).\n");
    s
}

fn markdown(cal: &Calibration) -> String {
    let mut s = String::from("# kasauti judge calibration\n\n");
    let _ = writeln!(
        s,
        "Judge verdicts: `{}`; labels: `{}` ({} rater(s), {} item(s)). Each verdict is paired with each rater label of its item; each rater with the other raters.\n",
        cal.judge, cal.labels, cal.raters, cal.overall.items
    );
    if cal.overall.undecided > 0 {
        let _ = writeln!(
            s,
            "{} item(s) undecided by the judge (`null` verdicts) are left out of the judge's figures.\n",
            cal.overall.undecided
        );
    }
    s.push_str(&format!("| {} |\n", HEADER.join(" | ")));
    s.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (scope, g) in groups(cal) {
        for (who, a) in rows(g) {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {:.3} | {} | {} | {} | {} | {} |",
                crate::util::escape::markdown_cell(&scope),
                crate::util::escape::markdown_cell(&who),
                a.items,
                a.pairs,
                a.agreement,
                f3(a.kappa),
                signed(a.bias),
                f3(a.f1_met),
                f3(a.f1_not_met),
                f3(a.balanced_f1)
            );
        }
    }
    s
}
