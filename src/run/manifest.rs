//! `run.json`: what a run did, with which settings and inputs, and the checks that let a run be
//! continued only with the settings it was started with.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::MANIFEST;
use crate::dataset::Dataset;
use crate::error::{Diagnostic, Error, Result};
use crate::stats::Tokens;

/// Digests of what a run's results depend on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Inputs {
    pub questions_sha256: String,
    pub rubrics_sha256: String,
    #[serde(default)]
    pub judge_template_sha256: Option<String>,
    pub question_files: Vec<PathBuf>,
    pub rubric_files: Vec<PathBuf>,
    #[serde(default)]
    pub answer_files: Vec<PathBuf>,
    #[serde(default)]
    pub verdict_file: Option<PathBuf>,
}

impl Inputs {
    /// The digests and file lists of a question set (no answers, verdicts or template yet).
    pub fn for_dataset(ds: &Dataset) -> Inputs {
        let files = |kind: &str| {
            ds.sources
                .iter()
                .filter(|s| s.kind == kind)
                .map(|s| s.path.clone())
                .collect()
        };
        Inputs {
            questions_sha256: ds.digest("questions"),
            rubrics_sha256: ds.digest("rubrics"),
            question_files: files("questions"),
            rubric_files: files("rubrics"),
            ..Inputs::default()
        }
    }
}

/// `run.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub kasauti_version: String,
    /// The command line (it never holds a secret: keys come from environment variables).
    pub command: Vec<String>,
    /// Settings that shape results, and operational ones, by name (no secrets).
    pub settings: BTreeMap<String, serde_json::Value>,
    pub inputs: Inputs,
    pub started_at: String,
    #[serde(default)]
    pub finished_at: Option<String>,
    #[serde(default)]
    pub counts: BTreeMap<String, u64>,
    #[serde(default)]
    pub tokens: BTreeMap<String, Tokens>,
}

/// Now, as RFC 3339 UTC.
pub fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "unknown".into())
}

/// `runs/<date>-<time>` (UTC), the default `--out`, created here so that it is this run's alone:
/// when two runs start in the same second, the second gets `…-2` (and so on), never the first's
/// folder.
pub fn default_dir() -> PathBuf {
    let t = time::OffsetDateTime::now_utc();
    let fmt = time::macros::format_description!("[year][month][day]-[hour][minute][second]");
    let base = PathBuf::from("runs").join(t.format(&fmt).unwrap_or_else(|_| "run".into()));
    if std::fs::create_dir_all("runs").is_err() {
        // Whoever writes into it next reports why it cannot be created.
        return base;
    }
    for n in 1u32.. {
        let candidate = if n == 1 {
            base.clone()
        } else {
            PathBuf::from(format!("{}-{n}", base.display()))
        };
        match std::fs::create_dir(&candidate) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            _ => return candidate,
        }
    }
    base
}

/// Creates the directory (and parents).
pub fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))
}

pub fn write_manifest(dir: &Path, m: &Manifest) -> Result<()> {
    let s = serde_json::to_string_pretty(m).map_err(|e| Error::Other(e.to_string()))?;
    crate::util::write_atomic(&dir.join(MANIFEST), &(s + "\n"))
}

pub fn read_manifest(dir: &Path) -> Result<Manifest> {
    let p = dir.join(MANIFEST);
    let bytes = std::fs::read(&p).map_err(|e| Error::unreadable(&p, e))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        Error::Input(vec![Diagnostic::error(
            &p,
            Some(e.line()),
            None,
            format!("not a kasauti run manifest: {e}"),
        )])
    })
}

/// Compares the settings that shape results with those a run directory was started with, and
/// refuses to continue when any differ, naming each. Settings absent on one side are fine: a
/// `run` may grade what a `generate` answered.
pub fn check_resume(
    dir: &Path,
    old: &Manifest,
    results: &BTreeMap<String, serde_json::Value>,
    inputs: &Inputs,
) -> Result<()> {
    let mut changed = Vec::new();
    let digests = [
        (
            "question set",
            &old.inputs.questions_sha256,
            &inputs.questions_sha256,
        ),
        (
            "rubrics",
            &old.inputs.rubrics_sha256,
            &inputs.rubrics_sha256,
        ),
    ];
    for (what, a, b) in digests {
        if a != b {
            changed.push(format!("{what} (its SHA-256 differs)"));
        }
    }
    let old_results = old
        .settings
        .get("results")
        .and_then(|v| v.as_object())
        .cloned()
        .unwrap_or_default();
    if old.inputs.judge_template_sha256 != inputs.judge_template_sha256
        && old_results.contains_key("judge_model")
        && results.contains_key("judge_model")
    {
        changed.push("judge template".into());
    }
    for (k, v) in results {
        if let Some(before) = old_results.get(k) {
            if before != v {
                changed.push(format!("{k} (was {before}, now {v})"));
            }
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "{} holds a run with different settings, so it cannot be continued with these: {}.\n\
         Use another --out for a new run, or rerun with the original settings (see the command \
         in {}).",
        dir.display(),
        changed.join("; "),
        dir.join(MANIFEST).display()
    )))
}

/// Quotes a command line for a POSIX shell, so a printed resume command can be pasted.
pub fn shell_quote(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            let safe = !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c));
            if safe {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_refuses_changes_by_name() {
        let mut old = Manifest::default();
        old.inputs.questions_sha256 = "a".into();
        old.settings.insert(
            "results".into(),
            serde_json::json!({"model": "m1", "samples": 2}),
        );
        let inputs = old.inputs.clone();
        let mut results = BTreeMap::new();
        results.insert("model".to_string(), serde_json::json!("m1"));
        results.insert("samples".to_string(), serde_json::json!(2));
        results.insert("judge_model".to_string(), serde_json::json!("j"));
        assert!(check_resume(Path::new("r"), &old, &results, &inputs).is_ok());
        results.insert("model".to_string(), serde_json::json!("m2"));
        let mut changed_inputs = inputs.clone();
        changed_inputs.questions_sha256 = "b".into();
        let e = check_resume(Path::new("r"), &old, &results, &changed_inputs)
            .unwrap_err()
            .to_string();
        assert!(e.contains("model (was \"m1\", now \"m2\")"), "{e}");
        assert!(e.contains("question set"), "{e}");
        assert!(!e.contains("samples"), "{e}");
    }

    #[test]
    fn quoting() {
        let q = shell_quote(&[
            "kasauti".into(),
            "--out".into(),
            "runs/a b".into(),
            "--system-prompt".into(),
            "it's".into(),
        ]);
        assert_eq!(q, r"kasauti --out 'runs/a b' --system-prompt 'it'\''s'");
    }
}
