//! Scores corrected with human labels (`--labels`, SPEC §4e): the corrected scores in
//! report.json recomputed here from the raw judge and human scores, the majority rule of several
//! raters, criterion lines tied by answer text, the labelling file's unfilled lines, calibration
//! from answer labels, and every kind of bad labels file.

mod common;

use std::path::Path;

use common::{kasauti, read_json, read_jsonl, stderr, write};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

const Z95: f64 = 1.959_963_984_540_054;

/// One simulated answer: its question id and language, the true verdicts of its two
/// criteria and the judge's.
struct Sim {
    qid: String,
    lang: &'static str,
    truth: [bool; 2],
    judge: [bool; 2],
}

fn score(v: [bool; 2]) -> f64 {
    // Two criteria of 5 points each.
    (v[0] as u8 + v[1] as u8) as f64 / 2.0
}

/// 80 Hindi answers judged faithfully, 80 Bengali answers judged leniently (a judge that says
/// "met" for half of what is not met), 30 Tamil answers.
fn simulate() -> Vec<Sim> {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let mut out = Vec::new();
    for (lang, n, lenient) in [("hi", 80, false), ("bn", 80, true), ("ta", 30, false)] {
        for i in 0..n {
            let truth = [rng.random::<f64>() < 0.5, rng.random::<f64>() < 0.4];
            let mut judge = truth;
            for j in &mut judge {
                if !*j && lenient && rng.random::<f64>() < 0.5 {
                    *j = true;
                }
            }
            out.push(Sim {
                qid: format!("{lang}-{i:03}"),
                lang,
                truth,
                judge,
            });
        }
    }
    out
}

/// Writes the question set and the judge's recorded verdicts; returns their paths.
fn write_run_inputs(dir: &Path, sims: &[Sim]) -> (String, String) {
    let mut q = String::new();
    let mut v = String::new();
    for s in sims {
        let line = json!({"id": s.qid, "language": s.lang, "domain": "history",
            "prompt": format!("{} {}", prompt_word(s.lang), s.qid),
            "rubric": [{"id": "c1", "criterion": "States the first fact", "points": 5},
                       {"id": "c2", "criterion": "States the second fact", "points": 5}]});
        q.push_str(&format!("{line}\n"));
        for (i, met) in s.judge.iter().enumerate() {
            let line = json!({"question_id": s.qid, "model": "m", "sample": 0,
                "criterion_id": format!("c{}", i + 1), "met": met});
            v.push_str(&format!("{line}\n"));
        }
    }
    let qp = dir.join("questions.jsonl");
    let vp = dir.join("verdicts.jsonl");
    write(&qp, &q);
    write(&vp, &v);
    (
        qp.to_string_lossy().into_owned(),
        vp.to_string_lossy().into_owned(),
    )
}

/// "Question" in the language's own script, so the question set passes validation.
fn prompt_word(lang: &str) -> &'static str {
    match lang {
        "hi" => "प्रश्न संख्या",
        "bn" => "প্রশ্ন নম্বর",
        _ => "கேள்வி எண்",
    }
}

fn criteria(v: [bool; 2]) -> Value {
    json!({"c1": v[0], "c2": v[1]})
}

/// The first 40 Hindi and Bengali answers and the first 5 Tamil ones are labelled. Hindi answers
/// by three raters (two give the truth, one the opposite), Bengali ones by two (one gives the
/// truth, one says everything is met: a tie wherever the truth is "not met", which must go to
/// "not met"), Tamil ones by one rater.
fn write_labels(path: &Path, sims: &[Sim]) -> usize {
    let mut s = String::new();
    let mut count = 0;
    let mut per_lang = std::collections::HashMap::new();
    for sim in sims {
        let k = per_lang.entry(sim.lang).or_insert(0usize);
        let limit = if sim.lang == "ta" { 5 } else { 40 };
        if *k >= limit {
            continue;
        }
        *k += 1;
        count += 1;
        let opposite = [!sim.truth[0], !sim.truth[1]];
        let raters: Vec<(&str, [bool; 2])> = match sim.lang {
            "hi" => vec![
                ("Asha", sim.truth),
                ("Bala", opposite),
                ("Chitra", sim.truth),
            ],
            "bn" => vec![("Asha", sim.truth), ("Dev", [true, true])],
            _ => vec![("Asha", sim.truth)],
        };
        for (rater, v) in raters {
            let line = json!({"question_id": sim.qid, "model": "m", "sample": 0,
                "rater": rater, "criteria": criteria(v)});
            s.push_str(&format!("{line}\n"));
        }
    }
    // A labelling-file line nobody has filled in: skipped.
    let line = json!({"question_id": sims[79].qid, "model": "m", "sample": 0, "rater": null,
        "criteria": {"c1": null, "c2": null}, "judge": {"c1": true, "c2": false}});
    s.push_str(&format!("{line}\n"));
    write(path, &s);
    count
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Sample variance (divisor n − 1) and covariance, written out.
fn svar(xs: &[f64]) -> f64 {
    let m = mean(xs);
    xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() as f64 - 1.0)
}

fn scov(a: &[f64], b: &[f64]) -> f64 {
    let (ma, mb) = (mean(a), mean(b));
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - ma) * (y - mb))
        .sum::<f64>()
        / (a.len() as f64 - 1.0)
}

/// PPI++ for one group, from SPEC §4e: θ = λ·mean_N(f) + mean_n(y − λ·f), λ = Cov(y, f)/Var(f)
/// clipped to [0, 1] (population moments: the n−1 factors cancel only when n = N, so they are
/// undone here), and the variance of θ as the sum of the two means' variances and twice their
/// covariance (the labelled answers are among the N).
fn ppi(all_f: &[f64], pairs: &[(f64, f64)]) -> (f64, f64, f64) {
    let (nn, n) = (all_f.len() as f64, pairs.len() as f64);
    let y: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    let f: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let var_f_pop = svar(all_f) * (nn - 1.0) / nn;
    let cov_pop = scov(&y, &f) * (n - 1.0) / n;
    let lambda = (cov_pop / var_f_pop).clamp(0.0, 1.0);
    let r: Vec<f64> = pairs.iter().map(|(y, f)| y - lambda * f).collect();
    let theta = lambda * mean(all_f) + mean(&r);
    let var = lambda * lambda * svar(all_f) / nn + svar(&r) / n + 2.0 * lambda * scov(&f, &r) / nn;
    (theta, var.sqrt(), lambda)
}

#[test]
fn corrected_scores_match_ppi_computed_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let sims = simulate();
    let (q, v) = write_run_inputs(dir.path(), &sims);
    let labels = dir.path().join("labels.jsonl");
    let labelled = write_labels(&labels, &sims);
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
            "--labels",
            labels.to_str().unwrap(),
            "--format",
            "json,md,csv,html",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rep = read_json(&dir.path().join("run/report.json"));
    let info = &rep["labels"];
    assert_eq!(info["matched"], json!(labelled));
    assert_eq!(info["unlabelled"], json!(1));
    assert_eq!(info["min_per_group"], json!(20));
    let m = &rep["models"]["m"];
    assert_eq!(m["labelled"], json!(labelled));
    // Tamil has 5 labelled answers: named, not corrected.
    assert_eq!(m["too_few_labels"], json!({"ta": 5}));
    assert!(m["by_language"]["ta"].get("corrected").is_none());
    // The judge's bias is still given per language, however few the labels: the first five
    // Tamil answers' judge scores minus their true scores.
    let ta: Vec<&Sim> = sims.iter().filter(|s| s.lang == "ta").take(5).collect();
    let bias = ta
        .iter()
        .map(|s| score(s.judge) - score(s.truth))
        .sum::<f64>()
        / 5.0;
    assert_eq!(m["judge_bias"]["ta"]["n_labelled"], json!(5));
    assert!((m["judge_bias"]["ta"]["judge_bias"].as_f64().unwrap() - bias).abs() < 1e-12);
    assert_eq!(
        m["judge_bias"]["bn"]["judge_bias"],
        m["by_language"]["bn"]["corrected"]["judge_bias"]
    );

    let check = |group: &Value, members: &dyn Fn(&Sim) -> bool| -> (f64, f64, f64) {
        let inside: Vec<&Sim> = sims.iter().filter(|s| members(s)).collect();
        let all_f: Vec<f64> = inside.iter().map(|s| score(s.judge)).collect();
        // The labelled answers are the first of each language, as written above.
        let mut seen = std::collections::HashMap::new();
        let pairs: Vec<(f64, f64)> = sims
            .iter()
            .filter(|s| {
                let k = seen.entry(s.lang).or_insert(0usize);
                *k += 1;
                *k <= if s.lang == "ta" { 5 } else { 40 }
            })
            .filter(|s| members(s))
            .map(|s| (score(s.truth), score(s.judge)))
            .collect();
        let (theta, se, lambda) = ppi(&all_f, &pairs);
        let c = &group["corrected"];
        let got = |k: &str| c[k].as_f64().unwrap_or_else(|| panic!("{k} in {c}"));
        assert!(
            (got("score") - theta).abs() < 1e-9,
            "{} vs {theta}",
            got("score")
        );
        assert!((got("lambda") - lambda).abs() < 1e-9);
        assert!((c["ci95"][0].as_f64().unwrap() - (theta - Z95 * se)).abs() < 1e-9);
        assert!((c["ci95"][1].as_f64().unwrap() - (theta + Z95 * se).min(1.0)).abs() < 1e-9);
        assert_eq!(c["n_labelled"], json!(pairs.len()));
        let bias = mean(&pairs.iter().map(|p| p.1).collect::<Vec<_>>())
            - mean(&pairs.iter().map(|p| p.0).collect::<Vec<_>>());
        assert!((got("judge_bias") - bias).abs() < 1e-9);
        let truth = mean(&inside.iter().map(|s| score(s.truth)).collect::<Vec<_>>());
        let raw = group["score"].as_f64().unwrap();
        (raw, theta, truth)
    };
    let (raw, corrected, truth) = check(&m["by_language"]["bn"], &|s: &Sim| s.lang == "bn");
    // The lenient judge inflates Bengali; the correction moves the score most of the way back.
    assert!(raw - truth > 0.1, "raw {raw} truth {truth}");
    assert!((corrected - truth).abs() < (raw - truth).abs() / 2.0);
    let (raw, corrected, truth) = check(&m["by_language"]["hi"], &|s: &Sim| s.lang == "hi");
    assert_eq!(raw, truth, "the Hindi judge is faithful");
    assert!(
        (corrected - truth).abs() < 1e-9,
        "λ = 1 and no bias leave it alone"
    );
    check(&m["overall"], &|_| true);
    check(&m["by_domain"]["history"], &|_| true);

    // Raw and corrected side by side in every format.
    let md = std::fs::read_to_string(dir.path().join("run/report.md")).unwrap();
    assert!(md.contains("## Corrected with human labels"), "{md}");
    assert!(md.contains("too few labelled answers to correct (fewer than 20): ta (5)"));
    let html = std::fs::read_to_string(dir.path().join("run/report.html")).unwrap();
    assert!(html.contains("id=\"corrected\""));
    let csv = std::fs::read_to_string(dir.path().join("run/report.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "corrected").unwrap();
    let bn_row = csv
        .lines()
        .find(|l| l.starts_with("m,language,bn,"))
        .unwrap();
    let cell: f64 = bn_row.split(',').nth(col).unwrap().parse().unwrap();
    let json_bn = m["by_language"]["bn"]["corrected"]["score"]
        .as_f64()
        .unwrap();
    assert!((cell - json_bn).abs() < 1e-6);
    // The terminal table says it too.
    let out = kasauti(
        dir.path(),
        &[
            "report",
            "run",
            "--labels",
            labels.to_str().unwrap(),
            "--format",
            "table",
        ],
    );
    let text = common::stdout(&out);
    assert!(text.contains("corrected with human labels"), "{text}");
    assert!(text.contains("too few labels"));
}

#[test]
fn criterion_lines_are_tied_to_answers_by_their_text() {
    let dir = tempfile::tempdir().unwrap();
    let root = common::root();
    let mut args: Vec<String> = vec!["grade".into(), "--out".into(), "run".into()];
    args.extend(common::bundled_data_args());
    args.extend(common::bundled_answer_args());
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = kasauti(dir.path(), &a);
    assert!(out.status.success(), "{}", stderr(&out));
    // Label 25 answers of sahayak-small criterion by criterion (three raters each), and one
    // answer on only one of its criteria.
    let grades = read_jsonl(&dir.path().join("run/grades.jsonl"));
    let mut texts = std::collections::HashMap::new();
    for f in std::fs::read_dir(root.join("examples/answers")).unwrap() {
        for a in read_jsonl(&f.unwrap().path()) {
            texts.insert(
                (
                    a["model"].as_str().unwrap().to_string(),
                    a["question_id"].as_str().unwrap().to_string(),
                ),
                a["answer"].as_str().unwrap().to_string(),
            );
        }
    }
    let mut s = String::new();
    let small: Vec<&Value> = grades
        .iter()
        .filter(|g| g["model"] == "sahayak-small")
        .collect();
    for (k, g) in small.iter().take(26).enumerate() {
        let qid = g["question_id"].as_str().unwrap();
        let text = &texts[&("sahayak-small".to_string(), qid.to_string())];
        for c in g["criteria"].as_array().unwrap() {
            let line = json!({"question_id": qid, "answer": text, "criterion_id": c["id"],
                "labels": [true, false, true]});
            s.push_str(&format!("{line}\n"));
            if k == 25 {
                break;
            }
        }
    }
    let labels = dir.path().join("labels.jsonl");
    write(&labels, &s);
    let out = kasauti(
        dir.path(),
        &[
            "report",
            "run",
            "--labels",
            "labels.jsonl",
            "--format",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let rep = read_json(&dir.path().join("run/report.json"));
    assert_eq!(rep["labels"]["matched"], json!(25));
    assert_eq!(rep["labels"]["partial"], json!(1));
    let m = &rep["models"]["sahayak-small"];
    assert_eq!(m["labelled"], json!(25));
    let c = &m["overall"]["corrected"];
    assert_eq!(c["n_labelled"], json!(25));
    assert!(rep["models"]["sahayak-large"].get("labelled") == Some(&json!(0)));
}

#[test]
fn answer_labels_feed_calibration() {
    let dir = tempfile::tempdir().unwrap();
    let sims = simulate();
    let (q, _) = write_run_inputs(dir.path(), &sims);
    // Answer labels with their text, two raters; calibrate's rule judge has no checks here, so
    // it decides nothing, and every item is counted as labelled but undecided.
    let mut s = String::new();
    for sim in sims.iter().take(3) {
        for rater in ["Asha", "Bala"] {
            let line = json!({"question_id": sim.qid, "model": "m", "sample": 0,
                "answer": format!("An answer to {}", sim.qid), "rater": rater,
                "criteria": criteria(sim.truth)});
            s.push_str(&format!("{line}\n"));
        }
    }
    write(&dir.path().join("labels.jsonl"), &s);
    let mut v = String::new();
    for sim in sims.iter().take(3) {
        for (i, c) in ["c1", "c2"].iter().enumerate() {
            let line = json!({"question_id": sim.qid, "criterion_id": c,
                "answer": format!("An answer to {}", sim.qid), "met": sim.judge[i]});
            v.push_str(&format!("{line}\n"));
        }
    }
    write(&dir.path().join("verdicts.jsonl"), &v);
    let out = kasauti(
        dir.path(),
        &[
            "calibrate",
            "--questions",
            &q,
            "--labels",
            "labels.jsonl",
            "--verdicts",
            "verdicts.jsonl",
            "--format",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let cal = read_json(&dir.path().join("calibration.json"));
    assert_eq!(cal["overall"]["items"], json!(6), "{cal}");
    assert_eq!(cal["raters"], json!(2));
    // Agreement by hand: the judge equals the truth on Hindi answers, which the first three are.
    assert!(sims.iter().take(3).all(|s| s.lang == "hi"));
    assert_eq!(cal["overall"]["judge"]["agreement"], json!(1.0));
}

#[test]
fn bad_label_files_name_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let sims = simulate();
    let (q, v) = write_run_inputs(dir.path(), &sims);
    let bad = dir.path().join("bad.jsonl");
    let grade_with = |labels: &std::path::Path| {
        kasauti(
            dir.path(),
            &[
                "grade",
                "--questions",
                &q,
                "--verdicts",
                &v,
                "--out",
                "r",
                "--labels",
                labels.to_str().unwrap(),
            ],
        )
    };
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "unknown criterion",
            json!({"question_id": "hi-000", "model": "m", "rater": "A", "criteria": {"c1": true, "c2": true, "c9": true}}),
            ":1: field `criteria.c9`:",
        ),
        (
            "partly labelled",
            json!({"question_id": "hi-000", "model": "m", "rater": "A", "criteria": {"c1": true, "c2": null}}),
            ":1: field `criteria`: every criterion of the answer needs a label; not labelled: c2",
        ),
        (
            "no rater",
            json!({"question_id": "hi-000", "model": "m", "criteria": {"c1": true, "c2": true}}),
            ":1: field `rater`:",
        ),
        (
            "not a boolean",
            json!({"question_id": "hi-000", "model": "m", "rater": "A", "criteria": {"c1": "yes", "c2": true}}),
            ":1: field `criteria.c1`: expected true, false or null",
        ),
        (
            "unknown question",
            json!({"question_id": "zz-000", "model": "m", "rater": "A", "criteria": {}}),
            ":1: field `question_id`: unknown question",
        ),
        (
            "no way to find the answer",
            json!({"question_id": "hi-000", "rater": "A", "criteria": {"c1": true, "c2": true}}),
            ":1: field `model`:",
        ),
        (
            "bad sample",
            json!({"question_id": "hi-000", "model": "m", "sample": -1, "rater": "A", "criteria": {"c1": true, "c2": true}}),
            ":1: field `sample`:",
        ),
    ];
    for (name, line, expect) in cases {
        write(&bad, &format!("{line}\n"));
        let out = grade_with(&bad);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(&format!("bad.jsonl{expect}")), "{name}: {err}");
        // Checked before grading: no run was written.
        assert!(!dir.path().join("r").exists(), "{name}");
    }
    // The same rater twice for one answer.
    let a = json!({"question_id": "hi-000", "model": "m", "rater": "A", "criteria": {"c1": true, "c2": true}});
    write(&bad, &format!("{a}\n{a}\n"));
    let out = grade_with(&bad);
    assert!(
        stderr(&out).contains("bad.jsonl:2: field `rater`:"),
        "{}",
        stderr(&out)
    );
    // A labelling file nobody has filled in.
    let a = json!({"question_id": "hi-000", "model": "m", "rater": null, "criteria": {"c1": null, "c2": null}});
    write(&bad, &format!("{a}\n"));
    let out = grade_with(&bad);
    assert!(
        stderr(&out).contains("none of its 1 answers is labelled yet"),
        "{}",
        stderr(&out)
    );
}
