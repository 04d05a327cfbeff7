//! kasauti (कसौटी, "touchstone") grades model answers against weighted, per-criterion rubrics,
//! the way IndQA and HealthBench grade, and reports the results by language and domain.
//!
//! The data flows one way:
//! questions + rubrics → [`dataset`] → answers ([`answers`]) → judges ([`judge`]) → [`grade`]
//! → [`stats`] → [`report`]. The jobs in [`run`] orchestrate them and keep the run directory
//! (`run.json`, `answers.jsonl`, `grades.jsonl`, reports); no module below `run` imports it.
//!
//! Everything the command line does is a library function in [`run`]: grading answer files
//! ([`run::grade_answers`]), live runs ([`run::live`]), rebuilding and merging reports
//! ([`run::rebuild_reports`], [`run::merge_runs`]), comparing runs ([`run::compare_runs`]) and
//! calibrating a judge ([`run::calibrate::calibrate_labels`]). Their configs are plain values
//! in [`run::config`] (HTTP, model and judge options, and the live jobs built from them), filled
//! in the way the command line fills them from its arguments. Judges implement
//! [`judge::Judge`]; every output is an [`report::Exporter`]. The library never prints;
//! `examples/grade_bundled.rs` grades the bundled example answers end to end.
//!
//! Judging one answer with the rule checks and scoring it:
//!
//! ```
//! use kasauti::dataset::load::load_from_bytes;
//! use kasauti::judge::rules::{CompiledRubric, Scratch};
//!
//! let question = r#"{"id": "hi-hist-1", "language": "hi", "domain": "history",
//!   "prompt": "1857 का विद्रोह कहाँ से शुरू हुआ?",
//!   "rubric": [{"criterion": "Names Meerut", "points": 5, "check": {"mentions": ["मेरठ", "Meerut"]}},
//!              {"criterion": "Gives the year 1857", "points": 2, "check": {"number": 1857}},
//!              {"criterion": "Names Gandhi as a leader", "points": -4, "check": {"mentions": ["गांधी"]}}]}"#;
//! // One question per line (JSONL): the example is wrapped above only to be readable.
//! let line = question.replace('\n', " ");
//! let loaded = load_from_bytes(vec![("q.jsonl".into(), line.into_bytes())], vec![]);
//! assert_eq!(loaded.errors(), 0);
//! let q = &loaded.dataset.questions[0];
//! let verdicts = CompiledRubric::new(q).unwrap().judge("विद्रोह मेरठ से शुरू हुआ।", &mut Scratch::default());
//! let grade = kasauti::grade::grade(q, "my-model", 0, verdicts);
//! assert_eq!(grade.score, Some(5.0 / 7.0));
//! ```

pub mod answers;
// The command line is the binary's; it is public only so that `main.rs` can call it.
#[doc(hidden)]
pub mod cli;
pub mod dataset;
pub mod error;
pub mod grade;
pub mod http;
mod jsonl;
pub mod judge;
pub mod report;
pub mod run;
pub mod stats;
pub mod text;
mod util;

pub use error::{Diagnostic, Error, Result};
