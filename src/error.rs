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
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
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

    /// The exit code this error maps to (SPEC §7): 2 for bad usage, input or credentials,
    /// 130 for an interrupt, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Input(_) | Error::Usage(_) | Error::Credentials(_) => 2,
            Error::Interrupted => 130,
            Error::Io { .. } | Error::Other(_) => 1,
        }
    }
}

fn render_diagnostics(diags: &[Diagnostic]) -> String {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let mut out = String::new();
    for d in diags {
        out.push_str(&d.to_string());
        out.push('\n');
    }
    out.push_str(&format!("{errors} error(s) in the input"));
    out
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
