//! The terminal table: languages down, models across, with overall and macro scores.

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Table as Grid};

use super::{pct, Exporter, Report, ReportInput};
use crate::dataset::language_name;
use crate::error::Result;
use crate::stats::GroupStats;

pub struct Table {
    /// Colour is for terminals only; `NO_COLOR` and pipes get plain text.
    pub color: bool,
}

fn cell(g: Option<&GroupStats>) -> Cell {
    match g {
        Some(g) => Cell::new(format!(
            "{} ±{} (n={})",
            pct(g.score),
            pct(g.bootstrap_std),
            g.n
        )),
        None => Cell::new("—"),
    }
    .set_alignment(CellAlignment::Right)
}

/// The language × model table as text.
pub fn language_table(report: &Report, color: bool) -> String {
    let mut t = Grid::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    if !color {
        t.force_no_tty();
    }
    let models: Vec<&String> = report.models.keys().collect();
    let mut header = vec![Cell::new("language")];
    header.extend(models.iter().map(|m| Cell::new(m.as_str())));
    t.set_header(header);
    let mut langs: Vec<&String> = report
        .models
        .values()
        .flat_map(|r| r.by_language.keys())
        .collect();
    langs.sort();
    langs.dedup();
    for l in langs {
        let mut row = vec![Cell::new(format!("{} ({l})", language_name(l)))];
        row.extend(
            models
                .iter()
                .map(|m| cell(report.models[*m].by_language.get(l))),
        );
        t.add_row(row);
    }
    let mut overall = vec![Cell::new("overall")];
    overall.extend(
        models
            .iter()
            .map(|m| cell(report.models[*m].overall.as_ref())),
    );
    t.add_row(overall);
    let mut mac = vec![Cell::new("macro over languages")];
    mac.extend(
        models
            .iter()
            .map(|m| cell(report.models[*m].macro_language.as_ref())),
    );
    t.add_row(mac);
    let fidelity = |g: Option<&GroupStats>| g.and_then(|g| g.language_fidelity);
    if models
        .iter()
        .any(|m| fidelity(report.models[*m].overall.as_ref()).is_some())
    {
        let mut row = vec![Cell::new("in the asked language")];
        row.extend(models.iter().map(|m| {
            Cell::new(match fidelity(report.models[*m].overall.as_ref()) {
                Some(f) => format!("{}%", pct(f)),
                None => "—".into(),
            })
            .set_alignment(CellAlignment::Right)
        }));
        t.add_row(row);
    }
    let mut s = format!("Score (%) ± bootstrap std, by language\n{t}\n");
    for (m, r) in &report.models {
        let off: Vec<String> = r
            .by_language
            .iter()
            .filter_map(|(l, g)| {
                g.language_fidelity
                    .filter(|f| *f < 1.0)
                    .map(|f| format!("{l} {}%", pct(f)))
            })
            .collect();
        if !off.is_empty() {
            s.push_str(&format!(
                "{m}: answers in the asked language: {}\n",
                off.join(", ")
            ));
        }
    }
    for (m, r) in &report.models {
        let c = &r.coverage;
        let mut notes = Vec::new();
        if c.missing > 0 {
            notes.push(format!("{} missing", c.missing));
        }
        if c.incomplete > 0 {
            notes.push(format!("{} incomplete", c.incomplete));
        }
        if c.failed > 0 {
            notes.push(format!("{} failed", c.failed));
        }
        if c.unscorable > 0 {
            notes.push(format!("{} with nothing judged", c.unscorable));
        }
        if c.rule_coverage < 1.0 {
            notes.push(format!(
                "judged {}% of positive points",
                pct(c.rule_coverage)
            ));
        }
        if !notes.is_empty() {
            s.push_str(&format!(
                "{m}: {} answered; {}\n",
                c.answered,
                notes.join(", ")
            ));
        }
    }
    if report.skipped_invalid > 0 {
        s.push_str(&format!(
            "{} invalid input line(s) skipped\n",
            report.skipped_invalid
        ));
    }
    s.push_str(&super::corrected::terminal(report));
    s
}

impl Exporter<ReportInput<'_>> for Table {
    fn name(&self) -> &'static str {
        "table"
    }
    fn file_name(&self) -> &'static str {
        "report.txt"
    }
    fn render(&self, input: &ReportInput<'_>) -> Result<String> {
        Ok(language_table(input.report, self.color))
    }
}

/// A table of one group family (`language`, `domain`, `language_domain`, `tag`,
/// `criterion_tag`) with models across.
pub fn grouped_table(report: &Report, by: &str, color: bool) -> Result<String> {
    if by == "language" {
        return Ok(language_table(report, color));
    }
    let pick = |m: &super::ModelReport| -> Vec<(String, GroupStats)> {
        match by {
            "domain" => m
                .by_domain
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            "tag" => m
                .by_tag
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            "criterion_tag" => m
                .by_criterion_tag
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            _ => m
                .by_language_domain
                .iter()
                .flat_map(|(l, ds)| ds.iter().map(move |(d, v)| (format!("{l}/{d}"), v.clone())))
                .collect(),
        }
    };
    if !["domain", "tag", "criterion_tag", "language_domain"].contains(&by) {
        return Err(crate::error::Error::Usage(format!(
            "unknown grouping `{by}` (expected language, domain, language_domain, tag or criterion_tag)"
        )));
    }
    let mut t = Grid::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    if !color {
        t.force_no_tty();
    }
    let models: Vec<&String> = report.models.keys().collect();
    let mut header = vec![Cell::new(by)];
    header.extend(models.iter().map(|m| Cell::new(m.as_str())));
    t.set_header(header);
    let per_model: Vec<std::collections::BTreeMap<String, GroupStats>> = models
        .iter()
        .map(|m| pick(&report.models[*m]).into_iter().collect())
        .collect();
    let mut keys: Vec<&String> = per_model.iter().flat_map(|m| m.keys()).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        let mut row = vec![Cell::new(k)];
        row.extend(per_model.iter().map(|m| cell(m.get(k))));
        t.add_row(row);
    }
    Ok(format!("Score (%) ± bootstrap std, by {by}\n{t}\n"))
}
