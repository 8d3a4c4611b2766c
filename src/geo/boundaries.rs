//! Administrative boundary polygons, decoded from the compact `boundaries.bin`
//! (made by `scripts/pack-boundaries.py`; its docstring gives the format), with
//! an R-tree of the subdistricts' polygons for point lookups.
//!
//! Subdistricts are decoded once at load (every lookup needs them); provinces
//! and districts only when their boundary is asked for, straight from the
//! compiled-in bytes, so they cost no memory in between.

use anyhow::{bail, ensure, Context};
use geo::{Coord, Intersects, LineString, MultiPolygon, Polygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

use super::distance::{bounding_box, distance_to_segment_m};
use crate::domain::GeoPoint;

/// Coordinates are stored as integers of this fraction of a degree.
const SCALE: f64 = 100_000.0;
const MAGIC: &[u8; 4] = b"FWB1";

/// What a polygon's code means today.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Coverage {
    /// The polygon is exactly its own (current) subdistrict.
    Own,
    /// The code is current, but its polygon also covers these newer
    /// subdistricts, split from it after the boundaries were drawn.
    AlsoCovers(Vec<String>),
    /// The code is abolished; its polygon is now these subdistricts.
    Abolished(Vec<String>),
}

impl Coverage {
    /// The newer codes the polygon also covers or was replaced by.
    pub(super) fn others(&self) -> &[String] {
        match self {
            Self::Own => &[],
            Self::AlsoCovers(codes) | Self::Abolished(codes) => codes,
        }
    }
}

/// One area's boundary.
#[derive(Debug)]
pub(super) struct Shape {
    pub(super) code: String,
    pub(super) coverage: Coverage,
    pub(super) polygons: MultiPolygon<f64>,
}

impl Shape {
    /// Whether this polygon stands for (part of) the area `code`: its own code
    /// or a prefix of it, or one of the newer subdistricts it covers.
    pub(super) fn stands_for(&self, code: &str) -> bool {
        self.code.starts_with(code) || self.coverage.others().iter().any(|other| other == code)
    }

    /// Great-circle distance in metres from the point to the shape: 0 inside
    /// or on the edge, else to the nearest edge.
    pub(super) fn distance_m(&self, point: GeoPoint) -> f64 {
        let coord = Coord {
            x: point.lon,
            y: point.lat,
        };
        if self.polygons.intersects(&coord) {
            return 0.0;
        }
        self.polygons
            .iter()
            .flat_map(|polygon| std::iter::once(polygon.exterior()).chain(polygon.interiors()))
            .flat_map(|ring| ring.lines())
            .map(|line| {
                distance_to_segment_m(
                    point,
                    [line.start.x, line.start.y],
                    [line.end.x, line.end.y],
                )
            })
            .fold(f64::INFINITY, f64::min)
    }
}

/// A subdistrict polygon's bounding box in the R-tree, with the index of its
/// shape and of the polygon within the shape.
type Entry = GeomWithData<Rectangle<[f64; 2]>, (u32, u32)>;

/// The boundaries, indexed.
pub(super) struct Boundaries {
    bytes: &'static [u8],
    /// Byte offset of each province's and district's record, by code.
    provinces: Vec<(String, usize)>,
    districts: Vec<(String, usize)>,
    /// Sorted by code.
    subdistricts: Vec<Shape>,
    tree: RTree<Entry>,
}

impl Boundaries {
    /// Decodes the subdistricts, indexes them, and notes where the other
    /// levels' records start.
    pub(super) fn parse(bytes: &'static [u8]) -> anyhow::Result<Self> {
        ensure!(bytes.starts_with(MAGIC), "not a boundaries file");
        let mut reader = Reader {
            bytes,
            at: MAGIC.len(),
        };
        let provinces = reader.skip_level(2).context("provinces")?;
        let districts = reader.skip_level(4).context("districts")?;
        let count = reader.u32()? as usize;
        let mut subdistricts = Vec::with_capacity(count);
        for _ in 0..count {
            subdistricts.push(reader.shape(6).context("subdistricts")?);
        }
        ensure!(reader.at == bytes.len(), "trailing bytes");
        ensure!(
            subdistricts
                .windows(2)
                .all(|pair| pair[0].code < pair[1].code),
            "subdistricts not sorted by code"
        );

        let mut entries = Vec::new();
        for (shape_index, shape) in subdistricts.iter().enumerate() {
            for (polygon_index, polygon) in shape.polygons.iter().enumerate() {
                let rect = geo::BoundingRect::bounding_rect(polygon)
                    .with_context(|| format!("{} has an empty polygon", shape.code))?;
                entries.push(Entry::new(
                    Rectangle::from_corners(rect.min().x_y().into(), rect.max().x_y().into()),
                    (shape_index as u32, polygon_index as u32),
                ));
            }
        }
        Ok(Self {
            bytes,
            provinces,
            districts,
            subdistricts,
            tree: RTree::bulk_load(entries),
        })
    }

    pub(super) fn subdistricts(&self) -> &[Shape] {
        &self.subdistricts
    }

    /// The subdistrict polygon with this code.
    pub(super) fn subdistrict(&self, code: &str) -> Option<&Shape> {
        let index = self
            .subdistricts
            .binary_search_by(|shape| shape.code.as_str().cmp(code))
            .ok()?;
        self.subdistricts.get(index)
    }

    /// The boundary of a province, district or subdistrict with its own
    /// polygon, decoded afresh for the larger levels.
    pub(super) fn area(&self, code: &str) -> Option<Shape> {
        let offsets = match code.len() {
            2 => &self.provinces,
            4 => &self.districts,
            6 => {
                let shape = self.subdistrict(code)?;
                return Some(Shape {
                    code: shape.code.clone(),
                    coverage: shape.coverage.clone(),
                    polygons: shape.polygons.clone(),
                });
            }
            _ => return None,
        };
        let index = offsets
            .binary_search_by(|(other, _)| other.as_str().cmp(code))
            .ok()?;
        let mut reader = Reader {
            bytes: self.bytes,
            at: offsets[index].1,
        };
        // The record was read once at load, so it decodes again.
        reader.shape(code.len()).ok()
    }

    /// The subdistrict polygon the point is in (or on the edge of). Of two
    /// that share the edge, the lower code.
    pub(super) fn containing(&self, point: GeoPoint) -> Option<&Shape> {
        let coord = Coord {
            x: point.lon,
            y: point.lat,
        };
        self.tree
            .locate_all_at_point(&[point.lon, point.lat])
            .filter(|entry| {
                let (shape, polygon) = entry.data;
                self.subdistricts[shape as usize].polygons.0[polygon as usize].intersects(&coord)
            })
            .map(|entry| &self.subdistricts[entry.data.0 as usize])
            .min_by(|a, b| a.code.cmp(&b.code))
    }

    /// The subdistrict polygon nearest to the point among those `wanted`,
    /// if one is within `radius_m`, with its distance (0 when inside).
    pub(super) fn nearest_within(
        &self,
        point: GeoPoint,
        radius_m: f64,
        wanted: impl Fn(&Shape) -> bool,
    ) -> Option<(&Shape, f64)> {
        let search = bounding_box(point, radius_m);
        let envelope = AABB::from_corners(
            [search.min_lon, search.min_lat],
            [search.max_lon, search.max_lat],
        );
        let mut best: Option<(&Shape, f64)> = None;
        for entry in self.tree.locate_in_envelope_intersecting(&envelope) {
            let shape = &self.subdistricts[entry.data.0 as usize];
            if !wanted(shape) {
                continue;
            }
            let distance = shape.distance_m(point);
            let better = match best {
                None => true,
                Some((current, current_distance)) => {
                    distance < current_distance
                        || (distance == current_distance && shape.code < current.code)
                }
            };
            if distance <= radius_m && better {
                best = Some((shape, distance));
            }
        }
        best
    }
}

/// Reads the packed format.
struct Reader {
    bytes: &'static [u8],
    at: usize,
}

impl Reader {
    fn u8(&mut self) -> anyhow::Result<u8> {
        let byte = *self.bytes.get(self.at).context("truncated")?;
        self.at += 1;
        Ok(byte)
    }

    fn u32(&mut self) -> anyhow::Result<u32> {
        let slice = self.bytes.get(self.at..self.at + 4).context("truncated")?;
        self.at += 4;
        Ok(u32::from_le_bytes(slice.try_into()?))
    }

    fn varint(&mut self) -> anyhow::Result<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.u8()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        bail!("varint too long")
    }

    fn signed(&mut self) -> anyhow::Result<i64> {
        let raw = self.varint()?;
        Ok((raw >> 1) as i64 ^ -((raw & 1) as i64))
    }

    fn code(&mut self, digits: usize) -> anyhow::Result<String> {
        let code = format!("{:0digits$}", self.u32()?);
        ensure!(code.len() == digits, "code {code} is not {digits} digits");
        Ok(code)
    }

    /// Reads a level's records, keeping only their codes and offsets.
    fn skip_level(&mut self, digits: usize) -> anyhow::Result<Vec<(String, usize)>> {
        let count = self.u32()? as usize;
        let mut offsets = Vec::with_capacity(count);
        for _ in 0..count {
            let at = self.at;
            let shape = self.shape(digits)?;
            offsets.push((shape.code, at));
        }
        ensure!(
            offsets.windows(2).all(|pair| pair[0].0 < pair[1].0),
            "not sorted by code"
        );
        Ok(offsets)
    }

    fn shape(&mut self, digits: usize) -> anyhow::Result<Shape> {
        let code = self.code(digits)?;
        let kind = self.u8()?;
        let others = (0..self.u8()?)
            .map(|_| self.code(6))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let coverage = match kind {
            0 if others.is_empty() => Coverage::Own,
            1 => Coverage::AlsoCovers(others),
            2 => Coverage::Abolished(others),
            _ => bail!("{code}: bad coverage {kind}"),
        };
        let polygons = (0..self.varint()?)
            .map(|_| {
                let mut rings = (0..self.varint()?)
                    .map(|_| self.ring())
                    .collect::<anyhow::Result<Vec<_>>>()?;
                ensure!(!rings.is_empty(), "polygon without rings");
                let exterior = rings.remove(0);
                Ok(Polygon::new(exterior, rings))
            })
            .collect::<anyhow::Result<Vec<_>>>()
            .with_context(|| format!("area {code}"))?;
        ensure!(!polygons.is_empty(), "{code} has no polygon");
        Ok(Shape {
            code,
            coverage,
            polygons: MultiPolygon(polygons),
        })
    }

    fn ring(&mut self) -> anyhow::Result<LineString<f64>> {
        let count = self.varint()?;
        ensure!(count >= 3, "ring with fewer than 3 points");
        let (mut x, mut y) = (0i64, 0i64);
        let mut coords = Vec::with_capacity(count as usize + 1);
        for _ in 0..count {
            x += self.signed()?;
            y += self.signed()?;
            let coord = Coord {
                x: x as f64 / SCALE,
                y: y as f64 / SCALE,
            };
            ensure!(
                GeoPoint::new(coord.y, coord.x).is_valid(),
                "invalid position"
            );
            coords.push(coord);
        }
        // `Polygon::new` closes the ring again.
        Ok(LineString(coords))
    }
}
