//! Phrases found at token positions of a [`Tokens`] (with `*` prefix matching), for the rule
//! judge's checks that care where a match is.

use std::collections::HashMap;

use super::filter::TokenFilter;
use super::normalize::normalize_into;
use super::tokens::{Span, Tokens};

type FxBuild = std::hash::BuildHasherDefault<rustc_hash::FxHasher>;

/// One phrase as tokens; with `prefix`, its last token matches any token that begins with it.
#[derive(Debug, Clone)]
struct Pattern {
    tokens: Vec<String>,
    prefix: bool,
}

/// Phrases found at token positions. A phrase ending in `*` matches any word that begins with
/// what precedes the `*` (in a multi-word phrase, the `*` applies to its last word).
#[derive(Debug, Clone, Default)]
pub struct PhraseIndex {
    patterns: Vec<Pattern>,
    /// Exact first token → patterns starting with it.
    by_first: HashMap<Box<str>, Vec<usize>, FxBuild>,
    /// The keys of `by_first`, for ruling most tokens out without hashing them.
    first_filter: TokenFilter<16>,
    /// One-token prefix patterns, by prefix.
    by_prefix: HashMap<Box<str>, Vec<usize>, FxBuild>,
    /// Longest prefix in bytes.
    longest_prefix: usize,
}

impl PhraseIndex {
    /// Compiles phrases (raw, as written in rubrics). A phrase that is empty once normalised never
    /// matches (the loader rejects such phrases before they get here).
    pub fn new<S: AsRef<str>>(phrases: &[S]) -> PhraseIndex {
        let mut idx = PhraseIndex::default();
        let mut buf = String::new();
        for (i, p) in phrases.iter().enumerate() {
            let p = p.as_ref().trim();
            let (body, prefix) = match p.strip_suffix('*') {
                Some(b) => (b, true),
                None => (p, false),
            };
            normalize_into(body, &mut buf);
            let tokens: Vec<String> = buf
                .split(' ')
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect();
            if let Some(first) = tokens.first() {
                if prefix && tokens.len() == 1 {
                    idx.longest_prefix = idx.longest_prefix.max(first.len());
                    idx.by_prefix
                        .entry(first.as_str().into())
                        .or_default()
                        .push(i);
                } else {
                    idx.first_filter.insert(first);
                    idx.by_first
                        .entry(first.as_str().into())
                        .or_default()
                        .push(i);
                }
            }
            idx.patterns.push(Pattern { tokens, prefix });
        }
        idx
    }

    /// Number of phrases.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// Whether there are no phrases.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Every occurrence of every phrase: `out[i]` lists phrase `i`'s spans in order.
    pub fn find(&self, toks: &Tokens, out: &mut Vec<Vec<Span>>) {
        out.resize_with(self.patterns.len(), Vec::new);
        out.truncate(self.patterns.len());
        for v in out.iter_mut() {
            v.clear();
        }
        if self.patterns.is_empty() {
            return;
        }
        let n = toks.len();
        for i in 0..n {
            let t = toks.get(i);
            let list = if self.first_filter.may_contain(t) {
                self.by_first.get(t)
            } else {
                None
            };
            if let Some(list) = list {
                for &p in list {
                    let pat = &self.patterns[p];
                    let k = pat.tokens.len();
                    if i + k > n {
                        continue;
                    }
                    let ok = pat.tokens.iter().enumerate().all(|(j, want)| {
                        let have = toks.get(i + j);
                        if pat.prefix && j + 1 == k {
                            have.starts_with(want.as_str())
                        } else {
                            have == want
                        }
                    });
                    if ok {
                        out[p].push((i as u32, (i + k - 1) as u32));
                    }
                }
            }
            if !self.by_prefix.is_empty() {
                for (end, _) in t
                    .char_indices()
                    .skip(1)
                    .chain(std::iter::once((t.len(), ' ')))
                {
                    if end > self.longest_prefix {
                        break;
                    }
                    if let Some(list) = self.by_prefix.get(&t[..end]) {
                        for &p in list {
                            out[p].push((i as u32, i as u32));
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Tokens {
        let mut t = Tokens::default();
        t.fill(s);
        t
    }

    #[test]
    fn prefix_phrases() {
        let idx = PhraseIndex::new(&["ராஜராஜ*", "new del*", "delhi", "चाक*"]);
        let t = toks("ராஜராஜனால் கட்டப்பட்டது; New Delhi, delhi and चाके");
        let mut out = Vec::new();
        idx.find(&t, &mut out);
        assert_eq!(out[0], vec![(0, 0)]);
        assert_eq!(out[1], vec![(2, 3)]);
        assert_eq!(out[2], vec![(3, 3), (4, 4)]);
        assert_eq!(out[3], vec![(6, 6)]);
        // The prefix matches the word itself too, and not in the middle of a word.
        let t = toks("ராஜராஜ மகாராஜராஜன்");
        idx.find(&t, &mut out);
        assert_eq!(out[0], vec![(0, 0)]);
    }
}
