//! A synthetic data generator for benchmarks: question sets in all twelve scripts with ten
//! rule-checked criteria each, and any number of answers whose met patterns vary.

use std::io::Write;
use std::path::Path;

/// A small, fast, seeded generator (splitmix64), so data is the same on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

const LANGS: [(&str, u32, &str); 12] = [
    ("bn", 0x0980, "Beng"),
    ("en", 0, "Latn"),
    ("gu", 0x0A80, "Gujr"),
    ("hi", 0x0900, "Deva"),
    ("hi-Latn", 0, "Latn"),
    ("kn", 0x0C80, "Knda"),
    ("ml", 0x0D00, "Mlym"),
    ("mr", 0x0900, "Deva"),
    ("or", 0x0B00, "Orya"),
    ("pa", 0x0A00, "Guru"),
    ("ta", 0x0B80, "Taml"),
    ("te", 0x0C00, "Telu"),
];

use kasauti::dataset::DOMAINS;

/// A pseudo-word in a script: consonant + vowel sign syllables (Latin: lowercase letters).
fn word(rng: &mut Rng, base: u32) -> String {
    let syllables = 2 + rng.below(3);
    let mut w = String::new();
    for _ in 0..syllables {
        if base == 0 {
            w.push((b'a' + rng.below(26) as u8) as char);
            w.push(['a', 'e', 'i', 'o', 'u'][rng.below(5) as usize]);
        } else {
            // Consonants ka..ha and vowel signs aa..au, which every Brahmic block places alike.
            // Some code points in each block are unassigned: draw again until a letter comes.
            let pick = |rng: &mut Rng, from: u32, span: u64| loop {
                if let Some(c) =
                    char::from_u32(from + rng.below(span) as u32).filter(|c| c.is_alphabetic())
                {
                    return c;
                }
            };
            w.push(pick(rng, base + 0x15, 0x24));
            if rng.chance(0.7) {
                w.push(pick(rng, base + 0x3E, 0x0B));
            }
        }
    }
    w
}

/// One question's facts: the phrases and number its rubric checks.
struct Facts {
    native: Vec<String>,
    english: Vec<String>,
    wrong: String,
    year: u32,
    base: u32,
}

/// How long the synthetic answers are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// 10 to 30 words plus the facts (about 300 bytes), no sentence punctuation.
    Short,
    /// About 2 KB of text (1,800 to 2,200 bytes of words), in sentences of 6 to 14 words ending
    /// in a danda (Indic scripts) or a full stop (Latin), some clauses separated by commas.
    Long,
}

impl Shape {
    pub fn from_name(name: &str) -> Option<Shape> {
        match name {
            "short" => Some(Shape::Short),
            "long" => Some(Shape::Long),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Shape::Short => "short",
            Shape::Long => "long",
        }
    }
}

/// Filler words of a long answer: at least `min_bytes` of text in sentences.
fn long_words(rng: &mut Rng, base: u32, min_bytes: usize) -> Vec<String> {
    let end = if base == 0 { "." } else { "\u{0964}" };
    let mut words: Vec<String> = Vec::new();
    let mut bytes = 0;
    while bytes < min_bytes {
        let n = 6 + rng.below(9);
        for k in 0..n {
            let mut w = word(rng, base);
            if k + 1 == n {
                w.push_str(end);
            } else if rng.chance(0.08) {
                w.push(',');
            }
            bytes += w.len() + 1;
            words.push(w);
        }
    }
    words
}

/// Writes `questions` questions with inline rubrics to `dir/questions.jsonl` and `answers`
/// answers of the given shape (five models, round robin over questions and samples) to
/// `dir/answers.jsonl`.
pub fn generate(dir: &Path, questions: usize, answers: usize, shape: Shape) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut rng = Rng::new(0x6b61_7361);
    let mut facts = Vec::with_capacity(questions);
    let mut q = std::io::BufWriter::new(std::fs::File::create(dir.join("questions.jsonl"))?);
    for i in 0..questions {
        let (lang, base, script) = LANGS[i % LANGS.len()];
        let domain = DOMAINS[(i / LANGS.len()) % DOMAINS.len()];
        let f = Facts {
            native: (0..6).map(|_| word(&mut rng, base)).collect(),
            english: (0..6).map(|_| word(&mut rng, 0)).collect(),
            wrong: word(&mut rng, base),
            year: 1500 + rng.below(500) as u32,
            base,
        };
        let prompt: Vec<String> = (0..12).map(|_| word(&mut rng, base)).collect();
        let mut criteria = Vec::new();
        for j in 0..6 {
            let tag = ["axis:accuracy", "axis:completeness"][j % 2];
            criteria.push(serde_json::json!({"criterion": format!("mentions fact {j}"), "points": 1 + rng.below(10),
                "tags": [tag],
                "check": {"mentions": [f.native[j], f.english[j]]}}));
        }
        criteria.push(serde_json::json!({"criterion": "gives the year", "points": 5, "tags": ["axis:accuracy"], "check": {"number": f.year}}));
        criteria.push(serde_json::json!({"criterion": "answers in the language", "points": 2, "tags": ["axis:language"], "check": {"script": script, "min_share": 0.5}}));
        criteria.push(serde_json::json!({"criterion": "is of a reasonable length", "points": 1, "tags": ["axis:completeness"], "check": {"words": {"min": 15, "max": 400}}}));
        criteria.push(serde_json::json!({"criterion": "states the misconception", "points": -4, "tags": ["axis:accuracy"], "check": {"mentions": [f.wrong]}}));
        let line = serde_json::json!({"id": format!("q{i:05}"), "language": lang, "domain": domain, "prompt": prompt.join(" "),
            "prompt_en": "synthetic", "tags": [format!("region:r{}", i % 4)], "rubric": criteria});
        writeln!(q, "{line}")?;
        facts.push(f);
    }
    q.flush()?;
    let mut a = std::io::BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(dir.join("answers.jsonl"))?,
    );
    let models = ["m-alpha", "m-beta", "m-gamma", "m-delta", "m-epsilon"];
    for k in 0..answers {
        let qi = k % questions;
        let model = (k / questions) % models.len();
        let sample = k / (questions * models.len());
        let f = &facts[qi];
        // Better models mention more facts; some answers switch to English.
        let skill = 0.9 - 0.15 * model as f64;
        let english = rng.chance(0.15 + 0.1 * model as f64);
        let base = if english { 0 } else { f.base };
        let mut words: Vec<String> = match shape {
            Shape::Short => (0..(10 + rng.below(20)))
                .map(|_| word(&mut rng, base))
                .collect(),
            Shape::Long => {
                let min_bytes = 1800 + rng.below(400) as usize;
                long_words(&mut rng, base, min_bytes)
            }
        };
        for j in 0..6 {
            if rng.chance(skill) {
                let w = if english {
                    f.english[j].clone()
                } else {
                    f.native[j].clone()
                };
                let at = rng.below(words.len() as u64 + 1) as usize;
                words.insert(at, w);
            }
        }
        if rng.chance(skill) {
            words.push(format!("{}।", f.year));
        }
        if rng.chance(0.2) {
            words.insert(0, f.wrong.clone());
        }
        let line = serde_json::json!({"question_id": format!("q{qi:05}"), "model": models[model], "sample": sample, "answer": words.join(" ")});
        writeln!(a, "{line}")?;
    }
    a.flush()
}
