//! Which subdistrict a GPS point is in: point-in-polygon on the subdistrict
//! boundaries, with the fallbacks their gaps need.

use std::fmt;

use serde::Serialize;
use utoipa::ToSchema;

use super::areas::{Area, AreaTable};
use super::boundaries::{Coverage, Shape};
use crate::domain::{GeoPoint, Labelled, Message};

string_enum! {
    /// How a point was placed in an area:
    /// - `polygon`: inside the subdistrict's boundary polygon. The boundaries are
    ///   coarse (vertices about 1.25 km apart), so within a few hundred metres of
    ///   an edge the neighbour is possible.
    /// - `parent_polygon`: inside a polygon drawn before a Bangkok khwaeng was
    ///   split, so the true subdistrict may be one of `also_possible`. When the
    ///   polygon's own code is still current it is the answer (`subdistrict`);
    ///   when it was abolished only the district is given.
    /// - `nearest_polygon`: outside every polygon but still in Thailand (a
    ///   coastline or a coarse edge): the nearest subdistrict polygon,
    ///   `distance_m` away.
    LocateMethod {
        Polygon => "polygon",
        ParentPolygon => "parent_polygon",
        NearestPolygon => "nearest_polygon",
    }
}

impl Labelled for LocateMethod {
    const LABELS: &'static str = "locate_method";

    fn label(self) -> Message {
        let (en, th) = match self {
            Self::Polygon => ("Inside the subdistrict's boundary", "อยู่ในเขตตำบล"),
            Self::ParentPolygon => (
                "Inside the boundary of the area the subdistrict was split from",
                "อยู่ในเขตเดิมก่อนแบ่งแขวง/ตำบลใหม่",
            ),
            Self::NearestPolygon => (
                "Just outside the nearest subdistrict's boundary",
                "อยู่นอกเขตตำบลที่ใกล้ที่สุดเล็กน้อย",
            ),
        };
        Message::new(en, th)
    }
}

/// Where in Thailand a point is.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Located {
    /// The subdistrict, when the method can tell it.
    pub subdistrict: Option<Area>,
    /// The district, when the method can tell it.
    pub district: Option<Area>,
    /// The province.
    pub province: Area,
    /// How the area was found, and so how far to trust it.
    pub method: LocateMethod,
    /// Great-circle distance in metres from the point to the polygon it was
    /// placed by: 0 inside it.
    pub distance_m: f64,
    /// The newer subdistricts the polygon also covers (or, when its code was
    /// abolished, was replaced by), one of which may be the point's true
    /// subdistrict. Empty for all but 7 Bangkok polygons.
    #[schema(example = json!([]))]
    pub also_possible: Vec<String>,
}

/// The point is not in Thailand (nor within the tolerance of its outline).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OutsideThailand {
    /// The rejected point.
    pub point: GeoPoint,
}

impl fmt::Display for OutsideThailand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "point {}, {} is outside Thailand",
            self.point.lat, self.point.lon
        )
    }
}

impl std::error::Error for OutsideThailand {}

/// The answer for a point placed by this polygon, `distance_m` from it.
pub(super) fn located(areas: &AreaTable, shape: &Shape, distance_m: f64) -> Option<Located> {
    let district = areas.get(&shape.code[..4])?;
    let province = areas.get(&shape.code[..2])?;
    let (subdistrict, method) = match &shape.coverage {
        // A polygon whose area was split answers for its parent, and says so.
        Coverage::AlsoCovers(_) if distance_m == 0.0 => {
            (areas.get(&shape.code), LocateMethod::ParentPolygon)
        }
        Coverage::Abolished(_) => (None, LocateMethod::ParentPolygon),
        _ if distance_m > 0.0 => (areas.get(&shape.code), LocateMethod::NearestPolygon),
        _ => (areas.get(&shape.code), LocateMethod::Polygon),
    };
    // A current code's polygon must name a listed subdistrict; a test checks it.
    if subdistrict.is_none() && !matches!(shape.coverage, Coverage::Abolished(_)) {
        return None;
    }
    Some(Located {
        subdistrict: subdistrict.cloned(),
        district: Some(district.clone()),
        province: province.clone(),
        method,
        distance_m,
        also_possible: shape.coverage.others().to_vec(),
    })
}
