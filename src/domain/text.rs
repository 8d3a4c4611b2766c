use super::message::{FieldCode, Refusal};

/// Why a piece of free text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextError {
    /// Nothing a person could read: empty, only spaces, or only invisible characters.
    Empty,
    TooShort {
        min_chars: usize,
    },
    TooLong {
        max_chars: usize,
    },
    ControlCharacter,
}

impl std::fmt::Display for TextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => f.write_str("must not be empty"),
            Self::TooShort { min_chars } => {
                write!(f, "must be at least {min_chars} characters long")
            }
            Self::TooLong { max_chars } => write!(f, "must be at most {max_chars} characters long"),
            Self::ControlCharacter => {
                f.write_str("must not contain control characters other than newline and tab")
            }
        }
    }
}

impl TextError {
    /// The stable code and the bilingual message of this refusal.
    pub fn refusal(self) -> Refusal {
        match self {
            Self::Empty => Refusal::new(FieldCode::Empty, "must not be empty", "ต้องกรอกข้อความ"),
            Self::TooShort { min_chars } => Refusal::new(
                FieldCode::OutOfRange,
                format!("must be at least {min_chars} characters long"),
                format!("ต้องมีความยาวอย่างน้อย {min_chars} ตัวอักษร"),
            ),
            Self::TooLong { max_chars } => Refusal::new(
                FieldCode::TooLong,
                format!("must be at most {max_chars} characters long"),
                format!("ต้องมีความยาวไม่เกิน {max_chars} ตัวอักษร"),
            ),
            Self::ControlCharacter => Refusal::new(
                FieldCode::BadFormat,
                "must not contain control characters other than newline and tab",
                "มีอักขระควบคุมที่ไม่อนุญาต (ใช้ได้เฉพาะการขึ้นบรรทัดใหม่และแท็บ)",
            ),
        }
    }
}

impl From<TextError> for String {
    fn from(error: TextError) -> Self {
        error.to_string()
    }
}

/// Cleans and bounds free text from a client.
///
/// Line endings are normalised to LF (CRLF and lone CR both become LF), the
/// text is trimmed, and its length is counted in characters (Unicode scalar
/// values, so Thai vowels and tone marks count individually) rather than
/// bytes. Control characters other than newline and tab are rejected;
/// invisible format characters such as the zero-width space, which Thai text
/// uses to mark word breaks, are allowed inside text, but text made of nothing
/// else (or of combining marks with no letter to sit on) counts as empty.
pub fn bounded_text(value: &str, min_chars: usize, max_chars: usize) -> Result<String, TextError> {
    let normalised = value.replace("\r\n", "\n").replace('\r', "\n");
    let text = normalised.trim();
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(TextError::ControlCharacter);
    }
    if min_chars > 0 && !text.chars().any(is_visible) {
        return Err(TextError::Empty);
    }
    let length = text.chars().count();
    if length < min_chars {
        return Err(TextError::TooShort { min_chars });
    }
    if length > max_chars {
        return Err(TextError::TooLong { max_chars });
    }
    Ok(text.to_owned())
}

/// Whether a character shows something by itself: not a space, not a combining mark
/// (a Thai vowel or tone mark needs a consonant), not an invisible format character.
fn is_visible(c: char) -> bool {
    !(c.is_whitespace()
        || unicode_normalization::char::is_combining_mark(c)
        || is_invisible_format(c))
}

/// Zero-width and direction characters, fillers that render as blanks, variation
/// selectors and tags: the characters used to make text look empty or reorder it.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}'
        | '\u{17B5}' | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{2800}' | '\u{3164}'
        | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_surrounding_whitespace() {
        assert_eq!(bounded_text("  hello \n", 1, 10).unwrap(), "hello");
        assert_eq!(bounded_text("\u{3000}สวัสดี\u{a0}", 1, 10).unwrap(), "สวัสดี");
    }

    #[test]
    fn counts_characters_not_bytes() {
        // "สวัสดี" is 6 characters but 18 bytes in UTF-8.
        assert_eq!("สวัสดี".len(), 18);
        assert_eq!(bounded_text("สวัสดี", 6, 6).unwrap(), "สวัสดี");
        assert!(bounded_text("สวัสดี", 1, 5).is_err());
        assert!(bounded_text("สวัสดี", 7, 100).is_err());
    }

    #[test]
    fn normalises_crlf_and_lone_cr_to_lf() {
        assert_eq!(bounded_text("a\r\nb\rc\nd", 1, 20).unwrap(), "a\nb\nc\nd");
        // The limit applies after normalisation: CRLF counts as one character.
        assert_eq!(bounded_text("ab\r\ncd", 5, 5).unwrap(), "ab\ncd");
    }

    #[test]
    fn keeps_inner_newlines_and_tabs() {
        assert_eq!(bounded_text("a\n\tb", 1, 10).unwrap(), "a\n\tb");
    }

    #[test]
    fn rejects_other_control_characters() {
        for bad in [
            "a\u{0}b",
            "a\u{7}b",
            "a\u{1b}[31mb",
            "a\u{7f}b",
            "a\u{85}b",
            "a\u{8}b",
        ] {
            assert_eq!(
                bounded_text(bad, 0, 100).unwrap_err().to_string(),
                "must not contain control characters other than newline and tab",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn allows_zero_width_space_used_in_thai() {
        assert!(bounded_text("ตลาด\u{200b}นัด", 1, 100).is_ok());
    }

    #[test]
    fn text_of_invisible_characters_alone_is_empty() {
        for blank in [
            "\u{200b}\u{200b}",
            "\u{200b} \u{feff}\u{2060}",
            "\u{202e}\u{202d}\u{2066}\u{2069}",
            "\u{0301}\u{0308}",
            // Thai vowel and tone marks with no consonant to sit on.
            "\u{0e31}\u{0e48}\u{0e49}",
            "\u{3164}\u{2800}",
            "\u{e0041}\u{e0042}",
        ] {
            assert_eq!(
                bounded_text(blank, 1, 100),
                Err(TextError::Empty),
                "{blank:?}"
            );
        }
        // One letter among them is enough; the marks on a consonant are ordinary Thai.
        assert!(bounded_text("\u{200b}ก\u{200b}", 1, 100).is_ok());
        assert_eq!(bounded_text("กั้น", 1, 100).unwrap(), "กั้น");
        // Where empty is allowed, invisible text stays allowed too.
        assert!(bounded_text("\u{200b}", 0, 100).is_ok());
    }

    #[test]
    fn enforces_the_minimum_and_maximum() {
        assert_eq!(bounded_text("   ", 1, 10).unwrap_err(), TextError::Empty);
        assert_eq!(
            bounded_text("", 1, 10).unwrap_err().to_string(),
            "must not be empty"
        );
        assert_eq!(
            bounded_text("ab", 3, 10).unwrap_err().to_string(),
            "must be at least 3 characters long"
        );
        assert_eq!(
            bounded_text("abcdef", 1, 5).unwrap_err().to_string(),
            "must be at most 5 characters long"
        );
        assert_eq!(bounded_text("abcde", 5, 5).unwrap(), "abcde");
    }

    #[test]
    fn empty_is_allowed_when_the_minimum_is_zero() {
        assert_eq!(bounded_text("  \r\n ", 0, 10).unwrap(), "");
    }

    #[test]
    fn leading_whitespace_does_not_count_towards_the_limit() {
        assert_eq!(bounded_text("      abc      ", 1, 3).unwrap(), "abc");
    }
}
