//! The problems found while loading, listed up to a cap per file and counted past it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::Diagnostic;
use crate::jsonl::FieldError;

/// At most this many problems are listed per file; the rest are counted ("… and N more"), so a
/// file of millions of bad lines gives a readable report in bounded memory.
pub const MAX_LISTED_PER_FILE: usize = 100;

#[derive(Default)]
pub(super) struct Collector {
    diags: Vec<Diagnostic>,
    /// Per file: problems listed, problems only counted (errors, warnings), and the lines with
    /// errors as a bit set (millions of bad lines cost a few hundred kilobytes).
    files: HashMap<PathBuf, FileProblems>,
}

#[derive(Default)]
struct FileProblems {
    listed: usize,
    unlisted_errors: usize,
    unlisted_warnings: usize,
    bad_lines: Vec<u64>,
}

impl FileProblems {
    fn mark_bad(&mut self, line: usize) {
        let (word, bit) = (line / 64, line % 64);
        if self.bad_lines.len() <= word {
            self.bad_lines.resize(word + 1, 0);
        }
        self.bad_lines[word] |= 1 << bit;
    }

    fn bad_line_count(&self) -> usize {
        self.bad_lines.iter().map(|w| w.count_ones() as usize).sum()
    }
}

impl Collector {
    pub(super) fn error(
        &mut self,
        file: &Path,
        line: usize,
        field: Option<&str>,
        msg: impl Into<String>,
    ) {
        self.push(Diagnostic::error(file, Some(line), field, msg));
    }
    pub(super) fn warn(
        &mut self,
        file: &Path,
        line: usize,
        field: Option<&str>,
        msg: impl Into<String>,
    ) {
        self.push(Diagnostic::warning(file, Some(line), field, msg));
    }
    /// A field reader's problem, as an error of line `line` of `file`.
    pub(super) fn field(&mut self, file: &Path, line: usize, e: FieldError) {
        self.push(e.at(file, line));
    }

    /// The value a field reader read, or `None` after recording its problem.
    pub(super) fn take<T>(
        &mut self,
        file: &Path,
        line: usize,
        read: Result<T, FieldError>,
    ) -> Option<T> {
        read.map_err(|e| self.field(file, line, e)).ok()
    }

    pub(super) fn push(&mut self, d: Diagnostic) {
        let f = match self.files.get_mut(&d.file) {
            Some(f) => f,
            None => self.files.entry(d.file.clone()).or_default(),
        };
        if let (Some(l), true) = (d.line, d.is_error()) {
            f.mark_bad(l);
        }
        if f.listed < MAX_LISTED_PER_FILE {
            f.listed += 1;
            self.diags.push(d);
        } else if d.is_error() {
            f.unlisted_errors += 1;
        } else {
            f.unlisted_warnings += 1;
        }
    }

    /// The listed diagnostics, each file's unlisted ones summed up in one line, the number of
    /// lines with errors, and the number of unlisted warnings.
    pub(super) fn finish(mut self) -> Collected {
        let mut files: Vec<(PathBuf, FileProblems)> = self.files.into_iter().collect();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        let (mut skipped, mut unlisted_warnings) = (0, 0);
        for (path, f) in files {
            skipped += f.bad_line_count();
            unlisted_warnings += f.unlisted_warnings;
            let more = f.unlisted_errors + f.unlisted_warnings;
            if more > 0 {
                let msg = format!(
                    "… and {more} more problem(s) in this file ({} error(s), {} warning(s)) not listed; the first {MAX_LISTED_PER_FILE} are above",
                    f.unlisted_errors, f.unlisted_warnings
                );
                let mut d = if f.unlisted_errors > 0 {
                    Diagnostic::error(&path, None, None, msg)
                } else {
                    Diagnostic::warning(&path, None, None, msg)
                };
                d.more = f.unlisted_errors;
                self.diags.push(d);
            }
        }
        Collected {
            diagnostics: self.diags,
            skipped,
            unlisted_warnings,
        }
    }
}

/// What a [`Collector`] found: the diagnostics to list, the number of input lines with errors,
/// and the number of warnings only counted.
pub(super) struct Collected {
    pub diagnostics: Vec<Diagnostic>,
    pub skipped: usize,
    pub unlisted_warnings: usize,
}
