//! The labelling file (SPEC §4e/§4f): one line per answer chosen for people to label, as
//! `kasauti sample` writes it and report.html's review mode opens it:
//!
//! `{"question_id", "model", "sample", "language", "domain", "answer", "rater": null,
//!   "criteria": {"c1": null, …}, "judge": {"c1": true, …}}`
//!
//! `criteria` holds every criterion of the rubric (null until someone labels it); `judge` holds
//! the run's verdicts, only ever used to pre-fill a reviewer's choices.

use std::collections::HashMap;
use std::path::Path;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::dataset::{Dataset, Question};
use crate::error::{Diagnostic, Error, Result};
use crate::jsonl::{short_json, string_field, truncate};

/// Criterion ids with an optional verdict each, in rubric order.
pub type Verdicts = Vec<(String, Option<bool>)>;

/// One answer to label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabellingLine {
    /// The question answered.
    pub question_id: String,
    /// The model that answered.
    pub model: String,
    /// Which sample of the question (0 for the first).
    pub sample: u32,
    /// The question's language.
    pub language: String,
    /// The question's domain.
    pub domain: String,
    /// The exact answer text.
    pub answer: String,
    /// Who labelled it; `None` until someone does.
    pub rater: Option<String>,
    /// Every criterion of the rubric, with its label so far (`None`: not labelled yet).
    #[serde(serialize_with = "ordered")]
    pub criteria: Verdicts,
    /// The run's verdict on every criterion (`None`: unjudged or undecided), for pre-filling.
    #[serde(serialize_with = "ordered")]
    pub judge: Verdicts,
}

impl LabellingLine {
    /// The line as compact JSON, keys in the documented order, criteria in rubric order.
    pub fn to_json_line(&self) -> String {
        // Serializing plain strings, numbers and booleans cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Writes verdicts as a JSON object whose keys keep their order (rubric order, so `c10` does not
/// come before `c2`).
fn ordered<S: Serializer>(v: &Verdicts, s: S) -> std::result::Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(Some(v.len()))?;
    for (id, met) in v {
        m.serialize_entry(id, met)?;
    }
    m.end()
}

/// Reads a labelling file against the question set `ds`: every question must be in it and
/// every criterion id one of its rubric's. Criteria the file leaves out count as not labelled;
/// `language` and `domain` come from the question set. Every bad line is reported
/// (file:line:field) and no line is dropped silently.
pub fn read_labelling(path: &Path, ds: &Dataset) -> Result<Vec<LabellingLine>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut first_line: HashMap<(String, String, u32), usize> = HashMap::new();
    let mut objects = crate::jsonl::objects(path)?;
    while let Some((line, o)) = objects.next_noting(&mut problems)? {
        let mut p = Vec::new();
        let qid = string_field(&o, "question_id", path, line, false, &mut p);
        let model = string_field(&o, "model", path, line, false, &mut p);
        let answer = string_field(&o, "answer", path, line, true, &mut p);
        let sample = sample_field(&o, path, line, &mut p);
        let rater = match o.get("rater") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(v) => {
                p.push(Diagnostic::error(
                    path,
                    Some(line),
                    Some("rater"),
                    format!("expected a name or null, got {}", short_json(v)),
                ));
                None
            }
        };
        let question = qid.as_ref().and_then(|q| match ds.get(q) {
            Some(question) => Some(question),
            None => {
                p.push(Diagnostic::error(
                    path,
                    Some(line),
                    Some("question_id"),
                    format!(
                        "unknown question `{}` (not in the run's question set)",
                        truncate(q, 80)
                    ),
                ));
                None
            }
        });
        let (criteria, judge) = match question {
            Some(q) => (
                verdicts_field(&o, "criteria", q, true, path, line, &mut p),
                verdicts_field(&o, "judge", q, false, path, line, &mut p),
            ),
            None => (None, None),
        };
        if let (Some(q), Some(m), Some(s)) = (&qid, &model, sample) {
            let key = (q.clone(), m.clone(), s);
            if let Some(first) = first_line.get(&key) {
                p.push(Diagnostic::error(
                    path,
                    Some(line),
                    Some("question_id"),
                    format!(
                        "the answer of model `{}` to `{}` (sample {s}) is listed twice (first on line {first})",
                        truncate(m, 60),
                        truncate(q, 60)
                    ),
                ));
            } else {
                first_line.insert(key, line);
            }
        }
        if !p.is_empty() {
            problems.extend(p);
            continue;
        }
        let (Some(q), Some(model), Some(sample), Some(answer), Some(criteria), Some(judge)) =
            (question, model, sample, answer, criteria, judge)
        else {
            continue;
        };
        out.push(LabellingLine {
            question_id: q.id.clone(),
            model,
            sample,
            language: q.language.clone(),
            domain: q.domain.clone(),
            answer,
            rater,
            criteria,
            judge,
        });
    }
    if !problems.is_empty() {
        return Err(Error::Input(problems));
    }
    if out.is_empty() {
        return Err(Error::Input(vec![Diagnostic::error(
            path,
            None,
            None,
            "no answers to review: the file holds no lines (write one with `kasauti sample`)",
        )]));
    }
    Ok(out)
}

/// `sample`: a whole number from 0 (0 when absent).
pub(crate) fn sample_field(
    o: &Map<String, Value>,
    path: &Path,
    line: usize,
    p: &mut Vec<Diagnostic>,
) -> Option<u32> {
    match o.get("sample") {
        None | Some(Value::Null) => Some(0),
        Some(Value::Number(n)) if n.as_u64().is_some_and(|x| x <= u32::MAX as u64) => {
            n.as_u64().map(|x| x as u32)
        }
        Some(v) => {
            p.push(Diagnostic::error(
                path,
                Some(line),
                Some("sample"),
                format!("expected a whole number from 0, got {}", short_json(v)),
            ));
            None
        }
    }
}

/// `criteria` or `judge`: an object from criterion id to true, false or null. Ids must be the
/// question's; ids left out are `None`. The result lists every criterion in rubric order.
pub(crate) fn verdicts_field(
    o: &Map<String, Value>,
    key: &str,
    q: &Question,
    required: bool,
    path: &Path,
    line: usize,
    p: &mut Vec<Diagnostic>,
) -> Option<Verdicts> {
    let given = match o.get(key) {
        Some(Value::Object(m)) => m,
        None | Some(Value::Null) if !required => {
            return Some(q.rubric.iter().map(|c| (c.id.clone(), None)).collect());
        }
        None | Some(Value::Null) => {
            p.push(Diagnostic::error(
                path,
                Some(line),
                Some(key),
                "required field is missing (an object from criterion id to true, false or null)",
            ));
            return None;
        }
        Some(v) => {
            p.push(Diagnostic::error(
                path,
                Some(line),
                Some(key),
                format!(
                    "expected an object from criterion id to true, false or null, got {}",
                    short_json(v)
                ),
            ));
            return None;
        }
    };
    let before = p.len();
    for (id, v) in given {
        let field = format!("{key}.{}", truncate(id, 40));
        if !q.rubric.iter().any(|c| &c.id == id) {
            p.push(Diagnostic::error(
                path,
                Some(line),
                Some(&field),
                format!(
                    "question `{}` has no criterion `{}` (it has {})",
                    truncate(&q.id, 60),
                    truncate(id, 40),
                    q.rubric
                        .iter()
                        .map(|c| c.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        } else if !matches!(v, Value::Bool(_) | Value::Null) {
            p.push(Diagnostic::error(
                path,
                Some(line),
                Some(&field),
                format!("expected true, false or null, got {}", short_json(v)),
            ));
        }
    }
    if p.len() > before {
        return None;
    }
    Some(
        q.rubric
            .iter()
            .map(|c| (c.id.clone(), given.get(&c.id).and_then(Value::as_bool)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criteria_keep_rubric_order_in_json() {
        let line = LabellingLine {
            question_id: "q".into(),
            model: "m".into(),
            sample: 2,
            language: "bn".into(),
            domain: "history".into(),
            answer: "a".into(),
            rater: None,
            criteria: vec![("c2".into(), None), ("c10".into(), None)],
            judge: vec![("c2".into(), Some(true)), ("c10".into(), None)],
        };
        assert_eq!(
            line.to_json_line(),
            r#"{"question_id":"q","model":"m","sample":2,"language":"bn","domain":"history","answer":"a","rater":null,"criteria":{"c2":null,"c10":null},"judge":{"c2":true,"c10":null}}"#
        );
    }
}
