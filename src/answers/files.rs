//! Answers from JSONL or CSV files, read as a stream of batches (a million answers are never
//! held in memory at once).

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::Answer;
use crate::error::{Diagnostic, Error, Result};
use crate::jsonl::{json_error, short_json, LineReader, RawLine};

/// An answer with the place it was read from.
#[derive(Debug, Clone)]
pub struct Located {
    pub file: u32,
    pub line: usize,
    pub answer: Answer,
}

enum Reader {
    Jsonl(LineReader),
    Csv {
        reader: csv::Reader<std::fs::File>,
        columns: Columns,
    },
}

#[derive(Default, Clone, Copy)]
struct Columns {
    question_id: Option<usize>,
    model: Option<usize>,
    answer: Option<usize>,
    sample: Option<usize>,
    error: Option<usize>,
    latency_ms: Option<usize>,
}

/// The answer files of one command, read one after another.
pub struct AnswerFiles {
    pub paths: Vec<PathBuf>,
    default_model: Option<String>,
    current: usize,
    reader: Option<Reader>,
    lines: Vec<RawLine>,
    /// Items read from the current file so far (an empty file is an error).
    in_file: usize,
    /// When set (by an interrupt), reading ends at the next batch as if the files had ended.
    stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl AnswerFiles {
    /// Expands folders into their `.jsonl` and `.csv` files. `model` names answers that carry no
    /// `model` field; without it, the file's stem does.
    pub fn open(paths: &[PathBuf], model: Option<String>) -> Result<Self> {
        let files = crate::dataset::load::expand_paths(paths, &["jsonl", "csv"])?;
        if files.is_empty() {
            return Err(Error::Usage(format!(
                "no .jsonl or .csv answer files found in {}",
                paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        Ok(AnswerFiles {
            paths: files,
            default_model: model,
            current: 0,
            reader: None,
            lines: Vec::new(),
            in_file: 0,
            stop: None,
        })
    }

    /// Ends reading at the next batch once `flag` is set: an interrupted run grades what it has
    /// in hand and stops, with every line it wrote whole.
    pub fn stop_on(&mut self, flag: std::sync::Arc<std::sync::atomic::AtomicBool>) {
        self.stop = Some(flag);
    }

    /// Whether reading was ended by the stop flag before the files ended.
    pub fn stopped(&self) -> bool {
        self.current < self.paths.len()
            && self
                .stop
                .as_ref()
                .is_some_and(|f| f.load(std::sync::atomic::Ordering::SeqCst))
    }

    fn model_for(&self, file: usize) -> String {
        self.default_model.clone().unwrap_or_else(|| {
            self.paths[file]
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "model".into())
        })
    }

    /// Reads the next batch of up to `max` answers (or problems, each naming file:line:field).
    /// Returns an empty vector at the end.
    pub fn next_batch(&mut self, max: usize) -> Result<Vec<Result<Located, Diagnostic>>> {
        use rayon::prelude::*;
        loop {
            if self.current >= self.paths.len() || self.stopped() {
                return Ok(Vec::new());
            }
            let path = self.paths[self.current].clone();
            if self.reader.is_none() {
                self.reader = Some(open_reader(&path)?);
            }
            let file = self.current as u32;
            let model = self.model_for(self.current);
            let reader = self
                .reader
                .as_mut()
                .ok_or_else(|| Error::Other("reader vanished".into()))?;
            let out: Vec<Result<Located, Diagnostic>> = match reader {
                Reader::Jsonl(r) => {
                    r.read_batch(max, &mut self.lines)?;
                    // Parsing is the costly part of reading; spread it over the pool.
                    self.lines
                        .par_iter()
                        .map(|l| {
                            parse_jsonl_line(&path, l, &model).map(|answer| Located {
                                file,
                                line: l.number,
                                answer,
                            })
                        })
                        .collect()
                }
                Reader::Csv { reader, columns } => {
                    let mut out = Vec::new();
                    let mut record = csv::StringRecord::new();
                    while out.len() < max {
                        match reader.read_record(&mut record) {
                            Ok(false) => break,
                            Ok(true) => {
                                let line =
                                    record.position().map(|p| p.line() as usize).unwrap_or(0);
                                out.push(
                                    parse_csv_record(&path, line, &record, *columns, &model)
                                        .map(|answer| Located { file, line, answer }),
                                );
                            }
                            Err(e) => {
                                let line = e.position().map(|p| p.line() as usize);
                                out.push(Err(Diagnostic::error(&path, line, None, csv_error(&e))));
                                // A UTF-8 error leaves the reader usable; other errors end the file.
                                if !matches!(
                                    e.kind(),
                                    csv::ErrorKind::Utf8 { .. }
                                        | csv::ErrorKind::UnequalLengths { .. }
                                ) {
                                    self.lines.clear();
                                    break;
                                }
                            }
                        }
                    }
                    out
                }
            };
            if out.is_empty() {
                self.reader = None;
                self.current += 1;
                let was_empty = self.in_file == 0;
                self.in_file = 0;
                if was_empty {
                    return Ok(vec![Err(Diagnostic::error(
                        &path,
                        None,
                        None,
                        "the file has no answers (it is empty)",
                    ))]);
                }
                continue;
            }
            self.in_file += out.len();
            return Ok(out);
        }
    }
}

/// Where a CSV file's quoting goes wrong.
#[derive(Debug, PartialEq)]
struct QuoteProblem {
    /// The line on which the badly quoted field starts.
    line: usize,
    /// The field's column (0-based).
    field: usize,
    message: String,
}

/// Finds a quoted field that is never closed, or closed too early. The csv crate reads an
/// unterminated quote to the end of the file as one field, so without this check every row after
/// it would vanish into one answer. Quotes inside unquoted fields are allowed, as the csv crate
/// allows them.
fn unbalanced_quote(mut r: impl std::io::BufRead) -> std::io::Result<Option<QuoteProblem>> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        /// A quote inside a quoted field: an escaped quote or the closing one.
        QuoteSeen,
        /// A carriage return right after a closing quote.
        ClosedCr,
    }
    let (mut state, mut line, mut field) = (State::FieldStart, 1usize, 0usize);
    let (mut open_line, mut open_field) = (0usize, 0usize);
    let mut first = true;
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        let mut bytes = buf;
        if first && bytes.starts_with(b"\xEF\xBB\xBF") {
            bytes = &bytes[3..];
        }
        first = false;
        for &b in bytes {
            state = match (state, b) {
                (State::FieldStart, b'"') => {
                    open_line = line;
                    open_field = field;
                    State::Quoted
                }
                (State::Quoted, b'"') => State::QuoteSeen,
                (State::QuoteSeen, b'"') => State::Quoted,
                (State::QuoteSeen, b'\r') => State::ClosedCr,
                (State::Quoted, b'\n') => {
                    line += 1;
                    State::Quoted
                }
                (State::Quoted, _) => State::Quoted,
                (State::FieldStart | State::Unquoted | State::QuoteSeen, b',') => {
                    field += 1;
                    State::FieldStart
                }
                (_, b'\n') => {
                    line += 1;
                    field = 0;
                    State::FieldStart
                }
                (State::FieldStart | State::Unquoted, _) => State::Unquoted,
                (State::ClosedCr, b'\r') => State::ClosedCr,
                (State::QuoteSeen | State::ClosedCr, _) => {
                    return Ok(Some(QuoteProblem {
                        line: open_line,
                        field: open_field,
                        message: format!(
                            "text follows the closing quote of the field that starts here (line {line}); a quote inside a quoted field must be doubled (\"\"), or a quote was left open"
                        ),
                    }));
                }
            };
        }
        let n = buf.len();
        r.consume(n);
    }
    Ok((state == State::Quoted).then(|| QuoteProblem {
        line: open_line,
        field: open_field,
        message: format!(
            "the quoted field that starts here is never closed: every line after it, up to the end of the file (line {line}), would be read as part of it"
        ),
    }))
}

fn csv_error(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8 in this record (files must be UTF-8)".into(),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("expected {expected_len} columns, got {len}")
        }
        _ => e.to_string(),
    }
}

fn open_reader(path: &Path) -> Result<Reader> {
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if !is_csv {
        return Ok(Reader::Jsonl(LineReader::open(path)?));
    }
    let file = std::fs::File::open(path).map_err(|e| Error::unreadable(path, e))?;
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(file);
    let headers = reader
        .headers()
        .map_err(|e| {
            Error::Input(vec![Diagnostic::error(
                path,
                Some(1),
                None,
                format!("cannot read the CSV header: {}", csv_error(&e)),
            )])
        })?
        .clone();
    let mut cols = Columns::default();
    for (i, h) in headers.iter().enumerate() {
        // The csv crate keeps a UTF-8 BOM on the first header; it is not part of the name.
        let h = h.trim_start_matches('\u{feff}').trim();
        match h {
            "question_id" => cols.question_id = Some(i),
            "model" => cols.model = Some(i),
            "answer" => cols.answer = Some(i),
            "sample" => cols.sample = Some(i),
            "error" => cols.error = Some(i),
            "latency_ms" => cols.latency_ms = Some(i),
            _ => {}
        }
    }
    let mut missing = Vec::new();
    if cols.question_id.is_none() {
        missing.push(Diagnostic::error(
            path,
            Some(1),
            Some("question_id"),
            "the CSV header has no `question_id` column",
        ));
    }
    if cols.answer.is_none() {
        missing.push(Diagnostic::error(
            path,
            Some(1),
            Some("answer"),
            "the CSV header has no `answer` column",
        ));
    }
    if !missing.is_empty() {
        return Err(Error::Input(missing));
    }
    let file = std::fs::File::open(path).map_err(|e| Error::unreadable(path, e))?;
    if let Some(bad) =
        unbalanced_quote(std::io::BufReader::new(file)).map_err(|e| Error::unreadable(path, e))?
    {
        let column = headers
            .get(bad.field)
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_string());
        return Err(Error::Input(vec![Diagnostic::error(
            path,
            Some(bad.line),
            column.as_deref(),
            bad.message,
        )]));
    }
    Ok(Reader::Csv {
        reader,
        columns: cols,
    })
}

fn parse_csv_record(
    path: &Path,
    line: usize,
    r: &csv::StringRecord,
    c: Columns,
    model: &str,
) -> Result<Answer, Diagnostic> {
    let get = |i: Option<usize>| i.and_then(|i| r.get(i)).map(str::to_string);
    let err = |field: &str, msg: String| Diagnostic::error(path, Some(line), Some(field), msg);
    let question_id = get(c.question_id)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| err("question_id", "required field is empty".into()))?;
    let error = get(c.error).filter(|s| !s.is_empty());
    let answer = get(c.answer);
    let answer = match (answer, &error) {
        (Some(a), Some(_)) if a.is_empty() => None,
        (Some(a), _) => Some(a),
        (None, _) => None,
    };
    let sample = match get(c.sample).filter(|s| !s.trim().is_empty()) {
        None => 0,
        Some(s) => s
            .trim()
            .parse::<u32>()
            .map_err(|_| err("sample", format!("expected a whole number >= 0, got `{s}`")))?,
    };
    let latency_ms = match get(c.latency_ms).filter(|s| !s.trim().is_empty()) {
        None => None,
        Some(s) => Some(
            s.trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| err("latency_ms", format!("expected a number, got `{s}`")))?,
        ),
    };
    let model = get(c.model)
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| model.to_string());
    Ok(Answer {
        question_id,
        model,
        sample,
        answer,
        error,
        usage: None,
        latency_ms,
        finish_reason: None,
        refusal: false,
    })
}

/// The fast path deserialises straight into a typed struct; only when that fails is the line
/// parsed again as a JSON value, to say which field is wrong.
#[derive(serde::Deserialize)]
struct Fast {
    question_id: String,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    sample: Option<u32>,
    #[serde(default)]
    answer: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    usage: Option<Value>,
    #[serde(default)]
    latency_ms: Option<f64>,
    #[serde(default)]
    finish_reason: Option<String>,
    #[serde(default)]
    refusal: Option<bool>,
}

/// Parses one JSONL answer line.
pub fn parse_jsonl_line(
    path: &Path,
    line: &RawLine,
    default_model: &str,
) -> Result<Answer, Diagnostic> {
    let text = line.text(path)?;
    if let Ok(f) = serde_json::from_str::<Fast>(text) {
        if !f.question_id.trim().is_empty()
            && (f.answer.is_some() || f.error.is_some())
            && f.model.as_ref().is_none_or(|m| !m.trim().is_empty())
        {
            return Ok(Answer {
                question_id: f.question_id,
                model: f.model.unwrap_or_else(|| default_model.to_string()),
                sample: f.sample.unwrap_or(0),
                answer: f.answer,
                error: f.error,
                usage: f.usage,
                latency_ms: f.latency_ms,
                finish_reason: f.finish_reason,
                refusal: f.refusal.unwrap_or(false),
            });
        }
    }
    let obj = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(o)) => o,
        Ok(other) => {
            return Err(Diagnostic::error(
                path,
                Some(line.number),
                None,
                format!("expected a JSON object, got {}", short_json(&other)),
            ))
        }
        Err(e) => {
            return Err(Diagnostic::error(
                path,
                Some(line.number),
                None,
                format!("malformed JSON: {}", json_error(&e)),
            ))
        }
    };
    slow_parse(path, line.number, &obj, default_model)
}

fn slow_parse(
    path: &Path,
    line: usize,
    o: &Map<String, Value>,
    default_model: &str,
) -> Result<Answer, Diagnostic> {
    let err = |field: &str, msg: String| Diagnostic::error(path, Some(line), Some(field), msg);
    let string = |key: &str, required: bool| -> Result<Option<String>, Diagnostic> {
        match o.get(key) {
            None | Some(Value::Null) if required => {
                Err(err(key, "required field is missing".into()))
            }
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if required && s.trim().is_empty() => {
                Err(err(key, "expected a non-empty string".into()))
            }
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(err(
                key,
                format!("expected a string, got {}", short_json(v)),
            )),
        }
    };
    let question_id = string("question_id", true)?.unwrap_or_default();
    let model = match string("model", false)? {
        Some(m) if m.trim().is_empty() => {
            return Err(err("model", "expected a non-empty string".into()))
        }
        Some(m) => m,
        None => default_model.to_string(),
    };
    let answer = string("answer", false)?;
    let error = string("error", false)?;
    if answer.is_none() && error.is_none() {
        return Err(err(
            "answer",
            "required field is missing (an item with no answer must carry an `error`)".into(),
        ));
    }
    let sample = match o.get("sample") {
        None | Some(Value::Null) => 0,
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| {
                err(
                    "sample",
                    format!("expected a whole number >= 0, got {}", short_json(v)),
                )
            })?,
    };
    let latency_ms = match o.get("latency_ms") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_f64().ok_or_else(|| {
            err(
                "latency_ms",
                format!("expected a number, got {}", short_json(v)),
            )
        })?),
    };
    Ok(Answer {
        question_id,
        model,
        sample,
        answer,
        error,
        usage: o.get("usage").cloned().filter(|u| !u.is_null()),
        latency_ms,
        finish_reason: o
            .get("finish_reason")
            .and_then(Value::as_str)
            .map(str::to_string),
        refusal: o.get("refusal").and_then(Value::as_bool).unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Answer, Diagnostic> {
        parse_jsonl_line(
            Path::new("a.jsonl"),
            &RawLine {
                number: 3,
                bytes: s.as_bytes().to_vec(),
            },
            "stem",
        )
    }

    fn quotes(s: &str) -> Option<(usize, usize)> {
        unbalanced_quote(s.as_bytes())
            .unwrap()
            .map(|p| (p.line, p.field))
    }

    #[test]
    fn csv_quoting_is_checked() {
        // Well formed: escaped quotes, quoted newlines, CRLF, a BOM, a bare quote mid-field.
        assert_eq!(quotes("a,b\n\"x \"\"y\"\"\",z\n"), None);
        assert_eq!(quotes("a,b\r\n\"two\nlines\",z\r\n"), None);
        assert_eq!(quotes("\u{feff}a,b\n5\" screen,z\n"), None);
        assert_eq!(quotes("a,b\n\"\",\"\"\n"), None);
        // Never closed: reported at the line and column where it opens.
        assert_eq!(quotes("a,b,c\nq1,m,\"open\nq2,m,x\nq3,m,y\n"), Some((2, 2)));
        // Closed by the next row's opening quote, then text follows.
        assert_eq!(quotes("a,b,c\nq1,m,\"open\nq2,m,\"x\"\n"), Some((2, 2)));
        assert_eq!(quotes("a,b\n\"x\"y,z\n"), Some((2, 0)));
    }

    #[test]
    fn fast_and_slow_paths() {
        let a = parse(r#"{"question_id": "q1", "answer": "x"}"#).unwrap();
        assert_eq!((a.model.as_str(), a.sample), ("stem", 0));
        let a = parse(r#"{"question_id": "q1", "model": "m", "sample": 2, "answer": null, "error": "timeout"}"#).unwrap();
        assert_eq!(a.answer, None);
        let e = parse(r#"{"question_id": 5, "answer": "x"}"#).unwrap_err();
        assert_eq!((e.line, e.field.as_deref()), (Some(3), Some("question_id")));
        let e = parse(r#"{"question_id": "q", "answer": "x", "sample": -1}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("sample"));
        let e = parse(r#"{"question_id": "q"}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("answer"));
        let e = parse(r#"{"question_id": "q", "answer": "#).unwrap_err();
        assert!(e.message.contains("malformed JSON"));
    }
}
