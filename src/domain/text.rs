/// Cleans and bounds free text from a client.
///
/// Line endings are normalised to LF (CRLF and lone CR both become LF), the
/// text is trimmed, and its length is counted in characters (Unicode scalar
/// values, so Thai vowels and tone marks count individually) rather than
/// bytes. Control characters other than newline and tab are rejected;
/// invisible format characters such as the zero-width space, which Thai text
/// uses to mark word breaks, are allowed.
pub fn bounded_text(value: &str, min_chars: usize, max_chars: usize) -> Result<String, String> {
    let normalised = value.replace("\r\n", "\n").replace('\r', "\n");
    let text = normalised.trim();
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err("must not contain control characters other than newline and tab".to_owned());
    }
    let length = text.chars().count();
    if length < min_chars {
        return Err(if length == 0 {
            "must not be empty".to_owned()
        } else {
            format!("must be at least {min_chars} characters long")
        });
    }
    if length > max_chars {
        return Err(format!("must be at most {max_chars} characters long"));
    }
    Ok(text.to_owned())
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
                bounded_text(bad, 0, 100).unwrap_err(),
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
    fn enforces_the_minimum_and_maximum() {
        assert_eq!(bounded_text("   ", 1, 10).unwrap_err(), "must not be empty");
        assert_eq!(bounded_text("", 1, 10).unwrap_err(), "must not be empty");
        assert_eq!(
            bounded_text("ab", 3, 10).unwrap_err(),
            "must be at least 3 characters long"
        );
        assert_eq!(
            bounded_text("abcdef", 1, 5).unwrap_err(),
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
