//! A small bit filter of tokens, asked before a hash table: a token whose bit is clear is in no
//! table entry, so most tokens of an answer are passed over without hashing them.
//!
//! A token's bit comes from its length and its last two bytes (the first bytes of an Indic token
//! are the same for every letter of its block; the last ones vary). A set bit says only "maybe".

/// A filter of `64 * W` bits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenFilter<const W: usize> {
    words: [u64; W],
}

impl<const W: usize> Default for TokenFilter<W> {
    fn default() -> Self {
        TokenFilter { words: [0; W] }
    }
}

/// A token's filter key: its length and its last two bytes (0 where it has fewer), the same
/// for every filter, so that it is worked out once per token (see [`Tokens`](super::Tokens)).
#[inline(always)]
pub fn token_key(token: &[u8]) -> u32 {
    let n = token.len();
    let last = token.last().copied().unwrap_or(0);
    let before = if n >= 2 { token[n - 2] } else { 0 };
    (n as u32) << 16 | u32::from(before) << 8 | u32::from(last)
}

impl<const W: usize> TokenFilter<W> {
    #[inline(always)]
    fn slot(token: &[u8]) -> usize {
        Self::slot_of_key(token_key(token))
    }

    #[inline(always)]
    fn slot_of_key(key: u32) -> usize {
        (key.wrapping_mul(0x9E37_79B1) >> 16) as usize % (64 * W)
    }

    /// Adds a token.
    pub fn insert(&mut self, token: &str) {
        let s = Self::slot(token.as_bytes());
        self.words[s / 64] |= 1 << (s % 64);
    }

    /// Whether the token may have been added (false: it certainly was not).
    #[inline(always)]
    pub fn may_contain(&self, token: &str) -> bool {
        self.may_contain_key(token_key(token.as_bytes()))
    }

    /// [`may_contain`](Self::may_contain) of a token with this [`token_key`].
    #[inline(always)]
    pub fn may_contain_key(&self, key: u32) -> bool {
        let s = Self::slot_of_key(key);
        self.words[s / 64] & (1 << (s % 64)) != 0
    }
}

/// A small set of words asked with each token's [`token_key`]: a bit filter rules most tokens
/// out, then the words with the token's whole key (length and last two bytes) are compared, so
/// that no token is hashed.
#[derive(Debug, Clone, Default)]
pub struct KeyedWords {
    filter: TokenFilter<64>,
    /// (key, word), sorted.
    words: Vec<(u32, Box<str>)>,
}

impl KeyedWords {
    pub fn new<S: AsRef<str>>(words: impl IntoIterator<Item = S>) -> KeyedWords {
        let mut set = KeyedWords::default();
        for w in words {
            let w = w.as_ref();
            set.filter.insert(w);
            set.words.push((token_key(w.as_bytes()), w.into()));
        }
        set.words.sort_unstable();
        set.words.dedup();
        set
    }

    /// Whether `token` (the bytes of a word), whose [`token_key`] is `key`, is one of the words.
    #[inline(always)]
    pub fn contains_keyed(&self, key: u32, token: &[u8]) -> bool {
        self.filter.may_contain_key(key) && {
            let from = self.words.partition_point(|(k, _)| *k < key);
            self.words[from..]
                .iter()
                .take_while(|(k, _)| *k == key)
                .any(|(_, w)| w.as_bytes() == token)
        }
    }

    /// Whether `token` is one of the words.
    pub fn contains(&self, token: &str) -> bool {
        self.contains_keyed(token_key(token.as_bytes()), token.as_bytes())
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Whether there are no words.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_tokens_are_always_found() {
        let words = ["न", "नहीं", "not", "", "a", "ஆனால்", "ಅಲ್ಲ", "x y"];
        let mut f = TokenFilter::<4>::default();
        assert!(words.iter().all(|w| !f.may_contain(w)));
        for w in words {
            f.insert(w);
        }
        assert!(words.iter().all(|w| f.may_contain(w)));
        assert!(words
            .iter()
            .all(|w| f.may_contain_key(token_key(w.as_bytes()))));
        assert_eq!(
            token_key(b"ab"),
            2 << 16 | u32::from(b'a') << 8 | u32::from(b'b')
        );
        assert_eq!(token_key(b"b"), 1 << 16 | u32::from(b'b'));
        // With few tokens in a large filter, most others are ruled out.
        let mut big = TokenFilter::<64>::default();
        big.insert("नहीं");
        big.insert("but");
        let others = ["मंदिर", "राजा", "temple", "king", "built", "কিন্তু", "ఇది"];
        assert!(others.iter().filter(|w| big.may_contain(w)).count() <= 1);
    }

    #[test]
    fn keyed_words_find_exactly_their_words() {
        let words = ["लेकिन", "but", "however", "ஆனால்", "पर", "a"];
        let set = KeyedWords::new(words);
        assert_eq!(set.len(), 6);
        for w in words {
            assert!(set.contains(w), "{w}");
        }
        // Same key (length and last two bytes) as a word, and other words.
        for w in [
            "bet",
            "hut",
            "mowever",
            "लेदिन",
            "पर ",
            "",
            "b",
            "butt",
            "कर",
        ] {
            assert!(!set.contains(w), "{w}");
        }
        assert!(KeyedWords::new(Vec::<&str>::new()).is_empty());
    }
}
