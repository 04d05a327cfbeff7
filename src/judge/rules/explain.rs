//! The words of explanations: phrase lists, numbers and the context of a match.

use super::{CompiledRubric, Scratch};
use crate::text::Span;

impl CompiledRubric {
    /// The phrases with these indices, quoted, the first six only.
    pub(super) fn phrase_list(&self, ids: &[usize]) -> String {
        let mut out = String::new();
        self.phrase_list_into(ids, &mut out);
        out
    }

    /// [`phrase_list`](Self::phrase_list), appended to `out`.
    pub(super) fn phrase_list_into(&self, ids: &[usize], out: &mut String) {
        for (k, &i) in ids.iter().enumerate() {
            if k == 6 {
                out.push_str(", … (");
                out.push_str(itoa::Buffer::new().format(ids.len() - 6));
                out.push_str(" more)");
                break;
            }
            if k > 0 {
                out.push_str(", ");
            }
            out.push('"');
            out.push_str(self.phrases.get(i).map_or("", String::as_str));
            out.push('"');
        }
    }
}

/// A number as a person writes it (no `.0` on whole numbers).
pub(super) fn fmt_num(v: f64) -> String {
    let mut out = String::new();
    fmt_num_into(v, &mut out);
    out
}

/// [`fmt_num`], appended to `out`.
pub(super) fn fmt_num_into(v: f64, out: &mut String) {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        out.push_str(itoa::Buffer::new().format(v as i64));
    } else {
        use std::fmt::Write;
        let _ = write!(out, "{v}");
    }
}

/// A share in percent with no decimals, as `format!("{:.0}", percent)` writes it: rounded to the
/// nearest whole number, halves to even.
pub(super) fn percent_into(percent: f64, out: &mut String) {
    if percent.is_sign_positive() && percent < 1e15 {
        out.push_str(itoa::Buffer::new().format(percent.round_ties_even() as i64));
    } else {
        use std::fmt::Write;
        let _ = write!(out, "{percent:.0}");
    }
}

/// A match with a few words of context either side.
pub(super) fn ctx(s: &Scratch, span: Span) -> String {
    let mut out = String::new();
    ctx_into(s, span, &mut out);
    out
}

/// [`ctx`], appended to `out`.
pub(super) fn ctx_into(s: &Scratch, span: Span, out: &mut String) {
    s.toks
        .excerpt_into(span.0 as usize, span.1 as usize, 3, out);
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    fn percent(x: f64) -> String {
        let mut out = String::new();
        super::percent_into(x, &mut out);
        out
    }

    #[test]
    fn percents_round_as_the_formatter_does() {
        for x in [
            0.0,
            -0.0,
            0.5,
            1.5,
            2.5,
            49.5,
            50.5,
            99.5,
            100.0,
            0.49999999999999994,
            12.499999,
            -3.0,
            f64::NAN,
            f64::INFINITY,
        ] {
            assert_eq!(percent(x), format!("{x:.0}"), "{x}");
        }
        // Every share of up to 400 letters, as the script check computes it.
        for total in 1..=400u32 {
            for k in 0..=total {
                let x = f64::from(k) / f64::from(total) * 100.0;
                assert_eq!(percent(x), format!("{x:.0}"), "{k}/{total}");
            }
        }
    }

    proptest! {
        #[test]
        fn any_percent_rounds_as_the_formatter_does(x in 0.0f64..1e6) {
            prop_assert_eq!(percent(x), format!("{x:.0}"));
        }
    }
}
