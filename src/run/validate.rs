//! Checking question sets and rubrics (`kasauti validate`): every problem, and a summary of what
//! was found.

use crate::dataset::{load, Dataset, LoadOptions, Loaded, DOMAINS, LANGUAGES};
use crate::error::Result;

/// What checking a question set found.
#[derive(Debug)]
pub struct Validation {
    /// The questions and every problem, with file, line and field.
    pub loaded: Loaded,
    /// Languages with at least one question.
    pub languages: usize,
    /// Criteria in all rubrics.
    pub criteria: usize,
    /// Criteria with a rule check.
    pub checked: usize,
    /// Cells (`language/domain`) of the bundled grid with no question, listed only when every
    /// bundled language has questions.
    pub empty_cells: Vec<String>,
}

/// Loads the questions and rubrics `opts` names and counts what they hold. Problems in the
/// files are in [`Validation::loaded`], not an error; only files that cannot be read are.
pub fn validate(opts: &LoadOptions) -> Result<Validation> {
    let loaded = load(opts)?;
    let ds = &loaded.dataset;
    let mut langs: Vec<&str> = ds.questions.iter().map(|q| q.language.as_str()).collect();
    langs.sort();
    langs.dedup();
    let criteria: usize = ds.questions.iter().map(|q| q.rubric.len()).sum();
    let checked: usize = ds
        .questions
        .iter()
        .map(|q| q.rubric.iter().filter(|c| c.check.is_some()).count())
        .sum();
    let bundled = LANGUAGES.iter().filter(|l| langs.contains(&l.code)).count();
    let empty_cells = if bundled == LANGUAGES.len() {
        empty_cells(ds)
    } else {
        Vec::new()
    };
    Ok(Validation {
        languages: langs.len(),
        criteria,
        checked,
        empty_cells,
        loaded,
    })
}

/// Cells of the bundled grid (language × domain) that have no question.
fn empty_cells(ds: &Dataset) -> Vec<String> {
    let mut empty = Vec::new();
    for l in LANGUAGES {
        for d in DOMAINS {
            if !ds
                .questions
                .iter()
                .any(|q| q.language == l.code && q.domain == d)
            {
                empty.push(format!("{}/{}", l.code, d));
            }
        }
    }
    empty
}

impl Validation {
    /// The summary: questions, languages, criteria, errors and warnings, and the empty cells.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} questions in {} language(s), {} criteria ({} with a rule check); {} error(s), {} warning(s)\n",
            self.loaded.dataset.len(),
            self.languages,
            self.criteria,
            self.checked,
            self.loaded.errors(),
            self.loaded.warnings()
        );
        if !self.empty_cells.is_empty() {
            s.push_str(&format!(
                "note: no question for {}\n",
                self.empty_cells.join(", ")
            ));
        }
        s
    }
}
