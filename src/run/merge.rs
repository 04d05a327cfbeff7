//! Merging run directories: one question set and one set of records from several runs, keeping
//! one copy of items present in more than one and refusing items graded differently.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use super::Manifest;
use crate::dataset::{Dataset, Question};
use crate::error::{Diagnostic, Error, Result};
use crate::grade::Records;
use crate::stats::Tokens;

/// One or more run directories read as one.
#[derive(Debug, Default)]
pub struct MergedRuns {
    /// Every question of the runs (runs that share a question must agree on it).
    pub dataset: Dataset,
    /// Every graded or failed item, once.
    pub records: Records,
    /// Tokens per model, summed over the runs.
    pub tokens: HashMap<String, Tokens>,
    /// Each run's `run.json`, in the order given.
    pub manifests: Vec<Manifest>,
}

/// Loads one or more run directories into one dataset and one set of records.
pub fn merge_runs(runs: &[PathBuf]) -> Result<MergedRuns> {
    let mut questions = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut records = Records::default();
    let mut tokens: HashMap<String, Tokens> = HashMap::new();
    let mut manifests = Vec::new();
    let mut keys: HashMap<(String, String, u32), (f64, bool, PathBuf)> = HashMap::new();
    let mut per_run = Vec::new();
    for dir in runs {
        let m = super::read_manifest(dir)?;
        let ds = super::read_dataset(dir)?;
        for q in &ds.questions {
            match seen.get(&q.id) {
                Some(&i) => {
                    let prev: &Question = &questions[i];
                    if prev.rubric != q.rubric || prev.language != q.language {
                        return Err(Error::Input(vec![Diagnostic::error(
                            &dir.join(super::DATASET),
                            Some(q.origin.line),
                            Some("rubric"),
                            format!("question `{}` differs from the one in an earlier run directory; runs of different question sets cannot be merged", q.id),
                        )]));
                    }
                }
                None => {
                    seen.insert(q.id.clone(), questions.len());
                    questions.push(q.clone());
                }
            }
        }
        let r = super::read_records(dir, &ds)?;
        for (k, v) in super::tokens_of(&m) {
            tokens.entry(k).or_default().add(&v);
        }
        manifests.push(m);
        per_run.push((dir.clone(), ds, r));
    }
    let merged = Dataset::new(questions, Vec::new());
    let single = per_run.len() == 1;
    for (dir, ds, r) in per_run {
        if single {
            return Ok(MergedRuns {
                dataset: merged,
                records: r,
                tokens,
                manifests,
            });
        }
        // Keep one copy of items present in several runs, refusing ones that disagree.
        let mut keep = Records::default();
        let mut dup_items = HashSet::new();
        for (idx, it) in r.items.iter().enumerate() {
            let key = (
                r.models[it.model as usize].clone(),
                ds.questions[it.question as usize].id.clone(),
                it.sample,
            );
            let score = it.score;
            match keys.get(&key) {
                Some((s, failed, other)) => {
                    let same = (s.is_nan() && score.is_nan()) || *s == score;
                    if !same || *failed != it.failed {
                        return Err(Error::Input(vec![Diagnostic::error(
                            &dir.join(super::GRADES),
                            None,
                            Some("score"),
                            format!(
                                "model `{}`, question `{}`, sample {} is graded differently in {} ({}) and here ({})",
                                key.0,
                                key.1,
                                key.2,
                                other.display(),
                                s,
                                score
                            ),
                        )]));
                    }
                    dup_items.insert(idx);
                }
                None => {
                    keys.insert(key, (score, it.failed, dir.clone()));
                }
            }
        }
        let mut filtered = Records::default();
        for (idx, it) in r.items.iter().enumerate() {
            if dup_items.contains(&idx) {
                continue;
            }
            let n = ds.questions[it.question as usize].rubric.len();
            let mm = filtered.model_id(&r.models[it.model as usize]);
            let off = filtered.codes.len() as u64;
            filtered.codes.extend_from_slice(r.codes_of(it, n));
            filtered.items.push(crate::grade::Item {
                model: mm,
                offset: off,
                ..*it
            });
        }
        let _ = &mut keep;
        let map: Vec<u32> = ds
            .questions
            .iter()
            .map(|q| merged.position(&q.id).unwrap_or(0))
            .collect();
        let sizes: Vec<usize> = ds.questions.iter().map(|q| q.rubric.len()).collect();
        records.merge(&filtered, |q| map[q as usize], |q| sizes[q as usize]);
    }
    Ok(MergedRuns {
        dataset: merged,
        records,
        tokens,
        manifests,
    })
}
