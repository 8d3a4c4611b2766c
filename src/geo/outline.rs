//! Thailand's national outline (Natural Earth 1:10m), kept only to tell which
//! stretches of the border are coast and which are land borders; whether a
//! point is in Thailand is measured against the boundary polygons.

use anyhow::{bail, ensure, Context};
use rstar::primitives::{CachedEnvelope, GeomWithData, Line};
use rstar::RTree;
use serde::Deserialize;

use super::distance::haversine_m;
use crate::domain::{Bbox, GeoPoint};

/// Coarse box around Thailand, checked before anything else: it rejects most
/// points from elsewhere with four comparisons.
pub const THAILAND_BOX: Bbox = Bbox {
    min_lon: 97.30,
    min_lat: 5.60,
    max_lon: 105.70,
    max_lat: 20.50,
};

/// How far outside the boundary polygons a point may be and still count as in
/// Thailand, when the nearest part of the national border is coast.
///
/// The polygons stop at a simplified coastline, so visits on beaches, piers and
/// islets can fall just outside them; 5 km (the tolerance the 1:10m outline had)
/// covers those while still rejecting the open sea.
pub const COAST_TOLERANCE_M: f64 = 5_000.0;

/// The same, when the nearest part of the border is a land border.
///
/// Neighbouring towns lie just beyond the land borders (Poipet and Tachileik
/// about 0.9 km from the polygons), so the tolerance is much smaller there:
/// enough for the polygons' coarse edges (vertices about 1.25 km apart). It
/// cannot tell a riverbank from the one opposite, though: the Mekong bank at
/// Savannakhet is only 0.2 km out.
pub const LAND_BORDER_TOLERANCE_M: f64 = 500.0;

/// The stretches of the mainland ring that are land borders rather than coast,
/// each from the vertex where it leaves the sea to the vertex where it meets the
/// sea again, in the ring's stored order.
const LAND_BORDERS: [(GeoPoint, GeoPoint); 2] = [
    // Malaysia: from the mouth of the Kolok river (Tak Bai, Narathiwat) to the
    // coast at the Satun-Perlis border.
    (
        GeoPoint::new(6.2584, 102.0736),
        GeoPoint::new(6.4425, 100.1260),
    ),
    // Myanmar, Laos and Cambodia: from the head of the Kraburi estuary, north
    // of Ranong town and port, to Hat Lek (Trat).
    (
        GeoPoint::new(10.0695, 98.6464),
        GeoPoint::new(11.6467, 102.9124),
    ),
];

/// How close a vertex must be to a [`LAND_BORDERS`] landmark to be taken for it.
const LANDMARK_MATCH_M: f64 = 100.0;

/// What lies beyond an edge of the outline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EdgeKind {
    LandBorder,
    Coast,
}

/// An edge in (lon, lat) degrees. Caching its bounding box makes building the
/// R-tree several times faster.
type Edge = CachedEnvelope<GeomWithData<Line<[f64; 2]>, EdgeKind>>;

/// The national outline's edges, labelled coast or land border, in an R-tree.
#[derive(Debug)]
pub(super) struct Outline {
    edges: RTree<Edge>,
}

/// The parts of a GeoJSON `Feature` with a `MultiPolygon` geometry that we read.
#[derive(Deserialize)]
struct Feature {
    geometry: Geometry,
}

#[derive(Deserialize)]
#[serde(tag = "type")]
enum Geometry {
    /// Polygons, each a list of rings, each a list of `[lon, lat]` positions.
    MultiPolygon {
        coordinates: Vec<Vec<Vec<[f64; 2]>>>,
    },
}

impl Outline {
    /// Parses a GeoJSON `Feature` whose geometry is a `MultiPolygon`.
    pub(super) fn parse(geojson: &str) -> anyhow::Result<Self> {
        let feature: Feature = serde_json::from_str(geojson).context("not a GeoJSON feature")?;
        let Geometry::MultiPolygon { coordinates } = feature.geometry;
        ensure!(!coordinates.is_empty(), "empty outline");
        for (index, rings) in coordinates.iter().enumerate() {
            ensure!(!rings.is_empty(), "polygon {index} has no rings");
            for ring in rings {
                check_ring(ring).with_context(|| format!("polygon {index}"))?;
            }
        }
        Self::from_rings(coordinates)
    }

    /// Builds the outline from checked rings. Land borders are marked only where
    /// their landmarks are found, so that any outline can be loaded; a test
    /// checks that they are all found in the vendored one.
    fn from_rings(coordinates: Vec<Vec<Vec<[f64; 2]>>>) -> anyhow::Result<Self> {
        let rings: Vec<&[[f64; 2]]> = coordinates.iter().flatten().map(Vec::as_slice).collect();
        let mut kinds: Vec<Vec<EdgeKind>> = rings
            .iter()
            .map(|ring| vec![EdgeKind::Coast; ring.len() - 1])
            .collect();
        for (start, end) in LAND_BORDERS {
            if let (Some((ring, from)), Some((end_ring, to))) =
                (nearest_vertex(&rings, start), nearest_vertex(&rings, end))
            {
                ensure!(ring == end_ring, "land border ends on different rings");
                let ring_kinds = &mut kinds[ring];
                // Edge `i` runs from vertex `i` to `i + 1`; walk forward, wrapping
                // round the ring's closing vertex.
                let count = ring_kinds.len();
                let mut edge = from;
                while edge != to {
                    ring_kinds[edge] = EdgeKind::LandBorder;
                    edge = (edge + 1) % count;
                }
            }
        }
        let edges = rings
            .iter()
            .zip(&kinds)
            .flat_map(|(ring, kinds)| {
                ring.windows(2).zip(kinds).map(|(pair, &kind)| {
                    Edge::new(GeomWithData::new(Line::new(pair[0], pair[1]), kind))
                })
            })
            .collect();

        Ok(Self {
            edges: RTree::bulk_load(edges),
        })
    }

    /// Number of edges marked as land border.
    #[cfg(test)]
    pub(super) fn land_border_edges(&self) -> usize {
        self.edges
            .iter()
            .filter(|edge| edge.data == EdgeKind::LandBorder)
            .count()
    }

    /// Whether the part of the outline nearest to the point is coast rather
    /// than a land border: for a point outside the outline, whether it is at
    /// sea rather than in a neighbouring country.
    ///
    /// "Nearest" is measured in plain degrees here, which is close enough to
    /// tell a coast from a land border.
    pub(super) fn faces_sea(&self, point: GeoPoint) -> bool {
        self.edges
            .nearest_neighbor(&[point.lon, point.lat])
            .is_some_and(|edge| edge.data == EdgeKind::Coast)
    }
}

/// The ring and vertex nearest to `landmark`, if one is within
/// [`LANDMARK_MATCH_M`]. The closing vertex is skipped: it repeats the first.
fn nearest_vertex(rings: &[&[[f64; 2]]], landmark: GeoPoint) -> Option<(usize, usize)> {
    rings
        .iter()
        .enumerate()
        .flat_map(|(ring, positions)| {
            positions[..positions.len() - 1]
                .iter()
                .enumerate()
                .map(move |(vertex, &[lon, lat])| {
                    (ring, vertex, haversine_m(landmark, GeoPoint::new(lat, lon)))
                })
        })
        .filter(|&(.., distance)| distance <= LANDMARK_MATCH_M)
        .min_by(|a, b| a.2.total_cmp(&b.2))
        .map(|(ring, vertex, _)| (ring, vertex))
}

/// Checks that a ring is closed, has at least 4 positions and all are valid.
fn check_ring(positions: &[[f64; 2]]) -> anyhow::Result<()> {
    ensure!(positions.len() >= 4, "ring with fewer than 4 positions");
    ensure!(positions.first() == positions.last(), "ring is not closed");
    if let Some(bad) = positions
        .iter()
        .find(|&&[lon, lat]| !GeoPoint::new(lat, lon).is_valid())
    {
        bail!("invalid position {bad:?}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use geo::{Coord, LineString, MultiPolygon, Polygon};

    use super::*;

    /// GeoJSON polygons, each a list of rings (the exterior first), as geo types.
    fn to_multi_polygon(coordinates: Vec<Vec<Vec<[f64; 2]>>>) -> MultiPolygon<f64> {
        coordinates
            .into_iter()
            .filter_map(|rings| {
                let mut rings = rings.into_iter().map(|ring| {
                    ring.into_iter()
                        .map(|[x, y]| Coord { x, y })
                        .collect::<LineString<f64>>()
                });
                let exterior = rings.next()?;
                Some(Polygon::new(exterior, rings.collect()))
            })
            .collect()
    }

    #[test]
    fn vendored_outline_is_valid() {
        // The monotone subdivision assumes simple rings that do not overlap.
        let feature: Feature =
            serde_json::from_str(include_str!("data/thailand-outline.geojson")).unwrap();
        let Geometry::MultiPolygon { coordinates } = feature.geometry;
        assert!(geo::Validation::is_valid(&to_multi_polygon(coordinates)));
    }

    #[test]
    fn parse_rejects_bad_outlines() {
        let feature = |coordinates: &str| {
            format!(
                r#"{{"type":"Feature","geometry":{{"type":"MultiPolygon","coordinates":{coordinates}}}}}"#
            )
        };
        assert!(Outline::parse(&feature("[[[[0,0],[1,0],[1,1],[0,0]]]]")).is_ok());
        assert!(Outline::parse(&feature("[[[[0,0],[1,0],[1,1],[0,1]]]]")).is_err());
        assert!(Outline::parse(&feature("[[[[0,0],[1,0],[0,0]]]]")).is_err());
        assert!(Outline::parse(&feature("[[[[0,0],[1,0],[1,200],[0,0]]]]")).is_err());
        assert!(Outline::parse(&feature("[[]]")).is_err());
        assert!(Outline::parse(&feature("[]")).is_err());
        assert!(Outline::parse(
            r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[0,0]}}"#
        )
        .is_err());
    }
}
