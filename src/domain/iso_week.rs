use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc, Weekday};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use super::bangkok::{bangkok_date, bangkok_start_of_day};
use super::error::ParseError;
use super::message::{buddhist_era_year, FieldCode, FIRST_BUDDHIST_ERA_YEAR};
use super::schema::string_schema;

/// An ISO-8601 week, written `YYYY-Www` (e.g. `2026-W47`), for ISO years
/// 0001 to 9999.
///
/// # Weeks that start on a day other than Monday
///
/// Methods that map a week to days take the configured `week_start`. With
/// [`Weekday::Mon`] these are plain ISO weeks. With any other start day,
/// week `YYYY-Www` is the seven days beginning on the `week_start` day
/// **nearest to the ISO week's Monday** (at most 3 days before or after it).
/// Equivalently, it is the `week_start`-based week that contains the ISO
/// week's Thursday, so it shares at least four days with the ISO week and
/// takes its number and year the same way ISO does. For example, with a
/// Sunday start 2026-W47 is Sun 15 to Sat 21 Nov 2026, and with a Friday
/// start it is Fri 13 to Thu 19 Nov 2026.
///
/// Because every week is the ISO week shifted by the same number of days,
/// consecutive weeks tile the calendar without gaps or overlaps, and
/// [`containing`](Self::containing) agrees with [`utc_range`](Self::utc_range).
/// Days are calendar days in Asia/Bangkok.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct IsoWeek {
    /// Always the Monday of the ISO week, within `MIN_MONDAY..=MAX_MONDAY`.
    monday: NaiveDate,
}

const MIN_YEAR: i32 = 1;
const MAX_YEAR: i32 = 9999;
/// Monday of 0001-W01 (1 January 0001 was a Monday, proleptic Gregorian).
const MIN_MONDAY: NaiveDate = NaiveDate::from_ymd_opt(1, 1, 1).expect("valid date");
/// Monday of 9999-W52, the last ISO week of year 9999.
const MAX_MONDAY: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 27).expect("valid date");

fn format_error() -> ParseError {
    ParseError::new(
        FieldCode::BadFormat,
        "must be an ISO week written YYYY-Www, e.g. 2026-W47",
        "ต้องเป็นสัปดาห์ตามมาตรฐาน ISO ในรูปแบบ ปปปป-Wสส (ปีคริสต์ศักราช) เช่น 2026-W47",
    )
}

const THAI_MONTHS: [&str; 12] = [
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
];

impl IsoWeek {
    /// The given week of an ISO year; the week must exist in that year
    /// (W53 only in years that have 53 ISO weeks).
    pub fn new(year: i32, week: u32) -> Result<Self, ParseError> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(ParseError::new(
                FieldCode::OutOfRange,
                "year must be between 0001 and 9999",
                "ปีต้องอยู่ระหว่าง 0001 ถึง 9999 (คริสต์ศักราช)",
            ));
        }
        let weeks = weeks_in_year(year);
        if !(1..=weeks).contains(&week) {
            return Err(ParseError::new(
                FieldCode::OutOfRange,
                format!("week must be between W01 and W{weeks} ({year} has {weeks} ISO weeks)"),
                format!("สัปดาห์ต้องอยู่ระหว่าง W01 ถึง W{weeks} (ปี {year} มี {weeks} สัปดาห์)"),
            ));
        }
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)
            .map(|monday| Self { monday })
            .ok_or_else(format_error)
    }

    /// Parses `YYYY-Www`; surrounding whitespace and a lowercase `w` are
    /// accepted.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let text = input.trim();
        let bytes = text.as_bytes();
        let well_formed = bytes.len() == 8
            && bytes[..4].iter().all(u8::is_ascii_digit)
            && bytes[4] == b'-'
            && matches!(bytes[5], b'W' | b'w')
            && bytes[6..].iter().all(u8::is_ascii_digit);
        if !well_formed {
            return Err(format_error());
        }
        // All eight bytes are ASCII, so these slices are on char boundaries.
        let year: i32 = text[..4].parse().map_err(|_| format_error())?;
        // A phone set to the Thai calendar writes 2569 for 2026.
        if year >= FIRST_BUDDHIST_ERA_YEAR {
            return Err(buddhist_era_year(year).into());
        }
        let week = text[6..].parse().map_err(|_| format_error())?;
        Self::new(year, week)
    }

    /// The number of ISO weeks (52 or 53) in `year`.
    pub fn weeks_in_year(year: i32) -> u32 {
        weeks_in_year(year)
    }

    /// The ISO week-numbering year (which can differ from the calendar year
    /// of some of its days around New Year).
    pub fn year(&self) -> i32 {
        self.monday.iso_week().year()
    }

    pub fn week(&self) -> u32 {
        self.monday.iso_week().week()
    }

    /// The week containing `instant`, judged by the Asia/Bangkok calendar.
    ///
    /// Instants outside ISO years 0001–9999 (far beyond any real data)
    /// saturate to the first or last representable week.
    pub fn containing(instant: DateTime<Utc>, week_start: Weekday) -> Self {
        Self::containing_date(bangkok_date(instant), week_start)
    }

    /// The week containing the calendar date `date` (already in Bangkok).
    pub fn containing_date(date: NaiveDate, week_start: Weekday) -> Self {
        // Undo the week-start shift, then take the ISO week's Monday.
        let iso_day = add_days(date, -start_offset_days(week_start));
        let monday = add_days(
            iso_day,
            -i64::from(iso_day.weekday().num_days_from_monday()),
        );
        Self {
            monday: monday.clamp(MIN_MONDAY, MAX_MONDAY),
        }
    }

    /// The first calendar day of the week for the given `week_start`.
    pub fn first_day(&self, week_start: Weekday) -> NaiveDate {
        add_days(self.monday, start_offset_days(week_start))
    }

    /// The last calendar day of the week (six days after the first).
    pub fn last_day(&self, week_start: Weekday) -> NaiveDate {
        add_days(self.first_day(week_start), 6)
    }

    /// The half-open UTC interval `[start, end)` of the week, where `start`
    /// is 00:00 Asia/Bangkok on the first day and `end` is the start of the
    /// following week.
    pub fn utc_range(&self, week_start: Weekday) -> (DateTime<Utc>, DateTime<Utc>) {
        let first = self.first_day(week_start);
        (
            bangkok_start_of_day(first),
            bangkok_start_of_day(add_days(first, 7)),
        )
    }

    /// A Thai label in the Buddhist Era: `16-22 พ.ย. 2569`,
    /// `30 พ.ย. - 6 ธ.ค. 2569`, or `29 ธ.ค. 2568 - 4 ม.ค. 2569`.
    pub fn thai_label(&self, week_start: Weekday) -> String {
        let first = self.first_day(week_start);
        let last = self.last_day(week_start);
        let (d1, m1, y1) = thai_parts(first);
        let (d2, m2, y2) = thai_parts(last);
        if y1 != y2 {
            format!("{d1} {m1} {y1} - {d2} {m2} {y2}")
        } else if m1 != m2 {
            format!("{d1} {m1} - {d2} {m2} {y2}")
        } else {
            format!("{d1}-{d2} {m2} {y2}")
        }
    }

    /// The following week, or `None` after 9999-W52.
    pub fn next(&self) -> Option<Self> {
        let monday = add_days(self.monday, 7);
        (monday > self.monday && monday <= MAX_MONDAY).then_some(Self { monday })
    }

    /// The preceding week, or `None` before 0001-W01.
    pub fn previous(&self) -> Option<Self> {
        let monday = add_days(self.monday, -7);
        (monday < self.monday && monday >= MIN_MONDAY).then_some(Self { monday })
    }
}

/// Days from the ISO Monday to the first day of the week: the `week_start`
/// day nearest to that Monday, in -3..=3 (Fri -3, Sat -2, Sun -1, Mon 0,
/// Tue 1, Wed 2, Thu 3).
fn start_offset_days(week_start: Weekday) -> i64 {
    (i64::from(week_start.num_days_from_monday()) + 3) % 7 - 3
}

fn weeks_in_year(year: i32) -> u32 {
    // 28 December is always in the last ISO week of its year.
    NaiveDate::from_ymd_opt(year, 12, 28).map_or(52, |d| d.iso_week().week())
}

/// Date arithmetic that cannot panic; every date this module produces is
/// far inside chrono's range, so the fallback is never taken in practice.
fn add_days(date: NaiveDate, days: i64) -> NaiveDate {
    date.checked_add_signed(TimeDelta::days(days))
        .unwrap_or(date)
}

/// The abbreviation Thai offices write for a month (`ม.ค.` for January), by its index
/// from 0.
pub fn thai_month_abbreviation(month0: u32) -> &'static str {
    THAI_MONTHS.get(month0 as usize).copied().unwrap_or("")
}

fn thai_parts(date: NaiveDate) -> (u32, &'static str, i32) {
    let month = THAI_MONTHS
        .get(date.month0() as usize)
        .copied()
        .unwrap_or("");
    (date.day(), month, date.year() + 543)
}

impl fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-W{:02}", self.year(), self.week())
    }
}

impl fmt::Debug for IsoWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IsoWeek({self})")
    }
}

impl FromStr for IsoWeek {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for IsoWeek {
    type Error = ParseError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl Serialize for IsoWeek {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl PartialSchema for IsoWeek {
    fn schema() -> RefOr<Schema> {
        string_schema(
            "ISO-8601 week, YYYY-Www. W53 exists only in years with 53 ISO weeks.",
            Some("^[0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-3])$"),
            "2026-W47",
        )
    }
}

impl ToSchema for IsoWeek {}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_WEEKDAYS: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    fn week(text: &str) -> IsoWeek {
        IsoWeek::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().expect("test timestamp")
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("test date")
    }

    #[test]
    fn parses_and_displays_canonically() {
        let w = week("2026-W47");
        assert_eq!((w.year(), w.week()), (2026, 47));
        assert_eq!(w.to_string(), "2026-W47");
        assert_eq!(week(" 2026-w05 ").to_string(), "2026-W05");
        assert_eq!(week("0099-W10").to_string(), "0099-W10");
        assert_eq!(format!("{w:?}"), "IsoWeek(2026-W47)");
    }

    #[test]
    fn rejects_malformed_text() {
        for bad in [
            "",
            "abcd",
            "2026W47",
            "2026-W7",
            "2026-W477",
            "26-W47",
            "2026-47",
            "2026_W47",
            "+026-W47",
            "2026-Ｗ47",
            "2026-W4a",
            "๒๕๖๙-W47",
            "2026-W47x",
        ] {
            assert_eq!(
                IsoWeek::parse(bad).unwrap_err().to_string(),
                format_error().to_string(),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_buddhist_era_week_is_refused_with_its_own_code() {
        let error = IsoWeek::parse("2569-W48").unwrap_err();
        assert_eq!(error.code(), FieldCode::BuddhistEraYear);
        assert!(error.message().th.contains("2026"));
    }

    #[test]
    fn rejects_weeks_that_do_not_exist() {
        assert_eq!(
            IsoWeek::parse("2026-W54").unwrap_err().to_string(),
            "week must be between W01 and W53 (2026 has 53 ISO weeks)"
        );
        assert_eq!(
            IsoWeek::parse("2021-W53").unwrap_err().to_string(),
            "week must be between W01 and W52 (2021 has 52 ISO weeks)"
        );
        assert!(IsoWeek::parse("2026-W00").is_err());
        assert_eq!(
            IsoWeek::parse("0000-W01").unwrap_err().to_string(),
            "year must be between 0001 and 9999"
        );
        assert!(IsoWeek::new(10_000, 1).is_err());
        assert!(IsoWeek::new(-1, 1).is_err());
    }

    #[test]
    fn week_53_exists_only_in_long_years() {
        assert_eq!(IsoWeek::weeks_in_year(2020), 53);
        assert_eq!(IsoWeek::weeks_in_year(2021), 52);
        assert_eq!(IsoWeek::weeks_in_year(2026), 53);
        assert_eq!(IsoWeek::weeks_in_year(2027), 52);
        assert!(IsoWeek::parse("2020-W53").is_ok());
        assert!(IsoWeek::parse("2026-W53").is_ok());
    }

    #[test]
    fn sunday_night_and_monday_morning_in_bangkok() {
        let mon = Weekday::Mon;
        // Sunday 23:59 Bangkok.
        assert_eq!(
            IsoWeek::containing(utc("2026-11-22T16:59:00Z"), mon),
            week("2026-W47")
        );
        assert_eq!(
            IsoWeek::containing(utc("2026-11-22T16:59:59.999Z"), mon),
            week("2026-W47")
        );
        // Monday 00:00 and 01:00 Bangkok, still Sunday in UTC.
        assert_eq!(
            IsoWeek::containing(utc("2026-11-22T17:00:00Z"), mon),
            week("2026-W48")
        );
        assert_eq!(
            IsoWeek::containing(utc("2026-11-22T18:00:00Z"), mon),
            week("2026-W48")
        );
    }

    #[test]
    fn sunday_start_switches_on_saturday_night_bangkok() {
        let sun = Weekday::Sun;
        // Saturday 23:59 Bangkok, then Sunday 00:00 Bangkok.
        assert_eq!(
            IsoWeek::containing(utc("2026-11-21T16:59:00Z"), sun),
            week("2026-W47")
        );
        assert_eq!(
            IsoWeek::containing(utc("2026-11-21T17:00:00Z"), sun),
            week("2026-W48")
        );
        // Sunday 22 Nov Bangkok is already week 48 with a Sunday start.
        assert_eq!(
            IsoWeek::containing(utc("2026-11-22T10:00:00Z"), sun),
            week("2026-W48")
        );
    }

    #[test]
    fn year_boundaries_follow_iso_rules_in_bangkok() {
        let mon = Weekday::Mon;
        let on = |d: NaiveDate| IsoWeek::containing_date(d, mon);
        assert_eq!(on(date(2026, 12, 31)), week("2026-W53"));
        assert_eq!(on(date(2027, 1, 3)), week("2026-W53"));
        assert_eq!(on(date(2027, 1, 4)), week("2027-W01"));
        assert_eq!(on(date(2025, 12, 29)), week("2026-W01"));
        assert_eq!(on(date(2021, 1, 3)), week("2020-W53"));
        // 17:00 UTC on 31 Dec is already 1 January in Bangkok.
        assert_eq!(
            IsoWeek::containing(utc("2026-12-31T17:00:00Z"), mon),
            week("2026-W53")
        );
        assert_eq!(
            IsoWeek::containing(utc("2020-12-31T17:00:00Z"), mon),
            week("2020-W53")
        );
        assert_eq!(
            IsoWeek::containing(utc("2021-12-31T17:00:00Z"), mon),
            week("2021-W52")
        );
    }

    #[test]
    fn monday_start_gives_plain_iso_days() {
        let w = week("2026-W47");
        assert_eq!(w.first_day(Weekday::Mon), date(2026, 11, 16));
        assert_eq!(w.last_day(Weekday::Mon), date(2026, 11, 22));
        assert_eq!(
            w.utc_range(Weekday::Mon),
            (utc("2026-11-15T17:00:00Z"), utc("2026-11-22T17:00:00Z"))
        );
    }

    #[test]
    fn other_week_starts_use_the_start_day_nearest_the_iso_monday() {
        let w = week("2026-W47"); // ISO Monday 16 Nov 2026
        let cases = [
            (Weekday::Tue, date(2026, 11, 17)),
            (Weekday::Wed, date(2026, 11, 18)),
            (Weekday::Thu, date(2026, 11, 19)),
            (Weekday::Fri, date(2026, 11, 13)),
            (Weekday::Sat, date(2026, 11, 14)),
            (Weekday::Sun, date(2026, 11, 15)),
        ];
        for (start, first) in cases {
            assert_eq!(w.first_day(start), first, "{start}");
            assert_eq!(w.first_day(start).weekday(), start);
            assert_eq!(w.last_day(start), first + TimeDelta::days(6));
        }
        assert_eq!(
            w.utc_range(Weekday::Sun),
            (utc("2026-11-14T17:00:00Z"), utc("2026-11-21T17:00:00Z"))
        );
    }

    #[test]
    fn every_week_start_contains_the_iso_thursday() {
        let mut w = week("2019-W01");
        while w <= week("2029-W01") {
            let thursday = w.monday + TimeDelta::days(3);
            for start in ALL_WEEKDAYS {
                assert!(w.first_day(start) <= thursday && thursday <= w.last_day(start));
            }
            w = w.next().unwrap();
        }
    }

    #[test]
    fn weeks_tile_time_and_containing_agrees_with_utc_range() {
        let second = TimeDelta::seconds(1);
        // Recent years, plus 1920 when Bangkok's clocks skipped local
        // midnight on Thursday 1 April.
        for (from, to) in [("2019-W50", "2028-W03"), ("1920-W10", "1920-W16")] {
            for start in ALL_WEEKDAYS {
                let mut w = week(from);
                while w <= week(to) {
                    let (begin, end) = w.utc_range(start);
                    let next = w.next().unwrap();
                    assert_eq!(end, next.utc_range(start).0, "{w} {start}");
                    assert_eq!(IsoWeek::containing(begin, start), w, "{w} {start}");
                    assert_eq!(IsoWeek::containing(end - second, start), w, "{w} {start}");
                    assert_eq!(IsoWeek::containing(end, start), next, "{w} {start}");
                    w = next;
                }
            }
        }
    }

    #[test]
    fn a_week_lasts_exactly_seven_days_without_clock_changes() {
        let (begin, end) = week("2026-W47").utc_range(Weekday::Wed);
        assert_eq!(end - begin, TimeDelta::days(7));
    }

    #[test]
    fn thai_labels_within_a_month_across_months_and_across_years() {
        assert_eq!(week("2026-W47").thai_label(Weekday::Mon), "16-22 พ.ย. 2569");
        assert_eq!(
            week("2026-W49").thai_label(Weekday::Mon),
            "30 พ.ย. - 6 ธ.ค. 2569"
        );
        assert_eq!(
            week("2026-W01").thai_label(Weekday::Mon),
            "29 ธ.ค. 2568 - 4 ม.ค. 2569"
        );
        assert_eq!(week("2026-W47").thai_label(Weekday::Sun), "15-21 พ.ย. 2569");
        assert_eq!(week("2026-W02").thai_label(Weekday::Mon), "5-11 ม.ค. 2569");
    }

    #[test]
    fn thai_month_abbreviations_cover_the_year() {
        let labels: Vec<String> = (1..=12)
            .map(|m| {
                IsoWeek::containing_date(date(2027, m, 15), Weekday::Mon).thai_label(Weekday::Mon)
            })
            .collect();
        for (label, month) in labels.iter().zip(THAI_MONTHS) {
            assert!(label.contains(month), "{label} lacks {month}");
        }
    }

    #[test]
    fn next_and_previous_cross_year_boundaries() {
        assert_eq!(week("2026-W47").next(), Some(week("2026-W48")));
        assert_eq!(week("2026-W53").next(), Some(week("2027-W01")));
        assert_eq!(week("2027-W01").previous(), Some(week("2026-W53")));
        assert_eq!(week("2021-W52").next(), Some(week("2022-W01")));
        assert_eq!(week("2022-W01").previous(), Some(week("2021-W52")));
    }

    #[test]
    fn range_limits_are_the_first_and_last_iso_weeks() {
        assert_eq!(IsoWeek::new(1, 1).unwrap().monday, MIN_MONDAY);
        assert_eq!(IsoWeek::new(9999, 52).unwrap().monday, MAX_MONDAY);
        assert_eq!(IsoWeek::weeks_in_year(9999), 52);
        assert_eq!(IsoWeek::new(9999, 52).unwrap().next(), None);
        assert_eq!(week("0001-W01").previous(), None);
    }

    #[test]
    fn containing_saturates_instead_of_panicking_at_the_extremes() {
        for start in ALL_WEEKDAYS {
            assert_eq!(
                IsoWeek::containing(DateTime::<Utc>::MAX_UTC, start),
                IsoWeek::new(9999, 52).unwrap()
            );
            assert_eq!(
                IsoWeek::containing(DateTime::<Utc>::MIN_UTC, start),
                week("0001-W01")
            );
            let _ = IsoWeek::new(9999, 52).unwrap().utc_range(start);
            let _ = week("0001-W01").utc_range(start);
            let _ = week("0001-W01").thai_label(start);
        }
    }

    #[test]
    fn orders_chronologically() {
        assert!(week("2026-W53") < week("2027-W01"));
        assert!(week("2026-W09") < week("2026-W10"));
    }

    #[test]
    fn serde_round_trips_as_a_string() {
        let w = week("2026-W47");
        assert_eq!(serde_json::to_string(&w).unwrap(), "\"2026-W47\"");
        assert_eq!(serde_json::from_str::<IsoWeek>("\"2026-W47\"").unwrap(), w);
        let error = serde_json::from_str::<IsoWeek>("\"2021-W53\"").unwrap_err();
        assert!(error.to_string().contains("2021 has 52 ISO weeks"));
    }

    #[test]
    fn schema_pattern_matches_the_example() {
        let schema = serde_json::to_value(IsoWeek::schema()).unwrap();
        assert_eq!(schema["type"], "string");
        assert_eq!(schema["examples"][0], "2026-W47");
    }
}
