//! Scoring and the parallel grading engine (SPEC §4).
//!
//! Answers stream in batches: each batch is parsed and judged on the rayon pool, then one thread
//! checks duplicates, writes `grades.jsonl` lines in input order and keeps only the compact
//! [`Records`] that aggregation needs.

use std::collections::HashMap;

use serde::{Deserialize, Serialize, Serializer};

mod engine;
pub mod human;
mod line;
mod recorded;

pub use crate::judge::JudgeUsage;
pub use engine::grade_files;
pub use recorded::grade_verdicts;

use crate::dataset::Question;
use crate::error::{Diagnostic, Result};
use crate::jsonl::JsonlWriter;
use crate::judge::{Source, Verdict, Vote};
use crate::text::fidelity::{answer_language, AnswerScript};

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
    /// Every juror's verdict, when several judge models (or repeated verdicts) decided
    /// (SPEC §4d); absent otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub votes: Vec<Vote>,
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
                votes: Vec::new(),
            })
            .collect(),
        judge_usage: None,
    }
}

impl Grade {
    /// Keeps each criterion's votes (in rubric order) beside its verdict.
    pub fn set_votes(&mut self, votes: Vec<Vec<Vote>>) {
        for (c, v) in self.criteria.iter_mut().zip(votes) {
            c.votes = v;
        }
    }

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
                    if self.2 != code::UNJUDGED && !self.3.is_empty() {
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
    /// Writes whole lines given as UTF-8 bytes, in order (each ending in a newline).
    fn write_lines(&mut self, lines: &[Vec<u8>]) -> Result<()> {
        for line in lines {
            let text = std::str::from_utf8(line).map_err(|e| {
                crate::error::Error::Other(format!("grade lines are not UTF-8: {e}"))
            })?;
            self.write_chunk(text)?;
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
    fn write_lines(&mut self, lines: &[Vec<u8>]) -> Result<()> {
        // The lines were written as UTF-8 by this crate: no need to check them again.
        self.write_raw_lines(lines)
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
    fn write_lines(&mut self, _: &[Vec<u8>]) -> Result<()> {
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
            let want = serde_json::to_string(&owned).unwrap();
            assert_eq!(serde_json::to_string(&line).unwrap(), want, "{answer}");
            let mut hand = b"kept".to_vec();
            line.write_json(&mut hand);
            assert_eq!(
                hand.strip_prefix(b"kept").unwrap(),
                want.as_bytes(),
                "{answer}"
            );
            // Strings that need escaping, a failed verdict, a line without answer language.
            let mut odd = owned.clone();
            odd.model = "m \"q\"\n\u{1}\\ é\u{7f}".into();
            odd.criteria[0].met = None;
            odd.complete = false;
            odd.answer_script = None;
            odd.in_language = None;
            odd.criteria[1].explanation = Some("at \"x\"\t\u{0}".into());
            let mut odd_codes = codes.clone();
            odd_codes[0] = code::NULL;
            let mut odd_whys = whys.clone();
            odd_whys[1] = "at \"x\"\t\u{0}".into();
            let odd_line = RuleGradeLine {
                model: &odd.model,
                codes: &odd_codes,
                explanations: &odd_whys,
                answer_script: None,
                in_language: None,
                ..line
            };
            let mut hand = Vec::new();
            odd_line.write_json(&mut hand);
            assert_eq!(
                String::from_utf8(hand).unwrap(),
                serde_json::to_string(&odd_line).unwrap(),
                "{answer}"
            );
        }
    }
}
