//! Verdicts decided elsewhere (`grade --verdicts`): a JSONL file of `{"question_id", "model",
//! "sample", "criterion_id", "met"}` lines, read and checked against the question set.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::dataset::Dataset;
use crate::error::{Diagnostic, Result};
use crate::jsonl::short_json;

/// (model, question position, sample): one answer.
pub type AnswerKey = (String, u32, u32);

/// One recorded verdict line (`grade --verdicts`).
#[derive(Debug, Clone)]
pub struct RecordedVerdict {
    /// The criterion's position in the rubric.
    pub criterion: usize,
    /// The verdict; `None` when recorded as null.
    pub met: Option<bool>,
    /// The line it was read from.
    pub line: usize,
}

/// A verdict file, read.
#[derive(Debug, Default)]
pub struct RecordedVerdicts {
    /// Verdicts per answer.
    pub groups: HashMap<AnswerKey, Vec<RecordedVerdict>>,
    /// Answers in the order the file first names them.
    pub order: Vec<AnswerKey>,
    /// Lines with a problem: their answers are not graded.
    pub bad_lines: HashSet<usize>,
    /// The problems.
    pub diagnostics: Vec<Diagnostic>,
}

impl RecordedVerdicts {
    /// Reads and checks a verdict file against `dataset` (verdicts for questions left out of the
    /// selection are passed over).
    pub fn read(dataset: &Dataset, verdict_path: &Path) -> Result<RecordedVerdicts> {
        let mut diagnostics = Vec::new();
        let mut groups: HashMap<(String, u32, u32), Vec<RecordedVerdict>> = HashMap::new();
        let mut order: Vec<(String, u32, u32)> = Vec::new();
        let mut bad_lines: HashSet<usize> = HashSet::new();
        let err = |line: usize, field: Option<&str>, msg: String| {
            Diagnostic::error(verdict_path, Some(line), field, msg)
        };
        for item in crate::jsonl::objects(verdict_path)? {
            let (number, o) = match item? {
                Ok(x) => x,
                Err(d) => {
                    bad_lines.extend(d.line);
                    diagnostics.push(d);
                    continue;
                }
            };
            let mut problems = Vec::new();
            let s = |k: &str, problems: &mut Vec<Diagnostic>| match o.get(k) {
                Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
                None | Some(serde_json::Value::Null) => {
                    problems.push(err(number, Some(k), "required field is missing".into()));
                    None
                }
                Some(v) => {
                    problems.push(err(
                        number,
                        Some(k),
                        format!("expected a non-empty string, got {}", short_json(v)),
                    ));
                    None
                }
            };
            let qid = s("question_id", &mut problems);
            let model = s("model", &mut problems);
            let cid = s("criterion_id", &mut problems);
            let sample = match o.get("sample") {
                None | Some(serde_json::Value::Null) => Some(0),
                Some(v) => match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
                    Some(n) => Some(n),
                    None => {
                        problems.push(err(
                            number,
                            Some("sample"),
                            format!("expected a whole number >= 0, got {}", short_json(v)),
                        ));
                        None
                    }
                },
            };
            let met = match o.get("met") {
                Some(serde_json::Value::Bool(b)) => Some(Some(*b)),
                Some(serde_json::Value::Null) => Some(None),
                None => {
                    problems.push(err(
                        number,
                        Some("met"),
                        "required field is missing (true, false or null)".into(),
                    ));
                    None
                }
                Some(v) => {
                    problems.push(err(
                        number,
                        Some("met"),
                        format!("expected true, false or null, got {}", short_json(v)),
                    ));
                    None
                }
            };
            let (Some(qid), Some(model), Some(cid), Some(sample), Some(met)) =
                (qid, model, cid, sample, met)
            else {
                bad_lines.insert(number);
                diagnostics.extend(problems);
                continue;
            };
            let Some(qi) = dataset.position(&qid) else {
                if dataset.is_deselected(&qid) {
                    continue;
                }
                bad_lines.insert(number);
                diagnostics.push(err(
                    number,
                    Some("question_id"),
                    format!(
                        "verdict for unknown question `{}`",
                        crate::jsonl::truncate(&qid, 80)
                    ),
                ));
                continue;
            };
            let q = &dataset.questions[qi as usize];
            let Some(ci) = q.rubric.iter().position(|c| c.id == cid) else {
                bad_lines.insert(number);
                diagnostics.push(err(
                    number,
                    Some("criterion_id"),
                    format!(
                        "question `{qid}` has no criterion `{cid}` (it has {})",
                        q.rubric
                            .iter()
                            .map(|c| c.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
                continue;
            };
            let key = (model, qi, sample);
            let list = groups.entry(key.clone()).or_insert_with(|| {
                order.push(key.clone());
                Vec::new()
            });
            if let Some(prev) = list.iter().find(|v| v.criterion == ci) {
                bad_lines.insert(number);
                diagnostics.push(err(
                        number,
                        Some("criterion_id"),
                        format!("duplicate verdict for model `{}`, question `{qid}`, sample {sample}, criterion `{cid}` (first at line {})", key.0, prev.line),
                    ));
                continue;
            }
            list.push(RecordedVerdict {
                criterion: ci,
                met,
                line: number,
            });
        }
        Ok(RecordedVerdicts {
            groups,
            order,
            bad_lines,
            diagnostics,
        })
    }
}
