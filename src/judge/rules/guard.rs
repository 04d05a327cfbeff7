//! Guards against gaming: answers too short or made of the rubric's own words, matches inside
//! words copied from the prompt, and matches the answer negates or only asks about.

use super::compile::{run_hash, token_hash};
use super::eval::close;
use super::{CompiledRubric, Scratch, ECHO_RUN, KEYWORD_MIN_WORDS, KEYWORD_SHARE};
use crate::text::negation::{Markers, Reach, MAX_GAP};
use crate::text::{self, Span};

impl CompiledRubric {
    /// Phrase occurrences and numbers of the tokens in `s`.
    pub(super) fn locate(&self, s: &mut Scratch) {
        let n = s.toks.len();
        self.index.find(&s.toks, &mut s.occ);
        s.numbers.clear();
        if !self.numbers.is_empty() {
            // Only tokens with a digit hold numbers: jump from digit to digit, reading each
            // token that has one.
            let bytes = s.toks.text.as_bytes();
            let mut at = 0;
            while let Some(d) = text::next_digit(bytes, at) {
                let i = s.toks.token_at(d);
                if i >= n {
                    break;
                }
                for v in text::numbers_iter(s.toks.get(i)) {
                    s.numbers.push((v, i as u32));
                }
                at = s.toks.spans[i].1 as usize;
            }
        }
    }

    /// How many of the answer's words are the rubric's phrases and numbers, and how many words
    /// it has.
    pub(super) fn keyword_words(&self, s: &mut Scratch) -> (usize, usize) {
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

    /// Whether the answer has [`ECHO_RUN`] words in a row that may be words of the prompt (if
    /// not, no run of its words is one of the prompt's).
    fn may_echo(&self, s: &Scratch) -> bool {
        // The run is counted without a branch on each word: prompt words come at random.
        let mut run = 0;
        for &key in &s.toks.keys {
            run = (run + 1) * usize::from(self.prompt_words.may_contain_key(key));
            if run >= ECHO_RUN {
                return true;
            }
        }
        false
    }

    /// Tokens, phrase occurrences, numbers, markers, echoes and the keyword-list verdict.
    pub(super) fn prepare(&self, answer: &str, s: &mut Scratch) {
        s.toks.fill(answer);
        let n = s.toks.len();
        self.locate(s);
        s.hits.clear();
        if self.needs_negation {
            let toks = &s.toks;
            Markers::get().scan_tokens(toks, &mut s.hits);
        }
        s.echoed.clear();
        s.echoed.resize(n, false);
        if !self.prompt_runs.is_empty() && n >= ECHO_RUN && self.may_echo(s) {
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

    /// Why an occurrence does not count, if it does not (worded only when an explanation
    /// needs it).
    pub(super) fn rejected(&self, span: Span, affirmed: bool, s: &Scratch) -> Option<Rejection> {
        let (a, b) = (span.0 as usize, span.1 as usize);
        if s.echoed[a..=b].iter().all(|&e| e) {
            return Some(Rejection::Echo);
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
            return Some(Rejection::Question);
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
                return Some(Rejection::Negated(h.first, h.last));
            }
        }
        None
    }
}

/// Why an occurrence does not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rejection {
    /// It lies inside words repeated from the prompt.
    Echo,
    /// It is in a question.
    Question,
    /// A marker (its first and last token) negates it.
    Negated(usize, usize),
}

impl Rejection {
    /// The reason in words, as explanations give it.
    pub(super) fn describe(self, s: &Scratch) -> String {
        match self {
            Rejection::Echo => "only inside words repeated from the prompt".into(),
            Rejection::Question => "only asked about, in a question".into(),
            Rejection::Negated(first, last) => {
                format!("negated by \"{}\"", s.toks.excerpt(first, last, 0))
            }
        }
    }
}
