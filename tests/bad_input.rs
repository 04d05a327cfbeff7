//! Broken inputs: each gets a clear error naming file, line and field (exit code 2 for `grade`,
//! 1 for `validate`), or is handled correctly; nothing panics.

mod common;

use std::path::{Path, PathBuf};

use common::*;

fn bad(name: &str) -> PathBuf {
    root().join("tests/bad_input").join(name)
}

/// Grades answers against the small valid fixture set.
fn grade_answers(dir: &Path, answers: &Path, extra: &[&str]) -> std::process::Output {
    let out = dir.join("run");
    let (q, r) = (mini_q(), mini_r());
    let mut args = vec![
        "grade",
        "--questions",
        &q,
        "--rubrics",
        &r,
        "--answers",
        answers.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    kasauti(dir, &args)
}

fn mini_q() -> String {
    mini("questions.jsonl")
}
fn mini_r() -> String {
    mini("rubrics.jsonl")
}

fn expect_error(o: &std::process::Output, code: i32, needles: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    for n in needles {
        assert!(err.contains(n), "expected `{n}` in:\n{err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn broken_answer_files() {
    let cases: &[(&str, &[&str])] = &[
        ("malformed_json.jsonl", &["malformed_json.jsonl:2: malformed JSON"]),
        ("missing_field.jsonl", &["missing_field.jsonl:2: field `question_id`: required field is missing"]),
        ("wrong_type.jsonl", &["wrong_type.jsonl:2: field `answer`: expected a string, got 42"]),
        ("unknown_question.jsonl", &["unknown_question.jsonl:2: field `question_id`: answer to unknown question `ghost-7`"]),
        ("duplicate_answer.jsonl", &["duplicate_answer.jsonl:3: field `question_id`: duplicate answer", "duplicate_answer.jsonl:1)"]),
        ("wrong_sample_type.jsonl", &["wrong_sample_type.jsonl:1: field `sample`: expected a whole number"]),
        ("not_an_object.jsonl", &["not_an_object.jsonl:1: expected a JSON object"]),
        ("empty.jsonl", &["empty.jsonl: the file has no answers"]),
        ("short_row.csv", &["short_row.csv:3: expected 3 columns, got 2"]),
        ("no_question_column.csv", &["no_question_column.csv:1: field `question_id`"]),
    ];
    for (name, needles) in cases {
        let dir = tempfile::tempdir().unwrap();
        let o = grade_answers(dir.path(), &bad(name), &[]);
        expect_error(&o, 2, needles);
        // A failed command leaves no grades that look like a result.
        assert!(!dir.path().join("run/grades.jsonl").exists(), "{name}");
    }
}

#[test]
fn every_bad_line_is_listed_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("many.jsonl");
    std::fs::write(
        &p,
        "{\"question_id\": \"hi-1\", \"answer\": \"a\"}\n{bad\n{\"question_id\": \"zzz\", \"answer\": \"b\"}\n{\"question_id\": \"ta-1\", \"answer\": 1}\n",
    )
    .unwrap();
    let o = grade_answers(dir.path(), &p, &[]);
    expect_error(
        &o,
        2,
        &[
            "many.jsonl:2: malformed JSON",
            "many.jsonl:3: field `question_id`",
            "many.jsonl:4: field `answer`",
            "3 error(s)",
        ],
    );
}

#[test]
fn bom_and_crlf_are_read_correctly() {
    for name in ["bom_crlf.jsonl", "bom_crlf.csv"] {
        let dir = tempfile::tempdir().unwrap();
        let o = grade_answers(dir.path(), &bad(name), &["-q"]);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
        let grades = read_jsonl(&dir.path().join("run/grades.jsonl"));
        assert_eq!(grades.len(), 2);
        // hi-1: Meerut met (5); the date needs "10" and "मई": only the CSV answer has both;
        // the unjudged "clear" criterion is left out, so possible = 5 + 3.
        let hi = grades.iter().find(|g| g["question_id"] == "hi-1").unwrap();
        let expected = if name.ends_with("csv") {
            1.0
        } else {
            5.0 / 8.0
        };
        assert!(
            close(hi["score"].as_f64().unwrap(), expected),
            "{name}: {}",
            hi["score"]
        );
        let ta = grades.iter().find(|g| g["question_id"] == "ta-1").unwrap();
        assert!(close(ta["score"].as_f64().unwrap(), 1.0), "{name}");
        assert_eq!(hi["model"], "m");
    }
}

#[test]
fn invalid_utf8_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("latin1.jsonl");
    let mut bytes = b"{\"question_id\": \"hi-1\", \"answer\": \"ok\"}\n".to_vec();
    bytes.extend_from_slice(b"{\"question_id\": \"ta-1\", \"answer\": \"caf\xe9\"}\n");
    std::fs::write(&p, bytes).unwrap();
    let o = grade_answers(dir.path(), &p, &[]);
    expect_error(&o, 2, &["latin1.jsonl:2: invalid UTF-8"]);
    // The same in a CSV file.
    let p = dir.path().join("latin1.csv");
    std::fs::write(&p, b"question_id,answer\nhi-1,ok\nta-1,caf\xe9\n").unwrap();
    let o = grade_answers(dir.path(), &p, &[]);
    expect_error(&o, 2, &["latin1.csv:3: invalid UTF-8"]);
}

#[test]
fn ten_megabyte_lines() {
    let dir = tempfile::tempdir().unwrap();
    // A valid 10 MB answer is graded.
    let p = dir.path().join("big.jsonl");
    let long = "मेरठ ".repeat(10 * 1024 * 1024 / 13);
    std::fs::write(
        &p,
        format!("{{\"question_id\": \"hi-1\", \"model\": \"m\", \"answer\": \"{long}\"}}\n"),
    )
    .unwrap();
    let o = grade_answers(dir.path(), &p, &["-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // A 10 MB line of garbage is an error that does not echo the line. (Into a new folder: the
    // first run's folder is not replaced by a run of other answers.)
    std::fs::remove_dir_all(dir.path().join("run")).unwrap();
    let p = dir.path().join("garbage.jsonl");
    std::fs::write(
        &p,
        format!(
            "{{\"question_id\": \"hi-1\", \"answer\": \"{}\n",
            "x".repeat(10 * 1024 * 1024)
        ),
    )
    .unwrap();
    let o = grade_answers(dir.path(), &p, &[]);
    expect_error(&o, 2, &["garbage.jsonl:1: malformed JSON"]);
    assert!(
        o.stderr.len() < 10_000,
        "the error must not print the whole line"
    );
}

#[test]
fn skip_invalid_skips_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let o = grade_answers(
        dir.path(),
        &bad("unknown_question.jsonl"),
        &["--skip-invalid", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("unknown_question.jsonl:2"),
        "skipped lines are still reported"
    );
    let report = read_json(&dir.path().join("run/report.json"));
    assert_eq!(report["skipped_invalid"], 1);
    assert_eq!(read_jsonl(&dir.path().join("run/grades.jsonl")).len(), 1);
    assert!(stdout(&o).contains("1 invalid input line(s) skipped"));
}

#[test]
fn broken_question_sets() {
    let cases: &[(&str, &[&str])] = &[
        ("zero_points.jsonl", &["zero_points.jsonl:1: field `rubric[0].points`: expected a non-zero finite number, got 0"]),
        ("nan_points.jsonl", &["nan_points.jsonl:1: malformed JSON"]),
        ("string_points.jsonl", &["string_points.jsonl:1: field `rubric[0].points`: expected a non-zero finite number"]),
        ("infinite_points.jsonl", &["infinite_points.jsonl:1: malformed JSON"]),
        ("duplicate_ids.jsonl", &["duplicate_ids.jsonl:2: field `id`: duplicate question id `q1`"]),
        ("duplicate_criterion_ids.jsonl", &["duplicate_criterion_ids.jsonl:1: field `rubric[1].id`: duplicate criterion id `a`"]),
        ("no_positive.jsonl", &["no_positive.jsonl:1: field `rubric`: rubric of `q1` has no criterion with positive points"]),
        ("bad_regex.jsonl", &["bad_regex.jsonl:1: field `rubric[0].check.regex`: invalid regex"]),
        ("empty_phrases.jsonl", &["empty_phrases.jsonl:1: field `rubric[0].check.mentions`: expected at least one phrase"]),
        ("unknown_script.jsonl", &["unknown_script.jsonl:1: field `rubric[0].check.script`: unknown script `Klingon`"]),
        ("wrong_script.jsonl", &["wrong_script.jsonl:1: field `prompt`: a Tamil question should be written in Tamil script"]),
        ("hinglish_in_devanagari.jsonl", &["hinglish_in_devanagari.jsonl:1: field `prompt`: a Hinglish question should be written in Latin script"]),
        ("no_rubric.jsonl", &["no_rubric.jsonl:1: field `id`: question `q1` has no rubric"]),
        ("bad_domain.jsonl", &["bad_domain.jsonl:1: field `domain`: expected a snake_case domain id", "warning: ", "unknown language `xx`"]),
        ("empty.jsonl", &["empty.jsonl: the file has no questions"]),
        ("bad_context_checks.jsonl", &[
            "bad_context_checks.jsonl:1: field `rubric[0].check.near.within`: expected a whole number of words >= 1, got 0",
            "bad_context_checks.jsonl:2: field `rubric[0].check.mentions[1]`: the phrase is only `*`",
            "bad_context_checks.jsonl:3: field `rubric[0].check.near.all`: expected at least one check",
            "bad_context_checks.jsonl:4: field `min_words`: expected a whole number of words >= 1, got 0",
            "bad_context_checks.jsonl:5: field `rubric[0].check.number.within`: expected a whole number of words >= 1, got -1",
            "bad_context_checks.jsonl:6: field `rubric[0].check.affirmed`: expected true or false",
            "bad_context_checks.jsonl:7: field `min_words`: expected a whole number of words >= 1, got 2.5",
        ]),
    ];
    for (name, needles) in cases {
        let dir = tempfile::tempdir().unwrap();
        let q = bad(name);
        let o = kasauti(dir.path(), &["validate", q.to_str().unwrap()]);
        expect_error(&o, 1, needles);
        let o = kasauti(
            dir.path(),
            &[
                "grade",
                "--questions",
                q.to_str().unwrap(),
                "--answers",
                &mini("answers.jsonl"),
                "--out",
                "run",
            ],
        );
        expect_error(&o, 2, needles);
    }
}

#[test]
fn rubric_for_unknown_question() {
    let dir = tempfile::tempdir().unwrap();
    let r = bad("rubric_unknown_question.jsonl");
    let o = kasauti(
        dir.path(),
        &[
            "validate",
            &mini_q(),
            "--rubrics",
            &mini_r(),
            r.to_str().unwrap(),
        ],
    );
    expect_error(&o, 1, &["rubric_unknown_question.jsonl:1: field `question_id`: rubric for unknown question `nobody`"]);
}

#[test]
fn warnings_alone_do_not_fail() {
    let dir = tempfile::tempdir().unwrap();
    let q = bad("unknown_language_warning.jsonl");
    let o = kasauti(dir.path(), &["validate", q.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("warning: ")
            && err.contains("unknown language `sa`")
            && err.contains("domain `poetry` is not one of IndQA's ten"),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let o = kasauti(dir.path(), &["grade"]);
    assert_eq!(o.status.code(), Some(2));
    let o = kasauti(
        dir.path(),
        &[
            "grade",
            "--answers",
            "does-not-exist.jsonl",
            "--questions",
            &mini_q(),
            "--rubrics",
            &mini_r(),
        ],
    );
    expect_error(
        &o,
        2,
        &[
            "error: cannot read",
            "does-not-exist.jsonl",
            "check the path",
        ],
    );
    let o = kasauti(dir.path(), &["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
}
