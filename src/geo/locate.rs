//! Which subdistrict a GPS point is in, from the nearest subdistrict centroid.

use std::fmt;

use anyhow::{bail, ensure, Context};
use geo::{Coord, Intersects, LineString, Polygon};
use rstar::primitives::GeomWithData;
use rstar::RTree;
use serde::Serialize;
use utoipa::ToSchema;

use super::areas::{Area, AreaTable};
use super::distance::{chord_2_for_distance, haversine_m, unit_vector};
use crate::domain::GeoPoint;

/// Bangkok's province code.
pub const BANGKOK_CODE: &str = "10";

/// Coarse outline of Bangkok as (lat, lon), drawn by hand around the gap that
/// Bangkok leaves in the centroid data (none of its 180 subdistricts has one),
/// following the city limits to within a few kilometres. No known centroid lies
/// inside it (a test checks this), and it stops short of the Bang Kachao river
/// loop, Nonthaburi and Suvarnabhumi airport, which are not Bangkok.
const BANGKOK_REGION: [(f64, f64); 30] = [
    (13.790, 100.330), // Thawi Watthana, north-west corner
    (13.795, 100.400), // Taling Chan / Bang Kruai
    (13.790, 100.465),
    (13.805, 100.512), // Chao Phraya at Bang Phlat / Bang Sue
    (13.825, 100.535),
    (13.860, 100.555), // Chatuchak / Lak Si against Nonthaburi
    (13.900, 100.568),
    (13.945, 100.570), // Don Mueang, north-west
    (13.935, 100.640), // Sai Mai
    (13.935, 100.730), // Khlong Sam Wa
    (13.945, 100.860), // Nong Chok, north
    (13.900, 100.905),
    (13.790, 100.905), // Nong Chok, east
    (13.720, 100.880), // Lat Krabang
    (13.710, 100.760), // north of Suvarnabhumi
    (13.675, 100.680), // Prawet
    (13.662, 100.630), // Bang Na
    (13.670, 100.600),
    (13.700, 100.590), // Chao Phraya, round the Bang Kachao loop
    (13.712, 100.560),
    (13.685, 100.535),
    (13.665, 100.500), // Rat Burana
    (13.625, 100.495), // Thung Khru
    (13.590, 100.470),
    (13.520, 100.460), // Bang Khun Thian coast
    (13.495, 100.405),
    (13.560, 100.400),
    (13.640, 100.385), // Bang Bon
    (13.680, 100.350), // Nong Khaem
    (13.720, 100.335),
];

/// Inside the approximate Bangkok outline, a point still goes to a neighbouring
/// province's subdistrict whose centroid is this close: the outline is only
/// accurate to a few kilometres, and the centroids of the small subdistricts round Bangkok
/// are typically 2–3 km apart, so a centroid this close is almost surely the
/// point's own subdistrict. Central Bangkok is 5–9 km from any centroid.
pub const BANGKOK_NEIGHBOUR_RADIUS_M: f64 = 2_000.0;

/// Centroid rows whose code DOPA has since renumbered; the vendored centroid
/// file predates the change. (Tha Faek moved from district 5303 to 5304 in
/// 2015 and kept its name and place.)
const RENUMBERED: [(&str, &str); 1] = [("530306", "530407")];

/// How a point was placed in an area:
/// - `nearest_centroid`: in the subdistrict whose centre is nearest to the
///   point. Reliable well inside a subdistrict, approximate near its edges;
///   `distance_m` says how far the centre is.
/// - `province_fallback`: only the province is known. The point is in Bangkok,
///   for which the data has no subdistrict centres, so district and
///   subdistrict are left empty.
// Unit variants' own docs do not reach the OpenAPI schema, hence the list above.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LocateMethod {
    /// The subdistrict with the nearest centroid.
    NearestCentroid,
    /// The province only (Bangkok).
    ProvinceFallback,
}

/// Where in Thailand a point is.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Located {
    /// The subdistrict, when the method can tell it.
    pub subdistrict: Option<Area>,
    /// The district, when the method can tell it.
    pub district: Option<Area>,
    /// The province (Bangkok counts as one).
    pub province: Area,
    /// How the area was found, and so how far to trust it.
    pub method: LocateMethod,
    /// Great-circle distance in metres from the point to the centre of the
    /// matched subdistrict; null when no subdistrict was matched.
    pub distance_m: Option<f64>,
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

/// A subdistrict centroid in the R-tree: its unit vector and its index in
/// [`AreaTable::subdistricts`].
type CentroidEntry = GeomWithData<[f64; 3], usize>;

/// Subdistrict centroids, by subdistrict and as an R-tree for nearest queries,
/// with the Bangkok region that stands in for the centroids Bangkok lacks.
#[derive(Debug)]
pub(super) struct Centroids {
    /// Parallel to [`AreaTable::subdistricts`]; `None` where the data has none.
    by_subdistrict: Vec<Option<GeoPoint>>,
    tree: RTree<CentroidEntry>,
    bangkok: Polygon<f64>,
}

impl Centroids {
    /// Parses `code,lat,lon` rows (after a header line). Rows for codes that
    /// are no longer current are skipped: the file carries a few.
    pub(super) fn parse(csv: &str, areas: &AreaTable) -> anyhow::Result<Self> {
        let mut by_subdistrict = vec![None; areas.subdistricts().len()];
        let mut lines = csv.lines().enumerate();
        match lines.next() {
            Some((_, header)) if header.trim() == "code,lat,lon" => {}
            _ => bail!("expected the header line `code,lat,lon`"),
        }
        for (number, line) in lines {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let (code, point) =
                parse_row(line).with_context(|| format!("line {}: {line:?}", number + 1))?;
            let code = RENUMBERED
                .iter()
                .find(|(old, _)| *old == code)
                .map_or(code, |(_, new)| new);
            let Some(index) = areas.subdistrict_index(code) else {
                continue;
            };
            ensure!(
                by_subdistrict[index].replace(point).is_none(),
                "line {}: second centroid for {code}",
                number + 1
            );
        }

        let entries: Vec<_> = by_subdistrict
            .iter()
            .enumerate()
            .filter_map(|(index, point)| {
                point.map(|point| CentroidEntry::new(unit_vector(point), index))
            })
            .collect();
        ensure!(!entries.is_empty(), "no centroid matches a subdistrict");

        let bangkok = Polygon::new(
            BANGKOK_REGION
                .iter()
                .map(|&(lat, lon)| Coord { x: lon, y: lat })
                .collect::<LineString<f64>>(),
            Vec::new(),
        );
        Ok(Self {
            by_subdistrict,
            tree: RTree::bulk_load(entries),
            bangkok,
        })
    }

    /// Centroid of the subdistrict at `index` in [`AreaTable::subdistricts`].
    pub(super) fn get(&self, index: usize) -> Option<GeoPoint> {
        self.by_subdistrict.get(index).copied().flatten()
    }

    /// The approximate Bangkok outline.
    #[cfg(test)]
    pub(super) fn bangkok_region(&self) -> &Polygon<f64> {
        &self.bangkok
    }

    /// Number of subdistricts with a centroid.
    pub(super) fn len(&self) -> usize {
        self.tree.size()
    }

    /// The centroids within `radius_m` metres (great-circle) of the point.
    pub(super) fn within(
        &self,
        point: GeoPoint,
        radius_m: f64,
    ) -> impl Iterator<Item = GeoPoint> + '_ {
        self.tree
            .locate_within_distance(unit_vector(point), chord_2_for_distance(radius_m))
            .filter_map(|entry| self.get(entry.data))
    }

    /// The subdistrict (index) whose centroid is nearest, and its distance.
    pub(super) fn nearest(&self, point: GeoPoint) -> Option<(usize, f64)> {
        // Chord length grows with great-circle distance, so the Euclidean
        // nearest neighbour of the unit vectors is the true nearest centroid.
        let entry = self.tree.nearest_neighbor(&unit_vector(point))?;
        let centroid = self.get(entry.data)?;
        Some((entry.data, haversine_m(point, centroid)))
    }

    /// Places a point already known to be in Thailand.
    ///
    /// Returns `None` only if the data has no centroid at all, which the loader
    /// rules out.
    pub(super) fn locate(&self, areas: &AreaTable, point: GeoPoint) -> Option<Located> {
        let nearest = self.nearest(point);
        let in_bangkok = self.bangkok.intersects(&Coord {
            x: point.lon,
            y: point.lat,
        });
        let near_a_centroid =
            nearest.is_some_and(|(_, distance)| distance <= BANGKOK_NEIGHBOUR_RADIUS_M);
        if in_bangkok && !near_a_centroid {
            return Some(Located {
                subdistrict: None,
                district: None,
                province: areas.get(BANGKOK_CODE)?.clone(),
                method: LocateMethod::ProvinceFallback,
                distance_m: None,
            });
        }

        let (index, distance) = nearest?;
        let subdistrict = areas.subdistricts().get(index)?;
        // Parents exist: the area table checks them when it loads.
        let district = areas.get(subdistrict.parent_code.as_deref()?)?;
        let province = areas.get(district.parent_code.as_deref()?)?;
        Some(Located {
            subdistrict: Some(subdistrict.clone()),
            district: Some(district.clone()),
            province: province.clone(),
            method: LocateMethod::NearestCentroid,
            distance_m: Some(distance),
        })
    }
}

/// Parses `code,lat,lon`.
fn parse_row(line: &str) -> anyhow::Result<(&str, GeoPoint)> {
    let mut fields = line.split(',').map(str::trim);
    let (Some(code), Some(lat), Some(lon), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        bail!("expected 3 fields");
    };
    ensure!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "{code:?} is not a 6-digit subdistrict code"
    );
    let point = GeoPoint::new(
        lat.parse().context("latitude")?,
        lon.parse().context("longitude")?,
    );
    ensure!(point.is_valid(), "coordinates out of range");
    Ok((code, point))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_row_accepts_only_well_formed_rows() {
        let (code, point) = parse_row("100101, 13.75,100.5").unwrap();
        assert_eq!((code, point), ("100101", GeoPoint::new(13.75, 100.5)));
        assert!(parse_row("100101,13.75").is_err());
        assert!(parse_row("10010,13.75,100.5").is_err());
        assert!(parse_row("code,lat,lon").is_err());
        assert!(parse_row("100101,13.75,100.5,1").is_err());
        assert!(parse_row("100101,north,100.5").is_err());
        assert!(parse_row("100101,NaN,100.5").is_err());
        assert!(parse_row("100101,95,100.5").is_err());
    }

    #[test]
    fn bangkok_region_is_a_simple_ring() {
        // The polygon closes itself; it must not also repeat its first vertex.
        assert_ne!(BANGKOK_REGION.first(), BANGKOK_REGION.last());
        let ring: LineString<f64> = BANGKOK_REGION
            .iter()
            .map(|&(lat, lon)| Coord { x: lon, y: lat })
            .collect();
        let polygon = Polygon::new(ring, Vec::new());
        assert!(geo::Validation::is_valid(&polygon));
    }
}
