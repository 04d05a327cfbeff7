//! One pass over a text's bytes: the normalised text, its word count and its letters per script,
//! together.
//!
//! The rule judge needs all three of every answer. Each byte is read once: ASCII bytes and the
//! Indic blocks (U+0900..U+0D7F, three UTF-8 bytes each) are answered from tables that give, for
//! the character as written, its script and whether it is a letter, and, for what normalisation
//! maps it to, the mapping itself, the word-character flag and the NFC quick-check properties.
//! Other characters take the general lookups. The mapped characters go straight through the
//! context rules of [`normalize`](super::normalize) into the output, while the NFC quick check
//! runs alongside; in the rare case that it fails (decomposed or unusually ordered input) the
//! text is normalised again by the full decompose-map-recompose path, which gives the same result
//! as before.

use std::sync::OnceLock;

use unicode_normalization::char::{canonical_combining_class, compose, is_combining_mark};
use unicode_normalization::{is_nfc_quick, IsNormalized};

use super::normalize::{
    fold_nasal, indic_flags, is_letter, is_word_char, map_brahmic, map_char, normalize_full,
    INDIC_END, INDIC_LEN, INDIC_START, MAYBE_STARTER, NFC_YES, WORD,
};
use super::script::Script;

/// Letters of a text per script, counted as [`script_share`](super::script_share) counts them:
/// alphabetic characters and combining marks are letters; a combining mark outside the script
/// blocks counts for the script of the letter it sits on; letters of other scripts count only in
/// the total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Letters {
    counts: [usize; Script::ALL.len()],
    total: usize,
}

impl Letters {
    /// Counts the letters of `text` (raw or normalised alike) in one pass, without normalising.
    pub fn of(text: &str) -> Letters {
        let table = pass_table();
        let mut letters = Letters::default();
        let mut last = NO_SCRIPT;
        let bytes = text.as_bytes();
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            if b < 0x80 {
                last = letters.add_ascii(b);
                i += 1;
            } else if let Some(cp) = indic_at(bytes, i) {
                last = letters.add_indic(table.entry(cp).letter);
                i += 3;
            } else {
                let Some(c) = text.get(i..).and_then(|t| t.chars().next()) else {
                    break;
                };
                last = letters.add_generic(c, last);
                i += c.len_utf8();
            }
        }
        letters
    }

    /// Letters in `script`.
    pub fn count(&self, script: Script) -> usize {
        self.counts[script as usize]
    }

    /// Letters in all, those of scripts outside [`Script::ALL`] included.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Share (0..=1) of the letters that are in `script`; 0.0 when there are no letters.
    pub fn share(&self, script: Script) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.counts[script as usize] as f64 / self.total as f64
        }
    }

    /// The script with the most letters and its share of all letters; `None` when no letter is in
    /// a known script. Ties go to the script that comes first in [`Script::ALL`].
    pub fn dominant(&self) -> Option<(Script, f64)> {
        let mut best: Option<(Script, usize)> = None;
        for (script, &count) in Script::ALL.iter().zip(self.counts.iter()) {
            if count > 0 && best.is_none_or(|(_, b)| count > b) {
                best = Some((*script, count));
            }
        }
        best.map(|(script, count)| (script, count as f64 / self.total as f64))
    }

    /// Adds the letters of a text that follows this one after a character that is not a letter
    /// (pieces of one answer cut at punctuation): the sum is the count of the whole.
    pub(super) fn add_after_break(&mut self, next: &Letters) {
        for (a, b) in self.counts.iter_mut().zip(next.counts.iter()) {
            *a += b;
        }
        self.total += next.total;
    }

    /// Counts an ASCII byte; returns the script code of the character for a following mark.
    #[inline(always)]
    fn add_ascii(&mut self, b: u8) -> u8 {
        if b.is_ascii_alphabetic() {
            self.counts[Script::Latn as usize] += 1;
            self.total += 1;
            Script::Latn as u8
        } else {
            NO_SCRIPT
        }
    }

    /// Counts a character of the Indic blocks from its table code ([`Entry::letter`]).
    #[inline(always)]
    fn add_indic(&mut self, letter: u8) -> u8 {
        if letter != NO_SCRIPT {
            // Every letter of these blocks has the script of its block.
            if let Some(n) = self.counts.get_mut(letter as usize) {
                *n += 1;
            }
            self.total += 1;
        }
        letter
    }

    /// Counts any other character; `last` is the script code of the character before it.
    fn add_generic(&mut self, c: char, last: u8) -> u8 {
        if !is_letter(c) {
            return NO_SCRIPT;
        }
        self.total += 1;
        let script = match Script::of_char(c) {
            Some(s) => s as u8,
            None if is_combining_mark(c) => last,
            None => NO_SCRIPT,
        };
        if let Some(n) = self.counts.get_mut(script as usize) {
            *n += 1;
        }
        script
    }
}

/// What one pass over a text gives besides its normalised form.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Analysis {
    /// Letters per script of the text as given (not of its normalised form).
    pub letters: Letters,
    /// Words of the normalised text: what [`word_count`](super::word_count) gives on it.
    pub words: usize,
}

/// Normalises `s` into `out` (cleared first; the same result as
/// [`normalize_into`](super::normalize_into)) and, in the same pass, counts the letters of `s` per
/// script and the words of the result.
pub fn analyze_into(s: &str, out: &mut String) -> Analysis {
    out.clear();
    out.reserve(s.len());
    let table = pass_table();
    let mut letters = Letters::default();
    let mut last = NO_SCRIPT;
    let mut p = Pass::new(out);
    let bytes = s.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b < 0x80 {
            if b.is_ascii_alphanumeric() {
                // A run of ASCII letters and digits goes through in one tight loop.
                p.begin_ascii_word(b);
                let mut end = i;
                let mut alpha = 0;
                let mut last_byte = b;
                while let Some(&c) = bytes.get(end) {
                    let lower = c | 0x20;
                    if lower.wrapping_sub(b'a') < 26 {
                        alpha += 1;
                        p.out.push(char::from(lower));
                    } else if c.wrapping_sub(b'0') < 10 {
                        p.out.push(char::from(c));
                    } else {
                        break;
                    }
                    last_byte = c;
                    end += 1;
                }
                letters.counts[Script::Latn as usize] += alpha;
                letters.total += alpha;
                last = if last_byte.is_ascii_alphabetic() {
                    Script::Latn as u8
                } else {
                    NO_SCRIPT
                };
                p.end_ascii_word(last_byte);
                i = end;
            } else {
                last = NO_SCRIPT;
                p.ascii(b);
                i += 1;
            }
            continue;
        }
        if let Some(cp) = indic_at(bytes, i) {
            let e = table.entry(cp);
            if e.flags & FAST != 0 {
                // A run of letters and signs that stay as they are is copied in bulk.
                let end = p.indic_run(bytes, i, cp, table, &mut letters, &mut last);
                if end > i {
                    p.out.push_str(s.get(i..end).unwrap_or_default());
                    i = end;
                    continue;
                }
            }
            last = letters.add_indic(e.letter);
            match e.map {
                MAP_SELF => p.indic(cp, e.flags, e.ccc),
                MAP_EMPTY => {}
                _ => {
                    for to in e.to {
                        if to != 0 {
                            p.mapped(u32::from(to), table);
                        }
                    }
                }
            }
            i += 3;
        } else {
            let Some(c) = s.get(i..).and_then(|t| t.chars().next()) else {
                break;
            };
            last = letters.add_generic(c, last);
            for m in map_char(c) {
                p.mapped(m as u32, table);
            }
            i += c.len_utf8();
        }
        if p.failed {
            break;
        }
    }
    if p.failed {
        // The mapped text is not known to be NFC: the full path, and a separate count.
        normalize_full(s, out);
        let words = if out.is_empty() {
            0
        } else {
            1 + memchr::memchr_iter(b' ', out.as_bytes()).count()
        };
        return Analysis {
            letters: Letters::of(s),
            words,
        };
    }
    let words = p.finish();
    Analysis { letters, words }
}

/// "No script" in the script codes of the letter counts (a code is `Script as u8`).
const NO_SCRIPT: u8 = u8::MAX;

/// The code point of the Indic-block character at byte `i`, if the character there is one.
#[inline(always)]
fn indic_at(bytes: &[u8], i: usize) -> Option<u32> {
    // U+0900..U+0D7F is E0 A4 80 ..= E0 B5 BF in UTF-8; `bytes` is valid UTF-8, so a lead byte
    // E0 is followed by two continuation bytes.
    match bytes.get(i..i + 3) {
        Some(&[0xE0, b1 @ 0xA4..=0xB5, b2]) => {
            Some((u32::from(b1 & 0x3F) << 6) | u32::from(b2 & 0x3F))
        }
        _ => None,
    }
}

/// Flag of [`Entry::flags`]: a character that normalisation keeps as it is, a word character,
/// NFC quick check "yes" or a "maybe" of class 0 (see [`Pass::indic_run`]).
const FAST: u8 = 0x40;
/// Flag: composes with some character of the Indic blocks that follows it.
const COMPOSES_FIRST: u8 = 0x20;
/// Flag: a stop consonant of a block with the nasal rule (the third character of its pattern).
const STOP: u8 = 0x10;

/// Mapping kinds of [`Entry::map`].
const MAP_SELF: u8 = 0;
const MAP_EMPTY: u8 = 1;
const MAP_OTHER: u8 = 2;

/// What the tables know of one character of the Indic blocks.
#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    /// Flags of the character in the mapped stream (`WORD`, `NFC_YES`, `MAYBE_STARTER`).
    flags: u8,
    /// Its canonical combining class.
    ccc: u8,
    /// As written: the script code when it is a letter, `NO_SCRIPT` otherwise.
    letter: u8,
    /// What normalisation maps it to: itself, nothing, or the characters in `to`.
    map: u8,
    /// With `MAP_OTHER`: one or two code points (0 for none), Indic or ASCII digits.
    to: [u16; 2],
}

struct PassTable {
    entries: [Entry; INDIC_LEN],
}

impl PassTable {
    #[inline(always)]
    fn entry(&self, cp: u32) -> &Entry {
        // `cp` comes from `indic_at`, which only yields code points of the Indic blocks; an
        // index out of range would be a bug, and gets the harmless default entry.
        const EMPTY: Entry = Entry {
            flags: 0,
            ccc: 0,
            letter: NO_SCRIPT,
            map: MAP_EMPTY,
            to: [0, 0],
        };
        self.entries
            .get(cp.wrapping_sub(INDIC_START) as usize)
            .unwrap_or(&EMPTY)
    }
}

/// The tables, built once from the same functions the general path uses, so both agree.
fn pass_table() -> &'static PassTable {
    static TABLE: OnceLock<PassTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = PassTable {
            entries: [Entry::default(); INDIC_LEN],
        };
        for (i, cp) in (INDIC_START..INDIC_END).enumerate() {
            let e = &mut t.entries[i];
            let Some(c) = char::from_u32(cp) else {
                e.letter = NO_SCRIPT;
                e.map = MAP_EMPTY;
                continue;
            };
            let (flags, ccc) = indic_flags(cp);
            e.flags = flags;
            e.ccc = ccc;
            e.letter = match Script::of_char(c) {
                Some(s) if is_letter(c) => s as u8,
                _ => NO_SCRIPT,
            };
            let virama = char::from_u32((cp & !0x7F) + 0x4D).unwrap_or('\0');
            if (0x15..=0x2D).contains(&(cp & 0x7F))
                && (INDIC_START..INDIC_END)
                    .filter_map(char::from_u32)
                    .any(|nasal| fold_nasal(nasal, virama, c).is_some())
            {
                e.flags |= STOP;
            }
            let mapped: Vec<char> = map_brahmic(c, cp).collect();
            match mapped.as_slice() {
                [m] if *m == c => e.map = MAP_SELF,
                [] => e.map = MAP_EMPTY,
                [a] => {
                    e.map = MAP_OTHER;
                    e.to = [*a as u16, 0];
                }
                [a, b] => {
                    e.map = MAP_OTHER;
                    e.to = [*a as u16, *b as u16];
                }
                _ => unreachable!("Indic characters map to at most two characters"),
            }
            if e.map == MAP_SELF && flags & WORD != 0 && flags & (NFC_YES | MAYBE_STARTER) != 0 {
                e.flags |= FAST;
            }
        }
        // Only characters whose quick check is not "yes" can compose with the one before them.
        let chars: Vec<char> = (INDIC_START..INDIC_END)
            .filter_map(char::from_u32)
            .collect();
        let seconds: Vec<char> = chars
            .iter()
            .copied()
            .filter(|&b| indic_flags(b as u32).0 & NFC_YES == 0)
            .collect();
        for &a in &chars {
            if seconds.iter().any(|&b| compose(a, b).is_some()) {
                t.entries[(a as u32 - INDIC_START) as usize].flags |= COMPOSES_FIRST;
            }
        }
        t
    })
}

/// The state of the context rules and of the NFC quick check over the mapped characters.
struct Pass<'a> {
    out: &'a mut String,
    /// A word break was seen: one space goes before the next character written, if any.
    pending_space: bool,
    /// Spaces written between words.
    spaces: usize,
    /// The previous mapped character was a word character / an ASCII digit.
    prev_word: bool,
    prev_digit: bool,
    /// The last two characters written, contiguous; '\0' when unknown (for the nasal rule).
    tail: [char; 2],
    /// A `,` `.` or `-` that stays only if a digit comes next.
    pending_sep: Option<char>,
    /// NFC quick check: canonical combining class and the previous mapped character.
    last_ccc: u8,
    prev: char,
    /// The quick check did not say "yes": the caller takes the full path.
    failed: bool,
}

impl<'a> Pass<'a> {
    fn new(out: &'a mut String) -> Self {
        Pass {
            out,
            pending_space: false,
            spaces: 0,
            prev_word: false,
            prev_digit: false,
            tail: ['\0', '\0'],
            pending_sep: None,
            last_ccc: 0,
            prev: '\0',
            failed: false,
        }
    }

    /// Words of the output.
    fn finish(self) -> usize {
        // A pending separator at the end becomes a space, which is never written.
        if self.out.is_empty() {
            0
        } else {
            self.spaces + 1
        }
    }

    #[inline(always)]
    fn push(&mut self, c: char) {
        if self.pending_space {
            if !self.out.is_empty() {
                self.out.push(' ');
                self.spaces += 1;
            }
            self.pending_space = false;
        }
        self.out.push(c);
    }

    /// The context rules for one mapped character.
    #[inline(always)]
    fn rule(&mut self, c: char, is_word: bool, is_digit: bool) {
        if let Some(k) = self.pending_sep.take() {
            if is_digit {
                self.push(k);
                self.tail = [self.tail[1], k];
            } else {
                self.pending_space = true;
                self.tail = ['\0', '\0'];
            }
        }
        if is_word {
            if let Some(anusvara) = fold_nasal(self.tail[0], self.tail[1], c) {
                // Both removed characters are in U+0900..U+0D7F, three UTF-8 bytes each.
                let len = self.out.len() - self.tail[0].len_utf8() - self.tail[1].len_utf8();
                self.out.truncate(len);
                self.push(anusvara);
                self.tail = [anusvara, c];
            } else {
                self.tail = [self.tail[1], c];
            }
            self.push(c);
        } else {
            match c {
                ',' | '.' if self.prev_digit => self.pending_sep = Some(c),
                // U+2212 MINUS SIGN is written as '-' so that both spellings match.
                '-' | '\u{2212}' if !self.prev_word => self.pending_sep = Some('-'),
                _ => {
                    self.pending_space = true;
                    self.tail = ['\0', '\0'];
                }
            }
        }
        self.prev_word = is_word;
        self.prev_digit = is_digit;
    }

    /// An ASCII character of the mapped stream (already lower-cased).
    #[inline(always)]
    fn ascii(&mut self, b: u8) {
        self.last_ccc = 0;
        self.prev = b as char;
        self.rule(b as char, b.is_ascii_alphanumeric(), b.is_ascii_digit());
    }

    /// Before a run of ASCII letters and digits starting with `first`: settles a pending
    /// separator and space as [`rule`](Self::rule) does; the caller then appends the run.
    #[inline(always)]
    fn begin_ascii_word(&mut self, first: u8) {
        if let Some(k) = self.pending_sep.take() {
            if first.is_ascii_digit() {
                self.push(k);
            } else {
                self.pending_space = true;
            }
        }
        if self.pending_space {
            if !self.out.is_empty() {
                self.out.push(' ');
                self.spaces += 1;
            }
            self.pending_space = false;
        }
    }

    /// After a run of ASCII letters and digits ending with `last`: the state that
    /// [`ascii`](Self::ascii) on each byte would have left.
    #[inline(always)]
    fn end_ascii_word(&mut self, last: u8) {
        // The nasal rule needs two Indic characters before a stop: after an ASCII character no
        // earlier character can take part, so forgetting the tail changes nothing.
        self.tail = ['\0', '\0'];
        self.prev_word = true;
        self.prev_digit = last.is_ascii_digit();
        self.last_ccc = 0;
        self.prev = char::from(last.to_ascii_lowercase());
    }

    /// Takes the run of [`FAST`] characters starting at byte `i` (whose code point is `cp`) as
    /// far as each one is known to be copied unchanged: no composition with the character before
    /// it, canonical order kept, and not the stop of a nasal + virama + stop pattern. Updates the
    /// state and the letter counts as the per-character path would, and returns where the run
    /// ends; the caller copies the run's bytes. Returns `i` when even the first character needs
    /// the per-character path.
    #[inline(always)]
    fn indic_run(
        &mut self,
        bytes: &[u8],
        mut i: usize,
        mut cp: u32,
        table: &PassTable,
        letters: &mut Letters,
        last: &mut u8,
    ) -> usize {
        let start = i;
        let mut e = table.entry(cp);
        let mut prev = self.prev;
        let mut prev_composes = true;
        let mut last_ccc = self.last_ccc;
        let mut tail = self.tail;
        while let Some(c) = char::from_u32(cp) {
            if e.flags & NFC_YES == 0 && prev_composes && compose(prev, c).is_some() {
                break;
            }
            if e.ccc != 0 && e.ccc < last_ccc {
                break;
            }
            if e.flags & STOP != 0 && fold_nasal(tail[0], tail[1], c).is_some() {
                break;
            }
            if i == start {
                // The first character: what comes before it is settled as in `rule`.
                if self.pending_sep.take().is_some() {
                    self.pending_space = true;
                    tail = ['\0', '\0'];
                }
                if self.pending_space {
                    if !self.out.is_empty() {
                        self.out.push(' ');
                        self.spaces += 1;
                    }
                    self.pending_space = false;
                }
            }
            *last = letters.add_indic(e.letter);
            last_ccc = e.ccc;
            tail = [tail[1], c];
            prev = c;
            prev_composes = e.flags & COMPOSES_FIRST != 0;
            i += 3;
            match indic_at(bytes, i) {
                Some(next) if table.entry(next).flags & FAST != 0 => {
                    cp = next;
                    e = table.entry(next);
                }
                _ => break,
            }
        }
        if i > start {
            self.prev = prev;
            self.last_ccc = last_ccc;
            self.tail = tail;
            self.prev_word = true;
            self.prev_digit = false;
        }
        i
    }

    /// A character of the Indic blocks in the mapped stream, with its table flags and class.
    #[inline(always)]
    fn indic(&mut self, cp: u32, flags: u8, ccc: u8) {
        let Some(c) = char::from_u32(cp) else {
            self.failed = true;
            return;
        };
        if flags & NFC_YES == 0 {
            // A "maybe" character of class 0 is blocked from every starter but the character
            // right before it, so the text stays NFC unless that pair composes.
            if flags & MAYBE_STARTER == 0 || compose(self.prev, c).is_some() {
                self.failed = true;
                return;
            }
        }
        if ccc != 0 && ccc < self.last_ccc {
            self.failed = true;
            return;
        }
        self.last_ccc = ccc;
        self.prev = c;
        self.rule(c, flags & WORD != 0, false);
    }

    /// Any mapped character.
    #[inline]
    fn mapped(&mut self, cp: u32, table: &PassTable) {
        if cp < 0x80 {
            self.ascii(cp as u8);
        } else if (INDIC_START..INDIC_END).contains(&cp) {
            let e = table.entry(cp);
            self.indic(cp, e.flags, e.ccc);
        } else {
            let Some(c) = char::from_u32(cp) else {
                self.failed = true;
                return;
            };
            let ccc = canonical_combining_class(c);
            if is_nfc_quick(std::iter::once(c)) != IsNormalized::Yes
                || (ccc != 0 && ccc < self.last_ccc)
            {
                self.failed = true;
                return;
            }
            self.last_ccc = ccc;
            self.prev = c;
            self.rule(c, is_word_char(c), false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::normalize::normalize_reference;
    use super::super::script::count_letters;
    use super::super::word_count;
    use super::*;
    use proptest::prelude::*;

    /// The single pass against the previous normaliser, letter count and word count.
    fn check(s: &str) -> Result<(), TestCaseError> {
        let mut want = String::new();
        normalize_reference(s, &mut want);
        let mut got = String::from("stale");
        let a = analyze_into(s, &mut got);
        prop_assert_eq!(&got, &want, "input {:?}", s);
        prop_assert_eq!(a.words, word_count(&want), "input {:?}", s);
        let (counts, total) = count_letters(s);
        prop_assert_eq!(a.letters.counts, counts, "input {:?}", s);
        prop_assert_eq!(a.letters.total, total, "input {:?}", s);
        prop_assert_eq!(Letters::of(s), a.letters, "input {:?}", s);
        Ok(())
    }

    /// Characters of every kind the rules treat specially.
    fn any_char() -> impl Strategy<Value = char> {
        let indic = (INDIC_START..INDIC_END).prop_filter_map("assigned", char::from_u32);
        let blocks = [
            0x0900u32, 0x0980, 0x0A00, 0x0A80, 0x0B00, 0x0B80, 0x0C00, 0x0C80, 0x0D00,
        ];
        // Letters and signs at the offsets every Brahmic block shares (consonants, nasals,
        // virama, vowel signs, nukta, chandrabindu, digits, chillus).
        let common = (0..blocks.len(), 0u32..0x80)
            .prop_filter_map("assigned", move |(b, off)| char::from_u32(blocks[b] + off));
        let ascii = (0x20u8..0x7F).prop_map(char::from);
        let special = prop::sample::select(
            "\u{200C}\u{200D}\u{FEFF}\u{00AD}\u{200B}\u{2060}\u{FE0F}\u{0301}\u{0307}\u{0323}\u{030C}\u{0345}\
             ,.-\u{2212} \t\n।॥—–“”،、0123456789०৫੬૭୮௯౧೨൩İßΣςÅǰJéÉ\u{1E9E}Ωωᾼﬁΐㄱ가각😀ا"
                .chars()
                .collect::<Vec<_>>(),
        );
        let any = any::<char>();
        prop_oneof![
            3 => indic,
            6 => common,
            3 => ascii,
            3 => special,
            1 => any,
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

        #[test]
        fn single_pass_equals_the_previous_normaliser(chars in prop::collection::vec(any_char(), 0..40)) {
            let s: String = chars.into_iter().collect();
            check(&s)?;
        }

        /// The answer's letters as tokens count them while normalising its pieces.
        #[test]
        fn tokens_count_letters_like_the_whole(chars in prop::collection::vec(any_char(), 0..60)) {
            let s: String = chars.into_iter().collect();
            let mut toks = super::super::Tokens::default();
            toks.fill(&s);
            prop_assert_eq!(toks.letters(), &Letters::of(&s), "input {:?}", s);
        }

        /// Text in one script with words, digits and punctuation, as answers are.
        #[test]
        fn single_pass_equals_on_words(
            block in prop::sample::select(vec![0u32, 0x0900, 0x0980, 0x0A00, 0x0A80, 0x0B00, 0x0B80, 0x0C00, 0x0C80, 0x0D00]),
            words in prop::collection::vec((prop::collection::vec(0u32..0x80, 1..8), 0usize..8), 0..20),
        ) {
            let seps = [" ", ", ", "। ", " -", "1,5", ".", "\u{200D}", " 9"];
            let mut s = String::new();
            for (letters, sep) in words {
                for off in letters {
                    let c = if block == 0 {
                        char::from(b'A' + (off % 58) as u8)
                    } else {
                        char::from_u32(block + off).unwrap_or('x')
                    };
                    s.push(c);
                }
                s.push_str(seps[sep]);
            }
            check(&s)?;
        }
    }

    #[test]
    fn every_indic_char_in_context() {
        for cp in INDIC_START..INDIC_END {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            for s in [
                format!("{c}"),
                format!("क{c}ा"),
                format!("ক{c}\u{09BE}"),
                format!("{c}\u{94D}"),
                format!("ன்{c}"),
                format!("{c}\u{301}a"),
                format!("1{c}2 -{c}5, {c}.7"),
                format!("A{c}\u{200D}{c}"),
            ] {
                check(&s).unwrap();
            }
        }
    }

    #[test]
    fn every_bmp_char_alone_and_after_a_letter() {
        let mut s = String::new();
        for cp in 0..0x1_0000u32 {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            for form in 0..3 {
                s.clear();
                match form {
                    0 => s.push(c),
                    1 => {
                        s.push('क');
                        s.push(c);
                        s.push('\u{0301}');
                    }
                    _ => {
                        s.push('J');
                        s.push(c);
                        s.push('5');
                    }
                }
                check(&s).unwrap();
            }
        }
    }

    #[test]
    fn analysis_of_an_answer() {
        let mut out = String::new();
        let a = analyze_into("मैंने DNA test करवाया, १८५७ में।", &mut out);
        assert_eq!(out, "मैंने dna test करवाया 1857 में");
        assert_eq!(a.words, 6);
        assert_eq!(a.letters.count(Script::Latn), 7);
        assert_eq!(a.letters.count(Script::Deva), 14);
        assert_eq!(a.letters.total(), 21);
        assert_eq!(a.letters.dominant().map(|d| d.0), Some(Script::Deva));
        assert!((a.letters.share(Script::Latn) - 7.0 / 21.0).abs() < 1e-12);
        let a = analyze_into(" ।, ", &mut out);
        assert_eq!((out.as_str(), a.words, a.letters.total()), ("", 0, 0));
        assert_eq!(a.letters.dominant(), None);
        assert_eq!(a.letters.share(Script::Deva), 0.0);
        // Decomposed input takes the full path and still counts.
        let a = analyze_into("Cafe\u{301} ক\u{09C7}\u{09BE}", &mut out);
        assert_eq!(out, "café ক\u{09CB}");
        assert_eq!(a.words, 2);
        assert_eq!(a.letters.count(Script::Latn), 5);
        assert_eq!(a.letters.count(Script::Beng), 3);
    }
}
