//! The one check of incoming answers before they are graded from a list: each must answer a
//! known question (answers to questions left out by `--language`/`--domain` are passed over)
//! and be the only answer for its model, question and sample.

use std::collections::HashSet;
use std::path::Path;

use super::{AnswerFiles, Located};
use crate::dataset::Dataset;
use crate::error::{Diagnostic, Result};

/// Answers read at once from the files.
const BATCH: usize = 8192;

/// Reads every answer of `files`, passing each that is well formed, answers a selected question
/// and is not a repeat to `keep` with its file, line and question position. Returns the
/// problems, one per line refused.
pub fn check_answers(
    ds: &Dataset,
    files: &mut AnswerFiles,
    mut keep: impl FnMut(&Path, Located, u32),
) -> Result<Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut seen: HashSet<(String, u32, u32)> = HashSet::new();
    loop {
        let batch = files.next_batch(BATCH)?;
        if batch.is_empty() {
            break;
        }
        for item in batch {
            let loc = match item {
                Err(d) => {
                    diags.push(d);
                    continue;
                }
                Ok(loc) => loc,
            };
            let path = &files.paths[loc.file as usize];
            let an = &loc.answer;
            let Some(qi) = ds.position(&an.question_id) else {
                if !ds.is_deselected(&an.question_id) {
                    diags.push(Diagnostic::error(
                        path,
                        Some(loc.line),
                        Some("question_id"),
                        format!("answer to unknown question `{}`", an.question_id),
                    ));
                }
                continue;
            };
            if !seen.insert((an.model.clone(), qi, an.sample)) {
                diags.push(Diagnostic::error(
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
            keep(path, loc, qi);
        }
    }
    Ok(diags)
}
