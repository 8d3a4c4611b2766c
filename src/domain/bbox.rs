use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use super::error::ParseError;
use super::geo_point::{is_valid_lat, is_valid_lon, GeoPoint};
use super::message::FieldCode;
use super::schema::string_schema;

/// A latitude/longitude rectangle in WGS 84 degrees, edges included: the one
/// box type of the crate. Its text form, as in a
/// `bbox=minLon,minLat,maxLon,maxLat` query parameter, is the GeoJSON / OGC
/// order. Boxes crossing the antimeridian are not supported: [`parse`]
/// refuses min above max on either axis, and a box built otherwise with min
/// above max (an [`intersection`] of disjoint boxes) contains nothing.
///
/// [`parse`]: Self::parse
/// [`intersection`]: Self::intersection
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(try_from = "String")]
pub struct Bbox {
    /// Western edge.
    pub min_lon: f64,
    /// Southern edge.
    pub min_lat: f64,
    /// Eastern edge.
    pub max_lon: f64,
    /// Northern edge.
    pub max_lat: f64,
}

fn format_error() -> ParseError {
    ParseError::new(
        FieldCode::BadFormat,
        "must be four comma-separated numbers: minLon,minLat,maxLon,maxLat",
        "ต้องเป็นตัวเลข 4 ค่าคั่นด้วยจุลภาค: ลองจิจูดต่ำสุด,ละติจูดต่ำสุด,ลองจิจูดสูงสุด,ละติจูดสูงสุด",
    )
}

impl Bbox {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let numbers = parse_numbers::<4>(input).ok_or_else(format_error)?;
        let [min_lon, min_lat, max_lon, max_lat] = numbers;
        for (name, value) in [("minLon", min_lon), ("maxLon", max_lon)] {
            if !is_valid_lon(value) {
                return Err(ParseError::new(
                    FieldCode::OutOfRange,
                    format!("{name} must be a number between -180 and 180"),
                    format!("{name} ต้องเป็นตัวเลขระหว่าง -180 ถึง 180"),
                ));
            }
        }
        for (name, value) in [("minLat", min_lat), ("maxLat", max_lat)] {
            if !is_valid_lat(value) {
                return Err(ParseError::new(
                    FieldCode::OutOfRange,
                    format!("{name} must be a number between -90 and 90"),
                    format!("{name} ต้องเป็นตัวเลขระหว่าง -90 ถึง 90"),
                ));
            }
        }
        if min_lon > max_lon {
            return Err(ParseError::new(
                FieldCode::OutOfRange,
                "minLon must not be greater than maxLon",
                "ลองจิจูดต่ำสุดต้องไม่มากกว่าลองจิจูดสูงสุด",
            ));
        }
        if min_lat > max_lat {
            return Err(ParseError::new(
                FieldCode::OutOfRange,
                "minLat must not be greater than maxLat",
                "ละติจูดต่ำสุดต้องไม่มากกว่าละติจูดสูงสุด",
            ));
        }
        Ok(Self {
            min_lon,
            min_lat,
            max_lon,
            max_lat,
        })
    }

    /// Whether the point lies inside the box or on its edge.
    pub fn contains(&self, point: GeoPoint) -> bool {
        (self.min_lat..=self.max_lat).contains(&point.lat)
            && (self.min_lon..=self.max_lon).contains(&point.lon)
    }

    /// The part of the plane inside both boxes; empty (min above max) when
    /// they do not overlap.
    pub fn intersection(&self, other: &Bbox) -> Bbox {
        Bbox {
            min_lon: self.min_lon.max(other.min_lon),
            min_lat: self.min_lat.max(other.min_lat),
            max_lon: self.max_lon.min(other.max_lon),
            max_lat: self.max_lat.min(other.max_lat),
        }
    }
}

/// Splits on commas into exactly `N` trimmed numbers; `None` if the count
/// is wrong or a part is not a number. Range checks are left to the caller.
pub(super) fn parse_numbers<const N: usize>(input: &str) -> Option<[f64; N]> {
    let mut numbers = [0.0; N];
    let mut parts = input.split(',');
    for slot in &mut numbers {
        *slot = parts.next()?.trim().parse().ok()?;
    }
    parts.next().is_none().then_some(numbers)
}

impl fmt::Display for Bbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{},{},{},{}",
            self.min_lon, self.min_lat, self.max_lon, self.max_lat
        )
    }
}

impl FromStr for Bbox {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Bbox {
    type Error = ParseError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl Serialize for Bbox {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl PartialSchema for Bbox {
    fn schema() -> RefOr<Schema> {
        string_schema(
            "Bounding box as minLon,minLat,maxLon,maxLat in WGS 84 degrees; \
             min must not exceed max (no antimeridian crossing).",
            None,
            "98.9,18.7,99.1,18.9",
        )
    }
}

impl ToSchema for Bbox {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_four_numbers_in_lon_lat_order() {
        let bbox = Bbox::parse("98.9,18.7,99.1,18.9").unwrap();
        assert_eq!(
            bbox,
            Bbox {
                min_lon: 98.9,
                min_lat: 18.7,
                max_lon: 99.1,
                max_lat: 18.9
            }
        );
    }

    #[test]
    fn tolerates_spaces_signs_and_exponents() {
        let bbox = Bbox::parse(" -180 , -90, 1.8e2 ,+90 ").unwrap();
        assert_eq!(bbox.to_string(), "-180,-90,180,90");
    }

    #[test]
    fn accepts_a_degenerate_box() {
        assert!(Bbox::parse("100.5,13.75,100.5,13.75").is_ok());
    }

    #[test]
    fn rejects_wrong_number_of_parts_or_non_numbers() {
        for bad in [
            "",
            "1,2,3",
            "1,2,3,4,5",
            "1,2,3,",
            ",1,2,3",
            "a,b,c,d",
            "1;2;3;4",
            "1 2 3 4",
            "1,,2,3",
        ] {
            assert_eq!(
                Bbox::parse(bad).unwrap_err().to_string(),
                format_error().to_string(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn rejects_out_of_range_and_non_finite_values() {
        let cases = [
            (
                "-180.1,0,1,1",
                "minLon must be a number between -180 and 180",
            ),
            (
                "0,0,180.1,1",
                "maxLon must be a number between -180 and 180",
            ),
            ("0,-91,1,1", "minLat must be a number between -90 and 90"),
            ("0,0,1,90.5", "maxLat must be a number between -90 and 90"),
            ("NaN,0,1,1", "minLon must be a number between -180 and 180"),
            ("0,0,inf,1", "maxLon must be a number between -180 and 180"),
            (
                "0,-infinity,1,1",
                "minLat must be a number between -90 and 90",
            ),
        ];
        for (input, message) in cases {
            assert_eq!(
                Bbox::parse(input).unwrap_err().to_string(),
                message,
                "{input}"
            );
        }
    }

    #[test]
    fn rejects_min_greater_than_max() {
        assert_eq!(
            Bbox::parse("100,10,99,11").unwrap_err().to_string(),
            "minLon must not be greater than maxLon"
        );
        assert_eq!(
            Bbox::parse("99,12,100,11").unwrap_err().to_string(),
            "minLat must not be greater than maxLat"
        );
        // Crossing the antimeridian is written with min > max, so it is refused.
        assert!(Bbox::parse("170,-20,-170,-10").is_err());
    }

    #[test]
    fn contains_points_inside_and_on_the_edge() {
        let bbox = Bbox::parse("98,18,99,19").unwrap();
        assert!(bbox.contains(GeoPoint::new(18.5, 98.5)));
        assert!(bbox.contains(GeoPoint::new(18.0, 98.0)));
        assert!(bbox.contains(GeoPoint::new(19.0, 99.0)));
        assert!(!bbox.contains(GeoPoint::new(19.01, 98.5)));
        assert!(!bbox.contains(GeoPoint::new(18.5, 97.99)));
        assert!(!bbox.contains(GeoPoint::new(f64::NAN, 98.5)));
    }

    #[test]
    fn intersection_is_the_overlap_and_empty_without_one() {
        let west = Bbox::parse("98,18,99,19").unwrap();
        let east = Bbox::parse("98.5,17,100,18.5").unwrap();
        assert_eq!(
            west.intersection(&east),
            Bbox::parse("98.5,18,99,18.5").unwrap()
        );
        let far = Bbox::parse("100,10,101,11").unwrap();
        let none = west.intersection(&far);
        assert!(!none.contains(GeoPoint::new(18.5, 98.5)));
        assert!(!none.contains(GeoPoint::new(10.5, 100.5)));
    }

    #[test]
    fn serde_round_trips_as_a_string() {
        let bbox: Bbox = serde_json::from_str("\"98.9,18.7,99.1,18.9\"").unwrap();
        assert_eq!(
            serde_json::to_string(&bbox).unwrap(),
            "\"98.9,18.7,99.1,18.9\""
        );
        let error = serde_json::from_str::<Bbox>("\"1,2\"").unwrap_err();
        assert!(error.to_string().contains("four comma-separated numbers"));
    }
}
