//! Names where people read them: every grievance, event, comment and visit the API
//! answers with names the people it points to, as their accounts call them.

use fieldweek::domain::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp, TestUser};

const VOLUNTEER: &str = "สมศรี อาสาดี";
const OTHER_VOLUNTEER: &str = "บุญมี ลงพื้นที่";
const OFFICIAL: &str = "วิชัย ทำงานดี";
const SUPERVISOR: &str = "มานี หัวหน้างาน";

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn person(user: &TestUser, name: &str) -> Value {
    json!({"id": user.id, "display_name": name})
}

async fn send_ok(
    app: &TestApp,
    user: &TestUser,
    method: Method,
    path: &str,
    body: &Value,
    expected: u16,
) -> Value {
    let response = app.send_as(user, method, path, body).await;
    let status = response.status().as_u16();
    let answer: Value = response.json().await.unwrap();
    assert_eq!(status, expected, "{path} {body} -> {answer}");
    answer
}

fn grievance(id: &str) -> Value {
    json!({
        "id": id,
        "location": {"lat": 18.7883, "lon": 98.9853},
        "category": "elderly",
        "priority": "normal",
        "title": "ผู้สูงอายุไม่มีผู้ดูแล",
        "description": "ตาอายุ 80 ปี อยู่คนเดียว",
        "target_groups": ["elderly"],
    })
}

/// The actors of a grievance's history, in order.
fn actors(view: &Value) -> Vec<(String, String)> {
    view["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| {
            (
                event["actor_id"].as_str().unwrap().to_owned(),
                event["actor_name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn grievances_name_their_reporter_assignee_actors_and_comment_authors() {
    let app = spawn_app().await;
    let volunteer = app
        .user_named("vol.names", VOLUNTEER, Role::Volunteer, "5001")
        .await;
    let official = app
        .user_named("off.names", OFFICIAL, Role::Official, "5001")
        .await;
    let supervisor = app
        .user_named("sup.names", SUPERVISOR, Role::Supervisor, "50")
        .await;
    let grievances = "/api/v1/grievances";

    let id = new_id();
    let filed = send_ok(
        &app,
        &volunteer,
        Method::POST,
        grievances,
        &grievance(&id),
        201,
    )
    .await;
    assert_eq!(filed["reporter"], person(&volunteer, VOLUNTEER));
    assert_eq!(filed["reporter_id"], volunteer.id.as_str());
    assert_eq!(filed["assignee"], Value::Null);
    assert_eq!(filed["assignee_id"], Value::Null);
    assert_eq!(
        actors(&filed),
        [(volunteer.id.clone(), VOLUNTEER.to_owned())]
    );
    // Another grievance, never assigned, for the list.
    let unassigned = new_id();
    send_ok(
        &app,
        &volunteer,
        Method::POST,
        grievances,
        &grievance(&unassigned),
        201,
    )
    .await;

    let moves = format!("{grievances}/{id}/transitions");
    send_ok(
        &app,
        &supervisor,
        Method::POST,
        &moves,
        &json!({"action": "accept"}),
        200,
    )
    .await;
    let assigned = send_ok(
        &app,
        &supervisor,
        Method::POST,
        &moves,
        &json!({"action": "assign", "assignee_id": official.id}),
        200,
    )
    .await;
    assert_eq!(assigned["assignee"], person(&official, OFFICIAL));
    assert_eq!(assigned["assignee_id"], official.id.as_str());
    assert_eq!(assigned["reporter"], person(&volunteer, VOLUNTEER));
    let started = send_ok(
        &app,
        &official,
        Method::POST,
        &moves,
        &json!({"action": "start"}),
        200,
    )
    .await;
    let expected_actors = vec![
        (volunteer.id.clone(), VOLUNTEER.to_owned()),
        (supervisor.id.clone(), SUPERVISOR.to_owned()),
        (supervisor.id.clone(), SUPERVISOR.to_owned()),
        (official.id.clone(), OFFICIAL.to_owned()),
    ];
    assert_eq!(actors(&started), expected_actors);
    assert_eq!(started["assignee"], person(&official, OFFICIAL));

    let comments = format!("{grievances}/{id}/comments");
    let by_official = send_ok(
        &app,
        &official,
        Method::POST,
        &comments,
        &json!({"body": "นัดเยี่ยมบ้านพรุ่งนี้"}),
        201,
    )
    .await;
    assert_eq!(by_official["author_id"], official.id.as_str());
    assert_eq!(by_official["author_name"], OFFICIAL);
    let by_volunteer = send_ok(
        &app,
        &volunteer,
        Method::POST,
        &comments,
        &json!({"body": "ญาติยินดีช่วย"}),
        201,
    )
    .await;
    assert_eq!(by_volunteer["author_name"], VOLUNTEER);

    // The single read, by each of the three.
    for reader in [&supervisor, &official, &volunteer] {
        let (status, read) = app.get_as(reader, &format!("{grievances}/{id}")).await;
        assert_eq!(status, 200, "{read}");
        assert_eq!(read["reporter"], person(&volunteer, VOLUNTEER));
        assert_eq!(read["assignee"], person(&official, OFFICIAL));
        assert_eq!(actors(&read), expected_actors);
        let authors: Vec<(&str, &str)> = read["comments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["author_id"].as_str().unwrap(),
                    c["author_name"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            authors,
            [
                (official.id.as_str(), OFFICIAL),
                (volunteer.id.as_str(), VOLUNTEER)
            ]
        );
    }

    // The list names the same people, and no one for the unassigned one.
    let (status, page) = app.get_as(&supervisor, grievances).await;
    assert_eq!(status, 200, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{page}");
    let listed = |wanted: &str| items.iter().find(|g| g["id"] == wanted).unwrap();
    assert_eq!(listed(&id)["reporter"], person(&volunteer, VOLUNTEER));
    assert_eq!(listed(&id)["assignee"], person(&official, OFFICIAL));
    assert_eq!(actors(listed(&id)), expected_actors);
    assert_eq!(listed(&id)["comments"][0]["author_name"], OFFICIAL);
    assert_eq!(
        listed(&unassigned)["reporter"],
        person(&volunteer, VOLUNTEER)
    );
    assert_eq!(listed(&unassigned)["assignee"], Value::Null);
    assert_eq!(
        actors(listed(&unassigned)),
        [(volunteer.id.clone(), VOLUNTEER.to_owned())]
    );
}

fn visit(id: &str) -> Value {
    json!({
        "id": id,
        "visited_at": (chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc3339(),
        "location": {"lat": 18.7883, "lon": 98.9853},
        "target_groups": ["elderly"],
        "activity": "home_visit",
        "households_visited": 1,
        "people_reached": 2,
        "summary": "เยี่ยมบ้านผู้สูงอายุ",
        "needs": [],
        "follow_up_needed": false,
    })
}

#[tokio::test]
async fn visits_name_their_author_wherever_they_are_answered() {
    let app = spawn_app().await;
    let volunteer = app
        .user_named("vol.names", VOLUNTEER, Role::Volunteer, "50")
        .await;
    let other = app
        .user_named("vol.other", OTHER_VOLUNTEER, Role::Volunteer, "50")
        .await;
    let supervisor = app
        .user_named("sup.names", SUPERVISOR, Role::Supervisor, "50")
        .await;
    let visits = "/api/v1/visits";

    // Filed alone, and sent again.
    let single = new_id();
    let body = visit(&single);
    let filed = send_ok(&app, &volunteer, Method::POST, visits, &body, 201).await;
    assert_eq!(filed["author"], person(&volunteer, VOLUNTEER));
    assert_eq!(filed["author_id"], volunteer.id.as_str());
    let again = send_ok(&app, &volunteer, Method::POST, visits, &body, 200).await;
    assert_eq!(again["author"], person(&volunteer, VOLUNTEER));

    // A batch of another author's: new ones, a resend and an invalid one.
    let (first, second) = (new_id(), new_id());
    let first_body = visit(&first);
    let batch = json!({"visits": [first_body, visit(&second)]});
    let answer = send_ok(
        &app,
        &other,
        Method::POST,
        &format!("{visits}/batch"),
        &batch,
        200,
    )
    .await;
    for result in answer["results"].as_array().unwrap() {
        assert_eq!(result["status"], 201, "{answer}");
        assert_eq!(result["visit"]["author"], person(&other, OTHER_VOLUNTEER));
    }
    let mut broken = visit(&new_id());
    broken["households_visited"] = json!(-1);
    let batch = json!({"visits": [first_body, broken]});
    let answer = send_ok(
        &app,
        &other,
        Method::POST,
        &format!("{visits}/batch"),
        &batch,
        200,
    )
    .await;
    assert_eq!(answer["results"][0]["status"], 200, "{answer}");
    assert_eq!(
        answer["results"][0]["visit"]["author"],
        person(&other, OTHER_VOLUNTEER)
    );
    assert_eq!(answer["results"][1]["status"], 422, "{answer}");

    // Read by key, with photos (the read joins a row per photo).
    for seed in [1u8, 2] {
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
        jpeg.extend((0..64u8).map(|i| i.wrapping_mul(seed)));
        let response = app
            .as_user(
                &volunteer,
                Method::POST,
                &format!("{visits}/{single}/photos"),
            )
            .header("Content-Type", "image/jpeg")
            .body(jpeg)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    for reader in [&volunteer, &supervisor] {
        let (status, read) = app.get_as(reader, &format!("{visits}/{single}")).await;
        assert_eq!(status, 200, "{read}");
        assert_eq!(read["photos"].as_array().unwrap().len(), 2);
        assert_eq!(read["author"], person(&volunteer, VOLUNTEER));
    }
    let (_, read) = app.get_as(&supervisor, &format!("{visits}/{first}")).await;
    assert_eq!(read["author"], person(&other, OTHER_VOLUNTEER));

    // The list: each visit by its own author's name.
    let (status, page) = app.get_as(&supervisor, visits).await;
    assert_eq!(status, 200, "{page}");
    let mut authors: Vec<(String, Value)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["id"].as_str().unwrap().to_owned(), v["author"].clone()))
        .collect();
    authors.sort_by(|a, b| a.0.cmp(&b.0));
    let mut expected = vec![
        (single.clone(), person(&volunteer, VOLUNTEER)),
        (first.clone(), person(&other, OTHER_VOLUNTEER)),
        (second.clone(), person(&other, OTHER_VOLUNTEER)),
    ];
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(authors, expected);

    // A review's answer names the author, not the reviewer.
    let reviewed = send_ok(
        &app,
        &supervisor,
        Method::POST,
        &format!("{visits}/{single}/review"),
        &json!({"review_status": "verified"}),
        200,
    )
    .await;
    assert_eq!(reviewed["author"], person(&volunteer, VOLUNTEER));
    assert_eq!(reviewed["reviewed_by"], supervisor.id.as_str());
}
