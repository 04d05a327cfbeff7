//! Reading numbers out of normalised text.
//!
//! After normalisation, digits are ASCII, `,` and `.` survive only between two digits and `-` only
//! as a minus sign, so a number is a maximal run of digits, commas and dots, optionally preceded by
//! a minus. Within such a run, commas are thousands separators only where the grouping is valid
//! (Western 1,000,000 or Indian 10,00,000); otherwise they separate numbers ("1,2,3").

/// Numbers in an already normalised text, in order of appearance.
pub fn numbers(normalized: &str) -> Vec<f64> {
    numbers_iter(normalized).collect()
}

/// Iterator over the numbers of an already normalised text, in order of appearance.
pub fn numbers_iter(normalized: &str) -> Numbers<'_> {
    Numbers {
        text: normalized.as_bytes(),
        pos: 0,
        continuing: false,
    }
}

/// Iterator returned by [`numbers_iter`].
#[derive(Debug, Clone)]
pub struct Numbers<'a> {
    text: &'a [u8],
    pos: usize,
    /// Whether `pos` is inside a run whose previous number ended at a separator, so that a minus
    /// sign before the run belongs to the first number only.
    continuing: bool,
}

impl Iterator for Numbers<'_> {
    type Item = f64;

    fn next(&mut self) -> Option<f64> {
        let t = self.text;
        if !self.continuing {
            self.pos = next_digit(t, self.pos)?;
        }
        let start = self.pos;
        let negative = !self.continuing && has_minus_before(t, start);
        self.continuing = false;

        // Integer part: the longest valid comma grouping, or the first group alone.
        let first_end = digits_end(t, start);
        let mut int_end = first_end;
        if first_end - start <= 3 {
            let mut end = first_end;
            let mut candidate = first_end;
            // Walk ",ddd" / ",dd" groups; remember the last place where the grouping could end
            // (after a group of exactly three), stop at a group that can be neither middle nor last.
            while t.get(end) == Some(&b',') && t.get(end + 1).is_some_and(u8::is_ascii_digit) {
                let group_end = digits_end(t, end + 1);
                let len = group_end - end - 1;
                if len == 3 {
                    candidate = group_end;
                } else if len != 2 {
                    break;
                }
                end = group_end;
            }
            int_end = candidate;
        }

        // Decimal part.
        let mut end = int_end;
        if t.get(end) == Some(&b'.') && t.get(end + 1).is_some_and(u8::is_ascii_digit) {
            end = digits_end(t, end + 1);
        }

        // What follows a separator right after this number is the next number of the same run.
        self.pos = end;
        if matches!(t.get(end), Some(b',' | b'.')) && t.get(end + 1).is_some_and(u8::is_ascii_digit)
        {
            self.pos = end + 1;
            self.continuing = true;
        }
        Some(parse(&t[start..end], negative))
    }
}

/// Position of the first ASCII digit at or after `from`. Looks at eight bytes at a time, since
/// answers are long and have few digits.
pub(crate) fn next_digit(t: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let mut i = from;
    while let Some(chunk) = t.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        // Digits become bytes below 10; the lowest byte flagged by the "has a byte below n"
        // test is exact (borrows only move towards higher bytes).
        let x = u64::from_le_bytes(word) ^ (ONES * 0x30);
        let found = x.wrapping_sub(ONES * 10) & !x & (ONES * 0x80);
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    t.get(i..)?
        .iter()
        .position(u8::is_ascii_digit)
        .map(|n| i + n)
}

/// End of the digit run starting at `i`.
fn digits_end(t: &[u8], i: usize) -> usize {
    i + t[i..].iter().take_while(|b| b.is_ascii_digit()).count()
}

/// Whether the digits at `start` are preceded by a minus sign ('-' or U+2212) that is itself not
/// glued to a word (in normalised text it never is; this guards against raw text).
fn has_minus_before(t: &[u8], start: usize) -> bool {
    let sign_len = if start >= 1 && t[start - 1] == b'-' {
        1
    } else if start >= 3 && &t[start - 3..start] == "\u{2212}".as_bytes() {
        3
    } else {
        return false;
    };
    match t[..start - sign_len].last() {
        None => true,
        Some(&b) => !(b.is_ascii_alphanumeric() || b >= 0x80),
    }
}

/// Parses digits with grouping commas and at most one dot; commas are skipped.
fn parse(number: &[u8], negative: bool) -> f64 {
    // A stack buffer covers every realistic number; longer runs take the (rare) heap path.
    let mut stack = [0u8; 64];
    let mut heap = Vec::new();
    let mut len = 0;
    let buf: &mut [u8] = if number.len() < stack.len() {
        &mut stack
    } else {
        heap.resize(number.len() + 1, 0);
        &mut heap
    };
    if negative {
        buf[0] = b'-';
        len = 1;
    }
    for &b in number {
        if b != b',' {
            buf[len] = b;
            len += 1;
        }
    }
    std::str::from_utf8(&buf[..len])
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::super::normalize::normalize;
    use super::*;

    fn nums(s: &str) -> Vec<f64> {
        numbers(&normalize(s))
    }

    #[test]
    fn next_digit_finds_the_first_digit() {
        for len in 0..40 {
            for at in 0..=len {
                for &fill in &[b' ', b'a', 0xE0, 0x2F, 0x3A, 0xB9, 0xFF, 0x00] {
                    let mut t = vec![fill; len];
                    if at < len {
                        t[at] = b'0' + (at % 10) as u8;
                    }
                    let want = t.iter().position(u8::is_ascii_digit);
                    assert_eq!(next_digit(&t, 0), want, "{t:?}");
                }
            }
        }
        let all: Vec<u8> = (0u8..=255).chain(0u8..=255).collect();
        for from in 0..=all.len() {
            assert_eq!(
                next_digit(&all, from),
                all[from..]
                    .iter()
                    .position(u8::is_ascii_digit)
                    .map(|n| from + n)
            );
        }
    }

    #[test]
    fn plain_integers_and_text() {
        assert_eq!(nums(""), Vec::<f64>::new());
        assert_eq!(nums("no numbers here"), Vec::<f64>::new());
        assert_eq!(nums("42"), vec![42.0]);
        assert_eq!(nums("1857 में 3 लोग"), vec![1857.0, 3.0]);
        assert_eq!(nums("007"), vec![7.0]);
    }

    #[test]
    fn western_grouping() {
        assert_eq!(nums("1,000,000"), vec![1_000_000.0]);
        assert_eq!(nums("Rs. 2,125."), vec![2125.0]);
        assert_eq!(nums("114,200 and 276,000"), vec![114_200.0, 276_000.0]);
        assert_eq!(nums("12,345.67"), vec![12345.67]);
    }

    #[test]
    fn indian_grouping() {
        assert_eq!(nums("10,00,000"), vec![1_000_000.0]);
        assert_eq!(nums("1,00,000"), vec![100_000.0]);
        assert_eq!(nums("1,23,45,678.5"), vec![12_345_678.5]);
        // Native digits in several scripts, Indian grouping.
        assert_eq!(nums("१०,००,०००"), vec![1_000_000.0]);
        assert_eq!(nums("১,০০,০০০ টাকা"), vec![100_000.0]);
        assert_eq!(nums("௧,௦௦௦"), vec![1000.0]);
        assert_eq!(nums("౨,౧౨౫"), vec![2125.0]);
        assert_eq!(nums("൫,൬൦൦"), vec![5600.0]);
    }

    #[test]
    fn invalid_grouping_separates() {
        assert_eq!(nums("1,2,3"), vec![1.0, 2.0, 3.0]);
        assert_eq!(nums("1234,567"), vec![1234.0, 567.0]);
        assert_eq!(nums("1,000,00"), vec![1000.0, 0.0]);
        assert_eq!(nums("12,34"), vec![12.0, 34.0]);
        assert_eq!(nums("1,0000"), vec![1.0, 0.0]);
        assert_eq!(nums("-1,2"), vec![-1.0, 2.0]);
    }

    #[test]
    fn decimals() {
        assert_eq!(nums("3.5"), vec![3.5]);
        assert_eq!(nums("0.25"), vec![0.25]);
        assert_eq!(nums("३.५ किलो"), vec![3.5]);
        assert_eq!(nums("3.5.6"), vec![3.5, 6.0]);
        assert_eq!(nums("costs 3.5."), vec![3.5]);
    }

    #[test]
    fn negatives() {
        assert_eq!(nums("-5"), vec![-5.0]);
        assert_eq!(nums("तापमान -१२.५ डिग्री"), vec![-12.5]);
        assert_eq!(nums("(\u{2212}7)"), vec![-7.0]);
        assert_eq!(nums("-1,000"), vec![-1000.0]);
        assert_eq!(nums("1857-58"), vec![1857.0, 58.0]);
        assert_eq!(nums("x-5"), vec![5.0]);
        // Raw (not normalised) text: a hyphen after a word is still not a minus.
        assert_eq!(numbers("1857-58"), vec![1857.0, 58.0]);
        assert_eq!(numbers("a −3"), vec![-3.0]);
    }

    #[test]
    fn glued_to_letters() {
        assert_eq!(nums("१८५७में"), vec![1857.0]);
        assert_eq!(nums("2nd"), vec![2.0]);
        assert_eq!(nums("16টি"), vec![16.0]);
        assert_eq!(nums("$2కు"), vec![2.0]);
        assert_eq!(nums("abc123def45"), vec![123.0, 45.0]);
    }

    #[test]
    fn long_runs_do_not_panic() {
        let long = "9".repeat(500);
        let v = nums(&long);
        assert_eq!(v.len(), 1);
        assert!(v[0].is_infinite());
        let grouped = format!("1{}", ",000".repeat(40));
        assert_eq!(nums(&grouped), vec![1e120]);
    }

    #[test]
    fn iterator_matches_vec() {
        let t = normalize("1, 2,125 and -3.5 then 10,00,000");
        assert_eq!(numbers_iter(&t).collect::<Vec<_>>(), numbers(&t));
        assert_eq!(numbers(&t), vec![1.0, 2125.0, -3.5, 1_000_000.0]);
    }
}
