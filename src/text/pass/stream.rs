//! The mapped characters written out: the context rules of normalisation (spaces between words,
//! separators inside numbers, the nasal rule) and the NFC quick check, as each character comes.

use unicode_normalization::char::{canonical_combining_class, compose};
use unicode_normalization::{is_nfc_quick, IsNormalized};

use super::table::{Entry, PassTable, CHECK, COMPOSES_FIRST, FAST, STOP};
use super::{indic_at, indic_cp, Letters, NO_SCRIPT};
use crate::text::normalize::{
    fold_nasal, is_word_char, INDIC_END, INDIC_START, MAYBE_STARTER, NFC_YES, WORD,
};

/// The state of the context rules and of the NFC quick check over the mapped characters.
pub(super) struct Pass<'a> {
    pub(super) out: &'a mut String,
    /// A word break was seen: one space goes before the next character written, if any.
    pub(super) pending_space: bool,
    /// Spaces written between words.
    pub(super) spaces: usize,
    /// The previous mapped character was a word character / an ASCII digit.
    pub(super) prev_word: bool,
    pub(super) prev_digit: bool,
    /// The last two characters written, contiguous; '\0' when unknown (for the nasal rule).
    pub(super) tail: [char; 2],
    /// A `,` `.` or `-` that stays only if a digit comes next.
    pub(super) pending_sep: Option<char>,
    /// NFC quick check: canonical combining class and the previous mapped character.
    pub(super) last_ccc: u8,
    pub(super) prev: char,
    /// The quick check did not say "yes": the caller takes the full path.
    pub(super) failed: bool,
    /// Where the byte offset of every space written goes, when the caller wants them.
    pub(super) space_offsets: Option<&'a mut Vec<u32>>,
}

impl<'a> Pass<'a> {
    pub(super) fn new(out: &'a mut String) -> Self {
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
            space_offsets: None,
        }
    }

    /// Writes the space between two words.
    #[inline(always)]
    fn space(&mut self) {
        self.space_at(self.out.len());
        self.out.push(' ');
    }

    /// Counts a space between two words that the caller writes itself, at byte `at` of the
    /// output.
    #[inline(always)]
    pub(super) fn space_at(&mut self, at: usize) {
        if let Some(v) = self.space_offsets.as_deref_mut() {
            v.push(at as u32);
        }
        self.spaces += 1;
    }

    /// Words of the output.
    pub(super) fn finish(self) -> usize {
        // A pending separator at the end becomes a space, which is never written.
        if self.out.is_empty() {
            0
        } else {
            self.spaces + 1
        }
    }

    #[inline(always)]
    pub(super) fn push(&mut self, c: char) {
        if self.pending_space {
            if !self.out.is_empty() {
                self.space();
            }
            self.pending_space = false;
        }
        self.out.push(c);
    }

    /// The context rules for one mapped character.
    #[inline(always)]
    pub(super) fn rule(&mut self, c: char, is_word: bool, is_digit: bool) {
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
    pub(super) fn ascii(&mut self, b: u8) {
        self.last_ccc = 0;
        self.prev = b as char;
        self.rule(b as char, b.is_ascii_alphanumeric(), b.is_ascii_digit());
    }

    /// Before a run of ASCII letters and digits starting with `first`: settles a pending
    /// separator and space as [`rule`](Self::rule) does; the caller then appends the run.
    #[inline(always)]
    pub(super) fn begin_ascii_word(&mut self, first: u8) {
        if let Some(k) = self.pending_sep.take() {
            if first.is_ascii_digit() {
                self.push(k);
            } else {
                self.pending_space = true;
            }
        }
        if self.pending_space {
            if !self.out.is_empty() {
                self.space();
            }
            self.pending_space = false;
        }
    }

    /// After a run of ASCII letters and digits ending with `last`: the state that
    /// [`ascii`](Self::ascii) on each byte would have left.
    #[inline(always)]
    pub(super) fn end_ascii_word(&mut self, last: u8) {
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
    /// it, canonical order kept, and not the stop of a nasal + virama + stop pattern. Single
    /// spaces between such words belong to the run (normalisation writes them as they are).
    /// Updates the state and the letter counts as the per-character path would, and returns where
    /// the run ends; the caller copies the run's bytes. Returns `i` when even the first character
    /// needs the per-character path.
    ///
    /// Inside the run, the loop keeps nothing of the characters before the current one: the few
    /// characters that need a look back ([`CHECK`]) read it from the bytes (see
    /// [`blocked`](Self::blocked)), and the state after the run is read from its last bytes.
    #[inline(always)]
    pub(super) fn indic_run(
        &mut self,
        bytes: &[u8],
        start: usize,
        cp: u32,
        table: &PassTable,
        letters: &mut Letters,
        last: &mut u8,
    ) -> usize {
        let mut e = table.entry(cp);
        if e.flags & CHECK != 0 {
            // The first character, against the state before the run (whatever came before it
            // may compose with it).
            let Some(c) = char::from_u32(cp) else {
                return start;
            };
            let before = Before {
                prev: self.prev,
                composes: true,
                ccc: self.last_ccc,
                tail: self.tail[1],
            };
            if before.blocks(c, e, || self.tail[0]) {
                return start;
            }
        }
        // What comes before the run is settled as in `rule`; `before` is the character the
        // nasal rule sees two places before the run's second character.
        let mut before = self.tail[1];
        if self.pending_sep.take().is_some() {
            self.pending_space = true;
            before = '\0';
        }
        if self.pending_space {
            if !self.out.is_empty() {
                self.space();
            }
            self.pending_space = false;
        }
        // Where the run's first byte goes in the output.
        let base = self.out.len();
        // Letters are counted in registers while the script stays the same (one count in
        // memory bumped per character would make each character wait for the one before).
        let mut script = NO_SCRIPT;
        let mut same = 0usize;
        let mut i = start;
        loop {
            let letter = e.letter;
            if letter != NO_SCRIPT {
                if letter != script {
                    letters.add_indic_n(script, same);
                    script = letter;
                    same = 0;
                }
                same += 1;
            }
            i += 3;
            match indic_at(bytes, i) {
                Some(next) => {
                    let ne = table.entry(next);
                    if ne.flags & FAST == 0
                        || (may_block(e, ne)
                            && Self::blocked(bytes, start, before, i, next, ne, table))
                    {
                        break;
                    }
                    e = ne;
                }
                None => {
                    // One space between this word and another run of FAST characters is
                    // written as it stands, so the run goes on: after a space nothing composes,
                    // no class is out of order and no nasal pattern is open, so the next
                    // character needs no check.
                    let next = match bytes.get(i) {
                        Some(b' ') => indic_at(bytes, i + 1),
                        _ => None,
                    };
                    match next {
                        Some(next) if table.entry(next).flags & FAST != 0 => {
                            self.space_at(base + (i - start));
                            i += 1;
                            e = table.entry(next);
                        }
                        _ => break,
                    }
                }
            }
        }
        letters.add_indic_n(script, same);
        // The run ends with a character of the blocks, never with a space.
        let end = indic_cp(bytes, i);
        let ee = table.entry(end);
        *last = ee.letter;
        self.prev = char::from_u32(end).unwrap_or('\0');
        self.last_ccc = ee.ccc;
        self.tail = [Self::two_before(bytes, start, before, i), self.prev];
        self.prev_word = true;
        self.prev_digit = false;
        i
    }

    /// Whether the character `cp` (entry `e`) at byte `i` of a run that started at `start` must
    /// end the run: it composes with the character before it, comes out of canonical order after
    /// it, or ends a nasal + virama + stop pattern. Only called for a character that follows
    /// another character of the run (not a space), which is then at byte `i - 3`.
    #[inline(always)]
    fn blocked(
        bytes: &[u8],
        start: usize,
        before: char,
        i: usize,
        cp: u32,
        e: &Entry,
        table: &PassTable,
    ) -> bool {
        let prev_cp = indic_cp(bytes, i);
        let pe = table.entry(prev_cp);
        let (Some(c), Some(prev)) = (char::from_u32(cp), char::from_u32(prev_cp)) else {
            return true;
        };
        let previous = Before {
            prev,
            composes: pe.flags & COMPOSES_FIRST != 0,
            ccc: pe.ccc,
            tail: prev,
        };
        previous.blocks(c, e, || Self::two_before(bytes, start, before, i))
    }

    /// What the nasal rule sees two places before byte `i` of a run that started at `start`,
    /// the character at `i - 3` being one of the run: the character before that one, `'\0'`
    /// after a space, or `before` at the start of the run.
    #[inline(always)]
    fn two_before(bytes: &[u8], start: usize, before: char, i: usize) -> char {
        if i < start + 6 {
            before
        } else if bytes.get(i - 4) == Some(&b' ') {
            '\0'
        } else {
            char::from_u32(indic_cp(bytes, i - 3)).unwrap_or('\0')
        }
    }

    /// A character of the Indic blocks in the mapped stream, with its table flags and class.
    #[inline(always)]
    pub(super) fn indic(&mut self, cp: u32, flags: u8, ccc: u8) {
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
    pub(super) fn mapped(&mut self, cp: u32, table: &PassTable) {
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

/// What a character of an Indic run is checked against: what came before it.
struct Before {
    /// The previous mapped character, and whether it may compose with one that follows it.
    prev: char,
    composes: bool,
    /// Its canonical combining class.
    ccc: u8,
    /// The last character written (for the nasal rule).
    tail: char,
}

impl Before {
    /// Whether `c` (entry `e`) must end the run: it composes with the previous character, comes
    /// out of canonical order after it, or ends a nasal + virama + stop pattern, whose nasal
    /// `two_before` gives (asked only for a stop after a virama).
    #[inline(always)]
    fn blocks(&self, c: char, e: &Entry, two_before: impl FnOnce() -> char) -> bool {
        (e.flags & NFC_YES == 0 && self.composes && compose(self.prev, c).is_some())
            || (e.ccc != 0 && e.ccc < self.ccc)
            // A nasal pattern ends in a virama (offset 0x4D of its block) before the stop.
            || (e.flags & STOP != 0
                && self.tail as u32 & 0x7F == 0x4D
                && fold_nasal(two_before(), self.tail, c).is_some())
    }
}

/// Whether a character of entry `e` right after one of entry `prev` may have to end a run, as
/// far as the two entries tell (see [`Pass::blocked`]): it may compose with it, it has a lower
/// combining class than it, or it is a stop after a virama (class 9). Worked out without
/// branches: in running text the characters that need a look back come at random, and a branch
/// on each of them would be mispredicted often, while this is rarely true.
#[inline(always)]
fn may_block(prev: &Entry, e: &Entry) -> bool {
    let composes = (e.flags & NFC_YES == 0) & (prev.flags & COMPOSES_FIRST != 0);
    let order = (e.ccc != 0) & (e.ccc < prev.ccc);
    let nasal = (e.flags & STOP != 0) & (prev.ccc == VIRAMA_CLASS);
    composes | order | nasal
}

/// The canonical combining class of the viramas.
const VIRAMA_CLASS: u8 = 9;
