//! Scores corrected with human labels (SPEC §4e), shown beside the judge's raw scores in the
//! terminal table, report.md and report.html (report.json and report.csv carry the numbers in
//! every group's row).

use std::fmt::Write;

use super::model::LabelBias;
use super::{pct, Report};
use crate::dataset::language_name;
use crate::stats::ppi::Corrected;
use crate::stats::GroupStats;

/// One group of one model: its raw statistics and, when it could be corrected, the correction.
pub(super) struct Row<'a> {
    pub model: &'a str,
    /// `overall`, a language's display name, or `domain: …`.
    pub group: String,
    pub raw: &'a GroupStats,
    pub corrected: Option<&'a Corrected>,
    /// For a language with too few labels to correct: its labelled answers and the judge's
    /// bias on them.
    pub few: Option<LabelBias>,
}

/// Every model's overall, per-language and per-domain rows; domains only where one has a
/// correction (a domain with no labels would only repeat the raw score).
pub(super) fn rows(report: &Report) -> Vec<Row<'_>> {
    let mut out = Vec::new();
    for (model, m) in &report.models {
        if m.labelled.unwrap_or(0) == 0 {
            continue;
        }
        if let Some(g) = &m.overall {
            out.push(Row {
                model,
                group: "overall".into(),
                raw: g,
                corrected: g.corrected.as_ref(),
                few: None,
            });
        }
        for (l, g) in &m.by_language {
            out.push(Row {
                model,
                group: format!("{} ({l})", language_name(l)),
                raw: g,
                corrected: g.corrected.as_ref(),
                few: m.judge_bias.get(l).copied(),
            });
        }
        for (d, g) in &m.by_domain {
            if g.corrected.is_some() {
                out.push(Row {
                    model,
                    group: format!("domain: {d}"),
                    raw: g,
                    corrected: g.corrected.as_ref(),
                    few: None,
                });
            }
        }
    }
    out
}

fn signed_pct(x: f64) -> String {
    format!("{}{}", if x >= 0.0 { "+" } else { "−" }, pct(x.abs()))
}

/// The cells after the group: raw, corrected with interval, labelled/all, λ, judge bias.
fn cells(r: &Row<'_>) -> [String; 5] {
    let raw = format!(
        "{} [{}, {}]",
        pct(r.raw.score),
        pct(r.raw.ci95[0]),
        pct(r.raw.ci95[1])
    );
    match r.corrected {
        Some(c) => [
            raw,
            format!("{} [{}, {}]", pct(c.score), pct(c.ci95[0]), pct(c.ci95[1])),
            format!("{}/{}", c.n_labelled, c.n),
            format!("{:.2}", c.lambda),
            signed_pct(c.judge_bias),
        ],
        None => [
            raw,
            "too few labels".into(),
            r.few
                .map(|b| format!("{}/{}", b.n_labelled, r.raw.n))
                .unwrap_or_default(),
            String::new(),
            r.few.map(|b| signed_pct(b.judge_bias)).unwrap_or_default(),
        ],
    }
}

/// Lines naming, per model, the languages with too few labels to correct.
fn too_few(report: &Report) -> Vec<String> {
    let min = report.labels.as_ref().map_or(0, |l| l.min_per_group);
    report
        .models
        .iter()
        .filter(|(_, m)| !m.too_few_labels.is_empty() && m.labelled.unwrap_or(0) > 0)
        .map(|(name, m)| {
            let langs: Vec<String> = m
                .too_few_labels
                .iter()
                .map(|(l, n)| format!("{l} ({n})"))
                .collect();
            format!(
                "{name}: too few labelled answers to correct (fewer than {min}): {}",
                langs.join(", ")
            )
        })
        .collect()
}

/// How the labels file was used, in one line.
fn source_line(report: &Report) -> Option<String> {
    let l = report.labels.as_ref()?;
    let mut s = format!(
        "labels from {}: {} labelled answers found in the run",
        l.file, l.matched
    );
    if l.unmatched > 0 {
        let _ = write!(s, "; {} labelled answers not in the run", l.unmatched);
    }
    Some(s)
}

const HEAD: [&str; 7] = [
    "group",
    "model",
    "raw (judge)",
    "corrected (95% CI)",
    "labelled/all",
    "λ",
    "judge bias",
];

/// The terminal's section, empty without labels.
pub fn terminal(report: &Report) -> String {
    let Some(source) = source_line(report) else {
        return String::new();
    };
    let rows = rows(report);
    let mut s = format!("\nScore (%) corrected with human labels (PPI++)\n{source}\n");
    if rows.is_empty() {
        s.push_str("no labelled answer matches an answer of this run: nothing to correct\n");
    } else {
        let mut t = comfy_table::Table::new();
        t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
        t.force_no_tty();
        t.set_header(HEAD);
        for r in &rows {
            let mut row = vec![r.group.clone(), r.model.to_string()];
            row.extend(cells(r));
            t.add_row(row);
        }
        let _ = writeln!(s, "{t}");
    }
    for line in too_few(report) {
        let _ = writeln!(s, "{line}");
    }
    for note in report.labels.iter().flat_map(|l| &l.notes) {
        let _ = writeln!(s, "note: {note}");
    }
    s
}

/// report.md's section, empty without labels.
pub fn markdown(report: &Report, md: impl Fn(&str) -> String) -> String {
    let Some(source) = source_line(report) else {
        return String::new();
    };
    let mut out = String::from("## Corrected with human labels\n\n");
    let _ = writeln!(
        out,
        "Judge scores corrected by prediction-powered inference (PPI++, power-tuned λ): the \
         intervals hold the uncertainty of both the judge's and the people's scores. Judge bias \
         is the judge's mean score minus the people's on the labelled answers.\n\n{}.\n",
        md(&source)
    );
    let _ = writeln!(out, "| {} |", HEAD.join(" | "));
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|");
    for r in rows(report) {
        let c = cells(&r);
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            md(&r.group),
            md(r.model),
            c.iter().map(|x| md(x)).collect::<Vec<_>>().join(" | ")
        );
    }
    out.push('\n');
    for line in too_few(report) {
        let _ = writeln!(out, "- {}", md(&line));
    }
    for note in report.labels.iter().flat_map(|l| &l.notes) {
        let _ = writeln!(out, "- note: {}", md(note));
    }
    out.push('\n');
    out
}

/// report.html's section, empty without labels.
pub fn html(report: &Report, esc: impl Fn(&str) -> String) -> String {
    let Some(source) = source_line(report) else {
        return String::new();
    };
    let mut h = String::from(
        "<section id=\"corrected\"><h2>Corrected with human labels</h2>\n<p class=\"muted\">Judge \
         scores corrected by prediction-powered inference (PPI++, power-tuned λ); intervals hold \
         the uncertainty of both the judge's and the people's scores. Judge bias is the judge's \
         mean score minus the people's on the labelled answers.</p>\n",
    );
    let _ = writeln!(h, "<p class=\"muted\">{}</p>", esc(&source));
    h.push_str("<div class=\"scroll\"><table class=\"headline\">\n<thead><tr>");
    for c in HEAD {
        let _ = write!(h, "<th>{}</th>", esc(c));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for r in rows(report) {
        let _ = write!(
            h,
            "<tr data-model=\"{}\"><th>{}</th><td>{}</td>",
            esc(r.model),
            esc(&r.group),
            esc(r.model)
        );
        for c in cells(&r) {
            let _ = write!(h, "<td class=\"num\">{}</td>", esc(&c));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table></div>\n");
    for line in too_few(report) {
        let _ = writeln!(h, "<p class=\"muted\">{}</p>", esc(&line));
    }
    for note in report.labels.iter().flat_map(|l| &l.notes) {
        let _ = writeln!(h, "<p class=\"muted\">note: {}</p>", esc(note));
    }
    h.push_str("</section>\n");
    h
}
