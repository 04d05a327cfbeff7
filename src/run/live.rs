//! Live jobs (`generate`, `run`, `grade --judge llm|hybrid`): a run directory prepared or
//! resumed, the pipeline run against it, `run.json` kept up to date, and the reports written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{json, Value};

use super::pipeline::{self, LiveProgress, Outcome, Plan, Setup};
use super::{Inputs, Manifest, ReportSettings};
use crate::answers::Answer;
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::http::{ClientConfig, StopHandle};
use crate::report::Report;
use crate::run;

/// One live invocation.
#[derive(Debug, Clone)]
pub struct LiveJob {
    /// The run directory (created, or resumed when it holds a run with the same settings).
    pub dir: PathBuf,
    /// What to ask and how to grade.
    pub plan: Plan,
    /// Answers to grade instead of asking a model (`grade --judge llm|hybrid`).
    pub answers: Option<Vec<Answer>>,
    /// The files those answers came from (recorded, and digested: the grades depend on them).
    pub answer_files: Vec<PathBuf>,
    /// The HTTP client's settings.
    pub client: ClientConfig,
    /// Operational settings recorded in `run.json` (the ones that shape results are derived
    /// from the plan).
    pub settings: BTreeMap<String, Value>,
    /// Prices per million tokens: model prompt, model completion, judge prompt, judge completion.
    pub prices: [Option<f64>; 4],
    /// The command line, recorded in `run.json`.
    pub command: Vec<String>,
    /// Reports to write when every item is done; `None` for none (`generate`).
    pub report: Option<ReportSettings>,
}

/// What [`live`] did.
#[derive(Debug)]
pub struct LiveRun {
    /// What this invocation did; `interrupted` when it was stopped (nothing is lost: running the
    /// same job again continues).
    pub outcome: Outcome,
    /// The report, when one was asked for and the run finished.
    pub report: Option<Report>,
    /// Failed items now in the run's `answers.jsonl` (counted only for jobs without reports).
    pub failed_answers: usize,
}

impl LiveRun {
    /// One line of what this invocation did: items, answers, failures, grades, requests, and
    /// the run directory `dir`.
    pub fn summary(&self, dir: &Path) -> String {
        let o = &self.outcome;
        let mut parts = vec![format!("{} items to do", o.planned)];
        if o.answered + o.failed > 0 {
            parts.push(format!("{} answered", o.answered));
        }
        if o.failed > 0 {
            parts.push(format!("{} failed (see answers.jsonl)", o.failed));
        }
        if o.graded > 0 {
            parts.push(format!("{} graded", o.graded));
        }
        if o.incomplete > 0 {
            parts.push(format!("{} incomplete", o.incomplete));
        }
        parts.push(format!(
            "{} requests sent, {} retried, {} from the cache",
            o.requests_sent, o.retries, o.cache_hits
        ));
        if o.redone > 0 {
            parts.push(format!("{} earlier failures redone", o.redone));
        }
        format!("{}; run directory: {}", parts.join(", "), dir.display())
    }
}

/// Runs a live job: prepares or resumes the run directory, runs the pipeline (stopping when `stop`
/// fires), records what was done in `run.json` and writes the reports.
pub fn live(
    ds: Arc<Dataset>,
    job: LiveJob,
    stop: StopHandle,
    progress: Arc<dyn LiveProgress>,
) -> Result<LiveRun> {
    let LiveJob {
        dir,
        plan,
        answers,
        answer_files,
        client,
        mut settings,
        prices,
        command,
        report,
    } = job;
    let dir = dir.as_path();
    let judge_kind = plan.judge;
    let mut results = result_settings(&plan);
    let mut inputs = inputs_of(&ds, &plan);
    inputs.answer_files = answer_files.clone();
    if answers.is_some() {
        // The answers are part of what the grades depend on.
        results.insert("answers_sha256".into(), json!(files_digest(&answer_files)?));
    }
    // Failed answers given to grade have no grade line; reports list them as failed.
    let failures: Vec<Answer> = answers
        .iter()
        .flatten()
        .filter(|a| a.answer.is_none())
        .cloned()
        .collect();
    inputs.answer_files.sort();
    run::create_dir(dir)?;
    let mut old_counts = BTreeMap::new();
    let started = match run::read_manifest(dir) {
        Ok(old) => {
            old_counts = old.counts.clone();
            run::check_resume(dir, &old, &results, &inputs)?;
            // Settings an earlier command stored and this one does not use (the model's, when
            // `run` follows `generate`) are kept.
            if let Some(Value::Object(o)) = old.settings.get("results") {
                for (k, v) in o {
                    results.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
            if inputs.judge_template_sha256.is_none() {
                inputs.judge_template_sha256 = old.inputs.judge_template_sha256.clone();
            }
            Some(old.started_at)
        }
        Err(_) if dir.join(run::MANIFEST).exists() => {
            return Err(Error::Usage(format!(
                "{} has a run.json that cannot be read; use another --out",
                dir.display()
            )))
        }
        Err(_) => None,
    };
    settings.insert(
        "results".into(),
        Value::Object(results.into_iter().collect()),
    );
    let mut manifest = Manifest {
        kasauti_version: env!("CARGO_PKG_VERSION").into(),
        command,
        settings,
        inputs,
        started_at: started.unwrap_or_else(run::now),
        finished_at: None,
        counts: BTreeMap::new(),
        tokens: BTreeMap::new(),
    };
    run::write_dataset(dir, &ds)?;
    run::write_manifest(dir, &manifest)?;

    let mut secrets = Vec::new();
    if let Some(m) = &plan.model {
        secrets.extend(m.secrets());
    }
    for j in plan.panel.iter().flat_map(|p| &p.jurors) {
        secrets.extend(j.endpoint.key.clone());
    }
    let result = pipeline::execute(
        ds.clone(),
        dir,
        plan,
        answers,
        Setup {
            client,
            secrets,
            stop,
            progress,
            grace: pipeline::GRACE,
        },
    );
    manifest.tokens = run::token_totals(dir, prices)?;
    let outcome = match result {
        Ok(o) => o,
        Err(e) => {
            run::write_manifest(dir, &manifest)?;
            return Err(e);
        }
    };
    let count = |m: &mut Manifest, k: &str, v: u64| {
        let e = m.counts.entry(k.to_string()).or_insert(0);
        *e += v;
    };
    count(&mut manifest, "http_requests_sent", outcome.requests_sent);
    count(&mut manifest, "http_retries", outcome.retries);
    count(&mut manifest, "cache_hits", outcome.cache_hits);
    for (k, v) in &old_counts {
        if ["http_requests_sent", "http_retries", "cache_hits"].contains(&k.as_str()) {
            count(&mut manifest, k, *v);
        }
    }
    manifest.counts.insert("questions".into(), ds.len() as u64);
    if !outcome.interrupted {
        manifest.finished_at = Some(run::now());
    }
    manifest
        .counts
        .insert("answers".into(), outcome.answers_total);
    manifest
        .counts
        .insert("graded_complete".into(), outcome.graded_total);
    if judge_kind == Some(crate::judge::JudgeKind::Gated) {
        manifest
            .counts
            .insert("judge_calls_saved".into(), run::judge_calls_saved(dir)?);
    }
    run::write_manifest(dir, &manifest)?;
    if outcome.interrupted {
        return Ok(LiveRun {
            outcome,
            report: None,
            failed_answers: 0,
        });
    }
    // Only a run without reports (`generate`) reads its answers back to count failures.
    let failed_answers = if report.is_none() {
        failed_answers(dir)?
    } else {
        0
    };
    let report = match report {
        Some(settings) => Some(write_live_reports(dir, &ds, settings, &failures)?),
        None => None,
    };
    Ok(LiveRun {
        outcome,
        report,
        failed_answers,
    })
}

/// The SHA-256 of the files' SHA-256s, in order.
fn files_digest(paths: &[PathBuf]) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in paths {
        let bytes = crate::jsonl::read_file(p)?;
        h.update(Sha256::digest(&bytes));
    }
    Ok(crate::util::hex(&h.finalize()))
}

/// The settings that shape results, stored in run.json and compared on resume.
fn result_settings(plan: &Plan) -> BTreeMap<String, Value> {
    let mut r = BTreeMap::new();
    if let Some(m) = &plan.model {
        r.insert("model".into(), json!(m.model));
        r.insert("api".into(), json!(m.api.name()));
        r.insert("base_url".into(), json!(m.endpoint.base_url));
        if let crate::answers::Api::Endpoint(c) = &m.api {
            r.insert("endpoint_sha256".into(), json!(c.sha256));
        }
        r.insert("temperature".into(), json!(m.params.temperature));
        r.insert("max_tokens".into(), json!(m.params.max_tokens));
        r.insert("seed".into(), json!(m.params.seed));
        r.insert("system_prompt".into(), json!(m.params.system_prompt));
        r.insert("samples".into(), json!(m.params.samples));
    }
    r.insert("shard".into(), json!(plan.shard.map(|s| s.to_string())));
    if let Some(k) = plan.judge {
        r.insert("judge".into(), json!(k.as_str()));
        let p = plan.panel.as_ref();
        let j = p.and_then(|p| p.lead());
        // One judge model is named as before; a jury lists its jurors in order.
        let each = |f: &dyn Fn(&crate::judge::JudgeSide) -> Value| -> Value {
            match p.map(|p| p.jurors.as_slice()) {
                Some([one]) => f(one),
                Some(many) if !many.is_empty() => Value::Array(many.iter().map(f).collect()),
                _ => Value::Null,
            }
        };
        r.insert("judge_model".into(), each(&|j| json!(j.model)));
        r.insert("judge_api".into(), each(&|j| json!(j.api.name())));
        r.insert(
            "judge_base_url".into(),
            each(&|j| json!(j.endpoint.base_url)),
        );
        if let Some(p) = p.filter(|p| p.jurors.len() > 1) {
            r.insert("jury_vote".into(), json!(p.vote.as_str()));
        }
        if let Some(p) = p.filter(|p| p.samples > 1) {
            r.insert("judge_samples".into(), json!(p.samples));
        }
        r.insert(
            "judge_temperature".into(),
            json!(j.and_then(|j| j.temperature)),
        );
        r.insert(
            "judge_reference".into(),
            json!(j.map(|j| j.reference.as_str())),
        );
        r.insert("judge_mode".into(), json!(j.map(|j| j.mode.as_str())));
        r.insert("judge_structured".into(), json!(j.map(|j| j.structured)));
        r.insert(
            "judge_max_tokens".into(),
            json!(j.and_then(|j| j.max_tokens)),
        );
    }
    r
}

fn inputs_of(ds: &Dataset, plan: &Plan) -> Inputs {
    Inputs {
        judge_template_sha256: plan
            .panel
            .as_ref()
            .and_then(|p| p.lead())
            .and_then(|j| j.template.sha256.clone()),
        ..Inputs::for_dataset(ds)
    }
}

/// Failed items now in a run's answers.jsonl.
fn failed_answers(dir: &Path) -> Result<usize> {
    let p = dir.join(run::ANSWERS);
    if !p.exists() {
        return Ok(0);
    }
    Ok(run::read_answer_lines(&p)?
        .iter()
        .filter(|a| a.answer.is_none())
        .count())
}

/// Builds the reports of a live run directory from its files.
fn write_live_reports(
    dir: &Path,
    ds: &Dataset,
    mut settings: ReportSettings,
    failures: &[Answer],
) -> Result<Report> {
    let mut records = run::read_records(dir, ds)?;
    {
        for a in failures {
            if let (Some(qi), None) = (ds.position(&a.question_id), &a.answer) {
                let m = records.model_id(&a.model);
                records.push_failed(m, qi, a.sample, a.error.clone().unwrap_or_default());
            }
        }
    }
    settings.tokens = run::tokens_of(&run::read_manifest(dir)?);
    run::write_reports(dir, &[dir.to_path_buf()], ds, &records, &settings)
}
