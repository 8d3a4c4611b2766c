//! The users API: who may manage whom, where, and what each change does.

use fieldweek::domain::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, TestApp, TestUser, PASSWORD};

fn new_user(username: &str, role: &str, area: &str) -> Value {
    json!({
        "username": username,
        "display_name": "ทดสอบ ผู้ใช้",
        "password": PASSWORD,
        "role": role,
        "area_code": area,
    })
}

async fn create(app: &TestApp, by: &TestUser, body: &Value) -> reqwest::Response {
    app.send_as(by, Method::POST, "/api/v1/users", body).await
}

async fn patch(app: &TestApp, by: &TestUser, id: &str, body: Value) -> reqwest::Response {
    app.send_as(by, Method::PATCH, &format!("/api/v1/users/{id}"), &body)
        .await
}

#[tokio::test]
async fn a_supervisor_creates_volunteers_and_officials_in_its_area() {
    let app = spawn_app().await;
    let supervisor = app.user("sup.cm", Role::Supervisor, "50").await;

    let mut body = new_user("Vol.One", "volunteer", "500101");
    body["phone"] = json!("081-234-5678");
    let response = create(&app, &supervisor, &body).await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let user: Value = response.json().await.unwrap();
    assert_eq!(
        location,
        format!("/api/v1/users/{}", user["id"].as_str().unwrap())
    );
    assert_eq!(user["username"], "Vol.One");
    assert_eq!(user["display_name"], "ทดสอบ ผู้ใช้");
    assert_eq!(user["phone"], "+66812345678");
    assert_eq!(user["active"], true);
    assert!(user["created_at"].as_str().unwrap().ends_with('Z'));
    app.login("vol.one", PASSWORD).await;

    assert_eq!(
        create(&app, &supervisor, &new_user("off.one", "official", "5001"))
            .await
            .status(),
        201
    );
    let created = app.audit_entries("user.created");
    assert_eq!(created.len(), 2);
    assert_eq!(created[0].0.as_deref(), Some(supervisor.id.as_str()));
}

#[tokio::test]
async fn a_supervisor_is_refused_outside_its_area_and_roles() {
    let app = spawn_app().await;
    let supervisor = app.user("sup.cm", Role::Supervisor, "50").await;
    let response = create(&app, &supervisor, &new_user("off.cr", "official", "57")).await;
    let body = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "area_code");
    for role in ["supervisor", "admin"] {
        let response = create(&app, &supervisor, &new_user("climber", role, "50")).await;
        assert_problem(response, 403, "forbidden").await;
    }
    for role in [Role::Volunteer, Role::Official] {
        let user = app
            .user(&format!("plain.{}", role.as_str()), role, "50")
            .await;
        let response = create(&app, &user, &new_user("someone", "volunteer", "50")).await;
        assert_problem(response, 403, "forbidden").await;
    }
}

#[tokio::test]
async fn an_admin_manages_everyone_everywhere() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for (name, role, area) in [
        ("sup.bkk", "supervisor", "10"),
        ("admin2", "admin", "TH"),
        ("vol.pkt", "volunteer", "830101"),
    ] {
        assert_eq!(
            create(&app, &admin, &new_user(name, role, area))
                .await
                .status(),
            201,
            "{name}"
        );
    }
}

#[tokio::test]
async fn usernames_are_unique_whatever_the_case() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    assert_eq!(
        create(&app, &admin, &new_user("Somsri", "official", "50"))
            .await
            .status(),
        201
    );
    let response = create(&app, &admin, &new_user("SOMSRI", "volunteer", "10")).await;
    assert_problem(response, 409, "username_taken").await;
}

#[tokio::test]
async fn every_broken_rule_is_named() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let body = json!({
        "username": "a b", "display_name": "", "password": "short",
        "role": "volunteer", "area_code": "999999", "phone": "12345",
    });
    let problem = assert_problem(create(&app, &admin, &body).await, 422, "validation_failed").await;
    let mut fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        ["area_code", "display_name", "password", "phone", "username"]
    );

    let same = json!({"username": "sameasme1", "display_name": "x", "password": "SameAsMe1", "role": "volunteer", "area_code": "50"});
    let problem = assert_problem(create(&app, &admin, &same).await, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "password");
    let problem = assert_problem(
        create(&app, &admin, &json!({"username": "x"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(problem["errors"][0]["field"].is_string());
    let mut bad_role = new_user("badrole", "volunteer", "50");
    bad_role["role"] = json!("king");
    let problem = assert_problem(
        create(&app, &admin, &bad_role).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "role");
}

#[tokio::test]
async fn lists_are_scoped_filtered_and_paged() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for (name, role, area) in [
        ("a.vol", "volunteer", "500101"),
        ("b.vol", "volunteer", "500102"),
        ("c.off", "official", "5001"),
        ("d.vol", "volunteer", "501001"),
        ("e.vol", "volunteer", "570101"),
        ("f.sup", "supervisor", "50"),
    ] {
        assert_eq!(
            create(&app, &admin, &new_user(name, role, area))
                .await
                .status(),
            201
        );
    }
    let official = app.login("c.off", PASSWORD).await;

    let (status, page) = app.get_as(&official, "/api/v1/users").await;
    assert_eq!(status, 200);
    assert_eq!(
        usernames(&page),
        ["a.vol", "b.vol", "c.off"],
        "district 5001 only"
    );

    let (_, page) = app
        .get_as(&admin, "/api/v1/users?area=50&role=volunteer")
        .await;
    assert_eq!(usernames(&page), ["a.vol", "b.vol", "d.vol"]);
    let (status, body) = app.get_as(&official, "/api/v1/users?area=57").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("forbidden")),
        "outside one's area: refused, never an empty page"
    );

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/users?limit=2&cursor={c}"),
            None => "/api/v1/users?limit=2".into(),
        };
        let (status, page) = app.get_as(&admin, &path).await;
        assert_eq!(status, 200);
        assert!(page["items"].as_array().unwrap().len() <= 2);
        seen.extend(usernames(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        ["a.vol", "admin", "b.vol", "c.off", "d.vol", "e.vol", "f.sup"]
    );

    let (status, body) = app.get_as(&admin, "/api/v1/users?limit=501").await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (422, Some("limit"))
    );
    let (status, body) = app.get_as(&admin, "/api/v1/users?cursor=bogus").await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (422, Some("cursor"))
    );
    let volunteer = app.login("a.vol", PASSWORD).await;
    assert_eq!(app.get_as(&volunteer, "/api/v1/users").await.0, 403);
}

fn usernames(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn records_outside_ones_area_are_not_found() {
    let app = spawn_app().await;
    let cm = app.user("sup.cm", Role::Supervisor, "50").await;
    let cr = app.user("sup.cr", Role::Supervisor, "57").await;
    let cm_volunteer = app.user("vol.cm", Role::Volunteer, "500101").await;

    assert_eq!(
        app.get_as(&cm, &format!("/api/v1/users/{}", cm_volunteer.id))
            .await
            .0,
        200
    );
    let (status, body) = app
        .get_as(&cr, &format!("/api/v1/users/{}", cm_volunteer.id))
        .await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
    assert_problem(
        patch(&app, &cr, &cm_volunteer.id, json!({"display_name": "x"})).await,
        404,
        "not_found",
    )
    .await;
    // A volunteer reads itself, nobody else.
    assert_eq!(
        app.get_as(&cm_volunteer, &format!("/api/v1/users/{}", cm_volunteer.id))
            .await
            .0,
        200
    );
    assert_eq!(
        app.get_as(&cm_volunteer, &format!("/api/v1/users/{}", cm.id))
            .await
            .0,
        404
    );
    // The admin's area (TH) is not inside Chiang Mai.
    let admin = app.admin().await;
    assert_eq!(
        app.get_as(&cm, &format!("/api/v1/users/{}", admin.id))
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn deactivation_ends_the_users_tokens_at_once() {
    let app = spawn_app().await;
    let supervisor = app.user("sup.cm", Role::Supervisor, "50").await;
    let volunteer = app.user("vol.cm", Role::Volunteer, "500101").await;
    assert_eq!(app.get_as(&volunteer, "/api/v1/me").await.0, 200);

    let response = patch(&app, &supervisor, &volunteer.id, json!({"active": false})).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["active"], false);
    assert_eq!(app.get_as(&volunteer, "/api/v1/me").await.0, 401);
    let refresh = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .json(&json!({"refresh_token": volunteer.refresh_token}))
        .send()
        .await
        .unwrap();
    assert_eq!(refresh.status(), 401);
    let updates = app.audit_entries("user.updated");
    assert_eq!(updates[0].2["changed"], json!(["active"]));
}

#[tokio::test]
async fn role_and_area_changes_follow_the_same_rules() {
    let app = spawn_app().await;
    let supervisor = app.user("sup.cm", Role::Supervisor, "50").await;
    let colleague = app.user("sup.cm2", Role::Supervisor, "50").await;
    let volunteer = app.user("vol.cm", Role::Volunteer, "500101").await;

    let response = patch(
        &app,
        &supervisor,
        &volunteer.id,
        json!({"role": "official", "area_code": "5001"}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (body["role"].as_str(), body["area_code"].as_str()),
        (Some("official"), Some("5001"))
    );
    assert_eq!(
        app.get_as(&volunteer, "/api/v1/me").await.0,
        401,
        "a role change ends sessions"
    );

    assert_problem(
        patch(&app, &supervisor, &volunteer.id, json!({"role": "admin"})).await,
        403,
        "forbidden",
    )
    .await;
    let body = assert_problem(
        patch(&app, &supervisor, &volunteer.id, json!({"area_code": "57"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "area_code");
    assert_problem(
        patch(
            &app,
            &supervisor,
            &colleague.id,
            json!({"display_name": "x"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        patch(&app, &supervisor, &supervisor.id, json!({"active": false})).await,
        403,
        "forbidden",
    )
    .await;
    let admin = app.admin().await;
    assert_problem(
        patch(&app, &admin, &admin.id, json!({"role": "volunteer"})).await,
        403,
        "forbidden",
    )
    .await;

    // Cosmetic changes keep sessions alive; null removes the phone.
    let official = app.login("vol.cm", PASSWORD).await;
    let response = patch(
        &app,
        &supervisor,
        &official.id,
        json!({"display_name": "สมหญิง", "phone": "+66 2 123 4567"}),
    )
    .await;
    assert_eq!(
        response.json::<Value>().await.unwrap()["phone"],
        "+6621234567"
    );
    let response = patch(&app, &supervisor, &official.id, json!({"phone": null})).await;
    assert_eq!(
        response.json::<Value>().await.unwrap()["phone"],
        Value::Null
    );
    assert_eq!(app.get_as(&official, "/api/v1/me").await.0, 200);
}

#[tokio::test]
async fn a_password_reset_replaces_the_password_and_ends_sessions() {
    let app = spawn_app().await;
    let supervisor = app.user("sup.cm", Role::Supervisor, "50").await;
    let volunteer = app.user("vol.cm", Role::Volunteer, "500101").await;
    let path = format!("/api/v1/users/{}/password", volunteer.id);
    let response = app
        .send_as(
            &supervisor,
            Method::POST,
            &path,
            &json!({"new_password": "vol.cm"}),
        )
        .await;
    assert_problem(response, 422, "validation_failed").await;
    let response = app
        .send_as(
            &supervisor,
            Method::POST,
            &path,
            &json!({"new_password": "reset by supervisor"}),
        )
        .await;
    assert_eq!(response.status(), 204);
    assert_eq!(app.get_as(&volunteer, "/api/v1/me").await.0, 401);
    app.login("vol.cm", "reset by supervisor").await;
    let resets = app.audit_entries("user.password_reset");
    assert_eq!(resets[0].0.as_deref(), Some(supervisor.id.as_str()));
    let response = app
        .send_as(
            &volunteer,
            Method::POST,
            &format!("/api/v1/users/{}/password", supervisor.id),
            &json!({"new_password": "takeover attempt"}),
        )
        .await;
    assert_eq!(response.status(), 401, "the old token died with the reset");
}

#[tokio::test]
async fn a_reset_password_must_be_changed_before_anything_else() {
    let app = spawn_app().await;
    let supervisor = app.user("sup.cm", Role::Supervisor, "50").await;
    let volunteer = app.user("vol.cm", Role::Volunteer, "500101").await;
    let response = app
        .send_as(
            &supervisor,
            Method::POST,
            &format!("/api/v1/users/{}/password", volunteer.id),
            &json!({"new_password": "reset by supervisor"}),
        )
        .await;
    assert_eq!(response.status(), 204);

    let login = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": "vol.cm", "password": "reset by supervisor"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let body: Value = login.json().await.unwrap();
    assert_eq!(body["password_change_required"], true);
    let owing = app.login("vol.cm", "reset by supervisor").await;

    // Everything but the account itself, the change and logout is refused.
    let (status, problem) = app.get_as(&owing, "/api/v1/visits").await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (403, Some("password_change_required"))
    );
    let thai = app
        .as_user(&owing, Method::GET, "/api/v1/grievances")
        .header("Accept-Language", "th")
        .send()
        .await
        .unwrap();
    let problem = assert_problem(thai, 403, "password_change_required").await;
    assert_eq!(problem["title"], "กรุณาเปลี่ยนรหัสผ่านก่อน");
    assert_eq!(app.get_as(&owing, "/api/v1/me").await.0, 200);

    // The same password again is not a change.
    let response = app
        .send_as(
            &owing,
            Method::PUT,
            "/api/v1/me/password",
            &json!({"current_password": "reset by supervisor", "new_password": "reset by supervisor"}),
        )
        .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "new_password");
    let response = app
        .send_as(
            &owing,
            Method::PUT,
            "/api/v1/me/password",
            &json!({"current_password": "reset by supervisor", "new_password": "my very own words"}),
        )
        .await;
    assert_eq!(response.status(), 204);

    let login = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": "vol.cm", "password": "my very own words"}))
        .send()
        .await
        .unwrap();
    let body: Value = login.json().await.unwrap();
    assert_eq!(body["password_change_required"], false);
    let changed = app.login("vol.cm", "my very own words").await;
    assert_eq!(app.get_as(&changed, "/api/v1/visits").await.0, 200);
}
