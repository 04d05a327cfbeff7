//! Making text from input files safe to show: on a terminal, in a Markdown table, in a CSV cell.
//!
//! Model names, question ids, tags and criterion text come from files anyone can write. Shown
//! raw, an escape sequence can rewrite the terminal, a `|` or a newline breaks a Markdown table,
//! and a cell starting with `=` runs as a formula when the CSV is opened in a spreadsheet.

use std::borrow::Cow;

/// Whether a character would act on a terminal or reorder text rather than show: C0 and C1
/// controls (ESC, BEL, backspace, …) and the bidirectional overrides and isolates. Tab and newline
/// are controls too: callers that keep them handle them first. ZWJ and ZWNJ are not included:
/// Indic text needs them.
fn is_hazard(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The text with every hazardous character written out as a visible `\u{…}` escape, so it shows
/// what the input holds without acting on the terminal. Newlines become spaces.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_hazard) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            c if is_hazard(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Text for a terminal: like [`visible`], but newlines and tabs are kept, so tables and lists
/// keep their shape. Everything the command line prints goes through this.
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| is_hazard(c) && c != '\n' && c != '\t') {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.split('\n')
            .map(|l| l.split('\t').map(visible).collect::<Vec<_>>().join("\t"))
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// Text for one cell of a Markdown table: visible, on one line, with `|` escaped and `<` written
/// as an entity so that renderers show it as text.
pub fn markdown_cell(s: &str) -> String {
    let v = visible(s);
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            c => out.push(c),
        }
    }
    out
}

/// Text for a CSV cell that a spreadsheet will not run as a formula: visible, and prefixed with
/// `'` when it starts with a character that spreadsheets read as the start of a formula (the
/// OWASP rule: `=`, `+`, `-`, `@`, tab, carriage return). Numbers are written by the caller, not
/// through this function, so a negative score stays a number.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    let formula = s.chars().next().is_some_and(|c| {
        matches!(
            c,
            '=' | '+' | '-' | '@' | '\t' | '\r' | '＝' | '＋' | '－' | '＠'
        )
    });
    let v = visible(s);
    if formula {
        Cow::Owned(format!("'{v}"))
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_untouched() {
        for s in ["sahayak-large", "हिन्दी", "ക്ക്‌", "ਓ'ਡਾਇਰ", "a-b", ""]
        {
            assert!(matches!(visible(s), Cow::Borrowed(_)), "{s}");
            assert_eq!(csv_cell(s), s);
        }
    }

    #[test]
    fn hazards_are_shown_not_obeyed() {
        assert_eq!(visible("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(visible("x\u{7}\u{8}y"), "x\\u{7}\\u{8}y");
        assert_eq!(visible("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(visible("two\nlines"), "two lines");
        assert_eq!(visible("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(terminal("a\tb\nc\u{1b}d\r\n"), "a\tb\nc\\u{1b}d \n");
    }

    #[test]
    fn markdown_cells_stay_in_their_cell() {
        assert_eq!(markdown_cell("a|b\nc"), "a\\|b c");
        assert_eq!(markdown_cell("<script>"), "&lt;script>");
    }

    #[test]
    fn formulas_are_defused() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_cell("+cmd|' /C calc'!A0"), "'+cmd|' /C calc'!A0");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("-2+3"), "'-2+3");
        assert_eq!(csv_cell("\tx"), "' x");
        assert_eq!(csv_cell("＝1+1"), "'＝1+1");
    }
}
