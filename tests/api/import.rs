//! Onboarding in bulk: `POST /users/import` from CSV and XLSX, one outcome per row, safe
//! to run twice.

use fieldweek::domain::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, TestApp, TestUser};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn import(app: &TestApp, by: &TestUser, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    let response = app
        .as_user(by, Method::POST, "/api/v1/users/import")
        .header("Content-Type", content_type)
        .header("Accept-Language", "th")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    if status == 200 {
        assert_eq!(response.headers()["cache-control"], "no-store");
    }
    (status, response.json().await.unwrap())
}

fn outcomes(answer: &Value) -> Vec<(u64, String, u64)> {
    answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["row"].as_u64().unwrap(),
                r["username"].as_str().unwrap().to_owned(),
                r["status"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_csv_file_onboards_each_row_once_and_again_creates_nothing() {
    let app = spawn_app().await;
    let supervisor = app.user("sup.cm", Role::Supervisor, "50").await;
    let file = "\u{feff}username,display_name,role,area_code,phone\n\
        vol.a,สมศรี ดีใจ,volunteer,500101,081-234-5678\n\
        off.b,สมชาย ตั้งใจ,เจ้าหน้าที่,5001,\n\
        ,,,,\n\
        sup.c,หัวหน้า ใหม่,supervisor,50,\n\
        vol.far,ไกล บ้าน,volunteer,5701,\n\
        vol.bad,,volunteer,999999,12\n\
        VOL.A,คนอื่น ชื่อซ้ำ,volunteer,500101,\n";
    let (status, answer) = import(&app, &supervisor, "text/csv; charset=utf-8", file.into()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        outcomes(&answer),
        [
            (2, "vol.a".into(), 201),
            (3, "off.b".into(), 201),
            (5, "sup.c".into(), 403),
            (6, "vol.far".into(), 422),
            (7, "vol.bad".into(), 422),
            (8, "VOL.A".into(), 409),
        ]
    );
    // An area outside one's own is refused as creating one account refuses it.
    assert_eq!(
        answer["results"][3]["problem"]["errors"][0]["code"], "outside_area",
        "{answer}"
    );
    assert_eq!(
        (answer["created"].as_u64(), answer["refused"].as_u64()),
        (Some(2), Some(4))
    );
    let results = answer["results"].as_array().unwrap();
    assert_eq!(results[0]["user"]["phone"], "+66812345678");
    assert_eq!(
        results[1]["user"]["role"], "official",
        "a role by its Thai label"
    );
    let fields: Vec<&str> = results[4]["problem"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["display_name", "area_code", "phone"]);
    assert_eq!(results[5]["problem"]["code"], "username_taken");
    assert_eq!(results[2]["problem"]["code"], "forbidden");
    assert!(results[2].get("temporary_password").is_none());

    // The one-time password works once, for choosing one's own.
    let temporary = results[0]["temporary_password"].as_str().unwrap();
    let login: Value = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": "vol.a", "password": temporary}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(login["password_change_required"], true, "{login}");
    let imported = app.login("vol.a", temporary).await;
    assert_eq!(app.get_as(&imported, "/api/v1/visits").await.0, 403);
    let created = app.audit_entries("user.created");
    assert_eq!(created.len(), 2);
    assert_eq!(created[0].2["via"], "import");
    assert_eq!(app.audit_entries("user.import").len(), 1);

    // Again: the accounts are there as given, nothing new, no new passwords.
    let (status, again) = import(&app, &supervisor, "text/csv", file.into()).await;
    assert_eq!(status, 200);
    let statuses: Vec<u64> = outcomes(&again).into_iter().map(|o| o.2).collect();
    assert_eq!(statuses, [200, 200, 403, 422, 422, 409]);
    assert!(again["results"][0].get("temporary_password").is_none());
    assert_eq!(app.audit_entries("user.created").len(), 2);
    let (_, listed) = app
        .get_as(&supervisor, "/api/v1/users?role=volunteer,official")
        .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn an_xlsx_file_with_numbers_typed_as_numbers_imports_too() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (column, name) in ["username", "display_name", "role", "area_code", "phone"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, column as u16, *name).unwrap();
    }
    sheet.write_string(1, 0, "vol.x").unwrap();
    sheet.write_string(1, 1, "เอ็กซ์ ทดสอบ").unwrap();
    sheet.write_string(1, 2, "volunteer").unwrap();
    sheet.write_number(1, 3, 500101.0).unwrap();
    sheet.write_string(1, 4, "0812345678").unwrap();
    sheet.write_string(2, 0, "sup.y").unwrap();
    sheet.write_string(2, 1, "วาย หัวหน้า").unwrap();
    sheet.write_string(2, 2, "Supervisor").unwrap();
    sheet.write_number(2, 3, 57.0).unwrap();
    let bytes = workbook.save_to_buffer().unwrap();

    let (status, answer) = import(&app, &admin, XLSX, bytes).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        outcomes(&answer),
        [(2, "vol.x".into(), 201), (3, "sup.y".into(), 201)]
    );
    assert_eq!(answer["results"][0]["user"]["area_code"], "500101");
    assert_eq!(answer["results"][1]["user"]["role"], "supervisor");
}

#[tokio::test]
async fn files_that_cannot_be_imported_are_refused_whole() {
    let app = spawn_app().await;
    let supervisor = app.user("sup.cm", Role::Supervisor, "50").await;
    let volunteer = app.user("vol.cm", Role::Volunteer, "500101").await;
    let good = b"username,display_name,role,area_code\nv.one,one,volunteer,50\n".to_vec();

    let response = app
        .as_user(&volunteer, Method::POST, "/api/v1/users/import")
        .header("Content-Type", "text/csv")
        .body(good.clone())
        .send()
        .await
        .unwrap();
    assert_problem(response, 403, "forbidden").await;
    let response = app
        .as_user(&supervisor, Method::POST, "/api/v1/users/import")
        .header("Content-Type", "application/json")
        .body(good)
        .send()
        .await
        .unwrap();
    assert_problem(response, 415, "unsupported_media_type").await;
    let (status, problem) = import(
        &app,
        &supervisor,
        "text/csv",
        b"user,name\nv.one,one\n".to_vec(),
    )
    .await;
    assert_eq!(
        (status, problem["errors"][0]["field"].as_str()),
        (422, Some("file"))
    );
    let (status, _) = import(&app, &supervisor, XLSX, b"not a workbook".to_vec()).await;
    assert_eq!(status, 422);
    let response = app
        .as_user(&supervisor, Method::POST, "/api/v1/users/import")
        .header("Content-Type", "text/csv")
        .body(vec![b'a'; 9 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_problem(response, 413, "payload_too_large").await;
}

/// Ten thousand volunteers in one request: all created, in one answer.
#[tokio::test]
async fn ten_thousand_rows_import_in_one_request() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut file = String::from("username,display_name,role,area_code,phone\n");
    for i in 0..10_000 {
        file.push_str(&format!("bulk.{i:05},อาสา ลำดับ{i},volunteer,500101,\n"));
    }
    let started = std::time::Instant::now();
    let (status, answer) = import(&app, &admin, "text/csv", file.into_bytes()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["created"], 10_000);
    // Ten thousand entries appended at once still form one unbroken chain.
    let mut conn = app.services.db.connection_for_cli_and_tests().unwrap();
    let verdict = fieldweek::db::audit::verify(&mut conn).unwrap();
    assert!(
        matches!(verdict, fieldweek::db::audit::Verdict::Intact { entries } if entries > 10_000),
        "{verdict:?}"
    );
    eprintln!("10,000 rows imported in {:?}", started.elapsed());
}
