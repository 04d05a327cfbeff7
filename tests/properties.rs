//! Property tests of scoring and aggregation invariants.

use kasauti::dataset::load::load_from_bytes;
use kasauti::dataset::Dataset;
use kasauti::grade::{grade, Records};
use kasauti::judge::{Source, Verdict};
use kasauti::report::{build, ReportOptions};
use proptest::prelude::*;

/// A dataset of `n` questions over a few languages and domains, with the given rubric points.
fn dataset(rubrics: &[Vec<i32>]) -> Dataset {
    let langs = [("hi", "प्रश्न"), ("ta", "கேள்வி"), ("en", "question")];
    let domains = ["history", "food_and_cuisine"];
    let mut lines = String::new();
    for (i, pts) in rubrics.iter().enumerate() {
        let (l, p) = langs[i % langs.len()];
        let criteria: Vec<serde_json::Value> = pts
            .iter()
            .enumerate()
            .map(|(j, p)| serde_json::json!({"criterion": format!("c{j}"), "points": p, "tags": [format!("axis:a{}", j % 2)]}))
            .collect();
        lines.push_str(
            &serde_json::json!({"id": format!("q{i}"), "language": l, "domain": domains[i % 2], "prompt": p,
                "tags": [format!("t{}", i % 3)], "rubric": criteria})
            .to_string(),
        );
        lines.push('\n');
    }
    let loaded = load_from_bytes(vec![("q.jsonl".into(), lines.into_bytes())], vec![]);
    assert_eq!(loaded.errors(), 0, "{:?}", loaded.diagnostics);
    loaded.dataset
}

/// Rubrics with at least one positive criterion.
fn rubrics() -> impl Strategy<Value = Vec<Vec<i32>>> {
    prop::collection::vec(
        (
            1..=10i32,
            prop::collection::vec(prop_oneof![1..=10i32, -10..=-1i32], 0..6),
        )
            .prop_map(|(first, mut rest)| {
                rest.insert(0, first);
                rest
            }),
        1..12,
    )
}

/// Answers: (model, question, sample, met pattern seed).
fn records(ds: &Dataset, answers: &[(u8, usize, u8, u64)]) -> Records {
    let mut r = Records::default();
    let mut seen = std::collections::HashSet::new();
    for &(m, qi, s, bits) in answers {
        let qi = qi % ds.len();
        if !seen.insert((m, qi, s)) {
            continue;
        }
        let q = &ds.questions[qi];
        let verdicts: Vec<Verdict> = (0..q.rubric.len())
            .map(|j| Verdict {
                met: Some(bits >> j & 1 == 1),
                source: Source::Verdicts,
                explanation: None,
                error: None,
            })
            .collect();
        let g = grade(q, &format!("m{m}"), s as u32, verdicts);
        let mid = r.model_id(&g.model);
        r.push_grade(mid, qi as u32, &g);
    }
    r
}

fn report_json(ds: &Dataset, r: &Records, zero: bool) -> String {
    serde_json::to_string(&build(
        ds,
        r,
        &ReportOptions {
            missing_zero: zero,
            most_missed: 5,
            ..Default::default()
        },
    ))
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn answer_order_does_not_change_any_aggregate(
        rubrics in rubrics(),
        answers in prop::collection::vec((0..3u8, 0..100usize, 0..2u8, any::<u64>()), 1..60),
        seed in any::<u64>(),
    ) {
        let ds = dataset(&rubrics);
        let a = records(&ds, &answers);
        let mut shuffled = answers.clone();
        // A seeded Fisher-Yates shuffle.
        let mut x = seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        // Keep the same set of answers: dedupe by key on the original first occurrence.
        let mut first = std::collections::HashMap::new();
        for (i, &(m, q, s, _)) in answers.iter().enumerate() {
            first.entry((m, q % ds.len(), s)).or_insert(i);
        }
        let shuffled: Vec<_> = shuffled.into_iter().filter(|&(m, q, s, b)| answers[first[&(m, q % ds.len(), s)]].3 == b).collect();
        let b = records(&ds, &shuffled);
        prop_assert_eq!(report_json(&ds, &a, false), report_json(&ds, &b, false));
        prop_assert_eq!(report_json(&ds, &a, true), report_json(&ds, &b, true));
    }

    #[test]
    fn all_met_scores_one_and_means_stay_in_bounds(
        rubrics in rubrics(),
        answers in prop::collection::vec((0..2u8, 0..100usize, 0..3u8, any::<u64>()), 1..60),
    ) {
        let ds = dataset(&rubrics);
        // All positive met, no negative met: exactly 1.
        for q in &ds.questions {
            let verdicts: Vec<Verdict> = q.rubric.iter()
                .map(|c| Verdict { met: Some(c.points > 0.0), source: Source::Rule, explanation: None, error: None })
                .collect();
            prop_assert_eq!(grade(q, "m", 0, verdicts).score, Some(1.0));
        }
        let r = records(&ds, &answers);
        let rep = build(&ds, &r, &ReportOptions::default());
        for m in rep.models.values() {
            let groups = m.overall.iter()
                .chain(m.macro_language.iter())
                .chain(m.by_language.values())
                .chain(m.by_domain.values())
                .chain(m.by_tag.values())
                .chain(m.by_criterion_tag.values())
                .chain(m.by_language_domain.values().flat_map(|d| d.values()));
            for g in groups {
                prop_assert!((0.0..=1.0).contains(&g.score), "score {}", g.score);
                prop_assert!(0.0 <= g.ci95[0] && g.ci95[0] <= g.ci95[1] && g.ci95[1] <= 1.0);
                prop_assert!(g.bootstrap_std >= 0.0 && g.bootstrap_std <= 0.5);
            }
        }
    }

    #[test]
    fn seeded_bootstrap_is_reproducible(
        rubrics in rubrics(),
        answers in prop::collection::vec((0..2u8, 0..100usize, 0..2u8, any::<u64>()), 1..40),
    ) {
        let ds = dataset(&rubrics);
        let r = records(&ds, &answers);
        prop_assert_eq!(report_json(&ds, &r, false), report_json(&ds, &r, false));
    }

    #[test]
    fn answer_scores_follow_the_formula(points in prop::collection::vec(prop_oneof![1..=10i32, -10..=-1i32], 1..10), bits in any::<u64>()) {
        let mut points = points;
        points[0] = points[0].abs();
        let ds = dataset(&[points.clone()]);
        let q = &ds.questions[0];
        let verdicts: Vec<Verdict> = (0..points.len())
            .map(|j| Verdict { met: Some(bits >> j & 1 == 1), source: Source::Verdicts, explanation: None, error: None })
            .collect();
        let g = grade(q, "m", 0, verdicts);
        let possible: i32 = points.iter().filter(|p| **p > 0).sum();
        let earned: i32 = points.iter().enumerate().filter(|(j, _)| bits >> j & 1 == 1).map(|(_, p)| *p).sum();
        prop_assert_eq!(g.score, Some(earned as f64 / possible as f64));
    }
}
