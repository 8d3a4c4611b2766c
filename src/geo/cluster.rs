//! Hotspots: density-based clustering (DBSCAN) of GPS points.

use rstar::primitives::GeomWithData;
use rstar::RTree;
use serde::Serialize;

use super::distance::{chord_2_for_distance, unit_vector};
use crate::domain::GeoPoint;

/// A group of nearby points.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cluster<T> {
    /// Mean latitude and longitude of the members.
    pub center: GeoPoint,
    /// The members' payloads, in input order.
    pub members: Vec<T>,
}

/// What DBSCAN has decided about a point so far.
#[derive(Clone, Copy, PartialEq)]
enum Label {
    Unvisited,
    /// Not a core point and not (yet) near one.
    Noise,
    /// Member of the cluster with this index.
    Cluster(usize),
}

/// Groups points with DBSCAN and returns the clusters, largest first.
///
/// A point is a core point when at least `min_points` points, itself included
/// (as in the original DBSCAN paper and scikit-learn), lie within `eps_m`
/// metres (great-circle) of it. Core points within `eps_m` of each other share a
/// cluster; other points within `eps_m` of a core point join the first cluster
/// that reaches them; all remaining points are noise and dropped. Points with
/// invalid coordinates are ignored.
///
/// The output depends only on the input: clusters are formed in input order,
/// members keep input order, and equally large clusters keep the order in which
/// they were formed.
pub fn cluster_points<T: Copy>(
    points: &[(GeoPoint, T)],
    eps_m: f64,
    min_points: usize,
) -> Vec<Cluster<T>> {
    // Unit vectors make the R-tree's Euclidean distance a monotonic stand-in for
    // great-circle distance, so the radius query is exact everywhere.
    let tree = RTree::bulk_load(
        points
            .iter()
            .enumerate()
            .filter(|(_, (point, _))| point.is_valid())
            .map(|(index, (point, _))| GeomWithData::new(unit_vector(*point), index))
            .collect(),
    );
    let radius_2 = chord_2_for_distance(eps_m);
    let mut neighbours = Vec::new();
    let find_neighbours = |index: usize, found: &mut Vec<usize>| {
        found.clear();
        let center = unit_vector(points[index].0);
        found.extend(
            tree.locate_within_distance(center, radius_2)
                .map(|entry| entry.data),
        );
    };

    let mut labels = vec![Label::Unvisited; points.len()];
    let mut cluster_count = 0;
    let mut pending = Vec::new();
    for seed in 0..points.len() {
        if labels[seed] != Label::Unvisited || !points[seed].0.is_valid() {
            continue;
        }
        find_neighbours(seed, &mut neighbours);
        if neighbours.len() < min_points {
            labels[seed] = Label::Noise;
            continue;
        }
        let cluster = Label::Cluster(cluster_count);
        cluster_count += 1;
        labels[seed] = cluster;

        // Grow the cluster from its core points. Each point is claimed when
        // first reached, so it is queued at most once.
        claim(&mut labels, &neighbours, cluster, &mut pending);
        while let Some(index) = pending.pop() {
            find_neighbours(index, &mut neighbours);
            if neighbours.len() >= min_points {
                claim(&mut labels, &neighbours, cluster, &mut pending);
            }
        }
    }

    let mut members = vec![Vec::new(); cluster_count];
    for (index, label) in labels.iter().enumerate() {
        if let Label::Cluster(cluster) = *label {
            members[cluster].push(index);
        }
    }
    let mut clusters: Vec<_> = members
        .into_iter()
        .map(|indices| summarize(points, &indices))
        .collect();
    // Stable, so ties keep the order in which the clusters were formed.
    clusters.sort_by_key(|cluster| std::cmp::Reverse(cluster.members.len()));
    clusters
}

/// Labels the unclaimed `neighbours` as members of `cluster` and queues the
/// ones not visited before in `pending`: they may be core points, so the
/// cluster must grow from them. Former noise points join as border points only,
/// since they are already known not to be core points.
fn claim(labels: &mut [Label], neighbours: &[usize], cluster: Label, pending: &mut Vec<usize>) {
    for &index in neighbours {
        match labels[index] {
            Label::Unvisited => {
                labels[index] = cluster;
                pending.push(index);
            }
            Label::Noise => labels[index] = cluster,
            Label::Cluster(_) => {}
        }
    }
}

fn summarize<T: Copy>(points: &[(GeoPoint, T)], indices: &[usize]) -> Cluster<T> {
    // Plain means of the coordinates: clusters span at most a few kilometres
    // and Thailand is far from the antimeridian.
    let count = indices.len() as f64;
    let (lat_sum, lon_sum) = indices.iter().fold((0.0, 0.0), |(lat, lon), &index| {
        (lat + points[index].0.lat, lon + points[index].0.lon)
    });
    Cluster {
        center: GeoPoint::new(lat_sum / count, lon_sum / count),
        members: indices.iter().map(|&index| points[index].1).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::distance::{haversine_m, EARTH_RADIUS_M};
    use super::*;

    /// A point `north_m` and `east_m` metres from `origin` (flat approximation).
    fn offset(origin: GeoPoint, north_m: f64, east_m: f64) -> GeoPoint {
        let metres_per_degree = EARTH_RADIUS_M.to_radians();
        GeoPoint::new(
            origin.lat + north_m / metres_per_degree,
            origin.lon + east_m / (metres_per_degree * origin.lat.to_radians().cos()),
        )
    }

    #[test]
    fn finds_two_groups_and_drops_noise() {
        let bangkok = GeoPoint::new(13.75, 100.5);
        let chiang_mai = GeoPoint::new(18.79, 98.98);
        let mut points = Vec::new();
        // Interleave the groups and the noise so that input order matters.
        for i in 0..30 {
            let step = f64::from(i);
            points.push((
                offset(bangkok, 10.0 * (step % 5.0), 10.0 * (step / 5.0).floor()),
                i,
            ));
            if i < 20 {
                points.push((offset(chiang_mai, -7.0 * step, 3.0 * step), 100 + i));
            }
            if i < 10 {
                // Noise: 5 km apart from each other and from the groups.
                points.push((offset(bangkok, 5_000.0 * (step + 1.0), 0.0), 200 + i));
            }
        }

        let clusters = cluster_points(&points, 200.0, 5);
        assert_eq!(clusters.len(), 2);
        assert_eq!(clusters[0].members, (0..30).collect::<Vec<_>>());
        assert_eq!(clusters[1].members, (100..120).collect::<Vec<_>>());
        let center = clusters[0].center;
        assert!(haversine_m(center, offset(bangkok, 20.0, 25.0)) < 1.0);
        let center = clusters[1].center;
        assert!(haversine_m(center, offset(chiang_mai, -66.5, 28.5)) < 1.0);

        // Same input, same output.
        assert_eq!(cluster_points(&points, 200.0, 5), clusters);
        // Too strict: nothing is dense enough.
        assert!(cluster_points(&points, 200.0, 31).is_empty());
        // min_points counts the point itself, so 1 makes every point a cluster.
        assert_eq!(cluster_points(&points, 200.0, 1).len(), 2 + 10);
    }

    #[test]
    fn chains_core_points_and_attaches_border_points() {
        let start = GeoPoint::new(7.0, 100.47);
        // A border point first in input order: it is seen as noise before the
        // cluster reaches it, and must still join it.
        let mut points = vec![(offset(start, 0.0, -100.0), 'b')];
        // A line of points 100 m apart: each has 3 within 150 m (itself
        // included), except the ends.
        points.extend((0..10).map(|i| (offset(start, 0.0, 100.0 * f64::from(i)), 'c')));
        // Just too far from the line's end to join it.
        points.push((offset(start, 0.0, 1_060.0), 'n'));

        let clusters = cluster_points(&points, 150.0, 3);
        assert_eq!(clusters.len(), 1);
        let members: String = clusters[0].members.iter().collect();
        assert_eq!(members, "bcccccccccc");
    }

    #[test]
    fn equal_clusters_keep_input_order() {
        let a = GeoPoint::new(9.5, 100.0);
        let b = GeoPoint::new(16.4, 102.8);
        let points: Vec<_> = (0..6)
            .map(|i| {
                let origin = if i % 2 == 0 { b } else { a };
                (offset(origin, f64::from(i), 0.0), i)
            })
            .collect();
        let clusters = cluster_points(&points, 50.0, 2);
        assert_eq!(clusters.len(), 2);
        assert_eq!(clusters[0].members, vec![0, 2, 4]);
        assert_eq!(clusters[1].members, vec![1, 3, 5]);
    }

    #[test]
    fn clusters_fifty_thousand_points() {
        // 25 hotspots of 1,600 points in an 800 m square grid (20 m apart), and
        // 10,000 isolated points on a 2 km grid across the Khorat plateau.
        let mut points = Vec::with_capacity(50_000);
        for hotspot in 0..25_u32 {
            let origin = GeoPoint::new(14.0 + 0.2 * f64::from(hotspot), 100.0);
            for i in 0..1_600 {
                let (row, column) = (f64::from(i / 40), f64::from(i % 40));
                points.push((offset(origin, 20.0 * row, 20.0 * column), hotspot));
            }
        }
        let corner = GeoPoint::new(14.0, 101.0);
        for i in 0..10_000 {
            let (row, column) = (f64::from(i / 100), f64::from(i % 100));
            points.push((offset(corner, 2_000.0 * row, 2_000.0 * column), 100));
        }

        let started = std::time::Instant::now();
        let clusters = cluster_points(&points, 45.0, 10);
        eprintln!(
            "clustered {} points in {:?}",
            points.len(),
            started.elapsed()
        );
        assert_eq!(clusters.len(), 25);
        // Equal sizes keep the order of formation, which is input order.
        for (hotspot, cluster) in (0..25_u32).zip(&clusters) {
            assert_eq!(cluster.members, vec![hotspot; 1_600]);
        }
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        let empty: [(GeoPoint, u8); 0] = [];
        assert!(cluster_points(&empty, 100.0, 3).is_empty());

        let p = GeoPoint::new(13.0, 100.0);
        let bad = GeoPoint::new(f64::NAN, 100.0);
        let points = [(p, 1), (bad, 2), (p, 3), (GeoPoint::new(200.0, 0.0), 4)];
        let clusters = cluster_points(&points, 10.0, 2);
        assert_eq!(clusters.len(), 1);
        assert_eq!(clusters[0].members, vec![1, 3]);
        // A zero, negative or NaN radius still finds duplicates of a point.
        for eps in [0.0, -1.0, f64::NAN] {
            assert_eq!(cluster_points(&points, eps, 2)[0].members, vec![1, 3]);
        }
        // An infinite radius puts every valid point together.
        assert_eq!(
            cluster_points(&points, f64::INFINITY, 2)[0].members,
            vec![1, 3]
        );
        assert!(cluster_points(&points, 10.0, 0)[0].members.contains(&1));
    }
}
