//! `kasauti calibrate --judge-model`: the real binary runs a judge model (the scripted test
//! server) on every labelled item. The figures are counted by hand below from the labels and the
//! scripted verdicts; pairs are (judge, rater label), T = met, F = not met.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::*;
use serde_json::{json, Value};

/// A distinctive key: it must reach the server and appear nowhere else.
const KEY: &str = "sk-kasauti-cal-7f3a9c1e5b2d";
const KEY_ENV: &str = "KASAUTI_CAL_TEST_KEY";

/// What the scripted judge replies for one labelled item.
#[derive(Clone, Copy, PartialEq)]
enum Reply {
    /// A plain JSON verdict.
    Plain(bool),
    /// A verdict inside a ```json code fence.
    Fenced(bool),
    /// A verdict whose explanation echoes the request's Authorization header.
    Echo(bool),
    /// Prose without JSON (echoing the Authorization header): unusable, every time.
    Unusable,
}

/// Labelled items: (answer id, question index, criterion, rater labels, scripted judge reply).
/// Question i has language hi, ta, bn for i % 3 = 0, 1, 2 (see `common::write_questions`).
const ITEMS: [(usize, usize, &str, &[bool], Reply); 9] = [
    (0, 0, "c1", &[true, true, true], Reply::Plain(true)), // hi
    (0, 0, "c3", &[false, false], Reply::Plain(false)),    // hi
    (1, 3, "c1", &[true, false], Reply::Fenced(true)),     // hi
    (2, 1, "c1", &[false, false, true], Reply::Plain(true)), // ta
    (2, 1, "c4", &[true], Reply::Plain(false)),            // ta
    (3, 4, "c2", &[true, true], Reply::Echo(true)),        // ta
    (4, 2, "c1", &[false], Reply::Plain(false)),           // bn
    (4, 2, "c4", &[true, true, false], Reply::Unusable),   // bn: undecided
    (5, 5, "c3", &[false, true], Reply::Plain(false)),     // bn
];

/// The answer with id `k` to question `i`, in the question's script, with the marker the
/// scripted judge reads (`[A{k}.0]`).
fn answer(k: usize, i: usize) -> String {
    let text = match LANGS[i % 3] {
        "hi" => "उत्तर: alpha और gamma दोनों।",
        "ta" => "பதில்: alpha மற்றும் beta.",
        _ => "উত্তর: delta এবং alpha।",
    };
    format!("[A{k}.0] {text}")
}

fn setup(d: &Path) {
    write_questions(d, 6);
    let lines: Vec<String> = ITEMS
        .iter()
        .map(|(k, i, c, labels, _)| {
            json!({"question_id": qid(*i), "criterion_id": c, "answer": answer(*k, *i),
                   "labels": labels})
            .to_string()
        })
        .collect();
    std::fs::write(d.join("labels.jsonl"), lines.join("\n") + "\n").unwrap();
}

fn verdict_json(met: bool, why: &str) -> String {
    json!({"explanation": why, "criteria_met": met}).to_string()
}

/// The scripted judge: per-criterion prompts get the reply of their item; batched prompts get
/// an object with every asked criterion (labelled ones as in `ITEMS`, an unusable item's as met,
/// the rest not met).
fn judge_script() -> Script {
    Arc::new(|req: &Request, _attempt: usize| {
        let auth = req.header("authorization").unwrap_or("").to_string();
        let body = req.json().unwrap_or(Value::Null);
        let model = body["model"].as_str().unwrap_or("");
        let Some((k, _, ids)) = judge_request(&body) else {
            return Action::json(400, json!({"error": {"message": "not a judge prompt"}}));
        };
        let reply_of = |id: &str| {
            ITEMS
                .iter()
                .find(|it| it.0 == k && it.2 == id)
                .map(|it| it.4)
        };
        let per_criterion = body
            .pointer("/messages/0/content")
            .and_then(Value::as_str)
            .is_some_and(|p| p.contains("<rubric_item"));
        if !per_criterion {
            let o: serde_json::Map<String, Value> = ids
                .iter()
                .map(|id| {
                    let met = match reply_of(id) {
                        Some(Reply::Plain(m) | Reply::Fenced(m) | Reply::Echo(m)) => m,
                        Some(Reply::Unusable) => true,
                        None => false,
                    };
                    (
                        id.clone(),
                        json!({"explanation": "batched", "criteria_met": met}),
                    )
                })
                .collect();
            return Action::json(200, completion(model, &Value::Object(o).to_string()));
        }
        let Some(reply) = ids.first().and_then(|id| reply_of(id)) else {
            return Action::json(
                400,
                json!({"error": {"message": "unlabelled criterion asked"}}),
            );
        };
        let content = match reply {
            Reply::Plain(m) => verdict_json(m, "checked the reply"),
            Reply::Fenced(m) => format!("```json\n{}\n```", verdict_json(m, "fenced")),
            Reply::Echo(m) => verdict_json(m, &format!("request came with {auth}")),
            Reply::Unusable => format!("I would rather not say. ({auth})"),
        };
        let action = Action::json(200, completion(model, &content));
        if reply == Reply::Unusable {
            action.unusable()
        } else {
            action
        }
    })
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn calibrate(d: &Path, server: &TestServer, extra: &[&str]) -> std::process::Output {
    let mut c = kasauti_cmd();
    c.current_dir(d).env(KEY_ENV, KEY).args([
        "calibrate",
        "--labels",
        "labels.jsonl",
        "--questions",
        "questions.jsonl",
        "--judge-model",
        "judge-cal",
        "--judge-base-url",
        &server.base_url(),
        "--judge-api-key-env",
        KEY_ENV,
        "--judge-retries",
        "1",
        "--cache-dir",
        "cache",
        "--retry-base-ms",
        "5",
        "--no-progress",
    ]);
    c.args(extra);
    c.output().unwrap()
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn live_judge_figures_match_hand_counts_and_rerun_uses_the_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    setup(d);
    let server = TestServer::start(std::time::Duration::ZERO, 2, judge_script());

    let out = calibrate(
        d,
        &server,
        &[
            "--format",
            "table,json,md",
            "--out",
            "cal",
            "--save-verdicts",
            "saved/verdicts.jsonl",
        ],
    );
    let first = text(&out);
    assert_eq!(out.status.code(), Some(0), "{first}");
    // One request per decided item; the unusable one is asked 1 + --judge-retries = 2 times.
    assert_eq!(server.requests(), 8 + 2, "{first}");
    let log = server.log();
    assert!(
        log.iter()
            .all(|l| l.authorization.as_deref() == Some(&format!("Bearer {KEY}")[..])),
        "every request carries the key"
    );

    let c = read_json(&d.join("cal/calibration.json"));
    assert_eq!(c["overall"]["items"], 9);
    assert_eq!(c["overall"]["undecided"], 1);
    assert_eq!(c["raters"], 3);
    // Judge pairs by item: 1: TT TT TT; 2: FF FF; 3: TT TF; 4: TF TF TT; 5: FT; 6: TT TT;
    // 7: FF; 8: undecided, left out; 9: FF FT.
    // TP 3+1+1+2 = 7, FP 1+2 = 3, FN 1+1 = 2, TN 2+1+1 = 4: 16 pairs from 8 items.
    let j = &c["overall"]["judge"];
    assert_eq!(
        (j["items"].as_u64(), j["pairs"].as_u64()),
        (Some(8), Some(16))
    );
    assert!(close(num(&j["agreement"]), 11.0 / 16.0), "{j}");
    // Judge met-rate 10/16, labels 9/16: chance (10·9 + 6·7)/256 = 132/256, observed 176/256.
    assert!(
        close(num(&j["kappa"]), (176.0 - 132.0) / (256.0 - 132.0)),
        "{j}"
    );
    assert!(close(num(&j["bias"]), 1.0 / 16.0), "{j}");
    // F1 met = 2·7/(2·7 + 3 + 2); F1 not met = 2·4/(2·4 + 3 + 2).
    assert!(close(num(&j["f1_met"]), 14.0 / 19.0), "{j}");
    assert!(close(num(&j["f1_not_met"]), 8.0 / 13.0), "{j}");
    assert!(
        close(num(&j["balanced_f1"]), (14.0 / 19.0 + 8.0 / 13.0) / 2.0),
        "{j}"
    );

    // Hindi (items 1–3): TP 4, FP 1, FN 0, TN 2 over 7 pairs; met-rates 5/7 and 4/7, chance
    // (20 + 6)/49, observed 42/49.
    let hi = &c["by_language"]["hi"]["judge"];
    assert!(close(num(&hi["agreement"]), 6.0 / 7.0), "{hi}");
    assert!(close(num(&hi["kappa"]), 16.0 / 23.0), "{hi}");
    assert!(close(num(&hi["bias"]), 1.0 / 7.0), "{hi}");
    assert!(
        close(num(&hi["balanced_f1"]), (8.0 / 9.0 + 4.0 / 5.0) / 2.0),
        "{hi}"
    );
    // Tamil (items 4–6): TP 3, FP 2, FN 1, TN 0 over 6 pairs; met-rates 5/6 and 4/6, chance
    // (20 + 2)/36, observed 18/36; F1 met 6/9, F1 not met 0.
    let ta = &c["by_language"]["ta"]["judge"];
    assert!(close(num(&ta["agreement"]), 0.5), "{ta}");
    assert!(close(num(&ta["kappa"]), -4.0 / 14.0), "{ta}");
    assert!(close(num(&ta["bias"]), 1.0 / 6.0), "{ta}");
    assert!(
        close(num(&ta["balanced_f1"]), (2.0 / 3.0 + 0.0) / 2.0),
        "{ta}"
    );
    // Bengali (items 7 and 9; 8 undecided): TP 0, FP 0, FN 1, TN 2 over 3 pairs; the judge never
    // says met, so agreement 2/3 is exactly chance: kappa 0. F1 met 0, F1 not met 4/5.
    let bn = &c["by_language"]["bn"];
    assert_eq!(bn["undecided"], 1);
    assert_eq!(bn["judge"]["items"], 2);
    assert!(close(num(&bn["judge"]["agreement"]), 2.0 / 3.0), "{bn}");
    assert!(close(num(&bn["judge"]["kappa"]), 0.0), "{bn}");
    assert!(close(num(&bn["judge"]["bias"]), -1.0 / 3.0), "{bn}");
    assert!(close(num(&bn["judge"]["balanced_f1"]), 2.0 / 5.0), "{bn}");

    // The output says what was left out and why.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("judge model judge-cal, per-criterion")
            && stdout.contains("1 undecided by the judge (left out)"),
        "{first}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("labels.jsonl:8: question `t-002`, criterion `c4`")
            && stderr.contains("unusable 2 times"),
        "{first}"
    );
    let md = std::fs::read_to_string(d.join("cal/calibration.md")).unwrap();
    assert!(md.contains("1 item(s) undecided"), "{md}");

    // Saved verdicts: one line per item, in order, with the scripted decisions; the key the
    // server echoed is redacted.
    let saved = jsonl(&d.join("saved/verdicts.jsonl"));
    let met: Vec<Value> = saved.iter().map(|v| v["met"].clone()).collect();
    let want: Vec<Value> = ITEMS
        .iter()
        .map(|it| match it.4 {
            Reply::Plain(m) | Reply::Fenced(m) | Reply::Echo(m) => json!(m),
            Reply::Unusable => Value::Null,
        })
        .collect();
    assert_eq!(met, want);
    assert_eq!(saved[2]["explanation"], "fenced");
    assert_eq!(
        saved[5]["explanation"],
        "request came with Bearer [REDACTED]"
    );
    assert!(saved[7]["error"]
        .as_str()
        .unwrap_or("")
        .contains("[REDACTED]"));

    // A rerun is served from the cache: the eight decided items send nothing; only the unusable
    // reply (never cached) is asked again, 2 more requests with the same body as before.
    let unusable_hash = log
        .iter()
        .find(|l| l.attempt == 2)
        .map(|l| l.body_hash.clone())
        .unwrap();
    let again = calibrate(d, &server, &["--format", "json", "--out", "cal2"]);
    let second = text(&again);
    assert_eq!(again.status.code(), Some(0), "{second}");
    let new: Vec<_> = server.log().into_iter().skip(10).collect();
    assert_eq!(new.len(), 2, "{second}");
    assert!(new.iter().all(|l| l.body_hash == unusable_hash));
    assert!(
        second.contains("2 request(s) sent, 0 retried, 8 from the cache"),
        "{second}"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("cal/calibration.json")).unwrap(),
        std::fs::read_to_string(d.join("cal2/calibration.json")).unwrap()
    );

    // The saved verdicts score the same calibration with no judge at all.
    let before = server.requests();
    let mut c3 = kasauti_cmd();
    let rescored = c3
        .current_dir(d)
        .args([
            "calibrate",
            "--labels",
            "labels.jsonl",
            "--questions",
            "questions.jsonl",
            "--verdicts",
            "saved/verdicts.jsonl",
            "--format",
            "json",
            "--out",
            "cal3",
        ])
        .output()
        .unwrap();
    assert_eq!(rescored.status.code(), Some(0), "{}", text(&rescored));
    assert_eq!(server.requests(), before);
    let mut c3 = read_json(&d.join("cal3/calibration.json"));
    let mut c1 = c.clone();
    c3["judge"] = Value::Null;
    c1["judge"] = Value::Null;
    assert_eq!(c1, c3);

    // The key appears in no output and no file.
    for t in [&first, &second, &text(&rescored)] {
        assert!(!t.contains(KEY), "the key leaked:\n{t}");
    }
    let mut files = Vec::new();
    files_under(d, &mut files);
    assert!(files.iter().any(|p| p.starts_with(d.join("cache"))));
    for p in files {
        let bytes = std::fs::read(&p).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(KEY),
            "the key leaked into {}",
            p.display()
        );
    }
}

#[test]
fn batched_mode_asks_once_per_answer_about_its_whole_rubric() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    setup(d);
    let server = TestServer::start(std::time::Duration::ZERO, 2, judge_script());
    let out = calibrate(
        d,
        &server,
        &[
            "--judge-mode",
            "batched",
            "--format",
            "json",
            "--out",
            "cal",
            "--save-verdicts",
            "v.jsonl",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // Six distinct answers, one request each, each asking all four criteria (as grading does).
    assert_eq!(server.requests(), 6);
    let saved = jsonl(&d.join("v.jsonl"));
    let want: Vec<Value> = ITEMS
        .iter()
        .map(|it| match it.4 {
            Reply::Plain(m) | Reply::Fenced(m) | Reply::Echo(m) => json!(m),
            Reply::Unusable => json!(true),
        })
        .collect();
    assert_eq!(
        saved.iter().map(|v| v["met"].clone()).collect::<Vec<_>>(),
        want
    );
    let c = read_json(&d.join("cal/calibration.json"));
    assert_eq!(c["overall"]["undecided"], 0);
    // 16 pairs as above plus item 8's three.
    assert_eq!(c["overall"]["judge"]["pairs"], 19);
}
