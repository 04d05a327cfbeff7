//! Grading runs that are interrupted (Ctrl-C), killed (kill -9) or pointed at a folder that
//! holds something: nothing written is lost, a rerun finishes the job without duplicates, and no
//! run folder is replaced silently.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Many answers to the three fixture questions (one model's answers, repeated as samples of
/// many models), so that grading takes long enough to be interrupted.
fn many_answers(dir: &Path, n: usize) -> PathBuf {
    let alpha: Vec<serde_json::Value> = read_jsonl(Path::new(&mini("answers.jsonl")))
        .into_iter()
        .filter(|a| a["model"] == "alpha")
        .collect();
    let mut s = String::new();
    for i in 0..n {
        for a in &alpha {
            let mut b = a.clone();
            b["model"] = format!("m{}", i % 1000).into();
            b["sample"] = (i / 1000).into();
            s.push_str(&b.to_string());
            s.push('\n');
        }
    }
    let p = dir.join("many.jsonl");
    std::fs::write(&p, s).unwrap();
    p
}

fn grade_args(answers: &Path, out: Option<&str>) -> Vec<String> {
    let mut v: Vec<String> = [
        "grade",
        "--questions",
        &mini("questions.jsonl"),
        "--rubrics",
        &mini("rubrics.jsonl"),
        "--answers",
        answers.to_str().unwrap(),
        "--format",
        "json,md",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if let Some(o) = out {
        v.extend(["--out".to_string(), o.to_string()]);
    }
    v
}

fn spawn(cwd: &Path, args: &[String]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_kasauti"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until the run has written at least one grade line.
fn wait_for_grades(child: &mut Child, grades: &Path) {
    let start = Instant::now();
    while std::fs::metadata(grades).map(|m| m.len()).unwrap_or(0) == 0 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before it could be stopped"
        );
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no grades written"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every line is a whole JSON object, and no (model, question, sample) appears twice.
fn whole_and_unique(grades: &Path) -> usize {
    let text = std::fs::read_to_string(grades).unwrap();
    let mut keys = HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let g: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{}:{}: torn line: {e}", grades.display(), i + 1));
        let key = (
            g["model"].as_str().unwrap().to_string(),
            g["question_id"].as_str().unwrap().to_string(),
            g["sample"].as_u64().unwrap(),
        );
        assert!(keys.insert(key), "duplicate at line {}", i + 1);
    }
    keys.len()
}

#[cfg(unix)]
#[test]
fn ctrl_c_saves_what_was_graded_and_a_rerun_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let answers = many_answers(dir.path(), 40_000);
    let total = 3 * 40_000;
    let args = grade_args(&answers, Some("run"));
    let mut child = spawn(dir.path(), &args);
    wait_for_grades(&mut child, &dir.path().join("run/grades.jsonl"));
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let o = child.wait_with_output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(
        err.contains("interrupted:") && err.contains("run again"),
        "{err}"
    );
    assert!(
        err.contains("--out run"),
        "the resume command names the folder: {err}"
    );
    let run = dir.path().join("run");
    let graded = whole_and_unique(&run.join("grades.jsonl"));
    assert!(graded > 0 && graded < total, "{graded}");
    // run.json says the run is unfinished; the reports cover what was graded.
    let manifest = read_json(&run.join("run.json"));
    assert!(manifest["finished_at"].is_null());
    let report = read_json(&run.join("report.json"));
    let n: u64 = report["models"]
        .as_object()
        .unwrap()
        .values()
        .map(|m| m["overall"]["n"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(n as usize, graded);
    let o = kasauti(dir.path(), &["report", "run", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    // The same command again finishes the job.
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = kasauti(dir.path(), &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(whole_and_unique(&run.join("grades.jsonl")), total);
    assert!(read_json(&run.join("run.json"))["finished_at"].is_string());
}

#[cfg(unix)]
#[test]
fn kill_9_loses_nothing_and_a_rerun_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let answers = many_answers(dir.path(), 40_000);
    let args = grade_args(&answers, Some("run"));
    let mut child = spawn(dir.path(), &args);
    wait_for_grades(&mut child, &dir.path().join("run/grades.jsonl"));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        dir.path().join("run/run.json").exists(),
        "run.json is written first"
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = kasauti(dir.path(), &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("grading it again"), "{}", stderr(&o));
    assert_eq!(
        whole_and_unique(&dir.path().join("run/grades.jsonl")),
        3 * 40_000
    );
}

#[test]
fn default_folders_never_collide() {
    let dir = tempfile::tempdir().unwrap();
    let answers = PathBuf::from(mini("answers.jsonl"));
    let args = grade_args(&answers, None);
    // Four runs started together share a second; each gets its own folder.
    let children: Vec<Child> = (0..4).map(|_| spawn(dir.path(), &args)).collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let runs: Vec<PathBuf> = std::fs::read_dir(dir.path().join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(runs.len(), 4, "{runs:?}");
    let expected = read_jsonl(Path::new(&mini("answers.jsonl"))).len();
    for r in runs {
        assert_eq!(
            whole_and_unique(&r.join("grades.jsonl")),
            expected,
            "{}",
            r.display()
        );
    }
}

#[test]
fn an_existing_run_folder_is_never_replaced_silently() {
    let dir = tempfile::tempdir().unwrap();
    let answers = PathBuf::from(mini("answers.jsonl"));
    let first = grade_args(&answers, Some("run"));
    let first: Vec<&str> = first.iter().map(String::as_str).collect();
    assert_eq!(kasauti(dir.path(), &first).status.code(), Some(0));
    let before = std::fs::read(dir.path().join("run/grades.jsonl")).unwrap();

    // Other answers into the same folder: refused, naming what changed and the flag.
    let other = dir.path().join("other.jsonl");
    let lines: Vec<String> = std::fs::read_to_string(&answers)
        .unwrap()
        .lines()
        .take(2)
        .map(str::to_string)
        .collect();
    std::fs::write(&other, lines.join("\n") + "\n").unwrap();
    let second = grade_args(&other, Some("run"));
    let second: Vec<&str> = second.iter().map(String::as_str).collect();
    let o = kasauti(dir.path(), &second);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the answer files changed"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("--overwrite"));
    assert_eq!(
        std::fs::read(dir.path().join("run/grades.jsonl")).unwrap(),
        before
    );

    // The same answer file, edited: refused too.
    std::fs::copy(&answers, dir.path().join("copy.jsonl")).unwrap();
    let c = grade_args(&dir.path().join("copy.jsonl"), Some("copy-run"));
    let c: Vec<&str> = c.iter().map(String::as_str).collect();
    assert_eq!(kasauti(dir.path(), &c).status.code(), Some(0));
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(dir.path().join("copy.jsonl"), lines.join("\n") + "\n").unwrap();
    let o = kasauti(dir.path(), &c);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("content of the answer"),
        "{}",
        stderr(&o)
    );

    // A different setting: refused; --overwrite replaces.
    let mut zero = first.clone();
    zero.extend(["--missing", "zero"]);
    let o = kasauti(dir.path(), &zero);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("setting `missing`"), "{}", stderr(&o));
    let mut over = second.clone();
    over.push("--overwrite");
    let o = kasauti(dir.path(), &over);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(whole_and_unique(&dir.path().join("run/grades.jsonl")), 2);

    // A live run's folder (answers from a model) is refused.
    let live = dir.path().join("live");
    std::fs::create_dir(&live).unwrap();
    std::fs::copy(dir.path().join("run/run.json"), live.join("run.json")).unwrap();
    std::fs::write(live.join("answers.jsonl"), "").unwrap();
    let l = grade_args(&answers, Some("live"));
    let l: Vec<&str> = l.iter().map(String::as_str).collect();
    let o = kasauti(dir.path(), &l);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("with answers from a model"),
        "{}",
        stderr(&o)
    );

    // A folder of someone's files.
    std::fs::create_dir(dir.path().join("notes")).unwrap();
    std::fs::write(dir.path().join("notes/todo.txt"), "mine").unwrap();
    let n = grade_args(&answers, Some("notes"));
    let n: Vec<&str> = n.iter().map(String::as_str).collect();
    let o = kasauti(dir.path(), &n);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("holds no kasauti run"),
        "{}",
        stderr(&o)
    );
}
