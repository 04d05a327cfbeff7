//! Verdicts decided elsewhere (`grade --verdicts`): a JSONL file of `{"question_id", "model",
//! "sample", "criterion_id", "met"}` lines, read and checked against the question set, and
//! served as a judge ([`RecordedJudge`]) that looks an answer's verdicts up by who gave it.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::{Judge, Judged, Pending, Source, Task, Verdict};
use crate::dataset::Dataset;
use crate::error::{Diagnostic, Result};
use crate::jsonl::{short_json, FieldReader, Shown};

/// One answer: who gave it (model and sample) to which question.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AnswerKey {
    /// The model that answered.
    pub model: String,
    /// The question's position in the dataset.
    pub question: u32,
    /// The sample number (0 for the first answer).
    pub sample: u32,
}

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

impl RecordedVerdict {
    /// The verdict as a judge's decision (a null one says so in its error).
    pub fn verdict(&self) -> Verdict {
        Verdict {
            met: self.met,
            source: Source::Verdicts,
            explanation: None,
            error: self.met.is_none().then(|| "recorded as null".to_string()),
        }
    }
}

/// A verdict file, read.
#[derive(Debug, Default)]
pub struct RecordedVerdicts {
    /// The verdicts, by answer.
    pub judge: RecordedJudge,
    /// Answers in the order the file first names them.
    pub order: Vec<AnswerKey>,
    /// Lines with a problem: their answers are not graded.
    pub bad_lines: HashSet<usize>,
    /// The problems.
    pub diagnostics: Vec<Diagnostic>,
}

/// Recorded verdicts as a judge.
///
/// A [`Task`] names the question and the answer's text but not who gave the answer, and
/// recorded verdicts are kept by who gave it (model and sample): [`RecordedJudge::answers_of`]
/// gives the [`Judge`] of one model's sample.
#[derive(Debug, Default)]
pub struct RecordedJudge {
    groups: HashMap<AnswerKey, Vec<RecordedVerdict>>,
}

impl RecordedJudge {
    /// The verdict lines recorded for one answer, in file order; `None` when it has none.
    pub fn recorded(&self, key: &AnswerKey) -> Option<&[RecordedVerdict]> {
        self.groups.get(key).map(Vec::as_slice)
    }

    /// One answer's verdicts in rubric order of a rubric of `criteria` criteria: `None` where
    /// the file has none for a criterion. `None` when the file has no verdicts for the answer.
    pub fn slots(&self, key: &AnswerKey, criteria: usize) -> Option<Vec<Option<Verdict>>> {
        let list = self.groups.get(key)?;
        let mut slots: Vec<Option<Verdict>> = vec![None; criteria];
        for v in list {
            if let Some(slot) = slots.get_mut(v.criterion) {
                *slot = Some(v.verdict());
            }
        }
        Some(slots)
    }

    /// The judge of the answers `model` gave as sample `sample`.
    pub fn answers_of<'a>(&'a self, model: &'a str, sample: u32) -> AnswersOf<'a> {
        AnswersOf {
            recorded: self,
            model,
            sample,
        }
    }
}

/// The recorded verdicts of one model's sample, as a [`Judge`]: a criterion without a recorded
/// verdict is unjudged.
#[derive(Debug, Clone, Copy)]
pub struct AnswersOf<'a> {
    recorded: &'a RecordedJudge,
    model: &'a str,
    sample: u32,
}

impl Judge for AnswersOf<'_> {
    fn judge<'a>(&'a self, task: Task<'a>) -> Pending<'a> {
        let key = AnswerKey {
            model: self.model.to_string(),
            question: task.question,
            sample: self.sample,
        };
        let slots = self
            .recorded
            .slots(&key, task.q.rubric.len())
            .unwrap_or_else(|| vec![None; task.q.rubric.len()]);
        Box::pin(std::future::ready(Ok(Some(Judged::from_slots(
            slots, None,
        )))))
    }
}

impl RecordedVerdicts {
    /// Reads and checks a verdict file against `dataset` (verdicts for questions left out of the
    /// selection are passed over).
    pub fn read(dataset: &Dataset, verdict_path: &Path) -> Result<RecordedVerdicts> {
        let mut diagnostics = Vec::new();
        let mut groups: HashMap<AnswerKey, Vec<RecordedVerdict>> = HashMap::new();
        let mut order: Vec<AnswerKey> = Vec::new();
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
            const READ: FieldReader = FieldReader { shown: Shown::Json };
            let s = |k: &str, problems: &mut Vec<Diagnostic>| {
                READ.non_empty_string(o.get(k), k)
                    .map_err(|e| problems.push(e.at(verdict_path, number)))
                    .ok()
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
            let key = AnswerKey {
                model,
                question: qi,
                sample,
            };
            let list = groups.entry(key.clone()).or_insert_with(|| {
                order.push(key.clone());
                Vec::new()
            });
            if let Some(prev) = list.iter().find(|v| v.criterion == ci) {
                bad_lines.insert(number);
                diagnostics.push(err(
                        number,
                        Some("criterion_id"),
                        format!("duplicate verdict for model `{}`, question `{qid}`, sample {sample}, criterion `{cid}` (first at line {})", key.model, prev.line),
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
            judge: RecordedJudge { groups },
            order,
            bad_lines,
            diagnostics,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::load::load_from_bytes;

    #[test]
    fn recorded_verdicts_judge_the_answers_of_one_model_and_sample() {
        let q = r#"{"id": "q1", "language": "en", "domain": "history", "prompt": "Who?", "rubric": [{"id": "a", "criterion": "Names her", "points": 2}, {"id": "b", "criterion": "Says when", "points": 1}]}"#;
        let ds = load_from_bytes(vec![("q.jsonl".into(), q.as_bytes().to_vec())], vec![])
            .into_dataset(false)
            .unwrap()
            .dataset;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.jsonl");
        std::fs::write(
            &path,
            concat!(
                r#"{"question_id": "q1", "model": "m", "criterion_id": "b", "met": null}"#,
                "\n",
                r#"{"question_id": "q1", "model": "m", "criterion_id": "a", "met": true}"#,
                "\n",
                r#"{"question_id": "q1", "model": "m", "sample": 1, "criterion_id": "a", "met": false}"#,
                "\n",
            ),
        )
        .unwrap();
        let read = RecordedVerdicts::read(&ds, &path).unwrap();
        assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
        let first = AnswerKey {
            model: "m".into(),
            question: 0,
            sample: 0,
        };
        let second = AnswerKey {
            sample: 1,
            ..first.clone()
        };
        assert_eq!(read.order, vec![first, second]);

        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let judge_as = |model: &str, sample: u32| {
            let judge = read.judge.answers_of(model, sample);
            let task = Task {
                question: 0,
                q: &ds.questions[0],
                answer: "any text: recorded verdicts do not read it",
                wanted: None,
                prior: None,
            };
            rt.block_on(judge.judge(task)).unwrap().unwrap().verdicts
        };
        let v = judge_as("m", 0);
        assert_eq!(v[0].met, Some(true));
        assert_eq!(v[0].source, Source::Verdicts);
        assert_eq!(v[1].met, None);
        assert_eq!(v[1].source, Source::Verdicts);
        assert_eq!(v[1].error.as_deref(), Some("recorded as null"));
        // Sample 1 has a verdict for `a` only; `b` is left undecided.
        let v = judge_as("m", 1);
        assert_eq!(v[0].met, Some(false));
        assert!(!v[1].is_judged());
        // Another model's answers have no recorded verdicts.
        assert!(judge_as("other", 0).iter().all(|v| !v.is_judged()));
    }
}
