//! Reports: the content ([`model`]) and one file per output format behind [`Exporter`].
//! Adding a format is adding a file here and a line in [`exporter`].

pub mod calibration;
pub mod compare;
mod corrected;
pub mod csv;
pub mod details;
mod groups;
pub mod html;
mod html_assets;
mod html_drill;
pub mod json;
pub mod jury;
pub mod markdown;
mod metrics;
pub mod model;
mod review;
mod review_assets;
pub mod table;

pub use crate::stats::{TokenCount, Tokens};
pub use details::{AnswerDetail, Details};
pub use model::{build, Coverage, LabelScores, LabelsInfo, ModelReport, Report, ReportOptions};

use std::path::Path;

use crate::error::{Error, Result};

/// Renders one kind of content (`I`: a run's report, a comparison, a calibration) in one
/// format. Every output kasauti writes goes through an exporter and [`write_exports`].
pub trait Exporter<I: ?Sized> {
    /// The format's name on the command line (`json`, `md`, …).
    fn name(&self) -> &'static str;
    /// The file name it is written to.
    fn file_name(&self) -> &'static str;
    /// Renders the whole content as the format's text.
    fn render(&self, input: &I) -> Result<String>;
}

/// An exporter of run reports.
pub type ReportExporter = Box<dyn for<'a> Exporter<ReportInput<'a>>>;

/// Writes what each exporter renders of `input` into `dir` (created if needed), each file
/// atomically.
pub fn write_exports<I: ?Sized, E: Exporter<I> + ?Sized>(
    dir: &Path,
    exporters: &[Box<E>],
    input: &I,
) -> Result<()> {
    if !exporters.is_empty() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    for e in exporters {
        crate::util::write_atomic(&dir.join(e.file_name()), &e.render(input)?)?;
    }
    Ok(())
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
    /// Answers put up for review in the HTML page's review mode (a labelling file, SPEC §4f).
    pub review: Option<&'a [crate::dataset::labelling::LabellingLine]>,
}

/// The exporter for a format name.
pub fn exporter(name: &str) -> Result<ReportExporter> {
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
