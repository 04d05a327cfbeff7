//! `--api anthropic` and `--judge-api anthropic`: answers and verdicts from a scripted server
//! shaped like Anthropic's Messages API (SPEC §5b).

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use serde_json::{json, Value};

const KEY: &str = "sk-ant-SECRET-77c0e1";

/// Turns an OpenAI completion the scripted brain wrote into a Messages reply.
fn messages_reply(completion: &Value, stop: &str) -> Value {
    let text = completion
        .pointer("/choices/0/message/content")
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut mid = text.len() / 2;
    while !text.is_char_boundary(mid) {
        mid -= 1;
    }
    json!({
        "id": "msg_test", "type": "message", "role": "assistant",
        "model": completion["model"],
        // Two text blocks with another block between: the answer is the text blocks joined.
        "content": [
            {"type": "text", "text": &text[..mid]},
            {"type": "tool_use", "id": "t", "name": "x", "input": {}},
            {"type": "text", "text": &text[mid..]},
        ],
        "stop_reason": stop,
        "usage": {"input_tokens": 20, "output_tokens": 6}
    })
}

/// A Messages server: checks the path and headers, hands the request to the scripted brain
/// (which reads `messages` and `model` as OpenAI bodies have them), and answers in Messages
/// form. Question 1's answers come back cut off (`stop_reason: max_tokens`).
fn anthropic_server() -> Script {
    Arc::new(|req: &Request, attempt: usize| {
        if req.path != "/v1/messages" {
            return Action::json(
                404,
                json!({"type": "error", "error": {"type": "not_found_error", "message": "no such path"}}),
            );
        }
        if req.header("x-api-key") != Some(KEY) {
            return Action::json(
                401,
                json!({"type": "error", "error": {"type": "authentication_error",
                "message": format!("invalid x-api-key {}", req.header("x-api-key").unwrap_or(""))}}),
            );
        }
        if req.header("anthropic-version") != Some("2023-06-01")
            || req.header("authorization").is_some()
        {
            return Action::json(
                400,
                json!({"type": "error", "error": {"type": "invalid_request_error",
                "message": "bad headers"}}),
            );
        }
        let Some(body) = req.json() else {
            return Action::json(400, json!({}));
        };
        if body["max_tokens"].as_u64().is_none() || body.get("seed").is_some() {
            return Action::json(
                400,
                json!({"type": "error", "error": {"type": "invalid_request_error",
                "message": "max_tokens is required; seed is not a field"}}),
            );
        }
        if body["messages"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m["role"] == "system"))
        {
            return Action::json(
                400,
                json!({"type": "error", "error": {"type": "invalid_request_error",
                "message": "system goes in `system`"}}),
            );
        }
        // Anthropic's overload status, once, for the first question's first request.
        if question_of(&body) == Some(0) && attempt == 1 {
            return Action::json(
                529,
                json!({"type": "error", "error": {"type": "overloaded_error",
                "message": "Overloaded"}}),
            );
        }
        let Action::Reply {
            body: b, status, ..
        } = brain(req)
        else {
            return Action::json(500, json!({}));
        };
        let completion: Value = serde_json::from_str(&b).unwrap_or(Value::Null);
        let stop = if question_of(&body) == Some(1) {
            "max_tokens"
        } else {
            "end_turn"
        };
        Action::json(status, messages_reply(&completion, stop))
    })
}

fn args(server: &TestServer, questions: &Path, out: &Path, cache: &Path) -> Vec<String> {
    [
        "run",
        "--api",
        "anthropic",
        "--base-url",
        &server.base_url(),
        "--model",
        "answerer",
        "--judge-model",
        "judge",
        "--judge",
        "llm",
        "--system-prompt",
        "Answer briefly.",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain(live_args(questions, out, cache))
    .collect()
}

#[test]
fn answers_and_verdicts_from_the_messages_api() {
    let tmp = tempfile::tempdir().unwrap();
    let questions = write_questions(tmp.path(), 4);
    let server = TestServer::start(Duration::ZERO, 2, anthropic_server());
    let out = tmp.path().join("run");
    let cache = tmp.path().join("cache");
    let o = kasauti_cmd()
        .args(args(&server, &questions, &out, &cache))
        .env("ANTHROPIC_API_KEY", KEY)
        .env_remove("ANTHROPIC_BASE_URL")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let answers = jsonl(&out.join("answers.jsonl"));
    assert_eq!(answers.len(), 4);
    let mut by_q: HashMap<usize, &Value> = HashMap::new();
    for a in &answers {
        let i = index_of(a["question_id"].as_str().unwrap());
        by_q.insert(i, a);
        // The text blocks, joined; the tool block left out.
        assert_eq!(a["answer"], answer_text(i, 0), "{a}");
        assert_eq!(
            a["usage"],
            json!({"prompt_tokens": 20, "completion_tokens": 6})
        );
    }
    assert_eq!(
        by_q[&1]["finish_reason"], "length",
        "max_tokens is a cut-off reply"
    );
    assert_eq!(by_q[&0]["finish_reason"], "stop");
    // Verdicts came from the judge through the same API, and are all usable.
    let grades = jsonl(&out.join("grades.jsonl"));
    assert_eq!(grades.len(), 4);
    for g in &grades {
        assert_eq!(g["complete"], true, "{g}");
        for c in g["criteria"].as_array().unwrap() {
            assert_eq!(c["source"], "judge:judge");
        }
    }
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let t = &manifest["tokens"]["answerer"];
    assert_eq!(t["model"]["prompt"], 80);
    assert_eq!(t["model"]["completion"], 24);
    assert_eq!(t["judge"]["requests"], 16);
    assert_eq!(t["judge"]["prompt"], 16 * 20);
    assert_eq!(manifest["settings"]["results"]["api"], "anthropic");
    assert_eq!(manifest["settings"]["results"]["judge_api"], "anthropic");

    // A repeat from the cache sends nothing.
    let before = server.requests();
    let out2 = tmp.path().join("run2");
    let o2 = kasauti_cmd()
        .args(args(&server, &questions, &out2, &cache))
        .env("ANTHROPIC_API_KEY", KEY)
        .output()
        .unwrap();
    assert_eq!(o2.status.code(), Some(0), "{}", text(&o2));
    assert_eq!(server.requests(), before);

    // Dry run: the Messages body, the key redacted.
    let o3 = kasauti_cmd()
        .args(args(&server, &questions, &tmp.path().join("dry"), &cache))
        .arg("--dry-run")
        .env("ANTHROPIC_API_KEY", KEY)
        .output()
        .unwrap();
    assert_eq!(o3.status.code(), Some(0), "{}", text(&o3));
    let stdout = String::from_utf8_lossy(&o3.stdout);
    let first = stdout.lines().next().unwrap();
    assert!(
        first.starts_with(&format!(
            "POST {}/messages -H 'anthropic-version: 2023-06-01' -H 'x-api-key: [REDACTED]' {{",
            server.base_url()
        )),
        "{first}"
    );
    assert!(first.contains(r#""system":"Answer briefly.""#), "{first}");
    assert!(first.contains(r#""max_tokens":4096"#), "{first}");

    // A refused key stops the run (exit 2), named and redacted.
    let out4 = tmp.path().join("run4");
    let o4 = kasauti_cmd()
        .args(args(&server, &questions, &out4, &tmp.path().join("cache4")))
        .env("ANTHROPIC_API_KEY", "sk-ant-WRONG")
        .output()
        .unwrap();
    assert_eq!(o4.status.code(), Some(2), "{}", text(&o4));
    let err = String::from_utf8_lossy(&o4.stderr);
    assert!(
        err.contains("HTTP 401") && err.contains("ANTHROPIC_API_KEY"),
        "{err}"
    );
    assert!(!err.contains("sk-ant-WRONG"), "{err}");

    for d in [&out, &out2, &cache] {
        for e in walk(d) {
            let bytes = std::fs::read(&e).unwrap();
            assert!(
                !String::from_utf8_lossy(&bytes).contains("SECRET-77c0"),
                "the key leaked into {}",
                e.display()
            );
        }
    }
    for o in [&o, &o2, &o3, &o4] {
        assert!(!text(o).contains("SECRET-77c0"));
    }
}

#[test]
fn an_openai_model_judged_through_anthropic() {
    let tmp = tempfile::tempdir().unwrap();
    let questions = write_questions(tmp.path(), 3);
    let openai = TestServer::start(Duration::ZERO, 1, Arc::new(|r, _| brain(r)));
    let claude = TestServer::start(Duration::ZERO, 1, anthropic_server());
    let out = tmp.path().join("run");
    let o = kasauti_cmd()
        .args([
            "run",
            "--base-url",
            &openai.base_url(),
            "--model",
            "answerer",
        ])
        .args(["--judge-model", "judge", "--judge-api", "anthropic"])
        .args(["--judge-base-url", &claude.base_url()])
        .args(["--questions", questions.to_str().unwrap()])
        .args([
            "--out",
            out.to_str().unwrap(),
            "--no-cache",
            "--no-progress",
        ])
        .args(["--format", "json"])
        .env("ANTHROPIC_API_KEY", KEY)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(openai.requests(), 3, "answers from the OpenAI server");
    // Hybrid: c2 by its rule, the other three by the judge (question 0's after a 529 each).
    let ok = claude.log().iter().filter(|l| l.success).count();
    assert_eq!(ok, 9, "verdicts from the Messages server");
    assert_eq!(claude.requests(), 12);
    for g in jsonl(&out.join("grades.jsonl")) {
        assert_eq!(g["complete"], true, "{g}");
    }
    // Structured output is an OpenAI feature: asked of an Anthropic judge, it is a usage error.
    let o = kasauti_cmd()
        .args([
            "run",
            "--base-url",
            &openai.base_url(),
            "--model",
            "answerer",
        ])
        .args([
            "--judge-model",
            "judge",
            "--judge-api",
            "anthropic",
            "--judge-structured",
        ])
        .args(["--questions", questions.to_str().unwrap()])
        .args(["--out", tmp.path().join("x").to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
