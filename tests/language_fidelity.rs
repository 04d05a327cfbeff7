//! Answer-language fidelity end to end (SPEC §4c): grade lines carry `answer_script` and
//! `in_language`, every report format gives `language_fidelity`, and grade lines of older runs,
//! which have neither, still load.

mod common;

use common::*;

const QUESTIONS: &str = r#"{"id": "bn-1", "language": "bn", "domain": "history", "prompt": "বিষ্ণুপুরের মন্দির কারা তৈরি করেছিলেন?", "rubric": [{"criterion": "Names the Mallas", "points": 2, "check": {"mentions": ["মল্ল*", "Malla*"]}}]}
{"id": "hl-1", "language": "hi-Latn", "domain": "history", "prompt": "Hawa Mahal kisne banwaya tha?", "rubric": [{"criterion": "Names Pratap Singh", "points": 2, "check": {"mentions": ["Pratap Singh"]}}]}
"#;

const ANSWERS: &str = r#"{"question_id": "bn-1", "model": "m", "answer": "মল্ল রাজারা এই মন্দিরগুলো তৈরি করেছিলেন।"}
{"question_id": "hl-1", "model": "m", "answer": "The Hawa Mahal was built by Sawai Pratap Singh in 1799."}
{"question_id": "bn-1", "model": "n", "answer": "The Malla kings built these temples."}
{"question_id": "hl-1", "model": "n", "answer": "Hawa Mahal ko Sawai Pratap Singh ne 1799 mein banwaya tha."}
"#;

#[test]
fn grade_lines_and_every_report_format_carry_it() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("q.jsonl"), QUESTIONS).unwrap();
    std::fs::write(d.join("a.jsonl"), ANSWERS).unwrap();
    let o = kasauti(
        d,
        &[
            "grade",
            "--answers",
            "a.jsonl",
            "--questions",
            "q.jsonl",
            "--out",
            "run",
            "--format",
            "table,md,csv,json,html",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let grades = read_jsonl(&d.join("run/grades.jsonl"));
    let line = |m: &str, q: &str| {
        grades
            .iter()
            .find(|g| g["model"] == m && g["question_id"] == q)
            .unwrap()
            .clone()
    };
    let g = line("m", "bn-1");
    assert_eq!(g["answer_script"]["script"], "Beng");
    assert_eq!(g["answer_script"]["share"], 1.0);
    assert_eq!(g["in_language"], true);
    // English for a Hinglish question: Latin script, but not Hinglish.
    let g = line("m", "hl-1");
    assert_eq!(g["answer_script"]["script"], "Latn");
    assert_eq!(g["in_language"], false);
    assert_eq!(line("n", "bn-1")["in_language"], false);
    assert_eq!(line("n", "hl-1")["in_language"], true);
    // Every rule verdict is explained.
    for g in &grades {
        for c in g["criteria"].as_array().unwrap() {
            assert!(
                c["explanation"].as_str().is_some_and(|e| !e.is_empty()),
                "{c}"
            );
        }
    }

    let report = read_json(&d.join("run/report.json"));
    for m in ["m", "n"] {
        let r = &report["models"][m];
        assert_eq!(r["overall"]["language_fidelity"], 0.5, "{m}");
    }
    assert_eq!(
        report["models"]["m"]["by_language"]["bn"]["language_fidelity"],
        1.0
    );
    assert_eq!(
        report["models"]["m"]["by_language"]["hi-Latn"]["language_fidelity"],
        0.0
    );
    assert_eq!(
        report["models"]["n"]["by_domain"]["history"]["language_fidelity"],
        0.5
    );

    let csv = std::fs::read_to_string(d.join("run/report.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == "language_fidelity")
        .unwrap_or_else(|| panic!("{header:?}"));
    assert!(csv
        .lines()
        .any(|l| l.starts_with("m,language,bn,") && l.split(',').nth(col) == Some("1.000000")));
    let md = std::fs::read_to_string(d.join("run/report.md")).unwrap();
    assert!(md.contains("## Answers in the asked language"), "{md}");
    assert!(md.contains("| **overall** | 50.0% | 50.0% |"), "{md}");
    let html = std::fs::read_to_string(d.join("run/report.html")).unwrap();
    assert!(html.contains("id=\"language-fidelity\""));
    let table = stdout(&o);
    assert!(table.contains("in the asked language"), "{table}");
    assert!(
        table.contains("m: answers in the asked language: hi-Latn 0.0%"),
        "{table}"
    );

    // A run whose grade lines predate the fields still reports, without fidelity.
    let p = d.join("run/grades.jsonl");
    let old: Vec<String> = read_jsonl(&p)
        .into_iter()
        .map(|mut g| {
            let o = g.as_object_mut().unwrap();
            o.remove("answer_script");
            o.remove("in_language");
            serde_json::to_string(&g).unwrap()
        })
        .collect();
    std::fs::write(&p, old.join("\n") + "\n").unwrap();
    let o = kasauti(d, &["report", "run", "--format", "json,md,csv,html"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report = read_json(&d.join("run/report.json"));
    assert!(report["models"]["m"]["overall"]["score"].is_number());
    assert!(report["models"]["m"]["overall"]
        .get("language_fidelity")
        .is_none());
    assert!(!stdout(&o).contains("in the asked language"));
}
