//! Several judge models, or one asked several times, deciding together (SPEC §4d).
//!
//! A [`Panel`] is the judge models of a run (its jurors), how their verdicts are combined
//! (`--jury-vote`) and how many times each is asked (`--judge-samples`). A [`Jury`] asks every
//! juror for every sample (each a [`ModelJudge`], all at once), keeps each one's verdict as a
//! [`Vote`], and decides each criterion from them: a juror's verdict is the majority of its
//! samples, the jury's the majority (or unanimity) of its jurors. A criterion stays undecided
//! (`null`) only while the missing votes could still change the outcome. With one juror asked
//! once, the jury is exactly that judge model: same requests, same verdicts, no votes.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use serde::{Deserialize, Serialize};

use super::model::ModelJudge;
use super::{
    add_usage, Judge, JudgeMode, JudgeSide, JudgeUsage, Judged, Pending, Source, Task, Verdict,
};
use crate::dataset::Question;
use crate::error::Result;
use crate::http::Client;

/// How a jury's verdict follows from its jurors' (`--jury-vote`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum VoteRule {
    /// Met when more than half of the jurors say met; a tie is not met.
    #[default]
    Majority,
    /// Met only when every juror says met.
    Unanimous,
}

impl VoteRule {
    pub fn as_str(&self) -> &'static str {
        match self {
            VoteRule::Majority => "majority",
            VoteRule::Unanimous => "unanimous",
        }
    }

    /// The outcome of `votes` (`None`: a juror that could not decide), when the missing votes
    /// cannot change it; `None` while they could.
    pub fn decide(self, votes: &[Option<bool>]) -> Option<bool> {
        let n = votes.len();
        let yes = votes.iter().filter(|v| **v == Some(true)).count();
        let no = votes.iter().filter(|v| **v == Some(false)).count();
        let open = n - yes - no;
        match self {
            VoteRule::Majority => {
                if 2 * yes > n {
                    Some(true)
                } else if 2 * (yes + open) <= n {
                    Some(false)
                } else {
                    None
                }
            }
            VoteRule::Unanimous => {
                if n > 0 && yes == n {
                    Some(true)
                } else if no > 0 {
                    Some(false)
                } else {
                    None
                }
            }
        }
    }
}

/// The judge models of a run and how they decide together.
#[derive(Debug, Clone)]
pub struct Panel {
    /// One or more judge models, each with its own endpoint (names are distinct).
    pub jurors: Vec<JudgeSide>,
    /// How the jurors' verdicts combine.
    pub vote: VoteRule,
    /// Verdicts asked of each juror per criterion (`--judge-samples`, at least 1).
    pub samples: u32,
}

impl Panel {
    /// One judge model asked once.
    pub fn single(side: JudgeSide) -> Panel {
        Panel {
            jurors: vec![side],
            vote: VoteRule::Majority,
            samples: 1,
        }
    }

    /// Requests per criterion (or per answer in batched mode): jurors × samples.
    pub fn voices(&self) -> u64 {
        self.jurors.len() as u64 * u64::from(self.samples.max(1))
    }

    /// One juror asked once: the plain judge model, whose grade lines carry no votes.
    pub fn is_plain(&self) -> bool {
        self.jurors.len() == 1 && self.samples <= 1
    }

    /// The first juror (every juror shares mode, template, retries and limits).
    pub fn lead(&self) -> Option<&JudgeSide> {
        self.jurors.first()
    }

    /// The jurors' model names.
    pub fn names(&self) -> Vec<&str> {
        self.jurors.iter().map(|j| j.model.as_str()).collect()
    }
}

/// One juror's verdict on one criterion, as kept in a grade line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vote {
    /// The juror's model name.
    pub judge: String,
    /// Which of the juror's repeated verdicts (present with `--judge-samples` above 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<u32>,
    pub met: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    /// Why `met` is null, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One juror asked for one sample.
struct Voice {
    juror: usize,
    sample: u32,
    judge: ModelJudge,
}

/// Every juror of a panel, each asked `samples` times, deciding together.
pub struct Jury {
    voices: Vec<Voice>,
    names: Vec<String>,
    vote: VoteRule,
    samples: u32,
    /// The jurors' mode (`None` without a judge model).
    mode: Option<JudgeMode>,
    /// The one judge model of a plain panel (or, without a panel, a judge model that refuses to
    /// judge: a hybrid judge whose checks decide everything never asks it).
    plain: Option<ModelJudge>,
}

impl Jury {
    /// The panel's jurors on a shared client; without a panel, judging any criterion is an
    /// error.
    pub fn new(client: Arc<Client>, panel: Option<Panel>) -> Jury {
        let Some(panel) = panel.filter(|p| !p.jurors.is_empty()) else {
            return Jury {
                voices: Vec::new(),
                names: Vec::new(),
                vote: VoteRule::Majority,
                samples: 1,
                mode: None,
                plain: Some(ModelJudge::new(client, None)),
            };
        };
        let samples = panel.samples.max(1);
        let plain = panel
            .is_plain()
            .then(|| ModelJudge::new(client.clone(), panel.jurors.first().cloned()));
        let mut voices = Vec::new();
        if plain.is_none() {
            for (j, side) in panel.jurors.iter().enumerate() {
                for s in 0..samples {
                    voices.push(Voice {
                        juror: j,
                        sample: s,
                        judge: ModelJudge::new(client.clone(), Some(side.clone())).with_sample(s),
                    });
                }
            }
        }
        Jury {
            voices,
            names: panel.jurors.iter().map(|j| j.model.clone()).collect(),
            vote: panel.vote,
            samples,
            mode: panel.lead().map(|j| j.mode),
            plain,
        }
    }

    /// The jurors' mode, when there is a judge model.
    pub fn mode(&self) -> Option<JudgeMode> {
        self.mode
    }

    /// Requests each asked criterion (or answer, in batched mode) costs.
    pub fn voices(&self) -> u64 {
        self.voices.len().max(1) as u64
    }

    /// Decides the criteria at positions `todo` of `q`'s rubric into `verdicts`, and each
    /// juror's votes on them into `votes` (left empty for a plain judge). Votes in `prior` (from
    /// an earlier, incomplete grade of the same answer) that were decided are kept, and only the
    /// jurors missing are asked. `Ok(None)` when the run is stopping.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn decide(
        &self,
        q: &Question,
        text: &str,
        todo: Vec<usize>,
        wanted: Option<&[usize]>,
        verdicts: &mut [Option<Verdict>],
        votes: &mut [Vec<Vote>],
        prior: Option<&[Vec<Vote>]>,
    ) -> Result<Option<JudgeUsage>> {
        if let Some(plain) = &self.plain {
            return plain.decide(q, text, todo, wanted, verdicts).await;
        }
        let n = q.rubric.len();
        let mut todo = todo;
        // As for a single judge: per-criterion mode asks only the criteria wanted; batched mode
        // asks the whole set, so its requests are the ones grading sends.
        if let (Some(w), Some(JudgeMode::PerCriterion)) = (wanted, self.mode) {
            todo.retain(|i| w.contains(i));
        }
        // Each voice's verdicts, from the prior grade where it decided, else asked.
        let mut slots: Vec<Vec<Option<Verdict>>> = vec![vec![None; n]; self.voices.len()];
        let mut asks: Vec<Vec<usize>> = Vec::with_capacity(self.voices.len());
        for (v, voice) in self.voices.iter().enumerate() {
            let name = &self.names[voice.juror];
            let mut ask = Vec::new();
            for &i in &todo {
                let kept = prior.and_then(|p| p.get(i)).and_then(|vs| {
                    vs.iter().find(|x| {
                        &x.judge == name && x.sample.unwrap_or(0) == voice.sample && x.met.is_some()
                    })
                });
                match kept {
                    Some(x) => {
                        slots[v][i] = Some(Verdict {
                            met: x.met,
                            source: Source::Judge(name.clone()),
                            explanation: x.explanation.clone(),
                            error: None,
                        })
                    }
                    None => ask.push(i),
                }
            }
            asks.push(ask);
        }
        let mut pending: Vec<Pin<Box<dyn Future<Output = _> + Send + '_>>> = Vec::new();
        for ((voice, slot), ask) in self.voices.iter().zip(slots.iter_mut()).zip(asks) {
            if ask.is_empty() {
                continue;
            }
            pending.push(Box::pin(voice.judge.decide(q, text, ask, None, slot)));
        }
        let mut total = JudgeUsage::default();
        for r in join_all(pending).await {
            match r? {
                Some(u) => add_usage(&mut total, u),
                None => return Ok(None),
            }
        }
        for &i in &todo {
            let (verdict, vs) = self.combine(i, &slots);
            verdicts[i] = Some(verdict);
            if let Some(slot) = votes.get_mut(i) {
                *slot = vs;
            }
        }
        Ok(Some(total))
    }

    /// The verdict on criterion `i` from every voice's, and the votes to keep.
    fn combine(&self, i: usize, slots: &[Vec<Option<Verdict>>]) -> (Verdict, Vec<Vote>) {
        let mut votes = Vec::with_capacity(self.voices.len());
        let mut per_juror: Vec<Vec<Option<bool>>> = vec![Vec::new(); self.names.len()];
        for (voice, slot) in self.voices.iter().zip(slots) {
            let v = slot.get(i).cloned().flatten();
            let met = v.as_ref().and_then(|v| v.met);
            per_juror[voice.juror].push(met);
            votes.push(Vote {
                judge: self.names[voice.juror].clone(),
                sample: (self.samples > 1).then_some(voice.sample),
                met,
                explanation: v.as_ref().and_then(|v| v.explanation.clone()),
                error: match (&v, met) {
                    (_, Some(_)) => None,
                    (Some(v), None) => v.error.clone(),
                    (None, None) => Some("not asked".into()),
                },
            });
        }
        let juror_verdicts: Vec<Option<bool>> = per_juror
            .iter()
            .map(|s| VoteRule::Majority.decide(s))
            .collect();
        let met = if self.names.len() == 1 {
            juror_verdicts[0]
        } else {
            self.vote.decide(&juror_verdicts)
        };
        let source = if self.names.len() == 1 {
            Source::Judge(self.names[0].clone())
        } else {
            Source::Jury
        };
        let (explanation, error) = match met {
            Some(m) => {
                let agree = votes.iter().filter(|v| v.met == Some(m)).count();
                let what = if self.names.len() == 1 {
                    "samples"
                } else {
                    "votes"
                };
                let why = votes
                    .iter()
                    .find(|v| v.met == Some(m))
                    .and_then(|v| v.explanation.clone())
                    .unwrap_or_default();
                let head = format!(
                    "{agree} of {} {what} {}",
                    votes.len(),
                    if m { "met" } else { "not met" }
                );
                let text = if self.names.len() > 1 {
                    format!("{head} ({}): {why}", self.vote.as_str())
                } else {
                    format!("{head}: {why}")
                };
                (Some(text), None)
            }
            None => {
                let failed: Vec<String> = votes
                    .iter()
                    .filter(|v| v.met.is_none())
                    .map(|v| {
                        format!(
                            "{}{}: {}",
                            v.judge,
                            v.sample.map(|s| format!(" #{s}")).unwrap_or_default(),
                            v.error.as_deref().unwrap_or("no verdict")
                        )
                    })
                    .collect();
                (
                    None,
                    Some(format!(
                        "undecided: the votes missing could change the outcome ({})",
                        failed.join("; ")
                    )),
                )
            }
        };
        (
            Verdict {
                met,
                source,
                explanation,
                error,
            },
            votes,
        )
    }
}

impl Jury {
    /// Asks the jury about every criterion still open in `verdicts` (rubric order) and makes the
    /// answer's judgement, adding what the jury spent to `usage`: the common end of the judges
    /// that use a judge model. `None` when the run is stopping.
    pub(crate) async fn complete(
        &self,
        task: Task<'_>,
        mut verdicts: Vec<Option<Verdict>>,
        mut usage: Option<JudgeUsage>,
    ) -> Result<Option<Judged>> {
        let n = task.q.rubric.len();
        let todo: Vec<usize> = (0..n).filter(|&i| verdicts[i].is_none()).collect();
        let mut votes: Vec<Vec<Vote>> = vec![Vec::new(); n];
        if !todo.is_empty() {
            let spent = self
                .decide(
                    task.q,
                    task.answer,
                    todo,
                    task.wanted,
                    &mut verdicts,
                    &mut votes,
                    task.prior,
                )
                .await?;
            match (spent, usage.as_mut()) {
                (None, _) => return Ok(None),
                (Some(u), Some(total)) => super::add_usage(total, u),
                (Some(u), None) => usage = Some(u),
            }
        }
        let mut judged = Judged::from_slots(verdicts, usage);
        judged.votes = votes;
        Ok(Some(judged))
    }
}

impl Judge for Jury {
    fn judge<'a>(&'a self, task: Task<'a>) -> Pending<'a> {
        Box::pin(async move {
            let n = task.q.rubric.len();
            self.complete(task, vec![None; n], None).await
        })
    }
}

/// Waits for every future, polling them all in turn (their requests run concurrently, bounded by
/// the shared client), and returns their outputs in order.
async fn join_all<'a, T>(mut futs: Vec<Pin<Box<dyn Future<Output = T> + Send + 'a>>>) -> Vec<T> {
    let mut out: Vec<Option<T>> = futs.iter().map(|_| None).collect();
    std::future::poll_fn(move |cx| {
        let mut done = true;
        for (f, o) in futs.iter_mut().zip(out.iter_mut()) {
            if o.is_none() {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => *o = Some(v),
                    Poll::Pending => done = false,
                }
            }
        }
        if done {
            Poll::Ready(out.iter_mut().filter_map(Option::take).collect())
        } else {
            Poll::Pending
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn votes_decide_only_when_the_missing_cannot_change_the_outcome() {
        let (t, f, u) = (Some(true), Some(false), None);
        let m = VoteRule::Majority;
        assert_eq!(m.decide(&[t, t, f]), t);
        assert_eq!(m.decide(&[t, f, f]), f);
        assert_eq!(m.decide(&[t, f]), f, "a tie is not met");
        assert_eq!(m.decide(&[t, t, u]), t, "two of three already decide");
        assert_eq!(m.decide(&[f, f, u]), f);
        assert_eq!(m.decide(&[t, f, u]), u, "the missing vote decides");
        assert_eq!(m.decide(&[f, u]), f, "at best a tie, which is not met");
        assert_eq!(m.decide(&[t, u]), u);
        assert_eq!(m.decide(&[u]), u);
        let all = VoteRule::Unanimous;
        assert_eq!(all.decide(&[t, t, t]), t);
        assert_eq!(all.decide(&[t, t, f]), f);
        assert_eq!(all.decide(&[t, u, f]), f);
        assert_eq!(all.decide(&[t, u, t]), u);
        assert_eq!(all.decide(&[]), u);
    }

    #[test]
    fn votes_serialise_as_the_spec_says() {
        let v = Vote {
            judge: "m".into(),
            sample: None,
            met: Some(true),
            explanation: Some("ok".into()),
            error: None,
        };
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"judge":"m","met":true,"explanation":"ok"}"#
        );
        let null = Vote {
            sample: Some(2),
            met: None,
            explanation: None,
            error: Some("timeout".into()),
            ..v
        };
        assert_eq!(
            serde_json::to_string(&null).unwrap(),
            r#"{"judge":"m","sample":2,"met":null,"error":"timeout"}"#
        );
    }
}
