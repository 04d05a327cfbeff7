//! Negation and rebuttal markers of the twelve bundled languages, for telling an answer that
//! asserts something from one that names it only to reject it ("X नहीं", "not X", "X is a myth",
//! "X তা নয়", "X அல்ல").
//!
//! The markers are data: one table per language below. A marker is a word or a few words; it is
//! matched on normalised tokens, so it is written here in any spelling the normaliser folds (nukta
//! or not, chandrabindu or anusvara). Each marker has a reach:
//!
//! * [`Reach::Negator`] (not, नहीं, না, அல்ல, …) negates a phrase in the same clause, before or
//!   after it (Indic languages are verb-final: the negator follows what it negates);
//! * [`Reach::Rebuttal`] (myth, wrong, गलत, ভুল, தவறு, …) rejects a phrase anywhere in the same
//!   sentence, commas included ("X, which is a myth");
//! * [`Reach::Before`] only reaches forward ("instead of X", "rather than X", "unlike X");
//! * [`Reach::After`] only reaches back ("X के बजाय", "X-এর বদলে", "X नसून").
//!
//! A marker reaches at most [`MAX_GAP`] words. Words that end a clause of their own ("but",
//! "बल्कि", "কিন্তু", "ஆனால்") are [`SPLITTERS`]: "not X but Y" negates X only. A few words after a
//! negator undo it ("not only X", "no doubt X", "न केवल X"): [`UNDOING`]. Verbs that carry their
//! negation as an ending (Bengali করেনি, Tamil கட்டவில்லை, Telugu కట్టలేదు, Kannada
//! ಕಟ್ಟಲಿಲ್ಲ) are caught by [`SUFFIXES`], which negate what comes before them in the clause.

use std::collections::HashMap;
use std::sync::OnceLock;

type FxBuild = std::hash::BuildHasherDefault<rustc_hash::FxHasher>;

use super::filter::{token_key, KeyedWords, TokenFilter};
use super::normalize::normalize;
use super::tokens::Tokens;

/// How far and in which direction a marker reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The same clause (no comma between), either side.
    Negator,
    /// The same sentence, either side.
    Rebuttal,
    /// Forward only, same sentence.
    Before,
    /// Backward only, same sentence.
    After,
}

use Reach::{After, Before, Negator, Rebuttal};

/// Most words between a marker and the phrase it negates.
pub const MAX_GAP: usize = 8;

/// Negation and rebuttal markers by language (BCP 47 code).
pub const MARKERS: &[(&str, &[(&str, Reach)])] = &[
    (
        "en",
        &[
            ("not", Negator),
            ("no", Negator),
            ("never", Negator),
            ("nor", Negator),
            ("neither", Negator),
            ("none", Negator),
            ("nothing", Negator),
            ("isn t", Negator),
            ("wasn t", Negator),
            ("aren t", Negator),
            ("weren t", Negator),
            ("doesn t", Negator),
            ("didn t", Negator),
            ("don t", Negator),
            ("can t", Negator),
            ("cannot", Negator),
            ("couldn t", Negator),
            ("won t", Negator),
            ("wouldn t", Negator),
            ("hasn t", Negator),
            ("haven t", Negator),
            ("hadn t", Negator),
            ("myth", Rebuttal),
            ("myths", Rebuttal),
            ("misconception", Rebuttal),
            ("misconceptions", Rebuttal),
            ("misbelief", Rebuttal),
            ("false", Rebuttal),
            ("falsely", Rebuttal),
            ("wrong", Rebuttal),
            ("wrongly", Rebuttal),
            ("incorrect", Rebuttal),
            ("incorrectly", Rebuttal),
            ("untrue", Rebuttal),
            ("mistaken", Rebuttal),
            ("mistakenly", Rebuttal),
            ("erroneous", Rebuttal),
            ("erroneously", Rebuttal),
            ("misattributed", Rebuttal),
            ("misattribution", Rebuttal),
            ("fallacy", Rebuttal),
            ("debunked", Rebuttal),
            ("baseless", Rebuttal),
            ("unfounded", Rebuttal),
            ("instead of", Before),
            ("rather than", Before),
            ("unlike", Before),
            ("as opposed to", Before),
        ],
    ),
    (
        "hi",
        &[
            ("नहीं", Negator),
            ("नही", Negator),
            ("न", Negator),
            ("ना", Negator),
            ("मत", Negator),
            ("कभी नहीं", Negator),
            ("गलत", Rebuttal),
            ("असत्य", Rebuttal),
            ("झूठ", Rebuttal),
            ("झूठा", Rebuttal),
            ("झूठी", Rebuttal),
            ("भ्रम", Rebuttal),
            ("भ्रांति", Rebuttal),
            ("मिथक", Rebuttal),
            ("गलतफहमी", Rebuttal),
            ("निराधार", Rebuttal),
            ("बजाय", After),
            ("बजाए", After),
            ("की जगह", After),
            ("के स्थान पर", After),
        ],
    ),
    (
        "hi-Latn",
        &[
            ("nahi", Negator),
            ("nahin", Negator),
            ("nahee", Negator),
            ("nai", Negator),
            ("mat", Negator),
            ("kabhi nahi", Negator),
            ("galat", Rebuttal),
            ("ghalat", Rebuttal),
            ("jhooth", Rebuttal),
            ("jhoot", Rebuttal),
            ("jhuth", Rebuttal),
            ("jhootha", Rebuttal),
            ("jhoothi", Rebuttal),
            ("bhram", Rebuttal),
            ("galatfehmi", Rebuttal),
            ("galatfahmi", Rebuttal),
            ("myth", Rebuttal),
            ("ke bajay", After),
            ("ke bajaye", After),
            ("ki jagah", After),
        ],
    ),
    (
        "mr",
        &[
            ("नाही", Negator),
            ("नाहीत", Negator),
            ("नव्हे", Negator),
            ("नव्हता", Negator),
            ("नव्हती", Negator),
            ("नव्हते", Negator),
            ("नव्हत्या", Negator),
            ("न", Negator),
            ("नको", Negator),
            ("चुकीचे", Rebuttal),
            ("चुकीचा", Rebuttal),
            ("चुकीची", Rebuttal),
            ("चूक", Rebuttal),
            ("खोटे", Rebuttal),
            ("खोटा", Rebuttal),
            ("खोटी", Rebuttal),
            ("गैरसमज", Rebuttal),
            ("मिथक", Rebuttal),
            ("असत्य", Rebuttal),
            ("भ्रम", Rebuttal),
            ("नसून", After),
            ("ऐवजी", After),
        ],
    ),
    (
        "bn",
        &[
            ("না", Negator),
            ("নয়", Negator),
            ("নন", Negator),
            ("নহে", Negator),
            ("নেই", Negator),
            ("নাই", Negator),
            ("নি", Negator),
            ("ভুল", Rebuttal),
            ("মিথ্যা", Rebuttal),
            ("ভ্রান্ত", Rebuttal),
            ("ভ্রান্তি", Rebuttal),
            ("অসত্য", Rebuttal),
            ("মিথ", Rebuttal),
            ("কল্পকাহিনি", Rebuttal),
            ("ভিত্তিহীন", Rebuttal),
            ("বদলে", After),
            ("পরিবর্তে", After),
        ],
    ),
    (
        "gu",
        &[
            ("નથી", Negator),
            ("નહીં", Negator),
            ("નહિ", Negator),
            ("ન", Negator),
            ("નહોતું", Negator),
            ("નહોતા", Negator),
            ("નહોતી", Negator),
            ("નહોતો", Negator),
            ("ખોટું", Rebuttal),
            ("ખોટી", Rebuttal),
            ("ખોટો", Rebuttal),
            ("ખોટા", Rebuttal),
            ("ભૂલ", Rebuttal),
            ("ભ્રમ", Rebuttal),
            ("ગેરસમજ", Rebuttal),
            ("મિથક", Rebuttal),
            ("અસત્ય", Rebuttal),
            ("બદલે", After),
        ],
    ),
    (
        "kn",
        &[
            ("ಅಲ್ಲ", Negator),
            ("ಇಲ್ಲ", Negator),
            ("ಅಲ್ಲದ", Negator),
            ("ತಪ್ಪು", Rebuttal),
            ("ತಪ್ಪಾಗಿ", Rebuttal),
            ("ತಪ್ಪಾದ", Rebuttal),
            ("ಸುಳ್ಳು", Rebuttal),
            ("ತಪ್ಪುಕಲ್ಪನೆ", Rebuttal),
            ("ತಪ್ಪು ಕಲ್ಪನೆ", Rebuttal),
            ("ಮಿಥ್ಯೆ", Rebuttal),
            ("ಭ್ರಮೆ", Rebuttal),
            ("ಅಸತ್ಯ", Rebuttal),
            ("ಬದಲು", After),
            ("ಬದಲಾಗಿ", After),
        ],
    ),
    (
        "ml",
        &[
            ("അല്ല", Negator),
            ("ഇല്ല", Negator),
            ("അല്ലാത്ത", Negator),
            ("തെറ്റ്", Rebuttal),
            ("തെറ്റാണ്", Rebuttal),
            ("തെറ്റായ", Rebuttal),
            ("തെറ്റായി", Rebuttal),
            ("മിഥ്യ", Rebuttal),
            ("മിഥ്യാധാരണ", Rebuttal),
            ("തെറ്റിദ്ധാരണ", Rebuttal),
            ("അസത്യം", Rebuttal),
            ("കള്ളം", Rebuttal),
            ("പകരം", After),
        ],
    ),
    (
        "or",
        &[
            ("ନୁହେଁ", Negator),
            ("ନୁହଁ", Negator),
            ("ନାହିଁ", Negator),
            ("ନଥିଲା", Negator),
            ("ନଥିଲେ", Negator),
            ("ନ", Negator),
            ("ନା", Negator),
            ("ଭୁଲ", Rebuttal),
            ("ମିଛ", Rebuttal),
            ("ମିଥ୍ୟା", Rebuttal),
            ("ଭ୍ରମ", Rebuttal),
            ("ଭ୍ରାନ୍ତ", Rebuttal),
            ("ଭ୍ରାନ୍ତି", Rebuttal),
            ("ଅସତ୍ୟ", Rebuttal),
            ("ବଦଳରେ", After),
            ("ପରିବର୍ତ୍ତେ", After),
        ],
    ),
    (
        "pa",
        &[
            ("ਨਹੀਂ", Negator),
            ("ਨਹੀ", Negator),
            ("ਨਾ", Negator),
            ("ਨ", Negator),
            ("ਗਲਤ", Rebuttal),
            ("ਝੂਠ", Rebuttal),
            ("ਭੁਲੇਖਾ", Rebuttal),
            ("ਭਰਮ", Rebuttal),
            ("ਮਿੱਥ", Rebuttal),
            ("ਅਸੱਤ", Rebuttal),
            ("ਬਜਾਏ", After),
            ("ਥਾਂ", After),
        ],
    ),
    (
        "ta",
        &[
            ("அல்ல", Negator),
            ("இல்லை", Negator),
            ("அல்லர்", Negator),
            ("அல்லன்", Negator),
            ("அன்று", Negator),
            ("தவறு", Rebuttal),
            ("தவறான", Rebuttal),
            ("தவறாக", Rebuttal),
            ("பொய்", Rebuttal),
            ("கட்டுக்கதை", Rebuttal),
            ("தவறான கருத்து", Rebuttal),
            ("ஆதாரமற்ற", Rebuttal),
            ("பதிலாக", After),
        ],
    ),
    (
        "te",
        &[
            ("కాదు", Negator),
            ("లేదు", Negator),
            ("కాలేదు", Negator),
            ("లేరు", Negator),
            ("తప్పు", Rebuttal),
            ("తప్పుగా", Rebuttal),
            ("అసత్యం", Rebuttal),
            ("అబద్ధం", Rebuttal),
            ("అపోహ", Rebuttal),
            ("కల్పితం", Rebuttal),
            ("మిథ్య", Rebuttal),
            ("భ్రమ", Rebuttal),
            ("బదులు", After),
            ("బదులుగా", After),
        ],
    ),
];

/// Word endings that carry a negation (glued negative verbs); they negate what comes before
/// them in the clause. Only endings long enough not to end ordinary words are listed.
pub const SUFFIXES: &[(&str, &[&str])] = &[
    ("bn", &["েনি", "ননি", "য়নি", "য়নি"]),
    ("kn", &["ಲಿಲ್ಲ", "ದಿಲ್ಲ", "ವುದಿಲ್ಲ", "ನಲ್ಲ", "ರಲ್ಲ", "ಯಲ್ಲ"]),
    ("ml", &["ില്ല", "ിട്ടില്ല", "യല്ല"]),
    ("ta", &["வில்லை", "னல்ல", "ரல்ல", "யல்ல"]),
    ("te", &["లేదు", "కాదు"]),
];

/// Words that end a clause: what follows them is outside the reach of a negator before them
/// ("not X but Y").
pub const SPLITTERS: &[(&str, &[&str])] = &[
    (
        "en",
        &["but", "however", "whereas", "instead", "although", "though"],
    ),
    ("hi", &["बल्कि", "लेकिन", "परंतु", "किंतु", "मगर", "जबकि"]),
    ("hi-Latn", &["balki", "lekin", "magar", "parantu", "jabki"]),
    ("mr", &["पण", "परंतु", "तर", "नसून", "ऐवजी"]),
    ("bn", &["কিন্তু", "বরং", "অথচ", "বদলে", "পরিবর্তে"]),
    ("gu", &["પણ", "પરંતુ", "બલ્કે", "બદલે"]),
    ("kn", &["ಆದರೆ", "ಬದಲಾಗಿ", "ಬದಲು"]),
    ("ml", &["പക്ഷേ", "പക്ഷെ", "എന്നാൽ", "മറിച്ച്", "പകരം"]),
    ("or", &["କିନ୍ତୁ", "ବରଂ", "ପରନ୍ତୁ", "ବଦଳରେ"]),
    ("pa", &["ਪਰ", "ਸਗੋਂ", "ਲੇਕਿਨ", "ਬਲਕਿ", "ਬਜਾਏ"]),
    ("ta", &["ஆனால்", "மாறாக", "ஆனாலும்", "பதிலாக"]),
    ("te", &["కానీ", "అయితే", "బదులుగా", "బదులు"]),
];

/// Words that, right after a negator, undo it: "not only X", "no doubt X", "न केवल X".
pub const UNDOING: &[&str] = &[
    "only",
    "just",
    "merely",
    "doubt",
    "less",
    "केवल",
    "सिर्फ",
    "संदेह",
    "शक",
    "sirf",
    "keval",
    "फक्त",
    "শুধু",
    "কেবল",
    "માત્ર",
    "ಕೇವಲ",
    "മാത്രം",
    "କେବଳ",
    "ਸਿਰਫ",
    "ਕੇਵਲ",
    "மட்டும்",
    "మాత్రమే",
];

/// The last `len` bytes (at most eight) of `b`, packed into a number; `b` has at least `len`.
fn tail(b: &[u8], len: usize) -> u64 {
    b[b.len().saturating_sub(len)..]
        .iter()
        .fold(0, |acc, &x| acc << 8 | u64::from(x))
}

/// The last two bytes of a text, if it has two.
fn last_two(s: &str) -> Option<u16> {
    match s.as_bytes() {
        [.., a, b] => Some(u16::from(*a) << 8 | u16::from(*b)),
        _ => None,
    }
}

/// A marker found in an answer: the tokens it covers and how it reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub first: usize,
    pub last: usize,
    pub reach: Reach,
}

/// The marker tables, normalised and indexed by first token.
#[derive(Debug)]
pub struct Markers {
    /// First token → (all tokens, reach).
    by_first: HashMap<String, Vec<(Vec<String>, Reach)>, FxBuild>,
    /// The first tokens of `by_first`, for ruling most tokens out without hashing them.
    first_filter: TokenFilter<64>,
    /// Every suffix with its tail (its last [`tail_len`](Self::tail_len) bytes, packed), sorted
    /// by tail: a word is compared only with the suffixes whose tail it ends with.
    suffixes: Vec<(u64, String)>,
    /// Bytes of a tail: those of the shortest suffix, at most eight.
    tail_len: usize,
    /// Last byte of every suffix, a bit per byte value, so most words are ruled out with one
    /// lookup.
    suffix_last: [u64; 4],
    /// Last two bytes of every suffix, a bit per value; `None` when some suffix has one byte
    /// (the two-byte test would rule out words it ends).
    suffix_last2: Option<Box<[u64; 1024]>>,
    splitters: KeyedWords,
    undoing: KeyedWords,
}

impl Markers {
    /// The tables of every language, compiled once.
    pub fn get() -> &'static Markers {
        static M: OnceLock<Markers> = OnceLock::new();
        M.get_or_init(|| {
            let mut by_first: HashMap<String, Vec<(Vec<String>, Reach)>, FxBuild> =
                HashMap::default();
            for (_, list) in MARKERS {
                for (text, reach) in *list {
                    let n = normalize(text);
                    let toks: Vec<String> = n.split(' ').map(str::to_string).collect();
                    if let Some(first) = toks.first().cloned() {
                        let e = by_first.entry(first).or_default();
                        if !e.iter().any(|(t, _)| *t == toks) {
                            e.push((toks, *reach));
                        }
                    }
                }
            }
            // Longer markers first, so "kabhi nahi" wins over "kabhi".
            for v in by_first.values_mut() {
                v.sort_by_key(|(t, _)| std::cmp::Reverse(t.len()));
            }
            let suffixes: Vec<String> = SUFFIXES
                .iter()
                .flat_map(|(_, l)| l.iter())
                .map(|s| normalize(s))
                .filter(|s| !s.contains(' ') && !s.is_empty())
                .collect();
            let tail_len = suffixes.iter().map(String::len).min().unwrap_or(0).min(8);
            let mut tailed: Vec<(u64, String)> = suffixes
                .iter()
                .map(|s| (tail(s.as_bytes(), tail_len), s.clone()))
                .collect();
            tailed.sort();
            let mut suffix_last = [0u64; 4];
            for b in suffixes.iter().filter_map(|s| s.bytes().last()) {
                suffix_last[usize::from(b >> 6)] |= 1 << (b & 63);
            }
            let mut last2 = Box::new([0u64; 1024]);
            let mut two_bytes = true;
            for s in &suffixes {
                match last_two(s) {
                    Some(k) => last2[usize::from(k >> 6)] |= 1 << (k & 63),
                    None => two_bytes = false,
                }
            }
            let suffix_last2 = two_bytes.then_some(last2);
            let splitters = KeyedWords::new(
                SPLITTERS
                    .iter()
                    .flat_map(|(_, l)| l.iter())
                    .map(|s| normalize(s)),
            );
            let mut first_filter = TokenFilter::default();
            for t in by_first.keys() {
                first_filter.insert(t);
            }
            let undoing = KeyedWords::new(UNDOING.iter().map(|s| normalize(s)));
            Markers {
                by_first,
                first_filter,
                suffixes: tailed,
                tail_len,
                suffix_last,
                suffix_last2,
                splitters,
                undoing,
            }
        })
    }

    /// Whether the last two bytes of the token with [`token_key`] `key` are those of a suffix
    /// (always, when some suffix is shorter than two bytes).
    #[inline]
    fn ends_like_a_suffix_key(&self, key: u32) -> bool {
        match &self.suffix_last2 {
            None => true,
            // A token of fewer than two bytes is longer than no suffix of two bytes or more.
            Some(bits) => {
                key >> 16 >= 2 && {
                    let k = (key & 0xFFFF) as u16;
                    bits[usize::from(k >> 6)] >> (k & 63) & 1 == 1
                }
            }
        }
    }

    /// Whether `token` is longer than a suffix it ends with.
    #[inline]
    fn ends_with_suffix(&self, token: &str) -> bool {
        let b = token.as_bytes();
        if self.suffixes.is_empty() || b.len() <= self.tail_len {
            return false;
        }
        let t = tail(b, self.tail_len);
        let from = self.suffixes.partition_point(|(k, _)| *k < t);
        self.suffixes[from..]
            .iter()
            .take_while(|(k, _)| *k == t)
            .any(|(_, s)| b.len() > s.len() && b.ends_with(s.as_bytes()))
    }

    /// Whether a normalised token ends a clause ("but", "बल्कि", …).
    pub fn is_splitter(&self, token: &str) -> bool {
        self.is_splitter_keyed(token_key(token.as_bytes()), token.as_bytes())
    }

    /// [`is_splitter`](Self::is_splitter) of a token (its bytes) whose [`token_key`] is `key`.
    #[inline(always)]
    pub fn is_splitter_keyed(&self, key: u32, token: &[u8]) -> bool {
        self.splitters.contains_keyed(key, token)
    }

    /// The markers among normalised `tokens`, in order, appended to `out` (cleared first).
    pub fn scan(&self, tokens: &[&str], out: &mut Vec<Hit>) {
        self.scan_with(tokens.len(), |i| tokens[i], out)
    }

    /// [`scan`](Self::scan) over `n` tokens given by `get`.
    pub fn scan_with<'a>(&self, n: usize, get: impl Fn(usize) -> &'a str, out: &mut Vec<Hit>) {
        self.scan_keyed(n, &get, |i| token_key(get(i).as_bytes()), out)
    }

    /// The markers among the tokens of an answer, appended to `out` (cleared first).
    pub fn scan_tokens(&self, toks: &Tokens, out: &mut Vec<Hit>) {
        self.scan_keyed(toks.len(), |i| toks.get(i), |i| toks.keys[i], out)
    }

    /// [`scan_with`](Self::scan_with), with each token's [`token_key`] given by `key`.
    #[inline]
    fn scan_keyed<'a>(
        &self,
        n: usize,
        get: impl Fn(usize) -> &'a str,
        key: impl Fn(usize) -> u32,
        out: &mut Vec<Hit>,
    ) {
        out.clear();
        let mut i = 0;
        while i < n {
            let k = key(i);
            // The key holds the token's last two bytes: most tokens are ruled out as neither
            // a marker's first token nor a word ending like a suffix without reading them.
            let first = self.first_filter.may_contain_key(k);
            let last = (k & 0xFF) as u8;
            let suffix_like = self.suffix_last[usize::from(last >> 6)] >> (last & 63) & 1 == 1
                && self.ends_like_a_suffix_key(k);
            if !first && !suffix_like {
                i += 1;
                continue;
            }
            let t = get(i);
            let mut matched = None;
            let list = if first { self.by_first.get(t) } else { None };
            if let Some(list) = list {
                for (toks, reach) in list {
                    let k = toks.len();
                    if i + k <= n && toks.iter().enumerate().all(|(j, a)| a == get(i + j)) {
                        matched = Some((k, *reach));
                        break;
                    }
                }
            }
            if matched.is_none() && suffix_like && self.ends_with_suffix(t) {
                matched = Some((1, After));
            }
            match matched {
                Some((k, reach)) => {
                    let undone = matches!(reach, Negator)
                        && i + k < n
                        && self
                            .undoing
                            .contains_keyed(key(i + k), get(i + k).as_bytes());
                    if !undone {
                        out.push(Hit {
                            first: i,
                            last: i + k - 1,
                            reach,
                        });
                    }
                    i += k;
                }
                None => i += 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(text: &str) -> Vec<(usize, Reach)> {
        let n = normalize(text);
        let toks: Vec<&str> = n.split(' ').collect();
        let mut out = Vec::new();
        Markers::get().scan(&toks, &mut out);
        out.into_iter().map(|h| (h.first, h.reach)).collect()
    }

    #[test]
    fn every_language_has_markers_and_splitters() {
        for lang in crate::dataset::LANGUAGES {
            let code = lang.code;
            assert!(
                MARKERS.iter().any(|(l, m)| *l == code && !m.is_empty()),
                "{code}"
            );
            assert!(
                SPLITTERS.iter().any(|(l, m)| *l == code && !m.is_empty()),
                "{code}"
            );
        }
    }

    #[test]
    fn markers_are_found_in_each_script() {
        assert_eq!(hits("सितार मुख्य वाद्य नहीं है"), vec![(3, Negator)]);
        assert_eq!(hits("it isn't the sitar"), vec![(1, Negator)]);
        assert_eq!(hits("ye galat hai"), vec![(1, Rebuttal)]);
        assert_eq!(hits("মুঘলরা তা বানায়নি"), vec![(2, After)]);
        assert_eq!(hits("ராஜராஜன் கட்டவில்லை"), vec![(1, After)]);
        assert_eq!(hits("ರಾಜ ಕಟ್ಟಲಿಲ್ಲ"), vec![(1, After)]);
        assert_eq!(hits("ఇది నిజం కాదు"), vec![(2, Negator)]);
        assert_eq!(hits("instead of stone"), vec![(0, Before)]);
        // Chandrabindu and anusvara spellings match alike.
        assert_eq!(hits("ଏହା ଠିକ୍ ନୁହେଁ"), hits("ଏହା ଠିକ୍ ନୁହେଂ"));
        assert_eq!(hits("ଏହା ଠିକ୍ ନୁହେଁ"), vec![(2, Negator)]);
    }

    #[test]
    fn suffixes_are_found_as_a_scan_of_them_all_finds_them() {
        let m = Markers::get();
        let all: Vec<String> = SUFFIXES
            .iter()
            .flat_map(|(_, l)| l.iter())
            .map(|s| normalize(s))
            .collect();
        let naive = |w: &str| {
            all.iter()
                .any(|s| w.len() > s.len() && w.ends_with(s.as_str()))
        };
        let mut words = vec![String::new(), "নি".to_string(), "a".to_string()];
        for suffix in &all {
            let first = suffix.chars().next().map_or(0, |c| c as u32 & !0x7F);
            let stem = char::from_u32(first + 0x15).unwrap_or('x');
            // After a stem (a negated verb), alone, and with its first character changed so
            // that only its last bytes are a suffix's.
            words.push(format!("{stem}{suffix}"));
            words.push(suffix.clone());
            let rest: String = suffix.chars().skip(1).collect();
            words.push(format!("{stem}a{rest}"));
            words.push(format!("a{rest}"));
            words.push(rest);
        }
        let mut found = 0;
        for w in &words {
            assert_eq!(m.ends_with_suffix(w), naive(w), "{w}");
            found += usize::from(naive(w));
        }
        assert!(found >= all.len(), "{found}");
    }

    #[test]
    fn undoing_words_cancel_a_negator() {
        assert_eq!(hits("not only the sitar"), vec![]);
        assert_eq!(hits("no doubt akbar"), vec![]);
        assert_eq!(hits("न केवल सितार"), vec![]);
        assert_eq!(hits("not the sitar"), vec![(0, Negator)]);
    }

    #[test]
    fn splitters() {
        let m = Markers::get();
        for w in ["but", "बल्कि", "কিন্তু", "ஆனால்", "పక్షే", "ਸਗੋਂ"]
        {
            let n = normalize(w);
            if w == "పక్షే" {
                assert!(!m.is_splitter(&n));
            } else {
                assert!(m.is_splitter(&n), "{w}");
            }
        }
    }
}
