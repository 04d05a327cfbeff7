//! Probes of the rule judge that must hold for every bundled question, in every language
//! (SPEC §4c): answers that fool keyword matching must not fool it.
//!
//! * a keyword list (the rubric's phrases and numbers joined by spaces) scores low;
//! * the prompt echoed back scores low;
//! * the ideal answer scores high;
//! * the ideal answer plus a sentence rejecting each misconception keeps its score;
//! * for each negative criterion, a sentence that names the misconception only to deny it is not
//!   penalised.
//!
//! Plus the hand-written counterexamples of `tests/fixtures/probes/<lang>.jsonl`: one JSON object
//! a line, `{"question_id", "kind", "answer", "expect": {"met": {"c1": true}, "min_score",
//! "max_score"}, "note"}`, every `expect` key optional.

mod common;

use std::path::Path;

use common::*;
use kasauti::dataset::load::load;
use kasauti::dataset::{Check, Dataset, LoadOptions, Question};
use kasauti::judge::rules::{CompiledRubric, Scratch};
use kasauti::judge::Verdict;

/// At most this share of the rule-judged positive points for answers that game the judge.
const LOW: f64 = 0.2;
/// At least this share for the ideal answer.
const HIGH: f64 = 0.8;

/// The tree whose `questions/`, `rubrics/` and `tests/fixtures/probes/` are probed: this one, or
/// `KASAUTI_PROBES_ROOT` (to try a set being written elsewhere).
fn probed_root() -> std::path::PathBuf {
    std::env::var_os("KASAUTI_PROBES_ROOT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(root)
}

fn bundled() -> Dataset {
    let opts = LoadOptions {
        questions: Some(vec![probed_root().join("questions")]),
        rubrics: Some(vec![probed_root().join("rubrics")]),
        skip_invalid: false,
        ..Default::default()
    };
    let loaded = load(&opts).unwrap();
    assert_eq!(loaded.errors(), 0, "the bundled set must load");
    loaded.dataset
}

/// The rule-judged score: points of met criteria over positive points, both over criteria with
/// a check (SPEC §4).
fn score(q: &Question, verdicts: &[Verdict]) -> f64 {
    let mut earned = 0.0;
    let mut possible = 0.0;
    for (c, v) in q.rubric.iter().zip(verdicts) {
        if !v.is_judged() {
            continue;
        }
        if c.points > 0.0 {
            possible += c.points;
        }
        if v.met == Some(true) {
            earned += c.points;
        }
    }
    if possible > 0.0 {
        earned / possible
    } else {
        0.0
    }
}

fn judge(q: &Question, answer: &str) -> (f64, Vec<Verdict>) {
    let r = CompiledRubric::new(q).unwrap();
    let v = r.judge(answer, &mut Scratch::default());
    (score(q, &v), v)
}

/// The phrase as an answer would write it (without the `*` of a prefix).
fn plain(p: &str) -> String {
    p.trim().trim_end_matches('*').to_string()
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Every phrase and number of a check, as words.
fn words_of(c: &Check, out: &mut Vec<String>) {
    match c {
        Check::Mentions(p) | Check::MentionsAll(p) => out.extend(p.iter().map(|p| plain(p))),
        Check::Number { value, near, .. } => {
            out.push(num(*value));
            out.extend(near.iter().map(|p| plain(p)));
        }
        Check::All(v) | Check::Any(v) => v.iter().for_each(|c| words_of(c, out)),
        Check::Near { all, .. } => all.iter().for_each(|c| words_of(c, out)),
        Check::Affirmed(c, _) => words_of(c, out),
        Check::Not(_) | Check::Regex(_) | Check::Script { .. } | Check::Words { .. } => {}
    }
}

/// The script a language is written in, to prefer phrases the answer would use.
fn in_script(q: &Question, p: &str) -> bool {
    let Some(l) = kasauti::dataset::language::known_language(&q.language) else {
        return true;
    };
    kasauti::text::script_share(p, l.script) >= 0.5
}

/// The words of a claim that a check looks for: one phrase per alternative (preferring the
/// question's script), every phrase where all are needed. `None` when the check has no words.
fn claim_of(q: &Question, c: &Check) -> Option<String> {
    let pick = |p: &[String]| -> Option<String> {
        p.iter()
            .find(|p| in_script(q, p))
            .or_else(|| p.first())
            .map(|p| plain(p))
    };
    match c {
        Check::Mentions(p) => pick(p),
        Check::MentionsAll(p) => Some(p.iter().map(|p| plain(p)).collect::<Vec<_>>().join(" ")),
        Check::Number { value, near, .. } => Some(match pick(near) {
            Some(n) => format!("{} {n}", num(*value)),
            None => num(*value),
        }),
        Check::All(v) | Check::Near { all: v, .. } => {
            let parts: Vec<String> = v.iter().filter_map(|c| claim_of(q, c)).collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        }
        Check::Any(v) => v.iter().find_map(|c| claim_of(q, c)),
        Check::Affirmed(c, _) => claim_of(q, c),
        Check::Not(_) | Check::Regex(_) | Check::Script { .. } | Check::Words { .. } => None,
    }
}

/// A sentence that names a claim only to deny it, in the question's language.
fn denial(lang: &str, claim: &str) -> String {
    match lang {
        "hi" => format!("{claim} वाली बात सही नहीं है।"),
        "hi-Latn" => format!("{claim} wali baat sahi nahi hai."),
        "mr" => format!("{claim} हे खरे नाही."),
        "bn" => format!("{claim} সংক্রান্ত কথাটি সত্য নয়।"),
        "gu" => format!("{claim} વાળી વાત સાચી નથી."),
        "kn" => format!("{claim} ಎಂಬುದು ತಪ್ಪು."),
        "ml" => format!("{claim} എന്നത് ശരിയല്ല."),
        "or" => format!("{claim} କଥାଟି ସତ୍ୟ ନୁହେଁ।"),
        "pa" => format!("{claim} ਵਾਲੀ ਗੱਲ ਸਹੀ ਨਹੀਂ ਹੈ।"),
        "ta" => format!("{claim} என்பது தவறு."),
        "te" => format!("{claim} అనేది నిజం కాదు."),
        _ => format!("The claim about {claim} is a myth."),
    }
}

/// Runs a probe over every question; panics listing the questions where it fails.
fn probe(name: &str, mut fails: impl FnMut(&Question) -> Option<String>) {
    let ds = bundled();
    let problems: Vec<String> = ds.questions.iter().filter_map(&mut fails).collect();
    eprintln!(
        "probe {name}: {} of {} questions pass",
        ds.questions.len() - problems.len(),
        ds.questions.len()
    );
    assert!(
        problems.is_empty(),
        "probe {name} fails for {} question(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn a_keyword_list_scores_low() {
    probe("keyword list", |q| {
        let mut words = Vec::new();
        for c in q.rubric.iter().filter(|c| c.points > 0.0) {
            if let Some(chk) = &c.check {
                words_of(chk, &mut words);
            }
        }
        // All the phrases, and the short list of one phrase per criterion.
        let short: Vec<String> = q
            .rubric
            .iter()
            .filter(|c| c.points > 0.0)
            .filter_map(|c| c.check.as_ref().and_then(|chk| claim_of(q, chk)))
            .collect();
        for list in [words.join(" "), short.join(" ")] {
            let (s, _) = judge(q, &list);
            if s > LOW {
                return Some(format!("{}: {s:.2} for \"{list}\"", q.id));
            }
        }
        None
    });
}

#[test]
fn the_prompt_echoed_scores_low() {
    probe("prompt echo", |q| {
        let prompt = q.prompt.text();
        let (s, _) = judge(q, &prompt);
        (s > LOW).then(|| format!("{}: {s:.2}", q.id))
    });
}

#[test]
fn the_ideal_answer_scores_high() {
    probe("ideal answer", |q| {
        let (s, v) = judge(q, q.ideal_answer.as_deref().unwrap_or(""));
        (s < HIGH).then(|| {
            let missed: Vec<String> = q
                .rubric
                .iter()
                .zip(&v)
                .filter(|(c, v)| v.is_judged() && (v.met == Some(true)) != (c.points > 0.0))
                .map(|(c, v)| format!("{} ({})", c.id, v.explanation.as_deref().unwrap_or("")))
                .collect();
            format!("{}: {s:.2}; {}", q.id, missed.join("; "))
        })
    });
}

fn denials(q: &Question) -> Vec<(String, String)> {
    q.rubric
        .iter()
        .filter(|c| c.points < 0.0)
        .filter_map(|c| {
            let claim = claim_of(q, c.check.as_ref()?)?;
            Some((c.id.clone(), denial(&q.language, &claim)))
        })
        .collect()
}

#[test]
fn rejecting_the_misconceptions_keeps_the_score() {
    probe("ideal + rebuttals", |q| {
        let ideal = q.ideal_answer.as_deref().unwrap_or("");
        let (base, _) = judge(q, ideal);
        let extra: Vec<String> = denials(q).into_iter().map(|(_, d)| d).collect();
        if extra.is_empty() {
            return None;
        }
        let answer = format!("{ideal} {}", extra.join(" "));
        let (s, v) = judge(q, &answer);
        (s < base - 1e-9).then(|| {
            let met: Vec<String> = q
                .rubric
                .iter()
                .zip(&v)
                .filter(|(c, v)| c.points < 0.0 && v.met == Some(true))
                .map(|(c, v)| format!("{} ({})", c.id, v.explanation.as_deref().unwrap_or("")))
                .collect();
            format!("{}: {base:.2} → {s:.2}; {}", q.id, met.join("; "))
        })
    });
}

#[test]
fn denying_a_misconception_is_not_penalised() {
    probe("denial", |q| {
        let ideal = q.ideal_answer.as_deref().unwrap_or("");
        let mut problems = Vec::new();
        for (id, sentence) in denials(q) {
            let answer = format!("{ideal} {sentence}");
            let (_, v) = judge(q, &answer);
            if let Some((c, v)) = q.rubric.iter().zip(&v).find(|(c, _)| c.id == id) {
                if v.met == Some(true) {
                    problems.push(format!(
                        "{}/{}: \"{sentence}\" penalised ({}; {})",
                        q.id,
                        id,
                        c.text,
                        v.explanation.as_deref().unwrap_or("")
                    ));
                }
            }
        }
        (!problems.is_empty()).then(|| problems.join("\n"))
    });
}

/// Checks one fixture line; problems are pushed with file:line.
fn check_fixture(ds: &Dataset, file: &Path, line: usize, text: &str, problems: &mut Vec<String>) {
    let at = format!("{}:{line}", file.display());
    let v: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            problems.push(format!("{at}: not JSON: {e}"));
            return;
        }
    };
    let Some(qid) = v.get("question_id").and_then(|x| x.as_str()) else {
        problems.push(format!("{at}: question_id: expected a string"));
        return;
    };
    let Some(q) = ds.get(qid) else {
        problems.push(format!("{at}: question_id: unknown question `{qid}`"));
        return;
    };
    let Some(answer) = v.get("answer").and_then(|x| x.as_str()) else {
        problems.push(format!("{at}: answer: expected a string"));
        return;
    };
    let kind = v.get("kind").and_then(|x| x.as_str()).unwrap_or("?");
    let (s, verdicts) = judge(q, answer);
    let expect = v.get("expect").cloned().unwrap_or_default();
    if let Some(met) = expect.get("met") {
        let Some(met) = met.as_object() else {
            problems.push(format!("{at}: expect.met: expected an object"));
            return;
        };
        for (cid, want) in met {
            let Some(want) = want.as_bool() else {
                problems.push(format!("{at}: expect.met.{cid}: expected true or false"));
                continue;
            };
            match q.rubric.iter().position(|c| &c.id == cid) {
                None => problems.push(format!("{at}: expect.met.{cid}: no such criterion in {qid}")),
                Some(i) if !verdicts[i].is_judged() => problems.push(format!(
                    "{at}: expect.met.{cid}: the criterion has no check, so the rule judge does not decide it"
                )),
                Some(i) => {
                    if verdicts[i].met != Some(want) {
                        problems.push(format!(
                            "{at}: {qid}/{cid} ({kind}): expected met={want}, got {:?} ({})",
                            verdicts[i].met,
                            verdicts[i].explanation.as_deref().unwrap_or("")
                        ));
                    }
                }
            }
        }
    }
    if let Some(m) = expect.get("min_score").and_then(|x| x.as_f64()) {
        if s < m - 1e-9 {
            problems.push(format!(
                "{at}: {qid} ({kind}): score {s:.3} < min_score {m}"
            ));
        }
    }
    if let Some(m) = expect.get("max_score").and_then(|x| x.as_f64()) {
        if s > m + 1e-9 {
            problems.push(format!(
                "{at}: {qid} ({kind}): score {s:.3} > max_score {m}"
            ));
        }
    }
}

#[test]
fn hand_written_counterexamples() {
    let dir = probed_root().join("tests/fixtures/probes");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("no {} folder", dir.display());
        return;
    };
    let ds = bundled();
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let mut problems = Vec::new();
    let mut n = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let rel = f.strip_prefix(probed_root()).unwrap_or(f);
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            n += 1;
            check_fixture(&ds, rel, i + 1, line, &mut problems);
        }
    }
    eprintln!(
        "counterexamples: {} of {n} hold ({} files)",
        n - problems.len().min(n),
        files.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn ideal_answers_are_in_their_language_and_prompts_in_english_are_not() {
    probe("answer language", |q| {
        let ideal = q.ideal_answer.as_deref().unwrap_or("");
        let (_, own) = kasauti::text::fidelity::answer_language(ideal, &q.language);
        if own != Some(true) {
            return Some(format!(
                "{}: the ideal answer is not counted as {}",
                q.id, q.language
            ));
        }
        // The English translation of the prompt is not an answer in the asked language (except
        // for English questions).
        let en = q.prompt_en.as_deref().unwrap_or("");
        let (_, english) = kasauti::text::fidelity::answer_language(en, &q.language);
        if q.language != "en" && english != Some(false) {
            return Some(format!("{}: English text counted as {}", q.id, q.language));
        }
        None
    });
}
