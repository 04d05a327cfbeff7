//! A calibration as a terminal table, Markdown and JSON, each an [`Exporter`] of
//! [`Calibration`]s.

use std::fmt::Write as _;

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Table as Grid};

use super::Exporter;
use crate::dataset::language_name;
use crate::error::{Error, Result};
use crate::stats::agreement::{Agreement, Calibration, GroupCalibration};

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

/// The terminal table.
pub fn table(cal: &Calibration, color: bool) -> String {
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
    for j in &cal.jurors {
        s.push('\n');
        s.push_str(&table(j, color));
    }
    s
}

/// `calibration.md`.
pub fn markdown(cal: &Calibration) -> String {
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
    for j in &cal.jurors {
        s.push('\n');
        s.push_str(&markdown(j).replacen("# kasauti judge calibration", "## One juror", 1));
    }
    s
}

/// `calibration.json`.
pub struct CalibrationJson;
/// `calibration.md`.
pub struct CalibrationMarkdown;

impl Exporter<Calibration> for CalibrationJson {
    fn name(&self) -> &'static str {
        "json"
    }
    fn file_name(&self) -> &'static str {
        "calibration.json"
    }
    fn render(&self, cal: &Calibration) -> Result<String> {
        let s = serde_json::to_string_pretty(cal).map_err(|e| Error::Other(e.to_string()))?;
        Ok(s + "\n")
    }
}

impl Exporter<Calibration> for CalibrationMarkdown {
    fn name(&self) -> &'static str {
        "md"
    }
    fn file_name(&self) -> &'static str {
        "calibration.md"
    }
    fn render(&self, cal: &Calibration) -> Result<String> {
        Ok(markdown(cal))
    }
}

/// The file exporter of a calibration format (`table` is the terminal's: `None`).
pub fn calibration_exporter(name: &str) -> Result<Option<Box<dyn Exporter<Calibration>>>> {
    Ok(match name {
        "table" => None,
        "json" => Some(Box::new(CalibrationJson)),
        "md" | "markdown" => Some(Box::new(CalibrationMarkdown)),
        other => {
            return Err(Error::Usage(format!(
                "unknown calibrate format `{other}` (expected table, json or md)"
            )))
        }
    })
}
