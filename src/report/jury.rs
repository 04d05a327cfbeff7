//! The judging section of the reports: split jury decisions and each juror's agreement with the
//! jury per language, the flip rate of repeated verdicts, the calls gates saved, and
//! self-judging (SPEC §4d). The figures come from [`crate::stats::jury`]; this file renders them
//! as Markdown, HTML and terminal lines.

use std::fmt::Write as _;

use crate::dataset::language::language_name;
use crate::stats::jury::{Judging, JuryGroup, Share};

fn rate(s: &Share) -> String {
    match s.rate {
        Some(r) => format!("{:.1}% ({}/{})", r * 100.0, s.count, s.of),
        None => "—".into(),
    }
}

/// Rows of the per-language table: (label, group).
fn rows(j: &Judging) -> Vec<(String, &JuryGroup)> {
    let mut out: Vec<(String, &JuryGroup)> = j
        .by_language
        .iter()
        .map(|(l, g)| (format!("{} ({l})", language_name(l)), g))
        .collect();
    out.push(("overall".into(), &j.overall));
    out
}

fn jurors(j: &Judging) -> Vec<&String> {
    j.overall.agreement.keys().collect()
}

/// Notes that stand above the tables: self-judging and calls saved.
pub fn notes(j: &Judging) -> Vec<String> {
    let mut out = Vec::new();
    for m in &j.self_judging {
        out.push(format!(
            "self-judging: {m} was judged by a judge model of the same name; its scores may be \
             biased in its own favour"
        ));
    }
    for (m, saved) in j.calls_saved.iter().filter(|(_, n)| **n > 0) {
        let asked = j.judge_replies.get(m).copied().unwrap_or(0);
        out.push(format!(
            "{m}: the gates saved {saved} judge call(s) ({asked} judge repl(ies) received)"
        ));
    }
    out
}

/// The section of `report.md`.
pub fn markdown(j: &Judging, cell: impl Fn(&str) -> String) -> String {
    let mut s = String::from("\n## Judging\n\n");
    for n in notes(j) {
        let _ = writeln!(s, "- {}", cell(&n));
    }
    if !j.judges.is_empty() {
        let names: Vec<String> = j.judges.iter().map(|n| cell(n)).collect();
        let _ = writeln!(s, "- judge models: {}", names.join(", "));
    }
    let js = jurors(j);
    let voted = j.overall.split.of > 0 || j.overall.flips.of > 0;
    if voted {
        s.push_str("\nSplit decisions: jury verdicts whose jurors disagreed. Agreement: share of the jury's verdicts a juror gave too. Flips: a juror's repeated verdicts on one criterion that disagreed.\n\n");
        let _ = write!(s, "| language | split decisions |");
        for n in &js {
            let _ = write!(s, " agreement: {} |", cell(n));
        }
        s.push_str(" flips |\n|---|---|");
        for _ in &js {
            s.push_str("---|");
        }
        s.push_str("---|\n");
        for (label, g) in rows(j) {
            let _ = write!(s, "| {} | {} |", cell(&label), rate(&g.split));
            for n in &js {
                let _ = write!(
                    s,
                    " {} |",
                    g.agreement.get(*n).map(rate).unwrap_or_else(|| "—".into())
                );
            }
            let _ = writeln!(s, " {} |", rate(&g.flips));
        }
    }
    s
}

/// The section of `report.html` (`esc` escapes text for HTML).
pub fn html(j: &Judging, esc: impl Fn(&str) -> String) -> String {
    let mut h = String::from("<section id=\"judging\"><h2>Judging</h2>\n");
    for n in notes(j) {
        let _ = writeln!(h, "<p>{}</p>", esc(&n));
    }
    let js = jurors(j);
    if j.overall.split.of > 0 || j.overall.flips.of > 0 {
        h.push_str("<p class=\"muted\">Split decisions: jury verdicts whose jurors disagreed. Agreement: share of the jury's verdicts a juror gave too. Flips: a juror's repeated verdicts on one criterion that disagreed.</p>\n");
        h.push_str(
            "<div class=\"scroll\"><table><thead><tr><th>language</th><th>split decisions</th>",
        );
        for n in &js {
            let _ = write!(h, "<th>agreement: {}</th>", esc(n));
        }
        h.push_str("<th>flips</th></tr></thead>\n<tbody>\n");
        for (label, g) in rows(j) {
            let _ = write!(
                h,
                "<tr><th>{}</th><td class=\"num\">{}</td>",
                esc(&label),
                rate(&g.split)
            );
            for n in &js {
                let _ = write!(
                    h,
                    "<td class=\"num\">{}</td>",
                    g.agreement.get(*n).map(rate).unwrap_or_else(|| "—".into())
                );
            }
            let _ = writeln!(h, "<td class=\"num\">{}</td></tr>", rate(&g.flips));
        }
        h.push_str("</tbody></table></div>\n");
    }
    h.push_str("</section>\n");
    h
}

/// Lines for the terminal, after the score table.
pub fn terminal(j: &Judging) -> Vec<String> {
    let mut out = notes(j);
    if j.overall.split.of > 0 {
        let mut line = format!("jury: split decisions {}", rate(&j.overall.split));
        for (n, a) in &j.overall.agreement {
            let _ = write!(line, "; {n} agrees with the jury {}", rate(a));
        }
        out.push(line);
        let by: Vec<String> = j
            .by_language
            .iter()
            .filter_map(|(l, g)| g.split.rate.map(|r| format!("{l} {:.1}%", r * 100.0)))
            .collect();
        if !by.is_empty() {
            out.push(format!(
                "jury: split decisions by language: {}",
                by.join(", ")
            ));
        }
    }
    if j.overall.flips.of > 0 {
        let by: Vec<String> = j
            .by_language
            .iter()
            .filter_map(|(l, g)| g.flips.rate.map(|r| format!("{l} {:.1}%", r * 100.0)))
            .collect();
        out.push(format!(
            "repeated verdicts: flip rate {} ({})",
            rate(&j.overall.flips),
            by.join(", ")
        ));
    }
    out
}
