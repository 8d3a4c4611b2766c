//! Great-circle distances and the search boxes around them.

use crate::domain::{Bbox, GeoPoint};

/// Mean Earth radius (IUGG), in metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// The point as a unit vector from the Earth's centre.
///
/// Straight-line (chord) distance between unit vectors grows strictly with
/// the great-circle distance, so a Euclidean R-tree over these vectors gives
/// exact great-circle nearest neighbours, with no projection distortion.
pub(super) fn unit_vector(point: GeoPoint) -> [f64; 3] {
    let (lat, lon) = (point.lat.to_radians(), point.lon.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

/// Squared chord length on the unit sphere matching a great-circle distance.
///
/// Used as the radius for R-tree queries over [`unit_vector`] points.
/// Negative or NaN distances give 0; anything past the antipode gives the full
/// diameter.
pub(super) fn chord_2_for_distance(distance_m: f64) -> f64 {
    let angle = (distance_m / EARTH_RADIUS_M).clamp(0.0, std::f64::consts::PI);
    // `clamp` passes NaN through; treat it as "no distance at all".
    let angle = if angle.is_nan() { 0.0 } else { angle };
    let chord = 2.0 * (angle / 2.0).sin();
    chord * chord
}

/// Great-circle distance in metres between two points (haversine formula).
pub fn haversine_m(a: GeoPoint, b: GeoPoint) -> f64 {
    let (lat_a, lat_b) = (a.lat.to_radians(), b.lat.to_radians());
    let d_lat = lat_b - lat_a;
    let d_lon = (b.lon - a.lon).to_radians();
    let h = (d_lat / 2.0).sin().powi(2) + lat_a.cos() * lat_b.cos() * (d_lon / 2.0).sin().powi(2);
    // Rounding can push `h` a hair above 1 for antipodal points.
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// Slack added on every side so that points exactly on the circle survive
/// floating-point rounding (about a millimetre).
const BOX_SLACK_DEG: f64 = 1e-8;

/// The smallest latitude/longitude box that surely contains every point within
/// `radius_m` metres (great-circle) of `center`.
///
/// Meant for narrowing a SQL query with plain `BETWEEN`s before the exact
/// [`haversine_m`] check. A degree of longitude shrinks with `cos(lat)`, so the
/// longitude span widens away from the equator; it uses the exact spherical
/// bound (the circle's tangent meridians), not the wider `radius / cos(lat)`.
/// When the circle reaches a pole or crosses the antimeridian the box spans all
/// longitudes, since a single min/max pair cannot express the wrap. A negative
/// or NaN radius is taken as 0.
pub fn bounding_box(center: GeoPoint, radius_m: f64) -> Bbox {
    let radius_m = if radius_m.is_nan() {
        0.0
    } else {
        radius_m.max(0.0)
    };
    let angle = radius_m / EARTH_RADIUS_M;
    let d_lat = angle.to_degrees() + BOX_SLACK_DEG;
    let min_lat = center.lat - d_lat;
    let max_lat = center.lat + d_lat;

    let all_longitudes = Bbox {
        min_lat: min_lat.max(-90.0),
        max_lat: max_lat.min(90.0),
        min_lon: -180.0,
        max_lon: 180.0,
    };
    if min_lat <= -90.0 || max_lat >= 90.0 {
        return all_longitudes;
    }

    // Tangent meridians of a spherical cap: sin(dlon) = sin(angle) / cos(lat).
    let ratio = angle.sin() / center.lat.to_radians().cos();
    if angle >= std::f64::consts::FRAC_PI_2 || ratio.is_nan() || ratio >= 1.0 {
        return all_longitudes;
    }
    let d_lon = ratio.asin().to_degrees() + BOX_SLACK_DEG;
    let min_lon = center.lon - d_lon;
    let max_lon = center.lon + d_lon;
    if min_lon < -180.0 || max_lon > 180.0 {
        return all_longitudes;
    }
    Bbox {
        min_lat,
        max_lat,
        min_lon,
        max_lon,
    }
}

/// Great-circle distance from `point` to the closest point of an edge.
///
/// The closest point is found in a flat frame centred on `point` (longitude
/// scaled by cos(lat)), which is accurate for the few-kilometre distances this
/// is used for; the distance to it is then measured exactly.
pub(super) fn distance_to_segment_m(point: GeoPoint, from: [f64; 2], to: [f64; 2]) -> f64 {
    let scale = point.lat.to_radians().cos();
    let local = |[lon, lat]: [f64; 2]| ((lon - point.lon) * scale, lat - point.lat);
    let (ax, ay) = local(from);
    let (bx, by) = local(to);
    let (dx, dy) = (bx - ax, by - ay);
    let length_2 = dx * dx + dy * dy;
    // Position of the foot of the perpendicular along the edge, kept on the edge.
    let t = if length_2 > 0.0 {
        (-(ax * dx + ay * dy) / length_2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let [from_lon, from_lat] = from;
    let [to_lon, to_lat] = to;
    let closest = GeoPoint::new(
        from_lat + t * (to_lat - from_lat),
        from_lon + t * (to_lon - from_lon),
    );
    haversine_m(point, closest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_distance_handles_ends_and_middle() {
        let edge = ([100.0, 13.0], [100.0, 14.0]);
        // Beside the middle: the perpendicular distance.
        let beside = GeoPoint::new(13.5, 100.01);
        let expected = haversine_m(beside, GeoPoint::new(13.5, 100.0));
        assert!((distance_to_segment_m(beside, edge.0, edge.1) - expected).abs() < 1.0);
        // Past an end: the distance to that end.
        let past = GeoPoint::new(14.1, 100.0);
        let expected = haversine_m(past, GeoPoint::new(14.0, 100.0));
        assert!((distance_to_segment_m(past, edge.0, edge.1) - expected).abs() < 1e-6);
        // A zero-length edge is a point.
        let dot = ([100.0, 13.0], [100.0, 13.0]);
        let expected = haversine_m(beside, GeoPoint::new(13.0, 100.0));
        assert!((distance_to_segment_m(beside, dot.0, dot.1) - expected).abs() < 1e-6);
    }

    #[test]
    fn haversine_matches_known_distances() {
        // Suvarnabhumi to Don Mueang airport: 29.19 km great-circle.
        let bkk = GeoPoint::new(13.6900, 100.7501);
        let dmk = GeoPoint::new(13.9126, 100.6068);
        assert!((haversine_m(bkk, dmk) - 29_190.99).abs() < 0.01);

        // One degree of latitude along a meridian is R * pi / 180.
        let one_degree = haversine_m(GeoPoint::new(10.0, 100.0), GeoPoint::new(11.0, 100.0));
        assert!((one_degree - EARTH_RADIUS_M.to_radians()).abs() < 1e-6);

        // Antipodes are half a circumference apart, and never NaN.
        let antipodes = haversine_m(GeoPoint::new(0.0, 0.0), GeoPoint::new(0.0, 180.0));
        assert!((antipodes - EARTH_RADIUS_M * std::f64::consts::PI).abs() < 1e-3);

        assert_eq!(haversine_m(bkk, bkk), 0.0);
        assert_eq!(haversine_m(bkk, dmk), haversine_m(dmk, bkk));
    }

    #[test]
    fn haversine_agrees_with_the_geo_crate() {
        use geo::{Distance, Haversine, Point};

        let pairs = [
            ((13.7563, 100.5018), (18.7883, 98.9853)),
            ((7.0086, 100.4747), (20.4275, 99.8830)),
            ((0.0, 0.0), (-33.9, 151.2)),
        ];
        for ((lat_a, lon_a), (lat_b, lon_b)) in pairs {
            let ours = haversine_m(GeoPoint::new(lat_a, lon_a), GeoPoint::new(lat_b, lon_b));
            let theirs = Haversine.distance(Point::new(lon_a, lat_a), Point::new(lon_b, lat_b));
            // geo uses the GRS80 mean radius, within 0.03 m of ours.
            assert!((ours - theirs).abs() / theirs < 1e-8, "{ours} vs {theirs}");
        }
    }

    #[test]
    fn chord_radius_is_monotonic_with_distance() {
        let a = GeoPoint::new(13.0, 100.0);
        let b = GeoPoint::new(13.01, 100.02);
        let [ax, ay, az] = unit_vector(a);
        let [bx, by, bz] = unit_vector(b);
        let chord_2 = (ax - bx).powi(2) + (ay - by).powi(2) + (az - bz).powi(2);
        let expected = chord_2_for_distance(haversine_m(a, b));
        assert!((chord_2 - expected).abs() / expected < 1e-9);
        assert_eq!(chord_2_for_distance(-5.0), 0.0);
        assert_eq!(chord_2_for_distance(f64::NAN), 0.0);
        assert!((chord_2_for_distance(f64::INFINITY) - 4.0).abs() < 1e-12);
    }

    #[test]
    fn bounding_box_contains_the_whole_circle() {
        for &(lat, lon) in &[
            (13.75, 100.5),
            (20.4, 99.9),
            (-45.0, 170.0),
            (0.0, 0.0),
            (70.0, 20.0),
        ] {
            let center = GeoPoint::new(lat, lon);
            for &radius in &[10.0, 5_000.0, 250_000.0] {
                let bbox = bounding_box(center, radius);
                // Walk the circle's edge in 1-degree steps of bearing.
                for step in 0..360 {
                    let p = destination(center, f64::from(step), radius);
                    assert!(
                        bbox.contains(p),
                        "{center:?} r={radius} bearing={step} {p:?}"
                    );
                }
                // The box is tight: its extreme latitudes are on the circle.
                let north = haversine_m(center, GeoPoint::new(bbox.max_lat, lon));
                assert!((north - radius).abs() < 0.01, "{north} vs {radius}");
            }
        }
    }

    #[test]
    fn bounding_box_widens_with_latitude() {
        let equator = bounding_box(GeoPoint::new(0.0, 100.0), 10_000.0);
        let north = bounding_box(GeoPoint::new(60.0, 100.0), 10_000.0);
        let equator_span = equator.max_lon - equator.min_lon;
        let north_span = north.max_lon - north.min_lon;
        // cos(60°) = 0.5, so a degree of longitude is half as long there.
        assert!((north_span / equator_span - 2.0).abs() < 0.01);
    }

    #[test]
    fn bounding_box_degenerate_inputs() {
        let p = GeoPoint::new(13.0, 100.0);
        assert!(bounding_box(p, 0.0).contains(p));
        assert!(bounding_box(p, -1.0).contains(p));
        assert!(bounding_box(p, f64::NAN).contains(p));
        let polar = bounding_box(GeoPoint::new(89.99, 0.0), 5_000.0);
        assert_eq!(
            (polar.min_lon, polar.max_lon, polar.max_lat),
            (-180.0, 180.0, 90.0)
        );
        let wrapping = bounding_box(GeoPoint::new(0.0, 179.99), 5_000.0);
        assert_eq!((wrapping.min_lon, wrapping.max_lon), (-180.0, 180.0));
        let huge = bounding_box(p, f64::INFINITY);
        assert_eq!((huge.min_lat, huge.max_lat), (-90.0, 90.0));
    }

    /// The point reached by travelling `distance_m` from `start` on `bearing_deg`.
    fn destination(start: GeoPoint, bearing_deg: f64, distance_m: f64) -> GeoPoint {
        let angle = distance_m / EARTH_RADIUS_M;
        let (lat, lon) = (start.lat.to_radians(), start.lon.to_radians());
        let bearing = bearing_deg.to_radians();
        let lat2 = (lat.sin() * angle.cos() + lat.cos() * angle.sin() * bearing.cos()).asin();
        let lon2 = lon
            + (bearing.sin() * angle.sin() * lat.cos()).atan2(angle.cos() - lat.sin() * lat2.sin());
        GeoPoint::new(lat2.to_degrees(), lon2.to_degrees())
    }
}
