//! The tables of the Indic blocks: for each character as written its script and whether it is a
//! letter; for what normalisation maps it to, the mapping, the word-character flag and the NFC
//! quick-check properties.

use std::sync::OnceLock;

use unicode_normalization::char::compose;

use super::NO_SCRIPT;
use crate::text::normalize::{
    fold_nasal, indic_flags, is_letter, map_brahmic, INDIC_END, INDIC_LEN, INDIC_START,
    MAYBE_STARTER, NFC_YES, WORD,
};
use crate::text::script::Script;

/// Flag of [`Entry::flags`]: a character that normalisation keeps as it is, a word character,
/// NFC quick check "yes" or a "maybe" of class 0 (see [`Pass::indic_run`]).
pub(super) const FAST: u8 = 0x40;
/// Flag: composes with some character of the Indic blocks that follows it.
pub(super) const COMPOSES_FIRST: u8 = 0x20;
/// Flag: a stop consonant of a block with the nasal rule (the third character of its pattern).
pub(super) const STOP: u8 = 0x10;

/// Flag: the character needs a look at the ones before it in a run (its NFC quick check is not
/// "yes", it has a combining class, or it is a [`STOP`]); a run passes the others straight on.
pub(super) const CHECK: u8 = 0x80;

/// Mapping kinds of [`Entry::map`].
pub(super) const MAP_SELF: u8 = 0;
pub(super) const MAP_EMPTY: u8 = 1;
pub(super) const MAP_OTHER: u8 = 2;

/// What the tables know of one character of the Indic blocks.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Entry {
    /// Flags of the character in the mapped stream (`WORD`, `NFC_YES`, `MAYBE_STARTER`).
    pub(super) flags: u8,
    /// Its canonical combining class.
    pub(super) ccc: u8,
    /// As written: the script code when it is a letter, `NO_SCRIPT` otherwise.
    pub(super) letter: u8,
    /// What normalisation maps it to: itself, nothing, or the characters in `to`.
    pub(super) map: u8,
    /// With `MAP_OTHER`: one or two code points (0 for none), Indic or ASCII digits.
    pub(super) to: [u16; 2],
}

pub(super) struct PassTable {
    entries: [Entry; INDIC_LEN],
}

impl PassTable {
    #[inline(always)]
    pub(super) fn entry(&self, cp: u32) -> &Entry {
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
pub(super) fn pass_table() -> &'static PassTable {
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
            if e.flags & (NFC_YES | STOP) != NFC_YES || ccc != 0 {
                e.flags |= CHECK;
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
