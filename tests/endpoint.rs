//! `--endpoint FILE`: answers from a custom JSON API (SPEC §5b), end to end with the real binary
//! against a scripted server that speaks neither OpenAI's nor Anthropic's format.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use serde_json::{json, Value};

const SECRET: &str = "rag-SECRET-9d81c2f7";

/// A RAG-style API: the question goes in `input.query`, the answer comes back at
/// `/data/result/text`, with token counts under `meta.tokens`.
const CONFIG: &str = r#"
url = "{{BASE}}/v2/ask"
method = "POST"

[headers]
"X-App-Key" = "{{env.TEST_RAG_KEY}}"
"X-Request-Source" = "kasauti/{{question_id}}"

[request]
input = { query = "{{prompt}}", history = "{{messages}}" }
lang = "{{language}}"
domain = "{{domain}}"
top_k = 4
session = "{{question_id}}-{{sample}}"
sample = "{{sample}}"
seed = "{{seed}}"
temperature = "{{temperature}}"
note = "asked by {{model}} at temperature {{temperature}}"

[response]
answer = "/data/result/text"
prompt_tokens = "/meta/tokens/in"
completion_tokens = "/meta/tokens/out"
error = "/error/message"
finish_reason = "/data/result/stop"
"#;

fn write_config(dir: &Path, server: &TestServer, text: &str) -> PathBuf {
    let p = dir.join("endpoint.toml");
    std::fs::write(
        &p,
        text.replace("{{BASE}}", &format!("http://{}", server.addr)),
    )
    .unwrap();
    p
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Asserts the secret is in no file under `dirs` and in no output.
fn assert_no_secret(dirs: &[&Path], outputs: &[&std::process::Output]) {
    let mut files = Vec::new();
    for d in dirs {
        files_under(d, &mut files);
    }
    assert!(!files.is_empty());
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(SECRET),
            "the secret leaked into {}",
            f.display()
        );
    }
    for o in outputs {
        assert!(
            !text(o).contains(SECRET),
            "the secret leaked into the output"
        );
    }
}

/// The scripted application: question 1 is rate limited once (Retry-After: 1), question 2's
/// reply carries an error field, the key echoes into an error body for question 3.
fn app() -> Script {
    Arc::new(|req: &Request, attempt: usize| {
        if req.path != "/v2/ask" {
            return Action::json(404, json!({"detail": "no such path"}));
        }
        let key = req.header("x-app-key").unwrap_or("").to_string();
        if key != SECRET {
            return Action::json(401, json!({"detail": format!("bad key {key}")}));
        }
        let Some(body) = req.json() else {
            return Action::json(400, json!({"detail": "not JSON"}));
        };
        let query = body
            .pointer("/input/query")
            .and_then(Value::as_str)
            .unwrap_or("");
        let Some(i) = query
            .strip_prefix("[Q")
            .and_then(|r| r.split(']').next())
            .and_then(|n| n.parse::<usize>().ok())
        else {
            return Action::json(400, json!({"detail": "no [Q…] marker"}));
        };
        let s = body["sample"].as_u64().unwrap_or(99) as usize;
        match (i, attempt) {
            (1, 1) => {
                return Action::json(429, json!({"detail": "slow down"}))
                    .with_header("retry-after", "1")
            }
            (2, _) => {
                return Action::json(
                    200,
                    json!({"data": null, "error": {"message": "no documents for this query"}}),
                )
                .unusable()
            }
            (3, _) => return Action::json(422, json!({"detail": format!("rejected key {key}")})),
            _ => {}
        }
        Action::json(
            200,
            json!({"data": {"result": {"text": answer_text(i, s), "stop": "done"}},
                   "error": {"message": null},
                   "meta": {"tokens": {"in": 11, "out": 4}}}),
        )
    })
}

#[test]
fn a_custom_json_api_answers_and_keeps_every_guarantee() {
    let tmp = tempfile::tempdir().unwrap();
    let questions = write_questions(tmp.path(), 6);
    let server = TestServer::start(Duration::ZERO, 2, app());
    let config = write_config(tmp.path(), &server, CONFIG);
    let out = tmp.path().join("run");
    let cache = tmp.path().join("cache");
    let args: Vec<String> = [
        "run",
        "--endpoint",
        config.to_str().unwrap(),
        "--model",
        "my-rag",
        "--samples",
        "2",
        "--seed",
        "40",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain(live_args(&questions, &out, &cache))
    .collect();
    let o = kasauti_cmd()
        .args(&args)
        .env("TEST_RAG_KEY", SECRET)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "failed items: exit 1\n{}",
        text(&o)
    );

    // What the server received: the rendered body, typed where a value is one placeholder.
    let log = server.log();
    assert!(log.iter().all(|l| l.path == "/v2/ask"));
    let answers = jsonl(&out.join("answers.jsonl"));
    assert_eq!(answers.len(), 12, "{}", text(&o));
    for a in &answers {
        let i = index_of(a["question_id"].as_str().unwrap());
        let s = a["sample"].as_u64().unwrap() as usize;
        match i {
            2 => {
                let e = a["error"].as_str().unwrap();
                assert!(
                    e.contains("/error/message") && e.contains("no documents for this query"),
                    "{e}"
                );
                assert!(a["answer"].is_null());
            }
            3 => {
                let e = a["error"].as_str().unwrap();
                assert!(e.contains("HTTP 422") && e.contains("[REDACTED]"), "{e}");
            }
            _ => {
                assert_eq!(a["answer"], answer_text(i, s), "{a}");
                assert_eq!(a["finish_reason"], "done");
                assert_eq!(
                    a["usage"],
                    json!({"prompt_tokens": 11, "completion_tokens": 4})
                );
                assert!(a["error"].is_null());
            }
        }
    }
    // The 429 was retried no sooner than its Retry-After, and once.
    let q1: Vec<_> = log
        .iter()
        .filter(|l| l.attempt >= 1)
        .filter(|l| {
            // The body hash of question 1's requests: the ones that were asked twice.
            log.iter()
                .any(|m| m.body_hash == l.body_hash && m.attempt == 2)
        })
        .collect();
    let firsts: Vec<_> = q1.iter().filter(|l| l.attempt == 1).collect();
    assert!(!firsts.is_empty());
    for f in firsts {
        let second = q1
            .iter()
            .find(|l| l.body_hash == f.body_hash && l.attempt == 2)
            .unwrap();
        assert!(
            second.at.duration_since(f.at) >= Duration::from_millis(950),
            "Retry-After honoured"
        );
    }
    // Grades from the rule judge; tokens summed from the pointers.
    let grades = jsonl(&out.join("grades.jsonl"));
    assert_eq!(grades.len(), 8);
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(manifest["tokens"]["my-rag"]["model"]["requests"], 8);
    assert_eq!(manifest["tokens"]["my-rag"]["model"]["prompt"], 88);
    assert_eq!(manifest["settings"]["results"]["api"], "endpoint");
    assert!(manifest["settings"]["results"]["endpoint_sha256"].is_string());

    // A rerun redoes only the failed items (2 and 3, twice each); the rest is done.
    let before = server.requests();
    let o2 = kasauti_cmd()
        .args(&args)
        .env("TEST_RAG_KEY", SECRET)
        .output()
        .unwrap();
    assert_eq!(o2.status.code(), Some(1), "{}", text(&o2));
    assert_eq!(server.requests() - before, 4, "{}", text(&o2));
    assert_eq!(jsonl(&out.join("answers.jsonl")).len(), 12);

    // A new run directory with the same cache sends nothing for what succeeded.
    let before = server.requests();
    let out3 = tmp.path().join("run3");
    let mut args3 = args.clone();
    let pos = args3.iter().position(|a| a == "--out").unwrap();
    args3[pos + 1] = out3.to_str().unwrap().to_string();
    let o3 = kasauti_cmd()
        .args(&args3)
        .env("TEST_RAG_KEY", SECRET)
        .output()
        .unwrap();
    assert_eq!(o3.status.code(), Some(1), "{}", text(&o3));
    assert_eq!(
        server.requests() - before,
        4,
        "only the failed items are asked again"
    );

    // A changed endpoint file is a changed run: resuming with it is refused.
    std::fs::write(
        &config,
        std::fs::read_to_string(&config)
            .unwrap()
            .replace("top_k = 4", "top_k = 5"),
    )
    .unwrap();
    let o4 = kasauti_cmd()
        .args(&args)
        .env("TEST_RAG_KEY", SECRET)
        .output()
        .unwrap();
    assert_eq!(o4.status.code(), Some(2), "{}", text(&o4));
    assert!(text(&o4).contains("endpoint_sha256"), "{}", text(&o4));

    assert_no_secret(&[&out, &out3, &cache], &[&o, &o2, &o3, &o4]);
}

#[test]
fn bodies_headers_and_dry_run() {
    let tmp = tempfile::tempdir().unwrap();
    let questions = write_questions(tmp.path(), 3);
    let seen: Arc<std::sync::Mutex<Vec<(Value, String)>>> = Arc::default();
    let record = seen.clone();
    let app = app();
    let server = TestServer::start(
        Duration::ZERO,
        1,
        Arc::new(move |req: &Request, attempt| {
            if let Some(b) = req.json() {
                record
                    .lock()
                    .unwrap()
                    .push((b, req.header("x-request-source").unwrap_or("").to_string()));
            }
            app(req, attempt)
        }),
    );
    let config = write_config(tmp.path(), &server, CONFIG);
    let common = |out: &Path| -> Vec<String> {
        [
            "generate",
            "--endpoint",
            config.to_str().unwrap(),
            "--model",
            "my-rag",
            "--temperature",
            "0.25",
            "--questions",
            questions.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--no-cache",
            "--no-progress",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    // Dry run: the rendered requests, secrets redacted, nothing sent.
    let dry = tmp.path().join("dry");
    let o = kasauti_cmd()
        .args(common(&dry))
        .arg("--dry-run")
        .env("TEST_RAG_KEY", SECRET)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(server.requests(), 0);
    assert!(!dry.exists());
    let stdout = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(lines[0].starts_with(&format!("POST http://{}/v2/ask -H ", server.addr)));
    assert!(
        lines[0].contains("-H 'X-App-Key: [REDACTED]'"),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("-H 'X-Request-Source: kasauti/t-000'"));
    assert_no_secret(&[tmp.path()], &[&o]);

    // The real thing.
    let out = tmp.path().join("gen");
    let o = kasauti_cmd()
        .args(common(&out))
        .env("TEST_RAG_KEY", SECRET)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let seen = seen.lock().unwrap();
    let (body, source) = seen
        .iter()
        .find(|(b, _)| b["session"] == "t-000-0")
        .unwrap();
    assert_eq!(source, "kasauti/t-000");
    assert_eq!(
        body,
        &json!({
            "input": {"query": prompt_text(0), "history": [{"role": "user", "content": prompt_text(0)}]},
            "lang": "hi", "domain": "history", "top_k": 4, "session": "t-000-0", "sample": 0,
            "temperature": 0.25, "note": "asked by my-rag at temperature 0.25"
        }),
        "a lone placeholder keeps its type; an unset seed is left out"
    );
}

#[test]
fn bad_configs_fail_before_any_request() {
    let tmp = tempfile::tempdir().unwrap();
    let questions = write_questions(tmp.path(), 2);
    let server = TestServer::start(Duration::ZERO, 1, app());
    let toml_line = format!(
        "endpoint.toml:{}",
        CONFIG.lines().position(|l| l.starts_with("top_k")).unwrap() + 1
    );
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "unknown placeholder",
            CONFIG.replace("{{prompt}}", "{{question}}"),
            vec!["`request.input.query`", "{{question}}", "prompt_en"],
        ),
        (
            "missing url",
            CONFIG.replace("url = \"{{BASE}}/v2/ask\"", ""),
            vec!["`url`", "missing"],
        ),
        (
            "missing response.answer",
            CONFIG.replace("answer = \"/data/result/text\"", ""),
            vec!["`response.answer`", "missing"],
        ),
        (
            "a pointer that is not RFC 6901",
            CONFIG.replace("\"/meta/tokens/in\"", "\"meta.tokens.in\""),
            vec!["`response.prompt_tokens`", "RFC 6901", "/meta/tokens/in"],
        ),
        (
            "an unset environment variable",
            CONFIG.replace("env.TEST_RAG_KEY", "env.TEST_UNSET_VAR"),
            vec!["`headers.X-App-Key`", "TEST_UNSET_VAR", "not set"],
        ),
        (
            "bad TOML",
            CONFIG.replace("top_k = 4", "top_k = = 4"),
            vec![toml_line.as_str(), "TOML"],
        ),
    ];
    for (what, config, wanted) in cases {
        let path = write_config(tmp.path(), &server, &config);
        for dry in [false, true] {
            let mut cmd = kasauti_cmd();
            cmd.args(["run", "--endpoint", path.to_str().unwrap(), "--model", "m"])
                .args(["--questions", questions.to_str().unwrap()])
                .args(["--out", tmp.path().join("out").to_str().unwrap()])
                .args(["--no-cache", "--no-progress"])
                .env("TEST_RAG_KEY", SECRET)
                .env_remove("TEST_UNSET_VAR");
            if dry {
                cmd.arg("--dry-run");
            }
            let o = cmd.output().unwrap();
            assert_eq!(o.status.code(), Some(2), "{what}: {}", text(&o));
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(
                err.contains("endpoint.toml"),
                "{what}: names the file: {err}"
            );
            for w in &wanted {
                assert!(err.contains(w), "{what}: `{w}` missing from: {err}");
            }
            assert!(!tmp.path().join("out").exists(), "{what}: nothing written");
        }
    }
    assert_eq!(server.requests(), 0, "no request for a bad config");
    // --endpoint and --base-url together make no sense.
    let path = write_config(tmp.path(), &server, CONFIG);
    let o = kasauti_cmd()
        .args([
            "generate",
            "--endpoint",
            path.to_str().unwrap(),
            "--model",
            "m",
        ])
        .args(["--base-url", "http://localhost:1/v1"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn refused_credentials_stop_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let questions = write_questions(tmp.path(), 8);
    let server = TestServer::start(Duration::ZERO, 1, app());
    let config = write_config(tmp.path(), &server, CONFIG);
    let out = tmp.path().join("run");
    let o = kasauti_cmd()
        .args([
            "generate",
            "--endpoint",
            config.to_str().unwrap(),
            "--model",
            "m",
        ])
        .args(["--questions", questions.to_str().unwrap()])
        .args([
            "--out",
            out.to_str().unwrap(),
            "--no-cache",
            "--no-progress",
        ])
        .args(["--concurrency", "2"])
        .env("TEST_RAG_KEY", "wrong-key")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("refused the credentials (HTTP 401)") && err.contains("TEST_RAG_KEY"),
        "{err}"
    );
    assert!(!err.contains("wrong-key"), "the key is redacted: {err}");
    assert!(
        server.requests() <= 4,
        "stopped at once ({})",
        server.requests()
    );
}

#[test]
fn a_header_that_cannot_be_sent_fails_its_item_without_retries() {
    let tmp = tempfile::tempdir().unwrap();
    let questions = write_questions(tmp.path(), 2);
    let server = TestServer::start(Duration::ZERO, 1, app());
    // The system prompt has a line break: not a valid header value.
    let config = write_config(
        tmp.path(),
        &server,
        &CONFIG.replace("kasauti/{{question_id}}", "{{system}}"),
    );
    let out = tmp.path().join("run");
    let o = kasauti_cmd()
        .args([
            "generate",
            "--endpoint",
            config.to_str().unwrap(),
            "--model",
            "m",
        ])
        .args(["--system-prompt", "Be brief.\nCite sources."])
        .args(["--questions", questions.to_str().unwrap()])
        .args([
            "--out",
            out.to_str().unwrap(),
            "--no-cache",
            "--no-progress",
        ])
        .env("TEST_RAG_KEY", SECRET)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(server.requests(), 0);
    for a in jsonl(&out.join("answers.jsonl")) {
        let e = a["error"].as_str().unwrap();
        assert!(e.contains("header X-Request-Source cannot be sent"), "{e}");
    }
}

#[test]
fn the_readme_config_is_a_working_one() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = readme
        .split("### Any JSON API")
        .nth(1)
        .expect("the README has the endpoint section");
    let block = section
        .split("```toml\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a TOML block");
    let tmp = tempfile::tempdir().unwrap();
    let questions = write_questions(tmp.path(), 1);
    let config = tmp.path().join("rag.toml");
    std::fs::write(&config, block).unwrap();
    let o = kasauti_cmd()
        .args([
            "generate",
            "--endpoint",
            config.to_str().unwrap(),
            "--model",
            "m",
        ])
        .args(["--questions", questions.to_str().unwrap(), "--dry-run"])
        .env("RAG_KEY", SECRET)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.starts_with("POST https://rag.example.com/v2/ask -H 'X-App-Key: [REDACTED]'"),
        "{out}"
    );
    assert!(!out.contains(SECRET));
}
