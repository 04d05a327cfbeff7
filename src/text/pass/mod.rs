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
//!
//! The files: `table` builds the per-character tables of the Indic blocks, `stream` applies the
//! context rules and the NFC quick check to the mapped characters as they are written, and
//! `letters` counts letters per script; this file runs the pass.

mod letters;
mod stream;
mod table;

use super::byte_table;
use super::normalize::{map_char, normalize_full};
use super::script::Script;
pub use letters::Letters;
use stream::Pass;
use table::{pass_table, FAST, MAP_EMPTY, MAP_SELF};

#[cfg(test)]
pub(in crate::text) mod tests;

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
    analyze(s, out, None).0
}

/// [`analyze_into`], also giving the byte offset in `out` of every space between two words
/// (`spaces` is cleared first), so that the caller can cut the words without searching for them.
pub fn analyze_words_into(s: &str, out: &mut String, spaces: &mut Vec<u32>) -> Analysis {
    spaces.clear();
    let (analysis, full) = analyze(s, out, Some(&mut *spaces));
    if full {
        // The full path wrote the text: its spaces are found afresh.
        spaces.clear();
        spaces.extend(memchr::memchr_iter(b' ', out.as_bytes()).map(|i| i as u32));
    }
    analysis
}

/// [`analyze_words_into`] for a whole answer whose sentences and clauses are cut afterwards: also
/// records, for every character that may end a sentence or a clause (`cuts` is cleared first),
/// its byte offset in `s` and the length of `out` when it was reached. `None` when the text was
/// not known to be NFC and took the full path (nothing is then recorded, and `out` holds the
/// normalised text).
pub fn analyze_cuts_into(
    s: &str,
    out: &mut String,
    spaces: &mut Vec<u32>,
    cuts: &mut Vec<(u32, u32)>,
) -> Option<Analysis> {
    spaces.clear();
    cuts.clear();
    let (analysis, full) = analyze_with(s, out, Some(&mut *spaces), Some(&mut *cuts));
    (!full).then_some(analysis)
}

/// Classes of [`ASCII_WORD`]: an ASCII letter (bit 0), an ASCII digit.
const LETTER: u8 = 1;
const DIGIT: u8 = 2;

/// The class of each byte: a letter, a digit, or 0 for any other byte.
const ASCII_WORD: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if c.is_ascii_alphabetic() {
            LETTER
        } else if c.is_ascii_digit() {
            DIGIT
        } else {
            0
        };
        b += 1;
    }
    t
};

/// The longest start of eight bytes made of ASCII letters and digits and of single spaces
/// between them (a space counts only when a letter or digit follows it within the eight).
struct AsciiWords {
    /// Its length in bytes.
    len: usize,
    /// Its letters.
    letters: usize,
    /// Its spaces: the high bit of each such byte.
    spaces: u64,
}

impl AsciiWords {
    #[inline(always)]
    fn of(chunk: &[u8]) -> AsciiWords {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGH: u64 = ONES * 0x80;
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let ascii = !x & HIGH;
        let v = x & !HIGH;
        // The high bit of each byte of `v` (seven bits each, so no carry crosses a byte) with
        // lo <= byte <= hi.
        let within = |v: u64, lo: u8, hi: u8| {
            v.wrapping_add(ONES * u64::from(0x80 - lo))
                & !v.wrapping_add(ONES * u64::from(0x7F - hi))
                & HIGH
        };
        let letters = within(v | (ONES * 0x20), b'a', b'z') & ascii;
        let ok = letters | (within(v, b'0', b'9') & ascii);
        let space = within(v, b' ', b' ') & ascii;
        // Little-endian: the next byte's flag, shifted down onto this one.
        let good = ok | (space & (ok >> 8));
        let len = ((!good & HIGH).trailing_zeros() / 8) as usize;
        let prefix = if len >= 8 {
            u64::MAX
        } else {
            (1u64 << (8 * len)) - 1
        };
        AsciiWords {
            len: len.min(8),
            // One bit per letter, at the top of its byte: moved to the bottom, the bytes are
            // summed into the top byte by one multiplication (at most 8, so no carry). The
            // baseline x86-64 target has no population-count instruction.
            letters: (((letters & prefix) >> 7).wrapping_mul(ONES) >> 56) as usize,
            spaces: space & prefix,
        }
    }
}

/// ASCII characters that may end a sentence or a clause.
const ASCII_CUT: [bool; 256] = byte_table(b".!?;\n|,:()[]\"");

/// Whether `c`, outside ASCII and the Indic blocks, may end a clause: – — “ ” ، 、.
fn generic_cut(c: char) -> bool {
    matches!(c, '—' | '–' | '“' | '”' | '،' | '、')
}

fn analyze(s: &str, out: &mut String, spaces: Option<&mut Vec<u32>>) -> (Analysis, bool) {
    analyze_with(s, out, spaces, None)
}

/// The analysis, and whether the full path wrote the text (the spaces recorded are then not
/// those of `out`).
fn analyze_with(
    s: &str,
    out: &mut String,
    spaces: Option<&mut Vec<u32>>,
    mut cuts: Option<&mut Vec<(u32, u32)>>,
) -> (Analysis, bool) {
    out.clear();
    out.reserve(s.len());
    let table = pass_table();
    let mut letters = Letters::default();
    let mut last = NO_SCRIPT;
    let mut p = Pass::new(out);
    p.space_offsets = spaces;
    let bytes = s.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b < 0x80 {
            if b.is_ascii_alphanumeric() {
                // A run of ASCII letters and digits goes through in one tight loop, and so do
                // the words after it that are separated from it by single spaces: normalisation
                // writes such a space as it stands.
                p.begin_ascii_word(b);
                let at = p.out.len();
                let mut end = i;
                let mut alpha = 0;
                loop {
                    // Eight bytes at a time while they are letters, digits and single spaces
                    // between them; the byte loop below takes what is left.
                    while let Some(chunk) = bytes.get(end..end + 8) {
                        let words = AsciiWords::of(chunk);
                        let mut spaces = words.spaces;
                        while spaces != 0 {
                            let k = (spaces.trailing_zeros() / 8) as usize;
                            p.space_at(at + (end - i) + k);
                            spaces &= spaces - 1;
                        }
                        alpha += words.letters;
                        end += words.len;
                        if words.len < 8 {
                            break;
                        }
                    }
                    while let Some(&c) = bytes.get(end) {
                        let class = ASCII_WORD[usize::from(c)];
                        if class == 0 {
                            break;
                        }
                        alpha += usize::from(class & LETTER);
                        end += 1;
                    }
                    match bytes.get(end..end + 2) {
                        Some(&[b' ', next]) if ASCII_WORD[usize::from(next)] != 0 => {
                            p.space_at(at + (end - i));
                            end += 1;
                        }
                        _ => break,
                    }
                }
                let last_byte = bytes[end - 1];
                // Copied whole, then lower-cased in place (digits and spaces stay as they are).
                p.out.push_str(s.get(i..end).unwrap_or_default());
                p.out[at..].make_ascii_lowercase();
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
                if let Some(cuts) = cuts.as_deref_mut() {
                    if ASCII_CUT[usize::from(b)] {
                        cuts.push((i as u32, p.out.len() as u32));
                    }
                }
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
            if cp & !1 == 0x964 {
                // Danda and double danda.
                if let Some(cuts) = cuts.as_deref_mut() {
                    cuts.push((i as u32, p.out.len() as u32));
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
            if generic_cut(c) {
                if let Some(cuts) = cuts.as_deref_mut() {
                    cuts.push((i as u32, p.out.len() as u32));
                }
            }
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
        return (
            Analysis {
                letters: Letters::of(s),
                words,
            },
            true,
        );
    }
    let words = p.finish();
    (Analysis { letters, words }, false)
}

/// "No script" in the script codes of the letter counts (a code is `Script as u8`).
pub(super) const NO_SCRIPT: u8 = u8::MAX;

/// The code point of the Indic-block character at byte `i`, if the character there is one.
#[inline(always)]
pub(super) fn indic_at(bytes: &[u8], i: usize) -> Option<u32> {
    // U+0900..U+0D7F is E0 A4 80 ..= E0 B5 BF in UTF-8; `bytes` is valid UTF-8, so a lead byte
    // E0 is followed by two continuation bytes.
    match bytes.get(i..i + 3) {
        Some(&[0xE0, b1 @ 0xA4..=0xB5, b2]) => {
            Some((u32::from(b1 & 0x3F) << 6) | u32::from(b2 & 0x3F))
        }
        _ => None,
    }
}

/// The code point of the Indic-block character that ends at byte `i`, which the caller knows is
/// one (0, which no table entry has, otherwise).
#[inline(always)]
pub(super) fn indic_cp(bytes: &[u8], i: usize) -> u32 {
    match bytes.get(i.wrapping_sub(2)..i) {
        Some(&[b1, b2]) => (u32::from(b1 & 0x3F) << 6) | u32::from(b2 & 0x3F),
        _ => 0,
    }
}
