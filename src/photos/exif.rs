//! What a photo's EXIF says about where and when it was taken, and what that says about
//! its record: a photo taken far from the record's point, or long before or after it,
//! is flagged for a supervisor to look at. A photo without EXIF gets no flag.

use std::io::{BufRead, Seek};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use exif::{In, Reader, Tag, Value};

use crate::domain::GeoPoint;
use crate::placement::Flag;

/// A photo farther than this from its record's point: `photo_far_from_record`.
pub const FAR_FROM_RECORD_M: f64 = 1_000.0;
/// A photo taken more than this before or after its record's time: `photo_time_mismatch`.
pub fn time_mismatch() -> Duration {
    Duration::hours(24)
}
/// EXIF times without a zone are a Thai phone's clock: Bangkok, +07:00.
const BANGKOK_SECONDS: i32 = 7 * 3600;

/// Where and when a photo says it was taken.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Taken {
    pub at: Option<DateTime<Utc>>,
    pub point: Option<GeoPoint>,
}

/// Reads the EXIF of a JPEG, PNG or WebP image. Anything missing or unreadable is simply
/// not known: a photo is never refused for its EXIF.
pub fn read<R: BufRead + Seek>(image: &mut R) -> Taken {
    let Ok(exif) = Reader::new().read_from_container(image) else {
        return Taken::default();
    };
    Taken {
        at: taken_at(&exif),
        point: position(&exif),
    }
}

fn ascii(exif: &exif::Exif, tag: Tag) -> Option<&[u8]> {
    match &exif.get_field(tag, In::PRIMARY)?.value {
        Value::Ascii(values) => values.first().map(Vec::as_slice),
        _ => None,
    }
}

fn taken_at(exif: &exif::Exif) -> Option<DateTime<Utc>> {
    let raw = ascii(exif, Tag::DateTimeOriginal).or_else(|| ascii(exif, Tag::DateTime))?;
    let mut time = exif::DateTime::from_ascii(raw).ok()?;
    if let Some(offset) = ascii(exif, Tag::OffsetTimeOriginal) {
        // A malformed offset leaves the time in Bangkok's.
        let _ = time.parse_offset(offset);
    }
    let local = NaiveDate::from_ymd_opt(time.year.into(), time.month.into(), time.day.into())?
        .and_hms_opt(time.hour.into(), time.minute.into(), time.second.into())?;
    let offset_seconds = time
        .offset
        .map_or(BANGKOK_SECONDS, |minutes| i32::from(minutes) * 60);
    let zone = FixedOffset::east_opt(offset_seconds)?;
    Some(
        zone.from_local_datetime(&local)
            .single()?
            .with_timezone(&Utc),
    )
}

fn position(exif: &exif::Exif) -> Option<GeoPoint> {
    let lat = degrees(exif, Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S')?;
    let lon = degrees(exif, Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W')?;
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon))
        .then_some(GeoPoint { lat, lon })
}

/// Degrees, minutes and seconds as one signed number of degrees.
fn degrees(exif: &exif::Exif, tag: Tag, reference: Tag, negative: u8) -> Option<f64> {
    let Value::Rational(parts) = &exif.get_field(tag, In::PRIMARY)?.value else {
        return None;
    };
    let mut total = 0.0;
    for (part, scale) in parts.iter().zip([1.0, 60.0, 3600.0]) {
        if part.denom == 0 {
            return None;
        }
        total += part.to_f64() / scale;
    }
    let sign = match ascii(exif, reference).and_then(|r| r.first()) {
        Some(r) if r.eq_ignore_ascii_case(&negative) => -1.0,
        _ => 1.0,
    };
    total.is_finite().then_some(sign * total)
}

/// The flags a photo taken as `taken` earns on a record at `point`, made at `at`.
pub fn flags(taken: &Taken, point: GeoPoint, at: NaiveDateTime) -> Vec<Flag> {
    let mut flags = Vec::new();
    if let Some(photo_point) = taken.point {
        if crate::geo::haversine_m(photo_point, point) > FAR_FROM_RECORD_M {
            flags.push(Flag::PhotoFarFromRecord);
        }
    }
    if let Some(photo_at) = taken.at {
        if (photo_at - at.and_utc()).abs() > time_mismatch() {
            flags.push(Flag::PhotoTimeMismatch);
        }
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        DateTime::parse_from_rfc3339(text).unwrap().naive_utc()
    }

    #[test]
    fn far_or_late_photos_are_flagged_and_near_timely_ones_are_not() {
        let home = GeoPoint {
            lat: 18.7883,
            lon: 98.9853,
        };
        let visited = at("2026-12-01T10:00:00+07:00");
        let near = Taken {
            at: Some(
                DateTime::parse_from_rfc3339("2026-12-01T09:00:00+07:00")
                    .unwrap()
                    .into(),
            ),
            point: Some(GeoPoint {
                lat: 18.7890,
                lon: 98.9860,
            }),
        };
        assert!(flags(&near, home, visited).is_empty());
        let far = Taken {
            point: Some(GeoPoint {
                lat: 18.80,
                lon: 98.9853,
            }),
            ..near
        };
        assert_eq!(flags(&far, home, visited), vec![Flag::PhotoFarFromRecord]);
        let late = Taken {
            at: Some(
                DateTime::parse_from_rfc3339("2026-12-02T10:00:01+07:00")
                    .unwrap()
                    .into(),
            ),
            ..near
        };
        assert_eq!(flags(&late, home, visited), vec![Flag::PhotoTimeMismatch]);
        assert!(flags(&Taken::default(), home, visited).is_empty());
    }

    #[test]
    fn an_image_without_exif_says_nothing() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        assert_eq!(read(&mut std::io::Cursor::new(png)), Taken::default());
    }
}
