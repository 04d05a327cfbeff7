//! Answer-language fidelity: which script an answer is written in, and whether it is mainly in the
//! language the question was asked in.
//!
//! The script decides for most languages. Two pairs share a script and need a cue from the words:
//! English and romanised Hindi (Hinglish) both use Latin letters, and are told apart by function
//! words ("hai", "nahi", "ke", "aur", … against "the", "is", "of", …); Hindi and Marathi both use
//! Devanagari, and an answer counts as the other language only when that language's function
//! words clearly outnumber the asked one's ("आहे", "आणि", "मध्ये" against "है", "और", "में").

use serde::{Deserialize, Serialize};

use super::filter::{token_key, KeyedWords};
use super::pass::Letters;
use super::script::Script;
use super::tokens::Tokens;

/// Share of letters in the asked script above which an answer is "mainly" in it.
pub const MIN_SHARE: f64 = 0.5;

/// The dominant script of an answer and its share of the letters (`answer_script` of a grade
/// line).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AnswerScript {
    /// ISO 15924 code, e.g. `Beng`.
    pub script: String4,
    /// Share of all letters, 0..=1, rounded to two decimals.
    pub share: f64,
}

/// A four-letter script code stored inline (so grade lines need no allocation for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct String4([u8; 4]);

impl String4 {
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("Zyyy")
    }
}

impl Serialize for String4 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for String4 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let b = s.as_bytes();
        if b.len() == 4 && s.is_ascii() {
            Ok(String4([b[0], b[1], b[2], b[3]]))
        } else {
            Ok(String4(*b"Zyyy"))
        }
    }
}

impl From<Script> for String4 {
    fn from(s: Script) -> Self {
        let b = s.code().as_bytes();
        String4([b[0], b[1], b[2], b[3]])
    }
}

/// Function words of romanised Hindi.
const HINGLISH: &[&str] = &[
    "hai", "hain", "nahi", "nahin", "ke", "ki", "ka", "ko", "aur", "bhi", "toh", "mein", "se",
    "ye", "yeh", "woh", "wo", "tha", "thi", "kya", "kyun", "kyunki", "lekin", "jo", "jab", "kar",
    "karke", "hota", "hoti", "hote", "raha", "rahi", "rahe", "wala", "wali", "wale", "gaya",
    "gayi", "diya", "liya", "apne", "apni", "unke", "unki", "iske", "iski", "uske", "uski",
    "isliye", "matlab", "yaani", "jaise", "sabse", "bahut", "kuch", "sirf", "hum", "aap", "mujhe",
    "unhone", "jata", "jaata", "jati", "jaati", "sakte", "sakta", "sakti", "hoga", "hogi", "pe",
    "tak", "liye", "baad", "pehle", "balki", "agar", "phir", "dono",
];

/// Function words of English.
const ENGLISH: &[&str] = &[
    "the", "is", "are", "was", "were", "of", "and", "to", "that", "it", "for", "with", "as", "on",
    "by", "this", "which", "be", "has", "have", "from", "an", "or", "its", "their", "they", "he",
    "she", "at", "these", "those", "been", "who", "what", "why", "how", "also", "because", "would",
    "will", "can", "not", "but",
];

/// Hindi function words that Marathi does not use.
const HINDI: &[&str] = &[
    "है",
    "हैं",
    "था",
    "थी",
    "थे",
    "और",
    "में",
    "को",
    "नहीं",
    "भी",
    "गया",
    "गई",
    "किया",
    "यह",
    "वह",
    "के",
];

/// Marathi function words that Hindi does not use.
const MARATHI: &[&str] = &[
    "आहे",
    "आहेत",
    "आणि",
    "नाही",
    "मध्ये",
    "म्हणून",
    "केले",
    "केली",
    "झाले",
    "झाली",
    "पण",
    "त्यांनी",
    "हे",
    "व",
    "असे",
    "अशी",
    "नव्हते",
    "करून",
    "त्या",
    "ती",
];

/// The function words of one pair of languages that share a script, asked with each word's
/// [`token_key`] so that most words of an answer are passed over without hashing them.
struct PairWords {
    first: KeyedWords,
    second: KeyedWords,
}

impl PairWords {
    fn new(first: &[&'static str], second: &[&'static str]) -> PairWords {
        PairWords {
            first: KeyedWords::new(first),
            second: KeyedWords::new(second),
        }
    }

    /// Which lists `word` (whose filter key is `key`) is on: bit 0 the first, bit 1 the second.
    #[inline]
    fn lists(&self, word: &str, key: u32) -> u8 {
        let w = word.as_bytes();
        u8::from(self.first.contains_keyed(key, w))
            | (u8::from(self.second.contains_keyed(key, w)) << 1)
    }
}

/// The two pairs: Hinglish and English, Hindi and Marathi.
fn pair_words() -> &'static [PairWords; 2] {
    static PAIRS: std::sync::OnceLock<[PairWords; 2]> = std::sync::OnceLock::new();
    PAIRS.get_or_init(|| {
        [
            PairWords::new(HINGLISH, ENGLISH),
            PairWords::new(HINDI, MARATHI),
        ]
    })
}

/// The answer's dominant script (None without letters of a known script) and whether it is
/// mainly in `language` (None for languages other than the twelve of SPEC §2).
pub fn answer_language(answer: &str, language: &str) -> (Option<AnswerScript>, Option<bool>) {
    answer_language_with(answer, language, None)
}

/// [`answer_language`], given the normalised answer when the caller has it already.
pub fn answer_language_with(
    answer: &str,
    language: &str,
    normalized: Option<&str>,
) -> (Option<AnswerScript>, Option<bool>) {
    answer_language_counted(answer, &Letters::of(answer), language, normalized)
}

/// [`answer_language_with`], given the answer's letters per script when the caller has them
/// already (such as [`Tokens::letters`](super::Tokens::letters)).
pub fn answer_language_counted(
    answer: &str,
    letters: &Letters,
    language: &str,
    normalized: Option<&str>,
) -> (Option<AnswerScript>, Option<bool>) {
    let (script, mainly) = script_fits(letters, language);
    if mainly != Some(true) || !needs_words(language) {
        return (script, mainly);
    }
    let owned;
    let norm = match normalized {
        Some(n) => n,
        None => {
            owned = super::normalize(answer);
            &owned
        }
    };
    let words = norm.split(' ').map(|t| (t, token_key(t.as_bytes())));
    (script, Some(words_fit(language, words)))
}

/// [`answer_language_counted`] for an answer already cut into tokens (its letters are
/// [`Tokens::letters`]).
pub fn answer_language_of(tokens: &Tokens, language: &str) -> (Option<AnswerScript>, Option<bool>) {
    let letters = tokens.letters();
    let (script, mainly) = script_fits(letters, language);
    match mainly {
        Some(true) if needs_words(language) => (
            script,
            Some(words_fit(
                language,
                (0..tokens.len()).map(|i| (tokens.get(i), tokens.keys[i])),
            )),
        ),
        _ => (script, mainly),
    }
}

/// The dominant script of letters, and whether they are mainly in the script of `language`
/// (None for a language other than the twelve).
fn script_fits(letters: &Letters, language: &str) -> (Option<AnswerScript>, Option<bool>) {
    let dominant = letters.dominant();
    let script = dominant.map(|(s, share)| AnswerScript {
        script: s.into(),
        share: (share * 100.0).round() / 100.0,
    });
    let Some(known) = crate::dataset::language::known_language(language) else {
        return (script, None);
    };
    // A script with at least half of the letters is the dominant one (a tie is checked apart).
    let mainly = match dominant {
        Some((s, share)) if s == known.script => share >= MIN_SHARE,
        Some((_, share)) if share <= MIN_SHARE => letters.share(known.script) >= MIN_SHARE,
        _ => false,
    };
    (script, Some(mainly))
}

/// Whether the asked language needs function words to be told apart from another one of its
/// script.
fn needs_words(language: &str) -> bool {
    matches!(language, "en" | "hi-Latn" | "hi" | "mr")
}

/// Whether the function words of the answer's `words` (each with its [`token_key`]) fit the
/// asked language (for the languages that share a script).
fn words_fit<'a>(language: &str, words: impl Iterator<Item = (&'a str, u32)>) -> bool {
    // Both lists of the pair are counted in one pass over the words, with one lookup for the
    // few words the filter lets through.
    let pair = match language {
        "en" | "hi-Latn" => &pair_words()[0],
        _ => &pair_words()[1],
    };
    let (mut a, mut b) = (0usize, 0usize);
    for (t, key) in words {
        let on = pair.lists(t, key);
        a += usize::from(on & 1);
        b += usize::from(on >> 1);
    }
    match language {
        "en" | "hi-Latn" => {
            let is_hinglish = a > b;
            (language == "hi-Latn") == is_hinglish
        }
        _ => {
            let (asked, other) = if language == "hi" { (a, b) } else { (b, a) };
            !(other >= 3 && other > 2 * asked)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_lang(answer: &str, lang: &str) -> Option<bool> {
        answer_language(answer, lang).1
    }

    #[test]
    fn script_and_share() {
        // উত্তর দিলাম: 10 Bengali letters (vowel signs and virama count); "in Bengal": 8 Latin.
        let (s, ok) = answer_language("উত্তর দিলাম in Bengal", "bn");
        let s = s.unwrap();
        assert_eq!(s.script.as_str(), "Beng");
        assert_eq!(s.share, 0.56);
        assert_eq!(ok, Some(true));
        assert_eq!(in_lang("An answer in English only.", "bn"), Some(false));
        assert_eq!(in_lang("தமிழில் பதில்", "ta"), Some(true));
        assert_eq!(in_lang("தமிழில் பதில்", "te"), Some(false));
        assert_eq!(answer_language("123 ...", "ta"), (None, Some(false)));
        assert_eq!(in_lang("whatever", "xx"), None);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, r#"{"script":"Beng","share":0.56}"#);
        let back: AnswerScript = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn hinglish_is_told_apart_from_english() {
        let hinglish = "Hawa Mahal ko Sawai Pratap Singh ne 1799 mein banwaya tha, aur iski khidkiyan hawa ke liye hain.";
        let english = "Hawa Mahal was built by Sawai Pratap Singh in 1799, and its windows are for the breeze.";
        assert_eq!(in_lang(hinglish, "hi-Latn"), Some(true));
        assert_eq!(in_lang(hinglish, "en"), Some(false));
        assert_eq!(in_lang(english, "en"), Some(true));
        assert_eq!(in_lang(english, "hi-Latn"), Some(false));
        // Devanagari Hindi is not Hinglish.
        assert_eq!(in_lang("हवा महल 1799 में बना था", "hi-Latn"), Some(false));
    }

    #[test]
    fn every_function_word_is_found_on_its_lists() {
        let pairs = pair_words();
        for (pair, first, second) in [(&pairs[0], HINGLISH, ENGLISH), (&pairs[1], HINDI, MARATHI)] {
            for w in first.iter().chain(second) {
                let want = u8::from(first.contains(w)) | u8::from(second.contains(w)) << 1;
                assert_eq!(pair.lists(w, token_key(w.as_bytes())), want, "{w}");
            }
            for w in ["", "मंदिर", "temple", "hai ", "आहेत्", "the."] {
                assert_eq!(pair.lists(w, token_key(w.as_bytes())), 0, "{w}");
            }
        }
    }

    #[test]
    fn hindi_and_marathi_share_devanagari() {
        let hindi = "यह मंदिर राष्ट्रकूट राजा ने बनवाया था और यह एक ही चट्टान में काटा गया है।";
        let marathi = "हे मंदिर राष्ट्रकूट राजाने घडवले आणि ते एकाच खडकात कोरले आहे, म्हणून ते कठीण आहे.";
        assert_eq!(in_lang(hindi, "hi"), Some(true));
        assert_eq!(in_lang(marathi, "mr"), Some(true));
        assert_eq!(in_lang(marathi, "hi"), Some(false));
        assert_eq!(in_lang(hindi, "mr"), Some(false));
        // Too few cues: Devanagari counts for both.
        assert_eq!(in_lang("कैलास मंदिर", "hi"), Some(true));
        assert_eq!(in_lang("कैलास मंदिर", "mr"), Some(true));
    }
}
