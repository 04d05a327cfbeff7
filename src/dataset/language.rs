//! Language codes (BCP 47) and the domains of the bundled sets.

use crate::text::Script;

/// A language the bundled sets use, with its expected script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownLanguage {
    pub code: &'static str,
    pub name: &'static str,
    pub script: Script,
}

/// The twelve languages of the bundled sets (SPEC §2).
pub const LANGUAGES: [KnownLanguage; 12] = [
    KnownLanguage {
        code: "bn",
        name: "Bengali",
        script: Script::Beng,
    },
    KnownLanguage {
        code: "en",
        name: "English",
        script: Script::Latn,
    },
    KnownLanguage {
        code: "gu",
        name: "Gujarati",
        script: Script::Gujr,
    },
    KnownLanguage {
        code: "hi",
        name: "Hindi",
        script: Script::Deva,
    },
    KnownLanguage {
        code: "hi-Latn",
        name: "Hinglish",
        script: Script::Latn,
    },
    KnownLanguage {
        code: "kn",
        name: "Kannada",
        script: Script::Knda,
    },
    KnownLanguage {
        code: "ml",
        name: "Malayalam",
        script: Script::Mlym,
    },
    KnownLanguage {
        code: "mr",
        name: "Marathi",
        script: Script::Deva,
    },
    KnownLanguage {
        code: "or",
        name: "Odia",
        script: Script::Orya,
    },
    KnownLanguage {
        code: "pa",
        name: "Punjabi",
        script: Script::Guru,
    },
    KnownLanguage {
        code: "ta",
        name: "Tamil",
        script: Script::Taml,
    },
    KnownLanguage {
        code: "te",
        name: "Telugu",
        script: Script::Telu,
    },
];

/// IndQA's ten cultural domains, used by the bundled sets.
pub const DOMAINS: [&str; 10] = [
    "architecture_and_design",
    "arts_and_culture",
    "everyday_life",
    "food_and_cuisine",
    "history",
    "law_and_ethics",
    "literature_and_linguistics",
    "media_and_entertainment",
    "religion_and_spirituality",
    "sports_and_recreation",
];

/// Aliases accepted besides codes and English names.
const ALIASES: [(&str, &str); 9] = [
    ("hinglish", "hi-Latn"),
    ("hi-latn", "hi-Latn"),
    ("hi_latn", "hi-Latn"),
    ("oriya", "or"),
    ("odia", "or"),
    ("bangla", "bn"),
    ("panjabi", "pa"),
    ("ory", "or"),
    ("hin", "hi"),
];

/// The result of reading a language field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanguageCode {
    /// The canonical code (`hi-Latn`, `or`, …), or the input trimmed when unknown.
    pub code: String,
    /// Whether the code is one of the twelve bundled languages.
    pub known: bool,
}

/// Reads a language code case-insensitively, accepting English names and common aliases.
pub fn parse_language(input: &str) -> LanguageCode {
    let trimmed = input.trim();
    let lower = trimmed.to_ascii_lowercase();
    for lang in LANGUAGES {
        if lang.code.eq_ignore_ascii_case(&lower) || lang.name.eq_ignore_ascii_case(&lower) {
            return LanguageCode {
                code: lang.code.to_string(),
                known: true,
            };
        }
    }
    for (alias, code) in ALIASES {
        if alias == lower {
            return LanguageCode {
                code: code.to_string(),
                known: true,
            };
        }
    }
    LanguageCode {
        code: trimmed.to_string(),
        known: false,
    }
}

/// The bundled language for a canonical code.
pub fn known_language(code: &str) -> Option<&'static KnownLanguage> {
    LANGUAGES.iter().find(|l| l.code == code)
}

/// The display name of a language code (the code itself when unknown).
pub fn language_name(code: &str) -> &str {
    known_language(code).map(|l| l.name).unwrap_or(code)
}

/// "Hindi (hi)" for a bundled language, the code itself for others.
pub fn language_label(code: &str) -> String {
    let name = language_name(code);
    if name == code {
        code.to_string()
    } else {
        format!("{name} ({code})")
    }
}

/// Whether a domain id is one of IndQA's ten.
pub fn is_known_domain(domain: &str) -> bool {
    DOMAINS.contains(&domain)
}

/// Whether a string is a snake_case id (lowercase ASCII letters, digits and underscores).
pub fn is_snake_case(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !s.starts_with('_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_names_and_aliases() {
        assert_eq!(parse_language("HI").code, "hi");
        assert_eq!(parse_language("Hinglish").code, "hi-Latn");
        assert_eq!(parse_language("hi-latn").code, "hi-Latn");
        assert_eq!(parse_language("oriya").code, "or");
        assert_eq!(parse_language("Odia").code, "or");
        assert_eq!(parse_language("bangla").code, "bn");
        assert_eq!(parse_language("Tamil").code, "ta");
        let other = parse_language("sa");
        assert!(!other.known);
        assert_eq!(other.code, "sa");
    }

    #[test]
    fn snake_case() {
        assert!(is_snake_case("food_and_cuisine"));
        assert!(!is_snake_case("Food"));
        assert!(!is_snake_case(""));
        assert!(!is_snake_case("a-b"));
    }
}
