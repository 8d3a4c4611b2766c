use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use super::bangkok::{bangkok_date, bangkok_start_of_day};
use super::error::ParseError;
use super::message::FieldCode;
use super::schema::string_schema;

/// A Thai government fiscal year (ปีงบประมาณ), numbered in the Buddhist Era
/// and running 1 October to 30 September: fiscal year 2570 is
/// 1 Oct 2026 to 30 Sep 2027 (Gregorian).
///
/// Limited to 2500–2700 BE (Gregorian 1956–2157) to catch typos such as a
/// Gregorian year entered where a BE year was expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FiscalYear(u16);

const MIN_BE: u16 = 2500;
const MAX_BE: u16 = 2700;
/// Buddhist Era year = Gregorian year + 543.
const BE_OFFSET: i32 = 543;

fn range_error() -> ParseError {
    ParseError::new(
        FieldCode::OutOfRange,
        "must be a fiscal year in the Buddhist Era between 2500 and 2700, e.g. 2570",
        "ต้องเป็นปีงบประมาณ (พุทธศักราช) ระหว่าง 2500 ถึง 2700 เช่น 2570",
    )
}

impl FiscalYear {
    pub fn new(be: u16) -> Result<Self, ParseError> {
        if (MIN_BE..=MAX_BE).contains(&be) {
            Ok(Self(be))
        } else {
            Err(range_error())
        }
    }

    /// Parses a 4-digit Buddhist Era year such as `2570`; surrounding
    /// whitespace is ignored.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let text = input.trim();
        if text.len() != 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(range_error());
        }
        text.parse().map_err(|_| range_error()).and_then(Self::new)
    }

    /// The fiscal year containing a calendar date in Asia/Bangkok; an error
    /// if that date lies outside the supported fiscal years.
    pub fn containing(date_in_bangkok: NaiveDate) -> Result<Self, ParseError> {
        // October to December already belong to the next fiscal year.
        let bump = i32::from(date_in_bangkok.month() >= 10);
        let be = date_in_bangkok.year() + BE_OFFSET + bump;
        u16::try_from(be)
            .ok()
            .and_then(|be| Self::new(be).ok())
            .ok_or_else(|| {
                ParseError::new(
                    FieldCode::OutOfRange,
                    "date is outside the supported fiscal years 2500 to 2700 BE",
                    "วันที่อยู่นอกปีงบประมาณที่รองรับ (พ.ศ. 2500 ถึง 2700)",
                )
            })
    }

    /// The fiscal year containing `instant`, judged by the Bangkok calendar.
    pub fn containing_instant(instant: DateTime<Utc>) -> Result<Self, ParseError> {
        Self::containing(bangkok_date(instant))
    }

    /// The year number in the Buddhist Era, e.g. 2570.
    pub fn be(&self) -> u16 {
        self.0
    }

    /// 1 October of the previous Gregorian year.
    pub fn first_day(&self) -> NaiveDate {
        october_first(self.gregorian_end_year() - 1)
    }

    /// 30 September.
    pub fn last_day(&self) -> NaiveDate {
        october_first(self.gregorian_end_year())
            .pred_opt()
            .unwrap_or_default()
    }

    /// The half-open UTC interval `[start, end)` from 00:00 Asia/Bangkok on
    /// 1 October to 00:00 Asia/Bangkok on the next 1 October.
    pub fn utc_range(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let end_year = self.gregorian_end_year();
        (
            bangkok_start_of_day(october_first(end_year - 1)),
            bangkok_start_of_day(october_first(end_year)),
        )
    }

    /// The following fiscal year, or `None` after 2700.
    pub fn next(&self) -> Option<Self> {
        Self::new(self.0 + 1).ok()
    }

    /// The preceding fiscal year, or `None` before 2500.
    pub fn previous(&self) -> Option<Self> {
        Self::new(self.0 - 1).ok()
    }

    /// The Gregorian year in which this fiscal year ends (on 30 September).
    fn gregorian_end_year(&self) -> i32 {
        i32::from(self.0) - BE_OFFSET
    }
}

fn october_first(year: i32) -> NaiveDate {
    // Years here are 1956–2157, where every 1 October exists.
    NaiveDate::from_ymd_opt(year, 10, 1).unwrap_or_default()
}

impl fmt::Display for FiscalYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for FiscalYear {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for FiscalYear {
    type Error = ParseError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl Serialize for FiscalYear {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Accepts `"2570"` (as serialized, and as query strings deliver it) and
/// also a bare JSON number `2570`, which clients naturally send for a year.
impl<'de> Deserialize<'de> for FiscalYear {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FiscalYearVisitor;

        impl Visitor<'_> for FiscalYearVisitor {
            type Value = FiscalYear;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Buddhist Era fiscal year such as \"2570\"")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<FiscalYear, E> {
                FiscalYear::parse(value).map_err(E::custom)
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<FiscalYear, E> {
                u16::try_from(value)
                    .map_err(|_| range_error())
                    .and_then(FiscalYear::new)
                    .map_err(E::custom)
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<FiscalYear, E> {
                u64::try_from(value)
                    .map_err(|_| E::custom(range_error()))
                    .and_then(|v| self.visit_u64(v))
            }
        }

        deserializer.deserialize_any(FiscalYearVisitor)
    }
}

impl PartialSchema for FiscalYear {
    fn schema() -> RefOr<Schema> {
        string_schema(
            "Thai government fiscal year in the Buddhist Era (1 October to 30 September); \
             2570 is 1 Oct 2026 to 30 Sep 2027. Input may also be a JSON number.",
            Some("^[0-9]{4}$"),
            "2570",
        )
    }
}

impl ToSchema for FiscalYear {}

#[cfg(test)]
mod tests {
    use super::*;

    fn fy(be: u16) -> FiscalYear {
        FiscalYear::new(be).expect("valid fiscal year")
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("test date")
    }

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().expect("test timestamp")
    }

    #[test]
    fn fiscal_2570_runs_october_2026_to_september_2027() {
        assert_eq!(fy(2570).first_day(), date(2026, 10, 1));
        assert_eq!(fy(2570).last_day(), date(2027, 9, 30));
    }

    #[test]
    fn containing_switches_on_1_october() {
        assert_eq!(FiscalYear::containing(date(2026, 9, 30)).unwrap(), fy(2569));
        assert_eq!(FiscalYear::containing(date(2026, 10, 1)).unwrap(), fy(2570));
        assert_eq!(
            FiscalYear::containing(date(2026, 12, 31)).unwrap(),
            fy(2570)
        );
        assert_eq!(FiscalYear::containing(date(2027, 1, 1)).unwrap(), fy(2570));
        assert_eq!(FiscalYear::containing(date(2027, 9, 30)).unwrap(), fy(2570));
        assert_eq!(FiscalYear::containing(date(2027, 10, 1)).unwrap(), fy(2571));
    }

    #[test]
    fn utc_range_starts_at_bangkok_midnight() {
        assert_eq!(
            fy(2570).utc_range(),
            (utc("2026-09-30T17:00:00Z"), utc("2027-09-30T17:00:00Z"))
        );
    }

    #[test]
    fn containing_instant_uses_the_bangkok_calendar_at_both_boundaries() {
        assert_eq!(
            FiscalYear::containing_instant(utc("2026-09-30T16:59:59Z")).unwrap(),
            fy(2569)
        );
        assert_eq!(
            FiscalYear::containing_instant(utc("2026-09-30T17:00:00Z")).unwrap(),
            fy(2570)
        );
        assert_eq!(
            FiscalYear::containing_instant(utc("2027-09-30T16:59:59Z")).unwrap(),
            fy(2570)
        );
        assert_eq!(
            FiscalYear::containing_instant(utc("2027-09-30T17:00:00Z")).unwrap(),
            fy(2571)
        );
    }

    #[test]
    fn consecutive_years_tile_time() {
        for be in MIN_BE..MAX_BE {
            assert_eq!(fy(be).utc_range().1, fy(be + 1).utc_range().0);
            assert_eq!(FiscalYear::containing(fy(be).first_day()).unwrap(), fy(be));
            assert_eq!(FiscalYear::containing(fy(be).last_day()).unwrap(), fy(be));
        }
    }

    #[test]
    fn parses_four_digit_be_years_in_range() {
        assert_eq!(FiscalYear::parse("2570").unwrap().be(), 2570);
        assert_eq!(FiscalYear::parse(" 2500 ").unwrap().be(), 2500);
        assert_eq!(FiscalYear::parse("2700").unwrap().be(), 2700);
    }

    #[test]
    fn rejects_gregorian_years_out_of_range_and_malformed_text() {
        for bad in [
            "2026",
            "2499",
            "2701",
            "0000",
            "25700",
            "257",
            "",
            "2570.0",
            "+257",
            "๒๕๗๐",
            "FY2570",
        ] {
            assert_eq!(
                FiscalYear::parse(bad).unwrap_err().to_string(),
                range_error().to_string(),
                "{bad}"
            );
        }
        assert!(FiscalYear::new(2026).is_err());
    }

    #[test]
    fn containing_rejects_dates_outside_the_supported_years() {
        assert!(FiscalYear::containing(date(1956, 9, 30)).is_err());
        assert_eq!(FiscalYear::containing(date(1956, 10, 1)).unwrap(), fy(2500));
        assert_eq!(FiscalYear::containing(date(2157, 9, 30)).unwrap(), fy(2700));
        assert!(FiscalYear::containing(date(2157, 10, 1)).is_err());
        assert!(FiscalYear::containing(NaiveDate::MIN).is_err());
        assert!(FiscalYear::containing(NaiveDate::MAX).is_err());
    }

    #[test]
    fn next_and_previous_stop_at_the_range() {
        assert_eq!(fy(2570).next(), Some(fy(2571)));
        assert_eq!(fy(2570).previous(), Some(fy(2569)));
        assert_eq!(fy(2700).next(), None);
        assert_eq!(fy(2500).previous(), None);
    }

    #[test]
    fn serializes_as_a_string_and_accepts_strings_or_numbers() {
        assert_eq!(fy(2570).to_string(), "2570");
        assert_eq!(serde_json::to_string(&fy(2570)).unwrap(), "\"2570\"");
        assert_eq!(
            serde_json::from_str::<FiscalYear>("\"2570\"").unwrap(),
            fy(2570)
        );
        assert_eq!(
            serde_json::from_str::<FiscalYear>("2570").unwrap(),
            fy(2570)
        );
        for bad in ["2026", "-1", "70000", "\"2026\"", "2570.5", "null"] {
            assert!(serde_json::from_str::<FiscalYear>(bad).is_err(), "{bad}");
        }
        let error = serde_json::from_str::<FiscalYear>("2026").unwrap_err();
        assert!(error.to_string().contains("between 2500 and 2700"));
    }
}
