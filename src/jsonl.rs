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
        self.file
            .write_all(lines.as_bytes())
            .map_err(|e| Error::io(&self.path, e))
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
    match o.get(key) {
        Some(serde_json::Value::String(s)) if allow_empty || !s.trim().is_empty() => {
            Some(s.clone())
        }
        Some(serde_json::Value::String(_)) => {
            problems.push(Diagnostic::error(
                path,
                Some(line),
                Some(key),
                "expected a non-empty string, got an empty one",
            ));
            None
        }
        None | Some(serde_json::Value::Null) => {
            problems.push(Diagnostic::error(
                path,
                Some(line),
                Some(key),
                "required field is missing",
            ));
            None
        }
        Some(v) => {
            problems.push(Diagnostic::error(
                path,
                Some(line),
                Some(key),
                format!("expected a string, got {}", short_json(v)),
            ));
            None
        }
    }
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
    fn invalid_utf8_names_the_line() {
        let line = RawLine {
            number: 7,
            bytes: vec![b'{', 0xff, b'}'],
        };
        let d = line.text(Path::new("f.jsonl")).unwrap_err();
        assert_eq!(d.line, Some(7));
    }
}
