//! Intervals clustered by question (SPEC §4e): with several samples per question, report.json
//! gives `se_clustered` and the bootstrap resamples questions; with one sample per question,
//! nothing changes.

mod common;

use common::{kasauti, read_json, stderr, write};
use serde_json::json;

/// 30 Hindi questions of two 5-point criteria; question i's verdicts are the same in each of
/// `samples` samples: c1 met when i is even, c2 met when i % 3 == 0.
fn setup(dir: &std::path::Path, samples: u32) -> (String, String) {
    let (mut q, mut v) = (String::new(), String::new());
    for i in 0..30 {
        let id = format!("hi-{i:02}");
        let line = json!({"id": id, "language": "hi", "domain": "history",
            "prompt": format!("प्रश्न {i}"),
            "rubric": [{"id": "c1", "criterion": "First", "points": 5},
                       {"id": "c2", "criterion": "Second", "points": 5}]});
        q.push_str(&format!("{line}\n"));
        for s in 0..samples {
            for (c, met) in [("c1", i % 2 == 0), ("c2", i % 3 == 0)] {
                let line = json!({"question_id": id, "model": "m", "sample": s,
                    "criterion_id": c, "met": met});
                v.push_str(&format!("{line}\n"));
            }
        }
    }
    write(&dir.join("q.jsonl"), &q);
    write(&dir.join("v.jsonl"), &v);
    ("q.jsonl".into(), "v.jsonl".into())
}

/// Grades the set with `samples` samples per question; returns report.json.
fn graded(samples: u32) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let (q, v) = setup(dir.path(), samples);
    let out = kasauti(
        dir.path(),
        &[
            "grade",
            "--questions",
            &q,
            "--verdicts",
            &v,
            "--out",
            "run",
            "--format",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    read_json(&dir.path().join("run/report.json"))
}

fn question_score(i: usize) -> f64 {
    ((i % 2 == 0) as u8 + (i % 3 == 0) as u8) as f64 / 2.0
}

#[test]
fn samples_of_one_question_are_one_cluster() {
    let rep = graded(4);
    let overall = &rep["models"]["m"]["overall"];
    assert_eq!(overall["n"], json!(120));
    // Sandwich estimate by hand: G = 30 clusters of 4 equal scores x_g; n = 120; mean m;
    // SE = √(G/(G−1) · Σ_g (4·(x_g − m))²) / n.
    let xs: Vec<f64> = (0..30).map(question_score).collect();
    let m = xs.iter().sum::<f64>() / 30.0;
    let sum: f64 = xs.iter().map(|x| (4.0 * (x - m)).powi(2)).sum();
    let se = (30.0 / 29.0 * sum).sqrt() / 120.0;
    let got = overall["se_clustered"]
        .as_f64()
        .expect("se_clustered is given");
    assert!((got - se).abs() < 1e-12, "{got} vs {se}");
    assert!((overall["score"].as_f64().unwrap() - m).abs() < 1e-12);
    // Resampling questions: the bootstrap std is near the clustered SE (it is about half of
    // it, √4 smaller, if answers were resampled as if independent).
    let std = overall["bootstrap_std"].as_f64().unwrap();
    assert!(
        (std - se).abs() < 0.15 * se,
        "bootstrap std {std}, clustered SE {se}"
    );
}

#[test]
fn one_sample_per_question_has_no_clustered_error() {
    let rep = graded(1);
    assert!(rep["models"]["m"]["overall"].get("se_clustered").is_none());
}
