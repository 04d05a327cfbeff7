use super::*;
use serde_json::json;

use crate::answers::openai::Usage;

/// A question as the loader makes it (so the test does not depend on `Question`'s fields).
fn question() -> Question {
    let line = json!({"id": "q1", "language": "hi", "domain": "history",
        "prompt": "बुखार में क्या करें?", "prompt_en": "What to do in a fever?",
        "rubric": [{"criterion": "Says to rest", "points": 1}]});
    let loaded = crate::dataset::load::load_from_bytes(
        vec![("q.jsonl".into(), format!("{line}\n").into_bytes())],
        Vec::new(),
    );
    let ds = loaded.into_dataset(false).unwrap().dataset;
    ds.questions[0].clone()
}

fn env(name: &str) -> Option<String> {
    (name == "RAG_KEY").then(|| "s3cret-value".to_string())
}

fn parse_str(text: &str) -> Result<EndpointConfig> {
    parse(Path::new("ep.toml"), text, text.as_bytes(), &env)
}

const GOOD: &str = r#"
url = "https://rag.example.com/v2/ask"
[headers]
"X-App-Key" = "{{env.RAG_KEY}}"
"X-Trace" = "kasauti {{question_id}}"
[request]
query = "{{prompt}}"
query_en = "{{prompt_en}}"
lang = "{{language}}"
history = "{{messages}}"
system = "{{system}}"
fixed = 3
options = { temperature = "{{temperature}}", session = "{{question_id}}-{{sample}}", key = "k={{env.RAG_KEY}}" }
[response]
answer = "/data/answer"
prompt_tokens = "/usage/in"
completion_tokens = "/usage/out"
error = "/error/message"
"#;

#[test]
fn renders_types_text_and_secrets() {
    let c = parse_str(GOOD).unwrap();
    let params = GenParams {
        temperature: Some(0.5),
        samples: 2,
        ..Default::default()
    };
    let q = question();
    let r = c.request(&Vars {
        q: &q,
        model: "my-rag",
        params: &params,
        sample: 1,
    });
    assert_eq!(r.method, Method::POST);
    assert_eq!(
        r.body,
        json!({"query": "बुखार में क्या करें?", "query_en": "What to do in a fever?",
            "lang": "hi", "history": [{"role": "user", "content": "बुखार में क्या करें?"}],
            "fixed": 3, "options": {"temperature": 0.5, "session": "q1-1",
            "key": "k=s3cret-value"}})
    );
    assert_eq!(r.shown.body["options"]["key"], "k=[REDACTED]");
    let shown = r.shown.to_string();
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(shown.contains("X-App-Key: [REDACTED]"), "{shown}");
    assert!(shown.contains("X-Trace: kasauti q1"), "{shown}");
    assert!(!r.cache_scope.contains("s3cret"));
    assert!(r
        .headers
        .iter()
        .any(|(k, v)| k == "X-App-Key" && v.expose() == "s3cret-value"));
    assert_eq!(c.secrets().len(), 1);
}

#[test]
fn reads_replies() {
    let c = parse_str(GOOD).unwrap();
    let ok = c
        .parse_reply(
            &json!({"data": {"answer": "उत्तर"}, "usage": {"in": 7, "out": 2.0},
            "error": {"message": null}}),
        )
        .unwrap();
    assert_eq!(ok.content.as_deref(), Some("उत्तर"));
    assert_eq!(
        ok.usage,
        Some(Usage {
            prompt_tokens: 7,
            completion_tokens: 2
        })
    );
    let e = c
        .parse_reply(&json!({"error": {"message": "no documents"}}))
        .unwrap_err();
    assert!(
        e.contains("/error/message") && e.contains("no documents"),
        "{e}"
    );
    let long = "x".repeat(500);
    let e = c.parse_reply(&json!({"data": {"text": long}})).unwrap_err();
    assert!(e.contains("/data/answer finds nothing"), "{e}");
    assert!(e.len() < 320, "only the start of the reply: {e}");
    let e = c.parse_reply(&json!({"data": {"answer": 5}})).unwrap_err();
    assert!(e.contains("not a string"), "{e}");
}

fn problems(text: &str) -> String {
    match parse_str(text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_configs_name_file_and_key() {
    let e = problems("[response]\nanswer = \"/a\"\n");
    assert!(
        e.contains("ep.toml") && e.contains("`url`") && e.contains("missing"),
        "{e}"
    );
    let e = problems("url = \"http://x/\"\n");
    assert!(e.contains("`response.answer`"), "{e}");
    let e = problems("url = \"http://x/\"\n[response]\nprompt_tokens = \"/u\"\n");
    assert!(e.contains("`response.answer`"), "{e}");
    let e = problems(
        "url = \"http://x/\"\n[request]\nq = { text = \"{{promt}}\" }\n[response]\nanswer = \"/a\"\n",
    );
    assert!(
        e.contains("`request.q.text`") && e.contains("{{promt}}"),
        "{e}"
    );
    let e = problems("url = \"http://x/\"\n[response]\nanswer = \"data.answer\"\n");
    assert!(
        e.contains("`response.answer`") && e.contains("RFC 6901") && e.contains("/data/answer"),
        "{e}"
    );
    let e = problems("url = \"http://x/\"\n[response]\nanswer = \"/a~2\"\n");
    assert!(e.contains("RFC 6901"), "{e}");
    let e = problems(
        "url = \"http://x/\"\n[headers]\nAuthorization = \"Bearer {{env.NOT_SET}}\"\n[response]\nanswer = \"/a\"\n",
    );
    assert!(
        e.contains("`headers.Authorization`") && e.contains("NOT_SET") && e.contains("not set"),
        "{e}"
    );
    let e = problems("url = \"http://x/\"\n[response\nanswer = \"/a\"\n");
    assert!(e.contains("ep.toml:2") && e.contains("TOML"), "{e}");
    let e = problems("url = \"ftp://x/\"\n[response]\nanswer = \"/a\"\n");
    assert!(e.contains("`url`"), "{e}");
    let e = problems("url = \"http://x/\"\nmethod = \"GET\"\n[response]\nanswer = \"/a\"\n");
    assert!(e.contains("`method`"), "{e}");
    // Every problem at once.
    let e = problems("[request]\nq = \"{{nope}}\"\n[response]\nanswer = \"x\"\n");
    assert!(e.contains("3 error(s)"), "{e}");
}

#[test]
fn the_examples_are_valid() {
    for (name, text) in [
        (
            "rag.toml",
            include_str!("../../../examples/endpoints/rag.toml"),
        ),
        (
            "llama-cpp-completion.toml",
            include_str!("../../../examples/endpoints/llama-cpp-completion.toml"),
        ),
    ] {
        let env = |n: &str| (n == "RAG_KEY").then(|| "k".to_string());
        if let Err(e) = parse(Path::new(name), text, text.as_bytes(), &env) {
            panic!("{name}: {e}");
        }
    }
}

#[test]
fn urls_are_encoded_and_unset_values_left_out() {
    let c = parse_str(
        "url = \"http://x/ask?q={{prompt}}&k={{env.RAG_KEY}}\"\n[request]\nt = \"{{temperature}}\"\nm = \"{{max_tokens}}\"\ns = \"{{seed}}\"\n[response]\nanswer = \"\"\n",
    )
    .unwrap();
    let q = question();
    let p = GenParams {
        samples: 1,
        ..Default::default()
    };
    let r = c.request(&Vars {
        q: &q,
        model: "m",
        params: &p,
        sample: 0,
    });
    assert!(r.url.starts_with("http://x/ask?q=%E0%A4"), "{}", r.url);
    assert!(r.url.ends_with("&k=s3cret-value"));
    assert!(r.shown.url.ends_with("&k=[REDACTED]"));
    assert_eq!(r.body, json!({}));
    assert_eq!(c.shown_url(), "http://x/ask?q={{prompt}}&k=[REDACTED]");
    // The empty pointer is the whole reply.
    assert_eq!(
        c.parse_reply(&json!("plain")).unwrap().content.as_deref(),
        Some("plain")
    );
}
