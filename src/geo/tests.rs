//! Tests against the compiled-in data.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Instant;

use geo::{Coord, Intersects};

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
    // 7,121 rows: 7,117 current codes, one renumbered code, three obsolete ones.
    assert_eq!(g.centroids.len(), 7_118);
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
fn missing_centroids() {
    let g = geography();
    let mut missing: BTreeMap<&str, usize> = BTreeMap::new();
    for subdistrict in g.subdistricts_under("TH") {
        if g.centroid(&subdistrict.code).is_none() {
            *missing.entry(&subdistrict.code[..2]).or_default() += 1;
        }
    }
    assert_eq!(missing.values().sum::<usize>(), 318);
    assert_eq!(missing.get("10"), Some(&180));
    assert_eq!(missing.len(), 52, "{missing:?}");
    // The renumbered Tha Faek (was 530306) keeps its centroid.
    assert_eq!(g.centroid("530407"), Some(at(17.92, 100.615)));
    assert_eq!(g.centroid("500101"), Some(at(18.796, 98.985)));
    assert_eq!(g.centroid("100101"), None);
    assert_eq!(g.centroid("50"), None);
}

#[test]
fn bangkok_region_holds_no_centroid() {
    let g = geography();
    for subdistrict in g.subdistricts_under("TH") {
        if let Some(c) = g.centroid(&subdistrict.code) {
            let inside = g
                .centroids
                .bangkok_region()
                .intersects(&Coord { x: c.lon, y: c.lat });
            assert!(!inside, "{} is inside the Bangkok region", subdistrict.code);
        }
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
        assert_eq!(located.method, LocateMethod::NearestCentroid, "{name}");
        let subdistrict = located.subdistrict.as_ref().unwrap();
        let district = located.district.as_ref().unwrap();
        assert!(subdistrict.code.starts_with(&district.code), "{name}");
        assert!(district.code.starts_with(province), "{name}");
        let distance = located.distance_m.unwrap();
        let expected = haversine_m(at(lat, lon), g.centroid(&subdistrict.code).unwrap());
        assert!((distance - expected).abs() < 1e-6, "{name}");
        assert!(distance < 10_000.0, "{name}: {distance} m");
    }
}

#[test]
fn locates_district_and_subdistrict() {
    let g = geography();
    // Chiang Mai's old city is split between Si Phum (500101) and Phra Sing
    // (500102); the given point is nearer Phra Sing's centroid.
    let located = g.locate(at(18.7883, 98.9853)).unwrap();
    assert_eq!(located.district.unwrap().code, "5001");
    assert_eq!(located.subdistrict.unwrap().code, "500102");
    // On a subdistrict's centroid, that subdistrict, at distance 0.
    let located = g.locate(at(18.796, 98.985)).unwrap();
    assert_eq!(located.subdistrict.unwrap().code, "500101");
    assert_eq!(located.distance_m, Some(0.0));
}

#[test]
fn bangkok_falls_back_to_the_province() {
    let g = geography();
    for (name, lat, lon) in [
        ("Democracy Monument", 13.7563, 100.5018),
        ("Siam", 13.7466, 100.5393),
        ("Don Mueang", 13.9, 100.6),
        ("Thonburi", 13.72, 100.45),
        ("Min Buri", 13.814, 100.748),
        ("Nong Chok", 13.855, 100.862),
        ("Bang Khun Thian", 13.57, 100.44),
        ("Taling Chan", 13.777, 100.456),
    ] {
        let located = g
            .locate(at(lat, lon))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(located.province.code, BANGKOK_CODE, "{name}: {located:?}");
        assert_eq!(located.method, LocateMethod::ProvinceFallback, "{name}");
        assert_eq!(
            (located.district, located.subdistrict, located.distance_m),
            (None, None, None)
        );
    }
}

#[test]
fn located_serializes_for_the_api() {
    let located = geography().locate(at(13.7563, 100.5018)).unwrap();
    let json = serde_json::to_value(&located).unwrap();
    assert_eq!(json["method"], "province_fallback");
    assert_eq!(json["province"]["code"], "10");
    assert!(json["district"].is_null() && json["distance_m"].is_null());
    let located = geography().locate(at(18.7883, 98.9853)).unwrap();
    assert_eq!(
        serde_json::to_value(&located).unwrap()["method"],
        "nearest_centroid"
    );
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
        ("Poipet, 2 km past the border", 13.66, 102.56),
        // Known gap: Thai, but missing from the outline and without a centroid.
        ("Ko Tao", 10.095, 99.838),
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
    // Each pair: about 2 km off the outline's coast (accepted), then 18-22 km
    // further out at sea (rejected).
    for (name, near, far) in [
        ("off Pattaya", at(12.93, 100.85), at(12.93, 100.66)),
        ("off Phuket's west coast", at(7.88, 98.25), at(7.88, 98.10)),
        ("off Hua Hin", at(12.57, 99.98), at(12.57, 100.15)),
    ] {
        assert!(
            !g.outline.covers(near),
            "{name}: expected just outside the outline"
        );
        assert!(g.contains(near), "{name}: near point rejected");
        let located = g.locate(near).unwrap();
        assert_eq!(located.method, LocateMethod::NearestCentroid);
        assert!(!g.contains(far), "{name}: far point accepted");
    }
    // Both land borders were found: 168 edges along Malaysia and 1,554 from
    // Ranong round to Trat.
    assert_eq!(g.outline.land_border_edges(), 168 + 1_554);
}

#[test]
fn islands_missing_from_the_outline() {
    let g = geography();
    // Ko Si Chang (a district of its own), Ko Larn and Ko Sukon lie 5-10 km
    // off the outline, but near their subdistricts' centroids.
    for (name, lat, lon, province) in [
        ("Ko Si Chang", 13.155, 100.81, "20"),
        ("Ko Larn", 12.918, 100.78, "20"),
        ("Ko Sukon", 7.10, 99.58, "92"),
    ] {
        let point = at(lat, lon);
        assert!(!g.outline.is_near_edge(point), "{name}");
        let located = g.locate(point).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(located.province.code, province, "{name}");
    }
}

#[test]
fn subdistrict_centroids_are_in_thailand() {
    let g = geography();
    let rejected: Vec<&str> = g
        .subdistricts_under("TH")
        .filter(|s| g.centroid(&s.code).is_some_and(|c| !g.contains(c)))
        .map(|s| s.code.as_str())
        .collect();
    // Except Ko Chang in Chiang Rai, on the Mekong 1.7 km past the outline's
    // border with Laos.
    assert_eq!(rejected, ["570903"]);
}

#[test]
fn distance_to_area() {
    let g = geography();
    let old_city = at(18.7883, 98.9853);
    let to_subdistrict = g.distance_to_area_m("500102", old_city).unwrap();
    assert!((to_subdistrict - haversine_m(old_city, at(18.785, 98.985))).abs() < 1e-6);
    // A district or province is as near as its nearest subdistrict centroid.
    assert_eq!(g.distance_to_area_m("5001", old_city), Some(to_subdistrict));
    assert_eq!(g.distance_to_area_m("50", old_city), Some(to_subdistrict));
    assert_eq!(g.distance_to_area_m("TH", old_city), Some(to_subdistrict));
    // Hat Yai is far from Chiang Mai.
    let hat_yai = g.distance_to_area_m("90", old_city).unwrap();
    assert!(hat_yai > 1_200_000.0, "{hat_yai}");
    // No centroids: Bangkok and its areas; unknown codes; invalid points.
    assert_eq!(g.distance_to_area_m("10", old_city), None);
    assert_eq!(g.distance_to_area_m("1001", old_city), None);
    assert_eq!(g.distance_to_area_m("100101", old_city), None);
    assert_eq!(g.distance_to_area_m("99", old_city), None);
    assert_eq!(g.distance_to_area_m("5001", at(f64::NAN, 0.0)), None);
}

#[test]
fn geography_debug_is_short() {
    let debug = format!("{:?}", geography());
    assert!(debug.len() < 100, "{debug}");
}
