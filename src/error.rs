//! Errors and diagnostics.
//!
//! Input problems are collected as [`Diagnostic`]s, each naming the file, line and field, so a
//! command can report every bad line at once instead of stopping at the first.

use std::fmt;
use std::path::{Path, PathBuf};

/// How serious a diagnostic is. Warnings never change an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One problem found in the input, located as precisely as the input allows.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub file: PathBuf,
    /// 1-based line number; `None` for problems of a whole file.
    pub line: Option<usize>,
    /// The JSON field (or CSV column) at fault, as a dotted path such as `criteria[2].points`.
    pub field: Option<String>,
    pub message: String,
    /// For a line that stands for problems not listed one by one: how many errors it counts
    /// (0 for an ordinary diagnostic).
    #[serde(skip_serializing_if = "is_zero")]
    pub more: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Diagnostic {
    pub fn error(
        file: &Path,
        line: Option<usize>,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Error,
            file: file.to_path_buf(),
            line,
            field: field.map(str::to_string),
            message: message.into(),
            more: 0,
        }
    }

    pub fn warning(
        file: &Path,
        line: Option<usize>,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(file, line, field, message)
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{kind}: {}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The library's error type. Every variant says what went wrong in terms a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input had problems; every one is listed.
    #[error("{}", render_diagnostics(.0))]
    Input(Vec<Diagnostic>),
    /// A file or directory could not be written (or a run's own file could not be read back).
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// An input file or folder named by the user is missing or cannot be read: bad input.
    #[error("cannot read {}: {}{}", .path.display(), plain_io(.source), unreadable_hint(.source))]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The command line asked for something impossible.
    #[error("{0}")]
    Usage(String),
    /// Credentials were refused by a server (HTTP 401/403).
    #[error("{0}")]
    Credentials(String),
    /// The run was interrupted; what was written is kept.
    #[error("interrupted")]
    Interrupted,
    /// Anything else, with a message that says what happened.
    #[error("{0}")]
    Other(String),
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// An input file or folder that could not be opened or read (exit code 2).
    pub fn unreadable(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Unreadable {
            path: path.into(),
            source,
        }
    }

    /// The exit code this error maps to (SPEC §7): 2 for bad usage, input or credentials,
    /// 130 for an interrupt, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Input(_)
            | Error::Usage(_)
            | Error::Credentials(_)
            | Error::Unreadable { .. } => 2,
            Error::Interrupted => 130,
            Error::Io { .. } | Error::Other(_) => 1,
        }
    }
}

/// The OS message without Rust's "(os error N)" suffix, which tells a user nothing.
fn plain_io(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn unreadable_hint(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::NotFound => {
            " (check the path; relative paths are read from the current folder)"
        }
        std::io::ErrorKind::PermissionDenied => " (check the file's permissions)",
        _ => "",
    }
}

fn render_diagnostics(diags: &[Diagnostic]) -> String {
    let errors: usize = diags
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.more.max(1))
        .sum();
    let mut out = String::new();
    for d in diags {
        out.push_str(&d.to_string());
        out.push('\n');
    }
    out.push_str(&format!("{errors} error(s) in the input"));
    out
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
