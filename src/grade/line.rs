//! Grade lines of the rule judge written by hand into a reused buffer: the same bytes as
//! serialising [`RuleGradeLine`] with serde_json (keys are constants; strings are escaped as
//! serde_json escapes them, and fractional numbers go through serde_json's own writer).

use super::{code, RuleGradeLine};

/// A string as a JSON string, escaped as serde_json escapes it: `"` and `\\` with a backslash,
/// the control characters below U+0020 as `\b` `\t` `\n` `\f` `\r` or `\u00xx`, everything
/// else as it is. The runs between bytes that need escaping are copied whole.
pub(crate) fn string(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 8);
    out.push(b'"');
    let mut start = 0;
    loop {
        // Quotes and backslashes are found with memchr; control characters, rare in
        // explanations, are looked for in the run before the next one.
        let next = memchr::memchr2(b'"', b'\\', &bytes[start..]).map_or(bytes.len(), |k| start + k);
        let run = &bytes[start..next];
        if let Some(k) = first_control(run) {
            out.extend_from_slice(&run[..k]);
            escape(out, run[k]);
            start += k + 1;
            continue;
        }
        out.extend_from_slice(run);
        match bytes.get(next) {
            Some(&b) => {
                escape(out, b);
                start = next + 1;
            }
            None => break,
        }
    }
    out.push(b'"');
}

/// The first byte below U+0020 in `run`. Sixteen bytes are tested at a time without branching
/// (the compiler turns the test into vector compares); a block with such a byte is then searched
/// byte by byte.
#[inline]
fn first_control(run: &[u8]) -> Option<usize> {
    const BLOCK: usize = 16;
    let mut blocks = run.chunks_exact(BLOCK);
    let mut at = 0;
    for block in &mut blocks {
        if block.iter().fold(false, |any, &b| any | (b < 0x20)) {
            return block.iter().position(|&b| b < 0x20).map(|k| at + k);
        }
        at += BLOCK;
    }
    blocks
        .remainder()
        .iter()
        .position(|&b| b < 0x20)
        .map(|k| at + k)
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

impl RuleGradeLine<'_> {
    /// Appends the grade line (without a line break) to `out`: the bytes of
    /// `serde_json::to_writer(out, self)`.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let q = self.question;
        let (sc, earned, possible, complete) = self.score();
        out.reserve(
            256 + self.model.len()
                + q.id.len()
                + self.explanations.iter().map(String::len).sum::<usize>()
                + q.rubric.iter().map(|c| c.id.len() + 64).sum::<usize>(),
        );
        out.extend_from_slice(b"{\"model\":");
        string(out, self.model);
        out.extend_from_slice(b",\"question_id\":");
        string(out, &q.id);
        out.extend_from_slice(b",\"sample\":");
        integer(out, self.sample);
        out.extend_from_slice(b",\"language\":");
        string(out, &q.language);
        out.extend_from_slice(b",\"domain\":");
        string(out, &q.domain);
        out.extend_from_slice(b",\"score\":");
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
        for (i, (c, &k)) in q.rubric.iter().zip(self.codes).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"id\":");
            string(out, &c.id);
            out.extend_from_slice(b",\"points\":");
            points(out, c.points);
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
            // At every offset of a sixteen-byte block, and in the tail after the last block.
            for k in 0..18 {
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
