//! The people's scores of labelled answers (SPEC §4e): the §4 formula over the raters'
//! majority, for correcting a judge's scores.

use std::collections::HashMap;

use crate::dataset::answer_labels::AnswerLabels;
use crate::dataset::labels::{answer_sha256, LabelSet};
use crate::dataset::{Dataset, Question};

/// The human score of one answer: SPEC §4's formula over the majority decisions (ties: not met);
/// `None` when the rubric has no positive points.
pub fn human_score(a: &AnswerLabels, q: &Question) -> Option<f64> {
    let decided = a.majority();
    super::score(q, decided.iter().map(|&m| (true, Some(m)))).0
}

/// The people's score of each labelled answer (SPEC §4e), for correcting a judge's scores.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HumanScores {
    /// By (model, question id, sample): answers whose labels name their model.
    pub by_answer: HashMap<(String, String, u32), f64>,
    /// By (question id, SHA-256 of the answer text): answers known by their text only.
    pub by_text: HashMap<(String, String), f64>,
    /// Answers labelled on only some of their criteria (criterion lines), not scored.
    pub partial: usize,
    /// Labelled answers whose rubric has no positive points (no score).
    pub unscorable: usize,
    /// Lines of the labelling file not filled in yet.
    pub unlabelled: usize,
}

impl HumanScores {
    /// Labelled answers with a score.
    pub fn len(&self) -> usize {
        self.by_answer.len() + self.by_text.len()
    }

    /// Whether no answer has a score.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Scores every wholly labelled answer of a labels file: answer lines by their raters' majority,
/// and criterion lines when they cover every criterion of an answer (each criterion by the
/// majority of its raters; ties are "not met").
pub fn human_scores(set: &LabelSet, ds: &Dataset) -> HumanScores {
    let mut out = HumanScores {
        unlabelled: set.unlabelled,
        ..HumanScores::default()
    };
    for a in &set.answers {
        let Some(q) = ds.get(&a.question_id) else {
            continue;
        };
        let Some(s) = human_score(a, q) else {
            out.unscorable += 1;
            continue;
        };
        match (&a.model, &a.answer) {
            (Some(m), _) => {
                out.by_answer
                    .insert((m.clone(), a.question_id.clone(), a.sample.unwrap_or(0)), s);
            }
            (None, Some(t)) => {
                out.by_text
                    .insert((a.question_id.clone(), answer_sha256(t)), s);
            }
            (None, None) => {}
        }
    }
    // Criterion lines, gathered by answer text.
    let mut by_text: HashMap<(String, String), HashMap<&str, bool>> = HashMap::new();
    for it in &set.criteria {
        let met = 2 * it.labels.iter().filter(|&&l| l).count() > it.labels.len();
        by_text
            .entry((it.question_id.clone(), answer_sha256(&it.answer)))
            .or_default()
            .insert(it.criterion_id.as_str(), met);
    }
    for ((qid, sha), decided) in by_text {
        let Some(q) = ds.get(&qid) else {
            continue;
        };
        if q.rubric
            .iter()
            .any(|c| !decided.contains_key(c.id.as_str()))
        {
            out.partial += 1;
            continue;
        }
        let met = q
            .rubric
            .iter()
            .map(|c| (true, decided.get(c.id.as_str()).copied()));
        match super::score(q, met).0 {
            Some(s) => {
                out.by_text.insert((qid, sha), s);
            }
            None => out.unscorable += 1,
        }
    }
    out
}
