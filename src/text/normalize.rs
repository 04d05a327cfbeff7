//! Text normalisation for matching (the product contract: answers and phrases go through the same
//! function, so every rule here makes two spellings compare equal).
//!
//! The work is done in two streaming stages, with no allocation beyond the output buffer:
//!
//! * stage A, per character: lower-casing, removal of invisible joiners and of the nukta,
//!   chandrabindu → anusvara, chillu → consonant + virama, native digits → ASCII. In general it
//!   runs on the canonical decomposition (NFD) and the result is recomposed (NFC); when the mapped
//!   text passes the NFC quick check, both steps are skipped, which gives the same result;
//! * stage B, with one character of context on each side: class nasal + virama + stop → anusvara +
//!   stop, punctuation and symbols → space (keeping the `,`/`.`/`-` that belong to numbers), and
//!   whitespace collapsing and trimming.
//!
//! Stage B only deletes, replaces by spaces, or swaps a nasal + virama for an anusvara, none of
//! which creates anything stage A would change again, so `normalize(normalize(x)) == normalize(x)`.
//! Pure-ASCII input takes a one-pass byte loop implementing the same rules.

use std::sync::OnceLock;

#[cfg(test)]
use unicode_normalization::char::compose;
use unicode_normalization::char::{canonical_combining_class, is_combining_mark};
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// Normalises text for matching.
///
/// The output is NFC, lower-case, has Indic spelling variants folded (see the module rules), has
/// native digits as ASCII digits, has punctuation and symbols replaced by spaces (except `,` and `.`
/// between two digits and a `-` that is a minus sign), and has single ASCII spaces between words
/// with no leading or trailing space.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    normalize_into(s, &mut out);
    out
}

/// Normalises `s` into `out`, which is cleared first; reusing `out` avoids an allocation per call.
///
/// It reads each byte of `s` once (see [`analyze_into`](super::analyze_into), which also counts
/// letters and words in the same pass).
pub fn normalize_into(s: &str, out: &mut String) {
    super::pass::analyze_into(s, out);
}

/// The normaliser as it was before the single pass (ASCII loop, or mapping into a buffer, quick
/// check, then the context rules): the reference the single pass is tested against.
#[cfg(test)]
pub(super) fn normalize_reference(s: &str, out: &mut String) {
    out.clear();
    out.reserve(s.len());
    if s.is_ascii() {
        normalize_ascii(s.as_bytes(), out);
    } else {
        normalize_unicode(s, out);
    }
}

/// The full path: canonical decomposition, the per-character mapping, recomposition, then the
/// context rules. Always correct; the single pass falls back to it when the mapped text does not
/// pass the NFC quick check.
pub(super) fn normalize_full(s: &str, out: &mut String) {
    out.clear();
    context_rules(s.chars().nfd().flat_map(map_char).nfc(), out);
}

/// Flags and canonical combining class of a character of the Indic blocks (0 and 0 outside).
pub(super) fn indic_flags(cp: u32) -> (u8, u8) {
    let t = indic_table();
    match cp.checked_sub(INDIC_START) {
        Some(i) if (i as usize) < INDIC_LEN => (t.flags[i as usize], t.ccc[i as usize]),
        _ => (0, 0),
    }
}

/// A word character for boundaries and for the minus-sign rule: a letter, a combining mark or a
/// digit (any numeric character).
#[inline]
pub fn is_word_char(c: char) -> bool {
    let cp = c as u32;
    if cp < 0x80 {
        c.is_ascii_alphanumeric()
    } else if (INDIC_START..INDIC_END).contains(&cp) {
        indic_table().flags[(cp - INDIC_START) as usize] & WORD != 0
    } else {
        is_word_char_generic(c)
    }
}

/// The flags of the Indic blocks' characters by code point less [`INDIC_START`] (`WORD`: what
/// [`is_word_char`] says), for loops that look up many characters.
pub(super) fn indic_flag_table() -> &'static [u8; INDIC_LEN] {
    &indic_table().flags
}

/// A letter for script statistics: alphabetic or a combining mark (not digits, punctuation,
/// spaces, or ZWJ/ZWNJ, which are format characters). ASCII and the Indic blocks are answered
/// from tables, since script checks run on every answer.
#[inline]
pub fn is_letter(c: char) -> bool {
    let cp = c as u32;
    if cp < 0x80 {
        c.is_ascii_alphabetic()
    } else if (INDIC_START..INDIC_END).contains(&cp) {
        indic_table().flags[(cp - INDIC_START) as usize] & LETTER != 0
    } else {
        c.is_alphabetic() || is_combining_mark(c)
    }
}

/// The definition of a word character, from the standard library's and the normalisation crate's
/// Unicode tables (slow-ish: the Indic blocks are served from a cached copy).
fn is_word_char_generic(c: char) -> bool {
    c.is_alphabetic() || c.is_numeric() || is_combining_mark(c)
}

/// The Brahmic blocks from Devanagari to Malayalam, where nearly all characters of Indic answers
/// fall.
pub(super) const INDIC_START: u32 = 0x0900;
pub(super) const INDIC_END: u32 = 0x0D80;
pub(super) const INDIC_LEN: usize = (INDIC_END - INDIC_START) as usize;

/// Flag: a word character.
pub(super) const WORD: u8 = 1;
/// Flag: NFC quick check is "yes" (not "no" or "maybe").
pub(super) const NFC_YES: u8 = 2;
/// Flag: a letter for script statistics (alphabetic or a combining mark).
const LETTER: u8 = 4;
/// Flag: NFC quick check is "maybe" and the combining class is 0 (vowel signs such as Tamil ா
/// that compose with some preceding letters).
pub(super) const MAYBE_STARTER: u8 = 8;

/// Character properties of the Indic blocks, cached because the generic lookups (binary searches
/// over Unicode tables) dominate normalisation time otherwise.
struct IndicTable {
    flags: [u8; INDIC_LEN],
    ccc: [u8; INDIC_LEN],
}

/// The table, built once from the same generic functions, so the fast and slow answers agree.
fn indic_table() -> &'static IndicTable {
    static TABLE: OnceLock<IndicTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = IndicTable {
            flags: [0; INDIC_LEN],
            ccc: [0; INDIC_LEN],
        };
        for (i, cp) in (INDIC_START..INDIC_END).enumerate() {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            if is_word_char_generic(c) {
                t.flags[i] |= WORD;
            }
            match is_nfc_quick(std::iter::once(c)) {
                IsNormalized::Yes => t.flags[i] |= NFC_YES,
                IsNormalized::Maybe if canonical_combining_class(c) == 0 => {
                    t.flags[i] |= MAYBE_STARTER
                }
                _ => {}
            }
            if c.is_alphabetic() || is_combining_mark(c) {
                t.flags[i] |= LETTER;
            }
            t.ccc[i] = canonical_combining_class(c);
        }
        t
    })
}

/// NFC quick check ("yes" is definitive) of `chars`, with the Indic blocks served from the cached
/// table; other non-ASCII text falls back to the crate's check.
#[cfg(test)]
fn quick_is_nfc(chars: impl Iterator<Item = char> + Clone) -> bool {
    let table = indic_table();
    let mut last_ccc = 0u8;
    let mut prev: Option<char> = None;
    for c in chars.clone() {
        let cp = c as u32;
        let ccc = if cp < 0x80 {
            0
        } else if (INDIC_START..INDIC_END).contains(&cp) {
            let i = (cp - INDIC_START) as usize;
            let flags = table.flags[i];
            if flags & NFC_YES == 0 {
                // A "maybe" character of class 0 is blocked from every starter but the character
                // right before it, so the text stays NFC unless that pair composes. Very common
                // vowel signs (Tamil ா, Bengali া, Malayalam ാ) are of this kind.
                if flags & MAYBE_STARTER == 0 || prev.is_some_and(|p| compose(p, c).is_some()) {
                    return false;
                }
            }
            table.ccc[i]
        } else {
            return is_nfc_quick(chars) == IsNormalized::Yes;
        };
        if ccc != 0 && ccc < last_ccc {
            return false;
        }
        last_ccc = ccc;
        prev = Some(c);
    }
    true
}

/// Appends words to the output with a deferred single space, so that runs of separators collapse
/// and nothing leads or trails.
struct Writer<'a> {
    out: &'a mut String,
    pending_space: bool,
}

impl<'a> Writer<'a> {
    fn new(out: &'a mut String) -> Self {
        Writer {
            out,
            pending_space: false,
        }
    }

    /// Marks a word break: a single space is written before the next character, if any follows.
    #[inline]
    fn space(&mut self) {
        self.pending_space = true;
    }

    #[inline]
    fn push(&mut self, c: char) {
        if self.pending_space {
            if !self.out.is_empty() {
                self.out.push(' ');
            }
            self.pending_space = false;
        }
        self.out.push(c);
    }
}

/// Pure-ASCII fast path: the same rules as the general path, which for ASCII reduce to
/// lower-casing, punctuation and whitespace in one byte loop.
#[cfg(test)]
fn normalize_ascii(b: &[u8], out: &mut String) {
    let mut w = Writer::new(out);
    let mut prev_word = false;
    let mut prev_digit = false;
    for (i, &byte) in b.iter().enumerate() {
        let c = byte.to_ascii_lowercase();
        let is_word = c.is_ascii_alphanumeric();
        if is_word {
            w.push(c as char);
        } else {
            let next_digit = b.get(i + 1).is_some_and(u8::is_ascii_digit);
            let keep = match c {
                b',' | b'.' => prev_digit && next_digit,
                b'-' => !prev_word && next_digit,
                _ => false,
            };
            if keep {
                w.push(c as char);
            } else {
                // Whitespace, punctuation, symbols and control characters all separate words.
                w.space();
            }
        }
        prev_word = is_word;
        prev_digit = c.is_ascii_digit();
    }
}

/// General path for text with non-ASCII characters.
#[cfg(test)]
fn normalize_unicode(s: &str, out: &mut String) {
    // Decomposing and recomposing costs more than everything else together, and is only needed
    // when the mapped text is not already NFC (quick check: "yes" is definitive). Otherwise
    // NFC(map(NFD(s))) = map(s), because the per-character mapping commutes with canonical
    // decomposition (nukta letters are mapped to their base letter directly, and case mappings
    // are closed under canonical equivalence); tests check this for every BMP character.
    // The mapped characters are collected once into a per-thread buffer: mapping is the costly
    // part of the fast path, and both the check and the rules need the mapped stream.
    thread_local! {
        static MAPPED: std::cell::RefCell<Vec<char>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    MAPPED.with(|cell| {
        let Ok(mut mapped) = cell.try_borrow_mut() else {
            // Not reachable (no re-entry), but a fresh buffer is always correct.
            return normalize_mapped(s, &mut Vec::new(), out);
        };
        normalize_mapped(s, &mut mapped, out)
    })
}

#[cfg(test)]
fn normalize_mapped(s: &str, mapped: &mut Vec<char>, out: &mut String) {
    mapped.clear();
    for c in s.chars() {
        match map_char(c) {
            Mapped::Empty => {}
            Mapped::One(a) => mapped.push(a),
            Mapped::Two(a, b) => {
                mapped.push(a);
                mapped.push(b);
            }
            Mapped::Lower(it) => mapped.extend(it),
        }
    }
    if quick_is_nfc(mapped.iter().copied()) {
        context_rules(mapped.iter().copied(), out);
    } else {
        context_rules(s.chars().nfd().flat_map(map_char).nfc(), out);
    }
}

/// Stage B over the NFC, mapped character stream.
fn context_rules(chars: impl Iterator<Item = char>, out: &mut String) {
    let mut chars = chars.peekable();
    let mut w = Writer::new(out);
    let mut prev_word = false;
    let mut prev_digit = false;
    // The last two characters written, contiguous (no space between them and the next char);
    // '\0' when unknown. Only the nasal rule looks at them.
    let mut tail = ['\0', '\0'];
    while let Some(c) = chars.next() {
        let is_word = is_word_char(c);
        if is_word {
            if let Some(anusvara) = fold_nasal(tail[0], tail[1], c) {
                // Both removed characters are in U+0900..U+0D7F, three UTF-8 bytes each.
                let len = w.out.len() - tail[0].len_utf8() - tail[1].len_utf8();
                w.out.truncate(len);
                w.push(anusvara);
                tail = [anusvara, c];
            } else {
                tail = [tail[1], c];
            }
            w.push(c);
        } else {
            let next_digit = chars.peek().is_some_and(char::is_ascii_digit);
            let kept = match c {
                ',' | '.' if prev_digit && next_digit => Some(c),
                // U+2212 MINUS SIGN is written as '-' so that both spellings match.
                '-' | '\u{2212}' if !prev_word && next_digit => Some('-'),
                _ => None,
            };
            match kept {
                Some(k) => {
                    w.push(k);
                    tail = [tail[1], k];
                }
                None => {
                    w.space();
                    tail = ['\0', '\0'];
                }
            }
        }
        prev_word = is_word;
        prev_digit = c.is_ascii_digit();
    }
}

/// Base code points of the ISCII-parallel Brahmic blocks in which the nasal rule and the
/// chandrabindu rule apply (Tamil, U+0B80, is deliberately absent).
const fn is_anusvara_block(base: u32) -> bool {
    matches!(
        base,
        0x0900 | 0x0980 | 0x0A00 | 0x0A80 | 0x0B00 | 0x0C00 | 0x0C80 | 0x0D00
    )
}

/// If `nasal`, `virama`, `stop` is a class nasal + virama + stop consonant of the same class in the
/// same block, the anusvara that replaces the first two.
#[inline]
pub(super) fn fold_nasal(nasal: char, virama: char, stop: char) -> Option<char> {
    let cp = stop as u32;
    if !(0x0900..0x0D80).contains(&cp) {
        return None;
    }
    let base = cp & !0x7F;
    if !is_anusvara_block(base) || virama as u32 != base + 0x4D {
        return None;
    }
    let nasal_offset = match cp - base {
        0x15..=0x18 => 0x19,
        0x1A..=0x1D => 0x1E,
        0x1F..=0x22 => 0x23,
        0x24..=0x27 => 0x28,
        0x2A..=0x2D => 0x2E,
        _ => return None,
    };
    if nasal as u32 != base + nasal_offset {
        return None;
    }
    char::from_u32(base + 0x02)
}

/// Per-character mapping of stage A, as a tiny iterator so that it can be flat-mapped without
/// allocating.
#[derive(Clone)]
pub(super) enum Mapped {
    Empty,
    One(char),
    Two(char, char),
    Lower(core::char::ToLowercase),
}

impl Iterator for Mapped {
    type Item = char;

    #[inline]
    fn next(&mut self) -> Option<char> {
        match *self {
            Mapped::Empty => None,
            Mapped::One(c) => {
                *self = Mapped::Empty;
                Some(c)
            }
            Mapped::Two(a, b) => {
                *self = Mapped::One(b);
                Some(a)
            }
            Mapped::Lower(ref mut it) => it.next(),
        }
    }
}

/// Stage A mapping of one character of the NFD stream.
#[inline]
pub(super) fn map_char(c: char) -> Mapped {
    let cp = c as u32;
    if cp < 0x80 {
        return Mapped::One(c.to_ascii_lowercase());
    }
    if (0x0900..0x0D80).contains(&cp) {
        return map_brahmic(c, cp);
    }
    match cp {
        // Invisible characters that must not split or change a word: ZWNJ, ZWJ, BOM, soft hyphen,
        // bidi marks and embeddings, word joiner and invisible operators, bidi isolates, and
        // variation selectors.
        0x00AD | 0x200C..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x2069 => {
            Mapped::Empty
        }
        0xFE00..=0xFE0F | 0xFEFF | 0xE0100..=0xE01EF => Mapped::Empty,
        _ => {
            let mut lower = c.to_lowercase();
            if lower.len() == 1 {
                match lower.next() {
                    Some(l) => Mapped::One(l),
                    None => Mapped::Empty,
                }
            } else {
                Mapped::Lower(lower)
            }
        }
    }
}

/// Stage A mapping inside U+0900..U+0D7F (no case there, so no lower-casing).
#[inline]
pub(super) fn map_brahmic(c: char, cp: u32) -> Mapped {
    let base = cp & !0x7F;
    let offset = cp - base;
    let ch = |x: u32| char::from_u32(x).unwrap_or(c);
    match offset {
        // Nukta (rule 3). Malayalam's B+0x3C is the circular virama, not a nukta: keep it.
        0x3C if base != 0x0D00 && base != 0x0B80 => Mapped::Empty,
        // Chandrabindu → anusvara (rule 4), not in Tamil.
        0x01 if is_anusvara_block(base) => Mapped::One(ch(base + 0x02)),
        // Native digits (rule 7): every block in this range has its digits at B+0x66..=B+0x6F.
        0x66..=0x6F => Mapped::One(ch(u32::from(b'0') + offset - 0x66)),
        _ => match cp {
            // Precomposed nukta letters (rule 3) go straight to their base letter: the same
            // result as decomposing and dropping the nukta, without needing the decomposition.
            0x0929 => Mapped::One('\u{0928}'),
            0x0931 => Mapped::One('\u{0930}'),
            0x0934 => Mapped::One('\u{0933}'),
            0x0958 => Mapped::One('\u{0915}'),
            0x0959 => Mapped::One('\u{0916}'),
            0x095A => Mapped::One('\u{0917}'),
            0x095B => Mapped::One('\u{091C}'),
            0x095C => Mapped::One('\u{0921}'),
            0x095D => Mapped::One('\u{0922}'),
            0x095E => Mapped::One('\u{092B}'),
            0x095F => Mapped::One('\u{092F}'),
            0x09DC => Mapped::One('\u{09A1}'),
            0x09DD => Mapped::One('\u{09A2}'),
            0x09DF => Mapped::One('\u{09AF}'),
            0x0A33 => Mapped::One('\u{0A32}'),
            0x0A36 => Mapped::One('\u{0A38}'),
            0x0A59 => Mapped::One('\u{0A16}'),
            0x0A5A => Mapped::One('\u{0A17}'),
            0x0A5B => Mapped::One('\u{0A1C}'),
            0x0A5E => Mapped::One('\u{0A2B}'),
            0x0B5C => Mapped::One('\u{0B21}'),
            0x0B5D => Mapped::One('\u{0B22}'),
            // Gurmukhi tippi → bindi (rule 4).
            0x0A70 => Mapped::One('\u{0A02}'),
            // Malayalam chillus → consonant + virama (rule 6).
            0x0D7A => Mapped::Two('\u{0D23}', '\u{0D4D}'),
            0x0D7B => Mapped::Two('\u{0D28}', '\u{0D4D}'),
            0x0D7C => Mapped::Two('\u{0D30}', '\u{0D4D}'),
            0x0D7D => Mapped::Two('\u{0D32}', '\u{0D4D}'),
            0x0D7E => Mapped::Two('\u{0D33}', '\u{0D4D}'),
            0x0D7F => Mapped::Two('\u{0D15}', '\u{0D4D}'),
            0x0D54 => Mapped::Two('\u{0D2E}', '\u{0D4D}'),
            0x0D55 => Mapped::Two('\u{0D2F}', '\u{0D4D}'),
            0x0D56 => Mapped::Two('\u{0D34}', '\u{0D4D}'),
            _ => Mapped::One(c),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        normalize(s)
    }

    /// The general path, forced, to check that the ASCII fast path agrees with it.
    fn slow(s: &str) -> String {
        let mut out = String::new();
        normalize_unicode(s, &mut out);
        out
    }

    /// The full decompose-map-recompose path, forced, to check that the quick-check shortcut of
    /// the general path agrees with it.
    fn full(s: &str) -> String {
        let mut out = String::new();
        context_rules(s.chars().nfd().flat_map(map_char).nfc(), &mut out);
        out
    }

    #[test]
    fn empty_and_blank() {
        assert_eq!(n(""), "");
        assert_eq!(n("   \t\n "), "");
        assert_eq!(n("।।"), "");
        assert_eq!(n("\u{200D}\u{200C}\u{FEFF}"), "");
        assert_eq!(n("!?"), "");
    }

    #[test]
    fn rule1_nfc_and_lowercase() {
        // Decomposed e + acute composes; case folds.
        assert_eq!(n("Cafe\u{301}"), "café");
        assert_eq!(n("CAFÉ"), "café");
        assert_eq!(n("The DELHI Sultanate"), "the delhi sultanate");
        // Bengali o-kar written as e-kar + aa-kar composes to the precomposed vowel sign.
        assert_eq!(n("ক\u{09C7}\u{09BE}"), "ক\u{09CB}");
        // Odia and Tamil two-part vowel signs too.
        assert_eq!(n("କ\u{0B47}\u{0B3E}"), "କ\u{0B4B}");
        assert_eq!(n("க\u{0BC6}\u{0BBE}"), "க\u{0BCA}");
        assert_eq!(n("ÉCOLE Ω"), "école ω");
    }

    #[test]
    fn rule2_invisibles_removed() {
        // Hindi: ZWNJ / ZWJ inside a conjunct.
        assert_eq!(n("क्\u{200C}ष"), n("क्ष"));
        assert_eq!(n("क्\u{200D}ष"), n("क्ष"));
        // Telugu word with ZWNJ, as in the MGSM data (మఫిన్‌లు).
        assert_eq!(n("మఫిన్\u{200C}లు"), "మఫిన్లు");
        // Bengali ra + ZWJ + virama + ya (র‍্যাফ) loses the ZWJ.
        assert_eq!(n("র\u{200D}্যাফ"), "র্যাফ");
        assert_eq!(n("\u{FEFF}नमस्ते"), "नमस्ते");
        assert_eq!(n("inter\u{00AD}national"), "international");
        assert!(!n("a\u{200D}b\u{200C}c\u{FEFF}d\u{AD}e").contains(['\u{200C}', '\u{200D}']));
    }

    #[test]
    fn rule3_nukta_removed_devanagari() {
        // क़ precomposed (U+0958) vs क + nukta vs plain क.
        assert_eq!(n("\u{0958}"), "क");
        assert_eq!(n("क\u{093C}"), "क");
        assert_eq!(n("\u{0958}लम"), n("क\u{093C}लम"));
        assert_eq!(n("ज़रूर"), n("जरूर"));
        assert_eq!(n("\u{095B}"), "ज");
        assert_eq!(n("फ़िल्म"), "फिल्म");
        // ड़ (U+095C) and ढ़ (U+095D) become ड and ढ.
        assert_eq!(n("पढ़ाई"), "पढाई");
        assert_eq!(n("\u{095C}"), "ड");
        // ऩ (U+0929) is not a composition exclusion but the nukta still goes.
        assert_eq!(n("\u{0929}"), "न");
        assert!(!n("क़ख़ग़ज़ड़ढ़फ़य़").contains('\u{093C}'));
    }

    #[test]
    fn rule3_nukta_removed_other_scripts() {
        // Bengali য় U+09DF vs য + nukta, ড় U+09DC.
        assert_eq!(n("\u{09DF}"), "য");
        assert_eq!(n("য\u{09BC}"), "য");
        assert_eq!(n("নয়"), n("নয\u{09BC}"));
        assert_eq!(n("\u{09DC}"), "ড");
        // Gurmukhi ਜ਼ U+0A5B, ਲ਼ U+0A33, ਸ਼ U+0A36.
        assert_eq!(n("\u{0A5B}"), "ਜ");
        assert_eq!(n("\u{0A33}"), "ਲ");
        assert_eq!(n("\u{0A36}ਹਿਰ"), "ਸਹਿਰ");
        // Gujarati, Odia (ଡ଼ U+0B5C), Telugu, Kannada nukta.
        assert_eq!(n("જ\u{0ABC}"), "જ");
        assert_eq!(n("\u{0B5C}"), "ଡ");
        assert_eq!(n("ଡ\u{0B3C}"), "ଡ");
        assert_eq!(n("జ\u{0C3C}"), "జ");
        assert_eq!(n("ಜ\u{0CBC}"), "ಜ");
        // Malayalam U+0D3C is the circular virama, not a nukta: kept.
        assert_eq!(n("ക\u{0D3C}"), "ക\u{0D3C}");
    }

    #[test]
    fn rule4_chandrabindu_to_anusvara() {
        assert_eq!(n("हँसना"), n("हंसना"));
        assert_eq!(n("हँसना"), "हंसना");
        assert_eq!(n("माँ"), "मां");
        // Bengali চাঁদ.
        assert_eq!(n("চাঁদ"), "চাংদ");
        // Gurmukhi adak bindi and tippi → bindi: ਸਿੰਘ (tippi) = ਸਿਂਘ (bindi).
        assert_eq!(n("ਸਿੰਘ"), n("ਸਿਂਘ"));
        assert_eq!(n("\u{0A70}"), "\u{0A02}");
        assert_eq!(n("\u{0A01}"), "\u{0A02}");
        // Gujarati, Odia, Telugu, Kannada, Malayalam.
        assert_eq!(n("\u{0A81}"), "\u{0A82}");
        assert_eq!(n("\u{0B01}"), "\u{0B02}");
        assert_eq!(n("\u{0C01}"), "\u{0C02}");
        assert_eq!(n("\u{0C81}"), "\u{0C82}");
        assert_eq!(n("\u{0D01}"), "\u{0D02}");
    }

    #[test]
    fn rule5_nasal_virama_to_anusvara() {
        assert_eq!(n("हिन्दी"), "हिंदी");
        assert_eq!(n("हिन्दी"), n("हिंदी"));
        assert_eq!(n("गङ्गा"), "गंगा");
        assert_eq!(n("चञ्चल"), "चंचल");
        assert_eq!(n("कण्ठ"), "कंठ");
        assert_eq!(n("सम्बन्ध"), "संबंध");
        // Not before a nasal or a consonant of another class: अन्न, जन्म, सम्राट stay.
        assert_eq!(n("अन्न"), "अन्न");
        assert_eq!(n("जन्म"), "जन्म");
        assert_eq!(n("सम्राट"), "सम्राट");
        assert_eq!(n("अन्य"), "अन्य");
        // Not across a word break.
        assert_eq!(n("न् द"), "न् द");
        // Bengali বন্ধু = বংধু, Gujarati, Odia, Telugu, Kannada, Gurmukhi.
        assert_eq!(n("বন্ধু"), n("বংধু"));
        assert_eq!(n("અન્ત"), n("અંત"));
        assert_eq!(n("ସନ୍ତ"), n("ସଂତ"));
        assert_eq!(n("అన్త"), n("అంత"));
        assert_eq!(n("ಅನ್ತ"), n("ಅಂತ"));
        assert_eq!(n("ਸਨ੍ਤ"), n("ਸਂਤ"));
        // Tamil is excluded: பந்து keeps its ந்.
        assert_eq!(n("பந்து"), "பந்து");
        assert_eq!(n("பங்கு"), "பங்கு");
    }

    #[test]
    fn rule6_malayalam_chillu() {
        // Atomic chillu vs old-style chillu (consonant + virama + ZWJ).
        assert_eq!(n("അവൻ"), n("അവന്\u{200D}"));
        assert_eq!(n("അവൻ"), "അവന്");
        assert_eq!(n("അവൾ"), n("അവള്\u{200D}"));
        assert_eq!(n("അവർ"), n("അവര്\u{200D}"));
        assert_eq!(n("കൽ"), n("കല്\u{200D}"));
        assert_eq!(n("\u{0D7A}"), n("ണ്\u{200D}"));
        assert_eq!(n("\u{0D7F}"), "ക്");
        assert_eq!(n("\u{0D54}"), "മ്");
        assert_eq!(n("\u{0D55}"), "യ്");
        assert_eq!(n("\u{0D56}"), "ഴ്");
        // A chillu followed by a dental stop folds the same way as ന് + stop does.
        assert_eq!(n("ൻത"), n("ന്\u{200D}ത"));
        assert_eq!(n("ൻത"), n("ന്ത"));
    }

    #[test]
    fn rule7_native_digits() {
        assert_eq!(n("०१२३४५६७८९"), "0123456789"); // Devanagari
        assert_eq!(n("০১২৩৪৫৬৭৮৯"), "0123456789"); // Bengali
        assert_eq!(n("੦੧੨੩੪੫੬੭੮੯"), "0123456789"); // Gurmukhi
        assert_eq!(n("૦૧૨૩૪૫૬૭૮૯"), "0123456789"); // Gujarati
        assert_eq!(n("୦୧୨୩୪୫୬୭୮୯"), "0123456789"); // Odia
        assert_eq!(n("௦௧௨௩௪௫௬௭௮௯"), "0123456789"); // Tamil
        assert_eq!(n("౦౧౨౩౪౫౬౭౮౯"), "0123456789"); // Telugu
        assert_eq!(n("೦೧೨೩೪೫೬೭೮೯"), "0123456789"); // Kannada
        assert_eq!(n("൦൧൨൩൪൫൬൭൮൯"), "0123456789"); // Malayalam
        assert_eq!(n("१८५७ में"), "1857 में");
        assert_eq!(n("१,००,०००"), "1,00,000");
        assert_eq!(n("१८५७में"), "1857में");
    }

    #[test]
    fn rule8_punctuation() {
        // Danda and double danda.
        assert_eq!(n("राम घर गया। सीता आई॥"), "राम घर गया सीता आई");
        assert_eq!(n("ভালো।তারপর"), "ভালো তারপর");
        assert_eq!(
            n("«Hello», \"world\" (x) [y] {z} a|b~c`d^e"),
            "hello world x y z a b c d e"
        );
        assert_eq!(n("don't"), "don t");
        assert_eq!(n("50% of ₹200 and $3"), "50 of 200 and 3");
        assert_eq!(n("“उद्धरण” — ‘एक’…"), "उद्धरण एक");
        assert_eq!(n("a😀b"), "a b");
        assert_eq!(n("a\u{200B}b"), "a b");
    }

    #[test]
    fn rule8_numbers_survive() {
        assert_eq!(n("1,000,000"), "1,000,000");
        assert_eq!(n("10,00,000"), "10,00,000");
        assert_eq!(n("3.5"), "3.5");
        assert_eq!(n("It costs 3.5."), "it costs 3.5");
        assert_eq!(n("1, 2, 3."), "1 2 3");
        assert_eq!(n("a,b.c"), "a b c");
        assert_eq!(n(".5"), "5");
        assert_eq!(n("2,125 টাকা"), "2,125 টাকা");
    }

    #[test]
    fn rule8_minus() {
        assert_eq!(n("-5"), "-5");
        assert_eq!(n("तापमान -5 था"), "तापमान -5 था");
        assert_eq!(n("(-5)"), "-5");
        assert_eq!(n("\u{2212}7"), "-7");
        // A hyphen after a letter or digit is not a minus sign.
        assert_eq!(n("1857-58"), "1857 58");
        assert_eq!(n("x-5"), "x 5");
        assert_eq!(n("कि-5"), "कि 5");
        assert_eq!(n("well-known"), "well known");
        assert_eq!(n("- 5"), "5");
        assert_eq!(n("--5"), "-5");
        assert_eq!(n("5--5"), "5 -5");
        assert_eq!(n("-"), "");
    }

    #[test]
    fn rule9_whitespace() {
        assert_eq!(n("  a \t\n b\u{00A0}c\u{3000}d\u{2003}e  "), "a b c d e");
        assert_eq!(n("\r\nनमस्ते\r\n"), "नमस्ते");
    }

    #[test]
    fn ascii_fast_path_matches_general_path() {
        let cases = [
            "",
            "Hello, World!",
            "  The answer is -42.5, not 1,000,000 (or 10,00,000).  ",
            "1857-58 x-5 --5 5--5 a.b 3.5.6 1,2,3 ,5 .5 5. -",
            "tabs\tand\nnewlines\r\x0b\x0c and \x01control\x7f chars",
            "~`^|\\/@#$%&*_+=<>[]{}()'\"",
        ];
        for c in cases {
            assert_eq!(n(c), slow(c), "input {c:?}");
        }
        // Every pair of ASCII bytes, as a cheap exhaustive check of the context rules.
        for a in 0u8..128 {
            for b in [b'0', b'a', b'-', b',', b' '] {
                for d in [b'1', b'z', b'.'] {
                    let bytes = [b, a, d, a];
                    let s = std::str::from_utf8(&bytes).unwrap_or_default();
                    assert_eq!(n(s), slow(s), "input {s:?}");
                }
            }
        }
    }

    #[test]
    fn idempotent_on_tricky_inputs() {
        let cases = [
            "हिन्दी, गङ्गा; क़लम । ১০,০০০ টাকা -৫",
            "അവൻ അവന്\u{200D} ൻത",
            "ਸਿੰਘ ਜ਼ \u{0A01}",
            " \u{301}x a. \u{301} -\u{200D}5 1,\u{200C}2",
            "İstanbul ǅ ß ΣΑΣ",
            "न्\u{200C}द क\u{093C}\u{094D}ष",
            "ক\u{09C7}\u{200D}\u{09BE}",
            "1.-5 a-,2 x.-5",
            "😀\u{FE0F} \u{1F1EE}\u{1F1F3}",
        ];
        for c in cases {
            let once = n(c);
            assert_eq!(n(&once), once, "input {c:?}");
        }
    }

    /// Deterministic pseudo-random strings over the characters that the rules treat specially, so
    /// that rule interactions (joiners inside conjuncts, marks after punctuation, signs before
    /// digits…) are exercised beyond the hand-written cases.
    #[test]
    fn idempotent_and_well_formed_on_random_strings() {
        let mut pool: Vec<char> = Vec::new();
        for base in [
            0x0900u32, 0x0980, 0x0A00, 0x0A80, 0x0B00, 0x0B80, 0x0C00, 0x0C80, 0x0D00,
        ] {
            for off in [
                0x01, 0x02, 0x15, 0x17, 0x19, 0x1A, 0x1E, 0x1F, 0x23, 0x24, 0x26, 0x28, 0x2A, 0x2E,
                0x2F, 0x30, 0x3C, 0x3E, 0x3F, 0x47, 0x4D, 0x57, 0x5C, 0x5F, 0x66, 0x6F, 0x70, 0x7A,
            ] {
                if let Some(c) = char::from_u32(base + off) {
                    pool.push(c);
                }
            }
        }
        pool.extend("\u{0958}\u{0929}\u{09DF}\u{0A33}\u{0B5C}\u{0D7B}\u{0D54}\u{09CE}".chars());
        pool.extend("\u{200C}\u{200D}\u{FEFF}\u{00AD}\u{200B}\u{0301}\u{0307}\u{FE0F}".chars());
        pool.extend("aZİ9,.-\u{2212} \t।॥!%₹()'\"ßΣςÅJǰ\u{30C}\u{323}\u{345}ᾼΩ".chars());
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut s = String::new();
        for _ in 0..20_000 {
            s.clear();
            let len = (next() % 12) as usize;
            for _ in 0..len {
                s.push(pool[(next() % pool.len() as u64) as usize]);
            }
            let once = n(&s);
            assert_eq!(n(&once), once, "input {s:?}");
            assert!(!once.starts_with(' ') && !once.ends_with(' ') && !once.contains("  "));
            assert!(!once.contains(['\u{200C}', '\u{200D}', '\u{093C}', '\u{09BC}', '\u{0901}']));
            assert_eq!(once, full(&s), "input {s:?}");
            if s.is_ascii() {
                assert_eq!(once, slow(&s), "input {s:?}");
            }
        }
    }

    #[test]
    fn output_shape() {
        for c in ["  a  ,  b  ", "।क।", "\u{200D} x \u{200D}", "-"] {
            let o = n(c);
            assert!(
                !o.starts_with(' ') && !o.ends_with(' ') && !o.contains("  "),
                "{o:?}"
            );
        }
    }

    #[test]
    fn normalize_into_reuses_buffer() {
        let mut buf = String::from("old contents");
        normalize_into("Nई दिल्ली", &mut buf);
        assert_eq!(buf, "nई दिल्ली");
        normalize_into("X", &mut buf);
        assert_eq!(buf, "x");
    }

    #[test]
    fn indic_table_agrees_with_generic_lookups() {
        for cp in INDIC_START..INDIC_END {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            assert_eq!(is_word_char(c), is_word_char_generic(c), "U+{cp:04X}");
            let once = std::iter::once(c);
            // "Yes" from the standard check is always "yes" here; a "yes" here is always true.
            if is_nfc_quick(once.clone()) == IsNormalized::Yes {
                assert!(quick_is_nfc(once.clone()), "U+{cp:04X}");
            }
            if quick_is_nfc(once) {
                assert_eq!(
                    c.to_string().nfc().collect::<String>(),
                    c.to_string(),
                    "U+{cp:04X}"
                );
            }
        }
    }

    /// The fast check never calls a pair NFC that composes, over every pair of characters of the
    /// Indic blocks (the "maybe" vowel signs compose only with the letter right before them).
    #[test]
    fn fast_nfc_check_is_sound_on_every_indic_pair() {
        let chars: Vec<char> = (INDIC_START..INDIC_END)
            .filter_map(char::from_u32)
            .collect();
        for &a in &chars {
            for &b in &chars {
                let pair = [a, b];
                if quick_is_nfc(pair.iter().copied()) {
                    let s: String = pair.iter().collect();
                    assert_eq!(
                        s.nfc().collect::<String>(),
                        s,
                        "U+{:04X} U+{:04X}",
                        a as u32,
                        b as u32
                    );
                }
            }
        }
        // And it does take the fast path for the common Tamil vowel sign after a consonant.
        assert!(quick_is_nfc("கா".chars()));
        assert!(
            !quick_is_nfc("\u{0BC6}\u{0BBE}".chars()),
            "ெ + ா composes to ொ"
        );
    }

    #[test]
    fn fast_and_full_unicode_paths_agree() {
        let cases = [
            "1857 का भारतीय विद्रोह, जिसे प्रथम स्वतंत्रता संग्राम भी कहा जाता है।",
            "মঙ্গলবার ১০,০০০ টাকা — “উদ্ধৃতি”",
            "അവൻ വന്നു, കൽ ൻത",
            "ਸਿੰਘ ਜ਼ੋਰ",
            "Café DNA test करवाया J\u{30C}",
            "ক\u{09C7}\u{200D}\u{09BE} ক\u{09C7}\u{09BE}",
        ];
        for c in cases {
            assert_eq!(n(c), full(c), "input {c:?}");
        }
        // Every character of the Indic blocks, alone and between letters and signs.
        for cp in INDIC_START..INDIC_END {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            for s in [
                format!("{c}"),
                format!("क{c}ा"),
                format!("ক{c}\u{09BE}"),
                format!("{c}\u{94D}"),
            ] {
                assert_eq!(n(&s), full(&s), "U+{cp:04X} in {s:?}");
            }
        }
    }

    /// Every character of the Basic Multilingual Plane, alone, before a combining mark and after
    /// a capital: the shortcut path equals the full path and the result is a fixed point.
    #[test]
    fn every_bmp_char_fast_equals_full_and_idempotent() {
        let mut s = String::new();
        for cp in 0x80..0x1_0000u32 {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            for form in 0..3 {
                s.clear();
                match form {
                    0 => s.push(c),
                    1 => {
                        s.push(c);
                        s.push('\u{0301}');
                    }
                    _ => {
                        s.push('J');
                        s.push(c);
                    }
                }
                let once = n(&s);
                assert_eq!(once, full(&s), "U+{cp:04X} form {form}");
                assert_eq!(n(&once), once, "U+{cp:04X} form {form}");
            }
        }
    }

    #[test]
    fn word_char_classes() {
        assert!(is_word_char('a'));
        assert!(is_word_char('7'));
        assert!(is_word_char('क'));
        assert!(is_word_char('\u{094D}')); // virama: a mark
        assert!(is_word_char('\u{093F}')); // vowel sign i
        assert!(!is_word_char(' '));
        assert!(!is_word_char('।'));
        assert!(!is_word_char('-'));
    }
}
