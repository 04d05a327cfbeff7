//! One line parsed: a question, a HealthBench row, a rubric line, or a list of criteria, read
//! from its JSON object with the crate's typed field readers.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Map, Value};

use super::collect::Collector;
use crate::dataset::check::Check;
use crate::dataset::language::{is_known_domain, is_snake_case, known_language, parse_language};
use crate::dataset::model::{Criterion, Message, Origin, Prompt, Question};
use crate::jsonl::{FieldError, FieldReader, RawLine, Shown};

/// Question and rubric lines show a value of the wrong type by its kind (`got a list`).
const READ: FieldReader = FieldReader { shown: Shown::Kind };

/// A rubric file's line: the question it is for, its criteria and its optional `min_words`.
pub(super) struct RubricLine {
    pub question_id: String,
    pub criteria: Vec<Criterion>,
    pub min_words: Option<u32>,
}

/// Parses a rubric file's line. Fields are read in order and the first bad one ends the line
/// (criteria are not read for a line without a question id).
pub(super) fn parse_rubric_line(
    file: &Path,
    line: &RawLine,
    obj: &Map<String, Value>,
    c: &mut Collector,
) -> Option<RubricLine> {
    let question_id = c.take(
        file,
        line.number,
        READ.string(obj.get("question_id"), "question_id", false),
    )?;
    let criteria = parse_criteria(file, line, obj.get("criteria"), "criteria", c)?;
    let min_words = min_words_field(file, line, obj, c)?;
    Some(RubricLine {
        question_id,
        criteria,
        min_words,
    })
}

/// A prompt: a non-empty string or a non-empty list of chat messages.
fn parse_prompt(v: Option<&Value>) -> Result<Prompt, FieldError> {
    let items = match v {
        Some(Value::String(s)) if s.trim().is_empty() => {
            return Err(FieldError::new("prompt", "expected a non-empty prompt"))
        }
        Some(Value::String(s)) => return Ok(Prompt::Text(s.clone())),
        Some(Value::Array(items)) if items.is_empty() => {
            return Err(FieldError::new(
                "prompt",
                "expected at least one chat message",
            ))
        }
        Some(Value::Array(items)) => items,
        None | Some(Value::Null) => {
            return Err(FieldError::new("prompt", "required field is missing"))
        }
        Some(other) => {
            return Err(READ.wrong("prompt", "a string or a list of chat messages", other))
        }
    };
    let mut msgs = Vec::with_capacity(items.len());
    for (i, m) in items.iter().enumerate() {
        let field = format!("prompt[{i}]");
        let Some(o) = m.as_object() else {
            return Err(READ.wrong(&field, "a message {\"role\", \"content\"}", m));
        };
        // A missing role or content is shown as "nothing", a wrong one as what it is.
        let shown = |v: Option<&Value>| v.map(|v| READ.shown.show(v)).unwrap_or("nothing".into());
        let role = match o.get("role") {
            Some(Value::String(r))
                if ["system", "user", "assistant", "developer"].contains(&r.as_str()) =>
            {
                r.clone()
            }
            Some(Value::String(r)) => {
                return Err(FieldError::new(
                    &format!("{field}.role"),
                    format!("unknown role `{r}` (expected system, user, assistant or developer)"),
                ))
            }
            other => {
                return Err(FieldError::new(
                    &format!("{field}.role"),
                    format!("expected a role string, got {}", shown(other)),
                ))
            }
        };
        let content = match o.get("content") {
            Some(Value::String(s)) => s.clone(),
            other => {
                return Err(FieldError::new(
                    &format!("{field}.content"),
                    format!("expected a content string, got {}", shown(other)),
                ))
            }
        };
        msgs.push(Message { role, content });
    }
    Ok(Prompt::Messages(msgs))
}

/// Parses a list of criteria. Errors are per criterion, and one bad criterion makes the whole
/// rubric unusable (a rubric with a criterion missing would score differently).
fn parse_criteria(
    file: &Path,
    line: &RawLine,
    v: Option<&Value>,
    field: &str,
    c: &mut Collector,
) -> Option<Vec<Criterion>> {
    let items = match v {
        Some(Value::Array(a)) if a.is_empty() => {
            c.error(
                file,
                line.number,
                Some(field),
                "expected at least one criterion, got an empty list",
            );
            return None;
        }
        Some(Value::Array(a)) => a,
        None | Some(Value::Null) => {
            c.error(file, line.number, Some(field), "required field is missing");
            return None;
        }
        Some(other) => {
            c.field(
                file,
                line.number,
                READ.wrong(field, "a list of criteria", other),
            );
            return None;
        }
    };
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    let mut ids: HashMap<String, usize> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        let f = format!("{field}[{i}]");
        let Some(o) = item.as_object() else {
            c.field(
                file,
                line.number,
                READ.wrong(&f, "a criterion object", item),
            );
            ok = false;
            continue;
        };
        let id = match o.get("id") {
            None | Some(Value::Null) => Ok(format!("c{}", i + 1)),
            v => READ.non_empty_string(v, &format!("{f}.id")),
        };
        let Some(id) = c.take(file, line.number, id) else {
            ok = false;
            continue;
        };
        if let Some(prev) = ids.insert(id.clone(), i) {
            c.error(
                file,
                line.number,
                Some(&format!("{f}.id")),
                format!("duplicate criterion id `{id}` (also {field}[{prev}])"),
            );
            ok = false;
        }
        let Some(text) = c.take(
            file,
            line.number,
            READ.non_empty_string(o.get("criterion"), &format!("{f}.criterion")),
        ) else {
            ok = false;
            continue;
        };
        let points = READ.number(
            o.get("points"),
            &format!("{f}.points"),
            "a non-zero finite number",
            |p| p.is_finite() && p != 0.0,
        );
        let Some(points) = c.take(file, line.number, points) else {
            ok = false;
            continue;
        };
        let tags = READ.string_list(o.get("tags"), &format!("{f}.tags"));
        let Some(tags) = c.take(file, line.number, tags) else {
            ok = false;
            continue;
        };
        let check = match o.get("check") {
            None | Some(Value::Null) => None,
            Some(v) => match Check::parse(v, &format!("{f}.check")) {
                Ok(chk) => {
                    warn_unnormalised_regex(file, line, &chk, &format!("{f}.check"), c);
                    Some(chk)
                }
                Err(e) => {
                    c.error(file, line.number, Some(&e.field), e.message);
                    ok = false;
                    continue;
                }
            },
        };
        out.push(Criterion {
            id,
            text,
            points,
            tags,
            check,
        });
    }
    ok.then_some(out)
}

/// Regexes run on normalised answers, so a pattern character that normalisation changes (a
/// nukta, chandrabindu, tippi, chillu, ZWJ, native digit, capital letter outside an escape) can
/// never match as written. That is almost always a mistake, so say so.
fn warn_unnormalised_regex(
    file: &Path,
    line: &RawLine,
    check: &Check,
    field: &str,
    c: &mut Collector,
) {
    match check {
        Check::Regex(pattern) => {
            let odd: Vec<String> = pattern
                .chars()
                .filter(|ch| !ch.is_ascii())
                .filter(|ch| {
                    let s = ch.to_string();
                    crate::text::normalize(&s) != s
                })
                .map(|ch| format!("U+{:04X} `{ch}`", ch as u32))
                .collect();
            if !odd.is_empty() {
                let mut odd = odd;
                odd.dedup();
                c.warn(
                    file,
                    line.number,
                    Some(&format!("{field}.regex")),
                    format!(
                        "the pattern has characters that never occur in normalised answers: {} (write the normalised form, e.g. anusvara for chandrabindu, no nukta)",
                        odd.join(", ")
                    ),
                );
            }
        }
        Check::All(v) | Check::Any(v) => {
            let key = if matches!(check, Check::All(_)) {
                "all"
            } else {
                "any"
            };
            for (i, x) in v.iter().enumerate() {
                warn_unnormalised_regex(file, line, x, &format!("{field}.{key}[{i}]"), c);
            }
        }
        Check::Not(x) => warn_unnormalised_regex(file, line, x, &format!("{field}.not"), c),
        Check::Near { all, .. } => {
            for (i, x) in all.iter().enumerate() {
                warn_unnormalised_regex(file, line, x, &format!("{field}.near.all[{i}]"), c);
            }
        }
        Check::Affirmed(x, _) => warn_unnormalised_regex(file, line, x, field, c),
        _ => {}
    }
}

/// Parses a question line. Every field is read (so every problem is listed) before the line is
/// given up.
pub(super) fn parse_question(
    file: &Path,
    line: &RawLine,
    obj: &Map<String, Value>,
    c: &mut Collector,
) -> Option<Question> {
    let n = line.number;
    let id = c.take(file, n, READ.string(obj.get("id"), "id", false));
    let language = c.take(file, n, READ.string(obj.get("language"), "language", false));
    let domain = c.take(file, n, READ.string(obj.get("domain"), "domain", false));
    let prompt = c.take(file, n, parse_prompt(obj.get("prompt")));
    let prompt_en = c.take(
        file,
        n,
        READ.optional_string(obj.get("prompt_en"), "prompt_en"),
    );
    let ideal = c.take(
        file,
        n,
        READ.optional_string(obj.get("ideal_answer"), "ideal_answer"),
    );
    let tags = c.take(file, n, READ.string_list(obj.get("tags"), "tags"));
    let rubric = match obj.get("rubric") {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(v) => parse_criteria(file, line, Some(v), "rubric", c),
    };
    let min_words = min_words_field(file, line, obj, c);
    let (
        Some(id),
        Some(language),
        Some(domain),
        Some(prompt),
        Some(prompt_en),
        Some(ideal_answer),
        Some(tags),
        Some(rubric),
        Some(min_words),
    ) = (
        id, language, domain, prompt, prompt_en, ideal, tags, rubric, min_words,
    )
    else {
        return None;
    };
    let lang = parse_language(&language);
    if !lang.known {
        c.warn(file, line.number, Some("language"), format!("unknown language `{language}` (the bundled sets use bn, en, gu, hi, hi-Latn, kn, ml, mr, or, pa, ta, te)"));
    }
    let domain = domain.trim().to_string();
    if !is_snake_case(&domain) {
        c.error(
            file,
            line.number,
            Some("domain"),
            format!("expected a snake_case domain id, got `{domain}`"),
        );
        return None;
    }
    if !is_known_domain(&domain) {
        c.warn(
            file,
            line.number,
            Some("domain"),
            format!("domain `{domain}` is not one of IndQA's ten"),
        );
    }
    // A run's dataset snapshot marks HealthBench rows, whose language is assumed, not declared.
    let healthbench = obj
        .get("healthbench")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if let Some(known) = known_language(&lang.code).filter(|_| !healthbench) {
        let text = prompt.text();
        let share = crate::text::script_share(&text, known.script);
        if share < 0.5 {
            let found = crate::text::dominant_script(&text)
                .map(|(s, sh)| format!("mostly {} ({:.0}%)", s.name(), sh * 100.0))
                .unwrap_or_else(|| "no letters".into());
            c.error(
                file,
                line.number,
                Some("prompt"),
                format!(
                    "a {} question should be written in {} script, but only {:.0}% of its letters are; found {found}",
                    known.name,
                    known.script.name(),
                    share * 100.0
                ),
            );
            return None;
        }
    }
    Some(Question {
        id,
        language: lang.code,
        domain,
        prompt,
        prompt_en,
        ideal_answer,
        tags,
        rubric,
        origin: Origin {
            file: file.to_path_buf(),
            line: line.number,
        },
        healthbench,
        min_words,
    })
}

/// The optional `"min_words"` of a question or rubric line.
fn min_words_field(
    file: &Path,
    line: &RawLine,
    obj: &Map<String, Value>,
    c: &mut Collector,
) -> Option<Option<u32>> {
    match obj.get("min_words") {
        None | Some(Value::Null) => Some(None),
        Some(v) => match crate::dataset::parse_min_words(v, "min_words") {
            Ok(n) => Some(Some(n)),
            Err(e) => {
                c.error(file, line.number, Some(&e.field), e.message);
                None
            }
        },
    }
}

/// A HealthBench row (simple-evals' format): `prompt` messages, `prompt_id`, `rubrics`,
/// `example_tags`. Language `en`; domain from the `theme:` tag.
pub(super) fn parse_healthbench(
    file: &Path,
    line: &RawLine,
    obj: &Map<String, Value>,
    c: &mut Collector,
) -> Option<Question> {
    let n = line.number;
    let id = c.take(
        file,
        n,
        READ.string(obj.get("prompt_id"), "prompt_id", false),
    );
    let prompt = c.take(file, n, parse_prompt(obj.get("prompt")));
    let rubric = parse_criteria(file, line, obj.get("rubrics"), "rubrics", c);
    let tags = c.take(
        file,
        n,
        READ.string_list(obj.get("example_tags"), "example_tags"),
    );
    let (Some(id), Some(prompt), Some(rubric), Some(tags)) = (id, prompt, rubric, tags) else {
        return None;
    };
    let domain = tags
        .iter()
        .find_map(|t| t.strip_prefix("theme:"))
        .map(|t| t.replace('-', "_"))
        .unwrap_or_else(|| "health".to_string());
    let ideal_answer = obj
        .get("ideal_completions_data")
        .and_then(|d| d.get("ideal_completion"))
        .and_then(Value::as_str)
        .map(str::to_string);
    Some(Question {
        id,
        language: "en".into(),
        domain,
        prompt,
        prompt_en: None,
        ideal_answer,
        tags,
        rubric,
        origin: Origin {
            file: file.to_path_buf(),
            line: line.number,
        },
        healthbench: true,
        min_words: None,
    })
}
