//! Helpers shared by every integration test: running the binary, reading what it wrote, the
//! fixture and test-data paths; the scripted OpenAI-compatible server ([`server`]) with the
//! scripted question set it answers ([`scripted`]); and headless Chromium for rendered
//! reports ([`browser`]).
#![allow(dead_code)]

pub mod browser;
pub mod scripted;
pub mod server;

#[allow(unused_imports)]
pub use scripted::*;
#[allow(unused_imports)]
pub use server::{completion, Action, Request, Script, TestServer};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The project's root folder.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file of the real public data kept in `tests/data` (see its README for provenance),
/// failing clearly when it is missing.
pub fn test_data(rel: &str) -> PathBuf {
    let p = root().join("tests/data").join(rel);
    assert!(p.exists(), "test data missing: {}", p.display());
    p
}

/// A file of the small hand-checked fixture set (`tests/fixtures/mini`), as a path argument.
pub fn mini(name: &str) -> String {
    root()
        .join("tests/fixtures/mini")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Runs the kasauti binary with arguments, in `cwd`.
pub fn kasauti(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kasauti"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("the kasauti binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Reads a JSON file.
pub fn read_json(p: &Path) -> serde_json::Value {
    let s = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&s).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Reads a JSONL file into values; the file must exist.
pub fn read_jsonl(p: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    parse_jsonl(p, &text)
}

/// Reads a JSONL file into values; a file not written (yet) has none.
pub fn jsonl(p: &Path) -> Vec<serde_json::Value> {
    parse_jsonl(p, &std::fs::read_to_string(p).unwrap_or_default())
}

/// The non-blank lines of a JSONL file's text, parsed.
fn parse_jsonl(p: &Path, text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}: {l}", p.display())))
        .collect()
}

pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

/// `--questions … --rubrics …` naming the bundled files that hold something: the bundled set is
/// written language by language, and a placeholder file must not stop these tests.
pub fn bundled_data_args() -> Vec<String> {
    let mut args = Vec::new();
    for kind in ["questions", "rubrics"] {
        args.push(format!("--{kind}"));
        let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(kind))
            .expect("bundled folder")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
            .filter(|p| std::fs::metadata(p).map(|m| m.len() > 0).unwrap_or(false))
            .collect();
        files.sort();
        args.extend(files.into_iter().map(|p| p.display().to_string()));
    }
    args
}

/// The bundled answers that hold something, for the same reason.
pub fn bundled_answer_args() -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("examples/answers"))
        .expect("examples/answers")
        .map(|e| e.expect("entry").path())
        .filter(|p| std::fs::metadata(p).map(|m| m.len() > 0).unwrap_or(false))
        .collect();
    files.sort();
    let mut args = vec!["--answers".to_string()];
    args.extend(files.into_iter().map(|p| p.display().to_string()));
    args
}

/// Writes a file, creating its folder.
pub fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

/// Asserts a command succeeded, showing its output when it did not.
pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Approximate equality for computed figures, within an absolute 1e-9 (the report, compare
/// and calibrate tests' tolerance).
pub fn close_abs(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// Says that a test skipped the part that needs a tool this machine lacks; under `CI=true` that
/// is a failure instead, so CI never passes without having run `what`.
pub fn skipped_unless_ci(why: &str, what: &str) {
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    assert!(!ci, "{why}, and CI=true: {what} must run in CI");
    println!("SKIPPED: {why}");
}

/// Grades `a.jsonl` against `q.jsonl` in `d` into the run folder `d/run` (report.json only),
/// quietly, failing the test if that fails.
pub fn grade_a_into_run(d: &Path) {
    ok(&kasauti(
        d,
        &[
            "-q",
            "grade",
            "--answers",
            "a.jsonl",
            "--questions",
            "q.jsonl",
            "--out",
            "run",
            "--format",
            "json",
        ],
    ));
}
