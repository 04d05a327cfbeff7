//! Live evaluation end to end: the real binary against the scripted test server.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

fn base_args(server: &TestServer, questions: &Path, out: &Path, cache: &Path) -> Vec<String> {
    [
        "run",
        "--model",
        "answerer",
        "--base-url",
        &server.base_url(),
        "--judge-model",
        "judge",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain(live_args(questions, out, cache))
    .collect()
}

fn report_overall(dir: &Path, model: &str) -> Value {
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    r["models"][model].clone()
}

/// Mean of per-answer scores, clipped (SPEC §4), computed by hand.
fn mean_clipped(scores: &[f64]) -> f64 {
    (scores.iter().sum::<f64>() / scores.len() as f64).clamp(0.0, 1.0)
}

#[test]
fn faults_end_in_answers_grades_or_explicit_failures() {
    let tmp = tempfile::tempdir().unwrap();
    let questions = write_questions(tmp.path(), 15);
    let script: Script = Arc::new(|req: &Request, attempt: usize| {
        let body = req.json().unwrap_or(Value::Null);
        let model = body["model"].as_str().unwrap_or("");
        if model == "answerer" {
            let i = question_of(&body).unwrap_or(999);
            match (i, attempt) {
                (0, 1) => {
                    return Action::json(429, json!({"error": {"message": "slow down"}}))
                        .with_header("retry-after", "0")
                }
                (1, 1) => return Action::json(500, json!({"error": {"message": "boom"}})),
                (1, 2) => return Action::json(503, json!({"error": "unavailable"})),
                (2, 1) => return Action::Reset,
                (3, 1) => return Action::Stall(Duration::from_secs(3)),
                (4, 1) => {
                    return Action::Truncate {
                        status: 200,
                        body: completion("answerer", &answer_text(4, 0)).to_string(),
                        keep: 40,
                    }
                }
                (5, 1) => {
                    return Action::Reply {
                        status: 200,
                        headers: vec![],
                        body: "<html>gateway hiccup</html>".into(),
                    }
                    .unusable()
                }
                (6, _) => {
                    return Action::json(
                        400,
                        json!({"error": {"message": "context length exceeded for this model"}}),
                    )
                }
                (7, 1) => return Action::json(502, json!({})),
                (7, 2) => return Action::json(504, json!({})),
                (7, 3) => return Action::json(408, json!({})),
                _ => {}
            }
        } else if let Some((i, s, ids)) = judge_request(&body) {
            let id = ids[0].as_str();
            let v = verdict_for(i, s, id);
            match (i, id, attempt) {
                (8, "c1", _) => {
                    return Action::json(200, completion("judge", &format!("```json\n{v}\n```")))
                }
                (9, "c1", _) => {
                    return Action::json(
                        200,
                        completion(
                            "judge",
                            &format!("Let me look. My verdict: {v} That is all."),
                        ),
                    )
                }
                (10, "c4", 1) | (11, "c4", _) => {
                    return Action::json(
                        200,
                        completion("judge", r#"{"met": "yes", "why": "it does"}"#),
                    )
                    .unusable()
                }
                (12, "c3", 1) => return Action::json(500, json!({"error": "judge hiccup"})),
                _ => {}
            }
        }
        brain(req)
    });
    let server = TestServer::start(Duration::ZERO, 2, script);
    let out = tmp.path().join("run");
    let cache = tmp.path().join("cache");
    let mut args = base_args(&server, &questions, &out, &cache);
    args.extend(["--samples", "2", "--timeout", "0.5", "--concurrency", "8"].map(String::from));
    let o = kasauti_cmd().args(&args).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "failed items give exit 1\n{}",
        text(&o)
    );

    // Every item ends answered or explicitly failed, once.
    let answers = jsonl(&out.join("answers.jsonl"));
    assert_eq!(answers.len(), 30, "{}", text(&o));
    let keys: HashSet<_> = answers.iter().map(key).collect();
    assert_eq!(keys.len(), 30);
    for a in &answers {
        let i = index_of(a["question_id"].as_str().unwrap());
        let s = a["sample"].as_u64().unwrap() as usize;
        // Every field of SPEC §6 is present.
        for f in [
            "model",
            "question_id",
            "sample",
            "answer",
            "finish_reason",
            "usage",
            "latency_ms",
            "error",
        ] {
            assert!(a.get(f).is_some(), "field {f} missing in {a}");
        }
        if i == 6 {
            assert!(a["answer"].is_null());
            let e = a["error"].as_str().unwrap();
            assert!(
                e.contains("HTTP 400") && e.contains("context length exceeded"),
                "{e}"
            );
        } else {
            assert_eq!(
                a["answer"].as_str(),
                Some(answer_text(i, s).as_str()),
                "{a}"
            );
            assert!(a["error"].is_null());
            assert_eq!(a["finish_reason"], "stop");
            assert!(a["usage"]["prompt_tokens"].as_u64().is_some());
        }
    }

    // Every answered item is graded; scores equal the fault-free expectation except where the
    // judge never gave a usable reply, which is a null verdict with its reason.
    let grades = jsonl(&out.join("grades.jsonl"));
    assert_eq!(grades.len(), 28);
    let mut complete_scores = Vec::new();
    for g in &grades {
        let i = index_of(g["question_id"].as_str().unwrap());
        let s = g["sample"].as_u64().unwrap() as usize;
        let crit = g["criteria"].as_array().unwrap();
        assert_eq!(crit[1]["source"], "rule", "hybrid: c2 has a check");
        for c in [&crit[0], &crit[2], &crit[3]] {
            assert_eq!(c["source"], "judge:judge");
        }
        if i == 11 {
            assert_eq!(g["complete"], false);
            assert!(crit[3]["met"].is_null());
            let e = crit[3]["error"].as_str().unwrap();
            assert!(
                e.contains("unusable 4 times") && e.contains("criteria_met"),
                "{e}"
            );
        } else {
            assert_eq!(g["complete"], true, "{g}");
            let got = g["score"].as_f64().unwrap();
            assert!((got - expected_score(i, s)).abs() < 1e-12, "{g}");
            complete_scores.push(expected_score(i, s));
        }
    }

    // Retries follow the policy, and nothing that succeeded was asked again.
    let log = server.log();
    let model_attempts = |i: usize, s: usize| -> usize {
        let h = model_hash(i, s);
        log.iter().filter(|l| l.body_hash == h).count()
    };
    assert_eq!(model_attempts(0, 0), 2, "429 then success");
    assert_eq!(model_attempts(1, 0), 3, "500, 503, success");
    assert_eq!(
        model_attempts(3, 0),
        2,
        "stall past the timeout, then success"
    );
    assert_eq!(model_attempts(6, 0), 1, "400 is not retried");
    assert_eq!(model_attempts(7, 1), 4, "502, 504, 408, success");
    let judge_c4_11: Vec<_> = log
        .iter()
        .filter(|l| l.model == "judge" && l.attempt == 4)
        .collect();
    assert_eq!(
        judge_c4_11.len(),
        2,
        "one body per sample of question 11 asked 1 + 3 times"
    );
    assert!(log.iter().all(|l| l.attempt <= 4));
    assert!(server.repeated_after_success().is_empty());

    // The report counts the failures and the incomplete grades and averages the rest.
    let m = report_overall(&out, "answerer");
    assert_eq!(m["coverage"]["failed"], 2);
    assert_eq!(m["coverage"]["incomplete"], 2);
    let overall = m["overall"]["score"].as_f64().unwrap();
    assert!(
        (overall - mean_clipped(&complete_scores)).abs() < 1e-9,
        "{overall}"
    );
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let t = &manifest["tokens"]["answerer"];
    assert_eq!(t["model"]["requests"], 28);
    assert_eq!(
        t["model"]["prompt"], 280,
        "10 prompt tokens per scripted reply"
    );
    assert!(t["judge"]["requests"].as_u64().unwrap() >= 28 * 3);

    // A rerun redoes exactly the failed item and the incomplete grades, and nothing else.
    let before = server.requests();
    let o = kasauti_cmd().args(&args).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let new: Vec<_> = server.log()[before..].to_vec();
    let from_6 = new.iter().filter(|l| l.model == "answerer").count();
    let from_11 = new.iter().filter(|l| l.model == "judge").count();
    assert_eq!(
        (from_6, from_11),
        (2, 8),
        "two 400s, and 2 × 4 unusable judge replies"
    );
    assert_eq!(jsonl(&out.join("answers.jsonl")).len(), 30);
    assert_eq!(jsonl(&out.join("grades.jsonl")).len(), 28);
}

/// The hash of the model request for question `i`, sample `s`, as the server saw it.
fn model_hash(i: usize, s: usize) -> String {
    let body = json!({"model": "answerer", "messages": [{"role": "user",
        "content": prompt_text(i)}], "seed": s});
    let req = Request {
        method: "POST".into(),
        path: "/v1/chat/completions".into(),
        headers: vec![],
        body: serde_json::to_vec(&body).unwrap(),
    };
    req.body_hash()
}

#[test]
fn kill_and_resume_gives_the_uninterrupted_result() {
    let tmp = tempfile::tempdir().unwrap();
    let questions = write_questions(tmp.path(), 24);
    let server = TestServer::start(Duration::from_millis(60), 2, Arc::new(|r, _| brain(r)));
    let cache_a = tmp.path().join("cache-a");
    let cache_b = tmp.path().join("cache-b");
    let full = tmp.path().join("full");
    let killed = tmp.path().join("killed");

    {
        // The uninterrupted run, on a server of its own.
        let server = TestServer::start(Duration::from_millis(60), 2, Arc::new(|r, _| brain(r)));
        let o = kasauti_cmd()
            .args(base_args(&server, &questions, &full, &cache_a))
            .args(["--concurrency", "4"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }

    let args: Vec<String> = base_args(&server, &questions, &killed, &cache_b)
        .into_iter()
        .chain(["--concurrency".to_string(), "2".to_string()])
        .collect();
    let mut child = kasauti_cmd().args(&args).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let n = jsonl(&killed.join("grades.jsonl")).len();
        if n >= 4 {
            break;
        }
        assert!(Instant::now() < deadline, "the run made no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    let killed_at = Instant::now();
    child.wait().unwrap();
    let answered_at_kill = jsonl(&killed.join("answers.jsonl")).len();
    assert!(
        answered_at_kill < 24,
        "killed mid-run ({answered_at_kill} answered)"
    );

    let o = kasauti_cmd().args(&args).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for f in ["answers.jsonl", "grades.jsonl"] {
        let lines = jsonl(&killed.join(f));
        let keys: HashSet<_> = lines.iter().map(key).collect();
        assert_eq!(lines.len(), 24, "{f}");
        assert_eq!(keys.len(), 24, "{f}: one line per item");
    }
    let a = report_overall(&full, "answerer");
    let b = report_overall(&killed, "answerer");
    for k in ["overall", "macro_language", "by_language", "by_domain"] {
        assert_eq!(a[k], b[k], "{k}");
    }
    let expected: Vec<f64> = (0..24).map(|i| expected_score(i, 0)).collect();
    let overall = a["overall"]["score"].as_f64().unwrap();
    assert!((overall - mean_clipped(&expected)).abs() < 1e-9);

    // A rerun of a finished run makes no request at all.
    let before = server.requests();
    let o = kasauti_cmd().args(&args).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(server.requests(), before);
    // Only replies that were on their way when the process died were asked again.
    for (first, again) in server.repeated_after_success() {
        assert!(
            first.at + Duration::from_millis(500) > killed_at && again.at > killed_at,
            "{again:?} repeats a success long before the kill"
        );
    }
}

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn the_api_key_appears_nowhere() {
    const KEY: &str = "sk-test-SECRET-4f9a7c1e0b2d";
    let tmp = tempfile::tempdir().unwrap();
    let questions = write_questions(tmp.path(), 6);
    // The server echoes the Authorization header in its error bodies (and a judge reply).
    let script: Script = Arc::new(|req: &Request, attempt: usize| {
        let auth = req.header("authorization").unwrap_or("").to_string();
        let body = req.json().unwrap_or(Value::Null);
        if body["model"] == "answerer" {
            match (question_of(&body), attempt) {
                (Some(0), _) => {
                    return Action::json(
                        400,
                        json!({"error": {"message": format!("bad request from {auth}")}}),
                    )
                }
                (Some(1), 1) => {
                    return Action::json(
                        500,
                        json!({"error": {"message": format!("crash; header was {auth}")}}),
                    )
                }
                _ => {}
            }
        }
        if let Some((2, s, ids)) = judge_request(&body) {
            if ids[0] == "c1" && attempt == 1 {
                return Action::json(
                    200,
                    completion("judge", &format!("key {auth} {}", verdict_for(2, s, "c1"))),
                );
            }
        }
        brain(req)
    });
    let server = TestServer::start(Duration::ZERO, 2, script);
    let out = tmp.path().join("run");
    let cache = tmp.path().join("cache");
    let o = kasauti_cmd()
        .args(base_args(&server, &questions, &out, &cache))
        .args(["--api-key-env", "MY_TEST_KEY"])
        .env("MY_TEST_KEY", KEY)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    // The key was really sent, as a bearer token.
    assert!(server
        .log()
        .iter()
        .all(|l| l.authorization.as_deref() == Some(&format!("Bearer {KEY}"))));
    let answers = jsonl(&out.join("answers.jsonl"));
    let failed = answers
        .iter()
        .find(|a| a["question_id"] == "t-000")
        .unwrap();
    assert!(failed["error"]
        .as_str()
        .unwrap()
        .contains("bad request from Bearer [REDACTED]"));

    // A refused key stops the run with exit 2 and a clear message, still without the key.
    let deny = TestServer::start(
        Duration::ZERO,
        1,
        Arc::new(|req: &Request, _| {
            let auth = req.header("authorization").unwrap_or("").to_string();
            Action::json(
                401,
                json!({"error": {"message": format!("Incorrect API key provided: {auth}")}}),
            )
        }),
    );
    let out2 = tmp.path().join("run2");
    let o2 = kasauti_cmd()
        .args(base_args(&deny, &questions, &out2, &cache))
        .args(["--api-key-env", "MY_TEST_KEY"])
        .env("MY_TEST_KEY", KEY)
        .output()
        .unwrap();
    assert_eq!(o2.status.code(), Some(2), "{}", text(&o2));
    let err = String::from_utf8_lossy(&o2.stderr);
    assert!(
        err.contains("refused the credentials (HTTP 401)") && err.contains("MY_TEST_KEY"),
        "{err}"
    );
    assert!(
        deny.requests() <= 16,
        "stopped at once, not retried ({})",
        deny.requests()
    );

    let mut files = Vec::new();
    for d in [&out, &out2, &cache] {
        files_under(d, &mut files);
    }
    assert!(files.len() > 10);
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("SECRET-4f9a"),
            "the key leaked into {}",
            f.display()
        );
    }
    for o in [&o, &o2] {
        assert!(
            !text(o).contains("SECRET-4f9a"),
            "the key leaked into the output"
        );
    }
}

#[test]
fn changed_settings_are_refused_and_operational_ones_are_not() {
    let tmp = tempfile::tempdir().unwrap();
    let questions = write_questions(tmp.path(), 4);
    let server = TestServer::start(Duration::ZERO, 1, Arc::new(|r, _| brain(r)));
    let out = tmp.path().join("run");
    let cache = tmp.path().join("cache");
    let args = base_args(&server, &questions, &out, &cache);
    let o = kasauti_cmd()
        .args(&args)
        .args(["--temperature", "0.2"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = kasauti_cmd()
        .args(&args)
        .args(["--temperature", "0.7"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("temperature (was 0.2, now 0.7)"), "{err}");
    let o = kasauti_cmd()
        .args(&args)
        .args(["--temperature", "0.2", "--judge-mode", "batched"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("judge_mode"));
    // Concurrency, timeouts and retries may change.
    let o = kasauti_cmd()
        .args(&args)
        .args([
            "--temperature",
            "0.2",
            "--concurrency",
            "3",
            "--timeout",
            "20",
            "--max-retries",
            "1",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // A custom judge template reaches the judge, and changing it is refused.
    let tpl = tmp.path().join("judge.txt");
    std::fs::write(
        &tpl,
        format!(
            "CUSTOM PREAMBLE\n{}",
            kasauti::judge::prompt::PER_CRITERION_TEMPLATE
        ),
    )
    .unwrap();
    // This server refuses judge prompts that are not from the custom template.
    let custom = TestServer::start(
        Duration::ZERO,
        1,
        Arc::new(|r: &Request, _| {
            let body = r.json().unwrap_or(Value::Null);
            let prompt = body.pointer("/messages/0/content").and_then(Value::as_str);
            if body["model"] == "judge" && !prompt.is_some_and(|p| p.starts_with("CUSTOM PREAMBLE"))
            {
                return Action::json(
                    400,
                    json!({"error": {"message": "not the custom template"}}),
                );
            }
            brain(r)
        }),
    );
    let out2 = tmp.path().join("run2");
    let args2 = base_args(&custom, &questions, &out2, &cache);
    let before = custom.requests();
    let o = kasauti_cmd()
        .args(&args2)
        .args(["--judge-template", tpl.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(custom.requests() > before);
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(out2.join("run.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["inputs"]["judge_template_sha256"]
            .as_str()
            .map(str::len),
        Some(64)
    );
    std::fs::write(
        &tpl,
        format!("OTHER\n{}", kasauti::judge::prompt::PER_CRITERION_TEMPLATE),
    )
    .unwrap();
    let o = kasauti_cmd()
        .args(&args2)
        .args(["--judge-template", tpl.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("judge template"));
    // Another question set is refused too.
    write_questions(tmp.path(), 5);
    let o = kasauti_cmd()
        .args(&args)
        .args(["--temperature", "0.2"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("question set"));
}

#[test]
fn dry_run_sends_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let questions = write_questions(tmp.path(), 5);
    let server = TestServer::start(Duration::ZERO, 1, Arc::new(|r, _| brain(r)));
    let out = tmp.path().join("run");
    let o = kasauti_cmd()
        .args(base_args(&server, &questions, &out, &tmp.path().join("c")))
        .args(["--dry-run", "--samples", "2", "--max-tokens", "100"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(server.requests(), 0);
    assert!(!out.exists(), "a dry run writes nothing");
    let stdout = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 10);
    assert!(lines[0].starts_with(&format!("POST {}/chat/completions {{", server.base_url())));
    let stderr = String::from_utf8_lossy(&o.stderr);
    // Hybrid: c1, c3, c4 go to the judge for each of the 10 answers.
    assert!(
        stderr.contains("10 model requests") && stderr.contains("at most 1000 completion tokens"),
        "{stderr}"
    );
    assert!(stderr.contains("30 judge requests"), "{stderr}");
}

#[test]
fn shards_cover_every_item_once_and_merge_to_the_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let questions = write_questions(tmp.path(), 18);
    let server = TestServer::start(Duration::ZERO, 2, Arc::new(|r, _| brain(r)));
    let cache = tmp.path().join("cache");
    let whole = tmp.path().join("whole");
    let o = kasauti_cmd()
        .args(base_args(&server, &questions, &whole, &cache))
        .args(["--samples", "2"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let mut seen = HashSet::new();
    let mut dirs = Vec::new();
    for k in 1..=3 {
        let d = tmp.path().join(format!("shard{k}"));
        let o = kasauti_cmd()
            .args(base_args(&server, &questions, &d, &cache))
            .args(["--samples", "2", "--shard", &format!("{k}/3")])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        for g in jsonl(&d.join("grades.jsonl")) {
            assert!(seen.insert(key(&g)), "item in two shards: {g}");
        }
        dirs.push(d);
    }
    assert_eq!(seen.len(), 36);
    let merged = tmp.path().join("merged");
    let o = kasauti_cmd()
        .arg("report")
        .args(&dirs)
        .args(["--out", merged.to_str().unwrap(), "--format", "json", "-q"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let a = report_overall(&whole, "answerer");
    let b = report_overall(&merged, "answerer");
    for k in ["overall", "macro_language", "by_language", "coverage"] {
        assert_eq!(a[k], b[k], "{k}");
    }
    // Tokens add up across shards.
    assert_eq!(
        a["tokens"]["model"]["prompt"],
        b["tokens"]["model"]["prompt"]
    );
}

#[test]
fn generate_then_grade_with_a_batched_llm_judge() {
    let tmp = tempfile::tempdir().unwrap();
    let questions = write_questions(tmp.path(), 9);
    let server = TestServer::start(Duration::ZERO, 2, Arc::new(|r, _| brain(r)));
    let gen = tmp.path().join("gen");
    let cache = tmp.path().join("cache");
    let o = kasauti_cmd()
        .args([
            "generate",
            "--model",
            "answerer",
            "--base-url",
            &server.base_url(),
            "--questions",
            questions.to_str().unwrap(),
            "--out",
            gen.to_str().unwrap(),
            "--cache-dir",
            cache.to_str().unwrap(),
            "--samples",
            "2",
            "--price-prompt",
            "2.5",
            "--price-completion",
            "10",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let answers = jsonl(&gen.join("answers.jsonl"));
    assert_eq!(answers.len(), 18);
    // Tokens and cost, summed by hand from the answer lines.
    let (p, c) = answers.iter().fold((0u64, 0u64), |(p, c), a| {
        (
            p + a["usage"]["prompt_tokens"].as_u64().unwrap(),
            c + a["usage"]["completion_tokens"].as_u64().unwrap(),
        )
    });
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(gen.join("run.json")).unwrap()).unwrap();
    let t = &manifest["tokens"]["answerer"]["model"];
    assert_eq!(
        (t["prompt"].as_u64(), t["completion"].as_u64()),
        (Some(p), Some(c))
    );
    let cost = (p as f64 * 2.5 + c as f64 * 10.0) / 1e6;
    assert!((t["cost"].as_f64().unwrap() - cost).abs() < 1e-12);
    assert!(!gen.join("grades.jsonl").exists());
    let graded = tmp.path().join("graded");
    let before = server.requests();
    let o = kasauti_cmd()
        .args([
            "grade",
            "--answers",
            gen.join("answers.jsonl").to_str().unwrap(),
            "--judge",
            "llm",
            "--judge-model",
            "judge",
            "--judge-mode",
            "batched",
            "--judge-base-url",
            &server.base_url(),
            "--judge-structured",
            "--questions",
            questions.to_str().unwrap(),
            "--out",
            graded.to_str().unwrap(),
            "--cache-dir",
            cache.to_str().unwrap(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let calls: Vec<_> = server.log()[before..].to_vec();
    assert_eq!(calls.len(), 18, "one judge call per answer in batched mode");
    let grades = jsonl(&graded.join("grades.jsonl"));
    assert_eq!(grades.len(), 18);
    for g in &grades {
        let i = index_of(g["question_id"].as_str().unwrap());
        let s = g["sample"].as_u64().unwrap() as usize;
        assert!((g["score"].as_f64().unwrap() - expected_score(i, s)).abs() < 1e-12);
        // llm: the judge decides every criterion, c2 included.
        assert!(g["criteria"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["source"] == "judge:judge"));
    }
}

#[test]
fn refusals_are_answers_and_null_content_is_a_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let questions = write_questions(tmp.path(), 3);
    let server = TestServer::start(
        Duration::ZERO,
        1,
        Arc::new(|req: &Request, _| {
            let body = req.json().unwrap_or(Value::Null);
            match question_of(&body) {
                Some(0) if body["model"] == "answerer" => Action::json(
                    200,
                    json!({"choices": [{"message":
                    {"role": "assistant", "content": null, "refusal": "I can't help with that."},
                    "finish_reason": "stop"}]}),
                ),
                Some(1) if body["model"] == "answerer" => Action::json(
                    200,
                    json!({"choices": [{"message":
                    {"role": "assistant", "content": null, "reasoning_content": "thinking…"},
                    "finish_reason": "length"}]}),
                )
                .unusable(),
                _ => brain(req),
            }
        }),
    );
    let out = tmp.path().join("run");
    let o = kasauti_cmd()
        .args(base_args(&server, &questions, &out, &tmp.path().join("c")))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let answers = jsonl(&out.join("answers.jsonl"));
    let by_q: HashMap<String, &Value> = answers
        .iter()
        .map(|a| (a["question_id"].as_str().unwrap().to_string(), a))
        .collect();
    assert_eq!(by_q["t-000"]["answer"], "I can't help with that.");
    assert_eq!(by_q["t-000"]["refusal"], true);
    assert!(
        by_q["t-000"]["usage"].is_null(),
        "no usage given, none invented"
    );
    assert!(by_q["t-001"]["answer"].is_null());
    assert!(by_q["t-001"]["error"]
        .as_str()
        .unwrap()
        .contains("no answer text"));
    // The unusable reply was not cached: a rerun asks again.
    let before = server.requests();
    kasauti_cmd()
        .args(base_args(&server, &questions, &out, &tmp.path().join("c")))
        .output()
        .unwrap();
    assert_eq!(server.requests(), before + 1);
}

fn sigint(child: &std::process::Child) {
    // SAFETY: sends a signal to our own child process.
    let rc = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(rc, 0);
}

#[test]
fn ctrl_c_saves_and_prints_the_resume_command_and_twice_quits_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let questions = write_questions(tmp.path(), 30);
    let server = TestServer::start(Duration::from_millis(40), 2, Arc::new(|r, _| brain(r)));
    let out = tmp.path().join("run");
    let args: Vec<String> = base_args(&server, &questions, &out, &tmp.path().join("c"))
        .into_iter()
        .chain(["--concurrency".to_string(), "2".to_string()])
        .collect();
    let child = kasauti_cmd()
        .args(&args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while jsonl(&out.join("grades.jsonl")).len() < 3 {
        assert!(Instant::now() < deadline, "no progress");
        std::thread::sleep(Duration::from_millis(10));
    }
    sigint(&child);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("To continue, run the same command again"),
        "{err}"
    );
    assert!(err.contains(&format!("--out {}", out.display())), "{err}");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert!(manifest["finished_at"].is_null());
    let done = jsonl(&out.join("grades.jsonl")).len();
    assert!(done < 30, "stopped early ({done} graded)");
    // Resuming finishes the rest, once each.
    let o = kasauti_cmd().args(&args).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let grades = jsonl(&out.join("grades.jsonl"));
    assert_eq!(grades.len(), 30);
    assert_eq!(grades.iter().map(key).collect::<HashSet<_>>().len(), 30);

    // Against a server that stalls, the first Ctrl-C waits for requests in flight; the second
    // quits at once.
    let slow = TestServer::start(Duration::from_secs(20), 1, Arc::new(|r, _| brain(r)));
    let out2 = tmp.path().join("run2");
    let child = kasauti_cmd()
        .args(base_args(&slow, &questions, &out2, &tmp.path().join("c2")))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    while slow.requests() == 0 {
        std::thread::sleep(Duration::from_millis(10));
    }
    sigint(&child);
    std::thread::sleep(Duration::from_millis(300));
    let t0 = Instant::now();
    sigint(&child);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", text(&o));
    // The stalled request would hold it for 20 s.
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
}

/// `run --labels`: the labels are checked before any request, and the report corrects the
/// judge's scores with them. The scripted judge is right about every criterion, so people who
/// agree with the truth leave the score where it is (λ = 1, no bias).
#[test]
fn run_with_labels_corrects_and_checks_the_file_first() {
    let tmp = tempfile::tempdir().unwrap();
    let questions = write_questions(tmp.path(), 30);
    let server = TestServer::start(Duration::ZERO, 1, Arc::new(|r, _| brain(r)));
    // A bad labels file: refused before anything is asked.
    let bad = tmp.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        format!(
            "{}\n",
            json!({"question_id": qid(0), "model": "answerer", "rater": "A", "criteria": {"c1": true}})
        ),
    )
    .unwrap();
    let out = tmp.path().join("run");
    let o = kasauti_cmd()
        .args(base_args(&server, &questions, &out, &tmp.path().join("c")))
        .args(["--labels", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("field `criteria`"), "{}", text(&o));
    assert_eq!(server.requests(), 0);
    // Every answer labelled with the truth.
    let mut labels = String::new();
    for i in 0..30 {
        let criteria: serde_json::Map<String, Value> = CRITERIA
            .iter()
            .map(|c| (c.0.to_string(), json!(has_word(i, 0, c.1))))
            .collect();
        labels.push_str(&format!(
            "{}\n",
            json!({"question_id": qid(i), "model": "answerer", "sample": 0, "rater": "A", "criteria": criteria})
        ));
    }
    let good = tmp.path().join("labels.jsonl");
    std::fs::write(&good, labels).unwrap();
    let o = kasauti_cmd()
        .args(base_args(&server, &questions, &out, &tmp.path().join("c")))
        .args(["--labels", good.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let m = report_overall(&out, "answerer");
    let overall = &m["overall"];
    let c = &overall["corrected"];
    assert_eq!(c["n_labelled"], json!(30));
    let truth = mean_clipped(&(0..30).map(|i| expected_score(i, 0)).collect::<Vec<_>>());
    assert!((overall["score"].as_f64().unwrap() - truth).abs() < 1e-12);
    assert!((c["score"].as_f64().unwrap() - truth).abs() < 1e-12, "{c}");
    assert!(c["judge_bias"].as_f64().unwrap().abs() < 1e-12);
}
