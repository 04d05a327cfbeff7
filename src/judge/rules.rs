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

use std::collections::HashSet;
use std::hash::Hasher;

use regex::Regex;

use crate::dataset::{Check, Dataset, Question};
use crate::text::negation::{Hit, Markers, Reach, MAX_GAP};
use crate::text::{self, PhraseIndex, Script, Span, Tokens};

use super::Verdict;

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

/// A check with its phrases replaced by indices into the rubric's phrase index.
#[derive(Debug, Clone)]
enum Compiled {
    Mentions {
        ids: Vec<usize>,
        all: bool,
        affirmed: bool,
    },
    Regex(Regex),
    Number {
        value: f64,
        tolerance: f64,
        near: Vec<usize>,
        within: u32,
        affirmed: bool,
    },
    Script {
        script: Script,
        min_share: f64,
    },
    Words {
        min: Option<u64>,
        max: Option<u64>,
    },
    All(Vec<Compiled>),
    Any(Vec<Compiled>),
    Not(Box<Compiled>),
    Near {
        items: Vec<Compiled>,
        within: u32,
    },
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

struct Compiler<'a> {
    phrases: &'a mut Vec<String>,
    numbers: &'a mut Vec<(f64, f64)>,
    needs_negation: bool,
}

impl Compiler<'_> {
    fn add(&mut self, list: &[String]) -> Vec<usize> {
        list.iter()
            .map(|p| {
                self.phrases.push(p.clone());
                self.phrases.len() - 1
            })
            .collect()
    }

    fn compile(&mut self, check: &Check, affirmed: bool) -> Result<Compiled, String> {
        if affirmed
            && matches!(
                check,
                Check::Mentions(_) | Check::MentionsAll(_) | Check::Number { .. }
            )
        {
            self.needs_negation = true;
        }
        Ok(match check {
            Check::Mentions(p) => Compiled::Mentions {
                ids: self.add(p),
                all: false,
                affirmed,
            },
            Check::MentionsAll(p) => Compiled::Mentions {
                ids: self.add(p),
                all: true,
                affirmed,
            },
            Check::Regex(r) => Compiled::Regex(Regex::new(r).map_err(|e| e.to_string())?),
            Check::Number {
                value,
                tolerance,
                near,
                within,
            } => {
                self.numbers.push((*value, *tolerance));
                Compiled::Number {
                    value: *value,
                    tolerance: *tolerance,
                    near: self.add(near),
                    within: *within,
                    affirmed,
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
                    .map(|c| self.compile(c, affirmed))
                    .collect::<Result<_, _>>()?,
            ),
            Check::Any(c) => Compiled::Any(
                c.iter()
                    .map(|c| self.compile(c, affirmed))
                    .collect::<Result<_, _>>()?,
            ),
            // What a `not` rules out is an assertion: "does not claim X" is not broken by
            // "X is a myth".
            Check::Not(c) => Compiled::Not(Box::new(self.compile(c, true)?)),
            Check::Near { all, within } => Compiled::Near {
                items: all
                    .iter()
                    .map(|c| self.compile(c, affirmed))
                    .collect::<Result<_, _>>()?,
                within: *within,
            },
            Check::Affirmed(c, on) => self.compile(c, *on)?,
        })
    }
}

fn token_hash(t: &str) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    h.write(t.as_bytes());
    h.finish()
}

fn run_hash(hashes: &[u64]) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    for &x in hashes {
        h.write_u64(x);
    }
    h.finish()
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

    /// Phrase occurrences and numbers of the tokens in `s`.
    fn locate(&self, s: &mut Scratch) {
        let n = s.toks.len();
        self.index.find(&s.toks, &mut s.occ);
        s.numbers.clear();
        if !self.numbers.is_empty() {
            for i in 0..n {
                for v in text::numbers_iter(s.toks.get(i)) {
                    s.numbers.push((v, i as u32));
                }
            }
        }
    }

    /// How many of the answer's words are the rubric's phrases and numbers, and how many words
    /// it has.
    fn keyword_words(&self, s: &mut Scratch) -> (usize, usize) {
        let n = s.toks.len();
        let mut covered = std::mem::take(&mut s.covered);
        covered.clear();
        covered.resize(n, false);
        for spans in &s.occ {
            for &(a, b) in spans {
                for c in &mut covered[a as usize..=b as usize] {
                    *c = true;
                }
            }
        }
        for &(v, t) in &s.numbers {
            if self
                .numbers
                .iter()
                .any(|&(value, tol)| close(v, value, tol))
            {
                covered[t as usize] = true;
            }
        }
        let k = covered.iter().filter(|&&c| c).count();
        s.covered = covered;
        (k, n)
    }

    /// Tokens, phrase occurrences, numbers, markers, echoes and the keyword-list verdict.
    fn prepare(&self, answer: &str, s: &mut Scratch) {
        s.toks.fill(answer);
        let n = s.toks.len();
        self.locate(s);
        s.hits.clear();
        if self.needs_negation {
            let toks = &s.toks;
            Markers::get().scan_with(n, |i| toks.get(i), &mut s.hits);
        }
        s.echoed.clear();
        s.echoed.resize(n, false);
        if !self.prompt_runs.is_empty() && n >= ECHO_RUN {
            s.hashes.clear();
            s.hashes.extend((0..n).map(|i| token_hash(s.toks.get(i))));
            for start in 0..=n - ECHO_RUN {
                if self
                    .prompt_runs
                    .contains(&run_hash(&s.hashes[start..start + ECHO_RUN]))
                {
                    for e in &mut s.echoed[start..start + ECHO_RUN] {
                        *e = true;
                    }
                }
            }
        }
        s.gamed = None;
        if (n as u64) < self.min_words as u64 {
            s.gamed = Some(format!(
                "not counted: the answer has {n} word{} and phrase and number checks need at least {}",
                if n == 1 { "" } else { "s" },
                self.min_words
            ));
        } else if self.keyword_rule && n >= KEYWORD_MIN_WORDS {
            let (k, n) = self.keyword_words(s);
            if k as f64 > KEYWORD_SHARE * n as f64 {
                s.gamed = Some(format!(
                    "not counted: a keyword list ({k} of its {n} words are the rubric's phrases and numbers)"
                ));
            }
        }
    }

    /// Why an occurrence does not count, if it does not.
    fn rejected(&self, span: Span, affirmed: bool, s: &Scratch) -> Option<String> {
        let (a, b) = (span.0 as usize, span.1 as usize);
        if s.echoed[a..=b].iter().all(|&e| e) {
            return Some("only inside words repeated from the prompt".into());
        }
        if !affirmed {
            return None;
        }
        let toks = &s.toks;
        if toks
            .questions
            .get(toks.sentence[a] as usize)
            .copied()
            .unwrap_or(false)
        {
            return Some("only asked about, in a question".into());
        }
        for h in &s.hits {
            if h.last >= a && h.first <= b {
                continue;
            }
            let (gap, marker_pos, before) = if h.last < a {
                (a - h.last - 1, h.last, true)
            } else {
                (h.first - b - 1, h.first, false)
            };
            if gap > MAX_GAP {
                continue;
            }
            let same_clause = toks.clause[marker_pos] == toks.clause[a];
            let same_sentence = toks.sentence[marker_pos] == toks.sentence[a];
            let reaches = match h.reach {
                Reach::Negator => same_clause,
                Reach::Rebuttal => same_sentence,
                Reach::Before => before && same_clause,
                Reach::After => !before && same_clause,
            };
            if reaches {
                return Some(format!(
                    "negated by \"{}\"",
                    toks.excerpt(h.first, h.last, 0)
                ));
            }
        }
        None
    }

    fn phrase_list(&self, ids: &[usize]) -> String {
        let mut out = String::new();
        for (k, &i) in ids.iter().enumerate() {
            if k == 6 {
                out.push_str(&format!(", … ({} more)", ids.len() - 6));
                break;
            }
            if k > 0 {
                out.push_str(", ");
            }
            out.push('"');
            out.push_str(self.phrases.get(i).map_or("", String::as_str));
            out.push('"');
        }
        out
    }

    /// Occurrences of a number check that count (echo, negation and `near` applied), with the
    /// reason the first one that does not count was rejected. A number is near a phrase when it
    /// is within `within` words of it and no other number is closer to it.
    fn number_spans(&self, c: &Compiled, s: &Scratch, out: &mut Vec<Span>) -> Option<String> {
        let Compiled::Number {
            value,
            tolerance,
            near,
            within,
            affirmed,
        } = c
        else {
            return None;
        };
        let mut why = None;
        for &(v, t) in &s.numbers {
            if !close(v, *value, *tolerance) {
                continue;
            }
            let span = (t, t);
            if let Some(r) = self.rejected(span, *affirmed, s) {
                why.get_or_insert(format!("{} at \"{}\": {r}", fmt_num(v), ctx(s, span)));
                continue;
            }
            if !near.is_empty() {
                // The number must be within reach of the phrase, in the same sentence, and no
                // other number of the phrase's clause may be closer to it, unless only numbers
                // stand between the two (a worked sum, "ettukettu: 8 ÷ 4 = 2"): in "7 wheels and
                // 24 horses", 24 is not the wheels' count, nor 7 the horses'; in "MBC 20%; SC
                // 18%", 20 is not in SC's clause.
                let sentence = |i: u32| s.toks.period[i as usize];
                let clause = |i: u32| s.toks.clause[i as usize];
                let close_by = near.iter().any(|&p| {
                    s.occ[p].iter().any(|&o| {
                        let d = distance(span, o);
                        d <= *within
                            && sentence(o.0) == sentence(t)
                            && self.rejected(o, false, s).is_none()
                            && (s.numbers.iter().all(|&(_, t2)| {
                                clause(t2) != clause(o.0) || distance((t2, t2), o) >= d
                            }) || only_numbers_between(&s.toks, span, o))
                    })
                });
                if !close_by {
                    why.get_or_insert(format!(
                        "{} at \"{}\" is not within {within} words of {}",
                        fmt_num(v),
                        ctx(s, span),
                        self.phrase_list(near)
                    ));
                    continue;
                }
            }
            out.push(span);
        }
        why
    }

    /// Places where a positional check holds, one list per part that `near` must bring together.
    fn items(&self, c: &Compiled, s: &Scratch, out: &mut Vec<Vec<Span>>) {
        match c {
            Compiled::Mentions { ids, all, affirmed } => {
                let keep = |p: usize| -> Vec<Span> {
                    s.occ[p]
                        .iter()
                        .copied()
                        .filter(|&o| self.rejected(o, *affirmed, s).is_none())
                        .collect()
                };
                if *all {
                    for &p in ids {
                        out.push(keep(p));
                    }
                } else {
                    out.push(ids.iter().flat_map(|&p| keep(p)).collect());
                }
            }
            Compiled::Number { .. } => {
                let mut v = Vec::new();
                self.number_spans(c, s, &mut v);
                out.push(v);
            }
            Compiled::Regex(r) => {
                let text = &s.toks.text;
                out.push(
                    r.find_iter(text)
                        .filter(|m| m.end() > m.start())
                        .map(|m| {
                            (
                                s.toks.token_at(m.start()) as u32,
                                s.toks.token_at(m.end() - 1) as u32,
                            )
                        })
                        .filter(|&(a, _)| (a as usize) < s.toks.len())
                        .collect(),
                );
            }
            Compiled::Near { items, within } => {
                out.push(self.windows(items, *within, s));
            }
            // The loader allows only positional checks inside `near`.
            _ => out.push(Vec::new()),
        }
    }

    /// Windows where every item has a place within `within` words of the others.
    fn windows(&self, items: &[Compiled], within: u32, s: &Scratch) -> Vec<Span> {
        let mut lists = Vec::new();
        for c in items {
            self.items(c, s, &mut lists);
        }
        let mut found = Vec::new();
        for (k, list) in lists.iter().enumerate() {
            for &x in list {
                // x is the place that ends first; every other part needs a place ending no
                // earlier and starting at most `within` words after x ends.
                let mut lo = x.0;
                let mut hi = x.1;
                let ok = lists.iter().enumerate().all(|(j, other)| {
                    if j == k {
                        return true;
                    }
                    match other
                        .iter()
                        .filter(|o| o.1 >= x.1 && o.0 <= x.1.saturating_add(within))
                        .min_by_key(|o| o.0)
                    {
                        Some(o) => {
                            lo = lo.min(o.0);
                            hi = hi.max(o.1);
                            true
                        }
                        None => false,
                    }
                });
                if ok {
                    found.push((lo, hi));
                }
            }
        }
        found.sort_unstable();
        found.dedup();
        found
    }

    fn eval(&self, c: &Compiled, s: &Scratch, why: &mut String) -> bool {
        use std::fmt::Write;
        let positional = matches!(
            c,
            Compiled::Mentions { .. }
                | Compiled::Number { .. }
                | Compiled::Regex(_)
                | Compiled::Near { .. }
        );
        if positional {
            if let Some(g) = &s.gamed {
                why.push_str(g);
                return false;
            }
        }
        match c {
            Compiled::Mentions { ids, all, affirmed } => {
                let mut found: Vec<(usize, Span)> = Vec::new();
                let mut missing: Vec<usize> = Vec::new();
                let mut rejected: Option<String> = None;
                for &p in ids {
                    let mut hit = None;
                    for &o in &s.occ[p] {
                        match self.rejected(o, *affirmed, s) {
                            None => {
                                hit = Some(o);
                                break;
                            }
                            Some(r) => {
                                rejected.get_or_insert_with(|| {
                                    format!(
                                        "\"{}\" at \"{}\" not counted: {r}",
                                        self.phrases[p],
                                        ctx(s, o)
                                    )
                                });
                            }
                        }
                    }
                    match hit {
                        Some(o) => {
                            found.push((p, o));
                            if !*all {
                                break;
                            }
                        }
                        None => missing.push(p),
                    }
                }
                let met = if *all {
                    missing.is_empty()
                } else {
                    !found.is_empty()
                };
                if met {
                    for (k, (p, o)) in found.iter().enumerate() {
                        if k > 0 {
                            why.push_str("; ");
                        }
                        let _ = write!(why, "found \"{}\": \"{}\"", self.phrases[*p], ctx(s, *o));
                    }
                } else {
                    let _ = write!(
                        why,
                        "{} {} found",
                        if *all { "missing:" } else { "none of" },
                        self.phrase_list(if *all { &missing } else { ids })
                    );
                    if let Some(r) = rejected {
                        let _ = write!(why, " ({r})");
                    }
                }
                met
            }
            Compiled::Regex(r) => match r.find(&s.toks.text) {
                Some(m) => {
                    let a = s.toks.token_at(m.start());
                    let b = s.toks.token_at(m.end().saturating_sub(1).max(m.start()));
                    let _ = write!(
                        why,
                        "pattern matched: \"{}\"",
                        if a < s.toks.len() {
                            s.toks.excerpt(a, b.min(s.toks.len() - 1), 3)
                        } else {
                            String::new()
                        }
                    );
                    true
                }
                None => {
                    let _ = write!(why, "pattern /{}/ not found", r.as_str());
                    false
                }
            },
            Compiled::Number {
                value,
                tolerance,
                near,
                within,
                ..
            } => {
                let mut spans = Vec::new();
                let rejected = self.number_spans(c, s, &mut spans);
                match spans.first() {
                    Some(&sp) => {
                        let _ = write!(why, "found {} at \"{}\"", fmt_num(*value), ctx(s, sp));
                        if !near.is_empty() {
                            let _ =
                                write!(why, " within {within} words of {}", self.phrase_list(near));
                        }
                        true
                    }
                    None => {
                        match rejected {
                            Some(r) => {
                                let _ = write!(why, "no {} that counts ({r})", fmt_num(*value));
                            }
                            None => {
                                let _ = write!(why, "no number equal to {}", fmt_num(*value));
                                if *tolerance > 0.0 {
                                    let _ = write!(why, " ± {}", fmt_num(*tolerance));
                                }
                                why.push_str(" found");
                            }
                        }
                        false
                    }
                }
            }
            Compiled::Script { script, min_share } => {
                // Script share is of the raw answer's letters (normalisation keeps scripts, but
                // the raw text is what a reader sees), counted when the answer was normalised.
                let share = s.toks.letters().share(*script);
                let met = share >= *min_share && share > 0.0;
                let _ = write!(
                    why,
                    "{} is {:.0}% of the letters (at least {:.0}% needed)",
                    script.code(),
                    share * 100.0,
                    min_share * 100.0
                );
                met
            }
            Compiled::Words { min, max } => {
                let n = s.toks.len() as u64;
                let met = min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m);
                let _ = write!(why, "{n} words (");
                match (min, max) {
                    (Some(a), Some(b)) => {
                        let _ = write!(why, "{a} to {b} wanted)");
                    }
                    (Some(a), None) => {
                        let _ = write!(why, "at least {a} wanted)");
                    }
                    (None, Some(b)) => {
                        let _ = write!(why, "at most {b} wanted)");
                    }
                    (None, None) => why.push_str("any number)"),
                }
                met
            }
            Compiled::All(v) => {
                let mut parts = Vec::new();
                for c in v {
                    let mut w = String::new();
                    if !self.eval(c, s, &mut w) {
                        why.push_str(&w);
                        return false;
                    }
                    parts.push(w);
                }
                why.push_str(&parts.join("; "));
                true
            }
            Compiled::Any(v) => {
                let mut parts = Vec::new();
                for c in v {
                    let mut w = String::new();
                    if self.eval(c, s, &mut w) {
                        why.push_str(&w);
                        return true;
                    }
                    parts.push(w);
                }
                why.push_str(&parts.join("; "));
                false
            }
            Compiled::Not(c) => {
                let mut w = String::new();
                let inner = self.eval(c, s, &mut w);
                let _ = write!(why, "not ({w})");
                !inner
            }
            Compiled::Near { items, within } => {
                let w = self.windows(items, *within, s);
                match w.first() {
                    Some(&(a, b)) => {
                        let _ = write!(
                            why,
                            "found together within {within} words: \"{}\"",
                            s.toks.excerpt(a as usize, b as usize, 2)
                        );
                        true
                    }
                    None => {
                        let mut parts = Vec::new();
                        for c in items {
                            let mut p = String::new();
                            self.eval(c, s, &mut p);
                            parts.push(p);
                        }
                        let _ = write!(
                            why,
                            "not all within {within} words of each other ({})",
                            parts.join("; ")
                        );
                        false
                    }
                }
            }
        }
    }
}

/// A tiny relative slack absorbs decimal-to-binary rounding ("0.3" vs 0.1 + 0.2).
fn close(n: f64, value: f64, tolerance: f64) -> bool {
    let slack = tolerance + 1e-9 * value.abs().max(1.0);
    (n - value).abs() <= slack
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Whether every token strictly between two spans is a number.
fn only_numbers_between(toks: &Tokens, a: Span, b: Span) -> bool {
    let (from, to) = if a.1 < b.0 {
        (a.1 + 1, b.0)
    } else {
        (b.1 + 1, a.0)
    };
    (from..to).all(|i| {
        let t = toks.get(i as usize).as_bytes();
        t.first().is_some_and(u8::is_ascii_digit)
            || (t.first() == Some(&b'-') && t.get(1).is_some_and(u8::is_ascii_digit))
    })
}

/// Words between two spans (0 when they touch or overlap).
fn distance(a: Span, b: Span) -> u32 {
    if a.1 < b.0 {
        b.0 - a.1
    } else {
        a.0.saturating_sub(b.1)
    }
}

fn ctx(s: &Scratch, span: Span) -> String {
    s.toks.excerpt(span.0 as usize, span.1 as usize, 3)
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
