//! report.html's review mode in headless Chromium: a reviewer names themselves, labels an answer
//! of the labelling file (`kasauti sample`, opened with `report --review`) and one in the
//! drill-down, reloads the page opened from a file (the labels and the name are still there),
//! and downloads the labels; the downloaded file is checked line by line against the run's
//! verdicts and the clicks made.
//!
//! The page is driven by a script appended to a copy of it, which clicks the page's own
//! controls as a person would; Chromium saves the real download into a folder named in the
//! profile's preferences. Needs Debian's `chromium` (or `KASAUTI_CHROMIUM`); without it the
//! browser part is skipped, except under `CI=true`, where that fails.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::browser::*;
use common::*;
use serde_json::Value;

const QUESTIONS: &str = r#"{"id": "x-1", "language": "hi", "domain": "history", "prompt": "1857 का विद्रोह कहाँ से शुरू हुआ?", "prompt_en": "Where did the 1857 revolt begin?", "rubric": [{"id": "c1", "criterion": "Says 1857", "points": 2, "check": {"number": 1857}}, {"id": "c2", "criterion": "Names Meerut", "points": 1}, {"id": "c3", "criterion": "Says 1900 (wrong)", "points": -1, "check": {"number": 1900}}]}
{"id": "x-2", "language": "ta", "domain": "history", "prompt": "இந்தியா எப்போது சுதந்திரம் பெற்றது?", "rubric": [{"id": "c1", "criterion": "Says 1947", "points": 1, "check": {"number": 1947}}, {"id": "c2", "criterion": "Mentions August", "points": 1}]}
"#;

/// An answer holding markup, a script end, and a right-to-left override before a number.
const HOSTILE: &str = "<b>1857</b> </script><script>document.title='pwned'</script><img src=\"https://example.invalid/x.png\"> \u{202E}7581 मेरठ";

/// Clicks through the review: names the reviewer, labels the second listed answer (the first
/// criterion flipped from the judge's verdict, undecided ones set to met), labels the second
/// answer of the first question in the drill-down (undecided ones set to not met), and reloads
/// the page. After the reload it writes what the page shows, downloads the labels, and writes
/// the downloaded blob's text; everything it writes goes into `#test-out`, carried across the
/// reload in the tab's session storage. Last, it downloads the page as it then stands, as
/// `test-dom.html`.
const DRIVER: &str = r#"
(function () {
  var out = document.createElement('pre');
  out.id = 'test-out';
  document.body.appendChild(out);
  var carried = sessionStorage.getItem('kasauti-test-log');
  if (carried) out.textContent = carried;
  function log(s) { out.appendChild(document.createTextNode(s + '\n')); }
  var blobs = [];
  var make = URL.createObjectURL;
  URL.createObjectURL = function (b) { blobs.push(b); return make.call(URL, b); };
  function fillUnset(box, met) {
    box.querySelectorAll('tbody tr').forEach(function (tr) {
      var r = tr.querySelectorAll('input[type=radio]');
      if (!r[0].checked && !r[1].checked) r[met ? 0 : 1].click();
    });
  }
  var before = [
    function () {
      // Saving before naming oneself is refused.
      document.querySelector('details.rv[data-r="1"]').open = true;
    },
    function () {
      var box = document.querySelector('details.rv[data-r="1"] div.review');
      fillUnset(box, true);
      box.querySelector('.rv-save').click();
      log('unnamed: ' + box.querySelector('.rv-state').textContent);
      var n = document.getElementById('rv-name');
      n.value = 'Asha आशा';
      n.dispatchEvent(new Event('input'));
    },
    function () {
      var box = document.querySelector('details.rv[data-r="1"] div.review');
      var first = box.querySelectorAll('tbody tr')[0].querySelectorAll('input[type=radio]');
      (first[0].checked ? first[1] : first[0]).click();
      box.querySelector('.rv-save').click();
      log('listed: ' + box.querySelector('.rv-state').textContent);
      document.getElementById('q0').open = true;
    },
    function () {
      var boxes = document.querySelectorAll('#q0 div.review');
      log('drill-down blocks: ' + boxes.length);
      fillUnset(boxes[1], false);
      boxes[1].querySelector('.rv-save').click();
      log('drill-down: ' + boxes[1].querySelector('.rv-state').textContent);
    },
    function () {
      sessionStorage.setItem('kasauti-test-log', out.textContent);
      location.reload();
    }
  ];
  var after = [
    function () {
      log('reloaded: ' + document.getElementById('rv-count').textContent);
      log('name kept: ' + document.getElementById('rv-name').value);
      document.getElementById('q0').open = true;
    },
    function () {
      document.getElementById('rv-download').click();
      document.getElementById('rv-show').click();
      log('count: ' + document.getElementById('rv-count').textContent);
    },
    function () {
      if (!blobs.length) { log('no blob'); return Promise.resolve(); }
      return blobs[0].text().then(function (t) { log('BLOB-BEGIN\n' + t + 'BLOB-END'); });
    },
    function () {
      var page = new Blob([document.documentElement.outerHTML], {type: 'text/html'});
      var a = document.createElement('a');
      a.href = make.call(URL, page);
      a.download = 'test-dom.html';
      document.body.appendChild(a);
      a.click();
    }
  ];
  var steps = carried === null ? before : after;
  var i = 0;
  function next() {
    if (i >= steps.length) return;
    var done;
    try { done = steps[i++](); } catch (e) { log('ERROR ' + e); }
    Promise.resolve(done).catch(function (e) { log('ERROR ' + e); }).then(function () {
      setTimeout(next, 100);
    });
  }
  setTimeout(next, 100);
})();
"#;

/// Writes a profile whose downloads go to `downloads` without asking, several from one page.
fn profile_with_downloads(profile: &Path, downloads: &Path) {
    std::fs::create_dir_all(profile.join("Default")).unwrap();
    let prefs = serde_json::json!({
        "download": {
            "default_directory": downloads.display().to_string(),
            "prompt_for_download": false
        },
        "profile": {"default_content_setting_values": {"automatic_downloads": 1}}
    });
    std::fs::write(profile.join("Default/Preferences"), prefs.to_string()).unwrap();
}

/// Runs the page with the driver in Chromium until the driver's last download, the page as it
/// then stands, is complete on disk, and returns that page. The wait is in real time: the
/// browser writes downloads and reads blobs on its own threads, which a virtual-time budget
/// does not wait for. The browser is then stopped with SIGTERM, so that it ends its own
/// helper processes.
fn drive_page(exe: &Path, profile: &Path, downloads: &Path, url: &str) -> String {
    profile_with_downloads(profile, downloads);
    let log = profile.with_extension("stderr");
    let mut child = chrome_command(exe, profile, &[], url)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("run chromium");
    let page = downloads.join("test-dom.html");
    // Done when the page is on disk and no download is partial; the labels, downloaded before
    // the page, get ten seconds more to appear if they have not yet.
    let mut page_seen: Option<std::time::Instant> = None;
    let mut complete = || {
        if !page.exists() {
            return false;
        }
        let seen = *page_seen.get_or_insert_with(std::time::Instant::now);
        let names: Vec<String> = std::fs::read_dir(downloads)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        !names.iter().any(|n| n.ends_with(".crdownload"))
            && (names.len() > 1 || seen.elapsed() > std::time::Duration::from_secs(10))
    };
    let start = std::time::Instant::now();
    while !complete() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "chromium ended ({status}) before the driver finished: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        if start.elapsed() > std::time::Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the driver did not finish within 120 s: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    stop(&mut child);
    let dom = std::fs::read_to_string(&page).unwrap();
    std::fs::remove_file(&page).unwrap();
    dom
}

/// SIGTERM, then SIGKILL if the browser has not ended within 30 s.
fn stop(child: &mut std::process::Child) {
    let rc = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(rc, 0, "SIGTERM to chromium");
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > std::time::Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not end on SIGTERM");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

type Key = (String, String, u64);

fn key_of(v: &Value) -> Key {
    (
        v["question_id"].as_str().unwrap().to_string(),
        v["model"].as_str().unwrap().to_string(),
        v["sample"].as_u64().unwrap(),
    )
}

#[test]
fn reviewer_labels_and_downloads_them() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    write(&d.join("q.jsonl"), QUESTIONS);
    let answers = [
        ("x-1", "m1", "1857 में मेरठ से शुरू हुआ।"),
        ("x-1", "m<2>", HOSTILE),
        ("x-2", "m1", "1947 இல்."),
        ("x-2", "m<2>", "1900 or 1947"),
    ];
    let lines: Vec<String> = answers
        .iter()
        .map(|(q, m, a)| serde_json::json!({"question_id": q, "model": m, "answer": a}).to_string())
        .collect();
    write(&d.join("a.jsonl"), &(lines.join("\n") + "\n"));
    grade_a_into_run(d);
    ok(&kasauti(d, &["-q", "sample", "run", "--per-language", "1"]));
    let to_label = read_jsonl(&d.join("run/to-label.jsonl"));
    assert_eq!(to_label.len(), 2, "one answer per language");
    assert_eq!(to_label[0]["language"], "hi");
    assert_eq!(to_label[1]["language"], "ta");
    ok(&kasauti(
        d,
        &[
            "-q",
            "report",
            "run",
            "--format",
            "html",
            "--review",
            "run/to-label.jsonl",
        ],
    ));
    let html = std::fs::read_to_string(d.join("run/report.html")).unwrap();
    assert_self_contained(&html);
    assert_eq!(
        html.matches("<script").count(),
        2,
        "data block and page script only"
    );
    assert!(html.contains("id=\"rv-list\""), "the review list is drawn");

    // What the clicks must produce, from the run's own files.
    let grades: HashMap<Key, Value> = read_jsonl(&d.join("run/grades.jsonl"))
        .into_iter()
        .map(|g| (key_of(&g), g))
        .collect();
    let listed = &to_label[1];
    let mut want: HashMap<Key, (String, Vec<(String, bool)>)> = HashMap::new();
    let listed_criteria: Vec<(String, bool)> = ["c1", "c2"]
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let judge = listed["judge"][*id].as_bool();
            let v = if i == 0 {
                // Flipped from what was shown: the judge's verdict, or "met" where the judge
                // left it undecided and the driver filled it in first.
                judge.is_some_and(|j| !j)
            } else {
                judge.unwrap_or(true)
            };
            (id.to_string(), v)
        })
        .collect();
    want.insert(
        key_of(listed),
        (
            listed["answer"].as_str().unwrap().to_string(),
            listed_criteria,
        ),
    );
    let hostile_key: Key = ("x-1".into(), "m<2>".into(), 0);
    let g = &grades[&hostile_key];
    let hostile_criteria: Vec<(String, bool)> = g["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["met"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    assert_eq!(hostile_criteria.len(), 3);
    want.insert(hostile_key, (HOSTILE.to_string(), hostile_criteria));

    let Some(exe) = chromium() else {
        skipped("chromium is not installed; only the static checks of the review page ran");
        return;
    };
    let page = d.join("run/review-test.html");
    std::fs::write(
        &page,
        html.replace("</body>", &format!("<script>{DRIVER}</script>\n</body>")),
    )
    .unwrap();
    let downloads = d.join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let profile = d.join("profile");
    let url = format!("file://{}", page.display());
    let dom = drive_page(&exe, &profile, &downloads, &url);
    let log = dom
        .split("<pre id=\"test-out\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .map(unescape)
        .expect("the driver wrote its log");
    assert!(!log.contains("ERROR"), "{log}");
    assert!(
        log.contains("unnamed: enter your name"),
        "saving without a name is refused: {log}"
    );
    assert!(log.contains("listed: ✓ saved"), "{log}");
    assert!(log.contains("drill-down blocks: 2"), "{log}");
    assert!(log.contains("drill-down: ✓ saved"), "{log}");
    // Reloaded from the file, the page still has the labels and the reviewer's name.
    assert!(
        log.contains("reloaded: 2 answer(s) labelled on this page"),
        "{log}"
    );
    assert!(log.contains("name kept: Asha आशा"), "{log}");
    assert!(
        log.contains("count: 2 answer(s) labelled on this page · 1 of 2 listed for review")
            || log.contains("count: 2 answer(s) labelled on this page · 2 of 2 listed for review"),
        "{log}"
    );

    // The hostile answer stayed text: no script from it ran, no image was made, and the
    // right-to-left override shows as a mark instead of reordering the number.
    assert!(dom.contains("<title>kasauti report</title>"));
    assert!(!dom.to_ascii_lowercase().contains("<img"));
    assert!(dom.contains("⟦U+202E⟧7581"));
    assert!(dom.contains("&lt;/script&gt;&lt;script&gt;document.title='pwned'&lt;/script&gt;"));

    // The real download: one line per labelled answer, in the Labels format of LABELS.md.
    let files: Vec<_> = std::fs::read_dir(&downloads)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "one file downloaded: {files:?}");
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(name, "labels-Asha_आशा.jsonl");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let blob = log
        .split("BLOB-BEGIN\n")
        .nth(1)
        .and_then(|s| s.split("BLOB-END").next())
        .expect("the blob was read back");
    assert_eq!(text, blob, "the file is the page's blob");
    assert!(text.ends_with('\n'));
    let got: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(got.len(), 2);
    for line in &got {
        let obj = line.as_object().unwrap();
        let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "answer",
                "criteria",
                "model",
                "question_id",
                "rater",
                "sample"
            ]
        );
        assert_eq!(line["rater"], "Asha आशा");
        let (answer, criteria) = want
            .get(&key_of(line))
            .unwrap_or_else(|| panic!("unexpected line {line}"));
        assert_eq!(
            line["answer"].as_str().unwrap(),
            answer,
            "exact answer text"
        );
        let got_criteria: Vec<(String, bool)> = line["criteria"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_bool().expect("true or false")))
            .collect();
        let mut sorted = criteria.clone();
        sorted.sort();
        assert_eq!(got_criteria, sorted, "{line}");
    }

    // The shown text is the same labels.
    let shown = dom
        .split("<pre id=\"rv-jsonl\" class=\"rv-out\" tabindex=\"0\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .map(unescape)
        .expect("labels shown as text");
    assert_eq!(shown, text);

    // The download is what the label readers take. `report --labels` ties both lines to the
    // run's answers, by model and sample.
    let labels = files[0].display().to_string();
    ok(&kasauti(
        d,
        &[
            "-q", "report", "run", "--labels", &labels, "--format", "json",
        ],
    ));
    let report = read_json(&d.join("run/report.json"));
    assert_eq!(report["labels"]["matched"], 2, "{}", report["labels"]);
    assert_eq!(report["labels"]["unmatched"], 0);
    assert_eq!(report["labels"]["partial"], 0);
    for model in ["m1", "m<2>"] {
        let n = want.keys().filter(|k| k.1 == model).count();
        let got = report["models"][model]["labelled"].as_u64().unwrap_or(0);
        assert_eq!(got as usize, n, "labelled answers of {model}");
    }
    // `calibrate` compares them with the run's verdicts on the same answers (by text).
    let mut verdicts = String::new();
    let (mut decided, mut agree) = (0, 0);
    for (key, (answer, criteria)) in &want {
        let g = &grades[key];
        for (id, human) in criteria {
            let c = g["criteria"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["id"] == id.as_str())
                .unwrap();
            verdicts.push_str(&format!(
                "{}\n",
                serde_json::json!({"question_id": key.0, "criterion_id": id, "answer": answer, "met": c["met"]})
            ));
            if let Some(met) = c["met"].as_bool() {
                decided += 1;
                agree += usize::from(met == *human);
            }
        }
    }
    write(&d.join("verdicts.jsonl"), &verdicts);
    ok(&kasauti(
        d,
        &[
            "-q",
            "calibrate",
            "--questions",
            "q.jsonl",
            "--labels",
            &labels,
            "--verdicts",
            "verdicts.jsonl",
            "--format",
            "json",
        ],
    ));
    let cal = read_json(&d.join("calibration.json"));
    assert_eq!(cal["overall"]["items"], 5, "{cal}");
    assert_eq!(cal["raters"], 1);
    assert!(
        decided > 0 && agree < decided,
        "the flipped criterion disagrees"
    );
    let want_agreement = agree as f64 / decided as f64;
    let got = cal["overall"]["judge"]["agreement"].as_f64().unwrap();
    assert!(
        close_abs(got, want_agreement),
        "{got} vs {want_agreement}: {cal}"
    );
}

#[test]
fn review_file_errors_name_file_line_and_field() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    write(&d.join("q.jsonl"), QUESTIONS);
    write(
        &d.join("a.jsonl"),
        "{\"question_id\": \"x-1\", \"model\": \"m1\", \"answer\": \"1857\"}\n",
    );
    grade_a_into_run(d);
    write(
        &d.join("bad.jsonl"),
        concat!(
            "{\"question_id\": \"x-1\", \"model\": \"m1\", \"answer\": \"1857\", \"criteria\": {\"c1\": null}}\n",
            "{\"question_id\": \"nope\", \"model\": \"m1\", \"answer\": \"x\", \"criteria\": {}}\n",
            "{\"question_id\": \"x-1\", \"model\": \"m2\", \"answer\": \"x\", \"criteria\": {\"c9\": true}}\n",
            "{\"question_id\": \"x-2\", \"model\": \"m1\", \"answer\": \"x\", \"criteria\": {\"c1\": \"yes\"}}\n",
            "{\"question_id\": \"x-2\", \"model\": \"m1\", \"sample\": -1, \"criteria\": {}}\n",
            "not json\n",
            "{\"question_id\": \"x-1\", \"model\": \"m1\", \"answer\": \"again\", \"criteria\": {}}\n",
        ),
    );
    let out = kasauti(
        d,
        &["report", "run", "--format", "html", "--review", "bad.jsonl"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    for want in [
        "bad.jsonl:2: field `question_id`",
        "bad.jsonl:3: field `criteria.c9`",
        "bad.jsonl:4: field `criteria.c1`",
        "bad.jsonl:5: field `sample`",
        "bad.jsonl:5: field `answer`",
        "bad.jsonl:6:",
        "bad.jsonl:7: field `question_id`: the answer of model `m1` to `x-1` (sample 0) is listed twice (first on line 1)",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
    assert!(!err.contains("bad.jsonl:1:"), "line 1 is fine:\n{err}");
    // --review needs the page.
    write(
        &d.join("good.jsonl"),
        "{\"question_id\": \"x-1\", \"model\": \"m1\", \"answer\": \"1857\", \"criteria\": {}}\n",
    );
    let out = kasauti(
        d,
        &[
            "report",
            "run",
            "--format",
            "json",
            "--review",
            "good.jsonl",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("include html in --format"));
    let out = kasauti(
        d,
        &[
            "report",
            "run",
            "--format",
            "html",
            "--review",
            "missing.jsonl",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("missing.jsonl"));
    let empty = d.join("empty.jsonl");
    write(&empty, "\n");
    let out = kasauti(
        d,
        &[
            "report",
            "run",
            "--format",
            "html",
            "--review",
            "empty.jsonl",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no answers to review"));
    ok(&kasauti(
        d,
        &[
            "-q",
            "report",
            "run",
            "--format",
            "html",
            "--review",
            "good.jsonl",
        ],
    ));
}
