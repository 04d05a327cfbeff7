//! Judges decide, for one answer and each criterion of its rubric, whether the behaviour is
//! present.
//!
//! Every judge implements [`Judge`]: the offline rule checks ([`rules`]), the judge model
//! ([`model`], with its prompts in [`prompt`]), and checks with the model for the rest
//! ([`hybrid`]). Verdicts recorded elsewhere are read by [`recorded`], whose
//! [`recorded::RecordedJudge`] serves them as a judge of one model's answers. All produce
//! [`Verdict`]s, which [`crate::grade`] turns into scores. Adding a judge is adding a file here
//! that implements [`Judge`].

pub mod gated;
pub mod hybrid;
pub mod jury;
pub mod model;
pub mod prompt;
pub mod recorded;
pub mod rules;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::dataset::{Dataset, Question};
use crate::error::{Error, Result};
use crate::http::Client;
use rules::{RuleJudge, Scratch};

pub use gated::Gated;
pub use hybrid::Hybrid;
pub use jury::{Jury, Panel, Vote, VoteRule};
pub use model::{JudgeApi, JudgeSide, ModelJudge};
pub use prompt::{JudgeMode, Reference, Template};

/// One answer to judge.
#[derive(Debug, Clone, Copy)]
pub struct Task<'a> {
    /// The question's position in the dataset.
    pub question: u32,
    /// The question answered.
    pub q: &'a Question,
    /// The answer's text.
    pub answer: &'a str,
    /// Positions in the rubric of the criteria wanted (calibration judges only labelled ones);
    /// `None` for all. A judge may still decide others when that costs nothing extra.
    pub wanted: Option<&'a [usize]>,
    /// Per criterion, the votes an earlier, incomplete grade of this answer kept: a jury asks
    /// only the jurors whose vote is missing. `None` for a fresh answer.
    pub prior: Option<&'a [Vec<Vote>]>,
}

/// What a judge decided for one answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Judged {
    /// A verdict for every criterion of the rubric, in rubric order.
    pub verdicts: Vec<Verdict>,
    /// What the judge model's replies cost, when one was asked.
    pub usage: Option<JudgeUsage>,
    /// Per criterion, every juror's vote (empty for a single judge model asked once).
    pub votes: Vec<Vec<Vote>>,
}

impl Judged {
    /// Verdicts from per-criterion slots, undecided ones `unjudged`.
    pub fn from_slots(slots: Vec<Option<Verdict>>, usage: Option<JudgeUsage>) -> Judged {
        Judged {
            verdicts: slots
                .into_iter()
                .map(|v| v.unwrap_or_else(Verdict::unjudged))
                .collect(),
            usage,
            votes: Vec::new(),
        }
    }
}

/// A judge's answer for one task, still on its way: `Ok(None)` when the run is stopping (the
/// item is left for the resume); an error only for refused credentials or a judge model that is
/// needed but missing.
pub type Pending<'a> = Pin<Box<dyn Future<Output = Result<Option<Judged>>> + Send + 'a>>;

/// Decides, for one answer, every criterion of its rubric.
///
/// The live pipeline, calibration and the offline engine all judge through this trait. Judges
/// that need no network (the rule checks) also implement [`Judge::judge_now`], which the offline
/// engine uses to grade millions of answers without an async runtime or a verdict per criterion.
pub trait Judge: Send + Sync {
    /// Judges one answer.
    fn judge<'a>(&'a self, task: Task<'a>) -> Pending<'a>;

    /// Whether [`Judge::judge_now`] decides (the judge needs no network).
    fn decides_now(&self) -> bool {
        false
    }

    /// Decides the answer to question `question` at once into `met`, cleared first: one entry
    /// per criterion in rubric order, `Some(met)` where it decides and `None` for the others.
    /// Judges that need the network leave `met` empty ([`Judge::decides_now`] is false).
    fn judge_now(
        &self,
        _question: u32,
        _answer: &str,
        _scratch: &mut Scratch,
        met: &mut Vec<Option<bool>>,
    ) {
        met.clear();
    }
}

impl Judge for RuleJudge {
    fn judge<'a>(&'a self, task: Task<'a>) -> Pending<'a> {
        let verdicts = match self.rubrics.get(task.question as usize) {
            Some(compiled) => compiled.judge(task.answer, &mut Scratch::default()),
            None => vec![Verdict::unjudged(); task.q.rubric.len()],
        };
        Box::pin(std::future::ready(Ok(Some(Judged {
            verdicts,
            usage: None,
            votes: Vec::new(),
        }))))
    }

    fn decides_now(&self) -> bool {
        true
    }

    fn judge_now(
        &self,
        question: u32,
        answer: &str,
        scratch: &mut Scratch,
        met: &mut Vec<Option<bool>>,
    ) {
        met.clear();
        if let Some(compiled) = self.rubrics.get(question as usize) {
            compiled.judge_into(answer, scratch, |_, m, _| met.push(m));
        }
    }
}

/// Which judge grades answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JudgeKind {
    /// Offline checks only; criteria without a check are unjudged.
    Rules,
    /// The judge model for every criterion.
    Llm,
    /// Checks where a criterion has one, the judge model for the rest.
    Hybrid,
    /// A criterion's check as a necessary condition: not met decides `not met` with no call;
    /// met (or no check) leaves it to the judge model.
    Gated,
}

impl JudgeKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            JudgeKind::Rules => "rules",
            JudgeKind::Llm => "llm",
            JudgeKind::Hybrid => "hybrid",
            JudgeKind::Gated => "gated",
        }
    }
}

/// The judge `kind` names, asking `panel` (the judge models, for `llm`, `hybrid` and `gated`)
/// through `client`.
pub fn build(
    kind: JudgeKind,
    ds: &Dataset,
    client: Arc<Client>,
    panel: Option<Panel>,
) -> Result<Arc<dyn Judge>> {
    let rules = || RuleJudge::new(ds).map_err(Error::Other);
    Ok(match kind {
        JudgeKind::Rules => Arc::new(rules()?),
        JudgeKind::Llm => Arc::new(Jury::new(client, panel)),
        JudgeKind::Hybrid => Arc::new(Hybrid::new(rules()?, Jury::new(client, panel))),
        JudgeKind::Gated => Arc::new(Gated::new(rules()?, Jury::new(client, panel))),
    })
}

/// Adds what one reply (or set of replies) cost to a total.
pub(crate) fn add_usage(total: &mut JudgeUsage, u: JudgeUsage) {
    total.prompt_tokens += u.prompt_tokens;
    total.completion_tokens += u.completion_tokens;
    total.replies += u.replies;
    total.calls_saved += u.calls_saved;
}

fn is_zero(x: &u64) -> bool {
    *x == 0
}

/// What judging one answer cost: tokens over every judge reply, unusable ones included, and the
/// number of replies (from the server or the cache).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct JudgeUsage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub replies: u64,
    /// Judge calls a gated judge did not make (each criterion its check decided, times the
    /// jurors and samples that would have been asked).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub calls_saved: u64,
}

/// Who decided a verdict (the `source` field of `grades.jsonl`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    /// The offline rule judge, from the criterion's `check`.
    Rule,
    /// A judge model, by name.
    Judge(String),
    /// Several judge models voting (their votes are kept beside the verdict).
    Jury,
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
            Source::Jury => "jury".into(),
            Source::Verdicts => "verdicts".into(),
            Source::Unjudged => "unjudged".into(),
        }
    }

    pub fn parse(s: &str) -> Source {
        match s {
            "rule" => Source::Rule,
            "verdicts" => Source::Verdicts,
            "unjudged" => Source::Unjudged,
            "jury" => Source::Jury,
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
