//! Who files field records and where: shared by visits and grievances.

use rand::distributions::{Distribution, WeightedIndex};
use rand::Rng;
use sha2::{Digest, Sha256};

use super::world::{offset, World};
use crate::domain::{GeoPoint, Role};
use crate::placement::{Flag, LOW_ACCURACY_M};

/// Records lie within this distance of their subdistrict's point.
const MAX_OFFSET_M: f64 = 1_450.0;

/// The share of records filed by officials rather than volunteers, when there are both.
const OFFICIALS_SHARE: f64 = 0.15;

/// Who files field records, weighted by how active each is.
pub struct Authors {
    people: Vec<usize>,
    weights: WeightedIndex<f64>,
}

impl Authors {
    /// Volunteers at varied levels of activity, officials now and then.
    pub fn new(world: &World, rng: &mut impl Rng) -> anyhow::Result<Self> {
        let mut people = Vec::new();
        let mut weights = Vec::new();
        let mut officials = Vec::new();
        for (index, person) in world.people.iter().enumerate() {
            match person.role {
                Role::Volunteer => {
                    // About one in ten files nothing, as weekly compliance reports
                    // expect to find.
                    let active = rng.gen::<f64>() >= 0.1;
                    let weight = 0.5 + 1.5 * rng.gen::<f64>();
                    people.push(index);
                    weights.push(if active { weight } else { 0.0 });
                }
                Role::Official => officials.push(index),
                _ => {}
            }
        }
        let volunteers_total: f64 = weights.iter().sum();
        let official_weight = if volunteers_total > 0.0 && !officials.is_empty() {
            volunteers_total * OFFICIALS_SHARE / (1.0 - OFFICIALS_SHARE) / officials.len() as f64
        } else {
            1.0
        };
        weights.extend(std::iter::repeat_n(official_weight, officials.len()));
        people.extend(officials);
        anyhow::ensure!(
            !people.is_empty(),
            "visits and grievances need volunteers or officials to file them"
        );
        // A tiny roster of inactive volunteers: let them all file rather than none.
        if weights.iter().all(|w| *w == 0.0) {
            weights.fill(1.0);
        }
        let weights = WeightedIndex::new(&weights)
            .map_err(|e| anyhow::anyhow!("weighting the demo authors: {e}"))?;
        Ok(Self { people, weights })
    }

    /// An author (index into `World::people`).
    pub fn sample(&self, rng: &mut impl Rng) -> usize {
        self.people[self.weights.sample(rng)]
    }
}

/// Where a record by this person is made: the volunteer's subdistrict, or any
/// subdistrict of the official's district; a point near its anchor; its area codes.
pub struct Spot {
    pub area_code: String,
    pub name_th: String,
    pub point: GeoPoint,
    pub accuracy_m: Option<f64>,
}

impl Spot {
    pub fn province_code(&self) -> String {
        self.area_code[..2].to_owned()
    }

    pub fn district_code(&self) -> Option<String> {
        self.area_code.get(..4).map(str::to_owned)
    }

    pub fn flags(&self) -> &'static str {
        if self.accuracy_m.is_some_and(|a| a > LOW_ACCURACY_M) {
            Flag::LowAccuracy.as_str()
        } else {
            ""
        }
    }
}

pub fn spot(world: &World, author: usize, rng: &mut impl Rng) -> Spot {
    let person = &world.people[author];
    let places = &world.provinces[person.province].districts[person.district].places;
    let place_index = person
        .place
        .unwrap_or_else(|| rng.gen_range(0..places.len()));
    let place = world.place(person, place_index);
    // Uniform over a disc: the square root keeps points from crowding the centre.
    let distance = MAX_OFFSET_M * rng.gen::<f64>().sqrt();
    let bearing = rng.gen::<f64>() * std::f64::consts::TAU;
    let point = offset(place.anchor, distance, bearing);
    let shape = rng.gen::<f64>();
    let accuracy = rng.gen::<f64>();
    let accuracy_m = if shape < 0.03 {
        None
    } else if shape < 0.09 {
        Some(round_to(120.0 + accuracy * 330.0, 1.0))
    } else {
        Some(round_to(3.0 + accuracy * 32.0, 10.0))
    };
    Spot {
        area_code: place.code.clone(),
        name_th: place.name_th.clone(),
        point: GeoPoint::new(round_to(point.lat, 1e6), round_to(point.lon, 1e6)),
        accuracy_m,
    }
}

fn round_to(value: f64, scale: f64) -> f64 {
    (value * scale).round() / scale
}

/// A stable digest of a record's parts, for its `content_hash`.
pub fn hex_digest(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0x1f]);
    }
    hex::encode(hasher.finalize())
}
