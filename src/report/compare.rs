#![warn(missing_docs)]
//! A comparison as a terminal table, Markdown, JSON and a self-contained HTML page, each an
//! [`Exporter`] of [`Comparison`]s.

use std::fmt::Write as _;

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Table as Grid};

use super::Exporter;
use crate::dataset::language::language_label as lang_label;
use crate::error::{Error, Result};
use crate::report::html::esc;
use crate::report::pct;
use crate::stats::compare::{Comparison, CriterionChange, Difference, ModelComparison};

/// A difference in percentage points with its sign.
fn pp(x: f64) -> String {
    let v = x * 100.0;
    // -0.0 and tiny negatives print as 0.0, not "-0.0".
    if v.abs() < 0.05 {
        "0.0".into()
    } else {
        format!("{v:+.1}")
    }
}

fn p_text(d: &Difference) -> String {
    p_fmt(d.p_value)
}

fn p_fmt(p: f64) -> String {
    if p < 0.001 {
        "<0.001".into()
    } else {
        format!("{p:.3}")
    }
}

/// The Holm-adjusted p-value, or a dash for the overall group.
fn holm_text(d: &Difference) -> String {
    d.p_holm.map_or_else(|| "—".into(), p_fmt)
}

/// The minimum detectable difference in percentage points, marked † when the group is too
/// small to detect the difference it shows.
fn mde_text(d: &Difference) -> String {
    match d.mde80 {
        Some(m) => format!(
            "{:.1}{}",
            m * 100.0,
            if d.underpowered() { " †" } else { "" }
        ),
        None => "—".into(),
    }
}

/// The footnote for the columns added to every comparison table.
const POWER_NOTE: &str = "p (Holm): adjusted over the language and domain groups. MDE80: the smallest difference (percentage points) the group could detect with 80% power at α = 0.05; † the group is too small to detect a difference of the size it shows.";

/// The rows of one model pair: (group label, kind, key, difference).
fn rows(c: &ModelComparison) -> Vec<(String, &'static str, String, &Difference)> {
    let mut out = Vec::new();
    if let Some(d) = &c.overall {
        out.push(("overall".to_string(), "overall", String::new(), d));
    }
    for (l, d) in &c.by_language {
        out.push((lang_label(l), "language", l.clone(), d));
    }
    for (k, d) in &c.by_domain {
        out.push((k.clone(), "domain", k.clone(), d));
    }
    out
}

fn title(cmp: &Comparison, c: &ModelComparison) -> String {
    format!(
        "A = {} ({}), B = {} ({}): {} paired answers; only in A: {}; only in B: {}; without a score in one run: {}",
        cmp.run_a, c.model_a, cmp.run_b, c.model_b, c.paired, c.only_a, c.only_b, c.unscored
    )
}

/// The terminal tables.
pub fn table(cmp: &Comparison, color: bool) -> String {
    let mut out = String::new();
    for c in &cmp.comparisons {
        out.push_str(&title(cmp, c));
        out.push('\n');
        let mut t = Grid::new();
        t.load_preset(UTF8_FULL_CONDENSED);
        if !color {
            t.force_no_tty();
        }
        t.set_header(vec![
            "group", "n", "A (%)", "B (%)", "B − A", "95% CI", "p", "p (Holm)", "MDE80", "",
        ]);
        let right = |s: String| Cell::new(s).set_alignment(CellAlignment::Right);
        for (label, kind, _, d) in rows(c) {
            let name = if kind == "domain" {
                format!("domain {label}")
            } else {
                label
            };
            t.add_row(vec![
                Cell::new(name),
                right(d.n.to_string()),
                right(pct(d.score_a)),
                right(pct(d.score_b)),
                right(pp(d.diff)),
                right(format!("[{}, {}]", pp(d.ci95[0]), pp(d.ci95[1]))),
                right(p_text(d)),
                right(holm_text(d)),
                right(mde_text(d)),
                Cell::new(if d.significant { "*" } else { "" }),
            ]);
        }
        out.push_str(&t.to_string());
        out.push_str(
            "\n* the 95% interval of B − A excludes zero. Differences in percentage points.\n",
        );
        out.push_str(POWER_NOTE);
        out.push('\n');
        let small: Vec<String> = rows(c)
            .into_iter()
            .filter(|r| r.3.underpowered())
            .map(|r| {
                if r.1 == "domain" {
                    format!("domain {}", r.0)
                } else {
                    r.0
                }
            })
            .collect();
        if !small.is_empty() {
            out.push_str(&format!(
                "too small to detect the difference shown: {}\n",
                small.join(", ")
            ));
        }
        if !c.criteria.is_empty() {
            out.push_str("Criteria whose met-rate changed most:\n");
            let mut t = Grid::new();
            t.load_preset(UTF8_FULL_CONDENSED);
            if !color {
                t.force_no_tty();
            }
            t.set_header(vec![
                "question",
                "criterion",
                "points",
                "n",
                "A met",
                "B met",
                "change",
            ]);
            for x in &c.criteria {
                t.add_row(vec![
                    Cell::new(&x.question_id),
                    Cell::new(format!(
                        "{} ({})",
                        crate::jsonl::truncate(&x.criterion, 60),
                        x.criterion_id
                    )),
                    right(x.points.to_string()),
                    right(x.n.to_string()),
                    right(format!("{}%", pct(x.met_rate_a))),
                    right(format!("{}%", pct(x.met_rate_b))),
                    right(pp(x.change)),
                ]);
            }
            out.push_str(&t.to_string());
            out.push('\n');
        }
        out.push('\n');
    }
    for n in &cmp.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out
}

/// `compare.json`.
pub fn json(cmp: &Comparison) -> Result<String> {
    let mut s = serde_json::to_string_pretty(cmp).map_err(|e| Error::Other(e.to_string()))?;
    s.push('\n');
    Ok(s)
}

fn md_escape(s: &str) -> String {
    crate::util::escape::markdown_cell(s)
}

/// `compare.md`.
pub fn markdown(cmp: &Comparison) -> String {
    let mut s = String::from("# kasauti comparison\n\n");
    let _ = writeln!(
        s,
        "Paired by question and sample; differences are B − A in percentage points, with {}-resample paired-bootstrap 95% intervals and two-sided paired permutation p-values. **Bold**: the interval excludes zero. {}\n",
        cmp.resamples,
        POWER_NOTE
    );
    for c in &cmp.comparisons {
        let _ = writeln!(
            s,
            "## {} vs {}\n\n{}\n",
            md_escape(&c.model_a),
            md_escape(&c.model_b),
            md_escape(&title(cmp, c))
        );
        s.push_str("| group | n | A (%) | B (%) | B − A | 95% CI | p | p (Holm) | MDE80 |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (label, kind, _, d) in rows(c) {
            let label = if kind == "domain" {
                format!("domain {label}")
            } else {
                label
            };
            let diff = if d.significant {
                format!("**{}**", pp(d.diff))
            } else {
                pp(d.diff)
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | [{}, {}] | {} | {} | {} |",
                md_escape(&label),
                d.n,
                pct(d.score_a),
                pct(d.score_b),
                diff,
                pp(d.ci95[0]),
                pp(d.ci95[1]),
                p_text(d),
                holm_text(d),
                mde_text(d)
            );
        }
        if !c.criteria.is_empty() {
            s.push_str("\n### Criteria whose met-rate changed most\n\n| question | criterion | points | n | A met | B met | change |\n|---|---|---:|---:|---:|---:|---:|\n");
            for x in &c.criteria {
                let _ = writeln!(
                    s,
                    "| {} | {} ({}) | {} | {} | {}% | {}% | {} |",
                    md_escape(&x.question_id),
                    md_escape(&x.criterion),
                    md_escape(&x.criterion_id),
                    x.points,
                    x.n,
                    pct(x.met_rate_a),
                    pct(x.met_rate_b),
                    pp(x.change)
                );
            }
        }
        s.push('\n');
    }
    for n in &cmp.notes {
        let _ = writeln!(s, "> note: {}", md_escape(n));
    }
    s
}

/// A forest plot: one row per group, the difference as a dot and its interval as a line.
fn forest(h: &mut String, c: &ModelComparison) {
    let rows = rows(c);
    let mut span: f64 = 0.05;
    for (_, _, _, d) in &rows {
        span = span
            .max(d.ci95[0].abs())
            .max(d.ci95[1].abs())
            .max(d.diff.abs());
    }
    // A tick step that reads well (1, 2, 5, 10, 20 or 25 points), at most five ticks a side.
    let step = [0.01, 0.02, 0.05, 0.1, 0.2, 0.25]
        .into_iter()
        .find(|s| span / s <= 5.0)
        .unwrap_or(0.25);
    let steps = (span / step).ceil().max(1.0) as i32;
    let span = steps as f64 * step;
    const LABEL_W: f64 = 260.0;
    const PLOT_W: f64 = 520.0;
    const ROW: f64 = 20.0;
    const TOP: f64 = 24.0;
    let height = TOP + rows.len() as f64 * ROW + 8.0;
    let width = LABEL_W + PLOT_W + 150.0;
    let x = |v: f64| LABEL_W + (v + span) / (2.0 * span) * PLOT_W;
    let _ = writeln!(
        h,
        "<svg class=\"chart\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" role=\"img\" aria-label=\"Difference B minus A by group\">"
    );
    for t in -steps..=steps {
        let v = step * t as f64;
        let cls = if t == 0 { "zero" } else { "grid" };
        let _ = writeln!(
            h,
            "<line class=\"{cls}\" x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{1}\" y2=\"{2}\"/><text class=\"axis\" x=\"{0:.1}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>",
            x(v),
            TOP - 6.0,
            height - 4.0,
            TOP - 10.0,
            pp(v)
        );
    }
    for (i, (label, kind, key, d)) in rows.iter().enumerate() {
        let cy = TOP + i as f64 * ROW + ROW / 2.0;
        let cls = if d.significant { "sig" } else { "ns" };
        let name = if *kind == "domain" {
            format!("domain {label}")
        } else {
            label.clone()
        };
        let _ = writeln!(
            h,
            "<g class=\"row {cls}\" data-kind=\"{kind}\" data-group=\"{}\" data-diff=\"{}\" data-lo=\"{}\" data-hi=\"{}\" data-p=\"{}\">\
             <title>{}: B − A = {} [{}, {}], p = {}, n = {}</title>\
             <text class=\"label\" x=\"{}\" y=\"{cy}\" text-anchor=\"end\" dominant-baseline=\"middle\">{}</text>\
             <line class=\"ci\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{cy}\" y2=\"{cy}\"/>\
             <circle cx=\"{:.1}\" cy=\"{cy}\" r=\"4.5\"/>\
             <text class=\"value\" x=\"{}\" y=\"{cy}\" dominant-baseline=\"middle\">{} [{}, {}]{}</text></g>",
            esc(key),
            d.diff,
            d.ci95[0],
            d.ci95[1],
            d.p_value,
            esc(&name),
            pp(d.diff),
            pp(d.ci95[0]),
            pp(d.ci95[1]),
            p_text(d),
            d.n,
            LABEL_W - 8.0,
            esc(&name),
            x(d.ci95[0]),
            x(d.ci95[1]),
            x(d.diff),
            LABEL_W + PLOT_W + 8.0,
            pp(d.diff),
            pp(d.ci95[0]),
            pp(d.ci95[1]),
            if d.significant { " *" } else { "" }
        );
    }
    h.push_str("</svg>\n");
}

fn criteria_html(h: &mut String, list: &[CriterionChange]) {
    if list.is_empty() {
        return;
    }
    h.push_str("<h3>Criteria whose met-rate changed most</h3>\n<div class=\"scroll\"><table><thead><tr><th>question</th><th>criterion</th><th>points</th><th>n</th><th>A met</th><th>B met</th><th>change</th></tr></thead><tbody>\n");
    for x in list {
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td>{} <span class=\"muted\">({})</span></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}%</td><td class=\"num\">{}%</td><td class=\"num\">{}</td></tr>",
            esc(&x.question_id),
            esc(&x.criterion),
            esc(&x.criterion_id),
            x.points,
            x.n,
            pct(x.met_rate_a),
            pct(x.met_rate_b),
            pp(x.change)
        );
    }
    h.push_str("</tbody></table></div>\n");
}

/// `compare.html`: one self-contained page.
pub fn html(cmp: &Comparison) -> String {
    let mut h = String::with_capacity(32 * 1024);
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>kasauti comparison</title>\n<style>\n");
    h.push_str(super::html_assets::CSS);
    h.push_str(FOREST_CSS);
    h.push_str("</style>\n</head>\n<body>\n<main>\n<header><h1>kasauti comparison</h1>\n");
    let _ = writeln!(
        h,
        "<p class=\"muted\">A = {} · B = {} · paired by question and sample · {} bootstrap resamples · p-values from paired sign-flip permutations · missing and incomplete answers: {}</p><p class=\"muted\">{}</p></header>",
        esc(&cmp.run_a),
        esc(&cmp.run_b),
        cmp.resamples,
        esc(&cmp.missing_policy),
        esc(POWER_NOTE)
    );
    for c in &cmp.comparisons {
        let _ = writeln!(
            h,
            "<section class=\"pair\" data-model-a=\"{}\" data-model-b=\"{}\"><h2>{} → {}</h2>\n<p class=\"muted\">{}</p>",
            esc(&c.model_a),
            esc(&c.model_b),
            esc(&c.model_a),
            esc(&c.model_b),
            esc(&title(cmp, c))
        );
        forest(&mut h, c);
        h.push_str("<div class=\"scroll\"><table><thead><tr><th>group</th><th>n</th><th>A (%)</th><th>B (%)</th><th>B − A</th><th>95% CI</th><th>p</th><th>p (Holm)</th><th>MDE80</th></tr></thead><tbody>\n");
        for (label, kind, _, d) in rows(c) {
            let label = if kind == "domain" {
                format!("domain {label}")
            } else {
                label
            };
            let _ = writeln!(
                h,
                "<tr{}><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">[{}, {}]</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                if d.significant { " class=\"sig\"" } else { "" },
                esc(&label),
                d.n,
                pct(d.score_a),
                pct(d.score_b),
                pp(d.diff),
                pp(d.ci95[0]),
                pp(d.ci95[1]),
                p_text(d),
                esc(&holm_text(d)),
                esc(&mde_text(d))
            );
        }
        h.push_str("</tbody></table></div>\n");
        criteria_html(&mut h, &c.criteria);
        h.push_str("</section>\n");
    }
    for n in &cmp.notes {
        let _ = writeln!(h, "<p class=\"muted\">Note: {}</p>", esc(n));
    }
    h.push_str("</main>\n</body>\n</html>\n");
    h
}

const FOREST_CSS: &str = r#"svg .zero { stroke: #555; stroke-width: 1.2; }
svg .row .ci { stroke: #8a949e; stroke-width: 2; }
svg .row circle { fill: #8a949e; }
svg .row.sig .ci { stroke: #0072B2; }
svg .row.sig circle { fill: #0072B2; }
tr.sig td { font-weight: 600; }
"#;

/// `compare.md`.
pub struct CompareMarkdown;
/// `compare.json`.
pub struct CompareJson;
/// `compare.html`.
pub struct CompareHtml;

impl Exporter<Comparison> for CompareMarkdown {
    fn name(&self) -> &'static str {
        "md"
    }
    fn file_name(&self) -> &'static str {
        "compare.md"
    }
    fn render(&self, cmp: &Comparison) -> Result<String> {
        Ok(markdown(cmp))
    }
}

impl Exporter<Comparison> for CompareJson {
    fn name(&self) -> &'static str {
        "json"
    }
    fn file_name(&self) -> &'static str {
        "compare.json"
    }
    fn render(&self, cmp: &Comparison) -> Result<String> {
        json(cmp)
    }
}

impl Exporter<Comparison> for CompareHtml {
    fn name(&self) -> &'static str {
        "html"
    }
    fn file_name(&self) -> &'static str {
        "compare.html"
    }
    fn render(&self, cmp: &Comparison) -> Result<String> {
        Ok(html(cmp))
    }
}

/// The file exporter of a comparison format (`table` is the terminal's: `None`).
pub fn compare_exporter(name: &str) -> Result<Option<Box<dyn Exporter<Comparison>>>> {
    Ok(match name {
        "table" => None,
        "md" | "markdown" => Some(Box::new(CompareMarkdown)),
        "json" => Some(Box::new(CompareJson)),
        "html" => Some(Box::new(CompareHtml)),
        other => {
            return Err(Error::Usage(format!(
                "unknown compare format `{other}` (expected table, md, json or html)"
            )))
        }
    })
}
