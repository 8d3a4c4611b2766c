//! PDPA: what is held about a complainant, its erasure with statistics intact, and the
//! retention job.

use fieldweek::domain::{Role, ThaiNationalId};
use fieldweek::privacy::retention::Retention;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, TestApp, TestUser};

fn national_id(first12: &str) -> String {
    let check = ThaiNationalId::check_digit(first12).unwrap();
    format!("{first12}{check}")
}

async fn file(app: &TestApp, user: &TestUser, category: &str, complainant: Value) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    let body = json!({
        "id": id,
        "location": {"lat": 18.7883, "lon": 98.9853},
        "category": category,
        "priority": "normal",
        "title": "นางสมศรีถูกทำร้าย",
        "description": "นางสมศรี บ้านเลขที่ 12 ขอความช่วยเหลือ",
        "complainant": complainant,
    });
    let response = app
        .send_as(user, Method::POST, "/api/v1/grievances", &body)
        .await;
    assert_eq!(response.status(), 201);
    id
}

struct Fixture {
    admin: TestUser,
    supervisor: TestUser,
    somsri: Vec<String>,
    other: String,
    nid: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    let volunteer = app.user("vol", Role::Volunteer, "5001").await;
    let supervisor = app.user("sup", Role::Supervisor, "50").await;
    let nid = national_id("310050012345");
    let a = file(
        app,
        &volunteer,
        "family_violence",
        json!({"name": "นางสมศรี", "national_id": nid, "phone": "0812345678", "consent": true}),
    )
    .await;
    let b = file(
        app,
        &volunteer,
        "poverty",
        json!({"national_id": nid, "consent": true}),
    )
    .await;
    let c = file(
        app,
        &volunteer,
        "debt",
        json!({"name": "สมศรี", "phone": "+66 81 234 5678", "consent": true}),
    )
    .await;
    let other = file(
        app,
        &volunteer,
        "debt",
        json!({"name": "นายมานะ", "phone": "0899999999", "consent": true}),
    )
    .await;
    Fixture {
        admin: app.admin().await,
        supervisor,
        somsri: vec![a, b, c],
        other,
        nid,
    }
}

async fn post(app: &TestApp, user: &TestUser, path: &str, body: Value) -> reqwest::Response {
    app.send_as(user, Method::POST, path, &body).await
}

fn ids_of(body: &Value) -> Vec<String> {
    let mut ids: Vec<String> = body["grievances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

const RETENTION: Retention = Retention {
    grievance_days: 730,
    delivered_webhook_days: 30,
    sync_removal_days: 31,
};

#[tokio::test]
async fn everything_held_about_a_complainant_is_exported_to_admins_only() {
    let app = spawn_app().await;
    let fx = fixture(&app).await;
    let path = "/api/v1/privacy/subject-access";

    let response = post(&app, &fx.admin, path, json!({"national_id": fx.nid})).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let mut expected = fx.somsri[..2].to_vec();
    expected.sort();
    assert_eq!(ids_of(&body), expected);
    assert_eq!(
        body["grievances"][0]["complainant"]["national_id"],
        fx.nid.as_str()
    );
    assert_eq!(body["grievances"][0]["complainant"]["masked"], false);

    let response = post(
        &app,
        &fx.admin,
        path,
        json!({"national_id": fx.nid, "phone": "081-234-5678"}),
    )
    .await;
    let mut expected = fx.somsri.clone();
    expected.sort();
    assert_eq!(ids_of(&response.json().await.unwrap()), expected);
    assert!(!ids_of(
        &post(&app, &fx.admin, path, json!({"phone": "0812345678"}))
            .await
            .json()
            .await
            .unwrap()
    )
    .contains(&fx.other));

    assert_problem(
        post(&app, &fx.supervisor, path, json!({"national_id": fx.nid})).await,
        403,
        "forbidden",
    )
    .await;
    let problem = assert_problem(
        post(
            &app,
            &fx.admin,
            path,
            json!({"national_id": "1234567890123"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "national_id");
    assert_problem(
        post(&app, &fx.admin, path, json!({})).await,
        422,
        "validation_failed",
    )
    .await;

    let audits = app.audit_entries("privacy.subject_access");
    assert_eq!(audits.len(), 3);
    assert!(
        !audits[0].2.to_string().contains(&fx.nid),
        "the audit log holds no identifiers"
    );
}

#[tokio::test]
async fn erasure_removes_personal_data_and_keeps_the_statistics() {
    let app = spawn_app().await;
    let fx = fixture(&app).await;
    let (_, before) = app
        .get_as(&fx.supervisor, "/api/v1/reports/weekly?area=50")
        .await;

    let response = post(
        &app,
        &fx.admin,
        "/api/v1/privacy/erasure",
        json!({"national_id": fx.nid, "phone": "0812345678"}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let erased: Value = response.json().await.unwrap();
    assert_eq!(erased["anonymised"].as_array().unwrap().len(), 3);

    let (_, after) = app
        .get_as(&fx.supervisor, "/api/v1/reports/weekly?area=50")
        .await;
    assert_eq!(after["grievances"], before["grievances"]);
    assert_eq!(after["hotspots"], before["hotspots"]);

    let (_, gone) = app
        .get_as(
            &fx.supervisor,
            &format!("/api/v1/grievances/{}", fx.somsri[0]),
        )
        .await;
    assert_eq!(gone["complainant"], Value::Null);
    assert!(gone["title"]
        .as_str()
        .unwrap()
        .contains("personal data removed"));
    assert_eq!(gone["category"], "family_violence");
    assert_eq!(gone["status"], "submitted");
    let (_, kept) = app
        .get_as(&fx.supervisor, &format!("/api/v1/grievances/{}", fx.other))
        .await;
    assert_eq!(kept["complainant"]["name"], "นายมานะ");

    let response = post(
        &app,
        &fx.admin,
        "/api/v1/privacy/subject-access",
        json!({"national_id": fx.nid}),
    )
    .await;
    assert_eq!(
        response.json::<Value>().await.unwrap()["grievances"],
        json!([])
    );
    assert_eq!(app.audit_entries("privacy.erasure").len(), 1);
}

#[tokio::test]
async fn the_retention_job_erases_what_closed_long_ago() {
    use diesel::prelude::*;
    use fieldweek::db::schema::grievances;
    let app = spawn_app().await;
    let fx = fixture(&app).await;
    let transition = |id: String, body: Value| {
        let app = &app;
        let user = fx.supervisor.clone();
        async move {
            let response = app
                .send_as(
                    &user,
                    Method::POST,
                    &format!("/api/v1/grievances/{id}/transitions"),
                    &body,
                )
                .await;
            assert_eq!(response.status(), 200);
        }
    };
    transition(
        fx.somsri[0].clone(),
        json!({"action": "reject", "note": "ไม่ใช่อำนาจหน้าที่"}),
    )
    .await;
    transition(
        fx.somsri[1].clone(),
        json!({"action": "reject", "note": "ซ้ำ"}),
    )
    .await;
    {
        let mut conn = app.services.db.connection_for_cli_and_tests().unwrap();
        let long_ago = chrono::Utc::now().naive_utc() - chrono::Duration::days(800);
        // The first closed long ago; the open one was also last touched long ago.
        for id in [&fx.somsri[0], &fx.other] {
            diesel::update(grievances::table.find(id))
                .set(grievances::updated_at.eq(long_ago))
                .execute(&mut *conn)
                .unwrap();
        }
    }
    let db = app.services.db.clone();
    let erased = tokio::task::spawn_blocking(move || {
        fieldweek::privacy::retention::run_once(&db, RETENTION)
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(erased, 1, "only the one closed long ago");
    let (_, gone) = app
        .get_as(
            &fx.supervisor,
            &format!("/api/v1/grievances/{}", fx.somsri[0]),
        )
        .await;
    assert_eq!(gone["complainant"], Value::Null);
    for id in [&fx.somsri[1], &fx.other] {
        let (_, kept) = app
            .get_as(&fx.supervisor, &format!("/api/v1/grievances/{id}"))
            .await;
        assert_ne!(kept["complainant"], Value::Null, "{id}");
    }
    let audits = app.audit_entries("privacy.retention");
    assert_eq!(audits[0].2["anonymised"], json!([fx.somsri[0]]));
}
