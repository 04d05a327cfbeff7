use super::super::normalize::{normalize_reference, INDIC_END, INDIC_START};
use super::super::script::count_letters;
use super::super::word_count;
use super::*;
use proptest::prelude::*;

/// The single pass against the previous normaliser, letter count and word count.
fn check(s: &str) -> Result<(), TestCaseError> {
    let mut want = String::new();
    normalize_reference(s, &mut want);
    let mut got = String::from("stale");
    let a = analyze_into(s, &mut got);
    prop_assert_eq!(&got, &want, "input {:?}", s);
    prop_assert_eq!(a.words, word_count(&want), "input {:?}", s);
    let (counts, total) = count_letters(s);
    prop_assert_eq!(a.letters.counts, counts, "input {:?}", s);
    prop_assert_eq!(a.letters.total, total, "input {:?}", s);
    prop_assert_eq!(Letters::of(s), a.letters, "input {:?}", s);
    // With the spaces recorded: the same text and analysis, and every space of the text.
    let mut again = String::from("stale");
    let mut spaces = vec![7, 7];
    let b = analyze_words_into(s, &mut again, &mut spaces);
    prop_assert_eq!(&again, &want, "input {:?}", s);
    prop_assert_eq!(b, a, "input {:?}", s);
    let found: Vec<u32> = want
        .bytes()
        .enumerate()
        .filter(|&(_, c)| c == b' ')
        .map(|(i, _)| i as u32)
        .collect();
    prop_assert_eq!(spaces, found, "input {:?}", s);
    Ok(())
}

/// Characters of every kind the rules treat specially.
pub(in crate::text) fn any_char() -> impl Strategy<Value = char> {
    let indic = (INDIC_START..INDIC_END).prop_filter_map("assigned", char::from_u32);
    let blocks = [
        0x0900u32, 0x0980, 0x0A00, 0x0A80, 0x0B00, 0x0B80, 0x0C00, 0x0C80, 0x0D00,
    ];
    // Letters and signs at the offsets every Brahmic block shares (consonants, nasals,
    // virama, vowel signs, nukta, chandrabindu, digits, chillus).
    let common = (0..blocks.len(), 0u32..0x80)
        .prop_filter_map("assigned", move |(b, off)| char::from_u32(blocks[b] + off));
    let ascii = (0x20u8..0x7F).prop_map(char::from);
    let special = prop::sample::select(
        "\u{200C}\u{200D}\u{FEFF}\u{00AD}\u{200B}\u{2060}\u{FE0F}\u{0301}\u{0307}\u{0323}\u{030C}\u{0345}\
         ,.-\u{2212} \t\n।॥—–“”،、0123456789०৫੬૭୮௯౧೨൩İßΣςÅǰJéÉ\u{1E9E}Ωωᾼﬁΐㄱ가각😀ا"
            .chars()
            .collect::<Vec<_>>(),
    );
    let any = any::<char>();
    prop_oneof![
        3 => indic,
        6 => common,
        3 => ascii,
        3 => special,
        1 => any,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn single_pass_equals_the_previous_normaliser(chars in prop::collection::vec(any_char(), 0..40)) {
        let s: String = chars.into_iter().collect();
        check(&s)?;
    }

    /// The answer's letters as tokens count them while normalising its pieces.
    #[test]
    fn tokens_count_letters_like_the_whole(chars in prop::collection::vec(any_char(), 0..60)) {
        let s: String = chars.into_iter().collect();
        let mut toks = super::super::Tokens::default();
        toks.fill(&s);
        prop_assert_eq!(toks.letters(), &Letters::of(&s), "input {:?}", s);
    }

    /// Text in one script with words, digits and punctuation, as answers are.
    #[test]
    fn single_pass_equals_on_words(
        block in prop::sample::select(vec![0u32, 0x0900, 0x0980, 0x0A00, 0x0A80, 0x0B00, 0x0B80, 0x0C00, 0x0C80, 0x0D00]),
        words in prop::collection::vec((prop::collection::vec(0u32..0x80, 1..8), 0usize..8), 0..20),
    ) {
        let seps = [" ", ", ", "। ", " -", "1,5", ".", "\u{200D}", " 9"];
        let mut s = String::new();
        for (letters, sep) in words {
            for off in letters {
                let c = if block == 0 {
                    char::from(b'A' + (off % 58) as u8)
                } else {
                    char::from_u32(block + off).unwrap_or('x')
                };
                s.push(c);
            }
            s.push_str(seps[sep]);
        }
        check(&s)?;
    }
}

#[test]
fn every_indic_char_in_context() {
    for cp in INDIC_START..INDIC_END {
        let Some(c) = char::from_u32(cp) else {
            continue;
        };
        for s in [
            format!("{c}"),
            format!("क{c}ा"),
            format!("ক{c}\u{09BE}"),
            format!("{c}\u{94D}"),
            format!("ன்{c}"),
            format!("{c}\u{301}a"),
            format!("1{c}2 -{c}5, {c}.7"),
            format!("A{c}\u{200D}{c}"),
            // After and before a single space inside a run of words, and after two.
            format!("क {c}"),
            format!("{c} क {c}"),
            format!("ন্ {c}\u{09BE} {c}"),
            format!("க {c}  {c} 1"),
        ] {
            check(&s).unwrap();
        }
    }
}

#[test]
fn ascii_words_across_single_spaces() {
    for s in [
        "The King of Tanjore built it in 1010 AD",
        "a b  c\td\ne",
        "5 5 and 5,5 or 5 ,5 - 7 -8 x-9",
        "A1 b2 ৫ c3 क d4",
        "word \u{301}x y\u{200D} z",
        "ends with a space ",
        " starts with one",
        "x",
        "x y",
        "MiXeD CaSe WoRdS 0 1",
    ] {
        check(s).unwrap();
    }
}

#[test]
fn every_bmp_char_alone_and_after_a_letter() {
    let mut s = String::new();
    for cp in 0..0x1_0000u32 {
        let Some(c) = char::from_u32(cp) else {
            continue;
        };
        for form in 0..3 {
            s.clear();
            match form {
                0 => s.push(c),
                1 => {
                    s.push('क');
                    s.push(c);
                    s.push('\u{0301}');
                }
                _ => {
                    s.push('J');
                    s.push(c);
                    s.push('5');
                }
            }
            check(&s).unwrap();
        }
    }
}

#[test]
fn analysis_of_an_answer() {
    let mut out = String::new();
    let a = analyze_into("मैंने DNA test करवाया, १८५७ में।", &mut out);
    assert_eq!(out, "मैंने dna test करवाया 1857 में");
    assert_eq!(a.words, 6);
    assert_eq!(a.letters.count(Script::Latn), 7);
    assert_eq!(a.letters.count(Script::Deva), 14);
    assert_eq!(a.letters.total(), 21);
    assert_eq!(a.letters.dominant().map(|d| d.0), Some(Script::Deva));
    assert!((a.letters.share(Script::Latn) - 7.0 / 21.0).abs() < 1e-12);
    let a = analyze_into(" ।, ", &mut out);
    assert_eq!((out.as_str(), a.words, a.letters.total()), ("", 0, 0));
    assert_eq!(a.letters.dominant(), None);
    assert_eq!(a.letters.share(Script::Deva), 0.0);
    // Decomposed input takes the full path and still counts.
    let a = analyze_into("Cafe\u{301} ক\u{09C7}\u{09BE}", &mut out);
    assert_eq!(out, "café ক\u{09CB}");
    assert_eq!(a.words, 2);
    assert_eq!(a.letters.count(Script::Latn), 5);
    assert_eq!(a.letters.count(Script::Beng), 3);
}

#[test]
fn ascii_words_eight_bytes_at_a_time() {
    // Against a byte-by-byte reading, on every byte value at every place of the eight, and on
    // words with single and double spaces.
    fn slow(chunk: &[u8]) -> (usize, usize, Vec<usize>) {
        let ok = |b: u8| b.is_ascii_alphanumeric();
        let mut len = 0;
        let mut spaces = Vec::new();
        while len < 8 {
            let b = chunk[len];
            if ok(b) || (b == b' ' && len + 1 < 8 && ok(chunk[len + 1])) {
                if b == b' ' {
                    spaces.push(len);
                }
                len += 1;
            } else {
                break;
            }
        }
        let letters = chunk[..len]
            .iter()
            .filter(|b| b.is_ascii_alphabetic())
            .count();
        (len, letters, spaces)
    }
    let mut cases: Vec<[u8; 8]> = Vec::new();
    for b in 0..=255u8 {
        for at in 0..8 {
            let mut c = *b"ab1 Cd9z";
            c[at] = b;
            cases.push(c);
        }
    }
    for s in [
        "abc def ",
        "a  b c d",
        " abcdefg",
        "12 34 56",
        "x y z w ",
        "AbCdEfGh",
        "a\u{e9}bcdef",
    ] {
        let mut c = [0u8; 8];
        c.copy_from_slice(&s.as_bytes()[..8]);
        cases.push(c);
    }
    for c in cases {
        let w = AsciiWords::of(&c);
        let spaces: Vec<usize> = (0..8)
            .filter(|k| w.spaces >> (8 * k + 7) & 1 == 1)
            .collect();
        assert_eq!((w.len, w.letters, spaces), slow(&c), "{c:?}");
    }
}

/// Every string of up to four characters over the characters that make a run look back (nasals,
/// viramas, stops, nukta, vowel signs that compose, length marks) and the separators that end a
/// word or a number, in each block: a run reads the characters before the current one from the
/// bytes, at every distance from its start, after a space and after a pending separator.
#[test]
fn runs_look_back_at_every_distance() {
    let offsets = [
        0x19u32, 0x28, 0x4D, 0x15, 0x24, 0x3C, 0x47, 0x3E, 0x57, 0x55, 0x56,
    ];
    let others = [" ", ",", "5", "a"];
    for block in [
        0x0900u32, 0x0980, 0x0A00, 0x0A80, 0x0B00, 0x0B80, 0x0C00, 0x0C80, 0x0D00,
    ] {
        let mut symbols: Vec<String> = offsets
            .iter()
            .filter_map(|&o| char::from_u32(block + o))
            .map(String::from)
            .collect();
        symbols.extend(others.iter().map(|s| s.to_string()));
        let k = symbols.len();
        for len in 1..=4u32 {
            for mut n in 0..k.pow(len) {
                let mut s = String::new();
                for _ in 0..len {
                    s.push_str(&symbols[n % k]);
                    n /= k;
                }
                check(&s).unwrap();
                check(&format!(
                    "{}{s}",
                    char::from_u32(block + 0x15).unwrap_or('x')
                ))
                .unwrap();
            }
        }
    }
}
