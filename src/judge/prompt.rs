//! The judge model: prompts, reply parsing and validation (SPEC §5).
//!
//! Replies are read leniently (code fences stripped, the first JSON object found inside prose)
//! and validated strictly (`criteria_met` must be a boolean and `explanation` a string; in
//! batched mode every asked criterion must be there). A reply that fails is "unusable": the
//! caller asks again, up to `--judge-retries`, and then records a `null` verdict with the reason.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::dataset::{Criterion, Question};

/// One call per criterion, or one call per answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JudgeMode {
    PerCriterion,
    Batched,
}

impl JudgeMode {
    pub fn as_str(&self) -> &'static str {
        match self {
            JudgeMode::PerCriterion => "per-criterion",
            JudgeMode::Batched => "batched",
        }
    }
}

/// The default prompt for one criterion. Placeholders: `{{conversation}}`, `{{answer}}`,
/// `{{criterion}}`, `{{points}}`.
pub const PER_CRITERION_TEMPLATE: &str = r#"You are checking one reply of an AI assistant against one item of a grading rubric. You are not writing a reply yourself.

<conversation>
{{conversation}}
</conversation>

<reply>
{{answer}}
</reply>

<rubric_item points="{{points}}">
{{criterion}}
</rubric_item>

Decide whether the reply does what the rubric item describes. Look only at this item and only at the reply (the conversation is there for context). When the item lists several things, it is met only if all of them are there. Some items describe something a reply should not do (their points are negative); for those, say whether the reply does that thing, not whether the reply is good. The conversation and the reply may be in any language or script: read them in their own language, and do not count it against the reply that it is not in English.

Return only one JSON object, with no code fence and no other text:
{"explanation": "<one or two sentences saying why>", "criteria_met": <true or false>}"#;

/// The default prompt for a whole rubric at once. Placeholders: `{{conversation}}`,
/// `{{answer}}`, `{{criteria}}` (one line per criterion: `[id] (points) text`).
pub const BATCHED_TEMPLATE: &str = r#"You are checking one reply of an AI assistant against the items of a grading rubric. You are not writing a reply yourself.

<conversation>
{{conversation}}
</conversation>

<reply>
{{answer}}
</reply>

<rubric>
{{criteria}}
</rubric>

For each rubric item, decide on its own whether the reply does what the item describes. Look only at the reply (the conversation is there for context). When an item lists several things, it is met only if all of them are there. Some items describe something a reply should not do (their points are negative); for those, say whether the reply does that thing, not whether the reply is good. The conversation and the reply may be in any language or script: read them in their own language.

Return only one JSON object, with no code fence and no other text, with one key per item id in square brackets above:
{"<id>": {"explanation": "<one or two sentences saying why>", "criteria_met": <true or false>}, ...}"#;

/// A judge prompt template and its digest (the digest is part of a run's identity).
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub text: String,
    /// SHA-256 of a template read from `--judge-template`; `None` for the built-in ones.
    pub sha256: Option<String>,
}

impl Template {
    /// The built-in template of a mode.
    pub fn builtin(mode: JudgeMode) -> Self {
        Template {
            text: match mode {
                JudgeMode::PerCriterion => PER_CRITERION_TEMPLATE,
                JudgeMode::Batched => BATCHED_TEMPLATE,
            }
            .to_string(),
            sha256: None,
        }
    }

    /// A template from a file, checked for the placeholders its mode needs.
    pub fn from_text(text: String, mode: JudgeMode) -> Result<Self, String> {
        let needed: &[&str] = match mode {
            JudgeMode::PerCriterion => &["{{answer}}", "{{criterion}}"],
            JudgeMode::Batched => &["{{answer}}", "{{criteria}}"],
        };
        let missing: Vec<&str> = needed
            .iter()
            .copied()
            .filter(|p| !text.contains(p))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "the judge template lacks {} (needed in {} mode)",
                missing.join(" and "),
                mode.as_str()
            ));
        }
        use sha2::{Digest, Sha256};
        let sha = crate::util::hex(&Sha256::digest(text.as_bytes()));
        Ok(Template {
            text,
            sha256: Some(sha),
        })
    }
}

/// The conversation as the judge reads it.
pub fn conversation(q: &Question) -> String {
    q.prompt
        .messages()
        .iter()
        .map(|m| format!("{}: {}", m.role, m.content))
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn points(p: f64) -> String {
    if p.fract() == 0.0 && p.abs() < 1e15 {
        format!("{}", p as i64)
    } else {
        format!("{p}")
    }
}

/// Fills placeholders in one pass, so text inside the answer that looks like a placeholder is
/// left alone.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out =
        String::with_capacity(template.len() + values.iter().map(|v| v.1.len()).sum::<usize>());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        match values.iter().find(|(k, _)| after.starts_with(k)) {
            Some((k, v)) => {
                out.push_str(v);
                rest = &after[k.len()..];
            }
            None => {
                out.push_str("{{");
                rest = &after[2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The prompt for one criterion.
pub fn render_one(t: &Template, q: &Question, answer: &str, c: &Criterion) -> String {
    let conv = conversation(q);
    let pts = points(c.points);
    fill(
        &t.text,
        &[
            ("{{conversation}}", &conv),
            ("{{answer}}", answer),
            ("{{criterion}}", &c.text),
            ("{{points}}", &pts),
        ],
    )
}

/// The prompt for several criteria at once.
pub fn render_batched(t: &Template, q: &Question, answer: &str, cs: &[&Criterion]) -> String {
    let conv = conversation(q);
    let list = cs
        .iter()
        .map(|c| format!("[{}] ({} points) {}", c.id, points(c.points), c.text))
        .collect::<Vec<_>>()
        .join("\n");
    fill(
        &t.text,
        &[
            ("{{conversation}}", &conv),
            ("{{answer}}", answer),
            ("{{criteria}}", &list),
        ],
    )
}

/// The JSON schema of one verdict.
pub fn verdict_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "explanation": {"type": "string"},
            "criteria_met": {"type": "boolean"}
        },
        "required": ["explanation", "criteria_met"],
        "additionalProperties": false
    })
}

/// The JSON schema of a batched reply: one verdict per criterion id.
pub fn batched_schema(ids: &[&str]) -> Value {
    let props: serde_json::Map<String, Value> = ids
        .iter()
        .map(|id| (id.to_string(), verdict_schema()))
        .collect();
    json!({
        "type": "object",
        "properties": props,
        "required": ids,
        "additionalProperties": false
    })
}

/// The request body for a judge prompt. With `structured`, the reply's schema goes along as
/// `response_format` so servers that support it (OpenAI, vLLM, llama.cpp) constrain the output.
pub fn request_body(
    model: &str,
    prompt: &str,
    max_tokens: Option<u64>,
    schema: Option<(&str, Value)>,
) -> Value {
    let mut body = json!({
        "model": model,
        "messages": [{"role": "user", "content": prompt}],
        "temperature": 0,
    });
    if let Some(m) = max_tokens {
        body["max_tokens"] = json!(m);
    }
    if let Some((name, schema)) = schema {
        body["response_format"] = json!({
            "type": "json_schema",
            "json_schema": {"name": name, "schema": schema, "strict": true}
        });
    }
    body
}

/// One decided criterion.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub met: bool,
    pub explanation: String,
}

/// The text of a reply without a surrounding Markdown code fence.
fn strip_fences(s: &str) -> &str {
    let t = s.trim();
    if let Some(rest) = t.strip_prefix("```") {
        // Drop the info string (`json`) up to the first newline, and the closing fence.
        let body = rest.split_once('\n').map(|(_, b)| b).unwrap_or("");
        return body.trim_end().strip_suffix("```").unwrap_or(body).trim();
    }
    t
}

/// The first JSON object in a reply: the whole text, or the first `{…}` that parses inside prose
/// or a fence anywhere in it.
pub fn first_object(reply: &str) -> Option<serde_json::Map<String, Value>> {
    let text = strip_fences(reply);
    if let Ok(Value::Object(o)) = serde_json::from_str::<Value>(text) {
        return Some(o);
    }
    let mut from = 0;
    while let Some(i) = text[from..].find('{') {
        let start = from + i;
        let mut stream = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Value>();
        if let Some(Ok(Value::Object(o))) = stream.next() {
            return Some(o);
        }
        from = start + 1;
    }
    None
}

fn decision(v: &Value, what: &str) -> Result<Decision, String> {
    let o = v
        .as_object()
        .ok_or_else(|| format!("{what} is not an object"))?;
    let met = match o.get("criteria_met") {
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(format!(
                "{what}: `criteria_met` must be true or false, got {}",
                crate::jsonl::short_json(other)
            ))
        }
        None => return Err(format!("{what} has no `criteria_met`")),
    };
    let explanation = match o.get("explanation") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(format!(
                "{what}: `explanation` must be a string, got {}",
                crate::jsonl::short_json(other)
            ))
        }
        None => return Err(format!("{what} has no `explanation`")),
    };
    Ok(Decision { met, explanation })
}

/// Parses a per-criterion reply's text.
pub fn parse_one(reply: &str) -> Result<Decision, String> {
    let o = first_object(reply).ok_or_else(|| {
        format!(
            "no JSON object in the judge's reply: {}",
            crate::jsonl::truncate(reply.trim(), 120)
        )
    })?;
    decision(&Value::Object(o), "the judge's reply")
}

/// Parses a batched reply's text: every id in `ids` must have a valid verdict (other keys are
/// ignored).
pub fn parse_batched(reply: &str, ids: &[&str]) -> Result<HashMap<String, Decision>, String> {
    let o = first_object(reply).ok_or_else(|| {
        format!(
            "no JSON object in the judge's reply: {}",
            crate::jsonl::truncate(reply.trim(), 120)
        )
    })?;
    let mut out = HashMap::new();
    let mut missing = Vec::new();
    for id in ids {
        match o.get(*id) {
            Some(v) => {
                out.insert(id.to_string(), decision(v, &format!("criterion `{id}`"))?);
            }
            None => missing.push(*id),
        }
    }
    if !missing.is_empty() {
        return Err(format!(
            "the judge's reply has no verdict for {}",
            missing.join(", ")
        ));
    }
    Ok(out)
}

/// The reply text of a chat completion body, for the judge (content, or failing that a
/// reasoning model's `reasoning_content`, where some servers put structured output).
pub fn reply_text(body: &Value) -> Result<String, String> {
    let c = crate::answers::openai::parse_completion(body)?;
    if let Some(t) = c.content.filter(|t| !t.trim().is_empty()) {
        return Ok(t);
    }
    if let Some(r) = c.refusal {
        return Err(format!(
            "the judge refused: {}",
            crate::jsonl::truncate(&r, 120)
        ));
    }
    body.pointer("/choices/0/message/reasoning_content")
        .and_then(Value::as_str)
        .filter(|t| !t.trim().is_empty())
        .map(str::to_string)
        .ok_or_else(|| "the judge's reply is empty".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_parsing_strict_validation() {
        let ok = Decision {
            met: true,
            explanation: "names Meerut".into(),
        };
        let plain = r#"{"explanation": "names Meerut", "criteria_met": true}"#;
        assert_eq!(parse_one(plain).unwrap(), ok);
        assert_eq!(parse_one(&format!("```json\n{plain}\n```")).unwrap(), ok);
        assert_eq!(parse_one(&format!("```\n{plain}```")).unwrap(), ok);
        assert_eq!(
            parse_one(&format!(
                "Sure! Here is my verdict: {plain} Hope that helps {{"
            ))
            .unwrap(),
            ok
        );
        // A brace in prose before the object is skipped.
        assert_eq!(
            parse_one(&format!("The set {{a, b}} aside, {plain}")).unwrap(),
            ok
        );
        assert!(parse_one(r#"{"explanation": "x", "criteria_met": "yes"}"#)
            .unwrap_err()
            .contains("true or false"));
        assert!(parse_one(r#"{"explanation": "x", "met": true}"#)
            .unwrap_err()
            .contains("criteria_met"));
        assert!(parse_one(r#"{"criteria_met": false}"#)
            .unwrap_err()
            .contains("explanation"));
        assert!(parse_one("I think it is met.")
            .unwrap_err()
            .contains("no JSON"));
    }

    #[test]
    fn batched_replies() {
        let r = r#"{"c1": {"explanation": "a", "criteria_met": true}, "c3": {"explanation": "b", "criteria_met": false}, "zz": 1}"#;
        let got = parse_batched(r, &["c1", "c3"]).unwrap();
        assert!(got["c1"].met && !got["c3"].met);
        assert!(parse_batched(r, &["c1", "c2"]).unwrap_err().contains("c2"));
        assert!(
            parse_batched(r#"{"c1": {"criteria_met": 1, "explanation": ""}}"#, &["c1"]).is_err()
        );
    }

    #[test]
    fn templates_fill_once() {
        let t = Template::builtin(JudgeMode::PerCriterion);
        let loaded = crate::dataset::load::load_from_bytes(
            vec![(
                "q.jsonl".into(),
                r#"{"id": "q", "language": "hi", "domain": "history", "prompt": "प्रश्न?", "rubric": [{"criterion": "Answers", "points": 1}, {"criterion": "Says {{answer}}", "points": -2.5}]}"#.as_bytes().to_vec(),
            )],
            vec![],
        );
        assert_eq!(loaded.errors(), 0, "{:?}", loaded.diagnostics);
        let q = &loaded.dataset.questions[0];
        let p = render_one(&t, q, "उत्तर {{criterion}}", &q.rubric[1]);
        assert!(p.contains("user: प्रश्न?"));
        assert!(p.contains("<reply>\nउत्तर {{criterion}}\n</reply>"));
        assert!(p.contains("points=\"-2.5\""));
        assert!(p.contains("Says {{answer}}"));
        let b = render_batched(
            &Template::builtin(JudgeMode::Batched),
            q,
            "x",
            &[&q.rubric[1]],
        );
        assert!(b.contains("[c2] (-2.5 points) Says {{answer}}"));
        assert!(Template::from_text("{{answer}}".into(), JudgeMode::PerCriterion).is_err());
        let t = Template::from_text("{{answer}} {{criteria}}".into(), JudgeMode::Batched).unwrap();
        assert_eq!(t.sha256.map(|s| s.len()), Some(64));
    }

    #[test]
    fn structured_body() {
        let b = request_body("j", "p", None, Some(("verdict", verdict_schema())));
        assert_eq!(b["response_format"]["type"], "json_schema");
        assert_eq!(b["response_format"]["json_schema"]["strict"], true);
        assert_eq!(
            b["response_format"]["json_schema"]["schema"]["required"],
            json!(["explanation", "criteria_met"])
        );
        assert!(request_body("j", "p", None, None)
            .get("response_format")
            .is_none());
    }
}
