//! Rule checks where a criterion has one, the judge model for the rest.

use super::jury::Jury;
use super::rules::{RuleJudge, Scratch};
use super::{Judge, Pending, Task, Verdict};

/// The hybrid judge: each criterion with a check is decided by it; the judge model decides the
/// others (all in one request in batched mode).
pub struct Hybrid {
    rules: RuleJudge,
    model: Jury,
}

impl Hybrid {
    /// Checks from `rules`, the rest asked of `model`.
    pub fn new(rules: RuleJudge, model: Jury) -> Hybrid {
        Hybrid { rules, model }
    }
}

impl Judge for Hybrid {
    fn judge<'a>(&'a self, task: Task<'a>) -> Pending<'a> {
        Box::pin(async move {
            let q = task.q;
            let mut verdicts: Vec<Option<Verdict>> = vec![None; q.rubric.len()];
            if let Some(compiled) = self.rules.rubrics.get(task.question as usize) {
                let rv = compiled.judge(task.answer, &mut Scratch::default());
                for (slot, v) in verdicts.iter_mut().zip(rv) {
                    if v.is_judged() {
                        *slot = Some(v);
                    }
                }
            }
            self.model.complete(task, verdicts, None).await
        })
    }
}
