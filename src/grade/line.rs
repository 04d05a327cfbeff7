//! Grade lines of the rule judge written by hand into a reused buffer: the same bytes as
//! serialising [`RuleGradeLine`] with serde_json (keys are constants; strings are escaped as
//! serde_json escapes them, and fractional numbers go through serde_json's own writer).

use super::{code, RuleGradeLine};
use crate::dataset::Question;

/// A string as a JSON string, escaped as serde_json escapes it: `"` and `\\` with a backslash,
/// the control characters below U+0020 as `\b` `\t` `\n` `\f` `\r` or `\u00xx`, everything
/// else as it is. The runs between bytes that need escaping are copied whole.
pub(crate) fn string(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 8);
    out.push(b'"');
    let mut start = 0;
    while let Some(k) = next_escape(bytes, start) {
        out.extend_from_slice(&bytes[start..k]);
        escape(out, bytes[k]);
        start = k + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Whether JSON needs byte `b` escaped.
#[inline(always)]
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// The first byte at or after `from` that needs escaping, read eight bytes at a time.
#[inline]
fn next_escape(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    /// The high bit of each byte of `v` that is zero, and possibly of bytes after a zero one
    /// (a borrow runs upwards only from a byte that is zero).
    #[inline(always)]
    fn zero_bytes(v: u64) -> u64 {
        v.wrapping_sub(ONES) & !v & HIGH
    }
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let w = u64::from_le_bytes(word);
        // Bytes below 0x20, quotes and backslashes; a byte flagged only by a borrow always
        // comes after a true one, so the lowest flag is the first byte to escape.
        let flagged = (w.wrapping_sub(ONES * 0x20) & !w & HIGH)
            | zero_bytes(w ^ (ONES * u64::from(b'"')))
            | zero_bytes(w ^ (ONES * u64::from(b'\\')));
        if flagged != 0 {
            let k = i + (flagged.trailing_zeros() / 8) as usize;
            if bytes.get(k).is_some_and(|&b| needs_escape(b)) {
                return Some(k);
            }
            if let Some(k) = chunk.iter().position(|&b| needs_escape(b)) {
                return Some(i + k);
            }
        }
        i += 8;
    }
    bytes
        .get(i..)?
        .iter()
        .position(|&b| needs_escape(b))
        .map(|k| i + k)
}

/// The escape of one byte that needs it.
fn escape(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match b {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x09 => out.extend_from_slice(b"\\t"),
        0x0A => out.extend_from_slice(b"\\n"),
        0x0C => out.extend_from_slice(b"\\f"),
        0x0D => out.extend_from_slice(b"\\r"),
        _ => out.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[usize::from(b >> 4)],
            HEX[usize::from(b & 0xF)],
        ]),
    }
}

/// A whole number, as serde_json writes an integer.
fn integer(out: &mut Vec<u8>, n: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// A number as [`points`](super::points) writes it: whole numbers without a fraction.
fn points(out: &mut Vec<u8>, x: f64) {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        integer(out, x as i64);
    } else {
        let _ = serde_json::to_writer(&mut *out, &x);
    }
}

/// A question's share of every grade line, serialised once: its id, language and domain, and
/// each criterion's id and points. Writing a line then copies these bytes from one place instead
/// of visiting the rubric's strings, which are cold in cache when answers come in any order.
#[derive(Debug, Clone, Default)]
pub struct LineParts {
    /// `,"question_id":…,"sample":`
    question: Vec<u8>,
    /// `,"language":…,"domain":…,"score":`
    language: Vec<u8>,
    /// `{"id":…,"points":…` of every criterion, one after another, ending at `ends[i]`.
    criteria: Vec<u8>,
    ends: Vec<usize>,
}

impl LineParts {
    pub fn new(q: &Question) -> LineParts {
        let mut question = b",\"question_id\":".to_vec();
        string(&mut question, &q.id);
        question.extend_from_slice(b",\"sample\":");
        let mut language = b",\"language\":".to_vec();
        string(&mut language, &q.language);
        language.extend_from_slice(b",\"domain\":");
        string(&mut language, &q.domain);
        language.extend_from_slice(b",\"score\":");
        let mut criteria = Vec::new();
        let mut ends = Vec::with_capacity(q.rubric.len());
        for c in &q.rubric {
            criteria.extend_from_slice(b"{\"id\":");
            string(&mut criteria, &c.id);
            criteria.extend_from_slice(b",\"points\":");
            points(&mut criteria, c.points);
            ends.push(criteria.len());
        }
        LineParts {
            question,
            language,
            criteria,
            ends,
        }
    }

    /// The serialised id and points of criterion `i`.
    fn criterion(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.criteria[start..self.ends[i]]
    }
}

impl RuleGradeLine<'_> {
    /// Appends the grade line (without a line break) to `out`: the bytes of
    /// `serde_json::to_writer(out, self)`.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        self.write_json_with(&LineParts::new(self.question), self.score(), out);
    }

    /// [`write_json`](Self::write_json) with the question's parts serialised beforehand and the
    /// line's [`score`](Self::score) already worked out.
    pub fn write_json_with(
        &self,
        parts: &LineParts,
        (sc, earned, possible, complete): (Option<f64>, f64, f64, bool),
        out: &mut Vec<u8>,
    ) {
        out.reserve(
            256 + self.model.len()
                + parts.question.len()
                + parts.language.len()
                + parts.criteria.len()
                + self.explanations.iter().map(String::len).sum::<usize>()
                + 64 * parts.ends.len(),
        );
        out.extend_from_slice(b"{\"model\":");
        string(out, self.model);
        out.extend_from_slice(&parts.question);
        integer(out, self.sample);
        out.extend_from_slice(&parts.language);
        let _ = serde_json::to_writer(&mut *out, &sc);
        out.extend_from_slice(b",\"points_earned\":");
        points(out, earned);
        out.extend_from_slice(b",\"points_possible\":");
        points(out, possible);
        out.extend_from_slice(if complete {
            b",\"complete\":true"
        } else {
            b",\"complete\":false"
        });
        if let Some(a) = &self.answer_script {
            out.extend_from_slice(b",\"answer_script\":");
            let _ = serde_json::to_writer(&mut *out, a);
        }
        match self.in_language {
            Some(true) => out.extend_from_slice(b",\"in_language\":true"),
            Some(false) => out.extend_from_slice(b",\"in_language\":false"),
            None => {}
        }
        out.extend_from_slice(b",\"criteria\":[");
        for (i, &k) in self.codes.iter().enumerate().take(parts.ends.len()) {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(parts.criterion(i));
            out.extend_from_slice(match k {
                code::MET => b",\"met\":true,\"source\":\"rule\"",
                code::NOT_MET => b",\"met\":false,\"source\":\"rule\"",
                code::UNJUDGED => b",\"met\":null,\"source\":\"unjudged\"" as &[u8],
                _ => b",\"met\":null,\"source\":\"rule\"",
            });
            let why = self.explanations.get(i).map_or("", String::as_str);
            if k != code::UNJUDGED && !why.is_empty() {
                out.extend_from_slice(b",\"explanation\":");
                string(out, why);
            }
            out.push(b'}');
        }
        out.extend_from_slice(b"]}");
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    fn ours(s: &str) -> String {
        let mut out = b"kept".to_vec();
        super::string(&mut out, s);
        String::from_utf8(out[4..].to_vec()).unwrap()
    }

    #[test]
    fn every_byte_is_escaped_as_serde_json_does() {
        for c in (0u32..0x200).chain([0x2028, 0x2029, 0xFEFF, 0x1F600]) {
            let Some(c) = char::from_u32(c) else { continue };
            // At every offset of an eight-byte word, and in the tail after the last word.
            for k in 0..10 {
                let s = format!("{}{c}ক্ষ", "a".repeat(k));
                assert_eq!(ours(&s), serde_json::to_string(&s).unwrap(), "{c:?} at {k}");
            }
        }
    }

    proptest! {
        #[test]
        fn strings_are_escaped_as_serde_json_does(
            s in "[\\x00-\\x20\"\\\\a-z\u{7f}\u{900}-\u{97f}\u{b80}-\u{bff}\u{200c}\u{200d}…]{0,40}"
        ) {
            prop_assert_eq!(ours(&s), serde_json::to_string(&s).unwrap());
        }
    }
}
