//! Reports: the content ([`model`]) and one file per output format behind [`Exporter`].
//! Adding a format is adding a file here and a line in [`exporter`].

pub mod csv;
pub mod details;
pub mod html;
pub mod json;
pub mod markdown;
pub mod model;
pub mod table;

pub use crate::stats::{TokenCount, Tokens};
pub use details::{AnswerDetail, Details};
pub use model::{build, Coverage, ModelReport, Report, ReportOptions};

use crate::error::{Error, Result};

/// Renders a report in one format.
pub trait Exporter {
    /// The format's name on the command line (`json`, `md`, …).
    fn name(&self) -> &'static str;
    /// The file name it is written to in a run directory.
    fn file_name(&self) -> &'static str;
    /// Renders the whole report as the format's text.
    fn render(&self, input: &ReportInput<'_>) -> Result<String>;
}

/// What a format may draw on: the statistics, and the question set for names and texts.
pub struct ReportInput<'a> {
    /// The statistics.
    pub report: &'a Report,
    /// The question set the report covers.
    pub dataset: &'a crate::dataset::Dataset,
    /// Single answers with their verdicts and texts, for formats that show them (the HTML
    /// drill-down); `None` when the caller has none, and such formats then say so.
    pub details: Option<&'a Details>,
}

/// The exporter for a format name.
pub fn exporter(name: &str) -> Result<Box<dyn Exporter>> {
    Ok(match name {
        "json" => Box::new(json::Json),
        "md" | "markdown" => Box::new(markdown::Markdown),
        "csv" => Box::new(csv::Csv),
        "table" => Box::new(table::Table { color: false }),
        "html" => Box::new(html::Html),
        other => {
            return Err(Error::Usage(format!(
                "unknown report format `{other}` (expected table, md, json, csv or html)"
            )))
        }
    })
}

/// Formats a score as a percentage with one decimal.
pub fn pct(x: f64) -> String {
    format!("{:.1}", x * 100.0)
}
