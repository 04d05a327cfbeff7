//! Live evaluation (SPEC §5): answers from an OpenAI-compatible endpoint and verdicts from a judge
//! model, on one shared client, appended to the run directory as each item finishes, resumable.
//!
//! Every (model, question, sample) item goes its own way: ask the model (unless an answer is
//! already saved), append the answer line, judge it (rules, a judge model, or both), append the
//! grade line. Items run concurrently on tokio; the HTTP client's one semaphore bounds requests in
//! flight, so an item waiting for a permit costs nothing but a little memory.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::task::JoinSet;

use crate::answers::openai::{self, estimate_tokens, GenParams, Usage};
use crate::answers::Answer;
use crate::dataset::{Dataset, Question};
use crate::error::{Error, Result};
use crate::grade::{grade, JudgeUsage};
use crate::http::{CallError, Client, ClientConfig, Endpoint, Secret, StopHandle};
use crate::jsonl::JsonlWriter;
use crate::judge::llm::{self, JudgeMode, Template};
use crate::judge::rules::{RuleJudge, Scratch};
use crate::judge::{Source, Verdict};
use crate::run;

/// Which judge grades answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JudgeKind {
    /// Offline checks only; criteria without a check are unjudged.
    Rules,
    /// The judge model for every criterion.
    Llm,
    /// Checks where a criterion has one, the judge model for the rest.
    Hybrid,
}

impl JudgeKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            JudgeKind::Rules => "rules",
            JudgeKind::Llm => "llm",
            JudgeKind::Hybrid => "hybrid",
        }
    }
}

/// The model that answers.
#[derive(Debug, Clone)]
pub struct ModelSide {
    pub endpoint: Endpoint,
    pub model: String,
    pub params: GenParams,
}

/// The judge model.
#[derive(Debug, Clone)]
pub struct JudgeSide {
    pub endpoint: Endpoint,
    pub model: String,
    pub mode: JudgeMode,
    pub template: Template,
    /// How many times an unusable reply is asked again.
    pub retries: u32,
    /// Send the reply's JSON schema as `response_format`.
    pub structured: bool,
    /// `max_tokens` of judge requests, if bounded.
    pub max_tokens: Option<u64>,
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
    /// The judge model, for `llm` and `hybrid`.
    pub judge_side: Option<JudgeSide>,
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
struct Work {
    model: Arc<str>,
    question: u32,
    sample: u32,
    /// The saved answer, when only grading is left.
    answer: Option<Answer>,
}

/// What is already in a run directory.
#[derive(Debug, Default)]
pub struct Saved {
    /// Answers that succeeded, by (model, question id, sample).
    pub answers: HashMap<(String, String, u32), Answer>,
    /// Complete grades.
    pub graded: HashSet<(String, String, u32)>,
    /// Lines dropped to be redone: failed answers, incomplete grades, torn lines.
    pub dropped: usize,
}

/// Reads what a run directory holds. With `repair`, failed answers and incomplete grades are
/// removed from the files (each rewritten whole and atomically) so that redoing them leaves exactly
/// one line per item; successful lines are never dropped.
pub fn saved_state(dir: &Path, repair: bool) -> Result<Saved> {
    let mut saved = Saved::default();
    let answers = &mut saved.answers;
    saved.dropped += keep_lines(&dir.join(run::ANSWERS), repair, |path, line| {
        let parsed = crate::answers::files::parse_jsonl_line(path, line, "")
            .ok()
            .filter(|a| !a.model.is_empty() && a.answer.is_some());
        match parsed {
            Some(a) => {
                let key = (a.model.clone(), a.question_id.clone(), a.sample);
                // The first line for an item wins; a repeat is dropped.
                !answers.contains_key(&key) && answers.insert(key, a).is_none()
            }
            None => false,
        }
    })?;
    let graded = &mut saved.graded;
    saved.dropped += keep_lines(&dir.join(run::GRADES), repair, |_, line| {
        let g: Option<GradeKey> = std::str::from_utf8(&line.bytes)
            .ok()
            .and_then(|t| serde_json::from_str(t).ok());
        match g {
            Some(g) if g.complete => graded.insert((g.model, g.question_id, g.sample)),
            _ => false,
        }
    })?;
    Ok(saved)
}

/// Passes each line of a run file to `keep` and counts the lines it refuses. With `repair`, and
/// when any were refused, rewrites the file whole and atomically with only the kept lines. A
/// missing file has nothing to keep.
fn keep_lines(
    path: &Path,
    repair: bool,
    mut keep: impl FnMut(&Path, &crate::jsonl::RawLine) -> bool,
) -> Result<usize> {
    if !path.exists() {
        return Ok(0);
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let mut kept = String::new();
    let mut dropped = 0;
    for line in crate::jsonl::lines_of(&bytes) {
        if keep(path, &line) {
            kept.push_str(&String::from_utf8_lossy(&line.bytes));
            kept.push('\n');
        } else {
            dropped += 1;
        }
    }
    if dropped > 0 && repair {
        crate::report::write_atomic(path, &kept)?;
    }
    Ok(dropped)
}

/// The fields of a grade line that resuming and accounting need (the rest is skipped unparsed,
/// which keeps rereading a large finished run fast).
#[derive(serde::Deserialize)]
struct GradeKey {
    model: String,
    question_id: String,
    sample: u32,
    complete: bool,
    #[serde(default)]
    judge_usage: Option<JudgeUsage>,
    /// Present on every real grade line; checked so a foreign line is not taken for one.
    #[allow(dead_code)]
    criteria: serde::de::IgnoredAny,
}

/// The items a plan covers, in question order, each with its saved answer when there is one and
/// only those not finished yet.
fn pending(ds: &Dataset, plan: &Plan, saved: &Saved, answers_in: Option<&[Answer]>) -> Vec<Work> {
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
        out.push(Work {
            model: Arc::from(model),
            question: qi,
            sample,
            answer,
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
    judging: Option<Judging>,
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
        Some(kind) => Some(Judging::new(
            &ds,
            client.clone(),
            kind,
            plan.judge_side.clone(),
        )?),
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
    let Some((verdicts, usage)) = judging.judge_answer(w.question, q, text, None).await? else {
        return Ok(());
    };
    let mut g = grade(q, &w.model, w.sample, verdicts);
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
    let body = openai::request_body(&side.model, &q.prompt.messages(), &side.params, sample);
    let estimate = estimate_tokens(&q.prompt.text()) + side.params.max_tokens.unwrap_or(256);
    let reply = sh
        .client
        .chat(
            &side.endpoint,
            &body,
            &format!("sample:{sample}"),
            estimate,
            |v| {
                let c = openai::parse_completion(v)?;
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
            a.usage = r.body.get("usage").filter(|u| !u.is_null()).cloned();
            a.latency_ms = r.latency_ms;
        }
        Err(CallError::Stopped) => return Ok(None),
        Err(CallError::Credentials(m)) => return Err(Error::Credentials(m)),
        Err(CallError::Failed(m)) => a.error = Some(m),
        Err(CallError::Unusable { reason, body }) => {
            a.error = Some(reason);
            a.usage = body.get("usage").filter(|u| !u.is_null()).cloned();
        }
    }
    Ok(Some(a))
}

fn judge_verdict(model: &str, d: llm::Decision) -> Verdict {
    Verdict {
        met: Some(d.met),
        source: Source::Judge(model.to_string()),
        explanation: Some(d.explanation),
        error: None,
    }
}

fn null_verdict(model: &str, reason: String) -> Verdict {
    Verdict {
        met: None,
        source: Source::Judge(model.to_string()),
        explanation: None,
        error: Some(reason),
    }
}

/// What judging an answer needs, shared by every item of an invocation: the client, which judge
/// decides, the judge model and the rule checks. Live runs (`run`, `grade --judge llm|hybrid`) and
/// calibration (`calibrate --judge-model`) judge through the same [`Judging::judge_answer`], so
/// they send the same requests (and share cache entries) for the same answer.
pub struct Judging {
    /// The shared HTTP client: concurrency, retries, rate limits, cache and redaction.
    pub client: Arc<Client>,
    /// Which judge decides.
    pub kind: JudgeKind,
    /// The judge model, for `llm` and `hybrid`.
    pub judge: Option<Arc<JudgeSide>>,
    /// The compiled rule checks, for `rules` and `hybrid`.
    pub rules: Option<RuleJudge>,
}

impl Judging {
    /// Compiles the rule checks `kind` needs. `judge` is required for `llm` and `hybrid` (an
    /// answer that needs it without one is an error when it is judged).
    pub fn new(
        ds: &Dataset,
        client: Arc<Client>,
        kind: JudgeKind,
        judge: Option<JudgeSide>,
    ) -> Result<Judging> {
        let rules = match kind {
            JudgeKind::Rules | JudgeKind::Hybrid => Some(RuleJudge::new(ds).map_err(Error::Other)?),
            JudgeKind::Llm => None,
        };
        Ok(Judging {
            client,
            kind,
            judge: judge.map(Arc::new),
            rules,
        })
    }

    /// Judges one answer to question `qi` (`q`): a verdict per rubric criterion, in rubric order,
    /// and what the judge model's replies cost. With `wanted` (positions in the rubric), only
    /// those criteria are asked of the judge model in per-criterion mode; the others are
    /// `unjudged` unless a rule check decided them. Batched mode always asks about every criterion
    /// without a rule verdict, exactly as grading does, so the request (and its cache entry) is the
    /// one `grade` would send. `Ok(None)` when the run is stopping; an error only for refused
    /// credentials or a missing judge model.
    pub async fn judge_answer(
        &self,
        qi: u32,
        q: &Question,
        text: &str,
        wanted: Option<&[usize]>,
    ) -> Result<Option<(Vec<Verdict>, Option<JudgeUsage>)>> {
        let mut verdicts: Vec<Option<Verdict>> = vec![None; q.rubric.len()];
        if let Some(compiled) = self.rules.as_ref().and_then(|r| r.rubrics.get(qi as usize)) {
            let rv = compiled.judge(text, &mut Scratch::default());
            for (slot, v) in verdicts.iter_mut().zip(rv) {
                if v.is_judged() {
                    *slot = Some(v);
                }
            }
        }
        let mut todo: Vec<usize> = (0..q.rubric.len())
            .filter(|&i| verdicts[i].is_none())
            .collect();
        let mut usage = None;
        if self.kind != JudgeKind::Rules && !todo.is_empty() {
            let Some(judge) = &self.judge else {
                return Err(Error::Usage(
                    "a judge model is needed for this judge".into(),
                ));
            };
            let mut total = JudgeUsage::default();
            match judge.mode {
                JudgeMode::PerCriterion => {
                    if let Some(w) = wanted {
                        todo.retain(|i| w.contains(i));
                    }
                    // The criteria of one answer are asked at once; the client's semaphore keeps
                    // the run within its concurrency.
                    let mut set = JoinSet::new();
                    for &i in &todo {
                        let prompt = llm::render_one(&judge.template, q, text, &q.rubric[i]);
                        let body = llm::request_body(
                            &judge.model,
                            &prompt,
                            judge.max_tokens,
                            judge
                                .structured
                                .then(|| ("rubric_verdict", llm::verdict_schema())),
                        );
                        let client = self.client.clone();
                        let judge = judge.clone();
                        set.spawn(async move {
                            let r =
                                ask_judge(&client, &judge, &body, &prompt, llm::parse_one).await;
                            (i, r)
                        });
                    }
                    while let Some(joined) = set.join_next().await {
                        let (i, r) = joined
                            .map_err(|e| Error::Other(format!("a judge task failed: {e}")))?;
                        let Some((decision, u)) = r? else {
                            set.abort_all();
                            return Ok(None);
                        };
                        add(&mut total, u);
                        verdicts[i] = Some(match decision {
                            Ok(d) => judge_verdict(&judge.model, d),
                            Err(why) => null_verdict(&judge.model, why),
                        });
                    }
                }
                JudgeMode::Batched => {
                    let cs: Vec<&crate::dataset::Criterion> =
                        todo.iter().map(|&i| &q.rubric[i]).collect();
                    let ids: Vec<&str> = cs.iter().map(|c| c.id.as_str()).collect();
                    let prompt = llm::render_batched(&judge.template, q, text, &cs);
                    let body = llm::request_body(
                        &judge.model,
                        &prompt,
                        judge.max_tokens,
                        judge
                            .structured
                            .then(|| ("rubric_verdicts", llm::batched_schema(&ids))),
                    );
                    let Some((decisions, u)) =
                        ask_judge(&self.client, judge, &body, &prompt, |t| {
                            llm::parse_batched(t, &ids)
                        })
                        .await?
                    else {
                        return Ok(None);
                    };
                    add(&mut total, u);
                    for &i in &todo {
                        let id = &q.rubric[i].id;
                        verdicts[i] = Some(match &decisions {
                            Ok(map) => match map.get(id) {
                                Some(d) => judge_verdict(&judge.model, d.clone()),
                                None => {
                                    null_verdict(&judge.model, format!("no verdict for `{id}`"))
                                }
                            },
                            Err(why) => null_verdict(&judge.model, why.clone()),
                        });
                    }
                }
            }
            usage = Some(total);
        }
        let verdicts = verdicts
            .into_iter()
            .map(|v| v.unwrap_or_else(Verdict::unjudged))
            .collect();
        Ok(Some((verdicts, usage)))
    }
}

/// Items in flight at once for a client with `concurrency` permits: enough to keep every permit
/// busy (an item may wait on its judge calls while another is being answered), without spawning
/// the whole run at once.
fn window(concurrency: usize) -> usize {
    concurrency.max(1) * 2 + 8
}

/// Runs `f` on every work item on a fresh tokio runtime, at most `window` at once, until all are
/// done or `stop` fires. After a stop, items in flight get `grace` to finish and the rest are
/// dropped (they have written nothing). The first error an item returns stops the others and is
/// returned as `Ok(Some(error))`; `Err` only when the runtime cannot start.
fn drive<W, F, Fut>(
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
    judge: Option<JudgeSide>,
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
    let judging = Arc::new(Judging::new(&ds, client.clone(), kind, judge)?);
    type Slot = Option<(Vec<Verdict>, Option<JudgeUsage>)>;
    let results: Arc<Mutex<Vec<Slot>>> = Arc::new(Mutex::new(vec![None; tasks.len()]));
    setup.progress.begin(0, tasks.len() as u64);
    let progress = setup.progress.clone();
    let (ds_run, results_run) = (ds.clone(), results.clone());
    let fatal = drive(
        tasks.into_iter().enumerate(),
        window(concurrency),
        &setup.stop,
        setup.grace,
        move |(i, t): (usize, JudgeTask)| {
            let (ds, judging, results, progress) = (
                ds_run.clone(),
                judging.clone(),
                results_run.clone(),
                progress.clone(),
            );
            async move {
                let Some(q) = ds.questions.get(t.question as usize) else {
                    return Ok(());
                };
                let Some((verdicts, usage)) = judging
                    .judge_answer(t.question, q, &t.answer, Some(&t.criteria))
                    .await?
                else {
                    return Ok(());
                };
                let complete = t
                    .criteria
                    .iter()
                    .all(|&c| verdicts.get(c).is_some_and(|v| v.met.is_some()));
                progress.graded(complete, &judging.client);
                let mut r = match results.lock() {
                    Ok(g) => g,
                    Err(p) => p.into_inner(),
                };
                if let Some(slot) = r.get_mut(i) {
                    *slot = Some((verdicts, usage));
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
            Some((v, u)) => {
                if let Some(u) = u {
                    add(&mut out.usage, u);
                }
                out.verdicts.push(Some(v));
            }
            None => out.verdicts.push(None),
        }
    }
    // Stopped after the last task finished: nothing is missing.
    out.interrupted &= out.verdicts.iter().any(Option::is_none);
    Ok(out)
}

fn add(total: &mut JudgeUsage, u: JudgeUsage) {
    total.prompt_tokens += u.prompt_tokens;
    total.completion_tokens += u.completion_tokens;
    total.replies += u.replies;
}

/// Asks the judge, asking again (up to `retries` more times) while the reply is unusable.
/// Returns the parsed reply or why there is none, with what the replies cost; `Ok(None)` when the
/// run is stopping; an error only for refused credentials.
async fn ask_judge<T>(
    client: &Client,
    judge: &JudgeSide,
    body: &Value,
    prompt: &str,
    parse: impl Fn(&str) -> std::result::Result<T, String>,
) -> Result<Option<(std::result::Result<T, String>, JudgeUsage)>> {
    let mut usage = JudgeUsage::default();
    let estimate = estimate_tokens(prompt) + 200;
    let count = |usage: &mut JudgeUsage, body: &Value| {
        usage.replies += 1;
        if let Some(u) = Usage::from_body(body) {
            usage.prompt_tokens += u.prompt_tokens;
            usage.completion_tokens += u.completion_tokens;
        }
    };
    let mut last = String::new();
    for _ in 0..=judge.retries {
        let r = client
            .chat(&judge.endpoint, body, "", estimate, |v| {
                let text = llm::reply_text(v)?;
                parse(&text)
            })
            .await;
        match r {
            Ok(reply) => {
                count(&mut usage, &reply.body);
                return Ok(Some((Ok(reply.value), usage)));
            }
            Err(CallError::Unusable { reason, body }) => {
                count(&mut usage, &body);
                last = reason;
            }
            Err(CallError::Failed(m)) => return Ok(Some((Err(m), usage))),
            Err(CallError::Stopped) => return Ok(None),
            Err(CallError::Credentials(m)) => return Err(Error::Credentials(m)),
        }
    }
    Ok(Some((
        Err(format!(
            "the judge's reply was unusable {} times: {last}",
            judge.retries + 1
        )),
        usage,
    )))
}

/// Token totals of a run directory, per model, from its files: the usage recorded on every
/// answer line and every grade line, so totals survive kills and resumes. `prices` are per
/// million tokens: (model prompt, model completion, judge prompt, judge completion).
pub fn token_totals(
    dir: &Path,
    prices: [Option<f64>; 4],
) -> Result<std::collections::BTreeMap<String, crate::report::Tokens>> {
    let mut out: std::collections::BTreeMap<String, crate::report::Tokens> = Default::default();
    let ap = dir.join(run::ANSWERS);
    if ap.exists() {
        for a in run::read_answer_lines(&ap)? {
            let t = out.entry(a.model.clone()).or_default();
            if a.answer.is_some() {
                t.model.requests += 1;
            }
            if let Some(u) = a.usage.as_ref().and_then(Usage::from_value) {
                t.model.prompt += u.prompt_tokens;
                t.model.completion += u.completion_tokens;
            }
        }
    }
    let gp = dir.join(run::GRADES);
    if gp.exists() {
        let bytes = std::fs::read(&gp).map_err(|e| Error::io(&gp, e))?;
        for line in crate::jsonl::lines_of(&bytes) {
            let Some(g) = std::str::from_utf8(&line.bytes)
                .ok()
                .and_then(|t| serde_json::from_str::<GradeKey>(t).ok())
            else {
                continue;
            };
            if let Some(u) = g.judge_usage {
                let t = out.entry(g.model.clone()).or_default();
                t.judge.prompt += u.prompt_tokens;
                t.judge.completion += u.completion_tokens;
                t.judge.requests += u.replies;
            }
        }
    }
    let cost = |tokens: u64, price: Option<f64>| price.map(|p| tokens as f64 * p / 1e6);
    for t in out.values_mut() {
        let (a, b) = (
            cost(t.model.prompt, prices[0]),
            cost(t.model.completion, prices[1]),
        );
        t.model.cost = sum(a, b);
        let (c, d) = (
            cost(t.judge.prompt, prices[2]),
            cost(t.judge.completion, prices[3]),
        );
        t.judge.cost = sum(c, d);
    }
    Ok(out)
}

fn sum(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
    }
}

/// What `--dry-run` would send.
#[derive(Debug, Default)]
pub struct DryRun {
    /// (URL, body) of every model request.
    pub requests: Vec<(String, Value)>,
    pub model_prompt_tokens: u64,
    /// The completion tokens' upper bound (`max_tokens` × requests), when `--max-tokens` is set.
    pub model_completion_bound: Option<u64>,
    /// Items already done in the run directory.
    pub already_done: usize,
    pub judge_calls: u64,
    /// Judge prompt tokens, counting each answer as `max_tokens` long (or 300 tokens without it).
    pub judge_prompt_tokens: u64,
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
            let body =
                openai::request_body(&side.model, &q.prompt.messages(), &side.params, w.sample);
            out.model_prompt_tokens += estimate_tokens(&body.to_string());
            if let Some(m) = side.params.max_tokens {
                *out.model_completion_bound.get_or_insert(0) += m;
                answer_tokens = m;
            }
            out.requests.push((side.endpoint.chat_url(), body));
        }
        let (Some(kind), Some(judge)) = (plan.judge, &plan.judge_side) else {
            continue;
        };
        let criteria: Vec<&crate::dataset::Criterion> = q
            .rubric
            .iter()
            .filter(|c| kind == JudgeKind::Llm || c.check.is_none())
            .collect();
        if criteria.is_empty() || kind == JudgeKind::Rules {
            continue;
        }
        let filler = "x".repeat((answer_tokens * 3) as usize);
        match judge.mode {
            JudgeMode::PerCriterion => {
                for c in &criteria {
                    out.judge_calls += 1;
                    out.judge_prompt_tokens +=
                        estimate_tokens(&llm::render_one(&judge.template, q, &filler, c));
                }
            }
            JudgeMode::Batched => {
                out.judge_calls += 1;
                out.judge_prompt_tokens +=
                    estimate_tokens(&llm::render_batched(&judge.template, q, &filler, &criteria));
            }
        }
    }
    Ok(out)
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
