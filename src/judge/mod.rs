//! Judges decide, for one answer and one criterion, whether the behaviour is present.
//!
//! The offline rule judge ([`rules`]) lives here; judge models over HTTP live in the live
//! evaluation path. Both produce [`Verdict`]s, which [`crate::grade`] turns into scores.

pub mod llm;
pub mod rules;

use serde::{Deserialize, Serialize};

/// Who decided a verdict (the `source` field of `grades.jsonl`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    /// The offline rule judge, from the criterion's `check`.
    Rule,
    /// A judge model, by name.
    Judge(String),
    /// Recorded verdicts from a file (`grade --verdicts`).
    Verdicts,
    /// Nobody: the criterion has no check and no judge model was used.
    Unjudged,
}

impl Source {
    pub fn as_string(&self) -> String {
        match self {
            Source::Rule => "rule".into(),
            Source::Judge(m) => format!("judge:{m}"),
            Source::Verdicts => "verdicts".into(),
            Source::Unjudged => "unjudged".into(),
        }
    }

    pub fn parse(s: &str) -> Source {
        match s {
            "rule" => Source::Rule,
            "verdicts" => Source::Verdicts,
            "unjudged" => Source::Unjudged,
            other => Source::Judge(other.strip_prefix("judge:").unwrap_or(other).to_string()),
        }
    }
}

impl Serialize for Source {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_string())
    }
}

impl<'de> Deserialize<'de> for Source {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(Source::parse(&s))
    }
}

/// One criterion's decision for one answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Whether the described behaviour is present; `None` when no judge could decide.
    pub met: Option<bool>,
    pub source: Source,
    pub explanation: Option<String>,
    /// Why `met` is `None`, when it is.
    pub error: Option<String>,
}

impl Verdict {
    pub fn rule(met: bool) -> Self {
        Verdict {
            met: Some(met),
            source: Source::Rule,
            explanation: None,
            error: None,
        }
    }

    /// A rule verdict with the evidence for it.
    pub fn rule_explained(met: bool, explanation: String) -> Self {
        Verdict {
            met: Some(met),
            source: Source::Rule,
            explanation: Some(explanation),
            error: None,
        }
    }

    pub fn unjudged() -> Self {
        Verdict {
            met: None,
            source: Source::Unjudged,
            explanation: None,
            error: None,
        }
    }

    /// Whether this criterion counts in the score (unjudged ones are left out entirely).
    pub fn is_judged(&self) -> bool {
        self.source != Source::Unjudged
    }
}
