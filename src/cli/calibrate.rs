#![warn(missing_docs)]
//! `kasauti calibrate`: a judge's verdicts against human labels (SPEC §4b).

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Table as Grid};

use super::{formats, print_diagnostics, DataArgs, Ui};
use crate::calibrate::{
    self, Agreement, Calibration, GroupCalibration, RecordedVerdicts, VerdictSource,
};
use crate::dataset::{language_name, load};
use crate::error::{Error, Result};

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("judge_source").required(true).args(["verdicts", "judge_model"])))]
pub struct CalibrateArgs {
    /// Reference labels, JSONL: {"question_id", "answer", "criterion_id", "labels": [true, false, …]}
    /// (one label per rater; rater k gave the k-th).
    #[arg(long, value_name = "FILE")]
    pub labels: PathBuf,
    /// The judge's recorded verdicts, JSONL: {"question_id", "criterion_id", "answer" (or
    /// "answer_sha256"), "met"}; matched to labels by question, criterion and answer text.
    #[arg(long, value_name = "FILE")]
    pub verdicts: Option<PathBuf>,
    /// Run a judge model on the labelled items (needs the live judge client).
    #[arg(long, value_name = "MODEL")]
    pub judge_model: Option<String>,
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
    let mut source: Box<dyn VerdictSource> = match (&a.verdicts, &a.judge_model) {
        (Some(v), _) => Box::new(RecordedVerdicts { path: v.clone() }),
        (None, Some(m)) => {
            return Err(Error::Usage(format!(
                "calibrating a live judge model (--judge-model {m}) is not available in this build; \
                 record the judge's verdicts for the labelled items and pass them with --verdicts FILE"
            )))
        }
        (None, None) => return Err(Error::Usage("give --verdicts FILE or --judge-model MODEL".into())),
    };
    let loaded = load(&a.data.load_options())?;
    let (ds, diags, _) = loaded.into_dataset(a.data.skip_invalid)?;
    print_diagnostics(ui, &diags, 20);
    let items = calibrate::read_labels(&a.labels, &ds)?;
    let verdicts = source.verdicts(&items)?;
    let cal = calibrate::calibrate(
        &items,
        &verdicts,
        &a.labels.display().to_string(),
        &source.name(),
    );
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

fn f3(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.3}")).unwrap_or_else(|| "—".into())
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
    s.push_str(&format!("| {} |\n", HEADER.join(" | ")));
    s.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (scope, g) in groups(cal) {
        for (who, a) in rows(g) {
            let _ = writeln!(
                s,
                "| {scope} | {who} | {} | {} | {:.3} | {} | {} | {} | {} | {} |",
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
