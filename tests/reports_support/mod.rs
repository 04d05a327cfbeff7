//! Helpers shared by the report, compare and calibrate tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `kasauti` binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_kasauti"))
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the binary in `cwd` and returns its output.
pub fn kasauti(cwd: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("run kasauti")
}

/// `--questions … --rubrics …` naming the bundled files that hold something: the bundled set is
/// written language by language, and a placeholder file must not stop these tests.
pub fn bundled_data_args() -> Vec<String> {
    let mut args = Vec::new();
    for kind in ["questions", "rubrics"] {
        args.push(format!("--{kind}"));
        let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join(kind))
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
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("examples/answers"))
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

/// Approximate equality for computed figures.
pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}
