//! Thai administrative geography: areas, their boundaries, "is this point in
//! Thailand?", "which subdistrict is it in?", distances and hotspot clustering.
//!
//! All data is compiled in (see `data/README.md` for sources and licences), so
//! [`Geography::load`] needs no files at run time. It decodes the subdistrict
//! boundaries once and indexes them; share the result behind an `Arc`.
//!
//! The boundaries are the one source for both questions, "in Thailand?" and
//! "in which area?". Known limits, and how they are handled:
//! - The polygons are coarse (vertices about 1.25 km apart) and stop at a
//!   simplified coastline, so a point on a beach or pier can fall just outside
//!   every polygon: within [`COAST_TOLERANCE_M`] of a polygon at the coast
//!   ([`LAND_BORDER_TOLERANCE_M`] at a land border) it is in Thailand, and is
//!   placed in the nearest polygon ([`LocateMethod::NearestPolygon`]).
//! - Thirteen Bangkok khwaeng created after the boundaries were drawn have no
//!   polygon of their own; a point there is answered with the polygon of the
//!   area they were split from ([`LocateMethod::ParentPolygon`]).
//! - Which side of the national border is sea is told by the Natural Earth
//!   outline's coast/land-border labels (the polygons do not say); the
//!   distances themselves are measured to the polygons.

mod areas;
mod boundaries;
mod cluster;
mod distance;
mod locate;
mod outline;
#[cfg(test)]
mod tests;

use std::fmt;

pub use areas::Area;
pub use cluster::{cluster_points, Cluster};
pub use distance::{bounding_box, haversine_m, EARTH_RADIUS_M};
pub use locate::{LocateMethod, Located, OutsideThailand};
pub use outline::{COAST_TOLERANCE_M, LAND_BORDER_TOLERANCE_M, THAILAND_BOX};

use crate::domain::{AreaCode, GeoPoint, Language};
use areas::AreaTable;
use boundaries::{Boundaries, Shape};
use outline::Outline;

const PROVINCES_JSON: &str = include_str!("data/provinces.json");
const DISTRICTS_JSON: &str = include_str!("data/districts.json");
const SUBDISTRICTS_JSON: &str = include_str!("data/subdistricts.json");
const BOUNDARIES_BIN: &[u8] = include_bytes!("data/boundaries.bin");
const OUTLINE_GEOJSON: &str = include_str!("data/thailand-outline.geojson");

/// Bangkok's province code.
pub const BANGKOK_CODE: &str = "10";

/// How near its own area a point must be to count as in it, when the fix
/// carries no accuracy or a better one: the boundaries' vertices are about
/// 1.25 km apart, so their edges can be a few hundred metres off.
pub const NEAR_BOUNDARY_M: f64 = 300.0;

/// Thailand's areas, their boundaries and its outline, indexed for lookups.
pub struct Geography {
    areas: AreaTable,
    boundaries: Boundaries,
    outline: Outline,
}

impl Geography {
    /// Parses the compiled-in data and builds the indexes.
    pub fn load() -> anyhow::Result<Self> {
        use anyhow::Context;

        let areas = AreaTable::parse(PROVINCES_JSON, DISTRICTS_JSON, SUBDISTRICTS_JSON)
            .context("loading the administrative areas")?;
        let boundaries = Boundaries::parse(BOUNDARIES_BIN).context("loading boundaries.bin")?;
        let outline =
            Outline::parse(OUTLINE_GEOJSON).context("loading thailand-outline.geojson")?;
        Ok(Self {
            areas,
            boundaries,
            outline,
        })
    }

    /// The area with this code; `TH` is the country.
    pub fn area(&self, code: &str) -> Option<&Area> {
        self.areas.get(code)
    }

    /// The name of the area `code` in `language`; the code itself for an unknown one.
    pub fn name_of<'a>(&'a self, code: &'a str, language: Language) -> &'a str {
        self.area(code).map_or(code, |area| area.name(language))
    }

    /// The areas directly under `parent`, sorted by code: the provinces for
    /// `None` or `TH`, a province's districts, a district's subdistricts, and
    /// nothing for a subdistrict. `None` when `parent` is not a known code.
    pub fn children(&self, parent: Option<&str>) -> Option<Vec<&Area>> {
        Some(self.areas.children(parent)?.iter().collect())
    }

    /// Every area, parents before children: the country, then the provinces,
    /// districts and subdistricts, each sorted by code.
    pub fn areas(&self) -> impl Iterator<Item = &Area> {
        self.areas.iter()
    }

    /// Number of subdistricts in the area `code` (all of them for `TH`; 0 for an
    /// unknown code).
    pub fn subdistrict_count_under(&self, code: &str) -> usize {
        self.areas.subdistrict_range(code).len()
    }

    /// The subdistricts in the area `code`, sorted by code (all of them for
    /// `TH`; none for an unknown code).
    pub fn subdistricts_under(&self, code: &str) -> impl Iterator<Item = &Area> {
        let range = self.areas.subdistrict_range(code);
        self.areas.subdistricts()[range].iter()
    }

    /// A point surely inside the subdistrict's own polygon (not the centroid,
    /// which a crescent-shaped area does not contain); `None` for the
    /// subdistricts without a polygon of their own.
    pub fn representative_point(&self, subdistrict_code: &str) -> Option<GeoPoint> {
        let shape = self.boundaries.subdistrict(subdistrict_code)?;
        if matches!(shape.coverage, boundaries::Coverage::Abolished(_)) {
            return None;
        }
        // The largest part: a subdistrict with islands is anchored on land.
        let largest = shape
            .polygons
            .iter()
            .max_by(|a, b| geo::Area::unsigned_area(*a).total_cmp(&geo::Area::unsigned_area(*b)))?;
        // The centroid when it is inside (most subdistricts): a tenth of the cost of
        // an interior point, which every start asks for all 7,423 (`db::areas::sync`).
        let point = geo::Centroid::centroid(largest)
            .filter(|centroid| geo::Contains::contains(largest, centroid))
            .or_else(|| geo::InteriorPoint::interior_point(largest))?;
        Some(GeoPoint::new(point.y(), point.x()))
    }

    /// Whether the point is in Thailand: inside the coarse [`THAILAND_BOX`], and
    /// inside a subdistrict polygon or near one: within [`COAST_TOLERANCE_M`]
    /// when the nearest border is coast, [`LAND_BORDER_TOLERANCE_M`] when it is
    /// a land border.
    pub fn contains(&self, point: GeoPoint) -> bool {
        self.place(point).is_some()
    }

    /// The polygon a point in Thailand is placed by, and its distance.
    fn place(&self, point: GeoPoint) -> Option<(&Shape, f64)> {
        // Cheapest test first: the box rejects most foreign points (and NaNs).
        if !THAILAND_BOX.contains(point) {
            return None;
        }
        if let Some(shape) = self.boundaries.containing(point) {
            return Some((shape, 0.0));
        }
        let radius = COAST_TOLERANCE_M.max(LAND_BORDER_TOLERANCE_M);
        let (shape, distance) = self.boundaries.nearest_within(point, radius, |_| true)?;
        let tolerance = if self.outline.faces_sea(point) {
            COAST_TOLERANCE_M
        } else {
            LAND_BORDER_TOLERANCE_M
        };
        (distance <= tolerance).then_some((shape, distance))
    }

    /// The area a point is in: the subdistrict whose polygon holds it (or the
    /// polygon's parent, for the khwaeng without their own), else the nearest
    /// polygon within the tolerance of [`Geography::contains`].
    pub fn locate(&self, point: GeoPoint) -> Result<Located, OutsideThailand> {
        let (shape, distance) = self.place(point).ok_or(OutsideThailand { point })?;
        // Fails only if a polygon's code is missing from the area list, which a
        // test rules out; report that as not locatable rather than panicking.
        locate::located(&self.areas, shape, distance).ok_or(OutsideThailand { point })
    }

    /// The subdistrict of the area `code` (itself, for a subdistrict) whose
    /// polygon is nearest to the point, if within `radius_m`, with its code and
    /// distance in metres (0 inside). A subdistrict without its own polygon is
    /// measured by the polygon that covers it. `TH` stands for every subdistrict.
    pub fn nearest_subdistrict_in(
        &self,
        code: &str,
        point: GeoPoint,
        radius_m: f64,
    ) -> Option<(String, f64)> {
        if !point.is_valid() || self.area(code).is_none() {
            return None;
        }
        let prefix = if code == AreaCode::COUNTRY { "" } else { code };
        let (shape, distance) = self
            .boundaries
            .nearest_within(point, radius_m, |shape| shape.stands_for(prefix))?;
        // A 6-digit code is its own answer; for a larger area, the polygon's
        // code, or for an abolished one its first successor.
        let found = if code.len() == 6 {
            code.to_owned()
        } else if matches!(shape.coverage, boundaries::Coverage::Abolished(_)) {
            shape.coverage.others().first()?.clone()
        } else {
            shape.code.clone()
        };
        Some((found, distance))
    }

    /// The boundary of a province, district or subdistrict as a GeoJSON
    /// `Feature` (a `MultiPolygon` in WGS84 lon/lat, properties `code`,
    /// `level`, `name_th`, `name_en`). A subdistrict without a polygon of its
    /// own gets the polygon that covers it, named in `polygon_of`. `None` for
    /// an unknown code and the country.
    pub fn boundary_geojson(&self, code: &str) -> Option<serde_json::Value> {
        let area = self.area(code)?;
        let shape = match self.boundaries.area(code) {
            Some(shape) => shape,
            None if code.len() == 6 => {
                let covering = self
                    .boundaries
                    .subdistricts()
                    .iter()
                    .find(|shape| shape.coverage.others().iter().any(|other| other == code))?;
                self.boundaries.area(&covering.code)?
            }
            None => return None,
        };
        let coordinates: Vec<Vec<Vec<[f64; 2]>>> = shape
            .polygons
            .iter()
            .map(|polygon| {
                std::iter::once(polygon.exterior())
                    .chain(polygon.interiors())
                    .map(|ring| ring.coords().map(|c| [c.x, c.y]).collect())
                    .collect()
            })
            .collect();
        let mut properties = serde_json::json!({
            "code": area.code,
            "level": area.level,
            "name_th": area.name_th,
            "name_en": area.name_en,
        });
        if shape.code != area.code {
            properties["polygon_of"] = shape.code.clone().into();
        }
        Some(serde_json::json!({
            "type": "Feature",
            "properties": properties,
            "geometry": {"type": "MultiPolygon", "coordinates": coordinates},
        }))
    }
}

impl fmt::Debug for Geography {
    // The indexes are large; show their sizes only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Geography")
            .field("areas", &self.areas.iter().count())
            .field(
                "subdistrict_polygons",
                &self.boundaries.subdistricts().len(),
            )
            .finish_non_exhaustive()
    }
}
