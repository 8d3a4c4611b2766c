//! Locate throughput: the polygon locator against the old nearest-centroid one, in
//! the same run, on the same points. `cargo run --release --example locate_throughput`
//!
//! The old locator is rebuilt here from the old centroid file (bench/data): unit
//! vectors in an R-tree, nearest neighbour, as `geo::locate` did before the
//! polygons. It leaves out the old outline and Bangkok checks, so it flatters the
//! old side a little.

use std::hint::black_box;
use std::time::Instant;

use fieldweek::domain::GeoPoint;
use fieldweek::geo::{Geography, THAILAND_BOX};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rstar::primitives::GeomWithData;
use rstar::RTree;

const CENTROIDS_CSV: &str = include_str!("../bench/data/subdistrict-centroids.csv");
const POINTS: usize = 200_000;
const ROUNDS: usize = 5;

fn unit_vector(point: GeoPoint) -> [f64; 3] {
    let (lat, lon) = (point.lat.to_radians(), point.lon.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

fn main() {
    let started = Instant::now();
    let geography = Geography::load().expect("compiled-in data");
    let load = started.elapsed();

    // What `db::areas::sync` asks at every start.
    let started = Instant::now();
    let anchored = geography
        .subdistricts_under("TH")
        .filter(|area| geography.representative_point(&area.code).is_some())
        .count();
    let anchors = started.elapsed();

    let started = Instant::now();
    let centroids: Vec<GeomWithData<[f64; 3], usize>> = CENTROIDS_CSV
        .lines()
        .skip(1)
        .enumerate()
        .filter_map(|(index, line)| {
            let mut fields = line.split(',');
            let (_, lat, lon) = (fields.next()?, fields.next()?, fields.next()?);
            let point = GeoPoint::new(lat.parse().ok()?, lon.parse().ok()?);
            Some(GeomWithData::new(unit_vector(point), index))
        })
        .collect();
    let tree = RTree::bulk_load(centroids);
    let centroid_load = started.elapsed();

    // Points in Thailand, uniformly over its area, the same for both.
    let mut rng = StdRng::seed_from_u64(22);
    let mut points = Vec::with_capacity(POINTS);
    while points.len() < POINTS {
        let point = GeoPoint::new(
            rng.gen_range(THAILAND_BOX.min_lat..THAILAND_BOX.max_lat),
            rng.gen_range(THAILAND_BOX.min_lon..THAILAND_BOX.max_lon),
        );
        if geography.contains(point) {
            points.push(point);
        }
    }

    let mut polygon_rates = Vec::new();
    let mut centroid_rates = Vec::new();
    for _ in 0..ROUNDS {
        // Alternate, so that neither side always runs on a warmer machine.
        let started = Instant::now();
        for point in &points {
            black_box(geography.locate(black_box(*point)).ok());
        }
        polygon_rates.push(POINTS as f64 / started.elapsed().as_secs_f64());
        let started = Instant::now();
        for point in &points {
            black_box(tree.nearest_neighbor(&unit_vector(black_box(*point))));
        }
        centroid_rates.push(POINTS as f64 / started.elapsed().as_secs_f64());
    }
    let median = |rates: &mut Vec<f64>| {
        rates.sort_by(f64::total_cmp);
        rates[rates.len() / 2]
    };
    let polygon = median(&mut polygon_rates);
    let centroid = median(&mut centroid_rates);
    println!("points: {POINTS} in Thailand, {ROUNDS} rounds alternating, median");
    println!("Geography::load (boundaries decoded and indexed): {load:?}");
    println!("representative points of {anchored} subdistricts: {anchors:?}");
    println!("old centroid index built: {centroid_load:?}");
    println!("polygon locate (Geography::locate): {polygon:.0} points/s");
    println!("nearest-centroid locate: {centroid:.0} points/s");
    println!("ratio polygon / centroid: {:.2}", polygon / centroid);
}
