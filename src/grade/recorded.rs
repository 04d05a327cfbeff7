//! Grading from recorded verdicts (`grade --verdicts`).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::{grade, GradeSink, Outcome, Progress};
use crate::answers::{check_answers, AnswerFiles};
use crate::dataset::Dataset;
use crate::error::{Diagnostic, Error, Result};
use crate::judge::recorded::{AnswerKey, RecordedVerdicts};

/// Where an answer of the answer files was read.
struct AnswerAt {
    key: AnswerKey,
    path: PathBuf,
    line: usize,
}

/// Grades from recorded verdicts (SPEC §4): JSONL `{"question_id", "model", "sample",
/// "criterion_id", "met"}`. When answer files are given, every answer must have verdicts and
/// every verdict an answer.
pub fn grade_verdicts(
    dataset: &Dataset,
    verdict_path: &Path,
    answers: Option<&mut AnswerFiles>,
    sink: &mut dyn GradeSink,
    progress: &dyn Progress,
) -> Result<Outcome> {
    let mut out = Outcome::default();
    let RecordedVerdicts {
        judge,
        order,
        bad_lines,
        diagnostics,
    } = RecordedVerdicts::read(dataset, verdict_path)?;
    out.diagnostics = diagnostics;
    let err = |line: usize, field: Option<&str>, msg: String| {
        Diagnostic::error(verdict_path, Some(line), field, msg)
    };
    let first_line = |key: &AnswerKey| {
        judge
            .recorded(key)
            .and_then(|list| list.iter().map(|v| v.line).min())
            .unwrap_or(0)
    };
    // With answer files, they define the set of answers; verdicts must match them one to one.
    let mut wanted: Option<Vec<AnswerAt>> = None;
    if let Some(files) = answers {
        let mut list = Vec::new();
        let problems = check_answers(dataset, files, |path, loc, qi| {
            list.push(AnswerAt {
                key: AnswerKey {
                    model: loc.answer.model,
                    question: qi,
                    sample: loc.answer.sample,
                },
                path: path.to_path_buf(),
                line: loc.line,
            });
        })?;
        out.skipped += problems.len();
        out.diagnostics.extend(problems);
        let known: HashSet<&AnswerKey> = list.iter().map(|a| &a.key).collect();
        for key in &order {
            if !known.contains(key) {
                out.diagnostics.push(err(
                    first_line(key),
                    Some("question_id"),
                    format!("verdicts for an answer that is not in the answer files (model `{}`, question `{}`, sample {})", key.model, dataset.questions[key.question as usize].id, key.sample),
                ));
                out.skipped += 1;
            }
        }
        wanted = Some(list);
    }

    let keys: Vec<(AnswerKey, Option<(PathBuf, usize)>)> = match wanted {
        Some(list) => list
            .into_iter()
            .map(|a| (a.key, Some((a.path, a.line))))
            .collect(),
        None => order.into_iter().map(|k| (k, None)).collect(),
    };
    for (key, answer_at) in keys {
        let q = &dataset.questions[key.question as usize];
        let (Some(list), Some(verdicts)) =
            (judge.recorded(&key), judge.slots(&key, q.rubric.len()))
        else {
            if let Some((p, l)) = answer_at {
                out.diagnostics.push(Diagnostic::error(&p, Some(l), Some("question_id"), format!("no verdicts recorded for this answer (model `{}`, question `{}`, sample {})", key.model, q.id, key.sample)));
                out.skipped += 1;
            }
            continue;
        };
        if list.iter().any(|v| bad_lines.contains(&v.line)) {
            continue;
        }
        let missing: Vec<&str> = q
            .rubric
            .iter()
            .zip(&verdicts)
            .filter(|(_, v)| v.is_none())
            .map(|(c, _)| c.id.as_str())
            .collect();
        if !missing.is_empty() {
            out.diagnostics.push(err(
                first_line(&key),
                Some("criterion_id"),
                format!(
                    "missing verdicts for model `{}`, question `{}`, sample {}: criteria {}",
                    key.model,
                    q.id,
                    key.sample,
                    missing.join(", ")
                ),
            ));
            out.skipped += 1;
            continue;
        }
        let g = grade(
            q,
            &key.model,
            key.sample,
            verdicts.into_iter().flatten().collect(),
        );
        let line = serde_json::to_string(&g).map_err(|e| Error::Other(e.to_string()))?;
        sink.write(&line)?;
        let m = out.records.model_id(&key.model);
        out.records.push_grade(m, key.question, &g);
        progress.advance(1);
    }
    out.skipped += bad_lines.len();
    Ok(out)
}
