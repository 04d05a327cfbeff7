#![warn(missing_docs)]
//! Paired comparison of two runs (SPEC §7): the same questions (and samples) answered in run A
//! and run B, per language, per domain and overall, with a paired-bootstrap interval of the
//! difference and a paired permutation p-value.
//!
//! Pairing makes the comparison far more sensitive than comparing two independent intervals:
//! question difficulty varies much more than the models do, and it cancels in per-question
//! differences.

use std::collections::{BTreeMap, HashMap, HashSet};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::grade::{code, Records};
use crate::stats::{clip01, percentile, seed_for};

/// Bootstrap resamples of the paired difference.
pub const RESAMPLES: usize = 2000;
/// Random sign flips for the permutation p-value (when exact enumeration is too large).
pub const PERMUTATIONS: usize = 10_000;

/// The difference between two runs over one group of paired answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// Paired answers in the group.
    pub n: usize,
    /// Run A's mean answer score, clipped to [0, 1] as reports clip it.
    pub score_a: f64,
    /// Run B's mean answer score, clipped to [0, 1].
    pub score_b: f64,
    /// `score_b - score_a`.
    pub diff: f64,
    /// 2.5th and 97.5th percentiles of the paired-bootstrap differences.
    pub ci95: [f64; 2],
    /// Two-sided p-value of the paired permutation (sign-flip) test of the mean difference.
    pub p_value: f64,
    /// Whether the p-value is exact (every sign pattern enumerated) rather than sampled.
    pub p_exact: bool,
    /// The interval excludes zero.
    pub significant: bool,
    /// The p-value adjusted by Holm's method over the comparison's language and domain groups
    /// (absent for the overall group, which is not one of that family).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_holm: Option<f64>,
    /// The smallest true difference a two-sided test at α = 0.05 would detect with 80% power,
    /// from the paired differences' variance (absent for fewer than two pairs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mde80: Option<f64>,
}

impl Difference {
    /// Whether the group is too small to detect a difference as large as the one it shows:
    /// |B − A| is below the minimum detectable difference.
    pub fn underpowered(&self) -> bool {
        self.mde80.is_some_and(|m| self.diff.abs() < m)
    }
}

/// A criterion whose met-rate moved between the runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionChange {
    /// The question the criterion belongs to.
    pub question_id: String,
    /// The question's language.
    pub language: String,
    /// The criterion's id in its rubric.
    pub criterion_id: String,
    /// The criterion's text.
    pub criterion: String,
    /// Its points (negative for undesirable behaviour).
    pub points: f64,
    /// Paired answers in which both runs judged this criterion.
    pub n: usize,
    /// Share of those answers meeting it in run A.
    pub met_rate_a: f64,
    /// Share of those answers meeting it in run B.
    pub met_rate_b: f64,
    /// `met_rate_b - met_rate_a`.
    pub change: f64,
}

/// The comparison of one model of run A with one model of run B.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelComparison {
    /// The model of run A.
    pub model_a: String,
    /// The model of run B.
    pub model_b: String,
    /// Answers present and scored in both runs.
    pub paired: usize,
    /// (question, sample) items only run A has for this model: counted, left out.
    pub only_a: usize,
    /// Items only run B has.
    pub only_b: usize,
    /// Items in both runs but without a usable score in one of them (failed, incomplete or
    /// nothing judged, under `--missing exclude`).
    pub unscored: usize,
    /// Paired questions whose rubric differs between the runs (their criteria are not compared).
    pub rubric_changed: usize,
    /// All paired answers.
    pub overall: Option<Difference>,
    /// Paired answers per language.
    pub by_language: BTreeMap<String, Difference>,
    /// Paired answers per domain.
    pub by_domain: BTreeMap<String, Difference>,
    /// Criteria whose met-rate changed most, largest change first.
    pub criteria: Vec<CriterionChange>,
}

/// A whole comparison: `compare.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The version that computed this.
    pub kasauti_version: String,
    /// Run A's directory.
    pub run_a: String,
    /// Run B's directory.
    pub run_b: String,
    /// `exclude` or `zero`: how failed items and null verdicts entered means.
    pub missing_policy: String,
    /// Bootstrap resamples per interval.
    pub resamples: usize,
    /// Random sign flips per p-value (when not exact).
    pub permutations: usize,
    /// One comparison per model pair.
    pub comparisons: Vec<ModelComparison>,
    /// Things a reader should know (models left unpaired, changed rubrics).
    pub notes: Vec<String>,
}

/// Settings of a comparison.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// Count failed items and null verdicts as 0 / not met instead of leaving them out.
    pub missing_zero: bool,
    /// Bootstrap resamples per interval.
    pub resamples: usize,
    /// Random sign flips per p-value (when not exact).
    pub permutations: usize,
    /// How many changed criteria to keep per model pair.
    pub top_criteria: usize,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            missing_zero: false,
            resamples: RESAMPLES,
            permutations: PERMUTATIONS,
            top_criteria: 10,
        }
    }
}

/// One side of a comparison: a run's question set and records.
pub struct Side<'a> {
    /// How the run is named in output (its directory).
    pub name: String,
    /// The run's question set.
    pub dataset: &'a Dataset,
    /// The run's graded answers.
    pub records: &'a Records,
}

/// Which models are compared, and what was left unpaired.
#[derive(Debug, Clone, PartialEq)]
pub struct Pairing {
    /// (model of A, model of B) pairs.
    pub pairs: Vec<(String, String)>,
    /// Models left out, for the reader.
    pub notes: Vec<String>,
}

/// Decides which model of A is compared with which model of B.
///
/// With `--model-a`/`--model-b`, those (a side with a single model needs no flag). Otherwise,
/// when each run holds one model, those two; when runs hold several, every model name the two
/// runs share, each with itself. Anything else is a usage error that lists the models.
pub fn pair_models(
    a: &[String],
    b: &[String],
    model_a: Option<&str>,
    model_b: Option<&str>,
) -> Result<Pairing> {
    let list = |m: &[String]| {
        let mut v = m.to_vec();
        v.sort();
        v.join(", ")
    };
    if model_a.is_some() || model_b.is_some() {
        let pick =
            |side: &str, models: &[String], chosen: Option<&str>, other: Option<&str>| match chosen
            {
                Some(m) if models.iter().any(|x| x == m) => Ok(m.to_string()),
                Some(m) => Err(Error::Usage(format!(
                    "run {side} has no model `{m}` (it has: {})",
                    list(models)
                ))),
                None if models.len() == 1 => Ok(models[0].clone()),
                None => match other {
                    Some(o) if models.iter().any(|x| x == o) => Ok(o.to_string()),
                    _ => Err(Error::Usage(format!(
                        "run {side} has several models; choose one with --model-{} (it has: {})",
                        side.to_ascii_lowercase(),
                        list(models)
                    ))),
                },
            };
        let ma = pick("A", a, model_a, model_b)?;
        let mb = pick("B", b, model_b, model_a)?;
        return Ok(Pairing {
            pairs: vec![(ma, mb)],
            notes: Vec::new(),
        });
    }
    if a.len() == 1 && b.len() == 1 {
        return Ok(Pairing {
            pairs: vec![(a[0].clone(), b[0].clone())],
            notes: Vec::new(),
        });
    }
    let bs: HashSet<&String> = b.iter().collect();
    let mut common: Vec<String> = a.iter().filter(|m| bs.contains(m)).cloned().collect();
    common.sort();
    if common.is_empty() {
        return Err(Error::Usage(format!(
            "the runs share no model name, so it is not clear which models to compare; choose with \
             --model-a and --model-b (run A has: {}; run B has: {})",
            list(a),
            list(b)
        )));
    }
    let mut notes = Vec::new();
    let only = |x: &[String], side: &str| {
        let mut v: Vec<&String> = x.iter().filter(|m| !common.contains(m)).collect();
        v.sort();
        (!v.is_empty()).then(|| {
            format!(
                "models only in run {side}, not compared: {}",
                v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            )
        })
    };
    notes.extend(only(a, "A"));
    notes.extend(only(b, "B"));
    Ok(Pairing {
        pairs: common.iter().map(|m| (m.clone(), m.clone())).collect(),
        notes,
    })
}

/// The paired statistics of one group: `a[i]` and `b[i]` are the two runs' scores of item i.
/// `None` for an empty group.
pub fn paired_difference(
    a: &[f64],
    b: &[f64],
    seed: u64,
    resamples: usize,
    permutations: usize,
) -> Option<Difference> {
    let n = a.len().min(b.len());
    if n == 0 {
        return None;
    }
    let mean = |xs: &[f64]| xs[..n].iter().sum::<f64>() / n as f64;
    let score_a = clip01(mean(a));
    let score_b = clip01(mean(b));
    let diff = score_b - score_a;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // Paired bootstrap: resample items (both scores of an item together).
    let mut diffs = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        let (mut sa, mut sb) = (0.0, 0.0);
        for _ in 0..n {
            let i = rng.random_range(0..n);
            sa += a[i];
            sb += b[i];
        }
        diffs.push(clip01(sb / n as f64) - clip01(sa / n as f64));
    }
    diffs.sort_by(f64::total_cmp);
    let ci95 = [percentile(&diffs, 2.5), percentile(&diffs, 97.5)];
    let d: Vec<f64> = (0..n).map(|i| b[i] - a[i]).collect();
    let (p_value, p_exact) = sign_flip_p(&d, &mut rng, permutations);
    let mde80 = super::ppi::mde80(&d);
    Some(Difference {
        n,
        score_a,
        score_b,
        diff,
        ci95,
        p_value,
        p_exact,
        significant: ci95[0] > 0.0 || ci95[1] < 0.0,
        p_holm: None,
        mde80,
    })
}

/// Two-sided paired permutation test: under "no difference" each per-item difference is as
/// likely positive as negative, so the observed |mean| is compared with the |mean| under sign
/// flips. Zero differences flip to themselves and are left out of the enumeration. With few
/// non-zero differences every sign pattern is enumerated (an exact p-value); otherwise
/// `permutations` random patterns are drawn and p = (1 + hits) / (1 + permutations), which is
/// never 0.
pub fn sign_flip_p(d: &[f64], rng: &mut ChaCha8Rng, permutations: usize) -> (f64, bool) {
    let nz: Vec<f64> = d.iter().copied().filter(|x| *x != 0.0).collect();
    if nz.is_empty() {
        return (1.0, true);
    }
    let observed = nz.iter().sum::<f64>().abs();
    // Sums that differ from the observed one only by rounding count as equal.
    let threshold = observed - 1e-9 * observed.max(1.0);
    let k = nz.len();
    if k < 63 && (1u64 << k) <= permutations.max(1) as u64 {
        let total = 1u64 << k;
        let mut hits = 0u64;
        for mask in 0..total {
            let s: f64 = nz
                .iter()
                .enumerate()
                .map(|(i, x)| if mask >> i & 1 == 1 { -x } else { *x })
                .sum();
            if s.abs() >= threshold {
                hits += 1;
            }
        }
        return (hits as f64 / total as f64, true);
    }
    let mut hits = 0usize;
    for _ in 0..permutations {
        let mut s = 0.0;
        for x in &nz {
            if rng.random_bool(0.5) {
                s += x;
            } else {
                s -= x;
            }
        }
        if s.abs() >= threshold {
            hits += 1;
        }
    }
    ((1 + hits) as f64 / (1 + permutations) as f64, false)
}

/// One item's usable score, or why it has none.
fn usable(score: f64, complete: bool, failed: bool, missing_zero: bool) -> Option<f64> {
    if failed {
        return missing_zero.then_some(0.0);
    }
    if score.is_nan() || (!complete && !missing_zero) {
        return None;
    }
    Some(score)
}

/// Compares run A with run B.
pub fn compare(
    a: &Side<'_>,
    b: &Side<'_>,
    pairs: &[(String, String)],
    opts: &CompareOptions,
) -> Comparison {
    let mut notes = Vec::new();
    let mut comparisons = Vec::new();
    for (ma, mb) in pairs {
        let c = compare_models(a, b, ma, mb, opts);
        if c.rubric_changed > 0 {
            notes.push(format!(
                "{} paired question(s) have different rubrics in the two runs ({ma} vs {mb}); their scores are compared, their criteria are not",
                c.rubric_changed
            ));
        }
        comparisons.push(c);
    }
    Comparison {
        kasauti_version: env!("CARGO_PKG_VERSION").to_string(),
        run_a: a.name.clone(),
        run_b: b.name.clone(),
        missing_policy: if opts.missing_zero { "zero" } else { "exclude" }.to_string(),
        resamples: opts.resamples,
        permutations: opts.permutations,
        comparisons,
        notes,
    }
}

struct Entry {
    question: u32,
    score: Option<f64>,
    offset: Option<usize>,
}

fn entries(side: &Side<'_>, model: &str, missing_zero: bool) -> HashMap<(String, u32), Entry> {
    let mut out = HashMap::new();
    let Some(mi) = side.records.models.iter().position(|m| m == model) else {
        return out;
    };
    for it in &side.records.items {
        if it.model as usize != mi {
            continue;
        }
        let q = &side.dataset.questions[it.question as usize];
        out.insert(
            (q.id.clone(), it.sample),
            Entry {
                question: it.question,
                score: usable(it.score, it.complete, it.failed, missing_zero),
                offset: (!it.failed).then_some(it.offset as usize),
            },
        );
    }
    out
}

fn compare_models(
    a: &Side<'_>,
    b: &Side<'_>,
    ma: &str,
    mb: &str,
    opts: &CompareOptions,
) -> ModelComparison {
    let ea = entries(a, ma, opts.missing_zero);
    let eb = entries(b, mb, opts.missing_zero);
    let mut keys: Vec<&(String, u32)> = ea.keys().filter(|k| eb.contains_key(*k)).collect();
    keys.sort();
    let only_a = ea.len() - keys.len();
    let only_b = eb.len() - keys.len();
    let mut unscored = 0;
    let mut rubric_changed = HashSet::new();
    // Scores per group; the overall group is "".
    let mut groups: BTreeMap<(u8, String), (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    // (question id, criterion index) -> (judged in both, met in A, met in B)
    let mut crit: BTreeMap<(String, usize), (usize, usize, usize)> = BTreeMap::new();
    let mut paired = 0;
    for key in keys {
        let (x, y) = (&ea[key], &eb[key]);
        let qa = &a.dataset.questions[x.question as usize];
        let qb = &b.dataset.questions[y.question as usize];
        let (Some(sa), Some(sb)) = (x.score, y.score) else {
            unscored += 1;
            continue;
        };
        paired += 1;
        for g in [
            (0u8, String::new()),
            (1u8, qa.language.clone()),
            (2u8, qa.domain.clone()),
        ] {
            let e = groups.entry(g).or_default();
            e.0.push(sa);
            e.1.push(sb);
        }
        if qa.rubric != qb.rubric {
            rubric_changed.insert(qa.id.clone());
            continue;
        }
        if let (Some(oa), Some(ob)) = (x.offset, y.offset) {
            let n = qa.rubric.len();
            let (ca, cb) = (&a.records.codes[oa..oa + n], &b.records.codes[ob..ob + n]);
            for ci in 0..n {
                let judged = |c: u8| c == code::MET || c == code::NOT_MET;
                if judged(ca[ci]) && judged(cb[ci]) {
                    let e = crit.entry((qa.id.clone(), ci)).or_insert((0, 0, 0));
                    e.0 += 1;
                    e.1 += (ca[ci] == code::MET) as usize;
                    e.2 += (cb[ci] == code::MET) as usize;
                }
            }
        }
    }
    let mut out = ModelComparison {
        model_a: ma.to_string(),
        model_b: mb.to_string(),
        paired,
        only_a,
        only_b,
        unscored,
        rubric_changed: rubric_changed.len(),
        overall: None,
        by_language: BTreeMap::new(),
        by_domain: BTreeMap::new(),
        criteria: Vec::new(),
    };
    for ((family, key), (va, vb)) in groups {
        let seed = seed_for(&format!(
            "compare\u{1f}{ma}\u{1f}{mb}\u{1f}{family}\u{1f}{key}"
        ));
        let Some(d) = paired_difference(&va, &vb, seed, opts.resamples, opts.permutations) else {
            continue;
        };
        match family {
            0 => out.overall = Some(d),
            1 => {
                out.by_language.insert(key, d);
            }
            _ => {
                out.by_domain.insert(key, d);
            }
        }
    }
    // Holm's adjustment over the family of language and domain groups.
    let family: Vec<Option<f64>> = out
        .by_language
        .values()
        .chain(out.by_domain.values())
        .map(|d| Some(d.p_value))
        .collect();
    let adjusted = super::ppi::holm(&family);
    for (d, p) in out
        .by_language
        .values_mut()
        .chain(out.by_domain.values_mut())
        .zip(adjusted)
    {
        d.p_holm = p;
    }
    let mut changes: Vec<CriterionChange> = crit
        .into_iter()
        .filter_map(|((qid, ci), (n, met_a, met_b))| {
            let q = a.dataset.get(&qid)?;
            let c = &q.rubric[ci];
            let (ra, rb) = (met_a as f64 / n as f64, met_b as f64 / n as f64);
            (met_a != met_b).then(|| CriterionChange {
                question_id: qid.clone(),
                language: q.language.clone(),
                criterion_id: c.id.clone(),
                criterion: c.text.clone(),
                points: c.points,
                n,
                met_rate_a: ra,
                met_rate_b: rb,
                change: rb - ra,
            })
        })
        .collect();
    // Largest change first; among equals, the criterion worth the most points.
    changes.sort_by(|x, y| {
        y.change
            .abs()
            .total_cmp(&x.change.abs())
            .then(y.points.abs().total_cmp(&x.points.abs()))
            .then_with(|| x.question_id.cmp(&y.question_id))
            .then_with(|| x.criterion_id.cmp(&y.criterion_id))
    });
    changes.truncate(opts.top_criteria);
    out.criteria = changes;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_sign_flip_p_values() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        // Three positive differences: only the all-plus and all-minus patterns reach |3|.
        assert_eq!(
            sign_flip_p(&[1.0, 1.0, 1.0], &mut rng, 10_000),
            (0.25, true)
        );
        // No difference at all.
        assert_eq!(sign_flip_p(&[0.0, 0.0], &mut rng, 10_000), (1.0, true));
    }

    #[test]
    fn pairing_rules() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let p = pair_models(&s(&["x"]), &s(&["y"]), None, None)
            .unwrap()
            .pairs;
        assert_eq!(p, vec![("x".to_string(), "y".to_string())]);
        let p = pair_models(&s(&["x", "y"]), &s(&["y", "z"]), None, None).unwrap();
        assert_eq!(p.pairs, vec![("y".to_string(), "y".to_string())]);
        assert_eq!(p.notes.len(), 2);
        assert!(pair_models(&s(&["x", "y"]), &s(&["z", "w"]), None, None).is_err());
        let p = pair_models(&s(&["x", "y"]), &s(&["z", "w"]), Some("x"), Some("w"))
            .unwrap()
            .pairs;
        assert_eq!(p, vec![("x".to_string(), "w".to_string())]);
        assert!(pair_models(&s(&["x", "y"]), &s(&["z"]), Some("q"), None).is_err());
    }
}
