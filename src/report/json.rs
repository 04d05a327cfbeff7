//! `report.json`: the whole report, machine-readable.

use super::{Exporter, ReportInput};
use crate::error::{Error, Result};

pub struct Json;

impl Exporter<ReportInput<'_>> for Json {
    fn name(&self) -> &'static str {
        "json"
    }
    fn file_name(&self) -> &'static str {
        "report.json"
    }
    fn render(&self, input: &ReportInput<'_>) -> Result<String> {
        let mut s =
            serde_json::to_string_pretty(input.report).map_err(|e| Error::Other(e.to_string()))?;
        s.push('\n');
        Ok(s)
    }
}
