//! The words of explanations: phrase lists, numbers and the context of a match.

use super::{CompiledRubric, Scratch};
use crate::text::Span;

impl CompiledRubric {
    /// The phrases with these indices, quoted, the first six only.
    pub(super) fn phrase_list(&self, ids: &[usize]) -> String {
        let mut out = String::new();
        for (k, &i) in ids.iter().enumerate() {
            if k == 6 {
                out.push_str(&format!(", … ({} more)", ids.len() - 6));
                break;
            }
            if k > 0 {
                out.push_str(", ");
            }
            out.push('"');
            out.push_str(self.phrases.get(i).map_or("", String::as_str));
            out.push('"');
        }
        out
    }
}

/// A number as a person writes it (no `.0` on whole numbers).
pub(super) fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// A match with a few words of context either side.
pub(super) fn ctx(s: &Scratch, span: Span) -> String {
    s.toks.excerpt(span.0 as usize, span.1 as usize, 3)
}
