//! Phrases found at token positions of a [`Tokens`] (with `*` prefix matching), for the rule
//! judge's checks that care where a match is.

use std::collections::HashMap;
use std::hash::BuildHasher;

use super::filter::TokenFilter;
use super::normalize::normalize_into;
use super::tokens::{Span, Tokens};

type FxBuild = std::hash::BuildHasherDefault<rustc_hash::FxHasher>;

/// Phrases found at token positions. A phrase ending in `*` matches any word that begins with
/// what precedes the `*` (in a multi-word phrase, the `*` applies to its last word).
///
/// A rubric's phrases are kept in a few flat arrays rather than a string per token and a hash
/// table: answers visit rubrics in no particular order, so a rubric's index is usually cold in
/// cache, and every separate allocation visited is a cache miss.
#[derive(Debug, Clone, Default)]
pub struct PhraseIndex {
    /// Every token of every phrase, one after another.
    text: String,
    /// Byte range of each phrase token in `text`.
    tokens: Vec<(u32, u32)>,
    /// Each phrase: its first token in `tokens`, its number of tokens, and whether its last
    /// token is a prefix.
    patterns: Vec<(u32, u32, bool)>,
    /// (hash of the first token, phrase) of every phrase that is not a one-token prefix, sorted.
    heads: Vec<(u64, u32)>,
    /// The first tokens of `heads`, for ruling most tokens out without hashing them.
    first_filter: TokenFilter<16>,
    /// One-token prefix phrases, by prefix.
    by_prefix: HashMap<Box<str>, Vec<usize>, FxBuild>,
    /// Longest prefix in bytes.
    longest_prefix: usize,
}

/// The hash of a token in [`PhraseIndex::heads`].
#[inline]
fn token_hash(t: &str) -> u64 {
    FxBuild::default().hash_one(t)
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
            let first = idx.tokens.len() as u32;
            for t in buf.split(' ').filter(|t| !t.is_empty()) {
                let start = idx.text.len() as u32;
                idx.text.push_str(t);
                idx.tokens.push((start, idx.text.len() as u32));
            }
            let count = idx.tokens.len() as u32 - first;
            if let Some(&(a, b)) = idx.tokens.get(first as usize).filter(|_| count > 0) {
                let head = &idx.text[a as usize..b as usize];
                if prefix && count == 1 {
                    idx.longest_prefix = idx.longest_prefix.max(head.len());
                    idx.by_prefix.entry(head.into()).or_default().push(i);
                } else {
                    idx.first_filter.insert(head);
                    idx.heads.push((token_hash(head), i as u32));
                }
            }
            idx.patterns.push((first, count, prefix));
        }
        idx.heads.sort_unstable();
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

    /// Token `j` of the phrases' tokens.
    fn token(&self, j: usize) -> &str {
        let (a, b) = self.tokens[j];
        &self.text[a as usize..b as usize]
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
            if self.first_filter.may_contain_key(toks.keys[i]) {
                let t = toks.get(i);
                let h = token_hash(t);
                let from = self.heads.partition_point(|&(x, _)| x < h);
                for &(_, p) in self.heads[from..].iter().take_while(|&&(x, _)| x == h) {
                    let (first, k, prefix) = self.patterns[p as usize];
                    let (first, k) = (first as usize, k as usize);
                    if i + k > n {
                        continue;
                    }
                    let ok = (0..k).all(|j| {
                        let have = toks.get(i + j);
                        let want = self.token(first + j);
                        if prefix && j + 1 == k {
                            have.starts_with(want)
                        } else {
                            have == want
                        }
                    });
                    if ok {
                        out[p as usize].push((i as u32, (i + k - 1) as u32));
                    }
                }
            }
            if !self.by_prefix.is_empty() {
                let t = toks.get(i);
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
        Tokens::of(s)
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
