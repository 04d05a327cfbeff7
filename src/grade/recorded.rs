//! Grading from recorded verdicts (`grade --verdicts`).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::{grade, GradeSink, Outcome, Progress};
use crate::answers::{check_answers, AnswerFiles};
use crate::dataset::Dataset;
use crate::error::{Diagnostic, Error, Result};
use crate::judge::recorded::{AnswerKey, RecordedVerdicts};
use crate::judge::{Source, Verdict};

/// Grades from recorded verdicts (SPEC §4): JSONL `{"question_id", "model", "sample",
/// "criterion_id", "met"}`. When answer files are given, every answer must have verdicts and
/// every verdict an answer.
#[allow(clippy::type_complexity)]
pub fn grade_verdicts(
    dataset: &Dataset,
    verdict_path: &Path,
    answers: Option<&mut AnswerFiles>,
    sink: &mut dyn GradeSink,
    progress: &dyn Progress,
) -> Result<Outcome> {
    let mut out = Outcome::default();
    let RecordedVerdicts {
        groups,
        order,
        bad_lines,
        diagnostics,
    } = RecordedVerdicts::read(dataset, verdict_path)?;
    out.diagnostics = diagnostics;
    let err = |line: usize, field: Option<&str>, msg: String| {
        Diagnostic::error(verdict_path, Some(line), field, msg)
    };
    // With answer files, they define the set of answers; verdicts must match them one to one.
    let mut wanted: Option<Vec<(AnswerKey, PathBuf, usize)>> = None;
    if let Some(files) = answers {
        let mut list = Vec::new();
        let problems = check_answers(dataset, files, |path, loc, qi| {
            let key = (loc.answer.model, qi, loc.answer.sample);
            list.push((key, path.to_path_buf(), loc.line));
        })?;
        out.skipped += problems.len();
        out.diagnostics.extend(problems);
        let known: HashSet<&(String, u32, u32)> = list.iter().map(|(k, _, _)| k).collect();
        for key in &order {
            if !known.contains(key) {
                let first = groups[key].iter().map(|v| v.line).min().unwrap_or(0);
                out.diagnostics.push(err(
                    first,
                    Some("question_id"),
                    format!("verdicts for an answer that is not in the answer files (model `{}`, question `{}`, sample {})", key.0, dataset.questions[key.1 as usize].id, key.2),
                ));
                out.skipped += 1;
            }
        }
        wanted = Some(list);
    }

    let keys: Vec<(AnswerKey, Option<(PathBuf, usize)>)> = match wanted {
        Some(list) => list
            .into_iter()
            .map(|(k, p, l)| (k, Some((p, l))))
            .collect(),
        None => order.into_iter().map(|k| (k, None)).collect(),
    };
    for (key, answer_at) in keys {
        let q = &dataset.questions[key.1 as usize];
        let Some(list) = groups.get(&key) else {
            if let Some((p, l)) = answer_at {
                out.diagnostics.push(Diagnostic::error(&p, Some(l), Some("question_id"), format!("no verdicts recorded for this answer (model `{}`, question `{}`, sample {})", key.0, q.id, key.2)));
                out.skipped += 1;
            }
            continue;
        };
        if list.iter().any(|v| bad_lines.contains(&v.line)) {
            continue;
        }
        let mut verdicts: Vec<Option<Verdict>> = vec![None; q.rubric.len()];
        for v in list {
            verdicts[v.criterion] = Some(Verdict {
                met: v.met,
                source: Source::Verdicts,
                explanation: None,
                error: v.met.is_none().then(|| "recorded as null".to_string()),
            });
        }
        let missing: Vec<&str> = q
            .rubric
            .iter()
            .zip(&verdicts)
            .filter(|(_, v)| v.is_none())
            .map(|(c, _)| c.id.as_str())
            .collect();
        if !missing.is_empty() {
            let first = list.iter().map(|v| v.line).min().unwrap_or(0);
            out.diagnostics.push(err(
                first,
                Some("criterion_id"),
                format!(
                    "missing verdicts for model `{}`, question `{}`, sample {}: criteria {}",
                    key.0,
                    q.id,
                    key.2,
                    missing.join(", ")
                ),
            ));
            out.skipped += 1;
            continue;
        }
        let g = grade(q, &key.0, key.2, verdicts.into_iter().flatten().collect());
        let line = serde_json::to_string(&g).map_err(|e| Error::Other(e.to_string()))?;
        sink.write(&line)?;
        let m = out.records.model_id(&key.0);
        out.records.push_grade(m, key.1, &g);
        progress.advance(1);
    }
    out.skipped += bad_lines.len();
    Ok(out)
}
