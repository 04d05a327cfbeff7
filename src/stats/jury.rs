//! How far the judge models can be trusted, from the votes kept in grade lines (SPEC §4d): per
//! language, the share of split jury decisions, each juror's agreement with the jury, and the
//! flip rate of repeated verdicts; the judge calls a gated judge saved; and the models that
//! judged their own answers.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::grade::Grade;
use crate::judge::{Source, VoteRule};

/// A count and the share it is of a total.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Share {
    /// How many of `of` have the property.
    pub count: u64,
    pub of: u64,
    /// `count / of`; `None` when `of` is 0.
    pub rate: Option<f64>,
}

impl Share {
    fn add(&mut self, hit: bool) {
        self.of += 1;
        self.count += u64::from(hit);
    }

    fn finish(&mut self) {
        self.rate = (self.of > 0).then(|| self.count as f64 / self.of as f64);
    }
}

/// The figures of one group of grades (a language, or all of them).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JuryGroup {
    /// Jury decisions (criteria decided by two or more jurors) whose jurors did not all agree.
    pub split: Share,
    /// Per juror: of the criteria both it and the jury decided, how many it decided as the
    /// jury did.
    pub agreement: BTreeMap<String, Share>,
    /// Of each juror's repeated verdicts on a criterion (two or more decided), how many
    /// disagreed among themselves.
    pub flips: Share,
}

impl JuryGroup {
    fn finish(&mut self) {
        self.split.finish();
        self.flips.finish();
        for a in self.agreement.values_mut() {
            a.finish();
        }
    }
}

/// What the judge models did in a run (`report.json`'s `judging`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Judging {
    /// Every judge model that decided a verdict.
    pub judges: Vec<String>,
    /// Models under test that were judged by a judge model of the same name.
    pub self_judging: Vec<String>,
    /// Judge calls a gated judge did not make, per model under test.
    pub calls_saved: BTreeMap<String, u64>,
    /// Judge replies (unusable ones included), per model under test.
    pub judge_replies: BTreeMap<String, u64>,
    /// Split decisions, agreement and flips over every language.
    pub overall: JuryGroup,
    pub by_language: BTreeMap<String, JuryGroup>,
}

impl Judging {
    /// Adds one grade line.
    pub fn observe(&mut self, g: &Grade) {
        let mut judges: BTreeSet<&str> = BTreeSet::new();
        if let Some(u) = &g.judge_usage {
            *self.calls_saved.entry(g.model.clone()).or_default() += u.calls_saved;
            *self.judge_replies.entry(g.model.clone()).or_default() += u.replies;
        }
        for c in &g.criteria {
            if let Source::Judge(m) = &c.source {
                judges.insert(m);
            }
            for v in &c.votes {
                judges.insert(&v.judge);
            }
            if c.votes.is_empty() {
                continue;
            }
            // Each juror's verdict is the majority of its samples.
            let mut by_juror: BTreeMap<&str, Vec<Option<bool>>> = BTreeMap::new();
            for v in &c.votes {
                by_juror.entry(&v.judge).or_default().push(v.met);
            }
            let lang = self.by_language.entry(g.language.clone()).or_default();
            for group in [&mut self.overall, lang] {
                for samples in by_juror.values() {
                    let decided: Vec<bool> = samples.iter().flatten().copied().collect();
                    if decided.len() >= 2 {
                        group.flips.add(decided.iter().any(|&m| m != decided[0]));
                    }
                }
                if by_juror.len() < 2 {
                    continue;
                }
                let verdicts: Vec<(&str, Option<bool>)> = by_juror
                    .iter()
                    .map(|(j, s)| (*j, VoteRule::Majority.decide(s)))
                    .collect();
                if let Some(jury) = c.met {
                    let decided: Vec<bool> = verdicts.iter().filter_map(|v| v.1).collect();
                    group.split.add(decided.iter().any(|&m| m != decided[0]));
                    for (j, m) in &verdicts {
                        if let Some(m) = m {
                            group
                                .agreement
                                .entry(j.to_string())
                                .or_default()
                                .add(*m == jury);
                        }
                    }
                }
            }
        }
        if judges.contains(g.model.as_str()) && !self.self_judging.contains(&g.model) {
            self.self_judging.push(g.model.clone());
        }
        for j in judges {
            if !self.judges.iter().any(|k| k == j) {
                self.judges.push(j.to_string());
            }
        }
    }

    /// Computes the rates, and says whether there is anything worth reporting: votes, calls
    /// saved or self-judging (a single judge model asked once has none of them).
    pub fn finish(mut self) -> Option<Judging> {
        self.overall.finish();
        for g in self.by_language.values_mut() {
            g.finish();
        }
        self.judges.sort();
        self.self_judging.sort();
        let voted = self.overall.split.of > 0
            || self.overall.flips.of > 0
            || !self.overall.agreement.is_empty();
        let saved = self.calls_saved.values().any(|&n| n > 0);
        (voted || saved || !self.self_judging.is_empty()).then_some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grade::CriterionGrade;
    use crate::judge::{JudgeUsage, Vote};

    fn vote(judge: &str, sample: Option<u32>, met: Option<bool>) -> Vote {
        Vote {
            judge: judge.into(),
            sample,
            met,
            explanation: None,
            error: None,
        }
    }

    fn line(model: &str, lang: &str, criteria: Vec<(Option<bool>, Vec<Vote>)>) -> Grade {
        Grade {
            model: model.into(),
            question_id: "q".into(),
            sample: 0,
            language: lang.into(),
            domain: "d".into(),
            score: None,
            points_earned: 0.0,
            points_possible: 0.0,
            complete: true,
            answer_script: None,
            in_language: None,
            criteria: criteria
                .into_iter()
                .enumerate()
                .map(|(i, (met, votes))| CriterionGrade {
                    id: format!("c{i}"),
                    points: 1.0,
                    met,
                    source: Source::Jury,
                    explanation: None,
                    error: None,
                    votes,
                })
                .collect(),
            judge_usage: Some(JudgeUsage {
                replies: 3,
                calls_saved: 2,
                ..JudgeUsage::default()
            }),
        }
    }

    #[test]
    fn splits_agreement_and_flips_by_hand() {
        let (t, f) = (Some(true), Some(false));
        let mut j = Judging::default();
        // Hindi: one unanimous criterion, one split 2-1 (c disagrees), one where b failed.
        j.observe(&line(
            "m",
            "hi",
            vec![
                (
                    t,
                    vec![vote("a", None, t), vote("b", None, t), vote("c", None, t)],
                ),
                (
                    t,
                    vec![vote("a", None, t), vote("b", None, t), vote("c", None, f)],
                ),
                (
                    f,
                    vec![
                        vote("a", None, f),
                        vote("b", None, None),
                        vote("c", None, f),
                    ],
                ),
            ],
        ));
        // Bengali: one juror asked three times, flipping once; another criterion steady.
        j.observe(&line(
            "b",
            "bn",
            vec![
                (
                    t,
                    vec![
                        vote("b", Some(0), t),
                        vote("b", Some(1), f),
                        vote("b", Some(2), t),
                    ],
                ),
                (f, vec![vote("b", Some(0), f), vote("b", Some(1), f)]),
            ],
        ));
        let j = j.finish().unwrap();
        let hi = &j.by_language["hi"];
        assert_eq!((hi.split.count, hi.split.of), (1, 3));
        assert_eq!((hi.agreement["a"].count, hi.agreement["a"].of), (3, 3));
        assert_eq!((hi.agreement["b"].count, hi.agreement["b"].of), (2, 2));
        assert_eq!((hi.agreement["c"].count, hi.agreement["c"].of), (2, 3));
        assert_eq!(hi.flips.of, 0);
        let bn = &j.by_language["bn"];
        assert_eq!((bn.flips.count, bn.flips.of), (1, 2));
        assert_eq!(bn.flips.rate, Some(0.5));
        assert_eq!(bn.split.of, 0, "one juror makes no jury");
        // Model `b` was judged by juror `b`: self-judging.
        assert_eq!(j.self_judging, vec!["b".to_string()]);
        assert_eq!(j.calls_saved["m"], 2);
        assert_eq!(j.judges, vec!["a", "b", "c"]);
    }
}
