//! The text module on real data: MGSM Bengali and Telugu (questions with numeric gold answers) and
//! XQuAD Hindi (paragraphs with extractive answers). The facts asserted here were checked against
//! the files independently (see tests/data/README.md for their provenance).

use kasauti::text::*;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

/// Reads a data file, failing with the path in the message so a missing file is obvious.
fn read(rel: &str) -> String {
    let path = format!("{DATA}/{rel}");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read test data file {path}: {e}"))
}

/// MGSM rows: (question, gold answer text).
fn mgsm(lang: &str) -> Vec<(String, String)> {
    let rel = format!("mgsm/mgsm_{lang}.tsv");
    read(&rel)
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let (q, a) = line
                .split_once('\t')
                .unwrap_or_else(|| panic!("{rel} line {}: no tab", i + 1));
            (q.to_string(), a.to_string())
        })
        .collect()
}

struct Qa {
    question: String,
    answer: String,
}

struct Paragraph {
    context: String,
    qas: Vec<Qa>,
}

fn xquad_hi() -> Vec<Paragraph> {
    let rel = "xquad/xquad.hi.json";
    let json: serde_json::Value = serde_json::from_str(&read(rel))
        .unwrap_or_else(|e| panic!("{DATA}/{rel} is not valid JSON: {e}"));
    let str_of = |v: &serde_json::Value| v.as_str().expect("string field").to_string();
    let mut out = Vec::new();
    for article in json["data"].as_array().expect("data array") {
        for p in article["paragraphs"].as_array().expect("paragraphs array") {
            let qas = p["qas"]
                .as_array()
                .expect("qas array")
                .iter()
                .map(|qa| Qa {
                    question: str_of(&qa["question"]),
                    answer: str_of(&qa["answers"][0]["text"]),
                })
                .collect();
            out.push(Paragraph {
                context: str_of(&p["context"]),
                qas,
            });
        }
    }
    out
}

fn count_chars(texts: &[&str], pred: impl Fn(char) -> bool) -> usize {
    texts
        .iter()
        .map(|t| t.chars().filter(|&c| pred(c)).count())
        .sum()
}

#[test]
fn mgsm_gold_answers_parse_to_their_value() {
    for lang in ["bn", "te"] {
        let rows = mgsm(lang);
        assert_eq!(rows.len(), 250, "{lang}");
        let mut with_commas = 0;
        for (i, (_, gold)) in rows.iter().enumerate() {
            // The gold value computed without the module: drop thousands commas, parse.
            let want: f64 = gold
                .replace(',', "")
                .parse()
                .expect("gold answer is numeric");
            with_commas += usize::from(gold.contains(','));
            let got = numbers(&normalize(gold));
            assert_eq!(got, vec![want], "{lang} row {}: {gold:?}", i + 1);
            // Written with native digits, the same answer reads the same.
            let native: String = gold
                .chars()
                .map(|c| match (c.to_digit(10), lang) {
                    (Some(d), "bn") => char::from_u32(0x09E6 + d).unwrap_or(c),
                    (Some(d), _) => char::from_u32(0x0C66 + d).unwrap_or(c),
                    _ => c,
                })
                .collect();
            assert_eq!(numbers(&normalize(&native)), vec![want], "{lang} {native}");
        }
        // 2,125 / 114,200 / 276,000 / 5,600.
        assert_eq!(with_commas, 4, "{lang}");
    }
}

#[test]
fn mgsm_questions_are_dominantly_in_their_script() {
    for (lang, script) in [("bn", Script::Beng), ("te", Script::Telu)] {
        let mut min_share: f64 = 1.0;
        for (q, _) in mgsm(lang) {
            let (s, share) = dominant_script(&q).expect("question has letters");
            assert_eq!(s, script, "{lang}: {q}");
            assert_eq!(share, script_share(&q, script));
            min_share = min_share.min(share);
        }
        // Questions mix in a few Latin names and units; they stay overwhelmingly native.
        assert!(min_share > 0.75, "{lang}: min share {min_share}");
    }
}

#[test]
fn mgsm_questions_numbers_are_read() {
    // 245 of 250 questions state a number in digits (glued suffixes like 16টি included); the other
    // five spell every number out in words (verified on the files).
    for lang in ["bn", "te"] {
        let mut with_numbers = 0;
        for (q, _) in mgsm(lang) {
            let n = normalize(&q);
            with_numbers += usize::from(!numbers(&n).is_empty());
            assert!(word_count(&n) > 3, "{lang}: {q}");
        }
        assert_eq!(with_numbers, 245, "{lang}");
    }
    // Row 1 in both: 16 eggs, 3 eaten (spelled out), $2 each.
    let bn = &mgsm("bn")[0].0;
    assert_eq!(numbers(&normalize(bn)), vec![16.0, 2.0]);
    let te = &mgsm("te")[0].0;
    assert_eq!(numbers(&normalize(te)), vec![16.0, 2.0]);
}

#[test]
fn mgsm_variant_forms_present_and_removed() {
    let bn = mgsm("bn");
    let te = mgsm("te");
    let bn_q: Vec<&str> = bn.iter().map(|r| r.0.as_str()).collect();
    let te_q: Vec<&str> = te.iter().map(|r| r.0.as_str()).collect();
    // Counts verified on the files: Bengali uses precomposed য় and ড়, chandrabindu, a few joiners;
    // Telugu uses ZWNJ (as in మఫిన్‌లు).
    assert_eq!(count_chars(&bn_q, |c| c == '\u{09DF}'), 945);
    assert_eq!(count_chars(&bn_q, |c| c == '\u{09DC}'), 227);
    assert_eq!(count_chars(&bn_q, |c| c == '\u{0981}'), 231);
    assert_eq!(count_chars(&bn_q, |c| c == '\u{200D}'), 2);
    assert_eq!(count_chars(&bn_q, |c| c == '\u{200C}'), 1);
    assert_eq!(count_chars(&bn_q, |c| c == '\u{0964}'), 620);
    assert_eq!(count_chars(&te_q, |c| c == '\u{200C}'), 561);
    let gone = |c: char| {
        matches!(
            c,
            '\u{200C}'
                | '\u{200D}'
                | '\u{09BC}'
                | '\u{09DC}'
                | '\u{09DD}'
                | '\u{09DF}'
                | '\u{0981}'
        ) || c == '\u{0964}'
    };
    for q in bn_q.iter().chain(te_q.iter()) {
        let n = normalize(q);
        assert!(!n.contains(gone), "{n}");
    }
}

#[test]
fn normalisation_is_idempotent_on_all_real_text() {
    let mut lines: Vec<String> = Vec::new();
    for lang in ["bn", "te"] {
        for (q, a) in mgsm(lang) {
            lines.push(q);
            lines.push(a);
        }
    }
    for p in xquad_hi() {
        for qa in p.qas {
            lines.push(qa.question);
            lines.push(qa.answer);
        }
        lines.push(p.context);
    }
    assert_eq!(lines.len(), 2 * 500 + 2 * 1190 + 240);
    let mut once = String::new();
    let mut twice = String::new();
    for line in &lines {
        normalize_into(line, &mut once);
        normalize_into(&once, &mut twice);
        assert_eq!(once, twice, "not idempotent on {line:?}");
        assert!(!once.starts_with(' ') && !once.ends_with(' ') && !once.contains("  "));
    }
}

#[test]
fn xquad_hindi_shape_and_variant_forms() {
    let paras = xquad_hi();
    assert_eq!(paras.len(), 240);
    assert_eq!(paras.iter().map(|p| p.qas.len()).sum::<usize>(), 1190);
    let contexts: Vec<&str> = paras.iter().map(|p| p.context.as_str()).collect();
    let questions: Vec<&str> = paras
        .iter()
        .flat_map(|p| p.qas.iter().map(|q| q.question.as_str()))
        .collect();
    let answers: Vec<&str> = paras
        .iter()
        .flat_map(|p| p.qas.iter().map(|q| q.answer.as_str()))
        .collect();
    let nukta = |c: char| c == '\u{093C}';
    let precomposed = |c: char| ('\u{0958}'..='\u{095F}').contains(&c);
    let chandrabindu = |c: char| c == '\u{0901}';
    // Both nukta encodings occur, often in the same file: counts verified on the data.
    assert_eq!(count_chars(&contexts, nukta), 331);
    assert_eq!(count_chars(&contexts, precomposed), 183);
    assert_eq!(count_chars(&contexts, chandrabindu), 74);
    assert_eq!(count_chars(&contexts, |c| c == '\u{FEFF}'), 8);
    assert_eq!(count_chars(&questions, nukta), 114);
    assert_eq!(count_chars(&questions, precomposed), 81);
    assert_eq!(count_chars(&questions, chandrabindu), 66);
    assert_eq!(count_chars(&answers, nukta), 54);
    assert_eq!(count_chars(&answers, precomposed), 32);
    assert_eq!(count_chars(&answers, chandrabindu), 5);
    for t in contexts.iter().chain(&questions).chain(&answers) {
        let n = normalize(t);
        assert!(
            !n.contains(|c: char| nukta(c)
                || precomposed(c)
                || chandrabindu(c)
                || matches!(c, '\u{200C}' | '\u{200D}' | '\u{FEFF}' | '।')),
            "{n}"
        );
    }
    // Contexts are Hindi prose: dominantly Devanagari.
    for c in &contexts {
        let (s, share) = dominant_script(c).expect("letters");
        assert_eq!(s, Script::Deva);
        assert!(share > 0.5, "{share}: {c}");
    }
}

#[test]
fn xquad_hindi_answers_found_in_their_context() {
    let paras = xquad_hi();
    let mut total = 0usize;
    let mut found_normalized = 0usize;
    let mut found_raw = 0usize;
    let mut misses = Vec::new();
    let mut flags = Vec::new();
    for p in &paras {
        let context = normalize(&p.context);
        // One set per paragraph, as the grader compiles one set per rubric.
        let answers: Vec<&str> = p.qas.iter().map(|q| q.answer.as_str()).collect();
        let set = PhraseSet::new(&answers).expect("no answer normalises to nothing");
        set.find_into(&context, &mut flags);
        for (i, qa) in p.qas.iter().enumerate() {
            total += 1;
            found_raw += usize::from(p.context.contains(qa.answer.as_str()));
            // The bulk result must agree with a set of one.
            let single = PhraseSet::new(&[qa.answer.as_str()]).expect("answer");
            assert_eq!(single.any(&context), flags[i], "{:?}", qa.answer);
            if flags[i] {
                found_normalized += 1;
            } else {
                misses.push(qa.answer.clone());
            }
        }
    }
    let rate = found_normalized as f64 / total as f64;
    eprintln!(
        "xquad hi: {found_normalized}/{total} answers found at word boundaries ({:.2}%), \
         raw substring {found_raw}; misses: {misses:?}",
        rate * 100.0
    );
    // Every answer is an extractive span (found_raw == total). The six that do not match at word
    // boundaries (measured: 1184/1190 = 99.5%) are spans that start or end inside a token of the
    // context: "19.3%" inside "119.3%", "(2,70" cut from "2,700,000", and four spans followed by a
    // word glued on with no space in the Hindi context ("पॉविएट्सके", "स्कूलसंचालित", "औरबर्ट",
    // "बादअपने"). Matching them would need substring matching, which the rule judge must not do.
    assert_eq!(found_raw, total);
    assert!(rate >= 0.99, "rate {rate}");
}

#[test]
fn xquad_numbers_of_whole_token_answers_are_numbers_of_the_context() {
    // When an answer occurs in its context as whole tokens, the numbers read from the answer must
    // be numbers read from the context: grouping, decimals and boundaries agree on both sides.
    let mut checked = 0;
    for p in xquad_hi() {
        let context = normalize(&p.context);
        let context_numbers = numbers(&context);
        for qa in &p.qas {
            let answer = normalize(&qa.answer);
            let set = PhraseSet::new(&[answer.as_str()]).expect("answer");
            if !set.any(&context) {
                continue;
            }
            for x in numbers(&answer) {
                checked += 1;
                assert!(
                    context_numbers.contains(&x),
                    "{x} from {:?} not among context numbers {context_numbers:?}",
                    qa.answer
                );
            }
        }
    }
    assert!(checked > 100, "{checked}");
}

#[test]
fn xquad_question_words_with_nukta_match_context_spelt_differently() {
    // Question words with a nukta (either encoding) often appear in the context in the other
    // encoding, or without the nukta (सीज़न, प्लेऑफ़, डिज़ाइन, अमेज़न…). Raw comparison misses them;
    // normalised whole-token matching finds them.
    let has_nukta = |w: &str| {
        w.chars()
            .any(|c| c == '\u{093C}' || ('\u{0958}'..='\u{095F}').contains(&c))
    };
    let (mut total, mut raw_found, mut only_normalized) = (0, 0, 0);
    for p in xquad_hi() {
        let raw_words: std::collections::HashSet<&str> =
            p.context.split(|c: char| !is_word_char(c)).collect();
        let context = normalize(&p.context);
        for qa in &p.qas {
            for w in qa
                .question
                .split(|c: char| !is_word_char(c))
                .filter(|w| has_nukta(w))
            {
                total += 1;
                if raw_words.contains(w) {
                    raw_found += 1;
                } else if PhraseSet::new(&[w]).expect("word").any(&context) {
                    only_normalized += 1;
                }
            }
        }
    }
    eprintln!("nukta question words: {total}, raw {raw_found}, only normalised {only_normalized}");
    // Counted independently on the file (NFD, drop U+093C, NFC, compare word sets).
    assert_eq!((total, raw_found, only_normalized), (192, 99, 22));
}
