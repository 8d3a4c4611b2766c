use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use super::bbox::parse_numbers;
use super::error::ParseError;
use super::geo_point::{is_valid_lat, is_valid_lon, GeoPoint, LAT_MESSAGE, LON_MESSAGE};
use super::schema::string_schema;

/// A `near=lat,lon` query parameter: the point that list results are sorted
/// or filtered around. Note the order is latitude first, unlike [`Bbox`].
///
/// [`Bbox`]: super::Bbox
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(try_from = "String")]
pub struct NearQuery {
    lat: f64,
    lon: f64,
}

// No field can be NaN, so equality is reflexive.
impl Eq for NearQuery {}

const FORMAT_MESSAGE: &str = "must be two comma-separated numbers: lat,lon";

impl NearQuery {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let [lat, lon] =
            parse_numbers::<2>(input).ok_or_else(|| ParseError::new(FORMAT_MESSAGE))?;
        if !is_valid_lat(lat) {
            return Err(ParseError::new(format!("lat {LAT_MESSAGE}")));
        }
        if !is_valid_lon(lon) {
            return Err(ParseError::new(format!("lon {LON_MESSAGE}")));
        }
        Ok(Self { lat, lon })
    }

    pub fn lat(&self) -> f64 {
        self.lat
    }

    pub fn lon(&self) -> f64 {
        self.lon
    }

    /// The same position as a [`GeoPoint`] with no accuracy.
    pub fn point(&self) -> GeoPoint {
        GeoPoint::from_checked(self.lat, self.lon)
    }
}

impl fmt::Display for NearQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{},{}", self.lat, self.lon)
    }
}

impl FromStr for NearQuery {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for NearQuery {
    type Error = ParseError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl Serialize for NearQuery {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl PartialSchema for NearQuery {
    fn schema() -> RefOr<Schema> {
        string_schema(
            "A position as lat,lon in WGS 84 degrees (latitude first).",
            None,
            "18.7883,98.9853",
        )
    }
}

impl ToSchema for NearQuery {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_latitude_then_longitude() {
        let near = NearQuery::parse("18.7883,98.9853").unwrap();
        assert_eq!((near.lat(), near.lon()), (18.7883, 98.9853));
        let near = NearQuery::parse(" -90 , 180 ").unwrap();
        assert_eq!((near.lat(), near.lon()), (-90.0, 180.0));
    }

    #[test]
    fn converts_to_a_geo_point_without_accuracy() {
        let point = NearQuery::parse("13.75,100.5").unwrap().point();
        assert_eq!(point, GeoPoint::new(13.75, 100.5, None).unwrap());
    }

    #[test]
    fn rejects_wrong_shapes() {
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
                NearQuery::parse(bad).unwrap_err().message(),
                FORMAT_MESSAGE,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn rejects_out_of_range_or_non_finite_coordinates() {
        assert_eq!(
            NearQuery::parse("100.5,13.75").unwrap_err().message(),
            "lat must be a finite number between -90 and 90"
        );
        assert_eq!(
            NearQuery::parse("13.75,180.5").unwrap_err().message(),
            "lon must be a finite number between -180 and 180"
        );
        assert!(NearQuery::parse("NaN,100").is_err());
        assert!(NearQuery::parse("13,inf").is_err());
    }

    #[test]
    fn serde_round_trips_as_a_string() {
        let near: NearQuery = serde_json::from_str("\"13.75,100.5\"").unwrap();
        assert_eq!(near.to_string(), "13.75,100.5");
        assert_eq!(serde_json::to_string(&near).unwrap(), "\"13.75,100.5\"");
        assert!(serde_json::from_str::<NearQuery>("\"13.75\"").is_err());
    }
}
