//! Human labels: criterion lines for judge calibration (SPEC §4b) `{"question_id", "answer",
//! "criterion_id", "labels": [bool, …]}` and labels of whole answers (SPEC §4e, see
//! [`answer_labels`]), in one file or apart, checked against the question set.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::answer_labels::{self, AnswerLabels, Parsed};
use crate::dataset::Dataset;
use crate::error::{Diagnostic, Error, Result};
use crate::jsonl::{short_json, string_field};

/// One labelled item: an answer, a criterion, and the raters' labels (`met` or not).
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledItem {
    /// The labelled question.
    pub question_id: String,
    /// The criterion of its rubric.
    pub criterion_id: String,
    /// The answer text the raters judged.
    pub answer: String,
    /// One label per rater; rater k gave the k-th.
    pub labels: Vec<bool>,
    /// The question's language (from the question set).
    pub language: String,
    /// Where it was read: the labels file and its 1-based line.
    pub file: PathBuf,
    /// 1-based line in `file`.
    pub line: usize,
}

/// The key that ties a recorded verdict to a labelled item: question, criterion and the
/// SHA-256 of the exact answer text.
pub fn answer_sha256(answer: &str) -> String {
    crate::util::hex(&Sha256::digest(answer.as_bytes()))
}

/// Everything a labels file holds.
#[derive(Debug, Clone, Default)]
pub struct LabelSet {
    /// Criterion lines (§4b), one per labelled answer and criterion.
    pub criteria: Vec<LabelledItem>,
    /// Whole answers (§4e), their raters gathered.
    pub answers: Vec<AnswerLabels>,
    /// §4e lines nobody has filled in yet (all criteria `null`), skipped.
    pub unlabelled: usize,
}

/// Reads a labels file: §4b criterion lines and §4e answer lines, in any mix. Every bad line is
/// reported (file:line:field); questions and criteria must exist in `ds`.
pub fn read_label_set(path: &Path, ds: &Dataset) -> Result<LabelSet> {
    let mut out = Vec::new();
    let mut answer_lines = Vec::new();
    let mut unlabelled = 0usize;
    let mut problems = Vec::new();
    let mut seen: HashMap<(String, String, String), usize> = HashMap::new();
    let mut objects = crate::jsonl::objects(path)?;
    while let Some((line, o)) = objects.next_noting(&mut problems)? {
        let mut p = Vec::new();
        if o.contains_key("criteria") && !o.contains_key("criterion_id") {
            match answer_labels::parse_line(&o, path, line, ds, &mut p) {
                Some(Parsed::Labelled(l)) => answer_lines.push(*l),
                Some(Parsed::Unlabelled) => unlabelled += 1,
                Some(Parsed::Deselected) | None => {}
            }
            problems.extend(p);
            continue;
        }
        let qid = string_field(&o, "question_id", path, line, false, &mut p);
        let cid = string_field(&o, "criterion_id", path, line, false, &mut p);
        let answer = string_field(&o, "answer", path, line, true, &mut p);
        let labels = match o.get("labels") {
            Some(Value::Array(a)) if a.is_empty() => {
                p.push(Diagnostic::error(
                    path,
                    Some(line),
                    Some("labels"),
                    "expected at least one label (true or false), got an empty list",
                ));
                None
            }
            Some(Value::Array(a)) => {
                let mut v = Vec::with_capacity(a.len());
                for (i, x) in a.iter().enumerate() {
                    match x {
                        Value::Bool(b) => v.push(*b),
                        other => p.push(Diagnostic::error(
                            path,
                            Some(line),
                            Some(&format!("labels[{i}]")),
                            format!("expected true or false, got {}", short_json(other)),
                        )),
                    }
                }
                (v.len() == a.len()).then_some(v)
            }
            None | Some(Value::Null) => {
                p.push(Diagnostic::error(
                    path,
                    Some(line),
                    Some("labels"),
                    "required field is missing (a list of true/false, one per rater)",
                ));
                None
            }
            Some(v) => {
                p.push(Diagnostic::error(
                    path,
                    Some(line),
                    Some("labels"),
                    format!(
                        "expected a list of true/false, one per rater, got {}",
                        short_json(v)
                    ),
                ));
                None
            }
        };
        if qid.as_ref().is_some_and(|q| ds.is_deselected(q)) {
            continue;
        }
        let language = match (&qid, &cid) {
            (Some(q), Some(c)) => match ds.get(q) {
                None => {
                    p.push(Diagnostic::error(
                        path,
                        Some(line),
                        Some("question_id"),
                        format!(
                            "unknown question `{}` (not in the question set)",
                            crate::jsonl::truncate(q, 80)
                        ),
                    ));
                    None
                }
                Some(question) if !question.rubric.iter().any(|x| &x.id == c) => {
                    p.push(Diagnostic::error(
                        path,
                        Some(line),
                        Some("criterion_id"),
                        format!(
                            "question `{q}` has no criterion `{c}` (it has {})",
                            question
                                .rubric
                                .iter()
                                .map(|x| x.id.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                    None
                }
                Some(question) => Some(question.language.clone()),
            },
            _ => None,
        };
        if !p.is_empty() {
            problems.extend(p);
            continue;
        }
        let (Some(qid), Some(cid), Some(answer), Some(labels), Some(language)) =
            (qid, cid, answer, labels, language)
        else {
            continue;
        };
        let key = (qid.clone(), cid.clone(), answer_sha256(&answer));
        if let Some(first) = seen.get(&key) {
            problems.push(Diagnostic::error(
                    path,
                    Some(line),
                    Some("answer"),
                    format!("the same answer, question `{qid}` and criterion `{cid}` are labelled twice (first at line {first}); give all raters' labels in one line"),
                ));
            continue;
        }
        seen.insert(key, line);
        out.push(LabelledItem {
            question_id: qid,
            criterion_id: cid,
            answer,
            labels,
            language,
            file: path.to_path_buf(),
            line,
        });
    }
    let answers = answer_labels::gather(answer_lines, path, &mut problems);
    if !problems.is_empty() {
        return Err(Error::Input(problems));
    }
    if out.is_empty() && answers.is_empty() {
        let why = if unlabelled > 0 {
            format!("none of its {unlabelled} answers is labelled yet (every criterion is null)")
        } else {
            "the file has no labelled items".to_string()
        };
        return Err(Error::Input(vec![Diagnostic::error(path, None, None, why)]));
    }
    Ok(LabelSet {
        criteria: out,
        answers,
        unlabelled,
    })
}

/// Reads labels for calibration: criterion lines as they are, and each labelled answer as one
/// item per criterion (rater k's label k-th, raters in order of appearance). Answer labels must
/// carry the answer's text, which the judge is shown.
pub fn read_labels(path: &Path, ds: &Dataset) -> Result<Vec<LabelledItem>> {
    let set = read_label_set(path, ds)?;
    let mut items = set.criteria;
    let mut seen: HashMap<(String, String, String), usize> = items
        .iter()
        .map(|i| {
            (
                (
                    i.question_id.clone(),
                    i.criterion_id.clone(),
                    answer_sha256(&i.answer),
                ),
                i.line,
            )
        })
        .collect();
    let mut problems = Vec::new();
    for a in set.answers {
        let Some(text) = &a.answer else {
            problems.push(Diagnostic::error(
                path,
                Some(a.line),
                Some("answer"),
                "calibration shows the judge the answer: this label needs the \"answer\" text \
                 (files from `kasauti sample` and the review page carry it)",
            ));
            continue;
        };
        let Some(q) = ds.get(&a.question_id) else {
            continue;
        };
        let sha = answer_sha256(text);
        for (ci, c) in q.rubric.iter().enumerate() {
            let key = (a.question_id.clone(), c.id.clone(), sha.clone());
            if let Some(first) = seen.get(&key) {
                problems.push(Diagnostic::error(
                    path,
                    Some(a.line),
                    Some("answer"),
                    format!(
                        "criterion `{}` of this answer is labelled again (first at line {first}); \
                         label each answer either per criterion or whole",
                        c.id
                    ),
                ));
                break;
            }
            seen.insert(key, a.line);
            items.push(LabelledItem {
                question_id: a.question_id.clone(),
                criterion_id: c.id.clone(),
                answer: text.clone(),
                labels: a.raters.iter().map(|r| r.1[ci]).collect(),
                language: a.language.clone(),
                file: path.to_path_buf(),
                line: a.line,
            });
        }
    }
    if !problems.is_empty() {
        return Err(Error::Input(problems));
    }
    Ok(items)
}
