//! Each file's lines read as questions, rubric lines attached to their questions by id, and
//! every question checked for a rubric it can be scored by.

use std::collections::HashMap;
use std::path::Path;

use super::collect::Collector;
use super::files::InputFile;
use super::line::{parse_healthbench, parse_question, parse_rubric_line, RubricLine};
use super::{sha256, Loaded};
use crate::dataset::model::{Dataset, Origin, Question, SourceFile};
use crate::error::Diagnostic;
use serde_json::{Map, Value};

use crate::jsonl::{iter_lines, parse_object, RawLine};

#[derive(Clone, Copy, PartialEq)]
enum FileKind {
    Questions,
    Rubrics,
}

impl FileKind {
    /// The kind as named in messages and in the dataset's sources.
    fn name(self) -> &'static str {
        match self {
            FileKind::Questions => "questions",
            FileKind::Rubrics => "rubrics",
        }
    }
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
    let expected = expected.name();
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

/// Reads question files, then rubric files, and keeps the questions that can be scored.
pub(super) fn load_files(qfiles: Vec<InputFile>, rfiles: Vec<InputFile>) -> Loaded {
    let mut c = Collector::default();
    let mut sources = Vec::new();
    let mut questions = read_questions(&qfiles, &mut sources, &mut c);
    let rubric_origin = attach_rubrics(&rfiles, &mut questions, &mut sources, &mut c);
    let keep = scorable(questions, &rubric_origin, &mut c);
    let found = c.finish();
    Loaded {
        dataset: Dataset::new(keep, sources),
        diagnostics: found.diagnostics,
        skipped: found.skipped,
        unlisted_warnings: found.unlisted_warnings,
    }
}

/// Records a file among the sources, then hands each line's JSON object to `each` (a line that
/// is not an object is reported). A file that is plainly another kind of file gets one error
/// saying so and no line read; an empty question file is an error.
fn for_each_object(
    f: &InputFile,
    kind: FileKind,
    sources: &mut Vec<SourceFile>,
    c: &mut Collector,
    mut each: impl FnMut(&RawLine, Map<String, Value>, &mut Collector),
) {
    sources.push(SourceFile {
        path: f.path.clone(),
        sha256: sha256(&f.bytes),
        kind: kind.name(),
    });
    let mut lines = iter_lines(&f.bytes).peekable();
    if kind == FileKind::Questions && lines.peek().is_none() {
        c.push(Diagnostic::error(
            &f.path,
            None,
            None,
            "the file has no questions (it is empty)",
        ));
    }
    if let Some(d) = lines.peek().and_then(|l| misplaced(&f.path, l, kind)) {
        c.push(d);
        return;
    }
    for line in lines {
        match parse_object(&f.path, &line) {
            Ok(obj) => each(&line, obj, c),
            Err(d) => c.push(d),
        }
    }
}

/// The questions of the question files, in order, each id once (a repeat is an error).
fn read_questions(
    qfiles: &[InputFile],
    sources: &mut Vec<SourceFile>,
    c: &mut Collector,
) -> Vec<Question> {
    let mut questions: Vec<Question> = Vec::new();
    let mut seen: HashMap<String, Origin> = HashMap::new();
    for f in qfiles {
        for_each_object(f, FileKind::Questions, sources, c, |line, obj, c| {
            let parsed = if obj.contains_key("prompt_id") && obj.contains_key("rubrics") {
                parse_healthbench(&f.path, line, &obj, c)
            } else {
                parse_question(&f.path, line, &obj, c)
            };
            let Some(q) = parsed else { return };
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
                return;
            }
            seen.insert(q.id.clone(), q.origin.clone());
            questions.push(q);
        });
    }
    questions
}

/// Attaches each rubric line to its question by id. Returns where each attached rubric was
/// read. A rubric for an unknown question, a second rubric, or one for a question with an
/// inline rubric is an error.
fn attach_rubrics(
    rfiles: &[InputFile],
    questions: &mut [Question],
    sources: &mut Vec<SourceFile>,
    c: &mut Collector,
) -> HashMap<String, Origin> {
    let by_id: HashMap<String, usize> = questions
        .iter()
        .enumerate()
        .map(|(i, q)| (q.id.clone(), i))
        .collect();
    let mut rubric_origin: HashMap<String, Origin> = HashMap::new();
    for f in rfiles {
        for_each_object(f, FileKind::Rubrics, sources, c, |line, obj, c| {
            let Some(rubric) = parse_rubric_line(&f.path, line, &obj, c) else {
                return;
            };
            let RubricLine {
                question_id: qid,
                criteria,
                min_words,
            } = rubric;
            let Some(&qi) = by_id.get(&qid) else {
                c.error(
                    &f.path,
                    line.number,
                    Some("question_id"),
                    format!("rubric for unknown question `{qid}` (to grade part of a set, load all of it and select with --languages or --domains)"),
                );
                return;
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
                return;
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
                return;
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
        });
    }
    rubric_origin
}

/// The questions with a rubric that has a positive criterion and points that add up to a
/// finite number; every other question is an error.
fn scorable(
    questions: Vec<Question>,
    rubric_origin: &HashMap<String, Origin>,
    c: &mut Collector,
) -> Vec<Question> {
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
    keep
}
