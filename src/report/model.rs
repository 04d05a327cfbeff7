//! The report's content: every group's statistics per model, coverage and accounting
//! (SPEC §4 and §6). Built from compact [`Records`]; formats live beside this file.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::groups::{human_by_index, push_cluster, question_ranks, several_samples, Family, Keys};
use super::metrics::{healthbench_metrics, most_missed};
use crate::dataset::Dataset;
use crate::grade::{code, Records};
use crate::stats::ppi::{corrected_mean, MIN_LABELLED};
use crate::stats::{
    bootstrap, bootstrap_clustered, combine_equal, seed_for, GroupStats, Tokens, RESAMPLES,
};

/// One item left out of means, with why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemRef {
    pub question_id: String,
    pub sample: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What was and was not graded for one model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    /// Answers graded (including incomplete ones).
    pub answered: usize,
    /// Questions this model has no answer to.
    pub missing: usize,
    /// Graded answers with at least one `null` verdict.
    pub incomplete: usize,
    /// Items that failed before grading (no answer; the error is listed).
    pub failed: usize,
    /// Graded answers with no judged positive criterion (nothing to score).
    pub unscorable: usize,
    /// Share of positive rubric points that a judge decided, over graded answers.
    pub rule_coverage: f64,
    pub missing_questions: Vec<String>,
    pub incomplete_items: Vec<ItemRef>,
    pub failed_items: Vec<ItemRef>,
}

/// A criterion that answers often fail, for one language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Missed {
    pub question_id: String,
    pub criterion_id: String,
    pub criterion: String,
    pub points: f64,
    /// Answers in which a judge decided this criterion.
    pub judged: usize,
    /// Of those, how many did not meet it (for negative criteria: how many showed the behaviour).
    pub missed: usize,
}

/// All statistics for one model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelReport {
    pub overall: Option<GroupStats>,
    /// Mean of the per-language scores; `n` is the number of languages.
    pub macro_language: Option<GroupStats>,
    pub by_language: BTreeMap<String, GroupStats>,
    pub by_domain: BTreeMap<String, GroupStats>,
    pub by_language_domain: BTreeMap<String, BTreeMap<String, GroupStats>>,
    pub by_tag: BTreeMap<String, GroupStats>,
    pub by_criterion_tag: BTreeMap<String, GroupStats>,
    pub coverage: Coverage,
    pub tokens: Tokens,
    /// simple-evals' flat HealthBench metrics, for HealthBench question sets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<BTreeMap<String, f64>>,
    /// The criteria most often missed, per language (worst first).
    pub most_missed: BTreeMap<String, Vec<Missed>>,
    /// With human labels: this model's labelled answers that entered its scores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labelled: Option<usize>,
    /// With human labels: languages with fewer labelled answers than a correction needs, and
    /// how many they have (their scores are the judge's, uncorrected).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub too_few_labels: BTreeMap<String, usize>,
    /// With human labels: per language with any, the judge's mean score minus the people's on
    /// the labelled answers (positive: lenient), however few they are.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub judge_bias: BTreeMap<String, LabelBias>,
}

/// The judge's bias in one group, measured on its labelled answers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LabelBias {
    /// Labelled answers in the group.
    pub n_labelled: usize,
    /// Mean judge score minus mean human score over them.
    pub judge_bias: f64,
}

/// A whole report: `report.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub kasauti_version: String,
    /// How missing and incomplete answers were treated: `exclude` or `zero`.
    pub missing_policy: String,
    pub resamples: usize,
    /// Input lines skipped under `--skip-invalid`.
    pub skipped_invalid: usize,
    /// The human labels the corrected scores use (`--labels`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<LabelsInfo>,
    pub models: BTreeMap<String, ModelReport>,
    /// What the judge models did (juries, repeated verdicts, gates, self-judging), when there
    /// is something to say (see [`crate::report::jury`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judging: Option<crate::stats::jury::Judging>,
}

/// What came of a labels file (`--labels`, SPEC §4e).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LabelsInfo {
    /// The labels file, as given.
    pub file: String,
    /// Labelled answers found among the graded answers.
    pub matched: usize,
    /// Labelled answers that are not in the run(s) (another model, sample or text).
    pub unmatched: usize,
    /// Answers labelled on only some criteria, which give no score.
    pub partial: usize,
    /// Lines of a labelling file not filled in yet.
    pub unlabelled: usize,
    /// Labelled answers a group needs for a corrected score.
    pub min_per_group: usize,
    /// What could not be used, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// People's scores of labelled answers, for corrected scores.
#[derive(Debug, Clone, Default)]
pub struct LabelScores {
    /// The labels file, as given.
    pub file: String,
    /// Human score by (model, question id, sample).
    pub scores: HashMap<(String, String, u32), f64>,
    /// Labelled answers that could not be tied to an answer of the run(s).
    pub unmatched: usize,
    /// Answers labelled on only some criteria.
    pub partial: usize,
    /// Lines not filled in yet.
    pub unlabelled: usize,
    /// What could not be used, and why.
    pub notes: Vec<String>,
}

impl Report {
    /// Whether any model has incomplete grades or failed items (worth exit code 1).
    pub fn has_problems(&self) -> bool {
        self.models
            .values()
            .any(|m| m.coverage.incomplete > 0 || m.coverage.failed > 0)
    }
}

/// Options for building a report.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    /// `--missing zero`: missing answers, failed items and null verdicts count as 0 / not met.
    pub missing_zero: bool,
    pub skipped_invalid: usize,
    /// Tokens per model name.
    pub tokens: HashMap<String, Tokens>,
    /// How many most-missed criteria to keep per language.
    pub most_missed: usize,
    /// Human labels, for corrected scores (`--labels`).
    pub labels: Option<LabelScores>,
}

/// Builds the report from graded records.
pub fn build(ds: &Dataset, records: &Records, opts: &ReportOptions) -> Report {
    let keys = Keys::new(ds);
    let nmodels = records.models.len();
    let ngroups = keys.names.len();
    // values[model][group] = answer scores in that group.
    let mut values: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); ngroups]; nmodels];
    let mut coverage: Vec<Coverage> = vec![Coverage::default(); nmodels];
    let mut judged_pos = vec![0.0f64; nmodels];
    let mut total_pos = vec![0.0f64; nmodels];
    let mut answered_q: Vec<Vec<bool>> = vec![vec![false; ds.len()]; nmodels];
    // Per model, (judged, missed) for every criterion of every question, densely: criterion c
    // of question q is at `crit_offset[q] + c`.
    let mut crit_offset = Vec::with_capacity(ds.len() + 1);
    let mut total_criteria = 0usize;
    for q in &ds.questions {
        crit_offset.push(total_criteria);
        total_criteria += q.rubric.len();
    }
    // Every criterion's points in one array, in the same order: the loop over answers reads
    // them for each answer, and the rubrics themselves are cold in cache.
    let crit_points: Vec<f64> = ds
        .questions
        .iter()
        .flat_map(|q| q.rubric.iter().map(|c| c.points))
        .collect();
    let mut miss: Vec<Vec<(u32, u32)>> = vec![vec![(0, 0); total_criteria]; nmodels];
    // fidelity[model][group] = (answers whose language is known, of them in the asked language).
    let mut fidelity: Vec<Vec<(u32, u32)>> = vec![vec![(0, 0); ngroups]; nmodels];
    // A model with several samples of some question has its intervals clustered by question:
    // clusters[model][group] then holds each value's question, beside values[model][group].
    let clustered = several_samples(records, nmodels, ds.len());
    // A question's cluster is its rank by id, so merged runs whose question sets come in
    // another order draw the same resamples.
    let rank = question_ranks(ds);
    let mut clusters: Vec<Vec<Vec<u32>>> = vec![vec![Vec::new(); ngroups]; nmodels];
    // Human scores by (model, question, sample), and (human, judge) pairs per model and group.
    let human = opts
        .labels
        .as_ref()
        .map(|l| human_by_index(ds, records, l))
        .unwrap_or_default();
    let mut pairs: Vec<Vec<Vec<(f64, f64)>>> = vec![vec![Vec::new(); ngroups]; nmodels];
    let mut labelled_answers = vec![0usize; nmodels];
    let mut matched = 0usize;
    let correctable: Vec<bool> = keys
        .names
        .iter()
        .map(|(f, _)| matches!(f, Family::Overall | Family::Language | Family::Domain))
        .collect();

    let failure: HashMap<u32, &str> = records
        .failures
        .iter()
        .map(|(i, r)| (*i, r.as_str()))
        .collect();
    for (idx, it) in records.items.iter().enumerate() {
        let m = it.model as usize;
        let q = &ds.questions[it.question as usize];
        answered_q[m][it.question as usize] = true;
        if !human.is_empty() && human.contains_key(&(it.model, it.question, it.sample)) {
            matched += 1;
        }
        let cov = &mut coverage[m];
        if it.failed {
            cov.failed += 1;
            let reason = failure.get(&(idx as u32)).map(|r| r.to_string());
            cov.failed_items.push(ItemRef {
                question_id: q.id.clone(),
                sample: it.sample,
                reason,
            });
            if opts.missing_zero {
                for &g in &keys.question_groups[it.question as usize] {
                    values[m][g].push(0.0);
                }
                for (g, _) in &keys.question_ctags[it.question as usize] {
                    values[m][*g].push(0.0);
                }
                if clustered[m] {
                    push_cluster(&mut clusters[m], &keys, it.question as usize, &rank);
                }
            }
            continue;
        }
        cov.answered += 1;
        if let Some(in_language) = it.in_language {
            for &g in &keys.question_groups[it.question as usize] {
                let f = &mut fidelity[m][g];
                f.0 += 1;
                f.1 += in_language as u32;
            }
        }
        let codes = records.codes_of(it, q.rubric.len());
        let first = crit_offset[it.question as usize];
        let points = &crit_points[first..first + q.rubric.len()];
        for (ci, (&p, &k)) in points.iter().zip(codes).enumerate() {
            if p > 0.0 {
                total_pos[m] += p;
                if k != code::UNJUDGED {
                    judged_pos[m] += p;
                }
            }
            if k == code::MET || k == code::NOT_MET {
                let missed = if p > 0.0 {
                    k == code::NOT_MET
                } else {
                    k == code::MET
                };
                let e = &mut miss[m][crit_offset[it.question as usize] + ci];
                e.0 += 1;
                if missed {
                    e.1 += 1;
                }
            }
        }
        if it.score.is_nan() {
            cov.unscorable += 1;
            continue;
        }
        if !it.complete {
            cov.incomplete += 1;
            cov.incomplete_items.push(ItemRef {
                question_id: q.id.clone(),
                sample: it.sample,
                reason: None,
            });
            if !opts.missing_zero {
                continue;
            }
        }
        for &g in &keys.question_groups[it.question as usize] {
            values[m][g].push(it.score);
        }
        if let Some(&y) = human.get(&(it.model, it.question, it.sample)) {
            labelled_answers[m] += 1;
            for &g in &keys.question_groups[it.question as usize] {
                if correctable[g] {
                    pairs[m][g].push((y, it.score));
                }
            }
        }
        if clustered[m] {
            // Criterion-tag groups get a value only when the tag has positive points: pushed
            // below, with their cluster.
            for &g in &keys.question_groups[it.question as usize] {
                clusters[m][g].push(rank[it.question as usize]);
            }
        }
        // Criterion-tag scores use only that tag's criteria, as HealthBench does; a tag with no
        // positive points in this rubric gives no score.
        for (g, cis) in &keys.question_ctags[it.question as usize] {
            let mut earned = 0.0;
            let mut possible = 0.0;
            for &ci in cis {
                let p = points[ci];
                match codes[ci] {
                    code::UNJUDGED => continue,
                    code::MET => earned += p,
                    _ => {}
                }
                if p > 0.0 {
                    possible += p;
                }
            }
            if possible > 0.0 {
                values[m][*g].push(earned / possible);
                if clustered[m] {
                    clusters[m][*g].push(rank[it.question as usize]);
                }
            }
        }
    }
    for m in 0..nmodels {
        for (qi, q) in ds.questions.iter().enumerate() {
            if !answered_q[m][qi] {
                coverage[m].missing += 1;
                coverage[m].missing_questions.push(q.id.clone());
                if opts.missing_zero {
                    for &g in &keys.question_groups[qi] {
                        values[m][g].push(0.0);
                    }
                    for (g, _) in &keys.question_ctags[qi] {
                        values[m][*g].push(0.0);
                    }
                    if clustered[m] {
                        push_cluster(&mut clusters[m], &keys, qi, &rank);
                    }
                }
            }
        }
        coverage[m].rule_coverage = if total_pos[m] > 0.0 {
            judged_pos[m] / total_pos[m]
        } else {
            0.0
        };
    }

    let healthbench = ds.is_healthbench();
    // (labelled answers, judge bias) per model and group, before the pairs move to the pool.
    let labelled_in: Vec<Vec<LabelBias>> = pairs
        .iter()
        .map(|groups| {
            groups
                .iter()
                .map(|p| {
                    let n = p.len().max(1) as f64;
                    LabelBias {
                        n_labelled: p.len(),
                        judge_bias: p.iter().map(|(y, f)| f - y).sum::<f64>() / n,
                    }
                })
                .collect()
        })
        .collect();
    // Every (model, group) bootstrap is independent: run them on the pool.
    type Job = (usize, usize, Vec<f64>, Vec<u32>, Vec<(f64, f64)>);
    let jobs: Vec<Job> = values
        .into_iter()
        .zip(clusters)
        .zip(pairs)
        .enumerate()
        .flat_map(|(m, ((groups, cl), pa))| {
            groups
                .into_iter()
                .zip(cl)
                .zip(pa)
                .enumerate()
                .filter(|(_, ((v, _), _))| !v.is_empty())
                .map(move |(g, ((v, c), p))| (m, g, v, c, p))
        })
        .collect();
    // With clusters, the answer-level bootstrap std is kept too, for simple-evals' flat
    // HealthBench metrics (which resample answers).
    /// (model, group, statistics, resample means, answer-level bootstrap std).
    type Done = (usize, usize, GroupStats, Vec<f64>, Option<f64>);
    let results: Vec<Done> = jobs
        .into_par_iter()
        .filter_map(|(m, g, mut v, c, p)| {
            let (f, k) = &keys.names[g];
            let name = format!("{}\u{1f}{}\u{1f}{}", records.models[m], *f as u8, k);
            let seed = seed_for(&name);
            let (mut s, means, by_answer) = if c.len() == v.len() {
                let (s, means) = bootstrap_clustered(&v, &c, seed, RESAMPLES)?;
                let plain = healthbench
                    .then(|| bootstrap(&mut v.clone(), seed, RESAMPLES))
                    .flatten()
                    .map(|(s, _)| s.bootstrap_std);
                (s, means, plain)
            } else {
                let (s, means) = bootstrap(&mut v, seed, RESAMPLES)?;
                (s, means, None)
            };
            if !p.is_empty() {
                s.corrected = corrected_mean(&v, &p);
            }
            Some((m, g, s, means, by_answer))
        })
        .collect();

    let mut models = BTreeMap::new();
    let mut lang_means: Vec<Vec<(GroupStats, Vec<f64>)>> = vec![Vec::new(); nmodels];
    let mut reports: Vec<ModelReport> = vec![ModelReport::default(); nmodels];
    let mut answer_std: Vec<HashMap<String, f64>> = vec![HashMap::new(); nmodels];
    for (m, g, mut s, means, by_answer) in results {
        let (known, inside) = fidelity[m][g];
        if known > 0 {
            s.language_fidelity = Some(inside as f64 / known as f64);
        }
        let r = &mut reports[m];
        let (f, k) = &keys.names[g];
        if let Some(std) = by_answer {
            let name = if *f == Family::Overall {
                ""
            } else {
                k.as_str()
            };
            answer_std[m].insert(name.to_string(), std);
        }
        match f {
            Family::Overall => r.overall = Some(s),
            Family::Language => {
                lang_means[m].push((s.clone(), means));
                r.by_language.insert(k.clone(), s);
            }
            Family::Domain => {
                r.by_domain.insert(k.clone(), s);
            }
            Family::LanguageDomain => {
                let (l, d) = k.split_once('\u{1f}').unwrap_or((k.as_str(), ""));
                r.by_language_domain
                    .entry(l.to_string())
                    .or_default()
                    .insert(d.to_string(), s);
            }
            Family::Tag => {
                r.by_tag.insert(k.clone(), s);
            }
            Family::CriterionTag => {
                r.by_criterion_tag.insert(k.clone(), s);
            }
        }
    }
    for (m, mut r) in reports.into_iter().enumerate() {
        let mut langs = std::mem::take(&mut lang_means[m]);
        // A fixed order, so the combination is reproducible.
        langs.sort_by(|a, b| a.0.score.total_cmp(&b.0.score).then(a.0.n.cmp(&b.0.n)));
        let parts: Vec<(&GroupStats, &[f64])> =
            langs.iter().map(|(s, v)| (s, v.as_slice())).collect();
        r.macro_language = combine_equal(&parts);
        r.coverage = std::mem::take(&mut coverage[m]);
        r.tokens = opts
            .tokens
            .get(&records.models[m])
            .cloned()
            .unwrap_or_default();
        if healthbench {
            r.metrics = Some(healthbench_metrics(&r, &answer_std[m]));
        }
        r.most_missed = most_missed(ds, &crit_offset, &miss[m], opts.most_missed.max(1));
        if opts.labels.is_some() {
            r.labelled = Some(labelled_answers[m]);
            let bias_of = |l: &String| {
                keys.index
                    .get(&(Family::Language, l.clone()))
                    .map(|&g| labelled_in[m][g])
            };
            r.too_few_labels = r
                .by_language
                .iter()
                .filter(|(_, g)| g.corrected.is_none())
                .map(|(l, _)| (l.clone(), bias_of(l).map_or(0, |b| b.n_labelled)))
                .collect();
            r.judge_bias = r
                .by_language
                .keys()
                .filter_map(|l| Some((l.clone(), bias_of(l).filter(|b| b.n_labelled > 0)?)))
                .collect();
        }
        models.insert(records.models[m].clone(), r);
    }
    Report {
        kasauti_version: env!("CARGO_PKG_VERSION").to_string(),
        missing_policy: if opts.missing_zero { "zero" } else { "exclude" }.to_string(),
        resamples: RESAMPLES,
        skipped_invalid: opts.skipped_invalid,
        labels: opts.labels.as_ref().map(|l| LabelsInfo {
            file: l.file.clone(),
            matched,
            unmatched: l.unmatched + l.scores.len().saturating_sub(matched),
            partial: l.partial,
            unlabelled: l.unlabelled,
            min_per_group: MIN_LABELLED,
            notes: l.notes.clone(),
        }),
        models,
        judging: None,
    }
}
