//! The command line: clap definitions and one file per subcommand. This module is the only
//! place that prints; the rest of the library returns values and errors.
// Doc comments here are clap's help text, written for the terminal (`<date>`, bare URLs),
// not for rustdoc.
#![allow(rustdoc::invalid_html_tags, rustdoc::bare_urls)]

mod args;
mod calibrate;
mod compare;
mod grade;
mod live;
mod progress;
mod report;
mod sample;
mod validate;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::error::Error;

/// kasauti grades model answers against weighted rubrics, the way IndQA and HealthBench do, and
/// reports the results by language and domain.
#[derive(Debug, Parser)]
#[command(name = "kasauti", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// No progress bars and no table on the terminal (errors are still printed).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// No progress bars.
    #[arg(long, global = true)]
    pub no_progress: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check question sets and rubrics and report every problem.
    Validate(validate::ValidateArgs),
    /// Grade saved answers (rule judge, a judge model, or recorded verdicts) into a run directory.
    Grade(grade::GradeArgs),
    /// Ask a model served over an OpenAI-compatible API for answers (no grading).
    Generate(live::GenerateArgs),
    /// Ask a model for answers, grade them (rules and/or a judge model) and report.
    Run(live::RunArgs),
    /// Rebuild reports from one or more run directories.
    Report(report::ReportArgs),
    /// Compare two runs: paired differences per language and domain, with intervals and p-values.
    Compare(compare::CompareArgs),
    /// Measure a judge against human labels: agreement, kappa, bias and balanced F1 per language.
    Calibrate(calibrate::CalibrateArgs),
    /// Choose answers of a run at random within each language and write them for people to label.
    Sample(sample::SampleArgs),
}

/// Where the questions and rubrics come from.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// Question files or folders (default: ./questions if present, else the built-in sets).
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub questions: Option<Vec<PathBuf>>,
    /// Rubric files or folders (default: ./rubrics with ./questions, else built-in).
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub rubrics: Option<Vec<PathBuf>>,
    /// Skip invalid input lines (they are counted and reported) instead of failing.
    #[arg(long)]
    pub skip_invalid: bool,
    /// Only questions in these languages (codes or names, comma-separated), e.g. `ta,hi,hinglish`.
    #[arg(long, value_delimiter = ',', value_name = "LANG,…")]
    pub languages: Vec<String>,
    /// Only questions in these domains (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "DOMAIN,…")]
    pub domains: Vec<String>,
}

impl DataArgs {
    pub fn load_options(&self) -> crate::dataset::LoadOptions {
        crate::dataset::LoadOptions {
            questions: self.questions.clone(),
            rubrics: self.rubrics.clone(),
            skip_invalid: self.skip_invalid,
            languages: self.languages.clone(),
            domains: self.domains.clone(),
        }
    }
}

/// How missing answers, failed items and null verdicts enter means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MissingPolicy {
    /// Leave them out of means (they are counted and listed).
    Exclude,
    /// Count them as 0 (null verdicts as not met).
    Zero,
}

/// Output settings shared by commands.
pub struct Ui {
    pub quiet: bool,
    pub progress: bool,
    pub color: bool,
}

impl Ui {
    fn new(cli: &Cli) -> Ui {
        let tty = std::io::stderr().is_terminal();
        Ui {
            quiet: cli.quiet,
            progress: tty && !cli.quiet && !cli.no_progress,
            color: std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    /// A progress bar on the terminal, or nothing.
    pub fn bar(&self, len: Option<u64>, what: &str) -> Bar {
        if !self.progress {
            return Bar(None);
        }
        let pb = match len {
            Some(n) => indicatif::ProgressBar::new(n),
            None => indicatif::ProgressBar::new_spinner(),
        };
        let template = if len.is_some() {
            "{prefix:>10} [{bar:30}] {pos}/{len} {per_sec} eta {eta} {msg}"
        } else {
            "{prefix:>10} {spinner} {pos} {per_sec} {msg}"
        };
        if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
            pb.set_style(style.progress_chars("=> "));
        }
        pb.set_prefix(what.to_string());
        pb.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        Bar(Some(pb))
    }

    /// Several bars drawn together, one line each (bars drawn apart would overwrite each other).
    /// Their lengths are set when the work is known.
    pub fn bars(&self, names: &[&str]) -> Vec<Bar> {
        if !self.progress {
            return names.iter().map(|_| Bar(None)).collect();
        }
        let multi =
            indicatif::MultiProgress::with_draw_target(indicatif::ProgressDrawTarget::stderr());
        names
            .iter()
            .map(|name| {
                let pb = multi.add(indicatif::ProgressBar::new(0));
                let template = "{prefix:>10} [{bar:30}] {pos}/{len} {rate} eta {eta} {msg}";
                if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
                    let style = style
                        .with_key(
                            "rate",
                            |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                                let _ = write!(w, "{:.1}/s", s.per_sec());
                            },
                        )
                        .progress_chars("=> ");
                    pb.set_style(style);
                }
                pb.set_prefix(name.to_string());
                Bar(Some(pb))
            })
            .collect()
    }

    /// Prints to stdout unless quiet; a closed pipe is not an error.
    pub fn out(&self, s: &str) {
        if !self.quiet {
            let mut o = std::io::stdout().lock();
            let _ = o.write_all(crate::util::escape::terminal(s).as_bytes());
            let _ = o.flush();
        }
    }

    /// Prints a note to stderr unless quiet.
    pub fn note(&self, s: &str) {
        if !self.quiet {
            eprintln!("{}", crate::util::escape::terminal(s));
        }
    }
}

/// A progress bar that may be absent.
pub struct Bar(pub Option<indicatif::ProgressBar>);

impl crate::grade::Progress for Bar {
    fn advance(&self, n: u64) {
        if let Some(b) = &self.0 {
            b.inc(n);
        }
    }
}

impl Bar {
    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

/// Runs the command line and returns the exit code (SPEC §7).
pub fn run(args: impl IntoIterator<Item = std::ffi::OsString>) -> i32 {
    let argv: Vec<std::ffi::OsString> = args.into_iter().collect();
    let cli = match Cli::try_parse_from(&argv) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let command: Vec<String> = argv
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let ui = Ui::new(&cli);
    let result = match &cli.command {
        Command::Validate(a) => validate::run(a, &ui),
        Command::Grade(a) => grade::run(a, &ui, &command),
        Command::Report(a) => report::run(a, &ui),
        Command::Compare(a) => compare::run(a, &ui),
        Command::Calibrate(a) => calibrate::run(a, &ui),
        Command::Sample(a) => sample::run(a, &ui),
        Command::Generate(a) => live::generate(a, &ui, &command),
        Command::Run(a) => live::run_cmd(a, &ui, &command),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // Diagnostics carry their own `error:` / `warning:` prefixes, line by line.
            let text = match &e {
                Error::Input(_) => e.to_string(),
                _ => format!("error: {e}"),
            };
            eprintln!("{}", crate::util::escape::terminal(&text));
            e.exit_code()
        }
    }
}

/// Prints diagnostics (warnings and skipped errors) to stderr, at most `limit` of them.
pub fn print_diagnostics(ui: &Ui, diags: &[crate::error::Diagnostic], limit: usize) {
    if ui.quiet {
        return;
    }
    for d in diags.iter().take(limit) {
        eprintln!("{}", crate::util::escape::terminal(&d.to_string()));
    }
    if diags.len() > limit {
        eprintln!("… and {} more", diags.len() - limit);
    }
}

/// Parses `--format a,b,c`.
pub fn formats(list: &[String]) -> Vec<String> {
    list.iter()
        .flat_map(|s| s.split(','))
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Maps a library error for a command; kept here so every subcommand words errors alike.
pub fn usage(msg: impl Into<String>) -> Error {
    Error::Usage(msg.into())
}

/// Stage timings on stderr when `KASAUTI_TIMINGS` is set (for profiling; off by default).
pub struct Stopwatch {
    start: std::time::Instant,
    last: std::cell::Cell<std::time::Instant>,
    on: bool,
}

impl Stopwatch {
    pub fn start() -> Stopwatch {
        let now = std::time::Instant::now();
        Stopwatch {
            start: now,
            last: std::cell::Cell::new(now),
            on: std::env::var_os("KASAUTI_TIMINGS").is_some(),
        }
    }

    /// Prints the time since the previous lap and since the start.
    pub fn lap(&self, what: &str) {
        if self.on {
            let now = std::time::Instant::now();
            eprintln!(
                "timing: {what}: {:.3} s (total {:.3} s)",
                (now - self.last.get()).as_secs_f64(),
                (now - self.start).as_secs_f64()
            );
            self.last.set(now);
        }
    }
}
