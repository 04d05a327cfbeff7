//! Gated hybrid (SPEC §4d): a criterion's check is a necessary condition. A check not met
//! decides the criterion `not met` at once, with no call (for positive and negative criteria
//! alike: the behaviour the criterion describes is not there); a check met, or no check, leaves
//! the criterion to the judge model, which has the last word.

use super::jury::Jury;
use super::rules::{RuleJudge, Scratch};
use super::{Judge, JudgeMode, JudgeUsage, Pending, Source, Task, Verdict};

/// The gated judge.
pub struct Gated {
    rules: RuleJudge,
    model: Jury,
    /// Whether the judge model is asked once per answer (the calls saved count differently).
    batched: bool,
}

impl Gated {
    /// Checks from `rules` as gates, the verdicts from `model`.
    pub fn new(rules: RuleJudge, model: Jury) -> Gated {
        let batched = model.mode() == Some(JudgeMode::Batched);
        Gated {
            rules,
            model,
            batched,
        }
    }
}

impl Judge for Gated {
    fn judge<'a>(&'a self, task: Task<'a>) -> Pending<'a> {
        Box::pin(async move {
            let q = task.q;
            let n = q.rubric.len();
            let mut verdicts: Vec<Option<Verdict>> = vec![None; n];
            if let Some(compiled) = self.rules.rubrics.get(task.question as usize) {
                let rv = compiled.judge(task.answer, &mut Scratch::default());
                for (slot, v) in verdicts.iter_mut().zip(rv) {
                    if v.source == Source::Rule && v.met == Some(false) {
                        let why = v.explanation.unwrap_or_default();
                        *slot = Some(Verdict {
                            met: Some(false),
                            source: Source::Rule,
                            explanation: Some(format!(
                                "gate: the check is not met, so the judge was not asked ({why})"
                            )),
                            error: None,
                        });
                    }
                }
            }
            let wanted = |i: usize| task.wanted.is_none_or(|w| w.contains(&i));
            let gated = (0..n)
                .filter(|&i| verdicts[i].is_some() && wanted(i))
                .count() as u64;
            let todo: Vec<usize> = (0..n).filter(|&i| verdicts[i].is_none()).collect();
            // The calls a judge model deciding every criterion would have made and this one
            // does not: one per gated criterion and voice, or in batched mode one per voice when
            // the gates decided the whole answer.
            let saved = if self.batched {
                if todo.iter().any(|&i| wanted(i)) || gated == 0 {
                    0
                } else {
                    self.model.voices()
                }
            } else {
                gated * self.model.voices()
            };
            let usage = JudgeUsage {
                calls_saved: saved,
                ..JudgeUsage::default()
            };
            self.model.complete(task, verdicts, Some(usage)).await
        })
    }
}
