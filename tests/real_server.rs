//! Compatibility with a real OpenAI-compatible server: llama.cpp's `llama-server` serving a tiny
//! random-weight model, built by `.ci/llama-server.sh` into `~/.cache/kasauti-realserver` (or any
//! directory in `KASAUTI_REALSERVER_DIR` with `build/bin/llama-server` and
//! `tiny-random-llama.gguf`). The test skips, saying so, when the server is not built, except
//! under `CI=true`, where that is a failure.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn server_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("KASAUTI_REALSERVER_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
                .map(|c| c.join("kasauti-realserver"))
        })?;
    (dir.join("build/bin/llama-server").is_file() && dir.join("tiny-random-llama.gguf").is_file())
        .then_some(dir)
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn healthy(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let req =
        format!("GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.starts_with("HTTP/1.1 200")
}

fn start(dir: &std::path::Path) -> (Server, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(dir.join("build/bin/llama-server"))
        .args(["-m", dir.join("tiny-random-llama.gguf").to_str().unwrap()])
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["-c", "8192", "-np", "4", "--alias", "tiny-random-llama"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start llama-server");
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !healthy(port) {
        assert!(Instant::now() < deadline, "llama-server did not come up");
        std::thread::sleep(Duration::from_millis(200));
    }
    (server, port)
}

/// The server started, or `None` after saying the test was skipped because it is not built
/// (a failure under `CI=true`).
fn running_server() -> Option<(Server, u16)> {
    let Some(dir) = server_dir() else {
        skipped_unless_ci(
            "llama.cpp's llama-server is not built (run .ci/llama-server.sh, or set \
             KASAUTI_REALSERVER_DIR)",
            "the real-server test",
        );
        return None;
    };
    Some(start(&dir))
}

#[test]
fn llama_cpp_server_answers_and_judges() {
    let Some((_server, port)) = running_server() else {
        return;
    };
    let base = format!("http://127.0.0.1:{port}/v1");
    let tmp = tempfile::tempdir().unwrap();
    let questions = write_questions(tmp.path(), 4);
    for mode in ["per-criterion", "batched"] {
        let out = tmp.path().join(mode);
        let o = kasauti_cmd()
            .args(["run", "--base-url", &base, "--model", "tiny-random-llama"])
            .args(["--max-tokens", "24", "--seed", "7", "--samples", "2"])
            .args([
                "--judge",
                "llm",
                "--judge-model",
                "tiny-random-llama",
                "--judge-structured",
            ])
            .args([
                "--judge-mode",
                mode,
                "--judge-max-tokens",
                "512",
                "--concurrency",
                "4",
            ])
            .args([
                "--questions",
                questions.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ])
            .args([
                "--cache-dir",
                tmp.path().join("cache").to_str().unwrap(),
                "--format",
                "json",
            ])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{mode}: {}", text(&o));
        let answers = jsonl(&out.join("answers.jsonl"));
        assert_eq!(answers.len(), 8);
        for a in &answers {
            assert!(a["answer"].is_string(), "{a}");
            assert!(
                a["usage"]["completion_tokens"].as_u64().unwrap() <= 24,
                "{a}"
            );
            assert!(a["finish_reason"].is_string());
        }
        // Structured output: every verdict is a usable reply, decided by the judge.
        let grades = jsonl(&out.join("grades.jsonl"));
        assert_eq!(grades.len(), 8);
        for g in &grades {
            assert_eq!(g["complete"], true, "{mode}: {g}");
            for c in g["criteria"].as_array().unwrap() {
                assert_eq!(c["source"], "judge:tiny-random-llama");
                assert!(c["met"].is_boolean());
            }
        }
    }
    // Whether the server's text repeats for a repeated seed is the server's affair, and not a
    // reliable one: llama.cpp reuses cached prompt state and batches across its slots, which can
    // change its arithmetic and so its text between runs. That kasauti sends each sample its own
    // seed is checked against the scripted server (tests/live.rs hashes every request body).
}

/// An endpoint file for llama.cpp's native `POST /completion`, whose request and reply are not
/// chat completions: the prompt is a string, the length `n_predict`, the text at `/content`.
const COMPLETION_ENDPOINT: &str = r#"
url = "http://127.0.0.1:{{PORT}}/completion"

[request]
prompt = "{{prompt}}"
n_predict = "{{max_tokens}}"
seed = "{{seed}}"
temperature = "{{temperature}}"
cache_prompt = false

[response]
answer = "/content"
prompt_tokens = "/tokens_evaluated"
completion_tokens = "/tokens_predicted"
finish_reason = "/stop_type"
error = "/error/message"
"#;

#[test]
fn llama_cpp_native_completion_through_an_endpoint_file() {
    let Some((_server, port)) = running_server() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let questions = write_questions(tmp.path(), 3);
    let config = tmp.path().join("llama-completion.toml");
    std::fs::write(
        &config,
        COMPLETION_ENDPOINT.replace("{{PORT}}", &port.to_string()),
    )
    .unwrap();
    let out = tmp.path().join("run");
    let o = kasauti_cmd()
        .args(["run", "--endpoint", config.to_str().unwrap()])
        .args(["--model", "tiny-random-llama"])
        .args(["--max-tokens", "16", "--seed", "3", "--samples", "2"])
        .args(["--temperature", "0.8", "--concurrency", "4"])
        .args(["--questions", questions.to_str().unwrap()])
        .args(["--out", out.to_str().unwrap(), "--format", "json"])
        .args(["--cache-dir", tmp.path().join("cache").to_str().unwrap()])
        .output()
        .unwrap();
    // The rule judge leaves criteria without checks unjudged: incomplete grades, exit 1.
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", text(&o));
    let answers = jsonl(&out.join("answers.jsonl"));
    assert_eq!(answers.len(), 6, "{}", text(&o));
    let mut completion_tokens = 0;
    for a in &answers {
        assert!(a["answer"].is_string(), "{a}");
        assert!(a["error"].is_null(), "{a}");
        let n = a["usage"]["completion_tokens"].as_u64().unwrap();
        assert!((1..=16).contains(&n), "n_predict bounds the reply: {a}");
        assert!(a["usage"]["prompt_tokens"].as_u64().unwrap() > 0, "{a}");
        assert!(a["finish_reason"].is_string(), "{a}");
        completion_tokens += n;
    }
    assert_eq!(jsonl(&out.join("grades.jsonl")).len(), 6);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let t = &manifest["tokens"]["tiny-random-llama"]["model"];
    assert_eq!(t["requests"], 6);
    assert_eq!(t["completion"], completion_tokens);

    // A repeat is answered from the cache: no request reaches the server.
    let again = tmp.path().join("again");
    let o = kasauti_cmd()
        .args(["generate", "--endpoint", config.to_str().unwrap()])
        .args(["--model", "tiny-random-llama"])
        .args(["--max-tokens", "16", "--seed", "3", "--samples", "2"])
        .args(["--temperature", "0.8"])
        .args(["--questions", questions.to_str().unwrap()])
        .args(["--out", again.to_str().unwrap()])
        .args(["--cache-dir", tmp.path().join("cache").to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(again.join("run.json")).unwrap()).unwrap();
    assert_eq!(m["counts"]["http_requests_sent"], 0, "{m}");
    assert_eq!(m["counts"]["cache_hits"], 6);
}

/// A jury of two `--judge-model` entries, both served by the one llama.cpp server, with
/// `--judge-structured` and the default judge `max_tokens`: in both modes every verdict of
/// every juror is usable (the schema bounds the explanation and puts the verdict first, and the
/// token budget is sized to the criteria asked), and each grade line keeps both votes.
#[test]
fn llama_cpp_server_as_a_jury_of_two_with_structured_replies() {
    let Some((_server, port)) = running_server() else {
        return;
    };
    let base = format!("http://127.0.0.1:{port}/v1");
    let tmp = tempfile::tempdir().unwrap();
    let questions = write_questions(tmp.path(), 6);
    for mode in ["batched", "per-criterion"] {
        let out = tmp.path().join(mode);
        let o = kasauti_cmd()
            .args(["run", "--base-url", &base, "--model", "tiny-random-llama"])
            .args(["--max-tokens", "24", "--seed", "5", "--samples", "2"])
            .args(["--judge", "llm", "--judge-structured", "--judge-mode", mode])
            .args(["--judge-model", "juror-one", "--judge-model", "juror-two"])
            .args(["--judge-samples", "1", "--concurrency", "4"])
            .args(["--questions", questions.to_str().unwrap()])
            .args(["--out", out.to_str().unwrap(), "--format", "json"])
            .args(["--cache-dir", tmp.path().join("cache").to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{mode}: {}", text(&o));
        let grades = jsonl(&out.join("grades.jsonl"));
        assert_eq!(grades.len(), 12, "{mode}");
        for g in &grades {
            assert_eq!(g["complete"], true, "{mode}: {g}");
            for c in g["criteria"].as_array().unwrap() {
                assert_eq!(c["source"], "jury", "{mode}: {c}");
                let votes = c["votes"].as_array().unwrap();
                let judges: Vec<&str> =
                    votes.iter().map(|v| v["judge"].as_str().unwrap()).collect();
                assert_eq!(judges, ["juror-one", "juror-two"], "{mode}: {c}");
                for v in votes {
                    assert!(v["met"].is_boolean(), "{mode}: {v}");
                    let e = v["explanation"].as_str().unwrap();
                    assert!(
                        e.chars().count() <= 160,
                        "{mode}: the schema bounds it: {v}"
                    );
                }
                // Two jurors, majority: met only when both say so (a tie is not met).
                let both = votes.iter().all(|v| v["met"] == true);
                assert_eq!(c["met"], both, "{mode}: {c}");
            }
        }
        let r: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap())
                .unwrap();
        let split = &r["judging"]["overall"]["split"];
        assert_eq!(
            split["of"],
            12 * 4,
            "{mode}: every criterion decided: {split}"
        );
    }
}
