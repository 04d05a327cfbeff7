//! What the live subcommands share on the terminal: progress bars, Ctrl-C, running a live job
//! and printing its summary.

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use super::Ui;
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::http::StopHandle;
use crate::run::pipeline as live;
use crate::run::{self, LiveJob, LiveRun};

/// Progress bars for the two stages.
pub(super) struct Bars {
    answers: super::Bar,
    verdicts: super::Bar,
}

impl Bars {
    /// No bars (nothing is judged live).
    pub(super) fn none() -> Bars {
        Bars {
            answers: super::Bar(None),
            verdicts: super::Bar(None),
        }
    }

    /// Only the verdicts bar (judging without asking a model for answers).
    pub(super) fn verdicts_only(ui: &Ui) -> Bars {
        Bars {
            answers: super::Bar(None),
            verdicts: ui
                .bars(&["verdicts"])
                .into_iter()
                .next()
                .unwrap_or(super::Bar(None)),
        }
    }

    /// Clears the bars from the terminal.
    pub(super) fn finish(&self) {
        self.answers.finish();
        self.verdicts.finish();
    }

    fn message(client: &crate::http::Client) -> String {
        use crate::http::Stats;
        let s = &client.stats;
        format!(
            "retries {} · failed {} · cached {}",
            Stats::get(&s.retries),
            Stats::get(&s.failures),
            Stats::get(&s.cache_hits)
        )
    }
}

impl live::LiveProgress for Bars {
    fn begin(&self, answers: u64, grades: u64) {
        if let Some(b) = &self.answers.0 {
            b.set_length(answers);
        }
        if let Some(b) = &self.verdicts.0 {
            b.set_length(grades);
        }
    }
    fn answered(&self, _ok: bool, client: &crate::http::Client) {
        if let Some(b) = &self.answers.0 {
            b.set_message(Self::message(client));
            b.inc(1);
        }
    }
    fn graded(&self, _complete: bool, client: &crate::http::Client) {
        if let Some(b) = &self.verdicts.0 {
            b.set_message(Self::message(client));
            b.inc(1);
        }
    }
}

/// The first Ctrl-C stops new requests; the second exits at once (every line written so far is
/// already on disk, so nothing is lost).
pub(super) fn install_interrupt(stop: &StopHandle, ui: &Ui) {
    let stop = stop.clone();
    let quiet = ui.quiet;
    let presses = AtomicU32::new(0);
    let _ = ctrlc::set_handler(move || {
        if presses.fetch_add(1, Ordering::SeqCst) == 0 {
            if !quiet {
                eprintln!(
                    "\nstopping: no new requests; waiting up to {} s for those in flight \
                     (Ctrl-C again to quit at once)",
                    live::GRACE.as_secs()
                );
            }
            stop.stop();
        } else {
            std::process::exit(130);
        }
    });
}

/// Runs a live job with progress bars and Ctrl-C handling; an interrupted run prints how to
/// continue and ends with [`Error::Interrupted`].
pub(super) fn run_live(ds: Dataset, job: LiveJob, ui: &Ui) -> Result<LiveRun> {
    let stop = StopHandle::default();
    install_interrupt(&stop, ui);
    let mut names = Vec::new();
    if job.plan.model.is_some() {
        names.push("answers");
    }
    if job.plan.judge.is_some() {
        names.push("verdicts");
    }
    let mut made = ui.bars(&names).into_iter();
    let bars = Arc::new(Bars {
        answers: match job.plan.model {
            Some(_) => made.next().unwrap_or(super::Bar(None)),
            None => super::Bar(None),
        },
        verdicts: made.next().unwrap_or(super::Bar(None)),
    });
    let command = job.command.clone();
    let result = run::live(Arc::new(ds), job, stop, bars.clone());
    bars.finish();
    let done = result?;
    if done.outcome.interrupted {
        // Printed even with -q: without it the user cannot know how to continue.
        eprintln!(
            "interrupted: {} answered and {} graded in this session; everything written is kept.\n\
             To continue, run the same command again:\n  {}",
            done.outcome.answered,
            done.outcome.graded,
            run::shell_quote(&command)
        );
        return Err(Error::Interrupted);
    }
    Ok(done)
}

/// Prints a finished live run: its summary and, when it has one, the report's table. Returns
/// the exit code.
pub(super) fn finish(ui: &Ui, done: &LiveRun, dir: &Path) -> i32 {
    ui.note(&done.summary(dir));
    match &done.report {
        Some(rep) => {
            ui.out(&crate::report::table::language_table(rep, ui.color));
            if let Some(j) = &rep.judging {
                for line in crate::report::jury::terminal(j) {
                    ui.note(&line);
                }
            }
            i32::from(rep.has_problems())
        }
        None => i32::from(done.failed_answers > 0),
    }
}
