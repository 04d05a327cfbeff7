//! Judging answers that are not part of a run directory (the labelled answers of a calibration),
//! with the live pipeline's judges, client, cache and Ctrl-C handling.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use super::pipeline::{drive, window, Setup};
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::grade::JudgeUsage;
use crate::http::Client;
use crate::judge::{self, JudgeKind, Panel, Task, Verdict, Vote};

/// One answer to judge on some criteria of its rubric (calibration judges labelled answers).
#[derive(Debug, Clone)]
pub struct JudgeTask {
    /// The question's position in the dataset.
    pub question: u32,
    /// The answer text.
    pub answer: String,
    /// Positions in the question's rubric of the criteria wanted.
    pub criteria: Vec<usize>,
}

/// What [`judge_tasks`] did.
#[derive(Debug, Default, Clone)]
pub struct JudgedTasks {
    /// Per task (same order), a verdict for every criterion of the question's rubric (criteria
    /// not wanted may be `unjudged`); `None` when the run stopped before the task was done.
    pub verdicts: Vec<Option<Vec<Verdict>>>,
    /// Per task (same order), every juror's votes per criterion (empty for a single judge).
    pub votes: Vec<Vec<Vec<Vote>>>,
    /// Tokens and replies of the judge model, over every task.
    pub usage: JudgeUsage,
    /// The run was stopped (Ctrl-C) before every task was done.
    pub interrupted: bool,
    /// Requests sent to the server (retries included; cache hits excluded).
    pub requests_sent: u64,
    /// Transport and HTTP retries.
    pub retries: u64,
    /// Replies served from the cache.
    pub cache_hits: u64,
}

/// Judges answers that are not part of a run directory (the labelled answers of a calibration)
/// with the same judging code, client, cache and Ctrl-C handling as a live run. Nothing is
/// written; replies are cached as they arrive, so a rerun after an interrupt asks only for what
/// is missing. Progress reports one `graded` per task.
pub fn judge_tasks(
    ds: Arc<Dataset>,
    kind: JudgeKind,
    judge: Option<Panel>,
    tasks: Vec<JudgeTask>,
    setup: Setup,
) -> Result<JudgedTasks> {
    if let Some(t) = tasks.iter().find(|t| {
        ds.questions
            .get(t.question as usize)
            .is_none_or(|q| t.criteria.iter().any(|&c| c >= q.rubric.len()))
    }) {
        return Err(Error::Other(format!(
            "judge task for question #{} names a question or criterion that does not exist",
            t.question
        )));
    }
    let concurrency = setup.client.concurrency.max(1);
    let mut client = Client::new(setup.client, setup.secrets).map_err(Error::Other)?;
    client.stop = setup.stop.clone();
    let client = Arc::new(client);
    let judging = judge::build(kind, &ds, client.clone(), judge)?;
    type Slot = Option<(Vec<Verdict>, Option<JudgeUsage>, Vec<Vec<Vote>>)>;
    let results: Arc<Mutex<Vec<Slot>>> = Arc::new(Mutex::new(vec![None; tasks.len()]));
    setup.progress.begin(0, tasks.len() as u64);
    let progress = setup.progress.clone();
    let (ds_run, results_run, client_run) = (ds.clone(), results.clone(), client.clone());
    let fatal = drive(
        tasks.into_iter().enumerate(),
        window(concurrency),
        &setup.stop,
        setup.grace,
        move |(i, t): (usize, JudgeTask)| {
            let (ds, judging, results, progress, client) = (
                ds_run.clone(),
                judging.clone(),
                results_run.clone(),
                progress.clone(),
                client_run.clone(),
            );
            async move {
                let Some(q) = ds.questions.get(t.question as usize) else {
                    return Ok(());
                };
                let task = Task {
                    question: t.question,
                    q,
                    answer: &t.answer,
                    wanted: Some(&t.criteria),
                    prior: None,
                };
                let Some(judge::Judged {
                    verdicts,
                    usage,
                    votes,
                }) = judging.judge(task).await?
                else {
                    return Ok(());
                };
                let complete = t
                    .criteria
                    .iter()
                    .all(|&c| verdicts.get(c).is_some_and(|v| v.met.is_some()));
                progress.graded(complete, &client);
                let mut r = match results.lock() {
                    Ok(g) => g,
                    Err(p) => p.into_inner(),
                };
                if let Some(slot) = r.get_mut(i) {
                    *slot = Some((verdicts, usage, votes));
                }
                Ok(())
            }
        },
    )?;
    if let Some(e) = fatal {
        return Err(e);
    }
    let slots = match Arc::try_unwrap(results) {
        Ok(m) => match m.into_inner() {
            Ok(v) => v,
            Err(p) => p.into_inner(),
        },
        Err(shared) => match shared.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        },
    };
    let mut out = JudgedTasks {
        interrupted: setup.stop.is_stopped(),
        requests_sent: client.stats.sent.load(Ordering::Relaxed),
        retries: client.stats.retries.load(Ordering::Relaxed),
        cache_hits: client.stats.cache_hits.load(Ordering::Relaxed),
        ..Default::default()
    };
    for slot in slots {
        match slot {
            Some((v, u, votes)) => {
                if let Some(u) = u {
                    out.usage.prompt_tokens += u.prompt_tokens;
                    out.usage.completion_tokens += u.completion_tokens;
                    out.usage.replies += u.replies;
                }
                out.verdicts.push(Some(v));
                out.votes.push(votes);
            }
            None => {
                out.verdicts.push(None);
                out.votes.push(Vec::new());
            }
        }
    }
    // Stopped after the last task finished: nothing is missing.
    out.interrupted &= out.verdicts.iter().any(Option::is_none);
    Ok(out)
}
