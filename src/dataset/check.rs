//! Machine checks attached to criteria (SPEC §3 "Checks"): parsing and validation.
//!
//! A check is parsed from JSON by hand rather than through serde's derive so that every problem
//! names the exact field (`check.all[1].regex`) and says what was expected.

use serde_json::{json, Map, Value};

use crate::text::Script;

/// A machine-decidable test of whether the behaviour a criterion describes is in an answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// At least one phrase occurs (at word boundaries, after normalisation).
    Mentions(Vec<String>),
    /// Every phrase occurs.
    MentionsAll(Vec<String>),
    /// A Rust regex matches the normalised answer.
    Regex(String),
    /// A number in the answer is within `tolerance` of `value`.
    Number {
        value: f64,
        tolerance: f64,
    },
    /// At least `min_share` of the answer's letters are in `script`.
    Script {
        script: Script,
        min_share: f64,
    },
    /// The answer's word count is within the bounds.
    Words {
        min: Option<u64>,
        max: Option<u64>,
    },
    All(Vec<Check>),
    Any(Vec<Check>),
    Not(Box<Check>),
}

/// A problem in a check, with the path of the field inside the check object.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckError {
    pub field: String,
    pub message: String,
}

fn err(field: &str, message: impl Into<String>) -> CheckError {
    CheckError {
        field: field.to_string(),
        message: message.into(),
    }
}

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

impl Check {
    /// Parses a check object. `path` is the field path of the check itself, used in errors.
    pub fn parse(value: &Value, path: &str) -> Result<Check, CheckError> {
        let obj = value.as_object().ok_or_else(|| {
            err(
                path,
                format!("expected a check object, got {}", describe(value)),
            )
        })?;
        if obj.len() != 1 && !obj.contains_key("script") {
            return Err(err(
                path,
                format!(
                    "expected exactly one of mentions, mentions_all, regex, number, script, words, all, any, not; got keys {}",
                    keys(obj)
                ),
            ));
        }
        let (key, inner) = if obj.contains_key("script") {
            ("script", &obj["script"])
        } else {
            obj.iter()
                .next()
                .map(|(k, v)| (k.as_str(), v))
                .ok_or_else(|| err(path, "empty check object"))?
        };
        let field = format!("{path}.{key}");
        match key {
            "mentions" | "mentions_all" => {
                let phrases = phrase_list(inner, &field)?;
                Ok(if key == "mentions" { Check::Mentions(phrases) } else { Check::MentionsAll(phrases) })
            }
            "regex" => {
                let pattern = inner
                    .as_str()
                    .ok_or_else(|| err(&field, format!("expected a regex string, got {}", describe(inner))))?;
                regex::Regex::new(pattern).map_err(|e| err(&field, format!("invalid regex: {}", one_line(&e.to_string()))))?;
                Ok(Check::Regex(pattern.to_string()))
            }
            "number" => parse_number(inner, &field),
            "script" => {
                for k in obj.keys() {
                    if k != "script" && k != "min_share" {
                        return Err(err(&format!("{path}.{k}"), "unexpected key in a script check (expected script and min_share)"));
                    }
                }
                let code = inner
                    .as_str()
                    .ok_or_else(|| err(&field, format!("expected an ISO 15924 script code, got {}", describe(inner))))?;
                let script = Script::from_code(code).ok_or_else(|| {
                    err(
                        &field,
                        format!(
                            "unknown script `{code}` (expected one of {})",
                            Script::ALL.iter().map(|s| s.code()).collect::<Vec<_>>().join(", ")
                        ),
                    )
                })?;
                let min_share = match obj.get("min_share") {
                    None => 0.5,
                    Some(v) => {
                        let share_field = format!("{path}.min_share");
                        let x = v.as_f64().ok_or_else(|| err(&share_field, format!("expected a number from 0 to 1, got {}", describe(v))))?;
                        if !(0.0..=1.0).contains(&x) {
                            return Err(err(&share_field, format!("expected a number from 0 to 1, got {x}")));
                        }
                        x
                    }
                };
                Ok(Check::Script { script, min_share })
            }
            "words" => {
                let o = inner
                    .as_object()
                    .ok_or_else(|| err(&field, format!("expected {{\"min\": N, \"max\": N}}, got {}", describe(inner))))?;
                let mut min = None;
                let mut max = None;
                for (k, v) in o {
                    let f = format!("{field}.{k}");
                    let n = v.as_u64().ok_or_else(|| err(&f, format!("expected a whole number, got {v}")))?;
                    match k.as_str() {
                        "min" => min = Some(n),
                        "max" => max = Some(n),
                        _ => return Err(err(&f, "unexpected key (expected min and/or max)")),
                    }
                }
                if min.is_none() && max.is_none() {
                    return Err(err(&field, "expected at least one of min and max"));
                }
                if let (Some(a), Some(b)) = (min, max) {
                    if a > b {
                        return Err(err(&field, format!("min {a} is greater than max {b}")));
                    }
                }
                Ok(Check::Words { min, max })
            }
            "all" | "any" => {
                let list = inner
                    .as_array()
                    .ok_or_else(|| err(&field, format!("expected a list of checks, got {}", describe(inner))))?;
                if list.is_empty() {
                    return Err(err(&field, "expected at least one check"));
                }
                let checks = list
                    .iter()
                    .enumerate()
                    .map(|(i, c)| Check::parse(c, &format!("{field}[{i}]")))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(if key == "all" { Check::All(checks) } else { Check::Any(checks) })
            }
            "not" => Ok(Check::Not(Box::new(Check::parse(inner, &field)?))),
            other => Err(err(
                &format!("{path}.{other}"),
                "unknown check kind (expected mentions, mentions_all, regex, number, script, words, all, any or not)",
            )),
        }
    }

    /// The check as JSON, in the same shape it is read from.
    pub fn to_json(&self) -> Value {
        match self {
            Check::Mentions(p) => json!({ "mentions": p }),
            Check::MentionsAll(p) => json!({ "mentions_all": p }),
            Check::Regex(r) => json!({ "regex": r }),
            Check::Number { value, tolerance } if *tolerance == 0.0 => json!({ "number": value }),
            Check::Number { value, tolerance } => {
                json!({ "number": { "value": value, "tolerance": tolerance } })
            }
            Check::Script { script, min_share } => {
                json!({ "script": script.code(), "min_share": min_share })
            }
            Check::Words { min, max } => {
                let mut o = Map::new();
                if let Some(m) = min {
                    o.insert("min".into(), json!(m));
                }
                if let Some(m) = max {
                    o.insert("max".into(), json!(m));
                }
                json!({ "words": o })
            }
            Check::All(c) => json!({ "all": c.iter().map(Check::to_json).collect::<Vec<_>>() }),
            Check::Any(c) => json!({ "any": c.iter().map(Check::to_json).collect::<Vec<_>>() }),
            Check::Not(c) => json!({ "not": c.to_json() }),
        }
    }
}

fn keys(obj: &Map<String, Value>) -> String {
    if obj.is_empty() {
        return "none".into();
    }
    obj.keys()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn phrase_list(v: &Value, field: &str) -> Result<Vec<String>, CheckError> {
    let list = v.as_array().ok_or_else(|| {
        err(
            field,
            format!("expected a list of phrases, got {}", describe(v)),
        )
    })?;
    if list.is_empty() {
        return Err(err(
            field,
            "expected at least one phrase, got an empty list",
        ));
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, p) in list.iter().enumerate() {
        let f = format!("{field}[{i}]");
        let s = p
            .as_str()
            .ok_or_else(|| err(&f, format!("expected a phrase string, got {}", describe(p))))?;
        if crate::text::normalize(s).is_empty() {
            return Err(err(
                &f,
                "the phrase is empty once punctuation and spaces are removed",
            ));
        }
        out.push(s.to_string());
    }
    Ok(out)
}

fn finite(v: &Value, field: &str, what: &str) -> Result<f64, CheckError> {
    match v.as_f64() {
        Some(x) if x.is_finite() => Ok(x),
        _ => Err(err(
            field,
            format!(
                "expected {what}, got {}",
                if v.is_number() {
                    v.to_string()
                } else {
                    describe(v).to_string()
                }
            ),
        )),
    }
}

fn parse_number(v: &Value, field: &str) -> Result<Check, CheckError> {
    match v {
        Value::Number(_) => Ok(Check::Number {
            value: finite(v, field, "a finite number")?,
            tolerance: 0.0,
        }),
        Value::Object(o) => {
            let value = o.get("value").ok_or_else(|| {
                err(
                    field,
                    "expected {\"value\": N, \"tolerance\": T}; `value` is missing",
                )
            })?;
            let value = finite(value, &format!("{field}.value"), "a finite number")?;
            let tolerance = match o.get("tolerance") {
                None => 0.0,
                Some(t) => {
                    let t = finite(t, &format!("{field}.tolerance"), "a finite number >= 0")?;
                    if t < 0.0 {
                        return Err(err(
                            &format!("{field}.tolerance"),
                            format!("expected a number >= 0, got {t}"),
                        ));
                    }
                    t
                }
            };
            for k in o.keys() {
                if k != "value" && k != "tolerance" {
                    return Err(err(
                        &format!("{field}.{k}"),
                        "unexpected key (expected value and tolerance)",
                    ));
                }
            }
            Ok(Check::Number { value, tolerance })
        }
        other => Err(err(
            field,
            format!(
                "expected a number or {{\"value\", \"tolerance\"}}, got {}",
                describe(other)
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Check, CheckError> {
        Check::parse(&serde_json::from_str(s).unwrap(), "check")
    }

    #[test]
    fn parses_every_kind() {
        assert_eq!(
            parse(r#"{"mentions": ["a", "b"]}"#).unwrap(),
            Check::Mentions(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            parse(r#"{"number": 1857}"#).unwrap(),
            Check::Number {
                value: 1857.0,
                tolerance: 0.0
            }
        );
        assert_eq!(
            parse(r#"{"number": {"value": 3.5, "tolerance": 0.1}}"#).unwrap(),
            Check::Number {
                value: 3.5,
                tolerance: 0.1
            }
        );
        assert_eq!(
            parse(r#"{"script": "deva", "min_share": 0.5}"#).unwrap(),
            Check::Script {
                script: Script::Deva,
                min_share: 0.5
            }
        );
        assert_eq!(
            parse(r#"{"words": {"max": 10}}"#).unwrap(),
            Check::Words {
                min: None,
                max: Some(10)
            }
        );
        let nested =
            parse(r#"{"all": [{"any": [{"regex": "x+"}]}, {"not": {"mentions_all": ["q"]}}]}"#)
                .unwrap();
        assert!(matches!(nested, Check::All(ref v) if v.len() == 2));
        // Round trip through JSON.
        assert_eq!(Check::parse(&nested.to_json(), "c").unwrap(), nested);
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(parse(r#"{"regex": "("}"#).unwrap_err().field, "check.regex");
        assert_eq!(
            parse(r#"{"mentions": []}"#).unwrap_err().field,
            "check.mentions"
        );
        assert_eq!(
            parse(r#"{"mentions": ["ok", " । "]}"#).unwrap_err().field,
            "check.mentions[1]"
        );
        assert_eq!(
            parse(r#"{"script": "Xxxx"}"#).unwrap_err().field,
            "check.script"
        );
        assert_eq!(
            parse(r#"{"all": [{"regex": "["}]}"#).unwrap_err().field,
            "check.all[0].regex"
        );
        assert_eq!(parse(r#"{"bogus": 1}"#).unwrap_err().field, "check.bogus");
        assert_eq!(
            parse(r#"{"words": {"min": 5, "max": 2}}"#)
                .unwrap_err()
                .field,
            "check.words"
        );
        assert_eq!(
            parse(r#"{"number": {"value": 1, "tolerance": -1}}"#)
                .unwrap_err()
                .field,
            "check.number.tolerance"
        );
        assert!(parse(r#"{"mentions": ["a"], "regex": "b"}"#).is_err());
        assert!(parse(r#"[1]"#).is_err());
    }
}
