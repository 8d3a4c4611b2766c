//! Grievances end to end: filing, privacy, the workflow with its concurrency rules,
//! SLAs, duplicates, comments and webhooks.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use fieldweek::domain::{Role, ThaiNationalId};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, spawn_app_with, TestApp, TestUser};

/// A valid Thai national ID: twelve digits and their check digit.
fn national_id(first12: &str) -> String {
    let check = ThaiNationalId::check_digit(first12).unwrap();
    format!("{first12}{check}")
}

pub fn grievance(id: &str) -> Value {
    json!({
        "id": id,
        "location": {"lat": 18.7883, "lon": 98.9853, "accuracy_m": 8.0},
        "category": "elderly",
        "priority": "high",
        "title": "ผู้สูงอายุถูกทอดทิ้ง",
        "description": "ยายอายุ 82 ปี อยู่ลำพัง ไม่มีรายได้",
        "target_groups": ["elderly"],
        "complainant": {"name": "นางสมศรี ใจดี", "phone": "081-234-5678", "national_id": national_id("110370207118"), "consent": true},
    })
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn file(app: &TestApp, user: &TestUser, body: &Value) -> Value {
    let response = app
        .send_as(user, Method::POST, "/api/v1/grievances", body)
        .await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    body
}

async fn transition(
    app: &TestApp,
    user: &TestUser,
    id: &str,
    body: Value,
    if_match: Option<i64>,
) -> reqwest::Response {
    let mut request = app
        .as_user(
            user,
            Method::POST,
            &format!("/api/v1/grievances/{id}/transitions"),
        )
        .json(&body);
    if let Some(version) = if_match {
        request = request.header("If-Match", format!("\"{version}\""));
    }
    request.send().await.unwrap()
}

async fn transition_ok(app: &TestApp, user: &TestUser, id: &str, body: Value) -> Value {
    let response = transition(app, user, id, body.clone(), None).await;
    let status = response.status();
    let etag = response
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned());
    let view: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body} -> {view}");
    assert_eq!(etag, Some(format!("\"{}\"", view["version"])));
    view
}

struct Team {
    volunteer: TestUser,
    official: TestUser,
    supervisor: TestUser,
}

async fn team(app: &TestApp) -> Team {
    Team {
        volunteer: app.user("vol", Role::Volunteer, "5001").await,
        official: app.user("off", Role::Official, "5001").await,
        supervisor: app.user("sup", Role::Supervisor, "50").await,
    }
}

#[tokio::test]
async fn filing_sets_deadline_history_and_protects_personal_data() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let id = new_id();
    let response = app
        .send_as(
            &team.volunteer,
            Method::POST,
            "/api/v1/grievances",
            &grievance(&id),
        )
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["etag"], "\"1\"");
    assert_eq!(
        response.headers()["location"],
        format!("/api/v1/grievances/{id}").as_str()
    );
    let stored: Value = response.json().await.unwrap();
    assert_eq!(stored["status"], "submitted");
    assert_eq!(stored["version"], 1);
    assert_eq!(stored["reporter_id"], team.volunteer.id.as_str());
    assert_eq!(stored["area_code"], "500102");
    assert_eq!(stored["overdue"], false);
    assert_eq!(stored["reopen_count"], 0);
    assert_eq!(stored["history"][0]["action"], "create");
    assert_eq!(stored["history"][0]["to"], "submitted");
    let created =
        chrono::DateTime::parse_from_rfc3339(stored["created_at"].as_str().unwrap()).unwrap();
    let due = chrono::DateTime::parse_from_rfc3339(stored["due_at"].as_str().unwrap()).unwrap();
    assert_eq!(
        due - created,
        chrono::Duration::days(3),
        "high priority: 3 days"
    );
    // The reporter gets back what it sent.
    assert_eq!(stored["complainant"]["phone"], "+66812345678");
    assert_eq!(
        stored["complainant"]["national_id"],
        national_id("110370207118").as_str()
    );

    // Never in plain text in the database.
    use diesel::prelude::*;
    use fieldweek::db::schema::grievances;
    let mut conn = app.services.db.connection_for_cli_and_tests().unwrap();
    let (nid, phone): (Option<String>, Option<String>) = grievances::table
        .find(&id)
        .select((grievances::national_id_cipher, grievances::phone_cipher))
        .first(&mut *conn)
        .unwrap();
    let nid = nid.unwrap();
    assert!(!nid.contains("110370207118") && !phone.unwrap().contains("812345678"));

    // Resending is idempotent; different content conflicts.
    let again = app
        .send_as(
            &team.volunteer,
            Method::POST,
            "/api/v1/grievances",
            &grievance(&id),
        )
        .await;
    assert_eq!(again.status(), 200);
    let mut changed = grievance(&id);
    changed["priority"] = json!("urgent");
    let response = app
        .send_as(
            &team.volunteer,
            Method::POST,
            "/api/v1/grievances",
            &changed,
        )
        .await;
    assert_problem(response, 409, "id_conflict").await;
}

#[tokio::test]
async fn filing_rules_name_their_fields() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let mut bad = grievance(&new_id());
    bad["complainant"] = json!({"national_id": "1103702071180", "phone": "12", "consent": true});
    bad["title"] = json!("");
    bad["visit_id"] = json!("nope");
    let response = app
        .send_as(&team.volunteer, Method::POST, "/api/v1/grievances", &bad)
        .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    let mut fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "complainant.national_id",
            "complainant.phone",
            "title",
            "visit_id"
        ]
    );

    let mut no_consent = grievance(&new_id());
    no_consent["complainant"]["consent"] = json!(false);
    let response = app
        .send_as(
            &team.volunteer,
            Method::POST,
            "/api/v1/grievances",
            &no_consent,
        )
        .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "complainant.consent");

    for (key, value, field) in [
        ("category", json!("aliens"), "category"),
        ("priority", json!("asap"), "priority"),
        ("status", json!("closed"), "status"),
    ] {
        let mut body = grievance(&new_id());
        body[key] = value;
        let response = app
            .send_as(&team.volunteer, Method::POST, "/api/v1/grievances", &body)
            .await;
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field);
    }
}

#[tokio::test]
async fn the_workflow_runs_from_submission_to_closure_and_back() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let id = file(&app, &team.volunteer, &grievance(&new_id())).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // A volunteer may do nothing; an official only what the assignee may.
    assert_problem(
        transition(
            &app,
            &team.volunteer,
            &id,
            json!({"action": "accept"}),
            None,
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        transition(&app, &team.official, &id, json!({"action": "accept"}), None).await,
        403,
        "forbidden",
    )
    .await;
    let problem = assert_problem(
        transition(
            &app,
            &team.supervisor,
            &id,
            json!({"action": "close"}),
            None,
        )
        .await,
        409,
        "invalid_transition",
    )
    .await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("accept") && detail.contains("reject"),
        "{detail}"
    );

    transition_ok(&app, &team.supervisor, &id, json!({"action": "accept"})).await;
    let problem = assert_problem(
        transition(
            &app,
            &team.supervisor,
            &id,
            json!({"action": "assign"}),
            None,
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "assignee_id");
    let problem = assert_problem(
        transition(
            &app,
            &team.supervisor,
            &id,
            json!({"action": "assign", "assignee_id": team.volunteer.id}),
            None,
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "assignee_id");
    let elsewhere = app.user("off.sk", Role::Official, "90").await;
    assert_problem(
        transition(
            &app,
            &team.supervisor,
            &id,
            json!({"action": "assign", "assignee_id": elsewhere.id}),
            None,
        )
        .await,
        422,
        "validation_failed",
    )
    .await;

    let assigned = transition_ok(
        &app,
        &team.supervisor,
        &id,
        json!({"action": "assign", "assignee_id": team.official.id}),
    )
    .await;
    assert_eq!(assigned["assignee_id"], team.official.id.as_str());
    let (_, mine) = app
        .get_as(&team.official, "/api/v1/grievances?assignee=me")
        .await;
    assert_eq!(mine["items"][0]["id"], id.as_str());

    transition_ok(&app, &team.official, &id, json!({"action": "start"})).await;
    assert_problem(
        transition(
            &app,
            &team.official,
            &id,
            json!({"action": "refer", "note": "ส่งต่อ"}),
            None,
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let referred = transition_ok(
        &app,
        &team.official,
        &id,
        json!({"action": "refer", "referred_to": "ผส", "note": "ส่งต่อกรมกิจการผู้สูงอายุ"}),
    )
    .await;
    assert_eq!(referred["referred_to"], "ผส.");
    assert_problem(
        transition(
            &app,
            &team.official,
            &id,
            json!({"action": "resolve"}),
            None,
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    transition_ok(
        &app,
        &team.official,
        &id,
        json!({"action": "resolve", "note": "ได้รับเบี้ยยังชีพแล้ว"}),
    )
    .await;
    transition_ok(&app, &team.supervisor, &id, json!({"action": "close"})).await;
    let reopened = transition_ok(
        &app,
        &team.supervisor,
        &id,
        json!({"action": "reopen", "note": "ยังไม่ได้รับจริง"}),
    )
    .await;
    assert_eq!(reopened["status"], "accepted");
    assert_eq!(reopened["reopen_count"], 1);
    assert_eq!(
        reopened["version"], 8,
        "one version per transition after the first"
    );

    let history: Vec<(String, String)> = reopened["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["to"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("create", "submitted"),
        ("accept", "accepted"),
        ("assign", "assigned"),
        ("start", "in_progress"),
        ("refer", "referred"),
        ("resolve", "resolved"),
        ("close", "closed"),
        ("reopen", "accepted"),
    ];
    assert_eq!(history, expected.map(|(a, t)| (a.to_owned(), t.to_owned())));
    assert_eq!(reopened["history"][5]["note"], "ได้รับเบี้ยยังชีพแล้ว");
    assert_eq!(app.audit_entries("grievance.transition").len(), 7);
}

#[tokio::test]
async fn stale_versions_and_concurrent_transitions_never_overwrite() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let second = app.user("sup2", Role::Supervisor, "50").await;
    let id = file(&app, &team.volunteer, &grievance(&new_id())).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let response = app
        .as_user(
            &team.supervisor,
            Method::GET,
            &format!("/api/v1/grievances/{id}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["etag"], "\"1\"");
    assert_problem(
        transition(
            &app,
            &team.supervisor,
            &id,
            json!({"action": "accept"}),
            Some(7),
        )
        .await,
        412,
        "version_mismatch",
    )
    .await;
    let response = app
        .as_user(
            &team.supervisor,
            Method::POST,
            &format!("/api/v1/grievances/{id}/transitions"),
        )
        .header("If-Match", "garbage")
        .json(&json!({"action": "accept"}))
        .send()
        .await
        .unwrap();
    assert_problem(response, 412, "version_mismatch").await;

    // Two supervisors act on version 1 at once: exactly one wins.
    let (a, b) = tokio::join!(
        transition(
            &app,
            &team.supervisor,
            &id,
            json!({"action": "accept"}),
            Some(1)
        ),
        transition(
            &app,
            &second,
            &id,
            json!({"action": "reject", "note": "ซ้ำ"}),
            Some(1)
        ),
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 412]);
    // Without If-Match the loser sees the new state and is refused by the workflow.
    let id2 = file(&app, &team.volunteer, &grievance(&new_id())).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (a, b) = tokio::join!(
        transition(
            &app,
            &team.supervisor,
            &id2,
            json!({"action": "accept"}),
            None
        ),
        transition(&app, &second, &id2, json!({"action": "accept"}), None),
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409]);
    let (_, final_state) = app
        .get_as(&team.supervisor, &format!("/api/v1/grievances/{id2}"))
        .await;
    assert_eq!(final_state["version"], 2);
    assert_eq!(final_state["history"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn personal_data_is_masked_except_for_those_entitled_and_audited() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let id = file(&app, &team.volunteer, &grievance(&new_id())).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let nid = national_id("110370207118");
    let last4 = &nid[9..];

    let (_, seen) = app
        .get_as(&team.official, &format!("/api/v1/grievances/{id}"))
        .await;
    assert_eq!(
        seen["complainant"]["national_id"],
        format!("*********{last4}").as_str()
    );
    assert_eq!(seen["complainant"]["phone"], "******5678");
    assert_eq!(seen["complainant"]["masked"], true);
    assert_eq!(seen["complainant"]["name"], "นางสมศรี ใจดี");
    assert!(app.audit_entries("grievance.personal_data_read").is_empty());

    for user in [&team.supervisor, &team.volunteer] {
        let (_, seen) = app.get_as(user, &format!("/api/v1/grievances/{id}")).await;
        assert_eq!(seen["complainant"]["national_id"], nid.as_str());
        assert_eq!(seen["complainant"]["masked"], false);
    }
    let reads = app.audit_entries("grievance.personal_data_read");
    assert_eq!(reads.len(), 2);
    assert_eq!(reads[0].0.as_deref(), Some(team.supervisor.id.as_str()));

    // The assignee sees it too, once assigned; lists never show it.
    transition_ok(&app, &team.supervisor, &id, json!({"action": "accept"})).await;
    transition_ok(
        &app,
        &team.supervisor,
        &id,
        json!({"action": "assign", "assignee_id": team.official.id}),
    )
    .await;
    let (_, seen) = app
        .get_as(&team.official, &format!("/api/v1/grievances/{id}"))
        .await;
    assert_eq!(seen["complainant"]["national_id"], nid.as_str());
    let (_, listed) = app.get_as(&team.supervisor, "/api/v1/grievances").await;
    assert_eq!(listed["items"][0]["complainant"]["masked"], true);
}

#[tokio::test]
async fn visibility_follows_role_and_area() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let other_volunteer = app.user("vol2", Role::Volunteer, "50").await;
    let songkhla = app.user("sup.sk", Role::Supervisor, "90").await;
    let id = file(&app, &team.volunteer, &grievance(&new_id())).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (user, status) in [
        (&other_volunteer, 404),
        (&songkhla, 404),
        (&team.official, 200),
    ] {
        assert_eq!(
            app.get_as(user, &format!("/api/v1/grievances/{id}"))
                .await
                .0,
            status
        );
    }
    let (_, list) = app.get_as(&other_volunteer, "/api/v1/grievances").await;
    assert_eq!(list["items"], json!([]));
    let (_, list) = app.get_as(&songkhla, "/api/v1/grievances").await;
    assert_eq!(list["items"], json!([]));
    assert_problem(
        transition(&app, &songkhla, &id, json!({"action": "accept"}), None).await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn overdue_is_computed_and_filterable() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let late = file(&app, &team.volunteer, &grievance(&new_id())).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let on_time = file(&app, &team.volunteer, &grievance(&new_id())).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Let time pass for one of them.
    {
        use diesel::prelude::*;
        use fieldweek::db::schema::grievances;
        let mut conn = app.services.db.connection_for_cli_and_tests().unwrap();
        diesel::update(grievances::table.find(&late))
            .set(grievances::due_at.eq(Utc::now().naive_utc() - chrono::Duration::hours(1)))
            .execute(&mut *conn)
            .unwrap();
    }
    let (_, overdue) = app
        .get_as(&team.official, "/api/v1/grievances?overdue=true")
        .await;
    let ids: Vec<&str> = overdue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [late.as_str()]);
    assert_eq!(overdue["items"][0]["overdue"], true);
    let (_, fine) = app
        .get_as(&team.official, "/api/v1/grievances?overdue=false")
        .await;
    assert_eq!(fine["items"][0]["id"], on_time.as_str());
    // Rejecting stops the clock.
    transition_ok(
        &app,
        &team.supervisor,
        &late,
        json!({"action": "reject", "note": "ไม่ใช่อำนาจหน้าที่"}),
    )
    .await;
    let (_, overdue) = app
        .get_as(&team.official, "/api/v1/grievances?overdue=true")
        .await;
    assert_eq!(overdue["items"], json!([]));
}

#[tokio::test]
async fn nearby_open_grievances_of_the_same_category_are_possible_duplicates() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let first = file(&app, &team.volunteer, &grievance(&new_id())).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut near = grievance(&new_id());
    near["location"] = json!({"lat": 18.7890, "lon": 98.9855});
    let second = file(&app, &team.volunteer, &near).await;
    assert_eq!(second["possible_duplicates"], json!([first]));
    let mut other_category = near.clone();
    other_category["id"] = json!(new_id());
    other_category["category"] = json!("debt");
    assert_eq!(
        file(&app, &team.volunteer, &other_category).await["possible_duplicates"],
        json!([])
    );
    let mut far = grievance(&new_id());
    far["location"] = json!({"lat": 18.7950, "lon": 98.9853});
    assert_eq!(
        file(&app, &team.volunteer, &far).await["possible_duplicates"],
        json!([])
    );
    let (_, first_view) = app
        .get_as(&team.supervisor, &format!("/api/v1/grievances/{first}"))
        .await;
    assert_eq!(first_view["possible_duplicates"], json!([second["id"]]));
}

/// Every listed grievance's possible duplicates, by id, over all the list's pages.
async fn listed_duplicates(
    app: &TestApp,
    user: &TestUser,
    limit: usize,
) -> BTreeMap<String, Value> {
    let mut listed = BTreeMap::new();
    let mut path = format!("/api/v1/grievances?limit={limit}");
    loop {
        let (status, page) = app.get_as(user, &path).await;
        assert_eq!(status, 200, "{page}");
        for grievance in page["items"].as_array().unwrap() {
            listed.insert(
                grievance["id"].as_str().unwrap().to_owned(),
                grievance["possible_duplicates"].clone(),
            );
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/grievances?limit={limit}&cursor={cursor}"),
            None => return listed,
        }
    }
}

#[tokio::test]
async fn a_list_shows_the_possible_duplicates_that_opening_each_grievance_shows() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let neighbour = app.user("vol2", Role::Volunteer, "5001").await;
    // Distances from `first` (where grievance() files): `near` 78 m north, `inside` 189 m
    // north, `outside` 211 m east, `corner` 223 m south-west (inside the bounding box).
    let at = |lat: f64, lon: f64, category: &str| {
        let mut body = grievance(&new_id());
        body["location"] = json!({"lat": lat, "lon": lon});
        body["category"] = json!(category);
        body
    };
    let elderly = |lat, lon| at(lat, lon, "elderly");
    let filed = |body: Value| body["id"].as_str().unwrap().to_owned();
    let vol = &team.volunteer;
    let first = filed(file(&app, vol, &elderly(18.7883, 98.9853)).await);
    let near = filed(file(&app, vol, &elderly(18.7890, 98.9853)).await);
    let other_category = filed(file(&app, vol, &at(18.7883, 98.9853, "debt")).await);
    let inside = filed(file(&app, vol, &elderly(18.7900, 98.9853)).await);
    let outside = filed(file(&app, vol, &elderly(18.7883, 98.9873)).await);
    let corner = filed(file(&app, vol, &elderly(18.78688, 98.9838)).await);
    let closed = filed(file(&app, vol, &elderly(18.7883, 98.9853)).await);
    let theirs = filed(file(&app, &neighbour, &elderly(18.7883, 98.9853)).await);
    let old = filed(file(&app, vol, &elderly(18.7883, 98.9853)).await);
    let edge = filed(file(&app, vol, &elderly(18.7883, 98.9853)).await);
    // Open in another status than submitted still counts; closed does not.
    let (sup, off) = (&team.supervisor, &team.official);
    transition_ok(&app, sup, &near, json!({"action": "accept"})).await;
    for (user, body) in [
        (sup, json!({"action": "accept"})),
        (sup, json!({"action": "assign", "assignee_id": off.id})),
        (off, json!({"action": "start"})),
        (off, json!({"action": "resolve", "note": "ช่วยเหลือแล้ว"})),
        (sup, json!({"action": "close"})),
    ] {
        transition_ok(&app, user, &closed, body).await;
    }
    // Filed 15 days before the first (too long before), and exactly 14 days before it.
    {
        use diesel::prelude::*;
        use fieldweek::db::schema::grievances;
        let mut conn = app.services.db.connection_for_cli_and_tests().unwrap();
        let first_filed: chrono::NaiveDateTime = grievances::table
            .find(&first)
            .select(grievances::created_at)
            .first(&mut *conn)
            .unwrap();
        for (id, days) in [(&old, 15), (&edge, 14)] {
            diesel::update(grievances::table.find(id))
                .set(grievances::created_at.eq(first_filed - chrono::Duration::days(days)))
                .execute(&mut *conn)
                .unwrap();
        }
    }

    // Open, same category, within 200 m and 14 days, oldest first. `edge` is within 14
    // days of `first` only.
    let supervisor_sees: BTreeMap<String, Value> = [
        (&old, json!([edge])),
        (&edge, json!([old, first])),
        (&first, json!([edge, near, inside, theirs])),
        (&near, json!([first, inside, theirs])),
        (&other_category, json!([])),
        (&inside, json!([first, near, theirs])),
        (&outside, json!([])),
        (&corner, json!([])),
        (&closed, json!([first, near, inside, theirs])),
        (&theirs, json!([first, near, inside])),
    ]
    .into_iter()
    .map(|(id, duplicates)| (id.clone(), duplicates))
    .collect();
    // A volunteer sees only what she filed, duplicates included.
    let volunteer_sees: BTreeMap<String, Value> = supervisor_sees
        .iter()
        .filter(|(id, _)| **id != theirs)
        .map(|(id, duplicates)| {
            let mine = duplicates
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| **d != json!(theirs));
            (id.clone(), Value::Array(mine.cloned().collect()))
        })
        .collect();

    for (user, expected) in [
        (&team.supervisor, supervisor_sees),
        (&team.volunteer, volunteer_sees),
    ] {
        // Three to a page, so that most duplicates are on another page than their row.
        let listed = listed_duplicates(&app, user, 3).await;
        assert_eq!(listed, expected);
        for (id, duplicates) in &listed {
            let (_, opened) = app.get_as(user, &format!("/api/v1/grievances/{id}")).await;
            assert_eq!(&opened["possible_duplicates"], duplicates, "{id}");
        }
    }
}

#[tokio::test]
async fn comments_and_pulling_updates() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let a = file(&app, &team.volunteer, &grievance(&new_id())).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = file(&app, &team.volunteer, &grievance(&new_id())).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let checkpoint = Utc::now().to_rfc3339().replace('+', "%2B");
    tokio::time::sleep(Duration::from_millis(20)).await;

    let comment = |user: &TestUser, id: &str, body: Value| {
        let user = user.clone();
        let path = format!("/api/v1/grievances/{id}/comments");
        let app = &app;
        async move { app.send_as(&user, Method::POST, &path, &body).await }
    };
    let response = comment(
        &team.supervisor,
        &b,
        json!({"body": "โทรหาญาติแล้ว", "internal": true}),
    )
    .await;
    assert_eq!(response.status(), 201);
    assert_eq!(
        comment(&team.volunteer, &a, json!({"body": "ติดตามอีกครั้ง"}))
            .await
            .status(),
        201
    );
    assert_problem(
        comment(&team.volunteer, &a, json!({"body": "x", "internal": true})).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        comment(&team.volunteer, &a, json!({"body": "  "})).await,
        422,
        "validation_failed",
    )
    .await;

    let (_, for_volunteer) = app
        .get_as(&team.volunteer, &format!("/api/v1/grievances/{b}"))
        .await;
    assert_eq!(
        for_volunteer["comments"],
        json!([]),
        "internal comments are hidden from volunteers"
    );
    let (_, for_staff) = app
        .get_as(&team.official, &format!("/api/v1/grievances/{b}"))
        .await;
    assert_eq!(for_staff["comments"][0]["internal"], true);

    // What changed since the checkpoint, least recently changed first.
    let (status, changed) = app
        .get_as(
            &team.volunteer,
            &format!("/api/v1/grievances?updated_since={checkpoint}"),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    let ids: Vec<&str> = changed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [b.as_str(), a.as_str()]);
}

/// (event type, timestamp, signature, body) of each delivery.
type Deliveries = Arc<Mutex<Vec<(String, String, String, String)>>>;

/// A receiver that records what it is sent.
async fn start_receiver(port: u16, received: Deliveries) -> actix_web::dev::ServerHandle {
    use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
    let server = HttpServer::new(move || {
        let received = received.clone();
        App::new().route(
            "/hook",
            web::post().to(move |req: HttpRequest, body: String| {
                let received = received.clone();
                async move {
                    let header = |name: &str| {
                        req.headers()
                            .get(name)
                            .map(|v| v.to_str().unwrap().to_owned())
                            .unwrap_or_default()
                    };
                    received.lock().unwrap().push((
                        header("x-fieldweek-event"),
                        header("x-fieldweek-timestamp"),
                        header("x-fieldweek-signature"),
                        body,
                    ));
                    HttpResponse::NoContent().finish()
                }
            }),
        )
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", port))
    .unwrap()
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    handle
}

/// The value of an unlabelled sample in Prometheus text, if the text has it.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .map(|value| value.parse().unwrap())
}

#[tokio::test]
async fn metrics_show_the_webhook_backlog_the_pool_the_build_and_the_process() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_app_with(|config| {
        config.db_pool_size = 3;
        config.webhook = Some(fieldweek::config::WebhookConfig {
            url: format!("http://127.0.0.1:{port}/hook"),
            secret: "webhook secret for tests".into(),
            poll_interval: Duration::from_millis(50),
            retry_base: Duration::from_millis(100),
        });
    })
    .await;
    let team = team(&app).await;
    file(&app, &team.volunteer, &grievance(&new_id())).await;
    let undelivered = || {
        use diesel::prelude::*;
        use fieldweek::db::schema::webhook_outbox;
        let mut conn = app.services.db.connection_for_cli_and_tests().unwrap();
        webhook_outbox::table
            .filter(webhook_outbox::delivered_at.is_null())
            .count()
            .get_result::<i64>(&mut *conn)
            .unwrap()
    };
    let metrics = || async { app.get("/metrics").await.text().await.unwrap() };

    // Nobody listens: the filing's event waits, and ages.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let text = metrics().await;
    let backlog = sample(&text, "fieldweek_webhook_outbox_undelivered").expect("backlog");
    assert!(backlog >= 1.0, "{text}");
    assert_eq!(backlog, undelivered() as f64);
    let age = sample(&text, "fieldweek_webhook_outbox_oldest_age_seconds").expect("age");
    assert!(age >= 0.3, "{text}");

    // The pool's gauges follow the configuration; build and process are there.
    assert_eq!(
        sample(&text, "fieldweek_db_pool_max_connections"),
        Some(3.0)
    );
    let open = sample(&text, "fieldweek_db_pool_connections").expect("connections");
    let idle = sample(&text, "fieldweek_db_pool_idle_connections").expect("idle");
    assert!((1.0..=3.0).contains(&open) && idle <= open, "{text}");
    let build = format!(
        "fieldweek_build_info{{commit=\"{}\",version=\"{}\"}} 1",
        option_env!("FIELDWEEK_GIT_COMMIT").unwrap_or("unknown"),
        env!("CARGO_PKG_VERSION")
    );
    assert!(text.lines().any(|line| line == build), "{text}");
    assert!(sample(&text, "process_resident_memory_bytes").unwrap() > 0.0);
    assert!(sample(&text, "process_open_fds").unwrap() > 0.0);

    // Once the receiver answers, the backlog drains to nothing.
    let received = Arc::new(Mutex::new(Vec::new()));
    let receiver = start_receiver(port, received).await;
    let started = Instant::now();
    loop {
        let text = metrics().await;
        if sample(&text, "fieldweek_webhook_outbox_undelivered") == Some(0.0) {
            assert_eq!(
                sample(&text, "fieldweek_webhook_outbox_oldest_age_seconds"),
                Some(0.0)
            );
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    receiver.stop(false).await;
}

#[tokio::test]
async fn webhooks_survive_a_receiver_that_is_down_for_a_while() {
    const SECRET: &str = "webhook secret for tests";
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_app_with(|config| {
        config.webhook = Some(fieldweek::config::WebhookConfig {
            url: format!("http://127.0.0.1:{port}/hook"),
            secret: SECRET.into(),
            poll_interval: Duration::from_millis(50),
            retry_base: Duration::from_millis(100),
        });
    })
    .await;
    let team = team(&app).await;
    let id = file(&app, &team.volunteer, &grievance(&new_id())).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    transition_ok(&app, &team.supervisor, &id, json!({"action": "accept"})).await;
    transition_ok(
        &app,
        &team.supervisor,
        &id,
        json!({"action": "assign", "assignee_id": team.official.id}),
    )
    .await;

    // Nobody listens yet: deliveries fail and are retried.
    let attempts = || {
        use diesel::prelude::*;
        use fieldweek::db::schema::webhook_outbox;
        let mut conn = app.services.db.connection_for_cli_and_tests().unwrap();
        webhook_outbox::table
            .select((
                webhook_outbox::attempts,
                webhook_outbox::delivered_at.is_not_null(),
            ))
            .load::<(i64, bool)>(&mut *conn)
            .unwrap()
    };
    let started = Instant::now();
    while !attempts().iter().all(|(tries, _)| *tries >= 2) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no retries: {:?}",
            attempts()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(attempts().iter().all(|(_, delivered)| !delivered));

    let received = Arc::new(Mutex::new(Vec::new()));
    let receiver = start_receiver(port, received.clone()).await;
    let started = Instant::now();
    while received.lock().unwrap().len() < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "not delivered: {:?}",
            attempts()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    receiver.stop(false).await;

    let received = received.lock().unwrap().clone();
    let mut types: Vec<&str> = received.iter().map(|r| r.0.as_str()).collect();
    types.sort();
    assert_eq!(
        types,
        [
            "grievance.assigned",
            "grievance.created",
            "grievance.status_changed"
        ]
    );
    for (_, timestamp, signature, body) in &received {
        let expected = fieldweek::webhooks::signature(SECRET, timestamp.parse().unwrap(), body);
        assert_eq!(signature, &expected);
        let payload: Value = serde_json::from_str(body).unwrap();
        assert_eq!(payload["grievance"]["id"], id.as_str());
        // Neither the phone (whole or masked, whose last four digits could also turn up
        // by chance inside a random id) nor the complainant at all.
        assert!(
            !body.contains("812345678") && !body.contains("*5678") && !body.contains("สมศรี"),
            "no personal data in webhooks: {body}"
        );
        assert!(payload["grievance"].get("complainant").is_none(), "{body}");
    }
    // The dispatcher records a delivery after the receiver has answered: wait for that.
    let started = Instant::now();
    while !attempts().iter().all(|(_, delivered)| *delivered) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "not recorded as delivered: {:?}",
            attempts()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Enum columns are read back as the domain's enums: a value no variant names (written
/// behind the server's back) is one clear internal error wherever it is read, never a
/// silent default and never a panic.
#[tokio::test]
async fn an_unknown_stored_value_is_an_internal_error_wherever_it_is_read() {
    use diesel::RunQueryDsl;

    let app = spawn_app().await;
    let volunteer = app.user("vol.unknown", Role::Volunteer, "5001").await;
    let supervisor = app.user("sup.unknown", Role::Supervisor, "50").await;
    let id = new_id();
    file(&app, &volunteer, &grievance(&id)).await;
    let mut conn = app.services.db.connection_for_cli_and_tests().unwrap();
    diesel::sql_query(format!(
        "UPDATE grievances SET status = 'archived' WHERE id = '{id}'"
    ))
    .execute(&mut *conn)
    .unwrap();
    diesel::sql_query(format!(
        "UPDATE users SET role = 'superuser' WHERE id = '{}'",
        volunteer.id
    ))
    .execute(&mut *conn)
    .unwrap();
    drop(conn);

    for path in [
        format!("/api/v1/grievances/{id}"),
        "/api/v1/grievances".to_owned(),
        format!("/api/v1/users/{}", volunteer.id),
    ] {
        let response = app
            .as_user(&supervisor, Method::GET, &path)
            .send()
            .await
            .unwrap();
        let body = assert_problem(response, 500, "internal_error").await;
        let text = body.to_string();
        assert!(
            !text.contains("archived") && !text.contains("superuser"),
            "{text}"
        );
    }
    // The account itself is refused the same way, not read as a volunteer.
    let response = app
        .as_user(&volunteer, Method::GET, "/api/v1/me")
        .send()
        .await
        .unwrap();
    assert_problem(response, 500, "internal_error").await;
}

#[tokio::test]
async fn a_grievance_just_across_the_edge_is_filed_in_the_reporters_area() {
    let app = spawn_app().await;
    let geography = fieldweek::geo::Geography::load().unwrap();
    let cmu = fieldweek::domain::GeoPoint::new(18.8035, 98.9530);
    let (across, suthep, _) = crate::visits::crossing_east(&geography, cmu);
    let volunteer = app.user("suthep", Role::Volunteer, &suthep).await;
    let mut body = grievance(&uuid::Uuid::new_v4().to_string());
    body["location"] = json!({"lat": across.lat, "lon": across.lon, "accuracy_m": 8.0});
    let response = app
        .send_as(&volunteer, Method::POST, "/api/v1/grievances", &body)
        .await;
    assert_eq!(response.status(), 201);
    let stored: Value = response.json().await.unwrap();
    assert_eq!(stored["area_code"], suthep.as_str());
    // Filed, and honest about where the point lies: as a visit would be.
    assert_eq!(stored["flags"], json!(["near_boundary"]), "{stored}");
    let (_, read) = app
        .get_as(
            &volunteer,
            &format!("/api/v1/grievances/{}", stored["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(read["flags"], json!(["near_boundary"]));
}
