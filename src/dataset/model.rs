//! The question set's types.

use std::collections::HashMap;
use std::path::PathBuf;

use serde::Serialize;
use serde_json::{json, Value};

use super::check::Check;

/// One chat message of a prompt.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Message {
    pub role: String,
    pub content: String,
}

/// A question's prompt: plain text, or a conversation (HealthBench rows are conversations).
#[derive(Debug, Clone, PartialEq)]
pub enum Prompt {
    Text(String),
    Messages(Vec<Message>),
}

impl Prompt {
    /// The prompt as chat messages (plain text becomes one user message).
    pub fn messages(&self) -> Vec<Message> {
        match self {
            Prompt::Text(t) => vec![Message {
                role: "user".into(),
                content: t.clone(),
            }],
            Prompt::Messages(m) => m.clone(),
        }
    }

    /// All the prompt's text, for script detection and display.
    pub fn text(&self) -> String {
        match self {
            Prompt::Text(t) => t.clone(),
            Prompt::Messages(m) => m
                .iter()
                .map(|m| m.content.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    pub fn to_json(&self) -> Value {
        match self {
            Prompt::Text(t) => json!(t),
            Prompt::Messages(m) => json!(m),
        }
    }
}

/// One weighted rubric criterion.
#[derive(Debug, Clone, PartialEq)]
pub struct Criterion {
    /// Unique within its rubric; `c1`, `c2`, … by order when the input gives none.
    pub id: String,
    /// The behaviour the criterion describes.
    pub text: String,
    /// Non-zero and finite; negative points describe undesirable behaviour.
    pub points: f64,
    pub tags: Vec<String>,
    /// How the offline rule judge decides it; `None` leaves it to a judge model.
    pub check: Option<Check>,
}

impl Criterion {
    pub fn to_json(&self) -> Value {
        let mut v = json!({ "id": self.id, "criterion": self.text, "points": self.points, "tags": self.tags });
        if let Some(c) = &self.check {
            v["check"] = c.to_json();
        }
        v
    }
}

/// Where a question came from, for messages.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    pub file: PathBuf,
    pub line: usize,
}

/// One question with its rubric.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub id: String,
    /// Canonical BCP 47 code.
    pub language: String,
    pub domain: String,
    pub prompt: Prompt,
    pub prompt_en: Option<String>,
    pub ideal_answer: Option<String>,
    /// Question-level tags (HealthBench's `example_tags`).
    pub tags: Vec<String>,
    pub rubric: Vec<Criterion>,
    pub origin: Origin,
    /// Whether the row came from a HealthBench file (its language is assumed, not declared).
    pub healthbench: bool,
    /// Fewest words an answer needs for its phrase and number checks to count (`"min_words"` of
    /// the rubric line, else of the question); `None` derives a default from the ideal answer.
    pub min_words: Option<u32>,
}

impl Question {
    /// Sum of the rubric's positive points.
    pub fn positive_points(&self) -> f64 {
        self.rubric
            .iter()
            .filter(|c| c.points > 0.0)
            .map(|c| c.points)
            .sum()
    }

    /// The question as one self-contained JSON line with its rubric inline (the run directory's
    /// dataset snapshot uses this).
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "id": self.id,
            "language": self.language,
            "domain": self.domain,
            "prompt": self.prompt.to_json(),
            "tags": self.tags,
            "rubric": self.rubric.iter().map(Criterion::to_json).collect::<Vec<_>>(),
        });
        if let Some(p) = &self.prompt_en {
            v["prompt_en"] = json!(p);
        }
        if let Some(a) = &self.ideal_answer {
            v["ideal_answer"] = json!(a);
        }
        if self.healthbench {
            v["healthbench"] = json!(true);
        }
        if let Some(m) = self.min_words {
            v["min_words"] = json!(m);
        }
        v
    }
}

/// A loaded input file and its digest (for the run manifest).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceFile {
    pub path: PathBuf,
    pub sha256: String,
    /// `questions` or `rubrics`.
    pub kind: &'static str,
}

/// A validated question set.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub questions: Vec<Question>,
    index: HashMap<String, u32>,
    pub sources: Vec<SourceFile>,
    /// Ids of valid questions left out by a selection (`--languages`, `--domains`): answers and
    /// verdicts for them are passed over, not reported as unknown.
    pub deselected: std::collections::HashSet<String>,
}

impl Dataset {
    /// Builds a dataset from questions whose ids are unique (the loader guarantees it).
    pub fn new(questions: Vec<Question>, sources: Vec<SourceFile>) -> Self {
        let index = questions
            .iter()
            .enumerate()
            .map(|(i, q)| (q.id.clone(), i as u32))
            .collect();
        Dataset {
            questions,
            index,
            sources,
            deselected: Default::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.questions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.questions.is_empty()
    }

    /// Whether a question was loaded but left out by a selection.
    pub fn is_deselected(&self, id: &str) -> bool {
        self.deselected.contains(id)
    }

    /// The index of a question by id.
    pub fn position(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }

    pub fn get(&self, id: &str) -> Option<&Question> {
        self.position(id).map(|i| &self.questions[i as usize])
    }

    /// Whether every question came from HealthBench rows.
    pub fn is_healthbench(&self) -> bool {
        !self.questions.is_empty() && self.questions.iter().all(|q| q.healthbench)
    }

    /// SHA-256 over the files of one kind, in path order (empty string when there are none).
    pub fn digest(&self, kind: &str) -> String {
        use crate::util::hex;
        use sha2::{Digest, Sha256};
        let mut files: Vec<&SourceFile> = self.sources.iter().filter(|s| s.kind == kind).collect();
        if files.is_empty() {
            return String::new();
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let mut h = Sha256::new();
        for f in files {
            h.update(f.sha256.as_bytes());
        }
        hex(&h.finalize())
    }
}
