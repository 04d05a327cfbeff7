//! The live jobs' configs: what `generate`, `run` and `grade` with a judge model ask, turned into
//! a [`Plan`] (for a dry run) and a [`LiveJob`] for [`crate::run::live`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::json;

use super::{HttpOptions, JudgeOptions, ModelOptions};
use crate::answers::{check_answers, Answer, AnswerFiles};
use crate::dataset::Dataset;
use crate::error::{Diagnostic, Error, Result};
use crate::run::pipeline::{Plan, Shard};
use crate::run::{default_dir, missing_name, LiveJob, ReportSettings};

/// Asking a model for answers, without grading them (`kasauti generate`).
#[derive(Debug, Clone, Default)]
pub struct GenerateConfig {
    /// The model that answers.
    pub model: ModelOptions,
    /// How requests are sent.
    pub http: HttpOptions,
    /// Only a stable share of the (model, question, sample) items.
    pub shard: Option<Shard>,
    /// The run directory (`None`: `runs/<date>-<time>`); the same job on it resumes.
    pub dir: Option<PathBuf>,
    /// The command line, recorded in `run.json`.
    pub command: Vec<String>,
}

impl GenerateConfig {
    /// What the job asks, checked (the model's options, its endpoint file and key).
    pub fn plan(&self) -> Result<Plan> {
        Ok(Plan {
            model: Some(self.model.side()?),
            judge: None,
            panel: None,
            shard: self.shard,
        })
    }

    /// The live job, with its plan, client and the settings `run.json` records.
    pub fn job(&self) -> Result<LiveJob> {
        let plan = self.plan()?;
        let mut settings = BTreeMap::new();
        settings.insert("command".into(), json!("generate"));
        self.http.record(&mut settings);
        Ok(LiveJob {
            dir: self.dir.clone().unwrap_or_else(default_dir),
            plan,
            answers: None,
            answer_files: Vec::new(),
            client: self.http.client_config()?,
            settings,
            prices: [
                self.model.price_prompt,
                self.model.price_completion,
                None,
                None,
            ],
            command: self.command.clone(),
            report: None,
        })
    }
}

/// Asking a model for answers, grading them and reporting (`kasauti run`).
#[derive(Debug, Clone, Default)]
pub struct RunConfig {
    /// The model, the HTTP behaviour, the share of items and the run directory.
    pub generate: GenerateConfig,
    /// How answers are judged.
    pub judge: JudgeOptions,
    /// The reports written when every item is done.
    pub report: ReportSettings,
}

impl RunConfig {
    /// What the job asks, checked: the model, then the judges (which share the model's service
    /// unless told otherwise).
    pub fn plan(&self) -> Result<Plan> {
        let model = self.generate.model.side()?;
        let (kind, panel) = self
            .judge
            .panel(self.generate.model.shared_service(&model))?;
        Ok(Plan {
            model: Some(model),
            judge: Some(kind),
            panel,
            shard: self.generate.shard,
        })
    }

    /// The live job, with its plan, client, reports and the settings `run.json` records.
    pub fn job(&self) -> Result<LiveJob> {
        let plan = self.plan()?;
        let g = &self.generate;
        let mut settings = BTreeMap::new();
        settings.insert("command".into(), json!("run"));
        if let Some(kind) = plan.judge {
            settings.insert("judge".into(), json!(kind.as_str()));
        }
        settings.insert(
            "missing".into(),
            json!(missing_name(self.report.missing_zero)),
        );
        settings.insert("judge_retries".into(), json!(self.judge.retries));
        g.http.record(&mut settings);
        Ok(LiveJob {
            dir: g.dir.clone().unwrap_or_else(default_dir),
            plan,
            answers: None,
            answer_files: Vec::new(),
            client: g.http.client_config()?,
            settings,
            prices: [
                g.model.price_prompt,
                g.model.price_completion,
                self.judge.price_prompt,
                self.judge.price_completion,
            ],
            command: g.command.clone(),
            report: Some(self.report.clone()),
        })
    }
}

/// Grading saved answers with a judge model, resumably (`kasauti grade --judge-model`). Without
/// a judge model, [`crate::run::GradeJob`] grades them offline.
#[derive(Debug, Clone, Default)]
pub struct JudgedGradeConfig {
    /// Answer files (JSONL or CSV) or folders of them.
    pub answers: Vec<PathBuf>,
    /// Model name for answers that carry none (default: the file's stem).
    pub model: Option<String>,
    /// How answers are judged.
    pub judge: JudgeOptions,
    /// How requests are sent.
    pub http: HttpOptions,
    /// The run directory; the same job on it resumes.
    pub dir: PathBuf,
    /// Skip invalid answer lines (reported) instead of failing.
    pub skip_invalid: bool,
    /// The reports; `skipped_invalid` counts the question-set lines skipped (refused answer
    /// lines are added to it).
    pub report: ReportSettings,
    /// The command line, recorded in `run.json`.
    pub command: Vec<String>,
}

/// Answers read from files and checked against the questions.
#[derive(Debug, Clone)]
pub struct GivenAnswers {
    /// The answers kept.
    pub answers: Vec<Answer>,
    /// The files they were read from.
    pub files: Vec<PathBuf>,
    /// The lines refused (skipped under `skip_invalid`).
    pub diagnostics: Vec<Diagnostic>,
}

impl JudgedGradeConfig {
    /// Reads every answer (they are few next to what a judge model costs); refused lines are an
    /// error unless `skip_invalid`.
    pub fn read_answers(&self, ds: &Dataset) -> Result<GivenAnswers> {
        let mut files = AnswerFiles::open(&self.answers, self.model.clone())?;
        let mut answers = Vec::new();
        let diagnostics = check_answers(ds, &mut files, |_, loc, _| answers.push(loc.answer))?;
        if !diagnostics.is_empty() && !self.skip_invalid {
            return Err(Error::Input(diagnostics));
        }
        Ok(GivenAnswers {
            answers,
            files: files.paths.clone(),
            diagnostics,
        })
    }

    /// The live job judging `given`, with its plan, client, reports and the settings `run.json`
    /// records.
    pub fn job(&self, given: GivenAnswers) -> Result<LiveJob> {
        let (kind, panel) = self.judge.panel(None)?;
        let plan = Plan {
            model: None,
            judge: Some(kind),
            panel,
            shard: None,
        };
        let mut settings = BTreeMap::new();
        settings.insert("command".into(), json!("grade"));
        settings.insert("judge".into(), json!(kind.as_str()));
        settings.insert(
            "missing".into(),
            json!(missing_name(self.report.missing_zero)),
        );
        self.http.record(&mut settings);
        let mut report = self.report.clone();
        report.skipped_invalid += given.diagnostics.len();
        Ok(LiveJob {
            dir: self.dir.clone(),
            plan,
            answers: Some(given.answers),
            answer_files: given.files,
            client: self.http.client_config()?,
            settings,
            prices: [
                None,
                None,
                self.judge.price_prompt,
                self.judge.price_completion,
            ],
            command: self.command.clone(),
            report: Some(report),
        })
    }
}
