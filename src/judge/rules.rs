//! The offline, Indic-aware rule judge: decides criteria that carry a `check`.
//!
//! Each rubric is compiled once: all phrases of all its `mentions` checks go into one
//! [`PhraseSet`], so an answer is normalised once and scanned once per rubric, however many
//! criteria it has.

use regex::Regex;

use crate::dataset::{Check, Dataset, Question};
use crate::text::{self, PhraseSet, Script};

use super::Verdict;

/// A check with its phrases replaced by indices into the rubric's phrase set.
#[derive(Debug, Clone)]
enum Compiled {
    Mentions(Vec<usize>),
    MentionsAll(Vec<usize>),
    Regex(Regex),
    Number { value: f64, tolerance: f64 },
    Script { script: Script, min_share: f64 },
    Words { min: Option<u64>, max: Option<u64> },
    All(Vec<Compiled>),
    Any(Vec<Compiled>),
    Not(Box<Compiled>),
}

/// One rubric's checks, compiled.
#[derive(Debug)]
pub struct CompiledRubric {
    phrases: Option<PhraseSet>,
    checks: Vec<Option<Compiled>>,
    needs_numbers: bool,
}

/// Reusable buffers for judging, one per worker thread.
#[derive(Debug, Default)]
pub struct Scratch {
    normalized: String,
    /// Letters per script of the raw answer and words of the normalised one, from the same pass.
    analysis: text::Analysis,
    found: Vec<bool>,
    numbers: Vec<f64>,
}

fn compile(
    check: &Check,
    phrases: &mut Vec<String>,
    needs_numbers: &mut bool,
) -> Result<Compiled, String> {
    let add = |list: &[String], phrases: &mut Vec<String>| {
        list.iter()
            .map(|p| {
                phrases.push(p.clone());
                phrases.len() - 1
            })
            .collect::<Vec<_>>()
    };
    Ok(match check {
        Check::Mentions(p) => Compiled::Mentions(add(p, phrases)),
        Check::MentionsAll(p) => Compiled::MentionsAll(add(p, phrases)),
        Check::Regex(r) => Compiled::Regex(Regex::new(r).map_err(|e| e.to_string())?),
        Check::Number { value, tolerance } => {
            *needs_numbers = true;
            Compiled::Number {
                value: *value,
                tolerance: *tolerance,
            }
        }
        Check::Script { script, min_share } => Compiled::Script {
            script: *script,
            min_share: *min_share,
        },
        Check::Words { min, max } => Compiled::Words {
            min: *min,
            max: *max,
        },
        Check::All(c) => Compiled::All(
            c.iter()
                .map(|c| compile(c, phrases, needs_numbers))
                .collect::<Result<_, _>>()?,
        ),
        Check::Any(c) => Compiled::Any(
            c.iter()
                .map(|c| compile(c, phrases, needs_numbers))
                .collect::<Result<_, _>>()?,
        ),
        Check::Not(c) => Compiled::Not(Box::new(compile(c, phrases, needs_numbers)?)),
    })
}

impl CompiledRubric {
    /// Compiles a question's rubric. Checks were validated on load, so errors here are rare
    /// (they would come from a regex the loader accepted); they are reported, not panicked on.
    pub fn new(q: &Question) -> Result<Self, String> {
        let mut phrases = Vec::new();
        let mut needs_numbers = false;
        let mut checks = Vec::with_capacity(q.rubric.len());
        for c in &q.rubric {
            checks.push(match &c.check {
                Some(chk) => Some(
                    compile(chk, &mut phrases, &mut needs_numbers)
                        .map_err(|e| format!("{}: criterion {}: {e}", q.id, c.id))?,
                ),
                None => None,
            });
        }
        let phrases = if phrases.is_empty() {
            None
        } else {
            Some(
                PhraseSet::new(&phrases)
                    .map_err(|e| format!("{}: phrase {}: {}", q.id, e.index, e.message))?,
            )
        };
        Ok(CompiledRubric {
            phrases,
            checks,
            needs_numbers,
        })
    }

    /// How many criteria have a check.
    pub fn checked(&self) -> usize {
        self.checks.iter().filter(|c| c.is_some()).count()
    }

    /// Judges an answer: a rule verdict for every criterion with a check, unjudged for the rest.
    pub fn judge(&self, answer: &str, scratch: &mut Scratch) -> Vec<Verdict> {
        let mut out = Vec::with_capacity(self.checks.len());
        self.judge_into(answer, scratch, |i, met| {
            debug_assert_eq!(i, out.len());
            out.push(match met {
                Some(m) => Verdict::rule(m),
                None => Verdict::unjudged(),
            })
        });
        out
    }

    /// Judges without allocating verdicts: calls `emit(i, Some(met))` or `emit(i, None)` (no check)
    /// for each criterion in order.
    pub fn judge_into(
        &self,
        answer: &str,
        scratch: &mut Scratch,
        mut emit: impl FnMut(usize, Option<bool>),
    ) {
        scratch.analysis = text::analyze_into(answer, &mut scratch.normalized);
        match &self.phrases {
            Some(p) => p.find_into(&scratch.normalized, &mut scratch.found),
            None => scratch.found.clear(),
        }
        scratch.numbers.clear();
        if self.needs_numbers {
            scratch.numbers.extend(text::numbers(&scratch.normalized));
        }
        for (i, c) in self.checks.iter().enumerate() {
            emit(i, c.as_ref().map(|c| eval(c, scratch)));
        }
    }
}

fn eval(c: &Compiled, s: &Scratch) -> bool {
    match c {
        Compiled::Mentions(ids) => ids.iter().any(|&i| s.found[i]),
        Compiled::MentionsAll(ids) => ids.iter().all(|&i| s.found[i]),
        Compiled::Regex(r) => r.is_match(&s.normalized),
        Compiled::Number { value, tolerance } => {
            // A tiny relative slack absorbs decimal-to-binary rounding ("0.3" vs 0.1 + 0.2).
            let slack = tolerance + 1e-9 * value.abs().max(1.0);
            s.numbers.iter().any(|n| (n - value).abs() <= slack)
        }
        Compiled::Script { script, min_share } => {
            // Script share is of the raw answer's letters: normalisation keeps scripts, but the raw
            // text is what a reader sees.
            let share = s.analysis.letters.share(*script);
            share >= *min_share && share > 0.0
        }
        Compiled::Words { min, max } => {
            let n = s.analysis.words as u64;
            min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m)
        }
        Compiled::All(v) => v.iter().all(|c| eval(c, s)),
        Compiled::Any(v) => v.iter().any(|c| eval(c, s)),
        Compiled::Not(c) => !eval(c, s),
    }
}

/// The rule judge for a whole dataset: one compiled rubric per question, by question index.
#[derive(Debug)]
pub struct RuleJudge {
    pub rubrics: Vec<CompiledRubric>,
}

impl RuleJudge {
    pub fn new(dataset: &Dataset) -> Result<Self, String> {
        use rayon::prelude::*;
        let rubrics = dataset
            .questions
            .par_iter()
            .map(CompiledRubric::new)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RuleJudge { rubrics })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{Criterion, Origin, Prompt};

    fn q(checks: &[(&str, f64)]) -> Question {
        Question {
            id: "q".into(),
            language: "hi".into(),
            domain: "history".into(),
            prompt: Prompt::Text("प्रश्न".into()),
            prompt_en: None,
            ideal_answer: None,
            tags: vec![],
            rubric: checks
                .iter()
                .enumerate()
                .map(|(i, (c, p))| Criterion {
                    id: format!("c{}", i + 1),
                    text: "t".into(),
                    points: *p,
                    tags: vec![],
                    check: if c.is_empty() {
                        None
                    } else {
                        Some(Check::parse(&serde_json::from_str(c).unwrap(), "check").unwrap())
                    },
                })
                .collect(),
            origin: Origin {
                file: "x".into(),
                line: 1,
            },
            healthbench: false,
        }
    }

    fn mets(question: &Question, answer: &str) -> Vec<Option<bool>> {
        let r = CompiledRubric::new(question).unwrap();
        r.judge(answer, &mut Scratch::default())
            .into_iter()
            .map(|v| if v.is_judged() { v.met } else { None })
            .collect()
    }

    #[test]
    fn each_check_kind() {
        let question = q(&[
            (r#"{"mentions": ["मंगल पांडे", "Mangal Pandey"]}"#, 5.0),
            (r#"{"mentions_all": ["मेरठ", "1857"]}"#, 3.0),
            (r#"{"number": 1857}"#, 2.0),
            (r#"{"number": {"value": 3.5, "tolerance": 0.1}}"#, 1.0),
            (r#"{"script": "Deva", "min_share": 0.5}"#, 1.0),
            (r#"{"words": {"min": 3, "max": 40}}"#, 1.0),
            (r#"{"regex": "क्रांति|विद्रोह"}"#, 1.0),
            (r#"{"not": {"mentions": ["गांधी"]}}"#, 1.0),
            ("", 2.0),
        ]);
        let answer = "विद्रोह १८५७ में मेरठ से शुरू हुआ; मंगल पाण्डे और बाद में कई सिपाही… लगभग 3.45 लाख";
        let got = mets(&question, answer);
        // पाण्डे normalises like पांडे (nasal + virama before a retroflex = anusvara).
        assert_eq!(
            got,
            vec![
                Some(true),
                Some(true),
                Some(true),
                Some(true),
                Some(true),
                Some(true),
                Some(true),
                Some(true),
                None
            ]
        );
        let got = mets(&question, "Gandhi led it. गांधी");
        assert_eq!(got[0], Some(false));
        assert_eq!(got[2], Some(false));
        assert_eq!(got[4], Some(false), "mostly Latin");
        assert_eq!(got[7], Some(false));
    }

    #[test]
    fn word_boundaries_hold() {
        let question = q(&[(r#"{"mentions": ["दिल"]}"#, 1.0)]);
        assert_eq!(mets(&question, "दिल्ली"), vec![Some(false)]);
        assert_eq!(mets(&question, "मेरा दिल, दिल्ली"), vec![Some(true)]);
    }
}
