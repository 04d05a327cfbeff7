//! Judge calibration figures (SPEC §4b): how far a judge's verdicts agree with human labels,
//! overall and per language, beside how far the human raters agree with each other.
//!
//! Every figure is computed over pooled pairs, as HealthBench's meta-evaluation does: each judge
//! verdict is paired with each rater label of the same item (an item with three labels gives
//! three pairs). For the raters, each rater's label is paired with every other rater's label of
//! the same item (leave-one-out), so a judge can be set beside human agreement on the same
//! items. Rater k is the k-th label of every item's `labels` list.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::dataset::labels::LabelledItem;

/// Agreement of one rater (the judge, or a human) with reference labels, over pooled pairs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// Items that contributed pairs.
    pub items: usize,
    /// (verdict, reference label) pairs.
    pub pairs: usize,
    /// Share of pairs that agree.
    pub agreement: f64,
    /// Cohen's kappa over the pairs; `None` when chance agreement is 1 (both sides constant).
    pub kappa: Option<f64>,
    /// Share of pairs in which the evaluated side says `met`.
    pub met_rate: f64,
    /// Share of pairs in which the reference says `met`.
    pub reference_met_rate: f64,
    /// `met_rate - reference_met_rate`: positive means the evaluated side is more lenient.
    pub bias: f64,
    /// Of the pairs the evaluated side calls met, the share the reference calls met.
    pub precision_met: Option<f64>,
    /// Of the pairs the reference calls met, the share the evaluated side calls met.
    pub recall_met: Option<f64>,
    /// F1 of the `met` class.
    pub f1_met: Option<f64>,
    /// Of the pairs the evaluated side calls not met, the share the reference calls not met.
    pub precision_not_met: Option<f64>,
    /// Of the pairs the reference calls not met, the share the evaluated side calls not met.
    pub recall_not_met: Option<f64>,
    /// F1 of the `not met` class.
    pub f1_not_met: Option<f64>,
    /// Mean of the two classes' F1 (HealthBench's meta-evaluation figure).
    pub balanced_f1: Option<f64>,
}

fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// The agreement figures of (evaluated, reference) pairs from `items` items. `None` without pairs.
pub fn agreement(pairs: &[(bool, bool)], items: usize) -> Option<Agreement> {
    if pairs.is_empty() {
        return None;
    }
    let n = pairs.len();
    let (mut tp, mut fp, mut fn_, mut tn) = (0usize, 0usize, 0usize, 0usize);
    for &(e, r) in pairs {
        match (e, r) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fn_ += 1,
            (false, false) => tn += 1,
        }
    }
    let nf = n as f64;
    let po = (tp + tn) as f64 / nf;
    let p1 = (tp + fp) as f64 / nf;
    let p2 = (tp + fn_) as f64 / nf;
    let pe = p1 * p2 + (1.0 - p1) * (1.0 - p2);
    let kappa = (1.0 - pe > 1e-12).then(|| (po - pe) / (1.0 - pe));
    let f1_met = ratio(2 * tp, 2 * tp + fp + fn_);
    let f1_not_met = ratio(2 * tn, 2 * tn + fp + fn_);
    Some(Agreement {
        items,
        pairs: n,
        agreement: po,
        kappa,
        met_rate: p1,
        reference_met_rate: p2,
        bias: p1 - p2,
        precision_met: ratio(tp, tp + fp),
        recall_met: ratio(tp, tp + fn_),
        f1_met,
        precision_not_met: ratio(tn, tn + fn_),
        recall_not_met: ratio(tn, tn + fp),
        f1_not_met,
        balanced_f1: match (f1_met, f1_not_met) {
            (Some(a), Some(b)) => Some((a + b) / 2.0),
            _ => None,
        },
    })
}

/// One human rater against the others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RaterAgreement {
    /// 1-based: the position of this rater's label in `labels`.
    pub rater: usize,
    #[serde(flatten)]
    /// Its figures against the other raters' labels.
    pub agreement: Agreement,
}

/// Calibration figures for one group of items (overall, or one language).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupCalibration {
    /// Labelled items in the group.
    pub items: usize,
    /// Items the judge could not decide (a `null` verdict); left out of the judge's figures.
    pub undecided: usize,
    /// The judge against every rater label.
    pub judge: Option<Agreement>,
    /// Each rater against the other raters (items with at least two labels).
    pub raters: Vec<RaterAgreement>,
    /// All raters together, each against the others: human agreement to set the judge beside.
    pub raters_pooled: Option<Agreement>,
}

/// A whole calibration: `calibration.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// The version that computed this.
    pub kasauti_version: String,
    /// The labels file.
    pub labels: String,
    /// Where the judge's verdicts came from.
    pub judge: String,
    /// The most labels any item has.
    pub raters: usize,
    /// Every item.
    pub overall: GroupCalibration,
    /// Items per language (from the question set).
    pub by_language: BTreeMap<String, GroupCalibration>,
    /// For a jury (or a judge asked several times), the same figures for each juror's own
    /// verdicts (the majority of its samples).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jurors: Vec<Calibration>,
}

/// Figures of one group from items and the judge's verdicts (same order).
pub fn group(items: &[&LabelledItem], verdicts: &[Option<bool>]) -> GroupCalibration {
    let mut judge_pairs = Vec::new();
    let mut judged_items = 0;
    let mut undecided = 0;
    for (it, v) in items.iter().zip(verdicts) {
        match v {
            Some(v) => {
                judged_items += 1;
                judge_pairs.extend(it.labels.iter().map(|l| (*v, *l)));
            }
            None => undecided += 1,
        }
    }
    let max_raters = items.iter().map(|i| i.labels.len()).max().unwrap_or(0);
    let mut raters = Vec::new();
    let mut pooled = Vec::new();
    let mut pooled_items = 0;
    for r in 0..max_raters {
        let mut pairs = Vec::new();
        let mut n = 0;
        for it in items {
            if it.labels.len() < 2 || it.labels.len() <= r {
                continue;
            }
            n += 1;
            for (j, other) in it.labels.iter().enumerate() {
                if j != r {
                    pairs.push((it.labels[r], *other));
                }
            }
        }
        if let Some(a) = agreement(&pairs, n) {
            raters.push(RaterAgreement {
                rater: r + 1,
                agreement: a,
            });
        }
        pooled.extend(pairs);
    }
    for it in items {
        if it.labels.len() >= 2 {
            pooled_items += 1;
        }
    }
    GroupCalibration {
        items: items.len(),
        undecided,
        judge: agreement(&judge_pairs, judged_items),
        raters,
        raters_pooled: agreement(&pooled, pooled_items),
    }
}

/// Calibration overall and per language.
pub fn calibrate(
    items: &[LabelledItem],
    verdicts: &[Option<bool>],
    labels: &str,
    judge: &str,
) -> Calibration {
    let all: Vec<&LabelledItem> = items.iter().collect();
    let overall = group(&all, verdicts);
    let mut by: BTreeMap<String, (Vec<&LabelledItem>, Vec<Option<bool>>)> = BTreeMap::new();
    for (it, v) in items.iter().zip(verdicts) {
        let e = by.entry(it.language.clone()).or_default();
        e.0.push(it);
        e.1.push(*v);
    }
    Calibration {
        kasauti_version: env!("CARGO_PKG_VERSION").to_string(),
        labels: labels.to_string(),
        judge: judge.to_string(),
        raters: items.iter().map(|i| i.labels.len()).max().unwrap_or(0),
        overall,
        by_language: by
            .into_iter()
            .map(|(l, (its, vs))| (l, group(&its, &vs)))
            .collect(),
        jurors: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_and_opposite_agreement() {
        let a = agreement(&[(true, true), (false, false)], 2).unwrap();
        assert_eq!(
            (a.agreement, a.kappa, a.balanced_f1),
            (1.0, Some(1.0), Some(1.0))
        );
        let a = agreement(&[(true, false), (false, true)], 2).unwrap();
        assert_eq!(
            (a.agreement, a.kappa, a.balanced_f1),
            (0.0, Some(-1.0), Some(0.0))
        );
        // Both sides always `met`: chance agreement is 1 and kappa is undefined.
        let a = agreement(&[(true, true), (true, true)], 2).unwrap();
        assert_eq!(a.kappa, None);
        assert_eq!(a.f1_not_met, None);
    }
}
