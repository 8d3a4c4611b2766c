//! Where a grievance can be referred (`referred_to`): the ministry's own
//! departments by their Thai abbreviation, or any other agency by name.

use crate::domain::{departments, Department, Message, TextError};

/// A validated referral target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referral {
    /// What to store: the canonical code for a department, else the trimmed text.
    pub value: String,
    /// The department, when `value` is one of the ministry's.
    pub known: Option<&'static Department>,
}

const MIN_CHARS: usize = 2;
const MAX_CHARS: usize = 200;

/// Parses a `referred_to` value. A department code is recognised with or
/// without its dots (`ผส.`, `ผส`) and stored in its canonical form, so reports
/// can count referrals per department; anything else is kept as free text of
/// 2 to 200 characters.
pub fn parse_referral(raw: &str) -> Result<Referral, Message> {
    let text = raw.trim();
    let undotted: String = text.chars().filter(|&c| c != '.').collect();
    if let Some(department) = departments()
        .iter()
        .find(|department| department.code.replace('.', "") == undotted)
    {
        return Ok(Referral {
            value: department.code.to_owned(),
            known: Some(department),
        });
    }
    if text.chars().any(char::is_control) {
        return Err(TextError::ControlCharacter.refusal().message);
    }
    // Characters, not bytes: a Thai character takes three bytes in UTF-8.
    let length = text.chars().count();
    if length == 0 {
        return Err(TextError::Empty.refusal().message);
    }
    if length < MIN_CHARS {
        return Err(TextError::TooShort {
            min_chars: MIN_CHARS,
        }
        .refusal()
        .message);
    }
    if length > MAX_CHARS {
        return Err(TextError::TooLong {
            max_chars: MAX_CHARS,
        }
        .refusal()
        .message);
    }
    Ok(Referral {
        value: text.to_owned(),
        known: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_the_five_departments() {
        let codes: Vec<&str> = departments().iter().map(|d| d.code).collect();
        assert_eq!(codes, ["ดย.", "สค.", "ผส.", "พก.", "พส."]);
        for department in departments() {
            assert!(department.name_th.starts_with("กรม"), "{department:?}");
            assert!(
                department.name_en.starts_with("Department of "),
                "{department:?}"
            );
        }
        assert_eq!(departments()[2].name_th, "กรมกิจการผู้สูงอายุ");
    }

    #[test]
    fn known_codes_normalise_with_or_without_dots() {
        for (input, code) in [
            ("ดย.", "ดย."),
            ("ดย", "ดย."),
            ("  สค. ", "สค."),
            ("ผส", "ผส."),
            ("พ.ก.", "พก."),
            ("\tพส\n", "พส."),
        ] {
            let referral = parse_referral(input).unwrap();
            assert_eq!(referral.value, code, "{input:?}");
            assert_eq!(referral.known.map(|d| d.code), Some(code), "{input:?}");
        }
    }

    #[test]
    fn other_agencies_are_free_text() {
        for input in [
            "โรงพยาบาลส่งเสริมสุขภาพตำบลบ้านหนองบัว",
            "Provincial police",
            "อบต.",
            "ดย.1",
            "พม.",
            "กรมกิจการผู้สูงอายุ",
        ] {
            let referral = parse_referral(input).unwrap();
            assert_eq!(referral.value, input);
            assert_eq!(referral.known, None, "{input}");
        }
        assert_eq!(
            parse_referral("  ศูนย์ช่วยเหลือสังคม 1300  ").unwrap().value,
            "ศูนย์ช่วยเหลือสังคม 1300"
        );
    }

    #[test]
    fn length_is_counted_in_characters() {
        assert_eq!(parse_referral("กข").unwrap().value, "กข");
        let longest = "ก".repeat(200);
        assert_eq!(longest.len(), 600);
        assert_eq!(parse_referral(&longest).unwrap().value, longest);
        assert_eq!(
            parse_referral(&"ก".repeat(201)).unwrap_err().en,
            "must be at most 200 characters long"
        );
        assert_eq!(
            parse_referral(" ก ").unwrap_err().en,
            "must be at least 2 characters long"
        );
    }

    #[test]
    fn rejects_blank_and_control_characters() {
        for blank in ["", "   ", "\n"] {
            assert_eq!(parse_referral(blank).unwrap_err().en, "must not be empty");
        }
        for bad in ["police\nstation", "a\tb", "ab\u{0}", "x\u{1b}[31m"] {
            assert_eq!(
                parse_referral(bad).unwrap_err(),
                TextError::ControlCharacter.refusal().message,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn departments_serialise_for_the_api() {
        let value = serde_json::to_value(departments()[0]).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "code": "ดย.",
                "name_th": "กรมกิจการเด็กและเยาวชน",
                "name_en": "Department of Children and Youth",
            })
        );
    }
}
