use super::*;
use crate::dataset::{Check, Criterion, Origin, Prompt};

fn q_full(lang: &str, prompt: &str, min_words: Option<u32>, checks: &[(&str, f64)]) -> Question {
    Question {
        id: "q".into(),
        language: lang.into(),
        domain: "history".into(),
        prompt: Prompt::Text(prompt.into()),
        prompt_en: None,
        ideal_answer: None,
        tags: vec![],
        rubric: checks
            .iter()
            .enumerate()
            .map(|(i, (c, p))| Criterion {
                id: format!("c{}", i + 1),
                text: "t".into(),
                points: *p,
                tags: vec![],
                check: if c.is_empty() {
                    None
                } else {
                    Some(Check::parse(&serde_json::from_str(c).unwrap(), "check").unwrap())
                },
            })
            .collect(),
        origin: Origin {
            file: "x".into(),
            line: 1,
        },
        healthbench: false,
        min_words,
    }
}

fn q(checks: &[(&str, f64)]) -> Question {
    q_full("hi", "प्रश्न", Some(1), checks)
}

fn mets(question: &Question, answer: &str) -> Vec<Option<bool>> {
    let r = CompiledRubric::new(question).unwrap();
    r.judge(answer, &mut Scratch::default())
        .into_iter()
        .map(|v| if v.is_judged() { v.met } else { None })
        .collect()
}

fn whys(question: &Question, answer: &str) -> Vec<String> {
    let r = CompiledRubric::new(question).unwrap();
    r.judge(answer, &mut Scratch::default())
        .into_iter()
        .map(|v| v.explanation.unwrap_or_default())
        .collect()
}

#[test]
fn each_check_kind() {
    let question = q(&[
        (r#"{"mentions": ["मंगल पांडे", "Mangal Pandey"]}"#, 5.0),
        (r#"{"mentions_all": ["मेरठ", "1857"]}"#, 3.0),
        (r#"{"number": 1857}"#, 2.0),
        (r#"{"number": {"value": 3.5, "tolerance": 0.1}}"#, 1.0),
        (r#"{"script": "Deva", "min_share": 0.5}"#, 1.0),
        (r#"{"words": {"min": 3, "max": 40}}"#, 1.0),
        (r#"{"regex": "क्रांति|विद्रोह"}"#, 1.0),
        (r#"{"not": {"mentions": ["गांधी"]}}"#, 1.0),
        ("", 2.0),
    ]);
    let answer = "विद्रोह १८५७ में मेरठ से शुरू हुआ; मंगल पाण्डे और बाद में कई सिपाही… लगभग 3.45 लाख";
    let got = mets(&question, answer);
    // पाण्डे normalises like पांडे (nasal + virama before a retroflex = anusvara).
    assert_eq!(
        got,
        vec![
            Some(true),
            Some(true),
            Some(true),
            Some(true),
            Some(true),
            Some(true),
            Some(true),
            Some(true),
            None
        ]
    );
    let got = mets(&question, "Gandhi led it. गांधी");
    assert_eq!(got[0], Some(false));
    assert_eq!(got[2], Some(false));
    assert_eq!(got[4], Some(false), "mostly Latin");
    assert_eq!(got[7], Some(false));
}

#[test]
fn word_boundaries_hold() {
    let question = q(&[(r#"{"mentions": ["दिल"]}"#, 1.0)]);
    assert_eq!(mets(&question, "दिल्ली"), vec![Some(false)]);
    assert_eq!(mets(&question, "मेरा दिल, दिल्ली"), vec![Some(true)]);
}

#[test]
fn keyword_lists_earn_nothing() {
    // Bengali: the rubric's words alone, four words, against min_words 8.
    let question = q_full(
        "bn",
        "বিষ্ণুপুরের মন্দির কেন ইটের?",
        Some(8),
        &[
            (r#"{"mentions": ["মল্ল"]}"#, 5.0),
            (r#"{"mentions": ["পলিমাটি*"]}"#, 5.0),
            (r#"{"script": "Beng"}"#, 3.0),
        ],
    );
    let list = "মল্ল পলিমাটি কুঁড়েঘর জোড়বাংলা";
    assert_eq!(
        mets(&question, list),
        vec![Some(false), Some(false), Some(true)]
    );
    assert!(
        whys(&question, list)[0].contains("4 words"),
        "{:?}",
        whys(&question, list)
    );
    // A long list: 10 words, 9 of them rubric phrases (two phrases repeated) → keyword list.
    let long = "মল্ল পলিমাটি মল্ল পলিমাটির মল্ল পলিমাটি মল্ল পলিমাটি মল্ল আর";
    let w = whys(&question, long);
    assert_eq!(mets(&question, long)[..2], [Some(false), Some(false)]);
    assert!(w[0].contains("9 of its 10 words"), "{w:?}");
    // A sentence with the same words counts (2 phrase words of 10).
    let sentence = "মল্ল রাজারা এই মন্দির গড়েন কারণ পলিমাটির দেশে পাথর ছিল না";
    assert_eq!(
        mets(&question, sentence),
        vec![Some(true), Some(true), Some(true)]
    );
}

#[test]
fn short_questions_keep_short_answers() {
    // The ideal answer is itself mostly rubric words: a two-word answer is a real answer.
    let mut question = q_full("bn", "কোন বছর?", None, &[(r#"{"number": 1913}"#, 5.0)]);
    question.ideal_answer = Some("১৯১৩ সালে।".into());
    assert_eq!(
        mets(&question, "১৯১৩ সালে রবীন্দ্রনাথ নোবেল পান।"),
        vec![Some(true)]
    );
    assert_eq!(mets(&question, "1913"), vec![Some(true)]);
    // Without an ideal answer, one or two words count, three or more rubric words in a row
    // are a keyword list.
    let question = q_full(
        "en",
        "Who and when?",
        None,
        &[
            (r#"{"mentions": ["Meerut"]}"#, 1.0),
            (r#"{"number": 1857}"#, 1.0),
        ],
    );
    assert_eq!(mets(&question, "Meerut"), vec![Some(true), Some(false)]);
    assert_eq!(
        mets(&question, "Meerut 1857 Meerut"),
        vec![Some(false), Some(false)]
    );
    assert_eq!(
        mets(&question, "It began at Meerut in 1857."),
        vec![Some(true), Some(true)]
    );
}

#[test]
fn default_min_words_follows_the_ideal_answer() {
    let mut question = q_full("en", "p", None, &[(r#"{"mentions": ["x"]}"#, 1.0)]);
    assert_eq!(default_min_words(&question), MIN_WORDS_WITHOUT_IDEAL);
    question.ideal_answer = Some("word ".repeat(120));
    assert_eq!(default_min_words(&question), 20);
    question.ideal_answer = Some("word ".repeat(12));
    assert_eq!(default_min_words(&question), 2);
    question.ideal_answer = Some("one line".into());
    assert_eq!(default_min_words(&question), 1);
    question.ideal_answer = Some("word ".repeat(1000));
    assert_eq!(default_min_words(&question), 25);
    question.min_words = Some(3);
    assert_eq!(CompiledRubric::new(&question).unwrap().min_words(), 3);
}

#[test]
fn prompt_echo_does_not_count() {
    let prompt =
        "Why did the Malla kings of Bishnupur build the temples of Bishnupur in brick and not in stone?";
    let question = q_full(
        "en",
        prompt,
        Some(3),
        &[
            (r#"{"mentions": ["Malla"]}"#, 5.0),
            (r#"{"mentions": ["alluvial"]}"#, 5.0),
        ],
    );
    assert_eq!(mets(&question, prompt), vec![Some(false), Some(false)]);
    assert!(whys(&question, prompt)[0].contains("repeated from the prompt"));
    // Seven copied words are not an echo; the answer's own sentence counts.
    assert_eq!(
        mets(
            &question,
            "The Malla kings of Bishnupur built the temples in brick because the soil is alluvial."
        ),
        vec![Some(true), Some(true)]
    );
    assert_eq!(
        mets(
            &question,
            &format!("{prompt} Because the Malla kings had only alluvial clay.")
        ),
        vec![Some(true), Some(true)]
    );
}

#[test]
fn negative_criteria_need_an_assertion() {
    // A negative criterion in six scripts: met when asserted, not when rejected.
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "hi",
            "सितार",
            "बाउल गायक मुख्य रूप से सितार बजाते हैं।",
            "बाउल गायक सितार नहीं बजाते, वे एकतारा बजाते हैं।",
        ),
        (
            "en",
            "sitar",
            "Bauls mainly play the sitar.",
            "Bauls do not play the sitar; they play the ektara.",
        ),
        (
            "en",
            "sitar",
            "Bauls mainly play the sitar.",
            "That Bauls play the sitar is a myth.",
        ),
        (
            "bn",
            "সেতার",
            "বাউলরা প্রধানত সেতার বাজান।",
            "বাউলদের প্রধান বাদ্য সেতার নয়, একতারা।",
        ),
        ("ta", "அக்பர்", "இதைக் கட்டியவர் அக்பர்.", "இதைக் கட்டியவர் அக்பர் அல்ல."),
        ("ta", "அக்பர்", "இதைக் கட்டியவர் அக்பர்.", "அக்பர் இதைக் கட்டவில்லை."),
        (
            "hi-Latn",
            "Akbar",
            "Ise Akbar ne banwaya tha.",
            "Ise Akbar ne nahi banwaya tha.",
        ),
        (
            "hi-Latn",
            "Akbar",
            "Ise Akbar ne banwaya tha.",
            "Akbar wali baat galat hai.",
        ),
        ("te", "అక్బర్", "దీనిని అక్బర్ కట్టించాడు.", "దీనిని కట్టించింది అక్బర్ కాదు."),
        ("kn", "ಅಕ್ಬರ್", "ಇದನ್ನು ಅಕ್ಬರ್ ಕಟ್ಟಿಸಿದನು.", "ಇದನ್ನು ಅಕ್ಬರ್ ಕಟ್ಟಿಸಲಿಲ್ಲ."),
        ("ml", "അക്ബർ", "ഇത് പണിതത് അക്ബർ ആണ്.", "ഇത് പണിതത് അക്ബർ അല്ല."),
        (
            "mr",
            "अकबर",
            "हे अकबराने नव्हे तर अकबर याने बांधले.",
            "हे अकबर याने बांधले नाही.",
        ),
        (
            "gu",
            "અકબર",
            "આ અકબરે નહીં પણ અકબર બાદશાહે બંધાવ્યું.",
            "આ અકબર બાદશાહે બંધાવ્યું નથી.",
        ),
        ("pa", "ਅਕਬਰ", "ਇਹ ਅਕਬਰ ਨੇ ਬਣਵਾਇਆ।", "ਇਹ ਅਕਬਰ ਨੇ ਨਹੀਂ ਬਣਵਾਇਆ।"),
        (
            "or",
            "ଆକବର",
            "ଏହା ଆକବର ତିଆରି କରିଥିଲେ।",
            "ଏହା ଆକବର ତିଆରି କରିନଥିଲେ, ଏହା ଭୁଲ ଧାରଣା।",
        ),
    ];
    for (lang, phrase, asserts, rejects) in cases {
        let check = format!(r#"{{"mentions": ["{phrase}"]}}"#);
        let question = q_full(
            lang,
            "?",
            Some(1),
            &[(r#"{"words": {"min": 1}}"#, 1.0), (&check, -3.0)],
        );
        assert_eq!(mets(&question, asserts)[1], Some(true), "{lang}: {asserts}");
        assert_eq!(
            mets(&question, rejects)[1],
            Some(false),
            "{lang}: {rejects}"
        );
        assert!(
            whys(&question, rejects)[1].contains("negated"),
            "{lang}: {:?}",
            whys(&question, rejects)
        );
    }
}

#[test]
fn negation_has_a_reach() {
    let question = q_full(
        "en",
        "?",
        Some(1),
        &[(r#"{"mentions": ["sitar"], "affirmed": true}"#, 1.0)],
    );
    // "but" ends the clause: the sitar is asserted.
    assert_eq!(
        mets(&question, "Not the tabla but the sitar."),
        vec![Some(true)]
    );
    // A negator does not cross a comma; a rebuttal does.
    assert_eq!(
        mets(&question, "Not the tabla, the sitar."),
        vec![Some(true)]
    );
    assert_eq!(
        mets(&question, "The sitar, which is a myth."),
        vec![Some(false)]
    );
    // "not only" asserts.
    assert_eq!(
        mets(&question, "They play not only the sitar."),
        vec![Some(true)]
    );
    // Too far away.
    assert_eq!(
        mets(&question, "The sitar is played in many places across the whole of north India and it is not rare."),
        vec![Some(true)]
    );
    // A question does not assert.
    assert_eq!(mets(&question, "Is it the sitar?"), vec![Some(false)]);
    // Inside `not`, only an assertion breaks it: "does not claim the sitar".
    let not = q_full(
        "en",
        "?",
        Some(1),
        &[(r#"{"not": {"mentions": ["sitar"]}}"#, 1.0)],
    );
    assert_eq!(mets(&not, "It is not the sitar."), vec![Some(true)]);
    assert_eq!(mets(&not, "It is the sitar."), vec![Some(false)]);
    // Without "affirmed", a positive check counts any mention.
    let plain = q_full("en", "?", Some(1), &[(r#"{"mentions": ["sitar"]}"#, 1.0)]);
    assert_eq!(mets(&plain, "Not the sitar."), vec![Some(true)]);
    // "affirmed": false turns it off for a negative criterion.
    let off = q_full(
        "en",
        "?",
        Some(1),
        &[
            (r#"{"words": {"min": 1}}"#, 1.0),
            (r#"{"mentions": ["sitar"], "affirmed": false}"#, -1.0),
        ],
    );
    assert_eq!(mets(&off, "Not the sitar.")[1], Some(true));
}

#[test]
fn numbers_next_to_what_they_count() {
    let question = q_full(
        "or",
        "?",
        Some(1),
        &[
            (
                r#"{"number": {"value": 24, "near": ["ଚକ*", "wheels"], "within": 3}}"#,
                2.0,
            ),
            (
                r#"{"number": {"value": 7, "near": ["ଘୋଡ଼ା*", "horses"]}}"#,
                2.0,
            ),
        ],
    );
    let right = "ସୂର୍ଯ୍ୟଙ୍କ ପଥର ରଥରେ 24ଟି ଚକ ଓ 7ଟି ଘୋଡ଼ା ଅଛି, ଯାହା ସମୟକୁ ସୂଚାଏ।";
    assert_eq!(mets(&question, right), vec![Some(true), Some(true)]);
    // Swapped counts: each number is next to the wrong word.
    let swapped = "ସୂର୍ଯ୍ୟଙ୍କ ପଥର ରଥରେ 7ଟି ଚକ ଓ 24ଟି ଘୋଡ଼ା ଅଛି, ଯାହା ସମୟକୁ ସୂଚାଏ।";
    assert_eq!(mets(&question, swapped), vec![Some(false), Some(false)]);
    assert!(
        whys(&question, swapped)[0].contains("not within 3 words"),
        "{:?}",
        whys(&question, swapped)
    );
    assert_eq!(
        mets(
            &question,
            "The stone chariot of the Sun has 24 wheels and 7 horses."
        ),
        vec![Some(true), Some(true)]
    );
    assert_eq!(
        mets(
            &question,
            "It has 12 wheels, 6 horses, and the day has 24 hours, the week 7 days."
        ),
        vec![Some(false), Some(false)]
    );
}

#[test]
fn near_checks() {
    let question = q_full(
        "ta",
        "?",
        Some(1),
        &[(
            r#"{"near": {"all": [{"mentions": ["ராஜேந்திர*"]}, {"mentions": ["கங்கைகொண்ட*"]}], "within": 4}}"#,
            3.0,
        )],
    );
    assert_eq!(
        mets(&question, "ராஜேந்திர சோழன் கங்கைகொண்ட சோழபுரத்தைக் கட்டினார்."),
        vec![Some(true)]
    );
    assert_eq!(
        mets(
            &question,
            "ராஜேந்திரன் பற்றி பல கதைகள் உள்ளன ஆனால் அந்த நகரம் கங்கைகொண்ட சோழபுரம்."
        ),
        vec![Some(false)]
    );
    let en = q_full(
        "en",
        "?",
        Some(1),
        &[(
            r#"{"near": {"all": [{"mentions": ["revolt"]}, {"number": 1857}, {"regex": "meerut"}], "within": 5}}"#,
            1.0,
        )],
    );
    assert_eq!(
        mets(&en, "The revolt began at Meerut in 1857."),
        vec![Some(true)]
    );
    assert_eq!(
        mets(
            &en,
            "The revolt began at Meerut. Many years of unrest followed it, and in 1857 more."
        ),
        vec![Some(false)]
    );
}

#[test]
fn prefixes_match_inflections() {
    let question = q_full(
        "ta",
        "?",
        Some(1),
        &[
            (r#"{"mentions": ["ராஜராஜ*"]}"#, 1.0),
            (r#"{"mentions": ["சோழ மன்ன*"]}"#, 1.0),
        ],
    );
    assert_eq!(
        mets(&question, "இது ராஜராஜனால் கட்டப்பட்டது, சோழ மன்னரின் கோயில்."),
        vec![Some(true), Some(true)]
    );
    assert_eq!(
        mets(&question, "மகாராஜராஜன் மன்னர் சோழ"),
        vec![Some(false), Some(false)]
    );
}

#[test]
fn every_verdict_is_explained() {
    let question = q(&[
        (r#"{"mentions": ["मेरठ"]}"#, 1.0),
        (r#"{"number": 1857}"#, 1.0),
        (r#"{"script": "Deva"}"#, 1.0),
        (r#"{"words": {"min": 100}}"#, 1.0),
        (r#"{"all": [{"mentions": ["मेरठ"]}, {"number": 1900}]}"#, 1.0),
    ]);
    let w = whys(&question, "विद्रोह मेरठ से शुरू हुआ");
    assert_eq!(w[0], r#"found "मेरठ": "विद्रोह मेरठ से शुरू हुआ""#);
    assert_eq!(w[1], "no number equal to 1857 found");
    assert_eq!(w[2], "Deva is 100% of the letters (at least 50% needed)");
    assert_eq!(w[3], "5 words (at least 100 wanted)");
    assert_eq!(w[4], "no number equal to 1900 found");
    let r = CompiledRubric::new(&question).unwrap();
    for v in r.judge("", &mut Scratch::default()) {
        assert!(v.explanation.is_some_and(|e| !e.is_empty()));
    }
}

#[test]
fn odd_answers_do_not_panic() {
    let question = q(&[
        (
            r#"{"near": {"all": [{"regex": "^"}, {"number": 1}], "within": 1}}"#,
            1.0,
        ),
        (r#"{"mentions": ["a*"], "affirmed": true}"#, 1.0),
        (
            r#"{"number": {"value": 1, "near": ["x"], "within": 1}}"#,
            -1.0,
        ),
    ]);
    let r = CompiledRubric::new(&question).unwrap();
    let mut s = Scratch::default();
    for a in [
        "",
        " ",
        "?",
        "a?",
        "नहीं",
        "1 x नहीं",
        "...",
        "a\u{200D}",
        "9".repeat(400).as_str(),
    ] {
        let _ = r.judge(a, &mut s);
    }
}

#[test]
fn counts_in_sums_lists_and_sentences() {
    // A worked sum ends in the count; a count in the next sentence is not the count.
    let ml = q_full(
        "ml",
        "?",
        Some(1),
        &[(
            r#"{"number": {"value": 2, "near": ["എട്ടുകെട്ട*"], "within": 5}}"#,
            1.0,
        )],
    );
    assert_eq!(
        mets(
            &ml,
            "നാലുകെട്ടിൽ 1 നടുമുറ്റവും, എട്ടുകെട്ടിൽ 8 ÷ 4 = 2 നടുമുറ്റങ്ങളും ഉണ്ടാകും."
        ),
        vec![Some(true)]
    );
    assert_eq!(mets(&ml, "ഇതാണ് എട്ടുകെട്ട്. 2 നടുമുറ്റങ്ങൾ ഉണ്ട്."), vec![Some(false)]);
    // "label: number" lists: the previous label's number, behind a semicolon, does not hide
    // this one's.
    let ta = q_full(
        "ta",
        "?",
        Some(1),
        &[(
            r#"{"number": {"value": 18, "near": ["பட்டியல்*"], "within": 4}}"#,
            1.0,
        )],
    );
    assert_eq!(
        mets(&ta, "மிகவும் பிற்படுத்தப்பட்டோர் 20%; பட்டியல் சாதியினர் 18% ஆகும்."),
        vec![Some(true)]
    );
    // A near window may cross a sentence end (a story told over two sentences).
    let en = q_full(
        "en",
        "?",
        Some(1),
        &[(
            r#"{"near": {"all": [{"mentions": ["lotus*"]}, {"mentions": ["eye"]}], "within": 6}}"#,
            1.0,
        )],
    );
    assert_eq!(
        mets(
            &en,
            "The goddess hid one lotus. Rama offered his eye instead."
        ),
        vec![Some(true)]
    );
}
