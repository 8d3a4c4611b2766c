//! Parsers for query-string values shared by the list endpoints. Each records a field
//! error under the parameter's name instead of failing the whole request at once.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use crate::domain::{bangkok_date, bangkok_start_of_day};
use crate::error::FieldError;

/// An RFC 3339 instant, or a calendar day in Bangkok. As an upper bound (`end_of_day`),
/// a day means "up to the end of that day".
pub fn parse_instant_bound(
    errors: &mut Vec<FieldError>,
    field: &str,
    raw: Option<&str>,
    end_of_day: bool,
) -> Option<NaiveDateTime> {
    let raw = raw?.trim();
    if let Ok(instant) = DateTime::parse_from_rfc3339(raw) {
        return Some(instant.with_timezone(&Utc).naive_utc());
    }
    if let Ok(day) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        let day = if end_of_day { day.succ_opt()? } else { day };
        return Some(bangkok_start_of_day(day).naive_utc());
    }
    errors.push(FieldError::new(
        field,
        "must be an RFC 3339 time (2026-11-16T00:00:00+07:00) or a day (2026-11-16)",
    ));
    None
}

pub fn parse_uuid(errors: &mut Vec<FieldError>, field: &str, raw: &str) -> Option<String> {
    match uuid::Uuid::parse_str(raw.trim()) {
        Ok(id) => Some(id.hyphenated().to_string()),
        Err(_) => {
            errors.push(FieldError::new(field, "must be a UUID"));
            None
        }
    }
}

/// Today's date in Bangkok.
pub fn today_in_bangkok() -> NaiveDate {
    bangkok_date(Utc::now())
}
