//! End-to-end grading benchmark: the real `kasauti grade` on synthetic data (load, grade with the
//! rule judge, aggregate with bootstrap, write reports), with 1 and 2 worker threads.
//!
//! `cargo bench --bench grading` (1,000,000 answers × 10 rule-checked criteria by default;
//! `KASAUTI_BENCH_ANSWERS=N` and `KASAUTI_BENCH_REPS=N` change the size and repetitions).

#[path = "support/synth.rs"]
mod synth;

use std::path::PathBuf;
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

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let answers = env_usize("KASAUTI_BENCH_ANSWERS", 1_000_000);
    let questions = env_usize("KASAUTI_BENCH_QUESTIONS", 2_000);
    let reps = env_usize("KASAUTI_BENCH_REPS", 3);
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("target/bench-data/grading-{questions}-{answers}"));
    if !data.join("answers.jsonl").exists() {
        let t = Instant::now();
        synth::generate(&data, questions, answers).expect("writes synthetic data");
        eprintln!(
            "generated {answers} answers in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    let size = std::fs::metadata(data.join("answers.jsonl"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!("grading {answers} answers × 10 rule-checked criteria over {questions} questions ({:.0} MB of answers)", size as f64 / 1e6);
    let out = std::env::temp_dir().join("kasauti-bench-run");
    let run = |threads: usize| -> (f64, f64, f64) {
        let mut c = Command::new(env!("CARGO_BIN_EXE_kasauti"));
        if threads == 1 {
            // One thread means one core: kasauti's reader, consumer and writer threads would
            // otherwise use the second core and flatter the single-threaded figure.
            use std::os::unix::process::CommandExt;
            // SAFETY: sched_setaffinity is async-signal-safe and touches only the child.
            unsafe {
                c.pre_exec(|| {
                    let mut set: libc::cpu_set_t = std::mem::zeroed();
                    libc::CPU_SET(0, &mut set);
                    if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0
                    {
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
            .arg(&out)
            .env("RAYON_NUM_THREADS", threads.to_string());
        measure(&mut c)
    };
    let mut results = Vec::new();
    for threads in [1usize, 2] {
        let mut walls = Vec::new();
        let mut cpus = Vec::new();
        let mut rss = Vec::new();
        for _ in 0..reps {
            let (w, c, m) = run(threads);
            walls.push(w);
            cpus.push(c);
            rss.push(m);
        }
        let (w, c, m) = (
            median(walls.clone()),
            median(cpus),
            rss.iter().cloned().fold(0.0, f64::max),
        );
        println!(
            "threads={threads} ({}): wall median {w:.2} s (runs: {}), cpu {c:.2} s, peak RSS {m:.0} MiB",
            if threads == 1 { "pinned to one core" } else { "two cores" },
            walls
                .iter()
                .map(|x| format!("{x:.2}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        results.push(w);
    }
    println!("speed-up 2 threads vs 1: {:.2}x", results[0] / results[1]);
    let _ = std::fs::remove_dir_all(&out);
}
