//! The demo's people and places: real provinces from the bundled geography, a
//! supervisor per province, officials per district and volunteers per subdistrict.

use anyhow::Context;
use chrono::{Duration, NaiveDateTime};
use rand::Rng;

use super::words;
use crate::db::users::{username_key, UserRow};
use crate::domain::prefixes;
use crate::domain::{AreaCode, GeoPoint, Role, UserId};
use crate::geo::{Area, Geography, BANGKOK_CODE};

/// Provinces in the order demo data takes them: big regional centres across the
/// country first, so even a small data set is varied; then the rest by code.
const PREFERRED_PROVINCES: [&str; 20] = [
    "50", "40", "90", "30", "10", "65", "34", "20", "80", "57", "41", "84", "60", "96", "71", "63",
    "12", "83", "48", "58",
];

/// Points well inside Bangkok, for a Bangkok district none of whose khwaeng has a
/// polygon of its own (none today; kept as the last resort of `borrowed_anchor`).
const BANGKOK_ANCHORS: [GeoPoint; 8] = [
    GeoPoint::new(13.7525, 100.4935), // Phra Nakhon
    GeoPoint::new(13.7440, 100.5330), // Pathum Wan
    GeoPoint::new(13.7590, 100.5400), // Ratchathewi
    GeoPoint::new(13.7250, 100.5290), // Bang Rak
    GeoPoint::new(13.7980, 100.5560), // Chatuchak
    GeoPoint::new(13.7260, 100.4870), // Thon Buri
    GeoPoint::new(13.7660, 100.5740), // Huai Khwang
    GeoPoint::new(13.7700, 100.6400), // Bang Kapi
];

const METRES_PER_DEGREE: f64 = 111_320.0;

/// A subdistrict where field work happens, with the point it happens around.
pub struct Place {
    pub code: String,
    pub name_th: String,
    pub anchor: GeoPoint,
}

pub struct District {
    pub places: Vec<Place>,
    /// Indexes into [`World::people`].
    pub officials: Vec<usize>,
}

pub struct Province {
    pub supervisor: usize,
    pub districts: Vec<District>,
}

pub struct Person {
    pub id: UserId,
    pub role: Role,
    pub province: usize,
    /// Officials and volunteers work in one district...
    pub district: usize,
    /// ... and a volunteer in one subdistrict of it.
    pub place: Option<usize>,
}

pub struct World {
    pub provinces: Vec<Province>,
    pub people: Vec<Person>,
}

impl World {
    pub fn place(&self, person: &Person, index: usize) -> &Place {
        &self.provinces[person.province].districts[person.district].places[index]
    }
}

/// A UUID (v4 layout) from the generator, so a seed always gives the same ids.
pub fn uuid(rng: &mut impl Rng) -> String {
    uuid::Builder::from_random_bytes(rng.gen())
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// A common Thai given name and surname, and whether the given name is a woman's.
pub fn thai_name(rng: &mut impl Rng) -> (String, bool) {
    let given = rng.gen_range(0..words::GIVEN_NAMES.len());
    let surname = pick(rng, words::SURNAMES);
    (
        format!("{} {surname}", words::GIVEN_NAMES[given]),
        given >= words::FIRST_WOMANS_NAME,
    )
}

/// A Thai mobile number in E.164 form: +66, then 6, 8 or 9 and eight digits.
pub fn mobile_phone(rng: &mut impl Rng) -> String {
    let prefix = pick(rng, &['6', '8', '9']);
    format!("+66{prefix}{:08}", rng.gen_range(0..100_000_000u32))
}

pub fn pick<'a, T>(rng: &mut impl Rng, items: &'a [T]) -> &'a T {
    // Every list passed here is a non-empty constant or checked before.
    &items[rng.gen_range(0..items.len())]
}

/// The point `distance_m` away from `from` in direction `bearing` (radians from north);
/// flat-earth arithmetic is exact enough over a few kilometres.
pub fn offset(from: GeoPoint, distance_m: f64, bearing: f64) -> GeoPoint {
    let lat = from.lat + distance_m * bearing.cos() / METRES_PER_DEGREE;
    let lon =
        from.lon + distance_m * bearing.sin() / (METRES_PER_DEGREE * from.lat.to_radians().cos());
    GeoPoint::new(lat, lon)
}

/// `count` provinces: those of [`PREFERRED_PROVINCES`] first, then the rest by code.
pub fn pick_provinces(geography: &Geography, count: usize) -> anyhow::Result<Vec<&Area>> {
    let all = geography
        .children(None)
        .context("the bundled geography has no provinces")?;
    anyhow::ensure!(
        (1..=all.len()).contains(&count),
        "--provinces must be between 1 and {} (Thailand's provinces), got {count}",
        all.len()
    );
    let mut ordered: Vec<&Area> = PREFERRED_PROVINCES
        .iter()
        .filter_map(|code| geography.area(code))
        .collect();
    for area in all {
        if !PREFERRED_PROVINCES.contains(&area.code.as_str()) {
            ordered.push(area);
        }
    }
    ordered.truncate(count);
    Ok(ordered)
}

/// The places of each district of a province, anchored on a point inside each
/// subdistrict's polygon. The 13 Bangkok khwaeng without a polygon of their own are
/// left out where their district has others; a district with none borrows a point
/// from elsewhere in its province, so records keep a plausible point.
fn districts_of(geography: &Geography, province: &Area) -> anyhow::Result<Vec<Vec<Place>>> {
    let borrowed: Vec<GeoPoint> = geography
        .subdistricts_under(&province.code)
        .filter_map(|area| geography.representative_point(&area.code))
        .collect();
    let districts = geography
        .children(Some(&province.code))
        .with_context(|| format!("province {} has no districts", province.code))?;
    let mut result = Vec::new();
    for (district_index, district) in districts.iter().enumerate() {
        let subdistricts: Vec<&Area> = geography.subdistricts_under(&district.code).collect();
        let located: Vec<Place> = subdistricts
            .iter()
            .filter_map(|area| {
                Some(Place {
                    code: area.code.clone(),
                    name_th: area.name_th.clone(),
                    anchor: geography.representative_point(&area.code)?,
                })
            })
            .collect();
        // Prefer subdistricts with a polygon; a district without any borrows.
        let places = if located.is_empty() {
            subdistricts
                .iter()
                .enumerate()
                .map(|(index, area)| Place {
                    code: area.code.clone(),
                    name_th: area.name_th.clone(),
                    anchor: borrowed_anchor(&borrowed, district_index, index),
                })
                .collect()
        } else {
            located
        };
        if !places.is_empty() {
            result.push(places);
        }
    }
    anyhow::ensure!(
        !result.is_empty(),
        "province {} has no subdistricts",
        province.code
    );
    Ok(result)
}

fn borrowed_anchor(borrowed: &[GeoPoint], district_index: usize, index: usize) -> GeoPoint {
    // A different borrowed point for each district, so they do not all coincide.
    if let Some(point) = borrowed.get(district_index.wrapping_mul(7) % borrowed.len().max(1)) {
        return *point;
    }
    // Bangkok: one of the city points, moved a little per subdistrict (golden-angle
    // spiral), so the subdistricts do not all stand on the same spot.
    let anchor = BANGKOK_ANCHORS[index % BANGKOK_ANCHORS.len()];
    let distance = 400.0 + (index * 211 % 1_100) as f64;
    offset(anchor, distance, index as f64 * 2.399_963)
}

pub struct WorldOptions<'a> {
    pub provinces: Vec<&'a Area>,
    pub volunteers_per_province: usize,
    pub officials_per_province: usize,
    pub password_hash: &'a str,
    /// Accounts are made some time before the data window opens.
    pub window_start: NaiveDateTime,
}

/// Builds the people and places, handing each province's accounts to `store` as they
/// are made (so a large roster never sits in memory as rows).
pub fn build(
    geography: &Geography,
    options: &WorldOptions,
    rng: &mut impl Rng,
    mut store: impl FnMut(Vec<UserRow>) -> anyhow::Result<()>,
) -> anyhow::Result<World> {
    let mut world = World {
        provinces: Vec::new(),
        people: Vec::new(),
    };
    for (province_index, area) in options.provinces.iter().enumerate() {
        let places = districts_of(geography, area)?;
        let mut province = Province {
            supervisor: world.people.len(),
            districts: places
                .into_iter()
                .map(|places| District {
                    places,
                    officials: Vec::new(),
                })
                .collect(),
        };
        let mut rows = Vec::new();
        let supervisor = user_row(
            rng,
            format!("demo.sup.{}", area.code),
            Role::Supervisor,
            &area.code,
            options,
        )?;
        let post = (province_index, 0, None);
        enrol(&mut world, &mut rows, supervisor, Role::Supervisor, post);
        let district_count = province.districts.len();
        for n in 0..options.officials_per_province {
            let district = n % district_count;
            let code = &province.districts[district].places[0].code[..4];
            let username = format!("demo.off.{}.{}", area.code, n + 1);
            let row = user_row(rng, username, Role::Official, code, options)?;
            let post = (province_index, district, None);
            let index = enrol(&mut world, &mut rows, row, Role::Official, post);
            province.districts[district].officials.push(index);
        }
        for n in 0..options.volunteers_per_province {
            let district = n % district_count;
            let places = &province.districts[district].places;
            let place = rng.gen_range(0..places.len());
            let username = format!("demo.vol.{}.{}", area.code, n + 1);
            let row = user_row(rng, username, Role::Volunteer, &places[place].code, options)?;
            let post = (province_index, district, Some(place));
            enrol(&mut world, &mut rows, row, Role::Volunteer, post);
        }
        store(rows)?;
        world.provinces.push(province);
    }
    Ok(world)
}

/// Records a new account as a person of the world, posted to (province, district,
/// place); returns its index.
fn enrol(
    world: &mut World,
    rows: &mut Vec<UserRow>,
    row: UserRow,
    role: Role,
    (province, district, place): (usize, usize, Option<usize>),
) -> usize {
    world.people.push(Person {
        id: row.id.clone(),
        role,
        province,
        district,
        place,
    });
    rows.push(row);
    world.people.len() - 1
}

fn user_row(
    rng: &mut impl Rng,
    username: String,
    role: Role,
    area_code: &str,
    options: &WorldOptions,
) -> anyhow::Result<UserRow> {
    let area =
        AreaCode::parse(area_code).map_err(|e| anyhow::anyhow!("demo area {area_code}: {e}"))?;
    let (province_code, district_code) = prefixes(&area);
    let id = UserId::unchecked(uuid(rng));
    let (display_name, _) = thai_name(rng);
    let phone = mobile_phone(rng);
    let created_at = options.window_start - Duration::days(rng.gen_range(14..400));
    Ok(UserRow {
        id,
        username_key: username_key(&username),
        username,
        display_name,
        role,
        area_code: area.into_string(),
        province_code,
        district_code,
        phone: Some(phone),
        password_hash: options.password_hash.to_owned(),
        active: true,
        token_version: 0,
        created_at,
        updated_at: created_at,
        password_change_required: false,
    })
}

/// The ministry-wide demo admin, made only when no account has its username.
pub fn admin_row(rng: &mut impl Rng, password_hash: &str, window_start: NaiveDateTime) -> UserRow {
    let id = UserId::unchecked(uuid(rng));
    let created_at = window_start - Duration::days(rng.gen_range(400..800));
    UserRow {
        id,
        username: ADMIN_USERNAME.to_owned(),
        username_key: ADMIN_USERNAME.to_owned(),
        display_name: "ผู้ดูแลระบบ (ข้อมูลตัวอย่าง)".to_owned(),
        role: Role::Admin,
        area_code: AreaCode::COUNTRY.to_owned(),
        province_code: None,
        district_code: None,
        phone: None,
        password_hash: password_hash.to_owned(),
        active: true,
        token_version: 0,
        created_at,
        updated_at: created_at,
        password_change_required: false,
    }
}

pub const ADMIN_USERNAME: &str = "demo.admin";

/// Whether `code` is Bangkok's, whose subdistricts are แขวง rather than ตำบล.
pub fn is_bangkok(code: &str) -> bool {
    code.starts_with(BANGKOK_CODE)
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    use super::*;
    use crate::domain::PhoneE164;

    #[test]
    fn provinces_come_in_the_fixed_order_and_all_77_are_there() {
        let geography = Geography::load().unwrap();
        let first: Vec<&str> = pick_provinces(&geography, 5)
            .unwrap()
            .iter()
            .map(|area| area.code.as_str())
            .collect();
        assert_eq!(first, ["50", "40", "90", "30", "10"]);
        let all = pick_provinces(&geography, 77).unwrap();
        let mut codes: Vec<&str> = all.iter().map(|area| area.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 77);
        assert!(pick_provinces(&geography, 0).is_err());
        assert!(pick_provinces(&geography, 78).is_err());
    }

    /// Points made around a place are found in the place's province by the same
    /// locator the API uses.
    #[test]
    fn points_around_places_locate_in_their_province() {
        let geography = Geography::load().unwrap();
        let mut rng = StdRng::seed_from_u64(5);
        let (mut total, mut elsewhere) = (0, 0);
        for province in pick_provinces(&geography, 77).unwrap() {
            for places in districts_of(&geography, province).unwrap() {
                for place in places.iter().take(3) {
                    let distance = 1_450.0 * rng.gen::<f64>().sqrt();
                    let bearing = rng.gen::<f64>() * std::f64::consts::TAU;
                    let point = offset(place.anchor, distance, bearing);
                    let located = geography.locate(point).map(|l| l.province.code);
                    total += 1;
                    if located.as_deref() != Ok(province.code.as_str()) {
                        elsewhere += 1;
                    }
                }
            }
        }
        // Only subdistricts on a provincial border may stray across it.
        assert!(elsewhere * 50 < total, "{elsewhere} of {total}");
    }

    #[test]
    fn phones_are_thai_mobiles() {
        let mut rng = StdRng::seed_from_u64(6);
        for _ in 0..1_000 {
            let phone = mobile_phone(&mut rng);
            assert_eq!(PhoneE164::parse(&phone).unwrap().as_str(), phone);
        }
    }

    #[test]
    fn ids_follow_the_seed_and_look_like_v4() {
        let a = uuid(&mut StdRng::seed_from_u64(1));
        let b = uuid(&mut StdRng::seed_from_u64(1));
        assert_eq!(a, b);
        let parsed = uuid::Uuid::parse_str(&a).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
    }
}
