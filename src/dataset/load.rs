//! Loading question sets and rubrics from JSONL files, directories or the built-in sets, with
//! validation that reports every problem at once.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::check::Check;
use super::language::{is_known_domain, is_snake_case, known_language, parse_language};
use super::model::{Criterion, Dataset, Message, Origin, Prompt, Question, SourceFile};
use crate::error::{Diagnostic, Error, Result};
use crate::jsonl::{iter_lines, parse_object, read_file, short_json, RawLine};
use crate::util::hex;

static BUILTIN_QUESTIONS: include_dir::Dir<'_> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/questions");
static BUILTIN_RUBRICS: include_dir::Dir<'_> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/rubrics");

/// Where questions and rubrics come from.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--questions`: files or folders. `None` means `questions/` in the current folder when it
    /// exists, else the built-in set.
    pub questions: Option<Vec<PathBuf>>,
    /// `--rubrics`: files or folders.
    pub rubrics: Option<Vec<PathBuf>>,
    /// Skip bad lines (counted) instead of failing.
    pub skip_invalid: bool,
    /// Keep only questions in these languages (codes, names or aliases); all when empty.
    pub languages: Vec<String>,
    /// Keep only questions in these domains; all when empty.
    pub domains: Vec<String>,
}

/// The result of loading: the valid questions, every diagnostic, and how many lines were skipped.
#[derive(Debug)]
pub struct Loaded {
    pub dataset: Dataset,
    pub diagnostics: Vec<Diagnostic>,
    /// Input lines left out because they had errors.
    pub skipped: usize,
    /// Warnings counted but not listed (past the per-file cap).
    unlisted_warnings: usize,
}

impl Loaded {
    /// The number of errors, listed or only counted.
    pub fn errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| if d.more > 0 { d.more } else { 1 })
            .sum()
    }

    /// The number of warnings, listed or only counted.
    pub fn warnings(&self) -> usize {
        self.diagnostics.iter().filter(|d| !d.is_error()).count() + self.unlisted_warnings
    }

    /// The dataset when usable: no errors, or errors skipped by `--skip-invalid`.
    pub fn into_dataset(self, skip_invalid: bool) -> Result<(Dataset, Vec<Diagnostic>, usize)> {
        if self.errors() > 0 && !skip_invalid {
            return Err(Error::Input(self.diagnostics));
        }
        if self.dataset.is_empty() {
            let mut d = self.diagnostics;
            d.push(Diagnostic::error(
                Path::new("<questions>"),
                None,
                None,
                "no questions were loaded",
            ));
            return Err(Error::Input(d));
        }
        Ok((self.dataset, self.diagnostics, self.skipped))
    }
}

/// One input file's bytes, whether from disk or built into the binary.
struct InputFile {
    path: PathBuf,
    bytes: Vec<u8>,
}

/// Lists the files with the given extensions under the given files and folders (folders
/// recursively, sorted). Symbolic links are followed, but every folder is entered once and every
/// file listed once, by its real location: a link back to a parent cannot loop, and a file
/// reached by two ways is not read twice.
pub fn expand_paths(paths: &[PathBuf], extensions: &[&str]) -> Result<Vec<PathBuf>> {
    let mut walk = Walk {
        extensions,
        dirs: HashSet::new(),
        files: HashSet::new(),
    };
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| Error::unreadable(p, e))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk.dir(p, &mut found)?;
            found.sort();
            out.extend(found);
        } else if walk.first_visit_of_file(p) {
            out.push(p.clone());
        }
    }
    Ok(out)
}

struct Walk<'a> {
    extensions: &'a [&'a str],
    /// Real paths of the folders entered so far.
    dirs: HashSet<PathBuf>,
    /// Real paths of the files listed so far.
    files: HashSet<PathBuf>,
}

impl Walk<'_> {
    fn first_visit_of_file(&mut self, p: &Path) -> bool {
        let real = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        self.files.insert(real)
    }

    fn dir(&mut self, dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
        let real = std::fs::canonicalize(dir).map_err(|e| Error::unreadable(dir, e))?;
        if !self.dirs.insert(real) {
            return Ok(());
        }
        let entries = std::fs::read_dir(dir).map_err(|e| Error::unreadable(dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::unreadable(dir, e))?;
            let path = entry.path();
            let wanted = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| self.extensions.contains(&e));
            let meta = match std::fs::metadata(&path) {
                Ok(m) => m,
                // A dangling link that looks like an input file is an input that cannot be read;
                // any other unreadable entry is not ours to read.
                Err(e) if wanted => return Err(Error::unreadable(&path, e)),
                Err(_) => continue,
            };
            if meta.is_dir() {
                self.dir(&path, out)?;
            } else if wanted && self.first_visit_of_file(&path) {
                out.push(path);
            }
        }
        Ok(())
    }
}

fn builtin(dir: &include_dir::Dir<'_>, name: &str) -> Vec<InputFile> {
    let mut files: Vec<InputFile> = dir
        .files()
        .filter(|f| f.path().extension().is_some_and(|e| e == "jsonl"))
        .map(|f| InputFile {
            path: Path::new("<built-in>").join(name).join(f.path()),
            bytes: f.contents().to_vec(),
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

fn from_disk(paths: &[PathBuf], what: &str) -> Result<Vec<InputFile>> {
    let files = expand_paths(paths, &["jsonl"])?;
    if files.is_empty() && !paths.is_empty() {
        // A folder with nothing to read is a mistake (a wrong path, or files named .json), not a
        // valid empty set.
        return Err(Error::Usage(format!(
            "no .jsonl {what} files found in {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    files
        .into_iter()
        .map(|path| {
            Ok(InputFile {
                bytes: read_file(&path)?,
                path,
            })
        })
        .collect()
}

/// Loads and validates questions and rubrics as the options say.
pub fn load(opts: &LoadOptions) -> Result<Loaded> {
    let (qfiles, rfiles) = match &opts.questions {
        Some(q) => (
            from_disk(q, "question")?,
            from_disk(opts.rubrics.as_deref().unwrap_or(&[]), "rubric")?,
        ),
        None if Path::new("questions").is_dir() => {
            let rubrics = match &opts.rubrics {
                Some(r) => from_disk(r, "rubric")?,
                // Found, not asked for: an empty ./rubrics is fine when rubrics are inline.
                None if Path::new("rubrics").is_dir() => {
                    match from_disk(&[PathBuf::from("rubrics")], "rubric") {
                        Err(Error::Usage(_)) => Vec::new(),
                        other => other?,
                    }
                }
                None => Vec::new(),
            };
            (
                from_disk(&[PathBuf::from("questions")], "question")?,
                rubrics,
            )
        }
        None => {
            let rubrics = match &opts.rubrics {
                Some(r) => from_disk(r, "rubric")?,
                None => builtin(&BUILTIN_RUBRICS, "rubrics"),
            };
            (builtin(&BUILTIN_QUESTIONS, "questions"), rubrics)
        }
    };
    let mut loaded = load_files(qfiles, rfiles);
    select(&mut loaded.dataset, &opts.languages, &opts.domains);
    Ok(loaded)
}

/// Keeps the questions of the given languages and domains (after the whole set was validated,
/// so a rubric is still checked against its question). The selection is recorded as a source,
/// so the question set's digest, and with it a resumed run's check, tells selections apart.
fn select(ds: &mut Dataset, languages: &[String], domains: &[String]) {
    if languages.is_empty() && domains.is_empty() {
        return;
    }
    let langs: Vec<String> = languages.iter().map(|l| parse_language(l).code).collect();
    let doms: Vec<String> = domains.iter().map(|d| d.trim().to_string()).collect();
    let (keep, left): (Vec<Question>, Vec<Question>) = std::mem::take(&mut ds.questions)
        .into_iter()
        .partition(|q| {
            (langs.is_empty() || langs.contains(&q.language))
                && (doms.is_empty() || doms.contains(&q.domain))
        });
    let mut sources = std::mem::take(&mut ds.sources);
    let selection = format!("languages={};domains={}", langs.join(","), doms.join(","));
    sources.push(SourceFile {
        path: PathBuf::from(format!("<selection {selection}>")),
        sha256: sha256(selection.as_bytes()),
        kind: "questions",
    });
    *ds = Dataset::new(keep, sources);
    ds.deselected = left.into_iter().map(|q| q.id).collect();
}

/// Loads from explicit in-memory files (used by tests and by `load`).
pub fn load_from_bytes(
    questions: Vec<(PathBuf, Vec<u8>)>,
    rubrics: Vec<(PathBuf, Vec<u8>)>,
) -> Loaded {
    let conv = |v: Vec<(PathBuf, Vec<u8>)>| {
        v.into_iter()
            .map(|(path, bytes)| InputFile { path, bytes })
            .collect()
    };
    load_files(conv(questions), conv(rubrics))
}

/// At most this many problems are listed per file; the rest are counted ("… and N more"), so a
/// file of millions of bad lines gives a readable report in bounded memory.
pub const MAX_LISTED_PER_FILE: usize = 100;

struct Collector {
    diags: Vec<Diagnostic>,
    /// Per file: problems listed, problems only counted (errors, warnings), and the lines with
    /// errors as a bit set (millions of bad lines cost a few hundred kilobytes).
    files: HashMap<PathBuf, FileProblems>,
}

#[derive(Default)]
struct FileProblems {
    listed: usize,
    unlisted_errors: usize,
    unlisted_warnings: usize,
    bad_lines: Vec<u64>,
}

impl FileProblems {
    fn mark_bad(&mut self, line: usize) {
        let (word, bit) = (line / 64, line % 64);
        if self.bad_lines.len() <= word {
            self.bad_lines.resize(word + 1, 0);
        }
        self.bad_lines[word] |= 1 << bit;
    }

    fn bad_line_count(&self) -> usize {
        self.bad_lines.iter().map(|w| w.count_ones() as usize).sum()
    }
}

impl Collector {
    fn error(&mut self, file: &Path, line: usize, field: Option<&str>, msg: impl Into<String>) {
        self.push(Diagnostic::error(file, Some(line), field, msg));
    }
    fn warn(&mut self, file: &Path, line: usize, field: Option<&str>, msg: impl Into<String>) {
        self.push(Diagnostic::warning(file, Some(line), field, msg));
    }
    fn push(&mut self, d: Diagnostic) {
        let f = match self.files.get_mut(&d.file) {
            Some(f) => f,
            None => self.files.entry(d.file.clone()).or_default(),
        };
        if let (Some(l), true) = (d.line, d.is_error()) {
            f.mark_bad(l);
        }
        if f.listed < MAX_LISTED_PER_FILE {
            f.listed += 1;
            self.diags.push(d);
        } else if d.is_error() {
            f.unlisted_errors += 1;
        } else {
            f.unlisted_warnings += 1;
        }
    }

    /// The listed diagnostics, each file's unlisted ones summed up in one line, the number of
    /// lines with errors, and the number of unlisted warnings.
    fn finish(mut self) -> (Vec<Diagnostic>, usize, usize) {
        let mut files: Vec<(PathBuf, FileProblems)> = self.files.into_iter().collect();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        let (mut skipped, mut unlisted_warnings) = (0, 0);
        for (path, f) in files {
            skipped += f.bad_line_count();
            unlisted_warnings += f.unlisted_warnings;
            let more = f.unlisted_errors + f.unlisted_warnings;
            if more > 0 {
                let msg = format!(
                    "… and {more} more problem(s) in this file ({} error(s), {} warning(s)) not listed; the first {MAX_LISTED_PER_FILE} are above",
                    f.unlisted_errors, f.unlisted_warnings
                );
                let mut d = if f.unlisted_errors > 0 {
                    Diagnostic::error(&path, None, None, msg)
                } else {
                    Diagnostic::warning(&path, None, None, msg)
                };
                d.more = f.unlisted_errors;
                self.diags.push(d);
            }
        }
        (self.diags, skipped, unlisted_warnings)
    }
}

#[derive(Clone, Copy, PartialEq)]
enum FileKind {
    Questions,
    Rubrics,
}

/// When a file's first line is plainly another kind of file (a rubric file given as questions,
/// an answers file, a question file given as rubrics), one error saying so and naming the option
/// that takes it, instead of an error for every line.
fn misplaced(path: &Path, first: &RawLine, expected: FileKind) -> Option<Diagnostic> {
    let obj = parse_object(path, first).ok()?;
    let has = |k: &str| obj.contains_key(k);
    let looks = if has("question_id") && has("criteria") && !has("id") {
        FileLooks::Rubrics
    } else if has("question_id") && (has("answer") || has("criterion_id")) && !has("id") {
        if has("criterion_id") {
            FileLooks::Verdicts
        } else {
            FileLooks::Answers
        }
    } else if (has("id") || has("prompt_id")) && (has("prompt") || has("language")) {
        FileLooks::Questions
    } else {
        return None;
    };
    let (what, hint) = match (looks, expected) {
        (FileLooks::Questions, FileKind::Questions) | (FileLooks::Rubrics, FileKind::Rubrics) => {
            return None
        }
        (FileLooks::Rubrics, _) => (
            "a rubric file (its lines have `question_id` and `criteria`)",
            "give it with --rubrics",
        ),
        (FileLooks::Questions, _) => (
            "a question file (its lines have `id` and `prompt`)",
            "give it with --questions (or as a path to `kasauti validate`)",
        ),
        (FileLooks::Answers, _) => (
            "an answers file (its lines have `question_id` and `answer`)",
            "`kasauti grade` takes it with --answers",
        ),
        (FileLooks::Verdicts, _) => (
            "a verdicts or labels file (its lines have `question_id` and `criterion_id`)",
            "`kasauti grade` takes verdicts with --verdicts, `kasauti calibrate` labels with --labels",
        ),
    };
    let expected = match expected {
        FileKind::Questions => "questions",
        FileKind::Rubrics => "rubrics",
    };
    Some(Diagnostic::error(
        path,
        Some(first.number),
        None,
        format!("this was read as {expected}, but it looks like {what}: {hint}"),
    ))
}

#[derive(Clone, Copy)]
enum FileLooks {
    Questions,
    Rubrics,
    Answers,
    Verdicts,
}

fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn load_files(qfiles: Vec<InputFile>, rfiles: Vec<InputFile>) -> Loaded {
    let mut c = Collector {
        diags: Vec::new(),
        files: HashMap::new(),
    };
    let mut sources = Vec::new();
    let mut questions: Vec<Question> = Vec::new();
    let mut seen: HashMap<String, Origin> = HashMap::new();
    // Questions whose rubric is inline; a rubric file for them is a duplicate.
    for f in &qfiles {
        sources.push(SourceFile {
            path: f.path.clone(),
            sha256: sha256(&f.bytes),
            kind: "questions",
        });
        let mut lines = iter_lines(&f.bytes).peekable();
        if lines.peek().is_none() {
            c.push(Diagnostic::error(
                &f.path,
                None,
                None,
                "the file has no questions (it is empty)",
            ));
        }
        if let Some(d) = lines
            .peek()
            .and_then(|l| misplaced(&f.path, l, FileKind::Questions))
        {
            c.push(d);
            continue;
        }
        for line in lines {
            let obj = match parse_object(&f.path, &line) {
                Ok(o) => o,
                Err(d) => {
                    c.push(d);
                    continue;
                }
            };
            let parsed = if obj.contains_key("prompt_id") && obj.contains_key("rubrics") {
                parse_healthbench(&f.path, &line, &obj, &mut c)
            } else {
                parse_question(&f.path, &line, &obj, &mut c)
            };
            let Some(q) = parsed else { continue };
            if let Some(prev) = seen.get(&q.id) {
                c.error(
                    &f.path,
                    line.number,
                    Some(if q.healthbench { "prompt_id" } else { "id" }),
                    format!(
                        "duplicate question id `{}` (first at {}:{})",
                        q.id,
                        prev.file.display(),
                        prev.line
                    ),
                );
                continue;
            }
            seen.insert(q.id.clone(), q.origin.clone());
            questions.push(q);
        }
    }

    // Rubric files attach to questions by id.
    let mut by_id: HashMap<String, usize> = questions
        .iter()
        .enumerate()
        .map(|(i, q)| (q.id.clone(), i))
        .collect();
    let mut rubric_origin: HashMap<String, Origin> = HashMap::new();
    for f in &rfiles {
        sources.push(SourceFile {
            path: f.path.clone(),
            sha256: sha256(&f.bytes),
            kind: "rubrics",
        });
        let mut lines = iter_lines(&f.bytes).peekable();
        if let Some(d) = lines
            .peek()
            .and_then(|l| misplaced(&f.path, l, FileKind::Rubrics))
        {
            c.push(d);
            continue;
        }
        for line in lines {
            let obj = match parse_object(&f.path, &line) {
                Ok(o) => o,
                Err(d) => {
                    c.push(d);
                    continue;
                }
            };
            let Some(qid) = req_str(&f.path, &line, &obj, "question_id", &mut c) else {
                continue;
            };
            let Some(criteria) =
                parse_criteria(&f.path, &line, obj.get("criteria"), "criteria", &mut c)
            else {
                continue;
            };
            let Ok(min_words) = min_words_field(&f.path, &line, &obj, &mut c) else {
                continue;
            };
            let Some(&qi) = by_id.get(&qid) else {
                c.error(
                    &f.path,
                    line.number,
                    Some("question_id"),
                    format!("rubric for unknown question `{qid}` (to grade part of a set, load all of it and select with --languages or --domains)"),
                );
                continue;
            };
            if let Some(prev) = rubric_origin.get(&qid) {
                c.error(
                    &f.path,
                    line.number,
                    Some("question_id"),
                    format!(
                        "second rubric for question `{qid}` (first at {}:{})",
                        prev.file.display(),
                        prev.line
                    ),
                );
                continue;
            }
            if !questions[qi].rubric.is_empty() {
                c.error(
                    &f.path,
                    line.number,
                    Some("question_id"),
                    format!(
                        "question `{qid}` already has an inline rubric ({}:{})",
                        questions[qi].origin.file.display(),
                        questions[qi].origin.line
                    ),
                );
                continue;
            }
            rubric_origin.insert(
                qid.clone(),
                Origin {
                    file: f.path.clone(),
                    line: line.number,
                },
            );
            questions[qi].rubric = criteria;
            if min_words.is_some() {
                questions[qi].min_words = min_words;
            }
        }
    }

    // Every question needs a rubric with at least one positive criterion.
    let mut keep = Vec::with_capacity(questions.len());
    for q in questions {
        let (origin, field) = match rubric_origin.get(&q.id) {
            Some(o) => (o.clone(), "criteria"),
            None => (
                q.origin.clone(),
                if q.healthbench { "rubrics" } else { "rubric" },
            ),
        };
        if q.rubric.is_empty() {
            c.error(
                &q.origin.file,
                q.origin.line,
                Some("id"),
                format!(
                    "question `{}` has no rubric (inline or in a rubrics file)",
                    q.id
                ),
            );
            continue;
        }
        if !q.rubric.iter().any(|cr| cr.points > 0.0) {
            c.error(
                &origin.file,
                origin.line,
                Some(field),
                format!("rubric of `{}` has no criterion with positive points", q.id),
            );
            continue;
        }
        // Each criterion's points are finite, but their sum may not be (1e308 twice), and a
        // score divides by that sum.
        let positive: f64 = q.rubric.iter().map(|cr| cr.points.max(0.0)).sum();
        let negative: f64 = q.rubric.iter().map(|cr| cr.points.min(0.0)).sum();
        if !positive.is_finite() || !negative.is_finite() {
            c.error(
                &origin.file,
                origin.line,
                Some(field),
                format!(
                    "the {} points of `{}`'s criteria add up to more than a number can hold; use smaller points (only their ratios matter)",
                    if positive.is_finite() { "negative" } else { "positive" },
                    q.id
                ),
            );
            continue;
        }
        keep.push(q);
    }
    by_id.clear();
    let (diagnostics, skipped, unlisted_warnings) = c.finish();
    Loaded {
        dataset: Dataset::new(keep, sources),
        diagnostics,
        skipped,
        unlisted_warnings,
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(_) => "a boolean".into(),
        Value::Number(n) => format!("the number {n}"),
        Value::String(_) => format!("the string {}", short_json(v)),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

fn req_str(
    file: &Path,
    line: &RawLine,
    obj: &Map<String, Value>,
    key: &str,
    c: &mut Collector,
) -> Option<String> {
    match obj.get(key) {
        None | Some(Value::Null) => {
            c.error(file, line.number, Some(key), "required field is missing");
            None
        }
        Some(Value::String(s)) if s.trim().is_empty() => {
            c.error(
                file,
                line.number,
                Some(key),
                "expected a non-empty string, got an empty one",
            );
            None
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            c.error(
                file,
                line.number,
                Some(key),
                format!("expected a string, got {}", describe(other)),
            );
            None
        }
    }
}

fn opt_str(
    file: &Path,
    line: &RawLine,
    obj: &Map<String, Value>,
    key: &str,
    c: &mut Collector,
) -> Result<Option<String>, ()> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => {
            c.error(
                file,
                line.number,
                Some(key),
                format!("expected a string, got {}", describe(other)),
            );
            Err(())
        }
    }
}

fn str_list(
    file: &Path,
    line: &RawLine,
    v: Option<&Value>,
    field: &str,
    c: &mut Collector,
) -> Result<Vec<String>, ()> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => {
            let mut out = Vec::with_capacity(a.len());
            for (i, t) in a.iter().enumerate() {
                match t {
                    Value::String(s) => out.push(s.clone()),
                    other => {
                        c.error(
                            file,
                            line.number,
                            Some(&format!("{field}[{i}]")),
                            format!("expected a string, got {}", describe(other)),
                        );
                        return Err(());
                    }
                }
            }
            Ok(out)
        }
        Some(other) => {
            c.error(
                file,
                line.number,
                Some(field),
                format!("expected a list of strings, got {}", describe(other)),
            );
            Err(())
        }
    }
}

fn parse_prompt(
    file: &Path,
    line: &RawLine,
    v: Option<&Value>,
    c: &mut Collector,
) -> Option<Prompt> {
    match v {
        None | Some(Value::Null) => {
            c.error(
                file,
                line.number,
                Some("prompt"),
                "required field is missing",
            );
            None
        }
        Some(Value::String(s)) if s.trim().is_empty() => {
            c.error(
                file,
                line.number,
                Some("prompt"),
                "expected a non-empty prompt",
            );
            None
        }
        Some(Value::String(s)) => Some(Prompt::Text(s.clone())),
        Some(Value::Array(items)) => {
            if items.is_empty() {
                c.error(
                    file,
                    line.number,
                    Some("prompt"),
                    "expected at least one chat message",
                );
                return None;
            }
            let mut msgs = Vec::with_capacity(items.len());
            for (i, m) in items.iter().enumerate() {
                let field = format!("prompt[{i}]");
                let Some(o) = m.as_object() else {
                    c.error(
                        file,
                        line.number,
                        Some(&field),
                        format!(
                            "expected a message {{\"role\", \"content\"}}, got {}",
                            describe(m)
                        ),
                    );
                    return None;
                };
                let role = match o.get("role") {
                    Some(Value::String(r))
                        if ["system", "user", "assistant", "developer"].contains(&r.as_str()) =>
                    {
                        r.clone()
                    }
                    Some(Value::String(r)) => {
                        c.error(file, line.number, Some(&format!("{field}.role")), format!("unknown role `{r}` (expected system, user, assistant or developer)"));
                        return None;
                    }
                    other => {
                        c.error(
                            file,
                            line.number,
                            Some(&format!("{field}.role")),
                            format!(
                                "expected a role string, got {}",
                                other.map(describe).unwrap_or_else(|| "nothing".into())
                            ),
                        );
                        return None;
                    }
                };
                let content = match o.get("content") {
                    Some(Value::String(s)) => s.clone(),
                    other => {
                        c.error(
                            file,
                            line.number,
                            Some(&format!("{field}.content")),
                            format!(
                                "expected a content string, got {}",
                                other.map(describe).unwrap_or_else(|| "nothing".into())
                            ),
                        );
                        return None;
                    }
                };
                msgs.push(Message { role, content });
            }
            Some(Prompt::Messages(msgs))
        }
        Some(other) => {
            c.error(
                file,
                line.number,
                Some("prompt"),
                format!(
                    "expected a string or a list of chat messages, got {}",
                    describe(other)
                ),
            );
            None
        }
    }
}

/// Parses a list of criteria. `points_required` errors are per criterion, and one bad criterion
/// makes the whole rubric unusable (a rubric with a criterion missing would score differently).
fn parse_criteria(
    file: &Path,
    line: &RawLine,
    v: Option<&Value>,
    field: &str,
    c: &mut Collector,
) -> Option<Vec<Criterion>> {
    let items = match v {
        None | Some(Value::Null) => {
            c.error(file, line.number, Some(field), "required field is missing");
            return None;
        }
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
        Some(other) => {
            c.error(
                file,
                line.number,
                Some(field),
                format!("expected a list of criteria, got {}", describe(other)),
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
            c.error(
                file,
                line.number,
                Some(&f),
                format!("expected a criterion object, got {}", describe(item)),
            );
            ok = false;
            continue;
        };
        let id = match o.get("id") {
            None | Some(Value::Null) => format!("c{}", i + 1),
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            Some(other) => {
                c.error(
                    file,
                    line.number,
                    Some(&format!("{f}.id")),
                    format!("expected a non-empty string, got {}", describe(other)),
                );
                ok = false;
                continue;
            }
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
        let text = match o.get("criterion") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            None | Some(Value::Null) => {
                c.error(
                    file,
                    line.number,
                    Some(&format!("{f}.criterion")),
                    "required field is missing",
                );
                ok = false;
                continue;
            }
            Some(other) => {
                c.error(
                    file,
                    line.number,
                    Some(&format!("{f}.criterion")),
                    format!("expected a non-empty string, got {}", describe(other)),
                );
                ok = false;
                continue;
            }
        };
        let points = match o.get("points") {
            Some(Value::Number(n)) => match n.as_f64() {
                Some(p) if p.is_finite() && p != 0.0 => p,
                _ => {
                    c.error(
                        file,
                        line.number,
                        Some(&format!("{f}.points")),
                        format!("expected a non-zero finite number, got {n}"),
                    );
                    ok = false;
                    continue;
                }
            },
            None | Some(Value::Null) => {
                c.error(
                    file,
                    line.number,
                    Some(&format!("{f}.points")),
                    "required field is missing",
                );
                ok = false;
                continue;
            }
            Some(other) => {
                c.error(
                    file,
                    line.number,
                    Some(&format!("{f}.points")),
                    format!("expected a non-zero finite number, got {}", describe(other)),
                );
                ok = false;
                continue;
            }
        };
        let Ok(tags) = str_list(file, line, o.get("tags"), &format!("{f}.tags"), c) else {
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

fn parse_question(
    file: &Path,
    line: &RawLine,
    obj: &Map<String, Value>,
    c: &mut Collector,
) -> Option<Question> {
    let id = req_str(file, line, obj, "id", c);
    let language = req_str(file, line, obj, "language", c);
    let domain = req_str(file, line, obj, "domain", c);
    let prompt = parse_prompt(file, line, obj.get("prompt"), c);
    let prompt_en = opt_str(file, line, obj, "prompt_en", c);
    let ideal = opt_str(file, line, obj, "ideal_answer", c);
    let tags = str_list(file, line, obj.get("tags"), "tags", c);
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
        Ok(prompt_en),
        Ok(ideal_answer),
        Ok(tags),
        Some(rubric),
        Ok(min_words),
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
) -> Result<Option<u32>, ()> {
    match obj.get("min_words") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match crate::dataset::parse_min_words(v, "min_words") {
            Ok(n) => Ok(Some(n)),
            Err(e) => {
                c.error(file, line.number, Some(&e.field), e.message);
                Err(())
            }
        },
    }
}

/// A HealthBench row (simple-evals' format): `prompt` messages, `prompt_id`, `rubrics`,
/// `example_tags`. Language `en`; domain from the `theme:` tag.
fn parse_healthbench(
    file: &Path,
    line: &RawLine,
    obj: &Map<String, Value>,
    c: &mut Collector,
) -> Option<Question> {
    let id = req_str(file, line, obj, "prompt_id", c);
    let prompt = parse_prompt(file, line, obj.get("prompt"), c);
    let rubric = parse_criteria(file, line, obj.get("rubrics"), "rubrics", c);
    let tags = str_list(file, line, obj.get("example_tags"), "example_tags", c);
    let (Some(id), Some(prompt), Some(rubric), Ok(tags)) = (id, prompt, rubric, tags) else {
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

/// Loads the question set built into the binary.
pub fn load_builtin() -> Loaded {
    load_files(
        builtin(&BUILTIN_QUESTIONS, "questions"),
        builtin(&BUILTIN_RUBRICS, "rubrics"),
    )
}
