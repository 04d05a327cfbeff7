//! The judge model: asks a model (through OpenAI's or Anthropic's API) whether each criterion is
//! met, parses its reply and asks again while the reply is unusable. Prompts, reply schemas and parsing live in
//! [`super::prompt`]; this file sends them through the shared HTTP client.

use std::sync::Arc;

use serde_json::Value;
use tokio::task::JoinSet;

use super::prompt::{self, JudgeMode, Reference, Template};
use super::{Judge, JudgeUsage, Judged, Pending, Source, Task, Verdict};
use crate::answers::anthropic;
use crate::answers::openai::{estimate_tokens, Usage};
use crate::dataset::{Criterion, Question};
use crate::error::{Error, Result};
use crate::http::{CallError, Client, Endpoint, Outgoing};

/// The API a judge model is asked through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum JudgeApi {
    /// OpenAI Chat Completions.
    #[default]
    OpenAi,
    /// Anthropic's Messages API.
    Anthropic,
}

impl JudgeApi {
    /// The name recorded in `run.json`.
    pub fn name(self) -> &'static str {
        match self {
            JudgeApi::OpenAi => "openai",
            JudgeApi::Anthropic => "anthropic",
        }
    }

    /// The request asking `prompt`; `schema` (OpenAI only) constrains the reply.
    fn request(
        self,
        judge: &JudgeSide,
        prompt: &str,
        max_tokens: u64,
        schema: Option<(&str, Value)>,
    ) -> Outgoing {
        let (endpoint, model) = (&judge.endpoint, judge.model.as_str());
        match self {
            JudgeApi::OpenAi => Outgoing::openai(
                endpoint,
                prompt::request_body(model, prompt, Some(max_tokens), judge.temperature, schema),
            ),
            JudgeApi::Anthropic => {
                let mut body = anthropic::judge_body(model, prompt, Some(max_tokens));
                if let Some(t) = judge.temperature.filter(|t| *t != 0.0) {
                    body["temperature"] = serde_json::json!(t);
                }
                anthropic::outgoing(endpoint, body)
            }
        }
    }

    /// Whether a reply stopped because it reached `max_tokens` (OpenAI's `finish_reason:
    /// length`, Anthropic's `stop_reason: max_tokens`).
    fn cut_off(self, body: &Value) -> bool {
        match self {
            JudgeApi::OpenAi => {
                body.pointer("/choices/0/finish_reason")
                    .and_then(Value::as_str)
                    == Some("length")
            }
            JudgeApi::Anthropic => {
                body.get("stop_reason").and_then(Value::as_str) == Some("max_tokens")
            }
        }
    }

    /// The text of a reply.
    fn reply_text(self, body: &Value) -> std::result::Result<String, String> {
        match self {
            JudgeApi::OpenAi => prompt::reply_text(body),
            JudgeApi::Anthropic => {
                let c = anthropic::parse(body)?;
                if let Some(r) = c.refusal {
                    return Err(format!(
                        "the judge refused: {}",
                        crate::jsonl::truncate(&r, 120)
                    ));
                }
                c.content
                    .filter(|t| !t.trim().is_empty())
                    .ok_or_else(|| "the judge's reply is empty".to_string())
            }
        }
    }

    fn usage(self, body: &Value) -> Option<Usage> {
        match self {
            JudgeApi::OpenAi => Usage::from_body(body),
            JudgeApi::Anthropic => anthropic::usage(body),
        }
    }
}

/// The judge model.
#[derive(Debug, Clone)]
pub struct JudgeSide {
    pub endpoint: Endpoint,
    /// The API the judge is asked through.
    pub api: JudgeApi,
    pub model: String,
    pub mode: JudgeMode,
    pub template: Template,
    /// How many times an unusable reply is asked again.
    pub retries: u32,
    /// Send the reply's JSON schema as `response_format`.
    pub structured: bool,
    /// `max_tokens` of judge requests; `None` sizes it to the criteria asked
    /// ([`prompt::default_max_tokens`]).
    pub max_tokens: Option<u64>,
    /// Whether the prompt shows the question's reference (`--judge-reference`).
    pub reference: Reference,
    /// Sampling temperature of judge requests; `None` is 0.
    pub temperature: Option<f64>,
}

impl JudgeSide {
    /// `max_tokens` of a request deciding `verdicts` criteria.
    pub fn max_tokens_for(&self, verdicts: usize) -> u64 {
        self.max_tokens
            .unwrap_or_else(|| prompt::default_max_tokens(verdicts))
    }
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
    /// Which of the judge's repeated verdicts this is (`--judge-samples`): sample 0 sends the
    /// request a single verdict sends; later samples are distinct cache entries.
    sample: u32,
}

impl ModelJudge {
    /// A judge model asked through `client`. Without `side`, judging any criterion is an error
    /// (a hybrid judge whose checks decide everything never needs it).
    pub fn new(client: Arc<Client>, side: Option<JudgeSide>) -> ModelJudge {
        ModelJudge {
            client,
            side: side.map(Arc::new),
            sample: 0,
        }
    }

    /// The judge asked for its `sample`-th repeated verdict.
    pub fn with_sample(mut self, sample: u32) -> ModelJudge {
        self.sample = sample;
        self
    }

    /// The judge model's name, when there is one.
    pub fn model(&self) -> Option<&str> {
        self.side.as_ref().map(|s| s.model.as_str())
    }

    /// The judge's settings, when there are some.
    pub fn side(&self) -> Option<&JudgeSide> {
        self.side.as_deref()
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
                let max = judge.max_tokens_for(1);
                for &i in &todo {
                    let prompt =
                        prompt::render_one(&judge.template, q, text, &q.rubric[i], judge.reference);
                    let body = judge.api.request(
                        judge,
                        &prompt,
                        max,
                        judge
                            .structured
                            .then(|| ("rubric_verdict", prompt::verdict_schema())),
                    );
                    let client = self.client.clone();
                    let judge = judge.clone();
                    let sample = self.sample;
                    set.spawn(async move {
                        let r = ask_judge(
                            &client,
                            &judge,
                            (&body, sample, max),
                            &prompt,
                            prompt::parse_one,
                        )
                        .await;
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
                let prompt = prompt::render_batched(&judge.template, q, text, &cs, judge.reference);
                let max = judge.max_tokens_for(cs.len());
                let body = judge.api.request(
                    judge,
                    &prompt,
                    max,
                    judge
                        .structured
                        .then(|| ("rubric_verdicts", prompt::batched_schema(&ids))),
                );
                let Some((decisions, u)) = ask_judge(
                    &self.client,
                    judge,
                    (&body, self.sample, max),
                    &prompt,
                    |t| prompt::parse_batched(t, &ids),
                )
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
    super::add_usage(total, u);
}

/// Asks the judge, asking again (up to `retries` more times) while the reply is unusable.
/// Returns the parsed reply or why there is none, with what the replies cost; `Ok(None)` when the
/// run is stopping; an error only for refused credentials.
async fn ask_judge<T>(
    client: &Client,
    judge: &JudgeSide,
    (body, sample, max_tokens): (&Outgoing, u32, u64),
    prompt: &str,
    parse: impl Fn(&str) -> std::result::Result<T, String>,
) -> Result<Option<(std::result::Result<T, String>, JudgeUsage)>> {
    let mut usage = JudgeUsage::default();
    let estimate = estimate_tokens(prompt) + 200;
    // Repeated verdicts of one request are distinct cache entries; the first is the entry a
    // single verdict uses.
    let key = if sample == 0 {
        String::new()
    } else {
        format!("judge-sample:{sample}")
    };
    let count = |usage: &mut JudgeUsage, body: &Value| {
        usage.replies += 1;
        if let Some(u) = judge.api.usage(body) {
            usage.prompt_tokens += u.prompt_tokens;
            usage.completion_tokens += u.completion_tokens;
        }
    };
    let mut last = String::new();
    for _ in 0..=judge.retries {
        let r = client
            .call(&judge.endpoint, body, &key, estimate, |v| {
                let parsed = judge.api.reply_text(v).and_then(|text| parse(&text));
                match parsed {
                    Err(why) if judge.api.cut_off(v) => Err(format!(
                        "{} ({}, max_tokens {max_tokens}): the reply stopped before its JSON \
                         ended; raise --judge-max-tokens ({why})",
                        prompt::CUT_OFF,
                        match judge.api {
                            JudgeApi::OpenAi => "finish_reason: length",
                            JudgeApi::Anthropic => "stop_reason: max_tokens",
                        }
                    )),
                    other => other,
                }
            })
            .await;
        match r {
            Ok(reply) => {
                count(&mut usage, &reply.body);
                return Ok(Some((Ok(reply.value), usage)));
            }
            Err(CallError::Unusable { reason, body }) => {
                count(&mut usage, &body);
                // The same request would be cut off again at the same limit: asking again
                // spends tokens for nothing.
                if reason.starts_with(prompt::CUT_OFF) {
                    return Ok(Some((Err(reason), usage)));
                }
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
