//! The bundled demonstration set: complete, well-formed, and consistent with its own ideal
//! answers and illustrative answer files.

mod common;

use std::collections::{HashMap, HashSet};

use common::*;
use kasauti::dataset::load::{load, load_builtin};
use kasauti::dataset::{LoadOptions, DOMAINS, LANGUAGES};
use kasauti::judge::rules::{CompiledRubric, Scratch};

fn bundled() -> kasauti::dataset::Dataset {
    let opts = LoadOptions {
        questions: Some(vec![root().join("questions")]),
        rubrics: Some(vec![root().join("rubrics")]),
        skip_invalid: false,
        ..Default::default()
    };
    let loaded = load(&opts).unwrap();
    let warnings: Vec<String> = loaded.diagnostics.iter().map(|d| d.to_string()).collect();
    assert!(
        loaded.diagnostics.is_empty(),
        "the bundled set must validate cleanly:\n{}",
        warnings.join("\n")
    );
    loaded.dataset
}

#[test]
fn covers_every_language_and_domain() {
    let ds = bundled();
    assert!(ds.len() >= 150, "{} questions", ds.len());
    for l in LANGUAGES {
        for d in DOMAINS {
            assert!(
                ds.questions
                    .iter()
                    .any(|q| q.language == l.code && q.domain == d),
                "no question for {}/{d}",
                l.code
            );
        }
    }
}

#[test]
fn rubrics_have_the_promised_shape() {
    let ds = bundled();
    let mut with_negative = 0;
    for q in &ds.questions {
        assert!(
            (4..=10).contains(&q.rubric.len()),
            "{}: {} criteria",
            q.id,
            q.rubric.len()
        );
        for c in &q.rubric {
            assert!(
                c.points.fract() == 0.0 && (1.0..=10.0).contains(&c.points.abs()),
                "{}/{}: points {}",
                q.id,
                c.id,
                c.points
            );
        }
        assert!(
            q.rubric.iter().any(|c| c.check.is_some()),
            "{}: no checked criterion",
            q.id
        );
        assert!(
            q.rubric.iter().any(|c| c.check.is_none()),
            "{}: no judgement criterion",
            q.id
        );
        assert!(
            q.prompt_en.as_deref().is_some_and(|p| !p.is_empty()),
            "{}: no prompt_en",
            q.id
        );
        assert!(
            q.ideal_answer.as_deref().is_some_and(|p| !p.is_empty()),
            "{}: no ideal_answer",
            q.id
        );
        if q.rubric.iter().any(|c| c.points < 0.0) {
            with_negative += 1;
        }
    }
    assert!(
        with_negative * 4 >= ds.len(),
        "{with_negative} of {} rubrics have a negative criterion",
        ds.len()
    );
    // Written natively: prompts are not one question translated twelve times.
    let prompts: HashSet<&str> = ds
        .questions
        .iter()
        .filter_map(|q| q.prompt_en.as_deref())
        .collect();
    assert!(
        prompts.len() * 10 >= ds.len() * 9,
        "English translations repeat too often"
    );
}

#[test]
fn ideal_answers_pass_their_own_checks() {
    let ds = bundled();
    let mut scratch = Scratch::default();
    let mut problems = Vec::new();
    for q in &ds.questions {
        let r = CompiledRubric::new(q).unwrap();
        let verdicts = r.judge(q.ideal_answer.as_deref().unwrap_or(""), &mut scratch);
        for (c, v) in q.rubric.iter().zip(&verdicts) {
            if !v.is_judged() {
                continue;
            }
            let met = v.met == Some(true);
            if c.points > 0.0 && !met {
                problems.push(format!(
                    "{}/{}: ideal answer misses `{}`",
                    q.id, c.id, c.text
                ));
            }
            if c.points < 0.0 && met {
                problems.push(format!(
                    "{}/{}: ideal answer triggers `{}`",
                    q.id, c.id, c.text
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn example_answers_cover_every_question_for_three_models() {
    let ds = bundled();
    let mut seen: HashMap<String, HashSet<String>> = HashMap::new();
    for entry in std::fs::read_dir(root().join("examples/answers")).unwrap() {
        let p = entry.unwrap().path();
        for a in read_jsonl(&p) {
            let qid = a["question_id"].as_str().unwrap().to_string();
            assert!(
                ds.get(&qid).is_some(),
                "{}: unknown question {qid}",
                p.display()
            );
            assert!(
                seen.entry(a["model"].as_str().unwrap().to_string())
                    .or_default()
                    .insert(qid.clone()),
                "duplicate answer to {qid}"
            );
        }
    }
    assert_eq!(seen.len(), 3, "three illustrative models");
    for (m, qs) in &seen {
        assert_eq!(qs.len(), ds.len(), "{m} answers every bundled question");
    }
}

#[test]
fn built_in_sets_equal_the_files() {
    let disk = bundled();
    let usable = load_builtin().into_dataset(false).unwrap();
    let (builtin, diags) = (usable.dataset, usable.diagnostics);
    assert!(diags.is_empty());
    assert_eq!(builtin.len(), disk.len());
    for q in &disk.questions {
        let b = builtin.get(&q.id).unwrap();
        assert_eq!(
            (&b.prompt, &b.rubric, &b.language, &b.domain),
            (&q.prompt, &q.rubric, &q.language, &q.domain)
        );
    }
}
