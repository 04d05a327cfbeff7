//! The command line end to end on the bundled data and the small fixture set.

mod common;

use common::*;

#[test]
fn grade_the_examples_and_rebuild_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let answers = root().join("examples/answers");
    // Run from the project root so ./questions and ./rubrics are the defaults.
    let o = kasauti(
        &root(),
        &[
            "grade",
            "--answers",
            answers.to_str().unwrap(),
            "--out",
            run.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let table = stdout(&o);
    for m in ["sahayak-large", "sahayak-small", "globe-en"] {
        assert!(table.contains(m), "{table}");
    }
    for l in [
        "Bengali",
        "English",
        "Gujarati",
        "Hindi",
        "Hinglish",
        "Kannada",
        "Malayalam",
        "Marathi",
        "Odia",
        "Punjabi",
        "Tamil",
        "Telugu",
    ] {
        assert!(table.contains(l), "{l} missing from the table:\n{table}");
    }
    assert!(table.contains("macro over languages"));
    for f in [
        "run.json",
        "dataset.jsonl",
        "grades.jsonl",
        "report.json",
        "report.md",
        "report.csv",
    ] {
        assert!(run.join(f).exists(), "{f}");
    }
    let report = read_json(&run.join("report.json"));
    let models = report["models"].as_object().unwrap();
    assert_eq!(models.len(), 3);
    let large = models["sahayak-large"]["overall"]["score"]
        .as_f64()
        .unwrap();
    let small = models["sahayak-small"]["overall"]["score"]
        .as_f64()
        .unwrap();
    assert!(large > small);
    // The English-only model loses the language points in every non-English language.
    for l in ["hi", "ta", "bn", "te"] {
        let en = models["globe-en"]["by_language"][l]["score"]
            .as_f64()
            .unwrap();
        let native = models["sahayak-large"]["by_language"][l]["score"]
            .as_f64()
            .unwrap();
        assert!(en < native, "{l}: globe-en {en} vs sahayak-large {native}");
    }
    // Report rebuilt from the run directory alone, after the inputs are gone from view.
    let before = std::fs::read(run.join("report.json")).unwrap();
    let o = kasauti(
        dir.path(),
        &["report", run.to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read(run.join("report.json")).unwrap(), before);
    // Other groupings on the terminal.
    let o = kasauti(
        dir.path(),
        &[
            "report",
            run.to_str().unwrap(),
            "--format",
            "table",
            "--by",
            "domain,criterion_tag",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("food_and_cuisine") && stdout(&o).contains("axis:accuracy"));
    // Manifest.
    let m = read_json(&run.join("run.json"));
    assert_eq!(m["inputs"]["questions_sha256"].as_str().unwrap().len(), 64);
    assert!(m["finished_at"].is_string());
}

#[test]
fn validate_the_bundled_sets() {
    let o = kasauti(&root(), &["validate"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("0 error(s)"));
    // Outside the repository the built-in sets are used.
    let dir = tempfile::tempdir().unwrap();
    let o = kasauti(dir.path(), &["validate"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("12 language(s)"), "{}", stdout(&o));
}

fn mini() -> (String, String, String) {
    let m = root().join("tests/fixtures/mini");
    let s = |f: &str| m.join(f).to_string_lossy().into_owned();
    (s("questions.jsonl"), s("rubrics.jsonl"), s("answers.jsonl"))
}

/// Hand-computed scores for the fixture answers (see tests/fixtures/mini).
#[test]
fn fixture_scores_and_missing_answers() {
    let (q, r, a) = mini();
    let dir = tempfile::tempdir().unwrap();
    let o = kasauti(
        dir.path(),
        &[
            "grade",
            "--questions",
            &q,
            "--rubrics",
            &r,
            "--answers",
            &a,
            "--out",
            "run",
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report = read_json(&dir.path().join("run/report.json"));
    // alpha: hi-1 = (5 + 3) / 8 (the unchecked criterion is unjudged), ta-1 = (6 + 2) / 8,
    // bn-1 = (5 + 2) / 7. All 1.0.
    let alpha = &report["models"]["alpha"];
    assert!(close(alpha["overall"]["score"].as_f64().unwrap(), 1.0));
    // beta: hi-1 "Gandhi led it from Delhi." = -4 / 8 (Gandhi named, Meerut not);
    // bn-1 "It was 1910." = -3 / 7. Mean = (-0.5 - 3/7) / 2, clipped to 0. ta-1 is missing.
    let beta = &report["models"]["beta"];
    assert_eq!(beta["overall"]["score"].as_f64().unwrap(), 0.0);
    assert_eq!(beta["overall"]["n"], 2);
    assert_eq!(beta["coverage"]["missing"], 1);
    assert_eq!(beta["coverage"]["missing_questions"][0], "ta-1");
    // Rule coverage: hi-1 judges 8 of 10 positive points, bn-1 7 of 7.
    assert!(close(
        beta["coverage"]["rule_coverage"].as_f64().unwrap(),
        15.0 / 17.0
    ));
    let grades = read_jsonl(&dir.path().join("run/grades.jsonl"));
    let g = grades
        .iter()
        .find(|g| g["model"] == "beta" && g["question_id"] == "hi-1")
        .unwrap();
    assert!(close(g["score"].as_f64().unwrap(), -0.5));
    let clear = g["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "clear")
        .unwrap();
    assert_eq!(clear["source"], "unjudged");
    assert_eq!(clear["met"], serde_json::Value::Null);

    // --missing zero: the missing answer counts as 0 in beta's Tamil group.
    let o = kasauti(
        dir.path(),
        &[
            "grade",
            "--questions",
            &q,
            "--rubrics",
            &r,
            "--answers",
            &a,
            "--out",
            "run0",
            "--missing",
            "zero",
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    let report = read_json(&dir.path().join("run0/report.json"));
    assert_eq!(report["models"]["beta"]["by_language"]["ta"]["n"], 1);
    assert_eq!(
        report["models"]["beta"]["by_language"]["ta"]["score"]
            .as_f64()
            .unwrap(),
        0.0
    );
    assert_eq!(report["models"]["beta"]["overall"]["n"], 3);
    assert_eq!(report["missing_policy"], "zero");
}

#[test]
fn csv_answers_grade_like_jsonl() {
    let (q, r, a) = mini();
    let dir = tempfile::tempdir().unwrap();
    let mut csv = csv_writer();
    for v in read_jsonl(std::path::Path::new(&a)) {
        csv.write_record([
            v["question_id"].as_str().unwrap(),
            v["model"].as_str().unwrap(),
            v["answer"].as_str().unwrap(),
        ])
        .unwrap();
    }
    let bytes = csv.into_inner().unwrap();
    std::fs::write(dir.path().join("answers.csv"), bytes).unwrap();
    for (name, path) in [
        ("j", a.clone()),
        (
            "c",
            dir.path()
                .join("answers.csv")
                .to_string_lossy()
                .into_owned(),
        ),
    ] {
        let o = kasauti(
            dir.path(),
            &[
                "grade",
                "--questions",
                &q,
                "--rubrics",
                &r,
                "--answers",
                &path,
                "--out",
                name,
                "-q",
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    assert_eq!(
        std::fs::read(dir.path().join("j/grades.jsonl")).unwrap(),
        std::fs::read(dir.path().join("c/grades.jsonl")).unwrap()
    );
}

fn csv_writer() -> CsvOut {
    CsvOut(String::from("question_id,model,answer\n"))
}

/// A minimal CSV writer for the test (quotes every field), independent of the library.
struct CsvOut(String);
impl CsvOut {
    fn write_record(&mut self, fields: [&str; 3]) -> Result<(), ()> {
        let q: Vec<String> = fields
            .iter()
            .map(|f| format!("\"{}\"", f.replace('"', "\"\"")))
            .collect();
        self.0.push_str(&q.join(","));
        self.0.push('\n');
        Ok(())
    }
    fn into_inner(self) -> Result<Vec<u8>, ()> {
        Ok(self.0.into_bytes())
    }
}

#[test]
fn model_name_from_flag_or_file_stem() {
    let (q, r, _) = mini();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gemma-2b.jsonl"),
        "{\"question_id\": \"hi-1\", \"answer\": \"मेरठ\"}\n",
    )
    .unwrap();
    let o = kasauti(
        dir.path(),
        &[
            "grade",
            "--questions",
            &q,
            "--rubrics",
            &r,
            "--answers",
            "gemma-2b.jsonl",
            "--out",
            "a",
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(read_json(&dir.path().join("a/report.json"))["models"]["gemma-2b"].is_object());
    let o = kasauti(
        dir.path(),
        &[
            "grade",
            "--questions",
            &q,
            "--rubrics",
            &r,
            "--answers",
            "gemma-2b.jsonl",
            "--model",
            "g2",
            "--out",
            "b",
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(read_json(&dir.path().join("b/report.json"))["models"]["g2"].is_object());
}

#[test]
fn failed_items_are_counted_and_exit_1() {
    let (q, r, _) = mini();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("m.jsonl"),
        "{\"question_id\": \"hi-1\", \"model\": \"m\", \"answer\": \"मेरठ\"}\n{\"question_id\": \"ta-1\", \"model\": \"m\", \"answer\": null, \"error\": \"HTTP 400: context too long\"}\n",
    )
    .unwrap();
    let o = kasauti(
        dir.path(),
        &[
            "grade",
            "--questions",
            &q,
            "--rubrics",
            &r,
            "--answers",
            "m.jsonl",
            "--out",
            "run",
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "done, but with failed items");
    let report = read_json(&dir.path().join("run/report.json"));
    let c = &report["models"]["m"]["coverage"];
    assert_eq!(c["failed"], 1);
    assert_eq!(c["failed_items"][0]["reason"], "HTTP 400: context too long");
}

#[test]
fn languages_and_domains_select_part_of_the_set() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("sel");
    let answers = root().join("examples/answers");
    // Answers to bundled questions outside the selection are passed over, not errors.
    let o = kasauti(
        &root(),
        &[
            "grade",
            "--answers",
            answers.to_str().unwrap(),
            "--languages",
            "ta,Hindi",
            "--out",
            run.to_str().unwrap(),
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report = read_json(&run.join("report.json"));
    assert_eq!(report["skipped_invalid"], 0);
    let langs: Vec<&String> = report["models"]["sahayak-large"]["by_language"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(langs, ["hi", "ta"]);
    // One answer per question of the two languages in the bundled set.
    let per_language = |l: &str| {
        std::fs::read_to_string(root().join(format!("questions/{l}.jsonl")))
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count()
    };
    assert_eq!(
        report["models"]["sahayak-large"]["overall"]["n"],
        per_language("hi") + per_language("ta")
    );
    // An id that is in no part of the set is still an error.
    let bogus = dir.path().join("bogus.jsonl");
    std::fs::write(
        &bogus,
        "{\"question_id\": \"xx-none-01\", \"model\": \"m\", \"answer\": \"a\"}\n",
    )
    .unwrap();
    let o = kasauti(
        &root(),
        &[
            "grade",
            "--answers",
            bogus.to_str().unwrap(),
            "--languages",
            "ta",
            "--out",
            dir.path().join("b").to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("answer to unknown question `xx-none-01`"));
    // The selection is part of the question set's identity.
    let whole = dir.path().join("whole");
    let o = kasauti(
        &root(),
        &[
            "grade",
            "--answers",
            answers.to_str().unwrap(),
            "--out",
            whole.to_str().unwrap(),
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    let digest =
        |d: &std::path::Path| read_json(&d.join("run.json"))["inputs"]["questions_sha256"].clone();
    assert_ne!(digest(&run), digest(&whole));
    // Domains too.
    let dom = dir.path().join("dom");
    let o = kasauti(
        &root(),
        &[
            "grade",
            "--answers",
            answers.to_str().unwrap(),
            "--domains",
            "history",
            "--out",
            dom.to_str().unwrap(),
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    let report = read_json(&dom.join("report.json"));
    let domains: Vec<&String> = report["models"]["globe-en"]["by_domain"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(domains, ["history"]);
    // Calibration over one language: labels and verdicts of the others are passed over.
    let o = kasauti(
        &root(),
        &[
            "calibrate",
            "--labels",
            "examples/calibration/labels.jsonl",
            "--verdicts",
            "examples/calibration/verdicts.jsonl",
            "--languages",
            "ta",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("10 item(s)") && out.contains("Tamil (ta)") && !out.contains("Hindi (hi)"),
        "{out}"
    );
    // A subset of question files with the whole rubrics folder says how to select instead.
    let o = kasauti(
        &root(),
        &["validate", "questions/ta.jsonl", "--rubrics", "rubrics"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("select with --languages or --domains"),
        "{}",
        stderr(&o)
    );
}

/// Numbers a server cannot use are usage errors before anything is sent.
#[test]
fn impossible_sampling_settings_are_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    for args in [
        ["--max-tokens", "0"],
        ["--judge-max-tokens", "0"],
        ["--temperature=-1", "--samples=1"],
        ["--judge-temperature", "nan"],
    ] {
        let mut all = vec![
            "run",
            "--model",
            "m",
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--judge-model",
            "j",
            "--dry-run",
        ];
        all.extend(args);
        let o = kasauti(tmp.path(), &all);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let flag = args[0].split('=').next().unwrap_or_default();
        assert!(stderr(&o).contains(flag), "{args:?}: {}", stderr(&o));
    }
}
