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
    /// A number in the answer is within `tolerance` of `value`; with `near` phrases, only a
    /// number within `within` words of one of them counts (a count next to what it counts).
    Number {
        value: f64,
        tolerance: f64,
        near: Vec<String>,
        within: u32,
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
    /// Every inner check is met within `within` words of each other.
    Near {
        all: Vec<Check>,
        within: u32,
    },
    /// `"affirmed": true|false` beside a phrase, number or near check: whether only
    /// occurrences the answer asserts (not negated or rebutted) count. Negative criteria assert
    /// by default; `false` turns that off.
    Affirmed(Box<Check>, bool),
}

/// Words a number's `near` phrases may be from it when the check gives no `within`.
pub const DEFAULT_NEAR_WITHIN: u32 = 5;

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
        if let Some(flag) = obj.get("affirmed") {
            let field = format!("{path}.affirmed");
            let on = flag.as_bool().ok_or_else(|| {
                err(
                    &field,
                    format!("expected true or false, got {}", describe(flag)),
                )
            })?;
            let mut rest = obj.clone();
            rest.remove("affirmed");
            let inner = Check::parse(&Value::Object(rest), path)?;
            return match inner {
                Check::Mentions(_)
                | Check::MentionsAll(_)
                | Check::Number { .. }
                | Check::Near { .. } => Ok(Check::Affirmed(Box::new(inner), on)),
                _ => Err(err(
                    &field,
                    "`affirmed` goes beside mentions, mentions_all, number or near",
                )),
            };
        }
        if obj.len() != 1 && !obj.contains_key("script") {
            return Err(err(
                path,
                format!(
                    "expected exactly one of mentions, mentions_all, regex, number, script, words, all, any, not, near (and optionally affirmed); got keys {}",
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
            "near" => parse_near(inner, &field),
            other => Err(err(
                &format!("{path}.{other}"),
                "unknown check kind (expected mentions, mentions_all, regex, number, script, words, all, any, not or near)",
            )),
        }
    }

    /// The check as JSON, in the same shape it is read from.
    pub fn to_json(&self) -> Value {
        match self {
            Check::Mentions(p) => json!({ "mentions": p }),
            Check::MentionsAll(p) => json!({ "mentions_all": p }),
            Check::Regex(r) => json!({ "regex": r }),
            Check::Number {
                value,
                tolerance,
                near,
                ..
            } if *tolerance == 0.0 && near.is_empty() => json!({ "number": value }),
            Check::Number {
                value,
                tolerance,
                near,
                within,
            } => {
                let mut o = Map::new();
                o.insert("value".into(), json!(value));
                if *tolerance != 0.0 {
                    o.insert("tolerance".into(), json!(tolerance));
                }
                if !near.is_empty() {
                    o.insert("near".into(), json!(near));
                    o.insert("within".into(), json!(within));
                }
                json!({ "number": o })
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
            Check::Near { all, within } => json!({ "near": {
                "all": all.iter().map(Check::to_json).collect::<Vec<_>>(),
                "within": within,
            } }),
            Check::Affirmed(c, on) => {
                let mut v = c.to_json();
                if let Some(o) = v.as_object_mut() {
                    o.insert("affirmed".into(), json!(on));
                }
                v
            }
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
        check_phrase(s, &f)?;
        out.push(s.to_string());
    }
    Ok(out)
}

/// A phrase is usable when something is left of it once normalised, and a `*` (prefix match)
/// comes only at its end, right after a letter.
fn check_phrase(s: &str, f: &str) -> Result<(), CheckError> {
    let trimmed = s.trim();
    let body = trimmed.strip_suffix('*').unwrap_or(trimmed);
    if body.contains('*') {
        return Err(err(
            f,
            "`*` may only end a phrase (it makes the phrase's last word match any word that begins with it)",
        ));
    }
    if body != trimmed && body.ends_with(|c: char| !crate::text::is_word_char(c)) {
        return Err(err(
            f,
            "`*` must follow a word directly (\"ராஜராஜ*\", not \"ராஜராஜ *\")",
        ));
    }
    if crate::text::normalize(body).is_empty() {
        return Err(err(
            f,
            if body != trimmed {
                "the phrase is only `*`: give the beginning of a word before it"
            } else {
                "the phrase is empty once punctuation and spaces are removed"
            },
        ));
    }
    Ok(())
}

fn positive_u32(v: &Value, field: &str) -> Result<u32, CheckError> {
    match v.as_u64() {
        Some(n) if n >= 1 && n <= u32::MAX as u64 => Ok(n as u32),
        _ => Err(err(
            field,
            format!(
                "expected a whole number of words >= 1, got {}",
                if v.is_number() {
                    v.to_string()
                } else {
                    describe(v).to_string()
                }
            ),
        )),
    }
}

/// `"min_words"` of a rubric line or a question: a positive whole number.
pub fn parse_min_words(v: &Value, field: &str) -> Result<u32, CheckError> {
    positive_u32(v, field)
}

fn parse_near(v: &Value, field: &str) -> Result<Check, CheckError> {
    let o = v.as_object().ok_or_else(|| {
        err(
            field,
            format!(
                "expected {{\"all\": [check, …], \"within\": N}}, got {}",
                describe(v)
            ),
        )
    })?;
    for k in o.keys() {
        if k != "all" && k != "within" {
            return Err(err(
                &format!("{field}.{k}"),
                "unexpected key (expected all and within)",
            ));
        }
    }
    let all_field = format!("{field}.all");
    let list = o
        .get("all")
        .ok_or_else(|| err(&all_field, "required field is missing"))?
        .as_array()
        .ok_or_else(|| err(&all_field, "expected a list of checks"))?;
    if list.is_empty() {
        return Err(err(&all_field, "expected at least one check"));
    }
    let mut all = Vec::with_capacity(list.len());
    for (i, c) in list.iter().enumerate() {
        let f = format!("{all_field}[{i}]");
        let chk = Check::parse(c, &f)?;
        if !chk.is_positional() {
            return Err(err(
                &f,
                "a near check can hold only mentions, mentions_all, number, regex and near checks (they have a place in the answer)",
            ));
        }
        all.push(chk);
    }
    let within_field = format!("{field}.within");
    let within = positive_u32(
        o.get("within")
            .ok_or_else(|| err(&within_field, "required field is missing"))?,
        &within_field,
    )?;
    Ok(Check::Near { all, within })
}

impl Check {
    /// Whether the check is met at places in the answer (so it can sit inside `near`).
    pub fn is_positional(&self) -> bool {
        match self {
            Check::Mentions(_)
            | Check::MentionsAll(_)
            | Check::Number { .. }
            | Check::Regex(_)
            | Check::Near { .. } => true,
            Check::Affirmed(c, _) => c.is_positional(),
            _ => false,
        }
    }
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
            near: Vec::new(),
            within: DEFAULT_NEAR_WITHIN,
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
                if !matches!(k.as_str(), "value" | "tolerance" | "near" | "within") {
                    return Err(err(
                        &format!("{field}.{k}"),
                        "unexpected key (expected value, tolerance, near and within)",
                    ));
                }
            }
            let near = match o.get("near") {
                None => Vec::new(),
                Some(n) => phrase_list(n, &format!("{field}.near"))?,
            };
            let within = match o.get("within") {
                None => DEFAULT_NEAR_WITHIN,
                Some(w) if near.is_empty() => {
                    let _ = w;
                    return Err(err(
                        &format!("{field}.within"),
                        "`within` needs `near` phrases to be near to",
                    ));
                }
                Some(w) => positive_u32(w, &format!("{field}.within"))?,
            };
            Ok(Check::Number {
                value,
                tolerance,
                near,
                within,
            })
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
                tolerance: 0.0,
                near: vec![],
                within: DEFAULT_NEAR_WITHIN
            }
        );
        assert_eq!(
            parse(r#"{"number": {"value": 3.5, "tolerance": 0.1}}"#).unwrap(),
            Check::Number {
                value: 3.5,
                tolerance: 0.1,
                near: vec![],
                within: DEFAULT_NEAR_WITHIN
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

    #[test]
    fn parses_the_context_syntax() {
        let c =
            parse(r#"{"number": {"value": 12, "near": ["wheels", "চাকা*"], "within": 4}}"#).unwrap();
        assert_eq!(
            c,
            Check::Number {
                value: 12.0,
                tolerance: 0.0,
                near: vec!["wheels".into(), "চাকা*".into()],
                within: 4
            }
        );
        assert_eq!(Check::parse(&c.to_json(), "c").unwrap(), c);
        let d = parse(r#"{"number": {"value": 7, "near": ["horses"]}}"#).unwrap();
        assert!(matches!(
            d,
            Check::Number {
                within: DEFAULT_NEAR_WITHIN,
                ..
            }
        ));
        let n = parse(
            r#"{"near": {"all": [{"mentions": ["Rajendra*"]}, {"number": 1025}], "within": 6}}"#,
        )
        .unwrap();
        assert!(matches!(n, Check::Near { within: 6, ref all } if all.len() == 2));
        assert_eq!(Check::parse(&n.to_json(), "c").unwrap(), n);
        let a = parse(r#"{"mentions": ["x"], "affirmed": true}"#).unwrap();
        assert_eq!(
            a,
            Check::Affirmed(Box::new(Check::Mentions(vec!["x".into()])), true)
        );
        assert_eq!(Check::parse(&a.to_json(), "c").unwrap(), a);
        let f = parse(r#"{"affirmed": false, "number": 3}"#).unwrap();
        assert!(matches!(f, Check::Affirmed(_, false)));
        assert!(parse(r#"{"mentions": ["ராஜராஜ*", "two words*"]}"#).is_ok());
    }

    #[test]
    fn context_syntax_errors_name_the_field() {
        let field = |s: &str| parse(s).unwrap_err().field;
        assert_eq!(field(r#"{"mentions": ["*"]}"#), "check.mentions[0]");
        assert_eq!(field(r#"{"mentions": ["a", "b*c"]}"#), "check.mentions[1]");
        assert_eq!(field(r#"{"mentions": ["ab *"]}"#), "check.mentions[0]");
        assert_eq!(field(r#"{"mentions": ["ab**"]}"#), "check.mentions[0]");
        assert_eq!(
            field(r#"{"near": {"all": [], "within": 3}}"#),
            "check.near.all"
        );
        assert_eq!(
            field(r#"{"near": {"all": [{"mentions": ["a"]}], "within": 0}}"#),
            "check.near.within"
        );
        assert_eq!(
            field(r#"{"near": {"all": [{"mentions": ["a"]}], "within": -2}}"#),
            "check.near.within"
        );
        assert_eq!(
            field(r#"{"near": {"all": [{"mentions": ["a"]}]}}"#),
            "check.near.within"
        );
        assert_eq!(
            field(r#"{"near": {"all": [{"words": {"min": 3}}], "within": 3}}"#),
            "check.near.all[0]"
        );
        assert_eq!(
            field(r#"{"near": {"all": [{"mentions": ["a"]}], "within": 2, "x": 1}}"#),
            "check.near.x"
        );
        assert_eq!(
            field(r#"{"number": {"value": 1, "near": ["a"], "within": 0}}"#),
            "check.number.within"
        );
        assert_eq!(
            field(r#"{"number": {"value": 1, "within": 3}}"#),
            "check.number.within"
        );
        assert_eq!(
            field(r#"{"number": {"value": 1, "near": []}}"#),
            "check.number.near"
        );
        assert_eq!(
            field(r#"{"mentions": ["a"], "affirmed": "yes"}"#),
            "check.affirmed"
        );
        assert_eq!(
            field(r#"{"words": {"min": 2}, "affirmed": true}"#),
            "check.affirmed"
        );
        assert_eq!(
            parse_min_words(&serde_json::json!(0), "min_words")
                .unwrap_err()
                .field,
            "min_words"
        );
        assert!(parse_min_words(&serde_json::json!(2.5), "min_words").is_err());
        assert!(parse_min_words(&serde_json::json!("5"), "min_words").is_err());
        assert_eq!(
            parse_min_words(&serde_json::json!(12), "min_words").unwrap(),
            12
        );
    }
}
