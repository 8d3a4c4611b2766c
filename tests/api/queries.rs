//! Strict and consistent list queries: comma lists on every enumerated filter, coded 422s
//! for bad values, the new visit and grievance filters, sorts with their own cursors,
//! `count=true`, and `area=` never wider than one's own.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use fieldweek::domain::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app};
use crate::helpers::{TestApp, TestUser};
use crate::visits::{file_ok, visit};

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page: {page}"))
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

fn set(ids: &[&String]) -> BTreeSet<String> {
    ids.iter().map(|id| (*id).clone()).collect()
}

/// The ids of one list page, which must answer 200.
async fn list(app: &TestApp, user: &TestUser, path: &str) -> Vec<String> {
    let (status, body) = app.get_as(user, path).await;
    assert_eq!(status, 200, "{path}: {body}");
    ids(&body)
}

/// Every page of a list, following `next_cursor`, with `limit` rows a page.
async fn walk(app: &TestApp, user: &TestUser, path: &str, limit: u32) -> Vec<String> {
    let join = if path.contains('?') { '&' } else { '?' };
    let first = format!("{path}{join}limit={limit}");
    let mut url = first.clone();
    let mut all = Vec::new();
    loop {
        let (status, body) = app.get_as(user, &url).await;
        assert_eq!(status, 200, "{url}: {body}");
        let page = ids(&body);
        assert!(page.len() <= limit as usize);
        all.extend(page);
        match body["next_cursor"].as_str() {
            Some(cursor) => url = format!("{first}&cursor={cursor}"),
            None => break,
        }
    }
    all
}

/// A 422's errors as (field, code), in order.
async fn refusals(app: &TestApp, user: &TestUser, path: &str) -> Vec<(String, String)> {
    let response = app.as_user(user, Method::GET, path).send().await.unwrap();
    let body = assert_problem(response, 422, "validation_failed").await;
    assert!(
        !body.to_string().to_lowercase().contains("deserialize"),
        "a parser's own text leaked: {body}"
    );
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let message = e["message"].as_str().unwrap();
            assert!(!message.is_empty());
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap_or("(none)").to_owned(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(field, code)| (field.to_string(), code.to_string()))
        .collect()
}

/// An instant as a query value (UTC, so no `+` to escape).
fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

async fn review(app: &TestApp, supervisor: &TestUser, id: &str, status: &str) -> Value {
    let response = app
        .send_as(
            supervisor,
            Method::POST,
            &format!("/api/v1/visits/{id}/review"),
            &json!({"review_status": status, "note": "checked in the field"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn visit_filters_take_comma_lists_and_run_in_sql() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "5001").await;
    let official = app.user("off", Role::Official, "5001").await;
    let supervisor = app.user("sup", Role::Supervisor, "50").await;

    // Four visits in subdistrict 500102, each with its own activity, groups, follow-up
    // and flags.
    let mut bodies = Vec::new();
    let mut home = visit(&new_id());
    home["target_groups"] = json!(["elderly"]);
    bodies.push(home);
    let mut meeting = visit(&new_id());
    meeting["activity"] = json!("community_meeting");
    meeting["target_groups"] = json!(["children"]);
    meeting["follow_up_needed"] = json!(false);
    meeting["location"]["accuracy_m"] = json!(250.0);
    bodies.push(meeting);
    let mut outreach = visit(&new_id());
    outreach["activity"] = json!("outreach");
    outreach["target_groups"] = json!(["families"]);
    outreach["location"] = json!({"lat": 18.9, "lon": 98.7, "accuracy_m": 10.0});
    outreach["area_code"] = json!("500102");
    bodies.push(outreach);
    let mut follow = visit(&new_id());
    follow["activity"] = json!("follow_up");
    follow["follow_up_needed"] = json!(false);
    bodies.push(follow);
    let mut v = Vec::new();
    for body in &bodies {
        v.push(
            file_ok(&app, &volunteer, body).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let filed = list(&app, &official, "/api/v1/visits").await;
    assert_eq!(
        set(&filed.iter().collect::<Vec<_>>()),
        set(&[&v[0], &v[1], &v[2], &v[3]])
    );

    let cases: Vec<(&str, Vec<&String>)> = vec![
        ("activity=home_visit,outreach", vec![&v[0], &v[2]]),
        ("activity=follow_up", vec![&v[3]]),
        ("target_group=children,families", vec![&v[1], &v[2]]),
        ("target_group=elderly", vec![&v[0], &v[3]]),
        ("flag=low_accuracy", vec![&v[1]]),
        ("flag=area_mismatch,low_accuracy", vec![&v[1], &v[2]]),
        ("flag=area_approximate", vec![]),
        ("follow_up_needed=true", vec![&v[0], &v[2]]),
        ("follow_up_needed=false", vec![&v[1], &v[3]]),
        ("follow_up_needed=false&flag=low_accuracy", vec![&v[1]]),
        (
            "activity=home_visit,outreach&target_group=families",
            vec![&v[2]],
        ),
    ];
    for (query, expected) in &cases {
        let got = list(&app, &official, &format!("/api/v1/visits?{query}")).await;
        assert_eq!(
            set(&got.iter().collect::<Vec<_>>()),
            set(expected),
            "{query}"
        );
        // Newest first, as without filters.
        let order: Vec<&String> = filed.iter().filter(|id| got.contains(id)).collect();
        assert_eq!(got.iter().collect::<Vec<_>>(), order, "{query}");
    }

    // Reviews after `since` change two visits: they alone come back, least recently
    // changed first, a page at a time, and each shows when it changed.
    std::thread::sleep(std::time::Duration::from_millis(5));
    let since = instant(Utc::now());
    let verified = review(&app, &supervisor, &v[2], "verified").await;
    let flagged = review(&app, &supervisor, &v[1], "flagged").await;
    assert_eq!(verified["updated_at"], verified["reviewed_at"]);
    let changed = |view: &Value| {
        view["updated_at"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
    };
    assert!(changed(&flagged).unwrap() > changed(&verified).unwrap());
    let path = format!("/api/v1/visits?updated_since={since}");
    assert_eq!(
        list(&app, &official, &path).await,
        [v[2].clone(), v[1].clone()]
    );
    assert_eq!(
        walk(&app, &official, &path, 1).await,
        [v[2].clone(), v[1].clone()]
    );
    assert_eq!(
        list(&app, &volunteer, &format!("{path}&review_status=flagged")).await,
        [v[1].clone()]
    );
    let unreviewed = list(&app, &official, "/api/v1/visits?review_status=pending").await;
    assert_eq!(
        set(&unreviewed.iter().collect::<Vec<_>>()),
        set(&[&v[0], &v[3]])
    );
    let reviewed = list(
        &app,
        &official,
        "/api/v1/visits?review_status=verified,flagged",
    )
    .await;
    assert_eq!(
        set(&reviewed.iter().collect::<Vec<_>>()),
        set(&[&v[1], &v[2]])
    );

    // A cursor of the update order is refused by the newest-first order, and back.
    let (_, first) = app.get_as(&official, &format!("{path}&limit=1")).await;
    let cursor = first["next_cursor"].as_str().unwrap();
    assert_eq!(
        refusals(
            &app,
            &official,
            &format!("/api/v1/visits?limit=1&cursor={cursor}")
        )
        .await,
        pairs(&[("cursor", "not_allowed_value")])
    );
    let (_, newest) = app.get_as(&official, "/api/v1/visits?limit=1").await;
    let cursor = newest["next_cursor"].as_str().unwrap();
    assert_eq!(
        refusals(&app, &official, &format!("{path}&limit=1&cursor={cursor}")).await,
        pairs(&[("cursor", "not_allowed_value")])
    );
}

#[tokio::test]
async fn bad_query_values_are_coded_422s_naming_each_parameter() {
    let app = spawn_app().await;
    let official = app.user("off", Role::Official, "5001").await;
    let admin = app.admin().await;
    /// A path, who asks, and the (field, code) of each error expected.
    type Case<'a> = (&'a str, &'a TestUser, Vec<(&'a str, &'a str)>);
    let cases: Vec<Case> = vec![
        (
            "/api/v1/visits?activity=hiking,home_visit,swimming&follow_up_needed=maybe&limit=ten&flag=",
            &official,
            vec![
                ("activity", "not_allowed_value"),
                ("activity", "not_allowed_value"),
                ("flag", "empty"),
                ("follow_up_needed", "wrong_type"),
                ("limit", "wrong_type"),
            ],
        ),
        (
            "/api/v1/visits?target_group=elders&review_status=done&radius_m=far&near=18.8,98.9&count=yes",
            &official,
            vec![
                ("target_group", "not_allowed_value"),
                ("review_status", "not_allowed_value"),
                ("radius_m", "wrong_type"),
                ("count", "wrong_type"),
            ],
        ),
        (
            "/api/v1/visits?updated_since=2569-12-03T10:30:00Z&limit=0",
            &official,
            vec![("updated_since", "buddhist_era_year"), ("limit", "out_of_range")],
        ),
        (
            "/api/v1/grievances?category=elderly,old_age&priority=asap&status=open&overdue=1&sort=newest&assignee=nobody",
            &official,
            vec![
                ("status", "not_allowed_value"),
                ("category", "not_allowed_value"),
                ("priority", "not_allowed_value"),
                ("overdue", "wrong_type"),
                ("sort", "not_allowed_value"),
                ("assignee", "bad_format"),
            ],
        ),
        (
            "/api/v1/users?role=boss&active=maybe&limit=-",
            &admin,
            vec![
                ("role", "not_allowed_value"),
                ("active", "wrong_type"),
                ("limit", "wrong_type"),
            ],
        ),
        (
            "/api/v1/visits?activity=home_visit&activity=outreach",
            &official,
            vec![("activity", "duplicate_key")],
        ),
    ];
    for (path, user, expected) in cases {
        let mut got = refusals(&app, user, path).await;
        let mut expected = pairs(&expected);
        got.sort();
        expected.sort();
        assert_eq!(got, expected, "{path}");
    }
    // The message names the values that are allowed.
    let response = app
        .as_user(
            &official,
            Method::GET,
            "/api/v1/grievances?category=old_age",
        )
        .send()
        .await
        .unwrap();
    let body = assert_problem(response, 422, "validation_failed").await;
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("\"old_age\""), "{message}");
    for category in ["family_violence", "elderly", "poverty", "other"] {
        assert!(message.contains(category), "{message}");
    }
}

#[tokio::test]
async fn an_area_wider_than_ones_own_or_elsewhere_is_refused() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "5001").await;
    let official = app.user("off", Role::Official, "5001").await;
    let id = file_ok(&app, &volunteer, &visit(&new_id())).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let week = fieldweek::domain::IsoWeek::containing(Utc::now(), chrono::Weekday::Mon);
    for area in ["50", "TH", "40", "5002", "500201"] {
        for path in [
            format!("/api/v1/visits?area={area}"),
            format!("/api/v1/grievances?area={area}"),
            format!("/api/v1/users?area={area}"),
            format!("/api/v1/reports/weekly?area={area}"),
            format!("/api/v1/reports/weekly/export?area={area}&week={week}"),
        ] {
            let response = app
                .as_user(&official, Method::GET, &path)
                .send()
                .await
                .unwrap();
            let body = assert_problem(response, 403, "forbidden").await;
            assert!(
                body["detail"].as_str().unwrap().contains(area),
                "{path}: {body}"
            );
        }
    }
    // The volunteer's own list narrows the same way.
    let (status, _) = app.get_as(&volunteer, "/api/v1/visits?area=50").await;
    assert_eq!(status, 403);
    // One's own area and the areas inside it answer as before.
    for area in ["5001", "500102"] {
        assert_eq!(
            list(&app, &official, &format!("/api/v1/visits?area={area}")).await,
            [id.as_str()]
        );
        assert_eq!(
            list(&app, &volunteer, &format!("/api/v1/visits?area={area}")).await,
            [id.as_str()]
        );
    }
    assert!(list(&app, &official, "/api/v1/visits?area=500101")
        .await
        .is_empty());
    let (status, report) = app
        .get_as(&official, "/api/v1/reports/weekly?area=500102")
        .await;
    assert_eq!(
        (status, report["area_code"].as_str()),
        (200, Some("500102"))
    );
}

/// A grievance in subdistrict 500102 as a volunteer reports it.
fn grievance(category: &str, priority: &str, title: &str, reported_hours_ago: i64) -> Value {
    json!({
        "id": new_id(),
        "reported_at": instant(Utc::now() - Duration::hours(reported_hours_ago)),
        "location": {"lat": 18.7883, "lon": 98.9853, "accuracy_m": 8.0},
        "category": category,
        "priority": priority,
        "title": title,
        "description": format!("รายละเอียด: {title}"),
    })
}

async fn file_grievance(app: &TestApp, user: &TestUser, body: &Value) -> Value {
    let response = app
        .send_as(user, Method::POST, "/api/v1/grievances", body)
        .await;
    let status = response.status();
    let stored: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{stored}");
    stored
}

async fn act(app: &TestApp, user: &TestUser, id: &str, body: Value) {
    let response = app
        .send_as(
            user,
            Method::POST,
            &format!("/api/v1/grievances/{id}/transitions"),
            &body,
        )
        .await;
    assert_eq!(response.status(), 200, "{body}");
}

#[tokio::test]
async fn grievance_lists_filter_search_sort_and_count() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "5001").await;
    let official = app.user("off", Role::Official, "5001").await;
    let supervisor = app.user("sup", Role::Supervisor, "50").await;

    let bodies = [
        grievance("elderly", "urgent", "Elderly MAN left alone", 10),
        grievance("poverty", "low", "ครอบครัวยากจน รายได้ลดลง 100% ทั้งบ้าน", 48),
        grievance("housing", "normal", "Roof_leak over the bedroom", 5),
        grievance("elderly", "high", "ยายอยู่ลำพัง", 20),
        grievance("debt", "urgent", "หนี้นอกระบบ", 30),
        grievance("poverty", "normal", "Rooftop leak", 1),
    ];
    let mut stored = Vec::new();
    for body in &bodies {
        stored.push(file_grievance(&app, &volunteer, body).await);
    }
    let g: Vec<String> = stored
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    // The high one goes to the official; the rest stay unassigned.
    act(&app, &supervisor, &g[3], json!({"action": "accept"})).await;
    act(
        &app,
        &supervisor,
        &g[3],
        json!({"action": "assign", "assignee_id": official.id}),
    )
    .await;

    let by_set = |got: Vec<String>| -> BTreeSet<String> { got.into_iter().collect() };
    let want =
        |indexes: &[usize]| -> BTreeSet<String> { indexes.iter().map(|&i| g[i].clone()).collect() };
    let cases: Vec<(&str, Vec<usize>)> = vec![
        ("category=elderly,poverty", vec![0, 1, 3, 5]),
        ("category=housing", vec![2]),
        ("priority=urgent,low", vec![0, 1, 4]),
        ("status=submitted,accepted", vec![0, 1, 2, 4, 5]),
        ("status=assigned", vec![3]),
        ("assignee=none", vec![0, 1, 2, 4, 5]),
        ("assignee=me", vec![]),
        ("assignee=none&category=elderly", vec![0]),
        // Any case; Thai text; LIKE's own wildcards taken literally.
        ("q=elderly%20man", vec![0]),
        ("q=roof", vec![2, 5]),
        ("q=roof_", vec![2]),
        ("q=100%25", vec![1]),
        ("q=%25", vec![1]),
        ("q=_", vec![2]),
        ("q=ลำพัง", vec![3]),
        ("q=รายละเอียด:%20หนี้", vec![4]),
        ("q=roof&category=poverty", vec![5]),
    ];
    for (query, expected) in &cases {
        let got = list(&app, &supervisor, &format!("/api/v1/grievances?{query}")).await;
        assert_eq!(by_set(got), want(expected), "{query}");
    }
    let mine = list(&app, &official, "/api/v1/grievances?assignee=me").await;
    assert_eq!(mine, [g[3].clone()]);
    assert_eq!(
        refusals(
            &app,
            &supervisor,
            &format!("/api/v1/grievances?q={}", "ก".repeat(101))
        )
        .await,
        pairs(&[("q", "too_long")])
    );
    assert_eq!(
        refusals(&app, &supervisor, "/api/v1/grievances?q=%20%20").await,
        pairs(&[("q", "empty")])
    );

    // Every sort, walked two at a time, gives the order its keys say, with ties broken
    // by id; each is checked against the stored fields.
    let (_, everything) = app
        .get_as(&supervisor, "/api/v1/grievances?limit=500")
        .await;
    let rows: Vec<&Value> = everything["items"].as_array().unwrap().iter().collect();
    assert_eq!(rows.len(), 6);
    let rank = |p: &Value| {
        ["urgent", "high", "normal", "low"]
            .iter()
            .position(|name| p == name)
            .unwrap()
    };
    let time = |v: &Value| DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    let sorted = |key: &dyn Fn(&Value) -> (usize, DateTime<chrono::FixedOffset>), desc: bool| {
        let mut rows = rows.clone();
        rows.sort_by(|a, b| {
            let order = (key(a), a["id"].as_str()).cmp(&(key(b), b["id"].as_str()));
            if desc {
                order.reverse()
            } else {
                order
            }
        });
        rows.iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let sorts: Vec<(&str, Vec<String>)> = vec![
        ("due_at", sorted(&|r| (0, time(&r["due_at"])), false)),
        ("-due_at", sorted(&|r| (0, time(&r["due_at"])), true)),
        (
            "created_at",
            sorted(&|r| (0, time(&r["created_at"])), false),
        ),
        (
            "-created_at",
            sorted(&|r| (0, time(&r["created_at"])), true),
        ),
        (
            "priority",
            sorted(&|r| (rank(&r["priority"]), time(&r["due_at"])), false),
        ),
    ];
    for (sort, expected) in &sorts {
        let path = format!("/api/v1/grievances?sort={sort}");
        assert_eq!(&walk(&app, &supervisor, &path, 2).await, expected, "{sort}");
        assert_eq!(&list(&app, &supervisor, &path).await, expected, "{sort}");
    }
    // The default is still newest filed first; the priority order starts with the urgent.
    assert_eq!(
        list(&app, &supervisor, "/api/v1/grievances").await,
        sorts[3].1
    );
    assert_eq!(sorts[3].1, g.iter().rev().cloned().collect::<Vec<_>>());
    let by_priority = &sorts[4].1;
    assert_eq!(
        set(&by_priority[..2].iter().collect::<Vec<_>>()),
        set(&[&g[0], &g[4]])
    );
    assert_eq!(by_priority[2], g[3]);
    assert_eq!(by_priority[5], g[1]);
    // With filters, the sort still holds.
    assert_eq!(
        walk(
            &app,
            &supervisor,
            "/api/v1/grievances?sort=priority&category=elderly,poverty",
            1
        )
        .await,
        by_priority
            .iter()
            .filter(|id| want(&[0, 1, 3, 5]).contains(*id))
            .cloned()
            .collect::<Vec<_>>()
    );

    // A cursor only works for the sort it came from.
    let (_, first) = app
        .get_as(&supervisor, "/api/v1/grievances?sort=due_at&limit=2")
        .await;
    let cursor = first["next_cursor"].as_str().unwrap();
    for other in ["-due_at", "priority", "created_at"] {
        assert_eq!(
            refusals(
                &app,
                &supervisor,
                &format!("/api/v1/grievances?sort={other}&limit=2&cursor={cursor}")
            )
            .await,
            pairs(&[("cursor", "not_allowed_value")]),
            "{other}"
        );
    }
    assert_eq!(
        refusals(
            &app,
            &supervisor,
            &format!("/api/v1/grievances?limit=2&cursor={cursor}")
        )
        .await,
        pairs(&[("cursor", "not_allowed_value")])
    );

    // `count=true`: the rows matching the filters on every page, whatever the cursor.
    let path = "/api/v1/grievances?category=elderly,poverty&count=true&limit=3";
    let (_, page) = app.get_as(&supervisor, path).await;
    assert_eq!(page["total"], 4);
    assert_eq!(ids(&page).len(), 3);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, second) = app
        .get_as(&supervisor, &format!("{path}&cursor={cursor}"))
        .await;
    assert_eq!((second["total"].as_i64(), ids(&second).len()), (Some(4), 1));
    let (_, page) = app
        .get_as(
            &supervisor,
            "/api/v1/grievances?assignee=none&q=roof&count=true",
        )
        .await;
    assert_eq!(page["total"], 2);
    let (_, page) = app
        .get_as(&volunteer, "/api/v1/grievances?count=true&status=assigned")
        .await;
    assert_eq!(page["total"], 1, "a volunteer counts what it filed");
    let (_, page) = app.get_as(&supervisor, "/api/v1/grievances").await;
    assert!(page.get("total").is_none(), "no total unless asked: {page}");
    let (_, page) = app
        .get_as(&official, "/api/v1/grievances?count=false")
        .await;
    assert!(page.get("total").is_none());
}

#[tokio::test]
async fn visit_counts_follow_the_filters_and_the_circle() {
    let app = spawn_app().await;
    let volunteer = app.user("vol", Role::Volunteer, "50").await;
    let official = app.user("off", Role::Official, "50").await;
    let mut near_ids = Vec::new();
    for _ in 0..3 {
        near_ids.push(file_ok(&app, &volunteer, &visit(&new_id())).await["id"].clone());
    }
    // About 7 km away, in the same province.
    let mut far = visit(&new_id());
    far["location"] = json!({"lat": 18.80, "lon": 99.05});
    far["activity"] = json!("outreach");
    file_ok(&app, &volunteer, &far).await;

    let total = |path: &str| {
        let path = path.to_owned();
        let official = official.clone();
        let app = &app;
        async move {
            let (status, body) = app.get_as(&official, &path).await;
            assert_eq!(status, 200, "{path}: {body}");
            (body["total"].as_i64(), ids(&body).len())
        }
    };
    assert_eq!(
        total("/api/v1/visits?count=true&limit=1").await,
        (Some(4), 1)
    );
    assert_eq!(
        total("/api/v1/visits?count=true&activity=home_visit").await,
        (Some(3), 3)
    );
    // The circle counts by exact distance, as the list keeps rows, not by its box.
    assert_eq!(
        total("/api/v1/visits?count=true&near=18.7883,98.9853&radius_m=500&limit=2").await,
        (Some(3), 2)
    );
    assert_eq!(
        total("/api/v1/visits?count=true&near=18.80,99.05&radius_m=2000").await,
        (Some(1), 1)
    );
    assert_eq!(total("/api/v1/visits?limit=1").await, (None, 1));
}
