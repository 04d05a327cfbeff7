//! Juries, repeated verdicts and gated judging end to end: the real binary against several
//! scripted judge servers that disagree, one of which fails for one juror only. Every expected
//! verdict, score and rate is worked out here from the scripts, by hand.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use serde_json::{json, Value};

const N: usize = 12;

/// A judge server: `verdict(i, s, id, attempt)` is its verdict on criterion `id` of answer
/// (i, s), or `None` for a reply that is not JSON. The answering model is the fault-free brain.
fn judge_server(
    verdict: impl Fn(usize, usize, &str, usize) -> Option<bool> + Send + Sync + 'static,
) -> TestServer {
    let script: Script = Arc::new(move |req: &Request, attempt: usize| {
        let body = req.json().unwrap_or(Value::Null);
        let model = body["model"].as_str().unwrap_or("").to_string();
        if !model.starts_with("judge") {
            return brain(req);
        }
        let Some((i, s, ids)) = judge_request(&body) else {
            return Action::json(
                400,
                json!({"error": {"message": "not a scripted judge prompt"}}),
            );
        };
        let per_criterion = body["messages"][0]["content"]
            .as_str()
            .is_some_and(|p| p.contains("<rubric_item"));
        let mut obj = serde_json::Map::new();
        for id in &ids {
            match verdict(i, s, id, attempt) {
                Some(met) => {
                    obj.insert(
                        id.clone(),
                        json!({"criteria_met": met, "explanation": format!("{model} on {id}")}),
                    );
                }
                None => {
                    return Action::json(200, completion(&model, "I would rather not say."))
                        .unusable()
                }
            }
        }
        let content = if per_criterion {
            obj.values()
                .next()
                .cloned()
                .unwrap_or(Value::Null)
                .to_string()
        } else {
            Value::Object(obj).to_string()
        };
        Action::json(200, completion(&model, &content))
    });
    TestServer::start(Duration::ZERO, 2, script)
}

fn word_of(id: &str) -> &'static str {
    CRITERIA.iter().find(|c| c.0 == id).map(|c| c.1).unwrap()
}

/// The truthful verdict.
fn truth(i: usize, s: usize, id: &str) -> bool {
    has_word(i, s, word_of(id))
}

fn lang(i: usize) -> &'static str {
    LANGS[i % 3]
}

fn common(questions: &Path, out: &Path) -> Vec<String> {
    [
        "--questions",
        questions.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--retry-base-ms",
        "5",
        "--judge-retries",
        "1",
        "--no-progress",
        "--format",
        "json,md",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// The arguments of a `run` of the scripted model at `base`, judged by `judge` (`llm`, `gated`,
/// …) with `jurors` as (model, base URL if not the model's own), then `extra`.
fn run_args(
    base: &str,
    judge: &str,
    jurors: &[(&str, Option<&str>)],
    extra: &[&str],
) -> Vec<String> {
    let mut args = vec![
        "run",
        "--model",
        "answerer",
        "--base-url",
        base,
        "--judge",
        judge,
    ];
    for (name, _) in jurors {
        args.extend(["--judge-model", name]);
    }
    for (_, url) in jurors {
        if let Some(url) = url {
            args.extend(["--judge-base-url", url]);
        }
    }
    args.extend(extra);
    args.into_iter().map(str::to_string).collect()
}

fn report(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap()
}

fn judge_requests(server: &TestServer) -> usize {
    server
        .log()
        .iter()
        .filter(|l| l.model.starts_with("judge"))
        .count()
}

/// Three jurors on three servers: `judge-a` truthful, `judge-b` lenient on c4 (always met),
/// `judge-c` truthful but answering garbage about Bengali answers until it is fixed. Majority
/// vote; then a rerun with `judge-c` fixed asks only it, and only where its vote is missing.
#[test]
fn a_jury_of_three_disagreeing_servers_with_one_failing_juror() {
    let tmp = tempfile::tempdir().unwrap();
    let questions = write_questions(tmp.path(), N);
    let a = judge_server(|i, s, id, _| Some(truth(i, s, id)));
    let b = judge_server(|i, s, id, _| Some(id == "c4" || truth(i, s, id)));
    let broken = Arc::new(AtomicBool::new(true));
    let flag = broken.clone();
    let c = judge_server(move |i, s, id, _| {
        (!(flag.load(Ordering::SeqCst) && lang(i) == "bn")).then(|| truth(i, s, id))
    });
    let out = tmp.path().join("run");
    let (ua, ub, uc) = (a.base_url(), b.base_url(), c.base_url());
    let mut args = run_args(
        &ua,
        "llm",
        &[
            ("judge-a", Some(&ua)),
            ("judge-b", Some(&ub)),
            ("judge-c", Some(&uc)),
        ],
        &["--no-cache"],
    );
    args.extend(common(&questions, &out));
    let o = kasauti_cmd().args(&args).output().unwrap();
    // Bengali answers without `delta`: a says not met, b met, c nothing: undecided.
    let undecided = |i: usize| lang(i) == "bn" && !truth(i, 0, "c4");
    let expect_incomplete = (0..N).filter(|&i| undecided(i)).count();
    assert!(
        expect_incomplete > 0,
        "the script must leave some undecided"
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "incomplete grades: exit 1\n{}",
        text(&o)
    );
    let grades = jsonl(&out.join("grades.jsonl"));
    assert_eq!(grades.len(), N);
    for g in &grades {
        let i = index_of(g["question_id"].as_str().unwrap());
        assert_eq!(g["complete"], !undecided(i), "{g}");
        for c in g["criteria"].as_array().unwrap() {
            let id = c["id"].as_str().unwrap();
            assert_eq!(c["source"], "jury", "{c}");
            let votes = c["votes"].as_array().unwrap();
            let judges: Vec<&str> = votes.iter().map(|v| v["judge"].as_str().unwrap()).collect();
            assert_eq!(judges, ["judge-a", "judge-b", "judge-c"], "{c}");
            assert_eq!(votes[0]["met"], truth(i, 0, id));
            assert_eq!(votes[1]["met"], id == "c4" || truth(i, 0, id));
            if lang(i) == "bn" {
                assert!(votes[2]["met"].is_null(), "{c}");
                assert!(
                    votes[2]["error"].as_str().unwrap().contains("unusable"),
                    "{c}"
                );
            } else {
                assert_eq!(votes[2]["met"], truth(i, 0, id));
            }
            if undecided(i) && id == "c4" {
                assert!(c["met"].is_null(), "{c}");
            } else {
                // Two truthful jurors (or a and c against lenient b) carry the vote.
                assert_eq!(c["met"], truth(i, 0, id), "{c}");
            }
        }
        if !undecided(i) {
            let score = g["score"].as_f64().unwrap();
            assert!((score - expected_score(i, 0)).abs() < 1e-12, "{g}");
        }
    }
    // Split decisions and agreement, by hand: outside Bengali, c4 of an answer without `delta`
    // splits (b says met), and b disagrees with the jury there; in Bengali nothing decided
    // splits (c did not vote, a and b agree wherever the jury decided).
    let r = report(&out);
    let j = &r["judging"];
    for l in LANGS {
        let qs: Vec<usize> = (0..N).filter(|&i| lang(i) == l).collect();
        let absent = qs.iter().filter(|&&i| !truth(i, 0, "c4")).count() as u64;
        let g = &j["by_language"][l];
        let decided = if l == "bn" {
            4 * qs.len() as u64 - absent
        } else {
            4 * qs.len() as u64
        };
        let split = if l == "bn" { 0 } else { absent };
        assert_eq!(g["split"]["of"], decided, "{l}: {g}");
        assert_eq!(g["split"]["count"], split, "{l}: {g}");
        assert_eq!(g["agreement"]["judge-a"]["count"], decided, "{l}");
        assert_eq!(g["agreement"]["judge-b"]["count"], decided - split, "{l}");
        let c_of = if l == "bn" { 0 } else { decided };
        if c_of > 0 {
            assert_eq!(g["agreement"]["judge-c"]["of"], c_of, "{l}");
        }
    }
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("## Judging") && md.contains("agreement: judge-b"),
        "{md}"
    );
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["settings"]["results"]["judge_model"],
        json!(["judge-a", "judge-b", "judge-c"])
    );
    assert_eq!(manifest["settings"]["results"]["jury_vote"], "majority");

    // The rerun: judge-c answers now; the votes kept in the incomplete grade lines are reused,
    // so only judge-c is asked, once per criterion of each incomplete answer (no cache).
    broken.store(false, Ordering::SeqCst);
    let (before_a, before_b, before_c) =
        (judge_requests(&a), judge_requests(&b), judge_requests(&c));
    let o2 = kasauti_cmd().args(&args).output().unwrap();
    assert_eq!(o2.status.code(), Some(0), "{}", text(&o2));
    assert_eq!(judge_requests(&a), before_a, "judge-a had answered");
    assert_eq!(judge_requests(&b), before_b, "judge-b had answered");
    assert_eq!(
        judge_requests(&c) - before_c,
        4 * expect_incomplete,
        "judge-c asked about the incomplete answers only"
    );
    let grades = jsonl(&out.join("grades.jsonl"));
    assert_eq!(grades.len(), N);
    for g in &grades {
        let i = index_of(g["question_id"].as_str().unwrap());
        assert_eq!(g["complete"], true, "{g}");
        let score = g["score"].as_f64().unwrap();
        assert!((score - expected_score(i, 0)).abs() < 1e-12, "{g}");
    }

    // Unanimity: b's leniency no longer matters where a and c say not met, and a criterion is met
    // only when all three say so.
    let out3 = tmp.path().join("unanimous");
    let mut args3 = args.clone();
    let pos = args3.iter().position(|s| s == "--out").unwrap();
    args3[pos + 1] = out3.to_str().unwrap().into();
    args3.extend(["--jury-vote".into(), "unanimous".into()]);
    let o3 = kasauti_cmd().args(&args3).output().unwrap();
    assert_eq!(o3.status.code(), Some(0), "{}", text(&o3));
    for g in jsonl(&out3.join("grades.jsonl")) {
        let i = index_of(g["question_id"].as_str().unwrap());
        for c in g["criteria"].as_array().unwrap() {
            let id = c["id"].as_str().unwrap();
            assert_eq!(c["met"], truth(i, 0, id), "{c}");
        }
    }
}

/// One juror asked three times, batched: the second reply to each identical request flips c1.
/// The majority is the truth, the votes keep all three samples, the flip rate is c1's share, and
/// a rerun is served from the cache (each sample its own entry).
#[test]
fn repeated_verdicts_take_the_majority_and_report_flips() {
    let tmp = tempfile::tempdir().unwrap();
    let questions = write_questions(tmp.path(), N);
    let server = judge_server(|i, s, id, attempt| {
        let t = truth(i, s, id);
        Some(if attempt == 2 && id == "c1" { !t } else { t })
    });
    let out = tmp.path().join("run");
    let cache = tmp.path().join("cache");
    let mut args = run_args(
        &server.base_url(),
        "llm",
        &[("judge", None)],
        &[
            "--judge-mode",
            "batched",
            "--judge-samples",
            "3",
            "--cache-dir",
            cache.to_str().unwrap(),
        ],
    );
    args.extend(common(&questions, &out));
    let o = kasauti_cmd().args(&args).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        judge_requests(&server),
        3 * N,
        "one batched request per sample"
    );
    for l in server.log().iter().filter(|l| l.model == "judge") {
        assert!(l.success);
    }
    for g in jsonl(&out.join("grades.jsonl")) {
        let i = index_of(g["question_id"].as_str().unwrap());
        assert!((g["score"].as_f64().unwrap() - expected_score(i, 0)).abs() < 1e-12);
        for c in g["criteria"].as_array().unwrap() {
            let id = c["id"].as_str().unwrap();
            assert_eq!(c["source"], "judge:judge");
            assert_eq!(c["met"], truth(i, 0, id));
            let samples: Vec<u64> = c["votes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["sample"].as_u64().unwrap())
                .collect();
            let mut sorted = samples.clone();
            sorted.sort();
            assert_eq!(sorted, [0, 1, 2], "{c}");
            let flipped = c["votes"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|v| v["met"] != truth(i, 0, id))
                .count();
            assert_eq!(flipped, usize::from(id == "c1"), "{c}");
        }
    }
    let j = &report(&out)["judging"];
    for l in LANGS {
        let n = (0..N).filter(|&i| lang(i) == l).count() as u64;
        assert_eq!(j["by_language"][l]["flips"]["count"], n, "{l}");
        assert_eq!(j["by_language"][l]["flips"]["of"], 4 * n, "{l}");
        assert_eq!(j["by_language"][l]["flips"]["rate"], 0.25, "{l}");
    }
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("flip rate 25.0%"),
        "{}",
        text(&o)
    );
    // Each request carried the repeated-verdict temperature.
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(m["settings"]["results"]["judge_samples"], 3);
    assert_eq!(m["settings"]["results"]["judge_temperature"], 0.7);
    // The same run in a new folder: every sample from the cache.
    let before = server.requests();
    let out2 = tmp.path().join("again");
    let pos = args.iter().position(|s| s == "--out").unwrap();
    args[pos + 1] = out2.to_str().unwrap().into();
    let o2 = kasauti_cmd().args(&args).output().unwrap();
    assert_eq!(o2.status.code(), Some(0), "{}", text(&o2));
    assert_eq!(server.requests(), before, "all cached, samples apart");
}

/// Gated judging asks about a checked criterion only when its check is met: c2's check
/// (`mentions beta`) fails on answers without `beta`, which are then not met with no call.
/// The calls saved are in run.json and the report, and a dry run counts jurors and samples.
#[test]
fn gated_judging_saves_the_calls_its_checks_decide() {
    let tmp = tempfile::tempdir().unwrap();
    let questions = write_questions(tmp.path(), N);
    // A lenient judge says met for everything: only the gate can make c2 not met.
    let server = judge_server(|_, _, _, _| Some(true));
    let without_beta = (0..N).filter(|&i| !has_word(i, 0, "beta")).count();
    assert!(without_beta > 0);
    let mut counts = Vec::new();
    for kind in ["llm", "hybrid", "gated"] {
        let out = tmp.path().join(kind);
        let before = judge_requests(&server);
        let mut args = run_args(
            &server.base_url(),
            kind,
            &[("judge", None)],
            &["--no-cache"],
        );
        args.extend(common(&questions, &out));
        let o = kasauti_cmd().args(&args).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{kind}: {}", text(&o));
        counts.push(judge_requests(&server) - before);
        if kind == "gated" {
            let m: Value =
                serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap())
                    .unwrap();
            assert_eq!(m["counts"]["judge_calls_saved"], without_beta as u64);
            assert_eq!(
                report(&out)["judging"]["calls_saved"]["answerer"],
                without_beta as u64
            );
            assert!(
                String::from_utf8_lossy(&o.stderr)
                    .contains(&format!("the gates saved {without_beta} judge call(s)")),
                "{}",
                text(&o)
            );
            for g in jsonl(&out.join("grades.jsonl")) {
                let i = index_of(g["question_id"].as_str().unwrap());
                let c2 = &g["criteria"][1];
                if has_word(i, 0, "beta") {
                    assert_eq!(c2["source"], "judge:judge", "{c2}");
                    assert_eq!(c2["met"], true);
                } else {
                    assert_eq!(c2["source"], "rule", "{c2}");
                    assert_eq!(c2["met"], false);
                    assert!(c2["explanation"].as_str().unwrap().starts_with("gate:"));
                }
            }
        }
    }
    // llm asks about all four criteria, hybrid about the three without a check, gated about
    // those three and c2 where the check passes.
    assert_eq!(counts, [4 * N, 3 * N, 4 * N - without_beta]);

    // A dry run of a jury of two, three samples each: every judge request times six.
    let o = kasauti_cmd()
        .args(run_args(
            &server.base_url(),
            "llm",
            &[("judge-x", None), ("judge-y", None)],
            &["--judge-samples", "3", "--dry-run", "--questions"],
        ))
        .arg(&questions)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!("{} judge requests", 4 * N * 6)),
        "{err}"
    );
}

/// A judge reply cut off by the token limit is reported as such, naming the flag, and not asked
/// again; a model judging its own answers is named in the report.
#[test]
fn cut_off_replies_and_self_judging() {
    let tmp = tempfile::tempdir().unwrap();
    let questions = write_questions(tmp.path(), 3);
    let script: Script = Arc::new(|req: &Request, _| {
        let body = req.json().unwrap_or(Value::Null);
        let model = body["model"].as_str().unwrap_or("");
        if model == "judge" {
            let mut c = completion(
                "judge",
                r#"{"criteria_met": true, "explanation": "the reply na"#,
            );
            c["choices"][0]["finish_reason"] = json!("length");
            return Action::json(200, c).unusable();
        }
        brain(req)
    });
    let server = TestServer::start(Duration::ZERO, 2, script);
    let out = tmp.path().join("cut");
    let mut args = run_args(
        &server.base_url(),
        "llm",
        &[("judge", None)],
        &["--judge-mode", "batched", "--no-cache"],
    );
    args.extend(common(&questions, &out));
    let o = kasauti_cmd().args(&args).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(
        judge_requests(&server),
        3,
        "cut off once each, not asked again"
    );
    for g in jsonl(&out.join("grades.jsonl")) {
        for c in g["criteria"].as_array().unwrap() {
            let e = c["error"].as_str().unwrap();
            assert!(
                e.contains("cut off by the token limit")
                    && e.contains("finish_reason: length")
                    && e.contains("--judge-max-tokens"),
                "{e}"
            );
        }
    }

    // Self-judging: answers recorded under the judge's own name.
    let answers = tmp.path().join("answers.jsonl");
    let lines: Vec<String> = (0..3)
        .map(|i| {
            json!({"question_id": qid(i), "model": "judge-self", "answer": answer_text(i, 0)})
                .to_string()
        })
        .collect();
    std::fs::write(&answers, lines.join("\n")).unwrap();
    let a = judge_server(|i, s, id, _| Some(truth(i, s, id)));
    let out2 = tmp.path().join("self");
    let o2 = kasauti_cmd()
        .args(["grade", "--answers"])
        .arg(&answers)
        .args([
            "--judge",
            "llm",
            "--judge-model",
            "judge-self",
            "--judge-base-url",
        ])
        .arg(a.base_url())
        .arg("--no-cache")
        .args(common(&questions, &out2))
        .output()
        .unwrap();
    assert_eq!(o2.status.code(), Some(0), "{}", text(&o2));
    assert_eq!(
        report(&out2)["judging"]["self_judging"],
        json!(["judge-self"])
    );
    let md = std::fs::read_to_string(out2.join("report.md")).unwrap();
    assert!(md.contains("self-judging: judge-self"), "{md}");
}

/// `calibrate` with two jurors scores the jury and each juror against the labels: the truthful
/// juror agrees with truthful labels everywhere, the lenient one misses where c4 is absent.
#[test]
fn calibrate_scores_the_jury_and_each_juror() {
    let tmp = tempfile::tempdir().unwrap();
    let questions = write_questions(tmp.path(), N);
    let a = judge_server(|i, s, id, _| Some(truth(i, s, id)));
    let b = judge_server(|i, s, id, _| Some(id == "c4" || truth(i, s, id)));
    let labels = tmp.path().join("labels.jsonl");
    let mut lines = Vec::new();
    for i in 0..N {
        for (id, ..) in CRITERIA {
            lines.push(
                json!({"question_id": qid(i), "answer": answer_text(i, 0), "criterion_id": id,
                       "labels": [truth(i, 0, id)]})
                .to_string(),
            );
        }
    }
    std::fs::write(&labels, lines.join("\n")).unwrap();
    let o = kasauti_cmd()
        .args(["calibrate", "--labels"])
        .arg(&labels)
        .args(["--judge-model", "judge-a", "--judge-model", "judge-b"])
        .args([
            "--judge-base-url",
            &a.base_url(),
            "--judge-base-url",
            &b.base_url(),
        ])
        .args(["--no-cache", "--format", "json", "--out"])
        .arg(tmp.path())
        .arg("--questions")
        .arg(&questions)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let cal: Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("calibration.json")).unwrap(),
    )
    .unwrap();
    let items = (N * 4) as f64;
    let absent = (0..N).filter(|&i| !truth(i, 0, "c4")).count() as f64;
    // Two jurors, majority: met only when both say so, which is the truth here.
    assert_eq!(cal["overall"]["judge"]["agreement"], 1.0, "{cal}");
    let jurors = cal["jurors"].as_array().unwrap();
    assert_eq!(jurors.len(), 2);
    assert_eq!(jurors[0]["judge"], "juror judge-a");
    assert_eq!(jurors[0]["overall"]["judge"]["agreement"], 1.0);
    assert_eq!(jurors[1]["judge"], "juror judge-b");
    let agreement = jurors[1]["overall"]["judge"]["agreement"].as_f64().unwrap();
    assert!(
        (agreement - (items - absent) / items).abs() < 1e-12,
        "{agreement}"
    );
}

/// Every file under `dir`, recursively.
fn all_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            all_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Two jurors with keys of their own: each server gets its juror's key and no other, and
/// neither key is written to any file of the run or the cache, nor printed, even when the
/// servers echo the Authorization header back in replies and errors.
#[test]
fn each_juror_gets_its_own_key_and_no_key_is_written() {
    const KEY_A: &str = "sk-juror-A-secret-91c2";
    const KEY_B: &str = "sk-juror-B-secret-5d7e";
    let tmp = tempfile::tempdir().unwrap();
    let questions = write_questions(tmp.path(), 4);
    let echo = |name: &'static str| -> TestServer {
        let script: Script = Arc::new(move |req: &Request, _| {
            let auth = req.header("authorization").unwrap_or("").to_string();
            let body = req.json().unwrap_or(Value::Null);
            if body["model"] == name {
                if let Some((i, s, ids)) = judge_request(&body) {
                    let v = json!({"criteria_met": truth(i, s, &ids[0]),
                        "explanation": format!("checked with {auth}")});
                    if i == 1 {
                        return Action::json(
                            500,
                            json!({"error": {"message": format!("crashed holding {auth}")}}),
                        );
                    }
                    return Action::json(200, completion(name, &v.to_string()));
                }
            }
            brain(req)
        });
        TestServer::start(Duration::ZERO, 2, script)
    };
    let a = echo("judge-a");
    let b = echo("judge-b");
    let out = tmp.path().join("run");
    let cache = tmp.path().join("cache");
    let (ua, ub) = (a.base_url(), b.base_url());
    let mut args = run_args(
        &ua,
        "llm",
        &[("judge-a", Some(&ua)), ("judge-b", Some(&ub))],
        &[
            "--judge-api-key-env",
            "JUROR_A_KEY",
            "--judge-api-key-env",
            "JUROR_B_KEY",
            "--cache-dir",
            cache.to_str().unwrap(),
            "--max-retries",
            "0",
        ],
    );
    args.extend(common(&questions, &out));
    let o = kasauti_cmd()
        .args(&args)
        .env("JUROR_A_KEY", KEY_A)
        .env("JUROR_B_KEY", KEY_B)
        .output()
        .unwrap();
    // Answer 1's judge requests fail: incomplete grades, exit 1.
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    // Each server saw its juror's key on judge requests, never the other's.
    for (server, name, key, other) in [(&a, "judge-a", KEY_A, KEY_B), (&b, "judge-b", KEY_B, KEY_A)]
    {
        let log = server.log();
        assert!(log.iter().any(|l| l.model == name));
        for l in log.iter().filter(|l| l.model == name) {
            assert_eq!(
                l.authorization.as_deref(),
                Some(format!("Bearer {key}").as_str())
            );
        }
        assert!(log
            .iter()
            .all(|l| !l.authorization.as_deref().unwrap_or("").contains(other)));
    }
    let mut files = Vec::new();
    all_files(&out, &mut files);
    all_files(&cache, &mut files);
    assert!(files.len() > 3);
    let mut redacted = 0;
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let s = String::from_utf8_lossy(&bytes);
        assert!(
            !s.contains(KEY_A) && !s.contains(KEY_B),
            "{} holds a key",
            f.display()
        );
        redacted += s.matches("Bearer [REDACTED]").count();
    }
    // The echoed headers were kept, with the key replaced.
    assert!(redacted > 0);
    let printed = text(&o);
    assert!(
        !printed.contains(KEY_A) && !printed.contains(KEY_B),
        "{printed}"
    );
}
