//! Labels of whole answers (SPEC §4e): JSONL `{"question_id", "model", "sample", "answer",
//! "rater", "criteria": {"<id>": true|false, …}}`, one line per rater, as people write them by
//! hand, from the labelling file of `kasauti sample`, or from the review page of report.html.
//!
//! A line whose criteria are all `null` (or `{}`) is a labelling-file line nobody has filled in
//! yet: it is skipped and counted. Several raters of one answer are gathered into one
//! [`AnswerLabels`]; per criterion the majority decides, ties going to "not met".

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::labelling::{sample_field, verdicts_field};
use crate::dataset::labels::answer_sha256;
use crate::dataset::Dataset;
use crate::error::Diagnostic;
use crate::jsonl::{short_json, string_field, truncate};

/// The labels of one answer by one or more raters.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerLabels {
    pub question_id: String,
    /// The question's language (from the question set).
    pub language: String,
    /// The model that wrote the answer, when the line names it.
    pub model: Option<String>,
    /// The answer's sample number (0 when a line names the model but not the sample).
    pub sample: Option<u32>,
    /// The answer text, when the line carries it.
    pub answer: Option<String>,
    /// Each rater's name and labels, in rubric order.
    pub raters: Vec<(String, Vec<bool>)>,
    /// Where the answer's first line was read.
    pub file: PathBuf,
    pub line: usize,
}

impl AnswerLabels {
    /// Per criterion (rubric order), whether a strict majority of raters said met.
    pub fn majority(&self) -> Vec<bool> {
        let n = self.raters.first().map(|r| r.1.len()).unwrap_or(0);
        (0..n)
            .map(|c| {
                let met = self.raters.iter().filter(|r| r.1[c]).count();
                2 * met > self.raters.len()
            })
            .collect()
    }
}

/// What one §4e line said, before raters of one answer are gathered.
pub(crate) struct AnswerLine {
    pub key: AnswerKey,
    pub question_id: String,
    pub language: String,
    pub model: Option<String>,
    pub sample: u32,
    pub answer: Option<String>,
    pub rater: String,
    pub labels: Vec<bool>,
    pub line: usize,
}

/// What ties lines of one answer together: its model and sample when named, else its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum AnswerKey {
    Run(String, String, u32),
    Text(String, String),
}

/// Outcome of reading one §4e line.
pub(crate) enum Parsed {
    Labelled(Box<AnswerLine>),
    /// All criteria `null` or none given: not filled in yet.
    Unlabelled,
    /// A deselected question (`--languages`/`--domains`).
    Deselected,
}

/// Reads one §4e line; problems go to `p`.
pub(crate) fn parse_line(
    o: &Map<String, Value>,
    path: &Path,
    line: usize,
    ds: &Dataset,
    p: &mut Vec<Diagnostic>,
) -> Option<Parsed> {
    let err = |field: &str, msg: String| Diagnostic::error(path, Some(line), Some(field), msg);
    let qid = string_field(o, "question_id", path, line, false, p)?;
    if ds.is_deselected(&qid) {
        return Some(Parsed::Deselected);
    }
    let Some(q) = ds.get(&qid) else {
        p.push(err(
            "question_id",
            format!(
                "unknown question `{}` (not in the question set)",
                truncate(&qid, 80)
            ),
        ));
        return None;
    };
    let before = p.len();
    let labels: Vec<Option<bool>> = verdicts_field(o, "criteria", q, true, path, line, p)?
        .into_iter()
        .map(|(_, l)| l)
        .collect();
    if labels.iter().all(Option::is_none) {
        return Some(Parsed::Unlabelled);
    }
    let open: Vec<&str> = q
        .rubric
        .iter()
        .zip(&labels)
        .filter(|(_, l)| l.is_none())
        .map(|(c, _)| c.id.as_str())
        .collect();
    if !open.is_empty() {
        p.push(err(
            "criteria",
            format!(
                "every criterion of the answer needs a label; not labelled: {}",
                open.join(", ")
            ),
        ));
    }
    let rater = match o.get("rater") {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            p.push(err(
                "rater",
                "required: the name of the person who labelled the answer".into(),
            ));
            None
        }
        Some(v) => {
            p.push(err(
                "rater",
                format!("expected the rater's name, got {}", short_json(v)),
            ));
            None
        }
    };
    let model = match o.get("model") {
        None | Some(Value::Null) => None,
        Some(_) => Some(string_field(o, "model", path, line, false, p)?),
    };
    let sample = sample_field(o, path, line, p)?;
    let answer = match o.get("answer") {
        None | Some(Value::Null) => None,
        Some(_) => Some(string_field(o, "answer", path, line, true, p)?),
    };
    let key = match (&model, &answer) {
        (Some(m), _) => AnswerKey::Run(qid.clone(), m.clone(), sample),
        (None, Some(a)) => AnswerKey::Text(qid.clone(), answer_sha256(a)),
        (None, None) => {
            p.push(err(
                "model",
                "a label must name the answer: give \"model\" (and \"sample\") or the \"answer\" text"
                    .into(),
            ));
            return None;
        }
    };
    if p.len() > before {
        return None;
    }
    Some(Parsed::Labelled(Box::new(AnswerLine {
        key,
        question_id: qid,
        language: q.language.clone(),
        model,
        sample,
        answer,
        rater: rater?,
        labels: labels.into_iter().map(|l| l.unwrap_or(false)).collect(),
        line,
    })))
}

/// Gathers the raters of each answer, in order of first appearance; a rater who labels one
/// answer twice, or two lines that name one answer with different texts, are errors.
pub(crate) fn gather(
    lines: Vec<AnswerLine>,
    path: &Path,
    problems: &mut Vec<Diagnostic>,
) -> Vec<AnswerLabels> {
    let mut out: Vec<AnswerLabels> = Vec::new();
    let mut index: HashMap<AnswerKey, usize> = HashMap::new();
    let mut raters: HashMap<(usize, String), usize> = HashMap::new();
    for l in lines {
        let i = match index.get(&l.key) {
            Some(&i) => i,
            None => {
                index.insert(l.key.clone(), out.len());
                out.push(AnswerLabels {
                    question_id: l.question_id.clone(),
                    language: l.language.clone(),
                    model: l.model.clone(),
                    sample: l.model.as_ref().map(|_| l.sample),
                    answer: l.answer.clone(),
                    raters: Vec::new(),
                    file: path.to_path_buf(),
                    line: l.line,
                });
                out.len() - 1
            }
        };
        if let Some(first) = raters.get(&(i, l.rater.clone())) {
            problems.push(Diagnostic::error(
                path,
                Some(l.line),
                Some("rater"),
                format!(
                    "`{}` labelled this answer already (line {first}); keep one line per rater and answer",
                    truncate(&l.rater, 60)
                ),
            ));
            continue;
        }
        let a = &mut out[i];
        match (&a.answer, &l.answer) {
            (Some(x), Some(y)) if x != y => {
                problems.push(Diagnostic::error(
                    path,
                    Some(l.line),
                    Some("answer"),
                    format!(
                        "this answer's text differs from line {}'s for the same question, model and sample",
                        a.line
                    ),
                ));
                continue;
            }
            (None, Some(y)) => a.answer = Some(y.clone()),
            _ => {}
        }
        raters.insert((i, l.rater.clone()), l.line);
        a.raters.push((l.rater, l.labels));
    }
    out
}
