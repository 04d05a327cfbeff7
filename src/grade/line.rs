//! Grade lines of the rule judge written by hand into a reused buffer: the same bytes as
//! serialising [`RuleGradeLine`] with serde_json (keys are constants; strings and fractional
//! numbers still go through serde_json's own writers, so escaping and float formatting are its).

use std::io::Write;

use super::{code, RuleGradeLine};

/// A string as a JSON string, escaped as serde_json escapes it.
fn string(out: &mut Vec<u8>, s: &str) {
    // Writing into a Vec<u8> cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// A number as [`points`](super::points) writes it: whole numbers without a fraction.
fn points(out: &mut Vec<u8>, x: f64) {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        let _ = write!(out, "{}", x as i64);
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
        let _ = write!(out, ",\"sample\":{},\"language\":", self.sample);
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
