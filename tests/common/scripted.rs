//! The scripted test set: a small question set whose expected scores are computed here,
//! independently of kasauti's own scoring, and the scripted model and judge ([`brain`]) that the
//! test server plays.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

use super::server::{completion, Action, Request};

/// Criteria of every test question: (id, keyword, points, whether it has a rule check).
pub const CRITERIA: [(&str, &str, f64, bool); 4] = [
    ("c1", "alpha", 5.0, false),
    ("c2", "beta", 3.0, true),
    ("c3", "gamma", -2.0, false),
    ("c4", "delta", 2.0, false),
];

pub const LANGS: [&str; 3] = ["hi", "ta", "bn"];

/// Which keywords the scripted model puts in its answer to question `i`, sample `s`.
pub fn has_word(i: usize, s: usize, word: &str) -> bool {
    match word {
        "alpha" => (i + s) % 2 == 0,
        "beta" => i % 3 != 1,
        "gamma" => (i * 7 + s) % 4 == 1,
        "delta" => (i + 2 * s) % 5 < 3,
        _ => false,
    }
}

/// The scripted model's answer.
pub fn answer_text(i: usize, s: usize) -> String {
    let words: Vec<&str> = CRITERIA
        .iter()
        .map(|c| c.1)
        .filter(|w| has_word(i, s, w))
        .collect();
    format!("[A{i}.{s}] उत्तर यह है: {}", words.join(" "))
}

/// The score a correct grader must give (HealthBench's formula, by hand).
pub fn expected_score(i: usize, s: usize) -> f64 {
    let earned: f64 = CRITERIA
        .iter()
        .filter(|c| has_word(i, s, c.1))
        .map(|c| c.2)
        .sum();
    let possible: f64 = CRITERIA.iter().filter(|c| c.2 > 0.0).map(|c| c.2).sum();
    earned / possible
}

/// The prompt of question `i`, in its language's script.
pub fn prompt_text(i: usize) -> String {
    let text = match LANGS[i % 3] {
        "hi" => "इस प्रश्न का उत्तर दीजिए।",
        "ta" => "இந்தக் கேள்விக்கு பதில் அளிக்கவும்.",
        _ => "এই প্রশ্নের উত্তর দিন।",
    };
    format!("[Q{i}] {text}")
}

pub fn qid(i: usize) -> String {
    format!("t-{:03}", i)
}

/// Writes `n` questions with inline rubrics; returns the file.
pub fn write_questions(dir: &Path, n: usize) -> PathBuf {
    let mut s = String::new();
    for i in 0..n {
        let rubric: Vec<Value> = CRITERIA
            .iter()
            .map(|(id, w, p, check)| {
                let mut c = json!({"id": id, "criterion": format!("Mentions {w}"), "points": p});
                if *check {
                    c["check"] = json!({"mentions": [w]});
                }
                c
            })
            .collect();
        let q = json!({"id": qid(i), "language": LANGS[i % 3], "domain": "history",
            "prompt": prompt_text(i), "rubric": rubric});
        s.push_str(&q.to_string());
        s.push('\n');
    }
    let p = dir.join("questions.jsonl");
    std::fs::write(&p, s).unwrap();
    p
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let a = s.find(start)? + start.len();
    let b = s[a..].find(end)? + a;
    Some(&s[a..b])
}

/// The question index in a model request.
pub fn question_of(body: &Value) -> Option<usize> {
    let msgs = body.get("messages")?.as_array()?;
    let text = msgs.last()?.get("content")?.as_str()?;
    between(text, "[Q", "]")?.parse().ok()
}

/// What a judge request asks: (question, sample, criterion ids asked).
pub fn judge_request(body: &Value) -> Option<(usize, usize, Vec<String>)> {
    let prompt = body.pointer("/messages/0/content")?.as_str()?;
    let marker = between(prompt, "[A", "]")?;
    let (i, s) = marker.split_once('.')?;
    let ids: Vec<String> = if let Some(item) = between(prompt, "<rubric_item", "</rubric_item>") {
        let text = item.split_once(">\n")?.1.trim();
        CRITERIA
            .iter()
            .filter(|c| text == format!("Mentions {}", c.1))
            .map(|c| c.0.to_string())
            .collect()
    } else {
        let list = between(prompt, "<rubric>\n", "\n</rubric>")?;
        list.lines()
            .filter_map(|l| between(l, "[", "]").map(str::to_string))
            .collect()
    };
    Some((i.parse().ok()?, s.parse().ok()?, ids))
}

/// The scripted judge's verdict object for one criterion id.
pub fn verdict_for(i: usize, s: usize, id: &str) -> Value {
    let word = CRITERIA
        .iter()
        .find(|c| c.0 == id)
        .map(|c| c.1)
        .unwrap_or("");
    let met = has_word(i, s, word);
    json!({"explanation": format!("the answer {} `{word}`", if met {"says"} else {"does not say"}), "criteria_met": met})
}

/// The fault-free brain: the model answers with [`answer_text`], the judge decides by keyword.
pub fn brain(req: &Request) -> Action {
    let Some(body) = req.json() else {
        return Action::json(400, json!({"error": {"message": "body is not JSON"}}));
    };
    let model = body.get("model").and_then(Value::as_str).unwrap_or("");
    if model.starts_with("judge") {
        let Some((i, s, ids)) = judge_request(&body) else {
            // An answer the scripted model did not write (a refusal, say) meets nothing.
            let v = json!({"explanation": "not a scripted answer", "criteria_met": false});
            return Action::json(200, completion(model, &v.to_string()));
        };
        let content = if body
            .pointer("/messages/0/content")
            .and_then(Value::as_str)
            .is_some_and(|p| p.contains("<rubric_item"))
        {
            verdict_for(i, s, &ids[0]).to_string()
        } else {
            let o: serde_json::Map<String, Value> = ids
                .iter()
                .map(|id| (id.clone(), verdict_for(i, s, id)))
                .collect();
            Value::Object(o).to_string()
        };
        return Action::json(200, completion(model, &content));
    }
    let Some(i) = question_of(&body) else {
        return Action::json(400, json!({"error": {"message": "no [Q…] marker"}}));
    };
    let s = body.get("seed").and_then(Value::as_u64).unwrap_or(0) as usize;
    Action::json(200, completion(model, &answer_text(i, s)))
}

/// The kasauti binary with a clean environment for keys and base URLs, to add arguments to.
pub fn kasauti_cmd() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kasauti"));
    c.env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env("NO_COLOR", "1");
    c
}

pub fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Item key of an answer or grade line.
pub fn key(v: &Value) -> (String, String, u64) {
    (
        v["model"].as_str().unwrap_or("").to_string(),
        v["question_id"].as_str().unwrap_or("").to_string(),
        v["sample"].as_u64().unwrap_or(0),
    )
}

/// The question index of a test question id.
pub fn index_of(qid: &str) -> usize {
    qid.trim_start_matches("t-").parse().unwrap()
}

/// The arguments every scripted live run shares: its questions, run folder and response cache,
/// quick retries, no progress bars, and report.json only.
pub fn live_args(questions: &Path, out: &Path, cache: &Path) -> Vec<String> {
    [
        "--questions",
        questions.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--cache-dir",
        cache.to_str().unwrap(),
        "--retry-base-ms",
        "5",
        "--no-progress",
        "--format",
        "json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}
