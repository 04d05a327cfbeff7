//! `kasauti validate`: check question sets and rubrics, report every problem.

use std::path::PathBuf;

use clap::Args;

use super::Ui;
use crate::dataset::LoadOptions;
use crate::error::Result;
use crate::run::validate;

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

/// `kasauti validate`.
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
    let found = validate(&opts)?;
    for d in &found.loaded.diagnostics {
        if a.json {
            println!("{}", serde_json::to_string(d).unwrap_or_default());
        } else {
            eprintln!("{}", crate::util::escape::terminal(&d.to_string()));
        }
    }
    if !a.json {
        ui.out(&found.summary());
    }
    Ok(if found.loaded.errors() > 0 { 1 } else { 0 })
}
