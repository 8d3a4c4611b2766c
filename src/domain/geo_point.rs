use serde::Serialize;
use utoipa::ToSchema;

use super::bbox::parse_numbers;
use super::error::ParseError;
use super::message::FieldCode;

/// A WGS 84 position in decimal degrees: the one point type of the crate.
///
/// Any two numbers make one, so that the geography can compute with points
/// (centroids, means, offsets); [`is_valid`](Self::is_valid) says whether a
/// computed one is in range. What clients send goes through
/// [`checked`](Self::checked) or [`parse`](Self::parse) instead.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
// Clients have always known this schema as `LatLon`.
#[schema(as = LatLon, description = "A WGS84 position in decimal degrees.")]
pub struct GeoPoint {
    /// Latitude in degrees, positive north.
    #[schema(example = 13.7563)]
    pub lat: f64,
    /// Longitude in degrees, positive east.
    #[schema(example = 100.5018)]
    pub lon: f64,
}

fn lat_error() -> ParseError {
    ParseError::new(
        FieldCode::OutOfRange,
        "must be a latitude: a number between -90 and 90",
        "ต้องเป็นละติจูด: ตัวเลขระหว่าง -90 ถึง 90",
    )
}

fn lon_error() -> ParseError {
    ParseError::new(
        FieldCode::OutOfRange,
        "must be a longitude: a number between -180 and 180",
        "ต้องเป็นลองจิจูด: ตัวเลขระหว่าง -180 ถึง 180",
    )
}

fn accuracy_error() -> ParseError {
    ParseError::new(
        FieldCode::OutOfRange,
        "must be a number of metres from 0 to 10000",
        "ต้องเป็นระยะคลาดเคลื่อนเป็นเมตร ตั้งแต่ 0 ถึง 10000",
    )
}

const MAX_ACCURACY_M: f64 = 10_000.0;

fn format_error() -> ParseError {
    ParseError::new(
        FieldCode::BadFormat,
        "must be two comma-separated numbers: lat,lon",
        "ต้องเป็นตัวเลข 2 ค่าคั่นด้วยจุลภาค: ละติจูด,ลองจิจูด",
    )
}

pub(super) fn is_valid_lat(lat: f64) -> bool {
    lat.is_finite() && (-90.0..=90.0).contains(&lat)
}

pub(super) fn is_valid_lon(lon: f64) -> bool {
    lon.is_finite() && (-180.0..=180.0).contains(&lon)
}

impl GeoPoint {
    /// A point from latitude and longitude, in that order, unchecked.
    pub const fn new(lat: f64, lon: f64) -> Self {
        Self { lat, lon }
    }

    /// Checks both coordinates and reports every problem as `(field, message)`
    /// pairs, with fields `lat` and `lon`, so the caller can prefix its own
    /// path (e.g. `location.lat`).
    pub fn checked(lat: f64, lon: f64) -> Result<Self, Vec<(&'static str, ParseError)>> {
        let mut errors = Vec::new();
        if !is_valid_lat(lat) {
            errors.push(("lat", lat_error()));
        }
        if !is_valid_lon(lon) {
            errors.push(("lon", lon_error()));
        }
        if errors.is_empty() {
            Ok(Self { lat, lon })
        } else {
            Err(errors)
        }
    }

    /// Parses `lat,lon`, as in a `near=` query parameter. Note the order is
    /// latitude first, unlike a [`Bbox`](super::Bbox)'s.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let [lat, lon] = parse_numbers::<2>(input).ok_or_else(format_error)?;
        if !is_valid_lat(lat) {
            return Err(lat_error());
        }
        if !is_valid_lon(lon) {
            return Err(lon_error());
        }
        Ok(Self { lat, lon })
    }

    /// Whether both coordinates are finite and within their ranges.
    pub fn is_valid(self) -> bool {
        is_valid_lat(self.lat) && is_valid_lon(self.lon)
    }
}

/// A position as a device reports it: the point and the accuracy radius it
/// claimed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GpsFix {
    pub point: GeoPoint,
    /// Horizontal accuracy radius in metres, 0 to 10000; `None` when unknown.
    pub accuracy_m: Option<f64>,
}

impl GpsFix {
    /// Checks every field and reports all problems at once as `(field, message)`
    /// pairs, with fields `lat`, `lon` and `accuracy_m`, so the caller can
    /// prefix its own path (e.g. `location.lat`).
    pub fn new(
        lat: f64,
        lon: f64,
        accuracy_m: Option<f64>,
    ) -> Result<Self, Vec<(&'static str, ParseError)>> {
        let (point, mut errors) = match GeoPoint::checked(lat, lon) {
            Ok(point) => (Some(point), Vec::new()),
            Err(errors) => (None, errors),
        };
        if let Some(accuracy) = accuracy_m {
            if !(accuracy.is_finite() && (0.0..=MAX_ACCURACY_M).contains(&accuracy)) {
                errors.push(("accuracy_m", accuracy_error()));
            }
        }
        match point {
            Some(point) if errors.is_empty() => Ok(Self { point, accuracy_m }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accepts_valid_points_including_the_limits() {
        let fix = GpsFix::new(18.7883, 98.9853, Some(12.5)).unwrap();
        assert_eq!(
            (fix.point.lat, fix.point.lon, fix.accuracy_m),
            (18.7883, 98.9853, Some(12.5))
        );
        for (lat, lon) in [(90.0, 180.0), (-90.0, -180.0), (0.0, 0.0), (-0.0, -0.0)] {
            assert!(GeoPoint::checked(lat, lon).is_ok(), "{lat},{lon}");
            assert!(GeoPoint::new(lat, lon).is_valid(), "{lat},{lon}");
        }
        assert!(GpsFix::new(13.75, 100.5, Some(0.0)).is_ok());
        assert!(GpsFix::new(13.75, 100.5, Some(10_000.0)).is_ok());
    }

    #[test]
    fn rejects_out_of_range_and_non_finite_latitude() {
        for lat in [
            90.000_001,
            -90.5,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            let errors = GeoPoint::checked(lat, 100.0).unwrap_err();
            assert_eq!(errors, vec![("lat", lat_error())], "{lat}");
            assert!(!GeoPoint::new(lat, 100.0).is_valid(), "{lat}");
        }
    }

    #[test]
    fn rejects_out_of_range_and_non_finite_longitude() {
        for lon in [180.000_001, -181.0, f64::NAN, f64::INFINITY] {
            let errors = GeoPoint::checked(13.0, lon).unwrap_err();
            assert_eq!(errors, vec![("lon", lon_error())], "{lon}");
            assert!(!GeoPoint::new(13.0, lon).is_valid(), "{lon}");
        }
    }

    #[test]
    fn rejects_bad_accuracy() {
        for accuracy in [-0.1, 10_000.1, f64::NAN, f64::INFINITY] {
            let errors = GpsFix::new(13.0, 100.0, Some(accuracy)).unwrap_err();
            assert_eq!(errors, vec![("accuracy_m", accuracy_error())], "{accuracy}");
        }
    }

    #[test]
    fn reports_every_bad_field_at_once() {
        let errors = GpsFix::new(91.0, 200.0, Some(-1.0)).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|(field, _)| *field).collect();
        assert_eq!(fields, ["lat", "lon", "accuracy_m"]);
    }

    #[test]
    fn parses_latitude_then_longitude() {
        let near = GeoPoint::parse("18.7883,98.9853").unwrap();
        assert_eq!(near, GeoPoint::new(18.7883, 98.9853));
        let near = GeoPoint::parse(" -90 , 180 ").unwrap();
        assert_eq!(near, GeoPoint::new(-90.0, 180.0));
    }

    #[test]
    fn parse_rejects_wrong_shapes() {
        for bad in [
            "",
            "13.75",
            "13.75,100.5,3",
            "13.75;100.5",
            "a,b",
            ",100.5",
            "13.75,",
        ] {
            assert_eq!(
                GeoPoint::parse(bad).unwrap_err().to_string(),
                format_error().to_string(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn parse_rejects_out_of_range_or_non_finite_coordinates() {
        assert_eq!(
            GeoPoint::parse("100.5,13.75").unwrap_err().to_string(),
            lat_error().to_string()
        );
        assert_eq!(
            GeoPoint::parse("13.75,180.5").unwrap_err().to_string(),
            lon_error().to_string()
        );
        assert!(GeoPoint::parse("NaN,100").is_err());
        assert!(GeoPoint::parse("13,inf").is_err());
    }

    #[test]
    fn serializes_as_lat_and_lon() {
        assert_eq!(
            serde_json::to_value(GeoPoint::new(13.75, 100.5)).unwrap(),
            json!({"lat": 13.75, "lon": 100.5})
        );
    }

    #[test]
    fn schema_keeps_its_name_and_both_fields() {
        assert_eq!(<GeoPoint as ToSchema>::name(), "LatLon");
        let schema = serde_json::to_value(<GeoPoint as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(schema["required"], json!(["lat", "lon"]));
        assert_eq!(schema["properties"]["lat"]["example"], 13.7563);
    }
}
