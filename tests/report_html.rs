//! `report.html` rendered in headless Chromium: the charts have one bar per language per model,
//! the heat-map cells carry the numbers of `report.json`, the page references nothing outside
//! itself, native text is tagged with its language, and hostile answer text stays text.
//!
//! Needs Debian's `chromium` package (or `KASAUTI_CHROMIUM=/path/to/chrome`); `.ci/run` installs
//! it. Without it the test prints that it was skipped, except under `CI=true`, where it fails.

mod common;

use common::browser::*;
use common::*;
use regex::Regex;
use serde_json::Value;

#[test]
fn report_html_renders_in_chromium() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let run = tmp.path().join("run");
    let mut args: Vec<String> = vec!["-q".into(), "grade".into()];
    args.extend(bundled_answer_args());
    args.extend(bundled_data_args());
    args.extend(["--out".to_string(), run.display().to_string()]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(&kasauti(&root(), &argv));
    let html_path = run.join("report.html");
    let html = std::fs::read_to_string(&html_path).expect("grade writes report.html by default");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("report.json")).unwrap()).unwrap();

    // Static checks that need no browser.
    assert_self_contained(&html);
    for family in [
        "Noto Sans Devanagari",
        "Noto Sans Bengali",
        "Noto Sans Gurmukhi",
        "Noto Sans Gujarati",
        "Noto Sans Oriya",
        "Noto Sans Tamil",
        "Noto Sans Telugu",
        "Noto Sans Kannada",
        "Noto Sans Malayalam",
    ] {
        assert!(html.contains(family), "font stack lacks {family}");
    }
    assert!(html.contains(r#"<script type="application/json" id="kasauti-data">"#));

    let Some(exe) = chromium() else {
        skipped("chromium is not installed (apt-get install chromium); only the static checks of report.html ran");
        return;
    };
    let url = format!("file://{}", html_path.display());
    let dom = dump_dom(&exe, tmp.path(), "profile-1", &url);
    assert_self_contained(&dom);

    // One bar per language per model, each with report.json's score and interval.
    let models = report["models"].as_object().expect("models");
    let bar_re = Regex::new(r#"<rect class="bar"[^>]*>"#).unwrap();
    let bars: Vec<&str> = bar_re.find_iter(&dom).map(|m| m.as_str()).collect();
    let expected_bars: usize = models
        .values()
        .map(|m| m["by_language"].as_object().map_or(0, |o| o.len()))
        .sum();
    assert!(expected_bars > 0);
    assert_eq!(bars.len(), expected_bars, "one bar per language per model");
    let mut seen = std::collections::HashSet::new();
    for b in &bars {
        let model = attr(b, "data-model").expect("data-model");
        let lang = attr(b, "data-language").expect("data-language");
        let score: f64 = attr(b, "data-score").unwrap().parse().unwrap();
        let g = &report["models"][&model]["by_language"][&lang];
        assert_eq!(Some(score), g["score"].as_f64(), "{model}/{lang}");
        let lo: f64 = attr(b, "data-lo").unwrap().parse().unwrap();
        let hi: f64 = attr(b, "data-hi").unwrap().parse().unwrap();
        assert_eq!(Some(lo), g["ci95"][0].as_f64());
        assert_eq!(Some(hi), g["ci95"][1].as_f64());
        assert!(seen.insert((model, lang)), "a bar is drawn twice");
    }

    // Heat-map cells: the same numbers as report.json, shown with one decimal.
    let cell_re = Regex::new(r#"(<td class="cell"[^>]*>)([^<]*)</td>"#).unwrap();
    let mut cells = 0;
    for c in cell_re.captures_iter(&dom) {
        let tag = &c[1];
        let model = attr(tag, "data-model").unwrap();
        let lang = attr(tag, "data-language").unwrap();
        let domain = attr(tag, "data-domain").unwrap();
        let score: f64 = attr(tag, "data-score").unwrap().parse().unwrap();
        let want = report["models"][&model]["by_language_domain"][&lang][&domain]["score"]
            .as_f64()
            .unwrap_or_else(|| panic!("no {model}/{lang}/{domain} in report.json"));
        assert_eq!(score, want);
        assert_eq!(&c[2], format!("{:.1}", want * 100.0));
        cells += 1;
    }
    let expected_cells: usize = models
        .values()
        .map(|m| {
            m["by_language_domain"].as_object().map_or(0, |o| {
                o.values()
                    .map(|d| d.as_object().map_or(0, |x| x.len()))
                    .sum()
            })
        })
        .sum();
    assert_eq!(
        cells, expected_cells,
        "one heat-map cell per language × domain per model"
    );

    // Questions are collapsed and empty until opened: the DOM stays small.
    let dataset = std::fs::read_to_string(run.join("dataset.jsonl")).unwrap();
    let questions: Vec<Value> = dataset
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(dom.matches("<details class=\"q\"").count(), questions.len());
    assert!(
        !dom.contains("class=\"text\""),
        "no question body is rendered before it is opened"
    );

    // Opening a question (by its link) renders its native prompt, translation and the answers,
    // with the language tagged, and only that question.
    let (qi, q) = questions
        .iter()
        .enumerate()
        .find(|(_, q)| q["language"] != "en")
        .expect("a non-English question");
    let lang = q["language"].as_str().unwrap();
    let dom = dump_dom(&exe, tmp.path(), "profile-2", &format!("{url}#q{qi}"));
    let open_re = Regex::new(&format!(
        r#"<details class="q" id="q{qi}"[^>]*\sopen(="")?[^>]*>"#
    ))
    .unwrap();
    assert!(open_re.is_match(&dom), "question {qi} opens from its link");
    assert!(dom.contains(&format!(r#"<div class="text" lang="{lang}">"#)));
    if q["prompt_en"].is_string() {
        assert!(dom.contains(r#"<div class="text" lang="en">"#));
    }
    let verdict_rows = Regex::new(r"<td>(✓ met|✗ not met|– unjudged|\? undecided)</td>").unwrap();
    let criteria = q["rubric"].as_array().unwrap().len();
    let answers_to_q = std::fs::read_to_string(run.join("grades.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| {
            l.contains(&format!(
                "\"question_id\":\"{}\"",
                q["id"].as_str().unwrap()
            ))
        })
        .count();
    assert_eq!(
        verdict_rows.find_iter(&dom).count(),
        criteria * answers_to_q
    );
    assert_eq!(
        dom.matches("<div class=\"body\"><h4>").count(),
        1,
        "only the opened question is rendered"
    );

    // A screenshot renders (the one in docs/ is made the same way).
    let shot = tmp.path().join("report.png");
    let out = chrome(
        &exe,
        &tmp.path().join("profile-3"),
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000".into(),
        ],
        &url,
    );
    assert!(out.status.success());
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000);
}

#[test]
fn hostile_answer_text_stays_text() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    write(
        &d.join("q.jsonl"),
        r#"{"id": "x-1", "language": "hi", "domain": "history", "prompt": "<b>1857 का विद्रोह कब और कहाँ शुरू हुआ?</b> </script>", "prompt_en": "When? <i>", "rubric": [{"criterion": "Says 1857 <script>", "points": 1, "check": {"number": 1857}}]}
"#,
    );
    let nasty = r#"1857 </script><script>document.title='pwned'</script><img src="https://example.invalid/x.png"> <!-- & "#;
    write(
        &d.join("a.jsonl"),
        &format!(
            "{}\n",
            serde_json::json!({"question_id": "x-1", "model": "m<1>", "answer": nasty})
        ),
    );
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
        ],
    ));
    let html = std::fs::read_to_string(d.join("run/report.html")).unwrap();
    assert_self_contained(&html);
    assert_eq!(
        html.matches("<script").count(),
        2,
        "only the data block and the page script"
    );
    assert!(!html.contains("</script><script>document"));
    let Some(exe) = chromium() else {
        skipped("chromium is not installed; only the static escaping checks ran");
        return;
    };
    let url = format!("file://{}#q0", d.join("run/report.html").display());
    let dom = dump_dom(&exe, d, "profile", &url);
    assert!(
        dom.contains("<title>kasauti report</title>"),
        "no script from the data ran"
    );
    assert!(
        !dom.to_ascii_lowercase().contains("<img"),
        "answer markup is not parsed"
    );
    assert_self_contained(&dom);
    // The answer is shown as text, in full.
    assert!(dom.contains("&lt;/script&gt;&lt;script&gt;document.title='pwned'&lt;/script&gt;&lt;img src=\"https://example.invalid/x.png\"&gt;"));
}

#[test]
fn report_command_writes_html_and_says_when_texts_are_gone() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    write(
        &d.join("q.jsonl"),
        r#"{"id": "x-1", "language": "ta", "domain": "history", "prompt": "முதல் கேள்வி என்ன?", "rubric": [{"criterion": "Says 1857", "points": 1, "check": {"number": 1857}}]}
"#,
    );
    write(
        &d.join("answers/m.jsonl"),
        "{\"question_id\": \"x-1\", \"answer\": \"distinctive answer text, then several more words and 1857\"}\n",
    );
    ok(&kasauti(
        d,
        &[
            "-q",
            "grade",
            "--answers",
            "answers",
            "--questions",
            "q.jsonl",
            "--out",
            "run",
            "--format",
            "json",
        ],
    ));
    assert!(
        !d.join("run/report.html").exists(),
        "--format json writes no html"
    );
    ok(&kasauti(d, &["-q", "report", "run", "--format", "html"]));
    let html = std::fs::read_to_string(d.join("run/report.html")).unwrap();
    assert!(
        html.contains("distinctive answer text"),
        "answer text from the listed answer file"
    );
    assert!(!html.contains("answer texts are unavailable"));
    // Once the answer file is gone, the report still renders and says why texts are missing.
    std::fs::remove_dir_all(d.join("answers")).unwrap();
    ok(&kasauti(d, &["-q", "report", "run", "--format", "html"]));
    let html = std::fs::read_to_string(d.join("run/report.html")).unwrap();
    // (The rule judge's evidence quotes only the words around the match.)
    assert!(!html.contains("distinctive answer text"));
    assert!(html.contains("answer texts are unavailable"));
    assert!(html.contains("can no longer be read"));
}

#[test]
fn drill_down_limits_keep_pages_openable() {
    use kasauti::report::Details;
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    write(
        &d.join("q.jsonl"),
        "{\"id\": \"x-1\", \"language\": \"en\", \"domain\": \"history\", \"prompt\": \"When?\", \"rubric\": [{\"criterion\": \"Says 1857\", \"points\": 1, \"check\": {\"number\": 1857}}]}\n",
    );
    write(
        &d.join("a.jsonl"),
        "{\"question_id\": \"x-1\", \"model\": \"m1\", \"answer\": \"1857\"}\n{\"question_id\": \"x-1\", \"model\": \"m2\", \"answer\": \"in 1857, long ago\"}\n",
    );
    grade_a_into_run(d);
    let runs = [d.join("run")];
    let all = Details::load(&runs).unwrap();
    assert_eq!(all.answers.len(), 2);
    assert!(all
        .answers
        .iter()
        .all(|a| a.text.is_some() && a.grade.is_some()));
    assert_eq!(all.texts_note, None);
    // More answers than the limit: no drill-down, and a note saying why.
    let none = Details::load_with(&runs, 1, 1 << 20).unwrap();
    assert!(none.answers.is_empty());
    assert!(none
        .texts_note
        .unwrap()
        .contains("more than 1 graded answers"));
    // Texts past the byte budget are left out (the first fits, the second does not).
    let some = Details::load_with(&runs, 10, 4).unwrap();
    assert_eq!(some.answers.len(), 2);
    assert_eq!(some.answers.iter().filter(|a| a.text.is_some()).count(), 1);
    assert!(some.texts_note.unwrap().contains("left out"));
}
