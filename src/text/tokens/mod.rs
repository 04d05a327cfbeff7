//! An answer as normalised tokens that remember their sentence and clause, for the checks that
//! care where a match is: negation, context windows, prompt echoes, keyword lists and evidence
//! (phrases are found at token positions by [`PhraseIndex`](super::PhraseIndex)).
//!
//! The normalised text of [`Tokens`] equals [`normalize`](super::normalize) of the whole answer:
//! the answer is cut only at characters the normaliser turns into spaces anyway (sentence and
//! clause punctuation, but not the `.` or `,` between two digits), and each piece is normalised
//! on its own.

mod whole;

use super::byte_table;
use super::filter::token_key;
use super::negation::Markers;
use super::normalize::{indic_flag_table, is_word_char, INDIC_END, INDIC_START, WORD};
use super::pass::{analyze_words_into, indic_at, Letters};

/// Sentence ends: `.` `!` `?` `;` danda, double danda, newline.
fn ends_sentence(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | ';' | '।' | '॥' | '\n' | '|')
}

/// Whether the `.` between `before` and `after` ends a sentence: it is followed by a space (or
/// the end), and it does not close an abbreviation or an initial: a word of one syllable in a
/// chain of them or before a number ("ಕ್ರಿ.ಶ. 1610", "எம். ஜி. ஆர்.", "ई.स.", "U.S.", "c. 1250").
fn full_stop(before: &str, after: &str) -> bool {
    let mut rest = after.chars();
    match rest.next() {
        None => return true,
        Some(c) if !c.is_whitespace() => return false,
        Some(_) => {}
    }
    let next_text = after.trim_start();
    let is_word = super::normalize::is_word_char;
    let word_start = before
        .char_indices()
        .rev()
        .find(|&(_, c)| !is_word(c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let word = &before[word_start..];
    if syllables(word) >= 2 {
        return true;
    }
    // A short word before a number is an abbreviation ("ಕ್ರಿ.ಶ. 1610", "c. 1250").
    if next_text.chars().next().is_some_and(char::is_numeric) {
        return false;
    }
    // A short word right after another dot ("U.S.", "ई.स."), or before another short word with
    // a dot ("எம். ஜி."), is an abbreviation or an initial.
    if before[..word_start].ends_with('.') {
        return false;
    }
    let next_end = next_text
        .char_indices()
        .find(|&(_, c)| !is_word(c))
        .map_or(next_text.len(), |(i, _)| i);
    let next_word = &next_text[..next_end];
    !(syllables(next_word) == 1 && next_text[next_end..].starts_with('.'))
}

/// Whether the character `c` at byte `i` of `raw` ends a sentence, and whether it ends a clause.
fn cut_kind(raw: &str, i: usize, c: char) -> (bool, bool) {
    if !(ends_sentence(c) || ends_clause(c)) {
        return (false, false);
    }
    // Only a '.' or ',' between two digits belongs to a number. The character after it is
    // looked at first: it is nearly always a space, which settles it without a table lookup
    // for the letter before.
    let between_digits = matches!(c, '.' | ',')
        && raw[i + 1..].chars().next().is_some_and(char::is_numeric)
        && raw[..i].chars().next_back().is_some_and(char::is_numeric);
    (
        ends_sentence(c) && (c != '.' || (!between_digits && full_stop(&raw[..i], &raw[i + 1..]))),
        ends_clause(c) && !between_digits,
    )
}

/// Fourth number of a piece's record not worked out yet (see [`Tokens::pieces`](Tokens)).
const START_LATER: u32 = u32::MAX - 1;

/// Where the words of the piece `raw[from..to]` start in the answer when the piece is written
/// exactly as `written` in the text, else `u32::MAX`.
fn piece_start(raw: &str, from: usize, to: usize, written: &[u8]) -> u32 {
    // A piece written exactly as normalised, with no separator kept inside a number, maps onto
    // the answer token for token without looking at its words again.
    let piece = raw.get(from..to).unwrap_or_default();
    let body = piece.trim_start_matches(' ');
    let lead = piece.len() - body.len();
    let same = body.trim_end_matches(' ').as_bytes() == written
        && memchr::memchr3(b',', b'.', b'-', written).is_none();
    if same {
        (from + lead) as u32
    } else {
        u32::MAX
    }
}

/// Syllables of a word, roughly: letters that are not marks, less the dead consonants
/// (consonant + virama).
fn syllables(word: &str) -> usize {
    let (mut letters, mut viramas) = (0usize, 0usize);
    for c in word.chars() {
        let (letter, virama) = syllable_parts(c);
        letters += usize::from(letter);
        viramas += usize::from(virama);
    }
    letters.saturating_sub(viramas)
}

/// Whether `c` is a letter that is not a mark, and whether it is a virama: ASCII and the Indic
/// blocks from a table built once from the general functions, other characters from them.
#[inline]
fn syllable_parts(c: char) -> (bool, bool) {
    const LETTER: u8 = 1;
    const VIRAMA: u8 = 2;
    fn general(c: char) -> u8 {
        let letter = c.is_alphabetic() && !unicode_normalization::char::is_combining_mark(c);
        (u8::from(letter) * LETTER) | (u8::from(is_virama(c)) * VIRAMA)
    }
    static TABLE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let cp = c as u32;
    if c.is_ascii() {
        return (c.is_ascii_alphabetic(), false);
    }
    let bits = match cp
        .checked_sub(INDIC_START)
        .filter(|&k| k < INDIC_END - INDIC_START)
    {
        Some(k) => {
            let table = TABLE.get_or_init(|| {
                (INDIC_START..INDIC_END)
                    .map(|cp| char::from_u32(cp).map_or(0, general))
                    .collect()
            });
            table.get(k as usize).copied().unwrap_or(0)
        }
        None => general(c),
    };
    (bits & LETTER != 0, bits & VIRAMA != 0)
}

fn is_virama(c: char) -> bool {
    matches!(
        c,
        '\u{094D}'
            | '\u{09CD}'
            | '\u{0A4D}'
            | '\u{0ACD}'
            | '\u{0B4D}'
            | '\u{0BCD}'
            | '\u{0C4D}'
            | '\u{0CCD}'
            | '\u{0D4D}'
    )
}

/// Bytes at which a character that ends a sentence or a clause ([`ends_sentence`],
/// [`ends_clause`]) may be: ASCII punctuation, the lead bytes of – — “ ” ، 、 and the second
/// byte of । ॥.
const MAY_BREAK: [bool; 256] = byte_table(b".!?;\n|,:()[]\"\xA5\xD8\xE2\xE3");

/// Bytes that may start a white-space character other than the plain space: ASCII tab, line
/// feed, vertical tab, form feed, carriage return, and the lead bytes of U+0085, U+00A0, U+1680,
/// U+2000..U+205F and U+3000.
const MAY_START_WHITE: [bool; 256] = byte_table(b"\t\n\x0B\x0C\r\xC2\xE1\xE2\xE3");

/// Clause ends inside a sentence: commas, colons, dashes and brackets.
fn ends_clause(c: char) -> bool {
    matches!(
        c,
        ',' | ':' | '—' | '–' | '(' | ')' | '[' | ']' | '،' | '、' | '"' | '“' | '”'
    )
}

/// A normalised answer cut into tokens, each with its sentence and clause.
#[derive(Debug, Default, Clone)]
pub struct Tokens {
    /// The normalised text (single spaces between tokens).
    pub text: String,
    /// Byte range of each token in `text`.
    pub spans: Vec<(u32, u32)>,
    /// Sentence number of each token (a contrastive word such as "but" also ends one).
    pub sentence: Vec<u32>,
    /// Clause number of each token (commas, colons, dashes also end one).
    pub clause: Vec<u32>,
    /// Sentence number of each token by punctuation only (`.` `!` `?` danda, newline): what
    /// `near` windows stay within; a semicolon or "but" does not end one.
    pub period: Vec<u32>,
    /// Sentences that end in a question mark, by sentence number.
    pub questions: Vec<bool>,
    /// The [`token_key`] of each token, for the filters that rule tokens out.
    pub keys: Vec<u32>,
    buf: String,
    /// Offsets of the spaces in `buf`.
    spaces_buf: Vec<u32>,
    /// Characters of the answer that may cut it, and how much text was written before each.
    cuts: Vec<(u32, u32)>,
    current_period: u32,
    /// The answer as given, and its pieces (cut at punctuation): byte range in it and first
    /// token. A token maps back to a word of the answer when its piece has as many words as
    /// tokens (excerpts quote the answer as written); the mapping is worked out only for the
    /// pieces an excerpt starts or ends in. The fourth number is where the piece's words start
    /// in the answer when the piece is written exactly as normalised (its tokens are then its
    /// words, byte for byte), else `u32::MAX`; or [`START_LATER`] when that is to be worked out
    /// when an excerpt first needs the piece ([`piece_words_start`](Self::piece_words_start)).
    raw: String,
    pieces: Vec<(u32, u32, u32, u32)>,
    raw_map: std::cell::RefCell<RawMap>,
    /// Letters per script of the answer as given, counted while normalising it.
    letters: Letters,
}

impl Tokens {
    /// Letters per script of the answer as given (the same as [`Letters::of`] on it), counted in
    /// the same pass that normalised it.
    pub fn letters(&self) -> &Letters {
        &self.letters
    }

    /// The answer as given to [`fill`](Self::fill).
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// Cuts and normalises `raw`, reusing the buffers.
    pub fn fill(&mut self, raw: &str) {
        self.reset(raw);
        if !self.fill_whole(raw) {
            self.reset(raw);
            self.fill_by_pieces(raw);
        }
    }

    fn reset(&mut self, raw: &str) {
        self.text.clear();
        self.text.reserve(raw.len());
        self.spans.clear();
        self.keys.clear();
        self.sentence.clear();
        self.period.clear();
        self.clause.clear();
        self.questions.clear();
        self.questions.push(false);
        self.current_period = 0;
        self.raw.clear();
        self.raw.push_str(raw);
        self.pieces.clear();
        self.raw_map.get_mut().clear();
        self.letters = Letters::default();
    }

    /// Normalises each piece of `raw` on its own: what [`fill_whole`](Self::fill_whole) gives
    /// in one pass, for the texts it does not take.
    fn fill_by_pieces(&mut self, raw: &str) {
        let markers = Markers::get();
        let mut sentence = 0u32;
        let mut clause = 0u32;
        let mut start = 0;
        let bytes = raw.as_bytes();
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            // Only ASCII punctuation and a few other characters end a sentence or a clause:
            // bytes that cannot belong to one are passed over one by one, without decoding.
            if !MAY_BREAK[b as usize] {
                i += 1;
                continue;
            }
            let c = match b {
                0..=0x7F => char::from(b),
                // The second byte of । and ॥ (E0 A5 A4, E0 A5 A5); E0 is always a lead byte.
                0xA5 => {
                    let danda = i > 0
                        && bytes[i - 1] == 0xE0
                        && matches!(bytes.get(i + 1), Some(0xA4 | 0xA5));
                    if !danda {
                        i += 1;
                        continue;
                    }
                    i -= 1;
                    match raw.get(i..).and_then(|r| r.chars().next()) {
                        Some(c) => c,
                        None => break,
                    }
                }
                // Lead bytes of – — “ ” (E2), ، (D8) and 、 (E3).
                _ => match raw.get(i..).and_then(|r| r.chars().next()) {
                    Some(c) if ends_sentence(c) || ends_clause(c) => c,
                    Some(c) => {
                        i += c.len_utf8();
                        continue;
                    }
                    None => break,
                },
            };
            let (sentence_end, clause_end) = cut_kind(raw, i, c);
            if sentence_end || clause_end {
                self.push_piece(raw, start, i, markers, &mut sentence, &mut clause);
                start = i + c.len_utf8();
                self.after_cut(c, sentence_end, &mut sentence, &mut clause);
            }
            i += c.len_utf8();
        }
        self.push_piece(raw, start, raw.len(), markers, &mut sentence, &mut clause);
    }

    /// What a cut at `c` does after the tokens before it: a sentence end opens a new sentence
    /// (and a new period, unless it is a semicolon), marking a question; a clause end a new
    /// clause.
    fn after_cut(&mut self, c: char, sentence_end: bool, sentence: &mut u32, clause: &mut u32) {
        if sentence_end {
            if c == '?' && self.sentence.last() == Some(sentence) {
                if let Some(q) = self.questions.last_mut() {
                    *q = true;
                }
            }
            self.new_sentence(sentence, clause);
            if c != ';' {
                self.current_period += 1;
            }
        } else {
            *clause += 1;
        }
    }

    /// Records the token `tok` at `s..e` of the text in `sentence` and `clause`; true when it is
    /// a splitter word, which ends its sentence.
    #[inline(always)]
    fn push_token(
        &mut self,
        s: u32,
        e: u32,
        tok: &str,
        markers: &Markers,
        sentence: u32,
        clause: u32,
    ) -> bool {
        let key = token_key(tok.as_bytes());
        self.push_span(s, e, key, sentence, clause);
        markers.is_splitter_keyed(key, tok.as_bytes())
    }

    /// Records a token at `s..e` of the text, with its [`token_key`], in `sentence` and `clause`.
    #[inline(always)]
    fn push_span(&mut self, s: u32, e: u32, key: u32, sentence: u32, clause: u32) {
        self.spans.push((s, e));
        self.keys.push(key);
        self.sentence.push(sentence);
        self.period.push(self.current_period);
        self.clause.push(clause);
    }

    fn new_sentence(&mut self, sentence: &mut u32, clause: &mut u32) {
        // Only open a new sentence when the current one has tokens, so numbers stay small.
        if self.sentence.last() == Some(sentence) {
            *sentence += 1;
            self.questions.push(false);
        }
        *clause += 1;
    }

    fn push_piece(
        &mut self,
        raw: &str,
        from: usize,
        to: usize,
        markers: &Markers,
        sentence: &mut u32,
        clause: &mut u32,
    ) {
        let piece = &raw[from..to];
        if piece.trim().is_empty() {
            return;
        }
        let mut buf = std::mem::take(&mut self.buf);
        let mut spaces = std::mem::take(&mut self.spaces_buf);
        // Pieces are cut at punctuation, never at a letter, so their letters add up to the
        // answer's.
        let analysis = analyze_words_into(piece, &mut buf, &mut spaces);
        self.letters.add_after_break(&analysis.letters);
        let first = self.spans.len();
        // Single spaces between non-empty tokens (as the pass writes them): the piece is copied
        // whole and its tokens are cut at the recorded spaces.
        let well_spaced = !buf.is_empty()
            && spaces.first().is_none_or(|&s| s > 0)
            && spaces.last().is_none_or(|&s| (s as usize) + 1 < buf.len())
            && spaces.windows(2).all(|w| w[1] > w[0] + 1);
        if well_spaced {
            if !self.text.is_empty() {
                self.text.push(' ');
            }
            let base = self.text.len() as u32;
            self.text.push_str(&buf);
            let mut at = 0u32;
            for end in spaces
                .iter()
                .copied()
                .chain(std::iter::once(buf.len() as u32))
            {
                let tok = buf.get(at as usize..end as usize).unwrap_or_default();
                if self.push_token(base + at, base + end, tok, markers, *sentence, *clause) {
                    self.new_sentence(sentence, clause);
                }
                at = end + 1;
            }
        } else {
            let mut at = 0;
            for end in spaces
                .iter()
                .map(|&e| e as usize)
                .chain(std::iter::once(buf.len()))
            {
                let Some(tok) = buf.get(at..end) else {
                    break;
                };
                at = end + 1;
                if tok.is_empty() {
                    continue;
                }
                if !self.text.is_empty() {
                    self.text.push(' ');
                }
                let s = self.text.len() as u32;
                self.text.push_str(tok);
                let e = self.text.len() as u32;
                if self.push_token(s, e, tok, markers, *sentence, *clause) {
                    self.new_sentence(sentence, clause);
                }
            }
        }
        self.spaces_buf = spaces;
        if self.spans.len() > first {
            let at = piece_start(raw, from, to, buf.as_bytes());
            self.pieces.push((from as u32, to as u32, first as u32, at));
        }
        self.buf = buf;
    }

    /// Works out the byte ranges in the answer as given of the tokens of piece `k` (`u32::MAX`
    /// twice for every token of a piece that does not map word for word onto the answer), once
    /// per answer.
    fn map_piece(&self, k: usize, map: &mut RawMap) {
        if map.ready.len() != self.pieces.len() {
            map.ready.clear();
            map.ready.resize(self.pieces.len(), false);
            map.spans.clear();
            map.spans.resize(self.spans.len(), (u32::MAX, u32::MAX));
        }
        if map.ready[k] {
            return;
        }
        map.ready[k] = true;
        let (from, to, first, _) = self.pieces[k];
        let end = self.piece_end(k);
        let at = self.piece_words_start(k);
        if at != u32::MAX {
            let base = self.spans[first as usize].0;
            for (out, &(s, e)) in map.spans[first as usize..end]
                .iter_mut()
                .zip(&self.spans[first as usize..end])
            {
                *out = (at + (s - base), at + (e - base));
            }
            return;
        }
        let mut words = std::mem::take(&mut map.words);
        words.clear();
        self.piece_words(from as usize, to as usize, &mut words);
        let out = &mut map.spans[first as usize..end];
        if words.len() == out.len() {
            out.copy_from_slice(&words);
        }
        map.words = words;
    }

    /// One past the last token of piece `k`.
    fn piece_end(&self, k: usize) -> usize {
        match self.pieces.get(k + 1) {
            Some(&(_, _, next, _)) => next as usize,
            None => self.spans.len(),
        }
    }

    /// Where the words of piece `k` start in the answer when the piece is written exactly as
    /// normalised, else `u32::MAX` (the fourth number of its record, worked out now if it was
    /// left for later).
    fn piece_words_start(&self, k: usize) -> u32 {
        let (from, to, first, at) = self.pieces[k];
        if at != START_LATER {
            return at;
        }
        let (first, end) = (first as usize, self.piece_end(k));
        let written = match (
            self.spans.get(first),
            end.checked_sub(1).and_then(|l| self.spans.get(l)),
        ) {
            (Some(&(a, _)), Some(&(_, b))) if end > first => self
                .text
                .as_bytes()
                .get(a as usize..b as usize)
                .unwrap_or_default(),
            _ => return u32::MAX,
        };
        piece_start(&self.raw, from as usize, to as usize, written)
    }

    /// Where token `a` starts and token `b` ends in the answer as given, each `u32::MAX` when its
    /// piece does not map word for word onto the answer.
    fn raw_range(&self, a: usize, b: usize) -> (u32, u32) {
        let mut map = self.raw_map.borrow_mut();
        let piece = |t: usize| {
            self.pieces
                .partition_point(|p| p.2 as usize <= t)
                .saturating_sub(1)
        };
        if self.pieces.is_empty() || a >= self.spans.len() || b >= self.spans.len() {
            return (u32::MAX, u32::MAX);
        }
        self.map_piece(piece(a), &mut map);
        self.map_piece(piece(b), &mut map);
        (map.spans[a].0, map.spans[b].1)
    }

    /// Appends the byte ranges of the words of `raw[from..to]` as written: runs of word
    /// characters (joiners stay inside a word, as normalisation removes them).
    fn piece_words(&self, from: usize, to: usize, out: &mut Vec<Span>) {
        let bytes = self.raw.as_bytes();
        let flags = indic_flag_table();
        let mut word_start = None;
        let mut j = from;
        while j < to {
            let b = bytes[j];
            let (inside, len) = if b < 0x80 {
                (b.is_ascii_alphanumeric(), 1)
            } else if let Some(cp) = indic_at(bytes, j) {
                let flag = flags.get((cp - INDIC_START) as usize).copied().unwrap_or(0);
                (flag & WORD != 0, 3)
            } else {
                match self.raw.get(j..).and_then(|r| r.chars().next()) {
                    Some(c) => (
                        is_word_char(c) || c == '\u{200C}' || c == '\u{200D}',
                        c.len_utf8(),
                    ),
                    None => break,
                }
            };
            match (inside, word_start) {
                (true, None) => word_start = Some(j),
                (false, Some(w)) => {
                    out.push((w as u32, j as u32));
                    word_start = None;
                }
                _ => {}
            }
            j += len;
        }
        if let Some(w) = word_start {
            out.push((w as u32, to as u32));
        }
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Token `i`.
    pub fn get(&self, i: usize) -> &str {
        let (s, e) = self.spans[i];
        &self.text[s as usize..e as usize]
    }

    /// Tokens `first..=last` with up to `context` tokens either side, `…` marking a cut: as
    /// the answer wrote them when they map back to its words, else as normalised.
    pub fn excerpt(&self, first: usize, last: usize, context: usize) -> String {
        let mut out = String::new();
        self.excerpt_into(first, last, context, &mut out);
        out
    }

    /// [`excerpt`](Self::excerpt), appended to `out`.
    pub fn excerpt_into(&self, first: usize, last: usize, context: usize, out: &mut String) {
        if self.is_empty() {
            return;
        }
        let last = last.min(self.len() - 1);
        let a = first.saturating_sub(context);
        let b = (last + context).min(self.len() - 1);
        if a > 0 {
            out.push('…');
        }
        let (ra, rb) = self.raw_range(a, b);
        if ra != u32::MAX && rb != u32::MAX && ra <= rb {
            // As written, with line breaks and runs of spaces as one space: the runs between
            // white space are copied whole.
            let part = self.raw.get(ra as usize..rb as usize).unwrap_or_default();
            let bytes = part.as_bytes();
            let mut space = false;
            let mut run = 0;
            let mut j = 0;
            let flush = |out: &mut String, from: usize, to: usize, space: &mut bool| {
                if from < to {
                    if *space {
                        out.push(' ');
                        *space = false;
                    }
                    out.push_str(part.get(from..to).unwrap_or_default());
                }
            };
            // Most excerpts are words with one plain space between them: copied whole.
            let plain = !bytes.iter().any(|&b| MAY_START_WHITE[usize::from(b)])
                && !part.ends_with(' ')
                && memchr::memmem::find(bytes, b"  ").is_none();
            if plain {
                out.push_str(part);
                j = bytes.len();
                run = j;
            }
            // The length of the white-space character at `j`, if there is one there.
            let white_at = |j: usize| -> Option<usize> {
                match *bytes.get(j)? {
                    b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r' => Some(1),
                    // Only these lead bytes start white space beyond ASCII (U+0085, U+00A0,
                    // U+1680, U+2000..U+205F, U+3000).
                    0xC2 | 0xE1 | 0xE2 | 0xE3 => part
                        .get(j..)?
                        .chars()
                        .next()
                        .filter(|c| c.is_whitespace())
                        .map(char::len_utf8),
                    _ => None,
                }
            };
            while let Some(&b) = bytes.get(j) {
                let Some(len) = white_at(j) else {
                    j += match b {
                        0..=0x7F => 1,
                        0xC0..=0xDF => 2,
                        0xE0..=0xEF => 3,
                        _ => 4,
                    };
                    continue;
                };
                let mut end = j + len;
                while let Some(len) = white_at(end) {
                    end += len;
                }
                // One plain space inside the excerpt stays where it is, in the run being
                // copied; any other white space becomes one space.
                if !(b == b' ' && end == j + 1 && end < bytes.len()) {
                    flush(out, run, j, &mut space);
                    space = true;
                    run = end;
                }
                j = end;
            }
            flush(out, run, bytes.len(), &mut space);
        } else {
            out.push_str(&self.text[self.spans[a].0 as usize..self.spans[b].1 as usize]);
        }
        if b + 1 < self.len() {
            out.push('…');
        }
    }

    /// The token index at byte offset `at` of `text` (the token containing it or the next one).
    pub fn token_at(&self, at: usize) -> usize {
        self.spans.partition_point(|&(_, e)| (e as usize) <= at)
    }
}

/// The tokens' byte ranges in the answer as given, worked out piece by piece as excerpts need
/// them.
#[derive(Debug, Default, Clone)]
struct RawMap {
    /// By token; `u32::MAX` twice where unknown.
    spans: Vec<Span>,
    /// By piece: whether its tokens are worked out.
    ready: Vec<bool>,
    /// The words of the piece being worked out.
    words: Vec<Span>,
}

impl RawMap {
    fn clear(&mut self) {
        self.spans.clear();
        self.ready.clear();
    }
}

/// A phrase occurrence: its first and last token.
pub type Span = (u32, u32);

#[cfg(test)]
impl Tokens {
    /// The tokens of `s`, for tests.
    pub(crate) fn of(s: &str) -> Tokens {
        let mut t = Tokens::default();
        t.fill(s);
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syllable_parts_agree_with_the_general_functions_on_every_bmp_char() {
        for cp in 0..0x1_0000u32 {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            let letter = c.is_alphabetic() && !unicode_normalization::char::is_combining_mark(c);
            assert_eq!(syllable_parts(c), (letter, is_virama(c)), "U+{cp:04X}");
        }
        assert_eq!(syllables("ಕ್ರಿ"), 1);
        assert_eq!(syllables("எம்"), 1);
        assert_eq!(syllables("Bengal"), 6);
        assert_eq!(syllables("कत्"), 1);
    }

    fn toks(s: &str) -> Tokens {
        Tokens::of(s)
    }

    #[test]
    fn text_equals_whole_normalisation() {
        for s in [
            "विद्रोह १८५७ में मेरठ से शुरू हुआ; मंगल पाण्डे, और 3.45 लाख। ठीक?",
            "It cost Rs. 1,000.50 — not 2,000! Why?\nNew line",
            "মল্ল রাজারা, পলিমাটির দেশে: ইট।",
            "",
            "  ,,, ",
        ] {
            assert_eq!(toks(s).text, super::super::normalize(s), "{s}");
        }
    }

    #[test]
    fn sentences_clauses_and_questions() {
        let t = toks("Not the sitar, the ektara. Was it Akbar? No; but X");
        let words: Vec<&str> = (0..t.len()).map(|i| t.get(i)).collect();
        assert_eq!(
            words,
            ["not", "the", "sitar", "the", "ektara", "was", "it", "akbar", "no", "but", "x"]
        );
        assert_eq!(t.sentence, [0, 0, 0, 0, 0, 1, 1, 1, 2, 3, 4]);
        // Periods: only punctuation ends one, not ";" or "but".
        assert_eq!(t.period, [0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2]);
        assert_ne!(t.clause[2], t.clause[3]);
        assert_eq!(t.clause[0], t.clause[2]);
        assert!(t.questions[1]);
        assert!(!t.questions[0]);
        // A decimal point and digit grouping do not cut.
        let t = toks("3.5 and 1,000 घोड़े, २४ चाके");
        assert_eq!(t.clause[0], t.clause[2]);
        assert_ne!(t.clause[2], t.clause[4]);
    }

    #[test]
    fn every_break_character_cuts_and_look_alike_bytes_do_not() {
        for c in [
            '।', '॥', '—', '–', '“', '”', '،', '、', '|', ';', ':', '(', ']',
        ] {
            let t = toks(&format!("ab{c}cd"));
            assert_eq!(t.len(), 2, "{c}");
            assert_ne!(t.clause[0], t.clause[1], "{c}");
        }
        // थ (E0 A4 A5) and ी (E0 A5 80) share bytes with the danda (E0 A5 A4); ‘ (E2 80 98)
        // and € (E2 82 AC) share the lead byte of the dashes.
        for text in ["तथी कथा", "थीथी ‘x’ €5", "ॡॢ ॣ"] {
            let t = toks(text);
            assert!(t.clause.iter().all(|&c| c == 0), "{text}: {:?}", t.clause);
        }
    }

    #[test]
    fn abbreviations_and_initials_do_not_end_a_sentence() {
        for text in [
            "ರಾಜ ಒಡೆಯರು ಕ್ರಿ.ಶ. 1610ರಲ್ಲಿ ಆರಂಭಿಸಿದರು",
            "எம். ஜி. ஆர். 1977 இல் முதலமைச்சரானார்",
            "ई.स. 1674 मध्ये राज्याभिषेक झाला",
            "The U.S. team won",
            "Konark, c. 1250, in Odisha",
        ] {
            let t = toks(text);
            assert!(
                t.sentence.iter().all(|&s| s == 0),
                "{text}: {:?}",
                t.sentence
            );
        }
        for text in [
            "ते मंदिर आहे. पुढे",
            "ಇದು ದೇವಾಲಯ ಇದೆ. ಮುಂದೆ",
            "It was built. Then",
            "63 பேர். ஆழ்வார்கள்",
        ] {
            let t = toks(text);
            assert_eq!(t.sentence.last(), Some(&1), "{text}: {:?}", t.sentence);
        }
    }

    proptest::proptest! {
        #[test]
        fn excerpts_fold_white_space_as_splitting_on_it_does(
            words in proptest::collection::vec(
                "[a-zA-Z0-9]{1,5}|[\u{915}-\u{939}\u{93e}-\u{94c}]{1,4}|[\u{c15}-\u{c28}\u{c3e}-\u{c44}]{1,4}",
                1..12,
            ),
            gaps in proptest::collection::vec(
                "[ \t\n\r\u{b}\u{c}\u{85}\u{a0}\u{1680}\u{2003}\u{2028}\u{205f}\u{3000}]{1,3}| ",
                12,
            ),
            lead in "[ \n]{0,2}",
        ) {
            let mut text = lead.clone();
            let mut part = String::new();
            for (k, w) in words.iter().enumerate() {
                if k > 0 {
                    text.push_str(&gaps[k]);
                    part.push_str(&gaps[k]);
                }
                text.push_str(w);
                part.push_str(w);
            }
            text.push_str(&gaps[0]);
            // Each run of white space as one space, written by hand.
            let mut want = String::new();
            for (k, piece) in part.split(char::is_whitespace).enumerate() {
                if !piece.is_empty() {
                    if k > 0 && !want.is_empty() {
                        want.push(' ');
                    }
                    want.push_str(piece);
                }
            }
            let t = toks(&text);
            if t.len() == words.len() {
                proptest::prop_assert_eq!(t.excerpt(0, t.len() - 1, 0), want);
            }
        }
    }

    /// The pieces written exactly as normalised map onto the same words as those found by
    /// reading the piece again.
    fn check_pieces(text: &str) {
        let t = toks(text);
        for (k, &(from, to, first, _)) in t.pieces.iter().enumerate() {
            let end = t.pieces.get(k + 1).map_or(t.len(), |p| p.2 as usize);
            let mut map = RawMap::default();
            t.map_piece(k, &mut map);
            let mut words = Vec::new();
            t.piece_words(from as usize, to as usize, &mut words);
            let want: Vec<Span> = if words.len() == end - first as usize {
                words
            } else {
                vec![(u32::MAX, u32::MAX); end - first as usize]
            };
            assert_eq!(
                map.spans[first as usize..end],
                want[..],
                "{text:?} piece {k}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn pieces_map_onto_the_words_found_again(
            words in proptest::collection::vec(
                "[a-z0-9]{1,5}|[A-Z][a-z]{0,3}|[\u{915}-\u{939}\u{93e}-\u{94c}]{1,4}|[0-9][,.][0-9]|-[0-9]|[\u{200c}\u{200d}\u{301}]",
                1..14,
            ),
            seps in proptest::collection::vec("[ ,.;।]|  | - |\u{a0}", 14),
        ) {
            let mut text = String::new();
            for (k, w) in words.iter().enumerate() {
                text.push_str(w);
                text.push_str(&seps[k]);
            }
            check_pieces(&text);
        }
    }

    #[test]
    fn pieces_written_as_normalised_map_without_reading_again() {
        let t = toks("राजा ने मंदिर बनवाया, 1,000 रुपये; ok Then");
        let fast: Vec<bool> = (0..t.pieces.len())
            .map(|k| t.piece_words_start(k) != u32::MAX)
            .collect();
        // The first and third pieces are written as normalised; the number keeps a comma, and
        // "Then" is not lower case.
        assert_eq!(fast, [true, false, false]);
        check_pieces("राजा ने मंदिर बनवाया, 1,000 रुपये; ok Then");
        assert_eq!(t.excerpt(0, 3, 0), "राजा ने मंदिर बनवाया…");
    }

    #[test]
    fn excerpts_fold_every_kind_of_white_space() {
        // The answer as written with each run of white space as one space, cut by hand.
        let t = toks(
            "ab\u{a0}\u{85}cd\u{2003}\u{3000}ef\t\u{b}gh\u{1c}ij \u{1680}kl\u{2029}\u{205f}mn",
        );
        assert_eq!(t.len(), 7);
        assert_eq!(t.excerpt(0, 6, 0), "ab cd ef gh\u{1c}ij kl mn");
        assert_eq!(t.excerpt(2, 3, 0), "…ef gh…");
        assert_eq!(t.excerpt(3, 4, 0), "…gh\u{1c}ij…");
    }

    #[test]
    fn excerpts() {
        let t = toks("a b c d e f g h");
        assert_eq!(t.excerpt(3, 3, 1), "…c d e…");
        assert_eq!(t.excerpt(0, 1, 2), "a b c d…");
        assert_eq!(t.excerpt(6, 7, 5), "…b c d e f g h");
        assert_eq!(t.token_at(4), 2);
        // Quoted as written: case, nukta, punctuation and line breaks kept (as one space).
        let t = toks("Rajaraja's temple, at Tanjore.\nफ़िल्म (1987) ৰাজ্য");
        assert_eq!(t.excerpt(0, 1, 1), "Rajaraja's temple…");
        assert_eq!(t.excerpt(4, 5, 1), "…at Tanjore. फ़िल्म (1987…");
        // A number with grouping does not map back word for word: normalised text instead.
        let t = toks("costs 1,000 rupees");
        assert_eq!(t.excerpt(1, 1, 1), "costs 1,000 rupees");
    }
}
