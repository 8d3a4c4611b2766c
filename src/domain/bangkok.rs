//! Calendar arithmetic in Asia/Bangkok, where the ministry's days begin.
//!
//! Both helpers avoid chrono's panicking conversions so they are total over
//! every `DateTime<Utc>` / `NaiveDate`.

use chrono::{
    DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta, TimeZone, Utc,
};
use chrono_tz::Asia::Bangkok;

const ENGLISH_MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A date as Thai readers write it, with the Buddhist-Era year: `3 ธ.ค. 2569`, or in
/// English `3 Dec 2569 BE`.
pub fn buddhist_era_date(date: NaiveDate, language: crate::domain::Language) -> String {
    use chrono::Datelike;
    let year = date.year() + 543;
    match language {
        crate::domain::Language::Thai => format!(
            "{} {} {year}",
            date.day(),
            super::iso_week::thai_month_abbreviation(date.month0())
        ),
        crate::domain::Language::English => format!(
            "{} {} {year} BE",
            date.day(),
            ENGLISH_MONTHS[date.month0() as usize]
        ),
    }
}

/// An instant as a Bangkok wall-clock time with the Buddhist-Era date:
/// `4 ธ.ค. 2569 14:30`, or `4 Dec 2569 BE 14:30`.
pub fn buddhist_era_time(instant: DateTime<Utc>, language: crate::domain::Language) -> String {
    use chrono::Timelike;
    let local = instant.with_timezone(&Bangkok);
    format!(
        "{} {:02}:{:02}",
        buddhist_era_date(local.date_naive(), language),
        local.hour(),
        local.minute()
    )
}

/// The calendar date in Asia/Bangkok at `instant`.
pub fn bangkok_date(instant: DateTime<Utc>) -> NaiveDate {
    local_date_of(instant.naive_utc())
}

/// The first instant of `date` in Asia/Bangkok, i.e. local 00:00 (or, on a
/// day whose midnight was skipped by a clock change, the first instant that
/// day actually had).
pub fn bangkok_start_of_day(date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN);
    match Bangkok.offset_from_local_datetime(&midnight) {
        LocalResult::Single(offset) | LocalResult::Ambiguous(offset, _) => midnight
            .checked_sub_offset(offset.fix())
            .map_or_else(|| midnight.and_utc(), |utc| utc.and_utc()),
        // Midnight fell in a gap (Bangkok moved from Bangkok Mean Time to +07:00
        // at 1920-04-01 00:00): find the transition instant by bisection.
        LocalResult::None => first_instant_of_gap_day(date, midnight),
    }
}

fn local_date_of(utc: NaiveDateTime) -> NaiveDate {
    let offset = Bangkok.offset_from_utc_datetime(&utc).fix();
    // Only fails at the very end of chrono's range, where no real data lives.
    utc.checked_add_offset(offset).unwrap_or(utc).date()
}

fn first_instant_of_gap_day(date: NaiveDate, midnight: NaiveDateTime) -> DateTime<Utc> {
    // Any real UTC offset is within ±15 h, so the answer lies in this window.
    let window = TimeDelta::hours(15);
    let (Some(mut before), Some(mut after)) = (
        midnight.checked_sub_signed(window),
        midnight.checked_add_signed(window),
    ) else {
        return midnight.and_utc();
    };
    // Invariant: local_date(before) < date <= local_date(after).
    // Whole-second steps: the window is a whole number of seconds and
    // transitions happen on whole seconds, so this lands exactly on one.
    loop {
        let gap_seconds = (after - before).num_seconds();
        if gap_seconds <= 1 {
            break;
        }
        let middle = before + TimeDelta::seconds(gap_seconds / 2);
        if local_date_of(middle) < date {
            before = middle;
        } else {
            after = middle;
        }
    }
    after.and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().expect("test timestamp")
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("test date")
    }

    #[test]
    fn bangkok_date_switches_at_17_00_utc() {
        assert_eq!(
            bangkok_date(utc("2026-11-22T16:59:59Z")),
            date(2026, 11, 22)
        );
        assert_eq!(
            bangkok_date(utc("2026-11-22T17:00:00Z")),
            date(2026, 11, 23)
        );
    }

    #[test]
    fn start_of_day_is_midnight_at_plus_seven() {
        assert_eq!(
            bangkok_start_of_day(date(2026, 11, 23)),
            utc("2026-11-22T17:00:00Z")
        );
    }

    #[test]
    fn start_of_day_handles_the_1920_skipped_midnight() {
        let start = bangkok_start_of_day(date(1920, 4, 1));
        // Local 00:00 BMT (+06:42:04) became 00:17:56 (+07:00).
        assert_eq!(start, utc("1920-03-31T17:17:56Z"));
        assert_eq!(bangkok_date(start), date(1920, 4, 1));
        assert_eq!(
            bangkok_date(start - TimeDelta::seconds(1)),
            date(1920, 3, 31)
        );
    }

    #[test]
    fn helpers_do_not_panic_at_the_extremes_of_chrono() {
        let _ = bangkok_date(DateTime::<Utc>::MAX_UTC);
        let _ = bangkok_date(DateTime::<Utc>::MIN_UTC);
        let _ = bangkok_start_of_day(NaiveDate::MAX);
        let _ = bangkok_start_of_day(NaiveDate::MIN);
    }
}
