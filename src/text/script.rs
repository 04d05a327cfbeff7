//! Which script a text is written in, for criteria such as "at least half of the letters are
//! Tamil script".

/// Unicode scripts used by the bundled languages, named by their ISO 15924 codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Script {
    /// Bengali (also Assamese).
    Beng,
    /// Devanagari (Hindi, Marathi, Nepali, Sanskrit, …).
    Deva,
    /// Gujarati.
    Gujr,
    /// Gurmukhi (Punjabi).
    Guru,
    /// Kannada.
    Knda,
    /// Latin (English, romanised Indian languages).
    Latn,
    /// Malayalam.
    Mlym,
    /// Odia (Oriya).
    Orya,
    /// Tamil.
    Taml,
    /// Telugu.
    Telu,
}

impl Script {
    /// Every script, in code order; [`dominant_script`] breaks ties in this order.
    pub const ALL: [Script; 10] = [
        Script::Beng,
        Script::Deva,
        Script::Gujr,
        Script::Guru,
        Script::Knda,
        Script::Latn,
        Script::Mlym,
        Script::Orya,
        Script::Taml,
        Script::Telu,
    ];

    /// The script with ISO 15924 code `code`, case-insensitively ("Deva", "deva", "DEVA").
    pub fn from_code(code: &str) -> Option<Script> {
        Script::ALL
            .into_iter()
            .find(|s| s.code().eq_ignore_ascii_case(code))
    }

    /// The ISO 15924 code, in its canonical spelling ("Deva").
    pub fn code(self) -> &'static str {
        match self {
            Script::Beng => "Beng",
            Script::Deva => "Deva",
            Script::Gujr => "Gujr",
            Script::Guru => "Guru",
            Script::Knda => "Knda",
            Script::Latn => "Latn",
            Script::Mlym => "Mlym",
            Script::Orya => "Orya",
            Script::Taml => "Taml",
            Script::Telu => "Telu",
        }
    }

    /// The English name of the script ("Devanagari").
    pub fn name(self) -> &'static str {
        match self {
            Script::Beng => "Bengali",
            Script::Deva => "Devanagari",
            Script::Gujr => "Gujarati",
            Script::Guru => "Gurmukhi",
            Script::Knda => "Kannada",
            Script::Latn => "Latin",
            Script::Mlym => "Malayalam",
            Script::Orya => "Odia",
            Script::Taml => "Tamil",
            Script::Telu => "Telugu",
        }
    }

    /// The script of a character, by Unicode block; `None` for characters of other scripts and for
    /// characters shared between scripts (spaces, ASCII digits and punctuation, danda, combining
    /// marks of the generic blocks).
    pub fn of_char(c: char) -> Option<Script> {
        let cp = c as u32;
        let script = match cp {
            0x0041..=0x005A | 0x0061..=0x007A | 0x00AA | 0x00BA => Script::Latn,
            0x00C0..=0x00D6 | 0x00D8..=0x00F6 | 0x00F8..=0x024F => Script::Latn,
            0x0250..=0x02AF | 0x1D00..=0x1D7F | 0x1E00..=0x1EFF => Script::Latn,
            0x2C60..=0x2C7F | 0xA720..=0xA7FF | 0xAB30..=0xAB6F | 0xFB00..=0xFB06 => Script::Latn,
            0xFF21..=0xFF3A | 0xFF41..=0xFF5A => Script::Latn,
            // Danda and double danda are shared by the Brahmic scripts.
            0x0964 | 0x0965 => return None,
            0x0900..=0x097F | 0xA8E0..=0xA8FF | 0x11B00..=0x11B5F => Script::Deva,
            0x0980..=0x09FF => Script::Beng,
            0x0A00..=0x0A7F => Script::Guru,
            0x0A80..=0x0AFF => Script::Gujr,
            0x0B00..=0x0B7F => Script::Orya,
            0x0B80..=0x0BFF | 0x11FC0..=0x11FFF => Script::Taml,
            0x0C00..=0x0C7F => Script::Telu,
            0x0C80..=0x0CFF => Script::Knda,
            0x0D00..=0x0D7F => Script::Mlym,
            _ => return None,
        };
        Some(script)
    }
}

use super::pass::Letters;

/// Letters per script (indexed like [`Script::ALL`]) and letters in total, as counted before
/// [`Letters`] took over: the reference it is tested against.
///
/// A combining mark outside the script blocks (such as U+0301) counts for the script of the
/// letter it sits on, since it has no script of its own.
#[cfg(test)]
pub(super) fn count_letters(text: &str) -> ([usize; 10], usize) {
    use super::normalize::is_letter;
    use unicode_normalization::char::is_combining_mark;
    let mut counts = [0usize; 10];
    let mut total = 0;
    let mut last: Option<Script> = None;
    for c in text.chars() {
        if !is_letter(c) {
            last = None;
            continue;
        }
        total += 1;
        let script = match Script::of_char(c) {
            Some(s) => Some(s),
            None if is_combining_mark(c) => last,
            None => None,
        };
        if let Some(s) = script {
            counts[s as usize] += 1;
        }
        last = script;
    }
    (counts, total)
}

/// Share (0..=1) of the text's letters that are in `script`; 0.0 when the text has no letters.
///
/// Letters are alphabetic characters and combining marks; digits, punctuation, spaces and
/// ZWJ/ZWNJ are not counted. Works on raw or normalised text alike. When the text is also being
/// normalised, [`analyze_into`](super::analyze_into) gives the same counts in the same pass.
pub fn script_share(text: &str, script: Script) -> f64 {
    Letters::of(text).share(script)
}

/// The script with the most letters and its share of all letters; `None` when no letter is in a
/// known script. Ties go to the script that comes first in [`Script::ALL`].
pub fn dominant_script(text: &str) -> Option<(Script, f64)> {
    Letters::of(text).dominant()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for s in Script::ALL {
            assert_eq!(Script::from_code(s.code()), Some(s));
            assert_eq!(Script::from_code(&s.code().to_uppercase()), Some(s));
            assert_eq!(Script::from_code(&s.code().to_lowercase()), Some(s));
            assert_eq!(Script::ALL[s as usize], s);
        }
        assert_eq!(Script::from_code("DEVA"), Some(Script::Deva));
        assert_eq!(Script::from_code("deva"), Some(Script::Deva));
        assert_eq!(Script::from_code("Arab"), None);
        assert_eq!(Script::from_code(""), None);
        assert_eq!(Script::Deva.name(), "Devanagari");
        assert_eq!(Script::Taml.code(), "Taml");
    }

    #[test]
    fn of_char_by_block() {
        let cases = [
            ('क', Script::Deva),
            ('ক', Script::Beng),
            ('ਕ', Script::Guru),
            ('ક', Script::Gujr),
            ('କ', Script::Orya),
            ('க', Script::Taml),
            ('క', Script::Telu),
            ('ಕ', Script::Knda),
            ('ക', Script::Mlym),
            ('a', Script::Latn),
            ('É', Script::Latn),
            ('\u{093F}', Script::Deva),
        ];
        for (c, s) in cases {
            assert_eq!(Script::of_char(c), Some(s), "{c}");
        }
        for c in [' ', '1', '।', '॥', ',', '\u{200D}', 'ω', 'ا', '×'] {
            assert_eq!(Script::of_char(c), None, "{c}");
        }
    }

    #[test]
    fn share_counts_letters_only() {
        assert_eq!(script_share("", Script::Deva), 0.0);
        assert_eq!(script_share("123 ।,!", Script::Deva), 0.0);
        assert_eq!(script_share("नमस्ते", Script::Deva), 1.0);
        // Digits, danda, ZWNJ and spaces are ignored: 5 Tamil letters (with signs), 4 Latin.
        let s = script_share("தமிழ் 2024। abcd\u{200C}", Script::Taml);
        assert!((s - 5.0 / 9.0).abs() < 1e-12, "{s}");
        assert_eq!(script_share("hello", Script::Taml), 0.0);
        // A generic combining accent belongs to the letter it sits on.
        assert_eq!(script_share("e\u{301}", Script::Latn), 1.0);
    }

    #[test]
    fn dominant_script_of_each_language() {
        let samples = [
            ("भारत की राजधानी नई दिल्ली है", Script::Deva),
            ("আমার সোনার বাংলা", Script::Beng),
            ("ਪੰਜਾਬੀ ਭਾਸ਼ਾ", Script::Guru),
            ("ગુજરાતી ભાષા", Script::Gujr),
            ("ଓଡ଼ିଆ ଭାଷା", Script::Orya),
            ("தமிழ் மொழி", Script::Taml),
            ("తెలుగు భాష", Script::Telu),
            ("ಕನ್ನಡ ಭಾಷೆ", Script::Knda),
            ("മലയാളം ഭാഷ", Script::Mlym),
            ("the quick brown fox", Script::Latn),
        ];
        for (text, script) in samples {
            let (s, share) = dominant_script(text).unwrap();
            assert_eq!(s, script, "{text}");
            assert_eq!(share, 1.0, "{text}");
        }
    }

    #[test]
    fn dominant_script_mixed_and_none() {
        let (s, share) = dominant_script("मैंने DNA test करवाया").unwrap();
        assert_eq!(s, Script::Deva);
        assert!(share > 0.5 && share < 1.0, "{share}");
        assert_eq!(dominant_script(""), None);
        assert_eq!(dominant_script("123 ..."), None);
        assert_eq!(dominant_script("Ελληνικά"), None);
        // Letters of unknown scripts still count in the denominator.
        let (s, share) = dominant_script("ab ωψχφ").unwrap();
        assert_eq!(s, Script::Latn);
        assert!((share - 2.0 / 6.0).abs() < 1e-12);
        // Tie: earlier in Script::ALL wins.
        assert_eq!(dominant_script("ab कख").map(|x| x.0), Some(Script::Deva));
    }
}
