#![warn(missing_docs)]
//! Judge calibration (SPEC §4b): how far a judge's verdicts agree with human labels, overall and
//! per language, beside how far the human raters agree with each other.
//!
//! Every figure is computed over pooled pairs, as HealthBench's meta-evaluation does: each judge
//! verdict is paired with each rater label of the same item (an item with three labels gives
//! three pairs). For the raters, each rater's label is paired with every other rater's label of
//! the same item (leave-one-out), so a judge can be set beside human agreement on the same
//! items. Rater k is the k-th label of every item's `labels` list.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::dataset::Dataset;
use crate::error::{Diagnostic, Error, Result};
use crate::jsonl::short_json;
use crate::judge::Verdict;
use crate::judge::{JudgeKind, JudgeSide};
use crate::run::pipeline::{JudgeTask, JudgedTasks, Setup};

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

/// Agreement of one rater (the judge, or a human) with reference labels, over pooled pairs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// Items that contributed pairs.
    pub items: usize,
    /// (verdict, reference label) pairs.
    pub pairs: usize,
    /// Share of pairs that agree.
    pub agreement: f64,
    /// Cohen's kappa over the pairs; `None` when chance agreement is 1 (both sides constant).
    pub kappa: Option<f64>,
    /// Share of pairs in which the evaluated side says `met`.
    pub met_rate: f64,
    /// Share of pairs in which the reference says `met`.
    pub reference_met_rate: f64,
    /// `met_rate - reference_met_rate`: positive means the evaluated side is more lenient.
    pub bias: f64,
    /// Of the pairs the evaluated side calls met, the share the reference calls met.
    pub precision_met: Option<f64>,
    /// Of the pairs the reference calls met, the share the evaluated side calls met.
    pub recall_met: Option<f64>,
    /// F1 of the `met` class.
    pub f1_met: Option<f64>,
    /// Of the pairs the evaluated side calls not met, the share the reference calls not met.
    pub precision_not_met: Option<f64>,
    /// Of the pairs the reference calls not met, the share the evaluated side calls not met.
    pub recall_not_met: Option<f64>,
    /// F1 of the `not met` class.
    pub f1_not_met: Option<f64>,
    /// Mean of the two classes' F1 (HealthBench's meta-evaluation figure).
    pub balanced_f1: Option<f64>,
}

fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// The agreement figures of (evaluated, reference) pairs from `items` items. `None` without pairs.
pub fn agreement(pairs: &[(bool, bool)], items: usize) -> Option<Agreement> {
    if pairs.is_empty() {
        return None;
    }
    let n = pairs.len();
    let (mut tp, mut fp, mut fn_, mut tn) = (0usize, 0usize, 0usize, 0usize);
    for &(e, r) in pairs {
        match (e, r) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fn_ += 1,
            (false, false) => tn += 1,
        }
    }
    let nf = n as f64;
    let po = (tp + tn) as f64 / nf;
    let p1 = (tp + fp) as f64 / nf;
    let p2 = (tp + fn_) as f64 / nf;
    let pe = p1 * p2 + (1.0 - p1) * (1.0 - p2);
    let kappa = (1.0 - pe > 1e-12).then(|| (po - pe) / (1.0 - pe));
    let f1_met = ratio(2 * tp, 2 * tp + fp + fn_);
    let f1_not_met = ratio(2 * tn, 2 * tn + fp + fn_);
    Some(Agreement {
        items,
        pairs: n,
        agreement: po,
        kappa,
        met_rate: p1,
        reference_met_rate: p2,
        bias: p1 - p2,
        precision_met: ratio(tp, tp + fp),
        recall_met: ratio(tp, tp + fn_),
        f1_met,
        precision_not_met: ratio(tn, tn + fn_),
        recall_not_met: ratio(tn, tn + fp),
        f1_not_met,
        balanced_f1: match (f1_met, f1_not_met) {
            (Some(a), Some(b)) => Some((a + b) / 2.0),
            _ => None,
        },
    })
}

/// One human rater against the others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RaterAgreement {
    /// 1-based: the position of this rater's label in `labels`.
    pub rater: usize,
    #[serde(flatten)]
    /// Its figures against the other raters' labels.
    pub agreement: Agreement,
}

/// Calibration figures for one group of items (overall, or one language).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupCalibration {
    /// Labelled items in the group.
    pub items: usize,
    /// Items the judge could not decide (a `null` verdict); left out of the judge's figures.
    pub undecided: usize,
    /// The judge against every rater label.
    pub judge: Option<Agreement>,
    /// Each rater against the other raters (items with at least two labels).
    pub raters: Vec<RaterAgreement>,
    /// All raters together, each against the others: human agreement to set the judge beside.
    pub raters_pooled: Option<Agreement>,
}

/// A whole calibration: `calibration.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// The version that computed this.
    pub kasauti_version: String,
    /// The labels file.
    pub labels: String,
    /// Where the judge's verdicts came from.
    pub judge: String,
    /// The most labels any item has.
    pub raters: usize,
    /// Every item.
    pub overall: GroupCalibration,
    /// Items per language (from the question set).
    pub by_language: BTreeMap<String, GroupCalibration>,
}

/// Figures of one group from items and the judge's verdicts (same order).
pub fn group(items: &[&LabelledItem], verdicts: &[Option<bool>]) -> GroupCalibration {
    let mut judge_pairs = Vec::new();
    let mut judged_items = 0;
    let mut undecided = 0;
    for (it, v) in items.iter().zip(verdicts) {
        match v {
            Some(v) => {
                judged_items += 1;
                judge_pairs.extend(it.labels.iter().map(|l| (*v, *l)));
            }
            None => undecided += 1,
        }
    }
    let max_raters = items.iter().map(|i| i.labels.len()).max().unwrap_or(0);
    let mut raters = Vec::new();
    let mut pooled = Vec::new();
    let mut pooled_items = 0;
    for r in 0..max_raters {
        let mut pairs = Vec::new();
        let mut n = 0;
        for it in items {
            if it.labels.len() < 2 || it.labels.len() <= r {
                continue;
            }
            n += 1;
            for (j, other) in it.labels.iter().enumerate() {
                if j != r {
                    pairs.push((it.labels[r], *other));
                }
            }
        }
        if let Some(a) = agreement(&pairs, n) {
            raters.push(RaterAgreement {
                rater: r + 1,
                agreement: a,
            });
        }
        pooled.extend(pairs);
    }
    for it in items {
        if it.labels.len() >= 2 {
            pooled_items += 1;
        }
    }
    GroupCalibration {
        items: items.len(),
        undecided,
        judge: agreement(&judge_pairs, judged_items),
        raters,
        raters_pooled: agreement(&pooled, pooled_items),
    }
}

/// Calibration overall and per language.
pub fn calibrate(
    items: &[LabelledItem],
    verdicts: &[Option<bool>],
    labels: &str,
    judge: &str,
) -> Calibration {
    let all: Vec<&LabelledItem> = items.iter().collect();
    let overall = group(&all, verdicts);
    let mut by: BTreeMap<String, (Vec<&LabelledItem>, Vec<Option<bool>>)> = BTreeMap::new();
    for (it, v) in items.iter().zip(verdicts) {
        let e = by.entry(it.language.clone()).or_default();
        e.0.push(it);
        e.1.push(*v);
    }
    Calibration {
        kasauti_version: env!("CARGO_PKG_VERSION").to_string(),
        labels: labels.to_string(),
        judge: judge.to_string(),
        raters: items.iter().map(|i| i.labels.len()).max().unwrap_or(0),
        overall,
        by_language: by
            .into_iter()
            .map(|(l, (its, vs))| (l, group(&its, &vs)))
            .collect(),
    }
}

fn string_field(
    o: &serde_json::Map<String, Value>,
    key: &str,
    path: &Path,
    line: usize,
    allow_empty: bool,
    problems: &mut Vec<Diagnostic>,
) -> Option<String> {
    match o.get(key) {
        Some(Value::String(s)) if allow_empty || !s.trim().is_empty() => Some(s.clone()),
        Some(Value::String(_)) => {
            problems.push(Diagnostic::error(
                path,
                Some(line),
                Some(key),
                "expected a non-empty string, got an empty one",
            ));
            None
        }
        None | Some(Value::Null) => {
            problems.push(Diagnostic::error(
                path,
                Some(line),
                Some(key),
                "required field is missing",
            ));
            None
        }
        Some(v) => {
            problems.push(Diagnostic::error(
                path,
                Some(line),
                Some(key),
                format!("expected a string, got {}", short_json(v)),
            ));
            None
        }
    }
}

/// Reads reference labels: JSONL `{"question_id", "answer", "criterion_id", "labels": [bool, …]}`.
/// Every bad line is reported (file:line:field); questions and criteria must exist in `ds`.
pub fn read_labels(path: &Path, ds: &Dataset) -> Result<Vec<LabelledItem>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut seen: HashMap<(String, String, String), usize> = HashMap::new();
    for item in crate::jsonl::objects(path)? {
        let (line, o) = match item? {
            Ok(x) => x,
            Err(d) => {
                problems.push(d);
                continue;
            }
        };
        let mut p = Vec::new();
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
    if !problems.is_empty() {
        return Err(Error::Input(problems));
    }
    if out.is_empty() {
        return Err(Error::Input(vec![Diagnostic::error(
            path,
            None,
            None,
            "the file has no labelled items",
        )]));
    }
    Ok(out)
}

/// Where the judge's verdicts for labelled items come from: recorded verdicts
/// ([`RecordedVerdicts`]) or a judge run live on the items ([`LiveJudge`]).
pub trait VerdictSource {
    /// How the source is named in output.
    fn name(&self) -> String;
    /// One verdict per item, in the items' order (`None`: the judge could not decide).
    fn verdicts(&mut self, items: &[LabelledItem]) -> Result<Vec<Option<bool>>>;
}

/// Verdicts recorded in a JSONL file: `{"question_id", "criterion_id", "answer" (or
/// "answer_sha256"), "met": true|false|null}`.
///
/// A verdict belongs to the labelled item with the same question, criterion and answer text
/// (compared exactly, or by the SHA-256 of its UTF-8 bytes in `answer_sha256`). Without either,
/// the question and criterion must name exactly one labelled item. Every labelled item needs
/// exactly one verdict and every verdict an item; anything else is an input error naming the
/// line.
pub struct RecordedVerdicts {
    /// The JSONL file of verdicts.
    pub path: PathBuf,
    /// Questions left out by a selection (`--languages`, `--domains`): their verdicts are
    /// passed over, as their labels are.
    pub skip_questions: std::collections::HashSet<String>,
}

impl VerdictSource for RecordedVerdicts {
    fn name(&self) -> String {
        self.path.display().to_string()
    }

    fn verdicts(&mut self, items: &[LabelledItem]) -> Result<Vec<Option<bool>>> {
        let path = self.path.as_path();
        let mut by_key: HashMap<(&str, &str, String), usize> = HashMap::new();
        let mut by_pair: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        for (i, it) in items.iter().enumerate() {
            by_key.insert(
                (&it.question_id, &it.criterion_id, answer_sha256(&it.answer)),
                i,
            );
            by_pair
                .entry((&it.question_id, &it.criterion_id))
                .or_default()
                .push(i);
        }
        let mut out: Vec<Option<Option<bool>>> = vec![None; items.len()];
        let mut first_line: Vec<usize> = vec![0; items.len()];
        let mut problems = Vec::new();
        for item in crate::jsonl::objects(path)? {
            let (line, o) = match item? {
                Ok(x) => x,
                Err(d) => {
                    problems.push(d);
                    continue;
                }
            };
            let mut p = Vec::new();
            let qid = string_field(&o, "question_id", path, line, false, &mut p);
            let cid = string_field(&o, "criterion_id", path, line, false, &mut p);
            let hash = match (o.get("answer"), o.get("answer_sha256")) {
                (Some(Value::String(a)), _) => Some(answer_sha256(a)),
                (Some(v), _) if !v.is_null() => {
                    p.push(Diagnostic::error(
                        path,
                        Some(line),
                        Some("answer"),
                        format!("expected the answer text, got {}", short_json(v)),
                    ));
                    None
                }
                (_, Some(Value::String(h)))
                    if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) =>
                {
                    Some(h.to_ascii_lowercase())
                }
                (_, Some(v)) if !v.is_null() => {
                    p.push(Diagnostic::error(
                        path,
                        Some(line),
                        Some("answer_sha256"),
                        format!("expected 64 hexadecimal digits, got {}", short_json(v)),
                    ));
                    None
                }
                _ => None,
            };
            let met = match o.get("met") {
                Some(Value::Bool(b)) => Some(Some(*b)),
                Some(Value::Null) => Some(None),
                None => {
                    p.push(Diagnostic::error(
                        path,
                        Some(line),
                        Some("met"),
                        "required field is missing (true, false or null)",
                    ));
                    None
                }
                Some(v) => {
                    p.push(Diagnostic::error(
                        path,
                        Some(line),
                        Some("met"),
                        format!("expected true, false or null, got {}", short_json(v)),
                    ));
                    None
                }
            };
            if !p.is_empty() {
                problems.extend(p);
                continue;
            }
            let (Some(qid), Some(cid), Some(met)) = (qid, cid, met) else {
                continue;
            };
            if self.skip_questions.contains(&qid) {
                continue;
            }
            let target = match &hash {
                    Some(h) => match by_key.get(&(qid.as_str(), cid.as_str(), h.clone())) {
                        Some(&i) => Ok(i),
                        None if by_pair.contains_key(&(qid.as_str(), cid.as_str())) => Err((
                            "answer",
                            format!("no labelled item has this answer for question `{qid}`, criterion `{cid}`"),
                        )),
                        None => Err((
                            "question_id",
                            format!("no labelled item has question `{qid}` and criterion `{cid}`"),
                        )),
                    },
                    None => match by_pair.get(&(qid.as_str(), cid.as_str())) {
                        Some(v) if v.len() == 1 => Ok(v[0]),
                        Some(v) => Err((
                            "answer",
                            format!("{} labelled answers have question `{qid}` and criterion `{cid}`; give `answer` (or `answer_sha256`) to say which", v.len()),
                        )),
                        None => Err((
                            "question_id",
                            format!("no labelled item has question `{qid}` and criterion `{cid}`"),
                        )),
                    },
                };
            match target {
                Ok(i) if out[i].is_some() => problems.push(Diagnostic::error(
                    path,
                    Some(line),
                    Some("question_id"),
                    format!(
                        "a second verdict for the same labelled item (first at line {})",
                        first_line[i]
                    ),
                )),
                Ok(i) => {
                    out[i] = Some(met);
                    first_line[i] = line;
                }
                Err((field, msg)) => {
                    problems.push(Diagnostic::error(path, Some(line), Some(field), msg))
                }
            }
        }
        for (it, v) in items.iter().zip(&out) {
            if v.is_none() {
                problems.push(Diagnostic::error(
                    &it.file,
                    Some(it.line),
                    Some("question_id"),
                    format!(
                        "no verdict in {} for this labelled item (question `{}`, criterion `{}`)",
                        path.display(),
                        it.question_id,
                        it.criterion_id
                    ),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(Error::Input(problems));
        }
        Ok(out.into_iter().map(|v| v.flatten()).collect())
    }
}

/// A judge run live on the labelled items (`calibrate --judge-model`): every labelled answer is
/// judged through [`crate::judge::Judge`], the code path of `grade` and `run` (same prompts,
/// modes, retries of unusable replies, HTTP client, cache and key redaction).
///
/// Each distinct (question, answer) is one task. In per-criterion mode only the labelled criteria
/// are asked, one request each, exactly the request grading that answer would send for them; in
/// batched mode the answer's whole rubric is asked in one request, as grading does, and the
/// labelled criteria are read from the reply. A verdict still `null` after the judge retries (or
/// whose request failed) is undecided.
pub struct LiveJudge {
    /// The question set the labels refer to.
    pub ds: Arc<Dataset>,
    /// Which judge decides (`llm` for calibration unless asked otherwise).
    pub kind: JudgeKind,
    /// The judge model (`None` only for the rule judge).
    pub judge: Option<JudgeSide>,
    /// Client settings, keys, stop handle and progress; used once, by [`VerdictSource::verdicts`].
    pub setup: Option<Setup>,
    /// After [`VerdictSource::verdicts`]: each item's full verdict (explanation, or why it is
    /// `null`), in the items' order.
    pub details: Vec<Verdict>,
    /// After [`VerdictSource::verdicts`]: requests, retries, cache hits and tokens.
    pub outcome: JudgedTasks,
}

impl LiveJudge {
    /// A live judge over `ds`, to be run once.
    pub fn new(ds: Arc<Dataset>, kind: JudgeKind, judge: Option<JudgeSide>, setup: Setup) -> Self {
        LiveJudge {
            ds,
            kind,
            judge,
            setup: Some(setup),
            details: Vec::new(),
            outcome: JudgedTasks::default(),
        }
    }
}

impl VerdictSource for LiveJudge {
    fn name(&self) -> String {
        let model = self
            .judge
            .as_ref()
            .map(|j| format!("judge model {}, {}", j.model, j.mode.as_str()));
        match (self.kind, model) {
            (JudgeKind::Rules, _) | (_, None) => "rule checks".to_string(),
            (JudgeKind::Llm, Some(m)) => m,
            (JudgeKind::Hybrid, Some(m)) => format!("rule checks, else {m}"),
        }
    }

    fn verdicts(&mut self, items: &[LabelledItem]) -> Result<Vec<Option<bool>>> {
        let Some(setup) = self.setup.take() else {
            return Err(Error::Other(
                "a live judge runs once; make a new one to judge again".into(),
            ));
        };
        let mut tasks: Vec<JudgeTask> = Vec::new();
        let mut task_of: HashMap<(u32, &str), usize> = HashMap::new();
        // For each item: its task and the criterion's position in the rubric.
        let mut place: Vec<(usize, usize)> = Vec::with_capacity(items.len());
        for it in items {
            let found = self.ds.position(&it.question_id).and_then(|qi| {
                let q = self.ds.questions.get(qi as usize)?;
                let ci = q.rubric.iter().position(|c| c.id == it.criterion_id)?;
                Some((qi, ci))
            });
            let Some((qi, ci)) = found else {
                return Err(Error::Input(vec![Diagnostic::error(
                    &it.file,
                    Some(it.line),
                    Some("criterion_id"),
                    format!(
                        "question `{}` with criterion `{}` is not in the question set",
                        it.question_id, it.criterion_id
                    ),
                )]));
            };
            let t = *task_of.entry((qi, it.answer.as_str())).or_insert_with(|| {
                tasks.push(JudgeTask {
                    question: qi,
                    answer: it.answer.clone(),
                    criteria: Vec::new(),
                });
                tasks.len() - 1
            });
            if !tasks[t].criteria.contains(&ci) {
                tasks[t].criteria.push(ci);
            }
            place.push((t, ci));
        }
        self.outcome = crate::run::pipeline::judge_tasks(
            self.ds.clone(),
            self.kind,
            self.judge.clone(),
            tasks,
            setup,
        )?;
        if self.outcome.interrupted {
            return Err(Error::Interrupted);
        }
        let mut out = Vec::with_capacity(items.len());
        self.details = Vec::with_capacity(items.len());
        for &(t, ci) in &place {
            let v = self
                .outcome
                .verdicts
                .get(t)
                .and_then(Option::as_ref)
                .and_then(|vs| vs.get(ci))
                .cloned()
                .unwrap_or_else(Verdict::unjudged);
            out.push(v.met);
            self.details.push(v);
        }
        Ok(out)
    }
}

/// Writes verdicts in the recorded-verdicts format that [`RecordedVerdicts`] reads (one line per
/// labelled item, keyed by question, criterion and `answer_sha256`; `met` may be `null`), with
/// each verdict's `source`, `explanation` and `error` alongside, so a calibration can be scored
/// again (`calibrate --verdicts FILE`) without asking the judge. Written whole and atomically.
pub fn write_verdicts(path: &Path, items: &[LabelledItem], verdicts: &[Verdict]) -> Result<()> {
    let mut s = String::new();
    for (it, v) in items.iter().zip(verdicts) {
        let line = serde_json::json!({
            "question_id": it.question_id,
            "criterion_id": it.criterion_id,
            "answer_sha256": answer_sha256(&it.answer),
            "met": v.met,
            "source": v.source,
            "explanation": v.explanation,
            "error": v.error,
        });
        s.push_str(&line.to_string());
        s.push('\n');
    }
    crate::util::write_atomic(path, &s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_and_opposite_agreement() {
        let a = agreement(&[(true, true), (false, false)], 2).unwrap();
        assert_eq!(
            (a.agreement, a.kappa, a.balanced_f1),
            (1.0, Some(1.0), Some(1.0))
        );
        let a = agreement(&[(true, false), (false, true)], 2).unwrap();
        assert_eq!(
            (a.agreement, a.kappa, a.balanced_f1),
            (0.0, Some(-1.0), Some(0.0))
        );
        // Both sides always `met`: chance agreement is 1 and kappa is undefined.
        let a = agreement(&[(true, true), (true, true)], 2).unwrap();
        assert_eq!(a.kappa, None);
        assert_eq!(a.f1_not_met, None);
    }
}
