//! Line-oriented input and output shared by every loader and writer.
//!
//! Readers tolerate what real files contain (a UTF-8 byte-order mark, CRLF line ends, blank
//! lines) and turn what they cannot read (invalid UTF-8, bad JSON) into diagnostics naming the
//! line, never a panic.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Diagnostic, Error, Result};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One raw input line: its 1-based number and its bytes without the line end.
#[derive(Debug, Clone)]
pub struct RawLine {
    pub number: usize,
    pub bytes: Vec<u8>,
}

impl RawLine {
    /// The line as text, or a diagnostic naming the line when it is not UTF-8.
    pub fn text(&self, path: &Path) -> Result<&str, Diagnostic> {
        // Validated with SIMD (answer lines are mostly three-byte Indic characters, where the
        // standard library's check goes byte by byte); the standard check runs only on a bad
        // line, to say where it goes wrong.
        if let Ok(text) = simdutf8::basic::from_utf8(&self.bytes) {
            return Ok(text);
        }
        std::str::from_utf8(&self.bytes).map_err(|e| {
            Diagnostic::error(
                path,
                Some(self.number),
                None,
                format!(
                    "invalid UTF-8 at byte {} of the line (files must be UTF-8)",
                    e.valid_up_to() + 1
                ),
            )
        })
    }
}

/// Streams the non-blank lines of a file in batches, so big answer files are never held whole.
pub struct LineReader {
    reader: Box<dyn BufRead + Send>,
    pub path: PathBuf,
    number: usize,
    done: bool,
}

impl LineReader {
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::unreadable(path, e))?;
        Ok(Self::from_reader(
            path,
            BufReader::with_capacity(1 << 20, file),
        ))
    }

    pub fn from_reader(path: &Path, reader: impl BufRead + Send + 'static) -> Self {
        LineReader {
            reader: Box::new(reader),
            path: path.to_path_buf(),
            number: 0,
            done: false,
        }
    }

    /// Reads up to `max` non-blank lines into `out` (cleared first). Returns false at the end.
    pub fn read_batch(&mut self, max: usize, out: &mut Vec<RawLine>) -> Result<bool> {
        out.clear();
        while out.len() < max && !self.done {
            let mut buf = Vec::new();
            let n = self
                .reader
                .read_until(b'\n', &mut buf)
                .map_err(|e| Error::unreadable(&self.path, e))?;
            if n == 0 {
                self.done = true;
                break;
            }
            self.number += 1;
            if buf.last() == Some(&b'\n') {
                buf.pop();
            }
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            if self.number == 1 && buf.starts_with(BOM) {
                buf.drain(..BOM.len());
            }
            if buf.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            out.push(RawLine {
                number: self.number,
                bytes: buf,
            });
        }
        Ok(!out.is_empty() || !self.done)
    }
}

/// All non-blank lines of an in-memory file.
pub fn lines_of(bytes: &[u8]) -> Vec<RawLine> {
    iter_lines(bytes).collect()
}

/// The non-blank lines of a file's bytes, one at a time (a file of millions of lines needs no
/// list of them).
pub fn iter_lines(bytes: &[u8]) -> impl Iterator<Item = RawLine> + '_ {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .filter_map(|(i, line)| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            (!line.iter().all(|b| b.is_ascii_whitespace())).then(|| RawLine {
                number: i + 1,
                bytes: line.to_vec(),
            })
        })
}

/// Parses one line as a JSON object, or says why it is not one.
pub fn parse_object(
    path: &Path,
    line: &RawLine,
) -> Result<serde_json::Map<String, serde_json::Value>, Diagnostic> {
    let text = line.text(path)?;
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(o)) => Ok(o),
        Ok(other) => Err(Diagnostic::error(
            path,
            Some(line.number),
            None,
            format!("expected a JSON object, got {}", short_json(&other)),
        )),
        Err(e) => Err(Diagnostic::error(
            path,
            Some(line.number),
            None,
            format!("malformed JSON: {}", json_error(&e)),
        )),
    }
}

/// The non-blank lines of a JSONL file as JSON objects, streamed: each item is a line's number and
/// object, or the diagnostic (naming the line) saying why the line is not an object. A read error
/// of the file itself is the outer `Err`.
pub struct Objects {
    reader: LineReader,
    lines: std::vec::IntoIter<RawLine>,
    buf: Vec<RawLine>,
}

/// Opens a JSONL file for reading as [`Objects`].
pub fn objects(path: &Path) -> Result<Objects> {
    Ok(Objects {
        reader: LineReader::open(path)?,
        lines: Vec::new().into_iter(),
        buf: Vec::new(),
    })
}

impl Objects {
    /// The next line that is a JSON object; every line before it that is not one (bad JSON, not
    /// an object) is added to `problems`. `None` at the end of the file.
    pub fn next_noting(
        &mut self,
        problems: &mut Vec<Diagnostic>,
    ) -> Result<Option<(usize, serde_json::Map<String, serde_json::Value>)>> {
        for item in self.by_ref() {
            match item? {
                Ok(x) => return Ok(Some(x)),
                Err(d) => problems.push(d),
            }
        }
        Ok(None)
    }
}

impl Iterator for Objects {
    type Item = Result<Result<(usize, serde_json::Map<String, serde_json::Value>), Diagnostic>>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(raw) = self.lines.next() {
                return Some(Ok(
                    parse_object(&self.reader.path, &raw).map(|o| (raw.number, o))
                ));
            }
            match self.reader.read_batch(4096, &mut self.buf) {
                Ok(true) => self.lines = std::mem::take(&mut self.buf).into_iter(),
                Ok(false) => return None,
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// A serde_json error without its own "at line 1 column N" suffix, with the column kept.
pub fn json_error(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let base = msg.split(" at line ").next().unwrap_or(&msg).to_string();
    format!("{base} (column {})", e.column())
}

/// A JSON value shortened for messages (long strings and lines must not flood the terminal).
pub fn short_json(v: &serde_json::Value) -> String {
    let s = v.to_string();
    truncate(&s, 60)
}

/// Truncates a string to at most `max` characters, marking the cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}…")
    }
}

/// Reads a whole file (questions, rubrics and other small inputs).
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    let mut f = File::open(path).map_err(|e| Error::unreadable(path, e))?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf)
        .map_err(|e| Error::unreadable(path, e))?;
    Ok(buf)
}

/// An append-only JSONL file. Each line is written whole and flushed, so a killed process leaves
/// at most one torn last line, which readers discard on resume.
pub struct JsonlWriter {
    file: std::io::BufWriter<File>,
    path: PathBuf,
}

impl JsonlWriter {
    /// Opens for appending (creating the file), first cutting off a torn last line if any.
    pub fn append(path: &Path) -> Result<Self> {
        repair_torn_tail(path)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        Ok(JsonlWriter {
            file: std::io::BufWriter::with_capacity(1 << 20, file),
            path: path.to_path_buf(),
        })
    }

    /// Creates or truncates.
    pub fn create(path: &Path) -> Result<Self> {
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        Ok(JsonlWriter {
            file: std::io::BufWriter::with_capacity(1 << 20, file),
            path: path.to_path_buf(),
        })
    }

    /// Writes one line (the text must not contain a newline; serde_json output never does).
    pub fn write_line(&mut self, line: &str) -> Result<()> {
        self.file
            .write_all(line.as_bytes())
            .map_err(|e| Error::io(&self.path, e))?;
        self.file
            .write_all(b"\n")
            .map_err(|e| Error::io(&self.path, e))
    }

    /// Writes text that is already whole lines, each ending in a newline.
    pub fn write_raw(&mut self, lines: &str) -> Result<()> {
        self.write_raw_bytes(lines.as_bytes())
    }

    /// [`write_raw`](Self::write_raw) for lines held as bytes (UTF-8).
    pub fn write_raw_bytes(&mut self, lines: &[u8]) -> Result<()> {
        self.file
            .write_all(lines)
            .map_err(|e| Error::io(&self.path, e))
    }

    /// Writes whole lines (UTF-8, each ending in a newline) from their own buffers, with one
    /// vectored write per thousand lines instead of copying them into one buffer first.
    pub fn write_raw_lines(&mut self, lines: &[Vec<u8>]) -> Result<()> {
        use std::io::IoSlice;
        // What is buffered goes first, to keep the order.
        self.file.flush().map_err(|e| Error::io(&self.path, e))?;
        let file = self.file.get_mut();
        for group in lines.chunks(1024) {
            let mut slices: Vec<IoSlice<'_>> = group
                .iter()
                .filter(|l| !l.is_empty())
                .map(|l| IoSlice::new(l))
                .collect();
            let mut rest = &mut slices[..];
            while !rest.is_empty() {
                match file.write_vectored(rest) {
                    Ok(0) => {
                        return Err(Error::io(
                            &self.path,
                            std::io::Error::from(std::io::ErrorKind::WriteZero),
                        ))
                    }
                    Ok(n) => IoSlice::advance_slices(&mut rest, n),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(Error::io(&self.path, e)),
                }
            }
        }
        Ok(())
    }

    /// Pushes buffered lines to the operating system.
    pub fn flush(&mut self) -> Result<()> {
        self.file.flush().map_err(|e| Error::io(&self.path, e))
    }
}

impl Drop for JsonlWriter {
    fn drop(&mut self) {
        let _ = self.file.flush();
    }
}

/// Cuts a file back to its last complete line (a killed writer may leave half a line).
pub fn repair_torn_tail(path: &Path) -> Result<()> {
    let Ok(bytes) = std::fs::read(path) else {
        return Ok(());
    };
    if bytes.is_empty() || bytes.ends_with(b"\n") {
        return Ok(());
    }
    let keep = bytes
        .iter()
        .rposition(|b| *b == b'\n')
        .map(|p| p + 1)
        .unwrap_or(0);
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    f.set_len(keep as u64).map_err(|e| Error::io(path, e))
}

/// How a field reader shows a value of the wrong type in its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// The value itself, shortened: `got 42`, `got "x"`.
    Json,
    /// What kind of value it is, with a number's or string's value: `got the number 42`,
    /// `got a list`. The question and rubric loader words its messages this way.
    Kind,
}

impl Shown {
    /// The value as this style shows it.
    pub fn show(self, v: &serde_json::Value) -> String {
        use serde_json::Value;
        match self {
            Shown::Json => short_json(v),
            Shown::Kind => match v {
                Value::Null => "null".into(),
                Value::Bool(_) => "a boolean".into(),
                Value::Number(n) => format!("the number {n}"),
                Value::String(_) => format!("the string {}", short_json(v)),
                Value::Array(_) => "a list".into(),
                Value::Object(_) => "an object".into(),
            },
        }
    }
}

/// A problem with one field: its path inside the line (`criteria[2].points`) and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    /// A problem with the field at `field`.
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        FieldError {
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// The problem as an error diagnostic of line `line` of `path`.
    pub fn at(self, path: &Path, line: usize) -> Diagnostic {
        Diagnostic::error(path, Some(line), Some(&self.field), self.message)
    }
}

/// The typed field readers every loader uses, so a field that is missing, empty or of the wrong
/// type is reported in the same words wherever it is read. `None` and JSON `null` both count as
/// missing. Each reader takes the field's value and its path (for the message).
#[derive(Debug, Clone, Copy)]
pub struct FieldReader {
    /// How a value of the wrong type is shown.
    pub shown: Shown,
}

impl FieldReader {
    /// A required string; an empty (or blank) one is refused unless `allow_empty`.
    pub fn string(
        self,
        v: Option<&serde_json::Value>,
        field: &str,
        allow_empty: bool,
    ) -> Result<String, FieldError> {
        match v {
            Some(serde_json::Value::String(s)) if allow_empty || !s.trim().is_empty() => {
                Ok(s.clone())
            }
            Some(serde_json::Value::String(_)) => Err(FieldError::new(
                field,
                "expected a non-empty string, got an empty one",
            )),
            None | Some(serde_json::Value::Null) => Err(missing(field)),
            Some(other) => Err(self.wrong(field, "a string", other)),
        }
    }

    /// A required string that is not blank; anything else is shown as what it is.
    pub fn non_empty_string(
        self,
        v: Option<&serde_json::Value>,
        field: &str,
    ) -> Result<String, FieldError> {
        match v {
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
            None | Some(serde_json::Value::Null) => Err(missing(field)),
            Some(other) => Err(self.wrong(field, "a non-empty string", other)),
        }
    }

    /// An optional string (it may be empty).
    pub fn optional_string(
        self,
        v: Option<&serde_json::Value>,
        field: &str,
    ) -> Result<Option<String>, FieldError> {
        match v {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.wrong(field, "a string", other)),
        }
    }

    /// An optional list of strings (missing is an empty list); a bad item is named by its index.
    pub fn string_list(
        self,
        v: Option<&serde_json::Value>,
        field: &str,
    ) -> Result<Vec<String>, FieldError> {
        match v {
            None | Some(serde_json::Value::Null) => Ok(Vec::new()),
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, t)| match t {
                    serde_json::Value::String(s) => Ok(s.clone()),
                    other => Err(self.wrong(&format!("{field}[{i}]"), "a string", other)),
                })
                .collect(),
            Some(other) => Err(self.wrong(field, "a list of strings", other)),
        }
    }

    /// A required number that `accept` allows; `expected` says which numbers are (it ends the
    /// message "expected …, got …"). A refused number is shown as written.
    pub fn number(
        self,
        v: Option<&serde_json::Value>,
        field: &str,
        expected: &str,
        accept: impl Fn(f64) -> bool,
    ) -> Result<f64, FieldError> {
        match v {
            Some(serde_json::Value::Number(n)) => match n.as_f64() {
                Some(x) if accept(x) => Ok(x),
                _ => Err(FieldError::new(
                    field,
                    format!("expected {expected}, got {n}"),
                )),
            },
            None | Some(serde_json::Value::Null) => Err(missing(field)),
            Some(other) => Err(self.wrong(field, expected, other)),
        }
    }

    /// "expected {expected}, got {value}".
    pub fn wrong(self, field: &str, expected: &str, v: &serde_json::Value) -> FieldError {
        FieldError::new(
            field,
            format!("expected {expected}, got {}", self.shown.show(v)),
        )
    }
}

fn missing(field: &str) -> FieldError {
    FieldError::new(field, "required field is missing")
}

/// The string field `key` of a JSON object line, or `None` after adding why not to `problems`
/// (missing, not a string, or empty unless `allow_empty`).
pub fn string_field(
    o: &serde_json::Map<String, serde_json::Value>,
    key: &str,
    path: &Path,
    line: usize,
    allow_empty: bool,
    problems: &mut Vec<Diagnostic>,
) -> Option<String> {
    FieldReader { shown: Shown::Json }
        .string(o.get(key), key, allow_empty)
        .map_err(|e| problems.push(e.at(path, line)))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_crlf_and_blank_lines() {
        let lines = lines_of(b"\xEF\xBB\xBF{\"a\":1}\r\n\r\n  \n{\"b\":2}");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].number, 1);
        assert_eq!(lines[0].bytes, b"{\"a\":1}");
        assert_eq!(lines[1].number, 4);
    }

    #[test]
    fn streaming_matches_in_memory() {
        let data = b"\xEF\xBB\xBFone\r\n\ntwo\nthree".to_vec();
        let mut r = LineReader::from_reader(Path::new("x"), std::io::Cursor::new(data.clone()));
        let mut out = Vec::new();
        let mut all = Vec::new();
        while r.read_batch(2, &mut out).unwrap() {
            all.append(&mut out);
        }
        let expected = lines_of(&data);
        assert_eq!(all.len(), expected.len());
        for (a, b) in all.iter().zip(&expected) {
            assert_eq!((a.number, &a.bytes), (b.number, &b.bytes));
        }
    }

    #[test]
    fn torn_tail_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.jsonl");
        std::fs::write(&p, "{\"a\":1}\n{\"b\":").unwrap();
        repair_torn_tail(&p).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "{\"a\":1}\n");
    }

    #[test]
    fn field_readers_word_problems_alike() {
        use serde_json::json;
        let kind = FieldReader { shown: Shown::Kind };
        let raw = FieldReader { shown: Shown::Json };
        let msg = |r: Result<_, FieldError>| -> (String, String) {
            let e: FieldError = r.map(|_: ()| ()).unwrap_err();
            (e.field, e.message)
        };
        assert_eq!(
            msg(kind.string(Some(&json!(5)), "id", false).map(drop)),
            ("id".into(), "expected a string, got the number 5".into())
        );
        assert_eq!(
            msg(raw.string(Some(&json!(5)), "id", false).map(drop)),
            ("id".into(), "expected a string, got 5".into())
        );
        assert_eq!(
            msg(kind.string(Some(&json!(" ")), "id", false).map(drop)),
            (
                "id".into(),
                "expected a non-empty string, got an empty one".into()
            )
        );
        assert_eq!(kind.string(Some(&json!("")), "id", true).unwrap(), "");
        assert_eq!(
            msg(kind.non_empty_string(Some(&json!("")), "c.id").map(drop)),
            (
                "c.id".into(),
                "expected a non-empty string, got the string \"\"".into()
            )
        );
        assert_eq!(
            msg(raw.non_empty_string(None, "model").map(drop)),
            ("model".into(), "required field is missing".into())
        );
        assert_eq!(kind.optional_string(Some(&json!(null)), "x").unwrap(), None);
        assert_eq!(
            msg(kind.string_list(Some(&json!(["a", []])), "tags").map(drop)),
            ("tags[1]".into(), "expected a string, got a list".into())
        );
        assert_eq!(
            kind.string_list(None, "tags").unwrap(),
            Vec::<String>::new()
        );
        let nonzero = |x: f64| x != 0.0;
        assert_eq!(
            msg(kind
                .number(Some(&json!(0)), "p", "a non-zero number", nonzero)
                .map(drop)),
            ("p".into(), "expected a non-zero number, got 0".into())
        );
        assert_eq!(
            msg(kind
                .number(Some(&json!("1")), "p", "a non-zero number", nonzero)
                .map(drop)),
            (
                "p".into(),
                "expected a non-zero number, got the string \"1\"".into()
            )
        );
        assert_eq!(
            kind.number(Some(&json!(-2.5)), "p", "a non-zero number", nonzero)
                .unwrap(),
            -2.5
        );
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let line = RawLine {
            number: 7,
            bytes: vec![b'{', 0xff, b'}'],
        };
        let d = line.text(Path::new("f.jsonl")).unwrap_err();
        assert_eq!(d.line, Some(7));
    }
}
