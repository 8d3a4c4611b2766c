//! Property tests for every input parser: whatever arrives, nothing panics, and anything
//! invalid becomes a field error the client can act on.

use std::sync::OnceLock;

use chrono::{Datelike, Duration, TimeZone, Utc, Weekday};
use fieldweek::auth::AuthUser;
use fieldweek::db::audit::ClientInfo;
use fieldweek::domain::AreaScope;
use fieldweek::domain::{
    AreaCode, Bbox, FiscalYear, GeoPoint, GpsFix, IsoWeek, PhoneE164, Role, ThaiNationalId, UserId,
};
use fieldweek::error::ApiError;
use fieldweek::geo::Geography;
use fieldweek::grievances::input::{GrievanceInput, NewGrievance};
use fieldweek::http::{parse_object, PageRequest};
use fieldweek::privacy::PiiCipher;
use fieldweek::visits::input::{NewVisit, VisitInput, VisitRules};
use proptest::prelude::*;
use serde_json::{json, Value};

fn geography() -> &'static Geography {
    static GEOGRAPHY: OnceLock<Geography> = OnceLock::new();
    GEOGRAPHY.get_or_init(|| Geography::load().unwrap())
}

fn volunteer() -> AuthUser {
    let area = AreaCode::parse("50").unwrap();
    AuthUser {
        id: UserId::parse("00000000-0000-4000-8000-000000000001").unwrap(),
        username: "vol".into(),
        display_name: "Vol".into(),
        role: Role::Volunteer,
        scope: AreaScope::of(&area),
        area,
        client: ClientInfo::default(),
    }
}

/// Any JSON value, a few levels deep, with the awkward numbers and strings of real traffic.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::hash_map(".{0,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A visit body built from plausible field names with arbitrary values in them.
fn any_visit_body() -> impl Strategy<Value = Value> {
    (
        any_json(),
        any::<f64>(),
        any::<f64>(),
        prop::option::of(any::<f64>()),
        prop::collection::vec(".{0,12}", 0..4),
        ".{0,30}",
        any_json(),
        -3i64..3,
    )
        .prop_map(|(id, lat, lon, accuracy, groups, summary, area, days)| {
            let finite = |f: f64| if f.is_finite() { json!(f) } else { json!(0.0) };
            json!({
                "id": id,
                "visited_at": (Utc::now() + Duration::days(days * 40)).to_rfc3339(),
                "location": {"lat": finite(lat % 100.0), "lon": finite(lon % 200.0), "accuracy_m": accuracy.map(finite)},
                "area_code": area,
                "target_groups": groups,
                "activity": "home_visit",
                "households_visited": 1,
                "people_reached": 2,
                "summary": summary,
                "follow_up_needed": false,
            })
        })
}

fn field_names(error: &ApiError) -> Vec<String> {
    match error {
        ApiError::Validation(errors) => errors.iter().map(|e| e.field.clone()).collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn national_ids_are_accepted_exactly_with_their_check_digit(first in "[1-8][0-9]{11}", wrong in 1u32..10) {
        let check = ThaiNationalId::check_digit(&first).unwrap();
        let good = format!("{first}{check}");
        let parsed = ThaiNationalId::parse(&good).unwrap();
        prop_assert_eq!(parsed.as_str(), good.as_str());
        let bad = format!("{first}{}", (check + wrong) % 10);
        prop_assert!(ThaiNationalId::parse(&bad).is_err());
    }

    #[test]
    fn text_parsers_never_panic(input in ".{0,64}") {
        let _ = ThaiNationalId::parse(&input);
        let _ = PhoneE164::parse(&input);
        let _ = IsoWeek::parse(&input);
        let _ = FiscalYear::parse(&input);
        let _ = Bbox::parse(&input);
        let _ = GeoPoint::parse(&input);
        let _ = AreaCode::parse(&input);
        let _ = PageRequest::parse(None, Some(&input), 2);
    }

    #[test]
    fn thai_mobiles_normalise_to_e164(digits in "[689][0-9]{8}", separator in "[ .-]?") {
        let local = format!("0{}{separator}{}{separator}{}", &digits[..2], &digits[2..5], &digits[5..]);
        let phone = PhoneE164::parse(&local).unwrap();
        prop_assert_eq!(phone.as_str(), format!("+66{digits}"));
        prop_assert_eq!(PhoneE164::parse(phone.as_str()).unwrap(), phone);
    }

    #[test]
    fn iso_weeks_round_trip_and_contain_their_start(year in 1990i32..2100, week in 1u32..54, start in 0u8..7) {
        let week_start = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun][start as usize];
        match IsoWeek::new(year, week) {
            Ok(parsed) => {
                prop_assert_eq!(IsoWeek::parse(&parsed.to_string()).unwrap(), parsed);
                let (from, to) = parsed.utc_range(week_start);
                prop_assert_eq!(to - from, Duration::days(7));
                prop_assert_eq!(IsoWeek::containing(from, week_start), parsed);
                prop_assert_eq!(IsoWeek::containing(to - Duration::seconds(1), week_start), parsed);
            }
            Err(_) => prop_assert_eq!(week, 53),
        }
    }

    #[test]
    fn fiscal_years_start_on_the_first_of_october(be in 2500u16..2700) {
        let year = FiscalYear::new(be).unwrap();
        prop_assert_eq!(FiscalYear::parse(&be.to_string()).unwrap(), year);
        let first = year.first_day();
        prop_assert_eq!((first.month(), first.day(), first.year() + 543 + 1), (10, 1, i32::from(be)));
        let (start, _) = year.utc_range();
        prop_assert_eq!(start, Utc.with_ymd_and_hms(first.year(), 9, 30, 17, 0, 0).unwrap());
    }

    #[test]
    fn points_are_checked_never_panicking(lat in any::<f64>(), lon in any::<f64>(), accuracy in prop::option::of(any::<f64>())) {
        let valid = lat.is_finite() && (-90.0..=90.0).contains(&lat)
            && lon.is_finite() && (-180.0..=180.0).contains(&lon)
            && accuracy.is_none_or(|a| a.is_finite() && (0.0..=10_000.0).contains(&a));
        prop_assert_eq!(GpsFix::new(lat, lon, accuracy).is_ok(), valid);
        if let Ok(fix) = GpsFix::new(lat, lon, accuracy) {
            let _ = geography().locate(fix.point);
        }
    }

    #[test]
    fn page_requests_take_only_valid_limits(limit in any::<i64>()) {
        prop_assert_eq!(PageRequest::parse(Some(limit), None, 1).is_ok(), (1..=500).contains(&limit));
    }

    #[test]
    fn any_body_is_malformed_or_a_field_error(body in any_json()) {
        let bytes = body.to_string().into_bytes();
        match parse_object::<VisitInput>(&bytes) {
            Ok(_) => {}
            Err(ApiError::MalformedRequest(_)) => prop_assert!(!body.is_object()),
            Err(error) => prop_assert!(!field_names(&error).is_empty()),
        }
        prop_assert!(parse_object::<GrievanceInput>(&bytes[..bytes.len() / 2]).is_err());
    }

    #[test]
    fn visits_and_grievances_either_parse_or_name_their_fields(body in any_visit_body()) {
        let user = volunteer();
        if let Ok(input) = parse_object::<VisitInput>(body.to_string().as_bytes()) {
            let parsed = input.parse_with(|input| NewVisit::parse(input, &user, geography(), &VisitRules::default(), Utc::now()));
            if let Err(errors) = parsed {
                prop_assert!(errors.iter().all(|e| !e.field.is_empty() && !e.message.en.is_empty() && !e.message.th.is_empty()));
            }
        }
        let mut grievance = body.clone();
        let object = grievance.as_object_mut().unwrap();
        for key in ["visited_at", "target_groups", "activity", "households_visited", "people_reached", "summary", "follow_up_needed"] {
            object.remove(key);
        }
        object.insert("category".into(), json!("poverty"));
        object.insert("priority".into(), json!("normal"));
        object.insert("title".into(), body["summary"].clone());
        object.insert("description".into(), body["summary"].clone());
        let cipher = PiiCipher::from_master(&[9u8; 32]).unwrap();
        if let Ok(input) = parse_object::<GrievanceInput>(grievance.to_string().as_bytes()) {
            let parsed = input.parse_with(|input| NewGrievance::parse(input, &user, geography(), &VisitRules::default(), &cipher, Utc::now()));
            if let Err(errors) = parsed {
                prop_assert!(errors.iter().all(|e| !e.field.is_empty()));
            }
        }
    }
}
