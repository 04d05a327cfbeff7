//! A run folder is never replaced silently. Before `grade` writes into a folder that already
//! holds something, it checks what is there: the same grading job again (same question set,
//! rubrics, answers and settings) is graded again in place; anything else, a live run with paid
//! answers above all, is refused with a message naming `--overwrite`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{read_manifest, Manifest, ANSWERS, DATASET, GRADES, MANIFEST};
use crate::error::{Error, Result};

/// What `grade` found in its `--out` folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// Nothing there (or an empty folder): a new run.
    Nothing,
    /// The same grading job, finished or stopped part way: it is graded again in place.
    SameJob,
    /// Something else, replaced because `--overwrite` was given.
    Replaced,
}

/// Settings that do not change a grading run's results, so may differ on a rerun.
const OPERATIONAL: &[&str] = &["format"];

/// Files a run folder holds; `--overwrite` removes these (and only these) first.
const RUN_FILES: &[&str] = &[
    MANIFEST,
    GRADES,
    ANSWERS,
    DATASET,
    "report.json",
    "report.md",
    "report.csv",
    "report.html",
];

/// Checks `dir` before an offline grading run whose manifest will be `planned`, and makes it
/// ready: created when missing, cleared of the old run's files with `overwrite`.
pub fn prepare_for_grading(dir: &Path, planned: &Manifest, overwrite: bool) -> Result<Found> {
    if !dir.exists() {
        super::create_dir(dir)?;
        return Ok(Found::Nothing);
    }
    if !dir.is_dir() {
        return Err(Error::Usage(format!(
            "--out {} is a file, not a folder",
            dir.display()
        )));
    }
    let empty = std::fs::read_dir(dir)
        .map_err(|e| Error::unreadable(dir, e))?
        .next()
        .is_none();
    if empty {
        return Ok(Found::Nothing);
    }
    if overwrite {
        for f in RUN_FILES {
            let p = dir.join(f);
            if p.exists() {
                std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
            }
        }
        return Ok(Found::Replaced);
    }
    let refuse = |what: String| {
        Err(Error::Usage(format!(
            "--out {}: {what}; choose another --out (or leave it out for a new folder), or pass --overwrite to replace it",
            dir.display()
        )))
    };
    if !dir.join(MANIFEST).exists() {
        return refuse("the folder is not empty and holds no kasauti run (no run.json), so grading into it could replace files that are not ours".into());
    }
    let old = match read_manifest(dir) {
        Ok(m) => m,
        Err(_) => return refuse("its run.json cannot be read as a kasauti run".into()),
    };
    let judged_by_rules = matches!(
        old.settings.get("judge").and_then(|v| v.as_str()),
        Some("rules" | "verdicts")
    );
    if dir.join(ANSWERS).exists() || !judged_by_rules {
        return refuse(format!(
            "it holds a {} run{}, whose grades this would replace",
            old.command.get(1).map(String::as_str).unwrap_or("live"),
            if dir.join(ANSWERS).exists() {
                " with answers from a model"
            } else {
                " graded by a judge model"
            }
        ));
    }
    let changed = differences(&old, planned);
    if changed.is_empty() {
        return Ok(Found::SameJob);
    }
    refuse(format!(
        "it holds a different grading run ({} changed); a rerun with the same inputs grades it again",
        changed.join(", ")
    ))
}

/// What differs between two grading runs' inputs and result-shaping settings.
fn differences(old: &Manifest, new: &Manifest) -> Vec<String> {
    let mut out = Vec::new();
    let (a, b) = (&old.inputs, &new.inputs);
    if a.questions_sha256 != b.questions_sha256 {
        out.push("the questions".to_string());
    }
    if a.rubrics_sha256 != b.rubrics_sha256 {
        out.push("the rubrics".into());
    }
    if a.answer_files != b.answer_files {
        out.push("the answer files".into());
    }
    if a.verdict_file != b.verdict_file {
        out.push("the verdicts file".into());
    }
    let shaping = |s: &BTreeMap<String, serde_json::Value>| -> BTreeMap<String, serde_json::Value> {
        s.iter()
            .filter(|(k, _)| !OPERATIONAL.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let (sa, sb) = (shaping(&old.settings), shaping(&new.settings));
    let mut keys: Vec<&String> = sa.keys().chain(sb.keys()).collect();
    keys.sort();
    keys.dedup();
    let same_files = a.answer_files == b.answer_files && a.verdict_file == b.verdict_file;
    for k in keys {
        if k == "input_files" && !same_files {
            continue;
        }
        if sa.get(k) != sb.get(k) {
            out.push(if k == "input_files" {
                "the content of the answer or verdict files".into()
            } else {
                format!("setting `{k}`")
            });
        }
    }
    out
}

/// A fingerprint of input files that changes when any is edited: path, size and modification
/// time of each (cheap even for gigabytes of answers, unlike hashing their content).
pub fn file_stamps(paths: &[PathBuf]) -> Vec<String> {
    paths
        .iter()
        .map(|p| {
            let (len, modified) = std::fs::metadata(p)
                .map(|m| {
                    let t = m
                        .modified()
                        .ok()
                        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                        .map(|d| d.as_nanos())
                        .unwrap_or(0);
                    (m.len(), t)
                })
                .unwrap_or((0, 0));
            format!("{}:{len}:{modified}", p.display())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn manifest(judge: &str, answers: &str) -> Manifest {
        let mut m = Manifest {
            command: vec!["kasauti".into(), "grade".into()],
            ..Default::default()
        };
        m.settings.insert("judge".into(), json!(judge));
        m.settings.insert("format".into(), json!(["json"]));
        m.inputs.answer_files = vec![PathBuf::from(answers)];
        m.inputs.questions_sha256 = "q".into();
        m
    }

    #[test]
    fn folders_are_claimed_only_when_safe() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("run");
        let planned = manifest("rules", "a.jsonl");
        assert_eq!(
            prepare_for_grading(&dir, &planned, false).unwrap(),
            Found::Nothing
        );
        assert!(dir.is_dir());
        assert_eq!(
            prepare_for_grading(&dir, &planned, false).unwrap(),
            Found::Nothing
        );

        // The same job again; an operational setting may differ.
        super::super::write_manifest(&dir, &planned).unwrap();
        let mut again = planned.clone();
        again.settings.insert("format".into(), json!(["csv"]));
        assert_eq!(
            prepare_for_grading(&dir, &again, false).unwrap(),
            Found::SameJob
        );

        // Other answers: refused, naming what changed and the flag.
        let other = manifest("rules", "b.jsonl");
        let e = prepare_for_grading(&dir, &other, false)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("the answer files changed") && e.contains("--overwrite"),
            "{e}"
        );
        let mut other = planned.clone();
        other.settings.insert("missing".into(), json!("zero"));
        let e = prepare_for_grading(&dir, &other, false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("setting `missing`"), "{e}");
        assert_eq!(
            prepare_for_grading(&dir, &other, true).unwrap(),
            Found::Replaced
        );
        assert!(!dir.join(MANIFEST).exists());

        // A live run's answers are never replaced without --overwrite.
        super::super::write_manifest(&dir, &manifest("hybrid", "a.jsonl")).unwrap();
        let e = prepare_for_grading(&dir, &planned, false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("graded by a judge model"), "{e}");
        std::fs::write(dir.join(ANSWERS), "").unwrap();
        super::super::write_manifest(&dir, &planned).unwrap();
        let e = prepare_for_grading(&dir, &planned, false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("with answers from a model"), "{e}");

        // A folder of other things.
        let docs = tmp.path().join("docs");
        std::fs::create_dir(&docs).unwrap();
        std::fs::write(docs.join("notes.txt"), "mine").unwrap();
        let e = prepare_for_grading(&docs, &planned, false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("holds no kasauti run"), "{e}");
        assert_eq!(
            prepare_for_grading(&docs, &planned, true).unwrap(),
            Found::Replaced
        );
        assert!(
            docs.join("notes.txt").exists(),
            "only run files are removed"
        );
        let file = tmp.path().join("file");
        std::fs::write(&file, "x").unwrap();
        assert!(prepare_for_grading(&file, &planned, false).is_err());
    }
}
