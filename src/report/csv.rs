//! `report.csv`: one row per (model, group), long format, for spreadsheets and dataframes.

use super::{Exporter, ReportInput};
use crate::error::{Error, Result};
use crate::stats::GroupStats;
use crate::util::escape::csv_cell;

pub struct Csv;

impl Exporter<ReportInput<'_>> for Csv {
    fn name(&self) -> &'static str {
        "csv"
    }
    fn file_name(&self) -> &'static str {
        "report.csv"
    }
    fn render(&self, input: &ReportInput<'_>) -> Result<String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let err = |e: csv::Error| Error::Other(e.to_string());
        w.write_record([
            "model",
            "group",
            "language",
            "domain",
            "key",
            "score",
            "n",
            "bootstrap_std",
            "ci95_lo",
            "ci95_hi",
            "language_fidelity",
            "se_clustered",
            "corrected",
            "corrected_ci95_lo",
            "corrected_ci95_hi",
            "n_labelled",
            "lambda",
            "judge_bias",
        ])
        .map_err(err)?;
        for (model, r) in &input.report.models {
            let mut row = |group: &str, language: &str, domain: &str, key: &str, g: &GroupStats| {
                let opt = |x: Option<f64>| x.map(|v| format!("{v:.6}")).unwrap_or_default();
                let c = g.corrected.as_ref();
                w.write_record([
                    &*csv_cell(model),
                    group,
                    &*csv_cell(language),
                    &*csv_cell(domain),
                    &*csv_cell(key),
                    &format!("{:.6}", g.score),
                    &g.n.to_string(),
                    &format!("{:.6}", g.bootstrap_std),
                    &format!("{:.6}", g.ci95[0]),
                    &format!("{:.6}", g.ci95[1]),
                    &opt(g.language_fidelity),
                    &opt(g.se_clustered),
                    &opt(c.map(|c| c.score)),
                    &opt(c.map(|c| c.ci95[0])),
                    &opt(c.map(|c| c.ci95[1])),
                    &c.map(|c| c.n_labelled.to_string()).unwrap_or_default(),
                    &opt(c.map(|c| c.lambda)),
                    &opt(c.map(|c| c.judge_bias)),
                ])
            };
            if let Some(g) = &r.overall {
                row("overall", "", "", "", g).map_err(err)?;
            }
            if let Some(g) = &r.macro_language {
                row("macro_language", "", "", "", g).map_err(err)?;
            }
            for (l, g) in &r.by_language {
                row("language", l, "", l, g).map_err(err)?;
            }
            for (d, g) in &r.by_domain {
                row("domain", "", d, d, g).map_err(err)?;
            }
            for (l, ds) in &r.by_language_domain {
                for (d, g) in ds {
                    row("language_domain", l, d, &format!("{l}/{d}"), g).map_err(err)?;
                }
            }
            for (t, g) in &r.by_tag {
                row("tag", "", "", t, g).map_err(err)?;
            }
            for (t, g) in &r.by_criterion_tag {
                row("criterion_tag", "", "", t, g).map_err(err)?;
            }
        }
        let bytes = w.into_inner().map_err(|e| Error::Other(e.to_string()))?;
        String::from_utf8(bytes).map_err(|e| Error::Other(e.to_string()))
    }
}
