#![warn(missing_docs)]
//! `report.html`: one self-contained page (inline CSS, inline SVG drawn here, no network) with
//! the headline per model, score by language with interval whiskers, a language × domain heat
//! map per model, the criteria most often missed per language, and a drill-down per question.
//!
//! The drill-down is what makes a page for thousands of questions heavy, so it is built lazily:
//! every question's material is embedded once as JSON in a `<script type="application/json">`
//! block, each question is a collapsed `<details>` row, and a small inline script renders a
//! question's texts and verdicts into the DOM only while it is open (and drops them when it is
//! closed). Data never goes through `innerHTML`: the script sets `textContent`, and every string
//! written into the markup here is escaped, so answers holding HTML or `</script>` stay text.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use serde_json::Value;

use super::html_assets::{CSS, SCRIPT};
use super::html_drill::drill_down;
use super::review_assets::{REVIEW_CSS, REVIEW_SCRIPT};
use super::{pct, Details, Exporter, ModelReport, Report, ReportInput};
use crate::dataset::language::language_label as lang_label;
use crate::error::Result;
use crate::stats::GroupStats;

/// The `html` format.
pub struct Html;

impl Exporter<ReportInput<'_>> for Html {
    fn name(&self) -> &'static str {
        "html"
    }
    fn file_name(&self) -> &'static str {
        "report.html"
    }
    fn render(&self, input: &ReportInput<'_>) -> Result<String> {
        Ok(render(input))
    }
}

/// Model colours (Okabe–Ito, distinguishable with the common colour-vision deficiencies).
const PALETTE: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999933", "#000000",
];

pub(super) fn color(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON that is safe inside a `<script>` element: `<`, `>` and `&` are written as `\u` escapes
/// (still the same JSON), so no `</script>` or `<!--` can end or alter the block; U+2028/2029
/// are escaped for older script parsers.
pub fn script_json(v: &Value) -> String {
    let s = v.to_string();
    let mut out = String::with_capacity(s.len() + 16);
    for ch in s.chars() {
        match ch {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// A number for a `data-` attribute: full precision, so tests and scripts can compare it with
/// `report.json` exactly.
fn num(x: f64) -> String {
    format!("{x}")
}

pub(super) fn domain_label(d: &str) -> String {
    d.replace("_and_", " & ").replace('_', " ")
}

fn ci_text(g: &GroupStats) -> String {
    format!(
        "{} <span class=\"ci\">[{}, {}]</span>",
        pct(g.score),
        pct(g.ci95[0]),
        pct(g.ci95[1])
    )
}

/// Every language and domain any model has a score in, sorted.
fn axes(report: &Report) -> (Vec<String>, Vec<String>) {
    let mut langs = BTreeSet::new();
    let mut domains = BTreeSet::new();
    for m in report.models.values() {
        langs.extend(m.by_language.keys().cloned());
        domains.extend(m.by_domain.keys().cloned());
    }
    (langs.into_iter().collect(), domains.into_iter().collect())
}

fn render(input: &ReportInput<'_>) -> String {
    let report = input.report;
    let ds = input.dataset;
    let empty = Details::default();
    let details = input.details.unwrap_or(&empty);
    let models: Vec<&String> = report.models.keys().collect();
    let (langs, domains) = axes(report);
    let mut h = String::with_capacity(64 * 1024);
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.push_str("<title>kasauti report</title>\n<style>\n");
    h.push_str(CSS);
    h.push_str(REVIEW_CSS);
    h.push_str("</style>\n</head>\n<body>\n<main>\n");
    let _ = writeln!(
        h,
        "<header><h1>kasauti report</h1><p class=\"muted\">kasauti {} · {} model(s) · {} question(s) · \
         {} bootstrap resamples · missing and incomplete answers: {}{}</p></header>",
        esc(&report.kasauti_version),
        models.len(),
        ds.len(),
        report.resamples,
        esc(&report.missing_policy),
        if report.skipped_invalid > 0 {
            format!(" · {} invalid input line(s) skipped", report.skipped_invalid)
        } else {
            String::new()
        }
    );
    headline(&mut h, report);
    h.push_str("<section id=\"by-language\"><h2>Score by language</h2>\n");
    h.push_str("<p class=\"muted\">Mean answer score per language; whiskers are 95% bootstrap intervals.</p>\n");
    legend(&mut h, &models);
    bar_chart(&mut h, report, &langs);
    h.push_str("</section>\n");
    language_fidelity(&mut h, report, &langs);
    h.push_str(&super::corrected::html(report, esc));
    h.push_str("<section id=\"heatmap\"><h2>Language × domain</h2>\n");
    h.push_str("<p class=\"muted\">Score (%) per language and domain; hover a cell for n and its interval.</p>\n");
    for (mi, (name, m)) in report.models.iter().enumerate() {
        heat_map(&mut h, mi, name, m, &langs, &domains);
    }
    h.push_str("</section>\n");
    let positions: HashMap<&str, usize> = ds
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| (q.id.as_str(), i))
        .collect();
    most_missed(&mut h, report, &positions);
    if let Some(j) = &report.judging {
        h.push_str(&super::jury::html(j, esc));
    }
    drill_down(&mut h, input, details, &models, &langs, &domains);
    h.push_str("</main>\n<script>\n(function () {\n  'use strict';");
    h.push_str(SCRIPT);
    h.push_str(REVIEW_SCRIPT);
    h.push_str("})();\n</script>\n</body>\n</html>\n");
    h
}

fn tokens_text(t: &crate::stats::TokenCount) -> String {
    if t.requests == 0 && t.prompt == 0 && t.completion == 0 {
        return "—".into();
    }
    format!(
        "{} in + {} out ({} req.)",
        t.prompt, t.completion, t.requests
    )
}

fn headline(h: &mut String, report: &Report) {
    h.push_str("<section id=\"headline\"><h2>Headline</h2>\n<div class=\"scroll\"><table class=\"headline\">\n");
    h.push_str("<thead><tr><th>model</th><th>overall (%) [95% CI]</th><th>macro over languages (%) [95% CI]</th>\
        <th>answered</th><th>missing</th><th>incomplete</th><th>failed</th><th>judged share of points</th>\
        <th>model tokens</th><th>judge tokens</th><th>cost</th></tr></thead>\n<tbody>\n");
    for (mi, (name, m)) in report.models.iter().enumerate() {
        let c = &m.coverage;
        let cost = match (m.tokens.model.cost, m.tokens.judge.cost) {
            (None, None) => "—".to_string(),
            (a, b) => format!("{:.4}", a.unwrap_or(0.0) + b.unwrap_or(0.0)),
        };
        let _ = writeln!(
            h,
            "<tr data-model=\"{}\"><th><span class=\"swatch\" style=\"background:{}\"></span>{}</th>\
             <td class=\"num big\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}%</td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            esc(name),
            color(mi),
            esc(name),
            m.overall.as_ref().map(ci_text).unwrap_or_else(|| "—".into()),
            m.macro_language.as_ref().map(ci_text).unwrap_or_else(|| "—".into()),
            c.answered,
            c.missing,
            c.incomplete,
            c.failed,
            pct(c.rule_coverage),
            tokens_text(&m.tokens.model),
            tokens_text(&m.tokens.judge),
            cost
        );
    }
    h.push_str("</tbody></table></div></section>\n");
}

/// Share of answers in the asked language, per language and model (SPEC §4c); nothing when no
/// answer's language is known.
fn language_fidelity(h: &mut String, report: &Report, langs: &[String]) {
    let known = report.models.values().any(|m| {
        m.overall
            .as_ref()
            .is_some_and(|g| g.language_fidelity.is_some())
    });
    if !known {
        return;
    }
    h.push_str("<section id=\"language-fidelity\"><h2>Answers in the asked language</h2>\n");
    h.push_str(
        "<p class=\"muted\">Share of answers written mainly in the question's language and script \
        (Hinglish told apart from English by its function words).</p>\n",
    );
    h.push_str("<div class=\"scroll\"><table class=\"headline\">\n<thead><tr><th>language</th>");
    for name in report.models.keys() {
        let _ = write!(h, "<th>{}</th>", esc(name));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    let cell = |g: Option<&GroupStats>| match g.and_then(|g| g.language_fidelity) {
        Some(f) => format!("<td class=\"num\">{}%</td>", pct(f)),
        None => "<td class=\"empty\">—</td>".to_string(),
    };
    for l in langs {
        let _ = write!(h, "<tr><th>{}</th>", esc(&lang_label(l)));
        for m in report.models.values() {
            h.push_str(&cell(m.by_language.get(l)));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("<tr><th>overall</th>");
    for m in report.models.values() {
        h.push_str(&cell(m.overall.as_ref()));
    }
    h.push_str("</tr>\n</tbody></table></div></section>\n");
}

fn legend(h: &mut String, models: &[&String]) {
    h.push_str("<div class=\"legend\">");
    for (i, m) in models.iter().enumerate() {
        let _ = write!(
            h,
            "<span><span class=\"swatch\" style=\"background:{}\"></span>{}</span>",
            color(i),
            esc(m)
        );
    }
    h.push_str("</div>\n");
}

/// Horizontal grouped bars: one group per language, one bar per model, 0–100%.
fn bar_chart(h: &mut String, report: &Report, langs: &[String]) {
    const LABEL_W: f64 = 180.0;
    const PLOT_W: f64 = 620.0;
    const RIGHT: f64 = 60.0;
    const TOP: f64 = 24.0;
    const BAR: f64 = 14.0;
    const GAP: f64 = 3.0;
    const GROUP_GAP: f64 = 14.0;
    let nm = report.models.len().max(1) as f64;
    let group_h = nm * (BAR + GAP) - GAP;
    let height = TOP + langs.len() as f64 * (group_h + GROUP_GAP) + 4.0;
    let width = LABEL_W + PLOT_W + RIGHT;
    let x = |s: f64| LABEL_W + s.clamp(0.0, 1.0) * PLOT_W;
    let _ = writeln!(
        h,
        "<svg class=\"chart\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" role=\"img\" \
         aria-label=\"Score by language per model\">"
    );
    for t in 0..=5 {
        let s = t as f64 / 5.0;
        let _ = writeln!(
            h,
            "<line class=\"grid\" x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\"/><text class=\"axis\" x=\"{0}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>",
            x(s),
            TOP - 6.0,
            height - 4.0,
            TOP - 10.0,
            t * 20
        );
    }
    for (li, l) in langs.iter().enumerate() {
        let y0 = TOP + li as f64 * (group_h + GROUP_GAP);
        let _ = writeln!(
            h,
            "<text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"end\" dominant-baseline=\"middle\">{}</text>",
            LABEL_W - 8.0,
            y0 + group_h / 2.0,
            esc(&lang_label(l))
        );
        for (mi, (name, m)) in report.models.iter().enumerate() {
            let Some(g) = m.by_language.get(l) else {
                continue;
            };
            let y = y0 + mi as f64 * (BAR + GAP);
            let cy = y + BAR / 2.0;
            let w = (x(g.score) - LABEL_W).max(0.5);
            let (lo, hi) = (x(g.ci95[0]), x(g.ci95[1]));
            let (cap0, cap1) = (cy - 4.0, cy + 4.0);
            let tx = x(g.ci95[1].max(g.score)) + 5.0;
            let _ = writeln!(
                h,
                "<g><rect class=\"bar\" x=\"{LABEL_W}\" y=\"{y}\" width=\"{w:.2}\" height=\"{BAR}\" fill=\"{fill}\" \
                 data-model=\"{model}\" data-language=\"{lang}\" data-score=\"{score}\" data-lo=\"{dlo}\" data-hi=\"{dhi}\" data-n=\"{n}\">\
                 <title>{model} · {label}: {p}% [{plo}, {phi}], n = {n}</title></rect>\
                 <line class=\"whisker\" x1=\"{lo:.2}\" x2=\"{hi:.2}\" y1=\"{cy}\" y2=\"{cy}\"/>\
                 <line class=\"whisker\" x1=\"{lo:.2}\" x2=\"{lo:.2}\" y1=\"{cap0}\" y2=\"{cap1}\"/>\
                 <line class=\"whisker\" x1=\"{hi:.2}\" x2=\"{hi:.2}\" y1=\"{cap0}\" y2=\"{cap1}\"/>\
                 <text class=\"value\" x=\"{tx:.2}\" y=\"{cy}\" dominant-baseline=\"middle\">{p}</text></g>",
                fill = color(mi),
                model = esc(name),
                lang = esc(l),
                score = num(g.score),
                dlo = num(g.ci95[0]),
                dhi = num(g.ci95[1]),
                n = g.n,
                label = esc(&lang_label(l)),
                p = pct(g.score),
                plo = pct(g.ci95[0]),
                phi = pct(g.ci95[1]),
            );
        }
    }
    h.push_str("</svg>\n");
}

/// A sequential blue scale (light = low, dark = high), with text colour for contrast.
fn heat_color(s: f64) -> (String, &'static str) {
    let t = s.clamp(0.0, 1.0);
    let lo = (239.0, 246.0, 255.0);
    let hi = (8.0, 48.0, 107.0);
    let c = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    (
        format!(
            "#{:02x}{:02x}{:02x}",
            c(lo.0, hi.0),
            c(lo.1, hi.1),
            c(lo.2, hi.2)
        ),
        if t > 0.55 { "#fff" } else { "#111" },
    )
}

fn heat_map(
    h: &mut String,
    mi: usize,
    name: &str,
    m: &ModelReport,
    langs: &[String],
    domains: &[String],
) {
    let _ = write!(
        h,
        "<h3><span class=\"swatch\" style=\"background:{}\"></span>{}</h3>\n<div class=\"scroll\"><table class=\"heat\" data-model=\"{}\">\n<thead><tr><th>language</th>",
        color(mi),
        esc(name),
        esc(name)
    );
    for d in domains {
        let _ = write!(h, "<th title=\"{}\">{}</th>", esc(d), esc(&domain_label(d)));
    }
    h.push_str("<th>all domains</th></tr></thead>\n<tbody>\n");
    for l in langs {
        let _ = write!(h, "<tr><th>{}</th>", esc(&lang_label(l)));
        let row = m.by_language_domain.get(l);
        for d in domains {
            match row.and_then(|r| r.get(d)) {
                Some(g) => {
                    let (bg, fg) = heat_color(g.score);
                    let _ = write!(
                        h,
                        "<td class=\"cell\" data-model=\"{}\" data-language=\"{}\" data-domain=\"{}\" data-score=\"{}\" data-n=\"{}\" \
                         style=\"background:{bg};color:{fg}\" title=\"n = {}, 95% CI [{}, {}]\">{}</td>",
                        esc(name),
                        esc(l),
                        esc(d),
                        num(g.score),
                        g.n,
                        g.n,
                        pct(g.ci95[0]),
                        pct(g.ci95[1]),
                        pct(g.score)
                    );
                }
                None => h.push_str("<td class=\"empty\">—</td>"),
            }
        }
        match m.by_language.get(l) {
            Some(g) => {
                let _ = write!(h, "<td class=\"total\">{}</td>", pct(g.score));
            }
            None => h.push_str("<td class=\"empty\">—</td>"),
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table></div>\n");
}

fn most_missed(h: &mut String, report: &Report, positions: &HashMap<&str, usize>) {
    h.push_str("<section id=\"missed\"><h2>Criteria most often missed</h2>\n");
    h.push_str("<p class=\"muted\">Per language, the criteria that cost the most points: positive criteria not met, \
        and negative (undesirable) criteria that were met. Click a question to open it below.</p>\n");
    for (mi, (name, m)) in report.models.iter().enumerate() {
        let _ = writeln!(
            h,
            "<h3><span class=\"swatch\" style=\"background:{}\"></span>{}</h3>",
            color(mi),
            esc(name)
        );
        if m.most_missed.is_empty() {
            h.push_str("<p class=\"muted\">No criterion was missed.</p>\n");
        }
        for (lang, list) in &m.most_missed {
            let _ = write!(
                h,
                "<details class=\"missed\" data-model=\"{}\" data-language=\"{}\"><summary>{} — {} criteria</summary>\n\
                 <div class=\"scroll\"><table><thead><tr><th>criterion</th><th>question</th><th>points</th><th>missed / judged</th></tr></thead><tbody>\n",
                esc(name),
                esc(lang),
                esc(&lang_label(lang)),
                list.len()
            );
            for x in list {
                let link = match positions.get(x.question_id.as_str()) {
                    Some(i) => format!("<a href=\"#q{i}\">{}</a>", esc(&x.question_id)),
                    None => esc(&x.question_id),
                };
                let rate = if x.judged > 0 {
                    x.missed as f64 / x.judged as f64
                } else {
                    0.0
                };
                let _ = writeln!(
                    h,
                    "<tr><td>{} <span class=\"muted\">({})</span></td><td>{link}</td><td class=\"num\">{}</td><td class=\"num\">{} / {} ({}%)</td></tr>",
                    esc(&x.criterion),
                    esc(&x.criterion_id),
                    x.points,
                    x.missed,
                    x.judged,
                    pct(rate)
                );
            }
            h.push_str("</tbody></table></div></details>\n");
        }
    }
    h.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_markup_and_script_ends() {
        assert_eq!(
            esc("<b>\"x\" & 'y'</b>"),
            "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;"
        );
        let v = json!({"a": "</script><!-- & \u{2028}"});
        let s = script_json(&v);
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        // Still the same JSON.
        let back: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn heat_colours_run_light_to_dark() {
        assert_eq!(heat_color(0.0).0, "#eff6ff");
        assert_eq!(heat_color(1.0).0, "#08306b");
        assert_eq!(heat_color(2.0).0, "#08306b");
    }
}
