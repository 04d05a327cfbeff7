//! Evaluating compiled checks on a prepared answer, each with its explanation.

use super::compile::Compiled;
use super::explain::{ctx, ctx_into, fmt_num, fmt_num_into, percent_into};
use super::{CompiledRubric, Scratch};
use crate::text::{Span, Tokens};

impl CompiledRubric {
    /// Occurrences of a number check that count (echo, negation and `near` applied), with the
    /// reason the first one that does not count was rejected. A number is near a phrase when it
    /// is within `within` words of it and no other number is closer to it.
    fn number_spans(&self, c: &Compiled, s: &Scratch, out: &mut Vec<Span>) -> Option<String> {
        let Compiled::Number {
            value,
            tolerance,
            near,
            within,
            affirmed,
        } = c
        else {
            return None;
        };
        let mut why = None;
        for &(v, t) in &s.numbers {
            if !close(v, *value, *tolerance) {
                continue;
            }
            let span = (t, t);
            if let Some(r) = self.rejected(span, *affirmed, s) {
                if why.is_none() {
                    why = Some(format!(
                        "{} at \"{}\": {}",
                        fmt_num(v),
                        ctx(s, span),
                        r.describe(s)
                    ));
                }
                continue;
            }
            if !near.is_empty() {
                // The number must be within reach of the phrase, in the same sentence, and no
                // other number of the phrase's clause may be closer to it, unless only numbers
                // stand between the two (a worked sum, "ettukettu: 8 ÷ 4 = 2"): in "7 wheels and
                // 24 horses", 24 is not the wheels' count, nor 7 the horses'; in "MBC 20%; SC
                // 18%", 20 is not in SC's clause.
                let sentence = |i: u32| s.toks.period[i as usize];
                let clause = |i: u32| s.toks.clause[i as usize];
                let close_by = near.iter().any(|&p| {
                    s.occ[p].iter().any(|&o| {
                        let d = distance(span, o);
                        d <= *within
                            && sentence(o.0) == sentence(t)
                            && self.rejected(o, false, s).is_none()
                            && (s.numbers.iter().all(|&(_, t2)| {
                                clause(t2) != clause(o.0) || distance((t2, t2), o) >= d
                            }) || only_numbers_between(&s.toks, span, o))
                    })
                });
                if !close_by {
                    if why.is_some() {
                        continue;
                    }
                    why = Some(format!(
                        "{} at \"{}\" is not within {within} words of {}",
                        fmt_num(v),
                        ctx(s, span),
                        self.phrase_list(near)
                    ));
                    continue;
                }
            }
            out.push(span);
        }
        why
    }

    /// Places where a positional check holds, one list per part that `near` must bring together.
    fn items(&self, c: &Compiled, s: &Scratch, out: &mut Vec<Vec<Span>>) {
        match c {
            Compiled::Mentions { ids, all, affirmed } => {
                let keep = |p: usize| -> Vec<Span> {
                    s.occ[p]
                        .iter()
                        .copied()
                        .filter(|&o| self.rejected(o, *affirmed, s).is_none())
                        .collect()
                };
                if *all {
                    for &p in ids {
                        out.push(keep(p));
                    }
                } else {
                    out.push(ids.iter().flat_map(|&p| keep(p)).collect());
                }
            }
            Compiled::Number { .. } => {
                let mut v = Vec::new();
                self.number_spans(c, s, &mut v);
                out.push(v);
            }
            Compiled::Regex(r) => {
                let text = &s.toks.text;
                out.push(
                    r.find_iter(text)
                        .filter(|m| m.end() > m.start())
                        .map(|m| {
                            (
                                s.toks.token_at(m.start()) as u32,
                                s.toks.token_at(m.end() - 1) as u32,
                            )
                        })
                        .filter(|&(a, _)| (a as usize) < s.toks.len())
                        .collect(),
                );
            }
            Compiled::Near { items, within } => {
                out.push(self.windows(items, *within, s));
            }
            // The loader allows only positional checks inside `near`.
            _ => out.push(Vec::new()),
        }
    }

    /// Windows where every item has a place within `within` words of the others.
    fn windows(&self, items: &[Compiled], within: u32, s: &Scratch) -> Vec<Span> {
        let mut lists = Vec::new();
        for c in items {
            self.items(c, s, &mut lists);
        }
        let mut found = Vec::new();
        for (k, list) in lists.iter().enumerate() {
            for &x in list {
                // x is the place that ends first; every other part needs a place ending no
                // earlier and starting at most `within` words after x ends.
                let mut lo = x.0;
                let mut hi = x.1;
                let ok = lists.iter().enumerate().all(|(j, other)| {
                    if j == k {
                        return true;
                    }
                    match other
                        .iter()
                        .filter(|o| o.1 >= x.1 && o.0 <= x.1.saturating_add(within))
                        .min_by_key(|o| o.0)
                    {
                        Some(o) => {
                            lo = lo.min(o.0);
                            hi = hi.max(o.1);
                            true
                        }
                        None => false,
                    }
                });
                if ok {
                    found.push((lo, hi));
                }
            }
        }
        found.sort_unstable();
        found.dedup();
        found
    }

    /// Whether a check holds in the answer prepared in `s`, with why written to `why`. Phrase,
    /// number, regex and near checks earn nothing in an answer the guards marked as gamed.
    pub(super) fn eval(&self, c: &Compiled, s: &Scratch, why: &mut String) -> bool {
        use std::fmt::Write;
        let positional = matches!(
            c,
            Compiled::Mentions { .. }
                | Compiled::Number { .. }
                | Compiled::Regex(_)
                | Compiled::Near { .. }
        );
        if positional {
            if let Some(g) = &s.gamed {
                why.push_str(g);
                return false;
            }
        }
        match c {
            Compiled::Mentions { ids, all, affirmed } => {
                let mut found: Vec<(usize, Span)> = Vec::new();
                let mut missing: Vec<usize> = Vec::new();
                let mut rejected: Option<String> = None;
                for &p in ids {
                    let mut hit = None;
                    for &o in &s.occ[p] {
                        match self.rejected(o, *affirmed, s) {
                            None => {
                                hit = Some(o);
                                break;
                            }
                            Some(r) => {
                                rejected.get_or_insert_with(|| {
                                    format!(
                                        "\"{}\" at \"{}\" not counted: {}",
                                        self.phrases[p],
                                        ctx(s, o),
                                        r.describe(s)
                                    )
                                });
                            }
                        }
                    }
                    match hit {
                        Some(o) => {
                            found.push((p, o));
                            if !*all {
                                break;
                            }
                        }
                        None => missing.push(p),
                    }
                }
                let met = if *all {
                    missing.is_empty()
                } else {
                    !found.is_empty()
                };
                if met {
                    for (k, (p, o)) in found.iter().enumerate() {
                        if k > 0 {
                            why.push_str("; ");
                        }
                        why.push_str("found \"");
                        why.push_str(&self.phrases[*p]);
                        why.push_str("\": \"");
                        ctx_into(s, *o, why);
                        why.push('"');
                    }
                } else {
                    why.push_str(if *all { "missing: " } else { "none of " });
                    self.phrase_list_into(if *all { &missing } else { ids }, why);
                    why.push_str(" found");
                    if let Some(r) = rejected {
                        let _ = write!(why, " ({r})");
                    }
                }
                met
            }
            Compiled::Regex(r) => match r.find(&s.toks.text) {
                Some(m) => {
                    let a = s.toks.token_at(m.start());
                    let b = s.toks.token_at(m.end().saturating_sub(1).max(m.start()));
                    let _ = write!(
                        why,
                        "pattern matched: \"{}\"",
                        if a < s.toks.len() {
                            s.toks.excerpt(a, b.min(s.toks.len() - 1), 3)
                        } else {
                            String::new()
                        }
                    );
                    true
                }
                None => {
                    let _ = write!(why, "pattern /{}/ not found", r.as_str());
                    false
                }
            },
            Compiled::Number {
                value,
                tolerance,
                near,
                within,
                ..
            } => {
                let mut spans = Vec::new();
                let rejected = self.number_spans(c, s, &mut spans);
                match spans.first() {
                    Some(&sp) => {
                        why.push_str("found ");
                        fmt_num_into(*value, why);
                        why.push_str(" at \"");
                        ctx_into(s, sp, why);
                        why.push('"');
                        if !near.is_empty() {
                            let _ =
                                write!(why, " within {within} words of {}", self.phrase_list(near));
                        }
                        true
                    }
                    None => {
                        match rejected {
                            Some(r) => {
                                let _ = write!(why, "no {} that counts ({r})", fmt_num(*value));
                            }
                            None => {
                                let _ = write!(why, "no number equal to {}", fmt_num(*value));
                                if *tolerance > 0.0 {
                                    let _ = write!(why, " ± {}", fmt_num(*tolerance));
                                }
                                why.push_str(" found");
                            }
                        }
                        false
                    }
                }
            }
            Compiled::Script { script, min_share } => {
                // Script share is of the raw answer's letters (normalisation keeps scripts, but
                // the raw text is what a reader sees), counted when the answer was normalised.
                let share = s.toks.letters().share(*script);
                let met = share >= *min_share && share > 0.0;
                why.push_str(script.code());
                why.push_str(" is ");
                percent_into(share * 100.0, why);
                why.push_str("% of the letters (at least ");
                percent_into(min_share * 100.0, why);
                why.push_str("% needed)");
                met
            }
            Compiled::Words { min, max } => {
                let n = s.toks.len() as u64;
                let met = min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m);
                why.push_str(itoa::Buffer::new().format(n));
                why.push_str(" words (");
                match (min, max) {
                    (Some(a), Some(b)) => {
                        let _ = write!(why, "{a} to {b} wanted)");
                    }
                    (Some(a), None) => {
                        let _ = write!(why, "at least {a} wanted)");
                    }
                    (None, Some(b)) => {
                        let _ = write!(why, "at most {b} wanted)");
                    }
                    (None, None) => why.push_str("any number)"),
                }
                met
            }
            Compiled::All(v) => {
                let mut parts = Vec::new();
                for c in v {
                    let mut w = String::new();
                    if !self.eval(c, s, &mut w) {
                        why.push_str(&w);
                        return false;
                    }
                    parts.push(w);
                }
                why.push_str(&parts.join("; "));
                true
            }
            Compiled::Any(v) => {
                let mut parts = Vec::new();
                for c in v {
                    let mut w = String::new();
                    if self.eval(c, s, &mut w) {
                        why.push_str(&w);
                        return true;
                    }
                    parts.push(w);
                }
                why.push_str(&parts.join("; "));
                false
            }
            Compiled::Not(c) => {
                let mut w = String::new();
                let inner = self.eval(c, s, &mut w);
                let _ = write!(why, "not ({w})");
                !inner
            }
            Compiled::Near { items, within } => {
                let w = self.windows(items, *within, s);
                match w.first() {
                    Some(&(a, b)) => {
                        let _ = write!(
                            why,
                            "found together within {within} words: \"{}\"",
                            s.toks.excerpt(a as usize, b as usize, 2)
                        );
                        true
                    }
                    None => {
                        let mut parts = Vec::new();
                        for c in items {
                            let mut p = String::new();
                            self.eval(c, s, &mut p);
                            parts.push(p);
                        }
                        let _ = write!(
                            why,
                            "not all within {within} words of each other ({})",
                            parts.join("; ")
                        );
                        false
                    }
                }
            }
        }
    }
}

/// A tiny relative slack absorbs decimal-to-binary rounding ("0.3" vs 0.1 + 0.2).
pub(super) fn close(n: f64, value: f64, tolerance: f64) -> bool {
    let slack = tolerance + 1e-9 * value.abs().max(1.0);
    (n - value).abs() <= slack
}

/// Whether every token strictly between two spans is a number.
fn only_numbers_between(toks: &Tokens, a: Span, b: Span) -> bool {
    let (from, to) = if a.1 < b.0 {
        (a.1 + 1, b.0)
    } else {
        (b.1 + 1, a.0)
    };
    (from..to).all(|i| {
        let t = toks.get(i as usize).as_bytes();
        t.first().is_some_and(u8::is_ascii_digit)
            || (t.first() == Some(&b'-') && t.get(1).is_some_and(u8::is_ascii_digit))
    })
}

/// Words between two spans (0 when they touch or overlap).
fn distance(a: Span, b: Span) -> u32 {
    if a.1 < b.0 {
        b.0 - a.1
    } else {
        a.0.saturating_sub(b.1)
    }
}
