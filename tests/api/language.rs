//! Errors a phone can show (API.md, December 2026): every broken field at once, each with
//! a stable code and a message in Thai or English as `Accept-Language` asks, never a
//! parser's words; Buddhist-Era years refused as such; the labels table.

use fieldweek::domain::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, TestApp, TestUser};
use crate::visits::visit;

/// Sends `body` as `user`, asking for Thai.
async fn send_in_thai(
    app: &TestApp,
    user: &TestUser,
    method: Method,
    path: &str,
    body: &Value,
) -> reqwest::Response {
    app.as_user(user, method, path)
        .header("accept-language", "th")
        .json(body)
        .send()
        .await
        .unwrap()
}

fn fields(body: &Value) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = body["errors"]
        .as_array()
        .expect("errors[]")
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    found.sort();
    found
}

fn message_of<'a>(body: &'a Value, field: &str) -> &'a str {
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == field)
        .and_then(|e| e["message"].as_str())
        .unwrap_or_else(|| panic!("no error for {field} in {body}"))
}

fn no_parser_words(body: &Value) {
    let text = body.to_string();
    for leak in [
        "invalid type",
        "expected f64",
        "premature end",
        "missing field",
        "unknown variant",
        "serde",
        "Query deserialize",
    ] {
        assert!(!text.contains(leak), "{leak} leaked into {text}");
    }
}

#[tokio::test]
async fn a_visit_with_several_problems_gets_all_of_them_at_once_in_thai() {
    let app = spawn_app().await;
    let volunteer = app.user("somsri", Role::Volunteer, "50").await;
    let mut body = visit(&uuid::Uuid::new_v4().to_string());
    let object = body.as_object_mut().unwrap();
    object.remove("summary");
    object.remove("activity");
    object.insert("households_visited".into(), json!(-1));
    let response = app
        .send_as(&volunteer, Method::POST, "/api/v1/visits", &body)
        .await;
    assert_eq!(
        response.headers()["content-language"].to_str().unwrap(),
        "en"
    );
    let english = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(
        fields(&english),
        vec![
            ("activity".to_owned(), "required".to_owned()),
            ("households_visited".to_owned(), "out_of_range".to_owned()),
            ("summary".to_owned(), "required".to_owned()),
        ]
    );
    assert_eq!(message_of(&english, "summary"), "is required");
    assert_eq!(english["detail"], "3 fields are invalid");

    let response = app
        .as_user(&volunteer, Method::POST, "/api/v1/visits")
        .header("accept-language", "th-TH,th;q=0.9,en;q=0.5")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-language"].to_str().unwrap(),
        "th"
    );
    let thai = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(fields(&thai), fields(&english));
    assert_eq!(thai["title"], "ข้อมูลไม่ถูกต้อง");
    assert_eq!(thai["detail"], "ข้อมูล 3 รายการไม่ถูกต้อง");
    assert_eq!(message_of(&thai, "summary"), "ต้องระบุ");
    assert_eq!(
        message_of(&thai, "households_visited"),
        "ต้องเป็นจำนวนตั้งแต่ 0 ถึง 1000000"
    );
}

#[tokio::test]
async fn structural_and_semantic_errors_come_back_together_without_parser_text() {
    let app = spawn_app().await;
    let volunteer = app.user("somsri", Role::Volunteer, "50").await;
    let mut body = visit(&uuid::Uuid::new_v4().to_string());
    body["location"]["lat"] = json!("18.78");
    body["visited_at"] = json!("2026-12-03T10:30:00");
    body["target_groups"] = json!(["elderly", "aliens"]);
    body["people_reached"] = json!(-5);
    body["colour"] = json!("blue");
    let response = app
        .send_as(&volunteer, Method::POST, "/api/v1/visits", &body)
        .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(
        fields(&problem),
        vec![
            ("colour".to_owned(), "unknown_field".to_owned()),
            ("location.lat".to_owned(), "wrong_type".to_owned()),
            ("people_reached".to_owned(), "out_of_range".to_owned()),
            (
                "target_groups[1]".to_owned(),
                "not_allowed_value".to_owned()
            ),
            ("visited_at".to_owned(), "bad_format".to_owned()),
        ]
    );
    assert_eq!(message_of(&problem, "location.lat"), "must be a number");
    no_parser_words(&problem);

    // A point outside Thailand is reported beside a missing field.
    let mut body = visit(&uuid::Uuid::new_v4().to_string());
    body["location"] = json!({"lat": 35.68, "lon": 139.69});
    body.as_object_mut().unwrap().remove("follow_up_needed");
    let response = send_in_thai(&app, &volunteer, Method::POST, "/api/v1/visits", &body).await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(
        fields(&problem),
        vec![
            ("follow_up_needed".to_owned(), "required".to_owned()),
            ("location".to_owned(), "outside_thailand".to_owned()),
        ]
    );
    assert_eq!(
        message_of(&problem, "location"),
        "พิกัดอยู่นอกประเทศไทย กรุณาตรวจสอบตำแหน่งของโทรศัพท์"
    );
}

#[tokio::test]
async fn buddhist_era_years_are_refused_as_a_calendar_mistake() {
    let app = spawn_app().await;
    let volunteer = app.user("somsri", Role::Volunteer, "50").await;
    let official = app.user("official", Role::Official, "50").await;
    let mut body = visit(&uuid::Uuid::new_v4().to_string());
    body["visited_at"] = json!("2569-12-03T10:30:00+07:00");
    let response = send_in_thai(&app, &volunteer, Method::POST, "/api/v1/visits", &body).await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(
        fields(&problem),
        vec![("visited_at".to_owned(), "buddhist_era_year".to_owned())]
    );
    let message = message_of(&problem, "visited_at");
    assert!(
        message.contains("พุทธศักราช") && message.contains("2026"),
        "{message}"
    );

    for path in [
        "/api/v1/reports/weekly?week=2569-W48",
        "/api/v1/visits?from=2569-11-01",
    ] {
        let response = app
            .as_user(&official, Method::GET, path)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 422, "validation_failed").await;
        let codes = fields(&problem);
        assert_eq!(codes.len(), 1, "{path}: {problem}");
        assert_eq!(codes[0].1, "buddhist_era_year", "{path}");
    }
}

#[tokio::test]
async fn a_batch_item_tells_its_problems_in_the_callers_language() {
    let app = spawn_app().await;
    let volunteer = app.user("somsri", Role::Volunteer, "50").await;
    let good = visit(&uuid::Uuid::new_v4().to_string());
    let mut bad = visit(&uuid::Uuid::new_v4().to_string());
    bad.as_object_mut().unwrap().remove("summary");
    bad["households_visited"] = json!("three");
    let response = send_in_thai(
        &app,
        &volunteer,
        Method::POST,
        "/api/v1/visits/batch",
        &json!({"visits": [good, bad]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["results"][0]["status"], 201);
    let problem = &body["results"][1]["problem"];
    assert_eq!(body["results"][1]["status"], 422);
    assert_eq!(
        fields(problem),
        vec![
            ("households_visited".to_owned(), "wrong_type".to_owned()),
            ("summary".to_owned(), "required".to_owned()),
        ]
    );
    assert_eq!(message_of(problem, "households_visited"), "ต้องเป็นจำนวนเต็ม");
    assert_eq!(problem["title"], "ข้อมูลไม่ถูกต้อง");
}

#[tokio::test]
async fn other_problems_speak_thai_too() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/api/v1/visits"))
        .header("accept-language", "th")
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 401, "unauthenticated").await;
    assert_eq!(problem["title"], "กรุณาเข้าสู่ระบบ");
    assert!(problem["detail"].as_str().unwrap().contains("เข้าสู่ระบบ"));

    let response = app
        .client
        .get(app.url("/api/v1/nope"))
        .header("accept-language", "th")
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 404, "not_found").await;
    assert_eq!(problem["detail"], "ไม่พบข้อมูลที่ต้องการ");

    let volunteer = app.user("somsri", Role::Volunteer, "50").await;
    let response = app
        .as_user(
            &volunteer,
            Method::GET,
            "/api/v1/reports/weekly?week=2026-W48",
        )
        .header("accept-language", "th")
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 403, "forbidden").await;
    assert_eq!(problem["title"], "ไม่มีสิทธิ์ดำเนินการ");
    assert!(problem["detail"].as_str().unwrap().contains("อาสาสมัคร"));
}

#[tokio::test]
async fn labels_give_every_value_in_thai_and_english_without_a_token() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/api/v1/meta/labels").await;
    assert_eq!(status, 200);
    for name in [
        "category",
        "priority",
        "status",
        "action",
        "due",
        "target_group",
        "activity",
        "review_status",
        "visit_flag",
        "role",
        "error_code",
    ] {
        let values = body[name].as_array().unwrap_or_else(|| panic!("{name}"));
        assert!(!values.is_empty(), "{name}");
        for value in values {
            assert!(
                value["code"].is_string() && value["en"].is_string(),
                "{value}"
            );
            let thai = value["th"].as_str().unwrap();
            assert!(
                thai.chars().any(|c| ('\u{0E00}'..='\u{0E7F}').contains(&c)),
                "{value}"
            );
        }
    }
    let label = |name: &str, code: &str| {
        body[name]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["code"] == code)
            .cloned()
            .unwrap_or_else(|| panic!("{name}.{code}"))
    };
    assert_eq!(label("category", "elderly")["th"], "ผู้สูงอายุ");
    assert_eq!(label("status", "in_progress")["th"], "กำลังดำเนินการ");
    assert_eq!(
        label("error_code", "buddhist_era_year")["th"],
        "ใช้ปีพุทธศักราช"
    );
    assert_eq!(
        label("error_code", "validation_failed")["th"],
        "ข้อมูลไม่ถูกต้อง"
    );
    // Every status the API can send is labelled.
    let statuses: Vec<&str> = body["status"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["code"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.len(), 9);
}

#[tokio::test]
async fn a_plan_hears_of_its_missing_and_its_out_of_range_fields_together() {
    let app = spawn_app().await;
    let official = app.user("official", Role::Official, "50").await;
    let response = send_in_thai(
        &app,
        &official,
        Method::PUT,
        "/api/v1/plans/2570",
        &json!({"weekly_field_days": 9, "visits_target": 10, "households_target": -1}),
    )
    .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(
        fields(&problem),
        vec![
            (
                "grievances_resolved_target".to_owned(),
                "required".to_owned()
            ),
            ("households_target".to_owned(), "out_of_range".to_owned()),
            ("weekly_field_days".to_owned(), "out_of_range".to_owned()),
        ]
    );
    assert_eq!(
        message_of(&problem, "weekly_field_days"),
        "ต้องเป็นจำนวนวันตั้งแต่ 0 ถึง 7"
    );
}

#[tokio::test]
async fn a_transition_hears_of_its_shape_and_its_note_together() {
    let app = spawn_app().await;
    let volunteer = app.user("somsri", Role::Volunteer, "50").await;
    let supervisor = app.user("head", Role::Supervisor, "50").await;
    let id = uuid::Uuid::new_v4().to_string();
    let response = app
        .send_as(
            &volunteer,
            Method::POST,
            "/api/v1/grievances",
            &crate::grievances::grievance(&id),
        )
        .await;
    assert_eq!(response.status(), 201);
    let response = send_in_thai(
        &app,
        &supervisor,
        Method::POST,
        &format!("/api/v1/grievances/{id}/transitions"),
        &json!({"action": "accept", "note": "ก".repeat(4001), "urgent": true}),
    )
    .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(
        fields(&problem),
        vec![
            ("note".to_owned(), "too_long".to_owned()),
            ("urgent".to_owned(), "unknown_field".to_owned()),
        ]
    );
    assert_eq!(message_of(&problem, "note"), "ต้องมีความยาวไม่เกิน 4000 ตัวอักษร");
}
