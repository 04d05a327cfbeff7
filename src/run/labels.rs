//! Human labels for corrected scores (`--labels`, SPEC §4e): reading the file, scoring each
//! labelled answer and tying it to an answer of the run(s).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::dataset::labels::{answer_sha256, read_label_set};
use crate::dataset::Dataset;
use crate::error::Result;
use crate::grade::human::human_scores;
use crate::report::LabelScores;

/// Reads a labels file and scores its answers for the runs `runs`. Labels that name their
/// model and sample are tied to that answer; labels known only by the answer text (criterion
/// lines, or answer lines without a model) are tied through the runs' answer texts, which are
/// read only when such labels exist. What could not be used is said in `notes`.
pub fn label_scores(path: &Path, ds: &Dataset, runs: &[PathBuf]) -> Result<LabelScores> {
    let set = read_label_set(path, ds)?;
    let human = human_scores(&set, ds);
    let mut notes = Vec::new();
    let mut scores = human.by_answer;
    let mut unmatched = 0usize;
    if !human.by_text.is_empty() {
        let mut by_text: HashMap<(String, String), Vec<(String, u32)>> = HashMap::new();
        for dir in runs {
            match super::details::answer_texts(dir)? {
                Ok(texts) => {
                    for ((model, qid, sample), text) in texts {
                        by_text
                            .entry((qid, answer_sha256(&text)))
                            .or_default()
                            .push((model, sample));
                    }
                }
                Err(why) => notes.push(format!(
                    "labels known only by their answer text cannot be tied to this run: {why}"
                )),
            }
        }
        for ((qid, sha), y) in human.by_text {
            match by_text.get(&(qid.clone(), sha)) {
                Some(found) => {
                    // The same text from several models or samples: each is that labelled answer.
                    for (model, sample) in found {
                        scores.insert((model.clone(), qid.clone(), *sample), y);
                    }
                }
                None => unmatched += 1,
            }
        }
    }
    if human.partial > 0 {
        notes.push(format!(
            "{} answers in {} are labelled on only some of their criteria and give no human score",
            human.partial,
            path.display()
        ));
    }
    if human.unlabelled > 0 {
        notes.push(format!(
            "{} lines of {} are not labelled yet (every criterion null) and were skipped",
            human.unlabelled,
            path.display()
        ));
    }
    Ok(LabelScores {
        file: path.display().to_string(),
        scores,
        unmatched,
        partial: human.partial,
        unlabelled: human.unlabelled,
        notes,
    })
}

/// Reads a labels file against the question set, so a bad file fails before any grading.
pub fn check_labels(path: &Path, ds: &Dataset) -> Result<()> {
    read_label_set(path, ds).map(|_| ())
}
