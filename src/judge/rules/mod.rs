//! The offline, Indic-aware rule judge: decides criteria that carry a `check`.
//!
//! Each rubric is compiled once: all phrases of all its checks go into one [`PhraseIndex`], so an
//! answer is cut into normalised tokens once and scanned once per rubric, however many criteria
//! it has. Matches are kept with their token positions, because where a match is decides whether
//! it counts (SPEC §4c):
//!
//! * **keyword lists**: an answer shorter than the rubric's `min_words`, or whose words are mostly
//!   the rubric's own phrases and numbers, earns nothing from phrase, number, regex and near
//!   checks;
//! * **prompt echoes**: a match inside a run of [`ECHO_RUN`] or more words copied from the prompt
//!   does not count;
//! * **negation**: under `"affirmed"` (the default for criteria with negative points and inside
//!   `not`) a match
//!   that the answer negates or rebuts ("X नहीं", "not X", "X is a myth"), or only asks about,
//!   does not count ([`crate::text::negation`] has the markers of every language);
//! * **context**: `near` checks and numbers with `near` phrases need their parts within a few
//!   words of each other.
//!
//! Every verdict carries an explanation: the matched words with a little context, or what was
//! looked for and why nothing counted.
//!
//! The files follow an answer's way: `compile` builds a [`CompiledRubric`] from a question;
//! `guard` prepares an answer (tokens, matches, negation markers, echoes, the keyword-list
//! rule) and says why a match does not count; `eval` decides each check; `explain` words the
//! explanations.

mod compile;
mod eval;
mod explain;
mod guard;

use std::collections::HashSet;

use crate::dataset::{Dataset, Question};
use crate::text::negation::Hit;
use crate::text::{self, PhraseIndex, Span, Tokens};

use super::Verdict;
use compile::{run_hash, token_hash, Compiled, Compiler};

/// Words copied from the prompt in a row that make an echo (fewer are an answer restating the
/// question: "Kya aisa agreement legally valid hai?" → "Haan, aisa agreement legally valid hai").
pub const ECHO_RUN: usize = 8;

/// Share of an answer's words that are the rubric's phrases and numbers above which the answer is
/// a keyword list.
pub const KEYWORD_SHARE: f64 = 0.5;

/// The keyword-share rule is off for a question whose ideal answer has more than this share of
/// rubric words.
pub const IDEAL_KEYWORD_SHARE: f64 = 0.4;

/// `min_words` when a question gives none and has no ideal answer (the keyword-share rule still
/// applies).
pub const MIN_WORDS_WITHOUT_IDEAL: u32 = 1;

/// Fewest words for the keyword-share rule to apply: a one- or two-word answer may be all a
/// short question needs.
pub const KEYWORD_MIN_WORDS: usize = 3;

/// The default `min_words` of a question: a sixth of its ideal answer's words, from 1 to 25
/// (a 150-word ideal answer asks for 25 words, a one-line one for 1 or 2), or
/// [`MIN_WORDS_WITHOUT_IDEAL`] without an ideal answer.
pub fn default_min_words(q: &Question) -> u32 {
    match q.ideal_answer.as_deref() {
        Some(a) if !a.trim().is_empty() => {
            let words = text::word_count(&text::normalize(a)) as u32;
            (words / 6).clamp(1, 25)
        }
        _ => MIN_WORDS_WITHOUT_IDEAL,
    }
}

/// One rubric's checks, compiled.
#[derive(Debug)]
pub struct CompiledRubric {
    /// Every phrase as written in the rubric, by index.
    phrases: Vec<String>,
    index: PhraseIndex,
    checks: Vec<Option<Compiled>>,
    /// Values (with tolerance) of every number check, for telling keyword lists.
    numbers: Vec<(f64, f64)>,
    needs_negation: bool,
    /// Hashes of every run of [`ECHO_RUN`] prompt words.
    prompt_runs: HashSet<u64, FxBuild>,
    min_words: u32,
    /// Whether the keyword-share rule applies: not when the ideal answer itself is mostly the
    /// rubric's words (a one-line answer to a short question).
    keyword_rule: bool,
}

type FxBuild = std::hash::BuildHasherDefault<rustc_hash::FxHasher>;

impl Scratch {
    /// The normalised text of the answer judged last.
    pub fn normalized(&self) -> &str {
        &self.toks.text
    }

    /// The explanation of every criterion of the answer judged last, in rubric order (empty
    /// for criteria without a check).
    pub fn explanations(&self) -> &[String] {
        &self.explanations
    }
}

/// Reusable buffers for judging, one per worker thread.
#[derive(Debug, Default)]
pub struct Scratch {
    toks: Tokens,
    occ: Vec<Vec<Span>>,
    /// Numbers with their token.
    numbers: Vec<(f64, u32)>,
    hits: Vec<Hit>,
    echoed: Vec<bool>,
    hashes: Vec<u64>,
    covered: Vec<bool>,
    /// The explanation of every criterion of the answer judged last (empty where unjudged).
    explanations: Vec<String>,
    /// Why phrase and number checks earn nothing in this answer, if they don't.
    gamed: Option<String>,
}

impl CompiledRubric {
    /// Compiles a question's rubric. Checks were validated on load, so errors here are rare
    /// (they would come from a regex the loader accepted); they are reported, not panicked on.
    pub fn new(q: &Question) -> Result<Self, String> {
        let mut phrases = Vec::new();
        let mut numbers = Vec::new();
        let mut compiler = Compiler {
            phrases: &mut phrases,
            numbers: &mut numbers,
            needs_negation: false,
        };
        let mut checks = Vec::with_capacity(q.rubric.len());
        for c in &q.rubric {
            checks.push(match &c.check {
                Some(chk) => Some(
                    compiler
                        .compile(chk, c.points < 0.0)
                        .map_err(|e| format!("{}: criterion {}: {e}", q.id, c.id))?,
                ),
                None => None,
            });
        }
        let needs_negation = compiler.needs_negation;
        let index = PhraseIndex::new(&phrases);
        let mut prompt_runs = HashSet::default();
        let mut toks = Tokens::default();
        toks.fill(&q.prompt.text());
        let hashes: Vec<u64> = (0..toks.len()).map(|i| token_hash(toks.get(i))).collect();
        for w in hashes.windows(ECHO_RUN) {
            prompt_runs.insert(run_hash(w));
        }
        let mut rubric = CompiledRubric {
            phrases,
            index,
            checks,
            numbers,
            needs_negation,
            prompt_runs,
            min_words: q.min_words.unwrap_or_else(|| default_min_words(q)),
            keyword_rule: true,
        };
        if let Some(ideal) = q.ideal_answer.as_deref() {
            let mut s = Scratch::default();
            s.toks.fill(ideal);
            rubric.locate(&mut s);
            let (k, n) = rubric.keyword_words(&mut s);
            rubric.keyword_rule = (k as f64) <= IDEAL_KEYWORD_SHARE * n as f64;
        }
        Ok(rubric)
    }

    /// How many criteria have a check.
    pub fn checked(&self) -> usize {
        self.checks.iter().filter(|c| c.is_some()).count()
    }

    /// The fewest words an answer needs for phrase and number checks to count.
    pub fn min_words(&self) -> u32 {
        self.min_words
    }

    /// Judges an answer: a rule verdict with its explanation for every criterion with a check,
    /// unjudged for the rest.
    pub fn judge(&self, answer: &str, scratch: &mut Scratch) -> Vec<Verdict> {
        let mut out = Vec::with_capacity(self.checks.len());
        self.judge_into(answer, scratch, |i, met, why| {
            debug_assert_eq!(i, out.len());
            out.push(match met {
                Some(m) => Verdict::rule_explained(m, why.to_string()),
                None => Verdict::unjudged(),
            })
        });
        out
    }

    /// Judges without allocating verdicts: calls `emit(i, Some(met), explanation)` or
    /// `emit(i, None, "")` (no check) for each criterion in order.
    pub fn judge_into(
        &self,
        answer: &str,
        scratch: &mut Scratch,
        mut emit: impl FnMut(usize, Option<bool>, &str),
    ) {
        self.prepare(answer, scratch);
        let mut whys = std::mem::take(&mut scratch.explanations);
        whys.clear();
        for (i, c) in self.checks.iter().enumerate() {
            match c {
                Some(c) => {
                    let mut why = String::new();
                    let met = self.eval(c, scratch, &mut why);
                    emit(i, Some(met), &why);
                    whys.push(why);
                }
                None => {
                    emit(i, None, "");
                    whys.push(String::new());
                }
            }
        }
        scratch.explanations = whys;
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
mod tests;
