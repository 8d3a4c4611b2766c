//! Parsers for query-string values shared by the list endpoints. Each records a field
//! error under the parameter's name instead of failing the whole request at once.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use crate::domain::{
    bangkok_date, bangkok_start_of_day, buddhist_era_year, Bbox, GeoPoint, UserId,
    FIRST_BUDDHIST_ERA_YEAR,
};
use crate::error::{ApiError, FieldCode, FieldError};
use crate::geo::{bounding_box, haversine_m};
use crate::http::page::bad_cursor;
use crate::http::{leading_year, PageRequest};

/// An RFC 3339 instant, or a calendar day in Bangkok. As an upper bound (`end_of_day`),
/// a day means "up to the end of that day".
pub fn parse_instant_bound(
    errors: &mut Vec<FieldError>,
    field: &str,
    raw: Option<&str>,
    end_of_day: bool,
) -> Option<NaiveDateTime> {
    let raw = raw?.trim();
    if let Some(year) = leading_year(raw).filter(|y| *y >= FIRST_BUDDHIST_ERA_YEAR) {
        errors.push(FieldError::refused(field, buddhist_era_year(year)));
        return None;
    }
    if let Ok(instant) = DateTime::parse_from_rfc3339(raw) {
        return Some(instant.with_timezone(&Utc).naive_utc());
    }
    if let Ok(day) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        let day = if end_of_day { day.succ_opt()? } else { day };
        return Some(bangkok_start_of_day(day).naive_utc());
    }
    errors.push(FieldError::new(
        field,
        FieldCode::BadFormat,
        "must be an RFC 3339 time (2026-11-16T00:00:00+07:00) or a day (2026-11-16)",
        "ต้องเป็นวันเวลาแบบ RFC 3339 (เช่น 2026-11-16T00:00:00+07:00) \
         หรือวันที่ (เช่น 2026-11-16) ในปีคริสต์ศักราช",
    ));
    None
}

pub fn parse_user_id(errors: &mut Vec<FieldError>, field: &str, raw: &str) -> Option<UserId> {
    UserId::parse(raw)
        .map_err(|error| errors.push(FieldError::parse(field, error)))
        .ok()
}

/// Today's date in Bangkok.
pub fn today_in_bangkok() -> NaiveDate {
    bangkok_date(Utc::now())
}

/// The largest `radius_m` a list accepts.
pub const MAX_RADIUS_M: f64 = 100_000.0;

/// `bbox=minLon,minLat,maxLon,maxLat`.
pub fn parse_bbox(errors: &mut Vec<FieldError>, raw: Option<&str>) -> Option<Bbox> {
    match Bbox::parse(raw?) {
        Ok(bbox) => Some(bbox),
        Err(e) => {
            errors.push(FieldError::parse("bbox", e));
            None
        }
    }
}

/// `near=lat,lon` with `radius_m`: the two go together.
pub fn parse_near(
    errors: &mut Vec<FieldError>,
    near: Option<&str>,
    radius: Option<f64>,
) -> Option<(GeoPoint, f64)> {
    match (near, radius) {
        (None, None) => None,
        (Some(_), Some(radius))
            if !(radius.is_finite() && radius > 0.0 && radius <= MAX_RADIUS_M) =>
        {
            errors.push(FieldError::new(
                "radius_m",
                FieldCode::OutOfRange,
                format!("must be above 0 and at most {MAX_RADIUS_M}"),
                format!("ต้องมากกว่า 0 และไม่เกิน {MAX_RADIUS_M} เมตร"),
            ));
            None
        }
        (Some(raw), Some(radius)) => match GeoPoint::parse(raw) {
            Ok(center) => Some((center, radius)),
            Err(e) => {
                errors.push(FieldError::parse("near", e));
                None
            }
        },
        (Some(_), None) => {
            errors.push(FieldError::new(
                "radius_m",
                FieldCode::Required,
                "is required with near",
                "ต้องระบุรัศมีเมื่อระบุ near",
            ));
            None
        }
        (None, Some(_)) => {
            errors.push(FieldError::new(
                "near",
                FieldCode::Required,
                "is required with radius_m",
                "ต้องระบุจุดศูนย์กลาง (near) เมื่อระบุรัศมี",
            ));
            None
        }
    }
}

/// The box SQL narrows by: the circle's bounding box, within `bbox` if one was given.
pub fn narrow_to_circle(bbox: Option<Bbox>, (center, radius_m): (GeoPoint, f64)) -> Bbox {
    let around = bounding_box(center, radius_m);
    bbox.map_or(around, |bbox| bbox.intersection(&around))
}

/// One page of a list ordered by (time, id), read by `read(after, count)`. With a circle,
/// the SQL narrowed only by the circle's box ([`narrow_to_circle`]) and the rows outside
/// the circle are dropped here, so reading goes on until the page is full or the rows run
/// out. Answers the page (at most `page.limit` rows) and the cursor of the next one.
pub fn read_page<R>(
    page: &PageRequest,
    mut after: Option<(NaiveDateTime, String)>,
    near: Option<(GeoPoint, f64)>,
    key_of: impl Fn(&R) -> (NaiveDateTime, String),
    point_of: impl Fn(&R) -> GeoPoint,
    mut read: impl FnMut(Option<(NaiveDateTime, String)>, i64) -> Result<Vec<R>, ApiError>,
) -> Result<(Vec<R>, Option<Vec<String>>), ApiError> {
    // One more than the page, to tell whether another page follows.
    let wanted = page.fetch_limit();
    let mut rows = Vec::new();
    loop {
        let chunk = read(after.take(), wanted)?;
        let exhausted = (chunk.len() as i64) < wanted;
        after = chunk.last().map(&key_of);
        rows.extend(chunk.into_iter().filter(|row| {
            near.is_none_or(|(center, radius_m)| haversine_m(center, point_of(row)) <= radius_m)
        }));
        if exhausted || rows.len() as i64 >= wanted {
            break;
        }
    }
    let more = rows.len() as i64 > page.limit;
    rows.truncate(page.limit as usize);
    let next = more
        .then(|| rows.last().map(&key_of))
        .flatten()
        .map(|(at, id)| time_id_key(at, &id));
    Ok((rows, next))
}

const CURSOR_TIME: &str = "%Y-%m-%dT%H:%M:%S%.6f";

/// The cursor key of a list ordered by (time, id).
pub fn time_id_key(at: NaiveDateTime, id: &str) -> Vec<String> {
    vec![at.format(CURSOR_TIME).to_string(), id.to_owned()]
}

/// Reads back a key made by [`time_id_key`].
pub fn parse_time_id_key(page: &PageRequest) -> Result<Option<(NaiveDateTime, String)>, ApiError> {
    match &page.after {
        None => Ok(None),
        Some(key) => NaiveDateTime::parse_from_str(&key[0], CURSOR_TIME)
            .map(|at| Some((at, key[1].clone())))
            .map_err(|_| ApiError::Validation(vec![bad_cursor()])),
    }
}
