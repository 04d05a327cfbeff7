//! `kasauti compare` on hand-made runs whose per-answer scores are known exactly: every
//! criterion is worth one point and met when the answer names its word, so an answer naming k of
//! four words scores k/4. Expected means, differences and exact permutation p-values are worked
//! out by hand below.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

const WORDS: [&str; 4] = ["alpha", "beta", "gamma", "delta"];

fn question(id: &str, lang: &str, domain: &str, prompt: &str) -> String {
    let rubric: Vec<Value> = WORDS
        .iter()
        .map(|w| serde_json::json!({"criterion": format!("Names {w}"), "points": 1, "check": {"mentions": [w]}}))
        .collect();
    serde_json::json!({"id": id, "language": lang, "domain": domain, "prompt": prompt, "rubric": rubric})
        .to_string()
}

/// An answer naming the first `k` words, in a sentence (a bare list of the rubric's words would
/// be a keyword list, which earns nothing).
fn answer(model: &str, qid: &str, k: usize) -> String {
    let text = if k == 0 {
        "kuch nahin".to_string()
    } else {
        format!(
            "This answer is a plain sentence which names {} and nothing more.",
            WORDS[..k].join(" and ")
        )
    };
    serde_json::json!({"question_id": qid, "model": model, "answer": text}).to_string()
}

fn setup(d: &Path) {
    let qs = [
        question("hi-1", "hi", "history", "पहला प्रश्न क्या है?"),
        question("hi-2", "hi", "history", "दूसरा प्रश्न क्या है?"),
        question("hi-3", "hi", "food_and_cuisine", "तीसरा प्रश्न क्या है?"),
        question("hi-4", "hi", "food_and_cuisine", "चौथा प्रश्न क्या है?"),
        question("ta-1", "ta", "history", "முதல் கேள்வி என்ன?"),
        question("ta-2", "ta", "food_and_cuisine", "இரண்டாம் கேள்வி என்ன?"),
        question("ta-3", "ta", "food_and_cuisine", "மூன்றாம் கேள்வி என்ன?"),
    ];
    write(&d.join("q.jsonl"), &(qs.join("\n") + "\n"));
    // Words named per question: A (old) and B (new). hi-4 is answered in A only.
    let a = [
        ("hi-1", 1),
        ("hi-2", 2),
        ("hi-3", 2),
        ("hi-4", 1),
        ("ta-1", 0),
        ("ta-2", 1),
        ("ta-3", 4),
    ];
    let b = [
        ("hi-1", 2),
        ("hi-2", 3),
        ("hi-3", 4),
        ("ta-1", 1),
        ("ta-2", 1),
        ("ta-3", 3),
    ];
    let lines = |m: &str, v: &[(&str, usize)]| {
        v.iter()
            .map(|(q, k)| answer(m, q, *k))
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    };
    write(&d.join("a.jsonl"), &lines("m-old", &a));
    write(&d.join("b.jsonl"), &lines("m-new", &b));
    for (ans, out) in [("a.jsonl", "runA"), ("b.jsonl", "runB")] {
        ok(&kasauti(
            d,
            &[
                "-q",
                "grade",
                "--answers",
                ans,
                "--questions",
                "q.jsonl",
                "--out",
                out,
                "--format",
                "json",
            ],
        ));
    }
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn paired_differences_match_hand_computation() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    setup(d);
    let out = kasauti(
        d,
        &[
            "compare",
            "runA",
            "runB",
            "--format",
            "table,json,md,html",
            "--out",
            "cmp",
        ],
    );
    let table = ok(&out);
    let c: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("cmp/compare.json")).unwrap())
            .unwrap();
    assert_eq!(
        c["comparisons"].as_array().unwrap().len(),
        1,
        "one model each: paired"
    );
    let m = &c["comparisons"][0];
    assert_eq!(
        (m["model_a"].as_str(), m["model_b"].as_str()),
        (Some("m-old"), Some("m-new"))
    );
    assert_eq!(m["paired"], 6);
    assert_eq!(m["only_a"], 1, "hi-4 is only in run A and is left out");
    assert_eq!(m["only_b"], 0);

    // Overall: A = (1+2+2+0+1+4)/24 = 10/24, B = (2+3+4+1+1+3)/24 = 14/24, B − A = 1/6.
    let o = &m["overall"];
    assert_eq!(o["n"], 6);
    assert!(close_abs(num(&o["score_a"]), 10.0 / 24.0));
    assert!(close_abs(num(&o["score_b"]), 14.0 / 24.0));
    assert!(close_abs(num(&o["diff"]), 1.0 / 6.0));
    // Per-item differences in quarters: +1 +1 +2 +1 0 −1. The zero cannot flip; of the 2^5 sign
    // patterns of magnitudes {1,1,2,1,1} (total 6), |sum| ≥ 4 needs the flipped magnitudes to
    // add up to ≤ 1 (1 + 4 patterns) or ≥ 5 (their 5 complements): p = 10/32.
    assert!(close_abs(num(&o["p_value"]), 10.0 / 32.0));
    assert_eq!(o["p_exact"], true);
    // The bootstrap interval lies within the range of item differences and holds the estimate.
    let (lo, hi) = (num(&o["ci95"][0]), num(&o["ci95"][1]));
    assert!(
        (-0.25..=1.0 / 6.0).contains(&lo) && (1.0 / 6.0..=0.5).contains(&hi),
        "{lo} {hi}"
    );

    // Hindi: A = 5/12, B = 9/12, differences +1 +1 +2 quarters: only all-plus and all-minus reach
    // |4|, so p = 2/8.
    let hi = &m["by_language"]["hi"];
    assert!(close_abs(num(&hi["score_a"]), 5.0 / 12.0));
    assert!(close_abs(num(&hi["score_b"]), 9.0 / 12.0));
    assert!(close_abs(num(&hi["diff"]), 4.0 / 12.0));
    assert!(close_abs(num(&hi["p_value"]), 0.25));
    // Tamil: +1, 0, −1 quarters: the observed mean is 0, every pattern reaches it, p = 1.
    let ta = &m["by_language"]["ta"];
    assert!(close_abs(num(&ta["diff"]), 0.0));
    assert!(close_abs(num(&ta["p_value"]), 1.0));
    assert_eq!(ta["significant"], false);
    // History (hi-1, hi-2, ta-1): every difference is +1/4, so every resample gives +1/4: the
    // interval is [0.25, 0.25] and excludes zero; the exact p is 2/8.
    let h = &m["by_domain"]["history"];
    assert!(close_abs(num(&h["diff"]), 0.25));
    assert!(close_abs(num(&h["ci95"][0]), 0.25) && close_abs(num(&h["ci95"][1]), 0.25));
    assert_eq!(h["significant"], true);
    assert!(close_abs(num(&h["p_value"]), 0.25));
    // Food (hi-3, ta-2, ta-3): +2, 0, −1 quarters; observed |+1|; patterns ±2±1 give 3, 1, −1, −3:
    // all reach 1, p = 1.
    let f = &m["by_domain"]["food_and_cuisine"];
    assert!(close_abs(num(&f["diff"]), 1.0 / 12.0));
    assert!(close_abs(num(&f["p_value"]), 1.0));

    // Holm over the four language and domain groups: p = 0.25, 0.25, 1, 1 give 4·0.25, 3·0.25
    // (raised to the running maximum 1), 2·1 and 1·1, all capped at 1. The overall group is not
    // in the family.
    for g in [hi, ta, h, f] {
        assert!(close_abs(num(&g["p_holm"]), 1.0), "{g}");
    }
    assert!(o.get("p_holm").is_none());
    // MDE80 = (z.975 + z.8)·s/√n from the paired differences. Hindi: 1/4, 1/4, 1/2 (mean 1/3,
    // sample variance 1/48): 2.8016·√(1/48)/√3 = 2.8016/12. Tamil: 1/4, 0, −1/4 (variance
    // 1/16): 2.8016·(1/4)/√3, more than the 0 it shows, so Tamil is too small to tell.
    let z = 1.959_963_984_540_054 + 0.841_621_233_572_914_3;
    assert!(close_abs(num(&hi["mde80"]), z / 12.0));
    assert!(close_abs(num(&ta["mde80"]), z * 0.25 / 3f64.sqrt()));
    assert!(close_abs(num(&h["mde80"]), 0.0));
    assert!(
        table.contains("too small to detect the difference shown: overall, Tamil (ta), domain food_and_cuisine"),
        "{table}"
    );

    // Criteria whose met-rate changed: hi-1 beta, hi-2 gamma, hi-3 gamma and delta, ta-1 alpha
    // (+1 each) and ta-3 delta (−1). Criteria met alike in both runs are not listed.
    let crit = m["criteria"].as_array().unwrap();
    let mut got: Vec<(String, String, f64)> = crit
        .iter()
        .map(|x| {
            (
                x["question_id"].as_str().unwrap().to_string(),
                x["criterion"].as_str().unwrap().to_string(),
                num(&x["change"]),
            )
        })
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let want = vec![
        ("hi-1", "Names beta", 1.0),
        ("hi-2", "Names gamma", 1.0),
        ("hi-3", "Names delta", 1.0),
        ("hi-3", "Names gamma", 1.0),
        ("ta-1", "Names alpha", 1.0),
        ("ta-3", "Names delta", -1.0),
    ];
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!((g.0.as_str(), g.1.as_str(), g.2), *w);
    }

    // The terminal table and the files say the same.
    assert!(table.contains("overall"), "{table}");
    assert!(table.contains("+16.7"), "{table}");
    assert!(table.contains("0.312"), "{table}");
    let md = std::fs::read_to_string(d.join("cmp/compare.md")).unwrap();
    assert!(md.contains("| overall | 6 | 41.7 | 58.3 | +16.7 |"), "{md}");
    assert!(
        md.contains("| domain history | 3 | 25.0 | 50.0 | **+25.0** | [+25.0, +25.0] | 0.250 |"),
        "{md}"
    );
    let html = std::fs::read_to_string(d.join("cmp/compare.html")).unwrap();
    assert!(html.contains(r#"data-kind="language" data-group="hi""#));
    assert!(!html.contains("http://") && !html.contains("https://"));
}

#[test]
fn model_pairing_needs_a_choice_when_names_differ() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    setup(d);
    // Two models in each run with no name in common: the user must say which to compare.
    let extra = |m: &str| answer(m, "hi-1", 3) + "\n";
    let mut a = std::fs::read_to_string(d.join("a.jsonl")).unwrap();
    a.push_str(&extra("x-old"));
    write(&d.join("a2.jsonl"), &a);
    let mut b = std::fs::read_to_string(d.join("b.jsonl")).unwrap();
    b.push_str(&extra("x-new"));
    write(&d.join("b2.jsonl"), &b);
    for (ans, out) in [("a2.jsonl", "A2"), ("b2.jsonl", "B2")] {
        ok(&kasauti(
            d,
            &[
                "-q",
                "grade",
                "--answers",
                ans,
                "--questions",
                "q.jsonl",
                "--out",
                out,
                "--format",
                "json",
            ],
        ));
    }
    let out = kasauti(d, &["compare", "A2", "B2"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--model-a") && err.contains("m-old") && err.contains("x-new"),
        "{err}"
    );

    let out = kasauti(
        d,
        &[
            "compare",
            "A2",
            "B2",
            "--model-a",
            "m-old",
            "--model-b",
            "m-new",
            "--format",
            "json",
            "--out",
            "c",
        ],
    );
    ok(&out);
    let c: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("c/compare.json")).unwrap()).unwrap();
    assert!(close_abs(
        num(&c["comparisons"][0]["overall"]["diff"]),
        1.0 / 6.0
    ));

    let out = kasauti(d, &["compare", "A2", "B2", "--model-a", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    let out = kasauti(
        d,
        &[
            "compare",
            "A2",
            "B2",
            "--model-a",
            "m-old",
            "--model-b",
            "m-new",
            "--format",
            "pdf",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
}

/// Shards of one evaluation, given as a comma-separated list, compare exactly like the whole run.
#[test]
fn shards_given_together_compare_like_the_whole_run() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    setup(d);
    let a = std::fs::read_to_string(d.join("a.jsonl")).unwrap();
    let lines: Vec<&str> = a.lines().collect();
    write(&d.join("a1.jsonl"), &(lines[..3].join("\n") + "\n"));
    write(&d.join("a2.jsonl"), &(lines[3..].join("\n") + "\n"));
    for (ans, out) in [("a1.jsonl", "runA1"), ("a2.jsonl", "runA2")] {
        ok(&kasauti(
            d,
            &[
                "-q",
                "grade",
                "--answers",
                ans,
                "--model",
                "m-old",
                "--questions",
                "q.jsonl",
                "--out",
                out,
                "--format",
                "json",
            ],
        ));
    }
    ok(&kasauti(
        d,
        &[
            "compare", "runA", "runB", "--format", "json", "--out", "whole",
        ],
    ));
    ok(&kasauti(
        d,
        &[
            "compare",
            "runA1,runA2",
            "runB",
            "--format",
            "json",
            "--out",
            "shards",
        ],
    ));
    let read = |dir: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(d.join(dir).join("compare.json")).unwrap())
            .unwrap()
    };
    let (whole, shards) = (read("whole"), read("shards"));
    assert_eq!(whole["comparisons"], shards["comparisons"]);
    assert_eq!(shards["comparisons"][0]["paired"], 6);
}
