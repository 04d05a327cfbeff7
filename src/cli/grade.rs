//! `kasauti grade`: grade saved answers offline (rule judge) or from recorded verdicts.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use super::{print_diagnostics, DataArgs, MissingPolicy, Ui};
use crate::answers::AnswerFiles;
use crate::dataset::load;
use crate::error::{Error, Result};
use crate::grade::{grade_files, grade_verdicts, Outcome};
use crate::judge::rules::RuleJudge;
use crate::run::{self, Inputs, Manifest};

#[derive(Debug, Args)]
pub struct GradeArgs {
    /// Answer files (JSONL or CSV) or folders of them.
    #[arg(long, num_args = 1.., value_name = "PATH", required_unless_present = "verdicts")]
    pub answers: Vec<PathBuf>,
    /// Model name for answers that carry none (default: the file's stem).
    #[arg(long)]
    pub model: Option<String>,
    #[command(flatten)]
    pub judge: super::live::JudgeArgs,
    #[command(flatten)]
    pub http: super::live::HttpArgs,
    /// Score from verdicts decided elsewhere (JSONL: question_id, model, sample, criterion_id, met).
    #[arg(long, value_name = "FILE")]
    pub verdicts: Option<PathBuf>,
    /// Run directory (default: runs/<date>-<time>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// How missing answers, failed items and null verdicts enter means.
    #[arg(long, value_enum, default_value = "exclude")]
    pub missing: MissingPolicy,
    /// Report files to write besides the terminal table.
    #[arg(long, value_delimiter = ',', default_value = "json,md,csv,html")]
    pub format: Vec<String>,
    #[command(flatten)]
    pub data: DataArgs,
}

pub fn run(a: &GradeArgs, ui: &Ui, command: &[String]) -> Result<i32> {
    let started = run::now();
    let clock = super::Stopwatch::start();
    let loaded = load(&a.data.load_options())?;
    let (ds, diags, skipped_data) = loaded.into_dataset(a.data.skip_invalid)?;
    print_diagnostics(ui, &diags, 50);
    let dir = a.out.clone().unwrap_or_else(run::default_dir);
    let with_model = a.verdicts.is_none()
        && (a.judge.judge_model.is_some()
            || matches!(
                a.judge.judge,
                Some(super::live::JudgeArg::Llm | super::live::JudgeArg::Hybrid)
            ));
    if with_model {
        return grade_with_model(a, ui, command, ds, skipped_data, &dir);
    }
    run::create_dir(&dir)?;
    // Grading from files is deterministic and fast, so a rerun starts the file afresh.
    let grades_path = dir.join(run::GRADES);
    let mut sink = crate::jsonl::JsonlWriter::create(&grades_path)?;
    let mut files = if a.answers.is_empty() {
        None
    } else {
        Some(AnswerFiles::open(&a.answers, a.model.clone())?)
    };
    let bar = ui.bar(None, "grading");
    let graded: Result<Outcome> = match &a.verdicts {
        Some(v) => grade_verdicts(&ds, v, files.as_mut(), &mut sink, &bar),
        None => RuleJudge::new(&ds)
            .map_err(Error::Other)
            .and_then(|judge| match files.as_mut() {
                Some(f) => grade_files(&ds, &judge, f, &mut sink, &bar),
                None => Err(super::usage("--answers is required")),
            }),
    };
    let outcome = match graded {
        Ok(o) => o,
        Err(e) => {
            drop(sink);
            // Nothing half-done is left looking like a result.
            let _ = std::fs::remove_file(&grades_path);
            return Err(e);
        }
    };
    bar.finish();
    clock.lap("load and grade");
    sink.flush()?;
    drop(sink);
    let errors = outcome.diagnostics.iter().filter(|d| d.is_error()).count();
    if errors > 0 && !a.data.skip_invalid {
        // Nothing half-done is left looking like a result.
        let _ = std::fs::remove_file(&grades_path);
        return Err(Error::Input(outcome.diagnostics));
    }
    print_diagnostics(ui, &outcome.diagnostics, 50);
    let skipped = skipped_data + outcome.skipped;

    let mut settings = BTreeMap::new();
    settings.insert(
        "judge".into(),
        json!(if a.verdicts.is_some() {
            "verdicts"
        } else {
            "rules"
        }),
    );
    settings.insert("missing".into(), json!(a.missing.as_str()));
    settings.insert("skip_invalid".into(), json!(a.data.skip_invalid));
    if let Some(m) = &a.model {
        settings.insert("model".into(), json!(m));
    }
    let items = &outcome.records.items;
    let mut counts = BTreeMap::new();
    counts.insert("questions".into(), ds.len() as u64);
    counts.insert("answers".into(), items.len() as u64);
    counts.insert(
        "failed".into(),
        items.iter().filter(|i| i.failed).count() as u64,
    );
    counts.insert(
        "incomplete".into(),
        items.iter().filter(|i| !i.failed && !i.complete).count() as u64,
    );
    counts.insert("skipped_invalid".into(), skipped as u64);
    let manifest = Manifest {
        kasauti_version: env!("CARGO_PKG_VERSION").into(),
        command: command.to_vec(),
        settings,
        inputs: Inputs {
            answer_files: files.as_ref().map(|f| f.paths.clone()).unwrap_or_default(),
            verdict_file: a.verdicts.clone(),
            ..Inputs::for_dataset(&ds)
        },
        started_at: started,
        finished_at: Some(run::now()),
        counts,
        tokens: BTreeMap::new(),
    };
    run::write_manifest(&dir, &manifest)?;
    // The dataset snapshot is written beside the statistics (nothing in them reads it).
    let problems = std::thread::scope(|scope| -> Result<bool> {
        let snapshot = scope.spawn(|| run::write_dataset(&dir, &ds));
        let problems = super::report::finish(
            &dir,
            &ds,
            &outcome.records,
            a.missing == MissingPolicy::Zero,
            skipped,
            &Default::default(),
            &a.format,
            ui,
        );
        snapshot
            .join()
            .map_err(|_| Error::Other("the dataset writer thread panicked".into()))??;
        problems
    })?;
    clock.lap("statistics and reports");
    ui.note(&format!("run directory: {}", dir.display()));
    Ok(if problems { 1 } else { 0 })
}

/// Reads every answer (they are few next to what a judge model costs) and judges them with the
/// judge model, resumably.
fn grade_with_model(
    a: &GradeArgs,
    ui: &Ui,
    command: &[String],
    ds: crate::dataset::Dataset,
    skipped_data: usize,
    dir: &std::path::Path,
) -> Result<i32> {
    let mut files = AnswerFiles::open(&a.answers, a.model.clone())?;
    let mut answers = Vec::new();
    let mut diags = Vec::new();
    let mut seen = std::collections::HashSet::new();
    loop {
        let batch = files.next_batch(8192)?;
        if batch.is_empty() {
            break;
        }
        for item in batch {
            match item {
                Err(d) => diags.push(d),
                Ok(loc) => {
                    let path = &files.paths[loc.file as usize];
                    let an = loc.answer;
                    if ds.is_deselected(&an.question_id) {
                        continue;
                    }
                    if ds.position(&an.question_id).is_none() {
                        diags.push(crate::error::Diagnostic::error(
                            path,
                            Some(loc.line),
                            Some("question_id"),
                            format!("answer to unknown question `{}`", an.question_id),
                        ));
                        continue;
                    }
                    if !seen.insert((an.model.clone(), an.question_id.clone(), an.sample)) {
                        diags.push(crate::error::Diagnostic::error(
                            path,
                            Some(loc.line),
                            Some("question_id"),
                            format!(
                                "duplicate answer for model `{}`, question `{}`, sample {}",
                                an.model, an.question_id, an.sample
                            ),
                        ));
                        continue;
                    }
                    answers.push(an);
                }
            }
        }
    }
    if !diags.is_empty() && !a.data.skip_invalid {
        return Err(Error::Input(diags));
    }
    print_diagnostics(ui, &diags, 50);
    super::live::grade_with_judge(
        ds,
        skipped_data + diags.len(),
        answers,
        files.paths.clone(),
        &a.judge,
        &a.http,
        dir,
        a.missing,
        &a.format,
        ui,
        command,
    )
}
