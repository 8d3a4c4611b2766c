use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use super::error::ParseError;
use super::message::FieldCode;
use super::schema::string_schema;

/// An administrative area: the whole country (`TH`) or a DOPA code of a
/// province (2 digits), district (4) or subdistrict (6).
///
/// DOPA codes nest by prefix, so an area's descendants are exactly the codes
/// that start with its own.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct AreaCode(String);

/// Level of an administrative area: `country` (code `TH`), `province`
/// (2-digit code; Bangkok counts as one), `district` (4 digits) or
/// `subdistrict` (6 digits).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AreaLevel {
    /// The whole of Thailand (code `TH`).
    Country,
    /// Province (จังหวัด), or Bangkok; 2-digit code.
    Province,
    /// District (อำเภอ, or เขต in Bangkok); 4-digit code.
    District,
    /// Subdistrict (ตำบล, or แขวง in Bangkok); 6-digit code.
    Subdistrict,
}

impl AreaLevel {
    /// The serialized name, e.g. for a database column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Country => "country",
            Self::Province => "province",
            Self::District => "district",
            Self::Subdistrict => "subdistrict",
        }
    }

    /// Length of this level's DOPA codes; `None` for the country, whose code is `TH`.
    pub fn code_len(self) -> Option<usize> {
        match self {
            Self::Country => None,
            Self::Province => Some(2),
            Self::District => Some(4),
            Self::Subdistrict => Some(6),
        }
    }
}

impl fmt::Display for AreaLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AreaCode {
    /// The code of the whole country, the root of the hierarchy.
    pub const COUNTRY: &'static str = "TH";

    /// Parses `TH` (any case) or a 2-, 4- or 6-digit DOPA code; surrounding
    /// whitespace is ignored.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let code = input.trim();
        if code.eq_ignore_ascii_case(Self::COUNTRY) {
            return Ok(Self::country());
        }
        if matches!(code.len(), 2 | 4 | 6) && code.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(Self(code.to_owned()));
        }
        Err(ParseError::new(
            FieldCode::BadFormat,
            "must be TH or a DOPA area code of 2 (province), 4 (district) or 6 (subdistrict) digits",
            "ต้องเป็น TH หรือรหัสพื้นที่ของกรมการปกครอง 2 หลัก (จังหวัด) 4 หลัก (อำเภอ) หรือ 6 หลัก (ตำบล)",
        ))
    }

    /// The whole of Thailand.
    pub fn country() -> Self {
        Self(Self::COUNTRY.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    pub fn is_country(&self) -> bool {
        self.0 == Self::COUNTRY
    }

    pub fn level(&self) -> AreaLevel {
        match self.0.len() {
            2 if self.is_country() => AreaLevel::Country,
            2 => AreaLevel::Province,
            4 => AreaLevel::District,
            _ => AreaLevel::Subdistrict,
        }
    }

    /// The area directly under this one that holds the area `code` (lying inside this
    /// one), for figures by sub-area: a province of the country, a district of a
    /// province, a subdistrict of a district; a subdistrict holds itself. A code no finer
    /// than this one's children (staff placed at this very area) is its own group.
    pub fn child_holding<'a>(&self, code: &'a str) -> &'a str {
        let child_len = match self.level() {
            AreaLevel::Country => 2,
            AreaLevel::Province => 4,
            AreaLevel::District | AreaLevel::Subdistrict => 6,
        };
        code.get(..child_len).unwrap_or(code)
    }

    /// Whether `other` is this area or lies inside it.
    pub fn covers(&self, other: &AreaCode) -> bool {
        self.is_country() || (!other.is_country() && other.0.starts_with(&self.0))
    }

    /// The enclosing area: subdistrict → district → province → `TH`;
    /// `None` for `TH` itself.
    pub fn parent(&self) -> Option<AreaCode> {
        match self.level() {
            AreaLevel::Country => None,
            AreaLevel::Province => Some(Self::country()),
            AreaLevel::District | AreaLevel::Subdistrict => {
                Some(Self(self.0[..self.0.len() - 2].to_owned()))
            }
        }
    }
}

impl fmt::Display for AreaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for AreaCode {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for AreaCode {
    type Error = ParseError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl TryFrom<&str> for AreaCode {
    type Error = ParseError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<AreaCode> for String {
    fn from(code: AreaCode) -> Self {
        code.0
    }
}

impl Serialize for AreaCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl PartialSchema for AreaCode {
    fn schema() -> RefOr<Schema> {
        string_schema(
            "`TH` for the whole country, or a DOPA area code: 2 digits for a province, \
             4 for a district, 6 for a subdistrict.",
            Some("^(TH|[0-9]{2}|[0-9]{4}|[0-9]{6})$"),
            "5001",
        )
    }
}

impl ToSchema for AreaCode {}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> AreaCode {
        AreaCode::parse(text).expect("valid area code")
    }

    #[test]
    fn accepts_country_and_each_dopa_level() {
        assert_eq!(code("TH").level(), AreaLevel::Country);
        assert_eq!(code("50").level(), AreaLevel::Province);
        assert_eq!(code("5001").level(), AreaLevel::District);
        assert_eq!(code("500101").level(), AreaLevel::Subdistrict);
    }

    #[test]
    fn trims_input_and_uppercases_th() {
        assert_eq!(code("  5001 ").as_str(), "5001");
        assert_eq!(code("th").as_str(), "TH");
        assert_eq!(code(" Th ").as_str(), "TH");
    }

    #[test]
    fn rejects_wrong_lengths_and_non_digits() {
        for bad in [
            "", " ", "5", "501", "50010", "5001011", "50010101", "5a", "50-1", "THA", "T", "๕๐",
            "５０", "+5", "5 01",
        ] {
            let error = AreaCode::parse(bad).expect_err(bad);
            assert!(
                error.to_string().starts_with("must be TH or a DOPA"),
                "{bad}"
            );
        }
    }

    #[test]
    fn country_covers_everything_including_itself() {
        let th = AreaCode::country();
        for other in ["TH", "10", "1001", "100101"] {
            assert!(th.covers(&code(other)), "{other}");
        }
    }

    #[test]
    fn covers_by_prefix_and_includes_itself() {
        assert!(code("50").covers(&code("50")));
        assert!(code("50").covers(&code("5001")));
        assert!(code("50").covers(&code("500101")));
        assert!(code("5001").covers(&code("500101")));
        assert!(code("500101").covers(&code("500101")));
    }

    #[test]
    fn does_not_cover_siblings_ancestors_or_the_country() {
        assert!(!code("50").covers(&code("51")));
        assert!(!code("50").covers(&code("5101")));
        assert!(!code("5001").covers(&code("5002")));
        assert!(!code("5001").covers(&code("50")));
        assert!(!code("500101").covers(&code("5001")));
        assert!(!code("50").covers(&AreaCode::country()));
        // "05" is not a prefix of "5001" even though both contain "50".
        assert!(!code("05").covers(&code("5005")));
    }

    #[test]
    fn parent_walks_up_to_the_country() {
        assert_eq!(code("500101").parent(), Some(code("5001")));
        assert_eq!(code("5001").parent(), Some(code("50")));
        assert_eq!(code("50").parent(), Some(AreaCode::country()));
        assert_eq!(AreaCode::country().parent(), None);
    }

    #[test]
    fn serializes_and_deserializes_as_a_string() {
        assert_eq!(serde_json::to_string(&code("5001")).unwrap(), "\"5001\"");
        let parsed: AreaCode = serde_json::from_str("\"th\"").unwrap();
        assert_eq!(parsed, AreaCode::country());
        let error = serde_json::from_str::<AreaCode>("\"123\"").unwrap_err();
        assert!(error.to_string().contains("must be TH or a DOPA"));
        assert!(serde_json::from_str::<AreaCode>("50").is_err());
    }

    #[test]
    fn displays_canonically_and_parses_via_from_str() {
        assert_eq!(code("th").to_string(), "TH");
        assert_eq!("5001".parse::<AreaCode>().unwrap(), code("5001"));
        assert_eq!(AreaCode::try_from("50").unwrap().into_string(), "50");
    }

    #[test]
    fn level_serializes_in_snake_case() {
        assert_eq!(
            serde_json::to_string(&AreaLevel::Subdistrict).unwrap(),
            "\"subdistrict\""
        );
        assert_eq!(AreaLevel::District.to_string(), "district");
    }

    #[test]
    fn schema_is_a_string_with_a_pattern() {
        let schema = serde_json::to_value(AreaCode::schema()).unwrap();
        assert_eq!(schema["type"], "string");
        assert_eq!(schema["pattern"], "^(TH|[0-9]{2}|[0-9]{4}|[0-9]{6})$");
        assert_eq!(schema["examples"][0], "5001");
    }
}
