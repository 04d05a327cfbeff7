//! What a run directory already holds, for resuming: the answers and complete grades saved,
//! with failed and torn lines dropped to be redone, and the tokens recorded on every line.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::answers::openai::Usage;
use crate::answers::Answer;
use crate::error::{Error, Result};
use crate::grade::JudgeUsage;
use crate::run;

/// What is already in a run directory.
#[derive(Debug, Default)]
pub struct Saved {
    /// Answers that succeeded, by (model, question id, sample).
    pub answers: HashMap<(String, String, u32), Answer>,
    /// Complete grades.
    pub graded: HashSet<(String, String, u32)>,
    /// The jurors' votes of incomplete grades that kept some (per criterion), so that the
    /// rerun asks only the jurors missing.
    pub votes: HashMap<(String, String, u32), Vec<Vec<crate::judge::Vote>>>,
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
    let votes = &mut saved.votes;
    saved.dropped += keep_lines(&dir.join(run::GRADES), repair, |_, line| {
        let text = std::str::from_utf8(&line.bytes).ok();
        let g: Option<GradeKey> = text.and_then(|t| serde_json::from_str(t).ok());
        match g {
            Some(g) if g.complete => graded.insert((g.model, g.question_id, g.sample)),
            Some(g) => {
                // Dropped to be redone; the votes it holds are kept for the rerun.
                let full: Option<crate::grade::Grade> =
                    text.and_then(|t| serde_json::from_str(t).ok());
                if let Some(full) = full.filter(|f| f.criteria.iter().any(|c| !c.votes.is_empty()))
                {
                    let kept = full.criteria.into_iter().map(|c| c.votes).collect();
                    votes.insert((g.model, g.question_id, g.sample), kept);
                }
                false
            }
            None => false,
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
        crate::util::write_atomic(path, &kept)?;
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

/// Judge calls the gates of a gated judge saved, over every grade line of a run directory.
pub fn judge_calls_saved(dir: &Path) -> Result<u64> {
    let gp = dir.join(run::GRADES);
    if !gp.exists() {
        return Ok(0);
    }
    let bytes = std::fs::read(&gp).map_err(|e| Error::io(&gp, e))?;
    Ok(crate::jsonl::lines_of(&bytes)
        .into_iter()
        .filter_map(|line| {
            std::str::from_utf8(&line.bytes)
                .ok()
                .and_then(|t| serde_json::from_str::<GradeKey>(t).ok())
        })
        .filter_map(|g| g.judge_usage)
        .map(|u| u.calls_saved)
        .sum())
}

/// Token totals of a run directory, per model, from its files: the usage recorded on every
/// answer line and every grade line, so totals survive kills and resumes. `prices` are per
/// million tokens: (model prompt, model completion, judge prompt, judge completion).
pub fn token_totals(
    dir: &Path,
    prices: [Option<f64>; 4],
) -> Result<std::collections::BTreeMap<String, crate::stats::Tokens>> {
    let mut out: std::collections::BTreeMap<String, crate::stats::Tokens> = Default::default();
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
        t.model.cost = crate::util::sum_opt(a, b);
        let (c, d) = (
            cost(t.judge.prompt, prices[2]),
            cost(t.judge.completion, prices[3]),
        );
        t.judge.cost = crate::util::sum_opt(c, d);
    }
    Ok(out)
}
