//! Tests against the compiled-in data.

use std::sync::OnceLock;
use std::time::Instant;

use super::*;
use crate::domain::AreaLevel;

/// Loaded once and shared: loading is what `geography_loads_quickly` measures.
fn geography() -> &'static Geography {
    static GEOGRAPHY: OnceLock<Geography> = OnceLock::new();
    GEOGRAPHY.get_or_init(|| Geography::load().expect("compiled-in data loads"))
}

fn at(lat: f64, lon: f64) -> GeoPoint {
    GeoPoint::new(lat, lon)
}

fn codes(areas: &[&Area]) -> Vec<String> {
    areas.iter().map(|area| area.code.clone()).collect()
}

#[test]
fn geography_is_shareable_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Geography>();
}

#[test]
fn geography_loads_quickly() {
    let started = Instant::now();
    let geography = Geography::load().unwrap();
    let elapsed = started.elapsed();
    eprintln!("Geography::load took {elapsed:?}");
    assert_eq!(geography.subdistrict_count_under(AreaCode::COUNTRY), 7_436);
    // Generous, for unoptimised builds on a busy machine.
    assert!(elapsed.as_secs_f64() < 2.0, "{elapsed:?}");
}

#[test]
fn counts() {
    let g = geography();
    assert_eq!(g.children(None).unwrap().len(), 77);
    let count = |level| g.areas().filter(|area| area.level == level).count();
    assert_eq!(count(AreaLevel::Country), 1);
    assert_eq!(count(AreaLevel::Province), 77);
    assert_eq!(count(AreaLevel::District), 928);
    assert_eq!(count(AreaLevel::Subdistrict), 7_436);
    assert_eq!(g.subdistrict_count_under("TH"), 7_436);
    assert_eq!(g.subdistricts_under("TH").count(), 7_436);
    // 7,425 polygons: 7,423 current codes and two abolished ones (Bangkok).
    assert_eq!(g.boundaries.subdistricts().len(), 7_425);
}

#[test]
fn areas_lists_parents_before_children() {
    let g = geography();
    let mut seen = std::collections::HashSet::new();
    for area in g.areas() {
        if let Some(parent) = &area.parent_code {
            assert!(
                seen.contains(parent.as_str()),
                "{} before {parent}",
                area.code
            );
        }
        assert!(seen.insert(area.code.as_str()), "{} twice", area.code);
    }
}

#[test]
fn area_lookup() {
    let g = geography();
    let country = g.area("TH").unwrap();
    assert_eq!(
        (
            country.level,
            country.name_th.as_str(),
            country.name_en.as_str()
        ),
        (AreaLevel::Country, "ประเทศไทย", "Thailand")
    );
    assert_eq!(country.parent_code, None);

    let bangkok = g.area("10").unwrap();
    assert_eq!(
        (bangkok.level, bangkok.name_en.as_str()),
        (AreaLevel::Province, "Bangkok")
    );
    assert_eq!(bangkok.name_th, "กรุงเทพมหานคร");
    assert_eq!(bangkok.parent_code, None);

    let district = g.area("1001").unwrap();
    assert_eq!(
        (district.level, district.name_en.as_str()),
        (AreaLevel::District, "Phra Nakhon")
    );
    assert_eq!(district.parent_code.as_deref(), Some("10"));

    let subdistrict = g.area("100101").unwrap();
    assert_eq!(subdistrict.level, AreaLevel::Subdistrict);
    assert_eq!(subdistrict.name_en, "Phra Borom Maha Ratchawang");
    assert_eq!(subdistrict.parent_code.as_deref(), Some("1001"));

    for unknown in [
        "", "T", "th", "00", "1", "999", "10010", "1001011", "ab", "๑๐", "1Ǆ",
    ] {
        assert_eq!(g.area(unknown), None, "{unknown:?}");
    }
}

#[test]
fn area_serializes_for_the_api() {
    let json = serde_json::to_value(geography().area("5001").unwrap()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "code": "5001",
            "level": "district",
            "name_th": "เมืองเชียงใหม่",
            "name_en": "Mueang Chiang Mai",
            "parent_code": "50",
        })
    );
    assert_eq!(AreaLevel::Subdistrict.as_str(), "subdistrict");
}

#[test]
fn children() {
    let g = geography();
    let provinces = g.children(None).unwrap();
    assert_eq!(codes(&provinces), codes(&g.children(Some("TH")).unwrap()));
    assert_eq!(provinces.first().unwrap().code, "10");
    assert!(provinces.windows(2).all(|pair| pair[0].code < pair[1].code));

    let bangkok = g.children(Some("10")).unwrap();
    assert_eq!(bangkok.len(), 50);
    assert!(bangkok
        .iter()
        .all(|d| d.parent_code.as_deref() == Some("10")));
    assert_eq!(
        (bangkok[0].code.as_str(), bangkok[0].name_en.as_str()),
        ("1001", "Phra Nakhon")
    );
    assert_eq!(g.subdistrict_count_under("10"), 180);

    let chiang_mai = g.children(Some("50")).unwrap();
    assert_eq!(chiang_mai.len(), 25);
    assert_eq!(chiang_mai[0].name_en, "Mueang Chiang Mai");
    assert!(chiang_mai
        .iter()
        .all(|d| d.code.starts_with("50") && d.level == AreaLevel::District));
    assert!(chiang_mai
        .windows(2)
        .all(|pair| pair[0].code < pair[1].code));

    let mueang_chiang_mai = g.children(Some("5001")).unwrap();
    assert_eq!(mueang_chiang_mai.len(), 16);
    assert!(mueang_chiang_mai
        .iter()
        .all(|s| s.parent_code.as_deref() == Some("5001")));
    assert_eq!(
        codes(&mueang_chiang_mai),
        g.subdistricts_under("5001")
            .map(|s| s.code.clone())
            .collect::<Vec<_>>()
    );

    assert_eq!(g.children(Some("500101")), Some(Vec::new()));
    assert_eq!(g.children(Some("99")), None);
    assert_eq!(g.children(Some("")), None);
    assert_eq!(g.children(Some("5")), None);
    assert_eq!(g.subdistrict_count_under("5"), 0);
    assert_eq!(g.subdistrict_count_under("99"), 0);
    assert_eq!(g.subdistrict_count_under("500101"), 1);
    // Every subdistrict is under exactly one province.
    let total: usize = provinces
        .iter()
        .map(|p| g.subdistrict_count_under(&p.code))
        .sum();
    assert_eq!(total, 7_436);
}

#[test]
fn polygons_match_the_area_list() {
    let g = geography();
    let mut without_polygon = Vec::new();
    for subdistrict in g.subdistricts_under("TH") {
        if g.boundaries.subdistrict(&subdistrict.code).is_none() {
            without_polygon.push(subdistrict.code.as_str());
        }
    }
    // The 13 Bangkok khwaeng split after the boundaries were drawn; each is
    // covered by exactly one polygon that names it.
    assert_eq!(without_polygon.len(), 13, "{without_polygon:?}");
    for code in &without_polygon {
        assert!(code.starts_with(BANGKOK_CODE), "{code}");
        let covering: Vec<&str> = g
            .boundaries
            .subdistricts()
            .iter()
            .filter(|shape| shape.coverage.others().iter().any(|other| other == code))
            .map(|shape| shape.code.as_str())
            .collect();
        assert_eq!(covering.len(), 1, "{code}: {covering:?}");
    }
    // Every polygon's code is a listed subdistrict, but for the two abolished.
    for shape in g.boundaries.subdistricts() {
        let listed = g.area(&shape.code).is_some();
        let abolished = matches!(shape.coverage, boundaries::Coverage::Abolished(_));
        assert!(listed != abolished, "{}", shape.code);
        for other in shape.coverage.others() {
            assert!(g.area(other).is_some(), "{other}");
        }
    }
    // Provinces and districts: each has its polygon.
    for area in g
        .areas()
        .filter(|a| matches!(a.level, AreaLevel::Province | AreaLevel::District))
    {
        assert!(g.boundaries.area(&area.code).is_some(), "{}", area.code);
    }
    assert!(g.boundaries.area("TH").is_none());
    assert!(g.boundaries.area("99").is_none());
}

#[test]
fn every_polygon_locates_its_representative_point_to_its_own_code() {
    let g = geography();
    let mut checked = 0;
    for shape in g.boundaries.subdistricts() {
        let Some(point) = g.representative_point(&shape.code) else {
            assert!(matches!(shape.coverage, boundaries::Coverage::Abolished(_)));
            continue;
        };
        let located = g
            .locate(point)
            .unwrap_or_else(|e| panic!("{}: {e}", shape.code));
        assert_eq!(located.distance_m, 0.0, "{}", shape.code);
        assert_eq!(
            located.subdistrict.map(|s| s.code).as_deref(),
            Some(shape.code.as_str()),
            "{point:?}"
        );
        checked += 1;
    }
    assert_eq!(checked, 7_423);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]

    /// Whatever the point, an answer by polygon is a polygon that holds it, and
    /// the area it names is at distance 0.
    #[test]
    fn located_points_lie_in_their_area(lat in 5.6f64..20.5, lon in 97.3f64..105.7) {
        let g = geography();
        let point = at(lat, lon);
        if let Ok(located) = g.locate(point) {
            let code = located
                .subdistrict
                .as_ref()
                .or(located.district.as_ref())
                .map(|area| area.code.clone())
                .unwrap();
            let (_, distance) = g.nearest_subdistrict_in(&code, point, 10_000.0).unwrap();
            proptest::prop_assert!((distance - located.distance_m).abs() < 1e-6);
            proptest::prop_assert!(located.distance_m <= COAST_TOLERANCE_M);
            proptest::prop_assert_eq!(
                located.method == LocateMethod::NearestPolygon,
                located.distance_m > 0.0
            );
        }
    }
}

/// (name, point, subdistrict) for well-known places.
const KNOWN_PLACES: [(&str, f64, f64, &str); 6] = [
    // The case: refused to the Suthep volunteer under centroids.
    ("Chiang Mai University", 18.8035, 98.9530, "500108"),
    ("Grand Palace", 13.7500, 100.4913, "100101"),
    ("Patong beach", 7.8961, 98.2966, "830202"),
    ("Hat Yai", 7.0086, 100.4747, "901101"),
    ("Chiang Mai old city", 18.7883, 98.9853, "500102"),
    ("Ko Tao", 10.095, 99.838, "840503"),
];

#[test]
fn locates_known_places_by_polygon() {
    let g = geography();
    for (name, lat, lon, code) in KNOWN_PLACES {
        let located = g
            .locate(at(lat, lon))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(located.method, LocateMethod::Polygon, "{name}");
        assert_eq!(located.distance_m, 0.0, "{name}");
        assert!(located.also_possible.is_empty(), "{name}");
        assert_eq!(located.subdistrict.unwrap().code, code, "{name}");
        assert_eq!(located.district.unwrap().code, code[..4], "{name}");
        assert_eq!(located.province.code, code[..2], "{name}");
    }
}

/// (name, point, province) for points well inside their province.
const KNOWN_POINTS: [(&str, f64, f64, &str); 9] = [
    ("Chiang Mai old city", 18.7883, 98.9853, "50"),
    ("Hat Yai", 7.0086, 100.4747, "90"),
    ("Phuket town", 7.8804, 98.3923, "83"),
    ("Khon Kaen", 16.4419, 102.8360, "40"),
    ("Ko Samui", 9.512, 100.013, "84"),
    ("Nonthaburi city hall", 13.8621, 100.5144, "12"),
    ("Suvarnabhumi airport", 13.69, 100.75, "11"),
    ("Nakhon Ratchasima", 14.9799, 102.0977, "30"),
    ("Udon Thani", 17.4138, 102.7870, "41"),
];

#[test]
fn locates_known_points() {
    let g = geography();
    for (name, lat, lon, province) in KNOWN_POINTS {
        let located = g
            .locate(at(lat, lon))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(located.province.code, province, "{name}: {located:?}");
        let subdistrict = located.subdistrict.as_ref().unwrap();
        let district = located.district.as_ref().unwrap();
        assert!(subdistrict.code.starts_with(&district.code), "{name}");
        assert!(district.code.starts_with(province), "{name}");
    }
}

#[test]
fn bueng_kan_points_get_current_codes() {
    let g = geography();
    // The points of the old centroid file's Bueng Kan rows, three of them under
    // codes from before the province's renumbering: each now gets a current code
    // whose polygon holds it.
    for (old, lat, lon, current) in [
        ("380208", 18.075, 104.015, "380409"),
        ("380209", 17.914, 103.891, "380408"),
        ("380706", 18.208, 103.351, "380502"),
        ("380504", 18.082, 103.843, "380703"),
    ] {
        let located = g.locate(at(lat, lon)).unwrap();
        let subdistrict = located.subdistrict.unwrap();
        assert_eq!(subdistrict.code, current, "{old}");
        assert_eq!(located.method, LocateMethod::Polygon, "{old}");
    }
    assert!(g.area("380208").is_none() && g.area("380706").is_none());
    // Tha Faek keeps its current code (OCHA's is from before 2015).
    let tha_faek = g.representative_point("530407").unwrap();
    assert_eq!(g.locate(tha_faek).unwrap().district.unwrap().code, "5304");
}

#[test]
fn bangkok_khwaeng_without_a_polygon_answer_the_parent() {
    let g = geography();
    // Din Daeng's polygon also holds Ratchadaphisek (102602), split from it.
    let point = g.representative_point("102601").unwrap();
    let located = g.locate(point).unwrap();
    assert_eq!(located.method, LocateMethod::ParentPolygon);
    assert_eq!(located.subdistrict.unwrap().code, "102601");
    assert_eq!(located.also_possible, ["102602"]);
    // Abolished polygons answer their district only.
    for (abolished, successors) in [
        ("104701", vec!["104702", "104703"]),
        ("105001", vec!["105002", "105003", "105004", "105005"]),
    ] {
        let shape = g.boundaries.subdistrict(abolished).unwrap();
        let point = geo::InteriorPoint::interior_point(&shape.polygons).unwrap();
        let located = g.locate(at(point.y(), point.x())).unwrap();
        assert_eq!(located.method, LocateMethod::ParentPolygon, "{abolished}");
        assert_eq!(located.subdistrict, None, "{abolished}");
        assert_eq!(located.district.unwrap().code, abolished[..4]);
        assert_eq!(located.also_possible, successors);
    }
}

#[test]
fn located_serializes_for_the_api() {
    let located = geography().locate(at(18.8035, 98.9530)).unwrap();
    let json = serde_json::to_value(&located).unwrap();
    assert_eq!(json["method"], "polygon");
    assert_eq!(json["subdistrict"]["code"], "500108");
    assert_eq!(json["distance_m"], 0.0);
    assert_eq!(json["also_possible"], serde_json::json!([]));
}

#[test]
fn rejects_points_outside_thailand() {
    let g = geography();
    for (name, lat, lon) in [
        ("Vientiane", 17.9757, 102.6331),
        ("Phnom Penh", 11.5564, 104.9282),
        ("Yangon", 16.8409, 96.1735),
        ("Kuala Lumpur", 3.139, 101.6869),
        ("Gulf of Thailand, far offshore", 9.5, 101.5),
        ("Null Island", 0.0, 0.0),
        ("Poipet, 0.9 km past the border", 13.66, 102.56),
        ("Tachileik, 0.9 km past the border", 20.453, 99.88),
    ] {
        let point = at(lat, lon);
        assert!(!g.contains(point), "{name}");
        assert_eq!(g.locate(point), Err(OutsideThailand { point }), "{name}");
    }
    for point in [
        at(f64::NAN, 100.5),
        at(13.75, f64::INFINITY),
        at(91.0, 100.0),
        at(-13.75, -100.5),
    ] {
        assert!(!g.contains(point), "{point:?}");
        assert!(g.locate(point).is_err());
    }
    let error = g.locate(at(0.0, 0.0)).unwrap_err();
    assert_eq!(error.to_string(), "point 0, 0 is outside Thailand");
}

#[test]
fn coast_tolerance() {
    let g = geography();
    // Each pair: just off the polygons' coast (accepted, placed in the nearest
    // polygon), then 12-19 km out at sea (rejected).
    for (name, near, far) in [
        ("off Pattaya", at(12.93, 100.85), at(12.93, 100.55)),
        ("off Phuket's west coast", at(7.88, 98.25), at(7.88, 98.10)),
        ("off Hua Hin", at(12.57, 99.98), at(12.57, 100.15)),
    ] {
        assert!(g.contains(near), "{name}: near point rejected");
        let located = g.locate(near).unwrap();
        if located.method == LocateMethod::NearestPolygon {
            assert!(located.distance_m > 0.0 && located.distance_m <= COAST_TOLERANCE_M);
        }
        assert!(!g.contains(far), "{name}: far point accepted");
    }
    // Both land borders were found: 168 edges along Malaysia and 1,554 from
    // Ranong round to Trat.
    assert_eq!(g.outline.land_border_edges(), 168 + 1_554);
}

#[test]
fn islands_are_in_thailand() {
    let g = geography();
    // Islands the old outline lacked; they have polygons of their own.
    for (name, lat, lon, province) in [
        ("Ko Si Chang", 13.155, 100.81, "20"),
        ("Ko Larn", 12.918, 100.78, "20"),
        ("Ko Sukon", 7.10, 99.58, "92"),
        ("Ko Tao", 10.095, 99.838, "84"),
        ("Ko Phi Phi", 7.74, 98.77, "81"),
        ("Ko Lipe", 6.49, 99.30, "91"),
    ] {
        let located = g
            .locate(at(lat, lon))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(located.province.code, province, "{name}");
    }
}

/// The first point, in steps of `step_m` going east from `from`, that is
/// located in another subdistrict, with the subdistrict left behind.
fn crossing_east(g: &Geography, from: GeoPoint, step_m: f64) -> (GeoPoint, String, String) {
    let own = g.locate(from).unwrap().subdistrict.unwrap().code;
    let step_deg = step_m / (111_320.0 * from.lat.to_radians().cos());
    (1..100_000)
        .map(|n| at(from.lat, from.lon + n as f64 * step_deg))
        .find_map(|point| {
            let other = g.locate(point).ok()?.subdistrict?.code;
            (other != own).then_some((point, own.clone(), other))
        })
        .unwrap()
}

#[test]
fn near_an_edge_both_sides_count() {
    let g = geography();
    // Walk east from Chiang Mai University out of Suthep, 10 m at a time.
    let (across, suthep, neighbour) = crossing_east(g, at(18.8035, 98.9530), 10.0);
    assert_eq!(suthep, "500108");
    // Just across: the neighbour holds it, Suthep is within 300 m of it...
    let (code, distance) = g
        .nearest_subdistrict_in(&suthep, across, NEAR_BOUNDARY_M)
        .unwrap();
    assert_eq!(code, suthep);
    assert!(distance > 0.0 && distance <= 15.0, "{distance}");
    assert_eq!(
        g.nearest_subdistrict_in(&neighbour, across, 0.0).unwrap().1,
        0.0
    );
    // ... and from the other side, the point just before the edge is in Suthep
    // and near the neighbour.
    let before = at(across.lat, across.lon - 20.0 / 111_320.0);
    assert_eq!(g.locate(before).unwrap().subdistrict.unwrap().code, suthep);
    let (_, distance) = g
        .nearest_subdistrict_in(&neighbour, before, NEAR_BOUNDARY_M)
        .unwrap();
    assert!(distance > 0.0 && distance <= NEAR_BOUNDARY_M);
    // A kilometre on, Suthep is not near any more; the district (both) is.
    let beyond = at(across.lat, across.lon + 1_000.0 / 105_000.0);
    if g.locate(beyond).unwrap().subdistrict.unwrap().code != suthep {
        assert!(g
            .nearest_subdistrict_in(&suthep, beyond, NEAR_BOUNDARY_M)
            .is_none());
    }
    // A larger area answers with its own nearest subdistrict.
    let (code, _) = g
        .nearest_subdistrict_in("50", across, NEAR_BOUNDARY_M)
        .unwrap();
    assert!(code.starts_with("50") && code.len() == 6, "{code}");
    assert_eq!(g.nearest_subdistrict_in("99", across, 1e6), None);
    assert_eq!(g.nearest_subdistrict_in("50", at(f64::NAN, 0.0), 1e6), None);
}

#[test]
fn boundaries_as_geojson() {
    let g = geography();
    let feature = g.boundary_geojson("500108").unwrap();
    assert_eq!(feature["type"], "Feature");
    assert_eq!(feature["properties"]["code"], "500108");
    assert_eq!(feature["properties"]["name_en"], "Suthep");
    assert_eq!(feature["geometry"]["type"], "MultiPolygon");
    let ring = feature["geometry"]["coordinates"][0][0].as_array().unwrap();
    assert!(ring.len() >= 4 && ring.first() == ring.last());
    // Larger levels decode on demand.
    let province = g.boundary_geojson("50").unwrap();
    assert_eq!(province["properties"]["level"], "province");
    // A khwaeng without its own polygon is drawn with its parent's.
    let split = g.boundary_geojson("102602").unwrap();
    assert_eq!(split["properties"]["code"], "102602");
    assert_eq!(split["properties"]["polygon_of"], "102601");
    assert_eq!(g.boundary_geojson("TH"), None);
    assert_eq!(g.boundary_geojson("99"), None);
}

#[test]
fn geography_debug_is_short() {
    let debug = format!("{:?}", geography());
    assert!(debug.len() < 100, "{debug}");
}
