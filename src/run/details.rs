//! Reading the per-answer material of run directories for the reports that show single answers
//! (the HTML drill-down).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::answers::AnswerFiles;
use crate::error::{Error, Result};
use crate::grade::Grade;
use crate::jsonl::LineReader;
use crate::report::details::{AnswerDetail, Details, MAX_ANSWERS, MAX_TEXT_BYTES};
use crate::run;

pub(super) type Key = (String, String, u32);

impl Details {
    /// Reads the grades and answer texts of run directories. A run's grade file must be valid
    /// (the report was built from it); answer texts are best effort, because answer files named
    /// in `run.json` may have moved since the run.
    pub fn load(runs: &[PathBuf]) -> Result<Details> {
        Details::load_with(runs, MAX_ANSWERS, MAX_TEXT_BYTES)
    }

    /// [`Details::load`] with other limits: at most `max_answers` answers (else none, with a
    /// note) and `max_text_bytes` of answer text (texts past it are left out, with a note).
    pub fn load_with(
        runs: &[PathBuf],
        max_answers: usize,
        max_text_bytes: usize,
    ) -> Result<Details> {
        let mut out = Details::default();
        let mut seen: HashSet<Key> = HashSet::new();
        let mut notes: Vec<String> = Vec::new();
        let mut text_budget = max_text_bytes;
        for dir in runs {
            let manifest = run::read_manifest(dir)?;
            let room = max_answers.saturating_sub(out.answers.len());
            let Some(grades) = read_grade_lines(&dir.join(run::GRADES), room)? else {
                return Ok(Details {
                    answers: Vec::new(),
                    texts_note: Some(format!(
                        "these runs have more than {max_answers} graded answers, more than a page can show; \
                         the per-answer drill-down is left out (every verdict is in {})",
                        run::GRADES
                    )),
                });
            };
            let mut texts: HashMap<Key, (Option<String>, Option<String>)> = HashMap::new();
            if let Err(note) = read_texts(dir, &manifest, &mut texts, &mut text_budget) {
                notes.push(note);
            }
            for g in grades {
                let key = (g.model.clone(), g.question_id.clone(), g.sample);
                if !seen.insert(key.clone()) {
                    continue;
                }
                let text = texts.remove(&key).and_then(|(t, _)| t);
                out.answers.push(AnswerDetail {
                    model: g.model.clone(),
                    question_id: g.question_id.clone(),
                    sample: g.sample,
                    text,
                    error: None,
                    grade: Some(g),
                });
            }
            // Items that failed before grading have no grade line, only an answer line with an
            // error; show them too, so the drill-down accounts for every item.
            let mut failed: Vec<(Key, Option<String>)> = texts
                .into_iter()
                .filter(|(k, (t, e))| t.is_none() && e.is_some() && !seen.contains(k))
                .map(|(k, (_, e))| (k, e))
                .collect();
            failed.sort_by(|a, b| a.0.cmp(&b.0));
            for (key, error) in failed {
                seen.insert(key.clone());
                out.answers.push(AnswerDetail {
                    model: key.0,
                    question_id: key.1,
                    sample: key.2,
                    text: None,
                    error,
                    grade: None,
                });
            }
        }
        if !notes.is_empty() {
            out.texts_note = Some(notes.join("; "));
        }
        Ok(out)
    }
}

/// Reads every line of a grade file, or `None` when it has more than `limit`. A torn last line
/// (a run killed mid-write) is skipped, as `report` skips it.
fn read_grade_lines(path: &Path, limit: usize) -> Result<Option<Vec<Grade>>> {
    let mut out = Vec::new();
    if !path.exists() {
        return Ok(Some(out));
    }
    let mut reader = LineReader::open(path)?;
    let mut batch = Vec::new();
    while reader.read_batch(4096, &mut batch)? {
        for line in &batch {
            let parsed = line
                .text(path)
                .ok()
                .and_then(|t| serde_json::from_str::<Grade>(t).ok());
            if let Some(g) = parsed {
                out.push(g);
            }
        }
        if out.len() > limit {
            return Ok(None);
        }
    }
    Ok(Some(out))
}

/// Fills `texts` with (answer text, error) per (model, question, sample), spending at most
/// `budget` bytes of text. Returns a note saying why texts are unavailable when they cannot be
/// read, or are left out past the budget.
pub(super) fn read_texts(
    dir: &Path,
    manifest: &run::Manifest,
    texts: &mut HashMap<Key, (Option<String>, Option<String>)>,
    budget: &mut usize,
) -> std::result::Result<(), String> {
    let live = dir.join(run::ANSWERS);
    let (paths, model) = if live.exists() {
        (vec![live], None)
    } else if manifest.inputs.answer_files.is_empty() {
        return Err(format!(
            "answer texts are unavailable for {}: the run lists no answer files",
            dir.display()
        ));
    } else {
        let mut paths = Vec::new();
        for p in &manifest.inputs.answer_files {
            // Paths are recorded as given on the command line; they may be relative to where
            // the run was made, so the run directory's parent is tried as well.
            let candidates = [p.clone(), dir.join("..").join(p)];
            match candidates.into_iter().find(|c| c.is_file()) {
                Some(found) => paths.push(found),
                None => {
                    return Err(format!(
                    "answer texts are unavailable for {}: the answer file {} can no longer be read",
                    dir.display(),
                    p.display()
                ))
                }
            }
        }
        let model = manifest
            .settings
            .get("model")
            .and_then(|v| v.as_str())
            .map(str::to_string);
        (paths, model)
    };
    let unavailable = |e: Error| format!("answer texts are unavailable for {}: {e}", dir.display());
    let mut files = AnswerFiles::open(&paths, model).map_err(unavailable)?;
    loop {
        let batch = files.next_batch(4096).map_err(unavailable)?;
        if batch.is_empty() {
            break;
        }
        // Bad lines were reported when the run was graded; here they are simply not shown.
        for loc in batch.into_iter().flatten() {
            let a = loc.answer;
            let size = a.answer.as_ref().map_or(0, String::len);
            if size > *budget {
                return Err(format!(
                    "some answer texts of {} are left out, to keep the page small enough to open",
                    dir.display()
                ));
            }
            *budget -= size;
            texts
                .entry((a.model, a.question_id, a.sample))
                .or_insert((a.answer, a.error));
        }
    }
    Ok(())
}

/// The answer texts of a run directory by (model, question id, sample), or why they cannot be
/// read (answer files moved since the run).
pub(crate) fn answer_texts(
    dir: &Path,
) -> Result<std::result::Result<HashMap<Key, String>, String>> {
    let manifest = run::read_manifest(dir)?;
    let mut texts = HashMap::new();
    let mut budget = usize::MAX;
    Ok(
        read_texts(dir, &manifest, &mut texts, &mut budget).map(|()| {
            texts
                .into_iter()
                .filter_map(|(k, (t, _))| Some((k, t?)))
                .collect()
        }),
    )
}
