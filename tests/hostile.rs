//! Hostile inputs: folders that loop, broken CSV quoting, names that attack spreadsheets,
//! Markdown and terminals, sums that overflow, unreadable paths, floods of bad lines, keys that
//! cannot be sent, and files given to the wrong option. Each case was a real failure once.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use common::*;

fn bad(name: &str) -> String {
    root()
        .join("tests/bad_input")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn grade(dir: &Path, answers: &Path, extra: &[&str]) -> Output {
    let out = dir.join("run");
    let mut args = vec![
        "grade".to_string(),
        "--questions".into(),
        mini("questions.jsonl"),
        "--rubrics".into(),
        mini("rubrics.jsonl"),
        "--answers".into(),
        answers.to_string_lossy().into_owned(),
        "--out".into(),
        out.to_string_lossy().into_owned(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    kasauti(dir, &args)
}

/// Runs the binary with a deadline, so a loop in the program fails the test instead of hanging it.
fn kasauti_within(cwd: &Path, args: &[&str], limit: Duration) -> Output {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kasauti"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("kasauti {args:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn no_panic(o: &Output) {
    assert!(!stderr(o).contains("panicked"), "{}", stderr(o));
}

#[cfg(unix)]
#[test]
fn symlink_loops_in_answer_and_question_folders() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let answers = dir.path().join("data/answers");
    std::fs::create_dir_all(&answers).unwrap();
    std::fs::copy(mini("answers.jsonl"), answers.join("alpha.jsonl")).unwrap();
    symlink(".", answers.join("a")).unwrap();
    symlink(".", answers.join("b")).unwrap();
    symlink("..", answers.join("up")).unwrap();
    symlink("missing-target", answers.join("dangling")).unwrap();
    let o = kasauti_within(
        dir.path(),
        &[
            "grade",
            "--questions",
            &mini("questions.jsonl"),
            "--rubrics",
            &mini("rubrics.jsonl"),
            "--answers",
            answers.to_str().unwrap(),
            "--out",
            dir.path().join("run").to_str().unwrap(),
            "--format",
            "json",
        ],
        Duration::from_secs(60),
    );
    no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Each answer read once: as many grade lines as answer lines, no duplicates reported.
    let answers_in = read_jsonl(Path::new(&mini("answers.jsonl"))).len();
    let grades = read_jsonl(&dir.path().join("run/grades.jsonl"));
    assert_eq!(grades.len(), answers_in);
    assert!(!stderr(&o).contains("duplicate"), "{}", stderr(&o));

    // A second way to the same file (a link to it) is one file, not two.
    symlink(answers.join("alpha.jsonl"), answers.join("again.jsonl")).unwrap();
    std::fs::remove_dir_all(dir.path().join("run")).unwrap();
    let o = grade(dir.path(), &answers, &["--format", "json"]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        read_jsonl(&dir.path().join("run/grades.jsonl")).len(),
        answers_in
    );

    // The question loader walks folders the same way.
    let qdir = dir.path().join("questions");
    std::fs::create_dir(&qdir).unwrap();
    std::fs::copy(mini("questions.jsonl"), qdir.join("q.jsonl")).unwrap();
    std::fs::copy(mini("rubrics.jsonl"), dir.path().join("r.jsonl")).unwrap();
    symlink(".", qdir.join("loop")).unwrap();
    let o = kasauti_within(
        dir.path(),
        &[
            "validate",
            "--questions",
            "questions",
            "--rubrics",
            "r.jsonl",
        ],
        Duration::from_secs(60),
    );
    no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn csv_with_an_unterminated_quote_is_an_error_not_a_lost_row() {
    for (file, line, needle) in [
        ("unterminated_quote.csv", 2, "is never closed"),
        (
            "quote_closed_early.csv",
            2,
            "text follows the closing quote",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let o = grade(dir.path(), Path::new(&bad(file)), &[]);
        no_panic(&o);
        assert_eq!(o.status.code(), Some(2), "{file}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains(&format!("{file}:{line}: field `answer`: ")),
            "{err}"
        );
        assert!(err.contains(needle), "{err}");
        assert!(!dir.path().join("run/grades.jsonl").exists());
    }
}

/// Answer lines whose model names attack the report files and the terminal.
fn hostile_models(dir: &Path) -> PathBuf {
    let names = [
        "=HYPERLINK(\"http://evil.example\",\"click\")",
        "+cmd|' /C calc'!A0",
        "@SUM(1+1)",
        "-2+3",
        "pipe|and\nnewline",
        "esc\u{1b}[2Jclear\u{7}",
    ];
    let mut s = String::new();
    for m in names {
        for line in std::fs::read_to_string(mini("answers.jsonl"))
            .unwrap()
            .lines()
        {
            let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
            if v["model"] != "alpha" {
                continue;
            }
            v["model"] = m.into();
            s.push_str(&v.to_string());
            s.push('\n');
        }
    }
    let p = dir.join("hostile.jsonl");
    std::fs::write(&p, s).unwrap();
    p
}

#[test]
fn names_cannot_inject_into_reports_or_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let answers = hostile_models(dir.path());
    let o = grade(dir.path(), &answers, &["--format", "csv,md,json"]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for out in [&o.stdout, &o.stderr] {
        assert!(!out.contains(&0x1b), "ESC reached the terminal");
        assert!(!out.contains(&0x07), "BEL reached the terminal");
    }
    assert!(
        stdout(&o).contains("esc\\u{1b}[2Jclear\\u{7}"),
        "{}",
        stdout(&o)
    );

    // report.csv: no cell that a spreadsheet would run as a formula.
    let csv = std::fs::read_to_string(dir.path().join("run/report.csv")).unwrap();
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let mut models = std::collections::BTreeSet::new();
    for r in rows.records() {
        let r = r.unwrap();
        for cell in r.iter().filter(|c| !c.is_empty()) {
            let numeric = cell.parse::<f64>().is_ok();
            assert!(
                numeric || !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "formula cell {cell:?}"
            );
            assert!(!cell.contains('\u{1b}'));
        }
        models.insert(r[0].to_string());
    }
    assert!(models.contains("'=HYPERLINK(\"http://evil.example\",\"click\")"));
    assert!(models.contains("'+cmd|' /C calc'!A0"));
    assert!(models.contains("'@SUM(1+1)"));
    assert!(models.contains("'-2+3"));
    assert_eq!(models.len(), 6);

    // report.md: every table row keeps its column count, and no raw control character.
    let md = std::fs::read_to_string(dir.path().join("run/report.md")).unwrap();
    assert!(!md.contains('\u{1b}') && !md.contains('\u{7}'));
    let mut header_cols = None;
    for line in md.lines() {
        if !line.starts_with('|') {
            header_cols = None;
            continue;
        }
        let cols = line.replace("\\|", "").matches('|').count();
        match header_cols {
            None => header_cols = Some(cols),
            Some(n) => assert_eq!(cols, n, "row breaks its table: {line}"),
        }
    }
    assert!(md.contains("pipe\\|and newline"));
    // report.json keeps the names exactly (JSON escapes them itself).
    let json = read_json(&dir.path().join("run/report.json"));
    assert!(json["models"]["pipe|and\nnewline"].is_object());
}

#[test]
fn points_that_overflow_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let o = kasauti(dir.path(), &["validate", &bad("overflowing_points.jsonl")]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("overflowing_points.jsonl:1: field `rubric`: the positive points of `big-1`"),
        "{err}"
    );
    assert!(
        err.contains("overflowing_points.jsonl:2: field `rubric`: the negative points of `big-2`"),
        "{err}"
    );
    let answers = dir.path().join("a.jsonl");
    std::fs::write(
        &answers,
        "{\"question_id\": \"big-1\", \"model\": \"m\", \"answer\": \"x\"}\n",
    )
    .unwrap();
    let o = kasauti(
        dir.path(),
        &[
            "grade",
            "--questions",
            &bad("overflowing_points.jsonl"),
            "--answers",
            answers.to_str().unwrap(),
            "--out",
            "run",
        ],
    );
    no_panic(&o);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!dir.path().join("run/grades.jsonl").exists());
}

#[test]
fn unreadable_inputs_are_bad_input_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["validate", "no-such-questions.jsonl"],
        vec![
            "validate",
            "--questions",
            &mini("questions.jsonl"),
            "--rubrics",
            "no-such-rubrics.jsonl",
        ],
        vec!["report", "no-such-run"],
        vec![
            "grade",
            "--questions",
            "no-such-dir",
            "--answers",
            "x.jsonl",
        ],
    ] {
        let o = kasauti(dir.path(), &args);
        no_panic(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(err.contains("no-such-"), "{err}");
        assert!(!err.contains("os error"), "{err}");
    }
    // A folder with nothing to read is not a valid, empty question set.
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let o = kasauti(dir.path(), &["validate", "empty"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no .jsonl question files found in empty"));
}

#[cfg(unix)]
#[test]
fn unreadable_file_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("locked.jsonl");
    std::fs::copy(mini("answers.jsonl"), &p).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&p).is_ok() {
        // Running as root: permissions do not stop reading, so there is nothing to test.
        return;
    }
    let o = grade(dir.path(), &p, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("check the file's permissions"));
}

/// Errors per line of `{}`, found by validating one such line.
fn errors_per_empty_object(dir: &Path) -> usize {
    std::fs::write(dir.join("one.jsonl"), "{}\n").unwrap();
    let o = kasauti(dir, &["validate", "one.jsonl"]);
    stderr(&o)
        .lines()
        .filter(|l| l.starts_with("error:"))
        .count()
}

#[test]
fn a_flood_of_bad_lines_is_capped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let per_line = errors_per_empty_object(dir.path());
    assert!(per_line >= 3, "{per_line}");
    let lines = 300_000;
    std::fs::write(dir.path().join("flood.jsonl"), "{}\n".repeat(lines)).unwrap();
    let o = kasauti(dir.path(), &["validate", "flood.jsonl"]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    let listed = err
        .lines()
        .filter(|l| l.starts_with("error: flood.jsonl:") && !l.contains("more problem"))
        .count();
    assert_eq!(listed, 100, "the first 100 problems are listed");
    let total = per_line * lines;
    let more = total - 100;
    assert!(
        err.contains(&format!(
            "… and {more} more problem(s) in this file ({more} error(s), 0 warning(s))"
        )),
        "{}",
        err.lines().rev().take(3).collect::<Vec<_>>().join("\n")
    );
    assert!(
        stdout(&o).contains(&format!("{total} error(s)")),
        "{}",
        stdout(&o)
    );
    // Memory stays bounded: the largest child so far (this one included) stayed small.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let max_rss_mb = usage.ru_maxrss / 1024;
    assert!(max_rss_mb < 300, "peak memory {max_rss_mb} MB");
}

#[test]
fn an_api_key_that_cannot_be_sent_is_a_credentials_error_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_kasauti"))
        .args([
            "generate",
            "--model",
            "m",
            "--base-url",
            "http://127.0.0.1:9/v1",
        ])
        .args([
            "--questions",
            &mini("questions.jsonl"),
            "--rubrics",
            &mini("rubrics.jsonl"),
        ])
        .args(["--out", "run", "--no-cache"])
        .env("OPENAI_API_KEY", "sk-secret-part\nsecond-line")
        .current_dir(dir.path())
        .output()
        .unwrap();
    no_panic(&o);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "no retries before failing"
    );
    let err = stderr(&o);
    assert!(
        err.contains("$OPENAI_API_KEY contains a line break"),
        "{err}"
    );
    assert!(
        !err.contains("sk-secret-part") && !err.contains("second-line"),
        "{err}"
    );
}

#[test]
fn files_given_to_the_wrong_option_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let o = kasauti(dir.path(), &["validate", &mini("rubrics.jsonl")]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains(
            "rubrics.jsonl:1: this was read as questions, but it looks like a rubric file"
        ),
        "{err}"
    );
    assert!(err.contains("--rubrics"), "{err}");
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{err}"
    );

    let o = kasauti(dir.path(), &["validate", &mini("answers.jsonl")]);
    assert!(
        stderr(&o).contains("looks like an answers file"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("--answers"));

    let o = kasauti(
        dir.path(),
        &[
            "validate",
            "--questions",
            &mini("questions.jsonl"),
            "--rubrics",
            &mini("questions.jsonl"),
        ],
    );
    assert!(
        stderr(&o).contains("this was read as rubrics, but it looks like a question file"),
        "{}",
        stderr(&o)
    );

    // validate takes --questions as grade does, and the positional form still works.
    for args in [
        vec![
            "validate",
            "--questions",
            &mini("questions.jsonl"),
            "--rubrics",
            &mini("rubrics.jsonl"),
        ],
        vec![
            "validate",
            &mini("questions.jsonl"),
            "--rubrics",
            &mini("rubrics.jsonl"),
        ],
    ] {
        let o = kasauti(dir.path(), &args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn more_hostile_lines() {
    let dir = tempfile::tempdir().unwrap();
    // Nesting past the JSON parser's depth limit: an error for that line, not a stack overflow.
    let o = grade(dir.path(), Path::new(&bad("deeply_nested.jsonl")), &[]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("deeply_nested.jsonl:1: malformed JSON: recursion limit exceeded"));
    // Sample numbers out of range, both ways.
    let o = grade(
        dir.path(),
        Path::new(&bad("sample_out_of_range.jsonl")),
        &[],
    );
    no_panic(&o);
    assert_eq!(o.status.code(), Some(2));
    for line in [
        "sample_out_of_range.jsonl:1: field `sample`",
        "sample_out_of_range.jsonl:2: field `sample`",
    ] {
        assert!(stderr(&o).contains(line), "{}", stderr(&o));
    }
    // A regex whose compiled size is huge is refused when the rubric is loaded.
    let o = kasauti(dir.path(), &["validate", &bad("regex_too_big.jsonl")]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("regex_too_big.jsonl:1: field `rubric[0].check.regex`: invalid regex")
    );
    // NUL characters in names and answers are kept as data and never reach the terminal raw.
    let o = grade(
        dir.path(),
        Path::new(&bad("nul_bytes.jsonl")),
        &["--format", "csv,md"],
    );
    no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!o.stdout.contains(&0) && !o.stderr.contains(&0));
    let md = std::fs::read_to_string(dir.path().join("run/report.md")).unwrap();
    assert!(md.contains("nul\\u{0}name") && !md.contains('\0'));
}
