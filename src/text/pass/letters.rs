//! Letters of a text counted per script, in the same pass as its normalisation or alone.

use unicode_normalization::char::is_combining_mark;

use super::table::pass_table;
use super::{indic_at, NO_SCRIPT};
use crate::text::normalize::is_letter;
use crate::text::script::Script;

/// Letters of a text per script, counted as [`script_share`](crate::text::script_share) counts them:
/// alphabetic characters and combining marks are letters; a combining mark outside the script
/// blocks counts for the script of the letter it sits on; letters of other scripts count only in
/// the total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Letters {
    pub(super) counts: [usize; Script::ALL.len()],
    pub(super) total: usize,
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
    pub(in crate::text) fn add_after_break(&mut self, next: &Letters) {
        for (a, b) in self.counts.iter_mut().zip(next.counts.iter()) {
            *a += b;
        }
        self.total += next.total;
    }

    /// Counts an ASCII byte; returns the script code of the character for a following mark.
    #[inline(always)]
    pub(super) fn add_ascii(&mut self, b: u8) -> u8 {
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
    pub(super) fn add_indic(&mut self, letter: u8) -> u8 {
        if letter != NO_SCRIPT {
            // Every letter of these blocks has the script of its block.
            if let Some(n) = self.counts.get_mut(letter as usize) {
                *n += 1;
            }
            self.total += 1;
        }
        letter
    }

    /// Counts `n` letters of the Indic blocks of script code `letter` (none for
    /// [`NO_SCRIPT`]): what `n` calls of [`add_indic`](Self::add_indic) would count.
    #[inline(always)]
    pub(super) fn add_indic_n(&mut self, letter: u8, n: usize) {
        if letter != NO_SCRIPT {
            if let Some(c) = self.counts.get_mut(letter as usize) {
                *c += n;
            }
            self.total += n;
        }
    }

    /// Counts any other character; `last` is the script code of the character before it.
    pub(super) fn add_generic(&mut self, c: char, last: u8) -> u8 {
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
