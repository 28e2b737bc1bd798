//! Text from servers made safe to print on a terminal: every control character is shown
//! as an escape, so a hostile answer cannot set the window title (OSC), clear the screen
//! (`ESC[2J`), overwrite a line (CR, BS) or reorder it (bidi overrides).
//!
//! Pure string functions; the CLI applies them to every line it prints, and the log
//! format to every log line.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must not reach a terminal as it is.
fn dangerous(c: char) -> bool {
    c.is_control()
        // Bidirectional overrides and isolates ("Trojan Source"), and marks.
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn escape(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let needs = |c: char| dangerous(c) && !(keep_newlines && c == '\n');
    if !text.chars().any(needs) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if !needs(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 => {
                let _infallible = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _infallible = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// `text` as one printable line: every control character (newlines too) escaped
/// (`\x1b`, `\r`, `\u{9b}`…). Borrows when there is nothing to escape.
#[must_use]
pub fn line(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// `text` with its line breaks kept and every other control character escaped: for
/// blocks of several lines the program itself laid out.
#[must_use]
pub fn block(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_sequences_are_shown_not_obeyed() {
        let hostile = "a\x1b]0;pwned\x07b\x1b[2J\rc\x08d\u{9b}31m\u{202e}e";
        let shown = line(hostile);
        assert_eq!(
            shown,
            "a\\x1b]0;pwned\\x07b\\x1b[2J\\rc\\x08d\\u{9b}31m\\u{202e}e"
        );
        assert!(!shown.chars().any(dangerous));
    }

    #[test]
    fn blocks_keep_their_lines_and_plain_text_is_borrowed() {
        assert_eq!(block("one\ntwo\x1b"), "one\ntwo\\x1b");
        assert_eq!(line("one\ntwo"), "one\\ntwo");
        assert!(matches!(line("plain • text é"), Cow::Borrowed(_)));
    }
}
