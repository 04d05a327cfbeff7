//! The judge model: asks an OpenAI-compatible model whether each criterion is met, parses its
//! reply and asks again while the reply is unusable. Prompts, reply schemas and parsing live in
//! [`super::prompt`]; this file sends them through the shared HTTP client.

use std::sync::Arc;

use serde_json::Value;
use tokio::task::JoinSet;

use super::prompt::{self, JudgeMode, Template};
use super::{Judge, JudgeUsage, Judged, Pending, Source, Task, Verdict};
use crate::answers::openai::{estimate_tokens, Usage};
use crate::dataset::{Criterion, Question};
use crate::error::{Error, Result};
use crate::http::{CallError, Client, Endpoint};

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

/// A judge model on a shared client: decides every criterion it is asked about.
///
/// Live runs (`run`, `grade --judge llm|hybrid`) and calibration (`calibrate --judge-model`)
/// judge through the same code, so they send the same requests (and share cache entries) for
/// the same answer.
pub struct ModelJudge {
    /// The shared HTTP client: concurrency, retries, rate limits, cache and redaction.
    client: Arc<Client>,
    /// The judge model; `None` makes judging an error as soon as a criterion needs it.
    side: Option<Arc<JudgeSide>>,
}

impl ModelJudge {
    /// A judge model asked through `client`. Without `side`, judging any criterion is an error
    /// (a hybrid judge whose checks decide everything never needs it).
    pub fn new(client: Arc<Client>, side: Option<JudgeSide>) -> ModelJudge {
        ModelJudge {
            client,
            side: side.map(Arc::new),
        }
    }

    /// Decides the criteria at positions `todo` (not empty) of `q`'s rubric into `verdicts`, and
    /// returns what the replies cost. With `wanted` (positions in the rubric), only those are
    /// asked in per-criterion mode; batched mode always asks about all of `todo`, so its request
    /// (and cache entry) is the one grading sends. `Ok(None)` when the run is stopping; an error
    /// only for refused credentials or a missing judge model.
    pub(crate) async fn decide(
        &self,
        q: &Question,
        text: &str,
        todo: Vec<usize>,
        wanted: Option<&[usize]>,
        verdicts: &mut [Option<Verdict>],
    ) -> Result<Option<JudgeUsage>> {
        let Some(judge) = &self.side else {
            return Err(Error::Usage(
                "a judge model is needed for this judge".into(),
            ));
        };
        let mut total = JudgeUsage::default();
        let mut todo = todo;
        match judge.mode {
            JudgeMode::PerCriterion => {
                if let Some(w) = wanted {
                    todo.retain(|i| w.contains(i));
                }
                // The criteria of one answer are asked at once; the client's semaphore keeps
                // the run within its concurrency.
                let mut set = JoinSet::new();
                for &i in &todo {
                    let prompt = prompt::render_one(&judge.template, q, text, &q.rubric[i]);
                    let body = prompt::request_body(
                        &judge.model,
                        &prompt,
                        judge.max_tokens,
                        judge
                            .structured
                            .then(|| ("rubric_verdict", prompt::verdict_schema())),
                    );
                    let client = self.client.clone();
                    let judge = judge.clone();
                    set.spawn(async move {
                        let r = ask_judge(&client, &judge, &body, &prompt, prompt::parse_one).await;
                        (i, r)
                    });
                }
                while let Some(joined) = set.join_next().await {
                    let (i, r) =
                        joined.map_err(|e| Error::Other(format!("a judge task failed: {e}")))?;
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
                let cs: Vec<&Criterion> = todo.iter().map(|&i| &q.rubric[i]).collect();
                let ids: Vec<&str> = cs.iter().map(|c| c.id.as_str()).collect();
                let prompt = prompt::render_batched(&judge.template, q, text, &cs);
                let body = prompt::request_body(
                    &judge.model,
                    &prompt,
                    judge.max_tokens,
                    judge
                        .structured
                        .then(|| ("rubric_verdicts", prompt::batched_schema(&ids))),
                );
                let Some((decisions, u)) = ask_judge(&self.client, judge, &body, &prompt, |t| {
                    prompt::parse_batched(t, &ids)
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
                            None => null_verdict(&judge.model, format!("no verdict for `{id}`")),
                        },
                        Err(why) => null_verdict(&judge.model, why.clone()),
                    });
                }
            }
        }
        Ok(Some(total))
    }
}

impl Judge for ModelJudge {
    fn judge<'a>(&'a self, task: Task<'a>) -> Pending<'a> {
        Box::pin(async move {
            let n = task.q.rubric.len();
            let mut verdicts: Vec<Option<Verdict>> = vec![None; n];
            let mut usage = None;
            if n > 0 {
                let todo = (0..n).collect();
                match self
                    .decide(task.q, task.answer, todo, task.wanted, &mut verdicts)
                    .await?
                {
                    Some(u) => usage = Some(u),
                    None => return Ok(None),
                }
            }
            Ok(Some(Judged::from_slots(verdicts, usage)))
        })
    }
}

fn judge_verdict(model: &str, d: prompt::Decision) -> Verdict {
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
                let text = prompt::reply_text(v)?;
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
