//! `report.md`: the report as Markdown tables, for pull requests and notebooks.

use std::fmt::Write;

use super::{pct, Exporter, ReportInput};
use crate::dataset::language_name;
use crate::error::Result;
use crate::stats::GroupStats;
use crate::util::escape::markdown_cell as md;

pub struct Markdown;

fn stat(g: Option<&GroupStats>) -> String {
    match g {
        Some(g) => format!(
            "{} [{}, {}] (n={})",
            pct(g.score),
            pct(g.ci95[0]),
            pct(g.ci95[1]),
            g.n
        ),
        None => "—".into(),
    }
}

/// A table with one row per group and one column per model.
fn models_table(
    out: &mut String,
    title: &str,
    first: &str,
    models: &[&String],
    rows: &[(String, Vec<Option<&GroupStats>>)],
) {
    let _ = writeln!(out, "## {title}\n");
    let _ = writeln!(
        out,
        "| {first} | {} |",
        models.iter().map(|m| md(m)).collect::<Vec<_>>().join(" | ")
    );
    let _ = writeln!(out, "|---|{}", "---:|".repeat(models.len()));
    for (name, cells) in rows {
        let cells: Vec<String> = cells.iter().map(|g| stat(*g)).collect();
        let _ = writeln!(out, "| {} | {} |", md(name), cells.join(" | "));
    }
    out.push('\n');
}

impl Exporter<ReportInput<'_>> for Markdown {
    fn name(&self) -> &'static str {
        "md"
    }
    fn file_name(&self) -> &'static str {
        "report.md"
    }
    fn render(&self, input: &ReportInput<'_>) -> Result<String> {
        let r = input.report;
        let mut out = String::from(
            "# kasauti report\n\nScores in percent with 95% bootstrap intervals; n = answers.\n\n",
        );
        let models: Vec<&String> = r.models.keys().collect();
        let mut langs: Vec<String> = r
            .models
            .values()
            .flat_map(|m| m.by_language.keys().cloned())
            .collect();
        langs.sort();
        langs.dedup();
        let mut rows: Vec<(String, Vec<Option<&GroupStats>>)> = vec![
            (
                "**overall**".into(),
                r.models.values().map(|m| m.overall.as_ref()).collect(),
            ),
            (
                "**macro over languages**".into(),
                r.models
                    .values()
                    .map(|m| m.macro_language.as_ref())
                    .collect(),
            ),
        ];
        for l in &langs {
            rows.push((
                format!("{} ({l})", language_name(l)),
                r.models.values().map(|m| m.by_language.get(l)).collect(),
            ));
        }
        models_table(&mut out, "Score by language", "language", &models, &rows);
        out.push_str(&super::corrected::markdown(r, md));
        if rows.iter().any(|(_, cells)| {
            cells
                .iter()
                .flatten()
                .any(|g| g.language_fidelity.is_some())
        }) {
            let _ = writeln!(
                out,
                "## Answers in the asked language\n\nShare of answers written mainly in the question's language and script.\n"
            );
            let _ = writeln!(
                out,
                "| language | {} |",
                models.iter().map(|m| md(m)).collect::<Vec<_>>().join(" | ")
            );
            let _ = writeln!(out, "|---|{}", "---:|".repeat(models.len()));
            for (name, cells) in rows.iter().filter(|(n, _)| !n.starts_with("**macro")) {
                let cells: Vec<String> = cells
                    .iter()
                    .map(|g| match g.and_then(|g| g.language_fidelity) {
                        Some(f) => format!("{}%", pct(f)),
                        None => "—".into(),
                    })
                    .collect();
                let _ = writeln!(out, "| {} | {} |", md(name), cells.join(" | "));
            }
            out.push('\n');
        }

        let mut domains: Vec<String> = r
            .models
            .values()
            .flat_map(|m| m.by_domain.keys().cloned())
            .collect();
        domains.sort();
        domains.dedup();
        let rows: Vec<(String, Vec<Option<&GroupStats>>)> = domains
            .iter()
            .map(|d| {
                (
                    d.clone(),
                    r.models.values().map(|m| m.by_domain.get(d)).collect(),
                )
            })
            .collect();
        models_table(&mut out, "Score by domain", "domain", &models, &rows);

        for (model, m) in &r.models {
            let model = md(model);
            let _ = writeln!(out, "## {model}: language × domain\n");
            let _ = writeln!(
                out,
                "| language | {} |",
                domains
                    .iter()
                    .map(|d| md(d))
                    .collect::<Vec<_>>()
                    .join(" | ")
            );
            let _ = writeln!(out, "|---|{}", "---:|".repeat(domains.len()));
            for (l, row) in &m.by_language_domain {
                let cells: Vec<String> = domains
                    .iter()
                    .map(|d| {
                        row.get(d)
                            .map(|g| pct(g.score))
                            .unwrap_or_else(|| "—".into())
                    })
                    .collect();
                let _ = writeln!(out, "| {} | {} |", md(language_name(l)), cells.join(" | "));
            }
            out.push('\n');
            if !m.by_criterion_tag.is_empty() {
                let _ = writeln!(
                    out,
                    "### {model}: by criterion tag\n\n| tag | score |\n|---|---:|"
                );
                for (t, g) in &m.by_criterion_tag {
                    let _ = writeln!(out, "| {} | {} |", md(t), stat(Some(g)));
                }
                out.push('\n');
            }
            let c = &m.coverage;
            let _ = writeln!(
                out,
                "### {model}: coverage\n\n- answered: {}\n- missing: {}\n- incomplete: {}\n- failed: {}\n- nothing judged: {}\n- rule coverage (share of positive points judged): {}%\n- tokens: model {} prompt + {} completion; judge {} prompt + {} completion\n",
                c.answered,
                c.missing,
                c.incomplete,
                c.failed,
                c.unscorable,
                pct(c.rule_coverage),
                m.tokens.model.prompt,
                m.tokens.model.completion,
                m.tokens.judge.prompt,
                m.tokens.judge.completion
            );
        }
        if r.skipped_invalid > 0 {
            let _ = writeln!(
                out,
                "{} invalid input line(s) were skipped (`--skip-invalid`).\n",
                r.skipped_invalid
            );
        }
        if let Some(j) = &r.judging {
            out.push_str(&super::jury::markdown(j, md));
        }
        Ok(out)
    }
}
