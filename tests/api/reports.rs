//! Weekly reports, exports and plans, checked against small hand-counted fixtures, with
//! records on both sides of the week's edges in Bangkok time.

use chrono::{DateTime, Duration, Utc, Weekday};
use fieldweek::domain::{IsoWeek, Role};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, TestApp, TestUser};
use crate::visits::visit;

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Files a visit at `at` with the given details; returns its id.
async fn file_visit(app: &TestApp, user: &TestUser, at: DateTime<Utc>, details: Value) -> String {
    let id = new_id();
    let mut body = visit(&id);
    body["visited_at"] = json!(at.to_rfc3339());
    for (key, value) in details.as_object().unwrap() {
        body[key] = value.clone();
    }
    let response = app
        .send_as(user, Method::POST, "/api/v1/visits", &body)
        .await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    id
}

struct Fixture {
    week: IsoWeek,
    /// Visits inside the week, in time order.
    inside: Vec<String>,
    v1: TestUser,
    v3_id: String,
    official: TestUser,
    supervisor: TestUser,
}

/// Two weeks ago (inside the 60-day backfill window), in Chiang Mai (50):
/// - v1: C at Monday 00:00 (in), A at Monday 02:00 (in), B at Sunday 23:59 before (out)
/// - v2: D at Sunday 23:59 at the week's end (in, declared 500101), E at the next Monday 00:00 (out)
/// - o1: F at Sunday 18:00 UTC, which is already Monday 01:00 in Bangkok (in)
/// - a Songkhla volunteer files one in the week (outside area 50)
/// - v3 (a province-level volunteer) goes nowhere; v4 is deactivated; the supervisor
///   is not a field worker.
async fn visits_fixture(app: &TestApp) -> Fixture {
    let week = IsoWeek::containing(Utc::now() - Duration::days(14), Weekday::Mon);
    let (start, end) = week.utc_range(Weekday::Mon);
    let v1 = app.user("vol1", Role::Volunteer, "5001").await;
    let v2 = app.user("vol2", Role::Volunteer, "5001").await;
    let v3 = app.user("vol3", Role::Volunteer, "50").await;
    let v4 = app.user("vol4", Role::Volunteer, "5001").await;
    let official = app.user("off1", Role::Official, "5001").await;
    let supervisor = app.user("sup1", Role::Supervisor, "50").await;
    let songkhla = app.user("vol.sk", Role::Volunteer, "90").await;

    let c = file_visit(app, &v1, start, json!({"target_groups": ["children"], "activity": "outreach", "households_visited": 1, "people_reached": 4, "summary": "ติดตามเด็กนักเรียน \"ยากจน\", บ้านเลขที่ 5"})).await;
    let a = file_visit(app, &v1, start + Duration::hours(2), json!({"target_groups": ["elderly", "disabled"], "households_visited": 3, "people_reached": 7})).await;
    file_visit(
        app,
        &v1,
        start - Duration::minutes(1),
        json!({"households_visited": 9}),
    )
    .await;
    let d = file_visit(app, &v2, end - Duration::minutes(1), json!({"target_groups": ["elderly"], "households_visited": 2, "people_reached": 2, "area_code": "500101"})).await;
    file_visit(app, &v2, end, json!({"households_visited": 9})).await;
    let sunday_18_utc = start + Duration::hours(1);
    assert_eq!(sunday_18_utc.format("%a %H:%M").to_string(), "Sun 18:00");
    let f = file_visit(app, &official, sunday_18_utc, json!({"target_groups": ["families"], "activity": "community_meeting", "households_visited": 0, "people_reached": 25})).await;
    file_visit(
        app,
        &songkhla,
        start + Duration::hours(3),
        json!({"location": {"lat": 7.0086, "lon": 100.4747}}),
    )
    .await;

    let response = app
        .send_as(
            &app.admin().await,
            Method::PATCH,
            &format!("/api/v1/users/{}", v4.id),
            &json!({"active": false}),
        )
        .await;
    assert_eq!(response.status(), 200);
    Fixture {
        week,
        inside: vec![c, f, a, d],
        v1,
        v3_id: v3.id,
        official,
        supervisor,
    }
}

#[tokio::test]
async fn weekly_visit_figures_match_the_hand_count() {
    let app = spawn_app().await;
    let fx = visits_fixture(&app).await;
    let (status, report) = app
        .get_as(
            &fx.supervisor,
            &format!("/api/v1/reports/weekly?week={}&area=50", fx.week),
        )
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["week"], fx.week.to_string().as_str());
    assert_eq!(report["area_code"], "50");
    let visits = &report["visits"];
    assert_eq!(visits["total"], 4);
    assert_eq!(visits["households_visited"], 6);
    assert_eq!(visits["people_reached"], 38);
    assert_eq!(visits["by_target_group"]["elderly"], 2);
    assert_eq!(visits["by_target_group"]["disabled"], 1);
    assert_eq!(visits["by_target_group"]["children"], 1);
    assert_eq!(visits["by_target_group"]["families"], 1);
    assert_eq!(visits["by_target_group"]["homeless"], 0);
    assert_eq!(
        visits["by_activity"],
        json!({"home_visit": 2, "outreach": 1, "community_meeting": 1, "follow_up": 0, "other": 0})
    );
    assert_eq!(
        visits["by_area"],
        json!([{"area_code": "5001", "name_th": "เมืองเชียงใหม่", "count": 4}])
    );

    let workers = &report["field_workers"];
    assert_eq!(workers["registered"], 4, "v1, v2, v3, o1");
    assert_eq!(workers["active"], 3);
    assert_eq!(workers["compliant"], 3, "one field day each, no plans");
    assert_eq!(workers["compliance_rate"], 0.75);
    assert_eq!(
        workers["without_visits"],
        json!([{"user_id": fx.v3_id, "display_name": "vol3 (test)", "area_code": "50"}])
    );
    assert_eq!(
        report["coverage"]["subdistricts_visited"], 2,
        "500102 and the declared 500101"
    );
    let chiang_mai_subdistricts = app.services.geography.subdistrict_count_under("50") as i64;
    assert_eq!(
        report["coverage"]["subdistricts_total"],
        chiang_mai_subdistricts
    );

    // The whole country includes Songkhla; a district official gets its district, and
    // asking for its province is refused rather than answered for less.
    let (_, country) = app
        .get_as(
            &app.admin().await,
            &format!("/api/v1/reports/weekly?week={}", fx.week),
        )
        .await;
    assert_eq!(country["visits"]["total"], 5);
    assert_eq!(country["area_code"], "TH");
    let provinces: Vec<(&str, i64)> = country["visits"]["by_area"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["area_code"].as_str().unwrap(),
                a["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(provinces, vec![("50", 4), ("90", 1)], "by province");
    let (status, wider) = app
        .get_as(
            &fx.official,
            &format!("/api/v1/reports/weekly?week={}&area=50", fx.week),
        )
        .await;
    assert_eq!((status, wider["code"].as_str()), (403, Some("forbidden")));
    let (_, district) = app
        .get_as(
            &fx.official,
            &format!("/api/v1/reports/weekly?week={}", fx.week),
        )
        .await;
    assert_eq!(district["area_code"], "5001");
    assert_eq!(
        district["visits"]["by_area"].as_array().unwrap().len(),
        2,
        "by subdistrict"
    );

    // The weeks before and after hold the edge visits.
    let (_, before) = app
        .get_as(
            &fx.supervisor,
            &format!(
                "/api/v1/reports/weekly?week={}&area=50",
                fx.week.previous().unwrap()
            ),
        )
        .await;
    assert_eq!(before["visits"]["total"], 1);
    assert_eq!(before["visits"]["households_visited"], 9);
    let (_, after) = app
        .get_as(
            &fx.supervisor,
            &format!(
                "/api/v1/reports/weekly?week={}&area=50",
                fx.week.next().unwrap()
            ),
        )
        .await;
    assert_eq!(after["visits"]["total"], 1);
}

#[tokio::test]
async fn week_labels_and_access() {
    let app = spawn_app().await;
    let supervisor = app.user("sup1", Role::Supervisor, "50").await;
    let (status, report) = app
        .get_as(&supervisor, "/api/v1/reports/weekly?week=2026-W47")
        .await;
    assert_eq!(status, 200);
    assert_eq!(report["label_th"], "16-22 พ.ย. 2569");
    assert_eq!(report["starts_on"], "2026-11-16");
    assert_eq!(report["ends_on"], "2026-11-22");
    assert_eq!(report["grievances"]["median_hours_to_resolve"], Value::Null);

    let volunteer = app.user("vol", Role::Volunteer, "50").await;
    assert_eq!(
        app.get_as(&volunteer, "/api/v1/reports/weekly").await.0,
        403
    );
    assert_eq!(
        app.get_as(&supervisor, "/api/v1/reports/weekly?area=57")
            .await
            .0,
        403
    );
    let (status, body) = app
        .get_as(&supervisor, "/api/v1/reports/weekly?week=2026-W60")
        .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (422, Some("week"))
    );
    assert_problem(
        app.get("/api/v1/reports/weekly").await,
        401,
        "unauthenticated",
    )
    .await;
}

fn grievance(id: &str, category: &str, priority: &str) -> Value {
    json!({
        "id": id,
        "location": {"lat": 18.7883, "lon": 98.9853},
        "category": category,
        "priority": priority,
        "title": "เรื่องร้องเรียน",
        "description": "รายละเอียด",
    })
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
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

#[tokio::test]
async fn weekly_grievance_figures_match_the_hand_count() {
    let app = spawn_app().await;
    let reporter = app.user("vol1", Role::Volunteer, "5001").await;
    let official = app.user("off1", Role::Official, "5001").await;
    let supervisor = app.user("sup1", Role::Supervisor, "50").await;
    let songkhla = app.user("vol.sk", Role::Volunteer, "90").await;
    let mut ids = Vec::new();
    for (category, priority) in [
        ("elderly", "high"),
        ("debt", "normal"),
        ("elderly", "urgent"),
        ("housing", "low"),
    ] {
        let id = new_id();
        let response = app
            .send_as(
                &reporter,
                Method::POST,
                "/api/v1/grievances",
                &grievance(&id, category, priority),
            )
            .await;
        assert_eq!(response.status(), 201);
        ids.push(id);
    }
    let mut elsewhere = grievance(&new_id(), "debt", "low");
    elsewhere["location"] = json!({"lat": 7.0086, "lon": 100.4747});
    assert_eq!(
        app.send_as(&songkhla, Method::POST, "/api/v1/grievances", &elsewhere)
            .await
            .status(),
        201
    );

    // g1 resolved; g2 left open and past due; g3 rejected; g4 resolved, closed, reopened.
    act(&app, &supervisor, &ids[0], json!({"action": "accept"})).await;
    act(
        &app,
        &supervisor,
        &ids[0],
        json!({"action": "assign", "assignee_id": official.id}),
    )
    .await;
    act(&app, &official, &ids[0], json!({"action": "start"})).await;
    act(
        &app,
        &official,
        &ids[0],
        json!({"action": "resolve", "note": "แก้ไขแล้ว"}),
    )
    .await;
    {
        use diesel::prelude::*;
        use fieldweek::db::schema::grievances;
        let mut conn = app.services.db.connection_for_cli_and_tests().unwrap();
        diesel::update(grievances::table.find(&ids[1]))
            .set(grievances::due_at.eq(Utc::now().naive_utc() - Duration::hours(2)))
            .execute(&mut *conn)
            .unwrap();
    }
    act(
        &app,
        &supervisor,
        &ids[2],
        json!({"action": "reject", "note": "ไม่ใช่อำนาจหน้าที่"}),
    )
    .await;
    act(&app, &supervisor, &ids[3], json!({"action": "accept"})).await;
    act(
        &app,
        &supervisor,
        &ids[3],
        json!({"action": "assign", "assignee_id": official.id}),
    )
    .await;
    act(&app, &official, &ids[3], json!({"action": "start"})).await;
    act(
        &app,
        &supervisor,
        &ids[3],
        json!({"action": "resolve", "note": "ช่วยเหลือแล้ว"}),
    )
    .await;
    act(&app, &supervisor, &ids[3], json!({"action": "close"})).await;
    act(
        &app,
        &supervisor,
        &ids[3],
        json!({"action": "reopen", "note": "ยังไม่เรียบร้อย"}),
    )
    .await;

    let (status, report) = app
        .get_as(&supervisor, "/api/v1/reports/weekly?area=50")
        .await;
    assert_eq!(status, 200, "{report}");
    let g = &report["grievances"];
    assert_eq!(g["new"], 4);
    assert_eq!(g["by_category"]["elderly"], 2);
    assert_eq!(g["by_category"]["debt"], 1);
    assert_eq!(g["by_category"]["housing"], 1);
    assert_eq!(g["by_category"]["drugs"], 0);
    assert_eq!(
        g["by_priority"],
        json!({"urgent": 1, "high": 1, "normal": 1, "low": 1})
    );
    assert_eq!(g["resolved"], 2, "g1 and g4");
    assert_eq!(g["open_at_end"], 2, "g2 and the reopened g4");
    assert_eq!(g["overdue"], 1, "g2");
    assert_eq!(g["median_hours_to_resolve"], 0.0, "resolved within seconds");
    let hotspots = report["hotspots"].as_array().unwrap();
    assert_eq!(hotspots.len(), 1);
    assert_eq!(hotspots[0]["count"], 4);
    assert_eq!(hotspots[0]["top_category"], "elderly");
    assert!((hotspots[0]["center"]["lat"].as_f64().unwrap() - 18.7883).abs() < 1e-6);

    let (_, country) = app
        .get_as(&app.admin().await, "/api/v1/reports/weekly")
        .await;
    assert_eq!(country["grievances"]["new"], 5);
    assert_eq!(country["grievances"]["open_at_end"], 3);
}

async fn download(
    app: &TestApp,
    user: &TestUser,
    query: &str,
) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let response = app
        .as_user(
            user,
            Method::GET,
            &format!("/api/v1/reports/weekly/export?{query}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{query}");
    let headers = response.headers().clone();
    (headers, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn exports_parse_back_to_the_data() {
    let app = spawn_app().await;
    let fx = visits_fixture(&app).await;
    let week = fx.week.to_string();

    // CSV: a BOM, a header, the week's four visits oldest first, Thai and quotes intact.
    let (headers, body) = download(
        &app,
        &fx.supervisor,
        &format!("week={week}&area=50&format=csv&dataset=visits"),
    )
    .await;
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        headers["content-disposition"],
        format!("attachment; filename=\"fieldweek-{week}-50-visits.csv\"").as_str()
    );
    assert_eq!(&body[..3], b"\xEF\xBB\xBF");
    let mut reader = csv::Reader::from_reader(&body[3..]);
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
    };
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let ids: Vec<&str> = rows.iter().map(|r| &r[column("รหัสการลงพื้นที่")]).collect();
    assert_eq!(
        ids,
        fx.inside.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(
        &rows[0][column("สรุปผล")],
        "ติดตามเด็กนักเรียน \"ยากจน\", บ้านเลขที่ 5"
    );
    // Enumerated values as the labels `GET /meta/labels` serves, in Thai by default.
    let groups: Vec<&str> = rows[2][column("กลุ่มเป้าหมาย")].split("; ").collect();
    assert_eq!(groups.len(), 2);
    assert!(
        groups.contains(&"คนพิการ") && groups.contains(&"ผู้สูงอายุ"),
        "{groups:?}"
    );
    assert_eq!(&rows[2][column("กิจกรรม")], "เยี่ยมบ้าน");
    assert_eq!(&rows[2][column("ผลการตรวจสอบ")], "รอตรวจสอบ");
    assert_eq!(&rows[2][column("จำนวนครัวเรือน")], "3");
    assert_eq!(&rows[2][column("ผู้บันทึก")], "vol1 (test)");
    assert_eq!(&rows[2][column("ต้องติดตามต่อ")], "ใช่");
    assert_eq!(&rows[3][column("รหัสพื้นที่")], "500101");
    assert_eq!(&rows[3][column("รหัสอำเภอ")], "5001");
    assert_eq!(&rows[3][column("อำเภอ")], "เมืองเชียงใหม่");
    assert_eq!(&rows[3][column("จังหวัด")], "เชียงใหม่");
    // Bangkok time, and the same day with its Buddhist-Era year.
    let at = &rows[0][column("วันเวลาที่ลงพื้นที่ (เวลาไทย)")];
    assert!(at.ends_with("+07:00"), "{at}");
    let local = chrono::DateTime::parse_from_rfc3339(at)
        .unwrap()
        .date_naive();
    let be = &rows[0][column("วันที่ (พ.ศ.)")];
    assert!(
        be.starts_with(&format!("{} ", chrono::Datelike::day(&local)))
            && be.ends_with(&format!(" {}", chrono::Datelike::year(&local) + 543)),
        "{be} for {local}"
    );

    // The same in English.
    let (_, body) = download(
        &app,
        &fx.supervisor,
        &format!("week={week}&area=50&format=csv&dataset=visits&lang=en"),
    )
    .await;
    let mut reader = csv::Reader::from_reader(&body[3..]);
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let english = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(&rows[2][english("Activity")], "Home visit");
    assert_eq!(&rows[3][english("Province")], "Chiang Mai");
    assert!(rows[0][english("Date (BE)")].ends_with(" BE"));

    // GeoJSON: a FeatureCollection of points, its properties labelled like the CSV.
    let (headers, body) = download(
        &app,
        &fx.supervisor,
        &format!("week={week}&area=50&format=geojson&dataset=visits"),
    )
    .await;
    assert_eq!(headers["content-type"], "application/geo+json");
    let collection: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(collection["type"], "FeatureCollection");
    let features = collection["features"].as_array().unwrap();
    assert_eq!(features.len(), 4);
    assert_eq!(features[0]["geometry"]["type"], "Point");
    assert_eq!(
        features[0]["geometry"]["coordinates"],
        json!([98.9853, 18.7883])
    );
    let properties = &features[0]["properties"];
    assert_eq!(properties["รหัสการลงพื้นที่"], fx.inside[0].as_str());
    assert_eq!(features[2]["properties"]["กิจกรรม"], "เยี่ยมบ้าน");
    // Each feature's area code joins to that area's boundary.
    let code = properties["รหัสพื้นที่"].as_str().unwrap();
    let (status, boundary) = app
        .get_as(&fx.supervisor, &format!("/api/v1/areas/{code}/boundary"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(boundary["properties"]["code"], code);

    // The summary as CSV carries the report's figures, labelled.
    let (_, body) = download(
        &app,
        &fx.supervisor,
        &format!("week={week}&area=50&format=csv&dataset=summary"),
    )
    .await;
    let mut reader = csv::Reader::from_reader(&body[3..]);
    let summary: Vec<(String, String, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_owned(), r[1].to_owned(), r[2].to_owned())
        })
        .collect();
    assert!(summary.contains(&("การลงพื้นที่".into(), "จำนวนครั้ง".into(), "4".into())));
    assert!(summary.contains(&("ผู้ปฏิบัติงาน".into(), "อัตราการปฏิบัติตามแผน".into(), "0.75".into())));
    assert!(summary.contains(&("ตามกิจกรรม".into(), "เยี่ยมบ้าน".into(), "2".into())));

    // XLSX: four sheets, dates as dates.
    let (headers, body) = download(
        &app,
        &fx.supervisor,
        &format!("week={week}&area=50&format=xlsx"),
    )
    .await;
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .ends_with(".xlsx\""));
    use calamine::{Data, Reader, Xlsx};
    let mut workbook: Xlsx<_> = Xlsx::new(std::io::Cursor::new(body)).unwrap();
    assert_eq!(
        workbook.sheet_names(),
        ["สรุป", "การลงพื้นที่", "เรื่องร้องทุกข์", "ผู้ปฏิบัติงาน"]
    );
    // The cover: a title, what the file is about, and the figures in labelled tables.
    let cover = workbook.worksheet_range("สรุป").unwrap();
    assert_eq!(
        cover.get((0, 0)),
        Some(&Data::String("รายงานผลการลงพื้นที่ประจำสัปดาห์".into()))
    );
    let cover_rows: Vec<Vec<String>> = cover
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert!(cover_rows[1][0].contains(&week), "{:?}", cover_rows[1]);
    assert!(
        cover_rows[2][0].contains("50 เชียงใหม่"),
        "{:?}",
        cover_rows[2]
    );
    assert!(cover_rows
        .iter()
        .any(|r| r[0] == "การลงพื้นที่ (ครั้ง)" && r[1] == "4"));
    assert!(cover_rows
        .iter()
        .any(|r| r[0] == "อัตราการปฏิบัติตามแผน" && r[1] == "0.75"));
    assert!(
        cover_rows
            .iter()
            .any(|r| r[0] == "5001 เมืองเชียงใหม่" && r[1] == "4"),
        "the sub-area table: {cover_rows:?}"
    );
    let visits = workbook.worksheet_range("การลงพื้นที่").unwrap();
    assert_eq!(visits.height(), 5, "a header and four visits");
    assert_eq!(
        visits.get((1, 0)),
        Some(&Data::String(fx.inside[0].clone()))
    );
    assert!(
        matches!(visits.get((1, 1)), Some(Data::DateTime(_))),
        "{:?}",
        visits.get((1, 1))
    );
    let households = (0..visits.width())
        .find(|&c| visits.get((0, c)) == Some(&Data::String("จำนวนครัวเรือน".into())))
        .expect("a households column");
    assert_eq!(visits.get((3, households)), Some(&Data::Float(3.0)));
    let workers = workbook.worksheet_range("ผู้ปฏิบัติงาน").unwrap();
    assert_eq!(workers.height(), 5, "a header and four field workers");

    assert_eq!(app.audit_entries("report.exported").len(), 5);
    let volunteer = fx.v1.clone();
    let response = app
        .as_user(&volunteer, Method::GET, "/api/v1/reports/weekly/export")
        .send()
        .await
        .unwrap();
    assert_problem(response, 403, "forbidden").await;
    let response = app
        .as_user(
            &fx.supervisor,
            Method::GET,
            "/api/v1/reports/weekly/export?format=pdf&dataset=people",
        )
        .send()
        .await
        .unwrap();
    // Each bad value is named, with the values it may take.
    let body = assert_problem(response, 422, "validation_failed").await;
    let errors: Vec<(&str, &str)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        errors,
        [
            ("format", "not_allowed_value"),
            ("dataset", "not_allowed_value")
        ]
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("csv, xlsx, geojson"),
        "{body}"
    );
    // A GeoJSON export is a point layer: the summary and the field workers are not one;
    // and an export speaks Thai or English only.
    for query in [
        "format=geojson&dataset=summary",
        "format=geojson&dataset=field_workers",
        "lang=fr",
    ] {
        let response = app
            .as_user(
                &fx.supervisor,
                Method::GET,
                &format!("/api/v1/reports/weekly/export?{query}"),
            )
            .send()
            .await
            .unwrap();
        let body = assert_problem(response, 422, "validation_failed").await;
        let field = if query.starts_with("lang") {
            "lang"
        } else {
            "dataset"
        };
        assert_eq!(body["errors"][0]["field"], field, "{query}: {body}");
    }
}

#[tokio::test]
async fn plans_and_progress() {
    let app = spawn_app().await;
    let volunteer = app.user("vol1", Role::Volunteer, "5001").await;
    let supervisor = app.user("sup1", Role::Supervisor, "50").await;
    let far = app.user("sup2", Role::Supervisor, "57").await;
    let now = Utc::now();
    let year = fieldweek::domain::FiscalYear::containing_instant(now).unwrap();
    let (fy_start, _) = year.utc_range();
    let path = format!("/api/v1/plans/{}", year.be());

    let plan = json!({"weekly_field_days": 2, "visits_target": 100, "households_target": 300, "grievances_resolved_target": 10});
    let response = app.send_as(&volunteer, Method::PUT, &path, &plan).await;
    assert_eq!(response.status(), 200);
    let stored: Value = response.json().await.unwrap();
    assert_eq!(stored["targets"]["visits_target"], 100);
    assert_eq!(stored["fiscal_year"], year.be());
    let bad = json!({"weekly_field_days": 9, "visits_target": -1, "households_target": 1, "grievances_resolved_target": 1});
    let problem = assert_problem(
        app.send_as(&volunteer, Method::PUT, &path, &bad).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"].as_array().unwrap().len(), 2);
    let problem = assert_problem(
        app.send_as(&volunteer, Method::PUT, "/api/v1/plans/1999", &plan)
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "fiscal_year");

    // Two visits on one day and one on another, all inside this fiscal year.
    let day1 = (now - Duration::hours(1)).max(fy_start + Duration::minutes(1));
    for (at, households) in [(day1, 3), (day1 + Duration::seconds(30), 4)] {
        file_visit(
            &app,
            &volunteer,
            at,
            json!({"households_visited": households}),
        )
        .await;
    }
    let day0 = day1 - Duration::days(1);
    if day0 > fy_start {
        file_visit(&app, &volunteer, day0, json!({"households_visited": 5})).await;
    }
    let expected_days = if day0 > fy_start { 2 } else { 1 };
    let expected_visits = expected_days + 1;

    let (status, progress) = app.get_as(&volunteer, &format!("{path}/progress")).await;
    assert_eq!(status, 200, "{progress}");
    assert_eq!(progress["done"]["visits"], expected_visits as f64);
    assert_eq!(progress["done"]["field_days"], expected_days as f64);
    assert_eq!(
        progress["done"]["households"],
        if day0 > fy_start { 12.0 } else { 7.0 }
    );
    assert_eq!(progress["done"]["grievances_resolved"], 0.0);
    let fraction = progress["elapsed_fraction"].as_f64().unwrap();
    assert!(fraction > 0.0 && fraction <= 1.0);
    let expected_visits_by_now = progress["expected_by_today"]["visits"].as_f64().unwrap();
    assert!((expected_visits_by_now - 100.0 * fraction).abs() < 0.05);
    assert_eq!(
        progress["on_pace"]["visits"],
        expected_visits as f64 >= expected_visits_by_now
    );

    let (status, seen) = app
        .get_as(
            &supervisor,
            &format!("{path}/progress?user={}", volunteer.id),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(seen["done"], progress["done"]);
    assert_eq!(
        app.get_as(&far, &format!("{path}/progress?user={}", volunteer.id))
            .await
            .0,
        404
    );
    let (status, _) = app
        .get_as(
            &volunteer,
            &format!("{path}/progress?user={}", supervisor.id),
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(
        app.get_as(&supervisor, &format!("{path}/progress")).await.0,
        404,
        "no plan of its own"
    );
}

/// An export holds a database connection while it runs, so only so many run at once: the
/// next is told when to come back, and a finished export (CSV or XLSX) frees its slot.
#[tokio::test]
async fn exports_beyond_the_limit_are_told_to_come_back() {
    let app = crate::helpers::spawn_app_with(|config| config.max_exports = Some(1)).await;
    let admin = app.admin().await;
    let csv = "/api/v1/reports/weekly/export?format=csv&dataset=visits";
    let xlsx = "/api/v1/reports/weekly/export?format=xlsx";

    let running = app
        .services
        .exports
        .try_take()
        .expect("the one slot is free");
    let response = app.as_user(&admin, Method::GET, csv).send().await.unwrap();
    assert_eq!(response.headers()["retry-after"], "30");
    assert_problem(response, 429, "too_many_requests").await;
    assert_eq!(
        app.audit_entries("report.exported").len(),
        0,
        "refused, not exported"
    );
    drop(running);

    for path in [csv, csv, xlsx, xlsx, csv] {
        let response = app.as_user(&admin, Method::GET, path).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        response.bytes().await.unwrap();
    }
    assert!(
        app.services.exports.try_take().is_some(),
        "every slot given back"
    );
}
