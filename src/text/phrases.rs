//! Phrase sets: many phrases compiled once and matched at word boundaries in normalised text.

use std::fmt;

use std::collections::HashMap;

use super::normalize::normalize_into;

/// A phrase that cannot be used, with the index of the phrase in the input slice.
#[derive(Debug, Clone, PartialEq)]
pub struct PhraseError {
    /// Index of the offending phrase; equal to the number of phrases when the set as a whole could
    /// not be compiled.
    pub index: usize,
    /// What is wrong, for people.
    pub message: String,
}

impl fmt::Display for PhraseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "phrase {}: {}", self.index, self.message)
    }
}

impl std::error::Error for PhraseError {}

/// A set of phrases compiled once (for example all phrases of all criteria of one rubric) and
/// matched many times against normalised answers.
///
/// Phrases are normalised with the same function as answers. Phrases that normalise to the same
/// string are all reported.
///
/// Matching works on tokens. In normalised text every character is a word character, a single
/// space, or a `,` `.` `-` inside a number (which counts as part of its word), so a phrase
/// occurs at word boundaries exactly when it equals a run of whole space-separated tokens. The
/// set is a hash table of phrases plus a table of their first tokens: scanning an answer costs
/// one small lookup per token, in tables of a few hundred bytes that stay in cache even when a
/// grader holds thousands of rubrics.
#[derive(Debug, Clone)]
pub struct PhraseSet {
    /// Each distinct normalised phrase, with the indices of the input phrases it stands for.
    phrases: HashMap<Box<str>, Vec<usize>, FxBuild>,
    /// The first token of every phrase, and the most tokens a phrase starting with it has.
    first: HashMap<Box<str>, usize, FxBuild>,
    /// The normalised phrases, by input index.
    normalized: Vec<String>,
    /// A bit for every first token, by [`token_bit`]: a token whose bit is clear starts no
    /// phrase, so most tokens of an answer are passed over without hashing them.
    first_bits: u128,
}

/// A bit chosen by a token's length and last byte (the first byte of an Indic token is the same
/// for every letter of its block; the last varies).
#[inline]
fn token_bit(token: &[u8]) -> u128 {
    let last = token.last().copied().unwrap_or(0);
    1u128 << ((token.len().wrapping_mul(31).wrapping_add(usize::from(last))) & 127)
}

type FxBuild = std::hash::BuildHasherDefault<rustc_hash::FxHasher>;

impl PhraseSet {
    /// Compiles `phrases`, normalising each. A phrase that is empty after normalisation (for
    /// example only punctuation) is an error naming its index, since it would match everywhere.
    pub fn new<S: AsRef<str>>(phrases: &[S]) -> Result<PhraseSet, PhraseError> {
        let mut normalized = Vec::with_capacity(phrases.len());
        let mut map: HashMap<Box<str>, Vec<usize>, FxBuild> = HashMap::default();
        let mut first: HashMap<Box<str>, usize, FxBuild> = HashMap::default();
        let mut buf = String::new();
        let mut first_bits = 0u128;
        for (index, phrase) in phrases.iter().enumerate() {
            normalize_into(phrase.as_ref(), &mut buf);
            if buf.is_empty() {
                return Err(PhraseError {
                    index,
                    message: format!("phrase {:?} is empty after normalisation", phrase.as_ref()),
                });
            }
            let tokens = buf.split(' ').count();
            let head = buf.split(' ').next().unwrap_or_default();
            first_bits |= token_bit(head.as_bytes());
            let longest = first.entry(head.into()).or_insert(0);
            *longest = (*longest).max(tokens);
            map.entry(buf.as_str().into()).or_default().push(index);
            normalized.push(buf.clone());
        }
        Ok(PhraseSet {
            phrases: map,
            first,
            normalized,
            first_bits,
        })
    }

    /// Number of phrases (as given, duplicates included).
    pub fn len(&self) -> usize {
        self.normalized.len()
    }

    /// Whether the set has no phrases (it then matches nothing).
    pub fn is_empty(&self) -> bool {
        self.normalized.is_empty()
    }

    /// The normalised form of phrase `index`, as it is matched.
    pub fn phrase(&self, index: usize) -> Option<&str> {
        self.normalized.get(index).map(String::as_str)
    }

    /// Calls `hit(owners)` for every run of whole tokens of `normalized` that is a phrase; stops
    /// early when `hit` returns false.
    fn scan(&self, normalized: &str, mut hit: impl FnMut(&[usize]) -> bool) {
        if self.phrases.is_empty() {
            return;
        }
        let bytes = normalized.as_bytes();
        let token_end =
            |from: usize| memchr::memchr(b' ', &bytes[from..]).map_or(bytes.len(), |i| from + i);
        let mut start = 0;
        while start < bytes.len() {
            let end = token_end(start);
            if end > start && self.first_bits & token_bit(&bytes[start..end]) != 0 {
                if let Some(&longest) = self.first.get(&normalized[start..end]) {
                    let mut stop = end;
                    for k in 1..=longest {
                        if let Some(owners) = self.phrases.get(&normalized[start..stop]) {
                            if !hit(owners) {
                                return;
                            }
                        }
                        if k == longest || stop >= bytes.len() {
                            break;
                        }
                        stop = token_end(stop + 1);
                    }
                }
            }
            start = end + 1;
        }
    }

    /// For an already normalised text, sets `found[i] = true` for every phrase `i` that occurs at
    /// word boundaries, and `false` for the others; `found` is resized to [`len`](Self::len).
    /// Every occurrence counts: one inside a longer phrase or a longer word elsewhere does not
    /// hide it.
    pub fn find_into(&self, normalized: &str, found: &mut Vec<bool>) {
        found.clear();
        found.resize(self.len(), false);
        let mut remaining = self.phrases.len();
        self.scan(normalized, |owners| {
            if !found[owners[0]] {
                for &i in owners {
                    found[i] = true;
                }
                remaining -= 1;
            }
            remaining > 0
        });
    }

    /// Whether any phrase occurs at word boundaries in an already normalised text.
    pub fn any(&self, normalized: &str) -> bool {
        let mut any = false;
        self.scan(normalized, |_| {
            any = true;
            false
        });
        any
    }
}

#[cfg(test)]
mod tests {
    use super::super::normalize::normalize;
    use super::*;

    fn found(set: &PhraseSet, text: &str) -> Vec<bool> {
        let mut f = Vec::new();
        set.find_into(&normalize(text), &mut f);
        f
    }

    #[test]
    fn shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<PhraseSet>();
        assert_send_sync::<PhraseError>();
    }

    #[test]
    fn empty_phrase_is_an_error_naming_its_index() {
        let err = PhraseSet::new(&["दिल्ली", "ok", " ।, ", "x"]).unwrap_err();
        assert_eq!(err.index, 2);
        assert!(err.message.contains("empty"), "{}", err.message);
        assert_eq!(PhraseSet::new(&[""]).unwrap_err().index, 0);
        assert_eq!(PhraseSet::new(&["\u{200D}"]).unwrap_err().index, 0);
        assert!(err.to_string().starts_with("phrase 2:"));
    }

    #[test]
    fn empty_set_and_empty_text() {
        let none: [&str; 0] = [];
        let set = PhraseSet::new(&none).unwrap();
        assert!(set.is_empty());
        assert!(!set.any("anything"));
        assert_eq!(found(&set, "anything"), Vec::<bool>::new());
        let set = PhraseSet::new(&["a"]).unwrap();
        assert_eq!(found(&set, ""), vec![false]);
        assert!(!set.any(""));
    }

    #[test]
    fn devanagari_word_boundaries() {
        let set = PhraseSet::new(&["दिल", "दिल्ली"]).unwrap();
        assert_eq!(found(&set, "वह दिल्ली गया"), vec![false, true]);
        assert_eq!(found(&set, "मेरा दिल"), vec![true, false]);
        // Inside a word at one place, alone at another: overlapping search finds both.
        assert_eq!(found(&set, "दिल्ली में मेरा दिल है"), vec![true, true]);
        // A vowel sign after the match is a mark, so no match (दिला).
        assert_eq!(found(&set, "दिला"), vec![false, false]);
    }

    #[test]
    fn latin_word_boundaries() {
        let set = PhraseSet::new(&["ram", "Ramayan", "sita ram"]).unwrap();
        assert_eq!(found(&set, "The Ramayan"), vec![false, true, false]);
        assert_eq!(
            found(&set, "Ram, and the ramayan."),
            vec![true, true, false]
        );
        assert_eq!(found(&set, "Sita-Ram!"), vec![true, false, true]);
        assert_eq!(found(&set, "ram2"), vec![false, false, false]);
        assert!(!set.any(&normalize("param")));
        assert!(set.any(&normalize("(ram)")));
    }

    #[test]
    fn multi_word_phrases_across_normalised_spaces() {
        let set = PhraseSet::new(&["नई दिल्ली", "1857 का विद्रोह"]).unwrap();
        assert_eq!(found(&set, "राजधानी:  नई\n\tदिल्ली।"), vec![true, false]);
        assert_eq!(found(&set, "१८५७ का  विद्रोह"), vec![false, true]);
    }

    #[test]
    fn phrases_are_normalised_like_answers() {
        let set = PhraseSet::new(&["हिन्दी", "क़लम", "অবশেষে", "അവൻ"]).unwrap();
        assert_eq!(set.phrase(0), Some("हिंदी"));
        assert_eq!(
            found(&set, "हिंदी कलम অবশেষে അവന്\u{200D}"),
            vec![true, true, true, true]
        );
    }

    #[test]
    fn mixed_script_set() {
        let phrases = [
            "Taj Mahal",
            "ताजमहल",
            "তাজমহল",
            "தாஜ் மஹால்",
            "తాజ్ మహల్",
            "താജ് മഹൽ",
            "ਤਾਜ ਮਹਿਲ",
            "ତାଜମହଲ",
            "તાજમહેલ",
            "ತಾಜ್ ಮಹಲ್",
        ];
        let set = PhraseSet::new(&phrases).unwrap();
        assert_eq!(set.len(), 10);
        let text = "ताजमहल आगरा में है; in English the Taj Mahal. ತಾಜ್ ಮಹಲ್!";
        let f = found(&set, text);
        let want: Vec<bool> = (0..10).map(|i| matches!(i, 0 | 1 | 9)).collect();
        assert_eq!(f, want);
        for (i, p) in phrases.iter().enumerate() {
            let mut f = Vec::new();
            set.find_into(&normalize(&format!("({p})")), &mut f);
            assert!(f[i], "phrase {i} alone");
            assert_eq!(f.iter().filter(|&&b| b).count(), 1, "phrase {i} alone");
        }
    }

    #[test]
    fn duplicate_phrases_all_marked() {
        let set = PhraseSet::new(&["Delhi", "delhi!", "DELHI", "Mumbai"]).unwrap();
        assert_eq!(
            found(&set, "I live in Delhi"),
            vec![true, true, true, false]
        );
    }

    #[test]
    fn numbers_are_whole_tokens() {
        let set = PhraseSet::new(&["1", "1,000", "5", "3.5"]).unwrap();
        assert_eq!(found(&set, "1,000"), vec![false, true, false, false]);
        assert_eq!(found(&set, "-5 and 3.55"), vec![false, false, false, false]);
        assert_eq!(found(&set, "5 and 3.5"), vec![false, false, true, true]);
        // A number glued to a suffix is not the phrase "5" (the boundary is a letter).
        assert_eq!(found(&set, "5वाँ"), vec![false, false, false, false]);
    }

    #[test]
    fn found_is_resized_and_reset() {
        let set = PhraseSet::new(&["a", "b"]).unwrap();
        let mut f = vec![true; 7];
        set.find_into("c", &mut f);
        assert_eq!(f, vec![false, false]);
        set.find_into("b a", &mut f);
        assert_eq!(f, vec![true, true]);
    }

    #[test]
    fn overlapping_phrases() {
        let set = PhraseSet::new(&["new", "new delhi", "delhi", "ew"]).unwrap();
        assert_eq!(found(&set, "new delhi"), vec![true, true, true, false]);
        assert_eq!(found(&set, "renew delhi"), vec![false, false, true, false]);
    }
}
