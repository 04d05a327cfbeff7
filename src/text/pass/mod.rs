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

use super::normalize::{map_char, normalize_full};
use super::script::Script;
pub use letters::Letters;
use stream::Pass;
use table::{pass_table, FAST, MAP_EMPTY, MAP_SELF};

#[cfg(test)]
mod tests;

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
