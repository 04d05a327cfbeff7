//! The parallel grading engine: answer files judged offline, streaming.

use std::collections::HashMap;

use super::line::LineParts;
use super::{code, GradeSink, Item, Outcome, Progress, RuleGradeLine};
use crate::answers::{AnswerFiles, Located};
use crate::dataset::Dataset;
use crate::error::{Diagnostic, Error, Result};
use crate::judge::rules::Scratch;
use crate::judge::Judge;
use crate::text::fidelity::{answer_language, answer_language_of};

type FxBuild = std::hash::BuildHasherDefault<rustc_hash::FxHasher>;

const BATCH: usize = 8192;

/// One judged answer: where it came from, its question, and its grade (`None` for an item that
/// failed before grading).
struct Judged {
    loc: Located,
    question: u32,
    graded: Option<GradedLine>,
}

/// A judged answer's verdict codes, score, completeness and serialised grade line.
struct GradedLine {
    codes: Vec<u8>,
    score: Option<f64>,
    complete: bool,
    /// The grade line as UTF-8 with its newline (written by [`RuleGradeLine::write_json`]).
    line: Vec<u8>,
    in_language: Option<bool>,
}

/// A batch entry: judged, outside the selection (`Ok(None)`), or a problem with the line.
type JudgedItem = Result<Option<Judged>, Diagnostic>;

/// Grades answer files with the rule judge, streaming.
///
/// Four stages run at once, so both cores stay busy: a reader thread reads and parses batches of
/// lines; the calling thread judges each batch on the rayon pool and serialises its grade lines;
/// a consumer thread checks duplicates and keeps the compact records; a writer thread owns the
/// output file and writes each batch's lines from their own buffers. Channels between them are
/// bounded, so memory stays flat.
pub fn grade_files(
    dataset: &Dataset,
    judge: &dyn Judge,
    files: &mut AnswerFiles,
    sink: &mut (dyn GradeSink + Send),
    progress: &dyn Progress,
) -> Result<Outcome> {
    use rayon::prelude::*;
    if !judge.decides_now() {
        return Err(Error::Usage(
            "grading answer files offline needs a judge that decides without the network".into(),
        ));
    }
    let paths = files.paths.clone();
    // Each question's part of its grade lines, serialised once.
    let parts: Vec<LineParts> = dataset.questions.iter().map(LineParts::new).collect();
    let parts = &parts;
    let (tx, rx) = crossbeam_channel::bounded::<Result<Vec<Result<Located, Diagnostic>>>>(2);
    let (jtx, jrx) = crossbeam_channel::bounded::<Vec<JudgedItem>>(2);
    let (wtx, wrx) = crossbeam_channel::bounded::<Vec<Vec<u8>>>(2);
    // Emptied buffers travel back for reuse: a batch's buffers are megabytes, and allocating
    // them afresh each time makes the allocator return pages to the system and fault them in
    // again (a sixth of single-core time, measured).
    let (spare_vec_tx, spare_vec_rx) = crossbeam_channel::bounded::<Vec<JudgedItem>>(4);
    // So do the grade lines' own buffers, a batch's worth at a time, once written: the judge
    // writes each line into a buffer that held a line before, instead of fresh memory freed on
    // another thread.
    let (spare_lines_tx, spare_lines_rx) = crossbeam_channel::bounded::<Vec<Vec<u8>>>(4);
    std::thread::scope(|scope| -> Result<Outcome> {
        let reader = scope.spawn(move || loop {
            let batch = files.next_batch(BATCH);
            let end = matches!(&batch, Ok(b) if b.is_empty()) || batch.is_err();
            if tx.send(batch).is_err() || end {
                return;
            }
        });
        let writer = scope.spawn(move || -> Result<()> {
            for lines in wrx.iter() {
                sink.write_lines(&lines)?;
                let _ = spare_lines_tx.try_send(lines);
            }
            Ok(())
        });
        let paths_ref = &paths;
        let consumer = scope.spawn(move || -> Outcome {
            let mut out = Outcome::default();
            // One map serves both duplicate detection and naming the first occurrence.
            let mut first_line: HashMap<(u32, u32, u32), (u32, usize), FxBuild> = HashMap::default();
            for mut judged in jrx.iter() {
                let n = judged.len() as u64;
                let mut lines = Vec::with_capacity(judged.len());
                for r in judged.drain(..) {
                    let Judged { loc, question: qi, graded: g } = match r {
                        Ok(Some(x)) => x,
                        Ok(None) => continue,
                        Err(d) => {
                            out.skipped += 1;
                            out.diagnostics.push(d);
                            continue;
                        }
                    };
                    let m = out.records.model_id(&loc.answer.model);
                    let key = (m, qi, loc.answer.sample);
                    if let Some(&(f, l)) = first_line.get(&key) {
                        out.skipped += 1;
                        out.diagnostics.push(Diagnostic::error(
                            &paths_ref[loc.file as usize],
                            Some(loc.line),
                            Some("question_id"),
                            format!(
                                "duplicate answer for model `{}`, question `{}`, sample {} (first at {}:{l})",
                                loc.answer.model,
                                loc.answer.question_id,
                                loc.answer.sample,
                                paths_ref[f as usize].display()
                            ),
                        ));
                        continue;
                    }
                    first_line.insert(key, (loc.file, loc.line));
                    match g {
                        Some(GradedLine { codes, score, complete, line, in_language }) => {
                            lines.push(line);
                            out.records.push_codes(
                                Item {
                                    model: m,
                                    question: qi,
                                    sample: loc.answer.sample,
                                    score: score.unwrap_or(f64::NAN),
                                    complete,
                                    failed: false,
                                    offset: 0,
                                    in_language,
                                },
                                &codes,
                            );
                        }
                        None => out.records.push_failed(m, qi, loc.answer.sample, loc.answer.error.clone().unwrap_or_default()),
                    }
                }
                let _ = spare_vec_tx.try_send(judged);
                if wtx.send(lines).is_err() {
                    break;
                }
                progress.advance(n);
            }
            out
        });
        let mut failure = None;
        for batch in rx.iter() {
            let batch = match batch {
                Ok(b) => b,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            };
            if batch.is_empty() {
                break;
            }
            // Judge in parallel; the consumer keeps input order.
            let mut judged = spare_vec_rx.try_recv().unwrap_or_default();
            let mut lines = spare_lines_rx.try_recv().unwrap_or_default();
            lines.resize_with(batch.len(), Vec::new);
            batch
                .into_par_iter()
                .zip(lines)
                .map_init(
                    || (Scratch::default(), Vec::new()),
                    |(scratch, met), (item, mut buf)| {
                        let loc = item?;
                        let Some(qi) = dataset.position(&loc.answer.question_id) else {
                            if dataset.is_deselected(&loc.answer.question_id) {
                                return Ok(None);
                            }
                            return Err(Diagnostic::error(
                                &paths_ref[loc.file as usize],
                                Some(loc.line),
                                Some("question_id"),
                                format!(
                                    "answer to unknown question `{}`",
                                    crate::jsonl::truncate(&loc.answer.question_id, 80)
                                ),
                            ));
                        };
                        let q = &dataset.questions[qi as usize];
                        let Some(text) = loc.answer.answer.as_deref() else {
                            return Ok(Some(Judged {
                                loc,
                                question: qi,
                                graded: None,
                            }));
                        };
                        let mut codes = Vec::with_capacity(q.rubric.len());
                        judge.judge_now(qi, text, scratch, met);
                        codes.extend(met.iter().map(|m| match m {
                            Some(true) => code::MET,
                            Some(false) => code::NOT_MET,
                            None => code::UNJUDGED,
                        }));
                        // The letters were counted when the judge normalised the answer.
                        let (answer_script, in_language) = match scratch.analysed(text) {
                            Some(tokens) => answer_language_of(tokens, &q.language),
                            None => answer_language(text, &q.language),
                        };
                        let line = RuleGradeLine {
                            model: &loc.answer.model,
                            question: q,
                            sample: loc.answer.sample,
                            codes: &codes,
                            explanations: scratch.explanations(),
                            answer_script,
                            in_language,
                        };
                        let scored = line.score();
                        let (score, _, _, complete) = scored;
                        buf.clear();
                        line.write_json_with(&parts[qi as usize], scored, &mut buf);
                        buf.push(b'\n');
                        Ok(Some(Judged {
                            loc,
                            question: qi,
                            graded: Some(GradedLine {
                                codes,
                                score,
                                complete,
                                line: buf,
                                in_language,
                            }),
                        }))
                    },
                )
                .collect_into_vec(&mut judged);
            if jtx.send(judged).is_err() {
                break;
            }
        }
        // Closing the channels lets every stage finish; then errors surface in stage order.
        drop(rx);
        drop(jtx);
        let out = consumer
            .join()
            .map_err(|_| Error::Other("the grading consumer thread panicked".into()))?;
        reader
            .join()
            .map_err(|_| Error::Other("the answer reader thread panicked".into()))?;
        writer
            .join()
            .map_err(|_| Error::Other("the grade writer thread panicked".into()))??;
        match failure {
            Some(e) => Err(e),
            None => Ok(out),
        }
    })
}
