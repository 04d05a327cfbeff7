//! Scoring and the parallel grading engine (SPEC §4).
//!
//! Answers stream in batches: each batch is parsed and judged on the rayon pool, then one thread
//! checks duplicates, writes `grades.jsonl` lines in input order and keeps only the compact
//! [`Records`] that aggregation needs.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize, Serializer};

type FxBuild = std::hash::BuildHasherDefault<rustc_hash::FxHasher>;

use crate::answers::{AnswerFiles, Located};
use crate::dataset::{Dataset, Question};
use crate::error::{Diagnostic, Error, Result};
use crate::jsonl::{short_json, JsonlWriter};
use crate::judge::rules::{RuleJudge, Scratch};
use crate::judge::{Source, Verdict};
use crate::text::fidelity::{answer_language, answer_language_with, AnswerScript};

/// Writes whole numbers without a fraction (`5`, not `5.0`), as the input had them.
fn points<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        s.serialize_i64(*x as i64)
    } else {
        s.serialize_f64(*x)
    }
}

/// One criterion in a grade line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionGrade {
    pub id: String,
    #[serde(serialize_with = "points")]
    pub points: f64,
    pub met: Option<bool>,
    pub source: Source,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One graded answer: a line of `grades.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grade {
    pub model: String,
    pub question_id: String,
    pub sample: u32,
    pub language: String,
    pub domain: String,
    /// `None` when no positive criterion was judged (nothing to score against).
    pub score: Option<f64>,
    #[serde(serialize_with = "points")]
    pub points_earned: f64,
    #[serde(serialize_with = "points")]
    pub points_possible: f64,
    /// False when a verdict is `null` (a judge failed).
    pub complete: bool,
    /// The answer's dominant script and its share of the letters (absent when the answer is not
    /// known, as with recorded verdicts, or has no letters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_script: Option<AnswerScript>,
    /// Whether the answer is mainly in the question's language and script (absent when the
    /// answer is not known or the language is not one of SPEC §2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_language: Option<bool>,
    pub criteria: Vec<CriterionGrade>,
    /// Tokens the judge model spent on this answer (live judging only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge_usage: Option<JudgeUsage>,
}

/// What judging one answer cost: tokens over every judge reply, unusable ones included, and the
/// number of replies (from the server or the cache).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct JudgeUsage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub replies: u64,
}

/// The score of one answer from its verdicts (SPEC §4, HealthBench's formula, not clipped):
/// points of met criteria (negatives included) over positive points, both over judged criteria.
/// A `null` verdict counts as not met here; the grade is then marked incomplete, and whether it
/// enters means is the aggregation's choice (`--missing zero`).
pub fn score(
    q: &Question,
    met: impl Iterator<Item = (bool, Option<bool>)>,
) -> (Option<f64>, f64, f64, bool) {
    let mut earned = 0.0;
    let mut possible = 0.0;
    let mut complete = true;
    for (c, (judged, m)) in q.rubric.iter().zip(met) {
        if !judged {
            continue;
        }
        if c.points > 0.0 {
            possible += c.points;
        }
        match m {
            Some(true) => earned += c.points,
            Some(false) => {}
            None => complete = false,
        }
    }
    let s = (possible > 0.0).then(|| earned / possible);
    (s, earned, possible, complete)
}

/// Builds a grade from verdicts in rubric order.
pub fn grade(q: &Question, model: &str, sample: u32, verdicts: Vec<Verdict>) -> Grade {
    let (score, earned, possible, complete) =
        score(q, verdicts.iter().map(|v| (v.is_judged(), v.met)));
    Grade {
        model: model.to_string(),
        question_id: q.id.clone(),
        sample,
        language: q.language.clone(),
        domain: q.domain.clone(),
        score,
        points_earned: earned,
        points_possible: possible,
        complete,
        answer_script: None,
        in_language: None,
        criteria: q
            .rubric
            .iter()
            .zip(verdicts)
            .map(|(c, v)| CriterionGrade {
                id: c.id.clone(),
                points: c.points,
                met: if v.is_judged() { v.met } else { None },
                source: v.source,
                explanation: v.explanation,
                error: v.error,
            })
            .collect(),
        judge_usage: None,
    }
}

impl Grade {
    /// Records the answer's script and whether it is in the question's language.
    pub fn set_answer_language(&mut self, q: &Question, answer: &str) {
        let (script, in_language) = answer_language(answer, &q.language);
        self.answer_script = script;
        self.in_language = in_language;
    }
}

/// A grade line written straight from rule-judge verdict codes, borrowing everything: the hot
/// path of offline grading builds no owned [`Grade`] (whose strings would cost a dozen
/// allocations per answer). It serialises exactly as the equivalent [`Grade`] does.
pub struct RuleGradeLine<'a> {
    pub model: &'a str,
    pub question: &'a Question,
    pub sample: u32,
    /// One [`code`] per criterion: MET, NOT_MET or UNJUDGED.
    pub codes: &'a [u8],
    /// One explanation per criterion (empty for unjudged ones).
    pub explanations: &'a [String],
    pub answer_script: Option<AnswerScript>,
    pub in_language: Option<bool>,
}

impl RuleGradeLine<'_> {
    /// Score, points earned, points possible, completeness.
    pub fn score(&self) -> (Option<f64>, f64, f64, bool) {
        score(
            self.question,
            self.codes
                .iter()
                .map(|&c| (c != code::UNJUDGED, Some(c == code::MET))),
        )
    }
}

struct RuleCriteria<'a>(&'a Question, &'a [u8], &'a [String]);

impl Serialize for RuleCriteria<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        struct Points(f64);
        impl Serialize for Points {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                points(&self.0, s)
            }
        }
        let mut seq = s.serialize_seq(Some(self.1.len()))?;
        for (i, (c, &k)) in self.0.rubric.iter().zip(self.1).enumerate() {
            struct One<'b>(&'b str, f64, u8, &'b str);
            impl Serialize for One<'_> {
                fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    let mut m = s.serialize_map(None)?;
                    m.serialize_entry("id", self.0)?;
                    m.serialize_entry("points", &Points(self.1))?;
                    m.serialize_entry(
                        "met",
                        &match self.2 {
                            code::MET => Some(true),
                            code::NOT_MET => Some(false),
                            _ => None,
                        },
                    )?;
                    m.serialize_entry(
                        "source",
                        if self.2 == code::UNJUDGED {
                            "unjudged"
                        } else {
                            "rule"
                        },
                    )?;
                    if self.2 != code::UNJUDGED {
                        m.serialize_entry("explanation", self.3)?;
                    }
                    m.end()
                }
            }
            let why = self.2.get(i).map_or("", String::as_str);
            seq.serialize_element(&One(&c.id, c.points, k, why))?;
        }
        seq.end()
    }
}

impl Serialize for RuleGradeLine<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        struct Points(f64);
        impl Serialize for Points {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                points(&self.0, s)
            }
        }
        let (sc, earned, possible, complete) = self.score();
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("model", self.model)?;
        m.serialize_entry("question_id", &self.question.id)?;
        m.serialize_entry("sample", &self.sample)?;
        m.serialize_entry("language", &self.question.language)?;
        m.serialize_entry("domain", &self.question.domain)?;
        m.serialize_entry("score", &sc)?;
        m.serialize_entry("points_earned", &Points(earned))?;
        m.serialize_entry("points_possible", &Points(possible))?;
        m.serialize_entry("complete", &complete)?;
        if let Some(a) = &self.answer_script {
            m.serialize_entry("answer_script", a)?;
        }
        if let Some(l) = &self.in_language {
            m.serialize_entry("in_language", l)?;
        }
        m.serialize_entry(
            "criteria",
            &RuleCriteria(self.question, self.codes, self.explanations),
        )?;
        m.end()
    }
}

/// Verdict codes kept per criterion in [`Records`].
pub mod code {
    pub const NOT_MET: u8 = 0;
    pub const MET: u8 = 1;
    pub const NULL: u8 = 2;
    pub const UNJUDGED: u8 = 3;
}

/// What aggregation keeps of one answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Item {
    pub model: u32,
    pub question: u32,
    pub sample: u32,
    /// NaN when the answer has no score (nothing judged, or the item failed).
    pub score: f64,
    pub complete: bool,
    /// The item failed before grading (no answer); it has no verdicts.
    pub failed: bool,
    /// Start of this item's verdict codes in [`Records::codes`] (one per rubric criterion).
    pub offset: u64,
    /// Whether the answer is in the asked language; `None` when unknown (older runs, recorded
    /// verdicts, failed items).
    pub in_language: Option<bool>,
}

/// Every graded answer of a run, compactly: about 40 bytes plus one byte per criterion each.
#[derive(Debug, Clone, Default)]
pub struct Records {
    pub models: Vec<String>,
    model_index: HashMap<String, u32>,
    pub items: Vec<Item>,
    pub codes: Vec<u8>,
    /// Failed items' reasons, by item index.
    pub failures: Vec<(u32, String)>,
}

impl Records {
    pub fn model_id(&mut self, name: &str) -> u32 {
        // Answers usually come grouped by model: check the last one first.
        if let Some(last) = self.models.len().checked_sub(1) {
            if self.models[last] == name {
                return last as u32;
            }
        }
        if let Some(&i) = self.model_index.get(name) {
            return i;
        }
        let i = self.models.len() as u32;
        self.models.push(name.to_string());
        self.model_index.insert(name.to_string(), i);
        i
    }

    /// Adds a grade's outcome.
    pub fn push_grade(&mut self, model: u32, question: u32, g: &Grade) {
        let offset = self.codes.len() as u64;
        self.codes.extend(
            g.criteria
                .iter()
                .map(|c| match (c.source == Source::Unjudged, c.met) {
                    (true, _) => code::UNJUDGED,
                    (false, Some(true)) => code::MET,
                    (false, Some(false)) => code::NOT_MET,
                    (false, None) => code::NULL,
                }),
        );
        self.items.push(Item {
            model,
            question,
            sample: g.sample,
            score: g.score.unwrap_or(f64::NAN),
            complete: g.complete,
            failed: false,
            offset,
            in_language: g.in_language,
        });
    }

    /// Adds a rule-judged answer from its verdict codes; `item.offset` is set here.
    pub fn push_codes(&mut self, item: Item, codes: &[u8]) {
        let offset = self.codes.len() as u64;
        self.codes.extend_from_slice(codes);
        self.items.push(Item { offset, ..item });
    }

    /// Adds an item that failed before it could be graded.
    pub fn push_failed(&mut self, model: u32, question: u32, sample: u32, reason: String) {
        self.failures.push((self.items.len() as u32, reason));
        self.items.push(Item {
            model,
            question,
            sample,
            score: f64::NAN,
            complete: false,
            failed: true,
            offset: self.codes.len() as u64,
            in_language: None,
        });
    }

    /// The verdict codes of an item (empty for failed items).
    pub fn codes_of(&self, item: &Item, criteria: usize) -> &[u8] {
        if item.failed {
            return &[];
        }
        let start = item.offset as usize;
        &self.codes[start..start + criteria]
    }

    /// Adds all of another run's records (used when `report` merges run directories).
    pub fn merge(
        &mut self,
        other: &Records,
        question_map: impl Fn(u32) -> u32,
        sizes: impl Fn(u32) -> usize,
    ) {
        for it in &other.items {
            let m = self.model_id(&other.models[it.model as usize]);
            let offset = self.codes.len() as u64;
            if !it.failed {
                self.codes
                    .extend_from_slice(other.codes_of(it, sizes(it.question)));
            }
            self.items.push(Item {
                model: m,
                question: question_map(it.question),
                offset,
                ..*it
            });
        }
        let base = self.items.len() - other.items.len();
        self.failures.extend(
            other
                .failures
                .iter()
                .map(|(i, r)| (*i + base as u32, r.clone())),
        );
    }
}

/// Receives grade lines in order (a file, or nothing in tests and benchmarks).
pub trait GradeSink {
    /// Writes one line (without its newline).
    fn write(&mut self, line: &str) -> Result<()>;
    /// Writes several whole lines at once (each ending in a newline).
    fn write_chunk(&mut self, lines: &str) -> Result<()> {
        for l in lines.lines() {
            self.write(l)?;
        }
        Ok(())
    }
}

impl GradeSink for JsonlWriter {
    fn write(&mut self, line: &str) -> Result<()> {
        self.write_line(line)
    }
    fn write_chunk(&mut self, lines: &str) -> Result<()> {
        self.write_raw(lines)
    }
}

/// A sink that keeps nothing.
pub struct NullSink;
impl GradeSink for NullSink {
    fn write(&mut self, _: &str) -> Result<()> {
        Ok(())
    }
    fn write_chunk(&mut self, _: &str) -> Result<()> {
        Ok(())
    }
}

/// Receives progress: how many answers are done so far.
pub trait Progress: Sync {
    fn advance(&self, n: u64);
}

impl Progress for () {
    fn advance(&self, _: u64) {}
}

/// What a grading pass found besides the records.
#[derive(Debug, Default)]
pub struct Outcome {
    pub records: Records,
    pub diagnostics: Vec<Diagnostic>,
    /// Lines skipped under `--skip-invalid`.
    pub skipped: usize,
}

const BATCH: usize = 8192;

/// (model, question index, sample): one answer.
type AnswerKey = (String, u32, u32);

/// One judged answer: where it came from, its question, and its verdict codes, score,
/// completeness and grade line (`None` for an item that failed before grading).
type Judged = (
    Located,
    u32,
    Option<(Vec<u8>, Option<f64>, bool, String, Option<bool>)>,
);

/// A batch entry: judged, outside the selection (`Ok(None)`), or a problem with the line.
type JudgedItem = Result<Option<Judged>, Diagnostic>;

/// Grades answer files with the rule judge, streaming.
///
/// Four stages run at once, so both cores stay busy: a reader thread reads and parses batches of
/// lines; the calling thread judges each batch on the rayon pool and serialises its grade lines;
/// a consumer thread checks duplicates, keeps the compact records and joins the lines; a writer
/// thread owns the output file. Channels between them are bounded, so memory stays flat.
pub fn grade_files(
    dataset: &Dataset,
    judge: &RuleJudge,
    files: &mut AnswerFiles,
    sink: &mut (dyn GradeSink + Send),
    progress: &dyn Progress,
) -> Result<Outcome> {
    use rayon::prelude::*;
    let paths = files.paths.clone();
    let (tx, rx) = crossbeam_channel::bounded::<Result<Vec<Result<Located, Diagnostic>>>>(2);
    let (jtx, jrx) = crossbeam_channel::bounded::<Vec<JudgedItem>>(2);
    let (wtx, wrx) = crossbeam_channel::bounded::<String>(2);
    // Emptied buffers travel back for reuse: a batch's buffers are megabytes, and allocating
    // them afresh each time makes the allocator return pages to the system and fault them in
    // again (a sixth of single-core time, measured).
    let (spare_chunk_tx, spare_chunk_rx) = crossbeam_channel::bounded::<String>(4);
    let (spare_vec_tx, spare_vec_rx) = crossbeam_channel::bounded::<Vec<JudgedItem>>(4);
    std::thread::scope(|scope| -> Result<Outcome> {
        let reader = scope.spawn(move || loop {
            let batch = files.next_batch(BATCH);
            let end = matches!(&batch, Ok(b) if b.is_empty()) || batch.is_err();
            if tx.send(batch).is_err() || end {
                return;
            }
        });
        let writer = scope.spawn(move || -> Result<()> {
            for mut chunk in wrx.iter() {
                sink.write_chunk(&chunk)?;
                chunk.clear();
                let _ = spare_chunk_tx.try_send(chunk);
            }
            Ok(())
        });
        let paths_ref = &paths;
        let consumer = scope.spawn(move || -> Outcome {
            let mut out = Outcome::default();
            // One map serves both duplicate detection and naming the first occurrence.
            let mut first_line: HashMap<(u32, u32, u32), (u32, usize), FxBuild> = HashMap::default();
            for mut judged in jrx.iter() {
                let n = judged.len() as u64;
                let needed: usize = judged
                    .iter()
                    .map(|r| r.as_ref().ok().and_then(Option::as_ref).and_then(|j| j.2.as_ref()).map_or(0, |g| g.3.len() + 1))
                    .sum();
                let mut chunk = spare_chunk_rx.try_recv().unwrap_or_default();
                chunk.reserve(needed);
                for r in judged.drain(..) {
                    let (loc, qi, g) = match r {
                        Ok(Some(x)) => x,
                        Ok(None) => continue,
                        Err(d) => {
                            out.skipped += 1;
                            out.diagnostics.push(d);
                            continue;
                        }
                    };
                    let m = out.records.model_id(&loc.answer.model);
                    let key = (m, qi, loc.answer.sample);
                    if let Some(&(f, l)) = first_line.get(&key) {
                        out.skipped += 1;
                        out.diagnostics.push(Diagnostic::error(
                            &paths_ref[loc.file as usize],
                            Some(loc.line),
                            Some("question_id"),
                            format!(
                                "duplicate answer for model `{}`, question `{}`, sample {} (first at {}:{l})",
                                loc.answer.model,
                                loc.answer.question_id,
                                loc.answer.sample,
                                paths_ref[f as usize].display()
                            ),
                        ));
                        continue;
                    }
                    first_line.insert(key, (loc.file, loc.line));
                    match g {
                        Some((codes, score, complete, line, in_language)) => {
                            chunk.push_str(&line);
                            chunk.push('\n');
                            out.records.push_codes(
                                Item {
                                    model: m,
                                    question: qi,
                                    sample: loc.answer.sample,
                                    score: score.unwrap_or(f64::NAN),
                                    complete,
                                    failed: false,
                                    offset: 0,
                                    in_language,
                                },
                                &codes,
                            );
                        }
                        None => out.records.push_failed(m, qi, loc.answer.sample, loc.answer.error.clone().unwrap_or_default()),
                    }
                }
                let _ = spare_vec_tx.try_send(judged);
                if wtx.send(chunk).is_err() {
                    break;
                }
                progress.advance(n);
            }
            out
        });
        let mut failure = None;
        for batch in rx.iter() {
            let batch = match batch {
                Ok(b) => b,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            };
            if batch.is_empty() {
                break;
            }
            // Judge in parallel; the consumer keeps input order.
            let mut judged = spare_vec_rx.try_recv().unwrap_or_default();
            batch
                .into_par_iter()
                .map_init(Scratch::default, |scratch, item| {
                    let loc = item?;
                    let Some(qi) = dataset.position(&loc.answer.question_id) else {
                        if dataset.is_deselected(&loc.answer.question_id) {
                            return Ok(None);
                        }
                        return Err(Diagnostic::error(
                            &paths_ref[loc.file as usize],
                            Some(loc.line),
                            Some("question_id"),
                            format!(
                                "answer to unknown question `{}`",
                                crate::jsonl::truncate(&loc.answer.question_id, 80)
                            ),
                        ));
                    };
                    let q = &dataset.questions[qi as usize];
                    let Some(text) = loc.answer.answer.as_deref() else {
                        return Ok(Some((loc, qi, None)));
                    };
                    let mut codes = Vec::with_capacity(q.rubric.len());
                    let mut whys = Vec::with_capacity(q.rubric.len());
                    judge.rubrics[qi as usize].judge_into(text, scratch, |_, met, why| {
                        codes.push(match met {
                            Some(true) => code::MET,
                            Some(false) => code::NOT_MET,
                            None => code::UNJUDGED,
                        });
                        whys.push(why.to_string());
                    });
                    let (answer_script, in_language) =
                        answer_language_with(text, &q.language, Some(scratch.normalized()));
                    let line = RuleGradeLine {
                        model: &loc.answer.model,
                        question: q,
                        sample: loc.answer.sample,
                        codes: &codes,
                        explanations: &whys,
                        answer_script,
                        in_language,
                    };
                    let (score, _, _, complete) = line.score();
                    let text = serde_json::to_string(&line).map_err(|e| {
                        Diagnostic::error(Path::new("grades.jsonl"), None, None, e.to_string())
                    })?;
                    Ok(Some((
                        loc,
                        qi,
                        Some((codes, score, complete, text, in_language)),
                    )))
                })
                .collect_into_vec(&mut judged);
            if jtx.send(judged).is_err() {
                break;
            }
        }
        // Closing the channels lets every stage finish; then errors surface in stage order.
        drop(rx);
        drop(jtx);
        let out = consumer
            .join()
            .map_err(|_| Error::Other("the grading consumer thread panicked".into()))?;
        reader
            .join()
            .map_err(|_| Error::Other("the answer reader thread panicked".into()))?;
        writer
            .join()
            .map_err(|_| Error::Other("the grade writer thread panicked".into()))??;
        match failure {
            Some(e) => Err(e),
            None => Ok(out),
        }
    })
}

/// One recorded verdict line (`grade --verdicts`).
#[derive(Debug, Clone)]
struct RecordedVerdict {
    criterion: usize,
    met: Option<bool>,
    line: usize,
}

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
                out.diagnostics.push(d);
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
            out.diagnostics.extend(problems);
            continue;
        };
        let Some(qi) = dataset.position(&qid) else {
            if dataset.is_deselected(&qid) {
                continue;
            }
            bad_lines.insert(number);
            out.diagnostics.push(err(
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
            out.diagnostics.push(err(
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
            out.diagnostics.push(err(
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

    // With answer files, they define the set of answers; verdicts must match them one to one.
    let mut wanted: Option<Vec<(AnswerKey, PathBuf, usize)>> = None;
    if let Some(files) = answers {
        let mut list = Vec::new();
        let mut seen = HashSet::new();
        loop {
            let batch = files.next_batch(BATCH)?;
            if batch.is_empty() {
                break;
            }
            for item in batch {
                match item {
                    Err(d) => {
                        out.skipped += 1;
                        out.diagnostics.push(d);
                    }
                    Ok(loc) => {
                        let path = files.paths[loc.file as usize].clone();
                        let Some(qi) = dataset.position(&loc.answer.question_id) else {
                            if dataset.is_deselected(&loc.answer.question_id) {
                                continue;
                            }
                            out.skipped += 1;
                            out.diagnostics.push(Diagnostic::error(
                                &path,
                                Some(loc.line),
                                Some("question_id"),
                                format!("answer to unknown question `{}`", loc.answer.question_id),
                            ));
                            continue;
                        };
                        let key = (loc.answer.model.clone(), qi, loc.answer.sample);
                        if !seen.insert(key.clone()) {
                            out.skipped += 1;
                            out.diagnostics.push(Diagnostic::error(
                                &path,
                                Some(loc.line),
                                Some("question_id"),
                                format!(
                                    "duplicate answer for model `{}`, question `{}`, sample {}",
                                    key.0, loc.answer.question_id, key.2
                                ),
                            ));
                            continue;
                        }
                        list.push((key, path, loc.line));
                    }
                }
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::load::load_from_bytes;
    use crate::judge::rules::CompiledRubric;

    #[test]
    fn borrowed_line_serialises_like_the_owned_grade() {
        let q = r#"{"id": "q", "language": "hi", "domain": "history", "prompt": "प्रश्न", "rubric": [
            {"criterion": "a", "points": 5, "check": {"mentions": ["मेरठ"]}},
            {"criterion": "b", "points": 2.5, "check": {"number": 1857}},
            {"criterion": "c", "points": 3},
            {"criterion": "d", "points": -4, "check": {"mentions": ["गांधी"]}}]}"#
            .replace('\n', " ");
        let ds = load_from_bytes(vec![("q.jsonl".into(), q.into_bytes())], vec![]).dataset;
        let question = &ds.questions[0];
        let rubric = CompiledRubric::new(question).unwrap();
        for answer in [
            "मेरठ 1857",
            "गांधी",
            "",
            "मेरठ गांधी",
            "विद्रोह 1857 में मेरठ से शुरू हुआ, गांधी ने नहीं",
            "in English, 1857 at Meerut",
        ] {
            let mut scratch = crate::judge::rules::Scratch::default();
            let mut owned = grade(question, "m", 3, rubric.judge(answer, &mut scratch));
            owned.set_answer_language(question, answer);
            let mut codes = Vec::new();
            let mut whys = Vec::new();
            rubric.judge_into(answer, &mut scratch, |_, met, why| {
                codes.push(match met {
                    Some(true) => code::MET,
                    Some(false) => code::NOT_MET,
                    None => code::UNJUDGED,
                });
                whys.push(why.to_string());
            });
            let (answer_script, in_language) = answer_language(answer, &question.language);
            let line = RuleGradeLine {
                model: "m",
                question,
                sample: 3,
                codes: &codes,
                explanations: &whys,
                answer_script,
                in_language,
            };
            assert_eq!(
                serde_json::to_string(&line).unwrap(),
                serde_json::to_string(&owned).unwrap(),
                "{answer}"
            );
        }
    }
}
