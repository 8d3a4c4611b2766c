use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use super::error::ParseError;
use super::message::FieldCode;
use super::schema::string_schema;

/// A phone number in E.164 form (`+66812345678`).
///
/// Thai numbers are checked against the national numbering plan: mobiles
/// are 9 digits after the country code and start with 6, 8 or 9; landlines
/// are 8 digits and start with 2, 3, 4, 5 or 7. Other countries only get the
/// generic E.164 shape check.
///
/// This is personal data, so `Debug` and `Display` show only the masked form
/// (`+*******5678`); use [`as_str`](Self::as_str) or serde for the full value.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct PhoneE164(String);

const THAI_COUNTRY_CODE: &str = "66";

impl PhoneE164 {
    /// Accepts, with spaces, dashes, dots and parentheses anywhere:
    /// - Thai national format with the trunk 0: `081-234-5678`, `02 123 4567`;
    /// - Thai international format: `+66 81 234 5678`, `66812345678`, and
    ///   `+66 (0)81 234 5678` (a written trunk 0 after +66 is dropped);
    /// - any other country as `+<country code><number>`, 8 to 15 digits.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let compact: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '.' | '(' | ')'))
            .collect();
        let (has_plus, digits) = match compact.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, compact.as_str()),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError::new(
                FieldCode::BadFormat,
                "must be a phone number such as 081-234-5678 or +66 81 234 5678",
                "ต้องเป็นหมายเลขโทรศัพท์ เช่น 081-234-5678 หรือ +66 81 234 5678",
            ));
        }

        if let Some(national) = digits.strip_prefix(THAI_COUNTRY_CODE) {
            // "66..." without '+' is only read as Thai when it has a Thai
            // length; otherwise it is probably a national number missing its 0.
            if has_plus || matches!(national.len(), 8 | 9) {
                let national = national.strip_prefix('0').unwrap_or(national);
                return thai(national);
            }
        }
        if has_plus {
            return international(digits);
        }
        match digits.strip_prefix('0') {
            Some(national) => thai(national),
            None => Err(ParseError::new(
                FieldCode::BadFormat,
                "must start with 0 (Thai number) or with + and a country code",
                "ต้องขึ้นต้นด้วย 0 (หมายเลขในประเทศ) หรือ + ตามด้วยรหัสประเทศ",
            )),
        }
    }

    /// The E.164 form, e.g. `+66812345678`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    pub fn is_thai(&self) -> bool {
        self.0[1..].starts_with(THAI_COUNTRY_CODE)
    }

    pub fn last4(&self) -> &str {
        &self.0[self.0.len() - 4..]
    }

    /// The leading `+` and the last four digits, the rest as `*`:
    /// `+66812345678` becomes `+*******5678`.
    pub fn masked(&self) -> String {
        let hidden = self.0.len() - 1 - 4;
        format!("+{}{}", "*".repeat(hidden), self.last4())
    }
}

/// Validates a Thai national significant number (without the trunk 0).
fn thai(national: &str) -> Result<PhoneE164, ParseError> {
    let first = national.as_bytes().first().copied();
    let valid = match national.len() {
        9 => matches!(first, Some(b'6' | b'8' | b'9')),
        8 => matches!(first, Some(b'2' | b'3' | b'4' | b'5' | b'7')),
        _ => false,
    };
    if valid {
        Ok(PhoneE164(format!("+{THAI_COUNTRY_CODE}{national}")))
    } else {
        Err(ParseError::new(
            FieldCode::BadFormat,
            "must be a Thai mobile number (10 digits, e.g. 081-234-5678) or landline \
             (9 digits, e.g. 02-123-4567), or an international number starting with +",
            "ต้องเป็นหมายเลขโทรศัพท์มือถือ 10 หลัก (เช่น 081-234-5678) หรือโทรศัพท์พื้นฐาน \
             9 หลัก (เช่น 02-123-4567) หรือหมายเลขต่างประเทศที่ขึ้นต้นด้วย +",
        ))
    }
}

fn international(digits: &str) -> Result<PhoneE164, ParseError> {
    if digits.starts_with('0') || !(8..=15).contains(&digits.len()) {
        return Err(ParseError::new(
            FieldCode::BadFormat,
            "must be an international number: + then a country code and number, \
             8 to 15 digits in total, not starting with 0",
            "หมายเลขต่างประเทศต้องเป็น + ตามด้วยรหัสประเทศและหมายเลข รวม 8 ถึง 15 หลัก \
             และไม่ขึ้นต้นด้วย 0",
        ));
    }
    Ok(PhoneE164(format!("+{digits}")))
}

impl fmt::Debug for PhoneE164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PhoneE164").field(&self.masked()).finish()
    }
}

impl fmt::Display for PhoneE164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl FromStr for PhoneE164 {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for PhoneE164 {
    type Error = ParseError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PhoneE164> for String {
    fn from(phone: PhoneE164) -> Self {
        phone.0
    }
}

impl Serialize for PhoneE164 {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl PartialSchema for PhoneE164 {
    fn schema() -> RefOr<Schema> {
        string_schema(
            "Phone number, returned in E.164 form. Input may be Thai national format \
             (081-234-5678, 02-123-4567) or international (+66 81 234 5678); spaces, \
             dashes, dots and parentheses are ignored.",
            Some(r"^\+[1-9][0-9]{7,14}$"),
            "+66812345678",
        )
    }
}

impl ToSchema for PhoneE164 {}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(input: &str) -> String {
        PhoneE164::parse(input)
            .unwrap_or_else(|e| panic!("{input:?}: {e}"))
            .into_string()
    }

    #[test]
    fn thai_mobile_in_national_format() {
        for input in ["0812345678", "081-234-5678", "081 234 5678", "081.234.5678"] {
            assert_eq!(e164(input), "+66812345678", "{input}");
        }
        assert_eq!(e164("0612345678"), "+66612345678");
        assert_eq!(e164("0912345678"), "+66912345678");
    }

    #[test]
    fn thai_landlines_in_national_format() {
        assert_eq!(e164("02 123 4567"), "+6621234567");
        assert_eq!(e164("021234567"), "+6621234567");
        assert_eq!(e164("(02) 123-4567"), "+6621234567");
        assert_eq!(e164("053-123-456"), "+6653123456");
        assert_eq!(e164("076 123 456"), "+6676123456");
    }

    #[test]
    fn thai_numbers_in_international_format() {
        assert_eq!(e164("+66 81 234 5678"), "+66812345678");
        assert_eq!(e164("+66812345678"), "+66812345678");
        assert_eq!(e164("66812345678"), "+66812345678");
        assert_eq!(e164("+66 2 123 4567"), "+6621234567");
        assert_eq!(e164("6621234567"), "+6621234567");
        assert_eq!(e164("+66 (0)81 234 5678"), "+66812345678");
        assert_eq!(e164("  +66-81-234-5678  "), "+66812345678");
    }

    #[test]
    fn rejects_thai_numbers_of_the_wrong_shape() {
        for bad in [
            "081234567",      // mobile one digit short
            "08123456789",    // mobile one digit long
            "0212345678",     // landline one digit long
            "02123456",       // landline one digit short
            "0112345678",     // no such prefix
            "012345678",      // no such prefix
            "0012345678",     // international call prefix, not a number
            "0",              // trunk prefix alone
            "+66 12 345 678", // +66 with an invalid national number
            "+6681234567",    // +66 mobile one digit short
            "+66",
        ] {
            let error = PhoneE164::parse(bad).unwrap_err();
            assert!(error.to_string().contains("Thai mobile"), "{bad}: {error}");
        }
    }

    #[test]
    fn accepts_other_countries_in_e164() {
        assert_eq!(e164("+1 415 555 0100"), "+14155550100");
        assert_eq!(e164("+44 20 7946 0958"), "+442079460958");
        assert_eq!(e164("+95 9 1234 5678"), "+95912345678");
        assert_eq!(e164("+12345678"), "+12345678");
        assert_eq!(e164("+123456789012345"), "+123456789012345");
    }

    #[test]
    fn rejects_bad_international_numbers() {
        for bad in [
            "+1234567",
            "+1234567890123456",
            "+0812345678",
            "+1 (415) 555-01x0",
        ] {
            assert!(PhoneE164::parse(bad).is_err(), "{bad}");
        }
        let error = PhoneE164::parse("+1234567").unwrap_err();
        assert!(error.to_string().contains("8 to 15 digits"));
    }

    #[test]
    fn rejects_numbers_without_a_trunk_zero_or_plus() {
        let error = PhoneE164::parse("14155550100").unwrap_err();
        assert_eq!(
            error.to_string(),
            "must start with 0 (Thai number) or with + and a country code"
        );
        // "66" followed by a non-Thai length is not taken as a country code.
        assert!(PhoneE164::parse("661234").is_err());
        assert!(PhoneE164::parse("812345678").is_err());
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "   ",
            "+",
            "++66812345678",
            "08l2345678",
            "081/234/5678",
            "๐๘๑๒๓๔๕๖๗๘",
        ] {
            assert!(PhoneE164::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn masks_all_digits_but_the_last_four() {
        let phone = PhoneE164::parse("081-234-5678").unwrap();
        assert_eq!(phone.last4(), "5678");
        assert_eq!(phone.masked(), "+*******5678");
        let landline = PhoneE164::parse("02 123 4567").unwrap();
        assert_eq!(landline.masked(), "+******4567");
        let short = PhoneE164::parse("+12345678").unwrap();
        assert_eq!(short.masked(), "+****5678");
    }

    #[test]
    fn debug_and_display_are_masked() {
        let phone = PhoneE164::parse("0812345678").unwrap();
        assert_eq!(format!("{phone:?}"), "PhoneE164(\"+*******5678\")");
        assert_eq!(phone.to_string(), "+*******5678");
    }

    #[test]
    fn knows_whether_it_is_thai() {
        assert!(PhoneE164::parse("0812345678").unwrap().is_thai());
        assert!(!PhoneE164::parse("+14155550100").unwrap().is_thai());
    }

    #[test]
    fn serde_uses_the_full_e164_form() {
        let phone: PhoneE164 = serde_json::from_str("\"081-234-5678\"").unwrap();
        assert_eq!(serde_json::to_string(&phone).unwrap(), "\"+66812345678\"");
        assert!(serde_json::from_str::<PhoneE164>("\"12\"").is_err());
    }
}
