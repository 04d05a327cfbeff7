//! `kasauti calibrate` on a hand-made labelled set whose agreement, kappa, bias and F1 figures
//! are counted by hand below (pairs are (evaluated, reference): T = met, F = not met).

mod common;

use std::path::Path;

use common::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

fn setup(d: &Path) {
    let q = |id: &str, lang: &str, prompt: &str| {
        json!({"id": id, "language": lang, "domain": "history", "prompt": prompt,
               "rubric": [{"id": "c1", "criterion": "First point", "points": 2},
                          {"id": "c2", "criterion": "Second point", "points": 1}]})
        .to_string()
    };
    write(
        &d.join("q.jsonl"),
        &[
            q("q1", "hi", "पहला प्रश्न क्या है?"),
            q("q2", "hi", "दूसरा प्रश्न क्या है?"),
            q("q3", "ta", "முதல் கேள்வி என்ன?"),
        ]
        .join("\n"),
    );
    // item: (question, criterion, answer, rater labels)
    let items = [
        ("q1", "c1", "a1", vec![true, true, true]),
        ("q1", "c2", "a1", vec![false, false, true]),
        ("q2", "c1", "a2", vec![true, false, true]),
        ("q3", "c1", "a3", vec![false, false]),
        ("q3", "c2", "a3", vec![true, true, false]),
        ("q3", "c1", "a4", vec![true, true, true]),
    ];
    let labels: Vec<String> = items
        .iter()
        .map(|(q, c, a, l)| {
            json!({"question_id": q, "criterion_id": c, "answer": a, "labels": l}).to_string()
        })
        .collect();
    write(&d.join("labels.jsonl"), &(labels.join("\n") + "\n"));
    let sha = |s: &str| {
        Sha256::digest(s.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    // Judge verdicts, keyed three ways: no answer where (question, criterion) is unique, the
    // answer text, or its SHA-256. Order differs from the labels on purpose.
    let verdicts = [
        json!({"question_id": "q3", "criterion_id": "c1", "answer": "a4", "met": true}),
        json!({"question_id": "q1", "criterion_id": "c1", "met": true}),
        json!({"question_id": "q1", "criterion_id": "c2", "answer": "a1", "met": true}),
        json!({"question_id": "q2", "criterion_id": "c1", "answer": "a2", "met": true}),
        json!({"question_id": "q3", "criterion_id": "c1", "answer": "a3", "met": true}),
        json!({"question_id": "q3", "criterion_id": "c2", "answer_sha256": sha("a3"), "met": false}),
    ];
    let v: Vec<String> = verdicts.iter().map(|x| x.to_string()).collect();
    write(&d.join("verdicts.jsonl"), &(v.join("\n") + "\n"));
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn calibrate(d: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "calibrate",
        "--labels",
        "labels.jsonl",
        "--questions",
        "q.jsonl",
    ];
    args.extend_from_slice(extra);
    kasauti(d, &args)
}

#[test]
fn figures_match_hand_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    setup(d);
    let out = calibrate(
        d,
        &[
            "--verdicts",
            "verdicts.jsonl",
            "--format",
            "table,json,md",
            "--out",
            "cal",
        ],
    );
    let table = ok(&out);
    let c: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("cal/calibration.json")).unwrap())
            .unwrap();
    assert_eq!(c["raters"], 3);
    assert_eq!(c["overall"]["items"], 6);

    // Judge pairs: item1 TT TT TT; item2 TF TF TT; item3 TT TF TT; item4 TF TF; item5 FT FT FF;
    // item6 TT TT TT. TP 9, FP 5, FN 2, TN 1 over 17 pairs.
    let j = &c["overall"]["judge"];
    assert_eq!(j["pairs"], 17);
    assert!(close_abs(num(&j["agreement"]), 10.0 / 17.0));
    // p_judge = 14/17, p_labels = 11/17, chance = (14·11 + 3·6)/289 = 172/289, observed 170/289.
    assert!(close_abs(
        num(&j["kappa"]),
        (170.0 - 172.0) / (289.0 - 172.0)
    ));
    assert!(close_abs(num(&j["bias"]), 3.0 / 17.0));
    assert!(close_abs(num(&j["precision_met"]), 9.0 / 14.0));
    assert!(close_abs(num(&j["recall_met"]), 9.0 / 11.0));
    assert!(close_abs(num(&j["f1_met"]), 18.0 / 25.0));
    assert!(close_abs(num(&j["precision_not_met"]), 1.0 / 3.0));
    assert!(close_abs(num(&j["recall_not_met"]), 1.0 / 6.0));
    assert!(close_abs(num(&j["f1_not_met"]), 2.0 / 9.0));
    assert!(close_abs(
        num(&j["balanced_f1"]),
        (18.0 / 25.0 + 2.0 / 9.0) / 2.0
    ));

    // Hindi (items 1–3): TP 6, FP 3, no FN, no TN: the judge always says met. Kappa is 0
    // (agreement 6/9 is exactly chance), bias 1 − 6/9, F1 met 12/15, F1 not met 0.
    let hi = &c["by_language"]["hi"]["judge"];
    assert!(close_abs(num(&hi["agreement"]), 6.0 / 9.0));
    assert!(close_abs(num(&hi["kappa"]), 0.0));
    assert!(close_abs(num(&hi["bias"]), 1.0 / 3.0));
    assert!(close_abs(num(&hi["balanced_f1"]), (0.8 + 0.0) / 2.0));
    // Tamil (items 4–6): TP 3, FP 2, FN 2, TN 1: agreement 4/8, chance (25 + 9)/64, kappa −1/15.
    let ta = &c["by_language"]["ta"]["judge"];
    assert!(close_abs(num(&ta["agreement"]), 0.5));
    assert!(close_abs(num(&ta["kappa"]), -1.0 / 15.0));
    assert!(close_abs(num(&ta["bias"]), 0.0));
    assert!(close_abs(
        num(&ta["balanced_f1"]),
        (6.0 / 10.0 + 2.0 / 6.0) / 2.0
    ));

    // Rater 1 (labels T F T F T T) against the others: TT TT | FF FT | TF TT | FF | TT TF | TT TT:
    // TP 6, FP 2, FN 1, TN 2 over 11 pairs from 6 items.
    let raters = c["overall"]["raters"].as_array().unwrap();
    let r1 = &raters[0];
    assert_eq!(
        (
            r1["rater"].as_u64(),
            r1["items"].as_u64(),
            r1["pairs"].as_u64()
        ),
        (Some(1), Some(6), Some(11))
    );
    assert!(close_abs(num(&r1["agreement"]), 8.0 / 11.0));
    // p1 = 8/11, p2 = 7/11: chance (56 + 12)/121, observed 88/121.
    assert!(close_abs(num(&r1["kappa"]), (88.0 - 68.0) / (121.0 - 68.0)));
    assert!(close_abs(num(&r1["bias"]), 1.0 / 11.0));
    assert!(close_abs(num(&r1["f1_met"]), 12.0 / 15.0));
    assert!(close_abs(num(&r1["f1_not_met"]), 4.0 / 7.0));
    // Rater 3 labelled only the five items with three labels: 10 pairs, 5 agreeing.
    let r3 = &raters[2];
    assert_eq!(
        (r3["items"].as_u64(), r3["pairs"].as_u64()),
        (Some(5), Some(10))
    );
    assert!(close_abs(num(&r3["agreement"]), 0.5));
    // Raters pooled: 11 + 11 + 10 pairs, 8 + 7 + 5 agreeing.
    let pooled = &c["overall"]["raters_pooled"];
    assert_eq!(pooled["pairs"], 32);
    assert!(close_abs(num(&pooled["agreement"]), 20.0 / 32.0));
    assert!(
        close_abs(num(&pooled["bias"]), 0.0),
        "pooled rater pairs are symmetric"
    );

    assert!(
        table.contains("judge vs raters") && table.contains("rater 3 vs others"),
        "{table}"
    );
    assert!(
        table.contains("Hindi (hi)") && table.contains("Tamil (ta)"),
        "{table}"
    );
    let md = std::fs::read_to_string(d.join("cal/calibration.md")).unwrap();
    assert!(md.contains("| overall | judge vs raters | 6 | 17 | 0.588 | -0.017 | +0.176 | 0.720 | 0.222 | 0.471 |"), "{md}");
}

#[test]
fn bad_lines_name_file_line_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    setup(d);
    write(
        &d.join("bad_labels.jsonl"),
        concat!(
            r#"{"question_id": "q1", "criterion_id": "c1", "answer": "a1", "labels": [true]}"#,
            "\n",
            r#"{"question_id": "q1", "criterion_id": "c1", "answer": "a9", "labels": ["yes", true]}"#,
            "\n",
            r#"{"question_id": "nope", "criterion_id": "c1", "answer": "a1", "labels": [true]}"#,
            "\n",
            r#"{"question_id": "q1", "criterion_id": "c7", "answer": "a1", "labels": [true]}"#,
            "\n",
            r#"{"question_id": "q1", "criterion_id": "c2", "labels": []}"#,
            "\n",
            "not json\n",
        ),
    );
    let out = kasauti(
        d,
        &[
            "calibrate",
            "--labels",
            "bad_labels.jsonl",
            "--verdicts",
            "verdicts.jsonl",
            "--questions",
            "q.jsonl",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for want in [
        "bad_labels.jsonl:2: field `labels[0]`",
        "bad_labels.jsonl:3: field `question_id`",
        "bad_labels.jsonl:4: field `criterion_id`",
        "bad_labels.jsonl:5: field `answer`",
        "bad_labels.jsonl:5: field `labels`",
        "bad_labels.jsonl:6",
    ] {
        assert!(err.contains(want), "missing `{want}` in:\n{err}");
    }

    // Verdicts: ambiguous key, unknown answer, duplicate, bad `met`; and a labelled item left
    // without a verdict is reported at its labels line.
    write(
        &d.join("bad_verdicts.jsonl"),
        concat!(
            r#"{"question_id": "q3", "criterion_id": "c1", "met": true}"#,
            "\n",
            r#"{"question_id": "q1", "criterion_id": "c2", "answer": "zzz", "met": true}"#,
            "\n",
            r#"{"question_id": "q1", "criterion_id": "c1", "met": true}"#,
            "\n",
            r#"{"question_id": "q1", "criterion_id": "c1", "met": false}"#,
            "\n",
            r#"{"question_id": "q2", "criterion_id": "c1", "answer": "a2", "met": "yes"}"#,
            "\n",
        ),
    );
    let out = calibrate(d, &["--verdicts", "bad_verdicts.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for want in [
        "bad_verdicts.jsonl:1: field `answer`",
        "bad_verdicts.jsonl:2: field `answer`",
        "bad_verdicts.jsonl:4: field `question_id`: a second verdict",
        "bad_verdicts.jsonl:5: field `met`",
        "labels.jsonl:6: field `question_id`: no verdict",
    ] {
        assert!(err.contains(want), "missing `{want}` in:\n{err}");
    }

    // Recorded verdicts and a live judge exclude each other; one of them is needed.
    let out = calibrate(
        d,
        &[
            "--verdicts",
            "verdicts.jsonl",
            "--judge-model",
            "some-judge",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));
    let out = calibrate(d, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--verdicts"));
}

#[test]
fn bundled_example_runs() {
    let mut args: Vec<String> = vec![
        "calibrate".into(),
        "--labels".into(),
        "examples/calibration/labels.jsonl".into(),
        "--verdicts".into(),
        "examples/calibration/verdicts.jsonl".into(),
    ];
    args.extend(bundled_data_args());
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let table = ok(&kasauti(&root(), &argv));
    assert!(
        table.contains("judge vs raters") && table.contains("raters (pooled)"),
        "{table}"
    );
    assert!(
        table.contains("Tamil (ta)") && table.contains("Bengali (bn)"),
        "{table}"
    );
}
