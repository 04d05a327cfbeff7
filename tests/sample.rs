//! `kasauti sample`: answers chosen within each language, reproducibly, written as the
//! labelling file of LABELS.md; bad run folders get errors naming file, line and field.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use common::*;
use serde_json::Value;

/// The bundled example graded into `dir/run` (JSON report only).
fn bundled_run(dir: &Path) {
    let mut args: Vec<String> = vec!["-q".into(), "grade".into()];
    args.extend(bundled_answer_args());
    args.extend(bundled_data_args());
    args.extend([
        "--out".to_string(),
        dir.join("run").display().to_string(),
        "--format".to_string(),
        "json".to_string(),
    ]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(&kasauti(dir, &argv));
}

#[test]
fn chooses_within_each_language_reproducibly() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    bundled_run(d);
    let out = ok(&kasauti(d, &["sample", "run", "--per-language", "3"]));
    assert!(
        out.contains("seed 4242"),
        "the default seed is printed: {out}"
    );
    let lines = read_jsonl(&d.join("run/to-label.jsonl"));

    // The run's own files, read independently.
    let questions: HashMap<String, Value> = read_jsonl(&d.join("run/dataset.jsonl"))
        .into_iter()
        .map(|q| (q["id"].as_str().unwrap().to_string(), q))
        .collect();
    let grades: HashMap<(String, String, u64), Value> = read_jsonl(&d.join("run/grades.jsonl"))
        .into_iter()
        .map(|g| {
            (
                (
                    g["question_id"].as_str().unwrap().to_string(),
                    g["model"].as_str().unwrap().to_string(),
                    g["sample"].as_u64().unwrap(),
                ),
                g,
            )
        })
        .collect();
    let answers: HashMap<(String, String), String> =
        std::fs::read_dir(root().join("examples/answers"))
            .unwrap()
            .flat_map(|e| read_jsonl(&e.unwrap().path()))
            .map(|a| {
                (
                    (
                        a["question_id"].as_str().unwrap().to_string(),
                        a["model"].as_str().unwrap().to_string(),
                    ),
                    a["answer"].as_str().unwrap().to_string(),
                )
            })
            .collect();
    let languages: HashSet<&str> = questions
        .values()
        .map(|q| q["language"].as_str().unwrap())
        .collect();
    assert_eq!(lines.len(), 3 * languages.len(), "three per language");
    let mut per_language: HashMap<String, usize> = HashMap::new();
    let mut seen = HashSet::new();
    for l in &lines {
        let qid = l["question_id"].as_str().unwrap();
        let model = l["model"].as_str().unwrap();
        let q = &questions[qid];
        assert_eq!(
            l["language"], q["language"],
            "within its question's language"
        );
        assert_eq!(l["domain"], q["domain"]);
        assert_eq!(l["rater"], Value::Null);
        assert!(
            seen.insert((qid.to_string(), model.to_string())),
            "chosen once"
        );
        assert_eq!(
            l["answer"].as_str().unwrap(),
            answers[&(qid.to_string(), model.to_string())],
            "the exact answer text"
        );
        *per_language
            .entry(l["language"].as_str().unwrap().to_string())
            .or_default() += 1;
        let ids: Vec<&str> = q["rubric"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        let criteria = l["criteria"].as_object().unwrap();
        assert_eq!(
            criteria
                .keys()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .len(),
            ids.len()
        );
        assert!(
            ids.iter().all(|id| criteria[*id].is_null()),
            "every criterion null"
        );
        let g = &grades[&(qid.to_string(), model.to_string(), 0)];
        for c in g["criteria"].as_array().unwrap() {
            let id = c["id"].as_str().unwrap();
            assert_eq!(l["judge"][id], c["met"], "the run's verdict on {id}");
        }
    }
    assert!(per_language.values().all(|&n| n == 3));

    // The same seed again gives the same file; another seed other answers.
    let first = std::fs::read(d.join("run/to-label.jsonl")).unwrap();
    ok(&kasauti(
        d,
        &[
            "-q",
            "sample",
            "run",
            "--per-language",
            "3",
            "--seed",
            "4242",
            "--out",
            "again.jsonl",
        ],
    ));
    assert_eq!(std::fs::read(d.join("again.jsonl")).unwrap(), first);
    ok(&kasauti(
        d,
        &[
            "-q",
            "sample",
            "run",
            "--per-language",
            "3",
            "--seed",
            "9",
            "--out",
            "other.jsonl",
        ],
    ));
    assert_ne!(std::fs::read(d.join("other.jsonl")).unwrap(), first);

    // Asking for more than a language has takes all of it, and says so.
    let o = kasauti(
        d,
        &[
            "sample",
            "run",
            "--per-language",
            "1000",
            "--out",
            "all.jsonl",
        ],
    );
    ok(&o);
    assert_eq!(read_jsonl(&d.join("all.jsonl")).len(), grades.len());
    assert!(stderr(&o).contains("has only"), "{}", stderr(&o));

    // An existing file is kept unless --overwrite.
    let o = kasauti(d, &["sample", "run", "--per-language", "1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--overwrite"));
    assert_eq!(std::fs::read(d.join("run/to-label.jsonl")).unwrap(), first);
    ok(&kasauti(
        d,
        &["-q", "sample", "run", "--per-language", "1", "--overwrite"],
    ));
    assert_eq!(
        read_jsonl(&d.join("run/to-label.jsonl")).len(),
        languages.len()
    );
}

/// A one-question run graded from `answers` (JSONL text), in `d/run`.
fn small_run(d: &Path, answers: &str) {
    write(
        &d.join("q.jsonl"),
        "{\"id\": \"x-1\", \"language\": \"hi\", \"domain\": \"history\", \"prompt\": \"कब?\", \"rubric\": [{\"criterion\": \"Says 1857\", \"points\": 1, \"check\": {\"number\": 1857}}, {\"criterion\": \"Polite\", \"points\": 1}]}\n",
    );
    write(&d.join("a.jsonl"), answers);
    grade_a_into_run(d);
}

#[test]
fn hostile_run_folders_get_errors_not_panics() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // Bad arguments.
    for args in [
        vec!["sample", "run"],
        vec!["sample", "run", "--per-language", "x"],
        vec!["sample", "run", "--per-language", "-1"],
        vec!["sample", "run", "--per-language", "2", "--seed", "s"],
    ] {
        assert_eq!(kasauti(d, &args).status.code(), Some(2), "{args:?}");
    }
    let o = kasauti(d, &["sample", "nowhere", "--per-language", "2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nowhere"));

    // A NUL and markup in a model name are data, not trouble.
    small_run(
        d,
        "{\"question_id\": \"x-1\", \"model\": \"m\\u0000<b>\", \"answer\": \"1857 में\"}\n",
    );
    let o = kasauti(d, &["sample", "run", "--per-language", "0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--per-language must be at least 1"));
    ok(&kasauti(d, &["-q", "sample", "run", "--per-language", "2"]));
    let lines = read_jsonl(&d.join("run/to-label.jsonl"));
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["model"], "m\u{0}<b>");
    assert_eq!(lines[0]["judge"]["c1"], true);
    assert_eq!(lines[0]["judge"]["c2"], Value::Null, "unjudged stays null");

    // Bad grade lines are named by line; a torn last line (a killed run) is not an error.
    let grades = std::fs::read_to_string(d.join("run/grades.jsonl")).unwrap();
    let good = grades.trim_end();
    write(
        &d.join("run/grades.jsonl"),
        &format!("{good}\n{{\"model\": 3}}\n{good}\n"),
    );
    let o = kasauti(
        d,
        &["sample", "run", "--per-language", "1", "--out", "x.jsonl"],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("grades.jsonl:2"), "{err}");
    assert!(
        err.contains("grades.jsonl:3: field `question_id`"),
        "graded twice: {err}"
    );
    assert!(!d.join("x.jsonl").exists(), "nothing written on error");
    write(
        &d.join("run/grades.jsonl"),
        &format!("{good}\n{{\"model\": \"m\", \"quest"),
    );
    ok(&kasauti(
        d,
        &[
            "-q",
            "sample",
            "run",
            "--per-language",
            "1",
            "--out",
            "x.jsonl",
        ],
    ));
    let unknown = good.replace("\"x-1\"", "\"zz-9\"");
    write(&d.join("run/grades.jsonl"), &format!("{good}\n{unknown}\n"));
    let o = kasauti(
        d,
        &["sample", "run", "--per-language", "1", "--out", "y.jsonl"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("grades.jsonl:2: field `question_id`"),
        "{}",
        stderr(&o)
    );

    // No grades, or no run at all.
    std::fs::remove_file(d.join("run/grades.jsonl")).unwrap();
    let o = kasauti(
        d,
        &["sample", "run", "--per-language", "1", "--out", "z.jsonl"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("grades.jsonl"), "{}", stderr(&o));
    std::fs::create_dir_all(d.join("empty")).unwrap();
    let o = kasauti(d, &["sample", "empty", "--per-language", "1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("dataset.jsonl"), "{}", stderr(&o));
}

#[test]
fn answers_without_text_are_left_out_and_said() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    small_run(
        d,
        "{\"question_id\": \"x-1\", \"model\": \"m\", \"answer\": \"1857 में\"}\n",
    );
    // The answer file the run read has gone: nothing can be labelled.
    std::fs::remove_file(d.join("a.jsonl")).unwrap();
    let o = kasauti(d, &["sample", "run", "--per-language", "1"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("nothing to sample"), "{err}");
    assert!(err.contains("can no longer be read"), "{err}");
    assert!(!d.join("run/to-label.jsonl").exists());
}
