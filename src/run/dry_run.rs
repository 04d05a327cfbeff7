//! `--dry-run`: the requests a plan would send, and about how many tokens, without sending any.

use std::path::Path;

use super::pipeline::{pending, Plan};
use crate::answers::openai::estimate_tokens;
use crate::dataset::Dataset;
use crate::error::Result;
use crate::http::Shown;
use crate::judge::prompt::{self as llm, JudgeMode};
use crate::judge::JudgeKind;
use crate::run::{self, saved_state, Saved};

/// What `--dry-run` would send.
#[derive(Debug, Default)]
pub struct DryRun {
    /// Every model request, with secrets shown as `[REDACTED]`.
    pub requests: Vec<Shown>,
    pub model_prompt_tokens: u64,
    /// The completion tokens' upper bound (`max_tokens` × requests), when `--max-tokens` is set.
    pub model_completion_bound: Option<u64>,
    /// Items already done in the run directory.
    pub already_done: usize,
    pub judge_calls: u64,
    /// Judge prompt tokens, counting each answer as `max_tokens` long (or 300 tokens without it).
    pub judge_prompt_tokens: u64,
}

impl DryRun {
    /// One line saying what `plan` would send and cost, and that nothing was sent. The judge's
    /// figures count each answer as the model's `max_tokens` long (300 tokens without it).
    pub fn summary(&self, plan: &Plan) -> String {
        let mut s = format!(
            "dry run: {} model requests (about {} prompt tokens",
            self.requests.len(),
            self.model_prompt_tokens
        );
        match self.model_completion_bound {
            Some(b) => s.push_str(&format!(", at most {b} completion tokens)")),
            None => s.push_str(", completion not bounded: no --max-tokens)"),
        }
        if let Some(panel) = &plan.panel {
            s.push_str(&format!(
                "; {} judge requests (about {} prompt tokens, counting each answer as {} tokens)",
                self.judge_calls,
                self.judge_prompt_tokens,
                plan.model
                    .as_ref()
                    .and_then(|m| m.params.max_tokens)
                    .unwrap_or(300)
            ));
            if panel.voices() > 1 {
                s.push_str(&format!(
                    ", {} juror(s) × {} sample(s) each",
                    panel.jurors.len(),
                    panel.samples
                ));
            }
            if plan.judge == Some(JudgeKind::Gated) {
                s.push_str(
                    " (gated: at most this many; a criterion whose check fails is decided without \
                     a call, which is known only once the answer is)",
                );
            }
        }
        if self.already_done > 0 {
            s.push_str(&format!("; {} items already done", self.already_done));
        }
        s.push_str(". Tokens are estimated at one per three bytes of text. Nothing was sent.");
        s
    }
}

/// Works out the requests of a plan without sending any.
pub fn dry_run(ds: &Dataset, dir: Option<&Path>, plan: &Plan) -> Result<DryRun> {
    let saved = match dir {
        Some(d) if d.join(run::MANIFEST).exists() => saved_state(d, false)?,
        _ => Saved::default(),
    };
    let work = pending(ds, plan, &saved, None);
    let mut out = DryRun {
        already_done: saved.graded.len().max(saved.answers.len()),
        ..Default::default()
    };
    for w in &work {
        let q = &ds.questions[w.question as usize];
        let mut answer_tokens = 300;
        if let (Some(side), None) = (&plan.model, &w.answer) {
            let req = side
                .api
                .request(&side.endpoint, &side.model, q, &side.params, w.sample);
            out.model_prompt_tokens += estimate_tokens(&req.shown.body.to_string());
            if let Some(m) = side.params.max_tokens {
                *out.model_completion_bound.get_or_insert(0) += m;
                answer_tokens = m;
            }
            out.requests.push(req.shown);
        }
        let (Some(kind), Some(panel)) = (plan.judge, &plan.panel) else {
            continue;
        };
        // A gated judge asks about a checked criterion only when its check passes, which is not
        // known before the answer is: the estimate counts every check as passing (an upper
        // bound), and the run records the calls the gates saved.
        let criteria: Vec<&crate::dataset::Criterion> = q
            .rubric
            .iter()
            .filter(|c| kind != JudgeKind::Hybrid || c.check.is_none())
            .collect();
        if criteria.is_empty() || kind == JudgeKind::Rules {
            continue;
        }
        let filler = "x".repeat((answer_tokens * 3) as usize);
        // Every juror is asked every sample: the same prompt, to each of them.
        for judge in &panel.jurors {
            let times = u64::from(panel.samples.max(1));
            match judge.mode {
                JudgeMode::PerCriterion => {
                    for c in &criteria {
                        out.judge_calls += times;
                        out.judge_prompt_tokens += times
                            * estimate_tokens(&llm::render_one(
                                &judge.template,
                                q,
                                &filler,
                                c,
                                judge.reference,
                            ));
                    }
                }
                JudgeMode::Batched => {
                    out.judge_calls += times;
                    out.judge_prompt_tokens += times
                        * estimate_tokens(&llm::render_batched(
                            &judge.template,
                            q,
                            &filler,
                            &criteria,
                            judge.reference,
                        ));
                }
            }
        }
    }
    Ok(out)
}
