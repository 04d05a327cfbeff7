//! Calibrating a judge against human labels (`kasauti calibrate`): where the judge's verdicts
//! for the labelled items come from (a recorded file, or the judge run live on them), and saving
//! live verdicts to score again later.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::http::{ClientConfig, StopHandle};
use crate::report::calibration::calibration_exporter;
use crate::report::write_exports;
use crate::run::pipeline::{LiveProgress, GRACE};
use crate::stats::agreement::{calibrate, Calibration};

use serde_json::Value;

use crate::dataset::labels::{answer_sha256, read_labels, LabelledItem};
use crate::dataset::Dataset;
use crate::error::{Diagnostic, Error, Result};
use crate::jsonl::{short_json, string_field};
use crate::judge::{JudgeKind, Panel, Verdict};
use crate::run::pipeline::Setup;
use crate::run::{JudgeTask, JudgedTasks};

/// Where the judge's verdicts for labelled items come from: recorded verdicts
/// ([`RecordedVerdicts`]) or a judge run live on the items ([`LiveJudge`]).
pub trait VerdictSource {
    /// How the source is named in output.
    fn name(&self) -> String;
    /// One verdict per item, in the items' order (`None`: the judge could not decide).
    fn verdicts(&mut self, items: &[LabelledItem]) -> Result<Vec<Option<bool>>>;
}

/// Verdicts recorded in a JSONL file: `{"question_id", "criterion_id", "answer" (or
/// "answer_sha256"), "met": true|false|null}`.
///
/// A verdict belongs to the labelled item with the same question, criterion and answer text
/// (compared exactly, or by the SHA-256 of its UTF-8 bytes in `answer_sha256`). Without either,
/// the question and criterion must name exactly one labelled item. Every labelled item needs
/// exactly one verdict and every verdict an item; anything else is an input error naming the
/// line.
pub struct RecordedVerdicts {
    /// The JSONL file of verdicts.
    pub path: PathBuf,
    /// Questions left out by a selection (`--languages`, `--domains`): their verdicts are
    /// passed over, as their labels are.
    pub skip_questions: std::collections::HashSet<String>,
}

impl VerdictSource for RecordedVerdicts {
    fn name(&self) -> String {
        self.path.display().to_string()
    }

    fn verdicts(&mut self, items: &[LabelledItem]) -> Result<Vec<Option<bool>>> {
        let path = self.path.as_path();
        let mut by_key: HashMap<(&str, &str, String), usize> = HashMap::new();
        let mut by_pair: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        for (i, it) in items.iter().enumerate() {
            by_key.insert(
                (&it.question_id, &it.criterion_id, answer_sha256(&it.answer)),
                i,
            );
            by_pair
                .entry((&it.question_id, &it.criterion_id))
                .or_default()
                .push(i);
        }
        let mut out: Vec<Option<Option<bool>>> = vec![None; items.len()];
        let mut first_line: Vec<usize> = vec![0; items.len()];
        let mut problems = Vec::new();
        let mut objects = crate::jsonl::objects(path)?;
        while let Some((line, o)) = objects.next_noting(&mut problems)? {
            let mut p = Vec::new();
            let qid = string_field(&o, "question_id", path, line, false, &mut p);
            let cid = string_field(&o, "criterion_id", path, line, false, &mut p);
            let hash = match (o.get("answer"), o.get("answer_sha256")) {
                (Some(Value::String(a)), _) => Some(answer_sha256(a)),
                (Some(v), _) if !v.is_null() => {
                    p.push(Diagnostic::error(
                        path,
                        Some(line),
                        Some("answer"),
                        format!("expected the answer text, got {}", short_json(v)),
                    ));
                    None
                }
                (_, Some(Value::String(h)))
                    if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) =>
                {
                    Some(h.to_ascii_lowercase())
                }
                (_, Some(v)) if !v.is_null() => {
                    p.push(Diagnostic::error(
                        path,
                        Some(line),
                        Some("answer_sha256"),
                        format!("expected 64 hexadecimal digits, got {}", short_json(v)),
                    ));
                    None
                }
                _ => None,
            };
            let met = match o.get("met") {
                Some(Value::Bool(b)) => Some(Some(*b)),
                Some(Value::Null) => Some(None),
                None => {
                    p.push(Diagnostic::error(
                        path,
                        Some(line),
                        Some("met"),
                        "required field is missing (true, false or null)",
                    ));
                    None
                }
                Some(v) => {
                    p.push(Diagnostic::error(
                        path,
                        Some(line),
                        Some("met"),
                        format!("expected true, false or null, got {}", short_json(v)),
                    ));
                    None
                }
            };
            if !p.is_empty() {
                problems.extend(p);
                continue;
            }
            let (Some(qid), Some(cid), Some(met)) = (qid, cid, met) else {
                continue;
            };
            if self.skip_questions.contains(&qid) {
                continue;
            }
            let target = match &hash {
                    Some(h) => match by_key.get(&(qid.as_str(), cid.as_str(), h.clone())) {
                        Some(&i) => Ok(i),
                        None if by_pair.contains_key(&(qid.as_str(), cid.as_str())) => Err((
                            "answer",
                            format!("no labelled item has this answer for question `{qid}`, criterion `{cid}`"),
                        )),
                        None => Err((
                            "question_id",
                            format!("no labelled item has question `{qid}` and criterion `{cid}`"),
                        )),
                    },
                    None => match by_pair.get(&(qid.as_str(), cid.as_str())) {
                        Some(v) if v.len() == 1 => Ok(v[0]),
                        Some(v) => Err((
                            "answer",
                            format!("{} labelled answers have question `{qid}` and criterion `{cid}`; give `answer` (or `answer_sha256`) to say which", v.len()),
                        )),
                        None => Err((
                            "question_id",
                            format!("no labelled item has question `{qid}` and criterion `{cid}`"),
                        )),
                    },
                };
            match target {
                Ok(i) if out[i].is_some() => problems.push(Diagnostic::error(
                    path,
                    Some(line),
                    Some("question_id"),
                    format!(
                        "a second verdict for the same labelled item (first at line {})",
                        first_line[i]
                    ),
                )),
                Ok(i) => {
                    out[i] = Some(met);
                    first_line[i] = line;
                }
                Err((field, msg)) => {
                    problems.push(Diagnostic::error(path, Some(line), Some(field), msg))
                }
            }
        }
        for (it, v) in items.iter().zip(&out) {
            if v.is_none() {
                problems.push(Diagnostic::error(
                    &it.file,
                    Some(it.line),
                    Some("question_id"),
                    format!(
                        "no verdict in {} for this labelled item (question `{}`, criterion `{}`)",
                        path.display(),
                        it.question_id,
                        it.criterion_id
                    ),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(Error::Input(problems));
        }
        Ok(out.into_iter().map(|v| v.flatten()).collect())
    }
}

/// A judge run live on the labelled items (`calibrate --judge-model`): every labelled answer is
/// judged through [`crate::judge::Judge`], the code path of `grade` and `run` (same prompts,
/// modes, retries of unusable replies, HTTP client, cache and key redaction).
///
/// Each distinct (question, answer) is one task. In per-criterion mode only the labelled criteria
/// are asked, one request each, exactly the request grading that answer would send for them; in
/// batched mode the answer's whole rubric is asked in one request, as grading does, and the
/// labelled criteria are read from the reply. A verdict still `null` after the judge retries (or
/// whose request failed) is undecided.
pub struct LiveJudge {
    /// The question set the labels refer to.
    pub ds: Arc<Dataset>,
    /// Which judge decides (`llm` for calibration unless asked otherwise).
    pub kind: JudgeKind,
    /// The judge model (`None` only for the rule judge).
    pub judge: Option<Panel>,
    /// Client settings, keys, stop handle and progress; used once, by [`VerdictSource::verdicts`].
    pub setup: Option<Setup>,
    /// After [`VerdictSource::verdicts`]: each item's full verdict (explanation, or why it is
    /// `null`), in the items' order.
    pub details: Vec<Verdict>,
    /// After [`VerdictSource::verdicts`]: requests, retries, cache hits and tokens.
    pub outcome: JudgedTasks,
    /// After [`VerdictSource::verdicts`]: each item's jury votes (empty for a single judge).
    pub votes: Vec<Vec<crate::judge::Vote>>,
}

impl LiveJudge {
    /// A live judge over `ds`, to be run once.
    pub fn new(ds: Arc<Dataset>, kind: JudgeKind, judge: Option<Panel>, setup: Setup) -> Self {
        LiveJudge {
            ds,
            kind,
            judge,
            setup: Some(setup),
            details: Vec::new(),
            outcome: JudgedTasks::default(),
            votes: Vec::new(),
        }
    }
}

impl VerdictSource for LiveJudge {
    fn name(&self) -> String {
        let model = self.judge.as_ref().and_then(|p| {
            let lead = p.lead()?;
            let mut name = if p.jurors.len() > 1 {
                format!(
                    "jury of {} ({}), {}",
                    p.names().join(", "),
                    p.vote.as_str(),
                    lead.mode.as_str()
                )
            } else {
                format!("judge model {}, {}", lead.model, lead.mode.as_str())
            };
            if p.samples > 1 {
                name.push_str(&format!(", majority of {} samples", p.samples));
            }
            Some(name)
        });
        match (self.kind, model) {
            (JudgeKind::Rules, _) | (_, None) => "rule checks".to_string(),
            (JudgeKind::Llm, Some(m)) => m,
            (JudgeKind::Hybrid, Some(m)) => format!("rule checks, else {m}"),
            (JudgeKind::Gated, Some(m)) => format!("rule checks as gates, then {m}"),
        }
    }

    fn verdicts(&mut self, items: &[LabelledItem]) -> Result<Vec<Option<bool>>> {
        let Some(setup) = self.setup.take() else {
            return Err(Error::Other(
                "a live judge runs once; make a new one to judge again".into(),
            ));
        };
        let mut tasks: Vec<JudgeTask> = Vec::new();
        let mut task_of: HashMap<(u32, &str), usize> = HashMap::new();
        // For each item: its task and the criterion's position in the rubric.
        let mut place: Vec<(usize, usize)> = Vec::with_capacity(items.len());
        for it in items {
            let found = self.ds.position(&it.question_id).and_then(|qi| {
                let q = self.ds.questions.get(qi as usize)?;
                let ci = q.rubric.iter().position(|c| c.id == it.criterion_id)?;
                Some((qi, ci))
            });
            let Some((qi, ci)) = found else {
                return Err(Error::Input(vec![Diagnostic::error(
                    &it.file,
                    Some(it.line),
                    Some("criterion_id"),
                    format!(
                        "question `{}` with criterion `{}` is not in the question set",
                        it.question_id, it.criterion_id
                    ),
                )]));
            };
            let t = *task_of.entry((qi, it.answer.as_str())).or_insert_with(|| {
                tasks.push(JudgeTask {
                    question: qi,
                    answer: it.answer.clone(),
                    criteria: Vec::new(),
                });
                tasks.len() - 1
            });
            if !tasks[t].criteria.contains(&ci) {
                tasks[t].criteria.push(ci);
            }
            place.push((t, ci));
        }
        self.outcome =
            crate::run::judge_tasks(self.ds.clone(), self.kind, self.judge.clone(), tasks, setup)?;
        if self.outcome.interrupted {
            return Err(Error::Interrupted);
        }
        let mut out = Vec::with_capacity(items.len());
        self.details = Vec::with_capacity(items.len());
        self.votes = place
            .iter()
            .map(|&(t, ci)| {
                self.outcome
                    .votes
                    .get(t)
                    .and_then(|vs| vs.get(ci))
                    .cloned()
                    .unwrap_or_default()
            })
            .collect();
        for &(t, ci) in &place {
            let v = self
                .outcome
                .verdicts
                .get(t)
                .and_then(Option::as_ref)
                .and_then(|vs| vs.get(ci))
                .cloned()
                .unwrap_or_else(Verdict::unjudged);
            out.push(v.met);
            self.details.push(v);
        }
        Ok(out)
    }
}

/// Each juror's own figures, from the votes a jury (or repeated verdicts) kept: a juror's verdict
/// on an item is the majority of its samples. Empty for a single judge model asked once.
fn juror_calibrations(items: &[LabelledItem], l: &LiveVerdicts, labels: &str) -> Vec<Calibration> {
    let mut names: Vec<String> = Vec::new();
    for v in l.votes.iter().flatten() {
        if !names.contains(&v.judge) {
            names.push(v.judge.clone());
        }
    }
    if names.len() < 2 && l.votes.iter().all(|v| v.len() < 2) {
        return Vec::new();
    }
    names
        .iter()
        .map(|name| {
            let verdicts: Vec<Option<bool>> = l
                .votes
                .iter()
                .map(|vs| {
                    let mine: Vec<Option<bool>> = vs
                        .iter()
                        .filter(|v| &v.judge == name)
                        .map(|v| v.met)
                        .collect();
                    if mine.is_empty() {
                        None
                    } else {
                        crate::judge::VoteRule::Majority.decide(&mine)
                    }
                })
                .collect();
            calibrate(items, &verdicts, labels, &format!("juror {name}"))
        })
        .collect()
}

/// Writes verdicts in the recorded-verdicts format that [`RecordedVerdicts`] reads (one line per
/// labelled item, keyed by question, criterion and `answer_sha256`; `met` may be `null`), with
/// each verdict's `source`, `explanation` and `error` alongside, so a calibration can be scored
/// again (`calibrate --verdicts FILE`) without asking the judge. Written whole and atomically.
pub fn write_verdicts(path: &Path, items: &[LabelledItem], verdicts: &[Verdict]) -> Result<()> {
    let mut s = String::new();
    for (it, v) in items.iter().zip(verdicts) {
        let line = serde_json::json!({
            "question_id": it.question_id,
            "criterion_id": it.criterion_id,
            "answer_sha256": answer_sha256(&it.answer),
            "met": v.met,
            "source": v.source,
            "explanation": v.explanation,
            "error": v.error,
        });
        s.push_str(&line.to_string());
        s.push('\n');
    }
    crate::util::write_atomic(path, &s)
}

/// Where a calibration's judge verdicts come from.
// Made once per calibration, so the size of the live variant costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum JudgeVerdicts {
    /// A file of recorded verdicts (see [`RecordedVerdicts`]).
    Recorded(PathBuf),
    /// The judge run live on the labelled items (see [`LiveJudge`]).
    Live {
        /// Which judge decides.
        kind: JudgeKind,
        /// The judge model (`None` only for the rule judge).
        side: Option<Panel>,
        /// The HTTP client's settings.
        client: ClientConfig,
    },
}

impl JudgeVerdicts {
    /// The judge run live, checked (its options, template, URLs and keys). Calibration measures
    /// the judge model itself, so the judge is `llm` unless `judge` names another.
    pub fn live(judge: &crate::run::JudgeOptions, http: &crate::run::HttpOptions) -> Result<Self> {
        let mut judge = judge.clone();
        judge.kind = judge.kind.or(Some(JudgeKind::Llm));
        let (kind, side) = judge.panel(None)?;
        Ok(JudgeVerdicts::Live {
            kind,
            side,
            client: http.client_config()?,
        })
    }
}

/// A calibration of a judge against human labels (`kasauti calibrate`).
#[derive(Debug, Clone)]
pub struct CalibrateJob {
    /// The labels file.
    pub labels: PathBuf,
    /// The judge's verdicts.
    pub verdicts: JudgeVerdicts,
    /// Save a live judge's verdicts here, in the recorded format, to score them again later.
    pub save_verdicts: Option<PathBuf>,
    /// Formats (`table` is the terminal's and is not written).
    pub formats: Vec<String>,
    /// Folder for the `calibration.*` files.
    pub out: PathBuf,
}

/// What a live judge did on the labelled items.
#[derive(Debug, Clone)]
pub struct LiveVerdicts {
    /// Each labelled item's full verdict (explanation, or why it is `null`), in the items' order.
    pub details: Vec<Verdict>,
    /// Each labelled item's jury votes, in the items' order (empty for a single judge).
    pub votes: Vec<Vec<crate::judge::Vote>>,
    /// Requests, retries, cache hits and tokens.
    pub outcome: JudgedTasks,
}

/// What [`calibrate_labels`] made.
#[derive(Debug, Clone)]
pub struct Calibrated {
    /// The figures, as written to `calibration.json`.
    pub calibration: Calibration,
    /// The labelled items, in the labels file's order.
    pub items: Vec<LabelledItem>,
    /// For a live judge, what it decided and what that cost.
    pub live: Option<LiveVerdicts>,
}

/// Calibrates a judge against the labels: reads them, gets the judge's verdicts (recorded, or
/// live, stopping when `stop` fires), saves live verdicts when asked, computes the agreement
/// figures and writes them in every file format asked for.
pub fn calibrate_labels(
    ds: Arc<Dataset>,
    job: &CalibrateJob,
    stop: StopHandle,
    progress: Arc<dyn LiveProgress>,
) -> Result<Calibrated> {
    let mut exporters = Vec::new();
    for f in &job.formats {
        exporters.extend(calibration_exporter(f)?);
    }
    let items = read_labels(&job.labels, &ds)?;
    let (verdicts, name, live) = match &job.verdicts {
        JudgeVerdicts::Recorded(path) => {
            let mut source = RecordedVerdicts {
                path: path.clone(),
                skip_questions: ds.deselected.clone(),
            };
            (source.verdicts(&items)?, source.name(), None)
        }
        JudgeVerdicts::Live { kind, side, client } => {
            let secrets = side
                .iter()
                .flat_map(|p| &p.jurors)
                .filter_map(|j| j.endpoint.key.clone())
                .collect();
            let setup = Setup {
                client: client.clone(),
                secrets,
                stop,
                progress,
                grace: GRACE,
            };
            let mut source = LiveJudge::new(ds.clone(), *kind, side.clone(), setup);
            let verdicts = source.verdicts(&items)?;
            if let Some(path) = &job.save_verdicts {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    crate::run::create_dir(dir)?;
                }
                write_verdicts(path, &items, &source.details)?;
            }
            let name = source.name();
            let live = LiveVerdicts {
                details: source.details,
                votes: source.votes,
                outcome: source.outcome,
            };
            (verdicts, name, Some(live))
        }
    };
    let mut calibration = calibrate(&items, &verdicts, &job.labels.display().to_string(), &name);
    if let Some(l) = &live {
        calibration.jurors = juror_calibrations(&items, l, &job.labels.display().to_string());
    }
    write_exports(&job.out, &exporters, &calibration)?;
    Ok(Calibrated {
        calibration,
        items,
        live,
    })
}
