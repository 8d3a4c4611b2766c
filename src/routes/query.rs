//! Parsers for query-string values shared by the list endpoints. Query structs take every
//! value as text, so serde never refuses a request on its own: each parser here records a
//! coded field error under the parameter's name, and a request that breaks several rules
//! hears of all of them in one 422.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use crate::domain::{
    bangkok_date, bangkok_start_of_day, bounded_text, buddhist_era_year, AreaCode, Bbox, GeoPoint,
    Named, UserId, FIRST_BUDDHIST_ERA_YEAR,
};
use crate::error::{ApiError, FieldCode, FieldError};
use crate::geo::{bounding_box, haversine_m};
use crate::http::{leading_year, PageRequest};

/// The names of every value of `T`, for messages.
fn allowed<T: Named>() -> String {
    T::VALUES
        .iter()
        .map(|value| value.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn not_allowed<T: Named>(field: &str, given: &str) -> FieldError {
    FieldError::new(
        field,
        FieldCode::NotAllowedValue,
        format!("{given:?} is not one of: {}", allowed::<T>()),
        format!(
            "{given:?} ไม่ใช่ค่าที่ใช้ได้ ต้องเป็นค่าใดค่าหนึ่งต่อไปนี้: {}",
            allowed::<T>()
        ),
    )
}

/// A filter on an enumerated field: one name of `T`, or several separated by commas
/// (`category=elderly,poverty`), matching any of them. Each unknown name is an error of
/// its own; a name given twice counts once. Absent: no filter (an empty list).
pub fn parse_names<T: Named + PartialEq>(
    errors: &mut Vec<FieldError>,
    field: &str,
    raw: Option<&str>,
) -> Vec<T> {
    let Some(raw) = raw else {
        return Vec::new();
    };
    let mut values = Vec::new();
    let mut empty = false;
    for part in raw.split(',').map(str::trim) {
        if part.is_empty() {
            empty = true;
        } else if let Some(value) = T::from_name(part) {
            if !values.contains(&value) {
                values.push(value);
            }
        } else {
            errors.push(not_allowed::<T>(field, part));
        }
    }
    if empty {
        errors.push(FieldError::new(
            field,
            FieldCode::Empty,
            format!(
                "holds an empty name: give one or more of {}, separated by commas",
                allowed::<T>()
            ),
            format!(
                "มีค่าว่างในรายการ กรุณาระบุค่าต่อไปนี้อย่างน้อยหนึ่งค่า คั่นด้วยจุลภาค: {}",
                allowed::<T>()
            ),
        ));
    }
    values
}

/// One name of `T`.
pub fn parse_name<T: Named>(
    errors: &mut Vec<FieldError>,
    field: &str,
    raw: Option<&str>,
) -> Option<T> {
    let raw = raw?.trim();
    T::from_name(raw).or_else(|| {
        errors.push(not_allowed::<T>(field, raw));
        None
    })
}

/// `true` or `false`.
pub fn parse_bool(errors: &mut Vec<FieldError>, field: &str, raw: Option<&str>) -> Option<bool> {
    match raw?.trim() {
        "true" => Some(true),
        "false" => Some(false),
        _ => {
            errors.push(FieldError::new(
                field,
                FieldCode::WrongType,
                "must be true or false",
                "ต้องเป็น true หรือ false",
            ));
            None
        }
    }
}

/// A finite decimal number.
pub fn parse_number(errors: &mut Vec<FieldError>, field: &str, raw: Option<&str>) -> Option<f64> {
    match raw?.trim().parse::<f64>() {
        Ok(number) if number.is_finite() => Some(number),
        _ => {
            errors.push(FieldError::new(
                field,
                FieldCode::WrongType,
                "must be a number",
                "ต้องเป็นตัวเลข",
            ));
            None
        }
    }
}

/// A whole number.
pub fn parse_whole(errors: &mut Vec<FieldError>, field: &str, raw: Option<&str>) -> Option<i64> {
    raw?.trim()
        .parse::<i64>()
        .map_err(|_| {
            errors.push(FieldError::new(
                field,
                FieldCode::WrongType,
                "must be a whole number",
                "ต้องเป็นจำนวนเต็ม",
            ))
        })
        .ok()
}

/// `area=`: an area code (`TH`, or 2, 4 or 6 digits). Whether the caller may ask for it
/// is `policy::requested_area`'s to say.
pub fn parse_area(errors: &mut Vec<FieldError>, raw: Option<&str>) -> Option<AreaCode> {
    AreaCode::parse(raw?)
        .map_err(|e| errors.push(FieldError::parse("area", e)))
        .ok()
}

/// The longest text search a list takes, in characters.
pub const MAX_SEARCH_CHARS: usize = 100;

/// `q=`: text to look for, 1 to 100 characters once trimmed.
pub fn parse_search(
    errors: &mut Vec<FieldError>,
    field: &str,
    raw: Option<&str>,
) -> Option<String> {
    bounded_text(raw?, 1, MAX_SEARCH_CHARS)
        .map_err(|e| errors.push(FieldError::text(field, e)))
        .ok()
}

/// `limit` and `cursor` of a list read in `order` (see `PageRequest::parse_in_order`).
pub fn parse_page(
    errors: &mut Vec<FieldError>,
    limit: Option<&str>,
    cursor: Option<&str>,
    order: &str,
    key_parts: usize,
) -> Option<PageRequest> {
    let limit = parse_whole(errors, "limit", limit);
    match PageRequest::parse_in_order(limit, cursor, order, key_parts) {
        Ok(page) => Some(page),
        Err(ApiError::Validation(more)) => {
            errors.extend(more);
            None
        }
        Err(_) => None,
    }
}

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
    let instant = if let Ok(instant) = DateTime::parse_from_rfc3339(raw) {
        Some(instant.with_timezone(&Utc).naive_utc())
    } else if let Ok(day) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        let day = if end_of_day {
            day.succ_opt()
        } else {
            Some(day)
        };
        day.map(|day| bangkok_start_of_day(day).naive_utc())
    } else {
        None
    };
    // A Buddhist-Era year was refused above, from the text as written.
    match instant {
        Some(instant) => Some(instant),
        None => {
            errors.push(FieldError::new(
                field,
                FieldCode::BadFormat,
                "must be an RFC 3339 time (2026-11-16T00:00:00+07:00) or a day (2026-11-16)",
                "ต้องเป็นวันเวลาแบบ RFC 3339 (เช่น 2026-11-16T00:00:00+07:00) \
                 หรือวันที่ (เช่น 2026-11-16) ในปีคริสต์ศักราช",
            ));
            None
        }
    }
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
    radius: Option<&str>,
) -> Option<(GeoPoint, f64)> {
    let given = radius.is_some();
    let radius = parse_number(errors, "radius_m", radius);
    match (near, radius) {
        (None, None) if !given => None,
        (None, _) => {
            errors.push(FieldError::new(
                "near",
                FieldCode::Required,
                "is required with radius_m",
                "ต้องระบุจุดศูนย์กลาง (near) เมื่อระบุรัศมี",
            ));
            None
        }
        (Some(_), None) if !given => {
            errors.push(FieldError::new(
                "radius_m",
                FieldCode::Required,
                "is required with near",
                "ต้องระบุรัศมีเมื่อระบุ near",
            ));
            None
        }
        // A radius that is not a number is already an error.
        (Some(_), None) => None,
        (Some(_), Some(radius)) if !(radius > 0.0 && radius <= MAX_RADIUS_M) => {
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
    }
}

/// The box SQL narrows by: the circle's bounding box, within `bbox` if one was given.
pub fn narrow_to_circle(bbox: Option<Bbox>, (center, radius_m): (GeoPoint, f64)) -> Bbox {
    let around = bounding_box(center, radius_m);
    bbox.map_or(around, |bbox| bbox.intersection(&around))
}

/// One page of a list ordered by a key `K`, read by `read(after, count)`. With a circle,
/// the SQL narrowed only by the circle's box ([`narrow_to_circle`]) and the rows outside
/// the circle are dropped here, so reading goes on until the page is full or the rows run
/// out. Answers the page (at most `page.limit` rows) and the key of its last row when
/// another page follows.
pub fn read_page<R, K>(
    page: &PageRequest,
    mut after: Option<K>,
    near: Option<(GeoPoint, f64)>,
    key_of: impl Fn(&R) -> K,
    point_of: impl Fn(&R) -> GeoPoint,
    mut read: impl FnMut(Option<K>, i64) -> Result<Vec<R>, ApiError>,
) -> Result<(Vec<R>, Option<K>), ApiError> {
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
    let next = more.then(|| rows.last().map(&key_of)).flatten();
    Ok((rows, next))
}

/// How many rows match a list's filters, for `count=true`: `count` in SQL, or, with a
/// circle, the (lat, lon) points SQL found in its box (`points`) counted here by the
/// same distance [`read_page`] keeps rows by.
pub fn count_matching<C>(
    conn: &mut C,
    near: Option<(GeoPoint, f64)>,
    count: impl FnOnce(&mut C) -> diesel::QueryResult<i64>,
    points: impl FnOnce(&mut C) -> diesel::QueryResult<Vec<(f64, f64)>>,
) -> Result<i64, ApiError> {
    Ok(match near {
        None => count(conn)?,
        Some((center, radius_m)) => points(conn)?
            .into_iter()
            .filter(|&(lat, lon)| haversine_m(center, GeoPoint::new(lat, lon)) <= radius_m)
            .count() as i64,
    })
}

const CURSOR_TIME: &str = "%Y-%m-%dT%H:%M:%S%.6f";

/// A time as a cursor holds it.
pub fn cursor_time(at: NaiveDateTime) -> String {
    at.format(CURSOR_TIME).to_string()
}

/// The cursor key of a list ordered by (time, id).
pub fn time_id_key((at, id): (NaiveDateTime, String)) -> Vec<String> {
    vec![cursor_time(at), id]
}

fn bad_cursor() -> ApiError {
    ApiError::Validation(vec![crate::http::page::bad_cursor()])
}

/// Reads back a time made by [`cursor_time`].
pub fn parse_cursor_time(raw: &str) -> Result<NaiveDateTime, ApiError> {
    NaiveDateTime::parse_from_str(raw, CURSOR_TIME).map_err(|_| bad_cursor())
}

/// Reads back a key made by [`time_id_key`].
pub fn parse_time_id_key(page: &PageRequest) -> Result<Option<(NaiveDateTime, String)>, ApiError> {
    match page.after.as_deref() {
        None => Ok(None),
        Some([at, id]) => Ok(Some((parse_cursor_time(at)?, id.clone()))),
        Some(_) => Err(bad_cursor()),
    }
}

/// The version a client expects, from `If-Match`: `None` means "any" (absent or `*`).
pub fn if_match_version(req: &actix_web::HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(value) = req.headers().get(actix_web::http::header::IF_MATCH) else {
        return Ok(None);
    };
    let value = value.to_str().unwrap_or("").trim();
    if value == "*" {
        return Ok(None);
    }
    value
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse::<i64>()
        .map(Some)
        .map_err(|_| {
            ApiError::VersionMismatch(crate::domain::Message::new(
                format!("If-Match {value:?} names no version of this record"),
                format!("If-Match {value:?} ไม่ตรงกับฉบับใดของข้อมูลนี้ กรุณาโหลดข้อมูลใหม่"),
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Category;

    #[test]
    fn an_enum_filter_takes_a_comma_list_and_names_each_bad_value() {
        let mut errors = Vec::new();
        let values: Vec<Category> =
            parse_names(&mut errors, "category", Some("elderly, poverty,elderly"));
        assert_eq!(values, [Category::Elderly, Category::Poverty]);
        assert!(errors.is_empty());

        let values: Vec<Category> =
            parse_names(&mut errors, "category", Some("elderly,old,Poverty,"));
        assert_eq!(values, [Category::Elderly]);
        let codes: Vec<_> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            codes,
            [
                ("category", FieldCode::NotAllowedValue),
                ("category", FieldCode::NotAllowedValue),
                ("category", FieldCode::Empty),
            ]
        );
        assert!(
            errors[0].message.en.contains("\"old\""),
            "{:?}",
            errors[0].message
        );
        assert!(
            errors[0].message.en.contains("family_violence"),
            "names the allowed values"
        );
        assert!(parse_names::<Category>(&mut errors, "category", None).is_empty());
    }

    #[test]
    fn typed_values_are_coded_errors_under_their_names() {
        let mut errors = Vec::new();
        assert_eq!(parse_bool(&mut errors, "overdue", Some("true")), Some(true));
        assert_eq!(parse_bool(&mut errors, "overdue", Some("yes")), None);
        assert_eq!(
            parse_number(&mut errors, "radius_m", Some("2.5")),
            Some(2.5)
        );
        assert_eq!(parse_number(&mut errors, "radius_m", Some("NaN")), None);
        assert_eq!(parse_whole(&mut errors, "limit", Some("1.5")), None);
        assert_eq!(
            parse_instant_bound(&mut errors, "from", Some("2569-12-03"), false),
            None
        );
        assert_eq!(parse_search(&mut errors, "q", Some(&"ก".repeat(101))), None);
        assert_eq!(parse_search(&mut errors, "q", Some("  ")), None);
        let codes: Vec<_> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            codes,
            [
                ("overdue", FieldCode::WrongType),
                ("radius_m", FieldCode::WrongType),
                ("limit", FieldCode::WrongType),
                ("from", FieldCode::BuddhistEraYear),
                ("q", FieldCode::TooLong),
                ("q", FieldCode::Empty),
            ]
        );
    }

    #[test]
    fn near_and_radius_go_together() {
        let cases = [
            (Some("18.8,99.0"), Some("500"), None),
            (
                Some("18.8,99.0"),
                None,
                Some(("radius_m", FieldCode::Required)),
            ),
            (None, Some("500"), Some(("near", FieldCode::Required))),
            (
                Some("18.8,99.0"),
                Some("far"),
                Some(("radius_m", FieldCode::WrongType)),
            ),
            (
                Some("18.8,99.0"),
                Some("0"),
                Some(("radius_m", FieldCode::OutOfRange)),
            ),
            (
                Some("north"),
                Some("500"),
                Some(("near", FieldCode::BadFormat)),
            ),
        ];
        for (near, radius, expected) in cases {
            let mut errors = Vec::new();
            let parsed = parse_near(&mut errors, near, radius);
            let got = errors.first().map(|e| (e.field.as_str(), e.code));
            assert_eq!(got, expected, "{near:?} {radius:?}");
            assert_eq!(parsed.is_some(), expected.is_none());
        }
    }
}
