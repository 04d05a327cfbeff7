//! The groups a report's statistics are kept in: interned keys per question, the questions'
//! clusters (for answers with several samples) and the human scores matched to answers.

use std::collections::{BTreeMap, HashMap};

use super::model::LabelScores;
use crate::dataset::Dataset;
use crate::grade::Records;

/// The kinds of group a report has statistics for.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Family {
    Overall,
    Language,
    Domain,
    LanguageDomain,
    Tag,
    CriterionTag,
}

/// Interned group keys per question, so the hot loop pushes into vectors by index.
pub(super) struct Keys {
    pub(super) names: Vec<(Family, String)>,
    pub(super) index: HashMap<(Family, String), usize>,
    /// Per question: its overall, language, domain, language×domain and tag groups.
    pub(super) question_groups: Vec<Vec<usize>>,
    /// Per question: (criterion-tag group, criterion indices with that tag).
    pub(super) question_ctags: Vec<Vec<(usize, Vec<usize>)>>,
}

impl Keys {
    fn intern(&mut self, f: Family, k: String) -> usize {
        if let Some(&i) = self.index.get(&(f, k.clone())) {
            return i;
        }
        self.names.push((f, k.clone()));
        self.index.insert((f, k), self.names.len() - 1);
        self.names.len() - 1
    }

    pub(super) fn new(ds: &Dataset) -> Keys {
        let mut keys = Keys {
            names: Vec::new(),
            index: HashMap::new(),
            question_groups: Vec::new(),
            question_ctags: Vec::new(),
        };
        for q in &ds.questions {
            let mut g = vec![
                keys.intern(Family::Overall, String::new()),
                keys.intern(Family::Language, q.language.clone()),
                keys.intern(Family::Domain, q.domain.clone()),
                keys.intern(
                    Family::LanguageDomain,
                    format!("{}\u{1f}{}", q.language, q.domain),
                ),
            ];
            let mut tags = q.tags.clone();
            tags.sort();
            tags.dedup();
            for t in tags {
                g.push(keys.intern(Family::Tag, t));
            }
            keys.question_groups.push(g);
            let mut by_tag: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
            for (ci, c) in q.rubric.iter().enumerate() {
                let mut seen: Vec<&str> = Vec::new();
                for t in &c.tags {
                    if !seen.contains(&t.as_str()) {
                        seen.push(t);
                        by_tag.entry(t).or_default().push(ci);
                    }
                }
            }
            let ct = by_tag
                .into_iter()
                .map(|(t, cis)| (keys.intern(Family::CriterionTag, t.to_string()), cis))
                .collect();
            keys.question_ctags.push(ct);
        }
        keys
    }
}

/// Per model, whether some question has several graded (or failed) answers.
pub(super) fn several_samples(records: &Records, nmodels: usize, nquestions: usize) -> Vec<bool> {
    let mut seen = vec![vec![false; nquestions]; nmodels];
    let mut out = vec![false; nmodels];
    for it in &records.items {
        let (m, q) = (it.model as usize, it.question as usize);
        if std::mem::replace(&mut seen[m][q], true) {
            out[m] = true;
        }
    }
    out
}

/// Records one zero value's question in every group a missing-zero push touched.
pub(super) fn push_cluster(clusters: &mut [Vec<u32>], keys: &Keys, question: usize, rank: &[u32]) {
    for &g in &keys.question_groups[question] {
        clusters[g].push(rank[question]);
    }
    for (g, _) in &keys.question_ctags[question] {
        clusters[*g].push(rank[question]);
    }
}

/// The human scores of answers in the records, by (model index, question index, sample).
pub(super) fn human_by_index(
    ds: &Dataset,
    records: &Records,
    l: &LabelScores,
) -> HashMap<(u32, u32, u32), f64> {
    let models: HashMap<&str, u32> = records
        .models
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_str(), i as u32))
        .collect();
    l.scores
        .iter()
        .filter_map(|((m, q, s), y)| Some(((*models.get(m.as_str())?, ds.position(q)?, *s), *y)))
        .collect()
}

/// Each question's rank by id: its cluster, so merged runs whose question sets come in another
/// order draw the same resamples.
pub(super) fn question_ranks(ds: &Dataset) -> Vec<u32> {
    let mut order: Vec<usize> = (0..ds.len()).collect();
    order.sort_by(|&a, &b| ds.questions[a].id.cmp(&ds.questions[b].id));
    let mut rank = vec![0u32; ds.len()];
    for (r, &q) in order.iter().enumerate() {
        rank[q] = r as u32;
    }
    rank
}
