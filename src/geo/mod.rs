//! Thai administrative geography: areas, "is this point in Thailand?", "which
//! subdistrict is it in?", distances and hotspot clustering.
//!
//! All data is compiled in (see `data/README.md` for sources and licences), so
//! [`Geography::load`] needs no files at run time. It parses everything once;
//! share the result behind an `Arc`.
//!
//! Known gaps in the data, and how they are handled:
//! - No subdistrict centroid for any of Bangkok's 180 subdistricts, nor for 138
//!   others across 51 provinces (5 whole districts among them: Mueang Bueng
//!   Kan, Wan Yai, Galyani Vadhana, Pa Phayom and Krong Pinang). A point in
//!   Bangkok is recognised by an approximate city outline and reported at
//!   province level ([`LocateMethod::ProvinceFallback`]). A point in one of the
//!   other gaps gets the nearest subdistrict that has a centroid: a neighbour,
//!   possibly in another district or even province (Galyani Vadhana in Chiang
//!   Mai borders Mae Hong Son); `distance_m` is then typically large.
//! - The national outline is 1:10m and lacks most islands, so points a little
//!   outside it also count as in Thailand; see [`Geography::contains`].

mod areas;
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
pub use locate::{
    LocateMethod, Located, OutsideThailand, BANGKOK_CODE, BANGKOK_NEIGHBOUR_RADIUS_M,
};
pub use outline::{COAST_TOLERANCE_M, LAND_BORDER_TOLERANCE_M, THAILAND_BOX};

use crate::domain::{AreaCode, GeoPoint};
use areas::AreaTable;
use locate::Centroids;
use outline::Outline;

const PROVINCES_JSON: &str = include_str!("data/provinces.json");
const DISTRICTS_JSON: &str = include_str!("data/districts.json");
const SUBDISTRICTS_JSON: &str = include_str!("data/subdistricts.json");
const CENTROIDS_CSV: &str = include_str!("data/subdistrict-centroids.csv");
const OUTLINE_GEOJSON: &str = include_str!("data/thailand-outline.geojson");

/// Thailand's areas, subdistrict centroids and outline, indexed for lookups.
pub struct Geography {
    areas: AreaTable,
    centroids: Centroids,
    outline: Outline,
}

impl Geography {
    /// Parses the compiled-in data and builds the indexes.
    pub fn load() -> anyhow::Result<Self> {
        use anyhow::Context;

        let areas = AreaTable::parse(PROVINCES_JSON, DISTRICTS_JSON, SUBDISTRICTS_JSON)
            .context("loading the administrative areas")?;
        let centroids =
            Centroids::parse(CENTROIDS_CSV, &areas).context("loading subdistrict-centroids.csv")?;
        let outline =
            Outline::parse(OUTLINE_GEOJSON).context("loading thailand-outline.geojson")?;
        Ok(Self {
            areas,
            centroids,
            outline,
        })
    }

    /// The area with this code; `TH` is the country.
    pub fn area(&self, code: &str) -> Option<&Area> {
        self.areas.get(code)
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

    /// The centroid of a subdistrict, if the data has one.
    pub fn centroid(&self, subdistrict_code: &str) -> Option<GeoPoint> {
        self.centroids
            .get(self.areas.subdistrict_index(subdistrict_code)?)
    }

    /// Whether the point is in Thailand: inside the coarse [`THAILAND_BOX`], and
    /// either inside the national outline, or near it: within
    /// [`COAST_TOLERANCE_M`] of its coast or [`LAND_BORDER_TOLERANCE_M`] of a
    /// land border (whichever is nearest), or at sea within
    /// [`COAST_TOLERANCE_M`] of a subdistrict centroid that is also at sea.
    ///
    /// The centroids at sea stand for islands that the 1:10m outline lacks and
    /// that lie too far out for the coast tolerance: Ko Si Chang, Ko Larn,
    /// Ko Sukon, Mu Ko Ang Thong and others. Islands far from both are
    /// wrongly outside: Ko Tao (whose centroid is missing), Ko Phi Phi,
    /// Ko Lipe, Ko Mak.
    pub fn contains(&self, point: GeoPoint) -> bool {
        // Cheapest test first: the box rejects most foreign points (and NaNs),
        // the polygon accepts inland points; only points off the outline need
        // the distance searches.
        THAILAND_BOX.contains(point)
            && (self.outline.covers(point)
                || self.outline.is_near_edge(point)
                || self.is_near_island(point))
    }

    /// Whether the point is at sea and near a subdistrict centroid at sea.
    ///
    /// Both must face the sea, so that a point across a land border never
    /// counts, however near a Thai centroid.
    fn is_near_island(&self, point: GeoPoint) -> bool {
        // The radius search is cheapest and usually empty, so it goes first.
        self.centroids
            .within(point, COAST_TOLERANCE_M)
            .any(|centroid| !self.outline.covers(centroid) && self.outline.faces_sea(centroid))
            && self.outline.faces_sea(point)
    }

    /// The area a point is in: the subdistrict with the nearest centroid, or
    /// just the province for Bangkok, which has no centroids.
    ///
    /// Inside Bangkok's approximate outline, the point is put in Bangkok unless
    /// a neighbouring province's subdistrict centroid is within
    /// [`BANGKOK_NEIGHBOUR_RADIUS_M`].
    pub fn locate(&self, point: GeoPoint) -> Result<Located, OutsideThailand> {
        if !self.contains(point) {
            return Err(OutsideThailand { point });
        }
        // `locate` can only fail if no centroid was loaded, which `load` rules
        // out; report that as not locatable rather than panicking.
        self.centroids
            .locate(&self.areas, point)
            .ok_or(OutsideThailand { point })
    }

    /// Great-circle distance in metres from the point to the area: to its
    /// centroid for a subdistrict, to the nearest of its subdistricts' centroids
    /// for a larger area. `None` for an unknown code, an invalid point, or an
    /// area without any centroid (such as everything in Bangkok).
    pub fn distance_to_area_m(&self, code: &str, point: GeoPoint) -> Option<f64> {
        if !point.is_valid() {
            return None;
        }
        if code == AreaCode::COUNTRY {
            return self.centroids.nearest(point).map(|(_, distance)| distance);
        }
        self.areas
            .subdistrict_range(code)
            .filter_map(|index| self.centroids.get(index))
            .map(|centroid| haversine_m(point, centroid))
            .min_by(f64::total_cmp)
    }
}

impl fmt::Debug for Geography {
    // The indexes are large; show their sizes only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Geography")
            .field("areas", &self.areas.iter().count())
            .field("centroids", &self.centroids.len())
            .finish_non_exhaustive()
    }
}
