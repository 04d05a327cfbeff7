//! Loading question sets and rubrics from JSONL files, directories or the built-in sets, with
//! validation that reports every problem at once.
//!
//! The way through, one file per step:
//! 1. `files`: the input files, from the paths given (folders walked) or built into the binary;
//! 2. `join`: each file's lines read as questions, then rubric lines attached to them by id,
//!    then every question checked for a usable rubric;
//! 3. `line` (private): one question, HealthBench row or list of criteria parsed from its JSON
//!    object, with the typed field readers of the crate's JSONL module;
//! 4. `collect` (private): the problems found on the way, listed up to a cap per file.
//!
//! [`load`] runs the steps as the command line asks and then keeps the selected languages and
//! domains; [`Loaded::into_dataset`] turns the result into a dataset or an input error.

mod collect;
mod files;
mod join;
mod line;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::language::parse_language;
use super::model::{Dataset, Question, SourceFile};
use crate::error::{Diagnostic, Error, Result};
use crate::util::hex;

pub use collect::MAX_LISTED_PER_FILE;
pub use files::expand_paths;
use files::{builtin, from_disk, InputFile, BUILTIN_QUESTIONS, BUILTIN_RUBRICS};
use join::load_files;

/// Where questions and rubrics come from.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--questions`: files or folders. `None` means `questions/` in the current folder when it
    /// exists, else the built-in set.
    pub questions: Option<Vec<PathBuf>>,
    /// `--rubrics`: files or folders.
    pub rubrics: Option<Vec<PathBuf>>,
    /// Skip bad lines (counted) instead of failing.
    pub skip_invalid: bool,
    /// Keep only questions in these languages (codes, names or aliases); all when empty.
    pub languages: Vec<String>,
    /// Keep only questions in these domains; all when empty.
    pub domains: Vec<String>,
}

/// The result of loading: the valid questions, every diagnostic, and how many lines were skipped.
#[derive(Debug)]
pub struct Loaded {
    pub dataset: Dataset,
    pub diagnostics: Vec<Diagnostic>,
    /// Input lines left out because they had errors.
    pub skipped: usize,
    /// Warnings counted but not listed (past the per-file cap).
    unlisted_warnings: usize,
}

impl Loaded {
    /// The number of errors, listed or only counted.
    pub fn errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| if d.more > 0 { d.more } else { 1 })
            .sum()
    }

    /// The number of warnings, listed or only counted.
    pub fn warnings(&self) -> usize {
        self.diagnostics.iter().filter(|d| !d.is_error()).count() + self.unlisted_warnings
    }

    /// The dataset when usable: no errors, or errors skipped by `--skip-invalid`.
    pub fn into_dataset(self, skip_invalid: bool) -> Result<UsableDataset> {
        if self.errors() > 0 && !skip_invalid {
            return Err(Error::Input(self.diagnostics));
        }
        if self.dataset.is_empty() {
            let mut d = self.diagnostics;
            d.push(Diagnostic::error(
                Path::new("<questions>"),
                None,
                None,
                "no questions were loaded",
            ));
            return Err(Error::Input(d));
        }
        Ok(UsableDataset {
            dataset: self.dataset,
            diagnostics: self.diagnostics,
            skipped: self.skipped,
        })
    }
}

/// A dataset fit to grade, with what loading it found (see [`Loaded::into_dataset`]).
#[derive(Debug)]
pub struct UsableDataset {
    /// The valid questions.
    pub dataset: Dataset,
    /// Every diagnostic: warnings, and the errors of lines skipped by `--skip-invalid`.
    pub diagnostics: Vec<Diagnostic>,
    /// Input lines left out because they had errors.
    pub skipped: usize,
}

/// Loads and validates questions and rubrics as the options say.
pub fn load(opts: &LoadOptions) -> Result<Loaded> {
    let (qfiles, rfiles) = match &opts.questions {
        Some(q) => (
            from_disk(q, "question")?,
            from_disk(opts.rubrics.as_deref().unwrap_or(&[]), "rubric")?,
        ),
        None if Path::new("questions").is_dir() => {
            let rubrics = match &opts.rubrics {
                Some(r) => from_disk(r, "rubric")?,
                // Found, not asked for: an empty ./rubrics is fine when rubrics are inline.
                None if Path::new("rubrics").is_dir() => {
                    match from_disk(&[PathBuf::from("rubrics")], "rubric") {
                        Err(Error::Usage(_)) => Vec::new(),
                        other => other?,
                    }
                }
                None => Vec::new(),
            };
            (
                from_disk(&[PathBuf::from("questions")], "question")?,
                rubrics,
            )
        }
        None => {
            let rubrics = match &opts.rubrics {
                Some(r) => from_disk(r, "rubric")?,
                None => builtin(&BUILTIN_RUBRICS, "rubrics"),
            };
            (builtin(&BUILTIN_QUESTIONS, "questions"), rubrics)
        }
    };
    let mut loaded = load_files(qfiles, rfiles);
    select(&mut loaded.dataset, &opts.languages, &opts.domains);
    Ok(loaded)
}

/// Keeps the questions of the given languages and domains (after the whole set was validated,
/// so a rubric is still checked against its question). The selection is recorded as a source,
/// so the question set's digest, and with it a resumed run's check, tells selections apart.
fn select(ds: &mut Dataset, languages: &[String], domains: &[String]) {
    if languages.is_empty() && domains.is_empty() {
        return;
    }
    let langs: Vec<String> = languages.iter().map(|l| parse_language(l).code).collect();
    let doms: Vec<String> = domains.iter().map(|d| d.trim().to_string()).collect();
    let (keep, left): (Vec<Question>, Vec<Question>) = std::mem::take(&mut ds.questions)
        .into_iter()
        .partition(|q| {
            (langs.is_empty() || langs.contains(&q.language))
                && (doms.is_empty() || doms.contains(&q.domain))
        });
    let mut sources = std::mem::take(&mut ds.sources);
    let selection = format!("languages={};domains={}", langs.join(","), doms.join(","));
    sources.push(SourceFile {
        path: PathBuf::from(format!("<selection {selection}>")),
        sha256: sha256(selection.as_bytes()),
        kind: "questions",
    });
    *ds = Dataset::new(keep, sources);
    ds.deselected = left.into_iter().map(|q| q.id).collect();
}

/// Loads from explicit in-memory files (used by tests and by `load`).
pub fn load_from_bytes(
    questions: Vec<(PathBuf, Vec<u8>)>,
    rubrics: Vec<(PathBuf, Vec<u8>)>,
) -> Loaded {
    let conv = |v: Vec<(PathBuf, Vec<u8>)>| {
        v.into_iter()
            .map(|(path, bytes)| InputFile { path, bytes })
            .collect()
    };
    load_files(conv(questions), conv(rubrics))
}

fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Loads the question set built into the binary.
pub fn load_builtin() -> Loaded {
    load_files(
        builtin(&BUILTIN_QUESTIONS, "questions"),
        builtin(&BUILTIN_RUBRICS, "rubrics"),
    )
}
