//! Field visits end to end: filing, idempotency, batch sync, every validation rule,
//! geography, reading with filters, review and photos.

use chrono::{Duration, Utc};
use fieldweek::domain::{GeoPoint, Role};
use fieldweek::geo::Geography;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, TestApp, TestUser};

/// A valid visit in Chiang Mai's old town (subdistrict 500102), an hour ago.
pub fn visit(id: &str) -> Value {
    json!({
        "id": id,
        "visited_at": (Utc::now() - Duration::hours(1)).to_rfc3339(),
        "location": {"lat": 18.7883, "lon": 98.9853, "accuracy_m": 12.0},
        "target_groups": ["elderly", "disabled"],
        "activity": "home_visit",
        "households_visited": 3,
        "people_reached": 7,
        "summary": "เยี่ยมบ้านผู้สูงอายุติดเตียง ต้องการรถเข็น",
        "needs": ["wheelchair"],
        "follow_up_needed": true,
    })
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn file(app: &TestApp, user: &TestUser, body: &Value) -> reqwest::Response {
    app.send_as(user, Method::POST, "/api/v1/visits", body)
        .await
}

pub async fn file_ok(app: &TestApp, user: &TestUser, body: &Value) -> Value {
    let response = file(app, user, body).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    body
}

fn count_visits(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    use fieldweek::db::schema::visits;
    let mut conn = app.services.db.connection_for_cli_and_tests().unwrap();
    visits::table.count().get_result(&mut *conn).unwrap()
}

#[tokio::test]
async fn a_visit_is_filed_with_what_the_server_decides() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "50").await;
    let id = new_id();
    let response = file(&app, &volunteer, &visit(&id)).await;
    assert_eq!(response.status(), 201);
    assert_eq!(
        response.headers()["location"],
        format!("/api/v1/visits/{id}").as_str()
    );
    let stored: Value = response.json().await.unwrap();
    assert_eq!(stored["id"], id.as_str());
    assert_eq!(stored["author_id"], volunteer.id.as_str());
    assert_eq!(stored["area_code"], "500102", "derived from the point");
    assert_eq!(stored["review_status"], "pending");
    assert_eq!(stored["flags"], json!([]));
    assert_eq!(stored["photos"], json!([]));
    assert_eq!(stored["target_groups"], json!(["elderly", "disabled"]));
    assert_eq!(stored["summary"], "เยี่ยมบ้านผู้สูงอายุติดเตียง ต้องการรถเข็น");
    assert!(stored["received_at"].as_str().unwrap().ends_with('Z'));
    assert!(stored["visited_at"].as_str().unwrap().ends_with('Z'));

    let (status, read) = app
        .get_as(&volunteer, &format!("/api/v1/visits/{id}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(read, stored);
}

#[tokio::test]
async fn resending_is_idempotent_and_a_different_visit_conflicts() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "50").await;
    let other = app.user("vol2", Role::Volunteer, "50").await;
    let id = new_id();
    let body = visit(&id);
    let first = file_ok(&app, &volunteer, &body).await;

    // The same visit again, even in another shape (Bangkok offset, groups reordered).
    let mut same = body.clone();
    let at = chrono::DateTime::parse_from_rfc3339(body["visited_at"].as_str().unwrap()).unwrap();
    same["visited_at"] = json!(at
        .with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).unwrap())
        .to_rfc3339());
    same["target_groups"] = json!(["disabled", "elderly"]);
    let response = file(&app, &volunteer, &same).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), first);

    let mut different = body.clone();
    different["households_visited"] = json!(4);
    assert_problem(file(&app, &volunteer, &different).await, 409, "id_conflict").await;
    assert_problem(file(&app, &other, &body).await, 409, "id_conflict").await;
    assert_eq!(count_visits(&app), 1);
}

#[tokio::test]
async fn a_hundred_concurrent_identical_submissions_make_one_row() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "50").await;
    let body = visit(&new_id());
    let sends = (0..100).map(|_| {
        let request = app
            .as_user(&volunteer, Method::POST, "/api/v1/visits")
            .json(&body);
        async move { request.send().await.unwrap().status().as_u16() }
    });
    let statuses = futures_util::future::join_all(sends).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        99,
        "{statuses:?}"
    );
    assert_eq!(count_visits(&app), 1);
}

#[tokio::test]
async fn a_batch_reports_each_item_and_commits_the_good_ones() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "50").await;
    let stored_id = new_id();
    let stored = visit(&stored_id);
    file_ok(&app, &volunteer, &stored).await;
    let mut conflicting = stored.clone();
    conflicting["summary"] = json!("something else");
    let mut future = visit(&new_id());
    future["visited_at"] = json!((Utc::now() + Duration::hours(2)).to_rfc3339());
    let mut wrong_type = visit(&new_id());
    wrong_type["households_visited"] = json!("three");
    let fresh = [new_id(), new_id()];

    let items = json!([
        visit(&fresh[0]),
        stored,
        conflicting,
        future,
        wrong_type,
        visit(&fresh[1]),
        "not an object"
    ]);
    let response = app
        .send_as(
            &volunteer,
            Method::POST,
            "/api/v1/visits/batch",
            &json!({"visits": items}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let results = response.json::<Value>().await.unwrap()["results"]
        .as_array()
        .unwrap()
        .clone();
    let statuses: Vec<u64> = results
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [201, 200, 409, 422, 422, 201, 422]);
    assert_eq!(results[0]["visit"]["id"], fresh[0].as_str());
    assert_eq!(results[2]["problem"]["code"], "id_conflict");
    assert_eq!(results[3]["problem"]["errors"][0]["field"], "visited_at");
    assert_eq!(
        results[4]["problem"]["errors"][0]["field"],
        "households_visited"
    );
    assert_eq!(count_visits(&app), 3);

    // A new id twice in one batch is filed once; the second copy is a resend, and a
    // third with other content is a conflict, as if they had come one after another.
    let twice = visit(&new_id());
    let mut changed = twice.clone();
    changed["summary"] = json!("changed on the phone");
    let response = app
        .send_as(
            &volunteer,
            Method::POST,
            "/api/v1/visits/batch",
            &json!({"visits": [twice.clone(), twice, changed]}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let statuses: Vec<u64> = response.json::<Value>().await.unwrap()["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [201, 200, 409]);
    assert_eq!(count_visits(&app), 4);

    let too_many: Vec<Value> = (0..201).map(|_| visit(&new_id())).collect();
    let response = app
        .send_as(
            &volunteer,
            Method::POST,
            "/api/v1/visits/batch",
            &json!({"visits": too_many}),
        )
        .await;
    assert_problem(response, 422, "validation_failed").await;
    let huge = json!({"visits": [{"summary": "x".repeat(5 * 1024 * 1024)}]});
    let response = app
        .send_as(&volunteer, Method::POST, "/api/v1/visits/batch", &huge)
        .await;
    assert_problem(response, 413, "payload_too_large").await;
    assert_eq!(count_visits(&app), 4);
}

async fn fields_of(app: &TestApp, user: &TestUser, body: Value) -> Vec<String> {
    let problem = assert_problem(file(app, user, &body).await, 422, "validation_failed").await;
    let mut fields: Vec<String> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    fields.sort();
    fields
}

#[tokio::test]
async fn every_rule_of_a_visit_is_checked() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "50").await;
    let with = |changes: Value| {
        let mut body = visit(&new_id());
        for (key, value) in changes.as_object().unwrap() {
            body[key] = value.clone();
        }
        body
    };
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            with(json!({"location": {"lat": 91.0, "lon": 98.9}})),
            vec!["location.lat"],
        ),
        (
            with(json!({"location": {"lat": 18.7, "lon": 181.0, "accuracy_m": -1.0}})),
            vec!["location.accuracy_m", "location.lon"],
        ),
        (
            with(json!({"location": {"lat": 17.9757, "lon": 102.6331}})),
            vec!["location"],
        ),
        (
            with(json!({"visited_at": (Utc::now() + Duration::minutes(10)).to_rfc3339()})),
            vec!["visited_at"],
        ),
        (
            with(json!({"visited_at": (Utc::now() - Duration::days(61)).to_rfc3339()})),
            vec!["visited_at"],
        ),
        (with(json!({"target_groups": []})), vec!["target_groups"]),
        (with(json!({"summary": "   "})), vec!["summary"]),
        (with(json!({"summary": "ก".repeat(4001)})), vec!["summary"]),
        (
            with(json!({"households_visited": -1, "people_reached": -5})),
            vec!["households_visited", "people_reached"],
        ),
        (with(json!({"needs": [""]})), vec!["needs[0]"]),
        (with(json!({"id": "not-a-uuid"})), vec!["id"]),
        (with(json!({"area_code": "999999"})), vec!["area_code"]),
        (with(json!({"area_code": "5001"})), vec!["area_code"]),
    ];
    for (body, expected) in cases {
        assert_eq!(
            fields_of(&app, &volunteer, body.clone()).await,
            expected,
            "{body}"
        );
    }
    // Type and schema errors name the field too, one at a time.
    for (changes, field) in [
        (json!({"target_groups": ["aliens"]}), "target_groups[0]"),
        (json!({"activity": "party"}), "activity"),
        (json!({"author_id": "someone"}), "author_id"),
        (json!({"review_status": "verified"}), "review_status"),
        (
            json!({"received_at": "2026-01-01T00:00:00Z"}),
            "received_at",
        ),
        (json!({"follow_up_needed": "yes"}), "follow_up_needed"),
        (json!({"visited_at": "yesterday"}), "visited_at"),
    ] {
        assert_eq!(
            fields_of(&app, &volunteer, with(changes.clone())).await,
            [field],
            "{changes}"
        );
    }
    // Four minutes ahead is clock skew, not the future.
    file_ok(
        &app,
        &volunteer,
        &with(json!({"visited_at": (Utc::now() + Duration::minutes(4)).to_rfc3339()})),
    )
    .await;
    assert_eq!(count_visits(&app), 1);
}

/// Walks east from `from` in 10 m steps to the first point located in another
/// subdistrict: (that point, the subdistrict left, the one entered).
pub fn crossing_east(geography: &Geography, from: GeoPoint) -> (GeoPoint, String, String) {
    let code = |point| geography.locate(point).unwrap().subdistrict.unwrap().code;
    let own = code(from);
    let step = 10.0 / (111_320.0 * from.lat.to_radians().cos());
    (1..10_000)
        .map(|n| GeoPoint::new(from.lat, from.lon + f64::from(n) * step))
        .find_map(|point| {
            let other = code(point);
            (other != own).then(|| (point, own.clone(), other))
        })
        .unwrap()
}

fn at(point: GeoPoint, accuracy_m: f64) -> Value {
    json!({"lat": point.lat, "lon": point.lon, "accuracy_m": accuracy_m})
}

#[tokio::test]
async fn coarse_edges_do_not_block_field_work() {
    let app = spawn_app().await;
    let geography = Geography::load().unwrap();
    let cmu = GeoPoint::new(18.8035, 98.9530);
    let (across, suthep, neighbour) = crossing_east(&geography, cmu);
    assert_eq!(suthep, "500108");
    let suthep_volunteer = app.user("suthep", Role::Volunteer, &suthep).await;
    let neighbour_volunteer = app.user("neighbour", Role::Volunteer, &neighbour).await;

    // The case: Chiang Mai University is Suthep's, no flag.
    let mut body = visit(&new_id());
    body["location"] = at(cmu, 8.0);
    let stored = file_ok(&app, &suthep_volunteer, &body).await;
    assert_eq!(
        (&stored["area_code"], &stored["flags"]),
        (&json!(suthep), &json!([]))
    );

    // A few metres across the edge: the neighbour's by the polygons, but within
    // 300 m of Suthep, so Suthep's volunteer files it in Suthep, flagged.
    body = visit(&new_id());
    body["location"] = at(across, 8.0);
    let stored = file_ok(&app, &suthep_volunteer, &body).await;
    assert_eq!(stored["area_code"], suthep.as_str());
    assert_eq!(stored["flags"], json!(["near_boundary"]));
    // The neighbour's volunteer at the same point: inside, no flag.
    body = visit(&new_id());
    body["location"] = at(across, 8.0);
    let stored = file_ok(&app, &neighbour_volunteer, &body).await;
    assert_eq!(
        (&stored["area_code"], &stored["flags"]),
        (&json!(neighbour), &json!([]))
    );

    // The other side: 20 m back inside Suthep, the neighbour's volunteer files it
    // in the neighbour, flagged.
    let before = GeoPoint::new(across.lat, across.lon - 20.0 / 105_000.0);
    body = visit(&new_id());
    body["location"] = at(before, 8.0);
    let stored = file_ok(&app, &neighbour_volunteer, &body).await;
    assert_eq!(stored["area_code"], neighbour.as_str());
    assert_eq!(stored["flags"], json!(["near_boundary"]));

    // Declared: just across the edge is near, not a mismatch.
    body = visit(&new_id());
    body["location"] = at(across, 8.0);
    body["area_code"] = json!(suthep);
    let stored = file_ok(&app, &suthep_volunteer, &body).await;
    assert_eq!(stored["flags"], json!(["near_boundary"]));

    // Two kilometres into the neighbour is really elsewhere: refused when derived,
    // flagged area_mismatch when declared; a fix that poor is flagged as such
    // but its accuracy widens the margin.
    let far = GeoPoint::new(across.lat, across.lon + 2_000.0 / 105_000.0);
    if geography.locate(far).unwrap().subdistrict.unwrap().code != suthep {
        body = visit(&new_id());
        body["location"] = at(far, 8.0);
        assert_eq!(
            fields_of(&app, &suthep_volunteer, body.clone()).await,
            ["area_code"]
        );
        body["area_code"] = json!(suthep);
        let stored = file_ok(&app, &suthep_volunteer, &body).await;
        assert_eq!(stored["flags"], json!(["area_mismatch"]));
        body = visit(&new_id());
        body["location"] = at(far, 2_500.0);
        let stored = file_ok(&app, &suthep_volunteer, &body).await;
        assert_eq!(stored["area_code"], suthep.as_str());
        assert_eq!(stored["flags"], json!(["low_accuracy", "near_boundary"]));
    }
}

#[tokio::test]
async fn the_area_is_derived_checked_and_flagged() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "5001").await;

    let mut declared = visit(&new_id());
    declared["area_code"] = json!("500102");
    assert_eq!(
        file_ok(&app, &volunteer, &declared).await["flags"],
        json!([])
    );

    // Declared in the volunteer's district but the GPS point is elsewhere: kept, flagged.
    let mut far = visit(&new_id());
    far["location"] = json!({"lat": 18.9, "lon": 98.7, "accuracy_m": 250.0});
    far["area_code"] = json!("500102");
    let stored = file_ok(&app, &volunteer, &far).await;
    assert_eq!(stored["flags"], json!(["area_mismatch", "low_accuracy"]));
    assert_eq!(stored["area_code"], "500102");

    // A point whose subdistrict lies outside the volunteer's area (Hat Yai, Songkhla).
    let mut elsewhere = visit(&new_id());
    elsewhere["location"] = json!({"lat": 7.0086, "lon": 100.4747});
    assert_eq!(fields_of(&app, &volunteer, elsewhere).await, ["area_code"]);
    let mut declared_elsewhere = visit(&new_id());
    declared_elsewhere["area_code"] = json!("900101");
    assert_eq!(
        fields_of(&app, &volunteer, declared_elsewhere).await,
        ["area_code"]
    );
}

#[tokio::test]
async fn lists_filter_scope_and_page_newest_first() {
    let app = spawn_app().await;
    let cm_vol = app.user("cm.vol", Role::Volunteer, "50").await;
    let cm_vol2 = app.user("cm.vol2", Role::Volunteer, "50").await;
    let hy_vol = app.user("hy.vol", Role::Volunteer, "90").await;
    let cm_official = app.user("cm.off", Role::Official, "50").await;
    let now = Utc::now();

    let mut ids = Vec::new();
    for hours in 1..=5 {
        let id = new_id();
        let mut body = visit(&id);
        body["visited_at"] = json!((now - Duration::hours(hours * 24)).to_rfc3339());
        if hours == 2 {
            body["target_groups"] = json!(["children"]);
        }
        file_ok(&app, &cm_vol, &body).await;
        ids.push(id);
    }
    let mut other = visit(&new_id());
    other["location"] = json!({"lat": 18.80, "lon": 99.05});
    let other_id = file_ok(&app, &cm_vol2, &other).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut songkhla = visit(&new_id());
    songkhla["location"] = json!({"lat": 7.0086, "lon": 100.4747});
    let songkhla_id = file_ok(&app, &hy_vol, &songkhla).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let list = |user: &TestUser, query: &str| {
        let path = format!("/api/v1/visits{query}");
        let user = user.clone();
        let app = &app;
        async move {
            let (status, body) = app.get_as(&user, &path).await;
            assert_eq!(status, 200, "{path}: {body}");
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    // Volunteers see their own, newest first.
    assert_eq!(list(&cm_vol, "").await, ids);
    assert_eq!(list(&cm_vol2, "").await, [other_id.as_str()]);
    // Staff see their area, not Songkhla.
    let seen = list(&cm_official, "").await;
    assert_eq!(seen.len(), 6);
    assert!(!seen.contains(&songkhla_id));
    let (status, body) = app.get_as(&cm_official, "/api/v1/visits?area=90").await;
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")));
    assert_eq!(
        list(&cm_official, &format!("?author={}", cm_vol2.id)).await,
        [other_id.as_str()]
    );
    assert_eq!(
        list(&cm_official, "?target_group=children").await,
        [ids[1].clone()]
    );
    assert_eq!(
        list(&cm_official, "?review_status=verified").await,
        Vec::<String>::new()
    );
    let from = (now - Duration::hours(50)).to_rfc3339().replace('+', "%2B");
    assert_eq!(
        list(&cm_vol, &format!("?from={from}")).await,
        ids[..2].to_vec()
    );
    let to = (now - Duration::hours(50)).to_rfc3339().replace('+', "%2B");
    assert_eq!(list(&cm_vol, &format!("?to={to}")).await, ids[2..].to_vec());
    // Around the second volunteer's point: 2 km catches it and not the old town (~7 km away).
    assert_eq!(
        list(&cm_official, "?near=18.80,99.05&radius_m=2000").await,
        [other_id.as_str()]
    );
    assert_eq!(
        list(&cm_official, "?bbox=99.0,18.75,99.1,18.85").await,
        [other_id.as_str()]
    );
    assert_eq!(
        list(&cm_official, "?near=18.7883,98.9853&radius_m=500")
            .await
            .len(),
        5
    );

    // Keyset paging walks everything exactly once.
    let mut walked = Vec::new();
    let mut path = "/api/v1/visits?limit=4".to_owned();
    loop {
        let (_, body) = app.get_as(&cm_official, &path).await;
        walked.extend(
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["id"].as_str().unwrap().to_owned()),
        );
        match body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/visits?limit=4&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(walked, seen);

    for (query, field) in [
        ("?week=2026-W99", "week"),
        ("?bbox=1,2,3", "bbox"),
        ("?near=18.8,99.0", "radius_m"),
        ("?from=soon", "from"),
        ("?author=x", "author"),
    ] {
        let (status, body) = app
            .get_as(&cm_official, &format!("/api/v1/visits{query}"))
            .await;
        assert_eq!(
            (status, body["errors"][0]["field"].as_str()),
            (422, Some(field)),
            "{query}"
        );
    }
    let (status, _) = app
        .get_as(&cm_official, &format!("/api/v1/visits/{songkhla_id}"))
        .await;
    assert_eq!(status, 404, "outside the official's area");
    let (status, _) = app
        .get_as(&cm_vol2, &format!("/api/v1/visits/{}", ids[0]))
        .await;
    assert_eq!(status, 404, "another volunteer's visit");
}

#[tokio::test]
async fn weeks_are_bangkok_weeks() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "50").await;
    let official = app.user("off", Role::Official, "50").await;
    // Sunday 23:59 and Monday 00:00 Bangkok time around this week's start.
    let week = fieldweek::domain::IsoWeek::containing(Utc::now(), chrono::Weekday::Mon);
    let (start, _) = week.utc_range(chrono::Weekday::Mon);
    let before = new_id();
    let mut body = visit(&before);
    body["visited_at"] = json!((start - Duration::minutes(1)).to_rfc3339());
    file_ok(&app, &volunteer, &body).await;
    let after = new_id();
    let mut body = visit(&after);
    body["visited_at"] = json!(start.to_rfc3339());
    file_ok(&app, &volunteer, &body).await;
    let (_, this_week) = app
        .get_as(&official, &format!("/api/v1/visits?week={week}"))
        .await;
    let ids: Vec<&str> = this_week["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [after.as_str()]);
    let previous = week.previous().unwrap();
    let (_, last_week) = app
        .get_as(&official, &format!("/api/v1/visits?week={previous}"))
        .await;
    assert_eq!(last_week["items"][0]["id"], before.as_str());
}

#[tokio::test]
async fn supervisors_review_visits_in_their_area() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "50").await;
    let official = app.user("off", Role::Official, "50").await;
    let supervisor = app.user("sup", Role::Supervisor, "50").await;
    let far_supervisor = app.user("sup.sk", Role::Supervisor, "90").await;
    let id = file_ok(&app, &volunteer, &visit(&new_id())).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/visits/{id}/review");

    let review = |user: &TestUser, body: Value| {
        let user = user.clone();
        let path = path.clone();
        let app = &app;
        async move { app.send_as(&user, Method::POST, &path, &body).await }
    };
    assert_problem(
        review(&official, json!({"review_status": "verified"})).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        review(&far_supervisor, json!({"review_status": "verified"})).await,
        404,
        "not_found",
    )
    .await;
    let problem = assert_problem(
        review(&supervisor, json!({"review_status": "flagged"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "note");
    assert_problem(
        review(&supervisor, json!({"review_status": "pending"})).await,
        422,
        "validation_failed",
    )
    .await;

    let response = review(
        &supervisor,
        json!({"review_status": "flagged", "note": "ภาพไม่ตรงกับสถานที่"}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let reviewed: Value = response.json().await.unwrap();
    assert_eq!(reviewed["review_status"], "flagged");
    assert_eq!(reviewed["review_note"], "ภาพไม่ตรงกับสถานที่");
    assert_eq!(reviewed["reviewed_by"], supervisor.id.as_str());
    let audits = app.audit_entries("visit.reviewed");
    assert_eq!(audits.len(), 1);
    assert_eq!(audits[0].1.as_deref(), Some(id.as_str()));
    let (_, flagged) = app
        .get_as(&official, "/api/v1/visits?review_status=flagged")
        .await;
    assert_eq!(flagged["items"][0]["id"], id.as_str());
}

pub fn jpeg(seed: u8, len: usize) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend((0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)));
    bytes
}

pub async fn upload(
    app: &TestApp,
    user: &TestUser,
    visit_id: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    app.as_user(
        user,
        Method::POST,
        &format!("/api/v1/visits/{visit_id}/photos"),
    )
    .header("Content-Type", content_type)
    .body(bytes)
    .send()
    .await
    .unwrap()
}

#[tokio::test]
async fn photos_are_checked_stored_once_and_served_back() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "50").await;
    let other = app.user("vol2", Role::Volunteer, "50").await;
    let official = app.user("off", Role::Official, "50").await;
    let id = file_ok(&app, &volunteer, &visit(&new_id())).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let bytes = jpeg(1, 50_000);
    let response = upload(&app, &volunteer, &id, "image/jpeg", bytes.clone()).await;
    assert_eq!(response.status(), 201);
    let photo: Value = response.json().await.unwrap();
    assert_eq!(photo["bytes"], 50_004);
    assert_eq!(photo["content_type"], "image/jpeg");
    let sha = photo["sha256"].as_str().unwrap();
    use sha2::Digest;
    assert_eq!(sha, hex::encode(sha2::Sha256::digest(&bytes)));
    let on_disk = app.data_dir.path().join("photos").join(&sha[..2]).join(sha);
    assert_eq!(std::fs::read(&on_disk).unwrap(), bytes);

    let again = upload(&app, &volunteer, &id, "image/jpeg", bytes.clone()).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.unwrap()["id"], photo["id"]);

    let photo_path = format!(
        "/api/v1/visits/{id}/photos/{}",
        photo["id"].as_str().unwrap()
    );
    for user in [&volunteer, &official] {
        let response = app
            .as_user(user, Method::GET, &photo_path)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "image/jpeg");
        assert_eq!(response.bytes().await.unwrap().to_vec(), bytes);
    }
    let response = app
        .as_user(&other, Method::GET, &photo_path)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let second = upload(&app, &volunteer, &id, "image/jpeg", jpeg(2, 1_000)).await;
    assert_eq!(second.status(), 201);
    let second_sha = second.json::<Value>().await.unwrap()["sha256"].clone();
    // The visit and its photos come back in upload order, by key and in the list.
    let (_, stored) = app
        .get_as(&volunteer, &format!("/api/v1/visits/{id}"))
        .await;
    let shas = |visit: &Value| -> Vec<Value> {
        visit["photos"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["sha256"].clone())
            .collect()
    };
    assert_eq!(shas(&stored), vec![json!(sha), second_sha.clone()]);
    let (_, page) = app.get_as(&volunteer, "/api/v1/visits").await;
    let listed = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == id.as_str());
    assert_eq!(shas(listed.unwrap()), vec![json!(sha), second_sha]);
    let response = app
        .as_user(&other, Method::GET, &format!("/api/v1/visits/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);

    // A PNG header sent as JPEG, an unsupported type, and someone else's visit.
    assert_problem(
        upload(
            &app,
            &volunteer,
            &id,
            "image/jpeg",
            b"\x89PNG\r\n\x1a\n0000".to_vec(),
        )
        .await,
        415,
        "unsupported_media_type",
    )
    .await;
    assert_problem(
        upload(&app, &volunteer, &id, "image/gif", b"GIF89a".to_vec()).await,
        415,
        "unsupported_media_type",
    )
    .await;
    assert_problem(
        upload(&app, &other, &id, "image/jpeg", jpeg(2, 10)).await,
        404,
        "not_found",
    )
    .await;
    let leftovers = std::fs::read_dir(app.data_dir.path().join("photos/tmp"))
        .unwrap()
        .count();
    assert_eq!(leftovers, 0, "refused uploads leave no partial file");
}

#[tokio::test]
async fn photo_limits_hold() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "50").await;
    let id = file_ok(&app, &volunteer, &visit(&new_id())).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let too_big = jpeg(9, 10 * 1024 * 1024);
    assert_problem(
        upload(&app, &volunteer, &id, "image/jpeg", too_big.clone()).await,
        413,
        "payload_too_large",
    )
    .await;
    // Without a length up front, the cap is enforced while the body streams in.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        too_big.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
    let response = app
        .as_user(
            &volunteer,
            Method::POST,
            &format!("/api/v1/visits/{id}/photos"),
        )
        .header("Content-Type", "image/jpeg")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await;
    match response {
        Ok(response) => assert_eq!(response.status(), 413),
        // The server may close the connection before reading the rest: also a refusal.
        Err(error) => assert!(error.is_request() || error.is_body(), "{error}"),
    }

    for seed in 0..10 {
        assert_eq!(
            upload(&app, &volunteer, &id, "image/png", png(seed))
                .await
                .status(),
            201,
            "photo {seed}"
        );
    }
    let problem = assert_problem(
        upload(&app, &volunteer, &id, "image/png", png(99)).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "photos");
    // Re-sending one already attached is still fine.
    assert_eq!(
        upload(&app, &volunteer, &id, "image/png", png(3))
            .await
            .status(),
        200
    );
    let leftovers = std::fs::read_dir(app.data_dir.path().join("photos/tmp"))
        .unwrap()
        .count();
    assert_eq!(leftovers, 0);
}

fn png(seed: u8) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend([seed; 64]);
    bytes
}

/// Single filings that arrive together may share one statement (on PostgreSQL): each
/// caller still gets the answer for its own visit, and resends and conflicts are told
/// apart as if the filings came one after another.
#[tokio::test]
async fn concurrent_single_filings_each_get_their_own_answer() {
    let app = spawn_app().await;
    let volunteer = app.user("vol.together", Role::Volunteer, "50").await;
    let first = visit(&new_id());
    file_ok(&app, &volunteer, &first).await;
    let mut changed = first.clone();
    changed["people_reached"] = json!(8);

    let fresh: Vec<Value> = (0..20).map(|_| visit(&new_id())).collect();
    let bodies: Vec<&Value> = fresh
        .iter()
        .chain(std::iter::repeat_n(&first, 5))
        .chain(std::iter::repeat_n(&changed, 3))
        .collect();
    let answers = futures_util::future::join_all(bodies.iter().map(|body| async {
        let response = file(&app, &volunteer, body).await;
        let status = response.status().as_u16();
        (status, response.json::<Value>().await.unwrap())
    }))
    .await;

    for (body, (status, answer)) in bodies.iter().zip(&answers) {
        let expected = if fresh.iter().any(|visit| visit == *body) {
            201
        } else if *body == &first {
            200
        } else {
            409
        };
        assert_eq!(*status, expected, "{answer}");
        if expected != 409 {
            assert_eq!(answer["id"], body["id"]);
            assert_eq!(answer["people_reached"], json!(7));
        }
    }
    for body in &fresh {
        let path = format!("/api/v1/visits/{}", body["id"].as_str().unwrap());
        let (status, _) = app.get_as(&volunteer, &path).await;
        assert_eq!(status, 200);
    }
}
