//! JSON syntax colouring for the feed: keys, strings, numbers, literals and punctuation
//! in distinct colours, like a browser's network panel. A single forward scan that never
//! fails: cut or invalid JSON is coloured as far as it goes.

use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, FontId};

/// Colours for each kind of token.
#[derive(Clone, Copy, Debug)]
pub struct Palette {
    pub key: Color32,
    pub string: Color32,
    pub number: Color32,
    pub literal: Color32,
    pub punctuation: Color32,
}

impl Palette {
    /// Colours that read on the current theme.
    #[must_use]
    pub fn for_theme(dark: bool) -> Self {
        if dark {
            Self {
                key: Color32::from_rgb(0x8c, 0xc8, 0xff),
                string: Color32::from_rgb(0xe6, 0xb4, 0x73),
                number: Color32::from_rgb(0x9c, 0xdc, 0xa0),
                literal: Color32::from_rgb(0xc9, 0x9c, 0xf0),
                punctuation: Color32::from_gray(0x8c),
            }
        } else {
            Self {
                key: Color32::from_rgb(0x0b, 0x55, 0xa8),
                string: Color32::from_rgb(0xa3, 0x4a, 0x00),
                number: Color32::from_rgb(0x1a, 0x7f, 0x37),
                literal: Color32::from_rgb(0x82, 0x3f, 0xc2),
                punctuation: Color32::from_gray(0x70),
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Key,
    Str,
    Number,
    Literal,
    Punct,
}

/// Split `text` into coloured runs: `(byte range, kind)`.
fn tokens(text: &str) -> Vec<(std::ops::Range<usize>, Kind)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let kind = match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(bytes.len());
                let next = bytes[i..].iter().find(|b| !b.is_ascii_whitespace());
                if next == Some(&b':') {
                    Kind::Key
                } else {
                    Kind::Str
                }
            }
            b'-' | b'0'..=b'9' => {
                while i < bytes.len()
                    && matches!(bytes[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                Kind::Number
            }
            b't' | b'f' | b'n' => {
                while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                    i += 1;
                }
                Kind::Literal
            }
            _ => {
                while i < bytes.len()
                    && !matches!(bytes[i], b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n')
                {
                    i += 1;
                }
                Kind::Punct
            }
        };
        // Stay on character boundaries whatever the input.
        while i < bytes.len() && !text.is_char_boundary(i) {
            i += 1;
        }
        if i == start {
            i += 1;
            while i < bytes.len() && !text.is_char_boundary(i) {
                i += 1;
            }
        }
        out.push((start..i, kind));
    }
    out
}

/// A layout job showing `text` coloured as JSON in `font`.
#[must_use]
pub fn json_job(text: &str, font: &FontId, palette: &Palette) -> LayoutJob {
    let mut job = LayoutJob::default();
    for (range, kind) in tokens(text) {
        let color = match kind {
            Kind::Key => palette.key,
            Kind::Str => palette.string,
            Kind::Number => palette.number,
            Kind::Literal => palette.literal,
            Kind::Punct => palette.punctuation,
        };
        job.append(&text[range], 0.0, TextFormat::simple(font.clone(), color));
    }
    job
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(&str, Kind)> {
        tokens(text)
            .into_iter()
            .map(|(r, k)| (&text[r], k))
            .collect()
    }

    #[test]
    fn keys_values_and_punctuation() {
        assert_eq!(
            kinds(r#"{"a": "b", "n": -1.5e3, "t": true}"#),
            [
                ("{", Kind::Punct),
                (r#""a""#, Kind::Key),
                (": ", Kind::Punct),
                (r#""b""#, Kind::Str),
                (", ", Kind::Punct),
                (r#""n""#, Kind::Key),
                (": ", Kind::Punct),
                ("-1.5e3", Kind::Number),
                (", ", Kind::Punct),
                (r#""t""#, Kind::Key),
                (": ", Kind::Punct),
                ("true", Kind::Literal),
                ("}", Kind::Punct),
            ]
        );
    }

    #[test]
    fn escapes_cut_text_and_unicode_do_not_break_it() {
        assert_eq!(kinds(r#""a\"b""#), [(r#""a\"b""#, Kind::Str)]);
        let cut = r#"{"key": "unfinished é"#;
        let joined: String = kinds(cut).iter().map(|(t, _)| *t).collect();
        assert_eq!(joined, cut);
        let odd = "é→ü{\"x\\";
        let joined: String = kinds(odd).iter().map(|(t, _)| *t).collect();
        assert_eq!(joined, odd);
    }
}
