//! Live evaluation (SPEC §5, §5b): answers from an HTTP API (OpenAI-compatible, Anthropic's, or
//! one an endpoint file describes) and verdicts from a judge model, on one shared client,
//! appended to the run directory as each item finishes, resumable.
//!
//! Every (model, question, sample) item goes its own way: ask the model (unless an answer is
//! already saved), append the answer line, judge it (rules, a judge model, or both), append the
//! grade line. Items run concurrently on tokio; the HTTP client's one semaphore bounds requests in
//! flight, so an item waiting for a permit costs nothing but a little memory.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::task::JoinSet;

use crate::answers::openai::{self, estimate_tokens, GenParams};
use crate::answers::{Answer, Api};
use crate::dataset::{Dataset, Question};
use crate::error::{Error, Result};
use crate::grade::grade;
use crate::http::{CallError, Client, ClientConfig, Endpoint, Secret, StopHandle};
use crate::jsonl::JsonlWriter;
use crate::judge::{self, Judge, JudgeKind, Panel, Task};
use crate::run::{self, saved_state, Saved};

/// The model that answers.
#[derive(Debug, Clone)]
pub struct ModelSide {
    /// The service and its key, named in messages about refused credentials.
    pub endpoint: Endpoint,
    /// The API the requests follow.
    pub api: Api,
    pub model: String,
    pub params: GenParams,
}

impl ModelSide {
    /// Every secret this side sends: the key and an endpoint file's `env.*` values.
    pub fn secrets(&self) -> Vec<Secret> {
        let mut s: Vec<Secret> = self.endpoint.key.iter().cloned().collect();
        s.extend(self.api.secrets());
        s
    }
}

/// A stable K-th of N share of the items (`--shard K/N`, K from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub k: u32,
    pub n: u32,
}

impl Shard {
    /// Parses `K/N` with 1 ≤ K ≤ N.
    pub fn parse(s: &str) -> std::result::Result<Shard, String> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("--shard expects K/N (such as 2/8), got `{s}`"))?;
        let k: u32 = k
            .trim()
            .parse()
            .map_err(|_| format!("--shard: `{k}` is not a whole number"))?;
        let n: u32 = n
            .trim()
            .parse()
            .map_err(|_| format!("--shard: `{n}` is not a whole number"))?;
        if n == 0 || k == 0 || k > n {
            return Err(format!("--shard {s}: K must be between 1 and N"));
        }
        Ok(Shard { k, n })
    }

    /// Whether an item belongs to this shard. The hash depends only on the item's identity, so
    /// shards are the same on every machine and every run, whatever the order of questions.
    pub fn contains(&self, model: &str, question_id: &str, sample: u32) -> bool {
        let mut h = Sha256::new();
        h.update(model.as_bytes());
        h.update([0]);
        h.update(question_id.as_bytes());
        h.update([0]);
        h.update(sample.to_le_bytes());
        let d = h.finalize();
        let mut x = [0u8; 8];
        x.copy_from_slice(&d[..8]);
        u64::from_le_bytes(x) % self.n as u64 == (self.k - 1) as u64
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// What a live command does.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The model to ask; `None` when answers come from files (`grade --judge llm`).
    pub model: Option<ModelSide>,
    /// How to grade; `None` for `generate`.
    pub judge: Option<JudgeKind>,
    /// The judge models, for `llm`, `hybrid` and `gated`: one, or a jury.
    pub panel: Option<Panel>,
    pub shard: Option<Shard>,
}

/// Receives progress (the command line draws bars; tests and benchmarks ignore it).
pub trait LiveProgress: Send + Sync {
    /// Totals of this invocation's work.
    fn begin(&self, _answers: u64, _grades: u64) {}
    /// One answer is done (`ok` false: the item failed).
    fn answered(&self, _ok: bool, _client: &Client) {}
    /// One answer is graded (`complete` false: a verdict is null).
    fn graded(&self, _complete: bool, _client: &Client) {}
}

impl LiveProgress for () {}

/// One item to work on.
#[derive(Debug, Clone)]
pub(super) struct Work {
    model: Arc<str>,
    pub(super) question: u32,
    pub(super) sample: u32,
    /// The saved answer, when only grading is left.
    pub(super) answer: Option<Answer>,
    /// Votes an earlier, incomplete grade of this item kept (a jury asks only the jurors
    /// missing).
    pub(super) prior: Option<Vec<Vec<judge::Vote>>>,
}

/// The items a plan covers, in question order, each with its saved answer when there is one and
/// only those not finished yet.
pub(super) fn pending(
    ds: &Dataset,
    plan: &Plan,
    saved: &Saved,
    answers_in: Option<&[Answer]>,
) -> Vec<Work> {
    let mut out = Vec::new();
    let grading = plan.judge.is_some();
    let mut consider = |model: &str, qi: u32, sample: u32, given: Option<&Answer>| {
        let qid = &ds.questions[qi as usize].id;
        if plan.shard.is_some_and(|s| !s.contains(model, qid, sample)) {
            return;
        }
        let key = (model.to_string(), qid.clone(), sample);
        if grading && saved.graded.contains(&key) {
            return;
        }
        let answer = given.cloned().or_else(|| saved.answers.get(&key).cloned());
        if !grading && answer.is_some() {
            return;
        }
        let prior = if grading {
            saved.votes.get(&key).cloned()
        } else {
            None
        };
        out.push(Work {
            model: Arc::from(model),
            question: qi,
            sample,
            answer,
            prior,
        });
    };
    match (answers_in, &plan.model) {
        (Some(list), _) => {
            for a in list {
                if let Some(qi) = ds.position(&a.question_id) {
                    consider(&a.model, qi, a.sample, Some(a));
                }
            }
        }
        (None, Some(m)) => {
            for qi in 0..ds.len() as u32 {
                for s in 0..m.params.samples.max(1) {
                    consider(&m.model, qi, s, None);
                }
            }
        }
        (None, None) => {}
    }
    out
}

/// What an invocation did.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    /// The run was stopped (Ctrl-C) before every item was done.
    pub interrupted: bool,
    /// Items this invocation worked on.
    pub planned: u64,
    pub answered: u64,
    pub failed: u64,
    pub graded: u64,
    pub incomplete: u64,
    /// Lines of an earlier invocation dropped to be redone.
    pub redone: usize,
    /// Successful answers and complete grades in the run directory now.
    pub answers_total: u64,
    pub graded_total: u64,
    pub requests_sent: u64,
    pub retries: u64,
    pub cache_hits: u64,
}

struct Shared {
    ds: Arc<Dataset>,
    plan: Plan,
    client: Arc<Client>,
    /// How answers are judged; `None` for `generate`.
    judging: Option<Arc<dyn Judge>>,
    answers: Option<Mutex<JsonlWriter>>,
    grades: Option<Mutex<JsonlWriter>>,
    progress: Arc<dyn LiveProgress>,
    counts: Counts,
}

#[derive(Default)]
struct Counts {
    answered: AtomicU64,
    failed: AtomicU64,
    graded: AtomicU64,
    incomplete: AtomicU64,
}

fn write_line(w: &Mutex<JsonlWriter>, line: &str) -> Result<()> {
    let mut w = match w.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    // Flushed line by line: a process killed a moment later loses nothing that was reported.
    w.write_line(line)?;
    w.flush()
}

/// How long in-flight requests may finish after a stop.
pub const GRACE: Duration = Duration::from_secs(5);

/// Everything a live invocation needs besides the plan.
pub struct Setup {
    pub client: ClientConfig,
    /// Every key the run uses (for redaction).
    pub secrets: Vec<Secret>,
    pub stop: StopHandle,
    pub progress: Arc<dyn LiveProgress>,
    /// How long requests in flight may finish after a stop.
    pub grace: Duration,
}

/// Runs a plan against a run directory: resumes what is there, appends as it goes.
pub fn execute(
    ds: Arc<Dataset>,
    dir: &Path,
    plan: Plan,
    answers_in: Option<Vec<Answer>>,
    setup: Setup,
) -> Result<Outcome> {
    let saved = saved_state(dir, true)?;
    let work = pending(&ds, &plan, &saved, answers_in.as_deref());
    drop(answers_in);
    let generating = work.iter().filter(|w| w.answer.is_none()).count() as u64;
    let grading = if plan.judge.is_some() {
        work.len() as u64
    } else {
        0
    };
    let answers = if plan.model.is_some() {
        Some(Mutex::new(JsonlWriter::append(&dir.join(run::ANSWERS))?))
    } else {
        None
    };
    let grades = if plan.judge.is_some() {
        Some(Mutex::new(JsonlWriter::append(&dir.join(run::GRADES))?))
    } else {
        None
    };
    let concurrency = setup.client.concurrency.max(1);
    let mut client = Client::new(setup.client, setup.secrets).map_err(Error::Other)?;
    client.stop = setup.stop.clone();
    let client = Arc::new(client);
    let judging = match plan.judge {
        Some(kind) => Some(judge::build(kind, &ds, client.clone(), plan.panel.clone())?),
        None => None,
    };
    setup.progress.begin(generating, grading);
    let shared = Arc::new(Shared {
        ds,
        plan,
        client: client.clone(),
        judging,
        answers,
        grades,
        progress: setup.progress.clone(),
        counts: Counts::default(),
    });
    let planned = work.len() as u64;
    let shared_run = shared.clone();
    let fatal = drive(
        work,
        window(concurrency),
        &setup.stop,
        setup.grace,
        move |w| process(shared_run.clone(), w),
    )?;
    let c = &shared.counts;
    let outcome = Outcome {
        interrupted: setup.stop.is_stopped() && fatal.is_none(),
        planned,
        answered: c.answered.load(Ordering::Relaxed),
        failed: c.failed.load(Ordering::Relaxed),
        graded: c.graded.load(Ordering::Relaxed),
        incomplete: c.incomplete.load(Ordering::Relaxed),
        redone: saved.dropped,
        answers_total: saved.answers.len() as u64 + c.answered.load(Ordering::Relaxed),
        graded_total: saved.graded.len() as u64 + c.graded.load(Ordering::Relaxed)
            - c.incomplete.load(Ordering::Relaxed),
        requests_sent: client.stats.sent.load(Ordering::Relaxed),
        retries: client.stats.retries.load(Ordering::Relaxed),
        cache_hits: client.stats.cache_hits.load(Ordering::Relaxed),
    };
    if let Some(w) = &shared.answers {
        if let Ok(mut w) = w.lock() {
            w.flush()?;
        }
    }
    if let Some(w) = &shared.grades {
        if let Ok(mut w) = w.lock() {
            w.flush()?;
        }
    }
    match fatal {
        Some(e) => Err(e),
        None => Ok(outcome),
    }
}

/// One item: answer (unless saved), then grade.
async fn process(sh: Arc<Shared>, w: Work) -> Result<()> {
    let q = &sh.ds.questions[w.question as usize];
    let answer = match w.answer {
        Some(a) => a,
        None => {
            let Some(side) = &sh.plan.model else {
                return Ok(());
            };
            let Some(a) = ask_model(&sh, side, q, w.sample).await? else {
                return Ok(());
            };
            if let Some(out) = &sh.answers {
                let line = serde_json::to_string(&a).map_err(|e| Error::Other(e.to_string()))?;
                write_line(out, &line)?;
            }
            let ok = a.answer.is_some();
            let counter = if ok {
                &sh.counts.answered
            } else {
                &sh.counts.failed
            };
            counter.fetch_add(1, Ordering::Relaxed);
            sh.progress.answered(ok, &sh.client);
            a
        }
    };
    let Some(judging) = &sh.judging else {
        return Ok(());
    };
    // A failed item has nothing to grade; it stays in answers.jsonl with its reason.
    let Some(text) = answer.answer.as_deref() else {
        return Ok(());
    };
    let task = Task {
        question: w.question,
        q,
        answer: text,
        wanted: None,
        prior: w.prior.as_deref(),
    };
    let Some(judge::Judged {
        verdicts,
        usage,
        votes,
    }) = judging.judge(task).await?
    else {
        return Ok(());
    };
    let mut g = grade(q, &w.model, w.sample, verdicts);
    g.set_votes(votes);
    g.set_answer_language(q, text);
    g.judge_usage = usage;
    if let Some(out) = &sh.grades {
        let line = serde_json::to_string(&g).map_err(|e| Error::Other(e.to_string()))?;
        write_line(out, &line)?;
    }
    sh.counts.graded.fetch_add(1, Ordering::Relaxed);
    if !g.complete {
        sh.counts.incomplete.fetch_add(1, Ordering::Relaxed);
    }
    sh.progress.graded(g.complete, &sh.client);
    Ok(())
}

/// Asks the model. `Ok(None)` when the run is stopping (the item is left for the resume).
async fn ask_model(
    sh: &Shared,
    side: &ModelSide,
    q: &Question,
    sample: u32,
) -> Result<Option<Answer>> {
    let req = side
        .api
        .request(&side.endpoint, &side.model, q, &side.params, sample);
    let estimate = estimate_tokens(&q.prompt.text()) + side.params.max_tokens.unwrap_or(256);
    let api = &side.api;
    let reply = sh
        .client
        .call(
            &side.endpoint,
            &req,
            &format!("sample:{sample}"),
            estimate,
            |v| {
                let c = api.read(v)?;
                let (text, refusal) = openai::answer_text(&c)?;
                Ok((c, text, refusal))
            },
        )
        .await;
    let mut a = Answer {
        model: side.model.clone(),
        question_id: q.id.clone(),
        sample,
        answer: None,
        finish_reason: None,
        usage: None,
        latency_ms: None,
        error: None,
        refusal: false,
    };
    match reply {
        Ok(r) => {
            let (c, text, refusal) = r.value;
            a.answer = Some(text);
            a.refusal = refusal;
            a.finish_reason = c.finish_reason;
            a.usage = api.usage_record(&r.body);
            a.latency_ms = r.latency_ms;
        }
        Err(CallError::Stopped) => return Ok(None),
        Err(CallError::Credentials(m)) => return Err(Error::Credentials(m)),
        Err(CallError::Failed(m)) => a.error = Some(m),
        Err(CallError::Unusable { reason, body }) => {
            a.error = Some(reason);
            a.usage = api.usage_record(&body);
        }
    }
    Ok(Some(a))
}

/// Items in flight at once for a client with `concurrency` permits: enough to keep every permit
/// busy (an item may wait on its judge calls while another is being answered), without spawning
/// the whole run at once.
pub(super) fn window(concurrency: usize) -> usize {
    concurrency.max(1) * 2 + 8
}

/// Runs `f` on every work item on a fresh tokio runtime, at most `window` at once, until all are
/// done or `stop` fires. After a stop, items in flight get `grace` to finish and the rest are
/// dropped (they have written nothing). The first error an item returns stops the others and is
/// returned as `Ok(Some(error))`; `Err` only when the runtime cannot start.
pub(super) fn drive<W, F, Fut>(
    work: impl IntoIterator<Item = W>,
    window: usize,
    stop: &StopHandle,
    grace: Duration,
    f: F,
) -> Result<Option<Error>>
where
    F: Fn(W) -> Fut,
    Fut: std::future::Future<Output = Result<()>> + Send + 'static,
{
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Other(format!("cannot start the async runtime: {e}")))?;
    let mut work = work.into_iter();
    let fatal = rt.block_on(async move {
        let mut set: JoinSet<Result<()>> = JoinSet::new();
        let mut fatal: Option<Error> = None;
        let note = |r: std::result::Result<Result<()>, tokio::task::JoinError>,
                    fatal: &mut Option<Error>| {
            let e = match r {
                Ok(Ok(())) => return,
                Ok(Err(e)) => e,
                Err(j) if j.is_cancelled() => return,
                Err(j) => Error::Other(format!("a worker failed: {j}")),
            };
            if fatal.is_none() {
                *fatal = Some(e);
            }
            stop.stop();
        };
        loop {
            while set.len() < window && !stop.is_stopped() {
                match work.next() {
                    Some(w) => {
                        set.spawn(f(w));
                    }
                    None => break,
                }
            }
            if set.is_empty() {
                break;
            }
            tokio::select! {
                r = set.join_next() => {
                    if let Some(r) = r {
                        note(r, &mut fatal);
                    }
                }
                _ = stop.stopped() => {
                    // Give requests in flight a moment to land, then drop the rest: their items
                    // have written nothing and are redone on resume.
                    let drain = async {
                        while let Some(r) = set.join_next().await {
                            note(r, &mut fatal);
                        }
                    };
                    let _ = tokio::time::timeout(grace, drain).await;
                    set.abort_all();
                    while set.join_next().await.is_some() {}
                    break;
                }
            }
        }
        fatal
    });
    rt.shutdown_timeout(Duration::from_millis(100));
    Ok(fatal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_items_stably() {
        let shards: Vec<Shard> = (1..=4).map(|k| Shard { k, n: 4 }).collect();
        let mut sizes = [0usize; 4];
        for q in 0..2000 {
            let qid = format!("q{q}");
            let owners: Vec<usize> = (0..4)
                .filter(|&i| shards[i].contains("m", &qid, q % 3))
                .collect();
            assert_eq!(owners.len(), 1, "{qid} belongs to exactly one shard");
            sizes[owners[0]] += 1;
        }
        // Each shard holds about a quarter (2000/4 = 500, give or take a few standard deviations).
        assert!(sizes.iter().all(|s| (420..=580).contains(s)), "{sizes:?}");
        assert_eq!(Shard::parse("2/8"), Ok(Shard { k: 2, n: 8 }));
        assert!(Shard::parse("0/8").is_err());
        assert!(Shard::parse("9/8").is_err());
        assert!(Shard::parse("x").is_err());
        // Stable: a known item's shard does not depend on anything but its identity.
        let a = (1..=4).find(|&k| Shard { k, n: 4 }.contains("m", "q7", 0));
        let b = (1..=4).find(|&k| Shard { k, n: 4 }.contains("m", "q7", 0));
        assert_eq!(a, b);
    }
}
