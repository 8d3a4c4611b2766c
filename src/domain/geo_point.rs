use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A WGS 84 position reported by a device, with the optional accuracy
/// radius it claimed. Whether the point lies in Thailand is checked
/// elsewhere; this type only guarantees sane, finite numbers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "GeoPointInput")]
#[schema(example = json!({"lat": 18.7883, "lon": 98.9853, "accuracy_m": 12.5}))]
pub struct GeoPoint {
    /// Latitude in degrees, -90 to 90.
    #[schema(minimum = -90, maximum = 90)]
    lat: f64,
    /// Longitude in degrees, -180 to 180.
    #[schema(minimum = -180, maximum = 180)]
    lon: f64,
    /// Horizontal accuracy radius in metres, 0 to 10000; null when unknown.
    #[schema(minimum = 0, maximum = 10000)]
    accuracy_m: Option<f64>,
}

// No field can be NaN, so equality is reflexive.
impl Eq for GeoPoint {}

pub(super) const LAT_MESSAGE: &str = "must be a finite number between -90 and 90";
pub(super) const LON_MESSAGE: &str = "must be a finite number between -180 and 180";
const ACCURACY_MESSAGE: &str = "must be a finite number of metres between 0 and 10000";
const MAX_ACCURACY_M: f64 = 10_000.0;

pub(super) fn is_valid_lat(lat: f64) -> bool {
    lat.is_finite() && (-90.0..=90.0).contains(&lat)
}

pub(super) fn is_valid_lon(lon: f64) -> bool {
    lon.is_finite() && (-180.0..=180.0).contains(&lon)
}

impl GeoPoint {
    /// Checks every field and reports all problems at once as
    /// `(field, message)` pairs, with fields `lat`, `lon` and `accuracy_m`,
    /// so the caller can prefix its own path (e.g. `location.lat`).
    pub fn new(
        lat: f64,
        lon: f64,
        accuracy_m: Option<f64>,
    ) -> Result<Self, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        if !is_valid_lat(lat) {
            errors.push(("lat", LAT_MESSAGE.to_owned()));
        }
        if !is_valid_lon(lon) {
            errors.push(("lon", LON_MESSAGE.to_owned()));
        }
        if let Some(accuracy) = accuracy_m {
            if !(accuracy.is_finite() && (0.0..=MAX_ACCURACY_M).contains(&accuracy)) {
                errors.push(("accuracy_m", ACCURACY_MESSAGE.to_owned()));
            }
        }
        if errors.is_empty() {
            Ok(Self {
                lat,
                lon,
                accuracy_m,
            })
        } else {
            Err(errors)
        }
    }

    /// For callers in this module that have already checked the coordinates.
    pub(super) fn from_checked(lat: f64, lon: f64) -> Self {
        Self {
            lat,
            lon,
            accuracy_m: None,
        }
    }

    pub fn lat(&self) -> f64 {
        self.lat
    }

    pub fn lon(&self) -> f64 {
        self.lon
    }

    pub fn accuracy_m(&self) -> Option<f64> {
        self.accuracy_m
    }
}

/// The unchecked wire shape; deserialization goes through [`GeoPoint::new`].
#[derive(Deserialize)]
struct GeoPointInput {
    lat: f64,
    lon: f64,
    accuracy_m: Option<f64>,
}

impl TryFrom<GeoPointInput> for GeoPoint {
    type Error = String;

    fn try_from(input: GeoPointInput) -> Result<Self, Self::Error> {
        GeoPoint::new(input.lat, input.lon, input.accuracy_m).map_err(|errors| {
            errors
                .iter()
                .map(|(field, message)| format!("{field}: {message}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accepts_valid_points_including_the_limits() {
        let point = GeoPoint::new(18.7883, 98.9853, Some(12.5)).unwrap();
        assert_eq!(
            (point.lat(), point.lon(), point.accuracy_m()),
            (18.7883, 98.9853, Some(12.5))
        );
        for (lat, lon) in [(90.0, 180.0), (-90.0, -180.0), (0.0, 0.0), (-0.0, -0.0)] {
            assert!(GeoPoint::new(lat, lon, None).is_ok(), "{lat},{lon}");
        }
        assert!(GeoPoint::new(13.75, 100.5, Some(0.0)).is_ok());
        assert!(GeoPoint::new(13.75, 100.5, Some(10_000.0)).is_ok());
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
            let errors = GeoPoint::new(lat, 100.0, None).unwrap_err();
            assert_eq!(errors, vec![("lat", LAT_MESSAGE.to_owned())], "{lat}");
        }
    }

    #[test]
    fn rejects_out_of_range_and_non_finite_longitude() {
        for lon in [180.000_001, -181.0, f64::NAN, f64::INFINITY] {
            let errors = GeoPoint::new(13.0, lon, None).unwrap_err();
            assert_eq!(errors, vec![("lon", LON_MESSAGE.to_owned())], "{lon}");
        }
    }

    #[test]
    fn rejects_bad_accuracy() {
        for accuracy in [-0.1, 10_000.1, f64::NAN, f64::INFINITY] {
            let errors = GeoPoint::new(13.0, 100.0, Some(accuracy)).unwrap_err();
            assert_eq!(
                errors,
                vec![("accuracy_m", ACCURACY_MESSAGE.to_owned())],
                "{accuracy}"
            );
        }
    }

    #[test]
    fn reports_every_bad_field_at_once() {
        let errors = GeoPoint::new(91.0, 200.0, Some(-1.0)).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|(field, _)| *field).collect();
        assert_eq!(fields, ["lat", "lon", "accuracy_m"]);
    }

    #[test]
    fn serializes_accuracy_as_null_when_absent() {
        let point = GeoPoint::new(13.75, 100.5, None).unwrap();
        assert_eq!(
            serde_json::to_value(point).unwrap(),
            json!({"lat": 13.75, "lon": 100.5, "accuracy_m": null})
        );
        let point = GeoPoint::new(13.75, 100.5, Some(5.0)).unwrap();
        assert_eq!(
            serde_json::to_value(point).unwrap(),
            json!({"lat": 13.75, "lon": 100.5, "accuracy_m": 5.0})
        );
    }

    #[test]
    fn deserializes_through_the_validating_constructor() {
        let point: GeoPoint = serde_json::from_value(json!({"lat": 13.75, "lon": 100.5})).unwrap();
        assert_eq!(point.accuracy_m(), None);
        let point: GeoPoint =
            serde_json::from_value(json!({"lat": 13.75, "lon": 100.5, "accuracy_m": null}))
                .unwrap();
        assert_eq!(point.accuracy_m(), None);
        let error =
            serde_json::from_value::<GeoPoint>(json!({"lat": 95, "lon": 100.5, "accuracy_m": -3}))
                .unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("lat: {LAT_MESSAGE}; accuracy_m: {ACCURACY_MESSAGE}")
        );
        assert!(serde_json::from_value::<GeoPoint>(json!({"lat": 13.75})).is_err());
        assert!(serde_json::from_value::<GeoPoint>(json!({"lat": "13", "lon": 100})).is_err());
    }

    #[test]
    fn schema_is_an_object_with_the_three_fields() {
        let schema = serde_json::to_value(<GeoPoint as utoipa::PartialSchema>::schema()).unwrap();
        let properties = &schema["properties"];
        assert!(properties.get("lat").is_some());
        assert!(properties.get("lon").is_some());
        assert!(properties.get("accuracy_m").is_some());
        assert_eq!(properties["lat"]["minimum"], -90.0);
        assert_eq!(schema["required"], json!(["lat", "lon"]));
    }
}
