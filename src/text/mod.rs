//! Indic-aware text handling for the rule judge.
//!
//! Everything the rule judge compares goes through [`normalize`] first, on both sides (answers and
//! rubric phrases), so that spelling variants that readers treat as the same word (nukta or not,
//! chandrabindu or anusvara, conjunct nasal or anusvara, chillu or virama + ZWJ, native or ASCII
//! digits, punctuation) compare equal. The other functions work on normalised text:
//! [`PhraseSet`] finds phrases at word boundaries, [`numbers`] reads numbers, [`word_count`] counts
//! words. [`script_share`] and [`dominant_script`] work on any text.

pub mod fidelity;
mod filter;
pub mod negation;
mod normalize;
mod numbers;
mod pass;
mod phrase_index;
mod phrases;
mod script;
mod tokens;

pub use filter::{token_key, KeyedWords, TokenFilter};
pub use normalize::{is_word_char, normalize, normalize_into};
pub(crate) use numbers::next_digit;
pub use numbers::{numbers, numbers_iter, Numbers};
pub(crate) use pass::analyze_cuts_into;
pub use pass::{analyze_into, analyze_words_into, Analysis, Letters};
pub use phrase_index::PhraseIndex;
pub use phrases::{PhraseError, PhraseSet};
pub use script::{dominant_script, script_share, Script};
pub use tokens::{Span, Tokens};

/// Words in an already normalised text: the number of space-separated tokens.
///
/// Splits on any ASCII whitespace so that a not-quite-normalised text still counts sensibly.
pub fn word_count(normalized: &str) -> usize {
    normalized.split_ascii_whitespace().count()
}

/// A table of 256 flags, set for the byte values in `set`.
pub(crate) const fn byte_table(set: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < set.len() {
        t[set[i] as usize] = true;
        i += 1;
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_count_counts_tokens() {
        assert_eq!(word_count(""), 0);
        assert_eq!(word_count("a"), 1);
        assert_eq!(word_count(&normalize("  भारत की राजधानी, नई दिल्ली।  ")), 5);
        assert_eq!(word_count(&normalize("1,000 रुपये")), 2);
        assert_eq!(word_count("a  b "), 2);
    }
}
