use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use super::error::ParseError;
use super::message::FieldCode;
use super::schema::string_schema;

/// A Thai national ID (เลขประจำตัวประชาชน): 13 digits, not starting with 0,
/// whose last digit is the mod-11 check digit of the first twelve.
///
/// This is personal data, so `Debug` and `Display` show only the masked form
/// (`*********1234`); use [`as_str`](Self::as_str) or serde for the full value.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct ThaiNationalId(String);

fn format_error() -> ParseError {
    ParseError::new(
        FieldCode::BadFormat,
        "must be a 13-digit Thai national ID",
        "ต้องเป็นเลขประจำตัวประชาชน 13 หลัก",
    )
}

impl ThaiNationalId {
    /// Parses 13 digits; spaces and dashes anywhere (as in the printed form
    /// `1-2345-67890-12-1`) are ignored.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let digits: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if digits.len() != 13 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format_error());
        }
        if digits.starts_with('0') {
            return Err(ParseError::new(
                FieldCode::BadFormat,
                "must be a 13-digit Thai national ID; it cannot start with 0",
                "เลขประจำตัวประชาชนต้องมี 13 หลักและไม่ขึ้นต้นด้วย 0",
            ));
        }
        let (first12, last) = digits.split_at(12);
        if Self::check_digit(first12) != last.parse().ok() {
            return Err(ParseError::new(
                FieldCode::CheckDigit,
                "is not a valid Thai national ID: the check digit does not match",
                "เลขประจำตัวประชาชนไม่ถูกต้อง: หลักสุดท้าย (เลขตรวจสอบ) ไม่ตรง กรุณาตรวจสอบอีกครั้ง",
            ));
        }
        Ok(Self(digits))
    }

    /// The check digit that completes twelve digits into an ID: weights 13
    /// down to 2, then `(11 - sum mod 11) mod 10`. `None` unless `first12` is
    /// exactly twelve ASCII digits.
    pub fn check_digit(first12: &str) -> Option<u32> {
        if first12.len() != 12 || !first12.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let sum: u32 = first12
            .bytes()
            .zip((2..=13).rev())
            .map(|(digit, weight)| u32::from(digit - b'0') * weight)
            .sum();
        Some((11 - sum % 11) % 10)
    }

    /// The 13 digits, without separators.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    pub fn last4(&self) -> &str {
        &self.0[9..]
    }

    /// All but the last four digits replaced by `*`, e.g. `*********1234`.
    pub fn masked(&self) -> String {
        format!("*********{}", self.last4())
    }
}

impl fmt::Debug for ThaiNationalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ThaiNationalId")
            .field(&self.masked())
            .finish()
    }
}

impl fmt::Display for ThaiNationalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl FromStr for ThaiNationalId {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for ThaiNationalId {
    type Error = ParseError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ThaiNationalId> for String {
    fn from(id: ThaiNationalId) -> Self {
        id.0
    }
}

impl Serialize for ThaiNationalId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl PartialSchema for ThaiNationalId {
    fn schema() -> RefOr<Schema> {
        string_schema(
            "Thai national ID: 13 digits with a valid check digit. Input may contain \
             spaces or dashes (1-1037-02071-18-8); output is the 13 digits only.",
            Some("^[1-9][0-9]{12}$"),
            "1103702071188",
        )
    }
}

impl ToSchema for ThaiNationalId {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Twelve digits completed with their check digit.
    fn complete(first12: &str) -> String {
        let check = ThaiNationalId::check_digit(first12).expect("twelve digits");
        format!("{first12}{check}")
    }

    #[test]
    fn check_digit_matches_known_valid_ids() {
        for id in [
            // By hand: 1*13 + 1*12 + 0*11 + 3*10 + 7*9 + 0*8 + 2*7 + 0*6 + 7*5
            // + 1*4 + 1*3 + 8*2 = 190; 190 mod 11 = 3; (11 - 3) mod 10 = 8.
            "1103702071188",
            // Published as valid in the test cases of the stdnum validators.
            "3100600445635",
            "1234545678781",
            "1112034563562",
        ] {
            let (first12, last) = id.split_at(12);
            assert_eq!(
                ThaiNationalId::check_digit(first12),
                last.parse().ok(),
                "{id}"
            );
            assert_eq!(ThaiNationalId::parse(id).unwrap().as_str(), id);
        }
        // Published by the same validators as a wrong check digit (it should be 8).
        assert_eq!(ThaiNationalId::check_digit("110170023070"), Some(8));
        assert!(ThaiNationalId::parse("1101700230705").is_err());
    }

    #[test]
    fn check_digit_needs_exactly_twelve_digits() {
        for bad in [
            "",
            "11037020711",
            "1103702071188",
            "11037020711x",
            "1-1037-02071-18",
            "๑๑๐๓๗๐๒๐๗๑๑๘",
        ] {
            assert_eq!(ThaiNationalId::check_digit(bad), None, "{bad}");
        }
    }

    #[test]
    fn accepts_ids_with_a_valid_check_digit() {
        for first12 in [
            "110370207118",
            "310010012345",
            "555555555555",
            "899999999999",
        ] {
            let id = complete(first12);
            assert_eq!(ThaiNationalId::parse(&id).unwrap().as_str(), id);
        }
    }

    #[test]
    fn covers_the_sum_mod_11_of_0_and_1_cases() {
        // Exercise both wrap-arounds: remainder 0 gives 11 -> 1 and
        // remainder 1 gives 10 -> 0.
        let mut seen = [false; 2];
        for n in 100_000_000_000u64..100_000_000_200 {
            let id = complete(&n.to_string());
            let parsed = ThaiNationalId::parse(&id).unwrap();
            let last = parsed.as_str().as_bytes()[12];
            if last == b'1' {
                seen[0] = true;
            }
            if last == b'0' {
                seen[1] = true;
            }
        }
        assert_eq!(seen, [true, true]);
    }

    #[test]
    fn strips_dashes_and_spaces() {
        let id = ThaiNationalId::parse("1-1037-02071-18-8").unwrap();
        assert_eq!(id.as_str(), "1103702071188");
        let id = ThaiNationalId::parse(" 1 1037 02071 18 8 ").unwrap();
        assert_eq!(id.as_str(), "1103702071188");
    }

    #[test]
    fn rejects_a_wrong_check_digit() {
        // The printed example from the brief has check digit 1, not 8.
        let error = ThaiNationalId::parse("1-1037-02071-18-1").unwrap_err();
        assert_eq!(
            error.to_string(),
            "is not a valid Thai national ID: the check digit does not match"
        );
        for wrong in 0..10 {
            if wrong != 8 {
                assert!(ThaiNationalId::parse(&format!("110370207118{wrong}")).is_err());
            }
        }
    }

    #[test]
    fn rejects_a_leading_zero_even_with_a_valid_check_digit() {
        let id = complete("010370207118");
        let error = ThaiNationalId::parse(&id).unwrap_err();
        assert!(error.to_string().contains("cannot start with 0"));
    }

    #[test]
    fn rejects_wrong_lengths_and_other_characters() {
        for bad in [
            "",
            "110370207118",
            "11037020711880",
            "1103702O71188",
            "1103702071188x",
            "1.1037.02071.18.8",
            "๑๑๐๓๗๐๒๐๗๑๑๘๘",
            "+1103702071188",
        ] {
            assert_eq!(
                ThaiNationalId::parse(bad).unwrap_err().to_string(),
                format_error().to_string(),
                "{bad}"
            );
        }
    }

    #[test]
    fn masks_all_but_the_last_four_digits() {
        let id = ThaiNationalId::parse("1103702071188").unwrap();
        assert_eq!(id.last4(), "1188");
        assert_eq!(id.masked(), "*********1188");
        assert_eq!(id.masked().chars().count(), 13);
    }

    #[test]
    fn debug_and_display_never_show_the_full_number() {
        let id = ThaiNationalId::parse("1103702071188").unwrap();
        let debug = format!("{id:?}");
        assert_eq!(debug, "ThaiNationalId(\"*********1188\")");
        assert!(!debug.contains("110370"));
        assert_eq!(id.to_string(), "*********1188");
        let nested = format!("{:?}", Some(&id));
        assert!(!nested.contains("110370"));
    }

    #[test]
    fn serde_uses_the_full_13_digits() {
        let id: ThaiNationalId = serde_json::from_str("\"1-1037-02071-18-8\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"1103702071188\"");
        let error = serde_json::from_str::<ThaiNationalId>("\"1103702071181\"").unwrap_err();
        assert!(error.to_string().contains("check digit"));
    }

    #[test]
    fn schema_example_is_itself_valid() {
        let schema = serde_json::to_value(ThaiNationalId::schema()).unwrap();
        let example = schema["examples"][0].as_str().unwrap();
        assert!(ThaiNationalId::parse(example).is_ok());
        assert_eq!(schema["pattern"], "^[1-9][0-9]{12}$");
    }
}
