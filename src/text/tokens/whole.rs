//! Tokens of a whole answer from one pass of the normaliser: the pass records where it wrote
//! each space and where it met each character that may end a sentence or a clause, and the
//! tokens are cut and numbered from those records, without reading the answer again.
//!
//! The result is the same as normalising each piece on its own
//! ([`fill_by_pieces`](Tokens::fill_by_pieces)) whenever every cut falls between two tokens of the
//! whole text, which is what normalisation makes of punctuation; the rare texts where it does not
//! (a cut right before a character that normalisation drops, a text that is not NFC) are
//! left to the pieces.

use super::{cut_kind, Tokens, START_LATER};
use crate::text::analyze_cuts_into;
use crate::text::filter::token_key;
use crate::text::negation::Markers;

impl Tokens {
    /// Fills the tokens in one pass over `raw`; false (with the fields half filled) when the
    /// text must be cut into pieces instead.
    pub(super) fn fill_whole(&mut self, raw: &str) -> bool {
        let mut spaces = std::mem::take(&mut self.spaces_buf);
        let mut cuts = std::mem::take(&mut self.cuts);
        let done = match analyze_cuts_into(raw, &mut self.text, &mut spaces, &mut cuts) {
            Some(analysis) => {
                self.letters = analysis.letters;
                self.cut_whole(raw, &spaces, &cuts)
            }
            None => false,
        };
        self.spaces_buf = spaces;
        self.cuts = cuts;
        done
    }

    /// Cuts the normalised text at `spaces` into tokens, numbering sentences and clauses at the
    /// `cuts` that end one.
    fn cut_whole(&mut self, raw: &str, spaces: &[u32], cuts: &[(u32, u32)]) -> bool {
        let len = self.text.len() as u32;
        // Single spaces between non-empty tokens, as the pass writes them.
        let well_spaced = spaces.first().is_none_or(|&s| s > 0)
            && spaces.last().is_none_or(|&s| s + 1 < len)
            && spaces.windows(2).all(|w| w[1] > w[0] + 1);
        if !well_spaced {
            return false;
        }
        let markers = Markers::get();
        let tokens = spaces.len() + 1;
        self.spans.reserve(tokens);
        self.keys.reserve(tokens);
        self.sentence.reserve(tokens);
        self.period.reserve(tokens);
        self.clause.reserve(tokens);
        let mut state = Cursor {
            sentence: 0,
            clause: 0,
            next_space: 0,
            token_start: 0,
        };
        let mut start = 0usize;
        for &(i, at) in cuts {
            let i = i as usize;
            let Some(c) = raw.get(i..).and_then(|r| r.chars().next()) else {
                return false;
            };
            let (sentence_end, clause_end) = cut_kind(raw, i, c);
            if !(sentence_end || clause_end) {
                continue;
            }
            // The cut must fall between two tokens (or at an end) of the whole text.
            if !(at == 0 || at == len || self.text.as_bytes().get(at as usize) == Some(&b' ')) {
                return false;
            }
            self.piece_whole(start, i, at, spaces, markers, &mut state);
            start = i + c.len_utf8();
            self.after_cut(c, sentence_end, &mut state.sentence, &mut state.clause);
        }
        self.piece_whole(start, raw.len(), len, spaces, markers, &mut state);
        true
    }

    /// The tokens that end at or before byte `at` of the text, as the piece `raw[from..to]`.
    fn piece_whole(
        &mut self,
        from: usize,
        to: usize,
        at: u32,
        spaces: &[u32],
        markers: &Markers,
        state: &mut Cursor,
    ) {
        let first = self.spans.len();
        let len = self.text.len() as u32;
        while state.token_start < at {
            let end = spaces.get(state.next_space).copied().unwrap_or(len);
            let (s, e) = (state.token_start, end);
            let tok = self
                .text
                .as_bytes()
                .get(s as usize..e as usize)
                .unwrap_or_default();
            let key = token_key(tok);
            let splits = markers.is_splitter_keyed(key, tok);
            self.push_span(s, e, key, state.sentence, state.clause);
            if splits {
                self.new_sentence(&mut state.sentence, &mut state.clause);
            }
            state.token_start = end + 1;
            state.next_space += 1;
        }
        if self.spans.len() > first {
            // Whether the piece is written exactly as normalised is worked out only if an
            // excerpt needs it.
            self.pieces
                .push((from as u32, to as u32, first as u32, START_LATER));
        }
    }
}

/// Where the cutting has got to.
struct Cursor {
    sentence: u32,
    clause: u32,
    /// The space that ends the next token (an index into the spaces).
    next_space: usize,
    /// Where the next token starts in the text.
    token_start: u32,
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::Tokens;
    use crate::text::pass::tests::any_char;

    /// The tokens of `s` in one pass and piece by piece: every field the same. Returns whether
    /// the one pass took the text.
    fn check(s: &str) -> Result<bool, TestCaseError> {
        let mut whole = Tokens::default();
        whole.reset(s);
        let taken = whole.fill_whole(s);
        if !taken {
            whole.fill(s);
        }
        let mut pieces = Tokens::default();
        pieces.reset(s);
        pieces.fill_by_pieces(s);
        prop_assert_eq!(&whole.text, &pieces.text, "text of {:?}", s);
        prop_assert_eq!(&whole.spans, &pieces.spans, "spans of {:?}", s);
        prop_assert_eq!(&whole.keys, &pieces.keys, "keys of {:?}", s);
        prop_assert_eq!(&whole.sentence, &pieces.sentence, "sentences of {:?}", s);
        prop_assert_eq!(&whole.clause, &pieces.clause, "clauses of {:?}", s);
        prop_assert_eq!(&whole.period, &pieces.period, "periods of {:?}", s);
        prop_assert_eq!(&whole.questions, &pieces.questions, "questions of {:?}", s);
        // The same pieces, each written exactly as normalised or not alike (the one pass works
        // that out only when asked).
        let records = |t: &Tokens| -> Vec<(u32, u32, u32, u32)> {
            (0..t.pieces.len())
                .map(|k| {
                    let (from, to, first, _) = t.pieces[k];
                    (from, to, first, t.piece_words_start(k))
                })
                .collect()
        };
        prop_assert_eq!(records(&whole), records(&pieces), "pieces of {:?}", s);
        prop_assert!(pieces.pieces.iter().all(|p| p.3 != super::START_LATER));
        prop_assert_eq!(whole.letters, pieces.letters, "letters of {:?}", s);
        for k in 0..whole.len() {
            for j in k..whole.len().min(k + 3) {
                prop_assert_eq!(whole.excerpt(k, j, 1), pieces.excerpt(k, j, 1));
            }
        }
        Ok(taken)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

        #[test]
        fn one_pass_equals_pieces_on_any_characters(chars in prop::collection::vec(any_char(), 0..60)) {
            check(&chars.into_iter().collect::<String>())?;
        }

        #[test]
        fn one_pass_equals_pieces_on_sentences(
            words in prop::collection::vec(
                "[a-zA-Z]{1,6}|[0-9]{1,3}|[\u{915}-\u{939}\u{93e}-\u{94d}]{1,4}|[\u{b95}-\u{bb9}\u{bcd}]{1,4}|[\u{995}-\u{9b9}\u{9bc}\u{9cd}]{1,3}|but|not|नहीं|U|c|[\u{200c}\u{200d}\u{301}\u{a0}]",
                0..30,
            ),
            seps in prop::collection::vec(
                prop::sample::select(vec![
                    " ", " ", " ", ", ", ". ", ".", ",", "? ", "! ", "; ", "। ", "॥", " — ", "–",
                    " “", "” ", "،", "、", ": ", " (", ") ", "[", "]", "\"", "\n", "|", "  ", "-",
                    "\u{2212}", " \u{200d}", "\u{200c}.", "\u{301},",
                ]),
                30,
            ),
        ) {
            let mut s = String::new();
            for (k, w) in words.iter().enumerate() {
                s.push_str(w);
                s.push_str(seps[k]);
            }
            check(&s)?;
        }
    }

    #[test]
    fn the_one_pass_takes_ordinary_answers_and_leaves_the_rest() {
        for s in [
            "विद्रोह १८५७ में मेरठ से शुरू हुआ; मंगल पाण्डे, और 3.45 लाख। ठीक?",
            "It cost Rs. 1,000.50 — not 2,000! Why?\nNew line",
            "মল্ল রাজারা, পলিমাটির দেশে: ইট।",
            "The U.S. team won, but not (as “they” said) in 1983.",
            "",
        ] {
            assert!(check(s).unwrap(), "{s}");
        }
        // A joiner between a digit and a comma: normalisation keeps "5,5" whole, the cut at the
        // comma does not fall between tokens, and the pieces decide.
        assert!(!check("5\u{200D},5").unwrap());
        // Not NFC: the full path, then the pieces.
        assert!(!check("ক\u{9C7}\u{9BE}, x").unwrap());
    }
}
