//! End-to-end grading benchmark: the real `kasauti grade` on synthetic data (load, grade with the
//! rule judge, aggregate with bootstrap, write reports), with 1 and 2 worker threads.
//!
//! `cargo bench --bench grading` runs two data shapes: `short` (1,000,000 answers of about 300
//! bytes) and `long` (200,000 answers of about 2 KB), each with 10 rule-checked criteria per
//! question. `KASAUTI_BENCH_SHAPES=short|long|short,long`, `KASAUTI_BENCH_ANSWERS=N` and
//! `KASAUTI_BENCH_REPS=N` change what runs; `KASAUTI_BENCH_BASELINE=path/to/kasauti` also runs
//! another build of the binary, alternating with this one on the same data, and prints the ratio.

#[path = "support/synth.rs"]
mod synth;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs the command, returning wall seconds, the child's own CPU seconds and peak RSS in MiB.
// The child is reaped by wait4 (which also gives its own resource usage), not by Child::wait.
#[allow(clippy::zombie_processes)]
fn measure(cmd: &mut Command) -> (f64, f64, f64) {
    let start = Instant::now();
    let child = cmd.spawn().expect("kasauti starts");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it for this child only.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed().as_secs_f64();
    assert_eq!(r, pid, "wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "kasauti failed with status {status}"
    );
    let cpu = usage.ru_utime.tv_sec as f64
        + usage.ru_utime.tv_usec as f64 / 1e6
        + usage.ru_stime.tv_sec as f64
        + usage.ru_stime.tv_usec as f64 / 1e6;
    (wall, cpu, usage.ru_maxrss as f64 / 1024.0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs `kasauti grade` (the binary at `exe`) on `data` with `threads` worker threads.
fn run(exe: &Path, data: &Path, out: &Path, threads: usize) -> (f64, f64, f64) {
    // A fresh output folder: kasauti refuses to grade into one that holds another run (the other
    // shape's, or another build's).
    let _ = std::fs::remove_dir_all(out);
    let mut c = Command::new(exe);
    if threads == 1 {
        // One thread means one core: kasauti's reader, consumer and writer threads would
        // otherwise use the second core and flatter the single-threaded figure.
        use std::os::unix::process::CommandExt;
        // SAFETY: sched_setaffinity is async-signal-safe and touches only the child.
        unsafe {
            c.pre_exec(|| {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                libc::CPU_SET(0, &mut set);
                if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    c.args(["grade", "-q", "--format", "json,md,csv", "--questions"])
        .arg(data.join("questions.jsonl"))
        .arg("--answers")
        .arg(data.join("answers.jsonl"))
        .arg("--out")
        .arg(out)
        .env("RAYON_NUM_THREADS", threads.to_string());
    measure(&mut c)
}

/// Medians of one configuration's runs: wall, CPU, and the peak RSS over the runs.
struct Summary {
    walls: Vec<f64>,
    cpus: Vec<f64>,
    rss: Vec<f64>,
}

impl Summary {
    fn new() -> Summary {
        Summary {
            walls: Vec::new(),
            cpus: Vec::new(),
            rss: Vec::new(),
        }
    }

    fn add(&mut self, (w, c, m): (f64, f64, f64)) {
        self.walls.push(w);
        self.cpus.push(c);
        self.rss.push(m);
    }

    fn wall(&self) -> f64 {
        median(self.walls.clone())
    }

    fn line(&self) -> String {
        format!(
            "wall median {:.2} s (runs: {}), cpu {:.2} s, peak RSS {:.0} MiB",
            self.wall(),
            self.walls
                .iter()
                .map(|x| format!("{x:.2}"))
                .collect::<Vec<_>>()
                .join(", "),
            median(self.cpus.clone()),
            self.rss.iter().cloned().fold(0.0, f64::max)
        )
    }
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let shapes = std::env::var("KASAUTI_BENCH_SHAPES").unwrap_or_else(|_| "short,long".into());
    let questions = env_usize("KASAUTI_BENCH_QUESTIONS", 2_000);
    let reps = env_usize("KASAUTI_BENCH_REPS", 3);
    // Another build of kasauti (such as an earlier commit's) to run alternately with this one on
    // the same data, so that both are measured under the same machine load.
    let baseline = std::env::var_os("KASAUTI_BENCH_BASELINE").map(PathBuf::from);
    let current = PathBuf::from(env!("CARGO_BIN_EXE_kasauti"));
    for name in shapes.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let shape = synth::Shape::from_name(name)
            .unwrap_or_else(|| panic!("unknown shape `{name}` (short or long)"));
        let answers = env_usize(
            "KASAUTI_BENCH_ANSWERS",
            match shape {
                synth::Shape::Short => 1_000_000,
                synth::Shape::Long => 200_000,
            },
        );
        let suffix = match shape {
            synth::Shape::Short => String::new(),
            synth::Shape::Long => "-long".into(),
        };
        let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!(
            "target/bench-data/grading-{questions}-{answers}{suffix}"
        ));
        if !data.join("answers.jsonl").exists() {
            let t = Instant::now();
            synth::generate(&data, questions, answers, shape).expect("writes synthetic data");
            eprintln!(
                "generated {answers} answers in {:.1} s",
                t.elapsed().as_secs_f64()
            );
        }
        let size = std::fs::metadata(data.join("answers.jsonl"))
            .map(|m| m.len())
            .unwrap_or(0);
        println!(
            "{} answers: grading {answers} answers × 10 rule-checked criteria over {questions} questions ({:.0} MB of answers, {:.0} bytes each)",
            shape.name(),
            size as f64 / 1e6,
            size as f64 / answers.max(1) as f64
        );
        let out = std::env::temp_dir().join("kasauti-bench-run");
        let mut walls = Vec::new();
        for threads in [1usize, 2] {
            let mut this = Summary::new();
            let mut base = Summary::new();
            for _ in 0..reps {
                if let Some(b) = &baseline {
                    base.add(run(b, &data, &out, threads));
                }
                this.add(run(&current, &data, &out, threads));
            }
            let what = if threads == 1 {
                "pinned to one core"
            } else {
                "two cores"
            };
            println!("threads={threads} ({what}): {}", this.line());
            if baseline.is_some() {
                println!("threads={threads} ({what}), baseline: {}", base.line());
                println!(
                    "threads={threads}: speed-up over the baseline {:.2}x",
                    base.wall() / this.wall()
                );
            }
            walls.push(this.wall());
        }
        println!("speed-up 2 threads vs 1: {:.2}x", walls[0] / walls[1]);
        let _ = std::fs::remove_dir_all(&out);
    }
}
