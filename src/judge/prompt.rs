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
/// `{{criterion}}`, `{{points}}`, and `{{reference}}` (the question's English translation and
/// ideal answer as a reference, or nothing; see [`reference_block`]).
pub const PER_CRITERION_TEMPLATE: &str = r#"You are checking one reply of an AI assistant against one item of a grading rubric. You are not writing a reply yourself.

<conversation>
{{conversation}}
</conversation>

<reply>
{{answer}}
</reply>
{{reference}}
<rubric_item points="{{points}}">
{{criterion}}
</rubric_item>

Decide whether the reply does what the rubric item describes. Look only at this item and only at the reply (the conversation is there for context). When the item lists several things, it is met only if all of them are there. Some items describe something a reply should not do (their points are negative); for those, say whether the reply does that thing, not whether the reply is good. The conversation and the reply may be in any language or script: read them in their own language, and do not count it against the reply that it is not in English.

Return only one JSON object, with no code fence and no other text, the verdict first:
{"criteria_met": <true or false>, "explanation": "<one or two short sentences saying why>"}"#;

/// The default prompt for a whole rubric at once. Placeholders: `{{conversation}}`,
/// `{{answer}}`, `{{criteria}}` (one line per criterion: `[id] (points) text`), `{{reference}}`.
pub const BATCHED_TEMPLATE: &str = r#"You are checking one reply of an AI assistant against the items of a grading rubric. You are not writing a reply yourself.

<conversation>
{{conversation}}
</conversation>

<reply>
{{answer}}
</reply>
{{reference}}
<rubric>
{{criteria}}
</rubric>

For each rubric item, decide on its own whether the reply does what the item describes. Look only at the reply (the conversation is there for context). When an item lists several things, it is met only if all of them are there. Some items describe something a reply should not do (their points are negative); for those, say whether the reply does that thing, not whether the reply is good. The conversation and the reply may be in any language or script: read them in their own language.

Return only one JSON object, with no code fence and no other text, with one key per item id in square brackets above:
{"<id>": {"criteria_met": <true or false>, "explanation": "<one short sentence saying why>"}, ...}"#;

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

/// Whether the judge prompt shows the question's reference (`--judge-reference`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Reference {
    /// The English translation and the ideal answer, where the question has them.
    #[default]
    Ideal,
    /// Neither.
    None,
}

impl Reference {
    pub fn as_str(&self) -> &'static str {
        match self {
            Reference::Ideal => "ideal",
            Reference::None => "none",
        }
    }
}

/// The reference the built-in templates show between the reply and the rubric: the question's
/// language, its English translation (for a question not in English) and its ideal answer,
/// framed as one good answer among others. Empty when there is nothing to show, so that a
/// question without a reference gets exactly the prompt it always had.
pub fn reference_block(q: &Question, reference: Reference) -> String {
    if reference == Reference::None {
        return String::new();
    }
    let lang = language_label(&q.language);
    let mut out = String::new();
    if let Some(en) = q.prompt_en.as_deref().filter(|t| !t.trim().is_empty()) {
        if !q.language.eq_ignore_ascii_case("en") {
            out.push_str(&format!(
                "\n<question_in_english>\n{}\n</question_in_english>\n",
                en.trim()
            ));
        }
    }
    if let Some(ideal) = q.ideal_answer.as_deref().filter(|t| !t.trim().is_empty()) {
        out.push_str(&format!(
            "\n<reference_answer language=\"{lang}\">\n{}\n</reference_answer>\n\nThe reference answer is one good answer written by the question's author, not the only right one: a reply may be right in other words, with other examples, in another order or at another length. Use it to check facts and what the question asks for; do not mark an item unmet only because the reply differs from it.\n",
            ideal.trim()
        ));
    }
    out
}

/// A language as the judge reads it: "Hindi (hi)".
fn language_label(code: &str) -> String {
    format!("{} ({code})", crate::dataset::language::language_name(code))
}

/// The placeholders every template may use besides its mode's own.
fn common<'a>(
    q: &'a Question,
    reference: Reference,
    conv: &'a str,
    block: &'a str,
    lang: &'a str,
) -> [(&'static str, &'a str); 5] {
    let shown = |v: Option<&'a String>| match reference {
        Reference::Ideal => v.map(String::as_str).unwrap_or(""),
        Reference::None => "",
    };
    [
        ("{{conversation}}", conv),
        ("{{reference}}", block),
        ("{{prompt_en}}", shown(q.prompt_en.as_ref())),
        ("{{ideal_answer}}", shown(q.ideal_answer.as_ref())),
        ("{{language}}", lang),
    ]
}

/// The prompt for one criterion.
pub fn render_one(
    t: &Template,
    q: &Question,
    answer: &str,
    c: &Criterion,
    reference: Reference,
) -> String {
    let conv = conversation(q);
    let block = reference_block(q, reference);
    let lang = language_label(&q.language);
    let pts = points(c.points);
    let mut values = common(q, reference, &conv, &block, &lang).to_vec();
    values.extend([
        ("{{answer}}", answer),
        ("{{criterion}}", c.text.as_str()),
        ("{{points}}", pts.as_str()),
    ]);
    fill(&t.text, &values)
}

/// The prompt for several criteria at once.
pub fn render_batched(
    t: &Template,
    q: &Question,
    answer: &str,
    cs: &[&Criterion],
    reference: Reference,
) -> String {
    let conv = conversation(q);
    let block = reference_block(q, reference);
    let lang = language_label(&q.language);
    let list = cs
        .iter()
        .map(|c| format!("[{}] ({} points) {}", c.id, points(c.points), c.text))
        .collect::<Vec<_>>()
        .join("\n");
    let mut values = common(q, reference, &conv, &block, &lang).to_vec();
    values.extend([("{{answer}}", answer), ("{{criteria}}", list.as_str())]);
    fill(&t.text, &values)
}

/// The longest explanation a structured reply may give, in characters: a schema bound that
/// keeps a constrained judge from talking until it runs out of tokens.
pub const EXPLANATION_MAX_CHARS: u64 = 160;

/// The default `max_tokens` of a judge request deciding `verdicts` criteria: room for each
/// verdict's JSON and a bounded explanation (at most a token per character), plus a margin for
/// the object around them. Kept small on purpose: servers such as llama.cpp count `max_tokens`
/// against a context of a few thousand tokens, prompt included.
pub fn default_max_tokens(verdicts: usize) -> u64 {
    64 + verdicts.max(1) as u64 * (32 + EXPLANATION_MAX_CHARS)
}

/// The JSON schema of one verdict.
pub fn verdict_schema() -> Value {
    // The verdict comes first: a reply cut off in its explanation has already said it. Servers
    // that build a grammar from the schema follow the order of `properties` (kept sorted, which
    // puts `criteria_met` first) and of `required`.
    json!({
        "type": "object",
        "properties": {
            "criteria_met": {"type": "boolean"},
            "explanation": {"type": "string", "maxLength": EXPLANATION_MAX_CHARS}
        },
        "required": ["criteria_met", "explanation"],
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
    temperature: Option<f64>,
    schema: Option<(&str, Value)>,
) -> Value {
    let mut body = json!({
        "model": model,
        "messages": [{"role": "user", "content": prompt}],
        "temperature": 0,
    });
    if let Some(t) = temperature.filter(|t| *t != 0.0) {
        body["temperature"] = json!(t);
    }
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

/// How a reply cut off by the token limit is reported (and told apart: it is not asked again).
pub const CUT_OFF: &str = "the judge's reply was cut off by the token limit";

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
        let p = render_one(&t, q, "उत्तर {{criterion}}", &q.rubric[1], Reference::Ideal);
        assert!(p.contains("user: प्रश्न?"));
        assert!(p.contains("<reply>\nउत्तर {{criterion}}\n</reply>"));
        assert!(p.contains("points=\"-2.5\""));
        assert!(p.contains("Says {{answer}}"));
        let b = render_batched(
            &Template::builtin(JudgeMode::Batched),
            q,
            "x",
            &[&q.rubric[1]],
            Reference::Ideal,
        );
        assert!(b.contains("[c2] (-2.5 points) Says {{answer}}"));
        assert!(Template::from_text("{{answer}}".into(), JudgeMode::PerCriterion).is_err());
        let t = Template::from_text("{{answer}} {{criteria}}".into(), JudgeMode::Batched).unwrap();
        assert_eq!(t.sha256.map(|s| s.len()), Some(64));
    }

    #[test]
    fn the_reference_is_shown_as_one_good_answer() {
        let loaded = crate::dataset::load::load_from_bytes(
            vec![(
                "q.jsonl".into(),
                r#"{"id": "q", "language": "ta", "domain": "history", "prompt": "கேள்வி?", "prompt_en": "Which king?", "ideal_answer": "ராஜராஜ சோழன்", "rubric": [{"criterion": "Names the king", "points": 2}]}
{"id": "r", "language": "ta", "domain": "history", "prompt": "கேள்வி?", "rubric": [{"criterion": "Names the king", "points": 2}]}"#
                    .as_bytes()
                    .to_vec(),
            )],
            vec![],
        );
        assert_eq!(loaded.errors(), 0, "{:?}", loaded.diagnostics);
        let (q, bare) = (&loaded.dataset.questions[0], &loaded.dataset.questions[1]);
        let t = Template::builtin(JudgeMode::PerCriterion);
        let p = render_one(&t, q, "பதில்", &q.rubric[0], Reference::Ideal);
        assert!(p.contains("<question_in_english>\nWhich king?\n</question_in_english>"));
        assert!(p.contains("<reference_answer language=\"Tamil (ta)\">\nராஜராஜ சோழன்\n"));
        assert!(p.contains("not the only right one"));
        // The reference sits between the reply and the rubric item.
        assert!(p.find("</reply>") < p.find("<reference_answer"));
        assert!(p.find("</reference_answer>") < p.find("<rubric_item"));
        // Left out on request, or when the question has none: the prompt as it always was.
        let none = render_one(&t, q, "பதில்", &q.rubric[0], Reference::None);
        assert!(!none.contains("reference") && !none.contains("Which king"));
        assert!(none.contains("</reply>\n\n<rubric_item"));
        let plain = render_one(&t, bare, "பதில்", &bare.rubric[0], Reference::Ideal);
        assert_eq!(
            plain,
            render_one(&t, bare, "பதில்", &bare.rubric[0], Reference::None)
        );
        // A template of one's own may place each part.
        let own = Template::from_text(
            "{{language}} | {{prompt_en}} | {{ideal_answer}} | {{answer}} | {{criterion}}".into(),
            JudgeMode::PerCriterion,
        )
        .unwrap();
        assert_eq!(
            render_one(&own, q, "A", &q.rubric[0], Reference::Ideal),
            "Tamil (ta) | Which king? | ராஜராஜ சோழன் | A | Names the king"
        );
        assert_eq!(
            render_one(&own, q, "A", &q.rubric[0], Reference::None),
            "Tamil (ta) |  |  | A | Names the king"
        );
        // Batched prompts carry the same block.
        let b = render_batched(
            &Template::builtin(JudgeMode::Batched),
            q,
            "x",
            &[&q.rubric[0]],
            Reference::Ideal,
        );
        assert!(b.find("<reference_answer") < b.find("<rubric>"));
    }

    #[test]
    fn judge_token_budget_grows_with_the_criteria() {
        // Room for the verdict JSON and an explanation of at most EXPLANATION_MAX_CHARS
        // characters at up to a token each, per criterion; a rubric of eight stays within a
        // 2,048-token context with room for the prompt.
        assert!(default_max_tokens(8) <= 1600);
        for n in 1..10 {
            assert!(default_max_tokens(n) >= n as u64 * (EXPLANATION_MAX_CHARS + 20));
            assert!(default_max_tokens(n + 1) > default_max_tokens(n));
        }
        assert_eq!(default_max_tokens(0), default_max_tokens(1));
    }

    #[test]
    fn structured_body() {
        let b = request_body("j", "p", None, None, Some(("verdict", verdict_schema())));
        assert_eq!(b["response_format"]["type"], "json_schema");
        assert_eq!(b["response_format"]["json_schema"]["strict"], true);
        assert_eq!(
            b["response_format"]["json_schema"]["schema"]["required"],
            json!(["criteria_met", "explanation"])
        );
        // The verdict comes before the explanation in the schema text a server reads.
        let text = b["response_format"]["json_schema"]["schema"].to_string();
        assert!(
            text.find("criteria_met") < text.find("explanation"),
            "{text}"
        );
        assert_eq!(
            b["response_format"]["json_schema"]["schema"]["properties"]["explanation"]["maxLength"],
            json!(EXPLANATION_MAX_CHARS)
        );
        assert!(request_body("j", "p", None, None, None)
            .get("response_format")
            .is_none());
    }
}
