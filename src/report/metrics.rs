//! Figures derived from a model's report: simple-evals' flat HealthBench metrics and the
//! criteria answers most often miss.

use std::collections::{BTreeMap, HashMap};

use super::model::{Missed, ModelReport};
use crate::dataset::Dataset;
use crate::stats::GroupStats;

/// simple-evals' flat metrics: `score` and `overall_score` for the whole set, each example tag
/// (the answer's score) and each rubric tag (the tag's criteria only), each with
/// `:n_samples` and `:bootstrap_std`.
/// With several samples per question, `answer_std` holds each group's bootstrap std over
/// answers (by tag name, "" for overall), as simple-evals computes it, where the groups' own
/// intervals resample questions.
pub(super) fn healthbench_metrics(
    r: &ModelReport,
    answer_std: &HashMap<String, f64>,
) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    let mut put = |name: &str, key: &str, g: &GroupStats| {
        out.insert(name.to_string(), g.score);
        out.insert(format!("{name}:n_samples"), g.n as f64);
        let std = answer_std.get(key).copied().unwrap_or(g.bootstrap_std);
        out.insert(format!("{name}:bootstrap_std"), std);
    };
    if let Some(o) = &r.overall {
        put("score", "", o);
        put("overall_score", "", o);
    }
    for (k, g) in r.by_tag.iter().chain(r.by_criterion_tag.iter()) {
        put(k, k, g);
    }
    out
}

/// Per language, the `keep` criteria that lose the most points, worst first.
pub(super) fn most_missed(
    ds: &Dataset,
    offsets: &[usize],
    miss: &[(u32, u32)],
    keep: usize,
) -> BTreeMap<String, Vec<Missed>> {
    let mut by_lang: BTreeMap<String, Vec<Missed>> = BTreeMap::new();
    for (qi, q) in ds.questions.iter().enumerate() {
        for (ci, c) in q.rubric.iter().enumerate() {
            let (judged, missed) = miss[offsets[qi] + ci];
            if missed == 0 {
                continue;
            }
            by_lang.entry(q.language.clone()).or_default().push(Missed {
                question_id: q.id.clone(),
                criterion_id: c.id.clone(),
                criterion: c.text.clone(),
                points: c.points,
                judged: judged as usize,
                missed: missed as usize,
            });
        }
    }
    for list in by_lang.values_mut() {
        // Worst first: the most points lost, then the highest miss rate, then by id for stability.
        list.sort_by(|a, b| {
            let la = a.points.abs() * a.missed as f64 / a.judged as f64;
            let lb = b.points.abs() * b.missed as f64 / b.judged as f64;
            lb.total_cmp(&la)
                .then_with(|| a.question_id.cmp(&b.question_id))
                .then_with(|| a.criterion_id.cmp(&b.criterion_id))
        });
        list.truncate(keep);
    }
    by_lang
}
