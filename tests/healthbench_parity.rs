//! HealthBench parity: real HealthBench Hard rows, graded from recorded verdicts, must give the
//! per-answer scores and the flat metrics that simple-evals' formulas give. Every expected value
//! here is computed in this file from the raw rows, not by the library.

mod common;

use std::collections::{BTreeMap, HashMap};

use common::*;
use serde_json::Value;

/// A deterministic, irregular met/not-met pattern (a small LCG over row, criterion and sample).
fn met(row: usize, crit: usize, sample: u32) -> bool {
    let x = (row as u64 * 2_654_435_761 + crit as u64 * 40_503 + sample as u64 * 97 + 12_345)
        % 1_000_003;
    x % 7 < 3
}

fn clip(x: f64) -> f64 {
    x.clamp(0.0, 1.0)
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn pop_std(v: &[f64]) -> f64 {
    let m = mean(v);
    (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len() as f64).sqrt()
}

#[test]
fn healthbench_rows_score_like_simple_evals() {
    let src = test_data("healthbench/hard-sample.jsonl");
    let rows: Vec<Value> = read_jsonl(&src);
    assert_eq!(rows.len(), 33);
    let dir = tempfile::tempdir().unwrap();

    // Two samples per row (simple-evals' n_repeats): separate answers.
    let mut verdicts = String::new();
    for (ri, row) in rows.iter().enumerate() {
        let id = row["prompt_id"].as_str().unwrap();
        for (ci, _) in row["rubrics"].as_array().unwrap().iter().enumerate() {
            for sample in 0..2u32 {
                verdicts.push_str(
                    &serde_json::json!({"question_id": id, "model": "m", "sample": sample,
                        "criterion_id": format!("c{}", ci + 1), "met": met(ri, ci, sample)})
                    .to_string(),
                );
                verdicts.push('\n');
            }
        }
    }
    let vpath = dir.path().join("verdicts.jsonl");
    std::fs::write(&vpath, verdicts).unwrap();
    let out = dir.path().join("run");
    let o = kasauti(
        dir.path(),
        &[
            "grade",
            "--questions",
            src.to_str().unwrap(),
            "--verdicts",
            vpath.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    // Expected, from the raw rows.
    let mut overall = Vec::new();
    let mut tags: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut expected_scores: HashMap<(String, u32), (f64, f64, f64)> = HashMap::new();
    for (ri, row) in rows.iter().enumerate() {
        let id = row["prompt_id"].as_str().unwrap().to_string();
        let rubric = row["rubrics"].as_array().unwrap();
        for sample in 0..2u32 {
            let possible: f64 = rubric
                .iter()
                .map(|c| c["points"].as_f64().unwrap())
                .filter(|p| *p > 0.0)
                .sum();
            let earned: f64 = rubric
                .iter()
                .enumerate()
                .filter(|(ci, _)| met(ri, *ci, sample))
                .map(|(_, c)| c["points"].as_f64().unwrap())
                .sum();
            let score = earned / possible;
            overall.push(score);
            expected_scores.insert((id.clone(), sample), (score, earned, possible));
            for t in row["example_tags"].as_array().unwrap() {
                tags.entry(t.as_str().unwrap().to_string())
                    .or_default()
                    .push(score);
            }
            // Rubric tags: the score over that tag's criteria only; skipped with no positive points.
            let mut by_tag: BTreeMap<String, (f64, f64)> = BTreeMap::new();
            for (ci, c) in rubric.iter().enumerate() {
                let p = c["points"].as_f64().unwrap();
                for t in c["tags"].as_array().unwrap() {
                    let e = by_tag.entry(t.as_str().unwrap().to_string()).or_default();
                    if p > 0.0 {
                        e.1 += p;
                    }
                    if met(ri, ci, sample) {
                        e.0 += p;
                    }
                }
            }
            for (t, (e, p)) in by_tag {
                if p > 0.0 {
                    tags.entry(t).or_default().push(e / p);
                }
            }
        }
    }

    // Per-answer scores, unclipped.
    let grades = read_jsonl(&out.join("grades.jsonl"));
    assert_eq!(grades.len(), 66);
    let mut saw_negative_or_partial = false;
    for g in &grades {
        let key = (
            g["question_id"].as_str().unwrap().to_string(),
            g["sample"].as_u64().unwrap() as u32,
        );
        let (score, earned, possible) = expected_scores[&key];
        assert!(
            close(g["score"].as_f64().unwrap(), score),
            "{key:?}: {} vs {score}",
            g["score"]
        );
        assert!(close(g["points_earned"].as_f64().unwrap(), earned));
        assert!(close(g["points_possible"].as_f64().unwrap(), possible));
        assert_eq!(g["complete"], Value::Bool(true));
        saw_negative_or_partial |= score < 0.0 || score < 1.0;
    }
    assert!(saw_negative_or_partial);
    assert!(
        overall.iter().any(|s| *s < 0.0),
        "the verdict pattern should produce some negative answer scores"
    );

    // The flat metrics object with simple-evals' key names.
    let report = read_json(&out.join("report.json"));
    let metrics = &report["models"]["m"]["metrics"];
    assert!(metrics.is_object(), "HealthBench sets carry flat metrics");
    let expect_score = clip(mean(&overall));
    assert!(close(metrics["score"].as_f64().unwrap(), expect_score));
    assert_eq!(metrics["score:n_samples"].as_f64().unwrap(), 66.0);
    assert!(close(
        metrics["overall_score"].as_f64().unwrap(),
        expect_score
    ));
    for (t, v) in &tags {
        let got = metrics[t]
            .as_f64()
            .unwrap_or_else(|| panic!("metric {t} missing"));
        assert!(close(got, clip(mean(v))), "{t}: {got} vs {}", clip(mean(v)));
        assert_eq!(
            metrics[format!("{t}:n_samples")].as_f64().unwrap(),
            v.len() as f64,
            "{t}"
        );
    }
    // Bootstrap std: for a mean away from the clip bounds it estimates the standard error,
    // population std / sqrt(n).
    let se = pop_std(&overall) / (overall.len() as f64).sqrt();
    let got = metrics["score:bootstrap_std"].as_f64().unwrap();
    assert!(
        got > 0.75 * se && got < 1.25 * se,
        "bootstrap std {got} vs standard error {se}"
    );
    for t in [
        "axis:accuracy",
        "axis:completeness",
        "level:example",
        "theme:global_health",
    ] {
        let v = &tags[t];
        let se = pop_std(v) / (v.len() as f64).sqrt();
        let got = metrics[format!("{t}:bootstrap_std")].as_f64().unwrap();
        assert!(
            got > 0.7 * se && got < 1.3 * se,
            "{t}: bootstrap std {got} vs standard error {se}"
        );
    }
    // The structured groups agree with the flat metrics.
    let m = &report["models"]["m"];
    assert!(close(m["overall"]["score"].as_f64().unwrap(), expect_score));
    assert!(close(
        m["by_criterion_tag"]["axis:accuracy"]["score"]
            .as_f64()
            .unwrap(),
        clip(mean(&tags["axis:accuracy"]))
    ));
    assert!(close(
        m["by_tag"]["theme:hedging"]["score"].as_f64().unwrap(),
        clip(mean(&tags["theme:hedging"]))
    ));
    let ci = m["overall"]["ci95"].as_array().unwrap();
    assert!(ci[0].as_f64().unwrap() < expect_score && expect_score < ci[1].as_f64().unwrap());

    // A rerun gives byte-identical statistics (seeded bootstrap).
    let out2 = dir.path().join("run2");
    let o = kasauti(
        dir.path(),
        &[
            "grade",
            "--questions",
            src.to_str().unwrap(),
            "--verdicts",
            vpath.to_str().unwrap(),
            "--out",
            out2.to_str().unwrap(),
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        std::fs::read(out.join("report.json")).unwrap(),
        std::fs::read(out2.join("report.json")).unwrap()
    );
}

#[test]
fn recorded_verdict_problems_name_file_and_line() {
    let src = test_data("healthbench/hard-sample.jsonl");
    let rows: Vec<Value> = read_jsonl(&src);
    let dir = tempfile::tempdir().unwrap();
    let id = rows[0]["prompt_id"].as_str().unwrap();
    let n = rows[0]["rubrics"].as_array().unwrap().len();
    let mut lines: Vec<String> = (1..=n)
        .map(|i| {
            format!(
                r#"{{"question_id": "{id}", "model": "m", "criterion_id": "c{i}", "met": true}}"#
            )
        })
        .collect();
    lines.push(format!(
        r#"{{"question_id": "{id}", "model": "m", "criterion_id": "c1", "met": false}}"#
    )); // duplicate
    lines.push(format!(
        r#"{{"question_id": "{id}", "model": "m", "criterion_id": "c999", "met": false}}"#
    )); // unknown criterion
    lines.push(
        r#"{"question_id": "nope", "model": "m", "criterion_id": "c1", "met": true}"#.to_string(),
    ); // unknown question
    lines.push(format!(
        r#"{{"question_id": "{id}", "model": "m", "criterion_id": "c2", "met": "yes"}}"#
    )); // wrong type
    let second = rows[1]["prompt_id"].as_str().unwrap();
    lines.push(format!(
        r#"{{"question_id": "{second}", "model": "m", "criterion_id": "c1", "met": true}}"#
    )); // missing the rest
    let vpath = dir.path().join("v.jsonl");
    std::fs::write(&vpath, lines.join("\n")).unwrap();
    let o = kasauti(
        dir.path(),
        &[
            "grade",
            "--questions",
            src.to_str().unwrap(),
            "--verdicts",
            "v.jsonl",
            "--out",
            "run",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    let v = "v.jsonl";
    assert!(
        err.contains(&format!(
            "{v}:{}: field `criterion_id`: duplicate verdict",
            n + 1
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("{v}:{}: field `criterion_id`", n + 2)),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{v}:{}: field `question_id`: verdict for unknown question",
            n + 3
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("{v}:{}: field `met`", n + 4)),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{v}:{}: field `criterion_id`: missing verdicts",
            n + 5
        )),
        "{err}"
    );
    assert!(!err.contains("panicked"));
}
