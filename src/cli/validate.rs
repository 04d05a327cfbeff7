//! `kasauti validate`: check question sets and rubrics, report every problem.

use std::path::PathBuf;

use clap::Args;

use super::Ui;
use crate::dataset::{load, LoadOptions, DOMAINS, LANGUAGES};
use crate::error::Result;

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Question files or folders (default: ./questions if present, else the built-in sets).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Question files or folders, as `grade` takes them (the same as the positional paths).
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub questions: Vec<PathBuf>,
    /// Rubric files or folders (default: ./rubrics when checking ./questions).
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub rubrics: Option<Vec<PathBuf>>,
    /// Print the problems as JSON lines instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: &ValidateArgs, ui: &Ui) -> Result<i32> {
    let opts = LoadOptions {
        questions: if a.paths.is_empty() && a.questions.is_empty() {
            None
        } else {
            Some(a.paths.iter().chain(&a.questions).cloned().collect())
        },
        rubrics: a.rubrics.clone(),
        skip_invalid: false,
        ..Default::default()
    };
    let loaded = load(&opts)?;
    for d in &loaded.diagnostics {
        if a.json {
            println!("{}", serde_json::to_string(d).unwrap_or_default());
        } else {
            eprintln!("{}", crate::util::escape::terminal(&d.to_string()));
        }
    }
    let ds = &loaded.dataset;
    let errors = loaded.errors();
    let warnings = loaded.warnings();
    let mut langs: Vec<&str> = ds.questions.iter().map(|q| q.language.as_str()).collect();
    langs.sort();
    langs.dedup();
    let criteria: usize = ds.questions.iter().map(|q| q.rubric.len()).sum();
    let checked: usize = ds
        .questions
        .iter()
        .map(|q| q.rubric.iter().filter(|c| c.check.is_some()).count())
        .sum();
    let mut summary = format!(
        "{} questions in {} language(s), {} criteria ({} with a rule check); {} error(s), {} warning(s)\n",
        ds.len(),
        langs.len(),
        criteria,
        checked,
        errors,
        warnings
    );
    // Cells of the bundled grid (language × domain) that have no question.
    let bundled = LANGUAGES.iter().filter(|l| langs.contains(&l.code)).count();
    if bundled == LANGUAGES.len() {
        let mut empty = Vec::new();
        for l in LANGUAGES {
            for d in DOMAINS {
                if !ds
                    .questions
                    .iter()
                    .any(|q| q.language == l.code && q.domain == d)
                {
                    empty.push(format!("{}/{}", l.code, d));
                }
            }
        }
        if !empty.is_empty() {
            summary.push_str(&format!("note: no question for {}\n", empty.join(", ")));
        }
    }
    if !a.json {
        ui.out(&summary);
    }
    Ok(if errors > 0 { 1 } else { 0 })
}
